#!/usr/bin/python3
"""Models and real-photograph data for the quantized-model benchmarks (bench/quant_bench.sh) and accuracy floors.

    /usr/bin/python3 bench/quant_models.py OUT_DIR [--size 128] [--calib 32] [--eval 16] [--models a,b,...]

For each model: OUT_DIR/<name>/model.onnx, OUT_DIR/<name>/calib/sample_NNN/input.npy and
OUT_DIR/<name>/eval/sample_NNN/input.npy. Images: crops of scikit-learn's two sample photographs (china.jpg,
flower.jpg; Debian's python3-sklearn), resized, randomly flipped and normalized like ImageNet; calibration and
evaluation crops come from disjoint halves of each photograph. Torchvision architectures have seeded random
weights (no download); their BatchNormalization statistics are then estimated on other crops of the photographs in
training mode, so activations have the ranges real images give rather than those of untrained statistics. The
transformer encoder (2 layers, d_model 256, 4 heads, feed-forward 512, a linear head: the issue's size, as
tests/e2e/make_exports.py) reads 32 tokens made from patches of the same crops. Nothing it writes is committed.
"""
import argparse
import os

import numpy as np
import torch
import torchvision
from sklearn.datasets import load_sample_images

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def crops(rng, n, size, half):
    """n crops of size x size from the left (half 0) or right (half 1) half of each sample photograph."""
    imgs = load_sample_images().images
    out = []
    for i in range(n):
        img = imgs[i % len(imgs)].astype(np.float32) / 255.0
        h, w, _ = img.shape
        x0, x1 = (0, w // 2) if half == 0 else (w // 2, w)
        side = int(rng.integers(size, min(h, x1 - x0) + 1))
        top = int(rng.integers(0, h - side + 1))
        left = int(rng.integers(x0, x1 - side + 1))
        c = torch.from_numpy(img[top:top + side, left:left + side]).permute(2, 0, 1)[None]
        c = torch.nn.functional.interpolate(c, size=(size, size), mode="bilinear", align_corners=False)[0]
        c = c.permute(1, 2, 0).numpy()
        if rng.random() < 0.5:
            c = c[:, ::-1]
        out.append(((c - MEAN) / STD).transpose(2, 0, 1).astype(np.float32))
    return np.stack(out)


class Encoder(torch.nn.Module):
    def __init__(self, size, d=256, tokens=32):
        super().__init__()
        self.patch = size // 8
        self.proj = torch.nn.Linear(3 * self.patch * self.patch, d)
        layer = torch.nn.TransformerEncoderLayer(d, 4, dim_feedforward=2 * d, dropout=0.0, batch_first=True)
        self.enc = torch.nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = torch.nn.Linear(d, 10)
        self.tokens = tokens

    def forward(self, x):
        p = self.patch
        b = x.shape[0]
        t = x[:, :, : 4 * p, :].reshape(b, 3, 4, p, 8, p).permute(0, 2, 4, 1, 3, 5).reshape(b, self.tokens, 3 * p * p)
        return self.head(self.enc(self.proj(t)).mean(dim=1))


MODELS = {
    "resnet18": (lambda s: torchvision.models.resnet18(num_classes=10), 13),
    "mobilenet_v2": (lambda s: torchvision.models.mobilenet_v2(num_classes=10), 13),
    "shufflenet_v2_x1_0": (lambda s: torchvision.models.shufflenet_v2_x1_0(num_classes=10), 13),
    "efficientnet_b0": (lambda s: torchvision.models.efficientnet_b0(num_classes=10), 13),
    "squeezenet1_1": (lambda s: torchvision.models.squeezenet1_1(num_classes=10), 13),
    "transformer": (lambda s: Encoder(s), 17),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--calib", type=int, default=32)
    ap.add_argument("--eval", type=int, default=16)
    ap.add_argument("--models", default=",".join(MODELS))
    args = ap.parse_args()
    rng = np.random.default_rng(7)
    calib = crops(rng, args.calib, args.size, 0)
    evals = crops(rng, args.eval, args.size, 1)
    stats = torch.from_numpy(crops(rng, 64, args.size, 0))
    for k, name in enumerate(args.models.split(",")):
        make, opset = MODELS[name]
        torch.manual_seed(2000 + k)
        model = make(args.size)
        model.train()
        with torch.no_grad():  # BatchNormalization statistics from photographs
            for i in range(0, len(stats), 16):
                model(stats[i:i + 16])
        model.eval()
        d = os.path.join(args.out, name)
        os.makedirs(d, exist_ok=True)
        torch.onnx.export(model, torch.from_numpy(calib[:1]), os.path.join(d, "model.onnx"), opset_version=opset,
                          input_names=["input"], output_names=["logits"], do_constant_folding=True)
        for sub, data in (("calib", calib), ("eval", evals)):
            for s in range(len(data)):
                sd = os.path.join(d, sub, f"sample_{s:03d}")
                os.makedirs(sd, exist_ok=True)
                np.save(os.path.join(sd, "input.npy"), data[s:s + 1])
        print(name, flush=True)


if __name__ == "__main__":
    main()
