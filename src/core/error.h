/* Error recording for the library. Every fallible function returns oq_status; failures are recorded with
 * OQ_FAIL, which fills the caller's oq_error and jumps to the function's single `fail:` cleanup label. */
#ifndef OQ_CORE_ERROR_H
#define OQ_CORE_ERROR_H

#include "core/alloc.h"
#include "onnxq.h"

#include <stdarg.h>
#include <stdbool.h>

#if defined(__GNUC__)
#define OQ_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define OQ_PRINTF(a, b)
#endif

/* Fills err (if not NULL) with code and a printf-formatted one-line message, clearing any subject; returns code. */
oq_status oq_error_set(oq_error *err, oq_status code, const char *file, int line, const char *fmt, ...) OQ_PRINTF(5, 6);
/* Prepends "<context>: " to an already recorded message (e.g. the file name). No-op when err is NULL. */
void oq_error_prefix(oq_error *err, const char *fmt, ...) OQ_PRINTF(2, 3);
void oq_error_clear(oq_error *err);
/* Records what the recorded failure is about; call it where the message is written or prefixed with the name.
 * Subjects are kept innermost first: a node or value subject already recorded stays. A file also becomes the
 * error's path, outermost last: the file a caller prefixes replaces the one named inside. Empty names are
 * ignored. */
void oq_error_subject(oq_error *err, oq_subject_kind kind, const char *name);
/* Records file as the subject when the message starts with "<file>: ", for code that writes its messages that
 * way and records the subject once at its cleanup label. */
void oq_error_subject_if_prefix(oq_error *err, const char *file);
/* Whether the error's path is dir itself or a file below it (dir given as the caller spelled it). */
bool oq_error_path_within(const oq_error *err, const char *dir);

/* Checks a caller's size-versioned option struct and copies it over dst, which holds the defaults: src's first
 * field is its uint32_t size, which must be at least min_size (the first layout with a size field) and at most
 * dst_size (this library's layout). Refuses others with OQ_ERR_INVALID_ARG naming `what`. */
oq_status oq_options_take(void *dst, size_t dst_size, size_t min_size, const void *src, const char *what,
                          oq_error *err);

/* Requires a local `oq_status st` and a `fail:` label. */
#define OQ_FAIL(err, code, ...)                                                                                        \
  do {                                                                                                                 \
    st = oq_error_set((err), (code), __FILE__, __LINE__, __VA_ARGS__);                                                 \
    goto fail;                                                                                                         \
  } while (0)

/* OQ_FAIL for a message that names a subject (see oq_error_subject). */
#define OQ_FAIL_ABOUT(err, code, kind, name, ...)                                                                      \
  do {                                                                                                                 \
    st = oq_error_set((err), (code), __FILE__, __LINE__, __VA_ARGS__);                                                 \
    oq_error_subject((err), (kind), (name));                                                                           \
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

/* Whether every extent is >= 0 and the non-zero extents multiply to at most INT64_MAX. Empty tensors must pass it
 * too: kernels multiply subsets of the extents (outer/inner products, Flatten) in int64, and [0, 2^40, 2^40] holds
 * no bytes but would overflow them. Every tensor a kernel sees was checked with it (oq_tensor_alloc, initializer
 * decoding, fed inputs). */
bool oq_tensor_extents_ok(int32_t ndim, const int64_t *dims);

#endif
