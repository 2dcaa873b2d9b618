/* MinMax statistics and the calibration loop (sample folders -> executor with observer -> statistics). */
#include "calib/calib.h"

#include "exec/exec.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

oq_status oq_calib_stats_init(oq_calib_stats *s, int32_t n_values, const uint8_t *tracked, oq_error *err) {
  oq_status st = OQ_OK;
  memset(s, 0, sizeof *s);
  if (n_values < 0) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "calibration statistics: negative value count %d", n_values);
  size_t n = n_values > 0 ? (size_t)n_values : 1;
  s->n_values = n_values;
  s->tracked = oq_calloc(n, sizeof *s->tracked, err);
  s->min = oq_malloc_array(n, sizeof *s->min, err);
  s->max = oq_malloc_array(n, sizeof *s->max, err);
  s->seen = oq_calloc(n, sizeof *s->seen, err);
  s->non_float = oq_calloc(n, sizeof *s->non_float, err);
  if (!s->tracked || !s->min || !s->max || !s->seen || !s->non_float) {
    st = OQ_ERR_NOMEM;
    goto fail;
  }
  for (int32_t v = 0; v < n_values; v++) {
    s->tracked[v] = tracked ? (tracked[v] != 0) : 1;
    s->min[v] = INFINITY;
    s->max[v] = -INFINITY;
  }
  return OQ_OK;
fail:
  oq_calib_stats_free(s);
  return st;
}

void oq_calib_stats_free(oq_calib_stats *s) {
  if (!s) return;
  free(s->tracked);
  free(s->min);
  free(s->max);
  free(s->seen);
  free(s->non_float);
  memset(s, 0, sizeof *s);
}

oq_status oq_calib_stats_bind(oq_calib_stats *s, const oq_model *model, oq_error *err) {
  if (!model || model->graph.n_values != s->n_values)
    OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "calibration statistics do not match the model (%d vs %d values)", s->n_values,
                  model ? model->graph.n_values : -1);
  uint64_t fp = oq_model_fingerprint(model);
  if (s->scope && s->fingerprint != fp)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG,
                  "calibration statistics belong to another model (fingerprint %016llx, this model %016llx)",
                  (unsigned long long)s->fingerprint, (unsigned long long)fp);
  s->fingerprint = fp;
  s->scope = &model->graph;
  return OQ_OK;
}

int32_t oq_calib_stats_find(const oq_calib_stats *s, const char *name) {
  if (!s || !s->scope) return -1;
  int32_t v = oq_graph_find(s->scope, name);
  return v < s->n_values ? v : -1;
}

oq_status oq_calib_stats_merge(oq_calib_stats *dst, const oq_calib_stats *src, oq_error *err) {
  if (dst->n_values != src->n_values)
    OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "calibration statistics of different graphs (%d vs %d values)", dst->n_values,
                  src->n_values);
  if (dst->fingerprint != src->fingerprint || !dst->scope != !src->scope)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG,
                  "calibration statistics of different models (fingerprint %016llx vs %016llx)",
                  (unsigned long long)dst->fingerprint, (unsigned long long)src->fingerprint);
  for (int32_t v = 0; v < dst->n_values; v++) {
    if (src->min[v] < dst->min[v]) dst->min[v] = src->min[v];
    if (src->max[v] > dst->max[v]) dst->max[v] = src->max[v];
    dst->seen[v] += src->seen[v];
    dst->non_float[v] |= src->non_float[v];
  }
  dst->n_samples += src->n_samples;
  return OQ_OK;
}

void oq_calib_stats_update(oq_calib_stats *s, int32_t value_id, const oq_tensor *t) {
  if (value_id < 0 || value_id >= s->n_values || !s->tracked[value_id]) return;
  if (!t) return;
  if (t->dtype != OQ_DTYPE_FLOAT) {
    s->non_float[value_id] = 1;
    return;
  }
  size_t n = t->nbytes / sizeof(float);
  const float *p = t->data;
  float mn = s->min[value_id], mx = s->max[value_id];
  /* Comparisons are false for NaN, so NaNs never enter the range. */
  for (size_t i = 0; i < n; i++) {
    float x = p[i];
    if (x < mn) mn = x;
    if (x > mx) mx = x;
  }
  s->min[value_id] = mn;
  s->max[value_id] = mx;
  s->seen[value_id]++;
}

oq_status oq_calib_observe(void *user, const oq_graph *scope, int32_t value_id, const oq_tensor *t, oq_error *err) {
  (void)err;
  oq_calib_stats *s = user;
  /* Ids are per scope: only the statistics' own scope indexes these arrays (subgraph values are not calibrated). */
  if (s->scope ? scope != s->scope : (scope && scope->parent)) return OQ_OK;
  oq_calib_stats_update(s, value_id, t);
  return OQ_OK;
}

