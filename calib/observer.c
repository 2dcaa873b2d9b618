/* MinMax statistics and the calibration loop (sample folders -> executor with observer -> statistics). */
#include "calib/calib.h"
#include "calib/data.h"

#include "exec/exec.h"

#include <dirent.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <xxhash.h>

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
  free(s->acc);
  free(s->acc_n);
  free(s->hist);
  free(s->hexp);
  free(s->sample_ids);
  memset(s, 0, sizeof *s);
}

oq_status oq_calib_stats_init_extra(oq_calib_stats *s, int32_t bins, oq_error *err) {
  if (bins != 0 && (bins < 8 || bins > OQ_CALIB_MAX_BINS || (bins & (bins - 1)) != 0))
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "histogram bins must be a power of two from 8 to %d, got %d",
                  OQ_CALIB_MAX_BINS, (int)bins);
  size_t n = s->n_values > 0 ? (size_t)s->n_values : 1, cells;
  if (!s->acc) {
    if (!oq_size_mul(n, 2 * OQ_CALIB_ACC_SLOTS, &cells))
      OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "calibration accumulators too large");
    s->acc = oq_calloc(cells, sizeof *s->acc, err);
    s->acc_n = oq_calloc(n, sizeof *s->acc_n, err);
    if (!s->acc || !s->acc_n) return OQ_ERR_NOMEM;
  }
  if (bins > 0 && !s->hist) {
    if (!oq_size_mul(n, 2 * (size_t)bins, &cells)) OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "histograms too large");
    s->hist = oq_calloc(cells, sizeof *s->hist, err);
    s->hexp = oq_malloc_array(n, sizeof *s->hexp, err);
    if (!s->hist || !s->hexp) return OQ_ERR_NOMEM;
    for (size_t v = 0; v < n; v++) s->hexp[v] = OQ_CALIB_NO_EXP;
    s->bins = bins;
  }
  return OQ_OK;
}

oq_status oq_calib_stats_add_sample(oq_calib_stats *s, uint64_t id, oq_error *err) {
  if (s->n_ids == s->cap_ids) {
    size_t cap = s->cap_ids ? s->cap_ids * 2 : 64;
    uint64_t *grown = oq_realloc_array(s->sample_ids, cap, sizeof *grown, err);
    if (!grown) return OQ_ERR_NOMEM;
    s->sample_ids = grown;
    s->cap_ids = cap;
  }
  s->sample_ids[s->n_ids++] = id;
  return OQ_OK;
}

/* Exact sum of floats: the significand goes to the slot of its exponent (subnormals share the lowest). */
static void acc_add(int64_t *acc, float x) {
  uint32_t b;
  memcpy(&b, &x, sizeof b);
  uint32_t e = (b >> 23) & 0xffu;
  if (e == 0xffu) return; /* inf: cannot be averaged */
  int64_t m = (int64_t)(b & 0x7fffffu);
  if (e)
    m |= 0x800000;
  else
    e = 1;
  acc[e] += (b >> 31) ? -m : m;
}

static double acc_value(const int64_t *acc) {
  double sum = 0;
  for (int e = 0; e < OQ_CALIB_ACC_SLOTS; e++)
    if (acc[e]) sum += ldexp((double)acc[e], e - 150);
  return sum;
}

void oq_calib_stats_mean_minmax(const oq_calib_stats *s, int32_t v, float *lo, float *hi) {
  *lo = *hi = 0;
  if (!s->acc || v < 0 || v >= s->n_values || s->acc_n[v] <= 0) return;
  const int64_t *a = s->acc + (size_t)v * 2 * OQ_CALIB_ACC_SLOTS;
  *lo = (float)(acc_value(a) / (double)s->acc_n[v]);
  *hi = (float)(acc_value(a + OQ_CALIB_ACC_SLOTS) / (double)s->acc_n[v]);
}

/* Moves a histogram from range 2^from to 2^to (to > from): 2^(to - from) neighbouring bins become one. */
static void hist_widen(uint64_t *h, int32_t bins, int32_t from, int32_t to) {
  if (from == OQ_CALIB_NO_EXP || to <= from) return;
  int32_t d = to - from;
  for (int side = 0; side < 2; side++) {
    uint64_t *p = h + (size_t)side * (size_t)bins;
    if (d >= 31 || ((int64_t)1 << d) >= bins) {
      uint64_t total = 0;
      for (int32_t k = 0; k < bins; k++) total += p[k];
      memset(p, 0, (size_t)bins * sizeof *p);
      p[0] = total;
      continue;
    }
    int32_t f = 1 << d;
    for (int32_t j = 0; j < bins / f; j++) {
      uint64_t sum = 0;
      for (int32_t k = 0; k < f; k++) sum += p[j * f + k];
      p[j] = sum;
    }
    memset(p + bins / f, 0, (size_t)(bins - bins / f) * sizeof *p);
  }
}

