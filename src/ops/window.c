/* Node attributes of sliding windows (Conv, pools) and the dims check the nn kernels share; the geometry itself is
 * kern/window.c. */
#include "ops/nn.h"

#include <string.h>

static oq_status copy_ints(const Onnx__NodeProto *node, const char *name, int64_t min, int64_t *dst, size_t cap,
                           int32_t *n_out, oq_error *err) {
  const int64_t *v = NULL;
  size_t n = 0;
  oq_status st = oq_attr_ints(node, name, &v, &n, err);
  if (st != OQ_OK) return st;
  if (n > cap) OQ_RETURN_ERR(err, OQ_ERR_MODEL, "attribute %s has %zu entries, at most %zu allowed", name, n, cap);
  for (size_t i = 0; i < n; i++) {
    if (v[i] < min || v[i] > OQ_WINDOW_LIMIT)
      OQ_RETURN_ERR(err, OQ_ERR_MODEL, "attribute %s[%zu] = %lld is out of range", name, i, (long long)v[i]);
    dst[i] = v[i];
  }
  *n_out = (int32_t)n;
  return OQ_OK;
}

oq_status oq_window_parse(const Onnx__NodeProto *node, int with_ceil, oq_window *w, oq_error *err) {
  oq_status st = OQ_OK;
  memset(w, 0, sizeof *w);
  OQ_CHECK(copy_ints(node, "kernel_shape", 1, w->kernel, OQ_MAX_DIMS, &w->n_kernel, err));
  OQ_CHECK(copy_ints(node, "strides", 1, w->strides, OQ_MAX_DIMS, &w->n_strides, err));
  OQ_CHECK(copy_ints(node, "dilations", 1, w->dilations, OQ_MAX_DIMS, &w->n_dilations, err));
  OQ_CHECK(copy_ints(node, "pads", 0, w->pads, 2 * OQ_MAX_DIMS, &w->n_pads, err));
  const char *ap = NULL;
  size_t aplen = 0;
  OQ_CHECK(oq_attr_string(node, "auto_pad", "NOTSET", &ap, &aplen, err));
  if (aplen == 6 && memcmp(ap, "NOTSET", 6) == 0)
    w->auto_pad = OQ_AUTO_PAD_NOTSET;
  else if (aplen == 10 && memcmp(ap, "SAME_UPPER", 10) == 0)
    w->auto_pad = OQ_AUTO_PAD_SAME_UPPER;
  else if (aplen == 10 && memcmp(ap, "SAME_LOWER", 10) == 0)
    w->auto_pad = OQ_AUTO_PAD_SAME_LOWER;
  else if (aplen == 5 && memcmp(ap, "VALID", 5) == 0)
    w->auto_pad = OQ_AUTO_PAD_VALID;
  else
    OQ_FAIL(err, OQ_ERR_MODEL, "auto_pad '%.*s' is not NOTSET, SAME_UPPER, SAME_LOWER or VALID",
            (int)(aplen > 32 ? 32 : aplen), ap);
  if (w->n_pads % 2 != 0) OQ_FAIL(err, OQ_ERR_MODEL, "pads has an odd number of entries (%d)", (int)w->n_pads);
  if (with_ceil) {
    int64_t cm = 0;
    OQ_CHECK(oq_attr_int(node, "ceil_mode", 0, &cm, err));
    if (cm != 0 && cm != 1) OQ_FAIL(err, OQ_ERR_MODEL, "ceil_mode must be 0 or 1 (got %lld)", (long long)cm);
    w->ceil_mode = (int32_t)cm;
  }
  return OQ_OK;
fail:
  return st;
}

oq_status oq_nn_check_dims(const oq_tensor *t, const char *what, oq_error *err) {
  uint64_t prod = 1;
  for (int32_t i = 0; i < t->ndim; i++) {
    uint64_t d = (uint64_t)t->dims[i];
    if (t->dims[i] < 0 || (d > 0 && prod > ((uint64_t)1 << 62) / d))
      OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "input %s has dimensions too large to index", what);
    if (d > 0) prod *= d;
  }
  return OQ_OK;
}
