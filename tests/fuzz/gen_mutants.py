#!/usr/bin/python3
"""Structured mutants of valid ONNX models, for fuzzing onnxq's executor and quantizer (tests/fuzz/run_fuzz.py).

    /usr/bin/python3 tests/fuzz/gen_mutants.py SOURCE_DIR OUT_DIR [--seed N] [--per-base N] [--testdata DIR]

Bases: samples/digits/model.onnx, tests/fixtures/{quant,exec}/*.onnx, a selection of the libonnx-testdata node
models that onnxq supports (with their test_data_set_0 inputs) and a set of synthetic graphs built around shape
inputs (ConstantOfShape, Expand, Tile, Range, Reshape...). Every mutant is parseable protobuf but hostile: extreme
attribute values, wrong-length attribute lists, attribute type swaps, initializer dims/dtype/values changed without
their data, huge or negative shape inputs, inputs renamed or removed, outputs duplicated, opset 1 or 99, fed
tensors of the wrong shape or dtype, NaN/Inf data.

OUT_DIR/<base>/<nnnn>/ holds model.onnx, inputs/ (one sample folder) and calib/ (two sample folders); OUT_DIR/
manifest.tsv lists "id<TAB>base<TAB>folder<TAB>what was mutated". Deterministic for a given seed.
"""
import argparse
import copy
import os
import random
import re
import shutil
import sys
import zlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

I64_MAX = 2**63 - 1
I64_MIN = -(2**63)
INT_EXTREMES = [0, -1, 1, 2, 3, -2, 2**31 - 1, 2**31, -(2**31), 2**32, 2**40, 2**62, I64_MAX, I64_MIN, -(2**62)]
FLOAT_EXTREMES = [0.0, -1.0, float("nan"), float("inf"), float("-inf"), 1e38, -1e38, 3.4e38, 1e-45, -0.0, 2.0**31]
STRING_VALUES = ["", "SAME_UPPER", "SAME_LOWER", "VALID", "NOTSET", "garbage", "tanh", "none", "\x00x", "A" * 300]

# Attribute names worth adding to or setting on nodes of a type, by kind.
INT_ATTRS = {
    "Conv": ["group"], "MaxPool": ["ceil_mode", "storage_order"], "AveragePool": ["ceil_mode", "count_include_pad"],
    "Gemm": ["transA", "transB", "broadcast"], "Softmax": ["axis"], "LogSoftmax": ["axis"], "Hardmax": ["axis"],
    "Concat": ["axis"], "Gather": ["axis"], "Split": ["axis", "num_outputs"], "Flatten": ["axis"],
    "Reshape": ["allowzero"], "Cast": ["to", "saturate"], "CastLike": ["saturate"], "QuantizeLinear": ["axis",
    "saturate", "block_size", "output_dtype"], "DequantizeLinear": ["axis", "block_size"], "Shape": ["start", "end"],
    "BatchNormalization": ["training_mode", "spatial", "is_test"], "Mod": ["fmod"], "Squeeze": [], "Unsqueeze": [],
    "Transpose": [], "Slice": [], "Tile": [], "Expand": [], "Range": [], "ConstantOfShape": [], "Clip": [],
}
INTS_ATTRS = {
    "Conv": ["kernel_shape", "strides", "pads", "dilations"],
    "MaxPool": ["kernel_shape", "strides", "pads", "dilations"],
    "AveragePool": ["kernel_shape", "strides", "pads", "dilations"],
    "Transpose": ["perm"], "Squeeze": ["axes"], "Unsqueeze": ["axes"], "Split": ["split"],
    "Slice": ["starts", "ends", "axes"],
}
FLOAT_ATTRS = {
    "Gemm": ["alpha", "beta"], "LeakyRelu": ["alpha"], "Elu": ["alpha"], "Selu": ["alpha", "gamma"],
    "Celu": ["alpha"], "HardSigmoid": ["alpha", "beta"], "ThresholdedRelu": ["alpha"],
    "BatchNormalization": ["epsilon", "momentum"], "Clip": ["min", "max"],
}
STRING_ATTRS = {"Conv": ["auto_pad"], "MaxPool": ["auto_pad"], "AveragePool": ["auto_pad"], "Gelu": ["approximate"]}

SUPPORTED_OPS = ["Relu", "Sigmoid", "Tanh", "Identity", "Neg", "Abs", "Exp", "Log", "Sqrt", "Floor", "Softmax",
                 "Flatten", "Add", "Sub", "Mul", "Div", "Pow", "MatMul", "Gemm", "Conv", "MaxPool", "AveragePool",
                 "GlobalAveragePool", "Reshape", "Expand", "Tile", "Concat", "Gather", "Transpose", "Squeeze",
                 "Unsqueeze", "Slice", "Split", "Cast", "Clip", "Range", "ConstantOfShape", "Shape", "Size",
                 "QuantizeLinear", "DequantizeLinear", "BatchNormalization", "Where", "Max", "Min", "Sum", "Mean",
                 "PRelu", "Mod", "Hardmax", "LogSoftmax", "Not", "And", "Equal", "Dropout", "CastLike"]
DTYPES = [TensorProto.FLOAT, TensorProto.DOUBLE, TensorProto.INT64, TensorProto.INT32, TensorProto.INT8,
          TensorProto.UINT8, TensorProto.FLOAT16, TensorProto.BOOL, TensorProto.STRING, TensorProto.INT16,
          TensorProto.UINT64, TensorProto.BFLOAT16, 22, 21, TensorProto.COMPLEX64,
          17, 0, 99, -1]
NP_FEED_DTYPES = [np.float64, np.int64, np.int32, np.float16, np.bool_, np.uint8, np.int8, np.float32]

NODE_PATTERNS = ["conv", "maxpool", "averagepool", "globalaveragepool", "globalmaxpool", "gemm", "matmul", "reshape",
                 "slice", "gather", "concat", "transpose", "softmax", "logsoftmax", "hardmax", "quantizelinear",
                 "dequantizelinear", "clip", "expand", "tile", "split", "squeeze", "unsqueeze", "batchnorm", "cast",
                 "range", "constantofshape", "flatten", "where", "prelu", "mod", "shape", "size", "pow",
                 "operator_", "hammingwindow", "hannwindow", "blackmanwindow", "celu", "hardswish", "basic_conv"]


