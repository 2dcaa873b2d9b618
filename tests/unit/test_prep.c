/* Preparation (src/prep): one case per opset-conversion rule (the converted node's form; numerically on the executor
 * where the result runs), the refusals naming the op, Constant nodes as initializers, Identity/Dropout removal,
 * BatchNormalization folding checked numerically, constant folding with its size cap. */
#include "oq_test.h"
#include "test_build.h"

#include "onnxq.h"
#include "prep/prep.h"

/* ---- helpers ----------------------------------------------------------------------------------------------------- */

/* A float input with a fixed shape (the converter reads ranks from it). */
static void input_shaped(tb_model *b, const char *name, int32_t ndim, const int64_t *dims) {
  Onnx__ValueInfoProto *vi = tb_float_vi(b, name);
  Onnx__TensorShapeProto *sh = oq_edit_alloc(b->ed, 1, sizeof *sh, NULL);
  Onnx__TensorShapeProto__Dimension **dd = oq_edit_alloc(b->ed, (size_t)ndim, sizeof *dd, NULL);
  onnx__tensor_shape_proto__init(sh);
  for (int32_t d = 0; d < ndim; d++) {
    dd[d] = oq_edit_alloc(b->ed, 1, sizeof *dd[d], NULL);
    onnx__tensor_shape_proto__dimension__init(dd[d]);
    dd[d]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    dd[d]->dim_value = dims[d];
  }
  sh->dim = dd;
  sh->n_dim = (size_t)ndim;
  vi->type->tensor_type->shape = sh;
  oq_edit_list_push(b->ed, &b->inputs, vi, NULL);
}

static void attr_int(tb_model *b, Onnx__NodeProto *n, const char *name, int64_t v) {
  oq_edit_attr_int(b->ed, n, name, v, NULL);
}

static void attr_generic(tb_model *b, Onnx__NodeProto *n, Onnx__AttributeProto *a) {
  Onnx__AttributeProto **aa = oq_edit_alloc(b->ed, n->n_attribute + 1, sizeof *aa, NULL);
  if (n->n_attribute) memcpy(aa, n->attribute, n->n_attribute * sizeof *aa);
  aa[n->n_attribute++] = a;
  n->attribute = aa;
}

static void attr_ints(tb_model *b, Onnx__NodeProto *n, const char *name, const int64_t *v, size_t count) {
  Onnx__AttributeProto *a = oq_edit_alloc(b->ed, 1, sizeof *a, NULL);
  onnx__attribute_proto__init(a);
  a->name = (char *)name;
  a->has_type = 1;
  a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
  a->ints = oq_edit_dup(b->ed, v, count * sizeof *v, NULL);
  a->n_ints = count;
  attr_generic(b, n, a);
}

static void attr_floats(tb_model *b, Onnx__NodeProto *n, const char *name, const float *v, size_t count) {
  Onnx__AttributeProto *a = oq_edit_alloc(b->ed, 1, sizeof *a, NULL);
  onnx__attribute_proto__init(a);
  a->name = (char *)name;
  a->has_type = 1;
  a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
  a->floats = oq_edit_dup(b->ed, v, count * sizeof *v, NULL);
  a->n_floats = count;
  attr_generic(b, n, a);
}

static void attr_str(tb_model *b, Onnx__NodeProto *n, const char *name, const char *s) {
  Onnx__AttributeProto *a = oq_edit_alloc(b->ed, 1, sizeof *a, NULL);
  onnx__attribute_proto__init(a);
  a->name = (char *)name;
  a->has_type = 1;
  a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
  a->has_s = 1;
  a->s.data = (uint8_t *)s;
  a->s.len = strlen(s);
  attr_generic(b, n, a);
}

/* Converts m to opset (fold off unless fold), frees m. NULL on failure, with the message in err. */
static oq_model *convert(oq_model *m, int64_t opset, int fold, oq_error *err) {
  oq_prep_options o;
  oq_prep_options_init(&o);
  o.opset = opset;
  o.fold = fold;
  oq_model *out = NULL;
  if (oq_prep_model(m, &o, &out, err) != OQ_OK) out = NULL;
  oq_model_free(m);
  return out;
}

/* "Op,Op,..." of the main graph, in order. */
static const char *ops(const oq_model *m) {
  static char buf[1024];
  buf[0] = 0;
  const Onnx__GraphProto *g = m->proto->graph;
  for (size_t i = 0; i < g->n_node; i++) {
    if (i) strcat(buf, ",");
    strcat(buf, g->node[i]->op_type);
  }
  return buf;
}

static const Onnx__NodeProto *node_of(const oq_model *m, const char *op) {
  const Onnx__GraphProto *g = m->proto->graph;
  for (size_t i = 0; i < g->n_node; i++)
    if (!strcmp(g->node[i]->op_type, op)) return g->node[i];
  return NULL;
}

static const Onnx__AttributeProto *attr(const Onnx__NodeProto *n, const char *name) {
  for (size_t i = 0; n && i < n->n_attribute; i++)
    if (!strcmp(n->attribute[i]->name, name)) return n->attribute[i];
  return NULL;
}

static int attr_is(const Onnx__NodeProto *n, const char *name, const char *s) {
  const Onnx__AttributeProto *a = attr(n, name);
  return a && a->s.len == strlen(s) && !memcmp(a->s.data, s, a->s.len);
}

/* The initializer feeding input slot of n, decoded (zeroed tensor when it is none). */
static oq_tensor init_of(const oq_model *m, const Onnx__NodeProto *n, size_t slot) {
  oq_tensor t;
  memset(&t, 0, sizeof t);
  oq_error err = {0};
  if (!n || slot >= n->n_input) return t;
  int32_t v = oq_graph_find(&m->graph, n->input[slot]);
  if (v < 0 || !m->graph.values[v].init) return t;
  if (oq_model_tensor_decode(m, m->graph.values[v].init, &t, &err) != OQ_OK) memset(&t, 0, sizeof t);
  return t;
}

