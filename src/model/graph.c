/* Graph index: values (graph inputs, initializers, node outputs) with producer/consumer maps, dtype/shape from the
 * proto's type information, opsets per domain and a stable topological order. Everything is borrowed from the
 * ModelProto; only the index arrays are owned. */
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
      for (int32_t k = 0; k < nd->n_inputs && next < 0; k++) {
        if (nd->inputs[k] < 0) continue;
        int32_t p = g->values[nd->inputs[k]].producer;
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

oq_status oq_graph_build(const Onnx__ModelProto *model, oq_graph *g, oq_error *err) {
  oq_status st = OQ_OK;
  char lb[300];
  memset(g, 0, sizeof *g);
  if (!model) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "no model");
  const Onnx__GraphProto *gp = model->graph;
  if (!gp) OQ_FAIL(err, OQ_ERR_MODEL, "model has no graph");

  /* opsets */
  g->opsets = oq_calloc(model->n_opset_import, sizeof *g->opsets, err);
  if (!g->opsets) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory indexing opsets");
  for (size_t i = 0; i < model->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *op = model->opset_import[i];
    if (!op) continue;
    const char *dom = norm_domain(op->domain);
    if (oq_graph_opset(g, dom) >= 0) continue; /* first import of a domain wins */
    g->opsets[g->n_opsets].domain = dom;
    g->opsets[g->n_opsets].version = op->has_version ? op->version : 1;
    g->n_opsets++;
  }

  /* sizes: every value is a graph input, an initializer or a node output */
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

  /* node inputs: resolve and count uses */
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const Onnx__NodeProto *np = gp->node[n];
    oq_node *nd = &g->nodes[n];
    for (int32_t k = 0; k < nd->n_inputs; k++) {
      const char *name = np->input[k];
      nd->inputs[k] = -1;
      if (!name || !name[0]) continue; /* omitted optional input */
      int32_t id = oq_graph_find(g, name);
      if (id < 0)
        OQ_FAIL(err, OQ_ERR_MODEL, "node %s (%s) input '%s' is not produced by any node, initializer or graph input",
                node_label(np, n, lb, sizeof lb), str_or(np->op_type, "?"), name);
      nd->inputs[k] = id;
      g->values[id].n_consumers++;
    }
  }
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
  }

  /* graph outputs */
  for (size_t i = 0; i < gp->n_output; i++) {
    const Onnx__ValueInfoProto *vi = gp->output[i];
    if (!vi || !vi->name || !vi->name[0]) OQ_FAIL(err, OQ_ERR_MODEL, "graph output #%zu has no name", i);
    int32_t id = oq_graph_find(g, vi->name);
    if (id < 0)
      OQ_FAIL(err, OQ_ERR_MODEL, "graph output '%s' is not produced by any node, initializer or graph input", vi->name);
    g->values[id].is_graph_output = 1;
    OQ_CHECK(apply_type(&g->values[id], vi, err));
    g->outputs[g->n_outputs++] = id;
  }

  /* value_info; entries for names we do not index (e.g. inside subgraphs) are ignored */
  for (size_t i = 0; i < gp->n_value_info; i++) {
    const Onnx__ValueInfoProto *vi = gp->value_info[i];
    if (!vi || !vi->name) continue;
    int32_t id = oq_graph_find(g, vi->name);
    if (id >= 0) OQ_CHECK(apply_type(&g->values[id], vi, err));
  }

  OQ_CHECK(topo_sort(g, err));
  return OQ_OK;
fail:
  oq_graph_free(g);
  return st;
}

void oq_graph_free(oq_graph *g) {
  if (!g) return;
  if (g->values)
    for (int32_t i = 0; i < g->n_values; i++) free(g->values[i].consumers);
  if (g->nodes)
    for (int32_t i = 0; i < g->n_nodes; i++) {
      free(g->nodes[i].inputs);
      free(g->nodes[i].outputs);
    }
  free(g->values);
  free(g->nodes);
  free(g->topo);
  free(g->inputs);
  free(g->outputs);
  free(g->opsets);
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
