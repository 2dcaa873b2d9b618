#!/usr/bin/python3
"""Writes N random sample folders for a model's float inputs (symbolic dims become 1), as onnxq reads them.

    /usr/bin/python3 tests/e2e/make_calib.py MODEL.onnx OUT_DIR N SEED
"""
import os
import re
import shutil
import sys

import numpy as np
import onnx

model_path, out, n, seed = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
m = onnx.load(model_path)
inits = {t.name for t in m.graph.initializer}
rng = np.random.default_rng(seed)
if os.path.isdir(out):
    shutil.rmtree(out)
for k in range(n):
    d = os.path.join(out, f"sample_{k:03d}")
    os.makedirs(d)
    for vi in m.graph.input:
        if vi.name in inits:
            continue
        shape = [dim.dim_value if dim.HasField("dim_value") else 1 for dim in vi.type.tensor_type.shape.dim]
        x = rng.standard_normal(shape).astype(np.float32)
        np.save(os.path.join(d, re.sub(r"[^A-Za-z0-9._-]", "_", vi.name) + ".npy"), x)
