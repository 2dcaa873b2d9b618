/* Data movement and shape kernels: Constant, ConstantOfShape, Transpose, Concat, Split, Slice, Gather, Expand,
 * Tile, Shape, Size, Cast, CastLike, Range (the view ops are reshape.c). Movement kernels work on any fixed-size
 * dtype by element size; outputs are copies into tensors the executor allocates. */
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

oq_status oq_op_constant_infer(const void *params, const oq_value_info *const *in, int32_t n_in, oq_value_info *out,
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

/* ---- Transpose ---- */

typedef struct transpose_params {
  int32_t has_perm;          /* the perm attribute is present (else: reverse the dims) */
  int32_t n_perm;            /* entries in perm, <= OQ_MAX_DIMS */
  int64_t perm[OQ_MAX_DIMS]; /* as given */
} transpose_params;

oq_status oq_op_transpose_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  const int64_t *perm = NULL;
  size_t n = 0;
  OQ_CHECK(oq_attr_ints(ctx->node->proto, "perm", &perm, &n, err));
  if (n > OQ_MAX_DIMS) OQ_KFAIL(oq_init_node_name(ctx), OQ_ERR_MODEL, "Transpose perm is too long");
  transpose_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  p->has_perm = oq_attr_find(ctx->node->proto, "perm") != NULL;
  p->n_perm = (int32_t)n;
  if (n) memcpy(p->perm, perm, n * sizeof *perm);
  *params = p;
  return OQ_OK;
fail:
  return st;
}

/* The permutation for rank nd: perm[i] is the input axis of output axis i. */
static oq_status transpose_perm(const transpose_params *p, const char *node, int32_t nd, int64_t *perm, oq_error *err) {
  int seen[OQ_MAX_DIMS] = {0};
  if (p && p->has_perm) {
    if (p->n_perm != nd)
      OQ_KRETURN(node, OQ_ERR_SHAPE, "Transpose perm has %zu entries for rank %d", (size_t)p->n_perm, (int)nd);
    for (int32_t i = 0; i < nd; i++) {
      int64_t a = p->perm[i];
      if (!oq_norm_axis(a, nd, &a) || seen[a])
        OQ_KRETURN(node, OQ_ERR_SHAPE, "Transpose perm is not a permutation of 0..%d", (int)nd - 1);
      seen[a] = 1;
      perm[i] = a;
    }
  } else {
    for (int32_t i = 0; i < nd; i++) perm[i] = nd - 1 - i;
  }
  return OQ_OK;
}

oq_status oq_op_transpose_infer(const void *params, const oq_value_info *const *in, int32_t n_in, oq_value_info *out,
                                int32_t n_out, oq_error *err) {
  (void)n_in;
  (void)n_out;
  if (!in[0] || in[0]->ndim < 0 || in[0]->ndim > OQ_MAX_DIMS) return OQ_OK;
  int64_t perm[OQ_MAX_DIMS], dims[OQ_MAX_DIMS];
  oq_status st = transpose_perm(params, "", in[0]->ndim, perm, err);
  if (st != OQ_OK) return st;
  for (int32_t i = 0; i < in[0]->ndim; i++) dims[i] = in[0]->dims[perm[i]];
  oq_info_set(&out[0], in[0]->dtype, in[0]->ndim, dims);
  return OQ_OK;
}

oq_status oq_op_transpose_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const char *node = call->node_name;
  const oq_tensor *x;
  oq_tensor *out = &call->outputs[0];
  OQ_CHECK(need_input(call, 0, "Transpose", &x, err));
  int32_t nd = x->ndim;
  int64_t perm[OQ_MAX_DIMS];
  OQ_CHECK(transpose_perm(call->params, node, nd, perm, err));
  int64_t in_str[OQ_MAX_DIMS], sstr[OQ_MAX_DIMS], dims[OQ_MAX_DIMS];
  contiguous_strides(nd, x->dims, in_str);
  for (int32_t i = 0; i < nd; i++) {
    dims[i] = x->dims[perm[i]];
    sstr[i] = in_str[perm[i]];
  }
  OQ_CHECK(oq_kout(call, 0, x->dtype, nd, dims, err));
  strided_copy(out->data, x->data, oq_dtype_size(x->dtype), nd, dims, sstr, 0);
  return OQ_OK;
fail:
  return st;
}

/* ---- Concat, Split ---- */

/* Concat and Gather: just an axis (default 0). */
typedef struct axis_params {
  int64_t axis; /* as given (may be negative) */
} axis_params;

