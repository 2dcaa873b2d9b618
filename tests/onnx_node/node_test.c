/* ONNX backend node test runner: `node_test <dir>` where dir is one test of the ONNX test data (model.onnx and
 * test_data_set_N/input_K.pb and output_K.pb). Runs every data set through an onnxq session and compares each output
 * with the expected one (|got - want| <= atol + rtol * |want|, NaN matches NaN, integer types exactly). Prints the
 * largest error per output; exits 0 when all match, 1 on a mismatch, 2 when something could not run. */
#define _POSIX_C_SOURCE 200809L /* scandir */
#include "onnxq.h"
#include "model/model.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RTOL 1e-3
#define ATOL 1e-4

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

static double element(const oq_tensor *t, int64_t i) {
  switch (t->dtype) {
  case OQ_DTYPE_FLOAT: return ((const float *)t->data)[i];
  case OQ_DTYPE_DOUBLE: return ((const double *)t->data)[i];
  case OQ_DTYPE_UINT8: return ((const uint8_t *)t->data)[i];
  case OQ_DTYPE_INT8: return ((const int8_t *)t->data)[i];
  case OQ_DTYPE_BOOL: return ((const uint8_t *)t->data)[i];
  case OQ_DTYPE_UINT16: return ((const uint16_t *)t->data)[i];
  case OQ_DTYPE_INT16: return ((const int16_t *)t->data)[i];
  case OQ_DTYPE_INT32: return ((const int32_t *)t->data)[i];
  case OQ_DTYPE_UINT32: return ((const uint32_t *)t->data)[i];
  case OQ_DTYPE_INT64: return (double)((const int64_t *)t->data)[i];
  case OQ_DTYPE_UINT64: return (double)((const uint64_t *)t->data)[i];
  default: return NAN;
  }
}

static void shape_str(const oq_tensor *t, char *buf, size_t cap) {
  size_t used = (size_t)snprintf(buf, cap, "%s [", oq_dtype_name(t->dtype));
  for (int32_t i = 0; i < t->ndim && used < cap; i++)
    used += (size_t)snprintf(buf + used, cap - used, "%s%lld", i ? ", " : "", (long long)t->dims[i]);
  if (used < cap) snprintf(buf + used, cap - used, "]");
}

/* Returns 1 when got matches want. */
static int compare(const char *what, const oq_tensor *got, const oq_tensor *want) {
  char gs[256], ws[256];
  shape_str(got, gs, sizeof gs);
  shape_str(want, ws, sizeof ws);
  int same_shape = got->dtype == want->dtype && got->ndim == want->ndim;
  for (int32_t i = 0; same_shape && i < got->ndim; i++) same_shape = got->dims[i] == want->dims[i];
  if (!same_shape) {
    fprintf(stderr, "%s: got %s, expected %s\n", what, gs, ws);
    return 0;
  }
  int exact = want->dtype != OQ_DTYPE_FLOAT && want->dtype != OQ_DTYPE_DOUBLE;
  int64_t n = oq_tensor_numel(want), bad = 0, worst = -1;
  double max_err = 0.0;
  for (int64_t i = 0; i < n; i++) {
    double g = element(got, i), w = element(want, i);
    if (isnan(w) && isnan(g)) continue;
    double e = fabs(g - w);
    if (isinf(w) && g == w) e = 0.0;
    int ok = exact ? e == 0.0 : e <= ATOL + RTOL * fabs(w);
    if (!(e <= max_err) || worst < 0) {
      if (!(e <= max_err)) max_err = isnan(e) ? INFINITY : e;
      worst = i;
    }
    if (!ok) bad++;
  }
  printf("%s: %s, max abs error %g", what, ws, max_err);
  if (worst >= 0)
    printf(" (at %lld: got %g, expected %g)", (long long)worst, element(got, worst), element(want, worst));
  printf(", %lld of %lld out of tolerance\n", (long long)bad, (long long)n);
  return bad == 0;
}

static int is_data_set(const struct dirent *e) { return strncmp(e->d_name, "test_data_set_", 14) == 0; }

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s <onnx node test dir>\n", argv[0]);
    return 2;
  }
  const char *dir = argv[1];
  char path[4096];
  oq_error err = {0};
  oq_model *model = NULL;
  oq_session *session = NULL;
  struct dirent **sets = NULL;
  int n_sets = 0, rc = 0;
  snprintf(path, sizeof path, "%s/model.onnx", dir);
  if (oq_model_load(path, &model, &err) != OQ_OK) {
    fprintf(stderr, "load: %s\n", err.msg);
    return 2;
  }
  if (oq_session_create(model, NULL, &session, &err) != OQ_OK) {
    fprintf(stderr, "plan: %s\n", err.msg);
    oq_model_free(model);
    return 2;
  }
  n_sets = scandir(dir, &sets, is_data_set, alphasort);
  if (n_sets <= 0) {
    fprintf(stderr, "%s: no test_data_set_* folders\n", dir);
    rc = 2;
  }
  int32_t n_in = oq_model_input_count(model), n_out = oq_model_output_count(model);
  oq_tensor *ins = calloc((size_t)n_in + 1, sizeof *ins), *outs = calloc((size_t)n_out + 1, sizeof *outs);
  for (int s = 0; rc == 0 && s < n_sets; s++) {
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
        if (!compare(what, &outs[j], &want)) rc = 1;
        oq_tensor_release(&want);
      }
      for (int32_t j = 0; j < n_out; j++) oq_tensor_release(&outs[j]);
    }
    for (int32_t i = 0; i < loaded; i++) oq_tensor_release(&ins[i]);
  }
  for (int s = 0; s < n_sets; s++) free(sets[s]);
  free(sets);
  free(ins);
  free(outs);
  oq_session_free(session);
  oq_model_free(model);
  if (rc == 0) printf("PASS\n");
  return rc;
}
