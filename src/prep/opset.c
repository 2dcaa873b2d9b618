/* Opset conversion of the default domain: every node is carried from the model's opset to the target one step at
 * a time, one step per since-version of its operator that lies between the two. A step either keeps the node (the
 * new version only adds types, attributes with defaults that keep the old behaviour, or relaxes constraints) or
 * runs the step's rule from the one table below, which rewrites the node (attributes becoming inputs, renamed
 * operators, explicit old defaults) or expands it into nodes that compute what the old version computed
 * (Softmax-1's 2-D coercion, legacy broadcasting, per-activation BatchNormalization). A step that cannot be
 * converted fails naming the node and the op. Subgraphs (If/Loop/Scan bodies) are converted with their node.
 *
 * The since-versions (k_versions) are ONNX's operator history of the default domain up to opset 21 (onnx
 * docs/Changelog.md); an operator outside it (experimental ops that were removed, e.g. ImageScaler) is refused. */
#include "prep/prep.h"

#include "core/dtype.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Since-versions of every default-domain operator up to opset 21 (ascending, 0-terminated). */
static const struct {
  const char *op;
  int8_t since[8];
} k_versions[] = {
    {"Abs", {1, 6, 13}},
    {"Acos", {7}},
    {"Acosh", {9}},
    {"Add", {1, 6, 7, 13, 14}},
    {"AffineGrid", {20}},
    {"And", {1, 7}},
    {"ArgMax", {1, 11, 12, 13}},
    {"ArgMin", {1, 11, 12, 13}},
    {"Asin", {7}},
    {"Asinh", {9}},
    {"Atan", {7}},
    {"Atanh", {9}},
    {"AveragePool", {1, 7, 10, 11, 19}},
    {"BatchNormalization", {1, 6, 7, 9, 14, 15}},
    {"Bernoulli", {15}},
    {"BitShift", {11}},
    {"BitwiseAnd", {18}},
    {"BitwiseNot", {18}},
    {"BitwiseOr", {18}},
    {"BitwiseXor", {18}},
    {"BlackmanWindow", {17}},
    {"Cast", {1, 6, 9, 13, 19, 21}},
    {"CastLike", {15, 19, 21}},
    {"Ceil", {1, 6, 13}},
    {"Celu", {12}},
    {"CenterCropPad", {18}},
    {"Clip", {1, 6, 11, 12, 13}},
    {"Col2Im", {18}},
    {"Compress", {9, 11}},
    {"Concat", {1, 4, 11, 13}},
    {"ConcatFromSequence", {11}},
    {"Constant", {1, 9, 11, 12, 13, 19, 21}},
    {"ConstantOfShape", {9, 20, 21}},
    {"Conv", {1, 11}},
    {"ConvInteger", {10}},
    {"ConvTranspose", {1, 11}},
    {"Cos", {7}},
    {"Cosh", {9}},
    {"CumSum", {11, 14}},
    {"DFT", {17, 20}},
    {"DeformConv", {19}},
    {"DepthToSpace", {1, 11, 13}},
    {"DequantizeLinear", {10, 13, 19, 21}},
    {"Det", {11}},
    {"Div", {1, 6, 7, 13, 14}},
    {"Dropout", {1, 6, 7, 10, 12, 13}},
    {"DynamicQuantizeLinear", {11}},
    {"Einsum", {12}},
    {"Elu", {1, 6}},
    {"Equal", {1, 7, 11, 13, 19}},
    {"Erf", {9, 13}},
    {"Exp", {1, 6, 13}},
    {"Expand", {8, 13}},
    {"EyeLike", {9}},
    {"Flatten", {1, 9, 11, 13, 21}},
    {"Floor", {1, 6, 13}},
    {"GRU", {1, 3, 7, 14}},
    {"Gather", {1, 11, 13}},
    {"GatherElements", {11, 13}},
    {"GatherND", {11, 12, 13}},
    {"Gelu", {20}},
    {"Gemm", {1, 6, 7, 9, 11, 13}},
    {"GlobalAveragePool", {1}},
    {"GlobalLpPool", {1, 2}},
    {"GlobalMaxPool", {1}},
    {"Greater", {1, 7, 9, 13}},
    {"GreaterOrEqual", {12, 16}},
    {"GridSample", {16, 20}},
    {"GroupNormalization", {18, 21}},
    {"HammingWindow", {17}},
    {"HannWindow", {17}},
    {"HardSigmoid", {1, 6}},
    {"HardSwish", {14}},
    {"Hardmax", {1, 11, 13}},
    {"Identity", {1, 13, 14, 16, 19, 21}},
    {"If", {1, 11, 13, 16, 19, 21}},
    {"ImageDecoder", {20}},
    {"InstanceNormalization", {1, 6}},
    {"IsInf", {10, 20}},
    {"IsNaN", {9, 13, 20}},
    {"LRN", {1, 13}},
    {"LSTM", {1, 7, 14}},
    {"LayerNormalization", {17}},
    {"LeakyRelu", {1, 6, 16}},
    {"Less", {1, 7, 9, 13}},
    {"LessOrEqual", {12, 16}},
    {"Log", {1, 6, 13}},
    {"LogSoftmax", {1, 11, 13}},
    {"Loop", {1, 11, 13, 16, 19, 21}},
    {"LpNormalization", {1}},
    {"LpPool", {1, 2, 11, 18}},
    {"MatMul", {1, 9, 13}},
    {"MatMulInteger", {10}},
    {"Max", {1, 6, 8, 12, 13}},
    {"MaxPool", {1, 8, 10, 11, 12}},
    {"MaxRoiPool", {1}},
    {"MaxUnpool", {9, 11}},
    {"Mean", {1, 6, 8, 13}},
    {"MeanVarianceNormalization", {9, 13}},
    {"MelWeightMatrix", {17}},
    {"Min", {1, 6, 8, 12, 13}},
    {"Mish", {18}},
    {"Mod", {10, 13}},
    {"Mul", {1, 6, 7, 13, 14}},
    {"Multinomial", {7}},
    {"Neg", {1, 6, 13}},
    {"NegativeLogLikelihoodLoss", {12, 13}},
    {"NonMaxSuppression", {10, 11}},
    {"NonZero", {9, 13}},
    {"Not", {1}},
    {"OneHot", {9, 11}},
    {"Optional", {15}},
    {"OptionalGetElement", {15, 18}},
    {"OptionalHasElement", {15, 18}},
    {"Or", {1, 7}},
    {"PRelu", {1, 6, 7, 9, 16}},
    {"Pad", {1, 2, 11, 13, 18, 19, 21}},
    {"Pow", {1, 7, 12, 13, 15}},
    {"QLinearConv", {10}},
    {"QLinearMatMul", {10, 21}},
    {"QuantizeLinear", {10, 13, 19, 21}},
    {"RNN", {1, 7, 14}},
    {"RandomNormal", {1}},
    {"RandomNormalLike", {1}},
    {"RandomUniform", {1}},
    {"RandomUniformLike", {1}},
    {"Range", {11}},
    {"Reciprocal", {1, 6, 13}},
    {"ReduceL1", {1, 11, 13, 18}},
    {"ReduceL2", {1, 11, 13, 18}},
    {"ReduceLogSum", {1, 11, 13, 18}},
    {"ReduceLogSumExp", {1, 11, 13, 18}},
    {"ReduceMax", {1, 11, 12, 13, 18, 20}},
    {"ReduceMean", {1, 11, 13, 18}},
    {"ReduceMin", {1, 11, 12, 13, 18, 20}},
    {"ReduceProd", {1, 11, 13, 18}},
    {"ReduceSum", {1, 11, 13}},
    {"ReduceSumSquare", {1, 11, 13, 18}},
    {"RegexFullMatch", {20}},
    {"Relu", {1, 6, 13, 14}},
    {"Reshape", {1, 5, 13, 14, 19, 21}},
    {"Resize", {10, 11, 13, 18, 19}},
    {"ReverseSequence", {10}},
    {"RoiAlign", {10, 16}},
    {"Round", {11}},
    {"STFT", {17}},
    {"Scan", {8, 9, 11, 16, 19, 21}},
    {"Scatter", {9, 11}},
    {"ScatterElements", {11, 13, 16, 18}},
    {"ScatterND", {11, 13, 16, 18}},
    {"Selu", {1, 6}},
    {"SequenceAt", {11}},
    {"SequenceConstruct", {11}},
    {"SequenceEmpty", {11}},
    {"SequenceErase", {11}},
    {"SequenceInsert", {11}},
    {"SequenceLength", {11}},
    {"SequenceMap", {17}},
    {"Shape", {1, 13, 15, 19, 21}},
    {"Shrink", {9}},
    {"Sigmoid", {1, 6, 13}},
    {"Sign", {9, 13}},
    {"Sin", {7}},
    {"Sinh", {9}},
    {"Size", {1, 13, 19, 21}},
    {"Slice", {1, 10, 11, 13}},
    {"Softmax", {1, 11, 13}},
    {"SoftmaxCrossEntropyLoss", {12, 13}},
    {"Softplus", {1}},
    {"Softsign", {1}},
    {"SpaceToDepth", {1, 13}},
    {"Split", {1, 2, 11, 13, 18}},
    {"SplitToSequence", {11}},
    {"Sqrt", {1, 6, 13}},
    {"Squeeze", {1, 11, 13, 21}},
    {"StringConcat", {20}},
    {"StringNormalizer", {10}},
    {"StringSplit", {20}},
    {"Sub", {1, 6, 7, 13, 14}},
    {"Sum", {1, 6, 8, 13}},
    {"Tan", {7}},
    {"Tanh", {1, 6, 13}},
    {"TfIdfVectorizer", {9}},
    {"ThresholdedRelu", {10}},
    {"Tile", {1, 6, 13}},
    {"TopK", {1, 10, 11}},
    {"Transpose", {1, 13, 21}},
    {"Trilu", {14}},
    {"Unique", {11}},
    {"Unsqueeze", {1, 11, 13, 21}},
    {"Upsample", {1, 7, 9, 10}},
    {"Where", {9, 16}},
    {"Xor", {1, 7}},
};

