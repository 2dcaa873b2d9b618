/* The planner: fills the quantization plan of a graph in two steps, without building any proto.
 *
 *   decide   onnxruntime's QDQQuantizer.quantize_model: calibrated ranges adjusted per op (Relu/Clip inputs take
 *            the output's range, Softmax outputs are [0, 1]), then op by op in graph order what the policy row
 *            says: which values are quantized, as what type, per channel or not, which share another's scale,
 *            which are biases, which Relu/Clip nodes are folded into their producer.
 *   number   scales and zero points (weights from their data, activations from their ranges, shared ones from the
 *            end of their share chain), onnxruntime >= 1.20's weight-scale adjustment for int32 biases, the
 *            quantized weight and bias bytes, and the opset of the result.
 *
 * The emitter (emit.c) turns the plan into protos without deciding anything. */
#include "quant/qplan.h"

#include "calib/range.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* The types onnxruntime's quantize_static uses by default (QUInt8 activations, QInt8 weights); weights are
 * symmetric, activations are not. */
#define ACT_QTYPE    OQ_QTYPE_UINT8
#define WEIGHT_QTYPE OQ_QTYPE_INT8

/* Planner state next to the plan: ranges and the producer map the decisions edit, decoded float weights. */
typedef struct planner {
  const oq_model *model;
  const oq_graph *g;
  const oq_calib_stats *stats;
  const oq_quant_options *opts; /* the caller's, defaults filled in; borrowed */
  int per_channel;              /* option: weights per output channel */
  int64_t opset;                /* default-domain opset of the input */
  oq_qplan *p;                  /* the plan being filled */
  uint8_t *has_range;           /* per value: calibrated (or set by a rule) */
  float *rmin, *rmax;           /* per value: range */
  int32_t *prod_node;           /* per value: current producer node, -1 none */
  int32_t *prod_slot;           /* per value: its output slot */
  oq_tensor *wdata;             /* per record: decoded float data of a quantized initializer */
} planner;

static const char *const k_rule_names[OQ_QRULE_COUNT_] = {"generic",     "weighted",   "matmul",       "removable",
                                                          "direct",      "bias",       "relu_removed", "dead_constant",
                                                          "share_float", "bias_float", "opset_raised", "opset_kept"};

const char *oq_qrule_name(oq_qrule rule) {
  return (int)rule >= 0 && rule < OQ_QRULE_COUNT_ ? k_rule_names[rule] : "unknown";
}

const char *oq_qrole_name(oq_qrole role) {
  switch (role) {
  case OQ_QROLE_ACT: return "activation";
  case OQ_QROLE_WEIGHT: return "weight";
  case OQ_QROLE_BIAS: return "bias";
  }
  return "unknown";
}

const oq_qrec *oq_qplan_find(const oq_qplan *plan, int32_t v) {
  if (!plan || v < 0 || v >= plan->graph->n_values || plan->rec_of[v] < 0) return NULL;
  return &plan->recs[plan->rec_of[v]];
}

void oq_qplan_free(oq_qplan *plan) {
  if (!plan) return;
  for (int32_t i = 0; i < plan->n_recs; i++) {
    oq_free(plan->recs[i].params);
    oq_free(plan->recs[i].data);
  }
  oq_free(plan->recs);
  oq_free(plan->rec_of);
  oq_free(plan->node_removed);
  oq_free(plan->node_rule);
  oq_free(plan->out_off);
  oq_free(plan->out_value);
  oq_free(plan);
}

/* ---- registration ------------------------------------------------------------------------------------------ */

static int is_init(const planner *pl, int32_t v) { return v >= 0 && pl->g->values[v].kind == OQ_VALUE_INITIALIZER; }

static int32_t node_in(const oq_node *n, int32_t i) { return i < n->n_inputs ? n->inputs[i] : -1; }

static oq_qrec *rec_of(const planner *pl, int32_t v) {
  int32_t i = v >= 0 ? pl->p->rec_of[v] : -1;
  return i >= 0 ? &pl->p->recs[i] : NULL;
}

