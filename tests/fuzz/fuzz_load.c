/* Loader: load, describe (text and JSON), fingerprint, save, reload. Oracles: a model that loads saves; the saved
 * model reloads with the same fingerprint and JSON description, and saving the reloaded model writes the same
 * bytes; every failure is one line. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char in[512], out1[512], out2[512];
  fz_path(in, sizeof in, "in.onnx");
  fz_path(out1, sizeof out1, "out1.onnx");
  fz_path(out2, sizeof out2, "out2.onnx");
  fz_write("in.onnx", data, size);
  oq_error err = {0};
  oq_model *m = NULL, *m2 = NULL;
  char *d1 = NULL, *d2 = NULL, *text = NULL;
  oq_status st = oq_model_load(in, &m, &err);
  if (st != OQ_OK) {
    fz_check_error(st, &err);
    return 0;
  }
  st = oq_model_describe(m, 0, &text, &err);
  if (st != OQ_OK) fz_check_error(st, &err);
  st = oq_model_describe(m, OQ_DESCRIBE_JSON, &d1, &err);
  if (st != OQ_OK) fz_check_error(st, &err);
  oq_model_stats stats;
  oq_model_stats_init(&stats);
  (void)oq_model_get_stats(m, &stats, &err);
  st = oq_model_save(m, out1, NULL, &err);
  if (st != OQ_OK) {
    /* a model that loads but does not save (e.g. over 2 GiB inline) must say why in one line */
    fz_check_error(st, &err);
    goto done;
  }
  st = oq_model_load(out1, &m2, &err);
  FZ_ASSERT(st == OQ_OK, "saved model does not reload: %s", err.msg);
  FZ_ASSERT(oq_model_fingerprint(m) == oq_model_fingerprint(m2), "fingerprint changed by save/reload");
  if (d1) {
    st = oq_model_describe(m2, OQ_DESCRIBE_JSON, &d2, &err);
    FZ_ASSERT(st == OQ_OK, "reloaded model does not describe: %s", err.msg);
    FZ_ASSERT(strcmp(d1, d2) == 0, "description changed by save/reload");
  }
  st = oq_model_save(m2, out2, NULL, &err);
  FZ_ASSERT(st == OQ_OK, "reloaded model does not save: %s", err.msg);
  size_t n1 = 0, n2 = 0;
  uint8_t *b1 = fz_read(out1, &n1), *b2 = fz_read(out2, &n2);
  FZ_ASSERT(b1 && b2 && n1 == n2 && memcmp(b1, b2, n1) == 0, "second save differs from the first");
  free(b1);
  free(b2);
done:
  oq_free(text);
  oq_free(d1);
  oq_free(d2);
  oq_model_free(m2);
  oq_model_free(m);
  remove(out1);
  remove(out2);
  return 0;
}
