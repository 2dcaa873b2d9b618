/* Model I/O: loading, tensor decoding, external data (and its escape checks), saving (atomic, external data,
 * refusal to overwrite the input), hostile files. Models are built with protobuf-c at test time in a fresh
 * temporary folder. */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw, symlink, link */

#include "model/model.h"
#include "oq_test.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- helpers ----------------------------------------------------------------------------------------------- */

static char g_dir[512]; /* temporary folder of the running case */

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(p);
}

static void tmp_begin(void) {
  const char *t = getenv("TMPDIR");
  snprintf(g_dir, sizeof g_dir, "%s/oq_model_test.XXXXXX", t && t[0] ? t : "/tmp");
  if (!mkdtemp(g_dir)) {
    perror("mkdtemp");
    exit(2);
  }
}

static void tmp_end(void) { nftw(g_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS); }

static const char *in_dir(const char *name) {
  static char buf[4][1024];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", g_dir, name);
  return buf[k];
}

static int write_bytes(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = fwrite(data, 1, n, f);
  fclose(f);
  return w == n ? 0 : -1;
}

static unsigned char *read_bytes(const char *path, size_t *n) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = malloc(len > 0 ? (size_t)len : 1);
  *n = fread(b, 1, (size_t)len, f);
  fclose(f);
  return b;
}

static bool file_exists(const char *path) {
  struct stat sb;
  return lstat(path, &sb) == 0;
}

/* Number of entries in g_dir whose name contains ".tmp.". */
static int count_temp_files(void) {
  DIR *d = opendir(g_dir);
  int n = 0;
  struct dirent *e;
  while (d && (e = readdir(d)))
    if (strstr(e->d_name, ".tmp.")) n++;
  if (d) closedir(d);
  return n;
}

/* The test model: Y = X + W with W float[2,3]; further initializers (not consumed) exercise every decoder. */
#define N_BIG 600 /* elements of "big" (2400 bytes: above the default 1024-byte threshold) */
static float k_w[6] = {1, 2, 3, 4, 5, 6};
static int64_t k_w_dims[2] = {2, 3};
static float k_big[N_BIG];

typedef struct fixture {
  Onnx__ModelProto model;
  Onnx__GraphProto graph;
  Onnx__OperatorSetIdProto opset;
  Onnx__OperatorSetIdProto *opsets[1];
  Onnx__NodeProto node;
  Onnx__NodeProto *nodes[1];
  char *node_in[2];
  char *node_out[1];
  Onnx__ValueInfoProto x, y;
  Onnx__ValueInfoProto *ins[1], *outs[1];
  Onnx__TypeProto type;
  Onnx__TypeProto__Tensor ttype;
  Onnx__TensorShapeProto shape;
  Onnx__TensorShapeProto__Dimension d0, d1;
  Onnx__TensorShapeProto__Dimension *dims[2];
  Onnx__TensorProto t[10];
  Onnx__TensorProto *inits[10];
  /* typed payloads */
  int64_t i64[3];
  int32_t i8[4], f16[2], bools[3], i16[2];
  double dbl[2];
  uint64_t u64[2], u32[2];
  int64_t dims1[10][1];
  Onnx__StringStringEntryProto ext[3];
  Onnx__StringStringEntryProto *ext_p[3];
} fixture;

static void tensor_init(Onnx__TensorProto *t, const char *name, int32_t dtype, size_t ndim, int64_t *dims) {
  onnx__tensor_proto__init(t);
  t->name = (char *)name;
  t->has_data_type = 1;
  t->data_type = dtype;
  t->n_dims = ndim;
  t->dims = dims;
}

