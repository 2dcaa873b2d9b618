/* MaxPool (float32, int8, uint8), AveragePool (float32), GlobalAveragePool, GlobalMaxPool. Windows follow
 * oq_window_resolve (explicit pads or auto_pad, strides, dilations, ceil_mode). MaxPool ignores padded taps;
 * AveragePool divides by the taps inside the input, or with count_include_pad by the taps inside input + pads
 * (taps that ceil_mode pushes past the end padding never count). */
#include "ops/kernels.h"
#include "ops/nn.h"
#include "core/pool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static oq_status pool_init(const oq_op_init_ctx *ctx, int is_avg, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  oq_pool_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  OQ_CHECK(oq_window_parse(ctx->node->proto, 1, &p->win, err));
  if (p->win.n_kernel == 0) OQ_FAIL(err, OQ_ERR_MODEL, "attribute kernel_shape is required");
  if (is_avg) {
    int64_t cip = 0;
    OQ_CHECK(oq_attr_int(ctx->node->proto, "count_include_pad", 0, &cip, err));
    if (cip != 0 && cip != 1) OQ_FAIL(err, OQ_ERR_MODEL, "count_include_pad must be 0 or 1 (got %lld)", (long long)cip);
    p->count_include_pad = (int32_t)cip;
  } else {
    int64_t so = 0;
    OQ_CHECK(oq_attr_int(ctx->node->proto, "storage_order", 0, &so, err));
    if (ctx->node->n_outputs > 1 && ctx->node->outputs[1] >= 0)
      OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "the Indices output of MaxPool is not supported");
  }
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

oq_status oq_maxpool_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  return pool_init(ctx, 0, params, err);
}

oq_status oq_avgpool_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  return pool_init(ctx, 1, params, err);
}

/* Taps inside the input summed over every output position of one plane: separable, so exact in O(sum of the output
 * extents that reach the input). Visiting only those taps is the whole cost of a pool. Stops early once a single
 * dim exceeds limit (the product can only be larger, or 0 when another dim is all padding). */
static double window_visits(const oq_window_geom *g, double limit) {
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

/* Window taps one pool may visit: 4096 per input element, and at least 2^30. A real pool visits each element about
 * (kernel area / stride area) times, a few to a few hundred; a window thousands wide over padding with stride 1
 * visits each element of a 32x32 image millions of times (hours of work). */
#define POOL_VISITS_PER_ELEMENT 4096.0
#define POOL_MIN_VISIT_LIMIT    ((double)((int64_t)1 << 30))

/* Checks X, resolves the window and allocates Y [N, C, out...]. planes = N*C. */
static oq_status pool_setup(const oq_kernel_call *call, const oq_pool_params *p, oq_window_geom *g, int64_t *planes,
                            int64_t *in_sp, int64_t *out_sp, oq_error *err) {
  const oq_tensor *x = call->inputs[0];
  oq_tensor *y = &call->outputs[0];
  if (x->ndim < 3) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "input X has rank %d, pooling needs at least 3", (int)x->ndim);
  int32_t nd = x->ndim - 2;
  oq_status st = oq_nn_check_dims(x, "X", err);
  if (st != OQ_OK) return st;
  st = oq_window_resolve(&p->win, nd, x->dims + 2, NULL, g, err);
  if (st != OQ_OK) return st;
  double limit = POOL_VISITS_PER_ELEMENT * (double)oq_tensor_numel(x);
  if (limit < POOL_MIN_VISIT_LIMIT) limit = POOL_MIN_VISIT_LIMIT;
  double visits = (double)x->dims[0] * (double)x->dims[1] * window_visits(g, limit);
  if (visits > limit)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED,
                  "the pooling windows would visit %.3g input elements, more than the limit of %.3g (4096 per "
                  "element of X): a window far wider than the input?",
                  visits, limit);
  int64_t ydims[OQ_MAX_DIMS];
  ydims[0] = x->dims[0];
  ydims[1] = x->dims[1];
  for (int32_t i = 0; i < nd; i++) ydims[i + 2] = g->out[i];
  st = oq_tensor_alloc(y, x->dtype, x->ndim, ydims, err);
  if (st != OQ_OK) return st;
  *planes = *in_sp = *out_sp = 0;
  if (y->nbytes == 0) return OQ_OK; /* callers stop here; the products below need a non-empty Y */
  *planes = x->dims[0] * x->dims[1];
  *in_sp = 1;
  *out_sp = 1;
  for (int32_t i = 0; i < nd; i++) {
    *in_sp *= g->in[i];
    *out_sp *= g->out[i];
  }
  return OQ_OK;
}

