/* The calibration table: statistics of one model saved to a file (format in docs/file-formats.md), merged across
 * shards, quantized from, and exchanged as a TensorRT calibration cache.
 *
 * In memory a table is an oq_calib_stats indexed by entry (one per tracked value of the model, graph order) plus the
 * entry names; it is re-indexed onto a model's value ids by name when used. */
#define _POSIX_C_SOURCE 200809L

#include "calib/range.h"
#include "core/file.h"
#include "quant/qplan.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>
#include <stddef.h>
#include <sys/stat.h>
#include <unistd.h>

/* mkstemp makes 0600 files: tables are ordinary outputs (0644 less the umask). */
static int fchmod_path(const char *p) {
  mode_t um = umask(0);
  umask(um);
  return chmod(p, 0666 & ~um);
}

#define TABLE_MAGIC   "ONNXQCAL"
#define TABLE_VERSION 1u
#define FLAG_RANGES   1u /* ranges only (imported TensorRT cache): no histograms, min/max method only */

struct oq_calib_table {
  oq_calib_stats s; /* n_values = entries; unbound (scope NULL) but keyed by fingerprint */
  char **names;     /* owned, n_values entries */
  uint32_t flags;
};

void oq_calib_table_free(oq_calib_table *t) {
  if (!t) return;
  if (t->names)
    for (int32_t i = 0; i < t->s.n_values; i++) free(t->names[i]);
  free(t->names);
  oq_calib_stats_free(&t->s);
  free(t);
}

int64_t oq_calib_table_samples(const oq_calib_table *t) { return t ? t->s.n_samples : 0; }
uint64_t oq_calib_table_fingerprint(const oq_calib_table *t) { return t ? t->s.fingerprint : 0; }

static oq_status table_new(int32_t n, int32_t bins, oq_calib_table **out, oq_error *err) {
  oq_status st = OQ_OK;
  oq_calib_table *t = oq_calloc(1, sizeof *t, err);
  if (!t) return OQ_ERR_NOMEM;
  OQ_CHECK(oq_calib_stats_init(&t->s, n, NULL, err));
  OQ_CHECK(oq_calib_stats_init_extra(&t->s, bins, err));
  t->names = oq_calloc(n > 0 ? (size_t)n : 1, sizeof *t->names, err);
  if (!t->names) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
  *out = t;
  return OQ_OK;
fail:
  oq_calib_table_free(t);
  return st;
}

