/* Signal ops (opset 17): HannWindow, HammingWindow, BlackmanWindow, DFT (17: axis attribute; 20: axis input),
 * STFT, MelWeightMatrix. Float32 signals (real: last dim 1, complex: last dim 2), results in double then float.
 * DFT and STFT are direct transforms over a twiddle table (O(n^2) per transformed line): their work is held to a
 * limit so that a small model asking for a huge transform is refused instead of running for hours. */
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

typedef struct sig_params {
  int64_t periodic;        /* windows: 1 periodic (N = size), 0 symmetric (N = size - 1) */
  int64_t output_datatype; /* windows, MelWeightMatrix: TensorProto.DataType of the output */
  int64_t axis;            /* DFT 17: the transformed axis */
  int64_t inverse;         /* DFT: 1 inverse transform (scaled by 1/n) */
  int64_t onesided;        /* DFT, STFT: 1 keeps bins 0 .. n/2 of a real signal */
} sig_params;

#define F(name, field, dflt, lo, hi) OQ_ATTR_INT(sig_params, field, name, dflt, lo, hi)
static const oq_attr_field k_window_fields[] = {F("periodic", periodic, 1, 0, 1),
                                                F("output_datatype", output_datatype, 1, 1, 16)};
const oq_attr_spec oq_attrs_window = {sizeof(sig_params), k_window_fields, 2, NULL};
static const oq_attr_field k_dft_fields[] = {F("axis", axis, 1, -OQ_MAX_DIMS, OQ_MAX_DIMS - 1),
                                             F("inverse", inverse, 0, 0, 1), F("onesided", onesided, 0, 0, 1)};
const oq_attr_spec oq_attrs_dft = {sizeof(sig_params), k_dft_fields, 3, NULL};
static const oq_attr_field k_dft20_fields[] = {F("inverse", inverse, 0, 0, 1), F("onesided", onesided, 0, 0, 1)};
const oq_attr_spec oq_attrs_dft20 = {sizeof(sig_params), k_dft20_fields, 2, NULL};
static const oq_attr_field k_stft_fields[] = {F("onesided", onesided, 1, 0, 1)};
const oq_attr_spec oq_attrs_stft = {sizeof(sig_params), k_stft_fields, 1, NULL};
static const oq_attr_field k_mel_fields[] = {F("output_datatype", output_datatype, 1, 1, 16)};
const oq_attr_spec oq_attrs_mel = {sizeof(sig_params), k_mel_fields, 1, NULL};
#undef F

/* Multiply-adds one transform may take: about a minute of work at most. */
#define SIG_WORK_LIMIT ((double)((int64_t)1 << 34))

/* The one number of a scalar (or 1-element) integer input. */
static oq_status scalar_int(const oq_kernel_call *call, int32_t i, const char *what, int64_t *out, oq_error *err) {
  const oq_tensor *t = oq_kin(call, i);
  if (!t || oq_tensor_numel(t) != 1 || (t->dtype != OQ_DTYPE_INT64 && t->dtype != OQ_DTYPE_INT32))
    OQ_KRETURN(call->node_name, OQ_ERR_SHAPE, "%s must be one int32/int64 value", what);
  *out = oq_load_i64(t->data, t->dtype, 0);
  return OQ_OK;
}

/* ---- windows ------------------------------------------------------------------------------------------------ */

static oq_status window_exec(const oq_kernel_call *call, double a0, double a1, double a2, oq_error *err) {
  oq_status st = OQ_OK;
  const sig_params *p = call->params;
  int64_t size;
  OQ_CHECK(scalar_int(call, 0, "size", &size, err));
  if (size < 0) OQ_KFAIL(call->node_name, OQ_ERR_SHAPE, "size %lld is negative", (long long)size);
  int32_t dt = (int32_t)p->output_datatype;
  if (!oq_dtype_is_numeric(dt)) OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "output_datatype %d is not numeric", dt);
  OQ_CHECK(oq_kout(call, 0, dt, 1, &size, err));
  double n = (double)(p->periodic ? size : size - 1);
  for (int64_t i = 0; i < size; i++) {
    double t = n > 0 ? 2 * M_PI * (double)i / n : 0;
    oq_store_f64(call->outputs[0].data, dt, i, a0 - a1 * cos(t) + a2 * cos(2 * t));
  }
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_hann_exec(const oq_kernel_call *call, oq_error *err) { return window_exec(call, 0.5, 0.5, 0, err); }
oq_status oq_op_hamming_exec(const oq_kernel_call *call, oq_error *err) {
  return window_exec(call, 25.0 / 46.0, 21.0 / 46.0, 0, err);
}
oq_status oq_op_blackman_exec(const oq_kernel_call *call, oq_error *err) {
  return window_exec(call, 0.42, 0.5, 0.08, err);
}

