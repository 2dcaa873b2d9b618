/* Sample folder reader (oq_sample_load and oq_sample_file_stem in onnxq.h). A sample folder holds one file per
 * model input: `<input name>.npy` (the exact name, or its sanitized stem) or `input_<k>.pb` (a serialized TensorProto, k = index among the fed
 * inputs). The files are mapped onto the model's inputs and each tensor's dtype and shape is checked against the
 * graph index before anything runs, so a bad sample fails with a message naming its file rather than deep inside a
 * kernel. */
#define _POSIX_C_SOURCE 200809L

#include "core/file.h"
#include "model/model.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PB_MAX_BYTES ((size_t)1 << 31) /* protobuf messages cannot exceed 2 GiB */

oq_status oq_sample_file_stem(const char *name, char **out, oq_error *err) {
  if (!out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_sample_file_stem: out is NULL");
  *out = NULL;
  if (!name) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_sample_file_stem: name is NULL");
  size_t n = strlen(name);
  char *s = oq_mem_alloc(n ? n + 1 : 2);
  if (!s) OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "out of memory");
  *out = s;
  if (n == 0) {
    memcpy(s, "_", 2);
    return OQ_OK;
  }
  int only_dots = 1;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)name[i];
    int ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    s[i] = ok ? (char)c : '_';
    if (c != '.') only_dots = 0;
  }
  s[n] = '\0';
  if (only_dots) memset(s, '_', n);
  return OQ_OK;
}

/* "[batch,1,8,8]" for a graph value; "[?]" when the rank is unknown. */
static void fmt_value_shape(const oq_value *v, char *buf, size_t cap) {
  size_t n = 0;
  if (v->ndim < 0) {
    snprintf(buf, cap, "[?]");
    return;
  }
  n += (size_t)snprintf(buf, cap, "[");
  for (int32_t i = 0; i < v->ndim && n < cap; i++) {
    const char *sep = i ? "," : "";
    if (v->dims[i].value >= 0)
      n += (size_t)snprintf(buf + n, cap - n, "%s%lld", sep, (long long)v->dims[i].value);
    else if (v->dims[i].param)
      n += (size_t)snprintf(buf + n, cap - n, "%s%.32s", sep, v->dims[i].param);
    else
      n += (size_t)snprintf(buf + n, cap - n, "%s?", sep);
  }
  if (n < cap) snprintf(buf + n, cap - n, "]");
}

static void fmt_tensor_shape(const oq_tensor *t, char *buf, size_t cap) {
  size_t n = (size_t)snprintf(buf, cap, "[");
  for (int32_t i = 0; i < t->ndim && n < cap; i++)
    n += (size_t)snprintf(buf + n, cap - n, "%s%lld", i ? "," : "", (long long)t->dims[i]);
  if (n < cap) snprintf(buf + n, cap - n, "]");
}

static char *join_path(const char *dir, const char *name, oq_error *err) {
  size_t dl = strlen(dir), nl = strlen(name);
  while (dl > 1 && dir[dl - 1] == '/') dl--;
  char *p = oq_mem_alloc(dl + nl + 2);
  if (!p) {
    oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "out of memory");
    return NULL;
  }
  memcpy(p, dir, dl);
  size_t o = dl;
  if (dl == 0 || dir[dl - 1] != '/') p[o++] = '/';
  memcpy(p + o, name, nl + 1);
  return p;
}

/* "input_<k>.pb" with k decimal, no sign, no leading zeros; returns k or -1. */
static int64_t pb_index(const char *name) {
  if (strncmp(name, "input_", 6) != 0) return -1;
  const char *p = name + 6;
  if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9')) return -1;
  int64_t k = 0;
  for (; *p >= '0' && *p <= '9'; p++) {
    k = k * 10 + (*p - '0');
    if (k > INT32_MAX) return -1;
  }
  return strcmp(p, ".pb") == 0 ? k : -1;
}

/* "output_<k>.pb": the reference outputs that ONNX test data folders keep next to their inputs. */
static int is_output_pb(const char *name) {
  if (strncmp(name, "output_", 7) != 0) return 0;
  const char *p = name + 7;
  if (*p < '0' || *p > '9') return 0;
  while (*p >= '0' && *p <= '9') p++;
  return strcmp(p, ".pb") == 0;
}

