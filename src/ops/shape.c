/* Data movement and shape kernels: Identity, Dropout, Constant, ConstantOfShape, Flatten, Reshape, Squeeze,
 * Unsqueeze, Transpose, Concat, Split, Slice, Gather, Expand, Tile, Shape, Size, Cast, CastLike, Range.
 * Movement kernels work on any fixed-size dtype by element size; outputs are always copies (no views). */
#include "ops/broadcast.h"
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Element-size generic row copy: n elements from src with stride sstep (elements) to contiguous dst. */
static void copy_elems(unsigned char *dst, const unsigned char *src, size_t es, int64_t n, int64_t sstep) {
  if (sstep == 1) {
    memcpy(dst, src, (size_t)n * es);
    return;
  }
  switch (es) {
  case 1:
    for (int64_t i = 0; i < n; i++) dst[i] = src[i * sstep];
    break;
  case 2: {
    uint16_t *d = (uint16_t *)(void *)dst;
    const uint16_t *s = (const uint16_t *)(const void *)src;
    for (int64_t i = 0; i < n; i++) d[i] = s[i * sstep];
    break;
  }
  case 4: {
    uint32_t *d = (uint32_t *)(void *)dst;
    const uint32_t *s = (const uint32_t *)(const void *)src;
    for (int64_t i = 0; i < n; i++) d[i] = s[i * sstep];
    break;
  }
  case 8: {
    uint64_t *d = (uint64_t *)(void *)dst;
    const uint64_t *s = (const uint64_t *)(const void *)src;
    for (int64_t i = 0; i < n; i++) d[i] = s[i * sstep];
    break;
  }
  default:
    for (int64_t i = 0; i < n; i++) memcpy(dst + (size_t)i * es, src + (ptrdiff_t)(i * sstep) * (ptrdiff_t)es, es);
  }
}

/* dst (contiguous, shape dims) = src elements at base + sum(idx[i] * sstr[i]); strides may be negative. */
static void strided_copy(unsigned char *dst, const unsigned char *src, size_t es, int32_t nd, const int64_t *dims,
                         const int64_t *sstr, int64_t base) {
  int64_t total = 1;
  for (int32_t i = 0; i < nd; i++) total *= dims[i];
  if (total == 0) return;
  if (nd == 0) {
    memcpy(dst, src + (size_t)base * es, es);
    return;
  }
  int64_t inner = dims[nd - 1], istep = sstr[nd - 1], off = base;
  int64_t idx[OQ_MAX_DIMS] = {0};
  for (int64_t r = 0; r < total / inner; r++) {
    copy_elems(dst + (size_t)(r * inner) * es, src + (ptrdiff_t)off * (ptrdiff_t)es, es, inner, istep);
    for (int32_t i = nd - 2; i >= 0; i--) {
      idx[i]++;
      off += sstr[i];
      if (idx[i] < dims[i]) break;
      off -= sstr[i] * dims[i];
      idx[i] = 0;
    }
  }
}

static void contiguous_strides(int32_t nd, const int64_t *dims, int64_t *str) {
  int64_t acc = 1;
  for (int32_t i = nd - 1; i >= 0; i--) {
    str[i] = acc;
    acc *= dims[i];
  }
}

/* Requires an input with a fixed-size dtype. */
static oq_status need_input(const oq_kernel_call *call, int32_t i, const char *op, const oq_tensor **out,
                            oq_error *err) {
  const oq_tensor *t = oq_kin(call, i);
  if (!t) OQ_KRETURN(call->node_name, OQ_ERR_MODEL, "%s input %d is missing", op, (int)i);
  if (oq_dtype_size(t->dtype) == 0)
    OQ_KRETURN(call->node_name, OQ_ERR_UNSUPPORTED, "%s does not support %s tensors", op, oq_dtype_name(t->dtype));
  *out = t;
  return OQ_OK;
}

/* ---- Identity, Dropout ---- */

oq_status oq_op_identity_exec(const oq_kernel_call *call, oq_error *err) {
  const oq_tensor *x;
  oq_status st = need_input(call, 0, "Identity", &x, err);
  if (st != OQ_OK) return st;
  return oq_tensor_copy_reshaped(x, x->ndim, x->dims, &call->outputs[0], err);
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
  st = oq_tensor_copy_reshaped(x, x->ndim, x->dims, &call->outputs[0], err);
  if (st != OQ_OK || call->n_outputs < 2) return st;
  st = oq_tensor_alloc(&call->outputs[1], OQ_DTYPE_BOOL, x->ndim, x->dims, err);
  if (st != OQ_OK) {
    oq_tensor_release(&call->outputs[0]);
    return st;
  }
  if (call->outputs[1].nbytes) memset(call->outputs[1].data, 1, call->outputs[1].nbytes);
  return OQ_OK;
}

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

