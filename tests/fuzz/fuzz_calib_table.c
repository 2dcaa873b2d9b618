/* Calibration table reader (oq_calib_table_load: onnxq's tables and TensorRT calibration caches): what loads saves,
 * reloads with the same fingerprint and sample count, and saving the reloaded table writes the same bytes. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char in[512], out1[512], out2[512];
  fz_path(in, sizeof in, "in.table");
  fz_path(out1, sizeof out1, "out1.table");
  fz_path(out2, sizeof out2, "out2.table");
  fz_write("in.table", data, size);
  oq_error err = {0};
  oq_calib_table *t = NULL, *t2 = NULL;
  oq_status st = oq_calib_table_load(in, &t, &err);
  if (st != OQ_OK) {
    fz_check_error(st, &err);
    return 0;
  }
  st = oq_calib_table_save(t, out1, &err);
  if (st != OQ_OK) {
    fz_check_error(st, &err);
    goto done;
  }
  st = oq_calib_table_load(out1, &t2, &err);
  FZ_ASSERT(st == OQ_OK, "saved table does not reload: %s", err.msg);
  FZ_ASSERT(oq_calib_table_fingerprint(t) == oq_calib_table_fingerprint(t2), "fingerprint changed by save/reload");
  FZ_ASSERT(oq_calib_table_samples(t) == oq_calib_table_samples(t2), "sample count changed by save/reload");
  st = oq_calib_table_save(t2, out2, &err);
  FZ_ASSERT(st == OQ_OK, "reloaded table does not save: %s", err.msg);
  size_t n1 = 0, n2 = 0;
  uint8_t *b1 = fz_read(out1, &n1), *b2 = fz_read(out2, &n2);
  FZ_ASSERT(b1 && b2 && n1 == n2 && memcmp(b1, b2, n1) == 0, "second save differs from the first");
  free(b1);
  free(b2);
done:
  oq_calib_table_free(t2);
  oq_calib_table_free(t);
  remove(out1);
  remove(out2);
  return 0;
}
