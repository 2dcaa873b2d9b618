/* Tensor-family kernels (broadcast, eltwise, activation, shape, qdq) called directly with hand-built calls and
 * hand-computed expectations. */
#include "oq_test.h"
#include "ops/broadcast.h"
#include "ops/kernels.h"
#include "exec/exec.h"
#include "ops/tensor_util.h"

#include <float.h>
#include <stdint.h>

#define D(...)   ((const int64_t[]){__VA_ARGS__})
#define F(...)   ((const float[]){__VA_ARGS__})
#define L(...)   ((const int64_t[]){__VA_ARGS__})
#define I32(...) ((const int32_t[]){__VA_ARGS__})
#define U8(...)  ((const uint8_t[]){__VA_ARGS__})
#define I8(...)  ((const int8_t[]){__VA_ARGS__})

static oq_tensor mk(int32_t dtype, int32_t nd, const int64_t *dims, const void *vals) {
  oq_tensor t;
  oq_error e;
  if (oq_tensor_alloc(&t, dtype, nd, dims, &e) != OQ_OK) abort();
  if (t.nbytes && vals) memcpy(t.data, vals, t.nbytes);
  return t;
}

static oq_status run(oq_op_exec_fn fn, const void *params, int32_t n_in, const oq_tensor *const *ins, int32_t n_out,
                     oq_tensor *outs, oq_error *err) {
  memset(outs, 0, (size_t)n_out * sizeof *outs);
  oq_kernel_call c = {params, ins, n_in, outs, n_out, "n0", NULL, 0, NULL, NULL, 0, 0.0f, 0.0f};
  return oq_exec_kernel(fn, &c, err);
}

/* Compares shape, dtype and values (floats within tol, others exactly). */
static int expect(const oq_tensor *t, int32_t dtype, int32_t nd, const int64_t *dims, const void *vals, double tol) {
  if (t->dtype != dtype || t->ndim != nd) {
    fprintf(stderr, "  got dtype %s rank %d, want %s rank %d\n", oq_dtype_name(t->dtype), (int)t->ndim,
            oq_dtype_name(dtype), (int)nd);
    return 0;
  }
  for (int32_t i = 0; i < nd; i++)
    if (t->dims[i] != dims[i]) {
      fprintf(stderr, "  dim %d: got %lld want %lld\n", (int)i, (long long)t->dims[i], (long long)dims[i]);
      return 0;
    }
  int64_t n = oq_tensor_numel(t);
  for (int64_t i = 0; i < n; i++) {
    if (oq_dtype_is_float(dtype)) {
      double a = oq_load_f64(t->data, dtype, i), b = oq_load_f64(vals, dtype, i);
      if (!(fabs(a - b) <= tol) && !(isnan(a) && isnan(b))) {
        fprintf(stderr, "  element %lld: got %.9g want %.9g\n", (long long)i, a, b);
        return 0;
      }
    } else if (oq_load_i64(t->data, dtype, i) != oq_load_i64(vals, dtype, i)) {
      fprintf(stderr, "  element %lld: got %lld want %lld\n", (long long)i, (long long)oq_load_i64(t->data, dtype, i),
              (long long)oq_load_i64(vals, dtype, i));
      return 0;
    }
  }
  return 1;
}

/* A NodeProto with up to 6 attributes for calling init functions. */
typedef struct test_node {
  Onnx__NodeProto proto;
  Onnx__AttributeProto attrs[6];
  Onnx__AttributeProto *ptrs[6];
  oq_node node;
} test_node;

static void node_init(test_node *n, const char *op) {
  memset(n, 0, sizeof *n);
  onnx__node_proto__init(&n->proto);
  n->proto.name = (char *)"n0";
  n->proto.op_type = (char *)op;
  n->proto.attribute = n->ptrs;
  n->node.proto = &n->proto;
}

