/* sgemm: operands are packed into small contiguous panels (MR rows of A, NR columns of B, KC deep) so that the
 * micro-kernel streams both from L1 and keeps an MR x NR tile of C in registers; the micro-kernel is the SIMD
 * level's (kern/cpu.h: portable, AVX2+FMA or AVX-512, chosen at run time). Transposed operands cost nothing extra:
 * packing reads them in whatever order they are stored. Small products skip packing. The packing buffers are the
 * caller's (oq_sgemm_pack): each chunk that runs claims one slot. oq_sgemm_ref is the plain twin the tests compare
 * with. */
#include "kern/sgemm.h"
#include "core/pool.h"
#include "kern/cpu.h"

#include <stdint.h>
#include <string.h>

/* The register tile (mr x nr) and its micro-kernel come from the SIMD level in use (kern/cpu.h): 6 x 8 portable,
 * 6 x 16 AVX2+FMA, 8 x 32 AVX-512. The block sizes are the same for every level, multiples of every tile; they can
 * be set at compile time to measure others (-DKC=128, -DNC=512: within the noise on resnet18 in session 8). */
#ifndef KC
#define KC 256 /* depth of a packed block: a B micro-panel (KC x nr) stays in L1 */
#endif
#ifndef MC
#define MC 96 /* rows of A packed at once (a multiple of 6 and 8): the A block stays in L2 */
#endif
#ifndef NC
#define NC 1024 /* columns of B packed at once (a multiple of 32) */
#endif
#define MR_LCM 24
#ifndef B_IN_PLACE_ROWS
#define B_IN_PLACE_ROWS 128 /* products with at most this many rows read a row-major B in place */
#endif
#define NR_MAX 32
#ifndef PANEL_FILL
#define PANEL_FILL 1 /* 0: a callback's panels made a block at a time (for measuring) */
#endif
#define PANEL_FILL_ROWS 512
#ifndef CLAIMS_PER_CHUNK
#define CLAIMS_PER_CHUNK 8 /* dynamic claims per thread's share of a product */
#endif
#ifndef SHALLOW_KC
#define SHALLOW_KC 64 /* blocks at most this deep compute their tiles row panel by row panel */
#endif

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
#define DOT_BLOCK 64 /* dot products per dot_rows call */

