/* nn kernels: optimized vs reference on random shapes, hand-computed small cases, shape errors. Kernels are called
 * directly with params structs filled here (ops/nn.h); attribute parsing is covered by the ONNX node tests. */
#include "oq_test.h"

#include "ops/kernels.h"
#include "ops/nn.h"
#include "exec/exec.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd(void) {
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(rng_state >> 33);
}
static int64_t rnd_in(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd() % (uint32_t)(hi - lo + 1)); }
static float rnd_f(void) { return (float)((double)rnd() / 2147483648.0 - 1.0); }

static void fill(oq_tensor *t) {
  float *d = t->data;
  for (int64_t i = 0; i < oq_tensor_numel(t); i++) d[i] = rnd_f();
}

static oq_tensor mk(int32_t ndim, const int64_t *dims, const float *vals) {
  oq_tensor t;
  oq_error err = {0};
  if (oq_tensor_alloc(&t, OQ_DTYPE_FLOAT, ndim, dims, &err) != OQ_OK) abort();
  if (vals && t.nbytes)
    memcpy(t.data, vals, t.nbytes);
  else
    fill(&t);
  return t;
}

/* call->reference for the next call1 only (then back to the optimized paths). */
static int32_t g_reference;

static oq_status call1(oq_op_exec_fn fn, const void *params, const oq_tensor **ins, int n_in, oq_tensor *out,
                       oq_error *err) {
  oq_kernel_call c = {params, ins, n_in, out, 1, "test", NULL, g_reference, NULL, NULL, 0, 0.0f, 0.0f};
  g_reference = 0;
  memset(out, 0, sizeof *out);
  return oq_exec_kernel(fn, &c, err);
}

static double max_diff(const oq_tensor *a, const oq_tensor *b) {
  if (a->ndim != b->ndim || a->nbytes != b->nbytes) return INFINITY;
  for (int32_t i = 0; i < a->ndim; i++)
    if (a->dims[i] != b->dims[i]) return INFINITY;
  double m = 0.0;
  const float *x = a->data, *y = b->data;
  for (int64_t i = 0; i < oq_tensor_numel(a); i++) {
    double d = fabs((double)x[i] - (double)y[i]) / (1.0 + fabs((double)y[i]));
    if (!(d <= m)) m = d;
  }
  return m;
}

static void check_values(const oq_tensor *t, const float *want, int64_t n) {
  CHECK(oq_tensor_numel(t) == n);
  const float *d = t->data;
  for (int64_t i = 0; i < n && i < oq_tensor_numel(t); i++) CHECK_NEAR(d[i], want[i], 1e-5);
}

/* ---- Conv ------------------------------------------------------------------------------------------------------ */

OQ_TEST(conv_hand_computed) {
  oq_error err = {0};
  float xv[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9}, wv[4] = {1, 1, 1, 1}, bv[1] = {0.5f};
  int64_t xd[4] = {1, 1, 3, 3}, wd[4] = {1, 1, 2, 2}, bd[1] = {1};
  oq_tensor x = mk(4, xd, xv), w = mk(4, wd, wv), b = mk(1, bd, bv), y;
  const oq_tensor *ins[3] = {&x, &w, &b};
  oq_conv_params p;
  memset(&p, 0, sizeof p);
  p.group = 1;
  REQUIRE_OK(call1(oq_op_conv_exec, &p, ins, 3, &y, &err));
  CHECK(y.ndim == 4 && y.dims[2] == 2 && y.dims[3] == 2);
  float want[4] = {12.5f, 16.5f, 24.5f, 28.5f};
  check_values(&y, want, 4);
  oq_tensor_release(&y);
  /* pads 1, stride 2: corners see a single 2x2 quarter each */
  p.win.n_pads = 4;
  for (int i = 0; i < 4; i++) p.win.pads[i] = 1;
  p.win.n_strides = 2;
  p.win.strides[0] = p.win.strides[1] = 2;
  REQUIRE_OK(call1(oq_op_conv_exec, &p, ins, 2, &y, &err));
  float want2[4] = {1, 5, 11, 28};
  check_values(&y, want2, 4);
  oq_tensor_release(&y);
  oq_tensor_release(&x);
  oq_tensor_release(&w);
  oq_tensor_release(&b);
}

