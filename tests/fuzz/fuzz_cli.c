/* The command's argument parsing: the input is split at NUL or newline bytes into at most 24 arguments after
 * "onnxq" and given to the command's main (compiled as onnxq_cli_main), in a scratch folder holding a small
 * model (m.onnx), a sample folder (s/x.npy) and a calibration folder (c/sample_000/x.npy), so that mutations reach
 * real commands. Any crash or sanitizer report is a finding; outputs are removed after each input. */
#include "fuzz_common.h"

#include <getopt.h>

int onnxq_cli_main(int argc, char **argv);

static const uint8_t k_identity[] = {0x08, 0x07, 0x3a, 0x2b, 0x0a, 0x10, 0x0a, 0x01, 0x78, 0x12, 0x01, 0x79, 0x22, 0x08,
                                     0x49, 0x64, 0x65, 0x6e, 0x74, 0x69, 0x74, 0x79, 0x12, 0x01, 0x67, 0x5a, 0x09, 0x0a,
                                     0x01, 0x78, 0x12, 0x04, 0x0a, 0x02, 0x08, 0x01, 0x62, 0x09, 0x0a, 0x01, 0x79, 0x12,
                                     0x04, 0x0a, 0x02, 0x08, 0x01, 0x42, 0x04, 0x0a, 0x00, 0x10, 0x0d};

static void setup(void) {
  static int done;
  if (done) return;
  done = 1;
  if (chdir(fz_dir()) != 0) abort();
}

static void populate(void) {
  /* a float32 [2] .npy: 10 bytes of preamble, the header padded with spaces to 118 bytes, 8 bytes of data */
  uint8_t npy[136];
  const char *h = "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }";
  memcpy(npy, "\x93NUMPY\x01\x00\x76\x00", 10);
  memset(npy + 10, ' ', 118);
  memcpy(npy + 10, h, strlen(h));
  npy[127] = '\n';
  const float v[2] = {1.0f, 2.0f};
  memcpy(npy + 128, v, sizeof v);
  fz_write("m.onnx", k_identity, sizeof k_identity);
  mkdir("s", 0700);
  mkdir("c", 0700);
  mkdir("c/sample_000", 0700);
  fz_write("s/x.npy", npy, sizeof npy);
  fz_write("c/sample_000/x.npy", npy, sizeof npy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  setup();
  fz_reset();
  if (chdir(fz_dir()) != 0) abort(); /* the folder was made anew */
  populate();
  if (size > 4096) return 0;
  char *buf = malloc(size + 1);
  if (!buf) abort();
  memcpy(buf, data, size);
  buf[size] = '\0';
  char *argv[26];
  int argc = 0;
  argv[argc++] = (char *)"onnxq";
  char *p = buf, *end = buf + size;
  while (p <= end && argc < 25) {
    argv[argc++] = p;
    while (p < end && *p != '\n' && *p != '\0') p++;
    *p = '\0';
    p++;
  }
  argv[argc] = NULL;
  /* The commands set optind = 1, which keeps glibc's scan position of the previous call (pointing into the freed
   * arguments of the previous input): a call with optind = 0 reinitializes getopt completely first. */
  char *none[] = {(char *)"onnxq", NULL};
  optind = 0;
  opterr = 0;
  (void)getopt(1, none, ":");
  (void)onnxq_cli_main(argc, argv);
  fflush(stdout);
  free(buf);
  return 0;
}
