/* MaxPool (float32, int8, uint8), AveragePool (float32), GlobalAveragePool, GlobalMaxPool. Windows follow
 * oq_window_resolve (explicit pads or auto_pad, strides, dilations, ceil_mode; kern/window.c). MaxPool ignores
 * padded taps; AveragePool divides by the taps inside the input, or with count_include_pad by the taps inside
 * input + pads (taps that ceil_mode pushes past the end padding never count). */
#include "core/pool.h"
#include "ops/kernels.h"
#include "ops/nn.h"
#include "ops/tensor_util.h"
#include "kern/cpu.h"

#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stdatomic.h>
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
    if (so != 0 && so != 1) OQ_FAIL(err, OQ_ERR_MODEL, "storage_order must be 0 or 1 (got %lld)", (long long)so);
    p->storage_order = (int32_t)so;
  }
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

oq_status oq_op_maxpool_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  return pool_init(ctx, 0, params, err);
}

oq_status oq_op_avgpool_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  return pool_init(ctx, 1, params, err);
}

/* Window taps one pool may visit: 4096 per input element, and at least 2^30. A real pool visits each element about
 * (kernel area / stride area) times, a few to a few hundred; a window thousands wide over padding with stride 1
 * visits each element of a 32x32 image millions of times (hours of work). */
#define POOL_VISITS_PER_ELEMENT 4096.0
#define POOL_MIN_VISIT_LIMIT    ((double)((int64_t)1 << 30))

/* Checks X and resolves the window; gives Y's shape and the visit count. Shared by exec, infer and workspace. */
static oq_status pool_geometry(const oq_pool_params *p, const oq_tensor *x, oq_window_geom *g, int64_t *ydims,
                               oq_error *err) {
  if (x->ndim < 3) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "input X has rank %d, pooling needs at least 3", (int)x->ndim);
  int32_t nd = x->ndim - 2;
  oq_status st = oq_nn_check_dims(x, "X", err);
  if (st != OQ_OK) return st;
  st = oq_window_resolve(&p->win, nd, x->dims + 2, NULL, g, err);
  if (st != OQ_OK) return st;
  double limit = POOL_VISITS_PER_ELEMENT * (double)oq_tensor_numel(x);
  if (limit < POOL_MIN_VISIT_LIMIT) limit = POOL_MIN_VISIT_LIMIT;
  double visits = (double)x->dims[0] * (double)x->dims[1] * oq_window_visits(g, limit);
  if (visits > limit)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED,
                  "the pooling windows would visit %.3g input elements, more than the limit of %.3g (4096 per "
                  "element of X): a window far wider than the input?",
                  visits, limit);
  ydims[0] = x->dims[0];
  ydims[1] = x->dims[1];
  for (int32_t i = 0; i < nd; i++) ydims[i + 2] = g->out[i];
  return OQ_OK;
}