# ---- bases ----------------------------------------------------------------------------------------------------


class Base:
    """A valid model and one set of fed inputs (TensorProtos in graph-input order, initializers excluded)."""

    def __init__(self, name, model, feeds):
        self.name, self.model, self.feeds = name, model, feeds


def fed_inputs(model):
    inits = {t.name for t in model.graph.initializer}
    return [i for i in model.graph.input if i.name not in inits]


def random_feed(vi, rng):
    tt = vi.type.tensor_type
    shape = [d.dim_value if d.HasField("dim_value") else 2 for d in tt.shape.dim]
    dt = np.dtype(onnx.mapping.TENSOR_TYPE_TO_NP_TYPE[tt.elem_type])
    a = rng.standard_normal(shape).astype(dt) if dt.kind == "f" else rng.integers(0, 3, shape).astype(dt)
    return numpy_helper.from_array(a, vi.name)


def load_bases(src, testdata, rng):
    bases = []
    m = onnx.load(os.path.join(src, "samples/digits/model.onnx"))
    x = np.load(os.path.join(src, "samples/digits/calib/sample_000/input.npy"))
    bases.append(Base("digits", m, [numpy_helper.from_array(x, "input")]))
    for f in sorted(os.listdir(os.path.join(src, "tests/fixtures/quant"))):
        if f.endswith(".onnx"):
            m = onnx.load(os.path.join(src, "tests/fixtures/quant", f))
            bases.append(Base("quant_" + f[:-5], m, [random_feed(v, rng) for v in fed_inputs(m)]))
    ex = os.path.join(src, "tests/fixtures/exec")
    for f in sorted(os.listdir(ex)):
        if not f.endswith(".onnx") or f == "unsupported.onnx":
            continue
        m = onnx.load(os.path.join(ex, f))
        feeds = []
        for v in fed_inputs(m):
            p = os.path.join(ex, f"{f[:-5]}_{v.name}.npy")
            feeds.append(numpy_helper.from_array(np.load(p), v.name) if os.path.exists(p) else random_feed(v, rng))
        bases.append(Base("exec_" + f[:-5], m, feeds))
    # libonnx-testdata node models that onnxq supports (tests/onnx_node/tests.cmake) and match the patterns
    supported = set(re.findall(r"\b(test_[a-z0-9_]+)", open(os.path.join(src, "tests/onnx_node/tests.cmake")).read()))
    node_dir = os.path.join(testdata, "node")
    for t in sorted(supported):
        if not any(t.startswith("test_" + p) for p in NODE_PATTERNS):
            continue
        d = os.path.join(node_dir, t)
        if not os.path.isfile(os.path.join(d, "model.onnx")):
            continue
        m = onnx.load(os.path.join(d, "model.onnx"))
        feeds = []
        ds = os.path.join(d, "test_data_set_0")
        for k, v in enumerate(fed_inputs(m)):
            p = os.path.join(ds, f"input_{k}.pb")
            if not os.path.exists(p):
                break
            tp = onnx.load_tensor(p)
            tp.name = v.name
            feeds.append(tp)
        else:
            bases.append(Base(t[5:], m, feeds))
    bases.extend(synthetic_bases())
    return bases


def model_of(nodes, inputs, outputs, inits=(), opset=13):
    g = helper.make_graph(nodes, "synthetic", inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="onnxq-fuzz")
    m.ir_version = 8
    return m


