/* Range methods and histograms against independently computed values: the MSE clip of a Laplace tensor (analytic
 * optimum), a KL threshold worked out by hand, percentiles of known distributions, entropy inside min/max with
 * outliers, histograms independent of the order and split of the data, exact moving averages. */
#include "oq_test.h"

#include "calib/range.h"

#include <stdint.h>

static uint64_t rng_state = 88172645463325252ull;
static double uniform01(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return ((double)(rng_state >> 11) + 0.5) / 9007199254740992.0;
}
static float laplace(double b) {
  double u = uniform01() - 0.5;
  return (float)(u < 0 ? b * log(1 + 2 * u) : -b * log(1 - 2 * u));
}
static float gauss(void) { return (float)(sqrt(-2 * log(uniform01())) * cos(6.283185307179586 * uniform01())); }

static void feed(oq_calib_stats *s, const float *x, size_t n) {
  oq_tensor t = {0};
  t.dtype = OQ_DTYPE_FLOAT;
  t.ndim = 1;
  t.dims[0] = (int64_t)n;
  t.data = (void *)x;
  t.nbytes = n * sizeof(float);
  oq_calib_stats_update(s, 0, &t);
}

static int stats1(oq_calib_stats *s, int32_t bins) {
  oq_error err = {0};
  return oq_calib_stats_init(s, 1, NULL, &err) == OQ_OK && oq_calib_stats_init_extra(s, bins, &err) == OQ_OK;
}

static void range_of(const oq_calib_stats *s, int method, int bits, int sym, float *lo, float *hi) {
  oq_quant_options o;
  oq_quant_options_init(&o);
  o.method = method;
  oq_range_target t = {bits, sym};
  int32_t has = 0;
  oq_error err = {0};
  CHECK(oq_calib_range(s, 0, &o, &t, &has, lo, hi, &err) == OQ_OK && has);
}

/* Expected squared error of a Laplace(b) clipped to [-a, a] on a grid of 2^bits - 2 steps: rounding error
 * (2a / steps)^2 / 12 plus clipping error 2 b^2 e^(-a/b). Minimized on a fine grid. */
static double laplace_mse_opt(double b, int bits) {
  double steps = pow(2, bits) - 2, best = INFINITY, best_a = 0;
  for (double a = 0.01 * b; a < 30 * b; a += 0.0005 * b) {
    double st = 2 * a / steps, e = st * st / 12 + 2 * b * b * exp(-a / b);
    if (e < best) {
      best = e;
      best_a = a;
    }
  }
  return best_a;
}

OQ_TEST(mse_laplace_matches_analytic_optimum) {
  enum { N = 1 << 21 };
  float *x = malloc(N * sizeof *x);
  REQUIRE(x);
  const double b = 0.7;
  for (int i = 0; i < N; i++) x[i] = laplace(b);
  const int bits_list[2] = {8, 4};
  for (int k = 0; k < 2; k++) {
    oq_calib_stats s;
    REQUIRE(stats1(&s, 2048));
    feed(&s, x, N);
    float lo, hi;
    range_of(&s, OQ_CALIB_MSE, bits_list[k], 1, &lo, &hi);
    double want = laplace_mse_opt(b, bits_list[k]);
    /* 8 bits: about 9.9 b (Banner et al.); 4 bits: about 5 b */
    CHECK_NEAR(hi, want, 0.04 * want);
    CHECK_NEAR(lo, -want, 0.04 * want);
    CHECK(hi < s.max[0]);
    oq_calib_stats_free(&s);
  }
  free(x);
}

OQ_TEST(entropy_threshold_worked_by_hand) {
  /* h = [4, 2, 1, 1], 2 levels. i=2: P=[.5,.5], Q=[2/3,1/3], KL=.0589. i=3: P=[.5,.25,.25], Q groups {0},{1,2}
   * -> [4/7, 1.5/7, 1.5/7], KL=.0103. i=4: P=[.5,.25,.125,.125], Q=[3/8,3/8,1/8,1/8], KL=.0425. Best: 3 bins. */
  const uint64_t h[4] = {4, 2, 1, 1};
  CHECK(oq_calib_entropy_bins(h, 4, 2) == 3);
  /* a flat histogram loses nothing by keeping every bin */
  const uint64_t flat[8] = {5, 5, 5, 5, 5, 5, 5, 5};
  CHECK(oq_calib_entropy_bins(flat, 8, 4) == 8);
}