/* The record of v, created (in registration order) when v has none. */
static oq_qrec *get_rec(planner *pl, int32_t v) {
  oq_qrec *r = rec_of(pl, v);
  if (r) return r;
  oq_qplan *p = pl->p;
  r = &p->recs[p->n_recs];
  p->rec_of[v] = p->n_recs++;
  memset(r, 0, sizeof *r);
  r->value = v;
  r->node = -1;
  r->axis = -1;
  r->share = -1;
  r->params_of = -1;
  r->bias_input = -1;
  r->bias_weight = -1;
  r->bias_beta = 1.0f;
  return r;
}

/* Initializer also listed in graph.input (an overridable default). */
static int listed_input(const planner *pl, int32_t v) {
  const Onnx__GraphProto *gp = pl->model->proto->graph;
  for (size_t k = 0; k < gp->n_input; k++)
    if (gp->input[k]->name && !strcmp(gp->input[k]->name, pl->g->values[v].name)) return 1;
  return 0;
}

static int quantizable(const planner *pl, int32_t v) {
  if (v < 0) return 0;
  const oq_value *val = &pl->g->values[v];
  if (val->kind == OQ_VALUE_INITIALIZER)
    return val->init && val->init->has_data_type && val->init->data_type == OQ_DTYPE_FLOAT;
  if (val->kind == OQ_VALUE_INPUT && val->is_graph_output) return 0; /* nowhere to put the Q/DQ */
  if (val->dtype == OQ_DTYPE_FLOAT) return 1;
  return val->dtype == OQ_DTYPE_UNDEFINED && pl->stats->seen[v] > 0; /* type known from calibration */
}

/* Marks v quantized: an activation, an initializer quantized like one (ACT_QTYPE, asymmetric, per tensor), or a
 * weight (WEIGHT_QTYPE, symmetric; per channel on axis when axis >= 0). Run-time values are always activations. */
static void set_quantized(planner *pl, oq_qrec *r, int weight, int32_t axis, oq_qrule rule, int32_t node) {
  int init = is_init(pl, r->value);
  int w = init && weight;
  r->quantized = 1;
  r->role = init ? OQ_QROLE_WEIGHT : OQ_QROLE_ACT;
  r->qtype = oq_qtype_get(w ? WEIGHT_QTYPE : ACT_QTYPE);
  r->dtype = r->qtype->dtype;
  r->symmetric = w;
  r->axis = w ? axis : -1;
  r->rule = rule;
  r->node = node;
}

static void q_act(planner *pl, int32_t v, oq_qrule rule, int32_t node) {
  if (!quantizable(pl, v)) return;
  oq_qrec *r = get_rec(pl, v);
  if (r->quantized) return;
  set_quantized(pl, r, 0, -1, rule, node);
}

static void q_weight(planner *pl, int32_t v, oq_qrule rule, int32_t node) {
  if (!quantizable(pl, v)) return;
  oq_qrec *r = get_rec(pl, v);
  if (r->quantized) return;
  set_quantized(pl, r, 1, -1, rule, node);
}

/* Weight slot of Conv/Gemm/MatMul: per channel only for a float initializer (onnxruntime's is_tensor_per_channel),
 * which then overrides an earlier registration. */
static void q_weight_slot(planner *pl, int32_t v, int32_t axis, oq_qrule rule, int32_t node) {
  if (v < 0) return;
  if (is_init(pl, v) && pl->per_channel) {
    if (!quantizable(pl, v)) return;
    oq_qrec *r = get_rec(pl, v);
    set_quantized(pl, r, 1, axis, rule, node);
    r->share = -1;
  } else {
    q_weight(pl, v, rule, node);
  }
}

static void q_same_as_input(planner *pl, int32_t out, int32_t in, int32_t node) {
  if (!quantizable(pl, out)) return;
  oq_qrec *r = get_rec(pl, out);
  set_quantized(pl, r, 0, -1, OQ_QRULE_DIRECT, node);
  r->share = in;
}

