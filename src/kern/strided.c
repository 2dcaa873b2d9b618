/* Strided copies (see strided.h). */
#include "kern/strided.h"

#include <string.h>

/* Element-size generic row copy: n elements from src with stride sstep (elements) to contiguous dst. */
static void copy_elems(unsigned char *dst, const unsigned char *src, size_t es, int64_t n, int64_t sstep) {
  if (sstep == 1) {
    memcpy(dst, src, (size_t)n * es);
    return;
  }
  switch (es) {
  case 1:
    for (int64_t i = 0; i < n; i++) dst[i] = src[i * sstep];
    break;
  case 2: {
    uint16_t *d = (uint16_t *)(void *)dst;
    const uint16_t *s = (const uint16_t *)(const void *)src;
    for (int64_t i = 0; i < n; i++) d[i] = s[i * sstep];
    break;
  }
  case 4: {
    uint32_t *d = (uint32_t *)(void *)dst;
    const uint32_t *s = (const uint32_t *)(const void *)src;
    for (int64_t i = 0; i < n; i++) d[i] = s[i * sstep];
    break;
  }
  case 8: {
    uint64_t *d = (uint64_t *)(void *)dst;
    const uint64_t *s = (const uint64_t *)(const void *)src;
    for (int64_t i = 0; i < n; i++) d[i] = s[i * sstep];
    break;
  }
  default:
    for (int64_t i = 0; i < n; i++) memcpy(dst + (size_t)i * es, src + (ptrdiff_t)(i * sstep) * (ptrdiff_t)es, es);
  }
}

/* dst (contiguous, shape dims) = src elements at base + sum(idx[i] * sstr[i]); strides may be negative. */
void oq_strided_copy(unsigned char *dst, const unsigned char *src, size_t es, int32_t nd, const int64_t *dims,
                     const int64_t *sstr, int64_t base) {
  int64_t total = 1;
  for (int32_t i = 0; i < nd; i++) total *= dims[i];
  if (total == 0) return;
  if (nd == 0) {
    memcpy(dst, src + (size_t)base * es, es);
    return;
  }
  /* merge a dim into the next when the source walks them as one (stride of the outer = extent x stride of the inner)
   * and drop extents of 1: a transpose that keeps H, W together copies H*W runs, not W runs */
  int64_t md[OQ_MAX_DIMS], ms[OQ_MAX_DIMS];
  int32_t m = 0;
  for (int32_t i = 0; i < nd; i++) {
    if (dims[i] == 1) continue;
    if (m > 0 && ms[m - 1] == sstr[i] * dims[i]) {
      md[m - 1] *= dims[i];
      ms[m - 1] = sstr[i];
    } else {
      md[m] = dims[i];
      ms[m] = sstr[i];
      m++;
    }
  }
  if (m == 0) { /* a single element */
    memcpy(dst, src + (ptrdiff_t)base * (ptrdiff_t)es, es);
    return;
  }
  nd = m;
  dims = md;
  sstr = ms;
  int64_t inner = dims[nd - 1], istep = sstr[nd - 1], off = base;
  int64_t idx[OQ_MAX_DIMS] = {0};
  for (int64_t r = 0; r < total / inner; r++) {
    copy_elems(dst + (size_t)(r * inner) * es, src + (ptrdiff_t)off * (ptrdiff_t)es, es, inner, istep);
    for (int32_t i = nd - 2; i >= 0; i--) {
      idx[i]++;
      off += sstr[i];
      if (idx[i] < dims[i]) break;
      off -= sstr[i] * dims[i];
      idx[i] = 0;
    }
  }
}

void oq_contiguous_strides(int32_t nd, const int64_t *dims, int64_t *str) {
  int64_t acc = 1;
  for (int32_t i = nd - 1; i >= 0; i--) {
    str[i] = acc;
    acc *= dims[i];
  }
}
