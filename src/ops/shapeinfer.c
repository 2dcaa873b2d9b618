/* Shape inference for rows whose kernel files carry no infer function yet (constant.c, slice.c, cast.c, gather.c,
 * math.c, resize.c, pad.c): what needs only the inputs (and constant inputs) is computed here; what depends on a
 * node attribute held in a kernel's private params (Slice 1 starts/ends, Pad 2 pads, ConstantOfShape's value type,
 * Resize's axes and aspect policy, GatherND's batch_dims) is left unknown, so these stay exact but partial. Belongs
 * next to the kernels once their files are free to change. */
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* The values of a constant 1-D (or scalar) integer input, or 0 when it is not constant or too long. */
static size_t const_ints(const oq_shape_info *v, int64_t *out, size_t cap) {
  if (!v || !v->value || !v->value->data) return 0;
  const oq_tensor *t = v->value;
  if (t->ndim > 1 || (t->dtype != OQ_DTYPE_INT64 && t->dtype != OQ_DTYPE_INT32)) return 0;
  int64_t n = oq_tensor_numel(t);
  if (n < 1 || (size_t)n > cap) return 0;
  for (int64_t i = 0; i < n; i++) out[i] = oq_load_i64(t->data, t->dtype, i);
  return (size_t)n;
}

/* Output 0 with x's dtype and rank, extents unknown. */
static void same_rank(const oq_shape_info *x, oq_shape_info *out) {
  out->dtype = x->dtype;
  if (x->ndim < 0) return;
  int64_t dims[OQ_MAX_DIMS];
  for (int32_t i = 0; i < x->ndim; i++) dims[i] = -1;
  oq_info_set(out, x->dtype, x->ndim, dims);
}

/* x's dtype and rank, extents unknown: Slice 1, Resize, Upsample, GatherND (dtype only) */
oq_status oq_op_same_rank_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                                int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_in;
  (void)n_out;
  (void)err;
  same_rank(in[0], &out[0]);
  return OQ_OK;
}

oq_status oq_op_dtype_only_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                                 int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_in;
  (void)n_out;
  (void)err;
  out[0].dtype = in[0]->dtype;
  return OQ_OK;
}

oq_status oq_op_cast_like_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                                int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_in;
  (void)n_out;
  (void)err;
  if (in[0]->ndim >= 0)
    oq_info_set(&out[0], in[1]->dtype, in[0]->ndim, in[0]->dims);
  else
    out[0].dtype = in[1]->dtype;
  return OQ_OK;
}

oq_status oq_op_det_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                          int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_in;
  (void)n_out;
  out[0].dtype = in[0]->dtype;
  if (in[0]->ndim < 0) return OQ_OK;
  if (in[0]->ndim < 2) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "Det needs rank >= 2");
  oq_info_set(&out[0], in[0]->dtype, in[0]->ndim - 2, in[0]->dims);
  return OQ_OK;
}

/* Range: 1-D; its length when start, limit and delta are constants: max(ceil((limit - start) / delta), 0). */
oq_status oq_op_range_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                            int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_in;
  (void)n_out;
  (void)err;
  int64_t n = -1;
  const oq_tensor *s = in[0]->value, *l = in[1]->value, *d = in[2]->value;
  if (s && l && d && s->data && l->data && d->data && oq_tensor_numel(s) == 1 && oq_tensor_numel(l) == 1 &&
      oq_tensor_numel(d) == 1 && oq_dtype_is_numeric(s->dtype) && s->dtype == l->dtype && s->dtype == d->dtype) {
    double a = oq_load_f64(s->data, s->dtype, 0), b = oq_load_f64(l->data, l->dtype, 0),
           st = oq_load_f64(d->data, d->dtype, 0);
    /* integer ranges in double are exact below 2^53; beyond, the count is left to the kernel */
    double c = st != 0 ? ceil((b - a) / st) : NAN;
    if (c <= 0)
      n = 0;
    else if (c < 9.0e15)
      n = (int64_t)c;
  }
  oq_info_set(&out[0], in[0]->dtype, 1, &n);
  return OQ_OK;
}

/* Expand: numpy broadcast of x's shape and the constant shape input. */
oq_status oq_op_expand_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                             int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_in;
  (void)n_out;
  const oq_shape_info *x = in[0];
  int64_t shape[OQ_MAX_DIMS], dims[OQ_MAX_DIMS];
  size_t ns = const_ints(in[1], shape, OQ_MAX_DIMS);
  out[0].dtype = x->dtype;
  if (x->ndim < 0 || (ns == 0 && !(in[1]->value && oq_tensor_numel(in[1]->value) == 0))) return OQ_OK;
  int32_t nd = x->ndim > (int32_t)ns ? x->ndim : (int32_t)ns;
  for (int32_t i = 0; i < nd; i++) {
    int32_t ix = i - (nd - x->ndim), is = i - (nd - (int32_t)ns);
    int64_t a = ix >= 0 ? x->dims[ix] : 1, b = is >= 0 ? shape[is] : 1;
    if (b < 0) return OQ_OK; /* the kernel refuses it */
    if (a >= 0 && a != 1 && b != 1 && a != b)
      OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "shape %lld does not broadcast with %lld", (long long)b, (long long)a);
    dims[i] = a == 1 ? b : b == 1 ? a : a;
  }
  oq_info_set(&out[0], x->dtype, nd, dims);
  return OQ_OK;
}

