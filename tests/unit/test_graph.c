/* Graph index, attributes, fingerprint and describe. Small graphs are built in C (protoc-c structs from a test
 * arena); fingerprint cases load the fixtures made by tests/fixtures/graph/make_fixtures.py. */
#include "oq_test.h"

#include "model/graph.h"
#include "model/model.h"

#include <stdint.h>

#include "proto_builder.h"

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

/* ---- scopes: subgraph indexes ---------------------------------------------------------------------------- */

static const int64_t k_one[] = {1};

/* A Relu-only branch graph named name: inputs none, node Relu(in) -> out, graph output out. */
static Onnx__GraphProto *relu_branch(const char *name, const char *node, const char *in, const char *out) {
  gspec *b = new_spec();
  b->nodes[b->n_nodes++] = mk_node("Relu", node, in, out);
  b->outputs[b->n_outputs++] = mk_vi(out, OQ_DTYPE_FLOAT, -1, NULL);
  return mk_graph(b, name);
}

/* main:  If(c) listed first, then a = Relu(x); w an initializer; y = If output.
 * then:  If(c2) -> t  (nested), whose then-branch reads a and w (two levels up) and else-branch reads x;
 * else:  e = Relu(a). */
static Onnx__ModelProto *nested_model(void) {
  static gspec s;
  memset(&s, 0, sizeof s);
  gspec *mid = new_spec();
  gspec *inner_then = new_spec();
  inner_then->nodes[inner_then->n_nodes++] = mk_node("Add", "inner_add", "a,w", "it");
  inner_then->outputs[inner_then->n_outputs++] = mk_vi("it", OQ_DTYPE_FLOAT, -1, NULL);
  Onnx__NodeProto *inner_if = mk_node("If", "inner_if", "c2", "t");
  add_graph_attr(inner_if, "then_branch", mk_graph(inner_then, "inner_then"));
  add_graph_attr(inner_if, "else_branch", relu_branch("inner_else", "inner_relu", "x", "ie"));
  mid->nodes[mid->n_nodes++] = inner_if;
  mid->outputs[mid->n_outputs++] = mk_vi("t", OQ_DTYPE_FLOAT, -1, NULL);
  Onnx__NodeProto *outer_if = mk_node("If", "outer_if", "c", "y");
  add_graph_attr(outer_if, "then_branch", mk_graph(mid, "mid"));
  add_graph_attr(outer_if, "else_branch", relu_branch("outer_else", "else_relu", "a", "e"));
  s.nodes[s.n_nodes++] = outer_if;
  s.nodes[s.n_nodes++] = mk_node("Relu", "relu", "x", "a");
  s.inputs[s.n_inputs++] = mk_vi("c", OQ_DTYPE_BOOL, 0, NULL);
  s.inputs[s.n_inputs++] = mk_vi("c2", OQ_DTYPE_BOOL, 0, NULL);
  s.inputs[s.n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.outputs[s.n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.inits[s.n_inits++] = mk_init("w", 1, k_w_dims, k_w, 3);
  return mk_model(&s);
}

/* The OUTER value of scope g called name, checked to point at `want_id` of g's parent. */
static int is_outer_of_parent(const oq_graph *g, const char *name, int32_t want_id) {
  int32_t v = oq_graph_find(g, name);
  if (v < 0 || g->values[v].kind != OQ_VALUE_OUTER) return 0;
  return g->values[v].outer_scope == g->parent && g->values[v].outer_id == want_id && g->values[v].producer == -1;
}

static int has_implicit(const oq_node *n, int32_t v) {
  for (int32_t k = 0; k < n->n_implicit; k++)
    if (n->implicit[k] == v) return 1;
  return 0;
}

OQ_TEST(scope_outer_two_levels) {
  oq_error err;
  oq_graph g;
  REQUIRE_OK(oq_graph_build_model(nested_model(), &g, &err));
  int32_t a = oq_graph_find(&g, "a"), w = oq_graph_find(&g, "w"), x = oq_graph_find(&g, "x");
  int32_t c2 = oq_graph_find(&g, "c2");
  REQUIRE(a >= 0 && w >= 0 && x >= 0 && c2 >= 0);
  CHECK(g.n_values == 6 && g.n_outer == 0 && g.parent == NULL && g.depth == 0); /* c, c2, x, w, y, a */
  const oq_node *outer_if = &g.nodes[0];
  REQUIRE(outer_if->n_subgraphs == 2);
  CHECK(strcmp(outer_if->subgraphs[0].attr, "then_branch") == 0 && outer_if->subgraphs[0].item == -1);
  CHECK(oq_node_subgraph(outer_if, "then_branch") == 0 && oq_node_subgraph(outer_if, "else_branch") == 1);
  CHECK(oq_node_subgraph(outer_if, "body") == -1 && oq_node_subgraph(&g.nodes[1], "then_branch") == -1);
  const oq_graph *mid = outer_if->subgraphs[0].graph, *oelse = outer_if->subgraphs[1].graph;
  CHECK(mid->parent == &g && mid->depth == 1 && oelse->parent == &g);
  /* mid reads c2 itself and forwards a, w (for inner_then) and x (for inner_else) */
  CHECK(mid->n_outer == 4);
  CHECK(is_outer_of_parent(mid, "c2", c2) && is_outer_of_parent(mid, "a", a));
  CHECK(is_outer_of_parent(mid, "w", w) && is_outer_of_parent(mid, "x", x));
  REQUIRE(mid->nodes[0].n_subgraphs == 2);
  const oq_graph *ithen = mid->nodes[0].subgraphs[0].graph, *ielse = mid->nodes[0].subgraphs[1].graph;
  CHECK(ithen->depth == 2 && ithen->parent == mid);
  CHECK(is_outer_of_parent(ithen, "a", oq_graph_find(mid, "a")));
  CHECK(is_outer_of_parent(ithen, "w", oq_graph_find(mid, "w")));
  CHECK(is_outer_of_parent(ielse, "x", oq_graph_find(mid, "x")));
  /* types travel with the reference */
  int32_t wi = oq_graph_find(ithen, "w");
  CHECK(ithen->values[wi].dtype == OQ_DTYPE_FLOAT && ithen->values[wi].ndim == 1 &&
        ithen->values[wi].dims[0].value == 3);
  /* inner If: implicit inputs are mid's values a, w, x; c2 is its explicit input */
  CHECK(mid->nodes[0].n_implicit == 3 && has_implicit(&mid->nodes[0], oq_graph_find(mid, "a")));
  CHECK(mid->nodes[0].n_inputs == 1 && mid->nodes[0].inputs[0] == oq_graph_find(mid, "c2"));
  /* outer If: every main-graph value its branches read, once each (a is read by both branches) */
  CHECK(outer_if->n_implicit == 4);
  CHECK(has_implicit(outer_if, a) && has_implicit(outer_if, w) && has_implicit(outer_if, x) &&
        has_implicit(outer_if, c2));
  /* consumers and order: Relu (node 1) must run before the If (node 0) that reads a inside its branches */
  REQUIRE(g.values[a].n_consumers == 1);
  CHECK(g.values[a].consumers[0] == 0);
  CHECK(g.values[x].n_consumers == 2); /* Relu explicitly, the If implicitly */
  CHECK(g.topo[0] == 1 && g.topo[1] == 0);
  /* lexical lookup through the chain */
  int32_t id = -2;
  CHECK(oq_graph_resolve(ithen, "w", &id) == &g && id == w);
  CHECK(oq_graph_resolve(ithen, "it", &id) == ithen && id == oq_graph_find(ithen, "it"));
  CHECK(oq_graph_resolve(ithen, "e", &id) == NULL && id == -1); /* a sibling branch's value is not visible */
  oq_graph_free(&g);
  arena_free();
}

OQ_TEST(scope_shadowing) {
  oq_error err;
  oq_graph g;
  gspec s, *b = new_spec();
  memset(&s, 0, sizeof s);
  /* the branch defines its own a (an initializer) and its own x (a node output): both shadow the main graph's */
  static const float two[] = {2, 2, 2};
  b->inits[b->n_inits++] = mk_init("a", 1, k_w_dims, two, 3);
  b->nodes[b->n_nodes++] = mk_node("Neg", "neg", "w", "x");
  b->nodes[b->n_nodes++] = mk_node("Add", "add", "a,x", "t");
  b->outputs[b->n_outputs++] = mk_vi("t", OQ_DTYPE_FLOAT, -1, NULL);
  Onnx__NodeProto *n = mk_node("If", "if", "c", "y");
  add_graph_attr(n, "then_branch", mk_graph(b, "then"));
  add_graph_attr(n, "else_branch", relu_branch("else", "r", "a", "e"));
  s.nodes[s.n_nodes++] = mk_node("Relu", "relu", "x", "a");
  s.nodes[s.n_nodes++] = n;
  s.inputs[s.n_inputs++] = mk_vi("c", OQ_DTYPE_BOOL, 0, NULL);
  s.inputs[s.n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.outputs[s.n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.inits[s.n_inits++] = mk_init("w", 1, k_w_dims, k_w, 3);
  REQUIRE_OK(oq_graph_build_model(mk_model(&s), &g, &err));
  const oq_graph *t = g.nodes[1].subgraphs[0].graph;
  int32_t ta = oq_graph_find(t, "a"), tx = oq_graph_find(t, "x");
  REQUIRE(ta >= 0 && tx >= 0);
  CHECK(t->values[ta].kind == OQ_VALUE_INITIALIZER && t->values[ta].outer_scope == NULL);
  CHECK(t->values[tx].kind == OQ_VALUE_INTERMEDIATE && t->values[tx].outer_id == -1);
  CHECK(t->n_outer == 1 && is_outer_of_parent(t, "w", oq_graph_find(&g, "w")));
  int32_t id;
  CHECK(oq_graph_resolve(t, "a", &id) == t && id == ta);
  /* the If reads the main graph's w (then) and a (else), not x */
  CHECK(g.nodes[1].n_implicit == 2 && !has_implicit(&g.nodes[1], oq_graph_find(&g, "x")));
  CHECK(has_implicit(&g.nodes[1], oq_graph_find(&g, "a")));
  oq_graph_free(&g);
  arena_free();
}

/* Builds a model whose If node "if" has then_branch b and a trivial else branch, expecting an error. */
static void expect_branch_error(gspec *b, const char *msg) {
  gspec *s = new_spec();
  Onnx__NodeProto *n = mk_node("If", "if", "c", "y");
  add_graph_attr(n, "then_branch", mk_graph(b, "then"));
  add_graph_attr(n, "else_branch", relu_branch("else", "r", "x", "e"));
  s->nodes[s->n_nodes++] = n;
  s->inputs[s->n_inputs++] = mk_vi("c", OQ_DTYPE_BOOL, 0, NULL);
  s->inputs[s->n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s->outputs[s->n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k_w_dims);
  expect_error(s, OQ_ERR_MODEL, msg);
}

OQ_TEST(scope_hostile) {
  /* a name no scope defines */
  gspec *b = new_spec();
  b->nodes[b->n_nodes++] = mk_node("Add", "add", "x,ghost", "t");
  b->outputs[b->n_outputs++] = mk_vi("t", OQ_DTYPE_FLOAT, -1, NULL);
  expect_branch_error(b, "node 'if' (If) attribute 'then_branch': node 'add' (Add) input 'ghost' is not produced by "
                         "any node, initializer or graph input of its graph or an enclosing one");
  /* a value of the sibling branch is not in scope */
  b = new_spec();
  b->nodes[b->n_nodes++] = mk_node("Neg", "neg", "e", "t");
  b->outputs[b->n_outputs++] = mk_vi("t", OQ_DTYPE_FLOAT, -1, NULL);
  expect_branch_error(b, "node 'neg' (Neg) input 'e' is not produced");
  /* produced twice inside the branch */
  b = new_spec();
  b->nodes[b->n_nodes++] = mk_node("Neg", "n1", "x", "t");
  b->nodes[b->n_nodes++] = mk_node("Relu", "n2", "x", "t");
  b->outputs[b->n_outputs++] = mk_vi("t", OQ_DTYPE_FLOAT, -1, NULL);
  expect_branch_error(b, "attribute 'then_branch': value 't' is produced twice: by node 'n1' (Neg) and by node 'n2'");
  /* a cycle inside the branch */
  b = new_spec();
  b->nodes[b->n_nodes++] = mk_node("Add", "c1", "x,q", "p");
  b->nodes[b->n_nodes++] = mk_node("Neg", "c2", "p", "q");
  b->outputs[b->n_outputs++] = mk_vi("q", OQ_DTYPE_FLOAT, -1, NULL);
  expect_branch_error(b, "attribute 'then_branch': graph has a cycle through node 'c");
  /* a branch output nobody produces */
  b = new_spec();
  b->outputs[b->n_outputs++] = mk_vi("nothing", OQ_DTYPE_FLOAT, -1, NULL);
  expect_branch_error(b, "graph output 'nothing' is not produced by any node, initializer or graph input of its graph");
  /* a cycle through the If: the branch reads a value computed from the If's own output */
  gspec *s = new_spec();
  b = new_spec();
  b->nodes[b->n_nodes++] = mk_node("Neg", "neg", "z", "t");
  b->outputs[b->n_outputs++] = mk_vi("t", OQ_DTYPE_FLOAT, -1, NULL);
  Onnx__NodeProto *n = mk_node("If", "if", "c", "y");
  add_graph_attr(n, "then_branch", mk_graph(b, "then"));
  add_graph_attr(n, "else_branch", relu_branch("else", "r", "x", "e"));
  s->nodes[s->n_nodes++] = n;
  s->nodes[s->n_nodes++] = mk_node("Relu", "after", "y", "z");
  s->inputs[s->n_inputs++] = mk_vi("c", OQ_DTYPE_BOOL, 0, NULL);
  s->inputs[s->n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s->outputs[s->n_outputs++] = mk_vi("z", OQ_DTYPE_FLOAT, 1, k_w_dims);
  expect_error(s, OQ_ERR_MODEL, "graph has a cycle through node ");
}

OQ_TEST(scope_value_info_and_outputs) {
  oq_error err;
  oq_graph g;
  static const int64_t d23[] = {2, 3};
  gspec s, *b = new_spec();
  memset(&s, 0, sizeof s);
  b->nodes[b->n_nodes++] = mk_node("Neg", "neg", "x", "t");
  b->nodes[b->n_nodes++] = mk_node("Relu", "relu", "t", "u");
  b->vinfo[b->n_vinfo++] = mk_vi("t", OQ_DTYPE_FLOAT, 2, d23);    /* a branch value typed by the branch */
  b->vinfo[b->n_vinfo++] = mk_vi("x", OQ_DTYPE_FLOAT, 2, d23);    /* an outer value: known type kept */
  b->vinfo[b->n_vinfo++] = mk_vi("zz", OQ_DTYPE_FLOAT, 1, k_one); /* not in the branch: ignored */
  b->outputs[b->n_outputs++] = mk_vi("u", OQ_DTYPE_FLOAT, -1, NULL);
  b->outputs[b->n_outputs++] = mk_vi("x", OQ_DTYPE_FLOAT, -1, NULL); /* returns an outer value as it is */
  Onnx__NodeProto *n = mk_node("If", "if", "c", "y1,y2");
  add_graph_attr(n, "then_branch", mk_graph(b, "then"));
  add_graph_attr(n, "else_branch", relu_branch("else", "r", "x", "e"));
  s.nodes[s.n_nodes++] = n;
  s.inputs[s.n_inputs++] = mk_vi("c", OQ_DTYPE_BOOL, 0, NULL);
  s.inputs[s.n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.outputs[s.n_outputs++] = mk_vi("y1", OQ_DTYPE_FLOAT, -1, NULL);
  REQUIRE_OK(oq_graph_build_model(mk_model(&s), &g, &err));
  const oq_graph *t = g.nodes[0].subgraphs[0].graph;
  int32_t tt = oq_graph_find(t, "t"), tx = oq_graph_find(t, "x");
  CHECK(t->values[tt].dtype == OQ_DTYPE_FLOAT && t->values[tt].ndim == 2 && t->values[tt].dims[1].value == 3);
  CHECK(t->values[tt].vi != NULL);
  CHECK(t->values[tx].ndim == 1 && t->values[tx].dims[0].value == 3); /* from the main graph's input */
  CHECK(oq_graph_find(t, "zz") == -1);
  REQUIRE(t->n_outputs == 2);
  CHECK(t->outputs[1] == tx && t->values[tx].is_graph_output && t->values[tx].kind == OQ_VALUE_OUTER);
  CHECK(has_implicit(&g.nodes[0], oq_graph_find(&g, "x")));
  oq_graph_free(&g);
  arena_free();
}

OQ_TEST(scope_standalone_and_lists) {
  oq_error err;
  oq_graph g, sub;
  REQUIRE_OK(oq_graph_build_model(nested_model(), &g, &err));
  /* the innermost then-branch indexed on its own under the main graph: references point where the name lives */
  const Onnx__GraphProto *ithen_proto = g.nodes[0].subgraphs[0].graph->nodes[0].subgraphs[0].graph->proto;
  REQUIRE_OK(oq_graph_build(ithen_proto, g.opsets, g.n_opsets, &g, &sub, &err));
  int32_t a = oq_graph_find(&sub, "a");
  CHECK(sub.parent == &g && sub.depth == 1 && sub.n_outer == 2);
  CHECK(sub.values[a].outer_scope == &g && sub.values[a].outer_id == oq_graph_find(&g, "a"));
  CHECK(oq_graph_opset(&sub, "") == 13);
  oq_graph_free(&sub);
  /* without a parent the same graph has dangling names */
  memset(&err, 0, sizeof err);
  CHECK(oq_graph_build(ithen_proto, g.opsets, g.n_opsets, NULL, &sub, &err) == OQ_ERR_MODEL);
  CHECK(strstr(err.msg, "node 'inner_add' (Add) input 'a' is not produced by any node, initializer or graph input") &&
        !strstr(err.msg, "enclosing"));
  oq_graph_free(&g);
  arena_free();

  /* a GRAPHS attribute: one subgraph per list item */
  gspec s;
  memset(&s, 0, sizeof s);
  Onnx__NodeProto *n = mk_node("Custom", "multi", "x", "y");
  Onnx__AttributeProto *at = add_attr(n, "bodies", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS);
  at->n_graphs = 2;
  at->graphs = arena_alloc(2 * sizeof *at->graphs);
  at->graphs[0] = relu_branch("b0", "r0", "x", "o0");
  at->graphs[1] = relu_branch("b1", "r1", "q", "o1");
  s.nodes[s.n_nodes++] = n;
  s.inputs[s.n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.inputs[s.n_inputs++] = mk_vi("q", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.outputs[s.n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k_w_dims);
  REQUIRE_OK(oq_graph_build_model(mk_model(&s), &g, &err));
  REQUIRE(g.nodes[0].n_subgraphs == 2);
  CHECK(g.nodes[0].subgraphs[1].item == 1 && strcmp(g.nodes[0].subgraphs[1].attr, "bodies") == 0);
  CHECK(oq_node_subgraph(&g.nodes[0], "bodies") == -1); /* a list is not a single GRAPH attribute */
  CHECK(g.nodes[0].n_implicit == 2);
  oq_graph_free(&g);
  arena_free();
  /* an error in a list item names the item */
  memset(&s, 0, sizeof s);
  n = mk_node("Custom", "multi", "x", "y");
  at = add_attr(n, "bodies", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS);
  at->n_graphs = 2;
  at->graphs = arena_alloc(2 * sizeof *at->graphs);
  at->graphs[0] = relu_branch("b0", "r0", "x", "o0");
  at->graphs[1] = relu_branch("b1", "r1", "nope", "o1");
  s.nodes[s.n_nodes++] = n;
  s.inputs[s.n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
  s.outputs[s.n_outputs++] = mk_vi("y", OQ_DTYPE_FLOAT, 1, k_w_dims);
  expect_error(&s, OQ_ERR_MODEL, "node 'multi' (Custom) attribute 'bodies'[1]: node 'r1' (Relu) input 'nope'");
}

OQ_TEST(scope_depth_limit) {
  /* If nodes nested OQ_GRAPH_MAX_DEPTH levels deep are indexed; one more level is refused */
  for (int extra = 0; extra <= 1; extra++) {
    int levels = OQ_GRAPH_MAX_DEPTH + extra;
    Onnx__GraphProto *inner = relu_branch("leaf", "leaf", "x", "o");
    for (int i = 0; i < levels; i++) {
      gspec *b = new_spec();
      Onnx__NodeProto *n = mk_node("If", "if", "c", "o");
      add_graph_attr(n, "then_branch", inner);
      b->nodes[b->n_nodes++] = n;
      b->outputs[b->n_outputs++] = mk_vi("o", OQ_DTYPE_FLOAT, -1, NULL);
      inner = mk_graph(b, "level");
    }
    gspec *s = new_spec();
    for (size_t i = 0; i < inner->n_node; i++) s->nodes[s->n_nodes++] = inner->node[i];
    s->inputs[s->n_inputs++] = mk_vi("c", OQ_DTYPE_BOOL, 0, NULL);
    s->inputs[s->n_inputs++] = mk_vi("x", OQ_DTYPE_FLOAT, 1, k_w_dims);
    s->outputs[s->n_outputs++] = mk_vi("o", OQ_DTYPE_FLOAT, 1, k_w_dims);
    if (extra) {
      expect_error(s, OQ_ERR_MODEL, "subgraphs nested deeper than 64 levels");
    } else {
      oq_error err;
      oq_graph g;
      REQUIRE_OK(oq_graph_build_model(mk_model(s), &g, &err));
      const oq_graph *d = &g;
      while (d->n_nodes > 0 && d->nodes[0].n_subgraphs > 0) d = d->nodes[0].subgraphs[0].graph;
      CHECK(d->depth == OQ_GRAPH_MAX_DEPTH);
      CHECK(d->n_outer == 1 && d->values[oq_graph_find(d, "x")].outer_scope == d->parent);
      oq_graph_free(&g);
      arena_free();
    }
  }
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
  REQUIRE_OK(oq_model_describe(m, OQ_DESCRIBE_JSON, &json, &err));
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
  oq_free(json);
  oq_free(text);
  oq_model_free(m);

  /* escaping: the builder's producer name has a quote and a newline */
  m = wrap(chain_model());
  arena_free();
  REQUIRE(m);
  REQUIRE_OK(oq_model_describe(m, OQ_DESCRIBE_JSON, &json, &err));
  CHECK(strstr(json, "\"name\":\"test \\\"builder\\\"\\n\"") != NULL);
  CHECK(strstr(json, "\"ops\":{\"Add\":1,\"Mul\":1,\"Relu\":1}") != NULL);
  CHECK(strchr(json, '\n') == json + strlen(json) - 1); /* one line */
  oq_free(json);
  oq_model_free(m);
  CHECK(oq_model_describe(NULL, OQ_DESCRIBE_JSON, &json, &err) == OQ_ERR_INVALID_ARG && json == NULL);
}

OQ_TEST_MAIN()
