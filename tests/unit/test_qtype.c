/* The quantization-type table: invariants of every row, lookups, and the raw_data layout of quantized elements. */
#include "oq_test.h"

#include "quant/qtype.h"

OQ_TEST(rows_are_consistent) {
  for (int i = 0; i < OQ_QTYPE_COUNT; i++) {
    const oq_qtype *qt = oq_qtype_get((oq_qtype_id)i);
    REQUIRE(qt);
    CHECK((int)qt->id == i);
    CHECK(oq_qtype_by_dtype(qt->dtype) == qt);
    CHECK(!strcmp(qt->name, oq_dtype_name(qt->dtype)));
    CHECK(qt->bits == 4 || qt->bits == 8 || qt->bits == 16);
    CHECK(qt->bits == 4 || (size_t)qt->bits == 8 * oq_dtype_size(qt->dtype));
    /* the full range of a bits-bit integer */
    int32_t span = (int32_t)1 << qt->bits;
    CHECK(qt->qmin == (qt->is_signed ? -span / 2 : 0));
    CHECK(qt->qmax == (qt->is_signed ? span / 2 - 1 : span - 1));
    CHECK(qt->qmin <= qt->sym_min && qt->sym_min <= 0 && 0 <= qt->sym_max && qt->sym_max <= qt->qmax);
    /* onnxruntime's symmetric ranges exist for 8 and 16 bits (int8 [-127, 127], uint8 [0, 254]) */
    if (qt->bits == 4) {
      CHECK(qt->sym_min == qt->qmin && qt->sym_max == qt->qmax);
    } else if (qt->is_signed) {
      CHECK(qt->sym_min == -qt->qmax && qt->sym_max == qt->qmax);
    } else {
      CHECK(qt->sym_min == 0 && qt->sym_max == qt->qmax - 1);
    }
    /* QuantizeLinear-10 has the 8-bit types, -13 the axis attribute, -21 the others and block_size */
    CHECK(qt->min_opset == (qt->bits == 8 ? 10 : 21));
    CHECK(qt->axis_min_opset == (qt->bits == 8 ? 13 : 21));
    CHECK(qt->block_min_opset == 21);
    CHECK(qt->min_opset <= qt->axis_min_opset && qt->axis_min_opset <= qt->block_min_opset);
    int32_t lo, hi;
    oq_qtype_range(qt, 1, &lo, &hi);
    CHECK(lo == qt->sym_min && hi == qt->sym_max);
    oq_qtype_range(qt, 0, &lo, &hi);
    CHECK(lo == qt->qmin && hi == qt->qmax);
  }
  CHECK(oq_qtype_get(OQ_QTYPE_INT8)->dtype == OQ_DTYPE_INT8 && oq_qtype_get(OQ_QTYPE_INT8)->sym_min == -127);
  CHECK(oq_qtype_get(OQ_QTYPE_UINT8)->sym_max == 254);
  CHECK(oq_qtype_get(OQ_QTYPE_INT16)->sym_min == -32767);
  CHECK(oq_qtype_get(OQ_QTYPE_UINT4)->qmax == 15 && oq_qtype_get(OQ_QTYPE_INT4)->qmin == -8);
}

OQ_TEST(lookups) {
  CHECK(oq_qtype_get(OQ_QTYPE_COUNT) == NULL);
  CHECK(oq_qtype_get((oq_qtype_id)-1) == NULL);
  CHECK(oq_qtype_by_dtype(OQ_DTYPE_FLOAT) == NULL);
  CHECK(oq_qtype_by_dtype(OQ_DTYPE_INT32) == NULL); /* biases are int32 but not a quantization type */
  CHECK(oq_qtype_by_dtype(OQ_DTYPE_UINT4)->id == OQ_QTYPE_UINT4);
  CHECK(oq_qtype_by_dtype(-5) == NULL);
}

OQ_TEST(packed_sizes) {
  size_t n = 0;
  CHECK(oq_qtype_nbytes(oq_qtype_get(OQ_QTYPE_INT4), 5, &n) && n == 3);
  CHECK(oq_qtype_nbytes(oq_qtype_get(OQ_QTYPE_UINT4), 4, &n) && n == 2);
  CHECK(oq_qtype_nbytes(oq_qtype_get(OQ_QTYPE_UINT4), 0, &n) && n == 0);
  CHECK(oq_qtype_nbytes(oq_qtype_get(OQ_QTYPE_INT8), 5, &n) && n == 5);
  CHECK(oq_qtype_nbytes(oq_qtype_get(OQ_QTYPE_UINT16), 5, &n) && n == 10);
  CHECK(!oq_qtype_nbytes(oq_qtype_get(OQ_QTYPE_INT16), SIZE_MAX / 2 + 1, &n));
  CHECK(oq_qtype_nbytes(oq_qtype_get(OQ_QTYPE_INT4), SIZE_MAX, &n) && n == SIZE_MAX / 2 + 1);
}

/* raw_data layout: little-endian; 4-bit elements two per byte, the first in the low nibble (ONNX's packing). */
OQ_TEST(store_layout) {
  uint8_t b[8];
  memset(b, 0xEE, sizeof b);
  const int32_t u4[3] = {1, 2, 15};
  oq_qtype_store(oq_qtype_get(OQ_QTYPE_UINT4), u4, 3, b);
  CHECK(b[0] == 0x21 && b[1] == 0x0F && b[2] == 0xEE);
  const int32_t i4[2] = {-1, -8};
  oq_qtype_store(oq_qtype_get(OQ_QTYPE_INT4), i4, 2, b);
  CHECK(b[0] == 0x8F);
  const int32_t i16[2] = {-2, 0x1234};
  oq_qtype_store(oq_qtype_get(OQ_QTYPE_INT16), i16, 2, b);
  CHECK(b[0] == 0xFE && b[1] == 0xFF && b[2] == 0x34 && b[3] == 0x12);
  const int32_t u16[1] = {65535};
  oq_qtype_store(oq_qtype_get(OQ_QTYPE_UINT16), u16, 1, b);
  CHECK(b[0] == 0xFF && b[1] == 0xFF);
  const int32_t i8[2] = {-128, 127};
  oq_qtype_store(oq_qtype_get(OQ_QTYPE_INT8), i8, 2, b);
  CHECK(b[0] == 0x80 && b[1] == 0x7F);
  /* one element at a time keeps the neighbouring nibble */
  b[0] = 0x50;
  oq_qtype_store_at(oq_qtype_get(OQ_QTYPE_UINT4), b, 0, 9);
  CHECK(b[0] == 0x59);
  oq_qtype_store_at(oq_qtype_get(OQ_QTYPE_UINT4), b, 1, 3);
  CHECK(b[0] == 0x39);
}

OQ_TEST_MAIN()
