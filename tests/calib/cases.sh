#!/bin/sh
# Calibration from the command line on the bundled digits sample, one ctest case per invocation:
#
#   cases.sh CASE ONNXQ SOURCE_DIR WORK_DIR PYTHON NODE
#
# WORK_DIR is emptied first. Exit 0 when the case passes.
set -eu

case_name=$1
onnxq=$2
src=$3
work=$4
py=$5
node=$6
digits=$src/samples/digits
model=$digits/model.onnx

rm -rf "$work"
mkdir -p "$work"
cd "$work"

. "$src/tests/cli/assert.sh" # fail, ok
# one_line_error PATTERN CMD...: exit 1, nothing on stdout, one stderr line "onnxq: ..." matching PATTERN
one_line_error() {
  pat=$1
  shift
  rc=0
  "$@" >stdout 2>stderr </dev/null || rc=$?
  [ "$rc" -eq 1 ] || fail "'$*' exited with status $rc, expected 1"
  [ -s stdout ] && fail "'$*' wrote to stdout"
  [ "$(wc -l <stderr)" -eq 1 ] || fail "'$*' wrote $(wc -l <stderr) lines to stderr, expected 1"
  grep -q "^onnxq: .*$pat" stderr || fail "'$*': stderr does not match '$pat'"
  return 0
}

case $case_name in
threads_and_shards_identical)
  # the table is byte-identical for 1..4 threads and for every split into 1..4 shards (merged in any order)
  ok "$onnxq" calibrate "$model" --calib "$digits/calib" -o ref.table
  for t in 2 3 4; do
    ok "$onnxq" calibrate "$model" --calib "$digits/calib" -o t$t.table --threads $t
    cmp ref.table t$t.table || fail "table differs with --threads $t"
  done
  for n in 1 2 3 4; do
    list=""
    for k in $(seq 1 $n); do
      ok "$onnxq" calibrate "$model" --calib "$digits/calib" -o s${k}_$n.table --shard $k/$n --threads 2
      list="s${k}_$n.table $list" # reversed order
    done
    ok "$onnxq" merge $list -o m$n.table
    cmp ref.table m$n.table || fail "merged $n shards differ from one run"
  done
  # the quantized models agree too, with --calib and with --table, for a histogram method
  ok "$onnxq" quantize "$model" --calib "$digits/calib" -o a.onnx --method entropy --threads 3
  ok "$onnxq" quantize "$model" --table m4.table -o b.onnx --method entropy
  cmp a.onnx b.onnx || fail "quantize --table differs from quantize --calib"
  ;;
merge_refusals)
  ok "$onnxq" calibrate "$model" --calib "$digits/calib" -o a.table --shard 1/2
  ok "$onnxq" calibrate "$model" --calib "$digits/calib" -o b.table --shard 2/2
  ok "$onnxq" calibrate "$model" --calib "$digits/calib" -o all.table
  one_line_error "share samples" "$onnxq" merge a.table all.table -o m.table
  one_line_error "share samples" "$onnxq" merge a.table a.table -o m.table
  [ -e m.table ] && fail "a refused merge wrote output"
  ok "$onnxq" calibrate "$model" --calib "$digits/calib" -o bins.table --shard 2/2 --bins 1024
  one_line_error "different kinds" "$onnxq" merge a.table bins.table -o m.table
  # another model: the same graph with another weight
  "$py" - "$model" other.onnx <<'PY'
import sys, onnx, numpy as np
from onnx import numpy_helper
m = onnx.load(sys.argv[1])
init = m.graph.initializer[0]
a = numpy_helper.to_array(init).copy()
a.flat[0] += 1.0
init.CopyFrom(numpy_helper.from_array(a, init.name))
onnx.save(m, sys.argv[2])
PY
  ok "$onnxq" calibrate other.onnx --calib "$digits/calib" -o other.table --shard 2/2
  one_line_error "different models" "$onnxq" merge a.table other.table -o m.table
  one_line_error "another model" "$onnxq" quantize "$model" --table other.table -o q.onnx
  printf 'ONNXQCAL garbage' >bad.table
  one_line_error "bad.table" "$onnxq" quantize "$model" --table bad.table -o q.onnx
  ok "$onnxq" merge a.table b.table -o m.table
  cmp m.table all.table || fail "merge of two halves differs"
  ;;
