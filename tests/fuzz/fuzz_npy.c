/* .npy reader: load; what loads saves and reloads to the same dtype, shape and bytes. */
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char in[512], out[512];
  fz_path(in, sizeof in, "in.npy");
  fz_path(out, sizeof out, "out.npy");
  fz_write("in.npy", data, size);
  oq_error err = {0};
  oq_tensor t = {0}, t2 = {0};
  oq_status st = oq_npy_load(in, &t, &err);
  if (st != OQ_OK) {
    fz_check_error(st, &err);
    return 0;
  }
  st = oq_npy_save(out, &t, &err);
  if (st != OQ_OK) {
    fz_check_error(st, &err);
  } else {
    st = oq_npy_load(out, &t2, &err);
    FZ_ASSERT(st == OQ_OK, "saved .npy does not reload: %s", err.msg);
    FZ_ASSERT(t.dtype == t2.dtype && t.ndim == t2.ndim, "dtype/rank changed by save/reload");
    for (int32_t i = 0; i < t.ndim; i++) FZ_ASSERT(t.dims[i] == t2.dims[i], "dims changed by save/reload");
    FZ_ASSERT(t.nbytes == t2.nbytes && (t.nbytes == 0 || memcmp(t.data, t2.data, t.nbytes) == 0),
              "bytes changed by save/reload");
  }
  oq_tensor_release(&t);
  oq_tensor_release(&t2);
  remove(out);
  return 0;
}
