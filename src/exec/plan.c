/* Executor: resolves every node's operator once (oq_plan_build), infers what it can about every value ahead of a
 * run (the rows' infer functions), and runs the graph in topological order (oq_plan_run).
 *
 * Memory: initializers are decoded once at build time and live as long as the plan. Kernels get their outputs and
 * scratch from the executor through the call's hooks (exec_out, exec_scratch), so this file is the one place that
 * decides where tensors live. During a run each value holds its tensor until its last consumer ran. Storage is
 * reference counted per owning value ("root"): the output of a row flagged OQ_OP_FLAG_VIEW is input 0's bytes with
 * another shape and takes a reference on input 0's root, so the root's buffer is freed only when the root and every
 * view of it are dead. A row flagged OQ_OP_FLAG_INPLACE gets input 0's buffer as output 0 when input 0 dies at that
 * node (ownership moves to the output). Graph outputs are never freed during the run; at the end, owning graph
 * outputs are moved to the caller and the others (views, graph inputs, initializers, duplicates) are copied, so the
 * caller always gets owned tensors. Scratch blocks are kept between calls and runs and reused; the first is sized
 * up front from the rows' workspace functions over the inferred shapes.
 *
 * Arena: the buffers of intermediates are blocks the plan keeps. A dead value's block goes to a free list; a new
 * output takes the smallest free block that fits (best fit, as ggml's allocator picks, and never one more than twice
 * as large), zeroed, and only a miss allocates. Blocks stay with the plan across runs, so a steady run allocates
 * nothing and touches no fresh pages. Blocks handed to the caller as graph outputs leave the arena. no_reuse (debug)
 * frees every block when its value dies and allocates every output afresh: outputs are identical either way. */
#include "exec/exec.h"
#include "core/alloc.h"
#include "exec/subgraph.h"
#include "core/pool.h"
#include "ops/op.h"
#include "ops/kernels.h"
#include "ops/tensor_util.h"
#include "model/schema.h"
#include "core/limits.h"
#include "kern/cpu.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Scratch blocks one kernel call may ask for (oq_kscratch calls per exec). */
#define MAX_SCRATCH 8
/* Free blocks the arena keeps at most; beyond that a released block is freed. */
#define ARENA_FREE_MAX 256

typedef struct arena_block {
  void *p;    /* owned while listed; from oq_mem_zalloc (oq_tensor_alloc) */
  size_t cap; /* bytes */
} arena_block;

/* The blocks of intermediates (see the file comment). Blocks in use are listed so that a release knows the block's
 * capacity; a tensor whose data is not listed (a subgraph's delivered output) is freed as usual. */
typedef struct arena {
  arena_block *used, *free; /* owned arrays */
  int32_t n_used, cap_used, n_free, cap_free;
  size_t held;      /* bytes of all listed blocks */
  size_t peak_held; /* most bytes held at once since the plan was built */
  int no_reuse;     /* debug: no free list */
  int poison;       /* debug (ONNXQ_ARENA_POISON=1): reused blocks of writes_all steps are filled with 0xff */
} arena;

/* One node resolved against the operator table. */
typedef struct plan_step {
  int32_t node;         /* index into graph.nodes */
  const oq_op_def *def; /* operator row */
  void *params;         /* from def->init; freed with def->free_params */
  int32_t n_in;         /* input slots passed to the kernel (trailing omitted ones dropped) */
  int32_t n_out;        /* output slots passed to the kernel (trailing omitted ones dropped) */
  oq_subplans *subs;    /* scopes: owned; plans of the node's subgraphs (exec/subgraph.c), NULL when none */
  int32_t writes_all;   /* the kernel writes every byte of its outputs: arena blocks need no zeroing */
  int32_t silu;         /* runs without an observer: 1 = this Sigmoid is skipped, 2 = this Mul computes x*sigmoid(x) */
  int32_t silu_x;       /* silu == 2: the value x */
  int32_t fuse_act;     /* fusion (fuse_activations): activation the kernel applies to output 0, 0 none */
  float fuse_lo, fuse_hi;
  int32_t fused; /* fusion: output 0 is input 0's bytes (the producer applied this node) */
  int32_t cslot; /* Concat in place (plan_concat_inplace): index + 1 of its concat_slot, 0 none */
} plan_step;

/* A Concat whose inputs are written straight into its output (plan_concat_inplace). The output buffer is taken
 * from the arena when the first producer asks for its output (exec_out) and handed to the Concat's output value
 * when the Concat runs; inputs that did not land in their slice are copied then. */
typedef struct concat_slot {
  int32_t value;  /* the Concat's output value (its shape known at build time) */
  int32_t zero;   /* some producer does not write every byte: the buffer is zeroed */
  size_t *in_off; /* owned; per Concat input: byte offset of its slice */
  oq_tensor buf;  /* run: the output buffer, owned (arena block) from the first producer until the Concat runs */
} concat_slot;

/* Invariant: steps follow graph.topo. Per-run arrays are scratch, reset at the start of every run; a plan is used
 * by one thread at a time. Only values with root[v] == v own the data in vals[v]. */
struct oq_plan {
  const oq_model *model; /* borrowed; outlives the plan */
  const oq_graph *g;     /* the scope planned: &model->graph, or a subgraph index owned by it */
  const oq_plan *parent; /* scopes: plan of the enclosing scope (borrowed), NULL for the main graph */
  plan_step *steps;      /* owned; n_steps entries in execution order */
  int32_t n_steps;
  oq_tensor *consts;       /* owned; per value: decoded initializer (zeroed for other values) */
  int32_t max_in, max_out; /* largest kernel arity, sizes of in_ptrs/out_tmp */
  /* per-run scratch, one entry per value unless noted */
  oq_tensor *vals;            /* current tensor of inputs and intermediates */
  int32_t *left;              /* consumers that have not run yet */
  int32_t *refs;              /* for roots: live values (itself + views) using its storage */
  int32_t *root;              /* value owning the storage this value uses; -1 when nothing we own */
  const oq_tensor **in_ptrs;  /* max_in entries */
  oq_tensor *out_tmp;         /* max_out entries */
  struct oq_threadpool *pool; /* borrowed; handed to every kernel call, NULL = one thread */
  uint8_t *out_first;         /* owned; per graph output: 1 when no earlier graph output is the same value */
  oq_shape_info *info;        /* owned; per value: what is known before a run (infer); value borrows consts/params */
  /* scratch (exec_scratch): blocks reused across calls, freed with the plan */
  void *scratch[MAX_SCRATCH];      /* owned; blocks from oq_mem_alloc */
  size_t scratch_cap[MAX_SCRATCH]; /* bytes of each block */
  int32_t scratch_used;            /* blocks handed to the running call */
  int32_t ws_threads;              /* pool size the first block was reserved for; 0 = not yet */
  arena arena;                     /* blocks of intermediates */
  /* the running step (hooks) */
  const struct plan_step *cur; /* step being executed */
  int32_t cur_view;            /* output 0 was made a view of input 0 */
  int32_t cur_inplace;         /* output 0 took input 0's buffer */
  int32_t check_infer;         /* ONNXQ_CHECK_INFER=1: every output must match what infer said */
  oq_observer_fn observer;     /* of the run in progress (sub-plans use their parent's), NULL = none */
  void *user;                  /* observer's argument */
  /* Concat in place (plan_concat_inplace); NULL / 0 when no Concat qualifies */
  concat_slot *cslots; /* owned; n_cslots entries */
  int32_t n_cslots;
  int32_t *slice_slot; /* owned; per value: the slot whose buffer this value is written into, -1 none */
  size_t *slice_off;   /* owned; per value: byte offset of its slice there */
};

static const char *node_name(const oq_graph *g, int32_t i) {
  const char *n = g->nodes[i].proto->name;
  return n ? n : "";
}

static const char *node_domain(const oq_graph *g, int32_t i) {
  const char *d = g->nodes[i].proto->domain;
  return d ? d : "";
}

static const char *node_op(const oq_graph *g, int32_t i) {
  const char *o = g->nodes[i].proto->op_type;
  return o ? o : "";
}

/* "node 'name'" or "node #i" for unnamed nodes. */
static void node_label(const oq_graph *g, int32_t i, char *buf, size_t cap) {
  const char *n = node_name(g, i);
  if (n[0])
    snprintf(buf, cap, "node '%s'", n);
  else
    snprintf(buf, cap, "node #%d", (int)i);
}

static void arena_release(arena *a, oq_tensor *t);
static void arena_free(arena *a);
static oq_status arena_init(arena *a, int32_t max_used, oq_error *err);

