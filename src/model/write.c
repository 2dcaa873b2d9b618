/* Model writing: serialize a ModelProto, move large initializers to an external data file, and write atomically
 * (temporary file in the destination folder, fsync, rename).
 *
 * model->proto is logically const: where the output differs from the input (tensors inlined from or moved to
 * external data) we build shallow copies of the structs on the path from the ModelProto down to the changed
 * tensors, pack the copy, and free only the copies. Untouched models therefore serialize byte for byte as they
 * were read (protobuf-c keeps unknown fields and writes known ones in field-number order). */
#define _XOPEN_SOURCE 700 /* realpath, pread, mkstemp, fchmod, O_CLOEXEC */

#include "core/file.h"
#include "model/model.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_GRAPH_DEPTH   64
#define DEFAULT_THRESHOLD 1024
#define PROTO_LIMIT       ((size_t)INT32_MAX) /* protobuf refuses messages of 2 GiB and more */

/* PROTO_LIMIT unless a test lowered it (oq_model_test_set_pack_limit). */
static size_t pack_limit = PROTO_LIMIT;

size_t oq_model_test_set_pack_limit(size_t limit) {
  size_t old = pack_limit;
  pack_limit = limit ? limit : PROTO_LIMIT;
  return old;
}

/* ---- files ---------------------------------------------------------------------------------------------------- */

static char *join_path(const char *dir, const char *name, oq_error *err) {
  size_t dl = strlen(dir), nl = strlen(name);
  char *p = oq_mem_alloc(dl + nl + 2);
  if (!p) {
    oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "out of memory");
    return NULL;
  }
  memcpy(p, dir, dl);
  p[dl] = '/';
  memcpy(p + dl + 1, name, nl + 1);
  return p;
}

/* ---- packing -------------------------------------------------------------------------------------------------- */

oq_status oq_model_pack(const Onnx__ModelProto *proto, uint8_t **out, size_t *size, oq_error *err) {
  if (!proto || !out || !size) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_model_pack: NULL argument");
  *out = NULL;
  *size = 0;
  size_t n = onnx__model_proto__get_packed_size(proto);
  if (n > pack_limit)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED,
                  "model serializes to %zu bytes, above the 2 GiB protobuf limit; save the weights separately "
                  "with --external-data",
                  n);
  uint8_t *buf = oq_mem_alloc(n ? n : 1);
  if (!buf) OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "out of memory for a %zu-byte model", n);
  size_t w = onnx__model_proto__pack(proto, buf);
  if (w != n) {
    free(buf);
    OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "protobuf packing wrote %zu bytes, expected %zu", w, n);
  }
  *out = buf;
  *size = n;
  return OQ_OK;
}

/* ---- copy-on-write rewriting of the proto tree ------------------------------------------------------------- */

typedef struct write_ctx {
  const oq_model *model;
  void **owned; /* every allocation made for the copy, freed after packing */
  size_t n_owned, cap_owned;
  /* external data output (ext_name == NULL: keep everything inline) */
  const char *ext_name;  /* location written into the tensors; borrowed */
  uint64_t threshold;    /* bytes; initializers at least this large move out */
  oq_wfile ext;          /* the data file; opened on first use (ext.final_path == NULL before) */
  const char *ext_final; /* full destination path of the data file; borrowed */
  size_t moved;          /* tensors written to the data file */
} write_ctx;

static void *track(write_ctx *c, void *p, oq_error *err) {
  if (!p) {
    oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "out of memory");
    return NULL;
  }
  if (c->n_owned == c->cap_owned) {
    size_t ncap = c->cap_owned ? c->cap_owned * 2 : 64;
    void **n = realloc(c->owned, ncap * sizeof *n);
    if (!n) {
      free(p);
      oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "out of memory");
      return NULL;
    }
    c->owned = n;
    c->cap_owned = ncap;
  }
  c->owned[c->n_owned++] = p;
  return p;
}

