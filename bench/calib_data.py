#!/usr/bin/python3
"""Calibration and evaluation data for bench/calib_methods.sh: 64x64 crops of scikit-learn's two sample photographs
(china.jpg, flower.jpg; Debian's python3-sklearn), even crops as PNG images (calibration, through onnxq's image
reader with ImageNet mean/std) and odd crops as sample folders of input.npy normalized the same way (evaluation).

    /usr/bin/python3 bench/calib_data.py OUT_DIR [--size 64] [--count 64]
"""
import argparse
import os

import numpy as np
from PIL import Image
from sklearn.datasets import load_sample_images

MEAN = np.array([123.675, 116.28, 103.53], np.float32)
STD = np.array([58.395, 57.12, 57.375], np.float32)

ap = argparse.ArgumentParser()
ap.add_argument("out")
ap.add_argument("--size", type=int, default=64)
ap.add_argument("--count", type=int, default=64)
a = ap.parse_args()
imgs = load_sample_images().images
rng = np.random.default_rng(0)
os.makedirs(os.path.join(a.out, "images"), exist_ok=True)
os.makedirs(os.path.join(a.out, "eval"), exist_ok=True)
for i in range(2 * a.count):
    img = imgs[i % 2]
    # crops of several scales, resized to size: varied content
    s = int(rng.integers(a.size, min(img.shape[:2])))
    y, x = (int(rng.integers(0, img.shape[0] - s + 1)), int(rng.integers(0, img.shape[1] - s + 1)))
    crop = np.asarray(Image.fromarray(img[y:y + s, x:x + s]).resize((a.size, a.size), Image.BILINEAR))
    if i % 2 == 0:
        Image.fromarray(crop).save(os.path.join(a.out, "images", "crop_%03d.png" % (i // 2)))
    else:
        d = os.path.join(a.out, "eval", "sample_%03d" % (i // 2))
        os.makedirs(d, exist_ok=True)
        x = ((crop.astype(np.float32) - MEAN) / STD).transpose(2, 0, 1)[None]
        np.save(os.path.join(d, "input.npy"), np.ascontiguousarray(x, np.float32))
