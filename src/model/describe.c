/* Model fingerprint, input/output lookups, model statistics and the `onnxq inspect` summary (text or JSON). Which
 * operators are supported is not known at this layer: the summary asks a predicate that the caller passes
 * (exec/inspect.c passes the op table's lookup). */
#define XXH_STATIC_LINKING_ONLY /* stack-allocated XXH3 state: fingerprinting must not fail on allocation */
#include <xxhash.h>

#include "core/dtype.h"
#include "model/model.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- fingerprint ------------------------------------------------------------------------------------------ */

/* Nesting depth of subgraphs that is hashed in full; deeper graphs contribute a marker only (hostile input). */
#define FP_MAX_DEPTH 32

typedef struct fp_ctx {
  XXH3_state_t st;       /* running hash */
  const oq_model *model; /* for decoding initializers (external data) */
} fp_ctx;

/* ProtobufCBuffer that streams packed bytes into the hash, so packing needs no allocation. */
typedef struct fp_buffer {
  ProtobufCBuffer base; /* must be first */
  fp_ctx *ctx;
} fp_buffer;

static void fp_bytes(fp_ctx *c, const void *p, size_t n) {
  if (n) XXH3_64bits_update(&c->st, p, n);
}

/* Integers are hashed little-endian so the fingerprint is the same on every host. */
static void fp_u64(fp_ctx *c, uint64_t x) {
  uint8_t b[8];
  for (int i = 0; i < 8; i++) b[i] = (uint8_t)(x >> (8 * i));
  fp_bytes(c, b, 8);
}

/* Length-prefixed so that field boundaries are unambiguous; NULL (absent) hashes like "". */
static void fp_str(fp_ctx *c, const char *s) {
  size_t n = s ? strlen(s) : 0;
  fp_u64(c, n);
  fp_bytes(c, s, n);
}

static void fp_blob(fp_ctx *c, const void *p, size_t n) {
  fp_u64(c, n);
  fp_bytes(c, p, n);
}

static void fp_append(ProtobufCBuffer *buf, size_t len, const uint8_t *data) {
  fp_bytes(((fp_buffer *)buf)->ctx, data, len);
}

static void fp_message(fp_ctx *c, const ProtobufCMessage *m) {
  if (!m) {
    fp_u64(c, 0);
    return;
  }
  fp_u64(c, protobuf_c_message_get_packed_size(m));
  fp_buffer b = {{fp_append}, c};
  protobuf_c_message_pack_to_buffer(m, &b.base);
}

static const char *canon_domain(const char *d) { return (!d || strcmp(d, "ai.onnx") == 0) ? "" : d; }

static void fp_tensor(fp_ctx *c, const Onnx__TensorProto *tp) {
  if (!tp) {
    fp_u64(c, 0);
    return;
  }
  fp_u64(c, 1);
  fp_str(c, tp->name);
  fp_u64(c, (uint64_t)(int64_t)(tp->has_data_type ? tp->data_type : 0));
  fp_u64(c, tp->n_dims);
  for (size_t i = 0; i < tp->n_dims; i++) fp_u64(c, (uint64_t)tp->dims[i]);
  oq_tensor t;
  oq_error e;
  memset(&t, 0, sizeof t);
  if (c->model && oq_model_tensor_decode(c->model, tp, &t, &e) == OQ_OK) {
    /* decoded bytes: the same whether stored inline, in typed fields or externally */
    fp_u64(c, 1);
    fp_blob(c, t.data, t.nbytes);
    oq_tensor_release(&t);
    return;
  }
  /* Not decodable (strings, unusual types): hash the stored fields themselves; external bytes count as raw_data
   * and where they lived does not count, since saving may bring them inline or move them to another file. */
  const oq_external_blob *blob = c->model ? oq_model_external_blob(c->model, tp) : NULL;
  fp_u64(c, 2);
  if (blob)
    fp_blob(c, blob->data, blob->size);
  else
    fp_blob(c, tp->has_raw_data ? tp->raw_data.data : NULL, tp->has_raw_data ? tp->raw_data.len : 0);
  fp_u64(c, tp->n_float_data);
  for (size_t i = 0; i < tp->n_float_data; i++) {
    uint32_t u;
    memcpy(&u, &tp->float_data[i], 4);
    fp_u64(c, u);
  }
  fp_u64(c, tp->n_int32_data);
  for (size_t i = 0; i < tp->n_int32_data; i++) fp_u64(c, (uint64_t)(int64_t)tp->int32_data[i]);
  fp_u64(c, tp->n_int64_data);
  for (size_t i = 0; i < tp->n_int64_data; i++) fp_u64(c, (uint64_t)tp->int64_data[i]);
  fp_u64(c, tp->n_uint64_data);
  for (size_t i = 0; i < tp->n_uint64_data; i++) fp_u64(c, tp->uint64_data[i]);
  fp_u64(c, tp->n_double_data);
  for (size_t i = 0; i < tp->n_double_data; i++) {
    uint64_t u;
    memcpy(&u, &tp->double_data[i], 8);
    fp_u64(c, u);
  }
  fp_u64(c, tp->n_string_data);
  for (size_t i = 0; i < tp->n_string_data; i++) fp_blob(c, tp->string_data[i].data, tp->string_data[i].len);
  fp_u64(c, blob ? 0 : tp->n_external_data);
  for (size_t i = 0; !blob && i < tp->n_external_data; i++)
    if (tp->external_data[i]) {
      fp_str(c, tp->external_data[i]->key);
      fp_str(c, tp->external_data[i]->value);
    }
}

