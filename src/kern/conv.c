/* Convolution numerics (see conv.h). Optimized paths: the direct one (tiles of positions x 32 output channels,
 * sums in registers, no im2col) where the level has it and the shape suits it; the depthwise kernels; otherwise,
 * per image and group, W_g [M/g, C/g*K] x col -> Y by sgemm with the im2col columns packed straight into its
 * panels (pointwise convolutions read X in place). The reference path is the direct 2*(nd+2)-deep loop nest. */
#include "kern/conv.h"
#include "core/pool.h"
#include "kern/cpu.h"
#include "kern/sgemm.h"

#include <stdint.h>
#include <string.h>

void oq_conv_ref(const oq_conv_shape *cs, const float *x, const float *w, const float *b, float *y) {
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

/* One Conv call on the optimized path. The work is a list of (image, group) items; each item is one sgemm
 * W_g [mg, cg*kprod] x col [cg*kprod, out_sp] whose B panels are packed straight from X by im2col (pack_cols): no
 * column matrix exists. Pointwise convolutions read X in place as B. Bias and activation are applied by the
 * micro-kernel's stores. With a pool, either the items are spread over the threads (each running its sgemm alone),
 * or, when there are fewer items than threads, each item's sgemm is split over the pool. Neither changes the
 * arithmetic of any output element, so results are the same for every thread count. Scratch: per slot (a thread
 * running items, or the one caller) the sgemm packing slots. */
typedef struct conv_job {
  const oq_conv_shape *cs;
  const float *x, *w, *b;  /* X, W, optional bias */
  const oq_conv_wpack *wp; /* W packed, or NULL */
  float *y;
  oq_conv_act act;
  int pointwise;        /* 1x1, stride 1, no pads: X is the column matrix */
  int64_t rows;         /* cg * kprod: rows of the column matrix */
  int by_items;         /* 1: items spread over the pool, 0: each item's sgemm split over it */
  int32_t n_slots;      /* scratch slots: threads running items, or 1 */
  size_t pack_floats;   /* sgemm packing floats per packing slot */
  int32_t pack_slots;   /* packing slots per scratch slot */
  size_t shared_floats; /* op(B) packed once for all threads of an item's split sgemm (0: none) */
  float *scratch;       /* borrowed; n_slots * slot_floats, then shared_floats */
} conv_job;

/* Plans the split of cs on threads threads; fills everything but the pointers. Returns 0 when the scratch size
 * overflows. */
static int conv_plan(const oq_conv_shape *cs, int32_t threads, conv_job *j) {
  const oq_window_geom *g = &cs->g;
  memset(j, 0, sizeof *j);
  j->cs = cs;
  j->pointwise = cs->kprod == 1;
  for (int32_t i = 0; i < g->nd; i++) j->pointwise = j->pointwise && g->s[i] == 1 && g->pb[i] == 0 && g->pe[i] == 0;
  j->rows = cs->cg * cs->kprod;
  int64_t items = cs->n * (cs->c / cs->cg);
  int64_t nth = threads < 1 ? 1 : threads;
  /* items over threads when they divide evenly or are many; otherwise split inside each item */
  j->by_items = items >= nth && (items % nth == 0 || items >= 4 * nth);
  size_t cols = (size_t)cs->out_sp, mg = (size_t)cs->mg, rows = (size_t)j->rows;
  j->n_slots = 1;
  j->pack_slots = 1;
  if (j->by_items)
    j->n_slots = (int32_t)(items < nth ? items : nth);
  else {
    j->pack_slots = oq_sgemm_slots((int32_t)nth, mg, cols, rows, !j->pointwise);
    j->shared_floats = oq_sgemm_shared_floats((int32_t)nth, mg, cols, rows, !j->pointwise);
  }
  j->pack_floats = j->pointwise ? oq_sgemm_pack_floats(mg, cols, rows) : oq_sgemm_fill_floats(mg, cols, rows);
  return 1;
}

static size_t slot_floats(const conv_job *j, int *ok) {
  size_t packs;
  *ok = oq_size_mul(j->pack_floats, (size_t)j->pack_slots, &packs);
  return *ok ? packs : 0;
}

static int is_depthwise(const oq_conv_shape *cs) { return cs->cg == 1 && cs->mg == 1 && cs->g.nd <= 2; }

/* The 3x3/5x5, stride 1/2, undilated 2-D depthwise case of the row kernel (oq_dw_row_fn): each thread copies a
 * plane into a zero-padded plane of its own (so every tap is in bounds) and computes each output row in one pass,
 * the sum in a register. */
static int dw_rows_fit(const oq_conv_shape *cs) {
  const oq_window_geom *g = &cs->g;
  return g->nd == 2 && g->k[0] == g->k[1] && (g->k[0] == 3 || g->k[0] == 5) && g->s[0] == g->s[1] &&
         (g->s[0] == 1 || g->s[0] == 2) && g->d[0] == 1 && g->d[1] == 1;
}

/* Output rows shorter than this are computed a band at a time as one row of the padded width (dw_planes_rows). */
#define DW_SHORT 32

/* The padded plane: the rows and columns the windows of all outputs cover. */
static void dw_padded(const oq_conv_shape *cs, int64_t *ph, int64_t *pw) {
  const oq_window_geom *g = &cs->g;
  *ph = (g->out[0] - 1) * g->s[0] + g->k[0];
  *pw = (g->out[1] - 1) * g->s[1] + g->k[1];
}

/* The level's plane kernel (oq_dw_plane_fn): stride 2 on any map (the band-as-one-row pass over the padded plane
 * threw half of its outputs away: 56x56 -> 28x28, 144 channels, 235 -> 143 us; 112x112 -> 56x56, 547 -> 368 us),
 * and stride 1 with 'same' padding on maps of short rows, where the padded copy and the copy out cost the most
 * (7x7, 960 channels: 115 -> 61 us; on 56x56 and larger maps the padded path measured as fast or faster). */
static int dw_plane_fits(const oq_conv_shape *cs) {
  const oq_window_geom *g = &cs->g;
  if (!dw_rows_fit(cs)) return 0;
  if (g->s[0] == 2) return 1;
  if (g->out[1] >= DW_SHORT) return 0;
  int64_t p = (g->k[0] - 1) / 2;
  return g->pb[0] == p && g->pb[1] == p && g->out[0] == g->in[0] && g->out[1] == g->in[1];
}

/* Floats holding the stride-1 mask table of oq_dw_geom: k * k uint16 per 16 outputs. */
static size_t dw_mask_floats(const oq_conv_shape *cs) {
  if (!dw_plane_fits(cs) || cs->g.s[0] != 1) return 0;
  size_t blocks = ((size_t)cs->out_sp + 15) / 16;
  return (blocks * (size_t)cs->kprod + 1) / 2; /* out_sp fits in int64; kprod <= 25 */
}

/* The stride-1 mask table (oq_dw_geom.masks) of a 'same'-padded k x k depthwise plane, per block of 16 outputs by
 * runs of output rows: a tap's valid lanes in a run are a range. */
static void dw_flat_masks(const oq_conv_shape *cs, uint16_t *m) {
  int64_t oh_n = cs->g.out[0], ow_n = cs->g.out[1], k = cs->g.k[0], kk = k * k, p = (k - 1) / 2, total = cs->out_sp;
  int64_t blocks = (total + 15) / 16;
  memset(m, 0, (size_t)(blocks * kk) * sizeof *m);
  for (int64_t b = 0; b < blocks; b++) {
    int64_t end = 16 * b + 16 < total ? 16 * b + 16 : total;
    for (int64_t q = 16 * b; q < end;) {
      int64_t oh = q / ow_n, ow = q % ow_n, cnt = ow_n - ow < end - q ? ow_n - ow : end - q;
      for (int64_t kh = 0; kh < k; kh++) {
        if (oh + kh - p < 0 || oh + kh - p >= oh_n) continue;
        for (int64_t kw = 0; kw < k; kw++) { /* output columns c of the run with 0 <= c + kw - p < ow_n */
          int64_t lo = ow > p - kw ? ow : p - kw, hi = ow + cnt < ow_n + p - kw ? ow + cnt : ow_n + p - kw;
          if (lo < hi) m[b * kk + kh * k + kw] |= (uint16_t)(((1u << (hi - lo)) - 1u) << (q - 16 * b + lo - ow));
        }
      }
      q += cnt;
    }
  }
}

static size_t dw_scratch_floats(const oq_conv_shape *cs, int32_t threads) {
  if (!dw_rows_fit(cs)) return 0;
  int64_t ph, pw;
  dw_padded(cs, &ph, &pw);
  /* per chunk: the padded plane, then as many floats for the outputs of short rows (the dw_row path); then the
   * mask table (the dw_plane path): both, whichever level runs */
  size_t plane, total;
  if (!oq_size_mul((size_t)ph, (size_t)pw, &plane) || !oq_size_mul(plane, 2, &plane) ||
      !oq_size_mul(plane, (size_t)(threads < 1 ? 1 : threads), &total) ||
      !oq_size_add(total, dw_mask_floats(cs), &total))
    return SIZE_MAX;
  return total;
}

/* The direct path: Y's positions in tiles of up to OQ_CONV_TILE_MR columns of one output row, by panels of 32
 * output channels; each tile is one oq_conv_tile_fn call that keeps all its sums in registers over every input
 * channel and tap, so nothing is packed from X (im2col was a tenth of resnet18, and the micro-kernel waited on its
 * panels) and a 7x7 or 14x14 map wastes no lanes (49 columns were 64 lanes of the sgemm's tiles). X is read
 * through a zero-padded copy when any window reaches past it. */
#define DIRECT_NR       32
#define DIRECT_TAPS_MAX 64
#define DIRECT_PW_MAX                                                                                                  \
  256 /* 1x1 kernels: output positions at most (7x7, 14x14 maps: 960 -> 320 on 7x7 0.28 -> 0.18 ms;                    \
       * on 28x28 and larger maps the sgemm reads X's rows in place, faster) */
#ifndef DIRECT_MIN_DEPTH
#define DIRECT_MIN_DEPTH 64 /* cg * kprod: shallower tiles spend as long in their transposing stores */
#endif

int oq_conv_direct_fits(const oq_simd *simd, int32_t nd, int64_t group, int64_t m, int64_t cg, int64_t kprod,
                        int64_t sw) {
  if (!simd->conv_tile || nd != 2 || group != 1 || kprod < 1 || kprod > DIRECT_TAPS_MAX || (sw != 1 && sw != 2) ||
      m < 1 || cg < 1 || cg > INT32_MAX / kprod || cg * kprod < DIRECT_MIN_DEPTH)
    return 0;
  int64_t pad = (m + DIRECT_NR - 1) / DIRECT_NR * DIRECT_NR;
  return (pad - m) * 4 <= pad; /* at most a quarter of the last panel's lanes idle */
}

static void direct_padded(const oq_conv_shape *cs, int64_t *ph, int64_t *pw, int *needed);

/* 1x1, stride 1, no padding: X is the column matrix as it is. */
static int is_pointwise(const oq_conv_shape *cs) {
  const oq_window_geom *g = &cs->g;
  int pw = cs->kprod == 1;
  for (int32_t i = 0; i < g->nd; i++) pw = pw && g->s[i] == 1 && g->pb[i] == 0 && g->pe[i] == 0;
  return pw;
}

static int direct_fits(const oq_conv_shape *cs) {
  const oq_window_geom *g = &cs->g;
  if (!oq_conv_direct_fits(oq_simd_get(), g->nd, cs->c / cs->cg, cs->m, cs->cg, cs->kprod, g->s[g->nd - 1])) return 0;
  if (cs->kprod == 1 && (!is_pointwise(cs) || cs->out_sp > DIRECT_PW_MAX)) return 0;
  int64_t ph, pw;
  int needed;
  direct_padded(cs, &ph, &pw, &needed);
  int64_t ld = pw > g->in[1] ? pw : g->in[1]; /* the taps' offsets must fit the tile's int32 table */
  return ld <= INT32_MAX / g->k[0] / g->d[0] && (g->k[0] - 1) * g->d[0] * ld + (g->k[1] - 1) * g->d[1] < INT32_MAX;
}

int oq_conv_takes_direct(const oq_conv_shape *cs) { return !is_depthwise(cs) && direct_fits(cs); }

size_t oq_conv_dpack_floats(int64_t m, int64_t cg, int64_t kprod) {
  size_t rows, total;
  if (m < 1 || cg < 1 || kprod < 1 || !oq_size_mul((size_t)cg, (size_t)kprod, &rows) ||
      !oq_size_mul(rows, ((size_t)m + DIRECT_NR - 1) / DIRECT_NR * DIRECT_NR, &total))
    return SIZE_MAX;
  return total;
}

void oq_conv_dpack_fill(const float *w, int64_t m, int64_t cg, int64_t kprod, float *dst, oq_conv_wpack *wp) {
  size_t rows = (size_t)(cg * kprod), panels = ((size_t)m + DIRECT_NR - 1) / DIRECT_NR;
  for (size_t pn = 0; pn < panels; pn++)
    for (size_t r = 0; r < rows; r++) {
      float *d = dst + (pn * rows + r) * DIRECT_NR;
      for (size_t l = 0; l < DIRECT_NR; l++) {
        size_t oc = pn * DIRECT_NR + l;
        d[l] = oc < (size_t)m ? w[oc * rows + r] : 0.0f;
      }
    }
  *wp = (oq_conv_wpack){dst, m, (int64_t)rows, 1, 0, 1};
}

/* The padded copy of one image's X the direct path reads (ph x pw per channel, window origin of output (0, 0) at
 * its start), or none when every window lies inside X. */
static void direct_padded(const oq_conv_shape *cs, int64_t *ph, int64_t *pw, int *needed) {
  const oq_window_geom *g = &cs->g;
  *ph = (g->out[0] - 1) * g->s[0] + (g->k[0] - 1) * g->d[0] + 1;
  *pw = (g->out[1] - 1) * g->s[1] + (g->k[1] - 1) * g->d[1] + 1;
  *needed = g->pb[0] > 0 || g->pb[1] > 0 || *ph - g->pb[0] > g->in[0] || *pw - g->pb[1] > g->in[1];
}

static size_t direct_scratch_floats(const oq_conv_shape *cs, int w_packed) {
  int64_t ph, pw;
  int needed;
  direct_padded(cs, &ph, &pw, &needed);
  size_t pad = 0, wf = w_packed ? 0 : oq_conv_dpack_floats(cs->m, cs->cg, cs->kprod), total;
  if (needed && (!oq_size_mul((size_t)ph, (size_t)pw, &pad) || !oq_size_mul(pad, (size_t)cs->c, &pad))) return SIZE_MAX;
  if (wf == SIZE_MAX || !oq_size_add(pad, wf, &total)) return SIZE_MAX;
  return total;
}

typedef struct direct_job {
  const oq_conv_shape *cs;
  const float *x;      /* the image's X, or its padded copy */
  float *pad;          /* the padded copy being made (direct_pad_rows) */
  size_t ld, plane;    /* row and channel strides of x */
  const float *origin; /* window origin of output (0, 0) in channel 0 */
  const float *w;      /* W packed (oq_conv_dpack_fill) */
  const float *b;
  float *y; /* the image's Y */
  oq_conv_act act;
  int64_t ph, pw;      /* padded extents */
  int64_t rows, tiles; /* output rows per tile (1 or 2); tiles per row group */
  int32_t off[DIRECT_TAPS_MAX];
  const oq_simd *simd;
} direct_job;

/* Channels [begin, end) of the padded copy. */
static oq_status direct_pad_rows(void *ctx, int64_t begin, int64_t end) {
  direct_job *j = ctx;
  const oq_window_geom *g = &j->cs->g;
  int64_t IH = g->in[0], IW = g->in[1], pt = g->pb[0], pl = g->pb[1];
  int64_t c0 = pl > 0 ? pl : 0, src0 = c0 - pl; /* first copied column and its input column */
  int64_t cnt = IW - src0 < j->pw - c0 ? IW - src0 : j->pw - c0;
  if (cnt < 0) cnt = 0;
  for (int64_t c = begin; c < end; c++) {
    const float *xc = j->x + c * j->cs->in_sp;
    for (int64_t r = 0; r < j->ph; r++) {
      float *d = j->pad + (c * j->ph + r) * j->pw;
      int64_t ih = r - pt;
      if (ih < 0 || ih >= IH || cnt == 0) {
        memset(d, 0, (size_t)j->pw * sizeof *d);
        continue;
      }
      memset(d, 0, (size_t)c0 * sizeof *d);
      memcpy(d + c0, xc + ih * IW + src0, (size_t)cnt * sizeof *d);
      memset(d + c0 + cnt, 0, (size_t)(j->pw - c0 - cnt) * sizeof *d);
    }
  }
  return OQ_OK;
}

/* Tiles [begin, end): item = (panel * row groups + row group) * tiles + q, panel-major so a thread's run of items
 * reuses one panel of W from its L2. A row group is one output row, or two when rows are at most half a tile
 * (7x7 maps: 14 positions per tile instead of 7, half the weight loads per product). Every output's sum is the
 * same whichever thread computes it. */
static oq_status direct_items(void *ctx, int64_t begin, int64_t end) {
  direct_job *j = ctx;
  const oq_conv_shape *cs = j->cs;
  const oq_window_geom *g = &cs->g;
  int64_t OH = g->out[0], OW = g->out[1], groups = (OH + j->rows - 1) / j->rows, per_panel = groups * j->tiles;
  size_t rows = (size_t)(cs->cg * cs->kprod);
  oq_conv_tile t = {NULL,          j->off,   (int32_t)cs->kprod,     (int32_t)g->s[1],
                    (size_t)cs->c, j->plane, (size_t)g->s[0] * j->ld};
  for (int64_t it = begin; it < end; it++) {
    int64_t pn = it / per_panel, rem = it % per_panel, oh = rem / j->tiles * j->rows, q = rem % j->tiles;
    int64_t ow0 = OW * q / j->tiles, ow1 = OW * (q + 1) / j->tiles, oc0 = pn * DIRECT_NR;
    size_t nr = cs->m - oc0 < DIRECT_NR ? (size_t)(cs->m - oc0) : DIRECT_NR;
    size_t tr = OH - oh < j->rows ? (size_t)(OH - oh) : (size_t)j->rows;
    t.w = j->w + (size_t)pn * rows * DIRECT_NR;
    oq_gemm_store st = {0, j->b ? j->b + oc0 : NULL, j->act.act, j->act.lo, j->act.hi};
    j->simd->conv_tile(&t, j->origin + (size_t)(oh * g->s[0]) * j->ld + (size_t)(ow0 * g->s[1]), (size_t)(ow1 - ow0),
                       tr, nr, j->y + oc0 * cs->out_sp + oh * OW + ow0, (size_t)cs->out_sp, &st);
  }
  return OQ_OK;
}

static oq_status conv_direct(const oq_conv_shape *cs_in, const float *x, const float *w, const oq_conv_wpack *wp,
                             const float *b, const oq_conv_act *act, float *y, oq_threadpool *pool, float *scratch,
                             oq_error *err) {
  oq_conv_shape flat = *cs_in;
  const oq_conv_shape *cs = cs_in;
  if (is_pointwise(cs)) { /* one row of out_sp positions, one tap each: tiles cross the map's rows */
    flat.g.in[0] = flat.g.out[0] = 1;
    flat.g.in[1] = flat.g.out[1] = cs->out_sp;
    cs = &flat;
  }
  const oq_window_geom *g = &cs->g;
  direct_job j;
  memset(&j, 0, sizeof j);
  j.cs = cs;
  j.b = b;
  j.act = *act;
  j.simd = oq_simd_get();
  int needed;
  direct_padded(cs, &j.ph, &j.pw, &needed);
  size_t pad_floats = needed ? (size_t)(j.ph * j.pw * cs->c) : 0; /* sized by direct_scratch_floats */
  if (wp && wp->data && wp->direct && wp->mg == cs->m && wp->rows == cs->cg * cs->kprod)
    j.w = wp->data;
  else {
    if (!scratch) return oq_error_set(err, OQ_ERR_INTERNAL, __FILE__, __LINE__, "convolution without scratch");
    oq_conv_wpack own;
    oq_conv_dpack_fill(w, cs->m, cs->cg, cs->kprod, scratch + pad_floats, &own);
    j.w = own.data;
  }
  if (needed) {
    j.ld = (size_t)j.pw;
    j.plane = (size_t)(j.ph * j.pw);
  } else {
    j.ld = (size_t)g->in[1];
    j.plane = (size_t)cs->in_sp;
  }
  for (int64_t kh = 0, t = 0; kh < g->k[0]; kh++)
    for (int64_t kw = 0; kw < g->k[1]; kw++, t++) j.off[t] = (int32_t)(kh * g->d[0] * (int64_t)j.ld + kw * g->d[1]);
  j.rows = g->out[1] <= OQ_CONV_TILE_MR / 2 && g->out[0] > 1 ? 2 : 1; /* whole rows: one tile per row group */
  j.tiles = (g->out[1] + OQ_CONV_TILE_MR - 1) / OQ_CONV_TILE_MR;
  int32_t th = oq_threadpool_size(pool);
  if (th < 1) th = 1;
  int64_t items = (cs->m + DIRECT_NR - 1) / DIRECT_NR * ((g->out[0] + j.rows - 1) / j.rows) * j.tiles;
  int64_t grain = items / ((int64_t)th * 8);
  if (grain < 1) grain = 1;
  for (int64_t n = 0; n < cs->n; n++) {
    j.x = x + n * cs->c * cs->in_sp;
    j.y = y + n * cs->m * cs->out_sp;
    oq_status st;
    if (needed) {
      j.pad = scratch;
      if ((st = oq_parallel_for(pool, cs->c, direct_pad_rows, &j)) != OQ_OK) return st;
      j.origin = scratch;
    } else {
      j.origin = j.x - g->pb[0] * (int64_t)j.ld - g->pb[1]; /* pads <= 0 here: a window origin inside X */
    }
    if ((st = oq_parallel_for_dyn(pool, items, th, grain, direct_items, &j)) != OQ_OK) return st;
  }
  return OQ_OK;
}

size_t oq_conv_scratch_floats(const oq_conv_shape *cs, int32_t threads) {
  return oq_conv_scratch_floats_wp(cs, threads, 0);
}

size_t oq_conv_scratch_floats_wp(const oq_conv_shape *cs, int32_t threads, int w_packed) {
  if (is_depthwise(cs)) return dw_scratch_floats(cs, threads);
  if (direct_fits(cs)) return direct_scratch_floats(cs, w_packed);
  conv_job j;
  int ok = conv_plan(cs, threads, &j);
  size_t per = ok ? slot_floats(&j, &ok) : 0, total;
  if (!ok || !oq_size_mul(per, (size_t)j.n_slots, &total) || total > SIZE_MAX - j.shared_floats) return SIZE_MAX;
  return total + j.shared_floats;
}

/* The pack callback of one item: im2col of rows [p0, p0 + kc) and output positions [j0, j0 + nc), each row made in
 * a small buffer that stays in L1 and dealt into the panels. */
typedef struct col_pack {
  const oq_conv_shape *cs;
  const float *xg; /* X of the item */
} col_pack;

#define ROW_BUF      1024 /* a multiple of every panel width */
#define NR_LANES_MAX 32   /* the widest panel (AVX-512) */

/* One row of im2col for 2-D: row r (channel, kh, kw), output positions [j0, j0 + n) into dst[0, n). The same values
 * as oq_im2col_rows (which handles any rank) with the loops written out for 2-D and no copy calls: the short
 * output rows of 7x7 and 14x14 maps made the generic function's per-row setup and memcpy calls 12-14% of those
 * convolutions. */
static void im2col_row_2d(const oq_conv_shape *cs, const float *xg, int64_t r, int64_t j0, int64_t n, float *dst) {
  const oq_window_geom *g = &cs->g;
  int64_t OW = g->out[1], IH = g->in[0], IW = g->in[1], KW = g->k[1], sh = g->s[0], sw = g->s[1];
  int64_t c = r / cs->kprod, kr = r % cs->kprod, kh = kr / KW, kw = kr % KW;
  const float *xc = xg + c * cs->in_sp;
  oq_copy_strided_fn copy = oq_simd_get()->copy_strided;
  int64_t offh = kh * g->d[0] - g->pb[0], offw = kw * g->d[1] - g->pb[1];
  /* output columns t whose tap t * sw + offw lies in [0, IW) */
  int64_t lo = offw >= 0 ? 0 : (-offw + sw - 1) / sw;
  int64_t hi = IW - offw <= 0 ? 0 : (IW - offw + sw - 1) / sw;
  if (hi > OW) hi = OW;
  if (lo > hi) lo = hi;
  int64_t oh = j0 / OW, ow = j0 % OW, q = 0;
  while (q < n) {
    int64_t end = OW - ow < n - q ? OW : ow + (n - q); /* this output row's columns [ow, end) */
    float *d = dst + q - ow;                           /* d[t] is output column t of this row */
    int64_t ih = oh * sh + offh, t = ow;
    if (ih >= 0 && ih < IH) {
      const float *xrow = xc + ih * IW;
      int64_t a = lo > ow ? lo : ow, b = hi < end ? hi : end;
      for (; t < a; t++) d[t] = 0.0f;
      if (b > t) {
        copy(d + t, xrow + t * sw + offw, (size_t)sw, (size_t)(b - t));
        t = b;
      }
    }
    for (; t < end; t++) d[t] = 0.0f;
    q += end - ow;
    ow = 0;
    oh++;
  }
}

/* oq_im2col_rows for one row, through the 2-D loops when the convolution is 2-D. */
static void im2col_row(const oq_conv_shape *cs, const float *xg, int64_t r, int64_t j0, int64_t n, float *dst) {
  if (cs->g.nd == 2)
    im2col_row_2d(cs, xg, r, j0, n, dst);
  else
    oq_im2col_rows(cs, xg, r, r + 1, j0, j0 + n, dst, n);
}

/* The level's panel builder (oq_im2col_panel_fn) when it can make these panels: 2-D, no dilation, column stride 1
 * or 2, panels of the level's width. */
static int panel_fast(const oq_conv_shape *cs, const oq_simd *simd, size_t nr) {
  const oq_window_geom *g = &cs->g;
  if (!simd->im2col_panel || nr != (size_t)simd->gemm_nr || g->nd != 2 || g->d[0] != 1 || g->d[1] != 1 ||
      (g->s[1] != 1 && g->s[1] != 2))
    return 0;
  int64_t taps = g->k[0] * g->k[1], runs = (int64_t)nr / g->out[1] + 2; /* runs of a panel: at most this many */
  return taps <= OQ_IM2COL_TAPS_MAX && taps * runs <= OQ_IM2COL_RUNS_MAX;
}

/* Panels straight from X: each panel's lanes as runs of output rows, then every row p of the block by the level's
 * panel builder (one pass, no row buffer: the buffered copies were a quarter of a 3x3 convolution's time). */
static void pack_cols_panels(const col_pack *f, const oq_simd *simd, size_t p0, size_t kc, size_t j0, size_t nc,
                             float *dst, size_t nr) {
  const oq_conv_shape *cs = f->cs;
  const oq_window_geom *g = &cs->g;
  oq_im2col_geom ig = {f->xg, cs->in_sp, g->in[0], g->in[1], g->k[0], g->k[1], g->s[0], g->s[1], g->pb[0], g->pb[1]};
  int64_t OW = g->out[1];
  oq_panel_seg seg[NR_LANES_MAX];
  for (size_t q = 0; q < nc; q += nr) {
    int64_t lanes = (int64_t)(nc - q < nr ? nc - q : nr), pos = (int64_t)(j0 + q);
    int64_t oh = pos / OW, ow = pos % OW;
    int32_t n_seg = 0;
    for (int64_t off = 0; off < lanes;) {
      int64_t cnt = OW - ow < lanes - off ? OW - ow : lanes - off;
      seg[n_seg++] = (oq_panel_seg){oh, ow, (int32_t)off, (int32_t)cnt};
      off += cnt;
      oh++;
      ow = 0;
    }
    simd->im2col_panel(&ig, seg, n_seg, p0, kc, dst + q * kc);
  }
}

static void pack_cols(void *ctx, size_t p0, size_t kc, size_t j0, size_t nc, float *dst, size_t nr) {
  const col_pack *f = ctx;
  const oq_simd *simd = oq_simd_get();
  if (nr <= NR_LANES_MAX && panel_fast(f->cs, simd, nr)) {
    pack_cols_panels(f, simd, p0, kc, j0, nc, dst, nr);
    return;
  }
  /* each im2col row is made in a buffer that stays in L1 (one strided copy per output row), then dealt into the
   * panels in whole panel rows; copying runs straight into the panels, cut at panel edges, cost more calls (the
   * pack callback of a 28x28 map: 420 -> 244 CPU samples against ~1200 for the micro-kernel) */
  if (nr == nc) { /* one panel: a row-major block */
    for (size_t p = 0; p < kc; p++) im2col_row(f->cs, f->xg, (int64_t)(p0 + p), (int64_t)j0, (int64_t)nc, dst + p * nr);
    return;
  }
  float row[ROW_BUF];
  for (size_t q0 = 0; q0 < nc; q0 += ROW_BUF) {
    size_t qn = nc - q0 < ROW_BUF ? nc - q0 : ROW_BUF;
    float *panels = dst + q0 * kc; /* q0 is a multiple of nr */
    for (size_t p = 0; p < kc; p++) {
      im2col_row(f->cs, f->xg, (int64_t)(p0 + p), (int64_t)(j0 + q0), (int64_t)qn, row);
      for (size_t q = 0; q < qn; q += nr) {
        float *d = panels + q * kc + p * nr;
        size_t w = qn - q < nr ? qn - q : nr;
        if (w == 32) { /* a whole AVX-512 panel row: a fixed-size copy the compiler inlines */
          memcpy(d, row + q, 32 * sizeof *d);
          continue;
        }
        memcpy(d, row + q, w * sizeof *d);
        for (size_t t = w; t < nr; t++) d[t] = 0.0f;
      }
    }
  }
}

/* Item idx = image * groups + group, with the scratch slot at base. pool splits the item's own work (NULL when
 * items run in parallel). */
static oq_status conv_item(conv_job *j, int64_t idx, float *base, oq_threadpool *pool) {
  const oq_conv_shape *cs = j->cs;
  int64_t groups = cs->c / cs->cg, n = idx / groups, grp = idx % groups, rows = j->rows;
  const float *xg = j->x + (n * cs->c + grp * cs->cg) * cs->in_sp;
  const float *wg = j->w + grp * cs->mg * rows;
  float *yg = j->y + (n * cs->m + grp * cs->mg) * cs->out_sp;
  oq_sgemm_pack pack = {base, j->pack_floats, j->pack_slots};
  float *shared = NULL; /* after the packing slots of the one scratch slot (not by_items) */
  int ok;
  if (pool && j->shared_floats) shared = j->scratch + slot_floats(j, &ok);
  oq_sgemm_epi epi = {j->b ? j->b + grp * cs->mg : NULL, j->act.act, j->act.lo, j->act.hi};
  col_pack f = {cs, xg};
  oq_sgemm_apack ap = {NULL, (size_t)cs->mg, (size_t)rows, 0};
  if (j->wp) {
    ap.data = j->wp->data + (size_t)grp * oq_sgemm_apack_floats((size_t)cs->mg, (size_t)rows, j->wp->mr);
    ap.mr = j->wp->mr;
  }
  return oq_sgemm_shared(pool, &pack, shared, shared ? j->shared_floats : 0, &ap, 0, 0, (size_t)cs->mg,
                         (size_t)cs->out_sp, (size_t)rows, 1.0f, wg, (size_t)rows, j->pointwise ? xg : NULL,
                         (size_t)cs->in_sp, j->pointwise ? NULL : pack_cols, &f, 0.0f, yg, (size_t)cs->out_sp, &epi,
                         NULL);
}

/* Items [begin, end) on one thread, with a scratch slot of their own. */
static oq_status conv_items(void *ctx, int64_t begin, int64_t end) {
  conv_job *j = ctx;
  int ok;
  int slot = oq_parallel_chunk(); /* the same thread's slot every call */
  size_t slot_n = slot_floats(j, &ok);
  float *base = slot_n ? j->scratch + (size_t)slot * slot_n : NULL; /* no scratch: NULL + 0 is UB */
  oq_status st = OQ_OK;
  for (int64_t i = begin; i < end && st == OQ_OK; i++) st = conv_item(j, i, base, NULL);
  return st;
}

/* Depthwise convolution (one input and one output channel per group) in 1 or 2 spatial dims, directly: per output
 * row, each kernel tap adds w * (a strided run of one input row) to the row over the output columns whose tap lands
 * inside the input (the SIMD level's axpy). Every output is bias + its in-bounds taps in (kh, kw) order, planes are
 * independent, so the split over planes never changes a bit. No scratch. */
typedef struct dw_job {
  const oq_conv_shape *cs;
  const float *x, *w, *b;
  float *y;
  oq_conv_act act;
  const oq_simd *simd;
  float *scratch;  /* padded planes, one per chunk (dw_rows_fit only) */
  int64_t bands;   /* dw_planes_rows: bands of output rows; item = band * planes + plane */
  oq_dw_geom geom; /* dw_planes_direct */
} dw_job;

/* Items [begin, end) with the row kernel, through one padded plane: item = band * planes + plane, a band being a
 * range of output rows. With one band per thread, each thread works on the same rows of every channel, which is
 * also (roughly) the part of the map the pointwise convolutions before and after it compute on that thread when
 * they split C by columns: the data stays in the core's own L2. Every output row's arithmetic is the same. */
static oq_status dw_planes_rows(void *ctx, int64_t begin, int64_t end) {
  dw_job *j = ctx;
  const oq_conv_shape *cs = j->cs;
  const oq_window_geom *g = &cs->g;
  int64_t IH = g->in[0], IW = g->in[1], OH = g->out[0], OW = g->out[1], K = g->k[0], S = g->s[0];
  int64_t pt = g->pb[0], pl = g->pb[1], ph, pw;
  dw_padded(cs, &ph, &pw);
  float *pad = j->scratch + (size_t)oq_parallel_chunk() * (size_t)(2 * ph * pw), *flat = pad + ph * pw;
  int64_t cw = IW < pw - pl ? IW : pw - pl; /* input columns that some window covers */
  int64_t planes = cs->n * cs->m;
  for (int64_t it = begin; it < end; it++) {
    int64_t band = it / planes, pln = it % planes;
    int64_t oh0 = OH * band / j->bands, oh1 = OH * (band + 1) / j->bands;
    if (oh0 >= oh1) continue;
    int64_t r0 = oh0 * S, r1 = (oh1 - 1) * S + K; /* padded rows the band's windows cover */
    int64_t ch = pln % cs->m;
    const float *xp = j->x + pln * cs->in_sp;
    float *yp = j->y + pln * cs->out_sp;
    for (int64_t r = r0; r < r1; r++) {
      float *pr = pad + (r - r0) * pw;
      int64_t ih = r - pt;
      if (ih < 0 || ih >= IH || cw <= 0) {
        memset(pr, 0, (size_t)pw * sizeof *pr);
        continue;
      }
      /* pl may exceed pw only when every window is pure padding: then cw <= 0 above */
      memset(pr, 0, (size_t)pl * sizeof *pr);
      memcpy(pr + pl, xp + ih * IW, (size_t)cw * sizeof *pr);
      memset(pr + pl + cw, 0, (size_t)(pw - pl - cw) * sizeof *pr);
    }
    const float *wp = j->w + ch * cs->kprod;
    float bias = j->b ? j->b[ch] : 0.0f;
    if (OW < DW_SHORT && oh1 - oh0 > 1) {
      /* short rows: the band as one row of the padded width (output (oh, ow) at (oh - oh0) * pw + ow reads the
       * padded plane at kh * pw + S * ((oh - oh0) * pw + ow) + kw, its own taps), then the valid columns copied
       * out. One long row keeps many independent sums in flight, where a row of 7 or 14 outputs was one vector
       * waiting on its chain of K*K additions; every output is the same sum in the same order. */
      size_t n = (size_t)((oh1 - oh0 - 1) * pw + OW);
      j->simd->dw_row(pad, (size_t)pw, wp, (int32_t)K, (int32_t)S, bias, flat, n);
      for (int64_t oh = oh0; oh < oh1; oh++) memcpy(yp + oh * OW, flat + (oh - oh0) * pw, (size_t)OW * sizeof *yp);
    } else {
      for (int64_t oh = oh0; oh < oh1; oh++) {
        float *yr = yp + oh * OW;
        j->simd->dw_row(pad + (oh - oh0) * S * pw, (size_t)pw, wp, (int32_t)K, (int32_t)S, bias, yr, (size_t)OW);
      }
    }
    /* the activation over the band's rows at once (contiguous): applied to each row right after dw_row stored it,
     * its loads waited for the short rows' masked stores (7 ns per float on 7-float rows) */
    oq_conv_apply_act(&j->act, j->simd, yp + oh0 * OW, (oh1 - oh0) * OW);
  }
  return OQ_OK;
}

/* Items [begin, end) with the level's plane kernel: item = band * planes + plane, as dw_planes_rows. */
static oq_status dw_planes_direct(void *ctx, int64_t begin, int64_t end) {
  dw_job *j = ctx;
  const oq_conv_shape *cs = j->cs;
  int64_t planes = cs->n * cs->m, oh_n = cs->g.out[0];
  oq_gemm_store st = {0, NULL, j->act.act, j->act.lo, j->act.hi};
  for (int64_t it = begin; it < end; it++) {
    int64_t band = it / planes, pln = it % planes, ch = pln % cs->m;
    int64_t oh0 = oh_n * band / j->bands, oh1 = oh_n * (band + 1) / j->bands;
    if (oh0 >= oh1) continue;
    j->simd->dw_plane(&j->geom, j->x + pln * cs->in_sp, j->w + ch * cs->kprod, j->b ? j->b[ch] : 0.0f, &st, oh0, oh1,
                      j->y + pln * cs->out_sp);
  }
  return OQ_OK;
}

static oq_status dw_planes(void *ctx, int64_t begin, int64_t end) {
  dw_job *j = ctx;
  const oq_conv_shape *cs = j->cs;
  const oq_window_geom *g = &cs->g;
  int two = g->nd == 2; /* 1-D is a 2-D plane of height 1 */
  int64_t IH = two ? g->in[0] : 1, IW = g->in[g->nd - 1], OH = two ? g->out[0] : 1, OW = g->out[g->nd - 1];
  int64_t KH = two ? g->k[0] : 1, KW = g->k[g->nd - 1];
  int64_t sh = two ? g->s[0] : 1, sw = g->s[g->nd - 1], dh = two ? g->d[0] : 1, dw = g->d[g->nd - 1];
  int64_t pt = two ? g->pb[0] : 0, pl = g->pb[g->nd - 1];
  for (int64_t pln = begin; pln < end; pln++) {
    int64_t ch = pln % cs->m;
    const float *xp = j->x + pln * cs->in_sp, *wp = j->w + ch * cs->kprod;
    float *yp = j->y + pln * cs->out_sp;
    float bias = j->b ? j->b[ch] : 0.0f;
    for (int64_t oh = 0; oh < OH; oh++) {
      float *yr = yp + oh * OW;
      for (int64_t ow = 0; ow < OW; ow++) yr[ow] = bias;
      for (int64_t kh = 0; kh < KH; kh++) {
        int64_t ih = oh * sh + kh * dh - pt;
        if (ih < 0 || ih >= IH) continue;
        const float *xr = xp + ih * IW;
        for (int64_t kw = 0; kw < KW; kw++) {
          int64_t off = kw * dw - pl; /* input column of output column 0 */
          int64_t lo = off >= 0 ? 0 : (-off + sw - 1) / sw;
          int64_t hi = IW - 1 - off < 0 ? 0 : (IW - 1 - off) / sw + 1;
          if (hi > OW) hi = OW;
          if (lo >= hi) continue;
          j->simd->axpy_strided(wp[kh * KW + kw], xr + lo * sw + off, (size_t)sw, yr + lo, (size_t)(hi - lo));
        }
      }
    }
    oq_conv_apply_act(&j->act, j->simd, yp, cs->out_sp);
  }
  return OQ_OK;
}

void oq_conv_apply_act(const oq_conv_act *act, const oq_simd *simd, float *y, int64_t n) {
  if (act->act == OQ_GEMM_ACT_RELU) simd->relu(y, y, (size_t)n);
  if (act->act == OQ_GEMM_ACT_CLAMP) simd->clamp(y, y, (size_t)n, act->lo, act->hi);
  if (act->act == OQ_GEMM_ACT_SILU) simd->silu(y, y, (size_t)n); /* the Sigmoid node's function, the Mul's product */
}

size_t oq_conv_wpack_floats(int64_t mg, int64_t rows, int64_t groups, int32_t mr) {
  /* one output channel per group (depthwise) is never the packed path: the product has one row */
  if (mg < 2 || rows < 1 || groups < 1) return 0;
  size_t per = oq_sgemm_apack_floats((size_t)mg, (size_t)rows, mr), total;
  if (per == SIZE_MAX || !oq_size_mul(per, (size_t)groups, &total)) return SIZE_MAX;
  return total;
}

void oq_conv_wpack_fill(const float *w, int64_t mg, int64_t rows, int64_t groups, int32_t mr, float *dst,
                        oq_conv_wpack *wp) {
  size_t per = oq_sgemm_apack_floats((size_t)mg, (size_t)rows, mr);
  for (int64_t g = 0; g < groups; g++)
    oq_sgemm_apack_fill(w + (size_t)g * (size_t)mg * (size_t)rows, (size_t)rows, (size_t)mg, (size_t)rows, mr,
                        dst + (size_t)g * per);
  wp->data = dst;
  wp->mg = mg;
  wp->rows = rows;
  wp->groups = groups;
  wp->mr = mr;
  wp->direct = 0;
}

oq_status oq_conv_fast(const oq_conv_shape *cs, const float *x, const float *w, const float *b, const oq_conv_act *act,
                       float *y, oq_threadpool *pool, float *scratch, oq_error *err) {
  return oq_conv_fast_wp(cs, x, w, NULL, b, act, y, pool, scratch, err);
}

oq_status oq_conv_fast_wp(const oq_conv_shape *cs, const float *x, const float *w, const oq_conv_wpack *wp,
                          const float *b, const oq_conv_act *act, float *y, oq_threadpool *pool, float *scratch,
                          oq_error *err) {
  static const oq_conv_act none = {OQ_GEMM_ACT_NONE, 0.0f, 0.0f};
  if (!act) act = &none;
  if (oq_conv_takes_direct(cs)) return conv_direct(cs, x, w, wp, b, act, y, pool, scratch, err);
  if (is_depthwise(cs)) {
    dw_job d = {cs, x, w, b, y, *act, oq_simd_get(), scratch, 1, {0, 0, 0, 0, 0, 0, 0, 0, NULL}};
    if (!dw_rows_fit(cs)) return oq_parallel_for(pool, cs->n * cs->m, dw_planes, &d);
    if (!scratch)
      return oq_error_set(err, OQ_ERR_INTERNAL, __FILE__, __LINE__, "depthwise convolution without scratch");
    int32_t th = oq_threadpool_size(pool);
    if (th < 1) th = 1;
    d.bands = th < cs->g.out[0] ? th : cs->g.out[0];
    if (d.simd->dw_plane && dw_plane_fits(cs)) {
      const oq_window_geom *g = &cs->g;
      d.geom = (oq_dw_geom){g->in[0],         g->in[1], g->out[0], g->out[1], (int32_t)g->k[0],
                            (int32_t)g->s[0], g->pb[0], g->pb[1],  NULL};
      if (g->s[0] == 1) { /* the mask table after the padded planes (dw_scratch_floats) */
        uint16_t *masks = (uint16_t *)(void *)(scratch + dw_scratch_floats(cs, th) - dw_mask_floats(cs));
        dw_flat_masks(cs, masks);
        d.geom.masks = masks;
      }
      /* short rows: whole planes per thread (a band of a 7x7 plane was a few vectors, less than its setup) */
      d.bands = 1;
      return oq_parallel_for_max(pool, d.bands * cs->n * cs->m, th, dw_planes_direct, &d);
    }
    return oq_parallel_for_max(pool, d.bands * cs->n * cs->m, th, dw_planes_rows, &d);
  }
  conv_job j;
  if (!conv_plan(cs, oq_threadpool_size(pool), &j))
    return oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "convolution buffers are too large");
  j.x = x;
  j.w = w;
  if (wp && wp->data && !wp->direct && wp->mg == cs->mg && wp->rows == j.rows && wp->groups == cs->c / cs->cg &&
      wp->mr == oq_simd_get()->gemm_mr)
    j.wp = wp;
  j.b = b;
  j.y = y;
  j.act = *act;
  j.scratch = scratch;
  int64_t items = cs->n * (cs->c / cs->cg);
  oq_status st = OQ_OK;
  if (j.by_items) {
    st = oq_parallel_for_max(pool, items, j.n_slots, conv_items, &j);
  } else {
    for (int64_t i = 0; i < items && st == OQ_OK; i++) st = conv_item(&j, i, scratch, pool);
  }
  if (st != OQ_OK) return oq_error_set(err, st, __FILE__, __LINE__, "convolution without enough scratch");
  return OQ_OK;
}

/* The box of output positions whose window reaches the input, as a geometry of its own (padding shifted, so it may
 * be negative) with its first position in lo. Returns 0 when the box is the whole output (the usual case). Pads far
 * wider than the kernel make every other position pure padding: a 1x1 input padded by 2^12 with a 64x64 kernel
 * has 8130^2 outputs but only 64^2 that are not just the bias, and computing all of them took hours. */
int oq_conv_inner_box(const oq_conv_shape *cs, oq_conv_shape *inner, int64_t *lo) {
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
void oq_conv_place_box(const oq_conv_shape *cs, const oq_conv_shape *inner, const int64_t *lo, const float *box,
                       float *y) {
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
