/* Pad: constant, reflect, edge and wrap (19) modes. Pads and value are attributes up to opset 10 and inputs from
 * 11 (axes input from 18). Negative pads crop. Copies go by element size; the constant is stored through the generic
 * element access, so every fixed-size dtype works. */
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <stdlib.h>
#include <string.h>

enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP };

typedef struct pad_params {
  int32_t mode;
  int32_t attr_form; /* opset < 11: pads / value attributes */
  float value;
  int32_t n_pads;
  int64_t pads[2 * OQ_MAX_DIMS];
} pad_params;

oq_status oq_op_pad_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  const Onnx__NodeProto *n = ctx->node->proto;
  pad_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  const char *s;
  size_t len;
  OQ_CHECK(oq_attr_string(n, "mode", "constant", &s, &len, err));
  static const char *const modes[] = {"constant", "reflect", "edge", "wrap"};
  p->mode = -1;
  for (int32_t i = 0; i < 4; i++)
    if (strlen(modes[i]) == len && memcmp(s, modes[i], len) == 0) p->mode = i;
  if (p->mode < 0 || (p->mode == PAD_WRAP && ctx->opset < 19))
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "mode '%.*s' is not supported", (int)len, s);
  p->attr_form = ctx->opset < 11;
  if (p->attr_form) {
    const int64_t *ints;
    size_t ni;
    OQ_CHECK(oq_attr_ints(n, oq_attr_find(n, "pads") ? "pads" : "paddings", &ints, &ni, err));
    if (ni > 2 * OQ_MAX_DIMS || ni % 2) OQ_FAIL(err, OQ_ERR_MODEL, "pads must hold 2 values per dim");
    p->n_pads = (int32_t)ni;
    if (ni) memcpy(p->pads, ints, ni * sizeof *ints);
    OQ_CHECK(oq_attr_float(n, "value", 0.0f, &p->value, err));
  }
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

/* Source index of output coordinate i (in input coordinates, before the begin pad) on an extent n; -1: constant. */
static int64_t src_index(int32_t mode, int64_t i, int64_t n) {
  if (i >= 0 && i < n) return i;
  if (mode == PAD_CONSTANT || n == 0) return -1;
  if (mode == PAD_EDGE) return i < 0 ? 0 : n - 1;
  if (mode == PAD_WRAP) return ((i % n) + n) % n;
  if (n == 1) return 0; /* reflect */
  int64_t period = 2 * (n - 1), m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}

oq_status oq_op_pad_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const pad_params *p = call->params;
  const oq_tensor *x;
  OQ_CHECK(oq_kin_fixed(call, 0, "Pad", &x, err));
  int32_t nd = x->ndim;
  int64_t pads[2 * OQ_MAX_DIMS] = {0}, given[2 * OQ_MAX_DIMS];
  size_t n = 0;
  if (p->attr_form) {
    n = (size_t)p->n_pads;
    memcpy(given, p->pads, n * sizeof *given);
  } else {
    const oq_tensor *pt = oq_kin(call, 1);
    if (!pt) OQ_FAIL(err, OQ_ERR_MODEL, "Pad needs the pads input");
    OQ_CHECK(oq_read_int_list(pt, given, 2 * OQ_MAX_DIMS, &n, call->node_name, "pads", err));
  }
  int64_t axes[OQ_MAX_DIMS];
  size_t na = (size_t)nd;
  const oq_tensor *at = oq_kin(call, 3);
  if (at && !p->attr_form) {
    OQ_CHECK(oq_read_int_list(at, axes, OQ_MAX_DIMS, &na, call->node_name, "axes", err));
    for (size_t i = 0; i < na; i++)
      if (!oq_norm_axis(axes[i], nd, &axes[i])) OQ_FAIL(err, OQ_ERR_SHAPE, "axis is out of range");
  } else {
    for (int32_t i = 0; i < nd; i++) axes[i] = i;
  }
  if (n != 2 * na) OQ_FAIL(err, OQ_ERR_SHAPE, "pads has %zu values for %zu axes", n, na);
  for (size_t i = 0; i < na; i++) {
    pads[axes[i]] = given[i];
    pads[nd + axes[i]] = given[na + i];
  }
  int64_t dims[OQ_MAX_DIMS];
  for (int32_t i = 0; i < nd; i++) {
    dims[i] = x->dims[i] + pads[i] + pads[nd + i];
    if (dims[i] < 0) OQ_FAIL(err, OQ_ERR_SHAPE, "pads crop dim %d below zero", (int)i);
    if (p->mode != PAD_CONSTANT && x->dims[i] == 0 && dims[i] > 0)
      OQ_FAIL(err, OQ_ERR_SHAPE, "cannot %s-pad an empty dim", p->mode == PAD_EDGE ? "edge" : "reflect");
  }
  OQ_CHECK(oq_kout(call, 0, x->dtype, nd, dims, err));
  oq_tensor *y = &call->outputs[0];
  int64_t n_out = oq_tensor_numel(y);
  if (n_out == 0) return OQ_OK;
  size_t es = oq_dtype_size(x->dtype);
  unsigned char cval[16] = {0};
  double v = p->value;
  const oq_tensor *vt = oq_kin(call, 2);
  if (!p->attr_form && vt && oq_tensor_numel(vt) > 0) {
    if (vt->dtype != x->dtype) OQ_FAIL(err, OQ_ERR_SHAPE, "constant_value must have the input's type");
    memcpy(cval, vt->data, es);
  } else {
    oq_store_f64(cval, x->dtype, 0, v);
  }
  int64_t xs[OQ_MAX_DIMS], s = 1;
  for (int32_t d = nd - 1; d >= 0; d--) {
    xs[d] = s;
    s *= x->dims[d];
  }
  int64_t ctr[OQ_MAX_DIMS] = {0};
  unsigned char *dst = y->data;
  const unsigned char *src = x->data;
  for (int64_t e = 0; e < n_out; e++) {
    int64_t off = 0;
    for (int32_t d = 0; d < nd && off >= 0; d++) {
      int64_t i = src_index(p->mode, ctr[d] - pads[d], x->dims[d]);
      off = i < 0 ? -1 : off + i * xs[d];
    }
    memcpy(dst + (size_t)e * es, off < 0 ? cval : src + (size_t)off * es, es);
    for (int32_t d = nd - 1; d >= 0; d--) {
      if (++ctr[d] < dims[d]) break;
      ctr[d] = 0;
    }
  }
  return OQ_OK;
fail:
  return st;
}
