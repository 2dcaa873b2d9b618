/* Control flow: If (ai.onnx If 1, 11, 13, 16, 19, 21; the versions differ only in the types a branch may return,
 * and both branches' outputs are checked at run time by the kernels that read them). The kernel evaluates cond and
 * runs the chosen branch through the executor's subgraph hook (oq_ksubgraph): branches are planned once by
 * the executor, and read values of the enclosing graph as outer references. */
#include "core/limits.h"
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <stdlib.h>
#include <string.h>

/* What output idx of subgraph g declares, for infer: dtype and rank (+ extra_rank stacked axes). Extents stay
 * unknown: a body may change them between iterations, and a declaration never sizes anything. */
static void declared_output(const oq_graph *g, int32_t idx, int32_t extra_rank, oq_shape_info *si) {
  memset(si, 0, sizeof *si);
  si->ndim = -1;
  if (idx < 0 || idx >= g->n_outputs) return;
  const oq_value *v = &g->values[g->outputs[idx]];
  si->dtype = v->dtype;
  if (v->ndim >= 0 && v->ndim + extra_rank <= OQ_MAX_DIMS) {
    si->ndim = v->ndim + extra_rank;
    for (int32_t i = 0; i < si->ndim; i++) si->dims[i] = -1;
  }
}

/* Positions of the branches in the node's oq_node.subgraphs; what each branch declares for each output. */
typedef struct if_params {
  int32_t then_branch;
  int32_t else_branch;
  int32_t n_out;
  oq_shape_info *decl; /* 2 * n_out: then's, then else's; in the same block */
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
  int32_t n_out = ctx->node->n_outputs;
  if_params *p = oq_calloc(1, sizeof *p + 2 * (size_t)n_out * sizeof(oq_shape_info), err);
  if (!p) return OQ_ERR_NOMEM;
  OQ_CHECK(find_branch(ctx->node, "then_branch", &p->then_branch, err));
  OQ_CHECK(find_branch(ctx->node, "else_branch", &p->else_branch, err));
  p->n_out = n_out;
  p->decl = (oq_shape_info *)(p + 1);
  for (int32_t j = 0; j < n_out; j++) {
    declared_output(ctx->node->subgraphs[p->then_branch].graph, j, 0, &p->decl[j]);
    declared_output(ctx->node->subgraphs[p->else_branch].graph, j, 0, &p->decl[n_out + j]);
  }
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
 * iterations are stacked along a new first axis. M and cond are optional (empty names): without both the loop runs
 * until the body's cond is false. Every iteration checks --max-seconds (a body may hold no node, so the executor's
 * check between nodes is not enough), and each scan output's running size is held to the tensor limit, so an
 * endless loop stops with an error instead of taking all memory. */

typedef struct loop_params {
  int32_t body;        /* position in oq_node.subgraphs */
  int32_t n_out;       /* the node's outputs */
  oq_shape_info *decl; /* n_out: the body's declarations of its outputs 1.. (scan outputs stacked), same block */
} loop_params;

oq_status oq_op_loop_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  const oq_node *node = ctx->node;
  int32_t body = oq_node_subgraph(node, "body");
  if (body < 0) OQ_RETURN_ERR(err, OQ_ERR_MODEL, "attribute 'body' is missing or not a graph");
  const oq_graph *g = node->subgraphs[body].graph;
  /* M and cond may be omitted (trailing empty names are dropped, so fewer than 2 slots mean no carried value) */
  int32_t n_carried = node->n_inputs > 2 ? node->n_inputs - 2 : 0;
  if (g->n_inputs != n_carried + 2)
    OQ_RETURN_ERR(err, OQ_ERR_MODEL, "body takes %d inputs, the node carries %d values (+2)", (int)g->n_inputs,
                  (int)n_carried);
  if (g->n_outputs != 1 + node->n_outputs || node->n_outputs < n_carried)
    OQ_RETURN_ERR(err, OQ_ERR_MODEL, "body returns %d outputs, the node has %d (+1 for cond)", (int)g->n_outputs,
                  (int)node->n_outputs);
  loop_params *p = oq_calloc(1, sizeof *p + (size_t)node->n_outputs * sizeof(oq_shape_info), err);
  if (!p) return OQ_ERR_NOMEM;
  p->body = body;
  p->n_out = node->n_outputs;
  p->decl = (oq_shape_info *)(p + 1);
  for (int32_t j = 0; j < node->n_outputs; j++) declared_output(g, 1 + j, j < n_carried ? 0 : 1, &p->decl[j]);
  *params = p;
  return OQ_OK;
}