/* Decodes the Constant's one value attribute through the typed accessors (which also accept old files that
 * omit the attribute's type field). */
static oq_status const_from_attr(const oq_op_init_ctx *ctx, const char *name, oq_tensor *out, oq_error *err) {
  const Onnx__NodeProto *np = ctx->node->proto;
  oq_status st = OQ_OK;
  int64_t dims[1] = {0};
  if (strcmp(name, "value") == 0) {
    const Onnx__TensorProto *t;
    OQ_CHECK(oq_attr_tensor(np, name, &t, err));
    return oq_model_tensor_decode(ctx->model, t, out, err);
  }
  if (strcmp(name, "value_float") == 0 || strcmp(name, "value_int") == 0) {
    int is_float = name[6] == 'f';
    OQ_CHECK(oq_tensor_alloc(out, is_float ? OQ_DTYPE_FLOAT : OQ_DTYPE_INT64, 0, dims, err));
    if (is_float)
      OQ_CHECK(oq_attr_float(np, name, 0, (float *)out->data, err));
    else
      OQ_CHECK(oq_attr_int(np, name, 0, (int64_t *)out->data, err));
    return OQ_OK;
  }
  if (strcmp(name, "value_floats") == 0) {
    const float *v;
    size_t n;
    OQ_CHECK(oq_attr_floats(np, name, &v, &n, err));
    dims[0] = (int64_t)n;
    OQ_CHECK(oq_tensor_alloc(out, OQ_DTYPE_FLOAT, 1, dims, err));
    if (n) memcpy(out->data, v, n * sizeof *v);
    return OQ_OK;
  }
  if (strcmp(name, "value_ints") == 0) {
    const int64_t *v;
    size_t n;
    OQ_CHECK(oq_attr_ints(np, name, &v, &n, err));
    dims[0] = (int64_t)n;
    OQ_CHECK(oq_tensor_alloc(out, OQ_DTYPE_INT64, 1, dims, err));
    if (n) memcpy(out->data, v, n * sizeof *v);
    return OQ_OK;
  }
  OQ_KFAIL(oq_init_node_name(ctx), OQ_ERR_UNSUPPORTED, "Constant attribute '%s' is not supported", name);
fail:
  oq_tensor_release(out);
  return st;
}

oq_status oq_op_constant_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  const char *node = oq_init_node_name(ctx);
  const Onnx__NodeProto *np = ctx->node->proto;
  oq_tensor v = {0};
  if (np->n_attribute != 1 || !np->attribute[0] || !np->attribute[0]->name)
    OQ_KFAIL(node, OQ_ERR_MODEL, "Constant needs exactly one value attribute, has %zu", np->n_attribute);
  const Onnx__AttributeProto *a = np->attribute[0];
  OQ_CHECK(const_from_attr(ctx, a->name, &v, err));
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

oq_status oq_op_constant_exec(const oq_kernel_call *call, oq_error *err) {
  const const_params *p = call->params;
  if (!p) OQ_KRETURN(call->node_name, OQ_ERR_INTERNAL, "Constant without parameters");
  return oq_tensor_copy_reshaped(&p->value, p->value.ndim, p->value.dims, &call->outputs[0], err);
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
  } else {
    int64_t one = 1;
    OQ_CHECK(oq_tensor_alloc(&v, OQ_DTYPE_FLOAT, 1, &one, err));
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
  OQ_CHECK(oq_tensor_alloc(out, p->value.dtype, (int32_t)nd, dims, err));
  size_t es = oq_dtype_size(out->dtype);
  unsigned char *d = out->data;
  for (size_t off = 0; off < out->nbytes; off += es) memcpy(d + off, p->value.data, es);
  return OQ_OK;
fail:
  return st;
}

/* ---- Flatten, Reshape, Squeeze, Unsqueeze ---- */

