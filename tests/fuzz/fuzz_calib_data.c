/* Calibration data readers (calib/data.c, calib/image.c) other than sample folders (fuzz_sample): byte 0 picks
 * the kind, the rest is the one file of a data folder: 0 a per-sample .npz, 1 a .npy with a batch axis, 2 a PNG,
 * 3 a JPEG, 4 a BMP. Calibration of the fixed small model (fuzz_model.h, input X [1,1,3,3]) over that folder must
 * succeed with at least one sample or fail with one line. */
#include "fuzz_inputs.h"
#include "fuzz_model.h"

static oq_model *g_model;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const names[] = {"s.npz", "X.npy", "a.png", "a.jpg", "a.bmp"};
  oq_error err = {0};
  char p[512], d[512];
  if (!g_model) {
    fz_write("m.onnx", k_fz_model, sizeof k_fz_model);
    fz_path(p, sizeof p, "m.onnx");
    if (oq_model_load(p, &g_model, &err) != OQ_OK) abort();
  }
  if (size < 1) return 0;
  fz_limits();
  fz_path(d, sizeof d, "d");
  fz_rm_tree(d);
  mkdir(d, 0700);
  const char *name = names[data[0] % 5];
  char rel[32]; /* "d/" and a name of names[]: short, so the scratch path cannot be truncated */
  snprintf(rel, sizeof rel, "d/%s", name);
  fz_write(rel, data + 1, size - 1);
  oq_calib_options co;
  oq_calib_options_init(&co);
  co.color = OQ_COLOR_GRAY; /* the model's input has one channel */
  co.bins = 16;
  co.limit = 4; /* a batched .npy may hold many samples: a few are enough */
  oq_calib_table *t = NULL;
  oq_status st = oq_calibrate(g_model, d, &co, &t, &err);
  if (st != OQ_OK)
    fz_check_error(st, &err);
  else
    FZ_ASSERT(oq_calib_table_samples(t) >= 1, "a table of no sample from %s", name);
  oq_calib_table_free(t);
  return 0;
}