/* Checks X, resolves the window and allocates Y [N, C, out...]. planes = N*C. */
static oq_status pool_setup(const oq_kernel_call *call, const oq_pool_params *p, oq_window_geom *g, int64_t *planes,
                            int64_t *in_sp, int64_t *out_sp, oq_error *err) {
  const oq_tensor *x = call->inputs[0];
  int64_t ydims[OQ_MAX_DIMS];
  oq_status st = pool_geometry(p, x, g, ydims, err);
  if (st != OQ_OK) return st;
  st = oq_kout(call, 0, x->dtype, x->ndim, ydims, err);
  if (st != OQ_OK) return st;
  *planes = *in_sp = *out_sp = 0;
  if (call->outputs[0].nbytes == 0) return OQ_OK; /* callers stop here; the products below need a non-empty Y */
  *planes = x->dims[0] * x->dims[1];
  *in_sp = 1;
  *out_sp = 1;
  for (int32_t i = 0; i < g->nd; i++) {
    *in_sp *= g->in[i];
    *out_sp *= g->out[i];
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
  int64_t *taps;             /* borrowed scratch: one tap buffer of kprod entries per slot */
  atomic_int next_slot;      /* slots claimed by running chunks */
  int64_t *indices;          /* MaxPool's Indices output, NULL when not asked for */
  int32_t storage_order;     /* 1: Indices column-major within a plane */
  int64_t planes;            /* image * channel planes */
  int64_t bands;             /* the separable float MaxPool: bands of output rows (items band * planes + plane) */
} pool_job;

/* MaxPool with Indices: per output, the first in-bounds tap (window order) holding the maximum (NaN never wins),
 * and its index into X: the plane's start plus the tap's offset, row-major or (storage_order 1) column-major. */
#define MAXPOOL_ARG_LOOP(T, LOWEST)                                                                                    \
  do {                                                                                                                 \
    const T *xd = j->x;                                                                                                \
    T *yd = j->y;                                                                                                      \
    int64_t o[OQ_MAX_DIMS] = {0};                                                                                      \
    for (int64_t op = 0; op < j->out_sp; op++) {                                                                       \
      int64_t padded;                                                                                                  \
      int64_t kprod = oq_window_taps(j->g, o, taps, &padded);                                                          \
      for (int64_t pl = pl0; pl < pl1; pl++) {                                                                         \
        const T *xp = xd + pl * j->in_sp;                                                                              \
        T best = LOWEST;                                                                                               \
        int64_t at = kprod > 0 ? taps[0] : 0;                                                                          \
        for (int64_t t = 0; t < kprod; t++)                                                                            \
          if (xp[taps[t]] > best) {                                                                                    \
            best = xp[taps[t]];                                                                                        \
            at = taps[t];                                                                                              \
          }                                                                                                            \
        yd[pl * j->out_sp + op] = best;                                                                                \
        j->indices[pl * j->out_sp + op] = pl * j->in_sp + (j->storage_order ? col_major(j->g, at) : at);               \
      }                                                                                                                \
      oq_window_next(j->g, o);                                                                                         \
    }                                                                                                                  \
  } while (0)

/* The column-major offset of the row-major offset off within one plane. */
static int64_t col_major(const oq_window_geom *g, int64_t off) {
  int64_t c[OQ_MAX_DIMS], r = 0;
  for (int32_t i = g->nd - 1; i >= 0; i--) {
    c[i] = off % g->in[i];
    off /= g->in[i];
  }
  for (int32_t i = g->nd - 1; i >= 0; i--) r = r * g->in[i] + c[i];
  return r;
}

#define MAXPOOL_LOOP(T, LOWEST)                                                                                        \
  do {                                                                                                                 \
    const T *xd = j->x;                                                                                                \
    T *yd = j->y;                                                                                                      \
    int64_t o[OQ_MAX_DIMS] = {0};                                                                                      \
    for (int64_t op = 0; op < j->out_sp; op++) {                                                                       \
      int64_t padded;                                                                                                  \
      int64_t kprod = oq_window_taps(j->g, o, taps, &padded);                                                          \
      for (int64_t pl = pl0; pl < pl1; pl++) {                                                                         \
        const T *xp = xd + pl * j->in_sp;                                                                              \
        T best = LOWEST;                                                                                               \
        for (int64_t t = 0; t < kprod; t++)                                                                            \
          if (taps[t] >= 0 && xp[taps[t]] > best) best = xp[taps[t]];                                                  \
        yd[pl * j->out_sp + op] = best;                                                                                \
      }                                                                                                                \
      oq_window_next(j->g, o);                                                                                         \
    }                                                                                                                  \
  } while (0)

/* vm[i] = x[i] > vm[i] ? x[i] : vm[i]: MAXPS is exactly that expression (NaN in x never wins). */
static void max_row(float *vm, const float *x, int64_t n) {
  int64_t i = 0;
#if defined(__SSE2__)
  for (; i + 8 <= n; i += 8) {
    _mm_storeu_ps(vm + i, _mm_max_ps(_mm_loadu_ps(x + i), _mm_loadu_ps(vm + i)));
    _mm_storeu_ps(vm + i + 4, _mm_max_ps(_mm_loadu_ps(x + i + 4), _mm_loadu_ps(vm + i + 4)));
  }
#endif
  for (; i < n; i++) vm[i] = x[i] > vm[i] ? x[i] : vm[i];
}

/* Float MaxPool over 1 or 2 spatial dims, separably: for each output row, the column-wise maximum of its in-bounds
 * input rows (contiguous, so it vectorizes), then each output takes the maximum of its in-bounds columns of that
 * row. A maximum does not depend on the order of its comparisons (NaN never wins a `>`, so it is skipped in any
 * order), except which of +0 and -0 survives a tie. vm: IW floats of scratch. */
static void maxpool_rows(const oq_window_geom *g, const float *xp, float *yp, float *vm, int64_t oh0, int64_t oh1) {
  int two = g->nd == 2;
  int64_t IH = two ? g->in[0] : 1, IW = g->in[g->nd - 1], OH = two ? g->out[0] : 1, OW = g->out[g->nd - 1];
  int64_t KH = two ? g->k[0] : 1, KW = g->k[g->nd - 1];
  int64_t sh = two ? g->s[0] : 1, sw = g->s[g->nd - 1], dh = two ? g->d[0] : 1, dw = g->d[g->nd - 1];
  int64_t pt = two ? g->pb[0] : 0, pl = g->pb[g->nd - 1];
  if (oh1 > OH) oh1 = OH;
  for (int64_t oh = oh0; oh < oh1; oh++) {
    float *yr = yp + oh * OW;
    int any = 0;
    const float *rows[16];
    size_t nr = 0;
    for (int64_t kh = 0; kh < KH; kh++) {
      int64_t ih = oh * sh + kh * dh - pt;
      if (ih < 0 || ih >= IH) continue;
      const float *xr = xp + ih * IW;
      if (KH <= 16) { /* the SIMD level's row pass: one pass over the window's rows (kern/cpu.h oq_max_rows_fn) */
        rows[nr++] = xr;
      } else if (!any) {
        memcpy(vm, xr, (size_t)IW * sizeof(float));
      } else {
        max_row(vm, xr, IW);
      }
      any = 1;
    }
    if (nr) oq_simd_get()->max_rows(rows, nr, vm, (size_t)IW);
    /* outputs [o0, o1) have their whole window inside the row: no bounds checks there */
    int64_t ek = (KW - 1) * dw, o0 = (pl + sw - 1) / sw, o1 = IW - 1 - ek + pl < 0 ? 0 : (IW - 1 - ek + pl) / sw + 1;
    if (o1 > OW) o1 = OW;
    if (o0 > o1) o0 = o1;
    for (int64_t ow = 0; ow < OW; ow++) {
      if (ow == o0 && any) {
        if (KW == 3 && dw == 1) { /* the SIMD level's 3-wide row (kern/cpu.h oq_max3_row_fn) */
          oq_simd_get()->max3_row(vm + ow * sw - pl, (size_t)sw, yr + ow, (size_t)(o1 - ow));
          ow = o1;
        } else {
          for (; ow < o1; ow++) {
            const float *v = vm + ow * sw - pl;
            float best = v[0];
            for (int64_t kw = 1; kw < KW; kw++) best = v[kw * dw] > best ? v[kw * dw] : best;
            yr[ow] = best;
          }
        }
        if (ow >= OW) break;
      }
      float best = -INFINITY;
      int64_t b = ow * sw - pl;
      for (int64_t kw = 0; any && kw < KW; kw++) {
        int64_t iw = b + kw * dw;
        if (iw >= 0 && iw < IW && vm[iw] > best) best = vm[iw];
      }
      yr[ow] = best;
    }
  }
}

static oq_status pool_planes(void *ctx, int64_t pl0, int64_t pl1) {
  pool_job *j = ctx;
  int64_t *taps = j->taps + (size_t)atomic_fetch_add(&j->next_slot, 1) * j->kprod;
  if (!j->is_avg && j->indices) {
    if (j->dtype == OQ_DTYPE_FLOAT)
      MAXPOOL_ARG_LOOP(float, -INFINITY);
    else if (j->dtype == OQ_DTYPE_INT8)
      MAXPOOL_ARG_LOOP(int8_t, INT8_MIN);
    else
      MAXPOOL_ARG_LOOP(uint8_t, 0);
    return OQ_OK;
  }
  if (!j->is_avg && j->dtype == OQ_DTYPE_FLOAT && j->g->nd <= 2) { /* the slot is a row of floats here */
    /* items are band * planes + plane (maxpool_bands) */
    int64_t planes = j->planes, oh_n = j->g->nd == 2 ? j->g->out[0] : 1;
    for (int64_t it = pl0; it < pl1; it++) {
      int64_t band = it / planes, p = it % planes;
      maxpool_rows(j->g, (const float *)j->x + p * j->in_sp, (float *)j->y + p * j->out_sp, (float *)(void *)taps,
                   oh_n * band / j->bands, oh_n * (band + 1) / j->bands);
    }
    return OQ_OK;
  }
  if (!j->is_avg) {
    if (j->dtype == OQ_DTYPE_FLOAT)
      MAXPOOL_LOOP(float, -INFINITY);
    else if (j->dtype == OQ_DTYPE_INT8)
      MAXPOOL_LOOP(int8_t, INT8_MIN);
    else
      MAXPOOL_LOOP(uint8_t, 0);
    return OQ_OK;
  }
  const float *xd = j->x;
  float *yd = j->y;
  int64_t o[OQ_MAX_DIMS] = {0};
  for (int64_t op = 0; op < j->out_sp; op++) {
    int64_t padded;
    int64_t kprod = oq_window_taps(j->g, o, taps, &padded);
    int64_t count = j->count_include_pad ? padded : kprod;
    for (int64_t pl = pl0; pl < pl1; pl++) {
      const float *xp = xd + pl * j->in_sp;
      double s = 0.0;
      for (int64_t t = 0; t < kprod; t++)
        if (taps[t] >= 0) s += xp[taps[t]];
      yd[pl * j->out_sp + op] = count > 0 ? (float)(s / (double)count) : 0.0f;
    }
    oq_window_next(j->g, o);
  }
  return OQ_OK;
}

/* Window-element visits below which a chunk is not worth a thread. */
#define POOL_MIN_WORK ((double)(1 << 15))

static int32_t chunks_for(double work, double min_work) {
  double c = work / min_work;
  return c < 1.0 ? 1 : c > OQ_THREADPOOL_MAX ? OQ_THREADPOOL_MAX : (int32_t)c;
}

/* int64 entries of one chunk's scratch slot: the tap buffer, or for the separable float MaxPool an input row of
 * floats, whichever is larger. */
static oq_status pool_slot_entries(const oq_window_geom *g, int is_avg, int32_t dtype, size_t *entries, oq_error *err) {
  oq_status st = oq_window_tap_capacity(g, entries, err);
  if (st != OQ_OK) return st;
  if (!is_avg && dtype == OQ_DTYPE_FLOAT && g->nd <= 2) {
    size_t row = ((size_t)g->in[g->nd - 1] + 1) / 2; /* IW floats (g->in is at most 2^40) */
    if (row > *entries) *entries = row;
  }
  /* whole cache lines and one more: the chunks' slots never share a line (the float MaxPool rewrites its row in
   * the slot for every output row; two threads' rows in one line made MaxPool slower on 2 threads than on 1) */
  *entries = (*entries + 7) / 8 * 8 + 8;
  return OQ_OK;
}

/* Chunks a pool call runs in (each needs one tap buffer). */
static int32_t pool_slots(const oq_window_geom *g, int64_t planes, int32_t threads) {
  int32_t c = chunks_for((double)planes * oq_window_visits(g, INFINITY), POOL_MIN_WORK);
  if (c > threads) c = threads;
  if (c > planes) c = (int32_t)planes;
  return c < 1 ? 1 : c;
}

oq_status oq_op_pool_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                           int32_t n_out, oq_error *err) {
  (void)n_in;
  if (!oq_info_known_but_batch(in[0])) return OQ_OK;
  oq_tensor x;
  oq_info_tensor(in[0], &x);
  int batch_unknown = x.dims[0] < 0;
  if (batch_unknown) x.dims[0] = 1; /* the batch goes through unchanged */
  oq_window_geom g;
  int64_t ydims[OQ_MAX_DIMS];
  oq_status st = pool_geometry(params, &x, &g, ydims, err);
  if (batch_unknown) ydims[0] = -1;
  if (st == OQ_OK) oq_info_set(&out[0], x.dtype, x.ndim, ydims);
  if (st == OQ_OK && n_out > 1) oq_info_set(&out[1], OQ_DTYPE_INT64, x.ndim, ydims); /* MaxPool's Indices */
  return st;
}

