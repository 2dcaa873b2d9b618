#!/usr/bin/python3
"""Small models of the operators that Debian's ONNX 1.12 backend data covers thinly or not at all, for comparing
`onnxq run` with onnxruntime-node (tests/e2e/ours_vs_ort.sh): OUT_DIR/<name>/model.onnx and
OUT_DIR/<name>/data/s0/<input>.npy. Seeded, so the files are the same on every run.

  lppool_2d / lppool_p3_3d     LpPool (opset 18: pads, strides, dilations, ceil_mode; p = 2 and 3)
  lppool_opset11              LpPool at opset 11 (auto_pad SAME_UPPER)
  global_lppool               GlobalLpPool p = 1 and 2
  maxroipool                  MaxRoiPool with ROIs partly outside the input, spatial_scale 0.5
  gridsample20_2d_<mode>_<pad> GridSample opset 20, 2-D, every mode x padding, align_corners 0/1
  gridsample20_3d_<mode>      GridSample opset 20, 3-D (linear, nearest)
  qlinearconv_perchannel      QLinearConv uint8 x, int8 per-channel w, bias, groups, pads, strides
  convinteger_u8              ConvInteger uint8 x and w with zero points, dilations
  scan8_seqlens               Scan 8: batch axis, sequence_lens, a reversed input
  scan_axes                   Scan 11: scan input axis 1, reversed input, scan output axis 1, reversed output
  loop_no_m                   Loop without a trip count (cond stops it) and with a scan output
  loop_no_cond                Loop without cond (M = 5)
  dft20_onesided / dft17_inverse_cut / stft_hann / melweightmatrix / windows_f64   signal ops
  maxpool_indices_2d_so1 / maxpool_indices_3d   MaxPool with its Indices output

usage: /usr/bin/python3 tests/e2e/make_op_models.py OUT_DIR"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

if len(sys.argv) != 2:
    sys.exit(__doc__)
out = sys.argv[1]
rng = np.random.default_rng(7)
F = TensorProto.FLOAT


def save(name, nodes, inputs, outputs, feeds, opset, inits=()):
    g = helper.make_graph(nodes, name, inputs, outputs, initializer=list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)], producer_name="onnxq-tests")
    m.ir_version = 8
    d = os.path.join(out, name, "data", "s0")
    os.makedirs(d, exist_ok=True)
    onnx.save(m, os.path.join(out, name, "model.onnx"))
    for k, v in feeds.items():
        np.save(os.path.join(d, k + ".npy"), v)


def vi(name, elem, shape):
    return helper.make_tensor_value_info(name, elem, shape)


def randf(*shape):
    return rng.standard_normal(shape).astype(np.float32)


# LpPool / GlobalLpPool
x = randf(2, 3, 9, 10)
save("lppool_2d", [helper.make_node("LpPool", ["x"], ["y"], kernel_shape=[3, 2], strides=[2, 1], pads=[1, 0, 1, 1],
                                     dilations=[1, 2], ceil_mode=1, p=2)],
     [vi("x", F, x.shape)], [vi("y", F, None)], {"x": x}, 18)
x3 = randf(1, 2, 5, 6, 7)
save("lppool_p3_3d", [helper.make_node("LpPool", ["x"], ["y"], kernel_shape=[2, 3, 2], strides=[1, 2, 2], p=3)],
     [vi("x", F, x3.shape)], [vi("y", F, None)], {"x": x3}, 18)
save("lppool_opset11", [helper.make_node("LpPool", ["x"], ["y"], kernel_shape=[3, 3], auto_pad="SAME_UPPER",
                                          strides=[2, 2])],
     [vi("x", F, x.shape)], [vi("y", F, None)], {"x": x}, 11)
save("global_lppool", [helper.make_node("GlobalLpPool", ["x"], ["y1"], p=1),
                       helper.make_node("GlobalLpPool", ["x"], ["y2"], p=2)],
     [vi("x", F, x.shape)], [vi("y1", F, None), vi("y2", F, None)], {"x": x}, 13)

# MaxRoiPool
xr = randf(2, 3, 12, 16)
rois = np.array([[0, 0, 0, 15, 11], [1, 2.4, 3.6, 9.5, 8.5], [0, -4, -2, 6, 5], [1, 10, 7, 40, 30], [0, 5, 5, 5, 5]],
                np.float32)
save("maxroipool", [helper.make_node("MaxRoiPool", ["x", "rois"], ["y"], pooled_shape=[3, 4], spatial_scale=0.5)],
     [vi("x", F, xr.shape), vi("rois", F, rois.shape)], [vi("y", F, None)], {"x": xr, "rois": rois}, 13)
save("maxroipool_scale1", [helper.make_node("MaxRoiPool", ["x", "rois"], ["y"], pooled_shape=[2, 2])],
     [vi("x", F, xr.shape), vi("rois", F, rois.shape)], [vi("y", F, None)], {"x": xr, "rois": rois}, 13)

# GridSample 20: 2-D every mode and padding (grid reaching past the borders), 3-D linear and nearest
xg = randf(2, 3, 5, 6)
grid = rng.uniform(-1.3, 1.3, (2, 4, 7, 2)).astype(np.float32)
for mode in ("linear", "nearest", "cubic"):
    for pad in ("zeros", "border", "reflection"):
        for ac in (0, 1):
            save(f"gridsample20_2d_{mode}_{pad}_ac{ac}",
                 [helper.make_node("GridSample", ["x", "grid"], ["y"], mode=mode, padding_mode=pad, align_corners=ac)],
                 [vi("x", F, xg.shape), vi("grid", F, grid.shape)], [vi("y", F, None)], {"x": xg, "grid": grid}, 20)
xg3 = randf(1, 2, 4, 5, 6)
grid3 = rng.uniform(-1.2, 1.2, (1, 3, 4, 5, 3)).astype(np.float32)
for mode in ("linear", "nearest"):
    for pad in ("zeros", "border", "reflection"):
        save(f"gridsample20_3d_{mode}_{pad}",
             [helper.make_node("GridSample", ["x", "grid"], ["y"], mode=mode, padding_mode=pad)],
             [vi("x", F, xg3.shape), vi("grid", F, grid3.shape)], [vi("y", F, None)], {"x": xg3, "grid": grid3}, 20)

# QLinearConv (uint8 x, int8 per-channel w, int32 bias, 2 groups) and ConvInteger (uint8, zero points)
xq = rng.integers(0, 256, (1, 4, 9, 8), dtype=np.uint8)
wq = rng.integers(-127, 128, (6, 2, 3, 3), dtype=np.int8)
inits = [numpy_helper.from_array(np.array(0.02, np.float32), "xs"), numpy_helper.from_array(np.array(7, np.uint8), "xz"),
         numpy_helper.from_array(wq, "w"),
         numpy_helper.from_array(rng.uniform(0.001, 0.01, 6).astype(np.float32), "ws"),
         numpy_helper.from_array(np.zeros(6, np.int8), "wz"),
         numpy_helper.from_array(np.array(0.05, np.float32), "ys"), numpy_helper.from_array(np.array(128, np.uint8), "yz"),
         numpy_helper.from_array(rng.integers(-2000, 2000, 6).astype(np.int32), "b")]
save("qlinearconv_perchannel",
     [helper.make_node("QLinearConv", ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"], ["y"], group=2,
                       pads=[1, 1, 0, 1], strides=[2, 1])],
     [vi("x", TensorProto.UINT8, xq.shape)], [vi("y", TensorProto.UINT8, None)], {"x": xq}, 13, inits)
wu = rng.integers(0, 256, (5, 4, 2, 3), dtype=np.uint8)
save("convinteger_u8",
     [helper.make_node("ConvInteger", ["x", "w", "xz", "wz"], ["y"], dilations=[2, 1], pads=[0, 1, 1, 0])],
     [vi("x", TensorProto.UINT8, xq.shape)], [vi("y", TensorProto.INT32, None)], {"x": xq}, 13,
     [numpy_helper.from_array(wu, "w"), numpy_helper.from_array(np.array(3, np.uint8), "xz"),
      numpy_helper.from_array(np.array(120, np.uint8), "wz")])

# Scan 11: a running sum over axis 1 of one input and axis 0 (reversed) of another; outputs stacked on axis 1,
# the second reversed
body = helper.make_graph(
    [helper.make_node("Add", ["s_in", "a"], ["s_out"]), helper.make_node("Mul", ["s_out", "b"], ["e"]),
     helper.make_node("Neg", ["s_out"], ["f"])], "scan_body",
    [vi("s_in", F, [3]), vi("a", F, [3]), vi("b", F, [3])],
    [vi("s_out", F, [3]), vi("e", F, [3]), vi("f", F, [3])])
a = randf(3, 5)
b = randf(5, 3)
s0 = randf(3)
save("scan_axes",
     [helper.make_node("Scan", ["s0", "a", "b"], ["s", "ys", "zs"], body=body, num_scan_inputs=2,
                       scan_input_axes=[1, 0], scan_input_directions=[0, 1], scan_output_axes=[0, -1],
                       scan_output_directions=[0, 1])],
     [vi("s0", F, [3]), vi("a", F, [3, 5]), vi("b", F, [5, 3])], [vi("s", F, None), vi("ys", F, None),
                                                                   vi("zs", F, None)],
     {"s0": s0, "a": a, "b": b}, 11)

# Scan 8: batch axis first, sequence_lens shorter than the inputs for one entry, one reversed scan input
body8 = helper.make_graph(
    [helper.make_node("Add", ["s_in", "a"], ["s_out"]), helper.make_node("Mul", ["s_out", "b"], ["e"])], "scan8_body",
    [vi("s_in", F, [3]), vi("a", F, [3]), vi("b", F, [3])], [vi("s_out", F, [3]), vi("e", F, [3])])
save("scan8_seqlens",
     [helper.make_node("Scan", ["lens", "s0", "a", "b"], ["s", "ys"], body=body8, num_scan_inputs=2,
                       directions=[0, 1])],
     [vi("s0", F, [2, 3]), vi("a", F, [2, 5, 3]), vi("b", F, [2, 5, 3])], [vi("s", F, None), vi("ys", F, None)],
     {"s0": randf(2, 3), "a": randf(2, 5, 3), "b": randf(2, 5, 3)}, 8,
     [numpy_helper.from_array(np.array([5, 3], np.int64), "lens")])

# Loop without M (cond goes false once the carried value passes a threshold) and without cond (M = 5)
lb = helper.make_graph(
    [helper.make_node("Add", ["v_in", "one"], ["v_out"]), helper.make_node("ReduceSum", ["v_out"], ["tot"], keepdims=0),
     helper.make_node("Less", ["tot", "limit"], ["c_out"]), helper.make_node("Mul", ["v_out", "v_out"], ["sq"])],
    "loop_body", [vi("i", TensorProto.INT64, []), vi("c_in", TensorProto.BOOL, []), vi("v_in", F, [2])],
    [vi("c_out", TensorProto.BOOL, []), vi("v_out", F, [2]), vi("sq", F, [2])])
v0 = np.array([0.25, -1.5], np.float32)
consts = [numpy_helper.from_array(np.ones(2, np.float32), "one"), numpy_helper.from_array(np.array(9.0, np.float32),
                                                                                            "limit"),
          numpy_helper.from_array(np.array(True), "cond0"), numpy_helper.from_array(np.array(5, np.int64), "m")]
save("loop_no_m", [helper.make_node("Loop", ["", "cond0", "v0"], ["v", "sqs"], body=lb)],
     [vi("v0", F, [2])], [vi("v", F, None), vi("sqs", F, None)], {"v0": v0}, 13, consts)
save("loop_no_cond", [helper.make_node("Loop", ["m", "", "v0"], ["v", "sqs"], body=lb)],
     [vi("v0", F, [2])], [vi("v", F, None), vi("sqs", F, None)], {"v0": v0}, 13, consts)
# Signal ops: DFT 20 (axis input, onesided, zero-padded length), DFT 17 inverse of a complex signal with a cut
# length, STFT with a Hann window, MelWeightMatrix, windows as float64
sig = randf(2, 12, 5, 1)
save("dft20_onesided", [helper.make_node("DFT", ["x", "n", "ax"], ["y"], onesided=1)], [vi("x", F, sig.shape)],
     [vi("y", F, None)], {"x": sig}, 20,
     [numpy_helper.from_array(np.array(16, np.int64), "n"), numpy_helper.from_array(np.array(1, np.int64), "ax")])
csig = randf(2, 3, 9, 2)
save("dft17_inverse_cut", [helper.make_node("DFT", ["x", "n"], ["y"], axis=2, inverse=1)], [vi("x", F, csig.shape)],
     [vi("y", F, None)], {"x": csig}, 17, [numpy_helper.from_array(np.array(7, np.int64), "n")])
audio = randf(2, 100, 1)
save("stft_hann", [helper.make_node("HannWindow", ["wl"], ["w"]),
                   helper.make_node("STFT", ["x", "step", "w"], ["y"])], [vi("x", F, audio.shape)],
     [vi("y", F, None)], {"x": audio}, 17,
     [numpy_helper.from_array(np.array(20, np.int32), "wl"), numpy_helper.from_array(np.array(6, np.int64), "step")])
save("melweightmatrix", [helper.make_node("MelWeightMatrix", ["m", "n", "r", "lo", "hi"], ["y"])],
     [vi("lo", F, [])], [vi("y", F, None)], {"lo": np.array(30.0, np.float32)}, 17,
     [numpy_helper.from_array(np.array(10, np.int64), "m"), numpy_helper.from_array(np.array(64, np.int64), "n"),
      numpy_helper.from_array(np.array(16000, np.int64), "r"), numpy_helper.from_array(np.array(7000.0, np.float32),
                                                                                      "hi")])
save("windows_f64", [helper.make_node("BlackmanWindow", ["n"], ["b"], output_datatype=TensorProto.DOUBLE, periodic=0),
                     helper.make_node("HammingWindow", ["n"], ["h"], output_datatype=TensorProto.DOUBLE)],
     [vi("n", TensorProto.INT64, [])], [vi("b", TensorProto.DOUBLE, None), vi("h", TensorProto.DOUBLE, None)],
     {"n": np.array(13, np.int64)}, 17)
# MaxPool with the Indices output: storage_order 1 with pads and strides; 3-D with dilations and ceil_mode
xm = randf(2, 3, 7, 8)
save("maxpool_indices_2d_so1", [helper.make_node("MaxPool", ["x"], ["y", "i"], kernel_shape=[3, 2], strides=[2, 2],
                                                 pads=[1, 0, 1, 1], storage_order=1)],
     [vi("x", F, xm.shape)], [vi("y", F, None), vi("i", TensorProto.INT64, None)], {"x": xm}, 12)
xm3 = randf(1, 2, 5, 6, 7)
save("maxpool_indices_3d", [helper.make_node("MaxPool", ["x"], ["y", "i"], kernel_shape=[2, 2, 3], strides=[2, 1, 2],
                                             dilations=[1, 2, 1], ceil_mode=1)],
     [vi("x", F, xm3.shape)], [vi("y", F, None), vi("i", TensorProto.INT64, None)], {"x": xm3}, 12)
print(f"op models written to {out}")
