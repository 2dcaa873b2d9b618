/* The AVX2 + FMA level, compiled with -mavx2 -mfma (CMakeLists.txt sets the flags for this file only): a 6 x 16
 * FMA micro-kernel (12 ymm accumulators) and the shared elementwise bodies vectorized 8 wide. Only called after
 * kern/cpu.c found AVX2 and FMA. */
#include "kern/cpu.h"

#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
#include <math.h>

#define OQ_SIMD_SFX(name) name##_avx2
#define OQ_SIMD_VMATH
#include "kern/simd_body.h"

/* kern/simd_vmath.h on 8-lane ymm vectors; tails go through a small buffer */
static inline __m256 load_part_avx2(const float *p, size_t n) {
  float b[8] = {0};
  memcpy(b, p, n * sizeof(float));
  return _mm256_loadu_ps(b);
}
static inline void store_part_avx2(float *p, __m256 v, size_t n) {
  float b[8];
  _mm256_storeu_ps(b, v);
  memcpy(p, b, n * sizeof(float));
}
#define VW            8
#define V             __m256
#define M             __m256
#define VSET1(f)      _mm256_set1_ps(f)
#define VADD(a, b)    _mm256_add_ps(a, b)
#define VSUB(a, b)    _mm256_sub_ps(a, b)
#define VMUL(a, b)    _mm256_mul_ps(a, b)
#define VDIV(a, b)    _mm256_div_ps(a, b)
#define VMIN(a, b)    _mm256_min_ps(a, b)
#define VMAX(a, b)    _mm256_max_ps(a, b)
#define VLT(a, b)     _mm256_cmp_ps(a, b, _CMP_LT_OQ)
#define VGT(a, b)     _mm256_cmp_ps(a, b, _CMP_GT_OQ)
#define VNAN(a)       _mm256_cmp_ps(a, a, _CMP_UNORD_Q)
#define VSEL(m, t, f) _mm256_blendv_ps(f, t, m)
#define VALL_IN(a, l, h)                                                                                               \
  (_mm256_movemask_ps(_mm256_and_ps(_mm256_cmp_ps(a, l, _CMP_GE_OQ), _mm256_cmp_ps(a, h, _CMP_LE_OQ))) == 0xFF)
#define VFMA(a, b, c) _mm256_fmadd_ps(a, b, c)
#define VRCP0(d)      _mm256_castsi256_ps(_mm256_sub_epi32(_mm256_set1_epi32(0x7EF311C7), _mm256_castps_si256(d)))
#define VNEG(a)       _mm256_xor_ps(a, _mm256_set1_ps(-0.0f))
#define VEXP2(t, mg)                                                                                                   \
  _mm256_castsi256_ps(_mm256_slli_epi32(                                                                               \
      _mm256_add_epi32(_mm256_sub_epi32(_mm256_castps_si256(t), _mm256_castps_si256(mg)), _mm256_set1_epi32(126)),     \
      23))
#define VLOAD(p, n)     ((n) == VW ? _mm256_loadu_ps(p) : load_part_avx2(p, n))
#define VSTORE(p, v, n) ((n) == VW ? _mm256_storeu_ps(p, v) : store_part_avx2(p, v, n))
#include "kern/simd_vmath.h"

#undef V
#undef M
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

static const oq_simd k_avx2 = {OQ_CPU_AVX2,
                               "avx2+fma",
                               MR,
                               NR,
                               micro_avx2,
                               exp1_row_avx2,
                               sigmoid_row_avx2,
                               tanh_row_avx2,
                               erf_row_avx2,
                               vrelu_avx2,
                               silu_row_avx2,
                               vclamp_avx2,
                               axpy_strided_avx2,
                               dw_row_avx2,
                               gemv_v_avx2,
                               silu_2d_avx2,
                               max3_row_avx2,
                               max_rows_avx2,
                               ln_row_avx2,
                               bin_row_v_avx2,
                               sum_d_avx2,
                               copy_strided_avx2,
                               dot_rows_v_avx2,
                               0,
                               NULL,
                               NULL,
                               NULL};

const oq_simd *oq_simd_avx2_table(void) { return &k_avx2; }
#else
const oq_simd *oq_simd_avx2_table(void) { return NULL; }
#endif
