/* oq_sample_load against samples/digits/model.onnx (input 'input': float32 [batch,1,8,8]): both file kinds, and
 * every way a sample folder can disagree with the model. */
#define _POSIX_C_SOURCE 200809L

#include "oq_test.h"
#include "onnx.pb-c.h"
#include "onnxq.h"

#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#define DIGITS ONNXQ_SOURCE_DIR "/samples/digits"

static char g_dir[512];

/* A fresh, empty folder per case (cases may run in parallel). */
static const char *case_dir(const char *tcase) {
  snprintf(g_dir, sizeof g_dir, "%s/tests/dataset_tmp_%s", ONNXQ_BINARY_DIR, tcase);
  mkdir(ONNXQ_BINARY_DIR "/tests", 0777);
  mkdir(g_dir, 0777);
  DIR *d = opendir(g_dir);
  if (d) {
    struct dirent *e;
    char p[1024];
    while ((e = readdir(d)) != NULL) {
      if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
      snprintf(p, sizeof p, "%s/%s", g_dir, e->d_name);
      unlink(p);
    }
    closedir(d);
  }
  return g_dir;
}

static void put_npy(const char *dir, const char *name, int32_t dtype, int32_t ndim, const int64_t *dims) {
  oq_error err = {0};
  oq_tensor t;
  char p[1024];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  if (oq_tensor_alloc(&t, dtype, ndim, dims, &err) != OQ_OK) return;
  if (oq_npy_save(p, &t, &err) != OQ_OK) fprintf(stderr, "put_npy: %s\n", err.msg);
  oq_tensor_release(&t);
}

static void put_bytes(const char *dir, const char *name, const void *data, size_t n) {
  char p[1024];
  snprintf(p, sizeof p, "%s/%s", dir, name);
  FILE *f = fopen(p, "wb");
  if (!f) return;
  if (n) fwrite(data, 1, n, f);
  fclose(f);
}

static oq_model *digits(void) {
  oq_error err = {0};
  oq_model *m = NULL;
  if (oq_model_load(DIGITS "/model.onnx", &m, &err) != OQ_OK) fprintf(stderr, "load: %s\n", err.msg);
  return m;
}

/* Expects failure with all of the given fragments in the message. */
static void expect_fail(oq_model *m, const char *dir, const char *frag1, const char *frag2) {
  oq_error err = {0};
  oq_tensor in[1];
  memset(in, 0x55, sizeof in);
  CHECK(oq_sample_load(m, dir, 1, in, &err) != OQ_OK);
  CHECK(in[0].data == NULL);
  CHECK(strchr(err.msg, '\n') == NULL);
  if (frag1) CHECK(strstr(err.msg, frag1) != NULL);
  if (frag2) CHECK(strstr(err.msg, frag2) != NULL);
  fprintf(stderr, "  message: %s\n", err.msg);
}

OQ_TEST(loads_npy_sample) {
  oq_error err = {0};
  oq_model *m = digits();
  REQUIRE(m);
  REQUIRE(oq_model_input_count(m) == 1);
  oq_tensor in[1];
  REQUIRE_OK(oq_sample_load(m, DIGITS "/calib/sample_000", 1, in, &err));
  CHECK(in[0].dtype == OQ_DTYPE_FLOAT && in[0].ndim == 4 && in[0].dims[0] == 1 && in[0].dims[3] == 8);
  CHECK(in[0].nbytes == 256);
  oq_tensor_release(&in[0]);
  oq_model_free(m);
}

OQ_TEST(loads_pb_sample) {
  /* test_data_set_0 holds input_0.pb and output_0.pb (the latter is ignored) */
  oq_error err = {0};
  oq_model *m = digits();
  REQUIRE(m);
  oq_tensor in[1], ref;
  REQUIRE_OK(oq_sample_load(m, DIGITS "/test_data_set_0", 1, in, &err));
  REQUIRE_OK(oq_npy_load(DIGITS "/calib/sample_000/input.npy", &ref, &err));
  CHECK(in[0].dtype == OQ_DTYPE_FLOAT && in[0].ndim == 4 && in[0].nbytes == 256 && in[0].owns_data);
  oq_tensor_release(&ref);
  oq_tensor_release(&in[0]);
  oq_model_free(m);
}

OQ_TEST(symbolic_batch_accepts_any) {
  oq_error err = {0};
  oq_model *m = digits();
  REQUIRE(m);
  const char *d = case_dir("symbolic_batch_accepts_any");
  int64_t dims[4] = {3, 1, 8, 8};
  put_npy(d, "input.npy", OQ_DTYPE_FLOAT, 4, dims);
  put_bytes(d, ".hidden", "x", 1); /* hidden files are ignored */
  oq_tensor in[1];
  REQUIRE_OK(oq_sample_load(m, d, 1, in, &err));
  CHECK(in[0].dims[0] == 3);
  oq_tensor_release(&in[0]);
  oq_model_free(m);
}

