/* Joining and picking along an axis: Concat, Split and Gather, on any fixed-size dtype by element size. */
#include "ops/kernels.h"
#include "ops/tensor_util.h"
#include "core/pool.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define need_input oq_kin_fixed

/* ---- Concat, Split ---- */

/* Concat and Gather: just an axis (default 0). */
typedef struct axis_params {
  int64_t axis; /* as given (may be negative) */
} axis_params;

static const oq_attr_field k_axis0_fields[] = {OQ_ATTR_INT(axis_params, axis, "axis", 0, -HUGE_VAL, HUGE_VAL)};
const oq_attr_spec oq_attrs_axis0 = {sizeof(axis_params), k_axis0_fields, 1, NULL};

oq_status oq_op_concat_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                             int32_t n_out, oq_error *err) {
  (void)n_out;
  (void)err;
  const axis_params *p = params;
  int64_t axis, dims[OQ_MAX_DIMS];
  if (!in[0] || in[0]->dtype == 0 || in[0]->ndim < 0 || in[0]->ndim > OQ_MAX_DIMS ||
      !oq_norm_axis(p ? p->axis : 0, in[0]->ndim, &axis))
    return OQ_OK;
  memcpy(dims, in[0]->dims, sizeof dims);
  dims[axis] = 0;
  for (int32_t k = 0; k < n_in; k++) {
    if (!in[k] || in[k]->dtype != in[0]->dtype || in[k]->ndim != in[0]->ndim) return OQ_OK;
    for (int32_t i = 0; i < in[0]->ndim; i++) /* other extents agree in a valid model: take any known one */
      if (i != axis && dims[i] < 0) dims[i] = in[k]->dims[i];
    dims[axis] = dims[axis] < 0 || in[k]->dims[axis] < 0 ? -1 : dims[axis] + in[k]->dims[axis];
  }
  oq_info_set(&out[0], in[0]->dtype, in[0]->ndim, dims);
  return OQ_OK;
}

/* Concat's copies, one item per (outer index, input) block in output order, split over the pool: plain memcpy. */
typedef struct concat_job {
  const oq_kernel_call *call;
  unsigned char *dst;
  size_t axis;
  size_t inner_bytes; /* bytes of one step along the axis */
} concat_job;

#define CONCAT_MIN_BYTES ((size_t)1 << 18) /* bytes below which a chunk is not worth a thread */

static oq_status concat_items(void *ctx, int64_t i0, int64_t i1) {
  const concat_job *j = ctx;
  int32_t n = j->call->n_inputs;
  int64_t o = i0 / n;
  int32_t k = (int32_t)(i0 % n);
  size_t pos = 0;
  for (int32_t q = 0; q < n; q++) { /* the row's start, then the blocks before input k */
    size_t block = (size_t)j->call->inputs[q]->dims[j->axis] * j->inner_bytes;
    pos += q < k ? block : 0;
    pos += (size_t)o * block;
  }
  for (int64_t it = i0; it < i1; it++) {
    const oq_tensor *t = j->call->inputs[k];
    size_t block = (size_t)t->dims[j->axis] * j->inner_bytes;
    if (block) memcpy(j->dst + pos, (const unsigned char *)t->data + (size_t)o * block, block);
    pos += block;
    if (++k == n) {
      k = 0;
      o++;
    }
  }
  return OQ_OK;
}

oq_status oq_op_concat_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const axis_params *p = call->params;
  const char *node = call->node_name;
  oq_tensor *out = &call->outputs[0];
  const oq_tensor *x0;
  OQ_CHECK(need_input(call, 0, "Concat", &x0, err));
  int64_t axis, raw = p ? p->axis : 0;
  if (!oq_norm_axis(raw, x0->ndim, &axis))
    OQ_KFAIL(node, OQ_ERR_SHAPE, "Concat axis %lld out of range for rank %d", (long long)raw, (int)x0->ndim);
  int64_t dims[OQ_MAX_DIMS];
  memcpy(dims, x0->dims, sizeof dims);
  dims[axis] = 0;
  for (int32_t k = 0; k < call->n_inputs; k++) {
    const oq_tensor *t;
    OQ_CHECK(need_input(call, k, "Concat", &t, err));
    if (t->dtype != x0->dtype || t->ndim != x0->ndim)
      OQ_KFAIL(node, OQ_ERR_SHAPE, "Concat input %d is %s rank %d, expected %s rank %d", (int)k,
               oq_dtype_name(t->dtype), (int)t->ndim, oq_dtype_name(x0->dtype), (int)x0->ndim);
    for (int32_t i = 0; i < t->ndim; i++)
      if (i != axis && t->dims[i] != x0->dims[i])
        OQ_KFAIL(node, OQ_ERR_SHAPE, "Concat input %d has extent %lld at dimension %d, expected %lld", (int)k,
                 (long long)t->dims[i], (int)i, (long long)x0->dims[i]);
    dims[axis] += t->dims[axis];
  }
  OQ_CHECK(oq_kout(call, 0, x0->dtype, x0->ndim, dims, err));
  /* an empty result may still have huge outer extents ([2^40, 0]): do not loop over them */
  if (out->nbytes == 0) return OQ_OK;
  size_t es = oq_dtype_size(x0->dtype);
  int64_t outer = 1, inner = 1;
  for (int32_t i = 0; i < x0->ndim; i++) {
    if (i < axis) outer *= dims[i];
    if (i > axis) inner *= dims[i];
  }
  concat_job j = {call, out->data, (size_t)axis, (size_t)inner * es};
  int64_t chunks = (int64_t)(out->nbytes / CONCAT_MIN_BYTES), items = outer * call->n_inputs;
  return oq_parallel_for_max(call->pool, items,
                             chunks < 1      ? 1
                             : chunks > 1024 ? 1024
                                             : (int32_t)chunks,
                             concat_items, &j);
