/* Graph index, attributes, fingerprint and describe. Small graphs are built in C (protoc-c structs from a test
 * arena); fingerprint cases load the fixtures made by tests/fixtures/graph/make_fixtures.py. */
#include "oq_test.h"

#include "model/graph.h"
#include "model/model.h"

#include <stdint.h>

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

static Onnx__ModelProto *mk_model(gspec *s) {
  Onnx__ModelProto *m = arena_alloc(sizeof *m);
  onnx__model_proto__init(m);
  m->has_ir_version = 1;
  m->ir_version = 8;
  m->producer_name = arena_str("test \"builder\"\n");
  Onnx__OperatorSetIdProto *op = arena_alloc(sizeof *op);
  onnx__operator_set_id_proto__init(op);
  op->domain = arena_str("ai.onnx");
  op->has_version = 1;
  op->version = 13;
  m->n_opset_import = 1;
  m->opset_import = arena_alloc(sizeof *m->opset_import);
  m->opset_import[0] = op;
  Onnx__GraphProto *g = arena_alloc(sizeof *g);
  onnx__graph_proto__init(g);
  g->name = arena_str("g");
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
  m->graph = g;
  return m;
}

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

static const int64_t k_dims4[] = {-2, 3, 8, 8};
static const int64_t k_w_dims[] = {3};
static const float k_w[] = {1, 2, 3};

/* x -> Relu(a) -> Add(a, w)(b) -> Mul(b, a)(y), listed out of order: Mul, Relu, Add. */
static Onnx__ModelProto *chain_model(void) {
  static gspec s;
  memset(&s, 0, sizeof s);
  s.nodes[s.n_nodes++] = mk_node("Mul", "mul", "b,a", "y");
  s.nodes[s.n_nodes++] = mk_node("Relu", "relu", "x", "a");
  s.nodes[s.n_nodes++] = mk_node("Add", "add", "a,w", "b");
  s.inputs[s.n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 4, k_dims4);
  s.inputs[s.n_inputs++] = mk_vi("w", OQ_DTYPE_FLOAT, 1, k_w_dims); /* also an initializer: not fed */
  s.outputs[s.n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 4, k_dims4);
  s.inits[s.n_inits++] = mk_init("w", 1, k_w_dims, k_w, 3);
  s.vinfo[s.n_vinfo++] = mk_vi("a", OQ_DTYPE_FLOAT, -1, NULL);
  s.vinfo[s.n_vinfo++] = mk_vi("not_in_graph", OQ_DTYPE_FLOAT, 1, k_w_dims);
  return mk_model(&s);
}

/* ---- index ---------------------------------------------------------------------------------------------- */

