/* Index and selection ops: Trilu, CumSum, TopK, OneHot, NonZero, Compress, EyeLike, ReverseSequence, Unique,
 * DepthToSpace, SpaceToDepth. Movement goes by element size (any fixed-size dtype); arithmetic (CumSum) and
 * comparisons (TopK, Unique) go through double, which is exact for the values these ops see in practice (integers
 * below 2^53). */
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct index_params {
  int64_t axis, upper, exclusive, reverse, largest, sorted, k, dtype, batch_axis, time_axis, blocksize;
  int32_t has_axis; /* Compress/Unique: the axis attribute is present */
  int32_t crd;      /* DepthToSpace mode CRD */
} index_params;

#define F(name, field, dflt) OQ_ATTR_INT(index_params, field, name, dflt, -HUGE_VAL, HUGE_VAL)
static const oq_attr_field k_trilu_fields[] = {F("upper", upper, 1)};
const oq_attr_spec oq_attrs_trilu = {sizeof(index_params), k_trilu_fields, 1, NULL};
static const oq_attr_field k_cumsum_fields[] = {F("exclusive", exclusive, 0), F("reverse", reverse, 0)};
const oq_attr_spec oq_attrs_cumsum = {sizeof(index_params), k_cumsum_fields, 2, NULL};
static const oq_attr_field k_topk_fields[] = {F("axis", axis, -1), F("largest", largest, 1), F("sorted", sorted, 1),
                                              F("k", k, -1)};
const oq_attr_spec oq_attrs_topk = {sizeof(index_params), k_topk_fields, 4, NULL};
static const oq_attr_field k_onehot_fields[] = {F("axis", axis, -1)};
const oq_attr_spec oq_attrs_onehot = {sizeof(index_params), k_onehot_fields, 1, NULL};
static const oq_attr_field k_eyelike_fields[] = {F("dtype", dtype, 0), F("k", k, 0)};
const oq_attr_spec oq_attrs_eyelike = {sizeof(index_params), k_eyelike_fields, 2, NULL};
static const oq_attr_field k_revseq_fields[] = {F("batch_axis", batch_axis, 1), F("time_axis", time_axis, 0)};
const oq_attr_spec oq_attrs_reverse_sequence = {sizeof(index_params), k_revseq_fields, 2, NULL};
static const oq_attr_field k_s2d_fields[] = {OQ_ATTR_INT(index_params, blocksize, "blocksize", 0, 1, 1e9)};
const oq_attr_spec oq_attrs_space_to_depth = {sizeof(index_params), k_s2d_fields, 1, NULL};
#undef F

/* Compress and Unique: axis optional (absent = flattened); Unique: sorted. */
oq_status oq_op_axis_opt_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  index_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  OQ_CHECK(oq_attr_int(ctx->node->proto, "axis", 0, &p->axis, err));
  OQ_CHECK(oq_attr_int(ctx->node->proto, "sorted", 1, &p->sorted, err));
  p->has_axis = oq_attr_find(ctx->node->proto, "axis") != NULL;
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

oq_status oq_op_depth_to_space_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  index_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  const char *mode = NULL;
  size_t len = 0;
  OQ_CHECK(oq_attr_int(ctx->node->proto, "blocksize", 0, &p->blocksize, err));
  if (p->blocksize < 1) OQ_FAIL(err, OQ_ERR_MODEL, "blocksize must be >= 1");
  OQ_CHECK(oq_attr_string(ctx->node->proto, "mode", "DCR", &mode, &len, err));
  if (len == 3 && memcmp(mode, "CRD", 3) == 0)
    p->crd = 1;
  else if (!(len == 3 && memcmp(mode, "DCR", 3) == 0))
    OQ_FAIL(err, OQ_ERR_MODEL, "mode '%.*s' is not DCR or CRD", (int)len, mode);
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

static unsigned char *at(const oq_tensor *t, int64_t i) {
  return (unsigned char *)t->data + (size_t)i * oq_dtype_size(t->dtype);
}

/* ---- Trilu ---- */

