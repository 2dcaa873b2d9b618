/* Protobuf nesting pre-check (src/model/wire_check.c): hostile deeply nested models are refused before
 * protobuf-c's recursive unpack sees them, real models pass, the limit is exact, malformed framing fails. */
#define _XOPEN_SOURCE 700 /* mkdtemp */

#include "model/model.h"
#include "oq_test.h"

#include <unistd.h>

/* ---- helpers ----------------------------------------------------------------------------------------------- */

/* Writes key + length varint in front of a payload that starts at b + *start, growing it backwards. */
static void wrap_back(uint8_t *b, size_t *start, uint32_t field, size_t payload_len) {
  uint8_t tmp[16];
  size_t n = 0;
  uint64_t vals[2] = {(uint64_t)field << 3 | 2, payload_len};
  for (int k = 0; k < 2; k++) {
    uint64_t v = vals[k];
    do {
      tmp[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
      v >>= 7;
    } while (v);
  }
  *start -= n;
  memcpy(b + *start, tmp, n);
}

/* A ModelProto whose graph input's type is sequence(sequence(...(TypeProto))) with `pairs` Sequence levels:
 * ModelProto > GraphProto(1) > ValueInfoProto(2) > TypeProto(3) > [Sequence > TypeProto] * pairs [> Tensor]. Its
 * nesting is 3 + 2 * pairs + leaf levels below the ModelProto. Built inside-out from the end of the buffer;
 * returns a malloc'd buffer. */
static uint8_t *make_nested_leaf(size_t pairs, int tensor_leaf, size_t *len) {
  size_t cap = (pairs * 2 + 5) * 12 + 16;
  uint8_t *b = malloc(cap);
  if (!b) return NULL;
  size_t start = cap;
  if (tensor_leaf) wrap_back(b, &start, 1, 0); /* TypeProto.tensor_type = empty Tensor */
  for (size_t i = 0; i < pairs; i++) {
    wrap_back(b, &start, 1, cap - start); /* Sequence.elem_type = TypeProto */
    wrap_back(b, &start, 4, cap - start); /* TypeProto.sequence_type = Sequence */
  }
  wrap_back(b, &start, 2, cap - start);  /* ValueInfoProto.type */
  wrap_back(b, &start, 11, cap - start); /* GraphProto.input */
  wrap_back(b, &start, 7, cap - start);  /* ModelProto.graph */
  *len = cap - start;
  memmove(b, b + start, *len);
  return b;
}

static uint8_t *make_nested(size_t pairs, size_t *len) { return make_nested_leaf(pairs, 0, len); }

static char g_dir[512];

static const char *tmp_file(const char *name) {
  static char p[1024];
  const char *t = getenv("TMPDIR");
  snprintf(g_dir, sizeof g_dir, "%s/oq_wire_test.XXXXXX", t && t[0] ? t : "/tmp");
  if (!mkdtemp(g_dir)) {
    perror("mkdtemp");
    exit(2);
  }
  snprintf(p, sizeof p, "%s/%s", g_dir, name);
  return p;
}

static void tmp_done(const char *p) {
  unlink(p);
  rmdir(g_dir);
}

static int write_bytes(const char *path, const void *data, size_t n) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  size_t w = fwrite(data, 1, n, f);
  fclose(f);
  return w == n ? 0 : -1;
}

/* ---- cases ----------------------------------------------------------------------------------------------- */

OQ_TEST(hostile_deep) {
  size_t len = 0;
  uint8_t *b = make_nested(100000, &len); /* 200003 levels */
  REQUIRE(b);
  oq_error err = {0};
  CHECK(oq_model_check_nesting(b, len, OQ_MODEL_MAX_NESTING, &err) == OQ_ERR_MODEL);
  CHECK(strstr(err.msg, "protobuf nesting deeper than 100 levels") != NULL);

  /* through the loader: refused with the file named, before protobuf-c could recurse */
  const char *p = tmp_file("deep.onnx");
  REQUIRE(write_bytes(p, b, len) == 0);
  oq_model *m = NULL;
  oq_error err2 = {0};
  CHECK(oq_model_load(p, &m, &err2) == OQ_ERR_MODEL && m == NULL);
  CHECK(strncmp(err2.msg, p, strlen(p)) == 0);
  CHECK(strstr(err2.msg, ": protobuf nesting deeper than 100 levels") != NULL);
  tmp_done(p);
  free(b);
}

