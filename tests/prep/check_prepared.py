#!/usr/bin/python3
"""Structural checks on a prepared or quantized model.

    check_prepared.py MODEL.onnx --opset N [--no-op OP ...] [--has-op OP ...] [--weights-quantized OP ...]

--opset: the default-domain opset must be N. --no-op: no node of that type remains (e.g. Constant,
BatchNormalization, Identity, Dropout). --weights-quantized: input 1 of every node of that type comes from a
DequantizeLinear whose data input is an int8/uint8 initializer (the weight was quantized)."""
import sys

import onnx

args = sys.argv[1:]
path = args.pop(0)
opset, no_ops, quant_ops, has_ops, mode = None, [], [], [], None
for a in args:
    if a.startswith("--"):
        mode = a
    elif mode == "--opset":
        opset = int(a)
    elif mode == "--no-op":
        no_ops.append(a)
    elif mode == "--weights-quantized":
        quant_ops.append(a)
    elif mode == "--has-op":
        has_ops.append(a)
m = onnx.load(path)
g = m.graph
problems = []
v = [o.version for o in m.opset_import if o.domain in ("", "ai.onnx")]
if opset is not None and v != [opset]:
    problems.append(f"default-domain opset {v}, expected {opset}")
for op in no_ops:
    if any(n.op_type == op for n in g.node):
        problems.append(f"a {op} node remains")
for op in has_ops:
    if not any(n.op_type == op for n in g.node):
        problems.append(f"no {op} node")
producer = {o: n for n in g.node for o in n.output}
inits = {t.name: t for t in g.initializer}
for op in quant_ops:
    found = [n for n in g.node if n.op_type == op]
    if not found:
        problems.append(f"no {op} node")
    for n in found:
        dq = producer.get(n.input[1])
        if not dq or dq.op_type != "DequantizeLinear":
            problems.append(f"{op} '{n.name}': weight '{n.input[1]}' is not dequantized")
            continue
        t = inits.get(dq.input[0])
        if t is None or t.data_type not in (onnx.TensorProto.INT8, onnx.TensorProto.UINT8):
            problems.append(f"{op} '{n.name}': weight '{dq.input[0]}' is not an 8-bit initializer")
for p in problems:
    print("error:", p)
if not problems:
    print(f"ok: {path}")
sys.exit(1 if problems else 0)