typedef struct axis_params {
  int64_t axis;    /* Flatten/Concat/Gather/Split axis, as given */
  int64_t flag;    /* Reshape allowzero; Cast target dtype; Shape start */
  int64_t end;     /* Shape end */
  int32_t has_end; /* Shape: end given */
  int64_t opset;   /* opset of the node's domain */
  size_t n_ints;   /* entries in ints */
  int64_t ints[];  /* Transpose perm / (Un)Squeeze axes / Split sizes / Slice-1 starts,ends,axes */
} axis_params;

static oq_status axis_params_new(const oq_op_init_ctx *ctx, const char *ints_name, axis_params **out, oq_error *err) {
  const int64_t *ints = NULL;
  size_t n = 0;
  if (ints_name) {
    oq_status st = oq_attr_ints(ctx->node->proto, ints_name, &ints, &n, err);
    if (st != OQ_OK) return st;
  }
  size_t bytes;
  if (!oq_size_mul(n, sizeof(int64_t), &bytes) || !oq_size_add(bytes, sizeof(axis_params), &bytes))
    OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "attribute too large");
  axis_params *p = oq_calloc(1, bytes, err);
  if (!p) return OQ_ERR_NOMEM;
  p->opset = ctx->opset;
  p->n_ints = n;
  if (n) memcpy(p->ints, ints, n * sizeof(int64_t));
  *out = p;
  return OQ_OK;
}

/* Params holding just an `axis` attribute with the given default (Flatten: 1, Concat/Split...: 0). */
static oq_status axis_init_with_default(const oq_op_init_ctx *ctx, int64_t dflt, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  axis_params *p = NULL;
  OQ_CHECK(axis_params_new(ctx, NULL, &p, err));
  OQ_CHECK(oq_attr_int(ctx->node->proto, "axis", dflt, &p->axis, err));
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

oq_status oq_op_flatten_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  return axis_init_with_default(ctx, 1, params, err);
}

oq_status oq_op_flatten_exec(const oq_kernel_call *call, oq_error *err) {
  const axis_params *p = call->params;
  const oq_tensor *x;
  oq_status st = need_input(call, 0, "Flatten", &x, err);
  if (st != OQ_OK) return st;
  int64_t axis;
  int64_t raw = p ? p->axis : 1;
  /* axis in [-r, r]; negative counts from the back like other axes (-1 -> r - 1) */
  axis = raw < 0 ? raw + x->ndim : raw;
  if (axis < 0 || axis > x->ndim)
    OQ_KRETURN(call->node_name, OQ_ERR_SHAPE, "Flatten axis %lld out of range for rank %d", (long long)raw,
               (int)x->ndim);
  int64_t dims[2] = {1, 1};
  for (int32_t i = 0; i < x->ndim; i++) dims[i < axis ? 0 : 1] *= x->dims[i];
  return oq_tensor_copy_reshaped(x, 2, dims, &call->outputs[0], err);
}

oq_status oq_op_reshape_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  axis_params *p = NULL;
  OQ_CHECK(axis_params_new(ctx, NULL, &p, err));
  OQ_CHECK(oq_attr_int(ctx->node->proto, "allowzero", 0, &p->flag, err));
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

oq_status oq_op_reshape_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const axis_params *p = call->params;
  const char *node = call->node_name;
  const oq_tensor *x, *shape = oq_kin(call, 1);
  char b1[160], b2[160];
  OQ_CHECK(need_input(call, 0, "Reshape", &x, err));
  if (!shape) OQ_KFAIL(node, OQ_ERR_MODEL, "Reshape needs its shape input");
  int64_t dims[OQ_MAX_DIMS];
  size_t nd;
  OQ_CHECK(oq_read_int_list(shape, dims, OQ_MAX_DIMS, &nd, node, "Reshape shape", err));
  int allowzero = p && p->flag;
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
  return oq_tensor_copy_reshaped(x, (int32_t)nd, dims, &call->outputs[0], err);
fail:
  return st;
}

oq_status oq_op_axes_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  axis_params *p = NULL;
  /* Squeeze/Unsqueeze: axes is an attribute before opset 13, an input from 13 */
  OQ_CHECK(axis_params_new(ctx, ctx->opset < 13 ? "axes" : NULL, &p, err));
  p->flag = ctx->opset < 13 ? oq_attr_find(ctx->node->proto, "axes") != NULL : 0;
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

