/* Recurrent layers: RNN, GRU, LSTM (opset 7, and 14 with layout), float32, forward / reverse / bidirectional,
 * sequence_lens, initial states, peepholes, clip, the activation list with alphas/betas, GRU's
 * linear_before_reset and LSTM's input_forget. The input projection of all steps is one sgemm; each step adds
 * H_{t-1} R^T (one sgemm) and applies the gates per batch row. */
#define _POSIX_C_SOURCE 200809L /* sched_yield */
#include "kern/sgemm.h"
#include "core/pool.h"
#include "kern/cpu.h"
#include "core/alloc.h"
#include "model/model.h"
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

enum { K_RNN, K_GRU, K_LSTM };
enum { A_SIGMOID, A_TANH, A_RELU, A_AFFINE, A_LEAKY, A_THRESH, A_STANH, A_HSIG, A_ELU, A_SOFTSIGN, A_SOFTPLUS };

typedef struct rnn_act {
  int32_t fn;
  float alpha, beta;
} rnn_act;

typedef struct rnn_params {
  int32_t kind, n_dirs, reverse, layout;
  int64_t hidden, linear_before_reset, input_forget;
  float clip;     /* 0: none */
  rnn_act act[6]; /* per direction: f, g, h (RNN: f only) */
  /* LSTM whose R is an initializer of the main graph: R^T packed for the batch-1 path (lstm_pack_rt), filled by the
   * first run and kept, since R never changes. Lives in the same allocation as the params (freed with them). */
  struct rnn_rt_cache *cache;
  float *rt;     /* n_dirs * hidden * rt_gp floats */
  int64_t rt_gp; /* its row width */
  /* W an initializer of the main graph: W^T per direction ([input, gates * hidden] row-major), filled by the first
   * run, so the input projection reads it in place instead of packing W every run (same bits: same values, same
   * sums). Same allocation. NULL when W is not constant. */
  float *wt;
  int64_t wt_in; /* its input size (W's last extent) */
} rnn_params;

typedef struct rnn_rt_cache {
  const void *r_data; /* R's bytes the packing was made from; NULL before the first run */
  const void *w_data; /* W's bytes wt was made from; NULL before the first run */
} rnn_rt_cache;

#define LSTM_UNIT     16        /* hidden units per split item: whole vectors */
#define LSTM_MIN_WORK 2097152.0 /* multiply-adds of one step below which it runs on one thread */
/* multiply-adds of one batch-1 step from which the whole sequence runs in one parallel region (lstm_seq): the
 * steps then synchronize through two atomic counters, not a parallel_for each (about 10 us on 2 shared vCPUs) */
#define LSTM_SEQ_MIN_WORK 65536.0
/* R^T columns per panel: a panel's rows (one per hidden input k) lie one after the other, so the recurrent product
 * streams each panel from memory in order (one row per 4 KiB page, as R^T was stored before, defeated the
 * prefetcher: 21 us -> see docs/performance.md per 256 x 1024 product) */
#define LSTM_PANEL 128

static const struct {
  const char *name;
  int32_t fn, n_params;
  float da, db;
} k_acts[] = {{"Sigmoid", A_SIGMOID, 0, 0, 0},
              {"Tanh", A_TANH, 0, 0, 0},
              {"Relu", A_RELU, 0, 0, 0},
              {"Affine", A_AFFINE, 2, 1, 0},
              {"LeakyRelu", A_LEAKY, 1, 0.01f, 0},
              {"ThresholdedRelu", A_THRESH, 1, 1, 0},
              {"ScaledTanh", A_STANH, 2, 1, 1},
              {"HardSigmoid", A_HSIG, 2, 0.2f, 0.5f},
              {"Elu", A_ELU, 1, 1, 0},
              {"Softsign", A_SOFTSIGN, 0, 0, 0},
              {"Softplus", A_SOFTPLUS, 0, 0, 0}};

/* Activation names compare case-insensitively (exporters differ in case). */
static int same_name(const ProtobufCBinaryData *s, const char *name) {
  for (size_t i = 0; i < s->len; i++) {
    int a = s->data[i], b = (unsigned char)name[i];
    if (a >= 'A' && a <= 'Z') a += 32;
    if (b >= 'A' && b <= 'Z') b += 32;
    if (a != b) return 0;
  }
  return 1;
}

