/* kern/: every fast path against its plain reference twin on random sizes, edge sizes included. Tolerances: the
 * sgemm and the im2col convolution accumulate in float (blocked, vectorized order) where the twins accumulate in
 * double, so results agree within 1e-4 absolute for operands in [-1, 1] and k <= 600; im2col and the window taps
 * are exact (bit-identical to the naive loops). Results of one kernel are bit-identical for 1..4 threads. */
#include "oq_test.h"

#include "core/pool.h"
#include "kern/conv.h"
#include "kern/cpu.h"
#include "kern/sgemm.h"
#include "kern/window.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint32_t rnd_u32(void) {
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (uint32_t)(rng_state >> 33);
}
static float rnd_f(void) { return (float)((double)rnd_u32() / 2147483648.0 - 1.0); }
static int64_t rnd_in(int64_t lo, int64_t hi) { return lo + (int64_t)(rnd_u32() % (uint32_t)(hi - lo + 1)); }

/* oq_sgemm with packing scratch sized the documented way. */
static oq_status sgemm_fast(oq_threadpool *pool, int ta, int tb, size_t m, size_t n, size_t k, float alpha,
                            const float *a, size_t lda, const float *b, size_t ldb, float beta, float *c, size_t ldc,
                            oq_error *err) {
  oq_sgemm_pack pack = {NULL, oq_sgemm_pack_floats(m, n, k), oq_sgemm_slots(oq_threadpool_size(pool), m, n, k, 0)};
  if (pack.slot_floats) pack.buf = malloc(pack.slot_floats * (size_t)pack.n_slots * sizeof(float));
  oq_status st = oq_sgemm(pool, &pack, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, err);
  free(pack.buf);
  return st;
}

/* Runs body once per SIMD level this CPU supports (portable first), each through oq_cpu_force. */
#define FOR_EACH_LEVEL(lv)                                                                                             \
  for (int lv = 0; lv <= (int)oq_cpu_detect() && oq_cpu_force((oq_cpu_level)lv) == (oq_cpu_level)lv; lv++)

OQ_TEST(sgemm_matches_reference) {
  FOR_EACH_LEVEL(lv) {
    oq_error err = {0};
    /* edge sizes around the register tile (6 x 8/16), the packing blocks (KC 256, MC 72) and the small path */
    static const size_t sizes[][3] = {{1, 1, 1},      {3, 5, 7},     {4, 8, 1},     {33, 17, 65},  {64, 64, 64},
                                      {65, 1030, 31}, {7, 300, 513}, {130, 9, 260}, {1, 500, 300}, {100, 100, 3},
                                      {6, 16, 256},   {5, 15, 257},  {73, 17, 33},  {12, 7, 0},    {0, 5, 5}};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0] + 12; t++)
      for (int ta = 0; ta < 2; ta++)
        for (int tb = 0; tb < 2; tb++) {
          size_t m, n, k;
          if (t < sizeof sizes / sizeof sizes[0]) {
            m = sizes[t][0];
            n = sizes[t][1];
            k = sizes[t][2];
          } else { /* random sizes */
            m = (size_t)rnd_in(1, 150);
            n = (size_t)rnd_in(1, 150);
            k = (size_t)rnd_in(1, 600);
          }
          size_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
          float *a = malloc(((ta ? k : m) * lda + 1) * sizeof(float)),
                *b = malloc(((tb ? n : k) * ldb + 1) * sizeof(float));
          float *c1 = malloc((m * ldc + 1) * sizeof(float)), *c2 = malloc((m * ldc + 1) * sizeof(float));
          REQUIRE(a && b && c1 && c2);
          for (size_t i = 0; i < (ta ? k : m) * lda; i++) a[i] = rnd_f();
          for (size_t i = 0; i < (tb ? n : k) * ldb; i++) b[i] = rnd_f();
          for (size_t i = 0; i < m * ldc; i++) c1[i] = c2[i] = rnd_f();
          float alpha = t % 2 ? 0.5f : 1.0f, beta = t % 3 == 0 ? 0.0f : t % 3 == 1 ? 1.0f : -2.0f;
          REQUIRE_OK(sgemm_fast(NULL, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c1, ldc, &err));
          oq_sgemm_ref(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c2, ldc);
          double worst = 0.0;
          for (size_t i = 0; i < m; i++)
            for (size_t j = 0; j < ldc; j++) {
              double d = fabs((double)c1[i * ldc + j] - (double)c2[i * ldc + j]);
              if (d > worst) worst = d;
            }
          if (worst > 1e-4) fprintf(stderr, "m=%zu n=%zu k=%zu ta=%d tb=%d: %g\n", m, n, k, ta, tb, worst);
          CHECK(worst <= 1e-4);
          free(a);
          free(b);
          free(c1);
          free(c2);
        }
  }
  oq_cpu_force(oq_cpu_detect());
}

OQ_TEST(sgemm_bit_identical_on_all_pools) {
  FOR_EACH_LEVEL(lv) {
    oq_error err = {0};
    static const size_t sizes[][3] = {{1, 1000, 512}, {300, 40, 200}, {96, 130, 257}, {7, 9, 5}, {250, 250, 64}};
    for (size_t t = 0; t < sizeof sizes / sizeof sizes[0]; t++) {
      size_t m = sizes[t][0], n = sizes[t][1], k = sizes[t][2];
      float *a = malloc(m * k * sizeof(float)), *b = malloc(k * n * sizeof(float));
      float *c0 = malloc(m * n * sizeof(float)), *c1 = malloc(m * n * sizeof(float));
      REQUIRE(a && b && c0 && c1);
      for (size_t i = 0; i < m * k; i++) a[i] = rnd_f();
      for (size_t i = 0; i < k * n; i++) b[i] = rnd_f();
      REQUIRE_OK(sgemm_fast(NULL, 0, 1 & t, m, n, k, 1.0f, a, k, b, (1 & t) ? k : n, 0.0f, c0, n, &err));
      for (int32_t threads = 2; threads <= 4; threads++) {
        oq_threadpool *pool = NULL;
        REQUIRE_OK(oq_threadpool_create(threads, &pool, &err));
        REQUIRE_OK(sgemm_fast(pool, 0, 1 & t, m, n, k, 1.0f, a, k, b, (1 & t) ? k : n, 0.0f, c1, n, &err));
        CHECK(memcmp(c0, c1, m * n * sizeof(float)) == 0);
        oq_threadpool_free(pool);
      }
      free(a);
      free(b);
      free(c0);
      free(c1);
    }
  }
  oq_cpu_force(oq_cpu_detect());
}

