/* Run-time choice of the SIMD code paths. The default build targets baseline x86-64; the AVX2+FMA and AVX-512
 * paths are compiled in files of their own with per-file flags (kern/simd_avx2.c, kern/simd_avx512.c) and are
 * only called when the CPU (and the OS, through XCR0) supports them. Each level is a table of function pointers;
 * the portable C table (kern/simd_portable.c) is the path every other machine takes and the one tests compare
 * the fast paths with. */
#ifndef OQ_KERN_CPU_H
#define OQ_KERN_CPU_H

#include <stddef.h>
#include <stdint.h>

typedef enum oq_cpu_level {
  OQ_CPU_PORTABLE = 0, /* plain C (the compiler's baseline vectors) */
  OQ_CPU_AVX2 = 1,     /* AVX2 + FMA */
  OQ_CPU_AVX512 = 2    /* AVX-512 F/VL/DQ/BW */
} oq_cpu_level;

/* How a micro-kernel stores its tile: C = acc (load 0) or C = C + acc (load 1), then, on the last block of k only,
 * + bias[r] per row (bias already at the tile's first row; NULL: none) and the activation. The activations are
 * written exactly as the executor's Relu (x > 0 ? x : 0) and Clip (min then max) compute them, so a fused
 * activation gives the same bits as the separate node. */
/* SILU (x * sigmoid(x), the Sigmoid + Mul pair) is passed only to a micro-kernel whose table says gemm_silu (it
 * applies the level's silu to its accumulators before the store); for the others kern/sgemm.c applies it to the
 * stored tile with the level's sigmoid. Either way the bits of the two nodes. */
typedef enum oq_gemm_act {
  OQ_GEMM_ACT_NONE = 0,
  OQ_GEMM_ACT_RELU = 1,
  OQ_GEMM_ACT_CLAMP = 2,
  OQ_GEMM_ACT_SILU = 3
} oq_gemm_act;
typedef struct oq_gemm_store {
  int load;
  const float *bias;
  oq_gemm_act act;
  float lo, hi; /* OQ_GEMM_ACT_CLAMP bounds */
} oq_gemm_store;

/* C[0..mr, 0..nr) (+)= A x B panel over kc, stored as st says. A element (r, p) is a[r * rs_a + p * cs_a] for
 * r < gemm_mr (a packed panel: rs_a 1, cs_a gemm_mr; A in place: rs_a lda, cs_a 1); B row p is the gemm_nr floats
 * at bp + p * bs (a packed panel: bs gemm_nr; B in place: bs ldb). Every element is the same chain of operations
 * whatever mr/nr and wherever the tile lies. */
typedef void (*oq_gemm_micro_fn)(size_t kc, const float *a, size_t rs_a, size_t cs_a, const float *bp, size_t bs,
                                 float *c, size_t ldc, size_t mr, size_t nr, const oq_gemm_store *st);
/* y[i] = f(x[i]) for i < n (x == y allowed). silu is x * sigmoid(x): the level's sigmoid, then the product. */
typedef void (*oq_vec_unary_fn)(const float *x, float *y, size_t n);
/* y[i] = clamp(x[i]) for i < n (x == y allowed). */
typedef void (*oq_vec_clamp_fn)(const float *x, float *y, size_t n, float lo, float hi);
/* y[i] += w * x[i * stride] for i < n: one tap of a depthwise convolution row. */
typedef void (*oq_axpy_strided_fn)(float w, const float *x, size_t stride, float *y, size_t n);

/* y[i] = x[0] * a[i] + x[1] * a[lda + i] + ... + x[k-1] * a[(k-1) * lda + i] for i < n, summed from 0 in order of
 * p, each product and sum rounded on its own (no FMA): a row vector times a row-major k x n matrix, the same bits on
 * every level (the LSTM's recurrent product over R^T). */
typedef void (*oq_gemv_fn)(const float *x, size_t k, const float *a, size_t lda, float *y, size_t n);

/* x * sigmoid(x) in place over m rows of n floats, row stride ldc: the level's silu on each row (a GEMM tile). */
typedef void (*oq_silu_2d_fn)(float *c, size_t ldc, size_t m, size_t n);

/* y[i] = the maximum of v[i * stride], v[i * stride + 1], v[i * stride + 2] for i < n (stride 1 or 2), taken as
 * MaxPool's column pass does: b = v0; b = v1 > b ? v1 : b; y = v2 > b ? v2 : b (NaN never wins). Reads v[0] to
 * v[(n - 1) * stride + 2] only. */
typedef void (*oq_max3_row_fn)(const float *v, size_t stride, float *y, size_t n);

/* vm[i] = the maximum of rows[0][i], ..., rows[k-1][i] for i < n (k >= 1), taken in row order as MaxPool's row pass
 * does: b = rows[0][i]; b = rows[r][i] > b ? rows[r][i] : b. */