static void *dup_mem(write_ctx *c, const void *src, size_t size, oq_error *err) {
  void *p = oq_mem_alloc(size ? size : 1);
  if (p && size) memcpy(p, src, size);
  return track(c, p, err);
}

static void release_copies(write_ctx *c) {
  for (size_t i = 0; i < c->n_owned; i++) free(c->owned[i]);
  free(c->owned);
  c->owned = NULL;
  c->n_owned = c->cap_owned = 0;
}

/* Sets element i of a copy of the pointer array orig (n entries of psize bytes), copying the array on the first
 * change. memcpy keeps the stored objects typed as the original pointers. */
static bool cow_set(write_ctx *c, void **arr, const void *orig, size_t n, size_t i, const void *ptr, size_t psize,
                    oq_error *err) {
  if (!*arr && !(*arr = dup_mem(c, orig, n * psize, err))) return false;
  memcpy((char *)*arr + i * psize, ptr, psize);
  return true;
}

static const char *tensor_label(const Onnx__TensorProto *tp) {
  return tp->name && tp->name[0] ? tp->name : "(unnamed)";
}

static bool is_external(const Onnx__TensorProto *tp) {
  return tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
}

static bool host_little_endian(void) {
  const uint16_t one = 1;
  uint8_t b;
  memcpy(&b, &one, 1);
  return b == 1;
}

/* Appends bytes to the data file at an aligned offset (page-aligned for large tensors so readers can mmap). */
static oq_status ext_append(write_ctx *c, const void *data, size_t len, uint64_t *offset, oq_error *err) {
  oq_status st = OQ_OK;
  static const uint8_t zeros[4096];
  if (!c->ext.final_path) {
    st = oq_wfile_open(&c->ext, c->ext_final, err);
    if (st != OQ_OK) return st;
  }
  uint64_t align = len >= 4096 ? 4096 : 64;
  uint64_t pad = (align - c->ext.size % align) % align;
  if (pad) OQ_CHECK(oq_wfile_write(&c->ext, zeros, (size_t)pad, err));
  *offset = c->ext.size;
  OQ_CHECK(oq_wfile_write(&c->ext, data, len, err));
fail:
  return st;
}

/* Turns tp into a copy that points at [offset, offset+len) of the data file. */
static oq_status make_external_copy(write_ctx *c, const Onnx__TensorProto *tp, uint64_t offset, size_t len,
                                    Onnx__TensorProto **out, oq_error *err) {
  Onnx__TensorProto *t = dup_mem(c, tp, sizeof *tp, err);
  Onnx__StringStringEntryProto *e = track(c, calloc(3, sizeof *e), err);
  Onnx__StringStringEntryProto **ep = track(c, calloc(3, sizeof *ep), err);
  char *num = track(c, oq_mem_alloc(48), err);
  if (!t || !e || !ep || !num) return OQ_ERR_NOMEM;
  snprintf(num, 24, "%llu", (unsigned long long)offset);
  snprintf(num + 24, 24, "%zu", len);
  static const char *const keys[3] = {"location", "offset", "length"};
  const char *vals[3] = {c->ext_name, num, num + 24};
  for (int i = 0; i < 3; i++) {
    onnx__string_string_entry_proto__init(&e[i]);
    e[i].key = (char *)keys[i]; /* only read by the packer */
    e[i].value = (char *)vals[i];
    ep[i] = &e[i];
  }
  t->has_raw_data = 0;
  t->raw_data.len = 0;
  t->raw_data.data = NULL;
  t->n_float_data = t->n_int32_data = t->n_int64_data = t->n_double_data = t->n_uint64_data = 0;
  t->float_data = NULL;
  t->int32_data = NULL;
  t->int64_data = NULL;
  t->double_data = NULL;
  t->uint64_data = NULL;
  t->has_data_location = 1;
  t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL;
  t->n_external_data = 3;
  t->external_data = ep;
  *out = t;
  return OQ_OK;
}

