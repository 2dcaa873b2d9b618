/* A program outside the project that uses only the installed header and library (found through pkg-config): it
 * loads the model given, describes it, looks its inputs up by name, and runs it once on zeros through a session,
 * using size-versioned options, counted arrays and oq_free. */
#include <onnxq.h>
#include <stdio.h>
#include <string.h>

#define MAX_IO 16

int main(int argc, char **argv) {
  oq_error err = {0};
  oq_model *m = NULL;
  oq_session *s = NULL;
  oq_tensor in[MAX_IO], out[MAX_IO];
  char *text = NULL;
  int rc = 1;
  memset(in, 0, sizeof in);
  memset(out, 0, sizeof out);
  if (argc < 2 || oq_version_number() != OQ_VERSION_NUMBER) return 1;
  if (oq_model_load(argv[1], &m, &err) != OQ_OK) goto done;
  int32_t n_in = oq_model_input_count(m), n_out = oq_model_output_count(m);
  if (n_in > MAX_IO || n_out > MAX_IO) goto done;
  if (oq_model_describe(m, OQ_DESCRIBE_JSON, &text, &err) != OQ_OK) goto done;
  for (int32_t i = 0; i < n_in; i++) {
    oq_value_info info;
    oq_value_info_init(&info);
    if (oq_model_input_info(m, i, &info, &err) != OQ_OK) goto done;
    if (oq_model_find_input(m, info.name) != i || info.rank < 0) goto done;
    int64_t dims[OQ_MAX_DIMS];
    for (int32_t d = 0; d < info.rank; d++) dims[d] = info.dims[d] < 0 ? 1 : info.dims[d]; /* batch 1 */
    if (oq_tensor_alloc(&in[i], info.dtype, info.rank, dims, &err) != OQ_OK) goto done;
  }
  oq_session_options so;
  oq_session_options_init(&so);
  so.threads = 2;
  if (oq_session_create(m, &so, &s, &err) != OQ_OK) goto done;
  if (oq_session_run(s, n_in, in, n_out, out, &err) != OQ_OK) goto done;
  printf("onnxq %s: %d inputs, %d outputs, fingerprint %016llx, %zu bytes of JSON\n", oq_version(), (int)n_in,
         (int)n_out, (unsigned long long)oq_model_fingerprint(m), strlen(text));
  rc = 0;
done:
  if (rc) fprintf(stderr, "%s\n", err.msg);
  for (int32_t i = 0; i < MAX_IO; i++) {
    oq_tensor_release(&in[i]);
    oq_tensor_release(&out[i]);
  }
  oq_free(text);
  oq_session_free(s);
  oq_model_free(m);
  return rc;
}