/* One node being converted. An adapter edits n (or replaces it), puts nodes computing its inputs into g->nodes
 * (before n) and nodes consuming its results into post (after n). */
typedef struct conv_node {
  prep_ctx *c;
  prep_graph *g;             /* the graph the node belongs to */
  const Onnx__NodeProto *np; /* the original node (for messages) */
  Onnx__NodeProto *n;        /* the node as converted so far */
  oq_edit_list post;         /* nodes to place right after n */
  int64_t step;              /* the since-version being crossed */
} conv_node;

typedef oq_status (*adapt_fn)(conv_node *cn, oq_error *err);

static oq_status refuse(conv_node *cn, const char *why, oq_error *err) {
  const char *name = cn->np->name && cn->np->name[0] ? cn->np->name : cn->np->op_type;
  oq_error_set(err, OQ_ERR_UNSUPPORTED, __FILE__, __LINE__,
               "opset conversion %lld -> %lld: node '%s' (%s): %s cannot be converted to opset %lld",
               (long long)cn->c->from, (long long)cn->c->to, name, cn->np->op_type, why, (long long)cn->step);
  oq_error_subject(err, OQ_SUBJECT_NODE, name);
  return OQ_ERR_UNSUPPORTED;
}

/* Rules read the inputs they rewrite: a node with fewer than k is refused (fuzz_quantize: a Softmax-6 without
 * inputs raised to 13 read input[0] of an empty list). */
static int has_inputs(const conv_node *cn, size_t k) {
  if (cn->n->n_input < k) return 0;
  for (size_t i = 0; i < k; i++)
    if (!cn->n->input[i]) return 0;
  return 1;
}
#define NEED_INPUTS(cn, k, err)                                                                                        \
  do {                                                                                                                 \
    if (!has_inputs(cn, k)) return refuse(cn, "a node with too few inputs", err);                                      \
  } while (0)

/* ---- what the input model's index knows about a value ----------------------------------------------------- */

static const oq_value *value_of(const conv_node *cn, const char *name) {
  if (!cn->g->index || !name || !name[0]) return NULL;
  int32_t id;
  const oq_graph *s = oq_graph_resolve(cn->g->index, name, &id);
  return s ? &s->values[id] : NULL;
}

static int32_t rank_of(const conv_node *cn, const char *name) {
  const oq_value *v = value_of(cn, name);
  return v ? v->ndim : -1;
}

static int32_t dtype_of(const conv_node *cn, const char *name) {
  const oq_value *v = value_of(cn, name);
  return v && v->dtype ? v->dtype : OQ_DTYPE_FLOAT;
}

static const char *base_of(const conv_node *cn) {
  return cn->np->name && cn->np->name[0] ? cn->np->name : (cn->np->n_output ? cn->np->output[0] : cn->np->op_type);
}

static int64_t attr_i(const Onnx__NodeProto *n, const char *name, int64_t dflt) {
  const Onnx__AttributeProto *a = oq_prep_attr(n, name);
  return a && a->has_i ? a->i : dflt;
}

static int attr_is(const Onnx__NodeProto *n, const char *name, const char *s) {
  const Onnx__AttributeProto *a = oq_prep_attr(n, name);
  return a && a->has_s && a->s.len == strlen(s) && !memcmp(a->s.data, s, a->s.len);
}

