/* The dtype traits table, row by row against an expectation list written out here independently (from onnx.proto's
 * TensorProto.DataType and numpy's descriptors), and the public helpers built on it. */
#include "core/dtype.h"
#include "oq_test.h"

#include <stdint.h>

typedef struct expect_row {
  int32_t code;     /* TensorProto.DataType */
  const char *name; /* oq_dtype_name */
  int32_t bits;     /* oq_dtype_bits */
  size_t size;      /* oq_dtype_size */
  int is_float;     /* floating point */
  int is_signed;    /* negative values */
  int is_integer;   /* integer (bool included) */
  int64_t min;      /* integer range */
  uint64_t max;     /* integer range */
  const char *npy;  /* descriptor or NULL */
  int decodable;    /* model tensors decodable */
} expect_row;

static const expect_row k_expect[] = {
    {0, "undefined", 0, 0, 0, 0, 0, 0, 0, NULL, 0},
    {1, "float32", 32, 4, 1, 1, 0, 0, 0, "<f4", 1},
    {2, "uint8", 8, 1, 0, 0, 1, 0, 255, "|u1", 1},
    {3, "int8", 8, 1, 0, 1, 1, -128, 127, "|i1", 1},
    {4, "uint16", 16, 2, 0, 0, 1, 0, 65535, "<u2", 1},
    {5, "int16", 16, 2, 0, 1, 1, -32768, 32767, "<i2", 1},
    {6, "int32", 32, 4, 0, 1, 1, -2147483648LL, 2147483647ULL, "<i4", 1},
    {7, "int64", 64, 8, 0, 1, 1, INT64_MIN, 9223372036854775807ULL, "<i8", 1},
    {8, "string", 0, 0, 0, 0, 0, 0, 0, NULL, 0},
    {9, "bool", 8, 1, 0, 0, 1, 0, 1, "|b1", 1},
    {10, "float16", 16, 2, 1, 1, 0, 0, 0, "<f2", 1},
    {11, "float64", 64, 8, 1, 1, 0, 0, 0, "<f8", 1},
    {12, "uint32", 32, 4, 0, 0, 1, 0, 4294967295ULL, "<u4", 1},
    {13, "uint64", 64, 8, 0, 0, 1, 0, 18446744073709551615ULL, "<u8", 1},
    {14, "complex64", 64, 8, 0, 1, 0, 0, 0, NULL, 0},
    {15, "complex128", 128, 16, 0, 1, 0, 0, 0, NULL, 0},
    {16, "bfloat16", 16, 2, 1, 1, 0, 0, 0, NULL, 1},
    {17, "float8e4m3fn", 8, 1, 1, 1, 0, 0, 0, NULL, 0},
    {18, "float8e4m3fnuz", 8, 1, 1, 1, 0, 0, 0, NULL, 0},
    {19, "float8e5m2", 8, 1, 1, 1, 0, 0, 0, NULL, 0},
    {20, "float8e5m2fnuz", 8, 1, 1, 1, 0, 0, 0, NULL, 0},
    {21, "uint4", 4, 0, 0, 0, 1, 0, 15, NULL, 0},
    {22, "int4", 4, 0, 0, 1, 1, -8, 7, NULL, 0},
    {23, "float4e2m1", 4, 0, 1, 1, 0, 0, 0, NULL, 0},
};

OQ_TEST(table_matches_expectations) {
  REQUIRE(sizeof k_expect / sizeof k_expect[0] == OQ_DTYPE_COUNT_);
  for (size_t i = 0; i < sizeof k_expect / sizeof k_expect[0]; i++) {
    const expect_row *e = &k_expect[i];
    const oq_dtype_traits *t = oq_dtype_traits_of(e->code);
    if (strcmp(t->name, e->name) != 0) fprintf(stderr, "row %d: name %s\n", (int)e->code, t->name);
    CHECK(e->code == (int32_t)i);
    CHECK(strcmp(t->name, e->name) == 0 && strcmp(oq_dtype_name(e->code), e->name) == 0);
    CHECK(t->bits == e->bits && oq_dtype_bits(e->code) == e->bits);
    CHECK(t->size == e->size && oq_dtype_size(e->code) == e->size);
    CHECK(t->is_float == (e->is_float != 0));
    CHECK(t->is_signed == (e->is_signed != 0));
    CHECK(t->is_integer == (e->is_integer != 0));
    CHECK(t->min == e->min && t->max == e->max);
    CHECK((t->npy == NULL) == (e->npy == NULL));
    if (t->npy && e->npy) CHECK(strcmp(t->npy, e->npy) == 0 && oq_dtype_from_npy(e->npy) == e->code);
    CHECK(t->decodable == (e->decodable != 0));
    CHECK(oq_dtype_known(e->code) == (e->code != 0));
  }
}

OQ_TEST(unknown_codes) {
  const int32_t bad[] = {-1, 24, 25, 1000, INT32_MIN, INT32_MAX};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    CHECK(!oq_dtype_known(bad[i]));
    CHECK(oq_dtype_traits_of(bad[i]) == oq_dtype_traits_of(OQ_DTYPE_UNDEFINED));
    CHECK(strcmp(oq_dtype_name(bad[i]), "undefined") == 0);
    CHECK(oq_dtype_size(bad[i]) == 0 && oq_dtype_bits(bad[i]) == 0);
  }
  CHECK(oq_dtype_from_npy("<c8") == OQ_DTYPE_UNDEFINED); /* complex: no kernels */
  CHECK(oq_dtype_from_npy(">f4") == OQ_DTYPE_UNDEFINED);
  CHECK(oq_dtype_from_npy("") == OQ_DTYPE_UNDEFINED);
}

OQ_TEST(nbytes) {
  size_t n = 0;
  CHECK(oq_dtype_nbytes(OQ_DTYPE_FLOAT, 6, &n) && n == 24);
  CHECK(oq_dtype_nbytes(OQ_DTYPE_INT4, 0, &n) && n == 0);
  CHECK(oq_dtype_nbytes(OQ_DTYPE_INT4, 1, &n) && n == 1);
  CHECK(oq_dtype_nbytes(OQ_DTYPE_UINT4, 7, &n) && n == 4);
  CHECK(oq_dtype_nbytes(OQ_DTYPE_FLOAT4E2M1, 8, &n) && n == 4);
  CHECK(oq_dtype_nbytes(OQ_DTYPE_INT4, SIZE_MAX, &n) && n == SIZE_MAX / 2 + 1);
  CHECK(!oq_dtype_nbytes(OQ_DTYPE_DOUBLE, SIZE_MAX / 4, &n));
  CHECK(!oq_dtype_nbytes(OQ_DTYPE_STRING, 3, &n));
  CHECK(!oq_dtype_nbytes(OQ_DTYPE_UNDEFINED, 3, &n));
}

OQ_TEST_MAIN()
