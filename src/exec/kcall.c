/* Standalone kernel calls (oq_exec_kernel): the executor's side of the kernel contract without a plan, for unit
 * tests and benchmarks that call one kernel on hand-made tensors. */
#include "exec/exec.h"
#include "core/alloc.h"

#include <stdlib.h>
#include <string.h>

#define MAX_BLOCKS 8

typedef struct standalone {
  void *blocks[MAX_BLOCKS]; /* owned; scratch handed out so far */
  int32_t n_blocks;
} standalone;

static oq_status alone_out(void *ctx, const oq_kernel_call *call, int32_t j, int32_t dtype, int32_t ndim,
                           const int64_t *dims, oq_error *err) {
  (void)ctx;
  if (j < 0 || j >= call->n_outputs || call->outputs[j].data || call->outputs[j].dtype)
    OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "output %d requested twice", (int)j);
  return oq_tensor_alloc(&call->outputs[j], dtype, ndim, dims, err);
}

static oq_status alone_scratch(void *ctx, size_t bytes, void **out, oq_error *err) {
  standalone *s = ctx;
  *out = NULL;
  if (s->n_blocks >= MAX_BLOCKS) OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "too many scratch blocks");
  void *p = oq_mem_alloc(bytes);
  if (!p) OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "out of memory for %zu bytes of kernel scratch", bytes);
  s->blocks[s->n_blocks++] = p;
  *out = p;
  return OQ_OK;
}

static const oq_kernel_hooks k_alone = {alone_out, alone_scratch, NULL};

oq_status oq_exec_kernel(oq_op_exec_fn exec, oq_kernel_call *call, oq_error *err) {
  standalone s;
  memset(&s, 0, sizeof s);
  call->hooks = &k_alone;
  call->hooks_ctx = &s;
  oq_status st = exec(call, err);
  for (int32_t i = 0; i < s.n_blocks; i++) free(s.blocks[i]);
  call->hooks = NULL;
  call->hooks_ctx = NULL;
  if (st != OQ_OK)
    for (int32_t j = 0; j < call->n_outputs; j++) oq_tensor_release(&call->outputs[j]);
  return st;
}