static void fp_graph(fp_ctx *c, const Onnx__GraphProto *g, int depth);

static void fp_value_infos(fp_ctx *c, Onnx__ValueInfoProto *const *v, size_t n) {
  fp_u64(c, n);
  for (size_t i = 0; i < n; i++) {
    if (!v[i]) continue;
    fp_str(c, v[i]->name);
    fp_message(c, (const ProtobufCMessage *)v[i]->type);
  }
}

static void fp_attribute(fp_ctx *c, const Onnx__AttributeProto *a, int depth) {
  fp_str(c, a->name);
  fp_str(c, a->ref_attr_name);
  fp_u64(c, a->has_type ? (uint64_t)a->type : 0);
  uint32_t fb;
  memcpy(&fb, &a->f, 4);
  fp_u64(c, a->has_f ? fb : 0);
  fp_u64(c, a->has_i ? (uint64_t)a->i : 0);
  fp_u64(c, (uint64_t)a->has_s);
  fp_blob(c, a->s.data, a->has_s ? a->s.len : 0);
  fp_tensor(c, a->t);
  fp_graph(c, a->g, depth + 1);
  fp_message(c, (const ProtobufCMessage *)a->sparse_tensor);
  fp_message(c, (const ProtobufCMessage *)a->tp);
  fp_u64(c, a->n_floats);
  for (size_t i = 0; i < a->n_floats; i++) {
    memcpy(&fb, &a->floats[i], 4);
    fp_u64(c, fb);
  }
  fp_u64(c, a->n_ints);
  for (size_t i = 0; i < a->n_ints; i++) fp_u64(c, (uint64_t)a->ints[i]);
  fp_u64(c, a->n_strings);
  for (size_t i = 0; i < a->n_strings; i++) fp_blob(c, a->strings[i].data, a->strings[i].len);
  fp_u64(c, a->n_tensors);
  for (size_t i = 0; i < a->n_tensors; i++) fp_tensor(c, a->tensors[i]);
  fp_u64(c, a->n_graphs);
  for (size_t i = 0; i < a->n_graphs; i++) fp_graph(c, a->graphs[i], depth + 1);
  fp_u64(c, a->n_sparse_tensors);
  for (size_t i = 0; i < a->n_sparse_tensors; i++) fp_message(c, (const ProtobufCMessage *)a->sparse_tensors[i]);
  fp_u64(c, a->n_type_protos);
  for (size_t i = 0; i < a->n_type_protos; i++) fp_message(c, (const ProtobufCMessage *)a->type_protos[i]);
}

/* Everything that defines the computation; doc_string and metadata_props are left out on purpose. */
static void fp_node(fp_ctx *c, const Onnx__NodeProto *n, int depth) {
  if (!n) {
    fp_u64(c, 0);
    return;
  }
  fp_str(c, n->name);
  fp_str(c, n->op_type);
  fp_str(c, canon_domain(n->domain));
  fp_str(c, n->overload);
  fp_u64(c, n->n_input);
  for (size_t i = 0; i < n->n_input; i++) fp_str(c, n->input[i]);
  fp_u64(c, n->n_output);
  for (size_t i = 0; i < n->n_output; i++) fp_str(c, n->output[i]);
  fp_u64(c, n->n_attribute);
  for (size_t i = 0; i < n->n_attribute; i++)
    if (n->attribute[i]) fp_attribute(c, n->attribute[i], depth);
}

