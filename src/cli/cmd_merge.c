/* onnxq merge: combines calibration tables of shards into one. */
#define _POSIX_C_SOURCE 200809L

#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>

static const char k_help[] =
    "Usage: onnxq merge TABLE1 TABLE2 ... -o TABLE\n"
    "\n"
    "Combines calibration tables of the same model (shards of one calibration set) into one. Refuses tables of\n"
    "another model, with another bin count, or sharing a sample. The result does not depend on the order of\n"
    "the tables: merging the N shards of 'onnxq calibrate --shard K/N' gives the same bytes as one run.\n"
    "\n"
    "Options:\n"
    "  -o, --output TABLE     table to write\n"
    "  -h, --help             show this help and exit\n";

int cli_merge(int argc, char **argv) {
  static const struct option opts[] = {
      {"output", required_argument, NULL, 'o'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
  const char *out_path = NULL;
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
    switch (c) {
    case 'o': out_path = optarg; break;
    case 'h': fputs(k_help, stdout); return cli_finish_stdout();
    default: return cli_bad_option("merge", c, argv);
    }
  }
  if (optind >= argc) return cli_usage_error("merge", "missing TABLE");
  if (!out_path || !*out_path) return cli_usage_error("merge", "missing -o TABLE");
  if (cli_check_output_file(out_path) != CLI_EXIT_OK) return CLI_EXIT_FAIL;
  oq_error err = {0};
  oq_calib_table *acc = NULL;
  for (int i = optind; i < argc; i++) {
    oq_calib_table *t = NULL;
    if (oq_calib_table_load(argv[i], &t, &err) != OQ_OK) {
      oq_calib_table_free(acc);
      return cli_fail_err(argv[i], &err);
    }
    if (!acc) {
      acc = t;
      continue;
    }
    oq_status st = oq_calib_table_merge(acc, t, &err);
    oq_calib_table_free(t);
    if (st != OQ_OK) {
      oq_calib_table_free(acc);
      return cli_fail("%s: %s", argv[i], err.msg);
    }
  }
  if (oq_calib_table_save(acc, out_path, &err) != OQ_OK) {
    oq_calib_table_free(acc);
    return cli_fail_err(out_path, &err);
  }
  printf("%s: %d tables, %lld calibration samples\n", out_path, argc - optind, (long long)oq_calib_table_samples(acc));
  oq_calib_table_free(acc);
  return cli_finish_stdout();
}
