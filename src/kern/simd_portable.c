/* The portable SIMD level: the baseline compiler's vectors (SSE2 on x86-64), no FMA. The reference every faster
 * level is tested against, and the path of every CPU without AVX2. */
#include "kern/cpu.h"

#include <math.h>

#define OQ_SIMD_SFX(name) name##_portable
#include "kern/simd_body.h"

/* The register tile is 6 x 8: with GCC/Clang vector extensions NR is two vectors of 4 floats held in named variables
 * (kept in registers at -O2); otherwise a plain-C tile. */
#define MR 6
#define NR 8

#if defined(__GNUC__)
typedef float v4 __attribute__((vector_size(16)));

static inline v4 vload(const float *p) {
  v4 v;
  memcpy(&v, p, sizeof v);
  return v;
}

static void micro_portable(size_t kc, const float *ap, size_t rs, size_t cs, const float *bp, size_t bs, float *c,
                           size_t ldc, size_t mr, size_t nr, const oq_gemm_store *st) {
  v4 z = {0}, c0l = z, c0h = z, c1l = z, c1h = z, c2l = z, c2h = z, c3l = z, c3h = z, c4l = z, c4h = z, c5l = z,
     c5h = z;
  for (size_t p = 0; p < kc; p++) {
    v4 bl = vload(bp), bh = vload(bp + 4);
    const float *ar = ap + p * cs;
    float x0 = ar[0], x1 = ar[rs], x2 = ar[2 * rs], x3 = ar[3 * rs], x4 = ar[4 * rs], x5 = ar[5 * rs];
    c0l += bl * x0;
    c0h += bh * x0;
    c1l += bl * x1;
    c1h += bh * x1;
    c2l += bl * x2;
    c2h += bh * x2;
    c3l += bl * x3;
    c3h += bh * x3;
    c4l += bl * x4;
    c4h += bh * x4;
    c5l += bl * x5;
    c5h += bh * x5;
    bp += bs;
  }
  v4 acc[MR][2] = {{c0l, c0h}, {c1l, c1h}, {c2l, c2h}, {c3l, c3h}, {c4l, c4h}, {c5l, c5h}};
  float tile[MR * NR];
  memcpy(tile, acc, sizeof tile);
  store_tile_portable(tile, NR, c, ldc, mr, nr, st);
}
#else
static void micro_portable(size_t kc, const float *ap, size_t rs, size_t cs, const float *bp, size_t bs, float *c,
                           size_t ldc, size_t mr, size_t nr, const oq_gemm_store *st) {
  float acc[MR * NR];
  for (int i = 0; i < MR * NR; i++) acc[i] = 0.0f;
  for (size_t p = 0; p < kc; p++) {
    for (int r = 0; r < MR; r++)
      for (int j = 0; j < NR; j++) acc[r * NR + j] += ap[r * rs + p * cs] * bp[j];
    bp += bs;
  }
  store_tile_portable(acc, NR, c, ldc, mr, nr, st);
}
#endif

const oq_simd oq_simd_portable = {OQ_CPU_PORTABLE,
                                  "portable",
                                  MR,
                                  NR,
                                  micro_portable,
                                  vexp_portable,
                                  vsigmoid_portable,
                                  vtanh_portable,
                                  verf_portable,
                                  vrelu_portable,
                                  vsilu_portable,
                                  vclamp_portable,
                                  axpy_strided_portable,
                                  dw_row_portable,
                                  gemv_portable,
                                  silu_2d_portable,
                                  max3_row_portable,
                                  max_rows_portable,
                                  ln_row_portable,
                                  bin_row_portable,
                                  sum_d_portable,
                                  copy_strided_portable,
                                  dot_rows_portable,
                                  0,
                                  NULL,
                                  NULL,
                                  NULL};
