/* External data: the input is a model and the bytes of its data files, split at the first "\n--data--\n" (the
 * rest is w.bin; a second separator starts w2.bin), all in one folder, so that mutations reach hostile offsets,
 * lengths and locations (absolute, '..', missing, short). Oracles: what loads saves with its weights moved to an
 * external file and reloads with the same fingerprint; nothing outside the folder is read (the loader refuses). */
#include "fuzz_common.h"

static const char k_sep[] = "\n--data--\n";

static const uint8_t *find_sep(const uint8_t *p, size_t n) {
  size_t k = sizeof k_sep - 1;
  for (size_t i = 0; i + k <= n; i++)
    if (memcmp(p + i, k_sep, k) == 0) return p + i;
  return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fz_reset();
  const uint8_t *s1 = find_sep(data, size);
  size_t model_n = s1 ? (size_t)(s1 - data) : size;
  fz_write("m.onnx", data, model_n);
  if (s1) {
    const uint8_t *rest = s1 + sizeof k_sep - 1;
    size_t rest_n = size - (size_t)(rest - data);
    const uint8_t *s2 = find_sep(rest, rest_n);
    fz_write("w.bin", rest, s2 ? (size_t)(s2 - rest) : rest_n);
    if (s2) fz_write("w2.bin", s2 + sizeof k_sep - 1, rest_n - (size_t)(s2 + sizeof k_sep - 1 - rest));
  }
  char in[512], out[512];
  fz_path(in, sizeof in, "m.onnx");
  fz_path(out, sizeof out, "saved.onnx");
  oq_error err = {0};
  oq_model *m = NULL, *m2 = NULL;
  oq_status st = oq_model_load(in, &m, &err);
  if (st != OQ_OK) {
    fz_check_error(st, &err);
    return 0;
  }
  oq_save_options so;
  oq_save_options_init(&so);
  so.external_data = "saved.data";
  so.size_threshold = 16;
  st = oq_model_save(m, out, &so, &err);
  if (st != OQ_OK) {
    fz_check_error(st, &err);
  } else {
    st = oq_model_load(out, &m2, &err);
    FZ_ASSERT(st == OQ_OK, "saved model does not reload: %s", err.msg);
    FZ_ASSERT(oq_model_fingerprint(m) == oq_model_fingerprint(m2), "fingerprint changed by external save");
  }
  oq_model_free(m2);
  oq_model_free(m);
  return 0;
}
