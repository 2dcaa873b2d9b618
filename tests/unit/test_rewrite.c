/* QDQ rewrite of tests/fixtures/quant/tiny.onnx (Conv -> Relu -> MaxPool -> Flatten -> Gemm, opset 12) from
 * hand-set calibration ranges: node layout and names as onnxruntime's QDQ quantizer makes them, int8 per-channel
 * weights, int32 biases, opset 13, graph IO unchanged, the input proto untouched, and the result runs. */
#define _XOPEN_SOURCE 700
#include "oq_test.h"

#include "calib/calib.h"
#include "model/model.h"
#include "quant/quant.h"

#include <ftw.h>
#include <stdint.h>
#include <sys/stat.h>

#define MIXED  ONNXQ_SOURCE_DIR "/tests/fixtures/quant/mixed.onnx"
#define TINY   ONNXQ_SOURCE_DIR "/tests/fixtures/quant/tiny.onnx"
#define UNSQ11 ONNXQ_SOURCE_DIR "/tests/fixtures/quant/unsq11.onnx"

static void set_range(oq_calib_stats *s, const oq_model *m, const char *name, float lo, float hi) {
  int32_t v = oq_graph_find(&m->graph, name);
  if (v < 0) {
    fprintf(stderr, "no value %s\n", name);
    oq_test_failed = 1;
    return;
  }
  s->min[v] = lo;
  s->max[v] = hi;
  s->seen[v] = 1;
}

/* Ranges a calibration could have produced. */
static int make_stats(const oq_model *m, oq_calib_stats *s, oq_error *err) {
  uint8_t *tracked = NULL;
  if (oq_quant_tracked_values(m, &tracked, err) != OQ_OK) return 0;
  oq_status st = oq_calib_stats_init(s, m->graph.n_values, tracked, err);
  free(tracked);
  if (st != OQ_OK) return 0;
  set_range(s, m, "x", 0.0f, 1.0f);
  set_range(s, m, "conv_out", -2.0f, 3.0f);
  set_range(s, m, "relu_out", 0.0f, 3.0f);
  set_range(s, m, "pool_out", 0.0f, 3.0f);
  set_range(s, m, "flat", 0.0f, 3.0f);
  set_range(s, m, "y", -5.0f, 5.0f);
  return 1;
}

static const Onnx__TensorProto *find_init(const Onnx__ModelProto *p, const char *name) {
  for (size_t i = 0; i < p->graph->n_initializer; i++)
    if (!strcmp(p->graph->initializer[i]->name, name)) return p->graph->initializer[i];
  return NULL;
}

static const Onnx__NodeProto *find_node(const Onnx__ModelProto *p, const char *name) {
  for (size_t i = 0; i < p->graph->n_node; i++)
    if (p->graph->node[i]->name && !strcmp(p->graph->node[i]->name, name)) return p->graph->node[i];
  return NULL;
}

static int64_t attr_axis(const Onnx__NodeProto *n) {
  for (size_t i = 0; i < n->n_attribute; i++)
    if (!strcmp(n->attribute[i]->name, "axis")) return n->attribute[i]->i;
  return -99;
}

static float f32_at(const Onnx__TensorProto *t, size_t i) {
  float f;
  memcpy(&f, t->raw_data.data + i * 4, 4);
  return f;
}

static int32_t i32_at(const Onnx__TensorProto *t, size_t i) {
  int32_t v;
  memcpy(&v, t->raw_data.data + i * 4, 4);
  return v;
}

