#!/usr/bin/python3
"""Checks the hand-kept backend test lists in tests/onnx_node/tests.cmake (ctest onnx_node.list_complete).

Fails, naming each offender, when
  - a test of node/ is neither listed, expected to fail (ONNXQ_NODE_XFAIL) nor excluded, so that the lists hold
    the whole in-scope denominator,
  - a test of pytorch-converted/, pytorch-operator/ or simple/ whose operators are all in onnxq's table
    (`onnxq inspect --json` reports no unsupported_ops) is neither listed nor excluded,
  - an expected failure has no reason,
  - a listed or excluded test does not exist, or is named twice,
  - an exclusion or a tolerance override has no reason, or an override names a test that is not listed.
With --excluded-fail NODE_TEST (ctest onnx_node.exclusions_still_fail) it also runs node_test on every excluded
test (but those excluded as "out of scope") and fails on each that passes now: it belongs in the list. Expected
failures (ONNXQ_NODE_XFAIL) are ctest cases with WILL_FAIL, which fail by themselves when they start passing.

usage: check_list.py TESTS_CMAKE ONNXQ DATA_ROOT [--excluded-fail NODE_TEST]"""
import json
import os
import re
import subprocess
import sys

SETS = ("node", "pytorch-converted", "pytorch-operator", "simple")
NAME = r"(?:(?:pytorch-converted|pytorch-operator|simple)/)?test_[A-Za-z0-9_]+"


def block(text, var):
    m = re.search(r"^set\(" + var + r"\n(.*?)^\)", text, re.S | re.M)
    if not m:
        sys.exit(f"tests.cmake: no set({var} ...) block")
    start = text.count("\n", 0, m.start(1)) + 1
    return [(start + i, line) for i, line in enumerate(m.group(1).splitlines())]


