/* The public API's growth rules: size-versioned option structs, counted arrays, oq_free, value lookups, model
 * statistics, version numbers, the structured error subject, and the failing-allocator mode showing that every
 * allocation failure during oq_model_load unwinds cleanly (ASan builds check that nothing leaks). */
#define _POSIX_C_SOURCE 200809L

#include "core/alloc.h"
#include "oq_test.h"
#include "onnxq.h"

#include <stddef.h>
#include <sys/stat.h>

#define DIGITS ONNXQ_SOURCE_DIR "/samples/digits"

static oq_model *digits(void) {
  oq_error err = {0};
  oq_model *m = NULL;
  if (oq_model_load(DIGITS "/model.onnx", &m, &err) != OQ_OK) fprintf(stderr, "load: %s\n", err.msg);
  return m;
}

OQ_TEST(version_numbers) {
  CHECK(oq_version_number() == OQ_VERSION_NUMBER);
  char buf[32];
  snprintf(buf, sizeof buf, "%d.%d.%d", OQ_VERSION_MAJOR, OQ_VERSION_MINOR, OQ_VERSION_PATCH);
  CHECK(strcmp(buf, oq_version()) == 0 && strcmp(buf, OQ_VERSION_STRING) == 0);
}

OQ_TEST(options_init_sets_size) {
  oq_save_options so;
  oq_session_options se;
  oq_quant_options qo;
  oq_value_info vi;
  oq_model_stats ms;
  memset(&so, 0xff, sizeof so);
  memset(&se, 0xff, sizeof se);
  memset(&qo, 0xff, sizeof qo);
  oq_save_options_init(&so);
  oq_session_options_init(&se);
  oq_quant_options_init(&qo);
  oq_value_info_init(&vi);
  oq_model_stats_init(&ms);
  CHECK(so.size == sizeof so && so.external_data == NULL && so.size_threshold == 1024);
  CHECK(se.size == sizeof se && se.threads == 1);
  CHECK(qo.size == sizeof qo && qo.threads == 1 && qo.per_channel == 1);
  CHECK(vi.size == sizeof vi && ms.size == sizeof ms);
}

OQ_TEST(options_size_checked) {
  oq_error err = {0};
  oq_model *m = digits(), *q = NULL;
  REQUIRE(m);
  oq_session *s = NULL;
  oq_session_options se;
  oq_session_options_init(&se);
  const uint32_t bad[] = {0, 3, (uint32_t)sizeof se + 4, UINT32_MAX};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    se.size = bad[i];
    CHECK(oq_session_create(m, &se, &s, &err) == OQ_ERR_INVALID_ARG && s == NULL);
    CHECK(err.subject_kind == OQ_SUBJECT_OPTION && strcmp(err.subject, "size") == 0);
  }
  oq_quant_options qo;
  oq_quant_options_init(&qo);
  qo.size = 0;
  CHECK(oq_quantize(m, DIGITS "/calib", &qo, &q, &err) == OQ_ERR_INVALID_ARG && q == NULL);
  CHECK(strstr(err.msg, "oq_quantize") != NULL);
  oq_save_options so;
  oq_save_options_init(&so);
  so.size = (uint32_t)sizeof so + 8;
  CHECK(oq_model_save(m, ONNXQ_BINARY_DIR "/tests/api_never_written.onnx", &so, &err) == OQ_ERR_INVALID_ARG);
  struct stat sb;
  CHECK(stat(ONNXQ_BINARY_DIR "/tests/api_never_written.onnx", &sb) != 0);
  oq_value_info vi;
  oq_value_info_init(&vi);
  vi.size = 0;
  CHECK(oq_model_input_info(m, 0, &vi, &err) == OQ_ERR_INVALID_ARG);
  oq_model_stats ms;
  oq_model_stats_init(&ms);
  ms.size = 1;
  CHECK(oq_model_get_stats(m, &ms, &err) == OQ_ERR_INVALID_ARG);
  /* the exact size works, and NULL means defaults */
  se.size = sizeof se;
  se.threads = 2;
  REQUIRE_OK(oq_session_create(m, &se, &s, &err));
  oq_session_free(s);
  s = NULL;
  REQUIRE_OK(oq_session_create(m, NULL, &s, &err));
  oq_session_free(s);
  oq_model_free(m);
}

/* A caller built against a smaller (older) oq_value_info gets only the fields it knows; the rest of its memory is
 * left alone. */
