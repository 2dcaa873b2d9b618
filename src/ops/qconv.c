/* Integer convolutions: ConvInteger (10; int32 result) and QLinearConv (10; requantized to Y's 8-bit type), any
 * spatial rank, groups, dilations, strides, pads/auto_pad (oq_window_resolve, as Conv). Products of zero-point-
 * shifted 8-bit values accumulate exactly in int64. x's zero point is per tensor; w's zero point and scale are per
 * tensor or per output channel. QLinearConv rounds acc * (float)(x_scale * w_scale / y_scale) half to even, adds
 * y's zero point and saturates, as QLinearMatMul does (qmath.c). Also the shape inference of MatMulInteger and
 * QLinearMatMul, whose kernels are qmath.c. */
#include "core/pool.h"
#include "ops/kernels.h"
#include "ops/nn.h"
#include "ops/taps.h"
#include "ops/tensor_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Attributes: Conv's (oq_conv_params, oq_op_conv_init): the same window and group rules. */

/* The geometry of one integer convolution. */
typedef struct qconv_shape {
  oq_window_geom g;
  int64_t n, c, m, cg, mg;      /* batch, input channels, output channels, per group */
  int64_t in_sp, out_sp, kprod; /* spatial products */
} qconv_shape;

/* Checks X and W (shapes only) and fills cs and Y's dims. Shared by exec and infer. */
static oq_status qconv_setup(const oq_conv_params *p, const oq_tensor *x, const oq_tensor *w, qconv_shape *cs,
                             int64_t *ydims, oq_error *err) {
  oq_status st = OQ_OK;
  OQ_CHECK(oq_nn_check_dims(x, "X", err));
  OQ_CHECK(oq_nn_check_dims(w, "W", err));
  if (x->ndim < 3) OQ_FAIL(err, OQ_ERR_SHAPE, "input X has rank %d, a convolution needs at least 3", (int)x->ndim);
  if (w->ndim != x->ndim) OQ_FAIL(err, OQ_ERR_SHAPE, "W has rank %d but X has rank %d", (int)w->ndim, (int)x->ndim);
  memset(cs, 0, sizeof *cs);
  int32_t nd = x->ndim - 2;
  cs->n = x->dims[0], cs->c = x->dims[1], cs->m = w->dims[0], cs->cg = w->dims[1];
  if (cs->c % p->group != 0 || cs->c / p->group != cs->cg)
    OQ_FAIL(err, OQ_ERR_SHAPE, "X has %lld channels but W expects %lld x group %lld", (long long)cs->c,
            (long long)cs->cg, (long long)p->group);
  if (cs->m % p->group != 0)
    OQ_FAIL(err, OQ_ERR_SHAPE, "%lld output channels are not divisible by group %lld", (long long)cs->m,
            (long long)p->group);
  cs->mg = cs->m / p->group;
  if (p->win.n_kernel == nd)
    for (int32_t i = 0; i < nd; i++)
      if (p->win.kernel[i] != w->dims[i + 2])
        OQ_FAIL(err, OQ_ERR_SHAPE, "kernel_shape[%d] = %lld but W has extent %lld", (int)i, (long long)p->win.kernel[i],
                (long long)w->dims[i + 2]);
  OQ_CHECK(oq_window_resolve(&p->win, nd, x->dims + 2, w->dims + 2, &cs->g, err));
  ydims[0] = cs->n;
  ydims[1] = cs->m;
  cs->in_sp = cs->out_sp = cs->kprod = 1;
  for (int32_t i = 0; i < nd; i++) {
    ydims[i + 2] = cs->g.out[i];
    cs->in_sp *= cs->g.in[i];
    cs->kprod *= cs->g.k[i];
  }
  /* Y's size is checked against the tensor limit when the executor allocates it; its extents fit int64 since each
   * output extent is at most the padded input extent (bounded by OQ_WINDOW_LIMIT and the checked X). */
  for (int32_t i = 0; i < nd; i++) cs->out_sp *= cs->g.out[i];
  return OQ_OK;
fail:
  return st;
}

static int is8(const oq_tensor *t) { return t && (t->dtype == OQ_DTYPE_UINT8 || t->dtype == OQ_DTYPE_INT8); }

