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

/* Planner state next to the plan: ranges and the producer map the decisions edit, decoded float weights. */
typedef struct planner {
  const oq_model *model;
  const oq_graph *g;
  const oq_calib_stats *stats;
  const oq_quant_options *opts; /* the caller's, defaults filled in; borrowed */
  int per_channel;              /* option: weights per output channel */
  const oq_qtype *act_qt;       /* activation type (default uint8) */
  const oq_qtype *weight_qt;    /* weight type (default int8) */
  int act_sym, weight_sym;      /* symmetry per kind */
  int reduce_range, pow2;       /* options */
  int32_t block;                /* option: block size of MatMul/Gemm weights, 0 */
  int trt;                      /* preset tensorrt: inputs of quantized ops only, no Relu folding, float biases */
  int keep_io, align_concat;    /* options */
  uint8_t *selected;            /* per node: 1 when the node selection options let it be quantized */
  uint8_t *no_act;              /* per value: 1 never quantized as an activation (MatMul + bias rule); 2 never
                                   quantized at all (already read by a QuantizeLinear or written by a
                                   DequantizeLinear) */
  const oq_qedits *edits;       /* borrowed; the diffed plan-file edits to apply, NULL */
  int64_t opset;                /* default-domain opset of the input */
  oq_qplan *p;                  /* the plan being filled */
  uint8_t *has_range;           /* per value: calibrated (or set by a rule) */
  float *rmin, *rmax;           /* per value: range */
  int32_t *prod_node;           /* per value: current producer node, -1 none */
  int32_t *prod_slot;           /* per value: its output slot */
  oq_tensor *wdata;             /* per record: decoded float data of a quantized initializer */
} planner;

static const char *const k_rule_names[OQ_QRULE_COUNT_] = {
    "generic",      "weighted",      "matmul",      "removable",  "direct",       "bias",
    "relu_removed", "dead_constant", "share_float", "bias_float", "opset_raised", "opset_kept",
    "concat_align", "matmul_bias",   "rnn",         "plan_in"};

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
  if (pl->keep_io && (val->kind == OQ_VALUE_INPUT || val->is_graph_output)) return 0;
  /* A graph output stays float: a Q/DQ pair there only rounds the result and clips it to the calibrated range
   * (logits of inputs unlike the calibration data), and onnxruntime's fused kernels write float outputs as well
   * (QGemm, MatMulIntegerToFloat, QLinear* followed by its DequantizeLinear). */
  if (val->is_graph_output && val->kind != OQ_VALUE_INITIALIZER) return 0;
  if (pl->no_act[v] == 2) return 0; /* already passes through Q/DQ (a requantized model) */
  if (val->dtype == OQ_DTYPE_FLOAT) return 1;
  return val->dtype == OQ_DTYPE_UNDEFINED && pl->stats->seen[v] > 0; /* type known from calibration */
}

/* Marks v quantized: an activation, an initializer quantized like one (activation type and symmetry, per tensor),
 * or a weight (weight type and symmetry, reduce_range; per channel on axis when axis >= 0, blocked when block > 0).
 * Run-time values are always activations. */
static void set_quantized(planner *pl, oq_qrec *r, int weight, int32_t axis, oq_qrule rule, int32_t node) {
  int init = is_init(pl, r->value);
  int w = init && weight;
  r->quantized = 1;
  r->role = init ? OQ_QROLE_WEIGHT : OQ_QROLE_ACT;
  r->qtype = w ? pl->weight_qt : pl->act_qt;
  r->dtype = r->qtype->dtype;
  r->symmetric = w ? pl->weight_sym : pl->act_sym;
  r->reduce_range = w && pl->reduce_range;
  r->pow2 = pl->pow2;
  r->axis = w ? axis : -1;
  r->block = 0;
  r->rule = rule;
  r->node = node;
}

static void q_act(planner *pl, int32_t v, oq_qrule rule, int32_t node) {
  if (!quantizable(pl, v) || pl->no_act[v]) return;
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
  if (!quantizable(pl, out) || pl->no_act[out]) return;
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
  const oq_qtype *act = pl->act_qt;
  oq_range_target target = {act->bits, pl->act_sym};
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
    const oq_quant_policy *pol = oq_quant_policy_find(node->proto->op_type, node->proto->domain, pl->opset);
    if (!pol || !pl->selected[n] || node->n_outputs < 1) continue;
    int32_t in = node_in(node, 0), out = node->outputs[0];
    if (pol->kind == OQ_QUANT_REMOVABLE && !pl->trt && !pl->act_sym) {
      if (in < 0 || out < 0 || g->values[in].n_consumers != 1) continue;
      if (!pl->has_range[in] || !pl->has_range[out]) continue;
      pl->rmin[in] = pl->rmin[out];
      pl->rmax[in] = pl->rmax[out];
    } else if (pol->fixed_range && out >= 0) {
      pl->has_range[out] = 1;
      pl->rmin[out] = pol->out_lo;
      pl->rmax[out] = pol->out_hi;
    }
  }
  return OQ_OK;
}

/* Pad passes scales through only when what it pads with is the real value 0 (mode constant with no or a zero
 * constant_value, or a mode that copies values). */