void oq_plan_free(oq_plan *plan) {
  if (!plan) return;
  if (plan->steps)
    for (int32_t i = 0; i < plan->n_steps; i++)
      if (plan->steps[i].def) {
        plan->steps[i].def->free_params(plan->steps[i].params);
        oq_subplans_free(plan->steps[i].subs);
      }
  if (plan->consts)
    for (int32_t v = 0; v < plan->g->n_values; v++) oq_tensor_release(&plan->consts[v]);
  if (plan->vals)
    for (int32_t v = 0; v < plan->g->n_values; v++)
      if (plan->vals[v].owns_data) arena_release(&plan->arena, &plan->vals[v]);
  if (plan->out_tmp)
    for (int32_t k = 0; k < plan->max_out; k++) arena_release(&plan->arena, &plan->out_tmp[k]);
  for (int32_t i = 0; i < plan->n_cslots; i++) {
    arena_release(&plan->arena, &plan->cslots[i].buf);
    free(plan->cslots[i].in_off);
  }
  free(plan->cslots);
  free(plan->slice_slot);
  free(plan->slice_off);
  arena_free(&plan->arena);
  free(plan->steps);
  free(plan->consts);
  free(plan->vals);
  free(plan->left);
  free(plan->refs);
  free(plan->root);
  free(plan->in_ptrs);
  free(plan->out_tmp);
  free(plan->out_first);
  free(plan->info);
  for (int32_t i = 0; i < MAX_SCRATCH; i++) free(plan->scratch[i]);
  free(plan);
}

/* Operators (default domain) whose kernels write every byte of every output they allocate, checked one by one:
 * their arena blocks are handed out without zeroing. A kernel added here must never read its output before writing
 * it nor skip elements; ONNXQ_ARENA_POISON=1 fills such blocks with 0xff to show one that does. */
static int step_writes_all(const Onnx__NodeProto *proto) {
  static const char *const k_ops[] = {"Conv",
                                      "Relu",
                                      "Sigmoid",
                                      "Tanh",
                                      "Exp",
                                      "Erf",
                                      "Gelu",
                                      "LeakyRelu",
                                      "HardSigmoid",
                                      "HardSwish",
                                      "Add",
                                      "Sub",
                                      "Mul",
                                      "Div",
                                      "MaxPool",
                                      "AveragePool",
                                      "GlobalAveragePool",
                                      "GlobalMaxPool",
                                      "Concat",
                                      "Clip",
                                      "LayerNormalization",
                                      "MatMul",
                                      "Gemm",
                                      "Softmax"};
  const char *dom = proto->domain ? proto->domain : "";
  if (dom[0] && strcmp(dom, "ai.onnx") != 0) return 0;
  for (size_t i = 0; proto->op_type && i < sizeof k_ops / sizeof k_ops[0]; i++)
    if (strcmp(proto->op_type, k_ops[i]) == 0) return 1;
  return 0;
}

/* Sigmoid + Mul fusion (SiLU, EfficientNet's activation): a float Sigmoid s = Sigmoid(x) whose only reader is
 * Mul(x, s) or Mul(s, x) is not run; the Mul computes x * sigmoid(x) from x in one pass (oq_op_silu_exec), which
 * saves writing and reading s. Runs with an observer (calibration, profiling) see every value, so they run the
 * nodes as they are; the bits are the same either way. */
static void mark_silu(oq_plan *plan) {
  const oq_graph *g = plan->g;
  for (int32_t s = 0; s < plan->n_steps; s++) {
    const oq_node *sig = &g->nodes[plan->steps[s].node];
    const char *dom = sig->proto->domain ? sig->proto->domain : "";
    if (strcmp(node_op(g, plan->steps[s].node), "Sigmoid") != 0 || (dom[0] && strcmp(dom, "ai.onnx") != 0)) continue;
    if (sig->n_inputs != 1 || sig->n_outputs != 1 || sig->inputs[0] < 0 || sig->outputs[0] < 0) continue;
    int32_t x = sig->inputs[0], sv = sig->outputs[0];
    const oq_value *val = &g->values[sv];
    if (val->kind != OQ_VALUE_INTERMEDIATE || val->is_graph_output || val->n_consumers != 1) continue;
    if (plan->info[x].dtype != OQ_DTYPE_FLOAT) continue;
    int32_t mi = val->consumers[0];
    const oq_node *mul = &g->nodes[mi];
    const char *mdom = mul->proto->domain ? mul->proto->domain : "";
    if (strcmp(node_op(g, mi), "Mul") != 0 || (mdom[0] && strcmp(mdom, "ai.onnx") != 0) || mul->n_inputs != 2 ||
        mul->n_outputs != 1)
      continue;
    if (!((mul->inputs[0] == x && mul->inputs[1] == sv) || (mul->inputs[0] == sv && mul->inputs[1] == x))) continue;
    plan_step *ms = NULL; /* the Mul's step: after this one (steps are in topological order) */
    for (int32_t k = s + 1; k < plan->n_steps && !ms; k++)
      if (plan->steps[k].node == mi) ms = &plan->steps[k];
    if (!ms || ms->silu || plan->steps[s].silu || ms->fused || plan->steps[s].fused) continue;
    plan->steps[s].silu = 1;
    ms->silu = 2;
    ms->silu_x = x;
  }
}
static void fuse_activations(oq_plan *plan);
static void plan_concat_inplace(oq_plan *plan);
static size_t arena_bytes(int32_t dtype, int32_t ndim, const int64_t *dims);

static oq_status build_step(oq_plan *plan, int32_t ni, plan_step *step, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_graph *g = plan->g;
  const oq_node *node = &g->nodes[ni];
  char label[320];
  node_label(g, ni, label, sizeof label);
  const char *op = node_op(g, ni), *dom = node_domain(g, ni);
  int64_t opset = oq_graph_opset(g, dom);
  step->node = ni;
  const oq_op_def *def = NULL;
  oq_op_match match = oq_op_resolve(op, dom, opset, &def);
  if (match == OQ_OP_TOO_NEW)
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED,
            "%s (%s, domain '%s', opset %lld): operator checked only up to opset %d, the model's is newer", label, op,
            dom, (long long)opset, (int)def->max_opset);
  if (match != OQ_OP_FOUND)
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "%s (%s, domain '%s', opset %lld): operator not supported", label, op, dom,
            (long long)opset);
  int32_t n_in = node->n_inputs, n_out = node->n_outputs;
  while (n_in > 0 && node->inputs[n_in - 1] < 0) n_in--;
  while (n_out > 0 && node->outputs[n_out - 1] < 0) n_out--;
  if (n_in < def->min_inputs || n_in > def->max_inputs)
    OQ_FAIL(err, OQ_ERR_MODEL, "%s (%s, domain '%s', opset %lld): has %d inputs, expects %d to %d", label, op, dom,
            (long long)opset, (int)n_in, (int)def->min_inputs, (int)def->max_inputs);
  for (int32_t i = 0; i < def->min_inputs; i++)
    if (node->inputs[i] < 0)
      OQ_FAIL(err, OQ_ERR_MODEL, "%s (%s, domain '%s', opset %lld): required input %d is missing", label, op, dom,
              (long long)opset, (int)i);
  if (n_out < def->min_outputs || n_out > def->max_outputs)
    OQ_FAIL(err, OQ_ERR_MODEL, "%s (%s, domain '%s', opset %lld): has %d outputs, expects %d to %d", label, op, dom,
            (long long)opset, (int)n_out, (int)def->min_outputs, (int)def->max_outputs);
  OQ_CHECK(oq_schema_check_node(node->proto, label, opset, err)); /* strict attributes (model/schema.c) */
  step->writes_all = step_writes_all(node->proto);
  oq_op_init_ctx ctx = {plan->model, node, opset, def};
  void *params = NULL;
  st = def->init(&ctx, &params, err);
  if (st != OQ_OK) {
    oq_error_prefix(err, "%s (%s, domain '%s', opset %lld)", label, op, dom, (long long)opset);
    goto fail;
  }
  if (node->n_subgraphs > 0) { /* scopes: one sub-plan per subgraph, built once here */
    st = oq_subplans_build(plan->model, plan, node, &step->subs, err);
    if (st != OQ_OK) {
      if (g->depth < OQ_GRAPH_NAMED_DEPTH)
        oq_error_prefix(err, "%s (%s, domain '%s', opset %lld)", label, op, dom, (long long)opset);
      def->free_params(params);
      goto fail;
    }
  }
  step->def = def;
  step->params = params;
  step->n_in = n_in;
  step->n_out = n_out;
  if (n_in > plan->max_in) plan->max_in = n_in;
  if (n_out > plan->max_out) plan->max_out = n_out;
  return OQ_OK;
