/* Calibration options shared by 'onnxq quantize' and 'onnxq calibrate': range methods, data selection, image
 * preprocessing, progress. */
#define _POSIX_C_SOURCE 200809L

#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int parse_i32(const char *s, int32_t lo, int32_t hi, int32_t *out) {
  uint64_t v;
  if (!cli_parse_u64(s, &v) || v < (uint64_t)lo || v > (uint64_t)hi) return 0;
  *out = (int32_t)v;
  return 1;
}

/* "a,b,c" floats: 1 or 3 (or 4) values. */
static int parse_floats(const char *s, float *out, int32_t *n) {
  *n = 0;
  const char *p = s;
  while (*n < 4) {
    char *end = NULL;
    errno = 0;
    double v = strtod(p, &end);
    if (end == p || errno || !isfinite(v)) return 0;
    out[(*n)++] = (float)v;
    if (*end == '\0') return *n == 1 || *n == 3 || *n == 4;
    if (*end != ',') return 0;
    p = end + 1;
  }
  return 0;
}

int cli_calib_method(const char *s, int32_t *out) {
  if (!strcmp(s, "minmax"))
    *out = OQ_CALIB_MINMAX;
  else if (!strcmp(s, "percentile"))
    *out = OQ_CALIB_PERCENTILE;
  else if (!strcmp(s, "entropy"))
    *out = OQ_CALIB_ENTROPY;
  else if (!strcmp(s, "mse"))
    *out = OQ_CALIB_MSE;
  else
    return 0;
  return 1;
}

const char *cli_calib_method_name(int32_t m) {
  switch (m) {
  case OQ_CALIB_PERCENTILE: return "percentile";
  case OQ_CALIB_ENTROPY: return "entropy";
  case OQ_CALIB_MSE: return "mse";
  default: return "minmax";
  }
}

