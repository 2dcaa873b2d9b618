/* Helpers shared by the tensor-family kernels. */
#include "ops/tensor_util.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

oq_status oq_kernel_error(oq_error *err, oq_status code, const char *file, int line, const char *node, const char *fmt,
                          ...) {
  if (!err) return code;
  char msg[sizeof err->msg];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  /* The executor prefixes the node's label and op type; the name is kept for direct kernel calls in tests. */
  (void)node;
  return oq_error_set(err, code, file, line, "%s", msg);
}

const char *oq_init_node_name(const oq_op_init_ctx *ctx) {
  if (!ctx || !ctx->node || !ctx->node->proto || !ctx->node->proto->name) return "";
  return ctx->node->proto->name;
}

const Onnx__TensorProto *oq_init_const_input(const oq_op_init_ctx *ctx, int32_t i) {
  if (!ctx || !ctx->model || !ctx->model->graph_built || !ctx->node) return NULL;
  const oq_graph *g = &ctx->model->graph;
  if (ctx->node < g->nodes || ctx->node >= g->nodes + g->n_nodes) return NULL;
  if (i < 0 || ctx->node->n_inputs <= i || ctx->node->inputs[i] < 0) return NULL;
  int32_t id = ctx->node->inputs[i];
  for (int hops = 0; hops < 8; hops++) { /* through Identity nodes: torch shares a repeated weight that way */
    const oq_value *v = &g->values[id];
    if (v->kind == OQ_VALUE_INITIALIZER) return v->init;
    if (v->producer < 0 || v->producer >= g->n_nodes) return NULL;
    const oq_node *pn = &g->nodes[v->producer];
    const char *dom = pn->proto->domain ? pn->proto->domain : "";
    if (strcmp(pn->proto->op_type, "Identity") != 0 || (dom[0] && strcmp(dom, "ai.onnx") != 0) || pn->n_inputs != 1 ||
        pn->inputs[0] < 0)
      return NULL;
    id = pn->inputs[0];
  }
  return NULL;
}

oq_status oq_kin_fixed(const oq_kernel_call *call, int32_t i, const char *op, const oq_tensor **out, oq_error *err) {
  const oq_tensor *t = oq_kin(call, i);
  if (!t) OQ_KRETURN(call->node_name, OQ_ERR_MODEL, "%s input %d is missing", op, (int)i);
  if (oq_dtype_size(t->dtype) == 0)
    OQ_KRETURN(call->node_name, OQ_ERR_UNSUPPORTED, "%s does not support %s tensors", op, oq_dtype_name(t->dtype));
  *out = t;
  return OQ_OK;
}

oq_status oq_read_int_list(const oq_tensor *t, int64_t *out, size_t cap, size_t *n, const char *node, const char *what,
                           oq_error *err) {
  if (t->dtype != OQ_DTYPE_INT64 && t->dtype != OQ_DTYPE_INT32)
    OQ_KRETURN(node, OQ_ERR_UNSUPPORTED, "%s must be int64 or int32, got %s", what, oq_dtype_name(t->dtype));
  if (t->ndim > 1) OQ_KRETURN(node, OQ_ERR_SHAPE, "%s must be 1-D, got rank %d", what, (int)t->ndim);
  int64_t count = oq_tensor_numel(t);
  if (count < 0 || (uint64_t)count > cap)
    OQ_KRETURN(node, OQ_ERR_SHAPE, "%s has %lld values, at most %zu supported", what, (long long)count, cap);
  for (int64_t i = 0; i < count; i++) out[i] = oq_load_i64(t->data, t->dtype, i);
  *n = (size_t)count;
  return OQ_OK;
}

oq_status oq_kout_bytes_of(const oq_kernel_call *call, int32_t j, const oq_tensor *src, int32_t ndim,
                           const int64_t *dims, oq_error *err) {
  oq_status st = oq_kout(call, j, src->dtype, ndim, dims, err);
  if (st != OQ_OK) return st;
  oq_tensor *out = &call->outputs[j];
  if (out->nbytes != src->nbytes)
    OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "reshaped copy of %zu bytes into %zu", src->nbytes, out->nbytes);
  if (src->nbytes && out->data != src->data) memcpy(out->data, src->data, src->nbytes);
  return OQ_OK;
}

