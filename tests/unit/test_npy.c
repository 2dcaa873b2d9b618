/* oq_npy_load / oq_npy_save: round trips, files written by numpy, and malformed headers that must fail cleanly. */
#define _POSIX_C_SOURCE 200809L

#include "oq_test.h"
#include "onnxq.h"

#include <dirent.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

/* Each case works in its own folder so ctest can run cases in parallel. */
static char g_dir[512];

static const char *tmp_dir(const char *tcase) {
  snprintf(g_dir, sizeof g_dir, "%s/tests/npy_tmp_%s", ONNXQ_BINARY_DIR, tcase);
  mkdir(ONNXQ_BINARY_DIR "/tests", 0777);
  mkdir(g_dir, 0777);
  return g_dir;
}

static const char *tmp_path(const char *tcase, const char *name) {
  static char buf[640];
  snprintf(buf, sizeof buf, "%s/%s", tmp_dir(tcase), name);
  return buf;
}

/* Writes magic + version + header (padded to 64 with '\n' at the end unless raw) + data. */
static void write_npy(const char *path, int major, const char *dict, const void *data, size_t n, int pad) {
  FILE *f = fopen(path, "wb");
  if (!f) return;
  size_t pre = major == 1 ? 10 : 12;
  size_t hl = strlen(dict);
  size_t total = pad ? (pre + hl + 1 + 63) / 64 * 64 : pre + hl;
  size_t hlen = total - pre;
  unsigned char p[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', (unsigned char)major, 0};
  p[8] = (unsigned char)(hlen & 0xff);
  p[9] = (unsigned char)(hlen >> 8);
  p[10] = (unsigned char)(hlen >> 16);
  p[11] = (unsigned char)(hlen >> 24);
  fwrite(p, 1, pre, f);
  fwrite(dict, 1, hl, f);
  for (size_t i = hl; pad && i + 1 < hlen; i++) fputc(' ', f);
  if (pad) fputc('\n', f);
  if (n) fwrite(data, 1, n, f);
  fclose(f);
}

static int count_entries(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL)
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
  closedir(d);
  return n;
}

/* Expects load to fail with the path in the message and no tensor left behind. */
static void expect_fail(const char *path, oq_status code) {
  oq_error err = {0};
  oq_tensor t;
  memset(&t, 0x55, sizeof t);
  oq_status st = oq_npy_load(path, &t, &err);
  CHECK(st != OQ_OK);
  if (code != OQ_OK) CHECK(st == code);
  CHECK(strstr(err.msg, path) != NULL);
  CHECK(strchr(err.msg, '\n') == NULL);
  CHECK(t.data == NULL && t.nbytes == 0);
  if ((code != OQ_OK && st != code) || !strstr(err.msg, path)) fprintf(stderr, "  got %d: %s\n", (int)st, err.msg);
}

OQ_TEST(roundtrip_float) {
  oq_error err = {0};
  int64_t dims[3] = {2, 3, 4};
  oq_tensor t, u;
  REQUIRE_OK(oq_tensor_alloc(&t, OQ_DTYPE_FLOAT, 3, dims, &err));
  float *f = t.data;
  for (int i = 0; i < 24; i++) f[i] = (float)i * 0.5f - 3.0f;
  const char *p = tmp_path("roundtrip_float", "a.npy");
  REQUIRE_OK(oq_npy_save(p, &t, &err));
  REQUIRE_OK(oq_npy_load(p, &u, &err));
  CHECK(u.dtype == OQ_DTYPE_FLOAT && u.ndim == 3 && u.dims[0] == 2 && u.dims[1] == 3 && u.dims[2] == 4);
  CHECK(u.nbytes == t.nbytes && memcmp(u.data, t.data, t.nbytes) == 0);
  CHECK(count_entries(tmp_dir("roundtrip_float")) == 1); /* no temp file left */
  /* data starts at a multiple of 64 and the header ends with a newline */
  FILE *fp = fopen(p, "rb");
  REQUIRE(fp);
  unsigned char h[10];
  CHECK(fread(h, 1, 10, fp) == 10);
  size_t hlen = (size_t)h[8] | (size_t)h[9] << 8;
  CHECK((10 + hlen) % 64 == 0);
  CHECK(h[6] == 1 && h[7] == 0);
  fseek(fp, (long)(10 + hlen - 1), SEEK_SET);
  CHECK(fgetc(fp) == '\n');
  fclose(fp);
  oq_tensor_release(&t);
  oq_tensor_release(&u);
}

