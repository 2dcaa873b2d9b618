/* dtype traits table and dense tensor helpers. */
#include "core/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct dtype_traits {
  const char *name; /* numpy-style name */
  size_t size;      /* bytes per element, 0 where not byte-addressable or variable */
} dtype_traits;

static const dtype_traits k_dtypes[OQ_DTYPE_COUNT_] = {
    [OQ_DTYPE_UNDEFINED] = {"undefined", 0},
    [OQ_DTYPE_FLOAT] = {"float32", 4},
    [OQ_DTYPE_UINT8] = {"uint8", 1},
    [OQ_DTYPE_INT8] = {"int8", 1},
    [OQ_DTYPE_UINT16] = {"uint16", 2},
    [OQ_DTYPE_INT16] = {"int16", 2},
    [OQ_DTYPE_INT32] = {"int32", 4},
    [OQ_DTYPE_INT64] = {"int64", 8},
    [OQ_DTYPE_STRING] = {"string", 0},
    [OQ_DTYPE_BOOL] = {"bool", 1},
    [OQ_DTYPE_FLOAT16] = {"float16", 2},
    [OQ_DTYPE_DOUBLE] = {"float64", 8},
    [OQ_DTYPE_UINT32] = {"uint32", 4},
    [OQ_DTYPE_UINT64] = {"uint64", 8},
    [OQ_DTYPE_COMPLEX64] = {"complex64", 8},
    [OQ_DTYPE_COMPLEX128] = {"complex128", 16},
    [OQ_DTYPE_BFLOAT16] = {"bfloat16", 2},
    [OQ_DTYPE_FLOAT8E4M3FN] = {"float8e4m3fn", 1},
    [OQ_DTYPE_FLOAT8E4M3FNUZ] = {"float8e4m3fnuz", 1},
    [OQ_DTYPE_FLOAT8E5M2] = {"float8e5m2", 1},
    [OQ_DTYPE_FLOAT8E5M2FNUZ] = {"float8e5m2fnuz", 1},
    [OQ_DTYPE_UINT4] = {"uint4", 0},
    [OQ_DTYPE_INT4] = {"int4", 0},
    [OQ_DTYPE_FLOAT4E2M1] = {"float4e2m1", 0},
};

const char *oq_dtype_name(int32_t dtype) {
  if (dtype < 0 || dtype >= OQ_DTYPE_COUNT_) return "undefined";
  return k_dtypes[dtype].name;
}

size_t oq_dtype_size(int32_t dtype) {
  if (dtype < 0 || dtype >= OQ_DTYPE_COUNT_) return 0;
  return k_dtypes[dtype].size;
}

bool oq_tensor_extents_ok(int32_t ndim, const int64_t *dims) {
  int64_t prod = 1;
  for (int32_t i = 0; i < ndim; i++) {
    if (dims[i] < 0) return false;
    if (dims[i] == 0) continue;
    if (prod > INT64_MAX / dims[i]) return false;
    prod *= dims[i];
  }
  return true;
}

oq_status oq_tensor_alloc(oq_tensor *t, int32_t dtype, int32_t ndim, const int64_t *dims, oq_error *err) {
  memset(t, 0, sizeof *t);
  size_t esize = oq_dtype_size(dtype);
  if (esize == 0) OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "cannot allocate a tensor of type %s", oq_dtype_name(dtype));
  if (ndim < 0 || ndim > OQ_MAX_DIMS)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "tensor rank %d exceeds the maximum of %d", (int)ndim, OQ_MAX_DIMS);
  size_t total = esize;
  for (int32_t i = 0; i < ndim; i++) {
    if (dims[i] < 0) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "negative dimension %lld", (long long)dims[i]);
    if ((uint64_t)dims[i] > SIZE_MAX || !oq_size_mul(total, (size_t)dims[i], &total))
      OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "tensor size overflows");
  }
  if (!oq_tensor_extents_ok(ndim, dims)) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "tensor extents multiply past 2^63");
  if ((uint64_t)total > (uint64_t)OQ_MAX_TENSOR_BYTES) {
    char shape[160];
    size_t used = 0;
    for (int32_t i = 0; i < ndim && used < sizeof shape; i++)
      used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%lld", i ? "," : "", (long long)dims[i]);
    if (ndim == 0) shape[0] = '\0';
    OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "a %s tensor of shape [%s] needs %zu bytes, over the limit of %llu per tensor",
                  oq_dtype_name(dtype), shape, total, (unsigned long long)OQ_MAX_TENSOR_BYTES);
  }
  void *data = NULL;
  if (total > 0) {
    data = calloc(1, total);
    if (!data) OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "out of memory allocating a tensor of %zu bytes", total);
  }
  t->dtype = dtype;
  t->ndim = ndim;
  for (int32_t i = 0; i < ndim; i++) t->dims[i] = dims[i];
  t->data = data;
  t->nbytes = total;
  t->owns_data = data != NULL;
  return OQ_OK;
}

void oq_tensor_release(oq_tensor *t) {
  if (!t) return;
  if (t->owns_data) free(t->data);
  memset(t, 0, sizeof *t);
}

int64_t oq_tensor_numel(const oq_tensor *t) {
  int64_t n = 1;
  for (int32_t i = 0; i < t->ndim; i++) n *= t->dims[i];
  return n;
}