oq_status oq_op_loop_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const loop_params *p = call->params;
  const oq_tensor *mt = oq_kin(call, 0), *ct = oq_kin(call, 1);
  int32_t n_carried = call->n_inputs > 2 ? call->n_inputs - 2 : 0, n_scan = call->n_outputs - n_carried,
          n_body = 1 + call->n_outputs;
  uint64_t *scan_bytes = NULL, limit = oq_limits_tensor_bytes();
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
  if (n_scan < 0) OQ_FAIL(err, OQ_ERR_MODEL, "the node has fewer outputs than loop-carried values");
  scan_bytes = oq_calloc((size_t)n_scan + 1, sizeof *scan_bytes, err);
  if (!scan_bytes) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory for the loop state");
  for (int64_t i = 0; i < max_trip && cond; i++) {
    OQ_CHECK(oq_limits_check_time(err)); /* --max-seconds */
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
      /* each stacked output (with its records) may not outgrow the limit of one tensor */
      for (int32_t k = 0; k < n_scan; k++) {
        scan_bytes[k] += stack[n_stack - n_scan + k].nbytes + sizeof *stack;
        if (scan_bytes[k] > limit)
          OQ_FAIL(err, OQ_ERR_NOMEM,
                  "scan output %d after %lld iterations needs more than the limit of %llu bytes per tensor", (int)k,
                  (long long)(i + 1), (unsigned long long)limit);
      }
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
  free(scan_bytes);
  return st;
}

/* ---- Scan ---------------------------------------------------------------------------------------------------- */
/* Scan 8 (inputs: sequence_lens (optional), states, scan inputs, all with a leading batch axis; attribute
 * directions) and 9+ (no batch axis; scan_input_axes / _directions, scan_output_axes / _directions, negative axes
 * accepted as from 11). The body runs through the subgraph hook like Loop's: inputs (states..., one slice of each
 * scan input), outputs (states..., one element of each scan output). Scan outputs are filled in place, one slice per
 * iteration, so they never take more than their final size (checked against the tensor limit when allocated). */

typedef struct scan_params {
  int32_t body;        /* position in oq_node.subgraphs */
  int32_t batched;     /* opset 8: leading batch axis and sequence_lens input */
  int32_t n_state;     /* N loop-carried states */
  int32_t n_in;        /* M scan inputs */
  int32_t n_out;       /* K scan outputs the node delivers */
  int64_t *in_axis;    /* M axes (raw; normalized per run), into the block after the struct */
  int64_t *in_dir;     /* M: 0 forward, 1 reverse */
  int64_t *out_axis;   /* K axes (raw) */
  int64_t *out_dir;    /* K */
  oq_shape_info *decl; /* K: the body's declarations of its scan outputs, stacked (+1 axis, +2 at opset 8) */
} scan_params;

/* Copies attribute name's entries (n of them, each in [lo, hi]) into dst, or dflt everywhere when absent. */
static oq_status scan_ints(const oq_op_init_ctx *ctx, const char *name, int32_t n, int64_t lo, int64_t hi, int64_t *dst,
                           oq_error *err) {
  const int64_t *v = NULL;
  size_t got = 0;
  oq_status st = oq_attr_ints(ctx->node->proto, name, &v, &got, err);
  if (st != OQ_OK) return st;
  if (v && got != (size_t)n)
    OQ_RETURN_ERR(err, OQ_ERR_MODEL, "attribute %s has %zu entries, expected %d", name, got, (int)n);
  for (int32_t i = 0; i < n; i++) {
    dst[i] = v ? v[i] : 0;
    if (dst[i] < lo || dst[i] > hi)
      OQ_RETURN_ERR(err, OQ_ERR_MODEL, "attribute %s[%d] = %lld is out of range", name, (int)i, (long long)dst[i]);
  }
  return OQ_OK;
}

