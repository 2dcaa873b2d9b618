/* The planner's decisions on small graphs built in the test (through model/edit and oq_model_wrap_built): the
 * record of every value (role, type, axis, sharing, the rule that decided it), removed nodes, the opset, and the
 * plan as JSON. Expected scales come from numpy with onnxruntime's formulas (tests/unit/test_qparams.c shows the
 * transcription), never from the functions under test. */
#include "oq_test.h"

#include "calib/calib.h"
#include "model/model.h"
#include "quant/qplan.h"
#include "test_build.h"

/* Statistics with every listed value calibrated to [lo, hi]. */
static int stats_for(const oq_model *m, oq_calib_stats *s, const char *const *names, const float *ranges, int n) {
  oq_error err = {0};
  if (oq_calib_stats_init(s, m->graph.n_values, NULL, &err) != OQ_OK) return 0;
  for (int i = 0; i < n; i++) {
    int32_t v = oq_graph_find(&m->graph, names[i]);
    if (v < 0) return 0;
    s->min[v] = ranges[2 * i];
    s->max[v] = ranges[2 * i + 1];
    s->seen[v] = 1;
  }
  return 1;
}

static const oq_qrec *rec(const oq_qplan *p, const oq_model *m, const char *name) {
  return oq_qplan_find(p, oq_graph_find(&m->graph, name));
}

static int32_t vid(const oq_model *m, const char *name) { return oq_graph_find(&m->graph, name); }

static const float k_w22[4] = {0.5f, -0.25f, 0.125f, 1.0f};
static const int64_t k_dims2x2[2] = {2, 2};

/* ---- cases ----------------------------------------------------------------------------------------------------- */

/* x -> Conv(W, B) -> c -> Relu -> r: the Relu goes, the Conv writes r with r's range (onnxruntime's
 * QDQRemovableActivation); c's record says why it vanished. */