static Onnx__AttributeProto *add_attr(test_node *n, const char *name, Onnx__AttributeProto__AttributeType type) {
  size_t i = n->proto.n_attribute++;
  Onnx__AttributeProto *a = &n->attrs[i];
  onnx__attribute_proto__init(a);
  a->name = (char *)name;
  a->has_type = 1;
  a->type = type;
  n->ptrs[i] = a;
  return a;
}
static void add_int(test_node *n, const char *name, int64_t v) {
  Onnx__AttributeProto *a = add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
  a->has_i = 1;
  a->i = v;
}
static void add_float(test_node *n, const char *name, float v) {
  Onnx__AttributeProto *a = add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
  a->has_f = 1;
  a->f = v;
}
static void add_ints(test_node *n, const char *name, const int64_t *v, size_t count) {
  Onnx__AttributeProto *a = add_attr(n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
  a->n_ints = count;
  a->ints = (int64_t *)v;
}

/* Runs the init of the row the node's op type binds to at opset (the attribute spec comes with the row). */
static oq_status init_params(test_node *n, int64_t opset, void **params, oq_error *err) {
  const oq_op_def *def = oq_op_find(n->proto.op_type, "", opset);
  oq_op_init_ctx ctx = {NULL, &n->node, opset, def};
  *params = NULL;
  if (!def) return oq_error_set(err, OQ_ERR_UNSUPPORTED, __FILE__, __LINE__, "no row for %s", n->proto.op_type);
  return def->init(&ctx, params, err);
}

static void release_all(oq_tensor *t, int n) {
  for (int i = 0; i < n; i++) oq_tensor_release(&t[i]);
}

/* ---- broadcast ---- */

OQ_TEST(bcast_shape_and_error) {
  oq_error err = {0};
  oq_tensor a = mk(OQ_DTYPE_FLOAT, 3, D(2, 3, 1), NULL), b = mk(OQ_DTYPE_FLOAT, 1, D(4), NULL);
  const oq_tensor *ins[2] = {&a, &b};
  int32_t nd;
  int64_t dims[OQ_MAX_DIMS];
  REQUIRE_OK(oq_bcast_shape(ins, 2, &nd, dims, "n0", &err));
  CHECK(nd == 3 && dims[0] == 2 && dims[1] == 3 && dims[2] == 4);
  oq_tensor c = mk(OQ_DTYPE_FLOAT, 2, D(2, 3), NULL);
  ins[0] = &c;
  CHECK(oq_bcast_shape(ins, 2, &nd, dims, "Add_7", &err) == OQ_ERR_SHAPE);
  CHECK(strstr(err.msg, "Add_7") != NULL);
  release_all(&a, 1);
  release_all(&b, 1);
  release_all(&c, 1);
}

OQ_TEST(bcast_plan_collapses) {
  oq_tensor a = mk(OQ_DTYPE_FLOAT, 4, D(2, 3, 4, 5), NULL), b = mk(OQ_DTYPE_FLOAT, 4, D(2, 3, 4, 5), NULL);
  oq_tensor ch = mk(OQ_DTYPE_FLOAT, 3, D(3, 1, 1), NULL), s = mk(OQ_DTYPE_FLOAT, 0, NULL, NULL);
  const oq_tensor *ins[2] = {&a, &b};
  oq_bcast p;
  oq_bcast_plan(&p, ins, 2, 4, a.dims);
  CHECK(p.ndim == 1 && p.dims[0] == 120 && p.strides[0][0] == 1 && p.strides[1][0] == 1);
  ins[1] = &ch; /* per-channel: [2, 3, 20] with strides (60,20,1) and (0,1,0) */
  oq_bcast_plan(&p, ins, 2, 4, a.dims);
  CHECK(p.ndim == 3 && p.dims[0] == 2 && p.dims[1] == 3 && p.dims[2] == 20);
  CHECK(p.strides[1][0] == 0 && p.strides[1][1] == 1 && p.strides[1][2] == 0);
  ins[1] = &s;
  oq_bcast_plan(&p, ins, 2, 4, a.dims);
  CHECK(p.ndim == 1 && p.strides[1][0] == 0 && p.numel == 120);
  release_all(&a, 1);
  release_all(&b, 1);
  release_all(&ch, 1);
  release_all(&s, 1);
}

/* The collapsed-row broadcast iteration against plain per-element index arithmetic on many random shape pairs. */
OQ_TEST(bcast_matches_reference) {
  oq_error err = {0};
  unsigned seed = 12345;
  for (int iter = 0; iter < 300; iter++) {
    int64_t da[4], db[4], full[4];
    int32_t ra = 1 + (int32_t)((seed = seed * 1103515245u + 12345u) >> 16) % 4;
    int32_t rb = 1 + (int32_t)((seed = seed * 1103515245u + 12345u) >> 16) % 4;
    for (int i = 0; i < 4; i++) full[i] = 1 + (int64_t)(((seed = seed * 1103515245u + 12345u) >> 16) % 4);
    for (int i = 0; i < ra; i++) da[i] = ((seed = seed * 1103515245u + 12345u) >> 16) % 3 ? full[4 - ra + i] : 1;
    for (int i = 0; i < rb; i++) db[i] = ((seed = seed * 1103515245u + 12345u) >> 16) % 3 ? full[4 - rb + i] : 1;
    oq_tensor a = mk(OQ_DTYPE_FLOAT, ra, da, NULL), b = mk(OQ_DTYPE_FLOAT, rb, db, NULL);
    for (int64_t i = 0; i < oq_tensor_numel(&a); i++) ((float *)a.data)[i] = (float)i;
    for (int64_t i = 0; i < oq_tensor_numel(&b); i++) ((float *)b.data)[i] = (float)(1000 * i);
    const oq_tensor *ins[2] = {&a, &b};
    oq_tensor out;
    REQUIRE_OK(run(oq_op_add_exec, NULL, 2, ins, 1, &out, &err));
    /* reference: decompose each output index, map to each input with broadcasting */
    int32_t r = out.ndim;
    int ok = 1;
    for (int64_t e = 0; e < oq_tensor_numel(&out) && ok; e++) {
      int64_t rem = e, idx[4];
      for (int32_t i = r - 1; i >= 0; i--) {
        idx[i] = rem % out.dims[i];
        rem /= out.dims[i];
      }
      int64_t oa = 0, ob = 0;
      for (int32_t i = 0; i < ra; i++) oa = oa * da[i] + (da[i] == 1 ? 0 : idx[r - ra + i]);
      for (int32_t i = 0; i < rb; i++) ob = ob * db[i] + (db[i] == 1 ? 0 : idx[r - rb + i]);
      ok = ((float *)out.data)[e] == (float)oa + (float)(1000 * ob);
    }
    CHECK(ok);
    oq_tensor_release(&out);
    oq_tensor_release(&a);
    oq_tensor_release(&b);
  }
}

/* ---- eltwise ---- */

OQ_TEST(add_float_broadcast_row) {
  oq_error err = {0};
  oq_tensor a = mk(OQ_DTYPE_FLOAT, 2, D(2, 3), F(1, 2, 3, 4, 5, 6)), b = mk(OQ_DTYPE_FLOAT, 1, D(3), F(10, 20, 30));
  const oq_tensor *ins[2] = {&a, &b};
  oq_tensor out;
  REQUIRE_OK(run(oq_op_add_exec, NULL, 2, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(2, 3), F(11, 22, 33, 14, 25, 36), 0));
  oq_tensor_release(&out);
  /* column broadcast and scalar first operand */
  oq_tensor col = mk(OQ_DTYPE_FLOAT, 2, D(2, 1), F(100, 200)), sc = mk(OQ_DTYPE_FLOAT, 0, NULL, F(0.5f));
  const oq_tensor *ins2[2] = {&col, &a};
  REQUIRE_OK(run(oq_op_sub_exec, NULL, 2, ins2, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(2, 3), F(99, 98, 97, 196, 195, 194), 0));
  oq_tensor_release(&out);
  const oq_tensor *ins3[2] = {&sc, &a};
  REQUIRE_OK(run(oq_op_mul_exec, NULL, 2, ins3, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(2, 3), F(0.5, 1, 1.5, 2, 2.5, 3), 0));
  oq_tensor_release(&out);
  release_all(&a, 1);
  release_all(&b, 1);
  release_all(&col, 1);
  release_all(&sc, 1);
}

OQ_TEST(int_arith_wraps_and_div_zero_fails) {
  oq_error err = {0};
  oq_tensor a = mk(OQ_DTYPE_INT64, 1, D(3), L(INT64_MIN, 7, -7)), b = mk(OQ_DTYPE_INT64, 1, D(3), L(-1, 2, 2));
  const oq_tensor *ins[2] = {&a, &b};
  oq_tensor out;
  REQUIRE_OK(run(oq_op_div_exec, NULL, 2, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_INT64, 1, D(3), L(INT64_MIN, 3, -3), 0)); /* truncation toward zero */
  oq_tensor_release(&out);
  REQUIRE_OK(run(oq_op_add_exec, NULL, 2, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_INT64, 1, D(3), L(INT64_MAX, 9, -5), 0));
  oq_tensor_release(&out);
  oq_tensor z = mk(OQ_DTYPE_INT64, 0, NULL, L(0));
  const oq_tensor *ins2[2] = {&a, &z};
  CHECK(run(oq_op_div_exec, NULL, 2, ins2, 1, &out, &err) != OQ_OK);
  CHECK(strstr(err.msg, "division by zero") != NULL);
  CHECK(out.data == NULL);
  oq_tensor i32a = mk(OQ_DTYPE_INT32, 1, D(2), I32(3, -4)), i32b = mk(OQ_DTYPE_INT32, 1, D(2), I32(5, 6));
  const oq_tensor *ins3[2] = {&i32a, &i32b};
  REQUIRE_OK(run(oq_op_mul_exec, NULL, 2, ins3, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_INT32, 1, D(2), I32(15, -24), 0));
  oq_tensor_release(&out);
  const oq_tensor *mixed[2] = {&a, &i32a};
  CHECK(run(oq_op_add_exec, NULL, 2, mixed, 1, &out, &err) == OQ_ERR_SHAPE);
  release_all(&a, 1);
  release_all(&b, 1);
  release_all(&z, 1);
  release_all(&i32a, 1);
  release_all(&i32b, 1);
}

OQ_TEST(pow_and_mod) {
  oq_error err = {0};
  oq_tensor a = mk(OQ_DTYPE_FLOAT, 1, D(3), F(2, 3, 4)), e = mk(OQ_DTYPE_INT64, 0, NULL, L(2));
  const oq_tensor *ins[2] = {&a, &e};
  oq_tensor out;
  REQUIRE_OK(run(oq_op_pow_exec, NULL, 2, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 1, D(3), F(4, 9, 16), 1e-6));
  oq_tensor_release(&out);
  oq_tensor x = mk(OQ_DTYPE_INT32, 1, D(4), I32(-4, 7, 5, -5)), y = mk(OQ_DTYPE_INT32, 1, D(4), I32(3, -3, 3, -3));
  const oq_tensor *ins2[2] = {&x, &y};
  REQUIRE_OK(run(oq_op_mod_exec, NULL, 2, ins2, 1, &out, &err)); /* fmod=0: sign of the divisor */
  CHECK(expect(&out, OQ_DTYPE_INT32, 1, D(4), I32(2, -2, 2, -2), 0));
  oq_tensor_release(&out);
  release_all(&a, 1);
  release_all(&e, 1);
  release_all(&x, 1);
  release_all(&y, 1);
}

OQ_TEST(variadic_max_min_sum_mean) {
  oq_error err = {0};
  oq_tensor a = mk(OQ_DTYPE_FLOAT, 1, D(3), F(1, 5, 3)), b = mk(OQ_DTYPE_FLOAT, 2, D(2, 1), F(2, 4)),
            c = mk(OQ_DTYPE_FLOAT, 0, NULL, F(3));
  const oq_tensor *ins[3] = {&a, &b, &c};
  oq_tensor out;
  REQUIRE_OK(run(oq_op_max_exec, NULL, 3, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(2, 3), F(3, 5, 3, 4, 5, 4), 0));
  oq_tensor_release(&out);
  REQUIRE_OK(run(oq_op_min_exec, NULL, 3, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(2, 3), F(1, 2, 2, 1, 3, 3), 0));
  oq_tensor_release(&out);
  REQUIRE_OK(run(oq_op_sum_exec, NULL, 3, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(2, 3), F(6, 10, 8, 8, 12, 10), 0));
  oq_tensor_release(&out);
  REQUIRE_OK(run(oq_op_mean_exec, NULL, 3, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(2, 3), F(2, 10.0 / 3, 8.0 / 3, 8.0 / 3, 4, 10.0 / 3), 1e-6));
  oq_tensor_release(&out);
  REQUIRE_OK(run(oq_op_max_exec, NULL, 1, ins, 1, &out, &err)); /* one input: a copy */
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 1, D(3), F(1, 5, 3), 0));
  oq_tensor_release(&out);
  release_all(&a, 1);
  release_all(&b, 1);
  release_all(&c, 1);
}

