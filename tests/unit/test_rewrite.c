/* QDQ rewrite of tests/fixtures/quant/tiny.onnx (Conv -> Relu -> MaxPool -> Flatten -> Gemm, opset 12) from
 * hand-set calibration ranges: node layout and names as onnxruntime's QDQ quantizer makes them, int8 per-channel
 * weights, int32 biases, opset 13, graph IO unchanged, the input proto untouched, and the result runs. Expected
 * scales, zero points and quantized bytes are computed independently with numpy (the formulas are in the
 * comments), never with the functions under test. */
#define _XOPEN_SOURCE 700
#include "oq_test.h"

#include "calib/calib.h"
#include "core/alloc.h"
#include "model/model.h"
#include "quant/quant.h"
#include "test_build.h"

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
  /* Every node in order, with names, inputs, outputs and the axis attribute (-99: none). */
  static const struct {
    const char *op, *name, *in[3], *out;
    int64_t axis;
  } want[] = {
      {"QuantizeLinear", "x_QuantizeLinear", {"x", "x_scale", "x_zero_point"}, "x_QuantizeLinear_Output", -99},
      {"DequantizeLinear",
       "x_DequantizeLinear",
       {"x_QuantizeLinear_Output", "x_scale", "x_zero_point"},
       "x_DequantizeLinear_Output",
       -99},
      {"DequantizeLinear",
       "W_DequantizeLinear",
       {"W_quantized", "W_scale", "W_zero_point"},
       "W_DequantizeLinear_Output",
       0},
      {"DequantizeLinear",
       "B_DequantizeLinear",
       {"B_quantized", "B_quantized_scale", "B_quantized_zero_point"},
       "B",
       0},
      /* Relu folded: the Conv writes the Relu's output, quantized with the Relu's range. */
      {"Conv", "conv", {"x_DequantizeLinear_Output", "W_DequantizeLinear_Output", "B"}, "relu_out", -99},
      {"QuantizeLinear",
       "relu_out_QuantizeLinear",
       {"relu_out", "relu_out_scale", "relu_out_zero_point"},
       "relu_out_QuantizeLinear_Output",
       -99},
      {"DequantizeLinear",
       "relu_out_DequantizeLinear",
       {"relu_out_QuantizeLinear_Output", "relu_out_scale", "relu_out_zero_point"},
       "relu_out_DequantizeLinear_Output",
       -99},
      {"MaxPool", "pool", {"relu_out_DequantizeLinear_Output"}, "pool_out", -99},
      /* MaxPool shares its input's scale / zero point. */
      {"QuantizeLinear",
       "pool_out_QuantizeLinear",
       {"pool_out", "relu_out_scale", "relu_out_zero_point"},
       "pool_out_QuantizeLinear_Output",
       -99},
      {"DequantizeLinear",
       "pool_out_DequantizeLinear",
       {"pool_out_QuantizeLinear_Output", "relu_out_scale", "relu_out_zero_point"},
       "pool_out_DequantizeLinear_Output",
       -99},
      /* Flatten passes the scale through too (onnxruntime drops the Q/DQ pair around it). */
      {"Flatten", "flatten", {"pool_out_DequantizeLinear_Output"}, "flat", 1},
      {"QuantizeLinear",
       "flat_QuantizeLinear",
       {"flat", "relu_out_scale", "relu_out_zero_point"},
       "flat_QuantizeLinear_Output",
       -99},
      {"DequantizeLinear",
       "flat_DequantizeLinear",
       {"flat_QuantizeLinear_Output", "relu_out_scale", "relu_out_zero_point"},
       "flat_DequantizeLinear_Output",
       -99},
      /* Gemm with transB=1: weight channels on axis 0. */
      {"DequantizeLinear",
       "W2_DequantizeLinear",
       {"W2_quantized", "W2_scale", "W2_zero_point"},
       "W2_DequantizeLinear_Output",
       0},
      {"DequantizeLinear",
       "B2_DequantizeLinear",
       {"B2_quantized", "B2_quantized_scale", "B2_quantized_zero_point"},
       "B2",
       0},
      /* Graph output: the producer is renamed, the last DequantizeLinear writes the original name. */
      {"Gemm",
       "gemm",
       {"flat_DequantizeLinear_Output", "W2_DequantizeLinear_Output", "B2"},
       "y_QuantizeLinear_Input",
       -99},
      {"QuantizeLinear",
       "y_QuantizeLinear",
       {"y_QuantizeLinear_Input", "y_scale", "y_zero_point"},
       "y_QuantizeLinear_Output",
       -99},
      {"DequantizeLinear", "y_DequantizeLinear", {"y_QuantizeLinear_Output", "y_scale", "y_zero_point"}, "y", -99},
  };
  size_t n_want = sizeof want / sizeof want[0];
  CHECK(p->graph->n_node == n_want);
  for (size_t i = 0; i < n_want && i < p->graph->n_node; i++) {
    const Onnx__NodeProto *n = p->graph->node[i];
    size_t n_in = want[i].in[2] ? 3 : want[i].in[1] ? 2 : 1;
    int ok = !strcmp(n->op_type, want[i].op) && n->name && !strcmp(n->name, want[i].name) && n->n_input == n_in &&
             n->n_output == 1 && !strcmp(n->output[0], want[i].out) && attr_axis(n) == want[i].axis;
    for (size_t k = 0; ok && k < n_in; k++) ok = !strcmp(n->input[k], want[i].in[k]);
    if (!ok) {
      fprintf(stderr, "node %zu: %s '%s' -> %s, want %s '%s' -> %s\n", i, n->op_type, n->name ? n->name : "",
              n->n_output ? n->output[0] : "", want[i].op, want[i].name, want[i].out);
      oq_test_failed = 1;
    }
  }
  /* Initializers: the float weights are gone; the new ones in onnxruntime's order (per registered value: data,
   * scale, zero point). */
  static const char *const want_inits[] = {"x_scale",
                                           "x_zero_point",
                                           "W_quantized",
                                           "W_scale",
                                           "W_zero_point",
                                           "B_quantized",
                                           "B_quantized_scale",
                                           "B_quantized_zero_point",
                                           "relu_out_scale",
                                           "relu_out_zero_point",
                                           "y_scale",
                                           "y_zero_point",
                                           "W2_quantized",
                                           "W2_scale",
                                           "W2_zero_point",
                                           "B2_quantized",
                                           "B2_quantized_scale",
                                           "B2_quantized_zero_point"};
  size_t n_inits = sizeof want_inits / sizeof want_inits[0];
  CHECK(p->graph->n_initializer == n_inits);
  for (size_t i = 0; i < n_inits && i < p->graph->n_initializer; i++) {
    if (strcmp(p->graph->initializer[i]->name, want_inits[i]) != 0) {
      fprintf(stderr, "initializer %zu: %s, want %s\n", i, p->graph->initializer[i]->name, want_inits[i]);
      oq_test_failed = 1;
    }
  }
  /* Graph inputs and outputs keep their names and types. */
  REQUIRE(p->graph->n_input == 1 && p->graph->n_output == 1);
  CHECK(!strcmp(p->graph->input[0]->name, "x") && !strcmp(p->graph->output[0]->name, "y"));
  CHECK(p->graph->output[0]->type->tensor_type->elem_type == OQ_DTYPE_FLOAT);
  /* Opset raised to 13 (per-axis DequantizeLinear); metadata and producer kept. */
  CHECK(oq_model_opset(q, "") == 13);
  CHECK(p->ir_version >= 7);
  /* Provenance: onnxq is the producer; the model's own metadata stays, onnxq's entries follow it. */
  CHECK(!strcmp(p->producer_name, "onnxq") && !strcmp(p->producer_version, oq_version()));
  REQUIRE(p->n_metadata_props == 6 && !strcmp(p->metadata_props[0]->key, "origin"));
  CHECK(!strcmp(p->metadata_props[1]->key, "onnxq.version") && !strcmp(p->metadata_props[1]->value, oq_version()));
  CHECK(!strcmp(p->metadata_props[2]->key, "onnxq.method") && !strcmp(p->metadata_props[2]->value, "minmax"));
  CHECK(!strcmp(p->metadata_props[3]->key, "onnxq.options") &&
        strstr(p->metadata_props[3]->value, "activations=uint8 weights=int8/symmetric per_channel") != NULL);
  /* Vanished values leave value_info. */
  int has_conv_out = 0, has_relu_out = 0;
  for (size_t i = 0; i < p->graph->n_value_info; i++) {
    has_conv_out |= !strcmp(p->graph->value_info[i]->name, "conv_out");
    has_relu_out |= !strcmp(p->graph->value_info[i]->name, "relu_out");
  }
  CHECK(!has_conv_out && has_relu_out);

  /* The numbers, from onnxruntime's formulas in numpy (numpy 1.24, /usr/bin/python3), with compute_scale_zp and
   * quantize as transcribed at the top of tests/unit/test_qparams.c and the weights of make_tiny.py:
   *   act(lo, hi) = compute_scale_zp(np.float32(lo), np.float32(hi), np.uint8(0), np.uint8(255))
   *   x: act(0, 1) -> 0x1.010102p-8, 0     relu_out: act(0, 3) -> 0x1.818182p-7, 0 (flat the same)
   *   y: act(-5, 5) -> 0x1.414142p-5, 128
   *   per channel c: zp, s = compute_scale_zp(w[c].min(), w[c].max(), np.int8(-127), np.int8(127), True)
   *                  q = quantize(w[c], s, zp, -128, 127)
   *   bias (quantize_bias_static_impl): bs = (np.array([in_s], dtype=np.float32) * w_s).astype(np.float32)
   *                  q = np.round(b.astype(np.float64) / bs.astype(np.float64)).astype(np.int32) */
  const Onnx__TensorProto *xs = find_init(p, "x_scale"), *xz = find_init(p, "x_zero_point");
  REQUIRE(xs && xz);
  CHECK(xs->n_dims == 0 && xs->data_type == OQ_DTYPE_FLOAT && xs->raw_data.len == 4 && f32_at(xs, 0) == 0x1.010102p-8f);
  CHECK(xz->data_type == OQ_DTYPE_UINT8 && xz->n_dims == 0 && xz->raw_data.len == 1 && xz->raw_data.data[0] == 0);
  CHECK(f32_at(find_init(p, "relu_out_scale"), 0) == 0x1.818182p-7f);
  CHECK(find_init(p, "relu_out_zero_point")->raw_data.data[0] == 0);
  CHECK(!find_init(p, "flat_scale"));
  CHECK(f32_at(find_init(p, "y_scale"), 0) == 0x1.414142p-5f);
  CHECK(find_init(p, "y_zero_point")->raw_data.data[0] == 128);

  /* Weight: int8 per output channel (axis 0), scale [2], zero points int8 zeros. */
  const Onnx__TensorProto *wq = find_init(p, "W_quantized"), *ws = find_init(p, "W_scale"),
                          *wz = find_init(p, "W_zero_point");
  REQUIRE(wq && ws && wz);
  CHECK(wq->data_type == OQ_DTYPE_INT8 && wq->n_dims == 4 && wq->dims[0] == 2 && wq->dims[1] == 1 && wq->dims[2] == 3 &&
        wq->dims[3] == 3);
  CHECK(ws->n_dims == 1 && ws->dims[0] == 2 && wz->data_type == OQ_DTYPE_INT8 && wz->n_dims == 1 && wz->dims[0] == 2);
  CHECK(wz->raw_data.len == 2 && wz->raw_data.data[0] == 0 && wz->raw_data.data[1] == 0);
  CHECK(f32_at(ws, 0) == 0x1.020408p-8f && f32_at(ws, 1) == 0x1.22448ap-10f);
  static const int8_t want_w[18] = {-127, -111, -95, -79, -64, -48, -32, -16, 0, 14, 28, 42, 56, 71, 85, 99, 113, 127};
  REQUIRE(wq->raw_data.len == 18);
  CHECK(memcmp(wq->raw_data.data, want_w, 18) == 0);
  /* Bias: int32, scale x_scale * W_scale[c], zero points int32 zeros, axis 0, DQ writes "B". */
  const Onnx__TensorProto *bq = find_init(p, "B_quantized"), *bs = find_init(p, "B_quantized_scale"),
                          *bz = find_init(p, "B_quantized_zero_point");
  REQUIRE(bq && bs && bz);
  CHECK(bq->data_type == OQ_DTYPE_INT32 && bz->data_type == OQ_DTYPE_INT32 && bs->n_dims == 1 && bs->dims[0] == 2);
  CHECK(bz->n_dims == 1 && bz->dims[0] == 2 && i32_at(bz, 0) == 0 && i32_at(bz, 1) == 0);
  CHECK(f32_at(bs, 0) == 0x1.030710p-16f && f32_at(bs, 1) == 0x1.2367f4p-18f);
  CHECK(i32_at(bq, 0) == 8096 && i32_at(bq, 1) == -69088);
  /* Gemm: W2 [3, 8] per channel on axis 0, bias B2 with flat's scale. */
  const Onnx__TensorProto *w2q = find_init(p, "W2_quantized"), *w2s = find_init(p, "W2_scale"),
                          *b2q = find_init(p, "B2_quantized"), *b2s = find_init(p, "B2_quantized_scale");
  REQUIRE(w2q && w2s && b2q && b2s);
  CHECK(w2s->n_dims == 1 && w2s->dims[0] == 3);
  for (size_t c = 0; c < 3; c++) CHECK(f32_at(w2s, c) == 0x1.83060cp-9f && f32_at(b2s, c) == 0x1.2367f2p-15f);
  static const int8_t want_w2[24] = {-127, -85, -42,  0,   42,  85, 127, -127, -85, -42,  0,   42,
                                     85,   127, -127, -85, -42, 0,  42,  85,   127, -127, -85, -42};
  REQUIRE(w2q->raw_data.len == 24);
  CHECK(memcmp(w2q->raw_data.data, want_w2, 24) == 0);
  CHECK(i32_at(b2q, 0) == 14393 && i32_at(b2q, 1) == -7197 && i32_at(b2q, 2) == 0);

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
  /* numpy: zp, s = compute_scale_zp(w.min(), w.max(), np.int8(-127), np.int8(127), True) over the whole weight;
   * bias scale np.float32(x_scale * s), q = round(float64(b) / float64(scale)) */
  CHECK(find_init(p, "W_scale")->n_dims == 0 && f32_at(find_init(p, "W_scale"), 0) == 0x1.020408p-8f);
  CHECK(find_init(p, "W_zero_point")->n_dims == 0);
  static const int8_t want_w[18] = {-127, -111, -95, -79, -64, -48, -32, -16, 0, 4, 8, 12, 16, 20, 24, 28, 32, 36};
  CHECK(memcmp(find_init(p, "W_quantized")->raw_data.data, want_w, 18) == 0);
  CHECK(f32_at(find_init(p, "B_quantized_scale"), 0) == 0x1.030710p-16f);
  CHECK(i32_at(find_init(p, "B_quantized"), 0) == 8096 && i32_at(find_init(p, "B_quantized"), 1) == -19431);
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
  int32_t v = oq_graph_find(&m->graph, "relu_out");
  s.seen[v] = 0;
  oq_status st = oq_quant_rewrite(m, &s, NULL, &q, &err);
  /* relu_out has a float type in value_info, so it is quantized; without a range that is an error */
  CHECK(st != OQ_OK);
  CHECK(strstr(err.msg, "relu_out") != NULL);
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
  int32_t v = oq_graph_find(&m->graph, "relu_out");
  s.seen[v] = 0;
  s.non_float[v] = 1;
  CHECK(oq_quant_rewrite(m, &s, NULL, &q, &err) == OQ_ERR_MODEL);
  CHECK(strstr(err.msg, "'relu_out' is declared float32") != NULL);
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
  /* MatMul + Add of a constant: the constant is the MatMul's int32 bias (scale rx x M per column), and the MatMul
   * output stays float between them */
  REQUIRE(find_init(p, "C_quantized") && find_init(p, "C_quantized_scale"));
  CHECK(find_init(p, "C_quantized")->data_type == OQ_DTYPE_INT32);
  CHECK(find_init(p, "C_quantized_scale")->dims[0] == 3);
  CHECK(f32_at(find_init(p, "C_quantized_scale"), 1) ==
        f32_at(find_init(p, "rx_scale"), 0) * f32_at(find_init(p, "M_scale"), 1));
  CHECK(!strcmp(find_node(p, "add")->input[1], "C") || !strcmp(find_node(p, "add")->input[0], "C"));
  CHECK(!strcmp(find_node(p, "add")->input[0], find_node(p, "matmul")->output[0]));
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

