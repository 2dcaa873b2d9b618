/* The quantization plan: what the QDQ rewrite will do to every value, decided before any proto is built.
 *
 *   oq_qplan_build   planner: per-op decisions in graph order (onnxruntime's QDQQuantizer.quantize_model, driven
 *                    by the policy table), then the numbers: scales, zero points, quantized weight and bias bytes,
 *                    the target opset. Rules and overrides edit the records between those two steps.
 *   oq_quant_emit    emitter: builds the new ModelProto from the plan alone, through model/edit.
 *   oq_qplan_describe  the plan as JSON.
 *
 * oq_quant_rewrite (quant.h) runs the two and wraps the result as a model. */
#ifndef OQ_QUANT_QPLAN_H
#define OQ_QUANT_QPLAN_H

#include "model/edit.h"
#include "quant/quant.h"

/* What a record's value is. */
typedef enum oq_qrole {
  OQ_QROLE_ACT = 0,    /* computed at run time: QuantizeLinear -> DequantizeLinear after its producer */
  OQ_QROLE_WEIGHT = 1, /* float initializer quantized here (a weight, or an op's constant input): DequantizeLinear */
  OQ_QROLE_BIAS = 2    /* int32 initializer of a Conv/Gemm bias: DequantizeLinear with scale input * weight scale */
} oq_qrole;

/* The rule that decided a record (or a removed node, or the opset). Names: oq_qrule_name. */
typedef enum oq_qrule {
  OQ_QRULE_GENERIC = 0,       /* policy GENERIC: every float input and output with its own range */
  OQ_QRULE_WEIGHTED = 1,      /* policy WEIGHTED (Conv, Gemm): activation input 0 / output, or the weight */
  OQ_QRULE_MATMUL = 2,        /* policy MATMUL: initializer inputs as weights, the others as activations */
  OQ_QRULE_REMOVABLE = 3,     /* policy REMOVABLE (Relu, Clip) kept: its input and output */
  OQ_QRULE_DIRECT = 4,        /* policy DIRECT: the output shares input 0's scale and zero point */
  OQ_QRULE_BIAS = 5,          /* bias rule: int32, scale = input scale * weight scale (* Gemm beta) */
  OQ_QRULE_RELU_REMOVED = 6,  /* Relu/Clip removed, its producer writes its output (value: no longer exists) */
  OQ_QRULE_DEAD_CONSTANT = 7, /* node: a Constant that only fed removed nodes */
  OQ_QRULE_SHARE_FLOAT = 8,   /* stays float: the value whose scale it would share is not quantized per tensor */
  OQ_QRULE_BIAS_FLOAT = 9,    /* bias stays float: weight not quantized, no input scale, or shapes disagree */
  OQ_QRULE_OPSET_RAISED = 10, /* opset: raised to what per-axis DequantizeLinear needs */
  OQ_QRULE_OPSET_KEPT = 11,   /* opset: kept (high enough, or raising would change a node and nothing needs it) */
  OQ_QRULE_CONCAT_ALIGN = 12, /* --align-concat: a Concat input shares the Concat output's scale/zero point */
  OQ_QRULE_MATMUL_BIAS = 13,  /* MatMul + Add of a constant: the constant is the MatMul's int32 bias, the MatMul
                                 output stays float between them */
  OQ_QRULE_RNN = 14,          /* policy RNN: an LSTM/GRU/RNN weight */
  OQ_QRULE_PLAN_IN = 15,      /* a field of this record comes from --plan-in (an edit of the plan) */
  OQ_QRULE_COUNT_ = 16
} oq_qrule;

/* One value the planner registered. After oq_qplan_build: quantized says whether it is emitted quantized; when it
 * is, dtype/qtype/axis/n_params/params/params_of describe it. */