OQ_TEST(sgemm_packed_b_same_bits) {
  /* op(B) packed once (oq_sgemm_bpack) gives the bits of B packed per call or read in place, transposed or not, on
   * every level and thread count; a packing for another shape or level is ignored */
  FOR_EACH_LEVEL(lv) {
    oq_error err = {0};
    static const size_t sizes[][3] = {{32, 768, 256}, {200, 100, 300}, {7, 33, 513}, {129, 64, 64}, {64, 1000, 40}};
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
      for (int tb = 0; tb <= 1; tb++) {
        size_t m = sizes[si][0], n = sizes[si][1], k = sizes[si][2], ldb = tb ? k : n;
        float *a = malloc(m * k * 4), *b = malloc(n * k * 4), *c0 = malloc(m * n * 4), *c1 = malloc(m * n * 4);
        REQUIRE(a && b && c0 && c1);
        for (size_t i = 0; i < m * k; i++) a[i] = rnd_f();
        for (size_t i = 0; i < n * k; i++) b[i] = rnd_f();
        int32_t nr = oq_simd_get()->gemm_nr;
        size_t pf = oq_sgemm_bpack_floats(n, k, nr);
        REQUIRE(pf != SIZE_MAX);
        float *bp = malloc(pf * 4);
        REQUIRE(bp);
        oq_sgemm_bpack_fill(tb, b, ldb, n, k, nr, bp);
        oq_sgemm_bpack pk = {bp, n, k, nr, tb}, wrong = {bp, n + 1, k, nr, tb};
        for (int32_t threads = 1; threads <= 3; threads++) {
          oq_threadpool *pool = NULL;
          REQUIRE_OK(oq_threadpool_create(threads, &pool, &err));
          oq_sgemm_pack pack = {NULL, oq_sgemm_pack_floats(m, n, k),
                                oq_sgemm_slots(oq_threadpool_size(pool), m, n, k, 0)};
          pack.buf = malloc((pack.slot_floats ? pack.slot_floats : 1) * (size_t)pack.n_slots * 4);
          REQUIRE(pack.buf);
          REQUIRE_OK(oq_sgemm(pool, &pack, 0, tb, m, n, k, 1.0f, a, k, b, ldb, 0.0f, c0, n, &err));
          REQUIRE_OK(oq_sgemm_bpacked(pool, &pack, &pk, 0, tb, m, n, k, 1.0f, a, k, b, ldb, 0.0f, c1, n, &err));
          CHECK(memcmp(c0, c1, m * n * 4) == 0);
          REQUIRE_OK(oq_sgemm_bpacked(pool, &pack, &wrong, 0, tb, m, n, k, 1.0f, a, k, b, ldb, 0.0f, c1, n, &err));
          CHECK(memcmp(c0, c1, m * n * 4) == 0);
          free(pack.buf);
          oq_threadpool_free(pool);
        }
        free(bp);
        free(a);
        free(b);
        free(c0);
        free(c1);
      }
  }
  oq_cpu_force(oq_cpu_detect());
}

OQ_TEST(sgemm_refuses_missing_pack) {
  oq_error err = {0};
  float a[64 * 64] = {0}, b[64 * 64] = {0}, c[64 * 64];
  oq_sgemm_pack none = {NULL, 0, 1};
  CHECK(oq_sgemm(NULL, &none, 0, 0, 64, 64, 64, 1.0f, a, 64, b, 64, 0.0f, c, 64, &err) == OQ_ERR_INTERNAL);
  /* small products need no scratch */
  REQUIRE_OK(oq_sgemm(NULL, &none, 0, 0, 2, 3, 4, 1.0f, a, 4, b, 3, 0.0f, c, 3, &err));
}

/* cs's geometry from the window w over inputs in with kernel k, and its spatial products; 0 when it does not fit. */
static int conv_geometry(oq_conv_shape *cs, const oq_window *w, int32_t nd, const int64_t *in, const int64_t *k) {
  oq_error err = {0};
  if (oq_window_resolve(w, nd, in, k, &cs->g, &err) != OQ_OK) return 0;
  cs->in_sp = cs->out_sp = cs->kprod = 1;
  for (int32_t i = 0; i < nd; i++) {
    cs->in_sp *= cs->g.in[i];
    cs->out_sp *= cs->g.out[i];
    cs->kprod *= cs->g.k[i];
  }
  return 1;
}

/* A random convolution geometry; 0 when the window does not fit. */
static int rand_conv(oq_conv_shape *cs, int32_t nd, int wide_pads) {
  oq_window w;
  memset(&w, 0, sizeof w);
  memset(cs, 0, sizeof *cs);
  int64_t group = rnd_in(1, 3);
  cs->cg = rnd_in(1, 4);
  cs->mg = rnd_in(1, 5);
  if (rnd_in(0, 2) == 0) { /* depthwise: kern's direct path */
    group = rnd_in(1, 8);
    cs->cg = cs->mg = 1;
  }
  cs->n = rnd_in(1, 2);
  cs->c = group * cs->cg;
  cs->m = group * cs->mg;
  int64_t in[OQ_MAX_DIMS], k[OQ_MAX_DIMS];
  w.n_strides = w.n_dilations = nd;
  w.n_pads = 2 * nd;
  for (int32_t i = 0; i < nd; i++) {
    k[i] = rnd_in(1, nd == 3 ? 3 : 5);
    w.strides[i] = rnd_in(1, 3);
    w.dilations[i] = rnd_in(1, 2);
    w.pads[i] = rnd_in(0, wide_pads ? 9 : 2);
    w.pads[i + nd] = rnd_in(0, wide_pads ? 9 : 2);
    in[i] = (k[i] - 1) * w.dilations[i] + 1 + rnd_in(0, nd == 3 ? 4 : 12);
  }
  return conv_geometry(cs, &w, nd, in, k);
}

OQ_TEST(conv_fast_matches_reference) {
  FOR_EACH_LEVEL(lv) {
    oq_error err = {0};
    for (int iter = 0; iter < 80; iter++) {
      oq_conv_shape cs;
      int32_t nd = (int32_t)rnd_in(1, iter < 50 ? 2 : 3);
      if (!rand_conv(&cs, nd, 0)) continue;
      size_t nx = (size_t)(cs.n * cs.c * cs.in_sp), nw = (size_t)(cs.m * cs.cg * cs.kprod);
      size_t ny = (size_t)(cs.n * cs.m * cs.out_sp);
      float *x = malloc(nx * 4), *w = malloc(nw * 4), *b = malloc((size_t)cs.m * 4), *y1 = malloc(ny * 4),
            *y2 = malloc(ny * 4);
      REQUIRE(x && w && b && y1 && y2);
      for (size_t i = 0; i < nx; i++) x[i] = rnd_f();
      for (size_t i = 0; i < nw; i++) w[i] = rnd_f();
      for (int64_t i = 0; i < cs.m; i++) b[i] = rnd_f();
      const float *bias = iter % 2 ? b : NULL;
      float *y0 = malloc(ny * 4);
      REQUIRE(y0);
      for (int32_t threads = 1; threads <= 3; threads++) {
        oq_threadpool *pool = NULL;
        REQUIRE_OK(oq_threadpool_create(threads, &pool, &err));
        size_t floats = oq_conv_scratch_floats(&cs, oq_threadpool_size(pool));
        float *scratch = malloc((floats ? floats : 1) * sizeof(float));
        REQUIRE(scratch);
        REQUIRE_OK(oq_conv_fast(&cs, x, w, bias, NULL, y1, pool, scratch, &err));
        oq_conv_ref(&cs, x, w, bias, y2);
        double worst = 0;
        for (size_t i = 0; i < ny; i++) {
          double d = fabs((double)y1[i] - (double)y2[i]);
          if (d > worst) worst = d;
        }
        if (worst > 1e-4) fprintf(stderr, "iter %d nd %d threads %d: %g\n", iter, (int)nd, (int)threads, worst);
        CHECK(worst <= 1e-4);
        if (threads == 1) memcpy(y0, y1, ny * 4);
        CHECK(memcmp(y0, y1, ny * 4) == 0); /* bit-identical for every thread count */
        free(scratch);
        oq_threadpool_free(pool);
      }
      free(x);
      free(w);
      free(b);
      free(y0);
      free(y1);
      free(y2);
    }
  }
  oq_cpu_force(oq_cpu_detect());
}

/* A 2-D convolution large enough for the packed sgemm path (im2col panels, packed W): channels past a register
 * tile, maps from 1x1 to 40x40, kernels up to 7x7, strides 1-3, dilations 1-2. */