/* Axes from the attribute (opset < 13) or input 1; *given is 0 when neither is present. */
static oq_status read_axes(const oq_kernel_call *call, const char *op, int64_t *axes, size_t *n, int *given,
                           oq_error *err) {
  const axis_params *p = call->params;
  *n = 0;
  *given = 0;
  if (p && p->opset < 13) {
    if (p->n_ints > OQ_MAX_DIMS) OQ_KRETURN(call->node_name, OQ_ERR_SHAPE, "%s has too many axes", op);
    memcpy(axes, p->ints, p->n_ints * sizeof(int64_t));
    *n = p->n_ints;
    *given = (int)p->flag;
    return OQ_OK;
  }
  const oq_tensor *t = oq_kin(call, 1);
  if (!t) return OQ_OK;
  *given = 1;
  return oq_read_int_list(t, axes, OQ_MAX_DIMS, n, call->node_name, "axes", err);
}

oq_status oq_op_squeeze_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const char *node = call->node_name;
  const oq_tensor *x;
  OQ_CHECK(need_input(call, 0, "Squeeze", &x, err));
  int64_t axes[OQ_MAX_DIMS];
  size_t n;
  int given;
  OQ_CHECK(read_axes(call, "Squeeze", axes, &n, &given, err));
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
  int64_t dims[OQ_MAX_DIMS];
  int32_t nd = 0;
  for (int32_t i = 0; i < x->ndim; i++)
    if (!drop[i]) dims[nd++] = x->dims[i];
  return oq_tensor_copy_reshaped(x, nd, dims, &call->outputs[0], err);
fail:
  return st;
}

oq_status oq_op_unsqueeze_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const char *node = call->node_name;
  const oq_tensor *x;
  OQ_CHECK(need_input(call, 0, "Unsqueeze", &x, err));
  int64_t axes[OQ_MAX_DIMS];
  size_t n;
  int given;
  OQ_CHECK(read_axes(call, "Unsqueeze", axes, &n, &given, err));
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
  int64_t dims[OQ_MAX_DIMS];
  int32_t j = 0;
  for (int64_t i = 0; i < rank; i++) dims[i] = ins[i] ? 1 : x->dims[j++];
  return oq_tensor_copy_reshaped(x, (int32_t)rank, dims, &call->outputs[0], err);
fail:
  return st;
}

/* ---- Transpose ---- */

oq_status oq_op_transpose_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  axis_params *p = NULL;
  OQ_CHECK(axis_params_new(ctx, "perm", &p, err));
  p->flag = oq_attr_find(ctx->node->proto, "perm") != NULL;
  if (p->n_ints > OQ_MAX_DIMS) OQ_KFAIL(oq_init_node_name(ctx), OQ_ERR_MODEL, "Transpose perm is too long");
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

oq_status oq_op_transpose_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const axis_params *p = call->params;
  const char *node = call->node_name;
  const oq_tensor *x;
  oq_tensor *out = &call->outputs[0];
  OQ_CHECK(need_input(call, 0, "Transpose", &x, err));
  int32_t nd = x->ndim;
  int64_t perm[OQ_MAX_DIMS];
  int seen[OQ_MAX_DIMS] = {0};
  if (p && p->flag) {
    if ((int32_t)p->n_ints != nd)
      OQ_KFAIL(node, OQ_ERR_SHAPE, "Transpose perm has %zu entries for rank %d", p->n_ints, (int)nd);
    for (int32_t i = 0; i < nd; i++) {
      int64_t a = p->ints[i];
      if (!oq_norm_axis(a, nd, &a) || seen[a])
        OQ_KFAIL(node, OQ_ERR_SHAPE, "Transpose perm is not a permutation of 0..%d", (int)nd - 1);
      seen[a] = 1;
      perm[i] = a;
    }
  } else {
    for (int32_t i = 0; i < nd; i++) perm[i] = nd - 1 - i;
  }
  int64_t in_str[OQ_MAX_DIMS], sstr[OQ_MAX_DIMS], dims[OQ_MAX_DIMS];
  contiguous_strides(nd, x->dims, in_str);
  for (int32_t i = 0; i < nd; i++) {
    dims[i] = x->dims[perm[i]];
    sstr[i] = in_str[perm[i]];
  }
  OQ_CHECK(oq_tensor_alloc(out, x->dtype, nd, dims, err));
  strided_copy(out->data, x->data, oq_dtype_size(x->dtype), nd, dims, sstr, 0);
  return OQ_OK;
fail:
  return st;
}

/* ---- Concat, Split ---- */