OQ_TEST(conv_matches_reference) {
  oq_error err = {0};
  for (int iter = 0; iter < 60; iter++) {
    int32_t nd = (int32_t)rnd_in(1, 3);
    if (iter < 40 && nd == 3) nd = 2;
    int64_t group = rnd_in(1, 3), cg = rnd_in(1, 4), mg = rnd_in(1, 5);
    if (iter % 10 == 0) { /* depthwise */
      group = rnd_in(2, 8);
      cg = 1;
      mg = 1;
    }
    int64_t xd[5] = {rnd_in(1, 2), group * cg}, wd[5] = {group * mg, cg}, bd[1] = {group * mg};
    oq_conv_params p;
    memset(&p, 0, sizeof p);
    p.group = group;
    p.win.auto_pad = (int32_t)(iter % 4 == 3 ? rnd_in(1, 3) : 0);
    p.win.n_strides = p.win.n_dilations = nd;
    if (p.win.auto_pad == 0) p.win.n_pads = 2 * nd;
    for (int32_t i = 0; i < nd; i++) {
      wd[i + 2] = rnd_in(1, nd == 3 ? 3 : 5);
      p.win.strides[i] = rnd_in(1, 3);
      p.win.dilations[i] = rnd_in(1, 2);
      p.win.pads[i] = rnd_in(0, 2);
      p.win.pads[i + nd] = rnd_in(0, 2);
      xd[i + 2] = (wd[i + 2] - 1) * p.win.dilations[i] + 1 + rnd_in(0, nd == 3 ? 4 : 12);
    }
    oq_tensor x = mk(nd + 2, xd, NULL), w = mk(nd + 2, wd, NULL), b = mk(1, bd, NULL), y1, y2;
    const oq_tensor *ins[3] = {&x, &w, iter % 2 ? &b : NULL};
    REQUIRE_OK(call1(oq_op_conv_exec, &p, ins, 3, &y1, &err));
    g_reference = 1;
    REQUIRE_OK(call1(oq_op_conv_exec, &p, ins, 3, &y2, &err));
    double d = max_diff(&y1, &y2);
    if (d > 1e-5) fprintf(stderr, "iter %d nd %d group %lld: diff %g\n", iter, (int)nd, (long long)group, d);
    CHECK(d <= 1e-5);
    oq_tensor_release(&x);
    oq_tensor_release(&w);
    oq_tensor_release(&b);
    oq_tensor_release(&y1);
    oq_tensor_release(&y2);
  }
}

/* A large image takes the chunked im2col path (column buffer smaller than the output). */
OQ_TEST(conv_chunked_matches_reference) {
  oq_error err = {0};
  int64_t xd[4] = {1, 32, 70, 90}, wd[4] = {8, 32, 3, 3}; /* 288 rows x 6300 columns > budget */
  oq_tensor x = mk(4, xd, NULL), w = mk(4, wd, NULL), y1, y2;
  const oq_tensor *ins[2] = {&x, &w};
  oq_conv_params p;
  memset(&p, 0, sizeof p);
  p.group = 1;
  p.win.auto_pad = OQ_AUTO_PAD_SAME_UPPER;
  REQUIRE_OK(call1(oq_op_conv_exec, &p, ins, 2, &y1, &err));
  g_reference = 1;
  REQUIRE_OK(call1(oq_op_conv_exec, &p, ins, 2, &y2, &err));
  CHECK(y1.dims[2] == 70 && y1.dims[3] == 90);
  CHECK(max_diff(&y1, &y2) <= 1e-5);
  oq_tensor_release(&x);
  oq_tensor_release(&w);
  oq_tensor_release(&y1);
  oq_tensor_release(&y2);
}

/* Pads far wider than the kernel: only the positions whose window reaches the input are computed (the rest is
 * the bias). Checked against a direct loop over every output position and tap, independent of that shortcut. */
static void naive_conv(const oq_window_geom *g, const oq_tensor *x, const oq_tensor *w, const float *b, float *y) {
  int64_t n = x->dims[0], c = x->dims[1], m = w->dims[0], in_sp = 1, out_sp = 1, kprod = 1;
  for (int32_t i = 0; i < g->nd; i++) {
    in_sp *= g->in[i];
    out_sp *= g->out[i];
    kprod *= g->k[i];
  }
  const float *xd = x->data, *wd = w->data;
  for (int64_t img = 0; img < n; img++)
    for (int64_t oc = 0; oc < m; oc++)
      for (int64_t op = 0; op < out_sp; op++) {
        int64_t o[OQ_MAX_DIMS], rem = op;
        for (int32_t i = g->nd - 1; i >= 0; i--) {
          o[i] = rem % g->out[i];
          rem /= g->out[i];
        }
        double acc = b ? b[oc] : 0.0;
        for (int64_t ic = 0; ic < c; ic++)
          for (int64_t t = 0; t < kprod; t++) {
            int64_t kr = t, kidx[OQ_MAX_DIMS], off = 0;
            int in = 1;
            for (int32_t i = g->nd - 1; i >= 0; i--) {
              kidx[i] = kr % g->k[i];
              kr /= g->k[i];
            }
            for (int32_t i = 0; i < g->nd; i++) {
              int64_t ii = o[i] * g->s[i] - g->pb[i] + kidx[i] * g->d[i];
              if (ii < 0 || ii >= g->in[i]) in = 0;
              off = off * g->in[i] + ii;
            }
            if (in) acc += (double)xd[(img * c + ic) * in_sp + off] * (double)wd[(oc * c + ic) * kprod + t];
          }
        y[(img * m + oc) * out_sp + op] = (float)acc;
      }
}

