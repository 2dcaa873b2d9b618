#!/usr/bin/python3
"""Writes a small CNN at opset 9 the way Paddle2ONNX (and older tf2onnx) export: every weight in a Constant node,
BatchNormalization after the Conv, Identity and Dropout left in, Flatten -> MatMul + Add (weights in Constants) ->
Softmax over axis 1 of a 2-D tensor, Clip-6 with attributes.

    /usr/bin/python3 tests/prep/make_constant_weights.py OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
rng = np.random.default_rng(7)


def const(name, arr):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(arr.astype(np.float32), name))


nodes = [
    const("conv_w", rng.standard_normal((8, 3, 3, 3)) * 0.3),
    const("conv_b", rng.standard_normal(8) * 0.1),
    const("bn_scale", rng.uniform(0.5, 1.5, 8)),
    const("bn_bias", rng.standard_normal(8) * 0.1),
    const("bn_mean", rng.standard_normal(8) * 0.1),
    const("bn_var", rng.uniform(0.5, 2.0, 8)),
    const("fc_w", rng.standard_normal((8 * 4 * 4, 10)) * 0.1),
    const("fc_b", rng.standard_normal(10) * 0.1),
    helper.make_node("Conv", ["x", "conv_w", "conv_b"], ["c"], pads=[1, 1, 1, 1], name="conv"),
    helper.make_node("BatchNormalization", ["c", "bn_scale", "bn_bias", "bn_mean", "bn_var"], ["bn"], epsilon=1e-5,
                     name="bn"),
    helper.make_node("Relu", ["bn"], ["r"], name="relu"),
    helper.make_node("Clip", ["r"], ["r6"], min=0.0, max=6.0, name="clip"),
    helper.make_node("MaxPool", ["r6"], ["p"], kernel_shape=[2, 2], strides=[2, 2], name="pool"),
    helper.make_node("Identity", ["p"], ["pi"], name="identity"),
    helper.make_node("Dropout", ["pi"], ["pd"], ratio=0.1, name="dropout"),
    helper.make_node("Flatten", ["pd"], ["f"], axis=1, name="flatten"),
    helper.make_node("MatMul", ["f", "fc_w"], ["mm"], name="fc"),
    helper.make_node("Add", ["mm", "fc_b"], ["logits"], name="fc_bias"),
    helper.make_node("Softmax", ["logits"], ["y"], axis=1, name="softmax"),
]
graph = helper.make_graph(nodes, "paddle_like", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 9)], producer_name="paddle2onnx-like")
model.ir_version = 4
onnx.checker.check_model(model)
onnx.save(model, out)