oq_status oq_op_window_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                             int32_t n_out, oq_error *err) {
  (void)n_in;
  (void)n_out;
  (void)err;
  const sig_params *p = params;
  int64_t size = -1;
  const oq_tensor *v = in[0]->value;
  if (v && v->data && oq_tensor_numel(v) == 1 && (v->dtype == OQ_DTYPE_INT64 || v->dtype == OQ_DTYPE_INT32))
    size = oq_load_i64(v->data, v->dtype, 0);
  if (size < 0) size = -1;
  oq_info_set(&out[0], (int32_t)p->output_datatype, 1, &size);
  return OQ_OK;
}

/* ---- DFT ---------------------------------------------------------------------------------------------------- */

/* One transformed line: n_in samples (re, im; stride between samples in floats), zero-padded or cut to n, n_out bins
 * written with stride ystride (re, im). tw holds cos/sin of 2 pi j / n for j < n, or is NULL (computed per term). */
static void dft_line(const float *x, int64_t xstride, int complex_in, int64_t n_in, int64_t n, int64_t n_out,
                     const double *tw, int inverse, float *y, int64_t ystride) {
  int64_t m = n_in < n ? n_in : n;
  double sign = inverse ? 1.0 : -1.0, scale = inverse ? 1.0 / (double)n : 1.0;
  for (int64_t k = 0; k < n_out; k++) {
    double re = 0, im = 0;
    int64_t j = 0; /* (k * t) mod n, advanced by k each step */
    for (int64_t t = 0; t < m; t++) {
      double xr = x[t * xstride], xi = complex_in ? x[t * xstride + 1] : 0.0;
      double c, s;
      if (tw) {
        c = tw[2 * j], s = sign * tw[2 * j + 1];
      } else {
        double a = 2 * M_PI * (double)j / (double)n;
        c = cos(a), s = sign * sin(a);
      }
      re += xr * c - xi * s;
      im += xr * s + xi * c;
      j += k;
      if (j >= n) j %= n;
    }
    y[k * ystride] = (float)(re * scale);
    y[k * ystride + 1] = (float)(im * scale);
  }
}

/* A table of 16 * n bytes, or NULL when n is so long that a table would take more memory than the output. */
static oq_status twiddles(const oq_kernel_call *call, int64_t n, double **tw, oq_error *err) {
  size_t bytes;
  *tw = NULL;
  if (n > ((int64_t)1 << 22)) return OQ_OK;
  if (!oq_size_mul((size_t)n, 2 * sizeof(double), &bytes)) OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "transform too long");
  oq_status st = oq_kscratch(call, bytes ? bytes : 1, (void **)tw, err);
  if (st != OQ_OK) return st;
  for (int64_t j = 0; j < n; j++) {
    double a = 2 * M_PI * (double)j / (double)n;
    (*tw)[2 * j] = cos(a);
    (*tw)[2 * j + 1] = sin(a);
  }
  return OQ_OK;
}

