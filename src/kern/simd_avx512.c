/* The AVX-512 level, compiled with -mavx512f -mavx512vl -mavx512dq -mavx512bw -mavx2 -mfma (CMakeLists.txt sets the
 * flags for this file only): an 8 x 32 FMA micro-kernel (16 zmm accumulators) and the shared elementwise bodies
 * vectorized 16 wide. Only called after kern/cpu.c found AVX-512. */
#include "kern/cpu.h"

#if defined(__AVX512F__) && defined(__FMA__)
#include <immintrin.h>
#include <math.h>

#define OQ_SIMD_SFX(name) name##_avx512
#define OQ_SIMD_VMATH
#include "kern/simd_body.h"

/* The first n < 16 lanes of v stored as 8-, 4-, 2- and 1-float pieces: exactly those bytes. A masked store is not used
 * here: a later load of the next floats (the next row of an in-place pass over short rows, 7 floats of a depthwise
 * convolution's 7x7 map) overlaps the masked store's whole 64 bytes and cannot be forwarded from it, so it waits for
 * the store, and the rows, which could overlap, run one after the other (23 ns instead of 1.6 ns per float for
 * x * sigmoid(x) on 7-float rows). */
static inline void store_part_avx512(float *p, __m512 v, size_t n) {
  __m512i vi = _mm512_castps_si512(v);
  const __m512i z = _mm512_setzero_si512();
  if (n & 8) {
    _mm256_storeu_ps(p, _mm512_castps512_ps256(_mm512_castsi512_ps(vi)));
    vi = _mm512_alignr_epi32(z, vi, 8);
    p += 8;
  }
  if (n & 4) {
    _mm_storeu_ps(p, _mm512_castps512_ps128(_mm512_castsi512_ps(vi)));
    vi = _mm512_alignr_epi32(z, vi, 4);
    p += 4;
  }
  if (n & 2) {
    _mm_storel_pi((__m64 *)(void *)p, _mm512_castps512_ps128(_mm512_castsi512_ps(vi)));
    vi = _mm512_alignr_epi32(z, vi, 2);
    p += 2;
  }
  if (n & 1) _mm_store_ss(p, _mm512_castps512_ps128(_mm512_castsi512_ps(vi)));
}

/* kern/simd_vmath.h on 16-lane zmm vectors, tails loaded under a mask and stored by store_part_avx512 */
#define VW            16
#define V             __m512
#define M             __mmask16
#define VSET1(f)      _mm512_set1_ps(f)
#define VADD(a, b)    _mm512_add_ps(a, b)
#define VSUB(a, b)    _mm512_sub_ps(a, b)
#define VMUL(a, b)    _mm512_mul_ps(a, b)
#define VDIV(a, b)    _mm512_div_ps(a, b)
#define VMIN(a, b)    _mm512_min_ps(a, b)
#define VMAX(a, b)    _mm512_max_ps(a, b)
#define VLT(a, b)     _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ)
#define VGT(a, b)     _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ)
#define VNAN(a)       _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q)
#define VSEL(m, t, f) _mm512_mask_blend_ps(m, f, t)
#define VALL_IN(a, l, h)                                                                                               \
  (_mm512_mask_cmp_ps_mask(_mm512_cmp_ps_mask(a, l, _CMP_GE_OQ), a, h, _CMP_LE_OQ) == (__mmask16)0xFFFF)
#define VFMA(a, b, c) _mm512_fmadd_ps(a, b, c)
#define VRCP0(d)      _mm512_castsi512_ps(_mm512_sub_epi32(_mm512_set1_epi32(0x7EF311C7), _mm512_castps_si512(d)))
#define VNEG(a)       _mm512_xor_ps(a, _mm512_set1_ps(-0.0f))
#define VEXP2(t, mg)                                                                                                   \
  _mm512_castsi512_ps(_mm512_slli_epi32(                                                                               \
      _mm512_add_epi32(_mm512_sub_epi32(_mm512_castps_si512(t), _mm512_castps_si512(mg)), _mm512_set1_epi32(126)),     \
      23))
#define VMASK(n)        ((__mmask16)(((uint32_t)1 << (n)) - 1u))
#define VLOAD(p, n)     ((n) == VW ? _mm512_loadu_ps(p) : _mm512_maskz_loadu_ps(VMASK(n), p))
#define VSTORE(p, v, n) ((n) == VW ? _mm512_storeu_ps(p, v) : store_part_avx512(p, v, n))
#include "kern/simd_vmath.h"

#undef V
#undef M
#define MR 8
#define NR 32
#ifndef B_PF
#define B_PF 16
#endif