OQ_TEST(conv_relu_removed) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  tb_input(&b, "x");
  tb_output(&b, "r");
  const int64_t wd[4] = {2, 1, 1, 1}, bd[1] = {2};
  const float w[2] = {0.5f, -0.25f}, bias[2] = {0.125f, -0.3f};
  tb_init(&b, "W", 4, wd, w);
  tb_init(&b, "B", 1, bd, bias);
  tb_node(&b, "Conv", "conv", "x,W,B", "c");
  tb_node(&b, "Relu", "relu", "c", "r");
  oq_model *m = tb_finish(&b, 13);
  REQUIRE(m);
  oq_calib_stats s;
  const char *names[3] = {"x", "c", "r"};
  const float ranges[6] = {0.0f, 1.0f, -2.0f, 3.0f, 0.0f, 3.0f};
  REQUIRE(stats_for(m, &s, names, ranges, 3));
  oq_qplan *p = NULL;
  REQUIRE_OK(oq_qplan_build(m, &s, NULL, &p, &err));
  /* registration order: x, c (Conv input/output), W, B, then r (Relu output) */
  REQUIRE(p->n_recs == 5);
  CHECK(p->recs[0].value == vid(m, "x") && p->recs[1].value == vid(m, "c") && p->recs[2].value == vid(m, "W") &&
        p->recs[3].value == vid(m, "B") && p->recs[4].value == vid(m, "r"));
  int32_t relu = 1, conv = 0;
  CHECK(p->node_removed[relu] && p->node_rule[relu] == OQ_QRULE_RELU_REMOVED && !p->node_removed[conv]);
  CHECK(p->out_value[p->out_off[conv]] == vid(m, "r"));
  const oq_qrec *x = rec(p, m, "x"), *c = rec(p, m, "c"), *r = rec(p, m, "r"), *wr = rec(p, m, "W"),
                *br = rec(p, m, "B");
  CHECK(x->quantized && x->role == OQ_QROLE_ACT && x->rule == OQ_QRULE_WEIGHTED && x->node == conv);
  CHECK(x->dtype == OQ_DTYPE_UINT8 && x->qtype->id == OQ_QTYPE_UINT8 && !x->symmetric && x->axis == -1);
  CHECK(x->params_of == x->value && x->n_params == 1);
  /* compute_scale_zp(f32(0), f32(1), uint8(0), uint8(255)) */
  CHECK(x->params[0].scale == 0x1.010102p-8f && x->params[0].zero_point == 0);
  CHECK(!c->quantized && c->rule == OQ_QRULE_RELU_REMOVED && c->node == relu);
  CHECK(r->quantized && r->role == OQ_QROLE_ACT && r->rule == OQ_QRULE_REMOVABLE && r->node == relu);
  CHECK(r->rmin == 0.0f && r->rmax == 3.0f && r->params[0].scale == 0x1.818182p-7f);
  /* weight: int8 symmetric per output channel; [0.5] and [-0.25]: scales 1/254 and 0.5/254 */
  CHECK(wr->quantized && wr->role == OQ_QROLE_WEIGHT && wr->rule == OQ_QRULE_WEIGHTED);
  CHECK(wr->dtype == OQ_DTYPE_INT8 && wr->symmetric && wr->axis == 0 && wr->n_params == 2);
  CHECK(wr->params[0].scale == 0x1.020408p-8f && wr->params[1].scale == 0x1.020408p-9f);
  CHECK(wr->nbytes == 2 && (int8_t)wr->data[0] == 127 && (int8_t)wr->data[1] == -127);
  /* bias: int32 per channel, scale float32(x_scale * w_scale[c]): 0x1.010102p-8f * 0x1.020408p-8f etc. */
  CHECK(br->quantized && br->role == OQ_QROLE_BIAS && br->rule == OQ_QRULE_BIAS && br->dtype == OQ_DTYPE_INT32);
  CHECK(br->qtype == NULL && br->axis == 0 && br->n_params == 2 && br->bias_weight == vid(m, "W"));
  CHECK(br->bias_input == vid(m, "x") && br->bias_beta == 1.0f);
  CHECK(br->params[0].scale == 0x1.030710p-16f && br->params[1].scale == 0x1.030710p-17f);
  CHECK(br->nbytes == 8);
  /* np.round(float64(b) / float64(scale)): 8096, -38862 */
  int32_t q0, q1;
  memcpy(&q0, br->data, 4);
  memcpy(&q1, br->data + 4, 4);
  CHECK(q0 == 8096 && q1 == -38862);
  /* Conv weights per channel: opset 13 already */
  CHECK(p->opset_from == 13 && p->opset_to == 13 && p->opset_rule == OQ_QRULE_OPSET_KEPT);
  oq_qplan_free(p);
  oq_calib_stats_free(&s);
  oq_model_free(m);
}

/* MaxPool (DIRECT) shares its input's scale when the input is quantized; it stays float otherwise; at opset 11
 * it is not quantized at all (onnxruntime's QDQMaxPool needs 12). */