static int64_t i64_at(const oq_tensor *t, int64_t k) { return ((const int64_t *)t->data)[k]; }
static float f32_at(const oq_tensor *t, int64_t k) { return ((const float *)t->data)[k]; }

static int64_t model_opset(const oq_model *m) { return oq_model_opset(m, ""); }

/* Runs m on one input filled with x (numel values); the first output into *y (caller releases). */
static int run1(const oq_model *m, int32_t ndim, const int64_t *dims, const float *x, oq_tensor *y) {
  oq_error err = {0};
  oq_session *s = NULL;
  oq_tensor in = {0};
  memset(y, 0, sizeof *y);
  if (oq_session_create(m, NULL, &s, &err) != OQ_OK) {
    fprintf(stderr, "session: %s\n", err.msg);
    return 0;
  }
  oq_tensor_alloc(&in, OQ_DTYPE_FLOAT, ndim, dims, &err);
  memcpy(in.data, x, in.nbytes);
  int ok = oq_session_run(s, 1, &in, 1, y, &err) == OQ_OK;
  if (!ok) fprintf(stderr, "run: %s\n", err.msg);
  oq_tensor_release(&in);
  oq_session_free(s);
  return ok;
}

static float ramp(int64_t i) { return (float)((i * 37) % 23) / 7.0f - 1.5f; }

/* ---- Softmax / LogSoftmax / Hardmax (13) --------------------------------------------------------------------- */

OQ_TEST(softmax13_last_axis_keeps_one_node) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  const int64_t d[2] = {2, 5};
  input_shaped(&b, "x", 2, d);
  tb_output(&b, "y");
  attr_int(&b, tb_node(&b, "Softmax", "sm", "x", "y"), "axis", 1);
  oq_model *m = convert(tb_finish(&b, 11), 13, 0, &err);
  REQUIRE(m);
  CHECK(!strcmp(ops(m), "Softmax"));
  CHECK(attr(node_of(m, "Softmax"), "axis")->i == -1);
  CHECK(model_opset(m) == 13);
  oq_model_free(m);
}

/* axis 1 of a rank-4 input: softmax over the flattened [d1*d2*d3], checked against a hand computation. */
OQ_TEST(softmax13_coerced_2d_written_out) {
  const char *opn[3] = {"Softmax", "LogSoftmax", "Hardmax"};
  for (int k = 0; k < 3; k++) {
    oq_error err = {0};
    tb_model b;
    tb_start(&b);
    const int64_t d[4] = {2, 3, 2, 2};
    input_shaped(&b, "x", 4, d);
    tb_output(&b, "y");
    tb_node(&b, opn[k], "sm", "x", "y"); /* axis default 1 before 13 */
    oq_model *m = convert(tb_finish(&b, 11), 13, 0, &err);
    REQUIRE(m);
    char want[64];
    snprintf(want, sizeof want, "Shape,Flatten,%s,Reshape", opn[k]);
    CHECK(!strcmp(ops(m), want));
    CHECK(attr(node_of(m, "Flatten"), "axis")->i == 1);
    CHECK(attr(node_of(m, opn[k]), "axis")->i == 1);
    float x[24];
    for (int i = 0; i < 24; i++) x[i] = ramp(i);
    oq_tensor y;
    REQUIRE(run1(m, 4, d, x, &y));
    CHECK(y.ndim == 4 && y.dims[1] == 3 && y.dims[3] == 2);
    for (int r = 0; r < 2; r++) {
      double mx = -1e30, sum = 0;
      int arg = 0;
      for (int i = 0; i < 12; i++)
        if (x[r * 12 + i] > mx) mx = x[r * 12 + i], arg = i;
      for (int i = 0; i < 12; i++) sum += exp(x[r * 12 + i] - mx);
      for (int i = 0; i < 12; i++) {
        double sm = exp(x[r * 12 + i] - mx) / sum;
        double want_v = k == 0 ? sm : k == 1 ? log(sm) : (i == arg ? 1.0 : 0.0);
        CHECK_NEAR(((float *)y.data)[r * 12 + i], want_v, 1e-5);
      }
    }
    oq_tensor_release(&y);
    oq_model_free(m);
  }
}

/* ---- legacy attributes of opsets 1..7 ------------------------------------------------------------------------ */

/* Add-6 broadcast=1 axis=1: B [3] aligned at axis 1 of A [2,3,2,2] -> B unsqueezed to [3,1,1]. */
OQ_TEST(legacy_broadcast7_axis) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  const int64_t d[4] = {2, 3, 2, 2}, bd[1] = {3};
  const float bv[3] = {10, 20, 30};
  input_shaped(&b, "x", 4, d);
  tb_init(&b, "b", 1, bd, bv);
  tb_output(&b, "y");
  Onnx__NodeProto *n = tb_node(&b, "Add", "add", "x,b", "y");
  attr_int(&b, n, "broadcast", 1);
  attr_int(&b, n, "axis", 1);
  oq_model *m = convert(tb_finish(&b, 6), 13, 0, &err);
  REQUIRE(m);
  CHECK(!strcmp(ops(m), "Unsqueeze,Add"));
  CHECK(!attr(node_of(m, "Add"), "broadcast") && !attr(node_of(m, "Add"), "axis"));
  oq_tensor axes = init_of(m, node_of(m, "Unsqueeze"), 1);
  CHECK(oq_tensor_numel(&axes) == 2 && i64_at(&axes, 0) == 1 && i64_at(&axes, 1) == 2);
  oq_tensor_release(&axes);
  float x[24] = {0};
  oq_tensor y;
  REQUIRE(run1(m, 4, d, x, &y));
  for (int i = 0; i < 24; i++) CHECK(((float *)y.data)[i] == bv[(i / 4) % 3]);
  oq_tensor_release(&y);
  oq_model_free(m);
  /* at a target below 13 the Unsqueeze takes its axes as an attribute */
  tb_start(&b);
  input_shaped(&b, "x", 4, d);
  tb_init(&b, "b", 1, bd, bv);
  tb_output(&b, "y");
  n = tb_node(&b, "Mul", "mul", "x,b", "y");
  attr_int(&b, n, "broadcast", 1);
  attr_int(&b, n, "axis", 1);
  m = convert(tb_finish(&b, 6), 11, 0, &err);
  REQUIRE(m);
  CHECK(attr(node_of(m, "Unsqueeze"), "axes") && node_of(m, "Unsqueeze")->n_input == 1);
  oq_model_free(m);
}

