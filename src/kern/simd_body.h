/* Elementwise bodies shared by every SIMD level: plain C loops (the portable level's reference; kern/simd_vmath.h
 * writes the same operations on explicit vectors for the AVX levels). The includer defines OQ_SIMD_SFX(name). The
 * files are compiled without floating-point contraction (ISO C mode); the fused multiply-adds are explicit: fmaf here
 * (one rounding, so the same bits as the vector levels' FMA instructions; the C library uses the instruction where
 * the CPU has one), so every level computes the same bits.
 *
 * exp: x = n*ln2 + r with |r| <= ln2/2 (n by the round-to-nearest magic constant, no float-to-int conversion, so NaN
 * is harmless), e^r by a degree-6 polynomial (Horner with FMAs), 2^n through the exponent bits. Inputs are clamped so
 * that 2^n stays a normal number; below -86 the result is 0 (the true value is under 5e-38).
 * Reciprocals (sigmoid, tanh, erf): no division (a vector division costs as much as all the rest of a sigmoid):
 * an estimate from the exponent bits, then three Newton steps with FMAs, within 1 ulp for divisors in [1, 2^125]. */
#include <math.h>
#include <stdint.h>
#include <string.h>

#define OQ_EXP_HI 88.7228317f
#define OQ_EXP_LO -86.0f
/* sigmoid below this: 0 (the true value is under 1.7e-38); e^87 keeps 1 / (1 + e) a normal float */
#define OQ_SIG_LO -87.0f

static inline float OQ_SIMD_SFX(bits_to_f)(uint32_t u) {
  float f;
  memcpy(&f, &u, sizeof f);
  return f;
}

static inline uint32_t OQ_SIMD_SFX(f_to_bits)(float f) {
  uint32_t u;
  memcpy(&u, &f, sizeof u);
  return u;
}

/* e^x for x in [OQ_EXP_LO, OQ_EXP_HI]. */
static inline float OQ_SIMD_SFX(exp_core)(float x) {
  const float magic = 12582912.0f; /* 1.5 * 2^23: adding it rounds to an integer held in the low mantissa bits */
  float t = fmaf(x, 1.44269504f, magic);
  float n = t - magic;
  float r = fmaf(-n, 0.693145752f, x); /* ln2 split into a part exact in float and the rest */
  r = fmaf(-n, 1.42860677e-6f, r);
  float p = 1.3981999507e-3f;
  p = fmaf(p, r, 8.3334519073e-3f);
  p = fmaf(p, r, 4.1665795894e-2f);
  p = fmaf(p, r, 1.6666665459e-1f);
  p = fmaf(p, r, 5.0000001201e-1f);
  p = fmaf(p, r, 1.0f);
  p = fmaf(p, r, 1.0f);
  /* n - 1 in [-125, 127]: the scale 2^(n-1) is a normal float, the final * 2 keeps e^88.7 finite */
  uint32_t ni = OQ_SIMD_SFX(f_to_bits)(t) - OQ_SIMD_SFX(f_to_bits)(magic);
  float scale = OQ_SIMD_SFX(bits_to_f)((ni + 126u) << 23);
  return p * scale * 2.0f;
}

/* 1 / d for d in [1, 2^125] within 1 ulp (d a normal float whose estimate below stays normal). */
static inline float OQ_SIMD_SFX(recip)(float d) {
  float y = OQ_SIMD_SFX(bits_to_f)(0x7EF311C7u - OQ_SIMD_SFX(f_to_bits)(d)); /* within 12.5% */
  float e = fmaf(-d, y, 1.0f);
  y = fmaf(y, e, y);
  e = fmaf(-d, y, 1.0f);
  y = fmaf(y, e, y);
  e = fmaf(-d, y, 1.0f);
  return fmaf(y, e, y);
}

