#!/usr/bin/env python3
"""Seed corpora for the libFuzzer harnesses, generated (never committed in bulk):

    make_seeds.py SOURCE_ROOT OUT_DIR [--small] [--onnxq PATH]

OUT_DIR/<harness>/ for load, external, npy, sample, run, quantize, cli. Sources: samples/digits, tests/fixtures, the
ONNX backend node models of Debian's libonnx-testdata (every one, or with --small the first 40 by name, for the
ctest smokes) and synthetic models with external data. Deterministic: the same sources give the same files."""
import glob
import hashlib
import io
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import onnx
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


def light(data, max_elems=1024):
    """A model the run and quantize harnesses execute in milliseconds: inputs and initializers of at most
    max_elems elements each (unknown extents count as 1), at most 16 nodes."""
    m = onnx.ModelProto()
    try:
        m.ParseFromString(data)
    except Exception:
        return False
    g = m.graph
    if len(g.node) > 16:
        return False
    for t in g.initializer:
        if int(np.prod(list(t.dims))) > max_elems:
            return False
    for v in g.input:
        n = 1
        for d in v.type.tensor_type.shape.dim:
            n *= d.dim_value if d.dim_value > 0 else 1
        if n > max_elems:
            return False
    return True


def _f32(*shape, seed=0):
    n = int(np.prod(shape)) if shape else 1
    return ((np.arange(n, dtype=np.float32) * 0.37 + seed) % 2.0 - 1.0).reshape(shape)


