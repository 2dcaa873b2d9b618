/* Proto editing: an allocation list, the set of names in use, and constructors for the few proto messages a
 * rewrite adds (initializers with raw_data, nodes with INT attributes). */
#include "model/edit.h"

#include "core/strmap.h"

#include <stdlib.h>
#include <string.h>

/* One owned object: plain memory (release NULL, freed with free) or an adopted object with its release. */
typedef struct edit_obj {
  void *ptr;
  void (*release)(void *);
} edit_obj;

struct oq_edit {
  edit_obj *objs;  /* owned; every allocation and adopted object, in order */
  size_t n_objs;   /* entries in objs */
  size_t cap;      /* allocated entries */
  oq_strmap names; /* every reserved or claimed name (keys borrowed from the model or from objs) */
};

static oq_status track(oq_edit *ed, void *ptr, void (*release)(void *), oq_error *err) {
  if (ed->n_objs == ed->cap) {
    size_t ncap = ed->cap ? ed->cap * 2 : 256;
    edit_obj *no = oq_realloc_array(ed->objs, ncap, sizeof *no, err);
    if (!no) return OQ_ERR_NOMEM;
    ed->objs = no;
    ed->cap = ncap;
  }
  ed->objs[ed->n_objs].ptr = ptr;
  ed->objs[ed->n_objs].release = release;
  ed->n_objs++;
  return OQ_OK;
}

oq_status oq_edit_create(size_t expected_names, oq_edit **out, oq_error *err) {
  oq_status st = OQ_OK;
  *out = NULL;
  oq_edit *ed = oq_calloc(1, sizeof *ed, err);
  if (!ed) return OQ_ERR_NOMEM;
  OQ_CHECK(oq_strmap_init(&ed->names, expected_names ? expected_names : 16, err));
  *out = ed;
  return OQ_OK;
fail:
  oq_free(ed);
  return st;
}

void oq_edit_free(oq_edit *ed) {
  if (!ed) return;
  for (size_t i = ed->n_objs; i-- > 0;) {
    if (ed->objs[i].release)
      ed->objs[i].release(ed->objs[i].ptr);
    else
      oq_free(ed->objs[i].ptr);
  }
  oq_free(ed->objs);
  oq_strmap_free(&ed->names);
  oq_free(ed);
}

void *oq_edit_alloc(oq_edit *ed, size_t count, size_t size, oq_error *err) {
  void *p = oq_calloc(count ? count : 1, size ? size : 1, err);
  if (!p) return NULL;
  if (track(ed, p, NULL, err) != OQ_OK) {
    oq_free(p);
    return NULL;
  }
  return p;
}

void *oq_edit_dup(oq_edit *ed, const void *src, size_t size, oq_error *err) {
  void *p = oq_edit_alloc(ed, 1, size, err);
  if (p && size) memcpy(p, src, size);
  return p;
}

oq_status oq_edit_adopt(oq_edit *ed, void *obj, void (*release)(void *), oq_error *err) {
  if (!obj) return OQ_OK;
  oq_status st = track(ed, obj, release ? release : oq_free, err);
  if (st != OQ_OK) {
    if (release)
      release(obj);
    else
      oq_free(obj);
  }
  return st;
}

oq_status oq_edit_list_push(oq_edit *ed, oq_edit_list *list, void *item, oq_error *err) {
  if (list->n == list->cap) {
    size_t ncap = list->cap ? list->cap * 2 : 16;
    void **items = oq_edit_alloc(ed, ncap, sizeof *items, err);
    if (!items) return OQ_ERR_NOMEM;
    if (list->n) memcpy(items, list->items, list->n * sizeof *items);
    list->items = items; /* the old array stays in the context until oq_edit_free */
    list->cap = ncap;
  }
  list->items[list->n++] = item;
  return OQ_OK;
}

oq_status oq_edit_reserve(oq_edit *ed, const char *name, oq_error *err) {
  if (!name) return OQ_OK;
  return oq_strmap_put(&ed->names, name, 1, err);
}

oq_status oq_edit_name(oq_edit *ed, const char *base, const char *suffix, int claim, const char **out, oq_error *err) {
  *out = NULL;
  size_t bl = strlen(base), sl = strlen(suffix), n;
  if (!oq_size_add(bl, sl, &n) || !oq_size_add(n, 1, &n)) OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "name too long");
  char *s = oq_edit_alloc(ed, n, 1, err);
  if (!s) return OQ_ERR_NOMEM;
  memcpy(s, base, bl);
  memcpy(s + bl, suffix, sl + 1);
  if (claim) {
    if (oq_strmap_get(&ed->names, s) >= 0)
      OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "generated name '%s' is already used in the model", s);
    oq_status st = oq_strmap_put(&ed->names, s, 1, err);
    if (st != OQ_OK) return st;
  }
  *out = s;
  return OQ_OK;
}

