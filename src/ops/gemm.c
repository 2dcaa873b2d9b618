/* Gemm and MatMul (float32), and the sgemm they share with Conv.
 *
 * sgemm: operands are packed into small contiguous panels (MR rows of A, NR columns of B, KC deep) so that the
 * micro-kernel streams both from L1 and keeps an MR x NR tile of C in registers; the fixed-size loops are written
 * so that the compiler vectorizes them without intrinsics. Transposed operands cost nothing extra: packing reads
 * them in whatever order they are stored. Small products skip packing. */
#include "ops/kernels.h"
#include "ops/nn.h"
#include "core/pool.h"

#include <stdlib.h>
#include <string.h>

/* The register tile is MR x NR: with GCC/Clang vector extensions, NR is two SIMD vectors (8 floats with SSE, 16
 * with AVX) and the 12 accumulators are named vector variables, which keeps them in registers at -O2; otherwise a
 * plain-C tile that the auto-vectorizer may or may not map to registers. */
#if defined(__GNUC__)
#define OQ_GEMM_VEC 1
#if defined(__AVX__)
#define VL 8
#else
#define VL 4
#endif
typedef float vfloat __attribute__((vector_size(VL * sizeof(float))));
#define NR (2 * VL)
#else
#define NR 8
#endif
#define MR 6    /* rows of the register tile */
#define KC 256  /* depth of a packed block */
#define MC 72   /* rows of A packed at once (multiple of MR) */
#define NC 1024 /* columns of B packed at once (multiple of NR) */

static inline float at(const float *m, size_t ld, int trans, size_t r, size_t c) {
  return trans ? m[c * ld + r] : m[r * ld + c];
}

static void scale_c(size_t m, size_t n, float beta, float *c, size_t ldc) {
  if (beta == 1.0f) return;
  for (size_t i = 0; i < m; i++) {
    float *ci = c + i * ldc;
    if (beta == 0.0f)
      memset(ci, 0, n * sizeof *ci);
    else
      for (size_t j = 0; j < n; j++) ci[j] *= beta;
  }
}

/* Unpacked loops for products too small to amortize packing (e.g. depthwise convolution, m == 1). */
/* Dot product with 8 independent partial sums so the compiler can vectorize it without reassociating. */
static float dot(const float *x, const float *y, size_t k) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  size_t p = 0;
  for (; p + 8 <= k; p += 8)
    for (int l = 0; l < 8; l++) acc[l] += x[p + l] * y[p + l];
  float s = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
  for (; p < k; p++) s += x[p] * y[p];
  return s;
}

static void gemm_small(int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                       const float *b, size_t ldb, float *c, size_t ldc) {
  if (tb && !ta) { /* rows of A against rows of B (fully connected layers, batch 1): contiguous dot products */
    for (size_t i = 0; i < m; i++)
      for (size_t j = 0; j < n; j++) c[i * ldc + j] += alpha * dot(a + i * lda, b + j * ldb, k);
    return;
  }
  for (size_t i = 0; i < m; i++) {
    float *ci = c + i * ldc;
    for (size_t p = 0; p < k; p++) {
      float av = alpha * at(a, lda, ta, i, p);
      if (!tb) {
        const float *bp = b + p * ldb;
        for (size_t j = 0; j < n; j++) ci[j] += av * bp[j];
      } else {
        for (size_t j = 0; j < n; j++) ci[j] += av * b[j * ldb + p];
      }
    }
  }
}

/* Packs op(A)[i0..i0+mc, p0..p0+kc) * alpha as panels of MR rows: panel[p][r], zero rows past mc. */
static void pack_a(int ta, const float *a, size_t lda, size_t i0, size_t p0, size_t mc, size_t kc, float alpha,
                   float *dst) {
  for (size_t ir = 0; ir < mc; ir += MR) {
    size_t mr = mc - ir < MR ? mc - ir : MR;
    for (size_t p = 0; p < kc; p++) {
      for (size_t r = 0; r < mr; r++) dst[r] = alpha * at(a, lda, ta, i0 + ir + r, p0 + p);
      for (size_t r = mr; r < MR; r++) dst[r] = 0.0f;
      dst += MR;
    }
  }
}

