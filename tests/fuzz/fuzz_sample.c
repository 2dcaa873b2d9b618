/* Sample readers (.pb TensorProto and .npy as a sample folder reads them, for an Identity model whose input x has
 * no declared shape): the first byte picks x.npy or input_0.pb, the rest is the file. Oracle: a tensor that loads
 * saves as .npy and reloads to the same dtype, shape and bytes. */
#include "fuzz_common.h"

static const uint8_t k_identity[] = {0x08, 0x07, 0x3a, 0x2b, 0x0a, 0x10, 0x0a, 0x01, 0x78, 0x12, 0x01, 0x79, 0x22, 0x08,
                                     0x49, 0x64, 0x65, 0x6e, 0x74, 0x69, 0x74, 0x79, 0x12, 0x01, 0x67, 0x5a, 0x09, 0x0a,
                                     0x01, 0x78, 0x12, 0x04, 0x0a, 0x02, 0x08, 0x01, 0x62, 0x09, 0x0a, 0x01, 0x79, 0x12,
                                     0x04, 0x0a, 0x02, 0x08, 0x01, 0x42, 0x04, 0x0a, 0x00, 0x10, 0x0d};

static oq_model *g_model;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  oq_error err = {0};
  if (!g_model) {
    char mp[512];
    fz_write("identity.onnx", k_identity, sizeof k_identity);
    fz_path(mp, sizeof mp, "identity.onnx");
    FZ_ASSERT(oq_model_load(mp, &g_model, &err) == OQ_OK, "identity model: %s", err.msg);
    char sd[512];
    fz_path(sd, sizeof sd, "s");
    mkdir(sd, 0700);
  }
  if (size < 1) return 0;
  char sd[512], p[512], out[512];
  fz_path(sd, sizeof sd, "s");
  fz_path(out, sizeof out, "out.npy");
  snprintf(p, sizeof p, "%s/x.npy", sd);
  remove(p);
  snprintf(p, sizeof p, "%s/input_0.pb", sd);
  remove(p);
  fz_write((data[0] & 1) ? "s/input_0.pb" : "s/x.npy", data + 1, size - 1);
  oq_tensor t = {0}, t2 = {0};
  oq_status st = oq_sample_load(g_model, sd, 1, &t, &err);
  if (st != OQ_OK) {
    fz_check_error(st, &err);
    return 0;
  }
  st = oq_npy_save(out, &t, &err);
  if (st != OQ_OK) {
    fz_check_error(st, &err);
  } else {
    st = oq_npy_load(out, &t2, &err);
    FZ_ASSERT(st == OQ_OK, "saved sample does not reload: %s", err.msg);
    FZ_ASSERT(t.dtype == t2.dtype && t.ndim == t2.ndim && t.nbytes == t2.nbytes, "tensor changed by save/reload");
    for (int32_t i = 0; i < t.ndim; i++) FZ_ASSERT(t.dims[i] == t2.dims[i], "dims changed by save/reload");
    FZ_ASSERT(t.nbytes == 0 || memcmp(t.data, t2.data, t.nbytes) == 0, "bytes changed by save/reload");
  }
  oq_tensor_release(&t);
  oq_tensor_release(&t2);
  return 0;
}