static void fixture_init(fixture *f) {
  memset(f, 0, sizeof *f);
  for (int i = 0; i < N_BIG; i++) k_big[i] = (float)i * 0.5f;
  onnx__model_proto__init(&f->model);
  onnx__graph_proto__init(&f->graph);
  onnx__operator_set_id_proto__init(&f->opset);
  f->opset.domain = (char *)"";
  f->opset.has_version = 1;
  f->opset.version = 13;
  f->opsets[0] = &f->opset;
  f->model.has_ir_version = 1;
  f->model.ir_version = 8;
  f->model.producer_name = (char *)"test_model";
  f->model.n_opset_import = 1;
  f->model.opset_import = f->opsets;
  f->model.graph = &f->graph;
  f->graph.name = (char *)"g";

  onnx__tensor_shape_proto__dimension__init(&f->d0);
  onnx__tensor_shape_proto__dimension__init(&f->d1);
  f->d0.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
  f->d0.dim_value = 2;
  f->d1.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
  f->d1.dim_value = 3;
  f->dims[0] = &f->d0;
  f->dims[1] = &f->d1;
  onnx__tensor_shape_proto__init(&f->shape);
  f->shape.n_dim = 2;
  f->shape.dim = f->dims;
  onnx__type_proto__tensor__init(&f->ttype);
  f->ttype.has_elem_type = 1;
  f->ttype.elem_type = OQ_DTYPE_FLOAT;
  f->ttype.shape = &f->shape;
  onnx__type_proto__init(&f->type);
  f->type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  f->type.tensor_type = &f->ttype;
  onnx__value_info_proto__init(&f->x);
  f->x.name = (char *)"X";
  f->x.type = &f->type;
  onnx__value_info_proto__init(&f->y);
  f->y.name = (char *)"Y";
  f->y.type = &f->type;
  f->ins[0] = &f->x;
  f->outs[0] = &f->y;
  f->graph.n_input = 1;
  f->graph.input = f->ins;
  f->graph.n_output = 1;
  f->graph.output = f->outs;

  onnx__node_proto__init(&f->node);
  f->node_in[0] = (char *)"X";
  f->node_in[1] = (char *)"W";
  f->node_out[0] = (char *)"Y";
  f->node.n_input = 2;
  f->node.input = f->node_in;
  f->node.n_output = 1;
  f->node.output = f->node_out;
  f->node.op_type = (char *)"Add";
  f->node.name = (char *)"add0";
  f->nodes[0] = &f->node;
  f->graph.n_node = 1;
  f->graph.node = f->nodes;

  int k = 0;
  /* W: raw_data float */
  tensor_init(&f->t[k], "W", OQ_DTYPE_FLOAT, 2, k_w_dims);
  f->t[k].has_raw_data = 1;
  f->t[k].raw_data.data = (uint8_t *)k_w;
  f->t[k].raw_data.len = sizeof k_w;
  k++;
  /* big: raw float, 2400 bytes */
  f->dims1[k][0] = N_BIG;
  tensor_init(&f->t[k], "big", OQ_DTYPE_FLOAT, 1, f->dims1[k]);
  f->t[k].has_raw_data = 1;
  f->t[k].raw_data.data = (uint8_t *)k_big;
  f->t[k].raw_data.len = sizeof k_big;
  k++;
  /* i64: typed int64_data */
  f->i64[0] = -1, f->i64[1] = 1LL << 40, f->i64[2] = 7;
  f->dims1[k][0] = 3;
  tensor_init(&f->t[k], "i64", OQ_DTYPE_INT64, 1, f->dims1[k]);
  f->t[k].n_int64_data = 3;
  f->t[k].int64_data = f->i64;
  k++;
  /* i8 via int32_data */
  f->i8[0] = -128, f->i8[1] = -1, f->i8[2] = 0, f->i8[3] = 127;
  f->dims1[k][0] = 4;
  tensor_init(&f->t[k], "i8", OQ_DTYPE_INT8, 1, f->dims1[k]);
  f->t[k].n_int32_data = 4;
  f->t[k].int32_data = f->i8;
  k++;
  /* float16 bits via int32_data: 1.0 = 0x3c00, -2.0 = 0xc000 */
  f->f16[0] = 0x3c00, f->f16[1] = 0xc000;
  f->dims1[k][0] = 2;
  tensor_init(&f->t[k], "f16", OQ_DTYPE_FLOAT16, 1, f->dims1[k]);
  f->t[k].n_int32_data = 2;
  f->t[k].int32_data = f->f16;
  k++;
  /* bool */
  f->bools[0] = 1, f->bools[1] = 0, f->bools[2] = 1;
  f->dims1[k][0] = 3;
  tensor_init(&f->t[k], "b", OQ_DTYPE_BOOL, 1, f->dims1[k]);
  f->t[k].n_int32_data = 3;
  f->t[k].int32_data = f->bools;
  k++;
  /* double */
  f->dbl[0] = 0.25, f->dbl[1] = -1e300;
  f->dims1[k][0] = 2;
  tensor_init(&f->t[k], "dbl", OQ_DTYPE_DOUBLE, 1, f->dims1[k]);
  f->t[k].n_double_data = 2;
  f->t[k].double_data = f->dbl;
  k++;
  /* uint64 and uint32 via uint64_data */
  f->u64[0] = UINT64_MAX, f->u64[1] = 3;
  f->dims1[k][0] = 2;
  tensor_init(&f->t[k], "u64", OQ_DTYPE_UINT64, 1, f->dims1[k]);
  f->t[k].n_uint64_data = 2;
  f->t[k].uint64_data = f->u64;
  k++;
  f->u32[0] = 4000000000u, f->u32[1] = 5;
  f->dims1[k][0] = 2;
  tensor_init(&f->t[k], "u32", OQ_DTYPE_UINT32, 1, f->dims1[k]);
  f->t[k].n_uint64_data = 2;
  f->t[k].uint64_data = f->u32;
  k++;
  /* scalar int16 */
  f->i16[0] = -300;
  tensor_init(&f->t[k], "i16", OQ_DTYPE_INT16, 0, NULL);
  f->t[k].n_int32_data = 1;
  f->t[k].int32_data = f->i16;
  k++;
  for (int i = 0; i < k; i++) f->inits[i] = &f->t[i];
  f->graph.n_initializer = (size_t)k;
  f->graph.initializer = f->inits;
}