/* ---- building blocks ---------------------------------------------------------------------------------------- */

static oq_status push_pre(conv_node *cn, Onnx__NodeProto *n, oq_error *err) {
  if (!n) return OQ_ERR_NOMEM;
  return oq_edit_list_push(cn->c->ed, &cn->g->nodes, n, err);
}

/* An int64 initializer [count] (or a scalar with ndim 0). */
static oq_status i64_init(conv_node *cn, const char *tag, const int64_t *v, size_t count, int32_t ndim,
                          const char **name, oq_error *err) {
  int64_t dim = (int64_t)count;
  return oq_prep_init(cn->c, cn->g, base_of(cn), tag, OQ_DTYPE_INT64, ndim, &dim, v, count, 8, name, err);
}

/* A scalar initializer of dtype holding v (float types and the common integer types). */
static oq_status scalar_init(conv_node *cn, const char *tag, int32_t dtype, double v, const char **name,
                             oq_error *err) {
  union {
    float f;
    double d;
    int32_t i32;
    int64_t i64;
    int16_t i16;
    int8_t i8;
    uint8_t u8;
    uint16_t u16;
  } u;
  size_t es;
  switch (dtype) {
  case OQ_DTYPE_FLOAT: u.f = (float)v, es = 4; break;
  case OQ_DTYPE_DOUBLE: u.d = v, es = 8; break;
  case OQ_DTYPE_INT32: u.i32 = (int32_t)v, es = 4; break;
  case OQ_DTYPE_INT64: u.i64 = (int64_t)v, es = 8; break;
  case OQ_DTYPE_INT16: u.i16 = (int16_t)v, es = 2; break;
  case OQ_DTYPE_INT8: u.i8 = (int8_t)v, es = 1; break;
  case OQ_DTYPE_UINT8: u.u8 = (uint8_t)v, es = 1; break;
  case OQ_DTYPE_UINT16: u.u16 = (uint16_t)v, es = 2; break;
  default: return refuse(cn, "a scalar attribute of this element type", err);
  }
  return oq_prep_init(cn->c, cn->g, base_of(cn), tag, dtype, 0, NULL, &u, 1, es, name, err);
}

/* Moves INTS attribute attr to input slot (an int64 initializer); returns whether it was there. */
static oq_status ints_to_input(conv_node *cn, const char *attr, size_t slot, int *moved, oq_error *err) {
  const Onnx__AttributeProto *a = oq_prep_attr(cn->n, attr);
  *moved = 0;
  if (!a) return OQ_OK;
  const char *nm;
  char tag[64];
  snprintf(tag, sizeof tag, "_%s", attr);
  oq_status st = i64_init(cn, tag, a->ints, a->n_ints, 1, &nm, err);
  if (st != OQ_OK) return st;
  oq_prep_attr_del(cn->n, attr);
  *moved = 1;
  return oq_prep_set_input(cn->c, cn->n, slot, nm, err);
}

/* Unsqueeze(x, axes) in the form the target opset takes (axes an input from 13); *out its output. */
static oq_status emit_unsqueeze(conv_node *cn, const char *x, const int64_t *axes, size_t n_axes, const char **out,
                                oq_error *err) {
  oq_status st = OQ_OK;
  const char *ins[2] = {x, NULL};
  size_t nin = 1;
  if (cn->c->to >= 13) {
    OQ_CHECK(i64_init(cn, "_axes", axes, n_axes, 1, &ins[1], err));
    nin = 2;
  }
  Onnx__NodeProto *u = oq_prep_node_new(cn->c, "Unsqueeze", base_of(cn), ins, nin, 1, err);
  if (!u) return OQ_ERR_NOMEM;
  if (cn->c->to < 13) OQ_CHECK(oq_prep_attr_ints(cn->c, u, "axes", axes, n_axes, err));
  OQ_CHECK(push_pre(cn, u, err));
  *out = u->output[0];
fail:
  return st;
}

/* A new node reading ins whose single output is out (NULL: a fresh name), placed before the converted node. */
static Onnx__NodeProto *emit(conv_node *cn, const char *op, const char *const *ins, size_t nin, const char *out,
                             oq_error *err) {
  Onnx__NodeProto *n = oq_prep_node_new(cn->c, op, base_of(cn), ins, nin, 1, err);
  if (!n) return NULL;
  if (out) n->output[0] = (char *)out;
  if (push_pre(cn, n, err) != OQ_OK) return NULL;
  return n;
}

/* Whether output k of the original node is read by anything (or is a graph output). */
static int output_used(const conv_node *cn, size_t k) {
  return k < cn->np->n_output && oq_prep_used(cn->c, cn->np->output[k]);
}

/* Drops outputs from k on; refuses when one of them is used. */
static oq_status drop_outputs(conv_node *cn, size_t k, const char *what, oq_error *err) {
  for (size_t i = k; i < cn->n->n_output; i++)
    if (output_used(cn, i)) return refuse(cn, what, err);
  if (cn->n->n_output > k) cn->n->n_output = k;
  return OQ_OK;
}

/* An input the old version does not have (it became an input at cn->step): refused like the executor refuses it. */
static oq_status check_inputs(conv_node *cn, size_t max, oq_error *err) {
  size_t n = cn->n->n_input;
  while (n > 0 && !cn->n->input[n - 1][0]) n--;
  if (n <= max) return OQ_OK;
  const char *name = cn->np->name && cn->np->name[0] ? cn->np->name : cn->np->op_type;
  oq_error_set(err, OQ_ERR_MODEL, __FILE__, __LINE__,
               "opset conversion %lld -> %lld: node '%s' (%s) has %zu inputs, expects 1 to %zu at opset %lld",
               (long long)cn->c->from, (long long)cn->c->to, name, cn->np->op_type, n, max, (long long)cn->step - 1);
  oq_error_subject(err, OQ_SUBJECT_NODE, name);
  return OQ_ERR_MODEL;
}

/* ---- the rules ---------------------------------------------------------------------------------------------- */

/* 6: consumed_inputs (a hint for in-place updates) is gone. */
static oq_status a_consumed(conv_node *cn, oq_error *err) {
  (void)err;
  oq_prep_attr_del(cn->n, "consumed_inputs");
  return OQ_OK;
}

/* 7: legacy broadcasting (broadcast=1, axis) becomes numpy broadcasting: B is aligned at `axis` of A, so it gets
 * trailing unit dimensions. */
