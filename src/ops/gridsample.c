/* GridSample (16: 2 spatial dims, modes bilinear/nearest/bicubic; 20: any spatial rank, modes linear/nearest/cubic
 * with the same numerics), float32. Follows the ONNX reference: the grid's last axis holds the coordinates in
 * reverse spatial order (x = the last dim), each denormalized (align_corners: -1 and 1 are the centers of the corner
 * pixels, else their outer edges). nearest rounds half to even (3 spatial dims: half away from zero, as PyTorch's 3-D
 * sampler). For nearest and linear a coordinate outside [lo, hi] (-0.5 .. d-0.5, or 0 .. d-1 with align_corners) is
 * first clamped to [0, d-1] (border) or reflected into [lo, hi] (reflection); then each tap of the interpolation (1
 * nearest, 2 linear, 4 cubic with a = -0.75 per dim) reads 0 outside the input (zeros), the clamped pixel (border) or
 * the reflected one (reflection). */
#include "core/pool.h"
#include "ops/kernels.h"
#include "ops/nn.h"
#include "ops/tensor_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { GS_LINEAR = 0, GS_NEAREST = 1, GS_CUBIC = 2 };
enum { GS_ZEROS = 0, GS_BORDER = 1, GS_REFLECTION = 2 };

typedef struct gs_params {
  int32_t mode;          /* GS_* */
  int32_t padding;       /* GS_ZEROS, ... */
  int32_t align_corners; /* 0/1 */
  int32_t any_rank;      /* opset >= 20: any spatial rank; 16: exactly 2 */
} gs_params;

static int str_is(const char *s, size_t n, const char *want) { return n == strlen(want) && memcmp(s, want, n) == 0; }

oq_status oq_op_gridsample_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  const Onnx__NodeProto *node = ctx->node->proto;
  int v20 = ctx->opset >= 20;
  gs_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  p->any_rank = v20;
  const char *s = NULL;
  size_t n = 0;
  OQ_CHECK(oq_attr_string(node, "mode", v20 ? "linear" : "bilinear", &s, &n, err));
  if (str_is(s, n, v20 ? "linear" : "bilinear"))
    p->mode = GS_LINEAR;
  else if (str_is(s, n, "nearest"))
    p->mode = GS_NEAREST;
  else if (str_is(s, n, v20 ? "cubic" : "bicubic"))
    p->mode = GS_CUBIC;
  else
    OQ_FAIL(err, OQ_ERR_MODEL, "mode '%.*s' is not %s (opset %lld)", (int)(n > 32 ? 32 : n), s,
            v20 ? "linear, nearest or cubic" : "bilinear, nearest or bicubic", (long long)ctx->opset);
  OQ_CHECK(oq_attr_string(node, "padding_mode", "zeros", &s, &n, err));
  if (str_is(s, n, "zeros"))
    p->padding = GS_ZEROS;
  else if (str_is(s, n, "border"))
    p->padding = GS_BORDER;
  else if (str_is(s, n, "reflection"))
    p->padding = GS_REFLECTION;
  else
    OQ_FAIL(err, OQ_ERR_MODEL, "padding_mode '%.*s' is not zeros, border or reflection", (int)(n > 32 ? 32 : n), s);
  int64_t ac = 0;
  OQ_CHECK(oq_attr_int(node, "align_corners", 0, &ac, err));
  if (ac != 0 && ac != 1) OQ_FAIL(err, OQ_ERR_MODEL, "align_corners must be 0 or 1 (got %lld)", (long long)ac);
  p->align_corners = (int32_t)ac;
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

/* Y's dims from X's and the grid's (either may be partly unknown: -1 stays -1). */
static oq_status gs_shape(const gs_params *p, int32_t xr, const int64_t *xd, int32_t gr, const int64_t *gd,
                          int64_t *ydims, oq_error *err) {
  if (xr < 3) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "X has rank %d, GridSample needs at least 3", (int)xr);
  if (!p->any_rank && xr != 4)
    OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "X has rank %d, GridSample before opset 20 takes rank 4", (int)xr);
  if (gr != xr) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "grid has rank %d, X %d", (int)gr, (int)xr);
  if (gd[gr - 1] >= 0 && gd[gr - 1] != xr - 2)
    OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "grid's last dim is %lld, X has %d spatial dims", (long long)gd[gr - 1],
                  (int)(xr - 2));
  if (xd[0] >= 0 && gd[0] >= 0 && xd[0] != gd[0])
    OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "grid's batch %lld differs from X's %lld", (long long)gd[0], (long long)xd[0]);
  ydims[0] = xd[0] >= 0 ? xd[0] : gd[0];
  ydims[1] = xd[1];
  for (int32_t i = 1; i < gr - 1; i++) ydims[i + 1] = gd[i];
  return OQ_OK;
}

