/* Graph index: values (graph inputs, initializers, node outputs, outer references) with producer/consumer maps,
 * dtype/shape from the proto's type information, opsets per domain, a stable topological order, and the indexes
 * of subgraphs (scopes, see graph.h). Everything is borrowed from the ModelProto; only the index arrays are owned. */
#include "model/graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "" and "ai.onnx" name the same default domain. */
static const char *norm_domain(const char *d) {
  if (!d || strcmp(d, "ai.onnx") == 0) return "";
  return d;
}

static const char *str_or(const char *s, const char *dflt) { return (s && s[0]) ? s : dflt; }

/* "'name'" or "#index" for messages about a node that may be unnamed. */
static const char *node_label(const Onnx__NodeProto *n, int32_t idx, char *buf, size_t cap) {
  if (n->name && n->name[0])
    snprintf(buf, cap, "'%s'", n->name);
  else
    snprintf(buf, cap, "#%d", (int)idx);
  return buf;
}

/* Fills what v does not know yet (dtype, shape) from a ValueInfoProto. Non-tensor types (sequence, map,
 * optional) leave the value untyped. */
static oq_status apply_type(oq_value *v, const Onnx__ValueInfoProto *vi, oq_error *err) {
  if (!vi) return OQ_OK;
  if (!v->vi) v->vi = vi;
  const Onnx__TypeProto *tp = vi->type;
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type) return OQ_OK;
  const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
  if (v->dtype == OQ_DTYPE_UNDEFINED && tt->has_elem_type) v->dtype = tt->elem_type;
  if (v->ndim >= 0 || !tt->shape) return OQ_OK; /* known already, or rank unknown here */
  if (tt->shape->n_dim > OQ_MAX_DIMS)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "value '%s' has rank %zu, more than the supported %d", v->name,
                  tt->shape->n_dim, OQ_MAX_DIMS);
  v->ndim = (int32_t)tt->shape->n_dim;
  for (int32_t i = 0; i < v->ndim; i++) {
    const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
    v->dims[i].value = -1;
    v->dims[i].param = NULL;
    if (!d) continue;
    if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE && d->dim_value >= 0)
      v->dims[i].value = d->dim_value;
    else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM && d->dim_param && d->dim_param[0])
      v->dims[i].param = d->dim_param;
  }
  return OQ_OK;
}

static oq_value *new_value(oq_graph *g, const char *name, oq_value_kind kind) {
  oq_value *v = &g->values[g->n_values++];
  v->name = name;
  v->kind = kind;
  v->dtype = OQ_DTYPE_UNDEFINED;
  v->ndim = -1;
  v->producer = -1;
  v->outer_id = -1;
  return v;
}

/* Ready-node min-heap on node index: Kahn's algorithm that always takes the earliest ready node keeps the file
 * order whenever it is already topological. */
