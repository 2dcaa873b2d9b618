/* Resize (10: scales, asymmetric; 11/13: roi, scales or sizes, coordinate transformation modes, nearest modes,
 * cubic; 18/19: axes, keep_aspect_ratio_policy, half_pixel_symmetric) and Upsample (7: scales attribute; 9: scales
 * input). Separable: every output dim gets a list of (input index, weight) taps, 1 for nearest, 2 for linear, 4 for
 * cubic, and an output element sums the products of the taps of all dims. Antialiasing is refused at load time.
 * Computed in double through the generic element access, so every numeric dtype runs. */
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MODE_NEAREST, MODE_LINEAR, MODE_CUBIC };
enum { CT_HALF_PIXEL, CT_PYTORCH, CT_ALIGN, CT_ASYM, CT_TF_NN, CT_TF_CROP, CT_HALF_SYM };
enum { NM_ROUND_FLOOR, NM_ROUND_CEIL, NM_FLOOR, NM_CEIL };
enum { KA_STRETCH, KA_NOT_LARGER, KA_NOT_SMALLER };

typedef struct resize_params {
  int32_t mode, ct, nearest, policy;
  int32_t upsample; /* Upsample (7: scales attribute in scales[], 9: input 1) */
  int32_t opset;    /* of the node: Resize 10 has (X, scales) */
  float cubic_a, extrapolation;
  int64_t exclude_outside;
  int32_t n_axes; /* axes attribute (18) */
  int64_t axes[OQ_MAX_DIMS];
  int32_t n_scales; /* Upsample-7 scales attribute */
  float scales[OQ_MAX_DIMS];
} resize_params;

static int pick(const char *s, size_t len, const char *const *names, int32_t n, int32_t *out) {
  for (int32_t i = 0; i < n; i++)
    if (strlen(names[i]) == len && memcmp(s, names[i], len) == 0) {
      *out = i;
      return 1;
    }
  return 0;
}

oq_status oq_op_resize_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  const Onnx__NodeProto *n = ctx->node->proto;
  resize_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  const char *s;
  size_t len;
  p->upsample = strcmp(n->op_type, "Upsample") == 0;
  p->opset = (int32_t)ctx->opset;
  static const char *const modes[] = {"nearest", "linear", "cubic"};
  OQ_CHECK(oq_attr_string(n, "mode", "nearest", &s, &len, err));
  if (!pick(s, len, modes, 3, &p->mode) && !(len == 8 && memcmp(s, "bilinear", 8) == 0 && (p->mode = MODE_LINEAR, 1)))
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "mode '%.*s' is not supported", (int)len, s);
  static const char *const cts[] = {"half_pixel",           "pytorch_half_pixel", "align_corners",       "asymmetric",
                                    "tf_half_pixel_for_nn", "tf_crop_and_resize", "half_pixel_symmetric"};
  int old = p->upsample || ctx->opset < 11;
  OQ_CHECK(oq_attr_string(n, "coordinate_transformation_mode", old ? "asymmetric" : "half_pixel", &s, &len, err));
  if (!pick(s, len, cts, 7, &p->ct))
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "coordinate_transformation_mode '%.*s' is not supported", (int)len, s);
  static const char *const nms[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};
  OQ_CHECK(oq_attr_string(n, "nearest_mode", old ? "floor" : "round_prefer_floor", &s, &len, err));
  if (!pick(s, len, nms, 4, &p->nearest))
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "nearest_mode '%.*s' is not supported", (int)len, s);
  static const char *const pols[] = {"stretch", "not_larger", "not_smaller"};
  OQ_CHECK(oq_attr_string(n, "keep_aspect_ratio_policy", "stretch", &s, &len, err));
  if (!pick(s, len, pols, 3, &p->policy))
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "keep_aspect_ratio_policy '%.*s' is not supported", (int)len, s);
  OQ_CHECK(oq_attr_float(n, "cubic_coeff_a", -0.75f, &p->cubic_a, err));
  OQ_CHECK(oq_attr_float(n, "extrapolation_value", 0.0f, &p->extrapolation, err));
  OQ_CHECK(oq_attr_int(n, "exclude_outside", 0, &p->exclude_outside, err));
  int64_t aa;
  OQ_CHECK(oq_attr_int(n, "antialias", 0, &aa, err));
  if (aa) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "antialias=1 is not supported");
  const int64_t *ints;
  size_t ni;
  OQ_CHECK(oq_attr_ints(n, "axes", &ints, &ni, err));
  if (ni > OQ_MAX_DIMS) OQ_FAIL(err, OQ_ERR_MODEL, "too many axes");
  p->n_axes = (int32_t)ni;
  if (ni) memcpy(p->axes, ints, ni * sizeof *ints);
  if (p->upsample && ctx->opset < 9) {
    const float *f;
    size_t nf;
    OQ_CHECK(oq_attr_floats(n, "scales", &f, &nf, err));
    if (nf > OQ_MAX_DIMS || nf == 0) OQ_FAIL(err, OQ_ERR_MODEL, "Upsample needs the scales attribute");
    p->n_scales = (int32_t)nf;
    memcpy(p->scales, f, nf * sizeof *f);
  }
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