/* Makes tensor t reference external data. */
static void make_external(fixture *f, Onnx__TensorProto *t, const char *loc, const char *off, const char *len) {
  const char *keys[3] = {"location", "offset", "length"};
  const char *vals[3] = {loc, off, len};
  size_t n = 0;
  for (int i = 0; i < 3; i++) {
    if (!vals[i]) continue;
    onnx__string_string_entry_proto__init(&f->ext[n]);
    f->ext[n].key = (char *)keys[i];
    f->ext[n].value = (char *)vals[i];
    f->ext_p[n] = &f->ext[n];
    n++;
  }
  t->has_raw_data = 0;
  t->raw_data.data = NULL;
  t->raw_data.len = 0;
  t->has_data_location = 1;
  t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  t->n_external_data = n;
  t->external_data = f->ext_p;
}

static int save_proto(const Onnx__ModelProto *m, const char *path) {
  size_t n = onnx__model_proto__get_packed_size(m);
  uint8_t *buf = malloc(n);
  onnx__model_proto__pack(m, buf);
  int rc = write_bytes(path, buf, n);
  free(buf);
  return rc;
}

static const Onnx__TensorProto *find_init(const oq_model *m, const char *name) {
  for (size_t i = 0; i < m->proto->graph->n_initializer; i++)
    if (strcmp(m->proto->graph->initializer[i]->name, name) == 0) return m->proto->graph->initializer[i];
  return NULL;
}

/* Checks every fixture initializer decodes to the expected values. */
static void check_fixture_values(const oq_model *m) {
  oq_error err = {0};
  oq_tensor t;
  REQUIRE_OK(oq_model_tensor_decode(m, find_init(m, "W"), &t, &err));
  CHECK(t.dtype == OQ_DTYPE_FLOAT && t.ndim == 2 && t.dims[0] == 2 && t.dims[1] == 3 && t.nbytes == 24);
  CHECK(memcmp(t.data, k_w, sizeof k_w) == 0);
  oq_tensor_release(&t);
  REQUIRE_OK(oq_model_tensor_decode(m, find_init(m, "big"), &t, &err));
  CHECK(t.nbytes == sizeof k_big && memcmp(t.data, k_big, sizeof k_big) == 0);
  oq_tensor_release(&t);
  REQUIRE_OK(oq_model_tensor_decode(m, find_init(m, "i64"), &t, &err));
  CHECK(t.dtype == OQ_DTYPE_INT64 && ((int64_t *)t.data)[0] == -1 && ((int64_t *)t.data)[1] == 1LL << 40);
  oq_tensor_release(&t);
  REQUIRE_OK(oq_model_tensor_decode(m, find_init(m, "i8"), &t, &err));
  CHECK(t.nbytes == 4 && ((int8_t *)t.data)[0] == -128 && ((int8_t *)t.data)[3] == 127);
  oq_tensor_release(&t);
  REQUIRE_OK(oq_model_tensor_decode(m, find_init(m, "f16"), &t, &err));
  CHECK(t.nbytes == 4 && ((uint16_t *)t.data)[0] == 0x3c00 && ((uint16_t *)t.data)[1] == 0xc000);
  oq_tensor_release(&t);
  REQUIRE_OK(oq_model_tensor_decode(m, find_init(m, "b"), &t, &err));
  CHECK(t.nbytes == 3 && ((uint8_t *)t.data)[0] == 1 && ((uint8_t *)t.data)[1] == 0 && ((uint8_t *)t.data)[2] == 1);
  oq_tensor_release(&t);
  REQUIRE_OK(oq_model_tensor_decode(m, find_init(m, "dbl"), &t, &err));
  CHECK(((double *)t.data)[0] == 0.25 && ((double *)t.data)[1] == -1e300);
  oq_tensor_release(&t);
  REQUIRE_OK(oq_model_tensor_decode(m, find_init(m, "u64"), &t, &err));
  CHECK(((uint64_t *)t.data)[0] == UINT64_MAX && ((uint64_t *)t.data)[1] == 3);
  oq_tensor_release(&t);
  REQUIRE_OK(oq_model_tensor_decode(m, find_init(m, "u32"), &t, &err));
  CHECK(t.nbytes == 8 && ((uint32_t *)t.data)[0] == 4000000000u && ((uint32_t *)t.data)[1] == 5);
  oq_tensor_release(&t);
  REQUIRE_OK(oq_model_tensor_decode(m, find_init(m, "i16"), &t, &err));
  CHECK(t.ndim == 0 && t.nbytes == 2 && ((int16_t *)t.data)[0] == -300);
  oq_tensor_release(&t);
}