static inline float OQ_SIMD_SFX(exp1)(float x) {
  float xc = x > OQ_EXP_HI ? OQ_EXP_HI : x;
  xc = xc < OQ_EXP_LO ? OQ_EXP_LO : xc;
  float e = OQ_SIMD_SFX(exp_core)(xc);
  e = x > OQ_EXP_HI ? (float)INFINITY : e;
  e = x < OQ_EXP_LO ? 0.0f : e;
  return x != x ? x : e;
}

/* 1 / (1 + e^-v): -v clamped to [OQ_EXP_LO, 87] (above 86 the sum is 1), 0 below OQ_SIG_LO, NaN passed on. */
static inline float OQ_SIMD_SFX(sigmoid1)(float v) {
  float a = -v;
  a = a > 87.0f ? 87.0f : a;
  a = a < OQ_EXP_LO ? OQ_EXP_LO : a;
  float r = OQ_SIMD_SFX(recip)(1.0f + OQ_SIMD_SFX(exp_core)(a));
  r = v < OQ_SIG_LO ? 0.0f : r;
  return v != v ? v : r;
}

/* The row functions below are the reference (the portable level's); a level that defines OQ_SIMD_VMATH computes them
 * with kern/simd_vmath.h instead, the same operations on explicit vectors. */
#ifndef OQ_SIMD_VMATH
static void OQ_SIMD_SFX(vexp)(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = OQ_SIMD_SFX(exp1)(x[i]);
}

static void OQ_SIMD_SFX(vsigmoid)(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = OQ_SIMD_SFX(sigmoid1)(x[i]);
}

/* x * sigmoid(x) (SiLU): the sigmoid above, then one product, as the Sigmoid and Mul nodes compute it. */
static void OQ_SIMD_SFX(vsilu)(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = x[i] * OQ_SIMD_SFX(sigmoid1)(x[i]);
}

static void OQ_SIMD_SFX(silu_2d)(float *c, size_t ldc, size_t m, size_t n) {
  for (size_t r = 0; r < m; r++) OQ_SIMD_SFX(vsilu)(c + r * ldc, c + r * ldc, n);
}

/* tanh: the odd series up to x^15 below 0.5 (no cancellation), 1 - 2 / (e^2|x| + 1) above, 1 beyond 9. */
static void OQ_SIMD_SFX(vtanh)(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) {
    float v = x[i], a = v < 0.0f ? -v : v;
    float s = a * a;
    float p = -1.45583438705e-3f;       /* -929569/638512875 */
    p = fmaf(p, s, 3.59212803657e-3f);  /* 21844/6081075 */
    p = fmaf(p, s, -8.86323552990e-3f); /* -1382/155925 */
    p = fmaf(p, s, 2.18694885362e-2f);  /* 62/2835 */
    p = fmaf(p, s, -5.39682539683e-2f); /* -17/315 */
    p = fmaf(p, s, 1.33333333333e-1f);  /* 2/15 */
    p = fmaf(p, s, -3.33333333333e-1f); /* -1/3 */
    float small = fmaf(a * s, p, a);
    float ac = a > 9.0f ? 9.0f : a;
    float big = 1.0f - 2.0f * OQ_SIMD_SFX(recip)(OQ_SIMD_SFX(exp_core)(2.0f * ac) + 1.0f);
    float r = a < 0.5f ? small : big;
    r = v < 0.0f ? -r : r;
    y[i] = v != v ? v : r;
  }
}

/* erf: the Maclaurin series up to x^21 below 1 (no cancellation near 0), Abramowitz & Stegun 7.1.26 (absolute
 * error <= 1.5e-7, relative <= 2e-7 there) from 1, 1 beyond 4. */