OQ_TEST(entropy_with_outliers_is_inside_minmax) {
  enum { N = 200000 };
  float *x = malloc(N * sizeof *x);
  REQUIRE(x);
  for (int i = 0; i < N; i++) x[i] = gauss();
  x[17] = 60.0f;
  x[4242] = -45.0f;
  oq_calib_stats s;
  REQUIRE(stats1(&s, 2048));
  feed(&s, x, N);
  float lo, hi;
  range_of(&s, OQ_CALIB_ENTROPY, 8, 1, &lo, &hi);
  CHECK(hi < 0.25f * s.max[0]);
  CHECK(lo > 0.25f * s.min[0]);
  CHECK(hi > 2.5f); /* but keeps the bulk of a unit Gaussian */
  oq_calib_stats_free(&s);
  free(x);
}

OQ_TEST(percentile_of_known_distributions) {
  enum { N = 100000 };
  float *x = malloc(N * sizeof *x);
  REQUIRE(x);
  for (int i = 0; i < N; i++) x[i] = (float)(2 * ((i + 0.5) / N) - 1); /* uniform on (-1, 1) */
  oq_calib_stats s;
  REQUIRE(stats1(&s, 2048));
  feed(&s, x, N);
  oq_quant_options o;
  oq_quant_options_init(&o);
  o.method = OQ_CALIB_PERCENTILE;
  o.percentile = 90;
  oq_range_target sym = {8, 1}, asym = {8, 0};
  int32_t has;
  float lo, hi;
  oq_error err = {0};
  REQUIRE(oq_calib_range(&s, 0, &o, &sym, &has, &lo, &hi, &err) == OQ_OK);
  CHECK_NEAR(hi, 0.9, 0.002); /* |x| uniform on (0, 1) */
  CHECK_NEAR(lo, -0.9, 0.002);
  REQUIRE(oq_calib_range(&s, 0, &o, &asym, &has, &lo, &hi, &err) == OQ_OK);
  CHECK_NEAR(hi, 0.9, 0.002); /* 5% off each tail of x */
  CHECK_NEAR(lo, -0.9, 0.002);
  oq_calib_stats_free(&s);
  /* a ReLU-like value: the lower end stays at min */
  REQUIRE(stats1(&s, 2048));
  for (int i = 0; i < N; i++) x[i] = (float)((i + 0.5) / N);
  feed(&s, x, N);
  REQUIRE(oq_calib_range(&s, 0, &o, &asym, &has, &lo, &hi, &err) == OQ_OK);
  CHECK_NEAR(hi, 0.95, 0.002);
  CHECK_NEAR(lo, 0.05, 0.002);
  o.method = OQ_CALIB_ENTROPY;
  REQUIRE(oq_calib_range(&s, 0, &o, &asym, &has, &lo, &hi, &err) == OQ_OK);
  CHECK(lo == s.min[0]);
  oq_calib_stats_free(&s);
  free(x);
}

