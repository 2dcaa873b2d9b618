/* Activation fusion (exec/plan.c fuse_activations): Relu, Clip (bounds from initializers or attributes) and
 * x * sigmoid(x) after a Conv are applied in the convolution's stores. A run without an observer (fused) gives the
 * same bytes as a run with one (every node separate), for the im2col, pointwise and depthwise paths; a Conv output
 * that another node also reads is not fused and still feeds that node its pre-activation values.
 * Concat in place (exec/plan.c plan_concat_inplace): producers write into the Concat's output; the bytes are those
 * of the separate copies, for fused writers, plain ones, and inputs that must still be copied. */
#include "oq_test.h"
#include "exec/exec.h"
#include "test_build.h"

static float rnd_state = 0.1f;
static void fill(float *d, size_t n) {
  for (size_t i = 0; i < n; i++) {
    rnd_state = rnd_state * 3.7f + 0.3f;
    rnd_state -= (float)(int)rnd_state;
    d[i] = rnd_state - 0.45f;
  }
}

/* x [1, 8, 14, 14] -> Conv 3x3 pad 1 (+B) -> Relu -> Conv 1x1 -> Clip(0, 6 from initializers) -> depthwise Conv 3x3
 * pad 1 -> Sigmoid/Mul -> Conv 3x3 stride 2 -> Clip(-0.1, 0.2 attributes, opset 6 style only with opset < 11, so
 * here a Relu) -> c5: Conv 1x1 read by a Relu and an Add (not fused) -> y. */
static oq_model *fuse_model(void) {
  static float w1[16 * 8 * 9], b1[16], w2[8 * 16], w3[8 * 9], b3[8], w4[16 * 8 * 9], w5[16 * 16], lo = 0.0f, hi = 0.25f;
  fill(w1, sizeof w1 / 4);
  fill(b1, 16);
  fill(w2, sizeof w2 / 4);
  fill(w3, sizeof w3 / 4);
  fill(b3, 8);
  fill(w4, sizeof w4 / 4);
  fill(w5, sizeof w5 / 4);
  tb_model b;
  tb_start(&b);
  tb_input(&b, "x");
  tb_output(&b, "y");
  int64_t d1[4] = {16, 8, 3, 3}, d16 = 16, d2[4] = {8, 16, 1, 1}, d3[4] = {8, 1, 3, 3}, d8 = 8, d4[4] = {16, 8, 3, 3},
          d5[4] = {16, 16, 1, 1}, one = 1;
  tb_init(&b, "w1", 4, d1, w1);
  tb_init(&b, "b1", 1, &d16, b1);
  tb_init(&b, "w2", 4, d2, w2);
  tb_init(&b, "w3", 4, d3, w3);
  tb_init(&b, "b3", 1, &d8, b3);
  tb_init(&b, "w4", 4, d4, w4);
  tb_init(&b, "w5", 4, d5, w5);
  tb_init(&b, "lo", 0, &one, &lo);
  tb_init(&b, "hi", 0, &one, &hi);
  int64_t pads[4] = {1, 1, 1, 1}, s2[2] = {2, 2}, grp = 8;
  tb_attr_ints(&b, tb_node(&b, "Conv", "c1", "x,w1,b1", "a1"), "pads", pads, 4);
  tb_node(&b, "Relu", "r1", "a1", "r1");
  tb_node(&b, "Conv", "c2", "r1,w2", "a2");
  tb_node(&b, "Clip", "k2", "a2,lo,hi", "r2");
  Onnx__NodeProto *c3 = tb_node(&b, "Conv", "c3", "r2,w3,b3", "a3");
  tb_attr_ints(&b, c3, "pads", pads, 4);
  tb_attr_ints(&b, c3, "group", &grp, 0);
  tb_node(&b, "Sigmoid", "s3", "a3", "s3");
  tb_node(&b, "Mul", "m3", "s3,a3", "r3");
  Onnx__NodeProto *c4 = tb_node(&b, "Conv", "c4", "r3,w4", "a4");
  tb_attr_ints(&b, c4, "pads", pads, 4);
  tb_attr_ints(&b, c4, "strides", s2, 2);
  tb_node(&b, "Relu", "r4", "a4", "r4");
  tb_node(&b, "Conv", "c5", "r4,w5", "a5");
  tb_node(&b, "Relu", "r5", "a5", "r5");
  tb_node(&b, "Add", "add", "r5,a5", "y");
  return tb_finish(&b, 13);
}