double oq_calib_stats_abs_hist(const oq_calib_stats *s, int32_t v, uint64_t *out) {
  const uint64_t *h = s->hist + (size_t)v * 2 * (size_t)s->bins;
  for (int32_t k = 0; k < s->bins; k++) out[k] = h[k] + h[s->bins + k];
  if (s->hexp[v] == OQ_CALIB_NO_EXP) return 0;
  return ldexp(1.0, s->hexp[v]) / s->bins;
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
  if (src->bins && dst->bins != src->bins)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "calibration histograms of different sizes (%d vs %d bins)", (int)dst->bins,
                  (int)src->bins);
  if (src->acc && !dst->acc) OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "calibration statistics without accumulators");
  for (int32_t v = 0; v < dst->n_values; v++) {
    if (src->min[v] < dst->min[v]) dst->min[v] = src->min[v];
    if (src->max[v] > dst->max[v]) dst->max[v] = src->max[v];
    dst->seen[v] += src->seen[v];
    dst->non_float[v] |= src->non_float[v];
    if (src->acc) {
      size_t o = (size_t)v * 2 * OQ_CALIB_ACC_SLOTS;
      for (size_t k = 0; k < 2 * OQ_CALIB_ACC_SLOTS; k++) dst->acc[o + k] += src->acc[o + k];
      dst->acc_n[v] += src->acc_n[v];
    }
    if (src->bins) {
      uint64_t *d = dst->hist + (size_t)v * 2 * (size_t)dst->bins;
      const uint64_t *h = src->hist + (size_t)v * 2 * (size_t)src->bins;
      int32_t e = dst->hexp[v] > src->hexp[v] ? dst->hexp[v] : src->hexp[v];
      if (src->hexp[v] != e && src->hexp[v] != OQ_CALIB_NO_EXP) {
        /* the source is narrower: widen a copy bin by bin (sums of 2^d neighbours) while adding */
        int32_t dd = e - src->hexp[v];
        for (int side = 0; side < 2; side++)
          for (int32_t k = 0; k < src->bins; k++) {
            int64_t j = dd >= 31 ? 0 : (int64_t)k >> dd;
            d[(size_t)side * (size_t)dst->bins + (size_t)j] += h[(size_t)side * (size_t)src->bins + (size_t)k];
          }
      } else {
        hist_widen(d, dst->bins, dst->hexp[v], e);
        for (size_t k = 0; k < 2 * (size_t)dst->bins; k++) d[k] += h[k];
      }
      dst->hexp[v] = e;
    }
  }
  dst->n_samples += src->n_samples;
  for (size_t i = 0; i < src->n_ids; i++) {
    oq_status st = oq_calib_stats_add_sample(dst, src->sample_ids[i], err);
    if (st != OQ_OK) return st;
  }
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
  float mn = INFINITY, mx = -INFINITY, amax = 0;
  /* Comparisons are false for NaN, so NaNs never enter the range. */
  for (size_t i = 0; i < n; i++) {
    float x = p[i];
    if (x < mn) mn = x;
    if (x > mx) mx = x;
  }
  if (mn < s->min[value_id]) s->min[value_id] = mn;
  if (mx > s->max[value_id]) s->max[value_id] = mx;
  s->seen[value_id]++;
  if (s->acc && n > 0 && mn <= mx) {
    int64_t *a = s->acc + (size_t)value_id * 2 * OQ_CALIB_ACC_SLOTS;
    acc_add(a, mn);
    acc_add(a + OQ_CALIB_ACC_SLOTS, mx);
    s->acc_n[value_id]++;
  }
  if (!s->bins || n == 0) return;
  /* largest finite |x| of this tensor decides whether the histogram widens (once) before binning */
  for (size_t i = 0; i < n; i++) {
    float a = fabsf(p[i]);
    if (a > amax && a <= FLT_MAX) amax = a;
  }
  int32_t *he = &s->hexp[value_id];
  uint64_t *h = s->hist + (size_t)value_id * 2 * (size_t)s->bins;
  if (amax > 0) {
    int e;
    frexpf(amax, &e); /* amax < 2^e, the smallest such power of two */
    if (*he == OQ_CALIB_NO_EXP || e > *he) {
      hist_widen(h, s->bins, *he, e);
      *he = e;
    }
  }
  if (*he == OQ_CALIB_NO_EXP) { /* only zeros so far: bin 0 at any range */
    for (size_t i = 0; i < n; i++)
      if (p[i] == 0) h[0]++;
    return;
  }
  int lb = 0;
  while ((1 << lb) < s->bins) lb++;
  double scale = ldexp(1.0, lb - *he); /* bins / 2^hexp: exact, so bin k is floor(|x| * scale) */
  uint64_t *neg = h + s->bins;
  for (size_t i = 0; i < n; i++) {
    float x = p[i], a = fabsf(x);
    if (!(a <= FLT_MAX)) continue;
    size_t k = (size_t)((double)a * scale);
    if (x < 0)
      neg[k]++;
    else
      h[k]++;
  }
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
  pthread_mutex_t lock; /* guards first_fail and done */
  size_t first_fail;    /* lowest failing sample index so far, SIZE_MAX when none */
  int64_t done;         /* samples finished, for progress */
  const oq_calib_options *opts;
} shared_state;

