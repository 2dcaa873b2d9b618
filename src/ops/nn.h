/* Internal interface of the nn op family (conv.c, gemm.c, pool.c, norm.c, window.c): the params structs init
 * builds (public so unit tests can call the exec functions directly) and the node-attribute side of the window
 * geometry. The numerics live in kern/ (sgemm, conv/im2col, window geometry). */
#ifndef OQ_OPS_NN_H
#define OQ_OPS_NN_H

#include "kern/window.h"
#include "ops/op.h"

/* Parses kernel_shape, strides, dilations, pads, auto_pad and (when with_ceil) ceil_mode from a node. */
oq_status oq_window_parse(const Onnx__NodeProto *node, int with_ceil, oq_window *w, oq_error *err);

/* Refuses a tensor whose non-zero extents multiply past 2^62 (possible only for empty tensors), so that any product
 * of a subset of its dims fits in int64_t. what names the input in the message. */
oq_status oq_nn_check_dims(const oq_tensor *t, const char *what, oq_error *err);

typedef struct oq_conv_params {
  oq_window win; /* kernel_shape is optional for Conv */
  int64_t group; /* >= 1 */
  /* Conv whose W is a float initializer of the main graph: room for W packed for the sgemm path (kern/conv.h
   * oq_conv_wpack), filled by the first run from W's bytes and kept, since they never change. Lives in the same
   * allocation as the params (freed with them). NULL: none (tests' zeroed params too). */
  float *wpack_buf;
  const void *wpack_src; /* W's bytes wpack_buf was made from; NULL before the first run */
  int64_t wpack_mg, wpack_rows;
  int32_t wpack_mr;         /* tile height the sgemm packing was sized for; 0: the room is too small for it */
  int32_t wpack_can_direct; /* 1: the room also fits the direct path's panels (kern/conv.h oq_conv_dpack_fill) */
  int32_t wpack_direct;     /* what the room holds: 1 the direct panels, 0 the sgemm panels, -1 nothing yet */
} oq_conv_params;

/* A constant B (a float initializer of the main graph) packed for the sgemm (kern/sgemm.h oq_sgemm_bpack), in the
 * same allocation as the op's params: filled by the first run whose product reads B packed, from B's bytes, and
 * kept. buf NULL: none (tests' zeroed params too). */
typedef struct oq_bpack_room {
  float *buf;
  const void *src; /* B's bytes buf was made from; NULL before the first fill */
  int64_t n, k;    /* op(B) is k x n */
  int32_t nr;      /* panel width it was sized for */
  int32_t tb;      /* B is transposed (Gemm's transB) */
} oq_bpack_room;

typedef struct oq_gemm_params {
  float alpha, beta;        /* Y = alpha * op(A) op(B) + beta * C */
  int64_t trans_a, trans_b; /* 0/1 */
  /* transB 1 with B constant (torch's Linear): packed every run before */
  oq_bpack_room bpack;
} oq_gemm_params;

/* MatMul whose B is a constant 2-D float: read in place, B's rows were as many streams as a tile is deep, which the
 * prefetcher does not follow (a [32, 256] x [256, 1024] product ran at a third of the micro-kernel's speed). NULL
 * params: none. */
typedef struct oq_matmul_params {
  oq_bpack_room bpack;
} oq_matmul_params;

typedef struct oq_pool_params {
  oq_window win;             /* kernel_shape is required */
  int32_t count_include_pad; /* AveragePool: padded taps count in the divisor */
  int32_t storage_order;     /* MaxPool: 1 = Indices count column-major within a plane */
} oq_pool_params;

typedef struct oq_bn_params {
  float epsilon;         /* added to the variance */
  int64_t training_mode; /* must be 0 (checked at init) */
  int64_t spatial;       /* must be 1 (checked at init) */
} oq_bn_params;

#endif