OQ_TEST(layout_like_onnxruntime) {
  oq_error err = {0};
  oq_model *m = NULL, *q = NULL;
  oq_calib_stats s;
  REQUIRE_OK(oq_model_load(TINY, &m, &err));
  REQUIRE(make_stats(m, &s, &err));
  uint8_t *before = NULL, *after = NULL;
  size_t nb = 0, na = 0;
  REQUIRE_OK(oq_model_pack(m->proto, &before, &nb, &err));
  oq_quant_options o;
  oq_quant_options_init(&o);
  REQUIRE_OK(oq_quant_rewrite(m, &s, &o, &q, &err));
  /* The input proto is untouched. */
  REQUIRE_OK(oq_model_pack(m->proto, &after, &na, &err));
  CHECK(nb == na && memcmp(before, after, nb) == 0);
  free(before);
  free(after);

  const Onnx__ModelProto *p = q->proto;
  const char *want[] = {
      "QuantizeLinear", "DequantizeLinear", "DequantizeLinear", "DequantizeLinear", "Conv",
      "QuantizeLinear", "DequantizeLinear", "MaxPool",          "QuantizeLinear",   "DequantizeLinear",
      "Flatten",        "QuantizeLinear",   "DequantizeLinear", "DequantizeLinear", "DequantizeLinear",
      "Gemm",           "QuantizeLinear",   "DequantizeLinear"};
  size_t n_want = sizeof want / sizeof want[0];
  CHECK(p->graph->n_node == n_want);
  for (size_t i = 0; i < n_want && i < p->graph->n_node; i++) {
    if (strcmp(p->graph->node[i]->op_type, want[i]) != 0) {
      fprintf(stderr, "node %zu: %s, want %s\n", i, p->graph->node[i]->op_type, want[i]);
      oq_test_failed = 1;
    }
  }
  /* Relu folded: the Conv writes the Relu's output, quantized with the Relu's range. */
  const Onnx__NodeProto *conv = find_node(p, "conv");
  REQUIRE(conv);
  CHECK(!find_node(p, "relu"));
  CHECK(!strcmp(conv->output[0], "relu_out"));
  CHECK(!strcmp(conv->input[0], "x_DequantizeLinear_Output"));
  CHECK(!strcmp(conv->input[1], "W_DequantizeLinear_Output"));
  CHECK(!strcmp(conv->input[2], "B"));
  /* MaxPool shares its input's scale / zero point. */
  const Onnx__NodeProto *pq = find_node(p, "pool_out_QuantizeLinear");
  REQUIRE(pq);
  CHECK(!strcmp(pq->input[1], "relu_out_scale") && !strcmp(pq->input[2], "relu_out_zero_point"));
  CHECK(!strcmp(find_node(p, "pool")->input[0], "relu_out_DequantizeLinear_Output"));
  /* Flatten stays float and reads the DQ output; the Gemm input gets its own Q/DQ. */
  CHECK(!strcmp(find_node(p, "flatten")->input[0], "pool_out_DequantizeLinear_Output"));
  CHECK(!strcmp(find_node(p, "gemm")->input[0], "flat_DequantizeLinear_Output"));
  /* Graph output: the producer is renamed, the last DequantizeLinear writes the original name. */
  CHECK(!strcmp(find_node(p, "gemm")->output[0], "y_QuantizeLinear_Input"));
  CHECK(!strcmp(find_node(p, "y_DequantizeLinear")->output[0], "y"));
  CHECK(!strcmp(find_node(p, "y_QuantizeLinear")->output[0], "y_QuantizeLinear_Output"));
  /* Graph inputs and outputs keep their names and types. */
  REQUIRE(p->graph->n_input == 1 && p->graph->n_output == 1);
  CHECK(!strcmp(p->graph->input[0]->name, "x") && !strcmp(p->graph->output[0]->name, "y"));
  CHECK(p->graph->output[0]->type->tensor_type->elem_type == OQ_DTYPE_FLOAT);
  /* Opset raised to 13 (per-axis DequantizeLinear); metadata and producer kept. */
  CHECK(oq_model_opset(q, "") == 13);
  CHECK(p->ir_version >= 7);
  CHECK(!strcmp(p->producer_name, "make_tiny"));
  CHECK(p->n_metadata_props == 1 && !strcmp(p->metadata_props[0]->key, "origin"));
  /* Vanished values leave value_info. */
  int has_conv_out = 0, has_relu_out = 0;
  for (size_t i = 0; i < p->graph->n_value_info; i++) {
    has_conv_out |= !strcmp(p->graph->value_info[i]->name, "conv_out");
    has_relu_out |= !strcmp(p->graph->value_info[i]->name, "relu_out");
  }
  CHECK(!has_conv_out && has_relu_out);
  /* Float weights are gone. */
  CHECK(!find_init(p, "W") && !find_init(p, "B") && !find_init(p, "W2") && !find_init(p, "B2"));

  /* Activation params: x in [0, 1] -> 1/255, 0. */
  const Onnx__TensorProto *xs = find_init(p, "x_scale"), *xz = find_init(p, "x_zero_point");
  REQUIRE(xs && xz);
  CHECK(xs->n_dims == 0 && xs->data_type == OQ_DTYPE_FLOAT && f32_at(xs, 0) == oq_qparams_uint8(0, 1).scale);
  CHECK(xz->data_type == OQ_DTYPE_UINT8 && xz->raw_data.len == 1 && xz->raw_data.data[0] == 0);
  const Onnx__TensorProto *rs = find_init(p, "relu_out_scale");
  REQUIRE(rs);
  CHECK(f32_at(rs, 0) == oq_qparams_uint8(0, 3).scale);

  /* Weight: int8 per output channel (axis 0), scale [2], zero points int8 zeros. */
  const Onnx__TensorProto *wq = find_init(p, "W_quantized"), *ws = find_init(p, "W_scale"),
                          *wz = find_init(p, "W_zero_point");
  REQUIRE(wq && ws && wz);
  CHECK(wq->data_type == OQ_DTYPE_INT8 && wq->n_dims == 4 && wq->dims[0] == 2 && wq->dims[3] == 3);
  CHECK(ws->n_dims == 1 && ws->dims[0] == 2 && wz->data_type == OQ_DTYPE_INT8 && wz->dims[0] == 2);
  CHECK(wz->raw_data.data[0] == 0 && wz->raw_data.data[1] == 0);
  CHECK(attr_axis(find_node(p, "W_DequantizeLinear")) == 0);
  /* Channel 0 of W is (k - 8) / 16, k = 0..8: absmax 0.5 -> scale 0.5 / 127, w=-0.5 -> -127. */
  CHECK(f32_at(ws, 0) == oq_qparams_int8_symmetric(-0.5f, 0.0f).scale);
  CHECK((int8_t)wq->raw_data.data[0] == -127);
  /* Bias: int32, scale x_scale * W_scale[c], zero points int32 zeros, axis 0, DQ writes "B". */
  const Onnx__TensorProto *bq = find_init(p, "B_quantized"), *bs = find_init(p, "B_quantized_scale"),
                          *bz = find_init(p, "B_quantized_zero_point");
  REQUIRE(bq && bs && bz);
  CHECK(bq->data_type == OQ_DTYPE_INT32 && bz->data_type == OQ_DTYPE_INT32 && bs->dims[0] == 2);
  for (int c = 0; c < 2; c++) {
    float sc = oq_bias_scale(f32_at(xs, 0), f32_at(ws, (size_t)c), 1.0f);
    CHECK(f32_at(bs, (size_t)c) == sc);
    CHECK(i32_at(bq, (size_t)c) == oq_quantize_bias(c == 0 ? 0.125f : -0.3f, sc));
    CHECK(i32_at(bz, (size_t)c) == 0);
  }
  const Onnx__NodeProto *bdq = find_node(p, "B_DequantizeLinear");
  REQUIRE(bdq);
  CHECK(!strcmp(bdq->output[0], "B") && attr_axis(bdq) == 0);
  /* Gemm with transB=1: weight channels on axis 0 ([3, 8] -> 3 scales). */
  CHECK(find_init(p, "W2_scale")->dims[0] == 3);
  CHECK(attr_axis(find_node(p, "W2_DequantizeLinear")) == 0);

  oq_model_free(q);
  oq_model_free(m);
  oq_calib_stats_free(&s);
}

