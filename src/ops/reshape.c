/* Ops whose output 0 holds input 0's bytes with another shape: Identity, Dropout (inference), Flatten, Reshape,
 * Squeeze, Unsqueeze. Their rows carry OQ_OP_FLAG_VIEW: the executor hands out input 0's bytes as output 0 (no copy)
 * and keeps the input alive as long as the view; called without an executor that does so, they copy. */
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <stdlib.h>
#include <string.h>

#define need_input oq_kin_fixed

/* ---- Identity, Dropout ---- */

oq_status oq_op_identity_exec(const oq_kernel_call *call, oq_error *err) {
  const oq_tensor *x;
  oq_status st = need_input(call, 0, "Identity", &x, err);
  if (st != OQ_OK) return st;
  return oq_kout_bytes_of(call, 0, x, x->ndim, x->dims, err);
}

/* Inference-mode Dropout: output = input, optional mask all true. */
oq_status oq_op_dropout_exec(const oq_kernel_call *call, oq_error *err) {
  const oq_tensor *x;
  oq_status st = need_input(call, 0, "Dropout", &x, err);
  if (st != OQ_OK) return st;
  /* opset 12+: training_mode true drops at random unless the ratio is 0; only inference is deterministic */
  const oq_tensor *ratio = oq_kin(call, 1), *training = oq_kin(call, 2);
  if (training && oq_tensor_numel(training) > 0 && oq_load_i64(training->data, training->dtype, 0) != 0) {
    double r = (ratio && oq_tensor_numel(ratio) > 0) ? oq_load_f64(ratio->data, ratio->dtype, 0) : 0.5;
    if (r != 0) OQ_KRETURN(call->node_name, OQ_ERR_UNSUPPORTED, "Dropout in training mode is not supported");
  }
  st = oq_kout_bytes_of(call, 0, x, x->ndim, x->dims, err);
  if (st != OQ_OK || call->n_outputs < 2) return st;
  st = oq_kout(call, 1, OQ_DTYPE_BOOL, x->ndim, x->dims, err);
  if (st != OQ_OK) return st;
  if (call->outputs[1].nbytes) memset(call->outputs[1].data, 1, call->outputs[1].nbytes);
  return OQ_OK;
}

/* ---- Flatten, Reshape ---- */

typedef struct flatten_params {
  int64_t axis; /* in [-r, r], as given */
} flatten_params;

static const oq_attr_field k_flatten_fields[] = {OQ_ATTR_INT(flatten_params, axis, "axis", 1, -HUGE_VAL, HUGE_VAL)};
const oq_attr_spec oq_attrs_flatten = {sizeof(flatten_params), k_flatten_fields, 1, NULL};

/* Flatten's output extents for input shape (ndim, dims); 0 when axis is out of range. */
static int flatten_dims(const flatten_params *p, int32_t ndim, const int64_t *dims, int64_t *out, int64_t *axis_out) {
  int64_t raw = p ? p->axis : 1;
  /* axis in [-r, r]; negative counts from the back like other axes (-1 -> r - 1) */
  int64_t axis = raw < 0 ? raw + ndim : raw;
  *axis_out = axis;
  if (axis < 0 || axis > ndim) return 0;
  out[0] = 1;
  out[1] = 1;
  for (int32_t i = 0; i < ndim; i++) out[i < axis ? 0 : 1] *= dims[i];
  return 1;
}

oq_status oq_op_flatten_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                              int32_t n_out, oq_error *err) {
  (void)n_in;
  (void)n_out;
  (void)err;
  int64_t dims[2], axis, xd[OQ_MAX_DIMS];
  if (!oq_info_known_but_batch(in[0]) && !oq_info_known(in[0])) return OQ_OK;
  memcpy(xd, in[0]->dims, sizeof xd);
  int batch_unknown = in[0]->ndim > 0 && xd[0] < 0;
  if (batch_unknown) xd[0] = 1;
  if (flatten_dims(params, in[0]->ndim, xd, dims, &axis)) {
    if (batch_unknown) dims[axis > 0 ? 0 : 1] = -1; /* the batch lands in the outer or (axis 0) inner extent */
    oq_info_set(&out[0], in[0]->dtype, 2, dims);
  }
  return OQ_OK;
}

