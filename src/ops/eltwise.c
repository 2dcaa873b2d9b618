/* Elementwise kernels with NumPy broadcasting: arithmetic (Add, Sub, Mul, Div, Pow, Mod), variadic Max/Min/Sum/
 * Mean, PRelu, comparisons and logic (-> bool), Not and Where. Arithmetic on integers wraps (computed in uint64)
 * and integer division by zero is an error rather than a trap. */
#include "kern/cpu.h"
#include "ops/broadcast.h"
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include "core/pool.h"

#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stdlib.h>
#include <string.h>

typedef struct bin_ctx {
  const void *a; /* first operand data */
  const void *b; /* second operand data */
  void *out;     /* output data */
  int32_t dtype; /* operand dtype */
  int32_t btype; /* second operand dtype (Pow only) */
  int32_t otype; /* output dtype (Pow only) */
  int64_t fmod;  /* Mod: 1 = C fmod semantics, 0 = sign of divisor */
  int zero;      /* set when an integer division by zero was met */
} bin_ctx;

/* One row of a binary op; x and y are the operands, EXPR the result. Step cases: both contiguous, a repeated,
 * b repeated. */
#define ROW(TI, TO, EXPR)                                                                                              \
  do {                                                                                                                 \
    const TI *A = (const TI *)c->a + io[0];                                                                            \
    const TI *B = (const TI *)c->b + io[1];                                                                            \
    TO *O = (TO *)c->out + oo;                                                                                         \
    if (is[0] == 1 && is[1] == 1) {                                                                                    \
      for (int64_t i = 0; i < n; i++) {                                                                                \
        TI x = A[i], y = B[i];                                                                                         \
        O[i] = (TO)(EXPR);                                                                                             \
      }                                                                                                                \
    } else if (is[0] == 0) {                                                                                           \
      TI x = A[0];                                                                                                     \
      int64_t sb = is[1];                                                                                              \
      for (int64_t i = 0; i < n; i++) {                                                                                \
        TI y = B[i * sb];                                                                                              \
        O[i] = (TO)(EXPR);                                                                                             \
      }                                                                                                                \
    } else {                                                                                                           \
      TI y = B[0];                                                                                                     \
      for (int64_t i = 0; i < n; i++) {                                                                                \
        TI x = A[i];                                                                                                   \
        O[i] = (TO)(EXPR);                                                                                             \
      }                                                                                                                \
    }                                                                                                                  \
  } while (0)

/* Integer division and modulo that never trap. */
#define DEF_SDIV(T)                                                                                                    \
  static inline T div_##T(T x, T y, int *zero) {                                                                       \
    if (y == 0) {                                                                                                      \
      *zero = 1;                                                                                                       \
      return 0;                                                                                                        \
    }                                                                                                                  \
    if (y == -1) return (T)(0 - (uint64_t)x);                                                                          \
    return (T)(x / y);                                                                                                 \
  }                                                                                                                    \
  static inline T mod_##T(T x, T y, int64_t cmod, int *zero) {                                                         \
    if (y == 0) {                                                                                                      \
      *zero = 1;                                                                                                       \
      return 0;                                                                                                        \
    }                                                                                                                  \
    if (y == -1) return 0;                                                                                             \
    T r = (T)(x % y);                                                                                                  \
    if (!cmod && r != 0 && ((r < 0) != (y < 0))) r = (T)(r + y);                                                       \
    return r;                                                                                                          \
  }
#define DEF_UDIV(T)                                                                                                    \
  static inline T div_##T(T x, T y, int *zero) {                                                                       \
    if (y == 0) {                                                                                                      \
      *zero = 1;                                                                                                       \
      return 0;                                                                                                        \
    }                                                                                                                  \
    return (T)(x / y);                                                                                                 \
  }                                                                                                                    \
  static inline T mod_##T(T x, T y, int64_t cmod, int *zero) {                                                         \
    (void)cmod;                                                                                                        \
    if (y == 0) {                                                                                                      \
      *zero = 1;                                                                                                       \
      return 0;                                                                                                        \
    }                                                                                                                  \
    return (T)(x % y);                                                                                                 \
  }
DEF_SDIV(int8_t)
DEF_SDIV(int16_t)
DEF_SDIV(int32_t)
DEF_SDIV(int64_t)
DEF_UDIV(uint8_t)
DEF_UDIV(uint16_t)
DEF_UDIV(uint32_t)
DEF_UDIV(uint64_t)

