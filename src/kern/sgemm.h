/* Single-precision matrix product, row-major, on raw pointers with leading dimensions: the packed, register-tiled
 * kernel and its plain reference twin. No tensors and no allocation: packing buffers come from the caller (an
 * oq_sgemm_pack sized with oq_sgemm_pack_floats and oq_sgemm_slots), so the executor owns all scratch memory. */
#ifndef OQ_KERN_SGEMM_H
#define OQ_KERN_SGEMM_H

#include "core/error.h"
#include "kern/cpu.h"

struct oq_threadpool; /* core/pool.h */

/* Packing scratch owned by the caller: n_slots buffers of slot_floats floats, one per chunk of the product that
 * may run at the same time. Only the packed path uses it (small products need none: buf may then be NULL). */
typedef struct oq_sgemm_pack {
  float *buf;         /* borrowed; n_slots * slot_floats floats */
  size_t slot_floats; /* >= oq_sgemm_pack_floats(m, n, k) of the product */
  int32_t n_slots;    /* >= 1; fewer slots than oq_sgemm_slots only means fewer threads */
} oq_sgemm_pack;

/* Floats of packing scratch one chunk of an m x n x k product needs (0 when the product takes the small path). */
size_t oq_sgemm_pack_floats(size_t m, size_t n, size_t k);
/* Chunks of an m x n x k product that may run at the same time on a pool of threads threads (oq_threadpool_size).
 * with_fill: the product is run with oq_sgemm_fill (split over columns only). */
int32_t oq_sgemm_slots(int32_t threads, size_t m, size_t n, size_t k, int with_fill);
/* Floats of the optional shared block (oq_sgemm_shared) of an m x n x k product on threads threads, 0 when it
 * would not be used. When C is split by rows over several threads, each would pack all of op(B) (all of a
 * convolution's im2col columns) for itself; with the shared block the threads pack it once, together, first. */
size_t oq_sgemm_shared_floats(int32_t threads, size_t m, size_t n, size_t k, int with_fill);

/* C = alpha * op(A) * op(B) + beta * C, op(A) is m x k, op(B) is k x n. beta == 0 never reads C (it may hold
 * garbage). The rows or columns of C are split over pool (NULL = calling thread only); every element of C is
 * computed by the same arithmetic whatever the split, so results are bit-identical for every thread count. Fails
 * (OQ_ERR_INTERNAL) only when pack is too small for the packed path. */
oq_status oq_sgemm(struct oq_threadpool *pool, const oq_sgemm_pack *pack, int trans_a, int trans_b, size_t m, size_t n,
                   size_t k, float alpha, const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
                   size_t ldc, oq_error *err);

/* Bias per row of C (m floats, NULL: none) and activation, applied when each tile of C is stored for the last
 * time: C = act(alpha * op(A) * op(B) + beta * C + bias[row]). Relu and Clip give the bits of the separate nodes. */
typedef struct oq_sgemm_epi {
  const float *bias;
  oq_gemm_act act;
  float lo, hi; /* OQ_GEMM_ACT_CLAMP bounds */
} oq_sgemm_epi;

/* oq_sgemm with an epilogue (epi NULL: none). */
oq_status oq_sgemm_epi_run(struct oq_threadpool *pool, const oq_sgemm_pack *pack, int trans_a, int trans_b, size_t m,
                           size_t n, size_t k, float alpha, const float *a, size_t lda, const float *b, size_t ldb,
                           float beta, float *c, size_t ldc, const oq_sgemm_epi *epi, oq_error *err);

/* Packs rows [p0, p0 + kc) and columns [j0, j0 + nc) of B (k x n, not transposed) as panels of nr columns:
 * dst[(j / nr) * kc * nr + p * nr + j % nr] for the column j - j0 and row p - p0, zeros in the columns of the last
 * panel past nc. Called on the thread that computes with the panels, so Conv builds its im2col columns right where
 * they are consumed, with no column matrix in memory. */
typedef void (*oq_sgemm_pack_fn)(void *ctx, size_t p0, size_t kc, size_t j0, size_t nc, float *dst, size_t nr);
/* Packing floats of one chunk of oq_sgemm_fill (its small path needs B as one block). */
size_t oq_sgemm_fill_floats(size_t m, size_t n, size_t k);
/* oq_sgemm with B produced by fill (not transposed) and an epilogue (epi NULL: none). */
oq_status oq_sgemm_fill(struct oq_threadpool *pool, const oq_sgemm_pack *pack, int trans_a, size_t m, size_t n,
                        size_t k, float alpha, const float *a, size_t lda, oq_sgemm_pack_fn fill, void *fill_ctx,
                        float beta, float *c, size_t ldc, const oq_sgemm_epi *epi, oq_error *err);

