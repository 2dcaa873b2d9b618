/* Resource limits of model runs (public oq_set_limits): the largest tensor one allocation may hold and a deadline
 * checked between nodes. Process-wide, so that every run of a command (its session, calibration's plans on any
 * thread) obeys the same limits without each option struct carrying them. */
#ifndef OQ_CORE_LIMITS_H
#define OQ_CORE_LIMITS_H

#include "core/error.h"

#include <stdint.h>

/* Bytes one tensor may hold: OQ_MAX_TENSOR_BYTES unless oq_set_limits lowered it. */
uint64_t oq_limits_tensor_bytes(void);
/* OQ_OK before the deadline; after it OQ_ERR_UNSUPPORTED ("time limit of N s exceeded"). Cheap: one clock read. */
oq_status oq_limits_check_time(oq_error *err);

#endif