def main():
    args = sys.argv[1:]
    node_test = None
    if len(args) == 5 and args[3] == "--excluded-fail":
        node_test = args[4]
        args = args[:3]
    if len(args) != 3:
        sys.exit(__doc__)
    cmake_file, onnxq, root = args
    text = open(cmake_file, encoding="utf-8").read()
    errors = []
    listed, excluded = {}, {}  # "<set>/<test>" -> line number / reason

    def key(name):
        return name if "/" in name else "node/" + name

    for var in ("ONNXQ_NODE_TESTS", "ONNXQ_MODEL_TESTS"):
        for no, line in block(text, var):
            s = line.strip()
            m_list = re.fullmatch(r"(" + NAME + r")(?:\s+#.*)?", s)
            m_excl = re.fullmatch(r"#\s*(" + NAME + r")(?:\s+#\s*(.*))?", s)
            if m_list:
                k = key(m_list.group(1))
            elif m_excl:
                k = key(m_excl.group(1))
                if not (m_excl.group(2) or "").strip():
                    errors.append(f"line {no}: {m_excl.group(1)} is excluded without a reason ('# test  # reason')")
            elif s == "" or (s.startswith("#") and not re.match(r"#\s*" + NAME, s)):
                continue  # heading or blank
            else:
                errors.append(f"line {no}: cannot read '{s}'")
                continue
            if (var == "ONNXQ_NODE_TESTS") != k.startswith("node/"):
                errors.append(f"line {no}: {k} belongs in the other list")
            if k in listed or k in excluded:
                errors.append(f"line {no}: {k} is named twice")
            if m_list:
                listed[k] = no
            else:
                excluded[k] = (m_excl.group(2) or "").strip()

    xfail = {}  # "node/<test>" -> reason
    for no, line in block(text, "ONNXQ_NODE_XFAIL"):
        s = line.strip()
        if s == "" or (s.startswith("#") and not re.match(r"#\s*" + NAME, s)):
            continue
        m = re.fullmatch(r"(test_[A-Za-z0-9_]+)(?:\s+#\s*(.*))?", s)
        if not m:
            errors.append(f"line {no}: cannot read '{s}' (expected failures read 'test_x  # reason')")
            continue
        k = key(m.group(1))
        if k in listed or k in excluded or k in xfail:
            errors.append(f"line {no}: {k} is named twice")
        if not (m.group(2) or "").strip():
            errors.append(f"line {no}: expected failure {m.group(1)} has no reason ('test_x  # reason')")
        xfail[k] = (m.group(2) or "").strip()

    for no, line in block(text, "ONNXQ_NODE_TOLERANCES"):
        s = line.strip()
        if s == "" or s.startswith("#"):
            continue
        m = re.fullmatch(r"(" + NAME + r")\s+(\S+)\s+(\S+)\s*(?:#\s*(.*))?", s)
        if not m:
            errors.append(f"line {no}: tolerance override must read '<test> <atol> <rtol>  # reason'")
            continue
        if key(m.group(1)) not in listed:
            errors.append(f"line {no}: tolerance override for {m.group(1)}, which is not listed")
        if not (m.group(4) or "").strip():
            errors.append(f"line {no}: tolerance override for {m.group(1)} has no reason")
        for v in (m.group(2), m.group(3)):
            try:
                ok = float(v) >= 0
            except ValueError:
                ok = False
            if not ok:
                errors.append(f"line {no}: '{v}' is not a tolerance")

    present = set()
    unclassified = []
    for sub in SETS:
        d = os.path.join(root, sub)
        if not os.path.isdir(d):
            errors.append(f"{d}: missing")
            continue
        for name in sorted(os.listdir(d)):
            model = os.path.join(d, name, "model.onnx")
            if not os.path.isfile(model):
                continue
            k = f"{sub}/{name}"
            present.add(k)
            if k in listed or k in excluded or k in xfail:
                continue
            if sub == "node":
                unclassified.append(f"{k}: a node test is listed, expected to fail or excluded as out of scope")
                continue
            r = subprocess.run([onnxq, "inspect", "--json", model], capture_output=True, text=True)
            if r.returncode != 0:
                unclassified.append(f"{k}: onnxq inspect failed ({r.stderr.strip()})")
                continue
            info = json.loads(r.stdout)
            if not info["unsupported_ops"]:
                unclassified.append(f"{k}: ops {sorted(info['ops'])} are all supported")
    for k in sorted(set(listed) - present):
        errors.append(f"line {listed[k]}: listed test {k} does not exist under {root}")
    for k in sorted(set(xfail) - present):
        errors.append(f"expected failure {k} does not exist under {root}")
    for k in sorted(set(excluded) - present):
        errors.append(f"excluded test {k} does not exist under {root}")
    errors += [f"neither listed nor excluded: {u}" for u in unclassified]

    if node_test:
        for k in sorted(set(excluded) & present):
            if excluded[k].startswith("out of scope"):
                continue  # outside the denominator: passing or not, it stays excluded
            r = subprocess.run([node_test, os.path.join(root, k)], capture_output=True, text=True, timeout=300)
            if r.returncode == 0:
                errors.append(f"excluded test {k} passes now: list it (excluded because: {excluded[k]})")

    n_node = sum(k.startswith("node/") for k in listed)
    print(f"in-scope node tests: {n_node + len(xfail)} ({n_node} listed to pass, {len(xfail)} expected to fail); "
          f"pass rate {100.0 * n_node / max(1, n_node + len(xfail)):.1f}%")
    print(f"{n_node} node tests listed, {sum(k.startswith('node/') for k in excluded)} excluded with reasons; "
          f"{len(listed) - n_node} model tests listed, {len(excluded) - sum(k.startswith('node/') for k in excluded)} "
          f"excluded")
    for e in errors:
        print("error: " + e)
    if errors:
        print(f"FAIL: {len(errors)} problem(s) in {cmake_file}")
        return 1
    print("list OK" + (": every excluded test still fails" if node_test else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