OQ_TEST(per_tensor_option) {
  oq_error err = {0};
  oq_model *m = NULL, *q = NULL;
  oq_calib_stats s;
  REQUIRE_OK(oq_model_load(TINY, &m, &err));
  REQUIRE(make_stats(m, &s, &err));
  oq_quant_options o;
  oq_quant_options_init(&o);
  o.per_channel = 0;
  REQUIRE_OK(oq_quant_rewrite(m, &s, &o, &q, &err));
  const Onnx__ModelProto *p = q->proto;
  CHECK(find_init(p, "W_scale")->n_dims == 0);
  CHECK(find_init(p, "W_zero_point")->n_dims == 0);
  CHECK(attr_axis(find_node(p, "W_DequantizeLinear")) == -99);
  /* onnxruntime: per-tensor bias scale is [1], zero point a scalar, no axis. */
  CHECK(find_init(p, "B_quantized_scale")->n_dims == 1 && find_init(p, "B_quantized_scale")->dims[0] == 1);
  CHECK(find_init(p, "B_quantized_zero_point")->n_dims == 0);
  CHECK(attr_axis(find_node(p, "B_DequantizeLinear")) == -99);
  oq_model_free(q);
  oq_model_free(m);
  oq_calib_stats_free(&s);
}

/* The QDQ model runs in our executor and stays close to the float model. */
OQ_TEST(runs_close_to_float) {
  oq_error err = {0};
  oq_model *m = NULL, *q = NULL;
  oq_calib_stats s;
  REQUIRE_OK(oq_model_load(TINY, &m, &err));
  REQUIRE(make_stats(m, &s, &err));
  REQUIRE_OK(oq_quant_rewrite(m, &s, NULL, &q, &err));
  oq_session *sf = NULL, *sq = NULL;
  REQUIRE_OK(oq_session_create(m, NULL, &sf, &err));
  REQUIRE_OK(oq_session_create(q, NULL, &sq, &err));
  oq_tensor x = {0}, yf = {0}, yq = {0};
  const int64_t dims[4] = {1, 1, 4, 4};
  REQUIRE_OK(oq_tensor_alloc(&x, OQ_DTYPE_FLOAT, 4, dims, &err));
  for (int i = 0; i < 16; i++) ((float *)x.data)[i] = (float)((i * 7) % 16) / 15.0f;
  REQUIRE_OK(oq_session_run(sf, 1, &x, 1, &yf, &err));
  REQUIRE_OK(oq_session_run(sq, 1, &x, 1, &yq, &err));
  REQUIRE(yf.dtype == OQ_DTYPE_FLOAT && yq.dtype == OQ_DTYPE_FLOAT && yq.nbytes == yf.nbytes);
  for (int i = 0; i < 3; i++) CHECK_NEAR(((float *)yq.data)[i], ((float *)yf.data)[i], 0.1);
  oq_tensor_release(&x);
  oq_tensor_release(&yf);
  oq_tensor_release(&yq);
  oq_session_free(sf);
  oq_session_free(sq);
  oq_model_free(q);
  oq_model_free(m);
  oq_calib_stats_free(&s);
}