OQ_TEST(smaller_struct_accepted) {
  oq_error err = {0};
  oq_model *m = digits();
  REQUIRE(m);
  struct {
    oq_value_info info;
    unsigned char guard[64];
  } box;
  memset(&box, 0x5a, sizeof box);
  box.info.size = sizeof box.info;
  REQUIRE_OK(oq_model_input_info(m, 0, &box.info, &err));
  for (size_t i = 0; i < sizeof box.guard; i++) CHECK(box.guard[i] == 0x5a);
  CHECK(strcmp(box.info.name, "input") == 0);
  oq_model_free(m);
}

OQ_TEST(value_info_and_lookup) {
  oq_error err = {0};
  oq_model *m = digits();
  REQUIRE(m);
  CHECK(oq_model_find_input(m, "input") == 0 && oq_model_find_input(m, "logits") == -1);
  CHECK(oq_model_find_output(m, "logits") == 0 && oq_model_find_output(m, "input") == -1);
  CHECK(oq_model_find_input(m, "nope") == -1 && oq_model_find_input(NULL, "input") == -1);
  oq_value_info vi;
  oq_value_info_init(&vi);
  REQUIRE_OK(oq_model_input_info(m, 0, &vi, &err));
  CHECK(strcmp(vi.name, "input") == 0 && vi.dtype == OQ_DTYPE_FLOAT && vi.rank == 4);
  CHECK(vi.dims[0] == -1 && vi.dim_names[0] && strcmp(vi.dim_names[0], "batch") == 0);
  CHECK(vi.dims[1] == 1 && vi.dims[2] == 8 && vi.dims[3] == 8 && vi.dim_names[1] == NULL);
  REQUIRE_OK(oq_model_output_info(m, 0, &vi, &err));
  CHECK(strcmp(vi.name, "logits") == 0 && vi.rank == 2 && vi.dims[0] == -1 && vi.dims[1] == 10);
  CHECK(oq_model_input_info(m, 1, &vi, &err) == OQ_ERR_INVALID_ARG);
  CHECK(oq_model_output_info(m, -1, &vi, &err) == OQ_ERR_INVALID_ARG);
  oq_model_free(m);
}

OQ_TEST(model_stats) {
  oq_error err = {0};
  oq_model *m = digits(), *q = NULL;
  REQUIRE(m);
  oq_model_stats st;
  oq_model_stats_init(&st);
  REQUIRE_OK(oq_model_get_stats(m, &st, &err));
  CHECK(st.nodes == 14 && st.qdq_nodes == 0 && st.quantized_nodes == 0 && st.initializers > 0);
  REQUIRE_OK(oq_quantize(m, DIGITS "/calib", NULL, &q, &err));
  oq_model_stats_init(&st);
  REQUIRE_OK(oq_model_get_stats(q, &st, &err));
  /* every non-Q/DQ node of the quantized model is counted once at most */
  CHECK(st.qdq_nodes > 0 && st.quantized_nodes > 0 && st.quantized_nodes + st.qdq_nodes <= st.nodes);
  oq_model_free(q);
  oq_model_free(m);
}

OQ_TEST(counts_checked) {
  oq_error err = {0};
  oq_model *m = digits();
  REQUIRE(m);
  oq_tensor in[2], out[2];
  memset(in, 0, sizeof in);
  memset(out, 0, sizeof out);
  CHECK(oq_sample_load(m, DIGITS "/calib/sample_000", 2, in, &err) == OQ_ERR_INVALID_ARG);
  CHECK(err.subject_kind == OQ_SUBJECT_OPTION && strcmp(err.subject, "n_inputs") == 0);
  CHECK(oq_sample_load(m, DIGITS "/calib/sample_000", 0, NULL, &err) == OQ_ERR_INVALID_ARG);
  REQUIRE_OK(oq_sample_load(m, DIGITS "/calib/sample_000", 1, in, &err));
  oq_session *s = NULL;
  REQUIRE_OK(oq_session_create(m, NULL, &s, &err));
  CHECK(oq_session_run(s, 0, in, 1, out, &err) == OQ_ERR_INVALID_ARG);
  CHECK(oq_session_run(s, 2, in, 1, out, &err) == OQ_ERR_INVALID_ARG);
  CHECK(oq_session_run(s, 1, NULL, 1, out, &err) == OQ_ERR_INVALID_ARG);
  CHECK(oq_session_run(s, 1, in, 0, out, &err) == OQ_ERR_INVALID_ARG);
  CHECK(oq_session_run(s, 1, in, 2, out, &err) == OQ_ERR_INVALID_ARG);
  CHECK(err.subject_kind == OQ_SUBJECT_OPTION && strcmp(err.subject, "n_outputs") == 0);
  CHECK(out[0].data == NULL && out[1].data == NULL);
  REQUIRE_OK(oq_session_run(s, 1, in, 1, out, &err));
  CHECK(out[0].dtype == OQ_DTYPE_FLOAT && out[0].ndim == 2 && out[0].dims[1] == 10);
  oq_tensor_release(&out[0]);
  oq_tensor_release(&in[0]);
  oq_session_free(s);
  oq_model_free(m);
}