/* Output shape, per-dim scales and roi (starts/ends) from the inputs. */
typedef struct resize_geom {
  int64_t out[OQ_MAX_DIMS];
  double scale[OQ_MAX_DIMS];
  double roi_lo[OQ_MAX_DIMS], roi_hi[OQ_MAX_DIMS];
} resize_geom;

static int present(const oq_tensor *t) { return t && oq_tensor_numel(t) > 0; }

static oq_status geometry(const resize_params *p, const oq_tensor *x, const oq_tensor *roi, const oq_tensor *scales,
                          const oq_tensor *sizes, resize_geom *g, oq_error *err) {
  int32_t nd = x->ndim;
  int64_t axes[OQ_MAX_DIMS];
  int32_t na = p->n_axes ? p->n_axes : nd;
  for (int32_t i = 0; i < na; i++) {
    int64_t a = p->n_axes ? p->axes[i] : i;
    if (!oq_norm_axis(a, nd, &a)) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "axis %lld is out of range", (long long)a);
    axes[i] = a;
  }
  for (int32_t i = 0; i < nd; i++) {
    g->out[i] = x->dims[i];
    g->scale[i] = 1.0;
    g->roi_lo[i] = 0.0;
    g->roi_hi[i] = 1.0;
  }
  if (present(roi)) {
    if (oq_tensor_numel(roi) != 2 * na) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "roi must hold 2 values per axis");
    for (int32_t i = 0; i < na; i++) {
      g->roi_lo[axes[i]] = oq_load_f64(roi->data, roi->dtype, i);
      g->roi_hi[axes[i]] = oq_load_f64(roi->data, roi->dtype, na + i);
    }
  }
  if (p->n_scales) {
    if (p->n_scales != nd) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "scales must hold one value per dim");
    for (int32_t i = 0; i < nd; i++) g->scale[i] = p->scales[i];
  } else if (present(sizes)) {
    if (oq_tensor_numel(sizes) != na || !oq_dtype_is_numeric(sizes->dtype))
      OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "sizes must hold one int64 per axis");
    double s[OQ_MAX_DIMS], lim = p->policy == KA_NOT_LARGER ? HUGE_VAL : -HUGE_VAL;
    for (int32_t i = 0; i < na; i++) {
      int64_t v = oq_load_i64(sizes->data, sizes->dtype, i);
      if (v < 0) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "sizes must be >= 0");
      s[i] = x->dims[axes[i]] ? (double)v / (double)x->dims[axes[i]] : 0.0;
      g->out[axes[i]] = v;
      if (p->policy == KA_NOT_LARGER && s[i] < lim) lim = s[i];
      if (p->policy == KA_NOT_SMALLER && s[i] > lim) lim = s[i];
    }
    for (int32_t i = 0; i < na; i++) {
      if (p->policy != KA_STRETCH) {
        s[i] = lim;
        g->out[axes[i]] = (int64_t)floor((double)x->dims[axes[i]] * lim + 0.5);
      }
      g->scale[axes[i]] = s[i];
    }
    return OQ_OK;
  } else if (present(scales)) {
    if (oq_tensor_numel(scales) != na || !oq_dtype_is_float(scales->dtype))
      OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "scales must hold one float per axis");
    for (int32_t i = 0; i < na; i++) g->scale[axes[i]] = oq_load_f64(scales->data, scales->dtype, i);
  } else {
    OQ_RETURN_ERR(err, OQ_ERR_MODEL, "one of scales and sizes must be given");
  }
  for (int32_t i = 0; i < nd; i++) {
    if (!(g->scale[i] > 0)) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "scales must be > 0");
    double len = (double)x->dims[i];
    if (p->ct == CT_TF_CROP) len *= g->roi_hi[i] - g->roi_lo[i];
    double o = floor(len * (double)(float)g->scale[i] + 1e-6);
    if (!(o >= 0 && o < 9.0e15)) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "output extent out of range");
    g->out[i] = (int64_t)o;
  }
  return OQ_OK;
}

