/* float16 / bfloat16 through float32: a row whose kernel computes float32 only runs half-precision inputs by
 * widening every half input to float32, calling the float32 kernel with hooks of our own (its outputs land in
 * executor scratch too), and narrowing each float32 output back to the input's half type (round to nearest even)
 * into the executor's output. Every buffer comes from the executor's hooks: nothing is allocated here. Other dtypes
 * go straight to the kernel. */
#include "core/dtype.h"
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <stdlib.h>
#include <string.h>

#define HALF_MAX_IO 8

typedef struct half_ctx {
  const oq_kernel_call *outer;
} half_ctx;

/* The inner kernel's output j: a float32 (or other) tensor over a scratch block of the outer call. */
static oq_status half_out(void *ctx, const oq_kernel_call *call, int32_t j, int32_t dtype, int32_t ndim,
                          const int64_t *dims, oq_error *err) {
  const half_ctx *h = ctx;
  if (j < 0 || j >= call->n_outputs || call->outputs[j].data || call->outputs[j].dtype)
    OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "output %d requested twice", (int)j);
  oq_tensor t = {0};
  t.dtype = dtype;
  t.ndim = ndim;
  for (int32_t d = 0; d < ndim; d++) t.dims[d] = dims[d];
  size_t numel = 1, bytes = 0;
  for (int32_t d = 0; d < ndim; d++)
    if (dims[d] < 0 || !oq_size_mul(numel, (size_t)dims[d], &numel))
      OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "output %d is too large", (int)j);
  if (!oq_dtype_nbytes(dtype, numel, &bytes)) OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "output %d is too large", (int)j);
  if (bytes) {
    oq_status st = oq_kscratch(h->outer, bytes, &t.data, err);
    if (st != OQ_OK) return st;
    memset(t.data, 0, bytes);
  }
  t.nbytes = bytes;
  call->outputs[j] = t;
  return OQ_OK;
}

static oq_status half_scratch(void *ctx, size_t bytes, void **out, oq_error *err) {
  const half_ctx *h = ctx;
  return oq_kscratch(h->outer, bytes, out, err);
}

static oq_status half_subgraph(void *ctx, const oq_kernel_call *call, int32_t index, const oq_tensor *const *inputs,
                               int32_t n_inputs, oq_tensor *outputs, int32_t n_outputs, oq_error *err) {
  (void)ctx;
  (void)call;
  (void)index;
  (void)inputs;
  (void)n_inputs;
  (void)outputs;
  (void)n_outputs;
  OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "no subgraphs through the half-precision wrapper");
}

static int is_half(int32_t dt) { return dt == OQ_DTYPE_FLOAT16 || dt == OQ_DTYPE_BFLOAT16; }

static oq_status via_float(const oq_kernel_call *call, oq_op_exec_fn fn, oq_error *err) {
  oq_status st = OQ_OK;
  int32_t half = 0;
  for (int32_t i = 0; i < call->n_inputs; i++)
    if (call->inputs[i] && is_half(call->inputs[i]->dtype)) half = call->inputs[i]->dtype;
  if (!half) return fn(call, err);
  if (call->n_inputs > HALF_MAX_IO || call->n_outputs > HALF_MAX_IO)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "too many inputs for float16 execution");
  oq_tensor wide[HALF_MAX_IO], outs[HALF_MAX_IO];
  const oq_tensor *ins[HALF_MAX_IO];
  memset(wide, 0, sizeof wide);
  memset(outs, 0, sizeof outs);
  size_t total = 0; /* floats of every widened input, in one scratch block */
  for (int32_t i = 0; i < call->n_inputs; i++) {
    const oq_tensor *t = call->inputs[i];
    if (t && is_half(t->dtype) && !oq_size_add(total, (size_t)oq_tensor_numel(t), &total))
      OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "float16 inputs are too large");
  }
  float *buf = NULL;
  if (total) {
    size_t bytes;
    if (!oq_size_mul(total, sizeof(float), &bytes)) OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "float16 inputs are too large");
    OQ_CHECK(oq_kscratch(call, bytes, (void **)&buf, err));
  }
  for (int32_t i = 0; i < call->n_inputs; i++) {
    const oq_tensor *t = call->inputs[i];
    ins[i] = t;
    if (!t || !is_half(t->dtype)) continue;
    int64_t n = oq_tensor_numel(t);
    wide[i] = *t;
    wide[i].dtype = OQ_DTYPE_FLOAT;
    wide[i].data = n ? buf : NULL;
    wide[i].nbytes = (size_t)n * sizeof(float);
    wide[i].owns_data = 0;
    for (int64_t k = 0; k < n; k++) buf[k] = (float)oq_load_f64(t->data, t->dtype, k);
    if (n) buf += n; /* no buffer at all when every half input is empty (fuzz_run, UBSan: NULL + 0) */
    ins[i] = &wide[i];
  }
  half_ctx hc = {call};
  oq_kernel_hooks hooks = {half_out, half_scratch, half_subgraph};
  oq_kernel_call inner = *call;
  inner.inputs = ins;
  inner.outputs = outs;
  inner.hooks = &hooks;
  inner.hooks_ctx = &hc;
  OQ_CHECK(fn(&inner, err));
  for (int32_t j = 0; j < call->n_outputs; j++) {
    const oq_tensor *o = &outs[j];
    if (!o->data && o->dtype == 0) continue;
    int32_t dt = o->dtype == OQ_DTYPE_FLOAT ? half : o->dtype;
    OQ_CHECK(oq_kout(call, j, dt, o->ndim, o->dims, err));
    oq_tensor *y = &call->outputs[j];
    if (dt == o->dtype) {
      if (o->nbytes) memcpy(y->data, o->data, o->nbytes);
    } else {
      int64_t n = oq_tensor_numel(o);
      for (int64_t k = 0; k < n; k++) oq_store_f64(y->data, dt, k, ((const float *)o->data)[k]);
    }
  }
fail: /* wide and outs borrow executor scratch */
  return st;
}

#define HALF_ROW(name)                                                                                                 \
  oq_status oq_op_##name##_h_exec(const oq_kernel_call *call, oq_error *err) {                                         \
    return via_float(call, oq_op_##name##_exec, err);                                                                  \
  }
HALF_ROW(max)
HALF_ROW(min)
HALF_ROW(mod)
HALF_ROW(sum)
HALF_ROW(mean)
HALF_ROW(add)
HALF_ROW(sub)
HALF_ROW(mul)
HALF_ROW(div)
