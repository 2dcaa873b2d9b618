/* Range methods: the range a value is quantized over, from its calibration statistics.
 *
 * The histogram methods work on the value's histogram (calib.h): bins per sign over [0, R), R a power of two.
 * Thresholds t are searched on the histogram of |x|; the returned range is [max(min, -t), min(max, t)], so a value
 * that is never negative (a ReLU output) keeps lo = min instead of wasting half of an asymmetric type on [-t, 0).
 * Percentile on an asymmetric target cuts each tail of the signed histogram instead. */
#include "calib/range.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

oq_status oq_calib_check_options(const oq_quant_options *o, oq_error *err) {
  if (o->method < OQ_CALIB_MINMAX || o->method > OQ_CALIB_MSE)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "unknown range method %d", (int)o->method);
  if (!(o->percentile > 0 && o->percentile <= 100))
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "percentile must be in (0, 100], got %g", o->percentile);
  if (o->bins < 8 || o->bins > OQ_CALIB_MAX_BINS || (o->bins & (o->bins - 1)) != 0)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "histogram bins must be a power of two from 8 to %d, got %d",
                  OQ_CALIB_MAX_BINS, (int)o->bins);
  if (o->levels < 2 || o->levels > o->bins)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "entropy levels must be from 2 to the bin count %d, got %d", (int)o->bins,
                  (int)o->levels);
  if (o->weight_range != OQ_CALIB_MINMAX && o->weight_range != OQ_CALIB_MSE)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "weight range method must be minmax or mse, got %d", (int)o->weight_range);
  return OQ_OK;
}

/* ---- entropy (TensorRT's KL divergence calibration) ------------------------------------------------------------ */

/* For each candidate i (levels .. n bins): P = the first i bins with everything beyond added to bin i-1; Q = the
 * first i bins merged into `levels` groups (i / levels bins each, the last group takes the rest), each group's count
 * spread evenly over its bins that are non-zero in P; both normalized; KL(P || Q). A candidate where P has mass
 * that Q cannot give (a group with no count but outliers in its last bin) is skipped. The threshold is TensorRT's
 * (m + 0.5) bin widths for the best m. Returns the number of bins m, or 0 when the histogram is too small. */
int32_t oq_calib_entropy_bins(const uint64_t *h, int32_t n, int32_t levels) {
  if (n <= levels) return n;
  uint64_t total = 0;
  for (int32_t k = 0; k < n; k++) total += h[k];
  if (total == 0) return n;
  double best = INFINITY;
  int32_t best_i = n;
  uint64_t outliers = total; /* counts of bins i.. : added to the last kept bin */
  for (int32_t k = 0; k < levels; k++) outliers -= h[k];
  for (int32_t i = levels; i <= n; i++) {
    if (i > levels) outliers -= h[i - 1];
    double psum = (double)total;
    int32_t per = i / levels;
    double qsum = 0, kl = 0;
    int ok = 1;
    /* first pass: Q's normalizer (sum of spread counts over P's non-zero bins) */
    for (int32_t g = 0; g < levels; g++) {
      int32_t a = g * per, b = g == levels - 1 ? i : a + per;
      double cnt = 0;
      int32_t nz = 0;
      for (int32_t k = a; k < b; k++) {
        cnt += (double)h[k];
        uint64_t pk = h[k] + (k == i - 1 ? outliers : 0);
        if (pk) nz++;
      }
      if (nz) qsum += cnt;
    }
    if (qsum <= 0) continue;
    for (int32_t g = 0; g < levels && ok; g++) {
      int32_t a = g * per, b = g == levels - 1 ? i : a + per;
      double cnt = 0;
      int32_t nz = 0;
      for (int32_t k = a; k < b; k++) {
        cnt += (double)h[k];
        if (h[k] + (k == i - 1 ? outliers : 0)) nz++;
      }
      for (int32_t k = a; k < b; k++) {
        uint64_t pk = h[k] + (k == i - 1 ? outliers : 0);
        if (!pk) continue;
        double p = (double)pk / psum, q = cnt / nz / qsum;
        if (q <= 0) {
          ok = 0;
          break;
        }
        kl += p * log(p / q);
      }
    }
    if (ok && kl < best) {
      best = kl;
      best_i = i;
    }
  }
  return best_i;
}

