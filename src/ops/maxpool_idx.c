/* MaxPool 8+ with its optional Indices output. Without Indices the row delegates to pool.c's MaxPool (its params
 * kept inside ours); with Indices this file computes both outputs: the max of the taps inside the input (the first
 * one in window order on ties; padding never wins) and its flat index into X, counted over the whole tensor (batch
 * and channel included) in row-major order, or with storage_order 1 the spatial part in column-major order, as
 * onnxruntime does. float32, int8 and uint8. */
#include "core/pool.h"
#include "ops/kernels.h"
#include "ops/nn.h"
#include "ops/taps.h"
#include "ops/tensor_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct mpi_params {
  void *inner;           /* pool.c's params when the node has no Indices output (then the rest is unused), or NULL */
  oq_window win;         /* with Indices: kernel_shape (required), strides, dilations, pads, ceil_mode */
  int64_t storage_order; /* 0 row-major, 1 column-major spatial indices */
} mpi_params;

static int wants_indices(const oq_node *node) { return node->n_outputs > 1 && node->outputs[1] >= 0; }

oq_status oq_op_maxpool_idx_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  mpi_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  if (!wants_indices(ctx->node)) {
    OQ_CHECK(oq_op_maxpool_init(ctx, &p->inner, err));
  } else {
    OQ_CHECK(oq_window_parse(ctx->node->proto, 1, &p->win, err));
    if (p->win.n_kernel == 0) OQ_FAIL(err, OQ_ERR_MODEL, "attribute kernel_shape is required");
    OQ_CHECK(oq_attr_int(ctx->node->proto, "storage_order", 0, &p->storage_order, err));
    if (p->storage_order != 0 && p->storage_order != 1)
      OQ_FAIL(err, OQ_ERR_MODEL, "storage_order must be 0 or 1 (got %lld)", (long long)p->storage_order);
  }
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

void oq_op_maxpool_idx_free(void *params); /* the row's free_params (declared for registry.c there) */
void oq_op_maxpool_idx_free(void *params) {
  mpi_params *p = params;
  if (!p) return;
  oq_op_params_free(p->inner); /* pool.c's rows free their params with oq_op_params_free */
  free(p);
}

/* Taps one pool may visit: 4096 per input element and at least 2^30, as pool.c. */
#define MPI_VISITS_PER_ELEMENT 4096.0
#define MPI_MIN_VISIT_LIMIT    ((double)((int64_t)1 << 30))

static oq_status mpi_geometry(const mpi_params *p, const oq_tensor *x, oq_window_geom *g, int64_t *ydims,
                              oq_error *err) {
  if (x->ndim < 3) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "input X has rank %d, pooling needs at least 3", (int)x->ndim);
  oq_status st = oq_nn_check_dims(x, "X", err);
  if (st != OQ_OK) return st;
  int32_t nd = x->ndim - 2;
  if (p->win.n_kernel != nd)
    OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "kernel_shape has %d entries, X has %d spatial dims", (int)p->win.n_kernel,
                  (int)nd);
  st = oq_window_resolve(&p->win, nd, x->dims + 2, NULL, g, err);
  if (st != OQ_OK) return st;
  ydims[0] = x->dims[0];
  ydims[1] = x->dims[1];
  for (int32_t i = 0; i < nd; i++) ydims[i + 2] = g->out[i];
  double planes = (double)x->dims[0] * (double)x->dims[1], numel = planes;
  for (int32_t i = 0; i < nd; i++) numel *= (double)x->dims[i + 2];
  double limit = MPI_VISITS_PER_ELEMENT * numel;
  if (limit < MPI_MIN_VISIT_LIMIT) limit = MPI_MIN_VISIT_LIMIT;
  if (planes > 0 && oq_window_visits(g, limit) * planes > limit)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "the pooling windows visit more than the limit of %.0f taps", limit);
  return OQ_OK;
}

oq_status oq_op_maxpool_idx_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                                  int32_t n_out, oq_error *err) {
  const mpi_params *p = params;
  if (p->inner) return oq_op_pool_infer(p->inner, in, n_in, out, n_out, err);
  if (!oq_info_known_but_batch(in[0])) return OQ_OK;
  oq_tensor x;
  oq_info_tensor(in[0], &x);
  int batch_unknown = x.dims[0] < 0;
  if (batch_unknown) x.dims[0] = 1; /* the batch goes through unchanged */
  oq_window_geom g;
  int64_t ydims[OQ_MAX_DIMS];
  oq_status st = mpi_geometry(p, &x, &g, ydims, err);
  if (st != OQ_OK) return st;
  if (batch_unknown) ydims[0] = -1;
  oq_info_set(&out[0], x.dtype, x.ndim, ydims);
  if (n_out > 1) oq_info_set(&out[1], OQ_DTYPE_INT64, x.ndim, ydims);
  return OQ_OK;
}