static oq_status a_legacy_bcast(conv_node *cn, oq_error *err) {
  NEED_INPUTS(cn, 2, err);
  Onnx__NodeProto *n = cn->n;
  int64_t bc = attr_i(n, "broadcast", 0);
  const Onnx__AttributeProto *ax = oq_prep_attr(n, "axis");
  int has_axis = ax && ax->has_i;
  int64_t axis = has_axis ? ax->i : 0;
  oq_prep_attr_del(n, "broadcast");
  oq_prep_attr_del(n, "axis");
  oq_prep_attr_del(n, "consumed_inputs");
  if (!bc || !has_axis || n->n_input < 2) return OQ_OK;
  int32_t ra = rank_of(cn, n->input[0]), rb = rank_of(cn, n->input[1]);
  if (ra < 0 || rb < 0) return refuse(cn, "legacy broadcasting with an axis over inputs of unknown rank", err);
  if (axis < 0) axis += ra;
  int64_t trailing = ra - axis - rb;
  if (axis < 0 || trailing < 0) return refuse(cn, "legacy broadcasting with an axis outside the first input", err);
  if (trailing == 0) return OQ_OK;
  int64_t axes[OQ_MAX_DIMS];
  for (int64_t k = 0; k < trailing; k++) axes[k] = rb + k;
  const char *u;
  oq_status st = emit_unsqueeze(cn, n->input[1], axes, (size_t)trailing, &u, err);
  if (st != OQ_OK) return st;
  return oq_prep_set_input(cn->c, n, 1, u, err);
}

/* Gemm-7: C broadcasts unidirectionally; the broadcast flag is gone. */
static oq_status a_gemm7(conv_node *cn, oq_error *err) {
  (void)err;
  oq_prep_attr_del(cn->n, "broadcast");
  return OQ_OK;
}

/* Concat-4: axis became required; it was 1 by default. */
static oq_status a_concat4(conv_node *cn, oq_error *err) {
  if (oq_prep_attr(cn->n, "axis")) return OQ_OK;
  return oq_prep_attr_int(cn->c, cn->n, "axis", 1, err);
}

/* Whether s (n bytes) spells upper, ignoring ASCII case. */
static int same_upper(const char *s, const char *upper, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char ch = s[i];
    if (ch >= 'a' && ch <= 'z') ch = (char)(ch - 'a' + 'A');
    if (ch != upper[i]) return 0;
  }
  return 1;
}

/* Cast-6: `to` is a TensorProto.DataType number instead of its name. */
static oq_status a_cast6(conv_node *cn, oq_error *err) {
  static const char *const names[] = {"UNDEFINED", "FLOAT",  "UINT8",     "INT8",       "UINT16",  "INT16",
                                      "INT32",     "INT64",  "STRING",    "BOOL",       "FLOAT16", "DOUBLE",
                                      "UINT32",    "UINT64", "COMPLEX64", "COMPLEX128", "BFLOAT16"};
  const Onnx__AttributeProto *a = oq_prep_attr(cn->n, "to");
  if (!a || !a->has_s) return OQ_OK;
  for (int32_t t = 1; t < (int32_t)(sizeof names / sizeof names[0]); t++)
    if (a->s.len == strlen(names[t]) && same_upper((const char *)a->s.data, names[t], a->s.len))
      return oq_prep_attr_int(cn->c, cn->n, "to", t, err);
  return refuse(cn, "a Cast to an unknown type name", err);
}

/* Reshape-5: the shape attribute is the second input. */
static oq_status a_reshape5(conv_node *cn, oq_error *err) {
  if (check_inputs(cn, 1, err) != OQ_OK) return OQ_ERR_MODEL;
  int moved;
  oq_prep_attr_del(cn->n, "consumed_inputs");
  oq_status st = ints_to_input(cn, "shape", 1, &moved, err);
  if (st == OQ_OK && !moved && cn->n->n_input < 2) return refuse(cn, "a Reshape without a shape", err);
  return st;
}

static oq_status a_split2(conv_node *cn, oq_error *err) {
  if (cn->n->n_input > 1 && cn->n->input[1][0]) return refuse(cn, "Split-1 with the split sizes as an input", err);
  return OQ_OK;
}

/* Split-13: split sizes are an input. */
static oq_status a_split13(conv_node *cn, oq_error *err) {
  if (check_inputs(cn, 1, err) != OQ_OK) return OQ_ERR_MODEL;
  int moved;
  return ints_to_input(cn, "split", 1, &moved, err);
}

/* Split-18: without sizes, num_outputs says how many equal parts. */
static oq_status a_split18(conv_node *cn, oq_error *err) {
  if (cn->n->n_input > 1 && cn->n->input[1][0]) return OQ_OK;
  return oq_prep_attr_int(cn->c, cn->n, "num_outputs", (int64_t)cn->n->n_output, err);
}

/* Pad-2: paddings was renamed pads. */
static oq_status a_pad2(conv_node *cn, oq_error *err) {
  const Onnx__AttributeProto *a = oq_prep_attr(cn->n, "paddings");
  if (!a) return OQ_OK;
  oq_status st = oq_prep_attr_ints(cn->c, cn->n, "pads", a->ints, a->n_ints, err);
  oq_prep_attr_del(cn->n, "paddings");
  return st;
}

/* Pad-11: pads and value are inputs. */
static oq_status a_pad11(conv_node *cn, oq_error *err) {
  NEED_INPUTS(cn, 1, err);
  if (check_inputs(cn, 1, err) != OQ_OK) return OQ_ERR_MODEL;
  int moved;
  oq_status st = ints_to_input(cn, "pads", 1, &moved, err);
  if (st != OQ_OK) return st;
  if (!moved) return refuse(cn, "a Pad without pads", err);
  const Onnx__AttributeProto *v = oq_prep_attr(cn->n, "value");
  if (v && v->has_f) {
    const char *nm;
    st = scalar_init(cn, "_value", dtype_of(cn, cn->n->input[0]), v->f, &nm, err);
    if (st != OQ_OK) return st;
    st = oq_prep_set_input(cn->c, cn->n, 2, nm, err);
    if (st != OQ_OK) return st;
  }
  oq_prep_attr_del(cn->n, "value");
  return OQ_OK;
}

/* Clip-11: min and max are inputs. */
static oq_status a_clip11(conv_node *cn, oq_error *err) {
  NEED_INPUTS(cn, 1, err);
  if (check_inputs(cn, 1, err) != OQ_OK) return OQ_ERR_MODEL;
  static const char *const names[2] = {"min", "max"};
  for (int k = 0; k < 2; k++) {
    const Onnx__AttributeProto *a = oq_prep_attr(cn->n, names[k]);
    if (!a) continue;
    const char *nm;
    char tag[8];
    snprintf(tag, sizeof tag, "_%s", names[k]);
    oq_status st = scalar_init(cn, tag, dtype_of(cn, cn->n->input[0]), a->f, &nm, err);
    if (st == OQ_OK) st = oq_prep_set_input(cn->c, cn->n, 1 + (size_t)k, nm, err);
    if (st != OQ_OK) return st;
    oq_prep_attr_del(cn->n, names[k]);
  }
  return OQ_OK;
}