/* Fails every allocation of a rewrite (planner, emitter, edit context, wrapping) one at a time: each ends in
 * OQ_ERR_NOMEM with no model returned and nothing leaked (the ASan build checks leaks at exit); the input model
 * stays usable. */
OQ_TEST(allocation_failures) {
  oq_error err = {0};
  oq_model *m = NULL, *q = NULL;
  oq_calib_stats s;
  REQUIRE_OK(oq_model_load(TINY, &m, &err));
  REQUIRE(make_stats(m, &s, &err));
  oq_alloc_test_begin(0);
  oq_status st = oq_quant_rewrite(m, &s, NULL, &q, &err);
  uint64_t count = oq_alloc_test_count();
  oq_alloc_test_end();
  REQUIRE(st == OQ_OK);
  oq_model_free(q);
  REQUIRE(count > 20);
  for (uint64_t n = 1; n <= count; n++) {
    q = NULL;
    oq_alloc_test_begin(n);
    st = oq_quant_rewrite(m, &s, NULL, &q, &err);
    int hit = oq_alloc_test_failed();
    oq_alloc_test_end();
    if (st != OQ_ERR_NOMEM || q != NULL || !hit)
      fprintf(stderr, "allocation %llu of %llu: status %d (%s)\n", (unsigned long long)n, (unsigned long long)count,
              (int)st, err.msg);
    CHECK(st == OQ_ERR_NOMEM && q == NULL && hit);
    oq_model_free(q);
  }
  REQUIRE_OK(oq_quant_rewrite(m, &s, NULL, &q, &err));
  oq_model_free(m);
  oq_model_free(q);
  oq_calib_stats_free(&s);
}

