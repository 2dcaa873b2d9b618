/* Range methods: the range a value is quantized over, from its calibration statistics. */
#include "calib/range.h"

oq_status oq_calib_range(const oq_calib_stats *stats, int32_t value_id, const oq_quant_options *opts,
                         const oq_range_target *target, int32_t *has, float *lo, float *hi, oq_error *err) {
  (void)target;
  if (!stats || !has || !lo || !hi) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_calib_range: NULL argument");
  *has = 0;
  if (value_id < 0 || value_id >= stats->n_values) return OQ_OK;
  if (!stats->tracked[value_id] || stats->seen[value_id] <= 0) return OQ_OK;
  int32_t method = opts ? opts->method : OQ_CALIB_MINMAX;
  switch (method) {
  case OQ_CALIB_MINMAX:
    *lo = stats->min[value_id];
    *hi = stats->max[value_id];
    *has = 1;
    return OQ_OK;
  default: break;
  }
  OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "range method %d is not implemented", (int)method);
}
