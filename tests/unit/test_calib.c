/* MinMax calibration: statistics, merging, sample folder listing, the threaded calibration loop (results must not
 * depend on the thread count) and errors naming the sample folder. */
#define _XOPEN_SOURCE 700
#include "oq_test.h"

#include "calib/calib.h"
#include "model/model.h"
#include "quant/quant.h"

#include <ftw.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#define TINY ONNXQ_SOURCE_DIR "/tests/fixtures/quant/tiny.onnx"

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static void rm_tree(const char *dir) { nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* Deterministic pseudo-random floats (xorshift). */
static float next_float(uint32_t *s) {
  *s ^= *s << 13;
  *s ^= *s >> 17;
  *s ^= *s << 5;
  return (float)((int32_t)(*s % 20001u) - 10000) / 997.0f;
}

OQ_TEST(merge_is_thread_count_independent) {
  enum { NV = 4, NS = 17, LEN = 33 };
  oq_error err = {0};
  const uint8_t tracked[NV] = {1, 1, 0, 1};
  float data[NS][NV][LEN];
  uint32_t seed = 12345;
  for (int s = 0; s < NS; s++)
    for (int v = 0; v < NV; v++)
      for (int i = 0; i < LEN; i++) data[s][v][i] = next_float(&seed);
  data[3][0][5] = NAN; /* ignored */
  oq_calib_stats ref;
  REQUIRE_OK(oq_calib_stats_init(&ref, NV, tracked, &err));
  for (int s = 0; s < NS; s++)
    for (int v = 0; v < NV; v++) {
      oq_tensor t = {
          .dtype = OQ_DTYPE_FLOAT, .ndim = 1, .dims = {LEN}, .data = data[s][v], .nbytes = sizeof data[s][v]};
      REQUIRE_OK(oq_calib_observe(&ref, NULL, v, &t, &err));
    }
  CHECK(ref.seen[0] == NS && ref.seen[2] == 0 && !(ref.min[2] <= ref.max[2]));
  CHECK(ref.min[0] == ref.min[0]); /* not NaN */
  for (int nth = 1; nth <= 5; nth++) {
    oq_calib_stats per[5], all;
    REQUIRE_OK(oq_calib_stats_init(&all, NV, tracked, &err));
    for (int t = 0; t < nth; t++) REQUIRE_OK(oq_calib_stats_init(&per[t], NV, tracked, &err));
    for (int s = 0; s < NS; s++)
      for (int v = 0; v < NV; v++) {
        oq_tensor t = {
            .dtype = OQ_DTYPE_FLOAT, .ndim = 1, .dims = {LEN}, .data = data[s][v], .nbytes = sizeof data[s][v]};
        oq_calib_stats_update(&per[s % nth], v, &t);
      }
    for (int t = 0; t < nth; t++) REQUIRE_OK(oq_calib_stats_merge(&all, &per[t], &err));
    CHECK(memcmp(all.min, ref.min, sizeof(float) * NV) == 0);
    CHECK(memcmp(all.max, ref.max, sizeof(float) * NV) == 0);
    CHECK(memcmp(all.seen, ref.seen, sizeof(int64_t) * NV) == 0);
    for (int t = 0; t < nth; t++) oq_calib_stats_free(&per[t]);
    oq_calib_stats_free(&all);
  }
  /* Non-float tensors and out-of-range ids are ignored. */
  int32_t ints[2] = {-100, 100};
  oq_tensor ti = {.dtype = OQ_DTYPE_INT32, .ndim = 1, .dims = {2}, .data = ints, .nbytes = sizeof ints};
  float before = ref.min[1];
  oq_calib_stats_update(&ref, 1, &ti);
  oq_calib_stats_update(&ref, 99, &ti);
  oq_calib_stats_update(&ref, -1, &ti);
  CHECK(ref.min[1] == before);
  oq_calib_stats small;
  REQUIRE_OK(oq_calib_stats_init(&small, 2, NULL, &err));
  CHECK(oq_calib_stats_merge(&ref, &small, &err) != OQ_OK);
  oq_calib_stats_free(&small);
  oq_calib_stats_free(&ref);
}

OQ_TEST(list_samples) {
  oq_error err = {0};
  char dir[] = "/tmp/oq_calib_XXXXXX";
  REQUIRE(mkdtemp(dir));
  char **paths = NULL;
  size_t n = 0;
  CHECK(oq_calib_list_samples(dir, &paths, &n, &err) != OQ_OK);
  CHECK(strstr(err.msg, "no sample folders") && strstr(err.msg, dir));
  char p[256];
  const char *subs[] = {"s_b", "s_a", ".hidden", "s_10"};
  for (int i = 0; i < 4; i++) {
    snprintf(p, sizeof p, "%s/%s", dir, subs[i]);
    REQUIRE(mkdir(p, 0700) == 0);
  }
  snprintf(p, sizeof p, "%s/file.txt", dir);
  FILE *f = fopen(p, "w");
  REQUIRE(f);
  fclose(f);
  REQUIRE_OK(oq_calib_list_samples(dir, &paths, &n, &err));
  CHECK(n == 3);
  if (n == 3) {
    snprintf(p, sizeof p, "%s/s_10", dir);
    CHECK(!strcmp(paths[0], p));
    snprintf(p, sizeof p, "%s/s_a", dir);
    CHECK(!strcmp(paths[1], p));
    snprintf(p, sizeof p, "%s/s_b", dir);
    CHECK(!strcmp(paths[2], p));
  }
  oq_calib_paths_free(paths, n);
  CHECK(oq_calib_list_samples("/nonexistent/oq", &paths, &n, &err) == OQ_ERR_IO);
  rm_tree(dir);
}

/* Writes nsamples sample folders with x.npy ([1,1,4,4] float) for tiny.onnx. */
static int make_samples(const char *dir, int nsamples, oq_error *err) {
  uint32_t seed = 777;
  for (int s = 0; s < nsamples; s++) {
    char p[256];
    snprintf(p, sizeof p, "%s/sample_%03d", dir, s);
    if (mkdir(p, 0700) != 0) return 0;
    oq_tensor t = {0};
    const int64_t dims[4] = {1, 1, 4, 4};
    if (oq_tensor_alloc(&t, OQ_DTYPE_FLOAT, 4, dims, err) != OQ_OK) return 0;
    for (int i = 0; i < 16; i++) ((float *)t.data)[i] = next_float(&seed) / 10.0f;
    snprintf(p, sizeof p, "%s/sample_%03d/x.npy", dir, s);
    oq_status st = oq_npy_save(p, &t, err);
    oq_tensor_release(&t);
    if (st != OQ_OK) return 0;
  }
  return 1;
}

OQ_TEST(run_is_thread_count_independent) {
  oq_error err = {0};
  char dir[] = "/tmp/oq_calib_XXXXXX";
  REQUIRE(mkdtemp(dir));
  REQUIRE(make_samples(dir, 11, &err));
  oq_model *m = NULL;
  REQUIRE_OK(oq_model_load(TINY, &m, &err));
  uint8_t *tracked = NULL;
  REQUIRE_OK(oq_quant_tracked_values(m, &tracked, &err));
  oq_calib_stats ref;
  REQUIRE_OK(oq_calib_stats_init(&ref, m->graph.n_values, tracked, &err));
  REQUIRE_OK(oq_calib_run(m, dir, 1, &ref, &err));
  CHECK(ref.n_samples == 11);
  int32_t relu = oq_graph_find(&m->graph, "relu_out"), conv = oq_graph_find(&m->graph, "conv_out");
  CHECK(ref.seen[relu] == 11 && ref.min[relu] == 0.0f && ref.max[relu] > 0.0f);
  CHECK(ref.min[conv] < 0.0f);
  CHECK(ref.seen[oq_graph_find(&m->graph, "W")] == 0); /* initializers are not observed */
  const int counts[] = {2, 3, 4, 16};
  for (size_t k = 0; k < sizeof counts / sizeof counts[0]; k++) {
    oq_calib_stats s;
    REQUIRE_OK(oq_calib_stats_init(&s, m->graph.n_values, tracked, &err));
    REQUIRE_OK(oq_calib_run(m, dir, counts[k], &s, &err));
    CHECK(s.n_samples == 11);
    CHECK(memcmp(s.min, ref.min, sizeof(float) * (size_t)s.n_values) == 0);
    CHECK(memcmp(s.max, ref.max, sizeof(float) * (size_t)s.n_values) == 0);
    CHECK(memcmp(s.seen, ref.seen, sizeof(int64_t) * (size_t)s.n_values) == 0);
    oq_calib_stats_free(&s);
  }
  /* The whole quantization gives byte-identical models for 1 and 3 threads. */
  oq_quant_options o;
  oq_quant_options_init(&o);
  oq_model *q1 = NULL, *q3 = NULL;
  REQUIRE_OK(oq_quantize(m, dir, &o, &q1, &err));
  o.threads = 3;
  REQUIRE_OK(oq_quantize(m, dir, &o, &q3, &err));
  uint8_t *b1 = NULL, *b3 = NULL;
  size_t n1 = 0, n3 = 0;
  REQUIRE_OK(oq_model_pack(q1->proto, &b1, &n1, &err));
  REQUIRE_OK(oq_model_pack(q3->proto, &b3, &n3, &err));
  CHECK(n1 == n3 && memcmp(b1, b3, n1) == 0);
  free(b1);
  free(b3);
  oq_model_free(q1);
  oq_model_free(q3);
  oq_calib_stats_free(&ref);
  free(tracked);
  oq_model_free(m);
  rm_tree(dir);
}

OQ_TEST(errors_name_the_sample) {
  oq_error err = {0};
  char dir[] = "/tmp/oq_calib_XXXXXX";
  REQUIRE(mkdtemp(dir));
  REQUIRE(make_samples(dir, 5, &err));
  /* sample_003 gets a wrong shape, sample_004 no file at all: the first failing sample (003) is reported. */
  char p[256];
  snprintf(p, sizeof p, "%s/sample_003/x.npy", dir);
  oq_tensor t = {0};
  const int64_t dims[2] = {2, 2};
  REQUIRE_OK(oq_tensor_alloc(&t, OQ_DTYPE_FLOAT, 2, dims, &err));
  REQUIRE_OK(oq_npy_save(p, &t, &err));
  oq_tensor_release(&t);
  snprintf(p, sizeof p, "%s/sample_004/x.npy", dir);
  REQUIRE(remove(p) == 0);
  oq_model *m = NULL, *q = NULL;
  REQUIRE_OK(oq_model_load(TINY, &m, &err));
  oq_quant_options o;
  oq_quant_options_init(&o);
  for (int threads = 1; threads <= 4; threads++) {
    o.threads = threads;
    memset(&err, 0, sizeof err);
    CHECK(oq_quantize(m, dir, &o, &q, &err) != OQ_OK);
    CHECK(q == NULL);
    CHECK(strstr(err.msg, "sample_003") != NULL);
  }
  /* No sample folders at all. */
  char empty[] = "/tmp/oq_calib_XXXXXX";
  REQUIRE(mkdtemp(empty));
  CHECK(oq_quantize(m, empty, &o, &q, &err) != OQ_OK);
  CHECK(strstr(err.msg, "no sample folders") != NULL);
  rm_tree(empty);
  oq_model_free(m);
  rm_tree(dir);
}

OQ_TEST(stats_keyed_by_fingerprint) {
  oq_error err = {0};
  char dir[] = "/tmp/oq_calib_XXXXXX";
  REQUIRE(mkdtemp(dir));
  REQUIRE(make_samples(dir, 3, &err));
  oq_model *m = NULL, *m2 = NULL;
  REQUIRE_OK(oq_model_load(TINY, &m, &err));
  REQUIRE_OK(oq_model_load(TINY, &m2, &err));
  /* the same graph with one weight changed: same value count, another fingerprint */
  Onnx__TensorProto *w = m2->proto->graph->initializer[oq_graph_find(&m2->graph, "W")];
  REQUIRE(w && w->has_raw_data && w->raw_data.len >= 4);
  w->raw_data.data[0] ^= 1;
  REQUIRE(oq_model_fingerprint(m) != oq_model_fingerprint(m2));

  /* unbound statistics have no key and find nothing by name */
  oq_calib_stats a, b, c;
  REQUIRE_OK(oq_calib_stats_init(&a, m->graph.n_values, NULL, &err));
  CHECK(a.fingerprint == 0 && a.scope == NULL && oq_calib_stats_find(&a, "relu_out") == -1);
  /* a run binds them to the model: fingerprint and the main graph's names */
  REQUIRE_OK(oq_calib_run(m, dir, 2, &a, &err));
  CHECK(a.fingerprint == oq_model_fingerprint(m) && a.scope == &m->graph);
  int32_t relu = oq_calib_stats_find(&a, "relu_out");
  CHECK(relu >= 0 && relu == oq_graph_find(&m->graph, "relu_out") && a.seen[relu] == 3);
  CHECK(oq_calib_stats_find(&a, "no_such_value") == -1);
  /* shards of the same model merge (another run, same key) */
  REQUIRE_OK(oq_calib_stats_init(&b, m->graph.n_values, NULL, &err));
  REQUIRE_OK(oq_calib_run(m, dir, 1, &b, &err));
  REQUIRE_OK(oq_calib_stats_merge(&a, &b, &err));
  CHECK(a.n_samples == 6 && a.seen[relu] == 6);
  /* statistics of another model are refused: by merge, by a run, by binding */
  REQUIRE_OK(oq_calib_stats_init(&c, m2->graph.n_values, NULL, &err));
  REQUIRE_OK(oq_calib_run(m2, dir, 1, &c, &err));
  memset(&err, 0, sizeof err);
  CHECK(oq_calib_stats_merge(&a, &c, &err) == OQ_ERR_INVALID_ARG);
  CHECK(strstr(err.msg, "calibration statistics of different models") != NULL);
  CHECK(a.n_samples == 6); /* untouched */
  CHECK(oq_calib_run(m2, dir, 1, &b, &err) == OQ_ERR_INVALID_ARG);
  CHECK(strstr(err.msg, "belong to another model") != NULL);
  CHECK(oq_calib_stats_bind(&b, m2, &err) == OQ_ERR_INVALID_ARG);
  /* keyed and unkeyed statistics do not mix either */
  oq_calib_stats u;
  REQUIRE_OK(oq_calib_stats_init(&u, m->graph.n_values, NULL, &err));
  CHECK(oq_calib_stats_merge(&a, &u, &err) == OQ_ERR_INVALID_ARG);
  oq_calib_stats_free(&u);
  oq_calib_stats_free(&a);
  oq_calib_stats_free(&b);
  oq_calib_stats_free(&c);
  oq_model_free(m);
  oq_model_free(m2);
  rm_tree(dir);
}

OQ_TEST_MAIN()