static int pad_passes_scale(const planner *pl, const oq_node *node) {
  const Onnx__NodeProto *np = node->proto;
  for (size_t a = 0; a < np->n_attribute; a++) {
    const Onnx__AttributeProto *at = np->attribute[a];
    if (at->name && !strcmp(at->name, "mode") && at->s.len && strncmp((const char *)at->s.data, "constant", 8) != 0)
      return 1;
  }
  int32_t cv = node_in(node, 2);
  if (cv < 0) return 1;
  if (!is_init(pl, cv)) return 0;
  const Onnx__TensorProto *t = pl->g->values[cv].init;
  if (t->n_float_data == 1) return t->float_data[0] == 0.0f;
  if (t->raw_data.len == 4 && t->data_type == OQ_DTYPE_FLOAT) {
    float f;
    memcpy(&f, t->raw_data.data, 4);
    return f == 0.0f;
  }
  return t->raw_data.len == 0 && t->n_float_data == 0;
}

/* MatMul + Add rule: when the MatMul's only consumer is an Add of a 1-D float initializer with one entry per
 * output column, the initializer is returned (the MatMul's bias), else -1. */
static int32_t matmul_bias(const planner *pl, int32_t n, int32_t w) {
  const oq_graph *g = pl->g;
  const oq_node *node = &g->nodes[n];
  int32_t out = node->n_outputs > 0 ? node->outputs[0] : -1;
  if (out < 0 || w < 0 || pl->trt || pl->block) return -1;
  const oq_value *ov = &g->values[out];
  if (ov->n_consumers != 1 || ov->is_graph_output) return -1;
  int32_t a = ov->consumers[0];
  const Onnx__NodeProto *ap = g->nodes[a].proto;
  if (!pl->selected[a] || !ap->op_type || strcmp(ap->op_type, "Add") != 0 || g->nodes[a].n_inputs != 2) return -1;
  if (ap->domain && ap->domain[0] && strcmp(ap->domain, "ai.onnx") != 0) return -1;
  int32_t b = g->nodes[a].inputs[0] == out ? g->nodes[a].inputs[1] : g->nodes[a].inputs[0];
  if (b == out || !is_init(pl, b)) return -1;
  const Onnx__TensorProto *bt = g->values[b].init, *wt = g->values[w].init;
  if (!bt->has_data_type || bt->data_type != OQ_DTYPE_FLOAT || bt->n_dims != 1 || wt->n_dims < 2) return -1;
  if (bt->dims[0] != wt->dims[wt->n_dims - 1]) return -1;
  if (g->values[b].n_consumers != 1) return -1;
  return b;
}

