/* onnxq inspect: prints the model summary from oq_model_describe. */
#define _POSIX_C_SOURCE 200809L

#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char k_help[] =
    "Usage: onnxq inspect MODEL [--json]\n"
    "\n"
    "Loads MODEL (checking its graph and external data) and prints a summary: opsets, inputs and outputs with\n"
    "dtypes and shapes, operator counts, parameter count and the model fingerprint.\n"
    "\n"
    "Options:\n"
    "  --json       print the summary as one JSON document\n"
    "  -h, --help   show this help and exit\n";

int cli_inspect(int argc, char **argv) {
  static const struct option opts[] = {
      {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  int json = 0, c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
    switch (c) {
    case 'j': json = 1; break;
    case 'h': fputs(k_help, stdout); return cli_finish_stdout();
    default: return cli_bad_option("inspect", c, argv);
    }
  }
  if (optind >= argc) return cli_usage_error("inspect", "missing MODEL");
  if (argc - optind > 1) return cli_usage_error("inspect", "unexpected argument '%s'", argv[optind + 1]);
  const char *model_path = argv[optind];

  oq_error err = {0};
  oq_model *model = NULL;
  char *text = NULL;
  if (oq_model_load(model_path, &model, &err) != OQ_OK) return cli_fail_err(model_path, &err);
  if (oq_model_describe(model, json ? OQ_DESCRIBE_JSON : 0, &text, &err) != OQ_OK) {
    oq_model_free(model);
    return cli_fail_err(model_path, &err);
  }
  oq_model_free(model);
  size_t n = strlen(text);
  fputs(text, stdout);
  if (n == 0 || text[n - 1] != '\n') fputc('\n', stdout);
  oq_free(text);
  return cli_finish_stdout();
}