size_t oq_op_maxpool_idx_workspace(const void *params, const oq_shape_info *const *in, int32_t n_in, int32_t n_out,
                                   int32_t threads) {
  const mpi_params *p = params;
  return p->inner ? oq_op_pool_workspace(p->inner, in, n_in, n_out, threads) : 0;
}

typedef struct mpi_job {
  const mpi_params *p;
  const oq_window_geom *g;
  const oq_tensor *x;
  oq_tensor *y;
  int64_t *ind;
  int64_t in_sp, out_sp;
  int64_t colstride[OQ_MAX_DIMS]; /* storage_order 1: spatial strides of a column-major plane */
} mpi_job;

static oq_status mpi_planes(void *ctx, int64_t begin, int64_t end) {
  const mpi_job *j = ctx;
  const oq_window_geom *g = j->g;
  const int32_t nd = g->nd;
  for (int64_t plane = begin; plane < end; plane++) {
    int64_t o[OQ_MAX_DIMS] = {0};
    for (int64_t op = 0; op < j->out_sp; op++) {
      int64_t lo[OQ_MAX_DIMS], hi[OQ_MAX_DIMS], kk[OQ_MAX_DIMS], best_off = -1, best_col = 0;
      double best = 0;
      if (oq_taps_box(g, o, lo, hi)) {
        memcpy(kk, lo, sizeof kk);
        do { /* row-major over the window, so the first maximum wins ties */
          int64_t off = 0, col = 0;
          for (int32_t d = 0; d < nd; d++) {
            int64_t i = o[d] * g->s[d] - g->pb[d] + kk[d] * g->d[d];
            off = off * g->in[d] + i;
            col += i * j->colstride[d];
          }
          double v = oq_load_f64(j->x->data, j->x->dtype, plane * j->in_sp + off);
          if (best_off < 0 || v > best) best = v, best_off = off, best_col = col;
        } while (oq_taps_next(nd, lo, hi, kk));
      }
      int64_t yi = plane * j->out_sp + op;
      /* a window wholly in the padding (possible with ceil_mode) has no tap: the lowest value, index of its plane */
      oq_store_f64(j->y->data, j->y->dtype, yi, best_off < 0 ? -INFINITY : best);
      j->ind[yi] = plane * j->in_sp + (best_off < 0 ? 0 : j->p->storage_order ? best_col : best_off);
      for (int32_t d = nd - 1; d >= 0; d--) {
        if (++o[d] < g->out[d]) break;
        o[d] = 0;
      }
    }
  }
  return OQ_OK;
}

oq_status oq_op_maxpool_idx_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const mpi_params *p = call->params;
  if (p->inner) { /* no Indices output: pool.c's kernel with its own params */
    oq_kernel_call inner = *call;
    inner.params = p->inner;
    return oq_op_maxpool_exec(&inner, err);
  }
  const oq_tensor *x = call->inputs[0];
  if (x->dtype != OQ_DTYPE_FLOAT && x->dtype != OQ_DTYPE_INT8 && x->dtype != OQ_DTYPE_UINT8)
    OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "MaxPool with Indices takes float32, int8 or uint8, got %s",
             oq_dtype_name(x->dtype));
  oq_window_geom g;
  int64_t ydims[OQ_MAX_DIMS];
  OQ_CHECK(mpi_geometry(p, x, &g, ydims, err));
  OQ_CHECK(oq_kout(call, 0, x->dtype, x->ndim, ydims, err));
  OQ_CHECK(oq_kout(call, 1, OQ_DTYPE_INT64, x->ndim, ydims, err));
  mpi_job j = {.p = p, .g = &g, .x = x, .y = &call->outputs[0], .ind = call->outputs[1].data};
  j.in_sp = j.out_sp = 1;
  for (int32_t d = 0; d < g.nd; d++) {
    j.colstride[d] = j.in_sp;
    j.in_sp *= g.in[d];
    j.out_sp *= g.out[d];
  }
  if (j.out_sp == 0) return OQ_OK;
  OQ_CHECK(oq_parallel_for(call->pool, x->dims[0] * x->dims[1], mpi_planes, &j));
  return OQ_OK;
fail:
  return st;
}