static void rand_conv_packed(oq_conv_shape *cs) {
  for (;;) {
    oq_window w;
    memset(&w, 0, sizeof w);
    memset(cs, 0, sizeof *cs);
    int64_t group = rnd_in(1, 2);
    cs->cg = rnd_in(1, 24);
    cs->mg = rnd_in(2, 40);
    cs->n = rnd_in(1, 2);
    cs->c = group * cs->cg;
    cs->m = group * cs->mg;
    int64_t in[2], k[2];
    w.n_strides = w.n_dilations = 2;
    w.n_pads = 4;
    for (int32_t i = 0; i < 2; i++) {
      k[i] = rnd_in(1, 7);
      w.strides[i] = rnd_in(1, 3);
      w.dilations[i] = rnd_in(0, 4) == 0 ? 2 : 1;
      w.pads[i] = rnd_in(0, 3);
      w.pads[i + 2] = rnd_in(0, 3);
      in[i] = (k[i] - 1) * w.dilations[i] + 1 + rnd_in(0, 36);
    }
    if (conv_geometry(cs, &w, 2, in, k)) return;
  }
}

OQ_TEST(sgemm_row_vector_sums_in_order) {
  /* a 1 x n x k product with row-major B (a batch-1 MatMul) takes the level's gemv: every output the sum from 0 in
   * order of k, each product and sum rounded, on every level and thread count */
  FOR_EACH_LEVEL(lv) {
    oq_error err = {0};
    static const size_t ns[] = {1, 7, 130, 1000}, ks[] = {1, 33, 1280};
    for (size_t a_i = 0; a_i < 4; a_i++)
      for (size_t b_i = 0; b_i < 3; b_i++) {
        size_t n = ns[a_i], k = ks[b_i], ldb = n + (a_i & 1);
        float *x = malloc(k * 4), *b = malloc(k * ldb * 4), *c = malloc(n * 4), *want = malloc(n * 4);
        REQUIRE(x && b && c && want);
        for (size_t i = 0; i < k; i++) x[i] = rnd_f();
        for (size_t i = 0; i < k * ldb; i++) b[i] = rnd_f();
        for (size_t j = 0; j < n; j++) {
          float s = 0.0f;
          for (size_t p = 0; p < k; p++) {
            volatile float prod = x[p] * b[p * ldb + j]; /* rounded on its own, as the kernels do */
            s = s + prod;
          }
          want[j] = s;
        }
        for (int32_t threads = 1; threads <= 3; threads++) {
          oq_threadpool *pool = NULL;
          REQUIRE_OK(oq_threadpool_create(threads, &pool, &err));
          memset(c, 0xff, n * 4); /* beta 0 never reads C */
          REQUIRE_OK(sgemm_fast(pool, 0, 0, 1, n, k, 1.0f, x, k, b, ldb, 0.0f, c, n, &err));
          if (n > 1 || ldb > 1) CHECK(memcmp(c, want, n * 4) == 0); /* one contiguous column: a dot product */
          oq_threadpool_free(pool);
        }
        free(x);
        free(b);
        free(c);
        free(want);
      }
  }
  oq_cpu_force(oq_cpu_detect());
}

/* Random X, W and B of a convolution and three outputs (x NULL when out of memory). */
typedef struct conv_bufs {
  float *x, *w, *b, *y0, *y1, *yr;
  size_t ny;
} conv_bufs;

static void conv_bufs_free(conv_bufs *cb) {
  free(cb->x);
  free(cb->w);
  free(cb->b);
  free(cb->y0);
  free(cb->y1);
  free(cb->yr);
}

static conv_bufs conv_bufs_make(const oq_conv_shape *cs) {
  size_t nx = (size_t)(cs->n * cs->c * cs->in_sp), nw = (size_t)(cs->m * cs->cg * cs->kprod);
  conv_bufs cb;
  cb.ny = (size_t)(cs->n * cs->m * cs->out_sp);
  cb.x = malloc(nx * 4);
  cb.w = malloc(nw * 4);
  cb.b = malloc((size_t)cs->m * 4);
  cb.y0 = malloc(cb.ny * 4);
  cb.y1 = malloc(cb.ny * 4);
  cb.yr = malloc(cb.ny * 4);
  if (!cb.x || !cb.w || !cb.b || !cb.y0 || !cb.y1 || !cb.yr) {
    conv_bufs_free(&cb);
    cb.x = NULL;
    return cb;
  }
  for (size_t i = 0; i < nx; i++) cb.x[i] = rnd_f();
  for (size_t i = 0; i < nw; i++) cb.w[i] = rnd_f();
  for (int64_t i = 0; i < cs->m; i++) cb.b[i] = rnd_f();
  return cb;
}

OQ_TEST(conv_packed_paths_same_bits) {
  /* W packed once (oq_conv_fast_wp) gives the bits of W read in place, on every level and thread count, and both
   * agree with the reference; the level's im2col panel builder is exercised by every non-pointwise case */
  FOR_EACH_LEVEL(lv) {
    oq_error err = {0};
    for (int iter = 0; iter < 40; iter++) {
      oq_conv_shape cs;
      rand_conv_packed(&cs);
      conv_bufs cb = conv_bufs_make(&cs);
      REQUIRE(cb.x);
      float *x = cb.x, *w = cb.w, *b = cb.b, *y0 = cb.y0, *y1 = cb.y1, *yr = cb.yr;
      size_t ny = cb.ny;
      int32_t mr = oq_simd_get()->gemm_mr;
      int64_t groups = cs.c / cs.cg, rows = cs.cg * cs.kprod;
      size_t pf = oq_conv_wpack_floats(cs.mg, rows, groups, mr);
      REQUIRE(pf != SIZE_MAX);
      float *wbuf = malloc((pf ? pf : 1) * 4);
      REQUIRE(wbuf);
      oq_conv_wpack wp = {NULL, 0, 0, 0, 0, 0};
      if (pf) oq_conv_wpack_fill(w, cs.mg, rows, groups, mr, wbuf, &wp);
      oq_conv_ref(&cs, x, w, b, yr);
      for (int32_t threads = 1; threads <= 3; threads++) {
        oq_threadpool *pool = NULL;
        REQUIRE_OK(oq_threadpool_create(threads, &pool, &err));
        size_t floats = oq_conv_scratch_floats(&cs, oq_threadpool_size(pool));
        float *scratch = malloc((floats ? floats : 1) * sizeof(float));
        REQUIRE(scratch);
        REQUIRE_OK(oq_conv_fast_wp(&cs, x, w, pf ? &wp : NULL, b, NULL, y1, pool, scratch, &err));
        if (threads == 1) {
          REQUIRE_OK(oq_conv_fast(&cs, x, w, b, NULL, y0, pool, scratch, &err));
          double worst = 0;
          for (size_t i = 0; i < ny; i++) {
            double d = fabs((double)y0[i] - (double)yr[i]);
            if (d > worst) worst = d;
          }
          if (worst > 1e-4) fprintf(stderr, "level %d iter %d: %g from the reference\n", lv, iter, worst);
          CHECK(worst <= 1e-4);
        }
        CHECK(memcmp(y0, y1, ny * 4) == 0);
        free(scratch);
        oq_threadpool_free(pool);
      }
      free(wbuf);
      conv_bufs_free(&cb);
    }
  }
  oq_cpu_force(oq_cpu_detect());
}

/* A 2-D convolution the AVX-512 direct path takes (one group, depth cg * kprod >= 64, column stride 1 or 2, 1x1
 * kernels on maps of at most 256 positions): maps from 1 to 44 wide (one- and two-row tiles, partial tiles), kernels
 * 2x2 to 7x7, row strides 1-3, dilations 1-2, pads 0-3 (so windows inside X are read in place and others through the
 * padded copy), output channels that fill 1 to 3 panels, partly. */
