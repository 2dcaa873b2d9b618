#!/bin/sh
# Behaviour of the onnxq command on good input, one ctest case per invocation:
#
#   cases.sh CASE ONNXQ SOURCE_DIR WORK_DIR PYTHON
#
# WORK_DIR is emptied first. Exit 0 when the case passes.
set -eu

case_name=$1
onnxq=$2
src=$3
work=$4
py=$5
digits=$src/samples/digits
here=$(cd "$(dirname "$0")" && pwd)

rm -rf "$work"
mkdir -p "$work"
cd "$work"

. "$here/assert.sh" # fail, ok

# usage_error CMD...: must exit 1, empty stdout, one stderr line starting "onnxq: "
usage_error() {
  rc=0
  "$@" >stdout 2>stderr </dev/null || rc=$?
  [ "$rc" -eq 1 ] || fail "'$*' exited with status $rc, expected 1"
  [ -s stdout ] && fail "'$*' wrote to stdout"
  [ "$(wc -l <stderr)" -eq 1 ] || fail "'$*' wrote $(wc -l <stderr) lines to stderr, expected 1"
  grep -q '^onnxq: ' stderr || fail "stderr line does not start with 'onnxq: '"
  return 0
}

case $case_name in
help)
  ok "$onnxq" --help
  grep -q '^Usage: onnxq' stdout || fail "no usage line"
  for c in inspect convert run quantize; do grep -q "$c" stdout || fail "--help does not list $c"; done
  ok "$onnxq" -h
  ;;
version)
  ok "$onnxq" --version
  grep -Eq '^onnxq [0-9]+\.[0-9]+\.[0-9]+$' stdout || fail "bad version line"
  ok "$onnxq" -V
  ;;
inspect_help | convert_help | run_help | quantize_help)
  c=${case_name%_help}
  ok "$onnxq" "$c" --help
  grep -q "^Usage: onnxq $c" stdout || fail "no usage line"
  # --help wins wherever it appears, even with other arguments
  ok "$onnxq" "$c" some.onnx -h
  grep -q "^Usage: onnxq $c" stdout || fail "no usage line for -h"
  ;;
usage_errors)
  usage_error "$onnxq"
  usage_error "$onnxq" frobnicate
  usage_error "$onnxq" --bogus
  usage_error "$onnxq" inspect
  usage_error "$onnxq" inspect --bogus "$digits/model.onnx"
  usage_error "$onnxq" inspect a.onnx b.onnx
  usage_error "$onnxq" convert "$digits/model.onnx"
  usage_error "$onnxq" convert "$digits/model.onnx" -o
  usage_error "$onnxq" convert "$digits/model.onnx" -o out.onnx --size-threshold 12x --external-data w.bin
  usage_error "$onnxq" convert "$digits/model.onnx" -o out.onnx --size-threshold 12
  usage_error "$onnxq" convert "$digits/model.onnx" -o out.onnx --external-data ../w.bin
  usage_error "$onnxq" run "$digits/model.onnx" -o res
  usage_error "$onnxq" run "$digits/model.onnx" --inputs "$digits/calib/sample_000"
  usage_error "$onnxq" run "$digits/model.onnx" --inputs "$digits/calib/sample_000" -o res --threads 0
  usage_error "$onnxq" quantize "$digits/model.onnx" -o out.onnx
  usage_error "$onnxq" quantize "$digits/model.onnx" --calib "$digits/calib"
  usage_error "$onnxq" quantize "$digits/model.onnx" --calib "$digits/calib" -o out.onnx --threads -3
  usage_error "$onnxq" quantize "$digits/model.onnx" --calib "$digits/calib" -o out.onnx --per-tensor=1
  [ -z "$(ls -A)" ] || [ "$(ls -A)" = "$(printf 'stderr\nstdout')" ] || fail "files left behind: $(ls -A)"
  ;;
inspect_text)
  ok "$onnxq" inspect "$digits/model.onnx"
  [ -s stdout ] || fail "empty summary"
  grep -q input stdout || fail "summary does not mention the input"
  ;;
inspect_json)
  ok "$onnxq" inspect --json "$digits/model.onnx"
  "$py" -m json.tool stdout >/dev/null || fail "inspect --json is not valid JSON"
  ;;