#define ROW(r)                                                                                                         \
  {                                                                                                                    \
    __m512 a = _mm512_set1_ps(*a##r);                                                                                  \
    a##r += cs;                                                                                                        \
    c##r##0 = _mm512_fmadd_ps(a, b0, c##r##0);                                                                         \
    c##r##1 = _mm512_fmadd_ps(a, b1, c##r##1);                                                                         \
  }

#define ROW_HALF(r)                                                                                                    \
  {                                                                                                                    \
    __m512 a = _mm512_set1_ps(*a##r);                                                                                  \
    a##r += cs;                                                                                                        \
    c##r##0 = _mm512_fmadd_ps(a, b0, c##r##0);                                                                         \
  }

static void micro_avx512(size_t kc, const float *ap, size_t rs, size_t cs, const float *bp, size_t bs, float *c,
                         size_t ldc, size_t mr, size_t nr, const oq_gemm_store *st) {
  __m512 c00 = _mm512_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00,
         c40 = c00, c41 = c00, c50 = c00, c51 = c00, c60 = c00, c61 = c00, c70 = c00, c71 = c00;
  const float *a0 = ap, *a1 = ap + rs, *a2 = ap + 2 * rs, *a3 = ap + 3 * rs, *a4 = ap + 4 * rs, *a5 = ap + 5 * rs,
              *a6 = ap + 6 * rs, *a7 = ap + 7 * rs;
  if (nr <= 16) { /* a tile with no column in its right half (the last panel of a 14x14 or 13x13 map): its sums
                   * alone, half the work; each stored element is the same chain of operations */
    for (size_t p = 0; p < kc; p++) {
      __m512 b0 = _mm512_loadu_ps(bp);
      ROW_HALF(0) ROW_HALF(1) ROW_HALF(2) ROW_HALF(3) ROW_HALF(4) ROW_HALF(5) ROW_HALF(6) ROW_HALF(7) bp += bs;
    }
  } else if (bs == NR) { /* packed B: contiguous panels, the hardware prefetcher follows them */
    for (size_t p = 0; p < kc; p++) {
      __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);
      ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) bp += bs;
    }
  } else { /* B read in place, rows bs floats apart (4 KiB for a [256, 1024] MatMul weight): the prefetcher does not
            * follow that stride, so each row is fetched B_PF rows ahead (the weights come from L3) */
    for (size_t p = 0; p < kc; p++) {
      if (p + B_PF < kc) {
        _mm_prefetch((const char *)(bp + B_PF * bs), _MM_HINT_T0);
        _mm_prefetch((const char *)(bp + B_PF * bs + 16), _MM_HINT_T0);
      }
      __m512 b0 = _mm512_loadu_ps(bp), b1 = _mm512_loadu_ps(bp + 16);
      ROW(0) ROW(1) ROW(2) ROW(3) ROW(4) ROW(5) ROW(6) ROW(7) bp += bs;
    }
  }
  __m512 acc[MR][2] = {{c00, c01}, {c10, c11}, {c20, c21}, {c30, c31}, {c40, c41}, {c50, c51}, {c60, c61}, {c70, c71}};
  /* the same operations as store_tile, 16 lanes at a time (max/min written in the ternaries' operand order);
   * masked loads and stores touch only the nr valid columns */
  __mmask16 m0 = nr >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << nr) - 1u);
  __mmask16 m1 = nr >= 32 ? (__mmask16)0xFFFF : nr <= 16 ? (__mmask16)0 : (__mmask16)((1u << (nr - 16)) - 1u);
  __m512 zero = _mm512_setzero_ps(), lo = _mm512_set1_ps(st->lo), hi = _mm512_set1_ps(st->hi);
  for (size_t r = 0; r < mr; r++) {
    float *cr = c + r * ldc;
    __m512 v0 = acc[r][0], v1 = acc[r][1];
    if (st->load) {
      v0 = _mm512_add_ps(_mm512_maskz_loadu_ps(m0, cr), v0);
      v1 = _mm512_add_ps(_mm512_maskz_loadu_ps(m1, cr + 16), v1);
    }
    if (st->bias) {
      __m512 b = _mm512_set1_ps(st->bias[r]);
      v0 = _mm512_add_ps(v0, b);
      v1 = _mm512_add_ps(v1, b);
    }
    if (st->act == OQ_GEMM_ACT_RELU) {
      v0 = _mm512_max_ps(v0, zero);
      v1 = _mm512_max_ps(v1, zero);
    } else if (st->act == OQ_GEMM_ACT_CLAMP) {
      v0 = _mm512_min_ps(hi, _mm512_max_ps(lo, v0));
      v1 = _mm512_min_ps(hi, _mm512_max_ps(lo, v1));
    } else if (st->act == OQ_GEMM_ACT_SILU) { /* silu_2d's operations on the accumulators (no round trip) */
      v0 = silu_v_avx512(v0);
      v1 = silu_v_avx512(v1);
    }
    _mm512_mask_storeu_ps(cr, m0, v0);
    _mm512_mask_storeu_ps(cr + 16, m1, v1);
  }
}

/* The depthwise row (kern/cpu.h oq_dw_row_fn) 16 outputs at a time, the tail under a mask: the same products and
 * sums, in the same order, as the shared body (dw_row_avx512 there is the plain-C twin for other shapes). Stride 2
 * takes the even lanes of two loads. Masked loads never touch memory past the row's last tap. Used for short rows
 * (small maps), where the compiled loop would run its scalar remainder. */
