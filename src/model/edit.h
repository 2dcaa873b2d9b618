/* Proto editing: building new nodes, initializers and lists next to an existing ModelProto without copying it.
 * An edit context owns every allocation it makes (and objects handed to it with oq_edit_adopt) until
 * oq_edit_free; protos built from it may point at parts of other protos that outlive it. It also keeps the set of
 * value names in use, so that every generated name is checked against the model's own names and the names
 * generated before (oq_edit_name is the one place generated names come from). Not thread-safe. */
#ifndef OQ_MODEL_EDIT_H
#define OQ_MODEL_EDIT_H

#include "core/error.h"
#include "onnx.pb-c.h"

typedef struct oq_edit oq_edit;

/* A growable array of pointers whose storage belongs to an edit context (zero-initialize it before use). */
typedef struct oq_edit_list {
  void **items; /* owned by the edit context; n entries valid */
  size_t n;     /* entries */
  size_t cap;   /* allocated entries */
} oq_edit_list;

/* expected_names: a sizing hint for the name set. */
oq_status oq_edit_create(size_t expected_names, oq_edit **out, oq_error *err);
/* Runs the release functions of adopted objects (in reverse order of adoption), then frees every allocation.
 * NULL is a no-op. */
void oq_edit_free(oq_edit *ed);

/* Zeroed memory for count * size bytes (at least one byte), alive until oq_edit_free. */
void *oq_edit_alloc(oq_edit *ed, size_t count, size_t size, oq_error *err);
/* A copy of size bytes of src (a shallow copy of a proto struct). */
void *oq_edit_dup(oq_edit *ed, const void *src, size_t size, oq_error *err);
/* Hands obj to the context: release(obj) runs in oq_edit_free. On failure release(obj) runs at once. */
oq_status oq_edit_adopt(oq_edit *ed, void *obj, void (*release)(void *), oq_error *err);
/* Appends item to list (the array grows inside the context). */
oq_status oq_edit_list_push(oq_edit *ed, oq_edit_list *list, void *item, oq_error *err);

/* Registers a name that already exists (a value of the model being edited): generated names may not take it.
 * The string is borrowed and must outlive the context. */
oq_status oq_edit_reserve(oq_edit *ed, const char *name, oq_error *err);
/* The one place generated names come from: *out = base followed by suffix, owned by the context. With claim, the
 * name becomes a new value name: it fails with OQ_ERR_UNSUPPORTED "generated name '<name>' is already used in the
 * model" when it was reserved or claimed before. Without claim it only spells the name (a reference to a name
 * claimed elsewhere, or a node name). */
oq_status oq_edit_name(oq_edit *ed, const char *base, const char *suffix, int claim, const char **out, oq_error *err);

/* A new initializer holding raw (nbytes, exactly as raw_data stores them) without copying: raw must outlive the
 * context (adopt it, or keep its owner alive). name is borrowed the same way. */
Onnx__TensorProto *oq_edit_tensor_raw(oq_edit *ed, const char *name, int32_t dtype, int32_t ndim, const int64_t *dims,
                                      const uint8_t *raw, size_t nbytes, oq_error *err);
/* A new initializer from count host-order elements of esize bytes (1, 2, 4 or 8), copied and stored
 * little-endian. */
Onnx__TensorProto *oq_edit_tensor(oq_edit *ed, const char *name, int32_t dtype, int32_t ndim, const int64_t *dims,
                                  const void *data, size_t count, size_t esize, oq_error *err);
/* A new node (default domain) with borrowed op type, name and value names. */
Onnx__NodeProto *oq_edit_node(oq_edit *ed, const char *op_type, const char *name, const char *const *inputs,
                              size_t n_inputs, const char *const *outputs, size_t n_outputs, oq_error *err);
/* Appends an INT attribute to a node made by oq_edit_node. */
oq_status oq_edit_attr_int(oq_edit *ed, Onnx__NodeProto *node, const char *name, int64_t value, oq_error *err);

#endif
