#!/usr/bin/env bash
# Quantizes the bundled digits classifier and prints float vs quantized accuracy under onnxruntime.
#
#   ./scripts/quantize-sample.sh          (after ./scripts/setup.sh)
#
# Exit status 1 when the quantized model loses more than 1 point of accuracy (see tests/e2e/compare_ort.mjs).
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${ONNXQ_BUILD_DIR:-build}
d=samples/digits
"$build_dir/onnxq" quantize "$d/model.onnx" --calib "$d/calib" -o "$build_dir/digits.qdq.onnx"
node tests/e2e/compare_ort.mjs "$d/model.onnx" "$build_dir/digits.qdq.onnx" "$d/test/images.npy" "$d/test/labels.npy"