run_pb)
  # test_data_set_0: input_0.pb in, output_0.pb is torch's reference output
  ok "$onnxq" run "$digits/model.onnx" --inputs "$digits/test_data_set_0" -o res
  [ -s stdout ] && fail "run printed to stdout"
  "$py" "$here/compare_outputs.py" res/logits.npy "$digits/test_data_set_0/output_0.pb" 1e-4
  ;;
run_npy)
  # output folder and its parents are created; a second run overwrites in place
  ok "$onnxq" run "$digits/model.onnx" --inputs "$digits/calib/sample_000" -o new/nested/res
  "$py" -c "import numpy as n, sys; a = n.load('new/nested/res/logits.npy'); sys.exit(0 if a.shape == (1, 10) and a.dtype == n.float32 else 1)" ||
    fail "logits.npy is not float32 [1,10]"
  ok "$onnxq" run "$digits/model.onnx" --inputs "$digits/calib/sample_001" -o new/nested/res --threads 2
  [ "$(ls -A new/nested/res)" = "logits.npy" ] || fail "unexpected files: $(ls -A new/nested/res)"
  ;;
run_threads)
  # --threads N splits each kernel's work; the outputs are the same bytes whatever N is
  ok "$onnxq" run "$digits/model.onnx" --inputs "$digits/test_data_set_0" -o t1 --threads 1
  ok "$onnxq" run "$digits/model.onnx" --inputs "$digits/test_data_set_0" -o t3 --threads 3
  cmp t1/logits.npy t3/logits.npy || fail "--threads 3 computes something else than --threads 1"
  # a batch of 64 images, so that Conv and the pools really split their work
  mkdir batch
  "$py" -c "import numpy as n; x = n.random.default_rng(7).standard_normal((64, 1, 8, 8)); \
n.save('batch/input.npy', x.astype(n.float32))" || fail "cannot write the batch input"
  ok "$onnxq" run "$digits/model.onnx" --inputs batch -o b1
  ok "$onnxq" run "$digits/model.onnx" --inputs batch -o b3 --threads 3
  ok "$onnxq" run "$digits/model.onnx" --inputs batch -o b2 -t 2
  cmp b1/logits.npy b3/logits.npy || fail "--threads 3 computes something else than one thread on a batch"
  cmp b1/logits.npy b2/logits.npy || fail "-t 2 computes something else than one thread on a batch"
  ;;
convert)
  ok "$onnxq" convert "$digits/model.onnx" -o inline.onnx
  ok "$onnxq" inspect inline.onnx
  ok "$onnxq" convert "$digits/model.onnx" -o ext.onnx --external-data ext.bin --size-threshold 0
  [ -s ext.bin ] || fail "no external data file written"
  ok "$onnxq" inspect ext.onnx
  # a converted model computes the same thing, with weights inline or external
  ok "$onnxq" run "$digits/model.onnx" --inputs "$digits/calib/sample_007" -o r0
  ok "$onnxq" run ext.onnx --inputs "$digits/calib/sample_007" -o r1
  ok "$onnxq" run inline.onnx --inputs "$digits/calib/sample_007" -o r2
  cmp r0/logits.npy r1/logits.npy || fail "external-data copy computes something else"
  cmp r0/logits.npy r2/logits.npy || fail "inline copy computes something else"
  # convert back from external to inline, from another folder
  mkdir sub
  ok "$onnxq" convert ext.onnx -o sub/back.onnx
  ok "$onnxq" run sub/back.onnx --inputs "$digits/calib/sample_007" -o r3
  cmp r0/logits.npy r3/logits.npy || fail "round trip computes something else"
  ;;
quantize)
  ok "$onnxq" quantize "$digits/model.onnx" --calib "$digits/calib" -o digits.qdq.onnx
  [ "$(wc -l <stdout)" -eq 1 ] || fail "quantize should print one summary line"
  grep -q QuantizeLinear digits.qdq.onnx || fail "no QuantizeLinear in the output"
  ok "$onnxq" inspect digits.qdq.onnx
  ok "$onnxq" run digits.qdq.onnx --inputs "$digits/calib/sample_000" -o res
  ok "$onnxq" quantize "$digits/model.onnx" --calib "$digits/calib" -o per_tensor.onnx --per-tensor --threads 2
  [ "$(ls -A | grep -v -e '^std' | LC_ALL=C sort | tr '\n' ' ')" = "digits.qdq.onnx per_tensor.onnx res " ] ||
    fail "unexpected files: $(ls -A)"
  ;;
*)
  fail "unknown case $case_name"
  ;;
esac
echo "ok: $case_name"
