/* Normalizations over statistics of the input: LayerNormalization (with its optional Mean / InvStdDev outputs),
 * GroupNormalization (scale per group at 18, per channel at 21: told apart by the scale's length),
 * InstanceNormalization, MeanVarianceNormalization, LpNormalization and LRN. Statistics accumulate in double;
 * float16/double inputs go through the generic element access, float32 through a direct path. */
#include "kern/cpu.h"
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include "core/pool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct normx_params {
  int64_t axis;            /* LayerNormalization / LpNormalization axis */
  float epsilon;           /* LayerNormalization, GroupNormalization, InstanceNormalization */
  int64_t num_groups;      /* GroupNormalization */
  int64_t p;               /* LpNormalization order (1 or 2) */
  float alpha, beta, bias; /* LRN */
  int64_t size;            /* LRN */
  int32_t n_axes;          /* MeanVarianceNormalization axes */
  int64_t axes[OQ_MAX_DIMS];
} normx_params;

static const oq_attr_field k_ln_fields[] = {
    OQ_ATTR_INT(normx_params, axis, "axis", -1, -HUGE_VAL, HUGE_VAL),
    OQ_ATTR_FLOAT(normx_params, epsilon, "epsilon", 1e-5f),
};
const oq_attr_spec oq_attrs_layer_norm = {sizeof(normx_params), k_ln_fields, 2, NULL};
static const oq_attr_field k_gn_fields[] = {
    OQ_ATTR_INT(normx_params, num_groups, "num_groups", 0, 1, HUGE_VAL),
    OQ_ATTR_FLOAT(normx_params, epsilon, "epsilon", 1e-5f),
};
const oq_attr_spec oq_attrs_group_norm = {sizeof(normx_params), k_gn_fields, 2, NULL};
static const oq_attr_field k_in_fields[] = {OQ_ATTR_FLOAT(normx_params, epsilon, "epsilon", 1e-5f)};
const oq_attr_spec oq_attrs_instance_norm = {sizeof(normx_params), k_in_fields, 1, NULL};
static const oq_attr_field k_lp_fields[] = {
    OQ_ATTR_INT(normx_params, axis, "axis", -1, -HUGE_VAL, HUGE_VAL),
    OQ_ATTR_INT(normx_params, p, "p", 2, 1, 2),
};
const oq_attr_spec oq_attrs_lp_norm = {sizeof(normx_params), k_lp_fields, 2, NULL};
static const oq_attr_field k_lrn_fields[] = {
    OQ_ATTR_FLOAT(normx_params, alpha, "alpha", 1e-4f),
    OQ_ATTR_FLOAT(normx_params, beta, "beta", 0.75f),
    OQ_ATTR_FLOAT(normx_params, bias, "bias", 1.0f),
    OQ_ATTR_INT(normx_params, size, "size", 1, 1, HUGE_VAL),
};
const oq_attr_spec oq_attrs_lrn = {sizeof(normx_params), k_lrn_fields, 4, NULL};

oq_status oq_op_mvn_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  normx_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  const int64_t *ints = NULL;
  size_t n = 0;
  OQ_CHECK(oq_attr_ints(ctx->node->proto, "axes", &ints, &n, err));
  if (n > OQ_MAX_DIMS) OQ_FAIL(err, OQ_ERR_MODEL, "too many axes");
  if (!oq_attr_find(ctx->node->proto, "axes")) {
    static const int64_t dflt[3] = {0, 2, 3};
    ints = dflt;
    n = 3;
  }
  p->n_axes = (int32_t)n;
  memcpy(p->axes, ints, n * sizeof *ints);
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

static int float_input(const oq_tensor *t) { return t && oq_dtype_is_float(t->dtype); }

static double ld(const oq_tensor *t, int64_t i) {
  return t->dtype == OQ_DTYPE_FLOAT ? (double)((const float *)t->data)[i] : oq_load_f64(t->data, t->dtype, i);
}
static void st_(oq_tensor *t, int64_t i, double v) {
  if (t->dtype == OQ_DTYPE_FLOAT)
    ((float *)t->data)[i] = (float)v;
  else
    oq_store_f64(t->data, t->dtype, i, v);
}

/* Normalizes n_rows rows of `len` elements of x (row r starts at r * len): y = (x - mean) * inv * scale + bias
 * with scale/bias indexed by element within the row modulo their length (NULL: 1 / 0). */