oq_status oq_op_axis_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  return axis_init_with_default(ctx, 0, params, err);
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
  OQ_CHECK(oq_tensor_alloc(out, x0->dtype, x0->ndim, dims, err));
  /* an empty result may still have huge outer extents ([2^40, 0]): do not loop over them */
  if (out->nbytes == 0) return OQ_OK;
  size_t es = oq_dtype_size(x0->dtype);
  int64_t outer = 1, inner = 1;
  for (int32_t i = 0; i < x0->ndim; i++) {
    if (i < axis) outer *= dims[i];
    if (i > axis) inner *= dims[i];
  }
  unsigned char *d = out->data;
  size_t pos = 0;
  for (int64_t o = 0; o < outer; o++) {
    for (int32_t k = 0; k < call->n_inputs; k++) {
      const oq_tensor *t = call->inputs[k];
      size_t block = (size_t)(t->dims[axis] * inner) * es;
      if (block) memcpy(d + pos, (const unsigned char *)t->data + (size_t)o * block, block);
      pos += block;
    }
  }
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_split_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  axis_params *p = NULL;
  OQ_CHECK(axis_params_new(ctx, ctx->opset < 13 ? "split" : NULL, &p, err));
  OQ_CHECK(oq_attr_int(ctx->node->proto, "axis", 0, &p->axis, err));
  OQ_CHECK(oq_attr_int(ctx->node->proto, "num_outputs", 0, &p->end, err));
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

oq_status oq_op_split_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const axis_params *p = call->params;
  const char *node = call->node_name;
  const oq_tensor *x;
  int64_t *sizes = NULL;
  int32_t nout = call->n_outputs;
  OQ_CHECK(need_input(call, 0, "Split", &x, err));
  int64_t axis, raw = p ? p->axis : 0;
  if (!oq_norm_axis(raw, x->ndim, &axis))
    OQ_KFAIL(node, OQ_ERR_SHAPE, "Split axis %lld out of range for rank %d", (long long)raw, (int)x->ndim);
  if (nout < 1) OQ_KFAIL(node, OQ_ERR_MODEL, "Split has no outputs");
  sizes = oq_calloc((size_t)nout, sizeof *sizes, err);
  if (!sizes) OQ_FAIL(err, OQ_ERR_NOMEM, "node '%s': out of memory", node ? node : "");
  int64_t d = x->dims[axis];
  const oq_tensor *split = oq_kin(call, 1);
  const int64_t *given = NULL;
  size_t n_given = 0;
  if (p && p->opset < 13 && p->n_ints) {
    given = p->ints;
    n_given = p->n_ints;
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
    OQ_CHECK(oq_tensor_alloc(&call->outputs[k], x->dtype, x->ndim, dims, err));
    size_t block = (size_t)(sizes[k] * inner) * es, row = (size_t)(d * inner) * es;
    unsigned char *dst = call->outputs[k].data;
    for (int64_t o = 0; o < outer && block; o++)
      memcpy(dst + (size_t)o * block, (const unsigned char *)x->data + (size_t)o * row + (size_t)(start * inner) * es,
             block);
    start += sizes[k];
  }
  free(sizes);
  return OQ_OK;
fail:
  for (int32_t k = 0; k < nout; k++) oq_tensor_release(&call->outputs[k]);
  free(sizes);
  return st;
}

/* ---- Slice ---- */

oq_status oq_op_slice_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  axis_params *p = NULL;
  if (ctx->opset >= 10) {
    OQ_CHECK(axis_params_new(ctx, NULL, &p, err));
    *params = p;
    return OQ_OK;
  }
  /* opset 1: starts, ends, axes attributes packed into ints as [starts | ends | axes] */
  const int64_t *s, *e, *a;
  size_t ns, ne, na;
  const char *node = oq_init_node_name(ctx);
  OQ_CHECK(oq_attr_ints(ctx->node->proto, "starts", &s, &ns, err));
  OQ_CHECK(oq_attr_ints(ctx->node->proto, "ends", &e, &ne, err));
  OQ_CHECK(oq_attr_ints(ctx->node->proto, "axes", &a, &na, err));
  if (ns != ne || (na && na != ns) || ns > OQ_MAX_DIMS)
    OQ_KFAIL(node, OQ_ERR_MODEL, "Slice starts/ends/axes lengths disagree (%zu, %zu, %zu)", ns, ne, na);
  p = oq_calloc(1, sizeof *p + 3 * OQ_MAX_DIMS * sizeof(int64_t), err);
  if (!p) return OQ_ERR_NOMEM;
  p->opset = ctx->opset;
  p->n_ints = ns;
  p->flag = na != 0;
  for (size_t i = 0; i < ns; i++) {
    p->ints[i] = s[i];
    p->ints[OQ_MAX_DIMS + i] = e[i];
    p->ints[2 * OQ_MAX_DIMS + i] = na ? a[i] : (int64_t)i;
  }
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