static inline float fmod_py_f(float x, float y) { return fmodf(x, y); }
static inline double fmod_py_d(double x, double y) { return fmod(x, y); }

/* Defines a row function over all numeric types: FEXPR for float/double, IEXPR(T) for integers. */
#define DEF_ARITH_ROW(name, FEXPR, DEXPR, IEXPR)                                                                       \
  static void name(void *vc, int64_t oo, const int64_t *io, const int64_t *is, int64_t n) {                            \
    bin_ctx *c = vc;                                                                                                   \
    switch (c->dtype) {                                                                                                \
    case OQ_DTYPE_FLOAT: ROW(float, float, FEXPR); break;                                                              \
    case OQ_DTYPE_DOUBLE: ROW(double, double, DEXPR); break;                                                           \
    case OQ_DTYPE_INT8: ROW(int8_t, int8_t, IEXPR(int8_t)); break;                                                     \
    case OQ_DTYPE_INT16: ROW(int16_t, int16_t, IEXPR(int16_t)); break;                                                 \
    case OQ_DTYPE_INT32: ROW(int32_t, int32_t, IEXPR(int32_t)); break;                                                 \
    case OQ_DTYPE_INT64: ROW(int64_t, int64_t, IEXPR(int64_t)); break;                                                 \
    case OQ_DTYPE_UINT8: ROW(uint8_t, uint8_t, IEXPR(uint8_t)); break;                                                 \
    case OQ_DTYPE_UINT16: ROW(uint16_t, uint16_t, IEXPR(uint16_t)); break;                                             \
    case OQ_DTYPE_UINT32: ROW(uint32_t, uint32_t, IEXPR(uint32_t)); break;                                             \
    case OQ_DTYPE_UINT64: ROW(uint64_t, uint64_t, IEXPR(uint64_t)); break;                                             \
    default: break;                                                                                                    \
    }                                                                                                                  \
  }

#define ADD_I(T) (T)((uint64_t)x + (uint64_t)y)
#define SUB_I(T) (T)((uint64_t)x - (uint64_t)y)
#define MUL_I(T) (T)((uint64_t)x * (uint64_t)y)
#define DIV_I(T) div_##T(x, y, &c->zero)
#define MOD_I(T) mod_##T(x, y, c->fmod, &c->zero)
#define MAX_I(T) (x > y ? x : y)
#define MIN_I(T) (x < y ? x : y)

DEF_ARITH_ROW(row_add, x + y, x + y, ADD_I)
DEF_ARITH_ROW(row_sub, x - y, x - y, SUB_I)
DEF_ARITH_ROW(row_mul, x *y, x *y, MUL_I)
DEF_ARITH_ROW(row_div, x / y, x / y, DIV_I)
DEF_ARITH_ROW(row_mod, fmod_py_f(x, y), fmod_py_d(x, y), MOD_I)
/* NaN propagates, as in numpy.maximum */
DEF_ARITH_ROW(row_max, (x > y || x != x) ? x : y, (x > y || x != x) ? x : y, MAX_I)
DEF_ARITH_ROW(row_min, (x < y || x != x) ? x : y, (x < y || x != x) ? x : y, MIN_I)

/* Comparisons write bool (uint8); bool operands compare as uint8. */
#define DEF_CMP_ROW(name, EXPR)                                                                                        \
  static void name(void *vc, int64_t oo, const int64_t *io, const int64_t *is, int64_t n) {                            \
    bin_ctx *c = vc;                                                                                                   \
    switch (c->dtype) {                                                                                                \
    case OQ_DTYPE_FLOAT: ROW(float, uint8_t, EXPR); break;                                                             \
    case OQ_DTYPE_DOUBLE: ROW(double, uint8_t, EXPR); break;                                                           \
    case OQ_DTYPE_INT8: ROW(int8_t, uint8_t, EXPR); break;                                                             \
    case OQ_DTYPE_INT16: ROW(int16_t, uint8_t, EXPR); break;                                                           \
    case OQ_DTYPE_INT32: ROW(int32_t, uint8_t, EXPR); break;                                                           \
    case OQ_DTYPE_INT64: ROW(int64_t, uint8_t, EXPR); break;                                                           \
    case OQ_DTYPE_BOOL:                                                                                                \
    case OQ_DTYPE_UINT8: ROW(uint8_t, uint8_t, EXPR); break;                                                           \
    case OQ_DTYPE_UINT16: ROW(uint16_t, uint8_t, EXPR); break;                                                         \
    case OQ_DTYPE_UINT32: ROW(uint32_t, uint8_t, EXPR); break;                                                         \
    case OQ_DTYPE_UINT64: ROW(uint64_t, uint8_t, EXPR); break;                                                         \
    default: break;                                                                                                    \
    }                                                                                                                  \
  }