OQ_TEST(conv_wide_padding_matches_naive) {
  oq_error err = {0};
  for (int iter = 0; iter < 40; iter++) {
    int32_t nd = (int32_t)rnd_in(1, 3);
    int64_t xd[5] = {rnd_in(1, 2), rnd_in(1, 3)}, wd[5] = {rnd_in(1, 3), xd[1]}, bd[1] = {wd[0]};
    oq_conv_params p;
    memset(&p, 0, sizeof p);
    p.group = 1;
    p.win.n_strides = p.win.n_dilations = nd;
    p.win.n_pads = 2 * nd;
    for (int32_t i = 0; i < nd; i++) {
      wd[i + 2] = rnd_in(1, 3);
      xd[i + 2] = rnd_in(1, 4);
      p.win.strides[i] = rnd_in(1, 3);
      p.win.dilations[i] = rnd_in(1, 2);
      p.win.pads[i] = rnd_in(0, nd == 3 ? 5 : 9); /* often wider than the kernel */
      p.win.pads[i + nd] = rnd_in(0, nd == 3 ? 5 : 9);
    }
    oq_tensor x = mk(nd + 2, xd, NULL), w = mk(nd + 2, wd, NULL), b = mk(1, bd, NULL), y;
    oq_window_geom g;
    if (oq_window_resolve(&p.win, nd, xd + 2, wd + 2, &g, &err) == OQ_OK) {
      const oq_tensor *ins[3] = {&x, &w, iter % 2 ? &b : NULL};
      for (int ref = 0; ref < 2; ref++) {
        g_reference = ref;
        REQUIRE_OK(call1(oq_op_conv_exec, &p, ins, 3, &y, &err));
        float *want = malloc(y.nbytes);
        naive_conv(&g, &x, &w, iter % 2 ? b.data : NULL, want);
        double d = 0;
        for (int64_t i = 0; i < oq_tensor_numel(&y); i++) {
          double e = fabs((double)((float *)y.data)[i] - (double)want[i]);
          if (e > d) d = e;
        }
        if (d > 1e-5) fprintf(stderr, "iter %d nd %d reference %d: diff %g\n", iter, (int)nd, ref, d);
        CHECK(d <= 1e-5);
        free(want);
        oq_tensor_release(&y);
      }
    }
    oq_tensor_release(&x);
    oq_tensor_release(&w);
    oq_tensor_release(&b);
  }
  /* a 64x64 kernel on a 1x1 input padded by 2^12: 8130^2 outputs, 64^2 of them not just the bias */
  int64_t xd[4] = {1, 1, 1, 1}, wd[4] = {1, 1, 64, 64};
  float one = 1.0f;
  oq_tensor x = mk(4, xd, &one), w = mk(4, wd, NULL), y;
  for (int64_t i = 0; i < 64 * 64; i++) ((float *)w.data)[i] = 1.0f;
  oq_conv_params p;
  memset(&p, 0, sizeof p);
  p.group = 1;
  p.win.n_pads = 4;
  for (int i = 0; i < 4; i++) p.win.pads[i] = 1 << 12;
  const oq_tensor *ins[2] = {&x, &w};
  REQUIRE_OK(call1(oq_op_conv_exec, &p, ins, 2, &y, &err));
  CHECK(y.dims[2] == 8130 && y.dims[3] == 8130);
  double sum = 0;
  for (int64_t i = 0; i < oq_tensor_numel(&y); i++) sum += ((float *)y.data)[i];
  CHECK(sum == 4096.0);
  oq_tensor_release(&y);
  oq_tensor_release(&x);
  oq_tensor_release(&w);
}

OQ_TEST(conv_shape_errors) {
  oq_error err = {0};
  int64_t xd[4] = {1, 3, 5, 5}, wd[4] = {2, 2, 3, 3}, bd[1] = {3};
  oq_tensor x = mk(4, xd, NULL), w = mk(4, wd, NULL), b = mk(1, bd, NULL), y;
  const oq_tensor *ins[3] = {&x, &w, NULL};
  oq_conv_params p;
  memset(&p, 0, sizeof p);
  p.group = 1;
  CHECK(call1(oq_op_conv_exec, &p, ins, 2, &y, &err) == OQ_ERR_SHAPE); /* 3 channels vs W's 2 */
  CHECK(strstr(err.msg, "channels") != NULL);
  w.dims[1] = 3;
  w.nbytes = 2 * 3 * 9 * sizeof(float); /* same buffer size is fine for a shape test */
  free(w.data);
  w.data = calloc(1, w.nbytes);
  ins[2] = &b;
  CHECK(call1(oq_op_conv_exec, &p, ins, 3, &y, &err) == OQ_ERR_SHAPE); /* bias has 3 entries, M = 2 */
  ins[2] = NULL;
  x.dims[2] = 2; /* 3x3 window over 2 rows without padding */
  x.nbytes = 3 * 2 * 5 * sizeof(float);
  CHECK(call1(oq_op_conv_exec, &p, ins, 2, &y, &err) == OQ_ERR_SHAPE);
  CHECK(y.data == NULL);
  oq_tensor_release(&x);
  oq_tensor_release(&w);
  oq_tensor_release(&b);
}

