/* The window taps of one output position that fall inside the input, as a box of kernel offsets, for the direct
 * loops of qconv.c and lppool.c: their work is then the taps inside the input, never the whole
 * kernel (a window thousands wide over padding costs what it reads). */
#ifndef OQ_OPS_TAPS_H
#define OQ_OPS_TAPS_H

#include "kern/window.h"

/* Per spatial dim d, kernel offsets kk in [lo[d], hi[d]) read input index o[d] * s - pb + kk * dilation, inside
 * [0, in). Returns 0 when some dim has none. Extents come from oq_window_resolve (bounded far below 2^62). */
static inline int oq_taps_box(const oq_window_geom *g, const int64_t *o, int64_t *lo, int64_t *hi) {
  for (int32_t d = 0; d < g->nd; d++) {
    int64_t base = o[d] * g->s[d] - g->pb[d], dil = g->d[d], last = g->in[d] - 1 - base;
    if (last < 0) return 0;
    int64_t l = base >= 0 ? 0 : (-base + dil - 1) / dil, h = last / dil + 1;
    lo[d] = l;
    hi[d] = h < g->k[d] ? h : g->k[d];
    if (lo[d] >= hi[d]) return 0;
  }
  return 1;
}

/* Advances kk through the box row-major; 0 once it wrapped around (every tap seen). */
static inline int oq_taps_next(int32_t nd, const int64_t *lo, const int64_t *hi, int64_t *kk) {
  for (int32_t d = nd - 1; d >= 0; d--) {
    if (++kk[d] < hi[d]) return 1;
    kk[d] = lo[d];
  }
  return 0;
}

#endif
