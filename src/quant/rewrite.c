/* QDQ rewrite: decides, op by op in graph order, which tensors get QuantizeLinear/DequantizeLinear (onnxruntime's
 * QDQQuantizer.quantize_model), then builds a new ModelProto that shares every unchanged part of the input proto
 * by pointer. New nodes, initializers and strings live in an allocation list freed once the copy is packed. */
#include "quant/quant.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- allocation list ------------------------------------------------------------------------------------------ */

typedef struct alist {
  void **ptrs; /* every allocation, freed by alist_free */
  size_t n, cap;
} alist;

static void *alist_alloc(alist *a, size_t count, size_t size, oq_error *err) {
  if (a->n == a->cap) {
    size_t ncap = a->cap ? a->cap * 2 : 256;
    void **np = oq_malloc_array(ncap, sizeof *np, err);
    if (!np) return NULL;
    if (a->n) memcpy(np, a->ptrs, a->n * sizeof *np);
    free(a->ptrs);
    a->ptrs = np;
    a->cap = ncap;
  }
  void *p = oq_calloc(count ? count : 1, size ? size : 1, err);
  if (p) a->ptrs[a->n++] = p;
  return p;
}

static void alist_free(alist *a) {
  for (size_t i = 0; i < a->n; i++) free(a->ptrs[i]);
  free(a->ptrs);
  memset(a, 0, sizeof *a);
}

static char *alist_printf(alist *a, oq_error *err, const char *fmt, ...) OQ_PRINTF(3, 4);
static char *alist_printf(alist *a, oq_error *err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) {
    oq_error_set(err, OQ_ERR_INTERNAL, __FILE__, __LINE__, "cannot format a name");
    return NULL;
  }
  char *s = alist_alloc(a, (size_t)n + 1, 1, err);
  if (!s) return NULL;
  va_start(ap, fmt);
  vsnprintf(s, (size_t)n + 1, fmt, ap);
  va_end(ap);
  return s;
}

/* ---- state ------------------------------------------------------------------------------------------------------ */

enum { TQ_NONE = 0, TQ_ACT = 1, TQ_WEIGHT = 2, TQ_WEIGHT_PC = 3 };

/* A quantized initializer (weight, or constant input quantized as an activation). */
typedef struct wquant {
  oq_tensor data;     /* decoded float data (may borrow the model's bytes) */
  int32_t axis;       /* channel axis, -1 per tensor */
  int32_t is_signed;  /* 1: int8 symmetric, 0: uint8 asymmetric */
  int32_t nch;        /* channels (1 per tensor) */
  oq_qparams *params; /* owned, nch entries */
} wquant;

/* Everything indexed by value id of the input graph, plus per-node current outputs. */
typedef struct rw {
  const oq_model *model;
  const oq_graph *g;
  const oq_calib_stats *stats;
  int per_channel;
  int64_t opset;
  alist A;            /* proto pieces of the new model */
  uint8_t *has_range; /* calibrated (ranges adjusted like onnxruntime) */
  float *rmin, *rmax; /* ranges */
  uint8_t *tq;        /* TQ_* : onnxruntime's tensors_to_quantize */
  int32_t *tq_axis;   /* TQ_WEIGHT_PC axis */
  int32_t *provider;  /* shared-params source value, -1 none */
  uint8_t *is_bias;   /* registered as a bias */
  int32_t *bias_in;   /* bias: activation input of the node */
  int32_t *bias_w;    /* bias: weight of the node */
  float *bias_beta;   /* bias: Gemm beta */
  int32_t *order;     /* values in first-registration order (tq or bias) */
  int32_t n_order;
  int32_t *prod_node; /* current producer node, -1 none */
  int32_t *prod_slot; /* its output slot */
  int32_t *out_off;   /* per node: offset into cur_out */
  int32_t *cur_out;   /* current output value per node slot */
  uint8_t *removed;   /* per node: removed (Relu/Clip folded) */
  uint8_t *act;       /* final: value gets Q -> DQ as an activation */
  int32_t *root;      /* final: value whose scale/zero point it uses */
  oq_qparams *qp;     /* final: params of activation roots */
  wquant **wq;        /* final: quantized initializers */
  uint8_t *bias_done; /* final: bias quantized */
  int32_t **bias_q;   /* bias data (int32) */
  float **bias_scale; /* bias scales */
  int32_t *bias_n;    /* bias scale count */
  uint8_t *emitted;   /* initializer DQ already placed */
  char **dq_name;     /* name consumers read instead of the value */
  oq_strmap names;    /* every value name of the new graph (collision check) */
} rw;

static const char *vname(const rw *r, int32_t v) { return r->g->values[v].name; }

static int is_init(const rw *r, int32_t v) { return v >= 0 && r->g->values[v].kind == OQ_VALUE_INITIALIZER; }

/* Initializer also listed in graph.input (an overridable default). */
static int listed_input(const rw *r, int32_t v) {
  const Onnx__GraphProto *gp = r->model->proto->graph;
  for (size_t k = 0; k < gp->n_input; k++)
    if (gp->input[k]->name && !strcmp(gp->input[k]->name, r->g->values[v].name)) return 1;
  return 0;
}

static int quantizable(const rw *r, int32_t v) {
  if (v < 0) return 0;
  const oq_value *val = &r->g->values[v];
  if (val->kind == OQ_VALUE_INITIALIZER)
    return val->init && val->init->has_data_type && val->init->data_type == OQ_DTYPE_FLOAT;
  if (val->kind == OQ_VALUE_INPUT && val->is_graph_output) return 0; /* nowhere to put the Q/DQ */
  if (val->dtype == OQ_DTYPE_FLOAT) return 1;
  return val->dtype == OQ_DTYPE_UNDEFINED && r->stats->seen[v] > 0; /* type known from calibration */
}

static void push_order(rw *r, int32_t v) {
  if (r->tq[v] == TQ_NONE && !r->is_bias[v]) r->order[r->n_order++] = v;
}

static void q_act(rw *r, int32_t v) {
  if (!quantizable(r, v) || r->tq[v] != TQ_NONE) return;
  push_order(r, v);
  r->tq[v] = TQ_ACT;
}

static void q_weight(rw *r, int32_t v) {
  if (!quantizable(r, v) || r->tq[v] != TQ_NONE) return;
  push_order(r, v);
  r->tq[v] = TQ_WEIGHT;
}

/* Weight slot of Conv/Gemm/MatMul: per channel only for a float initializer (onnxruntime's is_tensor_per_channel). */
static void q_weight_slot(rw *r, int32_t v, int32_t axis) {
  if (v < 0) return;
  if (is_init(r, v) && r->per_channel) {
    if (!quantizable(r, v)) return;
    push_order(r, v);
    r->tq[v] = TQ_WEIGHT_PC;
    r->tq_axis[v] = axis;
    r->provider[v] = -1;
  } else {
    q_weight(r, v);
  }
}