oq_status oq_op_rnn_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  const Onnx__NodeProto *n = ctx->node->proto;
  rnn_params *p = oq_calloc(1, sizeof *p, err), *big;
  if (!p) return OQ_ERR_NOMEM;
  p->kind = strcmp(n->op_type, "LSTM") == 0 ? K_LSTM : strcmp(n->op_type, "GRU") == 0 ? K_GRU : K_RNN;
  OQ_CHECK(oq_attr_int(n, "hidden_size", 0, &p->hidden, err));
  if (p->hidden < 1) OQ_FAIL(err, OQ_ERR_MODEL, "hidden_size must be given and >= 1");
  OQ_CHECK(oq_attr_int(n, "linear_before_reset", 0, &p->linear_before_reset, err));
  OQ_CHECK(oq_attr_int(n, "input_forget", 0, &p->input_forget, err));
  int64_t layout;
  OQ_CHECK(oq_attr_int(n, "layout", 0, &layout, err));
  p->layout = layout != 0;
  OQ_CHECK(oq_attr_float(n, "clip", 0.0f, &p->clip, err));
  if (p->clip < 0) OQ_FAIL(err, OQ_ERR_MODEL, "clip must be >= 0");
  const char *s;
  size_t len;
  OQ_CHECK(oq_attr_string(n, "direction", "forward", &s, &len, err));
  if (len == 7 && memcmp(s, "forward", 7) == 0)
    p->n_dirs = 1;
  else if (len == 7 && memcmp(s, "reverse", 7) == 0)
    p->n_dirs = 1, p->reverse = 1;
  else if (len == 13 && memcmp(s, "bidirectional", 13) == 0)
    p->n_dirs = 2;
  else
    OQ_FAIL(err, OQ_ERR_MODEL, "direction '%.*s' is invalid", (int)len, s);
  int32_t per_dir = p->kind == K_RNN ? 1 : p->kind == K_GRU ? 2 : 3;
  static const int32_t dflt[3] = {A_SIGMOID, A_TANH, A_TANH};
  for (int32_t d = 0; d < p->n_dirs; d++)
    for (int32_t k = 0; k < per_dir; k++) p->act[d * 3 + k].fn = p->kind == K_RNN ? A_TANH : dflt[k];
  const Onnx__AttributeProto *acts = oq_attr_find(n, "activations");
  if (acts) {
    const float *al = NULL, *be = NULL;
    size_t nal = 0, nbe = 0, ia = 0, ib = 0;
    OQ_CHECK(oq_attr_floats(n, "activation_alpha", &al, &nal, err));
    OQ_CHECK(oq_attr_floats(n, "activation_beta", &be, &nbe, err));
    if (acts->n_strings != (size_t)(per_dir * p->n_dirs))
      OQ_FAIL(err, OQ_ERR_MODEL, "activations must list %d functions", (int)(per_dir * p->n_dirs));
    for (size_t i = 0; i < acts->n_strings; i++) {
      const ProtobufCBinaryData *str = &acts->strings[i];
      size_t k = 0, nk = sizeof k_acts / sizeof k_acts[0];
      while (k < nk && !(strlen(k_acts[k].name) == str->len && same_name(str, k_acts[k].name))) k++;
      if (k == nk)
        OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "activation '%.*s' is not supported", (int)str->len, (const char *)str->data);
      rnn_act *a = &p->act[(i / (size_t)per_dir) * 3 + i % (size_t)per_dir];
      a->fn = k_acts[k].fn;
      a->alpha = k_acts[k].da;
      a->beta = k_acts[k].db;
      if (k_acts[k].n_params >= 1 && ia < nal) a->alpha = al[ia++];
      if (k_acts[k].n_params >= 2 && ib < nbe) a->beta = be[ib++];
    }
  }
  {
    /* room for the packed R^T and W^T after the params; none (no memory, or sizes out of range) is no error: the
     * runs then pack per call */
    int64_t gp = 0, in = 0, ng = p->kind == K_RNN ? 1 : p->kind == K_GRU ? 3 : 4;
    size_t head = (sizeof *p + sizeof(rnn_rt_cache) + 63) / 64 * 64, rt_bytes = 0, wt_bytes = 0, total;
    const Onnx__TensorProto *wi = oq_init_const_input(ctx, 1);
    if (p->kind == K_LSTM && oq_init_const_input(ctx, 2) && p->hidden <= (INT64_C(1) << 20)) {
      gp = (p->hidden + LSTM_UNIT - 1) / LSTM_UNIT * 4 * LSTM_UNIT;
      if (!oq_size_mul((size_t)p->n_dirs * (size_t)p->hidden, (size_t)gp, &rt_bytes) ||
          !oq_size_mul(rt_bytes, sizeof(float), &rt_bytes))
        gp = 0, rt_bytes = 0;
    }
    if (wi && wi->n_dims == 3 && wi->dims[2] > 0 && wi->dims[2] <= (INT64_C(1) << 24) &&
        p->hidden <= (INT64_C(1) << 20)) {
      in = wi->dims[2];
      if (!oq_size_mul((size_t)p->n_dirs * (size_t)(ng * p->hidden), (size_t)in, &wt_bytes) ||
          !oq_size_mul(wt_bytes, sizeof(float), &wt_bytes))
        in = 0, wt_bytes = 0;
    }
    if ((gp || in) && oq_size_add(head, rt_bytes, &total) && oq_size_add(total, wt_bytes, &total) &&
        (big = oq_mem_realloc(p, total)) != NULL) {
      p = big;
      p->cache = (rnn_rt_cache *)(void *)((char *)p + sizeof *p);
      p->cache->r_data = NULL;
      p->cache->w_data = NULL;
      p->rt = gp ? (float *)(void *)((char *)p + head) : NULL;
      p->rt_gp = gp;
      p->wt = in ? (float *)(void *)((char *)p + head + rt_bytes) : NULL;
      p->wt_in = in;
    }
  }
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