OQ_TEST(values_and_consumers) {
  oq_error err;
  oq_graph g;
  REQUIRE_OK(oq_graph_build_model(chain_model(), &g, &err));
  CHECK(g.n_nodes == 3);
  CHECK(g.n_values == 5); /* w, x, y, a, b */
  int32_t x = oq_graph_find(&g, "x"), w = oq_graph_find(&g, "w"), a = oq_graph_find(&g, "a");
  int32_t b = oq_graph_find(&g, "b"), y = oq_graph_find(&g, "y");
  REQUIRE(x >= 0 && w >= 0 && a >= 0 && b >= 0 && y >= 0);
  CHECK(oq_graph_find(&g, "nope") == -1);
  CHECK(oq_graph_find(&g, "not_in_graph") == -1);
  CHECK(g.values[x].kind == OQ_VALUE_INPUT);
  CHECK(g.values[w].kind == OQ_VALUE_INITIALIZER && g.values[w].init != NULL && g.values[w].vi != NULL);
  CHECK(g.values[a].kind == OQ_VALUE_INTERMEDIATE);
  CHECK(g.n_inputs == 1 && g.inputs[0] == x);
  CHECK(g.n_outputs == 1 && g.outputs[0] == y && g.values[y].is_graph_output);
  CHECK(!g.values[a].is_graph_output);
  /* producers */
  CHECK(g.values[x].producer == -1 && g.values[w].producer == -1);
  CHECK(g.values[a].producer == 1 && g.values[b].producer == 2 && g.values[y].producer == 0);
  /* consumers: a used by Mul (0) and Add (2) */
  REQUIRE(g.values[a].n_consumers == 2);
  CHECK(g.values[a].consumers[0] == 0 && g.values[a].consumers[1] == 2);
  CHECK(g.values[y].n_consumers == 0);
  CHECK(g.values[w].n_consumers == 1 && g.values[w].consumers[0] == 2);
  /* node slots */
  CHECK(g.nodes[0].n_inputs == 2 && g.nodes[0].inputs[0] == b && g.nodes[0].inputs[1] == a);
  CHECK(g.nodes[0].n_outputs == 1 && g.nodes[0].outputs[0] == y);
  /* types and shapes */
  CHECK(g.values[x].dtype == OQ_DTYPE_FLOAT && g.values[x].ndim == 4);
  CHECK(g.values[x].dims[0].value < 0 && g.values[x].dims[0].param && strcmp(g.values[x].dims[0].param, "N") == 0);
  CHECK(g.values[x].dims[1].value == 3 && g.values[x].dims[1].param == NULL);
  CHECK(g.values[w].ndim == 1 && g.values[w].dims[0].value == 3);
  CHECK(g.values[a].dtype == OQ_DTYPE_FLOAT && g.values[a].ndim == -1); /* value_info without shape */
  CHECK(g.values[b].dtype == OQ_DTYPE_UNDEFINED && g.values[b].ndim == -1);
  CHECK(g.values[y].ndim == 4);
  /* opsets: "ai.onnx" is the default domain */
  CHECK(g.n_opsets == 1 && strcmp(g.opsets[0].domain, "") == 0);
  CHECK(oq_graph_opset(&g, "") == 13 && oq_graph_opset(&g, "ai.onnx") == 13 && oq_graph_opset(&g, NULL) == 13);
  CHECK(oq_graph_opset(&g, "com.microsoft") == -1);
  oq_graph_free(&g);
  oq_graph_free(&g); /* idempotent on a freed (zeroed) index */
  arena_free();
}

