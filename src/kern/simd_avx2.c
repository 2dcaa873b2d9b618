/* The AVX2 + FMA level, compiled with -mavx2 -mfma (CMakeLists.txt sets the flags for this file only): a 6 x 16
 * FMA micro-kernel (12 ymm accumulators) and the shared elementwise bodies vectorized 8 wide. Only called after
 * kern/cpu.c found AVX2 and FMA. */
#include "kern/cpu.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#include <math.h>

#define OQ_SIMD_SFX(name) name##_avx2
#include "kern/simd_body.h"

#define MR 6
#define NR 16

#define ROW(r)                                                                                                         \
  {                                                                                                                    \
    __m256 a = _mm256_broadcast_ss(a##r);                                                                              \
    a##r += cs;                                                                                                        \
    c##r##0 = _mm256_fmadd_ps(a, b0, c##r##0);                                                                         \
    c##r##1 = _mm256_fmadd_ps(a, b1, c##r##1);                                                                         \
  }

static void micro_avx2(size_t kc, const float *ap, size_t rs, size_t cs, const float *bp, size_t bs, float *c,
                       size_t ldc, size_t mr, size_t nr, const oq_gemm_store *st) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
         c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const float *a0 = ap, *a1 = ap + rs, *a2 = ap + 2 * rs, *a3 = ap + 3 * rs, *a4 = ap + 4 * rs, *a5 = ap + 5 * rs;
  for (size_t p = 0; p < kc; p++) {
    __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ap += MR;
    bp += bs;
  }
  __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  if (mr == MR && nr == NR) {
    /* the same operations as store_tile, 8 lanes at a time (max/min written in the ternaries' operand order) */
    __m256 zero = _mm256_setzero_ps(), lo = _mm256_set1_ps(st->lo), hi = _mm256_set1_ps(st->hi);
    for (int r = 0; r < MR; r++) {
      float *cr = c + (size_t)r * ldc;
      __m256 v0 = acc[r][0], v1 = acc[r][1];
      if (st->load) {
        v0 = _mm256_add_ps(_mm256_loadu_ps(cr), v0);
        v1 = _mm256_add_ps(_mm256_loadu_ps(cr + 8), v1);
      }
      if (st->bias) {
        __m256 b = _mm256_set1_ps(st->bias[r]);
        v0 = _mm256_add_ps(v0, b);
        v1 = _mm256_add_ps(v1, b);
      }
      if (st->act == OQ_GEMM_ACT_RELU) {
        v0 = _mm256_max_ps(v0, zero);
        v1 = _mm256_max_ps(v1, zero);
      } else if (st->act == OQ_GEMM_ACT_CLAMP) {
        v0 = _mm256_min_ps(hi, _mm256_max_ps(lo, v0));
        v1 = _mm256_min_ps(hi, _mm256_max_ps(lo, v1));
      }
      _mm256_storeu_ps(cr, v0);
      _mm256_storeu_ps(cr + 8, v1);
    }
  } else {
    float tile[MR * NR];
    for (int r = 0; r < MR; r++) {
      _mm256_storeu_ps(tile + r * NR, acc[r][0]);
      _mm256_storeu_ps(tile + r * NR + 8, acc[r][1]);
    }
    store_tile_avx2(tile, NR, c, ldc, mr, nr, st);
  }
}

static const oq_simd k_avx2 = {OQ_CPU_AVX2, "avx2+fma",        MR,         NR,        micro_avx2,
                               vexp_avx2,   vsigmoid_avx2,     vtanh_avx2, verf_avx2, vrelu_avx2,
                               vclamp_avx2, axpy_strided_avx2, dw_row_avx2};

const oq_simd *oq_simd_avx2_table(void) { return &k_avx2; }
#else
const oq_simd *oq_simd_avx2_table(void) { return NULL; }
#endif
