/* Lp pooling and ROI max pooling, float32: LpPool (1: p a float; 2: p an int; 18: ceil_mode and dilations, which
 * the window parser reads at every opset), GlobalLpPool, MaxRoiPool. Lp pools compute (sum |x|^p)^(1/p) over the
 * taps inside the input (padding adds nothing), in double. MaxRoiPool follows Caffe's ROI pooling as onnxruntime
 * does: the ROI corners (x1, y1, x2, y2) scaled by spatial_scale and rounded half away from zero, each of the
 * pooled_shape bins spans [floor(i * bin), ceil((i + 1) * bin)) of the ROI clipped to the input; an empty bin is 0. */
#include "core/pool.h"
#include "ops/kernels.h"
#include "ops/nn.h"
#include "ops/taps.h"
#include "ops/tensor_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct lp_params {
  oq_window win; /* kernel_shape required for LpPool; unused by GlobalLpPool */
  double p;      /* the norm's order, > 0 */
} lp_params;

static oq_status parse_p(const oq_op_init_ctx *ctx, double *p, oq_error *err) {
  oq_status st;
  if (ctx->opset < 2) {
    float f = 2.0f;
    st = oq_attr_float(ctx->node->proto, "p", 2.0f, &f, err);
    *p = f;
  } else {
    int64_t i = 2;
    st = oq_attr_int(ctx->node->proto, "p", 2, &i, err);
    *p = (double)i;
  }
  if (st != OQ_OK) return st;
  if (!(*p > 0) || *p > 1e6) OQ_RETURN_ERR(err, OQ_ERR_MODEL, "attribute p = %g is out of range", *p);
  return OQ_OK;
}

oq_status oq_op_lppool_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  lp_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  OQ_CHECK(oq_window_parse(ctx->node->proto, 1, &p->win, err));
  if (p->win.n_kernel == 0) OQ_FAIL(err, OQ_ERR_MODEL, "attribute kernel_shape is required");
  OQ_CHECK(parse_p(ctx, &p->p, err));
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

oq_status oq_op_global_lppool_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  lp_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  OQ_CHECK(parse_p(ctx, &p->p, err));
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

/* Taps one pool may visit: 4096 per input element and at least 2^30 (as pool.c: a window thousands wide over
 * padding with stride 1 would take hours). */
#define LP_VISITS_PER_ELEMENT 4096.0
#define LP_MIN_VISIT_LIMIT    ((double)((int64_t)1 << 30))

static oq_status lp_geometry(const lp_params *p, const oq_tensor *x, oq_window_geom *g, int64_t *ydims, oq_error *err) {
  if (x->ndim < 3) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "input X has rank %d, pooling needs at least 3", (int)x->ndim);
  oq_status st = oq_nn_check_dims(x, "X", err);
  if (st != OQ_OK) return st;
  int32_t nd = x->ndim - 2;
  if (p->win.n_kernel != nd)
    OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "kernel_shape has %d entries, X has %d spatial dims", (int)p->win.n_kernel,
                  (int)nd);
  st = oq_window_resolve(&p->win, nd, x->dims + 2, NULL, g, err);
  if (st != OQ_OK) return st;
  ydims[0] = x->dims[0];
  ydims[1] = x->dims[1];
  for (int32_t i = 0; i < nd; i++) ydims[i + 2] = g->out[i];
  double planes = (double)x->dims[0] * (double)x->dims[1], numel = planes;
  for (int32_t i = 0; i < nd; i++) numel *= (double)x->dims[i + 2];
  double limit = LP_VISITS_PER_ELEMENT * numel;
  if (limit < LP_MIN_VISIT_LIMIT) limit = LP_MIN_VISIT_LIMIT;
  if (planes > 0 && oq_window_visits(g, limit) * planes > limit)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "the pooling windows visit more than the limit of %.0f taps", limit);
  return OQ_OK;
}

oq_status oq_op_lppool_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                             int32_t n_out, oq_error *err) {
  (void)n_in;
  (void)n_out;
  if (!oq_info_known_but_batch(in[0])) return OQ_OK;
  oq_tensor x;
  oq_info_tensor(in[0], &x);
  int batch_unknown = x.dims[0] < 0;
  if (batch_unknown) x.dims[0] = 1; /* the batch goes through unchanged */
  oq_window_geom g;
  int64_t ydims[OQ_MAX_DIMS];
  oq_status st = lp_geometry(params, &x, &g, ydims, err);
  if (batch_unknown) ydims[0] = -1;
  if (st == OQ_OK) oq_info_set(&out[0], x.dtype, x.ndim, ydims);
  return st;
}