static void normalize_rows(const oq_tensor *x, oq_tensor *y, int64_t n_rows, int64_t len, double eps,
                           const oq_tensor *scale, const oq_tensor *bias, oq_tensor *mean_out, oq_tensor *inv_out) {
  int64_t ns = scale ? oq_tensor_numel(scale) : 0, nb = bias ? oq_tensor_numel(bias) : 0;
  for (int64_t r = 0; r < n_rows; r++) {
    int64_t o = r * len;
    double s = 0, ss = 0;
    for (int64_t i = 0; i < len; i++) s += ld(x, o + i);
    double mean = len ? s / (double)len : 0.0;
    for (int64_t i = 0; i < len; i++) {
      double d = ld(x, o + i) - mean;
      ss += d * d;
    }
    double inv = 1.0 / sqrt((len ? ss / (double)len : 0.0) + eps);
    for (int64_t i = 0; i < len; i++) {
      double v = (ld(x, o + i) - mean) * inv;
      if (ns) v *= ld(scale, i % ns);
      if (nb) v += ld(bias, i % nb);
      st_(y, o + i, v);
    }
    if (mean_out) st_(mean_out, r, mean);
    if (inv_out) st_(inv_out, r, inv);
  }
}

/* LayerNormalization on float32 with a full-length scale (and bias): the arithmetic of normalize_rows without its
 * per-element type dispatch, rows split over the pool (each row computed alone: any split gives the same bits). */
typedef struct ln_job {
  const float *x, *scale, *bias;
  float *y, *mean_out, *inv_out;
  int64_t len;
  double eps;
} ln_job;

static oq_status ln_rows(void *ctx, int64_t r0, int64_t r1) {
  const ln_job *j = ctx;
  int64_t len = j->len;
  oq_ln_row_fn row = oq_simd_get()->ln_row; /* kern/cpu.h: the same bits on every level */
  for (int64_t r = r0; r < r1; r++) {
    double mean, inv;
    row(j->x + r * len, j->scale, j->bias, j->y + r * len, (size_t)len, j->eps, &mean, &inv);
    if (j->mean_out) j->mean_out[r] = (float)mean;
    if (j->inv_out) j->inv_out[r] = (float)inv;
  }
  return OQ_OK;
}

oq_status oq_op_layer_norm_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const normx_params *p = call->params;
  const oq_tensor *x = call->inputs[0], *scale = call->inputs[1], *bias = oq_kin(call, 2);
  if (!float_input(x) || !float_input(scale) || (bias && !float_input(bias)))
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "LayerNormalization needs float inputs");
  int64_t axis;
  if (!oq_norm_axis(p->axis, x->ndim, &axis)) OQ_FAIL(err, OQ_ERR_SHAPE, "axis is out of range");
  int64_t rows = 1, len = 1;
  for (int32_t i = 0; i < x->ndim; i++) {
    if (i < axis)
      rows *= x->dims[i];
    else
      len *= x->dims[i];
  }
  int64_t ns = oq_tensor_numel(scale), nb = bias ? oq_tensor_numel(bias) : 1;
  if (ns < 1 || len % ns || nb < 1 || len % nb)
    OQ_FAIL(err, OQ_ERR_SHAPE, "Scale and B must broadcast to X.shape[axis:]");
  OQ_CHECK(oq_kout(call, 0, x->dtype, x->ndim, x->dims, err));
  int64_t sd[OQ_MAX_DIMS];
  for (int32_t i = 0; i < x->ndim; i++) sd[i] = i < axis ? x->dims[i] : 1;
  oq_tensor *mo = NULL, *io = NULL;
  /* the statistics outputs have stash_type's type: float32 unless the input is double */
  int32_t sdt = x->dtype == OQ_DTYPE_DOUBLE ? OQ_DTYPE_DOUBLE : OQ_DTYPE_FLOAT;
  if (call->n_outputs > 1) {
    OQ_CHECK(oq_kout(call, 1, sdt, x->ndim, sd, err));
    mo = &call->outputs[1];
  }
  if (call->n_outputs > 2) {
    OQ_CHECK(oq_kout(call, 2, sdt, x->ndim, sd, err));
    io = &call->outputs[2];
  }
  if (x->dtype == OQ_DTYPE_FLOAT && scale->dtype == OQ_DTYPE_FLOAT && ns == len &&
      (!bias || (bias->dtype == OQ_DTYPE_FLOAT && nb == len))) {
    ln_job j = {x->data,
                scale->data,
                bias ? bias->data : NULL,
                call->outputs[0].data,
                mo ? mo->data : NULL,
                io ? io->data : NULL,
                len,
                p->epsilon};
    int64_t chunks = rows * len / (1 << 14);
    return oq_parallel_for_max(call->pool, rows, chunks < 1 ? 1 : chunks > 1024 ? 1024 : (int32_t)chunks, ln_rows, &j);
  }
  normalize_rows(x, &call->outputs[0], rows, len, p->epsilon, scale, bias, mo, io);
  return OQ_OK;