oq_status oq_op_gridsample_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                                 int32_t n_out, oq_error *err) {
  (void)n_in;
  (void)n_out;
  if (in[0]->dtype) out[0].dtype = in[0]->dtype;
  if (in[0]->ndim < 0 || in[1]->ndim < 0) return OQ_OK;
  int64_t ydims[OQ_MAX_DIMS];
  oq_status st = gs_shape(params, in[0]->ndim, in[0]->dims, in[1]->ndim, in[1]->dims, ydims, err);
  if (st == OQ_OK) oq_info_set(&out[0], in[0]->dtype, in[0]->ndim, ydims);
  return st;
}

/* Coordinates beyond this magnitude are clamped (also infinities; NaN goes to -GS_FAR): far outside any input,
 * and small enough that floor() and the reflection arithmetic stay exact in int64. */
#define GS_FAR 1e12

static double gs_reflect(double x, double lo, double hi) {
  double rng = hi - lo;
  if (!(rng > 0)) return lo;
  if (x < lo) {
    double dx = lo - x;
    int64_t n = (int64_t)(dx / rng);
    double r = dx - (double)n * rng;
    return n % 2 == 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    double dx = x - hi;
    int64_t n = (int64_t)(dx / rng);
    double r = dx - (double)n * rng;
    return n % 2 == 0 ? hi - r : lo + r;
  }
  return x;
}

static void cubic_coeffs(double t, double *c) {
  const double a = -0.75;
  double x = fabs(t);
  c[0] = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a;
  c[1] = ((a + 2) * x - (a + 3)) * x * x + 1;
  c[2] = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1;
  c[3] = ((a * (2 - x) - 5 * a) * (2 - x) + 8 * a) * (2 - x) - 4 * a;
}

typedef struct gs_job {
  const gs_params *p;
  const float *x, *grid;
  float *y;
  int32_t nd;                  /* spatial rank */
  int64_t c, in_sp, out_sp;    /* channels, spatial products */
  int64_t in[OQ_MAX_DIMS];     /* input spatial extents */
  int64_t stride[OQ_MAX_DIMS]; /* input spatial strides */
} gs_job;

/* Index of a tap i along a dim of extent d, or -1 when it reads zero padding. */
static int64_t tap_index(const gs_job *j, int64_t i, int64_t d, double lo, double hi) {
  if (i >= 0 && i < d) return i;
  if (j->p->padding == GS_ZEROS) return -1;
  if (j->p->padding == GS_BORDER) return i < 0 ? 0 : d - 1;
  int64_t r = (int64_t)gs_reflect((double)i, lo, hi);
  return r < 0 ? 0 : r >= d ? d - 1 : r;
}