fail:
  /* the node is the subject (callers read it instead of parsing the message); unnamed nodes by their op type */
  oq_error_subject(err, OQ_SUBJECT_NODE, node_name(g, ni)[0] ? node_name(g, ni) : op);
  return st;
}

/* ---- static facts --------------------------------------------------------------------------------------------- */

static void info_unknown(oq_shape_info *v) {
  memset(v, 0, sizeof *v);
  v->ndim = -1;
}

/* What every value is before a run: graph inputs as declared, initializers exactly (with their data), node outputs
 * from the rows' infer functions in topological order. A failing or missing infer leaves its outputs unknown: the
 * kernel reports real errors at run time, as before. */
static void infer_values(oq_plan *plan) {
  const oq_graph *g = plan->g;
  for (int32_t v = 0; v < g->n_values; v++) {
    const oq_value *val = &g->values[v];
    oq_shape_info *info = &plan->info[v];
    info_unknown(info);
    if (val->kind == OQ_VALUE_INITIALIZER && plan->consts[v].dtype) {
      const oq_tensor *t = &plan->consts[v];
      info->dtype = t->dtype;
      info->ndim = t->ndim;
      memcpy(info->dims, t->dims, sizeof info->dims);
      info->value = t;
    } else if (val->kind == OQ_VALUE_INPUT) {
      info->dtype = val->dtype;
      info->ndim = val->ndim >= 0 && val->ndim <= OQ_MAX_DIMS ? val->ndim : -1;
      for (int32_t i = 0; i < info->ndim; i++) info->dims[i] = val->dims[i].value >= 0 ? val->dims[i].value : -1;
    }
  }
  const oq_shape_info *ins[64];
  oq_shape_info outs[16];
  for (int32_t s = 0; s < plan->n_steps; s++) {
    const plan_step *step = &plan->steps[s];
    const oq_node *node = &g->nodes[step->node];
    if (!step->def->infer || step->n_in > 64 || step->n_out > 16) continue;
    for (int32_t i = 0; i < step->n_in; i++) ins[i] = node->inputs[i] < 0 ? NULL : &plan->info[node->inputs[i]];
    for (int32_t k = 0; k < step->n_out; k++) info_unknown(&outs[k]);
    oq_error err = {0};
    if (step->def->infer(step->params, ins, step->n_in, outs, step->n_out, &err) != OQ_OK) continue;
    for (int32_t k = 0; k < step->n_out; k++) {
      int32_t v = node->outputs[k];
      if (v < 0 || outs[k].ndim > OQ_MAX_DIMS) continue;
      plan->info[v] = outs[k];
    }
  }
}

const oq_shape_info *oq_plan_value_info(const oq_plan *plan, int32_t value_id) {
  if (!plan || value_id < 0 || value_id >= plan->g->n_values) return NULL;
  return &plan->info[value_id];
}

/* Sizes the first scratch block for the largest workspace any step with known input shapes asks for, on a pool of
 * threads threads; kernels then run without allocating scratch (oq_kscratch hands them that block). */
static void reserve_workspace(oq_plan *plan, int32_t threads) {
  const oq_graph *g = plan->g;
  const oq_shape_info *ins[64];
  size_t most = 0;
  plan->ws_threads = threads;
  for (int32_t s = 0; s < plan->n_steps; s++) {
    const plan_step *step = &plan->steps[s];
    const oq_node *node = &g->nodes[step->node];
    if (!step->def->workspace || step->n_in > 64) continue;
    for (int32_t i = 0; i < step->n_in; i++) ins[i] = node->inputs[i] < 0 ? NULL : &plan->info[node->inputs[i]];
    size_t bytes = step->def->workspace(step->params, ins, step->n_in, step->n_out, threads);
    if (bytes != SIZE_MAX && bytes > most) most = bytes;
  }
  if (most == 0 || most <= plan->scratch_cap[0]) return;
  void *p = most <= OQ_MAX_TENSOR_BYTES ? oq_mem_alloc(most) : NULL;
  if (!p) return; /* not an error: the call that needs it asks again */
  free(plan->scratch[0]);
  plan->scratch[0] = p;
  plan->scratch_cap[0] = most;
}

void oq_plan_set_pool(oq_plan *plan, struct oq_threadpool *pool) {
  if (plan) plan->pool = pool;
}

void oq_plan_set_reuse(oq_plan *plan, int reuse) {
  if (plan) plan->arena.no_reuse = !reuse;
}

void oq_plan_memory(const oq_plan *plan, size_t *peak_activations, size_t *scratch) {
  size_t sc = 0;
  for (int32_t i = 0; plan && i < MAX_SCRATCH; i++) sc += plan->scratch_cap[i];
  if (peak_activations) *peak_activations = plan ? plan->arena.peak_held : 0;
  if (scratch) *scratch = sc;
}

oq_status oq_plan_build(const oq_model *model, oq_plan **out, oq_error *err) {
  oq_status st = OQ_OK;
  if (!model || !out) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "oq_plan_build: model and out are required");
  return oq_plan_build_scope(model, &model->graph, NULL, out, err);
fail:
  return st;
}

oq_status oq_plan_build_scope(const oq_model *model, const oq_graph *g_scope, const oq_plan *parent, oq_plan **out,
                              oq_error *err) {
  oq_status st = OQ_OK;
  oq_plan *plan = NULL;
  if (!model || !g_scope || !out) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "oq_plan_build: model and out are required");
  *out = NULL;
  plan = oq_calloc(1, sizeof *plan, err);
  if (!plan) return OQ_ERR_NOMEM;
  plan->model = model;
  plan->g = g_scope;
  plan->parent = parent;
  const oq_graph *g = plan->g;
  size_t nv = (size_t)(g->n_values > 0 ? g->n_values : 0);
  plan->steps = oq_calloc((size_t)(g->n_nodes > 0 ? g->n_nodes : 0), sizeof *plan->steps, err);
  plan->consts = oq_calloc(nv, sizeof *plan->consts, err);
  plan->vals = oq_calloc(nv, sizeof *plan->vals, err);
  plan->left = oq_calloc(nv, sizeof *plan->left, err);
  plan->refs = oq_calloc(nv, sizeof *plan->refs, err);
  plan->root = oq_calloc(nv, sizeof *plan->root, err);
  plan->out_first = oq_calloc((size_t)(g->n_outputs > 0 ? g->n_outputs : 1), sizeof *plan->out_first, err);
  if (!plan->steps || !plan->consts || !plan->vals || !plan->left || !plan->refs || !plan->root || !plan->out_first) {
    st = OQ_ERR_NOMEM;
    goto fail;
  }
  /* Duplicate graph outputs, found once here (a hostile model may list the same value 100000 times): refs is
   * zero now and serves as the seen-marker. */
  for (int32_t j = 0; j < g->n_outputs; j++) {
    int32_t v = g->outputs[j];
    plan->out_first[j] = !plan->refs[v];
    plan->refs[v] = 1;
  }
  memset(plan->refs, 0, nv * sizeof *plan->refs);
  /* Decode the initializers something reads (consumers or graph outputs). */
  for (int32_t v = 0; v < g->n_values; v++) {
    const oq_value *val = &g->values[v];
    if (val->kind != OQ_VALUE_INITIALIZER || !val->init) continue;
    if (val->n_consumers == 0 && !val->is_graph_output) continue;
    st = oq_model_tensor_decode(model, val->init, &plan->consts[v], err);
    if (st != OQ_OK) {
      oq_error_prefix(err, "initializer '%s'", val->name ? val->name : "");
      goto fail;
    }
  }
  for (int32_t i = 0; i < g->n_nodes; i++) {
    OQ_CHECK(build_step(plan, g->topo[i], &plan->steps[i], err));
    plan->n_steps = i + 1;
  }
  plan->info = oq_calloc(nv > 0 ? nv : 1, sizeof *plan->info, err);
  if (!plan->info) {
    st = OQ_ERR_NOMEM;
    goto fail;
  }
  infer_values(plan);
  {
    const char *no_fuse = getenv("ONNXQ_NO_FUSE"); /* debug: every node runs its own kernel */
    if (!(no_fuse && strcmp(no_fuse, "1") == 0)) fuse_activations(plan);
  }
  mark_silu(plan);           /* after: a Sigmoid+Mul folded into its Conv is left alone */
  plan_concat_inplace(plan); /* after both: the writer of a fused chain is the Conv */
  {
    const char *check = getenv("ONNXQ_CHECK_INFER");
    plan->check_infer = check && strcmp(check, "1") == 0;
    const char *no_reuse = getenv("ONNXQ_NO_REUSE"); /* the arena's debug switch, also oq_plan_set_reuse */
    plan->arena.no_reuse = no_reuse && strcmp(no_reuse, "1") == 0;
    const char *poison = getenv("ONNXQ_ARENA_POISON"); /* debug: shows a kernel listed in step_writes_all that is not */
    plan->arena.poison = poison && strcmp(poison, "1") == 0;
  }
  st = arena_init(&plan->arena, g->n_values + plan->max_out + 1, err);
  if (st != OQ_OK) goto fail;
  plan->in_ptrs = oq_calloc((size_t)(plan->max_in > 0 ? plan->max_in : 1), sizeof *plan->in_ptrs, err);
  plan->out_tmp = oq_calloc((size_t)(plan->max_out > 0 ? plan->max_out : 1), sizeof *plan->out_tmp, err);
  if (!plan->in_ptrs || !plan->out_tmp) {
    st = OQ_ERR_NOMEM;
    goto fail;
  }
  *out = plan;
  return OQ_OK;