/* ---- window geometry ---------------------------------------------------------------------------------------- */

OQ_TEST(window_geometry) {
  oq_error err = {0};
  oq_window w;
  oq_window_geom g;
  memset(&w, 0, sizeof w);
  int64_t in[1] = {5}, k[1] = {3};
  w.n_strides = 1;
  w.strides[0] = 2;
  w.auto_pad = OQ_AUTO_PAD_SAME_UPPER; /* out = ceil(5/2) = 3, total pad = 2*2+3-5 = 2 */
  REQUIRE_OK(oq_window_resolve(&w, 1, in, k, &g, &err));
  CHECK(g.out[0] == 3 && g.pb[0] == 1 && g.pe[0] == 1);
  in[0] = 6; /* total pad = 2*2+3-6 = 1: SAME_UPPER puts it at the end, SAME_LOWER at the start */
  REQUIRE_OK(oq_window_resolve(&w, 1, in, k, &g, &err));
  CHECK(g.out[0] == 3 && g.pb[0] == 0 && g.pe[0] == 1);
  w.auto_pad = OQ_AUTO_PAD_SAME_LOWER;
  REQUIRE_OK(oq_window_resolve(&w, 1, in, k, &g, &err));
  CHECK(g.out[0] == 3 && g.pb[0] == 1 && g.pe[0] == 0);
  w.auto_pad = OQ_AUTO_PAD_VALID;
  REQUIRE_OK(oq_window_resolve(&w, 1, in, k, &g, &err));
  CHECK(g.out[0] == 2 && g.pb[0] == 0);
  w.auto_pad = OQ_AUTO_PAD_NOTSET;
  w.ceil_mode = 1; /* (6-3)/2 = 1.5 -> 2 windows, +1 */
  REQUIRE_OK(oq_window_resolve(&w, 1, in, k, &g, &err));
  CHECK(g.out[0] == 3);
  w.n_pads = 2;
  w.pads[0] = 0;
  w.pads[1] = 1; /* a window starting in the end padding is dropped: (7-3)/2 -> 2, +1 = 3, start 4 < 6 keeps it */
  REQUIRE_OK(oq_window_resolve(&w, 1, in, k, &g, &err));
  CHECK(g.out[0] == 3);
  w.n_kernel = 2; /* wrong rank */
  CHECK(oq_window_resolve(&w, 1, in, k, &g, &err) == OQ_ERR_SHAPE);
}

/* ---- Gemm / MatMul ------------------------------------------------------------------------------------------- */

OQ_TEST(gemm_hand_computed) {
  oq_error err = {0};
  float av[6] = {1, 2, 3, 4, 5, 6}, bv[6] = {1, 0, 0, 1, 1, 1}, cv[2] = {10, 20};
  int64_t ad[2] = {3, 2}, bd[2] = {2, 3}, cd[1] = {2};
  oq_tensor a = mk(2, ad, av), b = mk(2, bd, bv), c = mk(1, cd, cv), y;
  /* transA: A^T is [2,3] = [[1,3,5],[2,4,6]]; transB: B^T is [3,2] = [[1,1],[0,1],[0,1]] */
  oq_gemm_params p = {2.0f, 0.5f, 1, 1, {NULL, NULL, 0, 0, 0, 0}};
  const oq_tensor *ins[3] = {&a, &b, &c};
  REQUIRE_OK(call1(oq_op_gemm_exec, &p, ins, 3, &y, &err));
  REQUIRE(y.ndim == 2 && y.dims[0] == 2 && y.dims[1] == 2);
  /* A^T B^T = [[1, 9], [2, 12]]; *2 + 0.5*[10, 20] */
  float want[4] = {7, 28, 9, 34};
  check_values(&y, want, 4);
  oq_tensor_release(&y);
  p.trans_b = 0; /* K mismatch: A^T is [2,3], B is [2,3] */
  CHECK(call1(oq_op_gemm_exec, &p, ins, 3, &y, &err) == OQ_ERR_SHAPE);
  oq_tensor_release(&a);
  oq_tensor_release(&b);
  oq_tensor_release(&c);
}