/* Packs op(B)[p0..p0+kc, j0..j0+nc) as panels of NR columns: panel[p][j], zero columns past nc. */
static void pack_b(int tb, const float *b, size_t ldb, size_t p0, size_t j0, size_t kc, size_t nc, float *dst) {
  for (size_t jr = 0; jr < nc; jr += NR) {
    size_t nr = nc - jr < NR ? nc - jr : NR;
    for (size_t p = 0; p < kc; p++) {
      if (!tb && nr == NR) {
        memcpy(dst, b + (p0 + p) * ldb + j0 + jr, NR * sizeof *dst);
      } else {
        for (size_t j = 0; j < nr; j++) dst[j] = at(b, ldb, tb, p0 + p, j0 + jr + j);
        for (size_t j = nr; j < NR; j++) dst[j] = 0.0f;
      }
      dst += NR;
    }
  }
}

/* Adds an MR x NR tile to C, clipped to mr x nr. */
static void add_tile(const float *tile, float *c, size_t ldc, size_t mr, size_t nr) {
  for (size_t r = 0; r < mr; r++)
    for (size_t j = 0; j < nr; j++) c[r * ldc + j] += tile[r * NR + j];
}

#ifdef OQ_GEMM_VEC
static inline vfloat vload(const float *p) {
  vfloat v;
  memcpy(&v, p, sizeof v);
  return v;
}

/* C[0..mr, 0..nr) += A panel x B panel over kc. */
static void micro_kernel(size_t kc, const float *ap, const float *bp, float *c, size_t ldc, size_t mr, size_t nr) {
  vfloat z = {0}, c0l = z, c0h = z, c1l = z, c1h = z, c2l = z, c2h = z, c3l = z, c3h = z, c4l = z, c4h = z, c5l = z,
         c5h = z;
  for (size_t p = 0; p < kc; p++) {
    vfloat bl = vload(bp), bh = vload(bp + VL);
    c0l += bl * ap[0];
    c0h += bh * ap[0];
    c1l += bl * ap[1];
    c1h += bh * ap[1];
    c2l += bl * ap[2];
    c2h += bh * ap[2];
    c3l += bl * ap[3];
    c3h += bh * ap[3];
    c4l += bl * ap[4];
    c4h += bh * ap[4];
    c5l += bl * ap[5];
    c5h += bh * ap[5];
    ap += MR;
    bp += NR;
  }
  vfloat acc[MR][2] = {{c0l, c0h}, {c1l, c1h}, {c2l, c2h}, {c3l, c3h}, {c4l, c4h}, {c5l, c5h}};
  if (mr == MR && nr == NR) {
    for (int r = 0; r < MR; r++) {
      float *cr = c + (size_t)r * ldc;
      vfloat lo = vload(cr) + acc[r][0], hi = vload(cr + VL) + acc[r][1];
      memcpy(cr, &lo, sizeof lo);
      memcpy(cr + VL, &hi, sizeof hi);
    }
  } else {
    float tile[MR * NR];
    memcpy(tile, acc, sizeof tile);
    add_tile(tile, c, ldc, mr, nr);
  }
}
#else
static void micro_kernel(size_t kc, const float *ap, const float *bp, float *c, size_t ldc, size_t mr, size_t nr) {
  float acc[MR * NR];
  for (int i = 0; i < MR * NR; i++) acc[i] = 0.0f;
  for (size_t p = 0; p < kc; p++) {
    for (int r = 0; r < MR; r++)
      for (int j = 0; j < NR; j++) acc[r * NR + j] += ap[r] * bp[j];
    ap += MR;
    bp += NR;
  }
  add_tile(acc, c, ldc, mr, nr);
}
#endif

static size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

/* The packed product over all of C (C already scaled by beta). Each element of C receives, per KC-deep block of k
 * in order, one micro-kernel sum over that block: its arithmetic does not depend on which rows or columns of C are
 * computed together, so C may be split into row or column blocks freely. */