OQ_TEST(limit_boundary) {
  /* 3 .. 122 levels; protobuf C++ (onnx, onnxruntime) accepts up to 100 exactly like the loader */
  for (size_t i = 0; i < 120; i++) {
    size_t pairs = i / 2, len = 0, depth = 3 + 2 * pairs + i % 2;
    uint8_t *b = make_nested_leaf(pairs, (int)(i % 2), &len);
    REQUIRE(b);
    oq_error err = {0};
    CHECK(oq_model_check_nesting(b, len, depth, &err) == OQ_OK);
    CHECK(oq_model_check_nesting(b, len, depth + 1, &err) == OQ_OK);
    CHECK(oq_model_check_nesting(b, len, depth - 1, &err) == OQ_ERR_MODEL);
    CHECK(oq_model_check_nesting(b, len, OQ_MODEL_MAX_NESTING, &err) ==
          (depth <= OQ_MODEL_MAX_NESTING ? OQ_OK : OQ_ERR_MODEL));
    /* protobuf-c agrees the bytes are a model as long as they are not refused */
    if (depth <= OQ_MODEL_MAX_NESTING) {
      Onnx__ModelProto *mp = onnx__model_proto__unpack(NULL, len, b);
      CHECK(mp != NULL && mp->graph && mp->graph->n_input == 1);
      if (mp) onnx__model_proto__free_unpacked(mp, NULL);
    }
    free(b);
  }
  oq_error err = {0};
  CHECK(oq_model_check_nesting((const uint8_t *)"", 0, 0, &err) == OQ_OK); /* empty ModelProto */
  CHECK(oq_model_check_nesting((const uint8_t *)"\x3a\x00", 2, 0, &err) == OQ_ERR_MODEL);
  CHECK(strstr(err.msg, "protobuf nesting deeper than 0 levels") != NULL);
  CHECK(oq_model_check_nesting((const uint8_t *)"\x3a\x00", 2, 1, &err) == OQ_OK);
  CHECK(oq_model_check_nesting((const uint8_t *)"", 0, SIZE_MAX, &err) == OQ_ERR_INVALID_ARG);
}

/* Y = Identity(X) with a float[1,n] input; then the node gets a graph attribute whose graph has a shaped input:
 * ModelProto > GraphProto(1) > NodeProto(2) > AttributeProto(3) > GraphProto(4) > ValueInfoProto(5) >
 * TypeProto(6) > Tensor(7) > TensorShapeProto(8) > Dimension(9). */
OQ_TEST(small_model) {
  Onnx__TensorShapeProto__Dimension d0 = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__INIT, d1 = d0;
  d0.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
  d0.dim_value = 1;
  d1.value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
  d1.dim_param = "n";
  Onnx__TensorShapeProto__Dimension *dims[] = {&d0, &d1};
  Onnx__TensorShapeProto shape = ONNX__TENSOR_SHAPE_PROTO__INIT;
  shape.n_dim = 2;
  shape.dim = dims;
  Onnx__TypeProto__Tensor tt = ONNX__TYPE_PROTO__TENSOR__INIT;
  tt.has_elem_type = 1;
  tt.elem_type = 1;
  tt.shape = &shape;
  Onnx__TypeProto type = ONNX__TYPE_PROTO__INIT;
  type.value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  type.tensor_type = &tt;
  Onnx__ValueInfoProto vx = ONNX__VALUE_INFO_PROTO__INIT, vy = vx;
  vx.name = "X";
  vx.type = &type;
  vy.name = "Y";
  vy.type = &type;
  Onnx__ValueInfoProto *ins[] = {&vx}, *outs[] = {&vy};

  Onnx__GraphProto sub = ONNX__GRAPH_PROTO__INIT;
  sub.name = "sub";
  sub.n_input = 1;
  sub.input = ins;
  Onnx__AttributeProto at = ONNX__ATTRIBUTE_PROTO__INIT;
  at.name = "then_branch";
  at.has_type = 1;
  at.type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
  at.g = &sub;
  Onnx__AttributeProto *attrs[] = {&at};
  char *nin[] = {"X"}, *nout[] = {"Y"};
  Onnx__NodeProto node = ONNX__NODE_PROTO__INIT;
  node.op_type = "Identity";
  node.name = "id";
  node.n_input = 1;
  node.input = nin;
  node.n_output = 1;
  node.output = nout;
  Onnx__NodeProto *nodes[] = {&node};
  Onnx__GraphProto g = ONNX__GRAPH_PROTO__INIT;
  g.name = "g";
  g.n_node = 1;
  g.node = nodes;
  g.n_input = 1;
  g.input = ins;
  g.n_output = 1;
  g.output = outs;
  Onnx__OperatorSetIdProto op = ONNX__OPERATOR_SET_ID_PROTO__INIT;
  op.domain = "";
  op.has_version = 1;
  op.version = 13;
  Onnx__OperatorSetIdProto *ops[] = {&op};
  Onnx__ModelProto model = ONNX__MODEL_PROTO__INIT;
  model.has_ir_version = 1;
  model.ir_version = 7;
  model.graph = &g;
  model.n_opset_import = 1;
  model.opset_import = ops;

  /* without the attribute: 6 levels (graph, value info, type, tensor, shape, dim); loads */
  size_t len = onnx__model_proto__get_packed_size(&model);
  uint8_t *b = malloc(len);
  REQUIRE(b);
  onnx__model_proto__pack(&model, b);
  oq_error err = {0};
  CHECK(oq_model_check_nesting(b, len, OQ_MODEL_MAX_NESTING, &err) == OQ_OK);
  CHECK(oq_model_check_nesting(b, len, 6, &err) == OQ_OK);
  CHECK(oq_model_check_nesting(b, len, 5, &err) == OQ_ERR_MODEL);
  const char *p = tmp_file("small.onnx");
  REQUIRE(write_bytes(p, b, len) == 0);
  oq_model *m = NULL;
  CHECK(oq_model_load(p, &m, &err) == OQ_OK && m != NULL);
  if (!m) fprintf(stderr, "load: %s\n", err.msg);
  oq_model_free(m);
  tmp_done(p);
  free(b);

  /* with the subgraph attribute: 9 levels */
  node.n_attribute = 1;
  node.attribute = attrs;
  len = onnx__model_proto__get_packed_size(&model);
  b = malloc(len);
  REQUIRE(b);
  onnx__model_proto__pack(&model, b);
  CHECK(oq_model_check_nesting(b, len, OQ_MODEL_MAX_NESTING, &err) == OQ_OK);
  CHECK(oq_model_check_nesting(b, len, 9, &err) == OQ_OK);
  CHECK(oq_model_check_nesting(b, len, 8, &err) == OQ_ERR_MODEL);
  CHECK(strstr(err.msg, "protobuf nesting deeper than 8 levels") != NULL);
  free(b);
}