static void OQ_SIMD_SFX(verf)(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) {
    float v = x[i], a = v < 0.0f ? -v : v;
    float s = a * a, ms = -s;
    float p = 1.0f / 76204800.0f;
    p = fmaf(p, ms, 1.0f / 6894720.0f);
    p = fmaf(p, ms, 1.0f / 685440.0f);
    p = fmaf(p, ms, 1.0f / 75600.0f);
    p = fmaf(p, ms, 1.0f / 9360.0f);
    p = fmaf(p, ms, 1.0f / 1320.0f);
    p = fmaf(p, ms, 1.0f / 216.0f);
    p = fmaf(p, ms, 1.0f / 42.0f);
    p = fmaf(p, ms, 1.0f / 10.0f);
    p = fmaf(p, ms, 1.0f / 3.0f);
    p = fmaf(p, ms, 1.0f);
    float small = 1.12837916709551f * a * p;
    float ac = a > 4.0f ? 4.0f : a;
    float t = OQ_SIMD_SFX(recip)(fmaf(0.3275911f, ac, 1.0f));
    float q = 1.061405429f;
    q = fmaf(q, t, -1.453152027f);
    q = fmaf(q, t, 1.421413741f);
    q = fmaf(q, t, -0.284496736f);
    q = fmaf(q, t, 0.254829592f);
    float big = 1.0f - q * t * OQ_SIMD_SFX(exp_core)(-(ac * ac));
    float r = a < 1.0f ? small : big;
    r = a > 4.0f ? 1.0f : r;
    r = v < 0.0f ? -r : r;
    y[i] = v != v ? v : r;
  }
}
#endif /* OQ_SIMD_VMATH */

static void OQ_SIMD_SFX(axpy_strided)(float w, const float *x, size_t stride, float *y, size_t n) {
  if (stride == 1) {
    for (size_t i = 0; i < n; i++) y[i] += w * x[i];
  } else {
    for (size_t i = 0; i < n; i++) y[i] += w * x[i * stride];
  }
}

/* oq_gemv_fn: the columns in blocks whose sums stay in L1 (registers where the compiler manages). */
#ifndef OQ_SIMD_VMATH
static void OQ_SIMD_SFX(gemv)(const float *x, size_t k, const float *a, size_t lda, float *y, size_t n) {
  for (size_t i0 = 0; i0 < n; i0 += 64) {
    size_t w = n - i0 < 64 ? n - i0 : 64;
    float acc[64];
    for (size_t i = 0; i < w; i++) acc[i] = 0.0f;
    for (size_t p = 0; p < k; p++) {
      const float xp = x[p], *ap = a + p * lda + i0;
      for (size_t i = 0; i < w; i++) acc[i] = acc[i] + xp * ap[i];
    }
    for (size_t i = 0; i < w; i++) y[i0 + i] = acc[i];
  }
}
#endif

/* oq_dot_rows_fn (the vector levels use dot_rows_v, kern/simd_vmath.h) */
#ifndef OQ_SIMD_VMATH
static void OQ_SIMD_SFX(dot_rows)(const float *x, const float *b, size_t ldb, size_t k, size_t n, float *out) {
  for (size_t j = 0; j < n; j++) {
    const float *y = b + j * ldb;
    float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
    size_t p = 0;
    for (; p + 8 <= k; p += 8)
      for (int l = 0; l < 8; l++) acc[l] += x[p + l] * y[p + l];
    float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
    for (; p < k; p++) s += x[p] * y[p];
    out[j] = s;
  }
}
#endif

/* oq_copy_strided_fn */
static void OQ_SIMD_SFX(copy_strided)(float *d, const float *s, size_t stride, size_t n) {
  if (stride == 1) {
    memcpy(d, s, n * sizeof *d);
    return;
  }
  for (size_t i = 0; i < n; i++) d[i] = s[i * stride];
}

/* oq_max3_row_fn: MaxPool's 3-wide column pass. */
static void OQ_SIMD_SFX(max3_row)(const float *v, size_t stride, float *y, size_t n) {
  if (stride == 1) {
    for (size_t i = 0; i < n; i++) {
      float b = v[i];
      b = v[i + 1] > b ? v[i + 1] : b;
      y[i] = v[i + 2] > b ? v[i + 2] : b;
    }
    return;
  }
  for (size_t i = 0; i < n; i++) {
    const float *p = v + i * stride;
    float b = p[0];
    b = p[1] > b ? p[1] : b;
    y[i] = p[2] > b ? p[2] : b;
  }
}