static void q_same_as_input(rw *r, int32_t out, int32_t in) {
  if (!quantizable(r, out)) return;
  push_order(r, out);
  r->tq[out] = TQ_ACT;
  r->provider[out] = in;
}

static void q_bias(rw *r, int32_t b, int32_t in, int32_t w, float beta) {
  if (b < 0 || !is_init(r, b) || !quantizable(r, b) || r->is_bias[b]) return;
  /* Its DequantizeLinear produces the bias's own name, which must then not be a graph input or output. */
  if (r->g->values[b].is_graph_output || listed_input(r, b)) return;
  push_order(r, b);
  r->is_bias[b] = 1;
  r->bias_in[b] = in;
  r->bias_w[b] = w;
  r->bias_beta[b] = beta;
}

static int is_quantized(const rw *r, int32_t v) { return v >= 0 && (r->tq[v] != TQ_NONE || r->is_bias[v]); }

/* onnxruntime's try_replacing_upstream_output: the producer of `up` writes `outv` directly. */
static int try_replace_upstream(rw *r, int32_t up, int32_t outv) {
  const oq_value *u = &r->g->values[up];
  if (outv < 0 || !r->has_range[outv]) return 0;
  if (u->n_consumers != 1 || u->is_graph_output || u->kind != OQ_VALUE_INTERMEDIATE) return 0;
  int32_t p = r->prod_node[up], s = r->prod_slot[up];
  if (p < 0) return 0;
  r->cur_out[r->out_off[p] + s] = outv;
  r->prod_node[outv] = p;
  r->prod_slot[outv] = s;
  r->prod_node[up] = -1;
  r->tq[up] = TQ_NONE;
  r->provider[up] = -1;
  return 1;
}

static int32_t node_in(const oq_node *n, int32_t i) { return i < n->n_inputs ? n->inputs[i] : -1; }

/* ---- step 1: ranges ------------------------------------------------------------------------------------------ */

static void init_ranges(rw *r) {
  const oq_graph *g = r->g;
  for (int32_t v = 0; v < g->n_values; v++) {
    r->has_range[v] = r->stats->tracked[v] && r->stats->seen[v] > 0;
    r->rmin[v] = r->stats->min[v];
    r->rmax[v] = r->stats->max[v];
  }
  /* onnxruntime's adjust_tensor_ranges, in node order: a Relu/Clip input used only there takes the output's range;
   * Softmax outputs are [0, 1]. */
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const oq_node *node = &g->nodes[n];
    const char *op = node->proto->op_type;
    if (!oq_quant_policy_find(op, node->proto->domain, r->opset) || node->n_outputs < 1) continue;
    int32_t in = node_in(node, 0), out = node->outputs[0];
    if (!strcmp(op, "Relu") || !strcmp(op, "Clip")) {
      if (in < 0 || out < 0 || g->values[in].n_consumers != 1) continue;
      if (!r->has_range[in] || !r->has_range[out]) continue;
      r->rmin[in] = r->rmin[out];
      r->rmax[in] = r->rmax[out];
    } else if (!strcmp(op, "Softmax") && out >= 0) {
      r->has_range[out] = 1;
      r->rmin[out] = 0.0f;
      r->rmax[out] = 1.0f;
    }
  }
}

/* ---- step 2: per-op decisions ---------------------------------------------------------------------------------- */

static oq_status decide(rw *r, oq_error *err) {
  const oq_graph *g = r->g;
  oq_status st = OQ_OK;
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const oq_node *node = &g->nodes[n];
    const Onnx__NodeProto *np = node->proto;
    const oq_quant_policy *pol = oq_quant_policy_find(np->op_type, np->domain, r->opset);
    if (!pol) continue;
    int32_t in0 = node_in(node, 0);
    int32_t out0 = node->n_outputs > 0 ? r->cur_out[r->out_off[n]] : -1;
    switch (pol->kind) {
    case OQ_QUANT_WEIGHTED: {
      int32_t axis = pol->weight_axis;
      float beta = 1.0f;
      int is_gemm = !strcmp(np->op_type, "Gemm");
      if (is_gemm) {
        int64_t tb = 0;
        OQ_CHECK(oq_attr_int(np, "transB", 0, &tb, err));
        OQ_CHECK(oq_attr_float(np, "beta", 1.0f, &beta, err));
        axis = tb ? 0 : 1;
      }
      q_act(r, in0);
      q_act(r, out0);
      q_weight_slot(r, node_in(node, 1), axis);
      int32_t b = node_in(node, 2);
      if (b >= 0 && (!is_gemm || is_init(r, b))) q_bias(r, b, in0, node_in(node, 1), beta);
      break;
    }
    case OQ_QUANT_MATMUL:
      for (int32_t i = 0; i < node->n_inputs; i++) {
        int32_t v = node->inputs[i];
        if (is_init(r, v))
          q_weight_slot(r, v, pol->weight_axis);
        else
          q_act(r, v);
      }
      for (int32_t i = 0; i < node->n_outputs; i++) q_act(r, r->cur_out[r->out_off[n] + i]);
      break;
    case OQ_QUANT_REMOVABLE:
      if (!is_quantized(r, in0)) break;
      if (try_replace_upstream(r, in0, out0))
        r->removed[n] = 1;
      else
        q_act(r, in0);
      q_act(r, out0);
      break;
    case OQ_QUANT_DIRECT:
      if (is_quantized(r, in0)) q_same_as_input(r, out0, in0);
      break;
    case OQ_QUANT_GENERIC:
      for (int32_t i = 0; i < node->n_inputs; i++) q_act(r, node->inputs[i]);
      for (int32_t i = 0; i < node->n_outputs; i++) q_act(r, r->cur_out[r->out_off[n] + i]);
      break;
    default: break;
    }
  }
  return OQ_OK;
fail:
  oq_error_prefix(err, "quantize");
  return st;
}

/* Constant nodes that only fed removed Relu/Clip nodes (Clip's min/max) go too; onnxruntime leaves them dangling
 * and its runtime then warns about unused initializers. */