static void q_bias(planner *pl, int32_t b, int32_t in, int32_t w, float beta, int32_t node) {
  if (b < 0 || !is_init(pl, b) || !quantizable(pl, b)) return;
  oq_qrec *r = rec_of(pl, b);
  if (r && r->is_bias) return;
  /* Its DequantizeLinear produces the bias's own name, which must then not be a graph input or output. */
  if (pl->g->values[b].is_graph_output || listed_input(pl, b)) return;
  if (!r) {
    r = get_rec(pl, b);
    r->role = OQ_QROLE_BIAS;
    r->dtype = OQ_DTYPE_INT32;
    r->rule = OQ_QRULE_BIAS;
    r->node = node;
  }
  r->is_bias = 1;
  r->bias_input = in;
  r->bias_weight = w;
  r->bias_beta = beta;
}

static int is_quantized(const planner *pl, int32_t v) {
  const oq_qrec *r = rec_of(pl, v);
  return r && (r->quantized || r->is_bias);
}

/* onnxruntime's try_replacing_upstream_output: the producer of `up` writes `outv` directly. */
static int try_replace_upstream(planner *pl, int32_t up, int32_t outv, int32_t node) {
  const oq_value *u = &pl->g->values[up];
  if (outv < 0 || !pl->has_range[outv]) return 0;
  if (u->n_consumers != 1 || u->is_graph_output || u->kind != OQ_VALUE_INTERMEDIATE) return 0;
  int32_t p = pl->prod_node[up], s = pl->prod_slot[up];
  if (p < 0) return 0;
  pl->p->out_value[pl->p->out_off[p] + s] = outv;
  pl->prod_node[outv] = p;
  pl->prod_slot[outv] = s;
  pl->prod_node[up] = -1;
  oq_qrec *r = get_rec(pl, up);
  r->quantized = 0;
  r->share = -1;
  r->rule = OQ_QRULE_RELU_REMOVED;
  r->node = node;
  return 1;
}

/* ---- decide -------------------------------------------------------------------------------------------------- */

static oq_status init_ranges(planner *pl, oq_error *err) {
  const oq_graph *g = pl->g;
  const oq_qtype *act = oq_qtype_get(ACT_QTYPE);
  oq_range_target target = {act->bits, act->is_signed};
  for (int32_t v = 0; v < g->n_values; v++) {
    int32_t has = 0;
    pl->rmin[v] = pl->stats->min[v];
    pl->rmax[v] = pl->stats->max[v];
    oq_status st = oq_calib_range(pl->stats, v, pl->opts, &target, &has, &pl->rmin[v], &pl->rmax[v], err);
    if (st != OQ_OK) return st;
    pl->has_range[v] = (uint8_t)has;
  }
  /* onnxruntime's adjust_tensor_ranges, in node order: a Relu/Clip input used only there takes the output's range;
   * Softmax outputs are [0, 1]. */
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const oq_node *node = &g->nodes[n];
    const char *op = node->proto->op_type;
    if (!oq_quant_policy_find(op, node->proto->domain, pl->opset) || node->n_outputs < 1) continue;
    int32_t in = node_in(node, 0), out = node->outputs[0];
    if (!strcmp(op, "Relu") || !strcmp(op, "Clip")) {
      if (in < 0 || out < 0 || g->values[in].n_consumers != 1) continue;
      if (!pl->has_range[in] || !pl->has_range[out]) continue;
      pl->rmin[in] = pl->rmin[out];
      pl->rmax[in] = pl->rmax[out];
    } else if (!strcmp(op, "Softmax") && out >= 0) {
      pl->has_range[out] = 1;
      pl->rmin[out] = 0.0f;
      pl->rmax[out] = 1.0f;
    }
  }
  return OQ_OK;
}