static void heap_push(int32_t *h, int32_t *n, int32_t x) {
  int32_t i = (*n)++;
  while (i > 0) {
    int32_t p = (i - 1) / 2;
    if (h[p] <= x) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = x;
}

static int32_t heap_pop(int32_t *h, int32_t *n) {
  int32_t top = h[0], x = h[--(*n)], i = 0;
  for (;;) {
    int32_t c = 2 * i + 1;
    if (c >= *n) break;
    if (c + 1 < *n && h[c + 1] < h[c]) c++;
    if (x <= h[c]) break;
    h[i] = h[c];
    i = c;
  }
  if (*n > 0) h[i] = x;
  return top;
}

static oq_status topo_sort(oq_graph *g, oq_error *err) {
  oq_status st = OQ_OK;
  int32_t *indeg = NULL, *heap = NULL, *mark = NULL;
  int32_t n = g->n_nodes, n_heap = 0, done = 0;
  g->topo = oq_calloc((size_t)n, sizeof *g->topo, err);
  indeg = oq_calloc((size_t)n, sizeof *indeg, err);
  heap = oq_calloc((size_t)n, sizeof *heap, err);
  if (!g->topo || !indeg || !heap) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory sorting the graph");
  for (int32_t i = 0; i < n; i++) {
    const oq_node *nd = &g->nodes[i];
    for (int32_t k = 0; k < nd->n_inputs; k++)
      if (nd->inputs[k] >= 0 && g->values[nd->inputs[k]].producer >= 0) indeg[i]++;
    for (int32_t k = 0; k < nd->n_implicit; k++)
      if (g->values[nd->implicit[k]].producer >= 0) indeg[i]++;
  }
  for (int32_t i = 0; i < n; i++)
    if (indeg[i] == 0) heap_push(heap, &n_heap, i);
  while (n_heap > 0) {
    int32_t i = heap_pop(heap, &n_heap);
    g->topo[done++] = i;
    const oq_node *nd = &g->nodes[i];
    for (int32_t k = 0; k < nd->n_outputs; k++) {
      if (nd->outputs[k] < 0) continue;
      const oq_value *v = &g->values[nd->outputs[k]];
      for (int32_t c = 0; c < v->n_consumers; c++)
        if (--indeg[v->consumers[c]] == 0) heap_push(heap, &n_heap, v->consumers[c]);
    }
  }
  if (done < n) {
    /* Walk up from the first unsorted node through unsorted producers; the first node seen twice lies on the
     * cycle (not merely downstream of it). */
    mark = oq_calloc((size_t)n, sizeof *mark, err);
    if (!mark) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory sorting the graph");
    int32_t cur = -1;
    for (int32_t i = 0; i < n && cur < 0; i++)
      if (indeg[i] > 0) cur = i;
    while (cur >= 0 && !mark[cur]) {
      mark[cur] = 1;
      const oq_node *nd = &g->nodes[cur];
      int32_t next = -1;
      for (int32_t k = 0; k < nd->n_inputs + nd->n_implicit && next < 0; k++) {
        int32_t in = k < nd->n_inputs ? nd->inputs[k] : nd->implicit[k - nd->n_inputs];
        if (in < 0) continue;
        int32_t p = g->values[in].producer;
        if (p >= 0 && indeg[p] > 0) next = p;
      }
      if (next < 0) break; /* cannot happen: an unsorted node has an unsorted producer */
      cur = next;
    }
    char lb[300];
    const Onnx__NodeProto *np = g->nodes[cur].proto;
    OQ_FAIL(err, OQ_ERR_MODEL, "graph has a cycle through node %s (%s)", node_label(np, cur, lb, sizeof lb),
            str_or(np->op_type, "?"));
  }
fail:
  free(indeg);
  free(heap);
  free(mark);
  return st;
}

/* Build state of one scope that the index does not keep: capacities of the growable arrays. */
typedef struct scope_build {
  size_t values_cap; /* entries allocated in g->values */
  size_t outer_cap;  /* entries allocated in g->outer */
} scope_build;

static oq_status build_scope(const Onnx__GraphProto *gp, const oq_opset *opsets, int32_t n_opsets,
                             const oq_graph *parent, oq_graph *g, oq_error *err);

/* g's OQ_VALUE_OUTER value for name, living as id in scope (an ancestor of g); reused when g has one already. */
static oq_status add_outer(oq_graph *g, scope_build *b, const char *name, const oq_graph *scope, int32_t id,
                           int32_t *out, oq_error *err) {
  int32_t have = oq_graph_find(g, name);
  if (have >= 0) {
    *out = have;
    return OQ_OK;
  }
  if ((size_t)g->n_values == b->values_cap) {
    size_t cap = b->values_cap ? b->values_cap * 2 : 8;
    if (cap > INT32_MAX / 2) OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "graph has too many values (%zu)", cap);
    oq_value *nv = oq_calloc(cap, sizeof *nv, err);
    if (!nv) return OQ_ERR_NOMEM;
    if (g->n_values) memcpy(nv, g->values, (size_t)g->n_values * sizeof *nv);
    free(g->values);
    g->values = nv;
    b->values_cap = cap;
  }
  if ((size_t)g->n_outer == b->outer_cap) {
    size_t cap = b->outer_cap ? b->outer_cap * 2 : 8;
    int32_t *no = oq_calloc(cap, sizeof *no, err);
    if (!no) return OQ_ERR_NOMEM;
    if (g->n_outer) memcpy(no, g->outer, (size_t)g->n_outer * sizeof *no);
    free(g->outer);
    g->outer = no;
    b->outer_cap = cap;
  }
  int32_t vid = g->n_values;
  oq_value *v = new_value(g, name, OQ_VALUE_OUTER);
  const oq_value *src = &scope->values[id];
  v->outer_scope = scope;
  v->outer_id = id;
  v->dtype = src->dtype; /* what the enclosing scope knows; the subgraph's value_info may add to it */
  v->ndim = src->ndim;
  memcpy(v->dims, src->dims, sizeof v->dims);
  oq_status st = oq_strmap_put(&g->by_name, v->name, vid, err);
  if (st != OQ_OK) return st;
  g->outer[g->n_outer++] = vid;
  *out = vid;
  return OQ_OK;
}

