/* oq_model_describe: the model layer's summary (model/describe.c) told which operators the op table can run. It
 * lives here, above both, so that model/ does not depend on ops/. */
#include "exec/exec.h"
#include "ops/op.h"

static bool op_known(void *ud, const char *op_type, const char *domain, int64_t opset) {
  (void)ud;
  return oq_op_find(op_type, domain, opset) != NULL;
}

oq_status oq_model_describe(const oq_model *model, uint32_t flags, char **out, oq_error *err) {
  return oq_model_summary(model, flags, op_known, NULL, out, err);
}
