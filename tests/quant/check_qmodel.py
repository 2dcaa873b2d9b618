#!/usr/bin/python3
"""Structural checks of a model written by `onnxq quantize` (Debian's python3-onnx; no checker run here).

    check_qmodel.py MODE QUANT.onnx [FLOAT.onnx]

Modes (each prints "ok: ..." or "error: ..." and exits 0 / 1):
  provenance   producer_name onnxq, metadata onnxq.version/method/options/calibration_samples/calibration_xxh3
  io           graph inputs and outputs have the names, dtypes and shapes of FLOAT.onnx
  tensorrt     TensorRT explicit quantization: every Q/DQ is int8 with zero point 0, no int32 bias DequantizeLinear,
               every Conv/Gemm/MatMul reads its input 0 and weight through a DequantizeLinear, and every
               QuantizeLinear -> DequantizeLinear pair feeds only ops that are quantized (never a lone output)
  keep_float_io  no QuantizeLinear reads a graph input and no DequantizeLinear writes a graph output
  blocked      at least one DequantizeLinear has block_size, its scale has the weight's rank; opset >= 21
  opset=N      the default-domain opset is N
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper

QUANTIZED_OPS = {"Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Mul", "Concat", "Softmax", "Sigmoid",
                 "GlobalAveragePool", "LeakyRelu", "HardSwish", "ArgMax", "LayerNormalization",
                 "InstanceNormalization", "CumSum"}


def fail(msg):
    print("error: " + msg)
    return 1


def opset(m):
    for o in m.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    return -1


def value_sig(vi):
    t = vi.type.tensor_type
    dims = [d.dim_value if d.HasField("dim_value") else d.dim_param for d in t.shape.dim]
    return (vi.name, t.elem_type, tuple(dims))


def main(argv):
    if len(argv) < 3:
        return fail("usage: check_qmodel.py MODE QUANT.onnx [FLOAT.onnx]")
    mode, path = argv[1], argv[2]
    m = onnx.load(path)
    g = m.graph
    inits = {t.name: t for t in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    if mode == "provenance":
        meta = {p.key: p.value for p in m.metadata_props}
        if m.producer_name != "onnxq":
            return fail(f"{path}: producer_name is '{m.producer_name}'")
        for k in ("onnxq.version", "onnxq.method", "onnxq.options", "onnxq.calibration_samples",
                  "onnxq.calibration_xxh3"):
            if not meta.get(k):
                return fail(f"{path}: metadata {k} missing")
        if len(meta["onnxq.calibration_xxh3"]) != 16:
            return fail(f"{path}: calibration hash '{meta['onnxq.calibration_xxh3']}'")
    elif mode == "io":
        f = onnx.load(argv[3])
        real_in = [i for i in f.graph.input if i.name not in {t.name for t in f.graph.initializer}]
        if [value_sig(v) for v in real_in] != [value_sig(v) for v in g.input if v.name not in inits] or \
                [value_sig(v) for v in f.graph.output] != [value_sig(v) for v in g.output]:
            return fail(f"{path}: graph inputs/outputs differ from {argv[3]}")
    elif mode == "tensorrt":
        for n in g.node:
            if n.op_type in ("QuantizeLinear", "DequantizeLinear"):
                zp = inits.get(n.input[2]) if len(n.input) > 2 else None
                if zp is None:
                    return fail(f"{path}: {n.name} has no zero point initializer")
                if zp.data_type != onnx.TensorProto.INT8 or np.any(numpy_helper.to_array(zp) != 0):
                    return fail(f"{path}: {n.name} is not int8 symmetric")
            if n.op_type in ("Conv", "Gemm", "MatMul"):
                for k in (0, 1):
                    p = producer.get(n.input[k])
                    if p is None or p.op_type != "DequantizeLinear":
                        return fail(f"{path}: {n.op_type} {n.name} input {k} is not read through DequantizeLinear")
                if len(n.input) > 2 and n.input[2] and n.input[2] not in inits:
                    return fail(f"{path}: {n.name} bias is not a float initializer")
            if n.op_type == "QuantizeLinear":
                dqs = consumers.get(n.output[0], [])
                for dq in dqs:
                    for c in consumers.get(dq.output[0], []):
                        if c.op_type not in QUANTIZED_OPS:
                            return fail(f"{path}: Q/DQ {n.name} feeds {c.op_type} {c.name}, which is not quantized")
                if n.input[0] in {o.name for o in g.output}:
                    return fail(f"{path}: {n.name} quantizes a graph output")
    elif mode == "keep_float_io":
        ins = {i.name for i in g.input}
        outs = {o.name for o in g.output}
        for n in g.node:
            if n.op_type == "QuantizeLinear" and n.input[0] in ins:
                return fail(f"{path}: {n.name} quantizes graph input {n.input[0]}")
            if n.op_type == "DequantizeLinear" and n.output[0] in outs:
                return fail(f"{path}: {n.name} writes graph output {n.output[0]}")
    elif mode == "blocked":
        found = 0
        for n in g.node:
            bs = [a.i for a in n.attribute if a.name == "block_size"]
            if n.op_type == "DequantizeLinear" and bs:
                w, s = inits[n.input[0]], inits[n.input[1]]
                if len(s.dims) != len(w.dims):
                    return fail(f"{path}: {n.name} scale rank {len(s.dims)} != weight rank {len(w.dims)}")
                found += 1
        if not found:
            return fail(f"{path}: no blocked DequantizeLinear")
        if opset(m) < 21:
            return fail(f"{path}: blocked DequantizeLinear at opset {opset(m)}")
    elif mode.startswith("opset="):
        if opset(m) != int(mode[6:]):
            return fail(f"{path}: opset {opset(m)}, expected {mode[6:]}")
    else:
        return fail(f"unknown mode {mode}")
    print(f"ok: {path} {mode}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
