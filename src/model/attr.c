/* Typed attribute access for operators' init functions. Absent attributes yield the default; an attribute of the
 * wrong type is an error naming the node and the attribute, never a silent default. */
#include "model/graph.h"

#include <string.h>

typedef Onnx__AttributeProto__AttributeType attr_type;

/* The declared type, or for old files that omit `type`, the one field that is set. */
attr_type oq_attr_type(const Onnx__AttributeProto *a) {
  if (a->has_type && a->type != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED) return a->type;
  if (a->has_f) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
  if (a->has_i) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
  if (a->has_s) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
  if (a->t) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
  if (a->g) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH;
  if (a->n_floats) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
  if (a->n_ints) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
  if (a->n_strings) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
  if (a->n_tensors) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS;
  if (a->n_graphs) return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS;
  return ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED;
}

static const char *type_name(attr_type t) {
  switch (t) {
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT: return "float";
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT: return "int";
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING: return "string";
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: return "tensor";
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPH: return "graph";
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSOR: return "sparse tensor";
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTO: return "type";
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS: return "floats";
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS: return "ints";
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: return "strings";
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSORS: return "tensors";
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__GRAPHS: return "graphs";
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__SPARSE_TENSORS: return "sparse tensors";
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TYPE_PROTOS: return "types";
  default: return "undefined";
  }
}

const Onnx__AttributeProto *oq_attr_find(const Onnx__NodeProto *node, const char *name) {
  if (!node || !name) return NULL;
  for (size_t i = 0; i < node->n_attribute; i++) {
    const Onnx__AttributeProto *a = node->attribute[i];
    if (a && a->name && strcmp(a->name, name) == 0) return a;
  }
  return NULL;
}

/* Finds name; *out is NULL when absent. Fails when present with another type. */
static oq_status lookup(const Onnx__NodeProto *node, const char *name, attr_type want, const Onnx__AttributeProto **out,
                        oq_error *err) {
  const Onnx__AttributeProto *a = oq_attr_find(node, name);
  *out = NULL;
  if (!a) return OQ_OK;
  attr_type t = oq_attr_type(a);
  if (t != want) {
    const char *nn = (node->name && node->name[0]) ? node->name : "(unnamed)";
    const char *op = (node->op_type && node->op_type[0]) ? node->op_type : "?";
    OQ_RETURN_ERR(err, OQ_ERR_MODEL, "node '%s' (%s) attribute '%s' should be %s but is %s", nn, op, name,
                  type_name(want), type_name(t));
  }
  *out = a;
  return OQ_OK;
}

oq_status oq_attr_int(const Onnx__NodeProto *node, const char *name, int64_t dflt, int64_t *out, oq_error *err) {
  const Onnx__AttributeProto *a;
  oq_status st = lookup(node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT, &a, err);
  *out = (st == OQ_OK && a) ? a->i : dflt;
  return st;
}

oq_status oq_attr_float(const Onnx__NodeProto *node, const char *name, float dflt, float *out, oq_error *err) {
  const Onnx__AttributeProto *a;
  oq_status st = lookup(node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT, &a, err);
  *out = (st == OQ_OK && a) ? a->f : dflt;
  return st;
}

oq_status oq_attr_ints(const Onnx__NodeProto *node, const char *name, const int64_t **out, size_t *n, oq_error *err) {
  const Onnx__AttributeProto *a;
  oq_status st = lookup(node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS, &a, err);
  *out = (st == OQ_OK && a) ? a->ints : NULL;
  *n = (st == OQ_OK && a) ? a->n_ints : 0;
  return st;
}

oq_status oq_attr_floats(const Onnx__NodeProto *node, const char *name, const float **out, size_t *n, oq_error *err) {
  const Onnx__AttributeProto *a;
  oq_status st = lookup(node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS, &a, err);
  *out = (st == OQ_OK && a) ? a->floats : NULL;
  *n = (st == OQ_OK && a) ? a->n_floats : 0;
  return st;
}

oq_status oq_attr_string(const Onnx__NodeProto *node, const char *name, const char *dflt, const char **out, size_t *len,
                         oq_error *err) {
  const Onnx__AttributeProto *a;
  oq_status st = lookup(node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING, &a, err);
  if (st == OQ_OK && a) {
    *out = a->s.data ? (const char *)a->s.data : ""; /* an empty string may have no buffer */
    *len = a->s.len;
  } else {
    *out = dflt;
    *len = dflt ? strlen(dflt) : 0;
  }
  return st;
}

oq_status oq_attr_tensor(const Onnx__NodeProto *node, const char *name, const Onnx__TensorProto **out, oq_error *err) {
  const Onnx__AttributeProto *a;
  oq_status st = lookup(node, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR, &a, err);
  *out = NULL;
  if (st != OQ_OK || !a) return st;
  if (!a->t) {
    const char *nn = (node->name && node->name[0]) ? node->name : "(unnamed)";
    OQ_RETURN_ERR(err, OQ_ERR_MODEL, "node '%s' (%s) attribute '%s' is a tensor but holds none", nn,
                  node->op_type ? node->op_type : "?", name);
  }
  *out = a->t;
  return OQ_OK;
}
