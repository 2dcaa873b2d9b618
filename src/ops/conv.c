/* Conv (float32, any spatial rank up to OQ_MAX_DIMS - 2, groups, dilations, strides, pads/auto_pad, bias) and the
 * sliding-window geometry shared with the pools.
 *
 * Optimized path: per image and group, im2col over a chunk of output positions (so the column buffer stays a few
 * MiB however large the image), then W_g [M/g, C/g*K] x col -> Y. Pointwise convolutions skip im2col. The reference
 * path is the direct 2*(nd+2)-deep loop nest. */
#include "ops/kernels.h"
#include "ops/nn.h"
#include "core/pool.h"

#include <stdlib.h>
#include <string.h>

/* Attribute values beyond this are refused so that window arithmetic stays far from int64 overflow. */
#define WINDOW_LIMIT ((int64_t)1 << 30)

static oq_status copy_ints(const Onnx__NodeProto *node, const char *name, int64_t min, int64_t *dst, size_t cap,
                           int32_t *n_out, oq_error *err) {
  const int64_t *v = NULL;
  size_t n = 0;
  oq_status st = oq_attr_ints(node, name, &v, &n, err);
  if (st != OQ_OK) return st;
  if (n > cap) OQ_RETURN_ERR(err, OQ_ERR_MODEL, "attribute %s has %zu entries, at most %zu allowed", name, n, cap);
  for (size_t i = 0; i < n; i++) {
    if (v[i] < min || v[i] > WINDOW_LIMIT)
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

oq_status oq_window_resolve(const oq_window *w, int32_t nd, const int64_t *in, const int64_t *kernel, oq_window_geom *g,
                            oq_error *err) {
  memset(g, 0, sizeof *g);
  if (nd < 1 || nd > OQ_MAX_DIMS - 2) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "spatial rank %d is not supported", (int)nd);
  if (w->n_kernel && w->n_kernel != nd)
    OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "kernel_shape has %d entries for %d spatial dims", (int)w->n_kernel, (int)nd);
  if (w->n_strides && w->n_strides != nd)
    OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "strides has %d entries for %d spatial dims", (int)w->n_strides, (int)nd);
  if (w->n_dilations && w->n_dilations != nd)
    OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "dilations has %d entries for %d spatial dims", (int)w->n_dilations, (int)nd);
  if (w->n_pads && w->n_pads != 2 * nd)
    OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "pads has %d entries for %d spatial dims", (int)w->n_pads, (int)nd);
  g->nd = nd;
  for (int32_t i = 0; i < nd; i++) {
    int64_t k = w->n_kernel ? w->kernel[i] : (kernel ? kernel[i] : 0);
    if (k < 1 || k > WINDOW_LIMIT) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "kernel extent %lld is invalid", (long long)k);
    if (in[i] < 0 || in[i] > ((int64_t)1 << 40))
      OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "input extent %lld is invalid", (long long)in[i]);
    int64_t s = w->n_strides ? w->strides[i] : 1, d = w->n_dilations ? w->dilations[i] : 1;
    int64_t ek = (k - 1) * d + 1; /* extent covered by the dilated window */
    int64_t pb = 0, pe = 0, out;
    if (w->auto_pad == OQ_AUTO_PAD_SAME_UPPER || w->auto_pad == OQ_AUTO_PAD_SAME_LOWER) {
      out = (in[i] + s - 1) / s;
      int64_t total = (out - 1) * s + ek - in[i];
      if (total < 0) total = 0;
      pb = w->auto_pad == OQ_AUTO_PAD_SAME_UPPER ? total / 2 : total - total / 2;
      pe = total - pb;
    } else {
      if (w->auto_pad == OQ_AUTO_PAD_NOTSET && w->n_pads) {
        pb = w->pads[i];
        pe = w->pads[i + nd];
      }
      int64_t span = in[i] + pb + pe - ek;
      if (span < 0)
        OQ_RETURN_ERR(err, OQ_ERR_SHAPE,
                      "window of extent %lld does not fit input extent %lld with pads %lld+%lld in dim %d",
                      (long long)ek, (long long)in[i], (long long)pb, (long long)pe, (int)i);
      out = (w->ceil_mode ? (span + s - 1) / s : span / s) + 1;
      /* With ceil_mode the last window must start inside the input or the leading padding. */
      if (w->ceil_mode && (out - 1) * s >= in[i] + pb) out--;
    }
    if (out < 1) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "output extent in dim %d would be %lld", (int)i, (long long)out);
    g->in[i] = in[i];
    g->out[i] = out;
    g->k[i] = k;
    g->s[i] = s;
    g->d[i] = d;
    g->pb[i] = pb;
    g->pe[i] = pe;
  }
  return OQ_OK;
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