oq_status oq_op_trilu_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const index_params *p = call->params;
  const oq_tensor *x, *kt = oq_kin(call, 1);
  OQ_CHECK(oq_kin_fixed(call, 0, "Trilu", &x, err));
  if (x->ndim < 2) OQ_FAIL(err, OQ_ERR_SHAPE, "input must have rank >= 2");
  int64_t k = 0;
  if (kt) {
    if (oq_tensor_numel(kt) != 1) OQ_FAIL(err, OQ_ERR_SHAPE, "k must be a scalar");
    k = oq_load_i64(kt->data, kt->dtype, 0);
  }
  OQ_CHECK(oq_kout_bytes_of(call, 0, x, x->ndim, x->dims, err));
  oq_tensor *y = &call->outputs[0];
  int64_t r = x->dims[x->ndim - 2], c = x->dims[x->ndim - 1], n = oq_tensor_numel(x);
  size_t es = oq_dtype_size(x->dtype);
  for (int64_t e = 0; e < n; e++) {
    int64_t j = e % c, i = (e / c) % r;
    int keep = p->upper ? j - i >= k : j - i <= k;
    if (!keep) memset(at(y, e), 0, es);
  }
  return OQ_OK;
fail:
  return st;
}

/* ---- CumSum ---- */

oq_status oq_op_cumsum_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const index_params *p = call->params;
  const oq_tensor *x = call->inputs[0], *at_ = oq_kin(call, 1);
  if (!oq_dtype_is_numeric(x->dtype))
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "CumSum does not support %s", oq_dtype_name(x->dtype));
  if (!at_ || oq_tensor_numel(at_) != 1) OQ_FAIL(err, OQ_ERR_SHAPE, "axis must be a scalar");
  int64_t axis;
  if (!oq_norm_axis(oq_load_i64(at_->data, at_->dtype, 0), x->ndim, &axis))
    OQ_FAIL(err, OQ_ERR_SHAPE, "axis is out of range");
  OQ_CHECK(oq_kout(call, 0, x->dtype, x->ndim, x->dims, err));
  oq_tensor *y = &call->outputs[0];
  int64_t outer = 1, inner = 1, d = x->dims[axis];
  for (int32_t i = 0; i < x->ndim; i++) {
    if (i < axis) outer *= x->dims[i];
    if (i > axis) inner *= x->dims[i];
  }
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      double acc = 0;
      for (int64_t s = 0; s < d; s++) {
        int64_t kk = p->reverse ? d - 1 - s : s, e = (o * d + kk) * inner + i;
        double v = oq_load_f64(x->data, x->dtype, e);
        if (p->exclusive) {
          oq_store_f64(y->data, y->dtype, e, acc);
          acc += v;
        } else {
          acc += v;
          oq_store_f64(y->data, y->dtype, e, acc);
        }
      }
    }
  return OQ_OK;
fail:
  return st;
}

/* ---- TopK ---- */

typedef struct topk_item {
  double v;
  int64_t i;
} topk_item;

static int topk_desc(const void *a, const void *b) {
  const topk_item *x = a, *y = b;
  if (x->v != y->v) return x->v > y->v ? -1 : 1;
  return x->i < y->i ? -1 : x->i > y->i;
}
static int topk_asc(const void *a, const void *b) {
  const topk_item *x = a, *y = b;
  if (x->v != y->v) return x->v < y->v ? -1 : 1;
  return x->i < y->i ? -1 : x->i > y->i;
}

