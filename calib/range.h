/* The boundary between calibration (calib/) and the quantized model (src/quant/): the range a value's
 * quantization parameters are computed from, chosen from its calibration statistics by a range method.
 *
 * The planner asks once per activation, after it knows the value's quantization type (bits and symmetry matter:
 * percentile works on |x| for symmetric types, MSE weighs the rounding error of the chosen bit width). calib/ owns
 * the methods; quant/ owns what is done with the range. */
#ifndef OQ_CALIB_RANGE_H
#define OQ_CALIB_RANGE_H

#include "calib/calib.h"

/* How the caller will quantize the value. */
typedef struct oq_range_target {
  int32_t bits;      /* bits of the quantized type (8 for uint8/int8, 16, 4) */
  int32_t symmetric; /* 1: the range is used as [-a, a] (symmetric or signed-symmetric types) */
} oq_range_target;

/* Range of value_id under the method and its parameters in opts (oq_quant_options' method fields). *has is 0 when
 * the statistics hold nothing for the value (not tracked, never seen, or not float); lo/hi are then unchanged. */
oq_status oq_calib_range(const oq_calib_stats *stats, int32_t value_id, const oq_quant_options *opts,
                         const oq_range_target *target, int32_t *has, float *lo, float *hi, oq_error *err);

/* Validates the method fields of opts (method, percentile, bins, levels, weight_range). */
oq_status oq_calib_check_options(const oq_quant_options *opts, oq_error *err);
/* TensorRT's entropy search on a histogram of |x| with n bins: the number of bins m whose threshold (m + 0.5
 * bins) minimizes the KL divergence with `levels` quantized levels. */
int32_t oq_calib_entropy_bins(const uint64_t *hist, int32_t n, int32_t levels);
/* MSE clipping threshold over the n-bin histograms of x >= 0 (pos) and x < 0 by |x| (neg) of bin width w, with
 * the largest positive value ext_p and largest |negative| value ext_n, for a bits-wide type. */
double oq_calib_mse_threshold(const uint64_t *pos, const uint64_t *neg, int32_t n, double w, double ext_p, double ext_n,
                              int32_t bits, int symmetric);

#endif