static oq_status gemm_packed(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha, const float *a,
                             size_t lda, const float *b, size_t ldb, float *c, size_t ldc) {
  size_t kcap = k < KC ? k : KC;
  size_t ncap = round_up(n < NC ? n : NC, NR);
  size_t mcap = round_up(m < MC ? m : MC, MR);
  /* Sizes are bounded by the block constants, so these products cannot overflow. */
  float *bpack = malloc(kcap * ncap * sizeof(float));
  float *apack = malloc(kcap * mcap * sizeof(float));
  if (!bpack || !apack) {
    free(bpack);
    free(apack);
    return OQ_ERR_NOMEM;
  }
  for (size_t jc = 0; jc < n; jc += NC) {
    size_t nc = n - jc < NC ? n - jc : NC;
    for (size_t pc = 0; pc < k; pc += KC) {
      size_t kc = k - pc < KC ? k - pc : KC;
      pack_b(trans_b, b, ldb, pc, jc, kc, nc, bpack);
      for (size_t ic = 0; ic < m; ic += MC) {
        size_t mc = m - ic < MC ? m - ic : MC;
        pack_a(trans_a, a, lda, ic, pc, mc, kc, alpha, apack);
        for (size_t jr = 0; jr < nc; jr += NR) {
          size_t nr = nc - jr < NR ? nc - jr : NR;
          for (size_t ir = 0; ir < mc; ir += MR) {
            size_t mr = mc - ir < MR ? mc - ir : MR;
            micro_kernel(kc, apack + ir * kc, bpack + jr * kc, c + (ic + ir) * ldc + jc + jr, ldc, mr, nr);
          }
        }
      }
    }
  }
  free(bpack);
  free(apack);
  return OQ_OK;
}

/* One sgemm split over blocks of rows or columns of C for oq_parallel_for. The path (small or packed) is chosen
 * once for the whole product, so every element is computed the same way whatever the split. */
typedef struct gemm_job {
  int ta, tb;     /* operand transposition */
  size_t m, n, k; /* whole product */
  float alpha, beta;
  const float *a, *b;
  size_t lda, ldb, ldc;
  float *c;
  int small;             /* 1: gemm_small, 0: gemm_packed */
  int by_rows;           /* 1: items are row blocks of C, 0: column blocks */
  size_t unit;           /* rows or columns per item */
  oq_sgemm_fill_fn fill; /* NULL, or produces B's columns of a block first (column split only) */
  void *fill_ctx;
} gemm_job;

static oq_status gemm_items(void *ctx, int64_t begin, int64_t end) {
  const gemm_job *j = ctx;
  size_t extent = j->by_rows ? j->m : j->n;
  size_t lo = (size_t)begin * j->unit, hi = (size_t)end * j->unit;
  if (hi > extent) hi = extent;
  if (lo >= hi) return OQ_OK;
  size_t m = j->m, n = j->n;
  const float *a = j->a, *b = j->b;
  float *c = j->c;
  if (j->by_rows) { /* rows lo..hi of op(A) and C */
    m = hi - lo;
    a += j->ta ? lo : lo * j->lda;
    c += lo * j->ldc;
  } else { /* columns lo..hi of op(B) and C */
    if (j->fill) j->fill(j->fill_ctx, lo, hi);
    n = hi - lo;
    b += j->tb ? lo * j->ldb : lo;
    c += lo;
  }
  scale_c(m, n, j->beta, c, j->ldc);
  if (j->small) {
    gemm_small(j->ta, j->tb, m, n, j->k, j->alpha, a, j->lda, b, j->ldb, c, j->ldc);
    return OQ_OK;
  }
  return gemm_packed(j->ta, j->tb, m, n, j->k, j->alpha, a, j->lda, b, j->ldb, c, j->ldc);
}

/* Multiply-adds below which a product is not worth splitting further (thread wake-up costs microseconds). */
#define GEMM_MIN_WORK ((double)(1 << 18))