/* Only schema message fields are followed: deep-looking bytes in a string field or an unknown field are skipped. */
OQ_TEST(skips_non_messages) {
  size_t inner_len = 0;
  uint8_t *inner = make_nested(200, &inner_len);
  REQUIRE(inner);
  uint8_t *b = malloc(inner_len + 32);
  REQUIRE(b);
  oq_error err = {0};
  /* as ModelProto.producer_name (field 2, string) */
  size_t start = 32;
  memcpy(b + start, inner, inner_len);
  wrap_back(b, &start, 2, inner_len);
  CHECK(oq_model_check_nesting(b + start, inner_len + 32 - start, 0, &err) == OQ_OK);
  /* as unknown field 999 */
  start = 32;
  wrap_back(b, &start, 999, inner_len);
  CHECK(oq_model_check_nesting(b + start, inner_len + 32 - start, 0, &err) == OQ_OK);
  /* as a string inside a message that is followed: GraphProto.name */
  start = 32;
  wrap_back(b, &start, 2, inner_len);
  wrap_back(b, &start, 7, inner_len + 32 - start);
  CHECK(oq_model_check_nesting(b + start, inner_len + 32 - start, 1, &err) == OQ_OK);
  CHECK(oq_model_check_nesting(b + start, inner_len + 32 - start, 0, &err) == OQ_ERR_MODEL);
  free(b);
  free(inner);
}

OQ_TEST(malformed) {
  oq_error err = {0};
  /* key varint cut off */
  CHECK(oq_model_check_nesting((const uint8_t *)"\x80", 1, 64, &err) == OQ_ERR_PARSE);
  /* varint value cut off (ir_version = 0x80...) */
  CHECK(oq_model_check_nesting((const uint8_t *)"\x08\x80\x80", 3, 64, &err) == OQ_ERR_PARSE);
  /* unterminated 11-byte varint */
  CHECK(oq_model_check_nesting((const uint8_t *)"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 12, 64, &err) ==
        OQ_ERR_PARSE);
  /* 10-byte varint is fine */
  CHECK(oq_model_check_nesting((const uint8_t *)"\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01", 11, 64, &err) == OQ_OK);
  /* length past the end of the buffer, and past the end of the enclosing message */
  CHECK(oq_model_check_nesting((const uint8_t *)"\x3a\x05\x0a\x00", 4, 64, &err) == OQ_ERR_PARSE);
  CHECK(oq_model_check_nesting((const uint8_t *)"\x3a\x02\x0a\x05\x00\x00\x00\x00\x00", 9, 64, &err) == OQ_ERR_PARSE);
  /* fixed fields cut off */
  CHECK(oq_model_check_nesting((const uint8_t *)"\x09\x00\x00", 3, 64, &err) == OQ_ERR_PARSE);
  CHECK(oq_model_check_nesting((const uint8_t *)"\x0d\x00\x00", 3, 64, &err) == OQ_ERR_PARSE);
  /* groups and field number 0 */
  CHECK(oq_model_check_nesting((const uint8_t *)"\x0b\x0c", 2, 64, &err) == OQ_ERR_PARSE);
  CHECK(oq_model_check_nesting((const uint8_t *)"\x02\x00", 2, 64, &err) == OQ_ERR_PARSE);
  CHECK(strstr(err.msg, "byte 0") != NULL);
  /* pseudo-random junk: any outcome but a crash, and the verdict is deterministic */
  uint8_t junk[4096];
  uint32_t s = 777;
  for (int round = 0; round < 200; round++) {
    for (size_t i = 0; i < sizeof junk; i++) {
      s = s * 1103515245u + 12345u;
      junk[i] = (uint8_t)(s >> 16);
    }
    oq_status a = oq_model_check_nesting(junk, sizeof junk, 64, &err);
    CHECK(a == oq_model_check_nesting(junk, sizeof junk, 64, &err));
  }
}

OQ_TEST_MAIN()