/* ---- Conv ---------------------------------------------------------------------------------------------------- */

oq_status oq_conv_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  oq_conv_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  OQ_CHECK(oq_window_parse(ctx->node->proto, 0, &p->win, err));
  OQ_CHECK(oq_attr_int(ctx->node->proto, "group", 1, &p->group, err));
  if (p->group < 1 || p->group > WINDOW_LIMIT)
    OQ_FAIL(err, OQ_ERR_MODEL, "group = %lld is invalid", (long long)p->group);
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

/* Shape facts of one Conv call. */
typedef struct conv_shape {
  oq_window_geom g;
  int64_t n, c, m, cg, mg;      /* batch, in channels, out channels, per group */
  int64_t in_sp, out_sp, kprod; /* spatial element counts, kernel taps */
} conv_shape;

/* Output positions [p0, p1) of one (image, group), all cg * kprod rows: col[row * ld + p - p0]. */
static void im2col(const conv_shape *cs, const float *x, int64_t p0, int64_t p1, float *col, int64_t ld) {
  const oq_window_geom *g = &cs->g;
  int32_t nd = g->nd;
  int64_t pc = p1 - p0;
  int64_t start[OQ_MAX_DIMS];
  {
    int64_t rem = p0;
    for (int32_t i = nd - 1; i >= 0; i--) {
      start[i] = rem % g->out[i];
      rem /= g->out[i];
    }
  }
  int64_t rows = cs->cg * cs->kprod;
  for (int64_t r = 0; r < rows; r++) {
    int64_t c = r / cs->kprod, kr = r % cs->kprod;
    int64_t kidx[OQ_MAX_DIMS], off0[OQ_MAX_DIMS];
    for (int32_t i = nd - 1; i >= 0; i--) {
      kidx[i] = kr % g->k[i];
      kr /= g->k[i];
      off0[i] = kidx[i] * g->d[i] - g->pb[i]; /* input index of output 0 for this tap */
    }
    const float *xc = x + c * cs->in_sp;
    float *dst = col + r * ld;
    int64_t o[OQ_MAX_DIMS];
    memcpy(o, start, sizeof(int64_t) * (size_t)nd);
    int64_t p = 0;
    while (p < pc) {
      /* Offset of the row prefix (all dims but the last) or -1 when it falls in padding. */
      int64_t base = 0;
      int inside = 1;
      for (int32_t i = 0; i < nd - 1; i++) {
        int64_t ii = o[i] * g->s[i] + off0[i];
        if (ii < 0 || ii >= g->in[i]) inside = 0;
        base = base * g->in[i] + ii;
      }
      int32_t l = nd - 1;
      int64_t run = g->out[l] - o[l];
      if (run > pc - p) run = pc - p;
      if (!inside) {
        memset(dst + p, 0, (size_t)run * sizeof *dst);
      } else {
        /* Taps (ol + q) * s + off0 inside [0, w) form one range of q: zeros, a strided copy, zeros. */
        const float *xrow = xc + base * g->in[l];
        int64_t s = g->s[l], w = g->in[l], ol = o[l], off = off0[l];
        int64_t lo = off >= 0 ? 0 : (-off + s - 1) / s - ol;
        int64_t hi = w - off <= 0 ? 0 : (w - off + s - 1) / s - ol;
        if (lo < 0) lo = 0;
        if (hi > run) hi = run;
        if (hi < lo) hi = lo;
        if (lo > run) lo = hi = run;
        float *d = dst + p;
        for (int64_t q = 0; q < lo; q++) d[q] = 0.0f;
        if (hi > lo) {
          const float *src = xrow + (ol + lo) * s + off;
          if (s == 1)
            memcpy(d + lo, src, (size_t)(hi - lo) * sizeof *d);
          else
            for (int64_t q = lo; q < hi; q++) d[q] = src[(q - lo) * s];
        }
        for (int64_t q = hi; q < run; q++) d[q] = 0.0f;
      }
      p += run;
      o[l] = 0;
      for (int32_t i = nd - 2; i >= 0; i--) {
        if (++o[i] < g->out[i]) break;
        o[i] = 0;
      }
    }
  }
}