static void gemm_small(const oq_simd *simd, int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a,
                       size_t lda, const float *b, size_t ldb, float *c, size_t ldc) {
  if (k == 0) return;
  /* the dot products go through the level's dot_rows (the bits of dot on every level), DOT_BLOCK at a time */
  float d[DOT_BLOCK];
  if (n == 1 && !ta && (tb || ldb == 1)) { /* matrix times a contiguous vector (a 1x1 conv on a 1x1 map) */
    for (size_t i0 = 0; i0 < m; i0 += DOT_BLOCK) {
      size_t w = m - i0 < DOT_BLOCK ? m - i0 : DOT_BLOCK;
      simd->dot_rows(b, a + i0 * lda, lda, k, w, d);
      for (size_t i = 0; i < w; i++) c[(i0 + i) * ldc] += alpha * d[i];
    }
    return;
  }
  if (tb && !ta) { /* rows of A against rows of B (fully connected layers, batch 1): contiguous dot products */
    for (size_t i = 0; i < m; i++)
      for (size_t j0 = 0; j0 < n; j0 += DOT_BLOCK) {
        size_t w = n - j0 < DOT_BLOCK ? n - j0 : DOT_BLOCK;
        simd->dot_rows(a + i * lda, b + j0 * ldb, ldb, k, w, d);
        for (size_t j = 0; j < w; j++) c[i * ldc + j0 + j] += alpha * d[j];
      }
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
                   float *dst, size_t MR) {
  for (size_t ir = 0; ir < mc; ir += MR) {
    size_t mr = mc - ir < MR ? mc - ir : MR;
    if (!ta) { /* rows of A are contiguous: read each row once, scatter into the panel */
      for (size_t r = 0; r < mr; r++) {
        const float *ar = a + (i0 + ir + r) * lda + p0;
        for (size_t p = 0; p < kc; p++) dst[p * MR + r] = alpha * ar[p];
      }
      for (size_t r = mr; r < MR; r++)
        for (size_t p = 0; p < kc; p++) dst[p * MR + r] = 0.0f;
      dst += kc * MR;
      continue;
    }
    for (size_t p = 0; p < kc; p++) {
      for (size_t r = 0; r < mr; r++) dst[r] = alpha * at(a, lda, ta, i0 + ir + r, p0 + p);
      for (size_t r = mr; r < MR; r++) dst[r] = 0.0f;
      dst += MR;
    }
  }
}

/* Packs op(B)[p0..p0+kc, j0..j0+nc) as panels of NR columns: panel[p][j], zero columns past nc. */
static void pack_b(int tb, const float *b, size_t ldb, size_t p0, size_t j0, size_t kc, size_t nc, float *dst,
                   size_t NR) {
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

static size_t round_up(size_t v, size_t to) { return (v + to - 1) / to * to; }

/* Where B comes from: the matrix b (ldb, transposed or not), or a pack callback that writes the panels itself. */
typedef struct b_source {
  int tb;
  const float *b;
  size_t ldb;
  oq_sgemm_pack_fn fill; /* NULL: pack from b */
  void *fill_ctx;
  size_t j_off;      /* column of this chunk's first column in the whole product (callback columns are absolute) */
  const float *pre;  /* NULL, or all of op(B) already packed (pre_offset's layout; the chunk has all columns) */
  const float *bpre; /* NULL, or op(B) packed once (oq_sgemm_bpack): KC block pc, column j at pc * npad + j * kc */
  size_t npad;
} b_source;

/* Where the panels of the KC block at row pc and the NR-aligned column j0 start in a whole packed op(B) (k x n): NC
 * column blocks one after the other, each its KC blocks in order, each block its panels (kc x nr floats) in order,
 * exactly what gemm_packed would pack for that block. */
static size_t pre_offset(size_t n, size_t k, size_t pc, size_t kc, size_t j0, size_t NR) {
  size_t jc = j0 / NC * NC, nc = n - jc < NC ? n - jc : NC;
  return jc * k + pc * ((nc + NR - 1) / NR * NR) + (j0 - jc) * kc;
}

/* The epilogue of a chunk: whether C is read on the first block of k, and the row bias (at the chunk's row 0) and
 * activation applied by the micro-kernel's store on the last block. */
typedef struct epilogue {
  int load;
  const float *bias;
  oq_gemm_act act;
  float lo, hi;
} epilogue;

/* x * sigmoid(x) over an m x n block of C, as the Sigmoid and Mul nodes compute it (the level's silu: its sigmoid,
 * then one product). */
static void silu_rows(const oq_simd *simd, size_t m, size_t n, float *c, size_t ldc) { simd->silu_2d(c, ldc, m, n); }

/* The packed product over a chunk of C. Each element of C receives, per KC-deep block of k in order, one
 * micro-kernel sum over that block (stored on the first block, added after), then on the last block the bias and the
 * activation: its arithmetic does not depend on which rows or columns of C are computed together, so C may be split
 * into row or column blocks freely. */
/* A packed once (oq_sgemm_apack) as seen from a chunk: the panels and the chunk's first row (a multiple of mr). */
typedef struct a_pre {
  const float *data; /* NULL: none */
  size_t mpad;       /* rows of every KC block, padded to mr */
  size_t row0;
} a_pre;

static void gemm_packed(const oq_simd *simd, int trans_a, size_t m, size_t n, size_t k, float alpha, const float *a,
                        size_t lda, const a_pre *ap, const b_source *bs, float *c, size_t ldc, const epilogue *ep,
                        float *scratch) {
  size_t MR = (size_t)simd->gemm_mr, NR = (size_t)simd->gemm_nr;
  oq_gemm_micro_fn micro_kernel = simd->gemm_micro;
  size_t kcap = k < KC ? k : KC;
  size_t ncap = round_up(n < NC ? n : NC, NR_MAX);
  float *bpack = scratch, *apack = scratch + kcap * ncap;
  int direct = !trans_a && alpha == 1.0f;
  int bdirect = !bs->pre && !bs->bpre && !bs->fill && !bs->tb && m <= B_IN_PLACE_ROWS;
  /* rows per block: with A packed once nothing is packed per block of rows, so up to 512 rows (512 KiB of A per KC
   * block, in L2) go in one, which lets a callback's panels be made once for all of them (panel_fill) */
  size_t mcb = ap->data && bs->fill && m <= PANEL_FILL_ROWS ? m : MC;
  for (size_t jc = 0; jc < n; jc += NC) {
    size_t nc = n - jc < NC ? n - jc : NC;
    for (size_t pc = 0; pc < k; pc += KC) {
      size_t kc = k - pc < KC ? k - pc : KC;
      int last = pc + kc >= k;
      int silu = last && ep->act == OQ_GEMM_ACT_SILU && !simd->gemm_silu; /* a pass over each stored tile */
      oq_gemm_store st = {pc > 0 || ep->load, NULL, last && !silu ? ep->act : OQ_GEMM_ACT_NONE, ep->lo, ep->hi};
      /* B row-major under few rows of A is read in place (row stride ldb): each B value is used only m times, so
       * packing it cost as much as the product (a [32, 256] x [256, 1024] MatMul). Only a partial last panel is
       * packed. The values, and so every element's arithmetic, are the same either way. */
      size_t bfull = bdirect ? nc / NR * NR : 0;
      const float *bpanels = bs->pre    ? bs->pre + pre_offset(n, k, pc, kc, jc, NR)
                             : bs->bpre ? bs->bpre + pc * bs->npad + (bs->j_off + jc) * kc
                                        : bpack;
      /* A callback's panels (im2col) under one block of rows are made one at a time, right before their tiles, and
       * used while in L1: made as a block (a KiB per column) they went to L2 and came back, per FMA the most traffic
       * when C has few rows (resnet18's 64-channel layers). Deep blocks only: shallow ones run rows first. */
      int panel_fill = PANEL_FILL && bs->fill && !bs->pre && m <= mcb && kc > SHALLOW_KC;
      if (bs->pre || bs->bpre || panel_fill)
        ;
      else if (bs->fill)
        bs->fill(bs->fill_ctx, pc, kc, bs->j_off + jc, nc, bpack, NR);
      else if (!bdirect)
        pack_b(bs->tb, bs->b, bs->ldb, pc, jc, kc, nc, bpack, NR);
      else if (bfull < nc)
        pack_b(bs->tb, bs->b, bs->ldb, pc, jc + bfull, kc, nc - bfull, bpack + bfull * kc, NR);
      for (size_t ic = 0; ic < m; ic += mcb) {
        size_t mc = m - ic < mcb ? m - ic : mcb;
        /* A row-major with alpha 1 is read in place (row stride lda, column stride 1): packing it cost as much as
         * the product itself when C is thin (a 3x3 conv on a 7x7 map). Only a partial last panel is packed (zero
         * rows). The values, and so every element's arithmetic, are the same either way. */
        size_t full = direct ? mc / MR * MR : 0;
        const float *apanels = apack;
        if (ap->data) {
          apanels = ap->data + pc * ap->mpad + (ap->row0 + ic) * kc;
          full = 0;
        } else if (!direct)
          pack_a(trans_a, a, lda, ic, pc, mc, kc, alpha, apack, MR);
        else if (full < mc)
          pack_a(trans_a, a, lda, ic + full, pc, mc - full, kc, alpha, apack + full * kc, MR);
        /* Tiles in column order within a row panel when the block is shallow (a pointwise convolution of few input
         * channels: 16 -> 96 at 112x112): each tile is then mostly its stores, and sweeping the columns of 8 rows
         * writes C as 8 sequential streams the prefetcher follows, where a column of tiles wrote 96 rows at once
         * (in mobilenet_v2 1.05 -> 0.68 ms). Deep blocks keep the B panel in L1 across the row panels (rows first for
         * every depth measured 2% slower on resnet18). Either way every tile is the same micro-kernel call. */
        int rows_outer = kc <= SHALLOW_KC;
        size_t n_outer = rows_outer ? mc : nc, n_inner = rows_outer ? nc : mc;
        size_t s_outer = rows_outer ? MR : NR, s_inner = rows_outer ? NR : MR;
        for (size_t o = 0; o < n_outer; o += s_outer)
          for (size_t q = 0; q < n_inner; q += s_inner) {
            size_t ir = rows_outer ? o : q, jr = rows_outer ? q : o;
            size_t nr = nc - jr < NR ? nc - jr : NR;
            size_t mr = mc - ir < MR ? mc - ir : MR;
            float *ct = c + (ic + ir) * ldc + jc + jr;
            const float *bp = jr < bfull ? bs->b + pc * bs->ldb + jc + jr : bpanels + jr * kc;
            if (panel_fill) { /* jr is the outer loop here: the panel for this column block, before its first tile */
              if (ir == 0) bs->fill(bs->fill_ctx, pc, kc, bs->j_off + jc + jr, nr, bpack, NR);
              bp = bpack;
            }
            size_t bstride = jr < bfull ? bs->ldb : NR;
            st.bias = last && ep->bias ? ep->bias + ic + ir : NULL;
            if (ir < full)
              micro_kernel(kc, a + (ic + ir) * lda + pc, lda, 1, bp, bstride, ct, ldc, mr, nr, &st);
            else
              micro_kernel(kc, apanels + ir * kc, 1, MR, bp, bstride, ct, ldc, mr, nr, &st);
            if (silu) silu_rows(simd, mr, nr, ct, ldc);
          }
      }
    }
  }
}

/* The bias and activation of the small path, as a pass over the chunk (the same operations as the stores). */
static void apply_epilogue(size_t m, size_t n, float *c, size_t ldc, const epilogue *ep) {
  if (!ep->bias && ep->act == OQ_GEMM_ACT_NONE) return;
  for (size_t i = 0; i < m; i++) {
    float *ci = c + i * ldc;
    float b = ep->bias ? ep->bias[i] : 0.0f;
    for (size_t j = 0; j < n; j++) {
      float v = ci[j];
      if (ep->bias) v = v + b;
      if (ep->act == OQ_GEMM_ACT_RELU) v = v > 0.0f ? v : 0.0f;
      if (ep->act == OQ_GEMM_ACT_CLAMP) {
        v = v < ep->lo ? ep->lo : v;
        v = v > ep->hi ? ep->hi : v;
      }
      ci[j] = v;
    }
  }
}

/* Packing floats of one chunk: B panel block then A panel block. Bounded by the block constants, so these products
 * cannot overflow. */
static size_t pack_floats(size_t m, size_t n, size_t k) {
  size_t kcap = k < KC ? k : KC;
  size_t ncap = round_up(n < NC ? n : NC, NR_MAX);
  size_t mcap = round_up(m < MC ? m : MC, MR_LCM);
  return kcap * ncap + kcap * mcap;
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
  oq_sgemm_pack_fn fill; /* NULL, or packs B's panels itself */
  void *fill_ctx;
  oq_sgemm_epi epi;
  const float *pre;  /* NULL, or op(B) packed once for every chunk (pack->shared) */
  const float *apre; /* NULL, or op(A) packed once (oq_sgemm_apack) */
  size_t apre_mpad;
  const float *bpre; /* NULL, or op(B) packed once (oq_sgemm_bpack) */
  size_t bpre_npad;
  const oq_sgemm_pack *pack; /* packing slots (packed path) */
  const oq_simd *simd;       /* the level every chunk uses */
} gemm_job;

static oq_status gemm_items(void *ctx, int64_t begin, int64_t end) {
  gemm_job *j = ctx;
  size_t extent = j->by_rows ? j->m : j->n;
  size_t lo = (size_t)begin * j->unit, hi = (size_t)end * j->unit;
  if (hi > extent) hi = extent;
  if (lo >= hi) return OQ_OK;
  size_t m = j->m, n = j->n, j_off = 0;
  const float *a = j->a, *b = j->b, *bias = j->epi.bias;
  float *c = j->c;
  if (j->by_rows) { /* rows lo..hi of op(A) and C */
    m = hi - lo;
    a += j->ta ? lo : lo * j->lda;
    c += lo * j->ldc;
    if (bias) bias += lo;
  } else { /* columns lo..hi of op(B) and C */
    n = hi - lo;
    j_off = lo;
    if (b) b += j->tb ? lo * j->ldb : lo;
    c += lo;
  }
  epilogue ep = {j->beta != 0.0f, bias, j->epi.act, j->epi.lo, j->epi.hi};
  int slot = j->small && !j->fill ? 0 : oq_parallel_chunk(); /* the same thread's slot every call */
  float *scratch = j->small && !j->fill ? NULL : j->pack->buf + (size_t)slot * j->pack->slot_floats;
  if (j->small) {
    size_t ldb = j->ldb;
    if (j->fill) { /* the whole k x n block as one panel of n columns: row-major B */
      j->fill(j->fill_ctx, 0, j->k, j_off, n, scratch, n);
      b = scratch;
      ldb = n;
    }
    if (m == 1 && !j->ta && (j->fill || !j->tb) && j->alpha == 1.0f && j->beta == 0.0f && j->k > 0 &&
        !(n == 1 && ldb == 1)) {
      /* a row vector times a row-major matrix (a batch-1 MatMul): the level's gemv, 8 vectors of columns per pass
       * over B, where gemm_small made a pass over this row of C per row of B (a 1 x 1000 x 1280 MatMul model:
       * 0.74 -> 0.23 ms at 1 thread, 0.48 -> 0.13 at 2). The same sums as gemm_small's: from 0, in order of k, each
       * product and sum rounded (a single column of B contiguous keeps gemm_small's dot product). */
      j->simd->gemv(a, j->k, b, ldb, c, n);
    } else {
      scale_c(m, n, j->beta, c, j->ldc);
      gemm_small(j->simd, j->ta, j->fill ? 0 : j->tb, m, n, j->k, j->alpha, a, j->lda, b, ldb, c, j->ldc);
    }
    apply_epilogue(m, n, c, j->ldc, &ep);
    if (ep.act == OQ_GEMM_ACT_SILU) silu_rows(j->simd, m, n, c, j->ldc);
    return OQ_OK;
  }
  if (j->beta != 0.0f) scale_c(m, n, j->beta, c, j->ldc);
  b_source bs = {j->tb, b, j->ldb, j->fill, j->fill_ctx, j_off, j->pre, j->bpre, j->bpre_npad};
  a_pre ap = {j->apre, j->apre_mpad, j->by_rows ? lo : 0};
  gemm_packed(j->simd, j->ta, m, n, j->k, j->alpha, a, j->lda, &ap, &bs, c, j->ldc, &ep, scratch);
  return OQ_OK;
}

/* Multiply-adds below which a product is not worth splitting further: waking a thread and the duplicated packing
 * cost tens of microseconds, so tiny products stay on one thread. */
#define GEMM_MIN_WORK       ((double)(1 << 20))
#define GEMM_MIN_WORK_SMALL ((double)(1 << 17))

/* A pack callback has no matrix to read in place, so with one only tiny products take the small path (B is then
 * made as one dense block). */
static int is_small(size_t m, size_t n, size_t k, int with_fill) {
  double work = (double)m * (double)n * (double)k;
  if (with_fill) return k == 0 || work < 32.0 * 32.0 * 32.0;
  /* a thin C (a few rows or columns) still takes the packed path when the product is large: the padded tile wastes
   * lanes, but the scalar loops waste far more (512 x 4 x 4608 from a 3x3 conv on a 2x2 map) */
  return k == 0 || m == 1 || n == 1 || work < 32.0 * 32.0 * 32.0;
}

/* How a product is split: rows or columns, the unit, the item count and the most chunks worth running. */
static void split_plan(size_t m, size_t n, size_t k, int small, int *by_rows, size_t *unit, int64_t *items,
                       int32_t *chunks) {
  double work = (double)m * (double)n * (double)k;
  /* Split the larger side of C, or the rows when there are too few columns to share out in whole tiles (a 7x7 map
   * has 2 column tiles); for the packed path, in whole register tiles. Columns duplicate the packing of A in every
   * block, rows that of B. */
  *by_rows = m > n || (n < 8 * NR_MAX && m >= 4 * MR_LCM);
  *unit = small ? 1 : (*by_rows ? (size_t)oq_simd_get()->gemm_mr : NR_MAX);
  size_t extent = *by_rows ? m : n;
  *items = (int64_t)((extent + *unit - 1) / *unit);
  /* the small path packs nothing, so only the wake-up is paid: a 1 x 1000 x 1280 classifier (streaming 5 MiB of
   * weights, 0.5 ms) ran on one thread */
  double max_chunks = work / (small ? GEMM_MIN_WORK_SMALL : GEMM_MIN_WORK);
  *chunks = max_chunks < 1.0 ? 1 : max_chunks > OQ_THREADPOOL_MAX ? OQ_THREADPOOL_MAX : (int32_t)max_chunks;
}

/* The most floats of a shared packed op(B): larger ones keep the per-chunk packing (8 MiB). */
#ifndef SHARED_MAX
#define SHARED_MAX ((size_t)1 << 21)
#endif
/* Panels per prepacking item: 4 panels of every column block, each one KC block deep. */
#define PRE_PANELS 4

/* Floats of a whole packed op(B) when a split by rows over up to threads threads would have every chunk pack all of
 * it, else 0. */
static size_t shared_need(int32_t threads, size_t m, size_t n, size_t k, int with_fill, int tb) {
  if (threads < 2 || m == 0 || n == 0 || is_small(m, n, k, with_fill)) return 0;
  if (!with_fill && !tb && m <= B_IN_PLACE_ROWS) return 0; /* B is read in place */
  int by_rows;
  size_t unit;
  int64_t items;
  int32_t chunks;
  split_plan(m, n, k, 0, &by_rows, &unit, &items, &chunks);
  if (chunks > threads) chunks = threads;
  if ((int64_t)chunks > items) chunks = (int32_t)items;
  if (!by_rows || chunks < 2) return 0;
  size_t floats;
  if (!oq_size_mul(k, round_up(n, NR_MAX), &floats) || floats > SHARED_MAX) return 0;
  return floats;
}

size_t oq_sgemm_shared_floats(int32_t threads, size_t m, size_t n, size_t k, int with_fill) {
  return shared_need(threads, m, n, k, with_fill, 0);
}

/* Packing all of op(B) into the shared block, split over (KC block, group of PRE_PANELS panels) items. */
typedef struct pre_job {
  int tb;
  const float *b;
  size_t ldb, n, k, NR;
  oq_sgemm_pack_fn fill;
  void *fill_ctx;
  float *dst;
  int64_t groups; /* panel groups per KC block */
} pre_job;

static oq_status pre_items(void *ctx, int64_t begin, int64_t end) {
  const pre_job *p = ctx;
  for (int64_t it = begin; it < end; it++) {
    size_t pc = (size_t)(it / p->groups) * KC, j0 = (size_t)(it % p->groups) * PRE_PANELS * p->NR;
    size_t kc = p->k - pc < KC ? p->k - pc : KC;
    /* a group never crosses an NC block: NC is a multiple of PRE_PANELS * NR for every NR */
    size_t jend = j0 + PRE_PANELS * p->NR;
    if (jend > p->n) jend = p->n;
    float *d = p->dst + pre_offset(p->n, p->k, pc, kc, j0, p->NR);
    if (p->fill)
      p->fill(p->fill_ctx, pc, kc, j0, jend - j0, d, p->NR);
    else
      pack_b(p->tb, p->b, p->ldb, pc, j0, kc, jend - j0, d, p->NR);
  }
  return OQ_OK;
}

static size_t floats_for(size_t m, size_t n, size_t k, int with_fill) {
  if (!is_small(m, n, k, with_fill)) return pack_floats(m, n, k);
  return with_fill ? k * n : 0; /* small with a callback: k * n < 2^15 */
}

size_t oq_sgemm_pack_floats(size_t m, size_t n, size_t k) { return floats_for(m, n, k, 0); }
size_t oq_sgemm_fill_floats(size_t m, size_t n, size_t k) { return floats_for(m, n, k, 1); }

int32_t oq_sgemm_slots(int32_t threads, size_t m, size_t n, size_t k, int with_fill) {
  if (m == 0 || n == 0) return 1;
  int by_rows;
  size_t unit;
  int64_t items;
  int32_t chunks;
  split_plan(m, n, k, is_small(m, n, k, with_fill), &by_rows, &unit, &items, &chunks);
  if (chunks > threads) chunks = threads;
  if ((int64_t)chunks > items) chunks = (int32_t)items;
  return chunks < 1 ? 1 : chunks;
}

static oq_status sgemm_split(struct oq_threadpool *pool, const oq_sgemm_pack *pack, int trans_a, int trans_b, size_t m,
                             size_t n, size_t k, float alpha, const float *a, size_t lda, const float *b, size_t ldb,
                             oq_sgemm_pack_fn fill, void *fill_ctx, float beta, float *c, size_t ldc,
                             const oq_sgemm_epi *epi, float *shared_buf, size_t shared_floats,
                             const oq_sgemm_apack *apack, const oq_sgemm_bpack *bpack, oq_error *err) {
  if (m == 0 || n == 0) return OQ_OK;
  gemm_job j;
  memset(&j, 0, sizeof j);
  j.ta = trans_a;
  j.tb = trans_b;
  j.m = m;
  j.n = n;
  j.k = k;
  j.alpha = alpha;
  j.beta = beta;
  j.a = a;
  j.b = b;
  j.lda = lda;
  j.ldb = ldb;
  j.ldc = ldc;
  j.c = c;
  j.fill = fill;
  j.fill_ctx = fill_ctx;
  if (epi) j.epi = *epi;
  j.pack = pack;
  j.simd = oq_simd_get();
  j.small = is_small(m, n, k, fill != NULL);
  int64_t items;
  int32_t chunks;
  split_plan(m, n, k, j.small, &j.by_rows, &j.unit, &items, &chunks);
  if (apack && apack->data && !j.small && !trans_a && alpha == 1.0f && apack->m == m && apack->k == k &&
      apack->mr == j.simd->gemm_mr) {
    j.apre = apack->data;
    j.apre_mpad = round_up(m, (size_t)apack->mr);
  }
  if (bpack && bpack->data && !j.small && !fill && bpack->n == n && bpack->k == k && bpack->nr == j.simd->gemm_nr &&
      bpack->tb == trans_b) {
    j.bpre = bpack->data;
    j.bpre_npad = round_up(n, (size_t)bpack->nr);
  }
  size_t need = floats_for(m, n, k, fill != NULL);
  if (need) {
    if (!pack || !pack->buf || pack->n_slots < 1 || pack->slot_floats < need)
      return oq_error_set(err, OQ_ERR_INTERNAL, __FILE__, __LINE__, "matrix product without packing scratch");
    if (chunks > pack->n_slots) chunks = pack->n_slots;
  }
  int32_t threads = oq_threadpool_size(pool);
  if (chunks < threads) threads = chunks;
  size_t shared = need && !j.bpre ? shared_need(threads, m, n, k, fill != NULL, trans_b) : 0;
  if (shared && shared_buf && shared_floats >= shared) {
    /* every chunk would pack all of op(B): the threads pack it once, together, then share it. The panels hold the
     * same values as each chunk's own packing, so no element's arithmetic changes. */
    pre_job pj = {trans_b, b, ldb, n, k, (size_t)j.simd->gemm_nr, fill, fill_ctx, shared_buf, 0};
    pj.groups = (int64_t)((n + PRE_PANELS * pj.NR - 1) / (PRE_PANELS * pj.NR));
    oq_status st = oq_parallel_for_dyn(pool, (int64_t)((k + KC - 1) / KC) * pj.groups, threads, 1, pre_items, &pj);
    if (st != OQ_OK) return st;
    j.pre = shared_buf;
  }
  /* Items claimed dynamically (each thread its static chunk first, then the others' leftovers) when a claim packs
   * nothing another claim also packs (column blocks pack their own columns of B; row blocks with B shared, read in
   * place, or small): a thread slowed by its vCPU's neighbours then takes fewer items (static halves left the other
   * thread waiting 4-8% of mobilenet_v2 at 2 threads). */
  int shares_b = !j.by_rows || j.pre || j.bpre || j.small || (!fill && !trans_b && m <= B_IN_PLACE_ROWS);
  if (shares_b && chunks > 1) {
    /* claims of an eighth of a chunk: the thread that finishes first waits for the other's last claim, half a claim
     * on average (quarter chunks left the caller waiting 4.7% of resnet18's 2-thread time; sixteenths cost more
     * claims than they saved on squeezenet1_1 and mobilenet_v2; medians of five alternating runs) */
    int64_t grain = (items + CLAIMS_PER_CHUNK * (int64_t)chunks - 1) / (CLAIMS_PER_CHUNK * (int64_t)chunks);
    return oq_parallel_for_dyn(pool, items, chunks, grain, gemm_items, &j);
  }
  return oq_parallel_for_max(pool, items, chunks, gemm_items, &j);
}

oq_status oq_sgemm(struct oq_threadpool *pool, const oq_sgemm_pack *pack, int trans_a, int trans_b, size_t m, size_t n,
                   size_t k, float alpha, const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
                   size_t ldc, oq_error *err) {
  return sgemm_split(pool, pack, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, NULL, NULL, beta, c, ldc, NULL, NULL,
                     0, NULL, NULL, err);
}

oq_status oq_sgemm_epi_run(struct oq_threadpool *pool, const oq_sgemm_pack *pack, int trans_a, int trans_b, size_t m,
                           size_t n, size_t k, float alpha, const float *a, size_t lda, const float *b, size_t ldb,
                           float beta, float *c, size_t ldc, const oq_sgemm_epi *epi, oq_error *err) {
  return sgemm_split(pool, pack, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, NULL, NULL, beta, c, ldc, epi, NULL,
                     0, NULL, NULL, err);
}

oq_status oq_sgemm_fill(struct oq_threadpool *pool, const oq_sgemm_pack *pack, int trans_a, size_t m, size_t n,
                        size_t k, float alpha, const float *a, size_t lda, oq_sgemm_pack_fn fill, void *fill_ctx,
                        float beta, float *c, size_t ldc, const oq_sgemm_epi *epi, oq_error *err) {
  return sgemm_split(pool, pack, trans_a, 0, m, n, k, alpha, a, lda, NULL, 0, fill, fill_ctx, beta, c, ldc, epi, NULL,
                     0, NULL, NULL, err);
}

oq_status oq_sgemm_shared(struct oq_threadpool *pool, const oq_sgemm_pack *pack, float *shared, size_t shared_floats,
                          const oq_sgemm_apack *apack, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                          float alpha, const float *a, size_t lda, const float *b, size_t ldb, oq_sgemm_pack_fn fill,
                          void *fill_ctx, float beta, float *c, size_t ldc, const oq_sgemm_epi *epi, oq_error *err) {
  return sgemm_split(pool, pack, trans_a, fill ? 0 : trans_b, m, n, k, alpha, a, lda, fill ? NULL : b, fill ? 0 : ldb,
                     fill, fill_ctx, beta, c, ldc, epi, shared, shared_floats, apack, NULL, err);
}

oq_status oq_sgemm_bpacked(struct oq_threadpool *pool, const oq_sgemm_pack *pack, const oq_sgemm_bpack *bpack,
                           int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha, const float *a,
                           size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc, oq_error *err) {
  return sgemm_split(pool, pack, trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, NULL, NULL, beta, c, ldc, NULL, NULL,
                     0, NULL, bpack, err);
}

int oq_sgemm_uses_bpack(size_t m, size_t n, size_t k) { return !is_small(m, n, k, 0); }

size_t oq_sgemm_bpack_floats(size_t n, size_t k, int32_t nr) {
  size_t floats;
  if (nr < 1 || n > SIZE_MAX - (size_t)nr || !oq_size_mul(round_up(n, (size_t)nr), k, &floats)) return SIZE_MAX;
  return floats;
}

void oq_sgemm_bpack_fill(int trans_b, const float *b, size_t ldb, size_t n, size_t k, int32_t nr, float *dst) {
  size_t npad = round_up(n, (size_t)nr);
  for (size_t pc = 0; pc < k; pc += KC) {
    size_t kc = k - pc < KC ? k - pc : KC;
    pack_b(trans_b, b, ldb, pc, 0, kc, n, dst + pc * npad, (size_t)nr);
  }
}

size_t oq_sgemm_apack_floats(size_t m, size_t k, int32_t mr) {
  size_t floats;
  if (mr < 1 || m > SIZE_MAX - (size_t)mr || !oq_size_mul(round_up(m, (size_t)mr), k, &floats)) return SIZE_MAX;
  return floats;
}

void oq_sgemm_apack_fill(const float *a, size_t lda, size_t m, size_t k, int32_t mr, float *dst) {
  size_t mpad = round_up(m, (size_t)mr);
  for (size_t pc = 0; pc < k; pc += KC) {
    size_t kc = k - pc < KC ? k - pc : KC;
    pack_a(0, a, lda, 0, pc, m, kc, 1.0f, dst + pc * mpad, (size_t)mr);
  }
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