/* Copies entry sv of src into entry dv of dst (same bins or dst without histograms). */
static void copy_entry(oq_calib_stats *dst, int32_t dv, const oq_calib_stats *src, int32_t sv) {
  dst->tracked[dv] = 1;
  dst->min[dv] = src->min[sv];
  dst->max[dv] = src->max[sv];
  dst->seen[dv] = src->seen[sv];
  dst->non_float[dv] = src->non_float[sv];
  if (dst->acc && src->acc) {
    memcpy(dst->acc + (size_t)dv * 2 * OQ_CALIB_ACC_SLOTS, src->acc + (size_t)sv * 2 * OQ_CALIB_ACC_SLOTS,
           2 * OQ_CALIB_ACC_SLOTS * sizeof *dst->acc);
    dst->acc_n[dv] = src->acc_n[sv];
  }
  if (dst->bins && src->bins == dst->bins) {
    memcpy(dst->hist + (size_t)dv * 2 * (size_t)dst->bins, src->hist + (size_t)sv * 2 * (size_t)src->bins,
           2 * (size_t)dst->bins * sizeof *dst->hist);
    dst->hexp[dv] = src->hexp[sv];
  }
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

oq_status oq_calibrate(const oq_model *model, const char *data, const oq_calib_options *opts, oq_calib_table **out,
                       oq_error *err) {
  oq_status st = OQ_OK;
  uint8_t *tracked = NULL;
  oq_calib_stats stats = {0};
  oq_calib_table *t = NULL;
  oq_calib_options o;
  if (err) oq_error_clear(err);
  if (!model || !data || !out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_calibrate: NULL argument");
  *out = NULL;
  oq_calib_options_init(&o);
  if (opts) OQ_CHECK(oq_options_take(&o, sizeof o, sizeof o, opts, "oq_calibrate", err));
  if (o.shard_count < 0 || (o.shard_count > 1 && (o.shard_index < 0 || o.shard_index >= o.shard_count)))
    OQ_FAIL_ABOUT(err, OQ_ERR_INVALID_ARG, OQ_SUBJECT_OPTION, "shard", "shard %d of %d is out of range",
                  (int)o.shard_index + 1, (int)o.shard_count);
  if (o.limit < 0) OQ_FAIL_ABOUT(err, OQ_ERR_INVALID_ARG, OQ_SUBJECT_OPTION, "limit", "negative sample limit");
  OQ_CHECK(oq_quant_tracked_values(model, &tracked, err));
  OQ_CHECK(oq_calib_stats_init(&stats, model->graph.n_values, tracked, err));
  OQ_CHECK(oq_calib_stats_init_extra(&stats, o.bins, err));
  OQ_CHECK(oq_calib_run_data(model, data, &o, &stats, err));
  int32_t n = 0;
  for (int32_t v = 0; v < stats.n_values; v++) n += stats.tracked[v] != 0;
  OQ_CHECK(table_new(n, o.bins, &t, err));
  t->s.fingerprint = stats.fingerprint;
  t->s.n_samples = stats.n_samples;
  for (int32_t v = 0, e = 0; v < stats.n_values; v++) {
    if (!stats.tracked[v]) continue;
    copy_entry(&t->s, e, &stats, v);
    t->names[e] = oq_strdup(model->graph.values[v].name, err);
    if (!t->names[e]) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
    e++;
  }
  for (size_t i = 0; i < stats.n_ids; i++) OQ_CHECK(oq_calib_stats_add_sample(&t->s, stats.sample_ids[i], err));
  if (t->s.n_ids) qsort(t->s.sample_ids, t->s.n_ids, sizeof *t->s.sample_ids, cmp_u64);
  *out = t;
  t = NULL;
fail:
  oq_calib_table_free(t);
  oq_calib_stats_free(&stats);
  free(tracked);
  return st;
}

oq_status oq_calib_table_merge(oq_calib_table *dst, const oq_calib_table *src, oq_error *err) {
  if (!dst || !src) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_calib_table_merge: NULL argument");
  if (dst->s.fingerprint != src->s.fingerprint)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "tables of different models (fingerprint %016llx vs %016llx)",
                  (unsigned long long)dst->s.fingerprint, (unsigned long long)src->s.fingerprint);
  if (dst->flags != src->flags || dst->s.bins != src->s.bins || dst->s.n_values != src->s.n_values)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "tables of different kinds (bins %d vs %d, %d vs %d values)",
                  (int)dst->s.bins, (int)src->s.bins, (int)dst->s.n_values, (int)src->s.n_values);
  for (int32_t i = 0; i < dst->s.n_values; i++)
    if (strcmp(dst->names[i], src->names[i]) != 0)
      OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "tables list different values ('%s' vs '%s')", dst->names[i],
                    src->names[i]);
  /* both sorted: any common sample identity means overlapping shards */
  for (size_t a = 0, b = 0; a < dst->s.n_ids && b < src->s.n_ids;) {
    if (dst->s.sample_ids[a] == src->s.sample_ids[b])
      OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "the tables share samples (sample %016llx is in both)",
                    (unsigned long long)dst->s.sample_ids[a]);
    if (dst->s.sample_ids[a] < src->s.sample_ids[b])
      a++;
    else
      b++;
  }
  oq_status st = oq_calib_stats_merge(&dst->s, &src->s, err);
  if (st == OQ_OK && dst->s.n_ids) qsort(dst->s.sample_ids, dst->s.n_ids, sizeof *dst->s.sample_ids, cmp_u64);
  return st;
}

/* Writes bytes to path through a temporary file in the same folder, fsync and rename: no partial output. */
static oq_status write_atomic(const char *path, const void *bytes, size_t n, oq_error *err) {
  oq_status st = OQ_OK;
  size_t pl = strlen(path);
  char *tmp = oq_malloc_array(pl + 16, 1, err);
  if (!tmp) return OQ_ERR_NOMEM;
  snprintf(tmp, pl + 16, "%s.tmpXXXXXX", path);
  int fd = mkstemp(tmp);
  if (fd < 0) OQ_FAIL(err, OQ_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
  size_t off = 0;
  while (off < n) {
    ssize_t w = write(fd, (const char *)bytes + off, n - off);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) break;
    off += (size_t)w;
  }
  int ok = off == n && fsync(fd) == 0;
  if (close(fd) != 0) ok = 0;
  if (!ok || fchmod_path(tmp) != 0 || rename(tmp, path) != 0) {
    int e = errno;
    unlink(tmp);
    OQ_FAIL(err, OQ_ERR_IO, "%s: cannot write: %s", path, strerror(e));
  }
fail:
  free(tmp);
  return st;
}

