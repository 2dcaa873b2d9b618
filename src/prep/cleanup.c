/* Graph cleanup passes of the main graph: Constant nodes become initializers, Identity and inference Dropout
 * nodes are removed, and initializers nothing reads any more are dropped. */
#include "prep/prep.h"

#include "core/alloc.h"
#include "core/dtype.h"

#include <string.h>

static int is_op(const Onnx__NodeProto *n, const char *op) {
  return n->op_type && !strcmp(n->op_type, op) && (!n->domain || !n->domain[0] || !strcmp(n->domain, "ai.onnx"));
}

static int graph_output(const prep_graph *g, const char *name) {
  for (size_t i = 0; i < g->orig->n_output; i++)
    if (g->orig->output[i]->name && !strcmp(g->orig->output[i]->name, name)) return 1;
  return 0;
}

static int graph_input(const prep_graph *g, const char *name) {
  for (size_t i = 0; i < g->orig->n_input; i++)
    if (g->orig->input[i]->name && !strcmp(g->orig->input[i]->name, name)) return 1;
  return 0;
}

/* The tensor a Constant node holds, as an initializer named name (NULL and OQ_OK when the node holds something
 * else: a sparse tensor or strings stay a node). */
static oq_status constant_tensor(prep_ctx *c, const Onnx__NodeProto *n, const char *name, Onnx__TensorProto **out,
                                 oq_error *err) {
  *out = NULL;
  if (n->n_attribute != 1) return OQ_OK;
  const Onnx__AttributeProto *a = n->attribute[0];
  if (!a->name) return OQ_OK;
  int64_t dim;
  if (!strcmp(a->name, "value") && a->t) {
    const Onnx__TensorProto *t = a->t;
    if (t->data_type == OQ_DTYPE_STRING) return OQ_OK;
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
      /* external bytes are found by the tensor's address: a renamed copy needs its own bytes */
      oq_tensor d;
      oq_status st = oq_model_tensor_decode(c->model, t, &d, err);
      if (st != OQ_OK) return st;
      uint8_t *raw = oq_edit_dup(c->ed, d.data ? d.data : "", d.nbytes, err);
      int32_t ndim = d.ndim;
      int64_t dims[OQ_MAX_DIMS];
      memcpy(dims, d.dims, sizeof dims);
      size_t nbytes = d.nbytes;
      oq_tensor_release(&d);
      if (!raw) return OQ_ERR_NOMEM;
      *out = oq_edit_tensor_raw(c->ed, name, t->data_type, ndim, dims, raw, nbytes, err);
      return *out ? OQ_OK : OQ_ERR_NOMEM;
    }
    Onnx__TensorProto *copy = oq_edit_dup(c->ed, t, sizeof *t, err);
    if (!copy) return OQ_ERR_NOMEM;
    copy->name = (char *)name;
    *out = copy;
    return OQ_OK;
  }
  if (!strcmp(a->name, "value_float") && a->has_f)
    *out = oq_edit_tensor(c->ed, name, OQ_DTYPE_FLOAT, 0, NULL, &a->f, 1, 4, err);
  else if (!strcmp(a->name, "value_int") && a->has_i)
    *out = oq_edit_tensor(c->ed, name, OQ_DTYPE_INT64, 0, NULL, &a->i, 1, 8, err);
  else if (!strcmp(a->name, "value_floats") && (dim = (int64_t)a->n_floats, 1))
    *out = oq_edit_tensor(c->ed, name, OQ_DTYPE_FLOAT, 1, &dim, a->floats, a->n_floats, 4, err);
  else if (!strcmp(a->name, "value_ints") && (dim = (int64_t)a->n_ints, 1))
    *out = oq_edit_tensor(c->ed, name, OQ_DTYPE_INT64, 1, &dim, a->ints, a->n_ints, 8, err);
  else
    return OQ_OK;
  return *out ? OQ_OK : OQ_ERR_NOMEM;
}

oq_status oq_prep_constants_to_inits(prep_ctx *c, prep_graph *g, oq_error *err) {
  oq_status st = OQ_OK;
  size_t k = 0;
  for (size_t i = 0; i < g->nodes.n; i++) {
    Onnx__NodeProto *n = g->nodes.items[i];
    Onnx__TensorProto *t = NULL;
    /* a graph output stays produced by a node; a name that is also a graph input would become overridable */
    if (is_op(n, "Constant") && n->n_output == 1 && n->output[0][0] && !graph_output(g, n->output[0]) &&
        !graph_input(g, n->output[0]))
      OQ_CHECK(constant_tensor(c, n, n->output[0], &t, err));
    if (t) {
      OQ_CHECK(oq_edit_list_push(c->ed, &g->inits, t, err));
      continue;
    }
    g->nodes.items[k++] = n;
  }
  g->nodes.n = k;
fail:
  return st;
}