OQ_TEST(consumed_inputs6_dropped) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  tb_input(&b, "x");
  tb_output(&b, "y");
  attr_int(&b, tb_node(&b, "Relu", "r", "x", "y"), "consumed_inputs", 0);
  oq_model *m = convert(tb_finish(&b, 1), 13, 0, &err);
  REQUIRE(m);
  CHECK(node_of(m, "Relu")->n_attribute == 0);
  oq_model_free(m);
}

OQ_TEST(gemm7_broadcast_dropped_concat4_axis_cast6_to) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  tb_input(&b, "a");
  tb_input(&b, "w");
  tb_input(&b, "c");
  tb_output(&b, "y");
  tb_output(&b, "z");
  tb_output(&b, "k");
  attr_int(&b, tb_node(&b, "Gemm", "g", "a,w,c", "y"), "broadcast", 1);
  tb_node(&b, "Concat", "cat", "a,a", "z");
  attr_str(&b, tb_node(&b, "Cast", "cast", "a", "k"), "to", "DOUBLE");
  oq_model *m = convert(tb_finish(&b, 1), 13, 0, &err);
  REQUIRE(m);
  CHECK(!attr(node_of(m, "Gemm"), "broadcast"));
  CHECK(attr(node_of(m, "Concat"), "axis") && attr(node_of(m, "Concat"), "axis")->i == 1);
  CHECK(attr(node_of(m, "Cast"), "to")->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT &&
        attr(node_of(m, "Cast"), "to")->i == OQ_DTYPE_DOUBLE);
  oq_model_free(m);
}

OQ_TEST(reshape5_shape_becomes_input) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  tb_input(&b, "x");
  tb_output(&b, "y");
  const int64_t shape[2] = {2, -1};
  attr_ints(&b, tb_node(&b, "Reshape", "r", "x", "y"), "shape", shape, 2);
  oq_model *m = convert(tb_finish(&b, 1), 13, 0, &err);
  REQUIRE(m);
  const Onnx__NodeProto *n = node_of(m, "Reshape");
  CHECK(n->n_input == 2 && !attr(n, "shape"));
  oq_tensor s = init_of(m, n, 1);
  CHECK(oq_tensor_numel(&s) == 2 && i64_at(&s, 0) == 2 && i64_at(&s, 1) == -1);
  oq_tensor_release(&s);
  oq_model_free(m);
}

/* ---- attributes that became inputs ------------------------------------------------------------------------- */

/* One node op(x) at opset from with an INTS attribute name = v; converted to `to`. */
static oq_model *one_ints(const char *op, int64_t from, int64_t to, const char *name, const int64_t *v, size_t n,
                          size_t n_out, oq_error *err) {
  tb_model b;
  tb_start(&b);
  const int64_t d[3] = {2, 4, 6};
  input_shaped(&b, "x", 3, d);
  tb_output(&b, "y");
  if (n_out > 1) tb_output(&b, "y2");
  Onnx__NodeProto *node = tb_node(&b, op, "n", "x", n_out > 1 ? "y,y2" : "y");
  if (name) attr_ints(&b, node, name, v, n);
  return convert(tb_finish(&b, from), to, 0, err);
}

OQ_TEST(axes13_squeeze_unsqueeze_reducesum_and_reduce18) {
  const char *at13[3] = {"Squeeze", "Unsqueeze", "ReduceSum"};
  const int64_t axes[1] = {0};
  for (int k = 0; k < 3; k++) {
    oq_error err = {0};
    oq_model *m = one_ints(at13[k], 11, 13, "axes", axes, 1, 1, &err);
    REQUIRE(m);
    const Onnx__NodeProto *n = node_of(m, at13[k]);
    CHECK(n->n_input == 2 && !attr(n, "axes"));
    oq_tensor a = init_of(m, n, 1);
    CHECK(oq_tensor_numel(&a) == 1 && i64_at(&a, 0) == 0);
    oq_tensor_release(&a);
    oq_model_free(m);
  }
  /* ReduceMean keeps its attribute at 13 and takes an input from 18 */
  oq_error err = {0};
  oq_model *m = one_ints("ReduceMean", 11, 13, "axes", axes, 1, 1, &err);
  REQUIRE(m);
  CHECK(attr(node_of(m, "ReduceMean"), "axes") && node_of(m, "ReduceMean")->n_input == 1);
  oq_model_free(m);
  m = one_ints("ReduceMean", 11, 21, "axes", axes, 1, 1, &err);
  REQUIRE(m);
  CHECK(!attr(node_of(m, "ReduceMean"), "axes") && node_of(m, "ReduceMean")->n_input == 2);
  oq_model_free(m);
  /* without axes (reduce all) no input is added */
  m = one_ints("ReduceMax", 11, 21, NULL, NULL, 0, 1, &err);
  REQUIRE(m);
  CHECK(node_of(m, "ReduceMax")->n_input == 1);
  oq_model_free(m);
}

OQ_TEST(split13_sizes_input_split18_num_outputs) {
  oq_error err = {0};
  const int64_t split[2] = {1, 3};
  oq_model *m = one_ints("Split", 11, 13, "split", split, 2, 2, &err);
  REQUIRE(m);
  oq_tensor s = init_of(m, node_of(m, "Split"), 1);
  CHECK(oq_tensor_numel(&s) == 2 && i64_at(&s, 1) == 3 && !attr(node_of(m, "Split"), "split"));
  oq_tensor_release(&s);
  oq_model_free(m);
  m = one_ints("Split", 11, 21, NULL, NULL, 0, 2, &err);
  REQUIRE(m);
  CHECK(attr(node_of(m, "Split"), "num_outputs") && attr(node_of(m, "Split"), "num_outputs")->i == 2);
  oq_model_free(m);
}

