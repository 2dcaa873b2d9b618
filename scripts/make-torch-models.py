#!/usr/bin/python3
"""Exports torchvision architectures (seeded random weights, eval mode) to ONNX at several opsets, each with a few
random calibration samples, for checks that compare onnxq builds with each other (scripts/check-identical.sh). Nothing
it writes is committed.

    /usr/bin/python3 scripts/make-torch-models.py OUT_DIR [--size 64] [--samples 4]

Writes OUT_DIR/<name>/model.onnx and OUT_DIR/<name>/calib/sample_NNN/input.npy for each model below. Needs Debian's
python3-torch, python3-torchvision, python3-onnx and python3-numpy (use /usr/bin/python3).
"""
import argparse
import os

import numpy as np
import torch
import torchvision

# (name, constructor, opset): architectures the executor runs today, at the opsets exporters commonly use
MODELS = [
    ("resnet18_op13", lambda: torchvision.models.resnet18(num_classes=10), 13),
    ("mobilenet_v2_op13", lambda: torchvision.models.mobilenet_v2(num_classes=10), 13),
    ("squeezenet1_1_op12", lambda: torchvision.models.squeezenet1_1(num_classes=10), 12),
    ("efficientnet_b0_op13", lambda: torchvision.models.efficientnet_b0(num_classes=10), 13),
    ("mnasnet0_5_op11", lambda: torchvision.models.mnasnet0_5(num_classes=10), 11),
    ("resnet18_op17", lambda: torchvision.models.resnet18(num_classes=10), 17),
    ("googlenet_op13", lambda: torchvision.models.googlenet(num_classes=10, aux_logits=False, init_weights=True), 13),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--size", type=int, default=64)
    ap.add_argument("--samples", type=int, default=4)
    args = ap.parse_args()
    for k, (name, make, opset) in enumerate(MODELS):
        torch.manual_seed(1000 + k)
        model = make().eval()
        d = os.path.join(args.out, name)
        os.makedirs(d, exist_ok=True)
        x = torch.randn(1, 3, args.size, args.size)
        torch.onnx.export(model, x, os.path.join(d, "model.onnx"), opset_version=opset, input_names=["input"],
                          output_names=["logits"], do_constant_folding=True)
        rng = np.random.default_rng(k)
        for s in range(args.samples):
            sd = os.path.join(d, "calib", f"sample_{s:03d}")
            os.makedirs(sd, exist_ok=True)
            np.save(os.path.join(sd, "input.npy"), rng.standard_normal((1, 3, args.size, args.size)).astype(np.float32))
        print(name)


if __name__ == "__main__":
    main()
