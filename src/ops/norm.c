/* BatchNormalization in inference mode (float32): Y = (X - mean) / sqrt(var + epsilon) * scale + B, per channel
 * (dim 1). Training mode (training_mode = 1, or the running-statistics outputs of opsets before 14) and the
 * non-spatial variant of opsets 6/7 are refused at load time. */
#include "ops/kernels.h"
#include "ops/nn.h"
#include "ops/tensor_util.h"

#include <math.h>
#include <stdlib.h>

static const oq_attr_field k_bn_fields[] = {
    OQ_ATTR_FLOAT(oq_bn_params, epsilon, "epsilon", 1e-5f),
    OQ_ATTR_INT(oq_bn_params, training_mode, "training_mode", 0, -HUGE_VAL, HUGE_VAL),
    OQ_ATTR_INT(oq_bn_params, spatial, "spatial", 1, -HUGE_VAL, HUGE_VAL),
};
/* Inference only: training mode and its statistics outputs, and the non-spatial variant, are refused. */
static oq_status bn_check(const oq_op_init_ctx *ctx, const void *params, oq_error *err) {
  const oq_bn_params *p = params;
  if (p->training_mode != 0)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "training_mode=%lld is not supported", (long long)p->training_mode);
  if (p->spatial != 1) OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "spatial=%lld is not supported", (long long)p->spatial);
  for (int32_t i = 1; i < ctx->node->n_outputs; i++)
    if (ctx->node->outputs[i] >= 0)
      OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "output %d (training statistics) is not supported", (int)i);
  if (!(p->epsilon >= 0.0f)) OQ_RETURN_ERR(err, OQ_ERR_MODEL, "epsilon must be >= 0");
  return OQ_OK;
}

const oq_attr_spec oq_attrs_batchnorm = {sizeof(oq_bn_params), k_bn_fields, 3, bn_check};

size_t oq_op_batchnorm_workspace(const void *params, const oq_shape_info *const *in, int32_t n_in, int32_t n_out,
                                 int32_t threads) {
  (void)n_out;
  (void)params;
  (void)n_in;
  (void)threads;
  if (!oq_info_known(in[0]) || in[0]->ndim < 2 || in[0]->dims[1] > (int64_t)(SIZE_MAX / 8)) return 0;
  return (size_t)in[0]->dims[1] * 2 * sizeof(float);
}

oq_status oq_op_batchnorm_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_bn_params *p = call->params;
  const oq_tensor *x = call->inputs[0];
  static const char *const names[5] = {"X", "scale", "B", "input_mean", "input_var"};
  float *coef = NULL;
  for (int i = 0; i < 5; i++) {
    const oq_tensor *t = call->inputs[i];
    if (t->dtype != OQ_DTYPE_FLOAT)
      OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "input %s has type %s, only float32 is supported", names[i],
              oq_dtype_name(t->dtype));
  }
  OQ_CHECK(oq_nn_check_dims(x, "X", err));
  if (x->ndim < 2) OQ_FAIL(err, OQ_ERR_SHAPE, "input X has rank %d, BatchNormalization needs at least 2", (int)x->ndim);
  int64_t c = x->dims[1];
  for (int i = 1; i < 5; i++) {
    const oq_tensor *t = call->inputs[i];
    if (t->ndim != 1 || t->dims[0] != c)
      OQ_FAIL(err, OQ_ERR_SHAPE, "input %s must be 1-D with %lld entries (X has %lld channels)", names[i], (long long)c,
              (long long)c);
  }
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_FLOAT, x->ndim, x->dims, err));
  oq_tensor *y = &call->outputs[0];
  if (y->nbytes == 0) return OQ_OK;
  int64_t sp = 1;
  for (int32_t i = 2; i < x->ndim; i++) sp *= x->dims[i];
  void *scratch;
  OQ_CHECK(oq_kscratch(call, (size_t)c * 2 * sizeof(float), &scratch, err));
  coef = scratch;
  const float *scale = call->inputs[1]->data, *bias = call->inputs[2]->data;
  const float *mean = call->inputs[3]->data, *var = call->inputs[4]->data;
  for (int64_t ch = 0; ch < c; ch++) {
    double a = (double)scale[ch] / sqrt((double)var[ch] + (double)p->epsilon);
    coef[2 * ch] = (float)a;
    coef[2 * ch + 1] = (float)((double)bias[ch] - (double)mean[ch] * a);
  }
  const float *xd = x->data;
  float *yd = y->data;
  for (int64_t n = 0; n < x->dims[0]; n++)
    for (int64_t ch = 0; ch < c; ch++) {
      const float *xp = xd + (n * c + ch) * sp;
      float *yp = yd + (n * c + ch) * sp;
      float a = coef[2 * ch], b = coef[2 * ch + 1];
      for (int64_t i = 0; i < sp; i++) yp[i] = xp[i] * a + b;
    }
  return OQ_OK;
fail:
  return st;
}