/* A missing calibration range for a value that must be quantized is an error naming it. */
OQ_TEST(missing_range_is_error) {
  oq_error err = {0};
  oq_model *m = NULL, *q = NULL;
  oq_calib_stats s;
  REQUIRE_OK(oq_model_load(TINY, &m, &err));
  REQUIRE(make_stats(m, &s, &err));
  int32_t v = oq_graph_find(&m->graph, "flat");
  s.seen[v] = 0;
  oq_status st = oq_quant_rewrite(m, &s, NULL, &q, &err);
  /* flat has a float type in value_info, so it is quantized; without a range that is an error */
  CHECK(st != OQ_OK);
  CHECK(strstr(err.msg, "flat") != NULL);
  CHECK(q == NULL);
  oq_model_free(m);
  oq_calib_stats_free(&s);
}

/* value_info calls a value float32 but calibration saw another dtype: a model error naming it, not an internal
 * "no calibration range" (found by fuzzing: a Cast to int64 whose output value_info said float). */
OQ_TEST(declared_float_holding_other_data) {
  oq_error err = {0};
  oq_model *m = NULL, *q = NULL;
  oq_calib_stats s;
  REQUIRE_OK(oq_model_load(TINY, &m, &err));
  REQUIRE(make_stats(m, &s, &err));
  int32_t v = oq_graph_find(&m->graph, "flat");
  s.seen[v] = 0;
  s.non_float[v] = 1;
  CHECK(oq_quant_rewrite(m, &s, NULL, &q, &err) == OQ_ERR_MODEL);
  CHECK(strstr(err.msg, "'flat' is declared float32") != NULL);
  CHECK(q == NULL);
  oq_model_free(m);
  oq_calib_stats_free(&s);
}

/* unsq11.onnx (opset 11, Unsqueeze with an axes attribute): raising the opset to 13 for per-channel weights would
 * make the Unsqueeze invalid, so per-channel is refused naming the node; per-tensor keeps opset 11 and runs (the
 * raise used to happen silently and the written model failed to load). */
