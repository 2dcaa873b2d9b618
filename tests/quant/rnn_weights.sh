#!/bin/sh
# LSTM / GRU weight quantization end to end: the torch exports of tests/e2e/make_exports.py (a 2-layer LSTM, opset
# 17, and a bidirectional GRU, opset 14) quantized with the default options. Standard ONNX has no quantized LSTM/GRU
# (onnxruntime's DynamicQuantizeLSTM is com.microsoft), so the model keeps the float op and reads W and R through a
# per-channel DequantizeLinear (axis 1, the gate rows). Checks: that structure, the ONNX checker, and the output SQNR
# in onnxruntime-node on random inputs (a seed apart from calibration's) above a floor.
#   rnn_weights.sh ONNXQ NODE PYTHON EXPORTS_DIR OUT_DIR
set -eu
Q=$1 NODE=$2 PY=$3 X=$4 O=$5
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$O"
fails=0
for spec in lstm:40 gru:40; do
  name=${spec%%:*} floor=${spec#*:}
  m=$X/$name/model.onnx
  "$PY" "$ROOT/tests/e2e/make_calib.py" "$m" "$O/${name}_calib" 16 1 >/dev/null
  "$PY" "$ROOT/tests/e2e/make_calib.py" "$m" "$O/${name}_eval" 8 2 >/dev/null
  "$Q" quantize "$m" --calib "$O/${name}_calib" -o "$O/$name.q.onnx" --quiet >/dev/null ||
    { echo "error: $name: quantize failed"; fails=1; continue; }
  "$PY" "$ROOT/tests/e2e/check_model.py" "$O/$name.q.onnx" >/dev/null || { echo "error: $name: checker"; fails=1; }
  "$PY" "$ROOT/tests/quant/check_qmodel.py" rnn "$O/$name.q.onnx" || fails=1
  r=$("$NODE" "$ROOT/tests/quant/sqnr_ort.mjs" "$m" "$O/$name.q.onnx" "$O/${name}_eval" --min-db "$floor") || fails=1
  echo "$name: $(echo "$r" | tr '\n' ' ')"
done
exit $fails