static void dw_row_zmm(const float *r, size_t ld, const float *w, int32_t k, int32_t stride, float bias, float *y,
                       size_t n) {
  if (n >= 32) { /* long rows: the compiler's vectorization of the shared body is faster (no masks) */
    dw_row_avx512(r, ld, w, k, stride, bias, y, n);
    return;
  }
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  __m512 wv[25];
  for (int32_t t = 0; t < k * k; t++) wv[t] = _mm512_set1_ps(w[t]);
  for (size_t i0 = 0; i0 < n; i0 += 16) {
    size_t cnt = n - i0 < 16 ? n - i0 : 16;
    __mmask16 m = (__mmask16)((1u << cnt) - 1u);
    __m512 acc = _mm512_set1_ps(bias);
    if (stride == 1) {
      for (int32_t kh = 0; kh < k; kh++) {
        const float *p = r + kh * ld + i0;
        for (int32_t kw = 0; kw < k; kw++)
          acc = _mm512_add_ps(acc, _mm512_mul_ps(wv[kh * k + kw], _mm512_maskz_loadu_ps(m, p + kw)));
      }
    } else {
      /* outputs i0 + q read p[2q + kw], q < cnt: 2 * cnt - 1 floats from p + kw */
      size_t need = 2 * cnt - 1;
      __mmask16 m0 = need >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << need) - 1u);
      __mmask16 m1 = need <= 16 ? (__mmask16)0 : (__mmask16)((1u << (need - 16)) - 1u);
      for (int32_t kh = 0; kh < k; kh++) {
        const float *p = r + kh * ld + 2 * i0;
        for (int32_t kw = 0; kw < k; kw++) {
          __m512 lo = _mm512_maskz_loadu_ps(m0, p + kw), hi = _mm512_maskz_loadu_ps(m1, p + kw + 16);
          acc = _mm512_add_ps(acc, _mm512_mul_ps(wv[kh * k + kw], _mm512_permutex2var_ps(lo, even, hi)));
        }
      }
    }
    _mm512_mask_storeu_ps(y + i0, m, acc);
  }
}

/* oq_max3_row_fn, 16 outputs at a time: for stride 2 the even and odd lanes of 32 loaded floats, and the even lanes
 * moved down by one with v[2i + 32] last; under masks that read only v[0 .. (n - 1) * stride + 2]. max_ps(a, b) is
 * a > b ? a : b, the scalar expression. */
static void max3_row_zmm(const float *v, size_t stride, float *y, size_t n) {
  if (stride != 1 && stride != 2) {
    max3_row_avx512(v, stride, y, n);
    return;
  }
  const __m512i ev = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  const __m512i od = _mm512_set_epi32(31, 29, 27, 25, 23, 21, 19, 17, 15, 13, 11, 9, 7, 5, 3, 1);
  for (size_t i = 0; i < n; i += 16) {
    size_t cnt = n - i < 16 ? n - i : 16;
    __m512 b;
    if (stride == 1) {
      __mmask16 m = VMASK(cnt);
      const float *p = v + i;
      b = _mm512_max_ps(_mm512_maskz_loadu_ps(m, p + 1), _mm512_maskz_loadu_ps(m, p));
      b = _mm512_max_ps(_mm512_maskz_loadu_ps(m, p + 2), b);
    } else {
      const float *p = v + 2 * i;
      size_t avail = 2 * cnt + 1; /* p[0 .. 2 cnt] */
      __mmask16 ma = avail >= 16 ? (__mmask16)0xFFFF : VMASK(avail);
      __mmask16 mb = avail >= 32 ? (__mmask16)0xFFFF : avail <= 16 ? (__mmask16)0 : VMASK(avail - 16);
      __m512 a = _mm512_maskz_loadu_ps(ma, p), c = _mm512_maskz_loadu_ps(mb, p + 16);
      __m512 e = _mm512_permutex2var_ps(a, ev, c), o = _mm512_permutex2var_ps(a, od, c);
      __m512 last = _mm512_maskz_loadu_ps(avail > 32 ? (__mmask16)1 : (__mmask16)0, p + 32);
      __m512 e2 = _mm512_castsi512_ps(_mm512_alignr_epi32(_mm512_castps_si512(last), _mm512_castps_si512(e), 1));
      b = _mm512_max_ps(o, e);
      b = _mm512_max_ps(e2, b);
    }
    VSTORE(y + i, b, cnt);
  }
}

/* oq_copy_strided_fn, 16 floats at a time under masks (no call for the short runs of im2col); stride 2 takes the
 * even lanes of 32 loaded floats, reading only s[0 .. 2 (n - 1)]. */