oq_status oq_op_scan_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_node *node = ctx->node;
  scan_params *p = NULL;
  int32_t body = oq_node_subgraph(node, "body");
  if (body < 0) OQ_RETURN_ERR(err, OQ_ERR_MODEL, "attribute 'body' is missing or not a graph");
  const oq_graph *g = node->subgraphs[body].graph;
  int64_t m = 0;
  OQ_CHECK(oq_attr_int(node->proto, "num_scan_inputs", 0, &m, err));
  int batched = ctx->opset < 9, first = batched ? 1 : 0;
  if (m < 1 || m > node->n_inputs - first)
    OQ_FAIL(err, OQ_ERR_MODEL, "num_scan_inputs = %lld, the node has %d inputs", (long long)m, (int)node->n_inputs);
  int32_t n_state = node->n_inputs - first - (int32_t)m, n_out = node->n_outputs - n_state;
  if (n_out < 0)
    OQ_FAIL(err, OQ_ERR_MODEL, "the node has %d outputs for %d states", (int)node->n_outputs, (int)n_state);
  if (g->n_inputs != n_state + m)
    OQ_FAIL(err, OQ_ERR_MODEL, "body takes %d inputs, the node has %d states and %lld scan inputs", (int)g->n_inputs,
            (int)n_state, (long long)m);
  if (g->n_outputs < node->n_outputs)
    OQ_FAIL(err, OQ_ERR_MODEL, "body returns %d outputs, the node has %d", (int)g->n_outputs, (int)node->n_outputs);
  size_t n_ints = 2 * (size_t)m + 2 * (size_t)n_out;
  p = oq_calloc(1, sizeof *p + n_ints * sizeof(int64_t) + (size_t)n_out * sizeof(oq_shape_info), err);
  if (!p) return OQ_ERR_NOMEM;
  p->body = body, p->batched = batched, p->n_state = n_state, p->n_in = (int32_t)m, p->n_out = n_out;
  p->in_axis = (int64_t *)(p + 1);
  p->in_dir = p->in_axis + m;
  p->out_axis = p->in_dir + m;
  p->out_dir = p->out_axis + n_out;
  p->decl = (oq_shape_info *)(p->out_dir + n_out);
  for (int32_t k = 0; k < n_out; k++) declared_output(g, n_state + k, batched ? 2 : 1, &p->decl[k]);
  if (batched) {
    OQ_CHECK(scan_ints(ctx, "directions", (int32_t)m, 0, 1, p->in_dir, err));
  } else {
    OQ_CHECK(scan_ints(ctx, "scan_input_axes", (int32_t)m, -OQ_MAX_DIMS, OQ_MAX_DIMS - 1, p->in_axis, err));
    OQ_CHECK(scan_ints(ctx, "scan_input_directions", (int32_t)m, 0, 1, p->in_dir, err));
    OQ_CHECK(scan_ints(ctx, "scan_output_axes", n_out, -OQ_MAX_DIMS, OQ_MAX_DIMS - 1, p->out_axis, err));
    OQ_CHECK(scan_ints(ctx, "scan_output_directions", n_out, 0, 1, p->out_dir, err));
  }
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

/* Bytes of one element and the (outer, inner) split of t around axis: t = [outer][dims[axis]][inner bytes]. */
static oq_status split_at(const oq_tensor *t, int32_t axis, int64_t *outer, size_t *inner, oq_error *err) {
  size_t es = oq_dtype_size(t->dtype);
  if (es == 0) OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "Scan does not take %s tensors", oq_dtype_name(t->dtype));
  *outer = 1;
  *inner = es;
  for (int32_t i = 0; i < axis; i++) *outer *= t->dims[i];
  for (int32_t i = axis + 1; i < t->ndim; i++) *inner *= (size_t)t->dims[i];
  return OQ_OK;
}