/* Id of name in g: defined here, or an outer reference (added on first use). -1 when no scope defines it. */
static oq_status resolve_name(oq_graph *g, scope_build *b, const char *name, int32_t *out, oq_error *err) {
  *out = oq_graph_find(g, name);
  if (*out >= 0 || !g->parent) return OQ_OK;
  int32_t id;
  const oq_graph *scope = oq_graph_resolve(g->parent, name, &id);
  if (!scope) return OQ_OK;
  return add_outer(g, b, name, scope, id, out, err);
}

static int is_graph_attr(const Onnx__AttributeProto *a) {
  if (!a) return 0;
  Onnx__AttributeProto__AttributeType t = oq_attr_type(a);
  return (t == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH && a->g) ||
         (t == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS && a->n_graphs > 0);
}

/* Indexes the subgraphs of node n of g, then makes every outer reference of theirs point into g: a name g does not
 * define itself becomes an outer reference of g too. */
static oq_status build_subgraphs(oq_graph *g, scope_build *b, int32_t n, oq_error *err) {
  oq_status st = OQ_OK;
  char lb[300];
  const Onnx__NodeProto *np = g->nodes[n].proto;
  oq_node *nd = &g->nodes[n];
  size_t count = 0;
  for (size_t i = 0; i < np->n_attribute; i++) {
    const Onnx__AttributeProto *a = np->attribute[i];
    if (!is_graph_attr(a)) continue;
    size_t k = oq_attr_type(a) == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH ? 1 : a->n_graphs;
    if (!oq_size_add(count, k, &count) || count > INT32_MAX / 2)
      OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "node %s (%s) has too many subgraphs", node_label(np, n, lb, sizeof lb),
              str_or(np->op_type, "?"));
  }
  if (count == 0) return OQ_OK;
  if (g->depth + 1 > OQ_GRAPH_MAX_DEPTH)
    OQ_FAIL(err, OQ_ERR_MODEL, "subgraphs nested deeper than %d levels", OQ_GRAPH_MAX_DEPTH);
  nd->subgraphs = oq_calloc(count, sizeof *nd->subgraphs, err);
  if (!nd->subgraphs) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory indexing subgraphs");
  for (size_t i = 0; i < np->n_attribute; i++) {
    const Onnx__AttributeProto *a = np->attribute[i];
    if (!is_graph_attr(a)) continue;
    int list = oq_attr_type(a) == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS;
    size_t k_n = list ? a->n_graphs : 1;
    for (size_t k = 0; k < k_n; k++) {
      const Onnx__GraphProto *sub = list ? a->graphs[k] : a->g;
      oq_subgraph *sg = &nd->subgraphs[nd->n_subgraphs++];
      sg->attr = str_or(a->name, "");
      sg->item = list ? (int32_t)k : -1;
      sg->graph = oq_calloc(1, sizeof *sg->graph, err);
      if (!sg->graph) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory indexing subgraphs");
      st = sub ? build_scope(sub, g->opsets, g->n_opsets, g, sg->graph, err)
               : oq_error_set(err, OQ_ERR_MODEL, __FILE__, __LINE__, "subgraph is empty");
      if (st != OQ_OK && g->depth < OQ_GRAPH_NAMED_DEPTH) {
        if (list)
          oq_error_prefix(err, "node %s (%s) attribute '%s'[%zu]", node_label(np, n, lb, sizeof lb),
                          str_or(np->op_type, "?"), sg->attr, k);
        else
          oq_error_prefix(err, "node %s (%s) attribute '%s'", node_label(np, n, lb, sizeof lb),
                          str_or(np->op_type, "?"), sg->attr);
      }
      if (st != OQ_OK) goto fail;
      oq_graph *c = sg->graph;
      for (int32_t j = 0; j < c->n_outer; j++) {
        oq_value *v = &c->values[c->outer[j]];
        if (v->outer_scope == g) continue;
        int32_t id;
        OQ_CHECK(add_outer(g, b, v->name, v->outer_scope, v->outer_id, &id, err));
        v->outer_scope = g;
        v->outer_id = id;
      }
    }
  }