static void rand_conv_direct(oq_conv_shape *cs) {
  for (;;) {
    oq_window w;
    memset(&w, 0, sizeof w);
    memset(cs, 0, sizeof *cs);
    int64_t k[2] = {rnd_in(1, 7), rnd_in(2, 7)}, in[2];
    cs->cg = cs->c = (64 + k[0] * k[1] - 1) / (k[0] * k[1]) + rnd_in(0, 20);
    static const int64_t ms[] = {24, 32, 48, 56, 64, 88, 96};
    cs->mg = cs->m = ms[rnd_in(0, 6)];
    cs->n = rnd_in(1, 2);
    w.n_strides = w.n_dilations = 2;
    w.n_pads = 4;
    w.strides[0] = rnd_in(1, 3);
    w.strides[1] = rnd_in(1, 2);
    for (int32_t i = 0; i < 2; i++) {
      w.dilations[i] = rnd_in(0, 4) == 0 ? 2 : 1;
      w.pads[i] = rnd_in(0, 2) == 0 ? 0 : rnd_in(0, 3);
      w.pads[i + 2] = rnd_in(0, 2) == 0 ? 0 : rnd_in(0, 3);
      in[i] = (k[i] - 1) * w.dilations[i] + 1 + rnd_in(0, i == 0 ? 12 : 44);
    }
    if (rnd_in(0, 3) == 0) { /* 1x1 on a small map: one row of positions crossing the map's rows */
      k[0] = k[1] = 1;
      cs->cg = cs->c = rnd_in(64, 90);
      for (int32_t i = 0; i < 2; i++) {
        w.strides[i] = w.dilations[i] = 1;
        w.pads[i] = w.pads[i + 2] = 0;
        in[i] = rnd_in(1, 16);
      }
    }
    if (conv_geometry(cs, &w, 2, in, k)) return;
  }
}

OQ_TEST(conv_direct_matches_reference) {
  /* the direct path (no im2col) against the reference on every level (the others take the sgemm path for the same
   * shapes), the same bits for 1-3 threads, with W packed once or packed per call, and the fused activations the
   * bits of the separate pass */
  FOR_EACH_LEVEL(lv) {
    oq_error err = {0};
    int direct_cases = 0;
    for (int iter = 0; iter < 40; iter++) {
      oq_conv_shape cs;
      rand_conv_direct(&cs);
      conv_bufs cb = conv_bufs_make(&cs);
      REQUIRE(cb.x);
      float *x = cb.x, *w = cb.w, *b = cb.b, *y0 = cb.y0, *y1 = cb.y1, *yr = cb.yr;
      size_t ny = cb.ny;
      int direct = oq_conv_takes_direct(&cs);
      direct_cases += direct;
      CHECK(direct == (lv == OQ_CPU_AVX512));
      size_t pf = oq_conv_dpack_floats(cs.m, cs.cg, cs.kprod);
      REQUIRE(pf != SIZE_MAX);
      float *wbuf = malloc(pf * 4);
      REQUIRE(wbuf);
      oq_conv_wpack wp;
      oq_conv_dpack_fill(w, cs.m, cs.cg, cs.kprod, wbuf, &wp);
      oq_conv_ref(&cs, x, w, b, yr);
      for (int32_t threads = 1; threads <= 3; threads++) {
        oq_threadpool *pool = NULL;
        REQUIRE_OK(oq_threadpool_create(threads, &pool, &err));
        size_t floats = oq_conv_scratch_floats(&cs, oq_threadpool_size(pool));
        size_t floats_wp = oq_conv_scratch_floats_wp(&cs, oq_threadpool_size(pool), 1);
        CHECK(floats_wp <= floats);
        float *scratch = malloc((floats ? floats : 1) * sizeof(float)), *scratch_wp = malloc((floats_wp + 1) * 4);
        REQUIRE(scratch && scratch_wp);
        REQUIRE_OK(oq_conv_fast_wp(&cs, x, w, &wp, b, NULL, y1, pool, scratch_wp, &err));
        if (threads == 1) {
          REQUIRE_OK(oq_conv_fast(&cs, x, w, b, NULL, y0, pool, scratch, &err));
          double worst = 0;
          for (size_t i = 0; i < ny; i++) {
            double d = fabs((double)y0[i] - (double)yr[i]) / (1.0 + fabs((double)yr[i]));
            if (d > worst) worst = d;
          }
          if (worst > 1e-4) fprintf(stderr, "level %d iter %d: %g from the reference\n", lv, iter, worst);
          CHECK(worst <= 1e-4);
        }
        CHECK(memcmp(y0, y1, ny * 4) == 0);
        /* a fused activation: the bits of the plain output passed through the separate pass */
        static const oq_gemm_act acts[] = {OQ_GEMM_ACT_RELU, OQ_GEMM_ACT_CLAMP, OQ_GEMM_ACT_SILU};
        oq_conv_act act = {acts[(iter + threads) % 3], -0.25f, 0.5f};
        REQUIRE_OK(oq_conv_fast_wp(&cs, x, w, &wp, b, &act, y1, pool, scratch_wp, &err));
        memcpy(yr, y0, ny * 4);
        oq_conv_apply_act(&act, oq_simd_get(), yr, (int64_t)ny);
        CHECK(memcmp(yr, y1, ny * 4) == 0);
        oq_conv_ref(&cs, x, w, b, yr); /* back to the plain reference */
        free(scratch);
        free(scratch_wp);
        oq_threadpool_free(pool);
      }
      free(wbuf);
      conv_bufs_free(&cb);
    }
    if (lv == OQ_CPU_AVX512) CHECK(direct_cases == 40);
  }
  oq_cpu_force(oq_cpu_detect());
}

OQ_TEST(im2col_panels_match_im2col) {
  /* the level's panel builder against oq_im2col, exactly, for panels starting anywhere (runs crossing output rows,
   * maps narrower than a panel, padding on every side, strides 1 and 2) */
  FOR_EACH_LEVEL(lv) {
    const oq_simd *simd = oq_simd_get();
    if (!simd->im2col_panel) continue;
    size_t nr = (size_t)simd->gemm_nr;
    int checked = 0;
    for (int iter = 0; iter < 60; iter++) {
      oq_conv_shape cs;
      rand_conv_packed(&cs);
      if (cs.g.d[0] != 1 || cs.g.d[1] != 1 || cs.g.s[1] > 2) continue;
      int64_t runs = (int64_t)nr / cs.g.out[1] + 2;
      if (cs.kprod > OQ_IM2COL_TAPS_MAX || cs.kprod * runs > OQ_IM2COL_RUNS_MAX) continue;
      int64_t rows = cs.cg * cs.kprod, cols = cs.out_sp;
      float *x = malloc((size_t)(cs.cg * cs.in_sp) * 4), *col = malloc((size_t)(rows * cols) * 4);
      float *panel = malloc((size_t)rows * nr * 4);
      REQUIRE(x && col && panel);
      for (int64_t i = 0; i < cs.cg * cs.in_sp; i++) x[i] = rnd_f();
      oq_im2col(&cs, x, 0, cols, col, cols);
      oq_im2col_geom g = {x,         cs.in_sp,  cs.g.in[0], cs.g.in[1], cs.g.k[0],
                          cs.g.k[1], cs.g.s[0], cs.g.s[1],  cs.g.pb[0], cs.g.pb[1]};
      for (int rep = 0; rep < 4; rep++) {
        int64_t j0 = rnd_in(0, cols - 1), lanes = cols - j0 < (int64_t)nr ? cols - j0 : (int64_t)nr;
        int64_t p0 = rnd_in(0, rows - 1), kc = rnd_in(1, rows - p0);
        oq_panel_seg seg[64];
        int32_t n_seg = 0;
        int64_t oh = j0 / cs.g.out[1], ow = j0 % cs.g.out[1];
        for (int64_t off = 0; off < lanes; oh++, ow = 0) {
          int64_t cnt = cs.g.out[1] - ow < lanes - off ? cs.g.out[1] - ow : lanes - off;
          seg[n_seg++] = (oq_panel_seg){oh, ow, (int32_t)off, (int32_t)cnt};
          off += cnt;
        }
        simd->im2col_panel(&g, seg, n_seg, (size_t)p0, (size_t)kc, panel);
        int bad = 0;
        for (int64_t p = 0; p < kc; p++)
          for (int64_t l = 0; l < (int64_t)nr; l++) {
            float want = l < lanes ? col[(p0 + p) * cols + j0 + l] : 0.0f;
            bad += memcmp(&panel[p * (int64_t)nr + l], &want, 4) != 0;
          }
        if (bad) fprintf(stderr, "level %d iter %d: %d lanes differ\n", lv, iter, bad);
        CHECK(bad == 0);
        checked++;
      }
      free(x);
      free(col);
      free(panel);
    }
    CHECK(checked > 20);
  }
  oq_cpu_force(oq_cpu_detect());
}