/* *out = tp when nothing changes, else a copy: external input data inlined as raw_data, or (may_move and an
 * external data file requested and large enough) the bytes moved to the data file. */
static oq_status rewrite_tensor(write_ctx *c, const Onnx__TensorProto *tp, bool may_move, Onnx__TensorProto **out,
                                oq_error *err) {
  oq_status st = OQ_OK;
  oq_tensor dec = {0};
  *out = (Onnx__TensorProto *)tp;
  if (!tp) return OQ_OK;
  const oq_external_blob *blob = NULL;
  if (is_external(tp)) {
    blob = oq_model_external_blob(c->model, tp);
    if (!blob) OQ_FAIL(err, OQ_ERR_MODEL, "tensor '%s': external data was not loaded", tensor_label(tp));
  }
  if (may_move && c->ext_name) {
    /* the tensor's bytes exactly as they would appear in raw_data */
    const void *bytes = NULL;
    size_t len = 0;
    if (blob) {
      bytes = blob->data;
      len = blob->size;
    } else if (tp->has_raw_data) {
      bytes = tp->raw_data.data;
      len = tp->raw_data.len;
    } else if (host_little_endian() && tp->n_string_data == 0 &&
               (tp->n_float_data || tp->n_int32_data || tp->n_int64_data || tp->n_double_data || tp->n_uint64_data)) {
      oq_error scratch;
      if (oq_model_tensor_decode(c->model, tp, &dec, &scratch) == OQ_OK) { /* else: keep it inline as is */
        bytes = dec.data;
        len = dec.nbytes;
      }
    }
    if (bytes && len >= c->threshold && len > 0) {
      uint64_t off = 0;
      OQ_CHECK(ext_append(c, bytes, len, &off, err));
      OQ_CHECK(make_external_copy(c, tp, off, len, out, err));
      c->moved++;
      oq_tensor_release(&dec);
      return OQ_OK;
    }
  }
  if (blob) {
    Onnx__TensorProto *t = dup_mem(c, tp, sizeof *tp, err);
    if (!t) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
    t->has_raw_data = 1;
    t->raw_data.data = blob->data;
    t->raw_data.len = blob->size;
    t->has_data_location = 0;
    t->data_location = ONNX__TENSOR_PROTO__DATA_LOCATION__DEFAULT;
    t->n_external_data = 0;
    t->external_data = NULL;
    *out = t;
  }
fail:
  oq_tensor_release(&dec);
  return st;
}

static oq_status rewrite_sparse(write_ctx *c, const Onnx__SparseTensorProto *sp, Onnx__SparseTensorProto **out,
                                oq_error *err) {
  oq_status st = OQ_OK;
  *out = (Onnx__SparseTensorProto *)sp;
  if (!sp) return OQ_OK;
  Onnx__TensorProto *v, *i;
  OQ_CHECK(rewrite_tensor(c, sp->values, false, &v, err));
  OQ_CHECK(rewrite_tensor(c, sp->indices, false, &i, err));
  if (v != sp->values || i != sp->indices) {
    Onnx__SparseTensorProto *s = dup_mem(c, sp, sizeof *sp, err);
    if (!s) return OQ_ERR_NOMEM;
    s->values = v;
    s->indices = i;
    *out = s;
  }
fail:
  return st;
}

static oq_status rewrite_graph(write_ctx *c, const Onnx__GraphProto *g, int depth, bool top, Onnx__GraphProto **out,
                               oq_error *err);