static float act(const rnn_act *a, float x) {
  switch (a->fn) {
  case A_SIGMOID: return 1.0f / (1.0f + expf(-x));
  case A_TANH: return tanhf(x);
  case A_RELU: return x > 0 ? x : 0;
  case A_AFFINE: return a->alpha * x + a->beta;
  case A_LEAKY: return x >= 0 ? x : a->alpha * x;
  case A_THRESH: return x > a->alpha ? x : 0;
  case A_STANH: return a->alpha * tanhf(a->beta * x);
  case A_HSIG: {
    float v = a->alpha * x + a->beta;
    return v < 0 ? 0 : v > 1 ? 1 : v;
  }
  case A_ELU: return x >= 0 ? x : a->alpha * (expf(x) - 1);
  case A_SOFTSIGN: return x / (1 + fabsf(x));
  default: return log1pf(expf(x));
  }
}

static float clipv(float v, float c) { return c > 0 ? (v > c ? c : v < -c ? -c : v) : v; }

/* x[i] = act(clip(x[i])) in place: the SIMD level's sigmoid/tanh (kern/cpu.h) unless reference is set. */
static void act_vec(const rnn_act *a, float clip, int reference, float *x, int64_t n) {
  if (clip > 0)
    for (int64_t i = 0; i < n; i++) x[i] = clipv(x[i], clip);
  if (!reference && (a->fn == A_SIGMOID || a->fn == A_TANH)) {
    const oq_simd *s = oq_simd_get();
    (a->fn == A_SIGMOID ? s->sigmoid : s->tanh)(x, x, (size_t)n);
    return;
  }
  for (int64_t i = 0; i < n; i++) x[i] = act(a, x[i]);
}

/* The LSTM step's elementwise loops with SSE (x86-64's baseline; GCC at -O2 leaves these scalar): the same IEEE
 * operations in the same order as the scalar tails. */
#if defined(__SSE2__)
#define V4(p) _mm_loadu_ps(p)
#endif

/* pre = x + pre + b (b NULL: x + pre) */
static void lstm_pre(float *pre, const float *x, const float *b, int64_t n) {
  int64_t k = 0;
#if defined(__SSE2__)
  if (b)
    for (; k + 4 <= n; k += 4) _mm_storeu_ps(pre + k, _mm_add_ps(_mm_add_ps(V4(x + k), V4(pre + k)), V4(b + k)));
  else
    for (; k + 4 <= n; k += 4) _mm_storeu_ps(pre + k, _mm_add_ps(V4(x + k), V4(pre + k)));
#endif
  for (; k < n; k++) pre[k] = b ? x[k] + pre[k] + b[k] : x[k] + pre[k];
}

/* c = f * c + i * g, and g = the new c */
static void lstm_cell(const float *f, const float *i, float *g, float *c, int64_t n) {
  int64_t k = 0;
#if defined(__SSE2__)
  for (; k + 4 <= n; k += 4) {
    __m128 cn = _mm_add_ps(_mm_mul_ps(V4(f + k), V4(c + k)), _mm_mul_ps(V4(i + k), V4(g + k)));
    _mm_storeu_ps(c + k, cn);
    _mm_storeu_ps(g + k, cn);
  }
#endif
  for (; k < n; k++) {
    float cn = f[k] * c[k] + i[k] * g[k];
    c[k] = cn;
    g[k] = cn;
  }
}

/* h = o * t */
static void lstm_out(float *h, const float *o, const float *t, int64_t n) {
  int64_t k = 0;
#if defined(__SSE2__)
  for (; k + 4 <= n; k += 4) _mm_storeu_ps(h + k, _mm_mul_ps(V4(o + k), V4(t + k)));
#endif
  for (; k < n; k++) h[k] = o[k] * t[k];
}

/* One LSTM time step over hidden units [j0, j1) of every batch row: hr holds H_{t-1} R^T for those units unless
 * fused is set (then the chunk computes them itself: batch 1, the small sgemm path needs no packing). Reads h,
 * writes hn (double buffered, since other chunks still read h), c and Y. Each unit's arithmetic does not depend on
 * the split, so every thread count gives the same bits. */
typedef struct lstm_job {
  const rnn_params *p;
  const rnn_act *fa, *ga, *ha;
  int64_t T, B, H, D, d, step;
  int rev, fused, reference;
  const float *xw, *rd, *wb, *rb, *pd;
  float *h;
  const oq_tensor *lens;
  float *hr, *hn, *c, *Y;
  const float *bsum; /* Wb + Rb, NULL without B */
  float *rt, *acc;   /* fused: R^T with columns grouped per unit block [block][gate][LSTM_UNIT], gp wide; its sums */
  int64_t gp;
  /* lstm_seq: the whole sequence in one parallel region, items_per_step items per step */
  int64_t n_blocks, items_per_step;
  float *hbuf[2];              /* h of even / odd steps (double buffered) */
  atomic_llong *ticket, *done; /* next (step, item) to take; items finished */
} lstm_job;