OQ_TEST(im2col_matches_naive_gather) {
  for (int iter = 0; iter < 60; iter++) {
    oq_conv_shape cs;
    int32_t nd = (int32_t)rnd_in(1, 3);
    if (!rand_conv(&cs, nd, iter % 2)) continue;
    const oq_window_geom *g = &cs.g;
    size_t nx = (size_t)(cs.cg * cs.in_sp), rows = (size_t)(cs.cg * cs.kprod);
    int64_t p0 = rnd_in(0, cs.out_sp - 1), p1 = rnd_in(p0 + 1, cs.out_sp);
    float *x = malloc(nx * 4), *col = malloc(rows * (size_t)(p1 - p0) * 4);
    REQUIRE(x && col);
    for (size_t i = 0; i < nx; i++) x[i] = rnd_f();
    oq_im2col(&cs, x, p0, p1, col, p1 - p0);
    int ok = 1;
    for (size_t r = 0; r < rows && ok; r++) {
      int64_t c = (int64_t)r / cs.kprod, kr = (int64_t)r % cs.kprod, kidx[OQ_MAX_DIMS];
      for (int32_t i = nd - 1; i >= 0; i--) {
        kidx[i] = kr % g->k[i];
        kr /= g->k[i];
      }
      for (int64_t p = p0; p < p1 && ok; p++) {
        int64_t o[OQ_MAX_DIMS], rem = p, off = 0;
        int inside = 1;
        for (int32_t i = nd - 1; i >= 0; i--) {
          o[i] = rem % g->out[i];
          rem /= g->out[i];
        }
        for (int32_t i = 0; i < nd; i++) {
          int64_t ii = o[i] * g->s[i] + kidx[i] * g->d[i] - g->pb[i];
          if (ii < 0 || ii >= g->in[i]) inside = 0;
          off = off * g->in[i] + ii;
        }
        float want = inside ? x[c * cs.in_sp + off] : 0.0f;
        ok = memcmp(&col[r * (size_t)(p1 - p0) + (size_t)(p - p0)], &want, sizeof want) == 0;
      }
    }
    CHECK(ok);
    free(x);
    free(col);
  }
}

OQ_TEST(window_taps_match_naive) {
  oq_error err = {0};
  for (int iter = 0; iter < 100; iter++) {
    oq_conv_shape cs;
    int32_t nd = (int32_t)rnd_in(1, 3);
    if (!rand_conv(&cs, nd, iter % 2)) continue;
    const oq_window_geom *g = &cs.g;
    size_t cap;
    REQUIRE_OK(oq_window_tap_capacity(g, &cap, &err));
    int64_t *taps = malloc(cap * sizeof *taps), o[OQ_MAX_DIMS] = {0};
    REQUIRE(taps);
    double visits = 0;
    int ok = 1;
    for (int64_t p = 0; p < cs.out_sp && ok; p++) {
      int64_t padded, n = oq_window_taps(g, o, taps, &padded), got = 0, want_padded = 0;
      /* naive: every tap of the full window, in row-major tap order */
      for (int64_t kp = 0; kp < cs.kprod; kp++) {
        int64_t kr = kp, kidx[OQ_MAX_DIMS], off = 0;
        int inside = 1, in_pad = 1;
        for (int32_t i = nd - 1; i >= 0; i--) {
          kidx[i] = kr % g->k[i];
          kr /= g->k[i];
        }
        for (int32_t i = 0; i < nd; i++) {
          int64_t ii = o[i] * g->s[i] + kidx[i] * g->d[i] - g->pb[i];
          if (ii < 0 || ii >= g->in[i]) inside = 0;
          if (ii >= g->in[i] + g->pe[i]) in_pad = 0;
          off = off * g->in[i] + ii;
        }
        want_padded += in_pad;
        if (!inside) continue;
        ok = ok && got < n && taps[got] == off;
        got++;
      }
      ok = ok && got == n && padded == want_padded && (size_t)n <= cap;
      visits += (double)n;
      oq_window_next(g, o);
    }
    CHECK(ok);
    CHECK(oq_window_visits(g, INFINITY) == visits);
    free(taps);
  }
}

/* The vectorized exp/sigmoid/tanh/erf/silu of every level against libm in double: within a few float ulps (relative
 * 4e-7, or 1e-37 absolute near the underflow where exp flushes to 0), special values exact, and the same bits on
 * every level (the same operations in the same order, explicit vectors or not, no contraction). */
