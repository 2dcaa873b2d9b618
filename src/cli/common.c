/* Helpers shared by the subcommands: error lines, option value parsing, file identity. */
#define _POSIX_C_SOURCE 200809L

#include "cli/cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Messages must stay one line whatever bytes a file name holds. */
static void put_line(const char *s) {
  fputs("onnxq: ", stderr);
  for (; *s; s++) fputc(*s == '\n' || *s == '\r' ? ' ' : *s, stderr);
  fputc('\n', stderr);
  fflush(stderr);
}

int cli_fail(const char *fmt, ...) {
  char buf[2048];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  put_line(buf);
  return CLI_EXIT_FAIL;
}

int cli_error_in(const oq_error *err, const char *path) {
  if (!path || !*path || !err->path[0]) return 0;
  size_t n = strlen(path);
  if (strncmp(err->path, path, n) != 0) return 0;
  return err->path[n] == '\0' || err->path[n] == '/' || path[n - 1] == '/';
}

int cli_fail_err(const char *file, const oq_error *err) {
  const char *msg = err->msg[0] ? err->msg : oq_status_name(err->code);
  if (file && *file && !cli_error_in(err, file)) return cli_fail("%s: %s", file, msg);
  return cli_fail("%s", msg);
}

int cli_usage_error(const char *cmd, const char *fmt, ...) {
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (cmd) return cli_fail("%s: %s (see 'onnxq %s --help')", cmd, buf, cmd);
  return cli_fail("%s (see 'onnxq --help')", buf);
}

int cli_bad_option(const char *cmd, int c, char **argv) {
  const char *arg = optind > 0 ? argv[optind - 1] : "?";
  if (c == ':') return cli_usage_error(cmd, "option '%s' needs a value", arg);
  int is_long = arg[0] == '-' && arg[1] == '-';
  if (is_long && optopt && strchr(arg, '='))
    return cli_usage_error(cmd, "option '%.*s' takes no value", (int)(strchr(arg, '=') - arg), arg);
  if (!is_long && optopt && optopt != '?') return cli_usage_error(cmd, "unknown option '-%c'", optopt);
  return cli_usage_error(cmd, "unknown option '%s'", arg);
}

int cli_parse_u64(const char *s, uint64_t *out) {
  if (!s || *s < '0' || *s > '9') return 0;
  errno = 0;
  char *end = NULL;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *end) return 0;
  *out = (uint64_t)v;
  return 1;
}

int cli_parse_threads(const char *s, int32_t *out) {
  uint64_t v;
  if (!cli_parse_u64(s, &v) || v < 1 || v > 1024) return 0;
  *out = (int32_t)v;
  return 1;
}

int cli_same_file(const char *a, const char *b) {
  struct stat sa, sb;
  if (stat(a, &sa) != 0 || stat(b, &sb) != 0) return 0;
  return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int cli_finish_stdout(void) {
  if (fflush(stdout) != 0 || ferror(stdout)) return cli_fail("stdout: write error: %s", strerror(errno));
  return CLI_EXIT_OK;
}

int cli_check_output_file(const char *out) {
  struct stat sb;
  if (stat(out, &sb) == 0 && S_ISDIR(sb.st_mode)) return cli_fail("%s: is a directory", out);
  const char *slash = strrchr(out, '/');
  if (!slash) return CLI_EXIT_OK;
  size_t dl = slash == out ? 1 : (size_t)(slash - out);
  char *dir = malloc(dl + 1);
  if (!dir) return cli_fail("out of memory");
  memcpy(dir, out, dl);
  dir[dl] = '\0';
  errno = 0;
  int ok = stat(dir, &sb) == 0 && S_ISDIR(sb.st_mode);
  int e = errno;
  free(dir);
  if (!ok) return cli_fail("%s: cannot write there: %s", out, e ? strerror(e) : "parent is not a folder");
  return CLI_EXIT_OK;
}

/* ---- resource limits -------------------------------------------------------------------------------------------- */

/* A decimal number of seconds: digits, optionally a fraction; no sign, exponent, inf or nan. */
static int parse_seconds(const char *s, double *out) {
  const char *p = s;
  int digits = 0;
  while (*p >= '0' && *p <= '9') p++, digits++;
  if (*p == '.')
    for (p++; *p >= '0' && *p <= '9'; p++) digits++;
  if (!digits || *p) return 0;
  *out = strtod(s, NULL);
  return *out > 0.0 && *out <= 1e9;
}

int cli_take_limits(const char *cmd, int *argc, char **argv) {
  static const char k_bytes[] = "--max-tensor-bytes", k_secs[] = "--max-seconds";
  uint64_t bytes = 0;
  double secs = 0.0;
  int out = 1;
  for (int i = 1; i < *argc; i++) {
    const char *a = argv[i], *val = NULL;
    int which = 0; /* 1 bytes, 2 seconds */
    if (strcmp(a, "--") == 0) {
      while (i < *argc) argv[out++] = argv[i++];
      break;
    }
    size_t lb = sizeof k_bytes - 1, ls = sizeof k_secs - 1;
    if (strncmp(a, k_bytes, lb) == 0 && (a[lb] == '\0' || a[lb] == '='))
      which = 1, val = a[lb] ? a + lb + 1 : NULL;
    else if (strncmp(a, k_secs, ls) == 0 && (a[ls] == '\0' || a[ls] == '='))
      which = 2, val = a[ls] ? a + ls + 1 : NULL;
    if (!which) {
      argv[out++] = argv[i];
      continue;
    }
    const char *name = which == 1 ? k_bytes : k_secs;
    if (!val) {
      if (i + 1 >= *argc) return cli_usage_error(cmd, "%s needs a value", name);
      val = argv[++i];
    }
    if (which == 1 && (!cli_parse_u64(val, &bytes) || bytes == 0))
      return cli_usage_error(cmd, "%s needs a number of bytes above 0, got '%s'", name, val);
    if (which == 2 && !parse_seconds(val, &secs))
      return cli_usage_error(cmd, "%s needs a number of seconds above 0, got '%s'", name, val);
  }
  *argc = out;
  argv[out] = NULL;
  oq_error err = {0};
  if (oq_set_limits(bytes, secs, &err) != OQ_OK) return cli_usage_error(cmd, "%s", err.msg);
  return CLI_EXIT_OK;
}

int cli_prepare(oq_model **model, int fold, const char *path) {
  oq_error err = {0};
  oq_prepare_options po;
  oq_model *prepared = NULL;
  oq_prepare_options_init(&po);
  po.opset = 13;
  po.fold = fold != 0;
  oq_status st = oq_model_prepare(*model, &po, &prepared, &err);
  oq_model_free(*model);
  *model = prepared;
  if (st != OQ_OK) return cli_fail_err(path, &err);
  return CLI_EXIT_OK;
}