/* (sum |v|^p) and its p-th root, with the common orders exact and fast */
static double lp_term(double v, double p) { return p == 1 ? fabs(v) : p == 2 ? v * v : pow(fabs(v), p); }
static double lp_root(double s, double p) { return p == 1 ? s : p == 2 ? sqrt(s) : pow(s, 1.0 / p); }

typedef struct lp_job {
  const lp_params *p;
  const oq_window_geom *g;
  const float *x;
  float *y;
  int64_t in_sp, out_sp;
} lp_job;

static oq_status lp_planes(void *ctx, int64_t begin, int64_t end) {
  const lp_job *j = ctx;
  const oq_window_geom *g = j->g;
  for (int64_t plane = begin; plane < end; plane++) {
    const float *xp = j->x + plane * j->in_sp;
    float *yp = j->y + plane * j->out_sp;
    int64_t o[OQ_MAX_DIMS] = {0};
    for (int64_t op = 0; op < j->out_sp; op++) {
      int64_t lo[OQ_MAX_DIMS], hi[OQ_MAX_DIMS], kk[OQ_MAX_DIMS];
      double s = 0;
      if (oq_taps_box(g, o, lo, hi)) {
        memcpy(kk, lo, sizeof kk);
        do {
          int64_t off = 0;
          for (int32_t d = 0; d < g->nd; d++) off = off * g->in[d] + o[d] * g->s[d] - g->pb[d] + kk[d] * g->d[d];
          s += lp_term(xp[off], j->p->p);
        } while (oq_taps_next(g->nd, lo, hi, kk));
      }
      yp[op] = (float)lp_root(s, j->p->p);
      for (int32_t d = g->nd - 1; d >= 0; d--) {
        if (++o[d] < g->out[d]) break;
        o[d] = 0;
      }
    }
  }
  return OQ_OK;
}

oq_status oq_op_lppool_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const lp_params *p = call->params;
  const oq_tensor *x = call->inputs[0];
  if (x->dtype != OQ_DTYPE_FLOAT)
    OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "LpPool takes float32, got %s", oq_dtype_name(x->dtype));
  oq_window_geom g;
  int64_t ydims[OQ_MAX_DIMS];
  OQ_CHECK(lp_geometry(p, x, &g, ydims, err));
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_FLOAT, x->ndim, ydims, err));
  static const int64_t k_no_data[1]; /* an empty X: windows all padding, no offsets from NULL */
  lp_job j = {.p = p,
              .g = &g,
              .x = x->data ? x->data : (const void *)k_no_data,
              .y = call->outputs[0].data,
              .in_sp = 1,
              .out_sp = 1};
  for (int32_t d = 0; d < g.nd; d++) {
    j.in_sp *= g.in[d];
    j.out_sp *= g.out[d];
  }
  if (j.out_sp == 0) return OQ_OK;
  OQ_CHECK(oq_parallel_for(call->pool, x->dims[0] * x->dims[1], lp_planes, &j));
  return OQ_OK;
fail:
  return st;
}

/* ---- GlobalLpPool ------------------------------------------------------------------------------------------- */

oq_status oq_op_global_lppool_infer(const void *params, const oq_shape_info *const *in, int32_t n_in,
                                    oq_shape_info *out, int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_in;
  (void)n_out;
  (void)err;
  if (in[0]->ndim < 2) return OQ_OK;
  int64_t ydims[OQ_MAX_DIMS];
  for (int32_t i = 0; i < in[0]->ndim; i++) ydims[i] = i < 2 ? in[0]->dims[i] : 1;
  oq_info_set(&out[0], OQ_DTYPE_FLOAT, in[0]->ndim, ydims);
  return OQ_OK;
}

typedef struct glp_job {
  double p;
  const float *x;
  float *y;
  int64_t sp;
} glp_job;

static oq_status glp_planes(void *ctx, int64_t begin, int64_t end) {
  const glp_job *j = ctx;
  for (int64_t plane = begin; plane < end; plane++) {
    const float *xp = j->x + plane * j->sp;
    double s = 0;
    for (int64_t i = 0; i < j->sp; i++) s += lp_term(xp[i], j->p);
    j->y[plane] = (float)lp_root(s, j->p);
  }
  return OQ_OK;
}