/* ---- cases ------------------------------------------------------------------------------------------------- */

OQ_TEST(load_and_decode) {
  tmp_begin();
  fixture f;
  fixture_init(&f);
  REQUIRE(save_proto(&f.model, in_dir("m.onnx")) == 0);
  oq_error err = {0};
  oq_model *m = NULL;
  REQUIRE_OK(oq_model_load(in_dir("m.onnx"), &m, &err));
  CHECK(m->n_blobs == 0);
  CHECK(oq_model_opset(m, "") == 13);
  CHECK(oq_model_opset(m, "ai.onnx") == 13);
  CHECK(oq_model_opset(m, NULL) == 13);
  CHECK(oq_model_opset(m, "com.microsoft") == -1);
  CHECK(strcmp(m->dir, g_dir) == 0);
  check_fixture_values(m);
  /* packing the untouched proto reproduces the file */
  uint8_t *buf = NULL;
  size_t n = 0, fn = 0;
  REQUIRE_OK(oq_model_pack(m->proto, &buf, &n, &err));
  unsigned char *orig = read_bytes(in_dir("m.onnx"), &fn);
  CHECK(n == fn && memcmp(buf, orig, n) == 0);
  free(buf);
  free(orig);
  oq_model_free(m);
  tmp_end();
}

OQ_TEST(decode_hostile) {
  oq_error err = {0};
  oq_tensor t;
  Onnx__TensorProto tp;
  int64_t huge[3] = {1LL << 40, 1LL << 40, 1LL << 40};
  tensor_init(&tp, "huge", OQ_DTYPE_FLOAT, 3, huge);
  tp.has_raw_data = 1;
  tp.raw_data.data = (uint8_t *)k_w;
  tp.raw_data.len = 8;
  CHECK(oq_model_tensor_decode(NULL, &tp, &t, &err) != OQ_OK);
  CHECK(strstr(err.msg, "huge") != NULL);

  int64_t d[1] = {6};
  tensor_init(&tp, "short", OQ_DTYPE_FLOAT, 1, d);
  tp.has_raw_data = 1;
  tp.raw_data.data = (uint8_t *)k_w;
  tp.raw_data.len = 20; /* needs 24 */
  CHECK(oq_model_tensor_decode(NULL, &tp, &t, &err) == OQ_ERR_MODEL);
  CHECK(strstr(err.msg, "short") != NULL);

  tensor_init(&tp, "typed", OQ_DTYPE_FLOAT, 1, d);
  tp.n_float_data = 5; /* needs 6 */
  tp.float_data = k_w;
  CHECK(oq_model_tensor_decode(NULL, &tp, &t, &err) == OQ_ERR_MODEL);
  CHECK(strstr(err.msg, "typed") != NULL);

  int64_t neg[1] = {-2};
  tensor_init(&tp, "neg", OQ_DTYPE_FLOAT, 1, neg);
  CHECK(oq_model_tensor_decode(NULL, &tp, &t, &err) != OQ_OK);

  tensor_init(&tp, "nodata", OQ_DTYPE_FLOAT, 1, d);
  CHECK(oq_model_tensor_decode(NULL, &tp, &t, &err) == OQ_ERR_MODEL);

  tensor_init(&tp, "str", OQ_DTYPE_STRING, 1, d);
  CHECK(oq_model_tensor_decode(NULL, &tp, &t, &err) == OQ_ERR_UNSUPPORTED);

  int64_t zero[2] = {0, 5};
  tensor_init(&tp, "empty", OQ_DTYPE_FLOAT, 2, zero);
  REQUIRE_OK(oq_model_tensor_decode(NULL, &tp, &t, &err));
  CHECK(t.nbytes == 0 && t.data == NULL);

  tensor_init(&tp, "ext", OQ_DTYPE_FLOAT, 1, d);
  tp.has_data_location = 1;
  tp.data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  CHECK(oq_model_tensor_decode(NULL, &tp, &t, &err) == OQ_ERR_MODEL);
}