/* Output points [begin, end) of the flattened (n, spatial point): each writes its C outputs. */
static oq_status gs_points(void *ctx, int64_t begin, int64_t end) {
  const gs_job *j = ctx;
  const gs_params *p = j->p;
  const int32_t nd = j->nd, nt = p->mode == GS_NEAREST ? 1 : p->mode == GS_LINEAR ? 2 : 4;
  int64_t idx[OQ_MAX_DIMS][4];
  double w[OQ_MAX_DIMS][4];
  for (int64_t pt = begin; pt < end; pt++) {
    int64_t n = pt / j->out_sp, sp = pt % j->out_sp;
    const float *g = j->grid + pt * nd;
    for (int32_t k = 0; k < nd; k++) {
      int64_t d = j->in[k];
      double v = g[nd - 1 - k]; /* the grid lists x (the last dim) first */
      double x = p->align_corners ? (v + 1) / 2.0 * (double)(d - 1) : ((v + 1) * (double)d - 1) / 2.0;
      x = isnan(x) ? -GS_FAR : x < -GS_FAR ? -GS_FAR : x > GS_FAR ? GS_FAR : x;
      if (p->mode == GS_NEAREST) x = nd == 3 ? round(x) : nearbyint(x);
      double lo = p->align_corners ? 0.0 : -0.5, hi = p->align_corners ? (double)(d - 1) : (double)d - 0.5;
      /* cubic leaves the coordinate alone and only pads its taps, as onnxruntime and PyTorch do (the ONNX
       * reference clamps it first for border: that differs where a coordinate is past the border) */
      if (p->mode != GS_CUBIC && (x < lo || x > hi)) {
        if (p->padding == GS_BORDER)
          x = x < 0 ? 0 : x > (double)(d - 1) ? (double)(d - 1) : x;
        else if (p->padding == GS_REFLECTION)
          x = gs_reflect(x, lo, hi);
      }
      if (p->mode == GS_NEAREST) {
        idx[k][0] = tap_index(j, (int64_t)x, d, lo, hi); /* truncation, as the reference's astype */
        w[k][0] = 1.0;
        continue;
      }
      double f = floor(x);
      int64_t i0 = (int64_t)f;
      double t = x - f;
      if (p->mode == GS_LINEAR) {
        w[k][0] = 1 - t, w[k][1] = t;
        idx[k][0] = tap_index(j, i0, d, lo, hi), idx[k][1] = tap_index(j, i0 + 1, d, lo, hi);
      } else {
        cubic_coeffs(t, w[k]);
        for (int32_t q = 0; q < 4; q++) idx[k][q] = tap_index(j, i0 - 1 + q, d, lo, hi);
      }
    }
    int64_t taps = 1;
    for (int32_t k = 0; k < nd; k++) taps *= nt;
    for (int64_t c = 0; c < j->c; c++) {
      const float *xc = j->x + (n * j->c + c) * j->in_sp;
      double acc = 0;
      int32_t t[OQ_MAX_DIMS] = {0};
      for (int64_t q = 0; q < taps; q++) {
        double wt = 1;
        int64_t off = 0;
        for (int32_t k = 0; k < nd && off >= 0; k++) {
          if (idx[k][t[k]] < 0)
            off = -1;
          else
            off += idx[k][t[k]] * j->stride[k], wt *= w[k][t[k]];
        }
        if (off >= 0) acc += wt * (double)xc[off];
        for (int32_t k = nd - 1; k >= 0; k--) {
          if (++t[k] < nt) break;
          t[k] = 0;
        }
      }
      j->y[(n * j->c + c) * j->out_sp + sp] = (float)acc;
    }
  }
  return OQ_OK;
}

oq_status oq_op_gridsample_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const gs_params *p = call->params;
  const oq_tensor *x = call->inputs[0], *grid = call->inputs[1];
  if (x->dtype != OQ_DTYPE_FLOAT || grid->dtype != OQ_DTYPE_FLOAT)
    OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "GridSample takes float32 X and grid (got %s, %s)",
             oq_dtype_name(x->dtype), oq_dtype_name(grid->dtype));
  OQ_CHECK(oq_nn_check_dims(x, "X", err));
  OQ_CHECK(oq_nn_check_dims(grid, "grid", err));
  int64_t ydims[OQ_MAX_DIMS];
  OQ_CHECK(gs_shape(p, x->ndim, x->dims, grid->ndim, grid->dims, ydims, err));
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_FLOAT, x->ndim, ydims, err));
  gs_job j = {.p = p, .x = x->data, .grid = grid->data, .y = call->outputs[0].data, .nd = x->ndim - 2, .c = x->dims[1]};
  j.in_sp = j.out_sp = 1;
  for (int32_t k = j.nd - 1; k >= 0; k--) {
    j.in[k] = x->dims[k + 2];
    j.stride[k] = j.in_sp;
    j.in_sp *= j.in[k];
    j.out_sp *= ydims[k + 2];
  }
  int64_t points = ydims[0] * j.out_sp;
  if (points == 0 || j.c == 0) return OQ_OK;
  if (j.in_sp == 0) OQ_FAIL(err, OQ_ERR_SHAPE, "X has an empty spatial dim but the grid samples it");
  OQ_CHECK(oq_parallel_for(call->pool, points, gs_points, &j));
  return OQ_OK;
fail:
  return st;
}