fail:
  return st;
}

/* Fills every node's implicit inputs from its subgraphs' outer references (all pointing into g by now). */
static oq_status collect_implicit(oq_graph *g, oq_error *err) {
  oq_status st = OQ_OK;
  int32_t *stamp = NULL; /* per value: 1 + the last node that listed it */
  for (int32_t n = 0; n < g->n_nodes; n++) {
    oq_node *nd = &g->nodes[n];
    size_t total = 0;
    for (int32_t k = 0; k < nd->n_subgraphs; k++) total += (size_t)nd->subgraphs[k].graph->n_outer;
    if (total == 0) continue;
    if (!stamp) {
      stamp = oq_calloc((size_t)g->n_values, sizeof *stamp, err);
      if (!stamp) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory indexing subgraphs");
    }
    nd->implicit = oq_calloc(total, sizeof *nd->implicit, err);
    if (!nd->implicit) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory indexing subgraphs");
    for (int32_t k = 0; k < nd->n_subgraphs; k++) {
      const oq_graph *c = nd->subgraphs[k].graph;
      for (int32_t j = 0; j < c->n_outer; j++) {
        int32_t v = c->values[c->outer[j]].outer_id;
        if (stamp[v] == n + 1) continue;
        stamp[v] = n + 1;
        nd->implicit[nd->n_implicit++] = v;
        g->values[v].n_consumers++;
      }
    }
  }
fail:
  free(stamp);
  return st;
}

