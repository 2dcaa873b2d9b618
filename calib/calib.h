/* MinMax calibration: running min/max per graph value, fed by the executor's observer hook, memory constant in
 * the number of samples. Samples can run on several threads (one plan and one statistics object each); the
 * per-thread statistics are merged in thread order, and since min/max are exact the result does not depend on
 * the thread count. */
#ifndef OQ_CALIB_CALIB_H
#define OQ_CALIB_CALIB_H

#include "core/error.h"
#include "model/model.h"

/* Invariant: every array has n_values entries (the graph's value count). min[v] > max[v] (+inf / -inf) until a
 * float tensor with at least one non-NaN element was seen for v. Owns its arrays.
 *
 * Key. The arrays are indexed by value id for speed, and ids are per scope (model/graph.h): statistics cover one
 * scope, the model's main graph. What identifies them outside the process (a saved calibration table, shards
 * merged across runs) is the model fingerprint plus the value name: a bound statistics object records both
 * (fingerprint, scope), oq_calib_stats_find maps a name to its slot, and merging refuses another fingerprint.
 * Values inside subgraphs (If branches) are not calibrated yet: the observer skips other scopes. */
typedef struct oq_calib_stats {
  int32_t n_values;      /* entries per array */
  uint8_t *tracked;      /* 1: the observer records this value */
  float *min;            /* running minimum over every element seen (NaN ignored) */
  float *max;            /* running maximum */
  int64_t *seen;         /* float tensors observed for the value (counts empty ones too) */
  uint8_t *non_float;    /* 1: a tensor of another dtype was observed for the value (value_info may claim float) */
  int64_t n_samples;     /* samples folded in */
  uint64_t fingerprint;  /* oq_model_fingerprint of the model observed; 0 while unbound */
  const oq_graph *scope; /* borrowed; the scope the ids belong to (&model->graph), NULL while unbound */
  /* Means of per-tensor min/max (--moving-average): exact sums, so that they do not depend on the order samples
   * are folded in. Per value 2 * OQ_CALIB_ACC_SLOTS integers (min then max); a float m * 2^e (m the signed 24-bit
   * significand) adds m to slot e + 149. NULL until oq_calib_stats_init_extra. */
  int64_t *acc;
  int64_t *acc_n; /* per value: non-empty float tensors summed into acc */
  /* Histograms (percentile, entropy, MSE). Value v owns hist[v * 2 * bins ...]: bins counts of x >= 0 by |x|, then
   * bins counts of x < 0 by |x|; bin k covers [k, k+1) * 2^hexp[v] / bins. The range 2^hexp[v] is the smallest power
   * of two above every finite |x| seen (widened by merging bins 2^d to one), so the counts are those of binning all
   * data at once: independent of sample order, thread count and shard split. hexp[v] == OQ_CALIB_NO_EXP while
   * only zeros (or nothing) were seen. bins == 0: no histograms. Non-finite elements are not counted. */
  int32_t bins;   /* power of two >= 8, or 0 */
  uint64_t *hist; /* n_values * 2 * bins counts, owned */
  int32_t *hexp;  /* n_values exponents */
  /* Sample identities (xxh64 of each sample's inputs), for refusing overlapping tables; sorted when saved. */
  uint64_t *sample_ids;
  size_t n_ids, cap_ids;
} oq_calib_stats;

#define OQ_CALIB_ACC_SLOTS 256
#define OQ_CALIB_NO_EXP    (-100000)
#define OQ_CALIB_MAX_BINS  (1 << 16)

/* tracked may be NULL (track everything). The statistics start unbound (no model key). */
oq_status oq_calib_stats_init(oq_calib_stats *s, int32_t n_values, const uint8_t *tracked, oq_error *err);
/* Adds the moving-average accumulators and, when bins > 0 (a power of two from 8 to OQ_CALIB_MAX_BINS), the
 * histograms to freshly initialized statistics. */
oq_status oq_calib_stats_init_extra(oq_calib_stats *s, int32_t bins, oq_error *err);
/* Records a sample identity. */
oq_status oq_calib_stats_add_sample(oq_calib_stats *s, uint64_t id, oq_error *err);
/* Mean of per-tensor minima / maxima of value v (0 when acc is absent or nothing was seen). */
void oq_calib_stats_mean_minmax(const oq_calib_stats *s, int32_t v, float *lo, float *hi);
/* Histogram of |x| for value v into out[0..bins) (pos + neg); returns the bin width (0 when only zeros). */
double oq_calib_stats_abs_hist(const oq_calib_stats *s, int32_t v, uint64_t *out);

/* Keys s by model: its main graph must have s->n_values values. Fails when s is bound to another model. */
oq_status oq_calib_stats_bind(oq_calib_stats *s, const oq_model *model, oq_error *err);
void oq_calib_stats_free(oq_calib_stats *s);
/* Min of mins, max of maxes, sums of counts, or of non_float. Both must have the same n_values and the same key
 * (fingerprint; both unbound is allowed): statistics of another model are refused. */
oq_status oq_calib_stats_merge(oq_calib_stats *dst, const oq_calib_stats *src, oq_error *err);
/* Slot (value id in s->scope) of the value called name, -1 when s is unbound or the scope has no such value. */
int32_t oq_calib_stats_find(const oq_calib_stats *s, const char *name);
/* Folds a float tensor into value_id's range (ignores untracked values; other dtypes only set non_float). */
void oq_calib_stats_update(oq_calib_stats *s, int32_t value_id, const oq_tensor *t);
/* An oq_observer_fn; user is the oq_calib_stats. Observations of another scope than the statistics' own (unbound:
 * any subgraph scope) are skipped. */
oq_status oq_calib_observe(void *user, const oq_graph *scope, int32_t value_id, const oq_tensor *t, oq_error *err);

/* Sub-folders of dir whose names do not start with '.', sorted by name (byte order). *out is a malloc'd array of
 * malloc'd "dir/name" paths (free with oq_calib_paths_free); fails with "<dir>: no sample folders" when empty. */
oq_status oq_calib_list_samples(const char *dir, char ***out, size_t *count, oq_error *err);
void oq_calib_paths_free(char **paths, size_t count);

/* Runs every sample folder of dir through the model on `threads` workers (sample i on worker i % threads) and
 * folds the observations into stats (already initialized for this model's graph; bound to the model here if it is
 * not yet, refused when bound to another model). Errors name the sample folder;
 * with several failures the one of the first failing sample (in name order) is reported. */
oq_status oq_calib_run(const oq_model *model, const char *dir, int32_t threads, oq_calib_stats *stats, oq_error *err);

/* oq_calib_run over any calibration data source (calib/data.h) with its selection and progress options. */
oq_status oq_calib_run_data(const oq_model *model, const char *path, const oq_calib_options *opts,
                            oq_calib_stats *stats, oq_error *err);

#endif