formats)
  # .npz per sample (stored and deflated) and one .npy with a batch axis give the same table as sample folders
  "$py" "$src/tests/calib/make_formats.py" "$digits/calib" fmt
  ok "$onnxq" calibrate "$model" --calib "$digits/calib" -o ref.table
  for f in npz npy; do
    ok "$onnxq" calibrate "$model" --calib fmt/$f -o $f.table --threads 2
    cmp ref.table $f.table || fail "$f table differs"
  done
  # selection: --limit and --shuffle pick samples deterministically
  ok "$onnxq" calibrate "$model" --calib fmt/npy -o l1.table --limit 10 --shuffle 7
  ok "$onnxq" calibrate "$model" --calib fmt/npz -o l2.table --limit 10 --shuffle 7
  cmp l1.table l2.table || fail "--shuffle/--limit differ between formats"
  grep -q "10 calibration samples" stdout || fail "--limit 10 not reported"
  # errors name the file
  mkdir badnpz && cp fmt/npz/sample_000.npz badnpz/ && printf 'PK\003\004junk' >badnpz/sample_001.npz
  one_line_error "sample_001.npz" "$onnxq" calibrate "$model" --calib badnpz -o x.table
  mkdir wrongname && "$py" -c "import numpy as np; np.savez('wrongname/s.npz', image=np.zeros((1,1,8,8), np.float32))"
  one_line_error "s.npz: key 'image' does not match" "$onnxq" calibrate "$model" --calib wrongname -o x.table
  mkdir wrongshape && "$py" -c "import numpy as np; np.save('wrongshape/input.npy', np.zeros((5,1,8,9), np.float32))"
  one_line_error "wrongshape/input.npy: input 'input' expects" "$onnxq" calibrate "$model" --calib wrongshape -o x.table
  # tf2onnx-style input names: files may carry the exact name ('input:0') or its sanitized stem ('input_0')
  "$py" - "$model" colon.onnx <<'PY'
import sys, onnx
m = onnx.load(sys.argv[1])
for n in m.graph.node:
    n.input[:] = ["input:0" if i == "input" else i for i in n.input]
m.graph.input[0].name = "input:0"
onnx.save(m, sys.argv[2])
PY
  mkdir -p exact/a exact/b colnpz
  cp "$digits/calib/sample_000/input.npy" "exact/a/input:0.npy"
  cp "$digits/calib/sample_001/input.npy" exact/b/input_0.npy
  "$py" -c "import numpy as np; np.savez('colnpz/s.npz', **{'input:0': np.load('$digits/calib/sample_002/input.npy')})"
  ok "$onnxq" calibrate colon.onnx --calib exact -o exact.table
  ok "$onnxq" calibrate colon.onnx --calib colnpz -o colnpz.table
  mkdir empty
  one_line_error "no sample folders" "$onnxq" calibrate "$model" --calib empty -o x.table
  ;;
trt_cache)
  # export, import, and quantize from the cache: ranges survive the round trip
  ok "$onnxq" calibrate "$model" --calib "$digits/calib" -o t.table
  ok "$onnxq" calibrate "$model" --table t.table --trt-cache t.cache
  head -1 t.cache | grep -q '^TRT-8601-EntropyCalibration2$' || fail "cache header"
  grep -q '^logits: [0-9a-f]\{8\}$' t.cache || fail "cache line for logits"
  # importing gives back the same ranges: exporting the imported cache writes the same bytes
  ok "$onnxq" calibrate "$model" --table t.cache --trt-cache t2.cache
  cmp t.cache t2.cache || fail "cache round trip"
  # a cache holds symmetric ranges: ReLU outputs lose the sign bit in uint8 (measured drop 0.134), still usable
  ok "$onnxq" quantize "$model" --table t.cache -o c.onnx
  "$node" "$src/tests/e2e/compare_ort.mjs" "$model" c.onnx "$digits/test/images.npy" "$digits/test/labels.npy" \
    --max-drop 0.2 --max-rel 1 >stdout 2>&1 || fail "model from the TensorRT cache"
  # onnxruntime's plain form: "name: range"
  "$py" - t.cache plain.cache <<'PY'
