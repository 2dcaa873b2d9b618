/* ONNX backend node test runner: `node_test [--threads N] [--atol A] [--rtol R] <dir>` where dir is one test of the
 * ONNX test data (model.onnx and test_data_set_N/input_K.pb and output_K.pb). Runs every data set through an onnxq
 * session and compares each output with the expected one: floating types (float, double, float16, bfloat16) as
 * numbers, |got - want| <= atol + rtol * |want| (ONNX's defaults atol 1e-7, rtol 1e-3; NaN matches NaN, an infinity
 * only itself), integer and bool types exactly. An output of any other type is a failure: nothing passes unchecked.
 * With --threads N > 1 the session runs on N threads and each output must also be bit-identical to a single-threaded
 * run (onnxq.h promises that for every thread count).
 * Prints the largest error per output; exits 0 when all match, 1 on a mismatch, 2 when something could not run. */
#define _POSIX_C_SOURCE 200809L /* scandir */
#include "onnxq.h"
#include "model/model.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct tolerance {
  double atol, rtol;
} tolerance;

static uint8_t *read_file(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *buf = NULL;
  size_t cap = 0, len = 0;
  for (;;) {
    if (len == cap) {
      cap = cap ? cap * 2 : 1 << 16;
      uint8_t *nb = realloc(buf, cap);
      if (!nb) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = nb;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) break;
  }
  fclose(f);
  *size = len;
  return buf;
}

/* Reads a TensorProto file into an owned tensor. */
static int load_tensor(const oq_model *model, const char *path, oq_tensor *out) {
  size_t size = 0;
  uint8_t *bytes = read_file(path, &size);
  if (!bytes) {
    fprintf(stderr, "cannot read %s\n", path);
    return 0;
  }
  Onnx__TensorProto *tp = onnx__tensor_proto__unpack(NULL, size, bytes);
  free(bytes);
  if (!tp) {
    fprintf(stderr, "%s: not a TensorProto\n", path);
    return 0;
  }
  oq_error err = {0};
  oq_tensor t = {0};
  int ok = oq_model_tensor_decode(model, tp, &t, &err) == OQ_OK;
  if (!ok) fprintf(stderr, "%s: %s\n", path, err.msg);
  /* decode may borrow the proto's bytes: take an owned copy before freeing it */
  if (ok && oq_tensor_alloc(out, t.dtype, t.ndim, t.dims, &err) != OQ_OK) {
    fprintf(stderr, "%s: %s\n", path, err.msg);
    ok = 0;
  }
  if (ok && t.nbytes) memcpy(out->data, t.data, t.nbytes);
  oq_tensor_release(&t);
  onnx__tensor_proto__free_unpacked(tp, NULL);
  return ok;
}

/* How an output type is compared; CMP_NONE (string, complex, float8, 4-bit, ...) makes the output fail. */
enum { CMP_NONE, CMP_FLOAT, CMP_EXACT };

static int compare_kind(int32_t dtype) {
  switch (dtype) {
  case OQ_DTYPE_FLOAT:
  case OQ_DTYPE_DOUBLE:
  case OQ_DTYPE_FLOAT16:
  case OQ_DTYPE_BFLOAT16: return CMP_FLOAT;
  case OQ_DTYPE_UINT8:
  case OQ_DTYPE_INT8:
  case OQ_DTYPE_BOOL:
  case OQ_DTYPE_UINT16:
  case OQ_DTYPE_INT16:
  case OQ_DTYPE_INT32:
  case OQ_DTYPE_UINT32:
  case OQ_DTYPE_INT64:
  case OQ_DTYPE_UINT64: return CMP_EXACT;
  default: return CMP_NONE;
  }
}

/* IEEE binary16, decoded here rather than with the library's converters so that a conversion bug cannot hide
 * itself in both the kernel and the check. */
static double half_value(uint16_t h) {
  int exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  double v;
  if (exp == 0)
    v = ldexp(mant, -24);
  else if (exp == 31)
    v = mant ? NAN : INFINITY;
  else
    v = ldexp(mant | 0x400, exp - 25);
  return (h & 0x8000) ? -v : v;
}

/* bfloat16 is the upper half of a float32. */
static double bfloat16_value(uint16_t b) {
  uint32_t bits = (uint32_t)b << 16;
  float f;
  memcpy(&f, &bits, sizeof f);
  return f;
}

