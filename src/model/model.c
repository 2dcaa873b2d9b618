/* Model loading: read and unpack the ModelProto, resolve external data, build the graph index, and decode tensor
 * protos into dense tensors. */
#define _XOPEN_SOURCE 700 /* realpath, pread, mkstemp, fchmod, O_CLOEXEC */

#include "core/dtype.h"
#include "model/model.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Subgraph nesting we follow when looking for external tensors; deeper nesting is refused as hostile. */
#define MAX_GRAPH_DEPTH OQ_GRAPH_MAX_DEPTH /* model/graph.h: the index follows subgraphs as deep */

static const char *tensor_label(const Onnx__TensorProto *tp) {
  return tp && tp->name && tp->name[0] ? tp->name : "(unnamed)";
}

/* Reads a whole regular file into a malloc'd buffer. Messages start with the path. */
static oq_status read_whole_file(const char *path, uint8_t **out, size_t *size, oq_error *err) {
  oq_status st = OQ_OK;
  uint8_t *buf = NULL;
  /* O_NONBLOCK: opening a FIFO must not wait for a writer; non-regular files are refused right after. */
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) OQ_FAIL(err, OQ_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
  struct stat sb;
  if (fstat(fd, &sb) != 0) OQ_FAIL(err, OQ_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
  if (!S_ISREG(sb.st_mode)) OQ_FAIL(err, OQ_ERR_IO, "%s: not a regular file", path);
  if (sb.st_size == 0) OQ_FAIL(err, OQ_ERR_PARSE, "%s: empty file", path);
  if ((uint64_t)sb.st_size > SIZE_MAX) OQ_FAIL(err, OQ_ERR_NOMEM, "%s: file too large", path);
  size_t n = (size_t)sb.st_size;
  buf = oq_mem_alloc(n);
  if (!buf) OQ_FAIL(err, OQ_ERR_NOMEM, "%s: out of memory reading %zu bytes", path, n);
  size_t got = 0;
  while (got < n) {
    ssize_t r = read(fd, buf + got, n - got);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) OQ_FAIL(err, OQ_ERR_IO, "%s: read failed: %s", path, strerror(errno));
    if (r == 0) OQ_FAIL(err, OQ_ERR_IO, "%s: file shrank while reading", path);
    got += (size_t)r;
  }
  close(fd);
  *out = buf;
  *size = n;
  return OQ_OK;
fail:
  if (fd >= 0) close(fd);
  oq_free(buf);
  return st;
}

/* Folder part of path: "." when there is none, "/" for files in the root. */
static char *dir_of(const char *path, oq_error *err) {
  const char *slash = strrchr(path, '/');
  if (!slash) return oq_strdup(".", err);
  size_t n = slash == path ? 1 : (size_t)(slash - path);
  char *d = oq_mem_alloc(n + 1);
  if (!d) {
    oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "out of memory");
    return NULL;
  }
  memcpy(d, path, n);
  d[n] = '\0';
  return d;
}

/* protobuf-c allocations go through the library's hook too; a failed one is remembered, because unpack reports
 * it only as a NULL result, like malformed bytes. */
typedef struct pb_alloc_ctx {
  int failed; /* an allocation failed */
} pb_alloc_ctx;

static void *pb_alloc(void *data, size_t size) {
  void *p = oq_mem_alloc(size);
  if (!p) ((pb_alloc_ctx *)data)->failed = 1;
  return p;
}

static void pb_free(void *data, void *ptr) {
  (void)data;
  oq_free(ptr);
}