static oq_status decide(planner *pl, oq_error *err) {
  const oq_graph *g = pl->g;
  oq_qplan *p = pl->p;
  oq_status st = OQ_OK;
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const oq_node *node = &g->nodes[n];
    const Onnx__NodeProto *np = node->proto;
    const oq_quant_policy *pol = oq_quant_policy_find(np->op_type, np->domain, pl->opset);
    if (!pol) continue;
    int32_t in0 = node_in(node, 0);
    int32_t out0 = node->n_outputs > 0 ? p->out_value[p->out_off[n]] : -1;
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
      q_act(pl, in0, OQ_QRULE_WEIGHTED, n);
      q_act(pl, out0, OQ_QRULE_WEIGHTED, n);
      q_weight_slot(pl, node_in(node, 1), axis, OQ_QRULE_WEIGHTED, n);
      int32_t b = node_in(node, 2);
      if (b >= 0 && (!is_gemm || is_init(pl, b))) q_bias(pl, b, in0, node_in(node, 1), beta, n);
      break;
    }
    case OQ_QUANT_MATMUL:
      for (int32_t i = 0; i < node->n_inputs; i++) {
        int32_t v = node->inputs[i];
        if (is_init(pl, v))
          q_weight_slot(pl, v, pol->weight_axis, OQ_QRULE_MATMUL, n);
        else
          q_act(pl, v, OQ_QRULE_MATMUL, n);
      }
      for (int32_t i = 0; i < node->n_outputs; i++) q_act(pl, p->out_value[p->out_off[n] + i], OQ_QRULE_MATMUL, n);
      break;
    case OQ_QUANT_REMOVABLE:
      if (!is_quantized(pl, in0)) break;
      if (try_replace_upstream(pl, in0, out0, n)) {
        p->node_removed[n] = 1;
        p->node_rule[n] = OQ_QRULE_RELU_REMOVED;
      } else {
        q_act(pl, in0, OQ_QRULE_REMOVABLE, n);
      }
      q_act(pl, out0, OQ_QRULE_REMOVABLE, n);
      break;
    case OQ_QUANT_DIRECT:
      if (is_quantized(pl, in0)) q_same_as_input(pl, out0, in0, n);
      break;
    case OQ_QUANT_GENERIC:
      for (int32_t i = 0; i < node->n_inputs; i++) q_act(pl, node->inputs[i], OQ_QRULE_GENERIC, n);
      for (int32_t i = 0; i < node->n_outputs; i++) q_act(pl, p->out_value[p->out_off[n] + i], OQ_QRULE_GENERIC, n);
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
static void drop_dead_constants(planner *pl) {
  const oq_graph *g = pl->g;
  oq_qplan *p = pl->p;
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const oq_node *node = &g->nodes[n];
    if (p->node_removed[n] || strcmp(node->proto->op_type ? node->proto->op_type : "", "Constant") != 0) continue;
    if (node->proto->domain && node->proto->domain[0] && strcmp(node->proto->domain, "ai.onnx") != 0) continue;
    int used = 0, fed_removed = 0;
    for (int32_t s = 0; s < node->n_outputs && !used; s++) {
      int32_t v = node->outputs[s];
      if (v < 0) continue;
      if (g->values[v].is_graph_output) used = 1;
      for (int32_t c = 0; c < g->values[v].n_consumers && !used; c++) {
        if (p->node_removed[g->values[v].consumers[c]])
          fed_removed = 1;
        else
          used = 1;
      }
    }
    if (!used && fed_removed) {
      p->node_removed[n] = 1;
      p->node_rule[n] = OQ_QRULE_DEAD_CONSTANT;
    }
  }
}

/* ---- number ------------------------------------------------------------------------------------------------- */

/* Scale/zero point of a weight from its data: decodes it (kept in wdata until the bytes are made) and settles the
 * axis (one the tensor does not have, e.g. on a 1-D MatMul operand, falls back to per tensor). */
