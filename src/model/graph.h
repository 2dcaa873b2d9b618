/* Graph index over a GraphProto: values and nodes with producer/consumer maps and a topological order. All
 * strings and protos are borrowed from the ModelProto, which outlives the index. */
#ifndef OQ_MODEL_GRAPH_H
#define OQ_MODEL_GRAPH_H

#include "core/error.h"
#include "core/strmap.h"
#include "onnx.pb-c.h"

typedef enum oq_value_kind {
  OQ_VALUE_INPUT = 0,       /* graph input that must be fed */
  OQ_VALUE_INITIALIZER = 1, /* constant weight (also when listed as a graph input with a default) */
  OQ_VALUE_INTERMEDIATE = 2 /* produced by a node */
} oq_value_kind;

/* One dimension: a fixed extent, a symbolic name, or unknown (value < 0 and param NULL). */
typedef struct oq_dim {
  int64_t value;     /* >= 0 when known */
  const char *param; /* symbolic name (dim_param) or NULL */
} oq_dim;

typedef struct oq_value {
  const char *name;               /* borrowed */
  oq_value_kind kind;             /* see enum */
  int32_t is_graph_output;        /* 1 if listed in graph.output */
  int32_t dtype;                  /* oq_dtype, OQ_DTYPE_UNDEFINED when unknown */
  int32_t ndim;                   /* rank, -1 when unknown */
  oq_dim dims[OQ_MAX_DIMS];       /* first ndim valid */
  int32_t producer;               /* node index, -1 for inputs and initializers */
  int32_t *consumers;             /* owned; node indices, one entry per use (a node using it twice appears twice) */
  int32_t n_consumers;            /* entries in consumers */
  const Onnx__TensorProto *init;  /* initializer proto, NULL otherwise */
  const Onnx__ValueInfoProto *vi; /* value_info / input / output entry giving its type, NULL if none */
} oq_value;

typedef struct oq_node {
  const Onnx__NodeProto *proto; /* borrowed */
  int32_t *inputs;              /* owned; value index per input slot, -1 for an omitted optional input ("") */
  int32_t n_inputs;
  int32_t *outputs; /* owned; value index per output slot, -1 for an omitted optional output */
  int32_t n_outputs;
} oq_node;

typedef struct oq_opset {
  const char *domain; /* borrowed; "" for the default domain (also when the file says "ai.onnx") */
  int64_t version;
} oq_opset;

/* Invariant: topo is a permutation of 0..n_nodes-1 where every node follows the producers of its inputs. */
typedef struct oq_graph {
  oq_value *values; /* owned */
  int32_t n_values;
  oq_node *nodes; /* owned; same order as graph.node */
  int32_t n_nodes;
  int32_t *topo;   /* owned; node indices in execution order */
  int32_t *inputs; /* owned; value indices of graph inputs that must be fed, in graph.input order */
  int32_t n_inputs;
  int32_t *outputs; /* owned; value indices of graph outputs in graph.output order */
  int32_t n_outputs;
  oq_opset *opsets; /* owned */
  int32_t n_opsets;
  oq_strmap by_name; /* value name -> index */
} oq_graph;

/* Indexes model->graph. Errors (naming the value or node): a cycle, a node input that no node, initializer or
 * graph input provides, a value produced twice, a graph output never produced, rank above OQ_MAX_DIMS. */
oq_status oq_graph_build(const Onnx__ModelProto *model, oq_graph *out, oq_error *err);
void oq_graph_free(oq_graph *g);
int32_t oq_graph_find(const oq_graph *g, const char *name);    /* -1 when absent */
int64_t oq_graph_opset(const oq_graph *g, const char *domain); /* -1 when not imported */

/* Attribute access for kernels' init functions: typed, with defaults, never failing silently on a type
 * mismatch. The returned pointers borrow from the NodeProto. */
const Onnx__AttributeProto *oq_attr_find(const Onnx__NodeProto *node, const char *name);
oq_status oq_attr_int(const Onnx__NodeProto *node, const char *name, int64_t dflt, int64_t *out, oq_error *err);
oq_status oq_attr_float(const Onnx__NodeProto *node, const char *name, float dflt, float *out, oq_error *err);
/* *out is NULL and *n 0 when absent. */
oq_status oq_attr_ints(const Onnx__NodeProto *node, const char *name, const int64_t **out, size_t *n, oq_error *err);
oq_status oq_attr_floats(const Onnx__NodeProto *node, const char *name, const float **out, size_t *n, oq_error *err);
/* String attributes are bytes in protobuf; *out points at them (not NUL-terminated), dflt used when absent. */
oq_status oq_attr_string(const Onnx__NodeProto *node, const char *name, const char *dflt, const char **out, size_t *len,
                         oq_error *err);
oq_status oq_attr_tensor(const Onnx__NodeProto *node, const char *name, const Onnx__TensorProto **out, oq_error *err);

#endif
