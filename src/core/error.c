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
  err->subject_kind = OQ_SUBJECT_NONE;
  err->subject[0] = '\0';
  err->path[0] = '\0';
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
  err->subject_kind = OQ_SUBJECT_NONE;
  err->subject[0] = '\0';
  err->path[0] = '\0';
}

/* Copies name, cut to cap - 1 bytes, with line breaks flattened like messages. */
static void copy_name(char *dst, size_t cap, const char *name) {
  size_t n = strnlen(name, cap - 1);
  memcpy(dst, name, n);
  dst[n] = '\0';
  flatten_line(dst);
}

void oq_error_subject(oq_error *err, oq_subject_kind kind, const char *name) {
  if (!err || !name || !name[0] || kind == OQ_SUBJECT_NONE) return;
  if (kind == OQ_SUBJECT_FILE) {
    /* a path too long to keep whole is not recorded: a cut path would name another file */
    if (strlen(name) < sizeof err->path) copy_name(err->path, sizeof err->path, name);
  }
  if (err->subject_kind != OQ_SUBJECT_NONE) return;
  err->subject_kind = kind;
  copy_name(err->subject, sizeof err->subject, name);
}

void oq_error_subject_if_prefix(oq_error *err, const char *file) {
  if (!err || !file || !file[0]) return;
  size_t n = strlen(file);
  if (strncmp(err->msg, file, n) == 0 && err->msg[n] == ':' && err->msg[n + 1] == ' ')
    oq_error_subject(err, OQ_SUBJECT_FILE, file);
}

bool oq_error_path_within(const oq_error *err, const char *dir) {
  if (!err || !dir || !dir[0] || !err->path[0]) return false;
  size_t n = strlen(dir);
  if (strncmp(err->path, dir, n) != 0) return false;
  return err->path[n] == '\0' || err->path[n] == '/' || dir[n - 1] == '/';
}

oq_status oq_options_take(void *dst, size_t dst_size, size_t min_size, const void *src, const char *what,
                          oq_error *err) {
  uint32_t size;
  memcpy(&size, src, sizeof size);
  if (size < min_size || size > dst_size) {
    oq_error_set(err, OQ_ERR_INVALID_ARG, __FILE__, __LINE__,
                 "%s: options size %u is not one this library knows (%zu to %zu; call the options' _init function)",
                 what, (unsigned)size, min_size, dst_size);
    oq_error_subject(err, OQ_SUBJECT_OPTION, "size");
    return OQ_ERR_INVALID_ARG;
  }
  memcpy(dst, src, size);
  return OQ_OK;
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

const char *oq_version(void) { return OQ_VERSION_STRING; }
int32_t oq_version_number(void) { return OQ_VERSION_NUMBER; }

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