/* ---- file format ---------------------------------------------------------------------------------------------- */

typedef struct wbuf {
  unsigned char *p;
  size_t n, cap;
  int oom;
} wbuf;

static void put(wbuf *b, const void *src, size_t n) {
  if (b->oom) return;
  if (b->n + n > b->cap) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->n + n) cap *= 2;
    unsigned char *g = oq_mem_realloc(b->p, cap);
    if (!g) {
      b->oom = 1;
      return;
    }
    b->p = g;
    b->cap = cap;
  }
  memcpy(b->p + b->n, src, n);
  b->n += n;
}

static void put_u64(wbuf *b, uint64_t v) {
  unsigned char x[8];
  for (int i = 0; i < 8; i++) x[i] = (unsigned char)(v >> (8 * i));
  put(b, x, 8);
}
static void put_u32(wbuf *b, uint32_t v) {
  unsigned char x[4];
  for (int i = 0; i < 4; i++) x[i] = (unsigned char)(v >> (8 * i));
  put(b, x, 4);
}
static void put_f32(wbuf *b, float f) {
  uint32_t v;
  memcpy(&v, &f, 4);
  put_u32(b, v);
}

/* A count array as its non-zero span: u32 first, u32 count, count u64 values. */
static void put_span(wbuf *b, const uint64_t *h, int32_t n) {
  int32_t a = 0, z = n;
  while (a < n && !h[a]) a++;
  while (z > a && !h[z - 1]) z--;
  put_u32(b, (uint32_t)a);
  put_u32(b, (uint32_t)(z - a));
  for (int32_t k = a; k < z; k++) put_u64(b, h[k]);
}

oq_status oq_calib_table_save(const oq_calib_table *t, const char *path, oq_error *err) {
  oq_status st = OQ_OK;
  wbuf b = {0};
  if (!t || !path) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_calib_table_save: NULL argument");
  const oq_calib_stats *s = &t->s;
  put(&b, TABLE_MAGIC, 8);
  put_u32(&b, TABLE_VERSION);
  put_u32(&b, t->flags);
  put_u64(&b, s->fingerprint);
  put_u32(&b, (uint32_t)s->bins);
  put_u32(&b, (uint32_t)s->n_values);
  put_u64(&b, (uint64_t)s->n_samples);
  put_u64(&b, (uint64_t)s->n_ids);
  for (size_t i = 0; i < s->n_ids; i++) put_u64(&b, s->sample_ids[i]);
  for (int32_t v = 0; v < s->n_values; v++) {
    size_t nl = strlen(t->names[v]);
    put_u32(&b, (uint32_t)nl);
    put(&b, t->names[v], nl);
    put_u32(&b, s->non_float[v]);
    put_u64(&b, (uint64_t)s->seen[v]);
    put_f32(&b, s->min[v]);
    put_f32(&b, s->max[v]);
    put_u64(&b, (uint64_t)s->acc_n[v]);
    const int64_t *acc = s->acc + (size_t)v * 2 * OQ_CALIB_ACC_SLOTS;
    uint32_t nz = 0;
    for (int k = 0; k < 2 * OQ_CALIB_ACC_SLOTS; k++) nz += acc[k] != 0;
    put_u32(&b, nz);
    for (int k = 0; k < 2 * OQ_CALIB_ACC_SLOTS; k++)
      if (acc[k]) {
        put_u32(&b, (uint32_t)k);
        put_u64(&b, (uint64_t)acc[k]);
      }
    if (s->bins) {
      put_u32(&b, (uint32_t)s->hexp[v]);
      const uint64_t *h = s->hist + (size_t)v * 2 * (size_t)s->bins;
      put_span(&b, h, s->bins);
      put_span(&b, h + s->bins, s->bins);
    }
  }
  put_u64(&b, XXH64(b.p, b.n, 0));
  if (b.oom) OQ_FAIL(err, OQ_ERR_NOMEM, "%s: out of memory", path);
  OQ_CHECK(write_atomic(path, b.p, b.n, err));
fail:
  oq_free(b.p);
  return st;
}

typedef struct rbuf {
  const unsigned char *p;
  size_t n, off;
  int bad;
} rbuf;