OQ_TEST(vector_math_matches_libm_on_every_level) {
  enum { N = 20000 };
  float *x = malloc(N * sizeof(float)), *y = malloc(N * sizeof(float)), *y0 = malloc(5 * N * sizeof(float));
  REQUIRE(x && y && y0);
  for (int i = 0; i < N; i++) {
    float u = (float)i / N;
    x[i] = i % 4 == 0   ? (u - 0.5f) * 240.0f
           : i % 4 == 1 ? (u - 0.5f) * 20.0f
           : i % 4 == 2 ? (u - 0.5f) * 2.0f
                        : (u - 0.5f) * 1e-3f;
  }
  x[0] = INFINITY;
  x[1] = -INFINITY;
  x[2] = NAN;
  x[3] = 0.0f;
  x[4] = -0.0f;
  FOR_EACH_LEVEL(lv) {
    const oq_simd *sd = oq_simd_get();
    oq_vec_unary_fn fns[5] = {sd->exp, sd->sigmoid, sd->tanh, sd->erf, sd->silu};
    for (int f = 0; f < 5; f++) {
      /* pieces of odd lengths at odd offsets: every tail length of the vector paths, unaligned rows */
      for (int i0 = 0, w = 1; i0 < N; i0 += w, w = w % 37 + 1)
        fns[f](x + i0, y + i0, (size_t)(N - i0 < w ? N - i0 : w));
      int bad = 0;
      for (int i = 0; i < N; i++) {
        double v = x[i];
        double want = f == 0   ? exp(v)
                      : f == 1 ? 1.0 / (1.0 + exp(-v))
                      : f == 2 ? tanh(v)
                      : f == 3 ? erf(v)
                               : v / (1.0 + exp(-v));
        double got = y[i];
        int ok;
        if (isnan(want))
          ok = isnan(got);
        else if (isinf((float)want))
          ok = got == (float)want;
        else if (f == 4) /* the product of the rounded sigmoid: one more rounding */
          ok = fabs(got - want) <= 5e-7 * fabs(want) + 1e-35 || (isinf(v) && got == (v > 0 ? v : 0.0));
        else
          ok = fabs(got - want) <= 4e-7 * fabs(want) + 1e-37;
        if (!ok && bad++ < 3) fprintf(stderr, "level %d fn %d x=%.9g got %.9g want %.9g\n", lv, f, v, got, want);
        if (lv == 0) y0[f * N + i] = y[i];
      }
      CHECK(bad == 0);
      for (int i = 0, shown = 0; i < N; i++)
        if (memcmp(&y0[f * N + i], &y[i], sizeof(float)) != 0 && shown++ < 3)
          fprintf(stderr, "level %d fn %d x=%.9g: %.9g vs portable %.9g\n", lv, f, (double)x[i], (double)y[i],
                  (double)y0[f * N + i]);
      CHECK(memcmp(y0 + f * N, y, N * sizeof(float)) == 0);
    }
  }
  /* silu_2d (GEMM tiles): rows of n at stride ldc give the bits of silu on each row, for every tile shape */
  FOR_EACH_LEVEL(lv) {
    const oq_simd *sd = oq_simd_get();
    size_t shapes[][3] = {{8, 32, 40}, {5, 7, 9}, {1, 1, 1}, {3, 48, 50}, {6, 16, 16}, {7, 33, 33}};
    for (size_t q = 0; q < sizeof shapes / sizeof shapes[0]; q++) {
      size_t m = shapes[q][0], n = shapes[q][1], ld = shapes[q][2];
      for (size_t i = 0; i < m * ld && i < N; i++) y[i] = x[i + 7];
      sd->silu_2d(y, ld, m, n);
      for (size_t r = 0; r < m; r++)
        for (size_t j = 0; j < ld; j++) {
          float want = j < n ? y0[4 * N + 7 + r * ld + j] : x[7 + r * ld + j]; /* past n: untouched */
          CHECK(memcmp(&y[r * ld + j], &want, sizeof want) == 0);
        }
    }
  }
  /* Relu and Clip: exactly the scalar expressions (NaN: Relu gives 0, Clip passes it through) */
  FOR_EACH_LEVEL(lv) {
    const oq_simd *sd = oq_simd_get();
    sd->relu(x, y, N);
    for (int i = 0; i < N; i++) CHECK(y[i] == (x[i] > 0.0f ? x[i] : 0.0f));
    sd->clamp(x, y, N, -1.5f, 6.0f);
    for (int i = 0; i < N; i++) {
      float v = x[i] < -1.5f ? -1.5f : x[i];
      v = v > 6.0f ? 6.0f : v;
      CHECK(isnan(v) ? isnan(y[i]) : y[i] == v);
    }
  }
  oq_cpu_force(oq_cpu_detect());
  free(x);
  free(y);
  free(y0);
}

/* MaxPool's 3-wide column pass (oq_max3_row_fn) and row pass (oq_max_rows_fn): every level gives the scalar
 * expression's bits (NaN never wins, the first of +0/-0 ties stays), strides 1 and 2, every length up to 40, reading
 * only its window (the row ends right after the last window: an overread would hit the guard page of a fresh allocation
 * at the end). */
OQ_TEST(maxpool_rows_match_scalar_on_every_level) {
  enum { W = 90 };
  float *v = malloc(W * sizeof(float)), y[40], want[40];
  REQUIRE(v);
  for (int i = 0; i < W; i++) v[i] = i % 11 == 3 ? NAN : i % 7 == 2 ? 0.0f : i % 7 == 5 ? -0.0f : rnd_f();
  FOR_EACH_LEVEL(lv) {
    const oq_simd *sd = oq_simd_get();
    for (size_t stride = 1; stride <= 2; stride++)
      for (size_t n = 0; n <= 40; n++) {
        size_t need = n ? (n - 1) * stride + 3 : 0;
        const float *row = v + W - need; /* the window ends at the buffer's end */
        for (size_t i = 0; i < n; i++) {
          const float *p = row + i * stride;
          float b = p[0];
          b = p[1] > b ? p[1] : b;
          want[i] = p[2] > b ? p[2] : b;
        }
        for (size_t i = 0; i < 40; i++) y[i] = 12345.0f;
        sd->max3_row(row, stride, y, n);
        CHECK(memcmp(y, want, n * sizeof(float)) == 0);
        for (size_t i = n; i < 40; i++) CHECK(y[i] == 12345.0f);
      }
  }
  /* the row pass (oq_max_rows_fn): 1 to 5 rows, every length up to 40 */
  FOR_EACH_LEVEL(lv) {
    const oq_simd *sd = oq_simd_get();
    for (size_t k = 1; k <= 5; k++)
      for (size_t n = 0; n <= 40; n++) {
        const float *rows[5];
        for (size_t r = 0; r < k; r++) rows[r] = v + W - n - 7 * r; /* the last row ends at the buffer's end */
        for (size_t i = 0; i < n; i++) {
          float b = rows[0][i];
          for (size_t r = 1; r < k; r++) b = rows[r][i] > b ? rows[r][i] : b;
          want[i] = b;
        }
        for (size_t i = 0; i < 40; i++) y[i] = 12345.0f;
        sd->max_rows(rows, k, y, n);
        CHECK(memcmp(y, want, n * sizeof(float)) == 0);
        for (size_t i = n; i < 40; i++) CHECK(y[i] == 12345.0f);
      }
  }
  oq_cpu_force(oq_cpu_detect());
  free(v);
}

/* im2col's strided copy (oq_copy_strided_fn): the same floats on every level (NaN payloads, signed zeros), strides 1
 * to 3, every length up to 70, reading only s[0 .. (n - 1) * stride] (the run ends at the buffer's end) and writing
 * only d[0 .. n). */
OQ_TEST(copy_strided_on_every_level) {
  enum { W = 220, N = 70 };
  float *v = malloc(W * sizeof(float)), y[N + 8], want[N];
  REQUIRE(v);
  for (int i = 0; i < W; i++) v[i] = i % 11 == 3 ? NAN : i % 7 == 2 ? 0.0f : i % 7 == 5 ? -0.0f : rnd_f();
  FOR_EACH_LEVEL(lv) {
    const oq_simd *sd = oq_simd_get();
    for (size_t stride = 1; stride <= 3; stride++)
      for (size_t n = 0; n <= N; n++) {
        size_t need = n ? (n - 1) * stride + 1 : 0;
        const float *src = v + W - need;
        for (size_t i = 0; i < n; i++) want[i] = src[i * stride];
        for (size_t i = 0; i < N + 8; i++) y[i] = 12345.0f;
        sd->copy_strided(y, src, stride, n);
        CHECK(memcmp(y, want, n * sizeof(float)) == 0);
        for (size_t i = n; i < N + 8; i++) CHECK(y[i] == 12345.0f);
      }
  }
  oq_cpu_force(oq_cpu_detect());
  free(v);
}

/* The classifier's dot products (oq_dot_rows_fn): the bits of the plain 8-partial-sum loop on every level, every
 * depth up to 40 (whole blocks of 8 and tails) and 0 to 9 rows (the 4-row blocks and the rest). */