/* Reads a serialized TensorProto and decodes it into an owned tensor. */
static oq_status load_pb(const oq_model *model, const char *path, oq_tensor *out, oq_error *err) {
  oq_status st = OQ_OK;
  FILE *f = NULL;
  uint8_t *buf = NULL;
  Onnx__TensorProto *tp = NULL;
  oq_tensor t;
  memset(&t, 0, sizeof t);

  f = oq_file_open_regular(path, err);
  if (!f) {
    st = err ? err->code : OQ_ERR_IO;
    goto fail;
  }
  struct stat sb;
  if (fstat(fileno(f), &sb) != 0) OQ_FAIL(err, OQ_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
  if ((uint64_t)sb.st_size >= PB_MAX_BYTES) OQ_FAIL(err, OQ_ERR_PARSE, "%s: TensorProto file exceeds 2 GiB", path);
  size_t size = (size_t)sb.st_size;
  buf = oq_mem_alloc(size);
  if (!buf) OQ_FAIL(err, OQ_ERR_NOMEM, "%s: out of memory", path);
  if (size && fread(buf, 1, size, f) != size) OQ_FAIL(err, OQ_ERR_IO, "%s: read error", path);
  tp = onnx__tensor_proto__unpack(NULL, size, buf); /* small: no allocation hook needed for failure tests */
  if (!tp) OQ_FAIL(err, OQ_ERR_PARSE, "%s: not a valid serialized ONNX TensorProto", path);
  if (tp->has_data_location && tp->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "%s: TensorProto with external data is not supported in a sample", path);
  if (tp->n_dims > OQ_MAX_DIMS)
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "%s: tensor rank %zu exceeds %d", path, tp->n_dims, OQ_MAX_DIMS);
  if (oq_model_tensor_decode(model, tp, &t, err) != OQ_OK) {
    st = err ? err->code : OQ_ERR_PARSE;
    oq_error_prefix(err, "%s", path);
    goto fail;
  }
  if (!t.owns_data && t.nbytes > 0) {
    /* decode borrowed the proto's bytes, which are freed below */
    void *copy = oq_mem_alloc(t.nbytes);
    if (!copy) OQ_FAIL(err, OQ_ERR_NOMEM, "%s: out of memory", path);
    memcpy(copy, t.data, t.nbytes);
    t.data = copy;
    t.owns_data = 1;
  }
  *out = t;
  memset(&t, 0, sizeof t);

fail:
  oq_tensor_release(&t);
  if (tp) onnx__tensor_proto__free_unpacked(tp, NULL);
  oq_free(buf);
  if (f) fclose(f);
  if (st != OQ_OK) oq_error_subject(err, OQ_SUBJECT_FILE, path); /* every message here names the path */
  return st;
}

/* The subject of a message about a model input found (or not) in a sample file or folder. */
static void value_in_file(oq_error *err, const char *input, const char *file) {
  oq_error_subject(err, OQ_SUBJECT_VALUE, input);
  oq_error_subject(err, OQ_SUBJECT_FILE, file);
}

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