OQ_TEST(roundtrip_dtypes) {
  static const int32_t dts[] = {OQ_DTYPE_DOUBLE,  OQ_DTYPE_INT64,  OQ_DTYPE_INT32, OQ_DTYPE_UINT8,
                                OQ_DTYPE_INT8,    OQ_DTYPE_BOOL,   OQ_DTYPE_INT16, OQ_DTYPE_UINT16,
                                OQ_DTYPE_FLOAT16, OQ_DTYPE_UINT32, OQ_DTYPE_UINT64};
  for (size_t k = 0; k < sizeof dts / sizeof dts[0]; k++) {
    oq_error err = {0};
    int64_t dims[1] = {5};
    oq_tensor t, u;
    REQUIRE_OK(oq_tensor_alloc(&t, dts[k], 1, dims, &err));
    unsigned char *b = t.data;
    for (size_t i = 0; i < t.nbytes; i++) b[i] = dts[k] == OQ_DTYPE_BOOL ? (unsigned char)(i & 1) : (unsigned char)i;
    const char *p = tmp_path("roundtrip_dtypes", "x.npy");
    REQUIRE_OK(oq_npy_save(p, &t, &err));
    REQUIRE_OK(oq_npy_load(p, &u, &err));
    CHECK(u.dtype == dts[k] && u.ndim == 1 && u.dims[0] == 5);
    CHECK(u.nbytes == t.nbytes && memcmp(u.data, t.data, t.nbytes) == 0);
    oq_tensor_release(&t);
    oq_tensor_release(&u);
  }
}

OQ_TEST(scalar_and_empty) {
  oq_error err = {0};
  oq_tensor t, u;
  REQUIRE_OK(oq_tensor_alloc(&t, OQ_DTYPE_FLOAT, 0, NULL, &err));
  *(float *)t.data = 42.0f;
  const char *p = tmp_path("scalar_and_empty", "s.npy");
  REQUIRE_OK(oq_npy_save(p, &t, &err));
  REQUIRE_OK(oq_npy_load(p, &u, &err));
  CHECK(u.ndim == 0 && u.nbytes == 4 && *(float *)u.data == 42.0f);
  oq_tensor_release(&t);
  oq_tensor_release(&u);
  int64_t dims[2] = {0, 3};
  REQUIRE_OK(oq_tensor_alloc(&t, OQ_DTYPE_INT64, 2, dims, &err));
  p = tmp_path("scalar_and_empty", "e.npy");
  REQUIRE_OK(oq_npy_save(p, &t, &err));
  REQUIRE_OK(oq_npy_load(p, &u, &err));
  CHECK(u.ndim == 2 && u.dims[0] == 0 && u.dims[1] == 3 && u.nbytes == 0);
  oq_tensor_release(&t);
  oq_tensor_release(&u);
}

OQ_TEST(reads_numpy_file) {
  oq_error err = {0};
  oq_tensor t;
  REQUIRE_OK(oq_npy_load(ONNXQ_SOURCE_DIR "/samples/digits/calib/sample_000/input.npy", &t, &err));
  CHECK(t.dtype == OQ_DTYPE_FLOAT && t.ndim == 4);
  CHECK(t.dims[0] == 1 && t.dims[1] == 1 && t.dims[2] == 8 && t.dims[3] == 8);
  const float *f = t.data;
  for (int i = 0; i < 64; i++) CHECK(f[i] >= 0.0f && f[i] <= 1.0f);
  oq_tensor_release(&t);
  REQUIRE_OK(oq_npy_load(ONNXQ_SOURCE_DIR "/samples/digits/test/labels.npy", &t, &err));
  CHECK(t.dtype == OQ_DTYPE_INT64 && t.ndim == 1 && t.dims[0] == 500);
  oq_tensor_release(&t);
}

