#!/bin/sh
# Kill test (issue 9): `onnxq quantize` is killed with SIGKILL at KILLS points spread over its whole run, writes
# included (ONNXQ_TEST_WRITE_DELAY_US slows the write so that about half the points land inside it). After every
# kill the destination must be absent, the previous file, or the complete model (the bytes an uninterrupted run
# writes), and the folder must hold nothing else. Odd kills start without a destination, even ones over a previous
# file.
#
#   kill_test.sh ONNXQ MODEL CALIB_DIR WORK [KILLS]     (the first two sample folders of CALIB_DIR are used)
set -u
onnxq=$1 model=$2 calib_src=$3 work=$4 kills=${5:-100}
export ONNXQ_TEST_WRITE_DELAY_US=${ONNXQ_TEST_WRITE_DELAY_US:-4000}
rm -rf "$work" && mkdir -p "$work/out" "$work/calib" || exit 1
for s in $(ls "$calib_src" | sort | head -n 2); do cp -r "$calib_src/$s" "$work/calib/" || exit 1; done
calib=$work/calib
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
now_us() { date +%s%6N; }

# the complete result, the previous file, and how long a run takes (fastest of 3)
"$onnxq" quantize "$model" --calib "$calib" -o "$work/reference.onnx" >/dev/null || fail "reference run failed"
printf 'previous contents\n' >"$work/previous"
ts=""
for i in 1 2 3; do
  t0=$(now_us)
  "$onnxq" quantize "$model" --calib "$calib" -o "$work/out/q.onnx" >/dev/null || fail "timing run failed"
  ts="$ts $(($(now_us) - t0))"
done
run_us=$(echo $ts | tr ' ' '\n' | sort -n | sed -n 1p) # the fastest: points past the end prove nothing
rm -f "$work/out/q.onnx"

killed=0 finished=0 absent=0 previous=0 complete=0
i=1
while [ "$i" -le "$kills" ]; do
  rm -f "$work/out/q.onnx"
  [ $((i % 2)) -eq 0 ] && cp "$work/previous" "$work/out/q.onnx"
  # points over the first 90% of a typical run: the process start adds to every point
  delay_us=$((run_us * 9 * i / (10 * kills)))
  "$onnxq" quantize "$model" --calib "$calib" -o "$work/out/q.onnx" >/dev/null 2>&1 &
  pid=$!
  sleep "$(printf '%d.%06d' $((delay_us / 1000000)) $((delay_us % 1000000)))"
  if kill -KILL "$pid" 2>/dev/null; then killed=$((killed + 1)); else finished=$((finished + 1)); fi
  wait "$pid" 2>/dev/null
  # what is left: only q.onnx, and it is absent, the previous file or complete
  extra=$(ls -A "$work/out")
  [ -z "$extra" ] || [ "$extra" = q.onnx ] || fail "kill $i (${delay_us}us): stray files: $extra"
  if [ ! -e "$work/out/q.onnx" ]; then
    absent=$((absent + 1))
  elif cmp -s "$work/out/q.onnx" "$work/previous"; then
    previous=$((previous + 1))
  elif cmp -s "$work/out/q.onnx" "$work/reference.onnx"; then
    complete=$((complete + 1))
  else
    fail "kill $i (${delay_us}us): q.onnx is neither absent, the previous file nor the complete model"
  fi
  i=$((i + 1))
done
echo "$kills kill points over ${run_us}us: $killed killed, $finished finished first; destination absent $absent," \
  "previous $previous, complete $complete; no stray files"
# most points must really kill a running process, or the test proves nothing (a loaded machine stretches runs)
[ "$killed" -ge $((kills / 2)) ] || fail "only $killed of $kills points killed a running process"