OQ_TEST(gemm_matches_reference) {
  oq_error err = {0};
  for (int iter = 0; iter < 16; iter++) {
    int64_t m = rnd_in(1, 70), n = rnd_in(1, 70), k = rnd_in(1, 90);
    oq_gemm_params p = {rnd_f(), rnd_f(), iter & 1, (iter >> 1) & 1, {NULL, NULL, 0, 0, 0, 0}};
    int64_t ad[2] = {p.trans_a ? k : m, p.trans_a ? m : k}, bd[2] = {p.trans_b ? n : k, p.trans_b ? k : n};
    int64_t cd[2] = {iter % 3 ? m : 1, n};
    oq_tensor a = mk(2, ad, NULL), b = mk(2, bd, NULL), c = mk(2, cd, NULL), y1, y2;
    const oq_tensor *ins[3] = {&a, &b, &c};
    int n_in = iter & 4 ? 3 : 2;
    REQUIRE_OK(call1(oq_op_gemm_exec, &p, ins, n_in, &y1, &err));
    g_reference = 1;
    REQUIRE_OK(call1(oq_op_gemm_exec, &p, ins, n_in, &y2, &err));
    CHECK(max_diff(&y1, &y2) <= 1e-5);
    oq_tensor_release(&a);
    oq_tensor_release(&b);
    oq_tensor_release(&c);
    oq_tensor_release(&y1);
    oq_tensor_release(&y2);
  }
}

/* Naive batched matmul over already broadcast-expanded index math, for comparison. */
static void matmul_naive(const oq_tensor *a, const oq_tensor *b, oq_tensor *y) {
  int32_t yn = y->ndim;
  int64_t m = a->ndim == 1 ? 1 : a->dims[a->ndim - 2], k = a->dims[a->ndim - 1];
  int64_t n = b->ndim == 1 ? 1 : b->dims[b->ndim - 1];
  int32_t nbat = yn - (a->ndim > 1) - (b->ndim > 1);
  int64_t batches = 1;
  for (int32_t i = 0; i < nbat; i++) batches *= y->dims[i];
  const float *ad = a->data, *bd = b->data;
  float *yd = y->data;
  for (int64_t t = 0; t < batches; t++) {
    int64_t ao = 0, bo = 0, rem = t, astride = m * k, bstride = k * n;
    for (int32_t i = nbat - 1; i >= 0; i--) {
      int64_t idx = rem % y->dims[i];
      rem /= y->dims[i];
      int32_t ai = i - (nbat - (a->ndim > 2 ? a->ndim - 2 : 0)), bi = i - (nbat - (b->ndim > 2 ? b->ndim - 2 : 0));
      int64_t adim = ai >= 0 ? a->dims[ai] : 1, bdim = bi >= 0 ? b->dims[bi] : 1;
      ao += (adim == 1 ? 0 : idx) * astride;
      bo += (bdim == 1 ? 0 : idx) * bstride;
      astride *= adim;
      bstride *= bdim;
    }
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) {
        double s = 0;
        for (int64_t p = 0; p < k; p++) s += (double)ad[ao + i * k + p] * bd[bo + p * n + j];
        yd[(t * m + i) * n + j] = (float)s;
      }
  }
}

OQ_TEST(matmul_broadcast_and_1d) {
  oq_error err = {0};
  struct {
    int32_t an, bn;
    int64_t ad[4], bd[4];
    int32_t yn;
    int64_t yd[4];
  } cases[] = {
      {4, 3, {2, 1, 3, 4}, {3, 4, 5}, 4, {2, 3, 3, 5}},
      {3, 2, {2, 3, 4}, {4, 5}, 3, {2, 3, 5}},
      {2, 3, {3, 4}, {2, 4, 5}, 3, {2, 3, 5}},
      {1, 2, {4}, {4, 5}, 1, {5}},
      {2, 1, {3, 4}, {4}, 1, {3}},
      {1, 1, {4}, {4}, 0, {0}},
      {1, 3, {4}, {2, 4, 5}, 2, {2, 5}},
      {3, 1, {2, 3, 4}, {4}, 2, {2, 3}},
      {4, 4, {2, 1, 20, 40}, {1, 3, 40, 30}, 4, {2, 3, 20, 30}},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    oq_tensor a = mk(cases[c].an, cases[c].ad, NULL), b = mk(cases[c].bn, cases[c].bd, NULL), y, want;
    const oq_tensor *ins[2] = {&a, &b};
    REQUIRE_OK(call1(oq_op_matmul_exec, NULL, ins, 2, &y, &err));
    CHECK(y.ndim == cases[c].yn);
    for (int32_t i = 0; i < y.ndim && i < cases[c].yn; i++) CHECK(y.dims[i] == cases[c].yd[i]);
    REQUIRE_OK(oq_tensor_alloc(&want, OQ_DTYPE_FLOAT, y.ndim, y.dims, &err));
    matmul_naive(&a, &b, &want);
    if (max_diff(&y, &want) > 1e-5) fprintf(stderr, "case %zu differs\n", c);
    CHECK(max_diff(&y, &want) <= 1e-5);
    oq_tensor_release(&a);
    oq_tensor_release(&b);
    oq_tensor_release(&y);
    oq_tensor_release(&want);
  }
  int64_t ad[3] = {2, 3, 4}, bd[3] = {3, 4, 5};
  oq_tensor a = mk(3, ad, NULL), b = mk(3, bd, NULL), y;
  const oq_tensor *ins[2] = {&a, &b};
  CHECK(call1(oq_op_matmul_exec, NULL, ins, 2, &y, &err) == OQ_ERR_SHAPE); /* batch 2 vs 3 */
  oq_tensor_release(&a);
  oq_tensor_release(&b);
}