oq_status oq_model_load(const char *path, oq_model **out, oq_error *err) {
  oq_status st = OQ_OK;
  uint8_t *buf = NULL;
  char *dir = NULL;
  if (!out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_model_load: out is NULL");
  *out = NULL;
  if (!path || !path[0]) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_model_load: empty model path");
  size_t size = 0;
  OQ_CHECK(read_whole_file(path, &buf, &size, err));
  /* protobuf-c's unpack recurses without a limit: refuse deep nesting before it can overflow the stack */
  st = oq_model_check_nesting(buf, size, OQ_MODEL_MAX_NESTING, err);
  if (st != OQ_OK) {
    if (st == OQ_ERR_PARSE)
      oq_error_prefix(err, "%s: not an ONNX model (truncated or corrupt)", path);
    else
      oq_error_prefix(err, "%s", path);
    goto fail;
  }
  pb_alloc_ctx pbc = {0};
  ProtobufCAllocator pba = {pb_alloc, pb_free, &pbc};
  Onnx__ModelProto *proto = onnx__model_proto__unpack(&pba, size, buf);
  oq_free(buf);
  buf = NULL;
  if (!proto && pbc.failed) OQ_FAIL(err, OQ_ERR_NOMEM, "%s: out of memory parsing the model", path);
  if (!proto) OQ_FAIL(err, OQ_ERR_PARSE, "%s: not an ONNX model (protobuf parse failed)", path);
  if (!proto->graph) {
    onnx__model_proto__free_unpacked(proto, NULL);
    OQ_FAIL(err, OQ_ERR_MODEL, "%s: not an ONNX model (no graph)", path);
  }
  dir = dir_of(path, err);
  if (!dir) {
    onnx__model_proto__free_unpacked(proto, NULL);
    st = OQ_ERR_NOMEM;
    oq_error_prefix(err, "%s", path);
    goto fail;
  }
  OQ_CHECK(oq_model_wrap(proto, path, dir, out, err));
  oq_free(dir);
  return OQ_OK;
fail:
  oq_free(buf);
  oq_free(dir);
  oq_error_subject(err, OQ_SUBJECT_FILE, path); /* every message above names the path */
  return st;
}

/* ---- save options ------------------------------------------------------------------------------------------- */

/* The first layout with a size field; fields added later go after it. */
#define SAVE_OPTIONS_SIZE_V1 (offsetof(oq_save_options, size_threshold) + sizeof(uint64_t))

void oq_save_options_init(oq_save_options *opts) {
  if (!opts) return;
  memset(opts, 0, sizeof *opts);
  opts->size = sizeof *opts;
  opts->size_threshold = 1024;
}

oq_status oq_save_options_take(const oq_save_options *opts, oq_save_options *out, oq_error *err) {
  oq_save_options_init(out);
  if (!opts) return OQ_OK;
  return oq_options_take(out, sizeof *out, SAVE_OPTIONS_SIZE_V1, opts, "oq_model_save", err);
}

/* ---- external data ------------------------------------------------------------------------------------------- */

typedef struct resolve_ctx {
  oq_model *model; /* blobs are appended here */
  size_t cap;      /* allocated entries in model->blobs */
  char *root;      /* realpath of model->dir */
} resolve_ctx;

/* Strict decimal parse of an external_data offset/length. */
static bool parse_u64(const char *s, uint64_t *out) {
  if (!s || !*s) return false;
  uint64_t v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return false;
    unsigned d = (unsigned)(*s - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

/* Refuses absolute locations and any ".." component: the data must live inside the model's folder. */
static bool location_is_safe(const char *loc) {
  if (!loc[0] || loc[0] == '/') return false;
  const char *p = loc;
  while (*p) {
    const char *e = strchr(p, '/');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    if (n == 2 && p[0] == '.' && p[1] == '.') return false;
    if (!e) break;
    p = e + 1;
  }
  return true;
}

/* Expected byte size from dtype and dims; false when not computable (unknown/sub-byte dtype, negative dims,
 * overflow). */
static bool expected_nbytes(const Onnx__TensorProto *tp, size_t *out) {
  size_t n = oq_dtype_size(tp->data_type);
  if (n == 0) return false;
  for (size_t i = 0; i < tp->n_dims; i++) {
    if (tp->dims[i] < 0 || (uint64_t)tp->dims[i] > SIZE_MAX) return false;
    if (!oq_size_mul(n, (size_t)tp->dims[i], &n)) return false;
  }
  *out = n;
  return true;
}

static oq_status resolve_tensor(resolve_ctx *c, const Onnx__TensorProto *tp, oq_error *err) {
  oq_status st = OQ_OK;
  char *full = NULL, *real = NULL;
  uint8_t *data = NULL;
  int fd = -1;
  if (!tp || !tp->has_data_location || tp->data_location != ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) return OQ_OK;
  const char *name = tensor_label(tp);
  const char *loc = NULL, *off_s = NULL, *len_s = NULL;
  for (size_t i = 0; i < tp->n_external_data; i++) {
    const Onnx__StringStringEntryProto *e = tp->external_data[i];
    if (!e || !e->key) continue;
    if (strcmp(e->key, "location") == 0)
      loc = e->value;
    else if (strcmp(e->key, "offset") == 0)
      off_s = e->value;
    else if (strcmp(e->key, "length") == 0)
      len_s = e->value;
  }
  if (!loc || !loc[0]) OQ_FAIL(err, OQ_ERR_MODEL, "tensor '%s': external data without a location", name);
  /* Bytes in two places: which ones count is not defined (a save would keep one, the fingerprint hashed another). */
  if (tp->has_raw_data || tp->n_float_data || tp->n_int32_data || tp->n_string_data || tp->n_int64_data ||
      tp->n_double_data || tp->n_uint64_data)
    OQ_FAIL(err, OQ_ERR_MODEL, "tensor '%s': external data and inline data both given", name);
  if (!location_is_safe(loc))
    OQ_FAIL(err, OQ_ERR_MODEL, "tensor '%s': external data location '%s' is absolute or contains '..'", name, loc);
  uint64_t off = 0, len = 0;
  if (off_s && !parse_u64(off_s, &off))
    OQ_FAIL(err, OQ_ERR_MODEL, "tensor '%s': bad external data offset '%s'", name, off_s);
  if (len_s && !parse_u64(len_s, &len))
    OQ_FAIL(err, OQ_ERR_MODEL, "tensor '%s': bad external data length '%s'", name, len_s);

  size_t dl = strlen(c->model->dir), ll = strlen(loc);
  full = oq_mem_alloc(dl + ll + 2);
  if (!full) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
  memcpy(full, c->model->dir, dl);
  full[dl] = '/';
  memcpy(full + dl + 1, loc, ll + 1);
  real = realpath(full, NULL);
  if (!real) OQ_FAIL(err, OQ_ERR_IO, "tensor '%s': external data file '%s': %s", name, loc, strerror(errno));
  /* Symlinks may not lead out of the model's folder. */
  size_t rl = strlen(c->root);
  bool inside = strcmp(c->root, "/") == 0 ? real[0] == '/' : strncmp(real, c->root, rl) == 0 && real[rl] == '/';
  if (!inside)
    OQ_FAIL(err, OQ_ERR_MODEL, "tensor '%s': external data file '%s' resolves outside the model's folder", name, loc);
  fd = open(real, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) OQ_FAIL(err, OQ_ERR_IO, "tensor '%s': cannot open external data '%s': %s", name, loc, strerror(errno));
  struct stat sb;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
    OQ_FAIL(err, OQ_ERR_IO, "tensor '%s': external data '%s' is not a regular file", name, loc);
  uint64_t fsize = (uint64_t)sb.st_size;
  if (off > fsize)
    OQ_FAIL(err, OQ_ERR_MODEL, "tensor '%s': external data offset %llu is beyond the end of '%s' (%llu bytes)", name,
            (unsigned long long)off, loc, (unsigned long long)fsize);
  if (!len_s) len = fsize - off;
  if (len > fsize - off)
    OQ_FAIL(err, OQ_ERR_MODEL,
            "tensor '%s': external data range offset %llu length %llu is beyond the end of '%s' (%llu bytes)", name,
            (unsigned long long)off, (unsigned long long)len, loc, (unsigned long long)fsize);
  if (len > SIZE_MAX) OQ_FAIL(err, OQ_ERR_NOMEM, "tensor '%s': external data too large", name);
  size_t want;
  if (expected_nbytes(tp, &want) && want != (size_t)len)
    OQ_FAIL(err, OQ_ERR_MODEL, "tensor '%s': external data has %llu bytes, its type and shape need %zu", name,
            (unsigned long long)len, want);
  data = oq_mem_alloc((size_t)len);
  if (!data)
    OQ_FAIL(err, OQ_ERR_NOMEM, "tensor '%s': out of memory for %llu bytes of external data", name,
            (unsigned long long)len);
  size_t got = 0;
  while (got < (size_t)len) {
    ssize_t r = pread(fd, data + got, (size_t)len - got, (off_t)(off + got));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) OQ_FAIL(err, OQ_ERR_IO, "tensor '%s': reading '%s' failed: %s", name, loc, strerror(errno));
    if (r == 0) OQ_FAIL(err, OQ_ERR_IO, "tensor '%s': '%s' is shorter than expected", name, loc);
    got += (size_t)r;
  }
  if (c->model->n_blobs == c->cap) {
    size_t ncap = c->cap ? c->cap * 2 : 8;
    oq_external_blob *nb = NULL;
    size_t bytes;
    if (oq_size_mul(ncap, sizeof *nb, &bytes)) nb = oq_mem_realloc(c->model->blobs, bytes);
    if (!nb) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
    c->model->blobs = nb;
    c->cap = ncap;
  }
  oq_external_blob *b = &c->model->blobs[c->model->n_blobs++];
  memset(b, 0, sizeof *b);
  b->tensor = tp;
  b->data = data;
  b->size = (size_t)len;
  b->file = real;
  b->file_dev = (uint64_t)sb.st_dev;
  b->file_ino = (uint64_t)sb.st_ino;
  close(fd);
  oq_free(full);
  return OQ_OK;
fail:
  if (fd >= 0) close(fd);
  oq_free(data);
  free(real); /* from realpath */
  oq_free(full);
  return st;
}

static oq_status resolve_sparse(resolve_ctx *c, const Onnx__SparseTensorProto *sp, oq_error *err) {
  oq_status st = OQ_OK;
  if (!sp) return OQ_OK;
  OQ_CHECK(resolve_tensor(c, sp->values, err));
  OQ_CHECK(resolve_tensor(c, sp->indices, err));
fail:
  return st;
}

static oq_status resolve_graph(resolve_ctx *c, const Onnx__GraphProto *g, int depth, oq_error *err);

static oq_status resolve_attr(resolve_ctx *c, const Onnx__AttributeProto *a, int depth, oq_error *err) {
  oq_status st = OQ_OK;
  if (!a) return OQ_OK;
  OQ_CHECK(resolve_tensor(c, a->t, err));
  for (size_t i = 0; i < a->n_tensors; i++) OQ_CHECK(resolve_tensor(c, a->tensors[i], err));
  OQ_CHECK(resolve_sparse(c, a->sparse_tensor, err));
  for (size_t i = 0; i < a->n_sparse_tensors; i++) OQ_CHECK(resolve_sparse(c, a->sparse_tensors[i], err));
  if (a->g) OQ_CHECK(resolve_graph(c, a->g, depth + 1, err));
  for (size_t i = 0; i < a->n_graphs; i++) OQ_CHECK(resolve_graph(c, a->graphs[i], depth + 1, err));
fail:
  return st;
}

static oq_status resolve_graph(resolve_ctx *c, const Onnx__GraphProto *g, int depth, oq_error *err) {
  oq_status st = OQ_OK;
  if (!g) return OQ_OK;
  if (depth > MAX_GRAPH_DEPTH) OQ_FAIL(err, OQ_ERR_MODEL, "subgraphs nested deeper than %d levels", MAX_GRAPH_DEPTH);
  for (size_t i = 0; i < g->n_initializer; i++) OQ_CHECK(resolve_tensor(c, g->initializer[i], err));
  for (size_t i = 0; i < g->n_sparse_initializer; i++) OQ_CHECK(resolve_sparse(c, g->sparse_initializer[i], err));
  for (size_t i = 0; i < g->n_node; i++) {
    const Onnx__NodeProto *n = g->node[i];
    if (!n) continue;
    for (size_t k = 0; k < n->n_attribute; k++) {
      st = resolve_attr(c, n->attribute[k], depth, err);
      if (st != OQ_OK) {
        const char *label = n->name && n->name[0] ? n->name : (n->op_type ? n->op_type : "?");
        oq_error_prefix(err, "node '%s'", label);
        oq_error_subject(err, OQ_SUBJECT_NODE, label);
        goto fail;
      }
    }
  }
fail:
  return st;
}

static int blob_cmp(const void *a, const void *b) {
  uintptr_t x = (uintptr_t)((const oq_external_blob *)a)->tensor;
  uintptr_t y = (uintptr_t)((const oq_external_blob *)b)->tensor;
  return x < y ? -1 : x > y;
}

const oq_external_blob *oq_model_external_blob(const oq_model *model, const Onnx__TensorProto *tp) {
  if (model && model->base) return oq_model_external_blob(model->base, tp); /* a built model has none of its own */
  if (!model || !tp || model->n_blobs == 0) return NULL;
  /* blobs are sorted by tensor address after loading */
  size_t lo = 0, hi = model->n_blobs;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const Onnx__TensorProto *t = model->blobs[mid].tensor;
    if (t == tp) return &model->blobs[mid];
    if ((uintptr_t)t < (uintptr_t)tp)
      lo = mid + 1;
    else
      hi = mid;
  }
  return NULL;
}

/* ---- wrap / free ---------------------------------------------------------------------------------------------- */

oq_status oq_model_wrap(Onnx__ModelProto *proto, const char *path, const char *dir, oq_model **out, oq_error *err) {
  oq_status st = OQ_OK;
  oq_model *m = NULL;
  resolve_ctx rc = {0};
  const char *label = path ? path : "model";
  if (!out) {
    if (proto) onnx__model_proto__free_unpacked(proto, NULL);
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_model_wrap: out is NULL");
  }
  *out = NULL;
  if (!proto) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "%s: no model", label);
  m = oq_mem_zalloc(sizeof *m);
  if (!m) {
    onnx__model_proto__free_unpacked(proto, NULL);
    oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "%s: out of memory", label);
    if (path) oq_error_subject(err, OQ_SUBJECT_FILE, path);
    return OQ_ERR_NOMEM;
  }
  m->proto = proto;
  if (!proto->graph) OQ_FAIL(err, OQ_ERR_MODEL, "%s: not an ONNX model (no graph)", label);
  if (path && !(m->path = oq_strdup(path, err))) goto nomem;
  if (!(m->dir = oq_strdup(dir && dir[0] ? dir : ".", err))) goto nomem;

  rc.model = m;
  rc.root = realpath(m->dir, NULL);
  if (!rc.root) OQ_FAIL(err, OQ_ERR_IO, "%s: cannot resolve folder '%s': %s", label, m->dir, strerror(errno));
  st = resolve_graph(&rc, proto->graph, 0, err);
  if (st != OQ_OK) {
    oq_error_prefix(err, "%s", label);
    goto fail;
  }
  if (m->n_blobs > 1) qsort(m->blobs, m->n_blobs, sizeof *m->blobs, blob_cmp);

  st = oq_graph_build_model(proto, &m->graph, err);
  if (st != OQ_OK) {
    oq_error_prefix(err, "%s", label);
    memset(&m->graph, 0, sizeof m->graph); /* build cleans up after itself on failure */
    goto fail;
  }
  m->graph_built = 1;
  free(rc.root); /* from realpath */
  *out = m;
  return OQ_OK;