OQ_TEST(dot_rows_same_bits_on_every_level) {
  enum { K = 40, R = 9 };
  float x[K], b[R * (K + 3)], out[R], want[R];
  for (int i = 0; i < K; i++) x[i] = rnd_f();
  for (int i = 0; i < R * (K + 3); i++) b[i] = rnd_f();
  FOR_EACH_LEVEL(lv) {
    const oq_simd *sd = oq_simd_get();
    for (size_t k = 0; k <= K; k++)
      for (size_t n = 0; n <= R; n++) {
        for (size_t j = 0; j < n; j++) {
          const float *y = b + j * (K + 3);
          float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
          size_t p = 0;
          for (; p + 8 <= k; p += 8)
            for (int l = 0; l < 8; l++) acc[l] += x[p + l] * y[p + l];
          float sum = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
          for (; p < k; p++) sum += x[p] * y[p];
          want[j] = sum;
        }
        sd->dot_rows(x, b, K + 3, k, n, out);
        CHECK(memcmp(out, want, n * sizeof(float)) == 0);
      }
  }
  oq_cpu_force(oq_cpu_detect());
}

/* LayerNormalization's row (oq_ln_row_fn): the same bits on every level, with and without bias, every length up to
 * 70, and within 1e-5 of the two-pass formula in long double. */
OQ_TEST(ln_row_same_bits_on_every_level) {
  enum { L = 70 };
  float x[L], sc[L], b[L], y[L], y0[2][L + 1][L];
  double m0[2][L + 1], i0[2][L + 1];
  for (int i = 0; i < L; i++) {
    x[i] = 3.0f + rnd_f() * (i % 5 ? 1.0f : 40.0f);
    sc[i] = rnd_f();
    b[i] = rnd_f();
  }
  FOR_EACH_LEVEL(lv) {
    const oq_simd *sd = oq_simd_get();
    for (int hb = 0; hb < 2; hb++)
      for (size_t n = 0; n <= L; n++) {
        double mean, inv;
        sd->ln_row(x, sc, hb ? b : NULL, y, n, 1e-5, &mean, &inv);
        if (lv == 0) {
          memcpy(y0[hb][n], y, n * sizeof(float));
          m0[hb][n] = mean;
          i0[hb][n] = inv;
          long double s = 0, ss = 0;
          for (size_t i = 0; i < n; i++) s += x[i];
          long double mu = n ? s / n : 0;
          for (size_t i = 0; i < n; i++) ss += (x[i] - mu) * (x[i] - mu);
          long double iv = 1.0L / sqrtl((n ? ss / n : 0) + 1e-5L);
          for (size_t i = 0; i < n; i++) {
            long double want = (x[i] - mu) * iv * sc[i] + (hb ? b[i] : 0);
            CHECK(fabsl(y[i] - want) <= 1e-5L);
          }
        } else {
          CHECK(memcmp(y0[hb][n], y, n * sizeof(float)) == 0);
          CHECK(memcmp(&m0[hb][n], &mean, sizeof mean) == 0 && memcmp(&i0[hb][n], &inv, sizeof inv) == 0);
        }
      }
  }
  oq_cpu_force(oq_cpu_detect());
}

/* Add/Sub/Mul/Div rows (oq_bin_row_fn): the scalar operation's bits on every level, rows and broadcast scalars on
 * either side, lengths 0-70, out of place and in place (o == a, o == b). */
OQ_TEST(bin_row_matches_scalar_on_every_level) {
  enum { L = 70 };
  float a[L], b[L], o[L], want[L];
  for (int i = 0; i < L; i++) {
    a[i] = i % 9 == 4 ? 0.0f : rnd_f() * 3.0f;
    b[i] = i % 13 == 6 ? 0.0f : i % 17 == 3 ? NAN : rnd_f();
  }
  FOR_EACH_LEVEL(lv) {
    const oq_simd *sd = oq_simd_get();
    for (int op = 0; op < 4; op++)
      for (size_t sa = 0; sa <= 1; sa++)
        for (size_t sb = 0; sb <= 1; sb++)
          for (size_t n = 0; n <= L; n++)
            for (int place = 0; place < 3; place++) {
              if ((place == 1 && !sa) || (place == 2 && !sb)) continue;
              for (size_t i = 0; i < n; i++) {
                float x = a[i * sa], y = b[i * sb];
                want[i] = op == 0 ? x + y : op == 1 ? x - y : op == 2 ? x * y : x / y;
              }
              float ca[L], cb[L];
              memcpy(ca, a, sizeof ca);
              memcpy(cb, b, sizeof cb);
              float *out = place == 1 ? ca : place == 2 ? cb : o;
              sd->bin_row(op, ca, sa, cb, sb, out, n);
              CHECK(memcmp(out, want, n * sizeof(float)) == 0);
            }
  }
  oq_cpu_force(oq_cpu_detect());
}

/* The double sum of GlobalAveragePool and ReduceSum/Mean rows (oq_sum_d_fn): the same bits on every level, lengths
 * 0-300, and the documented order (8 partial sums, a fixed tree, then the tail). */
OQ_TEST(sum_d_same_bits_on_every_level) {
  enum { L = 300 };
  float x[L];
  double s0[L + 1];
  for (int i = 0; i < L; i++) x[i] = rnd_f() * (i % 7 ? 1.0f : 1e6f);
  FOR_EACH_LEVEL(lv) {
    const oq_simd *sd = oq_simd_get();
    for (size_t n = 0; n <= L; n++) {
      double s = sd->sum_d(x, n);
      if (lv == 0) {
        double a[8] = {0};
        size_t i = 0;
        for (; i + 8 <= n; i += 8)
          for (int l = 0; l < 8; l++) a[l] += x[i + l];
        double want = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
        for (; i < n; i++) want += x[i];
        CHECK(memcmp(&s, &want, sizeof s) == 0);
        s0[n] = s;
      } else {
        CHECK(memcmp(&s, &s0[n], sizeof s) == 0);
      }
    }
  }
  oq_cpu_force(oq_cpu_detect());
}

/* Applies a Relu or Clip to n floats as the separate nodes do (the SIMD level's relu and clamp). */
static void act_apply(oq_gemm_act act, float lo, float hi, float *y, size_t n) {
  if (act == OQ_GEMM_ACT_RELU) oq_simd_get()->relu(y, y, n);
  if (act == OQ_GEMM_ACT_CLAMP) oq_simd_get()->clamp(y, y, n, lo, hi);
  if (act == OQ_GEMM_ACT_SILU) oq_simd_get()->silu(y, y, n);
}

/* The pack callback of the tests: B (k x n, row-major, ldb) packed the documented way. */
typedef struct test_fill {
  const float *b;
  size_t ldb;
} test_fill;

static void test_pack(void *ctx, size_t p0, size_t kc, size_t j0, size_t nc, float *dst, size_t nr) {
  const test_fill *f = ctx;
  for (size_t j = 0; j < (nc + nr - 1) / nr * nr; j++)
    for (size_t p = 0; p < kc; p++)
      dst[(j / nr) * kc * nr + p * nr + j % nr] = j < nc ? f->b[(p0 + p) * f->ldb + j0 + j] : 0.0f;
}

/* Bias and activation in the micro-kernel's store give the bits of a plain product followed by the separate bias add
 * and Relu/Clip; B packed by a callback gives the bits of B read from memory; on every pool size. */
