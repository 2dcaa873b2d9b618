/* Detection and sampling ops: NonMaxSuppression (corner or center boxes, per batch and class, greedy by score),
 * RoiAlign (avg/max, half_pixel or output_half_pixel), MaxUnpool. Float32 boxes and features. */
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct detect_params {
  int64_t center_point_box;            /* NMS */
  int32_t roi_max, roi_half_pixel;     /* RoiAlign mode max, coordinate_transformation_mode half_pixel */
  int64_t out_h, out_w, sampling;      /* RoiAlign */
  float spatial_scale;                 /* RoiAlign */
  int32_t n_kernel, n_strides, n_pads; /* MaxUnpool */
  int64_t kernel[OQ_MAX_DIMS], strides[OQ_MAX_DIMS], pads[2 * OQ_MAX_DIMS];
} detect_params;

oq_status oq_op_detect_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  const Onnx__NodeProto *n = ctx->node->proto;
  detect_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  OQ_CHECK(oq_attr_int(n, "center_point_box", 0, &p->center_point_box, err));
  OQ_CHECK(oq_attr_int(n, "output_height", 1, &p->out_h, err));
  OQ_CHECK(oq_attr_int(n, "output_width", 1, &p->out_w, err));
  OQ_CHECK(oq_attr_int(n, "sampling_ratio", 0, &p->sampling, err));
  OQ_CHECK(oq_attr_float(n, "spatial_scale", 1.0f, &p->spatial_scale, err));
  if (p->out_h < 1 || p->out_w < 1 || p->sampling < 0) OQ_FAIL(err, OQ_ERR_MODEL, "invalid RoiAlign attributes");
  const char *s;
  size_t len;
  OQ_CHECK(oq_attr_string(n, "mode", "avg", &s, &len, err));
  p->roi_max = len == 3 && memcmp(s, "max", 3) == 0;
  OQ_CHECK(oq_attr_string(n, "coordinate_transformation_mode", ctx->opset >= 16 ? "half_pixel" : "output_half_pixel",
                          &s, &len, err));
  p->roi_half_pixel = len == 10 && memcmp(s, "half_pixel", 10) == 0;
  const int64_t *v;
  size_t k;
  OQ_CHECK(oq_attr_ints(n, "kernel_shape", &v, &k, err));
  if (k > OQ_MAX_DIMS) OQ_FAIL(err, OQ_ERR_MODEL, "kernel_shape too long");
  if (k) memcpy(p->kernel, v, k * sizeof *v);
  p->n_kernel = (int32_t)k;
  OQ_CHECK(oq_attr_ints(n, "strides", &v, &k, err));
  if (k > OQ_MAX_DIMS) OQ_FAIL(err, OQ_ERR_MODEL, "strides too long");
  if (k) memcpy(p->strides, v, k * sizeof *v);
  p->n_strides = (int32_t)k;
  OQ_CHECK(oq_attr_ints(n, "pads", &v, &k, err));
  if (k > 2 * OQ_MAX_DIMS) OQ_FAIL(err, OQ_ERR_MODEL, "pads too long");
  if (k) memcpy(p->pads, v, k * sizeof *v);
  p->n_pads = (int32_t)k;
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

/* ---- NonMaxSuppression ---- */

typedef struct nms_cand {
  float score;
  int64_t box;
} nms_cand;

static int cand_cmp(const void *a, const void *b) {
  const nms_cand *x = a, *y = b;
  if (x->score != y->score) return x->score > y->score ? -1 : 1;
  return x->box < y->box ? -1 : x->box > y->box;
}

static void corners(const float *b, int center, float *y1, float *x1, float *y2, float *x2) {
  if (center) {
    *x1 = b[0] - b[2] / 2, *x2 = b[0] + b[2] / 2, *y1 = b[1] - b[3] / 2, *y2 = b[1] + b[3] / 2;
  } else {
    *y1 = fminf(b[0], b[2]), *y2 = fmaxf(b[0], b[2]), *x1 = fminf(b[1], b[3]), *x2 = fmaxf(b[1], b[3]);
  }
}

static float iou(const float *a, const float *b, int center) {
  float ay1, ax1, ay2, ax2, by1, bx1, by2, bx2;
  corners(a, center, &ay1, &ax1, &ay2, &ax2);
  corners(b, center, &by1, &bx1, &by2, &bx2);
  float iw = fminf(ax2, bx2) - fmaxf(ax1, bx1), ih = fminf(ay2, by2) - fmaxf(ay1, by1);
  if (iw <= 0 || ih <= 0) return 0;
  float inter = iw * ih, uni = (ax2 - ax1) * (ay2 - ay1) + (bx2 - bx1) * (by2 - by1) - inter;
  return uni > 0 ? inter / uni : 0;
}