nomem:
  st = OQ_ERR_NOMEM;
  oq_error_prefix(err, "%s", label);
fail:
  free(rc.root);
  oq_model_free(m);
  if (path) oq_error_subject(err, OQ_SUBJECT_FILE, path); /* every message above starts with the label */
  return st;
}

oq_status oq_model_wrap_built(Onnx__ModelProto *proto, oq_edit *ed, const oq_model *base, oq_model **out,
                              oq_error *err) {
  oq_status st = OQ_OK;
  oq_model *m = NULL;
  const char *label = base && base->path ? base->path : "model";
  if (!out) {
    oq_edit_free(ed);
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_model_wrap_built: out is NULL");
  }
  *out = NULL;
  if (!proto || !ed) {
    oq_edit_free(ed);
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "%s: no model", label);
  }
  m = oq_mem_zalloc(sizeof *m);
  if (!m) {
    oq_edit_free(ed);
    OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "%s: out of memory", label);
  }
  m->proto = proto;
  m->edit = ed;
  if (base) {
    /* the caller's model is const to it; the reference count is the one field a holder changes */
    m->base = (oq_model *)base;
    atomic_fetch_add(&m->base->extra_refs, 1);
  }
  if (!proto->graph) OQ_FAIL(err, OQ_ERR_MODEL, "%s: not an ONNX model (no graph)", label);
  if (base && base->path && !(m->path = oq_strdup(base->path, err))) goto nomem;
  if (!(m->dir = oq_strdup(base && base->dir ? base->dir : ".", err))) goto nomem;
  st = oq_graph_build_model(proto, &m->graph, err);
  if (st != OQ_OK) {
    oq_error_prefix(err, "%s", label);
    memset(&m->graph, 0, sizeof m->graph); /* build cleans up after itself on failure */
    goto fail;
  }
  m->graph_built = 1;
  *out = m;
  return OQ_OK;
