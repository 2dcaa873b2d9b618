/* The dtype traits table (see dtype.h). Rows follow onnx.proto's TensorProto.DataType numbering. */
#include "core/dtype.h"

#include <string.h>

#define INT_ROW(nm, b, lo, hi, signed_, descr)                                                                         \
  {                                                                                                                    \
    .name = nm, .bits = b, .size = (b) >= 8 ? (b) / 8 : 0, .is_signed = signed_, .is_integer = true, .min = lo,        \
    .max = hi, .npy = descr, .decodable = (b) >= 8                                                                     \
  }
#define FLOAT_ROW(nm, b, descr, dec)                                                                                   \
  {                                                                                                                    \
    .name = nm, .bits = b, .size = (b) >= 8 ? (b) / 8 : 0, .is_float = true, .is_signed = true, .npy = descr,          \
    .decodable = dec                                                                                                   \
  }

static const oq_dtype_traits k_dtypes[] = {
    [OQ_DTYPE_UNDEFINED] = {.name = "undefined"},
    [OQ_DTYPE_FLOAT] = FLOAT_ROW("float32", 32, "<f4", true),
    [OQ_DTYPE_UINT8] = INT_ROW("uint8", 8, 0, UINT8_MAX, false, "|u1"),
    [OQ_DTYPE_INT8] = INT_ROW("int8", 8, INT8_MIN, INT8_MAX, true, "|i1"),
    [OQ_DTYPE_UINT16] = INT_ROW("uint16", 16, 0, UINT16_MAX, false, "<u2"),
    [OQ_DTYPE_INT16] = INT_ROW("int16", 16, INT16_MIN, INT16_MAX, true, "<i2"),
    [OQ_DTYPE_INT32] = INT_ROW("int32", 32, INT32_MIN, INT32_MAX, true, "<i4"),
    [OQ_DTYPE_INT64] = INT_ROW("int64", 64, INT64_MIN, INT64_MAX, true, "<i8"),
    [OQ_DTYPE_STRING] = {.name = "string"},
    [OQ_DTYPE_BOOL] = INT_ROW("bool", 8, 0, 1, false, "|b1"),
    [OQ_DTYPE_FLOAT16] = FLOAT_ROW("float16", 16, "<f2", true),
    [OQ_DTYPE_DOUBLE] = FLOAT_ROW("float64", 64, "<f8", true),
    [OQ_DTYPE_UINT32] = INT_ROW("uint32", 32, 0, UINT32_MAX, false, "<u4"),
    [OQ_DTYPE_UINT64] = INT_ROW("uint64", 64, 0, UINT64_MAX, false, "<u8"),
    [OQ_DTYPE_COMPLEX64] = {.name = "complex64", .bits = 64, .size = 8, .is_signed = true},
    [OQ_DTYPE_COMPLEX128] = {.name = "complex128", .bits = 128, .size = 16, .is_signed = true},
    [OQ_DTYPE_BFLOAT16] = FLOAT_ROW("bfloat16", 16, NULL, true),
    [OQ_DTYPE_FLOAT8E4M3FN] = FLOAT_ROW("float8e4m3fn", 8, NULL, false),
    [OQ_DTYPE_FLOAT8E4M3FNUZ] = FLOAT_ROW("float8e4m3fnuz", 8, NULL, false),
    [OQ_DTYPE_FLOAT8E5M2] = FLOAT_ROW("float8e5m2", 8, NULL, false),
    [OQ_DTYPE_FLOAT8E5M2FNUZ] = FLOAT_ROW("float8e5m2fnuz", 8, NULL, false),
    [OQ_DTYPE_UINT4] = INT_ROW("uint4", 4, 0, 15, false, NULL),
    [OQ_DTYPE_INT4] = INT_ROW("int4", 4, -8, 7, true, NULL),
    [OQ_DTYPE_FLOAT4E2M1] = FLOAT_ROW("float4e2m1", 4, NULL, false),
};
_Static_assert(sizeof k_dtypes / sizeof k_dtypes[0] == OQ_DTYPE_COUNT_, "one traits row per oq_dtype");

bool oq_dtype_known(int32_t dtype) { return dtype > 0 && dtype < OQ_DTYPE_COUNT_; }

const oq_dtype_traits *oq_dtype_traits_of(int32_t dtype) {
  return &k_dtypes[oq_dtype_known(dtype) ? dtype : OQ_DTYPE_UNDEFINED];
}

const char *oq_dtype_name(int32_t dtype) { return oq_dtype_traits_of(dtype)->name; }
size_t oq_dtype_size(int32_t dtype) { return oq_dtype_traits_of(dtype)->size; }
int32_t oq_dtype_bits(int32_t dtype) { return oq_dtype_traits_of(dtype)->bits; }

int32_t oq_dtype_from_npy(const char *descr) {
  for (int32_t d = 1; d < OQ_DTYPE_COUNT_; d++)
    if (k_dtypes[d].npy && strcmp(k_dtypes[d].npy, descr) == 0) return d;
  return OQ_DTYPE_UNDEFINED;
}

bool oq_dtype_nbytes(int32_t dtype, size_t numel, size_t *out) {
  const oq_dtype_traits *t = oq_dtype_traits_of(dtype);
  if (t->bits == 0) return false;
  if (t->size) {
    if (t->size != 0 && numel > SIZE_MAX / t->size) return false;
    *out = numel * t->size;
    return true;
  }
  /* sub-byte: ceil(numel * bits / 8) without overflowing the product */
  size_t per = 8 / (size_t)t->bits; /* elements per byte */
  *out = numel / per + (numel % per != 0);
  return true;
}