fail:
  oq_plan_free(plan);
  return st;
}

/* ---- fusion ------------------------------------------------------------------------------------------------ */

/* Relu, Clip and x * sigmoid(x) (a Sigmoid and a Mul) right after a float Conv are applied by the convolution's
 * stores while the tile is in cache (kern/sgemm.c); the activation nodes then pass the Conv's output on as a view.
 * The fused kernels compute the very operations of the separate nodes, so outputs are bit-identical. Only a Conv
 * output that nothing else reads (not a graph output) is fused, and only in runs without an observer: an observer
 * (calibration, profiling) sees every value as the separate nodes make it. */
static int is_op(const oq_graph *g, int32_t ni, const char *op) {
  return ni >= 0 && strcmp(node_op(g, ni), op) == 0 && node_domain(g, ni)[0] == '\0';
}

/* A Clip bound input (slot i of node ni) known at build time: 1 and *out set, or 1 with the default when omitted;
 * 0 when it is not a known float scalar. */
static int clip_bound(const oq_plan *plan, int32_t ni, int32_t i, float dflt, float *out) {
  const oq_node *n = &plan->g->nodes[ni];
  *out = dflt;
  if (i >= n->n_inputs || n->inputs[i] < 0) return 1;
  const oq_tensor *t = plan->info[n->inputs[i]].value;
  if (!t || t->dtype != OQ_DTYPE_FLOAT || !t->data) return 0;
  int64_t numel = oq_tensor_numel(t);
  if (numel == 0) return 1; /* empty: absent, as Clip reads it */
  if (numel != 1) return 0;
  *out = ((const float *)t->data)[0];
  return 1;
}

static void fuse_activations(oq_plan *plan) {
  const oq_graph *g = plan->g;
  if (g->n_nodes <= 0) return;
  int32_t *step_of = calloc((size_t)g->n_nodes, sizeof *step_of); /* node -> step; no fusion without memory */
  if (!step_of) return;
  for (int32_t s = 0; s < plan->n_steps; s++) step_of[plan->steps[s].node] = s;
  for (int32_t s = 0; s < plan->n_steps; s++) {
    plan_step *st = &plan->steps[s];
    const oq_node *conv = &g->nodes[st->node];
    if (!is_op(g, st->node, "Conv") || conv->n_outputs != 1 || conv->outputs[0] < 0) continue;
    int32_t v = conv->outputs[0];
    const oq_value *val = &g->values[v];
    if (val->kind != OQ_VALUE_INTERMEDIATE || val->is_graph_output || plan->info[v].dtype != OQ_DTYPE_FLOAT) continue;
    if (val->n_consumers == 1) { /* Relu or Clip reading v as input 0 only */
      int32_t c = val->consumers[0];
      const oq_node *a = &g->nodes[c];
      if (a->n_inputs < 1 || a->inputs[0] != v || a->n_outputs != 1 || a->outputs[0] < 0) continue;
      float lo = 0.0f, hi = 0.0f;
      int32_t act = 0;
      if (is_op(g, c, "Relu") && a->n_inputs == 1) {
        act = OQ_GEMM_ACT_RELU;
      } else if (is_op(g, c, "Clip") && oq_graph_opset(g, "") >= 11 && a->n_inputs <= 3 &&
                 clip_bound(plan, c, 1, -INFINITY, &lo) && clip_bound(plan, c, 2, INFINITY, &hi)) {
        act = OQ_GEMM_ACT_CLAMP;
      } else if (is_op(g, c, "Clip") && oq_graph_opset(g, "") < 11 && a->n_inputs == 1) {
        oq_error e = {0};
        if (oq_attr_float(a->proto, "min", -FLT_MAX, &lo, &e) != OQ_OK ||
            oq_attr_float(a->proto, "max", FLT_MAX, &hi, &e) != OQ_OK)
          continue;
        act = OQ_GEMM_ACT_CLAMP;
      }
      if (!act) continue;
      st->fuse_act = act;
      st->fuse_lo = lo;
      st->fuse_hi = hi;
      plan->steps[step_of[c]].fused = 1;
    } else if (val->n_consumers == 2) { /* Sigmoid(v) and Mul(v, sigmoid) in either order */
      int32_t c0 = val->consumers[0], c1 = val->consumers[1];
      int32_t sg = is_op(g, c0, "Sigmoid") ? c0 : c1, mul = sg == c0 ? c1 : c0;
      if (!is_op(g, sg, "Sigmoid") || !is_op(g, mul, "Mul") || sg == mul) continue;
      const oq_node *ns = &g->nodes[sg], *nm = &g->nodes[mul];
      if (ns->n_inputs != 1 || ns->inputs[0] != v || ns->n_outputs != 1 || ns->outputs[0] < 0) continue;
      int32_t sv = ns->outputs[0];
      if (g->values[sv].is_graph_output || g->values[sv].n_consumers != 1 || nm->n_inputs != 2 || nm->n_outputs != 1 ||
          nm->outputs[0] < 0)
        continue;
      if (!((nm->inputs[0] == v && nm->inputs[1] == sv) || (nm->inputs[0] == sv && nm->inputs[1] == v))) continue;
      st->fuse_act = OQ_GEMM_ACT_SILU;
      plan->steps[step_of[sg]].fused = 1; /* its output, a view of v, is read by the fused Mul only */
      plan->steps[step_of[mul]].fused = 1;
    }
  }
  free(step_of);
}

/* The kernel of a fused activation node: output 0 is input 0's bytes, as a view (take_outputs keeps the storage
 * alive through the view's reference). */
static oq_status fused_view(oq_plan *plan, const oq_kernel_call *call, oq_error *err) {
  const oq_tensor *in0 = call->inputs[0];
  if (!in0 || in0->dtype != OQ_DTYPE_FLOAT)
    OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "a fused activation has no float input");
  call->outputs[0] = *in0;
  call->outputs[0].owns_data = 0;
  plan->cur_view = 1;
  return OQ_OK;
}

/* ---- Concat in place ----------------------------------------------------------------------------------------- */

/* A Concat along an axis with only 1-extents before it (NCHW channels at batch 1: SqueezeNet's fire modules,
 * ShuffleNet's branches) holds each input as one contiguous byte range of its output. When every shape is known at
 * build time, the producer of each input that only the Concat reads writes straight into that range: exec_out hands
 * it a tensor over the slice of the Concat's buffer, and the Concat then only copies the inputs that are elsewhere
 * (graph inputs, initializers, values other nodes read too, kernels that made their own buffer). The writer of an
 * input made by a fused activation (a view) is the Conv before it. The bytes are the same as the copies'; runs with
 * an observer (calibration, profiling) run every Concat as it is. */
static int info_known(const oq_shape_info *in) {
  if (in->ndim < 0 || in->ndim > OQ_MAX_DIMS || in->dtype == 0) return 0;
  for (int32_t i = 0; i < in->ndim; i++)
    if (in->dims[i] < 0) return 0;
  return 1;
}

/* The step that writes value u's bytes: its producer, or, through fused activation views, the producer of their
 * input 0. -1 when there is none (not produced by a step of this plan). */
static int32_t writer_value(const oq_plan *plan, const int32_t *step_of, int32_t u) {
  const oq_graph *g = plan->g;
  for (int32_t hops = 0; hops < 8; hops++) {
    int32_t pn = g->values[u].producer;
    if (pn < 0) return -1;
    const plan_step *ps = &plan->steps[step_of[pn]];
    if (!ps->fused) return u;
    const oq_node *n = &g->nodes[pn];
    if (n->n_inputs < 1 || n->inputs[0] < 0 || g->values[n->inputs[0]].kind != OQ_VALUE_INTERMEDIATE) return -1;
    u = n->inputs[0];
  }
  return -1;
}