/* A zero point or scale: absent, one value, or (when per_channel) one per output channel. */
static oq_status check_param(const oq_tensor *t, int64_t m, int per_channel, int is_zp, const char *what,
                             oq_error *err) {
  if (!t) return OQ_OK;
  int64_t n = oq_tensor_numel(t);
  if (is_zp ? !is8(t) : t->dtype != OQ_DTYPE_FLOAT)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "%s has type %s, expected %s", what, oq_dtype_name(t->dtype),
                  is_zp ? "uint8 or int8" : "float");
  if (t->ndim > 1 || !(n == 1 || (per_channel && n == m)))
    OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "%s must hold 1%s value%s, it holds %lld", what, per_channel ? " or M" : "",
                  per_channel ? "s" : "", (long long)n);
  return OQ_OK;
}

typedef struct qconv_job {
  const qconv_shape *cs;
  const oq_tensor *x, *w, *xz, *wz, *b; /* b: int32 bias or NULL */
  const oq_tensor *xs, *ws, *ys, *yz;   /* QLinearConv only */
  void *y;                              /* int32 (ConvInteger) or Y's 8-bit type */
  int qlinear;
} qconv_job;

static int64_t zp_of(const oq_tensor *z, int64_t ch) {
  if (!z) return 0;
  return oq_load_i64(z->data, z->dtype, oq_tensor_numel(z) == 1 ? 0 : ch);
}

/* Output planes [begin, end) of the flattened (n, m): each plane is independent. */
static oq_status qconv_planes(void *ctx, int64_t begin, int64_t end) {
  const qconv_job *j = ctx;
  const qconv_shape *cs = j->cs;
  const oq_window_geom *g = &cs->g;
  const int32_t nd = g->nd;
  const int xs8 = j->x->dtype == OQ_DTYPE_INT8, ws8 = j->w->dtype == OQ_DTYPE_INT8;
  const int64_t xzp = zp_of(j->xz, 0);
  double lo = 0, hi = 0, yzp = 0;
  if (j->qlinear) {
    lo = j->yz->dtype == OQ_DTYPE_UINT8 ? 0 : -128, hi = j->yz->dtype == OQ_DTYPE_UINT8 ? 255 : 127;
    yzp = (double)zp_of(j->yz, 0);
  }
  for (int64_t plane = begin; plane < end; plane++) {
    int64_t n = plane / cs->m, m = plane % cs->m, grp = m / cs->mg;
    int64_t wzp = zp_of(j->wz, m), bias = j->b ? ((const int32_t *)j->b->data)[m] : 0;
    double mult = 0;
    if (j->qlinear) {
      double xsc = ((const float *)j->xs->data)[0], ysc = ((const float *)j->ys->data)[0];
      double wsc = ((const float *)j->ws->data)[oq_tensor_numel(j->ws) == 1 ? 0 : m];
      mult = (double)(float)(xsc * wsc / ysc);
    }
    /* an empty X (windows all padding) or W reads nothing: no offsets from their NULL data */
    const unsigned char *xb =
        j->x->data ? (const unsigned char *)j->x->data + (n * cs->c + grp * cs->cg) * cs->in_sp : NULL;
    const unsigned char *wb = j->w->data ? (const unsigned char *)j->w->data + m * cs->cg * cs->kprod : NULL;
    int64_t o[OQ_MAX_DIMS] = {0};
    for (int64_t op = 0; op < cs->out_sp; op++) {
      int64_t acc = 0, tlo[OQ_MAX_DIMS], thi[OQ_MAX_DIMS], kk[OQ_MAX_DIMS];
      /* only the taps inside X: padding holds x's zero point, it adds nothing */
      int any = oq_taps_box(g, o, tlo, thi);
      if (any) memcpy(kk, tlo, sizeof kk);
      while (any) {
        int64_t off = 0, t = 0;
        for (int32_t d = 0; d < nd; d++) {
          off = off * g->in[d] + o[d] * g->s[d] - g->pb[d] + kk[d] * g->d[d];
          t = t * g->k[d] + kk[d];
        }
        any = oq_taps_next(nd, tlo, thi, kk);
        for (int64_t c = 0; c < cs->cg; c++) {
          int64_t xv = xs8 ? (int8_t)xb[c * cs->in_sp + off] : xb[c * cs->in_sp + off];
          int64_t wv = ws8 ? (int8_t)wb[c * cs->kprod + t] : wb[c * cs->kprod + t];
          acc += (xv - xzp) * (wv - wzp);
        }
      }
      int64_t yi = plane * cs->out_sp + op;
      if (!j->qlinear) {
        ((int32_t *)j->y)[yi] = (int32_t)acc; /* wraps like the int32 accumulator of the spec for huge sums */
      } else {
        double v = nearbyint(mult * (double)(acc + bias)) + yzp;
        v = v < lo ? lo : v > hi ? hi : v;
        oq_store_f64(j->y, j->yz->dtype, yi, v);
      }
      for (int32_t d = nd - 1; d >= 0; d--) {
        if (++o[d] < g->out[d]) break;
        o[d] = 0;
      }
    }
  }
  return OQ_OK;
}