OQ_TEST(describe_flags_and_free) {
  oq_error err = {0};
  oq_model *m = digits();
  REQUIRE(m);
  char *text = NULL;
  CHECK(oq_model_describe(m, 2, &text, &err) == OQ_ERR_INVALID_ARG && text == NULL);
  REQUIRE_OK(oq_model_describe(m, OQ_DESCRIBE_JSON, &text, &err));
  CHECK(text[0] == '{' && strstr(text, "\"unsupported_ops\":[]") != NULL);
  oq_free(text);
  REQUIRE_OK(oq_model_describe(m, 0, &text, &err));
  CHECK(strncmp(text, "ir_version", 10) == 0);
  oq_free(text);
  oq_free(NULL);
  oq_model_free(m);
}

OQ_TEST(error_subjects) {
  oq_error err = {0};
  oq_model *m = NULL;
  /* a model file that cannot be read: the file is the subject and the path */
  CHECK(oq_model_load(DIGITS "/no-such-model.onnx", &m, &err) == OQ_ERR_IO);
  CHECK(err.subject_kind == OQ_SUBJECT_FILE && strcmp(err.subject, DIGITS "/no-such-model.onnx") == 0);
  CHECK(strcmp(err.path, DIGITS "/no-such-model.onnx") == 0);
  /* the source location is relative to the source root */
  CHECK(err.file && err.file[0] != '/' && strncmp(err.file, "src/", 4) == 0 && err.line > 0);
  /* a value error in a sample: the input is the subject, the sample file the path */
  m = digits();
  REQUIRE(m);
  oq_tensor in[1];
  memset(in, 0, sizeof in);
  CHECK(oq_sample_load(m, DIGITS "/calib", 1, in, &err) != OQ_OK); /* a folder of folders: no input file */
  CHECK(err.subject_kind == OQ_SUBJECT_FILE || err.subject_kind == OQ_SUBJECT_VALUE);
  CHECK(strncmp(err.path, DIGITS "/calib", strlen(DIGITS "/calib")) == 0);
  char dir[512];
  snprintf(dir, sizeof dir, "%s/tests/api_subject_sample", ONNXQ_BINARY_DIR);
  mkdir(ONNXQ_BINARY_DIR "/tests", 0777);
  mkdir(dir, 0777);
  char npy[600];
  snprintf(npy, sizeof npy, "%s/input.npy", dir);
  oq_tensor t;
  const int64_t dims[4] = {1, 1, 8, 9}; /* wrong last extent */
  REQUIRE_OK(oq_tensor_alloc(&t, OQ_DTYPE_FLOAT, 4, dims, &err));
  REQUIRE_OK(oq_npy_save(npy, &t, &err));
  oq_tensor_release(&t);
  CHECK(oq_sample_load(m, dir, 1, in, &err) == OQ_ERR_SHAPE);
  CHECK(err.subject_kind == OQ_SUBJECT_VALUE && strcmp(err.subject, "input") == 0);
  CHECK(strcmp(err.path, npy) == 0 && strncmp(err.msg, npy, strlen(npy)) == 0);
  remove(npy);
  CHECK(oq_sample_load(m, dir, 1, in, &err) == OQ_ERR_INVALID_ARG); /* now missing */
  CHECK(err.subject_kind == OQ_SUBJECT_VALUE && strcmp(err.subject, "input") == 0 && strcmp(err.path, dir) == 0);
  /* a later failure clears the subject of an earlier one */
  oq_session *s = NULL;
  CHECK(oq_session_create(NULL, NULL, &s, &err) == OQ_ERR_INVALID_ARG);
  CHECK(err.subject_kind == OQ_SUBJECT_NONE && err.subject[0] == '\0' && err.path[0] == '\0');
  oq_model_free(m);
}

