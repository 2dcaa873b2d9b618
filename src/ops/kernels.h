/* Declarations of every row's functions and attribute specs, generated from ops/op_list.h so that the table and
 * the functions cannot drift. One pass per function column (OQ_NONE stands for an empty slot: each pass names it
 * a placeholder that is declared but never defined or used). */
#ifndef OQ_OPS_KERNELS_H
#define OQ_OPS_KERNELS_H

#include "ops/op.h"

#define OQ_NONE oq_op_none_init_
#define OQ_OP(type, domain, since, max_opset, min_in, max_in, min_out, max_out, init, infer, workspace, exec, free_fn, \
              flags, qkind, qaxis, qmin, attrs)                                                                        \
  oq_status init(const oq_op_init_ctx *ctx, void **params, oq_error *err);                                             \
  extern const oq_attr_spec attrs;
#include "ops/op_list.h"
#undef OQ_OP
#undef OQ_NONE

#define OQ_NONE oq_op_none_infer_
#define OQ_OP(type, domain, since, max_opset, min_in, max_in, min_out, max_out, init, infer, workspace, exec, free_fn, \
              flags, qkind, qaxis, qmin, attrs)                                                                        \
  oq_status infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out, int32_t n_out, \
                  oq_error *err);
#include "ops/op_list.h"
#undef OQ_OP
#undef OQ_NONE

#define OQ_NONE oq_op_none_workspace_
#define OQ_OP(type, domain, since, max_opset, min_in, max_in, min_out, max_out, init, infer, workspace, exec, free_fn, \
              flags, qkind, qaxis, qmin, attrs)                                                                        \
  size_t workspace(const void *params, const oq_shape_info *const *in, int32_t n_in, int32_t n_out, int32_t threads);
#include "ops/op_list.h"
#undef OQ_OP
#undef OQ_NONE

#define OQ_NONE oq_op_none_exec_
#define OQ_OP(type, domain, since, max_opset, min_in, max_in, min_out, max_out, init, infer, workspace, exec, free_fn, \
              flags, qkind, qaxis, qmin, attrs)                                                                        \
  oq_status exec(const oq_kernel_call *call, oq_error *err);
#include "ops/op_list.h"
#undef OQ_OP
#undef OQ_NONE

/* float32 kernels of eltwise.c that the table reaches through half.c's float16/bfloat16 wrappers (oq_op_X_h_exec),
 * so the passes above do not declare them. */
/* x * sigmoid(x) of float input 0 (activation.c): the executor runs it for a Mul whose other operand is a Sigmoid
 * of x read by nothing else (exec/plan.c); the same bits as the two nodes. */
oq_status oq_op_silu_exec(const oq_kernel_call *call, oq_error *err);
oq_status oq_op_max_exec(const oq_kernel_call *call, oq_error *err);
oq_status oq_op_min_exec(const oq_kernel_call *call, oq_error *err);
oq_status oq_op_mod_exec(const oq_kernel_call *call, oq_error *err);
oq_status oq_op_sum_exec(const oq_kernel_call *call, oq_error *err);
oq_status oq_op_mean_exec(const oq_kernel_call *call, oq_error *err);
oq_status oq_op_add_exec(const oq_kernel_call *call, oq_error *err);
oq_status oq_op_sub_exec(const oq_kernel_call *call, oq_error *err);
oq_status oq_op_mul_exec(const oq_kernel_call *call, oq_error *err);
oq_status oq_op_div_exec(const oq_kernel_call *call, oq_error *err);

#endif
