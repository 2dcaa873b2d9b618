/* Reductions: ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare (axes as an attribute before ReduceSum 13
 * and the others 18, as an input from then on, with noop_with_empty_axes) and ArgMax/ArgMin (select_last_index
 * from 12). Accumulation is in double for every numeric dtype, so float16/bfloat16 and the integer types share one
 * path; an empty reduction gives the identity of the op (0, 1, -inf, +inf; NaN for the mean). */
#include "kern/cpu.h"
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { R_SUM, R_MEAN, R_MAX, R_MIN, R_PROD, R_L1, R_L2, R_LOGSUM, R_LOGSUMEXP, R_SUMSQ, R_ARGMAX, R_ARGMIN };

typedef struct reduce_params {
  int32_t mode;              /* R_* */
  int32_t axes_input;        /* axes come from input 1 (ReduceSum >= 13, the others >= 18) */
  int64_t keepdims;          /* 1: reduced dims stay as 1 */
  int64_t noop_empty;        /* noop_with_empty_axes: no axes means identity instead of all */
  int64_t select_last;       /* ArgMax/ArgMin: the last index of ties */
  int32_t has_axes;          /* the axes attribute is present */
  int32_t n_axes;            /* entries of axes (attribute form), <= OQ_MAX_DIMS */
  int64_t axes[OQ_MAX_DIMS]; /* attribute axes as given; ArgMax/ArgMin: axes[0] is the axis */
} reduce_params;

static const struct {
  const char *op;
  int32_t mode;
  int32_t input_since; /* opset from which axes is an input (0: never) */
} k_reduce_ops[] = {
    {"ReduceSum", R_SUM, 13},         {"ReduceMean", R_MEAN, 18},     {"ReduceMax", R_MAX, 18},
    {"ReduceMin", R_MIN, 18},         {"ReduceProd", R_PROD, 18},     {"ReduceL1", R_L1, 18},
    {"ReduceL2", R_L2, 18},           {"ReduceLogSum", R_LOGSUM, 18}, {"ReduceLogSumExp", R_LOGSUMEXP, 18},
    {"ReduceSumSquare", R_SUMSQ, 18}, {"ArgMax", R_ARGMAX, 0},        {"ArgMin", R_ARGMIN, 0},
};

oq_status oq_op_reduce_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  const char *op = ctx->node->proto->op_type;
  int32_t mode = -1, input_since = 0;
  for (size_t i = 0; i < sizeof k_reduce_ops / sizeof k_reduce_ops[0]; i++)
    if (strcmp(op, k_reduce_ops[i].op) == 0) {
      mode = k_reduce_ops[i].mode;
      input_since = k_reduce_ops[i].input_since;
    }
  if (mode < 0) OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "reduce init bound to %s", op);
  reduce_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  p->mode = mode;
  p->axes_input = input_since && ctx->opset >= input_since;
  OQ_CHECK(oq_attr_int(ctx->node->proto, "keepdims", 1, &p->keepdims, err));
  OQ_CHECK(oq_attr_int(ctx->node->proto, "noop_with_empty_axes", 0, &p->noop_empty, err));
  OQ_CHECK(oq_attr_int(ctx->node->proto, "select_last_index", 0, &p->select_last, err));
  if (mode == R_ARGMAX || mode == R_ARGMIN) {
    OQ_CHECK(oq_attr_int(ctx->node->proto, "axis", 0, &p->axes[0], err));
    p->n_axes = 1;
    p->has_axes = 1;
  } else if (!p->axes_input) {
    const int64_t *ints = NULL;
    size_t n = 0;
    OQ_CHECK(oq_attr_ints(ctx->node->proto, "axes", &ints, &n, err));
    if (n > OQ_MAX_DIMS) OQ_FAIL(err, OQ_ERR_MODEL, "%s has %zu axes, at most %d", op, n, OQ_MAX_DIMS);
    p->has_axes = oq_attr_find(ctx->node->proto, "axes") != NULL;
    p->n_axes = (int32_t)n;
    if (n) memcpy(p->axes, ints, n * sizeof *ints);
  }
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

/* Marks the reduced dims of rank nd in red[]; *identity is 1 when the op is a no-op (empty axes with
 * noop_with_empty_axes). axes_t: the axes input (NULL when omitted). */