oq_status oq_op_slice_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const axis_params *p = call->params;
  const char *node = call->node_name;
  const oq_tensor *x;
  oq_tensor *out = &call->outputs[0];
  OQ_CHECK(need_input(call, 0, "Slice", &x, err));
  int64_t starts[OQ_MAX_DIMS], ends[OQ_MAX_DIMS], axes[OQ_MAX_DIMS], steps[OQ_MAX_DIMS];
  size_t n = 0, n2 = 0;
  if (p && p->opset < 10) {
    n = p->n_ints;
    for (size_t i = 0; i < n; i++) {
      starts[i] = p->ints[i];
      ends[i] = p->ints[OQ_MAX_DIMS + i];
      axes[i] = p->ints[2 * OQ_MAX_DIMS + i];
      steps[i] = 1;
    }
  } else {
    const oq_tensor *ts = oq_kin(call, 1), *te = oq_kin(call, 2), *ta = oq_kin(call, 3), *tp = oq_kin(call, 4);
    if (!ts || !te) OQ_KFAIL(node, OQ_ERR_MODEL, "Slice needs starts and ends");
    OQ_CHECK(oq_read_int_list(ts, starts, OQ_MAX_DIMS, &n, node, "Slice starts", err));
    OQ_CHECK(oq_read_int_list(te, ends, OQ_MAX_DIMS, &n2, node, "Slice ends", err));
    if (n2 != n) OQ_KFAIL(node, OQ_ERR_SHAPE, "Slice starts and ends differ in length (%zu, %zu)", n, n2);
    if (ta) {
      OQ_CHECK(oq_read_int_list(ta, axes, OQ_MAX_DIMS, &n2, node, "Slice axes", err));
      if (n2 != n) OQ_KFAIL(node, OQ_ERR_SHAPE, "Slice axes has %zu entries, starts %zu", n2, n);
    } else {
      for (size_t i = 0; i < n; i++) axes[i] = (int64_t)i;
    }
    if (tp) {
      OQ_CHECK(oq_read_int_list(tp, steps, OQ_MAX_DIMS, &n2, node, "Slice steps", err));
      if (n2 != n) OQ_KFAIL(node, OQ_ERR_SHAPE, "Slice steps has %zu entries, starts %zu", n2, n);
    } else {
      for (size_t i = 0; i < n; i++) steps[i] = 1;
    }
  }
  int32_t nd = x->ndim;
  int64_t dims[OQ_MAX_DIMS], in_str[OQ_MAX_DIMS], sstr[OQ_MAX_DIMS], base = 0;
  int64_t st_[OQ_MAX_DIMS], sp_[OQ_MAX_DIMS];
  int seen[OQ_MAX_DIMS] = {0};
  contiguous_strides(nd, x->dims, in_str);
  for (int32_t i = 0; i < nd; i++) {
    dims[i] = x->dims[i];
    st_[i] = 0;
    sp_[i] = 1;
  }
  for (size_t k = 0; k < n; k++) {
    int64_t a;
    if (!oq_norm_axis(axes[k], nd, &a))
      OQ_KFAIL(node, OQ_ERR_SHAPE, "Slice axis %lld out of range for rank %d", (long long)axes[k], (int)nd);
    if (seen[a]) OQ_KFAIL(node, OQ_ERR_SHAPE, "Slice axis %lld repeated", (long long)axes[k]);
    seen[a] = 1;
    int64_t d = x->dims[a], step = steps[k], s = starts[k], e = ends[k];
    if (step == 0) OQ_KFAIL(node, OQ_ERR_SHAPE, "Slice step is 0");
    /* |step| beyond the extent selects at most one element; clamping keeps the arithmetic in range */
    int64_t lim = d > 0 ? d : 1;
    if (step > lim) step = lim;
    if (step < -lim) step = -lim;
    if (s < 0) s += d;
    if (e < 0) e += d;
    int64_t cnt;
    if (step > 0) {
      s = s < 0 ? 0 : (s > d ? d : s);
      e = e < 0 ? 0 : (e > d ? d : e);
      cnt = e > s ? (e - s + step - 1) / step : 0;
    } else {
      s = s < 0 ? -1 : (s > d - 1 ? d - 1 : s);
      e = e < -1 ? -1 : (e > d - 1 ? d - 1 : e);
      cnt = s > e ? (s - e + (-step) - 1) / (-step) : 0;
    }
    dims[a] = cnt;
    st_[a] = cnt > 0 ? s : 0;
    sp_[a] = step;
  }
  for (int32_t i = 0; i < nd; i++) {
    sstr[i] = in_str[i] * sp_[i];
    base += st_[i] * in_str[i];
  }
  OQ_CHECK(oq_tensor_alloc(out, x->dtype, nd, dims, err));
  strided_copy(out->data, x->data, oq_dtype_size(x->dtype), nd, dims, sstr, base);
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
  OQ_CHECK(oq_tensor_alloc(out, x->dtype, nd, dims, err));
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