typedef void (*oq_max_rows_fn)(const float *const *rows, size_t k, float *vm, size_t n);

/* One row of LayerNormalization in double: mean and variance each summed in 8 interleaved partial sums (element i
 * into sum i % 8, combined as ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)), then the tail in order),
 * inv = 1 / sqrt(var + eps), y[i] = (float)((x[i] - mean) * inv * scale[i] (+ bias[i])); bias may be NULL. The
 * same operations on every level. */
typedef void (*oq_ln_row_fn)(const float *x, const float *scale, const float *bias, float *y, size_t len, double eps,
                             double *mean, double *inv);

/* Float binary rows of Add/Sub/Mul/Div (op 0..3): o[i] = a[i * sa] OP b[i * sb] for i < n, sa and sb 0 or 1 (a
 * broadcast scalar or a row), one IEEE operation per element; o may be a or b itself. */
typedef void (*oq_bin_row_fn)(int op, const float *a, size_t sa, const float *b, size_t sb, float *o, size_t n);

/* The sum of x[0..n) in double: element i into partial sum i % 8 over the whole multiples of 8, the partials combined
 * as ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)), then the rest in order (GlobalAveragePool, ReduceSum/Mean
 * over trailing axes). The same operations on every level. */
typedef double (*oq_sum_d_fn)(const float *x, size_t n);

/* out[j] = the dot product of x and b + j * ldb over k floats for j < n, as kern/sgemm.c's plain dot: 8 partial
 * sums acc[l] += x[p + l] * y[p + l] over whole blocks of 8, ((acc0 + acc1) + (acc2 + acc3)) + ((acc4 + acc5) +
 * (acc6 + acc7)), then s += x[p] * y[p] for the tail; each product and sum rounded on its own. The same bits on
 * every level (a fully connected layer at batch 1: the classifier Gemm). */
typedef void (*oq_dot_rows_fn)(const float *x, const float *b, size_t ldb, size_t k, size_t n, float *out);

/* d[i] = s[i * stride] for i < n (a run of im2col columns); reads s[0] to s[(n - 1) * stride] only. */
typedef void (*oq_copy_strided_fn)(float *d, const float *s, size_t stride, size_t n);

/* A 2-D convolution's im2col geometry for oq_im2col_panel_fn (no dilation). */
typedef struct oq_im2col_geom {
  const float *x;                /* the group's first input channel plane */
  int64_t in_sp, ih, iw, kh, kw; /* plane size, input extents, kernel extents */
  int64_t sh, sw, pt, pl;        /* strides (sw 1 or 2), padding before */
} oq_im2col_geom;
/* A run of a panel's lanes [off, off + cnt) that are output row oh, columns ow0, ow0 + 1, ... */
typedef struct oq_panel_seg {
  int64_t oh, ow0;
  int32_t off, cnt;
} oq_panel_seg;
/* Most kernel taps (kh * kw) and runs per panel an oq_im2col_panel_fn takes (callers use the row-buffer path
 * beyond): kh * kw * runs <= 512 covers a 7x7 kernel with up to 10 runs (output rows of 4 or more columns). */
#define OQ_IM2COL_TAPS_MAX 64
#define OQ_IM2COL_RUNS_MAX 512
/* Rows [p0, p0 + kc) of one gemm_nr-wide B panel of im2col columns: dst[(p - p0) * gemm_nr + lane] is input
 * channel p / (kh * kw), tap (kh, kw) of p % (kh * kw), of the output position of the lane (from the runs), 0 where
 * the tap lies in the padding and in lanes no run covers. The same values as oq_im2col_rows. */
typedef void (*oq_im2col_panel_fn)(const oq_im2col_geom *g, const oq_panel_seg *seg, int32_t n_seg, size_t p0,
                                   size_t kc, float *dst);

/* A depthwise convolution's plane geometry for oq_dw_plane_fn: k x k (k 3 or 5), no dilation; stride 1 with 'same'
 * padding (pads (k - 1) / 2, output extents = input extents), or stride 2 with any padding. */
typedef struct oq_dw_geom {
  int64_t ih, iw, oh, ow; /* input and output extents */
  int32_t k, stride;
  int64_t pt, pl; /* padding before */
  /* stride 1: per 16-output block b of the flattened plane, k * k masks, bit l of mask t set when output 16 b + l
   * exists and its tap t lies inside the input (built by kern/conv.c); stride 2: unused */
  const uint16_t *masks;
} oq_dw_geom;
/* Output rows [oh0, oh1) of one depthwise plane straight from the unpadded input plane x (no padded copy):
 * y = act(bias + w[0] * x0 + w[1] * x1 + ... over every tap in (kh, kw) order, 0 for a tap in the padding), each
 * product and sum rounded on its own: the bits of oq_dw_row_fn over a zero-padded plane, then the activation as
 * Relu/Clip/x*sigmoid(x) compute it (st->act, st->lo, st->hi; load and bias unused). */
