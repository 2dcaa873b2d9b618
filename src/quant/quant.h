/* Quantization: the quantization-type table (qtype.h), scale/zero-point math (qparams.c), the per-op policy table
 * (policy.c) and the QDQ rewrite: planner (qplan.c), emitter (emit.c), driver (quantize.c). The formulas follow
 * onnxruntime's quantize_static (QDQ format, QUInt8 activations, QInt8 weights, MinMax calibration) so that both
 * tools produce the same numbers; docs/algorithms.md lists them. */
#ifndef OQ_QUANT_QUANT_H
#define OQ_QUANT_QUANT_H

#include "calib/calib.h"
#include "core/error.h"
#include "model/model.h"
#include "quant/qtype.h"

/* ---- qparams ------------------------------------------------------------------------------------------------ */

/* Scale and zero point of r = scale * (q - zero_point). */
typedef struct oq_qparams {
  float scale;        /* > 0 */
  int32_t zero_point; /* within [qmin, qmax] of the target type */
} oq_qparams;

/* Rounds to the nearest integer, ties to even (numpy.round), independent of the FPU rounding mode. */
double oq_round_half_even(double x);

/* onnxruntime's compute_scale_zp: the range is widened to include 0; symmetric uses [-absmax, absmax];
 * scale = (rmax - rmin) / (qmax - qmin) (difference in float32, division in double, stored as float32);
 * zero_point = round(qmin - rmin / scale) (symmetric: round((qmin + qmax) / 2)); a scale below FLT_MIN (or a
 * non-finite range) gives scale 1, zero point 0. */
oq_qparams oq_qparams_compute(float rmin, float rmax, int32_t qmin, int32_t qmax, int symmetric);
/* The same for a quantization type: over its symmetric range when symmetric (int8 [-127, 127]), else its full
 * range (uint8 [0, 255]), as onnxruntime's get_qmin_qmax_for_qType. */
oq_qparams oq_qparams_for(const oq_qtype *qt, float rmin, float rmax, int symmetric);

/* One element as numpy does it in quantize_nparray: round(float32(x / scale)) + zero_point, clipped to
 * [qmin, qmax]. NaN maps to the zero point. */
int32_t oq_quantize_value(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax);

/* Bias: scale = float32(input_scale * weight_scale) * beta (float32 arithmetic), zero point 0,
 * q = clip(round(double(b) / double(scale)), int32). */
float oq_bias_scale(float input_scale, float weight_scale, float beta);
int32_t oq_quantize_bias(float b, float bias_scale);
/* onnxruntime >= 1.20 raises a weight scale when input_scale * weight_scale is too small for the bias to fit in
 * int32: returns the (possibly larger) weight scale for a bias whose largest magnitude is bias_absmax. */
float oq_adjust_weight_scale_for_bias(float input_scale, float weight_scale, float bias_absmax);

/* Weight quantization of a dense float tensor, per channel along axis (0 <= axis < ndim) or per tensor
 * (axis < 0): params gets one entry per channel (1 when per tensor), computed by oq_qparams_for(qt, channel
 * min, channel max, symmetric) from the data. */
oq_status oq_quant_weight_params(const float *w, int32_t ndim, const int64_t *dims, int32_t axis, const oq_qtype *qt,
                                 int symmetric, oq_qparams *params, oq_error *err);
/* Quantizes w with params (as computed above, possibly adjusted) into q, which holds oq_qtype_nbytes(qt, numel)
 * bytes laid out as raw_data stores them (oq_qtype_store). Values saturate to qt's full range, as onnxruntime's
 * quantize_nparray does. */
oq_status oq_quant_weight_apply(const float *w, int32_t ndim, const int64_t *dims, int32_t axis, const oq_qtype *qt,
                                const oq_qparams *params, uint8_t *q, oq_error *err);

/* How one value's numbers are made: its type, symmetry, onnxruntime's reduce_range (8-bit types use 7 bits:
 * int8 [-64, 64], uint8 [0, 127]) and power-of-two scales (rounded up, the zero point then recomputed). */
typedef struct oq_qspec {
  const oq_qtype *qt;   /* the quantized type */
  int32_t symmetric;    /* 1: [-absmax, absmax] over the symmetric range */
  int32_t reduce_range; /* 1: 7-bit range for an 8-bit type */
  int32_t pow2;         /* 1: scale rounded up to a power of two */
} oq_qspec;

