#!/bin/sh
# onnxq quantize --plan-out, then --plan-in with the same plan: the model and the plan come out byte-identical;
# then a plan with one value's range edited: the model differs, and the new plan shows the edit.
#   plan_roundtrip.sh ONNXQ DIGITS_DIR OUT_DIR
set -eu
Q=$1 D=$2 O=$3
rm -rf "$O" && mkdir -p "$O"
"$Q" quantize "$D/model.onnx" --calib "$D/calib" -o "$O/a.onnx" --plan-out "$O/a.json" >/dev/null
"$Q" quantize "$D/model.onnx" --calib "$D/calib" -o "$O/b.onnx" --plan-in "$O/a.json" --plan-out "$O/b.json" >/dev/null
cmp "$O/a.onnx" "$O/b.onnx" || { echo "error: model differs after --plan-in of an unedited plan"; exit 1; }
cmp "$O/a.json" "$O/b.json" || { echo "error: plan differs after --plan-in of an unedited plan"; exit 1; }
# edit: the input's range [0,1] becomes [0,2]
sed 's/"params_of":"input","scale":\[[0-9.e-]*\],"zero_point":\[0\],"range":\[0,1\]/"params_of":"input","scale":[0.00392156886],"zero_point":[0],"range":[0,2]/' \
  "$O/a.json" >"$O/edited.json"
cmp -s "$O/a.json" "$O/edited.json" && { echo "error: the edit did not apply to the plan text"; exit 1; }
"$Q" quantize "$D/model.onnx" --calib "$D/calib" -o "$O/c.onnx" --plan-in "$O/edited.json" --plan-out "$O/c.json" >/dev/null
cmp -s "$O/a.onnx" "$O/c.onnx" && { echo "error: an edited plan gave the same model"; exit 1; }
grep -q '"name":"input","role":"activation","rule":"plan_in".*"scale":\[0.00784313772\],"zero_point":\[0\],"range":\[0,2\]' "$O/c.json" ||
  { echo "error: the new plan does not show the edited range"; exit 1; }
# the plan written by the edited run reads back: its Conv bias scales follow from the edited input (not an edit of
# their own), and the model and the plan come out byte-identical
"$Q" quantize "$D/model.onnx" --calib "$D/calib" -o "$O/d.onnx" --plan-in "$O/c.json" --plan-out "$O/d.json" >/dev/null ||
  { echo "error: the plan written after an edit does not read back"; exit 1; }
cmp "$O/c.onnx" "$O/d.onnx" || { echo "error: model differs after --plan-in of the plan written after an edit"; exit 1; }
cmp "$O/c.json" "$O/d.json" || { echo "error: plan differs after --plan-in of the plan written after an edit"; exit 1; }
echo "ok: plan round trip identical, edit applied, edited plan reads back"