OQ_TEST(histogram_independent_of_order_and_split) {
  enum { N = 5000 };
  float x[N];
  for (int i = 0; i < N; i++) x[i] = laplace(0.01 * (1 + i % 7)) * (i % 1000 == 999 ? 300.0f : 1.0f);
  x[10] = 0.0f;
  x[11] = -0.0f;
  x[12] = NAN;
  x[13] = INFINITY;
  oq_calib_stats all, a, b, rev;
  REQUIRE(stats1(&all, 64) && stats1(&a, 64) && stats1(&b, 64) && stats1(&rev, 64));
  feed(&all, x, N);
  /* small pieces first, then the ones that widen the range; and the other way round */
  for (int i = 0; i < N; i += 100) feed(i % 200 ? &a : &b, x + i, 100);
  for (int i = N - 50; i >= 0; i -= 50) feed(&rev, x + i, 50);
  oq_error err = {0};
  REQUIRE(oq_calib_stats_merge(&b, &a, &err) == OQ_OK);
  CHECK(all.hexp[0] == b.hexp[0] && all.hexp[0] == rev.hexp[0]);
  CHECK(!memcmp(all.hist, b.hist, 2 * 64 * sizeof *all.hist));
  CHECK(!memcmp(all.hist, rev.hist, 2 * 64 * sizeof *all.hist));
  uint64_t total = 0;
  for (int k = 0; k < 128; k++) total += all.hist[k];
  CHECK(total == N - 2); /* NaN and inf are not counted */
  /* the range is the smallest power of two above max |x| (finite) */
  float amax = 0;
  for (int i = 0; i < N; i++)
    if (isfinite(x[i]) && fabsf(x[i]) > amax) amax = fabsf(x[i]);
  CHECK(ldexp(1, all.hexp[0]) > amax && ldexp(1, all.hexp[0] - 1) <= amax);
  oq_calib_stats_free(&all);
  oq_calib_stats_free(&a);
  oq_calib_stats_free(&b);
  oq_calib_stats_free(&rev);
}

OQ_TEST(moving_average_is_exact_mean) {
  oq_calib_stats s1, s2;
  REQUIRE(stats1(&s1, 0) && stats1(&s2, 0));
  const float t0[3] = {-1.0f, 0.5f, 3.0f}, t1[2] = {-3.0f, 1e-30f}, t2[2] = {1e20f, -1e-20f};
  feed(&s1, t0, 3);
  feed(&s1, t1, 2);
  feed(&s1, t2, 2);
  feed(&s2, t2, 2);
  feed(&s2, t1, 2);
  feed(&s2, t0, 3);
  float lo1, hi1, lo2, hi2;
  oq_calib_stats_mean_minmax(&s1, 0, &lo1, &hi1);
  oq_calib_stats_mean_minmax(&s2, 0, &lo2, &hi2);
  CHECK(lo1 == lo2 && hi1 == hi2);
  CHECK(lo1 == (float)((-1.0 - 3.0 - 1e-20) / 3));
  CHECK(hi1 == (float)((3.0 + 1e-30 + 1e20) / 3));
  oq_quant_options o;
  oq_quant_options_init(&o);
  o.moving_average = 1;
  oq_range_target t = {8, 0};
  int32_t has;
  float lo, hi;
  oq_error err = {0};
  REQUIRE(oq_calib_range(&s1, 0, &o, &t, &has, &lo, &hi, &err) == OQ_OK);
  CHECK(lo == lo1 && hi == hi1);
  oq_calib_stats_free(&s1);
  oq_calib_stats_free(&s2);
}

OQ_TEST(histogram_methods_need_histograms_and_valid_options) {
  oq_calib_stats s;
  REQUIRE(stats1(&s, 0));
  const float x[2] = {1, 2};
  feed(&s, x, 2);
  oq_quant_options o;
  oq_quant_options_init(&o);
  o.method = OQ_CALIB_ENTROPY;
  oq_range_target t = {8, 0};
  int32_t has;
  float lo, hi;
  oq_error err = {0};
  CHECK(oq_calib_range(&s, 0, &o, &t, &has, &lo, &hi, &err) == OQ_ERR_INVALID_ARG);
  CHECK(strstr(err.msg, "histograms") != NULL);
  oq_calib_stats_free(&s);
  o.bins = 1000;
  CHECK(oq_calib_check_options(&o, &err) == OQ_ERR_INVALID_ARG);
  o.bins = 2048;
  o.percentile = 0;
  CHECK(oq_calib_check_options(&o, &err) == OQ_ERR_INVALID_ARG);
  o.percentile = 99;
  o.levels = 4096;
  CHECK(oq_calib_check_options(&o, &err) == OQ_ERR_INVALID_ARG);
  o.levels = 128;
  CHECK(oq_calib_check_options(&o, &err) == OQ_OK);
}

OQ_TEST_MAIN()