/* Empty tensors with huge other extents: refused or handled without overflowing index arithmetic. */
OQ_TEST(empty_tensors_with_huge_dims) {
  oq_error err = {0};
  int64_t ad[3] = {0, (int64_t)1 << 32, (int64_t)1 << 32}, bd[2] = {(int64_t)1 << 32, 0};
  oq_tensor a, b, y;
  /* oq_tensor_alloc refuses extents that multiply past int64 even when empty; built by hand, the kernels still
   * refuse them on their own */
  CHECK(oq_tensor_alloc(&a, OQ_DTYPE_FLOAT, 3, ad, &err) == OQ_ERR_SHAPE);
  memset(&a, 0, sizeof a);
  a.dtype = OQ_DTYPE_FLOAT;
  a.ndim = 3;
  memcpy(a.dims, ad, sizeof ad);
  REQUIRE_OK(oq_tensor_alloc(&b, OQ_DTYPE_FLOAT, 2, bd, &err));
  const oq_tensor *ins[2] = {&a, &b};
  CHECK(call1(oq_op_matmul_exec, NULL, ins, 2, &y, &err) == OQ_ERR_SHAPE);
  CHECK(call1(oq_op_global_avgpool_exec, NULL, ins, 1, &y, &err) == OQ_ERR_SHAPE);
  a.dims[1] = 5;
  a.dims[2] = (int64_t)1 << 32;
  REQUIRE_OK(call1(oq_op_matmul_exec, NULL, ins, 2, &y, &err)); /* [0, 5, 2^32] x [2^32, 0] -> [0, 5, 0] */
  CHECK(y.ndim == 3 && y.dims[0] == 0 && y.dims[1] == 5 && y.dims[2] == 0 && y.data == NULL);
  oq_tensor_release(&y);
  oq_tensor_release(&a);
  oq_tensor_release(&b);
}

/* ---- pools ---------------------------------------------------------------------------------------------------- */

/* Pools against a plain loop over every tap of every window (padded taps included), over random geometries:
 * pads, strides, dilations, ceil_mode, count_include_pad, 1-3 spatial dims. */
static void naive_pool(const oq_window_geom *g, const float *x, int64_t planes, int is_avg, int cip, float *y) {
  int64_t in_sp = 1, out_sp = 1, kprod = 1;
  for (int32_t i = 0; i < g->nd; i++) {
    in_sp *= g->in[i];
    out_sp *= g->out[i];
    kprod *= g->k[i];
  }
  for (int64_t pl = 0; pl < planes; pl++)
    for (int64_t op = 0; op < out_sp; op++) {
      int64_t o[OQ_MAX_DIMS], rem = op;
      for (int32_t i = g->nd - 1; i >= 0; i--) {
        o[i] = rem % g->out[i];
        rem /= g->out[i];
      }
      float best = -INFINITY;
      double sum = 0;
      int64_t inside = 0, padded = 0;
      for (int64_t t = 0; t < kprod; t++) {
        int64_t kr = t, kidx[OQ_MAX_DIMS], off = 0;
        for (int32_t i = g->nd - 1; i >= 0; i--) {
          kidx[i] = kr % g->k[i];
          kr /= g->k[i];
        }
        int in = 1, pad = 1;
        for (int32_t i = 0; i < g->nd; i++) {
          int64_t ii = o[i] * g->s[i] - g->pb[i] + kidx[i] * g->d[i];
          if (ii < 0 || ii >= g->in[i]) in = 0;
          if (ii < -g->pb[i] || ii >= g->in[i] + g->pe[i]) pad = 0;
          off = off * g->in[i] + ii;
        }
        padded += pad;
        if (!in) continue;
        inside++;
        float v = x[pl * in_sp + off];
        if (v > best) best = v;
        sum += v;
      }
      int64_t count = cip ? padded : inside;
      y[pl * out_sp + op] = is_avg ? (count > 0 ? (float)(sum / (double)count) : 0.0f) : best;
    }
}