int oq_info_known(const oq_shape_info *v) {
  if (!v || v->dtype == 0 || v->ndim < 0 || v->ndim > OQ_MAX_DIMS) return 0;
  for (int32_t i = 0; i < v->ndim; i++)
    if (v->dims[i] < 0) return 0;
  return 1;
}

int oq_info_known_but_batch(const oq_shape_info *v) {
  if (!v || v->dtype == 0 || v->ndim < 1 || v->ndim > OQ_MAX_DIMS) return 0;
  for (int32_t i = 1; i < v->ndim; i++)
    if (v->dims[i] < 0) return 0;
  return 1;
}

void oq_info_tensor(const oq_shape_info *v, oq_tensor *t) {
  memset(t, 0, sizeof *t);
  t->dtype = v->dtype;
  t->ndim = v->ndim;
  memcpy(t->dims, v->dims, sizeof(int64_t) * (size_t)v->ndim);
  if (v->value) {
    t->data = v->value->data;
    t->nbytes = v->value->nbytes;
  }
}

void oq_info_set(oq_shape_info *out, int32_t dtype, int32_t ndim, const int64_t *dims) {
  out->dtype = dtype;
  out->ndim = ndim;
  for (int32_t i = 0; i < OQ_MAX_DIMS; i++) out->dims[i] = i < ndim ? dims[i] : 0;
}

oq_status oq_op_infer_same(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                           int32_t n_out, oq_error *err) {
  (void)params;
  (void)err;
  if (n_in < 1 || !in[0] || in[0]->ndim < 0) return OQ_OK;
  for (int32_t j = 0; j < n_out; j++) {
    oq_info_set(&out[j], j == 0 ? in[0]->dtype : OQ_DTYPE_BOOL, in[0]->ndim, in[0]->dims);
  }
  return OQ_OK;
}

/* Broadcast shape of the inputs in[first..n_in) into out; 0 when some rank is unknown. An unknown extent (-1)
 * broadcast against 1 or another unknown stays unknown, against e > 1 becomes e (a valid model has it 1 or e). */
static int bcast_infos(const oq_shape_info *const *in, int32_t first, int32_t n_in, oq_shape_info *out) {
  int32_t nd = 0;
  for (int32_t k = first; k < n_in; k++) {
    if (!in[k] || in[k]->ndim < 0 || in[k]->ndim > OQ_MAX_DIMS) return 0;
    if (in[k]->ndim > nd) nd = in[k]->ndim;
  }
  int64_t dims[OQ_MAX_DIMS];
  for (int32_t i = 0; i < nd; i++) {
    int64_t d = 1;
    for (int32_t k = first; k < n_in; k++) {
      int32_t off = nd - in[k]->ndim;
      int64_t e = i < off ? 1 : in[k]->dims[i - off];
      if (e == d || e == 1) continue;
      if (e < 0) {
        if (d == 1) d = -1;
        continue;
      }
      if (d > 1) return 0; /* does not broadcast: the kernel will say so */
      d = e;
    }
    dims[i] = d;
  }
  oq_info_set(out, out->dtype, nd, dims);
  return 1;
}

oq_status oq_op_infer_bcast(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                            int32_t n_out, oq_error *err) {
  (void)params;
  (void)err;
  if (n_out < 1 || n_in < 1 || !in[0]) return OQ_OK;
  if (bcast_infos(in, 0, n_in, &out[0])) out[0].dtype = in[0]->dtype;
  return OQ_OK;
}

oq_status oq_op_infer_bcast_bool(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                                 int32_t n_out, oq_error *err) {
  (void)params;
  (void)err;
  if (n_out < 1 || n_in < 1) return OQ_OK;
  if (bcast_infos(in, 0, n_in, &out[0])) out[0].dtype = OQ_DTYPE_BOOL;
  return OQ_OK;
}

oq_status oq_op_infer_where(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                            int32_t n_out, oq_error *err) {
  (void)params;
  (void)err;
  if (n_out < 1 || n_in < 3 || !in[1]) return OQ_OK;
  if (bcast_infos(in, 0, n_in, &out[0])) out[0].dtype = in[1]->dtype;
  return OQ_OK;
}