nomem:
  st = OQ_ERR_NOMEM;
  oq_error_prefix(err, "%s", label);
fail:
  oq_model_free(m);
  if (base && base->path) oq_error_subject(err, OQ_SUBJECT_FILE, base->path);
  return st;
}

void oq_model_free(oq_model *model) {
  if (!model) return;
  if (atomic_fetch_sub(&model->extra_refs, 1) > 0) return; /* a built model still uses it */
  if (model->graph_built) oq_graph_free(&model->graph);
  for (size_t i = 0; i < model->n_blobs; i++) {
    oq_free(model->blobs[i].data);
    free(model->blobs[i].file); /* from realpath */
  }
  oq_free(model->blobs);
  if (model->edit)
    oq_edit_free(model->edit); /* frees the built proto */
  else if (model->proto)
    onnx__model_proto__free_unpacked(model->proto, NULL); /* malloc underneath, see core/alloc.h */
  oq_model_free(model->base);
  oq_free(model->path);
  oq_free(model->dir);
  oq_free(model);
}

int64_t oq_model_opset(const oq_model *model, const char *domain) {
  if (!model || !model->proto) return -1;
  bool want_default = !domain || !domain[0] || strcmp(domain, "ai.onnx") == 0;
  for (size_t i = 0; i < model->proto->n_opset_import; i++) {
    const Onnx__OperatorSetIdProto *o = model->proto->opset_import[i];
    if (!o || !o->has_version) continue;
    const char *d = o->domain ? o->domain : "";
    bool is_default = !d[0] || strcmp(d, "ai.onnx") == 0;
    if (want_default ? is_default : strcmp(d, domain) == 0) return o->version;
  }
  return -1;
}

