/* exp, sigmoid, x * sigmoid(x), tanh and erf written with explicit vector operations, for the levels whose compiler
 * does not vectorize the shared bodies of kern/simd_body.h (the loops there hold selects and integer bit casts that
 * GCC leaves scalar). Every function performs, lane by lane, the very operations of its scalar twin in simd_body.h
 * in the same order (each product and sum rounded on its own, the ternaries as compare + select, min/max only where
 * they equal the ternary for NaN and signed zeros too), so every level gives the same bits
 * (tests/unit/test_kern.c vector_math_matches_libm_on_every_level).
 *
 * The includer defines, for its vector width VW (floats per vector):
 *   V, M                vector of floats; compare result
 *   VSET1(f)            broadcast
 *   VADD/VSUB/VMUL/VDIV IEEE operations
 *   VMIN(a, b)          a < b ? a : b        VMAX(a, b)  a > b ? a : b
 *   VLT(a, b), VGT(a, b), VNAN(a)   a < b, a > b (ordered, false for NaN), a != a
 *   VSEL(m, t, f)       m ? t : f per lane
 *   VALL_IN(a, lo, hi)  1 when lo <= a <= hi in every lane (0 when a lane is NaN)
 *   VNEG(a)             -a (sign bit flipped)
 *   VFMA(a, b, c)       a * b + c rounded once (the scalar bodies' fmaf)
 *   VRCP0(d)            bits 0x7EF311C7 - bits(d) as float (the reciprocal estimate of recip)
 *   VEXP2(t, magic)     2^(bits(t) - bits(magic) - 1) as float: the scale of exp_core
 *   VLOAD(p, n)/VSTORE(p, v, n)  n <= VW floats (lanes past n: any value when loading, untouched when storing)
 * and OQ_SIMD_SFX. */

static inline V OQ_SIMD_SFX(exp_core_v)(V x) {
  const V magic = VSET1(12582912.0f);
  V t = VFMA(x, VSET1(1.44269504f), magic);
  V n = VSUB(t, magic), mn = VNEG(n);
  V r = VFMA(mn, VSET1(0.693145752f), x);
  r = VFMA(mn, VSET1(1.42860677e-6f), r);
  V p = VSET1(1.3981999507e-3f);
  p = VFMA(p, r, VSET1(8.3334519073e-3f));
  p = VFMA(p, r, VSET1(4.1665795894e-2f));
  p = VFMA(p, r, VSET1(1.6666665459e-1f));
  p = VFMA(p, r, VSET1(5.0000001201e-1f));
  p = VFMA(p, r, VSET1(1.0f));
  p = VFMA(p, r, VSET1(1.0f));
  return VMUL(VMUL(p, VEXP2(t, magic)), VSET1(2.0f));
}

static inline V OQ_SIMD_SFX(recip_v)(V d) {
  V y = VRCP0(d), md = VNEG(d), one = VSET1(1.0f);
  y = VFMA(y, VFMA(md, y, one), y);
  y = VFMA(y, VFMA(md, y, one), y);
  return VFMA(y, VFMA(md, y, one), y);
}

static inline V OQ_SIMD_SFX(exp1_v)(V x) {
  const V hi = VSET1(OQ_EXP_HI), lo = VSET1(OQ_EXP_LO);
  /* every lane in [lo, hi] (no NaN): the clamps and the selects below change nothing */
  if (VALL_IN(x, lo, hi)) return OQ_SIMD_SFX(exp_core_v)(x);
  V xc = VMIN(hi, x); /* x > hi ? hi : x */
  xc = VMAX(lo, xc);  /* xc < lo ? lo : xc */
  V e = OQ_SIMD_SFX(exp_core_v)(xc);
  e = VSEL(VGT(x, hi), VSET1((float)INFINITY), e);
  e = VSEL(VLT(x, lo), VSET1(0.0f), e);
  return VSEL(VNAN(x), x, e);
}