static oq_status rewrite_attr(write_ctx *c, const Onnx__AttributeProto *a, int depth, Onnx__AttributeProto **out,
                              oq_error *err) {
  oq_status st = OQ_OK;
  *out = (Onnx__AttributeProto *)a;
  if (!a) return OQ_OK;
  Onnx__AttributeProto cp = *a;
  bool changed = false;
  OQ_CHECK(rewrite_tensor(c, a->t, false, &cp.t, err));
  OQ_CHECK(rewrite_sparse(c, a->sparse_tensor, &cp.sparse_tensor, err));
  OQ_CHECK(rewrite_graph(c, a->g, depth + 1, false, &cp.g, err));
  changed = cp.t != a->t || cp.sparse_tensor != a->sparse_tensor || cp.g != a->g;
  void *arr = NULL;
  for (size_t i = 0; i < a->n_tensors; i++) {
    Onnx__TensorProto *x;
    OQ_CHECK(rewrite_tensor(c, a->tensors[i], false, &x, err));
    if (x == a->tensors[i]) continue;
    if (!cow_set(c, &arr, a->tensors, a->n_tensors, i, &x, sizeof x, err)) return OQ_ERR_NOMEM;
  }
  if (arr) cp.tensors = arr, changed = true;
  arr = NULL;
  for (size_t i = 0; i < a->n_sparse_tensors; i++) {
    Onnx__SparseTensorProto *x;
    OQ_CHECK(rewrite_sparse(c, a->sparse_tensors[i], &x, err));
    if (x == a->sparse_tensors[i]) continue;
    if (!cow_set(c, &arr, a->sparse_tensors, a->n_sparse_tensors, i, &x, sizeof x, err)) return OQ_ERR_NOMEM;
  }
  if (arr) cp.sparse_tensors = arr, changed = true;
  arr = NULL;
  for (size_t i = 0; i < a->n_graphs; i++) {
    Onnx__GraphProto *x;
    OQ_CHECK(rewrite_graph(c, a->graphs[i], depth + 1, false, &x, err));
    if (x == a->graphs[i]) continue;
    if (!cow_set(c, &arr, a->graphs, a->n_graphs, i, &x, sizeof x, err)) return OQ_ERR_NOMEM;
  }
  if (arr) cp.graphs = arr, changed = true;
  if (changed && !(*out = dup_mem(c, &cp, sizeof cp, err))) return OQ_ERR_NOMEM;
fail:
  return st;
}

static oq_status rewrite_node(write_ctx *c, const Onnx__NodeProto *n, int depth, Onnx__NodeProto **out, oq_error *err) {
  oq_status st = OQ_OK;
  *out = (Onnx__NodeProto *)n;
  if (!n) return OQ_OK;
  void *arr = NULL;
  for (size_t i = 0; i < n->n_attribute; i++) {
    Onnx__AttributeProto *x;
    OQ_CHECK(rewrite_attr(c, n->attribute[i], depth, &x, err));
    if (x == n->attribute[i]) continue;
    if (!cow_set(c, &arr, n->attribute, n->n_attribute, i, &x, sizeof x, err)) return OQ_ERR_NOMEM;
  }
  if (arr) {
    Onnx__NodeProto *cp = dup_mem(c, n, sizeof *n, err);
    if (!cp) return OQ_ERR_NOMEM;
    cp->attribute = arr;
    *out = cp;
  }
fail:
  return st;
}