oq_status oq_op_global_lppool_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const lp_params *p = call->params;
  const oq_tensor *x = call->inputs[0];
  if (x->dtype != OQ_DTYPE_FLOAT)
    OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "GlobalLpPool takes float32, got %s", oq_dtype_name(x->dtype));
  if (x->ndim < 3) OQ_FAIL(err, OQ_ERR_SHAPE, "input X has rank %d, pooling needs at least 3", (int)x->ndim);
  OQ_CHECK(oq_nn_check_dims(x, "X", err));
  int64_t ydims[OQ_MAX_DIMS];
  glp_job j = {.p = p->p, .x = x->data, .sp = 1};
  for (int32_t i = 0; i < x->ndim; i++) {
    ydims[i] = i < 2 ? x->dims[i] : 1;
    if (i >= 2) j.sp *= x->dims[i];
  }
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_FLOAT, x->ndim, ydims, err));
  j.y = call->outputs[0].data;
  OQ_CHECK(oq_parallel_for(call->pool, x->dims[0] * x->dims[1], glp_planes, &j));
  return OQ_OK;
fail:
  return st;
}

/* ---- MaxRoiPool --------------------------------------------------------------------------------------------- */

typedef struct roi_params {
  int64_t ph, pw;      /* pooled_shape */
  float spatial_scale; /* ROI coordinates -> input pixels */
} roi_params;

oq_status oq_op_maxroipool_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  const int64_t *ps = NULL;
  size_t n = 0;
  roi_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  OQ_CHECK(oq_attr_ints(ctx->node->proto, "pooled_shape", &ps, &n, err));
  if (n != 2) OQ_FAIL(err, OQ_ERR_MODEL, "attribute pooled_shape must hold 2 values (it holds %zu)", n);
  if (ps[0] < 1 || ps[1] < 1 || ps[0] > OQ_WINDOW_LIMIT || ps[1] > OQ_WINDOW_LIMIT)
    OQ_FAIL(err, OQ_ERR_MODEL, "pooled_shape [%lld, %lld] is out of range", (long long)ps[0], (long long)ps[1]);
  p->ph = ps[0], p->pw = ps[1];
  OQ_CHECK(oq_attr_float(ctx->node->proto, "spatial_scale", 1.0f, &p->spatial_scale, err));
  if (!isfinite(p->spatial_scale)) OQ_FAIL(err, OQ_ERR_MODEL, "spatial_scale must be finite");
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

static oq_status roi_shape(const roi_params *p, int32_t xr, const int64_t *xd, int32_t rr, const int64_t *rd,
                           int64_t *ydims, oq_error *err) {
  if (xr != 4) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "X has rank %d, MaxRoiPool takes rank 4", (int)xr);
  if (rr != 2 || (rd[1] >= 0 && rd[1] != 5)) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "rois must have shape [num_rois, 5]");
  ydims[0] = rd[0], ydims[1] = xd[1], ydims[2] = p->ph, ydims[3] = p->pw;
  return OQ_OK;
}

oq_status oq_op_maxroipool_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                                 int32_t n_out, oq_error *err) {
  (void)n_in;
  (void)n_out;
  if (in[0]->dtype) out[0].dtype = in[0]->dtype;
  if (in[0]->ndim < 0 || in[1]->ndim < 0) return OQ_OK;
  int64_t ydims[4];
  oq_status st = roi_shape(params, in[0]->ndim, in[0]->dims, in[1]->ndim, in[1]->dims, ydims, err);
  if (st == OQ_OK) oq_info_set(&out[0], in[0]->dtype, 4, ydims);
  return st;
}

/* ROI corner v (input pixels) as an int clamped far outside any input, so the bin arithmetic cannot overflow. */
static int64_t roi_coord(float v, float scale) {
  double c = round((double)v * (double)scale);
  return isnan(c) ? 0 : c < -OQ_WINDOW_LIMIT ? -OQ_WINDOW_LIMIT : c > OQ_WINDOW_LIMIT ? OQ_WINDOW_LIMIT : (int64_t)c;
}

static int64_t clamp64(int64_t v, int64_t lo, int64_t hi) { return v < lo ? lo : v > hi ? hi : v; }