static void plan_concat_inplace(oq_plan *plan) {
  const oq_graph *g = plan->g;
  int32_t nv = g->n_values, nc = 0;
  if (g->n_nodes <= 0 || nv <= 0) return;
  for (int32_t s = 0; s < plan->n_steps; s++) nc += is_op(g, plan->steps[s].node, "Concat");
  if (nc == 0) return;
  int32_t *step_of = calloc((size_t)g->n_nodes, sizeof *step_of);
  plan->cslots = calloc((size_t)nc, sizeof *plan->cslots);
  plan->slice_slot = malloc((size_t)nv * sizeof *plan->slice_slot);
  plan->slice_off = calloc((size_t)nv, sizeof *plan->slice_off);
  size_t *off = NULL;
  if (!step_of || !plan->cslots || !plan->slice_slot || !plan->slice_off) goto none; /* an optimization only */
  for (int32_t v = 0; v < nv; v++) plan->slice_slot[v] = -1;
  for (int32_t s = 0; s < plan->n_steps; s++) step_of[plan->steps[s].node] = s;
  for (int32_t s = 0; s < plan->n_steps; s++) {
    plan_step *st = &plan->steps[s];
    const oq_node *node = &g->nodes[st->node];
    if (!is_op(g, st->node, "Concat") || node->n_outputs != 1 || node->outputs[0] < 0 || node->n_inputs < 1) continue;
    int32_t cv = node->outputs[0];
    const oq_shape_info *oi = &plan->info[cv];
    if (g->values[cv].kind != OQ_VALUE_INTERMEDIATE || g->values[cv].is_graph_output || !info_known(oi)) continue;
    size_t es = oq_dtype_size(oi->dtype), total = arena_bytes(oi->dtype, oi->ndim, oi->dims);
    int64_t raw, axis;
    oq_error e = {0};
    if (es == 0 || total == 0 || oq_attr_int(node->proto, "axis", 0, &raw, &e) != OQ_OK ||
        !oq_norm_axis(raw, oi->ndim, &axis))
      continue;
    int ok = 1;
    for (int32_t i = 0; i < axis; i++) ok = ok && oi->dims[i] == 1;
    /* every input known, of the output's dtype and rank, the extents adding up */
    size_t pos = 0;
    free(off);
    off = calloc((size_t)node->n_inputs, sizeof *off);
    if (!off) goto none;
    for (int32_t k = 0; ok && k < node->n_inputs; k++) {
      int32_t u = node->inputs[k];
      const oq_shape_info *ui = u >= 0 ? &plan->info[u] : NULL;
      ok = ui && info_known(ui) && ui->dtype == oi->dtype && ui->ndim == oi->ndim;
      for (int32_t i = 0; ok && i < oi->ndim; i++) ok = i == axis || ui->dims[i] == oi->dims[i];
      size_t bytes = ok ? arena_bytes(ui->dtype, ui->ndim, ui->dims) : 0;
      off[k] = pos;
      ok = ok && oq_size_add(pos, bytes, &pos);
    }
    if (!ok || pos != total) continue;
    int32_t slot = plan->n_cslots, any = 0, zero = 0;
    for (int32_t k = 0; k < node->n_inputs; k++) {
      int32_t u = node->inputs[k];
      const oq_value *uv = &g->values[u];
      if (uv->kind != OQ_VALUE_INTERMEDIATE || uv->is_graph_output || uv->n_consumers != 1 ||
          arena_bytes(plan->info[u].dtype, plan->info[u].ndim, plan->info[u].dims) == 0)
        continue;
      int dup = 0;
      for (int32_t q = 0; q < node->n_inputs; q++) dup += node->inputs[q] == u;
      int32_t w = writer_value(plan, step_of, u);
      if (dup != 1 || w < 0 || plan->slice_slot[w] >= 0 || g->values[w].is_graph_output) continue;
      const plan_step *ws = &plan->steps[step_of[g->values[w].producer]];
      if (ws->subs || (ws->def->flags & OQ_OP_FLAG_VIEW) || step_of[g->values[w].producer] >= s) continue;
      if (arena_bytes(plan->info[w].dtype, plan->info[w].ndim, plan->info[w].dims) !=
              arena_bytes(plan->info[u].dtype, plan->info[u].ndim, plan->info[u].dims) ||
          !info_known(&plan->info[w]))
        continue;
      plan->slice_slot[w] = slot;
      plan->slice_off[w] = off[k];
      zero = zero || !ws->writes_all;
      any = 1;
    }
    if (!any) continue;
    plan->cslots[slot].value = cv;
    plan->cslots[slot].zero = zero;
    plan->cslots[slot].in_off = off;
    off = NULL;
    plan->n_cslots++;
    st->cslot = slot + 1;
  }
  free(off);
  free(step_of);
  return;
none:
  free(off);
  free(step_of);
  free(plan->cslots);
  free(plan->slice_slot);
  free(plan->slice_off);
  plan->cslots = NULL;
  plan->slice_slot = NULL;
  plan->slice_off = NULL;
  plan->n_cslots = 0;
}

/* ---- run ----------------------------------------------------------------------------------------------------- */

/* "float32 [1, 3, N, ?]" for a declared value type. */
static void format_decl(const oq_value *v, char *buf, size_t cap) {
  size_t used = (size_t)snprintf(buf, cap, "%s ", v->dtype ? oq_dtype_name(v->dtype) : "any");
  if (v->ndim < 0) {
    snprintf(buf + used, cap - used, "[any shape]");
    return;
  }
  used += (size_t)snprintf(buf + used, cap - used, "[");
  for (int32_t i = 0; i < v->ndim && used < cap; i++) {
    const char *sep = i ? ", " : "";
    if (v->dims[i].value >= 0)
      used += (size_t)snprintf(buf + used, cap - used, "%s%lld", sep, (long long)v->dims[i].value);
    else if (v->dims[i].param)
      used += (size_t)snprintf(buf + used, cap - used, "%s%.32s", sep, v->dims[i].param);
    else
      used += (size_t)snprintf(buf + used, cap - used, "%s?", sep);
  }
  if (used < cap) snprintf(buf + used, cap - used, "]");
}

static void format_tensor(const oq_tensor *t, char *buf, size_t cap) {
  size_t used = (size_t)snprintf(buf, cap, "%s [", oq_dtype_name(t->dtype));
  int32_t nd = t->ndim < 0 ? 0 : t->ndim > OQ_MAX_DIMS ? OQ_MAX_DIMS : t->ndim;
  for (int32_t i = 0; i < nd && used < cap; i++)
    used += (size_t)snprintf(buf + used, cap - used, "%s%lld", i ? ", " : "", (long long)t->dims[i]);
  if (used < cap) snprintf(buf + used, cap - used, "]");
}

/* A fed tensor must be self-consistent and match the declared type where the model declares one. */
static oq_status check_input(const oq_value *v, const oq_tensor *t, oq_error *err) {
  char want[256], got[256];
  const char *name = v->name ? v->name : "";
  if (t->ndim < 0 || t->ndim > OQ_MAX_DIMS)
    OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "input '%s': rank %d is invalid", name, (int)t->ndim);
  size_t esize = oq_dtype_size(t->dtype);
  if (esize == 0)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "input '%s': type %s is not supported", name, oq_dtype_name(t->dtype));
  size_t total = esize;
  for (int32_t i = 0; i < t->ndim; i++)
    if (t->dims[i] < 0 || (uint64_t)t->dims[i] > SIZE_MAX || !oq_size_mul(total, (size_t)t->dims[i], &total))
      OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "input '%s': dimension %d (%lld) is invalid", name, (int)i,
                    (long long)t->dims[i]);
  if (!oq_tensor_extents_ok(t->ndim, t->dims))
    OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "input '%s': extents multiply past 2^63 (even though it is empty)", name);
  if (total != t->nbytes || (total > 0 && !t->data))
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "input '%s': holds %zu bytes, its shape needs %zu", name, t->nbytes, total);
  int ok = v->dtype == OQ_DTYPE_UNDEFINED || v->dtype == t->dtype;
  if (ok && v->ndim >= 0) {
    ok = v->ndim == t->ndim;
    for (int32_t i = 0; ok && i < v->ndim; i++) ok = v->dims[i].value < 0 || v->dims[i].value == t->dims[i];
  }
  if (!ok) {
    format_decl(v, want, sizeof want);
    format_tensor(t, got, sizeof got);
    OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "input '%s': expected %s, got %s", name, want, got);
  }
  return OQ_OK;
}

/* The tensor a value currently has (initializers live in consts). */
static const oq_tensor *value_tensor(const oq_plan *plan, int32_t v) {
  return plan->g->values[v].kind == OQ_VALUE_INITIALIZER ? &plan->consts[v] : &plan->vals[v];
}