static oq_status count_values(void *user, const oq_graph *scope, int32_t value_id, const oq_tensor *t, oq_error *err) {
  (void)scope;
  (void)value_id;
  (void)t;
  (void)err;
  ++*(int *)user;
  return OQ_OK;
}

OQ_TEST(fused_run_equals_separate_nodes) {
  oq_error err = {0};
  oq_model *model = fuse_model();
  REQUIRE(model);
  oq_plan *plan = NULL;
  REQUIRE_OK(oq_plan_build(model, &plan, &err));
  oq_tensor x = {0}, y0 = {0}, y1 = {0};
  int64_t dims[4] = {1, 8, 14, 14};
  REQUIRE_OK(oq_tensor_alloc(&x, OQ_DTYPE_FLOAT, 4, dims, &err));
  fill(x.data, (size_t)oq_tensor_numel(&x));
  int seen = 0;
  REQUIRE_OK(oq_plan_run(plan, &x, &y0, count_values, &seen, &err)); /* observed: every node on its own */
  CHECK(seen > 10);
  for (int run = 0; run < 2; run++) {
    REQUIRE_OK(oq_plan_run(plan, &x, &y1, NULL, NULL, &err)); /* fused */
    CHECK(y0.nbytes == y1.nbytes && y0.nbytes == 16 * 7 * 7 * 4);
    CHECK(memcmp(y0.data, y1.data, y0.nbytes) == 0);
    oq_tensor_release(&y1);
  }
  /* the pre-activation values reach the Add: y = relu(a5) + a5 is not 2 * relu(a5) everywhere */
  const float *yd = y0.data;
  int negative = 0;
  for (int64_t i = 0; i < 16 * 49; i++) negative += yd[i] < 0.0f;
  CHECK(negative > 0);
  oq_tensor_release(&y0);
  oq_tensor_release(&x);
  oq_plan_free(plan);
  oq_model_free(model);
}

/* A graph input with a fixed shape (Concat in place needs every shape at build time). */
static void input_shaped(tb_model *b, const char *name, int32_t ndim, const int64_t *dims) {
  Onnx__ValueInfoProto *vi = tb_float_vi(b, name);
  Onnx__TensorShapeProto *sh = oq_edit_alloc(b->ed, 1, sizeof *sh, NULL);
  Onnx__TensorShapeProto__Dimension **dd = oq_edit_alloc(b->ed, (size_t)ndim, sizeof *dd, NULL);
  onnx__tensor_shape_proto__init(sh);
  for (int32_t i = 0; i < ndim; i++) {
    dd[i] = oq_edit_alloc(b->ed, 1, sizeof *dd[i], NULL);
    onnx__tensor_shape_proto__dimension__init(dd[i]);
    dd[i]->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
    dd[i]->dim_value = dims[i];
  }
  sh->dim = dd;
  sh->n_dim = (size_t)ndim;
  vi->type->tensor_type->shape = sh;
  oq_edit_list_push(b->ed, &b->inputs, vi, NULL);
}

/* x [1, 4, 6, 6] -> Concat(axis 1) of: Conv 3x3 + Relu (fused writer), Conv 1x1 (plain), Conv 1x1 + Sigmoid/Mul
 * (fused SiLU), Add(x, x), x itself (a graph input: copied), Conv 1x1 a5 also read by a Relu (copied) -> Relu -> y;
 * z = Relu(a5); w = Concat(axis 2) of two Convs (1-extents do not precede the axis: not in place) -> y2. */