DEF_CMP_ROW(row_eq, x == y)
DEF_CMP_ROW(row_lt, x < y)
DEF_CMP_ROW(row_gt, x > y)
DEF_CMP_ROW(row_le, x <= y)
DEF_CMP_ROW(row_ge, x >= y)

static void row_and(void *vc, int64_t oo, const int64_t *io, const int64_t *is, int64_t n) {
  bin_ctx *c = vc;
  ROW(uint8_t, uint8_t, (x != 0) & (y != 0));
}
static void row_or(void *vc, int64_t oo, const int64_t *io, const int64_t *is, int64_t n) {
  bin_ctx *c = vc;
  ROW(uint8_t, uint8_t, (x != 0) | (y != 0));
}
static void row_xor(void *vc, int64_t oo, const int64_t *io, const int64_t *is, int64_t n) {
  bin_ctx *c = vc;
  ROW(uint8_t, uint8_t, (x != 0) ^ (y != 0));
}

static void row_prelu(void *vc, int64_t oo, const int64_t *io, const int64_t *is, int64_t n) {
  bin_ctx *c = vc;
  if (c->dtype == OQ_DTYPE_FLOAT)
    ROW(float, float, x < 0 ? x * y : x);
  else
    ROW(double, double, x < 0 ? x * y : x);
}

/* Pow over mixed types through double: rare in models, so one generic path. */
static void row_pow(void *vc, int64_t oo, const int64_t *io, const int64_t *is, int64_t n) {
  bin_ctx *c = vc;
  if (c->dtype == OQ_DTYPE_FLOAT && c->btype == OQ_DTYPE_FLOAT) {
    ROW(float, float, powf(x, y));
    return;
  }
  for (int64_t i = 0; i < n; i++) {
    double x = oq_load_f64(c->a, c->dtype, io[0] + i * is[0]);
    double y = oq_load_f64(c->b, c->btype, io[1] + i * is[1]);
    oq_store_f64(c->out, c->otype, oo + i, pow(x, y));
  }
}

/* Float Add/Sub/Mul/Div rows with SSE (x86-64's baseline): the same IEEE operation per element as the scalar loop,
 * so the same bits; GCC at -O2 leaves the generic loops scalar (the output may alias an input). */
#define FROW(name, OP, VOP)                                                                                            \
  static void name(void *vc, int64_t oo, const int64_t *io, const int64_t *is, int64_t n) {                            \
    bin_ctx *c = vc;                                                                                                   \
    const float *A = (const float *)c->a + io[0], *B = (const float *)c->b + io[1];                                    \
    float *O = (float *)c->out + oo;                                                                                   \
    int64_t i = 0;                                                                                                     \
    if (is[0] == 1 && is[1] == 1) {                                                                                    \
      FROW_SIMD(VOP(_mm_loadu_ps(A + i), _mm_loadu_ps(B + i)))                                                         \
      for (; i < n; i++) O[i] = A[i] OP B[i];                                                                          \
    } else if (is[0] == 0 && is[1] == 1) {                                                                             \
      const float x = A[0];                                                                                            \
      FROW_SIMD(VOP(_mm_set1_ps(x), _mm_loadu_ps(B + i)))                                                              \
      for (; i < n; i++) O[i] = x OP B[i];                                                                             \
    } else if (is[0] == 1 && is[1] == 0) {                                                                             \
      const float y = B[0];                                                                                            \
      FROW_SIMD(VOP(_mm_loadu_ps(A + i), _mm_set1_ps(y)))                                                              \
      for (; i < n; i++) O[i] = A[i] OP y;                                                                             \
    } else {                                                                                                           \
      for (; i < n; i++) O[i] = A[i * is[0]] OP B[i * is[1]];                                                          \
    }                                                                                                                  \
  }