static void fp_graph(fp_ctx *c, const Onnx__GraphProto *g, int depth) {
  if (!g) {
    fp_u64(c, 0);
    return;
  }
  if (depth > FP_MAX_DEPTH) {
    fp_u64(c, 2);
    return;
  }
  fp_u64(c, 1);
  fp_value_infos(c, g->input, g->n_input);
  fp_value_infos(c, g->output, g->n_output);
  fp_u64(c, g->n_node);
  for (size_t i = 0; i < g->n_node; i++) fp_node(c, g->node[i], depth);
  fp_u64(c, g->n_initializer);
  for (size_t i = 0; i < g->n_initializer; i++) fp_tensor(c, g->initializer[i]);
  fp_u64(c, g->n_sparse_initializer);
  for (size_t i = 0; i < g->n_sparse_initializer; i++)
    fp_message(c, (const ProtobufCMessage *)g->sparse_initializer[i]);
}

uint64_t oq_model_fingerprint(const oq_model *model) {
  if (!model || !model->proto) return 0;
  const Onnx__ModelProto *mp = model->proto;
  fp_ctx c;
  c.model = model;
  XXH3_INITSTATE(&c.st);
  XXH3_64bits_reset(&c.st);
  fp_str(&c, "onnxq-fingerprint-1");
  fp_u64(&c, mp->n_opset_import);
  for (size_t i = 0; i < mp->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *op = mp->opset_import[i];
    if (!op) continue;
    fp_str(&c, canon_domain(op->domain));
    fp_u64(&c, op->has_version ? (uint64_t)op->version : 1);
  }
  fp_graph(&c, mp->graph, 0);
  /* model-local functions define ops the graph may call */
  fp_u64(&c, mp->n_functions);
  for (size_t i = 0; i < mp->n_functions; i++) {
    const Onnx__FunctionProto *f = mp->functions[i];
    if (!f) continue;
    fp_str(&c, f->name);
    fp_str(&c, canon_domain(f->domain));
    fp_str(&c, f->overload);
    fp_u64(&c, f->n_input);
    for (size_t k = 0; k < f->n_input; k++) fp_str(&c, f->input[k]);
    fp_u64(&c, f->n_output);
    for (size_t k = 0; k < f->n_output; k++) fp_str(&c, f->output[k]);
    fp_u64(&c, f->n_attribute);
    for (size_t k = 0; k < f->n_attribute; k++) fp_str(&c, f->attribute[k]);
    fp_u64(&c, f->n_attribute_proto);
    for (size_t k = 0; k < f->n_attribute_proto; k++)
      if (f->attribute_proto[k]) fp_attribute(&c, f->attribute_proto[k], 1);
    fp_u64(&c, f->n_node);
    for (size_t k = 0; k < f->n_node; k++) fp_node(&c, f->node[k], 1);
    fp_u64(&c, f->n_opset_import);
    for (size_t k = 0; k < f->n_opset_import; k++)
      if (f->opset_import[k]) {
        fp_str(&c, canon_domain(f->opset_import[k]->domain));
        fp_u64(&c, (uint64_t)f->opset_import[k]->version);
      }
  }
  return XXH3_64bits_digest(&c.st);
}

/* ---- inputs and outputs ----------------------------------------------------------------------------------- */

int32_t oq_model_input_count(const oq_model *model) { return model ? model->graph.n_inputs : 0; }

const char *oq_model_input_name(const oq_model *model, int32_t index) {
  if (!model || index < 0 || index >= model->graph.n_inputs) return NULL;
  return model->graph.values[model->graph.inputs[index]].name;
}

int32_t oq_model_output_count(const oq_model *model) { return model ? model->graph.n_outputs : 0; }

const char *oq_model_output_name(const oq_model *model, int32_t index) {
  if (!model || index < 0 || index >= model->graph.n_outputs) return NULL;
  return model->graph.values[model->graph.outputs[index]].name;
}

static int32_t find_in(const oq_model *model, const int32_t *ids, int32_t n, const char *name) {
  if (!model || !name) return -1;
  int32_t v = oq_graph_find(&model->graph, name);
  if (v < 0) return -1;
  for (int32_t i = 0; i < n; i++)
    if (ids[i] == v) return i;
  return -1;
}

