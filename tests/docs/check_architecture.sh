#!/bin/sh
# docs/architecture.md is kept current: every library source file (src/, calib/) must be named in it (by its
# file name, or by its stem in a family list), and every folder of src/.
set -eu
cd "$(dirname "$0")/../.."
doc=docs/architecture.md
missing=0
for f in src/*/*.c calib/*.c; do
  stem=$(basename "$f" .c)
  if ! grep -qw -- "$stem" "$doc"; then
    echo "docs/architecture.md does not mention $f" >&2
    missing=1
  fi
done
for d in src/*/; do
  if ! grep -q -- "$d" "$doc"; then
    echo "docs/architecture.md does not mention the folder $d" >&2
    missing=1
  fi
done
exit $missing