/* Element i as a double; only for types whose compare_kind is not CMP_NONE. */
static double element(const oq_tensor *t, int64_t i) {
  switch (t->dtype) {
  case OQ_DTYPE_FLOAT: return ((const float *)t->data)[i];
  case OQ_DTYPE_DOUBLE: return ((const double *)t->data)[i];
  case OQ_DTYPE_FLOAT16: return half_value(((const uint16_t *)t->data)[i]);
  case OQ_DTYPE_BFLOAT16: return bfloat16_value(((const uint16_t *)t->data)[i]);
  case OQ_DTYPE_UINT8: return ((const uint8_t *)t->data)[i];
  case OQ_DTYPE_INT8: return ((const int8_t *)t->data)[i];
  case OQ_DTYPE_BOOL: return ((const uint8_t *)t->data)[i];
  case OQ_DTYPE_UINT16: return ((const uint16_t *)t->data)[i];
  case OQ_DTYPE_INT16: return ((const int16_t *)t->data)[i];
  case OQ_DTYPE_INT32: return ((const int32_t *)t->data)[i];
  case OQ_DTYPE_UINT32: return ((const uint32_t *)t->data)[i];
  case OQ_DTYPE_INT64: return (double)((const int64_t *)t->data)[i];
  case OQ_DTYPE_UINT64: return (double)((const uint64_t *)t->data)[i];
  default: return NAN; /* not reached: compare() refuses these types first */
  }
}

static void shape_str(const oq_tensor *t, char *buf, size_t cap) {
  size_t used = (size_t)snprintf(buf, cap, "%s [", oq_dtype_name(t->dtype));
  for (int32_t i = 0; i < t->ndim && used < cap; i++)
    used += (size_t)snprintf(buf + used, cap - used, "%s%lld", i ? ", " : "", (long long)t->dims[i]);
  if (used < cap) snprintf(buf + used, cap - used, "]");
}

static int same_shape(const oq_tensor *a, const oq_tensor *b) {
  if (a->dtype != b->dtype || a->ndim != b->ndim) return 0;
  for (int32_t i = 0; i < a->ndim; i++)
    if (a->dims[i] != b->dims[i]) return 0;
  return 1;
}

/* Returns 1 when got matches want. */
static int compare(const char *what, const oq_tensor *got, const oq_tensor *want, tolerance tol) {
  char gs[256], ws[256];
  shape_str(got, gs, sizeof gs);
  shape_str(want, ws, sizeof ws);
  if (!same_shape(got, want)) {
    fprintf(stderr, "%s: got %s, expected %s\n", what, gs, ws);
    return 0;
  }
  int kind = compare_kind(want->dtype);
  if (kind == CMP_NONE) {
    fprintf(stderr, "%s: %s: node_test cannot compare this type\n", what, ws);
    return 0;
  }
  size_t esize = oq_dtype_size(want->dtype);
  int64_t n = oq_tensor_numel(want), bad = 0, worst = -1;
  double max_err = 0.0;
  for (int64_t i = 0; i < n; i++) {
    double g = element(got, i), w = element(want, i), e;
    int ok;
    if (kind == CMP_EXACT) {
      /* the bytes, not doubles: int64 values above 2^53 must not round together */
      ok = memcmp((const uint8_t *)got->data + (size_t)i * esize, (const uint8_t *)want->data + (size_t)i * esize,
                  esize) == 0;
      e = ok ? 0.0 : fabs(g - w);
      if (!ok && e == 0.0) e = INFINITY;
    } else if (isnan(w) || isnan(g)) {
      ok = isnan(w) && isnan(g);
      e = ok ? 0.0 : INFINITY;
    } else if (isinf(w) || isinf(g)) {
      ok = g == w;
      e = ok ? 0.0 : INFINITY;
    } else {
      e = fabs(g - w);
      ok = e <= tol.atol + tol.rtol * fabs(w);
    }
    if (worst < 0 || e > max_err) {
      max_err = e;
      worst = i;
    }
    if (!ok) bad++;
  }
  printf("%s: %s, max abs error %g", what, ws, max_err);
  if (worst >= 0)
    printf(" (at %lld: got %.9g, expected %.9g)", (long long)worst, element(got, worst), element(want, worst));
  printf(", %lld of %lld out of tolerance\n", (long long)bad, (long long)n);
  return bad == 0;
}

/* Returns 1 when a and b are the same tensor bit for bit. */
static int identical(const char *what, const oq_tensor *a, const oq_tensor *b) {
  if (!same_shape(a, b) || a->nbytes != b->nbytes || (a->nbytes && memcmp(a->data, b->data, a->nbytes) != 0)) {
    fprintf(stderr, "%s: differs from the single-threaded run\n", what);
    return 0;
  }
  return 1;
}

static int is_data_set(const struct dirent *e) { return strncmp(e->d_name, "test_data_set_", 14) == 0; }

static int parse_double(const char *s, double *out) {
  char *end = NULL;
  errno = 0;
  double v = strtod(s, &end);
  if (errno || end == s || *end || !(v >= 0.0) || isinf(v)) return 0;
  *out = v;
  return 1;
}

