/* Index-driven data movement: GatherElements, GatherND, ScatterElements (and its opset 9-10 name Scatter),
 * ScatterND. Copies go by element size, so every fixed-size dtype works; the scatter reductions (add, mul, max,
 * min) compute through double. Every index is range-checked (negative ones count from the end) before anything is
 * written. */
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <stdlib.h>
#include <string.h>

typedef struct gather_params {
  int64_t axis;      /* GatherElements/ScatterElements axis; GatherND batch_dims */
  int32_t reduction; /* scatter: 0 none, 1 add, 2 mul, 3 max, 4 min */
} gather_params;

static oq_status read_reduction(const oq_op_init_ctx *ctx, int32_t *out, oq_error *err) {
  const char *s = NULL;
  size_t len = 0;
  oq_status st = oq_attr_string(ctx->node->proto, "reduction", "none", &s, &len, err);
  if (st != OQ_OK) return st;
  static const char *const names[] = {"none", "add", "mul", "max", "min"};
  for (int32_t i = 0; i < 5; i++)
    if (strlen(names[i]) == len && memcmp(s, names[i], len) == 0) {
      *out = i;
      return OQ_OK;
    }
  OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "reduction '%.*s' is not supported", (int)len, s);
}

oq_status oq_op_gather_ext_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  gather_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  const char *op = ctx->node->proto->op_type;
  OQ_CHECK(oq_attr_int(ctx->node->proto, strcmp(op, "GatherND") == 0 ? "batch_dims" : "axis", 0, &p->axis, err));
  if (strncmp(op, "Scatter", 7) == 0) OQ_CHECK(read_reduction(ctx, &p->reduction, err));
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

static int is_index_type(const oq_tensor *t) { return t && (t->dtype == OQ_DTYPE_INT64 || t->dtype == OQ_DTYPE_INT32); }

static void row_strides(int32_t nd, const int64_t *dims, int64_t *str) {
  int64_t s = 1;
  for (int32_t i = nd - 1; i >= 0; i--) {
    str[i] = s;
    s *= dims[i];
  }
}

/* dst[i] = reduce(dst[i], src[j]) for the scatter reductions; plain copy for none. */
static void combine(void *dst, int64_t i, const void *src, int64_t j, int32_t dtype, size_t es, int32_t red) {
  if (red == 0) {
    memcpy((unsigned char *)dst + (size_t)i * es, (const unsigned char *)src + (size_t)j * es, es);
    return;
  }
  double a = oq_load_f64(dst, dtype, i), b = oq_load_f64(src, dtype, j), r = a;
  if (red == 1) r = a + b;
  if (red == 2) r = a * b;
  if (red == 3) r = a > b ? a : b;
  if (red == 4) r = a < b ? a : b;
  oq_store_f64(dst, dtype, i, r);
}