/* The input coordinate of output coordinate xo on a dim. *outside: tf_crop_and_resize left the input. */
static double source_coord(const resize_params *p, const resize_geom *g, int32_t d, int64_t in_len, double xo,
                           int *outside) {
  /* the resized length is in_len * scale before flooring (what ONNX's reference uses), out_int the floored one */
  double s = g->scale[d], len = (double)in_len, out_len = len * s, out_int = (double)g->out[d], x;
  *outside = 0;
  switch (p->ct) {
  case CT_HALF_PIXEL: x = (xo + 0.5) / s - 0.5; break;
  case CT_PYTORCH: x = out_len > 1 ? (xo + 0.5) / s - 0.5 : 0.0; break;
  case CT_ALIGN: x = out_len == 1 ? 0.0 : xo * (len - 1) / (out_len - 1); break;
  case CT_TF_NN: x = (xo + 0.5) / s; break;
  case CT_TF_CROP: {
    double lo = g->roi_lo[d], hi = g->roi_hi[d];
    x = out_int > 1 ? lo * (len - 1) + xo * (hi - lo) * (len - 1) / (out_int - 1) : 0.5 * (lo + hi) * (len - 1);
    if (x < 0 || x > len - 1) *outside = 1;
    break;
  }
  case CT_HALF_SYM: {
    double adj = out_int / out_len, center = len / 2;
    x = center * (1 - adj) + (xo + 0.5) / s - 0.5;
    break;
  }
  default: x = xo / s; break;
  }
  return x;
}

#define MAX_TAPS 4

static double cubic_w(double t, double a) {
  t = fabs(t);
  if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0;
}

/* taps of one output coordinate: n entries of idx / w; *outside as above */
static int32_t taps_of(const resize_params *p, const resize_geom *g, int32_t d, int64_t in_len, int64_t xo,
                       int64_t *idx, double *w, int *outside) {
  double x = source_coord(p, g, d, in_len, (double)xo, outside);
  if (p->mode == MODE_NEAREST) {
    double f = floor(x), r;
    switch (p->nearest) {
    case NM_ROUND_FLOOR: r = (x - f == 0.5) ? f : floor(x + 0.5); break;
    case NM_ROUND_CEIL: r = (x - f == 0.5) ? f + 1 : floor(x + 0.5); break;
    case NM_FLOOR: r = f; break;
    default: r = ceil(x); break;
    }
    int64_t i = (int64_t)r;
    idx[0] = i < 0 ? 0 : i >= in_len ? in_len - 1 : i;
    w[0] = 1;
    return 1;
  }
  double f = floor(x), t = x - f;
  int64_t base = (int64_t)f;
  int32_t n = p->mode == MODE_LINEAR ? 2 : 4;
  int64_t first = p->mode == MODE_LINEAR ? base : base - 1;
  double sum = 0;
  for (int32_t k = 0; k < n; k++) {
    int64_t i = first + k;
    w[k] = p->mode == MODE_LINEAR ? (k == 0 ? 1 - t : t) : cubic_w(t - (double)(i - base), p->cubic_a);
    if (p->exclude_outside && (i < 0 || i >= in_len)) w[k] = 0;
    sum += w[k];
    idx[k] = i < 0 ? 0 : i >= in_len ? in_len - 1 : i;
  }
  if (p->exclude_outside && sum != 0)
    for (int32_t k = 0; k < n; k++) w[k] /= sum;
  return n;
}