static oq_status sgemm_split(struct oq_threadpool *pool, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                             float alpha, const float *a, size_t lda, const float *b, size_t ldb, oq_sgemm_fill_fn fill,
                             void *fill_ctx, float beta, float *c, size_t ldc, oq_error *err) {
  if (m == 0 || n == 0) return OQ_OK;
  gemm_job j = {trans_a, trans_b, m, n, k, alpha, beta, a, b, lda, ldb, ldc, c, 0, 0, 1, fill, fill_ctx};
  double work = (double)m * (double)n * (double)k;
  j.small = k == 0 || m < MR || n < NR || work < 32.0 * 32.0 * 32.0;
  /* Split the larger side of C; for the packed path, in whole register tiles. Columns duplicate the packing of A
   * in every block, rows that of B, so the split along the larger side also duplicates the smaller operand. */
  j.by_rows = !fill && m > n;
  j.unit = j.small ? 1 : (j.by_rows ? MR : NR);
  size_t extent = j.by_rows ? m : n;
  int64_t items = (int64_t)((extent + j.unit - 1) / j.unit);
  double max_chunks = work / GEMM_MIN_WORK;
  int32_t chunks = max_chunks < 1.0 ? 1 : max_chunks > OQ_THREADPOOL_MAX ? OQ_THREADPOOL_MAX : (int32_t)max_chunks;
  oq_status st = oq_parallel_for_max(pool, items, chunks, gemm_items, &j);
  if (st != OQ_OK) return oq_error_set(err, st, __FILE__, __LINE__, "out of memory packing a matrix product");
  return OQ_OK;
}

oq_status oq_sgemm_pool(struct oq_threadpool *pool, int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha,
                        const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc,
                        oq_error *err) {
  return sgemm_split(pool, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, NULL, NULL, beta, c, ldc, err);
}

oq_status oq_sgemm_pool_fill(struct oq_threadpool *pool, int trans_a, size_t m, size_t n, size_t k, float alpha,
                             const float *a, size_t lda, const float *b, size_t ldb, oq_sgemm_fill_fn fill,
                             void *fill_ctx, float beta, float *c, size_t ldc, oq_error *err) {
  return sgemm_split(pool, trans_a, 0, m, n, k, alpha, a, lda, b, ldb, fill, fill_ctx, beta, c, ldc, err);
}

oq_status oq_sgemm(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                   const float *b, size_t ldb, float beta, float *c, size_t ldc, oq_error *err) {
  return oq_sgemm_pool(NULL, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, err);
}

void oq_sgemm_ref(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                  const float *b, size_t ldb, float beta, float *c, size_t ldc) {
  for (size_t i = 0; i < m; i++)
    for (size_t j = 0; j < n; j++) {
      double s = 0.0;
      for (size_t p = 0; p < k; p++) s += (double)at(a, lda, trans_a, i, p) * (double)at(b, ldb, trans_b, p, j);
      double prev = beta == 0.0f ? 0.0 : (double)beta * (double)c[i * ldc + j];
      c[i * ldc + j] = (float)((double)alpha * s + prev);
    }
}

/* ---- Gemm ---------------------------------------------------------------------------------------------------- */

oq_status oq_gemm_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  oq_gemm_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  int64_t ta = 0, tb = 0;
  OQ_CHECK(oq_attr_float(ctx->node->proto, "alpha", 1.0f, &p->alpha, err));
  OQ_CHECK(oq_attr_float(ctx->node->proto, "beta", 1.0f, &p->beta, err));
  OQ_CHECK(oq_attr_int(ctx->node->proto, "transA", 0, &ta, err));
  OQ_CHECK(oq_attr_int(ctx->node->proto, "transB", 0, &tb, err));
  if ((ta != 0 && ta != 1) || (tb != 0 && tb != 1))
    OQ_FAIL(err, OQ_ERR_MODEL, "transA/transB must be 0 or 1 (got %lld, %lld)", (long long)ta, (long long)tb);
  p->trans_a = (int32_t)ta;
  p->trans_b = (int32_t)tb;
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

static oq_status check_float(const oq_tensor *t, const char *what, oq_error *err) {
  if (t->dtype != OQ_DTYPE_FLOAT)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "input %s has type %s, only float32 is supported", what,
                  oq_dtype_name(t->dtype));
  return OQ_OK;
}