oq_status oq_op_maxroipool_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const roi_params *p = call->params;
  const oq_tensor *x = call->inputs[0], *rois = call->inputs[1];
  if (x->dtype != OQ_DTYPE_FLOAT || rois->dtype != OQ_DTYPE_FLOAT)
    OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "MaxRoiPool takes float32 X and rois");
  OQ_CHECK(oq_nn_check_dims(x, "X", err));
  int64_t ydims[4];
  OQ_CHECK(roi_shape(p, x->ndim, x->dims, rois->ndim, rois->dims, ydims, err));
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_FLOAT, 4, ydims, err));
  const float *r = rois->data, *xd = x->data;
  float *y = call->outputs[0].data;
  int64_t c_n = x->dims[1], h = x->dims[2], w = x->dims[3];
  /* The bins of one ROI tile it (neighbours share at most one row or column), clipped to the input: each ROI reads
   * at most (min(roi, input) + bins) pixels per dim and channel. Many large ROIs over a large input are refused
   * for their work, as pooling windows are. */
  double work = 0, limit = 4096.0 * ((double)oq_tensor_numel(x) + (double)oq_tensor_numel(&call->outputs[0]));
  if (limit < (double)((int64_t)1 << 30)) limit = (double)((int64_t)1 << 30);
  for (int64_t k = 0; k < ydims[0]; k++) {
    const float *rk = r + k * 5;
    double rh = (double)(roi_coord(rk[4], p->spatial_scale) - roi_coord(rk[2], p->spatial_scale) + 1);
    double rw = (double)(roi_coord(rk[3], p->spatial_scale) - roi_coord(rk[1], p->spatial_scale) + 1);
    rh = rh < 1 ? 1 : rh > (double)h ? (double)h : rh;
    rw = rw < 1 ? 1 : rw > (double)w ? (double)w : rw;
    work += (double)c_n * (rh + (double)p->ph) * (rw + (double)p->pw);
  }
  if (work > limit)
    OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "the ROIs read more than the limit of %.0f pixels", limit);
  for (int64_t k = 0; k < ydims[0]; k++) {
    const float *rk = r + k * 5;
    double bv = rk[0];
    if (!(bv >= 0 && bv < (double)x->dims[0]))
      OQ_KFAIL(call->node_name, OQ_ERR_MODEL, "rois[%lld] names batch %g of %lld", (long long)k, bv,
               (long long)x->dims[0]);
    int64_t b = (int64_t)bv;
    int64_t x1 = roi_coord(rk[1], p->spatial_scale), y1 = roi_coord(rk[2], p->spatial_scale);
    int64_t x2 = roi_coord(rk[3], p->spatial_scale), y2 = roi_coord(rk[4], p->spatial_scale);
    int64_t rh = y2 - y1 + 1 > 1 ? y2 - y1 + 1 : 1, rw = x2 - x1 + 1 > 1 ? x2 - x1 + 1 : 1;
    double bh = (double)rh / (double)p->ph, bw = (double)rw / (double)p->pw;
    for (int64_t c = 0; c < c_n; c++) {
      const float *xp = xd ? xd + (b * c_n + c) * h * w : NULL; /* an empty X: no bin reads, no NULL offset */
      float *yp = y + (k * c_n + c) * p->ph * p->pw;
      for (int64_t i = 0; i < p->ph; i++) {
        int64_t hs = clamp64((int64_t)floor((double)i * bh) + y1, 0, h);
        int64_t he = clamp64((int64_t)ceil((double)(i + 1) * bh) + y1, 0, h);
        for (int64_t jj = 0; jj < p->pw; jj++) {
          int64_t ws = clamp64((int64_t)floor((double)jj * bw) + x1, 0, w);
          int64_t we = clamp64((int64_t)ceil((double)(jj + 1) * bw) + x1, 0, w);
          float m = 0;
          if (he > hs && we > ws) {
            m = -INFINITY;
            for (int64_t yy = hs; yy < he; yy++)
              for (int64_t xx = ws; xx < we; xx++)
                if (xp[yy * w + xx] > m || isnan(xp[yy * w + xx])) m = xp[yy * w + xx];
          }
          yp[i * p->pw + jj] = m;
        }
      }
    }
  }
  return OQ_OK;
fail:
  return st;
}
