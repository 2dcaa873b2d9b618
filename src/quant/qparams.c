/* Scale / zero-point math, matching onnxruntime's quant_utils (compute_scale_zp, quantize_nparray) and
 * base_quantizer (quantize_bias_static_impl) bit for bit: where numpy works in float32 we work in float, where it
 * promotes to float64 we use double. Requires FLT_EVAL_METHOD == 0 and no FMA contraction (C11 mode). */
#include "quant/quant.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

double oq_round_half_even(double x) {
  if (!isfinite(x)) return x;
  double t = trunc(x);
  double frac = x - t; /* exact (same binade or |x| < 1) */
  if (fabs(frac) == 0.5) return fmod(t, 2.0) == 0.0 ? t : t + copysign(1.0, x);
  return round(x);
}

static int32_t clamp_i32(double v, int32_t lo, int32_t hi) {
  if (v != v) return lo > 0 ? lo : (hi < 0 ? hi : 0);
  if (v < (double)lo) return lo;
  if (v > (double)hi) return hi;
  return (int32_t)v;
}

oq_qparams oq_qparams_compute(float rmin, float rmax, int32_t qmin, int32_t qmax, int symmetric) {
  oq_qparams p = {1.0f, 0};
  /* Widen to include 0 (a NaN bound becomes 0). */
  rmin = rmin < 0.0f ? rmin : 0.0f;
  rmax = rmax > 0.0f ? rmax : 0.0f;
  if (symmetric) {
    float a = fabsf(rmin) > fabsf(rmax) ? fabsf(rmin) : fabsf(rmax);
    rmin = -a;
    rmax = a;
  }
  float dr = rmax - rmin; /* numpy: float32 - float32 */
  double scale = (double)dr / ((double)qmax - (double)qmin);
  if (!(scale >= (double)FLT_MIN) || !(scale <= (double)FLT_MAX)) {
    p.zero_point = qmin > 0 ? qmin : (qmax < 0 ? qmax : 0);
    return p; /* onnxruntime: scale below float32 tiny -> 1, 0 (we also refuse an infinite scale) */
  }
  double zp = symmetric ? oq_round_half_even(((double)qmin + (double)qmax) / 2.0)
                        : oq_round_half_even((double)qmin - (double)rmin / scale);
  p.zero_point = clamp_i32(zp, qmin, qmax);
  p.scale = (float)scale;
  return p;
}

oq_qparams oq_qparams_for(const oq_qtype *qt, float rmin, float rmax, int symmetric) {
  int32_t qmin, qmax;
  oq_qtype_range(qt, symmetric, &qmin, &qmax);
  return oq_qparams_compute(rmin, rmax, qmin, qmax, symmetric);
}

int32_t oq_quantize_value(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax) {
  float v = x / scale; /* numpy: float32 / float32 */
  if (v != v) return clamp_i32((double)zero_point, qmin, qmax);
  double r = oq_round_half_even((double)v) + (double)zero_point;
  return clamp_i32(r, qmin, qmax);
}

float oq_bias_scale(float input_scale, float weight_scale, float beta) {
  float s = input_scale * weight_scale; /* numpy: float32 array * float32 array */
  return s * beta;
}

int32_t oq_quantize_bias(float b, float bias_scale) {
  double q = oq_round_half_even((double)b / (double)bias_scale);
  return clamp_i32(q, INT32_MIN, INT32_MAX);
}

float oq_adjust_weight_scale_for_bias(float input_scale, float weight_scale, float bias_absmax) {
  /* onnxruntime PR #22020: smallest bias scale that keeps round(bias / scale) inside int32, with 1e-4 slack. */
  const double qrange = 2147483647.0 - (-2147483647.0);
  double smallest = 1.0001 * (2.0 * (double)bias_absmax) / qrange;
  double cand = (double)input_scale * (double)weight_scale;
  if (cand < smallest && cand > 0.0) return (float)((double)weight_scale * (smallest / cand));
  return weight_scale;
}

/* outer x channels x inner view of a tensor for a channel axis (axis < 0: one channel). */
static oq_status split_dims(int32_t ndim, const int64_t *dims, int32_t axis, size_t *outer, size_t *ch, size_t *inner,
                            oq_error *err) {
  size_t o = 1, c = 1, in = 1;
  if (axis >= ndim) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "channel axis %d out of range for rank %d", axis, ndim);
  for (int32_t d = 0; d < ndim; d++) {
    if (dims[d] < 0) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "negative dimension %lld", (long long)dims[d]);
    size_t *acc = axis < 0 ? &in : (d < axis ? &o : (d == axis ? &c : &in));
    if (!oq_size_mul(*acc, (size_t)dims[d], acc)) OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "weight size overflows");
  }
  *outer = o;
  *ch = c;
  *inner = in;
  return OQ_OK;
}

