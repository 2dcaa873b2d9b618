/* Control flow: If (ai.onnx If 1, 11, 13, 16, 19, 21; the versions differ only in the types a branch may return,
 * and both branches' outputs are checked at run time by the kernels that read them). The kernel evaluates cond and
 * runs the chosen branch through the executor's subgraph hook (oq_ksubgraph): branches are planned once by
 * the executor, and read values of the enclosing graph as outer references. */
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <stdlib.h>
#include <string.h>

/* Positions of the branches in the node's oq_node.subgraphs. */
typedef struct if_params {
  int32_t then_branch;
  int32_t else_branch;
} if_params;

/* A branch: a GRAPH attribute taking no inputs and returning at least as many outputs as the node has. */
static oq_status find_branch(const oq_node *node, const char *attr, int32_t *out, oq_error *err) {
  *out = oq_node_subgraph(node, attr);
  if (*out < 0) OQ_RETURN_ERR(err, OQ_ERR_MODEL, "attribute '%s' is missing or not a graph", attr);
  const oq_graph *g = node->subgraphs[*out].graph;
  if (g->n_inputs > 0 || g->proto->n_input > 0)
    OQ_RETURN_ERR(err, OQ_ERR_MODEL, "%s declares %zu inputs, If branches take none", attr, g->proto->n_input);
  if (g->n_outputs != node->n_outputs)
    OQ_RETURN_ERR(err, OQ_ERR_MODEL, "%s has %d outputs, the node %d", attr, (int)g->n_outputs, (int)node->n_outputs);
  return OQ_OK;
}

oq_status oq_op_if_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  if_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  OQ_CHECK(find_branch(ctx->node, "then_branch", &p->then_branch, err));
  OQ_CHECK(find_branch(ctx->node, "else_branch", &p->else_branch, err));
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

oq_status oq_op_if_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const if_params *p = call->params;
  const oq_tensor *cond = call->n_inputs > 0 ? call->inputs[0] : NULL;
  oq_tensor *got = NULL;
  if (!cond || cond->dtype != OQ_DTYPE_BOOL)
    OQ_RETURN_ERR(err, OQ_ERR_MODEL, "cond must be a bool tensor, got %s", cond ? oq_dtype_name(cond->dtype) : "none");
  if (oq_tensor_numel(cond) != 1 || !cond->data)
    OQ_RETURN_ERR(err, OQ_ERR_MODEL, "cond must hold exactly one element, it holds %lld",
                  (long long)oq_tensor_numel(cond));
  int32_t branch = *(const uint8_t *)cond->data ? p->then_branch : p->else_branch;
  /* The branch's outputs come back owned by us and are copied into the executor's outputs (oq_kout). */
  void *block = NULL;
  OQ_CHECK(oq_kscratch(call, (size_t)call->n_outputs * sizeof *got, &block, err));
  got = block;
  memset(got, 0, (size_t)call->n_outputs * sizeof *got);
  st = oq_ksubgraph(call, branch, NULL, 0, got, call->n_outputs, err);
  for (int32_t j = 0; st == OQ_OK && j < call->n_outputs; j++)
    st = oq_kout_bytes_of(call, j, &got[j], got[j].ndim, got[j].dims, err);
  for (int32_t j = 0; j < call->n_outputs; j++) oq_tensor_release(&got[j]);
fail:
  return st;
}