oq_status oq_op_flatten_exec(const oq_kernel_call *call, oq_error *err) {
  const flatten_params *p = call->params;
  const oq_tensor *x;
  oq_status st = need_input(call, 0, "Flatten", &x, err);
  if (st != OQ_OK) return st;
  int64_t dims[2], axis;
  if (!flatten_dims(p, x->ndim, x->dims, dims, &axis))
    OQ_KRETURN(call->node_name, OQ_ERR_SHAPE, "Flatten axis %lld out of range for rank %d",
               (long long)(p ? p->axis : 1), (int)x->ndim);
  return oq_kout_bytes_of(call, 0, x, 2, dims, err);
}

typedef struct reshape_params {
  int64_t allowzero; /* 1: a 0 in the shape is a 0 extent, not "copy the input's" */
} reshape_params;

static const oq_attr_field k_reshape_fields[] = {
    OQ_ATTR_INT(reshape_params, allowzero, "allowzero", 0, -HUGE_VAL, HUGE_VAL)};
const oq_attr_spec oq_attrs_reshape = {sizeof(reshape_params), k_reshape_fields, 1, NULL};

/* Reshape's output shape for x (only its shape is read) and the shape tensor. */
static oq_status reshape_dims(const reshape_params *p, const char *node, const oq_tensor *x, const oq_tensor *shape,
                              int64_t *dims, size_t *nd_out, oq_error *err) {
  oq_status st = OQ_OK;
  char b1[160], b2[160];
  size_t nd;
  OQ_CHECK(oq_read_int_list(shape, dims, OQ_MAX_DIMS, &nd, node, "Reshape shape", err));
  int allowzero = p && p->allowzero;
  int infer = -1;
  int64_t known = 1;
  for (size_t i = 0; i < nd; i++) {
    if (dims[i] == 0 && !allowzero) {
      if ((int32_t)i >= x->ndim)
        OQ_KFAIL(node, OQ_ERR_SHAPE, "cannot reshape %s to %s: 0 at position %zu has no input dimension",
                 oq_shape_str(x->ndim, x->dims, b1, sizeof b1), oq_shape_str((int32_t)nd, dims, b2, sizeof b2), i);
      dims[i] = x->dims[i];
    }
    if (dims[i] == -1) {
      if (infer >= 0) OQ_KFAIL(node, OQ_ERR_SHAPE, "Reshape shape has more than one -1");
      infer = (int)i;
      continue;
    }
    if (dims[i] < 0) OQ_KFAIL(node, OQ_ERR_SHAPE, "Reshape shape has invalid extent %lld", (long long)dims[i]);
    if (dims[i] != 0 && known > INT64_MAX / dims[i]) OQ_KFAIL(node, OQ_ERR_SHAPE, "Reshape shape overflows");
    known *= dims[i];
  }
  int64_t numel = oq_tensor_numel(x);
  if (infer >= 0) {
    if (known == 0 || numel % known != 0)
      OQ_KFAIL(node, OQ_ERR_SHAPE, "cannot reshape %s to %s", oq_shape_str(x->ndim, x->dims, b1, sizeof b1),
               oq_shape_str((int32_t)nd, dims, b2, sizeof b2));
    dims[infer] = numel / known;
    known = numel;
  }
  if (known != numel)
    OQ_KFAIL(node, OQ_ERR_SHAPE, "cannot reshape %s to %s", oq_shape_str(x->ndim, x->dims, b1, sizeof b1),
             oq_shape_str((int32_t)nd, dims, b2, sizeof b2));
  *nd_out = nd;
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_reshape_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                              int32_t n_out, oq_error *err) {
  (void)n_in;
  (void)n_out;
  if (!in[0] || !in[1] || !in[1]->value) return OQ_OK;
  if (!oq_info_known(in[0])) { /* the output shape is still known when the shape input spells every extent */
    const reshape_params *p = params;
    int64_t dims[OQ_MAX_DIMS];
    size_t nd;
    oq_error ignored = {0};
    if (in[0]->dtype == 0 ||
        oq_read_int_list(in[1]->value, dims, OQ_MAX_DIMS, &nd, "", "Reshape shape", &ignored) != OQ_OK)
      return OQ_OK;
    for (size_t i = 0; i < nd; i++)
      if (dims[i] < 0 || (dims[i] == 0 && !(p && p->allowzero))) return OQ_OK;
    oq_info_set(&out[0], in[0]->dtype, (int32_t)nd, dims);
    return OQ_OK;
  }
  oq_tensor x;
  oq_info_tensor(in[0], &x);
  int64_t dims[OQ_MAX_DIMS];
  size_t nd;
  oq_status st = reshape_dims(params, "", &x, in[1]->value, dims, &nd, err);
  if (st == OQ_OK) oq_info_set(&out[0], x.dtype, (int32_t)nd, dims);
  return st;
}