static oq_status rewrite_graph(write_ctx *c, const Onnx__GraphProto *g, int depth, bool top, Onnx__GraphProto **out,
                               oq_error *err) {
  oq_status st = OQ_OK;
  *out = (Onnx__GraphProto *)g;
  if (!g) return OQ_OK;
  if (depth > MAX_GRAPH_DEPTH)
    OQ_RETURN_ERR(err, OQ_ERR_MODEL, "subgraphs nested deeper than %d levels", MAX_GRAPH_DEPTH);
  Onnx__GraphProto cp = *g;
  bool changed = false;
  void *arr = NULL;
  for (size_t i = 0; i < g->n_initializer; i++) {
    Onnx__TensorProto *x;
    OQ_CHECK(rewrite_tensor(c, g->initializer[i], top, &x, err));
    if (x == g->initializer[i]) continue;
    if (!cow_set(c, &arr, g->initializer, g->n_initializer, i, &x, sizeof x, err)) return OQ_ERR_NOMEM;
  }
  if (arr) cp.initializer = arr, changed = true;
  arr = NULL;
  for (size_t i = 0; i < g->n_sparse_initializer; i++) {
    Onnx__SparseTensorProto *x;
    OQ_CHECK(rewrite_sparse(c, g->sparse_initializer[i], &x, err));
    if (x == g->sparse_initializer[i]) continue;
    if (!cow_set(c, &arr, g->sparse_initializer, g->n_sparse_initializer, i, &x, sizeof x, err)) return OQ_ERR_NOMEM;
  }
  if (arr) cp.sparse_initializer = arr, changed = true;
  arr = NULL;
  for (size_t i = 0; i < g->n_node; i++) {
    Onnx__NodeProto *x;
    OQ_CHECK(rewrite_node(c, g->node[i], depth, &x, err));
    if (x == g->node[i]) continue;
    if (!cow_set(c, &arr, g->node, g->n_node, i, &x, sizeof x, err)) return OQ_ERR_NOMEM;
  }
  if (arr) cp.node = arr, changed = true;
  if (changed && !(*out = dup_mem(c, &cp, sizeof cp, err))) return OQ_ERR_NOMEM;
fail:
  return st;
}

/* ---- save ----------------------------------------------------------------------------------------------------- */

static bool plain_file_name(const char *s) {
  return s[0] && !strchr(s, '/') && strcmp(s, ".") != 0 && strcmp(s, "..") != 0;
}

/* True when `path` (which may not exist yet) names the same file as the existing file `other` (by realpath of
 * the folder + name, and by device/inode when both exist). */
static bool same_file(const char *dir, const char *name, const char *path, const char *other, uint64_t odev,
                      uint64_t oino, bool have_ids) {
  struct stat a, b;
  if (stat(path, &a) == 0) {
    if (have_ids && (uint64_t)a.st_dev == odev && (uint64_t)a.st_ino == oino) return true;
    if (other && stat(other, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) return true;
  }
  if (!other) return false;
  bool same = false;
  char *rd = realpath(dir, NULL), *ro = realpath(other, NULL);
  if (rd && ro) {
    size_t dl = strlen(rd);
    const char *rest = ro + dl;
    if (strncmp(ro, rd, dl) == 0 && (*rest == '/' || (dl == 1 && rd[0] == '/'))) {
      if (*rest == '/') rest++;
      same = strcmp(rest, name) == 0;
    }
  }
  /* the destination itself may be a symlink to the input */
  char *rp = realpath(path, NULL);
  if (rp && ro && strcmp(rp, ro) == 0) same = true;
  free(rp);
  free(rd);
  free(ro);
  return same;
}

/* Refuses destinations that are the model's own file or one of its external data files (a built model's are
 * those of its base). */
static oq_status check_not_input(const oq_model *model, const char *dir, const char *name, const char *path,
                                 const char *what, oq_error *err) {
  if (model->path && same_file(dir, name, path, model->path, 0, 0, false))
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "%s: refusing to overwrite the input model %s", path, model->path);
  for (const oq_model *m = model; m; m = m->base) {
    for (size_t i = 0; i < m->n_blobs; i++) {
      const oq_external_blob *b = &m->blobs[i];
      if (same_file(dir, name, path, b->file, b->file_dev, b->file_ino, true))
        OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "%s: refusing to overwrite the input model's external data file %s (%s)",
                      path, b->file ? b->file : "?", what);
    }
  }
  return OQ_OK;
}