static void release_all(oq_tensor *t, int32_t n) {
  for (int32_t i = 0; i < n; i++) oq_tensor_release(&t[i]);
}

int main(int argc, char **argv) {
  tolerance tol = {1e-7, 1e-3};
  long threads = 1;
  const char *dir = NULL;
  int usage = argc < 2;
  for (int i = 1; i < argc && !usage; i++) {
    char *end = NULL;
    if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = strtol(argv[++i], &end, 10);
      usage = !*argv[i] || *end || threads < 1 || threads > 1024;
    } else if (strcmp(argv[i], "--atol") == 0 && i + 1 < argc) {
      usage = !parse_double(argv[++i], &tol.atol);
    } else if (strcmp(argv[i], "--rtol") == 0 && i + 1 < argc) {
      usage = !parse_double(argv[++i], &tol.rtol);
    } else {
      usage = argv[i][0] == '-' || i != argc - 1;
      dir = argv[i];
    }
  }
  if (usage || !dir) {
    fprintf(stderr, "usage: %s [--threads N] [--atol A] [--rtol R] <onnx node test dir>\n", argv[0]);
    return 2;
  }
  char path[4096];
  oq_error err = {0};
  oq_model *model = NULL;
  oq_session *session = NULL, *single = NULL;
  struct dirent **sets = NULL;
  oq_tensor *ins = NULL, *outs = NULL, *ref = NULL;
  int n_sets = 0, rc = 0;
  snprintf(path, sizeof path, "%s/model.onnx", dir);
  if (oq_model_load(path, &model, &err) != OQ_OK) {
    fprintf(stderr, "load: %s\n", err.msg);
    return 2;
  }
  oq_session_options opts;
  oq_session_options_init(&opts);
  opts.threads = (int32_t)threads;
  if (oq_session_create(model, &opts, &session, &err) != OQ_OK ||
      (threads > 1 && oq_session_create(model, NULL, &single, &err) != OQ_OK)) {
    fprintf(stderr, "plan: %s\n", err.msg);
    rc = 2;
    goto done;
  }
  n_sets = scandir(dir, &sets, is_data_set, alphasort);
  if (n_sets <= 0) {
    fprintf(stderr, "%s: no test_data_set_* folders\n", dir);
    rc = 2;
    goto done;
  }
  int32_t n_in = oq_model_input_count(model), n_out = oq_model_output_count(model);
  ins = calloc((size_t)n_in + 1, sizeof *ins);
  outs = calloc((size_t)n_out + 1, sizeof *outs);
  ref = calloc((size_t)n_out + 1, sizeof *ref);
  if (!ins || !outs || !ref) {
    fprintf(stderr, "out of memory\n");
    rc = 2;
    goto done;
  }
  for (int s = 0; rc != 2 && s < n_sets; s++) {
    int32_t loaded = 0;
    for (; loaded < n_in; loaded++) {
      snprintf(path, sizeof path, "%s/%s/input_%d.pb", dir, sets[s]->d_name, (int)loaded);
      if (!load_tensor(model, path, &ins[loaded])) break;
    }
    if (loaded < n_in) {
      rc = 2;
    } else if (oq_session_run(session, n_in, ins, n_out, outs, &err) != OQ_OK) {
      fprintf(stderr, "%s: run: %s\n", sets[s]->d_name, err.msg);
      rc = 2;
    } else if (single && oq_session_run(single, n_in, ins, n_out, ref, &err) != OQ_OK) {
      fprintf(stderr, "%s: single-threaded run: %s\n", sets[s]->d_name, err.msg);
      release_all(outs, n_out);
      rc = 2;
    } else {
      for (int32_t j = 0; j < n_out; j++) {
        oq_tensor want = {0};
        snprintf(path, sizeof path, "%s/%s/output_%d.pb", dir, sets[s]->d_name, (int)j);
        if (!load_tensor(model, path, &want)) {
          rc = 2;
          break;
        }
        char what[512];
        snprintf(what, sizeof what, "%s output %d '%s'", sets[s]->d_name, (int)j, oq_model_output_name(model, j));
        if (!compare(what, &outs[j], &want, tol)) rc = 1;
        if (single && !identical(what, &outs[j], &ref[j])) rc = 1;
        oq_tensor_release(&want);
      }
      release_all(outs, n_out);
      if (single) release_all(ref, n_out);
    }
    release_all(ins, loaded);
  }
done:
  for (int s = 0; s < n_sets; s++) free(sets[s]);
  free(sets);
  free(ins);
  free(outs);
  free(ref);
  oq_session_free(single);
  oq_session_free(session);
  oq_model_free(model);
  if (rc == 0) printf("PASS (%d data sets, %ld thread%s)\n", n_sets, threads, threads > 1 ? "s" : "");
  return rc;
}