oq_status oq_op_topk_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const index_params *p = call->params;
  const oq_tensor *x = call->inputs[0], *kt = oq_kin(call, 1);
  if (!oq_dtype_is_numeric(x->dtype))
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "TopK does not support %s", oq_dtype_name(x->dtype));
  int64_t axis, k = p->k;
  if (kt) {
    if (oq_tensor_numel(kt) != 1) OQ_FAIL(err, OQ_ERR_SHAPE, "K must hold one value");
    k = oq_load_i64(kt->data, kt->dtype, 0);
  }
  if (!oq_norm_axis(p->axis, x->ndim, &axis)) OQ_FAIL(err, OQ_ERR_SHAPE, "axis is out of range");
  int64_t d = x->dims[axis];
  if (k < 0 || k > d)
    OQ_FAIL(err, OQ_ERR_SHAPE, "K = %lld is out of range for extent %lld", (long long)k, (long long)d);
  int64_t dims[OQ_MAX_DIMS];
  memcpy(dims, x->dims, sizeof dims);
  dims[axis] = k;
  OQ_CHECK(oq_kout(call, 0, x->dtype, x->ndim, dims, err));
  OQ_CHECK(oq_kout(call, 1, OQ_DTYPE_INT64, x->ndim, dims, err));
  int64_t outer = 1, inner = 1;
  for (int32_t i = 0; i < x->ndim; i++) {
    if (i < axis) outer *= x->dims[i];
    if (i > axis) inner *= x->dims[i];
  }
  if (d == 0 || k == 0 || outer * inner == 0) return OQ_OK;
  void *scratch;
  OQ_CHECK(oq_kscratch(call, (size_t)d * sizeof(topk_item), &scratch, err));
  topk_item *items = scratch;
  int64_t *yi = call->outputs[1].data;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      for (int64_t s = 0; s < d; s++) {
        items[s].v = oq_load_f64(x->data, x->dtype, (o * d + s) * inner + i);
        items[s].i = s;
      }
      qsort(items, (size_t)d, sizeof *items, p->largest ? topk_desc : topk_asc);
      for (int64_t s = 0; s < k; s++) {
        int64_t e = (o * k + s) * inner + i;
        memcpy(at(&call->outputs[0], e), at(x, (o * d + items[s].i) * inner + i), oq_dtype_size(x->dtype));
        yi[e] = items[s].i;
      }
    }
  return OQ_OK;
fail:
  return st;
}

/* ---- OneHot ---- */

oq_status oq_op_onehot_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const index_params *p = call->params;
  const oq_tensor *idx = call->inputs[0], *dt = call->inputs[1], *vals;
  OQ_CHECK(oq_kin_fixed(call, 2, "OneHot", &vals, err));
  if (!oq_dtype_is_numeric(idx->dtype) || !oq_dtype_is_numeric(dt->dtype))
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "indices and depth must be numeric");
  if (oq_tensor_numel(dt) != 1 || oq_tensor_numel(vals) != 2)
    OQ_FAIL(err, OQ_ERR_SHAPE, "depth must be a scalar and values hold 2");
  double depth_v = oq_load_f64(dt->data, dt->dtype, 0);
  if (!(depth_v >= 1 && depth_v <= 4.0e18)) OQ_FAIL(err, OQ_ERR_SHAPE, "depth must be >= 1 (and fit int64)");
  int64_t depth = (int64_t)depth_v;
  int32_t nd = idx->ndim + 1;
  if (nd > OQ_MAX_DIMS) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "result rank too large");
  int64_t axis;
  if (!oq_norm_axis(p->axis, nd, &axis)) OQ_FAIL(err, OQ_ERR_SHAPE, "axis is out of range");
  int64_t dims[OQ_MAX_DIMS], outer = 1, inner = 1;
  for (int32_t i = 0, j = 0; i < nd; i++) dims[i] = i == axis ? depth : idx->dims[j++];
  for (int32_t i = 0; i < idx->ndim; i++) {
    if (i < axis)
      outer *= idx->dims[i];
    else
      inner *= idx->dims[i];
  }
  OQ_CHECK(oq_kout(call, 0, vals->dtype, nd, dims, err));
  oq_tensor *y = &call->outputs[0];
  size_t es = oq_dtype_size(vals->dtype);
  for (int64_t o = 0; o < outer; o++)
    for (int64_t d = 0; d < depth; d++)
      for (int64_t i = 0; i < inner; i++) {
        double iv = oq_load_f64(idx->data, idx->dtype, o * inner + i); /* NaN or out of range: no hot entry */
        int64_t v = iv >= -(double)depth && iv < (double)depth ? (int64_t)iv : -1;
        if (v < 0 && iv < 0 && iv >= -(double)depth) v += depth;
        memcpy(at(y, (o * depth + d) * inner + i), at(vals, v == d ? 1 : 0), es);
      }
  return OQ_OK;