static void copy_strided_zmm(float *d, const float *s, size_t stride, size_t n) {
  if (stride == 1) {
    size_t i = 0;
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(d + i, _mm512_loadu_ps(s + i));
    if (i < n) {
      __mmask16 m = VMASK(n - i);
      _mm512_mask_storeu_ps(d + i, m, _mm512_maskz_loadu_ps(m, s + i));
    }
    return;
  }
  if (stride != 2) {
    copy_strided_avx512(d, s, stride, n);
    return;
  }
  const __m512i ev = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  for (size_t i = 0; i < n; i += 16) {
    size_t cnt = n - i < 16 ? n - i : 16, avail = 2 * cnt - 1; /* p[0 .. 2 (cnt - 1)] */
    const float *p = s + 2 * i;
    __mmask16 ma = avail >= 16 ? (__mmask16)0xFFFF : VMASK(avail);
    __mmask16 mb = avail >= 32 ? (__mmask16)0xFFFF : avail <= 16 ? (__mmask16)0 : VMASK(avail - 16);
    __m512 e = _mm512_permutex2var_ps(_mm512_maskz_loadu_ps(ma, p), ev, _mm512_maskz_loadu_ps(mb, p + 16));
    _mm512_mask_storeu_ps(d + i, VMASK(cnt), e);
  }
}

/* oq_max_rows_fn: one pass, each vector's maximum over the rows in a register. */
static void max_rows_zmm(const float *const *rows, size_t k, float *vm, size_t n) {
  for (size_t i = 0; i < n; i += 16) {
    size_t cnt = n - i < 16 ? n - i : 16;
    __m512 b = VLOAD(rows[0] + i, cnt);
    for (size_t r = 1; r < k; r++) b = _mm512_max_ps(VLOAD(rows[r] + i, cnt), b);
    VSTORE(vm + i, b, cnt);
  }
}

/* oq_im2col_panel_fn for 32-lane panels, a panel row as two zmm built from masked loads: for each run, the lanes whose
 * tap lies inside the input row are loaded (stride 2: the even elements of twice as many, then compacted), the
 * others stay 0. Masked-off lanes are never read, so the loads may start before the row (addresses formed as
 * integers). */
/* One valid run of one tap: which lanes of the two halves take input, and where lane 0 of each half reads (floats
 * from the channel plane's start; may be negative, masked-off lanes are never read). */
typedef struct im2col_run {
  int64_t start[2];
  uint16_t lanes[2];  /* lane l of half h takes plane[start[h] + sw * l] */
  uint16_t src[2][2]; /* stride 2: masks of the 32 floats loaded per half (element 2l for lane l) */
} im2col_run;

/* Half h of a panel row from one run: masked loads straight into the lanes (stride 2: twice as many floats, the
 * even ones compacted by a permute). Addresses are formed as integers. */
static inline __m512 im2col_take(__m512 v, const float *plane, const im2col_run *r, int h, int64_t sw) {
  if (!r->lanes[h]) return v;
  uintptr_t at = (uintptr_t)plane + (uintptr_t)(r->start[h] * (int64_t)sizeof(float));
  if (sw == 1) return _mm512_mask_loadu_ps(v, (__mmask16)r->lanes[h], (const void *)at);
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  __m512 lo = _mm512_maskz_loadu_ps((__mmask16)r->src[h][0], (const void *)at);
  __m512 hi = _mm512_maskz_loadu_ps((__mmask16)r->src[h][1], (const void *)(at + 64));
  return _mm512_mask_mov_ps(v, (__mmask16)r->lanes[h], _mm512_permutex2var_ps(lo, even, hi));
}

/* oq_im2col_panel_fn for 32-lane panels. The lanes each tap (kh, kw) takes from its input rows are the same for
 * every channel, so they are worked out once per call (a table of runs per tap); each panel row is then a few
 * masked loads into two zmm and two stores. */