static inline V OQ_SIMD_SFX(sigmoid_v)(V v) {
  V a = VMIN(VSET1(87.0f), VNEG(v)); /* a > 87 ? 87 : a */
  a = VMAX(VSET1(OQ_EXP_LO), a);     /* a < lo ? lo : a */
  V r = OQ_SIMD_SFX(recip_v)(VADD(VSET1(1.0f), OQ_SIMD_SFX(exp_core_v)(a)));
  r = VSEL(VLT(v, VSET1(OQ_SIG_LO)), VSET1(0.0f), r);
  return VSEL(VNAN(v), v, r);
}

static inline V OQ_SIMD_SFX(tanh_v)(V v) {
  const V zero = VSET1(0.0f);
  M neg = VLT(v, zero);
  V a = VSEL(neg, VNEG(v), v);
  V s = VMUL(a, a);
  V p = VSET1(-1.45583438705e-3f);
  p = VFMA(p, s, VSET1(3.59212803657e-3f));
  p = VFMA(p, s, VSET1(-8.86323552990e-3f));
  p = VFMA(p, s, VSET1(2.18694885362e-2f));
  p = VFMA(p, s, VSET1(-5.39682539683e-2f));
  p = VFMA(p, s, VSET1(1.33333333333e-1f));
  p = VFMA(p, s, VSET1(-3.33333333333e-1f));
  V small = VFMA(VMUL(a, s), p, a);
  V ac = VMIN(VSET1(9.0f), a); /* a > 9 ? 9 : a */
  V big =
      VSUB(VSET1(1.0f),
           VMUL(VSET1(2.0f), OQ_SIMD_SFX(recip_v)(VADD(OQ_SIMD_SFX(exp_core_v)(VMUL(VSET1(2.0f), ac)), VSET1(1.0f)))));
  V r = VSEL(VLT(a, VSET1(0.5f)), small, big);
  r = VSEL(neg, VNEG(r), r);
  return VSEL(VNAN(v), v, r);
}

static inline V OQ_SIMD_SFX(erf_v)(V v) {
  const V zero = VSET1(0.0f);
  M neg = VLT(v, zero);
  V a = VSEL(neg, VNEG(v), v);
  V s = VMUL(a, a), ms = VNEG(s);
  V p = VSET1(1.0f / 76204800.0f);
  p = VFMA(p, ms, VSET1(1.0f / 6894720.0f));
  p = VFMA(p, ms, VSET1(1.0f / 685440.0f));
  p = VFMA(p, ms, VSET1(1.0f / 75600.0f));
  p = VFMA(p, ms, VSET1(1.0f / 9360.0f));
  p = VFMA(p, ms, VSET1(1.0f / 1320.0f));
  p = VFMA(p, ms, VSET1(1.0f / 216.0f));
  p = VFMA(p, ms, VSET1(1.0f / 42.0f));
  p = VFMA(p, ms, VSET1(1.0f / 10.0f));
  p = VFMA(p, ms, VSET1(1.0f / 3.0f));
  p = VFMA(p, ms, VSET1(1.0f));
  V small = VMUL(VMUL(VSET1(1.12837916709551f), a), p);
  V four = VSET1(4.0f);
  V ac = VMIN(four, a); /* a > 4 ? 4 : a */
  V t = OQ_SIMD_SFX(recip_v)(VFMA(VSET1(0.3275911f), ac, VSET1(1.0f)));
  V q = VSET1(1.061405429f);
  q = VFMA(q, t, VSET1(-1.453152027f));
  q = VFMA(q, t, VSET1(1.421413741f));
  q = VFMA(q, t, VSET1(-0.284496736f));
  q = VFMA(q, t, VSET1(0.254829592f));
  V big = VSUB(VSET1(1.0f), VMUL(VMUL(q, t), OQ_SIMD_SFX(exp_core_v)(VNEG(VMUL(ac, ac)))));
  V r = VSEL(VLT(a, VSET1(1.0f)), small, big);
  r = VSEL(VGT(a, four), VSET1(1.0f), r);
  r = VSEL(neg, VNEG(r), r);
  return VSEL(VNAN(v), v, r);
}