/* IEEE half <-> float, round to nearest even. */
static float half_to_float(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu, bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else { /* subnormal: value = man * 2^-24 */
      float f = ldexpf((float)man, -24);
      return sign ? -f : f;
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (man << 13);
  } else {
    bits = sign | ((exp + 112) << 23) | (man << 13);
  }
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

static uint16_t float_to_half(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000u);
  uint32_t ax = x & 0x7fffffffu;
  if (ax >= 0x7f800000u) return (uint16_t)(sign | 0x7c00u | (ax > 0x7f800000u ? 0x200u : 0));
  if (ax >= 0x477ff000u) return (uint16_t)(sign | 0x7c00u); /* rounds to >= 65520: infinity */
  if (ax < 0x38800000u) {                                   /* below the smallest normal half: subnormal */
    float a;
    memcpy(&a, &ax, 4);
    float scaled = a * 16777216.0f; /* 2^24: units of the smallest subnormal */
    return (uint16_t)(sign | (uint16_t)nearbyintf(scaled));
  }
  uint32_t e = (ax >> 23) - 112, m = ax & 0x7fffffu;
  uint32_t h = (e << 10) | (m >> 13);
  uint32_t rest = m & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (h & 1u))) h++;
  return (uint16_t)(sign | h);
}

static float bf16_to_float(uint16_t h) {
  uint32_t bits = (uint32_t)h << 16;
  float f;
  memcpy(&f, &bits, 4);
  return f;
}

static uint16_t float_to_bf16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((x >> 16) | 0x40u);
  uint32_t lsb = (x >> 16) & 1u;
  x += 0x7fffu + lsb;
  return (uint16_t)(x >> 16);
}

int oq_dtype_is_float(int32_t dtype) {
  return dtype == OQ_DTYPE_FLOAT || dtype == OQ_DTYPE_DOUBLE || dtype == OQ_DTYPE_FLOAT16 || dtype == OQ_DTYPE_BFLOAT16;
}

int oq_dtype_is_numeric(int32_t dtype) {
  switch (dtype) {
  case OQ_DTYPE_FLOAT:
  case OQ_DTYPE_DOUBLE:
  case OQ_DTYPE_FLOAT16:
  case OQ_DTYPE_BFLOAT16:
  case OQ_DTYPE_INT8:
  case OQ_DTYPE_INT16:
  case OQ_DTYPE_INT32:
  case OQ_DTYPE_INT64:
  case OQ_DTYPE_UINT8:
  case OQ_DTYPE_UINT16:
  case OQ_DTYPE_UINT32:
  case OQ_DTYPE_UINT64:
  case OQ_DTYPE_BOOL: return 1;
  default: return 0;
  }
}

double oq_load_f64(const void *data, int32_t dtype, int64_t i) {
  switch (dtype) {
  case OQ_DTYPE_FLOAT: return ((const float *)data)[i];
  case OQ_DTYPE_DOUBLE: return ((const double *)data)[i];
  case OQ_DTYPE_FLOAT16: return half_to_float(((const uint16_t *)data)[i]);
  case OQ_DTYPE_BFLOAT16: return bf16_to_float(((const uint16_t *)data)[i]);
  case OQ_DTYPE_UINT64: return (double)((const uint64_t *)data)[i];
  default: return (double)oq_load_i64(data, dtype, i);
  }
}

int64_t oq_load_i64(const void *data, int32_t dtype, int64_t i) {
  switch (dtype) {
  case OQ_DTYPE_INT8: return ((const int8_t *)data)[i];
  case OQ_DTYPE_INT16: return ((const int16_t *)data)[i];
  case OQ_DTYPE_INT32: return ((const int32_t *)data)[i];
  case OQ_DTYPE_INT64: return ((const int64_t *)data)[i];
  case OQ_DTYPE_UINT8: return ((const uint8_t *)data)[i];
  case OQ_DTYPE_BOOL: return ((const uint8_t *)data)[i] != 0;
  case OQ_DTYPE_UINT16: return ((const uint16_t *)data)[i];
  case OQ_DTYPE_UINT32: return ((const uint32_t *)data)[i];
  case OQ_DTYPE_UINT64: return (int64_t)((const uint64_t *)data)[i];
  default: {
    /* a type neither loader knows (float8, a fuzzed model's input): 0, not oq_load_f64, which would come back here
     * until the stack overflows */
    if (!oq_dtype_is_float(dtype)) return 0;
    double v = oq_load_f64(data, dtype, i);
    if (!(v == v)) return 0;
    if (v >= 9223372036854775807.0) return INT64_MAX;
    if (v <= -9223372036854775808.0) return INT64_MIN;
    return (int64_t)v;
  }
  }
}