/* float16, uint32 and uint64 files as numpy writes them (headers '<f2', '<u4', '<u8') */
OQ_TEST(reads_numpy_f2_u4_u8) {
  oq_error err = {0};
  oq_tensor t;
  const uint16_t half[3] = {0x3c00, 0xc000, 0x3800}; /* 1, -2, 0.5 */
  const char *p = tmp_path("reads_numpy_f2_u4_u8", "h.npy");
  write_npy(p, 1, "{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", half, sizeof half, 0);
  REQUIRE_OK(oq_npy_load(p, &t, &err));
  CHECK(t.dtype == OQ_DTYPE_FLOAT16 && t.dims[0] == 3 && memcmp(t.data, half, sizeof half) == 0);
  oq_tensor_release(&t);
  const uint64_t big[2] = {18446744073709551615ULL, 1};
  write_npy(p, 1, "{'descr': '<u8', 'fortran_order': False, 'shape': (2,), }", big, sizeof big, 0);
  REQUIRE_OK(oq_npy_load(p, &t, &err));
  CHECK(t.dtype == OQ_DTYPE_UINT64 && ((const uint64_t *)t.data)[0] == big[0]);
  oq_tensor_release(&t);
  const uint32_t u[1] = {4000000000u};
  write_npy(p, 1, "{'descr': '<u4', 'fortran_order': False, 'shape': (), }", u, sizeof u, 0);
  REQUIRE_OK(oq_npy_load(p, &t, &err));
  CHECK(t.dtype == OQ_DTYPE_UINT32 && t.ndim == 0 && ((const uint32_t *)t.data)[0] == u[0]);
  oq_tensor_release(&t);
}

OQ_TEST(versions_2_and_3) {
  oq_error err = {0};
  float v[2] = {1.5f, -2.0f};
  for (int major = 2; major <= 3; major++) {
    const char *p = tmp_path("versions_2_and_3", "v.npy");
    write_npy(p, major, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", v, sizeof v, 1);
    oq_tensor t;
    REQUIRE_OK(oq_npy_load(p, &t, &err));
    CHECK(t.ndim == 1 && t.dims[0] == 2 && ((float *)t.data)[1] == -2.0f);
    oq_tensor_release(&t);
  }
  /* key order, double quotes and no trailing comma are all valid Python */
  const char *p = tmp_path("versions_2_and_3", "w.npy");
  write_npy(p, 1, "{\"shape\": (1, 2), \"fortran_order\": False, \"descr\": \"<f4\"}", v, sizeof v, 1);
  oq_tensor t;
  REQUIRE_OK(oq_npy_load(p, &t, &err));
  CHECK(t.ndim == 2 && t.dims[0] == 1 && t.dims[1] == 2);
  oq_tensor_release(&t);
}

OQ_TEST(rejects_bad_headers) {
  float v[4] = {0};
  struct {
    const char *name, *dict;
    oq_status code;
  } cases[] = {
      {"fortran", "{'descr': '<f4', 'fortran_order': True, 'shape': (4,), }", OQ_ERR_UNSUPPORTED},
      {"bigendian", "{'descr': '>f4', 'fortran_order': False, 'shape': (4,), }", OQ_ERR_UNSUPPORTED},
      {"dtype", "{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }", OQ_ERR_UNSUPPORTED},
      {"structured", "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (4,), }", OQ_ERR_UNSUPPORTED},
      {"nokey", "{'descr': '<f4', 'shape': (4,), }", OQ_ERR_PARSE},
      {"dupkey", "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", OQ_ERR_PARSE},
      {"extrakey", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1}", OQ_ERR_PARSE},
      {"negdim", "{'descr': '<f4', 'fortran_order': False, 'shape': (-4,), }", OQ_ERR_PARSE},
      {"bigdim", "{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", OQ_ERR_PARSE},
      {"overflow", "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296, 4), }", OQ_ERR_PARSE},
      {"rank9", "{'descr': '<f4', 'fortran_order': False, 'shape': (1,1,1,1,1,1,1,1,4), }", OQ_ERR_UNSUPPORTED},
      {"sizemismatch", "{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }", OQ_ERR_PARSE},
      {"toosmall", "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), }", OQ_ERR_PARSE},
      {"notadict", "['descr', '<f4']", OQ_ERR_PARSE},
      {"unterminated", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,", OQ_ERR_PARSE},
      {"trailing", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), } x", OQ_ERR_PARSE},
      {"escape", "{'descr': '<f\\4', 'fortran_order': False, 'shape': (4,), }", OQ_ERR_UNSUPPORTED},
      {"nonascii", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), '\xc3\xa9': 1}", OQ_ERR_PARSE},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    char name[64];
    snprintf(name, sizeof name, "%s.npy", cases[i].name);
    const char *p = tmp_path("rejects_bad_headers", name);
    write_npy(p, 1, cases[i].dict, v, sizeof v, 1);
    expect_fail(p, cases[i].code);
  }
}

