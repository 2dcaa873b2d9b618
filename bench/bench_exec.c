/* onnxq_bench: times onnxq's executor on one sample, or a whole calibration, and prints one JSON line.
 *
 *   onnxq_bench MODEL SAMPLE_DIR [--threads N] [--warmup W] [--runs R] [--profile]
 *   onnxq_bench --calib MODEL CALIB_DIR [--threads N] [--warmup W] [--runs R]
 *
 * Exec mode: W untimed runs, then R runs each timed with CLOCK_MONOTONIC around oq_session_run (output tensors are
 * released outside the timed region). Prints median / p10 / p90 in milliseconds. --profile then does R more runs
 * through the plan with an observer (which is called after every node) and attributes the time between calls to
 * the node that just ran; it adds the per-op-type totals to the JSON and prints a table on stderr. The profiled
 * runs are separate, so the observer never touches the reported latencies.
 *
 * Calib mode: oq_quantize over CALIB_DIR (calibration + QDQ rewrite, no save), R times after W warm-ups; reports
 * samples per second of each repetition (median / p10 / p90). --threads is the calibration worker count.
 *
 * Exit status 0 on success, 1 on any failure (one line on stderr). */
#define _POSIX_C_SOURCE 200809L

#include "onnxq.h"
#include "exec/exec.h"
#include "core/pool.h"
#include "model/model.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

typedef struct bench_args {
  const char *model; /* model path */
  const char *data;  /* sample folder (exec) or calibration folder (calib) */
  int calib;         /* 1: time oq_quantize */
  int threads;       /* session / calibration threads */
  int warmup;        /* untimed iterations */
  int runs;          /* timed iterations */
  int profile;       /* 1: per-op timing after the timed runs */
} bench_args;

/* Per-op-type totals of one profile. */
typedef struct op_total {
  const char *op; /* borrowed from the model's NodeProto */
  double ms;      /* summed over all profiled runs */
  int nodes;      /* nodes of this type in the graph */
} op_total;

/* Observer state for --profile: time between consecutive observer calls goes to the producer of the value seen. */
typedef struct prof_state {
  const oq_graph *g;  /* borrowed */
  double *node_ms;    /* per node index, summed over runs */
  struct timespec t0; /* time of the previous observer call */
} prof_state;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time of the whole process (all threads): on a loaded machine it stays close to the unloaded latency x threads
 * where wall time does not. */
static double cpu_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static double diff_ms(const struct timespec *a, const struct timespec *b) {
  return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Quantile q of sorted v[0..n) with linear interpolation (numpy's default); bench_ort.mjs uses the same rule. */
static double quantile(const double *v, int n, double q) {
  if (n <= 0) return 0.0;
  double pos = q * (double)(n - 1);
  int lo = (int)pos;
  if (lo >= n - 1) return v[n - 1];
  double frac = pos - (double)lo;
  return v[lo] + (v[lo + 1] - v[lo]) * frac;
}

static int fail_msg(const char *what, const oq_error *err) {
  fprintf(stderr, "onnxq_bench: %s: %s\n", what, err && err->msg[0] ? err->msg : "failed");
  return 1;
}

static int parse_int(const char *s, int lo, int *out) {
  char *end = NULL;
  long v = strtol(s, &end, 10);
  if (!s[0] || *end || v < lo || v > 1000000) return 0;
  *out = (int)v;
  return 1;
}

static int parse_args(int argc, char **argv, bench_args *a) {
  const char *pos[2] = {NULL, NULL};
  int npos = 0;
  memset(a, 0, sizeof *a);
  a->threads = 1;
  a->warmup = 5;
  a->runs = 50;
  for (int i = 1; i < argc; i++) {
    const char *s = argv[i];
    if (!strcmp(s, "--calib")) {
      a->calib = 1;
    } else if (!strcmp(s, "--profile")) {
      a->profile = 1;
    } else if (!strcmp(s, "--threads") || !strcmp(s, "--warmup") || !strcmp(s, "--runs")) {
      int *dst = !strcmp(s, "--threads") ? &a->threads : !strcmp(s, "--warmup") ? &a->warmup : &a->runs;
      int lo = dst == &a->warmup ? 0 : 1;
      if (i + 1 >= argc || !parse_int(argv[i + 1], lo, dst)) {
        fprintf(stderr, "onnxq_bench: %s needs an integer >= %d\n", s, lo);
        return 0;
      }
      i++;
    } else if (s[0] == '-' && s[1] == '-') {
      fprintf(stderr, "onnxq_bench: unknown option %s\n", s);
      return 0;
    } else if (npos < 2) {
      pos[npos++] = s;
    } else {
      npos++;
    }
  }
  if (npos != 2) {
    fprintf(stderr, "usage: onnxq_bench MODEL SAMPLE_DIR [--threads N] [--warmup W] [--runs R] [--profile]\n"
                    "       onnxq_bench --calib MODEL CALIB_DIR [--threads N] [--warmup W] [--runs R]\n");
    return 0;
  }
  a->model = pos[0];
  a->data = pos[1];
  return 1;
}

/* Writes s as a JSON string literal. */
static void json_str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      printf("\\%c", c);
    else if (c < 0x20)
      printf("\\u%04x", c);
    else
      putchar(c);
  }
  putchar('"');
}