OQ_TEST(slice10_starts_ends_axes_inputs) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  tb_input(&b, "x");
  tb_output(&b, "y");
  const int64_t st[1] = {1}, en[1] = {3}, ax[1] = {1};
  Onnx__NodeProto *n = tb_node(&b, "Slice", "s", "x", "y");
  attr_ints(&b, n, "starts", st, 1);
  attr_ints(&b, n, "ends", en, 1);
  attr_ints(&b, n, "axes", ax, 1);
  oq_model *m = convert(tb_finish(&b, 9), 13, 0, &err);
  REQUIRE(m);
  const Onnx__NodeProto *s = node_of(m, "Slice");
  CHECK(s->n_input == 4 && s->n_attribute == 0);
  oq_tensor a = init_of(m, s, 1), e = init_of(m, s, 2), x = init_of(m, s, 3);
  CHECK(i64_at(&a, 0) == 1 && i64_at(&e, 0) == 3 && i64_at(&x, 0) == 1);
  oq_tensor_release(&a);
  oq_tensor_release(&e);
  oq_tensor_release(&x);
  oq_model_free(m);
}

OQ_TEST(pad2_paddings_pad11_inputs) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  const int64_t d[2] = {2, 2};
  input_shaped(&b, "x", 2, d);
  tb_output(&b, "y");
  const int64_t p[4] = {0, 1, 0, 1};
  Onnx__NodeProto *n = tb_node(&b, "Pad", "p", "x", "y");
  attr_ints(&b, n, "paddings", p, 4);
  tb_attr_float(&b, n, "value", 2.5f);
  oq_model *m = convert(tb_finish(&b, 1), 13, 0, &err);
  REQUIRE(m);
  const Onnx__NodeProto *q = node_of(m, "Pad");
  CHECK(q->n_input == 3 && !attr(q, "paddings") && !attr(q, "pads") && !attr(q, "value"));
  oq_tensor pads = init_of(m, q, 1), v = init_of(m, q, 2);
  CHECK(oq_tensor_numel(&pads) == 4 && i64_at(&pads, 3) == 1);
  CHECK(v.ndim == 0 && f32_at(&v, 0) == 2.5f);
  oq_tensor_release(&pads);
  oq_tensor_release(&v);
  oq_model_free(m);
}

OQ_TEST(clip11_min_max_inputs_topk10_k_input) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  tb_input(&b, "x");
  tb_output(&b, "y");
  tb_output(&b, "v");
  tb_output(&b, "i");
  tb_attr_float(&b, tb_node(&b, "Clip", "c", "x", "y"), "max", 6.0f);
  attr_int(&b, tb_node(&b, "TopK", "t", "x", "v,i"), "k", 3);
  oq_model *m = convert(tb_finish(&b, 6), 13, 0, &err);
  REQUIRE(m);
  const Onnx__NodeProto *c = node_of(m, "Clip");
  CHECK(c->n_input == 3 && !c->input[1][0] && c->n_attribute == 0);
  oq_tensor mx = init_of(m, c, 2);
  CHECK(f32_at(&mx, 0) == 6.0f);
  oq_tensor_release(&mx);
  oq_tensor k = init_of(m, node_of(m, "TopK"), 1);
  CHECK(k.ndim == 1 && i64_at(&k, 0) == 3);
  oq_tensor_release(&k);
  oq_model_free(m);
}

/* an input the old version does not have is refused like the executor refuses it */
OQ_TEST(inputs_beyond_old_opset_refused) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  tb_input(&b, "x");
  tb_input(&b, "lo");
  tb_output(&b, "y");
  tb_node(&b, "Clip", "c", "x,lo", "y");
  CHECK(!convert(tb_finish(&b, 6), 13, 0, &err));
  CHECK(strstr(err.msg, "node 'c' (Clip) has 2 inputs, expects 1 to 1 at opset 10") != NULL);
}

/* ---- BatchNormalization / Dropout -------------------------------------------------------------------------- */

static oq_model *bn_model(int64_t opset, int spatial, int is_test, int outputs) {
  tb_model b;
  tb_start(&b);
  const int64_t d[4] = {1, 2, 2, 2}, cd[1] = {2}, pd[3] = {2, 2, 2};
  input_shaped(&b, "x", 4, d);
  float s[8] = {1, 2, 3, 4, 5, 6, 7, 8}, z[8] = {0.5f, 1, 0, 0, 0.5f, 1, 0, 0}, v[8] = {1, 4, 1, 1, 1, 4, 9, 1};
  int n = spatial ? 1 : 3;
  tb_init(&b, "s", n, spatial ? cd : pd, s);
  tb_init(&b, "bb", n, spatial ? cd : pd, z);
  tb_init(&b, "mu", n, spatial ? cd : pd, z);
  tb_init(&b, "var", n, spatial ? cd : pd, v);
  tb_output(&b, "y");
  Onnx__NodeProto *bn = tb_node(&b, "BatchNormalization", "bn", "x,s,bb,mu,var", outputs > 1 ? "y,m2,v2" : "y");
  if (outputs > 1) tb_output(&b, "m2");
  if (!spatial) attr_int(&b, bn, "spatial", 0);
  if (is_test >= 0) attr_int(&b, bn, "is_test", is_test);
  return tb_finish(&b, opset);
}

OQ_TEST(batchnorm7_9_14) {
  oq_error err = {0};
  oq_model *m = convert(bn_model(6, 1, 1, 1), 13, 0, &err);
  REQUIRE(m);
  CHECK(!strcmp(ops(m), "BatchNormalization") && !attr(node_of(m, "BatchNormalization"), "is_test"));
  oq_model_free(m);
  /* training outputs read by the graph cannot be converted past 14 */
  CHECK(!convert(bn_model(9, 1, -1, 3), 14, 0, &err));
  CHECK(strstr(err.msg, "(BatchNormalization)") && strstr(err.msg, "training-mode"));
  CHECK(!convert(bn_model(6, 1, 0, 3), 13, 0, &err));
  CHECK(strstr(err.msg, "is_test=0") != NULL);
}

