/* Unary float activations and math (Relu, Sigmoid, Tanh, Exp, Erf, Gelu, ...), Clip, and the Softmax family.
 * Math is float32 (Neg/Abs/Sign/Clip also take integers). */
#include "ops/kernels.h"
#include "ops/tensor_util.h"
#include "core/pool.h"
#include "kern/cpu.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Scalar attributes of the parametrized activations; unused fields stay 0. */
typedef struct unary_params {
  float alpha; /* LeakyRelu/Elu/Celu/Selu/HardSigmoid/ThresholdedRelu alpha */
  float beta;  /* HardSigmoid beta */
  float gamma; /* Selu gamma */
  int tanh;    /* Gelu: 1 for approximate="tanh" */
} unary_params;

/* Attribute specs of the parametrized activations (defaults from the ONNX schemas). */
#define ALPHA(d) OQ_ATTR_FLOAT(unary_params, alpha, "alpha", d)
static const oq_attr_field k_leaky[] = {ALPHA(0.01f)}, k_alpha1[] = {ALPHA(1.0f)};
static const oq_attr_field k_selu[] = {ALPHA(1.67326319217681884765625f),
                                       OQ_ATTR_FLOAT(unary_params, gamma, "gamma", 1.05070102214813232421875f)};
static const oq_attr_field k_hard_sigmoid[] = {ALPHA(0.2f), OQ_ATTR_FLOAT(unary_params, beta, "beta", 0.5f)};
#undef ALPHA
const oq_attr_spec oq_attrs_leaky_relu = {sizeof(unary_params), k_leaky, 1, NULL};
const oq_attr_spec oq_attrs_elu = {sizeof(unary_params), k_alpha1, 1, NULL};
const oq_attr_spec oq_attrs_selu = {sizeof(unary_params), k_selu, 2, NULL};
const oq_attr_spec oq_attrs_celu = {sizeof(unary_params), k_alpha1, 1, NULL};
const oq_attr_spec oq_attrs_thresholded_relu = {sizeof(unary_params), k_alpha1, 1, NULL};
const oq_attr_spec oq_attrs_hard_sigmoid = {sizeof(unary_params), k_hard_sigmoid, 2, NULL};

/* Checks a float input and allocates the same-shaped output. */
static oq_status unary_prepare(const oq_kernel_call *call, oq_error *err, const char *op, const float **in, float **out,
                               int64_t *n) {
  const oq_tensor *x = oq_kin(call, 0);
  if (!x || call->n_outputs < 1) OQ_KRETURN(call->node_name, OQ_ERR_MODEL, "%s needs one input", op);
  if (x->dtype != OQ_DTYPE_FLOAT)
    OQ_KRETURN(call->node_name, OQ_ERR_UNSUPPORTED, "%s supports float32 only, got %s", op, oq_dtype_name(x->dtype));
  oq_status st = oq_kout(call, 0, OQ_DTYPE_FLOAT, x->ndim, x->dims, err);
  if (st != OQ_OK) return st;
  *in = x->data;
  *out = call->outputs[0].data;
  *n = oq_tensor_numel(x);
  return OQ_OK;
}

/* One unary op over elements [begin, end): each element independent, so the split cannot change results. */
typedef struct unary_job {
  const float *in;
  float *out;
  float alpha, beta, gamma; /* unary_params fields the expression may use */
  int tanh;                 /* Gelu: approximate="tanh" */
  int reference;            /* the call's reference flag: libm instead of the SIMD level's functions */
} unary_job;

/* Elements below which a chunk is not worth a thread. */
#define UNARY_MIN_ELEMS (1 << 15)

static int32_t unary_chunks(int64_t n) {
  int64_t c = n / UNARY_MIN_ELEMS;
  return c < 1 ? 1 : c > 1024 ? 1024 : (int32_t)c;
}