static Onnx__TensorProto *new_tensor(oq_edit *ed, const char *name, int32_t dtype, int32_t ndim, const int64_t *dims,
                                     oq_error *err) {
  Onnx__TensorProto *t = oq_edit_alloc(ed, 1, sizeof *t, err);
  if (!t) return NULL;
  onnx__tensor_proto__init(t);
  t->name = (char *)name; /* only read by the packer */
  t->has_data_type = 1;
  t->data_type = dtype;
  if (ndim > 0) {
    t->dims = oq_edit_alloc(ed, (size_t)ndim, sizeof *t->dims, err);
    if (!t->dims) return NULL;
    memcpy(t->dims, dims, (size_t)ndim * sizeof *dims);
    t->n_dims = (size_t)ndim;
  }
  return t;
}

Onnx__TensorProto *oq_edit_tensor_raw(oq_edit *ed, const char *name, int32_t dtype, int32_t ndim, const int64_t *dims,
                                      const uint8_t *raw, size_t nbytes, oq_error *err) {
  Onnx__TensorProto *t = new_tensor(ed, name, dtype, ndim, dims, err);
  if (!t) return NULL;
  t->has_raw_data = 1;
  t->raw_data.data = (uint8_t *)raw;
  t->raw_data.len = nbytes;
  return t;
}

static int host_le(void) {
  const uint16_t one = 1;
  uint8_t b;
  memcpy(&b, &one, 1);
  return b == 1;
}

Onnx__TensorProto *oq_edit_tensor(oq_edit *ed, const char *name, int32_t dtype, int32_t ndim, const int64_t *dims,
                                  const void *data, size_t count, size_t esize, oq_error *err) {
  size_t nbytes;
  if (!oq_size_mul(count, esize, &nbytes)) {
    oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "initializer '%s' too large", name);
    return NULL;
  }
  uint8_t *raw = oq_edit_alloc(ed, nbytes, 1, err);
  if (!raw) return NULL;
  if (host_le() || esize == 1) {
    if (nbytes) memcpy(raw, data, nbytes);
  } else {
    const uint8_t *s = data;
    for (size_t i = 0; i < count; i++)
      for (size_t b = 0; b < esize; b++) raw[i * esize + b] = s[i * esize + esize - 1 - b];
  }
  return oq_edit_tensor_raw(ed, name, dtype, ndim, dims, raw, nbytes, err);
}

Onnx__NodeProto *oq_edit_node(oq_edit *ed, const char *op_type, const char *name, const char *const *inputs,
                              size_t n_inputs, const char *const *outputs, size_t n_outputs, oq_error *err) {
  Onnx__NodeProto *n = oq_edit_alloc(ed, 1, sizeof *n, err);
  char **ins = oq_edit_alloc(ed, n_inputs, sizeof *ins, err);
  char **outs = oq_edit_alloc(ed, n_outputs, sizeof *outs, err);
  if (!n || !ins || !outs) return NULL;
  onnx__node_proto__init(n);
  n->op_type = (char *)op_type; /* strings are only read by the packer */
  n->name = (char *)name;
  for (size_t i = 0; i < n_inputs; i++) ins[i] = (char *)inputs[i];
  for (size_t i = 0; i < n_outputs; i++) outs[i] = (char *)outputs[i];
  n->input = ins;
  n->n_input = n_inputs;
  n->output = outs;
  n->n_output = n_outputs;
  return n;
}

oq_status oq_edit_attr_int(oq_edit *ed, Onnx__NodeProto *node, const char *name, int64_t value, oq_error *err) {
  Onnx__AttributeProto *a = oq_edit_alloc(ed, 1, sizeof *a, err);
  Onnx__AttributeProto **aa = oq_edit_alloc(ed, node->n_attribute + 1, sizeof *aa, err);
  if (!a || !aa) return OQ_ERR_NOMEM;
  onnx__attribute_proto__init(a);
  a->name = (char *)name;
  a->has_type = 1;
  a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
  a->has_i = 1;
  a->i = value;
  if (node->n_attribute) memcpy(aa, node->attribute, node->n_attribute * sizeof *aa);
  aa[node->n_attribute] = a;
  node->attribute = aa;
  node->n_attribute++;
  return OQ_OK;
}
