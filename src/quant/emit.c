/* The emitter: turns a quantization plan into the QDQ ModelProto, deciding nothing. The result shares every
 * unchanged part of the input proto by pointer; new nodes, initializers and names come from an edit context.
 *
 * Layout, as onnxruntime's QDQ quantizer writes it: new initializers after the kept ones, in plan order (per
 * quantized initializer: data, scale, zero point; per activation with its own params: scale, zero point); a
 * Q -> DQ pair after every graph input and node output that is quantized; a DequantizeLinear before the first
 * consumer of every quantized initializer; original nodes in topological order, reading the DQ outputs. */
#include "quant/qplan.h"

#include <stdlib.h>
#include <string.h>

/* Generated names: the value's name followed by one of these suffixes (onnxruntime's spelling). */
typedef enum qname {
  QN_QUANTIZED,  /* quantized initializer data */
  QN_SCALE,      /* scale of an activation or weight */
  QN_ZERO_POINT, /* zero point of an activation or weight */
  QN_BIAS_SCALE, /* scale of a bias */
  QN_BIAS_ZP,    /* zero point of a bias */
  QN_DQ_OUTPUT,  /* output of the value's DequantizeLinear (what consumers read) */
  QN_Q_OUTPUT,   /* output of the value's QuantizeLinear */
  QN_Q_INPUT,    /* a graph output's producer writes this; the DequantizeLinear then writes the output's name */
  QN_Q_NODE,     /* QuantizeLinear node name */
  QN_DQ_NODE,    /* DequantizeLinear node name */
  QN_COUNT
} qname;

static const char *const k_suffix[QN_COUNT] = {"_quantized",
                                               "_scale",
                                               "_zero_point",
                                               "_quantized_scale",
                                               "_quantized_zero_point",
                                               "_DequantizeLinear_Output",
                                               "_QuantizeLinear_Output",
                                               "_QuantizeLinear_Input",
                                               "_QuantizeLinear",
                                               "_DequantizeLinear"};

typedef struct emitter {
  const oq_model *model;
  const oq_graph *g;
  const oq_qplan *p;
  oq_edit *ed;
  const char **names; /* per record x QN_COUNT: generated names (NULL until made) */
  const char **dq;    /* per record: the name consumers read instead of the value */
  uint8_t *emitted;   /* per record: initializer DequantizeLinear already placed */
  oq_edit_list nodes; /* the new graph's nodes, in order */
  oq_edit_list inits; /* new initializers, in order */
} emitter;

static const oq_qrec *rec(const emitter *e, int32_t v) { return oq_qplan_find(e->p, v); }

static const char *vname(const emitter *e, int32_t v) { return e->g->values[v].name; }

/* The one function names come from. claim: the name defines a new value and must be unused; otherwise the name
 * made before is reused (a reference, or a node name). */
static oq_status name(emitter *e, int32_t v, qname k, int claim, const char **out, oq_error *err) {
  int32_t ri = e->p->rec_of[v];
  const char **slot = &e->names[(size_t)ri * QN_COUNT + k];
  if (*slot && !claim) {
    *out = *slot;
    return OQ_OK;
  }
  oq_status st = oq_edit_name(e->ed, vname(e, v), k_suffix[k], claim, slot, err);
  if (st != OQ_OK) {
    if (st == OQ_ERR_UNSUPPORTED) oq_error_prefix(err, "quantize");
    return st;
  }
  *out = *slot;
  return OQ_OK;
}

/* Activations read through Q -> DQ, weights through DQ; biases keep their name. */
static int reads_dq(const oq_qrec *r) { return r && r->quantized && r->role != OQ_QROLE_BIAS; }
/* The float initializer is replaced by a quantized one. */
static int init_replaced(const oq_qrec *r) { return r && r->quantized && r->role != OQ_QROLE_ACT; }

static oq_status push_init(emitter *e, Onnx__TensorProto *t, oq_error *err) {
  if (!t) return OQ_ERR_NOMEM;
  return oq_edit_list_push(e->ed, &e->inits, t, err);
}

static oq_status push_node(emitter *e, Onnx__NodeProto *n, oq_error *err) {
  if (!n) return OQ_ERR_NOMEM;
  return oq_edit_list_push(e->ed, &e->nodes, n, err);
}

