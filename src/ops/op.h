/* Operator interface. Every operator is one or more rows of the one table, ops/op_list.h: op type, domain,
 * since-version and an upper opset bound, arity, the functions below, flags, the quantization policy and the
 * attribute spec. init parses the node's attributes once into a typed params struct (kernels never touch
 * protobuf); infer tells output dtypes and shapes from input dtypes/shapes (and constant inputs) ahead of a run;
 * workspace tells the scratch bytes an exec needs for given shapes; exec computes outputs into tensors the
 * EXECUTOR allocates (oq_kout) with scratch the executor owns (oq_kscratch). */
#ifndef OQ_OPS_OP_H
#define OQ_OPS_OP_H

#include "core/error.h"
#include "model/model.h"

#include <math.h>
#include <stddef.h>

struct oq_op_def;
struct oq_threadpool; /* core/pool.h */

/* What init may look at. Everything is borrowed for the duration of the call. */
typedef struct oq_op_init_ctx {
  const oq_model *model;       /* for constant inputs (initializers) and external data */
  const oq_node *node;         /* node being planned (node->proto for attributes) */
  int64_t opset;               /* opset version of the node's domain */
  const struct oq_op_def *def; /* the row being bound (its attribute spec); NULL in some direct test calls */
} oq_op_init_ctx;

/* ---- kernel calls ---------------------------------------------------------------------------------------------- */

struct oq_kernel_call;

/* What the executor provides to a running kernel. Both hooks may be called from the kernel's calling thread only
 * (never from inside oq_parallel_for chunks). */
typedef struct oq_kernel_hooks {
  /* Makes outputs[j] a tensor of dtype/shape whose bytes the executor owns: fresh zeroed memory, input 0's buffer
   * (OQ_OP_FLAG_INPLACE, when input 0 dies at this node) or input 0's bytes themselves (OQ_OP_FLAG_VIEW, output
   * 0 with input 0's dtype and element count). The kernel writes the data (a view already holds it). */
  oq_status (*out)(void *ctx, const struct oq_kernel_call *call, int32_t j, int32_t dtype, int32_t ndim,
                   const int64_t *dims, oq_error *err);
  /* bytes of scratch, valid until exec returns, not zeroed, aligned like malloc; distinct per call of the hook. */
  oq_status (*scratch)(void *ctx, size_t bytes, void **out, oq_error *err);
  /* Scopes: runs subgraph `index` (into the node's oq_node.subgraphs) with the executor's run loop, feeding inputs
   * (the subgraph's graph inputs) and filling outputs (n_outputs zeroed tensors the kernel provides) with its first
   * n_outputs graph outputs as owned tensors the kernel releases (they are not the call's outputs: the kernel
   * delivers them through oq_kout). Outer references of the subgraph read the tensors of the enclosing run. NULL
   * for executors without subgraph support (standalone calls). */
  oq_status (*subgraph)(void *ctx, const struct oq_kernel_call *call, int32_t index, const oq_tensor *const *inputs,
                        int32_t n_inputs, oq_tensor *outputs, int32_t n_outputs, oq_error *err);
} oq_kernel_hooks;

/* A kernel call. inputs[i] is NULL for an omitted optional input. outputs[j] are n_outputs zeroed tensors that
 * only the hooks fill (oq_kout); whatever they hold after exec, also on failure, belongs to the executor. A kernel
 * may split its work over pool with oq_parallel_for, over independent output elements only, so that its results
 * do not depend on the number of threads. A zero-initialized pool / reference runs on one thread with the
 * optimized paths. */
typedef struct oq_kernel_call {
  const void *params; /* from init (may be NULL) */
  const oq_tensor *const *inputs;
  int32_t n_inputs;
  oq_tensor *outputs; /* n_outputs tensors, filled through oq_kout */
  int32_t n_outputs;
  const char *node_name;        /* for messages */
  struct oq_threadpool *pool;   /* borrowed; NULL = run on the calling thread only */
  int32_t reference;            /* 1: use the plain reference twins of the optimized paths (tests) */
  const oq_kernel_hooks *hooks; /* executor's; never NULL when exec runs */
  void *hooks_ctx;              /* first argument of the hooks */
  /* exec/plan.c fusion: an activation the kernel applies to output 0 (kern/cpu.h oq_gemm_act; 0 none) because the
   * node that computed it now only passes output 0 on. Only kernels the plan fuses into see it (Conv). */
  int32_t fused_act;
  float fused_lo, fused_hi;
} oq_kernel_call;

