/* The quantization-type table and the raw_data layout of quantized elements. */
#include "quant/qtype.h"

#include <string.h>

/* Opsets: QuantizeLinear/DequantizeLinear-10 take uint8/int8, -13 adds the axis attribute, -21 adds
 * uint16/int16/uint4/int4 and block_size. */
static const oq_qtype k_qtypes[OQ_QTYPE_COUNT] = {
    {OQ_QTYPE_UINT8, "uint8", OQ_DTYPE_UINT8, 8, 0, 0, 255, 0, 254, 10, 13, 21},
    {OQ_QTYPE_INT8, "int8", OQ_DTYPE_INT8, 8, 1, -128, 127, -127, 127, 10, 13, 21},
    {OQ_QTYPE_UINT16, "uint16", OQ_DTYPE_UINT16, 16, 0, 0, 65535, 0, 65534, 21, 21, 21},
    {OQ_QTYPE_INT16, "int16", OQ_DTYPE_INT16, 16, 1, -32768, 32767, -32767, 32767, 21, 21, 21},
    {OQ_QTYPE_UINT4, "uint4", OQ_DTYPE_UINT4, 4, 0, 0, 15, 0, 15, 21, 21, 21},
    {OQ_QTYPE_INT4, "int4", OQ_DTYPE_INT4, 4, 1, -8, 7, -8, 7, 21, 21, 21},
};

const oq_qtype *oq_qtype_get(oq_qtype_id id) {
  if ((int)id < 0 || id >= OQ_QTYPE_COUNT) return NULL;
  return &k_qtypes[id];
}

const oq_qtype *oq_qtype_by_dtype(int32_t dtype) {
  for (int i = 0; i < OQ_QTYPE_COUNT; i++)
    if (k_qtypes[i].dtype == dtype) return &k_qtypes[i];
  return NULL;
}

void oq_qtype_range(const oq_qtype *qt, int symmetric, int32_t *qmin, int32_t *qmax) {
  *qmin = symmetric ? qt->sym_min : qt->qmin;
  *qmax = symmetric ? qt->sym_max : qt->qmax;
}

bool oq_qtype_nbytes(const oq_qtype *qt, size_t count, size_t *out) {
  if (qt->bits == 4) {
    *out = count / 2 + count % 2;
    return true;
  }
  return oq_size_mul(count, (size_t)qt->bits / 8, out);
}

void oq_qtype_store_at(const oq_qtype *qt, uint8_t *dst, size_t i, int32_t v) {
  switch (qt->bits) {
  case 4: {
    uint8_t nib = (uint8_t)((uint32_t)v & 0xFu);
    uint8_t *b = &dst[i / 2];
    *b = i % 2 ? (uint8_t)((*b & 0x0Fu) | (nib << 4)) : (uint8_t)((*b & 0xF0u) | nib);
    break;
  }
  case 16:
    dst[2 * i] = (uint8_t)((uint32_t)v & 0xFFu);
    dst[2 * i + 1] = (uint8_t)(((uint32_t)v >> 8) & 0xFFu);
    break;
  default: dst[i] = (uint8_t)((uint32_t)v & 0xFFu); break;
  }
}

void oq_qtype_store(const oq_qtype *qt, const int32_t *vals, size_t count, uint8_t *dst) {
  if (qt->bits == 4 && count % 2) dst[count / 2] = 0; /* the unused high nibble of an odd count stays 0 */
  for (size_t i = 0; i < count; i++) oq_qtype_store_at(qt, dst, i, vals[i]);
}