OQ_TEST(sgemm_epilogue_equals_separate_passes) {
  FOR_EACH_LEVEL(lv) {
    oq_error err = {0};
    for (int iter = 0; iter < 40; iter++) {
      size_t m = (size_t)rnd_in(2, 200), n = (size_t)rnd_in(2, 300), k = (size_t)rnd_in(1, 600);
      if (iter < 3) m = (size_t)rnd_in(1, 8); /* small products too */
      int ta = (int)rnd_in(0, 1), tb = (int)rnd_in(0, 1);
      oq_gemm_act act = (oq_gemm_act)(iter % 3);
      float lo = -0.25f, hi = 0.5f;
      size_t lda = ta ? m : k, ldb = tb ? k : n;
      float *a = malloc(m * k * 4), *b = malloc(k * n * 4), *bias = malloc(m * 4), *c0 = malloc(m * n * 4),
            *c1 = malloc(m * n * 4), *c2 = malloc(m * n * 4), *c3 = malloc(m * n * 4);
      REQUIRE(a && b && bias && c0 && c1 && c2 && c3);
      for (size_t i = 0; i < m * k; i++) a[i] = rnd_f();
      for (size_t i = 0; i < k * n; i++) b[i] = rnd_f();
      for (size_t i = 0; i < m; i++) bias[i] = rnd_f();
      for (int32_t threads = 1; threads <= 3; threads++) {
        oq_threadpool *pool = NULL;
        REQUIRE_OK(oq_threadpool_create(threads, &pool, &err));
        int32_t th = oq_threadpool_size(pool);
        REQUIRE_OK(sgemm_fast(pool, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c0, n, &err));
        for (size_t i = 0; i < m; i++) {
          for (size_t j = 0; j < n; j++) c0[i * n + j] = c0[i * n + j] + bias[i];
          act_apply(act, lo, hi, c0 + i * n, n);
        }
        oq_sgemm_epi epi = {bias, act, lo, hi};
        oq_sgemm_pack pack = {NULL, oq_sgemm_pack_floats(m, n, k), oq_sgemm_slots(th, m, n, k, 0)};
        if (pack.slot_floats) pack.buf = malloc(pack.slot_floats * (size_t)pack.n_slots * 4);
        for (size_t i = 0; i < m * n; i++) c1[i] = NAN; /* beta 0 never reads C */
        REQUIRE_OK(oq_sgemm_epi_run(pool, &pack, ta, tb, m, n, k, 1.0f, a, lda, b, ldb, 0.0f, c1, n, &epi, &err));
        CHECK(memcmp(c0, c1, m * n * 4) == 0);
        free(pack.buf);
        if (!ta && !tb) { /* the callback against B in memory (both packed: m, n > 1 and not tiny) */
          test_fill f = {b, n};
          oq_sgemm_pack fp = {NULL, oq_sgemm_fill_floats(m, n, k), oq_sgemm_slots(th, m, n, k, 1)};
          fp.buf = malloc((fp.slot_floats ? fp.slot_floats : 1) * (size_t)fp.n_slots * 4);
          REQUIRE_OK(oq_sgemm_fill(pool, &fp, 0, m, n, k, 1.0f, a, k, test_pack, &f, 0.0f, c2, n, &epi, &err));
          if (m * n * k >= 32768 && m > 1) CHECK(memcmp(c0, c2, m * n * 4) == 0);
          oq_sgemm_ref(0, 0, m, n, k, 1.0f, a, k, b, n, 0.0f, c3, n);
          double worst = 0;
          for (size_t i = 0; i < m; i++) {
            for (size_t j = 0; j < n; j++) c3[i * n + j] += bias[i];
            act_apply(act, lo, hi, c3 + i * n, n);
            for (size_t j = 0; j < n; j++) {
              double d = fabs((double)c2[i * n + j] - (double)c3[i * n + j]);
              if (d > worst) worst = d;
            }
          }
          CHECK(worst <= 1e-4);
          free(fp.buf);
        }
        oq_threadpool_free(pool);
      }
      free(a);
      free(b);
      free(bias);
      free(c0);
      free(c1);
      free(c2);
      free(c3);
    }
  }
  oq_cpu_force(oq_cpu_detect());
}

/* The depthwise row kernel (3x3 and 5x5, stride 1 and 2, any pads): against the reference, the same bits on every
 * level and pool size, and a fused activation gives the bits of the separate pass. */
OQ_TEST(depthwise_rows_match_reference) {
  oq_error err = {0};
  for (int iter = 0; iter < 96; iter++) {
    oq_conv_shape cs;
    memset(&cs, 0, sizeof cs);
    oq_window w;
    memset(&w, 0, sizeof w);
    int64_t k = iter % 2 ? 5 : 3, s = (iter / 2) % 2 ? 2 : 1;
    int same = (iter / 4) % 2; /* pads (k - 1) / 2 on every side: the flat stride-1 plane kernel */
    int64_t in[2] = {rnd_in(1, 20), rnd_in(1, iter % 3 ? 40 : 80)}, ks[2] = {k, k};
    w.n_strides = w.n_dilations = 2;
    w.n_pads = 4;
    for (int i = 0; i < 2; i++) {
      w.strides[i] = s;
      w.dilations[i] = 1;
      w.pads[i] = same ? k / 2 : rnd_in(0, k / 2 + 1);
      w.pads[i + 2] = same ? k / 2 : rnd_in(0, k / 2 + 1);
      if (in[i] + w.pads[i] + w.pads[i + 2] < k) in[i] = k;
    }
    cs.n = rnd_in(1, 2);
    cs.c = cs.m = rnd_in(1, 6);
    cs.cg = cs.mg = 1;
    if (oq_window_resolve(&w, 2, in, ks, &cs.g, &err) != OQ_OK) continue;
    cs.in_sp = in[0] * in[1];
    cs.out_sp = cs.g.out[0] * cs.g.out[1];
    cs.kprod = k * k;
    size_t nx = (size_t)(cs.n * cs.c * cs.in_sp), ny = (size_t)(cs.n * cs.m * cs.out_sp), nw = (size_t)(cs.m * k * k);
    float *x = malloc(nx * 4), *wt = malloc(nw * 4), *b = malloc((size_t)cs.m * 4), *y0 = malloc(ny * 4),
          *y1 = malloc(ny * 4), *yr = malloc(ny * 4);
    REQUIRE(x && wt && b && y0 && y1 && yr);
    for (size_t i = 0; i < nx; i++) x[i] = rnd_f();
    for (size_t i = 0; i < nw; i++) wt[i] = rnd_f();
    for (int64_t i = 0; i < cs.m; i++) b[i] = rnd_f();
    oq_conv_act act = {(oq_gemm_act)(iter % 4), -0.5f, 0.75f}; /* none, Relu, Clip, x * sigmoid(x) */
    oq_conv_ref(&cs, x, wt, b, yr);
    act_apply(act.act, act.lo, act.hi, yr, ny);
    int first = 1;
    FOR_EACH_LEVEL(lv) {
      for (int32_t threads = 1; threads <= 3; threads++) {
        oq_threadpool *pool = NULL;
        REQUIRE_OK(oq_threadpool_create(threads, &pool, &err));
        size_t floats = oq_conv_scratch_floats(&cs, oq_threadpool_size(pool));
        CHECK(floats > 0);
        float *scratch = malloc((floats ? floats : 1) * 4);
        REQUIRE(scratch);
        REQUIRE_OK(oq_conv_fast(&cs, x, wt, b, &act, y1, pool, scratch, &err));
        if (first) {
          double worst = 0;
          for (size_t i = 0; i < ny; i++) {
            double d = fabs((double)y1[i] - (double)yr[i]);
            if (d > worst) worst = d;
          }
          CHECK(worst <= 1e-4);
          memcpy(y0, y1, ny * 4);
          first = 0;
        }
        CHECK(memcmp(y0, y1, ny * 4) == 0);
        REQUIRE_OK(oq_conv_fast(&cs, x, wt, b, NULL, y1, pool, scratch, &err));
        act_apply(act.act, act.lo, act.hi, y1, ny);
        CHECK(memcmp(y0, y1, ny * 4) == 0);
        free(scratch);
        oq_threadpool_free(pool);
      }
    }
    oq_cpu_force(oq_cpu_detect());
    free(x);
    free(wt);
    free(b);
    free(y0);
    free(y1);
    free(yr);
  }
}

OQ_TEST_MAIN()
