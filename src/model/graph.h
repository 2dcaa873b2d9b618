/* Graph index over a GraphProto: values and nodes with producer/consumer maps and a topological order. All
 * strings and protos are borrowed from the ModelProto, which outlives the index.
 *
 * Scopes. The main graph and every subgraph (If branches, Loop/Scan bodies: node attributes of type GRAPH or
 * GRAPHS) each get their own oq_graph, a "scope". The main graph's index owns the indexes of its subgraphs
 * (oq_node.subgraphs), recursively, so one oq_graph_build_model indexes the whole model.
 *   - Value ids are per scope: each oq_graph numbers its own values 0..n_values-1, and an id means nothing without
 *     its scope. Across scopes the key is the pair (scope, id), or the value name, which ONNX resolves lexically:
 *     a name is looked up in the scope itself first, then in the enclosing scopes from the nearest outwards (an
 *     inner definition shadows an outer one).
 *   - A name a subgraph reads but does not define is an outer reference: the subgraph gets a value of kind
 *     OQ_VALUE_OUTER for it that records which value of the enclosing scope it is (outer_scope, outer_id). After a
 *     whole-model build, outer_scope is always the immediate parent: when the name lives further out, the parent
 *     gets an OUTER value of its own, and so on up to the scope that defines it.
 *   - Every value of a scope that one of a node's subgraphs reads from outside is an implicit input of that node
 *     (oq_node.implicit): it counts as a consumer (oq_value.consumers) and orders the topological sort, so the
 *     executor keeps it alive until the node ran.
 *   - Observers and calibration statistics are per scope too (exec.h passes the scope with every value id).
 * The main graph of a model without subgraphs is indexed exactly as before scopes existed: same ids, same order,
 * same messages. */
#ifndef OQ_MODEL_GRAPH_H
#define OQ_MODEL_GRAPH_H

#include "core/error.h"
#include "core/strmap.h"
#include "onnx.pb-c.h"

typedef enum oq_value_kind {
  OQ_VALUE_INPUT = 0,        /* graph input that must be fed */
  OQ_VALUE_INITIALIZER = 1,  /* constant weight (also when listed as a graph input with a default) */
  OQ_VALUE_INTERMEDIATE = 2, /* produced by a node */
  OQ_VALUE_OUTER = 3         /* subgraphs only: a value of an enclosing scope read here (see outer_scope) */
} oq_value_kind;

/* Subgraph nesting indexed; deeper nesting is refused as hostile (model.c refuses it first, with the same limit). */
#define OQ_GRAPH_MAX_DEPTH 64
/* Errors inside subgraphs are prefixed with the node and attribute holding them for the outermost this many levels
 * only, so that a message about a deeply nested (hostile) graph keeps its own text within oq_error.msg. */
#define OQ_GRAPH_NAMED_DEPTH 8

struct oq_graph;

/* One dimension: a fixed extent, a symbolic name, or unknown (value < 0 and param NULL). */
typedef struct oq_dim {
  int64_t value;     /* >= 0 when known */
  const char *param; /* symbolic name (dim_param) or NULL */
} oq_dim;

typedef struct oq_value {
  const char *name;                   /* borrowed */
  oq_value_kind kind;                 /* see enum */
  int32_t is_graph_output;            /* 1 if listed in graph.output */
  int32_t dtype;                      /* oq_dtype, OQ_DTYPE_UNDEFINED when unknown */
  int32_t ndim;                       /* rank, -1 when unknown */
  oq_dim dims[OQ_MAX_DIMS];           /* first ndim valid */
  int32_t producer;                   /* node index, -1 for inputs and initializers */
  int32_t *consumers;                 /* owned; node indices, one entry per use (a node using it twice appears twice) */
  int32_t n_consumers;                /* entries in consumers */
  const Onnx__TensorProto *init;      /* initializer proto, NULL otherwise */
  const Onnx__ValueInfoProto *vi;     /* value_info / input / output entry giving its type, NULL if none */
  const struct oq_graph *outer_scope; /* OQ_VALUE_OUTER: the enclosing scope holding the value (borrowed), else NULL */
  int32_t outer_id;                   /* OQ_VALUE_OUTER: its id in outer_scope (possibly OUTER there too), else -1 */
} oq_value;

