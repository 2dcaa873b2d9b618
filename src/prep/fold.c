/* Constant folding of the main graph: a node whose inputs are all constant (initializers that no graph input can
 * override, or outputs folded before) is run once on onnxq's own executor, as a one-node model, and its outputs
 * become initializers. Only what the executor runs is folded; nodes with subgraphs, random ops, Q/DQ (a quantized
 * model's structure) and nodes writing graph outputs stay. Size cap: the plan's shape inference must know every
 * output's size before the run and each must stay within opts.fold_max_bytes, so a constant bomb
 * (ConstantOfShape/Expand/Tile/Range of huge extents) stays a node instead of being materialized. */
#include "prep/prep.h"

#include "core/alloc.h"
#include "core/dtype.h"
#include "exec/exec.h"

#include <string.h>

static int is_default(const Onnx__NodeProto *n) { return !n->domain || !n->domain[0] || !strcmp(n->domain, "ai.onnx"); }

static int never_folded(const Onnx__NodeProto *n) {
  static const char *const ops[] = {"RandomNormal",
                                    "RandomNormalLike",
                                    "RandomUniform",
                                    "RandomUniformLike",
                                    "Multinomial",
                                    "Bernoulli",
                                    "QuantizeLinear",
                                    "DequantizeLinear",
                                    "Constant",
                                    "If",
                                    "Loop",
                                    "Scan",
                                    "DynamicQuantizeLinear"};
  if (!is_default(n) || !n->op_type) return 1;
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
    if (!strcmp(n->op_type, ops[i])) return 1;
  for (size_t i = 0; i < n->n_attribute; i++)
    if (n->attribute[i]->g || n->attribute[i]->n_graphs) return 1;
  return 0;
}

static int graph_output(const prep_graph *g, const char *name) {
  for (size_t i = 0; i < g->orig->n_output; i++)
    if (g->orig->output[i]->name && !strcmp(g->orig->output[i]->name, name)) return 1;
  return 0;
}

/* The initializer named name that is a true constant (not overridable through a graph input), or NULL. */
static const Onnx__TensorProto *constant(const prep_graph *g, const char *name) {
  for (size_t i = 0; i < g->orig->n_input; i++)
    if (g->orig->input[i]->name && !strcmp(g->orig->input[i]->name, name)) return NULL;
  for (size_t i = g->inits.n; i-- > 0;) {
    const Onnx__TensorProto *t = g->inits.items[i];
    if (t->name && !strcmp(t->name, name)) return t;
  }
  return NULL;
}

/* Runs node n alone; on success its outputs are appended to g's initializers and *folded is set. A node the
 * executor cannot plan or run, or whose outputs are unknown in size or too large, is left as it is. */
