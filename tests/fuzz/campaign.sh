#!/bin/sh
# A fuzzing campaign: each harness in turn (one process, so one core), for SECONDS each (the loader twice as long),
# on the full seed corpora (make_seeds.py), corpus kept in WORK/corpus_<h>, crashes in WORK/artifacts/, the
# executions each reached in WORK/summary.tsv.
#
#   nice -n 19 tests/fuzz/campaign.sh BUILD_FUZZ_DIR WORK SECONDS [HARNESS...]
#
# RUNS=N in the environment also stops each harness after N executions. A finding stops libFuzzer; the harness is
# restarted on its corpus (the artifact kept) until RUNS or SECONDS are used up, at most 20 findings.
# summary.tsv: harness, executions, seconds taken, findings (files in WORK/artifacts/, 0: clean).
set -u
build=$1 work=$2 secs=$3
shift 3
src=$(cd "$(dirname "$0")" && pwd)
harnesses=${*:-load external npy sample run quantize cli calib_table plan calib_data}
mkdir -p "$work/artifacts"
[ -d "$work/seeds" ] || /usr/bin/python3 "$src/make_seeds.py" "$src/../.." "$work/seeds" --onnxq "$build/onnxq" || exit 1
for h in $harnesses; do
  case $h in
  cli) dict=cli.dict ;;
  calib_table) dict=calib.dict ;;
  plan) dict=plan.dict ;;
  calib_data) dict=calib_data.dict ;;
  npy | sample) dict=npy.dict ;;
  *) dict=onnx.dict ;;
  esac
  t=$secs
  [ "$h" = load ] && t=$((secs * 2))
  maxlen=65536
  [ "$h" = calib_table ] && maxlen=8192 # its seeds are 8/16-bin tables of a few KiB
  fdmask=1 # stdout closed; stderr kept so that an oracle's message is in the log
  [ "$h" = cli ] && fdmask=3
  mkdir -p "$work/corpus_$h"
  start=$(date +%s) total=0 found=0 round=0
  while :; do
    left=$((t - ($(date +%s) - start)))
    [ "$left" -gt 0 ] || break
    runs=""
    if [ -n "${RUNS:-}" ]; then
      [ "$total" -lt "$RUNS" ] || break
      runs="-runs=$((RUNS - total))"
    fi
    log="$work/log_$h.$round.txt"
    ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 "$build/tests/fuzz_$h" -max_total_time="$left" $runs \
      -max_len=$maxlen -rss_limit_mb=3072 -malloc_limit_mb=2048 -timeout=120 -close_fd_mask=$fdmask \
      -print_final_stats=1 -artifact_prefix="$work/artifacts/$h-" -dict="$src/$dict" "$work/corpus_$h" \
      "$work/seeds/$h" >"$log" 2>&1
    rc=$?
    execs=$(grep -a 'stat::number_of_executed_units' "$log" | awk '{print $2}')
    total=$((total + ${execs:-0}))
    round=$((round + 1))
    [ "$rc" -eq 0 ] && break
    found=$((found + 1))
    [ "$found" -lt 20 ] || break
  done
  printf '%s\t%s\t%s\t%s\n' "$h" "$total" "$(($(date +%s) - start))" "$found" >>"$work/summary.tsv"
done