/* Saturating double -> integer in [lo, hi]; NaN -> 0. */
static int64_t sat_i64(double v, double lo, double hi) {
  if (!(v == v)) return 0;
  if (v <= lo) return (int64_t)lo;
  if (v >= hi) return hi >= 9223372036854775807.0 ? INT64_MAX : (int64_t)hi;
  return (int64_t)v;
}

void oq_store_f64(void *data, int32_t dtype, int64_t i, double v) {
  switch (dtype) {
  case OQ_DTYPE_FLOAT: ((float *)data)[i] = (float)v; break;
  case OQ_DTYPE_DOUBLE: ((double *)data)[i] = v; break;
  case OQ_DTYPE_FLOAT16: ((uint16_t *)data)[i] = float_to_half((float)v); break;
  case OQ_DTYPE_BFLOAT16: ((uint16_t *)data)[i] = float_to_bf16((float)v); break;
  case OQ_DTYPE_BOOL: ((uint8_t *)data)[i] = v != 0.0; break;
  case OQ_DTYPE_INT8: ((int8_t *)data)[i] = (int8_t)sat_i64(v, INT8_MIN, INT8_MAX); break;
  case OQ_DTYPE_INT16: ((int16_t *)data)[i] = (int16_t)sat_i64(v, INT16_MIN, INT16_MAX); break;
  case OQ_DTYPE_INT32: ((int32_t *)data)[i] = (int32_t)sat_i64(v, INT32_MIN, INT32_MAX); break;
  case OQ_DTYPE_INT64: ((int64_t *)data)[i] = sat_i64(v, -9223372036854775808.0, 9223372036854775807.0); break;
  case OQ_DTYPE_UINT8: ((uint8_t *)data)[i] = (uint8_t)sat_i64(v, 0, UINT8_MAX); break;
  case OQ_DTYPE_UINT16: ((uint16_t *)data)[i] = (uint16_t)sat_i64(v, 0, UINT16_MAX); break;
  case OQ_DTYPE_UINT32: ((uint32_t *)data)[i] = (uint32_t)sat_i64(v, 0, UINT32_MAX); break;
  case OQ_DTYPE_UINT64: {
    uint64_t u = 0;
    if (v == v && v > 0) u = v >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)v;
    ((uint64_t *)data)[i] = u;
    break;
  }
  default: break;
  }
}

void oq_store_i64(void *data, int32_t dtype, int64_t i, int64_t v) {
  switch (dtype) {
  case OQ_DTYPE_INT8: ((int8_t *)data)[i] = (int8_t)v; break;
  case OQ_DTYPE_INT16: ((int16_t *)data)[i] = (int16_t)v; break;
  case OQ_DTYPE_INT32: ((int32_t *)data)[i] = (int32_t)v; break;
  case OQ_DTYPE_INT64: ((int64_t *)data)[i] = v; break;
  case OQ_DTYPE_UINT8: ((uint8_t *)data)[i] = (uint8_t)v; break;
  case OQ_DTYPE_BOOL: ((uint8_t *)data)[i] = v != 0; break;
  case OQ_DTYPE_UINT16: ((uint16_t *)data)[i] = (uint16_t)v; break;
  case OQ_DTYPE_UINT32: ((uint32_t *)data)[i] = (uint32_t)v; break;
  case OQ_DTYPE_UINT64: ((uint64_t *)data)[i] = (uint64_t)v; break;
  default: oq_store_f64(data, dtype, i, (double)v); break;
  }
}

const char *oq_shape_str(int32_t ndim, const int64_t *dims, char *buf, size_t size) {
  size_t pos = 0;
  int w = snprintf(buf, size, "[");
  if (w > 0) pos = (size_t)w;
  for (int32_t i = 0; i < ndim && pos < size; i++) {
    w = snprintf(buf + pos, size - pos, i ? ",%lld" : "%lld", (long long)dims[i]);
    if (w > 0) pos += (size_t)w;
  }
  if (pos < size) snprintf(buf + pos, size - pos, "]");
  return buf;
}