/* Unit block u's column 0 in the packed R^T, and the row stride of its panel: panel q holds columns
 * [q * LSTM_PANEL, q * LSTM_PANEL + width) of every row, width LSTM_PANEL except for a narrower last panel. */
static float *rt_block(const float *rt, int64_t H, int64_t GP, int64_t u, int64_t *stride) {
  int64_t c = u * 4 * LSTM_UNIT, q = c / LSTM_PANEL, w = GP - q * LSTM_PANEL;
  *stride = w < LSTM_PANEL ? w : LSTM_PANEL;
  return (float *)rt + q * LSTM_PANEL * H + (c - q * LSTM_PANEL);
}

/* R^T packed: column (u * 4 + g) * LSTM_UNIT + l of row k is R[g * H + u * LSTM_UNIT + l][k], zero past H (every
 * unit block's four gates are one contiguous run of columns), stored in panels (rt_block). */
static oq_status lstm_pack_rt(void *ctx, int64_t u0, int64_t u1) {
  const lstm_job *j = ctx;
  int64_t H = j->H, GP = j->gp, ld;
  for (int64_t u = u0; u < u1; u++) {
    float *blk = rt_block(j->rt, H, GP, u, &ld);
    for (int64_t g = 0; g < 4; g++) {
      float *dst = blk + g * LSTM_UNIT;
      for (int64_t k = 0; k < H; k++)
        for (int64_t l = 0; l < LSTM_UNIT; l++) {
          int64_t row = u * LSTM_UNIT + l;
          dst[k * ld + l] = row < H ? j->rd[(g * H + row) * H + k] : 0.0f;
        }
    }
  }
  return OQ_OK;
}

static void lstm_units_at(const lstm_job *j, int64_t step, const float *h, float *hn, int64_t u0, int64_t u1);

static oq_status lstm_units(void *ctx, int64_t u0, int64_t u1) {
  const lstm_job *j = ctx;
  lstm_units_at(j, j->step, j->h, j->hn, u0, u1);
  return OQ_OK;
}

/* The whole sequence of a batch-1 LSTM: every thread takes tickets in order, ticket t being item t % items_per_step
 * (a fixed range of unit blocks) of step t / items_per_step, and waits before it until every item of the earlier
 * steps is done. A ticket is only taken by a running thread and waits only for smaller tickets, so the loop ends
 * however many threads join (one does it all). Each item's arithmetic is that of lstm_units: the same bits for
 * every thread count. */
static oq_status lstm_seq(void *ctx, int64_t b0, int64_t b1) {
  (void)b0;
  (void)b1;
  const lstm_job *j = ctx;
  const long long per = (long long)j->items_per_step, total = (long long)j->T * per;
  for (;;) {
    long long t = atomic_fetch_add_explicit(j->ticket, 1, memory_order_relaxed);
    if (t >= total) break;
    long long s = t / per, i = t % per, need = s * per;
    for (unsigned spin = 1; atomic_load_explicit(j->done, memory_order_acquire) < need; spin++) {
#if defined(__SSE2__)
      _mm_pause();
#endif
      if ((spin & 255) == 0) sched_yield(); /* the thread we wait for may share our core */
    }
    int64_t u0 = j->n_blocks * i / per, u1 = j->n_blocks * (i + 1) / per;
    if (u1 > u0) lstm_units_at(j, s, j->hbuf[s & 1], j->hbuf[(s + 1) & 1], u0, u1);
    atomic_fetch_add_explicit(j->done, 1, memory_order_release);
  }
  return OQ_OK;
}