static void drop_dead_constants(rw *r) {
  const oq_graph *g = r->g;
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const oq_node *node = &g->nodes[n];
    if (r->removed[n] || strcmp(node->proto->op_type ? node->proto->op_type : "", "Constant") != 0) continue;
    if (node->proto->domain && node->proto->domain[0] && strcmp(node->proto->domain, "ai.onnx") != 0) continue;
    int used = 0, fed_removed = 0;
    for (int32_t s = 0; s < node->n_outputs && !used; s++) {
      int32_t v = node->outputs[s];
      if (v < 0) continue;
      if (g->values[v].is_graph_output) used = 1;
      for (int32_t c = 0; c < g->values[v].n_consumers && !used; c++) {
        if (r->removed[g->values[v].consumers[c]])
          fed_removed = 1;
        else
          used = 1;
      }
    }
    if (!used && fed_removed) r->removed[n] = 1;
  }
}

/* ---- step 3: numbers --------------------------------------------------------------------------------------------- */

static void wquant_free(wquant *w) {
  if (!w) return;
  oq_tensor_release(&w->data);
  free(w->params);
  free(w);
}

static oq_status quant_initializer(rw *r, int32_t v, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_value *val = &r->g->values[v];
  wquant *w = oq_calloc(1, sizeof *w, err);
  if (!w) return OQ_ERR_NOMEM;
  OQ_CHECK(oq_model_tensor_decode(r->model, val->init, &w->data, err));
  if (w->data.dtype != OQ_DTYPE_FLOAT)
    OQ_FAIL(err, OQ_ERR_INTERNAL, "initializer '%s' did not decode to float", val->name);
  w->is_signed = r->tq[v] != TQ_ACT;
  w->axis = -1;
  w->nch = 1;
  if (r->tq[v] == TQ_WEIGHT_PC) {
    int32_t axis = r->tq_axis[v];
    if (axis < 0) axis += w->data.ndim;
    /* An axis the tensor does not have (e.g. a 1-D MatMul operand) falls back to per-tensor. */
    if (axis >= 0 && axis < w->data.ndim && w->data.dims[axis] > 0 && w->data.dims[axis] <= INT32_MAX) {
      w->axis = axis;
      w->nch = (int32_t)w->data.dims[axis];
    }
  }
  w->params = oq_calloc((size_t)w->nch, sizeof *w->params, err);
  if (!w->params) {
    st = OQ_ERR_NOMEM;
    goto fail;
  }
  OQ_CHECK(oq_quant_weight_params(w->data.data, w->data.ndim, w->data.dims, w->axis, w->is_signed, w->params, err));
  r->wq[v] = w;
  return OQ_OK;
fail:
  oq_error_prefix(err, "initializer '%s'", val->name);
  wquant_free(w);
  return st;
}

/* Scale of an activation input as a bias sees it; 0 when it has none. */
static float input_scale(const rw *r, int32_t in) {
  if (in < 0) return 0.0f;
  if (r->act[in]) {
    int32_t root = r->root[in];
    return r->wq[root] ? r->wq[root]->params[0].scale : r->qp[root].scale;
  }
  if (r->wq[in] && r->wq[in]->nch == 1) return r->wq[in]->params[0].scale;
  if (r->has_range[in]) return oq_qparams_uint8(r->rmin[in], r->rmax[in]).scale;
  return 0.0f;
}

static oq_status quant_bias(rw *r, int32_t b, int adjust_only, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_value *val = &r->g->values[b];
  int32_t w = r->bias_w[b];
  oq_tensor t = {0};
  if (w < 0 || !r->wq[w] || r->wq[b]) return OQ_OK; /* weight not quantized (or bias taken as a weight): float */
  wquant *wq = r->wq[w];
  float in_scale = input_scale(r, r->bias_in[b]);
  if (!(in_scale > 0.0f)) return OQ_OK;
  OQ_CHECK(oq_model_tensor_decode(r->model, val->init, &t, err));
  int64_t numel = oq_tensor_numel(&t);
  const float *bd = t.data;
  if (wq->axis >= 0 && wq->nch > 1 && (t.ndim != 1 || numel != wq->nch)) goto done; /* shape mismatch: keep float */
  if (wq->axis >= 0 && numel != wq->nch) goto done;
  if (adjust_only) {
    if (wq->axis >= 0) {
      for (int32_t c = 0; c < wq->nch; c++)
        wq->params[c].scale = oq_adjust_weight_scale_for_bias(in_scale, wq->params[c].scale, fabsf(bd[c]));
    } else {
      float absmax = 0.0f;
      for (int64_t i = 0; i < numel; i++)
        if (fabsf(bd[i]) > absmax) absmax = fabsf(bd[i]);
      wq->params[0].scale = oq_adjust_weight_scale_for_bias(in_scale, wq->params[0].scale, absmax);
    }
    goto done;
  }
  int32_t ns = wq->axis >= 0 ? wq->nch : 1;
  int32_t *q = oq_calloc(numel > 0 ? (size_t)numel : 1, sizeof *q, err);
  float *sc = oq_calloc((size_t)ns, sizeof *sc, err);
  if (!q || !sc) {
    free(q);
    free(sc);
    st = OQ_ERR_NOMEM;
    goto fail;
  }
  for (int32_t c = 0; c < ns; c++) sc[c] = oq_bias_scale(in_scale, wq->params[c].scale, r->bias_beta[b]);
  for (int64_t i = 0; i < numel; i++) q[i] = oq_quantize_bias(bd[i], sc[ns > 1 ? i : 0]);
  r->bias_q[b] = q;
  r->bias_scale[b] = sc;
  r->bias_n[b] = ns;
  r->bias_done[b] = 1;
done:
fail:
  oq_tensor_release(&t);
  if (st != OQ_OK) oq_error_prefix(err, "bias '%s'", val->name);
  return st;
}

static oq_status compute_numbers(rw *r, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_graph *g = r->g;
  /* Initializers first (activations may share an initializer's params). */
  for (int32_t k = 0; k < r->n_order; k++) {
    int32_t v = r->order[k];
    if (r->tq[v] != TQ_NONE && is_init(r, v)) OQ_CHECK(quant_initializer(r, v, err));
  }
  /* Activations: own range, or the params of the tensor they share with (onnxruntime's sharing providers). */
  for (int32_t k = 0; k < r->n_order; k++) {
    int32_t v = r->order[k];
    if (r->tq[v] == TQ_NONE || is_init(r, v)) continue;
    int32_t x = v, steps = 0;
    while (r->provider[x] >= 0 && steps++ < g->n_values) x = r->provider[x];
    if (r->provider[x] >= 0 || r->tq[x] == TQ_NONE) continue; /* provider not quantized: stays float */
    if (is_init(r, x)) {
      if (!r->wq[x] || r->wq[x]->nch != 1) continue; /* per-channel params cannot be shared */
    } else if (r->stats->non_float[x]) {
      /* value_info (or an untyped input fed different dtypes) calls it float, the model computes something else */
      OQ_FAIL(err, OQ_ERR_MODEL, "quantize: value '%s' is declared float32 but holds other data when the model runs",
              vname(r, x));
    } else if (!r->has_range[x]) {
      OQ_FAIL(err, OQ_ERR_INTERNAL, "quantize: value '%s' has no calibration range", vname(r, x));
    } else {
      r->qp[x] = oq_qparams_uint8(r->rmin[x], r->rmax[x]);
    }
    r->act[v] = 1;
    r->root[v] = x;
  }
  /* Biases: onnxruntime >= 1.20 first enlarges weight scales that would overflow int32, then quantizes. */
  for (int32_t k = 0; k < r->n_order; k++)
    if (r->is_bias[r->order[k]]) OQ_CHECK(quant_bias(r, r->order[k], 1, err));
  for (int32_t k = 0; k < r->n_order; k++)
    if (r->is_bias[r->order[k]]) OQ_CHECK(quant_bias(r, r->order[k], 0, err));
  return OQ_OK;
fail:
  return st;
}

