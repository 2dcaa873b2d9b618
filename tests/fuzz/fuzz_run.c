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

static int same(const oq_tensor *a, const oq_tensor *b) {
  return a->dtype == b->dtype && a->nbytes == b->nbytes && (a->nbytes == 0 || memcmp(a->data, b->data, a->nbytes) == 0);
}

/* Outputs of 1 and 2 threads differ: says where, and whether one thread alone repeats itself, then aborts. */
static void report(const oq_model *m, const oq_tensor *in, int32_t n_in, int32_t n_out, int32_t j, const oq_tensor *a,
                   const oq_tensor *b) {
  size_t k = 0;
  while (a->nbytes == b->nbytes && k < a->nbytes && ((const uint8_t *)a->data)[k] == ((const uint8_t *)b->data)[k]) k++;
  oq_tensor o3[64];
  memset(o3, 0, sizeof o3);
  oq_error err = {0};
  fz_limits();
  oq_status s3 = run_once(m, 1, in, n_in, o3, n_out, &err);
  fprintf(stderr,
          "output %d (%s, %zu vs %zu bytes) differs between 1 and 2 threads at byte %zu; "
          "a second 1-thread run %s\n",
          (int)j, oq_dtype_name(a->dtype), a->nbytes, b->nbytes, k,
          s3 != OQ_OK       ? "failed"
          : same(a, &o3[j]) ? "repeats the first"
                            : "differs from the first");
  FZ_ASSERT(0, "output %d differs between 1 and 2 threads", (int)j);
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
    for (int32_t j = 0; s1 == OQ_OK && s2 == OQ_OK && j < n_out; j++)
      if (!same(&o1[j], &o2[j])) report(m, inputs, n_in, n_out, j, &o1[j], &o2[j]);
    for (int32_t j = 0; j < n_out; j++) {
      oq_tensor_release(&o1[j]);
      oq_tensor_release(&o2[j]);
    }
  }
  for (int32_t i = 0; i < n_in; i++) oq_tensor_release(&inputs[i]);
  oq_model_free(m);
  return 0;
}
