#!/usr/bin/python3
"""Regenerates the test lists in tests.cmake: runs node_test on every test folder of the ONNX backend test data and
lists the ones that pass. node/ tests go to ONNXQ_NODE_TESTS grouped under a comment naming the operator under
test; the whole-model folders (pytorch-converted, pytorch-operator, simple) go to ONNXQ_MODEL_TESTS.

usage: /usr/bin/python3 tests/onnx_node/update_list.py BUILD_DIR [TESTDATA_ROOT]"""
import os
import re
import subprocess
import sys

import onnx

HERE = os.path.dirname(os.path.abspath(__file__))
build = sys.argv[1]
root = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/libonnx-testdata/data"
runner = os.path.join(build, "tests", "node_test")


def passes(path):
    if not os.path.isfile(os.path.join(path, "model.onnx")):
        return False
    try:
        return subprocess.run([runner, path], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=120).returncode == 0
    except subprocess.TimeoutExpired:
        return False


groups = {}
node_dir = os.path.join(root, "node")
for name in sorted(os.listdir(node_dir)):
    path = os.path.join(node_dir, name)
    if not passes(path):
        continue
    ops = [n.op_type for n in onnx.load(os.path.join(path, "model.onnx"), load_external_data=False).graph.node]
    flat = name[len("test_"):].replace("_", "").lower()
    # the operator under test: the longest op type whose name starts the test name, else the first node's
    named = [o for o in set(ops) if flat.startswith(o.lower())]
    op = max(named, key=len) if named else (ops[0] if ops else "?")
    groups.setdefault(op, []).append(name)

models = []
for sub in ("pytorch-converted", "pytorch-operator", "simple"):
    d = os.path.join(root, sub)
    if os.path.isdir(d):
        models += [f"{sub}/{n}" for n in sorted(os.listdir(d)) if passes(os.path.join(d, n))]

node_lines = []
for op in sorted(groups, key=str.lower):
    node_lines.append(f"  # {op}")
    node_lines += [f"  {t}" for t in groups[op]]
text = open(os.path.join(HERE, "tests.cmake")).read()
text = re.sub(r"set\(ONNXQ_NODE_TESTS\n(?:  .*\n)*\)", lambda m: "set(ONNXQ_NODE_TESTS\n" + "\n".join(node_lines) + "\n)",
              text)
text = re.sub(r"set\(ONNXQ_MODEL_TESTS\n(?:  .*\n)*\)",
              lambda m: "set(ONNXQ_MODEL_TESTS\n" + "\n".join(f"  {t}" for t in models) + "\n)", text)
open(os.path.join(HERE, "tests.cmake"), "w").write(text)
print(f"{sum(len(v) for v in groups.values())} node tests in {len(groups)} operator groups, {len(models)} model tests")