static void conv_reference(const conv_shape *cs, const float *x, const float *w, const float *b, float *y) {
  const oq_window_geom *g = &cs->g;
  int32_t nd = g->nd;
  for (int64_t n = 0; n < cs->n; n++)
    for (int64_t m = 0; m < cs->m; m++) {
      int64_t grp = m / cs->mg;
      for (int64_t op = 0; op < cs->out_sp; op++) {
        int64_t o[OQ_MAX_DIMS], rem = op;
        for (int32_t i = nd - 1; i >= 0; i--) {
          o[i] = rem % g->out[i];
          rem /= g->out[i];
        }
        double acc = b ? (double)b[m] : 0.0;
        for (int64_t c = 0; c < cs->cg; c++)
          for (int64_t kp = 0; kp < cs->kprod; kp++) {
            int64_t kr = kp, off = 0;
            int inside = 1;
            int64_t kidx[OQ_MAX_DIMS];
            for (int32_t i = nd - 1; i >= 0; i--) {
              kidx[i] = kr % g->k[i];
              kr /= g->k[i];
            }
            for (int32_t i = 0; i < nd; i++) {
              int64_t ii = o[i] * g->s[i] + kidx[i] * g->d[i] - g->pb[i];
              if (ii < 0 || ii >= g->in[i]) inside = 0;
              off = off * g->in[i] + ii;
            }
            if (!inside) continue;
            double xv = x[(n * cs->c + grp * cs->cg + c) * cs->in_sp + off];
            double wv = w[(m * cs->cg + c) * cs->kprod + kp];
            acc += xv * wv;
          }
        y[(n * cs->m + m) * cs->out_sp + op] = (float)acc;
      }
    }
}

/* Column-buffer budget in floats: bounds memory for large images while keeping products wide. */
#define COL_BUDGET ((int64_t)1 << 20)

/* One Conv call on the optimized path. The work is a list of (image, group) items; each item runs im2col over
 * fixed chunks of output positions (the chunk size depends on the shapes only) and one sgemm per chunk. With a
 * pool, either the items are spread over the threads (each running its sgemm alone), or, when there are fewer
 * items than threads, each chunk's sgemm is split over column blocks and every thread builds the im2col columns
 * of its own block right before using them. Neither changes the arithmetic of any output element, so results are
 * the same for every thread count. */
typedef struct conv_job {
  const conv_shape *cs;
  const float *x, *w, *b; /* X, W, optional bias */
  float *y;
  int pointwise; /* 1x1, stride 1, no pads: X is the column matrix */
  int64_t rows;  /* cg * kprod: rows of the column matrix */
  int64_t chunk; /* output positions per im2col chunk */
} conv_job;

/* The im2col chunk an sgemm is about to consume: columns are filled block by block (oq_sgemm_pool_fill). */
typedef struct col_fill {
  const conv_shape *cs;
  const float *xg; /* X of the item */
  int64_t p0, p1;  /* output positions of the chunk */
  float *col;      /* rows x (p1 - p0) */
} col_fill;

static void fill_cols(void *ctx, size_t j0, size_t j1) {
  const col_fill *f = ctx;
  im2col(f->cs, f->xg, f->p0 + (int64_t)j0, f->p0 + (int64_t)j1, f->col + j0, f->p1 - f->p0);
}