/* BatchNormalization-7: is_test is gone (the outputs say whether it trains). */
static oq_status a_bn7(conv_node *cn, oq_error *err) {
  if (attr_i(cn->n, "is_test", 1) == 0 && cn->n->n_output > 1)
    return refuse(cn, "training-mode BatchNormalization (is_test=0)", err);
  oq_prep_attr_del(cn->n, "is_test");
  oq_prep_attr_del(cn->n, "consumed_inputs");
  return OQ_OK;
}

/* BatchNormalization-9: spatial is gone (statistics are per channel). spatial=0 (statistics per activation, shaped
 * [C, D1, ...]) is written out: (X - mean) / sqrt(var + epsilon) * scale + B with numpy broadcasting. */
static oq_status a_bn9(conv_node *cn, oq_error *err) {
  NEED_INPUTS(cn, 5, err);
  oq_status st = OQ_OK;
  Onnx__NodeProto *n = cn->n;
  int64_t spatial = attr_i(n, "spatial", 1);
  oq_prep_attr_del(n, "spatial");
  if (spatial) return OQ_OK;
  if (n->n_input != 5) return refuse(cn, "BatchNormalization with other than 5 inputs", err);
  OQ_CHECK(drop_outputs(cn, 1, "training-mode BatchNormalization (mean/variance outputs used)", err));
  const Onnx__AttributeProto *ea = oq_prep_attr(n, "epsilon");
  double eps = ea && ea->has_f ? ea->f : 1e-5;
  const char *e, *t[5];
  OQ_CHECK(scalar_init(cn, "_epsilon", dtype_of(cn, n->input[0]), eps, &e, err));
  const char *in_sub[2] = {n->input[0], n->input[3]}, *in_ve[2] = {n->input[4], e};
  Onnx__NodeProto *m;
  if (!(m = emit(cn, "Sub", in_sub, 2, NULL, err))) return OQ_ERR_NOMEM;
  t[0] = m->output[0];
  if (!(m = emit(cn, "Add", in_ve, 2, NULL, err))) return OQ_ERR_NOMEM;
  t[1] = m->output[0];
  if (!(m = emit(cn, "Sqrt", &t[1], 1, NULL, err))) return OQ_ERR_NOMEM;
  t[2] = m->output[0];
  const char *in_div[2] = {t[0], t[2]};
  if (!(m = emit(cn, "Div", in_div, 2, NULL, err))) return OQ_ERR_NOMEM;
  t[3] = m->output[0];
  const char *in_mul[2] = {t[3], n->input[1]};
  if (!(m = emit(cn, "Mul", in_mul, 2, NULL, err))) return OQ_ERR_NOMEM;
  t[4] = m->output[0];
  /* the converted node becomes the final Add, keeping its name and output */
  const char *in_add[2] = {t[4], n->input[2]};
  Onnx__NodeProto *add = oq_edit_node(cn->c->ed, "Add", n->name, in_add, 2, (const char *const *)n->output, 1, err);
  if (!add) return OQ_ERR_NOMEM;
  add->doc_string = n->doc_string;
  cn->n = add;
fail:
  return st;
}

/* BatchNormalization-14: the training outputs saved_mean/saved_var are gone; inference has one output. */
static oq_status a_bn14(conv_node *cn, oq_error *err) {
  return drop_outputs(cn, 1, "training-mode BatchNormalization (mean/variance outputs used)", err);
}

static oq_status a_dropout7(conv_node *cn, oq_error *err) {
  if (attr_i(cn->n, "is_test", 1) == 0 && output_used(cn, 1))
    return refuse(cn, "training-mode Dropout (is_test=0 with its mask used)", err);
  oq_prep_attr_del(cn->n, "is_test");
  return OQ_OK;
}

/* Dropout-10: the mask becomes bool; a mask someone reads would change type. */
static oq_status a_dropout10(conv_node *cn, oq_error *err) {
  return drop_outputs(cn, 1, "Dropout whose mask output is used (its type becomes bool)", err);
}

/* Dropout-12: ratio is an input. */
static oq_status a_dropout12(conv_node *cn, oq_error *err) {
  if (check_inputs(cn, 1, err) != OQ_OK) return OQ_ERR_MODEL;
  const Onnx__AttributeProto *a = oq_prep_attr(cn->n, "ratio");
  if (!a) return OQ_OK;
  const char *nm;
  oq_status st = scalar_init(cn, "_ratio", OQ_DTYPE_FLOAT, a->f, &nm, err);
  if (st == OQ_OK) st = oq_prep_set_input(cn->c, cn->n, 1, nm, err);
  oq_prep_attr_del(cn->n, "ratio");
  return st;
}

/* Upsample-7: height_scale/width_scale become scales [1, 1, h, w]; mode bilinear is linear. */
static oq_status a_upsample7(conv_node *cn, oq_error *err) {
  oq_status st = OQ_OK;
  const Onnx__AttributeProto *h = oq_prep_attr(cn->n, "height_scale"), *w = oq_prep_attr(cn->n, "width_scale");
  if (h || w) {
    float s[4] = {1, 1, h ? h->f : 1, w ? w->f : 1};
    OQ_CHECK(oq_prep_attr_floats(cn->c, cn->n, "scales", s, 4, err));
    oq_prep_attr_del(cn->n, "height_scale");
    oq_prep_attr_del(cn->n, "width_scale");
  }
  if (attr_is(cn->n, "mode", "bilinear")) OQ_CHECK(oq_prep_attr_string(cn->c, cn->n, "mode", "linear", err));
fail:
  return st;
}

/* Upsample-9: scales is an input. */
static oq_status a_upsample9(conv_node *cn, oq_error *err) {
  if (check_inputs(cn, 1, err) != OQ_OK) return OQ_ERR_MODEL;
  const Onnx__AttributeProto *a = oq_prep_attr(cn->n, "scales");
  if (!a) return OQ_OK;
  int64_t dim = (int64_t)a->n_floats;
  const char *nm;
  oq_status st =
      oq_prep_init(cn->c, cn->g, base_of(cn), "_scales", OQ_DTYPE_FLOAT, 1, &dim, a->floats, a->n_floats, 4, &nm, err);
  if (st == OQ_OK) st = oq_prep_set_input(cn->c, cn->n, 1, nm, err);
  oq_prep_attr_del(cn->n, "scales");
  return st;
}