/* ---- arena ----------------------------------------------------------------------------------------------------- */

/* The lists are sized at build time (a block in use is owned by a value or an output slot, so there are at most
 * n_values + max_out of them), so a run never allocates for them and cannot fail half-way through a release. */
static int arena_push(arena_block **arr, int32_t *n, int32_t *cap, arena_block b) {
  if (*n >= *cap) return 0;
  (*arr)[(*n)++] = b;
  return 1;
}

static oq_status arena_init(arena *a, int32_t max_used, oq_error *err) {
  a->used = oq_calloc((size_t)max_used, sizeof *a->used, err);
  a->free = oq_calloc(ARENA_FREE_MAX, sizeof *a->free, err);
  if (!a->used || !a->free) return OQ_ERR_NOMEM;
  a->cap_used = max_used;
  a->cap_free = ARENA_FREE_MAX;
  return OQ_OK;
}

/* Index of data in the used list, -1 when not listed. */
static int32_t arena_find(const arena *a, const void *data) {
  for (int32_t i = a->n_used - 1; i >= 0; i--)
    if (a->used[i].p == data) return i;
  return -1;
}

/* Takes the block at used index i out of the arena (the caller now owns or frees it). */
static arena_block arena_unlist(arena *a, int32_t i) {
  arena_block b = a->used[i];
  a->used[i] = a->used[--a->n_used];
  a->held -= b.cap;
  return b;
}

/* Releases t: a listed block goes to the free list (or is freed), anything else is released as usual. */
static void arena_release(arena *a, oq_tensor *t) {
  int32_t i = t->owns_data && t->data ? arena_find(a, t->data) : -1;
  if (i < 0) {
    oq_tensor_release(t);
    return;
  }
  arena_block b = arena_unlist(a, i);
  if (a->no_reuse || a->n_free >= ARENA_FREE_MAX || !arena_push(&a->free, &a->n_free, &a->cap_free, b))
    oq_free(b.p);
  else
    a->held += b.cap;
  memset(t, 0, sizeof *t);
}

/* A block delivered to the caller leaves the arena. */
static void arena_forget(arena *a, const void *data) {
  int32_t i = data ? arena_find(a, data) : -1;
  if (i >= 0) arena_unlist(a, i);
}

static void arena_free(arena *a) {
  for (int32_t i = 0; i < a->n_used; i++) oq_free(a->used[i].p);
  for (int32_t i = 0; i < a->n_free; i++) oq_free(a->free[i].p);
  free(a->used);
  free(a->free);
  memset(a, 0, sizeof *a);
}

/* Bytes of a whole-byte dtype tensor of this shape, 0 when it is empty or not a case the arena handles (sub-byte
 * types, overflow, over the tensor limit: oq_tensor_alloc words those errors). */
static size_t arena_bytes(int32_t dtype, int32_t ndim, const int64_t *dims) {
  size_t total = oq_dtype_size(dtype);
  if (total == 0 || ndim < 0 || ndim > OQ_MAX_DIMS) return 0;
  for (int32_t i = 0; i < ndim; i++)
    if (dims[i] < 0 || (uint64_t)dims[i] > SIZE_MAX || !oq_size_mul(total, (size_t)dims[i], &total)) return 0;
  return (uint64_t)total <= (uint64_t)OQ_MAX_TENSOR_BYTES ? total : 0;
}

/* oq_tensor_alloc through the arena: a tensor in the best-fitting free block (zeroed unless the kernel writes every
 * byte: zeroing a block it then overwrites costs a pass over memory), or a new listed (zeroed) block. */
static oq_status arena_alloc(arena *a, oq_tensor *t, int32_t dtype, int32_t ndim, const int64_t *dims, int zero,
                             oq_error *err) {
  size_t bytes = arena_bytes(dtype, ndim, dims);
  int32_t best = -1;
  for (int32_t i = 0; bytes && i < a->n_free; i++)
    if (a->free[i].cap >= bytes && a->free[i].cap / 2 <= bytes && (best < 0 || a->free[i].cap < a->free[best].cap))
      best = i;
  if (best >= 0 && arena_push(&a->used, &a->n_used, &a->cap_used, a->free[best])) {
    memset(t, 0, sizeof *t);
    t->dtype = dtype;
    t->ndim = ndim;
    for (int32_t i = 0; i < ndim; i++) t->dims[i] = dims[i];
    t->data = a->free[best].p;
    t->nbytes = bytes;
    t->owns_data = 1;
    if (zero || a->poison) memset(t->data, zero ? 0 : 0xff, bytes);
    a->free[best] = a->free[--a->n_free];
    return OQ_OK;
  }
  oq_status st = oq_tensor_alloc(t, dtype, ndim, dims, err);
  if (st != OQ_OK || !t->data) return st;
  arena_block b = {t->data, t->nbytes};
  if (!arena_push(&a->used, &a->n_used, &a->cap_used, b)) {
    oq_tensor_release(t);
    OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "out of memory listing a tensor block");
  }
  a->held += b.cap;
  if (a->held > a->peak_held) a->peak_held = a->held;
  return OQ_OK;
}

/* Drops value v: releases its storage reference and frees the root's buffer with the last one. */
static void drop_value(oq_plan *plan, int32_t v) {
  int32_t r = plan->root[v];
  if (r >= 0 && --plan->refs[r] == 0) arena_release(&plan->arena, &plan->vals[r]);
  if (r != v) memset(&plan->vals[v], 0, sizeof plan->vals[v]);
  plan->root[v] = -1;
}

/* ---- kernel hooks ---------------------------------------------------------------------------------------------- */

/* numel of a shape, or -1 when an extent is negative or the product overflows. */
static int64_t shape_numel(int32_t ndim, const int64_t *dims) {
  int64_t n = 1;
  for (int32_t i = 0; i < ndim; i++) {
    if (dims[i] < 0 || (dims[i] > 0 && n > INT64_MAX / dims[i])) return -1;
    n *= dims[i];
  }
  return n;
}

/* Whether output 0 of the running step may take input 0's buffer: input 0 is an intermediate this plan owns, no
 * view shares it, this node is its last reader (and reads it once), and the output has its dtype and shape. */
static int can_inplace(const oq_plan *plan, const oq_kernel_call *call, int32_t dtype, int32_t ndim,
                       const int64_t *dims) {
  const oq_graph *g = plan->g;
  const oq_node *node = &g->nodes[plan->cur->node];
  if (call->n_inputs < 1 || node->inputs[0] < 0) return 0;
  int32_t v = node->inputs[0];
  const oq_tensor *t = &plan->vals[v];
  if (g->values[v].kind != OQ_VALUE_INTERMEDIATE || g->values[v].is_graph_output) return 0;
  if (plan->root[v] != v || plan->refs[v] != 1 || plan->left[v] != 1 || !t->owns_data || !t->data) return 0;
  if (t->dtype != dtype || t->ndim != ndim) return 0;
  for (int32_t i = 0; i < ndim; i++)
    if (t->dims[i] != dims[i]) return 0;
  return 1;
}

/* Output tensor of value v over its slice of the Concat buffer (taken from the arena on first use), when the shape
 * asked for is the one planned; leaves t untouched otherwise (the output then gets a buffer of its own and the
 * Concat copies it). */
static oq_status slice_output(oq_plan *plan, int32_t v, oq_tensor *t, int32_t dtype, int32_t ndim, const int64_t *dims,
                              oq_error *err) {
  const oq_shape_info *vi = &plan->info[v];
  if (dtype != vi->dtype || ndim != vi->ndim) return OQ_OK;
  for (int32_t i = 0; i < ndim; i++)
    if (dims[i] != vi->dims[i]) return OQ_OK;
  concat_slot *cs = &plan->cslots[plan->slice_slot[v]];
  if (!cs->buf.data) {
    const oq_shape_info *ci = &plan->info[cs->value];
    oq_status st = arena_alloc(&plan->arena, &cs->buf, ci->dtype, ci->ndim, ci->dims, cs->zero, err);
    if (st != OQ_OK) return st;
    if (!cs->buf.data) return OQ_OK;
  }
  size_t bytes = arena_bytes(dtype, ndim, dims);
  if (bytes == 0 || plan->slice_off[v] > cs->buf.nbytes || bytes > cs->buf.nbytes - plan->slice_off[v]) return OQ_OK;
  memset(t, 0, sizeof *t);
  t->dtype = dtype;
  t->ndim = ndim;
  memcpy(t->dims, dims, sizeof(int64_t) * (size_t)ndim);
  t->data = (unsigned char *)cs->buf.data + plan->slice_off[v];
  t->nbytes = bytes;
  t->owns_data = 0; /* the slot owns the buffer */
  return OQ_OK;
}

