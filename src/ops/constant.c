/* Generators: Constant (the value attribute, parsed once into params), ConstantOfShape and Range. Outputs are
 * written into tensors the executor allocates. */
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define need_input oq_kin_fixed

/* ---- Constant, ConstantOfShape ---- */

/* One malloc'd block: the struct, then the value's bytes (value.data points there, owns_data 0), so
 * oq_op_params_free releases everything. */
typedef struct const_params {
  oq_tensor value;     /* the constant; data borrows the bytes after the struct */
  max_align_t bytes[]; /* value storage */
} const_params;

static oq_status const_params_new(const oq_tensor *v, const_params **out, oq_error *err) {
  size_t total;
  if (!oq_size_add(sizeof(const_params), v->nbytes, &total)) OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "constant too large");
  const_params *p = oq_calloc(1, total, err);
  if (!p) return OQ_ERR_NOMEM;
  p->value = *v;
  p->value.owns_data = 0;
  p->value.data = v->nbytes ? (void *)p->bytes : NULL;
  if (v->nbytes) memcpy(p->bytes, v->data, v->nbytes);
  *out = p;
  return OQ_OK;
}

/* The scalar a value_float / value_int attribute holds (storage for the borrowed view below). */
typedef union const_scalar {
  float f;
  int64_t i;
} const_scalar;

/* Describes the Constant's one value attribute as a tensor in *out: decoded (owned, release it) for "value", else
 * borrowing the attribute's numbers or *scalar. Uses the typed accessors (which also accept old files that omit
 * the attribute's type field). */
static oq_status const_from_attr(const oq_op_init_ctx *ctx, const char *name, const_scalar *scalar, oq_tensor *out,
                                 oq_error *err) {
  const Onnx__NodeProto *np = ctx->node->proto;
  oq_status st = OQ_OK;
  memset(out, 0, sizeof *out);
  if (strcmp(name, "value") == 0) {
    const Onnx__TensorProto *t;
    OQ_CHECK(oq_attr_tensor(np, name, &t, err));
    return oq_model_tensor_decode(ctx->model, t, out, err);
  }
  if (strcmp(name, "value_float") == 0 || strcmp(name, "value_int") == 0) {
    int is_float = name[6] == 'f';
    out->dtype = is_float ? OQ_DTYPE_FLOAT : OQ_DTYPE_INT64;
    if (is_float)
      OQ_CHECK(oq_attr_float(np, name, 0, &scalar->f, err));
    else
      OQ_CHECK(oq_attr_int(np, name, 0, &scalar->i, err));
    out->data = scalar;
    out->nbytes = oq_dtype_size(out->dtype);
    return OQ_OK;
  }
  if (strcmp(name, "value_floats") == 0 || strcmp(name, "value_ints") == 0) {
    size_t n;
    const void *v;
    if (name[6] == 'f') {
      const float *fv;
      OQ_CHECK(oq_attr_floats(np, name, &fv, &n, err));
      v = fv;
      out->dtype = OQ_DTYPE_FLOAT;
    } else {
      const int64_t *iv;
      OQ_CHECK(oq_attr_ints(np, name, &iv, &n, err));
      v = iv;
      out->dtype = OQ_DTYPE_INT64;
    }
    out->ndim = 1;
    out->dims[0] = (int64_t)n;
    out->data = (void *)v;
    out->nbytes = n * oq_dtype_size(out->dtype);
    return OQ_OK;
  }
  OQ_KFAIL(oq_init_node_name(ctx), OQ_ERR_UNSUPPORTED, "Constant attribute '%s' is not supported", name);
fail:
  return st;
}

oq_status oq_op_constant_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  const char *node = oq_init_node_name(ctx);
  const Onnx__NodeProto *np = ctx->node->proto;
  oq_tensor v = {0};
  const_scalar scalar;
  if (np->n_attribute != 1 || !np->attribute[0] || !np->attribute[0]->name)
    OQ_KFAIL(node, OQ_ERR_MODEL, "Constant needs exactly one value attribute, has %zu", np->n_attribute);
  const Onnx__AttributeProto *a = np->attribute[0];
  OQ_CHECK(const_from_attr(ctx, a->name, &scalar, &v, err));
  if (oq_dtype_size(v.dtype) == 0)
    OQ_KFAIL(node, OQ_ERR_UNSUPPORTED, "Constant of type %s is not supported", oq_dtype_name(v.dtype));
  const_params *p;
  OQ_CHECK(const_params_new(&v, &p, err));
  oq_tensor_release(&v);
  *params = p;
  return OQ_OK;
fail:
  oq_tensor_release(&v);
  return st;
}

oq_status oq_op_constant_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                               int32_t n_out, oq_error *err) {
  (void)in;
  (void)n_in;
  (void)n_out;
  (void)err;
  const const_params *p = params;
  if (p) {
    oq_info_set(&out[0], p->value.dtype, p->value.ndim, p->value.dims);
    out[0].value = &p->value;
  }
  return OQ_OK;
}

oq_status oq_op_constant_exec(const oq_kernel_call *call, oq_error *err) {
  const const_params *p = call->params;
  if (!p) OQ_KRETURN(call->node_name, OQ_ERR_INTERNAL, "Constant without parameters");
  return oq_kout_bytes_of(call, 0, &p->value, p->value.ndim, p->value.dims, err);
}

