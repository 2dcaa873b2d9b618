#!/usr/bin/python3
"""Exports the real-model e2e fixtures with torch.onnx into OUT_DIR/<name>/model.onnx plus one sample folder
OUT_DIR/<name>/data/s0/<input>.npy: a 2-layer transformer encoder (opset 17, d_model 256, seq 32), a 2-layer LSTM
with a linear head (opset 17) and a bidirectional GRU (opset 14). Seeded, so the files are the same on every run.

usage: /usr/bin/python3 tests/e2e/make_exports.py OUT_DIR"""
import os
import sys
import warnings

import numpy as np
import torch

warnings.filterwarnings("ignore")
if len(sys.argv) != 2:
    sys.exit(__doc__)
out = sys.argv[1]
torch.manual_seed(0)


def save(name, model, args, names, opset):
    os.makedirs(os.path.join(out, name, "data", "s0"), exist_ok=True)
    kw = {"dynamo": False} if "dynamo" in torch.onnx.export.__code__.co_varnames else {}
    torch.onnx.export(model.eval(), args, os.path.join(out, name, "model.onnx"), opset_version=opset,
                      input_names=names, **kw)
    for n, a in zip(names, args):
        np.save(os.path.join(out, name, "data", "s0", n + ".npy"), a.numpy())


class Lstm(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = torch.nn.LSTM(64, 128, 2, batch_first=True)
        self.fc = torch.nn.Linear(128, 10)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.fc(y)


layer = torch.nn.TransformerEncoderLayer(256, 4, 512, batch_first=True)
save("transformer", torch.nn.TransformerEncoder(layer, 2), (torch.randn(1, 32, 256),), ["src"], 17)
save("lstm", Lstm(), (torch.randn(1, 20, 64),), ["x"], 17)
save("gru", torch.nn.GRU(32, 48, 1, bidirectional=True), (torch.randn(7, 2, 32),), ["x"], 14)
