/* A program outside the project that uses only the installed header and library (found through pkg-config). */
#include <onnxq.h>
#include <stdio.h>
int main(int argc, char **argv) {
  oq_error err = {0};
  oq_model *m = NULL;
  if (oq_model_load(argv[1], &m, &err) != OQ_OK) {
    fprintf(stderr, "%s\n", err.msg);
    return 1;
  }
  printf("onnxq %s: %d inputs, fingerprint %016llx\n", oq_version(), (int)oq_model_input_count(m),
         (unsigned long long)oq_model_fingerprint(m));
  oq_model_free(m);
  return argc > 2;
}