/* VEC: 1 when the SIMD level's VEC_FN (kern/cpu.h) computes the op (the expression stays as the reference path). */
#define DEF_UNARY_ANY(fname, opname, VEC, VEC_FN, EXPR)                                                                \
  static oq_status fname##_range(void *ctx, int64_t begin, int64_t end) {                                              \
    const unary_job *p = ctx;                                                                                          \
    const float alpha = p->alpha, beta = p->beta, gamma = p->gamma;                                                    \
    (void)alpha;                                                                                                       \
    (void)beta;                                                                                                        \
    (void)gamma;                                                                                                       \
    if (VEC && !p->reference) {                                                                                        \
      oq_simd_get()->VEC_FN(p->in + begin, p->out + begin, (size_t)(end - begin));                                     \
      return OQ_OK;                                                                                                    \
    }                                                                                                                  \
    for (int64_t i = begin; i < end; i++) {                                                                            \
      const float x = p->in[i];                                                                                        \
      p->out[i] = (EXPR);                                                                                              \
    }                                                                                                                  \
    return OQ_OK;                                                                                                      \
  }                                                                                                                    \
  oq_status fname(const oq_kernel_call *call, oq_error *err) {                                                         \
    static const unary_params none = {0, 0, 0, 0};                                                                     \
    const unary_params *p = call->params ? (const unary_params *)call->params : &none;                                 \
    unary_job j = {NULL, NULL, p->alpha, p->beta, p->gamma, p->tanh, call->reference};                                 \
    int64_t n;                                                                                                         \
    oq_status st = unary_prepare(call, err, opname, &j.in, &j.out, &n);                                                \
    if (st != OQ_OK) return st;                                                                                        \
    return oq_parallel_for_max(call->pool, n, unary_chunks(n), fname##_range, &j);                                     \
  }

#define DEF_UNARY(fname, opname, EXPR)             DEF_UNARY_ANY(fname, opname, 0, exp, EXPR)
#define DEF_UNARY_VEC(fname, opname, VEC_FN, EXPR) DEF_UNARY_ANY(fname, opname, 1, VEC_FN, EXPR)

static inline float sigmoidf(float x) {
  if (x >= 0) return 1.0f / (1.0f + expf(-x));
  float e = expf(x);
  return e / (1.0f + e);
}
static inline float softplusf(float x) { return fmaxf(x, 0.0f) + log1pf(expf(-fabsf(x))); }
static inline float signf(float x) { return x > 0 ? 1.0f : (x < 0 ? -1.0f : x); }
static inline float geluf(float x, int approx) {
  if (approx) return 0.5f * x * (1.0f + tanhf(0.7978845608028654f * (x + 0.044715f * x * x * x)));
  return 0.5f * x * (1.0f + erff(x * 0.7071067811865476f));
}

DEF_UNARY_VEC(oq_op_relu_exec, "Relu", relu, x > 0 ? x : 0.0f)
DEF_UNARY(oq_op_leaky_relu_exec, "LeakyRelu", x >= 0 ? x : alpha * x)
DEF_UNARY(oq_op_elu_exec, "Elu", x >= 0 ? x : alpha * (expf(x) - 1.0f))
DEF_UNARY(oq_op_selu_exec, "Selu", gamma *(x > 0 ? x : alpha * (expf(x) - 1.0f)))
DEF_UNARY(oq_op_celu_exec, "Celu", fmaxf(0.0f, x) + fminf(0.0f, alpha *expm1f(x / alpha)))
DEF_UNARY(oq_op_thresholded_relu_exec, "ThresholdedRelu", x > alpha ? x : 0.0f)
DEF_UNARY_VEC(oq_op_sigmoid_exec, "Sigmoid", sigmoid, sigmoidf(x))
DEF_UNARY(oq_op_hard_sigmoid_exec, "HardSigmoid", fmaxf(0.0f, fminf(1.0f, alpha *x + beta)))
DEF_UNARY(oq_op_hard_swish_exec, "HardSwish", x *fmaxf(0.0f, fminf(1.0f, x / 6.0f + 0.5f)))
DEF_UNARY_VEC(oq_op_tanh_exec, "Tanh", tanh, tanhf(x))
DEF_UNARY(oq_op_softplus_exec, "Softplus", softplusf(x))
DEF_UNARY(oq_op_softsign_exec, "Softsign", x / (1.0f + fabsf(x)))
DEF_UNARY(oq_op_mish_exec, "Mish", x *tanhf(softplusf(x)))
DEF_UNARY_VEC(oq_op_exp_exec, "Exp", exp, expf(x))
DEF_UNARY(oq_op_log_exec, "Log", logf(x))
DEF_UNARY(oq_op_sqrt_exec, "Sqrt", sqrtf(x))
DEF_UNARY(oq_op_reciprocal_exec, "Reciprocal", 1.0f / x)
DEF_UNARY(oq_op_floor_exec, "Floor", floorf(x))
DEF_UNARY(oq_op_ceil_exec, "Ceil", ceilf(x))
DEF_UNARY(oq_op_round_exec, "Round", nearbyintf(x))
DEF_UNARY_VEC(oq_op_erf_exec, "Erf", erf, erff(x))
DEF_UNARY(oq_op_sin_exec, "Sin", sinf(x))
DEF_UNARY(oq_op_cos_exec, "Cos", cosf(x))
DEF_UNARY(oq_op_gelu_exec, "Gelu", geluf(x, p->tanh))

/* SiLU for the executor's Sigmoid + Mul fusion: the SIMD level's silu (its sigmoid, then x times it); the same
 * functions and the same product as the two nodes (float multiplication commutes), so the same bits. x == y is
 * fine. */
static oq_status silu_range(void *ctx, int64_t begin, int64_t end) {
  const unary_job *p = ctx;
  if (!p->reference) {
    oq_simd_get()->silu(p->in + begin, p->out + begin, (size_t)(end - begin));
    return OQ_OK;
  }
  for (int64_t i = begin; i < end; i++) {
    float x = p->in[i];
    p->out[i] = x * sigmoidf(x);
  }
  return OQ_OK;
}

oq_status oq_op_silu_exec(const oq_kernel_call *call, oq_error *err) {
  unary_job j = {NULL, NULL, 0, 0, 0, 0, call->reference};
  int64_t n;
  oq_status st = unary_prepare(call, err, "Sigmoid+Mul", &j.in, &j.out, &n);
  if (st != OQ_OK) return st;
  return oq_parallel_for_max(call->pool, n, unary_chunks(n), silu_range, &j);
}

/* Neg, Abs and Sign take float32 and the signed integers (integers wrap: -INT_MIN stays INT_MIN). */
typedef enum int_unary { IU_NEG, IU_ABS, IU_SIGN } int_unary;

static oq_status int_unary_exec(const oq_kernel_call *call, oq_error *err, const char *op, int_unary kind) {
  oq_status st = OQ_OK;
  const oq_tensor *x = oq_kin(call, 0);
  oq_tensor *out = &call->outputs[0];
  if (!x) OQ_KFAIL(call->node_name, OQ_ERR_MODEL, "%s needs one input", op);
  int32_t dt = x->dtype;
  if (dt != OQ_DTYPE_FLOAT && dt != OQ_DTYPE_DOUBLE && dt != OQ_DTYPE_INT8 && dt != OQ_DTYPE_INT16 &&
      dt != OQ_DTYPE_INT32 && dt != OQ_DTYPE_INT64)
    OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "%s does not support %s", op, oq_dtype_name(dt));
  OQ_CHECK(oq_kout(call, 0, dt, x->ndim, x->dims, err));
  int64_t n = oq_tensor_numel(x);
  if (dt == OQ_DTYPE_FLOAT) {
    const float *s = x->data;
    float *d = out->data;
    for (int64_t i = 0; i < n; i++) d[i] = kind == IU_NEG ? -s[i] : kind == IU_ABS ? fabsf(s[i]) : signf(s[i]);
  } else if (dt == OQ_DTYPE_DOUBLE) {
    for (int64_t i = 0; i < n; i++) {
      double v = oq_load_f64(x->data, dt, i);
      oq_store_f64(out->data, dt, i, kind == IU_NEG ? -v : kind == IU_ABS ? fabs(v) : (v > 0) - (v < 0));
    }
  } else {
    for (int64_t i = 0; i < n; i++) {
      int64_t v = oq_load_i64(x->data, dt, i);
      uint64_t neg = 0 - (uint64_t)v;
      int64_t r = kind == IU_NEG ? (int64_t)neg : kind == IU_ABS ? (v < 0 ? (int64_t)neg : v) : (v > 0) - (v < 0);
      oq_store_i64(out->data, dt, i, r);
    }
  }
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_neg_exec(const oq_kernel_call *call, oq_error *err) { return int_unary_exec(call, err, "Neg", IU_NEG); }
oq_status oq_op_abs_exec(const oq_kernel_call *call, oq_error *err) { return int_unary_exec(call, err, "Abs", IU_ABS); }
oq_status oq_op_sign_exec(const oq_kernel_call *call, oq_error *err) {
  return int_unary_exec(call, err, "Sign", IU_SIGN);
}

oq_status oq_op_gelu_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  const char *s;
  size_t len;
  unary_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  OQ_CHECK(oq_attr_string(ctx->node->proto, "approximate", "none", &s, &len, err));
  if (len == 4 && memcmp(s, "tanh", 4) == 0) {
    p->tanh = 1;
  } else if (!(len == 4 && memcmp(s, "none", 4) == 0)) {
    OQ_KFAIL(oq_init_node_name(ctx), OQ_ERR_UNSUPPORTED, "Gelu approximate='%.*s' is not supported",
             (int)(len > 32 ? 32 : len), s);
  }
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

/* ---- Clip ---- */

typedef struct clip_params {
  int64_t opset; /* < 11: bounds are attributes */
  float min;     /* attribute bound (opset < 11) */
  float max;     /* attribute bound (opset < 11) */
} clip_params;

oq_status oq_op_clip_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  clip_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  p->opset = ctx->opset;
  p->min = -FLT_MAX;
  p->max = FLT_MAX;
  if (ctx->opset < 11) {
    OQ_CHECK(oq_attr_float(ctx->node->proto, "min", -FLT_MAX, &p->min, err));
    OQ_CHECK(oq_attr_float(ctx->node->proto, "max", FLT_MAX, &p->max, err));
  }
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

/* Reads an optional scalar bound input of x's dtype. */
static oq_status clip_bound(const oq_kernel_call *call, int32_t i, const oq_tensor *x, double *out, int *has,
                            oq_error *err) {
  const oq_tensor *b = oq_kin(call, i);
  *has = 0;
  if (!b) return OQ_OK;
  if (b->dtype != x->dtype)
    OQ_KRETURN(call->node_name, OQ_ERR_SHAPE, "Clip %s must be %s, got %s", i == 1 ? "min" : "max",
               oq_dtype_name(x->dtype), oq_dtype_name(b->dtype));
  int64_t n = oq_tensor_numel(b);
  if (n == 0) return OQ_OK; /* empty tensor: treated as absent */
  if (n != 1) OQ_KRETURN(call->node_name, OQ_ERR_SHAPE, "Clip %s must be a scalar", i == 1 ? "min" : "max");
  *out = oq_load_f64(b->data, b->dtype, 0);
  *has = 1;
  return OQ_OK;
}

/* Float Clip over elements [begin, end) with the SIMD level's clamp: each element alone, any split. */
typedef struct clip_job {
  const float *s;
  float *d;
  float lo, hi;
} clip_job;

static oq_status clip_range(void *ctx, int64_t begin, int64_t end) {
  const clip_job *j = ctx;
  oq_simd_get()->clamp(j->s + begin, j->d + begin, (size_t)(end - begin), j->lo, j->hi);
  return OQ_OK;
}

oq_status oq_op_clip_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const clip_params *p = call->params;
  const oq_tensor *x = oq_kin(call, 0);
  oq_tensor *out = &call->outputs[0];
  if (!x) OQ_KFAIL(call->node_name, OQ_ERR_MODEL, "Clip needs an input");
  if (!oq_dtype_is_numeric(x->dtype) || x->dtype == OQ_DTYPE_BOOL || x->dtype == OQ_DTYPE_FLOAT16 ||
      x->dtype == OQ_DTYPE_BFLOAT16)
    OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "Clip does not support %s", oq_dtype_name(x->dtype));
  double lo = -INFINITY, hi = INFINITY;
  int has_lo = 0, has_hi = 0;
  if (p && p->opset < 11) {
    lo = p->min;
    hi = p->max;
    has_lo = has_hi = 1;
  } else {
    OQ_CHECK(clip_bound(call, 1, x, &lo, &has_lo, err));
    OQ_CHECK(clip_bound(call, 2, x, &hi, &has_hi, err));
  }
  OQ_CHECK(oq_kout(call, 0, x->dtype, x->ndim, x->dims, err));
  int64_t n = oq_tensor_numel(x);
  if (x->dtype == OQ_DTYPE_FLOAT) {
    const float *s = x->data;
    float *d = out->data;
    float flo = has_lo ? (float)lo : -INFINITY, fhi = has_hi ? (float)hi : INFINITY;
    /* ONNX applies min then max: with min > max every element becomes max */
    if (!call->reference) {
      clip_job j = {s, d, flo, fhi};
      return oq_parallel_for_max(call->pool, n, unary_chunks(n), clip_range, &j);
    }
    for (int64_t i = 0; i < n; i++) {
      float v = s[i];
      v = v < flo ? flo : v;
      d[i] = v > fhi ? fhi : v;
    }
  } else if (oq_dtype_is_float(x->dtype)) {
    for (int64_t i = 0; i < n; i++) {
      double v = oq_load_f64(x->data, x->dtype, i);
      if (has_lo && v < lo) v = lo;
      if (has_hi && v > hi) v = hi;
      oq_store_f64(out->data, x->dtype, i, v);
    }
  } else {
    int64_t ilo = oq_load_i64(&lo, OQ_DTYPE_DOUBLE, 0), ihi = oq_load_i64(&hi, OQ_DTYPE_DOUBLE, 0);
    if (x->dtype == OQ_DTYPE_INT64 || x->dtype == OQ_DTYPE_UINT64) { /* exact bounds for 64-bit ints */
      const oq_tensor *bl = oq_kin(call, 1), *bh = oq_kin(call, 2);
      if (has_lo && bl) ilo = oq_load_i64(bl->data, bl->dtype, 0);
      if (has_hi && bh) ihi = oq_load_i64(bh->data, bh->dtype, 0);
    }
    int uns = x->dtype == OQ_DTYPE_UINT64;
    for (int64_t i = 0; i < n; i++) {
      int64_t v = oq_load_i64(x->data, x->dtype, i);
      if (uns) {
        uint64_t u = (uint64_t)v;
        if (has_lo && u < (uint64_t)ilo) u = (uint64_t)ilo;
        if (has_hi && u > (uint64_t)ihi) u = (uint64_t)ihi;
        v = (int64_t)u;
      } else {
        if (has_lo && v < ilo) v = ilo;
        if (has_hi && v > ihi) v = ihi;
      }
      oq_store_i64(out->data, x->dtype, i, v);
    }
  }
  return OQ_OK;
