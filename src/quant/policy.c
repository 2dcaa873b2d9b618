/* Which ops are quantized and how: the one policy table of the quantizer. It follows onnxruntime's QDQ quantizer
 * (QDQRegistry and QDQOperatorBase) where that makes the runtime fuse the op into an integer kernel (its QDQ
 * selectors: Conv, MatMul, Gemm, Add/Mul, Concat, the unary QLinear ops, and the ops whose Q/DQ pairs it drops), and
 * extends it for ops the issue lists (Flatten, Split, Pad, Resize, normalizations, RNN weights).
 *
 * The table lives here, not in the operator table (ops/op_list.h): what the quantizer does with an op does not
 * depend on whether onnxq's executor runs it, and the quantizer's rules change with the runtimes it targets, not
 * with the kernels. Ops without a row stay in float and read the DequantizeLinear outputs of their inputs. */
#include "quant/quant.h"

#include <stdlib.h>
#include <string.h>

#define ALL (-1)
/* op_type, kind, weight_axis, min_opset, act_inputs, fixed output range (has, lo, hi) */
static const oq_quant_policy k_policies[] = {
    /* weighted: activation input 0 and output, weight input 1 per channel, int32 bias input 2 */
    {"Conv", OQ_QUANT_WEIGHTED, 0, 1, 1, 0, 0.0f, 0.0f},
    {"ConvTranspose", OQ_QUANT_WEIGHTED, 1, 1, 1, 0, 0.0f, 0.0f},
    {"Gemm", OQ_QUANT_WEIGHTED, -1, 1, 1, 0, 0.0f, 0.0f}, /* axis from transB */
    /* initializer inputs as weights (per channel on the last axis), the others as activations (attention) */
    {"MatMul", OQ_QUANT_MATMUL, -1, 1, ALL, 0, 0.0f, 0.0f},
    /* removed when the producer can write the output (its range then covers only what the Relu/Clip lets through) */
    {"Relu", OQ_QUANT_REMOVABLE, 0, 1, 1, 0, 0.0f, 0.0f},
    {"Clip", OQ_QUANT_REMOVABLE, 0, 1, 1, 0, 0.0f, 0.0f},
    /* own output scale: onnxruntime fuses these into QLinearAdd/Mul/Concat/Sigmoid/... */
    {"Add", OQ_QUANT_GENERIC, 0, 1, ALL, 0, 0.0f, 0.0f},
    {"Mul", OQ_QUANT_GENERIC, 0, 1, ALL, 0, 0.0f, 0.0f},
    {"Concat", OQ_QUANT_GENERIC, 0, 1, ALL, 0, 0.0f, 0.0f},
    {"Softmax", OQ_QUANT_GENERIC, 0, 1, 1, 1, 0.0f, 1.0f},
    {"Sigmoid", OQ_QUANT_GENERIC, 0, 1, 1, 0, 0.0f, 0.0f},
    {"HardSwish", OQ_QUANT_GENERIC, 0, 14, 1, 0, 0.0f, 0.0f},
    {"LeakyRelu", OQ_QUANT_GENERIC, 0, 1, 1, 0, 0.0f, 0.0f},
    {"GlobalAveragePool", OQ_QUANT_GENERIC, 0, 1, 1, 0, 0.0f, 0.0f},
    {"ArgMax", OQ_QUANT_GENERIC, 0, 1, 1, 0, 0.0f, 0.0f},
    {"CumSum", OQ_QUANT_GENERIC, 0, 1, 1, 0, 0.0f, 0.0f},
    {"LayerNormalization", OQ_QUANT_GENERIC, 0, 17, 1, 0, 0.0f, 0.0f},
    {"InstanceNormalization", OQ_QUANT_GENERIC, 0, 1, 1, 0, 0.0f, 0.0f},
    /* scale-passing: the outputs share input 0's scale and zero point (onnxruntime drops the Q/DQ pair) */
    {"AveragePool", OQ_QUANT_DIRECT, 0, 1, 1, 0, 0.0f, 0.0f},
    {"MaxPool", OQ_QUANT_DIRECT, 0, 12, 1, 0, 0.0f, 0.0f},
    {"Reshape", OQ_QUANT_DIRECT, 0, 1, 1, 0, 0.0f, 0.0f},
    {"Transpose", OQ_QUANT_DIRECT, 0, 1, 1, 0, 0.0f, 0.0f},
    {"Squeeze", OQ_QUANT_DIRECT, 0, 1, 1, 0, 0.0f, 0.0f},
    {"Unsqueeze", OQ_QUANT_DIRECT, 0, 1, 1, 0, 0.0f, 0.0f},
    {"Flatten", OQ_QUANT_DIRECT, 0, 1, 1, 0, 0.0f, 0.0f},
    {"Slice", OQ_QUANT_DIRECT, 0, 1, 1, 0, 0.0f, 0.0f},
    {"Gather", OQ_QUANT_DIRECT, 0, 1, 1, 0, 0.0f, 0.0f},
    {"Split", OQ_QUANT_DIRECT, 0, 1, 1, 0, 0.0f, 0.0f},
    {"Resize", OQ_QUANT_DIRECT, 0, 1, 1, 0, 0.0f, 0.0f},
    {"Pad", OQ_QUANT_DIRECT, 0, 11, 1, 0, 0.0f, 0.0f}, /* only with a zero pad value (checked by the planner) */
    {"DepthToSpace", OQ_QUANT_DIRECT, 0, 1, 1, 0, 0.0f, 0.0f},
    {"SpaceToDepth", OQ_QUANT_DIRECT, 0, 1, 1, 0, 0.0f, 0.0f},
    {"TopK", OQ_QUANT_DIRECT, 0, 1, 1, 0, 0.0f, 0.0f},
    /* recurrent ops: W (input 1) and R (input 2) per channel on the gate axis; activations stay float */
    {"LSTM", OQ_QUANT_RNN, 1, 1, 0, 0, 0.0f, 0.0f},
    {"GRU", OQ_QUANT_RNN, 1, 1, 0, 0, 0.0f, 0.0f},
    {"RNN", OQ_QUANT_RNN, 1, 1, 0, 0, 0.0f, 0.0f},
};
#undef ALL

const oq_quant_policy *oq_quant_policy_find(const char *op_type, const char *domain, int64_t opset) {
  if (!op_type) return NULL;
  if (domain && *domain && strcmp(domain, "ai.onnx") != 0) return NULL;
  for (size_t i = 0; i < sizeof k_policies / sizeof k_policies[0]; i++) {
    const oq_quant_policy *pol = &k_policies[i];
    if (strcmp(pol->op_type, op_type) != 0) continue;
    if (opset >= 0 && opset < pol->min_opset) return NULL;
    return pol;
  }
  return NULL;
}

const oq_quant_policy *oq_quant_policy_table(int32_t *count) {
  *count = (int32_t)(sizeof k_policies / sizeof k_policies[0]);
  return k_policies;
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