/* ---- Expand, Tile ---- */

oq_status oq_op_expand_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const char *node = call->node_name;
  const oq_tensor *x, *shape = oq_kin(call, 1);
  oq_tensor *out = &call->outputs[0];
  OQ_CHECK(need_input(call, 0, "Expand", &x, err));
  if (!shape) OQ_KFAIL(node, OQ_ERR_MODEL, "Expand needs its shape input");
  oq_tensor target = {0};
  size_t nd;
  OQ_CHECK(oq_read_int_list(shape, target.dims, OQ_MAX_DIMS, &nd, node, "Expand shape", err));
  target.ndim = (int32_t)nd;
  for (size_t i = 0; i < nd; i++)
    if (target.dims[i] < 0)
      OQ_KFAIL(node, OQ_ERR_SHAPE, "Expand shape has negative extent %lld", (long long)target.dims[i]);
  const oq_tensor *ins[2] = {x, &target};
  int32_t ondim;
  int64_t dims[OQ_MAX_DIMS];
  OQ_CHECK(oq_bcast_shape(ins, 2, &ondim, dims, node, err));
  OQ_CHECK(oq_tensor_alloc(out, x->dtype, ondim, dims, err));
  oq_bcast_copy(x, out);
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_tile_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const char *node = call->node_name;
  const oq_tensor *x, *rep = oq_kin(call, 1);
  oq_tensor *out = &call->outputs[0];
  OQ_CHECK(need_input(call, 0, "Tile", &x, err));
  if (!rep) OQ_KFAIL(node, OQ_ERR_MODEL, "Tile needs repeats");
  int64_t r[OQ_MAX_DIMS], dims[OQ_MAX_DIMS];
  size_t n;
  OQ_CHECK(oq_read_int_list(rep, r, OQ_MAX_DIMS, &n, node, "Tile repeats", err));
  if ((int32_t)n != x->ndim) OQ_KFAIL(node, OQ_ERR_SHAPE, "Tile repeats has %zu entries for rank %d", n, (int)x->ndim);
  for (int32_t i = 0; i < x->ndim; i++) {
    if (r[i] < 0) OQ_KFAIL(node, OQ_ERR_SHAPE, "Tile repeat %lld is negative", (long long)r[i]);
    if (r[i] != 0 && x->dims[i] > INT64_MAX / r[i]) OQ_KFAIL(node, OQ_ERR_SHAPE, "Tile result too large");
    dims[i] = x->dims[i] * r[i];
  }
  OQ_CHECK(oq_tensor_alloc(out, x->dtype, x->ndim, dims, err));
  int64_t total = oq_tensor_numel(out);
  size_t es = oq_dtype_size(x->dtype);
  int64_t in_str[OQ_MAX_DIMS], idx[OQ_MAX_DIMS] = {0};
  contiguous_strides(x->ndim, x->dims, in_str);
  unsigned char *dst = out->data;
  for (int64_t e = 0; e < total; e++) {
    int64_t off = 0;
    for (int32_t i = 0; i < x->ndim; i++) off += (idx[i] % x->dims[i]) * in_str[i];
    memcpy(dst + (size_t)e * es, (const unsigned char *)x->data + (size_t)off * es, es);
    for (int32_t i = x->ndim - 1; i >= 0; i--) {
      if (++idx[i] < dims[i]) break;
      idx[i] = 0;
    }
  }
  return OQ_OK;
fail:
  return st;
}

/* ---- Shape, Size ---- */

