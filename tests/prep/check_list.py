#!/usr/bin/env python3
"""prep.list_complete: every model of the ONNX backend test data with a default-domain opset below 13 is named in
tests/prep/testdata_models.txt (listed, or commented out with a reason), and every listed one exists.
Usage: check_list.py TESTDATA_ROOT LIST"""
import glob
import os
import re
import sys

import onnx

root, listfile = sys.argv[1], sys.argv[2]
named, bad = set(), []
for line in open(listfile):
    m = re.match(r"^\s*(#\s*)?([\w.-]+/test_\w+)\s*(#\s*(.*))?$", line)
    if not m:
        continue
    if m.group(1) and not (m.group(4) or "").strip():
        bad.append(f"{m.group(2)}: excluded without a reason")
    named.add(m.group(2))
    if not os.path.isfile(os.path.join(root, m.group(2), "model.onnx")):
        bad.append(f"{m.group(2)}: no such test")
for f in sorted(glob.glob(os.path.join(root, "*", "test_*", "model.onnx"))):
    m = onnx.load(f, load_external_data=False)
    v = [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")]
    name = os.path.relpath(os.path.dirname(f), root)
    if v and v[0] < 13 and name not in named:
        bad.append(f"{name} (opset {v[0]}) is neither listed nor excluded")
for b in bad:
    print(b)
print(f"{len(named)} named, {len(bad)} problems")
sys.exit(1 if bad else 0)