typedef void (*oq_dw_plane_fn)(const oq_dw_geom *g, const float *x, const float *w, float bias, const oq_gemm_store *st,
                               int64_t oh0, int64_t oh1, float *y);

/* One output row of a depthwise convolution with a k x k kernel (k 3 or 5, stride 1 or 2) over a zero-padded plane:
 * y[i] = bias + w[0] * r[i * stride] + w[1] * r[i * stride + 1] + ... for every tap (kh, kw) in order, tap row kh
 * at r + kh * ld; products and sums rounded separately (no FMA), so every level gives the same bits. */
typedef void (*oq_dw_row_fn)(const float *r, size_t ld, const float *w, int32_t k, int32_t stride, float bias, float *y,
                             size_t n);

/* One tile of the direct 2-D convolution (kern/conv.c): cols positions of one output row, or two consecutive whole
 * output rows of cols positions (rows 2, cols <= OQ_CONV_TILE_MR / 2), by up to 32 output channels, every sum in
 * registers over all input channels and taps, no im2col. x is the window origin of the tile's first position in channel
 * 0; the next position's lies sw floats further, the second row's rstep floats further; tap t of channel c is at c * cs
 * + off[t] from a window origin. */
#define OQ_CONV_TILE_MR 14
typedef struct oq_conv_tile {
  const float *w;     /* the panel of 32 output channels: w[(c * taps + t) * 32 + lane], zeros past the last channel */
  const int32_t *off; /* taps offsets in floats from a window origin, in W's (kh, kw) order */
  int32_t taps;
  int32_t sw;   /* 1 or 2 */
  size_t c;     /* input channels */
  size_t cs;    /* floats between channel planes of x */
  size_t rstep; /* rows 2: floats between the two rows' first window origins */
} oq_conv_tile;
/* y[j * ldy + i] = act(sum + bias[j]) for output channel j < nr (<= 32) and the tile's position i < rows * cols: sum is
 * one FMA chain from 0 over (c, t) in order; then the bias (st->bias at the panel's first channel, NULL: none) and
 * st->act as the micro-kernels' stores apply them (st->load unused). */
typedef void (*oq_conv_tile_fn)(const oq_conv_tile *t, const float *x, size_t cols, size_t rows, size_t nr, float *y,
                                size_t ldy, const oq_gemm_store *st);

/* One code path. The elementwise functions give the same bits on every level (no FMA contraction, the same
 * polynomial); the micro-kernels may differ between levels (FMA), never between thread counts. */
typedef struct oq_simd {
  oq_cpu_level level;
  const char *name;
  int32_t gemm_mr, gemm_nr; /* register tile of gemm_micro */
  oq_gemm_micro_fn gemm_micro;
  oq_vec_unary_fn exp, sigmoid, tanh, erf, relu, silu;
  oq_vec_clamp_fn clamp;
  oq_axpy_strided_fn axpy_strided;
  oq_dw_row_fn dw_row;
  oq_gemv_fn gemv;
  oq_silu_2d_fn silu_2d;
  oq_max3_row_fn max3_row;
  oq_max_rows_fn max_rows;
  oq_ln_row_fn ln_row;
  oq_bin_row_fn bin_row;
  oq_sum_d_fn sum_d;
  oq_copy_strided_fn copy_strided;
  oq_dot_rows_fn dot_rows;
  int32_t gemm_silu;               /* 1: gemm_micro applies OQ_GEMM_ACT_SILU itself */
  oq_im2col_panel_fn im2col_panel; /* NULL: kern/conv.c builds panels through row buffers */
  oq_dw_plane_fn dw_plane;         /* NULL: depthwise planes go through padded copies and dw_row */
  oq_conv_tile_fn conv_tile;       /* NULL: no direct convolution (im2col + sgemm) */
} oq_simd;

/* The best level the CPU and OS support, capped by the environment variable ONNXQ_CPU (portable, avx2, avx512) when
 * it is set. Computed once. */
oq_cpu_level oq_cpu_detect(void);
/* The table in use: oq_cpu_detect()'s unless oq_cpu_force changed it. */
const oq_simd *oq_simd_get(void);
/* Tests: use level (clamped to what the CPU supports) from now on; returns the level now in use. Not for use while
 * another thread runs kernels. */
oq_cpu_level oq_cpu_force(oq_cpu_level level);
const char *oq_cpu_level_name(oq_cpu_level level);

/* The tables, defined by the simd_*.c files (NULL table pointers for levels not compiled on this target). */
extern const oq_simd oq_simd_portable;
const oq_simd *oq_simd_avx2_table(void);
const oq_simd *oq_simd_avx512_table(void);

#endif