OQ_TEST(compare_and_where) {
  oq_error err = {0};
  oq_tensor a = mk(OQ_DTYPE_INT64, 1, D(3), L(1, 2, 3)), b = mk(OQ_DTYPE_INT64, 0, NULL, L(2));
  const oq_tensor *ins[2] = {&a, &b};
  oq_tensor eq, lt, gt;
  REQUIRE_OK(run(oq_op_equal_exec, NULL, 2, ins, 1, &eq, &err));
  CHECK(expect(&eq, OQ_DTYPE_BOOL, 1, D(3), U8(0, 1, 0), 0));
  REQUIRE_OK(run(oq_op_less_exec, NULL, 2, ins, 1, &lt, &err));
  CHECK(expect(&lt, OQ_DTYPE_BOOL, 1, D(3), U8(1, 0, 0), 0));
  REQUIRE_OK(run(oq_op_greater_exec, NULL, 2, ins, 1, &gt, &err));
  CHECK(expect(&gt, OQ_DTYPE_BOOL, 1, D(3), U8(0, 0, 1), 0));
  oq_tensor x = mk(OQ_DTYPE_FLOAT, 2, D(2, 3), F(1, 2, 3, 4, 5, 6)), y = mk(OQ_DTYPE_FLOAT, 0, NULL, F(-1));
  const oq_tensor *w[3] = {&lt, &x, &y};
  oq_tensor out;
  REQUIRE_OK(run(oq_op_where_exec, NULL, 3, w, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(2, 3), F(1, -1, -1, 4, -1, -1), 0));
  oq_tensor_release(&out);
  const oq_tensor *bad[3] = {&x, &x, &y};
  CHECK(run(oq_op_where_exec, NULL, 3, bad, 1, &out, &err) == OQ_ERR_SHAPE);
  release_all(&a, 1);
  release_all(&b, 1);
  release_all(&eq, 1);
  release_all(&lt, 1);
  release_all(&gt, 1);
  release_all(&x, 1);
  release_all(&y, 1);
}

OQ_TEST(prelu_per_channel) {
  oq_error err = {0};
  oq_tensor x = mk(OQ_DTYPE_FLOAT, 3, D(1, 2, 2), F(-1, 2, -3, 4)), s = mk(OQ_DTYPE_FLOAT, 3, D(2, 1, 1), F(0.5, 2));
  const oq_tensor *ins[2] = {&x, &s};
  oq_tensor out;
  REQUIRE_OK(run(oq_op_prelu_exec, NULL, 2, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 3, D(2, 2, 2), F(-0.5, 2, -1.5, 4, -2, 2, -6, 4), 0));
  oq_tensor_release(&out);
  release_all(&x, 1);
  release_all(&s, 1);
}

/* ---- activation ---- */

OQ_TEST(unary_activations) {
  oq_error err = {0};
  oq_tensor x = mk(OQ_DTYPE_FLOAT, 1, D(4), F(-2, -0.5, 0, 3));
  const oq_tensor *ins[1] = {&x};
  oq_tensor out;
  REQUIRE_OK(run(oq_op_relu_exec, NULL, 1, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 1, D(4), F(0, 0, 0, 3), 0));
  oq_tensor_release(&out);
  REQUIRE_OK(run(oq_op_sigmoid_exec, NULL, 1, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 1, D(4), F(0.11920292f, 0.37754067f, 0.5f, 0.95257413f), 1e-6));
  oq_tensor_release(&out);
  REQUIRE_OK(run(oq_op_tanh_exec, NULL, 1, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 1, D(4), F(-0.96402758f, -0.46211716f, 0, 0.99505475f), 1e-6));
  oq_tensor_release(&out);
  REQUIRE_OK(run(oq_op_hard_swish_exec, NULL, 1, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 1, D(4), F(-1.0f / 3, -0.5f * (2.5f / 6), 0, 3), 1e-6));
  oq_tensor_release(&out);
  REQUIRE_OK(run(oq_op_abs_exec, NULL, 1, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 1, D(4), F(2, 0.5, 0, 3), 0));
  oq_tensor_release(&out);
  REQUIRE_OK(run(oq_op_erf_exec, NULL, 1, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 1, D(4), F(-0.99532227f, -0.52049988f, 0, 0.99997791f), 1e-6));
  oq_tensor_release(&out);
  oq_tensor xi = mk(OQ_DTYPE_INT64, 1, D(2), L(INT64_MIN, -5));
  const oq_tensor *ins2[1] = {&xi};
  REQUIRE_OK(run(oq_op_neg_exec, NULL, 1, ins2, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_INT64, 1, D(2), L(INT64_MIN, 5), 0));
  oq_tensor_release(&out);
  CHECK(run(oq_op_relu_exec, NULL, 1, ins2, 1, &out, &err) == OQ_ERR_UNSUPPORTED);
  release_all(&x, 1);
  release_all(&xi, 1);
}

OQ_TEST(leaky_relu_and_hard_sigmoid_attrs) {
  oq_error err = {0};
  test_node n;
  node_init(&n, "LeakyRelu");
  add_float(&n, "alpha", 0.1f);
  void *p;
  REQUIRE_OK(init_params(&n, 16, &p, &err));
  oq_tensor x = mk(OQ_DTYPE_FLOAT, 1, D(3), F(-2, 0, 2));
  const oq_tensor *ins[1] = {&x};
  oq_tensor out;
  REQUIRE_OK(run(oq_op_leaky_relu_exec, p, 1, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 1, D(3), F(-0.2f, 0, 2), 1e-7));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  node_init(&n, "HardSigmoid"); /* defaults alpha 0.2, beta 0.5 */
  REQUIRE_OK(init_params(&n, 6, &p, &err));
  REQUIRE_OK(run(oq_op_hard_sigmoid_exec, p, 1, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 1, D(3), F(0.1f, 0.5f, 0.9f), 1e-7));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  node_init(&n, "LeakyRelu");
  add_int(&n, "alpha", 1); /* wrong attribute type is an error, not a default */
  CHECK(init_params(&n, 16, &p, &err) != OQ_OK);
  release_all(&x, 1);
}