static inline V OQ_SIMD_SFX(silu_v)(V v) { return VMUL(v, OQ_SIMD_SFX(sigmoid_v)(v)); }

/* Rows: four vectors per iteration. One vector's operations form a chain of some 25-35 dependent steps; with only one
 * or two chains in flight the loop waits on latency, so the tail is done the same way: up to four vectors at once,
 * partial or empty ones under a mask (a 56-float row is one step of four, not four steps of one). The kernels call
 * these on short rows: a depthwise convolution's output rows (7 to 112 floats), GEMM tiles. */
#define OQ_VMATH_ROW(fn)                                                                                               \
  static inline void OQ_SIMD_SFX(fn##_4)(float *const *yp, const float *const *xp, const size_t *w) {                  \
    V a = OQ_SIMD_SFX(fn##_v)(VLOAD(xp[0], w[0])), b = OQ_SIMD_SFX(fn##_v)(VLOAD(xp[1], w[1]));                        \
    V c = OQ_SIMD_SFX(fn##_v)(VLOAD(xp[2], w[2])), d = OQ_SIMD_SFX(fn##_v)(VLOAD(xp[3], w[3]));                        \
    VSTORE(yp[0], a, w[0]);                                                                                            \
    VSTORE(yp[1], b, w[1]);                                                                                            \
    VSTORE(yp[2], c, w[2]);                                                                                            \
    VSTORE(yp[3], d, w[3]);                                                                                            \
  }                                                                                                                    \
  static void OQ_SIMD_SFX(fn##_row)(const float *x, float *y, size_t n) {                                              \
    size_t i = 0;                                                                                                      \
    for (; i + 4 * VW <= n; i += 4 * VW) {                                                                             \
      V a = OQ_SIMD_SFX(fn##_v)(VLOAD(x + i, VW)), b = OQ_SIMD_SFX(fn##_v)(VLOAD(x + i + VW, VW));                     \
      V c = OQ_SIMD_SFX(fn##_v)(VLOAD(x + i + 2 * VW, VW)), d = OQ_SIMD_SFX(fn##_v)(VLOAD(x + i + 3 * VW, VW));        \
      VSTORE(y + i, a, VW);                                                                                            \
      VSTORE(y + i + VW, b, VW);                                                                                       \
      VSTORE(y + i + 2 * VW, c, VW);                                                                                   \
      VSTORE(y + i + 3 * VW, d, VW);                                                                                   \
    }                                                                                                                  \
    size_t r = n - i;                                                                                                  \
    if (r == 0) return;                                                                                                \
    if (r <= VW) {                                                                                                     \
      VSTORE(y + i, OQ_SIMD_SFX(fn##_v)(VLOAD(x + i, r)), r);                                                          \
      return;                                                                                                          \
    }                                                                                                                  \
    float *yp[4];                                                                                                      \
    const float *xp[4];                                                                                                \
    size_t w[4];                                                                                                       \
    for (size_t k = 0; k < 4; k++) {                                                                                   \
      size_t o = k * VW < r ? k * VW : 0;                                                                              \
      xp[k] = x + i + o;                                                                                               \
      yp[k] = y + i + o;                                                                                               \
      w[k] = k * VW >= r ? 0 : r - k * VW < VW ? r - k * VW : VW;                                                      \
    }                                                                                                                  \
    OQ_SIMD_SFX(fn##_4)(yp, xp, w);                                                                                    \
  }

OQ_VMATH_ROW(exp1)
OQ_VMATH_ROW(sigmoid)
OQ_VMATH_ROW(tanh)
OQ_VMATH_ROW(erf)
OQ_VMATH_ROW(silu)
#undef OQ_VMATH_ROW

/* oq_silu_2d_fn (kern/cpu.h): the m rows' vectors taken four at a time across rows (a GEMM tile's rows are 32 floats:
 * two vectors each). */
static void OQ_SIMD_SFX(silu_2d)(float *c, size_t ldc, size_t m, size_t n) {
  float *yp[4];
  const float *xp[4];
  size_t w[4], nt = 0;
  for (size_t r = 0; r < m; r++)
    for (size_t j = 0; j < n; j += VW) {
      yp[nt] = c + r * ldc + j;
      xp[nt] = yp[nt];
      w[nt] = n - j < VW ? n - j : VW;
      if (++nt == 4) {
        OQ_SIMD_SFX(silu_4)(yp, xp, w);
        nt = 0;
      }
    }
  if (nt == 0) return;
  for (size_t k = nt; k < 4; k++) { /* empty lanes: nothing loaded or stored */
    yp[k] = yp[0];
    xp[k] = xp[0];
    w[k] = 0;
  }
  OQ_SIMD_SFX(silu_4)(yp, xp, w);
}

/* oq_gemv_fn (kern/cpu.h): 8 vectors of sums held in registers over all of k, then one vector at a time. */
/* oq_dot_rows_fn with the 8 partial sums as one 8-float vector, four rows of b at a time (four independent chains
 * of additions in flight): per lane the same products and sums as the plain loop. */
static float OQ_SIMD_SFX(dot_fold)(__m256 acc, const float *x, const float *y, size_t p, size_t k) {
  float a[8];
  _mm256_storeu_ps(a, acc);
  float s = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
  for (; p < k; p++) s += x[p] * y[p];
  return s;
}

static void OQ_SIMD_SFX(dot_rows_v)(const float *x, const float *b, size_t ldb, size_t k, size_t n, float *out) {
  size_t j = 0, kb = k / 8 * 8;
  for (; j + 4 <= n; j += 4) {
    const float *y0 = b + j * ldb, *y1 = y0 + ldb, *y2 = y1 + ldb, *y3 = y2 + ldb;
    __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t p = 0; p < kb; p += 8) {
      __m256 xv = _mm256_loadu_ps(x + p);
      a0 = _mm256_add_ps(a0, _mm256_mul_ps(xv, _mm256_loadu_ps(y0 + p)));
      a1 = _mm256_add_ps(a1, _mm256_mul_ps(xv, _mm256_loadu_ps(y1 + p)));
      a2 = _mm256_add_ps(a2, _mm256_mul_ps(xv, _mm256_loadu_ps(y2 + p)));
      a3 = _mm256_add_ps(a3, _mm256_mul_ps(xv, _mm256_loadu_ps(y3 + p)));
    }
    out[j] = OQ_SIMD_SFX(dot_fold)(a0, x, y0, kb, k);
    out[j + 1] = OQ_SIMD_SFX(dot_fold)(a1, x, y1, kb, k);
    out[j + 2] = OQ_SIMD_SFX(dot_fold)(a2, x, y2, kb, k);
    out[j + 3] = OQ_SIMD_SFX(dot_fold)(a3, x, y3, kb, k);
  }
  for (; j < n; j++) {
    const float *y = b + j * ldb;
    __m256 a = _mm256_setzero_ps();
    for (size_t p = 0; p < kb; p += 8)
      a = _mm256_add_ps(a, _mm256_mul_ps(_mm256_loadu_ps(x + p), _mm256_loadu_ps(y + p)));
    out[j] = OQ_SIMD_SFX(dot_fold)(a, x, y, kb, k);
  }
}

static void OQ_SIMD_SFX(gemv_v)(const float *x, size_t k, const float *a, size_t lda, float *y, size_t n) {
  size_t i0 = 0;
  for (; i0 + 8 * VW <= n; i0 += 8 * VW) {
    V s0 = VSET1(0.0f), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
    const float *ap = a + i0;
    for (size_t p = 0; p < k; p++, ap += lda) {
      V xp = VSET1(x[p]);
      s0 = VADD(s0, VMUL(xp, VLOAD(ap, VW)));
      s1 = VADD(s1, VMUL(xp, VLOAD(ap + VW, VW)));
      s2 = VADD(s2, VMUL(xp, VLOAD(ap + 2 * VW, VW)));
      s3 = VADD(s3, VMUL(xp, VLOAD(ap + 3 * VW, VW)));
      s4 = VADD(s4, VMUL(xp, VLOAD(ap + 4 * VW, VW)));
      s5 = VADD(s5, VMUL(xp, VLOAD(ap + 5 * VW, VW)));
      s6 = VADD(s6, VMUL(xp, VLOAD(ap + 6 * VW, VW)));
      s7 = VADD(s7, VMUL(xp, VLOAD(ap + 7 * VW, VW)));
    }
    float *yp = y + i0;
    VSTORE(yp, s0, VW);
    VSTORE(yp + VW, s1, VW);
    VSTORE(yp + 2 * VW, s2, VW);
    VSTORE(yp + 3 * VW, s3, VW);
    VSTORE(yp + 4 * VW, s4, VW);
    VSTORE(yp + 5 * VW, s5, VW);
    VSTORE(yp + 6 * VW, s6, VW);
    VSTORE(yp + 7 * VW, s7, VW);
  }
  for (; i0 < n; i0 += VW) {
    size_t w = n - i0 < VW ? n - i0 : VW;
    V s0 = VSET1(0.0f);
    for (size_t p = 0; p < k; p++) s0 = VADD(s0, VMUL(VSET1(x[p]), VLOAD(a + p * lda + i0, w)));
    VSTORE(y + i0, s0, w);
  }
}

/* oq_bin_row_fn on vectors: each vector loaded before it is stored, so o may be a or b itself. */
#define OQ_BIN_ROW(VOP)                                                                                                \
  {                                                                                                                    \
    size_t i = 0;                                                                                                      \
    if (sa && sb) {                                                                                                    \
      for (; i + 2 * VW <= n; i += 2 * VW) {                                                                           \
        V x0 = VOP(VLOAD(a + i, VW), VLOAD(b + i, VW)), x1 = VOP(VLOAD(a + i + VW, VW), VLOAD(b + i + VW, VW));        \
        VSTORE(o + i, x0, VW);                                                                                         \
        VSTORE(o + i + VW, x1, VW);                                                                                    \
      }                                                                                                                \
      for (; i < n; i += VW) {                                                                                         \
        size_t w = n - i < VW ? n - i : VW;                                                                            \
        VSTORE(o + i, VOP(VLOAD(a + i, w), VLOAD(b + i, w)), w);                                                       \
      }                                                                                                                \
    } else if (sb) {                                                                                                   \
      V av = VSET1(a[0]);                                                                                              \
      for (; i < n; i += VW) {                                                                                         \
        size_t w = n - i < VW ? n - i : VW;                                                                            \
        VSTORE(o + i, VOP(av, VLOAD(b + i, w)), w);                                                                    \
      }                                                                                                                \
    } else if (sa) {                                                                                                   \
      V bv = VSET1(b[0]);                                                                                              \
      for (; i < n; i += VW) {                                                                                         \
        size_t w = n - i < VW ? n - i : VW;                                                                            \
        VSTORE(o + i, VOP(VLOAD(a + i, w), bv), w);                                                                    \
      }                                                                                                                \
    } else {                                                                                                           \
      V r = VOP(VSET1(a[0]), VSET1(b[0]));                                                                             \
      for (; i < n; i += VW) {                                                                                         \
        size_t w = n - i < VW ? n - i : VW;                                                                            \
        VSTORE(o + i, r, w);                                                                                           \
      }                                                                                                                \
    }                                                                                                                  \
  }

static void OQ_SIMD_SFX(bin_row_v)(int op, const float *a, size_t sa, const float *b, size_t sb, float *o, size_t n) {
  if (op == 0)
    OQ_BIN_ROW(VADD)
  else if (op == 1)
    OQ_BIN_ROW(VSUB)
  else if (op == 2)
    OQ_BIN_ROW(VMUL)
  else
    OQ_BIN_ROW(VDIV)
}
#undef OQ_BIN_ROW
