/* Failure sweeps (issue 9): the library calls behind `onnxq inspect`, `convert`, `run` and `quantize` on
 * samples/digits, first counted, then repeated with the Nth allocation failing for every N (and, for the writers,
 * the Nth write/fsync/rename/link failing for every N). Each failing run must return OQ_ERR_NOMEM (OQ_ERR_IO) with a
 * one-line message and leave nothing in the output folder; leaks are LeakSanitizer's to find in the ASan build.
 * Run in-process, one case per command: test_sweep <alloc_inspect|alloc_convert|...>. */
#define _GNU_SOURCE
#include "core/alloc.h"
#include "core/file.h"
#include "oq_test.h"
#include "onnxq.h"

#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIGITS ONNXQ_SOURCE_DIR "/samples/digits"

typedef oq_status (*cmd_fn)(const char *out_dir, oq_error *err);

static char g_out[256];

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  remove(p);
  return 0;
}

/* A fresh empty output folder. */
static const char *fresh_out(void) {
  if (g_out[0]) nftw(g_out, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  snprintf(g_out, sizeof g_out, "%s/sweep_out_%ld", ONNXQ_BINARY_DIR, (long)getpid());
  nftw(g_out, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  mkdir(g_out, 0755);
  return g_out;
}

static int dir_entries(const char *dir) {
  DIR *d = opendir(dir);
  int n = 0;
  if (!d) return -1;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n;
}

/* ---- the commands, as the CLI calls the library ------------------------------------------------------------------ */

static oq_status cmd_inspect(const char *out, oq_error *err) {
  (void)out;
  oq_model *m = NULL;
  char *text = NULL, *json = NULL;
  oq_status st = oq_model_load(DIGITS "/model.onnx", &m, err);
  if (st == OQ_OK) st = oq_model_describe(m, 0, &text, err);
  if (st == OQ_OK) st = oq_model_describe(m, OQ_DESCRIBE_JSON, &json, err);
  oq_free(text);
  oq_free(json);
  oq_model_free(m);
  return st;
}

static oq_status cmd_convert(const char *out, oq_error *err) {
  oq_model *m = NULL;
  char path[512];
  snprintf(path, sizeof path, "%s/out.onnx", out);
  oq_status st = oq_model_load(DIGITS "/model.onnx", &m, err);
  if (st == OQ_OK) st = oq_model_save(m, path, NULL, err);
  oq_model_free(m);
  return st;
}

static oq_status cmd_convert_external(const char *out, oq_error *err) {
  oq_model *m = NULL;
  char path[512];
  snprintf(path, sizeof path, "%s/out.onnx", out);
  oq_save_options so;
  oq_save_options_init(&so);
  so.external_data = "out.data";
  oq_status st = oq_model_load(DIGITS "/model.onnx", &m, err);
  if (st == OQ_OK) st = oq_model_save(m, path, &so, err);
  oq_model_free(m);
  return st;
}

static oq_status cmd_run(const char *out, oq_error *err) {
  oq_model *m = NULL;
  oq_session *s = NULL;
  oq_tensor in[4] = {{0}}, res[4] = {{0}};
  int32_t n_in = 0, n_out = 0;
  oq_status st = oq_model_load(DIGITS "/model.onnx", &m, err);
  if (st == OQ_OK) {
    n_in = oq_model_input_count(m);
    n_out = oq_model_output_count(m);
    if (n_in > 4 || n_out > 4) st = OQ_ERR_INTERNAL;
  }
  if (st == OQ_OK) st = oq_sample_load(m, DIGITS "/calib/sample_000", n_in, in, err);
  if (st == OQ_OK) st = oq_session_create(m, NULL, &s, err);
  if (st == OQ_OK) st = oq_session_run(s, n_in, in, n_out, res, err);
  for (int32_t k = 0; st == OQ_OK && k < n_out; k++) {
    char path[512];
    snprintf(path, sizeof path, "%s/out_%d.npy", out, (int)k);
    st = oq_npy_save(path, &res[k], err);
  }
  for (int32_t k = 0; k < 4; k++) {
    oq_tensor_release(&in[k]);
    oq_tensor_release(&res[k]);
  }
  oq_session_free(s);
  oq_model_free(m);
  return st;
}

/* calibration on two samples (a folder made once, outside the sweep) */
static char g_calib[256];

static oq_status cmd_quantize(const char *out, oq_error *err) {
  oq_model *m = NULL, *q = NULL;
  char path[512];
  snprintf(path, sizeof path, "%s/q.onnx", out);
  oq_status st = oq_model_load(DIGITS "/model.onnx", &m, err);
  if (st == OQ_OK) st = oq_quantize(m, g_calib, NULL, &q, err);
  if (st == OQ_OK) st = oq_model_save(q, path, NULL, err);
  oq_model_free(q);
  oq_model_free(m);
  return st;
}

static void make_calib(void) {
  snprintf(g_calib, sizeof g_calib, "%s/sweep_calib_%ld", ONNXQ_BINARY_DIR, (long)getpid());
  char cmd[1024];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' && mkdir -p '%s' && cp -r '%s/calib/sample_000' '%s/calib/sample_001' '%s/'",
           g_calib, g_calib, DIGITS, DIGITS, g_calib);
  if (system(cmd) != 0) abort();
}

/* ---- sweeps ------------------------------------------------------------------------------------------------------ */

/* Every allocation of fn fails in turn. Returns the number of failure points. */
static uint64_t sweep_alloc(cmd_fn fn) {
  oq_error err = {0};
  oq_alloc_test_begin(0);
  oq_status st = fn(fresh_out(), &err);
  uint64_t count = oq_alloc_test_count();
  oq_alloc_test_end();
  if (st != OQ_OK) fprintf(stderr, "counting run failed: %s\n", err.msg);
  CHECK(st == OQ_OK && count > 0);
  int bad = 0;
  for (uint64_t n = 1; n <= count && bad < 5; n++) {
    const char *out = fresh_out();
    memset(&err, 0, sizeof err);
    oq_alloc_test_begin(n);
    st = fn(out, &err);
    int hit = oq_alloc_test_failed();
    oq_alloc_test_end();
    int left = dir_entries(out);
    if (st != OQ_ERR_NOMEM || !hit || !err.msg[0] || strchr(err.msg, '\n') || left != 0) {
      fprintf(stderr, "allocation %llu of %llu: status %s, %d files left: %s\n", (unsigned long long)n,
              (unsigned long long)count, oq_status_name(st), left, err.msg);
      bad++;
    }
  }
  CHECK(bad == 0);
  printf("%llu allocation failure points\n", (unsigned long long)count);
  return count;
}

/* Every write/fsync/rename/link of fn fails in turn; no_tmpfile selects the named-temporary fallback. */
static uint64_t sweep_io(cmd_fn fn, int no_tmpfile) {
  oq_error err = {0};
  oq_io_test_no_tmpfile(no_tmpfile);
  oq_io_test_begin(0);
  const char *out = fresh_out();
  oq_status st = fn(out, &err);
  uint64_t count = oq_io_test_count();
  oq_io_test_end();
  CHECK(st == OQ_OK && count > 0);
  int files_ok = dir_entries(out);
  int bad = 0;
  for (uint64_t n = 1; n <= count; n++) {
    out = fresh_out();
    memset(&err, 0, sizeof err);
    oq_io_test_begin(n);
    st = fn(out, &err);
    int hit = oq_io_test_failed();
    oq_io_test_end();
    int left = dir_entries(out);
    /* the folder fsync after the name is in place cannot fail the save: that point succeeds with the output whole */
    int ok_after = st == OQ_OK && hit && left == files_ok;
    if (!ok_after && (st != OQ_ERR_IO || !hit || !err.msg[0] || strchr(err.msg, '\n') || left != 0)) {
      fprintf(stderr, "I/O call %llu of %llu: status %s, %d files left: %s\n", (unsigned long long)n,
              (unsigned long long)count, oq_status_name(st), left, err.msg);
      bad++;
    }
  }
  oq_io_test_no_tmpfile(0);
  CHECK(bad == 0);
  printf("%llu I/O failure points\n", (unsigned long long)count);
  return count;
}

OQ_TEST(alloc_inspect) { sweep_alloc(cmd_inspect); }
OQ_TEST(alloc_convert) { sweep_alloc(cmd_convert); }
OQ_TEST(alloc_convert_external) { sweep_alloc(cmd_convert_external); }
OQ_TEST(alloc_run) { sweep_alloc(cmd_run); }
static void drop_calib(void) {
  nftw(g_calib, rm_one, 16, FTW_DEPTH | FTW_PHYS);
  if (g_out[0]) nftw(g_out, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

OQ_TEST(alloc_quantize) {
  make_calib();
  sweep_alloc(cmd_quantize);
  drop_calib();
}
OQ_TEST(io_convert) { sweep_io(cmd_convert, 0); }
OQ_TEST(io_convert_fallback) { sweep_io(cmd_convert, 1); }
OQ_TEST(io_convert_external) { sweep_io(cmd_convert_external, 0); }
OQ_TEST(io_run) { sweep_io(cmd_run, 0); }
OQ_TEST(io_quantize) {
  make_calib();
  sweep_io(cmd_quantize, 0);
  drop_calib();
}

OQ_TEST_MAIN()