/* spatial=0 (statistics per activation [C,H,W]): written out as Sub/Add/Sqrt/Div/Mul/Add and checked numerically */
OQ_TEST(batchnorm9_per_activation_written_out) {
  oq_error err = {0};
  oq_model *m = convert(bn_model(7, 0, -1, 1), 13, 0, &err);
  REQUIRE(m);
  CHECK(!strcmp(ops(m), "Sub,Add,Sqrt,Div,Mul,Add"));
  const int64_t d[4] = {1, 2, 2, 2};
  float x[8], s[8] = {1, 2, 3, 4, 5, 6, 7, 8}, z[8] = {0.5f, 1, 0, 0, 0.5f, 1, 0, 0}, v[8] = {1, 4, 1, 1, 1, 4, 9, 1};
  for (int i = 0; i < 8; i++) x[i] = ramp(i);
  oq_tensor y;
  REQUIRE(run1(m, 4, d, x, &y));
  for (int i = 0; i < 8; i++) CHECK_NEAR(((float *)y.data)[i], (x[i] - z[i]) / sqrt(v[i] + 1e-5) * s[i] + z[i], 1e-5);
  oq_tensor_release(&y);
  oq_model_free(m);
}

OQ_TEST(dropout7_10_12) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  tb_input(&b, "x");
  tb_output(&b, "y");
  Onnx__NodeProto *n = tb_node(&b, "Dropout", "d", "x", "y,mask");
  attr_int(&b, n, "is_test", 1);
  tb_attr_float(&b, n, "ratio", 0.25f);
  oq_model *m = convert(tb_finish(&b, 6), 13, 0, &err);
  REQUIRE(m);
  const Onnx__NodeProto *d = node_of(m, "Dropout");
  CHECK(d->n_output == 1 && d->n_attribute == 0 && d->n_input == 2);
  oq_tensor r = init_of(m, d, 1);
  CHECK(f32_at(&r, 0) == 0.25f);
  oq_tensor_release(&r);
  oq_model_free(m);
  /* a mask someone reads would change type (bool from 10) */
  tb_start(&b);
  tb_input(&b, "x");
  tb_output(&b, "y");
  tb_output(&b, "mask");
  tb_node(&b, "Dropout", "d", "x", "y,mask");
  CHECK(!convert(tb_finish(&b, 7), 13, 0, &err));
  CHECK(strstr(err.msg, "node 'd' (Dropout)") && strstr(err.msg, "mask"));
}

/* ---- Upsample -> Resize ------------------------------------------------------------------------------------ */

OQ_TEST(upsample7_9_10_resize11) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  const int64_t d[4] = {1, 1, 2, 2};
  input_shaped(&b, "x", 4, d);
  tb_output(&b, "y");
  const float sc[4] = {1, 1, 2, 3};
  Onnx__NodeProto *n = tb_node(&b, "Upsample", "up", "x", "y");
  attr_floats(&b, n, "scales", sc, 4);
  attr_str(&b, n, "mode", "nearest");
  oq_model *m = convert(tb_finish(&b, 7), 13, 0, &err);
  REQUIRE(m);
  const Onnx__NodeProto *r = node_of(m, "Resize");
  REQUIRE(r && !strcmp(ops(m), "Resize"));
  CHECK(r->n_input == 3 && !attr(r, "scales"));
  oq_tensor roi = init_of(m, r, 1), s = init_of(m, r, 2);
  CHECK(oq_tensor_numel(&roi) == 0 && oq_tensor_numel(&s) == 4 && f32_at(&s, 3) == 3.0f);
  oq_tensor_release(&roi);
  oq_tensor_release(&s);
  CHECK(attr_is(r, "coordinate_transformation_mode", "asymmetric") && attr_is(r, "nearest_mode", "floor"));
  oq_model_free(m);
  /* Upsample-1: height_scale/width_scale, bilinear */
  tb_start(&b);
  input_shaped(&b, "x", 4, d);
  tb_output(&b, "y");
  n = tb_node(&b, "Upsample", "up", "x", "y");
  tb_attr_float(&b, n, "height_scale", 2.0f);
  tb_attr_float(&b, n, "width_scale", 2.0f);
  attr_str(&b, n, "mode", "bilinear");
  m = convert(tb_finish(&b, 1), 13, 0, &err);
  REQUIRE(m);
  r = node_of(m, "Resize");
  CHECK(attr_is(r, "mode", "linear") && !attr(r, "nearest_mode"));
  oq_model_free(m);
}

OQ_TEST(resize13_tf_half_pixel_for_nn_refused) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  tb_input(&b, "x");
  tb_input(&b, "roi");
  tb_input(&b, "sc");
  tb_output(&b, "y");
  attr_str(&b, tb_node(&b, "Resize", "rs", "x,roi,sc", "y"), "coordinate_transformation_mode", "tf_half_pixel_for_nn");
  CHECK(!convert(tb_finish(&b, 11), 13, 0, &err));
  CHECK(strstr(err.msg, "node 'rs' (Resize)") && strstr(err.msg, "tf_half_pixel_for_nn"));
  CHECK(err.subject_kind == OQ_SUBJECT_NODE && !strcmp(err.subject, "rs"));
}

/* ---- later opsets -------------------------------------------------------------------------------------------- */

