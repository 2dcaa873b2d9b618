/* Single-precision matrix product, row-major, on raw pointers with leading dimensions: the packed, register-tiled
 * kernel and its plain reference twin. No tensors and no allocation: packing buffers come from the caller (an
 * oq_sgemm_pack sized with oq_sgemm_pack_floats and oq_sgemm_slots), so the executor owns all scratch memory. */
#ifndef OQ_KERN_SGEMM_H
#define OQ_KERN_SGEMM_H

#include "core/error.h"

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

/* C = alpha * op(A) * op(B) + beta * C, op(A) is m x k, op(B) is k x n. beta == 0 never reads C (it may hold
 * garbage). The rows or columns of C are split over pool (NULL = calling thread only); every element of C is
 * computed by the same arithmetic whatever the split, so results are bit-identical for every thread count. Fails
 * (OQ_ERR_INTERNAL) only when pack is too small for the packed path. */
oq_status oq_sgemm(struct oq_threadpool *pool, const oq_sgemm_pack *pack, int trans_a, int trans_b, size_t m, size_t n,
                   size_t k, float alpha, const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c,
                   size_t ldc, oq_error *err);

/* Fills columns [j0, j1) of B (not transposed) just before they are used, on the thread that computes those
 * columns of C: lets Conv build its im2col columns where they are consumed. */
typedef void (*oq_sgemm_fill_fn)(void *ctx, size_t j0, size_t j1);
/* oq_sgemm for trans_b == 0 with B produced by fill: C is split over columns only. */
oq_status oq_sgemm_fill(struct oq_threadpool *pool, const oq_sgemm_pack *pack, int trans_a, size_t m, size_t n,
                        size_t k, float alpha, const float *a, size_t lda, const float *b, size_t ldb,
                        oq_sgemm_fill_fn fill, void *fill_ctx, float beta, float *c, size_t ldc, oq_error *err);

/* The reference twin: three plain loops with double accumulation. */
void oq_sgemm_ref(int trans_a, int trans_b, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                  const float *b, size_t ldb, float beta, float *c, size_t ldc);

#endif