/* Upsample-10 is deprecated: Resize-10 takes the same inputs and computes the same thing. */
static oq_status a_upsample10(conv_node *cn, oq_error *err) {
  (void)err;
  cn->n->op_type = "Resize";
  return OQ_OK;
}

/* Resize-11: roi input added and the coordinate mapping made explicit. Resize-10 (and Upsample) map
 * x_original = x_resized / scale and pick the nearest pixel by flooring: asymmetric + floor. */
static oq_status a_resize11(conv_node *cn, oq_error *err) {
  NEED_INPUTS(cn, 2, err);
  oq_status st = OQ_OK;
  Onnx__NodeProto *n = cn->n;
  if (n->n_input < 2) return refuse(cn, "a Resize without scales", err);
  const char *scales = n->input[1], *roi;
  int64_t zero = 0;
  OQ_CHECK(oq_prep_init(cn->c, cn->g, base_of(cn), "_roi", OQ_DTYPE_FLOAT, 1, &zero, NULL, 0, 4, &roi, err));
  OQ_CHECK(oq_prep_set_input(cn->c, n, 1, roi, err));
  OQ_CHECK(oq_prep_set_input(cn->c, n, 2, scales, err));
  OQ_CHECK(oq_prep_attr_string(cn->c, n, "coordinate_transformation_mode", "asymmetric", err));
  if (!oq_prep_attr(n, "mode") || attr_is(n, "mode", "nearest"))
    OQ_CHECK(oq_prep_attr_string(cn->c, n, "nearest_mode", "floor", err));
fail:
  return st;
}

static oq_status a_resize13(conv_node *cn, oq_error *err) {
  if (attr_is(cn->n, "coordinate_transformation_mode", "tf_half_pixel_for_nn"))
    return refuse(cn, "Resize with coordinate_transformation_mode tf_half_pixel_for_nn (removed in 13)", err);
  return OQ_OK;
}

/* Slice-10: starts, ends and axes are inputs. */
static oq_status a_slice10(conv_node *cn, oq_error *err) {
  if (check_inputs(cn, 1, err) != OQ_OK) return OQ_ERR_MODEL;
  int moved;
  oq_status st = OQ_OK;
  OQ_CHECK(ints_to_input(cn, "starts", 1, &moved, err));
  if (!moved) return refuse(cn, "a Slice without starts", err);
  OQ_CHECK(ints_to_input(cn, "ends", 2, &moved, err));
  if (!moved) return refuse(cn, "a Slice without ends", err);
  OQ_CHECK(ints_to_input(cn, "axes", 3, &moved, err));
fail:
  return st;
}

/* TopK-10: k is an input ([1] int64). */
static oq_status a_topk10(conv_node *cn, oq_error *err) {
  if (check_inputs(cn, 1, err) != OQ_OK) return OQ_ERR_MODEL;
  const Onnx__AttributeProto *a = oq_prep_attr(cn->n, "k");
  if (!a) return refuse(cn, "a TopK without k", err);
  const char *nm;
  oq_status st = i64_init(cn, "_k", &a->i, 1, 1, &nm, err);
  if (st == OQ_OK) st = oq_prep_set_input(cn->c, cn->n, 1, nm, err);
  oq_prep_attr_del(cn->n, "k");
  return st;
}

/* Scatter was deprecated in 11 for ScatterElements, the same operation. */
static oq_status a_scatter11(conv_node *cn, oq_error *err) {
  (void)err;
  cn->n->op_type = "ScatterElements";
  return OQ_OK;
}

/* Squeeze/Unsqueeze-13, ReduceSum-13, the other Reduce ops 18: axes is an input. */
static oq_status a_axes_input(conv_node *cn, oq_error *err) {
  if (check_inputs(cn, 1, err) != OQ_OK) return OQ_ERR_MODEL;
  int moved;
  oq_status st = ints_to_input(cn, "axes", 1, &moved, err);
  if (st == OQ_OK && !moved && !strcmp(cn->n->op_type, "Unsqueeze"))
    return refuse(cn, "an Unsqueeze without axes", err);
  return st;
}

/* Softmax/LogSoftmax/Hardmax-13: before, the input was coerced to 2-D [d0*..*d(axis-1), d(axis)*..] (axis default
 * 1) and normalized over the second dimension; from 13 one axis (default -1) is normalized. When the axis is the
 * last dimension both agree; otherwise the old computation is written out: Flatten(axis), the op over axis 1, and
 * a Reshape back to the input's shape. */
static oq_status a_softmax13(conv_node *cn, oq_error *err) {
  NEED_INPUTS(cn, 1, err);
  oq_status st = OQ_OK;
  Onnx__NodeProto *n = cn->n;
  int64_t axis = attr_i(n, "axis", 1);
  int32_t r = rank_of(cn, n->input[0]);
  if (r >= 0 && axis < 0) axis += r;
  if (r >= 0 && axis == r - 1) return oq_prep_attr_int(cn->c, n, "axis", -1, err);
  if (r >= 0 && (axis < 0 || axis >= r)) return refuse(cn, "an axis outside the input's rank", err);
  const char *x = n->input[0];
  Onnx__NodeProto *shape = emit(cn, "Shape", &x, 1, NULL, err);
  if (!shape) return OQ_ERR_NOMEM;
  Onnx__NodeProto *flat = emit(cn, "Flatten", &x, 1, NULL, err);
  if (!flat) return OQ_ERR_NOMEM;
  OQ_CHECK(oq_prep_attr_int(cn->c, flat, "axis", axis, err));
  const char *y = n->output[0], *y2;
  OQ_CHECK(oq_prep_fresh_name(cn->c, y, "_2d", &y2, err));
  OQ_CHECK(oq_prep_set_input(cn->c, n, 0, flat->output[0], err));
  n->output[0] = (char *)y2;
  OQ_CHECK(oq_prep_attr_int(cn->c, n, "axis", 1, err));
  const char *ins[2] = {y2, shape->output[0]};
  Onnx__NodeProto *back = oq_prep_node_new(cn->c, "Reshape", base_of(cn), ins, 2, 1, err);
  if (!back) return OQ_ERR_NOMEM;
  back->output[0] = (char *)y;
  OQ_CHECK(oq_edit_list_push(cn->c->ed, &cn->post, back, err));
fail:
  return st;
}

/* RoiAlign-16: the default coordinate mode became half_pixel; the old behaviour is output_half_pixel. */
static oq_status a_roialign16(conv_node *cn, oq_error *err) {
  if (oq_prep_attr(cn->n, "coordinate_transformation_mode")) return OQ_OK;
  return oq_prep_attr_string(cn->c, cn->n, "coordinate_transformation_mode", "output_half_pixel", err);
}