/* ---- step 4: the new proto ------------------------------------------------------------------------------------ */

static int host_le(void) {
  const uint16_t one = 1;
  return *(const uint8_t *)&one == 1;
}

/* New initializer; data holds count elements of esize bytes in host order, stored little-endian. */
static Onnx__TensorProto *make_tensor(rw *r, const char *name, int32_t dtype, int32_t ndim, const int64_t *dims,
                                      const void *data, size_t count, size_t esize, oq_error *err) {
  Onnx__TensorProto *t = alist_alloc(&r->A, 1, sizeof *t, err);
  if (!t) return NULL;
  onnx__tensor_proto__init(t);
  t->name = (char *)name;
  t->has_data_type = 1;
  t->data_type = dtype;
  if (ndim > 0) {
    t->dims = alist_alloc(&r->A, (size_t)ndim, sizeof *t->dims, err);
    if (!t->dims) return NULL;
    memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
    t->n_dims = (size_t)ndim;
  }
  size_t nbytes;
  if (!oq_size_mul(count, esize, &nbytes)) {
    oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "initializer '%s' too large", name);
    return NULL;
  }
  uint8_t *raw = alist_alloc(&r->A, nbytes, 1, err);
  if (!raw) return NULL;
  if (host_le() || esize == 1) {
    if (nbytes) memcpy(raw, data, nbytes);
  } else {
    const uint8_t *s = data;
    for (size_t i = 0; i < count; i++)
      for (size_t b = 0; b < esize; b++) raw[i * esize + b] = s[i * esize + esize - 1 - b];
  }
  t->has_raw_data = 1;
  t->raw_data.data = raw;
  t->raw_data.len = nbytes;
  return t;
}

static Onnx__NodeProto *make_node(rw *r, const char *op, const char *name, const char *const *in, size_t n_in,
                                  const char *out, int32_t axis, oq_error *err) {
  Onnx__NodeProto *n = alist_alloc(&r->A, 1, sizeof *n, err);
  char **ins = alist_alloc(&r->A, n_in, sizeof *ins, err);
  char **outs = alist_alloc(&r->A, 1, sizeof *outs, err);
  if (!n || !ins || !outs) return NULL;
  onnx__node_proto__init(n);
  n->op_type = (char *)op;
  n->name = (char *)name;
  for (size_t i = 0; i < n_in; i++) ins[i] = (char *)in[i];
  n->input = ins;
  n->n_input = n_in;
  outs[0] = (char *)out;
  n->output = outs;
  n->n_output = 1;
  if (axis >= 0) {
    Onnx__AttributeProto *a = alist_alloc(&r->A, 1, sizeof *a, err);
    Onnx__AttributeProto **aa = alist_alloc(&r->A, 1, sizeof *aa, err);
    if (!a || !aa) return NULL;
    onnx__attribute_proto__init(a);
    a->name = "axis";
    a->has_type = 1;
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    a->has_i = 1;
    a->i = axis;
    aa[0] = a;
    n->attribute = aa;
    n->n_attribute = 1;
  }
  return n;
}

typedef struct out_lists {
  Onnx__NodeProto **nodes;
  size_t n_nodes, cap_nodes;
  Onnx__TensorProto **inits;
  size_t n_inits, cap_inits;
} out_lists;

/* Registers a generated value name; two values with one name would break the graph. */
static oq_status claim_name(rw *r, const char *name, oq_error *err) {
  if (oq_strmap_get(&r->names, name) >= 0)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "quantize: generated name '%s' is already used in the model", name);
  return oq_strmap_put(&r->names, name, 1, err);
}

static oq_status add_node(out_lists *o, Onnx__NodeProto *n, oq_error *err) {
  if (!n) return OQ_ERR_NOMEM;
  if (o->n_nodes == o->cap_nodes) OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "quantize: node list overflow");
  o->nodes[o->n_nodes++] = n;
  return OQ_OK;
}

static oq_status add_init(out_lists *o, Onnx__TensorProto *t, oq_error *err) {
  if (!t) return OQ_ERR_NOMEM;
  if (o->n_inits == o->cap_inits) OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "quantize: initializer list overflow");
  o->inits[o->n_inits++] = t;
  return OQ_OK;
}