fail:
  return st;
}

/* Outputs beyond 0 of LayerNormalization: statistics shaped like X with the normalized dims set to 1. */
oq_status oq_op_layer_norm_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                                 int32_t n_out, oq_error *err) {
  const normx_params *p = params;
  (void)n_in;
  (void)err;
  if (!p || !in[0] || in[0]->ndim < 0) return OQ_OK;
  oq_info_set(&out[0], in[0]->dtype, in[0]->ndim, in[0]->dims);
  int64_t axis;
  if (!oq_norm_axis(p->axis, in[0]->ndim, &axis)) return OQ_OK;
  int64_t sd[OQ_MAX_DIMS];
  for (int32_t i = 0; i < in[0]->ndim; i++) sd[i] = i < axis ? in[0]->dims[i] : 1;
  int32_t sdt = in[0]->dtype == OQ_DTYPE_DOUBLE ? OQ_DTYPE_DOUBLE : OQ_DTYPE_FLOAT;
  for (int32_t j = 1; j < n_out; j++) oq_info_set(&out[j], sdt, in[0]->ndim, sd);
  return OQ_OK;
}

/* Per (n, group) statistics over group channels x spatial, then per-channel affine (scale/bias of length C, or of
 * length G applied to every channel of the group). InstanceNormalization is G = C. */
static oq_status group_norm(const oq_kernel_call *call, int64_t groups, double eps, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_tensor *x = call->inputs[0], *scale = call->inputs[1], *bias = call->inputs[2];
  if (!float_input(x) || !float_input(scale) || !float_input(bias))
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "float inputs needed");
  if (x->ndim < 2) OQ_FAIL(err, OQ_ERR_SHAPE, "X must have rank >= 2");
  int64_t N = x->dims[0], C = x->dims[1], sp = 1;
  for (int32_t i = 2; i < x->ndim; i++) sp *= x->dims[i];
  if (groups < 1 || C % groups)
    OQ_FAIL(err, OQ_ERR_SHAPE, "channels %lld are not a multiple of %lld groups", (long long)C, (long long)groups);
  int64_t ns = oq_tensor_numel(scale), nb = oq_tensor_numel(bias);
  if ((ns != C && ns != groups) || (nb != C && nb != groups))
    OQ_FAIL(err, OQ_ERR_SHAPE, "scale and bias must have C or num_groups entries");
  OQ_CHECK(oq_kout(call, 0, x->dtype, x->ndim, x->dims, err));
  oq_tensor *y = &call->outputs[0];
  int64_t cpg = C / groups, len = cpg * sp;
  for (int64_t n = 0; n < N; n++)
    for (int64_t g = 0; g < groups; g++) {
      int64_t o = (n * C + g * cpg) * sp;
      double s = 0, ss = 0;
      for (int64_t i = 0; i < len; i++) s += ld(x, o + i);
      double mean = len ? s / (double)len : 0;
      for (int64_t i = 0; i < len; i++) {
        double d = ld(x, o + i) - mean;
        ss += d * d;
      }
      double inv = 1.0 / sqrt((len ? ss / (double)len : 0) + eps);
      for (int64_t c = 0; c < cpg; c++) {
        int64_t ch = g * cpg + c;
        double a = ld(scale, ns == C ? ch : g), b = ld(bias, nb == C ? ch : g);
        for (int64_t i = 0; i < sp; i++) {
          int64_t e = o + c * sp + i;
          st_(y, e, (ld(x, e) - mean) * inv * a + b);
        }
      }
    }
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_group_norm_exec(const oq_kernel_call *call, oq_error *err) {
  const normx_params *p = call->params;
  return group_norm(call, p->num_groups, p->epsilon, err);
}

oq_status oq_op_instance_norm_exec(const oq_kernel_call *call, oq_error *err) {
  const normx_params *p = call->params;
  const oq_tensor *x = call->inputs[0];
  return group_norm(call, x->ndim >= 2 ? x->dims[1] : 0, p->epsilon, err);
}

