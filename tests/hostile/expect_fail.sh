#!/bin/sh
# One hostile-input case: runs an onnxq command that must be refused, and checks how it is refused.
#
#   expect_fail.sh CASE_DIR NAME [--copy SRC]... -- ONNXQ ARGS...
#
# CASE_DIR is emptied and SRC (a file, or a folder whose contents are copied) put in it first. The command must
# exit with status 1, print nothing on stdout, and exactly one line on stderr that starts with "onnxq: " and
# contains NAME (the file at fault). Afterwards CASE_DIR must be exactly as before: no output file, no stray
# temporary file, inputs unchanged.
set -u

die() {
  echo "FAIL: $*" >&2
  [ -f "$case_dir/.stderr" ] && { echo "--- stderr:" >&2; cat "$case_dir/.stderr" >&2; }
  [ -f "$case_dir/.stdout" ] && { echo "--- stdout:" >&2; cat "$case_dir/.stdout" >&2; }
  exit 1
}

case_dir=$1
name=$2
shift 2
rm -rf "$case_dir"
mkdir -p "$case_dir" || exit 1
while [ $# -gt 0 ] && [ "$1" != "--" ]; do
  case $1 in
  --copy)
    if [ -d "$2" ]; then cp -a "$2/." "$case_dir/" || exit 1; else cp -a "$2" "$case_dir/" || exit 1; fi
    shift 2
    ;;
  *) die "bad option $1" ;;
  esac
done
[ "${1:-}" = "--" ] || die "missing --"
shift

snapshot() {
  # names, types and contents of everything in the case folder except the captured streams
  (cd "$case_dir" && find . -path ./.stdout -prune -o -path ./.stderr -prune -o -print | LC_ALL=C sort |
    while IFS= read -r f; do
      if [ -L "$f" ]; then echo "L $f -> $(readlink "$f")"
      elif [ -f "$f" ]; then echo "F $f $(cksum <"$f")"
      else echo "D $f"; fi
    done)
}

before=$(snapshot)
"$@" >"$case_dir/.stdout" 2>"$case_dir/.stderr" </dev/null
rc=$?
after=$(snapshot)

[ "$rc" -eq 1 ] || die "exit status $rc, expected 1"
[ -s "$case_dir/.stdout" ] && die "stdout is not empty"
lines=$(wc -l <"$case_dir/.stderr")
[ "$lines" -eq 1 ] || die "stderr has $lines lines, expected exactly 1"
line=$(cat "$case_dir/.stderr")
case $line in
onnxq:\ *) ;;
*) die "stderr line does not start with 'onnxq: '" ;;
esac
case $line in
*"$name"*) ;;
*) die "stderr line does not name '$name'" ;;
esac
if [ "$before" != "$after" ]; then
  echo "before:" >&2
  echo "$before" >&2
  echo "after:" >&2
  echo "$after" >&2
  die "the case folder changed (output or temporary file left behind, or input modified)"
fi
echo "ok: $line"
exit 0