OQ_TEST(hostile_files) {
  tmp_begin();
  oq_error err = {0};
  oq_model *m = NULL;
  const char *p = in_dir("empty.onnx");
  REQUIRE(write_bytes(p, "", 0) == 0);
  CHECK(oq_model_load(p, &m, &err) != OQ_OK && m == NULL);
  CHECK(strncmp(err.msg, p, strlen(p)) == 0 && strstr(err.msg, "empty file"));

  p = in_dir("random.onnx");
  unsigned char junk[4096];
  uint32_t s = 12345;
  for (size_t i = 0; i < sizeof junk; i++) {
    s = s * 1103515245u + 12345u;
    junk[i] = (unsigned char)(s >> 16);
  }
  REQUIRE(write_bytes(p, junk, sizeof junk) == 0);
  CHECK(oq_model_load(p, &m, &err) != OQ_OK && m == NULL);
  CHECK(strncmp(err.msg, p, strlen(p)) == 0);

  /* every truncation of a valid model fails cleanly or loads */
  fixture f;
  fixture_init(&f);
  size_t n = onnx__model_proto__get_packed_size(&f.model);
  uint8_t *buf = malloc(n);
  onnx__model_proto__pack(&f.model, buf);
  p = in_dir("trunc.onnx");
  for (size_t cut = 1; cut < n; cut += 7) {
    REQUIRE(write_bytes(p, buf, cut) == 0);
    oq_status st = oq_model_load(p, &m, &err);
    if (st == OQ_OK)
      oq_model_free(m);
    else
      CHECK(strncmp(err.msg, p, strlen(p)) == 0);
    m = NULL;
  }
  free(buf);

  p = in_dir("missing.onnx");
  CHECK(oq_model_load(p, &m, &err) == OQ_ERR_IO && strncmp(err.msg, p, strlen(p)) == 0);
  CHECK(oq_model_load(g_dir, &m, &err) == OQ_ERR_IO && strstr(err.msg, "not a regular file"));

  /* a valid protobuf that is no model (no graph) */
  p = in_dir("nograph.onnx");
  REQUIRE(write_bytes(p, "\x08\x07", 2) == 0); /* ir_version = 7 */
  CHECK(oq_model_load(p, &m, &err) != OQ_OK && strncmp(err.msg, p, strlen(p)) == 0);
  tmp_end();
}

OQ_TEST(external_load) {
  tmp_begin();
  fixture f;
  fixture_init(&f);
  /* W lives at offset 64 of w.bin, big at the start of big.bin with no length */
  unsigned char blob[64 + sizeof k_w + 16];
  memset(blob, 0xee, sizeof blob);
  memcpy(blob + 64, k_w, sizeof k_w);
  REQUIRE(mkdir(in_dir("sub"), 0755) == 0);
  REQUIRE(write_bytes(in_dir("sub/w.bin"), blob, sizeof blob) == 0);
  make_external(&f, &f.t[0], "sub/w.bin", "64", "24");
  REQUIRE(save_proto(&f.model, in_dir("m.onnx")) == 0);
  oq_error err = {0};
  oq_model *m = NULL;
  REQUIRE_OK(oq_model_load(in_dir("m.onnx"), &m, &err));
  CHECK(m->n_blobs == 1);
  CHECK(oq_model_external_blob(m, find_init(m, "W")) != NULL);
  CHECK(oq_model_external_blob(m, find_init(m, "big")) == NULL);
  check_fixture_values(m);
  oq_model_free(m);

  /* length missing: to the end of the file */
  REQUIRE(write_bytes(in_dir("w2.bin"), k_w, sizeof k_w) == 0);
  make_external(&f, &f.t[0], "./w2.bin", NULL, NULL);
  REQUIRE(save_proto(&f.model, in_dir("m2.onnx")) == 0);
  REQUIRE_OK(oq_model_load(in_dir("m2.onnx"), &m, &err));
  check_fixture_values(m);
  oq_model_free(m);
  tmp_end();
}

/* Loading must fail with a message containing `needle` that starts with the model path. */
static void expect_load_error(fixture *f, const char *needle) {
  oq_error err = {0};
  oq_model *m = NULL;
  const char *p = in_dir("bad.onnx");
  REQUIRE(save_proto(&f->model, p) == 0);
  oq_status st = oq_model_load(p, &m, &err);
  CHECK(st != OQ_OK && m == NULL);
  CHECK(strncmp(err.msg, p, strlen(p)) == 0);
  if (!strstr(err.msg, needle)) {
    fprintf(stderr, "message '%s' lacks '%s'\n", err.msg, needle);
    oq_test_failed = 1;
  }
  oq_model_free(m);
}

