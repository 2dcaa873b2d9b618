/* The operator table: rows come from op_list_*.h (X-macro), one file per group of kernel families so that the
 * families can grow independently. Lookup picks the highest since_version <= the model's opset. */
#include "ops/kernels.h"

#include <stdlib.h>
#include <string.h>

#define OQ_OP(type, domain, since, min_in, max_in, min_out, max_out, init, exec, free_fn, flags)                       \
  {type, domain, since, min_in, max_in, min_out, max_out, init, exec, free_fn, flags},

static const oq_op_def k_ops[] = {
#include "ops/op_list_nn.h"
#include "ops/op_list_tensor.h"
};

#undef OQ_OP

static int same_domain(const char *a, const char *b) {
  if (!a || strcmp(a, "ai.onnx") == 0) a = "";
  if (!b || strcmp(b, "ai.onnx") == 0) b = "";
  return strcmp(a, b) == 0;
}

const oq_op_def *oq_op_find(const char *op_type, const char *domain, int64_t opset) {
  const oq_op_def *best = NULL;
  for (size_t i = 0; i < sizeof k_ops / sizeof k_ops[0]; i++) {
    const oq_op_def *d = &k_ops[i];
    if (strcmp(d->op_type, op_type) != 0 || !same_domain(d->domain, domain)) continue;
    if (d->since_version > opset) continue;
    if (!best || d->since_version > best->since_version) best = d;
  }
  return best;
}

oq_status oq_op_init_none(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  (void)ctx;
  (void)err;
  *params = NULL;
  return OQ_OK;
}

void oq_op_params_free(void *params) { free(params); }
