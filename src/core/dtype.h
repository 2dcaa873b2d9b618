/* The dtype traits table: everything the library knows about each ONNX TensorProto.DataType, in one row per type.
 * Code asks the table instead of switching over dtypes. */
#ifndef OQ_CORE_DTYPE_H
#define OQ_CORE_DTYPE_H

#include "onnxq.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One row. Integer types (bool included) carry their value range; others have min == max == 0. */
typedef struct oq_dtype_traits {
  const char *name; /* numpy-style name ("float32", "int4"); what oq_dtype_name returns */
  int32_t bits;     /* bits per element: 4 for packed sub-byte types, 0 for string and undefined */
  size_t size;      /* bytes per element; 0 where an element is not whole bytes (sub-byte, string, undefined) */
  bool is_float;    /* a floating-point type (float8/float4 included) */
  bool is_signed;   /* can hold negative values (floats, signed integers, complex) */
  bool is_integer;  /* an integer type, bool included */
  int64_t min;      /* smallest integer value */
  uint64_t max;     /* largest integer value */
  const char *npy;  /* NumPy .npy descriptor onnxq reads and writes ("<f4"), NULL when unsupported */
  bool decodable;   /* model tensors of this type can be decoded (also: the types the executor computes on) */
} oq_dtype_traits;

/* The row of dtype; unknown codes get the OQ_DTYPE_UNDEFINED row. Never NULL. Helpers elsewhere map onto it:
 * "numeric for kernels" is .decodable, "float for kernels" is .is_float && .decodable. */
const oq_dtype_traits *oq_dtype_traits_of(int32_t dtype);
/* Whether dtype is a code of the table (0 < dtype < OQ_DTYPE_COUNT_). */
bool oq_dtype_known(int32_t dtype);
/* The dtype whose .npy descriptor is descr, OQ_DTYPE_UNDEFINED when none. */
int32_t oq_dtype_from_npy(const char *descr);
/* Bytes of numel elements: numel * size, or ceil(numel * bits / 8) for sub-byte types. False on overflow or for
 * types without a fixed width (string, undefined). */
bool oq_dtype_nbytes(int32_t dtype, size_t numel, size_t *out);

#endif