fail:
  return st;
}

typedef struct split_params {
  int64_t axis;        /* as given */
  int64_t opset;       /* < 13: sizes from the split attribute; < 18: equal parts must divide evenly */
  int64_t num_outputs; /* opset 18 attribute; the parts follow the node's output count, so it is only validated */
  size_t n_split;      /* entries in split (opset < 13) */
  int64_t split[];     /* the split attribute, as given */
} split_params;

oq_status oq_op_split_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  const int64_t *sizes = NULL;
  size_t n = 0, bytes;
  split_params *p = NULL;
  if (ctx->opset < 13) OQ_CHECK(oq_attr_ints(ctx->node->proto, "split", &sizes, &n, err));
  if (!oq_size_mul(n, sizeof(int64_t), &bytes) || !oq_size_add(bytes, sizeof(split_params), &bytes))
    OQ_FAIL(err, OQ_ERR_NOMEM, "attribute too large");
  p = oq_calloc(1, bytes, err);
  if (!p) return OQ_ERR_NOMEM;
  p->opset = ctx->opset;
  p->n_split = n;
  if (n) memcpy(p->split, sizes, n * sizeof(int64_t));
  OQ_CHECK(oq_attr_int(ctx->node->proto, "axis", 0, &p->axis, err));
  OQ_CHECK(oq_attr_int(ctx->node->proto, "num_outputs", 0, &p->num_outputs, err));
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

size_t oq_op_split_workspace(const void *params, const oq_shape_info *const *in, int32_t n_in, int32_t n_out,
                             int32_t threads) {
  (void)params;
  (void)in;
  (void)n_in;
  (void)threads;
  return (size_t)(n_out > 0 ? n_out : 0) * sizeof(int64_t);
}