/* ConvInteger: x, w, x_zero_point, w_zero_point. QLinearConv: x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, B. */
static oq_status qconv_exec(const oq_kernel_call *call, int qlinear, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_conv_params *p = call->params;
  qconv_job j = {0};
  j.qlinear = qlinear;
  if (!qlinear) {
    j.x = oq_kin(call, 0), j.w = oq_kin(call, 1), j.xz = oq_kin(call, 2), j.wz = oq_kin(call, 3);
  } else {
    j.x = oq_kin(call, 0), j.xs = oq_kin(call, 1), j.xz = oq_kin(call, 2), j.w = oq_kin(call, 3);
    j.ws = oq_kin(call, 4), j.wz = oq_kin(call, 5), j.ys = oq_kin(call, 6), j.yz = oq_kin(call, 7);
    j.b = oq_kin(call, 8);
  }
  if (!is8(j.x) || !is8(j.w))
    OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "X and W must be uint8 or int8 (got %s, %s)",
             j.x ? oq_dtype_name(j.x->dtype) : "none", j.w ? oq_dtype_name(j.w->dtype) : "none");
  qconv_shape cs;
  int64_t ydims[OQ_MAX_DIMS];
  OQ_CHECK(qconv_setup(p, j.x, j.w, &cs, ydims, err));
  OQ_CHECK(check_param(j.xz, cs.m, 0, 1, "x_zero_point", err));
  OQ_CHECK(check_param(j.wz, cs.m, 1, 1, "w_zero_point", err));
  if (j.xz && j.xz->dtype != j.x->dtype) OQ_FAIL(err, OQ_ERR_MODEL, "x_zero_point's type differs from X's");
  if (j.wz && j.wz->dtype != j.w->dtype) OQ_FAIL(err, OQ_ERR_MODEL, "w_zero_point's type differs from W's");
  if (qlinear) {
    if (!j.xs || !j.ws || !j.ys || !j.yz) OQ_FAIL(err, OQ_ERR_MODEL, "QLinearConv needs every scale and zero point");
    OQ_CHECK(check_param(j.xs, cs.m, 0, 0, "x_scale", err));
    OQ_CHECK(check_param(j.ws, cs.m, 1, 0, "w_scale", err));
    OQ_CHECK(check_param(j.ys, cs.m, 0, 0, "y_scale", err));
    OQ_CHECK(check_param(j.yz, cs.m, 0, 1, "y_zero_point", err));
    if (j.b && (j.b->dtype != OQ_DTYPE_INT32 || j.b->ndim != 1 || j.b->dims[0] != cs.m))
      OQ_FAIL(err, OQ_ERR_SHAPE, "B must be a 1-D int32 tensor of %lld values", (long long)cs.m);
  }
  OQ_CHECK(oq_kout(call, 0, qlinear ? j.yz->dtype : OQ_DTYPE_INT32, j.x->ndim, ydims, err));
  j.y = call->outputs[0].data;
  j.cs = &cs;
  if (cs.out_sp == 0 || cs.n * cs.m == 0) return OQ_OK;
  OQ_CHECK(oq_parallel_for(call->pool, cs.n * cs.m, qconv_planes, &j));
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_conv_integer_exec(const oq_kernel_call *call, oq_error *err) { return qconv_exec(call, 0, err); }
oq_status oq_op_qlinear_conv_exec(const oq_kernel_call *call, oq_error *err) { return qconv_exec(call, 1, err); }

/* Y's shape from X (batch may be symbolic) and W; dtype int32 or y_zero_point's. */
static oq_status qconv_infer(const void *params, const oq_shape_info *x_info, const oq_shape_info *w_info,
                             int32_t dtype, oq_shape_info *out, oq_error *err) {
  if (!oq_info_known_but_batch(x_info) || !oq_info_known(w_info)) {
    if (dtype) out[0].dtype = dtype;
    return OQ_OK;
  }
  oq_tensor x, w;
  oq_info_tensor(x_info, &x);
  int batch_unknown = x.dims[0] < 0;
  if (batch_unknown) x.dims[0] = 1; /* the batch goes through unchanged */
  oq_info_tensor(w_info, &w);
  qconv_shape cs;
  int64_t ydims[OQ_MAX_DIMS];
  oq_status st = qconv_setup(params, &x, &w, &cs, ydims, err);
  if (batch_unknown) ydims[0] = -1;
  if (st == OQ_OK) oq_info_set(&out[0], dtype, x.ndim, ydims);
  return st;
}