/* GridSample-20: modes bilinear/bicubic were renamed linear/cubic. */
static oq_status a_gridsample20(conv_node *cn, oq_error *err) {
  if (attr_is(cn->n, "mode", "bilinear")) return oq_prep_attr_string(cn->c, cn->n, "mode", "linear", err);
  if (attr_is(cn->n, "mode", "bicubic")) return oq_prep_attr_string(cn->c, cn->n, "mode", "cubic", err);
  if (!oq_prep_attr(cn->n, "mode")) return oq_prep_attr_string(cn->c, cn->n, "mode", "linear", err);
  return OQ_OK;
}

/* DFT-20: axis (default 1) is the third input. */
static oq_status a_dft20(conv_node *cn, oq_error *err) {
  int64_t axis = attr_i(cn->n, "axis", 1);
  const char *nm;
  oq_status st = i64_init(cn, "_axis", &axis, 1, 0, &nm, err);
  if (st == OQ_OK) st = oq_prep_set_input(cn->c, cn->n, 2, nm, err);
  oq_prep_attr_del(cn->n, "axis");
  return st;
}

/* LSTM/GRU/RNN-7: output_sequence is gone (whether Y is produced is said by the outputs). */
static oq_status a_rnn7(conv_node *cn, oq_error *err) {
  (void)err;
  oq_prep_attr_del(cn->n, "output_sequence");
  return OQ_OK;
}

/* LpPool/GlobalLpPool-2: p is an integer. */
static oq_status a_lppool2(conv_node *cn, oq_error *err) {
  const Onnx__AttributeProto *a = oq_prep_attr(cn->n, "p");
  if (!a || !a->has_f) return OQ_OK;
  if (a->f != floorf(a->f)) return refuse(cn, "an LpPool with a fractional p", err);
  return oq_prep_attr_int(cn->c, cn->n, "p", (int64_t)a->f, err);
}

/* PRelu-7: slope broadcasts unidirectionally (numpy). Before, a slope [C] applied per channel; it gets unit
 * dimensions for the spatial axes. */
static oq_status a_prelu7(conv_node *cn, oq_error *err) {
  NEED_INPUTS(cn, 2, err);
  oq_prep_attr_del(cn->n, "consumed_inputs");
  if (cn->n->n_input < 2) return OQ_OK;
  const oq_value *s = value_of(cn, cn->n->input[1]);
  int32_t rx = rank_of(cn, cn->n->input[0]);
  if (!s || s->ndim != 1 || rx <= 2 || s->dims[0].value == 1) return OQ_OK;
  int64_t axes[OQ_MAX_DIMS];
  for (int32_t k = 0; k < rx - 2; k++) axes[k] = 1 + k;
  const char *u;
  oq_status st = emit_unsqueeze(cn, cn->n->input[1], axes, (size_t)(rx - 2), &u, err);
  if (st != OQ_OK) return st;
  return oq_prep_set_input(cn->c, cn->n, 1, u, err);
}

/* The rules: (op, the since-version whose step they convert, rule or the reason it cannot be converted). Steps of
 * an operator not listed here keep the node as it is. */
typedef struct conv_rule {
  const char *op;
  int8_t since;
  adapt_fn fn;        /* NULL: impossible */
  const char *reason; /* with fn NULL */
} conv_rule;

#define CONSUMED(op)                                                                                                   \
  { op, 6, a_consumed, NULL }
#define LEGACY_BCAST(op)                                                                                               \
  { op, 7, a_legacy_bcast, NULL }

static const conv_rule k_rules[] = {
    /* opset 6: consumed_inputs dropped */
    CONSUMED("Abs"),
    CONSUMED("Add"),
    CONSUMED("BatchNormalization"),
    CONSUMED("Ceil"),
    CONSUMED("Clip"),
    CONSUMED("Div"),
    CONSUMED("Dropout"),
    CONSUMED("Elu"),
    CONSUMED("Exp"),
    CONSUMED("Floor"),
    CONSUMED("Gemm"),
    CONSUMED("HardSigmoid"),
    CONSUMED("InstanceNormalization"),
    CONSUMED("LeakyRelu"),
    CONSUMED("Log"),
    CONSUMED("Max"),
    CONSUMED("Mean"),
    CONSUMED("Min"),
    CONSUMED("Mul"),
    CONSUMED("Neg"),
    CONSUMED("PRelu"),
    CONSUMED("Reciprocal"),
    CONSUMED("Relu"),
    CONSUMED("Selu"),
    CONSUMED("Sigmoid"),
    CONSUMED("Sqrt"),
    CONSUMED("Sub"),
    CONSUMED("Sum"),
    CONSUMED("Tanh"),
    {"Cast", 6, a_cast6, NULL},
    {"Tile", 6, NULL, "Tile-1 (tiles and axis inputs)"},
    /* opset 7: numpy broadcasting */
    LEGACY_BCAST("Add"),
    LEGACY_BCAST("Sub"),
    LEGACY_BCAST("Mul"),
    LEGACY_BCAST("Div"),
    LEGACY_BCAST("Pow"),
    LEGACY_BCAST("And"),
    LEGACY_BCAST("Or"),
    LEGACY_BCAST("Xor"),
    LEGACY_BCAST("Equal"),
    LEGACY_BCAST("Greater"),
    LEGACY_BCAST("Less"),
    {"Gemm", 7, a_gemm7, NULL},
    {"PRelu", 7, a_prelu7, NULL},
    {"BatchNormalization", 7, a_bn7, NULL},
    {"BatchNormalization", 9, a_bn9, NULL},
    {"BatchNormalization", 14, a_bn14, NULL},
    {"Dropout", 7, a_dropout7, NULL},
    {"Dropout", 10, a_dropout10, NULL},
    {"Dropout", 12, a_dropout12, NULL},
    {"Concat", 4, a_concat4, NULL},
    {"Reshape", 5, a_reshape5, NULL},
    {"Split", 2, a_split2, NULL},
    {"Split", 13, a_split13, NULL},
    {"Split", 18, a_split18, NULL},
    {"Pad", 2, a_pad2, NULL},
    {"Pad", 11, a_pad11, NULL},
    {"Clip", 11, a_clip11, NULL},
    {"Upsample", 7, a_upsample7, NULL},
    {"Upsample", 9, a_upsample9, NULL},
    {"Upsample", 10, a_upsample10, NULL},
    {"Resize", 11, a_resize11, NULL},
    {"Resize", 13, a_resize13, NULL},
    {"Slice", 10, a_slice10, NULL},
    {"TopK", 10, a_topk10, NULL},
    {"Scatter", 11, a_scatter11, NULL},
    {"Squeeze", 13, a_axes_input, NULL},
    {"Unsqueeze", 13, a_axes_input, NULL},
    {"ReduceSum", 13, a_axes_input, NULL},
    {"ReduceL1", 18, a_axes_input, NULL},
    {"ReduceL2", 18, a_axes_input, NULL},
    {"ReduceLogSum", 18, a_axes_input, NULL},
    {"ReduceLogSumExp", 18, a_axes_input, NULL},
    {"ReduceMax", 18, a_axes_input, NULL},
    {"ReduceMean", 18, a_axes_input, NULL},
    {"ReduceMin", 18, a_axes_input, NULL},
    {"ReduceProd", 18, a_axes_input, NULL},
    {"ReduceSumSquare", 18, a_axes_input, NULL},
    {"Softmax", 13, a_softmax13, NULL},
    {"LogSoftmax", 13, a_softmax13, NULL},
    {"Hardmax", 13, a_softmax13, NULL},
    {"RoiAlign", 16, a_roialign16, NULL},
    {"GridSample", 20, a_gridsample20, NULL},
    {"DFT", 20, a_dft20, NULL},
    {"LSTM", 7, a_rnn7, NULL},
    {"GRU", 7, a_rnn7, NULL},
    {"RNN", 7, a_rnn7, NULL},
    {"LpPool", 2, a_lppool2, NULL},
    {"GlobalLpPool", 2, a_lppool2, NULL},
    {"Scan", 9, NULL, "Scan-8 (batch axis, sequence_lens input)"},
    {"GroupNormalization", 21, NULL, "GroupNormalization-18 (scale and bias per group)"},
};