OQ_TEST(pools_match_naive_windows) {
  oq_error err = {0};
  uint32_t seed = 12345;
#define RND(n) ((int64_t)((seed = seed * 1664525u + 1013904223u) >> 8) % (n))
  for (int iter = 0; iter < 300; iter++) {
    oq_pool_params p;
    memset(&p, 0, sizeof p);
    int32_t nd = 1 + (int32_t)RND(3);
    int64_t xd[OQ_MAX_DIMS] = {1 + RND(2), 1 + RND(2)};
    p.win.n_kernel = p.win.n_strides = p.win.n_dilations = nd;
    p.win.n_pads = 2 * nd;
    for (int32_t i = 0; i < nd; i++) {
      xd[2 + i] = 1 + RND(6);
      p.win.kernel[i] = 1 + RND(4);
      p.win.strides[i] = 1 + RND(3);
      p.win.dilations[i] = 1 + RND(2);
      p.win.pads[i] = RND(3);
      p.win.pads[nd + i] = RND(3);
    }
    p.win.ceil_mode = (int32_t)RND(2);
    p.count_include_pad = (int32_t)RND(2);
    oq_tensor x = mk(2 + nd, xd, NULL), y;
    oq_window_geom g;
    if (oq_window_resolve(&p.win, nd, xd + 2, NULL, &g, &err) != OQ_OK) {
      oq_tensor_release(&x);
      continue; /* window does not fit */
    }
    for (int is_avg = 0; is_avg < 2; is_avg++) {
      const oq_tensor *ins[1] = {&x};
      REQUIRE_OK(call1(is_avg ? oq_op_avgpool_exec : oq_op_maxpool_exec, &p, ins, 1, &y, &err));
      float *want = malloc(y.nbytes ? y.nbytes : 1);
      naive_pool(&g, x.data, xd[0] * xd[1], is_avg, p.count_include_pad, want);
      int same = memcmp(want, y.data, y.nbytes) == 0;
      if (!same) fprintf(stderr, "iteration %d (%s) differs\n", iter, is_avg ? "avg" : "max");
      CHECK(same);
      free(want);
      oq_tensor_release(&y);
    }
    oq_tensor_release(&x);
  }
#undef RND
}

/* A kernel far larger than the input, over padding: only the taps inside the input are visited (this used to
 * enumerate and allocate 2^28 taps per window). */
OQ_TEST(pool_huge_kernel_over_padding) {
  oq_error err = {0};
  int64_t xd[4] = {1, 1, 1, 1};
  float five = 5.0f;
  oq_tensor x = mk(4, xd, &five), y;
  const oq_tensor *ins[1] = {&x};
  oq_pool_params p;
  memset(&p, 0, sizeof p);
  const int64_t k = (int64_t)1 << 14;
  p.win.n_kernel = p.win.n_strides = 2;
  p.win.n_pads = 4;
  for (int i = 0; i < 2; i++) {
    p.win.kernel[i] = k;
    p.win.strides[i] = k;
  }
  for (int i = 0; i < 4; i++) p.win.pads[i] = k - 1;
  REQUIRE_OK(call1(oq_op_maxpool_exec, &p, ins, 1, &y, &err));
  CHECK(y.dims[2] == 1 && y.dims[3] == 1 && ((float *)y.data)[0] == 5.0f);
  oq_tensor_release(&y);
  p.count_include_pad = 1; /* the only window covers k x k taps of input + padding */
  REQUIRE_OK(call1(oq_op_avgpool_exec, &p, ins, 1, &y, &err));
  CHECK(((float *)y.data)[0] == (float)(5.0 / (double)(k * k)));
  oq_tensor_release(&y);
  oq_tensor_release(&x);
  /* stride 1 over a 32x32 image: 16415^2 windows each holding up to the whole image, 8e11 visits: refused before
   * Y (1 GiB) is even allocated */
  int64_t xd2[4] = {1, 3, 32, 32};
  oq_tensor x2 = mk(4, xd2, NULL);
  ins[0] = &x2;
  p.win.n_strides = 0;
  CHECK(call1(oq_op_avgpool_exec, &p, ins, 1, &y, &err) == OQ_ERR_UNSUPPORTED);
  CHECK(strstr(err.msg, "more than the limit") != NULL && y.data == NULL);
  CHECK(call1(oq_op_maxpool_exec, &p, ins, 1, &y, &err) == OQ_ERR_UNSUPPORTED);
  oq_tensor_release(&x2);
}