/* One subgraph attribute value of a node. */
typedef struct oq_subgraph {
  const char *attr;       /* attribute name (borrowed), e.g. "then_branch" */
  int32_t item;           /* -1 for a GRAPH attribute, the position in the list for a GRAPHS attribute */
  struct oq_graph *graph; /* owned; its parent is the node's scope */
} oq_subgraph;

typedef struct oq_node {
  const Onnx__NodeProto *proto; /* borrowed */
  int32_t *inputs;              /* owned; value index per input slot, -1 for an omitted optional input ("") */
  int32_t n_inputs;
  int32_t *outputs; /* owned; value index per output slot, -1 for an omitted optional output */
  int32_t n_outputs;
  int32_t *implicit; /* owned; values of this scope the node's subgraphs read (outer references), no duplicates */
  int32_t n_implicit;
  oq_subgraph *subgraphs; /* owned; GRAPH and GRAPHS attributes in attribute order (a GRAPHS list item by item) */
  int32_t n_subgraphs;
} oq_node;

typedef struct oq_opset {
  const char *domain; /* borrowed; "" for the default domain (also when the file says "ai.onnx") */
  int64_t version;
} oq_opset;

/* Invariant: topo is a permutation of 0..n_nodes-1 where every node follows the producers of its inputs, explicit
 * and implicit. An index must not be moved (copied by value) after its build: subgraphs point at their parent. */
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
  int32_t *outer;    /* owned; ids of the OQ_VALUE_OUTER values, in order of first use (none in the main graph) */
  int32_t n_outer;
  const struct oq_graph *parent; /* enclosing scope (borrowed), NULL for the main graph */
  int32_t depth;                 /* 0 for the main graph, parent->depth + 1 otherwise */
  const Onnx__GraphProto *proto; /* borrowed; the indexed graph */
} oq_graph;

/* Indexes gp with its subgraphs (recursively, at most OQ_GRAPH_MAX_DEPTH levels below the main graph). opsets
 * (n_opsets entries, domains normalized: "" for ai.onnx) are copied. parent is the enclosing scope, NULL for the
 * main graph; it is only read, and must outlive the index. Names that gp does not define are looked up in parent
 * and its ancestors (OQ_VALUE_OUTER values; in a standalone build their outer_scope may be any ancestor). Errors
 * (naming the value or node; inside a subgraph prefixed with the node and attribute holding it): a cycle, a node
 * input that no node, initializer or graph input provides (in this scope or an enclosing one), a value produced
 * twice, a graph output never produced, rank above OQ_MAX_DIMS, nesting deeper than OQ_GRAPH_MAX_DEPTH. */
oq_status oq_graph_build(const Onnx__GraphProto *gp, const oq_opset *opsets, int32_t n_opsets, const oq_graph *parent,
                         oq_graph *out, oq_error *err);
/* Indexes model->graph as the main graph with the model's opset imports (the first import of a domain wins). */
oq_status oq_graph_build_model(const Onnx__ModelProto *model, oq_graph *out, oq_error *err);
void oq_graph_free(oq_graph *g);
int32_t oq_graph_find(const oq_graph *g, const char *name);    /* -1 when absent */
int64_t oq_graph_opset(const oq_graph *g, const char *domain); /* -1 when not imported */
/* Lexical lookup: the scope holding name, searching g and then its ancestors; *id gets the value's id there.
 * NULL (and *id -1) when no scope defines it. OQ_VALUE_OUTER values do not count as definitions. */
const oq_graph *oq_graph_resolve(const oq_graph *g, const char *name, int32_t *id);
/* Index into node->subgraphs of the GRAPH attribute attr, or -1 when the node has none of that name. */
int32_t oq_node_subgraph(const oq_node *node, const char *attr);

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
/* The attribute's type: the declared one, or for old files that omit it, the one field that is set. */
Onnx__AttributeProto__AttributeType oq_attr_type(const Onnx__AttributeProto *a);

#endif