/* ---- sample folders ------------------------------------------------------------------------------------------ */

void oq_calib_paths_free(char **paths, size_t count) {
  if (!paths) return;
  for (size_t i = 0; i < count; i++) free(paths[i]);
  free(paths);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

oq_status oq_calib_list_samples(const char *dir, char ***out, size_t *count, oq_error *err) {
  oq_status st = OQ_OK;
  char **names = NULL;
  size_t n = 0, cap = 0;
  *out = NULL;
  *count = 0;
  if (!dir || !*dir) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "calibration folder not given");
  DIR *d = opendir(dir);
  if (!d)
    OQ_FAIL_ABOUT(err, OQ_ERR_IO, OQ_SUBJECT_FILE, dir, "%s: cannot open calibration folder: %s", dir, strerror(errno));
  size_t dlen = strlen(dir);
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.') continue;
    size_t nlen = strlen(e->d_name), total;
    if (!oq_size_add(dlen, nlen, &total) || !oq_size_add(total, 2, &total)) {
      closedir(d);
      OQ_FAIL_ABOUT(err, OQ_ERR_NOMEM, OQ_SUBJECT_FILE, dir, "%s: path too long", dir);
    }
    char *path = malloc(total);
    if (!path) {
      closedir(d);
      OQ_FAIL_ABOUT(err, OQ_ERR_NOMEM, OQ_SUBJECT_FILE, dir, "out of memory listing %s", dir);
    }
    memcpy(path, dir, dlen);
    path[dlen] = '/';
    memcpy(path + dlen + 1, e->d_name, nlen + 1);
    struct stat sb;
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
      free(path);
      continue;
    }
    if (n == cap) {
      size_t ncap = cap ? cap * 2 : 64;
      char **nn = oq_malloc_array(ncap, sizeof *nn, err);
      if (!nn) {
        free(path);
        closedir(d);
        st = OQ_ERR_NOMEM;
        goto fail;
      }
      if (n) memcpy(nn, names, n * sizeof *nn);
      free(names);
      names = nn;
      cap = ncap;
    }
    names[n++] = path;
  }
  closedir(d);
  if (n == 0) OQ_FAIL_ABOUT(err, OQ_ERR_INVALID_ARG, OQ_SUBJECT_FILE, dir, "%s: no sample folders", dir);
  qsort(names, n, sizeof *names, cmp_str);
  *out = names;
  *count = n;
  return OQ_OK;
fail:
  oq_calib_paths_free(names, n);
  return st;
}

/* ---- the calibration loop ------------------------------------------------------------------------------------ */

typedef struct shared_state {
  pthread_mutex_t lock; /* guards first_fail */
  size_t first_fail;    /* lowest failing sample index so far, SIZE_MAX when none */
} shared_state;

typedef struct worker {
  const oq_model *model; /* borrowed */
  char **paths;          /* borrowed sample folders */
  size_t n_paths;
  size_t index, stride; /* this worker runs samples index, index + stride, ... */
  shared_state *shared; /* borrowed */
  oq_calib_stats stats; /* owned, this worker's observations */
  oq_status st;         /* outcome */
  size_t fail_at;       /* sample that failed (valid when st != OQ_OK and failed_sample) */
  int failed_sample;    /* 1: st comes from a sample (not from setup) */
  oq_error err;         /* message when st != OQ_OK */
} worker;

static oq_status run_one(oq_plan *plan, const oq_model *model, const char *path, oq_calib_stats *stats, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_graph *g = &model->graph;
  oq_tensor *in = oq_calloc(g->n_inputs > 0 ? (size_t)g->n_inputs : 1, sizeof *in, err);
  if (!in) {
    st = OQ_ERR_NOMEM;
    goto done;
  }
  st = oq_sample_load(model, path, g->n_inputs, in, err);
  /* graph outputs are observed like every other value; copies of them would only be freed again */
  if (st == OQ_OK) st = oq_plan_run(plan, in, NULL, oq_calib_observe, stats, err);
  if (st == OQ_OK) stats->n_samples++;
done:
  if (in)
    for (int32_t i = 0; i < g->n_inputs; i++) oq_tensor_release(&in[i]);
  free(in);
  if (st != OQ_OK && err && !oq_error_path_within(err, path)) {
    oq_error_prefix(err, "sample %s", path);
    oq_error_subject(err, OQ_SUBJECT_FILE, path);
  }
  return st;
}