OQ_TEST(save_subject) {
  oq_error err = {0};
  oq_model *m = digits();
  REQUIRE(m);
  const char *out = ONNXQ_BINARY_DIR "/tests/no-such-folder/x.onnx";
  CHECK(oq_model_save(m, out, NULL, &err) == OQ_ERR_IO);
  CHECK(err.subject_kind == OQ_SUBJECT_FILE && strcmp(err.path, out) == 0);
  oq_model_free(m);
}

/* Fails every allocation oq_model_load makes on the digits model, one at a time: each must end in OQ_ERR_NOMEM
 * with nothing leaked (the ASan build checks leaks at exit) and no model returned. */
OQ_TEST(load_allocation_failures) {
  oq_error err = {0};
  oq_model *m = NULL;
  oq_alloc_test_begin(0);
  oq_status st = oq_model_load(DIGITS "/model.onnx", &m, &err);
  uint64_t count = oq_alloc_test_count();
  oq_alloc_test_end();
  REQUIRE(st == OQ_OK);
  oq_model_free(m);
  REQUIRE(count > 10);
  for (uint64_t n = 1; n <= count; n++) {
    m = NULL;
    oq_alloc_test_begin(n);
    st = oq_model_load(DIGITS "/model.onnx", &m, &err);
    int hit = oq_alloc_test_failed();
    oq_alloc_test_end();
    if (st != OQ_ERR_NOMEM || m != NULL || !hit)
      fprintf(stderr, "allocation %llu of %llu: status %d (%s)\n", (unsigned long long)n, (unsigned long long)count,
              (int)st, err.msg);
    CHECK(st == OQ_ERR_NOMEM && m == NULL && hit);
    oq_model_free(m);
  }
}

/* The same for a session run and a sample load on a loaded model. */
OQ_TEST(run_allocation_failures) {
  oq_error err = {0};
  oq_model *m = digits();
  REQUIRE(m);
  for (uint64_t n = 1;; n++) {
    oq_tensor in[1], out[1];
    memset(in, 0, sizeof in);
    memset(out, 0, sizeof out);
    oq_session *s = NULL;
    oq_alloc_test_begin(n);
    oq_status st = oq_sample_load(m, DIGITS "/calib/sample_000", 1, in, &err);
    if (st == OQ_OK) st = oq_session_create(m, NULL, &s, &err);
    if (st == OQ_OK) st = oq_session_run(s, 1, in, 1, out, &err);
    int hit = oq_alloc_test_failed();
    oq_alloc_test_end();
    oq_tensor_release(&in[0]);
    oq_tensor_release(&out[0]);
    oq_session_free(s);
    if (!hit) {
      CHECK(st == OQ_OK);
      break;
    }
    if (st != OQ_ERR_NOMEM)
      fprintf(stderr, "allocation %llu: status %d (%s)\n", (unsigned long long)n, (int)st, err.msg);
    CHECK(st == OQ_ERR_NOMEM);
  }
  oq_model_free(m);
}

/* oq_model_describe (text and JSON) and oq_model_save: every allocation failure ends in OQ_ERR_NOMEM, no text or
 * file left behind. */
OQ_TEST(describe_save_allocation_failures) {
  oq_error err = {0};
  oq_model *m = digits();
  REQUIRE(m);
  const char *out = ONNXQ_BINARY_DIR "/tests/api_alloc_save.onnx";
  mkdir(ONNXQ_BINARY_DIR "/tests", 0777);
  for (int what = 0; what < 3; what++) {
    for (uint64_t n = 1;; n++) {
      char *text = NULL;
      remove(out);
      oq_alloc_test_begin(n);
      oq_status st =
          what < 2 ? oq_model_describe(m, what ? OQ_DESCRIBE_JSON : 0, &text, &err) : oq_model_save(m, out, NULL, &err);
      int hit = oq_alloc_test_failed();
      oq_alloc_test_end();
      oq_free(text);
      if (!hit) {
        CHECK(st == OQ_OK);
        break;
      }
      struct stat sb;
      if (st != OQ_ERR_NOMEM) fprintf(stderr, "case %d allocation %llu: %s\n", what, (unsigned long long)n, err.msg);
      CHECK(st == OQ_ERR_NOMEM && text == NULL && (what < 2 || stat(out, &sb) != 0));
    }
  }
  remove(out);
  oq_model_free(m);
}

OQ_TEST_MAIN()