/* Input offsets of the taps of one output position that fall inside the input (row-major tap order, the same order
 * as the full window, so sums are unchanged), plus how many taps of the full window fall in the padded extent
 * [-pb, in + pe). Taps in the padding contribute nothing to either pool but their count: enumerating only the
 * inside ones keeps a huge kernel over padding (kernel 2^15 x 2^15 with pads 2^15 - 1 on a 1x1 input) from
 * visiting 2^30 taps per output. Returns the number of offsets written (at most window_capacity). */
static int64_t window_taps(const oq_window_geom *g, const int64_t *o, int64_t *offs, int64_t *padded_count) {
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

static void next_pos(const oq_window_geom *g, int64_t *o) {
  for (int32_t i = g->nd - 1; i >= 0; i--) {
    if (++o[i] < g->out[i]) return;
    o[i] = 0;
  }
}

/* Most taps of one window that can fall inside the input: per dim at most min(kernel, input extent), so the
 * buffer is bounded by the input's size however large the kernel. */
static oq_status window_capacity(const oq_window_geom *g, size_t *cap, oq_error *err) {
  *cap = 1;
  for (int32_t i = 0; i < g->nd; i++) {
    int64_t n = g->k[i] < g->in[i] ? g->k[i] : g->in[i];
    if (!oq_size_mul(*cap, (size_t)(n > 0 ? n : 1), cap))
      OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "pooling window is too large");
  }
  return OQ_OK;
}

/* One pooling call, split over planes (image, channel): each output element is computed by the same loop
 * whatever the split. */
typedef struct pool_job {
  const oq_window_geom *g;
  const void *x;             /* X data */
  void *y;                   /* Y data */
  int32_t dtype;             /* X and Y dtype */
  int32_t is_avg;            /* AveragePool, else MaxPool */
  int32_t count_include_pad; /* AveragePool divisor mode */
  int64_t in_sp, out_sp;     /* spatial element counts */
  size_t kprod;              /* capacity of the per-window tap buffer (taps inside the input) */
} pool_job;

#define MAXPOOL_LOOP(T, LOWEST)                                                                                        \
  do {                                                                                                                 \
    const T *xd = j->x;                                                                                                \
    T *yd = j->y;                                                                                                      \
    int64_t o[OQ_MAX_DIMS] = {0};                                                                                      \
    for (int64_t op = 0; op < j->out_sp; op++) {                                                                       \
      int64_t padded;                                                                                                  \
      int64_t kprod = window_taps(j->g, o, taps, &padded);                                                             \
      for (int64_t pl = pl0; pl < pl1; pl++) {                                                                         \
        const T *xp = xd + pl * j->in_sp;                                                                              \
        T best = LOWEST;                                                                                               \
        for (int64_t t = 0; t < kprod; t++)                                                                            \
          if (taps[t] >= 0 && xp[taps[t]] > best) best = xp[taps[t]];                                                  \
        yd[pl * j->out_sp + op] = best;                                                                                \
      }                                                                                                                \
      next_pos(j->g, o);                                                                                               \
    }                                                                                                                  \
  } while (0)

static oq_status pool_planes(void *ctx, int64_t pl0, int64_t pl1) {
  const pool_job *j = ctx;
  int64_t *taps = oq_malloc_array(j->kprod, sizeof(int64_t), NULL);
  if (!taps) return OQ_ERR_NOMEM;
  if (!j->is_avg) {
    if (j->dtype == OQ_DTYPE_FLOAT)
      MAXPOOL_LOOP(float, -INFINITY);
    else if (j->dtype == OQ_DTYPE_INT8)
      MAXPOOL_LOOP(int8_t, INT8_MIN);
    else
      MAXPOOL_LOOP(uint8_t, 0);
    free(taps);
    return OQ_OK;
  }
  const float *xd = j->x;
  float *yd = j->y;
  int64_t o[OQ_MAX_DIMS] = {0};
  for (int64_t op = 0; op < j->out_sp; op++) {
    int64_t padded;
    int64_t kprod = window_taps(j->g, o, taps, &padded);
    int64_t count = j->count_include_pad ? padded : kprod;
    for (int64_t pl = pl0; pl < pl1; pl++) {
      const float *xp = xd + pl * j->in_sp;
      double s = 0.0;
      for (int64_t t = 0; t < kprod; t++)
        if (taps[t] >= 0) s += xp[taps[t]];
      yd[pl * j->out_sp + op] = count > 0 ? (float)(s / (double)count) : 0.0f;
    }
    next_pos(j->g, o);
  }
  free(taps);
  return OQ_OK;
}

/* Window-element visits below which a chunk is not worth a thread. */
#define POOL_MIN_WORK ((double)(1 << 15))

