/* NumPy-style (multidirectional) broadcasting for elementwise kernels. The output shape is computed once; the
 * iteration collapses dimensions where every input is either contiguous or broadcast alike, so the common cases
 * (same shape, scalar operand, per-channel / last-dim operand) become a few long rows handed to a row function. */
#ifndef OQ_OPS_BROADCAST_H
#define OQ_OPS_BROADCAST_H

#include "core/error.h"

#define OQ_BCAST_MAX_IN 4

/* Iteration plan over an output shape. Invariant: ndim >= 1 after oq_bcast_plan; strides are in elements and 0
 * along dimensions where that input is broadcast; the product of dims is numel. */
typedef struct oq_bcast {
  int32_t n_in;                                  /* inputs being broadcast */
  int32_t ndim;                                  /* collapsed rank */
  int64_t dims[OQ_MAX_DIMS];                     /* collapsed output extents */
  int64_t strides[OQ_BCAST_MAX_IN][OQ_MAX_DIMS]; /* element strides of each input in the collapsed shape */
  int64_t numel;                                 /* output elements */
} oq_bcast;

/* Called for one output row of n elements starting at element out_off; input k's elements start at in_off[k]
 * and advance by in_step[k] (0: the same element repeated, 1: contiguous). */
typedef void (*oq_bcast_row_fn)(void *ctx, int64_t out_off, const int64_t *in_off, const int64_t *in_step, int64_t n);

/* Broadcast output shape of n (<= OQ_BCAST_MAX_IN) shapes; fails naming node when extents disagree. */
oq_status oq_bcast_shape(const oq_tensor *const *ins, int32_t n, int32_t *out_ndim, int64_t *out_dims, const char *node,
                         oq_error *err);
/* Prepares iteration of the given inputs over out_dims (each input must broadcast to it: checked by
 * oq_bcast_shape or by the caller). */
void oq_bcast_plan(oq_bcast *b, const oq_tensor *const *ins, int32_t n, int32_t out_ndim, const int64_t *out_dims);
/* Calls fn for every row of the plan, in output order. */
void oq_bcast_run(const oq_bcast *b, oq_bcast_row_fn fn, void *ctx);
/* The same rows cut into pieces of at most blk (>= 1) elements, numbered row-major: oq_bcast_items counts them and
 * oq_bcast_run_items calls fn on pieces [i0, i1), so that the pieces can be split over threads. */
int64_t oq_bcast_items(const oq_bcast *b, int64_t blk);
void oq_bcast_run_items(const oq_bcast *b, int64_t blk, int64_t i0, int64_t i1, oq_bcast_row_fn fn, void *ctx);

/* dst (already allocated with the broadcast shape and src's element size) = src broadcast. Element-size generic. */
void oq_bcast_copy(const oq_tensor *src, oq_tensor *dst);

#endif