size_t oq_op_pool_workspace(const void *params, const oq_shape_info *const *in, int32_t n_in, int32_t n_out,
                            int32_t threads) {
  (void)n_out;
  (void)n_in;
  if (!oq_info_known(in[0])) return 0;
  oq_tensor x;
  oq_info_tensor(in[0], &x);
  oq_window_geom g;
  int64_t ydims[OQ_MAX_DIMS];
  oq_error err = {0};
  size_t cap, bytes;
  /* sized as for MaxPool (AveragePool needs no more than that) */
  if (pool_geometry(params, &x, &g, ydims, &err) != OQ_OK || pool_slot_entries(&g, 0, x.dtype, &cap, &err) != OQ_OK)
    return 0;
  for (int32_t i = 0; i < x.ndim; i++)
    if (ydims[i] == 0) return 0;
  int32_t slots = pool_slots(&g, x.dims[0] * x.dims[1], threads);
  if (!oq_size_mul(cap, sizeof(int64_t) * (size_t)slots, &bytes)) return SIZE_MAX;
  return bytes;
}

static oq_status pool_exec(const oq_kernel_call *call, int is_avg, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_pool_params *p = call->params;
  const oq_tensor *x = call->inputs[0];
  if (is_avg && x->dtype != OQ_DTYPE_FLOAT)
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "input X has type %s, only float32 is supported", oq_dtype_name(x->dtype));
  if (!is_avg && x->dtype != OQ_DTYPE_FLOAT && x->dtype != OQ_DTYPE_INT8 && x->dtype != OQ_DTYPE_UINT8)
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "input X has type %s; MaxPool supports float32, int8 and uint8",
            oq_dtype_name(x->dtype));
  oq_window_geom g;
  int64_t planes = 0, in_sp = 0, out_sp = 0;
  OQ_CHECK(pool_setup(call, p, &g, &planes, &in_sp, &out_sp, err));
  oq_tensor *y = &call->outputs[0];
  int64_t *indices = NULL;
  if (!is_avg && call->n_outputs > 1) { /* Indices: int64, Y's shape */
    OQ_CHECK(oq_kout(call, 1, OQ_DTYPE_INT64, y->ndim, y->dims, err));
    indices = call->outputs[1].data;
  }
  if (y->nbytes == 0) return OQ_OK;
  pool_job j;
  memset(&j, 0, sizeof j);
  j.g = &g;
  /* an empty X under padding gives windows that are all padding: no tap reads X, but the planes' offsets from
   * its NULL data were undefined (fuzz_quantize: AveragePool of a [2,3,4,4,0] input with end pads) */
  static const int64_t k_no_data[1];
  j.x = x->data ? x->data : (const void *)k_no_data;
  j.y = y->data;
  j.dtype = x->dtype;
  j.is_avg = is_avg;
  j.count_include_pad = p->count_include_pad;
  j.in_sp = in_sp;
  j.out_sp = out_sp;
  j.indices = indices;
  j.storage_order = p->storage_order;
  atomic_init(&j.next_slot, 0);
  OQ_CHECK(pool_slot_entries(&g, is_avg, x->dtype, &j.kprod, err));
  int32_t slots = pool_slots(&g, planes, oq_threadpool_size(call->pool));
  size_t bytes;
  if (!oq_size_mul(j.kprod, sizeof(int64_t) * (size_t)slots, &bytes))
    OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory for the pooling window");
  void *taps;
  OQ_CHECK(oq_kscratch(call, bytes, &taps, err));
  j.taps = taps;
  double work = (double)planes * oq_window_visits(&g, INFINITY);
  j.planes = planes;
  j.bands = 1;
  if (!is_avg && !indices && x->dtype == OQ_DTYPE_FLOAT && g.nd <= 2) {
    /* the separable float MaxPool: thread t takes band t of the output rows of every plane, the part of the map the
     * convolution before it computed on that thread when it split its output by columns (split over planes, each
     * thread read half of its input from the other core's cache: slower on 2 threads than on 1) */
    int64_t oh_n = g.nd == 2 ? g.out[0] : 1;
    j.bands = slots < oh_n ? slots : oh_n;
    OQ_CHECK(oq_parallel_for_max(call->pool, j.bands * planes, slots, pool_planes, &j));
    return OQ_OK;
  }
  OQ_CHECK(oq_parallel_for_max(call->pool, planes, chunks_for(work, POOL_MIN_WORK), pool_planes, &j));
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_maxpool_exec(const oq_kernel_call *call, oq_error *err) { return pool_exec(call, 0, err); }

