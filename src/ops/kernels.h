/* Declarations of every kernel's init/exec, generated from the rows of op_list_nn.h (conv, gemm/matmul, pool,
 * normalization) and op_list_tensor.h (elementwise, activations, shape ops, Q/DQ). Every row names real functions:
 * oq_op_init_none where there are no attributes, oq_op_params_free where params is one malloc'd block. */
#ifndef OQ_OPS_KERNELS_H
#define OQ_OPS_KERNELS_H

#include "ops/op.h"

#define OQ_OP(type, domain, since, min_in, max_in, min_out, max_out, init, exec, free_fn, flags)                       \
  oq_status init(const oq_op_init_ctx *ctx, void **params, oq_error *err);                                             \
  oq_status exec(const oq_kernel_call *call, oq_error *err);
#include "ops/op_list_nn.h"
#include "ops/op_list_tensor.h"
#undef OQ_OP

#endif
