/* Strict attribute check against the generated ONNX schema table (see schema.h). */
#include "model/schema.h"
#include "model/graph.h"

#include <stdio.h>
#include <string.h>

typedef struct oq_schema_attr {
  const char *name;
  int type; /* Onnx__AttributeProto__AttributeType */
  int required;
} oq_schema_attr;

typedef struct oq_schema_row {
  const char *domain; /* "" for ai.onnx */
  const char *op;
  int since;
  int first; /* index into k_schema_attrs */
  int count;
} oq_schema_row;

typedef struct oq_schema_domain {
  const char *domain;
  int max_opset; /* newest opset the generating onnx knew */
} oq_schema_domain;

#include "model/schema_table.h"

#define N_ROWS    ((int)(sizeof k_schema_rows / sizeof k_schema_rows[0]))
#define N_DOMAINS ((int)(sizeof k_schema_domains / sizeof k_schema_domains[0]))

static int row_cmp(const oq_schema_row *r, const char *dom, const char *op) {
  int c = strcmp(r->domain, dom);
  return c ? c : strcmp(r->op, op);
}

/* The rows of (dom, op) are contiguous and sorted by since-version: the first one, or -1. */
static int find_first(const char *dom, const char *op) {
  int lo = 0, hi = N_ROWS;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2;
    if (row_cmp(&k_schema_rows[mid], dom, op) < 0)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < N_ROWS && row_cmp(&k_schema_rows[lo], dom, op) == 0 ? lo : -1;
}

static const char *type_name(int t) {
  static const char *const names[] = {"undefined",      "float", "int",     "string",  "tensor", "graph",
                                      "floats",         "ints",  "strings", "tensors", "graphs", "sparse tensor",
                                      "sparse tensors", "type",  "types"};
  return t >= 0 && t < (int)(sizeof names / sizeof names[0]) ? names[t] : "unknown";
}

/* Attribute names come from the file: printable ASCII is kept, other bytes become \xNN (one-line messages). */
static void quote_name(const char *s, char *buf, size_t cap) {
  size_t n = 0;
  for (; *s && n + 5 < cap; s++) {
    unsigned char c = (unsigned char)*s;
    if (c >= 0x20 && c < 0x7f && c != '\\')
      buf[n++] = (char)c;
    else
      n += (size_t)snprintf(buf + n, cap - n, "\\x%02x", c);
  }
  buf[n] = '\0';
}

oq_status oq_schema_check_node(const Onnx__NodeProto *node, const char *label, int64_t opset, oq_error *err) {
  const char *dom = node->domain ? node->domain : "";
  const char *op = node->op_type ? node->op_type : "";
  if (strcmp(dom, "ai.onnx") == 0) dom = "";
  int max_known = -1;
  for (int d = 0; d < N_DOMAINS; d++)
    if (strcmp(k_schema_domains[d].domain, dom) == 0) max_known = k_schema_domains[d].max_opset;
  if (max_known < 0) return OQ_OK; /* not a standard domain */
  int first = find_first(dom, op);
  if (first < 0) return OQ_OK;
  int sel = -1;
  for (int r = first; r < N_ROWS && row_cmp(&k_schema_rows[r], dom, op) == 0; r++)
    if (k_schema_rows[r].since <= opset) sel = r;
  if (sel < 0) return OQ_OK; /* below the first version: the op table refuses the node */
  const oq_schema_row *row = &k_schema_rows[sel];
  const oq_schema_attr *spec = &k_schema_attrs[row->first];
  int newer = opset > max_known;
  char qname[200];
  for (size_t i = 0; i < node->n_attribute; i++) {
    const Onnx__AttributeProto *a = node->attribute[i];
    const char *name = a && a->name ? a->name : "";
    if (name[0] == '\0')
      return oq_error_set(err, OQ_ERR_MODEL, __FILE__, __LINE__, "%s (%s-%d): attribute %d has no name", label, op,
                          row->since, (int)i);
    if (a->ref_attr_name && a->ref_attr_name[0]) continue; /* function bodies only */
    if (name[0] == '_' && name[1] == '_') continue;        /* internal names, as ONNX's checker allows */
    int k = 0;
    while (k < row->count && strcmp(spec[k].name, name) != 0) k++;
    quote_name(name, qname, sizeof qname);
    if (k == row->count) {
      if (newer) continue;
      return oq_error_set(err, OQ_ERR_MODEL, __FILE__, __LINE__,
                          "%s (%s-%d): attribute '%s' is not defined by the operator", label, op, row->since, qname);
    }
    int t = (int)oq_attr_type(a);
    if (t != ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED && t != spec[k].type)
      return oq_error_set(err, OQ_ERR_MODEL, __FILE__, __LINE__,
                          "%s (%s-%d): attribute '%s' has type %s, the operator defines it as %s", label, op,
                          row->since, qname, type_name(t), type_name(spec[k].type));
    for (size_t j = 0; j < i; j++)
      if (node->attribute[j] && node->attribute[j]->name && strcmp(node->attribute[j]->name, name) == 0)
        return oq_error_set(err, OQ_ERR_MODEL, __FILE__, __LINE__, "%s (%s-%d): attribute '%s' is given twice", label,
                            op, row->since, qname);
  }
  if (!newer)
    for (int k = 0; k < row->count; k++)
      if (spec[k].required && !oq_attr_find(node, spec[k].name))
        return oq_error_set(err, OQ_ERR_MODEL, __FILE__, __LINE__, "%s (%s-%d): required attribute '%s' is missing",
                            label, op, row->since, spec[k].name);
  return OQ_OK;
}
