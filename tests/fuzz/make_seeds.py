#!/usr/bin/env python3
"""Seed corpora for the libFuzzer harnesses, generated (never committed in bulk):

    make_seeds.py SOURCE_ROOT OUT_DIR [--small]

OUT_DIR/<harness>/ for load, external, npy, sample, run, quantize, cli. Sources: samples/digits, tests/fixtures, the
ONNX backend node models of Debian's libonnx-testdata (every one, or with --small the first 40 by name, for the
ctest smokes) and synthetic models with external data. Deterministic: the same sources give the same files."""
import glob
import hashlib
import io
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

TESTDATA = "/usr/share/libonnx-testdata/data"
SEP = b"\n--data--\n"


def put(out, harness, data):
    d = os.path.join(out, harness)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


def npy_bytes(a):
    b = io.BytesIO()
    np.save(b, a)
    return b.getvalue()


def ext_tensor(name, dims, entries):
    t = TensorProto()
    t.name = name
    t.data_type = TensorProto.FLOAT
    t.dims.extend(dims)
    t.data_location = TensorProto.EXTERNAL
    for k, v in entries:
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def external_models():
    """Models whose weights live in w.bin / w2.bin, laid out as the fuzz_external harness reads them."""
    w = np.arange(12, dtype=np.float32).reshape(3, 4)
    b = np.ones(3, dtype=np.float32)
    res = []
    layouts = [
        ([("location", "w.bin"), ("offset", "0"), ("length", "48")],
         [("location", "w.bin"), ("offset", "48"), ("length", "12")], [w.tobytes() + b.tobytes()]),
        ([("location", "w.bin")], [("location", "w2.bin"), ("offset", "0")], [w.tobytes(), b.tobytes()]),
    ]
    for wl, bl, files in layouts:
        for op in ("Gemm", "MatMulAdd"):
            inits = [ext_tensor("W", [3, 4], wl), ext_tensor("B", [3], bl)]
            if op == "Gemm":
                nodes = [helper.make_node("Gemm", ["X", "W", "B"], ["Y"], transB=1)]
            else:
                nodes = [helper.make_node("Transpose", ["W"], ["Wt"]), helper.make_node("MatMul", ["X", "Wt"], ["M"]),
                         helper.make_node("Add", ["M", "B"], ["Y"])]
            g = helper.make_graph(nodes, "ext", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 4])],
                                  [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [1, 3])], initializer=inits)
            m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
            m.ir_version = 7
            res.append(SEP.join([m.SerializeToString()] + files))
    return res


def main():
    root, out = sys.argv[1], sys.argv[2]
    small = "--small" in sys.argv
    models = [os.path.join(root, "samples/digits/model.onnx")]
    models += sorted(glob.glob(os.path.join(root, "tests/fixtures/**/*.onnx"), recursive=True))
    node = sorted(glob.glob(os.path.join(TESTDATA, "node/*/model.onnx")))
    models += node[:40] if small else node
    if not small:
        for sub in ("pytorch-converted", "pytorch-operator", "simple"):
            models += sorted(glob.glob(os.path.join(TESTDATA, sub, "*/model.onnx")))
    for p in models:
        with open(p, "rb") as f:
            data = f.read()
        if len(data) > (1 << 20):
            continue
        for h in ("load", "run", "quantize"):
            put(out, h, data)
        put(out, "external", data)
    for data in external_models():
        put(out, "external", data)
        put(out, "load", data.split(SEP)[0])
    # tensors: .npy of every dtype the readers know, shapes scalar to 4-D, and the backend tests' .pb inputs
    arrays = [np.zeros((), np.float32), np.arange(6, dtype=np.float32).reshape(2, 3), np.ones((1, 1, 2, 2), np.uint8),
              np.arange(4, dtype=np.int64), np.array([1, -2], np.int8), np.array([True, False]),
              np.zeros((0, 3), np.float32), np.arange(3, dtype=np.float16), np.arange(3, dtype=np.float64),
              np.arange(3, dtype=np.int32), np.arange(3, dtype=np.uint16), np.asfortranarray(np.ones((2, 2)))]
    for a in arrays:
        put(out, "npy", npy_bytes(a))
        put(out, "sample", b"\x00" + npy_bytes(a))
        put(out, "sample", b"\x01" + numpy_helper.from_array(np.ascontiguousarray(a)).SerializeToString())
    for p in sorted(glob.glob(os.path.join(root, "samples/digits/calib/*/*.npy")))[:4]:
        with open(p, "rb") as f:
            put(out, "npy", f.read())
    pbs = sorted(glob.glob(os.path.join(TESTDATA, "node/*/test_data_set_0/input_0.pb")))
    for p in pbs[:60:3] if small else pbs:
        with open(p, "rb") as f:
            put(out, "sample", b"\x01" + f.read())
    for args in (["inspect", "m.onnx"], ["inspect", "m.onnx", "--json"], ["convert", "m.onnx", "-o", "x.onnx"],
                 ["run", "m.onnx", "-i", "s", "-o", "out"], ["run", "m.onnx", "--inputs", "s", "--output", "o",
                                                              "--threads", "2"],
                 ["quantize", "m.onnx", "--calib", "c", "-o", "q.onnx"], ["--help"], ["-V"], ["quantize", "--help"],
                 ["run", "m.onnx", "-i", "s", "-o", "out", "--max-seconds", "1", "--max-tensor-bytes", "1000"]):
        put(out, "cli", "\n".join(args).encode())


if __name__ == "__main__":
    main()