/* Scale/zero-point initializers of every activation root and quantized initializer; names of DQ outputs. */
static oq_status make_initializers(rw *r, out_lists *o, oq_error *err) {
  oq_status st = OQ_OK;
  for (int32_t k = 0; k < r->n_order; k++) {
    int32_t v = r->order[k];
    const char *nm = vname(r, v);
    if (r->wq[v]) {
      wquant *w = r->wq[v];
      size_t numel = w->data.nbytes / sizeof(float);
      char *qn = alist_printf(&r->A, err, "%s_quantized", nm);
      char *sn = alist_printf(&r->A, err, "%s_scale", nm);
      char *zn = alist_printf(&r->A, err, "%s_zero_point", nm);
      char *dn = alist_printf(&r->A, err, "%s_DequantizeLinear_Output", nm);
      void *q = alist_alloc(&r->A, numel, 1, err);
      float *s = alist_alloc(&r->A, (size_t)w->nch, sizeof *s, err);
      uint8_t *z = alist_alloc(&r->A, (size_t)w->nch, 1, err);
      if (!qn || !sn || !zn || !dn || !q || !s || !z) return OQ_ERR_NOMEM;
      OQ_CHECK(
          oq_quant_weight_apply(w->data.data, w->data.ndim, w->data.dims, w->axis, w->is_signed, w->params, q, err));
      for (int32_t c = 0; c < w->nch; c++) {
        s[c] = w->params[c].scale;
        z[c] = w->is_signed ? (uint8_t)(int8_t)w->params[c].zero_point : (uint8_t)w->params[c].zero_point;
      }
      int32_t qt = w->is_signed ? OQ_DTYPE_INT8 : OQ_DTYPE_UINT8;
      int64_t cdim = w->nch;
      int32_t sdim = w->axis >= 0 ? 1 : 0;
      OQ_CHECK(claim_name(r, qn, err));
      OQ_CHECK(claim_name(r, sn, err));
      OQ_CHECK(claim_name(r, zn, err));
      OQ_CHECK(claim_name(r, dn, err));
      OQ_CHECK(add_init(o, make_tensor(r, qn, qt, w->data.ndim, w->data.dims, q, numel, 1, err), err));
      OQ_CHECK(add_init(o, make_tensor(r, sn, OQ_DTYPE_FLOAT, sdim, &cdim, s, (size_t)w->nch, 4, err), err));
      OQ_CHECK(add_init(o, make_tensor(r, zn, qt, sdim, &cdim, z, (size_t)w->nch, 1, err), err));
      r->dq_name[v] = dn;
    } else if (r->act[v]) {
      int32_t root = r->root[v];
      if (root == v) {
        char *sn = alist_printf(&r->A, err, "%s_scale", nm);
        char *zn = alist_printf(&r->A, err, "%s_zero_point", nm);
        if (!sn || !zn) return OQ_ERR_NOMEM;
        float s = r->qp[v].scale;
        uint8_t z = (uint8_t)r->qp[v].zero_point;
        OQ_CHECK(claim_name(r, sn, err));
        OQ_CHECK(claim_name(r, zn, err));
        OQ_CHECK(add_init(o, make_tensor(r, sn, OQ_DTYPE_FLOAT, 0, NULL, &s, 1, 4, err), err));
        OQ_CHECK(add_init(o, make_tensor(r, zn, OQ_DTYPE_UINT8, 0, NULL, &z, 1, 1, err), err));
      }
      if (r->g->values[v].is_graph_output) {
        r->dq_name[v] = (char *)nm;
      } else {
        char *dn = alist_printf(&r->A, err, "%s_DequantizeLinear_Output", nm);
        if (!dn) return OQ_ERR_NOMEM;
        OQ_CHECK(claim_name(r, dn, err));
        r->dq_name[v] = dn;
      }
    } else if (r->bias_done[v]) {
      int32_t ns = r->bias_n[v];
      const oq_value *val = &r->g->values[v];
      int64_t numel = 1;
      for (size_t d = 0; d < val->init->n_dims; d++) numel *= val->init->dims[d];
      char *qn = alist_printf(&r->A, err, "%s_quantized", nm);
      char *sn = alist_printf(&r->A, err, "%s_quantized_scale", nm);
      char *zn = alist_printf(&r->A, err, "%s_quantized_zero_point", nm);
      int32_t *z = alist_alloc(&r->A, (size_t)ns, sizeof *z, err);
      if (!qn || !sn || !zn || !z) return OQ_ERR_NOMEM;
      int64_t sd = ns;
      OQ_CHECK(claim_name(r, qn, err));
      OQ_CHECK(claim_name(r, sn, err));
      OQ_CHECK(claim_name(r, zn, err));
      OQ_CHECK(add_init(o,
                        make_tensor(r, qn, OQ_DTYPE_INT32, (int32_t)val->init->n_dims, val->init->dims, r->bias_q[v],
                                    (size_t)numel, 4, err),
                        err));
      /* onnxruntime: scale always 1-D ([1] per tensor), zero point [C] or a scalar. */
      OQ_CHECK(add_init(o, make_tensor(r, sn, OQ_DTYPE_FLOAT, 1, &sd, r->bias_scale[v], (size_t)ns, 4, err), err));
      OQ_CHECK(add_init(o, make_tensor(r, zn, OQ_DTYPE_INT32, ns > 1 ? 1 : 0, &sd, z, (size_t)ns, 4, err), err));
      r->dq_name[v] = (char *)nm;
    }
  }
  return OQ_OK;
fail:
  return st;
}

static const char *scale_of(rw *r, int32_t v, oq_error *err, int zp) {
  int32_t root = r->root[v];
  return alist_printf(&r->A, err, zp ? "%s_zero_point" : "%s_scale", vname(r, root));
}

/* Q -> DQ for activation v; q_in is what the Q node reads. */
static oq_status emit_qdq(rw *r, out_lists *o, int32_t v, const char *q_in, oq_error *err) {
  oq_status st = OQ_OK;
  const char *nm = vname(r, v);
  const char *sn = scale_of(r, v, err, 0), *zn = scale_of(r, v, err, 1);
  char *qo = alist_printf(&r->A, err, "%s_QuantizeLinear_Output", nm);
  char *qnn = alist_printf(&r->A, err, "%s_QuantizeLinear", nm);
  char *dnn = alist_printf(&r->A, err, "%s_DequantizeLinear", nm);
  if (!sn || !zn || !qo || !qnn || !dnn) return OQ_ERR_NOMEM;
  OQ_CHECK(claim_name(r, qo, err));
  const char *qi[3] = {q_in, sn, zn};
  const char *di[3] = {qo, sn, zn};
  OQ_CHECK(add_node(o, make_node(r, "QuantizeLinear", qnn, qi, 3, qo, -1, err), err));
  OQ_CHECK(add_node(o, make_node(r, "DequantizeLinear", dnn, di, 3, r->dq_name[v], -1, err), err));
fail:
  return st;
}

/* DequantizeLinear for a quantized initializer (weight or bias), placed before its first consumer. */
static oq_status emit_init_dq(rw *r, out_lists *o, int32_t v, oq_error *err) {
  oq_status st = OQ_OK;
  const char *nm = vname(r, v);
  int32_t axis = -1;
  char *in[3];
  if (r->wq[v]) {
    axis = r->wq[v]->axis;
    in[0] = alist_printf(&r->A, err, "%s_quantized", nm);
    in[1] = alist_printf(&r->A, err, "%s_scale", nm);
    in[2] = alist_printf(&r->A, err, "%s_zero_point", nm);
  } else {
    axis = r->bias_n[v] > 1 ? 0 : -1;
    in[0] = alist_printf(&r->A, err, "%s_quantized", nm);
    in[1] = alist_printf(&r->A, err, "%s_quantized_scale", nm);
    in[2] = alist_printf(&r->A, err, "%s_quantized_zero_point", nm);
  }
  char *dnn = alist_printf(&r->A, err, "%s_DequantizeLinear", nm);
  if (!in[0] || !in[1] || !in[2] || !dnn) return OQ_ERR_NOMEM;
  OQ_CHECK(
      add_node(o, make_node(r, "DequantizeLinear", dnn, (const char *const *)in, 3, r->dq_name[v], axis, err), err));
  r->emitted[v] = 1;
fail:
  return st;
}

