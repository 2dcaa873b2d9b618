/* Constant folding (placeholder). */
#include "prep/prep.h"

oq_status oq_prep_fold_constants(prep_ctx *c, prep_graph *g, oq_error *err) {
  (void)c, (void)g, (void)err;
  return OQ_OK;
}