fail:
  return st;
}

/* ---- NonZero ---- */

oq_status oq_op_nonzero_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_tensor *x = call->inputs[0];
  if (!oq_dtype_is_numeric(x->dtype))
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "NonZero does not support %s", oq_dtype_name(x->dtype));
  int64_t n = oq_tensor_numel(x), nnz = 0;
  for (int64_t i = 0; i < n; i++) nnz += oq_load_f64(x->data, x->dtype, i) != 0.0;
  int64_t dims[2] = {x->ndim, nnz};
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_INT64, 2, dims, err));
  int64_t *y = call->outputs[0].data, j = 0;
  for (int64_t i = 0; i < n; i++) {
    if (oq_load_f64(x->data, x->dtype, i) == 0.0) continue;
    int64_t r = i;
    for (int32_t a = x->ndim - 1; a >= 0; a--) {
      y[a * nnz + j] = r % x->dims[a];
      r /= x->dims[a];
    }
    j++;
  }
  return OQ_OK;
fail:
  return st;
}

/* ---- Compress ---- */

oq_status oq_op_compress_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const index_params *p = call->params;
  const oq_tensor *x, *cond = call->inputs[1];
  OQ_CHECK(oq_kin_fixed(call, 0, "Compress", &x, err));
  if (cond->ndim != 1 || !oq_dtype_is_numeric(cond->dtype)) OQ_FAIL(err, OQ_ERR_SHAPE, "condition must be 1-D bool");
  int64_t outer = 1, inner = 1, d, axis = 0;
  int64_t dims[OQ_MAX_DIMS];
  int32_t nd;
  if (p->has_axis) {
    if (!oq_norm_axis(p->axis, x->ndim, &axis)) OQ_FAIL(err, OQ_ERR_SHAPE, "axis is out of range");
    d = x->dims[axis];
    for (int32_t i = 0; i < x->ndim; i++) {
      if (i < axis) outer *= x->dims[i];
      if (i > axis) inner *= x->dims[i];
    }
    nd = x->ndim;
    memcpy(dims, x->dims, sizeof dims);
  } else {
    d = oq_tensor_numel(x);
    nd = 1;
  }
  if (cond->dims[0] > d) OQ_FAIL(err, OQ_ERR_SHAPE, "condition is longer than the axis");
  int64_t kept = 0;
  for (int64_t i = 0; i < cond->dims[0]; i++) kept += oq_load_f64(cond->data, cond->dtype, i) != 0.0;
  dims[p->has_axis ? axis : 0] = kept;
  OQ_CHECK(oq_kout(call, 0, x->dtype, nd, dims, err));
  size_t block = (size_t)inner * oq_dtype_size(x->dtype);
  unsigned char *dst = call->outputs[0].data;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < cond->dims[0]; i++) {
      if (oq_load_f64(cond->data, cond->dtype, i) == 0.0) continue;
      memcpy(dst, at(x, (o * d + i) * inner), block);
      dst += block;
    }
  return OQ_OK;
fail:
  return st;
}

/* ---- EyeLike ---- */

oq_status oq_op_eyelike_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const index_params *p = call->params;
  const oq_tensor *x = call->inputs[0];
  int32_t dt = p->dtype ? (int32_t)p->dtype : x->dtype;
  if (x->ndim != 2 || !oq_dtype_is_numeric(dt))
    OQ_FAIL(err, OQ_ERR_SHAPE, "EyeLike needs a 2-D input and a numeric type");
  OQ_CHECK(oq_kout(call, 0, dt, 2, x->dims, err));
  memset(call->outputs[0].data, 0, call->outputs[0].nbytes);
  for (int64_t i = 0; i < x->dims[0]; i++) {
    int64_t j = i + p->k;
    if (j >= 0 && j < x->dims[1]) oq_store_f64(call->outputs[0].data, dt, i * x->dims[1] + j, 1.0);
  }
  return OQ_OK;
fail:
  return st;
}

/* ---- ReverseSequence ---- */

