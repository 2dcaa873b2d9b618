/* QuantizeLinear / DequantizeLinear: per-tensor (opset 10) and per-axis (opset 13+, `axis` attribute) with
 * uint8/int8/uint16/int16 (and int32 for dequantization). Rounding is half to even, results saturate. Block
 * quantization (opset 21 block_size) is refused at load time. */
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <math.h>
#include <stdlib.h>

typedef struct qdq_params {
  int64_t axis;         /* quantization axis (per-axis scales), as given */
  int64_t opset;        /* opset of the node's domain */
  int64_t output_dtype; /* QuantizeLinear-21 output_dtype, 0 = from zero point or uint8 */
} qdq_params;

oq_status oq_op_qdq_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  const char *node = oq_init_node_name(ctx);
  qdq_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  p->opset = ctx->opset;
  int64_t block = 0;
  OQ_CHECK(oq_attr_int(ctx->node->proto, "axis", 1, &p->axis, err));
  OQ_CHECK(oq_attr_int(ctx->node->proto, "block_size", 0, &block, err));
  OQ_CHECK(oq_attr_int(ctx->node->proto, "output_dtype", 0, &p->output_dtype, err));
  if (block != 0)
    OQ_KFAIL(node, OQ_ERR_UNSUPPORTED, "blocked quantization (block_size=%lld) is not supported", (long long)block);
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

static int quant_range(int32_t dtype, float *lo, float *hi) {
  switch (dtype) {
  case OQ_DTYPE_UINT8:
    *lo = 0;
    *hi = 255;
    return 1;
  case OQ_DTYPE_INT8:
    *lo = -128;
    *hi = 127;
    return 1;
  case OQ_DTYPE_UINT16:
    *lo = 0;
    *hi = 65535;
    return 1;
  case OQ_DTYPE_INT16:
    *lo = -32768;
    *hi = 32767;
    return 1;
  default: return 0;
  }
}

/* Validates scale / zero point and derives the per-axis layout: element e uses channel (e / inner) % channels. */
static oq_status qparams_layout(const oq_kernel_call *call, const char *op, const oq_tensor *x, const oq_tensor *scale,
                                const oq_tensor *zp, int64_t *channels, int64_t *inner, oq_error *err) {
  const qdq_params *p = call->params;
  const char *node = call->node_name;
  if (scale->dtype != OQ_DTYPE_FLOAT)
    OQ_KRETURN(node, OQ_ERR_UNSUPPORTED, "%s scale must be float32, got %s", op, oq_dtype_name(scale->dtype));
  int64_t ns = oq_tensor_numel(scale);
  if (zp && oq_tensor_numel(zp) != ns)
    OQ_KRETURN(node, OQ_ERR_SHAPE, "%s zero point has %lld values, scale %lld", op, (long long)oq_tensor_numel(zp),
               (long long)ns);
  if (scale->ndim == 0 || (ns == 1 && scale->ndim == 1)) {
    *channels = 1;
    *inner = 1;
    return OQ_OK;
  }
  if (scale->ndim != 1)
    OQ_KRETURN(node, OQ_ERR_SHAPE, "%s scale must be a scalar or 1-D, got rank %d", op, (int)scale->ndim);
  if (p && p->opset < 13) OQ_KRETURN(node, OQ_ERR_SHAPE, "%s before opset 13 needs a scalar scale", op);
  int64_t axis, raw = p ? p->axis : 1;
  if (!oq_norm_axis(raw, x->ndim, &axis))
    OQ_KRETURN(node, OQ_ERR_SHAPE, "%s axis %lld out of range for rank %d", op, (long long)raw, (int)x->ndim);
  if (x->dims[axis] != ns)
    OQ_KRETURN(node, OQ_ERR_SHAPE, "%s has %lld scales for extent %lld on axis %lld", op, (long long)ns,
               (long long)x->dims[axis], (long long)axis);
  int64_t in = 1;
  for (int32_t i = (int32_t)axis + 1; i < x->ndim; i++) in *= x->dims[i];
  *channels = ns;
  *inner = in;
  return OQ_OK;
}