typedef struct oq_qrec {
  int32_t value;         /* value id in the input graph */
  oq_qrole role;         /* see enum */
  oq_qrule rule;         /* the rule that decided it (the last that registered it), or why it stays float */
  int32_t node;          /* node whose rule decided it, -1 */
  int32_t quantized;     /* 1: emitted quantized; 0: stays float */
  int32_t dtype;         /* oq_dtype of the quantized data and zero point (INT32 for a bias) */
  const oq_qtype *qtype; /* row of dtype; NULL for a bias */
  int32_t symmetric;     /* 1: scale from [-absmax, absmax] over the symmetric range */
  int32_t axis;          /* channel axis of scale / zero point, -1 per tensor (before numbers: the axis asked for) */
  int32_t block;         /* block size along axis, 0 = not blocked */
  int32_t share;         /* value whose scale/zero point this one asked to share (DIRECT), -1 */
  int32_t params_of;     /* value whose scale/zero point initializers it uses: itself, or the end of the share
                            chain (an activation or a per-tensor weight) */
  int32_t n_params;      /* entries in params: 1 per tensor, channels per axis; 0 when it uses another value's */
  oq_qparams *params;    /* owned, n_params: scale and zero point per channel */
  float rmin, rmax;      /* ACT with its own params: the calibrated range (after Relu/Softmax adjustment) */
  int32_t bias_input;    /* BIAS: the node's activation input (its scale), -1 */
  int32_t bias_weight;   /* BIAS: the node's weight, -1 */
  float bias_beta;       /* BIAS: Gemm's beta (1 otherwise) */
  int32_t reduce_range;  /* 1: 7-bit range of an 8-bit type (weights, --reduce-range) */
  int32_t pow2;          /* 1: power-of-two scales */
  int32_t fixed_params;  /* 1: params come from --plan-in and are used as they are (no bias adjustment) */
  int32_t is_bias;       /* registered as a bias (a value can also be registered otherwise; the other wins) */
  uint8_t *data;         /* WEIGHT/BIAS: owned; the quantized tensor exactly as raw_data stores it */
  size_t nbytes;         /* bytes at data */
} oq_qrec;

/* The plan for one graph. Invariant: recs are in registration order (the order new initializers are emitted);
 * rec_of maps every value id to its record or -1. Owns everything it points at except graph, which it borrows. */
typedef struct oq_qplan {
  const oq_graph *graph;  /* borrowed; the input model's graph index */
  oq_qrec *recs;          /* owned, n_recs entries */
  int32_t n_recs;         /* entries in recs */
  int32_t *rec_of;        /* owned; per value id: index into recs, -1 */
  uint8_t *node_removed;  /* owned; per node: 1 = not emitted */
  oq_qrule *node_rule;    /* owned; per node: why removed (meaningful when node_removed) */
  int32_t *out_off;       /* owned; per node: first entry of its output slots in out_value */
  int32_t *out_value;     /* owned; per node output slot: the value it writes in the result (a removed Relu's
                             output when the Relu was folded into it), -1 for an omitted output */
  int64_t opset_from;     /* default-domain opset of the input */
  int64_t opset_to;       /* default-domain opset of the result */
  oq_qrule opset_rule;    /* OQ_QRULE_OPSET_RAISED or OQ_QRULE_OPSET_KEPT */
  int64_t ir_version_min; /* the result's IR version is raised to at least this */
  int32_t n_edited;       /* records changed by --plan-in */
} oq_qplan;

/* One value's entry of a plan file (--plan-in), as read (plan_read.c). `has` says which fields the file holds. */
enum {
  OQ_QEDIT_QUANTIZED = 1u << 0,
  OQ_QEDIT_TYPE = 1u << 1,
  OQ_QEDIT_SYMMETRIC = 1u << 2,
  OQ_QEDIT_AXIS = 1u << 3,
  OQ_QEDIT_BLOCK = 1u << 4,
  OQ_QEDIT_RANGE = 1u << 5,
  OQ_QEDIT_SCALE = 1u << 6,
  OQ_QEDIT_ZERO_POINT = 1u << 7
};
typedef struct oq_qedit {
  char *name;        /* owned; the value's name */
  uint32_t has;      /* OQ_QEDIT_* bits */
  int32_t quantized; /* 0/1 */
  int32_t dtype;     /* oq_dtype of "type" */
  int32_t symmetric; /* 0/1 */
  int32_t axis;      /* -1 per tensor */
  int32_t block;     /* 0 not blocked */
  float rmin, rmax;  /* "range" */
  int32_t n_scale;   /* entries at scale */
  float *scale;      /* owned */
  int32_t n_zp;      /* entries at zp */
  int32_t *zp;       /* owned */
  char *params_of;   /* owned or NULL; "params_of": naming the value itself means numbers of its own */
} oq_qedit;

