/* Calibration cost (bench/calib_cost.sh): per sample, the time of a calibration run divided by one plain inference
 * on the same executor (sample loading included on both sides), for min/max only (no histograms) and with
 * histograms (what percentile, entropy and MSE need). Prints one JSON line per model.
 *
 *   onnxq_calib_bench MODEL DATA_DIR [--rounds R]      DATA_DIR: sample folders */
#define _POSIX_C_SOURCE 200809L

#include "calib/calib.h"
#include "onnxq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL DATA_DIR [--rounds R]\n", argv[0]);
    return 2;
  }
  int rounds = argc >= 5 && !strcmp(argv[3], "--rounds") ? atoi(argv[4]) : 5;
  if (rounds < 1 || rounds > 100) rounds = 5;
  oq_error err = {0};
  oq_model *m = NULL;
  if (oq_model_load(argv[1], &m, &err) != OQ_OK) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  char **paths = NULL;
  size_t n = 0;
  if (oq_calib_list_samples(argv[2], &paths, &n, &err) != OQ_OK) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  int32_t n_in = oq_model_input_count(m), n_out = oq_model_output_count(m);
  oq_tensor *in = calloc((size_t)n_in + 1, sizeof *in), *out = calloc((size_t)n_out + 1, sizeof *out);
  oq_session *s = NULL;
  if (!in || !out || oq_session_create(m, NULL, &s, &err) != OQ_OK) {
    fprintf(stderr, "session: %s\n", err.msg);
    return 1;
  }
  double *plain = calloc((size_t)rounds, sizeof *plain), *mm = calloc((size_t)rounds, sizeof *mm),
         *hist = calloc((size_t)rounds, sizeof *hist);
  for (int r = 0; r < rounds; r++) {
    double t0 = now_s();
    for (size_t i = 0; i < n; i++) {
      if (oq_sample_load(m, paths[i], n_in, in, &err) != OQ_OK ||
          oq_session_run(s, n_in, in, n_out, out, &err) != OQ_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
      }
      for (int32_t k = 0; k < n_in; k++) oq_tensor_release(&in[k]);
      for (int32_t k = 0; k < n_out; k++) oq_tensor_release(&out[k]);
    }
    plain[r] = (now_s() - t0) / (double)n;
    for (int h = 0; h < 2; h++) {
      oq_calib_options o;
      oq_calib_options_init(&o);
      o.bins = h ? 2048 : 0;
      oq_calib_table *t = NULL;
      t0 = now_s();
      if (oq_calibrate(m, argv[2], &o, &t, &err) != OQ_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
      }
      (h ? hist : mm)[r] = (now_s() - t0) / (double)n;
      oq_calib_table_free(t);
    }
  }
  qsort(plain, (size_t)rounds, sizeof *plain, cmp_d);
  qsort(mm, (size_t)rounds, sizeof *mm, cmp_d);
  qsort(hist, (size_t)rounds, sizeof *hist, cmp_d);
  int md = rounds / 2;
  printf("{\"model\": \"%s\", \"samples\": %zu, \"plain_ms\": %.3f, \"minmax_ms\": %.3f, \"hist_ms\": %.3f, "
         "\"minmax_ratio\": %.3f, \"hist_ratio\": %.3f}\n",
         argv[1], n, plain[md] * 1e3, mm[md] * 1e3, hist[md] * 1e3, mm[md] / plain[md], hist[md] / plain[md]);
  oq_session_free(s);
  oq_calib_paths_free(paths, n);
  oq_model_free(m);
  free(in);
  free(out);
  free(plain);
  free(mm);
  free(hist);
  return 0;
}