static oq_status decide(planner *pl, oq_error *err) {
  const oq_graph *g = pl->g;
  oq_qplan *p = pl->p;
  oq_status st = OQ_OK;
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const oq_node *node = &g->nodes[n];
    const Onnx__NodeProto *np = node->proto;
    const oq_quant_policy *pol = oq_quant_policy_find(np->op_type, np->domain, pl->opset);
    if (!pol || !pl->selected[n]) continue;
    int32_t in0 = node_in(node, 0);
    int32_t out0 = node->n_outputs > 0 ? p->out_value[p->out_off[n]] : -1;
    /* tensorrt: Q/DQ only in front of the inputs of quantized ops; outputs are quantized by their consumers */
    int outs = !pl->trt;
    switch (pol->kind) {
    case OQ_QUANT_WEIGHTED: {
      int32_t axis = pol->weight_axis;
      float beta = 1.0f;
      int is_gemm = !strcmp(np->op_type, "Gemm");
      int32_t w = node_in(node, 1);
      if (is_gemm) {
        int64_t tb = 0;
        OQ_CHECK(oq_attr_int(np, "transB", 0, &tb, err));
        OQ_CHECK(oq_attr_float(np, "beta", 1.0f, &beta, err));
        axis = tb ? 0 : 1;
      }
      q_act(pl, in0, OQ_QRULE_WEIGHTED, n);
      if (outs) q_act(pl, out0, OQ_QRULE_WEIGHTED, n);
      q_weight_slot(pl, w, axis, OQ_QRULE_WEIGHTED, n);
      /* onnxruntime's QLinearConv takes one zero point for all filters: per-channel Conv weights stay symmetric */
      if (!is_gemm && rec_of(pl, w) && rec_of(pl, w)->role == OQ_QROLE_WEIGHT && rec_of(pl, w)->axis >= 0)
        rec_of(pl, w)->symmetric = 1;
      /* blocks run along the input dimension of a Gemm weight: the one that is not the output axis */
      if (is_gemm && pl->block && is_init(pl, w) && rec_of(pl, w) && rec_of(pl, w)->role == OQ_QROLE_WEIGHT) {
        oq_qrec *wr = rec_of(pl, w);
        wr->axis = axis ? 0 : 1;
        wr->block = pl->block;
      }
      int32_t b = node_in(node, 2);
      if (b >= 0 && !pl->trt && (!is_gemm || is_init(pl, b))) q_bias(pl, b, in0, w, beta, n);
      break;
    }
    case OQ_QUANT_MATMUL: {
      int32_t bias = -1, wv = -1;
      for (int32_t i = 0; i < node->n_inputs; i++) {
        int32_t v = node->inputs[i];
        if (is_init(pl, v)) {
          const Onnx__TensorProto *t = pl->g->values[v].init;
          int32_t axis = t->n_dims >= 1 ? (int32_t)t->n_dims - 1 : -1;
          q_weight_slot(pl, v, axis, OQ_QRULE_MATMUL, n);
          oq_qrec *wr = rec_of(pl, v);
          /* blocked along the input dimension: rows of B (i == 1), dims[-2] */
          if (pl->block && i == 1 && wr && wr->role == OQ_QROLE_WEIGHT && t->n_dims >= 2 && t->n_dims <= OQ_MAX_DIMS) {
            wr->axis = (int32_t)t->n_dims - 2;
            wr->block = pl->block;
          }
          if (i == 1 && wr && wr->role == OQ_QROLE_WEIGHT) wv = v;
        } else {
          q_act(pl, v, OQ_QRULE_MATMUL, n);
        }
      }
      if (wv >= 0 && pl->per_channel) bias = matmul_bias(pl, n, wv);
      if (bias >= 0) {
        /* the MatMul output feeds only the Add: it stays float there, the constant becomes an int32 bias */
        pl->no_act[node->outputs[0]] = 1;
        pl->no_act[bias] = 1;
        q_bias(pl, bias, in0, wv, 1.0f, n);
        oq_qrec *br = rec_of(pl, bias);
        if (br) br->rule = OQ_QRULE_MATMUL_BIAS;
      } else if (outs) {
        for (int32_t i = 0; i < node->n_outputs; i++) q_act(pl, p->out_value[p->out_off[n] + i], OQ_QRULE_MATMUL, n);
      }
      break;
    }
    case OQ_QUANT_REMOVABLE:
      if (pl->trt) break; /* TensorRT fuses the activation itself */
      if (!is_quantized(pl, in0)) break;
      /* Folding relies on the output's quantized range clipping like the op: the low end of an asymmetric range
       * at 0 is Relu; a power-of-two scale widens the top, so only Relu folds then; a symmetric range clips
       * nothing (onnxruntime keeps the op for symmetric activations too). */
      if (!pl->act_sym && (!pl->pow2 || !strcmp(np->op_type, "Relu")) && try_replace_upstream(pl, in0, out0, n)) {
        p->node_removed[n] = 1;
        p->node_rule[n] = OQ_QRULE_RELU_REMOVED;
      } else {
        q_act(pl, in0, OQ_QRULE_REMOVABLE, n);
      }
      q_act(pl, out0, OQ_QRULE_REMOVABLE, n);
      break;
    case OQ_QUANT_DIRECT:
      if (pl->trt || !is_quantized(pl, in0)) break;
      if (!strcmp(np->op_type, "Pad") && !pad_passes_scale(pl, node)) break;
      for (int32_t s = 0; s < node->n_outputs; s++) {
        int32_t o = p->out_value[p->out_off[n] + s];
        /* TopK's indices, MaxPool's Indices: not float */
        if (o >= 0 && (s == 0 || !strcmp(np->op_type, "Split"))) q_same_as_input(pl, o, in0, n);
      }
      break;
    case OQ_QUANT_GENERIC: {
      int32_t na = pol->act_inputs < 0 || pol->act_inputs > node->n_inputs ? node->n_inputs : pol->act_inputs;
      for (int32_t i = 0; i < na; i++) q_act(pl, node->inputs[i], OQ_QRULE_GENERIC, n);
      if (outs)
        for (int32_t i = 0; i < node->n_outputs; i++) q_act(pl, p->out_value[p->out_off[n] + i], OQ_QRULE_GENERIC, n);
      break;
    }
    case OQ_QUANT_RNN:
      for (int32_t i = 1; i <= 2; i++) {
        int32_t v = node_in(node, i);
        if (is_init(pl, v)) q_weight_slot(pl, v, pol->weight_axis, OQ_QRULE_RNN, n);
      }
      break;
    default: break;
    }
  }
  if (pl->align_concat) {
    /* every activation input of a quantized Concat that only the Concat reads shares the output's params, so the
     * runtime's QLinearConcat is a plain copy */
    for (int32_t n = 0; n < g->n_nodes; n++) {
      const Onnx__NodeProto *np = g->nodes[n].proto;
      if (!pl->selected[n] || !np->op_type || strcmp(np->op_type, "Concat") != 0 || g->nodes[n].n_outputs < 1) continue;
      int32_t out = p->out_value[p->out_off[n]];
      oq_qrec *orr = rec_of(pl, out);
      if (!orr || !orr->quantized || orr->share >= 0) continue;
      for (int32_t i = 0; i < g->nodes[n].n_inputs; i++) {
        int32_t v = g->nodes[n].inputs[i];
        oq_qrec *r = rec_of(pl, v);
        if (!r || !r->quantized || r->role != OQ_QROLE_ACT || v == out) continue;
        if (g->values[v].n_consumers != 1 || g->values[v].kind != OQ_VALUE_INTERMEDIATE) continue;
        r->share = out;
        r->rule = OQ_QRULE_CONCAT_ALIGN;
        r->node = n;
      }
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

static oq_qspec rec_spec(const oq_qrec *r) {
  oq_qspec sp = {r->qtype, r->symmetric, r->reduce_range, r->pow2};
  return sp;
}

/* Scale/zero point of a weight from its data: decodes it (kept in wdata until the bytes are made) and settles the
 * axis (one the tensor does not have, e.g. on a 1-D MatMul operand, falls back to per tensor). */
static oq_status number_initializer(planner *pl, int32_t ri, oq_error *err) {
  oq_status st = OQ_OK;
  oq_qrec *r = &pl->p->recs[ri];
  const oq_value *val = &pl->g->values[r->value];
  oq_tensor *w = &pl->wdata[ri];
  OQ_CHECK(oq_model_tensor_decode(pl->model, val->init, w, err));
  if (w->dtype != OQ_DTYPE_FLOAT) OQ_FAIL(err, OQ_ERR_INTERNAL, "initializer '%s' did not decode to float", val->name);
  int32_t axis = r->axis;
  if (!(axis >= 0 && axis < w->ndim && w->dims[axis] > 0 && w->dims[axis] <= INT32_MAX)) axis = -1;
  r->axis = axis;
  if (axis < 0) r->block = 0;
  size_t np;
  if (!oq_quant_param_count(w->ndim, w->dims, axis, r->block, &np) || np > INT32_MAX)
    OQ_FAIL(err, OQ_ERR_NOMEM, "too many quantization parameters");
  r->params = oq_calloc(np, sizeof *r->params, err);
  if (!r->params) {
    st = OQ_ERR_NOMEM;
    goto fail;
  }
  r->n_params = (int32_t)np;
  r->params_of = r->value;
  oq_qspec sp = rec_spec(r);
  if (pl->opts && pl->opts->weight_range == OQ_CALIB_MSE && r->block <= 0) /* calib/range.h: clipped per channel */
    OQ_CHECK(oq_calib_weight_params_mse(w->data, w->ndim, w->dims, axis, &sp, r->params, err));
  else
    OQ_CHECK(oq_quant_weight_params_spec(w->data, w->ndim, w->dims, axis, r->block, &sp, r->params, err));
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
    oq_qspec sp = rec_spec(xr);
    xr->params[0] = oq_qparams_spec(&sp, xr->rmin, xr->rmax);
    xr->params_of = x;
  }
  r->params_of = x;
  if (xr != r) {
    r->qtype = xr->qtype;
    r->dtype = xr->dtype;
    r->symmetric = xr->symmetric;
    r->reduce_range = xr->reduce_range;
    r->pow2 = xr->pow2;
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
  if (pl->has_range[in]) {
    oq_qspec sp = {pl->act_qt, pl->act_sym, 0, pl->pow2};
    return oq_qparams_spec(&sp, pl->rmin[in], pl->rmax[in]).scale;
  }
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
  if (!wr || !wr->quantized || wr->role != OQ_QROLE_WEIGHT || r->quantized || wr->block) goto keep_float;
  float in_scale = input_scale(pl, r->bias_input);
  if (!(in_scale > 0.0f)) goto keep_float;
  OQ_CHECK(oq_model_tensor_decode(pl->model, val->init, &t, err));
  int64_t numel = oq_tensor_numel(&t);
  const float *bd = t.data;
  int32_t nch = wr->n_params;
  if (wr->axis >= 0 && nch > 1 && (t.ndim != 1 || numel != nch)) goto keep_float;
  if (wr->axis >= 0 && numel != nch) goto keep_float;
  if (adjust_only) {
    if (wr->fixed_params) goto done; /* the plan file's scales are used as they are */
    if (wr->axis >= 0) {
      for (int32_t c = 0; c < nch; c++)
        wr->params[c].scale = oq_adjust_weight_scale_for_bias(in_scale, wr->params[c].scale, fabsf(bd[c]));
    } else {
      float absmax = 0.0f;
      for (int64_t i = 0; i < numel; i++)
        if (fabsf(bd[i]) > absmax) absmax = fabsf(bd[i]);
      wr->params[0].scale = oq_adjust_weight_scale_for_bias(in_scale, wr->params[0].scale, absmax);
    }
    /* a raised scale is rounded up to a power of two again (symmetric weights keep their zero point; an
     * asymmetric one is left as computed: the raise only widens the range) */
    if (wr->pow2)
      for (int32_t c = 0; c < wr->n_params; c++) {
        int32_t qmin, qmax;
        oq_qspec sp = rec_spec(wr);
        oq_qspec_range(&sp, &qmin, &qmax);
        oq_qparams q2 = oq_qparams_pow2(wr->params[c], 0.0f, qmin, qmax, 1);
        wr->params[c].scale = q2.scale;
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
  return oq_quant_weight_apply_blocked(w->data, w->ndim, w->dims, r->axis, r->block, r->qtype, r->params, r->data, err);
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
    /* 14..21 (16-bit, 4-bit and blocked Q/DQ need 21) */
    {"ReduceMean", 18, "axes"},
    {"ReduceMax", 18, "axes"},
    {"ReduceMin", 18, "axes"},
    {"ReduceProd", 18, "axes"},
    {"ReduceL1", 18, "axes"},
    {"ReduceL2", 18, "axes"},
    {"ReduceLogSum", 18, "axes"},
    {"ReduceLogSumExp", 18, "axes"},
    {"ReduceSumSquare", 18, "axes"},
    {"Split", 18, NULL},
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

/* Lowest default-domain opset that holds a record: its type's QuantizeLinear/DequantizeLinear (8-bit from 10, per
 * axis from 13; 16-bit, 4-bit and blocks from 21); an int32 bias is read by DequantizeLinear-10 (per axis: 13). */
static int64_t rec_min_opset(const oq_qrec *r) {
  if (!r->quantized) return 0;
  if (!r->qtype) return r->axis >= 0 ? 13 : 10;
  if (r->block) return r->qtype->block_min_opset;
  if (r->axis >= 0 && r->role != OQ_QROLE_ACT) return r->qtype->axis_min_opset;
  return r->qtype->min_opset;
}

/* Lowest IR version that may import a default-domain opset (onnx's VERSION_TABLE). */
static int64_t ir_for_opset(int64_t opset) {
  if (opset >= 21) return 10;
  if (opset >= 19) return 9;
  if (opset >= 15) return 8;
  if (opset >= 12) return 7;
  if (opset == 11) return 6;
  if (opset == 10) return 5;
  return 3;
}

/* The default-domain opset of the result: the lowest that holds every emitted record, and never below the input's.
 * Raising it must not silently change a node's meaning: such a raise is refused naming the node (per-tensor 8-bit
 * quantization, which needs no raise above 10, is the way out). Without a default-domain import the result gets
 * one at the opset needed. */
static oq_status plan_opset(planner *pl, oq_error *err) {
  oq_qplan *p = pl->p;
  int64_t from = pl->opset, need = 10, to;
  const oq_qrec *needer = NULL;
  p->opset_from = from;
  p->opset_rule = OQ_QRULE_OPSET_KEPT;
  for (int32_t i = 0; i < p->n_recs; i++) {
    int64_t o = rec_min_opset(&p->recs[i]);
    if (o > need) {
      need = o;
      needer = &p->recs[i];
    }
  }
  to = from > need ? from : need;
  if (from >= 0 && from < need) {
    int32_t bad = breaking_node(pl->g, from, need);
    if (bad >= 0) {
      const Onnx__NodeProto *np = pl->g->nodes[bad].proto;
      const char *what = !needer                                     ? "QuantizeLinear"
                         : needer->block                             ? "blocked quantization"
                         : needer->qtype && needer->qtype->bits != 8 ? "its quantization types"
                                                                     : "per-channel quantization";
      OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED,
                    "quantize: %s needs opset %lld, but the model has opset %lld and node '%s' (%s) would change "
                    "meaning if it were raised; re-export the model at opset %lld%s",
                    what, (long long)need, (long long)from, np->name ? np->name : "", np->op_type ? np->op_type : "",
                    (long long)need, need == 13 ? " or use per-tensor quantization" : "");
    }
    p->opset_rule = OQ_QRULE_OPSET_RAISED;
  }
  p->opset_to = to;
  p->ir_version_min = ir_for_opset(to);
  return OQ_OK;
}

static oq_status apply_edits_params(planner *pl, oq_error *err);

static oq_status number(planner *pl, oq_error *err) {
  oq_status st = OQ_OK;
  oq_qplan *p = pl->p;
  /* Initializers first (activations may share an initializer's params). */
  for (int32_t i = 0; i < p->n_recs; i++)
    if (p->recs[i].quantized && is_init(pl, p->recs[i].value)) OQ_CHECK(number_initializer(pl, i, err));
  for (int32_t i = 0; i < p->n_recs; i++)
    if (p->recs[i].quantized && !is_init(pl, p->recs[i].value)) OQ_CHECK(number_activation(pl, &p->recs[i], err));
  if (pl->edits) OQ_CHECK(apply_edits_params(pl, err));
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

/* ---- options and node selection ------------------------------------------------------------------------------ */

/* Glob match: '*' any run, '?' one byte, '[abc]' / '[a-z]' / '[!a]' a set; everything else literal. */
static int glob_match(const char *pat, const char *s) {
  while (*pat) {
    if (*pat == '*') {
      while (*pat == '*') pat++;
      if (!*pat) return 1;
      for (; *s; s++)
        if (glob_match(pat, s)) return 1;
      return 0;
    }
    if (!*s) return 0;
    if (*pat == '[') {
      const char *q = pat + 1;
      int neg = *q == '!' || *q == '^', hit = 0;
      if (neg) q++;
      const char *start = q;
      while (*q && (*q != ']' || q == start)) {
        if (q[1] == '-' && q[2] && q[2] != ']') {
          if ((unsigned char)*s >= (unsigned char)q[0] && (unsigned char)*s <= (unsigned char)q[2]) hit = 1;
          q += 3;
        } else {
          if (*q == *s) hit = 1;
          q++;
        }
      }
      if (*q != ']') { /* no closing bracket: a literal '[' */
        if (*s != '[') return 0;
        pat++;
        s++;
        continue;
      }
      if (hit == neg) return 0;
      pat = q + 1;
      s++;
      continue;
    }
    if (*pat != '?' && *pat != *s) return 0;
    pat++;
    s++;
  }
  return !*s;
}

static int matches_any(const char *const *pats, int32_t n, const char *name) {
  for (int32_t i = 0; i < n; i++)
    if (pats[i] && glob_match(pats[i], name ? name : "")) return 1;
  return 0;
}

/* Types and flags from the options (defaults: uint8 asymmetric activations, int8 symmetric weights). */
static oq_status setup_options(planner *pl, const oq_quant_options *o, oq_error *err) {
  pl->per_channel = o ? o->per_channel != 0 : 1;
  int32_t at = o && o->act_type ? o->act_type : OQ_DTYPE_UINT8;
  int32_t wt = o && o->weight_type ? o->weight_type : OQ_DTYPE_INT8;
  pl->act_sym = o ? o->act_symmetric != 0 : 0;
  pl->weight_sym = o ? o->weight_symmetric != 0 : 1;
  if (o && o->preset == OQ_PRESET_TENSORRT) {
    pl->trt = 1;
    at = wt = OQ_DTYPE_INT8;
    pl->act_sym = pl->weight_sym = 1;
  } else if (o && o->preset != OQ_PRESET_ONNXRUNTIME) {
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "quantize: unknown preset %d", (int)o->preset);
  }
  if (at != OQ_DTYPE_UINT8 && at != OQ_DTYPE_INT8 && at != OQ_DTYPE_UINT16 && at != OQ_DTYPE_INT16)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "quantize: activation type %s is not one of uint8, int8, uint16, int16",
                  oq_dtype_name(at));
  if (wt != OQ_DTYPE_INT8 && wt != OQ_DTYPE_UINT8 && wt != OQ_DTYPE_INT16 && wt != OQ_DTYPE_UINT16 &&
      wt != OQ_DTYPE_INT4 && wt != OQ_DTYPE_UINT4)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG,
                  "quantize: weight type %s is not one of int8, uint8, int16, uint16, int4, uint4", oq_dtype_name(wt));
  pl->act_qt = oq_qtype_by_dtype(at);
  pl->weight_qt = oq_qtype_by_dtype(wt);
  pl->reduce_range = o ? o->reduce_range != 0 : 0;
  pl->pow2 = o ? o->pow2_scales != 0 : 0;
  pl->keep_io = o ? o->keep_float_io != 0 : 0;
  pl->align_concat = o ? o->align_concat != 0 : 0;
  pl->block = o ? o->block_size : 0;
  if (pl->block != 0 && (pl->block < 16 || pl->block > 4096 || (pl->block & (pl->block - 1)) != 0))
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "quantize: block size %d is not a power of two from 16 to 4096",
                  (int)pl->block);
  if (o && o->n_op_types > 0) {
    if (!o->op_types) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "quantize: op_types is NULL");
    for (int32_t i = 0; i < o->n_op_types; i++)
      if (!o->op_types[i] || !oq_quant_policy_find(o->op_types[i], "", -1))
        OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "quantize: op type '%s' is not one the quantizer handles",
                      o->op_types[i] ? o->op_types[i] : "(null)");
  }
  if (o && ((o->n_include_nodes > 0 && !o->include_nodes) || (o->n_exclude_nodes > 0 && !o->exclude_nodes)))
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "quantize: node pattern list is NULL");
  return OQ_OK;
}

