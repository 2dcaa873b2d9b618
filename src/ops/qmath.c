/* Integer and quantized math: DynamicQuantizeLinear (uint8), MatMulInteger (int32 result), QLinearMatMul (per-
 * tensor or per-row/column scales), with MatMul's batch broadcasting. Products accumulate exactly in int64. */
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <math.h>
#include <string.h>

static int is8(const oq_tensor *t) { return t && (t->dtype == OQ_DTYPE_UINT8 || t->dtype == OQ_DTYPE_INT8); }

oq_status oq_op_dynamic_quantize_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_tensor *x = call->inputs[0];
  if (x->dtype != OQ_DTYPE_FLOAT) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "DynamicQuantizeLinear takes float32");
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_UINT8, x->ndim, x->dims, err));
  OQ_CHECK(oq_kout(call, 1, OQ_DTYPE_FLOAT, 0, NULL, err));
  OQ_CHECK(oq_kout(call, 2, OQ_DTYPE_UINT8, 0, NULL, err));
  const float *xd = x->data;
  int64_t n = oq_tensor_numel(x);
  float lo = 0, hi = 0;
  for (int64_t i = 0; i < n; i++) {
    if (xd[i] < lo) lo = xd[i];
    if (xd[i] > hi) hi = xd[i];
  }
  float scale = (hi - lo) / 255.0f;
  float zp = scale == 0 ? 0 : nearbyintf(0 - lo / scale);
  zp = zp < 0 ? 0 : zp > 255 ? 255 : zp;
  *(float *)call->outputs[1].data = scale;
  *(uint8_t *)call->outputs[2].data = (uint8_t)zp;
  uint8_t *y = call->outputs[0].data;
  for (int64_t i = 0; i < n; i++) {
    float v = scale == 0 ? zp : nearbyintf(xd[i] / scale) + zp;
    y[i] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
  }
  return OQ_OK;
fail:
  return st;
}

/* MatMul geometry with batch broadcasting (1-D operands promoted as numpy does). */
typedef struct mm_geom {
  int64_t m, n, k, batch;
  int32_t nd;
  int64_t dims[OQ_MAX_DIMS];
  int64_t a_off_stride[OQ_MAX_DIMS], b_off_stride[OQ_MAX_DIMS]; /* per batch dim, in matrices */
  int64_t bdims[OQ_MAX_DIMS];
  int32_t nb;
} mm_geom;

static oq_status mm_setup(const oq_tensor *a, const oq_tensor *b, mm_geom *g, oq_error *err) {
  if (a->ndim < 1 || b->ndim < 1) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "MatMul operands must have rank >= 1");
  int64_t ad[OQ_MAX_DIMS + 1], bd[OQ_MAX_DIMS + 1];
  int32_t an = a->ndim, bn = b->ndim;
  memcpy(ad, a->dims, sizeof(int64_t) * (size_t)an);
  memcpy(bd, b->dims, sizeof(int64_t) * (size_t)bn);
  if (an == 1) ad[1] = ad[0], ad[0] = 1, an = 2;
  if (bn == 1) bd[1] = 1, bn = 2;
  g->m = ad[an - 2], g->k = ad[an - 1], g->n = bd[bn - 1];
  if (bd[bn - 2] != g->k)
    OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "inner dims %lld and %lld differ", (long long)g->k, (long long)bd[bn - 2]);
  int32_t nb = (an > bn ? an : bn) - 2;
  g->nb = nb;
  g->batch = 1;
  int64_t as = 1, bs = 1;
  for (int32_t i = nb - 1; i >= 0; i--) {
    int32_t ia = i - (nb - (an - 2)), ib = i - (nb - (bn - 2));
    int64_t ea = ia >= 0 ? ad[ia] : 1, eb = ib >= 0 ? bd[ib] : 1;
    if (ea != eb && ea != 1 && eb != 1) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "batch dims do not broadcast");
    g->bdims[i] = ea > eb ? ea : eb;
    if (ea == 1 && eb == 0) g->bdims[i] = 0;
    g->a_off_stride[i] = ea == 1 ? 0 : as;
    g->b_off_stride[i] = eb == 1 ? 0 : bs;
    as *= ea, bs *= eb;
    g->batch *= g->bdims[i];
  }
  g->nd = 0;
  for (int32_t i = 0; i < nb; i++) g->dims[g->nd++] = g->bdims[i];
  if (a->ndim > 1) g->dims[g->nd++] = g->m;
  if (b->ndim > 1) g->dims[g->nd++] = g->n;
  if (g->nd > OQ_MAX_DIMS) OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "result rank too large");
  return OQ_OK;
}

/* zero point of operand t for row/col i (per-tensor when it holds one value) */
static int64_t zp_at(const oq_tensor *z, int64_t i) {
  if (!z || oq_tensor_numel(z) == 0) return 0;
  return oq_load_i64(z->data, z->dtype, oq_tensor_numel(z) == 1 ? 0 : i);
}
static double sc_at(const oq_tensor *s, int64_t i) {
  return oq_load_f64(s->data, s->dtype, oq_tensor_numel(s) == 1 ? 0 : i);
}