OQ_TEST(clip_attrs_and_inputs) {
  oq_error err = {0};
  test_node n;
  void *p;
  node_init(&n, "Clip");
  add_float(&n, "min", -1);
  add_float(&n, "max", 1);
  REQUIRE_OK(init_params(&n, 6, &p, &err));
  oq_tensor x = mk(OQ_DTYPE_FLOAT, 1, D(4), F(-3, -0.5, 0.5, 3));
  const oq_tensor *ins[3] = {&x, NULL, NULL};
  oq_tensor out;
  REQUIRE_OK(run(oq_op_clip_exec, p, 1, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 1, D(4), F(-1, -0.5, 0.5, 1), 0));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  node_init(&n, "Clip");
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  oq_tensor lo = mk(OQ_DTYPE_FLOAT, 0, NULL, F(0));
  ins[1] = &lo; /* min only */
  REQUIRE_OK(run(oq_op_clip_exec, p, 3, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 1, D(4), F(0, 0, 0.5, 3), 0));
  oq_tensor_release(&out);
  oq_tensor xi = mk(OQ_DTYPE_INT8, 1, D(3), I8(-100, 5, 100)), hi = mk(OQ_DTYPE_INT8, 0, NULL, I8(10));
  const oq_tensor *ins2[3] = {&xi, NULL, &hi};
  REQUIRE_OK(run(oq_op_clip_exec, p, 3, ins2, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_INT8, 1, D(3), I8(-100, 5, 10), 0));
  oq_tensor_release(&out);
  ins2[1] = &lo; /* float bound for an int8 input */
  CHECK(run(oq_op_clip_exec, p, 3, ins2, 1, &out, &err) == OQ_ERR_SHAPE);
  oq_op_params_free(p);
  release_all(&x, 1);
  release_all(&lo, 1);
  release_all(&xi, 1);
  release_all(&hi, 1);
}

OQ_TEST(softmax_axis_and_legacy_coercion) {
  oq_error err = {0};
  test_node n;
  void *p;
  node_init(&n, "Softmax");
  add_int(&n, "axis", 0);
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  oq_tensor x = mk(OQ_DTYPE_FLOAT, 2, D(2, 2), F(0, 1, 0, 3));
  const oq_tensor *ins[1] = {&x};
  oq_tensor out;
  REQUIRE_OK(run(oq_op_softmax_exec, p, 1, ins, 1, &out, &err));
  /* columns: softmax(0,0) = .5,.5 ; softmax(1,3) */
  float e = expf(-2.0f);
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(2, 2), F(0.5f, e / (1 + e), 0.5f, 1 / (1 + e)), 1e-6));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  /* opset 11, axis 0: the whole tensor is one row */
  REQUIRE_OK(init_params(&n, 11, &p, &err));
  REQUIRE_OK(run(oq_op_softmax_exec, p, 1, ins, 1, &out, &err));
  float s = 2 + expf(1) + expf(3);
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(2, 2), F(1 / s, expf(1) / s, 1 / s, expf(3) / s), 1e-6));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  /* default axis at 13 is -1; LogSoftmax */
  node_init(&n, "LogSoftmax");
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  REQUIRE_OK(run(oq_op_log_softmax_exec, p, 1, ins, 1, &out, &err));
  float l1 = logf(1 + expf(1)), l3 = logf(1 + expf(3));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(2, 2), F(-l1, 1 - l1, -l3, 3 - l3), 1e-6));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  node_init(&n, "Softmax");
  add_int(&n, "axis", 2);
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  CHECK(run(oq_op_softmax_exec, p, 1, ins, 1, &out, &err) == OQ_ERR_SHAPE);
  oq_op_params_free(p);
  release_all(&x, 1);
}

/* ---- shape ops ---- */

OQ_TEST(reshape_rules) {
  oq_error err = {0};
  void *p;
  test_node n;
  node_init(&n, "Reshape");
  REQUIRE_OK(init_params(&n, 14, &p, &err));
  oq_tensor x = mk(OQ_DTYPE_FLOAT, 3, D(2, 3, 4), NULL);
  for (int i = 0; i < 24; i++) ((float *)x.data)[i] = (float)i;
  oq_tensor sh = mk(OQ_DTYPE_INT64, 1, D(3), L(0, -1, 2));
  const oq_tensor *ins[2] = {&x, &sh};
  oq_tensor out;
  REQUIRE_OK(run(oq_op_reshape_exec, p, 2, ins, 1, &out, &err));
  CHECK(out.ndim == 3 && out.dims[0] == 2 && out.dims[1] == 6 && out.dims[2] == 2);
  CHECK(((float *)out.data)[23] == 23.0f && out.data != x.data);
  oq_tensor_release(&out);
  oq_tensor bad = mk(OQ_DTYPE_INT64, 1, D(1), L(5));
  ins[1] = &bad;
  CHECK(run(oq_op_reshape_exec, p, 2, ins, 1, &out, &err) == OQ_ERR_SHAPE);
  CHECK(strstr(err.msg, "cannot reshape [2,3,4] to [5]") != NULL);
  oq_op_params_free(p);
  /* allowzero: a literal 0 extent with an empty input */
  node_init(&n, "Reshape");
  add_int(&n, "allowzero", 1);
  REQUIRE_OK(init_params(&n, 14, &p, &err));
  oq_tensor empty = mk(OQ_DTYPE_FLOAT, 2, D(0, 3), NULL), sh0 = mk(OQ_DTYPE_INT64, 1, D(2), L(3, 0));
  const oq_tensor *ins2[2] = {&empty, &sh0};
  REQUIRE_OK(run(oq_op_reshape_exec, p, 2, ins2, 1, &out, &err));
  CHECK(out.ndim == 2 && out.dims[0] == 3 && out.dims[1] == 0);
  oq_tensor_release(&out);
  oq_op_params_free(p);
  release_all(&x, 1);
  release_all(&sh, 1);
  release_all(&bad, 1);
  release_all(&empty, 1);
  release_all(&sh0, 1);
}

OQ_TEST(flatten_axes) {
  oq_error err = {0};
  void *p;
  test_node n;
  oq_tensor x = mk(OQ_DTYPE_INT32, 4, D(2, 3, 4, 5), NULL);
  const oq_tensor *ins[1] = {&x};
  oq_tensor out;
  const int64_t axes[3] = {0, 2, -1};
  const int64_t want[3][2] = {{1, 120}, {6, 20}, {24, 5}};
  for (int i = 0; i < 3; i++) {
    node_init(&n, "Flatten");
    add_int(&n, "axis", axes[i]);
    REQUIRE_OK(init_params(&n, 13, &p, &err));
    REQUIRE_OK(run(oq_op_flatten_exec, p, 1, ins, 1, &out, &err));
    CHECK(out.ndim == 2 && out.dims[0] == want[i][0] && out.dims[1] == want[i][1] && out.dtype == OQ_DTYPE_INT32);
    oq_tensor_release(&out);
    oq_op_params_free(p);
  }
  release_all(&x, 1);
}

OQ_TEST(transpose_perm) {
  oq_error err = {0};
  void *p;
  test_node n;
  node_init(&n, "Transpose");
  add_ints(&n, "perm", L(2, 0, 1), 3);
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  oq_tensor x = mk(OQ_DTYPE_INT64, 3, D(2, 2, 3), L(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11));
  const oq_tensor *ins[1] = {&x};
  oq_tensor out;
  REQUIRE_OK(run(oq_op_transpose_exec, p, 1, ins, 1, &out, &err));
  /* out[k][i][j] = x[i][j][k] */
  CHECK(expect(&out, OQ_DTYPE_INT64, 3, D(3, 2, 2), L(0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11), 0));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  node_init(&n, "Transpose"); /* default: reverse */
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  oq_tensor m = mk(OQ_DTYPE_FLOAT, 2, D(2, 3), F(1, 2, 3, 4, 5, 6));
  ins[0] = &m;
  REQUIRE_OK(run(oq_op_transpose_exec, p, 1, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(3, 2), F(1, 4, 2, 5, 3, 6), 0));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  node_init(&n, "Transpose");
  add_ints(&n, "perm", L(0, 0), 2);
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  CHECK(run(oq_op_transpose_exec, p, 1, ins, 1, &out, &err) == OQ_ERR_SHAPE);
  oq_op_params_free(p);
  release_all(&x, 1);
  release_all(&m, 1);
}

