#define _POSIX_C_SOURCE 200809L
#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void flatten_line(char *s) {
  for (; *s; s++)
    if (*s == '\n' || *s == '\r' || *s == '\t') *s = ' ';
}

oq_status oq_error_set(oq_error *err, oq_status code, const char *file, int line, const char *fmt, ...) {
  if (!err) return code;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err->msg, sizeof err->msg, fmt, ap);
  va_end(ap);
  flatten_line(err->msg);
  err->code = code;
  err->file = file;
  err->line = line;
  return code;
}

void oq_error_prefix(oq_error *err, const char *fmt, ...) {
  if (!err) return;
  char prefix[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  size_t plen = strlen(prefix);
  size_t cap = sizeof err->msg;
  if (plen + 2 >= cap) return;
  /* Shift the message right (truncating its tail) and write "<prefix>: " in front. */
  size_t mlen = strnlen(err->msg, cap - 1);
  if (plen + 2 + mlen > cap - 1) mlen = cap - 1 - plen - 2;
  memmove(err->msg + plen + 2, err->msg, mlen);
  err->msg[plen + 2 + mlen] = '\0';
  memcpy(err->msg, prefix, plen);
  err->msg[plen] = ':';
  err->msg[plen + 1] = ' ';
  flatten_line(err->msg);
}

void oq_error_clear(oq_error *err) {
  if (!err) return;
  err->code = OQ_OK;
  err->msg[0] = '\0';
  err->file = NULL;
  err->line = 0;
}

bool oq_size_mul(size_t a, size_t b, size_t *out) {
  if (a != 0 && b > SIZE_MAX / a) return false;
  *out = a * b;
  return true;
}

bool oq_size_add(size_t a, size_t b, size_t *out) {
  if (b > SIZE_MAX - a) return false;
  *out = a + b;
  return true;
}

void *oq_calloc(size_t count, size_t size, oq_error *err) {
  size_t total;
  if (!oq_size_mul(count, size, &total)) {
    oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "allocation of %zu x %zu bytes overflows", count, size);
    return NULL;
  }
  void *p = calloc(total ? count : 1, total ? size : 1);
  if (!p) oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "out of memory allocating %zu bytes", total);
  return p;
}

void *oq_malloc_array(size_t count, size_t size, oq_error *err) {
  size_t total;
  if (!oq_size_mul(count, size, &total)) {
    oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "allocation of %zu x %zu bytes overflows", count, size);
    return NULL;
  }
  void *p = malloc(total ? total : 1);
  if (!p) oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "out of memory allocating %zu bytes", total);
  return p;
}

char *oq_strdup(const char *s, oq_error *err) {
  size_t n = strlen(s) + 1;
  char *p = malloc(n);
  if (!p) {
    oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "out of memory");
    return NULL;
  }
  memcpy(p, s, n);
  return p;
}

const char *oq_version(void) { return OQ_VERSION_STRING; }

const char *oq_status_name(oq_status st) {
  switch (st) {
  case OQ_OK: return "ok";
  case OQ_ERR_INVALID_ARG: return "invalid argument";
  case OQ_ERR_IO: return "i/o error";
  case OQ_ERR_PARSE: return "parse error";
  case OQ_ERR_MODEL: return "invalid model";
  case OQ_ERR_UNSUPPORTED: return "unsupported";
  case OQ_ERR_SHAPE: return "shape mismatch";
  case OQ_ERR_NOMEM: return "out of memory";
  case OQ_ERR_INTERNAL: return "internal error";
  }
  return "unknown status";
}
