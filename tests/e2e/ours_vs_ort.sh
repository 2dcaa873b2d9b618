#!/bin/sh
# Our executor against onnxruntime on every sample of DATA_DIR: `onnxq run` writes OUT_DIR/ours/<sample>/, then
# compare_ours_ort.mjs runs onnxruntime on the same samples and compares (extra arguments go to it).
#   sh tests/e2e/ours_vs_ort.sh ONNXQ NODE MODEL DATA_DIR OUT_DIR [--atol A] [--rtol R]
set -u
onnxq=$1 node=$2 model=$3 data=$4 out=$5
shift 5
rm -rf "$out/ours" && mkdir -p "$out/ours" || exit 1
n=0
for sample in "$data"/*/; do
  s=$(basename "$sample")
  "$onnxq" run "$model" --inputs "$sample" -o "$out/ours/$s" >/dev/null || { echo "FAIL: onnxq run on $s"; exit 1; }
  n=$((n + 1))
done
[ "$n" -gt 0 ] || { echo "FAIL: no samples in $data"; exit 1; }
echo "onnxq ran $n samples"
exec "$node" "$(dirname "$0")/compare_ours_ort.mjs" "$model" "$data" "$out/ours" "$@"