static oq_status prof_observe(void *user, const oq_graph *scope, int32_t value_id, const oq_tensor *t, oq_error *err) {
  (void)t;
  (void)err;
  prof_state *p = user;
  if (scope != p->g) return OQ_OK; /* values inside subgraphs: their time goes to the node running them */
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  int32_t node = p->g->values[value_id].producer;
  /* A graph input (producer -1) starts the clock; a node's second output adds the (tiny) time since its first. */
  if (node >= 0) p->node_ms[node] += diff_ms(&p->t0, &now);
  p->t0 = now;
  return OQ_OK;
}

static int cmp_total(const void *a, const void *b) {
  double x = ((const op_total *)a)->ms, y = ((const op_total *)b)->ms;
  return (x < y) - (x > y);
}

/* Runs the model `runs` times with the timing observer and prints the per-op-type JSON array (and a table on
 * stderr). Uses its own plan and pool of the same size as the timed session. */
static int profile(const oq_model *model, const oq_tensor *inputs, int threads, int runs) {
  oq_error err = {0};
  const oq_graph *g = &model->graph;
  oq_plan *plan = NULL;
  oq_threadpool *pool = NULL;
  oq_tensor *outs = calloc((size_t)g->n_outputs + 1, sizeof *outs);
  prof_state p = {g, calloc((size_t)g->n_nodes + 1, sizeof(double)), {0, 0}};
  op_total *tot = calloc((size_t)g->n_nodes + 1, sizeof *tot);
  int n_tot = 0, rc = 1;
  double wall = 0.0;
  if (!outs || !p.node_ms || !tot) {
    fprintf(stderr, "onnxq_bench: out of memory\n");
    goto done;
  }
  if (oq_plan_build(model, &plan, &err) != OQ_OK) {
    fail_msg("profile plan", &err);
    goto done;
  }
  if (threads > 1) {
    if (oq_threadpool_create(threads, &pool, &err) != OQ_OK) {
      fail_msg("profile pool", &err);
      goto done;
    }
    oq_plan_set_pool(plan, pool);
  }
  for (int r = 0; r < runs; r++) {
    clock_gettime(CLOCK_MONOTONIC, &p.t0);
    double t0 = now_ms();
    oq_status st = oq_plan_run(plan, inputs, outs, prof_observe, &p, &err);
    wall += now_ms() - t0;
    for (int32_t j = 0; j < g->n_outputs; j++) oq_tensor_release(&outs[j]);
    if (st != OQ_OK) {
      fail_msg("profile run", &err);
      goto done;
    }
  }
  for (int32_t i = 0; i < g->n_nodes; i++) {
    const char *op = g->nodes[i].proto->op_type ? g->nodes[i].proto->op_type : "?";
    int k = 0;
    while (k < n_tot && strcmp(tot[k].op, op)) k++;
    if (k == n_tot) tot[n_tot++] = (op_total){op, 0.0, 0};
    tot[k].ms += p.node_ms[i];
    tot[k].nodes++;
  }
  qsort(tot, (size_t)n_tot, sizeof *tot, cmp_total);
  printf(",\"profile_runs\":%d,\"profile_wall_ms\":%.6f,\"profile\":[", runs, wall / runs);
  fprintf(stderr, "%-24s %6s %12s %7s\n", "op", "nodes", "ms/run", "share");
  for (int k = 0; k < n_tot; k++) {
    double ms = tot[k].ms / runs, share = wall > 0 ? 100.0 * tot[k].ms / wall : 0.0;
    printf("%s{\"op\":", k ? "," : "");
    json_str(tot[k].op);
    printf(",\"nodes\":%d,\"ms\":%.6f,\"share_pct\":%.2f}", tot[k].nodes, ms, share);
    fprintf(stderr, "%-24s %6d %12.4f %6.1f%%\n", tot[k].op, tot[k].nodes, ms, share);
  }
  printf("]");
  fprintf(stderr, "%-24s %6s %12.4f (wall per profiled run, observer on)\n", "total", "", wall / runs);
  /* The slowest single nodes, by selection over the per-node totals (n_nodes is small). */
  const char *top_env = getenv("ONNXQ_BENCH_TOP"); /* how many slowest nodes to list (default 8) */
  int top = top_env ? atoi(top_env) : 8;
  fprintf(stderr, "\nslowest nodes:\n");
  for (int k = 0; k < top && k < g->n_nodes; k++) {
    int32_t best = -1;
    for (int32_t i = 0; i < g->n_nodes; i++)
      if (p.node_ms[i] >= 0 && (best < 0 || p.node_ms[i] > p.node_ms[best])) best = i;
    if (best < 0) break;
    const Onnx__NodeProto *np = g->nodes[best].proto;
    fprintf(stderr, "  %-40s %-20s %10.4f ms/run\n", np->name && np->name[0] ? np->name : "(unnamed)",
            np->op_type ? np->op_type : "?", p.node_ms[best] / runs);
    p.node_ms[best] = -1.0;
  }
  rc = 0;
done:
  oq_plan_free(plan);
  oq_threadpool_free(pool);
  free(outs);
  free(p.node_ms);
  free(tot);
  return rc;
}