oq_status oq_op_shape_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  axis_params *p = NULL;
  OQ_CHECK(axis_params_new(ctx, NULL, &p, err));
  OQ_CHECK(oq_attr_int(ctx->node->proto, "start", 0, &p->flag, err));
  p->has_end = oq_attr_find(ctx->node->proto, "end") != NULL;
  OQ_CHECK(oq_attr_int(ctx->node->proto, "end", 0, &p->end, err));
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

oq_status oq_op_shape_exec(const oq_kernel_call *call, oq_error *err) {
  const axis_params *p = call->params;
  const oq_tensor *x = oq_kin(call, 0);
  if (!x) OQ_KRETURN(call->node_name, OQ_ERR_MODEL, "Shape needs an input");
  int64_t r = x->ndim, s = p ? p->flag : 0, e = (p && p->has_end) ? p->end : r;
  if (s < 0) s += r;
  if (e < 0) e += r;
  s = s < 0 ? 0 : (s > r ? r : s);
  e = e < 0 ? 0 : (e > r ? r : e);
  int64_t n = e > s ? e - s : 0;
  oq_status st = oq_tensor_alloc(&call->outputs[0], OQ_DTYPE_INT64, 1, &n, err);
  if (st != OQ_OK) return st;
  for (int64_t i = 0; i < n; i++) ((int64_t *)call->outputs[0].data)[i] = x->dims[s + i];
  return OQ_OK;
}

oq_status oq_op_size_exec(const oq_kernel_call *call, oq_error *err) {
  const oq_tensor *x = oq_kin(call, 0);
  if (!x) OQ_KRETURN(call->node_name, OQ_ERR_MODEL, "Size needs an input");
  oq_status st = oq_tensor_alloc(&call->outputs[0], OQ_DTYPE_INT64, 0, NULL, err);
  if (st != OQ_OK) return st;
  ((int64_t *)call->outputs[0].data)[0] = oq_tensor_numel(x);
  return OQ_OK;
}

/* ---- Cast, CastLike ---- */

oq_status oq_op_cast_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  axis_params *p = NULL;
  OQ_CHECK(axis_params_new(ctx, NULL, &p, err));
  if (!oq_attr_find(ctx->node->proto, "to")) OQ_KFAIL(oq_init_node_name(ctx), OQ_ERR_MODEL, "Cast needs 'to'");
  OQ_CHECK(oq_attr_int(ctx->node->proto, "to", 0, &p->flag, err));
  if (!oq_dtype_is_numeric((int32_t)p->flag) || p->flag != (int32_t)p->flag)
    OQ_KFAIL(oq_init_node_name(ctx), OQ_ERR_UNSUPPORTED, "Cast to %s is not supported",
             oq_dtype_name((int32_t)p->flag));
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

static oq_status cast_to(const oq_kernel_call *call, const oq_tensor *x, int32_t to, oq_error *err) {
  if (!oq_dtype_is_numeric(x->dtype) || !oq_dtype_is_numeric(to))
    OQ_KRETURN(call->node_name, OQ_ERR_UNSUPPORTED, "Cast from %s to %s is not supported", oq_dtype_name(x->dtype),
               oq_dtype_name(to));
  oq_tensor *out = &call->outputs[0];
  oq_status st = oq_tensor_alloc(out, to, x->ndim, x->dims, err);
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
  const axis_params *p = call->params;
  const oq_tensor *x = oq_kin(call, 0);
  if (!x || !p) OQ_KRETURN(call->node_name, OQ_ERR_MODEL, "Cast needs an input and 'to'");
  return cast_to(call, x, (int32_t)p->flag, err);
}

oq_status oq_op_cast_like_exec(const oq_kernel_call *call, oq_error *err) {
  const oq_tensor *x = oq_kin(call, 0), *like = oq_kin(call, 1);
  if (!x || !like) OQ_KRETURN(call->node_name, OQ_ERR_MODEL, "CastLike needs two inputs");
  return cast_to(call, x, like->dtype, err);
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
    OQ_CHECK(oq_tensor_alloc(out, dt, 1, &n, err));
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
    OQ_CHECK(oq_tensor_alloc(out, dt, 1, &n, err));
    for (int64_t i = 0; i < n; i++) oq_store_i64(out->data, dt, i, (int64_t)((uint64_t)s + (uint64_t)i * (uint64_t)d));
  }
  return OQ_OK;
fail:
  return st;
}
