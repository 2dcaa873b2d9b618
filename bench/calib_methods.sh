#!/bin/sh
# Range-method comparison (docs/performance.md, "Calibration"): for every model folder under MODELS_DIR
# (scripts/make-torch-models.py), quantize with each method from 64 image crops and measure the quantized model's
# fidelity to the float model in onnxruntime on 64 other crops (bench/calib_eval.mjs).
#
#   sh bench/calib_methods.sh ONNXQ MODELS_DIR WORK_DIR
set -eu
onnxq=$1
models=$2
work=$3
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$work"
[ -d "$work/data/images" ] || /usr/bin/python3 "$here/calib_data.py" "$work/data"
norm="--mean 123.675,116.28,103.53 --std 58.395,57.12,57.375"
printf '%-22s %-11s %9s %6s %8s\n' model method sqnr_db top1 quant_s
for m in "$models"/*/; do
  name=$(basename "$m")
  "$onnxq" calibrate "$m/model.onnx" --calib "$work/data/images" -o "$work/$name.table" $norm --quiet --threads 2 \
    >/dev/null 2>"$work/$name.err" || { echo "$name: $(cat "$work/$name.err")"; continue; }
  for method in minmax percentile entropy mse; do
    t0=$(date +%s.%N)
    "$onnxq" quantize "$m/model.onnx" --table "$work/$name.table" -o "$work/$name.$method.onnx" --method $method >/dev/null
    t1=$(date +%s.%N)
    r=$(node "$here/calib_eval.mjs" "$m/model.onnx" "$work/$name.$method.onnx" "$work/data/eval")
    printf '%-22s %-11s %9s %6s %8.2f\n' "$name" $method "$(echo "$r" | sed 's/.*sqnr_db=\([^ ]*\).*/\1/')" \
      "$(echo "$r" | sed 's/.*top1=//')" "$(echo "$t1 - $t0" | bc)"
  done
done