static void lstm_units_at(const lstm_job *j, int64_t step, const float *h, float *hn, int64_t u0, int64_t u1) {
  const rnn_params *p = j->p;
  int64_t H = j->H, GH = 4 * H, B = j->B, T = j->T;
  int64_t j0 = u0 * LSTM_UNIT, j1 = u1 * LSTM_UNIT < H ? u1 * LSTM_UNIT : H, n = j1 - j0;
  if (j->fused) { /* acc[c0, c1) = sum over k of h[k] * rt[k][c0, c1), k in order: the same bits for any split */
    const int64_t per_panel = LSTM_PANEL / (4 * LSTM_UNIT);
    for (int64_t u = u0, ue, ld; u < u1; u = ue) { /* the part of each panel in [u0, u1) */
      ue = (u / per_panel + 1) * per_panel;
      ue = ue < u1 ? ue : u1;
      const float *blk = rt_block(j->rt, H, j->gp, u, &ld);
      oq_simd_get()->gemv(h, (size_t)H, blk, (size_t)ld, j->acc + u * 4 * LSTM_UNIT,
                          (size_t)((ue - u) * 4 * LSTM_UNIT));
    }
    for (int64_t u = u0; u < u1; u++) {
      int64_t nu = H - u * LSTM_UNIT < LSTM_UNIT ? H - u * LSTM_UNIT : LSTM_UNIT;
      for (int64_t g = 0; g < 4; g++)
        memcpy(j->hr + g * H + u * LSTM_UNIT, j->acc + (u * 4 + g) * LSTM_UNIT, (size_t)nu * sizeof(float));
    }
  }
  for (int64_t bi = 0; bi < B; bi++) {
    int64_t len = j->lens ? oq_load_i64(j->lens->data, j->lens->dtype, bi) : T;
    const float *hb = h + bi * H;
    float *hnb = hn + bi * H, *cb = j->c + bi * H;
    if (step >= len) { /* finished row: keeps its state */
      memcpy(hnb + j0, hb + j0, (size_t)n * sizeof(float));
      continue;
    }
    int64_t t = j->rev ? len - 1 - step : step;
    const float *xr = j->xw + (p->layout ? bi * T + t : t * B + bi) * GH;
    float *g = j->hr + bi * GH, *gi = g + j0, *go = g + H + j0, *gf = g + 2 * H + j0, *gc = g + 3 * H + j0;
    for (int64_t q = 0; q < 4; q++) /* x W^T + h R^T + (Wb + Rb), the biases summed once per call */
      lstm_pre(g + q * H + j0, xr + q * H + j0, j->bsum ? j->bsum + q * H + j0 : NULL, n);
    const float *cp = cb + j0, *pd = j->pd ? j->pd + j0 : NULL;
    if (pd)
      for (int64_t k = 0; k < n; k++) {
        gi[k] += pd[k] * cp[k];
        gf[k] += pd[2 * H + k] * cp[k];
      }
    act_vec(j->fa, p->clip, j->reference, gi, n);
    if (p->input_forget)
      for (int64_t k = 0; k < n; k++) gf[k] = 1 - gi[k];
    else
      act_vec(j->fa, p->clip, j->reference, gf, n);
    act_vec(j->ga, p->clip, j->reference, gc, n);
    float *cw = cb + j0;
    lstm_cell(gf, gi, gc, cw, n); /* the cell gate is spent: its slot takes the new c, then h(c) */
    if (pd)
      for (int64_t k = 0; k < n; k++) go[k] += pd[H + k] * cw[k];
    act_vec(j->fa, p->clip, j->reference, go, n);
    act_vec(j->ha, 0.0f, j->reference, gc, n);
    lstm_out(hnb + j0, go, gc, n);
    if (j->Y) {
      float *yr = p->layout ? j->Y + ((bi * T + t) * j->D + j->d) * H : j->Y + ((t * j->D + j->d) * B + bi) * H;
      memcpy(yr + j0, hnb + j0, (size_t)n * sizeof(float));
    }
  }
}