OQ_TEST(concat_and_split) {
  oq_error err = {0};
  void *p;
  test_node n;
  node_init(&n, "Concat");
  add_int(&n, "axis", -1);
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  oq_tensor a = mk(OQ_DTYPE_FLOAT, 2, D(2, 1), F(1, 2)), b = mk(OQ_DTYPE_FLOAT, 2, D(2, 2), F(3, 4, 5, 6)),
            e = mk(OQ_DTYPE_FLOAT, 2, D(2, 0), NULL);
  const oq_tensor *ins[3] = {&a, &e, &b};
  oq_tensor out;
  REQUIRE_OK(run(oq_op_concat_exec, p, 3, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(2, 3), F(1, 3, 4, 2, 5, 6), 0));
  oq_op_params_free(p);
  /* split it back: sizes [1, 2] on axis 1 (opset 13 input) */
  node_init(&n, "Split");
  add_int(&n, "axis", -1);
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  oq_tensor sizes = mk(OQ_DTYPE_INT64, 1, D(2), L(1, 2));
  const oq_tensor *sins[2] = {&out, &sizes};
  oq_tensor parts[2];
  REQUIRE_OK(run(oq_op_split_exec, p, 2, sins, 2, parts, &err));
  CHECK(expect(&parts[0], OQ_DTYPE_FLOAT, 2, D(2, 1), F(1, 2), 0));
  CHECK(expect(&parts[1], OQ_DTYPE_FLOAT, 2, D(2, 2), F(3, 4, 5, 6), 0));
  release_all(parts, 2);
  oq_tensor three[3];
  REQUIRE_OK(run(oq_op_split_exec, p, 1, sins, 3, three, &err)); /* no sizes: equal parts */
  CHECK(expect(&three[2], OQ_DTYPE_FLOAT, 2, D(2, 1), F(4, 6), 0));
  release_all(three, 3);
  oq_tensor two[2];
  oq_tensor odd = mk(OQ_DTYPE_FLOAT, 1, D(3), F(1, 2, 3));
  const oq_tensor *oins[1] = {&odd};
  CHECK(run(oq_op_split_exec, p, 1, oins, 2, two, &err) == OQ_ERR_SHAPE); /* opset 13: must divide */
  release_all(&odd, 1);
  oq_op_params_free(p);
  oq_tensor bad = mk(OQ_DTYPE_FLOAT, 2, D(3, 1), NULL);
  ins[1] = &bad;
  node_init(&n, "Concat");
  add_int(&n, "axis", 1);
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  CHECK(run(oq_op_concat_exec, p, 2, ins, 1, three, &err) == OQ_ERR_SHAPE);
  oq_op_params_free(p);
  oq_tensor_release(&out);
  release_all(&a, 1);
  release_all(&b, 1);
  release_all(&e, 1);
  release_all(&sizes, 1);
  release_all(&bad, 1);
}

OQ_TEST(shape_size_gather) {
  oq_error err = {0};
  void *p;
  test_node n;
  node_init(&n, "Shape");
  add_int(&n, "start", 1);
  add_int(&n, "end", -1);
  REQUIRE_OK(init_params(&n, 15, &p, &err));
  oq_tensor x = mk(OQ_DTYPE_FLOAT, 4, D(2, 3, 4, 5), NULL);
  const oq_tensor *ins[2] = {&x, NULL};
  oq_tensor out;
  REQUIRE_OK(run(oq_op_shape_exec, p, 1, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_INT64, 1, D(2), L(3, 4), 0));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  REQUIRE_OK(run(oq_op_size_exec, NULL, 1, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_INT64, 0, NULL, L(120), 0));
  oq_tensor_release(&out);
  /* Gather axis 1 with 2-D negative indices */
  node_init(&n, "Gather");
  add_int(&n, "axis", 1);
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  oq_tensor d = mk(OQ_DTYPE_FLOAT, 2, D(2, 3), F(1, 2, 3, 4, 5, 6));
  oq_tensor idx = mk(OQ_DTYPE_INT64, 2, D(1, 2), L(-1, 0));
  ins[0] = &d;
  ins[1] = &idx;
  REQUIRE_OK(run(oq_op_gather_exec, p, 2, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 3, D(2, 1, 2), F(3, 1, 6, 4), 0));
  oq_tensor_release(&out);
  oq_tensor far = mk(OQ_DTYPE_INT32, 0, NULL, I32(3));
  ins[1] = &far;
  CHECK(run(oq_op_gather_exec, p, 2, ins, 1, &out, &err) == OQ_ERR_SHAPE);
  CHECK(strstr(err.msg, "index 3 out of range") != NULL);
  oq_op_params_free(p);
  /* scalar index on axis 0 drops the axis */
  node_init(&n, "Gather");
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  oq_tensor one = mk(OQ_DTYPE_INT64, 0, NULL, L(1));
  ins[1] = &one;
  REQUIRE_OK(run(oq_op_gather_exec, p, 2, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 1, D(3), F(4, 5, 6), 0));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  release_all(&x, 1);
  release_all(&d, 1);
  release_all(&idx, 1);
  release_all(&far, 1);
  release_all(&one, 1);
}

OQ_TEST(squeeze_unsqueeze_both_opsets) {
  oq_error err = {0};
  void *p;
  test_node n;
  oq_tensor x = mk(OQ_DTYPE_FLOAT, 2, D(2, 3), NULL), axes = mk(OQ_DTYPE_INT64, 1, D(2), L(0, -1));
  const oq_tensor *ins[2] = {&x, &axes};
  oq_tensor out, out2;
  node_init(&n, "Unsqueeze");
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  REQUIRE_OK(run(oq_op_unsqueeze_exec, p, 2, ins, 1, &out, &err));
  CHECK(out.ndim == 4 && out.dims[0] == 1 && out.dims[1] == 2 && out.dims[2] == 3 && out.dims[3] == 1);
  /* squeeze without axes removes every 1 */
  const oq_tensor *sq[2] = {&out, NULL};
  REQUIRE_OK(run(oq_op_squeeze_exec, p, 1, sq, 1, &out2, &err));
  CHECK(out2.ndim == 2 && out2.dims[0] == 2 && out2.dims[1] == 3);
  oq_tensor_release(&out2);
  oq_op_params_free(p);
  /* opset 11 attribute form */
  node_init(&n, "Squeeze");
  add_ints(&n, "axes", L(3), 1);
  REQUIRE_OK(init_params(&n, 11, &p, &err));
  REQUIRE_OK(run(oq_op_squeeze_exec, p, 1, sq, 1, &out2, &err));
  CHECK(out2.ndim == 3 && out2.dims[0] == 1 && out2.dims[2] == 3);
  oq_tensor_release(&out2);
  oq_op_params_free(p);
  node_init(&n, "Squeeze");
  add_ints(&n, "axes", L(1), 1);
  REQUIRE_OK(init_params(&n, 11, &p, &err));
  CHECK(run(oq_op_squeeze_exec, p, 1, sq, 1, &out2, &err) == OQ_ERR_SHAPE);
  oq_op_params_free(p);
  node_init(&n, "Unsqueeze");
  add_ints(&n, "axes", L(0, 0), 2);
  REQUIRE_OK(init_params(&n, 11, &p, &err));
  CHECK(run(oq_op_unsqueeze_exec, p, 1, ins, 1, &out2, &err) == OQ_ERR_SHAPE);
  oq_op_params_free(p);
  oq_tensor_release(&out);
  release_all(&x, 1);
  release_all(&axes, 1);
}

