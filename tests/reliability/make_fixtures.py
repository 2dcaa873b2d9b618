#!/usr/bin/env python3
"""Strict-attribute fixtures: make_fixtures.py OUT_DIR. Models with an attribute of the wrong type, a missing
required attribute, an undefined attribute inside an If branch, and a valid model with the same ops (which must
run), each with a sample folder <name>.inputs/."""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper, save


def model(name, nodes, inputs, outputs, opset=13):
    g = helper.make_graph(nodes, name, inputs, outputs)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    m.ir_version = 7
    return m


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    x = helper.make_tensor_value_info("X", TensorProto.FLOAT, [1, 1, 4, 4])
    y = helper.make_tensor_value_info("Y", TensorProto.FLOAT, None)
    cases = {}
    cases["wrong-type"] = model("wt", [helper.make_node("MaxPool", ["X"], ["Y"], name="pool", kernel_shape=[2, 2],
                                                        strides=[2.0, 2.0])], [x], [y])
    cases["missing-required"] = model("mr", [helper.make_node("MaxPool", ["X"], ["Y"], name="pool")], [x], [y])
    cases["duplicate"] = model("dup", [helper.make_node("MaxPool", ["X"], ["Y"], name="pool", kernel_shape=[2, 2])],
                               [x], [y])
    cases["duplicate"].graph.node[0].attribute.extend([helper.make_attribute("kernel_shape", [3, 3])])
    # an undefined attribute on a node inside a subgraph
    c = helper.make_tensor_value_info("C", TensorProto.BOOL, [])
    then_out = helper.make_tensor_value_info("T", TensorProto.FLOAT, None)
    else_out = helper.make_tensor_value_info("E", TensorProto.FLOAT, None)
    then_g = helper.make_graph([helper.make_node("Relu", ["X"], ["T"], name="inner_relu", alpha=0.5)], "then", [],
                               [then_out])
    else_g = helper.make_graph([helper.make_node("Neg", ["X"], ["E"], name="inner_neg")], "else", [], [else_out])
    cases["subgraph"] = model("sg", [helper.make_node("If", ["C"], ["Y"], name="branch", then_branch=then_g,
                                                       else_branch=else_g)], [x, c], [y])
    ok_then = helper.make_graph([helper.make_node("Relu", ["X"], ["T"], name="inner_relu")], "then", [], [then_out])
    cases["valid"] = model("ok", [helper.make_node("If", ["C"], ["Z"], name="branch", then_branch=ok_then,
                                                    else_branch=else_g),
                                  helper.make_node("MaxPool", ["Z"], ["Y"], name="pool", kernel_shape=[2, 2],
                                                   strides=[2, 2], __internal_note=1)], [x, c], [y])
    for name, m in cases.items():
        save(m, os.path.join(out, name + ".onnx"))
        d = os.path.join(out, name + ".inputs")
        os.makedirs(d, exist_ok=True)
        np.save(os.path.join(d, "X.npy"), np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4))
        if name in ("subgraph", "valid"):
            np.save(os.path.join(d, "C.npy"), np.array(True))
    calib = os.path.join(out, "calib", "sample_000")  # a calibration folder for the [1,1,4,4] X models
    os.makedirs(calib, exist_ok=True)
    np.save(os.path.join(calib, "X.npy"), np.ones((1, 1, 4, 4), np.float32))


if __name__ == "__main__":
    main()
