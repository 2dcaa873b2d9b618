/* Sliding-window geometry shared by Conv and the pools: attributes resolved against input extents (explicit pads
 * or auto_pad, strides, dilations, ceil_mode), and the taps of one window that fall inside the input. Plain
 * numbers only: parsing the attributes from a node is ops/window.c. */
#ifndef OQ_KERN_WINDOW_H
#define OQ_KERN_WINDOW_H

#include "core/error.h"

/* Attribute values beyond this are refused so that window arithmetic stays far from int64 overflow. */
#define OQ_WINDOW_LIMIT ((int64_t)1 << 30)

enum { OQ_AUTO_PAD_NOTSET = 0, OQ_AUTO_PAD_SAME_UPPER = 1, OQ_AUTO_PAD_SAME_LOWER = 2, OQ_AUTO_PAD_VALID = 3 };

/* Sliding-window attributes as written on the node. Counts of 0 mean "attribute absent, use the default". */
typedef struct oq_window {
  int32_t n_kernel;               /* entries in kernel (kernel_shape), 0 when absent */
  int64_t kernel[OQ_MAX_DIMS];    /* window extent per spatial dim */
  int32_t n_strides;              /* entries in strides, 0 = all 1 */
  int64_t strides[OQ_MAX_DIMS];   /* step per spatial dim */
  int32_t n_dilations;            /* entries in dilations, 0 = all 1 */
  int64_t dilations[OQ_MAX_DIMS]; /* spacing of window taps */
  int32_t n_pads;                 /* entries in pads (2 * spatial rank), 0 = all 0 */
  int64_t pads[2 * OQ_MAX_DIMS];  /* begins then ends, as in ONNX */
  int32_t auto_pad;               /* OQ_AUTO_PAD_* */
  int32_t ceil_mode;              /* 1: output extent rounds up */
} oq_window;

/* A window resolved against an input shape. */
typedef struct oq_window_geom {
  int32_t nd;               /* spatial rank */
  int64_t in[OQ_MAX_DIMS];  /* input spatial extents */
  int64_t out[OQ_MAX_DIMS]; /* output spatial extents, each >= 1 */
  int64_t k[OQ_MAX_DIMS];   /* kernel extents */
  int64_t s[OQ_MAX_DIMS];   /* strides */
  int64_t d[OQ_MAX_DIMS];   /* dilations */
  int64_t pb[OQ_MAX_DIMS];  /* padding before */
  int64_t pe[OQ_MAX_DIMS];  /* padding after */
} oq_window_geom;

/* Resolves w for spatial extents in[0..nd); kernel gives the extents when w has no kernel_shape (Conv: from W). */
oq_status oq_window_resolve(const oq_window *w, int32_t nd, const int64_t *in, const int64_t *kernel, oq_window_geom *g,
                            oq_error *err);

/* Taps inside the input summed over every output position of one plane (exact, separable); stops early once a
 * single dim exceeds limit. */
double oq_window_visits(const oq_window_geom *g, double limit);
/* Input offsets of the taps of output position o inside the input, in row-major tap order; *padded_count gets the
 * taps of the full window inside [-pb, in + pe). Returns the number of offsets written (<= the tap capacity). */
int64_t oq_window_taps(const oq_window_geom *g, const int64_t *o, int64_t *offs, int64_t *padded_count);
/* Advances the output position o in row-major order. */
void oq_window_next(const oq_window_geom *g, int64_t *o);
/* Most taps of one window that can fall inside the input (entries oq_window_taps may write). */
oq_status oq_window_tap_capacity(const oq_window_geom *g, size_t *cap, oq_error *err);

#endif