oq_status oq_gemm_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_gemm_params *p = call->params;
  const oq_tensor *a = call->inputs[0], *b = call->inputs[1];
  const oq_tensor *c = call->n_inputs > 2 ? call->inputs[2] : NULL;
  oq_tensor *y = &call->outputs[0];
  OQ_CHECK(check_float(a, "A", err));
  OQ_CHECK(check_float(b, "B", err));
  if (c) OQ_CHECK(check_float(c, "C", err));
  OQ_CHECK(oq_nn_check_dims(a, "A", err));
  OQ_CHECK(oq_nn_check_dims(b, "B", err));
  if (c) OQ_CHECK(oq_nn_check_dims(c, "C", err));
  if (a->ndim != 2 || b->ndim != 2)
    OQ_FAIL(err, OQ_ERR_SHAPE, "A and B must be 2-D (got rank %d and %d)", (int)a->ndim, (int)b->ndim);
  int64_t m = p->trans_a ? a->dims[1] : a->dims[0], ka = p->trans_a ? a->dims[0] : a->dims[1];
  int64_t kb = p->trans_b ? b->dims[1] : b->dims[0], n = p->trans_b ? b->dims[0] : b->dims[1];
  if (ka != kb)
    OQ_FAIL(err, OQ_ERR_SHAPE, "inner dimensions differ: A gives K=%lld, B gives K=%lld", (long long)ka, (long long)kb);
  if (c) {
    int ok = c->ndim <= 2;
    int64_t cm = c->ndim == 2 ? c->dims[0] : 1, cn = c->ndim >= 1 ? c->dims[c->ndim - 1] : 1;
    ok = ok && (cm == 1 || cm == m) && (cn == 1 || cn == n);
    if (!ok)
      OQ_FAIL(err, OQ_ERR_SHAPE, "C (rank %d) does not broadcast to [%lld, %lld]", (int)c->ndim, (long long)m,
              (long long)n);
  }
  int64_t ydims[2] = {m, n};
  OQ_CHECK(oq_tensor_alloc(y, OQ_DTYPE_FLOAT, 2, ydims, err));
  float *yd = y->data;
  float beta = 0.0f;
  if (c && p->beta != 0.0f && m > 0 && n > 0) {
    const float *cd = c->data;
    int64_t cm = c->ndim == 2 ? c->dims[0] : 1, cn = c->ndim >= 1 ? c->dims[c->ndim - 1] : 1;
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) yd[i * n + j] = cd[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
    beta = p->beta;
  }
  size_t lda = (size_t)a->dims[1], ldb = (size_t)b->dims[1];
  if (p->reference)
    oq_sgemm_ref(p->trans_a, p->trans_b, (size_t)m, (size_t)n, (size_t)ka, p->alpha, a->data, lda, b->data, ldb, beta,
                 yd, (size_t)n);
  else
    OQ_CHECK(oq_sgemm_pool(call->pool, p->trans_a, p->trans_b, (size_t)m, (size_t)n, (size_t)ka, p->alpha, a->data, lda,
                           b->data, ldb, beta, yd, (size_t)n, err));
  return OQ_OK;
fail:
  oq_tensor_release(y);
  return st;
}

/* ---- MatMul (numpy semantics: 1-D operands promoted and the added axis removed, batch dims broadcast) ------- */

