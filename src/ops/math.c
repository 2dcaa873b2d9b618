/* Elementwise math beyond the float32 activations: the inverse and hyperbolic trigonometric functions and Tan,
 * IsInf, IsNaN, Shrink, BitShift, and Det. Generic over the float dtypes (computed in double, stored back rounded),
 * so float16 and double inputs run too. */
#include "ops/broadcast.h"
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct math_params {
  int32_t fn;        /* M_* */
  float bias, lambd; /* Shrink */
  int64_t neg, pos;  /* IsInf detect_negative / detect_positive */
  int32_t right;     /* BitShift direction RIGHT */
} math_params;

enum { M_ACOS, M_ACOSH, M_ASIN, M_ASINH, M_ATAN, M_ATANH, M_COSH, M_SINH, M_TAN, M_ISINF, M_ISNAN, M_SHRINK };

static const struct {
  const char *op;
  int32_t fn;
} k_math_ops[] = {{"Acos", M_ACOS}, {"Acosh", M_ACOSH}, {"Asin", M_ASIN},   {"Asinh", M_ASINH},
                  {"Atan", M_ATAN}, {"Atanh", M_ATANH}, {"Cosh", M_COSH},   {"Sinh", M_SINH},
                  {"Tan", M_TAN},   {"IsInf", M_ISINF}, {"IsNaN", M_ISNAN}, {"Shrink", M_SHRINK}};

oq_status oq_op_math_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  math_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  const char *op = ctx->node->proto->op_type;
  p->fn = -1;
  for (size_t i = 0; i < sizeof k_math_ops / sizeof k_math_ops[0]; i++)
    if (strcmp(op, k_math_ops[i].op) == 0) p->fn = k_math_ops[i].fn;
  OQ_CHECK(oq_attr_float(ctx->node->proto, "bias", 0.0f, &p->bias, err));
  OQ_CHECK(oq_attr_float(ctx->node->proto, "lambd", 0.5f, &p->lambd, err));
  OQ_CHECK(oq_attr_int(ctx->node->proto, "detect_negative", 1, &p->neg, err));
  OQ_CHECK(oq_attr_int(ctx->node->proto, "detect_positive", 1, &p->pos, err));
  if (strcmp(op, "BitShift") == 0) {
    const char *dir = NULL;
    size_t len = 0;
    OQ_CHECK(oq_attr_string(ctx->node->proto, "direction", "", &dir, &len, err));
    if (len == 5 && memcmp(dir, "RIGHT", 5) == 0)
      p->right = 1;
    else if (!(len == 4 && memcmp(dir, "LEFT", 4) == 0))
      OQ_FAIL(err, OQ_ERR_MODEL, "direction must be LEFT or RIGHT");
  } else if (p->fn < 0) {
    OQ_FAIL(err, OQ_ERR_INTERNAL, "math init bound to %s", op);
  }
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

static double apply(const math_params *p, double x) {
  switch (p->fn) {
  case M_ACOS: return acos(x);
  case M_ACOSH: return acosh(x);
  case M_ASIN: return asin(x);
  case M_ASINH: return asinh(x);
  case M_ATAN: return atan(x);
  case M_ATANH: return atanh(x);
  case M_COSH: return cosh(x);
  case M_SINH: return sinh(x);
  case M_TAN: return tan(x);
  case M_ISINF: return isinf(x) && ((x > 0 && p->pos) || (x < 0 && p->neg));
  case M_ISNAN: return isnan(x);
  case M_SHRINK: return x < -p->lambd ? x + p->bias : x > p->lambd ? x - p->bias : 0.0;
  default: return 0.0;
  }
}

oq_status oq_op_math_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const math_params *p = call->params;
  const oq_tensor *x = call->inputs[0];
  int pred = p->fn == M_ISINF || p->fn == M_ISNAN;
  if (!(p->fn == M_SHRINK ? oq_dtype_is_numeric(x->dtype) : oq_dtype_is_float(x->dtype)))
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "input type %s is not supported", oq_dtype_name(x->dtype));
  int32_t dt = pred ? OQ_DTYPE_BOOL : x->dtype;
  OQ_CHECK(oq_kout(call, 0, dt, x->ndim, x->dims, err));
  int64_t n = oq_tensor_numel(x);
  void *y = call->outputs[0].data;
  if (x->dtype == OQ_DTYPE_FLOAT && !pred) {
    const float *xs = x->data;
    float *ys = y;
    for (int64_t i = 0; i < n; i++) ys[i] = (float)apply(p, xs[i]);
    return OQ_OK;
  }
  for (int64_t i = 0; i < n; i++) oq_store_f64(y, dt, i, apply(p, oq_load_f64(x->data, x->dtype, i)));
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_math_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                           int32_t n_out, oq_error *err) {
  const math_params *p = params;
  (void)n_in;
  (void)n_out;
  (void)err;
  if (!p || !in[0] || in[0]->ndim < 0) return OQ_OK;
  oq_info_set(&out[0], (p->fn == M_ISINF || p->fn == M_ISNAN) ? OQ_DTYPE_BOOL : in[0]->dtype, in[0]->ndim, in[0]->dims);
  return OQ_OK;
}