static oq_status fold_node(prep_ctx *c, prep_graph *g, const Onnx__NodeProto *n, int *folded, oq_error *err) {
  oq_status st = OQ_OK;
  oq_edit *ed = NULL;
  oq_model *mini = NULL;
  oq_plan *plan = NULL;
  oq_tensor outs[8];
  oq_error local = {0};
  memset(outs, 0, sizeof outs);
  *folded = 0;
  if (n->n_output < 1 || n->n_output > 8) return OQ_OK;
  const Onnx__ModelProto *mp = c->model->proto;
  OQ_CHECK(oq_edit_create(16, &ed, err));
  Onnx__TensorProto **inits = oq_edit_alloc(ed, n->n_input, sizeof *inits, err);
  Onnx__ValueInfoProto **vis = oq_edit_alloc(ed, n->n_output, sizeof *vis, err);
  Onnx__ValueInfoProto *vi = oq_edit_alloc(ed, n->n_output, sizeof *vi, err);
  Onnx__GraphProto *gp = oq_edit_alloc(ed, 1, sizeof *gp, err);
  Onnx__ModelProto *m = oq_edit_dup(ed, mp, sizeof *mp, err);
  Onnx__NodeProto **nodes = oq_edit_alloc(ed, 1, sizeof *nodes, err);
  Onnx__OperatorSetIdProto **ops = oq_edit_alloc(ed, mp->n_opset_import + 1, sizeof *ops, err);
  Onnx__OperatorSetIdProto *def = oq_edit_alloc(ed, 1, sizeof *def, err);
  if (!inits || !vis || !vi || !gp || !m || !nodes || !ops || !def) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
  size_t ni = 0;
  for (size_t k = 0; k < n->n_input; k++) {
    if (!n->input[k][0]) continue;
    const Onnx__TensorProto *t = constant(g, n->input[k]);
    int dup = 0;
    for (size_t j = 0; j < ni; j++) dup |= inits[j] == t;
    if (!dup) inits[ni++] = (Onnx__TensorProto *)t;
  }
  for (size_t k = 0; k < n->n_output; k++) {
    onnx__value_info_proto__init(&vi[k]);
    vi[k].name = n->output[k];
    vis[k] = &vi[k];
  }
  onnx__graph_proto__init(gp);
  gp->name = "fold";
  nodes[0] = (Onnx__NodeProto *)n;
  gp->node = nodes;
  gp->n_node = 1;
  gp->initializer = inits;
  gp->n_initializer = ni;
  gp->output = vis;
  gp->n_output = n->n_output;
  /* the converted opset */
  size_t nops = 0;
  onnx__operator_set_id_proto__init(def);
  def->domain = "";
  def->has_version = 1;
  def->version = c->to;
  ops[nops++] = def;
  for (size_t i = 0; i < mp->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *op = mp->opset_import[i];
    if (op->domain && op->domain[0] && strcmp(op->domain, "ai.onnx")) ops[nops++] = (Onnx__OperatorSetIdProto *)op;
  }
  m->opset_import = ops;
  m->n_opset_import = nops;
  m->graph = gp;
  if (!m->has_ir_version || m->ir_version < 7) m->has_ir_version = 1, m->ir_version = 7;
  st = oq_model_wrap_built(m, ed, c->model, &mini, &local);
  ed = NULL;
  if (st != OQ_OK || oq_plan_build(mini, &plan, &local) != OQ_OK) {
    st = OQ_OK; /* not executable here: stays a node */
    goto fail;
  }
  for (size_t k = 0; k < n->n_output; k++) {
    if (!n->output[k][0]) continue;
    const oq_shape_info *si = oq_plan_value_info(plan, oq_graph_find(&mini->graph, n->output[k]));
    if (!si || si->ndim < 0 || !si->dtype) goto fail;
    size_t bytes = oq_dtype_size(si->dtype);
    if (!bytes) goto fail; /* strings and sub-byte types stay */
    for (int32_t d = 0; d < si->ndim; d++)
      if (si->dims[d] < 0 || !oq_size_mul(bytes, (size_t)si->dims[d], &bytes)) goto fail;
    if (bytes > c->opts.fold_max_bytes) goto fail;
  }
  if (oq_plan_run(plan, NULL, outs, NULL, NULL, &local) != OQ_OK) goto fail;
  for (size_t k = 0; k < n->n_output; k++) {
    if (!n->output[k][0]) continue;
    const oq_tensor *t = &outs[k];
    size_t es = oq_dtype_size(t->dtype);
    if (!es || t->nbytes > c->opts.fold_max_bytes) goto fail;
  }
  for (size_t k = 0; k < n->n_output; k++) {
    if (!n->output[k][0]) continue;
    const oq_tensor *t = &outs[k];
    size_t es = oq_dtype_size(t->dtype);
    Onnx__TensorProto *tp =
        oq_edit_tensor(c->ed, n->output[k], t->dtype, t->ndim, t->dims, t->data, t->nbytes / es, es, err);
    if (!tp) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory folding node '%s'", n->name ? n->name : n->op_type);
    OQ_CHECK(oq_edit_list_push(c->ed, &g->inits, tp, err));
  }
  *folded = 1;
fail:
  for (size_t k = 0; k < 8; k++) oq_tensor_release(&outs[k]);
  oq_plan_free(plan);
  oq_model_free(mini);
  oq_edit_free(ed);
  return st;
}

oq_status oq_prep_fold_constants(prep_ctx *c, prep_graph *g, oq_error *err) {
  oq_status st = OQ_OK;
  for (size_t i = 0; i < g->nodes.n; i++) {
    const Onnx__NodeProto *n = g->nodes.items[i];
    if (never_folded(n) || n->n_input == 0) continue;
    int all = 1, any = 0;
    for (size_t k = 0; k < n->n_input && all; k++) {
      if (!n->input[k][0]) continue;
      any = 1;
      all = constant(g, n->input[k]) != NULL;
    }
    for (size_t k = 0; k < n->n_output && all; k++) all = n->output[k][0] && !graph_output(g, n->output[k]);
    if (!all || !any) continue;
    int folded;
    OQ_CHECK(fold_node(c, g, n, &folded, err));
    if (!folded) continue;
    memmove(&g->nodes.items[i], &g->nodes.items[i + 1], (g->nodes.n - i - 1) * sizeof g->nodes.items[0]);
    g->nodes.n--;
    i--;
  }
fail:
  return st;
}
