/* NumPy broadcasting: output shape, dimension collapsing and row iteration. */
#include "ops/broadcast.h"

#include <string.h>

oq_status oq_bcast_shape(const oq_tensor *const *ins, int32_t n, int32_t *out_ndim, int64_t *out_dims, const char *node,
                         oq_error *err) {
  int32_t rank = 0;
  for (int32_t k = 0; k < n; k++)
    if (ins[k]->ndim > rank) rank = ins[k]->ndim;
  for (int32_t i = 0; i < rank; i++) {
    int64_t out = 1;
    for (int32_t k = 0; k < n; k++) {
      int32_t j = i - (rank - ins[k]->ndim);
      int64_t d = j >= 0 ? ins[k]->dims[j] : 1;
      if (d == 1) continue;
      if (out == 1) {
        out = d;
      } else if (out != d) {
        return oq_error_set(err, OQ_ERR_SHAPE, __FILE__, __LINE__,
                            "node '%s': cannot broadcast dimension %d: extents %lld and %lld", node ? node : "", (int)i,
                            (long long)out, (long long)d);
      }
    }
    out_dims[i] = out;
  }
  *out_ndim = rank;
  return OQ_OK;
}

void oq_bcast_plan(oq_bcast *b, const oq_tensor *const *ins, int32_t n, int32_t out_ndim, const int64_t *out_dims) {
  memset(b, 0, sizeof *b);
  b->n_in = n;
  unsigned flags[OQ_MAX_DIMS]; /* bit k set: input k is broadcast along this collapsed dim */
  int32_t nd = 0;
  for (int32_t i = 0; i < out_ndim; i++) {
    if (out_dims[i] == 1) continue; /* size-1 output dims carry no iteration */
    unsigned f = 0;
    for (int32_t k = 0; k < n; k++) {
      int32_t j = i - (out_ndim - ins[k]->ndim);
      int64_t d = j >= 0 ? ins[k]->dims[j] : 1;
      if (d == 1) f |= 1u << k;
    }
    if (nd > 0 && flags[nd - 1] == f) {
      b->dims[nd - 1] *= out_dims[i];
    } else {
      flags[nd] = f;
      b->dims[nd] = out_dims[i];
      nd++;
    }
  }
  if (nd == 0) {
    flags[0] = 0;
    b->dims[0] = 1;
    nd = 1;
  }
  b->ndim = nd;
  b->numel = 1;
  for (int32_t i = 0; i < nd; i++) b->numel *= b->dims[i];
  for (int32_t k = 0; k < n; k++) {
    int64_t acc = 1;
    for (int32_t i = nd - 1; i >= 0; i--) {
      if (flags[i] & (1u << k)) {
        b->strides[k][i] = 0;
      } else {
        b->strides[k][i] = acc;
        acc *= b->dims[i];
      }
    }
  }
}

void oq_bcast_run(const oq_bcast *b, oq_bcast_row_fn fn, void *ctx) {
  if (b->numel == 0) return;
  int32_t last = b->ndim - 1;
  int64_t inner = b->dims[last];
  int64_t step[OQ_BCAST_MAX_IN], off[OQ_BCAST_MAX_IN];
  int64_t idx[OQ_MAX_DIMS] = {0};
  for (int32_t k = 0; k < b->n_in; k++) {
    step[k] = b->strides[k][last];
    off[k] = 0;
  }
  int64_t rows = b->numel / inner;
  for (int64_t r = 0; r < rows; r++) {
    fn(ctx, r * inner, off, step, inner);
    /* advance the odometer over the outer dims */
    for (int32_t i = last - 1; i >= 0; i--) {
      idx[i]++;
      for (int32_t k = 0; k < b->n_in; k++) off[k] += b->strides[k][i];
      if (idx[i] < b->dims[i]) break;
      for (int32_t k = 0; k < b->n_in; k++) off[k] -= b->strides[k][i] * b->dims[i];
      idx[i] = 0;
    }
  }
}

int64_t oq_bcast_items(const oq_bcast *b, int64_t blk) {
  if (b->numel == 0) return 0;
  int64_t inner = b->dims[b->ndim - 1];
  return b->numel / inner * ((inner + blk - 1) / blk);
}

void oq_bcast_run_items(const oq_bcast *b, int64_t blk, int64_t i0, int64_t i1, oq_bcast_row_fn fn, void *ctx) {
  if (b->numel == 0 || i0 >= i1) return;
  int32_t last = b->ndim - 1;
  int64_t inner = b->dims[last], per_row = (inner + blk - 1) / blk, row = i0 / per_row;
  int64_t step[OQ_BCAST_MAX_IN], off[OQ_BCAST_MAX_IN], pos[OQ_BCAST_MAX_IN], idx[OQ_MAX_DIMS] = {0};
  /* the odometer at the first row */
  int64_t rest = row;
  for (int32_t i = last - 1; i >= 0; i--) {
    idx[i] = rest % b->dims[i];
    rest /= b->dims[i];
  }
  for (int32_t k = 0; k < b->n_in; k++) {
    step[k] = b->strides[k][last];
    off[k] = 0;
    for (int32_t i = 0; i < last; i++) off[k] += idx[i] * b->strides[k][i];
  }
  for (int64_t it = i0; it < i1; it++) {
    int64_t piece = it - row * per_row, start = piece * blk, n = inner - start < blk ? inner - start : blk;
    for (int32_t k = 0; k < b->n_in; k++) pos[k] = off[k] + start * step[k];
    fn(ctx, row * inner + start, pos, step, n);
    if (piece + 1 < per_row) continue;
    row++;
    for (int32_t i = last - 1; i >= 0; i--) {
      idx[i]++;
      for (int32_t k = 0; k < b->n_in; k++) off[k] += b->strides[k][i];
      if (idx[i] < b->dims[i]) break;
      for (int32_t k = 0; k < b->n_in; k++) off[k] -= b->strides[k][i] * b->dims[i];
      idx[i] = 0;
    }
  }
}

typedef struct copy_ctx {
  const unsigned char *src; /* source elements */
  unsigned char *dst;       /* destination elements */
  size_t esize;             /* bytes per element */
} copy_ctx;

static void copy_row(void *vctx, int64_t out_off, const int64_t *in_off, const int64_t *in_step, int64_t n) {
  copy_ctx *c = vctx;
  unsigned char *d = c->dst + (size_t)out_off * c->esize;
  const unsigned char *s = c->src + (size_t)in_off[0] * c->esize;
  if (in_step[0] == 1) {
    memcpy(d, s, (size_t)n * c->esize);
    return;
  }
  switch (c->esize) {
  case 1: memset(d, s[0], (size_t)n); break;
  case 4: {
    uint32_t v;
    memcpy(&v, s, 4);
    uint32_t *o = (uint32_t *)(void *)d;
    for (int64_t i = 0; i < n; i++) o[i] = v;
    break;
  }
  case 8: {
    uint64_t v;
    memcpy(&v, s, 8);
    uint64_t *o = (uint64_t *)(void *)d;
    for (int64_t i = 0; i < n; i++) o[i] = v;
    break;
  }
  default:
    for (int64_t i = 0; i < n; i++) memcpy(d + (size_t)i * c->esize, s, c->esize);
  }
}

void oq_bcast_copy(const oq_tensor *src, oq_tensor *dst) {
  oq_bcast b;
  const oq_tensor *ins[1] = {src};
  oq_bcast_plan(&b, ins, 1, dst->ndim, dst->dims);
  copy_ctx c = {src->data, dst->data, oq_dtype_size(dst->dtype)};
  oq_bcast_run(&b, copy_row, &c);
}