typedef struct worker {
  const oq_model *model;     /* borrowed */
  const oq_calib_data *data; /* borrowed */
  size_t index, stride;      /* this worker runs samples index, index + stride, ... */
  shared_state *shared;      /* borrowed */
  oq_calib_stats stats;      /* owned, this worker's observations */
  oq_status st;              /* outcome */
  size_t fail_at;            /* sample that failed (valid when st != OQ_OK and failed_sample) */
  int failed_sample;         /* 1: st comes from a sample (not from setup) */
  oq_error err;              /* message when st != OQ_OK */
} worker;

/* The identity of a sample: xxh64 over each input's dtype, shape and bytes. */
static uint64_t sample_id(const oq_tensor *in, int32_t n) {
  XXH64_state_t *h = XXH64_createState();
  if (!h) return 0;
  XXH64_reset(h, 0x6f6e6e7871ull);
  for (int32_t k = 0; k < n; k++) {
    int64_t head[2 + OQ_MAX_DIMS] = {in[k].dtype, in[k].ndim};
    for (int32_t i = 0; i < in[k].ndim; i++) head[2 + i] = in[k].dims[i];
    XXH64_update(h, head, sizeof head);
    if (in[k].nbytes) XXH64_update(h, in[k].data, in[k].nbytes);
  }
  uint64_t v = XXH64_digest(h);
  XXH64_freeState(h);
  return v;
}

static oq_status run_one(oq_plan *plan, const oq_model *model, const oq_calib_data *data, size_t i,
                         oq_calib_stats *stats, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_graph *g = &model->graph;
  char buf[64];
  const char *path = oq_calib_data_name(data, i, buf, sizeof buf);
  oq_tensor *in = oq_calloc(g->n_inputs > 0 ? (size_t)g->n_inputs : 1, sizeof *in, err);
  if (!in) {
    st = OQ_ERR_NOMEM;
    goto done;
  }
  st = oq_calib_data_load(data, i, in, err);
  if (st == OQ_OK) st = oq_calib_stats_add_sample(stats, sample_id(in, g->n_inputs), err);
  /* graph outputs are observed like every other value; copies of them would only be freed again */
  if (st == OQ_OK) st = oq_plan_run(plan, in, NULL, oq_calib_observe, stats, err);
  if (st == OQ_OK) stats->n_samples++;
done:
  if (in)
    for (int32_t k = 0; k < g->n_inputs; k++) oq_tensor_release(&in[k]);
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
  for (size_t i = w->index; i < w->data->n; i += w->stride) {
    pthread_mutex_lock(&w->shared->lock);
    int stop = w->shared->first_fail < i; /* an earlier sample failed: its error wins */
    pthread_mutex_unlock(&w->shared->lock);
    if (stop) break;
    w->st = run_one(plan, w->model, w->data, i, &w->stats, &w->err);
    if (w->st != OQ_OK) {
      w->failed_sample = 1;
      w->fail_at = i;
      pthread_mutex_lock(&w->shared->lock);
      if (i < w->shared->first_fail) w->shared->first_fail = i;
      pthread_mutex_unlock(&w->shared->lock);
      break;
    }
    const oq_calib_options *o = w->shared->opts;
    if (o && o->progress) {
      pthread_mutex_lock(&w->shared->lock);
      o->progress(o->progress_user, ++w->shared->done, (int64_t)w->data->n);
      pthread_mutex_unlock(&w->shared->lock);
    }
  }
  oq_plan_free(plan);
  return NULL;
}

oq_status oq_calib_run(const oq_model *model, const char *dir, int32_t threads, oq_calib_stats *stats, oq_error *err) {
  oq_calib_options o;
  oq_calib_options_init(&o);
  o.threads = threads;
  return oq_calib_run_data(model, dir, &o, stats, err);
}

oq_status oq_calib_run_data(const oq_model *model, const char *path, const oq_calib_options *opts,
                            oq_calib_stats *stats, oq_error *err) {
  oq_status st = OQ_OK;
  oq_calib_data data;
  size_t nth = 0, started = 0;
  worker *ws = NULL;
  pthread_t *tids = NULL;
  shared_state sh = {.first_fail = SIZE_MAX, .opts = opts};
  int lock_ready = 0, data_open = 0;
  int32_t threads = opts->threads;

  if (stats->n_values != model->graph.n_values)
    OQ_FAIL(err, OQ_ERR_INTERNAL, "calibration statistics do not match the model (%d vs %d values)", stats->n_values,
            model->graph.n_values);
  OQ_CHECK(oq_calib_stats_bind(stats, model, err)); /* the key a saved table uses: fingerprint + value names */
  OQ_CHECK(oq_calib_data_open(model, path, opts, &data, err));
  data_open = 1;
  nth = threads > 1 ? (size_t)threads : 1;
  if (nth > data.n) nth = data.n;
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
    w->data = &data;
    w->index = t;
    w->stride = nth;
    w->shared = &sh;
    OQ_CHECK(oq_calib_stats_init(&w->stats, stats->n_values, stats->tracked, err));
    if (stats->acc) OQ_CHECK(oq_calib_stats_init_extra(&w->stats, stats->bins, err));
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
  if (data_open) oq_calib_data_close(&data);
  return st;
}
