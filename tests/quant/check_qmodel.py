#!/usr/bin/python3
"""Structural checks of a model written by `onnxq quantize` (Debian's python3-onnx; no checker run here).

    check_qmodel.py MODE QUANT.onnx [FLOAT.onnx]

Modes (each prints "ok: ..." or "error: ..." and exits 0 / 1):
  provenance   producer_name onnxq, metadata onnxq.version/method/options/calibration_samples/calibration_xxh3
  io           graph inputs and outputs have the names, dtypes and shapes of FLOAT.onnx
  tensorrt     TensorRT explicit quantization: every Q/DQ is int8 with zero point 0, no int32 bias DequantizeLinear,
               every Conv/Gemm/MatMul reads its input 0 and weight through a DequantizeLinear (a per-channel weight
               scale on the output-channel axis), and every
               QuantizeLinear -> DequantizeLinear pair feeds a quantized op and otherwise only data-movement ops
               TensorRT propagates Q/DQ across (never a lone output)
  keep_float_io  no QuantizeLinear reads a graph input and no DequantizeLinear writes a graph output
  blocked      at least one DequantizeLinear has block_size, its scale has the weight's rank; opset >= 21
  rnn          every LSTM/GRU/RNN reads W and R (inputs 1, 2) through a per-channel DequantizeLinear of an int8/uint8
               initializer (axis 1, one scale per gate row)
  checker      onnx.checker.check_model where the model's opset is one this python3-onnx knows (Debian's 1.12:
               opset <= 17); above it (16- and 4-bit types, blocked weights: opset 21) a structural check instead:
               topological order, every input defined, Q/DQ scale float and zero point of the quantized type
               (same dtype on a Q and its DQ), IR version >= 10, outputs produced
  opset=N      the default-domain opset is N
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper

QUANTIZED_OPS = {"Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Mul", "Concat", "Softmax", "Sigmoid",
                 "GlobalAveragePool", "LeakyRelu", "HardSwish", "ArgMax", "LayerNormalization",
                 "InstanceNormalization", "CumSum"}

# data-movement ops TensorRT moves a DequantizeLinear across (its Q/DQ propagation): a pair that a quantized op needs
# may also feed one of these (the transformer's projection output feeds the residual Add and a Transpose)
TRT_PASS_OPS = {"Transpose", "Reshape", "Flatten", "Squeeze", "Unsqueeze", "Slice", "Gather", "Split", "MaxPool",
                "Pad", "Resize"}


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
                wdq = producer[n.input[1]]
                w, sc = inits.get(wdq.input[0]), inits.get(wdq.input[1])
                if w is not None and sc is not None and len(sc.dims) == 1 and sc.dims[0] > 1:
                    # per channel: the output-channel axis (Conv: 0; Gemm: 0 with transB, else 1; MatMul: last)
                    attrs = {a.name: a.i for a in n.attribute}
                    want = 0 if n.op_type == "Conv" else \
                        (0 if attrs.get("transB", 0) else 1) if n.op_type == "Gemm" else len(w.dims) - 1
                    axis = {a.name: a.i for a in wdq.attribute}.get("axis", 1)
                    if axis < 0:
                        axis += len(w.dims)
                    if axis != want or sc.dims[0] != w.dims[want]:
                        return fail(f"{path}: {n.name} weight scale axis {axis} ({sc.dims[0]} scales), expected {want}")
            if n.op_type == "QuantizeLinear":
                dqs = consumers.get(n.output[0], [])
                users = [c for dq in dqs for c in consumers.get(dq.output[0], [])]
                for c in users:
                    if c.op_type not in QUANTIZED_OPS and c.op_type not in TRT_PASS_OPS:
                        return fail(f"{path}: Q/DQ {n.name} feeds {c.op_type} {c.name}, which is not quantized")
                if users and not any(c.op_type in QUANTIZED_OPS for c in users):
                    return fail(f"{path}: Q/DQ {n.name} feeds no quantized op")
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
    elif mode == "rnn":
        found = 0
        for n in g.node:
            if n.op_type not in ("LSTM", "GRU", "RNN"):
                continue
            found += 1
            for k in (1, 2):
                p = producer.get(n.input[k])
                if p is None or p.op_type != "DequantizeLinear":
                    return fail(f"{path}: {n.op_type} {n.name} input {k} is not read through DequantizeLinear")
                w, s = inits.get(p.input[0]), inits.get(p.input[1])
                if w is None or s is None or w.data_type not in (onnx.TensorProto.INT8, onnx.TensorProto.UINT8):
                    return fail(f"{path}: {p.name} does not dequantize an 8-bit initializer")
                axis = [a.i for a in p.attribute if a.name == "axis"]
                if len(s.dims) != 1 or s.dims[0] != w.dims[1] or (axis and axis[0] != 1) or not axis:
                    return fail(f"{path}: {p.name} is not per channel on axis 1 (scale {list(s.dims)}, axis {axis})")
        if not found:
            return fail(f"{path}: no LSTM/GRU/RNN")
    elif mode == "checker":
        known = onnx.defs.onnx_opset_version()
        if opset(m) <= known:
            onnx.checker.check_model(m)
        else:
            if m.ir_version < 10:
                return fail(f"{path}: opset {opset(m)} with IR version {m.ir_version} (needs >= 10)")
            defined = {i.name for i in g.input} | set(inits) | {""}
            qtypes = {}
            for n in g.node:
                for i in n.input:
                    if i not in defined:
                        return fail(f"{path}: {n.op_type} {n.name} reads '{i}' before it is defined")
                if n.op_type in ("QuantizeLinear", "DequantizeLinear"):
                    sc = inits.get(n.input[1])
                    if sc is None or sc.data_type != onnx.TensorProto.FLOAT:
                        return fail(f"{path}: {n.name} scale is not a float initializer")
                    zp = inits.get(n.input[2]) if len(n.input) > 2 and n.input[2] else None
                    if zp is not None:
                        # uint8 2, int8 3, uint16 4, int16 5, int32 6, uint4 21, int4 22 (1.12 lacks the 4-bit names)
                        if zp.data_type not in (2, 3, 4, 5, 6, 21, 22):
                            return fail(f"{path}: {n.name} zero point type {zp.data_type}")
                        if len(zp.dims) != len(sc.dims):
                            return fail(f"{path}: {n.name} zero point and scale shapes differ")
                        key = n.output[0] if n.op_type == "QuantizeLinear" else n.input[0]
                        if qtypes.setdefault(key, zp.data_type) != zp.data_type:
                            return fail(f"{path}: {n.name} zero point type differs from its pair's")
                defined.update(o for o in n.output if o)
            for o in g.output:
                if o.name not in defined:
                    return fail(f"{path}: output {o.name} is not produced")
            print(f"note: opset {opset(m)} > {known} known to python3-onnx {onnx.__version__}: structural check only")
    elif mode.startswith("opset="):
        if opset(m) != int(mode[6:]):
            return fail(f"{path}: opset {opset(m)}, expected {mode[6:]}")
    else:
        return fail(f"unknown mode {mode}")
    print(f"ok: {path} {mode}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