def synthetic_bases():
    """Small graphs whose shape-like inputs are initializers, so that value mutations reach the kernels' size math.
    Each is valid as built; the mutations make them bombs."""
    F, I = TensorProto.FLOAT, TensorProto.INT64
    x14 = helper.make_tensor_value_info("x", F, [1, 4])
    xf = numpy_helper.from_array(np.arange(4, dtype=np.float32).reshape(1, 4), "x")
    y = helper.make_tensor_value_info("y", F, None)
    yi = helper.make_tensor_value_info("y", I, None)
    i64 = lambda name, v: numpy_helper.from_array(np.array(v, np.int64), name)
    out = []

    def add(name, nodes, inits, outputs=(y,), feeds=(xf,), inputs=(x14,), opset=13):
        out.append(Base("syn_" + name, model_of(nodes, list(inputs), list(outputs), inits, opset), list(feeds)))

    cos = helper.make_node("ConstantOfShape", ["s"], ["c"], value=helper.make_tensor("v", F, [1], [1.5]))
    add("constantofshape", [cos, helper.make_node("Add", ["x", "c"], ["y"])], [i64("s", [1, 4])])
    add("expand", [helper.make_node("Expand", ["x", "s"], ["y"])], [i64("s", [3, 1, 4])])
    add("tile", [helper.make_node("Tile", ["x", "r"], ["y"])], [i64("r", [2, 3])])
    add("reshape", [helper.make_node("Reshape", ["x", "s"], ["y"])], [i64("s", [2, -1])])
    add("reshape_allowzero", [helper.make_node("Reshape", ["x", "s"], ["y"], allowzero=1)], [i64("s", [4, 1])],
        opset=14)
    rng_node = helper.make_node("Range", ["a", "b", "d"], ["y"])
    add("range_i64", [rng_node], [i64("a", 0), i64("b", 10), i64("d", 3)], outputs=(yi,), feeds=(), inputs=())
    fs = lambda name, v: numpy_helper.from_array(np.array(v, np.float32), name)
    add("range_f32", [helper.make_node("Range", ["a", "b", "d"], ["r"]), helper.make_node("Add", ["x", "r"], ["y"])],
        [fs("a", 0.0), fs("b", 4.0), fs("d", 1.0)])
    add("slice", [helper.make_node("Slice", ["x", "st", "en", "ax", "sp"], ["y"])],
        [i64("st", [0, 1]), i64("en", [1, 4]), i64("ax", [0, 1]), i64("sp", [1, 2])])
    add("gather", [helper.make_node("Gather", ["x", "i"], ["y"], axis=1)], [i64("i", [[0, 3], [-1, 2]])])
    add("split", [helper.make_node("Split", ["x", "s"], ["y", "z"], axis=1)], [i64("s", [1, 3])],
        outputs=(y, helper.make_tensor_value_info("z", F, None)))
    add("squeeze", [helper.make_node("Squeeze", ["x", "a"], ["y"])], [i64("a", [0])])
    add("unsqueeze", [helper.make_node("Unsqueeze", ["x", "a"], ["y"])], [i64("a", [0, 3])])
    add("clip", [helper.make_node("Clip", ["x", "lo", "hi"], ["y"])], [fs("lo", 0.5), fs("hi", 2.5)])
    add("shape_expand", [helper.make_node("Shape", ["x"], ["s"]), helper.make_node("Mul", ["s", "k"], ["s2"]),
                         helper.make_node("Expand", ["x", "s2"], ["y"])], [i64("k", [1, 1])])
    q = [helper.make_node("QuantizeLinear", ["x", "sc", "zp"], ["q"]),
         helper.make_node("DequantizeLinear", ["q", "sc", "zp"], ["y"])]
    add("qdq", q, [fs("sc", 0.05), numpy_helper.from_array(np.array(3, np.int8), "zp")])
    x4 = helper.make_tensor_value_info("x", F, [1, 2, 5, 5])
    x4f = numpy_helper.from_array(np.linspace(-1, 1, 50, dtype=np.float32).reshape(1, 2, 5, 5), "x")
    w = numpy_helper.from_array(np.linspace(-1, 1, 36, dtype=np.float32).reshape(2, 2, 3, 3), "w")
    add("conv", [helper.make_node("Conv", ["x", "w", "b"], ["y"], pads=[1, 1, 1, 1], strides=[2, 2])],
        [w, fs("b", [0.1, -0.1])], feeds=(x4f,), inputs=(x4,))
    add("maxpool", [helper.make_node("MaxPool", ["x"], ["y"], kernel_shape=[2, 2], pads=[0, 0, 1, 1])], [],
        feeds=(x4f,), inputs=(x4,))
    add("avgpool", [helper.make_node("AveragePool", ["x"], ["y"], kernel_shape=[3, 3], strides=[2, 2])], [],
        feeds=(x4f,), inputs=(x4,))
    add("transpose", [helper.make_node("Transpose", ["x"], ["y"], perm=[0, 2, 3, 1])], [], feeds=(x4f,),
        inputs=(x4,))
    add("concat", [helper.make_node("Concat", ["x", "c"], ["y"], axis=1)], [fs("c", [[9.0, 8.0]])])
    add("gemm", [helper.make_node("Gemm", ["x", "w", "b"], ["y"], transB=1)],
        [numpy_helper.from_array(np.ones((3, 4), np.float32), "w"), fs("b", [1.0, 2.0, 3.0])])
    add("matmul", [helper.make_node("MatMul", ["x", "w"], ["y"])],
        [numpy_helper.from_array(np.ones((4, 3), np.float32), "w")])
    add("batchnorm", [helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"])],
        [fs("s", [1.0, 2.0]), fs("b", [0.0, 1.0]), fs("m", [0.0, 0.5]), fs("v", [1.0, 4.0])], feeds=(x4f,),
        inputs=(x4,))
    return out


# ---- mutations: each takes (model, feeds, rng), edits them in place and returns a description or None ---------


def pick_node(m, rng, ops=None):
    nodes = [n for n in m.graph.node if ops is None or n.op_type in ops]
    return rng.choice(nodes) if nodes else None


def set_attr(node, attr):
    for i, a in enumerate(node.attribute):
        if a.name == attr.name:
            node.attribute[i].CopyFrom(attr)
            return
    node.attribute.append(attr)


def attr_names(node, table):
    names = list(table.get(node.op_type, []))
    return names


def mut_attr_int(m, feeds, rng):
    n = pick_node(m, rng)
    if n is None:
        return None
    names = [a.name for a in n.attribute if a.type == onnx.AttributeProto.INT] + attr_names(n, INT_ATTRS)
    names += ["axis"] if rng.random() < 0.2 else []
    if not names:
        return None
    name, v = rng.choice(names), rng.choice(INT_EXTREMES)
    set_attr(n, helper.make_attribute(name, v))
    return f"node {n.name or n.op_type}: int attribute {name}={v}"


def ints_value(rng, cur):
    k = rng.randrange(8)
    if k == 0:
        return []
    if k == 1:
        return list(cur[:-1]) if cur else [rng.choice(INT_EXTREMES)]
    if k == 2:
        return list(cur) + [rng.choice([0, 1, 2, -1])]
    if k == 3:
        return [rng.choice(INT_EXTREMES) for _ in range(max(1, len(cur)))]
    if k == 4 and cur:
        v = list(cur)
        v[rng.randrange(len(v))] = rng.choice(INT_EXTREMES)
        return v
    if k == 5:
        return [rng.randrange(-3, 6) for _ in range(rng.randrange(1, 10))]
    if k == 6 and cur:
        return list(reversed(cur)) + list(cur)
    return [rng.choice([0, -1, 2**31, I64_MIN])] * max(1, len(cur))


def mut_attr_ints(m, feeds, rng):
    n = pick_node(m, rng)
    if n is None:
        return None
    cur = {a.name: list(a.ints) for a in n.attribute if a.type == onnx.AttributeProto.INTS}
    names = list(cur) + attr_names(n, INTS_ATTRS)
    if not names:
        return None
    name = rng.choice(names)
    v = ints_value(rng, cur.get(name, [1, 1]))
    set_attr(n, helper.make_attribute(name, v) if v else onnx.AttributeProto(name=name,
                                                                                 type=onnx.AttributeProto.INTS))
    return f"node {n.name or n.op_type}: ints attribute {name}={v}"


def mut_attr_float(m, feeds, rng):
    n = pick_node(m, rng)
    if n is None:
        return None
    names = [a.name for a in n.attribute if a.type == onnx.AttributeProto.FLOAT] + attr_names(n, FLOAT_ATTRS)
    if not names:
        return None
    name, v = rng.choice(names), rng.choice(FLOAT_EXTREMES)
    set_attr(n, helper.make_attribute(name, v))
    return f"node {n.name or n.op_type}: float attribute {name}={v}"


def mut_attr_string(m, feeds, rng):
    n = pick_node(m, rng)
    if n is None:
        return None
    names = [a.name for a in n.attribute if a.type == onnx.AttributeProto.STRING] + attr_names(n, STRING_ATTRS)
    if not names:
        return None
    name, v = rng.choice(names), rng.choice(STRING_VALUES)
    set_attr(n, helper.make_attribute(name, v.encode()))
    return f"node {n.name or n.op_type}: string attribute {name}={v[:20]!r}"


def mut_attr_type_swap(m, feeds, rng):
    """An attribute keeps its name but changes kind (INT -> FLOAT/INTS/STRING/TENSOR/GRAPH, ...), or is left with
    no value at all, or appears twice."""
    nodes = [n for n in m.graph.node if n.attribute]
    if not nodes:
        return None
    n = rng.choice(nodes)
    i = rng.randrange(len(n.attribute))
    a = n.attribute[i]
    k = rng.randrange(7)
    if k == 0:
        new = helper.make_attribute(a.name, 1.5)
    elif k == 1:
        new = helper.make_attribute(a.name, [3, 3])
    elif k == 2:
        new = helper.make_attribute(a.name, b"3")
    elif k == 3:
        new = helper.make_attribute(a.name, 2)
    elif k == 4:
        new = helper.make_attribute(a.name, helper.make_tensor("t", TensorProto.FLOAT, [2], [1.0, 2.0]))
    elif k == 5:
        new = onnx.AttributeProto(name=a.name, type=a.type)  # declared type, no value
    else:
        n.attribute.append(copy.deepcopy(a))
        n.attribute[-1].i = rng.choice(INT_EXTREMES)
        return f"node {n.name or n.op_type}: attribute {a.name} twice"
    n.attribute[i].CopyFrom(new)
    return f"node {n.name or n.op_type}: attribute {a.name} becomes {onnx.AttributeProto.AttributeType.Name(new.type)}"


def mut_attr_tensor(m, feeds, rng):
    """Constant / ConstantOfShape value attributes with odd tensors."""
    n = pick_node(m, rng, {"Constant", "ConstantOfShape"})
    if n is None:
        return None
    choices = [
        helper.make_tensor("v", TensorProto.FLOAT, [3], [1.0, 2.0, 3.0]),
        helper.make_tensor("v", TensorProto.FLOAT, [0], []),
        helper.make_tensor("v", TensorProto.STRING, [1], [b"abc"]),
        helper.make_tensor("v", TensorProto.INT64, [1], [I64_MIN]),
        helper.make_tensor("v", TensorProto.FLOAT, [2, 2], [1.0, 2.0]),  # fewer values than the dims say
        helper.make_tensor("v", TensorProto.DOUBLE, [], [float("nan")]),
        helper.make_tensor("v", TensorProto.FLOAT16, [1], [1.0]),
        helper.make_tensor("v", TensorProto.BOOL, [1], [True]),
    ]
    t = rng.choice(choices)
    if rng.random() < 0.2:
        t.dims[:] = [2**40] if t.dims else [2**40]
    name = rng.choice(["value", "value_float", "value_ints", "sparse_value"])
    if name == "value":
        set_attr(n, helper.make_attribute("value", t))
    elif name == "value_float":
        set_attr(n, helper.make_attribute("value_float", rng.choice(FLOAT_EXTREMES)))
    elif name == "value_ints":
        set_attr(n, helper.make_attribute("value_ints", ints_value(rng, [1, 2]) or [1]))
    else:
        set_attr(n, onnx.AttributeProto(name="sparse_value", type=onnx.AttributeProto.SPARSE_TENSOR))
    return f"node {n.name or n.op_type}: tensor attribute {name} dims {list(t.dims)} dtype {t.data_type}"


def pick_init(m, rng, pred=None):
    inits = [t for t in m.graph.initializer if pred is None or pred(t)]
    return rng.choice(inits) if inits else None


def mut_init_dims(m, feeds, rng):
    t = pick_init(m, rng)
    if t is None:
        return None
    d = list(t.dims)
    k = rng.randrange(8)
    if k == 0 and d:
        d[rng.randrange(len(d))] += 1
    elif k == 1 and d:
        d[rng.randrange(len(d))] -= 1
    elif k == 2:
        d = d + [1]
    elif k == 3 and d:
        d = d[:-1]
    elif k == 4:
        d = list(reversed(d)) + [2]
    elif k == 5 and d:
        d[rng.randrange(len(d))] = rng.choice([0, -1, 2**31, 2**40, I64_MAX, I64_MIN])
    elif k == 6:
        d = [1] * 9
    else:
        d = [2**32, 2**32] if rng.random() < 0.5 else []
    t.dims[:] = d
    return f"initializer {t.name}: dims {d}"


def mut_init_dtype(m, feeds, rng):
    t = pick_init(m, rng)
    if t is None:
        return None
    old, new = t.data_type, rng.choice(DTYPES)
    t.data_type = new
    return f"initializer {t.name}: dtype {old} -> {new}"


def tensor_values(t):
    try:
        return numpy_helper.to_array(t)
    except Exception:
        return None


def replace_values(t, a):
    nt = numpy_helper.from_array(a, t.name)
    t.CopyFrom(nt)


def hostile_values(a, rng):
    a = a.copy()
    if a.size == 0:
        return a
    if a.dtype.kind == "f":
        k = rng.randrange(5)
        if k == 0:
            a.flat[rng.randrange(a.size)] = np.nan
        elif k == 1:
            a[...] = rng.choice([np.inf, -np.inf, np.nan])
        elif k == 2:
            a[...] = 0
        elif k == 3:
            a *= np.float32(1e38)
        else:
            a.flat[rng.randrange(a.size)] = rng.choice([3.0e38, -3.0e38, 1e-45, 1e30])
    elif a.dtype.kind in "iu":
        info = np.iinfo(a.dtype)
        k = rng.randrange(4)
        pool = [v for v in INT_EXTREMES if info.min <= v <= info.max] + [info.min, info.max]
        if k == 0:
            a.flat[rng.randrange(a.size)] = rng.choice(pool)
        elif k == 1:
            a[...] = rng.choice(pool)
        elif k == 2:
            a[...] = 0
        else:
            a = np.array([rng.choice(pool) for _ in range(a.size)], a.dtype).reshape(a.shape)
    elif a.dtype == np.bool_:
        a[...] = not a.flat[0]
    return a


def mut_init_values(m, feeds, rng):
    t = pick_init(m, rng)
    if t is None:
        return None
    a = tensor_values(t)
    if a is None:
        return None
    if rng.random() < 0.25 and a.dtype.kind in "iu" and a.ndim <= 1:
        # a shape-like vector of another length
        a = np.array([rng.choice(INT_EXTREMES[:8]) for _ in range(rng.randrange(0, 9))], a.dtype)
    else:
        a = hostile_values(a, rng)
    replace_values(t, a)
    return f"initializer {t.name}: values {a.ravel()[:6].tolist()} shape {list(a.shape)}"


def mut_init_raw(m, feeds, rng):
    """raw_data shorter or longer than the dims say, or values moved between raw_data and the typed fields."""
    t = pick_init(m, rng)
    if t is None:
        return None
    k = rng.randrange(4)
    if k == 0 and t.raw_data:
        t.raw_data = t.raw_data[: len(t.raw_data) // 2]
    elif k == 1:
        t.raw_data = bytes(t.raw_data) + b"\x01" * 8
    elif k == 2:
        t.ClearField("raw_data")
        t.float_data.extend([1.0, 2.0])
    else:
        t.int64_data.extend([5, 7])
    return f"initializer {t.name}: payload edit {k}"


def mut_feed_to_init(m, feeds, rng):
    """A fed input becomes an initializer (its test data) whose values are then made hostile: shapes, repeats,
    indices, starts/ends, limits and splits reach the kernels as constants."""
    if not feeds:
        return None
    k = rng.randrange(len(feeds))
    f = feeds.pop(k)
    a = tensor_values(f)
    if a is None:
        return None
    if rng.random() < 0.8:
        a = hostile_values(a, rng)
    t = numpy_helper.from_array(a, f.name)
    m.graph.initializer.append(t)
    keep = [i for i in m.graph.input if i.name != f.name]
    del m.graph.input[:]
    m.graph.input.extend(keep)
    return f"fed input {f.name} -> initializer {a.ravel()[:6].tolist()}"


def mut_feed_values(m, feeds, rng):
    if not feeds:
        return None
    k = rng.randrange(len(feeds))
    a = tensor_values(feeds[k])
    if a is None:
        return None
    a = hostile_values(a, rng)
    replace_values(feeds[k], a)
    return f"feed {feeds[k].name}: values {a.ravel()[:6].tolist()}"


def mut_feed_shape_dtype(m, feeds, rng):
    """The fed tensor no longer matches the declared input; half the time the declaration is dropped too, so the
    sample reader cannot catch it and the kernels see it."""
    if not feeds:
        return None
    k = rng.randrange(len(feeds))
    a = tensor_values(feeds[k])
    if a is None:
        return None
    c = rng.randrange(6)
    if c == 0:
        a = a.reshape(a.shape + (1,))
    elif c == 1 and a.ndim:
        a = a.reshape(a.shape[1:]) if a.shape[0] == 1 else a.reshape(-1)
    elif c == 2:
        a = np.zeros(tuple(0 if i == 0 else s for i, s in enumerate(a.shape)) or (0,), a.dtype)
    elif c == 3:
        a = np.array(a.ravel()[0] if a.size else 0, a.dtype)
    elif c == 4:
        a = np.concatenate([a, a], axis=0) if a.ndim else a
    else:
        a = a.astype(rng.choice(NP_FEED_DTYPES))
    if rng.random() < 0.5:
        a = a.astype(rng.choice(NP_FEED_DTYPES))
    replace_values(feeds[k], a)
    for vi in m.graph.input:
        if vi.name == feeds[k].name and rng.random() < 0.5:
            vi.type.ClearField("tensor_type") if rng.random() < 0.5 else vi.type.tensor_type.ClearField("shape")
            if rng.random() < 0.5:
                vi.type.tensor_type.elem_type = onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[np.dtype(a.dtype)]
    return f"feed {feeds[k].name}: now {a.dtype} {list(a.shape)}"


def all_value_names(m):
    names = [i.name for i in m.graph.input] + [t.name for t in m.graph.initializer]
    for n in m.graph.node:
        names += [o for o in n.output if o]
    return names


def mut_rename_input(m, feeds, rng):
    n = pick_node(m, rng)
    if n is None or not n.input:
        return None
    i = rng.randrange(len(n.input))
    k = rng.randrange(4)
    if k == 0:
        n.input[i] = "no_such_value"
    elif k == 1:
        n.input[i] = ""
    elif k == 2:
        n.input[i] = rng.choice(all_value_names(m))  # another value: other dtype/shape, maybe a cycle
    else:
        del n.input[i]
    return f"node {n.name or n.op_type}: input {i} edit {k} -> {list(n.input)}"


def mut_add_input(m, feeds, rng):
    n = pick_node(m, rng)
    if n is None:
        return None
    names = all_value_names(m)
    for _ in range(rng.randrange(1, 4)):
        n.input.append(rng.choice(names + [""]))
    return f"node {n.name or n.op_type}: inputs {list(n.input)}"


def mut_outputs(m, feeds, rng):
    n = pick_node(m, rng)
    if n is None:
        return None
    names = all_value_names(m)
    k = rng.randrange(6)
    if k == 0:
        n.output[0] = rng.choice(names)  # double producer or overwriting an input/initializer
    elif k == 1:
        n.output.append(n.output[0])
    elif k == 2:
        n.output.append("extra_out")
    elif k == 3:
        n.output[0] = ""
    elif k == 4:
        n.output[0] = n.input[0] if n.input else "x"
    else:
        del n.output[:]
    return f"node {n.name or n.op_type}: outputs {list(n.output)}"


def mut_graph_outputs(m, feeds, rng):
    g = m.graph
    k = rng.randrange(6)
    names = all_value_names(m)
    if k == 0 and g.output:
        g.output.append(copy.deepcopy(g.output[0]))
    elif k == 1:
        vi = helper.make_tensor_value_info(rng.choice(names), TensorProto.FLOAT, None)
        g.output.append(vi)
    elif k == 2:
        del g.output[:]
    elif k == 3 and g.output:
        g.output[0].name = "no_such_output"
    elif k == 4 and g.output:
        g.output[0].type.tensor_type.elem_type = rng.choice([TensorProto.INT64, TensorProto.STRING, 0])
    else:
        for o in g.output:
            o.name = "same"
    return f"graph outputs edit {k}: {[o.name for o in g.output]}"


def mut_graph_inputs(m, feeds, rng):
    g = m.graph
    k = rng.randrange(5)
    if k == 0 and g.input:
        i = rng.randrange(len(g.input))
        name = g.input[i].name
        del g.input[i]
        return f"graph input {name} removed"
    if k == 1 and g.initializer:
        t = rng.choice(list(g.initializer))
        a = tensor_values(t)
        if a is not None and a.dtype != object:
            g.input.append(helper.make_tensor_value_info(t.name, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[np.dtype(a.dtype)], a.shape))
            return f"initializer {t.name} also a graph input"
    if k == 2 and g.input:
        vi = g.input[rng.randrange(len(g.input))]
        dims = vi.type.tensor_type.shape.dim
        if dims:
            dims[rng.randrange(len(dims))].dim_value = rng.choice([0, 1, 2**40, 7])
        return f"graph input {vi.name}: declared dims changed"
    if k == 3 and g.input:
        vi = g.input[rng.randrange(len(g.input))]
        vi.type.tensor_type.elem_type = rng.choice(DTYPES)
        return f"graph input {vi.name}: declared dtype {vi.type.tensor_type.elem_type}"
    g.input.append(helper.make_tensor_value_info("extra_in", TensorProto.FLOAT, [1]))
    feeds.append(numpy_helper.from_array(np.ones(1, np.float32), "extra_in"))
    return "extra graph input"


def mut_opset(m, feeds, rng):
    v = rng.choice([1, 99, 0, -1, 5, 6, 7, 9, 10, 11, 12, 13, 14, 18, 21, 2**31, I64_MAX])
    k = rng.randrange(4)
    if k == 3:
        del m.opset_import[:]
        return "no opset_import"
    found = False
    for o in m.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = v
            found = True
    if not found or k == 2:
        m.opset_import.append(helper.make_opsetid("", v))
    return f"opset {v} (edit {k})"


def mut_op_type(m, feeds, rng):
    n = pick_node(m, rng)
    if n is None:
        return None
    old = n.op_type
    n.op_type = rng.choice(SUPPORTED_OPS)
    return f"node {n.name or old}: op {old} -> {n.op_type}"


def mut_domain(m, feeds, rng):
    n = pick_node(m, rng)
    if n is None:
        return None
    n.domain = rng.choice(["ai.onnx", "com.microsoft", "ai.onnx.ml", "x"])
    return f"node {n.name or n.op_type}: domain {n.domain}"


def mut_swap_inputs(m, feeds, rng):
    nodes = [n for n in m.graph.node if len(n.input) >= 2]
    if not nodes:
        return None
    n = rng.choice(nodes)
    i, j = rng.sample(range(len(n.input)), 2)
    n.input[i], n.input[j] = n.input[j], n.input[i]
    return f"node {n.name or n.op_type}: inputs {i} and {j} swapped"


def mut_drop_node(m, feeds, rng):
    if not m.graph.node:
        return None
    i = rng.randrange(len(m.graph.node))
    n = m.graph.node[i]
    del m.graph.node[i]
    return f"node {n.name or n.op_type} removed"


def mut_graft(m, feeds, rng):
    """Rewires one float edge through a hostile shape op fed by constants."""
    n = pick_node(m, rng)
    if n is None or not n.input or not n.input[0]:
        return None
    src = n.input[0]
    big = rng.choice([[2**40], [2**20, 2**20], [-1], [I64_MIN], [0], [2**31, 2**31, 4], [3, -2], [I64_MAX],
                      [2**16, 2**16, 2**16]])
    k = rng.randrange(7)
    c = numpy_helper.from_array(np.array(big, np.int64), "fz_shape")
    m.graph.initializer.append(c)
    if k == 0:
        node = helper.make_node("Expand", [src, "fz_shape"], ["fz_out"])
    elif k == 1:
        node = helper.make_node("Tile", [src, "fz_shape"], ["fz_out"])
    elif k == 2:
        node = helper.make_node("Reshape", [src, "fz_shape"], ["fz_out"])
    elif k == 3:
        node = helper.make_node("ConstantOfShape", ["fz_shape"], ["fz_out"])
    elif k == 4:
        lim = rng.choice([1e12, 1e30, float("inf"), float("nan"), -1e12])
        m.graph.initializer.extend([numpy_helper.from_array(np.array(0, np.float32), "fz_a"),
                                    numpy_helper.from_array(np.array(lim, np.float32), "fz_b"),
                                    numpy_helper.from_array(np.array(rng.choice([1.0, 1e-30, 0.0, -0.0]),
                                                                     np.float32), "fz_d")])
        node = helper.make_node("Range", ["fz_a", "fz_b", "fz_d"], ["fz_out"])
        big = [lim]
    elif k == 5:
        m.graph.initializer.extend([numpy_helper.from_array(np.array(v, np.int64), nm)
                                    for nm, v in [("fz_a", rng.choice([I64_MIN, 0, -5])),
                                                  ("fz_b", rng.choice([I64_MAX, 2**40, 5])),
                                                  ("fz_d", rng.choice([1, 0, -1, I64_MIN, I64_MAX]))]])
        node = helper.make_node("Range", ["fz_a", "fz_b", "fz_d"], ["fz_out"])
    else:
        node = helper.make_node("Slice", [src, "fz_shape", "fz_shape", "", "fz_shape"], ["fz_out"])
    idx = list(m.graph.node).index(n)
    m.graph.node.insert(idx, node)
    n.input[0] = "fz_out"
    return f"{node.op_type} with {big} grafted before node {n.name or n.op_type}"


def zero_size_shape(rng, a):
    big = rng.choice([2**31, 2**40, 2**20, 2**30, 65536])
    nd = max(1, a.ndim if a is not None else 2)
    shape = [rng.choice([1, 3, big]) for _ in range(nd)]
    shape[rng.randrange(nd)] = 0
    if all(d != big for d in shape):
        shape[(shape.index(0) + 1) % nd if nd > 1 else 0] = big if nd > 1 else 0
    return shape


def mut_zero_size(m, feeds, rng):
    """An empty tensor whose other extents are huge ([2^40, 0]): 0 bytes, but loops over its outer extents or
    output shapes derived from it can explode."""
    if feeds and rng.random() < 0.5:
        k = rng.randrange(len(feeds))
        a = tensor_values(feeds[k])
        if a is None or a.dtype == object:
            return None
        shape = zero_size_shape(rng, a)
        t = helper.make_tensor(feeds[k].name, feeds[k].data_type, shape, [])
        feeds[k].CopyFrom(t)
        for vi in m.graph.input:
            if vi.name == feeds[k].name:
                vi.type.tensor_type.ClearField("shape")
        return f"feed {feeds[k].name}: empty {shape}"
    t = pick_init(m, rng)
    if t is None:
        return None
    a = tensor_values(t)
    shape = zero_size_shape(rng, a)
    t.CopyFrom(helper.make_tensor(t.name, t.data_type, shape, []))
    return f"initializer {t.name}: empty {shape}"


def mut_structure(m, feeds, rng):
    """Graph-level oddities the executor and the QDQ rewrite must survive: initializers that are also fed inputs,
    graph outputs that are inputs or initializers, nodes listed twice, graphs without nodes."""
    g = m.graph
    k = rng.randrange(6)
    if k == 0 and g.initializer:
        t = rng.choice(list(g.initializer))
        a = tensor_values(t)
        if a is None or a.dtype == object:
            return None
        g.input.append(helper.make_tensor_value_info(t.name, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[a.dtype], a.shape))
        feeds.append(numpy_helper.from_array(a * 2 if a.dtype.kind == "f" else a, t.name))
        return f"initializer {t.name} also a fed graph input"
    if k == 1 and g.input:
        vi = copy.deepcopy(rng.choice(list(g.input)))
        g.output.insert(rng.randrange(len(g.output) + 1), vi)
        return f"graph input {vi.name} also a graph output"
    if k == 2 and g.initializer:
        t = rng.choice(list(g.initializer))
        g.output.append(helper.make_tensor_value_info(t.name, t.data_type, None))
        return f"initializer {t.name} also a graph output"
    if k == 3 and g.node:
        n = copy.deepcopy(rng.choice(list(g.node)))
        g.node.append(n)
        return f"node {n.name or n.op_type} listed twice"
    if k == 4 and g.input:
        del g.node[:]
        del g.output[:]
        g.output.append(copy.deepcopy(g.input[0]))
        return "no nodes, output = input"
    if g.node:
        # a node consuming a graph output again, so values are both outputs and intermediates
        o = rng.choice(list(g.output)).name if g.output else None
        n = rng.choice(list(g.node))
        if o and n.input:
            n.input[0] = o
            return f"node {n.name or n.op_type} reads graph output {o}"
    return None


QUANT_SUFFIXES = ["_quantized", "_scale", "_zero_point", "_DequantizeLinear_Output", "_QuantizeLinear_Output",
                  "_QuantizeLinear_Input", "_quantized_scale", "_quantized_zero_point"]


def rename_value(m, old, new):
    for n in m.graph.node:
        for i, x in enumerate(n.input):
            if x == old:
                n.input[i] = new
        for i, x in enumerate(n.output):
            if x == old:
                n.output[i] = new
    for coll in (m.graph.input, m.graph.output, m.graph.value_info, m.graph.initializer):
        for x in coll:
            if x.name == old:
                x.name = new


def mut_name_collide(m, feeds, rng):
    """A value named like one the QDQ rewrite generates for another value."""
    names = all_value_names(m)
    if len(names) < 2:
        return None
    a, b = rng.sample(names, 2)
    new = a + rng.choice(QUANT_SUFFIXES)
    rename_value(m, b, new)
    for f in feeds:
        if f.name == b:
            f.name = new
    return f"value {b} renamed {new}"


def mut_value_info(m, feeds, rng):
    """value_info (and graph output types) that lie about an intermediate's dtype or shape."""
    names = [o for n in m.graph.node for o in n.output if o]
    if not names:
        return None
    name = rng.choice(names)
    dt = rng.choice([TensorProto.FLOAT, TensorProto.INT64, TensorProto.UINT8, TensorProto.DOUBLE, 0])
    shape = rng.choice([None, [], [1], [2, 3], [0], ["N", 4]])
    for coll in (m.graph.output, m.graph.value_info):
        for x in coll:
            if x.name == name:
                x.CopyFrom(helper.make_tensor_value_info(name, dt, shape))
                return f"declared type of {name}: {dt} {shape}"
    m.graph.value_info.append(helper.make_tensor_value_info(name, dt, shape))
    return f"value_info {name}: {dt} {shape}"


def mut_scale(m, feeds, rng):
    """Many graph outputs or many inputs to one variadic node: quadratic loops show up as timeouts."""
    g = m.graph
    k = rng.randrange(3)
    if k == 0 and g.output:
        o = g.output[0]
        for _ in range(rng.choice([2000, 20000])):
            g.output.append(copy.deepcopy(o))
        return "graph output repeated"
    srcs = [i.name for i in g.input] or [t.name for t in g.initializer]
    if not srcs:
        return None
    x = rng.choice(srcs)
    op = rng.choice(["Sum", "Max", "Concat", "Mean", "Min"])
    n = helper.make_node(op, [x] * rng.choice([300, 3000]), ["fz_wide"], **({"axis": 0} if op == "Concat" else {}))
    g.node.append(n)
    g.output.append(helper.make_tensor_value_info("fz_wide", TensorProto.FLOAT, None))
    return f"{op} of {len(n.input)} inputs"


def mut_window_bomb(m, feeds, rng):
    """Conv/pool windows far wider than the input: pads of thousands with a kernel to match (pools) or a modest
    kernel (Conv), inside every attribute limit. The output is large but allowed; the work per output must not
    grow with the padding."""
    n = pick_node(m, rng, {"Conv", "MaxPool", "AveragePool"})
    if n is None:
        return None
    cur = {a.name: list(a.ints) for a in n.attribute if a.type == onnx.AttributeProto.INTS}
    nd = len(cur.get("kernel_shape", [])) or 2
    k = rng.choice([2**10, 2**12, 2**14])
    p = rng.choice([k - 1, k // 2, 2**12])
    if n.op_type != "Conv":
        set_attr(n, helper.make_attribute("kernel_shape", [k] * nd))
    set_attr(n, helper.make_attribute("pads", [p] * (2 * nd)))
    if rng.random() < 0.5:
        set_attr(n, helper.make_attribute("strides", [rng.choice([1, k // 4, k])] * nd))
    for a in list(n.attribute):
        if a.name == "auto_pad":
            n.attribute.remove(a)
    return f"node {n.name or n.op_type}: window kernel {k} pads {p}"


MUTATIONS = [(mut_window_bomb, 2), (mut_structure, 4), (mut_name_collide, 3), (mut_value_info, 4), (mut_scale, 1), (mut_zero_size, 4), 
    (mut_attr_int, 10), (mut_attr_ints, 12), (mut_attr_float, 4), (mut_attr_string, 3), (mut_attr_type_swap, 4),
    (mut_attr_tensor, 2), (mut_init_dims, 6), (mut_init_dtype, 5), (mut_init_values, 8), (mut_init_raw, 3),
    (mut_feed_to_init, 8), (mut_feed_values, 8), (mut_feed_shape_dtype, 6), (mut_rename_input, 5),
    (mut_add_input, 2), (mut_outputs, 4), (mut_graph_outputs, 3), (mut_graph_inputs, 3), (mut_opset, 4),
    (mut_op_type, 5), (mut_domain, 1), (mut_swap_inputs, 3), (mut_drop_node, 2), (mut_graft, 6),
]


def mutate(base, rng):
    m = copy.deepcopy(base.model)
    feeds = [copy.deepcopy(f) for f in base.feeds]
    fns, weights = zip(*MUTATIONS)
    what = []
    for _ in range(1 if rng.random() < 0.7 else 2):
        for _try in range(10):
            fn = rng.choices(fns, weights)[0]
            try:
                d = fn(m, feeds, rng)
            except Exception:  # a mutation that does not apply to this model (onnx helper refused)
                d = None
            if d:
                what.append(d)
                break
    return m, feeds, "; ".join(what)


def write_sample(folder, feeds, rng, npy):
    os.makedirs(folder, exist_ok=True)
    for k, f in enumerate(feeds):
        a = tensor_values(f) if npy else None
        if npy and a is not None and re.fullmatch(r"[A-Za-z0-9._-]+", f.name) and a.dtype != object:
            np.save(os.path.join(folder, f.name + ".npy"), a)
        else:
            with open(os.path.join(folder, f"input_{k}.pb"), "wb") as fh:
                fh.write(f.SerializeToString())


def second_sample(feeds, rng):
    out = []
    for f in feeds:
        a = tensor_values(f)
        g = copy.deepcopy(f)
        if a is not None and a.dtype.kind == "f" and a.size:
            replace_values(g, (a * np.float32(rng.choice([-1.0, 0.5, 2.0, 0.0]))).astype(a.dtype))
        out.append(g)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("src")
    ap.add_argument("out")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--per-base", type=int, default=20)
    ap.add_argument("--testdata", default="/usr/share/libonnx-testdata/data")
    ap.add_argument("--only", default=None, help="regex: bases to use")
    args = ap.parse_args()
    np.seterr(all="ignore")
    nprng = np.random.default_rng(args.seed)
    bases = load_bases(args.src, args.testdata, nprng)
    if args.only:
        bases = [b for b in bases if re.search(args.only, b.name)]
    if os.path.isdir(args.out):
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    manifest = open(os.path.join(args.out, "manifest.tsv"), "w")
    total = 0
    for b in bases:
        rng = random.Random(zlib.crc32(f"{args.seed}:{b.name}".encode()))
        # the unmutated base first: it must run, so that the mutants differ from something that works
        for i in range(args.per_base + 1):
            if i == 0:
                m, feeds, what = copy.deepcopy(b.model), list(b.feeds), "base"
            else:
                m, feeds, what = mutate(b, rng)
                if not what:
                    continue
            d = os.path.join(args.out, b.name, f"{i:04d}")
            os.makedirs(d)
            with open(os.path.join(d, "model.onnx"), "wb") as fh:
                fh.write(m.SerializeToString())
            npy = rng.random() < 0.5
            write_sample(os.path.join(d, "inputs"), feeds, rng, npy)
            write_sample(os.path.join(d, "calib", "sample_000"), feeds, rng, npy)
            write_sample(os.path.join(d, "calib", "sample_001"), second_sample(feeds, rng), rng, npy)
            what = what.replace("\t", " ").replace("\n", " ")
            manifest.write(f"{b.name}/{i:04d}\t{b.name}\t{d}\t{what}\n")
            total += 1
    manifest.close()
    print(f"{total} mutants of {len(bases)} bases in {args.out}")


if __name__ == "__main__":
    sys.exit(main())