#if defined(__SSE2__)
#define FROW_SIMD(EXPR)                                                                                                \
  for (; i + 4 <= n; i += 4) _mm_storeu_ps(O + i, EXPR);
#else
#define FROW_SIMD(EXPR)
#endif
FROW(frow_add, +, _mm_add_ps)
FROW(frow_sub, -, _mm_sub_ps)
FROW(frow_mul, *, _mm_mul_ps)
FROW(frow_div, /, _mm_div_ps)

/* The SIMD level's rows (kern/cpu.h oq_bin_row_fn: the same IEEE operation per element) where each operand is a row
 * or a broadcast scalar; other strides take the loops above. */
#define VROW(name, OPI, FALLBACK)                                                                                      \
  static void name(void *vc, int64_t oo, const int64_t *io, const int64_t *is, int64_t n) {                            \
    bin_ctx *c = vc;                                                                                                   \
    if ((is[0] == 0 || is[0] == 1) && (is[1] == 0 || is[1] == 1)) {                                                    \
      oq_simd_get()->bin_row(OPI, (const float *)c->a + io[0], (size_t)is[0], (const float *)c->b + io[1],             \
                             (size_t)is[1], (float *)c->out + oo, (size_t)n);                                          \
      return;                                                                                                          \
    }                                                                                                                  \
    FALLBACK(vc, oo, io, is, n);                                                                                       \
  }
VROW(vrow_add, 0, frow_add)
VROW(vrow_sub, 1, frow_sub)
VROW(vrow_mul, 2, frow_mul)
VROW(vrow_div, 3, frow_div)

/* A float binary op split over the pool in pieces of rows: each element is computed alone, so any split gives the
 * same bits. */
typedef struct fbin_job {
  const oq_bcast *plan;
  oq_bcast_row_fn fn;
  bin_ctx *c;
} fbin_job;

#define FBIN_PIECE 8192 /* elements per piece */
/* elements below which a chunk is not worth a thread: one operation per element (~0.1 ns), and a parallel_for costs
 * ~10 us on 2 shared vCPUs (a 75k-element Add was slower on 2 threads than on 1) */
#define FBIN_MIN_ELEMS ((int64_t)1 << 17)

static oq_status fbin_items(void *ctx, int64_t i0, int64_t i1) {
  const fbin_job *j = ctx;
  oq_bcast_run_items(j->plan, FBIN_PIECE, i0, i1, j->fn, j->c);
  return OQ_OK;
}

typedef enum type_class {
  TC_ARITH, /* float, double, all ints */
  TC_FLOAT, /* float, double */
  TC_CMP,   /* arithmetic types and bool */
  TC_BOOL   /* bool only */
} type_class;

static int type_ok(int32_t dtype, type_class tc) {
  switch (dtype) {
  case OQ_DTYPE_FLOAT:
  case OQ_DTYPE_DOUBLE: return tc != TC_BOOL;
  case OQ_DTYPE_INT8:
  case OQ_DTYPE_INT16:
  case OQ_DTYPE_INT32:
  case OQ_DTYPE_INT64:
  case OQ_DTYPE_UINT8:
  case OQ_DTYPE_UINT16:
  case OQ_DTYPE_UINT32:
  case OQ_DTYPE_UINT64: return tc == TC_ARITH || tc == TC_CMP;
  case OQ_DTYPE_BOOL: return tc == TC_CMP || tc == TC_BOOL;
  default: return 0;
  }
}