OQ_TEST(pb_written_here) {
  /* a TensorProto with float_data instead of raw_data */
  oq_error err = {0};
  oq_model *m = digits();
  REQUIRE(m);
  const char *d = case_dir("pb_written_here");
  Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
  int64_t dims[4] = {2, 1, 8, 8};
  float vals[128];
  for (int i = 0; i < 128; i++) vals[i] = (float)i / 128.0f;
  tp.n_dims = 4;
  tp.dims = dims;
  tp.has_data_type = 1;
  tp.data_type = OQ_DTYPE_FLOAT;
  tp.n_float_data = 128;
  tp.float_data = vals;
  size_t n = onnx__tensor_proto__get_packed_size(&tp);
  uint8_t *buf = malloc(n);
  REQUIRE(buf);
  onnx__tensor_proto__pack(&tp, buf);
  put_bytes(d, "input_0.pb", buf, n);
  free(buf);
  oq_tensor in[1];
  REQUIRE_OK(oq_sample_load(m, d, 1, in, &err));
  CHECK(in[0].dims[0] == 2 && in[0].nbytes == 512 && ((float *)in[0].data)[127] == 127.0f / 128.0f);
  oq_tensor_release(&in[0]);
  oq_model_free(m);
}

OQ_TEST(missing_input) {
  oq_model *m = digits();
  REQUIRE(m);
  const char *d = case_dir("missing_input");
  expect_fail(m, d, "missing input 'input' (expected input.npy or input_0.pb)", d);
  oq_model_free(m);
}

OQ_TEST(extra_file) {
  oq_model *m = digits();
  REQUIRE(m);
  const char *d = case_dir("extra_file");
  int64_t dims[4] = {1, 1, 8, 8};
  put_npy(d, "input.npy", OQ_DTYPE_FLOAT, 4, dims);
  put_npy(d, "foo.npy", OQ_DTYPE_FLOAT, 4, dims);
  char want[700];
  snprintf(want, sizeof want, "%s/foo.npy: does not match any model input", d);
  expect_fail(m, d, want, NULL);
  oq_model_free(m);
}

OQ_TEST(given_twice) {
  oq_model *m = digits();
  REQUIRE(m);
  const char *d = case_dir("given_twice");
  int64_t dims[4] = {1, 1, 8, 8};
  put_npy(d, "input.npy", OQ_DTYPE_FLOAT, 4, dims);
  put_bytes(d, "input_0.pb", "", 0);
  expect_fail(m, d, "given twice", "input_0.pb");
  oq_model_free(m);
}

OQ_TEST(wrong_dtype) {
  oq_model *m = digits();
  REQUIRE(m);
  const char *d = case_dir("wrong_dtype");
  int64_t dims[4] = {1, 1, 8, 8};
  put_npy(d, "input.npy", OQ_DTYPE_DOUBLE, 4, dims);
  expect_fail(m, d, "input.npy: input 'input' expects float32 [batch,1,8,8], got float64 [1,1,8,8]", d);
  oq_model_free(m);
}

OQ_TEST(wrong_shape) {
  oq_model *m = digits();
  REQUIRE(m);
  const char *d = case_dir("wrong_shape");
  int64_t dims[4] = {1, 8, 8};
  put_npy(d, "input.npy", OQ_DTYPE_FLOAT, 3, dims);
  expect_fail(m, d, "input.npy: input 'input' expects float32 [batch,1,8,8], got float32 [1,8,8]", d);
  int64_t dims2[4] = {1, 1, 8, 9};
  put_npy(d, "input.npy", OQ_DTYPE_FLOAT, 4, dims2);
  expect_fail(m, d, "got float32 [1,1,8,9]", NULL);
  oq_model_free(m);
}

OQ_TEST(corrupt_files) {
  oq_model *m = digits();
  REQUIRE(m);
  const char *d = case_dir("corrupt_files");
  put_bytes(d, "input_0.pb", "\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11);
  expect_fail(m, d, "input_0.pb", NULL);
  case_dir("corrupt_files");
  put_bytes(d, "input.npy", "\x93NUMPY\x01\x00", 8);
  expect_fail(m, d, "input.npy", NULL);
  expect_fail(m, DIGITS "/calib/sample_000/input.npy", "sample_000/input.npy", NULL); /* not a folder */
  expect_fail(m, DIGITS "/no_such_folder", "no_such_folder", NULL);
  oq_model_free(m);
}

OQ_TEST(file_stem) {
  oq_error err = {0};
  struct {
    const char *in, *out;
  } cases[] = {{"input", "input"}, {"a/b:c d", "a_b_c_d"}, {"", "_"},
               {"..", "__"},       {"x.y-z_1", "x.y-z_1"}, {"\xc3\xa9", "__"}};
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char *s = NULL;
    REQUIRE_OK(oq_sample_file_stem(cases[i].in, &s, &err));
    CHECK(strcmp(s, cases[i].out) == 0);
    oq_free(s);
  }
}

OQ_TEST_MAIN()