OQ_TEST(rejects_bad_files) {
  const char *p = tmp_path("rejects_bad_files", "empty.npy");
  FILE *f = fopen(p, "wb");
  REQUIRE(f);
  fclose(f);
  expect_fail(p, OQ_ERR_PARSE);

  p = tmp_path("rejects_bad_files", "magic.npy");
  f = fopen(p, "wb");
  REQUIRE(f);
  fputs("PK\x03\x04 this is a zip, not npy..........", f);
  fclose(f);
  expect_fail(p, OQ_ERR_PARSE);

  /* header length pointing past the end of the file */
  p = tmp_path("rejects_bad_files", "hlen.npy");
  f = fopen(p, "wb");
  REQUIRE(f);
  fwrite("\x93NUMPY\x01\x00\xff\xff{'descr'", 1, 18, f);
  fclose(f);
  expect_fail(p, OQ_ERR_PARSE);

  /* v2 header length above the limit */
  p = tmp_path("rejects_bad_files", "huge.npy");
  f = fopen(p, "wb");
  REQUIRE(f);
  fwrite("\x93NUMPY\x02\x00\xff\xff\xff\x7f{}", 1, 14, f);
  fclose(f);
  expect_fail(p, OQ_ERR_PARSE);

  p = tmp_path("rejects_bad_files", "version.npy");
  f = fopen(p, "wb");
  REQUIRE(f);
  fwrite("\x93NUMPY\x09\x00\x10\x00{}              ", 1, 26, f);
  fclose(f);
  expect_fail(p, OQ_ERR_UNSUPPORTED);

  /* bool bytes must be 0 or 1 */
  unsigned char b[3] = {0, 1, 7};
  p = tmp_path("rejects_bad_files", "bool.npy");
  write_npy(p, 1, "{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", b, 3, 1);
  expect_fail(p, OQ_ERR_PARSE);

  expect_fail(tmp_path("rejects_bad_files", "does_not_exist.npy"), OQ_ERR_IO);
  expect_fail(tmp_dir("rejects_bad_files"), OQ_ERR_IO); /* a folder */
}

OQ_TEST(truncations_never_crash) {
  /* every prefix of a valid file must fail cleanly (and the full file load) */
  oq_error err = {0};
  int64_t dims[2] = {3, 5};
  oq_tensor t;
  REQUIRE_OK(oq_tensor_alloc(&t, OQ_DTYPE_INT32, 2, dims, &err));
  char full[640];
  snprintf(full, sizeof full, "%s", tmp_path("truncations_never_crash", "full.npy"));
  REQUIRE_OK(oq_npy_save(full, &t, &err));
  oq_tensor_release(&t);
  FILE *f = fopen(full, "rb");
  REQUIRE(f);
  unsigned char buf[256];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  REQUIRE(n > 60 && (n - 60) % 64 == 0);
  char part[640];
  snprintf(part, sizeof part, "%s", tmp_path("truncations_never_crash", "part.npy"));
  for (size_t len = 0; len < n; len++) {
    f = fopen(part, "wb");
    REQUIRE(f);
    fwrite(buf, 1, len, f);
    fclose(f);
    expect_fail(part, OQ_OK);
  }
  REQUIRE_OK(oq_npy_load(full, &t, &err));
  oq_tensor_release(&t);
}

OQ_TEST(save_failures) {
  oq_error err = {0};
  int64_t dims[1] = {2};
  oq_tensor t;
  REQUIRE_OK(oq_tensor_alloc(&t, OQ_DTYPE_BFLOAT16, 1, dims, &err)); /* numpy has no bfloat16 */
  const char *p = tmp_path("save_failures", "h.npy");
  CHECK(oq_npy_save(p, &t, &err) == OQ_ERR_UNSUPPORTED);
  CHECK(strstr(err.msg, p) != NULL);
  oq_tensor_release(&t);
  REQUIRE_OK(oq_tensor_alloc(&t, OQ_DTYPE_FLOAT, 1, dims, &err));
  t.nbytes = 4; /* inconsistent with the shape */
  CHECK(oq_npy_save(p, &t, &err) == OQ_ERR_INVALID_ARG);
  t.nbytes = 8;
  char missing[700];
  snprintf(missing, sizeof missing, "%s/no/such/dir/x.npy", tmp_dir("save_failures"));
  CHECK(oq_npy_save(missing, &t, &err) == OQ_ERR_IO);
  CHECK(strstr(err.msg, missing) != NULL);
  oq_tensor_release(&t);
  CHECK(count_entries(tmp_dir("save_failures")) == 0);
}

OQ_TEST_MAIN()
