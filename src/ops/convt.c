/* ConvTranspose (float32, any spatial rank, groups, strides, dilations, pads, auto_pad, output_padding,
 * output_shape): per image and group, columns = W_g^T X_g through sgemm, then col2im scatters the columns into Y. */
#include "kern/sgemm.h"
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <stdlib.h>
#include <string.h>

typedef struct convt_params {
  int64_t group;
  int32_t auto_pad; /* 0 NOTSET, 1 SAME_UPPER, 2 SAME_LOWER, 3 VALID */
  int32_t n_kernel, n_strides, n_dil, n_pads, n_outpad, n_outshape;
  int64_t kernel[OQ_MAX_DIMS], strides[OQ_MAX_DIMS], dil[OQ_MAX_DIMS], pads[2 * OQ_MAX_DIMS], outpad[OQ_MAX_DIMS],
      outshape[OQ_MAX_DIMS];
} convt_params;

static oq_status ints_attr(const Onnx__NodeProto *n, const char *name, int64_t *dst, int32_t *count, size_t cap,
                           oq_error *err) {
  const int64_t *v;
  size_t k;
  oq_status st = oq_attr_ints(n, name, &v, &k, err);
  if (st != OQ_OK) return st;
  if (k > cap) OQ_RETURN_ERR(err, OQ_ERR_MODEL, "attribute %s has too many values", name);
  if (k) memcpy(dst, v, k * sizeof *v);
  *count = (int32_t)k;
  return OQ_OK;
}

oq_status oq_op_convt_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  const Onnx__NodeProto *n = ctx->node->proto;
  convt_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  OQ_CHECK(oq_attr_int(n, "group", 1, &p->group, err));
  if (p->group < 1) OQ_FAIL(err, OQ_ERR_MODEL, "group must be >= 1");
  OQ_CHECK(ints_attr(n, "kernel_shape", p->kernel, &p->n_kernel, OQ_MAX_DIMS, err));
  OQ_CHECK(ints_attr(n, "strides", p->strides, &p->n_strides, OQ_MAX_DIMS, err));
  OQ_CHECK(ints_attr(n, "dilations", p->dil, &p->n_dil, OQ_MAX_DIMS, err));
  OQ_CHECK(ints_attr(n, "pads", p->pads, &p->n_pads, 2 * OQ_MAX_DIMS, err));
  OQ_CHECK(ints_attr(n, "output_padding", p->outpad, &p->n_outpad, OQ_MAX_DIMS, err));
  OQ_CHECK(ints_attr(n, "output_shape", p->outshape, &p->n_outshape, OQ_MAX_DIMS, err));
  const char *s;
  size_t len;
  OQ_CHECK(oq_attr_string(n, "auto_pad", "NOTSET", &s, &len, err));
  static const char *const modes[] = {"NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"};
  p->auto_pad = -1;
  for (int32_t i = 0; i < 4; i++)
    if (strlen(modes[i]) == len && memcmp(s, modes[i], len) == 0) p->auto_pad = i;
  if (p->auto_pad < 0) OQ_FAIL(err, OQ_ERR_MODEL, "auto_pad '%.*s' is invalid", (int)len, s);
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

typedef struct convt_geom {
  int32_t nd;
  int64_t in[OQ_MAX_DIMS], out[OQ_MAX_DIMS], k[OQ_MAX_DIMS], s[OQ_MAX_DIMS], d[OQ_MAX_DIMS], pb[OQ_MAX_DIMS];
} convt_geom;

static oq_status convt_geometry(const convt_params *p, const oq_tensor *x, const oq_tensor *w, convt_geom *g,
                                oq_error *err) {
  int32_t nd = x->ndim - 2;
  g->nd = nd;
  for (int32_t i = 0; i < nd; i++) {
    g->in[i] = x->dims[i + 2];
    g->k[i] = w->dims[i + 2];
    if (p->n_kernel && (p->n_kernel != nd || p->kernel[i] != g->k[i]))
      OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "kernel_shape does not match W");
    g->s[i] = p->n_strides ? p->strides[i] : 1;
    g->d[i] = p->n_dil ? p->dil[i] : 1;
    if ((p->n_strides && p->n_strides != nd) || (p->n_dil && p->n_dil != nd) || (p->n_pads && p->n_pads != 2 * nd) ||
        (p->n_outpad && p->n_outpad != nd) || (p->n_outshape && p->n_outshape != nd && p->n_outshape != nd + 2))
      OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "attribute lengths do not match the spatial rank %d", (int)nd);
    if (g->s[i] < 1 || g->d[i] < 1) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "strides and dilations must be >= 1");
    int64_t op = p->n_outpad ? p->outpad[i] : 0;
    int64_t span = (g->k[i] - 1) * g->d[i] + 1, full = g->s[i] * (g->in[i] - 1) + op + span;
    int64_t target = -1;
    if (p->n_outshape)
      target = p->outshape[p->n_outshape == nd ? i : i + 2];
    else if (p->auto_pad == 1 || p->auto_pad == 2)
      target = g->in[i] * g->s[i];
    if (target >= 0) {
      int64_t total = full - target;
      if (total < 0) total = 0;
      g->pb[i] = p->auto_pad == 1 ? total / 2 : total - total / 2;
      g->out[i] = target;
    } else {
      int64_t b = p->n_pads && p->auto_pad != 3 ? p->pads[i] : 0,
              e = p->n_pads && p->auto_pad != 3 ? p->pads[nd + i] : 0;
      g->pb[i] = b;
      g->out[i] = full - b - e;
    }
    if (g->out[i] < 0) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "output extent is negative");
  }
  return OQ_OK;
}