/* Item idx = image * groups + group. pool splits the item's own work (NULL when items run in parallel). */
static oq_status conv_item(conv_job *j, int64_t idx, float *col, oq_threadpool *pool) {
  const conv_shape *cs = j->cs;
  int64_t groups = cs->c / cs->cg, n = idx / groups, grp = idx % groups, rows = j->rows;
  const float *xg = j->x + (n * cs->c + grp * cs->cg) * cs->in_sp;
  const float *wg = j->w + grp * cs->mg * rows;
  float *yg = j->y + (n * cs->m + grp * cs->mg) * cs->out_sp;
  oq_status st = OQ_OK;
  if (j->pointwise) {
    st = oq_sgemm_pool(pool, 0, 0, (size_t)cs->mg, (size_t)cs->out_sp, (size_t)rows, 1.0f, wg, (size_t)rows, xg,
                       (size_t)cs->in_sp, 0.0f, yg, (size_t)cs->out_sp, NULL);
  } else {
    for (int64_t p0 = 0; p0 < cs->out_sp && st == OQ_OK; p0 += j->chunk) {
      int64_t p1 = p0 + j->chunk < cs->out_sp ? p0 + j->chunk : cs->out_sp;
      col_fill f = {cs, xg, p0, p1, col};
      st = oq_sgemm_pool_fill(pool, 0, (size_t)cs->mg, (size_t)(p1 - p0), (size_t)rows, 1.0f, wg, (size_t)rows, col,
                              (size_t)(p1 - p0), fill_cols, &f, 0.0f, yg + p0, (size_t)cs->out_sp, NULL);
    }
  }
  if (st != OQ_OK) return st;
  if (j->b)
    for (int64_t m = 0; m < cs->mg; m++) {
      float bv = j->b[grp * cs->mg + m];
      float *ym = yg + m * cs->out_sp;
      for (int64_t p = 0; p < cs->out_sp; p++) ym[p] += bv;
    }
  return OQ_OK;
}

static float *alloc_col(const conv_job *j) {
  if (j->pointwise) return NULL;
  /* rows * chunk was checked against COL_BUDGET or is rows * out_sp of a non-empty Y */
  return oq_malloc_array((size_t)j->rows, (size_t)j->chunk * sizeof(float), NULL);
}

/* Items [begin, end) on one thread, with a column buffer of their own. */
static oq_status conv_items(void *ctx, int64_t begin, int64_t end) {
  conv_job *j = ctx;
  float *col = alloc_col(j);
  if (!j->pointwise && !col) return OQ_ERR_NOMEM;
  oq_status st = OQ_OK;
  for (int64_t i = begin; i < end && st == OQ_OK; i++) st = conv_item(j, i, col, NULL);
  free(col);
  return st;
}

static oq_status conv_fast(const conv_shape *cs, const float *x, const float *w, const float *b, float *y,
                           oq_threadpool *pool, oq_error *err) {
  const oq_window_geom *g = &cs->g;
  conv_job j;
  memset(&j, 0, sizeof j);
  j.cs = cs;
  j.x = x;
  j.w = w;
  j.b = b;
  j.y = y;
  j.pointwise = cs->kprod == 1;
  for (int32_t i = 0; i < g->nd; i++) j.pointwise = j.pointwise && g->s[i] == 1 && g->pb[i] == 0 && g->pe[i] == 0;
  j.rows = cs->cg * cs->kprod;
  j.chunk = cs->out_sp;
  if (j.rows > 0 && j.rows * j.chunk > COL_BUDGET) {
    j.chunk = COL_BUDGET / j.rows;
    if (j.chunk < 64) j.chunk = 64;
    if (j.chunk > cs->out_sp) j.chunk = cs->out_sp;
  }
  int64_t items = cs->n * (cs->c / cs->cg);
  oq_status st = OQ_OK;
  int64_t nth = oq_threadpool_size(pool);
  /* items over threads when they divide evenly or are many; otherwise split inside each item */
  if (items >= nth && (items % nth == 0 || items >= 4 * nth)) {
    st = oq_parallel_for(pool, items, conv_items, &j);
  } else {
    float *col = alloc_col(&j);
    if (!j.pointwise && !col) st = OQ_ERR_NOMEM;
    for (int64_t i = 0; i < items && st == OQ_OK; i++) st = conv_item(&j, i, col, pool);
    free(col);
  }
  if (st != OQ_OK) return oq_error_set(err, st, __FILE__, __LINE__, "out of memory for the convolution buffers");
  return OQ_OK;
}

