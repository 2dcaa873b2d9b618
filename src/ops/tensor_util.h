/* Helpers shared by the tensor-family kernels (eltwise, activation, shape, qdq): node-named errors, optional
 * input access, reading shape-like int tensors, axis normalization and dtype-generic element load/store. */
#ifndef OQ_OPS_TENSOR_UTIL_H
#define OQ_OPS_TENSOR_UTIL_H

#include "ops/op.h"

/* Records "node '<node>': <message>" in err and returns code. */
oq_status oq_kernel_error(oq_error *err, oq_status code, const char *file, int line, const char *node, const char *fmt,
                          ...) OQ_PRINTF(6, 7);

/* Fails the current function naming the node. Requires `oq_status st`, `oq_error *err` and a `fail:` label. */
#define OQ_KFAIL(node, code, ...)                                                                                      \
  do {                                                                                                                 \
    st = oq_kernel_error(err, (code), __FILE__, __LINE__, (node), __VA_ARGS__);                                        \
    goto fail;                                                                                                         \
  } while (0)

/* For functions without cleanup. */
#define OQ_KRETURN(node, code, ...) return oq_kernel_error(err, (code), __FILE__, __LINE__, (node), __VA_ARGS__)

/* The node's name for messages ("" when unnamed). */
const char *oq_init_node_name(const oq_op_init_ctx *ctx);

/* The initializer (of the main graph) that input i of ctx's node is, directly or through Identity nodes, NULL when
 * it is something else: its bytes never change between runs, so a kernel may keep a packed copy made from them
 * (keyed by the data pointer it sees at run time, which a view through Identity keeps). */
const Onnx__TensorProto *oq_init_const_input(const oq_op_init_ctx *ctx, int32_t i);

/* Input i of the call, or NULL when omitted or beyond n_inputs. */
static inline const oq_tensor *oq_kin(const oq_kernel_call *call, int32_t i) {
  return (i >= 0 && i < call->n_inputs) ? call->inputs[i] : NULL;
}

/* Input i of a movement kernel: present and of a fixed-size dtype, else an error naming op. */
oq_status oq_kin_fixed(const oq_kernel_call *call, int32_t i, const char *op, const oq_tensor **out, oq_error *err);

/* Reads a scalar or 1-D int64/int32 tensor into out[0..*n) (at most cap values). what names it in errors. */
oq_status oq_read_int_list(const oq_tensor *t, int64_t *out, size_t cap, size_t *n, const char *node, const char *what,
                           oq_error *err);

/* Maps axis in [-rank, rank) to [0, rank); false when out of range. */
static inline int oq_norm_axis(int64_t axis, int64_t rank, int64_t *out) {
  if (axis < -rank || axis >= rank) return 0;
  *out = axis < 0 ? axis + rank : axis;
  return 1;
}

/* Output j of the call with src's dtype and the given shape holding src's bytes (numel must match): a view when the
 * executor made one (OQ_OP_FLAG_VIEW rows, src = input 0), else a copy into the output it allocated. */
oq_status oq_kout_bytes_of(const oq_kernel_call *call, int32_t j, const oq_tensor *src, int32_t ndim,
                           const int64_t *dims, oq_error *err);

/* ---- value infos (infer) ---- */

/* 1 when dtype, rank and every extent of v are known. */
int oq_info_known(const oq_shape_info *v);
/* 1 when dtype and rank of v are known and every extent but the first (a symbolic batch) is. */
int oq_info_known_but_batch(const oq_shape_info *v);
/* A data-less tensor with v's dtype and shape (data = the constant's when v has one), for shape checks shared
 * with exec. v must be known. */
void oq_info_tensor(const oq_shape_info *v, oq_tensor *t);
/* Sets out to dtype and shape. */
void oq_info_set(oq_shape_info *out, int32_t dtype, int32_t ndim, const int64_t *dims);
/* Row functions shared by many rows: output 0 (and any further output, Dropout's mask as bool) like input 0;
 * multidirectional broadcast of all inputs with input 0's dtype / with bool; Where (broadcast of 3, input 1's
 * dtype). */
oq_status oq_op_infer_same(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                           int32_t n_out, oq_error *err);
oq_status oq_op_infer_bcast(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                            int32_t n_out, oq_error *err);
oq_status oq_op_infer_bcast_bool(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                                 int32_t n_out, oq_error *err);
oq_status oq_op_infer_where(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                            int32_t n_out, oq_error *err);

/* Element i of a numeric tensor's data as double / int64 (bool, ints, float, double); other dtypes give 0. */
double oq_load_f64(const void *data, int32_t dtype, int64_t i);
int64_t oq_load_i64(const void *data, int32_t dtype, int64_t i);
/* Stores v as element i; float->integer conversion saturates (NaN -> 0) so it is never undefined. */
void oq_store_f64(void *data, int32_t dtype, int64_t i, double v);
void oq_store_i64(void *data, int32_t dtype, int64_t i, int64_t v);
/* 1 for the numeric types the generic load/store support. */
int oq_dtype_is_numeric(int32_t dtype);
int oq_dtype_is_float(int32_t dtype);

/* Formats a shape as "[2,3]" into buf. */
const char *oq_shape_str(int32_t ndim, const int64_t *dims, char *buf, size_t size);

#endif