OQ_TEST(slice_inputs_steps_and_clamping) {
  oq_error err = {0};
  void *p;
  test_node n;
  node_init(&n, "Slice");
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  oq_tensor x = mk(OQ_DTYPE_FLOAT, 2, D(3, 4), F(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11));
  oq_tensor st = mk(OQ_DTYPE_INT64, 1, D(2), L(-1, 1)), en = mk(OQ_DTYPE_INT64, 1, D(2), L(INT64_MIN, INT64_MAX));
  oq_tensor ax = mk(OQ_DTYPE_INT64, 1, D(2), L(0, 1)), sp = mk(OQ_DTYPE_INT64, 1, D(2), L(-2, 2));
  const oq_tensor *ins[5] = {&x, &st, &en, &ax, &sp};
  oq_tensor out;
  REQUIRE_OK(run(oq_op_slice_exec, p, 5, ins, 1, &out, &err));
  /* rows 2, 0 ; columns 1, 3 */
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(2, 2), F(9, 11, 1, 3), 0));
  oq_tensor_release(&out);
  /* only starts/ends (int32), axes default */
  oq_tensor s32 = mk(OQ_DTYPE_INT32, 1, D(1), I32(1)), e32 = mk(OQ_DTYPE_INT32, 1, D(1), I32(1000));
  const oq_tensor *ins2[3] = {&x, &s32, &e32};
  REQUIRE_OK(run(oq_op_slice_exec, p, 3, ins2, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(2, 4), F(4, 5, 6, 7, 8, 9, 10, 11), 0));
  oq_tensor_release(&out);
  oq_tensor zero = mk(OQ_DTYPE_INT64, 1, D(2), L(0, 0));
  ins[4] = &zero;
  CHECK(run(oq_op_slice_exec, p, 5, ins, 1, &out, &err) == OQ_ERR_SHAPE);
  oq_op_params_free(p);
  /* opset 1 attributes; step INT64_MIN would overflow if not clamped */
  node_init(&n, "Slice");
  add_ints(&n, "starts", L(1), 1);
  add_ints(&n, "ends", L(-1), 1);
  add_ints(&n, "axes", L(1), 1);
  REQUIRE_OK(init_params(&n, 9, &p, &err));
  REQUIRE_OK(run(oq_op_slice_exec, p, 1, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(3, 2), F(1, 2, 5, 6, 9, 10), 0));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  node_init(&n, "Slice");
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  oq_tensor big = mk(OQ_DTYPE_INT64, 1, D(1), L(INT64_MIN)), s0 = mk(OQ_DTYPE_INT64, 1, D(1), L(-1)),
            e0 = mk(OQ_DTYPE_INT64, 1, D(1), L(INT64_MIN)), a1 = mk(OQ_DTYPE_INT64, 1, D(1), L(1));
  const oq_tensor *ins3[5] = {&x, &s0, &e0, &a1, &big};
  REQUIRE_OK(run(oq_op_slice_exec, p, 5, ins3, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(3, 1), F(3, 7, 11), 0));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  release_all(&x, 1);
  release_all(&st, 1);
  release_all(&en, 1);
  release_all(&ax, 1);
  release_all(&sp, 1);
  release_all(&s32, 1);
  release_all(&e32, 1);
  release_all(&zero, 1);
  release_all(&big, 1);
  release_all(&s0, 1);
  release_all(&e0, 1);
  release_all(&a1, 1);
}

OQ_TEST(cast_types) {
  oq_error err = {0};
  void *p;
  test_node n;
  node_init(&n, "Cast");
  add_int(&n, "to", OQ_DTYPE_INT32);
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  oq_tensor x = mk(OQ_DTYPE_FLOAT, 1, D(4), F(-1.7f, 2.9f, 1e20f, NAN));
  const oq_tensor *ins[1] = {&x};
  oq_tensor out;
  REQUIRE_OK(run(oq_op_cast_exec, p, 1, ins, 1, &out, &err)); /* truncation; out of range saturates, NaN 0 */
  CHECK(expect(&out, OQ_DTYPE_INT32, 1, D(4), I32(-1, 2, INT32_MAX, 0), 0));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  node_init(&n, "Cast");
  add_int(&n, "to", OQ_DTYPE_BOOL);
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  REQUIRE_OK(run(oq_op_cast_exec, p, 1, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_BOOL, 1, D(4), U8(1, 1, 1, 1), 0));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  node_init(&n, "Cast");
  add_int(&n, "to", OQ_DTYPE_FLOAT16);
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  oq_tensor h = mk(OQ_DTYPE_FLOAT, 1, D(3), F(1.0f, -2.5f, 65504.0f));
  ins[0] = &h;
  REQUIRE_OK(run(oq_op_cast_exec, p, 1, ins, 1, &out, &err));
  const uint16_t want[3] = {0x3c00, 0xc100, 0x7bff};
  CHECK(out.dtype == OQ_DTYPE_FLOAT16 && memcmp(out.data, want, 6) == 0);
  oq_tensor_release(&out);
  oq_op_params_free(p);
  node_init(&n, "Cast");
  add_int(&n, "to", OQ_DTYPE_STRING);
  CHECK(init_params(&n, 13, &p, &err) == OQ_ERR_UNSUPPORTED);
  oq_tensor i64 = mk(OQ_DTYPE_INT64, 1, D(2), L(-3, 300));
  oq_tensor like = mk(OQ_DTYPE_UINT8, 0, NULL, U8(0));
  const oq_tensor *cl[2] = {&i64, &like};
  REQUIRE_OK(run(oq_op_cast_like_exec, NULL, 2, cl, 1, &out, &err)); /* integer casts wrap like C */
  CHECK(expect(&out, OQ_DTYPE_UINT8, 1, D(2), U8(253, 44), 0));
  oq_tensor_release(&out);
  release_all(&x, 1);
  release_all(&h, 1);
  release_all(&i64, 1);
  release_all(&like, 1);
}

OQ_TEST(expand_tile_range) {
  oq_error err = {0};
  oq_tensor x = mk(OQ_DTYPE_INT64, 2, D(3, 1), L(1, 2, 3)), sh = mk(OQ_DTYPE_INT64, 1, D(3), L(2, 1, 2));
  const oq_tensor *ins[2] = {&x, &sh};
  oq_tensor out;
  REQUIRE_OK(run(oq_op_expand_exec, NULL, 2, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_INT64, 3, D(2, 3, 2), L(1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3), 0));
  oq_tensor_release(&out);
  oq_tensor bad = mk(OQ_DTYPE_INT64, 1, D(2), L(4, 2));
  ins[1] = &bad;
  CHECK(run(oq_op_expand_exec, NULL, 2, ins, 1, &out, &err) == OQ_ERR_SHAPE);
  oq_tensor rep = mk(OQ_DTYPE_INT64, 1, D(2), L(1, 2));
  ins[1] = &rep;
  REQUIRE_OK(run(oq_op_tile_exec, NULL, 2, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_INT64, 2, D(3, 2), L(1, 1, 2, 2, 3, 3), 0));
  oq_tensor_release(&out);
  oq_tensor s = mk(OQ_DTYPE_INT32, 0, NULL, I32(10)), l = mk(OQ_DTYPE_INT32, 0, NULL, I32(4)),
            d = mk(OQ_DTYPE_INT32, 0, NULL, I32(-3));
  const oq_tensor *r[3] = {&s, &l, &d};
  REQUIRE_OK(run(oq_op_range_exec, NULL, 3, r, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_INT32, 1, D(2), I32(10, 7), 0));
  oq_tensor_release(&out);
  release_all(&x, 1);
  release_all(&sh, 1);
  release_all(&bad, 1);
  release_all(&rep, 1);
  release_all(&s, 1);
  release_all(&l, 1);
  release_all(&d, 1);
}