/* The box of output positions whose window reaches the input, as a geometry of its own (padding shifted, so it may
 * be negative) with its first position in lo. Returns 0 when the box is the whole output (the usual case). Pads far
 * wider than the kernel make every other position pure padding: a 1x1 input padded by 2^12 with a 64x64 kernel
 * has 8130^2 outputs but only 64^2 that are not just the bias, and computing all of them took hours. */
static int inner_box(const conv_shape *cs, conv_shape *inner, int64_t *lo) {
  const oq_window_geom *g = &cs->g;
  int boxed = 0;
  *inner = *cs;
  inner->out_sp = 1;
  for (int32_t i = 0; i < g->nd; i++) {
    int64_t ek = (g->k[i] - 1) * g->d[i] + 1;
    /* the window of o covers [o*s - pb, o*s - pb + ek): it reaches [0, in) when pb - ek < o*s < in + pb */
    int64_t l = g->pb[i] - ek < 0 ? 0 : (g->pb[i] - ek) / g->s[i] + 1;
    int64_t h = (g->in[i] + g->pb[i] + g->s[i] - 1) / g->s[i];
    if (h > g->out[i]) h = g->out[i];
    if (l > h) l = h;
    lo[i] = l;
    inner->g.out[i] = h - l;
    inner->g.pb[i] = g->pb[i] - l * g->s[i];
    int64_t pe = (h - l - 1) * g->s[i] + ek - g->in[i] - inner->g.pb[i];
    inner->g.pe[i] = pe > 0 ? pe : 0;
    inner->out_sp *= h - l;
    boxed |= l > 0 || h < g->out[i];
  }
  return boxed;
}

/* Copies the box results (N x M planes of the inner geometry) into Y at offset lo in every spatial dim. */
static void place_box(const conv_shape *cs, const conv_shape *inner, const int64_t *lo, const float *box, float *y) {
  int32_t nd = cs->g.nd;
  int64_t run = inner->g.out[nd - 1], rows = inner->out_sp / run;
  for (int64_t pl = 0; pl < cs->n * cs->m; pl++)
    for (int64_t r = 0; r < rows; r++) {
      int64_t rem = r, off = 0, stride = 1;
      /* offset of row r's first element in Y's plane */
      for (int32_t i = nd - 1; i >= 0; i--) {
        int64_t idx = i == nd - 1 ? 0 : rem % inner->g.out[i];
        if (i < nd - 1) rem /= inner->g.out[i];
        off += (lo[i] + idx) * stride;
        stride *= cs->g.out[i];
      }
      memcpy(y + pl * cs->out_sp + off, box + pl * inner->out_sp + r * run, (size_t)run * sizeof *y);
    }
}