static int bench_exec(const bench_args *a, const oq_model *model) {
  oq_error err = {0};
  oq_session *sess = NULL;
  int32_t n_in = oq_model_input_count(model), n_out = oq_model_output_count(model);
  oq_tensor *ins = calloc((size_t)n_in + 1, sizeof *ins);
  oq_tensor *outs = calloc((size_t)n_out + 1, sizeof *outs);
  double *ms = calloc((size_t)a->runs, sizeof *ms), *cms = calloc((size_t)a->runs, sizeof *cms);
  int rc = 1, loaded = 0;
  if (!ins || !outs || !ms || !cms) {
    fprintf(stderr, "onnxq_bench: out of memory\n");
    goto done;
  }
  if (oq_sample_load(model, a->data, n_in, ins, &err) != OQ_OK) {
    fail_msg(a->data, &err);
    goto done;
  }
  loaded = 1;
  oq_session_options so;
  oq_session_options_init(&so);
  so.threads = a->threads;
  if (oq_session_create(model, &so, &sess, &err) != OQ_OK) {
    fail_msg(a->model, &err);
    goto done;
  }
  for (int i = 0; i < a->warmup + a->runs; i++) {
    double c0 = cpu_ms(), t0 = now_ms();
    oq_status st = oq_session_run(sess, n_in, ins, n_out, outs, &err);
    double t1 = now_ms(), c1 = cpu_ms();
    for (int32_t j = 0; j < n_out; j++) oq_tensor_release(&outs[j]);
    if (st != OQ_OK) {
      fail_msg(a->model, &err);
      goto done;
    }
    if (i >= a->warmup) {
      ms[i - a->warmup] = t1 - t0;
      cms[i - a->warmup] = c1 - c0;
    }
  }
  qsort(ms, (size_t)a->runs, sizeof *ms, cmp_double);
  qsort(cms, (size_t)a->runs, sizeof *cms, cmp_double);
  printf("{\"impl\":\"onnxq\",\"mode\":\"exec\",\"model\":");
  json_str(a->model);
  printf(",\"threads\":%d,\"warmup\":%d,\"runs\":%d,\"median_ms\":%.6f,\"p10_ms\":%.6f,\"p90_ms\":%.6f,\"min_ms\":%.6f",
         a->threads, a->warmup, a->runs, quantile(ms, a->runs, 0.5), quantile(ms, a->runs, 0.1),
         quantile(ms, a->runs, 0.9), ms[0]);
  printf(",\"cpu_median_ms\":%.6f", quantile(cms, a->runs, 0.5));
  rc = 0;
  if (a->profile) rc = profile(model, ins, a->threads, a->runs);
  printf("}\n");
done:
  oq_session_free(sess);
  if (loaded)
    for (int32_t j = 0; j < n_in; j++) oq_tensor_release(&ins[j]);
  free(ins);
  free(outs);
  free(ms);
  free(cms);
  return rc;
}