static const oq_attr_field k_axis0_fields[] = {OQ_ATTR_INT(axis_params, axis, "axis", 0, -HUGE_VAL, HUGE_VAL)};
const oq_attr_spec oq_attrs_axis0 = {sizeof(axis_params), k_axis0_fields, 1};

oq_status oq_op_concat_infer(const void *params, const oq_value_info *const *in, int32_t n_in, oq_value_info *out,
                             int32_t n_out, oq_error *err) {
  (void)n_out;
  (void)err;
  const axis_params *p = params;
  int64_t axis, dims[OQ_MAX_DIMS];
  if (!oq_info_known(in[0]) || !oq_norm_axis(p ? p->axis : 0, in[0]->ndim, &axis)) return OQ_OK;
  memcpy(dims, in[0]->dims, sizeof dims);
  dims[axis] = 0;
  for (int32_t k = 0; k < n_in; k++) {
    if (!oq_info_known(in[k]) || in[k]->dtype != in[0]->dtype || in[k]->ndim != in[0]->ndim) return OQ_OK;
    for (int32_t i = 0; i < in[0]->ndim; i++)
      if (i != axis && in[k]->dims[i] != in[0]->dims[i]) return OQ_OK;
    dims[axis] += in[k]->dims[axis];
  }
  oq_info_set(&out[0], in[0]->dtype, in[0]->ndim, dims);
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

size_t oq_op_split_workspace(const void *params, const oq_value_info *const *in, int32_t n_in, int32_t n_out,
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

/* ---- Slice ---- */

typedef struct slice_params {
  int64_t opset;               /* < 10: starts/ends/axes are attributes (below), no steps */
  size_t n;                    /* entries in starts/ends/axes (opset < 10) */
  int64_t starts[OQ_MAX_DIMS]; /* as given */
  int64_t ends[OQ_MAX_DIMS];   /* as given */
  int64_t axes[OQ_MAX_DIMS];   /* as given, or 0..n-1 when the attribute is absent */
} slice_params;

oq_status oq_op_slice_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  slice_params *p = NULL;
  if (ctx->opset < 10) {
    const int64_t *s, *e, *a;
    size_t ns, ne, na;
    const char *node = oq_init_node_name(ctx);
    OQ_CHECK(oq_attr_ints(ctx->node->proto, "starts", &s, &ns, err));
    OQ_CHECK(oq_attr_ints(ctx->node->proto, "ends", &e, &ne, err));
    OQ_CHECK(oq_attr_ints(ctx->node->proto, "axes", &a, &na, err));
    if (ns != ne || (na && na != ns) || ns > OQ_MAX_DIMS)
      OQ_KFAIL(node, OQ_ERR_MODEL, "Slice starts/ends/axes lengths disagree (%zu, %zu, %zu)", ns, ne, na);
    p = oq_calloc(1, sizeof *p, err);
    if (!p) return OQ_ERR_NOMEM;
    p->n = ns;
    for (size_t i = 0; i < ns; i++) {
      p->starts[i] = s[i];
      p->ends[i] = e[i];
      p->axes[i] = na ? a[i] : (int64_t)i;
    }
  } else {
    p = oq_calloc(1, sizeof *p, err);
    if (!p) return OQ_ERR_NOMEM;
  }
  p->opset = ctx->opset;
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

oq_status oq_op_slice_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const slice_params *p = call->params;
  const char *node = call->node_name;
  const oq_tensor *x;
  oq_tensor *out = &call->outputs[0];
  OQ_CHECK(need_input(call, 0, "Slice", &x, err));
  int64_t starts[OQ_MAX_DIMS], ends[OQ_MAX_DIMS], axes[OQ_MAX_DIMS], steps[OQ_MAX_DIMS];
  size_t n = 0, n2 = 0;
  if (p && p->opset < 10) {
    n = p->n;
    for (size_t i = 0; i < n; i++) {
      starts[i] = p->starts[i];
      ends[i] = p->ends[i];
      axes[i] = p->axes[i];
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
  OQ_CHECK(oq_kout(call, 0, x->dtype, nd, dims, err));
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
  OQ_CHECK(oq_kout(call, 0, x->dtype, ondim, dims, err));
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
  OQ_CHECK(oq_kout(call, 0, x->dtype, x->ndim, dims, err));
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

oq_status oq_op_shape_infer(const void *params, const oq_value_info *const *in, int32_t n_in, oq_value_info *out,
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

oq_status oq_op_size_infer(const void *params, const oq_value_info *const *in, int32_t n_in, oq_value_info *out,
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

oq_status oq_op_cast_infer(const void *params, const oq_value_info *const *in, int32_t n_in, oq_value_info *out,
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