/* x [1, 64] -> MatMul(M [64, 64]) -> y -> Sub(S [64]) -> z: 16 KiB of weights that quantize to 4 KiB, and an
 * initializer that stays float (Sub is not quantized). */
static oq_model *big_matmul(void) {
  static float mw[64 * 64], sw[64];
  for (int i = 0; i < 64 * 64; i++) mw[i] = (float)((i * 37) % 101 - 50) / 64.0f;
  for (int i = 0; i < 64; i++) sw[i] = (float)i / 8.0f;
  const int64_t md[2] = {64, 64}, sd[1] = {64};
  tb_model b;
  tb_start(&b);
  tb_input(&b, "x");
  tb_output(&b, "z");
  tb_init(&b, "M", 2, md, mw);
  tb_init(&b, "S", 1, sd, sw);
  tb_node(&b, "MatMul", "mm", "x,M", "y");
  tb_node(&b, "Sub", "sub", "y,S", "z");
  return tb_finish(&b, 13);
}

static int big_stats(const oq_model *m, oq_calib_stats *s, oq_error *err) {
  if (oq_calib_stats_init(s, m->graph.n_values, NULL, err) != OQ_OK) return 0;
  set_range(s, m, "x", -1.0f, 1.0f);
  set_range(s, m, "y", -4.0f, 4.0f);
  return 1;
}