/* Per node: whether --op-types, --include-nodes and --exclude-nodes let it be quantized. */
static void select_nodes(planner *pl, const oq_quant_options *o) {
  for (int32_t n = 0; n < pl->g->n_nodes; n++) {
    const Onnx__NodeProto *np = pl->g->nodes[n].proto;
    int sel = 1;
    if (o && o->n_op_types > 0) {
      sel = 0;
      for (int32_t i = 0; i < o->n_op_types && !sel; i++) sel = np->op_type && !strcmp(o->op_types[i], np->op_type);
    }
    if (sel && o && o->n_include_nodes > 0) sel = matches_any(o->include_nodes, o->n_include_nodes, np->name);
    if (sel && o && o->n_exclude_nodes > 0) sel = !matches_any(o->exclude_nodes, o->n_exclude_nodes, np->name);
    pl->selected[n] = (uint8_t)sel;
  }
}

/* ---- entry ------------------------------------------------------------------------------------------------------- */

/* ---- plan-file edits ------------------------------------------------------------------------------------------ */

static int act_dtype_ok(int32_t d) {
  return d == OQ_DTYPE_UINT8 || d == OQ_DTYPE_INT8 || d == OQ_DTYPE_UINT16 || d == OQ_DTYPE_INT16;
}

/* Decisions of the edits: quantized or not, type, symmetry, axis, block, range. */
static oq_status apply_edits_decide(planner *pl, oq_error *err) {
  const oq_qedits *ed = pl->edits;
  const oq_graph *g = pl->g;
  for (int32_t k = 0; k < ed->n; k++) {
    const oq_qedit *e = &ed->items[k];
    if (!e->has) continue;
    int32_t v = oq_graph_find(g, e->name);
    const char *nm = e->name;
    oq_qrec *r = rec_of(pl, v);
    if (e->has & OQ_QEDIT_QUANTIZED) {
      if (!e->quantized) {
        if (r) {
          r->quantized = 0;
          r->is_bias = 0;
          r->share = -1;
          r->rule = OQ_QRULE_PLAN_IN;
        }
        pl->p->n_edited++;
        continue;
      }
      if (!quantizable(pl, v))
        OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "plan: value '%s' cannot be quantized (not a float tensor)", nm);
      if (!r || !r->quantized) {
        r = get_rec(pl, v);
        set_quantized(pl, r, 1, -1, OQ_QRULE_PLAN_IN, -1);
        r->share = -1;
        r->is_bias = 0;
      }
    }
    if (!r || !r->quantized) {
      if (r && r->is_bias && !(e->has & ~(uint32_t)OQ_QEDIT_QUANTIZED)) continue;
      OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "plan: value '%s' is not quantized; set \"quantized\": true to edit it",
                    nm);
    }
    int weight = r->role == OQ_QROLE_WEIGHT;
    if (e->has & OQ_QEDIT_TYPE) {
      const oq_qtype *qt = oq_qtype_by_dtype(e->dtype);
      if (!qt || (!weight && !act_dtype_ok(e->dtype)))
        OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "plan: value '%s': type %s is not allowed for %s values", nm,
                      oq_dtype_name(e->dtype), oq_qrole_name(r->role));
      r->qtype = qt;
      r->dtype = qt->dtype;
    }
    if (e->has & OQ_QEDIT_SYMMETRIC) r->symmetric = e->symmetric;
    if (e->has & (OQ_QEDIT_AXIS | OQ_QEDIT_BLOCK)) {
      int32_t axis = e->has & OQ_QEDIT_AXIS ? e->axis : r->axis;
      int32_t block = e->has & OQ_QEDIT_BLOCK ? e->block : r->block;
      const Onnx__TensorProto *t = weight ? g->values[v].init : NULL;
      if (!weight && axis != -1)
        OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "plan: value '%s': an activation is quantized per tensor (axis -1)", nm);
      if (weight && (axis < -1 || axis >= (int32_t)t->n_dims))
        OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "plan: value '%s': axis %d out of range for rank %d", nm, (int)axis,
                      (int)t->n_dims);
      if (block != 0 && (axis < 0 || block < 2 || block > 65536 || !weight || t->n_dims > OQ_MAX_DIMS))
        OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "plan: value '%s': block %d needs a weight axis and a size from 2", nm,
                      (int)block);
      r->axis = axis;
      r->block = block;
      if (r->share >= 0 && weight) r->share = -1;
    }
    if (e->has & OQ_QEDIT_RANGE) {
      if (weight) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "plan: value '%s': a weight's range is its data", nm);
      if (!(e->rmin <= e->rmax))
        OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "plan: value '%s': range [%g, %g] is empty", nm, (double)e->rmin,
                      (double)e->rmax);
      pl->rmin[v] = e->rmin;
      pl->rmax[v] = e->rmax;
      pl->has_range[v] = 1;
      r->share = -1;
    }
    r->rule = OQ_QRULE_PLAN_IN;
    pl->p->n_edited++;
  }
  return OQ_OK;
}