/* Shape of a record's scale and zero point: a scalar per tensor (ndim 0), [n] per axis (a bias's is always 1-D, as
 * onnxruntime writes it), and for a blocked weight its own shape with the blocked axis divided (rounded up). */
static int32_t param_dims(const emitter *e, const oq_qrec *r, int32_t ndim, int64_t *dims) {
  if (r->block > 0 && r->role == OQ_QROLE_WEIGHT) {
    const Onnx__TensorProto *tp = e->g->values[r->value].init;
    for (size_t d = 0; d < tp->n_dims && d < OQ_MAX_DIMS; d++)
      dims[d] = (int32_t)d == r->axis ? (tp->dims[d] + r->block - 1) / r->block : tp->dims[d];
    return (int32_t)tp->n_dims;
  }
  dims[0] = r->n_params;
  return ndim;
}

/* Scale initializer (shape: param_dims). */
static oq_status scale_init(emitter *e, const oq_qrec *r, const char *nm, int32_t ndim, oq_error *err) {
  float *s = oq_edit_alloc(e->ed, (size_t)r->n_params, sizeof *s, err);
  if (!s) return OQ_ERR_NOMEM;
  for (int32_t c = 0; c < r->n_params; c++) s[c] = r->params[c].scale;
  int64_t dims[OQ_MAX_DIMS];
  ndim = param_dims(e, r, ndim, dims);
  return push_init(e, oq_edit_tensor(e->ed, nm, OQ_DTYPE_FLOAT, ndim, dims, s, (size_t)r->n_params, 4, err), err);
}

/* Zero-point initializer in the record's type. */
static oq_status zero_point_init(emitter *e, const oq_qrec *r, const char *nm, int32_t ndim, oq_error *err) {
  int64_t dims[OQ_MAX_DIMS];
  ndim = param_dims(e, r, ndim, dims);
  const int64_t *dimp = dims;
  if (!r->qtype) { /* int32 bias: all zeros */
    int32_t *z = oq_edit_alloc(e->ed, (size_t)r->n_params, sizeof *z, err);
    if (!z) return OQ_ERR_NOMEM;
    return push_init(e, oq_edit_tensor(e->ed, nm, r->dtype, ndim, dimp, z, (size_t)r->n_params, 4, err), err);
  }
  size_t nbytes;
  if (!oq_qtype_nbytes(r->qtype, (size_t)r->n_params, &nbytes)) return OQ_ERR_NOMEM;
  int32_t *zp = oq_edit_alloc(e->ed, (size_t)r->n_params, sizeof *zp, err);
  uint8_t *raw = oq_edit_alloc(e->ed, nbytes, 1, err);
  if (!zp || !raw) return OQ_ERR_NOMEM;
  for (int32_t c = 0; c < r->n_params; c++) zp[c] = r->params[c].zero_point;
  oq_qtype_store(r->qtype, zp, (size_t)r->n_params, raw);
  return push_init(e, oq_edit_tensor_raw(e->ed, nm, r->dtype, ndim, dimp, raw, nbytes, err), err);
}