OQ_TEST(constant_and_constant_of_shape) {
  oq_error err = {0};
  void *p;
  test_node n;
  node_init(&n, "Constant");
  add_ints(&n, "value_ints", L(4, 5, 6), 3);
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  oq_tensor out;
  REQUIRE_OK(run(oq_op_constant_exec, p, 0, NULL, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_INT64, 1, D(3), L(4, 5, 6), 0));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  /* value tensor with float_data */
  node_init(&n, "Constant");
  Onnx__TensorProto tp;
  onnx__tensor_proto__init(&tp);
  int64_t tdims[2] = {1, 2};
  float tvals[2] = {1.5f, -2};
  tp.n_dims = 2;
  tp.dims = tdims;
  tp.has_data_type = 1;
  tp.data_type = OQ_DTYPE_FLOAT;
  tp.n_float_data = 2;
  tp.float_data = tvals;
  Onnx__AttributeProto *a = add_attr(&n, "value", ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
  a->t = &tp;
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  REQUIRE_OK(run(oq_op_constant_exec, p, 0, NULL, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(1, 2), F(1.5f, -2), 0));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  /* ConstantOfShape with an int64 value, then the float zero default */
  int64_t seven = 7, one = 1;
  tp.n_dims = 1;
  tp.dims = &one;
  tp.data_type = OQ_DTYPE_INT64;
  tp.n_float_data = 0;
  tp.float_data = NULL;
  tp.n_int64_data = 1;
  tp.int64_data = &seven;
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  oq_tensor sh = mk(OQ_DTYPE_INT64, 1, D(2), L(2, 2));
  const oq_tensor *ins[1] = {&sh};
  REQUIRE_OK(run(oq_op_constant_of_shape_exec, p, 1, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_INT64, 2, D(2, 2), L(7, 7, 7, 7), 0));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  node_init(&n, "ConstantOfShape");
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  REQUIRE_OK(run(oq_op_constant_of_shape_exec, p, 1, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(2, 2), F(0, 0, 0, 0), 0));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  release_all(&sh, 1);
}

/* Fuzzing regressions: empty tensors whose other extents are huge hold no bytes, but kernels that loop over their
 * outer extents ([2^40, 0] concatenated on axis 1) or multiply their extents (Flatten of [0, 2^40, 2^40]) hung or
 * overflowed int64. */
OQ_TEST(empty_tensors_with_huge_extents) {
  oq_error err = {0};
  void *p;
  test_node n;
  const int64_t big = (int64_t)1 << 40;
  oq_tensor e = mk(OQ_DTYPE_FLOAT, 2, D(big, 0), NULL), out;
  node_init(&n, "Concat");
  add_int(&n, "axis", 1);
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  const oq_tensor *ins[2] = {&e, &e};
  REQUIRE_OK(run(oq_op_concat_exec, p, 2, ins, 1, &out, &err)); /* used to loop 2^40 times */
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(big, 0), NULL, 0));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  node_init(&n, "Gather");
  add_int(&n, "axis", 1);
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  oq_tensor none = mk(OQ_DTYPE_INT64, 1, D(0), NULL);
  ins[1] = &none;
  REQUIRE_OK(run(oq_op_gather_exec, p, 2, ins, 1, &out, &err)); /* same */
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(big, 0), NULL, 0));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  /* extents that multiply past int64 are refused even for empty tensors; 2^62 is fine */
  oq_tensor t;
  CHECK(oq_tensor_alloc(&t, OQ_DTYPE_FLOAT, 3, D(0, big, big), &err) == OQ_ERR_SHAPE);
  CHECK(!oq_tensor_extents_ok(3, D(0, big, big)));
  CHECK(oq_tensor_extents_ok(3, D(0, (int64_t)1 << 31, (int64_t)1 << 31)));
  oq_tensor wide = mk(OQ_DTYPE_FLOAT, 3, D(0, (int64_t)1 << 31, (int64_t)1 << 31), NULL);
  node_init(&n, "Flatten");
  add_int(&n, "axis", 1);
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  ins[0] = &wide;
  REQUIRE_OK(run(oq_op_flatten_exec, p, 1, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_FLOAT, 2, D(0, (int64_t)1 << 62), NULL, 0));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  release_all(&e, 1);
  release_all(&none, 1);
  release_all(&wide, 1);
}

/* Memory bombs fail at once with a size error instead of allocating (and filling) terabytes. */
OQ_TEST(tensor_size_limit) {
  oq_error err = {0};
  void *p;
  test_node n;
  oq_tensor t, out;
  CHECK(oq_tensor_alloc(&t, OQ_DTYPE_FLOAT, 1, D((int64_t)(OQ_MAX_TENSOR_BYTES / 4) + 1), &err) == OQ_ERR_NOMEM);
  CHECK(strstr(err.msg, "over the limit") != NULL);
  node_init(&n, "ConstantOfShape");
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  oq_tensor sh = mk(OQ_DTYPE_INT64, 1, D(1), L((int64_t)1 << 40));
  const oq_tensor *ins[3] = {&sh, NULL, NULL};
  CHECK(run(oq_op_constant_of_shape_exec, p, 1, ins, 1, &out, &err) == OQ_ERR_NOMEM);
  CHECK(strstr(err.msg, "[1099511627776]") != NULL);
  oq_op_params_free(p);
  oq_tensor x = mk(OQ_DTYPE_FLOAT, 2, D(1, 4), F(1, 2, 3, 4));
  oq_tensor shape = mk(OQ_DTYPE_INT64, 1, D(3), L((int64_t)1 << 20, (int64_t)1 << 20, 4));
  oq_tensor reps = mk(OQ_DTYPE_INT64, 1, D(2), L((int64_t)1 << 20, (int64_t)1 << 20));
  ins[0] = &x;
  ins[1] = &shape;
  CHECK(run(oq_op_expand_exec, NULL, 2, ins, 1, &out, &err) == OQ_ERR_NOMEM);
  ins[1] = &reps;
  CHECK(run(oq_op_tile_exec, NULL, 2, ins, 1, &out, &err) == OQ_ERR_NOMEM);
  oq_tensor a = mk(OQ_DTYPE_FLOAT, 0, NULL, F(0)), l = mk(OQ_DTYPE_FLOAT, 0, NULL, F(1e12f)),
            d = mk(OQ_DTYPE_FLOAT, 0, NULL, F(1));
  const oq_tensor *r[3] = {&a, &l, &d};
  CHECK(run(oq_op_range_exec, NULL, 3, r, 1, &out, &err) == OQ_ERR_NOMEM);
  release_all(&sh, 1);
  release_all(&x, 1);
  release_all(&shape, 1);
  release_all(&reps, 1);
  release_all(&a, 1);
  release_all(&l, 1);
  release_all(&d, 1);
}

/* ---- qdq ---- */

OQ_TEST(quantize_rounds_half_even_and_saturates) {
  oq_error err = {0};
  void *p;
  test_node n;
  node_init(&n, "QuantizeLinear");
  REQUIRE_OK(init_params(&n, 10, &p, &err));
  oq_tensor x = mk(OQ_DTYPE_FLOAT, 1, D(7), F(0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 1000, -1000));
  oq_tensor s = mk(OQ_DTYPE_FLOAT, 0, NULL, F(1)), z8 = mk(OQ_DTYPE_INT8, 0, NULL, I8(0));
  const oq_tensor *ins[3] = {&x, &s, &z8};
  oq_tensor out;
  REQUIRE_OK(run(oq_op_quantize_linear_exec, p, 3, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_INT8, 1, D(7), I8(0, 2, 2, 0, -2, 127, -128), 0));
  oq_tensor_release(&out);
  /* no zero point: uint8 */
  REQUIRE_OK(run(oq_op_quantize_linear_exec, p, 2, ins, 1, &out, &err));
  CHECK(expect(&out, OQ_DTYPE_UINT8, 1, D(7), U8(0, 2, 2, 0, 0, 255, 0), 0));
  oq_tensor_release(&out);
  oq_op_params_free(p);
  release_all(&x, 1);
  release_all(&s, 1);
  release_all(&z8, 1);
}