static int init_replaced(const rw *r, int32_t v) { return v >= 0 && (r->wq[v] || r->bias_done[v]); }

/* The original node with inputs/outputs renamed where needed (the same pointer when nothing changes). */
static oq_status emit_node(rw *r, out_lists *o, int32_t n, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_node *node = &r->g->nodes[n];
  const Onnx__NodeProto *np = node->proto;
  for (int32_t i = 0; i < node->n_inputs; i++) {
    int32_t v = node->inputs[i];
    if (init_replaced(r, v) && !r->emitted[v]) OQ_CHECK(emit_init_dq(r, o, v, err));
  }
  int changed = 0;
  for (int32_t i = 0; i < node->n_inputs && !changed; i++) {
    int32_t v = node->inputs[i];
    changed = v >= 0 && (r->act[v] || r->wq[v]) && strcmp(r->dq_name[v], np->input[i]) != 0;
  }
  for (int32_t s = 0; s < node->n_outputs && !changed; s++) {
    int32_t u = r->cur_out[r->out_off[n] + s];
    changed = u != node->outputs[s] || (u >= 0 && r->act[u] && r->g->values[u].is_graph_output);
  }
  if (!changed) return add_node(o, (Onnx__NodeProto *)np, err);
  Onnx__NodeProto *c = alist_alloc(&r->A, 1, sizeof *c, err);
  char **ins = alist_alloc(&r->A, np->n_input, sizeof *ins, err);
  char **outs = alist_alloc(&r->A, np->n_output, sizeof *outs, err);
  if (!c || !ins || !outs) return OQ_ERR_NOMEM;
  *c = *np;
  for (size_t i = 0; i < np->n_input; i++) {
    int32_t v = (int32_t)i < node->n_inputs ? node->inputs[i] : -1;
    ins[i] = (v >= 0 && (r->act[v] || r->wq[v])) ? r->dq_name[v] : np->input[i];
  }
  for (size_t s = 0; s < np->n_output; s++) {
    int32_t u = (int32_t)s < node->n_outputs ? r->cur_out[r->out_off[n] + (int32_t)s] : -1;
    if (u < 0) {
      outs[s] = np->output[s];
    } else if (r->act[u] && r->g->values[u].is_graph_output) {
      outs[s] = alist_printf(&r->A, err, "%s_QuantizeLinear_Input", vname(r, u));
      if (!outs[s]) return OQ_ERR_NOMEM;
      OQ_CHECK(claim_name(r, outs[s], err));
    } else {
      outs[s] = (char *)vname(r, u);
    }
  }
  c->input = ins;
  c->output = outs;
  return add_node(o, c, err);
fail:
  return st;
}

static oq_status build_nodes(rw *r, out_lists *o, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_graph *g = r->g;
  for (int32_t i = 0; i < g->n_inputs; i++) {
    int32_t v = g->inputs[i];
    if (r->act[v]) OQ_CHECK(emit_qdq(r, o, v, vname(r, v), err));
  }
  for (int32_t k = 0; k < g->n_nodes; k++) {
    int32_t n = g->topo[k];
    if (r->removed[n]) continue;
    OQ_CHECK(emit_node(r, o, n, err));
    const oq_node *node = &g->nodes[n];
    const Onnx__NodeProto *emitted = o->nodes[o->n_nodes - 1];
    for (int32_t s = 0; s < node->n_outputs; s++) {
      int32_t u = r->cur_out[r->out_off[n] + s];
      if (u < 0 || !r->act[u]) continue;
      const char *q_in = emitted->output[s];
      OQ_CHECK(emit_qdq(r, o, u, q_in, err));
    }
  }
fail:
  return st;
}

static oq_status put_names(oq_strmap *m, char **names, size_t n, oq_error *err) {
  for (size_t i = 0; i < n; i++)
    if (names[i] && names[i][0]) {
      oq_status st = oq_strmap_put(m, names[i], 1, err);
      if (st != OQ_OK) return st;
    }
  return OQ_OK;
}

/* Opsets at which an operator's inputs, attributes or meaning changed incompatibly (ONNX operator changelog, up to
 * 13): a node written for an earlier opset is invalid or computes something else once the model's opset is raised
 * past one of them (Squeeze-11's axes attribute is an input from 13; Softmax-11 flattens to 2-D, Softmax-13 does
 * not). attr: the change only matters when the node has this attribute (NULL: always). */
static const struct {
  const char *op;
  int32_t since;
  const char *attr;
} k_breaking[] = {
    {"Concat", 4, NULL},
    {"Reshape", 5, NULL},
    {"Cast", 6, NULL},
    {"Tile", 6, NULL},
    {"BatchNormalization", 7, "is_test"},
    {"BatchNormalization", 9, "spatial"},
    {"Gemm", 7, "broadcast"},
    {"Dropout", 7, "is_test"},
    {"Dropout", 10, NULL},
    {"Dropout", 12, "ratio"},
    {"Upsample", 7, NULL},
    {"Slice", 10, NULL},
    {"TopK", 10, NULL},
    {"Clip", 11, "min"},
    {"Clip", 11, "max"},
    {"Pad", 11, NULL},
    {"Resize", 11, NULL},
    {"Resize", 13, NULL},
    {"Squeeze", 13, "axes"},
    {"Unsqueeze", 13, "axes"},
    {"Split", 13, "split"},
    {"ReduceSum", 13, "axes"},
    {"Softmax", 13, NULL},
    {"LogSoftmax", 13, NULL},
    {"Hardmax", 13, NULL},
};

/* Attributes that opset 6 and 7 dropped from many operators (element-wise legacy attributes). */
static const struct {
  const char *attr;
  int32_t since;
} k_dropped_attrs[] = {{"consumed_inputs", 6}, {"broadcast", 7}, {"axis", 7}};

static int has_attr(const Onnx__NodeProto *np, const char *name) {
  for (size_t i = 0; i < np->n_attribute; i++)
    if (np->attribute[i] && np->attribute[i]->name && !strcmp(np->attribute[i]->name, name)) return 1;
  return 0;
}