int32_t oq_model_find_input(const oq_model *model, const char *name) {
  return model ? find_in(model, model->graph.inputs, model->graph.n_inputs, name) : -1;
}

int32_t oq_model_find_output(const oq_model *model, const char *name) {
  return model ? find_in(model, model->graph.outputs, model->graph.n_outputs, name) : -1;
}

/* First layouts with a size field; later fields are appended, so these stay. */
#define VALUE_INFO_SIZE_V1  (offsetof(oq_value_info, dim_names) + sizeof(const char *[OQ_MAX_DIMS]))
#define MODEL_STATS_SIZE_V1 (offsetof(oq_model_stats, quantized_nodes) + sizeof(int32_t))

void oq_value_info_init(oq_value_info *info) {
  if (!info) return;
  memset(info, 0, sizeof *info);
  info->size = sizeof *info;
}

/* Fills the caller's struct, of the size it says it has. */
static oq_status value_info(const oq_model *model, const int32_t *ids, int32_t n, int32_t index, oq_value_info *info,
                            const char *fn, oq_error *err) {
  oq_status st = OQ_OK;
  oq_value_info full;
  oq_value_info_init(&full);
  if (!model || !info) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "%s: model and info are required", fn);
  OQ_CHECK(oq_options_take(&full, sizeof full, VALUE_INFO_SIZE_V1, info, fn, err));
  if (index < 0 || index >= n) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "%s: index %d is not below %d", fn, (int)index, (int)n);
  const oq_value *v = &model->graph.values[ids[index]];
  uint32_t size = full.size;
  oq_value_info_init(&full);
  full.size = size;
  full.name = v->name;
  full.dtype = v->dtype;
  full.rank = v->ndim;
  for (int32_t i = 0; i < v->ndim && i < OQ_MAX_DIMS; i++) {
    full.dims[i] = v->dims[i].value >= 0 ? v->dims[i].value : -1;
    full.dim_names[i] = v->dims[i].param;
  }
  memcpy(info, &full, size);
fail:
  return st;
}

oq_status oq_model_input_info(const oq_model *model, int32_t index, oq_value_info *info, oq_error *err) {
  return value_info(model, model ? model->graph.inputs : NULL, model ? model->graph.n_inputs : 0, index, info,
                    "oq_model_input_info", err);
}

oq_status oq_model_output_info(const oq_model *model, int32_t index, oq_value_info *info, oq_error *err) {
  return value_info(model, model ? model->graph.outputs : NULL, model ? model->graph.n_outputs : 0, index, info,
                    "oq_model_output_info", err);
}

/* ---- statistics ------------------------------------------------------------------------------------------- */

void oq_model_stats_init(oq_model_stats *stats) {
  if (!stats) return;
  memset(stats, 0, sizeof *stats);
  stats->size = sizeof *stats;
}

static bool op_is(const Onnx__NodeProto *n, const char *op) { return n->op_type && strcmp(n->op_type, op) == 0; }

oq_status oq_model_get_stats(const oq_model *model, oq_model_stats *stats, oq_error *err) {
  oq_status st = OQ_OK;
  oq_model_stats full;
  oq_model_stats_init(&full);
  if (!model || !stats) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "oq_model_get_stats: model and stats are required");
  OQ_CHECK(oq_options_take(&full, sizeof full, MODEL_STATS_SIZE_V1, stats, "oq_model_get_stats", err));
  const oq_graph *g = &model->graph;
  full.nodes = g->n_nodes;
  full.initializers = model->proto->graph ? (int32_t)model->proto->graph->n_initializer : 0;
  full.qdq_nodes = 0;
  full.quantized_nodes = 0;
  for (int32_t i = 0; i < g->n_nodes; i++) {
    const Onnx__NodeProto *np = g->nodes[i].proto;
    if (op_is(np, "QuantizeLinear") || op_is(np, "DequantizeLinear")) {
      full.qdq_nodes++;
      continue;
    }
    for (int32_t s = 0; s < g->nodes[i].n_inputs; s++) {
      int32_t v = g->nodes[i].inputs[s];
      int32_t p = v >= 0 ? g->values[v].producer : -1;
      if (p >= 0 && op_is(g->nodes[p].proto, "DequantizeLinear")) {
        full.quantized_nodes++;
        break;
      }
    }
  }
  memcpy(stats, &full, full.size);