/* Output = fn(a, b) broadcast; out_dtype 0 means a's dtype. */
static oq_status binary_exec(const oq_kernel_call *call, oq_error *err, const char *op, oq_bcast_row_fn fn,
                             type_class tc, int32_t out_dtype, int64_t fmod) {
  oq_status st = OQ_OK;
  const char *node = call->node_name;
  const oq_tensor *a = oq_kin(call, 0), *b = oq_kin(call, 1);
  oq_tensor *out = &call->outputs[0];
  if (!a || !b || call->n_outputs < 1) OQ_KFAIL(node, OQ_ERR_MODEL, "%s needs two inputs and one output", op);
  int is_pow = fn == row_pow;
  if (!is_pow && a->dtype != b->dtype)
    OQ_KFAIL(node, OQ_ERR_SHAPE, "%s operands differ in type: %s and %s", op, oq_dtype_name(a->dtype),
             oq_dtype_name(b->dtype));
  if (!type_ok(a->dtype, tc) || (is_pow && !type_ok(b->dtype, TC_ARITH)))
    OQ_KFAIL(node, OQ_ERR_UNSUPPORTED, "%s does not support %s", op, oq_dtype_name(is_pow ? b->dtype : a->dtype));
  const oq_tensor *ins[2] = {a, b};
  int32_t ndim;
  int64_t dims[OQ_MAX_DIMS];
  OQ_CHECK(oq_bcast_shape(ins, 2, &ndim, dims, node, err));
  OQ_CHECK(oq_kout(call, 0, out_dtype ? out_dtype : a->dtype, ndim, dims, err));
  oq_bcast plan;
  oq_bcast_plan(&plan, ins, 2, ndim, dims);
  bin_ctx c = {a->data, b->data, out->data, a->dtype, b->dtype, out->dtype, fmod, 0};
  oq_bcast_row_fn ffn = fn == row_add   ? (call->reference ? frow_add : vrow_add)
                        : fn == row_sub ? (call->reference ? frow_sub : vrow_sub)
                        : fn == row_mul ? (call->reference ? frow_mul : vrow_mul)
                        : fn == row_div ? (call->reference ? frow_div : vrow_div)
                                        : NULL;
  if (ffn && a->dtype == OQ_DTYPE_FLOAT) {
    int64_t items = oq_bcast_items(&plan, FBIN_PIECE), chunks = plan.numel / FBIN_MIN_ELEMS;
    fbin_job j = {&plan, ffn, &c};
    return oq_parallel_for_max(call->pool, items,
                               chunks < 1      ? 1
                               : chunks > 1024 ? 1024
                                               : (int32_t)chunks,
                               fbin_items, &j);
  }
  oq_bcast_run(&plan, fn, &c);
  if (c.zero) OQ_KFAIL(node, OQ_ERR_MODEL, "%s: integer division by zero", op);
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_add_exec(const oq_kernel_call *call, oq_error *err) {
  return binary_exec(call, err, "Add", row_add, TC_ARITH, 0, 0);
}
oq_status oq_op_sub_exec(const oq_kernel_call *call, oq_error *err) {
  return binary_exec(call, err, "Sub", row_sub, TC_ARITH, 0, 0);
}
oq_status oq_op_mul_exec(const oq_kernel_call *call, oq_error *err) {
  return binary_exec(call, err, "Mul", row_mul, TC_ARITH, 0, 0);
}
oq_status oq_op_div_exec(const oq_kernel_call *call, oq_error *err) {
  return binary_exec(call, err, "Div", row_div, TC_ARITH, 0, 0);
}
oq_status oq_op_pow_exec(const oq_kernel_call *call, oq_error *err) {
  return binary_exec(call, err, "Pow", row_pow, TC_ARITH, 0, 0);
}
oq_status oq_op_prelu_exec(const oq_kernel_call *call, oq_error *err) {
  return binary_exec(call, err, "PRelu", row_prelu, TC_FLOAT, 0, 0);
}
oq_status oq_op_equal_exec(const oq_kernel_call *call, oq_error *err) {
  return binary_exec(call, err, "Equal", row_eq, TC_CMP, OQ_DTYPE_BOOL, 0);
}
oq_status oq_op_less_exec(const oq_kernel_call *call, oq_error *err) {
  return binary_exec(call, err, "Less", row_lt, TC_CMP, OQ_DTYPE_BOOL, 0);
}
oq_status oq_op_greater_exec(const oq_kernel_call *call, oq_error *err) {
  return binary_exec(call, err, "Greater", row_gt, TC_CMP, OQ_DTYPE_BOOL, 0);
}
oq_status oq_op_less_equal_exec(const oq_kernel_call *call, oq_error *err) {
  return binary_exec(call, err, "LessOrEqual", row_le, TC_CMP, OQ_DTYPE_BOOL, 0);
}
oq_status oq_op_greater_equal_exec(const oq_kernel_call *call, oq_error *err) {
  return binary_exec(call, err, "GreaterOrEqual", row_ge, TC_CMP, OQ_DTYPE_BOOL, 0);
}
oq_status oq_op_and_exec(const oq_kernel_call *call, oq_error *err) {
  return binary_exec(call, err, "And", row_and, TC_BOOL, 0, 0);
}
oq_status oq_op_or_exec(const oq_kernel_call *call, oq_error *err) {
  return binary_exec(call, err, "Or", row_or, TC_BOOL, 0, 0);
}
oq_status oq_op_xor_exec(const oq_kernel_call *call, oq_error *err) {
  return binary_exec(call, err, "Xor", row_xor, TC_BOOL, 0, 0);
}

typedef struct mod_params {
  int64_t fmod; /* 1: result has the dividend's sign (C fmod); 0: the divisor's sign (Python %) */
} mod_params;

static const oq_attr_field k_mod_fields[] = {OQ_ATTR_INT(mod_params, fmod, "fmod", 0, -HUGE_VAL, HUGE_VAL)};
const oq_attr_spec oq_attrs_mod = {sizeof(mod_params), k_mod_fields, 1, NULL};

oq_status oq_op_mod_exec(const oq_kernel_call *call, oq_error *err) {
  const mod_params *p = call->params;
  return binary_exec(call, err, "Mod", row_mod, TC_ARITH, 0, p ? p->fmod : 0);
}

/* Max/Min/Sum/Mean: output = broadcast of all inputs; accumulates in place (the output is operand a). */
static oq_status variadic_exec(const oq_kernel_call *call, oq_error *err, const char *op, oq_bcast_row_fn fn,
                               int mean) {
  oq_status st = OQ_OK;
  const char *node = call->node_name;
  oq_tensor *out = &call->outputs[0];
  if (call->n_inputs < 1 || call->n_outputs < 1) OQ_KFAIL(node, OQ_ERR_MODEL, "%s needs inputs", op);
  const oq_tensor *ins[OQ_BCAST_MAX_IN];
  int32_t ndim = 0;
  int64_t dims[OQ_MAX_DIMS];
  int32_t dtype = call->inputs[0] ? call->inputs[0]->dtype : 0;
  for (int32_t k = 0; k < call->n_inputs; k++) {
    const oq_tensor *t = call->inputs[k];
    if (!t) OQ_KFAIL(node, OQ_ERR_MODEL, "%s input %d is missing", op, (int)k);
    if (t->dtype != dtype)
      OQ_KFAIL(node, OQ_ERR_SHAPE, "%s inputs differ in type: %s and %s", op, oq_dtype_name(dtype),
               oq_dtype_name(t->dtype));
    /* running shape: broadcast pairwise so any number of inputs works */
    oq_tensor acc = {0};
    acc.ndim = ndim;
    memcpy(acc.dims, dims, sizeof dims);
    const oq_tensor *pair[2] = {&acc, t};
    if (k == 0) {
      ndim = t->ndim;
      memcpy(dims, t->dims, sizeof dims);
    } else {
      OQ_CHECK(oq_bcast_shape(pair, 2, &ndim, dims, node, err));
    }
  }
  if (!type_ok(dtype, mean ? TC_FLOAT : TC_ARITH))
    OQ_KFAIL(node, OQ_ERR_UNSUPPORTED, "%s does not support %s", op, oq_dtype_name(dtype));
  OQ_CHECK(oq_kout(call, 0, dtype, ndim, dims, err));
  oq_bcast_copy(call->inputs[0], out);
  for (int32_t k = 1; k < call->n_inputs; k++) {
    ins[0] = out;
    ins[1] = call->inputs[k];
    oq_bcast plan;
    oq_bcast_plan(&plan, ins, 2, ndim, dims);
    bin_ctx c = {out->data, call->inputs[k]->data, out->data, dtype, dtype, dtype, 0, 0};
    oq_bcast_run(&plan, fn, &c);
  }
  if (mean) {
    int64_t n = oq_tensor_numel(out);
    for (int64_t i = 0; i < n; i++)
      oq_store_f64(out->data, dtype, i, oq_load_f64(out->data, dtype, i) / call->n_inputs);
  }
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_max_exec(const oq_kernel_call *call, oq_error *err) {
  return variadic_exec(call, err, "Max", row_max, 0);
}
oq_status oq_op_min_exec(const oq_kernel_call *call, oq_error *err) {
  return variadic_exec(call, err, "Min", row_min, 0);
}
oq_status oq_op_sum_exec(const oq_kernel_call *call, oq_error *err) {
  return variadic_exec(call, err, "Sum", row_add, 0);
}
oq_status oq_op_mean_exec(const oq_kernel_call *call, oq_error *err) {
  return variadic_exec(call, err, "Mean", row_add, 1);
}

oq_status oq_op_not_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_tensor *x = oq_kin(call, 0);
  oq_tensor *out = &call->outputs[0];
  if (!x) OQ_KFAIL(call->node_name, OQ_ERR_MODEL, "Not needs an input");
  if (x->dtype != OQ_DTYPE_BOOL)
    OQ_KFAIL(call->node_name, OQ_ERR_UNSUPPORTED, "Not does not support %s", oq_dtype_name(x->dtype));
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_BOOL, x->ndim, x->dims, err));
  const uint8_t *s = x->data;
  uint8_t *d = out->data;
  for (size_t i = 0; i < x->nbytes; i++) d[i] = !s[i];
  return OQ_OK;