static oq_status build_scope(const Onnx__GraphProto *gp, const oq_opset *opsets, int32_t n_opsets,
                             const oq_graph *parent, oq_graph *g, oq_error *err) {
  oq_status st = OQ_OK;
  scope_build b = {0, 0};
  char lb[300];
  memset(g, 0, sizeof *g);
  if (!gp) OQ_FAIL(err, OQ_ERR_MODEL, "model has no graph");
  if (n_opsets < 0 || (n_opsets > 0 && !opsets)) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "oq_graph_build: bad opsets");
  g->proto = gp;
  g->parent = parent;
  g->depth = parent ? parent->depth + 1 : 0;

  /* opsets: the caller's list, copied */
  g->opsets = oq_calloc((size_t)n_opsets, sizeof *g->opsets, err);
  if (!g->opsets) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory indexing opsets");
  if (n_opsets > 0) memcpy(g->opsets, opsets, (size_t)n_opsets * sizeof *g->opsets);
  g->n_opsets = n_opsets;

  /* sizes: every value is a graph input, an initializer or a node output (outer references grow the array) */
  if (gp->n_node > INT32_MAX / 2) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "graph has too many nodes (%zu)", gp->n_node);
  size_t cap = gp->n_input;
  if (!oq_size_add(cap, gp->n_initializer, &cap)) OQ_FAIL(err, OQ_ERR_NOMEM, "graph too large");
  for (size_t i = 0; i < gp->n_node; i++) {
    if (!gp->node[i]) OQ_FAIL(err, OQ_ERR_PARSE, "node #%zu is empty", i);
    if (gp->node[i]->n_input > INT32_MAX / 2 || gp->node[i]->n_output > INT32_MAX / 2)
      OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "node #%zu has too many inputs or outputs", i);
    if (!oq_size_add(cap, gp->node[i]->n_output, &cap)) OQ_FAIL(err, OQ_ERR_NOMEM, "graph too large");
  }
  if (cap > INT32_MAX / 2) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "graph has too many values (%zu)", cap);
  g->values = oq_calloc(cap, sizeof *g->values, err);
  g->nodes = oq_calloc(gp->n_node, sizeof *g->nodes, err);
  g->inputs = oq_calloc(gp->n_input, sizeof *g->inputs, err);
  g->outputs = oq_calloc(gp->n_output, sizeof *g->outputs, err);
  if (!g->values || !g->nodes || !g->inputs || !g->outputs) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory indexing");
  b.values_cap = cap; /* entries (for cap 0 oq_calloc returns a 1-byte block, which holds none) */
  OQ_CHECK(oq_strmap_init(&g->by_name, cap, err));
  g->n_nodes = (int32_t)gp->n_node;

  /* initializers */
  for (size_t i = 0; i < gp->n_initializer; i++) {
    const Onnx__TensorProto *tp = gp->initializer[i];
    if (!tp || !tp->name || !tp->name[0]) OQ_FAIL(err, OQ_ERR_MODEL, "initializer #%zu has no name", i);
    if (oq_graph_find(g, tp->name) >= 0) OQ_FAIL(err, OQ_ERR_MODEL, "initializer '%s' is listed twice", tp->name);
    if (tp->n_dims > OQ_MAX_DIMS)
      OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "initializer '%s' has rank %zu, more than the supported %d", tp->name,
              tp->n_dims, OQ_MAX_DIMS);
    int32_t id = g->n_values;
    oq_value *v = new_value(g, tp->name, OQ_VALUE_INITIALIZER);
    v->init = tp;
    v->dtype = tp->has_data_type ? tp->data_type : OQ_DTYPE_UNDEFINED;
    v->ndim = (int32_t)tp->n_dims;
    for (size_t d = 0; d < tp->n_dims; d++) {
      if (tp->dims[d] < 0)
        OQ_FAIL(err, OQ_ERR_MODEL, "initializer '%s' has a negative dimension (%lld)", tp->name,
                (long long)tp->dims[d]);
      v->dims[d].value = tp->dims[d];
    }
    OQ_CHECK(oq_strmap_put(&g->by_name, v->name, id, err));
  }

  /* graph inputs; one that is also an initializer is a constant with a default, not fed */
  for (size_t i = 0; i < gp->n_input; i++) {
    const Onnx__ValueInfoProto *vi = gp->input[i];
    if (!vi || !vi->name || !vi->name[0]) OQ_FAIL(err, OQ_ERR_MODEL, "graph input #%zu has no name", i);
    int32_t id = oq_graph_find(g, vi->name);
    if (id >= 0) {
      oq_value *v = &g->values[id];
      if (v->kind != OQ_VALUE_INITIALIZER || v->vi)
        OQ_FAIL(err, OQ_ERR_MODEL, "graph input '%s' is listed twice", vi->name);
      v->vi = vi; /* the initializer's own dims stay authoritative */
      continue;
    }
    id = g->n_values;
    oq_value *v = new_value(g, vi->name, OQ_VALUE_INPUT);
    OQ_CHECK(apply_type(v, vi, err));
    OQ_CHECK(oq_strmap_put(&g->by_name, v->name, id, err));
    g->inputs[g->n_inputs++] = id;
  }

  /* node outputs */
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const Onnx__NodeProto *np = gp->node[n];
    oq_node *nd = &g->nodes[n];
    nd->proto = np;
    nd->inputs = oq_calloc(np->n_input, sizeof *nd->inputs, err);
    nd->outputs = oq_calloc(np->n_output, sizeof *nd->outputs, err);
    if (!nd->inputs || !nd->outputs) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory indexing nodes");
    nd->n_inputs = (int32_t)np->n_input;
    nd->n_outputs = (int32_t)np->n_output;
    for (int32_t k = 0; k < nd->n_outputs; k++) {
      const char *name = np->output[k];
      nd->outputs[k] = -1;
      if (!name || !name[0]) continue; /* omitted optional output */
      int32_t id = oq_graph_find(g, name);
      if (id >= 0) {
        const oq_value *prev = &g->values[id];
        if (prev->producer >= 0) {
          char lb2[300];
          const Onnx__NodeProto *pp = g->nodes[prev->producer].proto;
          OQ_FAIL(err, OQ_ERR_MODEL, "value '%s' is produced twice: by node %s (%s) and by node %s (%s)", name,
                  node_label(pp, prev->producer, lb2, sizeof lb2), str_or(pp->op_type, "?"),
                  node_label(np, n, lb, sizeof lb), str_or(np->op_type, "?"));
        }
        OQ_FAIL(err, OQ_ERR_MODEL, "value '%s' is produced twice: it is a graph %s and an output of node %s (%s)", name,
                prev->kind == OQ_VALUE_INITIALIZER ? "initializer" : "input", node_label(np, n, lb, sizeof lb),
                str_or(np->op_type, "?"));
      }
      id = g->n_values;
      oq_value *v = new_value(g, name, OQ_VALUE_INTERMEDIATE);
      v->producer = n;
      OQ_CHECK(oq_strmap_put(&g->by_name, v->name, id, err));
      nd->outputs[k] = id;
    }
  }

  /* node inputs: resolve (in a subgraph also through the enclosing scopes) and count uses */
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const Onnx__NodeProto *np = gp->node[n];
    oq_node *nd = &g->nodes[n];
    for (int32_t k = 0; k < nd->n_inputs; k++) {
      const char *name = np->input[k];
      nd->inputs[k] = -1;
      if (!name || !name[0]) continue; /* omitted optional input */
      int32_t id;
      OQ_CHECK(resolve_name(g, &b, name, &id, err));
      if (id < 0)
        OQ_FAIL(err, OQ_ERR_MODEL, "node %s (%s) input '%s' is not produced by any node, initializer or graph input%s",
                node_label(np, n, lb, sizeof lb), str_or(np->op_type, "?"), name,
                parent ? " of its graph or an enclosing one" : "");
      nd->inputs[k] = id;
      g->values[id].n_consumers++;
    }
  }

  /* graph outputs (a subgraph may return a value of an enclosing scope as it is) */
  for (size_t i = 0; i < gp->n_output; i++) {
    const Onnx__ValueInfoProto *vi = gp->output[i];
    if (!vi || !vi->name || !vi->name[0]) OQ_FAIL(err, OQ_ERR_MODEL, "graph output #%zu has no name", i);
    int32_t id;
    OQ_CHECK(resolve_name(g, &b, vi->name, &id, err));
    if (id < 0)
      OQ_FAIL(err, OQ_ERR_MODEL, "graph output '%s' is not produced by any node, initializer or graph input%s",
              vi->name, parent ? " of its graph or an enclosing one" : "");
    g->values[id].is_graph_output = 1;
    OQ_CHECK(apply_type(&g->values[id], vi, err));
    g->outputs[g->n_outputs++] = id;
  }

  /* value_info; entries for names we do not index (e.g. inside subgraphs, which read their own) are ignored */
  for (size_t i = 0; i < gp->n_value_info; i++) {
    const Onnx__ValueInfoProto *vi = gp->value_info[i];
    if (!vi || !vi->name) continue;
    int32_t id = oq_graph_find(g, vi->name);
    if (id >= 0) OQ_CHECK(apply_type(&g->values[id], vi, err));
  }

  /* subgraphs, then the implicit inputs their outer references give the nodes holding them */
  for (int32_t n = 0; n < g->n_nodes; n++) OQ_CHECK(build_subgraphs(g, &b, n, err));
  OQ_CHECK(collect_implicit(g, err));

  /* consumers, in node order: explicit inputs, then implicit ones */
  for (int32_t i = 0; i < g->n_values; i++) {
    oq_value *v = &g->values[i];
    if (v->n_consumers == 0) continue;
    v->consumers = oq_calloc((size_t)v->n_consumers, sizeof *v->consumers, err);
    if (!v->consumers) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory indexing consumers");
    v->n_consumers = 0; /* refilled below */
  }
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const oq_node *nd = &g->nodes[n];
    for (int32_t k = 0; k < nd->n_inputs; k++)
      if (nd->inputs[k] >= 0) {
        oq_value *v = &g->values[nd->inputs[k]];
        v->consumers[v->n_consumers++] = n;
      }
    for (int32_t k = 0; k < nd->n_implicit; k++) {
      oq_value *v = &g->values[nd->implicit[k]];
      v->consumers[v->n_consumers++] = n;
    }
  }

  OQ_CHECK(topo_sort(g, err));
  return OQ_OK;