oq_status oq_op_quantize_linear_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const qdq_params *p = call->params;
  const char *node = call->node_name;
  const oq_tensor *x = oq_kin(call, 0), *scale = oq_kin(call, 1), *zp = oq_kin(call, 2);
  oq_tensor *out = &call->outputs[0];
  if (!x || !scale) OQ_KFAIL(node, OQ_ERR_MODEL, "QuantizeLinear needs x and y_scale");
  if (x->dtype != OQ_DTYPE_FLOAT)
    OQ_KFAIL(node, OQ_ERR_UNSUPPORTED, "QuantizeLinear input must be float32, got %s", oq_dtype_name(x->dtype));
  int32_t qt = zp ? zp->dtype : (p && p->output_dtype ? (int32_t)p->output_dtype : OQ_DTYPE_UINT8);
  if (zp && p && p->output_dtype && p->output_dtype != zp->dtype)
    OQ_KFAIL(node, OQ_ERR_SHAPE, "QuantizeLinear output_dtype disagrees with the zero point type");
  float qlo, qhi;
  if (!quant_range(qt, &qlo, &qhi))
    OQ_KFAIL(node, OQ_ERR_UNSUPPORTED, "QuantizeLinear to %s is not supported", oq_dtype_name(qt));
  int64_t channels, inner;
  OQ_CHECK(qparams_layout(call, "QuantizeLinear", x, scale, zp, &channels, &inner, err));
  OQ_CHECK(oq_kout(call, 0, qt, x->ndim, x->dims, err));
  const float *xs = x->data, *sc = scale->data;
  int64_t n = oq_tensor_numel(x);
  for (int64_t e = 0; e < n; e++) {
    int64_t c = channels == 1 ? 0 : (e / inner) % channels;
    float z = zp ? (float)oq_load_i64(zp->data, zp->dtype, c) : 0.0f;
    float v = nearbyintf(xs[e] / sc[c]) + z;
    v = fmaxf(v, qlo); /* also maps NaN to the low end */
    v = fminf(v, qhi);
    oq_store_i64(out->data, qt, e, (int64_t)v);
  }
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_dequantize_linear_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const char *node = call->node_name;
  const oq_tensor *x = oq_kin(call, 0), *scale = oq_kin(call, 1), *zp = oq_kin(call, 2);
  oq_tensor *out = &call->outputs[0];
  if (!x || !scale) OQ_KFAIL(node, OQ_ERR_MODEL, "DequantizeLinear needs x and x_scale");
  float lo, hi;
  if (!quant_range(x->dtype, &lo, &hi) && x->dtype != OQ_DTYPE_INT32)
    OQ_KFAIL(node, OQ_ERR_UNSUPPORTED, "DequantizeLinear of %s is not supported", oq_dtype_name(x->dtype));
  if (zp && zp->dtype != x->dtype)
    OQ_KFAIL(node, OQ_ERR_SHAPE, "DequantizeLinear zero point is %s, input %s", oq_dtype_name(zp->dtype),
             oq_dtype_name(x->dtype));
  int64_t channels, inner;
  OQ_CHECK(qparams_layout(call, "DequantizeLinear", x, scale, zp, &channels, &inner, err));
  if (zp && x->dtype == OQ_DTYPE_INT32)
    for (int64_t c = 0; c < channels; c++)
      if (oq_load_i64(zp->data, zp->dtype, c) != 0)
        OQ_KFAIL(node, OQ_ERR_MODEL, "DequantizeLinear of int32 needs a zero point of 0");
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_FLOAT, x->ndim, x->dims, err));
  const float *sc = scale->data;
  float *y = out->data;
  int64_t n = oq_tensor_numel(x);
  for (int64_t e = 0; e < n; e++) {
    int64_t c = channels == 1 ? 0 : (e / inner) % channels;
    int64_t z = zp ? oq_load_i64(zp->data, zp->dtype, c) : 0;
    y[e] = (float)(oq_load_i64(x->data, x->dtype, e) - z) * sc[c];
  }
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_quantize_linear_infer(const void *params, const oq_shape_info *const *in, int32_t n_in,
                                      oq_shape_info *out, int32_t n_out, oq_error *err) {
  (void)n_out;
  (void)err;
  const qdq_params *p = params;
  const oq_shape_info *x = in[0], *zp = n_in > 2 ? in[2] : NULL;
  if (!x || x->ndim < 0 || (zp && !zp->dtype)) return OQ_OK;
  oq_info_set(&out[0], zp ? zp->dtype : (p && p->output_dtype ? (int32_t)p->output_dtype : OQ_DTYPE_UINT8), x->ndim,
              x->dims);
  return OQ_OK;
}

oq_status oq_op_dequantize_linear_infer(const void *params, const oq_shape_info *const *in, int32_t n_in,
                                        oq_shape_info *out, int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_in;
  (void)n_out;
  (void)err;
  if (!in[0] || in[0]->ndim < 0) return OQ_OK;
  oq_info_set(&out[0], OQ_DTYPE_FLOAT, in[0]->ndim, in[0]->dims);
  return OQ_OK;
}