/* Output extent of the transformed axis and the checks shared by exec and infer; axis normalized into *ax. */
static oq_status dft_shape(const sig_params *p, int32_t opset20, int64_t axis_in, int32_t ndim, const int64_t *dims,
                           int64_t len, int64_t *ax, int64_t *ydims, oq_error *err) {
  if (ndim < 2) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "the signal has rank %d, DFT needs at least 2", (int)ndim);
  if (dims[ndim - 1] >= 0 && dims[ndim - 1] != 1 && dims[ndim - 1] != 2)
    OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "the signal's last dim is %lld, not 1 (real) or 2 (complex)",
                  (long long)dims[ndim - 1]);
  int64_t axis = opset20 ? axis_in : p->axis;
  if (!oq_norm_axis(axis, ndim, ax) || *ax == ndim - 1)
    OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "axis %lld is out of range for rank %d", (long long)axis, (int)ndim);
  if (len == 0 || len < -1) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "dft_length %lld must be positive", (long long)len);
  memcpy(ydims, dims, sizeof(int64_t) * (size_t)ndim);
  int64_t n = len > 0 ? len : dims[*ax];
  ydims[*ax] = n < 0 ? -1 : p->onesided ? n / 2 + 1 : n;
  ydims[ndim - 1] = 2;
  return OQ_OK;
}

oq_status oq_op_dft_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const sig_params *p = call->params;
  const oq_tensor *x = call->inputs[0];
  int opset20 = p->axis == INT64_MIN; /* DFT 20 rows mark the axis as an input (oq_op_dft20_init) */
  if (x->dtype != OQ_DTYPE_FLOAT)
    OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "DFT takes a float32 signal, got %s", oq_dtype_name(x->dtype));
  int64_t len = -1, axis_in = -2, ax, ydims[OQ_MAX_DIMS];
  if (oq_kin(call, 1)) OQ_CHECK(scalar_int(call, 1, "dft_length", &len, err));
  if (oq_kin(call, 2)) OQ_CHECK(scalar_int(call, 2, "axis", &axis_in, err));
  OQ_CHECK(dft_shape(p, opset20, axis_in, x->ndim, x->dims, len, &ax, ydims, err));
  int complex_in = x->dims[x->ndim - 1] == 2;
  if (p->onesided && complex_in) OQ_KFAIL(call->node_name, OQ_ERR_MODEL, "onesided needs a real signal");
  int64_t n = len > 0 ? len : x->dims[ax], n_in = x->dims[ax], n_out = ydims[ax], inner = 1, outer = 1;
  for (int32_t i = 0; i < ax; i++) outer *= x->dims[i];
  for (int32_t i = (int32_t)ax + 1; i < x->ndim - 1; i++) inner *= x->dims[i];
  double work = (double)outer * (double)inner * (double)n_out * (double)(n_in < n ? n_in : n);
  if (work > SIG_WORK_LIMIT)
    OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "the transform needs %.3g multiply-adds, over the limit of %.3g",
             work, SIG_WORK_LIMIT);
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_FLOAT, x->ndim, ydims, err));
  if (oq_tensor_numel(&call->outputs[0]) == 0) return OQ_OK;
  double *tw;
  OQ_CHECK(twiddles(call, n, &tw, err));
  int64_t cin = x->dims[x->ndim - 1];
  const float *xd = x->data;
  float *yd = call->outputs[0].data;
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++)
      dft_line(xd + (o * n_in * inner + i) * cin, inner * cin, complex_in, n_in, n, n_out, tw, (int)p->inverse,
               yd + (o * n_out * inner + i) * 2, inner * 2);
  return OQ_OK;
fail:
  return st;
}

/* DFT 20 takes the axis as an input: its params mark that by an axis of INT64_MIN. */
oq_status oq_op_dft20_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = oq_op_init_attrs(ctx, params, err);
  if (st == OQ_OK) ((sig_params *)*params)->axis = INT64_MIN;
  return st;
}

oq_status oq_op_dft_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                          int32_t n_out, oq_error *err) {
  (void)n_out;
  const sig_params *p = params;
  out[0].dtype = OQ_DTYPE_FLOAT;
  if (in[0]->ndim < 0) return OQ_OK;
  int64_t len = -1, axis_in = -2, ax, ydims[OQ_MAX_DIMS];
  for (int32_t i = 1; i < n_in && i < 3; i++) {
    if (!in[i]) continue;
    const oq_tensor *v = in[i]->value;
    if (!v || !v->data || oq_tensor_numel(v) != 1 || !oq_dtype_is_numeric(v->dtype)) return OQ_OK;
    *(i == 1 ? &len : &axis_in) = oq_load_i64(v->data, v->dtype, 0);
  }
  oq_status st = dft_shape(p, p->axis == INT64_MIN, axis_in, in[0]->ndim, in[0]->dims, len, &ax, ydims, err);
  if (st == OQ_OK) oq_info_set(&out[0], OQ_DTYPE_FLOAT, in[0]->ndim, ydims);
  return st;
}

