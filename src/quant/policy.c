/* Which ops are quantized and how: onnxruntime's QDQ quantizer with its default op list (QDQRegistry plus the
 * QLinearOps types handled by QDQOperatorBase). The policy is a column of the operator table (ops/op_list.h);
 * this file answers the rewriter's questions from it. Ops without a policy stay in float and simply read the
 * DequantizeLinear outputs of their quantized inputs. */
#include "ops/op.h"
#include "quant/quant.h"

#include <stdlib.h>
#include <string.h>

_Static_assert(OQ_OP_QUANT_NONE == (int)OQ_QUANT_NONE && OQ_OP_QUANT_GENERIC == (int)OQ_QUANT_GENERIC &&
                   OQ_OP_QUANT_WEIGHTED == (int)OQ_QUANT_WEIGHTED && OQ_OP_QUANT_MATMUL == (int)OQ_QUANT_MATMUL &&
                   OQ_OP_QUANT_DIRECT == (int)OQ_QUANT_DIRECT && OQ_OP_QUANT_REMOVABLE == (int)OQ_QUANT_REMOVABLE,
               "ops/op.h quantization kinds mirror oq_quant_kind");

/* The policy column of every table row, in the rewriter's struct: index i is row i of oq_op_table. */
#define OQ_NONE NULL
#define OQ_OP(type, domain, since, max_opset, min_in, max_in, min_out, max_out, init, infer, workspace, exec, free_fn, \
              flags, qkind, qaxis, qmin, attrs)                                                                        \
  {type, (oq_quant_kind)(qkind), qaxis, qmin},
static const oq_quant_policy k_policies[] = {
#include "ops/op_list.h"
};
#undef OQ_OP
#undef OQ_NONE

const oq_quant_policy *oq_quant_policy_find(const char *op_type, const char *domain, int64_t opset) {
  if (!op_type) return NULL;
  if (domain && *domain && strcmp(domain, "ai.onnx") != 0) return NULL;
  /* the op's policy whatever its rows' opset range (every row of an op carries the same policy) */
  const oq_op_def *row = oq_op_first_row(op_type, "");
  if (!row || row->quant_kind == OQ_OP_QUANT_NONE) return NULL;
  int32_t n;
  const oq_op_def *rows = oq_op_table(&n);
  if (row - rows >= n || (size_t)n != sizeof k_policies / sizeof k_policies[0]) return NULL;
  const oq_quant_policy *pol = &k_policies[row - rows];
  if (opset >= 0 && opset < pol->min_opset) return NULL;
  return pol;
}

oq_status oq_quant_tracked_values(const oq_model *model, uint8_t **out, oq_error *err) {
  const oq_graph *g = &model->graph;
  int64_t opset = oq_graph_opset(g, "");
  uint8_t *t = oq_calloc(g->n_values > 0 ? (size_t)g->n_values : 1, 1, err);
  *out = NULL;
  if (!t) return OQ_ERR_NOMEM;
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const oq_node *node = &g->nodes[n];
    if (!oq_quant_policy_find(node->proto->op_type, node->proto->domain, opset)) continue;
    for (int32_t i = 0; i < node->n_inputs; i++) {
      int32_t v = node->inputs[i];
      if (v >= 0 && g->values[v].kind != OQ_VALUE_INITIALIZER) t[v] = 1;
    }
    for (int32_t i = 0; i < node->n_outputs; i++)
      if (node->outputs[i] >= 0) t[node->outputs[i]] = 1;
  }
  *out = t;
  return OQ_OK;
}