/* Sample folders oq_quantize will visit: the sub-folders of dir (dot entries skipped). */
static int count_samples(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  char path[4096];
  while ((e = readdir(d)) != NULL) {
    struct stat sb;
    if (e->d_name[0] == '.') continue;
    if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= (int)sizeof path) continue;
    if (stat(path, &sb) == 0 && S_ISDIR(sb.st_mode)) n++;
  }
  closedir(d);
  return n;
}

static int bench_calib(const bench_args *a, const oq_model *model) {
  oq_error err = {0};
  oq_quant_options opts;
  int n = count_samples(a->data), rc = 1;
  double *sps = calloc((size_t)a->runs, sizeof *sps);
  double *sec = calloc((size_t)a->runs, sizeof *sec);
  if (!sps || !sec) {
    fprintf(stderr, "onnxq_bench: out of memory\n");
    goto done;
  }
  if (n <= 0) {
    fprintf(stderr, "onnxq_bench: %s: no sample folders\n", a->data);
    goto done;
  }
  oq_quant_options_init(&opts);
  opts.threads = a->threads;
  for (int i = 0; i < a->warmup + a->runs; i++) {
    oq_model *q = NULL;
    double t0 = now_ms();
    oq_status st = oq_quantize(model, a->data, &opts, &q, &err);
    double t1 = now_ms();
    oq_model_free(q);
    if (st != OQ_OK) {
      fail_msg(a->data, &err);
      goto done;
    }
    if (i >= a->warmup) {
      sec[i - a->warmup] = (t1 - t0) / 1e3;
      sps[i - a->warmup] = (double)n / ((t1 - t0) / 1e3);
    }
  }
  qsort(sps, (size_t)a->runs, sizeof *sps, cmp_double);
  qsort(sec, (size_t)a->runs, sizeof *sec, cmp_double);
  printf("{\"impl\":\"onnxq\",\"mode\":\"calib\",\"model\":");
  json_str(a->model);
  printf(",\"calib\":");
  json_str(a->data);
  printf(",\"samples\":%d,\"threads\":%d,\"warmup\":%d,\"runs\":%d,\"median_s\":%.6f,\"samples_per_s\":%.3f,"
         "\"p10_samples_per_s\":%.3f,\"p90_samples_per_s\":%.3f}\n",
         n, a->threads, a->warmup, a->runs, quantile(sec, a->runs, 0.5), quantile(sps, a->runs, 0.5),
         quantile(sps, a->runs, 0.1), quantile(sps, a->runs, 0.9));
  rc = 0;
done:
  free(sps);
  free(sec);
  return rc;
}

int main(int argc, char **argv) {
  bench_args a;
  oq_error err = {0};
  oq_model *model = NULL;
  if (!parse_args(argc, argv, &a)) return 1;
  if (oq_model_load(a.model, &model, &err) != OQ_OK) return fail_msg(a.model, &err);
  int rc = a.calib ? bench_calib(&a, model) : bench_exec(&a, model);
  oq_model_free(model);
  return rc;
}
