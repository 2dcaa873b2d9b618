/* quantize on fuzzed models: one calibration sample of small deterministic inputs; a quantized model must save,
 * reload and run on the same inputs. */
#include "fuzz_inputs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_reset();
  char in[512], calib[512], sample[512], out[512];
  fz_path(in, sizeof in, "in.onnx");
  fz_path(calib, sizeof calib, "calib");
  fz_path(sample, sizeof sample, "calib/sample_000");
  fz_path(out, sizeof out, "q.onnx");
  fz_write("in.onnx", data, size);
  fz_limits();
  oq_error err = {0};
  oq_model *m = NULL, *q = NULL, *q2 = NULL;
  oq_status st = oq_model_load(in, &m, &err);
  if (st != OQ_OK) {
    fz_check_error(st, &err);
    return 0;
  }
  oq_tensor inputs[FZ_MAX_INPUTS];
  memset(inputs, 0, sizeof inputs);
  int32_t n_in = 0;
  if (!fz_make_inputs(m, inputs, &n_in)) goto done;
  mkdir(calib, 0700);
  mkdir(sample, 0700);
  for (int32_t i = 0; i < n_in; i++) {
    char *stem = NULL, p[1024];
    if (oq_sample_file_stem(oq_model_input_name(m, i), &stem, &err) != OQ_OK) goto done;
    snprintf(p, sizeof p, "%s/%s.npy", sample, stem);
    oq_free(stem);
    if (oq_npy_save(p, &inputs[i], &err) != OQ_OK) goto done;
  }
  oq_quant_options qo;
  oq_quant_options_init(&qo);
  st = oq_quantize(m, calib, &qo, &q, &err);
  if (st != OQ_OK) {
    fz_check_error(st, &err);
    goto done;
  }
  st = oq_model_save(q, out, NULL, &err);
  if (st != OQ_OK) {
    fz_check_error(st, &err);
    goto done;
  }
  st = oq_model_load(out, &q2, &err);
  FZ_ASSERT(st == OQ_OK, "quantized model does not reload: %s", err.msg);
  int32_t n_out = oq_model_output_count(q2);
  if (n_out <= 64 && oq_model_input_count(q2) == n_in) {
    oq_session *s = NULL;
    oq_tensor o[64];
    memset(o, 0, sizeof o);
    fz_limits(); /* its own deadline: the one set before quantizing may be spent by now */
    st = oq_session_create(q2, NULL, &s, &err);
    FZ_ASSERT(st == OQ_OK || fz_timed_out(&err), "quantized model has no session: %s", err.msg);
    if (st == OQ_OK) {
      fz_limits();
      st = oq_session_run(s, n_in, inputs, n_out, o, &err);
      FZ_ASSERT(st == OQ_OK || fz_timed_out(&err), "quantized model does not run: %s", err.msg);
    }
    for (int32_t j = 0; j < n_out; j++) oq_tensor_release(&o[j]);
    oq_session_free(s);
  }
done:
  for (int32_t i = 0; i < n_in; i++) oq_tensor_release(&inputs[i]);
  oq_model_free(q2);
  oq_model_free(q);
  oq_model_free(m);
  return 0;
}