oq_status oq_op_avgpool_exec(const oq_kernel_call *call, oq_error *err) { return pool_exec(call, 1, err); }

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
    } else { /* the SIMD level's sum (kern/cpu.h oq_sum_d_fn): 8 partial sums in a fixed order, whatever the split */
      double s = oq_simd_get()->sum_d(xp, (size_t)j->sp);
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
  /* an empty window has no maximum or mean; like onnxruntime, only the batch may be empty */
  if (x->dims[0] != 0 && (sp == 0 || x->dims[1] == 0))
    OQ_FAIL(err, OQ_ERR_SHAPE, "input X has an empty extent other than the batch");
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_FLOAT, x->ndim, ydims, err));
  int64_t planes = x->dims[0] * x->dims[1];
  global_job j = {x->data, y->data, sp, is_max};
  oq_parallel_for_max(call->pool, planes, chunks_for((double)planes * (double)sp, POOL_MIN_WORK), global_planes, &j);
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_global_avgpool_exec(const oq_kernel_call *call, oq_error *err) { return global_pool(call, 0, err); }

oq_status oq_op_global_maxpool_exec(const oq_kernel_call *call, oq_error *err) { return global_pool(call, 1, err); }

oq_status oq_op_global_pool_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                                  int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_in;
  (void)n_out;
  (void)err;
  if (!in[0] || in[0]->ndim < 2) return OQ_OK;
  int64_t ydims[OQ_MAX_DIMS];
  for (int32_t i = 0; i < in[0]->ndim; i++) ydims[i] = i < 2 ? in[0]->dims[i] : 1;
  oq_info_set(&out[0], OQ_DTYPE_FLOAT, in[0]->ndim, ydims);
  return OQ_OK;
}