oq_status oq_op_reverse_sequence_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const index_params *p = call->params;
  const oq_tensor *x, *lens = call->inputs[1];
  OQ_CHECK(oq_kin_fixed(call, 0, "ReverseSequence", &x, err));
  int64_t ba = p->batch_axis, ta = p->time_axis;
  if (x->ndim < 2 || !oq_norm_axis(ba, x->ndim, &ba) || !oq_norm_axis(ta, x->ndim, &ta) || ba == ta || ba > 1 || ta > 1)
    OQ_FAIL(err, OQ_ERR_SHAPE, "batch_axis and time_axis must be 0 and 1");
  if (lens->ndim != 1 || lens->dims[0] != x->dims[ba])
    OQ_FAIL(err, OQ_ERR_SHAPE, "sequence_lens must have batch entries");
  OQ_CHECK(oq_kout_bytes_of(call, 0, x, x->ndim, x->dims, err));
  oq_tensor *y = &call->outputs[0];
  int64_t inner = 1, T = x->dims[ta];
  for (int32_t i = 2; i < x->ndim; i++) inner *= x->dims[i];
  size_t block = (size_t)inner * oq_dtype_size(x->dtype);
  for (int64_t b = 0; b < x->dims[ba]; b++) {
    int64_t len = oq_load_i64(lens->data, lens->dtype, b);
    if (len < 0 || len > T) OQ_FAIL(err, OQ_ERR_SHAPE, "sequence length %lld is out of range", (long long)len);
    for (int64_t t = 0; t < len; t++) {
      int64_t src = ta == 0 ? (len - 1 - t) * x->dims[1] + b : b * T + (len - 1 - t);
      int64_t dst = ta == 0 ? t * x->dims[1] + b : b * T + t;
      memcpy(at(y, dst * inner), at(x, src * inner), block);
    }
  }
  return OQ_OK;
fail:
  return st;
}

/* ---- Unique ---- */

typedef struct unique_ctx {
  const oq_tensor *x;
  int64_t inner, d, outer; /* slices along the axis: outer x [d] x inner */
} unique_ctx;

static int slice_cmp(const unique_ctx *u, int64_t a, int64_t b) {
  for (int64_t o = 0; o < u->outer; o++)
    for (int64_t i = 0; i < u->inner; i++) {
      double va = oq_load_f64(u->x->data, u->x->dtype, (o * u->d + a) * u->inner + i);
      double vb = oq_load_f64(u->x->data, u->x->dtype, (o * u->d + b) * u->inner + i);
      if (va != vb) return va < vb ? -1 : 1;
    }
  return 0;
}