/* Scale / zero-point / data initializers of every record that has them, in plan order; the DQ output names. */
static oq_status make_initializers(emitter *e, oq_error *err) {
  oq_status st = OQ_OK;
  for (int32_t i = 0; i < e->p->n_recs; i++) {
    const oq_qrec *r = &e->p->recs[i];
    int32_t v = r->value;
    const oq_value *val = &e->g->values[v];
    const char *qn, *sn, *zn, *dn;
    if (!r->quantized) continue;
    if (r->role == OQ_QROLE_WEIGHT) {
      OQ_CHECK(name(e, v, QN_QUANTIZED, 1, &qn, err));
      OQ_CHECK(name(e, v, QN_SCALE, 1, &sn, err));
      OQ_CHECK(name(e, v, QN_ZERO_POINT, 1, &zn, err));
      OQ_CHECK(name(e, v, QN_DQ_OUTPUT, 1, &dn, err));
      const Onnx__TensorProto *tp = val->init;
      OQ_CHECK(push_init(
          e, oq_edit_tensor_raw(e->ed, qn, r->dtype, (int32_t)tp->n_dims, tp->dims, r->data, r->nbytes, err), err));
      int32_t ndim = r->axis >= 0 ? 1 : 0;
      OQ_CHECK(scale_init(e, r, sn, ndim, err));
      OQ_CHECK(zero_point_init(e, r, zn, ndim, err));
      e->dq[i] = dn;
    } else if (r->role == OQ_QROLE_ACT) {
      if (r->params_of == v) {
        OQ_CHECK(name(e, v, QN_SCALE, 1, &sn, err));
        OQ_CHECK(name(e, v, QN_ZERO_POINT, 1, &zn, err));
        OQ_CHECK(scale_init(e, r, sn, 0, err));
        OQ_CHECK(zero_point_init(e, r, zn, 0, err));
      }
      if (val->is_graph_output) {
        e->dq[i] = vname(e, v);
      } else {
        OQ_CHECK(name(e, v, QN_DQ_OUTPUT, 1, &dn, err));
        e->dq[i] = dn;
      }
    } else {
      OQ_CHECK(name(e, v, QN_QUANTIZED, 1, &qn, err));
      OQ_CHECK(name(e, v, QN_BIAS_SCALE, 1, &sn, err));
      OQ_CHECK(name(e, v, QN_BIAS_ZP, 1, &zn, err));
      const Onnx__TensorProto *tp = val->init;
      OQ_CHECK(push_init(
          e, oq_edit_tensor_raw(e->ed, qn, r->dtype, (int32_t)tp->n_dims, tp->dims, r->data, r->nbytes, err), err));
      OQ_CHECK(scale_init(e, r, sn, 1, err));
      OQ_CHECK(zero_point_init(e, r, zn, r->n_params > 1 ? 1 : 0, err));
      e->dq[i] = vname(e, v);
    }
  }
fail:
  return st;
}

/* Q -> DQ for activation v; q_in is what the Q node reads. */
static oq_status emit_qdq(emitter *e, int32_t v, const char *q_in, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_qrec *r = rec(e, v);
  const char *sn, *zn, *qo, *qnn, *dnn;
  OQ_CHECK(name(e, r->params_of, QN_SCALE, 0, &sn, err));
  OQ_CHECK(name(e, r->params_of, QN_ZERO_POINT, 0, &zn, err));
  OQ_CHECK(name(e, v, QN_Q_OUTPUT, 1, &qo, err));
  OQ_CHECK(name(e, v, QN_Q_NODE, 0, &qnn, err));
  OQ_CHECK(name(e, v, QN_DQ_NODE, 0, &dnn, err));
  const char *qi[3] = {q_in, sn, zn}, *di[3] = {qo, sn, zn};
  const char *dq_out = e->dq[e->p->rec_of[v]];
  OQ_CHECK(push_node(e, oq_edit_node(e->ed, "QuantizeLinear", qnn, qi, 3, &qo, 1, err), err));
  OQ_CHECK(push_node(e, oq_edit_node(e->ed, "DequantizeLinear", dnn, di, 3, &dq_out, 1, err), err));
fail:
  return st;
}

/* DequantizeLinear for a quantized initializer (weight or bias), placed before its first consumer. */
static oq_status emit_init_dq(emitter *e, int32_t v, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_qrec *r = rec(e, v);
  int32_t ri = e->p->rec_of[v];
  int bias = r->role == OQ_QROLE_BIAS;
  const char *in[3], *dnn;
  OQ_CHECK(name(e, v, QN_QUANTIZED, 0, &in[0], err));
  OQ_CHECK(name(e, v, bias ? QN_BIAS_SCALE : QN_SCALE, 0, &in[1], err));
  OQ_CHECK(name(e, v, bias ? QN_BIAS_ZP : QN_ZERO_POINT, 0, &in[2], err));
  OQ_CHECK(name(e, v, QN_DQ_NODE, 0, &dnn, err));
  Onnx__NodeProto *n = oq_edit_node(e->ed, "DequantizeLinear", dnn, in, 3, &e->dq[ri], 1, err);
  if (!n) return OQ_ERR_NOMEM;
  if (r->axis >= 0) OQ_CHECK(oq_edit_attr_int(e->ed, n, "axis", r->axis, err));
  if (r->block > 0) OQ_CHECK(oq_edit_attr_int(e->ed, n, "block_size", r->block, err));
  OQ_CHECK(push_node(e, n, err));
  e->emitted[ri] = 1;
fail:
  return st;
}