/* ---- MSE ------------------------------------------------------------------------------------------------------ */

/* Expected squared error of quantizing the histogram's data (bin centers stand for their elements) over [-tn, tp]
 * with 2^bits - 1 steps (symmetric: 2^bits - 2, the int8 [-127, 127] grid): elements inside get the rounding error
 * step^2 / 12, elements outside their clipping distance squared. */
typedef struct mse_side {
  const uint64_t *h;     /* counts by |x| on this side */
  double w;              /* bin width */
  double *cnt, *s1, *s2; /* suffix sums from bin k: counts, counts * |c|, counts * c^2 */
} mse_side;

static void mse_side_init(mse_side *m, int32_t n) {
  m->cnt[n] = m->s1[n] = m->s2[n] = 0;
  for (int32_t k = n - 1; k >= 0; k--) {
    double c = (k + 0.5) * m->w, h = (double)m->h[k];
    m->cnt[k] = m->cnt[k + 1] + h;
    m->s1[k] = m->s1[k + 1] + h * c;
    m->s2[k] = m->s2[k + 1] + h * c * c;
  }
}

/* Clipping error of the bins from k on, clipped to t: sum n (c - t)^2. */
static double clip_err(const mse_side *m, int32_t k, double t) {
  return m->s2[k] - 2 * t * m->s1[k] + t * t * m->cnt[k];
}

/* Best threshold (upper bin edge k * w, k = 1..n) for the histograms of the positive and negative sides; ext_p /
 * ext_n: the largest positive value and the largest |negative| value (0 when none): a side is clipped only where t
 * is below its extreme. */
static double mse_threshold(const uint64_t *pos, const uint64_t *neg, int32_t n, double w, double ext_p, double ext_n,
                            int32_t bits, int symmetric, double *work) {
  mse_side P = {pos, w, work, work + (n + 1), work + 2 * (n + 1)};
  mse_side N = {neg, w, work + 3 * (n + 1), work + 4 * (n + 1), work + 5 * (n + 1)};
  mse_side_init(&P, n);
  mse_side_init(&N, n);
  double steps = symmetric ? ldexp(1.0, bits) - 2 : ldexp(1.0, bits) - 1;
  double total = P.cnt[0] + N.cnt[0];
  double best = INFINITY, best_t = fmax(ext_p, ext_n);
  for (int32_t k = 1; k <= n; k++) {
    double t = k * w;
    double tp = fmin(t, ext_p), tn = fmin(t, ext_n);
    double width = symmetric ? 2 * fmax(tp, tn) : tp + tn;
    double step = width / steps;
    double e = total * step * step / 12;
    if (t < ext_p) e += clip_err(&P, k, t);
    if (t < ext_n) e += clip_err(&N, k, t);
    if (e < best) {
      best = e;
      best_t = t;
    }
    if (t >= ext_p && t >= ext_n) break; /* larger t only adds rounding error */
  }
  return best_t;
}

double oq_calib_mse_threshold(const uint64_t *pos, const uint64_t *neg, int32_t n, double w, double ext_p, double ext_n,
                              int32_t bits, int symmetric) {
  double *work = malloc((size_t)6 * ((size_t)n + 1) * sizeof *work);
  if (!work) return fmax(ext_p, ext_n);
  double t = mse_threshold(pos, neg, n, w, ext_p, ext_n, bits, symmetric, work);
  free(work);
  return t;
}

/* ---- the seam ------------------------------------------------------------------------------------------------- */

static void clamp_range(float mn, float mx, double t, float *lo, float *hi) {
  float ft = (float)t;
  *lo = -ft > mn ? -ft : mn;
  *hi = ft < mx ? ft : mx;
}

