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

static void micro_avx2(size_t kc, const float *ap, size_t rs, size_t cs, const float *bp, float *c, size_t ldc,
                       size_t mr, size_t nr) {
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
         c40 = c00, c41 = c00, c50 = c00, c51 = c00;
  const float *a0 = ap, *a1 = ap + rs, *a2 = ap + 2 * rs, *a3 = ap + 3 * rs, *a4 = ap + 4 * rs, *a5 = ap + 5 * rs;
  for (size_t p = 0; p < kc; p++) {
    __m256 b0 = _mm256_loadu_ps(bp), b1 = _mm256_loadu_ps(bp + 8);
    ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ap += MR;
    bp += NR;
  }
  __m256 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}};
  if (mr == MR && nr == NR) {
    for (int r = 0; r < MR; r++) {
      float *cr = c + (size_t)r * ldc;
      _mm256_storeu_ps(cr, _mm256_add_ps(_mm256_loadu_ps(cr), acc[r][0]));
      _mm256_storeu_ps(cr + 8, _mm256_add_ps(_mm256_loadu_ps(cr + 8), acc[r][1]));
    }
  } else {
    float tile[MR * NR];
    for (int r = 0; r < MR; r++) {
      _mm256_storeu_ps(tile + r * NR, acc[r][0]);
      _mm256_storeu_ps(tile + r * NR + 8, acc[r][1]);
    }
    for (size_t r = 0; r < mr; r++)
      for (size_t j = 0; j < nr; j++) c[r * ldc + j] += tile[r * NR + j];
  }
}

static const oq_simd k_avx2 = {OQ_CPU_AVX2,   "avx2+fma", MR,        NR,         micro_avx2,  vexp_avx2,
                               vsigmoid_avx2, vtanh_avx2, verf_avx2, vrelu_avx2, vclamp_avx2, axpy_strided_avx2};

const oq_simd *oq_simd_avx2_table(void) { return &k_avx2; }
#else
const oq_simd *oq_simd_avx2_table(void) { return NULL; }
#endif