oq_status oq_op_unique_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const index_params *p = call->params;
  const oq_tensor *x = call->inputs[0];
  if (!oq_dtype_is_numeric(x->dtype))
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "Unique does not support %s", oq_dtype_name(x->dtype));
  unique_ctx u = {x, 1, oq_tensor_numel(x), 1};
  int64_t axis = 0;
  if (p->has_axis) {
    if (!oq_norm_axis(p->axis, x->ndim, &axis)) OQ_FAIL(err, OQ_ERR_SHAPE, "axis is out of range");
    u.d = x->dims[axis];
    for (int32_t i = 0; i < x->ndim; i++) {
      if (i < axis) u.outer *= x->dims[i];
      if (i > axis) u.inner *= x->dims[i];
    }
  }
  int64_t d = u.d;
  size_t bytes;
  if (!oq_size_mul((size_t)d, 4 * sizeof(int64_t), &bytes)) OQ_FAIL(err, OQ_ERR_NOMEM, "input too large");
  void *scratch;
  OQ_CHECK(oq_kscratch(call, bytes ? bytes : 1, &scratch, err));
  int64_t *first = scratch, *inverse = first + d, *count = inverse + d, *order = count + d, nu = 0;
  /* first occurrences in input order; then sorted (insertion sort on the uniques) when asked */
  for (int64_t s = 0; s < d; s++) {
    int64_t k = 0;
    while (k < nu && slice_cmp(&u, first[k], s) != 0) k++;
    if (k == nu) {
      first[nu] = s;
      count[nu++] = 0;
    }
    count[k]++;
    inverse[s] = k;
  }
  for (int64_t k = 0; k < nu; k++) order[k] = k;
  if (p->sorted)
    for (int64_t a = 1; a < nu; a++)
      for (int64_t b = a; b > 0 && slice_cmp(&u, first[order[b - 1]], first[order[b]]) > 0; b--) {
        int64_t t = order[b];
        order[b] = order[b - 1];
        order[b - 1] = t;
      }
  int64_t dims[OQ_MAX_DIMS];
  int32_t nd = 1;
  if (p->has_axis) {
    memcpy(dims, x->dims, sizeof dims);
    dims[axis] = nu;
    nd = x->ndim;
  } else {
    dims[0] = nu;
  }
  OQ_CHECK(oq_kout(call, 0, x->dtype, nd, dims, err));
  size_t block = (size_t)u.inner * oq_dtype_size(x->dtype);
  /* an empty slice (a zero extent after the axis): nothing to copy, and Y may have no data (fuzz_run, UBSan) */
  for (int64_t o = 0; block && o < u.outer; o++)
    for (int64_t k = 0; k < nu; k++)
      memcpy(at(&call->outputs[0], (o * nu + k) * u.inner), at(x, (o * d + first[order[k]]) * u.inner), block);
  if (call->n_outputs > 1) {
    OQ_CHECK(oq_kout(call, 1, OQ_DTYPE_INT64, 1, &nu, err));
    for (int64_t k = 0; k < nu; k++) ((int64_t *)call->outputs[1].data)[k] = first[order[k]];
  }
  if (call->n_outputs > 2) {
    OQ_CHECK(oq_kout(call, 2, OQ_DTYPE_INT64, 1, &d, err));
    for (int64_t s = 0; s < d; s++) {
      int64_t k = 0;
      while (order[k] != inverse[s]) k++;
      ((int64_t *)call->outputs[2].data)[s] = k;
    }
  }
  if (call->n_outputs > 3) {
    OQ_CHECK(oq_kout(call, 3, OQ_DTYPE_INT64, 1, &nu, err));
    for (int64_t k = 0; k < nu; k++) ((int64_t *)call->outputs[3].data)[k] = count[order[k]];
  }
  return OQ_OK;
fail:
  return st;
}

/* ---- DepthToSpace / SpaceToDepth ---- */