def tiny_models():
    """One- to few-node models per op family at shapes of a few elements: seeds on which the run and quantize
    harnesses spend milliseconds, not seconds (the backend models and fixtures are kept for the loader)."""
    F, I64 = TensorProto.FLOAT, TensorProto.INT64
    vi = helper.make_tensor_value_info
    init = numpy_helper.from_array
    out = []

    def model(nodes, inputs, outputs, inits=(), opset=13):
        g = helper.make_graph(nodes, "tiny", inputs, outputs, initializer=list(inits))
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
        m.ir_version = 8
        out.append(m.SerializeToString())

    x4 = [vi("X", F, [1, 4])]
    y = [vi("Y", F, None)]
    for op in ("Relu", "Sigmoid", "Tanh", "Exp", "Abs", "Neg", "Erf", "Softsign", "Floor", "Sin", "Identity"):
        model([helper.make_node(op, ["X"], ["Y"])], x4, y)
    model([helper.make_node("LeakyRelu", ["X"], ["Y"], alpha=0.2)], x4, y)
    model([helper.make_node("HardSigmoid", ["X"], ["Y"])], x4, y)
    model([helper.make_node("Softmax", ["X"], ["Y"], axis=-1)], x4, y)
    model([helper.make_node("Clip", ["X", "lo", "hi"], ["Y"])], x4, y,
          [init(np.array(-0.5, np.float32), "lo"), init(np.array(0.5, np.float32), "hi")])
    for op in ("Add", "Mul", "Sub", "Div", "Max", "Min", "Pow"):
        model([helper.make_node(op, ["X", "C"], ["Y"])], x4, y, [init(_f32(4, seed=1) + 2.0, "C")])
    model([helper.make_node("Add", ["X", "Z"], ["Y"])], x4 + [vi("Z", F, [2, 1])], y)
    model([helper.make_node("Greater", ["X", "C"], ["B"]), helper.make_node("Where", ["B", "X", "C"], ["Y"])], x4, y,
          [init(_f32(4, seed=1), "C")])
    xi = [vi("X", F, [1, 1, 3, 3])]
    model([helper.make_node("Conv", ["X", "W", "B"], ["Y"], kernel_shape=[2, 2])], xi, y,
          [init(_f32(2, 1, 2, 2), "W"), init(_f32(2, seed=3), "B")])
    model([helper.make_node("Conv", ["X", "W"], ["C"], kernel_shape=[2, 2], pads=[1, 1, 1, 1], strides=[2, 2]),
           helper.make_node("Relu", ["C"], ["R"]), helper.make_node("MaxPool", ["R"], ["Y"], kernel_shape=[2, 2])],
          xi, y, [init(_f32(2, 1, 2, 2), "W")])
    model([helper.make_node("ConvTranspose", ["X", "W"], ["Y"], kernel_shape=[2, 2])], xi, y,
          [init(_f32(1, 2, 2, 2), "W")])
    model([helper.make_node("AveragePool", ["X"], ["Y"], kernel_shape=[2, 2])], xi, y)
    model([helper.make_node("GlobalAveragePool", ["X"], ["Y"])], xi, y)
    model([helper.make_node("BatchNormalization", ["X", "s", "b", "m", "v"], ["Y"])], xi, y,
          [init(np.ones(1, np.float32), n) for n in ("s", "b", "m", "v")])
    model([helper.make_node("Resize", ["X", "", "S"], ["Y"], mode="nearest")], xi, y,
          [init(np.array([1, 1, 2, 2], np.float32), "S")])
    model([helper.make_node("Gemm", ["X", "W", "B"], ["Y"], transB=1)], x4, y,
          [init(_f32(3, 4), "W"), init(_f32(3, seed=2), "B")])
    model([helper.make_node("MatMul", ["X", "W"], ["M"]), helper.make_node("Add", ["M", "B"], ["Y"])], x4, y,
          [init(_f32(4, 3), "W"), init(_f32(3, seed=2), "B")])
    model([helper.make_node("MatMul", ["X", "Z"], ["Y"])], [vi("X", F, [2, 3]), vi("Z", F, [3, 2])], y)
    model([helper.make_node("Concat", ["X", "C"], ["Y"], axis=1)], x4, y, [init(_f32(1, 2), "C")])
    model([helper.make_node("Split", ["X"], ["Y", "Y2"], axis=1)], x4, y + [vi("Y2", F, None)])
    model([helper.make_node("Reshape", ["X", "s"], ["R"]), helper.make_node("Transpose", ["R"], ["Y"], perm=[1, 0])],
          x4, y, [init(np.array([2, 2], np.int64), "s")])
    model([helper.make_node("Flatten", ["X"], ["Y"])], xi, y)
    model([helper.make_node("Unsqueeze", ["X", "a"], ["U"]), helper.make_node("Squeeze", ["U", "a"], ["Y"])], x4, y,
          [init(np.array([0], np.int64), "a")])
    model([helper.make_node("Slice", ["X", "st", "en"], ["Y"])], x4, y,
          [init(np.array([0, 1], np.int64), "st"), init(np.array([1, 3], np.int64), "en")])
    model([helper.make_node("Gather", ["X", "i"], ["Y"], axis=1)], x4, y, [init(np.array([2, 0], np.int64), "i")])
    model([helper.make_node("Expand", ["X", "s"], ["Y"])], x4, y, [init(np.array([2, 4], np.int64), "s")])
    model([helper.make_node("Tile", ["X", "r"], ["Y"])], x4, y, [init(np.array([2, 1], np.int64), "r")])
    model([helper.make_node("Shape", ["X"], ["S"]), helper.make_node("ConstantOfShape", ["S"], ["Y"])], x4, y)
    model([helper.make_node("Range", ["a", "b", "d"], ["Y"])], [], y,
          [init(np.array(0, np.float32), "a"), init(np.array(3, np.float32), "b"), init(np.array(1, np.float32), "d")])
    model([helper.make_node("Cast", ["X"], ["Y"], to=I64)], x4, [vi("Y", I64, None)])
    model([helper.make_node("ArgMax", ["X"], ["Y"], axis=1)], x4, [vi("Y", I64, None)])
    model([helper.make_node("TopK", ["X", "k"], ["Y", "I"], axis=1)], x4, y + [vi("I", I64, None)],
          [init(np.array([2], np.int64), "k")])
    model([helper.make_node("CumSum", ["X", "a"], ["Y"])], x4, y, [init(np.array(1, np.int64), "a")])
    model([helper.make_node("Constant", [], ["C"], value=init(_f32(4), "c")), helper.make_node("Add", ["X", "C"], ["Y"])],
          x4, y)
    model([helper.make_node("QuantizeLinear", ["X", "s", "z"], ["Q"]),
           helper.make_node("DequantizeLinear", ["Q", "s", "z"], ["Y"])], x4, y,
          [init(np.array(0.01, np.float32), "s"), init(np.array(3, np.uint8), "z")])
    then = helper.make_graph([helper.make_node("Relu", ["X"], ["T"])], "then", [], [vi("T", F, None)])
    els = helper.make_graph([helper.make_node("Neg", ["X"], ["E"])], "else", [], [vi("E", F, None)])
    model([helper.make_node("ReduceSum", ["X"], ["S"], keepdims=0),
           helper.make_node("Greater", ["S", "z"], ["B"]),
           helper.make_node("If", ["B"], ["Y"], then_branch=then, else_branch=els)], x4, y,
          [init(np.array(0, np.float32), "z")])
    h = 2
    for op, gates in (("LSTM", 4), ("GRU", 3), ("RNN", 1)):
        model([helper.make_node(op, ["X", "W", "R"], ["Y"], hidden_size=h)], [vi("X", F, [2, 1, 3])], y,
              [init(_f32(1, gates * h, 3), "W"), init(_f32(1, gates * h, h, seed=1), "R")])
    return out