oq_status oq_quant_weight_params(const float *w, int32_t ndim, const int64_t *dims, int32_t axis, const oq_qtype *qt,
                                 int symmetric, oq_qparams *params, oq_error *err) {
  size_t outer, ch, inner;
  oq_status st = split_dims(ndim, dims, axis, &outer, &ch, &inner, err);
  if (st != OQ_OK) return st;
  for (size_t c = 0; c < ch; c++) {
    float mn = INFINITY, mx = -INFINITY;
    for (size_t o = 0; o < outer; o++) {
      const float *p = w + (o * ch + c) * inner;
      for (size_t i = 0; i < inner; i++) {
        if (p[i] < mn) mn = p[i];
        if (p[i] > mx) mx = p[i];
      }
    }
    if (mn > mx) mn = mx = 0.0f; /* empty channel: numpy's len(data) == 0 case */
    params[c] = oq_qparams_for(qt, mn, mx, symmetric);
  }
  return OQ_OK;
}

oq_status oq_quant_weight_apply(const float *w, int32_t ndim, const int64_t *dims, int32_t axis, const oq_qtype *qt,
                                const oq_qparams *params, uint8_t *q, oq_error *err) {
  size_t outer, ch, inner;
  oq_status st = split_dims(ndim, dims, axis, &outer, &ch, &inner, err);
  if (st != OQ_OK) return st;
  if (qt->bits == 4) {
    size_t nbytes;
    (void)oq_qtype_nbytes(qt, outer * ch * inner, &nbytes); /* no overflow: smaller than the float tensor */
    memset(q, 0, nbytes);                                   /* a 4-bit store keeps the other nibble */
  }
  /* onnxruntime clips to the full type range here ([-128, 127] for int8 even when symmetric). */
  for (size_t o = 0; o < outer; o++) {
    for (size_t c = 0; c < ch; c++) {
      size_t base = (o * ch + c) * inner;
      float s = params[c].scale;
      int32_t zp = params[c].zero_point;
      for (size_t i = 0; i < inner; i++)
        oq_qtype_store_at(qt, q, base + i, oq_quantize_value(w[base + i], s, zp, qt->qmin, qt->qmax));
    }
  }
  return OQ_OK;
}

void oq_qspec_range(const oq_qspec *s, int32_t *qmin, int32_t *qmax) {
  oq_qtype_range(s->qt, s->symmetric, qmin, qmax);
  if (s->reduce_range && s->qt->bits == 8) {
    /* onnxruntime's get_qmin_qmax_for_qType with reduce_range */
    if (s->qt->is_signed) {
      *qmin = -64;
      *qmax = 64;
    } else {
      *qmin = 0;
      *qmax = 127;
    }
  }
}

oq_qparams oq_qparams_pow2(oq_qparams p, float rmin, int32_t qmin, int32_t qmax, int symmetric) {
  if (!(p.scale > 0.0f) || !isfinite(p.scale)) return p;
  int e;
  double m = frexp((double)p.scale, &e); /* scale = m * 2^e, 0.5 <= m < 1 */
  double s = m == 0.5 ? ldexp(1.0, e - 1) : ldexp(1.0, e);
  if (!(s <= (double)FLT_MAX)) return p;
  p.scale = (float)s;
  if (!symmetric) {
    rmin = rmin < 0.0f ? rmin : 0.0f;
    p.zero_point = clamp_i32(oq_round_half_even((double)qmin - (double)rmin / s), qmin, qmax);
  }
  return p;
}

oq_qparams oq_qparams_spec(const oq_qspec *s, float rmin, float rmax) {
  int32_t qmin, qmax;
  oq_qspec_range(s, &qmin, &qmax);
  oq_qparams p = oq_qparams_compute(rmin, rmax, qmin, qmax, s->symmetric);
  if (s->pow2) p = oq_qparams_pow2(p, s->symmetric ? 0.0f : rmin, qmin, qmax, s->symmetric);
  return p;
}

bool oq_quant_param_count(int32_t ndim, const int64_t *dims, int32_t axis, int32_t block, size_t *out) {
  if (axis < 0) {
    *out = 1;
    return true;
  }
  if (axis >= ndim || dims[axis] < 0) return false;
  if (block <= 0) {
    *out = (size_t)dims[axis];
    return true;
  }
  size_t n = 1;
  for (int32_t d = 0; d < ndim; d++) {
    if (dims[d] < 0) return false;
    size_t e = d == axis ? (size_t)((dims[d] + block - 1) / block) : (size_t)dims[d];
    if (!oq_size_mul(n, e, &n)) return false;
  }
  *out = n;
  return true;
}

/* Squared error of quantizing n elements (stride apart) with p over the type's full range. */
static double quant_sq_error(const float *x, size_t n, size_t stride, oq_qparams p, const oq_qtype *qt) {
  double e = 0.0;
  for (size_t i = 0; i < n; i++) {
    float v = x[i * stride];
    int32_t q = oq_quantize_value(v, p.scale, p.zero_point, qt->qmin, qt->qmax);
    double d = (double)v - (double)p.scale * (double)(q - p.zero_point);
    e += d * d;
  }
  return e;
}