/* out = x[..., pos, ...] along axis (a fresh tensor of rank ndim - 1). */
static oq_status take_slice(const oq_tensor *x, int32_t axis, int64_t pos, oq_tensor *out, oq_error *err) {
  int64_t dims[OQ_MAX_DIMS], outer;
  size_t inner;
  oq_status st = split_at(x, axis, &outer, &inner, err);
  if (st != OQ_OK) return st;
  for (int32_t i = 0, k = 0; i < x->ndim; i++)
    if (i != axis) dims[k++] = x->dims[i];
  st = oq_tensor_alloc(out, x->dtype, x->ndim - 1, dims, err);
  if (st != OQ_OK) return st;
  const unsigned char *src = x->data;
  unsigned char *dst = out->data;
  for (int64_t o = 0; inner && o < outer; o++)
    memcpy(dst + (size_t)o * inner, src + ((size_t)o * (size_t)x->dims[axis] + (size_t)pos) * inner, inner);
  return OQ_OK;
}

/* y[..., pos, ...] = e along axis (e has y's dims without axis). */
static oq_status put_slice(oq_tensor *y, int32_t axis, int64_t pos, const oq_tensor *e, oq_error *err) {
  int64_t outer;
  size_t inner;
  oq_status st = split_at(y, axis, &outer, &inner, err);
  if (st != OQ_OK) return st;
  int ok = e->dtype == y->dtype && e->ndim == y->ndim - 1;
  for (int32_t i = 0, k = 0; ok && i < y->ndim; i++)
    if (i != axis) ok = e->dims[k++] == y->dims[i];
  if (!ok) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "a scan output changes type or shape between iterations");
  unsigned char *dst = y->data;
  const unsigned char *src = e->data;
  for (int64_t o = 0; inner && o < outer; o++)
    memcpy(dst + ((size_t)o * (size_t)y->dims[axis] + (size_t)pos) * inner, src + (size_t)o * inner, inner);
  return OQ_OK;
}

static oq_status copy_tensor(const oq_tensor *src, oq_tensor *dst, oq_error *err) {
  oq_status st = oq_tensor_alloc(dst, src->dtype, src->ndim, src->dims, err);
  if (st == OQ_OK && src->nbytes) memcpy(dst->data, src->data, src->nbytes);
  return st;
}

/* One sequence: len iterations over the scan inputs xs (their scan axis has at least len entries; a reverse input
 * reads entry len-1-t at iteration t); states (N) start as copies of state0 and end as the final states (owned by
 * the caller); ys (K) get out_len entries along their axis (entries from len on stay zero). */