static uint8_t *slurp(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *buf = malloc(len > 0 ? (size_t)len : 1);
  *n = buf && len >= 0 ? fread(buf, 1, (size_t)len, f) : 0;
  fclose(f);
  return buf;
}

/* The quantized model is never packed into one buffer: with the protobuf limit lowered to 2 KiB (a stand-in for
 * 2 GiB), a 4 KiB result still comes out of the rewrite, and saves with external data (asked for, or chosen
 * because the inline model would be too large). The input model may be freed first: the result keeps it. */
OQ_TEST(no_pack_above_limit) {
  oq_error err = {0};
  char dir[] = "/tmp/oq_nopack_XXXXXX", path[256], data[256];
  REQUIRE(mkdtemp(dir));
  oq_model *m = big_matmul(), *q = NULL, *back = NULL;
  REQUIRE(m);
  oq_calib_stats s;
  REQUIRE(big_stats(m, &s, &err));
  size_t old = oq_model_test_set_pack_limit(2048);
  oq_status st = oq_quant_rewrite(m, &s, NULL, &q, &err);
  oq_model_free(m); /* q still shares its proto parts */
  oq_calib_stats_free(&s);
  if (st != OQ_OK) {
    oq_model_test_set_pack_limit(old);
    REQUIRE_OK(st);
  }
  uint8_t *buf = NULL;
  size_t n = 0;
  CHECK(oq_model_pack(q->proto, &buf, &n, &err) == OQ_ERR_UNSUPPORTED); /* really above the limit */
  oq_save_options so;
  oq_save_options_init(&so);
  so.external_data = "q.data";
  snprintf(path, sizeof path, "%s/q.onnx", dir);
  st = oq_model_save(q, path, &so, &err);
  snprintf(data, sizeof data, "%s/auto.onnx", dir);
  oq_status st2 = oq_model_save(q, data, NULL, &err);
  oq_model_test_set_pack_limit(old);
  REQUIRE_OK(st);
  REQUIRE_OK(st2);
  /* both read back with the same quantized weight */
  const Onnx__TensorProto *mq = find_init(q->proto, "M_quantized");
  REQUIRE(mq && mq->raw_data.len == 64 * 64);
  for (int k = 0; k < 2; k++) {
    REQUIRE_OK(oq_model_load(k ? data : path, &back, &err));
    const Onnx__TensorProto *t = find_init(back->proto, "M_quantized");
    REQUIRE(t && t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL);
    oq_tensor dec = {0};
    REQUIRE_OK(oq_model_tensor_decode(back, t, &dec, &err));
    CHECK(dec.nbytes == mq->raw_data.len && memcmp(dec.data, mq->raw_data.data, dec.nbytes) == 0);
    oq_tensor_release(&dec);
    oq_model_free(back);
  }
  size_t fsz = 0;
  free(slurp(path, &fsz));
  CHECK(fsz > 0 && fsz <= 2048);
  snprintf(path, sizeof path, "%s/auto.onnx.data", dir);
  FILE *f = fopen(path, "rb");
  CHECK(f != NULL);
  if (f) fclose(f);
  oq_model_free(q);
  nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* A model whose weights live in external data: the quantized model reads the float initializers it keeps through
 * its input model (even after that was freed) and saves exactly what the same model quantized from memory saves;
 * saving over the input's data file stays refused. */
OQ_TEST(external_data_input) {
  oq_error err = {0};
  char dir[] = "/tmp/oq_extq_XXXXXX", fpath[256], p1[256], p2[256];
  REQUIRE(mkdtemp(dir));
  snprintf(fpath, sizeof fpath, "%s/f.onnx", dir);
  snprintf(p1, sizeof p1, "%s/q1.onnx", dir);
  snprintf(p2, sizeof p2, "%s/q2.onnx", dir);
  oq_model *m = big_matmul(), *mf = NULL, *q1 = NULL, *q2 = NULL;
  REQUIRE(m);
  oq_save_options fo;
  oq_save_options_init(&fo);
  fo.external_data = "f.data";
  fo.size_threshold = 128;
  REQUIRE_OK(oq_model_save(m, fpath, &fo, &err));
  oq_calib_stats s;
  REQUIRE(big_stats(m, &s, &err));
  REQUIRE_OK(oq_quant_rewrite(m, &s, NULL, &q1, &err));
  REQUIRE_OK(oq_model_save(q1, p1, NULL, &err));
  REQUIRE_OK(oq_model_load(fpath, &mf, &err));
  CHECK(mf->n_blobs == 2);
  REQUIRE_OK(oq_quant_rewrite(mf, &s, NULL, &q2, &err));
  oq_model_free(mf);
  /* S stays float and external: read through the (freed by its owner) input model */
  const Onnx__TensorProto *st = find_init(q2->proto, "S");
  REQUIRE(st && st->has_data_location);
  oq_tensor dec = {0};
  REQUIRE_OK(oq_model_tensor_decode(q2, st, &dec, &err));
  CHECK(dec.nbytes == 256 && ((const float *)dec.data)[63] == 63.0f / 8.0f);
  oq_tensor_release(&dec);
  REQUIRE_OK(oq_model_save(q2, p2, NULL, &err));
  size_t n1 = 0, n2 = 0;
  uint8_t *b1 = slurp(p1, &n1), *b2 = slurp(p2, &n2);
  CHECK(b1 && b2 && n1 == n2 && n1 > 0 && memcmp(b1, b2, n1) == 0);
  free(b1);
  free(b2);
  oq_save_options over;
  oq_save_options_init(&over);
  over.external_data = "f.data";
  CHECK(oq_model_save(q2, p2, &over, &err) == OQ_ERR_INVALID_ARG);
  CHECK(strstr(err.msg, "external data file") != NULL);
  CHECK(oq_model_save(q2, fpath, NULL, &err) == OQ_ERR_INVALID_ARG);
  oq_model_free(q2);
  oq_model_free(q1);
  oq_model_free(m);
  oq_calib_stats_free(&s);
  nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

OQ_TEST_MAIN()