/* A plan file's values, in file order. */
typedef struct oq_qedits {
  oq_qedit *items; /* owned, n entries */
  int32_t n;
} oq_qedits;

/* Reads a plan file written by --plan-out (and possibly edited). Errors name the file and what is wrong. */
oq_status oq_qedits_read(const char *path, oq_qedits *out, oq_error *err);
/* The same from text (len bytes); what is the name errors use. */
oq_status oq_qedits_parse(const char *text, size_t len, const char *what, oq_qedits *out, oq_error *err);
void oq_qedits_free(oq_qedits *e);

/* Plans the QDQ rewrite of model from calibration statistics. opts may be NULL (defaults). *out is owned by the
 * caller (oq_qplan_free); it borrows model's graph. */
oq_status oq_qplan_build(const oq_model *model, const oq_calib_stats *stats, const oq_quant_options *opts,
                         oq_qplan **out, oq_error *err);
/* The same, then the edits of a plan file: the plan is first built as above, and every field of an edit that
 * differs from that plan is applied (a field equal to this run's own decision is left to the planner, so a value
 * recomputed from an edited one, e.g. a scale from an edited range, follows the edit). edits may be NULL. */
oq_status oq_qplan_build_edited(const oq_model *model, const oq_calib_stats *stats, const oq_quant_options *opts,
                                const oq_qedits *edits, oq_qplan **out, oq_error *err);
void oq_qplan_free(oq_qplan *plan);
/* The record of value v, NULL when v was never registered. */
const oq_qrec *oq_qplan_find(const oq_qplan *plan, int32_t v);
const char *oq_qrule_name(oq_qrule rule);
const char *oq_qrole_name(oq_qrole role);

/* The plan as one JSON object (NUL-terminated; the caller releases it with oq_free):
 *   {"opset":{"from":12,"to":13,"rule":"opset_raised"},
 *    "removed_nodes":[{"node":"relu","op":"Relu","rule":"relu_removed"}],
 *    "values":[{"name":"x","role":"activation","rule":"weighted","node":"conv","quantized":true,"type":"uint8",
 *               "symmetric":false,"axis":-1,"block":0,"share":null,"params_of":"x","scale":[...],
 *               "zero_point":[...],"range":[0,1]}, ...]}
 * Values in record order; floats with 9 significant digits (they read back to the same float32). */
oq_status oq_qplan_describe(const oq_qplan *plan, char **out, oq_error *err);

/* Builds the QDQ ModelProto of model from plan, without deciding anything: every new node, initializer and name
 * is allocated in ed (which the caller creates and frees; the result lives as long as ed and model->proto, whose
 * unchanged parts it shares by pointer). plan's quantized bytes are borrowed too: keep plan alive as long as ed
 * (oq_edit_adopt it). Errors: a generated name that the model already uses. */
oq_status oq_quant_emit(const oq_model *model, const oq_qplan *plan, oq_edit *ed, Onnx__ModelProto **out,
                        oq_error *err);

/* Provenance of a built model mp (a copy made by oq_quant_emit): producer_name "onnxq" and the library version,
 * and metadata_props: the n_kv key/value pairs at kv (borrowed; they must live as long as ed) replace every
 * earlier "onnxq." entry; other entries are kept. */
oq_status oq_quant_emit_provenance(oq_edit *ed, Onnx__ModelProto *mp, const char *const *kv, size_t n_kv,
                                   oq_error *err);

#endif