int cli_calib_option(const char *cmd, int c, const char *arg, cli_calib *cc) {
  oq_quant_options *q = &cc->q;
  oq_calib_options *o = &cc->o;
  switch (c) {
  case CLI_OPT_METHOD:
    if (!cli_calib_method(arg, &q->method))
      return cli_usage_error(cmd, "--method must be minmax, percentile, entropy or mse, got '%s'", arg);
    return -1;
  case CLI_OPT_PERCENTILE: {
    char *end = NULL;
    double v = strtod(arg, &end);
    if (end == arg || *end || !(v > 0 && v <= 100))
      return cli_usage_error(cmd, "--percentile needs a number in (0, 100], got '%s'", arg);
    q->percentile = v;
    return -1;
  }
  case CLI_OPT_MOVING_AVERAGE: q->moving_average = 1; return -1;
  case CLI_OPT_BINS:
    if (!parse_i32(arg, 8, 65536, &q->bins) || (q->bins & (q->bins - 1)))
      return cli_usage_error(cmd, "--bins needs a power of two from 8 to 65536, got '%s'", arg);
    o->bins = q->bins;
    return -1;
  case CLI_OPT_LEVELS:
    if (!parse_i32(arg, 2, 65536, &q->levels))
      return cli_usage_error(cmd, "--levels needs a number from 2 to 65536, got '%s'", arg);
    return -1;
  case CLI_OPT_WEIGHT_RANGE:
    if (!strcmp(arg, "minmax"))
      q->weight_range = OQ_CALIB_MINMAX;
    else if (!strcmp(arg, "mse"))
      q->weight_range = OQ_CALIB_MSE;
    else
      return cli_usage_error(cmd, "--weight-range must be minmax or mse, got '%s'", arg);
    return -1;
  case CLI_OPT_LIMIT: {
    uint64_t v;
    if (!cli_parse_u64(arg, &v) || v < 1 || v > INT64_MAX)
      return cli_usage_error(cmd, "--limit needs a positive number, got '%s'", arg);
    o->limit = (int64_t)v;
    return -1;
  }
  case CLI_OPT_SHUFFLE:
    if (!cli_parse_u64(arg, &o->seed)) return cli_usage_error(cmd, "--shuffle needs a seed (a number), got '%s'", arg);
    o->shuffle = 1;
    return -1;
  case CLI_OPT_SHARD: {
    int32_t k = 0, n = 0;
    const char *slash = strchr(arg, '/');
    char kbuf[32];
    if (!slash || (size_t)(slash - arg) >= sizeof kbuf) return cli_usage_error(cmd, "--shard needs K/N, got '%s'", arg);
    memcpy(kbuf, arg, (size_t)(slash - arg));
    kbuf[slash - arg] = '\0';
    if (!parse_i32(kbuf, 1, 1 << 20, &k) || !parse_i32(slash + 1, 1, 1 << 20, &n) || k > n)
      return cli_usage_error(cmd, "--shard needs K/N with 1 <= K <= N, got '%s'", arg);
    o->shard_index = k - 1;
    o->shard_count = n;
    return -1;
  }
  case CLI_OPT_QUIET: cc->quiet = 1; return -1;
  case CLI_OPT_IMAGE_SIZE: {
    int32_t h = 0, w = 0;
    const char *comma = strchr(arg, ',');
    char hb[32];
    if (!comma || (size_t)(comma - arg) >= sizeof hb)
      return cli_usage_error(cmd, "--image-size needs H,W, got '%s'", arg);
    memcpy(hb, arg, (size_t)(comma - arg));
    hb[comma - arg] = '\0';
    if (!parse_i32(hb, 1, 16384, &h) || !parse_i32(comma + 1, 1, 16384, &w))
      return cli_usage_error(cmd, "--image-size needs H,W from 1 to 16384, got '%s'", arg);
    o->image_h = h;
    o->image_w = w;
    return -1;
  }
  case CLI_OPT_RESIZE:
    if (!strcmp(arg, "stretch"))
      o->resize = OQ_RESIZE_STRETCH;
    else if (!strcmp(arg, "short-side"))
      o->resize = OQ_RESIZE_SHORT_SIDE;
    else
      return cli_usage_error(cmd, "--resize must be stretch or short-side, got '%s'", arg);
    return -1;
  case CLI_OPT_MEAN:
    if (!parse_floats(arg, o->mean, &o->n_mean))
      return cli_usage_error(cmd, "--mean needs 1 or 3 numbers, got '%s'", arg);
    return -1;
  case CLI_OPT_STD:
    if (!parse_floats(arg, o->std, &o->n_std)) return cli_usage_error(cmd, "--std needs 1 or 3 numbers, got '%s'", arg);
    for (int32_t i = 0; i < o->n_std; i++)
      if (!(o->std[i] > 0)) return cli_usage_error(cmd, "--std values must be positive, got '%s'", arg);
    return -1;
  case CLI_OPT_LAYOUT:
    if (!strcmp(arg, "NCHW"))
      o->layout = OQ_LAYOUT_NCHW;
    else if (!strcmp(arg, "NHWC"))
      o->layout = OQ_LAYOUT_NHWC;
    else
      return cli_usage_error(cmd, "--layout must be NCHW or NHWC, got '%s'", arg);
    return -1;
  case CLI_OPT_COLOR:
    if (!strcmp(arg, "RGB"))
      o->color = OQ_COLOR_RGB;
    else if (!strcmp(arg, "BGR"))
      o->color = OQ_COLOR_BGR;
    else if (!strcmp(arg, "GRAY"))
      o->color = OQ_COLOR_GRAY;
    else
      return cli_usage_error(cmd, "--color must be RGB, BGR or GRAY, got '%s'", arg);
    return -1;
  default: return 0;
  }
}

void cli_calib_init(cli_calib *cc) {
  memset(cc, 0, sizeof *cc);
  oq_quant_options_init(&cc->q);
  oq_calib_options_init(&cc->o);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void progress(void *user, int64_t done, int64_t total) {
  cli_calib *cc = user;
  double t = now_s(), el = t - cc->t0;
  if (done < total && t - cc->last < 0.2) return; /* at most 5 lines a second */
  cc->last = t;
  double rate = el > 0 ? (double)done / el : 0;
  double eta = rate > 0 ? (double)(total - done) / rate : 0;
  fprintf(stderr, "\r%lld/%lld samples, %.1f samples/s, ETA %.0fs  ", (long long)done, (long long)total, rate, eta);
  if (done == total) fputc('\n', stderr);
  fflush(stderr);
}

void cli_calib_start(cli_calib *cc) {
  cc->t0 = now_s();
  cc->last = 0;
  if (!cc->quiet && isatty(STDERR_FILENO)) {
    cc->o.progress = progress;
    cc->o.progress_user = cc;
  }
}

double cli_calib_elapsed(const cli_calib *cc) { return now_s() - cc->t0; }
