#!/bin/sh
# reliability.regression.npz_claimed_size: an .npz entry that claims far more bytes than deflate can give from its
# compressed size is refused with one line before any allocation (it made a 100-byte file allocate 2 GiB).
# regression_npz.sh PYTHON ONNXQ SOURCE_DIR WORK
set -u
py=$1 onnxq=$2 src=$3 d=$4
rm -rf "$d" && mkdir -p "$d/c" || exit 1
tail -c +2 "$src/tests/fuzz/regressions/calib_data/npz-claimed-size-bomb" >"$d/c/s.npz" || exit 1
"$py" -c "import sys; sys.path.insert(0, '$src/tests/fuzz'); import make_seeds; \
open('$d/m.onnx', 'wb').write(make_seeds.plan_model())" || exit 1
"$onnxq" calibrate "$d/m.onnx" --calib "$d/c" -o "$d/t.table" 2>"$d/err"
rc=$?
cat "$d/err"
[ "$rc" -eq 1 ] && [ "$(wc -l <"$d/err")" -eq 1 ] && grep -q "claims" "$d/err" && [ ! -e "$d/t.table" ]