/* Numbers of the edits: scales and zero points, used as written. */
static oq_status apply_edits_params(planner *pl, oq_error *err) {
  const oq_qedits *ed = pl->edits;
  for (int32_t k = 0; k < ed->n; k++) {
    const oq_qedit *e = &ed->items[k];
    if (!(e->has & (OQ_QEDIT_SCALE | OQ_QEDIT_ZERO_POINT))) continue;
    int32_t v = oq_graph_find(pl->g, e->name);
    oq_qrec *r = rec_of(pl, v);
    if (!r || !r->quantized || r->role == OQ_QROLE_BIAS)
      OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG,
                    "plan: value '%s': scale/zero point of a value that is not a quantized activation or weight "
                    "(a bias's scale is input scale x weight scale)",
                    e->name);
    if (r->params_of != v) { /* it shared another value's params: it gets its own */
      const oq_qrec *src = rec_of(pl, r->params_of);
      r->params = oq_calloc(1, sizeof *r->params, err);
      if (!r->params) return OQ_ERR_NOMEM;
      r->n_params = 1;
      r->params[0] = src->params[0];
      r->share = -1;
      r->params_of = v;
      r->rmin = src->rmin;
      r->rmax = src->rmax;
    }
    int32_t qmin, qmax;
    oq_qspec sp = rec_spec(r);
    oq_qtype_range(sp.qt, 0, &qmin, &qmax);
    if (e->has & OQ_QEDIT_SCALE) {
      if (e->n_scale != r->n_params)
        OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "plan: value '%s': %d scales, expected %d", e->name, (int)e->n_scale,
                      (int)r->n_params);
      for (int32_t c = 0; c < e->n_scale; c++) {
        if (!(e->scale[c] > 0.0f) || !isfinite(e->scale[c]))
          OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "plan: value '%s': scale %g is not a positive finite number", e->name,
                        (double)e->scale[c]);
        r->params[c].scale = e->scale[c];
      }
    }
    if (e->has & OQ_QEDIT_ZERO_POINT) {
      if (e->n_zp != r->n_params)
        OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "plan: value '%s': %d zero points, expected %d", e->name, (int)e->n_zp,
                      (int)r->n_params);
      for (int32_t c = 0; c < e->n_zp; c++) {
        if (e->zp[c] < qmin || e->zp[c] > qmax)
          OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "plan: value '%s': zero point %d outside %s [%d, %d]", e->name,
                        (int)e->zp[c], r->qtype->name, (int)qmin, (int)qmax);
        r->params[c].zero_point = e->zp[c];
      }
    }
    r->fixed_params = 1;
    r->rule = OQ_QRULE_PLAN_IN;
    /* n_edited counts values: one whose decisions were edited too was counted by apply_edits_decide */
    if (!(e->has &
          (OQ_QEDIT_QUANTIZED | OQ_QEDIT_TYPE | OQ_QEDIT_SYMMETRIC | OQ_QEDIT_AXIS | OQ_QEDIT_BLOCK | OQ_QEDIT_RANGE)))
      pl->p->n_edited++;
  }
  return OQ_OK;
}

