#!/bin/sh
# Converts one ONNX backend test model to an opset and runs the converted model on onnxq's executor against the
# original test's expected outputs (node_test: ONNX's tolerance).
#   run_converted.sh ONNXQ NODE_TEST TEST_DIR OUT_DIR OPSET
# Exit 0: converted and equal. Exit 77 (ctest SKIP_RETURN_CODE): converted, but an operator of the converted model
# is not executable by onnxq yet; the reason is printed. Anything else fails.
set -u
onnxq=$1 node_test=$2 test_dir=$3 out=$4 opset=$5
rm -rf "$out" && mkdir -p "$out" || exit 1
"$onnxq" convert "$test_dir/model.onnx" --opset "$opset" -o "$out/model.onnx" || exit 1
for ds in "$test_dir"/test_data_set_*; do ln -s "$ds" "$out/" || exit 1; done
"$node_test" "$out" >"$out/exec.log" 2>&1
rc=$?
cat "$out/exec.log"
if [ $rc -eq 2 ] && grep -Eq "operator not supported|output of [A-Za-z]+ is not supported" "$out/exec.log"; then
  echo "SKIPPED: converted to opset $opset, but not executable by onnxq yet: $(grep -E 'not supported' "$out/exec.log" | head -1)"
  exit 77
fi
exit $rc
