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

#endif