OQ_TEST(scatter11_roialign16_gridsample20_dft20_rnn7_lppool2) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  tb_input(&b, "x");
  tb_input(&b, "r");
  tb_input(&b, "i");
  const char *outs[6] = {"o1", "o2", "o3", "o4", "o5", "o6"};
  for (int k = 0; k < 6; k++) tb_output(&b, outs[k]);
  tb_node(&b, "Scatter", "sc", "x,i,r", "o1");
  tb_node(&b, "RoiAlign", "ra", "x,r,i", "o2");
  attr_str(&b, tb_node(&b, "GridSample", "gs", "x,r", "o3"), "mode", "bicubic");
  attr_int(&b, tb_node(&b, "DFT", "dft", "x", "o4"), "axis", 2);
  attr_int(&b, tb_node(&b, "LSTM", "lstm", "x,r,i", "o5"), "output_sequence", 1);
  tb_attr_float(&b, tb_node(&b, "LpPool", "lp", "x", "o6"), "p", 2.0f);
  /* every op must exist at the source opset: DFT and GridSample from 17/16, so go 17 -> 21 for those */
  oq_model *m = tb_finish(&b, 17);
  oq_model *c = convert(m, 21, 0, &err);
  REQUIRE(c);
  CHECK(attr_is(node_of(c, "RoiAlign"), "coordinate_transformation_mode", "half_pixel") == 0);
  CHECK(attr_is(node_of(c, "GridSample"), "mode", "cubic"));
  const Onnx__NodeProto *dft = node_of(c, "DFT");
  CHECK(dft->n_input == 3 && !attr(dft, "axis"));
  oq_tensor ax = init_of(c, dft, 2);
  CHECK(ax.ndim == 0 && i64_at(&ax, 0) == 2);
  oq_tensor_release(&ax);
  oq_model_free(c);
  /* the steps below 17 */
  tb_start(&b);
  tb_input(&b, "x");
  tb_input(&b, "r");
  tb_input(&b, "i");
  for (int k = 0; k < 4; k++) tb_output(&b, outs[k]);
  tb_node(&b, "Scatter", "sc", "x,i,r", "o1");
  tb_node(&b, "RoiAlign", "ra", "x,r,i", "o2");
  attr_int(&b, tb_node(&b, "LSTM", "lstm", "x,r,i", "o3"), "output_sequence", 1);
  tb_attr_float(&b, tb_node(&b, "LpPool", "lp", "x", "o4"), "p", 2.0f);
  c = convert(tb_finish(&b, 1 + 9), 16, 0, &err); /* opset 10: Scatter, RoiAlign exist */
  REQUIRE(c);
  CHECK(node_of(c, "ScatterElements") && !node_of(c, "Scatter"));
  CHECK(attr_is(node_of(c, "RoiAlign"), "coordinate_transformation_mode", "output_half_pixel"));
  oq_model_free(c);
  tb_start(&b);
  tb_input(&b, "x");
  tb_input(&b, "r");
  tb_input(&b, "i");
  tb_output(&b, "o1");
  tb_output(&b, "o2");
  attr_int(&b, tb_node(&b, "LSTM", "lstm", "x,r,i", "o1"), "output_sequence", 1);
  tb_attr_float(&b, tb_node(&b, "LpPool", "lp", "x", "o2"), "p", 2.0f);
  c = convert(tb_finish(&b, 1), 13, 0, &err);
  REQUIRE(c);
  CHECK(!attr(node_of(c, "LSTM"), "output_sequence"));
  CHECK(attr(node_of(c, "LpPool"), "p")->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  oq_model_free(c);
}

OQ_TEST(prelu7_per_channel_slope_unsqueezed) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  const int64_t d[4] = {1, 2, 2, 2}, sd[1] = {2};
  const float sv[2] = {0.5f, 0.25f};
  input_shaped(&b, "x", 4, d);
  tb_init(&b, "slope", 1, sd, sv);
  tb_output(&b, "y");
  tb_node(&b, "PRelu", "p", "x,slope", "y");
  oq_model *m = convert(tb_finish(&b, 6), 13, 0, &err);
  REQUIRE(m);
  CHECK(!strcmp(ops(m), "Unsqueeze,PRelu"));
  float x[8];
  for (int i = 0; i < 8; i++) x[i] = -1.0f - (float)i;
  oq_tensor y;
  REQUIRE(run1(m, 4, d, x, &y));
  for (int i = 0; i < 8; i++) CHECK(((float *)y.data)[i] == x[i] * sv[i / 4]);
  oq_tensor_release(&y);
  oq_model_free(m);
}

/* impossible conversions name the node and the op */
OQ_TEST(impossible_conversions_name_the_op) {
  struct {
    const char *op, *ins;
    int64_t from, to;
    const char *want;
  } cases[] = {{"Tile", "x,r,i", 1, 13, "node 't' (Tile)"},
               {"Split", "x,r", 1, 13, "node 't' (Split)"},
               {"Scan", "x", 8, 13, "node 't' (Scan)"},
               {"GroupNormalization", "x,r,i", 18, 21, "node 't' (GroupNormalization)"},
               {"ImageScaler", "x", 7, 13, "node 't' (ImageScaler): an operator outside"},
               {"Relu", "x", 1, 22, "outside the converter's range"}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    oq_error err = {0};
    tb_model b;
    tb_start(&b);
    tb_input(&b, "x");
    tb_input(&b, "r");
    tb_input(&b, "i");
    tb_output(&b, "y");
    tb_node(&b, cases[k].op, "t", cases[k].ins, "y");
    oq_model *m = convert(tb_finish(&b, cases[k].from), cases[k].to, 0, &err);
    CHECK(!m);
    if (!strstr(err.msg, cases[k].want)) fprintf(stderr, "%s: %s\n", cases[k].op, err.msg);
    CHECK(strstr(err.msg, cases[k].want) != NULL);
  }
}

