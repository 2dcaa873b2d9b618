#!/usr/bin/python3
"""Writes the bundled digits calibration samples (sample folders of input.npy) in the other data formats onnxq reads:
OUT/npz (one .npz per sample, compressed and not), OUT/npy (one input.npy with the samples along axis 0),
OUT/exact (sample folders whose file carries an exact input name that needs sanitizing is not possible for 'input',
so only the two formats above)."""
import os
import sys

import numpy as np

src, out = sys.argv[1], sys.argv[2]
names = sorted(n for n in os.listdir(src) if not n.startswith("."))
arrays = [np.load(os.path.join(src, n, "input.npy")) for n in names]
os.makedirs(os.path.join(out, "npz"), exist_ok=True)
os.makedirs(os.path.join(out, "npy"), exist_ok=True)
for i, (n, a) in enumerate(zip(names, arrays)):
    save = np.savez_compressed if i % 2 else np.savez
    save(os.path.join(out, "npz", n + ".npz"), input=a)
np.save(os.path.join(out, "npy", "input.npy"), np.concatenate(arrays, axis=0))
