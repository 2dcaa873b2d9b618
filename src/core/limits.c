#define _POSIX_C_SOURCE 200809L
/* Process-wide resource limits (see limits.h). */
#include "core/limits.h"

#include <math.h>
#include <stdatomic.h>
#include <time.h>

static atomic_uint_fast64_t g_max_bytes = OQ_MAX_TENSOR_BYTES;
static atomic_int_fast64_t g_deadline_ns; /* CLOCK_MONOTONIC; 0 = none */
static atomic_uint_fast64_t g_seconds_ns; /* the limit as given, for messages */

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

oq_status oq_set_limits(uint64_t max_tensor_bytes, double max_seconds, oq_error *err) {
  if (max_tensor_bytes > (uint64_t)OQ_MAX_TENSOR_BYTES) {
    oq_error_set(err, OQ_ERR_INVALID_ARG, __FILE__, __LINE__,
                 "tensor size limit %llu is above this build's maximum of %llu bytes",
                 (unsigned long long)max_tensor_bytes, (unsigned long long)OQ_MAX_TENSOR_BYTES);
    oq_error_subject(err, OQ_SUBJECT_OPTION, "max_tensor_bytes");
    return OQ_ERR_INVALID_ARG;
  }
  if (!(max_seconds >= 0.0) || max_seconds > 1e9) { /* also NaN */
    oq_error_set(err, OQ_ERR_INVALID_ARG, __FILE__, __LINE__, "time limit %g s is out of range", max_seconds);
    oq_error_subject(err, OQ_SUBJECT_OPTION, "max_seconds");
    return OQ_ERR_INVALID_ARG;
  }
  atomic_store(&g_max_bytes, max_tensor_bytes ? max_tensor_bytes : (uint64_t)OQ_MAX_TENSOR_BYTES);
  atomic_store(&g_seconds_ns, (uint64_t)llround(max_seconds * 1e9));
  atomic_store(&g_deadline_ns, max_seconds > 0.0 ? now_ns() + (int64_t)llround(max_seconds * 1e9) : 0);
  return OQ_OK;
}

uint64_t oq_limits_tensor_bytes(void) { return (uint64_t)atomic_load(&g_max_bytes); }

oq_status oq_limits_check_time(oq_error *err) {
  int64_t d = (int64_t)atomic_load(&g_deadline_ns);
  if (d == 0 || now_ns() < d) return OQ_OK;
  return oq_error_set(err, OQ_ERR_UNSUPPORTED, __FILE__, __LINE__, "time limit of %g s exceeded",
                      (double)atomic_load(&g_seconds_ns) / 1e9);
}
