#!/usr/bin/env bash
# The quantized model in onnxruntime-node: per model, output SQNR against the float model on real-photograph crops
# and latency of the quantized model relative to the float one at 1 and 2 threads (docs/performance.md).
#
#   bench/quant_bench.sh [--models-dir DIR] [--build-dir DIR] [--runs R] [--rounds K] [-- QUANTIZE_OPTIONS...]
#
# --models-dir  where bench/quant_models.py writes (default <build>/quant_bench; made if missing)
# --rounds      rounds of the latency measurement; the median ratio over rounds is printed (default 3)
# Options after -- go to every `onnxq quantize` (e.g. -- --align-concat). Prints a Markdown table.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$ROOT/build
MODELS=""
RUNS=30
ROUNDS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --models-dir) MODELS=$2; shift 2 ;;
    --build-dir) BUILD=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --) shift; break ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "quant_bench.sh: unknown argument '$1'" >&2; exit 1 ;;
  esac
done
MODELS=${MODELS:-$BUILD/quant_bench}
[ -x "$BUILD/onnxq" ] || cmake --build "$BUILD" --target onnxq_cli >/dev/null
if [ ! -d "$MODELS" ]; then /usr/bin/python3 "$ROOT/bench/quant_models.py" "$MODELS" >/dev/null; fi
echo "| model | SQNR dB | ratio 1 thread | ratio 2 threads | float ms (1 t) | quantized ms (1 t) |"
echo "|---|---:|---:|---:|---:|---:|"
for d in "$MODELS"/*/; do
  name=$(basename "$d")
  q="$d/model.q.onnx"
  if ! "$BUILD/onnxq" quantize "$d/model.onnx" --calib "$d/calib" -o "$q" "$@" >/dev/null 2>"$d/quantize.err"; then
    echo "| $name | $(head -c 120 "$d/quantize.err" | tr '\n|' '  ') | | | | |"
    continue
  fi
  sq=$(node "$ROOT/tests/quant/sqnr_ort.mjs" "$d/model.onnx" "$q" "$d/eval" | sed -n 's/^sqnr_db=\([^ ]*\).*/\1/p')
  row="| $name | $sq"
  f1="" q1=""
  for t in 1 2; do
    ratios=()
    for r in $(seq "$ROUNDS"); do
      j=$(node "$ROOT/bench/quant_latency.mjs" "$d/model.onnx" "$q" "$d/eval/sample_000" --threads $t --runs "$RUNS")
      ratios+=("$(echo "$j" | sed 's/.*"ratio":\([0-9.]*\).*/\1/')")
      [ $t -eq 1 ] && f1=$(echo "$j" | sed 's/.*"float_ms":\([0-9.]*\).*/\1/') && q1=$(echo "$j" | sed 's/.*"quant_ms":\([0-9.]*\).*/\1/')
    done
    med=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
    row="$row | $med"
  done
  echo "$row | $f1 | $q1 |"
done