fail:
  return st;
}

/* ---- describe --------------------------------------------------------------------------------------------- */

/* Growing string; after a failed allocation every append is a no-op and `failed` is set. */
typedef struct sbuf {
  char *buf;  /* NUL-terminated when non-NULL */
  size_t len; /* bytes before the NUL */
  size_t cap; /* allocated bytes */
  int failed; /* an allocation failed */
} sbuf;

static int sb_reserve(sbuf *s, size_t extra) {
  if (s->failed) return 0;
  size_t need;
  if (!oq_size_add(s->len, extra, &need) || !oq_size_add(need, 1, &need)) {
    s->failed = 1;
    return 0;
  }
  if (need <= s->cap) return 1;
  size_t cap = s->cap ? s->cap : 256;
  while (cap < need) {
    if (cap > SIZE_MAX / 2) {
      s->failed = 1;
      return 0;
    }
    cap *= 2;
  }
  char *p = oq_mem_realloc(s->buf, cap);
  if (!p) {
    s->failed = 1;
    return 0;
  }
  s->buf = p;
  s->cap = cap;
  return 1;
}

static void sb_put(sbuf *s, const char *p, size_t n) {
  if (!sb_reserve(s, n)) return;
  memcpy(s->buf + s->len, p, n);
  s->len += n;
  s->buf[s->len] = '\0';
}

static void sb_cat(sbuf *s, const char *str) { sb_put(s, str, strlen(str)); }

