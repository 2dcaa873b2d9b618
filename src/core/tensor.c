/* Dense tensor helpers: allocation (bounded, overflow-checked, sub-byte types packed) and 4-bit packing. */
#include "core/tensor.h"
#include "core/limits.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
  if (oq_dtype_bits(dtype) == 0)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "cannot allocate a tensor of type %s", oq_dtype_name(dtype));
  if (ndim < 0 || ndim > OQ_MAX_DIMS)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "tensor rank %d exceeds the maximum of %d", (int)ndim, OQ_MAX_DIMS);
  /* whole-byte types keep the historical order of checks: size_t overflow of the byte count first */
  size_t esize = oq_dtype_size(dtype), total = esize ? esize : 1;
  for (int32_t i = 0; i < ndim; i++) {
    if (dims[i] < 0) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "negative dimension %lld", (long long)dims[i]);
    if ((uint64_t)dims[i] > SIZE_MAX || !oq_size_mul(total, (size_t)dims[i], &total))
      OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "tensor size overflows");
  }
  if (esize == 0 && !oq_dtype_nbytes(dtype, total, &total)) OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "tensor size overflows");
  if (!oq_tensor_extents_ok(ndim, dims)) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "tensor extents multiply past 2^63");
  if ((uint64_t)total > oq_limits_tensor_bytes()) { /* OQ_MAX_TENSOR_BYTES or --max-tensor-bytes */
    char shape[160];
    size_t used = 0;
    for (int32_t i = 0; i < ndim && used < sizeof shape; i++)
      used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%lld", i ? "," : "", (long long)dims[i]);
    if (ndim == 0) shape[0] = '\0';
    OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "a %s tensor of shape [%s] needs %zu bytes, over the limit of %llu per tensor",
                  oq_dtype_name(dtype), shape, total, (unsigned long long)oq_limits_tensor_bytes());
  }
  void *data = NULL;
  if (total > 0) {
    data = oq_mem_zalloc(total);
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
  if (t->owns_data) oq_free(t->data);
  memset(t, 0, sizeof *t);
}

/* Saturates at INT64_MAX: shape inference may describe a tensor whose element count does not fit (fuzz_run: a
 * Reshape after an inferred [12, 7.2e18] overflowed); no such tensor is ever allocated. */
int64_t oq_tensor_numel(const oq_tensor *t) {
  int64_t n = 1;
  for (int32_t i = 0; i < t->ndim; i++)
    if (__builtin_mul_overflow(n, t->dims[i], &n)) return INT64_MAX;
  return n;
}

void oq_tensor_pack4(uint8_t *dst, const uint8_t *src, size_t n) {
  for (size_t i = 0; i + 1 < n; i += 2) dst[i / 2] = (uint8_t)((src[i] & 0x0f) | (src[i + 1] & 0x0f) << 4);
  if (n & 1) dst[n / 2] = (uint8_t)(src[n - 1] & 0x0f);
}

void oq_tensor_unpack4(uint8_t *dst, const uint8_t *src, size_t n, int sign_extend) {
  for (size_t i = 0; i < n; i++) {
    unsigned v = (src[i / 2] >> (i & 1 ? 4 : 0)) & 0x0f;
    dst[i] = sign_extend && v >= 8 ? (uint8_t)(int8_t)((int)v - 16) : (uint8_t)v;
  }
}