oq_status oq_calib_range(const oq_calib_stats *stats, int32_t value_id, const oq_quant_options *opts,
                         const oq_range_target *target, int32_t *has, float *lo, float *hi, oq_error *err) {
  oq_status st = OQ_OK;
  uint64_t *abs_h = NULL;
  double *work = NULL;
  if (!stats || !has || !lo || !hi) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_calib_range: NULL argument");
  *has = 0;
  if (value_id < 0 || value_id >= stats->n_values) return OQ_OK;
  if (!stats->tracked[value_id] || stats->seen[value_id] <= 0) return OQ_OK;
  int32_t method = opts ? opts->method : OQ_CALIB_MINMAX;
  float mn = stats->min[value_id], mx = stats->max[value_id];
  if (method == OQ_CALIB_MINMAX) {
    *lo = mn;
    *hi = mx;
    if (opts && opts->moving_average && stats->acc && stats->acc_n[value_id] > 0)
      oq_calib_stats_mean_minmax(stats, value_id, lo, hi);
    *has = 1;
    return OQ_OK;
  }
  if (method < OQ_CALIB_PERCENTILE || method > OQ_CALIB_MSE)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "unknown range method %d", (int)method);
  if (!stats->bins || !stats->hist)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "the %s method needs histograms, and these statistics have none",
                  method == OQ_CALIB_PERCENTILE ? "percentile"
                  : method == OQ_CALIB_ENTROPY  ? "entropy"
                                                : "mse");
  *has = 1;
  *lo = mn;
  *hi = mx;
  if (!(mn <= mx)) return OQ_OK; /* nothing but empty tensors / NaN: leave it to the planner */
  const int32_t B = stats->bins;
  const uint64_t *pos = stats->hist + (size_t)value_id * 2 * (size_t)B, *neg = pos + B;
  abs_h = oq_malloc_array((size_t)B, sizeof *abs_h, err);
  if (!abs_h) return OQ_ERR_NOMEM;
  double w = oq_calib_stats_abs_hist(stats, value_id, abs_h);
  int32_t n = B;
  while (n > 0 && abs_h[n - 1] == 0) n--;
  if (w <= 0 || n == 0) goto fail; /* only zeros: min/max */
  uint64_t total = 0;
  for (int32_t k = 0; k < n; k++) total += abs_h[k];
  int symmetric = target ? target->symmetric : 0;
  int32_t bits = target && target->bits > 0 ? target->bits : 8;
  if (method == OQ_CALIB_PERCENTILE) {
    double pct = opts->percentile;
    if (symmetric) {
      double want = pct / 100.0 * (double)total;
      uint64_t cum = 0;
      int32_t k = 0;
      for (; k < n; k++) {
        cum += abs_h[k];
        if ((double)cum >= want) break;
      }
      clamp_range(mn, mx, (k + 1) * w, lo, hi);
    } else {
      /* each tail loses (100 - pct) / 2 percent: walk the signed histogram from both ends */
      double cut = (100.0 - pct) / 200.0 * (double)total;
      uint64_t cum = 0;
      double l = 0, r = 0;
      int32_t k;
      for (k = n - 1; k >= 0; k--) { /* negative side, most negative first */
        cum += neg[k];
        if ((double)cum > cut) break;
      }
      if (k >= 0)
        l = -(k + 1) * w;
      else {
        for (k = 0; k < n; k++) {
          cum += pos[k];
          if ((double)cum > cut) break;
        }
        l = k * w;
      }
      cum = 0;
      for (k = n - 1; k >= 0; k--) {
        cum += pos[k];
        if ((double)cum > cut) break;
      }
      if (k >= 0)
        r = (k + 1) * w;
      else {
        for (k = 0; k < n; k++) {
          cum += neg[k];
          if ((double)cum > cut) break;
        }
        r = -k * w;
      }
      *lo = (float)l > mn ? (float)l : mn;
      *hi = (float)r < mx ? (float)r : mx;
    }
  } else if (method == OQ_CALIB_ENTROPY) {
    /* the spike of exact zeros (ReLU outputs) would dominate P: like NVIDIA's pytorch-quantization, bin 0 takes
     * bin 1's count */
    if (n > 1) abs_h[0] = abs_h[1];
    int32_t m = oq_calib_entropy_bins(abs_h, n, opts->levels);
    clamp_range(mn, mx, (m + 0.5) * w, lo, hi);
  } else {
    double t = oq_calib_mse_threshold(pos, neg, n, w, mx > 0 ? mx : 0, mn < 0 ? -mn : 0, bits, symmetric);
    clamp_range(mn, mx, t, lo, hi);
  }
fail:
  free(work);
  free(abs_h);
  return st;
}
