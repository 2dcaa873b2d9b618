/* Dense tensor helpers beyond the public ones in onnxq.h: 4-bit packing. */
#ifndef OQ_CORE_TENSOR_H
#define OQ_CORE_TENSOR_H

#include "core/dtype.h"
#include "core/error.h"

/* 4-bit types (int4, uint4, float4e2m1) store two elements per byte as ONNX does: element 2k in the low nibble of
 * byte k, element 2k+1 in the high nibble; an odd count leaves the last high nibble 0. */

/* Packs n values (one per byte, only the low 4 bits are used) into ceil(n / 2) bytes at dst. */
void oq_tensor_pack4(uint8_t *dst, const uint8_t *src, size_t n);
/* Unpacks n elements of a packed buffer into one byte each: the raw nibble (0..15) when sign_extend is 0, the
 * nibble as a signed int4 (-8..7, stored as int8_t) when it is 1. */
void oq_tensor_unpack4(uint8_t *dst, const uint8_t *src, size_t n, int sign_extend);

#endif