oq_status oq_sample_load(const oq_model *model, const char *dir, int32_t n_inputs, oq_tensor *inputs, oq_error *err) {
  oq_status st = OQ_OK;
  int32_t n_in = 0;
  char **stems = NULL; /* sanitized input names */
  char **files = NULL; /* chosen file per input (borrowed from names) */
  char **names = NULL; /* folder entries, sorted */
  size_t n_names = 0, cap_names = 0;
  char *path = NULL;
  DIR *d = NULL;

  if (!model || !dir || (!inputs && n_inputs > 0)) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "oq_sample_load: NULL argument");
  if (n_inputs != oq_model_input_count(model))
    OQ_FAIL_ABOUT(err, OQ_ERR_INVALID_ARG, OQ_SUBJECT_OPTION, "n_inputs",
                  "oq_sample_load: room for %d inputs, the model has %d", (int)n_inputs,
                  (int)oq_model_input_count(model));
  n_in = n_inputs;
  for (int32_t k = 0; k < n_in; k++) memset(&inputs[k], 0, sizeof inputs[k]);
  stems = oq_calloc(n_in ? (size_t)n_in : 1, sizeof *stems, err);
  files = oq_calloc(n_in ? (size_t)n_in : 1, sizeof *files, err);
  if (!stems || !files) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
  for (int32_t k = 0; k < n_in; k++)
    if (oq_sample_file_stem(oq_model_input_name(model, k), &stems[k], err) != OQ_OK)
      OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");

  d = opendir(dir);
  if (!d)
    OQ_FAIL_ABOUT(err, OQ_ERR_IO, OQ_SUBJECT_FILE, dir, "%s: cannot open sample folder: %s", dir, strerror(errno));
  for (;;) {
    errno = 0;
    struct dirent *e = readdir(d);
    if (!e) {
      if (errno)
        OQ_FAIL_ABOUT(err, OQ_ERR_IO, OQ_SUBJECT_FILE, dir, "%s: cannot read folder: %s", dir, strerror(errno));
      break;
    }
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    if (n_names == cap_names) {
      size_t nc = cap_names ? cap_names * 2 : 16;
      char **grown = oq_malloc_array(nc, sizeof *grown, err);
      if (!grown) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
      if (n_names) memcpy(grown, names, n_names * sizeof *names);
      oq_free(names);
      names = grown;
      cap_names = nc;
    }
    names[n_names] = oq_strdup(e->d_name, err);
    if (!names[n_names]) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
    n_names++;
  }
  closedir(d);
  d = NULL;
  if (n_names) qsort(names, n_names, sizeof *names, cmp_names); /* deterministic messages */

  for (size_t i = 0; i < n_names; i++) {
    const char *nm = names[i];
    int32_t match = -1;
    size_t len = strlen(nm);
    if (len > 4 && strcmp(nm + len - 4, ".npy") == 0) {
      /* the exact input name ("input:0.npy") first, then the sanitized stem ("input_0.npy") */
      for (int32_t k = 0; k < n_in && match < 0; k++) {
        const char *iname = oq_model_input_name(model, k);
        if (strlen(iname) == len - 4 && memcmp(iname, nm, len - 4) == 0) match = k;
      }
      for (int32_t k = 0; k < n_in && match < 0; k++)
        if (strlen(stems[k]) == len - 4 && memcmp(stems[k], nm, len - 4) == 0) match = k;
    } else {
      int64_t k = pb_index(nm);
      if (k >= 0 && k < n_in) match = (int32_t)k;
    }
    if (match < 0) {
      if (nm[0] == '.') continue;     /* hidden files (editor backups, .DS_Store) are not samples */
      if (is_output_pb(nm)) continue; /* expected outputs of an ONNX test_data_set_<n> folder */
      oq_free(path);
      path = join_path(dir, nm, err);
      if (!path) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
      OQ_FAIL_ABOUT(err, OQ_ERR_INVALID_ARG, OQ_SUBJECT_FILE, path, "%s: does not match any model input", path);
    }
    if (files[match]) {
      st = oq_error_set(err, OQ_ERR_INVALID_ARG, __FILE__, __LINE__, "%s: input '%s' is given twice (%s and %s)", dir,
                        oq_model_input_name(model, match), files[match], nm);
      value_in_file(err, oq_model_input_name(model, match), dir);
      goto fail;
    }
    files[match] = names[i];
  }

  for (int32_t k = 0; k < n_in; k++) {
    const char *iname = oq_model_input_name(model, k);
    if (!files[k]) {
      st = oq_error_set(err, OQ_ERR_INVALID_ARG, __FILE__, __LINE__,
                        "%s: missing input '%s' (expected %s.npy or input_%d.pb)", dir, iname, stems[k], (int)k);
      value_in_file(err, iname, dir);
      goto fail;
    }
    oq_free(path);
    path = join_path(dir, files[k], err);
    if (!path) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
    size_t flen = strlen(files[k]);
    if (flen > 4 && strcmp(files[k] + flen - 4, ".npy") == 0)
      OQ_CHECK(oq_npy_load(path, &inputs[k], err));
    else
      OQ_CHECK(load_pb(model, path, &inputs[k], err));

    const oq_value *v = &model->graph.values[model->graph.inputs[k]];
    const oq_tensor *t = &inputs[k];
    int ok = v->dtype == OQ_DTYPE_UNDEFINED || v->dtype == t->dtype;
    if (ok && v->ndim >= 0) {
      ok = v->ndim == t->ndim;
      for (int32_t i = 0; ok && i < v->ndim; i++)
        if (v->dims[i].value >= 0 && v->dims[i].value != t->dims[i]) ok = 0;
    }
    if (!ok) {
      char want[160], got[160];
      fmt_value_shape(v, want, sizeof want);
      fmt_tensor_shape(t, got, sizeof got);
      st = oq_error_set(err, OQ_ERR_SHAPE, __FILE__, __LINE__, "%s: input '%s' expects %s %s, got %s %s", path, iname,
                        v->dtype == OQ_DTYPE_UNDEFINED ? "any" : oq_dtype_name(v->dtype), want, oq_dtype_name(t->dtype),
                        got);
      value_in_file(err, iname, path);
      goto fail;
    }
  }

fail:
  if (st != OQ_OK && inputs)
    for (int32_t k = 0; k < n_in; k++) oq_tensor_release(&inputs[k]);
  if (d) closedir(d);
  oq_free(path);
  for (size_t i = 0; i < n_names; i++) oq_free(names[i]);
  oq_free(names);
  if (stems)
    for (int32_t k = 0; k < n_in; k++) oq_free(stems[k]);
  oq_free(stems);
  oq_free(files);
  return st;
}
