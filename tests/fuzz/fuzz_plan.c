/* The quantization plan reader (--plan-in, quant/plan_read.c) and the edits it applies (quant/qplan.c): the input
 * is a plan JSON applied to a fixed small model (fuzz_model.h: Conv with bias, removed Relu, Gemm, MatMul)
 * calibrated once on one sample. A plan that quantizes must give a model that saves, reloads and runs; the plan
 * written on that run (--plan-out), read back, must give the same model bytes (an unedited plan changes
 * nothing). The model must run too, unless onnxq's executor does not support what the plan asked (4-bit types). */
#include "fuzz_inputs.h"
#include "fuzz_model.h"

static oq_model *g_model;
static oq_calib_table *g_table;
static oq_tensor g_in[FZ_MAX_INPUTS];
static int32_t g_n_in;

static void setup(void) {
  if (g_model) return;
  oq_error err = {0};
  char p[512], s[512];
  fz_write("m.onnx", k_fz_model, sizeof k_fz_model);
  fz_path(p, sizeof p, "m.onnx");
  if (oq_model_load(p, &g_model, &err) != OQ_OK || !fz_make_inputs(g_model, g_in, &g_n_in) || g_n_in != 1) abort();
  fz_path(p, sizeof p, "c");
  fz_path(s, sizeof s, "c/sample_000");
  mkdir(p, 0700);
  mkdir(s, 0700);
  fz_path(s, sizeof s, "c/sample_000/X.npy");
  if (oq_npy_save(s, &g_in[0], &err) != OQ_OK || oq_calibrate(g_model, p, NULL, &g_table, &err) != OQ_OK) {
    fprintf(stderr, "fuzz_plan setup: %s\n", err.msg);
    abort();
  }
}

/* Quantizes with plan_in and plan_out, saves to out; OQ_OK or the failure (checked: one line). */
static oq_status quantize(const char *plan_in, const char *plan_out, const char *out, oq_model **q, oq_error *err) {
  oq_quant_options qo;
  oq_quant_options_init(&qo);
  qo.plan_in = plan_in;
  qo.plan_out = plan_out;
  oq_status st = oq_quantize_table(g_model, g_table, &qo, q, err);
  if (st == OQ_OK) st = oq_model_save(*q, out, NULL, err);
  if (st != OQ_OK) fz_check_error(st, err);
  return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  fz_limits();
  char plan[512], plan2[512], q1p[512], q2p[512];
  fz_path(plan, sizeof plan, "plan.json");
  fz_path(plan2, sizeof plan2, "plan2.json");
  fz_path(q1p, sizeof q1p, "q1.onnx");
  fz_path(q2p, sizeof q2p, "q2.onnx");
  remove(plan2);
  remove(q1p);
  remove(q2p);
  fz_write("plan.json", data, size);
  oq_error err = {0};
  oq_model *q = NULL, *q2 = NULL, *r = NULL;
  if (quantize(plan, plan2, q1p, &q, &err) != OQ_OK) goto done;
  FZ_ASSERT(oq_model_load(q1p, &r, &err) == OQ_OK, "quantized model does not reload: %s", err.msg);
  oq_session *s = NULL;
  oq_tensor o[2];
  memset(o, 0, sizeof o);
  FZ_ASSERT(oq_model_output_count(r) == 2, "outputs");
  /* onnxq's executor runs no 4-bit tensors (onnxruntime does): an unsupported type is the one failure allowed */
  fz_limits(); /* each step its own deadline: one for the whole input failed a late step by the clock alone */
  oq_status st = oq_session_create(r, NULL, &s, &err);
  if (st == OQ_OK) st = oq_session_run(s, g_n_in, g_in, 2, o, &err);
  if (st != OQ_OK) fz_check_error(st, &err);
  FZ_ASSERT(st == OQ_OK || st == OQ_ERR_UNSUPPORTED || fz_timed_out(&err), "quantized model does not run: %s", err.msg);
  oq_tensor_release(&o[0]);
  oq_tensor_release(&o[1]);
  oq_session_free(s);
  /* the plan this run wrote, applied again, decides the same */
  fz_limits();
  oq_status st2 = quantize(plan2, NULL, q2p, &q2, &err);
  if (st2 != OQ_OK && fz_timed_out(&err)) goto done; /* the clock, not a disagreement */
  FZ_ASSERT(st2 == OQ_OK, "the written plan does not apply: %s", err.msg);
  size_t n1 = 0, n2 = 0;
  uint8_t *b1 = fz_read(q1p, &n1), *b2 = fz_read(q2p, &n2);
  FZ_ASSERT(b1 && b2 && n1 == n2 && memcmp(b1, b2, n1) == 0, "the written plan gives another model");
  free(b1);
  free(b2);
done:
  oq_model_free(r);
  oq_model_free(q2);
  oq_model_free(q);
  return 0;
}
