/* If through the scoped index and the executor: branches reading outer values and initializers, nested Ifs,
 * branches returning different shapes, outer values as branch outputs, observer scopes, and hostile nodes
 * (branch output counts, missing branches, bad conditions, unsupported ops inside a branch). Models are built in C;
 * expected numbers are written out by hand. */
#include "oq_test.h"

#include "calib/calib.h"
#include "exec/exec.h"

#include "proto_builder.h"

static const int64_t k3[] = {3};
static const float k_w[] = {1, 2, 3};
static const float k_b[] = {10, 20, 30};

/* Loads a builder proto as a model (NULL and a message on failure). */
static oq_model *load(Onnx__ModelProto *m) {
  oq_model *model = wrap(m);
  arena_free();
  return model;
}

static Onnx__GraphProto *unary_branch(const char *op, const char *name, const char *in, const char *out) {
  gspec *b = new_spec();
  b->nodes[b->n_nodes++] = mk_node(op, name, in, out);
  b->outputs[b->n_outputs++] = mk_vi(out, OQ_DTYPE_FLOAT, -1, NULL);
  return mk_graph(b, name);
}

/* Main graph inputs c (bool scalar), x (float [3]), then the caller's nodes. */
static gspec *main_spec(void) {
  gspec *s = new_spec();
  s->inputs[s->n_inputs++] = mk_vi("c", OQ_DTYPE_BOOL, 0, NULL);
  s->inputs[s->n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k3);
  return s;
}

static void set_bool(oq_tensor *t, uint8_t *storage, uint8_t v) {
  memset(t, 0, sizeof *t);
  *storage = v;
  t->dtype = OQ_DTYPE_BOOL;
  t->ndim = 0;
  t->data = storage;
  t->nbytes = 1;
}

static void set_floats(oq_tensor *t, float *data, int64_t n) {
  memset(t, 0, sizeof *t);
  t->dtype = OQ_DTYPE_FLOAT;
  t->ndim = 1;
  t->dims[0] = n;
  t->data = data;
  t->nbytes = (size_t)n * sizeof(float);
}

static int equals(const oq_tensor *t, const float *want, int64_t n) {
  if (t->dtype != OQ_DTYPE_FLOAT || t->ndim != 1 || t->dims[0] != n || !t->owns_data) return 0;
  const float *p = t->data;
  for (int64_t i = 0; i < n; i++)
    if (p[i] != want[i]) {
      fprintf(stderr, "element %lld: got %g, want %g\n", (long long)i, p[i], want[i]);
      return 0;
    }
  return 1;
}

/* If listed before the Relu producing a, which only the branches read (an implicit input of the If):
 *   then: t = Add(a, w); out = Add(t, b)   (w a main-graph initializer, b the branch's own initializer)
 *   else: out = Mul(x, w) */
static Onnx__ModelProto *outer_model(void) {
  gspec *s = main_spec(), *t = new_spec(), *e = new_spec();
  t->nodes[t->n_nodes++] = mk_node("Add", "t_add", "a,w", "t");
  t->nodes[t->n_nodes++] = mk_node("Add", "t_bias", "t,b", "t_out");
  t->inits[t->n_inits++] = mk_init("b", 1, k3, k_b, 3);
  t->outputs[t->n_outputs++] = mk_vi("t_out", OQ_DTYPE_FLOAT, -1, NULL);
  e->nodes[e->n_nodes++] = mk_node("Mul", "e_mul", "x,w", "e_out");
  e->outputs[e->n_outputs++] = mk_vi("e_out", OQ_DTYPE_FLOAT, -1, NULL);
  Onnx__NodeProto *n = mk_node("If", "if", "c", "y");
  add_graph_attr(n, "then_branch", mk_graph(t, "then"));
  add_graph_attr(n, "else_branch", mk_graph(e, "else"));
  s->nodes[s->n_nodes++] = n;
  s->nodes[s->n_nodes++] = mk_node("Relu", "relu", "x", "a");
  s->inits[s->n_inits++] = mk_init("w", 1, k3, k_w, 3);
  s->outputs[s->n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k3);
  return mk_model(s);
}