static void *worker_main(void *arg) {
  worker *w = arg;
  oq_plan *plan = NULL;
  w->st = oq_plan_build(w->model, &plan, &w->err);
  if (w->st != OQ_OK) return NULL;
  for (size_t i = w->index; i < w->n_paths; i += w->stride) {
    pthread_mutex_lock(&w->shared->lock);
    int stop = w->shared->first_fail < i; /* an earlier sample failed: its error wins */
    pthread_mutex_unlock(&w->shared->lock);
    if (stop) break;
    w->st = run_one(plan, w->model, w->paths[i], &w->stats, &w->err);
    if (w->st != OQ_OK) {
      w->failed_sample = 1;
      w->fail_at = i;
      pthread_mutex_lock(&w->shared->lock);
      if (i < w->shared->first_fail) w->shared->first_fail = i;
      pthread_mutex_unlock(&w->shared->lock);
      break;
    }
  }
  oq_plan_free(plan);
  return NULL;
}

oq_status oq_calib_run(const oq_model *model, const char *dir, int32_t threads, oq_calib_stats *stats, oq_error *err) {
  oq_status st = OQ_OK;
  char **paths = NULL;
  size_t n_paths = 0, nth = 0, started = 0;
  worker *ws = NULL;
  pthread_t *tids = NULL;
  shared_state sh = {.first_fail = SIZE_MAX};
  int lock_ready = 0;

  if (stats->n_values != model->graph.n_values)
    OQ_FAIL(err, OQ_ERR_INTERNAL, "calibration statistics do not match the model (%d vs %d values)", stats->n_values,
            model->graph.n_values);
  OQ_CHECK(oq_calib_stats_bind(stats, model, err)); /* the key a saved table uses: fingerprint + value names */
  OQ_CHECK(oq_calib_list_samples(dir, &paths, &n_paths, err));
  nth = threads > 1 ? (size_t)threads : 1;
  if (nth > n_paths) nth = n_paths;
  ws = oq_calloc(nth, sizeof *ws, err);
  tids = oq_calloc(nth, sizeof *tids, err);
  if (!ws || !tids) {
    st = OQ_ERR_NOMEM;
    goto fail;
  }
  if (pthread_mutex_init(&sh.lock, NULL) != 0) OQ_FAIL(err, OQ_ERR_INTERNAL, "cannot create a mutex");
  lock_ready = 1;
  for (size_t t = 0; t < nth; t++) {
    worker *w = &ws[t];
    w->model = model;
    w->paths = paths;
    w->n_paths = n_paths;
    w->index = t;
    w->stride = nth;
    w->shared = &sh;
    OQ_CHECK(oq_calib_stats_init(&w->stats, stats->n_values, stats->tracked, err));
    w->stats.fingerprint = stats->fingerprint; /* same model: same key, without hashing it again */
    w->stats.scope = stats->scope;
  }
  if (nth == 1) {
    worker_main(&ws[0]);
    started = 0;
  } else {
    for (started = 0; started < nth; started++) {
      if (pthread_create(&tids[started], NULL, worker_main, &ws[started]) != 0) {
        /* Stop the ones already running at their next sample, then report. */
        pthread_mutex_lock(&sh.lock);
        sh.first_fail = 0;
        pthread_mutex_unlock(&sh.lock);
        for (size_t t = 0; t < started; t++) pthread_join(tids[t], NULL);
        OQ_FAIL(err, OQ_ERR_INTERNAL, "cannot start calibration thread %zu of %zu", started + 1, nth);
      }
    }
    for (size_t t = 0; t < nth; t++) pthread_join(tids[t], NULL);
  }
  /* Setup failures (plan build) first, then the failure of the lowest sample index. */
  worker *bad = NULL;
  for (size_t t = 0; t < nth; t++) {
    worker *w = &ws[t];
    if (w->st == OQ_OK) continue;
    if (!w->failed_sample) {
      bad = w;
      break;
    }
    if (!bad || w->fail_at < bad->fail_at) bad = w;
  }
  if (bad) {
    if (err) *err = bad->err;
    st = bad->st;
    goto fail;
  }
  for (size_t t = 0; t < nth; t++) OQ_CHECK(oq_calib_stats_merge(stats, &ws[t].stats, err));
fail:
  if (ws)
    for (size_t t = 0; t < nth; t++) oq_calib_stats_free(&ws[t].stats);
  free(ws);
  free(tids);
  if (lock_ready) pthread_mutex_destroy(&sh.lock);
  oq_calib_paths_free(paths, n_paths);
  return st;
}