/* A (m x k, row-major, not transposed, alpha 1) packed once for every product it takes part in: a constant weight
 * matrix (Conv's W). Read in place, its rows are as many streams as the tile has rows, a short run of each per
 * block, which the hardware prefetcher does not follow when the weights come from L3 (a 512 x 4608 weight: 96 ->
 * 161 GFLOP/s packed). The panels hold the same values the per-call packing would, so no element's arithmetic
 * changes. Layout: per KC block of k in order, the row panels of mr rows (zero rows past m), each kc x mr. */
typedef struct oq_sgemm_apack {
  const float *data; /* borrowed; oq_sgemm_apack_floats(m, k, mr) floats from oq_sgemm_apack_fill */
  size_t m, k;
  int32_t mr; /* the SIMD level's gemm_mr when packed; another level in use ignores the packing */
} oq_sgemm_apack;

/* Floats of a packed m x k A for tile height mr, SIZE_MAX when that does not fit in size_t. */
size_t oq_sgemm_apack_floats(size_t m, size_t k, int32_t mr);
/* Packs a (m x k, row stride lda) for tile height mr into dst (oq_sgemm_apack_floats floats). */
void oq_sgemm_apack_fill(const float *a, size_t lda, size_t m, size_t k, int32_t mr, float *dst);

/* op(B) (k x n) packed once for every product it takes part in: a constant weight matrix (Gemm's or MatMul's B),
 * packed every run otherwise (7% of a transformer encoder for Gemm's transposed B). The panels hold the same values
 * the per-call packing would. Layout: per KC block of k in order, the panels of nr columns (zero columns past n),
 * each kc x nr. */
typedef struct oq_sgemm_bpack {
  const float *data; /* borrowed; oq_sgemm_bpack_floats(n, k, nr) floats from oq_sgemm_bpack_fill */
  size_t n, k;
  int32_t nr; /* the SIMD level's gemm_nr when packed; another level in use ignores the packing */
  int tb;     /* B was transposed */
} oq_sgemm_bpack;

/* Whether an m x n x k product takes the packed path, the only one that reads a packed op(B) (a batch-1 Linear,
 * m == 1, is dot products over B as it is: packing its B would only cost the first run and the memory). */
int oq_sgemm_uses_bpack(size_t m, size_t n, size_t k);
/* Floats of a packed op(B) of k x n for panel width nr, SIZE_MAX when that does not fit in size_t. */
size_t oq_sgemm_bpack_floats(size_t n, size_t k, int32_t nr);
/* Packs op(B) (b with row stride ldb, transposed when trans_b) for panel width nr into dst. */
void oq_sgemm_bpack_fill(int trans_b, const float *b, size_t ldb, size_t n, size_t k, int32_t nr, float *dst);
/* oq_sgemm with op(B) also given packed (bpack NULL, or one that does not match n, k, trans_b and the level: none; b
 * must still point at the same values). */
oq_status oq_sgemm_bpacked(struct oq_threadpool *pool, const oq_sgemm_pack *pack, const oq_sgemm_bpack *bpack,
                           int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha, const float *a,
                           size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc, oq_error *err);

/* oq_sgemm_epi_run (fill NULL) or oq_sgemm_fill (b NULL, trans_b 0) with a shared block of shared_floats floats
 * (shared NULL: none), used when shared_floats >= oq_sgemm_shared_floats(threads of pool, m, n, k, fill != NULL),
 * and with A also given packed (apack NULL: none; used when it matches m, k, the level's tile, a not transposed and
 * alpha 1; a must still point at the same values). */
oq_status oq_sgemm_shared(struct oq_threadpool *pool, const oq_sgemm_pack *pack, float *shared, size_t shared_floats,
                          const oq_sgemm_apack *apack, int trans_a, int trans_b, size_t m, size_t n, size_t k,
                          float alpha, const float *a, size_t lda, const float *b, size_t ldb, oq_sgemm_pack_fn fill,
                          void *fill_ctx, float beta, float *c, size_t ldc, const oq_sgemm_epi *epi, oq_error *err);

/* The reference twin: three plain loops with double accumulation. */
void oq_sgemm_ref(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                  const float *b, size_t ldb, float beta, float *c, size_t ldc);

#endif
