#!/usr/bin/python3
"""compare_outputs.py GOT.npy EXPECTED.(pb|npy) TOL: exit 0 when shapes match and max |got - expected| <= TOL."""
import sys

import numpy as np
from onnx import TensorProto, numpy_helper

got_path, want_path, tol = sys.argv[1], sys.argv[2], float(sys.argv[3])
got = np.load(got_path)
if want_path.endswith(".pb"):
    t = TensorProto()
    with open(want_path, "rb") as f:
        t.ParseFromString(f.read())
    want = numpy_helper.to_array(t)
else:
    want = np.load(want_path)
if got.shape != want.shape:
    sys.exit(f"error: shape {got.shape} != expected {want.shape}")
diff = float(np.max(np.abs(got.astype(np.float64) - want.astype(np.float64)))) if got.size else 0.0
print(f"max abs diff {diff:.3g} (tolerance {tol:g})")
sys.exit(0 if diff <= tol else 1)