oq_status oq_op_nms_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const detect_params *p = call->params;
  const oq_tensor *boxes = call->inputs[0], *scores = call->inputs[1], *mt = oq_kin(call, 2), *it = oq_kin(call, 3),
                  *stt = oq_kin(call, 4);
  if (boxes->dtype != OQ_DTYPE_FLOAT || scores->dtype != OQ_DTYPE_FLOAT)
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "boxes and scores must be float32");
  if (boxes->ndim != 3 || boxes->dims[2] != 4 || scores->ndim != 3 || scores->dims[0] != boxes->dims[0] ||
      scores->dims[2] != boxes->dims[1])
    OQ_FAIL(err, OQ_ERR_SHAPE, "boxes must be [B, N, 4] and scores [B, C, N]");
  int64_t max_out = mt && oq_tensor_numel(mt) ? oq_load_i64(mt->data, mt->dtype, 0) : 0;
  float thr = it && oq_tensor_numel(it) ? (float)oq_load_f64(it->data, it->dtype, 0) : 0.0f;
  int has_st = stt && oq_tensor_numel(stt);
  float sthr = has_st ? (float)oq_load_f64(stt->data, stt->dtype, 0) : 0.0f;
  int64_t B = boxes->dims[0], N = boxes->dims[1], C = scores->dims[1];
  size_t bytes;
  if (!oq_size_mul((size_t)N, sizeof(nms_cand) + sizeof(int64_t), &bytes) || !oq_size_add(bytes, 0, &bytes))
    OQ_FAIL(err, OQ_ERR_NOMEM, "too many boxes");
  /* selections: at most B * C * min(N, max_out) triples, counted in a first pass */
  int64_t per = max_out < N ? max_out : N, cap = B * C * (per > 0 ? per : 0);
  size_t sel_bytes;
  if (!oq_size_mul((size_t)cap, 3 * sizeof(int64_t), &sel_bytes) || !oq_size_add(bytes, sel_bytes, &bytes))
    OQ_FAIL(err, OQ_ERR_NOMEM, "too many boxes");
  void *scratch;
  OQ_CHECK(oq_kscratch(call, bytes ? bytes : 1, &scratch, err));
  nms_cand *cand = scratch;
  int64_t *kept = (int64_t *)(cand + N), *sel = kept + N, n_sel = 0;
  const float *bd = boxes->data, *sd = scores->data;
  for (int64_t b = 0; b < B && max_out > 0; b++)
    for (int64_t c = 0; c < C; c++) {
      int64_t nc = 0, nk = 0;
      for (int64_t i = 0; i < N; i++) {
        float s = sd[(b * C + c) * N + i];
        if (!has_st || s > sthr) cand[nc].score = s, cand[nc++].box = i;
      }
      qsort(cand, (size_t)nc, sizeof *cand, cand_cmp);
      for (int64_t i = 0; i < nc && nk < max_out; i++) {
        const float *bx = bd + (b * N + cand[i].box) * 4;
        int ok = 1;
        for (int64_t k = 0; k < nk && ok; k++)
          if (iou(bx, bd + (b * N + kept[k]) * 4, (int)p->center_point_box) > thr) ok = 0;
        if (!ok) continue;
        kept[nk++] = cand[i].box;
        sel[n_sel * 3] = b, sel[n_sel * 3 + 1] = c, sel[n_sel * 3 + 2] = cand[i].box;
        n_sel++;
      }
    }
  int64_t dims[2] = {n_sel, 3};
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_INT64, 2, dims, err));
  if (n_sel) memcpy(call->outputs[0].data, sel, (size_t)n_sel * 3 * sizeof(int64_t));
  return OQ_OK;
fail:
  return st;
}

/* ---- RoiAlign ---- */

static float bilinear(const float *f, int64_t H, int64_t W, float y, float x, int *valid) {
  *valid = !(y < -1.0f || y > (float)H || x < -1.0f || x > (float)W);
  if (!*valid) return 0;
  if (y <= 0) y = 0;
  if (x <= 0) x = 0;
  int64_t yl = (int64_t)y, xl = (int64_t)x, yh, xh;
  if (yl >= H - 1)
    yh = yl = H - 1, y = (float)yl;
  else
    yh = yl + 1;
  if (xl >= W - 1)
    xh = xl = W - 1, x = (float)xl;
  else
    xh = xl + 1;
  float ly = y - (float)yl, lx = x - (float)xl, hy = 1 - ly, hx = 1 - lx;
  return hy * hx * f[yl * W + xl] + hy * lx * f[yl * W + xh] + ly * hx * f[yh * W + xl] + ly * lx * f[yh * W + xh];
}

