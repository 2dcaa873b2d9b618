/* Sub-plans of nodes with subgraphs and the kernel-call hook that runs them (see subgraph.h). */
#include "exec/subgraph.h"

#include <stdlib.h>
#include <string.h>

/* Invariant: plans[k] plans node->subgraphs[k].graph with the node's plan as parent. */
struct oq_subplans {
  const oq_node *node; /* borrowed; the node holding the subgraphs */
  oq_plan **plans;     /* owned; n entries */
  int32_t n;
};

void oq_subplans_free(oq_subplans *subs) {
  if (!subs) return;
  for (int32_t k = 0; k < subs->n; k++) oq_plan_free(subs->plans[k]);
  free(subs->plans);
  free(subs);
}

oq_status oq_subplans_build(const oq_model *model, const oq_plan *plan, const oq_node *node, oq_subplans **out,
                            oq_error *err) {
  oq_status st = OQ_OK;
  oq_subplans *subs = NULL;
  *out = NULL;
  subs = oq_calloc(1, sizeof *subs, err);
  if (!subs) return OQ_ERR_NOMEM;
  subs->node = node;
  subs->plans = oq_calloc((size_t)node->n_subgraphs, sizeof *subs->plans, err);
  if (!subs->plans) {
    st = OQ_ERR_NOMEM;
    goto fail;
  }
  for (int32_t k = 0; k < node->n_subgraphs; k++) {
    const oq_subgraph *sg = &node->subgraphs[k];
    st = oq_plan_build_scope(model, sg->graph, plan, &subs->plans[k], err);
    if (st != OQ_OK && sg->graph->depth <= OQ_GRAPH_NAMED_DEPTH) {
      if (sg->item >= 0)
        oq_error_prefix(err, "attribute '%s'[%d]", sg->attr, (int)sg->item);
      else
        oq_error_prefix(err, "attribute '%s'", sg->attr);
    }
    if (st != OQ_OK) goto fail;
    subs->n = k + 1;
  }
  *out = subs;
  return OQ_OK;
fail:
  oq_subplans_free(subs);
  return st;
}

oq_status oq_subplans_run(void *ctx, int32_t index, const oq_tensor *const *inputs, int32_t n_inputs,
                          oq_tensor *outputs, int32_t n_outputs, oq_error *err) {
  oq_status st = OQ_OK;
  oq_subplans *subs = ctx;
  oq_tensor *all = NULL;
  if (!subs || index < 0 || index >= subs->n || n_outputs < 0 || (n_outputs > 0 && !outputs))
    OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "subgraph %d does not exist", (int)index);
  const oq_subgraph *sg = &subs->node->subgraphs[index];
  int32_t n_all = sg->graph->n_outputs;
  if (n_outputs > n_all)
    OQ_RETURN_ERR(err, OQ_ERR_MODEL, "attribute '%s': the subgraph has %d outputs, the node needs %d", sg->attr,
                  (int)n_all, (int)n_outputs);
  /* The node may omit trailing outputs: the subgraph still delivers all of them, the rest are dropped. */
  if (n_outputs == n_all) {
    st = oq_plan_run_scope(subs->plans[index], inputs, n_inputs, outputs, n_outputs, err);
  } else {
    all = oq_calloc((size_t)n_all, sizeof *all, err);
    if (!all) return OQ_ERR_NOMEM;
    st = oq_plan_run_scope(subs->plans[index], inputs, n_inputs, all, n_all, err);
    if (st == OQ_OK) {
      for (int32_t j = 0; j < n_outputs; j++) outputs[j] = all[j];
      for (int32_t j = n_outputs; j < n_all; j++) oq_tensor_release(&all[j]);
    }
    free(all);
  }
  if (st != OQ_OK && sg->graph->depth <= OQ_GRAPH_NAMED_DEPTH) oq_error_prefix(err, "attribute '%s'", sg->attr);
  return st;
}