OQ_TEST(topo_order) {
  oq_error err;
  oq_graph g;
  REQUIRE_OK(oq_graph_build_model(chain_model(), &g, &err));
  /* Relu (1), Add (2), Mul (0) */
  CHECK(g.topo[0] == 1 && g.topo[1] == 2 && g.topo[2] == 0);
  oq_graph_free(&g);
  arena_free();

  /* Already sorted, independent branches: the file order is kept (stable ties). */
  gspec s;
  memset(&s, 0, sizeof s);
  s.nodes[s.n_nodes++] = mk_node("Relu", "r1", "x", "p");
  s.nodes[s.n_nodes++] = mk_node("Relu", "r2", "x", "q");
  s.nodes[s.n_nodes++] = mk_node("Relu", "r3", "p", "r");
  s.nodes[s.n_nodes++] = mk_node("Add", "add", "q,r", "y");
  s.nodes[s.n_nodes++] = mk_node("Relu", "r4", "x", "z");
  s.inputs[s.n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.outputs[s.n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.outputs[s.n_outputs++] = mk_vi("z", OQ_DTYPE_FLOAT, 1, k_w_dims);
  REQUIRE_OK(oq_graph_build_model(mk_model(&s), &g, &err));
  for (int32_t i = 0; i < g.n_nodes; i++) CHECK(g.topo[i] == i);
  oq_graph_free(&g);
  arena_free();

  /* Reversed chain: ties among ready nodes go to the earliest one. */
  memset(&s, 0, sizeof s);
  s.nodes[s.n_nodes++] = mk_node("Relu", "c", "b", "y"); /* 0 */
  s.nodes[s.n_nodes++] = mk_node("Relu", "b", "a", "b"); /* 1 */
  s.nodes[s.n_nodes++] = mk_node("Relu", "z", "x", "z"); /* 2 */
  s.nodes[s.n_nodes++] = mk_node("Relu", "a", "x", "a"); /* 3 */
  s.inputs[s.n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.outputs[s.n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.outputs[s.n_outputs++] = mk_vi("z", OQ_DTYPE_FLOAT, 1, k_w_dims);
  REQUIRE_OK(oq_graph_build_model(mk_model(&s), &g, &err));
  CHECK(g.topo[0] == 2 && g.topo[1] == 3 && g.topo[2] == 1 && g.topo[3] == 0);
  oq_graph_free(&g);
  arena_free();
}

static void expect_error(gspec *s, oq_status code, const char *msg) {
  oq_error err;
  oq_graph g;
  memset(&err, 0, sizeof err);
  oq_status st = oq_graph_build_model(mk_model(s), &g, &err);
  CHECK(st == code);
  CHECK(err.code == code);
  if (!strstr(err.msg, msg)) {
    fprintf(stderr, "expected '%s' in: %s\n", msg, err.msg);
    oq_test_failed = 1;
  }
  /* a failed build leaves an empty index */
  CHECK(g.values == NULL && g.nodes == NULL && g.topo == NULL && g.n_nodes == 0);
  oq_graph_free(&g);
  arena_free();
}

OQ_TEST(error_cycle) {
  gspec s;
  memset(&s, 0, sizeof s);
  s.nodes[s.n_nodes++] = mk_node("Relu", "pre", "x", "p");
  s.nodes[s.n_nodes++] = mk_node("Relu", "down", "c2", "y"); /* downstream of the cycle, not on it */
  s.nodes[s.n_nodes++] = mk_node("Add", "c1", "p,c2", "c1o");
  s.nodes[s.n_nodes++] = mk_node("Conv", "c2", "c1o", "c2");
  s.inputs[s.n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.outputs[s.n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k_w_dims);
  expect_error(&s, OQ_ERR_MODEL, "graph has a cycle through node 'c");

  memset(&s, 0, sizeof s);
  s.nodes[s.n_nodes++] = mk_node("Conv", "self", "x,y", "y"); /* self loop */
  s.inputs[s.n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.outputs[s.n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k_w_dims);
  expect_error(&s, OQ_ERR_MODEL, "graph has a cycle through node 'self' (Conv)");
}

OQ_TEST(error_dangling_input) {
  gspec s;
  memset(&s, 0, sizeof s);
  s.nodes[s.n_nodes++] = mk_node("Add", "X", "x,yy", "y");
  s.inputs[s.n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.outputs[s.n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k_w_dims);
  expect_error(&s, OQ_ERR_MODEL, "node 'X' (Add) input 'yy' is not produced by any node, initializer or graph input");
  /* unnamed node: named by its index */
  memset(&s, 0, sizeof s);
  s.nodes[s.n_nodes++] = mk_node("Relu", "r", "x", "a");
  s.nodes[s.n_nodes++] = mk_node("Add", NULL, "a,q", "y");
  s.inputs[s.n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.outputs[s.n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k_w_dims);
  expect_error(&s, OQ_ERR_MODEL, "node #1 (Add) input 'q'");
}

OQ_TEST(error_produced_twice) {
  gspec s;
  memset(&s, 0, sizeof s);
  s.nodes[s.n_nodes++] = mk_node("Relu", "r1", "x", "y");
  s.nodes[s.n_nodes++] = mk_node("Sigmoid", "r2", "x", "y");
  s.inputs[s.n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.outputs[s.n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k_w_dims);
  expect_error(&s, OQ_ERR_MODEL, "value 'y' is produced twice");
  /* a node overwriting a graph input */
  memset(&s, 0, sizeof s);
  s.nodes[s.n_nodes++] = mk_node("Relu", "r1", "x", "x");
  s.inputs[s.n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.outputs[s.n_outputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  expect_error(&s, OQ_ERR_MODEL, "value 'x' is produced twice");
  /* an initializer listed twice */
  memset(&s, 0, sizeof s);
  s.nodes[s.n_nodes++] = mk_node("Add", "a", "x,w", "y");
  s.inputs[s.n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.outputs[s.n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.inits[s.n_inits++] = mk_init("w", 1, k_w_dims, k_w, 3);
  s.inits[s.n_inits++] = mk_init("w", 1, k_w_dims, k_w, 3);
  expect_error(&s, OQ_ERR_MODEL, "initializer 'w' is listed twice");
}

OQ_TEST(error_missing_output) {
  gspec s;
  memset(&s, 0, sizeof s);
  s.nodes[s.n_nodes++] = mk_node("Relu", "r1", "x", "y");
  s.inputs[s.n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.outputs[s.n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.outputs[s.n_outputs++] = mk_vi("ghost", OQ_DTYPE_FLOAT, 1, k_w_dims);
  expect_error(&s, OQ_ERR_MODEL, "graph output 'ghost' is not produced");
}

OQ_TEST(error_rank_and_shape) {
  static const int64_t d9[] = {1, 1, 1, 1, 1, 1, 1, 1, 1};
  gspec s;
  memset(&s, 0, sizeof s);
  s.nodes[s.n_nodes++] = mk_node("Relu", "r1", "x", "y");
  s.inputs[s.n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 9, d9);
  s.outputs[s.n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k_w_dims);
  expect_error(&s, OQ_ERR_UNSUPPORTED, "value 'x' has rank 9");

  static const int64_t neg[] = {-3};
  memset(&s, 0, sizeof s);
  s.nodes[s.n_nodes++] = mk_node("Add", "a", "x,w", "y");
  s.inputs[s.n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.outputs[s.n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.inits[s.n_inits++] = mk_init("w", 1, neg, k_w, 0);
  expect_error(&s, OQ_ERR_MODEL, "initializer 'w' has a negative dimension");

  oq_error err;
  oq_graph g;
  CHECK(oq_graph_build_model(NULL, &g, &err) == OQ_ERR_INVALID_ARG);
  Onnx__ModelProto m;
  onnx__model_proto__init(&m);
  CHECK(oq_graph_build_model(&m, &g, &err) == OQ_ERR_MODEL && strstr(err.msg, "no graph"));
}

OQ_TEST(optional_inputs_outputs) {
  oq_error err;
  oq_graph g;
  gspec s;
  memset(&s, 0, sizeof s);
  /* Clip(x, "", max) with an omitted min; Dropout with an omitted mask output "" */
  s.nodes[s.n_nodes++] = mk_node("Clip", "clip", "x,,m", "c");
  s.nodes[s.n_nodes++] = mk_node("Dropout", "drop", "c", "y,");
  s.inputs[s.n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.inputs[s.n_inputs++] = mk_vi("m", OQ_DTYPE_FLOAT, 0, NULL);
  s.outputs[s.n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k_w_dims);
  REQUIRE_OK(oq_graph_build_model(mk_model(&s), &g, &err));
  CHECK(g.n_inputs == 2);
  CHECK(g.nodes[0].n_inputs == 3 && g.nodes[0].inputs[1] == -1 && g.nodes[0].inputs[2] == oq_graph_find(&g, "m"));
  CHECK(g.nodes[1].n_outputs == 2 && g.nodes[1].outputs[1] == -1);
  CHECK(g.values[oq_graph_find(&g, "m")].ndim == 0); /* scalar */
  CHECK(g.n_values == 4);
  oq_graph_free(&g);
  arena_free();
}

/* ---- attributes ----------------------------------------------------------------------------------------- */

OQ_TEST(attributes) {
  oq_error err;
  Onnx__NodeProto *n = mk_node("Conv", "conv1", "x,w", "y");
  Onnx__AttributeProto *a = add_attr(n, "group", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  a->has_i = 1;
  a->i = 4;
  a = add_attr(n, "alpha", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
  a->has_f = 1;
  a->f = 0.25f;
  static int64_t pads[] = {1, 2, 3, 4};
  a = add_attr(n, "pads", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
  a->ints = pads;
  a->n_ints = 4;
  static float scales[] = {2.0f, 3.0f};
  a = add_attr(n, "scales", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
  a->floats = scales;
  a->n_floats = 2;
  a = add_attr(n, "auto_pad", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
  a->has_s = 1;
  a->s.data = (uint8_t *)arena_str("SAME_UPPER");
  a->s.len = 10;
  a = add_attr(n, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
  a->t = mk_init("v", 1, k_w_dims, k_w, 3);
  /* an old-style attribute without `type`: inferred from the field that is set */
  a = add_attr(n, "legacy", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED);
  a->has_type = 0;
  a->has_i = 1;
  a->i = 7;

  int64_t i64;
  float f;
  const int64_t *ints;
  const float *floats;
  size_t cnt, len;
  const char *str;
  const Onnx__TensorProto *t;
  CHECK(oq_attr_find(n, "group") != NULL && oq_attr_find(n, "nope") == NULL);
  REQUIRE_OK(oq_attr_int(n, "group", 1, &i64, &err));
  CHECK(i64 == 4);
  REQUIRE_OK(oq_attr_int(n, "missing", 9, &i64, &err));
  CHECK(i64 == 9);
  REQUIRE_OK(oq_attr_int(n, "legacy", 0, &i64, &err));
  CHECK(i64 == 7);
  REQUIRE_OK(oq_attr_float(n, "alpha", 1.0f, &f, &err));
  CHECK(f == 0.25f);
  REQUIRE_OK(oq_attr_float(n, "beta", 1.5f, &f, &err));
  CHECK(f == 1.5f);
  REQUIRE_OK(oq_attr_ints(n, "pads", &ints, &cnt, &err));
  CHECK(cnt == 4 && ints[0] == 1 && ints[3] == 4);
  REQUIRE_OK(oq_attr_ints(n, "strides", &ints, &cnt, &err));
  CHECK(cnt == 0 && ints == NULL);
  REQUIRE_OK(oq_attr_floats(n, "scales", &floats, &cnt, &err));
  CHECK(cnt == 2 && floats[1] == 3.0f);
  REQUIRE_OK(oq_attr_floats(n, "nope", &floats, &cnt, &err));
  CHECK(cnt == 0 && floats == NULL);
  REQUIRE_OK(oq_attr_string(n, "auto_pad", "NOTSET", &str, &len, &err));
  CHECK(len == 10 && memcmp(str, "SAME_UPPER", 10) == 0);
  REQUIRE_OK(oq_attr_string(n, "mode", "constant", &str, &len, &err));
  CHECK(len == 8 && strcmp(str, "constant") == 0);
  REQUIRE_OK(oq_attr_tensor(n, "value", &t, &err));
  CHECK(t != NULL && t->n_float_data == 3);
  REQUIRE_OK(oq_attr_tensor(n, "absent", &t, &err));
  CHECK(t == NULL);

  /* type mismatches name the node and the attribute */
  memset(&err, 0, sizeof err);
  CHECK(oq_attr_float(n, "group", 0.0f, &f, &err) == OQ_ERR_MODEL);
  CHECK(strstr(err.msg, "conv1") && strstr(err.msg, "group") && strstr(err.msg, "Conv"));
  CHECK(oq_attr_int(n, "pads", 0, &i64, &err) == OQ_ERR_MODEL && strstr(err.msg, "'pads'"));
  CHECK(oq_attr_ints(n, "group", &ints, &cnt, &err) == OQ_ERR_MODEL && cnt == 0);
  CHECK(oq_attr_floats(n, "pads", &floats, &cnt, &err) == OQ_ERR_MODEL);
  CHECK(oq_attr_string(n, "alpha", "x", &str, &len, &err) == OQ_ERR_MODEL);
  CHECK(oq_attr_tensor(n, "auto_pad", &t, &err) == OQ_ERR_MODEL && t == NULL);
  CHECK(oq_attr_float(n, "group", 0.0f, &f, NULL) == OQ_ERR_MODEL); /* NULL err is allowed */
  CHECK(oq_attr_find(NULL, "group") == NULL);
  arena_free();
}

/* ---- model-level: fingerprint, inputs/outputs, describe ------------------------------------------------- */

static oq_model *load_fixture(const char *name) {
  char path[1024];
  oq_error err;
  oq_model *m = NULL;
  snprintf(path, sizeof path, "%s/tests/fixtures/graph/%s", ONNXQ_SOURCE_DIR, name);
  if (oq_model_load(path, &m, &err) != OQ_OK) {
    fprintf(stderr, "load %s: %s\n", path, err.msg);
    return NULL;
  }
  return m;
}

OQ_TEST(fingerprint) {
  oq_model *a = load_fixture("small.onnx"), *a2 = load_fixture("small.onnx");
  oq_model *doc = load_fixture("small_doc.onnx"), *ext = load_fixture("small_ext.onnx");
  oq_model *w = load_fixture("small_w.onnx");
  REQUIRE(a && a2 && doc && ext && w);
  uint64_t fa = oq_model_fingerprint(a);
  CHECK(fa != 0);
  CHECK(fa == oq_model_fingerprint(a));   /* repeatable */
  CHECK(fa == oq_model_fingerprint(a2));  /* stable across loads */
  CHECK(fa == oq_model_fingerprint(doc)); /* doc strings, producer, metadata do not count */
  CHECK(fa == oq_model_fingerprint(ext)); /* external vs inline storage does not count */
  CHECK(fa != oq_model_fingerprint(w));   /* a weight does */
  CHECK(oq_model_fingerprint(NULL) == 0);
  oq_model_free(a);
  oq_model_free(a2);
  oq_model_free(doc);
  oq_model_free(ext);
  oq_model_free(w);
}

OQ_TEST(fingerprint_typed_vs_raw) {
  /* the same weights in float_data (builder) and in raw_data give the same fingerprint */
  oq_model *m1 = wrap(chain_model());
  REQUIRE(m1);
  arena_free();
  Onnx__ModelProto *p = chain_model();
  Onnx__TensorProto *t = p->graph->initializer[0];
  t->n_float_data = 0;
  t->has_raw_data = 1;
  t->raw_data.len = sizeof k_w;
  t->raw_data.data = arena_alloc(sizeof k_w);
  memcpy(t->raw_data.data, k_w, sizeof k_w); /* the host is little-endian, as ONNX raw data */
  oq_model *m2 = wrap(p);
  REQUIRE(m2);
  CHECK(oq_model_fingerprint(m1) == oq_model_fingerprint(m2));
  /* changing an attribute changes it */
  Onnx__AttributeProto *a = add_attr(p->graph->node[0], "axis", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  a->has_i = 1;
  a->i = 1;
  oq_model *m3 = wrap(p);
  REQUIRE(m3);
  CHECK(oq_model_fingerprint(m1) != oq_model_fingerprint(m3));
  oq_model_free(m1);
  oq_model_free(m2);
  oq_model_free(m3);
  arena_free();
}

OQ_TEST(inputs_outputs) {
  oq_model *m = wrap(chain_model());
  arena_free();
  REQUIRE(m);
  CHECK(oq_model_input_count(m) == 1);
  CHECK(oq_model_input_name(m, 0) && strcmp(oq_model_input_name(m, 0), "x") == 0);
  CHECK(oq_model_input_name(m, 1) == NULL && oq_model_input_name(m, -1) == NULL);
  CHECK(oq_model_output_count(m) == 1);
  CHECK(oq_model_output_name(m, 0) && strcmp(oq_model_output_name(m, 0), "y") == 0);
  CHECK(oq_model_output_name(m, 1) == NULL);
  CHECK(oq_model_input_count(NULL) == 0 && oq_model_output_name(NULL, 0) == NULL);
  oq_model_free(m);
}

OQ_TEST(describe) {
  oq_error err;
  oq_model *m = load_fixture("small.onnx");
  REQUIRE(m);
  char *json = NULL, *text = NULL;
  REQUIRE_OK(oq_model_describe(m, 1, &json, &err));
  REQUIRE_OK(oq_model_describe(m, 0, &text, &err));
  static const char *keys[] = {"\"ir_version\":8",
                               "\"producer\":{\"name\":\"fixture-gen\",\"version\":\"1.0\"}",
                               "\"opsets\":[{\"domain\":\"ai.onnx\",\"version\":13}]",
                               "\"inputs\":[{\"name\":\"x\",\"dtype\":\"float32\",\"shape\":[\"N\",1,4,4]}]",
                               "\"outputs\":[{\"name\":\"y\"",
                               "\"ops\":{\"Add\":1,\"Conv\":1,\"Relu\":1}",
                               "\"initializers\":{\"float32\":{\"count\":2,\"bytes\":80}}",
                               "\"parameters\":20",
                               "\"fingerprint\":\"",
                               "\"unsupported_ops\":["};
  for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
    if (!strstr(json, keys[i])) {
      fprintf(stderr, "missing %s in %s\n", keys[i], json);
      oq_test_failed = 1;
    }
  char fp[17];
  snprintf(fp, sizeof fp, "%016llx", (unsigned long long)oq_model_fingerprint(m));
  CHECK(strstr(json, fp) != NULL);
  CHECK(strstr(text, fp) != NULL);
  CHECK(strstr(text, "producer      fixture-gen 1.0") != NULL);
  CHECK(strstr(text, "[N, 1, 4, 4]") != NULL);
  CHECK(strstr(text, "parameters    20") != NULL);
  free(json);
  free(text);
  oq_model_free(m);

  /* escaping: the builder's producer name has a quote and a newline */
  m = wrap(chain_model());
  arena_free();
  REQUIRE(m);
  REQUIRE_OK(oq_model_describe(m, 1, &json, &err));
  CHECK(strstr(json, "\"name\":\"test \\\"builder\\\"\\n\"") != NULL);
  CHECK(strstr(json, "\"ops\":{\"Add\":1,\"Mul\":1,\"Relu\":1}") != NULL);
  CHECK(strchr(json, '\n') == json + strlen(json) - 1); /* one line */
  free(json);
  oq_model_free(m);
  CHECK(oq_model_describe(NULL, 1, &json, &err) == OQ_ERR_INVALID_ARG && json == NULL);
}

OQ_TEST_MAIN()
