#!/usr/bin/python3
"""Regenerate the `digits` sample: a small CNN trained on scikit-learn's 8x8
handwritten digits, exported to ONNX, plus calibration / test data.

    /usr/bin/python3 samples/digits/make_digits.py [--out DIR]

Needs Debian packages python3-torch python3-onnx python3-sklearn python3-numpy.
Writes (DIR defaults to the folder holding this script):

    model.onnx                         float32 model, input "input" [batch,1,8,8],
                                       output "logits" [batch,10], opset 13
    calib/sample_000 .. sample_099/input.npy
                                       float32 [1,1,8,8], from the TRAIN split
    test/images.npy, test/labels.npy   float32 [N,1,8,8], int64 [N]
    test_data_set_0/input_0.pb, output_0.pb
                                       ONNX TensorProtos: test image 0 (batch 1)
                                       and its float logits computed by torch

Everything is seeded and single-threaded so the outputs are reproducible on
the same torch build.
"""
import argparse
import os
import random
import shutil
import sys

import numpy as np
import torch
import torch.nn as nn

SEED = 0
N_TEST = 500          # 1797 digits -> 1297 train / 500 test
N_CALIB = 100         # 10 per class, from the train split
EPOCHS = 40
BATCH = 32
LR = 2e-3


def set_determinism():
    random.seed(SEED)
    np.random.seed(SEED)
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass  # can only be set once per process
    try:
        torch.use_deterministic_algorithms(True)
    except Exception:  # older torch builds
        pass


class DigitsCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 16, 3, padding=1),    # [N,16,8,8]
            nn.BatchNorm2d(16),
            nn.ReLU(),
            nn.Conv2d(16, 32, 3, padding=1),   # [N,32,8,8]
            nn.ReLU(),
            nn.MaxPool2d(2),                   # [N,32,4,4]
            nn.Conv2d(32, 32, 3, padding=1),   # [N,32,4,4]
            nn.ReLU6(),                        # exported as Clip(0,6)
            # count_include_pad=False: same maths here (no padding), but the
            # torch 1.13 exporter then emits a bare AveragePool instead of
            # Pad(0s)+AveragePool
            nn.AvgPool2d(2, count_include_pad=False),  # [N,32,2,2]
        )
        self.flatten = nn.Flatten()            # [N,128]
        self.classifier = nn.Sequential(
            nn.Linear(32 * 2 * 2, 64),
            nn.ReLU(),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        return self.classifier(self.flatten(self.features(x)))


def load_split():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    d = load_digits()
    x = (d.images.astype(np.float32) / 16.0).reshape(-1, 1, 8, 8)
    y = d.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(
        x, y, test_size=N_TEST, random_state=SEED, stratify=y)
    return (np.ascontiguousarray(x_tr), y_tr, np.ascontiguousarray(x_te), y_te)


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        pred = model(torch.from_numpy(x)).argmax(1).numpy()
    return float((pred == y).mean())


def train(x_tr, y_tr, x_te, y_te):
    model = DigitsCNN()
    opt = torch.optim.Adam(model.parameters(), lr=LR)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS)
    loss_fn = nn.CrossEntropyLoss()
    xt, yt = torch.from_numpy(x_tr), torch.from_numpy(y_tr)
    gen = torch.Generator().manual_seed(SEED)
    for epoch in range(EPOCHS):
        model.train()
        perm = torch.randperm(len(xt), generator=gen)
        total = 0.0
        for i in range(0, len(xt), BATCH):
            idx = perm[i:i + BATCH]
            opt.zero_grad()
            loss = loss_fn(model(xt[idx]), yt[idx])
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        sched.step()
        if (epoch + 1) % 10 == 0:
            print(f"epoch {epoch + 1:3d} loss {total / len(xt):.4f} "
                  f"test_acc {accuracy(model, x_te, y_te):.4f}")
    model.eval()
    return model


def export(model, path):
    kwargs = dict(
        input_names=["input"], output_names=["logits"],
        dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}},
        opset_version=13, do_constant_folding=True,
        training=torch.onnx.TrainingMode.EVAL,
    )
    import inspect
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False  # legacy TorchScript exporter
    dummy = torch.zeros(1, 1, 8, 8, dtype=torch.float32)
    with torch.no_grad():
        torch.onnx.export(model, (dummy,), path, **kwargs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=os.path.dirname(os.path.abspath(__file__)))
    args = ap.parse_args()
    out = args.out

    set_determinism()
    x_tr, y_tr, x_te, y_te = load_split()
    print(f"train {len(x_tr)}  test {len(x_te)}")

    model = train(x_tr, y_tr, x_te, y_te)
    acc = accuracy(model, x_te, y_te)
    print(f"torch float test accuracy: {acc:.6f} ({int(round(acc * len(y_te)))}/{len(y_te)})")
    if acc < 0.95:
        print("error: test accuracy below 0.95", file=sys.stderr)
        return 1

    import onnx
    from onnx import numpy_helper

    os.makedirs(out, exist_ok=True)
    model_path = os.path.join(out, "model.onnx")
    export(model, model_path)
    # store inferred intermediate shapes (graph.value_info) in the model
    m = onnx.shape_inference.infer_shapes(onnx.load(model_path))
    onnx.checker.check_model(m, full_check=True)
    onnx.save(m, model_path)
    print("onnx nodes:", " ".join(n.op_type for n in m.graph.node))

    # calibration: 10 samples per class from the train split, in split order
    calib_dir = os.path.join(out, "calib")
    shutil.rmtree(calib_dir, ignore_errors=True)
    per_class = N_CALIB // 10
    picked = sorted(i for c in range(10) for i in np.flatnonzero(y_tr == c)[:per_class])
    for k, i in enumerate(picked):
        d = os.path.join(calib_dir, f"sample_{k:03d}")
        os.makedirs(d)
        np.save(os.path.join(d, "input.npy"),
                np.ascontiguousarray(x_tr[i:i + 1], dtype="<f4"))

    test_dir = os.path.join(out, "test")
    os.makedirs(test_dir, exist_ok=True)
    np.save(os.path.join(test_dir, "images.npy"), np.ascontiguousarray(x_te, dtype="<f4"))
    np.save(os.path.join(test_dir, "labels.npy"), np.ascontiguousarray(y_te, dtype="<i8"))

    # ONNX-style reference input/output for test image 0
    tds = os.path.join(out, "test_data_set_0")
    os.makedirs(tds, exist_ok=True)
    x0 = np.ascontiguousarray(x_te[0:1])
    with torch.no_grad():
        y0 = model(torch.from_numpy(x0)).numpy().astype(np.float32)
    with open(os.path.join(tds, "input_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(x0, "input").SerializeToString())
    with open(os.path.join(tds, "output_0.pb"), "wb") as f:
        f.write(numpy_helper.from_array(y0, "logits").SerializeToString())
    print(f"test image 0: label {y_te[0]} torch logits argmax {int(y0.argmax())}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
