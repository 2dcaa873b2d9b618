/* Builds small ModelProtos in C for unit tests: protoc-c structs whose every allocation goes to one arena, freed by
 * arena_free(). Subgraphs are GraphProtos attached to nodes as GRAPH attributes. Static functions: include it from
 * one test file per binary. */
#ifndef OQ_TEST_PROTO_BUILDER_H
#define OQ_TEST_PROTO_BUILDER_H

#include "model/model.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- proto builder: every allocation goes to one arena freed by arena_free() ---------------------------- */

static void *arena_ptrs[4096];
static int arena_n;

static void *arena_alloc(size_t n) {
  void *p = calloc(1, n ? n : 1);
  if (!p || arena_n >= 4096) abort();
  arena_ptrs[arena_n++] = p;
  return p;
}

static void arena_free(void) {
  while (arena_n > 0) free(arena_ptrs[--arena_n]);
}

static char *arena_str(const char *s) {
  char *p = arena_alloc(strlen(s) + 1);
  memcpy(p, s, strlen(s) + 1);
  return p;
}

/* "a,,b" -> {"a", "", "b"}; "" -> no entries. */
static char **split(const char *list, size_t *n) {
  *n = 0;
  if (!list || !list[0]) return NULL;
  size_t cnt = 1;
  for (const char *p = list; *p; p++) cnt += *p == ',';
  char **out = arena_alloc(cnt * sizeof *out);
  const char *start = list;
  for (size_t i = 0; i < cnt; i++) {
    const char *end = strchr(start, ',');
    size_t len = end ? (size_t)(end - start) : strlen(start);
    out[i] = arena_alloc(len + 1);
    memcpy(out[i], start, len);
    start = end ? end + 1 : start + len;
  }
  *n = cnt;
  return out;
}

static Onnx__NodeProto *mk_node(const char *op, const char *name, const char *ins, const char *outs) {
  Onnx__NodeProto *n = arena_alloc(sizeof *n);
  onnx__node_proto__init(n);
  n->op_type = arena_str(op);
  n->name = name ? arena_str(name) : NULL;
  n->input = split(ins, &n->n_input);
  n->output = split(outs, &n->n_output);
  return n;
}

static Onnx__AttributeProto *add_attr(Onnx__NodeProto *n, const char *name, Onnx__AttributeProto__AttributeType t) {
  Onnx__AttributeProto *a = arena_alloc(sizeof *a);
  onnx__attribute_proto__init(a);
  a->name = arena_str(name);
  a->has_type = 1;
  a->type = t;
  Onnx__AttributeProto **arr = arena_alloc((n->n_attribute + 1) * sizeof *arr);
  for (size_t i = 0; i < n->n_attribute; i++) arr[i] = n->attribute[i];
  arr[n->n_attribute++] = a;
  n->attribute = arr;
  return a;
}

/* dims: -1 = unknown, -2 = symbolic "N"; ndim < 0 = no shape. */
static Onnx__ValueInfoProto *mk_vi(const char *name, int32_t elem, int ndim, const int64_t *dims) {
  Onnx__ValueInfoProto *vi = arena_alloc(sizeof *vi);
  onnx__value_info_proto__init(vi);
  vi->name = arena_str(name);
  Onnx__TypeProto *tp = arena_alloc(sizeof *tp);
  onnx__type_proto__init(tp);
  Onnx__TypeProto__Tensor *tt = arena_alloc(sizeof *tt);
  onnx__type_proto__tensor__init(tt);
  tt->has_elem_type = 1;
  tt->elem_type = elem;
  if (ndim >= 0) {
    Onnx__TensorShapeProto *sh = arena_alloc(sizeof *sh);
    onnx__tensor_shape_proto__init(sh);
    sh->n_dim = (size_t)ndim;
    sh->dim = arena_alloc((size_t)ndim * sizeof *sh->dim);
    for (int i = 0; i < ndim; i++) {
      Onnx__TensorShapeProto__Dimension *d = arena_alloc(sizeof *d);
      onnx__tensor_shape_proto__dimension__init(d);
      if (dims[i] >= 0) {
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d->dim_value = dims[i];
      } else if (dims[i] == -2) {
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
        d->dim_param = arena_str("N");
      }
      sh->dim[i] = d;
    }
    tt->shape = sh;
  }
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp->tensor_type = tt;
  vi->type = tp;
  return vi;
}