fail:
  return st;
}

typedef struct where_ctx {
  const uint8_t *cond;        /* bool condition */
  const unsigned char *x, *y; /* value operands */
  unsigned char *out;         /* output */
  size_t esize;               /* bytes per element */
} where_ctx;

#define WHERE_LOOP(T)                                                                                                  \
  do {                                                                                                                 \
    const T *X = (const T *)(const void *)w->x + io[1], *Y = (const T *)(const void *)w->y + io[2];                    \
    T *O = (T *)(void *)w->out + oo;                                                                                   \
    for (int64_t i = 0; i < n; i++) O[i] = C[i * is[0]] ? X[i * is[1]] : Y[i * is[2]];                                 \
  } while (0)

static void row_where(void *vc, int64_t oo, const int64_t *io, const int64_t *is, int64_t n) {
  where_ctx *w = vc;
  const uint8_t *C = w->cond + io[0];
  switch (w->esize) {
  case 1: WHERE_LOOP(uint8_t); break;
  case 2: WHERE_LOOP(uint16_t); break;
  case 4: WHERE_LOOP(uint32_t); break;
  case 8: WHERE_LOOP(uint64_t); break;
  default:
    for (int64_t i = 0; i < n; i++) {
      const unsigned char *src =
          C[i * is[0]] ? w->x + (size_t)(io[1] + i * is[1]) * w->esize : w->y + (size_t)(io[2] + i * is[2]) * w->esize;
      memcpy(w->out + (size_t)(oo + i) * w->esize, src, w->esize);
    }
  }
}

