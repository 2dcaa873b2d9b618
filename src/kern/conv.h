/* Convolution numerics on raw float pointers: im2col (im2col.c), the direct path (the level's oq_conv_tile_fn), the
 * im2col + sgemm path and its direct reference twin, and the "inner box" that confines work to output positions whose
 * window reaches the input. No tensors: ops/conv.c checks shapes and fills an oq_conv_shape; scratch comes from the
 * caller, sized by oq_conv_scratch_floats. */
#ifndef OQ_KERN_CONV_H
#define OQ_KERN_CONV_H

#include "kern/cpu.h"
#include "kern/window.h"

struct oq_threadpool; /* core/pool.h */

/* Shape facts of one Conv call: X [n, c, in...], W [m, cg, k...], Y [n, m, out...]. Products fit in int64. */
typedef struct oq_conv_shape {
  oq_window_geom g;
  int64_t n, c, m, cg, mg;      /* batch, in channels, out channels, per group */
  int64_t in_sp, out_sp, kprod; /* spatial element counts, kernel taps */
} oq_conv_shape;

/* Output positions [p0, p1) of one (image, group) of X (x points at that group's first channel), all cg * kprod
 * rows: col[row * ld + p - p0]. Padding taps are 0. */
void oq_im2col(const oq_conv_shape *cs, const float *x, int64_t p0, int64_t p1, float *col, int64_t ld);
/* The same for rows [r0, r1) only: col[(row - r0) * ld + p - p0]. */
void oq_im2col_rows(const oq_conv_shape *cs, const float *x, int64_t r0, int64_t r1, int64_t p0, int64_t p1, float *col,
                    int64_t ld);

/* An activation applied to the convolution's output (fused Relu or Clip): the same bits as the separate node. */
typedef struct oq_conv_act {
  oq_gemm_act act;
  float lo, hi;
} oq_conv_act;
/* Applies act to n floats of y in place. */
void oq_conv_apply_act(const oq_conv_act *act, const oq_simd *simd, float *y, int64_t n);

/* W [m, cg, k...] packed once for the sgemm path (kern/sgemm.h oq_sgemm_apack), one block per group: a Conv whose
 * W is an initializer keeps it for the session. */
typedef struct oq_conv_wpack {
  const float *data; /* borrowed; oq_conv_wpack_floats floats; NULL: none */
  int64_t mg, rows;  /* per group: output channels, cg * kprod */
  int64_t groups;
  int32_t mr;     /* the SIMD level's tile height it was packed for */
  int32_t direct; /* 1: packed for the direct path instead (oq_conv_dpack_fill; mr unused) */
} oq_conv_wpack;

/* Floats of W (groups blocks of mg rows of rows = cg * kprod floats) packed for tile height mr: 0 when a
 * convolution of this W never takes the packed path (one output channel per group), SIZE_MAX when it does not fit
 * in size_t. */
size_t oq_conv_wpack_floats(int64_t mg, int64_t rows, int64_t groups, int32_t mr);
/* Packs w (groups * mg rows of rows floats) into dst; fills the rest of *wp. */
void oq_conv_wpack_fill(const float *w, int64_t mg, int64_t rows, int64_t groups, int32_t mr, float *dst,
                        oq_conv_wpack *wp);

/* Whether the level's direct convolution (no im2col: oq_conv_tile_fn) may compute a convolution of this kind: 2-D,
 * one group, column stride 1 or 2 (sw), enough depth (cg * kprod) and output channels (m) to fill its tiles.
 * ops/conv.c asks it at load time (from W and the attributes) to size the room for W packed; oq_conv_takes_direct
 * decides for a shape (a 1x1 kernel only on small maps, where the sgemm's tiles wasted lanes). */
int oq_conv_direct_fits(const oq_simd *simd, int32_t nd, int64_t group, int64_t m, int64_t cg, int64_t kprod,
                        int64_t sw);
/* Whether oq_conv_fast computes cs by the direct path (on the level in use). */
int oq_conv_takes_direct(const oq_conv_shape *cs);
/* Floats of W [m, cg, kprod...] packed for the direct path (panels of 32 output channels), SIZE_MAX when that does
 * not fit in size_t. */
size_t oq_conv_dpack_floats(int64_t m, int64_t cg, int64_t kprod);
/* Packs w for the direct path into dst (oq_conv_dpack_floats floats); fills *wp. */
void oq_conv_dpack_fill(const float *w, int64_t m, int64_t cg, int64_t kprod, float *dst, oq_conv_wpack *wp);

/* Floats of scratch oq_conv_fast needs for cs on a pool of threads threads (oq_threadpool_size), SIZE_MAX when
 * that does not fit in size_t. */
size_t oq_conv_scratch_floats(const oq_conv_shape *cs, int32_t threads);
/* The same when the caller passes W packed for the path the shape takes (w_packed 1): no room to pack it. */
size_t oq_conv_scratch_floats_wp(const oq_conv_shape *cs, int32_t threads, int w_packed);
/* Y = act(conv(X, W) + B) (b may be NULL, act NULL: none) by the direct path (oq_conv_takes_direct), the depthwise
 * kernels, or sgemm with im2col packing, split over pool; bit-identical for every thread count. scratch:
 * oq_conv_scratch_floats(cs, oq_threadpool_size(pool)) floats. */
oq_status oq_conv_fast(const oq_conv_shape *cs, const float *x, const float *w, const float *b, const oq_conv_act *act,
                       float *y, struct oq_threadpool *pool, float *scratch, oq_error *err);
/* oq_conv_fast with W also packed (wp NULL, or one that does not match cs or the level in use: none). */
oq_status oq_conv_fast_wp(const oq_conv_shape *cs, const float *x, const float *w, const oq_conv_wpack *wp,
                          const float *b, const oq_conv_act *act, float *y, struct oq_threadpool *pool, float *scratch,
                          oq_error *err);
/* The reference twin: the direct loop nest with double accumulation. */
void oq_conv_ref(const oq_conv_shape *cs, const float *x, const float *w, const float *b, float *y);

/* The box of output positions whose window reaches the input, as a geometry of its own with its first position in
 * lo. Returns 0 when the box is the whole output (the usual case). */
int oq_conv_inner_box(const oq_conv_shape *cs, oq_conv_shape *inner, int64_t *lo);
/* Copies the box results (N x M planes of the inner geometry) into Y at offset lo in every spatial dim. */
void oq_conv_place_box(const oq_conv_shape *cs, const oq_conv_shape *inner, const int64_t *lo, const float *box,
                       float *y);

#endif