import struct, sys
lines = open(sys.argv[1]).read().split("\n")
with open(sys.argv[2], "w") as f:
    f.write(lines[0] + "\n")
    for l in lines[1:]:
        if l:
            name, h = l.rsplit(": ", 1)
            f.write("%s: %.17g\n" % (name, struct.unpack(">f", bytes.fromhex(h))[0] * 127))
PY
  ok "$onnxq" quantize "$model" --table plain.cache -o p.onnx
  cmp p.onnx c.onnx || fail "the decimal cache quantizes differently"
  printf 'TRT-8601-EntropyCalibration2\ninput: 1.0\n' >partial.cache
  one_line_error "no calibration range" "$onnxq" quantize "$model" --table partial.cache -o p2.onnx
  one_line_error "minmax" "$onnxq" quantize "$model" --table t.cache -o e.onnx --method entropy
  ;;
bad_values)
  for a in "--method kl" "--percentile 0" "--percentile 101" "--bins 1000" "--levels 1" "--weight-range entropy" \
    "--shard 3/2" "--shard 0/2" "--shard 1" "--limit 0" "--shuffle x" "--image-size 8" "--resize crop" \
    "--mean a" "--std 0" "--layout CHW" "--color YUV"; do
    # shellcheck disable=SC2086
    one_line_error "" "$onnxq" quantize "$model" --calib "$digits/calib" -o q.onnx $a
  done
  one_line_error "either --calib or --table" "$onnxq" quantize "$model" --calib x --table y -o q.onnx
  one_line_error "missing -o" "$onnxq" merge a.table
  "$onnxq" quantize --help | grep -q -- "--moving-average" || fail "--help lacks the range options"
  "$onnxq" calibrate --help | grep -q -- "--shard K/N" || fail "calibrate --help lacks --shard"
  ;;
images)
  # PNG, BMP and JPEG folders of the digits (gray, 0..255): lossless formats agree exactly, --std 255 maps the
  # pixels back to the model's 0..1 and keeps the accuracy
  "$py" "$src/tests/calib/make_images.py" "$digits/calib" img
  ok "$onnxq" calibrate "$model" --calib img/png -o png.table --std 255
  ok "$onnxq" calibrate "$model" --calib img/bmp -o bmp.table --std 255 --threads 2
  cmp png.table bmp.table || fail "PNG and BMP tables differ"
  for f in png jpg; do
    ok "$onnxq" quantize "$model" --calib img/$f -o $f.onnx --std 255 --method entropy
    "$node" "$src/tests/e2e/compare_ort.mjs" "$model" $f.onnx "$digits/test/images.npy" "$digits/test/labels.npy" \
      --max-drop 0.005 --max-rel 0.1 >stdout 2>&1 || fail "accuracy with $f images"
  done
  ok "$onnxq" calibrate "$model" --calib img/big -o big.table --std 255 --resize short-side --image-size 8,8
  one_line_error "b.png: corrupt PNG" "$onnxq" calibrate "$model" --calib img/bad -o x.table
  one_line_error "GRAY needs a 1-channel\\|--mean/--std need" "$onnxq" calibrate "$model" --calib img/png -o x.table \
    --mean 1,2,3
  one_line_error "does not fit" "$onnxq" calibrate "$model" --calib img/png -o x.table --image-size 9,9
  ;;
progress)
  # not a terminal: no progress line; the summary names method and samples
  ok "$onnxq" quantize "$model" --calib "$digits/calib" -o q.onnx --method percentile
  grep -q "100 calibration samples.*method percentile" stdout || fail "summary line"
  if command -v script >/dev/null 2>&1; then
    script -qec "'$onnxq' quantize '$model' --calib '$digits/calib' -o q2.onnx" /dev/null >tty.out 2>&1 || true
    grep -q "100/100 samples" tty.out || fail "no progress line on a terminal"
    script -qec "'$onnxq' quantize '$model' --calib '$digits/calib' -o q3.onnx --quiet" /dev/null >tty2.out 2>&1 || true
    grep -q "samples/s" tty2.out && fail "--quiet still shows progress"
  fi
  ;;
*)
  echo "unknown case $case_name" >&2
  exit 2
  ;;
esac
exit 0
