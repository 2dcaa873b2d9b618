#!/usr/bin/python3
"""Writes the hostile-input fixtures for tests/hostile into OUT_DIR (run by ctest before the cases).

    /usr/bin/python3 tests/hostile/make_fixtures.py SOURCE_DIR OUT_DIR

Everything is generated (nothing binary is committed): broken model files, models whose external data points
outside their folder, graphs that are cyclic or dangling, and sample folders that disagree with the model.
Deterministic: random bytes come from a fixed seed.
"""
import os
import random
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

src, out = sys.argv[1], sys.argv[2]
digits = os.path.join(src, "samples", "digits", "model.onnx")
if os.path.isdir(out):
    shutil.rmtree(out)
os.makedirs(out)
rng = random.Random(1234)


def path(*parts):
    p = os.path.join(out, *parts)
    os.makedirs(os.path.dirname(p), exist_ok=True)
    return p


def save(model, *parts):
    with open(path(*parts), "wb") as f:
        f.write(model.SerializeToString())


def model_of(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "hostile", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="onnxq-hostile")
    m.ir_version = 7
    return m


X = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])
Y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])

# A valid tiny model and a calibration folder for it: the baseline that the broken variants differ from.
tiny = model_of([helper.make_node("Relu", ["x"], ["y"], name="relu")], [X], [Y])
save(tiny, "tiny.onnx")
np.save(path("tiny_calib", "sample_000", "x.npy"), np.ones((1, 4), np.float32))
np.save(path("tiny_calib", "sample_001", "x.npy"), -np.ones((1, 4), np.float32))