OQ_TEST(outer_values_and_initializers) {
  oq_error err = {0};
  oq_plan *plan = NULL;
  oq_model *model = load(outer_model());
  REQUIRE(model);
  REQUIRE_OK(oq_plan_build(model, &plan, &err));
  float xs[3] = {-1, 2, -3};
  uint8_t cb;
  oq_tensor in[2], out[1] = {{0}};
  set_floats(&in[1], xs, 3);
  static const float want_then[] = {11, 24, 33}; /* relu(x) + w + b */
  static const float want_else[] = {-1, 4, -9};  /* x * w */
  for (int round = 0; round < 2; round++) {
    set_bool(&in[0], &cb, 1);
    REQUIRE_OK(oq_plan_run(plan, in, out, NULL, NULL, &err));
    CHECK(equals(&out[0], want_then, 3));
    oq_tensor_release(&out[0]);
    set_bool(&in[0], &cb, 0);
    REQUIRE_OK(oq_plan_run(plan, in, out, NULL, NULL, &err));
    CHECK(equals(&out[0], want_else, 3));
    oq_tensor_release(&out[0]);
  }
  oq_plan_free(plan);
  oq_model_free(model);
}

/* then: If(c2) { Neg(x) } else { Relu(x) };  else: Identity(x) */
OQ_TEST(nested_if) {
  oq_error err = {0};
  oq_plan *plan = NULL;
  gspec *s = main_spec(), *mid = new_spec();
  s->inputs[s->n_inputs++] = mk_vi("c2", OQ_DTYPE_BOOL, 0, NULL);
  Onnx__NodeProto *inner = mk_node("If", "inner", "c2", "m");
  add_graph_attr(inner, "then_branch", unary_branch("Neg", "neg", "x", "n"));
  add_graph_attr(inner, "else_branch", unary_branch("Relu", "relu", "x", "r"));
  mid->nodes[mid->n_nodes++] = inner;
  mid->outputs[mid->n_outputs++] = mk_vi("m", OQ_DTYPE_FLOAT, -1, NULL);
  Onnx__NodeProto *outer = mk_node("If", "outer", "c", "y");
  add_graph_attr(outer, "then_branch", mk_graph(mid, "mid"));
  add_graph_attr(outer, "else_branch", unary_branch("Identity", "id", "x", "i"));
  s->nodes[s->n_nodes++] = outer;
  s->outputs[s->n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k3);
  oq_model *model = load(mk_model(s));
  REQUIRE(model);
  REQUIRE_OK(oq_plan_build(model, &plan, &err));
  float xs[3] = {-1, 2, -3};
  uint8_t c1, c2;
  oq_tensor in[3], out[1] = {{0}};
  set_floats(&in[1], xs, 3);
  static const float neg[] = {1, -2, 3}, relu[] = {0, 2, 0}, same[] = {-1, 2, -3};
  const float *want[4] = {same, same, relu, neg}; /* (c, c2) = 00, 01, 10, 11 */
  for (int k = 0; k < 4; k++) {
    set_bool(&in[0], &c1, (uint8_t)(k >> 1));
    set_bool(&in[2], &c2, (uint8_t)(k & 1));
    REQUIRE_OK(oq_plan_run(plan, in, out, NULL, NULL, &err));
    CHECK(equals(&out[0], want[k], 3));
    oq_tensor_release(&out[0]);
  }
  oq_plan_free(plan);
  oq_model_free(model);
}

/* then: (x as it is, the branch initializer k) — outer value and constant returned directly (copied out);
 * else: (Concat(x, x) of 6 elements, Neg(x)) — the first output's shape differs per branch */