oq_status oq_op_conv_integer_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                                   int32_t n_out, oq_error *err) {
  (void)n_in;
  (void)n_out;
  return qconv_infer(params, in[0], in[1], OQ_DTYPE_INT32, out, err);
}

oq_status oq_op_qlinear_conv_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                                   int32_t n_out, oq_error *err) {
  (void)n_out;
  int32_t dtype = n_in > 7 && in[7] ? in[7]->dtype : 0;
  return qconv_infer(params, in[0], in[3], dtype, out, err);
}

/* ---- MatMulInteger / QLinearMatMul shapes (kernels in qmath.c) ----------------------------------------------- */

/* numpy matmul shape of a and b into out (dtype given); unknown where an extent is. */
static oq_status matmul_shape(const oq_shape_info *a, const oq_shape_info *b, int32_t dtype, oq_shape_info *out,
                              oq_error *err) {
  out->dtype = dtype;
  if (!a || !b || a->ndim < 1 || b->ndim < 1) return OQ_OK;
  int64_t ad[OQ_MAX_DIMS + 1], bd[OQ_MAX_DIMS + 1];
  int32_t an = a->ndim, bn = b->ndim;
  memcpy(ad, a->dims, sizeof(int64_t) * (size_t)an);
  memcpy(bd, b->dims, sizeof(int64_t) * (size_t)bn);
  if (an == 1) ad[1] = ad[0], ad[0] = 1, an = 2;
  if (bn == 1) bd[1] = 1, bn = 2;
  if (ad[an - 1] >= 0 && bd[bn - 2] >= 0 && ad[an - 1] != bd[bn - 2])
    OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "inner dims %lld and %lld differ", (long long)ad[an - 1], (long long)bd[bn - 2]);
  int32_t nb = (an > bn ? an : bn) - 2, nd = 0;
  int64_t dims[OQ_MAX_DIMS + 2];
  for (int32_t i = 0; i < nb; i++) {
    int32_t ia = i - (nb - (an - 2)), ib = i - (nb - (bn - 2));
    int64_t ea = ia >= 0 ? ad[ia] : 1, eb = ib >= 0 ? bd[ib] : 1;
    if (ea >= 0 && eb >= 0 && ea != eb && ea != 1 && eb != 1)
      OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "batch dims %lld and %lld do not broadcast", (long long)ea, (long long)eb);
    dims[nd++] = ea == 1 ? eb : eb == 1 ? ea : (ea >= 0 ? ea : eb);
  }
  if (a->ndim > 1) dims[nd++] = ad[an - 2];
  if (b->ndim > 1) dims[nd++] = bd[bn - 1];
  if (nd > OQ_MAX_DIMS) OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "result rank too large");
  oq_info_set(out, dtype, nd, dims);
  return OQ_OK;
}

oq_status oq_op_matmul_integer_infer(const void *params, const oq_shape_info *const *in, int32_t n_in,
                                     oq_shape_info *out, int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_in;
  (void)n_out;
  return matmul_shape(in[0], in[1], OQ_DTYPE_INT32, &out[0], err);
}

oq_status oq_op_qlinear_matmul_infer(const void *params, const oq_shape_info *const *in, int32_t n_in,
                                     oq_shape_info *out, int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_out;
  return matmul_shape(in[0], n_in > 3 ? in[3] : NULL, n_in > 7 && in[7] ? in[7]->dtype : 0, &out[0], err);
}

/* DynamicQuantizeLinear (qmath.c): y uint8 like x, scalar scale (float) and zero point (uint8). */
oq_status oq_op_dynamic_quantize_infer(const void *params, const oq_shape_info *const *in, int32_t n_in,
                                       oq_shape_info *out, int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_in;
  (void)err;
  if (in[0]->ndim >= 0)
    oq_info_set(&out[0], OQ_DTYPE_UINT8, in[0]->ndim, in[0]->dims);
  else
    out[0].dtype = OQ_DTYPE_UINT8;
  if (n_out > 1) oq_info_set(&out[1], OQ_DTYPE_FLOAT, 0, NULL);
  if (n_out > 2) oq_info_set(&out[2], OQ_DTYPE_UINT8, 0, NULL);
  return OQ_OK;
}