oq_status oq_op_roialign_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const detect_params *p = call->params;
  const oq_tensor *x = call->inputs[0], *rois = call->inputs[1], *bi = call->inputs[2];
  if (x->dtype != OQ_DTYPE_FLOAT || rois->dtype != OQ_DTYPE_FLOAT) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "float32 only");
  if (x->ndim != 4 || rois->ndim != 2 || rois->dims[1] != 4 || oq_tensor_numel(bi) != rois->dims[0])
    OQ_FAIL(err, OQ_ERR_SHAPE, "X must be 4-D, rois [R, 4], batch_indices [R]");
  int64_t R = rois->dims[0], C = x->dims[1], H = x->dims[2], W = x->dims[3];
  int64_t dims[4] = {R, C, p->out_h, p->out_w};
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_FLOAT, 4, dims, err));
  float *y = call->outputs[0].data;
  const float *rd = rois->data;
  float off = p->roi_half_pixel ? 0.5f : 0.0f;
  for (int64_t r = 0; r < R; r++) {
    int64_t n = oq_load_i64(bi->data, bi->dtype, r);
    if (n < 0 || n >= x->dims[0]) OQ_FAIL(err, OQ_ERR_SHAPE, "batch index %lld is out of range", (long long)n);
    float sx = rd[r * 4] * p->spatial_scale - off, sy = rd[r * 4 + 1] * p->spatial_scale - off;
    float rw = rd[r * 4 + 2] * p->spatial_scale - off - sx, rh = rd[r * 4 + 3] * p->spatial_scale - off - sy;
    if (!p->roi_half_pixel) {
      rw = fmaxf(rw, 1.0f);
      rh = fmaxf(rh, 1.0f);
    }
    float bh = rh / (float)p->out_h, bw = rw / (float)p->out_w;
    int64_t gh = p->sampling ? p->sampling : (int64_t)ceilf(rh / (float)p->out_h);
    int64_t gw = p->sampling ? p->sampling : (int64_t)ceilf(rw / (float)p->out_w);
    float cnt = (float)(gh * gw > 1 ? gh * gw : 1);
    for (int64_t c = 0; c < C; c++) {
      const float *f = (const float *)x->data + (n * C + c) * H * W;
      for (int64_t ph = 0; ph < p->out_h; ph++)
        for (int64_t pw = 0; pw < p->out_w; pw++) {
          float acc = 0, mx = -INFINITY;
          int any = 0;
          for (int64_t iy = 0; iy < gh; iy++)
            for (int64_t ix = 0; ix < gw; ix++) {
              float yy = sy + (float)ph * bh + ((float)iy + 0.5f) * bh / (float)gh;
              float xx = sx + (float)pw * bw + ((float)ix + 0.5f) * bw / (float)gw;
              int valid;
              float v = bilinear(f, H, W, yy, xx, &valid);
              acc += v;
              if (valid && v > mx) mx = v;
              any |= valid;
            }
          y[((r * C + c) * p->out_h + ph) * p->out_w + pw] = p->roi_max ? (any ? mx : 0) : acc / cnt;
        }
    }
  }
  return OQ_OK;
fail:
  return st;
}

/* ---- MaxUnpool ---- */

oq_status oq_op_maxunpool_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const detect_params *p = call->params;
  const oq_tensor *x, *ind = call->inputs[1], *os = oq_kin(call, 2);
  OQ_CHECK(oq_kin_fixed(call, 0, "MaxUnpool", &x, err));
  int32_t nd = x->ndim - 2;
  if (nd < 1 || p->n_kernel != nd) OQ_FAIL(err, OQ_ERR_SHAPE, "kernel_shape must match the spatial rank");
  if (oq_tensor_numel(ind) != oq_tensor_numel(x)) OQ_FAIL(err, OQ_ERR_SHAPE, "I must have X's shape");
  int64_t dims[OQ_MAX_DIMS];
  if (os) {
    size_t n;
    OQ_CHECK(oq_read_int_list(os, dims, OQ_MAX_DIMS, &n, call->node_name, "output_shape", err));
    if ((int32_t)n != x->ndim) OQ_FAIL(err, OQ_ERR_SHAPE, "output_shape must have X's rank");
  } else {
    dims[0] = x->dims[0], dims[1] = x->dims[1];
    for (int32_t i = 0; i < nd; i++) {
      int64_t s = p->n_strides ? p->strides[i] : 1, pb = p->n_pads ? p->pads[i] : 0,
              pe = p->n_pads ? p->pads[nd + i] : 0;
      dims[i + 2] = (x->dims[i + 2] - 1) * s + p->kernel[i] - pb - pe;
    }
  }
  OQ_CHECK(oq_kout(call, 0, x->dtype, x->ndim, dims, err));
  oq_tensor *y = &call->outputs[0];
  memset(y->data, 0, y->nbytes);
  int64_t ny = oq_tensor_numel(y), n = oq_tensor_numel(x);
  size_t es = oq_dtype_size(x->dtype);
  for (int64_t i = 0; i < n; i++) {
    int64_t k = oq_load_i64(ind->data, ind->dtype, i);
    if (k < 0 || k >= ny) OQ_FAIL(err, OQ_ERR_SHAPE, "index %lld is out of range", (long long)k);
    memcpy((unsigned char *)y->data + (size_t)k * es, (const unsigned char *)x->data + (size_t)i * es, es);
  }
  return OQ_OK;