static oq_status number_initializer(planner *pl, int32_t ri, oq_error *err) {
  oq_status st = OQ_OK;
  oq_qrec *r = &pl->p->recs[ri];
  const oq_value *val = &pl->g->values[r->value];
  oq_tensor *w = &pl->wdata[ri];
  OQ_CHECK(oq_model_tensor_decode(pl->model, val->init, w, err));
  if (w->dtype != OQ_DTYPE_FLOAT) OQ_FAIL(err, OQ_ERR_INTERNAL, "initializer '%s' did not decode to float", val->name);
  int32_t axis = r->axis, nch = 1;
  if (axis >= 0 && axis < w->ndim && w->dims[axis] > 0 && w->dims[axis] <= INT32_MAX)
    nch = (int32_t)w->dims[axis];
  else
    axis = -1;
  r->axis = axis;
  r->params = oq_calloc((size_t)nch, sizeof *r->params, err);
  if (!r->params) {
    st = OQ_ERR_NOMEM;
    goto fail;
  }
  r->n_params = nch;
  r->params_of = r->value;
  if (pl->opts && pl->opts->weight_range == OQ_CALIB_MSE) /* calib/range.h: clipped per channel */
    OQ_CHECK(oq_calib_weight_params_mse(w->data, w->ndim, w->dims, axis, r->qtype, r->symmetric, r->params, err));
  else
    OQ_CHECK(oq_quant_weight_params(w->data, w->ndim, w->dims, axis, r->qtype, r->symmetric, r->params, err));
  return OQ_OK;
fail:
  oq_error_prefix(err, "initializer '%s'", val->name);
  return st;
}

/* Activations: own range, or the params of the value they share with (onnxruntime's sharing providers). */
static oq_status number_activation(planner *pl, oq_qrec *r, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_graph *g = pl->g;
  int32_t x = r->value, steps = 0;
  oq_qrec *xr = r;
  while (xr && xr->share >= 0 && steps++ < g->n_values) {
    x = xr->share;
    xr = rec_of(pl, x);
  }
  /* The end of the chain is not quantized, or per channel (which cannot be shared): r stays float. */
  if (!xr || xr->share >= 0 || !xr->quantized || (is_init(pl, x) && xr->n_params != 1)) {
    r->quantized = 0;
    r->rule = OQ_QRULE_SHARE_FLOAT;
    return OQ_OK;
  }
  if (!is_init(pl, x) && xr->n_params == 0) {
    if (pl->stats->non_float[x])
      /* value_info (or an untyped input fed different dtypes) calls it float, the model computes something else */
      OQ_FAIL(err, OQ_ERR_MODEL, "quantize: value '%s' is declared float32 but holds other data when the model runs",
              g->values[x].name);
    if (!pl->has_range[x])
      OQ_FAIL(err, OQ_ERR_INTERNAL, "quantize: value '%s' has no calibration range", g->values[x].name);
    xr->params = oq_calloc(1, sizeof *xr->params, err);
    if (!xr->params) return OQ_ERR_NOMEM;
    xr->n_params = 1;
    xr->rmin = pl->rmin[x];
    xr->rmax = pl->rmax[x];
    xr->params[0] = oq_qparams_for(xr->qtype, xr->rmin, xr->rmax, xr->symmetric);
    xr->params_of = x;
  }
  r->params_of = x;
  if (xr != r) {
    r->qtype = xr->qtype;
    r->dtype = xr->dtype;
    r->symmetric = xr->symmetric;
  }
  return OQ_OK;
fail:
  return st;
}

/* Scale of an activation input as a bias sees it; 0 when it has none. */
static float input_scale(const planner *pl, int32_t in) {
  if (in < 0) return 0.0f;
  const oq_qrec *r = rec_of(pl, in);
  if (r && r->quantized && r->role == OQ_QROLE_ACT) return rec_of(pl, r->params_of)->params[0].scale;
  if (r && r->quantized && r->role == OQ_QROLE_WEIGHT && r->n_params == 1) return r->params[0].scale;
  /* not quantized, but calibrated: the scale it would have as an activation */
  if (pl->has_range[in]) return oq_qparams_for(oq_qtype_get(ACT_QTYPE), pl->rmin[in], pl->rmax[in], 0).scale;
  return 0.0f;
}

static int host_le(void) {
  const uint16_t one = 1;
  uint8_t b;
  memcpy(&b, &one, 1);
  return b == 1;
}

