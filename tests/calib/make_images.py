#!/usr/bin/python3
"""Writes the digits calibration samples ([1,1,8,8] float in 0..1) as 8-bit gray images, pixel = round(255 x):
OUT/png (gray PNG), OUT/bmp (24-bit BMP, R = G = B), OUT/jpg (JPEG, quality 95), OUT/big (PNG upscaled to 24x32,
for --resize), plus OUT/bad (one valid PNG and one truncated)."""
import os
import sys

import numpy as np
from PIL import Image

src, out = sys.argv[1], sys.argv[2]
names = sorted(n for n in os.listdir(src) if not n.startswith("."))
for sub in ("png", "bmp", "jpg", "big", "bad"):
    os.makedirs(os.path.join(out, sub), exist_ok=True)
for n in names:
    a = np.load(os.path.join(src, n, "input.npy"))[0, 0]
    img = Image.fromarray(np.clip(np.rint(a * 255), 0, 255).astype(np.uint8), "L")
    img.save(os.path.join(out, "png", n + ".png"))
    img.convert("RGB").save(os.path.join(out, "bmp", n + ".bmp"))
    img.save(os.path.join(out, "jpg", n + ".jpg"), quality=95)
    img.resize((32, 24), Image.NEAREST).save(os.path.join(out, "big", n + ".PNG"))
img.save(os.path.join(out, "bad", "a.png"))
data = open(os.path.join(out, "png", names[0] + ".png"), "rb").read()
open(os.path.join(out, "bad", "b.png"), "wb").write(data[: len(data) // 2])