static Onnx__TensorProto *mk_init(const char *name, int ndim, const int64_t *dims, const float *data, size_t n) {
  Onnx__TensorProto *t = arena_alloc(sizeof *t);
  onnx__tensor_proto__init(t);
  t->name = arena_str(name);
  t->has_data_type = 1;
  t->data_type = OQ_DTYPE_FLOAT;
  t->n_dims = (size_t)ndim;
  t->dims = arena_alloc((size_t)ndim * sizeof *t->dims + 1);
  memcpy(t->dims, dims, (size_t)ndim * sizeof *t->dims);
  t->n_float_data = n;
  t->float_data = arena_alloc(n * sizeof(float) + 1);
  memcpy(t->float_data, data, n * sizeof(float));
  return t;
}

typedef struct gspec {
  Onnx__NodeProto *nodes[16];
  size_t n_nodes;
  Onnx__ValueInfoProto *inputs[8];
  size_t n_inputs;
  Onnx__ValueInfoProto *outputs[8];
  size_t n_outputs;
  Onnx__TensorProto *inits[8];
  size_t n_inits;
  Onnx__ValueInfoProto *vinfo[8];
  size_t n_vinfo;
} gspec;

/* A GraphProto over the spec's arrays (borrowed: the spec must live as long as the proto). */
static Onnx__GraphProto *mk_graph(gspec *s, const char *name) {
  Onnx__GraphProto *g = arena_alloc(sizeof *g);
  onnx__graph_proto__init(g);
  g->name = arena_str(name);
  g->node = s->nodes;
  g->n_node = s->n_nodes;
  g->input = s->inputs;
  g->n_input = s->n_inputs;
  g->output = s->outputs;
  g->n_output = s->n_outputs;
  g->initializer = s->inits;
  g->n_initializer = s->n_inits;
  g->value_info = s->vinfo;
  g->n_value_info = s->n_vinfo;
  return g;
}

/* Attaches g to node n as the GRAPH attribute name. */
static void add_graph_attr(Onnx__NodeProto *n, const char *name, Onnx__GraphProto *g) {
  Onnx__AttributeProto *a = add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH);
  a->g = g;
}

/* A spec allocated in the arena (subgraph specs must outlive the builder function that fills them). */
static gspec *new_spec(void) { return arena_alloc(sizeof(gspec)); }

static Onnx__ModelProto *mk_model_opset(gspec *s, int64_t opset) {
  Onnx__ModelProto *m = arena_alloc(sizeof *m);
  onnx__model_proto__init(m);
  m->has_ir_version = 1;
  m->ir_version = 8;
  m->producer_name = arena_str("test \"builder\"\n");
  Onnx__OperatorSetIdProto *op = arena_alloc(sizeof *op);
  onnx__operator_set_id_proto__init(op);
  op->domain = arena_str("ai.onnx");
  op->has_version = 1;
  op->version = opset;
  m->n_opset_import = 1;
  m->opset_import = arena_alloc(sizeof *m->opset_import);
  m->opset_import[0] = op;
  m->graph = mk_graph(s, "g");
  return m;
}

static Onnx__ModelProto *mk_model(gspec *s) { return mk_model_opset(s, 13); }

/* Packs and unpacks the builder's proto so that oq_model_wrap can own it. */
static oq_model *wrap(const Onnx__ModelProto *m) {
  oq_error err;
  size_t n = onnx__model_proto__get_packed_size(m);
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf) return NULL;
  onnx__model_proto__pack(m, buf);
  Onnx__ModelProto *u = onnx__model_proto__unpack(NULL, n, buf);
  free(buf);
  if (!u) return NULL;
  oq_model *model = NULL;
  if (oq_model_wrap(u, NULL, ".", &model, &err) != OQ_OK) {
    fprintf(stderr, "wrap: %s\n", err.msg);
    return NULL;
  }
  return model;
}

#endif
