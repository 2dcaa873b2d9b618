/* Sliding-window geometry (see window.h). */
#include "kern/window.h"

#include <string.h>

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
    if (k < 1 || k > OQ_WINDOW_LIMIT) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "kernel extent %lld is invalid", (long long)k);
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

/* Taps inside the input summed over every output position of one plane: separable, so exact in O(sum of the output
 * extents that reach the input). Visiting only those taps is the whole cost of a pool. Stops early once a single
 * dim exceeds limit (the product can only be larger, or 0 when another dim is all padding). */
double oq_window_visits(const oq_window_geom *g, double limit) {
  double total = 1.0;
  for (int32_t i = 0; i < g->nd; i++) {
    double dim = 0.0;
    int64_t ek = (g->k[i] - 1) * g->d[i] + 1;
    /* only positions whose window reaches [0, in) can hold taps inside it (as for Conv's inner box) */
    int64_t o0 = g->pb[i] - ek < 0 ? 0 : (g->pb[i] - ek) / g->s[i] + 1;
    int64_t o1 = (g->in[i] + g->pb[i] + g->s[i] - 1) / g->s[i];
    if (o1 > g->out[i]) o1 = g->out[i];
    for (int64_t o = o0; o < o1 && dim <= limit; o++) {
      int64_t b = o * g->s[i] - g->pb[i], d = g->d[i];
      int64_t l = b >= 0 ? 0 : (-b + d - 1) / d;
      int64_t h = g->in[i] - b > 0 ? (g->in[i] - b + d - 1) / d : 0;
      if (h > g->k[i]) h = g->k[i];
      if (h > l) dim += (double)(h - l);
    }
    total *= dim;
  }
  return total;
}

/* Input offsets of the taps of one output position that fall inside the input (row-major tap order, the same order
 * as the full window, so sums are unchanged), plus how many taps of the full window fall in the padded extent
 * [-pb, in + pe). Taps in the padding contribute nothing to either pool but their count: enumerating only the
 * inside ones keeps a huge kernel over padding (kernel 2^15 x 2^15 with pads 2^15 - 1 on a 1x1 input) from
 * visiting 2^30 taps per output. Returns the number of offsets written (at most window_capacity). */
int64_t oq_window_taps(const oq_window_geom *g, const int64_t *o, int64_t *offs, int64_t *padded_count) {
  int64_t lo[OQ_MAX_DIMS], hi[OQ_MAX_DIMS], base[OQ_MAX_DIMS];
  int64_t count = 1, padded = 1;
  for (int32_t i = 0; i < g->nd; i++) {
    int64_t b = o[i] * g->s[i] - g->pb[i], d = g->d[i], k = g->k[i];
    base[i] = b;
    /* b + t * d in [0, in): t in [ceil(-b / d), ceil((in - b) / d)) */
    int64_t l = b >= 0 ? 0 : (-b + d - 1) / d;
    int64_t h = g->in[i] - b > 0 ? (g->in[i] - b + d - 1) / d : 0;
    if (h > k) h = k;
    if (l > h) l = h;
    lo[i] = l;
    hi[i] = h;
    count *= h - l;
    /* b + t * d < in + pe (b >= -pb always holds for a window of this geometry) */
    int64_t ph = g->in[i] + g->pe[i] - b > 0 ? (g->in[i] + g->pe[i] - b + d - 1) / d : 0;
    padded *= ph < k ? ph : k;
  }
  *padded_count = padded;
  if (count == 0) return 0;
  int64_t t[OQ_MAX_DIMS];
  for (int32_t i = 0; i < g->nd; i++) t[i] = lo[i];
  for (int64_t n = 0; n < count; n++) {
    int64_t off = 0;
    for (int32_t i = 0; i < g->nd; i++) off = off * g->in[i] + base[i] + t[i] * g->d[i];
    offs[n] = off;
    for (int32_t i = g->nd - 1; i >= 0; i--) {
      if (++t[i] < hi[i]) break;
      t[i] = lo[i];
    }
  }
  return count;
}

void oq_window_next(const oq_window_geom *g, int64_t *o) {
  for (int32_t i = g->nd - 1; i >= 0; i--) {
    if (++o[i] < g->out[i]) return;
    o[i] = 0;
  }
}

/* Most taps of one window that can fall inside the input: per dim at most min(kernel, input extent), so the
 * buffer is bounded by the input's size however large the kernel. */
oq_status oq_window_tap_capacity(const oq_window_geom *g, size_t *cap, oq_error *err) {
  *cap = 1;
  for (int32_t i = 0; i < g->nd; i++) {
    int64_t n = g->k[i] < g->in[i] ? g->k[i] : g->in[i];
    if (!oq_size_mul(*cap, (size_t)(n > 0 ? n : 1), cap))
      OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "pooling window is too large");
  }
  return OQ_OK;
}