static oq_status scan_sequence(const oq_kernel_call *call, const scan_params *p, const oq_tensor *const *state0,
                               const oq_tensor *const *xs, const int32_t *in_axis, int64_t len, int64_t out_len,
                               oq_tensor *states, oq_tensor *ys, oq_error *err) {
  oq_status st = OQ_OK;
  int32_t n = p->n_state, m = p->n_in, k = p->n_out, n_body = n + k;
  oq_tensor *slices = NULL, *outs = NULL;
  const oq_tensor **ins = NULL;
  slices = oq_calloc((size_t)m + 1, sizeof *slices, err);
  outs = oq_calloc((size_t)n_body + 1, sizeof *outs, err);
  ins = oq_calloc((size_t)(n + m) + 1, sizeof *ins, err);
  if (!slices || !outs || !ins) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory for the scan state");
  for (int32_t j = 0; j < n; j++) OQ_CHECK(copy_tensor(state0[j], &states[j], err));
  for (int64_t t = 0; t < len; t++) {
    OQ_CHECK(oq_limits_check_time(err)); /* --max-seconds, also for a body without nodes */
    for (int32_t i = 0; i < m; i++)
      OQ_CHECK(take_slice(xs[i], in_axis[i], p->in_dir[i] ? len - 1 - t : t, &slices[i], err));
    for (int32_t j = 0; j < n; j++) ins[j] = &states[j];
    for (int32_t i = 0; i < m; i++) ins[n + i] = &slices[i];
    memset(outs, 0, (size_t)n_body * sizeof *outs);
    st = oq_ksubgraph(call, p->body, ins, n + m, outs, n_body, err);
    for (int32_t i = 0; i < m; i++) oq_tensor_release(&slices[i]);
    if (st != OQ_OK) goto fail;
    for (int32_t j = 0; j < n; j++) {
      oq_tensor_release(&states[j]);
      states[j] = outs[j];
      memset(&outs[j], 0, sizeof outs[j]);
    }
    for (int32_t q = 0; q < k && st == OQ_OK; q++) {
      const oq_tensor *e = &outs[n + q];
      if (t == 0) {
        int64_t axis = 0, dims[OQ_MAX_DIMS];
        if (e->ndim + 1 > OQ_MAX_DIMS) {
          st = OQ_ERR_UNSUPPORTED;
          oq_error_set(err, st, __FILE__, __LINE__, "scan output %d has rank %d, too large to stack", (int)q,
                       (int)e->ndim);
          break;
        }
        if (!oq_norm_axis(p->out_axis[q], e->ndim + 1, &axis)) {
          st = OQ_ERR_MODEL;
          oq_error_set(err, st, __FILE__, __LINE__, "scan_output_axes[%d] = %lld is out of range for rank %d", (int)q,
                       (long long)p->out_axis[q], (int)(e->ndim + 1));
          break;
        }
        for (int32_t i = 0, r = 0; i <= e->ndim; i++) dims[i] = i == axis ? out_len : e->dims[r++];
        st = oq_tensor_alloc(&ys[q], e->dtype, e->ndim + 1, dims, err);
        if (st != OQ_OK) break;
      }
      int64_t axis = 0;
      oq_norm_axis(p->out_axis[q], ys[q].ndim, &axis);
      st = put_slice(&ys[q], (int32_t)axis, p->out_dir[q] ? len - 1 - t : t, e, err);
    }
    for (int32_t q = 0; q < n_body; q++) oq_tensor_release(&outs[q]);
    if (st != OQ_OK) goto fail;
  }
  if (len == 0) /* no element to take a shape from: an empty float tensor of rank 1 */
    for (int32_t q = 0; q < k; q++) OQ_CHECK(oq_tensor_alloc(&ys[q], OQ_DTYPE_FLOAT, 1, (int64_t[]){0}, err));
fail:
  free(slices);
  free(outs);
  free(ins);
  return st;
}

/* The scan axis of input i (normalized; opset 8: axis 0 of the per-batch slice) and its extent. */
static oq_status scan_axes(const oq_kernel_call *call, const scan_params *p, const oq_tensor *const *xs, int32_t *axes,
                           int64_t *len, oq_error *err) {
  *len = -1;
  for (int32_t i = 0; i < p->n_in; i++) {
    int64_t a = 0;
    if (!oq_norm_axis(p->in_axis[i], xs[i]->ndim, &a))
      OQ_KRETURN(call->node_name, OQ_ERR_MODEL, "scan input %d: axis %lld is out of range for rank %d", (int)i,
                 (long long)p->in_axis[i], (int)xs[i]->ndim);
    axes[i] = (int32_t)a;
    if (*len >= 0 && xs[i]->dims[a] != *len)
      OQ_KRETURN(call->node_name, OQ_ERR_SHAPE, "scan inputs have different lengths (%lld, %lld)", (long long)*len,
                 (long long)xs[i]->dims[a]);
    *len = xs[i]->dims[a];
  }
  return OQ_OK;
}