oq_status oq_matmul_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  static const oq_matmul_params k_default = {0};
  const oq_matmul_params *p = call->params ? call->params : &k_default;
  const oq_tensor *a = call->inputs[0], *b = call->inputs[1];
  oq_tensor *y = &call->outputs[0];
  OQ_CHECK(check_float(a, "A", err));
  OQ_CHECK(check_float(b, "B", err));
  OQ_CHECK(oq_nn_check_dims(a, "A", err));
  OQ_CHECK(oq_nn_check_dims(b, "B", err));
  if (a->ndim < 1 || b->ndim < 1) OQ_FAIL(err, OQ_ERR_SHAPE, "MatMul operands must have rank >= 1");
  /* Promote to matrices: A [.., m, k], B [.., k, n]. */
  int64_t m = a->ndim == 1 ? 1 : a->dims[a->ndim - 2], k = a->dims[a->ndim - 1];
  int64_t kb = b->ndim == 1 ? b->dims[0] : b->dims[b->ndim - 2], n = b->ndim == 1 ? 1 : b->dims[b->ndim - 1];
  if (k != kb)
    OQ_FAIL(err, OQ_ERR_SHAPE, "inner dimensions differ: A gives K=%lld, B gives K=%lld", (long long)k, (long long)kb);
  int32_t abat = a->ndim > 2 ? a->ndim - 2 : 0, bbat = b->ndim > 2 ? b->ndim - 2 : 0;
  int32_t nbat = abat > bbat ? abat : bbat;
  int64_t bdims[OQ_MAX_DIMS], astr[OQ_MAX_DIMS], bstr[OQ_MAX_DIMS];
  /* Batch shape and per-batch-dim element strides of each operand (0 where broadcast). */
  int64_t asz = m * k, bsz = k * n;
  for (int32_t i = nbat - 1; i >= 0; i--) {
    int32_t ai = i - (nbat - abat), bi = i - (nbat - bbat);
    int64_t ad = ai >= 0 ? a->dims[ai] : 1, bd = bi >= 0 ? b->dims[bi] : 1;
    if (ad != bd && ad != 1 && bd != 1)
      OQ_FAIL(err, OQ_ERR_SHAPE, "batch dimensions do not broadcast (%lld vs %lld)", (long long)ad, (long long)bd);
    bdims[i] = ad == 1 ? bd : ad;
    astr[i] = ad == 1 ? 0 : asz;
    bstr[i] = bd == 1 ? 0 : bsz;
    asz *= ad;
    bsz *= bd;
  }
  int64_t ydims[OQ_MAX_DIMS];
  int32_t yn = 0;
  for (int32_t i = 0; i < nbat; i++) ydims[yn++] = bdims[i];
  if (a->ndim > 1) ydims[yn++] = m;
  if (b->ndim > 1) ydims[yn++] = n;
  OQ_CHECK(oq_tensor_alloc(y, OQ_DTYPE_FLOAT, yn, ydims, err));
  if (y->nbytes == 0) return OQ_OK;
  int64_t nbatch = 1; /* Y is non-empty, so its extents multiply without overflow */
  for (int32_t i = 0; i < nbat; i++) nbatch *= bdims[i];
  const float *ad = a->data, *bd = b->data;
  float *yd = y->data;
  /* B shared by every batch and A contiguous: one product with the batches stacked as rows. */
  int b_shared = 1, a_full = 1;
  for (int32_t i = 0; i < nbat; i++) {
    b_shared = b_shared && bstr[i] == 0;
    a_full = a_full && (astr[i] != 0 || bdims[i] == 1);
  }
  if (b_shared && a_full) {
    size_t rows = (size_t)(nbatch * m);
    if (p->reference)
      oq_sgemm_ref(0, 0, rows, (size_t)n, (size_t)k, 1.0f, ad, (size_t)k, bd, (size_t)n, 0.0f, yd, (size_t)n);
    else
      OQ_CHECK(oq_sgemm_pool(call->pool, 0, 0, rows, (size_t)n, (size_t)k, 1.0f, ad, (size_t)k, bd, (size_t)n, 0.0f, yd,
                             (size_t)n, err));
    return OQ_OK;
  }
  int64_t idx[OQ_MAX_DIMS] = {0};
  for (int64_t t = 0; t < nbatch; t++) {
    int64_t ao = 0, bo = 0;
    for (int32_t i = 0; i < nbat; i++) {
      ao += idx[i] * astr[i];
      bo += idx[i] * bstr[i];
    }
    float *yt = yd + t * m * n;
    if (p->reference)
      oq_sgemm_ref(0, 0, (size_t)m, (size_t)n, (size_t)k, 1.0f, ad + ao, (size_t)k, bd + bo, (size_t)n, 0.0f, yt,
                   (size_t)n);
    else
      OQ_CHECK(oq_sgemm_pool(call->pool, 0, 0, (size_t)m, (size_t)n, (size_t)k, 1.0f, ad + ao, (size_t)k, bd + bo,
                             (size_t)n, 0.0f, yt, (size_t)n, err));
    for (int32_t i = nbat - 1; i >= 0; i--) {
      if (++idx[i] < bdims[i]) break;
      idx[i] = 0;
    }
  }
  return OQ_OK;
fail:
  oq_tensor_release(y);
  return st;
}