fail:
  oq_graph_free(g);
  return st;
}

oq_status oq_graph_build(const Onnx__GraphProto *gp, const oq_opset *opsets, int32_t n_opsets, const oq_graph *parent,
                         oq_graph *out, oq_error *err) {
  oq_status st = OQ_OK;
  if (!out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_graph_build: out is NULL");
  if (parent && parent->depth + 1 > OQ_GRAPH_MAX_DEPTH) {
    memset(out, 0, sizeof *out);
    OQ_FAIL(err, OQ_ERR_MODEL, "subgraphs nested deeper than %d levels", OQ_GRAPH_MAX_DEPTH);
  }
  return build_scope(gp, opsets, n_opsets, parent, out, err);
fail:
  return st;
}

oq_status oq_graph_build_model(const Onnx__ModelProto *model, oq_graph *g, oq_error *err) {
  oq_status st = OQ_OK;
  oq_opset *ops = NULL;
  int32_t n_ops = 0;
  memset(g, 0, sizeof *g);
  if (!model) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "no model");
  if (!model->graph) OQ_FAIL(err, OQ_ERR_MODEL, "model has no graph");
  if (model->n_opset_import > INT32_MAX / 2) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "model imports too many opsets");
  ops = oq_calloc(model->n_opset_import, sizeof *ops, err);
  if (!ops) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory indexing opsets");
  for (size_t i = 0; i < model->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *op = model->opset_import[i];
    if (!op) continue;
    const char *dom = norm_domain(op->domain);
    int seen = 0;
    for (int32_t k = 0; k < n_ops && !seen; k++) seen = strcmp(ops[k].domain, dom) == 0;
    if (seen) continue; /* first import of a domain wins */
    ops[n_ops].domain = dom;
    ops[n_ops].version = op->has_version ? op->version : 1;
    n_ops++;
  }
  st = build_scope(model->graph, ops, n_ops, NULL, g, err);
