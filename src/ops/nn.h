/* Internal interface of the nn kernel family (conv.c, gemm.c, pool.c, norm.c): the sgemm shared by Conv, Gemm and
 * MatMul, the sliding-window geometry shared by Conv and the pools, and the params structs that init builds. The
 * params structs are public so unit tests can call the exec functions directly, with `reference` set to run the
 * plain reference loops that the optimized paths are compared with. */
#ifndef OQ_OPS_NN_H
#define OQ_OPS_NN_H

#include "ops/op.h"

/* C = alpha * op(A) * op(B) + beta * C, row-major, op(A) is m x k, op(B) is k x n. beta == 0 never reads C (it may
 * hold garbage). Fails only when the packing buffer for a transposed operand cannot be allocated. */
oq_status oq_sgemm(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                   const float *b, size_t ldb, float beta, float *c, size_t ldc, oq_error *err);
/* oq_sgemm with the rows or columns of C split over pool (NULL = calling thread only). Every element of C is
 * computed by the same arithmetic whatever the pool's size, so results are bit-identical to oq_sgemm. */
oq_status oq_sgemm_pool(struct oq_threadpool *pool, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                        const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc,
                        oq_error *err);
/* Fills columns [j0, j1) of B (not transposed) just before they are used, on the thread that computes those
 * columns of C: lets Conv build its im2col columns where they are consumed. */
typedef void (*oq_sgemm_fill_fn)(void *ctx, size_t j0, size_t j1);
/* oq_sgemm_pool for trans_b == 0 with B produced by fill: C is split over columns only. */
oq_status oq_sgemm_pool_fill(struct oq_threadpool *pool, int trans_a, size_t m, size_t n, size_t k, float alpha,
                             const float *a, size_t lda, const float *b, size_t ldb, oq_sgemm_fill_fn fill,
                             void *fill_ctx, float beta, float *c, size_t ldc, oq_error *err);
/* The same product as three plain loops (double accumulation), for tests. */
void oq_sgemm_ref(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                  const float *b, size_t ldb, float beta, float *c, size_t ldc);

enum { OQ_AUTO_PAD_NOTSET = 0, OQ_AUTO_PAD_SAME_UPPER = 1, OQ_AUTO_PAD_SAME_LOWER = 2, OQ_AUTO_PAD_VALID = 3 };

/* Sliding-window attributes as written on the node. Counts of 0 mean "attribute absent, use the default". */
typedef struct oq_window {
  int32_t n_kernel;               /* entries in kernel (kernel_shape), 0 when absent */
  int64_t kernel[OQ_MAX_DIMS];    /* window extent per spatial dim */
  int32_t n_strides;              /* entries in strides, 0 = all 1 */
  int64_t strides[OQ_MAX_DIMS];   /* step per spatial dim */
  int32_t n_dilations;            /* entries in dilations, 0 = all 1 */
  int64_t dilations[OQ_MAX_DIMS]; /* spacing of window taps */
  int32_t n_pads;                 /* entries in pads (2 * spatial rank), 0 = all 0 */
  int64_t pads[2 * OQ_MAX_DIMS];  /* begins then ends, as in ONNX */
  int32_t auto_pad;               /* OQ_AUTO_PAD_* */
  int32_t ceil_mode;              /* 1: output extent rounds up */
} oq_window;

/* A window resolved against an input shape. */
typedef struct oq_window_geom {
  int32_t nd;               /* spatial rank */
  int64_t in[OQ_MAX_DIMS];  /* input spatial extents */
  int64_t out[OQ_MAX_DIMS]; /* output spatial extents, each >= 1 */
  int64_t k[OQ_MAX_DIMS];   /* kernel extents */
  int64_t s[OQ_MAX_DIMS];   /* strides */
  int64_t d[OQ_MAX_DIMS];   /* dilations */
  int64_t pb[OQ_MAX_DIMS];  /* padding before */
  int64_t pe[OQ_MAX_DIMS];  /* padding after */
} oq_window_geom;

/* Parses kernel_shape, strides, dilations, pads, auto_pad and (when with_ceil) ceil_mode from a node. */
oq_status oq_window_parse(const Onnx__NodeProto *node, int with_ceil, oq_window *w, oq_error *err);
/* Resolves w for spatial extents in[0..nd); kernel gives the extents when w has no kernel_shape (Conv: from W). */
oq_status oq_window_resolve(const oq_window *w, int32_t nd, const int64_t *in, const int64_t *kernel, oq_window_geom *g,
                            oq_error *err);

/* Refuses a tensor whose non-zero extents multiply past 2^62 (possible only for empty tensors), so that any product
 * of a subset of its dims fits in int64_t. what names the input in the message. */
oq_status oq_nn_check_dims(const oq_tensor *t, const char *what, oq_error *err);

typedef struct oq_conv_params {
  oq_window win;     /* kernel_shape is optional for Conv */
  int64_t group;     /* >= 1 */
  int32_t reference; /* tests: use the direct loops instead of im2col + sgemm */
} oq_conv_params;

typedef struct oq_gemm_params {
  float alpha, beta;        /* Y = alpha * op(A) op(B) + beta * C */
  int32_t trans_a, trans_b; /* 0/1 */
  int32_t reference;        /* tests: use oq_sgemm_ref */
} oq_gemm_params;

typedef struct oq_matmul_params {
  int32_t reference; /* tests: use oq_sgemm_ref */
} oq_matmul_params;

typedef struct oq_pool_params {
  oq_window win;             /* kernel_shape is required */
  int32_t count_include_pad; /* AveragePool: padded taps count in the divisor */
} oq_pool_params;

typedef struct oq_bn_params {
  float epsilon; /* added to the variance */
} oq_bn_params;

#endif