/* MeanVarianceNormalization: (x - mean) / sqrt(var) over axes (no epsilon in the ONNX function body: 1e-9). */
oq_status oq_op_mvn_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const normx_params *p = call->params;
  const oq_tensor *x = call->inputs[0];
  if (!float_input(x)) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "float input needed");
  int red[OQ_MAX_DIMS] = {0};
  for (int32_t k = 0; k < p->n_axes; k++) {
    int64_t a;
    if (!oq_norm_axis(p->axes[k], x->ndim, &a)) OQ_FAIL(err, OQ_ERR_SHAPE, "axis is out of range");
    red[a] = 1;
  }
  OQ_CHECK(oq_kout(call, 0, x->dtype, x->ndim, x->dims, err));
  oq_tensor *y = &call->outputs[0];
  int64_t n = oq_tensor_numel(x), groups = 1, ostr[OQ_MAX_DIMS], s = 1;
  for (int32_t i = x->ndim - 1; i >= 0; i--) {
    ostr[i] = red[i] ? 0 : s;
    if (!red[i]) s *= x->dims[i];
  }
  groups = s;
  if (n == 0) return OQ_OK;
  void *scratch;
  OQ_CHECK(oq_kscratch(call, (size_t)groups * 2 * sizeof(double), &scratch, err));
  double *sum = scratch, *sq = sum + groups;
  memset(scratch, 0, (size_t)groups * 2 * sizeof(double));
  double cnt = (double)(n / groups);
  for (int pass = 0; pass < 3; pass++) {
    int64_t ctr[OQ_MAX_DIMS] = {0}, o = 0;
    for (int64_t i = 0; i < n; i++) {
      double v = ld(x, i);
      if (pass == 0) sum[o] += v;
      if (pass == 1) sq[o] += (v - sum[o] / cnt) * (v - sum[o] / cnt);
      if (pass == 2) st_(y, i, (v - sum[o] / cnt) / (sqrt(sq[o] / cnt) + 1e-9));
      for (int32_t k = x->ndim - 1; k >= 0; k--) {
        o += ostr[k];
        if (++ctr[k] < x->dims[k]) break;
        o -= ostr[k] * x->dims[k];
        ctr[k] = 0;
      }
    }
  }
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_lp_norm_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const normx_params *p = call->params;
  const oq_tensor *x = call->inputs[0];
  if (!float_input(x)) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "float input needed");
  int64_t axis;
  if (!oq_norm_axis(p->axis, x->ndim, &axis)) OQ_FAIL(err, OQ_ERR_SHAPE, "axis is out of range");
  OQ_CHECK(oq_kout(call, 0, x->dtype, x->ndim, x->dims, err));
  int64_t outer = 1, inner = 1, d = x->dims[axis];
  for (int32_t i = 0; i < x->ndim; i++) {
    if (i < axis) outer *= x->dims[i];
    if (i > axis) inner *= x->dims[i];
  }
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) {
      double norm = 0;
      for (int64_t k = 0; k < d; k++) {
        double v = ld(x, (o * d + k) * inner + i);
        norm += p->p == 1 ? fabs(v) : v * v;
      }
      if (p->p == 2) norm = sqrt(norm);
      for (int64_t k = 0; k < d; k++) {
        int64_t e = (o * d + k) * inner + i;
        st_(&call->outputs[0], e, norm == 0 ? 0 : ld(x, e) / norm);
      }
    }
  return OQ_OK;
fail:
  return st;
}

/* LRN across channels: y = x / (bias + alpha / size * sum of squares over the window) ^ beta. */
oq_status oq_op_lrn_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const normx_params *p = call->params;
  const oq_tensor *x = call->inputs[0];
  if (!float_input(x) || x->ndim < 2) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "LRN needs a float input of rank >= 2");
  OQ_CHECK(oq_kout(call, 0, x->dtype, x->ndim, x->dims, err));
  int64_t N = x->dims[0], C = x->dims[1], sp = 1;
  for (int32_t i = 2; i < x->ndim; i++) sp *= x->dims[i];
  int64_t lo = (p->size - 1) / 2, hi = p->size - 1 - lo;
  for (int64_t n = 0; n < N; n++)
    for (int64_t c = 0; c < C; c++)
      for (int64_t i = 0; i < sp; i++) {
        double s = 0;
        /* the window clipped to the channels first: a size of 1.6e9 over 5 channels looped 1.6e9 times per
         * element (fuzz_quantize timeout) */
        int64_t k0 = c - lo < 0 ? 0 : c - lo, k1 = hi > C - 1 - c ? C - 1 : c + hi;
        for (int64_t k = k0; k <= k1; k++) {
          double v = ld(x, (n * C + k) * sp + i);
          s += v * v;
        }
        int64_t e = (n * C + c) * sp + i;
        st_(&call->outputs[0], e, ld(x, e) / pow(p->bias + p->alpha / (double)p->size * s, p->beta));
      }
  return OQ_OK;
fail:
  return st;
}