OQ_TEST(branch_shapes_and_direct_outputs) {
  oq_error err = {0};
  oq_plan *plan = NULL;
  gspec *s = main_spec(), *t = new_spec(), *e = new_spec();
  t->inits[t->n_inits++] = mk_init("k", 1, k3, k_b, 3);
  t->outputs[t->n_outputs++] = mk_vi("x", OQ_DTYPE_FLOAT, -1, NULL);
  t->outputs[t->n_outputs++] = mk_vi("k", OQ_DTYPE_FLOAT, -1, NULL);
  Onnx__NodeProto *cat = mk_node("Concat", "cat", "x,x", "xx");
  Onnx__AttributeProto *ax = add_attr(cat, "axis", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  ax->has_i = 1;
  ax->i = 0;
  e->nodes[e->n_nodes++] = cat;
  e->nodes[e->n_nodes++] = mk_node("Neg", "neg", "x", "nx");
  e->outputs[e->n_outputs++] = mk_vi("xx", OQ_DTYPE_FLOAT, -1, NULL);
  e->outputs[e->n_outputs++] = mk_vi("nx", OQ_DTYPE_FLOAT, -1, NULL);
  Onnx__NodeProto *n = mk_node("If", "if", "c", "y,z");
  add_graph_attr(n, "then_branch", mk_graph(t, "then"));
  add_graph_attr(n, "else_branch", mk_graph(e, "else"));
  s->nodes[s->n_nodes++] = n;
  s->nodes[s->n_nodes++] = mk_node("Relu", "after", "z", "rz"); /* reads an If output in the main graph */
  s->outputs[s->n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, -1, NULL);
  s->outputs[s->n_outputs++] = mk_vi("rz", OQ_DTYPE_FLOAT, -1, NULL);
  oq_model *model = load(mk_model(s));
  REQUIRE(model);
  REQUIRE_OK(oq_plan_build(model, &plan, &err));
  float xs[3] = {-1, 2, -3};
  uint8_t cb;
  oq_tensor in[2], out[2] = {{0}};
  set_floats(&in[1], xs, 3);
  set_bool(&in[0], &cb, 1);
  REQUIRE_OK(oq_plan_run(plan, in, out, NULL, NULL, &err));
  CHECK(equals(&out[0], xs, 3) && out[0].data != (void *)xs); /* a copy of the fed input */
  CHECK(equals(&out[1], k_b, 3));                             /* relu(k) */
  oq_tensor_release(&out[0]);
  oq_tensor_release(&out[1]);
  set_bool(&in[0], &cb, 0);
  REQUIRE_OK(oq_plan_run(plan, in, out, NULL, NULL, &err));
  static const float xx[] = {-1, 2, -3, -1, 2, -3}, rnx[] = {1, 0, 3};
  CHECK(equals(&out[0], xx, 6));
  CHECK(equals(&out[1], rnx, 3));
  oq_tensor_release(&out[0]);
  oq_tensor_release(&out[1]);
  oq_plan_free(plan);
  oq_model_free(model);
}

/* The node omits its trailing output: the branch still computes both, the second is dropped. */
OQ_TEST(omitted_trailing_output) {
  oq_error err = {0};
  oq_plan *plan = NULL;
  gspec *s = main_spec(), *t = new_spec(), *e = new_spec();
  t->nodes[t->n_nodes++] = mk_node("Neg", "neg", "x", "n");
  t->nodes[t->n_nodes++] = mk_node("Relu", "relu", "x", "r");
  t->outputs[t->n_outputs++] = mk_vi("n", OQ_DTYPE_FLOAT, -1, NULL);
  t->outputs[t->n_outputs++] = mk_vi("r", OQ_DTYPE_FLOAT, -1, NULL);
  e->outputs[e->n_outputs++] = mk_vi("x", OQ_DTYPE_FLOAT, -1, NULL);
  e->outputs[e->n_outputs++] = mk_vi("x", OQ_DTYPE_FLOAT, -1, NULL);
  Onnx__NodeProto *n = mk_node("If", "if", "c", "y,");
  add_graph_attr(n, "then_branch", mk_graph(t, "then"));
  add_graph_attr(n, "else_branch", mk_graph(e, "else"));
  s->nodes[s->n_nodes++] = n;
  s->outputs[s->n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k3);
  oq_model *model = load(mk_model(s));
  REQUIRE(model);
  REQUIRE_OK(oq_plan_build(model, &plan, &err));
  float xs[3] = {-1, 2, -3};
  uint8_t cb;
  oq_tensor in[2], out[1] = {{0}};
  set_floats(&in[1], xs, 3);
  static const float neg[] = {1, -2, 3};
  for (int c = 1; c >= 0; c--) {
    set_bool(&in[0], &cb, (uint8_t)c);
    REQUIRE_OK(oq_plan_run(plan, in, out, NULL, NULL, &err));
    CHECK(equals(&out[0], c ? neg : xs, 3));
    oq_tensor_release(&out[0]);
  }
  oq_plan_free(plan);
  oq_model_free(model);
}

/* Plans mk_model(s) and expects the build to fail with code and msg. */
static void expect_plan_error(gspec *s, oq_status code, const char *msg) {
  oq_error err = {0};
  oq_plan *plan = NULL;
  oq_model *model = load(mk_model(s));
  REQUIRE(model);
  CHECK(oq_plan_build(model, &plan, &err) == code && plan == NULL);
  if (!strstr(err.msg, msg)) {
    fprintf(stderr, "expected '%s' in: %s\n", msg, err.msg);
    oq_test_failed = 1;
  }
  oq_model_free(model);
}

OQ_TEST(hostile_nodes) {
  /* a branch with more outputs than the node */
  gspec *s = main_spec(), *t = new_spec();
  t->nodes[t->n_nodes++] = mk_node("Neg", "neg", "x", "a");
  t->outputs[t->n_outputs++] = mk_vi("a", OQ_DTYPE_FLOAT, -1, NULL);
  t->outputs[t->n_outputs++] = mk_vi("x", OQ_DTYPE_FLOAT, -1, NULL);
  Onnx__NodeProto *n = mk_node("If", "if", "c", "y");
  add_graph_attr(n, "then_branch", mk_graph(t, "then"));
  add_graph_attr(n, "else_branch", unary_branch("Relu", "r", "x", "e"));
  s->nodes[s->n_nodes++] = n;
  s->outputs[s->n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k3);
  expect_plan_error(s, OQ_ERR_MODEL, "node 'if' (If, domain '', opset 13): then_branch has 2 outputs, the node 1");
  /* fewer outputs than the node */
  s = main_spec();
  n = mk_node("If", "if", "c", "y,z");
  add_graph_attr(n, "then_branch", unary_branch("Neg", "neg", "x", "a"));
  add_graph_attr(n, "else_branch", unary_branch("Relu", "r", "x", "e"));
  s->nodes[s->n_nodes++] = n;
  s->outputs[s->n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k3);
  expect_plan_error(s, OQ_ERR_MODEL, "then_branch has 1 outputs, the node 2");
  /* a missing branch */
  s = main_spec();
  n = mk_node("If", "if", "c", "y");
  add_graph_attr(n, "then_branch", unary_branch("Neg", "neg", "x", "a"));
  s->nodes[s->n_nodes++] = n;
  s->outputs[s->n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k3);
  expect_plan_error(s, OQ_ERR_MODEL, "required attribute 'else_branch' is missing");
  /* a branch declaring inputs */
  s = main_spec();
  t = new_spec();
  t->inputs[t->n_inputs++] = mk_vi("p", OQ_DTYPE_FLOAT, 1, k3);
  t->nodes[t->n_nodes++] = mk_node("Neg", "neg", "p", "a");
  t->outputs[t->n_outputs++] = mk_vi("a", OQ_DTYPE_FLOAT, -1, NULL);
  n = mk_node("If", "if", "c", "y");
  add_graph_attr(n, "then_branch", unary_branch("Neg", "neg", "x", "a"));
  add_graph_attr(n, "else_branch", mk_graph(t, "else"));
  s->nodes[s->n_nodes++] = n;
  s->outputs[s->n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k3);
  expect_plan_error(s, OQ_ERR_MODEL, "else_branch declares 1 inputs, If branches take none");
  /* an unsupported op inside a branch names the If, the attribute and the inner node */
  s = main_spec();
  n = mk_node("If", "if", "c", "y");
  add_graph_attr(n, "then_branch", unary_branch("Neg", "neg", "x", "a"));
  add_graph_attr(n, "else_branch", unary_branch("NoSuchOp", "bad", "x", "e"));
  s->nodes[s->n_nodes++] = n;
  s->outputs[s->n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k3);
  expect_plan_error(s, OQ_ERR_UNSUPPORTED,
                    "node 'if' (If, domain '', opset 13): attribute 'else_branch': node 'bad' (NoSuchOp, domain '', "
                    "opset 13): operator not supported");
}

OQ_TEST(bad_condition) {
  oq_error err = {0};
  oq_plan *plan = NULL;
  oq_model *model = load(outer_model());
  REQUIRE(model);
  REQUIRE_OK(oq_plan_build(model, &plan, &err));
  float xs[3] = {-1, 2, -3}, two[2] = {1, 1};
  uint8_t many[2] = {1, 0};
  oq_tensor in[2], out[1] = {{0}};
  set_floats(&in[1], xs, 3);
  /* the graph input declares a bool scalar: a float is refused before the If runs */
  set_floats(&in[0], two, 1);
  CHECK(oq_plan_run(plan, in, out, NULL, NULL, &err) == OQ_ERR_SHAPE && out[0].data == NULL);
  oq_plan_free(plan);
  oq_model_free(model);
  /* without a declared type the kernel checks: dtype, then element count */
  gspec *s = new_spec();
  s->inputs[s->n_inputs++] = mk_vi("c", OQ_DTYPE_UNDEFINED, -1, NULL);
  s->inputs[s->n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k3);
  Onnx__NodeProto *n = mk_node("If", "if", "c", "y");
  add_graph_attr(n, "then_branch", unary_branch("Neg", "neg", "x", "a"));
  add_graph_attr(n, "else_branch", unary_branch("Relu", "r", "x", "e"));
  s->nodes[s->n_nodes++] = n;
  s->outputs[s->n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k3);
  model = load(mk_model(s));
  REQUIRE(model);
  REQUIRE_OK(oq_plan_build(model, &plan, &err));
  set_floats(&in[0], two, 1);
  CHECK(oq_plan_run(plan, in, out, NULL, NULL, &err) == OQ_ERR_MODEL);
  CHECK(strstr(err.msg, "node 'if' (If)") && strstr(err.msg, "cond must be a bool tensor, got float32"));
  memset(&in[0], 0, sizeof in[0]);
  in[0].dtype = OQ_DTYPE_BOOL;
  in[0].ndim = 1;
  in[0].dims[0] = 2;
  in[0].data = many;
  in[0].nbytes = 2;
  CHECK(oq_plan_run(plan, in, out, NULL, NULL, &err) == OQ_ERR_MODEL);
  CHECK(strstr(err.msg, "cond must hold exactly one element, it holds 2"));
  CHECK(out[0].data == NULL);
  oq_plan_free(plan);
  oq_model_free(model);
}

/* Observer state: every (scope, id) seen, at most 64. */
typedef struct scoped_seen {
  const oq_graph *scope[64];
  int32_t id[64];
  int n;
} scoped_seen;

static oq_status observe(void *user, const oq_graph *scope, int32_t value_id, const oq_tensor *t, oq_error *err) {
  (void)t;
  (void)err;
  scoped_seen *s = user;
  if (s->n < 64) {
    s->scope[s->n] = scope;
    s->id[s->n++] = value_id;
  }
  return OQ_OK;
}

static int saw(const scoped_seen *s, const oq_graph *scope, const char *name) {
  int32_t id = oq_graph_find(scope, name);
  for (int i = 0; i < s->n; i++)
    if (s->scope[i] == scope && s->id[i] == id) return 1;
  return 0;
}

OQ_TEST(observer_sees_scopes) {
  oq_error err = {0};
  oq_plan *plan = NULL;
  oq_model *model = load(outer_model());
  REQUIRE(model);
  REQUIRE_OK(oq_plan_build(model, &plan, &err));
  const oq_graph *g = &model->graph, *then_g = g->nodes[0].subgraphs[0].graph;
  float xs[3] = {-1, 2, -3};
  uint8_t cb;
  oq_tensor in[2];
  set_floats(&in[1], xs, 3);
  set_bool(&in[0], &cb, 1);
  scoped_seen s;
  memset(&s, 0, sizeof s);
  REQUIRE_OK(oq_plan_run(plan, in, NULL, observe, &s, &err));
  /* main: c, x, a, y; then-branch: t, t_out (its outer references a, w are not observed again) */
  CHECK(s.n == 6);
  CHECK(saw(&s, g, "c") && saw(&s, g, "x") && saw(&s, g, "a") && saw(&s, g, "y"));
  CHECK(saw(&s, then_g, "t") && saw(&s, then_g, "t_out") && !saw(&s, then_g, "a"));
  /* calibration statistics cover the main graph: branch values do not land in its arrays */
  oq_calib_stats st;
  REQUIRE_OK(oq_calib_stats_init(&st, g->n_values, NULL, &err));
  REQUIRE_OK(oq_calib_stats_bind(&st, model, &err));
  REQUIRE_OK(oq_plan_run(plan, in, NULL, oq_calib_observe, &st, &err));
  int32_t y = oq_calib_stats_find(&st, "y"), a = oq_calib_stats_find(&st, "a");
  REQUIRE(y >= 0 && a >= 0);
  CHECK(st.seen[y] == 1 && st.min[y] == 11 && st.max[y] == 33);
  CHECK(st.seen[a] == 1 && st.min[a] == 0 && st.max[a] == 2);
  int64_t total = 0;
  for (int32_t v = 0; v < st.n_values; v++) total += st.seen[v];
  CHECK(total == 3); /* x, a, y (c is bool: non_float) */
  oq_calib_stats_free(&st);
  oq_plan_free(plan);
  oq_model_free(model);
}
OQ_TEST_MAIN()