/* The fields of each edit that differ from plan a (this run's own decisions): what the user changed. */
static oq_status diff_edits(const oq_qplan *a, const oq_qedits *in, oq_qedits *out, oq_error *err) {
  out->n = 0;
  out->items = oq_calloc(in->n > 0 ? (size_t)in->n : 1, sizeof *out->items, err);
  if (!out->items) return OQ_ERR_NOMEM;
  for (int32_t k = 0; k < in->n; k++) {
    const oq_qedit *e = &in->items[k];
    int32_t v = oq_graph_find(a->graph, e->name);
    if (v < 0) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "plan: value '%s' is not in the model", e->name);
    const oq_qrec *r = oq_qplan_find(a, v);
    int q = r && r->quantized;
    oq_qedit *d = &out->items[out->n++];
    *d = *e; /* borrows the arrays of in */
    d->has = 0;
    int wants_q = e->has & OQ_QEDIT_QUANTIZED ? e->quantized : q;
    if (wants_q != q) {
      d->has |= OQ_QEDIT_QUANTIZED;
      if (!wants_q) continue;
      d->has |= e->has; /* a value newly quantized takes every field the file gives it */
      continue;
    }
    if (!q) continue;
    /* a quantized bias's type, axis, symmetry and numbers all follow from its input's and weight's (its axis is
     * the weight's: a plan that makes the weight per tensor writes the bias with axis -1, which is no edit of the
     * bias; fuzz_plan: read back as 'value B is not quantized') */
    if (r->role == OQ_QROLE_BIAS) continue;
    if ((e->has & OQ_QEDIT_TYPE) && e->dtype != r->dtype) d->has |= OQ_QEDIT_TYPE;
    if ((e->has & OQ_QEDIT_SYMMETRIC) && e->symmetric != r->symmetric) d->has |= OQ_QEDIT_SYMMETRIC;
    if ((e->has & OQ_QEDIT_AXIS) && e->axis != r->axis) d->has |= OQ_QEDIT_AXIS;
    if ((e->has & OQ_QEDIT_BLOCK) && e->block != r->block) d->has |= OQ_QEDIT_BLOCK;
    int own_range = r->role == OQ_QROLE_ACT && r->params_of == v;
    if ((e->has & OQ_QEDIT_RANGE) && (!own_range || e->rmin != r->rmin || e->rmax != r->rmax)) d->has |= OQ_QEDIT_RANGE;
    /* a bias's scale and zero point follow from its input's and weight's (written for reading, not an edit): an
     * edited input range changes them in the file without the bias being edited */
    /* a value sharing another's params (params_of) is written with that value's numbers: where the file gives the
     * source's numbers too, the sharer's are compared with those (the source's edit, not the sharer's; fuzz_plan:
     * a shared value's scale, written after its source's range was edited, read back as an edit of its own) */
    const oq_qedit *se = NULL;
    if (r->params_of != v && r->params_of >= 0 && r->params_of < a->graph->n_values)
      for (int32_t i = 0; i < in->n && !se; i++)
        if (a->graph->values[r->params_of].name && !strcmp(in->items[i].name, a->graph->values[r->params_of].name))
          se = &in->items[i];
    /* "params_of" naming the value itself where this run would share another's: numbers of its own, as the file
     * gives them (the plan written after a sharer got numbers of its own says so, and those numbers may equal its
     * source's: compared with them below they read back as sharing; fuzz_plan) */
    if (r->params_of != v && e->params_of && !strcmp(e->params_of, e->name)) {
      d->has |= e->has & (OQ_QEDIT_SCALE | OQ_QEDIT_ZERO_POINT);
      continue;
    }
    if ((e->has & OQ_QEDIT_SCALE) && r->role != OQ_QROLE_BIAS) {
      const oq_qrec *pr = oq_qplan_find(a, r->params_of);
      int same;
      if (se && (se->has & OQ_QEDIT_SCALE)) {
        same = e->n_scale == se->n_scale;
        for (int32_t c = 0; same && c < e->n_scale; c++) same = e->scale[c] == se->scale[c];
      } else {
        same = pr && e->n_scale == pr->n_params;
        for (int32_t c = 0; same && c < e->n_scale; c++) same = e->scale[c] == pr->params[c].scale;
      }
      if (!same) d->has |= OQ_QEDIT_SCALE;
    }
    if ((e->has & OQ_QEDIT_ZERO_POINT) && r->role != OQ_QROLE_BIAS) {
      const oq_qrec *pr = oq_qplan_find(a, r->params_of);
      int same;
      if (se && (se->has & OQ_QEDIT_ZERO_POINT)) {
        same = e->n_zp == se->n_zp;
        for (int32_t c = 0; same && c < e->n_zp; c++) same = e->zp[c] == se->zp[c];
      } else {
        same = pr && e->n_zp == pr->n_params;
        for (int32_t c = 0; same && c < e->n_zp; c++) same = e->zp[c] == pr->params[c].zero_point;
      }
      if (!same) d->has |= OQ_QEDIT_ZERO_POINT;
    }
    /* a new type, symmetry, axis, block or range makes new numbers unless the file gives them too */
  }
  return OQ_OK;
}