/* A bias (adjust_only: first pass, raising the weight scales that would overflow int32). Leaves it float when its
 * weight is not a quantized initializer, the input has no scale, or the shapes disagree. */
static oq_status number_bias(planner *pl, oq_qrec *r, int adjust_only, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_value *val = &pl->g->values[r->value];
  oq_qrec *wr = rec_of(pl, r->bias_weight);
  oq_tensor t = {0};
  int32_t *q = NULL;
  /* weight not quantized (or the bias taken as a weight): float */
  if (!wr || !wr->quantized || wr->role != OQ_QROLE_WEIGHT || r->quantized) goto keep_float;
  float in_scale = input_scale(pl, r->bias_input);
  if (!(in_scale > 0.0f)) goto keep_float;
  OQ_CHECK(oq_model_tensor_decode(pl->model, val->init, &t, err));
  int64_t numel = oq_tensor_numel(&t);
  const float *bd = t.data;
  int32_t nch = wr->n_params;
  if (wr->axis >= 0 && nch > 1 && (t.ndim != 1 || numel != nch)) goto keep_float;
  if (wr->axis >= 0 && numel != nch) goto keep_float;
  if (adjust_only) {
    if (wr->axis >= 0) {
      for (int32_t c = 0; c < nch; c++)
        wr->params[c].scale = oq_adjust_weight_scale_for_bias(in_scale, wr->params[c].scale, fabsf(bd[c]));
    } else {
      float absmax = 0.0f;
      for (int64_t i = 0; i < numel; i++)
        if (fabsf(bd[i]) > absmax) absmax = fabsf(bd[i]);
      wr->params[0].scale = oq_adjust_weight_scale_for_bias(in_scale, wr->params[0].scale, absmax);
    }
    goto done;
  }
  int32_t ns = wr->axis >= 0 ? nch : 1;
  q = oq_malloc_array(numel > 0 ? (size_t)numel : 1, sizeof *q, err);
  if (!q) {
    st = OQ_ERR_NOMEM;
    goto fail;
  }
  r->params = oq_calloc((size_t)ns, sizeof *r->params, err);
  if (!r->params) {
    st = OQ_ERR_NOMEM;
    goto fail;
  }
  r->n_params = ns;
  for (int32_t c = 0; c < ns; c++) r->params[c].scale = oq_bias_scale(in_scale, wr->params[c].scale, r->bias_beta);
  for (int64_t i = 0; i < numel; i++) q[i] = oq_quantize_bias(bd[i], r->params[ns > 1 ? i : 0].scale);
  if (!host_le()) {
    for (int64_t i = 0; i < numel; i++) {
      uint32_t u = (uint32_t)q[i];
      uint8_t *b = (uint8_t *)&q[i];
      b[0] = (uint8_t)u, b[1] = (uint8_t)(u >> 8), b[2] = (uint8_t)(u >> 16), b[3] = (uint8_t)(u >> 24);
    }
  }
  r->data = (uint8_t *)q;
  r->nbytes = (size_t)numel * sizeof *q;
  q = NULL;
  r->quantized = 1;
  r->role = OQ_QROLE_BIAS;
  r->dtype = OQ_DTYPE_INT32;
  r->qtype = NULL;
  r->axis = ns > 1 ? 0 : -1;
  r->params_of = r->value;
  r->rule = OQ_QRULE_BIAS;
  goto done;
keep_float:
  if (!adjust_only && !r->quantized) r->rule = OQ_QRULE_BIAS_FLOAT;
done:
fail:
  oq_free(q);
  oq_tensor_release(&t);
  if (st != OQ_OK) oq_error_prefix(err, "bias '%s'", val->name);
  return st;
}