# Broken files.
raw = open(digits, "rb").read()
open(path("truncated.onnx"), "wb").write(raw[: len(raw) // 2])
open(path("random.onnx"), "wb").write(bytes(rng.randrange(256) for _ in range(4096)))
open(path("empty.onnx"), "wb").close()
open(path("text.onnx"), "w").write("this is not a protobuf\n" * 8)
os.mkfifo(path("fifo.onnx"))  # opening must not wait for a writer


def varint(n):
    b = bytearray()
    while True:
        if n < 0x80:
            b.append(n)
            return bytes(b)
        b.append((n & 0x7F) | 0x80)
        n >>= 7


# 5000 nested TypeProto.sequence_type -> Sequence.elem_type pairs inside a graph input: protobuf parsers that
# recurse without a limit overflow the stack on it. Built inside-out: TypeProto{4: Sequence{1: TypeProto{...}}}.
inner = b""
for _ in range(5000):
    seq = b"\x0a" + varint(len(inner)) + inner  # Sequence.elem_type = 1
    inner = b"\x22" + varint(len(seq)) + seq  # TypeProto.sequence_type = 4
vi = b"\x0a\x01x" + b"\x12" + varint(len(inner)) + inner  # ValueInfoProto{name=1, type=2}
graph = b"\x5a" + varint(len(vi)) + vi  # GraphProto.input = 11
open(path("deep.onnx"), "wb").write(b"\x08\x07" + b"\x3a" + varint(len(graph)) + graph)  # ir_version, graph = 7

# External data escaping the model's folder. weights.bin sits in OUT_DIR; the models live in sub-folders.
w = np.arange(4, dtype=np.float32)
open(path("weights.bin"), "wb").write(w.tobytes())


def ext_model(location, length=16):
    init = helper.make_tensor("w", TensorProto.FLOAT, [4], vals=[0.0] * 4)
    init.ClearField("float_data")
    init.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", str(length))):
        e = init.external_data.add()
        e.key, e.value = k, v
    return model_of([helper.make_node("Add", ["x", "w"], ["y"], name="add")], [X], [Y], [init])


save(ext_model(os.path.abspath(path("weights.bin"))), "ext", "ext_absolute.onnx")
save(ext_model("../weights.bin"), "ext", "ext_dotdot.onnx")
save(ext_model("sub/../../weights.bin"), "ext", "ext_dotdot_inner.onnx")
os.symlink(os.path.abspath(path("weights.bin")), path("ext", "link.bin"))
save(ext_model("link.bin"), "ext", "ext_symlink.onnx")
save(ext_model("nope.bin"), "ext", "ext_missing.onnx")
shutil.copy(path("weights.bin"), path("ext", "short.bin"))
save(ext_model("short.bin", length=4096), "ext", "ext_short.onnx")

# Graphs that are structurally wrong.
save(model_of([helper.make_node("Add", ["x", "c"], ["b"], name="n1"), helper.make_node("Relu", ["b"], ["c"], name="n2")],
              [X], [helper.make_tensor_value_info("b", TensorProto.FLOAT, [1, 4])]), "cyclic.onnx")
save(model_of([helper.make_node("Relu", ["ghost"], ["y"], name="relu")], [X], [Y]), "dangling.onnx")
save(model_of([helper.make_node("Relu", ["x"], ["y"], name="a"), helper.make_node("Relu", ["x"], ["y"], name="b")],
              [X], [Y]), "double_producer.onnx")
save(model_of([helper.make_node("NoSuchOp", ["x"], ["y"], name="mystery")], [X], [Y]), "unsupported_op.onnx")
save(model_of([helper.make_node("Relu", ["x"], ["y"], name="relu")], [X],
              [helper.make_tensor_value_info("nowhere", TensorProto.FLOAT, [1, 4])]), "missing_output.onnx")

# Executor and quantizer fuzzing regressions (tests/fuzz): memory bombs must fail at once with a size error,
# empty tensors whose extents multiply past int64 are refused, a value_info that lies about a dtype is a model
# error, and an opset raise that would change a node's meaning is refused.
def i64(name, v):
    return numpy_helper.from_array(np.array(v, np.int64), name)


def f32(name, v):
    return numpy_helper.from_array(np.array(v, np.float32), name)


cos = helper.make_node("ConstantOfShape", ["s"], ["c"], name="cos")
save(model_of([cos, helper.make_node("Add", ["x", "c"], ["y"], name="add")], [X], [Y], [i64("s", [2**40])]),
     "bomb_constantofshape.onnx")
save(model_of([helper.make_node("Expand", ["x", "s"], ["y"], name="expand")], [X], [Y],
              [i64("s", [2**20, 2**20, 4])]), "bomb_expand.onnx")
save(model_of([helper.make_node("Tile", ["x", "r"], ["y"], name="tile")], [X], [Y], [i64("r", [2**20, 2**20])]),
     "bomb_tile.onnx")
save(model_of([helper.make_node("Range", ["a", "b", "d"], ["r"], name="range"),
               helper.make_node("Add", ["x", "r"], ["y"], name="add")], [X], [Y],
              [f32("a", 0.0), f32("b", 1e12), f32("d", 1.0)]), "bomb_range.onnx")
empty = helper.make_tensor("e", TensorProto.FLOAT, [0, 2**40, 2**40], [])
save(model_of([helper.make_node("Flatten", ["e"], ["f"], name="flatten"),
               helper.make_node("Relu", ["x"], ["y"], name="relu")], [X],
              [Y, helper.make_tensor_value_info("f", TensorProto.FLOAT, None)], [empty]), "empty_huge_extents.onnx")
lying = model_of([helper.make_node("Cast", ["x"], ["c"], name="cast", to=TensorProto.INT64),
                  helper.make_node("Add", ["c", "c"], ["y"], name="add")], [X],
                 [helper.make_tensor_value_info("y", TensorProto.INT64, [1, 4])])
lying.graph.value_info.append(helper.make_tensor_value_info("c", TensorProto.FLOAT, [1, 4]))
save(lying, "lying_value_info.onnx")
# Clip-6 has one input (min/max are attributes until opset 11): extra inputs must be refused, not ignored (the
# quantizer's opset raise would otherwise give them a meaning)
save(model_of([helper.make_node("Clip", ["x", "lo", "hi"], ["y"], name="clip")], [X], [Y],
              [f32("lo", 0.0), f32("hi", 1.0)], opset=6), "clip6_inputs.onnx")
# a 4096-wide MaxPool window over padding on a 32x32 image, stride 1: 5e10 visits, refused (it ran for hours)
img = numpy_helper.from_array(np.ones((1, 1, 32, 32), np.float32), "img")
save(model_of([helper.make_node("MaxPool", ["img"], ["p"], name="pool", kernel_shape=[4096, 4096], pads=[4095] * 4),
               helper.make_node("Relu", ["x"], ["y"], name="relu")], [X],
              [Y, helper.make_tensor_value_info("p", TensorProto.FLOAT, None)], [img]), "pool_over_padding.onnx")
np.save(path("unsq11_calib", "sample_000", "x.npy"), np.linspace(0, 1, 16, dtype=np.float32).reshape(1, 1, 4, 4))
# 100000 outputs whose file names collide only at the end ("o 0" and "o_0"): found without pairwise comparisons
names = ["o 0"] + [f"o{k}" for k in range(1, 99999)] + ["o_0"]
outs = [helper.make_tensor_value_info(nm, TensorProto.FLOAT, [1, 4]) for nm in names]
save(model_of([helper.make_node("Relu", ["x"], [o.name], name=f"r{k}") for k, o in enumerate(outs)], [X], outs),
     "many_outputs.onnx")

# Loops that never end on their own: no trip count M, no cond, a body without nodes that returns its cond (true)
# and x; and one whose scan output grows by 4 MB an iteration for 2^40 iterations. They must stop with one line
# (--max-seconds, --max-tensor-bytes), not hang or take all memory.
def loop_body(nodes, outputs, inits=()):
    ins = [helper.make_tensor_value_info("i", TensorProto.INT64, []),
           helper.make_tensor_value_info("c", TensorProto.BOOL, []),
           helper.make_tensor_value_info("x_in", TensorProto.FLOAT, [1, 4])]
    return helper.make_graph(nodes, "body", ins, outputs, initializer=list(inits))


cond_out = helper.make_tensor_value_info("c", TensorProto.BOOL, [])
x_out = helper.make_tensor_value_info("x_in", TensorProto.FLOAT, [1, 4])
endless = loop_body([], [cond_out, x_out])
save(model_of([helper.make_node("Loop", ["", "", "x"], ["y"], name="endless", body=endless)], [X], [Y]),
     "loop_endless.onnx")
grow = loop_body([helper.make_node("ConstantOfShape", ["n"], ["big"], name="alloc")],
                 [cond_out, x_out, helper.make_tensor_value_info("big", TensorProto.FLOAT, [2**20])], [i64("n", [2**20])])
save(model_of([helper.make_node("Loop", ["m", "", "x"], ["y", "s"], name="grow", body=grow)], [X],
              [Y, helper.make_tensor_value_info("s", TensorProto.FLOAT, None)], [i64("m", 2**40)]),
     "loop_scan_huge.onnx")

# Work bombs of the newer ops: an LpPool window 65536 wide over padding, and a DFT of length 2^40 over a
# 4-sample signal. Both must be refused for the work they would take.
save(model_of([helper.make_node("Reshape", ["x", "s"], ["r"], name="reshape"),
               helper.make_node("LpPool", ["r"], ["y"], name="lppool", kernel_shape=[65536, 65536],
                                pads=[65536, 65536, 65536, 65536])],
              [X], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [i64("s", [1, 1, 2, 2])], opset=18),
     "lppool_over_padding.onnx")
save(model_of([helper.make_node("Reshape", ["x", "s"], ["r"], name="reshape"),
               helper.make_node("DFT", ["r", "n"], ["y"], name="dft")],
              [X], [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], [i64("s", [1, 4, 1]), i64("n", 2**40)],
              opset=17), "dft_huge.onnx")

# Sample folders for the digits model (input 'input': float32 [batch,1,8,8]).
good = np.zeros((1, 1, 8, 8), np.float32)
np.save(path("samples", "wrong_dtype", "input.npy"), good.astype(np.float64))
np.save(path("samples", "wrong_shape", "input.npy"), np.zeros((1, 8, 8), np.float32))
np.save(path("samples", "fortran", "input.npy"), np.asfortranarray(np.zeros((1, 1, 8, 2), np.float32)))
open(path("samples", "corrupt_npy", "input.npy"), "wb").write(b"\x93NUMPY\x01\x00\x20\x00{'descr': '<f4', 'shape': (")
with open(path("samples", "truncated_npy", "input.npy"), "wb") as f:
    np.save(f, good)
with open(path("samples", "truncated_npy", "input.npy"), "r+b") as f:
    f.truncate(100)
open(path("samples", "corrupt_pb", "input_0.pb"), "wb").write(bytes(rng.randrange(256) for _ in range(64)))
np.save(path("samples", "extra_file", "input.npy"), good)
np.save(path("samples", "extra_file", "stray.npy"), good)
os.mkfifo(path("samples", "fifo", "input.npy"))  # opening must not block
os.makedirs(path("samples", "missing_input", "x"), exist_ok=True)
os.rmdir(path("samples", "missing_input", "x"))

# Calibration folders: one bad sample among good ones, an empty one, one with a corrupt file.
for name, bad in (("calib_bad_sample", good.astype(np.float64)), ("calib_corrupt", None)):
    np.save(path(name, "sample_000", "input.npy"), good)
    if bad is not None:
        np.save(path(name, "sample_001", "input.npy"), bad)
    else:
        open(path(name, "sample_001", "input.npy"), "wb").write(b"\x93NUMPY garbage")
os.makedirs(path("calib_empty"), exist_ok=True)

# Output == input through aliases: a folder holding the tiny model and a symlink to it.
shutil.copy(path("tiny.onnx"), path("alias", "tiny.onnx"))
os.symlink("tiny.onnx", path("alias", "link.onnx"))

# A file where run expects to create its output folder.
shutil.copy(path("tiny.onnx"), path("blocker", "tiny.onnx"))
open(path("blocker", "res"), "w").write("not a folder\n")
print(f"fixtures written to {out}")