OQ_TEST(external_refusals) {
  tmp_begin();
  fixture f;
  fixture_init(&f);
  REQUIRE(write_bytes(in_dir("w.bin"), k_w, sizeof k_w) == 0);
  make_external(&f, &f.t[0], "/etc/passwd", NULL, NULL);
  expect_load_error(&f, "absolute");
  make_external(&f, &f.t[0], "../w.bin", NULL, NULL);
  expect_load_error(&f, "..");
  make_external(&f, &f.t[0], "a/../w.bin", NULL, NULL);
  expect_load_error(&f, "..");
  make_external(&f, &f.t[0], "missing.bin", NULL, NULL);
  expect_load_error(&f, "missing.bin");
  make_external(&f, &f.t[0], "w.bin", "25", NULL);
  expect_load_error(&f, "beyond the end");
  make_external(&f, &f.t[0], "w.bin", "8", "24");
  expect_load_error(&f, "beyond the end");
  make_external(&f, &f.t[0], "w.bin", "18446744073709551615", "24");
  expect_load_error(&f, "beyond the end");
  make_external(&f, &f.t[0], "w.bin", "-1", NULL);
  expect_load_error(&f, "offset");
  make_external(&f, &f.t[0], "w.bin", "0", "20");
  expect_load_error(&f, "need 24");
  make_external(&f, &f.t[0], "", NULL, NULL);
  expect_load_error(&f, "location");

  /* a symlink inside the folder that points outside it (model in sub/, data in the parent) */
  REQUIRE(mkdir(in_dir("sub"), 0755) == 0);
  REQUIRE(symlink(in_dir("w.bin"), in_dir("sub/link.bin")) == 0);
  make_external(&f, &f.t[0], "link.bin", NULL, NULL);
  const char *p = in_dir("sub/m.onnx");
  REQUIRE(save_proto(&f.model, p) == 0);
  oq_error err = {0};
  oq_model *m = NULL;
  CHECK(oq_model_load(p, &m, &err) != OQ_OK && m == NULL);
  CHECK(strncmp(err.msg, p, strlen(p)) == 0 && strstr(err.msg, "outside"));
  /* a symlink to a folder outside */
  REQUIRE(symlink(g_dir, in_dir("sub/up")) == 0);
  make_external(&f, &f.t[0], "up/w.bin", NULL, NULL);
  REQUIRE(save_proto(&f.model, p) == 0);
  CHECK(oq_model_load(p, &m, &err) != OQ_OK && strstr(err.msg, "outside"));
  /* a symlink that stays inside is fine */
  REQUIRE(write_bytes(in_dir("sub/real.bin"), k_w, sizeof k_w) == 0);
  REQUIRE(symlink("real.bin", in_dir("sub/inside.bin")) == 0);
  make_external(&f, &f.t[0], "inside.bin", NULL, NULL);
  REQUIRE(save_proto(&f.model, p) == 0);
  REQUIRE_OK(oq_model_load(p, &m, &err));
  check_fixture_values(m);
  oq_model_free(m);
  tmp_end();
}