/* The original node with inputs/outputs renamed where needed (the same pointer when nothing changes). */
static oq_status emit_node(emitter *e, int32_t n, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_node *node = &e->g->nodes[n];
  const Onnx__NodeProto *np = node->proto;
  const int32_t *outv = &e->p->out_value[e->p->out_off[n]];
  for (int32_t i = 0; i < node->n_inputs; i++) {
    const oq_qrec *r = rec(e, node->inputs[i]);
    if (init_replaced(r) && !e->emitted[e->p->rec_of[r->value]]) OQ_CHECK(emit_init_dq(e, r->value, err));
  }
  int changed = 0;
  for (int32_t i = 0; i < node->n_inputs && !changed; i++) {
    int32_t v = node->inputs[i];
    changed = reads_dq(rec(e, v)) && strcmp(e->dq[e->p->rec_of[v]], np->input[i]) != 0;
  }
  for (int32_t s = 0; s < node->n_outputs && !changed; s++) {
    int32_t u = outv[s];
    const oq_qrec *r = rec(e, u);
    changed =
        u != node->outputs[s] || (r && r->quantized && r->role == OQ_QROLE_ACT && e->g->values[u].is_graph_output);
  }
  if (!changed) return push_node(e, (Onnx__NodeProto *)np, err);
  Onnx__NodeProto *c = oq_edit_dup(e->ed, np, sizeof *np, err);
  char **ins = oq_edit_alloc(e->ed, np->n_input, sizeof *ins, err);
  char **outs = oq_edit_alloc(e->ed, np->n_output, sizeof *outs, err);
  if (!c || !ins || !outs) return OQ_ERR_NOMEM;
  for (size_t i = 0; i < np->n_input; i++) {
    int32_t v = (int32_t)i < node->n_inputs ? node->inputs[i] : -1;
    ins[i] = reads_dq(rec(e, v)) ? (char *)e->dq[e->p->rec_of[v]] : np->input[i];
  }
  for (size_t s = 0; s < np->n_output; s++) {
    int32_t u = (int32_t)s < node->n_outputs ? outv[s] : -1;
    const oq_qrec *r = rec(e, u);
    if (u < 0) {
      outs[s] = np->output[s];
    } else if (r && r->quantized && r->role == OQ_QROLE_ACT && e->g->values[u].is_graph_output) {
      const char *qi;
      OQ_CHECK(name(e, u, QN_Q_INPUT, 1, &qi, err));
      outs[s] = (char *)qi;
    } else {
      outs[s] = (char *)vname(e, u);
    }
  }
  c->input = ins;
  c->output = outs;
  return push_node(e, c, err);
fail:
  return st;
}

static oq_status build_nodes(emitter *e, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_graph *g = e->g;
  for (int32_t i = 0; i < g->n_inputs; i++) {
    int32_t v = g->inputs[i];
    const oq_qrec *r = rec(e, v);
    if (r && r->quantized && r->role == OQ_QROLE_ACT) OQ_CHECK(emit_qdq(e, v, vname(e, v), err));
  }
  for (int32_t k = 0; k < g->n_nodes; k++) {
    int32_t n = g->topo[k];
    if (e->p->node_removed[n]) continue;
    OQ_CHECK(emit_node(e, n, err));
    const oq_node *node = &g->nodes[n];
    const Onnx__NodeProto *emitted = e->nodes.items[e->nodes.n - 1];
    for (int32_t s = 0; s < node->n_outputs; s++) {
      int32_t u = e->p->out_value[e->p->out_off[n] + s];
      const oq_qrec *r = rec(e, u);
      if (!r || !r->quantized || r->role != OQ_QROLE_ACT) continue;
      OQ_CHECK(emit_qdq(e, u, emitted->output[s], err));
    }
  }
fail:
  return st;
}

static oq_status put_names(oq_strmap *m, char **names, size_t n, oq_error *err) {
  for (size_t i = 0; i < n; i++)
    if (names[i] && names[i][0]) {
      oq_status st = oq_strmap_put(m, names[i], 1, err);
      if (st != OQ_OK) return st;
    }
  return OQ_OK;
}

/* Initializer also listed in graph.input (an overridable default). */
static int listed_input(const emitter *e, int32_t v) {
  const Onnx__GraphProto *gp = e->model->proto->graph;
  for (size_t k = 0; k < gp->n_input; k++)
    if (gp->input[k]->name && !strcmp(gp->input[k]->name, e->g->values[v].name)) return 1;
  return 0;
}