/* Whether node n's meaning changes between opsets from (exclusive) and to (inclusive). */
static int node_breaks(const Onnx__NodeProto *np, int64_t from, int64_t to) {
  if (!np->op_type) return 0;
  for (size_t k = 0; k < sizeof k_breaking / sizeof k_breaking[0]; k++)
    if (!strcmp(np->op_type, k_breaking[k].op) && from < k_breaking[k].since && k_breaking[k].since <= to &&
        (!k_breaking[k].attr || has_attr(np, k_breaking[k].attr)))
      return 1;
  /* element-wise legacy attributes; "axis" only for the binary ops that used it with broadcast */
  int binary = !strcmp(np->op_type, "Add") || !strcmp(np->op_type, "Sub") || !strcmp(np->op_type, "Mul") ||
               !strcmp(np->op_type, "Div") || !strcmp(np->op_type, "Pow") || !strcmp(np->op_type, "And") ||
               !strcmp(np->op_type, "Or") || !strcmp(np->op_type, "Xor") || !strcmp(np->op_type, "Equal") ||
               !strcmp(np->op_type, "Greater") || !strcmp(np->op_type, "Less");
  for (size_t k = 0; k < sizeof k_dropped_attrs / sizeof k_dropped_attrs[0]; k++) {
    if (!strcmp(k_dropped_attrs[k].attr, "axis") && !binary) continue;
    if (from < k_dropped_attrs[k].since && k_dropped_attrs[k].since <= to && has_attr(np, k_dropped_attrs[k].attr))
      return 1;
  }
  return 0;
}

/* First node of the default domain whose meaning changes between opsets from and to, or -1. */
static int32_t breaking_node(const rw *r, int64_t from, int64_t to) {
  for (int32_t n = 0; n < r->g->n_nodes; n++) {
    const Onnx__NodeProto *np = r->g->nodes[n].proto;
    if (np->domain && np->domain[0] && strcmp(np->domain, "ai.onnx") != 0) continue;
    if (node_breaks(np, from, to)) return n;
  }
  return -1;
}

/* The default-domain opset of the result. Raised to 13 (per-axis DequantizeLinear) as onnxruntime does, unless that
 * would silently change a node's meaning: then per-tensor results keep the model's opset (QuantizeLinear exists
 * from 10), and anything else is refused naming the node. */
static oq_status target_opset(const rw *r, int64_t *out, oq_error *err) {
  int64_t from = r->opset;
  *out = from;
  if (from >= 13) return OQ_OK;
  int32_t bad = breaking_node(r, from, 13);
  if (bad < 0) {
    *out = 13;
    return OQ_OK;
  }
  int per_axis = 0;
  for (int32_t v = 0; v < r->g->n_values && !per_axis; v++)
    per_axis = (r->wq[v] && r->wq[v]->axis >= 0) || (r->bias_done[v] && r->bias_n[v] > 1);
  if (!per_axis && from >= 10) return OQ_OK;
  const Onnx__NodeProto *np = r->g->nodes[bad].proto;
  OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED,
                "quantize: %s needs opset %d, but the model has opset %lld and node '%s' (%s) would change meaning "
                "if it were raised; re-export the model at opset 13%s",
                per_axis ? "per-channel quantization" : "QuantizeLinear", per_axis ? 13 : 10, (long long)from,
                np->name ? np->name : "", np->op_type ? np->op_type : "",
                per_axis && from >= 10 ? " or use per-tensor quantization" : "");
}

/* Assembles the copy: graph/model shallow copies around the new lists; drops value_info of vanished values. */
static oq_status build_model(rw *r, out_lists *o, Onnx__ModelProto **out, oq_error *err) {
  oq_status st = OQ_OK;
  const Onnx__ModelProto *mp = r->model->proto;
  const Onnx__GraphProto *gp = mp->graph;
  oq_strmap live = {0};
  /* Initializers: the originals that are still used, then the new ones. */
  Onnx__TensorProto **inits = alist_alloc(&r->A, gp->n_initializer + o->n_inits, sizeof *inits, err);
  if (!inits) return OQ_ERR_NOMEM;
  size_t ni = 0;
  for (size_t i = 0; i < gp->n_initializer; i++) {
    const Onnx__TensorProto *t = gp->initializer[i];
    int32_t v = t->name ? oq_graph_find(r->g, t->name) : -1;
    /* A quantized float initializer goes (its DequantizeLinear replaces it) unless the graph exposes it. */
    if (v >= 0 && v < r->g->n_values && r->g->values[v].init == t && init_replaced(r, v) &&
        !r->g->values[v].is_graph_output && !listed_input(r, v))
      continue;
    inits[ni++] = (Onnx__TensorProto *)t;
  }
  for (size_t i = 0; i < o->n_inits; i++) inits[ni++] = o->inits[i];

  OQ_CHECK(oq_strmap_init(&live, o->n_nodes * 2 + ni + 16, err));
  for (size_t i = 0; i < o->n_nodes; i++) {
    OQ_CHECK(put_names(&live, o->nodes[i]->input, o->nodes[i]->n_input, err));
    OQ_CHECK(put_names(&live, o->nodes[i]->output, o->nodes[i]->n_output, err));
  }
  for (size_t i = 0; i < ni; i++) OQ_CHECK(put_names(&live, &inits[i]->name, 1, err));
  for (size_t i = 0; i < gp->n_input; i++) OQ_CHECK(put_names(&live, &gp->input[i]->name, 1, err));
  for (size_t i = 0; i < gp->n_output; i++) OQ_CHECK(put_names(&live, &gp->output[i]->name, 1, err));
  Onnx__ValueInfoProto **vis = alist_alloc(&r->A, gp->n_value_info, sizeof *vis, err);
  if (!vis) {
    st = OQ_ERR_NOMEM;
    goto fail;
  }
  size_t nv = 0;
  for (size_t i = 0; i < gp->n_value_info; i++) {
    Onnx__ValueInfoProto *vi = gp->value_info[i];
    if (vi->name && oq_strmap_get(&live, vi->name) >= 0) vis[nv++] = vi;
  }

  Onnx__GraphProto *ng = alist_alloc(&r->A, 1, sizeof *ng, err);
  Onnx__ModelProto *nm = alist_alloc(&r->A, 1, sizeof *nm, err);
  Onnx__OperatorSetIdProto **ops = alist_alloc(&r->A, mp->n_opset_import + 1, sizeof *ops, err);
  Onnx__OperatorSetIdProto *def = alist_alloc(&r->A, 1, sizeof *def, err);
  if (!ng || !nm || !ops || !def) {
    st = OQ_ERR_NOMEM;
    goto fail;
  }
  *ng = *gp;
  ng->node = o->nodes;
  ng->n_node = o->n_nodes;
  ng->initializer = inits;
  ng->n_initializer = ni;
  ng->value_info = vis;
  ng->n_value_info = nv;
  *nm = *mp;
  nm->graph = ng;
  /* Per-axis DequantizeLinear needs opset 13 (IR version 7). */
  int64_t target;
  OQ_CHECK(target_opset(r, &target, err));
  int found = 0;
  size_t nops = 0;
  for (size_t i = 0; i < mp->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *op = mp->opset_import[i];
    int is_default = !op->domain || !op->domain[0] || !strcmp(op->domain, "ai.onnx");
    if (is_default && !found) {
      found = 1;
      *def = *op;
      def->has_version = 1;
      if (!op->has_version || op->version < target) def->version = target;
      ops[nops++] = def;
    } else {
      ops[nops++] = (Onnx__OperatorSetIdProto *)op;
    }
  }
  if (!found) {
    onnx__operator_set_id_proto__init(def);
    def->domain = "";
    def->has_version = 1;
    def->version = target > 13 ? target : 13;
    ops[nops++] = def;
  }
  nm->opset_import = ops;
  nm->n_opset_import = nops;
  if (nm->has_ir_version && nm->ir_version < 7) nm->ir_version = 7;
  *out = nm;
fail:
  oq_strmap_free(&live);
  return st;
}