oq_status oq_op_scan_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const scan_params *p = call->params;
  int32_t n = p->n_state, m = p->n_in, k = p->n_out, first = p->batched ? 1 : 0;
  oq_tensor *states = NULL, *ys = NULL, *bstate0 = NULL, *bxs = NULL;
  const oq_tensor **state0 = NULL, **xs = NULL;
  int32_t axes[OQ_MAX_DIMS * 4];
  if (call->n_inputs != first + n + m)
    OQ_KFAIL(call->node_name, OQ_ERR_MODEL, "Scan has %d inputs", (int)call->n_inputs);
  if (m > (int32_t)(sizeof axes / sizeof axes[0]))
    OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "%d scan inputs are too many", (int)m);
  for (int32_t i = first; i < call->n_inputs; i++)
    if (!call->inputs[i]) OQ_KFAIL(call->node_name, OQ_ERR_MODEL, "input %d is missing", (int)i);
  states = oq_calloc((size_t)n + 1, sizeof *states, err);
  ys = oq_calloc((size_t)k + 1, sizeof *ys, err);
  state0 = oq_calloc((size_t)n + 1, sizeof *state0, err);
  xs = oq_calloc((size_t)m + 1, sizeof *xs, err);
  if (!states || !ys || !state0 || !xs) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory for the scan state");
  for (int32_t j = 0; j < n; j++) state0[j] = call->inputs[first + j];
  for (int32_t i = 0; i < m; i++) xs[i] = call->inputs[first + n + i];
  if (!p->batched) {
    int64_t len;
    OQ_CHECK(scan_axes(call, p, xs, axes, &len, err));
    OQ_CHECK(scan_sequence(call, p, state0, xs, axes, len, len, states, ys, err));
    for (int32_t j = 0; j < n; j++)
      OQ_CHECK(oq_kout_bytes_of(call, j, &states[j], states[j].ndim, states[j].dims, err));
    for (int32_t q = 0; q < k; q++) OQ_CHECK(oq_kout_bytes_of(call, n + q, &ys[q], ys[q].ndim, ys[q].dims, err));
    goto fail; /* done: release */
  }
  /* opset 8: every state and scan input has the batch axis first; each batch entry is its own sequence */
  const oq_tensor *lens = call->inputs[0];
  int64_t batch = -1, len = -1;
  for (int32_t i = first; i < call->n_inputs; i++) {
    const oq_tensor *t = call->inputs[i];
    if (t->ndim < (i >= first + n ? 2 : 1) || (batch >= 0 && t->dims[0] != batch))
      OQ_KFAIL(call->node_name, OQ_ERR_SHAPE, "input %d lacks the batch axis of the others", (int)i);
    batch = t->dims[0];
    if (i >= first + n) {
      if (len >= 0 && t->dims[1] != len) OQ_KFAIL(call->node_name, OQ_ERR_SHAPE, "scan inputs have different lengths");
      len = t->dims[1];
    }
  }
  if (lens && (oq_tensor_numel(lens) != batch || (lens->dtype != OQ_DTYPE_INT64 && lens->dtype != OQ_DTYPE_INT32)))
    OQ_KFAIL(call->node_name, OQ_ERR_SHAPE, "sequence_lens must hold one int per batch entry (%lld)", (long long)batch);
  bstate0 = oq_calloc((size_t)n + 1, sizeof *bstate0, err);
  bxs = oq_calloc((size_t)m + 1, sizeof *bxs, err);
  if (!bstate0 || !bxs) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory for the scan state");
  for (int32_t i = 0; i < m; i++) axes[i] = 0;
  for (int64_t b = 0; b < batch; b++) {
    int64_t blen = lens ? oq_load_i64(lens->data, lens->dtype, b) : len;
    if (blen < 0 || blen > len)
      OQ_KFAIL(call->node_name, OQ_ERR_MODEL, "sequence_lens[%lld] = %lld is outside [0, %lld]", (long long)b,
               (long long)blen, (long long)len);
    for (int32_t j = 0; j < n; j++) OQ_CHECK(take_slice(state0[j], 0, b, &bstate0[j], err));
    for (int32_t i = 0; i < m; i++) OQ_CHECK(take_slice(xs[i], 0, b, &bxs[i], err));
    const oq_tensor *bs0[OQ_MAX_DIMS * 4], *bx[OQ_MAX_DIMS * 4];
    if (n > (int32_t)(sizeof bs0 / sizeof bs0[0])) OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "too many states");
    for (int32_t j = 0; j < n; j++) bs0[j] = &bstate0[j];
    for (int32_t i = 0; i < m; i++) bx[i] = &bxs[i];
    st = scan_sequence(call, p, bs0, bx, axes, blen, len, states, ys, err);
    for (int32_t j = 0; j < n; j++) oq_tensor_release(&bstate0[j]);
    for (int32_t i = 0; i < m; i++) oq_tensor_release(&bxs[i]);
    if (st != OQ_OK) goto fail;
    for (int32_t j = 0; j < n + k; j++) {
      oq_tensor *r = j < n ? &states[j] : &ys[j - n];
      if (b == 0) {
        int64_t dims[OQ_MAX_DIMS] = {batch};
        if (r->ndim + 1 > OQ_MAX_DIMS)
          OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "output %d: rank too large", (int)j);
        memcpy(dims + 1, r->dims, sizeof(int64_t) * (size_t)r->ndim);
        OQ_CHECK(oq_kout(call, j, r->dtype, r->ndim + 1, dims, err));
      }
      OQ_CHECK(put_slice(&call->outputs[j], 0, b, r, err));
      oq_tensor_release(r);
    }
  }
  if (batch == 0)
    for (int32_t j = 0; j < n + k; j++) {
      const oq_tensor *s = j < n ? state0[j] : NULL;
      int64_t dims[OQ_MAX_DIMS] = {0, len};
      if (s)
        OQ_CHECK(oq_kout(call, j, s->dtype, s->ndim, s->dims, err));
      else
        OQ_CHECK(oq_kout(call, j, OQ_DTYPE_FLOAT, 2, dims, err));
    }