/* ---- STFT --------------------------------------------------------------------------------------------------- */

oq_status oq_op_stft_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const sig_params *p = call->params;
  const oq_tensor *x = call->inputs[0], *win = oq_kin(call, 2);
  if (x->dtype != OQ_DTYPE_FLOAT || (win && win->dtype != OQ_DTYPE_FLOAT))
    OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "STFT takes a float32 signal and window");
  if (x->ndim != 3 || (x->dims[2] != 1 && x->dims[2] != 2))
    OQ_KFAIL(call->node_name, OQ_ERR_SHAPE, "the signal must be [batch, length, 1 or 2]");
  if (win && win->ndim != 1) OQ_KFAIL(call->node_name, OQ_ERR_SHAPE, "the window must be 1-D");
  int64_t step, fl = win ? win->dims[0] : -1;
  OQ_CHECK(scalar_int(call, 1, "frame_step", &step, err));
  if (oq_kin(call, 3)) {
    int64_t given;
    OQ_CHECK(scalar_int(call, 3, "frame_length", &given, err));
    if (win && given != fl)
      OQ_KFAIL(call->node_name, OQ_ERR_SHAPE, "frame_length %lld differs from the window's %lld", (long long)given,
               (long long)fl);
    fl = given;
  }
  int64_t len = x->dims[1], batch = x->dims[0];
  if (fl < 1 || step < 1 || fl > len)
    OQ_KFAIL(call->node_name, OQ_ERR_SHAPE, "frame_length %lld and frame_step %lld do not fit a signal of %lld",
             (long long)fl, (long long)step, (long long)len);
  int complex_in = x->dims[2] == 2;
  int64_t frames = (len - fl) / step + 1, bins = p->onesided && !complex_in ? fl / 2 + 1 : fl;
  double work = (double)batch * (double)frames * (double)bins * (double)fl;
  if (work > SIG_WORK_LIMIT)
    OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "the transform needs %.3g multiply-adds, over the limit of %.3g",
             work, SIG_WORK_LIMIT);
  int64_t ydims[4] = {batch, frames, bins, 2};
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_FLOAT, 4, ydims, err));
  if (oq_tensor_numel(&call->outputs[0]) == 0) return OQ_OK;
  double *tw;
  float *frame;
  OQ_CHECK(twiddles(call, fl, &tw, err));
  OQ_CHECK(oq_kscratch(call, (size_t)fl * 2 * sizeof(float), (void **)&frame, err));
  const float *xd = x->data, *wd = win ? win->data : NULL;
  for (int64_t b = 0; b < batch; b++)
    for (int64_t f = 0; f < frames; f++) {
      const float *src = xd + (b * len + f * step) * x->dims[2];
      for (int64_t t = 0; t < fl; t++) {
        float w = wd ? wd[t] : 1.0f;
        frame[2 * t] = src[t * x->dims[2]] * w;
        frame[2 * t + 1] = complex_in ? src[t * 2 + 1] * w : 0.0f;
      }
      float *y = (float *)call->outputs[0].data + (b * frames + f) * bins * 2;
      dft_line(frame, 2, 1, fl, fl, bins, tw, 0, y, 2);
    }
  return OQ_OK;
fail:
  return st;
}

/* ---- MelWeightMatrix ---------------------------------------------------------------------------------------- */
/* [dft_length / 2 + 1, num_mel_bins]: triangular filters between mel-spaced edges (mel = 2595 log10(1 + f / 700)),
 * the edges mapped to spectrogram bins as (dft_length + 1) * f / sample_rate rounded down, as the ONNX reference. */