OQ_TEST(maxpool_direct_sharing) {
  oq_error err = {0};
  for (int variant = 0; variant < 3; variant++) {
    tb_model b;
    tb_start(&b);
    tb_input(&b, "x");
    tb_output(&b, "p");
    if (variant == 1) {
      tb_node(&b, "MaxPool", "pool", "x", "p");
    } else {
      tb_node(&b, "Sigmoid", "sig", "x", "s");
      tb_node(&b, "MaxPool", "pool", "s", "p");
    }
    oq_model *m = tb_finish(&b, variant == 2 ? 11 : 13);
    REQUIRE(m);
    oq_calib_stats s;
    const char *names[3] = {"x", "s", "p"};
    const float ranges[6] = {-1.0f, 1.0f, 0.0f, 1.0f, 0.0f, 0.5f};
    REQUIRE(stats_for(m, &s, names, ranges, variant == 1 ? 1 : 3));
    oq_qplan *p = NULL;
    REQUIRE_OK(oq_qplan_build(m, &s, NULL, &p, &err));
    const oq_qrec *pr = rec(p, m, "p");
    if (variant == 0) {
      const oq_qrec *sr = rec(p, m, "s");
      REQUIRE(pr && sr);
      CHECK(sr->quantized && sr->rule == OQ_QRULE_GENERIC && sr->params_of == sr->value);
      CHECK(pr->quantized && pr->rule == OQ_QRULE_DIRECT && pr->node == 1);
      CHECK(pr->share == vid(m, "s") && pr->params_of == vid(m, "s") && pr->n_params == 0);
      CHECK(pr->dtype == OQ_DTYPE_UINT8);
      /* p's own range [0, 0.5] is not used: s's [0, 1] is */
      CHECK(sr->params[0].scale == 0x1.010102p-8f);
      /* no per-axis data: the opset stays */
      CHECK(p->opset_to == 13 && p->opset_rule == OQ_QRULE_OPSET_KEPT);
    } else if (variant == 1) {
      CHECK(pr == NULL && rec(p, m, "x") == NULL && p->n_recs == 0);
    } else {
      /* opset 11: MaxPool is not in the policy; Sigmoid is; per-tensor 8-bit Q/DQ exists from 10, so the lowest
       * opset that holds the result is the model's own */
      CHECK(pr == NULL && rec(p, m, "s")->quantized);
      CHECK(p->opset_from == 11 && p->opset_to == 11 && p->opset_rule == OQ_QRULE_OPSET_KEPT);
    }
    oq_qplan_free(p);
    oq_calib_stats_free(&s);
    oq_model_free(m);
  }
}

/* Gemm: the weight's channel axis follows transB, the bias scale carries beta; a bias that is not an initializer
 * is left alone. */
OQ_TEST(gemm_transb_beta_bias) {
  oq_error err = {0};
  for (int transb = 0; transb < 2; transb++) {
    tb_model b;
    tb_start(&b);
    tb_input(&b, "x");
    tb_input(&b, "cin");
    tb_output(&b, "y");
    tb_output(&b, "y2");
    const int64_t cd[1] = {2};
    const float cv[2] = {0.5f, -1.0f};
    tb_init(&b, "W", 2, k_dims2x2, k_w22);
    tb_init(&b, "C", 1, cd, cv);
    Onnx__NodeProto *g = tb_node(&b, "Gemm", "gemm", "x,W,C", "y");
    oq_edit_attr_int(b.ed, g, "transB", transb, NULL);
    tb_attr_float(&b, g, "beta", 0.5f);
    Onnx__NodeProto *g2 = tb_node(&b, "Gemm", "gemm2", "x,W,cin", "y2");
    oq_edit_attr_int(b.ed, g2, "transB", transb, NULL);
    oq_model *m = tb_finish(&b, 13);
    REQUIRE(m);
    oq_calib_stats s;
    const char *names[4] = {"x", "y", "y2", "cin"};
    const float ranges[8] = {0.0f, 1.0f, -2.0f, 2.0f, -1.0f, 1.0f, -1.0f, 1.0f};
    REQUIRE(stats_for(m, &s, names, ranges, 4));
    oq_qplan *p = NULL;
    REQUIRE_OK(oq_qplan_build(m, &s, NULL, &p, &err));
    const oq_qrec *wr = rec(p, m, "W"), *cr = rec(p, m, "C");
    REQUIRE(wr && cr);
    /* both Gemms register W per channel; the later registration is the one recorded */
    CHECK(wr->quantized && wr->axis == (transb ? 0 : 1) && wr->n_params == 2 && wr->node == 1);
    /* W = [[0.5, -0.25], [0.125, 1]]: rows (transB) absmax 0.5, 1; columns 0.5, 1 as well -> 1/254, 2/254 */
    CHECK(wr->params[0].scale == 0x1.020408p-8f && wr->params[1].scale == 0x1.020408p-7f);
    CHECK(cr->quantized && cr->role == OQ_QROLE_BIAS && cr->bias_beta == 0.5f && cr->n_params == 2);
    /* float32(float32(x_scale * w_scale[c]) * 0.5): x_scale 0x1.010102p-8 */
    CHECK(cr->params[0].scale == 0x1.030710p-17f && cr->params[1].scale == 0x1.030710p-16f);
    /* the second Gemm's bias is a graph input: no bias record, not even an activation one */
    CHECK(rec(p, m, "cin") == NULL);
    CHECK(rec(p, m, "y2")->quantized && rec(p, m, "y2")->rule == OQ_QRULE_WEIGHTED);
    oq_qplan_free(p);
    oq_calib_stats_free(&s);
    oq_model_free(m);
  }
}