/* An initializer that only removed nodes read (a folded Clip's min/max once preparation made them initializers) is
 * dropped like the Constant nodes that used to hold them: runtimes warn about unused initializers. One that nothing
 * read in the input model stays, as it was. */
static int only_removed_read(const emitter *e, int32_t v) {
  const oq_value *val = &e->g->values[v];
  if (val->n_consumers == 0 || val->is_graph_output || listed_input(e, v)) return 0;
  for (int32_t c = 0; c < val->n_consumers; c++)
    if (!e->p->node_removed[val->consumers[c]]) return 0;
  for (int32_t n = 0; n < e->g->n_nodes; n++) /* subgraphs read outer values as implicit inputs, not consumers */
    for (int32_t k = 0; k < e->g->nodes[n].n_implicit; k++)
      if (e->g->nodes[n].implicit[k] == v) return 0;
  return 1;
}

/* Assembles the copy: graph/model shallow copies around the new lists; drops value_info of vanished values; the
 * default-domain opset and IR version the plan asks for. */
static oq_status build_model(emitter *e, Onnx__ModelProto **out, oq_error *err) {
  oq_status st = OQ_OK;
  const Onnx__ModelProto *mp = e->model->proto;
  const Onnx__GraphProto *gp = mp->graph;
  oq_strmap live = {0};
  /* Initializers: the originals that are still used, then the new ones. */
  size_t cap;
  if (!oq_size_add(gp->n_initializer, e->inits.n, &cap)) return OQ_ERR_NOMEM;
  Onnx__TensorProto **inits = oq_edit_alloc(e->ed, cap, sizeof *inits, err);
  if (!inits) return OQ_ERR_NOMEM;
  size_t ni = 0;
  for (size_t i = 0; i < gp->n_initializer; i++) {
    const Onnx__TensorProto *t = gp->initializer[i];
    int32_t v = t->name ? oq_graph_find(e->g, t->name) : -1;
    /* A quantized float initializer goes (its DequantizeLinear replaces it) unless the graph exposes it. */
    if (v >= 0 && v < e->g->n_values && e->g->values[v].init == t && init_replaced(rec(e, v)) &&
        !e->g->values[v].is_graph_output && !listed_input(e, v))
      continue;
    if (v >= 0 && v < e->g->n_values && e->g->values[v].init == t && only_removed_read(e, v)) continue;
    inits[ni++] = (Onnx__TensorProto *)t;
  }
  for (size_t i = 0; i < e->inits.n; i++) inits[ni++] = e->inits.items[i];

  OQ_CHECK(oq_strmap_init(&live, e->nodes.n * 2 + ni + 16, err));
  for (size_t i = 0; i < e->nodes.n; i++) {
    const Onnx__NodeProto *n = e->nodes.items[i];
    OQ_CHECK(put_names(&live, n->input, n->n_input, err));
    OQ_CHECK(put_names(&live, n->output, n->n_output, err));
  }
  for (size_t i = 0; i < ni; i++) OQ_CHECK(put_names(&live, &inits[i]->name, 1, err));
  for (size_t i = 0; i < gp->n_input; i++) OQ_CHECK(put_names(&live, &gp->input[i]->name, 1, err));
  for (size_t i = 0; i < gp->n_output; i++) OQ_CHECK(put_names(&live, &gp->output[i]->name, 1, err));
  Onnx__ValueInfoProto **vis = oq_edit_alloc(e->ed, gp->n_value_info, sizeof *vis, err);
  Onnx__GraphProto *ng = oq_edit_dup(e->ed, gp, sizeof *gp, err);
  Onnx__ModelProto *nm = oq_edit_dup(e->ed, mp, sizeof *mp, err);
  Onnx__OperatorSetIdProto **ops = oq_edit_alloc(e->ed, mp->n_opset_import + 1, sizeof *ops, err);
  Onnx__OperatorSetIdProto *def = oq_edit_alloc(e->ed, 1, sizeof *def, err);
  if (!vis || !ng || !nm || !ops || !def) {
    st = OQ_ERR_NOMEM;
    goto fail;
  }
  size_t nv = 0;
  for (size_t i = 0; i < gp->n_value_info; i++) {
    Onnx__ValueInfoProto *vi = gp->value_info[i];
    if (vi->name && oq_strmap_get(&live, vi->name) >= 0) vis[nv++] = vi;
  }
  ng->node = (Onnx__NodeProto **)e->nodes.items;
  ng->n_node = e->nodes.n;
  ng->initializer = inits;
  ng->n_initializer = ni;
  ng->value_info = vis;
  ng->n_value_info = nv;
  nm->graph = ng;
  int64_t target = e->p->opset_to;
  int found = 0;
  size_t nops = 0;
  for (size_t i = 0; i < mp->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *op = mp->opset_import[i];
    int is_default = !op->domain || !op->domain[0] || !strcmp(op->domain, "ai.onnx");
    if (is_default && !found) {
      found = 1;
      *def = *op;
      def->has_version = 1;
      if (!op->has_version || op->version < target) def->version = target;
      ops[nops++] = def;
    } else {
      ops[nops++] = (Onnx__OperatorSetIdProto *)op;
    }
  }
  if (!found) {
    onnx__operator_set_id_proto__init(def);
    def->domain = "";
    def->has_version = 1;
    def->version = target;
    ops[nops++] = def;
  }
  nm->opset_import = ops;
  nm->n_opset_import = nops;
  if (nm->has_ir_version && nm->ir_version < e->p->ir_version_min) nm->ir_version = e->p->ir_version_min;
  *out = nm;
fail:
  oq_strmap_free(&live);
  return st;
}

