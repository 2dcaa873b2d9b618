/* Shape, Size, Cast and CastLike: the tensor's metadata as data, and numeric conversions (integers and bool exact,
 * through double otherwise, float -> integer saturating). */
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define need_input oq_kin_fixed

/* ---- Shape, Size ---- */

typedef struct shape_params {
  int64_t start;   /* first dim, as given (opset 15) */
  int64_t end;     /* one past the last dim, as given, when has_end */
  int32_t has_end; /* the end attribute is present */
} shape_params;

oq_status oq_op_shape_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  shape_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  OQ_CHECK(oq_attr_int(ctx->node->proto, "start", 0, &p->start, err));
  p->has_end = oq_attr_find(ctx->node->proto, "end") != NULL;
  OQ_CHECK(oq_attr_int(ctx->node->proto, "end", 0, &p->end, err));
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

/* The dims [*s, *s + *n) of a rank r input that Shape returns. */
static void shape_range(const shape_params *p, int64_t r, int64_t *s_out, int64_t *n_out) {
  int64_t s = p ? p->start : 0, e = (p && p->has_end) ? p->end : r;
  if (s < 0) s += r;
  if (e < 0) e += r;
  s = s < 0 ? 0 : (s > r ? r : s);
  e = e < 0 ? 0 : (e > r ? r : e);
  *s_out = s;
  *n_out = e > s ? e - s : 0;
}

oq_status oq_op_shape_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                            int32_t n_out, oq_error *err) {
  (void)n_in;
  (void)n_out;
  (void)err;
  if (!in[0] || in[0]->ndim < 0) return OQ_OK;
  int64_t s, n;
  shape_range(params, in[0]->ndim, &s, &n);
  oq_info_set(&out[0], OQ_DTYPE_INT64, 1, &n);
  return OQ_OK;
}

oq_status oq_op_shape_exec(const oq_kernel_call *call, oq_error *err) {
  const oq_tensor *x = oq_kin(call, 0);
  if (!x) OQ_KRETURN(call->node_name, OQ_ERR_MODEL, "Shape needs an input");
  int64_t s, n;
  shape_range(call->params, x->ndim, &s, &n);
  oq_status st = oq_kout(call, 0, OQ_DTYPE_INT64, 1, &n, err);
  if (st != OQ_OK) return st;
  for (int64_t i = 0; i < n; i++) ((int64_t *)call->outputs[0].data)[i] = x->dims[s + i];
  return OQ_OK;
}

oq_status oq_op_size_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                           int32_t n_out, oq_error *err) {
  (void)params;
  (void)in;
  (void)n_in;
  (void)n_out;
  (void)err;
  oq_info_set(&out[0], OQ_DTYPE_INT64, 0, NULL);
  return OQ_OK;
}

oq_status oq_op_size_exec(const oq_kernel_call *call, oq_error *err) {
  const oq_tensor *x = oq_kin(call, 0);
  if (!x) OQ_KRETURN(call->node_name, OQ_ERR_MODEL, "Size needs an input");
  oq_status st = oq_kout(call, 0, OQ_DTYPE_INT64, 0, NULL, err);
  if (st != OQ_OK) return st;
  ((int64_t *)call->outputs[0].data)[0] = oq_tensor_numel(x);
  return OQ_OK;
}

/* ---- Cast, CastLike ---- */

typedef struct cast_params {
  int64_t to; /* target oq_dtype, numeric (checked at init) */
} cast_params;

oq_status oq_op_cast_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  cast_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  if (!oq_attr_find(ctx->node->proto, "to")) OQ_KFAIL(oq_init_node_name(ctx), OQ_ERR_MODEL, "Cast needs 'to'");
  OQ_CHECK(oq_attr_int(ctx->node->proto, "to", 0, &p->to, err));
  if (!oq_dtype_is_numeric((int32_t)p->to) || p->to != (int32_t)p->to)
    OQ_KFAIL(oq_init_node_name(ctx), OQ_ERR_UNSUPPORTED, "Cast to %s is not supported", oq_dtype_name((int32_t)p->to));
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

oq_status oq_op_cast_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                           int32_t n_out, oq_error *err) {
  (void)n_in;
  (void)n_out;
  (void)err;
  const cast_params *p = params;
  if (p && in[0] && in[0]->ndim >= 0) oq_info_set(&out[0], (int32_t)p->to, in[0]->ndim, in[0]->dims);
  return OQ_OK;
}

static oq_status cast_to(const oq_kernel_call *call, const oq_tensor *x, int32_t to, oq_error *err) {
  if (!oq_dtype_is_numeric(x->dtype) || !oq_dtype_is_numeric(to))
    OQ_KRETURN(call->node_name, OQ_ERR_UNSUPPORTED, "Cast from %s to %s is not supported", oq_dtype_name(x->dtype),
               oq_dtype_name(to));
  oq_tensor *out = &call->outputs[0];
  oq_status st = oq_kout(call, 0, to, x->ndim, x->dims, err);
  if (st != OQ_OK) return st;
  int64_t n = oq_tensor_numel(x);
  if (x->dtype == to) {
    if (x->nbytes) memcpy(out->data, x->data, x->nbytes);
  } else if (!oq_dtype_is_float(x->dtype) && !oq_dtype_is_float(to)) { /* integers and bool: exact */
    for (int64_t i = 0; i < n; i++) oq_store_i64(out->data, to, i, oq_load_i64(x->data, x->dtype, i));
  } else { /* through double: exact for float sources, saturating for float -> integer */
    for (int64_t i = 0; i < n; i++) oq_store_f64(out->data, to, i, oq_load_f64(x->data, x->dtype, i));
  }
  return OQ_OK;
}

oq_status oq_op_cast_exec(const oq_kernel_call *call, oq_error *err) {
  const cast_params *p = call->params;
  const oq_tensor *x = oq_kin(call, 0);
  if (!x || !p) OQ_KRETURN(call->node_name, OQ_ERR_MODEL, "Cast needs an input and 'to'");
  return cast_to(call, x, (int32_t)p->to, err);
}

oq_status oq_op_cast_like_exec(const oq_kernel_call *call, oq_error *err) {
  const oq_tensor *x = oq_kin(call, 0), *like = oq_kin(call, 1);
  if (!x || !like) OQ_KRETURN(call->node_name, OQ_ERR_MODEL, "CastLike needs two inputs");
  return cast_to(call, x, like->dtype, err);
}