oq_status oq_conv_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_conv_params *p = call->params;
  const oq_tensor *x = call->inputs[0], *w = call->inputs[1];
  const oq_tensor *b = call->n_inputs > 2 ? call->inputs[2] : NULL;
  oq_tensor *y = &call->outputs[0], box = {0};
  const char *names[3] = {"X", "W", "B"};
  for (int i = 0; i < 3; i++) {
    const oq_tensor *t = i == 0 ? x : i == 1 ? w : b;
    if (t && t->dtype != OQ_DTYPE_FLOAT)
      OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "input %s has type %s, only float32 is supported", names[i],
              oq_dtype_name(t->dtype));
  }
  for (int i = 0; i < 3; i++)
    if (i < 2 || b) OQ_CHECK(oq_nn_check_dims(i == 0 ? x : i == 1 ? w : b, names[i], err));
  if (x->ndim < 3) OQ_FAIL(err, OQ_ERR_SHAPE, "input X has rank %d, Conv needs at least 3", (int)x->ndim);
  if (w->ndim != x->ndim) OQ_FAIL(err, OQ_ERR_SHAPE, "W has rank %d but X has rank %d", (int)w->ndim, (int)x->ndim);
  conv_shape cs;
  memset(&cs, 0, sizeof cs);
  int32_t nd = x->ndim - 2;
  cs.n = x->dims[0];
  cs.c = x->dims[1];
  cs.m = w->dims[0];
  cs.cg = w->dims[1];
  if (cs.c % p->group != 0 || cs.c / p->group != cs.cg)
    OQ_FAIL(err, OQ_ERR_SHAPE, "X has %lld channels but W expects %lld x group %lld", (long long)cs.c, (long long)cs.cg,
            (long long)p->group);
  if (cs.m % p->group != 0)
    OQ_FAIL(err, OQ_ERR_SHAPE, "%lld output channels are not divisible by group %lld", (long long)cs.m,
            (long long)p->group);
  cs.mg = cs.m / p->group;
  if (b && (b->ndim != 1 || b->dims[0] != cs.m))
    OQ_FAIL(err, OQ_ERR_SHAPE, "B must be 1-D with %lld entries", (long long)cs.m);
  if (p->win.n_kernel == nd)
    for (int32_t i = 0; i < nd; i++)
      if (p->win.kernel[i] != w->dims[i + 2])
        OQ_FAIL(err, OQ_ERR_SHAPE, "kernel_shape[%d] = %lld but W has extent %lld", (int)i, (long long)p->win.kernel[i],
                (long long)w->dims[i + 2]);
  OQ_CHECK(oq_window_resolve(&p->win, nd, x->dims + 2, w->dims + 2, &cs.g, err));
  int64_t ydims[OQ_MAX_DIMS];
  ydims[0] = cs.n;
  ydims[1] = cs.m;
  for (int32_t i = 0; i < nd; i++) ydims[i + 2] = cs.g.out[i];
  OQ_CHECK(oq_tensor_alloc(y, OQ_DTYPE_FLOAT, x->ndim, ydims, err));
  if (y->nbytes == 0) return OQ_OK;
  /* Y is non-empty and X, W passed oq_nn_check_dims, so these products fit. */
  cs.in_sp = 1;
  cs.out_sp = 1;
  cs.kprod = 1;
  for (int32_t i = 0; i < nd; i++) {
    cs.in_sp *= cs.g.in[i];
    cs.out_sp *= cs.g.out[i];
    cs.kprod *= cs.g.k[i];
  }
  if (cs.cg == 0 || cs.kprod == 0 || cs.in_sp == 0) { /* nothing to accumulate: output is the bias */
    float *yd = y->data;
    const float *bv = b ? b->data : NULL;
    for (int64_t i = 0; i < cs.n * cs.m * cs.out_sp; i++) yd[i] = bv ? bv[(i / cs.out_sp) % cs.m] : 0.0f;
    return OQ_OK;
  }
  const float *bd = b ? b->data : NULL;
  conv_shape inner;
  int64_t lo[OQ_MAX_DIMS];
  if (!inner_box(&cs, &inner, lo)) {
    if (p->reference)
      conv_reference(&cs, x->data, w->data, bd, y->data);
    else
      OQ_CHECK(conv_fast(&cs, x->data, w->data, bd, y->data, call->pool, err));
    return OQ_OK;
  }
  /* Positions outside the box only see padding: their output is the bias. Compute the box, then place it. */
  float *yd = y->data;
  for (int64_t pl = 0; pl < cs.n * cs.m; pl++) {
    float v = bd ? bd[pl % cs.m] : 0.0f;
    for (int64_t q = 0; q < cs.out_sp; q++) yd[pl * cs.out_sp + q] = v;
  }
  if (inner.out_sp == 0) return OQ_OK;
  int64_t bdims[OQ_MAX_DIMS];
  bdims[0] = cs.n;
  bdims[1] = cs.m;
  for (int32_t i = 0; i < nd; i++) bdims[i + 2] = inner.g.out[i];
  OQ_CHECK(oq_tensor_alloc(&box, OQ_DTYPE_FLOAT, x->ndim, bdims, err));
  if (p->reference)
    conv_reference(&inner, x->data, w->data, bd, box.data);
  else
    OQ_CHECK(conv_fast(&inner, x->data, w->data, bd, box.data, call->pool, err));
  place_box(&cs, &inner, lo, box.data, yd);
  oq_tensor_release(&box);
  return OQ_OK;
fail:
  oq_tensor_release(&box);
  oq_tensor_release(y);
  return st;
}