OQ_TEST(pools_hand_computed) {
  oq_error err = {0};
  float xv[16];
  for (int i = 0; i < 16; i++) xv[i] = (float)(i + 1);
  int64_t xd[4] = {1, 1, 4, 4};
  oq_tensor x = mk(4, xd, xv), y;
  const oq_tensor *ins[1] = {&x};
  oq_pool_params p;
  memset(&p, 0, sizeof p);
  p.win.n_kernel = 2;
  p.win.kernel[0] = p.win.kernel[1] = 3;
  p.win.n_strides = 2;
  p.win.strides[0] = p.win.strides[1] = 2;
  p.win.ceil_mode = 1; /* 4x4, k3 s2 -> 2x2; the second window hangs over the edge */
  REQUIRE_OK(call1(oq_op_maxpool_exec, &p, ins, 1, &y, &err));
  float wmax[4] = {11, 12, 15, 16};
  check_values(&y, wmax, 4);
  oq_tensor_release(&y);
  REQUIRE_OK(call1(oq_op_avgpool_exec, &p, ins, 1, &y, &err));
  float wavg[4] = {6, 7.5f, 12, 13.5f};
  check_values(&y, wavg, 4);
  oq_tensor_release(&y);
  /* pads 1, kernel 2, stride 2, count_include_pad: top-left window holds only x[0][0] = 1 -> 1/4 */
  p.win.ceil_mode = 0;
  p.win.kernel[0] = p.win.kernel[1] = 2;
  p.win.n_pads = 4;
  for (int i = 0; i < 4; i++) p.win.pads[i] = 1;
  p.count_include_pad = 1;
  REQUIRE_OK(call1(oq_op_avgpool_exec, &p, ins, 1, &y, &err));
  CHECK(y.dims[2] == 3 && y.dims[3] == 3);
  CHECK_NEAR(((float *)y.data)[0], 0.25, 1e-6);
  CHECK_NEAR(((float *)y.data)[4], (6 + 7 + 10 + 11) / 4.0, 1e-6);
  oq_tensor_release(&y);
  p.count_include_pad = 0;
  REQUIRE_OK(call1(oq_op_avgpool_exec, &p, ins, 1, &y, &err));
  CHECK_NEAR(((float *)y.data)[0], 1.0, 1e-6);
  CHECK_NEAR(((float *)y.data)[1], 2.5, 1e-6); /* taps x[0][1], x[0][2] */
  oq_tensor_release(&y);
  REQUIRE_OK(call1(oq_op_global_avgpool_exec, NULL, ins, 1, &y, &err));
  CHECK(y.ndim == 4 && y.dims[2] == 1 && y.dims[3] == 1);
  CHECK_NEAR(((float *)y.data)[0], 8.5, 1e-6);
  oq_tensor_release(&y);
  REQUIRE_OK(call1(oq_op_global_maxpool_exec, NULL, ins, 1, &y, &err));
  CHECK_NEAR(((float *)y.data)[0], 16.0, 1e-6);
  oq_tensor_release(&y);
  x.dtype = OQ_DTYPE_INT32;
  CHECK(call1(oq_op_avgpool_exec, &p, ins, 1, &y, &err) == OQ_ERR_UNSUPPORTED);
  x.dtype = OQ_DTYPE_FLOAT;
  oq_tensor_release(&x);
}

/* ---- BatchNormalization --------------------------------------------------------------------------------------- */

OQ_TEST(batchnorm_hand_computed) {
  oq_error err = {0};
  float xv[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  float sv[2] = {2, 1}, bv[2] = {1, 0}, mv[2] = {2, 6}, vv[2] = {4, 1};
  int64_t xd[3] = {2, 2, 2}, cd[1] = {2};
  oq_tensor x = mk(3, xd, xv), s = mk(1, cd, sv), b = mk(1, cd, bv), m = mk(1, cd, mv), v = mk(1, cd, vv), y;
  const oq_tensor *ins[5] = {&x, &s, &b, &m, &v};
  oq_bn_params p = {0.0f, 0, 1};
  REQUIRE_OK(call1(oq_op_batchnorm_exec, &p, ins, 5, &y, &err));
  /* channel 0: (x-2)/2*2+1 = x-1; channel 1: (x-6)/1*1+0 = x-6 */
  float want[8] = {0, 1, -3, -2, 4, 5, 1, 2};
  check_values(&y, want, 8);
  oq_tensor_release(&y);
  s.dims[0] = 3;
  CHECK(call1(oq_op_batchnorm_exec, &p, ins, 5, &y, &err) == OQ_ERR_SHAPE);
  s.dims[0] = 2;
  oq_tensor_release(&x);
  oq_tensor_release(&s);
  oq_tensor_release(&b);
  oq_tensor_release(&m);
  oq_tensor_release(&v);
}

OQ_TEST_MAIN()