/* GatherElements (scatter = 0) and ScatterElements (scatter = 1). */
static oq_status elements(const oq_kernel_call *call, int scatter, oq_error *err) {
  oq_status st = OQ_OK;
  const gather_params *p = call->params;
  const oq_tensor *x, *idx = oq_kin(call, 1), *upd = scatter ? oq_kin(call, 2) : NULL;
  OQ_CHECK(oq_kin_fixed(call, 0, scatter ? "ScatterElements" : "GatherElements", &x, err));
  if (!is_index_type(idx)) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "indices must be int64 or int32");
  int32_t nd = x->ndim;
  int64_t axis;
  if (!oq_norm_axis(p->axis, nd, &axis))
    OQ_FAIL(err, OQ_ERR_SHAPE, "axis %lld is out of range for rank %d", (long long)p->axis, (int)nd);
  if (idx->ndim != nd) OQ_FAIL(err, OQ_ERR_SHAPE, "indices have rank %d, data %d", (int)idx->ndim, (int)nd);
  if (scatter) {
    if (!upd || upd->dtype != x->dtype || upd->ndim != nd)
      OQ_FAIL(err, OQ_ERR_SHAPE, "updates must have the data's type and the indices' shape");
    for (int32_t i = 0; i < nd; i++)
      if (upd->dims[i] != idx->dims[i]) OQ_FAIL(err, OQ_ERR_SHAPE, "updates must have the indices' shape");
  }
  for (int32_t i = 0; i < nd; i++)
    if (i != axis && idx->dims[i] > x->dims[i])
      OQ_FAIL(err, OQ_ERR_SHAPE, "indices extent %lld exceeds data extent %lld on axis %d", (long long)idx->dims[i],
              (long long)x->dims[i], (int)i);
  int64_t n = oq_tensor_numel(idx), d = x->dims[axis];
  for (int64_t k = 0; k < n; k++) {
    int64_t v = oq_load_i64(idx->data, idx->dtype, k);
    if (v < -d || v >= d)
      OQ_FAIL(err, OQ_ERR_SHAPE, "index %lld is out of range for extent %lld", (long long)v, (long long)d);
  }
  if (scatter)
    OQ_CHECK(oq_kout_bytes_of(call, 0, x, x->ndim, x->dims, err));
  else
    OQ_CHECK(oq_kout(call, 0, x->dtype, idx->ndim, idx->dims, err));
  oq_tensor *y = &call->outputs[0];
  size_t es = oq_dtype_size(x->dtype);
  int64_t xs[OQ_MAX_DIMS], ctr[OQ_MAX_DIMS] = {0};
  row_strides(nd, x->dims, xs);
  for (int64_t k = 0; k < n; k++) {
    int64_t v = oq_load_i64(idx->data, idx->dtype, k), off = 0;
    if (v < 0) v += d;
    for (int32_t i = 0; i < nd; i++) off += (i == axis ? v : ctr[i]) * xs[i];
    if (scatter)
      combine(y->data, off, upd->data, k, x->dtype, es, p->reduction);
    else
      memcpy((unsigned char *)y->data + (size_t)k * es, (const unsigned char *)x->data + (size_t)off * es, es);
    for (int32_t i = nd - 1; i >= 0; i--) {
      if (++ctr[i] < idx->dims[i]) break;
      ctr[i] = 0;
    }
  }
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_gather_elements_exec(const oq_kernel_call *call, oq_error *err) { return elements(call, 0, err); }
oq_status oq_op_scatter_elements_exec(const oq_kernel_call *call, oq_error *err) { return elements(call, 1, err); }

oq_status oq_op_gather_elements_infer(const void *params, const oq_shape_info *const *in, int32_t n_in,
                                      oq_shape_info *out, int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_in;
  (void)n_out;
  (void)err;
  if (in[0] && in[1] && in[1]->ndim >= 0) oq_info_set(&out[0], in[0]->dtype, in[1]->ndim, in[1]->dims);
  return OQ_OK;
}

/* GatherND (scatter = 0) and ScatterND (scatter = 1): the last extent q of indices addresses the first q dims of
 * data (after batch_dims shared leading dims, GatherND only); each addressed slice is a block of `block` elements. */
