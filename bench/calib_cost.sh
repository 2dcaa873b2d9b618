#!/bin/sh
# Calibration cost and memory (docs/performance.md, "Calibration"):
#  1. per model, calibration time per sample / one plain inference on the same executor (onnxq_calib_bench), for
#     min/max only and with histograms; targets <= 1.3 and <= 1.6;
#  2. peak RSS of 'onnxq calibrate' (histograms on) with 10 and with 1000 samples (a .npy batch of random samples):
#     target ratio <= 1.1.
#
#   sh bench/calib_cost.sh BUILD_DIR WORK_DIR MODEL_DIR...     (each MODEL_DIR: model.onnx + calib/ sample folders)
set -eu
build=$1
work=$2
shift 2
mkdir -p "$work"
printf '%-24s %9s %9s %9s %8s %8s %10s %10s %6s\n' model plain_ms minmax_ms hist_ms mm_ratio h_ratio rss10_kb \
  rss1000_kb ratio
for d in "$@"; do
  name=$(basename "$d")
  j=$(nice -n 5 "$build/onnxq_calib_bench" "$d/model.onnx" "$d/calib" --rounds 5)
  # 1000 random samples shaped like the first calibration sample, along a batch axis
  /usr/bin/python3 -c "
import numpy as np, os, sys
a = np.load(os.path.join(sys.argv[1], sorted(os.listdir(sys.argv[1]))[0], 'input.npy'))
os.makedirs(sys.argv[2], exist_ok=True)
rng = np.random.default_rng(0)
np.save(os.path.join(sys.argv[2], 'input.npy'), rng.standard_normal((1000,) + a.shape[1:]).astype(a.dtype))
" "$d/calib" "$work/$name.npy"
  r10=$(/usr/bin/time -f %M "$build/onnxq" calibrate "$d/model.onnx" --calib "$work/$name.npy" --limit 10 \
    -o "$work/$name.10.table" --quiet 2>&1 >/dev/null | tail -1)
  r1000=$(/usr/bin/time -f %M "$build/onnxq" calibrate "$d/model.onnx" --calib "$work/$name.npy" --limit 1000 \
    -o "$work/$name.1000.table" --quiet 2>&1 >/dev/null | tail -1)
  echo "$j" | /usr/bin/python3 -c "
import json, sys
j = json.loads(sys.stdin.read())
print('%-24s %9.2f %9.2f %9.2f %8.2f %8.2f %10s %10s %6.3f' % ('$name', j['plain_ms'], j['minmax_ms'], j['hist_ms'],
      j['minmax_ratio'], j['hist_ratio'], '$r10', '$r1000', $r1000 / $r10))"
done
