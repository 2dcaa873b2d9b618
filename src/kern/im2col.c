/* im2col for convolution (see conv.h): a strided copy per tap row, zeros where the window is in padding. */
#include "kern/conv.h"

#include <string.h>

void oq_im2col(const oq_conv_shape *cs, const float *x, int64_t p0, int64_t p1, float *col, int64_t ld) {
  oq_im2col_rows(cs, x, 0, cs->cg * cs->kprod, p0, p1, col, ld);
}

/* Rows [r0, r1), output positions [p0, p1) of one (image, group): col[(row - r0) * ld + p - p0]. */
void oq_im2col_rows(const oq_conv_shape *cs, const float *x, int64_t r0, int64_t r1, int64_t p0, int64_t p1, float *col,
                    int64_t ld) {
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
  for (int64_t r = r0; r < r1; r++) {
    int64_t c = r / cs->kprod, kr = r % cs->kprod;
    int64_t kidx[OQ_MAX_DIMS], off0[OQ_MAX_DIMS];
    for (int32_t i = nd - 1; i >= 0; i--) {
      kidx[i] = kr % g->k[i];
      kr /= g->k[i];
      off0[i] = kidx[i] * g->d[i] - g->pb[i]; /* input index of output 0 for this tap */
    }
    const float *xc = x + c * cs->in_sp;
    float *dst = col + (r - r0) * ld;
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