/* A Concat of plan_concat_inplace: its buffer becomes output 0 once the inputs that are not in their slice are
 * copied there. When an input's shape is not the planned one, or no producer took the buffer, the Concat kernel
 * runs as usual (and the buffer, which inputs may live in, is released after it). */
static oq_status concat_inplace_exec(oq_plan *plan, const plan_step *step, const oq_kernel_call *call, oq_error *err) {
  concat_slot *cs = &plan->cslots[step->cslot - 1];
  const oq_node *node = &plan->g->nodes[step->node];
  int ok = cs->buf.data != NULL && call->n_inputs == node->n_inputs;
  for (int32_t k = 0; ok && k < call->n_inputs; k++) {
    const oq_tensor *x = call->inputs[k];
    const oq_shape_info *ui = &plan->info[node->inputs[k]];
    ok = x && x->dtype == ui->dtype && x->ndim == ui->ndim && (x->data || x->nbytes == 0);
    for (int32_t i = 0; ok && i < x->ndim; i++) ok = x->dims[i] == ui->dims[i];
    ok = ok && x->nbytes == arena_bytes(ui->dtype, ui->ndim, ui->dims) && cs->in_off[k] <= cs->buf.nbytes &&
         x->nbytes <= cs->buf.nbytes - cs->in_off[k];
  }
  if (!ok) {
    oq_status st = step->def->exec(call, err);
    arena_release(&plan->arena, &cs->buf);
    return st;
  }
  for (int32_t k = 0; k < call->n_inputs; k++) {
    const oq_tensor *x = call->inputs[k];
    unsigned char *dst = (unsigned char *)cs->buf.data + cs->in_off[k];
    if (x->nbytes && x->data != dst) memcpy(dst, x->data, x->nbytes);
  }
  call->outputs[0] = cs->buf;
  memset(&cs->buf, 0, sizeof cs->buf);
  return OQ_OK;
}

static oq_status exec_out(void *ctx, const oq_kernel_call *call, int32_t j, int32_t dtype, int32_t ndim,
                          const int64_t *dims, oq_error *err) {
  oq_plan *plan = ctx;
  if (j < 0 || j >= call->n_outputs || call->outputs[j].data || call->outputs[j].dtype || ndim < 0 ||
      ndim > OQ_MAX_DIMS)
    OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "output %d requested twice or with rank %d", (int)j, (int)ndim);
  oq_tensor *t = &call->outputs[j];
  uint32_t flags = plan->cur->def->flags;
  const oq_tensor *in0 = call->n_inputs > 0 ? call->inputs[0] : NULL;
  if (j == 0 && (flags & OQ_OP_FLAG_VIEW) && in0 && in0->dtype == dtype &&
      shape_numel(ndim, dims) == oq_tensor_numel(in0)) {
    *t = *in0;
    t->owns_data = 0;
    t->ndim = ndim;
    memset(t->dims, 0, sizeof t->dims);
    memcpy(t->dims, dims, sizeof(int64_t) * (size_t)ndim);
    plan->cur_view = 1;
    return OQ_OK;
  }
  if (!plan->observer && plan->slice_slot) { /* plan_concat_inplace: written straight into a Concat's output */
    int32_t v = plan->g->nodes[plan->cur->node].outputs[j];
    if (v >= 0 && plan->slice_slot[v] >= 0) {
      oq_status st = slice_output(plan, v, t, dtype, ndim, dims, err);
      if (st != OQ_OK || t->data) return st;
    }
  }
  if (j == 0 && (flags & OQ_OP_FLAG_INPLACE) && can_inplace(plan, call, dtype, ndim, dims)) {
    oq_tensor *src = &plan->vals[plan->g->nodes[plan->cur->node].inputs[0]];
    *t = *src;          /* the output owns the buffer now; the input keeps reading it until the kernel is done */
    src->owns_data = 0; /* dropped after this node without freeing */
    plan->cur_inplace = 1;
    return OQ_OK;
  }
  return arena_alloc(&plan->arena, t, dtype, ndim, dims, !plan->cur->writes_all, err);
}

static oq_status exec_scratch(void *ctx, size_t bytes, void **out, oq_error *err) {
  oq_plan *plan = ctx;
  *out = NULL;
  if (plan->scratch_used >= MAX_SCRATCH)
    OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "a kernel asked for more than %d scratch blocks", MAX_SCRATCH);
  int32_t i = plan->scratch_used;
  if (bytes > plan->scratch_cap[i] || !plan->scratch[i]) {
    void *p = bytes <= OQ_MAX_TENSOR_BYTES ? oq_mem_alloc(bytes) : NULL;
    if (!p) OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "out of memory for %zu bytes of kernel scratch", bytes);
    free(plan->scratch[i]);
    plan->scratch[i] = p;
    plan->scratch_cap[i] = bytes;
  }
  plan->scratch_used++;
  *out = plan->scratch[i];
  return OQ_OK;
}

/* scopes: runs a subgraph of the running step's node through its sub-plan (outputs: the kernel's owned tensors). */
static oq_status exec_subgraph(void *ctx, const oq_kernel_call *call, int32_t index, const oq_tensor *const *inputs,
                               int32_t n_inputs, oq_tensor *outputs, int32_t n_outputs, oq_error *err) {
  oq_plan *plan = ctx;
  (void)call;
  if (!plan->cur->subs) OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "the node has no subgraphs");
  return oq_subplans_run(plan->cur->subs, index, inputs, n_inputs, outputs, n_outputs, err);
}

static const oq_kernel_hooks k_exec_hooks = {exec_out, exec_scratch, exec_subgraph};

static oq_status copy_tensor(const oq_tensor *src, oq_tensor *dst, oq_error *err) {
  oq_status st = oq_tensor_alloc(dst, src->dtype, src->ndim, src->dims, err);
  if (st != OQ_OK) return st;
  if (dst->nbytes != src->nbytes) {
    oq_tensor_release(dst);
    OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "tensor holds %zu bytes, its shape needs %zu", src->nbytes, dst->nbytes);
  }
  if (src->nbytes) memcpy(dst->data, src->data, src->nbytes);
  return OQ_OK;
}

/* Checks what a kernel returned in out_tmp and stores it in the node's output values. */
static oq_status take_outputs(oq_plan *plan, const plan_step *step, oq_error *err) {
  const oq_graph *g = plan->g;
  const oq_node *node = &g->nodes[step->node];
  for (int32_t k = 0; k < step->n_out; k++) {
    oq_tensor *t = &plan->out_tmp[k];
    int32_t v = node->outputs[k];
    if (v < 0) {
      arena_release(&plan->arena, t);
      continue;
    }
    size_t esize = oq_dtype_size(t->dtype), total = esize;
    int ok = esize > 0 && t->ndim >= 0 && t->ndim <= OQ_MAX_DIMS;
    for (int32_t i = 0; ok && i < t->ndim; i++) ok = t->dims[i] >= 0 && oq_size_mul(total, (size_t)t->dims[i], &total);
    if (!ok || total != t->nbytes || (total && !t->data))
      OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "output %d ('%s') was not produced correctly by the kernel", (int)k,
                    g->values[v].name ? g->values[v].name : "");
    if (plan->check_infer) {
      const oq_shape_info *info = &plan->info[v];
      int same = (info->dtype == 0 || info->dtype == t->dtype) && (info->ndim < 0 || info->ndim == t->ndim);
      for (int32_t i = 0; same && info->ndim >= 0 && i < info->ndim; i++)
        same = info->dims[i] < 0 || info->dims[i] == t->dims[i];
      if (!same)
        OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "output %d ('%s') disagrees with its inferred type (ONNXQ_CHECK_INFER)",
                      (int)k, g->values[v].name ? g->values[v].name : "");
    }
    plan->vals[v] = *t;
    memset(t, 0, sizeof *t);
    plan->root[v] = -1;
    if (plan->vals[v].owns_data) {
      plan->root[v] = v;
      plan->refs[v] = 1;
    } else if (k == 0 && plan->cur_view) {
      /* A view of input 0 keeps input 0's storage alive. Initializers and graph inputs outlive the run. */
      int32_t in = node->inputs[0];
      int32_t r = g->values[in].kind == OQ_VALUE_INITIALIZER ? -1 : plan->root[in];
      if (r >= 0) {
        plan->root[v] = r;
        plan->refs[r]++;
      }
    }
  }
  return OQ_OK;
}