static const int8_t *versions_of(const char *op) {
  for (size_t i = 0; i < sizeof k_versions / sizeof k_versions[0]; i++)
    if (!strcmp(k_versions[i].op, op)) return k_versions[i].since;
  return NULL;
}

static const conv_rule *rule_of(const char *op, int64_t since) {
  for (size_t i = 0; i < sizeof k_rules / sizeof k_rules[0]; i++)
    if (k_rules[i].since == since && !strcmp(k_rules[i].op, op)) return &k_rules[i];
  return NULL;
}

static int default_domain(const Onnx__NodeProto *np) {
  return !np->domain || !np->domain[0] || !strcmp(np->domain, "ai.onnx");
}

/* Carries cn->n from c->from to c->to. */
static oq_status convert_node(conv_node *cn, oq_error *err) {
  prep_ctx *c = cn->c;
  const char *op = cn->n->op_type ? cn->n->op_type : "";
  const int8_t *vs = versions_of(op);
  if (!vs) {
    cn->step = c->to;
    return refuse(cn, "an operator outside ONNX's default-domain history", err);
  }
  if (vs[0] > c->from) {
    cn->step = vs[0];
    return refuse(cn, "an operator that does not exist at the model's opset", err);
  }
  int64_t at = c->from; /* the node is valid at this opset */
  for (;;) {
    const int8_t *v = versions_of(cn->n->op_type);
    int64_t next = 0;
    for (int k = 0; k < 8 && v && v[k]; k++)
      if (v[k] > at) {
        next = v[k];
        break;
      }
    if (!next || next > c->to) break;
    cn->step = next;
    const conv_rule *r = rule_of(cn->n->op_type, next);
    if (r && !r->fn) return refuse(cn, r->reason, err);
    if (r) {
      oq_status st = r->fn(cn, err);
      if (st != OQ_OK) return st;
    }
    at = next;
  }
  return OQ_OK;
}

static oq_status convert_nodes(prep_ctx *c, prep_graph *g, oq_error *err);

/* A copy of attribute a with its subgraphs converted; index: the node's entry in the index, or NULL. */
static oq_status convert_subgraphs(prep_ctx *c, Onnx__NodeProto *n, const oq_node *inode, oq_error *err) {
  oq_status st = OQ_OK;
  for (size_t i = 0; i < n->n_attribute; i++) {
    const Onnx__AttributeProto *a = n->attribute[i];
    if (!a->g && !a->n_graphs) continue;
    Onnx__AttributeProto *na = oq_edit_dup(c->ed, a, sizeof *a, err);
    if (!na) return OQ_ERR_NOMEM;
    size_t count = a->g ? 1 : a->n_graphs;
    Onnx__GraphProto **gl = NULL;
    if (!a->g) {
      gl = oq_edit_alloc(c->ed, count, sizeof *gl, err);
      if (!gl) return OQ_ERR_NOMEM;
    }
    for (size_t k = 0; k < count; k++) {
      prep_graph sub;
      memset(&sub, 0, sizeof sub);
      sub.orig = a->g ? a->g : a->graphs[k];
      for (int32_t s = 0; inode && s < inode->n_subgraphs; s++)
        if (!strcmp(inode->subgraphs[s].attr, a->name) && inode->subgraphs[s].item == (a->g ? -1 : (int32_t)k))
          sub.index = inode->subgraphs[s].graph;
      for (size_t t = 0; t < sub.orig->n_initializer; t++)
        OQ_CHECK(oq_edit_list_push(c->ed, &sub.inits, sub.orig->initializer[t], err));
      OQ_CHECK(convert_nodes(c, &sub, err));
      Onnx__GraphProto *ng;
      OQ_CHECK(oq_prep_graph_proto(c, &sub, &ng, err));
      if (a->g)
        na->g = ng;
      else
        gl[k] = ng;
    }
    if (gl) na->graphs = gl;
    n->attribute[i] = na;
  }
fail:
  return st;
}

static oq_status convert_nodes(prep_ctx *c, prep_graph *g, oq_error *err) {
  oq_status st = OQ_OK;
  for (size_t i = 0; i < g->orig->n_node; i++) {
    const Onnx__NodeProto *np = g->orig->node[i];
    const oq_node *inode = g->index && (int32_t)i < g->index->n_nodes ? &g->index->nodes[i] : NULL;
    conv_node cn;
    memset(&cn, 0, sizeof cn);
    cn.c = c;
    cn.g = g;
    cn.np = np;
    cn.n = oq_prep_node_copy(c, np, err);
    if (!cn.n) return OQ_ERR_NOMEM;
    OQ_CHECK(convert_subgraphs(c, cn.n, inode, err));
    if (default_domain(np)) OQ_CHECK(convert_node(&cn, err));
    OQ_CHECK(oq_edit_list_push(c->ed, &g->nodes, cn.n, err));
    for (size_t k = 0; k < cn.post.n; k++) OQ_CHECK(oq_edit_list_push(c->ed, &g->nodes, cn.post.items[k], err));
  }
fail:
  return st;
}

oq_status oq_prep_convert_graph(prep_ctx *c, prep_graph *g, oq_error *err) { return convert_nodes(c, g, err); }