oq_status oq_op_reshape_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const char *node = call->node_name;
  const oq_tensor *x, *shape = oq_kin(call, 1);
  OQ_CHECK(need_input(call, 0, "Reshape", &x, err));
  if (!shape) OQ_KFAIL(node, OQ_ERR_MODEL, "Reshape needs its shape input");
  int64_t dims[OQ_MAX_DIMS];
  size_t nd;
  OQ_CHECK(reshape_dims(call->params, node, x, shape, dims, &nd, err));
  return oq_kout_bytes_of(call, 0, x, (int32_t)nd, dims, err);
fail:
  return st;
}

/* ---- Squeeze, Unsqueeze ---- */

typedef struct axes_params {
  int64_t opset;    /* < 13: axes come from the attribute */
  int32_t has_axes; /* opset < 13: the attribute is present */
  size_t n_axes;    /* entries in axes */
  int64_t axes[];   /* the axes attribute, as given */
} axes_params;

oq_status oq_op_axes_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  const int64_t *ints = NULL;
  size_t n = 0;
  /* Squeeze/Unsqueeze: axes is an attribute before opset 13, an input from 13 */
  if (ctx->opset < 13) {
    oq_status st = oq_attr_ints(ctx->node->proto, "axes", &ints, &n, err);
    if (st != OQ_OK) return st;
  }
  size_t bytes;
  if (!oq_size_mul(n, sizeof(int64_t), &bytes) || !oq_size_add(bytes, sizeof(axes_params), &bytes))
    OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "attribute too large");
  axes_params *p = oq_calloc(1, bytes, err);
  if (!p) return OQ_ERR_NOMEM;
  p->opset = ctx->opset;
  p->has_axes = ctx->opset < 13 ? oq_attr_find(ctx->node->proto, "axes") != NULL : 0;
  p->n_axes = n;
  if (n) memcpy(p->axes, ints, n * sizeof(int64_t));
  *params = p;
  return OQ_OK;
}

/* Axes from the attribute (opset < 13) or the axes tensor t (NULL when omitted); *given is 0 when neither is
 * present. */
static oq_status read_axes(const axes_params *p, const char *node, const oq_tensor *t, const char *op, int64_t *axes,
                           size_t *n, int *given, oq_error *err) {
  *n = 0;
  *given = 0;
  if (p && p->opset < 13) {
    if (p->n_axes > OQ_MAX_DIMS) OQ_KRETURN(node, OQ_ERR_SHAPE, "%s has too many axes", op);
    memcpy(axes, p->axes, p->n_axes * sizeof(int64_t));
    *n = p->n_axes;
    *given = p->has_axes;
    return OQ_OK;
  }
  if (!t) return OQ_OK;
  *given = 1;
  return oq_read_int_list(t, axes, OQ_MAX_DIMS, n, node, "axes", err);
}

/* Squeeze's output shape for x (only its shape is read) and the axes tensor t. */
static oq_status squeeze_dims(const axes_params *p, const char *node, const oq_tensor *x, const oq_tensor *t,
                              int64_t *dims, int32_t *nd_out, oq_error *err) {
  oq_status st = OQ_OK;
  int64_t axes[OQ_MAX_DIMS];
  size_t n;
  int given;
  OQ_CHECK(read_axes(p, node, t, "Squeeze", axes, &n, &given, err));
  int drop[OQ_MAX_DIMS] = {0};
  if (!given) {
    for (int32_t i = 0; i < x->ndim; i++) drop[i] = x->dims[i] == 1;
  }
  for (size_t k = 0; k < n; k++) {
    int64_t a;
    if (!oq_norm_axis(axes[k], x->ndim, &a))
      OQ_KFAIL(node, OQ_ERR_SHAPE, "Squeeze axis %lld out of range for rank %d", (long long)axes[k], (int)x->ndim);
    if (x->dims[a] != 1)
      OQ_KFAIL(node, OQ_ERR_SHAPE, "cannot squeeze axis %lld of extent %lld", (long long)axes[k],
               (long long)x->dims[a]);
    drop[a] = 1;
  }
  int32_t nd = 0;
  for (int32_t i = 0; i < x->ndim; i++)
    if (!drop[i]) dims[nd++] = x->dims[i];
  *nd_out = nd;
  return OQ_OK;
fail:
  return st;
}