/* subgraphs are converted with their node: Squeeze-11 inside an If branch */
OQ_TEST(subgraphs_converted) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  tb_input(&b, "c");
  tb_input(&b, "x");
  tb_output(&b, "y");
  Onnx__NodeProto *sq =
      oq_edit_node(b.ed, "Squeeze", "sq", (const char *const[]){"x"}, 1, (const char *const[]){"t"}, 1, NULL);
  const int64_t axes[1] = {0};
  attr_ints(&b, sq, "axes", axes, 1);
  Onnx__GraphProto *br = oq_edit_alloc(b.ed, 1, sizeof *br, NULL);
  onnx__graph_proto__init(br);
  br->name = "then";
  br->node = oq_edit_alloc(b.ed, 1, sizeof *br->node, NULL);
  br->node[0] = sq;
  br->n_node = 1;
  br->output = oq_edit_alloc(b.ed, 1, sizeof *br->output, NULL);
  br->output[0] = tb_float_vi(&b, "t");
  br->n_output = 1;
  Onnx__NodeProto *iff = tb_node(&b, "If", "if", "c", "y");
  for (int k = 0; k < 2; k++) {
    Onnx__AttributeProto *a = oq_edit_alloc(b.ed, 1, sizeof *a, NULL);
    onnx__attribute_proto__init(a);
    a->name = k ? "else_branch" : "then_branch";
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
    a->g = br;
    attr_generic(&b, iff, a);
  }
  oq_model *m = convert(tb_finish(&b, 11), 13, 0, &err);
  REQUIRE(m);
  const Onnx__NodeProto *n = node_of(m, "If");
  for (int k = 0; k < 2; k++) {
    const Onnx__GraphProto *g = n->attribute[k]->g;
    CHECK(g->n_node == 1 && g->node[0]->n_input == 2 && g->node[0]->n_attribute == 0);
    CHECK(g->n_initializer == 1);
  }
  oq_model_free(m);
}

/* ---- Constant nodes, Identity/Dropout removal ---------------------------------------------------------------- */

static Onnx__NodeProto *constant_node(tb_model *b, const char *out, int32_t ndim, const int64_t *dims, const float *v,
                                      size_t count) {
  Onnx__NodeProto *n = tb_node(b, "Constant", NULL, "", out);
  Onnx__AttributeProto *a = oq_edit_alloc(b->ed, 1, sizeof *a, NULL);
  onnx__attribute_proto__init(a);
  a->name = "value";
  a->has_type = 1;
  a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
  a->t = oq_edit_tensor(b->ed, "", OQ_DTYPE_FLOAT, ndim, dims, v, count, 4, NULL);
  attr_generic(b, n, a);
  return n;
}

OQ_TEST(constant_nodes_become_initializers) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  const int64_t d[2] = {2, 2};
  const float w[4] = {1, 2, 3, 4};
  input_shaped(&b, "x", 2, d);
  tb_output(&b, "y");
  tb_output(&b, "k");
  constant_node(&b, "w", 2, d, w, 4);
  constant_node(&b, "k", 2, d, w, 4); /* a graph output: stays a node */
  tb_node(&b, "MatMul", "mm", "x,w", "y");
  oq_model *m = convert(tb_finish(&b, 9), 13, 0, &err);
  REQUIRE(m);
  CHECK(!strcmp(ops(m), "Constant,MatMul"));
  int32_t v = oq_graph_find(&m->graph, "w");
  REQUIRE(v >= 0);
  CHECK(m->graph.values[v].kind == OQ_VALUE_INITIALIZER);
  oq_tensor t = init_of(m, node_of(m, "MatMul"), 1);
  CHECK(oq_tensor_numel(&t) == 4 && f32_at(&t, 3) == 4.0f);
  oq_tensor_release(&t);
  oq_model_free(m);
}

OQ_TEST(identity_dropout_removed_graph_outputs_keep_names) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  tb_input(&b, "x");
  tb_output(&b, "y");
  tb_node(&b, "Relu", "r", "x", "a");
  tb_node(&b, "Identity", "i1", "a", "b");
  tb_node(&b, "Dropout", "d", "b", "c");
  tb_node(&b, "Sigmoid", "s", "c", "e");
  tb_node(&b, "Identity", "i2", "e", "y"); /* graph output: Sigmoid writes y */
  oq_model *m = tb_finish(&b, 13);
  oq_model *keep = NULL;
  oq_prep_options o;
  oq_prep_options_init(&o);
  o.fold = 0;
  REQUIRE_OK(oq_prep_model(m, &o, &keep, &err));
  CHECK(!strcmp(ops(keep), "Relu,Identity,Dropout,Sigmoid,Identity"));
  oq_model_free(keep);
  oq_model *c = convert(m, 13, 1, &err);
  REQUIRE(c);
  CHECK(!strcmp(ops(c), "Relu,Sigmoid"));
  const Onnx__NodeProto *s = node_of(c, "Sigmoid");
  CHECK(!strcmp(s->input[0], "a") && !strcmp(s->output[0], "y"));
  CHECK(!strcmp(c->proto->graph->output[0]->name, "y"));
  oq_model_free(c);
}

/* ---- folding ---------------------------------------------------------------------------------------------------- */

/* Conv + BatchNormalization folded: same outputs (within float rounding), one node fewer. */
OQ_TEST(batchnorm_folded_into_conv_numerically) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  const int64_t d[4] = {1, 2, 4, 4}, wd[4] = {3, 2, 3, 3}, cd[1] = {3};
  float w[54], bias[3] = {0.1f, -0.2f, 0.3f}, sc[3] = {1.5f, 0.5f, -2}, bb[3] = {0.25f, 0, -1},
               mu[3] = {0.1f, 0.2f, -0.3f}, var[3] = {0.5f, 2, 1};
  for (int i = 0; i < 54; i++) w[i] = ramp(i) * 0.3f;
  input_shaped(&b, "x", 4, d);
  tb_init(&b, "w", 4, wd, w);
  tb_init(&b, "cb", 1, cd, bias);
  tb_init(&b, "s", 1, cd, sc);
  tb_init(&b, "bb", 1, cd, bb);
  tb_init(&b, "mu", 1, cd, mu);
  tb_init(&b, "var", 1, cd, var);
  tb_output(&b, "y");
  const int64_t pads[4] = {1, 1, 1, 1};
  attr_ints(&b, tb_node(&b, "Conv", "conv", "x,w,cb", "c"), "pads", pads, 4);
  tb_attr_float(&b, tb_node(&b, "BatchNormalization", "bn", "c,s,bb,mu,var", "y"), "epsilon", 1e-3f);
  oq_model *m = tb_finish(&b, 13);
  REQUIRE(m);
  oq_model *f = NULL;
  oq_prep_options o;
  oq_prep_options_init(&o);
  REQUIRE_OK(oq_prep_model(m, &o, &f, &err));
  CHECK(!strcmp(ops(f), "Conv"));
  CHECK(!strcmp(node_of(f, "Conv")->output[0], "y"));
  CHECK(f->proto->graph->n_initializer == 2); /* folded weight and bias; the BN parameters are pruned */
  float x[32];
  for (int i = 0; i < 32; i++) x[i] = ramp(i * 3 + 1);
  oq_tensor y0, y1;
  REQUIRE(run1(m, 4, d, x, &y0));
  REQUIRE(run1(f, 4, d, x, &y1));
  REQUIRE(y0.nbytes == y1.nbytes);
  float maxerr = 0;
  for (int64_t i = 0; i < oq_tensor_numel(&y0); i++) {
    float e = fabsf(((float *)y0.data)[i] - ((float *)y1.data)[i]);
    if (e > maxerr) maxerr = e;
  }
  CHECK(maxerr < 1e-5f);
  oq_tensor_release(&y0);
  oq_tensor_release(&y1);
  oq_model_free(f);
  oq_model_free(m);
}