/* Output j of the call with this dtype and shape (see oq_kernel_hooks.out). */
static inline oq_status oq_kout(const oq_kernel_call *call, int32_t j, int32_t dtype, int32_t ndim, const int64_t *dims,
                                oq_error *err) {
  return call->hooks->out(call->hooks_ctx, call, j, dtype, ndim, dims, err);
}

/* bytes of executor-owned scratch in *out (see oq_kernel_hooks.scratch). */
static inline oq_status oq_kscratch(const oq_kernel_call *call, size_t bytes, void **out, oq_error *err) {
  return call->hooks->scratch(call->hooks_ctx, bytes, out, err);
}

/* Runs subgraph index of the node (see oq_kernel_hooks.subgraph). */
static inline oq_status oq_ksubgraph(const oq_kernel_call *call, int32_t index, const oq_tensor *const *inputs,
                                     int32_t n_inputs, oq_tensor *outputs, int32_t n_outputs, oq_error *err) {
  if (!call->hooks->subgraph) OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "the executor runs no subgraphs");
  return call->hooks->subgraph(call->hooks_ctx, call, index, inputs, n_inputs, outputs, n_outputs, err);
}

/* ---- static facts: infer and workspace ------------------------------------------------------------------------ */

/* What is known about a value before a run. dtype 0: unknown; ndim -1: unknown rank; dims[i] -1: unknown extent.
 * value: its data when it is a constant (initializer), else NULL. */
typedef struct oq_shape_info {
  int32_t dtype;             /* oq_dtype or 0 */
  int32_t ndim;              /* rank or -1 */
  int64_t dims[OQ_MAX_DIMS]; /* extents or -1 */
  const oq_tensor *value;    /* borrowed; constant data or NULL */
} oq_shape_info;

/* Fills out[0..n_out) (preset to unknown) from the inputs (NULL for omitted ones). Leaves what is only known at
 * run time unknown; fails only when the inputs cannot be valid for the op (the kernel would fail too). */
typedef oq_status (*oq_op_infer_fn)(const void *params, const oq_shape_info *const *in, int32_t n_in,
                                    oq_shape_info *out, int32_t n_out, oq_error *err);
/* Scratch bytes an exec with these (fully known) input shapes asks oq_kscratch for in total, with threads threads
 * in the pool; SIZE_MAX when it does not fit. */
typedef size_t (*oq_op_workspace_fn)(const void *params, const oq_shape_info *const *in, int32_t n_in, int32_t n_out,
                                     int32_t threads);

typedef oq_status (*oq_op_init_fn)(const oq_op_init_ctx *ctx, void **params, oq_error *err);
typedef oq_status (*oq_op_exec_fn)(const oq_kernel_call *call, oq_error *err);
typedef void (*oq_op_free_fn)(void *params);

/* Flags the executor reads. */
enum {
  OQ_OP_FLAG_NONE = 0,
  OQ_OP_FLAG_VIEW = 1,   /* output 0 is input 0's bytes with another shape (Reshape, Flatten, Identity, ...) */
  OQ_OP_FLAG_INPLACE = 2 /* output 0 may take input 0's buffer when input 0 dies at this node (same dtype, shape) */
};

/* Quantization policy kinds (onnxruntime's QDQ quantizer). Values equal quant/quant.h's oq_quant_kind. */
enum {
  OQ_OP_QUANT_NONE = 0,     /* left in float */
  OQ_OP_QUANT_GENERIC = 1,  /* every float input and output gets Q/DQ with its own range */
  OQ_OP_QUANT_WEIGHTED = 2, /* activation input 0 + output; weight input 1 per channel; int32 bias input 2 */
  OQ_OP_QUANT_MATMUL = 3,   /* initializer inputs per channel (axis 1), others activations */
  OQ_OP_QUANT_DIRECT = 4,   /* output shares input 0's scale/zero point */
  OQ_OP_QUANT_REMOVABLE = 5 /* removed by letting the producer write the output */
};

/* ---- attribute spec ------------------------------------------------------------------------------------------- */

enum { OQ_ATTR_T_INT = 1, OQ_ATTR_T_FLOAT = 2 };

/* One attribute parsed by oq_op_init_attrs into the params struct at offset (int64_t or float field). */
typedef struct oq_attr_field {
  const char *name; /* attribute name */
  int32_t type;     /* OQ_ATTR_T_* */
  double dflt;      /* value when absent */
  double min, max;  /* accepted range (ints and floats), else "attribute X = v is out of range" */
  size_t offset;    /* offsetof the field in the params struct */
} oq_attr_field;

/* A params struct described declaratively: its size and the attributes parsed into it. */
typedef struct oq_attr_spec {
  size_t params_size;          /* bytes of the params struct (0: no params) */
  const oq_attr_field *fields; /* n_fields entries */
  int32_t n_fields;
  /* NULL, or validates the parsed params (and the node, e.g. outputs it does not support) */
  oq_status (*check)(const struct oq_op_init_ctx *ctx, const void *params, oq_error *err);
} oq_attr_spec;

