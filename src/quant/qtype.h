/* The quantization-type table: one row per integer type the quantizer can write (uint8, int8, uint16, int16,
 * uint4, int4) with its range, its symmetric range and the opsets at which QuantizeLinear/DequantizeLinear accept
 * it. The planner and the scale/zero-point math ask this table; nothing else hard-codes a quantized type. Ranges
 * follow onnxruntime's quant_utils (ONNX_INT_TYPE_RANGE, ONNX_INT_TYPE_SYMMETRIC_RANGE). */
#ifndef OQ_QUANT_QTYPE_H
#define OQ_QUANT_QTYPE_H

#include "core/error.h"

typedef enum oq_qtype_id {
  OQ_QTYPE_UINT8 = 0,
  OQ_QTYPE_INT8 = 1,
  OQ_QTYPE_UINT16 = 2,
  OQ_QTYPE_INT16 = 3,
  OQ_QTYPE_UINT4 = 4,
  OQ_QTYPE_INT4 = 5,
  OQ_QTYPE_COUNT = 6
} oq_qtype_id;

/* One row. Invariant: qmin <= sym_min <= 0 <= sym_max <= qmax; [qmin, qmax] is the full range of a `bits`-bit
 * integer of that signedness; min_opset <= axis_min_opset <= block_min_opset. */
typedef struct oq_qtype {
  oq_qtype_id id;          /* its own index in the table */
  const char *name;        /* "uint8", ... (oq_dtype_name of dtype) */
  int32_t dtype;           /* oq_dtype of the quantized data and of its zero point */
  int32_t bits;            /* bits per element: 4, 8 or 16 (4-bit elements are packed two per byte) */
  int32_t is_signed;       /* 1 for the intN types */
  int32_t qmin, qmax;      /* full range; QuantizeLinear saturates to it */
  int32_t sym_min;         /* symmetric range (onnxruntime's): int8 [-127, 127], uint8 [0, 254]; the 4-bit */
  int32_t sym_max;         /* types have none there and use their full range */
  int32_t min_opset;       /* first default-domain opset whose QuantizeLinear/DequantizeLinear take the type */
  int32_t axis_min_opset;  /* first opset with per-axis scale/zero point for it (axis attribute: 13) */
  int32_t block_min_opset; /* first opset with blocked quantization (block_size attribute): 21 */
} oq_qtype;

/* Row for id (NULL when out of range). */
const oq_qtype *oq_qtype_get(oq_qtype_id id);
/* Row whose dtype is dtype, NULL when the type is not a quantization type. */
const oq_qtype *oq_qtype_by_dtype(int32_t dtype);
/* The integer range scale/zero point are computed for: [sym_min, sym_max] when symmetric, else [qmin, qmax]. */
void oq_qtype_range(const oq_qtype *qt, int symmetric, int32_t *qmin, int32_t *qmax);
/* Bytes that count elements occupy in raw_data (4-bit: (count + 1) / 2). False on overflow. */
bool oq_qtype_nbytes(const oq_qtype *qt, size_t count, size_t *out);
/* Writes count values (each within [qmin, qmax]) as raw_data stores them: little-endian, 4-bit elements two per
 * byte with the first in the low nibble. dst holds oq_qtype_nbytes(count) bytes. */
void oq_qtype_store(const oq_qtype *qt, const int32_t *vals, size_t count, uint8_t *dst);
/* Stores one value at element index i of dst (same layout as oq_qtype_store; a 4-bit store keeps the other nibble). */
void oq_qtype_store_at(const oq_qtype *qt, uint8_t *dst, size_t i, int32_t v);

#endif