static void im2col_panel_zmm(const oq_im2col_geom *g, const oq_panel_seg *seg, int32_t n_seg, size_t p0, size_t kc,
                             float *dst) {
  int64_t kprod = g->kh * g->kw, sw = g->sw;
  im2col_run runs[OQ_IM2COL_RUNS_MAX];
  int32_t first[OQ_IM2COL_TAPS_MAX + 1], n_runs = 0;
  for (int64_t t = 0; t < kprod; t++) {
    int64_t kh = t / g->kw, kw = t % g->kw;
    first[t] = n_runs;
    for (int32_t s = 0; s < n_seg; s++) {
      int64_t ih = seg[s].oh * g->sh + kh - g->pt;
      if (ih < 0 || ih >= g->ih) continue;
      /* lanes j of the run read column iw0 + j * sw: valid while 0 <= column < iw (sw is 1 or 2) */
      int64_t iw0 = seg[s].ow0 * sw + kw - g->pl, cnt = seg[s].cnt;
      int64_t jlo = iw0 >= 0 ? 0 : (-iw0 + sw - 1) / sw;
      int64_t jhi = g->iw - iw0 <= 0 ? 0 : (g->iw - iw0 + sw - 1) / sw;
      if (jhi > cnt) jhi = cnt;
      if (jlo >= jhi) continue;
      uint64_t bits = ((UINT64_C(1) << (jhi - jlo)) - 1) << (seg[s].off + jlo); /* panel lanes */
      int64_t lane0 = ih * g->iw + iw0 - sw * seg[s].off;                       /* where panel lane 0 would read */
      im2col_run *r = &runs[n_runs++];
      for (int h = 0; h < 2; h++) {
        uint32_t lanes = (uint32_t)(bits >> (16 * h)) & 0xFFFFu;
        r->lanes[h] = (uint16_t)lanes;
        r->start[h] = lane0 + 16 * h * sw;
        r->src[h][0] = r->src[h][1] = 0;
        if (lanes && sw == 2) { /* element 2l for lane l; a run's lanes are contiguous, so are their evens */
          int fl = __builtin_ctz(lanes), n = __builtin_popcount(lanes);
          uint32_t e = (uint32_t)((((UINT64_C(1) << (2 * n)) - 1) << (2 * fl)) & 0x55555555u);
          r->src[h][0] = (uint16_t)(e & 0xFFFFu);
          r->src[h][1] = (uint16_t)(e >> 16);
        }
      }
    }
  }
  first[kprod] = n_runs;
  int64_t c = (int64_t)p0 / kprod, t = (int64_t)p0 % kprod;
  int32_t most = 0;
  for (int64_t u = 0; u < kprod; u++)
    if (first[u + 1] - first[u] > most) most = first[u + 1] - first[u];
  if (sw == 1 && most <= 2 && kprod <= OQ_IM2COL_TAPS_MAX) {
    /* stride 1, at most two runs per tap (panels within one or across two output rows): the same masked loads
     * with no branches, each tap's two runs (absent ones with empty masks) from a table */
    int64_t at[OQ_IM2COL_TAPS_MAX][2][2];
    __mmask16 mk[OQ_IM2COL_TAPS_MAX][2][2];
    for (int64_t u = 0; u < kprod; u++)
      for (int32_t q = 0; q < 2; q++)
        for (int h = 0; h < 2; h++) {
          const im2col_run *r = first[u] + q < first[u + 1] ? &runs[first[u] + q] : NULL;
          at[u][q][h] = r ? r->start[h] : 0;
          mk[u][q][h] = r ? (__mmask16)r->lanes[h] : 0;
        }
    for (size_t p = 0; p < kc; p++) {
      uintptr_t plane = (uintptr_t)(g->x + c * g->in_sp);
      __m512 v0 = _mm512_maskz_loadu_ps(mk[t][0][0], (const void *)(plane + (uintptr_t)(at[t][0][0] * 4)));
      __m512 v1 = _mm512_maskz_loadu_ps(mk[t][0][1], (const void *)(plane + (uintptr_t)(at[t][0][1] * 4)));
      v0 = _mm512_mask_loadu_ps(v0, mk[t][1][0], (const void *)(plane + (uintptr_t)(at[t][1][0] * 4)));
      v1 = _mm512_mask_loadu_ps(v1, mk[t][1][1], (const void *)(plane + (uintptr_t)(at[t][1][1] * 4)));
      _mm512_storeu_ps(dst + p * 32, v0);
      _mm512_storeu_ps(dst + p * 32 + 16, v1);
      if (++t == kprod) {
        t = 0;
        c++;
      }
    }
    return;
  }
  for (size_t p = 0; p < kc; p++) {
    const float *plane = g->x + c * g->in_sp;
    __m512 v0 = _mm512_setzero_ps(), v1 = v0;
    for (int32_t q = first[t]; q < first[t + 1]; q++) {
      v0 = im2col_take(v0, plane, &runs[q], 0, sw);
      v1 = im2col_take(v1, plane, &runs[q], 1, sw);
    }
    _mm512_storeu_ps(dst + p * 32, v0);
    _mm512_storeu_ps(dst + p * 32 + 16, v1);
    if (++t == kprod) {
      t = 0;
      c++;
    }
  }
}

/* The activation of a store (oq_gemm_store) on a vector, as the micro-kernel applies it. */
static inline __m512 act_zmm(__m512 v, const oq_gemm_store *st, __m512 lo, __m512 hi) {
  if (st->act == OQ_GEMM_ACT_RELU) return _mm512_max_ps(v, _mm512_setzero_ps());
  if (st->act == OQ_GEMM_ACT_CLAMP) return _mm512_min_ps(hi, _mm512_max_ps(lo, v));
  if (st->act == OQ_GEMM_ACT_SILU) return silu_v_avx512(v);
  return v;
}

#define DW_GROUP 4 /* stride-1 blocks of 16 outputs computed together: independent sums to overlap the chains */

/* Stride 1, 'same' padding, flat blocks [qa, qe) of 16 outputs (qa a multiple of 16) for a k known at compile time
 * (so the taps unroll and the weights stay in registers), DW_GROUP blocks at a time. */
