/* Preparation entry (oq_prep_model) and the node/initializer helpers the passes share. */
#include "prep/prep.h"

#include "core/alloc.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The first layout of oq_prepare_options. */
#define PREPARE_OPTIONS_SIZE_V1 (offsetof(oq_prepare_options, fold) + sizeof(int32_t))

void oq_prepare_options_init(oq_prepare_options *opts) {
  if (!opts) return;
  memset(opts, 0, sizeof *opts);
  opts->size = sizeof *opts;
  opts->fold = 1;
}

oq_status oq_model_prepare(const oq_model *model, const oq_prepare_options *opts, oq_model **out, oq_error *err) {
  oq_prepare_options o;
  oq_prep_options po;
  if (err) oq_error_clear(err);
  if (!out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_model_prepare: out is NULL");
  *out = NULL;
  if (!model) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_model_prepare: model is NULL");
  oq_prepare_options_init(&o);
  if (opts) {
    oq_status st = oq_options_take(&o, sizeof o, PREPARE_OPTIONS_SIZE_V1, opts, "oq_model_prepare", err);
    if (st != OQ_OK) return st;
  }
  oq_prep_options_init(&po);
  po.opset = o.opset;
  po.fold = o.fold != 0;
  return oq_prep_model(model, &po, out, err);
}

void oq_prep_options_init(oq_prep_options *opts) {
  if (!opts) return;
  memset(opts, 0, sizeof *opts);
  opts->fold = 1;
  opts->fold_max_bytes = (size_t)16 << 20;
}

/* ---- names ------------------------------------------------------------------------------------------------ */

oq_status oq_prep_fresh_name(prep_ctx *c, const char *base, const char *tag, const char **out, oq_error *err) {
  char suffix[64];
  if (!base || !base[0]) base = "prep";
  for (uint32_t k = 0;; k++) {
    if (k == 0)
      snprintf(suffix, sizeof suffix, "%s", tag);
    else
      snprintf(suffix, sizeof suffix, "%s_%u", tag, (unsigned)k);
    oq_status st = oq_edit_name(c->ed, base, suffix, 1, out, err);
    if (st == OQ_OK) return OQ_OK;
    if (st != OQ_ERR_UNSUPPORTED || k > 100000) return st;
    if (err) oq_error_clear(err);
  }
}

/* ---- nodes ------------------------------------------------------------------------------------------------ */

static void *dup_array(prep_ctx *c, void *const *a, size_t n, size_t extra, oq_error *err) {
  void **p = oq_edit_alloc(c->ed, n + extra, sizeof *p, err);
  if (p && n) memcpy(p, a, n * sizeof *p);
  return p;
}

Onnx__NodeProto *oq_prep_node_copy(prep_ctx *c, const Onnx__NodeProto *np, oq_error *err) {
  Onnx__NodeProto *n = oq_edit_dup(c->ed, np, sizeof *np, err);
  if (!n) return NULL;
  n->input = dup_array(c, (void *const *)np->input, np->n_input, 0, err);
  n->output = dup_array(c, (void *const *)np->output, np->n_output, 0, err);
  n->attribute = dup_array(c, (void *const *)np->attribute, np->n_attribute, 0, err);
  if (!n->input || !n->output || !n->attribute) return NULL;
  return n;
}

Onnx__NodeProto *oq_prep_node_new(prep_ctx *c, const char *op_type, const char *base, const char *const *inputs,
                                  size_t n_inputs, size_t n_outputs, oq_error *err) {
  const char *outs[8], *name;
  if (n_outputs > 8) return NULL;
  if (oq_prep_fresh_name(c, base, "_prep", &name, err) != OQ_OK) return NULL;
  for (size_t i = 0; i < n_outputs; i++)
    if (oq_prep_fresh_name(c, name, n_outputs > 1 ? "_out" : "_output", &outs[i], err) != OQ_OK) return NULL;
  return oq_edit_node(c->ed, op_type, name, inputs, n_inputs, outs, n_outputs, err);
}

const Onnx__AttributeProto *oq_prep_attr(const Onnx__NodeProto *n, const char *name) {
  for (size_t i = 0; i < n->n_attribute; i++)
    if (n->attribute[i] && n->attribute[i]->name && !strcmp(n->attribute[i]->name, name)) return n->attribute[i];
  return NULL;
}

void oq_prep_attr_del(Onnx__NodeProto *n, const char *name) {
  size_t k = 0;
  for (size_t i = 0; i < n->n_attribute; i++)
    if (!(n->attribute[i] && n->attribute[i]->name && !strcmp(n->attribute[i]->name, name)))
      n->attribute[k++] = n->attribute[i];
  n->n_attribute = k;
}

/* Replaces (or appends) attribute a->name. */
static oq_status attr_put(prep_ctx *c, Onnx__NodeProto *n, Onnx__AttributeProto *a, oq_error *err) {
  oq_prep_attr_del(n, a->name);
  Onnx__AttributeProto **aa = dup_array(c, (void *const *)n->attribute, n->n_attribute, 1, err);
  if (!aa) return OQ_ERR_NOMEM;
  aa[n->n_attribute] = a;
  n->attribute = aa;
  n->n_attribute++;
  return OQ_OK;
}

static Onnx__AttributeProto *attr_new(prep_ctx *c, const char *name, Onnx__AttributeProto__AttributeType type,
                                      oq_error *err) {
  Onnx__AttributeProto *a = oq_edit_alloc(c->ed, 1, sizeof *a, err);
  if (!a) return NULL;
  onnx__attribute_proto__init(a);
  a->name = (char *)name;
  a->has_type = 1;
  a->type = type;
  return a;
}

oq_status oq_prep_attr_int(prep_ctx *c, Onnx__NodeProto *n, const char *name, int64_t v, oq_error *err) {
  Onnx__AttributeProto *a = attr_new(c, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, err);
  if (!a) return OQ_ERR_NOMEM;
  a->has_i = 1;
  a->i = v;
  return attr_put(c, n, a, err);
}

oq_status oq_prep_attr_float(prep_ctx *c, Onnx__NodeProto *n, const char *name, float v, oq_error *err) {
  Onnx__AttributeProto *a = attr_new(c, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, err);
  if (!a) return OQ_ERR_NOMEM;
  a->has_f = 1;
  a->f = v;
  return attr_put(c, n, a, err);
}

oq_status oq_prep_attr_string(prep_ctx *c, Onnx__NodeProto *n, const char *name, const char *v, oq_error *err) {
  Onnx__AttributeProto *a = attr_new(c, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING, err);
  if (!a) return OQ_ERR_NOMEM;
  a->has_s = 1;
  a->s.data = (uint8_t *)v;
  a->s.len = strlen(v);
  return attr_put(c, n, a, err);
}

oq_status oq_prep_attr_ints(prep_ctx *c, Onnx__NodeProto *n, const char *name, const int64_t *v, size_t count,
                            oq_error *err) {
  Onnx__AttributeProto *a = attr_new(c, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, err);
  if (!a) return OQ_ERR_NOMEM;
  a->ints = oq_edit_dup(c->ed, v, count * sizeof *v, err);
  if (!a->ints) return OQ_ERR_NOMEM;
  a->n_ints = count;
  return attr_put(c, n, a, err);
}

oq_status oq_prep_attr_floats(prep_ctx *c, Onnx__NodeProto *n, const char *name, const float *v, size_t count,
                              oq_error *err) {
  Onnx__AttributeProto *a = attr_new(c, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS, err);
  if (!a) return OQ_ERR_NOMEM;
  a->floats = oq_edit_dup(c->ed, v, count * sizeof *v, err);
  if (!a->floats) return OQ_ERR_NOMEM;
  a->n_floats = count;
  return attr_put(c, n, a, err);
}

oq_status oq_prep_set_input(prep_ctx *c, Onnx__NodeProto *n, size_t i, const char *name, oq_error *err) {
  if (i >= n->n_input) {
    char **ins = dup_array(c, (void *const *)n->input, n->n_input, i + 1 - n->n_input, err);
    if (!ins) return OQ_ERR_NOMEM;
    for (size_t k = n->n_input; k < i; k++) ins[k] = "";
    n->input = ins;
    n->n_input = i + 1;
  }
  n->input[i] = (char *)name;
  return OQ_OK;
}

oq_status oq_prep_init(prep_ctx *c, prep_graph *g, const char *base, const char *tag, int32_t dtype, int32_t ndim,
                       const int64_t *dims, const void *data, size_t count, size_t esize, const char **name,
                       oq_error *err) {
  oq_status st = oq_prep_fresh_name(c, base, tag, name, err);
  if (st != OQ_OK) return st;
  Onnx__TensorProto *t = oq_edit_tensor(c->ed, *name, dtype, ndim, dims, data, count, esize, err);
  if (!t) return OQ_ERR_NOMEM;
  return oq_edit_list_push(c->ed, &g->inits, t, err);
}

int oq_prep_used(const prep_ctx *c, const char *name) {
  return name && name[0] && oq_strmap_get((oq_strmap *)&c->used, name) >= 0;
}

/* ---- whole model ------------------------------------------------------------------------------------------ */

/* Every name of gp and its subgraphs: reserved for generated names; read ones also go into c->used. */
static oq_status collect_names(prep_ctx *c, const Onnx__GraphProto *gp, int depth, oq_error *err) {
  oq_status st = OQ_OK;
  if (depth > OQ_GRAPH_MAX_DEPTH) return OQ_OK; /* the index refused it already */
  for (size_t i = 0; i < gp->n_input; i++) OQ_CHECK(oq_edit_reserve(c->ed, gp->input[i]->name, err));
  for (size_t i = 0; i < gp->n_output; i++) {
    OQ_CHECK(oq_edit_reserve(c->ed, gp->output[i]->name, err));
    if (gp->output[i]->name) OQ_CHECK(oq_strmap_put(&c->used, gp->output[i]->name, 1, err));
  }
  for (size_t i = 0; i < gp->n_initializer; i++) OQ_CHECK(oq_edit_reserve(c->ed, gp->initializer[i]->name, err));
  for (size_t i = 0; i < gp->n_node; i++) {
    const Onnx__NodeProto *n = gp->node[i];
    OQ_CHECK(oq_edit_reserve(c->ed, n->name, err));
    for (size_t k = 0; k < n->n_input; k++) {
      OQ_CHECK(oq_edit_reserve(c->ed, n->input[k], err));
      if (n->input[k] && n->input[k][0]) OQ_CHECK(oq_strmap_put(&c->used, n->input[k], 1, err));
      if (depth > 0 && n->input[k] && n->input[k][0]) OQ_CHECK(oq_strmap_put(&c->sub_used, n->input[k], 1, err));
    }
    for (size_t k = 0; k < n->n_output; k++) OQ_CHECK(oq_edit_reserve(c->ed, n->output[k], err));
    for (size_t a = 0; a < n->n_attribute; a++) {
      const Onnx__AttributeProto *at = n->attribute[a];
      if (at->g) OQ_CHECK(collect_names(c, at->g, depth + 1, err));
      for (size_t k = 0; k < at->n_graphs; k++) OQ_CHECK(collect_names(c, at->graphs[k], depth + 1, err));
    }
  }
fail:
  return st;
}

static int present(const oq_strmap *m, const char *name) { return name && oq_strmap_get((oq_strmap *)m, name) >= 0; }

oq_status oq_prep_graph_proto(prep_ctx *c, const prep_graph *g, Onnx__GraphProto **out, oq_error *err) {
  oq_status st = OQ_OK;
  const Onnx__GraphProto *gp = g->orig;
  oq_strmap live = {0};
  Onnx__GraphProto *ng = oq_edit_dup(c->ed, gp, sizeof *gp, err);
  Onnx__ValueInfoProto **vis = oq_edit_alloc(c->ed, gp->n_value_info, sizeof *vis, err);
  if (!ng || !vis) return OQ_ERR_NOMEM;
  OQ_CHECK(oq_strmap_init(&live, g->nodes.n * 2 + 16, err));
  for (size_t i = 0; i < g->nodes.n; i++) {
    const Onnx__NodeProto *n = g->nodes.items[i];
    for (size_t k = 0; k < n->n_output; k++)
      if (n->output[k] && n->output[k][0]) OQ_CHECK(oq_strmap_put(&live, n->output[k], 1, err));
  }
  size_t nv = 0;
  for (size_t i = 0; i < gp->n_value_info; i++)
    if (present(&live, gp->value_info[i]->name)) vis[nv++] = gp->value_info[i];
  ng->node = (Onnx__NodeProto **)g->nodes.items;
  ng->n_node = g->nodes.n;
  ng->initializer = (Onnx__TensorProto **)g->inits.items;
  ng->n_initializer = g->inits.n;
  ng->value_info = vis;
  ng->n_value_info = nv;
  *out = ng;
fail:
  oq_strmap_free(&live);
  return st;
}

/* The IR version a default-domain opset needs (onnx/helper.py's table: opset 12..14 -> 7, 15..18 -> 8, 19..20 -> 9,
 * 21 -> 10). */
static int64_t ir_for_opset(int64_t opset) {
  if (opset >= 21) return 10;
  if (opset >= 19) return 9;
  if (opset >= 15) return 8;
  if (opset >= 12) return 7;
  if (opset == 11) return 6;
  if (opset == 10) return 5;
  if (opset == 9) return 4;
  return 3;
}

static oq_status run_passes(prep_ctx *c, prep_graph *g, oq_error *err) {
  oq_status st = OQ_OK;
  if (c->to > c->from)
    OQ_CHECK(oq_prep_convert_graph(c, g, err));
  else {
    for (size_t i = 0; i < g->orig->n_node; i++) {
      Onnx__NodeProto *n = oq_prep_node_copy(c, g->orig->node[i], err);
      if (!n) return OQ_ERR_NOMEM;
      OQ_CHECK(oq_edit_list_push(c->ed, &g->nodes, n, err));
    }
  }
  OQ_CHECK(oq_prep_constants_to_inits(c, g, err));
  if (c->opts.fold) {
    OQ_CHECK(oq_prep_remove_identity(c, g, err));
    OQ_CHECK(oq_prep_fold_constants(c, g, err));
    OQ_CHECK(oq_prep_fold_bn(c, g, err));
    OQ_CHECK(oq_prep_prune(c, g, err));
  }
fail:
  return st;
}

oq_status oq_prep_model(const oq_model *in, const oq_prep_options *opts, oq_model **out, oq_error *err) {
  oq_status st = OQ_OK;
  prep_ctx c;
  memset(&c, 0, sizeof c);
  if (!in || !out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_prep_model: NULL argument");
  *out = NULL;
  if (opts)
    c.opts = *opts;
  else
    oq_prep_options_init(&c.opts);
  const Onnx__ModelProto *mp = in->proto;
  if (!mp->graph) OQ_RETURN_ERR(err, OQ_ERR_MODEL, "model has no graph");
  c.model = in;
  c.from = oq_model_opset(in, "");
  if (c.opts.opset < 0 || c.opts.opset > OQ_PREP_MAX_OPSET)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "opset %lld is outside the converter's range 1..%d", (long long)c.opts.opset,
                  OQ_PREP_MAX_OPSET);
  c.to = c.from;
  if (c.opts.opset > c.to) c.to = c.opts.opset;
  if (c.from < 0) c.from = c.to; /* no default-domain import: nothing to convert */
  if (c.to > c.from && c.from < 1)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "default-domain opset %lld cannot be converted", (long long)c.from);
  OQ_CHECK(oq_edit_create((size_t)in->graph.n_values * 2 + 64, &c.ed, err));
  OQ_CHECK(oq_strmap_init(&c.used, (size_t)in->graph.n_values + 16, err));
  OQ_CHECK(oq_strmap_init(&c.sub_used, 16, err));
  OQ_CHECK(collect_names(&c, mp->graph, 0, err));

  prep_graph g;
  memset(&g, 0, sizeof g);
  g.orig = mp->graph;
  g.index = &in->graph;
  for (size_t i = 0; i < mp->graph->n_initializer; i++)
    OQ_CHECK(oq_edit_list_push(c.ed, &g.inits, mp->graph->initializer[i], err));
  OQ_CHECK(run_passes(&c, &g, err));

  Onnx__GraphProto *ng;
  OQ_CHECK(oq_prep_graph_proto(&c, &g, &ng, err));
  Onnx__ModelProto *nm = oq_edit_dup(c.ed, mp, sizeof *mp, err);
  if (!nm) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
  nm->graph = ng;
  if (c.to != oq_model_opset(in, "")) {
    Onnx__OperatorSetIdProto **ops = oq_edit_alloc(c.ed, mp->n_opset_import + 1, sizeof *ops, err);
    Onnx__OperatorSetIdProto *def = oq_edit_alloc(c.ed, 1, sizeof *def, err);
    if (!ops || !def) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
    size_t nops = 0;
    int found = 0;
    for (size_t i = 0; i < mp->n_opset_import; i++) {
      const Onnx__OperatorSetIdProto *op = mp->opset_import[i];
      int is_default = !op->domain || !op->domain[0] || !strcmp(op->domain, "ai.onnx");
      if (is_default && !found) {
        found = 1;
        *def = *op;
        def->has_version = 1;
        def->version = c.to;
        ops[nops++] = def;
      } else if (!is_default) {
        ops[nops++] = (Onnx__OperatorSetIdProto *)op;
      }
    }
    if (!found) {
      onnx__operator_set_id_proto__init(def);
      def->domain = "";
      def->has_version = 1;
      def->version = c.to;
      ops[nops++] = def;
    }
    nm->opset_import = ops;
    nm->n_opset_import = nops;
    if (!nm->has_ir_version || nm->ir_version < ir_for_opset(c.to)) {
      nm->has_ir_version = 1;
      nm->ir_version = ir_for_opset(c.to);
    }
  }
  oq_strmap_free(&c.used);
  oq_strmap_free(&c.sub_used);
  st = oq_model_wrap_built(nm, c.ed, in, out, err); /* owns ed from here, also on failure */
  c.ed = NULL;
  return st;
fail:
  oq_strmap_free(&c.used);
  oq_strmap_free(&c.sub_used);
  oq_edit_free(c.ed);
  return st;
}