oq_status oq_op_resize_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const resize_params *p = call->params;
  const oq_tensor *x = call->inputs[0], *roi = NULL, *scales = NULL, *sizes = NULL;
  if (!oq_dtype_is_numeric(x->dtype))
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "Resize does not support %s", oq_dtype_name(x->dtype));
  if (p->upsample || p->opset < 11) {
    scales = oq_kin(call, 1);
  } else {
    roi = oq_kin(call, 1);
    scales = oq_kin(call, 2);
    sizes = oq_kin(call, 3);
  }
  resize_geom g;
  OQ_CHECK(geometry(p, x, roi, scales, sizes, &g, err));
  int32_t nd = x->ndim;
  OQ_CHECK(oq_kout(call, 0, x->dtype, nd, g.out, err));
  oq_tensor *y = &call->outputs[0];
  int64_t n_out = oq_tensor_numel(y);
  if (n_out == 0) return OQ_OK;
  if (oq_tensor_numel(x) == 0) OQ_FAIL(err, OQ_ERR_SHAPE, "cannot resize an empty input to a non-empty output");
  /* taps per dim, per output coordinate */
  size_t total = 0;
  for (int32_t d = 0; d < nd; d++) total += (size_t)g.out[d];
  size_t bytes;
  if (!oq_size_mul(total, MAX_TAPS * (sizeof(int64_t) + sizeof(double)) + sizeof(int32_t) * 2, &bytes))
    OQ_FAIL(err, OQ_ERR_NOMEM, "output too large");
  void *scratch;
  OQ_CHECK(oq_kscratch(call, bytes, &scratch, err));
  int64_t *tidx = scratch;
  double *tw = (double *)(tidx + total * MAX_TAPS);
  int32_t *tn = (int32_t *)(tw + total * MAX_TAPS), *tout = tn + total;
  size_t off[OQ_MAX_DIMS], o = 0;
  for (int32_t d = 0; d < nd; d++) {
    off[d] = o;
    for (int64_t k = 0; k < g.out[d]; k++, o++)
      tn[o] = taps_of(p, &g, d, x->dims[d], k, tidx + o * MAX_TAPS, tw + o * MAX_TAPS, &tout[o]);
  }
  int64_t xs[OQ_MAX_DIMS], s = 1;
  for (int32_t d = nd - 1; d >= 0; d--) {
    xs[d] = s;
    s *= x->dims[d];
  }
  int64_t ctr[OQ_MAX_DIMS] = {0};
  int is_int = !oq_dtype_is_float(x->dtype);
  for (int64_t e = 0; e < n_out; e++) {
    int outside = 0;
    int32_t cnt[OQ_MAX_DIMS], tk[OQ_MAX_DIMS];
    const int64_t *ti[OQ_MAX_DIMS];
    const double *tww[OQ_MAX_DIMS];
    for (int32_t d = 0; d < nd; d++) {
      size_t r = off[d] + (size_t)ctr[d];
      cnt[d] = tn[r];
      ti[d] = tidx + r * MAX_TAPS;
      tww[d] = tw + r * MAX_TAPS;
      tk[d] = 0;
      outside |= tout[r];
    }
    double v = 0;
    if (outside) {
      v = p->extrapolation;
    } else {
      for (;;) {
        double w = 1;
        int64_t src = 0;
        for (int32_t d = 0; d < nd; d++) {
          w *= tww[d][tk[d]];
          src += ti[d][tk[d]] * xs[d];
        }
        if (w != 0) v += w * oq_load_f64(x->data, x->dtype, src);
        int32_t d = nd - 1;
        for (; d >= 0; d--) {
          if (++tk[d] < cnt[d]) break;
          tk[d] = 0;
        }
        if (d < 0) break;
      }
    }
    if (is_int) v = nearbyint(v);
    oq_store_f64(y->data, y->dtype, e, v);
    for (int32_t d = nd - 1; d >= 0; d--) {
      if (++ctr[d] < g.out[d]) break;
      ctr[d] = 0;
    }
  }
  return OQ_OK;
fail:
  return st;
}