static oq_status d2s(const oq_kernel_call *call, int to_space, oq_error *err) {
  oq_status st = OQ_OK;
  const index_params *p = call->params;
  const oq_tensor *x;
  OQ_CHECK(oq_kin_fixed(call, 0, to_space ? "DepthToSpace" : "SpaceToDepth", &x, err));
  if (x->ndim != 4) OQ_FAIL(err, OQ_ERR_SHAPE, "input must be 4-D");
  int64_t b = p->blocksize, N = x->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
  int64_t dims[4];
  if (to_space) {
    if (C % (b * b)) OQ_FAIL(err, OQ_ERR_SHAPE, "channels are not a multiple of blocksize^2");
    dims[0] = N, dims[1] = C / (b * b), dims[2] = H * b, dims[3] = W * b;
  } else {
    if (H % b || W % b) OQ_FAIL(err, OQ_ERR_SHAPE, "spatial dims are not multiples of blocksize");
    dims[0] = N, dims[1] = C * b * b, dims[2] = H / b, dims[3] = W / b;
  }
  OQ_CHECK(oq_kout(call, 0, x->dtype, 4, dims, err));
  size_t es = oq_dtype_size(x->dtype);
  /* walk the space-side tensor [N, c, H', W'] (c = small channel count) and find the depth-side element */
  const oq_tensor *sp = to_space ? &call->outputs[0] : x, *dp = to_space ? x : &call->outputs[0];
  int64_t c = sp->dims[1], Hs = sp->dims[2], Ws = sp->dims[3], Hd = dp->dims[2], Wd = dp->dims[3], Cd = dp->dims[1];
  for (int64_t n = 0; n < N; n++)
    for (int64_t ch = 0; ch < c; ch++)
      for (int64_t h = 0; h < Hs; h++)
        for (int64_t w = 0; w < Ws; w++) {
          int64_t bh = h % b, bw = w % b;
          int64_t cd = p->crd ? (ch * b + bh) * b + bw : (bh * b + bw) * c + ch;
          int64_t s = ((n * c + ch) * Hs + h) * Ws + w, dd = ((n * Cd + cd) * Hd + h / b) * Wd + w / b;
          if (to_space)
            memcpy(at(sp, s), at(dp, dd), es);
          else
            memcpy(at(dp, dd), at(sp, s), es);
        }
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_depth_to_space_exec(const oq_kernel_call *call, oq_error *err) { return d2s(call, 1, err); }
oq_status oq_op_space_to_depth_exec(const oq_kernel_call *call, oq_error *err) { return d2s(call, 0, err); }

/* ---- shape inference ---------------------------------------------------------------------------------------- */
/* Data-dependent extents (NonZero's count, Compress and Unique sizes, TopK's k from a non-constant input) stay
 * unknown (-1) while dtype and rank are given; everything else follows the kernels above. */

/* One integer of a constant input, or -1 when the input is not constant or holds not exactly one number. */
static int64_t const_int(const oq_shape_info *v) {
  if (!v || !v->value || !v->value->data || oq_tensor_numel(v->value) != 1 || !oq_dtype_is_numeric(v->value->dtype))
    return -1;
  double d = oq_load_f64(v->value->data, v->value->dtype, 0);
  return d >= 0 && d <= 4.0e18 ? (int64_t)d : -1;
}

oq_status oq_op_topk_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                           int32_t n_out, oq_error *err) {
  (void)n_out;
  const index_params *p = params;
  const oq_shape_info *x = in[0];
  out[0].dtype = x->dtype;
  out[1].dtype = OQ_DTYPE_INT64;
  if (x->ndim < 0) return OQ_OK;
  int64_t axis, k = n_in > 1 ? const_int(in[1]) : p->k;
  if (!oq_norm_axis(p->axis, x->ndim, &axis)) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "axis is out of range");
  if (k >= 0 && x->dims[axis] >= 0 && k > x->dims[axis])
    OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "K = %lld is out of range for extent %lld", (long long)k,
                  (long long)x->dims[axis]);
  int64_t dims[OQ_MAX_DIMS];
  memcpy(dims, x->dims, sizeof dims);
  dims[axis] = k;
  oq_info_set(&out[0], x->dtype, x->ndim, dims);
  oq_info_set(&out[1], OQ_DTYPE_INT64, x->ndim, dims);
  return OQ_OK;
}

oq_status oq_op_onehot_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                             int32_t n_out, oq_error *err) {
  (void)n_in;
  (void)n_out;
  const index_params *p = params;
  out[0].dtype = in[2]->dtype;
  if (in[0]->ndim < 0) return OQ_OK;
  int32_t nd = in[0]->ndim + 1;
  int64_t axis, dims[OQ_MAX_DIMS];
  if (nd > OQ_MAX_DIMS) OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "result rank too large");
  if (!oq_norm_axis(p->axis, nd, &axis)) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "axis is out of range");
  for (int32_t i = 0, j = 0; i < nd; i++) dims[i] = i == axis ? const_int(in[1]) : in[0]->dims[j++];
  oq_info_set(&out[0], in[2]->dtype, nd, dims);
  return OQ_OK;
}

oq_status oq_op_nonzero_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                              int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_in;
  (void)n_out;
  (void)err;
  int64_t dims[2] = {in[0]->ndim >= 0 ? in[0]->ndim : -1, -1}; /* the count of non-zeros is known at run time */
  oq_info_set(&out[0], OQ_DTYPE_INT64, 2, dims);
  return OQ_OK;
}

oq_status oq_op_compress_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                               int32_t n_out, oq_error *err) {
  (void)n_in;
  (void)n_out;
  const index_params *p = params;
  const oq_shape_info *x = in[0];
  out[0].dtype = x->dtype;
  int64_t dims[OQ_MAX_DIMS] = {-1};
  if (!p->has_axis) {
    oq_info_set(&out[0], x->dtype, 1, dims);
    return OQ_OK;
  }
  if (x->ndim < 0) return OQ_OK;
  int64_t axis;
  if (!oq_norm_axis(p->axis, x->ndim, &axis)) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "axis is out of range");
  memcpy(dims, x->dims, sizeof dims);
  dims[axis] = -1;
  oq_info_set(&out[0], x->dtype, x->ndim, dims);
  return OQ_OK;
}

