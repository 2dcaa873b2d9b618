/* Inputs for a fuzzed model: each declared graph input as a small deterministic tensor (unknown extents 1). */
#ifndef OQ_FUZZ_INPUTS_H
#define OQ_FUZZ_INPUTS_H

#include "fuzz_common.h"

#define FZ_MAX_INPUTS 16
#define FZ_MAX_ELEMS  1024 /* per fed input */

/* Work per input is capped so that a campaign spends its time on many inputs, not on a few big ones: no tensor
 * over FZ_TENSOR_BYTES (a Conv or MatMul then does at most a few million multiply-adds) and a deadline of
 * FZ_SECONDS, checked between nodes; both are refused with a one-line error like any other limit. Inputs past
 * them are errors, not findings. */
#define FZ_TENSOR_BYTES (16u << 10)
#define FZ_SECONDS      0.25

static inline void fz_limits(void) {
  oq_error err = {0};
  if (oq_set_limits(FZ_TENSOR_BYTES, FZ_SECONDS, &err) != OQ_OK) abort(); /* restarts the deadline */
}

/* A failure from the deadline (it depends on the machine's load, so oracles comparing two runs skip it). */
static inline int fz_timed_out(const oq_error *err) { return strstr(err->msg, "time limit of") != NULL; }

/* Fills inputs[0..n) for model; returns 0 when the model's inputs are not something to feed (too many, too
 * large, a type without a fixed size). The caller releases the tensors either way. */
static inline int fz_make_inputs(const oq_model *m, oq_tensor *inputs, int32_t *n_out) {
  int32_t n = oq_model_input_count(m);
  *n_out = 0;
  if (n < 0 || n > FZ_MAX_INPUTS) return 0;
  for (int32_t i = 0; i < n; i++) {
    oq_value_info vi;
    oq_value_info_init(&vi);
    oq_error err = {0};
    if (oq_model_input_info(m, i, &vi, &err) != OQ_OK) return 0;
    if (vi.rank < 0 || vi.rank > OQ_MAX_DIMS || oq_dtype_size(vi.dtype) == 0) return 0;
    int64_t dims[OQ_MAX_DIMS], numel = 1;
    for (int32_t d = 0; d < vi.rank; d++) {
      dims[d] = vi.dims[d] < 0 ? 1 : vi.dims[d];
      if (dims[d] > FZ_MAX_ELEMS) return 0;
      numel *= dims[d];
      if (numel > FZ_MAX_ELEMS) return 0;
    }
    if (oq_tensor_alloc(&inputs[i], vi.dtype, vi.rank, dims, &err) != OQ_OK) return 0;
    *n_out = i + 1;
    uint8_t *b = inputs[i].data;
    for (size_t k = 0; k < inputs[i].nbytes; k++) b[k] = (uint8_t)((k * 37u + 11u) % 61u); /* small, varied */
  }
  return 1;
}

#endif