oq_status oq_op_convt_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const convt_params *p = call->params;
  const oq_tensor *x = call->inputs[0], *w = call->inputs[1], *b = oq_kin(call, 2);
  if (x->dtype != OQ_DTYPE_FLOAT || w->dtype != OQ_DTYPE_FLOAT || (b && b->dtype != OQ_DTYPE_FLOAT))
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "ConvTranspose supports float32 only");
  if (x->ndim < 3 || w->ndim != x->ndim) OQ_FAIL(err, OQ_ERR_SHAPE, "X and W must have the same rank >= 3");
  int64_t C = x->dims[1], G = p->group;
  if (w->dims[0] != C || C % G) OQ_FAIL(err, OQ_ERR_SHAPE, "W's first dim must equal X's channels, divisible by group");
  int64_t cg = C / G, mg = w->dims[1], M = mg * G;
  if (b && (b->ndim != 1 || b->dims[0] != M)) OQ_FAIL(err, OQ_ERR_SHAPE, "B must have %lld entries", (long long)M);
  convt_geom g;
  OQ_CHECK(convt_geometry(p, x, w, &g, err));
  int64_t ydims[OQ_MAX_DIMS];
  ydims[0] = x->dims[0];
  ydims[1] = M;
  int64_t in_sp = 1, out_sp = 1, kprod = 1;
  for (int32_t i = 0; i < g.nd; i++) {
    ydims[i + 2] = g.out[i];
    in_sp *= g.in[i];
    out_sp *= g.out[i];
    kprod *= g.k[i];
  }
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_FLOAT, x->ndim, ydims, err));
  float *y = call->outputs[0].data;
  if (oq_tensor_numel(&call->outputs[0]) == 0) return OQ_OK;
  memset(y, 0, call->outputs[0].nbytes); /* col2im accumulates */
  size_t rows = (size_t)(mg * kprod), cols = (size_t)in_sp, colf, packf = oq_sgemm_pack_floats(rows, cols, (size_t)cg);
  if (!oq_size_mul(rows, cols, &colf)) OQ_FAIL(err, OQ_ERR_NOMEM, "ConvTranspose too large");
  size_t bytes;
  if (!oq_size_add(colf, packf, &bytes) || !oq_size_mul(bytes, sizeof(float), &bytes))
    OQ_FAIL(err, OQ_ERR_NOMEM, "ConvTranspose too large");
  void *scratch;
  OQ_CHECK(oq_kscratch(call, bytes ? bytes : 1, &scratch, err));
  float *col = scratch;
  oq_sgemm_pack pack = {col + colf, packf, 1};
  const float *xd = x->data, *wd = w->data;
  for (int64_t n = 0; n < x->dims[0]; n++)
    for (int64_t gi = 0; gi < G; gi++) {
      /* an empty X or W has no data (NULL): no offset from it */
      const float *xg = xd ? xd + (n * C + gi * cg) * in_sp : NULL, *wg = wd ? wd + gi * cg * mg * kprod : NULL;
      if (cg == 0 || in_sp == 0) {
        memset(col, 0, colf * sizeof(float));
      } else if (call->reference) {
        oq_sgemm_ref(1, 0, rows, cols, (size_t)cg, 1.0f, wg, rows, xg, cols, 0.0f, col, cols);
      } else {
        OQ_CHECK(oq_sgemm(NULL, &pack, 1, 0, rows, cols, (size_t)cg, 1.0f, wg, rows, xg, cols, 0.0f, col, cols, err));
      }
      float *yg = y + (n * M + gi * mg) * out_sp;
      for (int64_t m = 0; m < mg; m++) {
        float *ym = yg + m * out_sp;
        for (int64_t kp = 0; kp < kprod; kp++) {
          int64_t kc[OQ_MAX_DIMS], r = kp;
          for (int32_t i = g.nd - 1; i >= 0; i--) {
            kc[i] = r % g.k[i];
            r /= g.k[i];
          }
          const float *crow = col + (m * kprod + kp) * in_sp;
          int64_t ic[OQ_MAX_DIMS] = {0};
          for (int64_t e = 0; e < in_sp; e++) {
            int64_t off = 0, ok = 1;
            for (int32_t i = 0; i < g.nd; i++) {
              int64_t o = ic[i] * g.s[i] - g.pb[i] + kc[i] * g.d[i];
              if (o < 0 || o >= g.out[i]) {
                ok = 0;
                break;
              }
              off = off * g.out[i] + o;
            }
            if (ok) ym[off] += crow[e];
            for (int32_t i = g.nd - 1; i >= 0; i--) {
              if (++ic[i] < g.in[i]) break;
              ic[i] = 0;
            }
          }
        }
        if (b) {
          float bv = ((const float *)b->data)[gi * mg + m];
          for (int64_t e = 0; e < out_sp; e++) ym[e] += bv;
        }
      }
    }
  return OQ_OK;
fail:
  return st;
}