static int32_t chunks_for(double work, double min_work) {
  double c = work / min_work;
  return c < 1.0 ? 1 : c > OQ_THREADPOOL_MAX ? OQ_THREADPOOL_MAX : (int32_t)c;
}

static oq_status pool_exec(const oq_kernel_call *call, int is_avg, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_pool_params *p = call->params;
  const oq_tensor *x = call->inputs[0];
  oq_tensor *y = &call->outputs[0];
  if (is_avg && x->dtype != OQ_DTYPE_FLOAT)
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "input X has type %s, only float32 is supported", oq_dtype_name(x->dtype));
  if (!is_avg && x->dtype != OQ_DTYPE_FLOAT && x->dtype != OQ_DTYPE_INT8 && x->dtype != OQ_DTYPE_UINT8)
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "input X has type %s; MaxPool supports float32, int8 and uint8",
            oq_dtype_name(x->dtype));
  if (!is_avg && call->n_outputs > 1)
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "the Indices output of MaxPool is not supported");
  oq_window_geom g;
  int64_t planes = 0, in_sp = 0, out_sp = 0;
  OQ_CHECK(pool_setup(call, p, &g, &planes, &in_sp, &out_sp, err));
  if (y->nbytes == 0) return OQ_OK;
  pool_job j = {&g, x->data, y->data, x->dtype, is_avg, p->count_include_pad, in_sp, out_sp, 0};
  OQ_CHECK(window_capacity(&g, &j.kprod, err));
  double work = (double)planes * window_visits(&g, INFINITY);
  st = oq_parallel_for_max(call->pool, planes, chunks_for(work, POOL_MIN_WORK), pool_planes, &j);
  if (st != OQ_OK) OQ_FAIL(err, st, "out of memory for the pooling window");
  return OQ_OK;
fail:
  oq_tensor_release(y);
  return st;
}

oq_status oq_maxpool_exec(const oq_kernel_call *call, oq_error *err) { return pool_exec(call, 0, err); }

oq_status oq_avgpool_exec(const oq_kernel_call *call, oq_error *err) { return pool_exec(call, 1, err); }

/* ---- global pools -------------------------------------------------------------------------------------------- */

/* Global pooling over planes [begin, end). */
typedef struct global_job {
  const float *x;
  float *y;
  int64_t sp; /* elements per plane */
  int32_t is_max;
} global_job;

static oq_status global_planes(void *ctx, int64_t begin, int64_t end) {
  const global_job *j = ctx;
  for (int64_t pl = begin; pl < end; pl++) {
    const float *xp = j->x + pl * j->sp;
    if (j->is_max) {
      float best = -INFINITY;
      for (int64_t i = 0; i < j->sp; i++)
        if (xp[i] > best) best = xp[i];
      j->y[pl] = best;
    } else {
      double s = 0.0;
      for (int64_t i = 0; i < j->sp; i++) s += xp[i];
      j->y[pl] = j->sp > 0 ? (float)(s / (double)j->sp) : 0.0f;
    }
  }
  return OQ_OK;
}

static oq_status global_pool(const oq_kernel_call *call, int is_max, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_tensor *x = call->inputs[0];
  oq_tensor *y = &call->outputs[0];
  if (x->dtype != OQ_DTYPE_FLOAT)
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "input X has type %s, only float32 is supported", oq_dtype_name(x->dtype));
  OQ_CHECK(oq_nn_check_dims(x, "X", err));
  if (x->ndim < 2) OQ_FAIL(err, OQ_ERR_SHAPE, "input X has rank %d, global pooling needs at least 2", (int)x->ndim);
  int64_t ydims[OQ_MAX_DIMS];
  int64_t sp = 1;
  for (int32_t i = 0; i < x->ndim; i++) {
    ydims[i] = i < 2 ? x->dims[i] : 1;
    if (i >= 2) sp *= x->dims[i];
  }
  OQ_CHECK(oq_tensor_alloc(y, OQ_DTYPE_FLOAT, x->ndim, ydims, err));
  int64_t planes = x->dims[0] * x->dims[1];
  global_job j = {x->data, y->data, sp, is_max};
  oq_parallel_for_max(call->pool, planes, chunks_for((double)planes * (double)sp, POOL_MIN_WORK), global_planes, &j);
  return OQ_OK;
fail:
  oq_tensor_release(y);
  return st;
}

oq_status oq_global_avgpool_exec(const oq_kernel_call *call, oq_error *err) { return global_pool(call, 0, err); }

oq_status oq_global_maxpool_exec(const oq_kernel_call *call, oq_error *err) { return global_pool(call, 1, err); }