OQ_TEST(opset_kept_when_raising_changes_meaning) {
  oq_error err = {0};
  oq_model *m = NULL, *q = NULL;
  oq_calib_stats s;
  REQUIRE_OK(oq_model_load(UNSQ11, &m, &err));
  uint8_t *tracked = NULL;
  REQUIRE_OK(oq_quant_tracked_values(m, &tracked, &err));
  REQUIRE_OK(oq_calib_stats_init(&s, m->graph.n_values, tracked, &err));
  free(tracked);
  set_range(&s, m, "x", 0.0f, 1.0f);
  set_range(&s, m, "conv_out", -2.0f, 3.0f);
  set_range(&s, m, "y", -2.0f, 3.0f);
  CHECK(oq_quant_rewrite(m, &s, NULL, &q, &err) == OQ_ERR_UNSUPPORTED);
  CHECK(strstr(err.msg, "'unsq' (Unsqueeze)") != NULL && strstr(err.msg, "opset 11") != NULL);
  CHECK(q == NULL);
  oq_quant_options o;
  oq_quant_options_init(&o);
  o.per_channel = 0;
  REQUIRE_OK(oq_quant_rewrite(m, &s, &o, &q, &err));
  CHECK(oq_model_opset(q, "") == 11);
  oq_session *sq = NULL;
  REQUIRE_OK(oq_session_create(q, NULL, &sq, &err));
  oq_tensor x = {0}, y = {0};
  const int64_t dims[4] = {1, 1, 4, 4};
  REQUIRE_OK(oq_tensor_alloc(&x, OQ_DTYPE_FLOAT, 4, dims, &err));
  REQUIRE_OK(oq_session_run(sq, 1, &x, 1, &y, &err));
  CHECK(y.ndim == 5 && y.dims[0] == 1 && y.dims[2] == 2);
  oq_tensor_release(&x);
  oq_tensor_release(&y);
  oq_session_free(sq);
  oq_model_free(q);
  oq_model_free(m);
  oq_calib_stats_free(&s);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

/* mixed.onnx through the whole pipeline (calibration on generated samples): a Relu on the graph input stays
 * float (nothing before it is quantized), MatMul's initializer is per channel on axis 1, Add's constant input is
 * quantized like an activation (uint8), Softmax's output range is [0, 1]. */
OQ_TEST(mixed_ops) {
  oq_error err = {0};
  char dir[] = "/tmp/oq_rewrite_XXXXXX";
  REQUIRE(mkdtemp(dir));
  for (int s = 0; s < 4; s++) {
    char p[256];
    snprintf(p, sizeof p, "%s/s%d", dir, s);
    REQUIRE(mkdir(p, 0700) == 0);
    oq_tensor t = {0};
    const int64_t dims[2] = {2, 4};
    REQUIRE_OK(oq_tensor_alloc(&t, OQ_DTYPE_FLOAT, 2, dims, &err));
    for (int i = 0; i < 8; i++) ((float *)t.data)[i] = (float)((i * 5 + s * 3) % 11 - 4) / 3.0f;
    snprintf(p, sizeof p, "%s/s%d/x.npy", dir, s);
    REQUIRE_OK(oq_npy_save(p, &t, &err));
    oq_tensor_release(&t);
  }
  oq_model *m = NULL, *q = NULL;
  REQUIRE_OK(oq_model_load(MIXED, &m, &err));
  REQUIRE_OK(oq_quantize(m, dir, NULL, &q, &err));
  const Onnx__ModelProto *p = q->proto;
  const Onnx__NodeProto *relu = find_node(p, "relu");
  REQUIRE(relu);
  /* onnxruntime keeps a Relu whose input is not quantized by an earlier node as it is (float in, float out). */
  CHECK(!strcmp(relu->input[0], "x") && !strcmp(relu->output[0], "rx"));
  CHECK(!find_init(p, "x_scale"));
  CHECK(find_init(p, "rx_scale") && find_init(p, "rx_zero_point")->raw_data.data[0] == 0);
  CHECK(!strcmp(find_node(p, "matmul")->input[0], "rx_DequantizeLinear_Output"));
  CHECK(!strcmp(find_node(p, "matmul")->input[1], "M_DequantizeLinear_Output"));
  CHECK(find_init(p, "M_scale")->dims[0] == 3 && attr_axis(find_node(p, "M_DequantizeLinear")) == 1);
  CHECK(find_init(p, "C_quantized")->data_type == OQ_DTYPE_UINT8);
  CHECK(find_init(p, "C_zero_point")->data_type == OQ_DTYPE_UINT8);
  CHECK(!strcmp(find_node(p, "add")->input[1], "C_DequantizeLinear_Output"));
  CHECK(!strcmp(find_node(p, "softmax")->output[0], "y_QuantizeLinear_Input"));
  CHECK(f32_at(find_init(p, "y_scale"), 0) == (float)(1.0 / 255.0));
  CHECK(!find_init(p, "M") && !find_init(p, "C"));
  /* It runs and the softmax rows still sum to about 1. */
  oq_session *sq = NULL;
  REQUIRE_OK(oq_session_create(q, NULL, &sq, &err));
  oq_tensor x = {0}, y = {0};
  const int64_t dims[2] = {2, 4};
  REQUIRE_OK(oq_tensor_alloc(&x, OQ_DTYPE_FLOAT, 2, dims, &err));
  for (int i = 0; i < 8; i++) ((float *)x.data)[i] = (float)(i % 3) - 0.5f;
  REQUIRE_OK(oq_session_run(sq, 1, &x, 1, &y, &err));
  const float *yd = y.data;
  CHECK_NEAR(yd[0] + yd[1] + yd[2], 1.0, 0.02);
  oq_tensor_release(&x);
  oq_tensor_release(&y);
  oq_session_free(sq);
  oq_model_free(q);
  oq_model_free(m);
  nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

OQ_TEST_MAIN()