oq_status oq_op_where_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const char *node = call->node_name;
  const oq_tensor *cnd = oq_kin(call, 0), *x = oq_kin(call, 1), *y = oq_kin(call, 2);
  oq_tensor *out = &call->outputs[0];
  if (!cnd || !x || !y) OQ_KFAIL(node, OQ_ERR_MODEL, "Where needs three inputs");
  if (cnd->dtype != OQ_DTYPE_BOOL)
    OQ_KFAIL(node, OQ_ERR_SHAPE, "Where condition must be bool, got %s", oq_dtype_name(cnd->dtype));
  if (x->dtype != y->dtype)
    OQ_KFAIL(node, OQ_ERR_SHAPE, "Where operands differ in type: %s and %s", oq_dtype_name(x->dtype),
             oq_dtype_name(y->dtype));
  size_t esize = oq_dtype_size(x->dtype);
  if (esize == 0) OQ_KFAIL(node, OQ_ERR_UNSUPPORTED, "Where does not support %s", oq_dtype_name(x->dtype));
  const oq_tensor *ins[3] = {cnd, x, y};
  int32_t ndim;
  int64_t dims[OQ_MAX_DIMS];
  OQ_CHECK(oq_bcast_shape(ins, 3, &ndim, dims, node, err));
  OQ_CHECK(oq_kout(call, 0, x->dtype, ndim, dims, err));
  oq_bcast plan;
  oq_bcast_plan(&plan, ins, 3, ndim, dims);
  where_ctx w = {cnd->data, x->data, y->data, out->data, esize};
  oq_bcast_run(&plan, row_where, &w);
  return OQ_OK;
fail:
  return st;
}