static const unsigned char *take(rbuf *r, size_t n) {
  if (r->bad || r->n - r->off < n) {
    r->bad = 1;
    return NULL;
  }
  const unsigned char *p = r->p + r->off;
  r->off += n;
  return p;
}
static uint64_t get_u64(rbuf *r) {
  const unsigned char *p = take(r, 8);
  uint64_t v = 0;
  if (p)
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return v;
}
static uint32_t get_u32(rbuf *r) {
  const unsigned char *p = take(r, 4);
  return p ? (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24 : 0;
}
static float get_f32(rbuf *r) {
  uint32_t v = get_u32(r);
  float f;
  memcpy(&f, &v, 4);
  return f;
}
static int get_span(rbuf *r, uint64_t *h, int32_t n) {
  uint32_t a = get_u32(r), c = get_u32(r);
  if (r->bad || a > (uint32_t)n || c > (uint32_t)n - a) return 0;
  for (uint32_t k = 0; k < c; k++) h[a + k] = get_u64(r);
  return !r->bad;
}

static oq_status load_trt(const char *path, const char *text, oq_calib_table **out, oq_error *err);

oq_status oq_calib_table_load(const char *path, oq_calib_table **out, oq_error *err) {
  oq_status st = OQ_OK;
  unsigned char *buf = NULL;
  oq_calib_table *t = NULL;
  size_t len = 0;
  if (!path || !out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_calib_table_load: NULL argument");
  *out = NULL;
  FILE *f = oq_file_open_regular(path, err);
  if (!f) return err ? err->code : OQ_ERR_IO;
  size_t cap = 0;
  for (;;) {
    if (len == cap) {
      cap = cap ? cap * 2 : 1 << 16;
      unsigned char *g = oq_mem_realloc(buf, cap + 1);
      if (!g) {
        fclose(f);
        OQ_FAIL(err, OQ_ERR_NOMEM, "%s: out of memory", path);
      }
      buf = g;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) break;
  }
  int rerr = ferror(f);
  fclose(f);
  if (rerr) OQ_FAIL(err, OQ_ERR_IO, "%s: read error", path);
  buf[len] = '\0';
  if (len >= 4 && memcmp(buf, "TRT-", 4) == 0) {
    st = load_trt(path, (const char *)buf, out, err);
    goto fail;
  }
  if (len < 8 + 8 || memcmp(buf, TABLE_MAGIC, 8) != 0)
    OQ_FAIL(err, OQ_ERR_PARSE, "%s: not an onnxq calibration table or TensorRT cache", path);
  uint64_t sum = 0;
  for (int i = 7; i >= 0; i--) sum = sum << 8 | buf[len - 8 + (size_t)i];
  if (XXH64(buf, len - 8, 0) != sum) OQ_FAIL(err, OQ_ERR_PARSE, "%s: calibration table is corrupt (checksum)", path);
  rbuf r = {buf, len - 8, 8, 0};
  uint32_t version = get_u32(&r);
  if (version != TABLE_VERSION)
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "%s: calibration table version %u, this onnxq reads version %u", path,
            (unsigned)version, TABLE_VERSION);
  uint32_t flags = get_u32(&r);
  uint64_t fp = get_u64(&r);
  uint32_t bins = get_u32(&r), n = get_u32(&r);
  uint64_t n_samples = get_u64(&r), n_ids = get_u64(&r);
  if (r.bad || n > (uint32_t)INT32_MAX || n_ids > (r.n - r.off) / 8 ||
      (bins && (bins < 8 || bins > OQ_CALIB_MAX_BINS || (bins & (bins - 1)))))
    OQ_FAIL(err, OQ_ERR_PARSE, "%s: malformed calibration table header", path);
  OQ_CHECK(table_new((int32_t)n, (int32_t)bins, &t, err));
  t->flags = flags;
  t->s.fingerprint = fp;
  t->s.n_samples = (int64_t)n_samples;
  for (uint64_t i = 0; i < n_ids; i++) OQ_CHECK(oq_calib_stats_add_sample(&t->s, get_u64(&r), err));
  for (uint32_t v = 0; v < n && !r.bad; v++) {
    uint32_t nl = get_u32(&r);
    const unsigned char *name = take(&r, nl);
    if (!name) break;
    t->names[v] = oq_malloc_array((size_t)nl + 1, 1, err);
    if (!t->names[v]) OQ_FAIL(err, OQ_ERR_NOMEM, "%s: out of memory", path);
    memcpy(t->names[v], name, nl);
    t->names[v][nl] = '\0';
    t->s.non_float[v] = (uint8_t)(get_u32(&r) != 0);
    t->s.seen[v] = (int64_t)get_u64(&r);
    t->s.min[v] = get_f32(&r);
    t->s.max[v] = get_f32(&r);
    t->s.acc_n[v] = (int64_t)get_u64(&r);
    uint32_t nz = get_u32(&r);
    int64_t *acc = t->s.acc + (size_t)v * 2 * OQ_CALIB_ACC_SLOTS;
    for (uint32_t k = 0; k < nz && !r.bad; k++) {
      uint32_t slot = get_u32(&r);
      uint64_t val = get_u64(&r);
      if (slot >= 2 * OQ_CALIB_ACC_SLOTS)
        r.bad = 1;
      else
        acc[slot] = (int64_t)val;
    }
    if (bins) {
      t->s.hexp[v] = (int32_t)get_u32(&r);
      uint64_t *h = t->s.hist + (size_t)v * 2 * bins;
      if (!get_span(&r, h, (int32_t)bins) || !get_span(&r, h + bins, (int32_t)bins)) r.bad = 1;
    }
  }
  if (r.bad || r.off != r.n) OQ_FAIL(err, OQ_ERR_PARSE, "%s: malformed calibration table", path);
  *out = t;
  t = NULL;
fail:
  oq_calib_table_free(t);
  oq_free(buf);
  if (st != OQ_OK) oq_error_subject_if_prefix(err, path);
  return st;
}

/* ---- use ------------------------------------------------------------------------------------------------------ */

/* Statistics indexed by the model's value ids from a table of that model. */
static oq_status table_to_stats(const oq_model *model, const oq_calib_table *t, oq_calib_stats *s, oq_error *err) {
  oq_status st = OQ_OK;
  uint64_t fp = oq_model_fingerprint(model);
  int ranges = (t->flags & FLAG_RANGES) != 0; /* an imported cache: keyed by names only */
  if (!ranges && t->s.fingerprint != fp)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG,
                  "the calibration table belongs to another model (fingerprint %016llx, this model %016llx)",
                  (unsigned long long)t->s.fingerprint, (unsigned long long)fp);
  OQ_CHECK(oq_calib_stats_init(s, model->graph.n_values, NULL, err));
  OQ_CHECK(oq_calib_stats_init_extra(s, t->s.bins, err));
  memset(s->tracked, 0, (size_t)s->n_values);
  OQ_CHECK(oq_calib_stats_bind(s, model, err));
  for (int32_t e = 0; e < t->s.n_values; e++) {
    int32_t v = oq_calib_stats_find(s, t->names[e]);
    if (v < 0 && ranges) continue; /* TensorRT caches also name layers */
    if (v < 0)
      OQ_FAIL(err, OQ_ERR_INVALID_ARG, "the calibration table names a value '%s' the model lacks", t->names[e]);
    copy_entry(s, v, &t->s, e);
  }
  s->n_samples = t->s.n_samples;
  return OQ_OK;
fail:
  oq_calib_stats_free(s);
  return st;
}

