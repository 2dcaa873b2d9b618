#!/usr/bin/python3
"""Writes the node tests that check node_test itself, each in the layout of an ONNX backend test:

  fp16_corrupt/  a copy of node/test_cast_FLOAT_to_FLOAT16 whose expected output is 123.0 everywhere: node_test
                 must report a mismatch (float16 outputs are compared as numbers, not skipped)
  bf16_cast/     Cast float -> bfloat16 on values that bfloat16 holds exactly, with a bfloat16 expected output
                 (Debian's ONNX 1.12 data has no usable bfloat16 test: it stores those tensors as uint16)
  bf16_corrupt/  the same with 123.0 expected: node_test must report a mismatch

usage: /usr/bin/python3 make_harness_fixtures.py OUT_DIR NODE_DIR"""
import os
import shutil
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out, node_dir = sys.argv[1], sys.argv[2]


def write_tensor(path, tensor):
    with open(path, "wb") as f:
        f.write(tensor.SerializeToString())


def bf16_tensor(name, values):
    """values must be exact in bfloat16: their float32 bits end in 16 zero bits."""
    bits = np.asarray(values, np.float32).view(np.uint32)
    assert not (bits & 0xFFFF).any(), "value not exact in bfloat16"
    t = TensorProto(name=name, data_type=TensorProto.BFLOAT16, dims=list(bits.shape))
    t.raw_data = (bits >> 16).astype("<u2").tobytes()
    return t


def fresh(d):
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(os.path.join(d, "test_data_set_0"))


# float16: the backend test with its expected output replaced
src = os.path.join(node_dir, "test_cast_FLOAT_to_FLOAT16")
d = os.path.join(out, "fp16_corrupt")
fresh(d)
shutil.copyfile(os.path.join(src, "model.onnx"), os.path.join(d, "model.onnx"))
shutil.copyfile(os.path.join(src, "test_data_set_0", "input_0.pb"), os.path.join(d, "test_data_set_0", "input_0.pb"))
want = numpy_helper.to_array(onnx.load_tensor(os.path.join(src, "test_data_set_0", "output_0.pb")))
assert want.dtype == np.float16
write_tensor(os.path.join(d, "test_data_set_0", "output_0.pb"),
             numpy_helper.from_array(np.full(want.shape, 123.0, np.float16), "output"))

# bfloat16: a Cast whose results are exact, so that rounding conventions do not matter
x = np.array([[0.0, -0.0, 1.0, -2.5], [0.15625, 3.0e38, -1.0e-38, 65536.0], [7.0, -0.375, np.inf, -np.inf]],
             np.float32)
x = (x.view(np.uint32) & 0xFFFF0000).view(np.float32)  # make every value exact in bfloat16
graph = helper.make_graph([helper.make_node("Cast", ["x"], ["y"], to=TensorProto.BFLOAT16)], "bf16_cast",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x.shape))],
                          [helper.make_tensor_value_info("y", TensorProto.BFLOAT16, list(x.shape))])
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="onnxq-tests")
model.ir_version = 7
for name, expected in (("bf16_cast", x), ("bf16_corrupt", np.full(x.shape, 123.0, np.float32))):
    d = os.path.join(out, name)
    fresh(d)
    onnx.save(model, os.path.join(d, "model.onnx"))
    write_tensor(os.path.join(d, "test_data_set_0", "input_0.pb"), numpy_helper.from_array(x, "x"))
    write_tensor(os.path.join(d, "test_data_set_0", "output_0.pb"), bf16_tensor("y", expected))
print(f"harness fixtures in {out}")