/* A scale or zero point: one value, or one per row of A / column of B (count); a zero point may also be empty
 * (zero). Anything else was read past its end. */
static oq_status check_qparam(const oq_tensor *t, int64_t count, int is_zp, const char *what, oq_error *err) {
  if (!t) return OQ_OK;
  int64_t n = oq_tensor_numel(t);
  if (t->ndim > 1 || !(n == 1 || n == count || (is_zp && n == 0)))
    OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "%s must hold 1 or %lld values, it holds %lld", what, (long long)count,
                  (long long)n);
  return OQ_OK;
}

/* acc[m x n] for batch e: sum_k (A - azp[row]) (B - bzp[col]) */
static void int_product(const mm_geom *g, int64_t e, const oq_tensor *a, const oq_tensor *az, const oq_tensor *b,
                        const oq_tensor *bz, int64_t *acc) {
  int64_t ao = 0, bo = 0, r = e;
  for (int32_t i = g->nb - 1; i >= 0; i--) {
    int64_t c = r % g->bdims[i];
    r /= g->bdims[i];
    ao += c * g->a_off_stride[i];
    bo += c * g->b_off_stride[i];
  }
  ao *= g->m * g->k, bo *= g->k * g->n;
  for (int64_t i = 0; i < g->m; i++)
    for (int64_t j = 0; j < g->n; j++) {
      int64_t s = 0, za = zp_at(az, i), zb = zp_at(bz, j);
      for (int64_t q = 0; q < g->k; q++)
        s += (oq_load_i64(a->data, a->dtype, ao + i * g->k + q) - za) *
             (oq_load_i64(b->data, b->dtype, bo + q * g->n + j) - zb);
      acc[i * g->n + j] = s;
    }
}

oq_status oq_op_matmul_integer_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_tensor *a = call->inputs[0], *b = call->inputs[1], *az = oq_kin(call, 2), *bz = oq_kin(call, 3);
  if (!is8(a) || !is8(b)) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "MatMulInteger takes int8/uint8 operands");
  mm_geom g;
  OQ_CHECK(mm_setup(a, b, &g, err));
  OQ_CHECK(check_qparam(az, g.m, 1, "a_zero_point", err));
  OQ_CHECK(check_qparam(bz, g.n, 1, "b_zero_point", err));
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_INT32, g.nd, g.dims, err));
  void *scratch;
  OQ_CHECK(oq_kscratch(call, (size_t)(g.m * g.n + 1) * sizeof(int64_t), &scratch, err));
  int32_t *y = call->outputs[0].data;
  for (int64_t e = 0; e < g.batch; e++) {
    int_product(&g, e, a, az, b, bz, scratch);
    for (int64_t i = 0; i < g.m * g.n; i++) y[e * g.m * g.n + i] = (int32_t)((int64_t *)scratch)[i];
  }
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_qlinear_matmul_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_tensor *a = call->inputs[0], *as = call->inputs[1], *az = call->inputs[2], *b = call->inputs[3],
                  *bs = call->inputs[4], *bz = call->inputs[5], *ys = call->inputs[6], *yz = call->inputs[7];
  if (!is8(a) || !is8(b) || !is8(yz)) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "QLinearMatMul takes int8/uint8 tensors");
  mm_geom g;
  OQ_CHECK(mm_setup(a, b, &g, err));
  OQ_CHECK(check_qparam(as, g.m, 0, "a_scale", err));
  OQ_CHECK(check_qparam(az, g.m, 1, "a_zero_point", err));
  OQ_CHECK(check_qparam(bs, g.n, 0, "b_scale", err));
  OQ_CHECK(check_qparam(bz, g.n, 1, "b_zero_point", err));
  OQ_CHECK(check_qparam(ys, 1, 0, "y_scale", err));
  OQ_CHECK(check_qparam(yz, 1, 0, "y_zero_point", err));
  OQ_CHECK(oq_kout(call, 0, yz->dtype, g.nd, g.dims, err));
  void *scratch;
  OQ_CHECK(oq_kscratch(call, (size_t)(g.m * g.n + 1) * sizeof(int64_t), &scratch, err));
  const int64_t *acc = scratch;
  double lo = yz->dtype == OQ_DTYPE_UINT8 ? 0 : -128, hi = yz->dtype == OQ_DTYPE_UINT8 ? 255 : 127;
  double ysc = sc_at(ys, 0), yzp = (double)zp_at(yz, 0);
  for (int64_t e = 0; e < g.batch; e++) {
    int_product(&g, e, a, az, b, bz, scratch);
    for (int64_t i = 0; i < g.m; i++)
      for (int64_t j = 0; j < g.n; j++) {
        double v = nearbyint((double)(float)(sc_at(as, i) * sc_at(bs, j) / ysc) * (double)acc[i * g.n + j]) + yzp;
        v = v < lo ? lo : v > hi ? hi : v;
        oq_store_f64(call->outputs[0].data, yz->dtype, e * g.m * g.n + i * g.n + j, v);
      }
  }
  return OQ_OK;
fail:
  return st;
}