static inline __attribute__((always_inline)) void dw_flat_k(const int32_t k, const oq_dw_geom *g, const float *x,
                                                            const float *w, float bias, const oq_gemm_store *st,
                                                            int64_t q0, int64_t q1, float *y) {
  const int32_t kk = k * k;
  const int64_t ow = g->ow, p = (k - 1) / 2;
  __m512 wv[25];
  int64_t off[25];
  for (int32_t t = 0; t < kk; t++) {
    wv[t] = _mm512_set1_ps(w[t]);
    off[t] = (t / k - p) * ow + t % k - p;
  }
  const __m512 vb = _mm512_set1_ps(bias), lo = _mm512_set1_ps(st->lo), hi = _mm512_set1_ps(st->hi);
  for (int64_t qb = q0 / 16 * 16; qb < q1; qb += 16 * DW_GROUP) {
    int32_t nb = (int32_t)((q1 - qb + 15) / 16);
    if (nb > DW_GROUP) nb = DW_GROUP;
    const uint16_t *mb = g->masks + (qb / 16) * kk;
    uint32_t all = 0xFFFFu;
    for (int32_t t = 0; t < nb * kk; t++) all &= mb[t];
    __m512 acc[DW_GROUP];
    for (int32_t b = 0; b < DW_GROUP; b++) acc[b] = vb;
    if (all == 0xFFFFu && nb == DW_GROUP) { /* every tap of every lane inside: plain loads */
      for (int32_t t = 0; t < kk; t++)
        for (int32_t b = 0; b < DW_GROUP; b++)
          acc[b] = _mm512_add_ps(acc[b], _mm512_mul_ps(wv[t], _mm512_loadu_ps(x + qb + 16 * b + off[t])));
    } else {
      for (int32_t t = 0; t < kk; t++)
        for (int32_t b = 0; b < nb; b++) {
          uintptr_t at = (uintptr_t)x + (uintptr_t)((qb + 16 * b + off[t]) * (int64_t)sizeof(float));
          __m512 v = _mm512_maskz_loadu_ps((__mmask16)mb[b * kk + t], (const void *)at);
          acc[b] = _mm512_add_ps(acc[b], _mm512_mul_ps(wv[t], v));
        }
    }
    for (int32_t b = 0; b < nb; b++) {
      int64_t q = qb + 16 * b, s = q0 > q ? q0 - q : 0, e = q1 - q < 16 ? q1 - q : 16; /* this band's lanes */
      _mm512_mask_storeu_ps(y + q, (__mmask16)(((1u << e) - 1u) & ~((1u << s) - 1u)), act_zmm(acc[b], st, lo, hi));
    }
  }
}

/* Stride 2, output rows [oh0, oh1), for a k known at compile time: per row, 16 outputs from the even elements of 32
 * per tap (a permute), lanes whose tap lies in the padding or past the row zeroed by masks (computed per tap from
 * the row's column range; rows in the padding add w * 0 as the padded plane did). */
static inline __attribute__((always_inline)) void dw_s2_k(const int32_t k, const oq_dw_geom *g, const float *x,
                                                          const float *w, float bias, const oq_gemm_store *st,
                                                          int64_t oh0, int64_t oh1, float *y) {
  const int32_t kk = k * k;
  __m512 wv[25];
  for (int32_t t = 0; t < kk; t++) wv[t] = _mm512_set1_ps(w[t]);
  const __m512 vb = _mm512_set1_ps(bias), lo = _mm512_set1_ps(st->lo), hi = _mm512_set1_ps(st->hi);
  const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
  for (int64_t o16 = 0; o16 < g->ow; o16 += 16) {
    int64_t n = g->ow - o16 < 16 ? g->ow - o16 : 16;
    /* per kw: the lanes l < n whose column c0 + 2 l lies in [0, iw), and the even elements of 32 they take */
    __mmask16 lanes[5], src_lo[5], src_hi[5];
    int64_t c0[5];
    for (int32_t kw = 0; kw < k; kw++) {
      c0[kw] = 2 * o16 + kw - g->pl;
      int64_t llo = c0[kw] >= 0 ? 0 : (1 - c0[kw]) / 2;
      int64_t lhi = g->iw - 1 - c0[kw] < 0 ? 0 : (g->iw - 1 - c0[kw]) / 2 + 1;
      if (lhi > n) lhi = n;
      if (llo > lhi) llo = lhi;
      uint64_t e = (((UINT64_C(1) << (2 * (lhi - llo))) - 1) << (2 * llo)) & UINT64_C(0x55555555);
      lanes[kw] = (__mmask16)(((1u << (lhi - llo)) - 1u) << llo);
      src_lo[kw] = (__mmask16)(e & 0xFFFFu);
      src_hi[kw] = (__mmask16)(e >> 16);
    }
    for (int64_t oh = oh0; oh < oh1; oh++) {
      __m512 acc = vb;
      for (int32_t kh = 0; kh < k; kh++) {
        int64_t ih = 2 * oh + kh - g->pt;
        if (ih < 0 || ih >= g->ih) { /* a row of padding: w * 0, as over the padded plane */
          for (int32_t kw = 0; kw < k; kw++)
            acc = _mm512_add_ps(acc, _mm512_mul_ps(wv[kh * k + kw], _mm512_setzero_ps()));
          continue;
        }
        uintptr_t row = (uintptr_t)(x + ih * g->iw);
        for (int32_t kw = 0; kw < k; kw++) {
          uintptr_t at = row + (uintptr_t)(c0[kw] * (int64_t)sizeof(float));
          __m512 va = _mm512_maskz_loadu_ps(src_lo[kw], (const void *)at);
          __m512 vc = _mm512_maskz_loadu_ps(src_hi[kw], (const void *)(at + 64));
          __m512 v = _mm512_maskz_mov_ps(lanes[kw], _mm512_permutex2var_ps(va, even, vc));
          acc = _mm512_add_ps(acc, _mm512_mul_ps(wv[kh * k + kw], v));
        }
      }
      _mm512_mask_storeu_ps(y + oh * g->ow + o16, (__mmask16)((1u << n) - 1u), act_zmm(acc, st, lo, hi));
    }
  }
}

