/* A small model builder for unit tests: nodes, float initializers and float graph inputs/outputs assembled with
 * model/edit and wrapped with oq_model_wrap_built (no serialization). Allocation failures abort the test. */
#ifndef OQ_TEST_BUILD_H
#define OQ_TEST_BUILD_H

#include "model/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tb_model {
  oq_edit *ed;
  oq_edit_list nodes, inits, inputs, outputs;
} tb_model;

static inline char **tb_split(tb_model *b, const char *list, size_t *n) {
  *n = 0;
  if (!list || !*list) return NULL;
  size_t cnt = 1;
  for (const char *p = list; *p; p++) cnt += *p == ',';
  char **out = oq_edit_alloc(b->ed, cnt, sizeof *out, NULL);
  const char *s = list;
  for (size_t i = 0; i < cnt; i++) {
    const char *e = strchr(s, ',');
    size_t len = e ? (size_t)(e - s) : strlen(s);
    char *nm = oq_edit_alloc(b->ed, len + 1, 1, NULL);
    memcpy(nm, s, len);
    out[i] = nm;
    s = e ? e + 1 : s + len;
  }
  *n = cnt;
  return out;
}

static inline Onnx__NodeProto *tb_node(tb_model *b, const char *op, const char *name, const char *ins,
                                       const char *outs) {
  size_t ni, no;
  char **i = tb_split(b, ins, &ni), **o = tb_split(b, outs, &no);
  Onnx__NodeProto *n = oq_edit_node(b->ed, op, name, (const char *const *)i, ni, (const char *const *)o, no, NULL);
  oq_edit_list_push(b->ed, &b->nodes, n, NULL);
  return n;
}

static inline void tb_attr_float(tb_model *b, Onnx__NodeProto *n, const char *name, float f) {
  Onnx__AttributeProto *a = oq_edit_alloc(b->ed, 1, sizeof *a, NULL);
  Onnx__AttributeProto **aa = oq_edit_alloc(b->ed, n->n_attribute + 1, sizeof *aa, NULL);
  onnx__attribute_proto__init(a);
  a->name = (char *)name;
  a->has_type = 1;
  a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
  a->has_f = 1;
  a->f = f;
  if (n->n_attribute) memcpy(aa, n->attribute, n->n_attribute * sizeof *aa);
  aa[n->n_attribute++] = a;
  n->attribute = aa;
}

/* An INTS attribute (count values), or a single INT (count 0, the value in v[0]). */
static inline void tb_attr_ints(tb_model *b, Onnx__NodeProto *n, const char *name, const int64_t *v, size_t count) {
  Onnx__AttributeProto *a = oq_edit_alloc(b->ed, 1, sizeof *a, NULL);
  Onnx__AttributeProto **aa = oq_edit_alloc(b->ed, n->n_attribute + 1, sizeof *aa, NULL);
  int64_t *vals = oq_edit_alloc(b->ed, count, sizeof *vals, NULL);
  onnx__attribute_proto__init(a);
  a->name = (char *)name;
  a->has_type = 1;
  if (count == 0) { /* a single INT */
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    a->has_i = 1;
    a->i = v[0];
  } else {
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    memcpy(vals, v, count * sizeof *vals);
    a->ints = vals;
    a->n_ints = count;
  }
  if (n->n_attribute) memcpy(aa, n->attribute, n->n_attribute * sizeof *aa);
  aa[n->n_attribute++] = a;
  n->attribute = aa;
}

static inline void tb_init(tb_model *b, const char *name, int32_t ndim, const int64_t *dims, const float *data) {
  size_t count = 1;
  for (int32_t d = 0; d < ndim; d++) count *= (size_t)dims[d];
  oq_edit_list_push(b->ed, &b->inits, oq_edit_tensor(b->ed, name, OQ_DTYPE_FLOAT, ndim, dims, data, count, 4, NULL),
                    NULL);
}

static inline Onnx__ValueInfoProto *tb_float_vi(tb_model *b, const char *name) {
  Onnx__ValueInfoProto *vi = oq_edit_alloc(b->ed, 1, sizeof *vi, NULL);
  Onnx__TypeProto *tp = oq_edit_alloc(b->ed, 1, sizeof *tp, NULL);
  Onnx__TypeProto__Tensor *tt = oq_edit_alloc(b->ed, 1, sizeof *tt, NULL);
  onnx__value_info_proto__init(vi);
  onnx__type_proto__init(tp);
  onnx__type_proto__tensor__init(tt);
  tt->has_elem_type = 1;
  tt->elem_type = OQ_DTYPE_FLOAT;
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp->tensor_type = tt;
  vi->name = (char *)name;
  vi->type = tp;
  return vi;
}

static inline void tb_input(tb_model *b, const char *name) {
  oq_edit_list_push(b->ed, &b->inputs, tb_float_vi(b, name), NULL);
}
static inline void tb_output(tb_model *b, const char *name) {
  oq_edit_list_push(b->ed, &b->outputs, tb_float_vi(b, name), NULL);
}

/* The model (a built model without a base: its edit context owns everything), NULL on failure. */
static inline oq_model *tb_finish(tb_model *b, int64_t opset) {
  oq_error err = {0};
  Onnx__ModelProto *m = oq_edit_alloc(b->ed, 1, sizeof *m, NULL);
  Onnx__GraphProto *g = oq_edit_alloc(b->ed, 1, sizeof *g, NULL);
  Onnx__OperatorSetIdProto *op = oq_edit_alloc(b->ed, 1, sizeof *op, NULL);
  Onnx__OperatorSetIdProto **ops = oq_edit_alloc(b->ed, 1, sizeof *ops, NULL);
  onnx__model_proto__init(m);
  onnx__graph_proto__init(g);
  onnx__operator_set_id_proto__init(op);
  op->domain = "";
  op->has_version = 1;
  op->version = opset;
  ops[0] = op;
  g->name = "g";
  g->node = (Onnx__NodeProto **)b->nodes.items;
  g->n_node = b->nodes.n;
  g->initializer = (Onnx__TensorProto **)b->inits.items;
  g->n_initializer = b->inits.n;
  g->input = (Onnx__ValueInfoProto **)b->inputs.items;
  g->n_input = b->inputs.n;
  g->output = (Onnx__ValueInfoProto **)b->outputs.items;
  g->n_output = b->outputs.n;
  m->has_ir_version = 1;
  m->ir_version = 7;
  m->graph = g;
  m->opset_import = ops;
  m->n_opset_import = 1;
  oq_model *model = NULL;
  if (oq_model_wrap_built(m, b->ed, NULL, &model, &err) != OQ_OK) {
    fprintf(stderr, "wrap: %s\n", err.msg); /* model stays NULL */
  }
  b->ed = NULL;
  return model;
}

static inline void tb_start(tb_model *b) {
  memset(b, 0, sizeof *b);
  oq_error err = {0};
  if (oq_edit_create(16, &b->ed, &err) != OQ_OK) abort();
}

#endif
