#!/bin/sh
# Installs the build into a scratch prefix, then compiles and runs tests/install/consumer.c against the installed
# header and shared library through pkg-config; also checks the library exports only the public API.
#   check_install.sh BUILD_DIR SOURCE_DIR
set -eu
build=$1 src=$2
prefix=$build/install-test
rm -rf "$prefix"
cmake --install "$build" --prefix "$prefix" >/dev/null
for f in bin/onnxq include/onnxq.h lib/pkgconfig/onnxq.pc; do
  [ -e "$prefix/$f" ] || { echo "FAIL: $f not installed" >&2; exit 1; }
done
libdir=$(dirname "$(find "$prefix" -name 'libonnxq.so' | head -n 1)")
[ -n "$libdir" ] || { echo "FAIL: libonnxq.so not installed" >&2; exit 1; }
export PKG_CONFIG_PATH="$libdir/pkgconfig"
# shellcheck disable=SC2046
cc -std=c11 -Wall -Wextra -Werror "$src/tests/install/consumer.c" $(pkg-config --cflags --libs onnxq) \
  -o "$prefix/consumer"
LD_LIBRARY_PATH="$libdir" "$prefix/consumer" "$src/samples/digits/model.onnx"
# Every exported function is declared in the public header.
for sym in $(nm -D --defined-only "$libdir/libonnxq.so" | awk '$2 == "T" { print $3 }'); do
  grep -q "$sym(" "$prefix/include/onnxq.h" || { echo "FAIL: $sym exported but not public" >&2; exit 1; }
done
"$prefix/bin/onnxq" --version
echo "install OK"