/* oq_max_rows_fn: MaxPool's row pass, in blocks that stay in L1 (the compiler vectorizes the inner loops). */
static inline void OQ_SIMD_SFX(max_rows)(const float *const *rows, size_t k, float *vm, size_t n) {
  for (size_t i0 = 0; i0 < n; i0 += 256) {
    size_t w = n - i0 < 256 ? n - i0 : 256;
    memcpy(vm + i0, rows[0] + i0, w * sizeof(float));
    for (size_t r = 1; r < k; r++) {
      const float *x = rows[r] + i0;
      float *b = vm + i0;
      for (size_t i = 0; i < w; i++) b[i] = x[i] > b[i] ? x[i] : b[i];
    }
  }
}

/* oq_ln_row_fn: the partial sums are independent chains the compiler vectorizes (8 doubles per zmm). */
static void OQ_SIMD_SFX(ln_row)(const float *x, const float *scale, const float *bias, float *y, size_t len, double eps,
                                double *mean_out, double *inv_out) {
  double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0, full = len / 8 * 8;
  for (; i < full; i += 8)
    for (size_t l = 0; l < 8; l++) a[l] = a[l] + (double)x[i + l];
  double s = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
  for (; i < len; i++) s = s + (double)x[i];
  double mean = len ? s / (double)len : 0.0;
  double q[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  for (i = 0; i < full; i += 8)
    for (size_t l = 0; l < 8; l++) {
      double d = (double)x[i + l] - mean;
      q[l] = q[l] + d * d;
    }
  double ss = ((q[0] + q[1]) + (q[2] + q[3])) + ((q[4] + q[5]) + (q[6] + q[7]));
  for (; i < len; i++) {
    double d = (double)x[i] - mean;
    ss = ss + d * d;
  }
  double inv = 1.0 / sqrt((len ? ss / (double)len : 0.0) + eps);
  if (bias)
    for (i = 0; i < len; i++) y[i] = (float)(((double)x[i] - mean) * inv * (double)scale[i] + (double)bias[i]);
  else
    for (i = 0; i < len; i++) y[i] = (float)(((double)x[i] - mean) * inv * (double)scale[i]);
  *mean_out = mean;
  *inv_out = inv;
}

/* oq_bin_row_fn, the plain loops (portable level; o may alias a or b exactly). */
#ifndef OQ_SIMD_VMATH
#define OQ_BIN_LOOP(OP)                                                                                                \
  for (size_t i = 0; i < n; i++) o[i] = a[i * sa] OP b[i * sb];
static void OQ_SIMD_SFX(bin_row)(int op, const float *a, size_t sa, const float *b, size_t sb, float *o, size_t n) {
  if (op == 0) {
    OQ_BIN_LOOP(+)
  } else if (op == 1) {
    OQ_BIN_LOOP(-)
  } else if (op == 2) {
    OQ_BIN_LOOP(*)
  } else {
    OQ_BIN_LOOP(/)
  }
}
#undef OQ_BIN_LOOP
#endif

/* oq_sum_d_fn: the partial sums are independent chains the compiler vectorizes (8 doubles per zmm). */
static double OQ_SIMD_SFX(sum_d)(const float *x, size_t n) {
  double a[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t i = 0, full = n / 8 * 8;
  for (; i < full; i += 8)
    for (size_t l = 0; l < 8; l++) a[l] = a[l] + (double)x[i + l];
  double s = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
  for (; i < n; i++) s = s + (double)x[i];
  return s;
}

/* Relu as the executor always computed it: x > 0 ? x : 0 (NaN becomes 0). */
static void OQ_SIMD_SFX(vrelu)(const float *x, float *y, size_t n) {
  for (size_t i = 0; i < n; i++) y[i] = x[i] > 0.0f ? x[i] : 0.0f;
}

/* Clip: min then max, as ONNX orders them (NaN passes through; min > max gives max everywhere). */
static void OQ_SIMD_SFX(vclamp)(const float *x, float *y, size_t n, float lo, float hi) {
  for (size_t i = 0; i < n; i++) {
    float v = x[i];
    v = v < lo ? lo : v;
    y[i] = v > hi ? hi : v;
  }
}

/* Stores an mr x nr tile (row stride ldt) into C as oq_gemm_store says (kern/cpu.h); the plain-C twin of the vector
 * stores of the micro-kernels, used for partial tiles. */
static inline void OQ_SIMD_SFX(store_tile)(const float *tile, size_t ldt, float *c, size_t ldc, size_t mr, size_t nr,
                                           const oq_gemm_store *st) {
  for (size_t r = 0; r < mr; r++) {
    float b = st->bias ? st->bias[r] : 0.0f;
    for (size_t j = 0; j < nr; j++) {
      float v = tile[r * ldt + j];
      if (st->load) v = c[r * ldc + j] + v;
      if (st->bias) v = v + b;
      if (st->act == OQ_GEMM_ACT_RELU) v = v > 0.0f ? v : 0.0f;
      if (st->act == OQ_GEMM_ACT_CLAMP) {
        v = v < st->lo ? st->lo : v;
        v = v > st->hi ? st->hi : v;
      }
      c[r * ldc + j] = v;
    }
  }
}

/* Depthwise rows (kern/cpu.h oq_dw_row_fn): the taps written out so that the loop over i vectorizes, the
 * accumulator staying in a register across all taps. */
#define OQ_DW_TAP(q, row, col) acc = acc + w[q] * r[(row)*ld + i * S + (col)];
#define OQ_DW_ROW3(kh)         OQ_DW_TAP(kh * 3, kh, 0) OQ_DW_TAP(kh * 3 + 1, kh, 1) OQ_DW_TAP(kh * 3 + 2, kh, 2)
#define OQ_DW_ROW5(kh)                                                                                                 \
  OQ_DW_TAP(kh * 5, kh, 0)                                                                                             \
  OQ_DW_TAP(kh * 5 + 1, kh, 1)                                                                                         \
  OQ_DW_TAP(kh * 5 + 2, kh, 2) OQ_DW_TAP(kh * 5 + 3, kh, 3) OQ_DW_TAP(kh * 5 + 4, kh, 4)
#define OQ_DW_BODY3(SV)                                                                                                \
  const size_t S = SV;                                                                                                 \
  for (size_t i = 0; i < n; i++) {                                                                                     \
    float acc = bias;                                                                                                  \
    OQ_DW_ROW3(0) OQ_DW_ROW3(1) OQ_DW_ROW3(2) y[i] = acc;                                                              \
  }
#define OQ_DW_BODY5(SV)                                                                                                \
  const size_t S = SV;                                                                                                 \
  for (size_t i = 0; i < n; i++) {                                                                                     \
    float acc = bias;                                                                                                  \
    OQ_DW_ROW5(0) OQ_DW_ROW5(1) OQ_DW_ROW5(2) OQ_DW_ROW5(3) OQ_DW_ROW5(4) y[i] = acc;                                  \
  }

static inline void OQ_SIMD_SFX(dw_row)(const float *restrict r, size_t ld, const float *restrict w, int32_t k,
                                       int32_t stride, float bias, float *restrict y, size_t n) {
  if (k == 3 && stride == 1) {
    OQ_DW_BODY3(1)
  } else if (k == 3) {
    OQ_DW_BODY3(2)
  } else if (stride == 1) {
    OQ_DW_BODY5(1)
  } else {
    OQ_DW_BODY5(2)
  }
}