#define OQ_ATTR_INT(st, field, name, dflt, lo, hi) /* int64_t field */                                                 \
  { name, OQ_ATTR_T_INT, dflt, lo, hi, offsetof(st, field) }
#define OQ_ATTR_FLOAT(st, field, name, dflt) /* float field */                                                         \
  { name, OQ_ATTR_T_FLOAT, dflt, -HUGE_VAL, HUGE_VAL, offsetof(st, field) }

/* ---- the table ------------------------------------------------------------------------------------------------ */

/* One row: an op from since_version up to max_opset (the next row's since - 1, or the newest opset whose schema was
 * checked). Invariants (static_assert / registry self-check): rows of one op are adjacent, since increasing, and
 * max_opset >= since_version. */
typedef struct oq_op_def {
  const char *op_type;
  const char *domain;               /* "" for ai.onnx */
  int32_t since_version;            /* used for opsets >= this ... */
  int32_t max_opset;                /* ... up to this; a model above it is refused at load time */
  int32_t min_inputs, max_inputs;   /* accepted input slots (trailing omitted ones dropped) */
  int32_t min_outputs, max_outputs; /* accepted output slots */
  oq_op_init_fn init;               /* never NULL for executable rows */
  oq_op_infer_fn infer;             /* NULL: outputs known only at run time */
  oq_op_workspace_fn workspace;     /* NULL: no scratch */
  oq_op_exec_fn exec;               /* NULL: a policy-only row (the executor refuses the op) */
  oq_op_free_fn free_params;        /* never NULL for executable rows; called with init's params */
  uint32_t flags;                   /* OQ_OP_FLAG_* */
  int32_t quant_kind;               /* OQ_OP_QUANT_* */
  int32_t quant_axis;               /* OQ_OP_QUANT_WEIGHTED: weight axis (-1: Gemm, from transB) */
  int32_t quant_min_opset;          /* below this opset the op stays float */
  const oq_attr_spec *attrs;        /* params spec for oq_op_init_attrs (never NULL; params_size 0 = none) */
} oq_op_def;

/* Shared helpers for rows: no params; params freed with free(). */
oq_status oq_op_init_none(const oq_op_init_ctx *ctx, void **params, oq_error *err);
void oq_op_params_free(void *params);
/* init from the row's attribute spec alone (ctx->def->attrs): calloc's the params and parses every field. */
oq_status oq_op_init_attrs(const oq_op_init_ctx *ctx, void **params, oq_error *err);
/* Most floats of packed constant data a params block keeps (256 MiB); larger inputs are packed every run. */
#define OQ_OP_PACK_MAX_FLOATS ((size_t)1 << 26)
/* Grows the params block *params (head bytes of struct) by room for floats floats (at most OQ_OP_PACK_MAX_FLOATS)
 * starting on a cache line, for a constant input packed once per session (Conv's W, Gemm's B); *room points at it.
 * The room is freed with the params. On failure (no memory) *params is unchanged and still the caller's. */
oq_status oq_op_params_room(void **params, size_t head, size_t floats, float **room, oq_error *err);
/* Parses spec's fields from ctx's node into p (a params struct of spec->params_size bytes). */
oq_status oq_op_parse_attrs(const oq_op_init_ctx *ctx, const oq_attr_spec *spec, void *p, oq_error *err);
extern const oq_attr_spec oq_attrs_none;

typedef enum oq_op_match {
  OQ_OP_FOUND = 0,   /* *row is the executable row */
  OQ_OP_UNKNOWN = 1, /* no executable row for the op, or opset below its first row */
  OQ_OP_TOO_NEW = 2  /* opset above the op's max_opset: *row is the newest row (for its bound) */
} oq_op_match;

/* Resolves (op_type, domain) at opset: the row with the highest since_version <= opset, if opset <= its
 * max_opset. Thread-safe (the hash is built once). */
oq_op_match oq_op_resolve(const char *op_type, const char *domain, int64_t opset, const oq_op_def **row);
/* The executable row for opset, or NULL (unknown, or opset out of the rows' range). */
const oq_op_def *oq_op_find(const char *op_type, const char *domain, int64_t opset);
/* The first row of an op (executable or policy-only) whatever the opset, or NULL: the quantization policy column. */
const oq_op_def *oq_op_first_row(const char *op_type, const char *domain);
/* The whole table, for documentation and checks. */
const oq_op_def *oq_op_table(int32_t *n_rows);

#endif
