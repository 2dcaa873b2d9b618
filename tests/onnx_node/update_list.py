#!/usr/bin/python3
"""Prints the backend tests that wait to be classified in tests/onnx_node/tests.cmake, for a human to list or
exclude with a reason; it changes no file. A candidate is a test of node/, pytorch-converted/, pytorch-operator/ or
simple/ whose operators are all in onnxq's table (`onnxq inspect --json`) and that the lists do not name yet.
For each, it runs node_test and prints the operator under test (the heading it belongs under), the result and the
last line node_test printed, which is usually the reason to write next to an exclusion. A test that passes is not
automatically right: look at what it checks before listing it.

With --excluded it prints the same for every excluded test, to find exclusions that no longer hold.

usage: /usr/bin/python3 tests/onnx_node/update_list.py BUILD_DIR [TESTDATA_ROOT] [--excluded]"""
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
args = [a for a in sys.argv[1:] if a != "--excluded"]
show_excluded = "--excluded" in sys.argv[1:]
if not 1 <= len(args) <= 2:
    sys.exit(__doc__)
build = args[0]
root = args[1] if len(args) > 1 else "/usr/share/libonnx-testdata/data"
onnxq = os.path.join(build, "onnxq")
runner = os.path.join(build, "tests", "node_test")

text = open(os.path.join(HERE, "tests.cmake"), encoding="utf-8").read()
NAME = r"(?:(?:pytorch-converted|pytorch-operator|simple)/)?test_[A-Za-z0-9_]+"
listed = set(re.findall(r"^  (" + NAME + r")\s*(?:#.*)?$", text, re.M))
excluded = set(re.findall(r"^  #\s*(" + NAME + r")\s", text, re.M))


def key(sub, name):
    return name if sub == "node" else f"{sub}/{name}"


def operator_under_test(name, ops):
    flat = name[len("test_"):].replace("_", "").lower()
    named = [o for o in ops if flat.startswith(o.lower())]
    return max(named, key=len) if named else (sorted(ops)[0] if ops else "?")


found = 0
for sub in ("node", "pytorch-converted", "pytorch-operator", "simple"):
    d = os.path.join(root, sub)
    if not os.path.isdir(d):
        continue
    for name in sorted(os.listdir(d)):
        path = os.path.join(d, name)
        k = key(sub, name)
        if not os.path.isfile(os.path.join(path, "model.onnx")):
            continue
        if (k in excluded) != show_excluded or k in listed:
            continue
        r = subprocess.run([onnxq, "inspect", "--json", os.path.join(path, "model.onnx")], capture_output=True,
                           text=True)
        if r.returncode != 0:
            print(f"{k}: onnxq inspect fails: {r.stderr.strip()}")
            found += 1
            continue
        info = json.loads(r.stdout)
        if info["unsupported_ops"] and not show_excluded:
            continue
        try:
            t = subprocess.run([runner, path], capture_output=True, text=True, timeout=300)
            result = {0: "passes", 1: "mismatch"}.get(t.returncode, f"cannot run (exit {t.returncode})")
            last = (t.stderr.strip() or t.stdout.strip()).splitlines()[-1:] or [""]
        except subprocess.TimeoutExpired:
            result, last = "timeout", [""]
        found += 1
        print(f"{k}  [{operator_under_test(name, list(info['ops']))}]  {result}: {last[0][:200]}")
print(f"{found} test(s) to classify" if not show_excluded else f"{found} excluded test(s)")