/* Tile: each extent times its constant repeat. */
oq_status oq_op_tile_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                           int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_in;
  (void)n_out;
  (void)err;
  const oq_shape_info *x = in[0];
  same_rank(x, &out[0]);
  int64_t rep[OQ_MAX_DIMS], dims[OQ_MAX_DIMS];
  if (x->ndim < 1 || const_ints(in[1], rep, OQ_MAX_DIMS) != (size_t)x->ndim) return OQ_OK;
  for (int32_t i = 0; i < x->ndim; i++) {
    int64_t d = x->dims[i], r = rep[i];
    dims[i] = d >= 0 && r >= 0 && (r == 0 || d <= INT64_MAX / r) ? d * r : -1;
  }
  oq_info_set(&out[0], x->dtype, x->ndim, dims);
  return OQ_OK;
}

/* Extent of one sliced axis of extent d (ONNX Slice's clamping, any step but 0), or -1. */
static int64_t slice_len(int64_t d, int64_t s, int64_t e, int64_t step) {
  if (d < 0 || step == 0) return -1;
  if (s < 0) s += d;
  if (e < 0) e += d;
  if (step > 0) {
    s = s < 0 ? 0 : s > d ? d : s;
    e = e < 0 ? 0 : e > d ? d : e;
    return e > s ? (e - s - 1) / step + 1 : 0;
  }
  if (d == 0) return 0;
  s = s < 0 ? 0 : s > d - 1 ? d - 1 : s; /* negative steps clamp starts into [0, d-1], ends into [-1, d-1] */
  e = e < -1 ? -1 : e > d - 1 ? d - 1 : e;
  return s > e ? (s - e - 1) / (step == INT64_MIN ? INT64_MAX : -step) + 1 : 0;
}

/* Slice 10+: extents of the sliced axes when starts, ends (and axes, steps when given) are constants. */
oq_status oq_op_slice_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                            int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_out;
  (void)err;
  const oq_shape_info *x = in[0];
  same_rank(x, &out[0]);
  if (x->ndim < 1 || n_in < 3) return OQ_OK;
  int64_t st[OQ_MAX_DIMS], en[OQ_MAX_DIMS], ax[OQ_MAX_DIMS], sp[OQ_MAX_DIMS], dims[OQ_MAX_DIMS];
  size_t n = const_ints(in[1], st, OQ_MAX_DIMS);
  if (n == 0 || const_ints(in[2], en, OQ_MAX_DIMS) != n) return OQ_OK;
  if (n_in > 3 && in[3]) {
    if (const_ints(in[3], ax, OQ_MAX_DIMS) != n) return OQ_OK;
  } else {
    for (size_t i = 0; i < n; i++) ax[i] = (int64_t)i;
  }
  if (n_in > 4 && in[4]) {
    if (const_ints(in[4], sp, OQ_MAX_DIMS) != n) return OQ_OK;
  } else {
    for (size_t i = 0; i < n; i++) sp[i] = 1;
  }
  memcpy(dims, x->dims, sizeof dims);
  int seen[OQ_MAX_DIMS] = {0};
  for (size_t i = 0; i < n; i++) {
    int64_t a;
    if (!oq_norm_axis(ax[i], x->ndim, &a) || seen[a]) return OQ_OK; /* the kernel refuses it */
    seen[a] = 1;
    dims[a] = slice_len(x->dims[a], st[i], en[i], sp[i]);
  }
  oq_info_set(&out[0], x->dtype, x->ndim, dims);
  return OQ_OK;
}

/* Pad 11+: each extent plus its constant begin and end pads (on the constant axes at 18). */
oq_status oq_op_pad_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                          int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_out;
  (void)err;
  const oq_shape_info *x = in[0];
  same_rank(x, &out[0]);
  if (x->ndim < 1 || n_in < 2 || !in[1]) return OQ_OK;
  int64_t pads[2 * OQ_MAX_DIMS], ax[OQ_MAX_DIMS], dims[OQ_MAX_DIMS];
  size_t np = const_ints(in[1], pads, 2 * OQ_MAX_DIMS), na = (size_t)x->ndim;
  if (n_in > 3 && in[3]) {
    na = const_ints(in[3], ax, OQ_MAX_DIMS);
    if (na == 0) return OQ_OK;
  } else {
    for (int32_t i = 0; i < x->ndim; i++) ax[i] = i;
  }
  if (np != 2 * na) return OQ_OK;
  memcpy(dims, x->dims, sizeof dims);
  for (size_t i = 0; i < na; i++) {
    int64_t a, pb = pads[i], pe = pads[na + i];
    if (!oq_norm_axis(ax[i], x->ndim, &a)) return OQ_OK;
    int64_t d = x->dims[a];
    int ok = d >= 0 && pb > -((int64_t)1 << 60) && pb < ((int64_t)1 << 60) && pe > -((int64_t)1 << 60) &&
             pe < ((int64_t)1 << 60) && d < ((int64_t)1 << 61);
    dims[a] = ok && d + pb + pe >= 0 ? d + pb + pe : -1;
  }
  oq_info_set(&out[0], x->dtype, x->ndim, dims);
  return OQ_OK;
}

/* ConstantOfShape: the extents of the constant shape input (the value's dtype is the kernel's). */
oq_status oq_op_constant_of_shape_infer(const void *params, const oq_shape_info *const *in, int32_t n_in,
                                        oq_shape_info *out, int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_in;
  (void)n_out;
  (void)err;
  int64_t dims[OQ_MAX_DIMS];
  size_t n = const_ints(in[0], dims, OQ_MAX_DIMS);
  if (n == 0) return OQ_OK;
  for (size_t i = 0; i < n; i++)
    if (dims[i] < 0) return OQ_OK;
  oq_info_set(&out[0], 0, (int32_t)n, dims);
  return OQ_OK;
}
