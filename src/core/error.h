/* Error recording for the library. Every fallible function returns oq_status; failures are recorded with
 * OQ_FAIL, which fills the caller's oq_error and jumps to the function's single `fail:` cleanup label. */
#ifndef OQ_CORE_ERROR_H
#define OQ_CORE_ERROR_H

#include "onnxq.h"

#include <stdarg.h>
#include <stdbool.h>

#if defined(__GNUC__)
#define OQ_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define OQ_PRINTF(a, b)
#endif

/* Fills err (if not NULL) with code and a printf-formatted one-line message; returns code. */
oq_status oq_error_set(oq_error *err, oq_status code, const char *file, int line, const char *fmt, ...) OQ_PRINTF(5, 6);
/* Prepends "<context>: " to an already recorded message (e.g. the file name). No-op when err is NULL. */
void oq_error_prefix(oq_error *err, const char *fmt, ...) OQ_PRINTF(2, 3);
void oq_error_clear(oq_error *err);

/* Requires a local `oq_status st` and a `fail:` label. */
#define OQ_FAIL(err, code, ...)                                                                                        \
  do {                                                                                                                 \
    st = oq_error_set((err), (code), __FILE__, __LINE__, __VA_ARGS__);                                                 \
    goto fail;                                                                                                         \
  } while (0)

/* Propagates a failure already recorded by a callee. Requires `oq_status st` and `fail:`. */
#define OQ_CHECK(expr)                                                                                                 \
  do {                                                                                                                 \
    st = (expr);                                                                                                       \
    if (st != OQ_OK) goto fail;                                                                                        \
  } while (0)

/* For functions without cleanup: record and return. */
#define OQ_RETURN_ERR(err, code, ...) return oq_error_set((err), (code), __FILE__, __LINE__, __VA_ARGS__)

/* Overflow-checked size arithmetic: return false on overflow and leave *out untouched. */
bool oq_size_mul(size_t a, size_t b, size_t *out);
bool oq_size_add(size_t a, size_t b, size_t *out);

/* Allocation helpers that check count * size for overflow; record OQ_ERR_NOMEM in err on failure. */
void *oq_calloc(size_t count, size_t size, oq_error *err);
void *oq_malloc_array(size_t count, size_t size, oq_error *err);
char *oq_strdup(const char *s, oq_error *err);

/* Whether every extent is >= 0 and the non-zero extents multiply to at most INT64_MAX. Empty tensors must pass it
 * too: kernels multiply subsets of the extents (outer/inner products, Flatten) in int64, and [0, 2^40, 2^40] holds
 * no bytes but would overflow them. Every tensor a kernel sees was checked with it (oq_tensor_alloc, initializer
 * decoding, fed inputs). */
bool oq_tensor_extents_ok(int32_t ndim, const int64_t *dims);

#endif