static oq_status reduced_dims(const reduce_params *p, int32_t nd, const oq_tensor *axes_t, int *red, int *identity,
                              oq_error *err) {
  int64_t axes[OQ_MAX_DIMS];
  size_t n = 0;
  *identity = 0;
  if (p->axes_input) {
    if (axes_t) {
      oq_status st = oq_read_int_list(axes_t, axes, OQ_MAX_DIMS, &n, "", "axes", err);
      if (st != OQ_OK) return st;
    }
  } else {
    n = (size_t)p->n_axes;
    memcpy(axes, p->axes, n * sizeof *axes);
  }
  for (int32_t i = 0; i < nd; i++) red[i] = 0;
  if (n == 0) {
    if (p->noop_empty) {
      *identity = 1;
      return OQ_OK;
    }
    for (int32_t i = 0; i < nd; i++) red[i] = 1;
    return OQ_OK;
  }
  for (size_t k = 0; k < n; k++) {
    int64_t a;
    if (!oq_norm_axis(axes[k], nd, &a))
      OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "axis %lld is out of range for rank %d", (long long)axes[k], (int)nd);
    red[a] = 1;
  }
  return OQ_OK;
}

static void out_shape(const reduce_params *p, int32_t nd, const int64_t *dims, const int *red, int identity,
                      int32_t *ond, int64_t *odims) {
  *ond = 0;
  for (int32_t i = 0; i < nd; i++) {
    if (identity || !red[i])
      odims[(*ond)++] = dims[i];
    else if (p->keepdims)
      odims[(*ond)++] = 1;
  }
}

oq_status oq_op_reduce_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                             int32_t n_out, oq_error *err) {
  const reduce_params *p = params;
  (void)n_out;
  if (!p || !in[0] || in[0]->ndim < 0 || in[0]->ndim > OQ_MAX_DIMS) return OQ_OK;
  const oq_tensor *axes_t = NULL;
  if (p->axes_input && n_in > 1 && in[1]) {
    if (!in[1]->value) return OQ_OK; /* axes known only at run time */
    axes_t = in[1]->value;
  }
  int red[OQ_MAX_DIMS], identity;
  if (reduced_dims(p, in[0]->ndim, axes_t, red, &identity, err) != OQ_OK) return OQ_OK; /* the kernel reports it */
  int32_t ond;
  int64_t odims[OQ_MAX_DIMS];
  out_shape(p, in[0]->ndim, in[0]->dims, red, identity, &ond, odims);
  int arg = p->mode == R_ARGMAX || p->mode == R_ARGMIN;
  oq_info_set(&out[0], arg ? OQ_DTYPE_INT64 : in[0]->dtype, ond, odims);
  return OQ_OK;
}

static double finish(int32_t mode, double acc, int64_t count) {
  switch (mode) {
  case R_MEAN: return acc / (double)count;
  case R_L2: return sqrt(acc);
  case R_LOGSUM:
  case R_LOGSUMEXP: return log(acc);
  default: return acc;
  }
}

