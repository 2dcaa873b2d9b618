/* Subgraph calls (internal to exec/). A node with subgraphs (If branches; later Loop and Scan bodies) gets one
 * sub-plan per subgraph, built once with its plan. A sub-plan is an ordinary plan over the subgraph's scope whose
 * parent is the plan of the enclosing scope: its outer references read the parent's current tensors, and it runs
 * with the parent's pool and observer. The kernel reaches its sub-plans through oq_ksubgraph (ops/op.h): the
 * executor's subgraph hook calls oq_subplans_run with the running node's oq_subplans, so ops/ never includes exec/. */
#ifndef OQ_EXEC_SUBGRAPH_H
#define OQ_EXEC_SUBGRAPH_H

#include "exec/exec.h"

/* The sub-plans of one node: plans[k] runs node->subgraphs[k].graph. */
typedef struct oq_subplans oq_subplans;

/* Plans a scope g of model (model->graph or a subgraph index owned by it) whose enclosing scope is planned by
 * parent (NULL for the main graph; borrowed, must outlive the plan). oq_plan_build is this with &model->graph. */
oq_status oq_plan_build_scope(const oq_model *model, const oq_graph *g, const oq_plan *parent, oq_plan **out,
                              oq_error *err);
/* Runs a sub-plan during its parent's run: binds its outer references to the parent's current tensors, feeds
 * inputs (n_inputs must match the scope's graph inputs) and fills outputs (n_outputs zeroed tensors, the scope's
 * graph outputs in order; owned). Uses the parent's pool and observer. */
oq_status oq_plan_run_scope(oq_plan *plan, const oq_tensor *const *inputs, int32_t n_inputs, oq_tensor *outputs,
                            int32_t n_outputs, oq_error *err);

/* Builds the sub-plans of node (a node of plan's scope with n_subgraphs > 0). */
oq_status oq_subplans_build(const oq_model *model, const oq_plan *plan, const oq_node *node, oq_subplans **out,
                            oq_error *err);
void oq_subplans_free(oq_subplans *subs);
/* Behind the executor's subgraph hook (oq_kernel_hooks.subgraph); ctx is the node's oq_subplans. Runs subgraph `index`
 * of the node; outputs receive its first n_outputs graph outputs (further ones are computed and dropped). */
oq_status oq_subplans_run(void *ctx, int32_t index, const oq_tensor *const *inputs, int32_t n_inputs,
                          oq_tensor *outputs, int32_t n_outputs, oq_error *err);

#endif