fail:
  free(ops);
  return st;
}

void oq_graph_free(oq_graph *g) {
  if (!g) return;
  if (g->values)
    for (int32_t i = 0; i < g->n_values; i++) free(g->values[i].consumers);
  if (g->nodes)
    for (int32_t i = 0; i < g->n_nodes; i++) {
      oq_node *nd = &g->nodes[i];
      free(nd->inputs);
      free(nd->outputs);
      free(nd->implicit);
      for (int32_t k = 0; k < nd->n_subgraphs; k++) {
        oq_graph_free(nd->subgraphs[k].graph);
        free(nd->subgraphs[k].graph);
      }
      free(nd->subgraphs);
    }
  free(g->values);
  free(g->nodes);
  free(g->topo);
  free(g->inputs);
  free(g->outputs);
  free(g->opsets);
  free(g->outer);
  oq_strmap_free(&g->by_name);
  memset(g, 0, sizeof *g);
}

int32_t oq_graph_find(const oq_graph *g, const char *name) {
  if (!g || !name) return -1;
  return oq_strmap_get(&g->by_name, name);
}

int64_t oq_graph_opset(const oq_graph *g, const char *domain) {
  if (!g) return -1;
  const char *d = norm_domain(domain);
  for (int32_t i = 0; i < g->n_opsets; i++)
    if (strcmp(g->opsets[i].domain, d) == 0) return g->opsets[i].version;
  return -1;
}

const oq_graph *oq_graph_resolve(const oq_graph *g, const char *name, int32_t *id) {
  for (; g; g = g->parent) {
    int32_t v = oq_graph_find(g, name);
    if (v >= 0 && g->values[v].kind != OQ_VALUE_OUTER) {
      if (id) *id = v;
      return g;
    }
  }
  if (id) *id = -1;
  return NULL;
}

int32_t oq_node_subgraph(const oq_node *node, const char *attr) {
  if (!node || !attr) return -1;
  for (int32_t k = 0; k < node->n_subgraphs; k++)
    if (node->subgraphs[k].item < 0 && strcmp(node->subgraphs[k].attr, attr) == 0) return k;
  return -1;
}
