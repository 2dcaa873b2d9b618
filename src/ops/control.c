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

/* ---- Loop ---------------------------------------------------------------------------------------------------- */
/* Loop (1, 11, 13, 16, 19, 21: later versions add sequence/optional types, which are refused as not tensors). The
 * body runs through the same subgraph hook as If's branches, so it reads outer-scope values. Body inputs:
 * (iteration_num, cond, carried...), outputs: (cond, carried..., scan outputs...); the scan outputs of all
 * iterations are stacked along a new first axis. */

typedef struct loop_params {
  int32_t body; /* position in oq_node.subgraphs */
} loop_params;

oq_status oq_op_loop_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  const oq_node *node = ctx->node;
  int32_t body = oq_node_subgraph(node, "body");
  if (body < 0) OQ_RETURN_ERR(err, OQ_ERR_MODEL, "attribute 'body' is missing or not a graph");
  const oq_graph *g = node->subgraphs[body].graph;
  int32_t n_carried = node->n_inputs - 2;
  if (n_carried < 0) OQ_RETURN_ERR(err, OQ_ERR_MODEL, "Loop needs the M and cond input slots");
  if (g->n_inputs != n_carried + 2)
    OQ_RETURN_ERR(err, OQ_ERR_MODEL, "body takes %d inputs, the node carries %d values (+2)", (int)g->n_inputs,
                  (int)n_carried);
  if (g->n_outputs != 1 + node->n_outputs || node->n_outputs < n_carried)
    OQ_RETURN_ERR(err, OQ_ERR_MODEL, "body returns %d outputs, the node has %d (+1 for cond)", (int)g->n_outputs,
                  (int)node->n_outputs);
  loop_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  p->body = body;
  *params = p;
  return OQ_OK;
}

oq_status oq_op_loop_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const loop_params *p = call->params;
  const oq_tensor *mt = oq_kin(call, 0), *ct = oq_kin(call, 1);
  int32_t n_carried = call->n_inputs - 2, n_scan = call->n_outputs - n_carried, n_body = 1 + call->n_outputs;
  oq_tensor *carried = NULL, *outs = NULL, *stack = NULL, iter_t = {0}, cond_t = {0};
  const oq_tensor **ins = NULL;
  int64_t n_stack = 0, cap = 0;
  if (mt && (oq_tensor_numel(mt) != 1 || !oq_dtype_is_numeric(mt->dtype)))
    OQ_FAIL(err, OQ_ERR_MODEL, "M must be an int64 scalar");
  if (ct && (oq_tensor_numel(ct) != 1 || !oq_dtype_is_numeric(ct->dtype)))
    OQ_FAIL(err, OQ_ERR_MODEL, "cond must be a bool scalar");
  int64_t max_trip = mt ? oq_load_i64(mt->data, mt->dtype, 0) : INT64_MAX;
  int cond = ct ? oq_load_i64(ct->data, ct->dtype, 0) != 0 : 1;
  carried = oq_calloc((size_t)n_carried + 1, sizeof *carried, err);
  outs = oq_calloc((size_t)n_body, sizeof *outs, err);
  ins = oq_calloc((size_t)n_carried + 2, sizeof *ins, err);
  if (!carried || !outs || !ins) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory for the loop state");
  for (int32_t j = 0; j < n_carried; j++) {
    const oq_tensor *v = call->inputs[j + 2];
    if (!v) OQ_FAIL(err, OQ_ERR_MODEL, "loop-carried input %d is missing", (int)j);
    OQ_CHECK(oq_tensor_alloc(&carried[j], v->dtype, v->ndim, v->dims, err));
    if (v->nbytes) memcpy(carried[j].data, v->data, v->nbytes);
  }
  OQ_CHECK(oq_tensor_alloc(&iter_t, OQ_DTYPE_INT64, 0, NULL, err));
  OQ_CHECK(oq_tensor_alloc(&cond_t, OQ_DTYPE_BOOL, 0, NULL, err));
  for (int64_t i = 0; i < max_trip && cond; i++) {
    *(int64_t *)iter_t.data = i;
    *(uint8_t *)cond_t.data = (uint8_t)cond;
    ins[0] = &iter_t;
    ins[1] = &cond_t;
    for (int32_t j = 0; j < n_carried; j++) ins[j + 2] = &carried[j];
    memset(outs, 0, (size_t)n_body * sizeof *outs);
    OQ_CHECK(oq_ksubgraph(call, p->body, ins, n_carried + 2, outs, n_body, err));
    if (oq_tensor_numel(&outs[0]) != 1 || !oq_dtype_is_numeric(outs[0].dtype)) {
      for (int32_t j = 0; j < n_body; j++) oq_tensor_release(&outs[j]);
      OQ_FAIL(err, OQ_ERR_MODEL, "the body's cond output must be a bool scalar");
    }
    cond = oq_load_i64(outs[0].data, outs[0].dtype, 0) != 0;
    oq_tensor_release(&outs[0]);
    for (int32_t j = 0; j < n_carried; j++) {
      oq_tensor_release(&carried[j]);
      carried[j] = outs[1 + j];
    }
    if (n_scan > 0) {
      if (n_stack + n_scan > cap) {
        int64_t ncap = cap ? cap * 2 : 16 * (int64_t)n_scan;
        oq_tensor *grown = oq_calloc((size_t)ncap, sizeof *grown, err);
        if (!grown) {
          for (int32_t k = 0; k < n_scan; k++) oq_tensor_release(&outs[1 + n_carried + k]);
          OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory for the scan outputs");
        }
        if (n_stack) memcpy(grown, stack, (size_t)n_stack * sizeof *grown);
        free(stack);
        stack = grown;
        cap = ncap;
      }
      for (int32_t k = 0; k < n_scan; k++) stack[n_stack++] = outs[1 + n_carried + k];
    }
  }
  for (int32_t j = 0; j < n_carried; j++)
    OQ_CHECK(oq_kout_bytes_of(call, j, &carried[j], carried[j].ndim, carried[j].dims, err));
  int64_t iters = n_scan ? n_stack / n_scan : 0;
  for (int32_t k = 0; k < n_scan; k++) {
    int64_t dims[OQ_MAX_DIMS] = {iters};
    int32_t nd = 1, dt = OQ_DTYPE_FLOAT;
    if (iters) {
      const oq_tensor *f = &stack[k];
      if (f->ndim + 1 > OQ_MAX_DIMS) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "scan output rank too large");
      nd = f->ndim + 1;
      dt = f->dtype;
      memcpy(dims + 1, f->dims, sizeof(int64_t) * (size_t)f->ndim);
    }
    OQ_CHECK(oq_kout(call, n_carried + k, dt, nd, dims, err));
    unsigned char *dst = call->outputs[n_carried + k].data;
    for (int64_t i = 0; i < iters; i++) {
      const oq_tensor *s = &stack[i * n_scan + k];
      if (s->dtype != dt || s->ndim != nd - 1 || memcmp(s->dims, dims + 1, sizeof(int64_t) * (size_t)s->ndim) != 0)
        OQ_FAIL(err, OQ_ERR_SHAPE, "scan output %d changes shape between iterations", (int)k);
      if (s->nbytes) memcpy(dst, s->data, s->nbytes);
      dst += s->nbytes;
    }
  }
fail:
  for (int32_t j = 0; carried && j < n_carried; j++) oq_tensor_release(&carried[j]);
  for (int64_t i = 0; i < n_stack; i++) oq_tensor_release(&stack[i]);
  oq_tensor_release(&iter_t);
  oq_tensor_release(&cond_t);
  free(carried);
  free(outs);
  free(ins);
  free(stack);
  return st;
}