/* Unsqueeze's output shape for x (only its shape is read) and the axes tensor t. */
static oq_status unsqueeze_dims(const axes_params *p, const char *node, const oq_tensor *x, const oq_tensor *t,
                                int64_t *dims, int32_t *nd_out, oq_error *err) {
  oq_status st = OQ_OK;
  int64_t axes[OQ_MAX_DIMS];
  size_t n;
  int given;
  OQ_CHECK(read_axes(p, node, t, "Unsqueeze", axes, &n, &given, err));
  if (!given) OQ_KFAIL(node, OQ_ERR_MODEL, "Unsqueeze needs axes");
  int64_t rank = x->ndim + (int64_t)n;
  if (rank > OQ_MAX_DIMS)
    OQ_KFAIL(node, OQ_ERR_UNSUPPORTED, "Unsqueeze result rank %lld exceeds %d", (long long)rank, OQ_MAX_DIMS);
  int ins[OQ_MAX_DIMS] = {0};
  for (size_t k = 0; k < n; k++) {
    int64_t a;
    if (!oq_norm_axis(axes[k], rank, &a))
      OQ_KFAIL(node, OQ_ERR_SHAPE, "Unsqueeze axis %lld out of range for rank %lld", (long long)axes[k],
               (long long)rank);
    if (ins[a]) OQ_KFAIL(node, OQ_ERR_SHAPE, "Unsqueeze axis %lld repeated", (long long)axes[k]);
    ins[a] = 1;
  }
  int32_t j = 0;
  for (int64_t i = 0; i < rank; i++) dims[i] = ins[i] ? 1 : x->dims[j++];
  *nd_out = (int32_t)rank;
  return OQ_OK;
fail:
  return st;
}

typedef oq_status (*axes_shape_fn)(const axes_params *p, const char *node, const oq_tensor *x, const oq_tensor *t,
                                   int64_t *dims, int32_t *nd_out, oq_error *err);

static oq_status axes_infer(axes_shape_fn fn, const void *params, const oq_shape_info *const *in, int32_t n_in,
                            oq_shape_info *out, oq_error *err) {
  const axes_params *p = params;
  const oq_shape_info *t = n_in > 1 ? in[1] : NULL;
  /* Unsqueeze only moves extents around, so unknown ones may pass; Squeeze checks them */
  int ok = fn == unsqueeze_dims ? in[0] && in[0]->dtype && in[0]->ndim >= 0 && in[0]->ndim <= OQ_MAX_DIMS
                                : oq_info_known(in[0]);
  if (!ok || (!(p && p->opset < 13) && t && !t->value)) return OQ_OK;
  oq_tensor x;
  oq_info_tensor(in[0], &x);
  int64_t dims[OQ_MAX_DIMS];
  int32_t nd;
  oq_status st = fn(p, "", &x, t ? t->value : NULL, dims, &nd, err);
  if (st == OQ_OK) oq_info_set(&out[0], x.dtype, nd, dims);
  return st;
}

oq_status oq_op_squeeze_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                              int32_t n_out, oq_error *err) {
  (void)n_out;
  return axes_infer(squeeze_dims, params, in, n_in, out, err);
}

oq_status oq_op_unsqueeze_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                                int32_t n_out, oq_error *err) {
  (void)n_out;
  return axes_infer(unsqueeze_dims, params, in, n_in, out, err);
}

static oq_status axes_exec(const oq_kernel_call *call, const char *op, axes_shape_fn fn, oq_error *err) {
  const oq_tensor *x;
  oq_status st = need_input(call, 0, op, &x, err);
  if (st != OQ_OK) return st;
  const axes_params *p = call->params;
  int64_t dims[OQ_MAX_DIMS];
  int32_t nd;
  st = fn(p, call->node_name, x, p && p->opset < 13 ? NULL : oq_kin(call, 1), dims, &nd, err);
  if (st != OQ_OK) return st;
  return oq_kout_bytes_of(call, 0, x, nd, dims, err);
}

oq_status oq_op_squeeze_exec(const oq_kernel_call *call, oq_error *err) {
  return axes_exec(call, "Squeeze", squeeze_dims, err);
}

oq_status oq_op_unsqueeze_exec(const oq_kernel_call *call, oq_error *err) {
  return axes_exec(call, "Unsqueeze", unsqueeze_dims, err);
}