oq_status oq_quantize_table(const oq_model *model, const oq_calib_table *t, const oq_quant_options *opts,
                            oq_model **out, oq_error *err) {
  oq_status st = OQ_OK;
  oq_calib_stats s = {0};
  oq_quant_options o;
  if (err) oq_error_clear(err);
  if (!model || !t || !out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_quantize_table: NULL argument");
  *out = NULL;
  oq_quant_options_init(&o);
  if (opts) OQ_CHECK(oq_options_take(&o, sizeof o, offsetof(oq_quant_options, method), opts, "oq_quantize_table", err));
  OQ_CHECK(oq_calib_check_options(&o, err));
  if ((t->flags & FLAG_RANGES) && (o.method != OQ_CALIB_MINMAX || o.moving_average))
    OQ_FAIL(err, OQ_ERR_INVALID_ARG, "a TensorRT cache holds ranges only: use the minmax method");
  OQ_CHECK(table_to_stats(model, t, &s, err));
  OQ_CHECK(oq_quant_rewrite(model, &s, &o, out, err));
fail:
  oq_calib_stats_free(&s);
  return st;
}

/* ---- TensorRT calibration cache ------------------------------------------------------------------------------- */

oq_status oq_calib_table_export_trt(const oq_model *model, const oq_calib_table *t, const oq_quant_options *opts,
                                    const char *path, oq_error *err) {
  oq_status st = OQ_OK;
  oq_calib_stats s = {0};
  oq_quant_options o;
  wbuf b = {0};
  if (!model || !t || !path) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_calib_table_export_trt: NULL argument");
  oq_quant_options_init(&o);
  if (opts) OQ_CHECK(oq_options_take(&o, sizeof o, offsetof(oq_quant_options, method), opts, "export", err));
  OQ_CHECK(oq_calib_check_options(&o, err));
  OQ_CHECK(table_to_stats(model, t, &s, err));
  const char *hdr = "TRT-8601-EntropyCalibration2\n";
  put(&b, hdr, strlen(hdr));
  oq_range_target target = {8, 1}; /* TensorRT: int8, symmetric */
  for (int32_t e = 0; e < t->s.n_values; e++) {
    int32_t v = oq_calib_stats_find(&s, t->names[e]), has = 0;
    if (v < 0) continue;
    float lo = 0, hi = 0;
    OQ_CHECK(oq_calib_range(&s, v, &o, &target, &has, &lo, &hi, err));
    if (!has || !(lo <= hi)) continue;
    float scale = fmaxf(fabsf(lo), fabsf(hi)) / 127.0f;
    uint32_t bits;
    memcpy(&bits, &scale, 4);
    char line[64];
    put(&b, t->names[e], strlen(t->names[e]));
    int n = snprintf(line, sizeof line, ": %08x\n", (unsigned)bits);
    put(&b, line, (size_t)n);
  }
  if (b.oom) OQ_FAIL(err, OQ_ERR_NOMEM, "%s: out of memory", path);
  OQ_CHECK(write_atomic(path, b.p, b.n, err));
fail:
  oq_free(b.p);
  oq_calib_stats_free(&s);
  return st;
}

/* "TRT-<ver>-<Calibrator>" then "name: <8 hex digits of the float32 scale>" lines (TensorRT), or "name: <decimal
 * range>" lines (onnxruntime's plain cache). Ranges only; the fingerprint is unknown, so the table is keyed to the
 * first model it is used with by name (fingerprint 0 = any). */
static oq_status load_trt(const char *path, const char *text, oq_calib_table **out, oq_error *err) {
  oq_status st = OQ_OK;
  oq_calib_table *t = NULL;
  int32_t n = 0;
  for (const char *p = strchr(text, '\n'); p && p[1]; p = strchr(p + 1, '\n')) n++;
  OQ_CHECK(table_new(n, 0, &t, err));
  t->flags = FLAG_RANGES;
  t->s.fingerprint = 0;
  const char *p = strchr(text, '\n');
  int32_t e = 0, line = 1;
  while (p && p[1] && e < n) {
    p++;
    line++;
    const char *end = strchr(p, '\n');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    const char *colon = NULL;
    for (size_t i = len; i > 0; i--)
      if (p[i - 1] == ':') {
        colon = p + i - 1;
        break;
      }
    if (!colon) OQ_FAIL(err, OQ_ERR_PARSE, "%s: line %d: expected 'name: value'", path, (int)line);
    char val[64] = {0};
    size_t vl = len - (size_t)(colon + 1 - p);
    if (vl >= sizeof val) OQ_FAIL(err, OQ_ERR_PARSE, "%s: line %d: malformed value", path, (int)line);
    memcpy(val, colon + 1, vl);
    char *q = val, *stop = NULL;
    while (*q == ' ') q++;
    while (vl && (val[vl - 1] == '\r' || val[vl - 1] == ' ')) val[--vl] = '\0';
    double amax;
    if (strlen(q) == 8 && strspn(q, "0123456789abcdefABCDEF") == 8) {
      uint32_t bits = (uint32_t)strtoul(q, &stop, 16);
      float scale;
      memcpy(&scale, &bits, 4);
      amax = (double)scale * 127.0;
    } else {
      amax = strtod(q, &stop);
      if (stop == q || *stop) OQ_FAIL(err, OQ_ERR_PARSE, "%s: line %d: malformed value '%s'", path, (int)line, q);
    }
    if (!(amax >= 0) || !isfinite(amax)) OQ_FAIL(err, OQ_ERR_PARSE, "%s: line %d: bad range", path, (int)line);
    t->names[e] = oq_malloc_array((size_t)(colon - p) + 1, 1, err);
    if (!t->names[e]) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
    memcpy(t->names[e], p, (size_t)(colon - p));
    t->names[e][colon - p] = '\0';
    t->s.tracked[e] = 1;
    t->s.min[e] = (float)-amax;
    t->s.max[e] = (float)amax;
    t->s.seen[e] = 1;
    e++;
    p = end;
  }
  t->s.n_values = e;
  *out = t;
  return OQ_OK;
fail:
  oq_calib_table_free(t);
  return st;
}