/* The quantized bytes of a weight, with its final (possibly bias-adjusted) scales. */
static oq_status make_weight_bytes(planner *pl, int32_t ri, oq_error *err) {
  oq_qrec *r = &pl->p->recs[ri];
  const oq_tensor *w = &pl->wdata[ri];
  size_t numel = w->nbytes / sizeof(float), nbytes;
  if (!oq_qtype_nbytes(r->qtype, numel, &nbytes))
    OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "initializer '%s' too large", pl->g->values[r->value].name);
  r->data = oq_calloc(nbytes ? nbytes : 1, 1, err);
  if (!r->data) return OQ_ERR_NOMEM;
  r->nbytes = nbytes;
  return oq_quant_weight_apply(w->data, w->ndim, w->dims, r->axis, r->qtype, r->params, r->data, err);
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
static int32_t breaking_node(const oq_graph *g, int64_t from, int64_t to) {
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const Onnx__NodeProto *np = g->nodes[n].proto;
    if (np->domain && np->domain[0] && strcmp(np->domain, "ai.onnx") != 0) continue;
    if (node_breaks(np, from, to)) return n;
  }
  return -1;
}

/* The default-domain opset of the result. Raised to 13 (per-axis DequantizeLinear) as onnxruntime does, unless that
 * would silently change a node's meaning: then per-tensor results keep the model's opset (QuantizeLinear exists
 * from 10), and anything else is refused naming the node. Without a default-domain import the result gets one of
 * at least 13. */
static oq_status plan_opset(planner *pl, oq_error *err) {
  oq_qplan *p = pl->p;
  const oq_qtype *u8 = oq_qtype_get(ACT_QTYPE); /* the opsets of 8-bit Q/DQ */
  int64_t from = pl->opset, to = from;
  p->opset_from = from;
  p->opset_rule = OQ_QRULE_OPSET_KEPT;
  p->ir_version_min = 7;
  if (from < u8->axis_min_opset) {
    int32_t bad = breaking_node(pl->g, from, u8->axis_min_opset);
    int per_axis = 0;
    for (int32_t i = 0; i < p->n_recs && !per_axis; i++) {
      const oq_qrec *r = &p->recs[i];
      per_axis = r->quantized && r->role != OQ_QROLE_ACT && r->axis >= 0;
    }
    if (bad < 0) {
      to = u8->axis_min_opset;
      p->opset_rule = OQ_QRULE_OPSET_RAISED;
    } else if (per_axis || from < u8->min_opset) {
      const Onnx__NodeProto *np = pl->g->nodes[bad].proto;
      OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED,
                    "quantize: %s needs opset %d, but the model has opset %lld and node '%s' (%s) would change "
                    "meaning if it were raised; re-export the model at opset 13%s",
                    per_axis ? "per-channel quantization" : "QuantizeLinear",
                    per_axis ? u8->axis_min_opset : u8->min_opset, (long long)from, np->name ? np->name : "",
                    np->op_type ? np->op_type : "",
                    per_axis && from >= u8->min_opset ? " or use per-tensor quantization" : "");
    }
  }
  if (from < 0 && to < u8->axis_min_opset) to = u8->axis_min_opset; /* no default-domain import: one is added */
  p->opset_to = to;
  return OQ_OK;
}

static oq_status number(planner *pl, oq_error *err) {
  oq_status st = OQ_OK;
  oq_qplan *p = pl->p;
  /* Initializers first (activations may share an initializer's params). */
  for (int32_t i = 0; i < p->n_recs; i++)
    if (p->recs[i].quantized && is_init(pl, p->recs[i].value)) OQ_CHECK(number_initializer(pl, i, err));
  for (int32_t i = 0; i < p->n_recs; i++)
    if (p->recs[i].quantized && !is_init(pl, p->recs[i].value)) OQ_CHECK(number_activation(pl, &p->recs[i], err));
  /* Biases: onnxruntime >= 1.20 first enlarges weight scales that would overflow int32, then quantizes. */
  for (int32_t i = 0; i < p->n_recs; i++)
    if (p->recs[i].is_bias) OQ_CHECK(number_bias(pl, &p->recs[i], 1, err));
  for (int32_t i = 0; i < p->n_recs; i++)
    if (p->recs[i].is_bias) OQ_CHECK(number_bias(pl, &p->recs[i], 0, err));
  for (int32_t i = 0; i < p->n_recs; i++)
    if (p->recs[i].quantized && p->recs[i].role == OQ_QROLE_WEIGHT) OQ_CHECK(make_weight_bytes(pl, i, err));
  OQ_CHECK(plan_opset(pl, err));
fail:
  return st;
}