/* ---- entry ------------------------------------------------------------------------------------------------------- */

static void rw_free(rw *r) {
  const oq_graph *g = r->g;
  if (r->wq)
    for (int32_t v = 0; v < g->n_values; v++) wquant_free(r->wq[v]);
  if (r->bias_q)
    for (int32_t v = 0; v < g->n_values; v++) {
      free(r->bias_q[v]);
      free(r->bias_scale[v]);
    }
  free(r->has_range);
  free(r->rmin);
  free(r->rmax);
  free(r->tq);
  free(r->tq_axis);
  free(r->provider);
  free(r->is_bias);
  free(r->bias_in);
  free(r->bias_w);
  free(r->bias_beta);
  free(r->order);
  free(r->prod_node);
  free(r->prod_slot);
  free(r->out_off);
  free(r->cur_out);
  free(r->removed);
  free(r->act);
  free(r->root);
  free(r->qp);
  free(r->wq);
  free(r->bias_done);
  free(r->bias_q);
  free(r->bias_scale);
  free(r->bias_n);
  free(r->emitted);
  free(r->dq_name);
  oq_strmap_free(&r->names);
  alist_free(&r->A);
}

oq_status oq_quant_rewrite(const oq_model *model, const oq_calib_stats *stats, const oq_quant_options *opts,
                           oq_model **out, oq_error *err) {
  oq_status st = OQ_OK;
  rw r;
  out_lists o = {0};
  uint8_t *buf = NULL;
  size_t size = 0;
  memset(&r, 0, sizeof r);
  if (!model || !stats || !out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_quant_rewrite: NULL argument");
  *out = NULL;
  const oq_graph *g = &model->graph;
  if (stats->n_values != g->n_values)
    OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "calibration statistics do not match the model (%d vs %d values)",
                  stats->n_values, g->n_values);
  r.model = model;
  r.g = g;
  r.stats = stats;
  r.per_channel = opts ? opts->per_channel != 0 : 1;
  r.opset = oq_graph_opset(g, "");

  size_t nv = g->n_values > 0 ? (size_t)g->n_values : 1, nn = g->n_nodes > 0 ? (size_t)g->n_nodes : 1;
  size_t n_slots = 0;
  for (int32_t n = 0; n < g->n_nodes; n++) n_slots += (size_t)g->nodes[n].n_outputs;
#define ALLOC(field, count)                                                                                            \
  if (!(r.field = oq_calloc((count), sizeof *r.field, err))) goto nomem
  ALLOC(has_range, nv);
  ALLOC(rmin, nv);
  ALLOC(rmax, nv);
  ALLOC(tq, nv);
  ALLOC(tq_axis, nv);
  ALLOC(provider, nv);
  ALLOC(is_bias, nv);
  ALLOC(bias_in, nv);
  ALLOC(bias_w, nv);
  ALLOC(bias_beta, nv);
  ALLOC(order, nv);
  ALLOC(prod_node, nv);
  ALLOC(prod_slot, nv);
  ALLOC(out_off, nn);
  ALLOC(cur_out, n_slots ? n_slots : 1);
  ALLOC(removed, nn);
  ALLOC(act, nv);
  ALLOC(root, nv);
  ALLOC(qp, nv);
  ALLOC(wq, nv);
  ALLOC(bias_done, nv);
  ALLOC(bias_q, nv);
  ALLOC(bias_scale, nv);
  ALLOC(bias_n, nv);
  ALLOC(emitted, nv);
  ALLOC(dq_name, nv);
#undef ALLOC
  for (int32_t v = 0; v < g->n_values; v++) {
    r.provider[v] = -1;
    r.prod_node[v] = g->values[v].producer;
    r.prod_slot[v] = -1;
  }
  {
    int32_t off = 0;
    for (int32_t n = 0; n < g->n_nodes; n++) {
      r.out_off[n] = off;
      for (int32_t s = 0; s < g->nodes[n].n_outputs; s++) {
        int32_t v = g->nodes[n].outputs[s];
        r.cur_out[off + s] = v;
        if (v >= 0) r.prod_slot[v] = s;
      }
      off += g->nodes[n].n_outputs;
    }
  }
  OQ_CHECK(oq_strmap_init(&r.names, nv * 4, err));
  for (int32_t v = 0; v < g->n_values; v++) OQ_CHECK(oq_strmap_put(&r.names, g->values[v].name, 1, err));

  init_ranges(&r);
  OQ_CHECK(decide(&r, err));
  drop_dead_constants(&r);
  OQ_CHECK(compute_numbers(&r, err));

  /* Upper bounds: per value at most Q + DQ (activation) or one DQ (initializer); three initializers each. */
  size_t cap;
  if (!oq_size_mul(nv, 3, &cap) || !oq_size_add(cap, nn, &cap)) goto nomem;
  o.cap_nodes = o.cap_inits = cap;
  o.nodes = alist_alloc(&r.A, cap, sizeof *o.nodes, err);
  o.inits = alist_alloc(&r.A, cap, sizeof *o.inits, err);
  if (!o.nodes || !o.inits) goto nomem;
  OQ_CHECK(make_initializers(&r, &o, err));
  OQ_CHECK(build_nodes(&r, &o, err));
  Onnx__ModelProto *nm = NULL;
  OQ_CHECK(build_model(&r, &o, &nm, err));
  OQ_CHECK(oq_model_pack(nm, &buf, &size, err));
  rw_free(&r);
  Onnx__ModelProto *proto = onnx__model_proto__unpack(NULL, size, buf);
  free(buf);
  buf = NULL;
  if (!proto) OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "quantize: the rewritten model does not unpack");
  return oq_model_wrap(proto, model->path, model->dir, out, err);
nomem:
  st = OQ_ERR_NOMEM;
  if (err && err->code == OQ_OK) oq_error_set(err, st, __FILE__, __LINE__, "quantize: out of memory");
fail:
  free(buf);
  rw_free(&r);
  return st;
}
