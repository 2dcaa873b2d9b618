/* Operator interface. Each operator is one row in ops/op_list.h; its init parses the node's attributes once
 * into a typed params struct (kernels never touch protobuf), exec computes outputs from inputs. */
#ifndef OQ_OPS_OP_H
#define OQ_OPS_OP_H

#include "core/error.h"
#include "model/model.h"

/* What init may look at. Everything is borrowed for the duration of the call. */
typedef struct oq_op_init_ctx {
  const oq_model *model; /* for constant inputs (initializers) and external data */
  const oq_node *node;   /* node being planned (node->proto for attributes) */
  int64_t opset;         /* opset version of the node's domain */
} oq_op_init_ctx;

struct oq_threadpool; /* core/pool.h */

/* A kernel call. inputs[i] is NULL for an omitted optional input. Kernels allocate outputs[j] themselves
 * (oq_tensor_alloc) or make them views (borrowing input data: only with OQ_OP_FLAG_VIEW, the executor then keeps
 * the input alive as long as the view). A kernel may split its work over pool with oq_parallel_for, over
 * independent output elements only, so that its results do not depend on the number of threads. pool is last so
 * that calls written without it (zero-initialized) run on one thread. */
typedef struct oq_kernel_call {
  const void *params; /* from init (may be NULL) */
  const oq_tensor *const *inputs;
  int32_t n_inputs;
  oq_tensor *outputs; /* n_outputs zeroed tensors to fill */
  int32_t n_outputs;
  const char *node_name;      /* for messages */
  struct oq_threadpool *pool; /* borrowed; NULL = run on the calling thread only */
  /* Scopes: runs subgraph `index` (into the node's oq_node.subgraphs) with the executor's run loop, feeding inputs
   * (the subgraph's graph inputs) and filling outputs with its first n_outputs graph outputs (owned tensors).
   * Outer references of the subgraph read the tensors of the enclosing run. NULL for nodes without subgraphs;
   * implemented by exec/ (subgraph.c), so that ops/ never includes exec/. */
  oq_status (*run_subgraph)(void *exec_ctx, int32_t index, const oq_tensor *const *inputs, int32_t n_inputs,
                            oq_tensor *outputs, int32_t n_outputs, oq_error *err);
  void *exec_ctx; /* borrowed; first argument of run_subgraph */
} oq_kernel_call;

typedef oq_status (*oq_op_init_fn)(const oq_op_init_ctx *ctx, void **params, oq_error *err);
typedef oq_status (*oq_op_exec_fn)(const oq_kernel_call *call, oq_error *err);
typedef void (*oq_op_free_fn)(void *params);

enum {
  OQ_OP_FLAG_NONE = 0,
  OQ_OP_FLAG_VIEW = 1 /* output 0 may borrow input 0's data (Reshape, Flatten, Identity, Squeeze...) */
};

typedef struct oq_op_def {
  const char *op_type;
  const char *domain;    /* "" for ai.onnx */
  int32_t since_version; /* used for opsets >= this, until a later row of the same op */
  int32_t min_inputs, max_inputs;
  int32_t min_outputs, max_outputs;
  oq_op_init_fn init; /* never NULL */
  oq_op_exec_fn exec;
  oq_op_free_fn free_params; /* never NULL; called with the params init made (may be NULL) */
  uint32_t flags;
} oq_op_def;

/* Shared helpers for rows: no params; params freed with free(). */
oq_status oq_op_init_none(const oq_op_init_ctx *ctx, void **params, oq_error *err);
void oq_op_params_free(void *params);

/* Row with the highest since_version <= opset for (op_type, domain), or NULL. */
const oq_op_def *oq_op_find(const char *op_type, const char *domain, int64_t opset);

#endif