fail:
  return st;
}

/* ---- shape inference ---------------------------------------------------------------------------------------- */

/* NonMaxSuppression: [selected, 3] int64, the count known at run time. */
oq_status oq_op_nms_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                          int32_t n_out, oq_error *err) {
  (void)params;
  (void)in;
  (void)n_in;
  (void)n_out;
  (void)err;
  int64_t dims[2] = {-1, 3};
  oq_info_set(&out[0], OQ_DTYPE_INT64, 2, dims);
  return OQ_OK;
}

/* RoiAlign: [num_rois, C, output_height, output_width] float32. */
oq_status oq_op_roialign_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                               int32_t n_out, oq_error *err) {
  (void)n_in;
  (void)n_out;
  const detect_params *p = params;
  if (in[0]->ndim >= 0 && in[0]->ndim != 4) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "X must be 4-D");
  if (in[1]->ndim >= 0 && in[1]->ndim != 2) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "rois must be [R, 4]");
  int64_t dims[4] = {in[1]->ndim == 2 ? in[1]->dims[0] : -1, in[0]->ndim == 4 ? in[0]->dims[1] : -1, p->out_h,
                     p->out_w};
  if (dims[0] < 0 && in[2]->ndim == 1) dims[0] = in[2]->dims[0];
  oq_info_set(&out[0], OQ_DTYPE_FLOAT, 4, dims);
  return OQ_OK;
}

/* MaxUnpool: output_shape when it is a constant, else the default extents from X and the attributes. */
oq_status oq_op_maxunpool_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                                int32_t n_out, oq_error *err) {
  (void)n_out;
  const detect_params *p = params;
  const oq_shape_info *x = in[0], *os = n_in > 2 ? in[2] : NULL;
  out[0].dtype = x->dtype;
  if (x->ndim < 0) return OQ_OK;
  int32_t nd = x->ndim - 2;
  if (nd < 1 || p->n_kernel != nd) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "kernel_shape must match the spatial rank");
  int64_t dims[OQ_MAX_DIMS];
  for (int32_t i = 0; i < x->ndim; i++) dims[i] = -1;
  if (os) {
    if (os->value && os->value->data && oq_tensor_numel(os->value) == x->ndim &&
        (os->value->dtype == OQ_DTYPE_INT64 || os->value->dtype == OQ_DTYPE_INT32))
      for (int32_t i = 0; i < x->ndim; i++) {
        int64_t v = oq_load_i64(os->value->data, os->value->dtype, i);
        dims[i] = v >= 0 ? v : -1;
      }
  } else {
    dims[0] = x->dims[0], dims[1] = x->dims[1];
    for (int32_t i = 0; i < nd; i++) {
      int64_t s = p->n_strides ? p->strides[i] : 1, pb = p->n_pads ? p->pads[i] : 0,
              pe = p->n_pads ? p->pads[nd + i] : 0, e = x->dims[i + 2];
      /* attributes are unchecked here: only plausible ones give an extent */
      int ok = e >= 1 && e <= ((int64_t)1 << 40) && s >= 1 && s <= ((int64_t)1 << 20) && p->kernel[i] >= 1 &&
               p->kernel[i] <= ((int64_t)1 << 20) && pb >= 0 && pe >= 0 && pb <= ((int64_t)1 << 20) &&
               pe <= ((int64_t)1 << 20);
      int64_t v = ok ? (e - 1) * s + p->kernel[i] - pb - pe : -1;
      dims[i + 2] = v >= 0 ? v : -1;
    }
  }
  oq_info_set(&out[0], x->dtype, x->ndim, dims);
  return OQ_OK;
}
