/* Preparation: the graph passes that run before calibration. Opset conversion (opset.c: every operator whose
 * inputs, attributes or meaning changed between the model's opset and the target is rewritten, never relabelled),
 * Constant nodes turned into initializers (weights held in Constant nodes, as Paddle2ONNX and older tf2onnx write
 * them, become weights like any other), and, unless folding is off, Identity/Dropout removal (cleanup.c), constant
 * folding on onnxq's own executor (fold.c) and BatchNormalization folded into the Conv/ConvTranspose/Gemm before it
 * (bnfold.c).
 *
 * Every pass works on a prep_graph: the nodes and initializers of one graph as lists in an edit context, nodes as
 * shallow copies whose arrays belong to the context (so doc strings, names, unknown fields stay), and the result is
 * a new ModelProto wrapped with oq_model_wrap_built around the input model: everything else (metadata, functions,
 * graph inputs/outputs with their names, dtypes and shapes) is the input's. */
#ifndef OQ_PREP_PREP_H
#define OQ_PREP_PREP_H

#include "model/model.h"

#include <stddef.h>
#include <stdint.h>

/* What oq_prep_model does (oq_prep_options_init sets the defaults). */
typedef struct oq_prep_options {
  int64_t opset;         /* default-domain opset of the result: the model is converted when its own is lower (never
                            lowered); 0 = keep the model's */
  int32_t fold;          /* 1 (default): Identity/Dropout removal, constant folding, BatchNormalization folding */
  size_t fold_max_bytes; /* a folded tensor larger than this stays computed at run time (default 16 MiB) */
} oq_prep_options;

void oq_prep_options_init(oq_prep_options *opts);

/* Runs the passes on in and returns the prepared model (*out owned by the caller; it keeps in alive). Fails naming
 * the node and op where an opset conversion is impossible, leaving *out NULL. */
oq_status oq_prep_model(const oq_model *in, const oq_prep_options *opts, oq_model **out, oq_error *err);

/* ---- internals shared by the passes ------------------------------------------------------------------------ */

/* One graph under preparation. Invariant: nodes are in an order where every node follows its producers (the
 * input's order, which ONNX requires to be topological; passes keep it). */
typedef struct prep_graph {
  const Onnx__GraphProto *orig; /* borrowed; the graph this one replaces */
  const oq_graph *index;        /* borrowed; the input model's index of this scope (ranks, dtypes), may be NULL */
  oq_edit_list nodes;           /* Onnx__NodeProto *: copies whose arrays the edit context owns */
  oq_edit_list inits;           /* Onnx__TensorProto * */
} prep_graph;

/* State of one oq_prep_model call. */
typedef struct prep_ctx {
  const oq_model *model; /* borrowed; the input */
  oq_edit *ed;           /* every allocation, and the set of names in use */
  int64_t from, to;      /* default-domain opset of the input and of the result */
  oq_prep_options opts;
  oq_strmap used;     /* names some node reads or a graph outputs, in any scope (keys borrowed) */
  oq_strmap sub_used; /* names some node inside a subgraph reads (keys borrowed) */
  uint32_t counter;   /* for fresh names */
} prep_ctx;

/* A copy of np whose input/output/attribute arrays belong to the context (safe to edit). */
Onnx__NodeProto *oq_prep_node_copy(prep_ctx *c, const Onnx__NodeProto *np, oq_error *err);
/* A new default-domain node; name and output names are fresh names made from base. */
Onnx__NodeProto *oq_prep_node_new(prep_ctx *c, const char *op_type, const char *base, const char *const *inputs,
                                  size_t n_inputs, size_t n_outputs, oq_error *err);
/* A fresh value (or node) name: base followed by tag, then _1, _2, ... until unused; claimed. */
oq_status oq_prep_fresh_name(prep_ctx *c, const char *base, const char *tag, const char **out, oq_error *err);

const Onnx__AttributeProto *oq_prep_attr(const Onnx__NodeProto *n, const char *name);
void oq_prep_attr_del(Onnx__NodeProto *n, const char *name);
oq_status oq_prep_attr_int(prep_ctx *c, Onnx__NodeProto *n, const char *name, int64_t v, oq_error *err);
oq_status oq_prep_attr_float(prep_ctx *c, Onnx__NodeProto *n, const char *name, float v, oq_error *err);
oq_status oq_prep_attr_string(prep_ctx *c, Onnx__NodeProto *n, const char *name, const char *v, oq_error *err);
oq_status oq_prep_attr_ints(prep_ctx *c, Onnx__NodeProto *n, const char *name, const int64_t *v, size_t count,
                            oq_error *err);
oq_status oq_prep_attr_floats(prep_ctx *c, Onnx__NodeProto *n, const char *name, const float *v, size_t count,
                              oq_error *err);
/* Sets input slot i (growing the list with "" as needed). */
oq_status oq_prep_set_input(prep_ctx *c, Onnx__NodeProto *n, size_t i, const char *name, oq_error *err);

/* A new initializer of g (fresh name from base and tag) holding count elements of esize bytes; *name gets its name. */
oq_status oq_prep_init(prep_ctx *c, prep_graph *g, const char *base, const char *tag, int32_t dtype, int32_t ndim,
                       const int64_t *dims, const void *data, size_t count, size_t esize, const char **name,
                       oq_error *err);

/* Assembles g as a GraphProto: a copy of g->orig with g's nodes and initializers, value_info kept for values that
 * are still produced. */
oq_status oq_prep_graph_proto(prep_ctx *c, const prep_graph *g, Onnx__GraphProto **out, oq_error *err);

/* Whether some node (in any scope) reads name or a graph lists it as output. */
int oq_prep_used(const prep_ctx *c, const char *name);

/* The passes. */
oq_status oq_prep_convert_graph(prep_ctx *c, prep_graph *g, oq_error *err);      /* opset.c */
oq_status oq_prep_constants_to_inits(prep_ctx *c, prep_graph *g, oq_error *err); /* cleanup.c */
oq_status oq_prep_remove_identity(prep_ctx *c, prep_graph *g, oq_error *err);    /* cleanup.c */
oq_status oq_prep_prune(prep_ctx *c, prep_graph *g, oq_error *err);              /* cleanup.c: unused inits */
oq_status oq_prep_fold_bn(prep_ctx *c, prep_graph *g, oq_error *err);            /* bnfold.c */
oq_status oq_prep_fold_constants(prep_ctx *c, prep_graph *g, oq_error *err);     /* fold.c */

/* Default-domain opsets the converter knows (1 .. OQ_PREP_MAX_OPSET). */
#define OQ_PREP_MAX_OPSET 21

#endif