static oq_status build(const oq_model *model, const oq_calib_stats *stats, const oq_quant_options *opts,
                       const oq_qedits *edits, oq_qplan **out, oq_error *err) {
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
  pl.edits = edits;
  pl.opset = oq_graph_opset(g, "");
  OQ_CHECK(setup_options(&pl, opts, err));

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
  ALLOC(&pl, selected, nn);
  ALLOC(&pl, no_act, nv);
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

  select_nodes(&pl, opts);
  /* A model that already holds Q/DQ (--requantize): what a QuantizeLinear reads or a DequantizeLinear writes is
   * quantized already and keeps the quantization it has. */
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const oq_node *node = &g->nodes[n];
    const char *op = node->proto->op_type ? node->proto->op_type : "";
    if (!strcmp(op, "QuantizeLinear") && node->n_inputs > 0 && node->inputs[0] >= 0) pl.no_act[node->inputs[0]] = 2;
    if (!strcmp(op, "DequantizeLinear") && node->n_outputs > 0 && node->outputs[0] >= 0)
      pl.no_act[node->outputs[0]] = 2;
  }
  OQ_CHECK(init_ranges(&pl, err));
  OQ_CHECK(decide(&pl, err));
  drop_dead_constants(&pl);
  if (edits) OQ_CHECK(apply_edits_decide(&pl, err));
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
  oq_free(pl.selected);
  oq_free(pl.no_act);
  oq_qplan_free(p);
  return st;
}

oq_status oq_qplan_build(const oq_model *model, const oq_calib_stats *stats, const oq_quant_options *opts,
                         oq_qplan **out, oq_error *err) {
  return build(model, stats, opts, NULL, out, err);
}

oq_status oq_qplan_build_edited(const oq_model *model, const oq_calib_stats *stats, const oq_quant_options *opts,
                                const oq_qedits *edits, oq_qplan **out, oq_error *err) {
  oq_status st = OQ_OK;
  oq_qplan *a = NULL;
  oq_qedits d = {NULL, 0};
  if (!edits) return build(model, stats, opts, NULL, out, err);
  if (!out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_qplan_build_edited: NULL argument");
  *out = NULL;
  OQ_CHECK(build(model, stats, opts, NULL, &a, err));
  OQ_CHECK(diff_edits(a, edits, &d, err));
  OQ_CHECK(build(model, stats, opts, &d, out, err));
fail:
  oq_free(d.items); /* the arrays are borrowed from edits */
  oq_qplan_free(a);
  return st;
}
