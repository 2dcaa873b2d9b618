/* Executor: a plan resolves each node's operator once (refusing ops it does not have or opsets above a row's
 * bound), infers what it can about every value before a run, and runs the graph. It is the owner of every kernel
 * output and scratch buffer (the oq_kernel_hooks it hands to kernels), makes views and in-place outputs from the
 * rows' flags, and frees tensors right after their last consumer, so memory stays bounded by the widest point of
 * the graph. */
#ifndef OQ_EXEC_EXEC_H
#define OQ_EXEC_EXEC_H

#include "core/error.h"
#include "model/model.h"
#include "ops/op.h"

/* Called for every graph input (before the first node) and for every node output right after its node ran, in
 * the main graph and in the subgraphs a node runs (If branches). value_id is an id of scope (graph.h: ids are per
 * scope; scope == &model->graph for the main graph, scope->parent != NULL inside subgraphs). t is valid only during
 * the call. A non-OK return stops the run. */
typedef oq_status (*oq_observer_fn)(void *user, const oq_graph *scope, int32_t value_id, const oq_tensor *t,
                                    oq_error *err);

typedef struct oq_plan oq_plan;
struct oq_threadpool; /* core/pool.h */

/* Fails, naming node, op type, domain and opset, when an operator is unsupported or its attributes are bad. */
oq_status oq_plan_build(const oq_model *model, oq_plan **out, oq_error *err);
void oq_plan_free(oq_plan *plan);
/* Lets the plan's kernels split their work over pool (borrowed, must outlive the plan's runs; NULL = one thread,
 * the default). Results are bit-identical whatever the pool's size. Calibration keeps one plan per thread and
 * leaves this NULL. */
void oq_plan_set_pool(oq_plan *plan, struct oq_threadpool *pool);
/* reuse 0 (debug): no arena free list, every intermediate gets a fresh block freed when it dies; results are the
 * same bits as with reuse (the default). */
void oq_plan_set_reuse(oq_plan *plan, int reuse);
/* Memory of the plan so far: the most bytes its arena held at once (intermediate tensors, in use or free, this
 * scope only) and the bytes of kernel scratch it keeps. */
void oq_plan_memory(const oq_plan *plan, size_t *peak_activations, size_t *scratch);
/* One plan runs one sample at a time; use one plan per thread. inputs: graph inputs in oq_graph.inputs order.
 * outputs: n_outputs zeroed tensors, filled with owned tensors the caller releases, or NULL when only the observer
 * matters (calibration: a model listing one output 20000 times must not make 20000 copies). observer may be
 * NULL. */
oq_status oq_plan_run(oq_plan *plan, const oq_tensor *inputs, oq_tensor *outputs, oq_observer_fn observer, void *user,
                      oq_error *err);

/* What the plan inferred about value_id before any run (rows' infer functions from declared input types and the
 * initializers): dtype 0 / ndim -1 / extents -1 where only the run will tell. NULL for a bad id. */
const oq_shape_info *oq_plan_value_info(const oq_plan *plan, int32_t value_id);

/* Runs one kernel outside a plan (tests, benchmarks): call->hooks are set to standalone ones (zeroed outputs from
 * oq_tensor_alloc, never views or in-place; scratch malloc'd and freed on return). On success the caller owns
 * call->outputs; on failure they are released. */
oq_status oq_exec_kernel(oq_op_exec_fn exec, oq_kernel_call *call, oq_error *err);

#endif
