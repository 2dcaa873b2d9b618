/* Which ops are quantized and how: onnxruntime's QDQ quantizer with its default op list (QDQRegistry plus the
 * QLinearOps types handled by QDQOperatorBase). Ops not listed stay in float and simply read the DequantizeLinear
 * outputs of their quantized inputs. */
#include "quant/quant.h"

#include <stdlib.h>
#include <string.h>

static const oq_quant_policy policies[] = {
    /* Weighted ops: QDQConv (weight axis 0, ConvTranspose 1), QDQGemm (axis 0 when transB else 1). */
    {"Conv", OQ_QUANT_WEIGHTED, 0, 1},
    {"ConvTranspose", OQ_QUANT_WEIGHTED, 1, 1},
    {"Gemm", OQ_QUANT_WEIGHTED, -1, 1},
    /* QDQMatMul: every initializer input per channel on axis 1, other inputs and the output as activations. */
    {"MatMul", OQ_QUANT_MATMUL, 1, 1},
    /* QDQRemovableActivation. */
    {"Relu", OQ_QUANT_REMOVABLE, 0, 1},
    {"Clip", OQ_QUANT_REMOVABLE, 0, 1},
    /* QDQDirect8BitOp / QDQMaxPool (opset >= 12) / QDQResize (opset >= 11): output shares input 0's params. */
    {"Reshape", OQ_QUANT_DIRECT, 0, 1},
    {"Transpose", OQ_QUANT_DIRECT, 0, 1},
    {"Squeeze", OQ_QUANT_DIRECT, 0, 1},
    {"Unsqueeze", OQ_QUANT_DIRECT, 0, 1},
    {"Slice", OQ_QUANT_DIRECT, 0, 1},
    {"AveragePool", OQ_QUANT_DIRECT, 0, 1},
    {"MaxPool", OQ_QUANT_DIRECT, 0, 12},
    {"Resize", OQ_QUANT_DIRECT, 0, 11},
    {"TopK", OQ_QUANT_DIRECT, 0, 1},
    /* QDQOperatorBase: all float inputs and outputs with their own ranges. */
    {"Add", OQ_QUANT_GENERIC, 0, 1},
    {"Mul", OQ_QUANT_GENERIC, 0, 1},
    {"Concat", OQ_QUANT_GENERIC, 0, 1},
    {"GlobalAveragePool", OQ_QUANT_GENERIC, 0, 1},
    {"Sigmoid", OQ_QUANT_GENERIC, 0, 1},
    {"LeakyRelu", OQ_QUANT_GENERIC, 0, 1},
    {"Softmax", OQ_QUANT_GENERIC, 0, 1},
    {"ArgMax", OQ_QUANT_GENERIC, 0, 1},
    {"CumSum", OQ_QUANT_GENERIC, 0, 1},
};

const oq_quant_policy *oq_quant_policy_find(const char *op_type, const char *domain, int64_t opset) {
  if (!op_type) return NULL;
  if (domain && *domain && strcmp(domain, "ai.onnx") != 0) return NULL;
  for (size_t i = 0; i < sizeof policies / sizeof policies[0]; i++) {
    if (strcmp(policies[i].op_type, op_type) != 0) continue;
    if (opset >= 0 && opset < policies[i].min_opset) return NULL;
    return &policies[i];
  }
  return NULL;
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
