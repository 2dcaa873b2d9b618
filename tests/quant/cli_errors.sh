#!/bin/sh
# Bad option values and refused inputs: exit status 2 (usage) or 1 (failure), one line on stderr, no output file.
#   cli_errors.sh ONNXQ DIGITS_DIR OUT_DIR
set -u
Q=$1 D=$2 O=$3
rm -rf "$O" && mkdir -p "$O"
fails=0
expect() { # expect STATUS GREP_PATTERN ARGS...
  want=$1 pat=$2
  shift 2
  "$Q" quantize "$D/model.onnx" --calib "$D/calib" -o "$O/out.onnx" "$@" >"$O/stdout" 2>"$O/stderr"
  got=$?
  lines=$(wc -l <"$O/stderr")
  if [ "$got" -ne "$want" ] || [ "$lines" -ne 1 ] || ! grep -q -- "$pat" "$O/stderr" || [ -e "$O/out.onnx" ]; then
    echo "error: quantize $*: status $got (want $want), stderr: $(cat "$O/stderr")"
    fails=1
  fi
  rm -f "$O/out.onnx"
}
expect 1 "activation-type needs" --activation-type int4
expect 1 "weight-type needs" --weight-type float
expect 1 "block-size needs" --block-size 48
expect 1 "preset needs" --preset tflite
expect 1 "op-types needs" --op-types ,
expect 1 "op type 'Frobnicate'" --op-types Conv,Frobnicate
printf '{"values":[{"name":"nope","quantized":false}]}' >"$O/bad.json"
expect 1 "bad.json: value 'nope' is not in the model" --plan-in "$O/bad.json"
printf '{"values":[' >"$O/trunc.json"
expect 1 "trunc.json:1:" --plan-in "$O/trunc.json"
expect 1 "missing.json" --plan-in "$O/missing.json"
# an already quantized model: refused, then accepted with --requantize
"$Q" quantize "$D/model.onnx" --calib "$D/calib" -o "$O/q.onnx" >/dev/null || fails=1
"$Q" quantize "$O/q.onnx" --calib "$D/calib" -o "$O/qq.onnx" >/dev/null 2>"$O/stderr"
if [ $? -ne 1 ] || ! grep -q "already quantized" "$O/stderr" || [ -e "$O/qq.onnx" ]; then
  echo "error: a quantized model was not refused: $(cat "$O/stderr")"
  fails=1
fi
"$Q" quantize "$O/q.onnx" --calib "$D/calib" -o "$O/qq.onnx" --requantize >/dev/null || { echo "error: --requantize failed"; fails=1; }
[ $fails -eq 0 ] && echo "ok: every bad value refused in one line"
exit $fails