oq_status oq_op_constant_of_shape_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  const char *node = oq_init_node_name(ctx);
  oq_tensor v = {0};
  const Onnx__TensorProto *t;
  OQ_CHECK(oq_attr_tensor(ctx->node->proto, "value", &t, err));
  if (t) {
    OQ_CHECK(oq_model_tensor_decode(ctx->model, t, &v, err));
    if (oq_tensor_numel(&v) != 1 || oq_dtype_size(v.dtype) == 0)
      OQ_KFAIL(node, OQ_ERR_MODEL, "ConstantOfShape 'value' must hold one element of a fixed-size type");
  } else { /* default: float 0 of shape [1], borrowed from zero */
    static const float zero = 0.0f;
    v.dtype = OQ_DTYPE_FLOAT;
    v.ndim = 1;
    v.dims[0] = 1;
    v.data = (void *)&zero;
    v.nbytes = sizeof zero;
  }
  const_params *p;
  OQ_CHECK(const_params_new(&v, &p, err));
  oq_tensor_release(&v);
  *params = p;
  return OQ_OK;
fail:
  oq_tensor_release(&v);
  return st;
}

oq_status oq_op_constant_of_shape_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const const_params *p = call->params;
  const oq_tensor *shape = oq_kin(call, 0);
  oq_tensor *out = &call->outputs[0];
  int64_t dims[OQ_MAX_DIMS];
  size_t nd;
  if (!p || !shape) OQ_KFAIL(call->node_name, OQ_ERR_MODEL, "ConstantOfShape needs its shape input");
  OQ_CHECK(oq_read_int_list(shape, dims, OQ_MAX_DIMS, &nd, call->node_name, "ConstantOfShape shape", err));
  for (size_t i = 0; i < nd; i++)
    if (dims[i] < 0)
      OQ_KFAIL(call->node_name, OQ_ERR_SHAPE, "ConstantOfShape: negative extent %lld", (long long)dims[i]);
  OQ_CHECK(oq_kout(call, 0, p->value.dtype, (int32_t)nd, dims, err));
  size_t es = oq_dtype_size(out->dtype);
  unsigned char *d = out->data;
  for (size_t off = 0; off < out->nbytes; off += es) memcpy(d + off, p->value.data, es);
  return OQ_OK;
fail:
  return st;
}

/* ---- Range ---- */

oq_status oq_op_range_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const char *node = call->node_name;
  const oq_tensor *ts = oq_kin(call, 0), *tl = oq_kin(call, 1), *td = oq_kin(call, 2);
  oq_tensor *out = &call->outputs[0];
  if (!ts || !tl || !td) OQ_KFAIL(node, OQ_ERR_MODEL, "Range needs start, limit and delta");
  int32_t dt = ts->dtype;
  if (tl->dtype != dt || td->dtype != dt) OQ_KFAIL(node, OQ_ERR_SHAPE, "Range inputs must share one type");
  if (dt != OQ_DTYPE_FLOAT && dt != OQ_DTYPE_DOUBLE && dt != OQ_DTYPE_INT16 && dt != OQ_DTYPE_INT32 &&
      dt != OQ_DTYPE_INT64)
    OQ_KFAIL(node, OQ_ERR_UNSUPPORTED, "Range does not support %s", oq_dtype_name(dt));
  if (oq_tensor_numel(ts) != 1 || oq_tensor_numel(tl) != 1 || oq_tensor_numel(td) != 1)
    OQ_KFAIL(node, OQ_ERR_SHAPE, "Range inputs must be scalars");
  int64_t n;
  if (oq_dtype_is_float(dt)) {
    double s = oq_load_f64(ts->data, dt, 0), l = oq_load_f64(tl->data, dt, 0), d = oq_load_f64(td->data, dt, 0);
    if (d == 0 || !(s == s) || !(l == l) || !(d == d)) OQ_KFAIL(node, OQ_ERR_SHAPE, "Range delta is 0 or NaN");
    double c = ceil((l - s) / d);
    if (!(c < 9.0e18)) OQ_KFAIL(node, OQ_ERR_SHAPE, "Range has too many elements");
    n = c > 0 ? (int64_t)c : 0;
    OQ_CHECK(oq_kout(call, 0, dt, 1, &n, err));
    for (int64_t i = 0; i < n; i++) {
      if (dt == OQ_DTYPE_FLOAT) /* accumulate in float like the reference implementation */
        ((float *)out->data)[i] = (float)s + (float)i * (float)d;
      else
        ((double *)out->data)[i] = s + (double)i * d;
    }
  } else {
    int64_t s = oq_load_i64(ts->data, dt, 0), l = oq_load_i64(tl->data, dt, 0), d = oq_load_i64(td->data, dt, 0);
    if (d == 0) OQ_KFAIL(node, OQ_ERR_SHAPE, "Range delta is 0");
    double c = ceil(((double)l - (double)s) / (double)d);
    if (!(c < 9.0e18)) OQ_KFAIL(node, OQ_ERR_SHAPE, "Range has too many elements");
    n = c > 0 ? (int64_t)c : 0;
    OQ_CHECK(oq_kout(call, 0, dt, 1, &n, err));
    for (int64_t i = 0; i < n; i++) oq_store_i64(out->data, dt, i, (int64_t)((uint64_t)s + (uint64_t)i * (uint64_t)d));
  }
  return OQ_OK;
fail:
  return st;
}