fail:
  for (int32_t j = 0; states && j < n; j++) oq_tensor_release(&states[j]);
  for (int32_t q = 0; ys && q < k; q++) oq_tensor_release(&ys[q]);
  free(states);
  free(ys);
  free(state0);
  free(xs);
  free(bstate0);
  free(bxs);
  return st;
}

/* ---- shape inference ---------------------------------------------------------------------------------------- */
/* Subgraph results are known at run time only: these give the dtypes (and ranks) that the inputs and the
 * subgraphs' declarations fix, extents unknown. */

oq_status oq_op_if_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                         int32_t n_out, oq_error *err) {
  (void)in;
  (void)n_in;
  (void)err;
  const if_params *p = params;
  for (int32_t j = 0; j < n_out && j < p->n_out; j++) {
    const oq_shape_info *a = &p->decl[j], *b = &p->decl[p->n_out + j];
    if (a->dtype == b->dtype) out[j].dtype = a->dtype;
    if (a->ndim == b->ndim && a->ndim >= 0) oq_info_set(&out[j], out[j].dtype, a->ndim, a->dims);
  }
  return OQ_OK;
}

oq_status oq_op_loop_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                           int32_t n_out, oq_error *err) {
  (void)err;
  const loop_params *p = params;
  int32_t n_carried = n_in > 2 ? n_in - 2 : 0;
  for (int32_t j = 0; j < n_out && j < p->n_out; j++) {
    const oq_shape_info *d = &p->decl[j];
    /* a carried value keeps its type; its shape may change between iterations */
    out[j].dtype = j < n_carried && in[2 + j] && in[2 + j]->dtype ? in[2 + j]->dtype : d->dtype;
    if (d->ndim >= 0) oq_info_set(&out[j], out[j].dtype, d->ndim, d->dims);
  }
  return OQ_OK;
}

oq_status oq_op_scan_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                           int32_t n_out, oq_error *err) {
  (void)n_in;
  (void)err;
  const scan_params *p = params;
  int32_t first = p->batched ? 1 : 0;
  for (int32_t j = 0; j < n_out && j < p->n_state + p->n_out; j++) {
    if (j < p->n_state) {
      if (in[first + j]) out[j].dtype = in[first + j]->dtype;
      continue;
    }
    const oq_shape_info *d = &p->decl[j - p->n_state];
    out[j].dtype = d->dtype;
    if (d->ndim >= 0) oq_info_set(&out[j], d->dtype, d->ndim, d->dims);
  }
  return OQ_OK;
}
