#!/usr/bin/python3
"""Real-looking inputs for the PaddleOCR models: crops of scikit-learn's sample photographs and a synthesized
text image (dark words on a light, noisy background), preprocessed as PaddleOCR does.

  python3 make_ocr_inputs.py cls|det|rec OUT_DIR [SAMPLES [SEED]]

Writes OUT_DIR/<k>/x.npy (float32, NCHW) for k = 0..SAMPLES-1. cls: batches of 4 crops of 3x48x192, scaled to
[-1, 1] ((v/255 - 0.5) / 0.5). det: one 3x256x320 image per sample, ImageNet mean/std normalization. rec: batches of
2 text lines of 3x48x320, scaled to [-1, 1]. Deterministic.
"""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont
from sklearn.datasets import load_sample_image

WORDS = ["onnxq", "PaddleOCR", "quantize", "2026", "Tensor", "runtime", "Conv", "OCR text", "hello world",
         "invoice 17.40", "Total: 93", "model.onnx"]


def text_image(w, h, rng, lines):
    """A light, slightly textured page with dark words of several sizes; RGB uint8."""
    base = rng.integers(200, 250, size=3)
    page = np.clip(base + rng.normal(0, 6, size=(h, w, 3)), 0, 255).astype(np.uint8)
    img = Image.fromarray(page)
    draw = ImageDraw.Draw(img)
    font = ImageFont.load_default()
    y = int(rng.integers(2, 8))
    for _ in range(lines):
        words = " ".join(rng.choice(WORDS, size=int(rng.integers(1, 4))))
        # the default bitmap font is small: draw it on its own layer and scale it up like larger print
        scale = int(rng.integers(2, 4))
        tw, th = draw.textbbox((0, 0), words, font=font)[2:]
        layer = Image.new("L", (tw + 2, th + 2), 0)
        ImageDraw.Draw(layer).text((1, 1), words, fill=255, font=font)
        layer = layer.resize(((tw + 2) * scale, (th + 2) * scale), Image.BILINEAR)
        x = int(rng.integers(2, max(3, w // 4)))
        ink = tuple(int(v) for v in rng.integers(0, 60, size=3))
        img.paste(Image.new("RGB", layer.size, ink), (x, y), layer)
        y += layer.size[1] + int(rng.integers(2, 10))
        if y >= h - 8:
            break
    return np.asarray(img.filter(ImageFilter.GaussianBlur(0.6)))


def photo_crop(rng, w, h):
    photo = load_sample_image(["china.jpg", "flower.jpg"][int(rng.integers(0, 2))])
    y = int(rng.integers(0, photo.shape[0] - h))
    x = int(rng.integers(0, photo.shape[1] - w))
    return photo[y:y + h, x:x + w]


def cls_batch(rng):
    crops = []
    for i in range(4):
        if i % 2 == 0:
            img = text_image(192, 48, rng, 1)
            if i == 2:
                img = img[::-1, ::-1]  # upside-down text: what the classifier is for
        else:
            img = photo_crop(rng, 192, 48)
        crops.append(img)
    x = np.stack(crops).astype(np.float32) / 255.0
    return ((x - 0.5) / 0.5).transpose(0, 3, 1, 2).copy()


def rec_batch(rng):
    lines = [text_image(320, 48, rng, 1) for _ in range(2)]
    x = np.stack(lines).astype(np.float32) / 255.0
    return ((x - 0.5) / 0.5).transpose(0, 3, 1, 2).copy()


def det_image(rng, k):
    if k % 2 == 0:
        img = text_image(320, 256, rng, 8)
    else:
        # a photograph with a text label pasted on it
        img = photo_crop(rng, 320, 256).copy()
        img[150:214, 20:300] = text_image(280, 64, rng, 2)
    x = img.astype(np.float32) / 255.0
    mean = np.array([0.485, 0.456, 0.406], np.float32)
    std = np.array([0.229, 0.224, 0.225], np.float32)
    return ((x - mean) / std).transpose(2, 0, 1)[None].copy()


def main():
    if len(sys.argv) not in (3, 4, 5) or sys.argv[1] not in ("cls", "det", "rec"):
        sys.exit("usage: make_ocr_inputs.py cls|det|rec OUT_DIR [SAMPLES [SEED]]")
    kind, out = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) >= 4 else 2
    seed = int(sys.argv[4]) if len(sys.argv) == 5 else 0
    rng = np.random.default_rng({"cls": 20261203, "det": 4242, "rec": 777}[kind] + seed)
    for k in range(n):
        d = os.path.join(out, str(k))
        os.makedirs(d, exist_ok=True)
        x = cls_batch(rng) if kind == "cls" else det_image(rng, k) if kind == "det" else rec_batch(rng)
        np.save(os.path.join(d, "x.npy"), x.astype(np.float32))
    print(f"{kind}: {n} samples in {out}")


if __name__ == "__main__":
    main()