/* ---- BitShift: unsigned integers, broadcast ---- */

typedef struct shift_ctx {
  const oq_tensor *a, *b;
  oq_tensor *y;
  int right;
} shift_ctx;

static void shift_row(void *ctx, int64_t out_off, const int64_t *in_off, const int64_t *in_step, int64_t n) {
  const shift_ctx *c = ctx;
  for (int64_t i = 0; i < n; i++) {
    uint64_t v = (uint64_t)oq_load_i64(c->a->data, c->a->dtype, in_off[0] + i * in_step[0]);
    uint64_t s = (uint64_t)oq_load_i64(c->b->data, c->b->dtype, in_off[1] + i * in_step[1]);
    uint64_t r = s >= 64 ? 0 : c->right ? v >> s : v << s;
    oq_store_i64(c->y->data, c->y->dtype, out_off + i, (int64_t)r);
  }
}

oq_status oq_op_bitshift_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const math_params *p = call->params;
  const oq_tensor *ins[2] = {call->inputs[0], call->inputs[1]};
  int32_t dt = ins[0]->dtype;
  if ((dt != OQ_DTYPE_UINT8 && dt != OQ_DTYPE_UINT16 && dt != OQ_DTYPE_UINT32 && dt != OQ_DTYPE_UINT64) ||
      ins[1]->dtype != dt)
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "BitShift takes two tensors of one unsigned integer type");
  int32_t nd;
  int64_t dims[OQ_MAX_DIMS];
  OQ_CHECK(oq_bcast_shape(ins, 2, &nd, dims, call->node_name, err));
  OQ_CHECK(oq_kout(call, 0, dt, nd, dims, err));
  oq_bcast b;
  oq_bcast_plan(&b, ins, 2, nd, dims);
  shift_ctx c = {ins[0], ins[1], &call->outputs[0], p->right};
  oq_bcast_run(&b, shift_row, &c);
  return OQ_OK;
fail:
  return st;
}

/* ---- Det: [..., M, M] -> [...], LU with partial pivoting in double ---- */

oq_status oq_op_det_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_tensor *x = call->inputs[0];
  if (!oq_dtype_is_float(x->dtype)) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "Det needs a float input");
  if (x->ndim < 2 || x->dims[x->ndim - 1] != x->dims[x->ndim - 2])
    OQ_FAIL(err, OQ_ERR_SHAPE, "Det needs square matrices in the last two dims");
  int64_t m = x->dims[x->ndim - 1];
  OQ_CHECK(oq_kout(call, 0, x->dtype, x->ndim - 2, x->dims, err));
  int64_t batch = oq_tensor_numel(&call->outputs[0]);
  size_t bytes;
  if (!oq_size_mul((size_t)m, (size_t)m * sizeof(double), &bytes)) OQ_FAIL(err, OQ_ERR_NOMEM, "matrix too large");
  void *scratch;
  OQ_CHECK(oq_kscratch(call, bytes ? bytes : 1, &scratch, err));
  double *a = scratch;
  for (int64_t b = 0; b < batch; b++) {
    for (int64_t i = 0; i < m * m; i++) a[i] = oq_load_f64(x->data, x->dtype, b * m * m + i);
    double det = 1.0;
    for (int64_t c = 0; c < m; c++) {
      int64_t piv = c;
      for (int64_t r = c + 1; r < m; r++)
        if (fabs(a[r * m + c]) > fabs(a[piv * m + c])) piv = r;
      if (a[piv * m + c] == 0.0) {
        det = 0.0;
        break;
      }
      if (piv != c) {
        for (int64_t k = 0; k < m; k++) {
          double t = a[c * m + k];
          a[c * m + k] = a[piv * m + k];
          a[piv * m + k] = t;
        }
        det = -det;
      }
      det *= a[c * m + c];
      for (int64_t r = c + 1; r < m; r++) {
        double f = a[r * m + c] / a[c * m + c];
        for (int64_t k = c; k < m; k++) a[r * m + k] -= f * a[c * m + k];
      }
    }
    oq_store_f64(call->outputs[0].data, x->dtype, b, det);
  }
  return OQ_OK;
fail:
  return st;
}