oq_status oq_model_save(const oq_model *model, const char *path, const oq_save_options *opts, oq_error *err) {
  oq_status st = OQ_OK;
  char *dir = NULL, *ext_path = NULL, *auto_name = NULL;
  uint8_t *buf = NULL;
  oq_wfile mf = {.fd = -1};
  write_ctx c = {0};
  c.ext.fd = -1;
  oq_save_options given;
  if (!model || !model->proto) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_model_save: no model");
  if (!path || !path[0]) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_model_save: empty output path");
  if (oq_save_options_take(opts, &given, err) != OQ_OK) return OQ_ERR_INVALID_ARG;
  opts = &given;
  const char *slash = strrchr(path, '/');
  const char *base = slash ? slash + 1 : path;
  if (!plain_file_name(base)) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "%s: output path does not name a file", path);
  if (slash) {
    size_t dl = slash == path ? 1 : (size_t)(slash - path);
    dir = oq_mem_alloc(dl + 1);
    if (!dir) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
    memcpy(dir, path, dl);
    dir[dl] = '\0';
  } else if (!(dir = oq_strdup(".", err))) {
    st = OQ_ERR_NOMEM;
    goto fail;
  }
  OQ_CHECK(check_not_input(model, dir, base, path, "model", err));

  c.model = model;
  c.threshold = opts && opts->size_threshold ? opts->size_threshold : DEFAULT_THRESHOLD;
  const char *ext_name = opts ? opts->external_data : NULL;
  Onnx__ModelProto mcopy;
  for (int attempt = 0; attempt < 2; attempt++) {
    if (ext_name) {
      if (!plain_file_name(ext_name))
        OQ_FAIL(err, OQ_ERR_INVALID_ARG, "%s: external data name '%s' must be a plain file name (no '/' or '..')", path,
                ext_name);
      if (strcmp(ext_name, base) == 0)
        OQ_FAIL(err, OQ_ERR_INVALID_ARG, "%s: external data file must differ from the model file", path);
      if (!(ext_path = join_path(dir, ext_name, err))) {
        st = OQ_ERR_NOMEM;
        goto fail;
      }
      OQ_CHECK(check_not_input(model, dir, ext_name, ext_path, "external data", err));
      c.ext_name = ext_name;
      c.ext_final = ext_path;
    }
    Onnx__GraphProto *g;
    st = rewrite_graph(&c, model->proto->graph, 0, true, &g, err);
    if (st != OQ_OK) {
      oq_error_prefix(err, "%s", path);
      goto fail;
    }
    mcopy = *model->proto;
    mcopy.graph = g;
    size_t need = onnx__model_proto__get_packed_size(&mcopy);
    if (need <= pack_limit || ext_name || attempt == 1) break;
    /* Inline would exceed protobuf's limit: move the large initializers out under a default name. */
    release_copies(&c);
    size_t bl = strlen(base);
    auto_name = oq_mem_alloc(bl + sizeof ".data");
    if (!auto_name) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
    memcpy(auto_name, base, bl);
    memcpy(auto_name + bl, ".data", sizeof ".data");
    ext_name = auto_name;
  }
  size_t size = 0;
  st = oq_model_pack(&mcopy, &buf, &size, err);
  if (st != OQ_OK) {
    oq_error_prefix(err, "%s", path);
    goto fail;
  }
  OQ_CHECK(oq_wfile_open(&mf, path, err));
  OQ_CHECK(oq_wfile_write(&mf, buf, size, err));
  OQ_CHECK(oq_wfile_finish(&mf, err));
  if (c.ext.final_path) {
    OQ_CHECK(oq_wfile_finish(&c.ext, err));
    OQ_CHECK(oq_wfile_commit(&c.ext, err));
  }
  st = oq_wfile_commit(&mf, err);
  if (st != OQ_OK) {
    if (c.ext.final_path) unlink(c.ext.final_path); /* no model references it */
    goto fail;
  }
fail:
  if (st != OQ_OK) { /* messages name the model file or the external data file first */
    oq_error_subject_if_prefix(err, path);
    oq_error_subject_if_prefix(err, ext_path);
  }
  if (c.ext.final_path) oq_wfile_discard(&c.ext);
  if (mf.final_path) oq_wfile_discard(&mf);
  release_copies(&c);
  free(buf);
  free(dir);
  free(ext_path);
  free(auto_name);
  return st;
}