static oq_status arg_exec(const oq_kernel_call *call, const reduce_params *p, const oq_tensor *x, oq_error *err) {
  oq_status st = OQ_OK;
  int64_t axis;
  int32_t nd = x->ndim;
  if (!oq_norm_axis(p->axes[0], nd, &axis))
    OQ_FAIL(err, OQ_ERR_SHAPE, "axis %lld is out of range for rank %d", (long long)p->axes[0], (int)nd);
  int64_t odims[OQ_MAX_DIMS];
  int32_t ond = 0;
  int64_t outer = 1, inner = 1, d = x->dims[axis];
  for (int32_t i = 0; i < nd; i++) {
    if (i != axis)
      odims[ond++] = x->dims[i];
    else if (p->keepdims)
      odims[ond++] = 1;
    if (i < axis) outer *= x->dims[i];
    if (i > axis) inner *= x->dims[i];
  }
  if (d == 0 && outer * inner > 0) OQ_FAIL(err, OQ_ERR_SHAPE, "cannot take the arg of an empty axis");
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_INT64, ond, odims, err));
  int64_t *y = call->outputs[0].data;
  int is_max = p->mode == R_ARGMAX;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      int64_t best = 0;
      double bv = oq_load_f64(x->data, x->dtype, o * d * inner + i);
      for (int64_t k = 1; k < d; k++) {
        double v = oq_load_f64(x->data, x->dtype, (o * d + k) * inner + i);
        int better = is_max ? (v > bv || (p->select_last && v == bv)) : (v < bv || (p->select_last && v == bv));
        if (better) {
          bv = v;
          best = k;
        }
      }
      y[o * inner + i] = best;
    }
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_reduce_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const reduce_params *p = call->params;
  const oq_tensor *x = call->inputs[0];
  if (!oq_dtype_is_numeric(x->dtype))
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "input has type %s, not a numeric type", oq_dtype_name(x->dtype));
  if (p->mode == R_ARGMAX || p->mode == R_ARGMIN) return arg_exec(call, p, x, err);
  int32_t nd = x->ndim;
  int red[OQ_MAX_DIMS], identity;
  OQ_CHECK(reduced_dims(p, nd, p->axes_input ? oq_kin(call, 1) : NULL, red, &identity, err));
  int32_t ond;
  int64_t odims[OQ_MAX_DIMS];
  out_shape(p, nd, x->dims, red, identity, &ond, odims);
  OQ_CHECK(oq_kout(call, 0, x->dtype, ond, odims, err));
  oq_tensor *y = &call->outputs[0];
  int64_t n_out = oq_tensor_numel(y), n_in = oq_tensor_numel(x);
  if (n_out == 0) return OQ_OK;
  if (identity) {
    memcpy(y->data, x->data, x->nbytes);
    return OQ_OK;
  }
  double *acc;
  size_t bytes;
  if (!oq_size_mul((size_t)n_out, sizeof(double), &bytes)) OQ_FAIL(err, OQ_ERR_NOMEM, "reduction too large");
  void *scratch;
  OQ_CHECK(oq_kscratch(call, bytes, &scratch, err));
  acc = scratch;
  double init = 0.0;
  if (p->mode == R_PROD) init = 1.0;
  if (p->mode == R_MAX) init = -INFINITY;
  if (p->mode == R_MIN) init = INFINITY;
  for (int64_t i = 0; i < n_out; i++) acc[i] = init;
  /* output stride of each input dim: 0 along reduced dims */
  int64_t ostr[OQ_MAX_DIMS], s = 1;
  for (int32_t i = nd - 1; i >= 0; i--) {
    ostr[i] = red[i] ? 0 : s;
    if (!red[i]) s *= x->dims[i];
  }
  int64_t count = n_out ? n_in / n_out : 0;
  /* float ReduceSum/ReduceMean over trailing axes only (GlobalAveragePool's shape, ShuffleNet's mean over H, W): each
   * output a contiguous row, summed by the SIMD level (kern/cpu.h oq_sum_d_fn) */
  int trailing = x->dtype == OQ_DTYPE_FLOAT && (p->mode == R_SUM || p->mode == R_MEAN) && nd > 0;
  for (int32_t i = 0, seen = 0; trailing && i < nd; i++) {
    if (red[i]) seen = 1;
    if (!red[i] && seen && x->dims[i] != 1) trailing = 0;
  }
  if (trailing) {
    oq_sum_d_fn sum = oq_simd_get()->sum_d;
    for (int64_t i = 0; i < n_out; i++) {
      /* an empty reduced extent: X may have no data at all (fuzz_run, UBSan: NULL + 0) */
      double v = finish(p->mode, count ? sum((const float *)x->data + i * count, (size_t)count) : 0.0, count);
      ((float *)y->data)[i] = (float)v;
    }
    return OQ_OK;
  }
  int64_t ctr[OQ_MAX_DIMS] = {0}, o = 0;
  int mode = p->mode;
  for (int64_t i = 0; i < n_in; i++) {
    double v = oq_load_f64(x->data, x->dtype, i);
    double *a = &acc[o];
    switch (mode) {
    case R_SUM:
    case R_MEAN:
    case R_LOGSUM: *a += v; break;
    case R_MAX:
      if (v > *a || v != v) *a = v;
      break;
    case R_MIN:
      if (v < *a || v != v) *a = v;
      break;
    case R_PROD: *a *= v; break;
    case R_L1: *a += fabs(v); break;
    case R_L2:
    case R_SUMSQ: *a += v * v; break;
    case R_LOGSUMEXP: *a += exp(v); break;
    default: break;
    }
    for (int32_t k = nd - 1; k >= 0; k--) {
      o += ostr[k];
      if (++ctr[k] < x->dims[k]) break;
      o -= ostr[k] * x->dims[k];
      ctr[k] = 0;
    }
  }
  for (int64_t i = 0; i < n_out; i++) {
    double v = finish(mode, acc[i], count);
    if (!oq_dtype_is_float(y->dtype)) v = mode == R_MEAN ? trunc(v) : v;
    oq_store_f64(y->data, y->dtype, i, v);
  }
  return OQ_OK;
fail:
  return st;
}

size_t oq_op_reduce_workspace(const void *params, const oq_shape_info *const *in, int32_t n_in, int32_t n_out,
                              int32_t threads) {
  const reduce_params *p = params;
  (void)n_out;
  (void)threads;
  if (!p || p->mode == R_ARGMAX || p->mode == R_ARGMIN || !oq_info_known(in[0])) return 0;
  const oq_tensor *axes_t = NULL;
  if (p->axes_input && n_in > 1 && in[1]) {
    if (!in[1]->value) return 0;
    axes_t = in[1]->value;
  }
  int red[OQ_MAX_DIMS], identity;
  oq_error e;
  if (reduced_dims(p, in[0]->ndim, axes_t, red, &identity, &e) != OQ_OK || identity) return 0;
  size_t n = 1;
  for (int32_t i = 0; i < in[0]->ndim; i++)
    if (!red[i] && !oq_size_mul(n, (size_t)in[0]->dims[i], &n)) return SIZE_MAX;
  return oq_size_mul(n, sizeof(double), &n) ? n : SIZE_MAX;
}