/* ---- tensor decoding -------------------------------------------------------------------------------------- */

static bool host_little_endian(void) {
  const uint16_t one = 1;
  uint8_t b;
  memcpy(&b, &one, 1);
  return b == 1;
}

/* Copies little-endian elements into host order. */
static void copy_le(uint8_t *dst, const uint8_t *src, size_t nbytes, size_t esize) {
  if (host_little_endian() || esize == 1) {
    memcpy(dst, src, nbytes);
    return;
  }
  for (size_t i = 0; i + esize <= nbytes; i += esize)
    for (size_t k = 0; k < esize; k++) dst[i + k] = src[i + esize - 1 - k];
}

oq_status oq_model_tensor_decode(const oq_model *model, const Onnx__TensorProto *tp, oq_tensor *out, oq_error *err) {
  oq_status st = OQ_OK;
  if (!out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_model_tensor_decode: out is NULL");
  memset(out, 0, sizeof *out);
  if (!tp) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_model_tensor_decode: no tensor");
  const char *name = tensor_label(tp);
  int32_t dtype = tp->has_data_type ? tp->data_type : OQ_DTYPE_UNDEFINED;
  if (!oq_dtype_traits_of(dtype)->decodable)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "tensor '%s': data type %s (%d) is not supported", name,
                  oq_dtype_name(dtype), (int)dtype);
  if (tp->n_dims > OQ_MAX_DIMS)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "tensor '%s': rank %zu exceeds the maximum of %d", name, tp->n_dims,
                  OQ_MAX_DIMS);
  size_t esize = oq_dtype_size(dtype), numel = 1, nbytes;
  for (size_t i = 0; i < tp->n_dims; i++) {
    if (tp->dims[i] < 0)
      OQ_RETURN_ERR(err, OQ_ERR_MODEL, "tensor '%s': negative dimension %lld", name, (long long)tp->dims[i]);
    if ((uint64_t)tp->dims[i] > SIZE_MAX || !oq_size_mul(numel, (size_t)tp->dims[i], &numel))
      OQ_RETURN_ERR(err, OQ_ERR_MODEL, "tensor '%s': element count overflows", name);
  }
  if (!oq_size_mul(numel, esize, &nbytes) || numel > (size_t)INT64_MAX)
    OQ_RETURN_ERR(err, OQ_ERR_MODEL, "tensor '%s': byte size overflows", name);
  if (!oq_tensor_extents_ok((int32_t)tp->n_dims, tp->dims))
    OQ_RETURN_ERR(err, OQ_ERR_MODEL, "tensor '%s': extents multiply past 2^63 (even though it is empty)", name);

  out->dtype = dtype;
  out->ndim = (int32_t)tp->n_dims;
  for (size_t i = 0; i < tp->n_dims; i++) out->dims[i] = tp->dims[i];
  out->nbytes = nbytes;

  /* Raw little-endian bytes: from the external file or raw_data. */
  const uint8_t *raw = NULL;
  size_t raw_len = 0;
  bool have_raw = false;
  if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
    const oq_external_blob *b = oq_model_external_blob(model, tp);
    if (!b) OQ_FAIL(err, OQ_ERR_MODEL, "tensor '%s': external data was not loaded", name);
    raw = b->data;
    raw_len = b->size;
    have_raw = true;
  } else if (tp->has_raw_data) {
    raw = tp->raw_data.data;
    raw_len = tp->raw_data.len;
    have_raw = true;
  }
  if (have_raw) {
    if (raw_len != nbytes)
      OQ_FAIL(err, OQ_ERR_MODEL, "tensor '%s': has %zu bytes of data, its type %s and shape need %zu", name, raw_len,
              oq_dtype_name(dtype), nbytes);
    if (nbytes == 0) return OQ_OK;
    if (host_little_endian() && (uintptr_t)raw % esize == 0) {
      out->data = (void *)raw; /* borrowed from the proto / blob, which outlive the tensor */
      out->owns_data = 0;
      return OQ_OK;
    }
    out->data = oq_mem_alloc(nbytes);
    if (!out->data) OQ_FAIL(err, OQ_ERR_NOMEM, "tensor '%s': out of memory for %zu bytes", name, nbytes);
    out->owns_data = 1;
    copy_le(out->data, raw, nbytes, esize);
    return OQ_OK;
  }

  /* Typed fields. */
  size_t have;
  switch (dtype) {
  case OQ_DTYPE_FLOAT: have = tp->n_float_data; break;
  case OQ_DTYPE_DOUBLE: have = tp->n_double_data; break;
  case OQ_DTYPE_INT64: have = tp->n_int64_data; break;
  case OQ_DTYPE_UINT32:
  case OQ_DTYPE_UINT64: have = tp->n_uint64_data; break;
  default: have = tp->n_int32_data; break;
  }
  if (have != numel)
    OQ_FAIL(err, OQ_ERR_MODEL, "tensor '%s': has %zu %s elements, its shape needs %zu", name, have,
            oq_dtype_name(dtype), numel);
  if (nbytes == 0) return OQ_OK;
  out->data = oq_mem_alloc(nbytes);
  if (!out->data) OQ_FAIL(err, OQ_ERR_NOMEM, "tensor '%s': out of memory for %zu bytes", name, nbytes);
  out->owns_data = 1;
  switch (dtype) {
  case OQ_DTYPE_FLOAT: memcpy(out->data, tp->float_data, nbytes); break;
  case OQ_DTYPE_DOUBLE: memcpy(out->data, tp->double_data, nbytes); break;
  case OQ_DTYPE_INT64: memcpy(out->data, tp->int64_data, nbytes); break;
  case OQ_DTYPE_UINT64: memcpy(out->data, tp->uint64_data, nbytes); break;
  case OQ_DTYPE_UINT32:
    for (size_t i = 0; i < numel; i++) ((uint32_t *)out->data)[i] = (uint32_t)tp->uint64_data[i];
    break;
  case OQ_DTYPE_INT32: memcpy(out->data, tp->int32_data, nbytes); break;
  case OQ_DTYPE_INT16:
    for (size_t i = 0; i < numel; i++) ((int16_t *)out->data)[i] = (int16_t)tp->int32_data[i];
    break;
  case OQ_DTYPE_UINT16:
  case OQ_DTYPE_FLOAT16:
  case OQ_DTYPE_BFLOAT16:
    /* 16-bit floats travel as their bit pattern in int32_data */
    for (size_t i = 0; i < numel; i++) ((uint16_t *)out->data)[i] = (uint16_t)tp->int32_data[i];
    break;
  case OQ_DTYPE_INT8:
    for (size_t i = 0; i < numel; i++) ((int8_t *)out->data)[i] = (int8_t)tp->int32_data[i];
    break;
  case OQ_DTYPE_UINT8:
    for (size_t i = 0; i < numel; i++) ((uint8_t *)out->data)[i] = (uint8_t)tp->int32_data[i];
    break;
  case OQ_DTYPE_BOOL:
    for (size_t i = 0; i < numel; i++) ((uint8_t *)out->data)[i] = tp->int32_data[i] != 0;
    break;
  default: OQ_FAIL(err, OQ_ERR_INTERNAL, "tensor '%s': unhandled data type", name);
  }
  return OQ_OK;
fail:
  oq_tensor_release(out);
  return st;
}