/* oq_dw_plane_fn. Stride 1 ('same' padding): the plane is one flat row, an output and its taps lie at the same
 * offsets from each other everywhere (output q, tap (kh, kw) at q + (kh - p) * iw + kw - p), so 16 outputs at a
 * time are one load per tap, masked by the table where taps fall in the padding or across row ends: the short rows
 * of 7x7 to 28x28 maps fill whole vectors, with no padded copy. Stride 2: dw_s2_k. Masked-off lanes are never
 * read (addresses formed as integers). Every output is bias + its taps in order, one rounding per product and per
 * sum. */
static void dw_plane_zmm(const oq_dw_geom *g, const float *x, const float *w, float bias, const oq_gemm_store *st,
                         int64_t oh0, int64_t oh1, float *y) {
  if (g->stride == 2) {
    if (g->k == 3)
      dw_s2_k(3, g, x, w, bias, st, oh0, oh1, y);
    else
      dw_s2_k(5, g, x, w, bias, st, oh0, oh1, y);
  } else if (g->k == 3) {
    dw_flat_k(3, g, x, w, bias, st, oh0 * g->ow, oh1 * g->ow, y);
  } else {
    dw_flat_k(5, g, x, w, bias, st, oh0 * g->ow, oh1 * g->ow, y);
  }
}