oq_status oq_quant_emit(const oq_model *model, const oq_qplan *plan, oq_edit *ed, Onnx__ModelProto **out,
                        oq_error *err) {
  oq_status st = OQ_OK;
  emitter e;
  memset(&e, 0, sizeof e);
  if (!model || !plan || !ed || !out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_quant_emit: NULL argument");
  *out = NULL;
  e.model = model;
  e.g = &model->graph;
  e.p = plan;
  e.ed = ed;
  size_t nr = plan->n_recs > 0 ? (size_t)plan->n_recs : 1, nslots;
  if (!oq_size_mul(nr, QN_COUNT, &nslots)) return OQ_ERR_NOMEM;
  e.names = oq_edit_alloc(ed, nslots, sizeof *e.names, err);
  e.dq = oq_edit_alloc(ed, nr, sizeof *e.dq, err);
  e.emitted = oq_edit_alloc(ed, nr, 1, err);
  if (!e.names || !e.dq || !e.emitted) return OQ_ERR_NOMEM;
  /* generated names must not take any value name of the model */
  for (int32_t v = 0; v < e.g->n_values; v++) OQ_CHECK(oq_edit_reserve(ed, e.g->values[v].name, err));
  OQ_CHECK(make_initializers(&e, err));
  OQ_CHECK(build_nodes(&e, err));
  OQ_CHECK(build_model(&e, out, err));
fail:
  return st;
}

oq_status oq_quant_emit_provenance(oq_edit *ed, Onnx__ModelProto *mp, const char *const *kv, size_t n_kv,
                                   oq_error *err) {
  size_t keep = 0;
  /* earlier onnxq.* entries (a requantized model) are replaced, everything else is kept */
  for (size_t i = 0; i < mp->n_metadata_props; i++)
    if (!mp->metadata_props[i]->key || strncmp(mp->metadata_props[i]->key, "onnxq.", 6) != 0) keep++;
  size_t total;
  if (!oq_size_add(keep, n_kv, &total)) return OQ_ERR_NOMEM;
  Onnx__StringStringEntryProto **props = oq_edit_alloc(ed, total ? total : 1, sizeof *props, err);
  Onnx__StringStringEntryProto *ents = oq_edit_alloc(ed, n_kv ? n_kv : 1, sizeof *ents, err);
  if (!props || !ents) return OQ_ERR_NOMEM;
  size_t k = 0;
  for (size_t i = 0; i < mp->n_metadata_props; i++)
    if (!mp->metadata_props[i]->key || strncmp(mp->metadata_props[i]->key, "onnxq.", 6) != 0)
      props[k++] = mp->metadata_props[i];
  for (size_t i = 0; i < n_kv; i++) {
    onnx__string_string_entry_proto__init(&ents[i]);
    ents[i].key = (char *)kv[2 * i];
    ents[i].value = (char *)kv[2 * i + 1];
    props[k++] = &ents[i];
  }
  mp->metadata_props = props;
  mp->n_metadata_props = k;
  mp->producer_name = "onnxq";
  mp->producer_version = (char *)oq_version();
  return OQ_OK;
}