/* ---- entry ------------------------------------------------------------------------------------------------------- */

oq_status oq_qplan_build(const oq_model *model, const oq_calib_stats *stats, const oq_quant_options *opts,
                         oq_qplan **out, oq_error *err) {
  oq_status st = OQ_OK;
  planner pl;
  oq_qplan *p = NULL;
  memset(&pl, 0, sizeof pl);
  if (!model || !stats || !out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_qplan_build: NULL argument");
  *out = NULL;
  const oq_graph *g = &model->graph;
  if (stats->n_values != g->n_values)
    OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "calibration statistics do not match the model (%d vs %d values)",
                  stats->n_values, g->n_values);
  pl.model = model;
  pl.g = g;
  pl.stats = stats;
  pl.opts = opts;
  pl.per_channel = opts ? opts->per_channel != 0 : 1;
  pl.opset = oq_graph_opset(g, "");

  size_t nv = g->n_values > 0 ? (size_t)g->n_values : 1, nn = g->n_nodes > 0 ? (size_t)g->n_nodes : 1;
  size_t n_slots = 0;
  for (int32_t n = 0; n < g->n_nodes; n++) n_slots += (size_t)g->nodes[n].n_outputs;
  if (!(p = oq_calloc(1, sizeof *p, err))) goto nomem;
  p->graph = g;
#define ALLOC(obj, field, count)                                                                                       \
  if (!((obj)->field = oq_calloc((count), sizeof *(obj)->field, err))) goto nomem
  ALLOC(p, recs, nv); /* a value is registered at most once */
  ALLOC(p, rec_of, nv);
  ALLOC(p, node_removed, nn);
  ALLOC(p, node_rule, nn);
  ALLOC(p, out_off, nn);
  ALLOC(p, out_value, n_slots ? n_slots : 1);
  ALLOC(&pl, has_range, nv);
  ALLOC(&pl, rmin, nv);
  ALLOC(&pl, rmax, nv);
  ALLOC(&pl, prod_node, nv);
  ALLOC(&pl, prod_slot, nv);
  ALLOC(&pl, wdata, nv);
#undef ALLOC
  pl.p = p;
  for (int32_t v = 0; v < g->n_values; v++) {
    p->rec_of[v] = -1;
    pl.prod_node[v] = g->values[v].producer;
    pl.prod_slot[v] = -1;
  }
  {
    int32_t off = 0;
    for (int32_t n = 0; n < g->n_nodes; n++) {
      p->out_off[n] = off;
      for (int32_t s = 0; s < g->nodes[n].n_outputs; s++) {
        int32_t v = g->nodes[n].outputs[s];
        p->out_value[off + s] = v;
        if (v >= 0) pl.prod_slot[v] = s;
      }
      off += g->nodes[n].n_outputs;
    }
  }

  OQ_CHECK(init_ranges(&pl, err));
  OQ_CHECK(decide(&pl, err));
  drop_dead_constants(&pl);
  OQ_CHECK(number(&pl, err));
  *out = p;
  p = NULL;
  goto done;
nomem:
  st = OQ_ERR_NOMEM;
  if (err && err->code == OQ_OK) oq_error_set(err, st, __FILE__, __LINE__, "quantize: out of memory");
fail:
done:
  if (pl.wdata)
    for (int32_t v = 0; v < g->n_values; v++) oq_tensor_release(&pl.wdata[v]);
  oq_free(pl.has_range);
  oq_free(pl.rmin);
  oq_free(pl.rmax);
  oq_free(pl.prod_node);
  oq_free(pl.prod_slot);
  oq_free(pl.wdata);
  oq_qplan_free(p);
  return st;
}
