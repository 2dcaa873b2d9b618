/* Proto editing (model/edit): unique-name generation, the constructors for initializers and nodes, growable
 * lists, and adopted objects. */
#include "oq_test.h"

#include "model/edit.h"

OQ_TEST(unique_names) {
  oq_error err = {0};
  oq_edit *ed = NULL;
  REQUIRE_OK(oq_edit_create(4, &ed, &err));
  REQUIRE_OK(oq_edit_reserve(ed, "x", &err));
  REQUIRE_OK(oq_edit_reserve(ed, "x_scale_taken", &err));
  const char *a = NULL, *b = NULL;
  /* base + suffix, claimed once */
  REQUIRE_OK(oq_edit_name(ed, "x", "_scale", 1, &a, &err));
  CHECK(!strcmp(a, "x_scale"));
  CHECK(oq_edit_name(ed, "x", "_scale", 1, &b, &err) == OQ_ERR_UNSUPPORTED);
  CHECK(b == NULL && strstr(err.msg, "generated name 'x_scale' is already used in the model") != NULL);
  /* a model's own name cannot be generated */
  CHECK(oq_edit_name(ed, "x", "", 1, &b, &err) == OQ_ERR_UNSUPPORTED);
  CHECK(oq_edit_name(ed, "x_scale", "_taken", 1, &b, &err) == OQ_ERR_UNSUPPORTED);
  /* without claim: the same spelling again (a reference), no check */
  REQUIRE_OK(oq_edit_name(ed, "x", "_scale", 0, &b, &err));
  CHECK(!strcmp(b, "x_scale") && b != a);
  /* an unclaimed name stays free */
  REQUIRE_OK(oq_edit_name(ed, "y", "_DequantizeLinear", 0, &b, &err));
  REQUIRE_OK(oq_edit_name(ed, "y", "_DequantizeLinear", 1, &b, &err));
  /* many names: the set grows past its hint */
  char base[32];
  for (int i = 0; i < 1000; i++) {
    snprintf(base, sizeof base, "v%d", i);
    REQUIRE_OK(oq_edit_name(ed, base, "_q", 1, &b, &err));
  }
  CHECK(oq_edit_name(ed, "v999", "_q", 1, &b, &err) == OQ_ERR_UNSUPPORTED);
  CHECK(oq_edit_name(ed, "v99", "9_q", 1, &b, &err) == OQ_ERR_UNSUPPORTED); /* same string, other split */
  oq_edit_free(ed);
}

OQ_TEST(tensors_and_nodes) {
  oq_error err = {0};
  oq_edit *ed = NULL;
  REQUIRE_OK(oq_edit_create(4, &ed, &err));
  const int32_t data[2] = {1, -2};
  const int64_t dims[1] = {2};
  Onnx__TensorProto *t = oq_edit_tensor(ed, "t", OQ_DTYPE_INT32, 1, dims, data, 2, 4, &err);
  REQUIRE(t);
  CHECK(!strcmp(t->name, "t") && t->has_data_type && t->data_type == OQ_DTYPE_INT32);
  CHECK(t->n_dims == 1 && t->dims[0] == 2 && t->dims != dims);
  static const uint8_t le[8] = {1, 0, 0, 0, 0xFE, 0xFF, 0xFF, 0xFF};
  CHECK(t->has_raw_data && t->raw_data.len == 8 && memcmp(t->raw_data.data, le, 8) == 0);
  CHECK(t->raw_data.data != (const uint8_t *)data);
  /* scalar (no dims), raw bytes borrowed */
  static const uint8_t raw[1] = {7};
  Onnx__TensorProto *s = oq_edit_tensor_raw(ed, "s", OQ_DTYPE_UINT8, 0, NULL, raw, 1, &err);
  REQUIRE(s);
  CHECK(s->n_dims == 0 && s->raw_data.data == raw && s->raw_data.len == 1);
  /* it packs like any tensor */
  size_t n = onnx__tensor_proto__get_packed_size(s);
  uint8_t buf[64];
  REQUIRE(n <= sizeof buf);
  CHECK(onnx__tensor_proto__pack(s, buf) == n);
  Onnx__TensorProto *back = onnx__tensor_proto__unpack(NULL, n, buf);
  REQUIRE(back);
  CHECK(!strcmp(back->name, "s") && back->data_type == OQ_DTYPE_UINT8 && back->raw_data.data[0] == 7);
  onnx__tensor_proto__free_unpacked(back, NULL);

  const char *ins[3] = {"a", "a_scale", "a_zero_point"}, *outs[1] = {"a_q"};
  Onnx__NodeProto *nd = oq_edit_node(ed, "QuantizeLinear", "a_QuantizeLinear", ins, 3, outs, 1, &err);
  REQUIRE(nd);
  CHECK(!strcmp(nd->op_type, "QuantizeLinear") && !strcmp(nd->name, "a_QuantizeLinear"));
  CHECK(nd->n_input == 3 && !strcmp(nd->input[2], "a_zero_point") && nd->n_output == 1);
  CHECK(nd->domain == NULL && nd->n_attribute == 0);
  REQUIRE_OK(oq_edit_attr_int(ed, nd, "axis", 1, &err));
  REQUIRE_OK(oq_edit_attr_int(ed, nd, "block_size", 32, &err));
  REQUIRE(nd->n_attribute == 2);
  CHECK(!strcmp(nd->attribute[0]->name, "axis") && nd->attribute[0]->i == 1);
  CHECK(nd->attribute[1]->type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT && nd->attribute[1]->i == 32);
  oq_edit_free(ed);
}

static int released[3], n_released;

static void release_marker(void *p) { released[n_released++] = *(int *)p; }

OQ_TEST(lists_and_adoption) {
  oq_error err = {0};
  oq_edit *ed = NULL;
  REQUIRE_OK(oq_edit_create(0, &ed, &err));
  oq_edit_list l = {0};
  static int vals[100];
  for (int i = 0; i < 100; i++) {
    vals[i] = i;
    REQUIRE_OK(oq_edit_list_push(ed, &l, &vals[i], &err));
  }
  CHECK(l.n == 100 && l.cap >= 100);
  int ok = 1;
  for (int i = 0; i < 100; i++) ok &= *(int *)l.items[i] == i;
  CHECK(ok);
  static int a = 1, b = 2;
  n_released = 0;
  REQUIRE_OK(oq_edit_adopt(ed, &a, release_marker, &err));
  REQUIRE_OK(oq_edit_adopt(ed, &b, release_marker, &err));
  void *plain = malloc(16);
  REQUIRE_OK(oq_edit_adopt(ed, plain, NULL, &err)); /* NULL release: free */
  int *dup = oq_edit_dup(ed, &b, sizeof b, &err);
  CHECK(dup && *dup == 2 && dup != &b);
  CHECK(n_released == 0);
  oq_edit_free(ed);
  CHECK(n_released == 2 && released[0] == 2 && released[1] == 1); /* reverse order of adoption */
  oq_edit_free(NULL);
}

OQ_TEST_MAIN()