def plan_model():
    """The fixed model of the plan and calibration-data harnesses (tests/fuzz/fuzz_model.h holds its bytes, written
    by `make_seeds.py --header PATH`, then clang-format -i): X [1,1,3,3] -> Conv (bias) -> Relu -> Flatten -> Gemm -> Y, and a MatMul
    with a constant beside it, so a plan has activations, per-channel weights, biases and a removed Relu."""
    F = TensorProto.FLOAT
    init = numpy_helper.from_array
    nodes = [helper.make_node("Conv", ["X", "W", "B"], ["C"], kernel_shape=[2, 2], name="conv"),
             helper.make_node("Relu", ["C"], ["R"], name="relu"),
             helper.make_node("Flatten", ["R"], ["Fl"], name="flat"),
             helper.make_node("Gemm", ["Fl", "W2", "B2"], ["Y"], transB=1, name="gemm"),
             helper.make_node("MatMul", ["Fl", "W3"], ["Z"], name="mm")]
    inits = [init(_f32(2, 1, 2, 2), "W"), init(_f32(2, seed=3), "B"), init(_f32(3, 8, seed=1), "W2"),
             init(_f32(3, seed=2), "B2"), init(_f32(8, 2, seed=4), "W3")]
    g = helper.make_graph(nodes, "plan", [helper.make_tensor_value_info("X", F, [1, 1, 3, 3])],
                          [helper.make_tensor_value_info("Y", F, [1, 3]), helper.make_tensor_value_info("Z", F, [1, 2])],
                          initializer=inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    return m.SerializeToString()


def write_header(path):
    data = plan_model()
    rows = [", ".join("0x%02x" % b for b in data[i:i + 16]) for i in range(0, len(data), 16)]
    with open(path, "w") as f:
        f.write("/* Generated by tests/fuzz/make_seeds.py --header (plan_model): the fixed model of fuzz_plan and "
                "fuzz_calib_data. */\n")
        f.write("static const unsigned char k_fz_model[] = {\n  " + ",\n  ".join(rows) + "};\n")


def calib_data_seeds(out):
    """fuzz_calib_data: byte 0 picks .npz / batched .npy / PNG / JPEG / BMP, the rest is the file."""
    x = _f32(1, 1, 3, 3)
    for save in (np.savez, np.savez_compressed):
        for arrays in ({"X": x}, {"X": x, "other": np.arange(3)}, {"X": x.astype(np.float64)}, {"Y": x}):
            b = io.BytesIO()
            save(b, **arrays)
            put(out, "calib_data", b"\x00" + b.getvalue())
    for a in (np.concatenate([x, x + 1]), x, np.zeros((0, 1, 3, 3), np.float32), np.stack([x])):
        put(out, "calib_data", b"\x01" + npy_bytes(a))
    from PIL import Image
    img = Image.fromarray((np.arange(12, dtype=np.uint8) * 20).reshape(3, 4))
    for kind, fmt, mode in ((2, "PNG", "L"), (2, "PNG", "RGB"), (2, "PNG", "P"), (3, "JPEG", "L"), (3, "JPEG", "RGB"),
                            (4, "BMP", "L"), (4, "BMP", "RGB")):
        b = io.BytesIO()
        img.convert(mode).save(b, fmt)
        put(out, "calib_data", bytes([kind]) + b.getvalue())


def plan_seeds(out, onnxq):
    """fuzz_plan: the plan onnxq writes for plan_model() and edits of it (types, axes, blocks, scales, ranges,
    quantized flags), or without onnxq a hand-written plan."""
    import json
    plans = [{"format": "onnxq-plan", "version": 1, "values": [
        {"name": "X", "quantized": True, "type": "uint8", "range": [-1, 1]},
        {"name": "W", "quantized": True, "type": "int8", "symmetric": True, "axis": 0},
        {"name": "W2", "type": "int4", "axis": 0, "block": 0}]}]
    if onnxq:
        with tempfile.TemporaryDirectory() as tmp:
            m = os.path.join(tmp, "m.onnx")
            with open(m, "wb") as f:
                f.write(plan_model())
            os.makedirs(os.path.join(tmp, "c/s0"))
            np.save(os.path.join(tmp, "c/s0/X.npy"), _f32(1, 1, 3, 3))
            pj = os.path.join(tmp, "p.json")
            for extra in ([], ["--per-tensor"], ["--weight-type", "int4", "--block-size", "16"]):
                r = subprocess.run([onnxq, "quantize", m, "--calib", os.path.join(tmp, "c"), "-o",
                                    os.path.join(tmp, "q.onnx"), "--plan-out", pj] + extra,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                if r.returncode == 0:
                    with open(pj) as f:
                        plans.append(json.load(f))
    base = plans[-1]
    edits = [("quantized", False), ("type", "int16"), ("type", "uint4"), ("axis", -1), ("axis", 1), ("block", 4),
             ("symmetric", True), ("scale", [0.5]), ("zero_point", [7]), ("range", [-2.0, 3.0])]
    for i, v in enumerate(base["values"]):
        k, val = edits[i % len(edits)]
        e = json.loads(json.dumps(base))
        e["values"][i][k] = val
        plans.append(e)
    for p in plans:
        put(out, "plan", json.dumps(p).encode())
        put(out, "plan", json.dumps(p, indent=1).encode())


def main():
    if sys.argv[1] == "--header":
        write_header(sys.argv[2])
        return
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
        put(out, "load", data)
        put(out, "external", data)
        if light(data):
            put(out, "run", data)
            put(out, "quantize", data)
    for data in tiny_models():
        for h in ("load", "run", "quantize"):
            put(out, h, data)
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
    put(out, "calib_table", b"TRT-8601-EntropyCalibration2\ninput: 3c010a14\n/conv/Conv_output_0: 3d8f5c29\n")
    put(out, "calib_table", b"TRT-8501-MinMaxCalibration\nx: 0.5\ny: 1e-3\n")
    calib_data_seeds(out)
    plan_seeds(out, sys.argv[sys.argv.index("--onnxq") + 1] if "--onnxq" in sys.argv else None)
    if "--onnxq" in sys.argv:
        onnxq = sys.argv[sys.argv.index("--onnxq") + 1]
        with tempfile.TemporaryDirectory() as tmp:
            calib = os.path.join(tmp, "calib")
            for smp in ("sample_000", "sample_001"):
                shutil.copytree(os.path.join(root, "samples/digits/calib", smp), os.path.join(calib, smp))
            model = os.path.join(root, "samples/digits/model.onnx")
            # small tables only (8 and 16 bins: every field and section of the format, a few KiB): a 2048-bin
            # table of 190 KiB held calib_table at about 140 executions per second
            for extra in (["--bins", "8"], ["--bins", "16"]):
                t = os.path.join(tmp, "t.table")
                subprocess.run([onnxq, "calibrate", model, "--calib", calib, "-o", t] + extra, check=True,
                               stdout=subprocess.DEVNULL)
                with open(t, "rb") as f:
                    put(out, "calib_table", f.read())
                c = os.path.join(tmp, "c.cache")
                subprocess.run([onnxq, "calibrate", model, "--table", t, "--trt-cache", c], check=True,
                               stdout=subprocess.DEVNULL)
                with open(c, "rb") as f:
                    put(out, "calib_table", f.read())


if __name__ == "__main__":
    main()