OQ_TEST(quantize_dequantize_per_axis) {
  oq_error err = {0};
  void *p;
  test_node n;
  node_init(&n, "QuantizeLinear");
  add_int(&n, "axis", 1);
  REQUIRE_OK(init_params(&n, 13, &p, &err));
  oq_tensor x = mk(OQ_DTYPE_FLOAT, 3, D(1, 3, 2), F(2, 4, 2, 4, 2, 4));
  oq_tensor s = mk(OQ_DTYPE_FLOAT, 1, D(3), F(1, 2, 4)), z = mk(OQ_DTYPE_UINT8, 1, D(3), U8(0, 10, 100));
  const oq_tensor *ins[3] = {&x, &s, &z};
  oq_tensor q, dq;
  REQUIRE_OK(run(oq_op_quantize_linear_exec, p, 3, ins, 1, &q, &err));
  CHECK(expect(&q, OQ_DTYPE_UINT8, 3, D(1, 3, 2), U8(2, 4, 11, 12, 100, 101), 0)); /* 0.5 -> 0 (even) */
  const oq_tensor *dins[3] = {&q, &s, &z};
  REQUIRE_OK(run(oq_op_dequantize_linear_exec, p, 3, dins, 1, &dq, &err));
  CHECK(expect(&dq, OQ_DTYPE_FLOAT, 3, D(1, 3, 2), F(2, 4, 2, 4, 0, 4), 0));
  oq_tensor_release(&dq);
  oq_tensor s2 = mk(OQ_DTYPE_FLOAT, 1, D(2), F(1, 2));
  ins[1] = &s2;
  ins[2] = NULL;
  CHECK(run(oq_op_quantize_linear_exec, p, 2, ins, 1, &dq, &err) == OQ_ERR_SHAPE);
  oq_op_params_free(p);
  /* opset 10 refuses per-axis scales */
  node_init(&n, "DequantizeLinear");
  REQUIRE_OK(init_params(&n, 10, &p, &err));
  CHECK(run(oq_op_dequantize_linear_exec, p, 3, dins, 1, &dq, &err) == OQ_ERR_SHAPE);
  /* int32 (bias) dequantization */
  oq_tensor b = mk(OQ_DTYPE_INT32, 1, D(2), I32(-4, 6)), bs = mk(OQ_DTYPE_FLOAT, 0, NULL, F(0.25f));
  const oq_tensor *bins[2] = {&b, &bs};
  REQUIRE_OK(run(oq_op_dequantize_linear_exec, p, 2, bins, 1, &dq, &err));
  CHECK(expect(&dq, OQ_DTYPE_FLOAT, 1, D(2), F(-1, 1.5f), 0));
  oq_tensor_release(&dq);
  oq_op_params_free(p);
  oq_tensor_release(&q);
  release_all(&x, 1);
  release_all(&s, 1);
  release_all(&z, 1);
  release_all(&s2, 1);
  release_all(&b, 1);
  release_all(&bs, 1);
}

OQ_TEST(registry_rows) {
  CHECK(oq_op_find("Softmax", "", 13) != NULL);
  CHECK(oq_op_find("Clip", "ai.onnx", 11) != NULL);
  CHECK(oq_op_find("QuantizeLinear", "", 19) != NULL);
  CHECK(oq_op_find("QuantizeLinear", "", 9) == NULL);
  CHECK(oq_op_find("Gelu", "", 18) == NULL);
  CHECK(oq_op_find("Reshape", "", 5)->exec == oq_op_reshape_exec);
  /* rows bind by arity: Clip-6 has no min/max inputs, Clip-11 has */
  CHECK(oq_op_find("Clip", "", 6)->max_inputs == 1 && oq_op_find("Clip", "", 11)->max_inputs == 3);
  /* upper bounds: Reshape's schema changed at 19 and 21 by element types only (bound 21), next at 23; Conv's at 22;
   * Gemm has not changed since 13 */
  const oq_op_def *row = NULL;
  CHECK(oq_op_resolve("Reshape", "", 19, &row) == OQ_OP_FOUND && row->exec == oq_op_reshape_exec);
  CHECK(oq_op_resolve("Reshape", "", 21, &row) == OQ_OP_FOUND && row->exec == oq_op_reshape_exec);
  CHECK(oq_op_resolve("Reshape", "", 22, &row) == OQ_OP_TOO_NEW && row && row->max_opset == 21);
  CHECK(oq_op_resolve("Conv", "", 22, &row) == OQ_OP_TOO_NEW);
  CHECK(oq_op_resolve("Gemm", "", 28, &row) == OQ_OP_FOUND);
  CHECK(oq_op_resolve("Reshape", "", 4, &row) == OQ_OP_UNKNOWN);
  CHECK(oq_op_resolve("NoSuchOp", "", 13, &row) == OQ_OP_UNKNOWN && row == NULL);
  CHECK(oq_op_resolve("Relu", "com.example", 13, &row) == OQ_OP_UNKNOWN);
  /* executable rows carry the quantization policy too (ConvTranspose was a policy-only row before it ran) */
  CHECK(oq_op_find("ConvTranspose", "", 13)->exec == oq_op_convt_exec);
  CHECK(oq_op_first_row("ConvTranspose", "")->quant_kind == OQ_OP_QUANT_WEIGHTED);
  /* the flags the executor reads */
  CHECK(oq_op_find("Identity", "", 13)->flags & OQ_OP_FLAG_VIEW);
  CHECK(oq_op_find("Flatten", "", 13)->flags & OQ_OP_FLAG_VIEW);
  CHECK(oq_op_find("Relu", "", 13)->flags & OQ_OP_FLAG_INPLACE);
  CHECK(!(oq_op_find("Softmax", "", 13)->flags & (OQ_OP_FLAG_INPLACE | OQ_OP_FLAG_VIEW)));
}

/* The invariants the lookup relies on, over the whole table: rows of one op are adjacent with increasing
 * since-versions, each non-last row ends where the next begins, every executable row has its functions, every
 * row of an op carries the same quantization policy, and each op is found by hash at each of its opsets. */
OQ_TEST(op_table_invariants) {
  int32_t n;
  const oq_op_def *t = oq_op_table(&n);
  REQUIRE(n > 80);
  for (int32_t i = 0; i < n; i++) {
    const oq_op_def *d = &t[i];
    CHECK(d->since_version >= 1 && d->max_opset >= d->since_version);
    CHECK(d->attrs != NULL);
    if (d->exec) CHECK(d->init && d->free_params && d->min_inputs <= d->max_inputs && d->min_outputs <= d->max_outputs);
    int same_next = i + 1 < n && strcmp(t[i + 1].op_type, d->op_type) == 0 && strcmp(t[i + 1].domain, d->domain) == 0;
    if (same_next) {
      CHECK(t[i + 1].since_version > d->since_version);
      CHECK(d->max_opset == t[i + 1].since_version - 1);
      CHECK(t[i + 1].quant_kind == d->quant_kind && t[i + 1].quant_axis == d->quant_axis &&
            t[i + 1].quant_min_opset == d->quant_min_opset);
      CHECK((t[i + 1].exec == NULL) == (d->exec == NULL));
    }
    for (int32_t j = i + 1; j < n; j++) /* no op appears again after its group */
      if (strcmp(t[j].op_type, d->op_type) == 0 && strcmp(t[j].domain, d->domain) == 0)
        CHECK(strcmp(t[j - 1].op_type, d->op_type) == 0 && strcmp(t[j - 1].domain, d->domain) == 0);
    if (d->exec) {
      CHECK(oq_op_find(d->op_type, d->domain, d->since_version) == d);
      CHECK(oq_op_find(d->op_type, d->domain, d->max_opset) == d);
    }
    CHECK(oq_op_first_row(d->op_type, d->domain) != NULL);
  }
}

OQ_TEST_MAIN()
