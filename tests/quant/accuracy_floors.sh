#!/bin/sh
# Output SQNR floors of the default quantization (MinMax, uint8/int8, per channel) in onnxruntime, on crops of real
# photographs (bench/quant_models.py: scikit-learn's sample images; calibration and evaluation crops from disjoint
# halves), per model, and the tensorrt preset on resnet18 and the transformer. Floors: docs/performance.md ("Quantized model"), measured values minus a margin.
#   accuracy_floors.sh ONNXQ NODE PYTHON OUT_DIR
set -eu
Q=$1 NODE=$2 PY=$3 O=$4
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$O"
if [ ! -f "$O/.done" ]; then
  "$PY" "$ROOT/bench/quant_models.py" "$O" --size 64 --calib 16 --eval 8 >/dev/null 2>"$O/export.log" ||
    { echo "error: model export failed: $(tail -1 "$O/export.log")"; exit 1; }
  touch "$O/.done"
fi
fails=0
for spec in resnet18:20 mobilenet_v2:30 shufflenet_v2_x1_0:30 squeezenet1_1:30 efficientnet_b0:30 transformer:20; do
  name=${spec%%:*} floor=${spec#*:}
  d=$O/$name
  "$Q" quantize "$d/model.onnx" --calib "$d/calib" -o "$d/q.onnx" --quiet >/dev/null || { echo "error: $name: quantize failed"; fails=1; continue; }
  r=$("$NODE" "$ROOT/tests/quant/sqnr_ort.mjs" "$d/model.onnx" "$d/q.onnx" "$d/eval" --min-db "$floor") || fails=1
  echo "$name: $(echo "$r" | tr '\n' ' ')"
done
# --preset tensorrt (int8 symmetric activations and weights, Q/DQ only in front of quantized ops' inputs, per-channel
# weight axes) on a CNN and the transformer: the structure, and the model runs in onnxruntime with a floor.
for spec in resnet18:18 transformer:20; do
  name=${spec%%:*} floor=${spec#*:}
  d=$O/$name
  "$Q" quantize "$d/model.onnx" --calib "$d/calib" -o "$d/trt.onnx" --preset tensorrt --quiet >/dev/null ||
    { echo "error: $name: quantize --preset tensorrt failed"; fails=1; continue; }
  "$PY" "$ROOT/tests/quant/check_qmodel.py" tensorrt "$d/trt.onnx" || fails=1
  r=$("$NODE" "$ROOT/tests/quant/sqnr_ort.mjs" "$d/model.onnx" "$d/trt.onnx" "$d/eval" --min-db "$floor") || fails=1
  echo "$name tensorrt: $(echo "$r" | tr '\n' ' ')"
done
exit $fails