oq_status oq_op_rnn_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const rnn_params *p = call->params;
  const oq_tensor *x = call->inputs[0], *w = call->inputs[1], *r = call->inputs[2];
  const oq_tensor *b = oq_kin(call, 3), *lens = oq_kin(call, 4), *h0 = oq_kin(call, 5);
  const oq_tensor *c0 = p->kind == K_LSTM ? oq_kin(call, 6) : NULL, *peep = p->kind == K_LSTM ? oq_kin(call, 7) : NULL;
  const oq_tensor *fl[6] = {x, w, r, b, h0, c0};
  for (int i = 0; i < 6; i++)
    if (fl[i] && fl[i]->dtype != OQ_DTYPE_FLOAT) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "only float32 is supported");
  if (peep && peep->dtype != OQ_DTYPE_FLOAT) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "only float32 is supported");
  if (x->ndim != 3) OQ_FAIL(err, OQ_ERR_SHAPE, "X must be 3-D");
  int64_t T = p->layout ? x->dims[1] : x->dims[0], B = p->layout ? x->dims[0] : x->dims[1], I = x->dims[2];
  int64_t H = p->hidden, D = p->n_dirs, NG = p->kind == K_RNN ? 1 : p->kind == K_GRU ? 3 : 4, GH = NG * H;
  if (w->ndim != 3 || w->dims[0] != D || w->dims[1] != GH || w->dims[2] != I)
    OQ_FAIL(err, OQ_ERR_SHAPE, "W must be [%lld, %lld, %lld]", (long long)D, (long long)GH, (long long)I);
  if (r->ndim != 3 || r->dims[0] != D || r->dims[1] != GH || r->dims[2] != H)
    OQ_FAIL(err, OQ_ERR_SHAPE, "R must be [%lld, %lld, %lld]", (long long)D, (long long)GH, (long long)H);
  if (b && oq_tensor_numel(b) != D * 2 * GH)
    OQ_FAIL(err, OQ_ERR_SHAPE, "B must be [%lld, %lld]", (long long)D, (long long)(2 * GH));
  if (h0 && oq_tensor_numel(h0) != D * B * H) OQ_FAIL(err, OQ_ERR_SHAPE, "initial_h must be [dirs, batch, hidden]");
  if (c0 && oq_tensor_numel(c0) != D * B * H) OQ_FAIL(err, OQ_ERR_SHAPE, "initial_c must be [dirs, batch, hidden]");
  if (peep && oq_tensor_numel(peep) != D * 3 * H) OQ_FAIL(err, OQ_ERR_SHAPE, "P must be [dirs, 3 * hidden]");
  if (lens && (oq_tensor_numel(lens) != B || !oq_dtype_is_numeric(lens->dtype)))
    OQ_FAIL(err, OQ_ERR_SHAPE, "sequence_lens must have batch entries");
  int64_t yd[4], hd[3];
  if (p->layout) {
    yd[0] = B, yd[1] = T, yd[2] = D, yd[3] = H;
    hd[0] = B, hd[1] = D, hd[2] = H;
  } else {
    yd[0] = T, yd[1] = D, yd[2] = B, yd[3] = H;
    hd[0] = D, hd[1] = B, hd[2] = H;
  }
  float *Y = NULL, *Yh = NULL, *Yc = NULL;
  if (call->n_outputs > 0 && call->outputs) {
    OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_FLOAT, 4, yd, err));
    Y = call->outputs[0].data;
  }
  if (call->n_outputs > 1) {
    OQ_CHECK(oq_kout(call, 1, OQ_DTYPE_FLOAT, 3, hd, err));
    Yh = call->outputs[1].data;
  }
  if (call->n_outputs > 2) {
    OQ_CHECK(oq_kout(call, 2, OQ_DTYPE_FLOAT, 3, hd, err));
    Yc = call->outputs[2].data;
  }
  if (Y) memset(Y, 0, call->outputs[0].nbytes);
  /* scratch: xw [T*B, GH], hr [B, GH], h [B, H], c [B, H], xt [B, I] (batch-major copy when layout 0 is strided),
   * pack */
  /* the input projection may split over the pool: one packing slot per chunk */
  int32_t slots = oq_sgemm_slots(oq_threadpool_size(call->pool), (size_t)(T * B), (size_t)GH, (size_t)I, 0);
  size_t TB = (size_t)(T * B), pk1 = oq_sgemm_pack_floats(TB, (size_t)GH, (size_t)I) * (size_t)slots,
         pk2 = oq_sgemm_pack_floats((size_t)B, (size_t)GH, (size_t)H), pk = pk1 > pk2 ? pk1 : pk2;
  /* LSTM at batch 1: R^T per unit block and its sums (lstm_job) */
  int64_t gp = p->kind == K_LSTM && B == 1 ? (H + LSTM_UNIT - 1) / LSTM_UNIT * 4 * LSTM_UNIT : 0;
  size_t rt_floats = 0;
  if (gp && (!oq_size_mul((size_t)H + 1, (size_t)gp, &rt_floats) || rt_floats > SIZE_MAX / 2))
    OQ_FAIL(err, OQ_ERR_NOMEM, "RNN too large");
  size_t floats = TB * (size_t)GH + (size_t)(B * GH) + 3 * (size_t)(B * H) + pk + rt_floats + (size_t)GH;
  size_t bytes;
  if (!oq_size_mul(floats, sizeof(float), &bytes)) OQ_FAIL(err, OQ_ERR_NOMEM, "RNN too large");
  void *scratch;
  OQ_CHECK(oq_kscratch(call, bytes ? bytes : 1, &scratch, err));
  float *xw = scratch, *hr = xw + TB * GH, *h = hr + B * GH, *c = h + B * H, *hn = c + B * H;
  float *rt = hn + B * H + pk, *bsum = rt + rt_floats; /* bsum: LSTM's Wb + Rb */
  oq_sgemm_pack pack = {hn + B * H, pk, 1}, xpack = {hn + B * H, pk1 / (size_t)slots, slots};
  for (int64_t bi = 0; lens && bi < B; bi++) {
    int64_t len = oq_load_i64(lens->data, lens->dtype, bi);
    if (len < 0 || len > T) OQ_FAIL(err, OQ_ERR_SHAPE, "sequence length %lld is out of range", (long long)len);
  }
  const float *xd = x->data;
  int cached = gp && p->rt && p->rt_gp == gp && !call->reference;
  /* W^T of a constant W (rnn_params.wt), made once: the projection then reads B row-major in place */
  int wcached = p->wt && p->wt_in == I && !call->reference && TB && GH;
  if (wcached && p->cache->w_data != w->data) {
    for (int64_t d = 0; d < D; d++) {
      const float *wd = (const float *)w->data + d * GH * I;
      float *wtd = p->wt + (size_t)d * (size_t)I * (size_t)GH;
      for (int64_t q = 0; q < GH; q++)
        for (int64_t i = 0; i < I; i++) wtd[i * GH + q] = wd[q * I + i];
    }
    p->cache->w_data = w->data;
  }
  for (int64_t d = 0; d < D; d++) {
    const float *wd = (const float *)w->data + d * GH * I, *rd = (const float *)r->data + d * GH * H;
    const float *wb = b ? (const float *)b->data + d * 2 * GH : NULL, *rb = wb ? wb + GH : NULL;
    const float *pd = peep ? (const float *)peep->data + d * 3 * H : NULL;
    const rnn_act *fa = &p->act[d * 3], *ga = &p->act[d * 3 + 1], *ha = &p->act[d * 3 + 2];
    int rev = p->reverse || d == 1;
    /* xw rows are (t, b) for layout 0 and (b, t) for layout 1, as X is stored */
    if (TB && GH) {
      if (I == 0)
        memset(xw, 0, TB * (size_t)GH * sizeof(float));
      else if (call->reference)
        oq_sgemm_ref(0, 1, TB, (size_t)GH, (size_t)I, 1.0f, xd, (size_t)I, wd, (size_t)I, 0.0f, xw, (size_t)GH);
      else if (wcached)
        OQ_CHECK(oq_sgemm(call->pool, pk1 ? &xpack : &pack, 0, 0, TB, (size_t)GH, (size_t)I, 1.0f, xd, (size_t)I,
                          p->wt + (size_t)d * (size_t)I * (size_t)GH, (size_t)GH, 0.0f, xw, (size_t)GH, err));
      else
        OQ_CHECK(oq_sgemm(call->pool, pk1 ? &xpack : &pack, 0, 1, TB, (size_t)GH, (size_t)I, 1.0f, xd, (size_t)I, wd,
                          (size_t)I, 0.0f, xw, (size_t)GH, err));
    }
    for (int64_t i = 0; i < B * H; i++) {
      h[i] = h0 ? ((const float *)h0->data)[d * B * H + i] : 0.0f;
      c[i] = c0 ? ((const float *)c0->data)[d * B * H + i] : 0.0f;
    }
    if (p->kind == K_LSTM) {
      /* batch 1 (every product is the small, unpacked path): each chunk multiplies its own units' rows of R */
      int fused = B == 1 && !call->reference && H > 0;
      double work = (double)B * (double)GH * (double)H;
      int64_t items = (H + LSTM_UNIT - 1) / LSTM_UNIT;
      /* a step is split only when its product is large: 64 synchronizations per 32-step sequence cost more than
       * they saved on 2 shared cores at hidden 256 (1.2 ms on 1 thread, 1.6-2.5 ms on 2) */
      int32_t chunks = work < LSTM_MIN_WORK ? 1 : work > LSTM_MIN_WORK * 1024 ? 1024 : (int32_t)(work / LSTM_MIN_WORK);
      lstm_job lj = {p,
                     fa,
                     ga,
                     ha,
                     T,
                     B,
                     H,
                     D,
                     d,
                     0,
                     rev,
                     fused,
                     call->reference,
                     xw,
                     rd,
                     wb,
                     rb,
                     pd,
                     h,
                     lens,
                     hr,
                     hn,
                     c,
                     Y,
                     wb ? bsum : NULL,
                     rt,
                     rt + (size_t)H * (size_t)gp,
                     gp,
                     items,
                     1,
                     {h, hn},
                     NULL,
                     NULL};
      for (int64_t k = 0; wb && k < GH; k++) bsum[k] = wb[k] + rb[k];
      if (fused && cached) { /* R is constant: packed by the first run of the session */
        lj.rt = p->rt + (size_t)d * (size_t)H * (size_t)gp;
        if (p->cache->r_data != r->data) {
          st = oq_parallel_for_max(call->pool, items, chunks, lstm_pack_rt, &lj);
          if (st != OQ_OK) OQ_FAIL(err, st, "LSTM weight packing failed");
        }
      } else if (fused) {
        st = oq_parallel_for_max(call->pool, items, chunks, lstm_pack_rt, &lj);
        if (st != OQ_OK) OQ_FAIL(err, st, "LSTM weight packing failed");
      }
      int32_t threads = oq_threadpool_size(call->pool);
      int seq = fused && threads > 1 && work >= LSTM_SEQ_MIN_WORK && T > 0;
      if (seq) { /* one parallel region for the sequence (lstm_seq) */
        atomic_llong ticket, done;
        atomic_init(&ticket, 0);
        atomic_init(&done, 0);
        lj.ticket = &ticket;
        lj.done = &done;
        lj.items_per_step = 4 * (int64_t)threads < items ? 4 * (int64_t)threads : items;
        st = oq_parallel_for_max(call->pool, threads, threads, lstm_seq, &lj);
        if (st != OQ_OK) OQ_FAIL(err, st, "LSTM step failed");
        lj.h = T % 2 ? hn : h; /* the state after the last step */
      }
      for (int64_t step = 0; !seq && step < T; step++) {
        if (!fused) {
          if (B && GH && H) {
            if (call->reference)
              oq_sgemm_ref(0, 1, (size_t)B, (size_t)GH, (size_t)H, 1.0f, lj.h, (size_t)H, rd, (size_t)H, 0.0f, hr,
                           (size_t)GH);
            else
              OQ_CHECK(oq_sgemm(NULL, &pack, 0, 1, (size_t)B, (size_t)GH, (size_t)H, 1.0f, lj.h, (size_t)H, rd,
                                (size_t)H, 0.0f, hr, (size_t)GH, err));
          } else {
            memset(hr, 0, (size_t)(B * GH) * sizeof(float));
          }
        }
        lj.step = step;
        st = oq_parallel_for_max(call->pool, items, chunks, lstm_units, &lj);
        if (st != OQ_OK) OQ_FAIL(err, st, "LSTM step failed");
        float *tmp = lj.hn; /* the new state becomes the previous one */
        lj.hn = lj.h;
        lj.h = tmp;
      }
      if (lj.h != h) memcpy(h, lj.h, (size_t)(B * H) * sizeof(float));
    }
    for (int64_t step = 0; p->kind != K_LSTM && step < T; step++) {
      if (B && GH && H) {
        if (call->reference)
          oq_sgemm_ref(0, 1, (size_t)B, (size_t)GH, (size_t)H, 1.0f, h, (size_t)H, rd, (size_t)H, 0.0f, hr, (size_t)GH);
        else
          OQ_CHECK(oq_sgemm(NULL, &pack, 0, 1, (size_t)B, (size_t)GH, (size_t)H, 1.0f, h, (size_t)H, rd, (size_t)H,
                            0.0f, hr, (size_t)GH, err));
      } else {
        memset(hr, 0, (size_t)(B * GH) * sizeof(float));
      }
      for (int64_t bi = 0; bi < B; bi++) {
        int64_t len = lens ? oq_load_i64(lens->data, lens->dtype, bi) : T;
        if (step >= len) continue;
        int64_t t = rev ? len - 1 - step : step;
        const float *xr = xw + (p->layout ? bi * T + t : t * B + bi) * GH, *hrr = hr + bi * GH;
        float *hb = h + bi * H;
        if (p->kind == K_RNN) {
          for (int64_t j = 0; j < H; j++) {
            float v = xr[j] + hrr[j] + (wb ? wb[j] + rb[j] : 0);
            hb[j] = act(fa, clipv(v, p->clip));
          }
        } else {
          float *zr = hr + bi * GH, *hnb = hn + bi * H;
          for (int64_t j = 0; j < H; j++) {
            float z = act(fa, clipv(xr[j] + hrr[j] + (wb ? wb[j] + rb[j] : 0), p->clip));
            float rr = act(fa, clipv(xr[H + j] + hrr[H + j] + (wb ? wb[H + j] + rb[H + j] : 0), p->clip));
            if (p->linear_before_reset)
              hnb[j] = xr[2 * H + j] + (wb ? wb[2 * H + j] : 0) + rr * (hrr[2 * H + j] + (rb ? rb[2 * H + j] : 0));
            zr[j] = z; /* z and r replace their consumed projections */
            zr[H + j] = rr;
          }
          if (!p->linear_before_reset) /* (r . H_{t-1}) R_h^T needs r first */
            for (int64_t j = 0; j < H; j++) {
              double acc = 0;
              for (int64_t k = 0; k < H; k++) acc += (double)(zr[H + k] * hb[k]) * rd[(2 * H + j) * H + k];
              hnb[j] = xr[2 * H + j] + (wb ? wb[2 * H + j] + rb[2 * H + j] : 0) + (float)acc;
            }
          for (int64_t j = 0; j < H; j++) {
            float hh = act(ga, clipv(hnb[j], p->clip)), z = zr[j];
            hnb[j] = (1 - z) * hh + z * hb[j];
          }
          memcpy(hb, hnb, (size_t)H * sizeof(float));
        }
        if (Y) {
          float *yr = p->layout ? Y + ((bi * T + t) * D + d) * H : Y + ((t * D + d) * B + bi) * H;
          memcpy(yr, hb, (size_t)H * sizeof(float));
        }
      }
    }
    if (cached && d == D - 1) p->cache->r_data = r->data; /* every direction is packed now */
    for (int64_t bi = 0; bi < B; bi++) {
      float *yh = Yh ? (p->layout ? Yh + (bi * D + d) * H : Yh + (d * B + bi) * H) : NULL;
      float *yc = Yc ? (p->layout ? Yc + (bi * D + d) * H : Yc + (d * B + bi) * H) : NULL;
      if (yh) memcpy(yh, h + bi * H, (size_t)H * sizeof(float));
      if (yc) memcpy(yc, c + bi * H, (size_t)H * sizeof(float));
    }
  }
  return OQ_OK;
fail:
  return st;
}