/* MatMul: an initializer operand is a weight per channel on axis 1 (per tensor with per_channel off); two
 * activation operands are activations. */
OQ_TEST(matmul_initializer_weight) {
  oq_error err = {0};
  for (int per_channel = 0; per_channel < 2; per_channel++) {
    tb_model b;
    tb_start(&b);
    tb_input(&b, "x");
    tb_input(&b, "z");
    tb_output(&b, "y");
    tb_output(&b, "y2");
    tb_init(&b, "M", 2, k_dims2x2, k_w22);
    tb_node(&b, "MatMul", "mm", "x,M", "y");
    tb_node(&b, "MatMul", "mm2", "x,z", "y2");
    oq_model *m = tb_finish(&b, 13);
    REQUIRE(m);
    oq_calib_stats s;
    const char *names[4] = {"x", "z", "y", "y2"};
    const float ranges[8] = {0.0f, 1.0f, -1.0f, 1.0f, -2.0f, 2.0f, -1.0f, 1.0f};
    REQUIRE(stats_for(m, &s, names, ranges, 4));
    oq_quant_options o;
    oq_quant_options_init(&o);
    o.per_channel = per_channel;
    oq_qplan *p = NULL;
    REQUIRE_OK(oq_qplan_build(m, &s, &o, &p, &err));
    const oq_qrec *mr = rec(p, m, "M");
    REQUIRE(mr);
    CHECK(mr->quantized && mr->role == OQ_QROLE_WEIGHT && mr->rule == OQ_QRULE_MATMUL && mr->symmetric);
    CHECK(mr->dtype == OQ_DTYPE_INT8 && mr->nbytes == 4);
    if (per_channel) {
      /* columns [0.5, 0.125] and [-0.25, 1]: 0.5/127, 1/127 */
      CHECK(mr->axis == 1 && mr->n_params == 2);
      CHECK(mr->params[0].scale == 0x1.020408p-8f && mr->params[1].scale == 0x1.020408p-7f);
      /* 0.5 -> 127, -0.25 -> round(-31.75) = -32, 0.125 -> round(31.75) = 32, 1 -> 127 */
      CHECK((int8_t)mr->data[0] == 127 && (int8_t)mr->data[1] == -32 && (int8_t)mr->data[2] == 32 &&
            (int8_t)mr->data[3] == 127);
      CHECK(p->opset_to == 13);
    } else {
      CHECK(mr->axis == -1 && mr->n_params == 1 && mr->params[0].scale == 0x1.020408p-7f);
    }
    const oq_qrec *zr = rec(p, m, "z");
    CHECK(zr && zr->quantized && zr->role == OQ_QROLE_ACT && zr->rule == OQ_QRULE_MATMUL && zr->node == 1);
    /* compute_scale_zp(f32(-1), f32(1), uint8(0), uint8(255)) -> 0x1.010102p-7, 128 */
    CHECK(zr->params[0].scale == 0x1.010102p-7f && zr->params[0].zero_point == 128);
    oq_qplan_free(p);
    oq_calib_stats_free(&s);
    oq_model_free(m);
  }
}

