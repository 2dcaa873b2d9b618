/* Element-size generic strided copies for the data-movement ops (Transpose, Slice, Tile): plain loops over raw
 * bytes, no tensors. */
#ifndef OQ_KERN_STRIDED_H
#define OQ_KERN_STRIDED_H

#include "core/error.h" /* OQ_MAX_DIMS, fixed-width types */

/* dst (contiguous, shape dims[0..nd)) = the elements of src (es bytes each) at base + sum(idx[i] * sstr[i]);
 * strides are in elements and may be negative. */
void oq_strided_copy(unsigned char *dst, const unsigned char *src, size_t es, int32_t nd, const int64_t *dims,
                     const int64_t *sstr, int64_t base);
/* Row-major element strides of a contiguous shape. */
void oq_contiguous_strides(int32_t nd, const int64_t *dims, int64_t *str);

#endif