/* 4-bit weights: MinMax wastes most of 16 levels on one outlier, so the range is shrunk by the factor (from 1 down
 * to 0.5 in 5% steps) that minimizes the squared error of the group (n elements, stride apart). */
static oq_qparams params_4bit(const oq_qspec *s, const float *x, size_t n, size_t stride, float mn, float mx) {
  oq_qparams best = oq_qparams_spec(s, mn, mx);
  if (s->qt->bits != 4 || n == 0) return best;
  double best_e = quant_sq_error(x, n, stride, best, s->qt);
  for (int k = 19; k >= 10; k--) {
    float a = (float)k / 20.0f;
    oq_qparams p = oq_qparams_spec(s, mn * a, mx * a);
    double e = quant_sq_error(x, n, stride, p, s->qt);
    if (e < best_e) {
      best_e = e;
      best = p;
    }
  }
  return best;
}

oq_status oq_quant_weight_params_spec(const float *w, int32_t ndim, const int64_t *dims, int32_t axis, int32_t block,
                                      const oq_qspec *s, oq_qparams *params, oq_error *err) {
  size_t outer, ch, inner;
  oq_status st = split_dims(ndim, dims, axis, &outer, &ch, &inner, err);
  if (st != OQ_OK) return st;
  if (block <= 0 || axis < 0) {
    size_t nch = axis < 0 ? 1 : ch;
    for (size_t c = 0; c < nch; c++) {
      float mn = INFINITY, mx = -INFINITY;
      size_t cc = axis < 0 ? 1 : ch;
      for (size_t o = 0; o < outer; o++) {
        const float *p = w + (o * cc + (axis < 0 ? 0 : c)) * inner;
        for (size_t i = 0; i < inner; i++) {
          if (p[i] < mn) mn = p[i];
          if (p[i] > mx) mx = p[i];
        }
      }
      if (mn > mx) mn = mx = 0.0f;
      params[c] = oq_qparams_spec(s, mn, mx);
      if (s->qt->bits == 4 && (outer == 1 || inner == 1)) {
        /* one strided run per channel: [c * inner, +inner) when outer is 1, every ch-th element when inner is 1 */
        const float *x0 = outer == 1 ? w + (axis < 0 ? 0 : c) * inner : w + (axis < 0 ? 0 : c);
        size_t n = outer == 1 ? inner : outer, stride = outer == 1 ? 1 : cc;
        params[c] = params_4bit(s, x0, n, stride, mn, mx);
      }
    }
    return OQ_OK;
  }
  size_t nb = (ch + (size_t)block - 1) / (size_t)block;
  for (size_t o = 0; o < outer; o++)
    for (size_t b = 0; b < nb; b++)
      for (size_t i = 0; i < inner; i++) {
        float mn = INFINITY, mx = -INFINITY;
        size_t k1 = (b + 1) * (size_t)block < ch ? (b + 1) * (size_t)block : ch;
        for (size_t k = b * (size_t)block; k < k1; k++) {
          float x = w[(o * ch + k) * inner + i];
          if (x < mn) mn = x;
          if (x > mx) mx = x;
        }
        if (mn > mx) mn = mx = 0.0f;
        size_t k0 = b * (size_t)block;
        params[(o * nb + b) * inner + i] = params_4bit(s, w + (o * ch + k0) * inner + i, k1 - k0, inner, mn, mx);
      }
  return OQ_OK;
}

oq_status oq_quant_weight_apply_blocked(const float *w, int32_t ndim, const int64_t *dims, int32_t axis, int32_t block,
                                        const oq_qtype *qt, const oq_qparams *params, uint8_t *q, oq_error *err) {
  if (block <= 0 || axis < 0) return oq_quant_weight_apply(w, ndim, dims, axis, qt, params, q, err);
  size_t outer, ch, inner;
  oq_status st = split_dims(ndim, dims, axis, &outer, &ch, &inner, err);
  if (st != OQ_OK) return st;
  if (qt->bits == 4) {
    size_t nbytes;
    (void)oq_qtype_nbytes(qt, outer * ch * inner, &nbytes);
    memset(q, 0, nbytes);
  }
  size_t nb = (ch + (size_t)block - 1) / (size_t)block;
  for (size_t o = 0; o < outer; o++)
    for (size_t k = 0; k < ch; k++)
      for (size_t i = 0; i < inner; i++) {
        const oq_qparams *p = &params[(o * nb + k / (size_t)block) * inner + i];
        size_t e = (o * ch + k) * inner + i;
        oq_qtype_store_at(qt, q, e, oq_quantize_value(w[e], p->scale, p->zero_point, qt->qmin, qt->qmax));
      }
  return OQ_OK;
}
