#!/bin/sh
# A fuzzing campaign: each harness in turn (one process, so one core), for SECONDS each (the loader twice as long),
# on the full seed corpora (make_seeds.py), corpus kept in WORK/corpus_<h>, crashes in WORK/artifacts/, the
# executions each reached in WORK/summary.tsv.
#
#   nice -n 19 tests/fuzz/campaign.sh BUILD_FUZZ_DIR WORK SECONDS [HARNESS...]
set -u
build=$1 work=$2 secs=$3
shift 3
src=$(cd "$(dirname "$0")" && pwd)
harnesses=${*:-load external npy sample run quantize cli}
mkdir -p "$work/artifacts"
[ -d "$work/seeds" ] || /usr/bin/python3 "$src/make_seeds.py" "$src/../.." "$work/seeds" || exit 1
for h in $harnesses; do
  case $h in
  cli) dict=cli.dict ;;
  npy | sample) dict=npy.dict ;;
  *) dict=onnx.dict ;;
  esac
  t=$secs
  [ "$h" = load ] && t=$((secs * 2))
  mkdir -p "$work/corpus_$h"
  ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 "$build/tests/fuzz_$h" -max_total_time="$t" \
    -max_len=65536 -rss_limit_mb=3072 -malloc_limit_mb=2048 -timeout=30 -close_fd_mask=3 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/$h-" -dict="$src/$dict" "$work/corpus_$h" "$work/seeds/$h" \
    >"$work/log_$h.txt" 2>&1
  rc=$?
  execs=$(grep -a 'stat::number_of_executed_units' "$work/log_$h.txt" | awk '{print $2}')
  printf '%s\t%s\t%s\t%s\n' "$h" "${execs:-?}" "$t" "$rc" >>"$work/summary.tsv"
done