/* The integer range a spec computes scale/zero point for. */
void oq_qspec_range(const oq_qspec *s, int32_t *qmin, int32_t *qmax);
/* Scale/zero point of [rmin, rmax] under a spec (oq_qparams_compute, then the power-of-two rounding). */
oq_qparams oq_qparams_spec(const oq_qspec *s, float rmin, float rmax);
/* Rounds p's scale up to a power of two and recomputes the zero point for rmin (unchanged when symmetric). */
oq_qparams oq_qparams_pow2(oq_qparams p, float rmin, int32_t qmin, int32_t qmax, int symmetric);
/* Parameter count of a weight quantized along axis with block size block (0: one per channel; axis < 0: 1).
 * False on overflow or a bad axis. */
bool oq_quant_param_count(int32_t ndim, const int64_t *dims, int32_t axis, int32_t block, size_t *out);
/* Weight parameters under a spec: per tensor (axis < 0), per channel, or per block of `block` elements along axis
 * (params laid out as the scale tensor of a blocked DequantizeLinear: the weight's shape with dims[axis] replaced
 * by ceil(dims[axis] / block)). params holds oq_quant_param_count entries. */
oq_status oq_quant_weight_params_spec(const float *w, int32_t ndim, const int64_t *dims, int32_t axis, int32_t block,
                                      const oq_qspec *s, oq_qparams *params, oq_error *err);
/* Quantizes w with params as laid out above (block 0: oq_quant_weight_apply). */
oq_status oq_quant_weight_apply_blocked(const float *w, int32_t ndim, const int64_t *dims, int32_t axis, int32_t block,
                                        const oq_qtype *qt, const oq_qparams *params, uint8_t *q, oq_error *err);

/* ---- policy ------------------------------------------------------------------------------------------------- */

/* How the quantizer treats an op type (policy.c). */
typedef enum oq_quant_kind {
  OQ_QUANT_NONE = 0,      /* left in float */
  OQ_QUANT_GENERIC = 1,   /* the first act_inputs float inputs and every output get Q/DQ with their own range */
  OQ_QUANT_WEIGHTED = 2,  /* activation input 0 + output; weight input 1 (per channel); int32 bias input 2 */
  OQ_QUANT_MATMUL = 3,    /* initializer inputs as weights (per channel, last axis), others activations; output */
  OQ_QUANT_DIRECT = 4,    /* outputs share input 0's scale/zero point, only when input 0 is quantized */
  OQ_QUANT_REMOVABLE = 5, /* Relu/Clip: removed by letting the producer write the output, when it can */
  OQ_QUANT_RNN = 6        /* LSTM/GRU/RNN: weight inputs 1 and 2 only (per channel on weight_axis) */
} oq_quant_kind;

/* One row of the policy table. */
typedef struct oq_quant_policy {
  const char *op_type;  /* default-domain op type */
  oq_quant_kind kind;   /* see enum */
  int32_t weight_axis;  /* per-channel axis of the weight (Gemm: -1 = from transB; MatMul: -1 = last) */
  int32_t min_opset;    /* the op is left in float below this opset (MaxPool: 12, uint8 MaxPool) */
  int32_t act_inputs;   /* GENERIC: leading inputs that are activations, -1 = all */
  int32_t fixed_range;  /* 1: the output's range is [out_lo, out_hi] whatever calibration saw (Softmax [0, 1]) */
  float out_lo, out_hi; /* see fixed_range */
} oq_quant_policy;

/* Row for (op_type, domain) at this opset, or NULL when the op stays in float. */
const oq_quant_policy *oq_quant_policy_find(const char *op_type, const char *domain, int64_t opset);
/* The whole table (docs, --op-types validation). */
const oq_quant_policy *oq_quant_policy_table(int32_t *count);

/* Values calibration must observe: every non-initializer input and output of a node the policy quantizes
 * (onnxruntime calibrates the float inputs/outputs of all op types it quantizes). *out: calloc'd n_values flags. */
oq_status oq_quant_tracked_values(const oq_model *model, uint8_t **out, oq_error *err);

/* ---- rewrite ------------------------------------------------------------------------------------------------ */

/* Builds the QDQ model from calibration statistics (ranges per value of model's graph): oq_qplan_build, then
 * oq_quant_emit (qplan.h). The input model and its proto are not modified; *out is a built model (never packed
 * into one buffer, so it may exceed 2 GiB) that shares the unchanged parts of model's proto and its external data
 * and keeps model alive until it is freed itself. */
oq_status oq_quant_rewrite(const oq_model *model, const oq_calib_stats *stats, const oq_quant_options *opts,
                           oq_model **out, oq_error *err);

#endif