static oq_model *concat_model(void) {
  static float w1[8 * 4 * 9], w2[16], w3[16], w5[16], w6[16];
  fill(w1, sizeof w1 / 4);
  fill(w2, 16);
  fill(w3, 16);
  fill(w5, 16);
  fill(w6, 16);
  tb_model b;
  tb_start(&b);
  int64_t xd[4] = {1, 4, 6, 6}, d1[4] = {8, 4, 3, 3}, d2[4] = {4, 4, 1, 1}, pads[4] = {1, 1, 1, 1}, ax1 = 1, ax2 = 2;
  input_shaped(&b, "x", 4, xd);
  tb_output(&b, "y");
  tb_output(&b, "z");
  tb_output(&b, "y2");
  tb_init(&b, "w1", 4, d1, w1);
  tb_init(&b, "w2", 4, d2, w2);
  tb_init(&b, "w3", 4, d2, w3);
  tb_init(&b, "w5", 4, d2, w5);
  tb_init(&b, "w6", 4, d2, w6);
  tb_attr_ints(&b, tb_node(&b, "Conv", "c1", "x,w1", "a1"), "pads", pads, 4);
  tb_node(&b, "Relu", "r1", "a1", "r1");
  tb_node(&b, "Conv", "c2", "x,w2", "a2");
  tb_node(&b, "Conv", "c3", "x,w3", "a3");
  tb_node(&b, "Sigmoid", "s3", "a3", "s3");
  tb_node(&b, "Mul", "m3", "a3,s3", "r3");
  tb_node(&b, "Add", "a4", "x,x", "a4");
  tb_node(&b, "Conv", "c5", "x,w5", "a5");
  tb_attr_ints(&b, tb_node(&b, "Concat", "cat", "r1,a2,r3,a4,x,a5", "cat"), "axis", &ax1, 0);
  tb_node(&b, "Relu", "ry", "cat", "y");
  tb_node(&b, "Relu", "rz", "a5", "z");
  tb_node(&b, "Conv", "c6", "x,w6", "a6");
  tb_node(&b, "Conv", "c7", "x,w2", "a7");
  tb_attr_ints(&b, tb_node(&b, "Concat", "cat2", "a6,a7", "cat2"), "axis", &ax2, 0);
  tb_node(&b, "Relu", "ry2", "cat2", "y2");
  return tb_finish(&b, 13);
}

OQ_TEST(concat_in_place_equals_copies) {
  oq_error err = {0};
  oq_model *model = concat_model();
  REQUIRE(model);
  oq_plan *plan = NULL, *plan_obs = NULL;
  REQUIRE_OK(oq_plan_build(model, &plan, &err));
  REQUIRE_OK(oq_plan_build(model, &plan_obs, &err));
  oq_tensor x = {0}, want[3] = {{0}}, got[3] = {{0}};
  int64_t dims[4] = {1, 4, 6, 6};
  REQUIRE_OK(oq_tensor_alloc(&x, OQ_DTYPE_FLOAT, 4, dims, &err));
  fill(x.data, (size_t)oq_tensor_numel(&x));
  int seen = 0;
  REQUIRE_OK(oq_plan_run(plan_obs, &x, want, count_values, &seen, &err)); /* observed: every Concat copies */
  CHECK(want[0].nbytes == 28 * 36 * 4 && want[2].nbytes == 4 * 12 * 6 * 4);
  for (int run = 0; run < 3; run++) {
    REQUIRE_OK(oq_plan_run(plan, &x, got, NULL, NULL, &err));
    for (int k = 0; k < 3; k++) {
      CHECK(got[k].nbytes == want[k].nbytes && memcmp(got[k].data, want[k].data, want[k].nbytes) == 0);
      oq_tensor_release(&got[k]);
    }
  }
  /* the slices: the Concat's inputs were not all held next to its output */
  size_t peak = 0, peak_obs = 0;
  oq_plan_memory(plan, &peak, NULL);
  oq_plan_memory(plan_obs, &peak_obs, NULL);
  CHECK(peak < peak_obs);
  for (int k = 0; k < 3; k++) oq_tensor_release(&want[k]);
  oq_tensor_release(&x);
  oq_plan_free(plan);
  oq_plan_free(plan_obs);
  oq_model_free(model);
}

OQ_TEST_MAIN()