/* The plan as JSON, in full for a small graph. */
OQ_TEST(describe_json) {
  oq_error err = {0};
  tb_model b;
  tb_start(&b);
  tb_input(&b, "x");
  tb_output(&b, "p");
  tb_node(&b, "Sigmoid", "sig", "x", "s");
  tb_node(&b, "MaxPool", "pool", "s", "p");
  tb_node(&b, "Relu", "relu", "x", "rx");
  tb_output(&b, "rx");
  oq_model *m = tb_finish(&b, 13);
  REQUIRE(m);
  oq_calib_stats s;
  const char *names[3] = {"x", "s", "rx"};
  const float ranges[6] = {-1.0f, 1.0f, 0.0f, 1.0f, 0.0f, 1.0f};
  REQUIRE(stats_for(m, &s, names, ranges, 3));
  oq_qplan *p = NULL;
  REQUIRE_OK(oq_qplan_build(m, &s, NULL, &p, &err));
  char *json = NULL;
  REQUIRE_OK(oq_qplan_describe(p, &json, &err));
  const char *want =
      "{\"format\":\"onnxq-plan\",\"version\":1,\n\"opset\":{\"from\":13,\"to\":13,\"rule\":\"opset_kept\"},\n"
      "\"removed_nodes\":[],\n\"values\":[\n"
      "{\"name\":\"x\",\"role\":\"activation\",\"rule\":\"generic\",\"node\":\"sig\",\"quantized\":true,"
      "\"type\":\"uint8\",\"symmetric\":false,\"axis\":-1,\"block\":0,\"share\":null,\"params_of\":\"x\","
      "\"scale\":[0.00784313772],\"zero_point\":[128],\"range\":[-1,1]},\n"
      "{\"name\":\"s\",\"role\":\"activation\",\"rule\":\"generic\",\"node\":\"sig\",\"quantized\":true,"
      "\"type\":\"uint8\",\"symmetric\":false,\"axis\":-1,\"block\":0,\"share\":null,\"params_of\":\"s\","
      "\"scale\":[0.00392156886],\"zero_point\":[0],\"range\":[0,1]},\n"
      "{\"name\":\"p\",\"role\":\"activation\",\"rule\":\"direct\",\"node\":\"pool\",\"quantized\":true,"
      "\"type\":\"uint8\",\"symmetric\":false,\"axis\":-1,\"block\":0,\"share\":\"s\",\"params_of\":\"s\","
      "\"scale\":[0.00392156886],\"zero_point\":[0]},\n"
      "{\"name\":\"rx\",\"role\":\"activation\",\"rule\":\"removable\",\"node\":\"relu\",\"quantized\":true,"
      "\"type\":\"uint8\",\"symmetric\":false,\"axis\":-1,\"block\":0,\"share\":null,\"params_of\":\"rx\","
      "\"scale\":[0.00392156886],\"zero_point\":[0],\"range\":[0,1]}]}";
  if (strcmp(json, want) != 0) {
    fprintf(stderr, "got  %s\nwant %s\n", json, want);
    oq_test_failed = 1;
  }
  oq_free(json);
  oq_qplan_free(p);
  oq_calib_stats_free(&s);
  oq_model_free(m);
}

/* Rule names are distinct and complete. */
OQ_TEST(rule_names) {
  for (int i = 0; i < OQ_QRULE_COUNT_; i++) {
    CHECK(strcmp(oq_qrule_name((oq_qrule)i), "unknown") != 0);
    for (int j = 0; j < i; j++) CHECK(strcmp(oq_qrule_name((oq_qrule)i), oq_qrule_name((oq_qrule)j)) != 0);
  }
  CHECK(!strcmp(oq_qrule_name(OQ_QRULE_RELU_REMOVED), "relu_removed"));
  CHECK(!strcmp(oq_qrule_name(OQ_QRULE_COUNT_), "unknown"));
  CHECK(!strcmp(oq_qrole_name(OQ_QROLE_BIAS), "bias"));
}

OQ_TEST_MAIN()