static oq_status nd_exec(const oq_kernel_call *call, int scatter, oq_error *err) {
  oq_status st = OQ_OK;
  const gather_params *p = call->params;
  const oq_tensor *x, *idx = oq_kin(call, 1), *upd = scatter ? oq_kin(call, 2) : NULL;
  OQ_CHECK(oq_kin_fixed(call, 0, scatter ? "ScatterND" : "GatherND", &x, err));
  if (!is_index_type(idx) || idx->ndim < 1)
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "indices must be int64 or int32, rank >= 1");
  int64_t b = scatter ? 0 : p->axis;
  int64_t q = idx->dims[idx->ndim - 1];
  if (b < 0 || b >= idx->ndim || b >= x->ndim)
    OQ_FAIL(err, OQ_ERR_SHAPE, "batch_dims %lld is out of range", (long long)b);
  if (q < 1 || b + q > x->ndim)
    OQ_FAIL(err, OQ_ERR_SHAPE, "indices address %lld dims of data of rank %d", (long long)q, (int)x->ndim);
  for (int64_t i = 0; i < b; i++)
    if (idx->dims[i] != x->dims[i]) OQ_FAIL(err, OQ_ERR_SHAPE, "batch dims of indices and data differ");
  int64_t batch = 1, per_batch = 1, block = 1;
  for (int64_t i = 0; i < b; i++) batch *= x->dims[i];
  for (int32_t i = (int32_t)b; i < idx->ndim - 1; i++) per_batch *= idx->dims[i];
  for (int32_t i = (int32_t)(b + q); i < x->ndim; i++) block *= x->dims[i];
  int64_t xs[OQ_MAX_DIMS];
  row_strides(x->ndim, x->dims, xs);
  int64_t batch_stride = b ? xs[b - 1] : 0;
  int64_t n_tuples = batch * per_batch;
  for (int64_t t = 0; t < n_tuples; t++)
    for (int64_t j = 0; j < q; j++) {
      int64_t v = oq_load_i64(idx->data, idx->dtype, t * q + j), d = x->dims[b + j];
      if (v < -d || v >= d)
        OQ_FAIL(err, OQ_ERR_SHAPE, "index %lld is out of range for extent %lld", (long long)v, (long long)d);
    }
  size_t es = oq_dtype_size(x->dtype);
  if (scatter) {
    int32_t und = idx->ndim - 1 + x->ndim - (int32_t)q;
    if (!upd || upd->dtype != x->dtype || upd->ndim != und || oq_tensor_numel(upd) != n_tuples * block)
      OQ_FAIL(err, OQ_ERR_SHAPE, "updates must have shape indices.shape[:-1] + data.shape[q:]");
    OQ_CHECK(oq_kout_bytes_of(call, 0, x, x->ndim, x->dims, err));
  } else {
    int64_t dims[OQ_MAX_DIMS];
    int32_t ond = 0;
    if (idx->ndim - 1 + x->ndim - (int32_t)(b + q) > OQ_MAX_DIMS)
      OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "result rank too large");
    for (int32_t i = 0; i < idx->ndim - 1; i++) dims[ond++] = idx->dims[i];
    for (int32_t i = (int32_t)(b + q); i < x->ndim; i++) dims[ond++] = x->dims[i];
    OQ_CHECK(oq_kout(call, 0, x->dtype, ond, dims, err));
  }
  oq_tensor *y = &call->outputs[0];
  for (int64_t t = 0; t < n_tuples; t++) {
    int64_t off = (t / per_batch) * batch_stride;
    for (int64_t j = 0; j < q; j++) {
      int64_t v = oq_load_i64(idx->data, idx->dtype, t * q + j);
      if (v < 0) v += x->dims[b + j];
      off += v * xs[b + j];
    }
    if (scatter) {
      for (int64_t e = 0; e < block; e++)
        combine(y->data, off + e, upd->data, t * block + e, x->dtype, es, p->reduction);
    } else if (block) {
      memcpy((unsigned char *)y->data + (size_t)(t * block) * es, (const unsigned char *)x->data + (size_t)off * es,
             (size_t)block * es);
    }
  }
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_gather_nd_exec(const oq_kernel_call *call, oq_error *err) { return nd_exec(call, 0, err); }
oq_status oq_op_scatter_nd_exec(const oq_kernel_call *call, oq_error *err) { return nd_exec(call, 1, err); }

/* Output 0 like input 0 (the scatters). */
oq_status oq_op_scatter_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                              int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_in;
  (void)n_out;
  (void)err;
  if (in[0] && in[0]->ndim >= 0) oq_info_set(&out[0], in[0]->dtype, in[0]->ndim, in[0]->dims);
  return OQ_OK;
}