static void reset_run(oq_plan *plan) {
  const oq_graph *g = plan->g;
  for (int32_t v = 0; v < g->n_values; v++) {
    if (plan->vals[v].owns_data) arena_release(&plan->arena, &plan->vals[v]);
    memset(&plan->vals[v], 0, sizeof plan->vals[v]);
    plan->left[v] = g->values[v].n_consumers;
    plan->refs[v] = 0;
    plan->root[v] = -1;
  }
  for (int32_t k = 0; k < plan->max_out; k++) arena_release(&plan->arena, &plan->out_tmp[k]);
  for (int32_t i = 0; i < plan->n_cslots; i++) arena_release(&plan->arena, &plan->cslots[i].buf);
}

/* Hands graph outputs to the caller: copies first (views may read from a root that is about to be moved), then
 * moves owning roots, once each. */
static oq_status deliver_outputs(oq_plan *plan, oq_tensor *outputs, oq_error *err) {
  const oq_graph *g = plan->g;
  for (int32_t j = 0; j < g->n_outputs; j++) {
    int32_t v = g->outputs[j];
    if (plan->out_first[j] && plan->root[v] == v && plan->refs[v] == 1) continue; /* moved below */
    oq_status st = copy_tensor(value_tensor(plan, v), &outputs[j], err);
    if (st != OQ_OK) {
      oq_error_prefix(err, "graph output '%s'", g->values[v].name ? g->values[v].name : "");
      return st;
    }
  }
  for (int32_t j = 0; j < g->n_outputs; j++) {
    int32_t v = g->outputs[j];
    if (!plan->out_first[j] || plan->root[v] != v || plan->refs[v] != 1) continue;
    outputs[j] = plan->vals[v];
    arena_forget(&plan->arena, outputs[j].data);
    memset(&plan->vals[v], 0, sizeof plan->vals[v]);
    plan->root[v] = -1;
    plan->refs[v] = 0;
  }
  return OQ_OK;
}

/* The run of one scope. Graph inputs come from inputs[j] (an array of tensors) or, when inputs is NULL, from
 * input_ptrs[j]; observer and user are in plan. */
static oq_status run_scope(oq_plan *plan, const oq_tensor *inputs, const oq_tensor *const *input_ptrs,
                           oq_tensor *outputs, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_graph *g = plan->g;
  oq_observer_fn observer = plan->observer;
  void *user = plan->user;
  for (int32_t j = 0; outputs && j < g->n_outputs; j++) memset(&outputs[j], 0, sizeof outputs[j]);
  reset_run(plan);
  if (plan->ws_threads != oq_threadpool_size(plan->pool)) reserve_workspace(plan, oq_threadpool_size(plan->pool));
  for (int32_t j = 0; j < g->n_inputs; j++) {
    int32_t v = g->inputs[j];
    const oq_tensor *in = inputs ? &inputs[j] : input_ptrs[j];
    OQ_CHECK(check_input(&g->values[v], in, err));
    plan->vals[v] = *in;
    plan->vals[v].owns_data = 0; /* borrowed from the caller for the run */
  }
  /* scopes: outer references read the enclosing plan's current tensors (kept alive as implicit inputs there) */
  for (int32_t j = 0; j < g->n_outer; j++) {
    int32_t v = g->outer[j];
    plan->vals[v] = *value_tensor(plan->parent, g->values[v].outer_id);
    plan->vals[v].owns_data = 0;
  }
  if (observer)
    for (int32_t j = 0; j < g->n_inputs; j++) {
      int32_t v = g->inputs[j];
      OQ_CHECK(observer(user, g, v, &plan->vals[v], err));
    }
  for (int32_t s = 0; s < plan->n_steps; s++) {
    const plan_step *step = &plan->steps[s];
    const oq_node *node = &g->nodes[step->node];
    int silu = !observer && step->silu; /* mark_silu */
    for (int32_t i = 0; i < step->n_in; i++) {
      int32_t v = node->inputs[i];
      plan->in_ptrs[i] = v < 0 ? NULL : value_tensor(plan, v);
    }
    if (silu && step->silu == 2) plan->in_ptrs[0] = value_tensor(plan, step->silu_x);
    for (int32_t k = 0; k < step->n_out; k++) memset(&plan->out_tmp[k], 0, sizeof plan->out_tmp[k]);
    oq_kernel_call call = {step->params,
                           plan->in_ptrs,
                           silu ? 1 : step->n_in,
                           plan->out_tmp,
                           step->n_out,
                           node_name(g, step->node),
                           plan->pool,
                           0,
                           &k_exec_hooks,
                           plan,
                           0,
                           0.0f,
                           0.0f};
    if (!observer && step->fuse_act) {
      call.fused_act = step->fuse_act;
      call.fused_lo = step->fuse_lo;
      call.fused_hi = step->fuse_hi;
    }
    plan->cur = step;
    plan->cur_view = plan->cur_inplace = 0;
    plan->scratch_used = 0;
    st = oq_limits_check_time(err); /* --max-seconds, between nodes (core/limits.c) */
    if (st == OQ_OK && !(silu && step->silu == 1)) {
      if (silu)
        st = oq_op_silu_exec(&call, err);
      else
        st = !observer && step->fused   ? fused_view(plan, &call, err)
             : !observer && step->cslot ? concat_inplace_exec(plan, step, &call, err)
                                        : step->def->exec(&call, err);
    }
    plan->scratch_used = 0;
    if (st == OQ_OK && !(silu && step->silu == 1)) st = take_outputs(plan, step, err);
    if (st != OQ_OK) {
      char label[320];
      node_label(g, step->node, label, sizeof label);
      oq_error_prefix(err, "%s (%s)", label, node_op(g, step->node));
      oq_error_subject(err, OQ_SUBJECT_NODE,
                       node_name(g, step->node)[0] ? node_name(g, step->node) : node_op(g, step->node));
      goto fail;
    }
    if (observer)
      for (int32_t k = 0; k < step->n_out; k++) {
        int32_t v = node->outputs[k];
        if (v >= 0) OQ_CHECK(observer(user, g, v, &plan->vals[v], err));
      }
    /* Free what is dead: inputs whose last consumer this was, outputs nobody reads. */
    for (int32_t i = 0; i < step->n_in; i++) {
      int32_t v = node->inputs[i];
      if (v < 0 || g->values[v].kind != OQ_VALUE_INTERMEDIATE) continue;
      if (--plan->left[v] == 0 && !g->values[v].is_graph_output) drop_value(plan, v);
    }
    for (int32_t i = 0; i < node->n_implicit; i++) { /* scopes: values the node's subgraphs read */
      int32_t v = node->implicit[i];
      if (g->values[v].kind != OQ_VALUE_INTERMEDIATE) continue;
      if (--plan->left[v] == 0 && !g->values[v].is_graph_output) drop_value(plan, v);
    }
    for (int32_t k = 0; k < step->n_out; k++) {
      int32_t v = node->outputs[k];
      if (v >= 0 && g->values[v].n_consumers == 0 && !g->values[v].is_graph_output) drop_value(plan, v);
    }
  }
  if (outputs) OQ_CHECK(deliver_outputs(plan, outputs, err));
  reset_run(plan);
  return OQ_OK;
fail:
  for (int32_t j = 0; outputs && j < g->n_outputs; j++) oq_tensor_release(&outputs[j]);
  reset_run(plan);
  return st;
}

oq_status oq_plan_run(oq_plan *plan, const oq_tensor *inputs, oq_tensor *outputs, oq_observer_fn observer, void *user,
                      oq_error *err) {
  if (!plan || (!inputs && plan->g->n_inputs > 0))
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_plan_run: plan and inputs are required");
  plan->observer = observer;
  plan->user = user;
  oq_status st = run_scope(plan, inputs, NULL, outputs, err);
  plan->observer = NULL;
  plan->user = NULL;
  return st;
}

/* scopes: a sub-plan runs inside its parent's step, with the parent's pool and observer */
oq_status oq_plan_run_scope(oq_plan *plan, const oq_tensor *const *inputs, int32_t n_inputs, oq_tensor *outputs,
                            int32_t n_outputs, oq_error *err) {
  if (!plan || !plan->parent || !outputs || n_inputs != plan->g->n_inputs || n_outputs != plan->g->n_outputs ||
      (n_inputs > 0 && !inputs))
    OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "subgraph run with %d inputs and %d outputs, its graph has %d and %d",
                  (int)n_inputs, (int)n_outputs, plan ? (int)plan->g->n_inputs : -1,
                  plan ? (int)plan->g->n_outputs : -1);
  plan->observer = plan->parent->observer;
  plan->user = plan->parent->user;
  plan->pool = plan->parent->pool;
  oq_status st = run_scope(plan, NULL, inputs, outputs, err);
  plan->observer = NULL;
  plan->user = NULL;
  return st;
}