/* Gemm (transB) + BatchNormalization over [N, C] */
OQ_TEST(batchnorm_folded_into_gemm_numerically) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  const int64_t d[2] = {2, 4}, wd[2] = {3, 4}, cd[1] = {3};
  float w[12], sc[3] = {1.5f, 0.5f, -2}, bb[3] = {0.25f, 0, -1}, mu[3] = {0.1f, 0.2f, -0.3f}, var[3] = {0.5f, 2, 1};
  for (int i = 0; i < 12; i++) w[i] = ramp(i) * 0.3f;
  input_shaped(&b, "x", 2, d);
  tb_init(&b, "w", 2, wd, w);
  tb_init(&b, "s", 1, cd, sc);
  tb_init(&b, "bb", 1, cd, bb);
  tb_init(&b, "mu", 1, cd, mu);
  tb_init(&b, "var", 1, cd, var);
  tb_output(&b, "y");
  attr_int(&b, tb_node(&b, "Gemm", "g", "x,w", "c"), "transB", 1);
  tb_node(&b, "BatchNormalization", "bn", "c,s,bb,mu,var", "y");
  oq_model *m = tb_finish(&b, 13);
  oq_model *f = NULL;
  oq_prep_options o;
  oq_prep_options_init(&o);
  REQUIRE_OK(oq_prep_model(m, &o, &f, &err));
  CHECK(!strcmp(ops(f), "Gemm") && node_of(f, "Gemm")->n_input == 3);
  float x[8];
  for (int i = 0; i < 8; i++) x[i] = ramp(i + 5);
  oq_tensor y0, y1;
  REQUIRE(run1(m, 2, d, x, &y0));
  REQUIRE(run1(f, 2, d, x, &y1));
  for (int64_t i = 0; i < 6; i++) CHECK_NEAR(((float *)y0.data)[i], ((float *)y1.data)[i], 1e-5);
  oq_tensor_release(&y0);
  oq_tensor_release(&y1);
  oq_model_free(f);
  oq_model_free(m);
}

/* constant subgraphs are folded on the executor; a constant bomb over the size cap stays a node */
OQ_TEST(constant_folding_with_size_cap) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  const int64_t d[1] = {3};
  const float a[3] = {1, 2, 3}, c[3] = {10, 20, 30};
  input_shaped(&b, "x", 1, d);
  tb_init(&b, "a", 1, d, a);
  tb_init(&b, "c", 1, d, c);
  tb_output(&b, "y");
  tb_output(&b, "big");
  tb_node(&b, "Mul", "m", "a,c", "ac");
  tb_node(&b, "Sqrt", "s", "ac", "r");
  tb_node(&b, "Add", "add", "x,r", "y");
  int64_t huge[2] = {1 << 20, 1 << 10}; /* 4 GiB of float zeros */
  oq_edit_list_push(b.ed, &b.inits, oq_edit_tensor(b.ed, "shape", OQ_DTYPE_INT64, 1, (int64_t[]){2}, huge, 2, 8, NULL),
                    NULL);
  tb_node(&b, "ConstantOfShape", "bomb", "shape", "b0");
  tb_node(&b, "Relu", "rb", "b0", "big");
  oq_model *m = tb_finish(&b, 13);
  oq_model *f = convert(m, 13, 1, &err);
  REQUIRE(f);
  CHECK(!strcmp(ops(f), "Add,ConstantOfShape,Relu"));
  oq_tensor r = init_of(f, node_of(f, "Add"), 1);
  CHECK(oq_tensor_numel(&r) == 3 && fabsf(f32_at(&r, 2) - sqrtf(90.0f)) < 1e-6f);
  oq_tensor_release(&r);
  oq_model_free(f);
}

/* the public entry: options checked, opset kept by default, metadata untouched */
OQ_TEST(public_prepare_options) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  tb_input(&b, "x");
  tb_output(&b, "y");
  tb_node(&b, "Relu", "r", "x", "y");
  oq_model *m = tb_finish(&b, 11);
  oq_prepare_options o;
  oq_prepare_options_init(&o);
  CHECK(o.fold == 1 && o.opset == 0);
  oq_model *out = NULL;
  REQUIRE_OK(oq_model_prepare(m, &o, &out, &err));
  CHECK(model_opset(out) == 11);
  oq_model_free(out);
  o.opset = 13;
  REQUIRE_OK(oq_model_prepare(m, &o, &out, &err));
  CHECK(model_opset(out) == 13 && out->proto->ir_version >= 7);
  oq_model_free(out);
  o.size = 3;
  CHECK(oq_model_prepare(m, &o, &out, &err) == OQ_ERR_INVALID_ARG && out == NULL);
  oq_model_free(m);
}

OQ_TEST_MAIN()