OQ_TEST(save_external_data) {
  tmp_begin();
  fixture f;
  fixture_init(&f);
  REQUIRE(save_proto(&f.model, in_dir("m.onnx")) == 0);
  oq_error err = {0};
  oq_model *m = NULL, *m2 = NULL, *m3 = NULL;
  REQUIRE_OK(oq_model_load(in_dir("m.onnx"), &m, &err));
  oq_save_options o;
  oq_save_options_init(&o);
  o.external_data = "weights.bin";
  o.size_threshold = 0;
  REQUIRE_OK(oq_model_save(m, in_dir("out.onnx"), &o, &err));
  CHECK(file_exists(in_dir("weights.bin")));
  CHECK(count_temp_files() == 0);
  /* the input proto is untouched */
  CHECK(!find_init(m, "big")->has_data_location && find_init(m, "big")->has_raw_data);

  REQUIRE_OK(oq_model_load(in_dir("out.onnx"), &m2, &err));
  const Onnx__TensorProto *big = find_init(m2, "big");
  CHECK(big->has_data_location && big->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL);
  CHECK(!big->has_raw_data);
  CHECK(!find_init(m2, "W")->has_data_location); /* 24 bytes: below the default threshold */
  CHECK(m2->n_blobs == 1);
  check_fixture_values(m2);

  /* threshold 8: typed-data tensors of 8+ bytes move out too, at aligned offsets */
  o.size_threshold = 8;
  o.external_data = "w8.bin";
  REQUIRE_OK(oq_model_save(m2, in_dir("out8.onnx"), &o, &err));
  oq_model_free(m2);
  m2 = NULL;
  REQUIRE_OK(oq_model_load(in_dir("out8.onnx"), &m2, &err));
  CHECK(m2->n_blobs == 6); /* W, big, i64, dbl, u64, u32 */
  for (size_t i = 0; i < m2->proto->graph->n_initializer; i++) {
    const Onnx__TensorProto *t = m2->proto->graph->initializer[i];
    for (size_t k = 0; k < t->n_external_data; k++)
      if (strcmp(t->external_data[k]->key, "offset") == 0)
        CHECK(strtoull(t->external_data[k]->value, NULL, 10) % 64 == 0);
  }
  check_fixture_values(m2);

  /* saving an externally stored model without options inlines everything again */
  REQUIRE_OK(oq_model_save(m2, in_dir("inline.onnx"), NULL, &err));
  REQUIRE_OK(oq_model_load(in_dir("inline.onnx"), &m3, &err));
  CHECK(m3->n_blobs == 0);
  CHECK(find_init(m3, "big")->has_raw_data && !find_init(m3, "big")->has_data_location);
  CHECK(find_init(m3, "W")->has_raw_data && find_init(m3, "W")->n_external_data == 0);
  check_fixture_values(m3);
  /* the re-inlined model is byte-identical to a model saved from the original */
  REQUIRE_OK(oq_model_save(m, in_dir("plain.onnx"), NULL, &err));
  size_t n1 = 0, n2 = 0;
  unsigned char *b1 = read_bytes(in_dir("plain.onnx"), &n1), *b2 = read_bytes(in_dir("m.onnx"), &n2);
  CHECK(n1 == n2 && memcmp(b1, b2, n1) == 0);
  free(b1);
  free(b2);
  CHECK(count_temp_files() == 0);

  /* bad external data names */
  o.external_data = "a/b.bin";
  CHECK(oq_model_save(m, in_dir("x.onnx"), &o, &err) == OQ_ERR_INVALID_ARG);
  o.external_data = "..";
  CHECK(oq_model_save(m, in_dir("x.onnx"), &o, &err) == OQ_ERR_INVALID_ARG);
  o.external_data = "x.onnx";
  CHECK(oq_model_save(m, in_dir("x.onnx"), &o, &err) == OQ_ERR_INVALID_ARG);
  CHECK(!file_exists(in_dir("x.onnx")));
  /* overwriting the input's external data file is refused */
  o.external_data = "w8.bin";
  CHECK(oq_model_save(m2, in_dir("y.onnx"), &o, &err) == OQ_ERR_INVALID_ARG);
  CHECK(!file_exists(in_dir("y.onnx")));
  CHECK(count_temp_files() == 0);
  oq_model_free(m);
  oq_model_free(m2);
  oq_model_free(m3);
  tmp_end();
}

OQ_TEST(save_refuses_input) {
  tmp_begin();
  fixture f;
  fixture_init(&f);
  REQUIRE(mkdir(in_dir("d"), 0755) == 0);
  const char *p = in_dir("d/m.onnx");
  REQUIRE(save_proto(&f.model, p) == 0);
  size_t n0 = 0;
  unsigned char *orig = read_bytes(p, &n0);
  oq_error err = {0};
  oq_model *m = NULL;
  REQUIRE_OK(oq_model_load(p, &m, &err));
  CHECK(oq_model_save(m, p, NULL, &err) == OQ_ERR_INVALID_ARG);
  CHECK(strstr(err.msg, "refusing") != NULL);
  CHECK(oq_model_save(m, in_dir("d/./m.onnx"), NULL, &err) == OQ_ERR_INVALID_ARG);
  CHECK(oq_model_save(m, in_dir("d/../d/m.onnx"), NULL, &err) == OQ_ERR_INVALID_ARG);
  REQUIRE(symlink("d", in_dir("alias")) == 0);
  CHECK(oq_model_save(m, in_dir("alias/m.onnx"), NULL, &err) == OQ_ERR_INVALID_ARG);
  REQUIRE(symlink("d/m.onnx", in_dir("link.onnx")) == 0);
  CHECK(oq_model_save(m, in_dir("link.onnx"), NULL, &err) == OQ_ERR_INVALID_ARG);
  REQUIRE(link(p, in_dir("hard.onnx")) == 0);
  CHECK(oq_model_save(m, in_dir("hard.onnx"), NULL, &err) == OQ_ERR_INVALID_ARG);
  size_t n1 = 0;
  unsigned char *after = read_bytes(p, &n1);
  CHECK(n0 == n1 && memcmp(orig, after, n0) == 0);
  free(after);
  /* a destination folder that does not exist: error, nothing written */
  CHECK(oq_model_save(m, in_dir("nope/out.onnx"), NULL, &err) == OQ_ERR_IO);
  CHECK(strstr(err.msg, "nope/out.onnx") != NULL);
  /* an existing file is replaced atomically */
  REQUIRE(write_bytes(in_dir("old.onnx"), "old", 3) == 0);
  REQUIRE_OK(oq_model_save(m, in_dir("old.onnx"), NULL, &err));
  size_t n2 = 0;
  unsigned char *rep = read_bytes(in_dir("old.onnx"), &n2);
  CHECK(n2 == n0 && memcmp(rep, orig, n0) == 0);
  free(rep);
  free(orig);
  CHECK(count_temp_files() == 0);
  oq_model_free(m);
  tmp_end();
}