/* Replaces every read of from by to in g's nodes (subgraph reads are excluded by the callers). */
static void rename_reads(prep_graph *g, const char *from, const char *to) {
  for (size_t i = 0; i < g->nodes.n; i++) {
    Onnx__NodeProto *n = g->nodes.items[i];
    for (size_t k = 0; k < n->n_input; k++)
      if (n->input[k] && !strcmp(n->input[k], from)) n->input[k] = (char *)to;
  }
}

static size_t readers(const prep_graph *g, const char *name) {
  size_t r = 0;
  for (size_t i = 0; i < g->nodes.n; i++) {
    const Onnx__NodeProto *n = g->nodes.items[i];
    for (size_t k = 0; k < n->n_input; k++) r += n->input[k] && !strcmp(n->input[k], name);
  }
  return r;
}

static int sub_read(const prep_ctx *c, const char *name) { return oq_strmap_get(&c->sub_used, name) >= 0; }

/* Dropout in inference (no training_mode input, mask unread) passes its input through. */
static int passthrough(const prep_ctx *c, const prep_graph *g, const Onnx__NodeProto *n) {
  if (n->n_input < 1 || !n->input[0] || !n->input[0][0] || n->n_output < 1 || !n->output[0] || !n->output[0][0])
    return 0;
  if (is_op(n, "Identity")) return n->n_input == 1 && n->n_output == 1;
  if (!is_op(n, "Dropout")) return 0;
  if (n->n_input > 2 && n->input[2] && n->input[2][0]) return 0;
  for (size_t k = 1; k < n->n_output; k++)
    if (n->output[k] && n->output[k][0] &&
        (readers(g, n->output[k]) || graph_output(g, n->output[k]) || sub_read(c, n->output[k])))
      return 0;
  return 1;
}

oq_status oq_prep_remove_identity(prep_ctx *c, prep_graph *g, oq_error *err) {
  (void)err;
  for (size_t i = 0; i < g->nodes.n; i++) {
    Onnx__NodeProto *n = g->nodes.items[i];
    if (!passthrough(c, g, n)) continue;
    const char *x = n->input[0], *y = n->output[0];
    if (!graph_output(g, y)) {
      if (sub_read(c, y)) continue; /* a subgraph reads y by name */
      rename_reads(g, y, x);
    } else {
      /* y must keep its name: the producer of x writes y instead, when x has no other use */
      Onnx__NodeProto *p = NULL;
      size_t slot = 0;
      for (size_t j = 0; j < i && !p; j++) {
        Onnx__NodeProto *q = g->nodes.items[j];
        for (size_t k = 0; k < q->n_output; k++)
          if (!strcmp(q->output[k], x)) p = q, slot = k;
      }
      if (!p || readers(g, x) != 1 || graph_output(g, x) || sub_read(c, x)) continue;
      p->output[slot] = (char *)y;
    }
    memmove(&g->nodes.items[i], &g->nodes.items[i + 1], (g->nodes.n - i - 1) * sizeof g->nodes.items[0]);
    g->nodes.n--;
    i--;
  }
  return OQ_OK;
}

oq_status oq_prep_prune(prep_ctx *c, prep_graph *g, oq_error *err) {
  oq_status st = OQ_OK;
  oq_strmap read = {0};
  OQ_CHECK(oq_strmap_init(&read, g->nodes.n * 2 + 16, err));
  for (size_t i = 0; i < g->nodes.n; i++) {
    const Onnx__NodeProto *n = g->nodes.items[i];
    for (size_t k = 0; k < n->n_input; k++)
      if (n->input[k] && n->input[k][0]) OQ_CHECK(oq_strmap_put(&read, n->input[k], 1, err));
  }
  size_t k = 0;
  for (size_t i = 0; i < g->inits.n; i++) {
    Onnx__TensorProto *t = g->inits.items[i];
    int keep = !t->name || oq_strmap_get(&read, t->name) >= 0 || graph_output(g, t->name) || graph_input(g, t->name) ||
               sub_read(c, t->name);
    if (keep) g->inits.items[k++] = t;
  }
  g->inits.n = k;
fail:
  oq_strmap_free(&read);
  return st;
}