/* 16 x 16 transpose in registers: r[j] lane i becomes r[i] lane j. */
static inline void transpose16_zmm(__m512 *r) {
  __m512 t[16];
  for (int i = 0; i < 8; i++) {
    t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  /* s[4g + q], 128-bit lane l: rows 4g .. 4g + 3, element 4l + q */
  __m512 s[16];
  for (int g = 0; g < 4; g++) {
    __m512d a = _mm512_castps_pd(t[4 * g]), b = _mm512_castps_pd(t[4 * g + 2]);
    __m512d c = _mm512_castps_pd(t[4 * g + 1]), d = _mm512_castps_pd(t[4 * g + 3]);
    s[4 * g] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
    s[4 * g + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
    s[4 * g + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(c, d));
    s[4 * g + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(c, d));
  }
  for (int q = 0; q < 4; q++) {
    __m512 u01 = _mm512_shuffle_f32x4(s[q], s[4 + q], _MM_SHUFFLE(2, 0, 2, 0));
    __m512 v01 = _mm512_shuffle_f32x4(s[q], s[4 + q], _MM_SHUFFLE(3, 1, 3, 1));
    __m512 u23 = _mm512_shuffle_f32x4(s[8 + q], s[12 + q], _MM_SHUFFLE(2, 0, 2, 0));
    __m512 v23 = _mm512_shuffle_f32x4(s[8 + q], s[12 + q], _MM_SHUFFLE(3, 1, 3, 1));
    r[q] = _mm512_shuffle_f32x4(u01, u23, _MM_SHUFFLE(2, 0, 2, 0));
    r[8 + q] = _mm512_shuffle_f32x4(u01, u23, _MM_SHUFFLE(3, 1, 3, 1));
    r[4 + q] = _mm512_shuffle_f32x4(v01, v23, _MM_SHUFFLE(2, 0, 2, 0));
    r[12 + q] = _mm512_shuffle_f32x4(v01, v23, _MM_SHUFFLE(3, 1, 3, 1));
  }
}

/* oq_conv_tile_fn for ROWS output rows of COLS positions sw floats apart (all compile-time): 2 * ROWS * COLS
 * accumulators, each k step two weight vectors (32 output channels) and ROWS * COLS broadcasts of input values (an
 * output position each), so nothing is packed from X. The sums are then turned to output-channel rows by a 16 x 16
 * transpose per half and stored as one run of positions per output channel. */
#ifndef CONV_TILE_W_PF
#define CONV_TILE_W_PF 1024
#endif
static inline __attribute__((always_inline)) void conv_tile_k(const oq_conv_tile *t, const float *x, size_t nr,
                                                              float *y, size_t ldy, const oq_gemm_store *st,
                                                              const int COLS, const int ROWS, const int SW) {
  const int MRC = COLS * ROWS;
  __m512 acc[OQ_CONV_TILE_MR][2];
#pragma GCC unroll 14
  for (int r = 0; r < MRC; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
  const float *wp = t->w;
  const int32_t *off = t->off;
  int32_t taps = t->taps;
  size_t rstep = ROWS > 1 ? t->rstep : 0;
  for (size_t c = 0; c < t->c; c++) {
    const float *xc = x + c * t->cs;
    for (int32_t k = 0; k < taps; k++) {
      const float *xp = xc + off[k], *xq = xp + rstep;
      __m512 w0 = _mm512_loadu_ps(wp), w1 = _mm512_loadu_ps(wp + 16);
      /* the panel 32 steps ahead: the first tile of a panel reads it from L3 (resnet18's 512-channel layers: 9 MiB
       * of weights per convolution), where the hardware prefetcher fell behind (3.1 -> 1.7-2.2 ms with the caches
       * flushed before each call, the whole model -10% at 1 thread) */
      _mm_prefetch((const char *)(wp + CONV_TILE_W_PF), _MM_HINT_T0);
      _mm_prefetch((const char *)(wp + CONV_TILE_W_PF + 16), _MM_HINT_T0);
      wp += 32;
#pragma GCC unroll 14
      for (int r = 0; r < MRC; r++) {
        __m512 xv = _mm512_set1_ps(r < COLS ? xp[r * SW] : xq[(r - COLS) * SW]);
        acc[r][0] = _mm512_fmadd_ps(xv, w0, acc[r][0]);
        acc[r][1] = _mm512_fmadd_ps(xv, w1, acc[r][1]);
      }
    }
  }
  const __mmask16 m = (__mmask16)((1u << MRC) - 1u); /* two rows are whole rows: one run in y */
  __m512 zero = _mm512_setzero_ps(), lo = _mm512_set1_ps(st->lo), hi = _mm512_set1_ps(st->hi);
  for (int h = 0; h < 2 && (size_t)(16 * h) < nr; h++) {
    __m512 rows[16];
#pragma GCC unroll 16
    for (int r = 0; r < 16; r++) rows[r] = r < MRC ? acc[r < MRC ? r : 0][h] : zero;
    transpose16_zmm(rows);
    size_t jn = nr - (size_t)(16 * h) < 16 ? nr - (size_t)(16 * h) : 16;
    for (size_t j = 0; j < jn; j++) {
      __m512 v = rows[j];
      if (st->bias) v = _mm512_add_ps(v, _mm512_set1_ps(st->bias[16 * h + j]));
      if (st->act == OQ_GEMM_ACT_RELU)
        v = _mm512_max_ps(v, zero);
      else if (st->act == OQ_GEMM_ACT_CLAMP)
        v = _mm512_min_ps(hi, _mm512_max_ps(lo, v));
      else if (st->act == OQ_GEMM_ACT_SILU)
        v = silu_v_avx512(v);
      _mm512_mask_storeu_ps(y + (16 * (size_t)h + j) * ldy, m, v);
    }
  }
}

#define CONV_TILE_SW(n, rows)                                                                                          \
  if (t->sw == 1)                                                                                                      \
    conv_tile_k(t, x, nr, y, ldy, st, n, rows, 1);                                                                     \
  else                                                                                                                 \
    conv_tile_k(t, x, nr, y, ldy, st, n, rows, 2);                                                                     \
  break;
#define CONV_TILE_CASE2(n)                                                                                             \
  case n:                                                                                                              \
    if (rows == 2) {                                                                                                   \
      CONV_TILE_SW(n, 2)                                                                                               \
    }                                                                                                                  \
    CONV_TILE_SW(n, 1)
#define CONV_TILE_CASE1(n)                                                                                             \
  case n: CONV_TILE_SW(n, 1)

static void conv_tile_zmm(const oq_conv_tile *t, const float *x, size_t cols, size_t rows, size_t nr, float *y,
                          size_t ldy, const oq_gemm_store *st) {
  switch (cols) {
    CONV_TILE_CASE2(1)
    CONV_TILE_CASE2(2)
    CONV_TILE_CASE2(3)
    CONV_TILE_CASE2(4)
    CONV_TILE_CASE2(5)
    CONV_TILE_CASE2(6)
    CONV_TILE_CASE2(7)
    CONV_TILE_CASE1(8)
    CONV_TILE_CASE1(9)
    CONV_TILE_CASE1(10)
    CONV_TILE_CASE1(11)
    CONV_TILE_CASE1(12)
    CONV_TILE_CASE1(13)
    CONV_TILE_CASE1(14)
  default: break;
  }
}

static const oq_simd k_avx512 = {OQ_CPU_AVX512,
                                 "avx512",
                                 MR,
                                 NR,
                                 micro_avx512,
                                 exp1_row_avx512,
                                 sigmoid_row_avx512,
                                 tanh_row_avx512,
                                 erf_row_avx512,
                                 vrelu_avx512,
                                 silu_row_avx512,
                                 vclamp_avx512,
                                 axpy_strided_avx512,
                                 dw_row_zmm,
                                 gemv_v_avx512,
                                 silu_2d_avx512,
                                 max3_row_zmm,
                                 max_rows_zmm,
                                 ln_row_avx512,
                                 bin_row_v_avx512,
                                 sum_d_avx512,
                                 copy_strided_zmm,
                                 dot_rows_v_avx512,
                                 1,
                                 im2col_panel_zmm,
                                 dw_plane_zmm,
                                 conv_tile_zmm};

const oq_simd *oq_simd_avx512_table(void) { return &k_avx512; }
#else
const oq_simd *oq_simd_avx512_table(void) { return NULL; }
#endif