oq_status oq_op_mel_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const sig_params *p = call->params;
  int64_t mels, dft, rate;
  OQ_CHECK(scalar_int(call, 0, "num_mel_bins", &mels, err));
  OQ_CHECK(scalar_int(call, 1, "dft_length", &dft, err));
  OQ_CHECK(scalar_int(call, 2, "sample_rate", &rate, err));
  const oq_tensor *lo_t = call->inputs[3], *hi_t = call->inputs[4];
  if (oq_tensor_numel(lo_t) != 1 || oq_tensor_numel(hi_t) != 1 || !oq_dtype_is_float(lo_t->dtype) ||
      !oq_dtype_is_float(hi_t->dtype))
    OQ_KFAIL(call->node_name, OQ_ERR_SHAPE, "lower_edge_hertz and upper_edge_hertz must be float scalars");
  double lo = oq_load_f64(lo_t->data, lo_t->dtype, 0), hi = oq_load_f64(hi_t->data, hi_t->dtype, 0);
  if (mels < 1 || dft < 1 || rate < 1 || !(lo >= 0) || !(hi > lo) || !isfinite(hi) || mels > ((int64_t)1 << 24))
    OQ_KFAIL(call->node_name, OQ_ERR_MODEL, "MelWeightMatrix inputs are out of range");
  int32_t dt = (int32_t)p->output_datatype;
  if (!oq_dtype_is_numeric(dt)) OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "output_datatype %d is not numeric", dt);
  int64_t bins = dft / 2 + 1, dims[2] = {bins, mels};
  OQ_CHECK(oq_kout(call, 0, dt, 2, dims, err));
  int64_t *edge;
  OQ_CHECK(oq_kscratch(call, (size_t)(mels + 2) * sizeof(int64_t), (void **)&edge, err));
  double lo_mel = 2595.0 * log10(1 + lo / 700.0), hi_mel = 2595.0 * log10(1 + hi / 700.0);
  double step = (hi_mel - lo_mel) / (double)(mels + 2); /* as the reference: the last edge stays below hi */
  for (int64_t i = 0; i < mels + 2; i++) {
    double hz = 700.0 * (pow(10.0, ((double)i * step + lo_mel) / 2595.0) - 1);
    double b = floor((double)(dft + 1) * hz / (double)rate);
    edge[i] = b < 0 ? 0 : b > (double)(bins - 1) ? bins - 1 : (int64_t)b;
  }
  void *y = call->outputs[0].data;
  for (int64_t i = 0; i < mels; i++) {
    int64_t l = edge[i], c = edge[i + 1], r = edge[i + 2];
    if (c == l)
      oq_store_f64(y, dt, c * mels + i, 1.0);
    else
      for (int64_t j = l; j <= c; j++) oq_store_f64(y, dt, j * mels + i, (double)(j - l) / (double)(c - l));
    for (int64_t j = c; r > c && j < r; j++) oq_store_f64(y, dt, j * mels + i, (double)(r - j) / (double)(r - c));
  }
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_mel_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                          int32_t n_out, oq_error *err) {
  (void)n_in;
  (void)n_out;
  (void)err;
  const sig_params *p = params;
  int64_t dims[2] = {-1, -1};
  for (int32_t i = 0; i < 2; i++) {
    const oq_tensor *v = in[i]->value;
    if (v && v->data && oq_tensor_numel(v) == 1 && (v->dtype == OQ_DTYPE_INT64 || v->dtype == OQ_DTYPE_INT32)) {
      int64_t k = oq_load_i64(v->data, v->dtype, 0);
      if (k >= 1) dims[i == 0 ? 1 : 0] = i == 0 ? k : k / 2 + 1;
    }
  }
  oq_info_set(&out[0], (int32_t)p->output_datatype, 2, dims);
  return OQ_OK;
}

oq_status oq_op_stft_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                           int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_in;
  (void)n_out;
  (void)err;
  int64_t dims[4] = {in[0]->ndim == 3 ? in[0]->dims[0] : -1, -1, -1, 2};
  oq_info_set(&out[0], OQ_DTYPE_FLOAT, 4, dims);
  return OQ_OK;
}