oq_status oq_op_split_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const split_params *p = call->params;
  const char *node = call->node_name;
  const oq_tensor *x;
  int64_t *sizes = NULL;
  int32_t nout = call->n_outputs;
  OQ_CHECK(need_input(call, 0, "Split", &x, err));
  int64_t axis, raw = p ? p->axis : 0;
  if (!oq_norm_axis(raw, x->ndim, &axis))
    OQ_KFAIL(node, OQ_ERR_SHAPE, "Split axis %lld out of range for rank %d", (long long)raw, (int)x->ndim);
  if (nout < 1) OQ_KFAIL(node, OQ_ERR_MODEL, "Split has no outputs");
  void *scratch;
  OQ_CHECK(oq_kscratch(call, (size_t)nout * sizeof *sizes, &scratch, err));
  sizes = scratch;
  int64_t d = x->dims[axis];
  const oq_tensor *split = oq_kin(call, 1);
  const int64_t *given = NULL;
  size_t n_given = 0;
  if (p && p->opset < 13 && p->n_split) {
    given = p->split;
    n_given = p->n_split;
  }
  if (split && (!p || p->opset >= 13)) {
    if (split->dtype != OQ_DTYPE_INT64 || split->ndim > 1)
      OQ_KFAIL(node, OQ_ERR_SHAPE, "Split sizes must be a 1-D int64 tensor");
    given = split->data;
    n_given = (size_t)oq_tensor_numel(split);
  }
  if (given) {
    if (n_given != (size_t)nout) OQ_KFAIL(node, OQ_ERR_SHAPE, "Split has %zu sizes for %d outputs", n_given, (int)nout);
    int64_t sum = 0;
    for (int32_t k = 0; k < nout; k++) {
      if (given[k] < 0 || given[k] > d) OQ_KFAIL(node, OQ_ERR_SHAPE, "Split size %lld is invalid", (long long)given[k]);
      sizes[k] = given[k];
      sum += given[k];
    }
    if (sum != d)
      OQ_KFAIL(node, OQ_ERR_SHAPE, "Split sizes sum to %lld, dimension is %lld", (long long)sum, (long long)d);
  } else { /* equal parts; the last one smaller when not divisible (opset 18) */
    int64_t part = (d + nout - 1) / nout;
    for (int32_t k = 0; k < nout; k++) {
      int64_t left = d - part * k;
      sizes[k] = left < 0 ? 0 : (left < part ? left : part);
    }
    if (d % nout != 0 && (!p || p->opset < 18))
      OQ_KFAIL(node, OQ_ERR_SHAPE, "Split: dimension %lld is not divisible into %d parts", (long long)d, (int)nout);
  }
  size_t es = oq_dtype_size(x->dtype);
  int64_t outer = 1, inner = 1;
  for (int32_t i = 0; i < x->ndim; i++) {
    if (i < axis) outer *= x->dims[i];
    if (i > axis) inner *= x->dims[i];
  }
  int64_t start = 0;
  for (int32_t k = 0; k < nout; k++) {
    int64_t dims[OQ_MAX_DIMS];
    memcpy(dims, x->dims, sizeof dims);
    dims[axis] = sizes[k];
    OQ_CHECK(oq_kout(call, k, x->dtype, x->ndim, dims, err));
    size_t block = (size_t)(sizes[k] * inner) * es, row = (size_t)(d * inner) * es;
    unsigned char *dst = call->outputs[k].data;
    for (int64_t o = 0; o < outer && block; o++)
      memcpy(dst + (size_t)o * block, (const unsigned char *)x->data + (size_t)o * row + (size_t)(start * inner) * es,
             block);
    start += sizes[k];
  }
  return OQ_OK;
fail:
  return st;
}

/* ---- Gather ---- */

oq_status oq_op_gather_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const axis_params *p = call->params;
  const char *node = call->node_name;
  const oq_tensor *x, *idx = oq_kin(call, 1);
  oq_tensor *out = &call->outputs[0];
  OQ_CHECK(need_input(call, 0, "Gather", &x, err));
  if (!idx || (idx->dtype != OQ_DTYPE_INT64 && idx->dtype != OQ_DTYPE_INT32))
    OQ_KFAIL(node, OQ_ERR_SHAPE, "Gather indices must be int64 or int32");
  int64_t axis, raw = p ? p->axis : 0;
  if (!oq_norm_axis(raw, x->ndim, &axis))
    OQ_KFAIL(node, OQ_ERR_SHAPE, "Gather axis %lld out of range for rank %d", (long long)raw, (int)x->ndim);
  int32_t nd = x->ndim - 1 + idx->ndim;
  if (nd > OQ_MAX_DIMS) OQ_KFAIL(node, OQ_ERR_UNSUPPORTED, "Gather result rank %d exceeds %d", (int)nd, OQ_MAX_DIMS);
  int64_t dims[OQ_MAX_DIMS];
  int32_t j = 0;
  for (int32_t i = 0; i < axis; i++) dims[j++] = x->dims[i];
  for (int32_t i = 0; i < idx->ndim; i++) dims[j++] = idx->dims[i];
  for (int32_t i = (int32_t)axis + 1; i < x->ndim; i++) dims[j++] = x->dims[i];
  int64_t d = x->dims[axis], n_idx = oq_tensor_numel(idx);
  for (int64_t k = 0; k < n_idx; k++) {
    int64_t v = oq_load_i64(idx->data, idx->dtype, k);
    if (v < -d || v >= d)
      OQ_KFAIL(node, OQ_ERR_SHAPE, "Gather index %lld out of range for extent %lld", (long long)v, (long long)d);
  }
  OQ_CHECK(oq_kout(call, 0, x->dtype, nd, dims, err));
  size_t es = oq_dtype_size(x->dtype);
  int64_t outer = 1, inner = 1;
  for (int32_t i = 0; i < x->ndim; i++) {
    if (i < axis) outer *= x->dims[i];
    if (i > axis) inner *= x->dims[i];
  }
  size_t block = (size_t)inner * es;
  if (block == 0 || out->nbytes == 0) return OQ_OK; /* empty: outer may still be huge */
  unsigned char *dst = out->data;
  const unsigned char *src = x->data;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t k = 0; k < n_idx; k++) {
      int64_t v = oq_load_i64(idx->data, idx->dtype, k);
      if (v < 0) v += d;
      memcpy(dst, src + (size_t)(o * d + v) * block, block);
      dst += block;
    }
  return OQ_OK;
fail:
  return st;
}
