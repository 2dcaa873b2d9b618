/* run on fuzzed models: load, create a session, feed each input a small tensor of its declared type and shape,
 * run on one thread and on two; both runs must succeed or fail alike, and succeeding runs give the same bytes. */
#include "fuzz_inputs.h"

static oq_status run_once(const oq_model *m, int32_t threads, const oq_tensor *in, int32_t n_in, oq_tensor *out,
                          int32_t n_out, oq_error *err) {
  oq_session_options so;
  oq_session_options_init(&so);
  so.threads = threads;
  oq_session *s = NULL;
  oq_status st = oq_session_create(m, &so, &s, err);
  if (st == OQ_OK) st = oq_session_run(s, n_in, in, n_out, out, err);
  oq_session_free(s);
  return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char in[512];
  fz_path(in, sizeof in, "in.onnx");
  fz_write("in.onnx", data, size);
  fz_limits();
  oq_error err = {0};
  oq_model *m = NULL;
  oq_status st = oq_model_load(in, &m, &err);
  if (st != OQ_OK) {
    fz_check_error(st, &err);
    return 0;
  }
  oq_tensor inputs[FZ_MAX_INPUTS];
  memset(inputs, 0, sizeof inputs);
  int32_t n_in = 0, n_out = oq_model_output_count(m);
  if (fz_make_inputs(m, inputs, &n_in) && n_out <= 64) {
    oq_tensor o1[64], o2[64];
    memset(o1, 0, sizeof o1);
    memset(o2, 0, sizeof o2);
    fz_limits();
    oq_status s1 = run_once(m, 1, inputs, n_in, o1, n_out, &err);
    int late = s1 != OQ_OK && fz_timed_out(&err);
    if (s1 != OQ_OK) fz_check_error(s1, &err);
    fz_limits();
    oq_status s2 = run_once(m, 2, inputs, n_in, o2, n_out, &err);
    late |= s2 != OQ_OK && fz_timed_out(&err);
    if (s2 != OQ_OK) fz_check_error(s2, &err);
    FZ_ASSERT(late || (s1 == OQ_OK) == (s2 == OQ_OK), "1 and 2 threads disagree on success");
    for (int32_t j = 0; s1 == OQ_OK && j < n_out; j++)
      FZ_ASSERT(o1[j].dtype == o2[j].dtype && o1[j].nbytes == o2[j].nbytes &&
                    (o1[j].nbytes == 0 || memcmp(o1[j].data, o2[j].data, o1[j].nbytes) == 0),
                "output %d differs between 1 and 2 threads", (int)j);
    for (int32_t j = 0; j < n_out; j++) {
      oq_tensor_release(&o1[j]);
      oq_tensor_release(&o2[j]);
    }
  }
  for (int32_t i = 0; i < n_in; i++) oq_tensor_release(&inputs[i]);
  oq_model_free(m);
  return 0;
}