OQ_TEST(constant_external_inlined) {
  /* a Constant node whose value tensor is external: loaded, and inlined on save */
  tmp_begin();
  fixture f;
  fixture_init(&f);
  Onnx__NodeProto cnode;
  onnx__node_proto__init(&cnode);
  Onnx__AttributeProto attr, *attrs[1] = {&attr};
  onnx__attribute_proto__init(&attr);
  Onnx__TensorProto ct;
  tensor_init(&ct, "c", OQ_DTYPE_FLOAT, 2, k_w_dims);
  make_external(&f, &ct, "c.bin", NULL, NULL);
  attr.name = (char *)"value";
  attr.has_type = 1;
  attr.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
  attr.t = &ct;
  char *cout[1] = {(char *)"C"};
  cnode.op_type = (char *)"Constant";
  cnode.name = (char *)"const0";
  cnode.n_output = 1;
  cnode.output = cout;
  cnode.n_attribute = 1;
  cnode.attribute = attrs;
  Onnx__NodeProto *nodes[2] = {&cnode, &f.node};
  f.node_in[1] = (char *)"C";
  f.graph.node = nodes;
  f.graph.n_node = 2;
  REQUIRE(write_bytes(in_dir("c.bin"), k_w, sizeof k_w) == 0);
  REQUIRE(save_proto(&f.model, in_dir("m.onnx")) == 0);
  oq_error err = {0};
  oq_model *m = NULL, *m2 = NULL;
  REQUIRE_OK(oq_model_load(in_dir("m.onnx"), &m, &err));
  CHECK(m->n_blobs == 1);
  oq_tensor t;
  REQUIRE_OK(oq_model_tensor_decode(m, m->proto->graph->node[0]->attribute[0]->t, &t, &err));
  CHECK(t.nbytes == 24 && memcmp(t.data, k_w, 24) == 0);
  oq_tensor_release(&t);
  REQUIRE(mkdir(in_dir("o"), 0755) == 0);
  REQUIRE_OK(oq_model_save(m, in_dir("o/m.onnx"), NULL, &err));
  REQUIRE_OK(oq_model_load(in_dir("o/m.onnx"), &m2, &err));
  CHECK(m2->n_blobs == 0);
  const Onnx__TensorProto *ct2 = m2->proto->graph->node[0]->attribute[0]->t;
  CHECK(ct2->has_raw_data && !ct2->has_data_location);
  REQUIRE_OK(oq_model_tensor_decode(m2, ct2, &t, &err));
  CHECK(t.nbytes == 24 && memcmp(t.data, k_w, 24) == 0);
  oq_tensor_release(&t);
  /* the input still references its external file */
  CHECK(m->proto->graph->node[0]->attribute[0]->t->has_data_location);
  oq_model_free(m);
  oq_model_free(m2);
  /* without its data file the node is the subject of the error, and the model file its path */
  REQUIRE(unlink(in_dir("c.bin")) == 0);
  m = NULL;
  CHECK(oq_model_load(in_dir("m.onnx"), &m, &err) == OQ_ERR_IO && m == NULL);
  CHECK(err.subject_kind == OQ_SUBJECT_NODE && strcmp(err.subject, "const0") == 0);
  CHECK(strcmp(err.path, in_dir("m.onnx")) == 0 && strstr(err.msg, "node 'const0'") != NULL);
  tmp_end();
}

OQ_TEST_MAIN()