oq_status oq_op_eyelike_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                              int32_t n_out, oq_error *err) {
  (void)n_in;
  (void)n_out;
  const index_params *p = params;
  int32_t dt = p->dtype ? (int32_t)p->dtype : in[0]->dtype;
  if (in[0]->ndim >= 0 && in[0]->ndim != 2) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "EyeLike needs a 2-D input");
  if (in[0]->ndim == 2)
    oq_info_set(&out[0], dt, 2, in[0]->dims);
  else
    out[0].dtype = dt;
  return OQ_OK;
}

oq_status oq_op_unique_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                             int32_t n_out, oq_error *err) {
  (void)n_in;
  const index_params *p = params;
  const oq_shape_info *x = in[0];
  int64_t dims[OQ_MAX_DIMS] = {-1}, d = -1;
  out[0].dtype = x->dtype;
  if (p->has_axis) {
    if (x->ndim >= 0) {
      int64_t axis;
      if (!oq_norm_axis(p->axis, x->ndim, &axis)) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "axis is out of range");
      memcpy(dims, x->dims, sizeof dims);
      d = dims[axis];
      dims[axis] = -1;
      oq_info_set(&out[0], x->dtype, x->ndim, dims);
    }
  } else {
    oq_info_set(&out[0], x->dtype, 1, dims);
    if (oq_info_known(x)) {
      d = 1;
      for (int32_t i = 0; i < x->ndim; i++) d *= x->dims[i];
    }
  }
  int64_t unknown = -1;
  /* indices and counts have one entry per unique slice; inverse_indices one per input slice */
  for (int32_t j = 1; j < n_out; j++) oq_info_set(&out[j], OQ_DTYPE_INT64, 1, j == 2 ? &d : &unknown);
  return OQ_OK;
}

static int64_t mul_or_unknown(int64_t d, int64_t b) { return d >= 0 && d <= INT64_MAX / b ? d * b : -1; }

static oq_status d2s_infer(const index_params *p, const oq_shape_info *const *in, oq_shape_info *out, oq_error *err,
                           int to_space) {
  const oq_shape_info *x = in[0];
  out[0].dtype = x->dtype;
  if (x->ndim < 0) return OQ_OK;
  if (x->ndim != 4) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "input must be 4-D");
  int64_t b = p->blocksize, dims[4] = {x->dims[0], -1, -1, -1};
  if (to_space) {
    if (x->dims[1] >= 0 && x->dims[1] % (b * b))
      OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "channels are not a multiple of blocksize^2");
    dims[1] = x->dims[1] >= 0 ? x->dims[1] / (b * b) : -1;
    dims[2] = mul_or_unknown(x->dims[2], b);
    dims[3] = mul_or_unknown(x->dims[3], b);
  } else {
    if ((x->dims[2] >= 0 && x->dims[2] % b) || (x->dims[3] >= 0 && x->dims[3] % b))
      OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "spatial dims are not multiples of blocksize");
    dims[1] = mul_or_unknown(x->dims[1], b * b);
    dims[2] = x->dims[2] >= 0 ? x->dims[2] / b : -1;
    dims[3] = x->dims[3] >= 0 ? x->dims[3] / b : -1;
  }
  oq_info_set(&out[0], x->dtype, 4, dims);
  return OQ_OK;
}

oq_status oq_op_depth_to_space_infer(const void *params, const oq_shape_info *const *in, int32_t n_in,
                                     oq_shape_info *out, int32_t n_out, oq_error *err) {
  (void)n_in;
  (void)n_out;
  return d2s_infer(params, in, out, err, 1);
}

oq_status oq_op_space_to_depth_infer(const void *params, const oq_shape_info *const *in, int32_t n_in,
                                     oq_shape_info *out, int32_t n_out, oq_error *err) {
  (void)n_in;
  (void)n_out;
  return d2s_infer(params, in, out, err, 0);
}