fail:
  return st;
}

/* ---- Softmax, LogSoftmax, Hardmax ---- */

typedef struct softmax_params {
  int64_t axis;  /* as given (may be negative) */
  int64_t opset; /* < 13: input coerced to 2-D at axis */
} softmax_params;

oq_status oq_op_softmax_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  softmax_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  p->opset = ctx->opset;
  OQ_CHECK(oq_attr_int(ctx->node->proto, "axis", ctx->opset < 13 ? 1 : -1, &p->axis, err));
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

typedef enum smax_kind { SM_SOFTMAX, SM_LOG, SM_HARD } smax_kind;

static oq_status softmax_exec(const oq_kernel_call *call, oq_error *err, const char *op, smax_kind kind) {
  oq_status st = OQ_OK;
  const softmax_params *p = call->params;
  const oq_tensor *x = oq_kin(call, 0);
  oq_tensor *out = &call->outputs[0];
  if (!x) OQ_KFAIL(call->node_name, OQ_ERR_MODEL, "%s needs an input", op);
  if (x->dtype != OQ_DTYPE_FLOAT)
    OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "%s supports float32 only, got %s", op, oq_dtype_name(x->dtype));
  int64_t axis_raw = p ? p->axis : -1, opset = p ? p->opset : 13, axis;
  int64_t rank = x->ndim;
  if (rank == 0) { /* a scalar: softmax over one element */
    rank = 1;
  }
  if (!oq_norm_axis(axis_raw, rank, &axis))
    OQ_KFAIL(call->node_name, OQ_ERR_SHAPE, "%s axis %lld out of range for rank %d", op, (long long)axis_raw,
             (int)x->ndim);
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_FLOAT, x->ndim, x->dims, err));
  int64_t outer = 1, len = 1, inner = 1;
  for (int64_t i = 0; i < x->ndim; i++) {
    if (i < axis)
      outer *= x->dims[i];
    else if (i == axis || opset < 13)
      len *= x->dims[i];
    else
      inner *= x->dims[i];
  }
  if (len == 0 || outer == 0 || inner == 0) return OQ_OK;
  const float *s = x->data;
  float *d = out->data;
  for (int64_t o = 0; o < outer; o++) {
    for (int64_t j = 0; j < inner; j++) {
      const float *xs = s + o * len * inner + j;
      float *ys = d + o * len * inner + j;
      float mx = xs[0];
      int64_t arg = 0;
      for (int64_t k = 1; k < len; k++)
        if (xs[k * inner] > mx) {
          mx = xs[k * inner];
          arg = k;
        }
      if (kind == SM_HARD) {
        for (int64_t k = 0; k < len; k++) ys[k * inner] = k == arg ? 1.0f : 0.0f;
        continue;
      }
      double sum = 0;
      if (kind == SM_SOFTMAX && inner == 1 && !call->reference) { /* contiguous: the SIMD level's exp */
        for (int64_t k = 0; k < len; k++) ys[k] = xs[k] - mx;
        oq_simd_get()->exp(ys, ys, (size_t)len);
        for (int64_t k = 0; k < len; k++) sum += ys[k];
      } else
        for (int64_t k = 0; k < len; k++) {
          float e = expf(xs[k * inner] - mx);
          if (kind == SM_SOFTMAX) ys[k * inner] = e;
          sum += e;
        }
      if (kind == SM_SOFTMAX) {
        float inv = (float)(1.0 / sum);
        for (int64_t k = 0; k < len; k++) ys[k * inner] *= inv;
      } else {
        float lse = (float)log(sum);
        for (int64_t k = 0; k < len; k++) ys[k * inner] = xs[k * inner] - mx - lse;
      }
    }
  }
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_softmax_exec(const oq_kernel_call *call, oq_error *err) {
  return softmax_exec(call, err, "Softmax", SM_SOFTMAX);
}
oq_status oq_op_log_softmax_exec(const oq_kernel_call *call, oq_error *err) {
  return softmax_exec(call, err, "LogSoftmax", SM_LOG);
}
oq_status oq_op_hardmax_exec(const oq_kernel_call *call, oq_error *err) {
  return softmax_exec(call, err, "Hardmax", SM_HARD);
}