static void sb_printf(sbuf *s, const char *fmt, ...) OQ_PRINTF(2, 3);
static void sb_printf(sbuf *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) {
    s->failed = 1;
    return;
  }
  if (!sb_reserve(s, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(s->buf + s->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  s->len += (size_t)n;
}

/* Length of the valid UTF-8 sequence at p (at most n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t n) {
  unsigned c = p[0];
  size_t len;
  uint32_t cp;
  if (c < 0x80) return 1;
  if (c >= 0xc2 && c <= 0xdf) {
    len = 2;
    cp = c & 0x1f;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3;
    cp = c & 0x0f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (len > n) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((p[i] & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3f);
  }
  if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)))
    return 0;
  return len;
}

/* JSON string literal; invalid UTF-8 bytes become U+FFFD so the output always parses. */
static void sb_json_str(sbuf *s, const char *str) {
  const unsigned char *p = (const unsigned char *)(str ? str : "");
  size_t n = strlen((const char *)p);
  sb_cat(s, "\"");
  size_t i = 0;
  while (i < n) {
    unsigned c = p[i];
    if (c == '"' || c == '\\') {
      char e[2] = {'\\', (char)c};
      sb_put(s, e, 2);
      i++;
    } else if (c < 0x20) {
      const char *esc = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;
      if (esc)
        sb_put(s, esc, 2);
      else
        sb_printf(s, "\\u%04x", c);
      i++;
    } else {
      size_t l = utf8_len(p + i, n - i);
      if (l == 0) {
        sb_cat(s, "\\ufffd");
        i++;
      } else {
        sb_put(s, (const char *)p + i, l);
        i += l;
      }
    }
  }
  sb_cat(s, "\"");
}

/* Text output: non-printable bytes become '?' so one entry stays one line. */
static void sb_text(sbuf *s, const char *str) {
  for (const char *p = str ? str : ""; *p; p++) {
    char ch = ((unsigned char)*p < 0x20 || *p == 0x7f) ? '?' : *p;
    sb_put(s, &ch, 1);
  }
}

static uint64_t sat_add(uint64_t a, uint64_t b) { return a > UINT64_MAX - b ? UINT64_MAX : a + b; }
static uint64_t sat_mul(uint64_t a, uint64_t b) { return (b != 0 && a > UINT64_MAX / b) ? UINT64_MAX : a * b; }

typedef struct op_count {
  const char *op_type; /* borrowed */
  const char *domain;  /* borrowed, canonical ("" = ai.onnx) */
  int32_t count;       /* nodes */
} op_count;

static int cmp_op_name(const void *a, const void *b) {
  const op_count *x = a, *y = b;
  int c = strcmp(x->op_type, y->op_type);
  return c ? c : strcmp(x->domain, y->domain);
}

static int cmp_op_count(const void *a, const void *b) {
  const op_count *x = a, *y = b;
  if (x->count != y->count) return x->count > y->count ? -1 : 1;
  return cmp_op_name(a, b);
}

typedef struct dtype_stat {
  uint64_t count; /* initializers */
  uint64_t bytes; /* element bytes (saturating) */
} dtype_stat;

static void op_key(sbuf *s, const op_count *o, int json) {
  char buf[512];
  if (o->domain[0])
    snprintf(buf, sizeof buf, "%s:%s", o->domain, o->op_type);
  else
    snprintf(buf, sizeof buf, "%s", o->op_type);
  if (json)
    sb_json_str(s, buf);
  else
    sb_text(s, buf);
}

/* dtype name, or the kind of a non-tensor value (sequence, map, optional) whose element type we do not index. */
static const char *value_type_name(const oq_value *v) {
  const Onnx__TypeProto *tp = v->vi ? v->vi->type : NULL;
  if (v->dtype == OQ_DTYPE_UNDEFINED && tp) {
    switch (tp->value_case) {
    case ONNX__TYPE_PROTO__VALUE_SEQUENCE_TYPE: return "sequence";
    case ONNX__TYPE_PROTO__VALUE_MAP_TYPE: return "map";
    case ONNX__TYPE_PROTO__VALUE_OPTIONAL_TYPE: return "optional";
    case ONNX__TYPE_PROTO__VALUE_SPARSE_TENSOR_TYPE: return "sparse_tensor";
    default: break;
    }
  }
  return oq_dtype_name(v->dtype);
}

static void shape_text(sbuf *s, const oq_value *v) {
  if (v->ndim < 0) {
    sb_cat(s, "?");
    return;
  }
  sb_cat(s, "[");
  for (int32_t i = 0; i < v->ndim; i++) {
    if (i) sb_cat(s, ", ");
    if (v->dims[i].value >= 0)
      sb_printf(s, "%" PRId64, v->dims[i].value);
    else if (v->dims[i].param)
      sb_text(s, v->dims[i].param);
    else
      sb_cat(s, "?");
  }
  sb_cat(s, "]");
}

static void shape_json(sbuf *s, const oq_value *v) {
  if (v->ndim < 0) {
    sb_cat(s, "null");
    return;
  }
  sb_cat(s, "[");
  for (int32_t i = 0; i < v->ndim; i++) {
    if (i) sb_cat(s, ",");
    if (v->dims[i].value >= 0)
      sb_printf(s, "%" PRId64, v->dims[i].value);
    else if (v->dims[i].param)
      sb_json_str(s, v->dims[i].param);
    else
      sb_cat(s, "null");
  }
  sb_cat(s, "]");
}

static int text_width(const char *s) {
  size_t n = s ? strlen(s) : 0;
  return n > 40 ? 40 : (int)n;
}

static void values_text(sbuf *s, const char *title, const oq_graph *g, const int32_t *ids, int32_t n) {
  int w = 10; /* short names: the dtype column lines up with the headings' values */
  for (int32_t i = 0; i < n; i++)
    if (text_width(g->values[ids[i]].name) > w) w = text_width(g->values[ids[i]].name);
  sb_printf(s, "%-14s%d\n", title, (int)n);
  for (int32_t i = 0; i < n; i++) {
    const oq_value *v = &g->values[ids[i]];
    sb_cat(s, "  ");
    sb_text(s, v->name);
    int pad = w - text_width(v->name);
    sb_printf(s, "%*s  %-9s ", pad > 0 ? pad : 0, "", value_type_name(v));
    shape_text(s, v);
    sb_cat(s, "\n");
  }
}

static void values_json(sbuf *s, const oq_graph *g, const int32_t *ids, int32_t n) {
  sb_cat(s, "[");
  for (int32_t i = 0; i < n; i++) {
    const oq_value *v = &g->values[ids[i]];
    sb_cat(s, i ? ",{\"name\":" : "{\"name\":");
    sb_json_str(s, v->name);
    sb_cat(s, ",\"dtype\":");
    sb_json_str(s, value_type_name(v));
    sb_cat(s, ",\"shape\":");
    shape_json(s, v);
    sb_cat(s, "}");
  }
  sb_cat(s, "]");
}

oq_status oq_model_summary(const oq_model *model, uint32_t flags, oq_op_known_fn known, void *ud, char **out,
                           oq_error *err) {
  oq_status st = OQ_OK;
  sbuf s = {0};
  op_count *ops = NULL;
  int32_t n_ops = 0;
  if (out) *out = NULL;
  if (!model || !model->proto || !out || !known) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "describe: no model or output");
  if (flags & ~OQ_DESCRIBE_JSON) {
    OQ_FAIL(err, OQ_ERR_INVALID_ARG, "describe: unknown flags 0x%x", (unsigned)(flags & ~OQ_DESCRIBE_JSON));
  }
  const int json = (flags & OQ_DESCRIBE_JSON) != 0;
  const Onnx__ModelProto *mp = model->proto;
  const oq_graph *g = &model->graph;
  const Onnx__GraphProto *gp = mp->graph;

  /* node counts per (op_type, domain): sort by name, merge runs, sort by count */
  ops = oq_calloc((size_t)g->n_nodes, sizeof *ops, err);
  if (!ops) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory describing the model");
  for (int32_t i = 0; i < g->n_nodes; i++) {
    const Onnx__NodeProto *np = g->nodes[i].proto;
    ops[i].op_type = np->op_type ? np->op_type : "";
    ops[i].domain = canon_domain(np->domain);
    ops[i].count = 1;
  }
  if (g->n_nodes > 0) {
    qsort(ops, (size_t)g->n_nodes, sizeof *ops, cmp_op_name);
    for (int32_t i = 0; i < g->n_nodes; i++) {
      if (n_ops > 0 && cmp_op_name(&ops[n_ops - 1], &ops[i]) == 0)
        ops[n_ops - 1].count++;
      else
        ops[n_ops++] = ops[i];
    }
    qsort(ops, (size_t)n_ops, sizeof *ops, cmp_op_count);
  }

  /* initializers per dtype; the last bucket gathers unknown codes */
  dtype_stat dts[OQ_DTYPE_COUNT_ + 1];
  memset(dts, 0, sizeof dts);
  uint64_t params = 0, n_init = 0;
  for (size_t i = 0; gp && i < gp->n_initializer; i++) {
    const Onnx__TensorProto *tp = gp->initializer[i];
    if (!tp) continue;
    int32_t dt = tp->has_data_type ? tp->data_type : 0;
    int b = (dt > 0 && dt < OQ_DTYPE_COUNT_) ? dt : OQ_DTYPE_COUNT_;
    uint64_t numel = 1;
    for (size_t d = 0; d < tp->n_dims; d++) numel = sat_mul(numel, tp->dims[d] > 0 ? (uint64_t)tp->dims[d] : 0);
    uint64_t bytes;
    if (dt == OQ_DTYPE_STRING) {
      bytes = 0;
      for (size_t k = 0; k < tp->n_string_data; k++) bytes = sat_add(bytes, tp->string_data[k].len);
    } else if (oq_dtype_bits(dt) > 0 && oq_dtype_bits(dt) < 8) {
      uint64_t per = 8 / (uint64_t)oq_dtype_bits(dt); /* packed elements per byte */
      bytes = numel / per + (numel % per != 0);
    } else {
      bytes = sat_mul(numel, oq_dtype_size(dt));
    }
    dts[b].count++;
    dts[b].bytes = sat_add(dts[b].bytes, bytes);
    params = sat_add(params, numel);
    n_init++;
  }

  char fp[17];
  snprintf(fp, sizeof fp, "%016" PRIx64, oq_model_fingerprint(model));
  const char *pname = mp->producer_name ? mp->producer_name : "";
  const char *pver = mp->producer_version ? mp->producer_version : "";

  if (json) {
    sb_printf(&s, "{\"ir_version\":%" PRId64 ",\"producer\":{\"name\":", mp->has_ir_version ? mp->ir_version : 0);
    sb_json_str(&s, pname);
    sb_cat(&s, ",\"version\":");
    sb_json_str(&s, pver);
    sb_cat(&s, "},\"opsets\":[");
    for (int32_t i = 0; i < g->n_opsets; i++) {
      sb_cat(&s, i ? ",{\"domain\":" : "{\"domain\":");
      sb_json_str(&s, g->opsets[i].domain[0] ? g->opsets[i].domain : "ai.onnx");
      sb_printf(&s, ",\"version\":%" PRId64 "}", g->opsets[i].version);
    }
    sb_cat(&s, "],\"inputs\":");
    values_json(&s, g, g->inputs, g->n_inputs);
    sb_cat(&s, ",\"outputs\":");
    values_json(&s, g, g->outputs, g->n_outputs);
    sb_printf(&s, ",\"nodes\":%d,\"ops\":{", (int)g->n_nodes);
    for (int32_t i = 0; i < n_ops; i++) {
      if (i) sb_cat(&s, ",");
      op_key(&s, &ops[i], 1);
      sb_printf(&s, ":%d", (int)ops[i].count);
    }
    sb_cat(&s, "},\"initializers\":{");
    int first = 1;
    for (int b = 0; b <= OQ_DTYPE_COUNT_; b++) {
      if (!dts[b].count) continue;
      if (!first) sb_cat(&s, ",");
      first = 0;
      sb_json_str(&s, b < OQ_DTYPE_COUNT_ ? oq_dtype_name(b) : "undefined");
      sb_printf(&s, ":{\"count\":%" PRIu64 ",\"bytes\":%" PRIu64 "}", dts[b].count, dts[b].bytes);
    }
    sb_printf(&s, "},\"parameters\":%" PRIu64 ",\"fingerprint\":\"%s\",\"unsupported_ops\":[", params, fp);
    first = 1;
    for (int32_t i = 0; i < n_ops; i++) {
      if (known(ud, ops[i].op_type, ops[i].domain, oq_graph_opset(g, ops[i].domain))) continue;
      if (!first) sb_cat(&s, ",");
      first = 0;
      op_key(&s, &ops[i], 1);
    }
    sb_cat(&s, "]}\n");
  } else {
    sb_printf(&s, "%-14s%" PRId64 "\n", "ir_version", mp->has_ir_version ? mp->ir_version : 0);
    sb_printf(&s, "%-14s", "producer");
    sb_text(&s, pname[0] ? pname : "(none)");
    if (pver[0]) {
      sb_cat(&s, " ");
      sb_text(&s, pver);
    }
    sb_printf(&s, "\n%-14s", "opsets");
    for (int32_t i = 0; i < g->n_opsets; i++) {
      if (i) sb_cat(&s, ", ");
      sb_text(&s, g->opsets[i].domain[0] ? g->opsets[i].domain : "ai.onnx");
      sb_printf(&s, " %" PRId64, g->opsets[i].version);
    }
    sb_printf(&s, "\n%-14s%s\n", "fingerprint", fp);
    values_text(&s, "inputs", g, g->inputs, g->n_inputs);
    values_text(&s, "outputs", g, g->outputs, g->n_outputs);
    sb_printf(&s, "%-14s%d\n", "nodes", (int)g->n_nodes);
    int w = 10;
    for (int32_t i = 0; i < n_ops; i++) {
      int l = text_width(ops[i].op_type) + (ops[i].domain[0] ? text_width(ops[i].domain) + 1 : 0);
      if (l > w) w = l;
    }
    for (int32_t i = 0; i < n_ops; i++) {
      int l = text_width(ops[i].op_type) + (ops[i].domain[0] ? text_width(ops[i].domain) + 1 : 0);
      sb_cat(&s, "  ");
      op_key(&s, &ops[i], 0);
      sb_printf(&s, "%*s  %d\n", w - l > 0 ? w - l : 0, "", (int)ops[i].count);
    }
    sb_printf(&s, "%-14s%" PRIu64 "\n", "initializers", n_init);
    for (int b = 0; b <= OQ_DTYPE_COUNT_; b++) {
      if (!dts[b].count) continue;
      sb_printf(&s, "  %-10s  %" PRIu64 " tensors, %" PRIu64 " bytes\n",
                b < OQ_DTYPE_COUNT_ ? oq_dtype_name(b) : "undefined", dts[b].count, dts[b].bytes);
    }
    sb_printf(&s, "%-14s%" PRIu64 "\n", "parameters", params);
    sb_printf(&s, "%-14s", "unsupported");
    int any = 0;
    for (int32_t i = 0; i < n_ops; i++) {
      if (known(ud, ops[i].op_type, ops[i].domain, oq_graph_opset(g, ops[i].domain))) continue;
      if (any) sb_cat(&s, ", ");
      any = 1;
      op_key(&s, &ops[i], 0);
    }
    sb_cat(&s, any ? "\n" : "none\n");
  }
  if (s.failed || !s.buf) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory describing the model");
  *out = s.buf;
  s.buf = NULL;
fail:
  oq_free(s.buf);
  oq_free(ops);
  return st;
}
