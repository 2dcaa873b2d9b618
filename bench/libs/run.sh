#!/bin/sh
# Compares onnxq's kernels with Debian's OpenBLAS (sgemm) and oneDNN (convolution) on this machine; see
# docs/performance.md "Libraries compared". Needs a built build/ (libonnxq_static.a) and, only for this comparison,
#   apt-get install libopenblas-dev libdnnl-dev
# Usage: bench/libs/run.sh   (from the repository root; prints one line per shape and thread count)
set -e
B=build
T=$(mktemp -d)
CFLAGS="-O2 -std=c11 -Isrc -I. -I$B/proto -I/usr/include/x86_64-linux-gnu"
LIBS="$B/libonnxq_static.a -lprotobuf-c -lxxhash -lz -lm -lpthread"
cc $CFLAGS bench/libs/openblas_sgemm.c -o "$T/sgemm" $LIBS -lopenblas
cc $CFLAGS bench/libs/onednn_conv.c -o "$T/conv" $LIBS -ldnnl
echo "== OpenBLAS with the kernels it picks for this CPU"
"$T/sgemm"
echo "== OpenBLAS with OPENBLAS_CORETYPE=SkylakeX (its AVX-512 kernels)"
OPENBLAS_CORETYPE=SkylakeX "$T/sgemm"
echo "== oneDNN convolution (C M H kernel stride threads)"
for shape in "64 64 56 3 1" "256 256 14 3 1" "512 512 7 3 1" "3 64 224 7 2" "960 320 7 1 1"; do
  for t in 1 2; do OMP_NUM_THREADS=$t "$T/conv" $shape $t; done
done
rm -rf "$T"
