/* onnxq calibrate: runs calibration samples and writes a calibration table (or converts a table into a TensorRT
 * calibration cache). */
#define _POSIX_C_SOURCE 200809L

#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char k_help[] =
    "Usage: onnxq calibrate MODEL --calib DATA -o TABLE [--shard K/N] [--threads N] [options]\n"
    "       onnxq calibrate MODEL --table TABLE --trt-cache OUT [--method M ...]\n"
    "\n"
    "Runs the calibration samples in DATA through MODEL and writes the statistics (min/max, histograms,\n"
    "counts, sample identities) keyed by the model fingerprint to TABLE. Tables of shards combine with\n"
    "'onnxq merge'; 'onnxq quantize MODEL --table TABLE' quantizes from one with any method. With --trt-cache,\n"
    "writes the ranges the range method picks as a TensorRT calibration cache (from --table, or from --calib).\n"
    "\n"
    "Options:\n"
    "  -c, --calib DATA       calibration data\n"
    "  --table TABLE          an existing table (for --trt-cache)\n"
    "  -o, --output TABLE     table to write\n"
    "  --trt-cache OUT        also (or only) write a TensorRT calibration cache\n"
    "  -t, --threads N        worker threads (default 1)\n"
    "      --max-tensor-bytes B\n"
    "                         no tensor may hold more than B bytes (default: 4 GiB)\n"
    "      --max-seconds S    stop with an error when a node would start after S seconds (default: none)\n"
    "  -h, --help             show this help and exit\n"
    "\n" CLI_HELP_RANGE "\n" CLI_HELP_DATA;

int cli_calibrate(int argc, char **argv) {
  if (cli_take_limits("calibrate", &argc, argv)) return CLI_EXIT_FAIL; /* --max-tensor-bytes, --max-seconds */
  static const struct option opts[] = {{"calib", required_argument, NULL, 'c'},
                                       {"output", required_argument, NULL, 'o'},
                                       {"threads", required_argument, NULL, 't'},
                                       {"table", required_argument, NULL, CLI_OPT_TABLE},
                                       {"trt-cache", required_argument, NULL, CLI_OPT_TRT},
                                       {"help", no_argument, NULL, 'h'},
                                       CLI_DATA_OPTIONS,
                                       CLI_RANGE_OPTIONS,
                                       {NULL, 0, NULL, 0}};
  const char *calib = NULL, *out_path = NULL, *table_path = NULL, *trt = NULL;
  cli_calib cc;
  cli_calib_init(&cc);
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":hc:o:t:", opts, NULL)) != -1) {
    switch (c) {
    case 'c': calib = optarg; break;
    case 'o': out_path = optarg; break;
    case 't':
      if (!cli_parse_threads(optarg, &cc.o.threads))
        return cli_usage_error("calibrate", "--threads needs a number from 1 to 1024, got '%s'", optarg);
      break;
    case CLI_OPT_TABLE: table_path = optarg; break;
    case CLI_OPT_TRT: trt = optarg; break;
    case 'h': fputs(k_help, stdout); return cli_finish_stdout();
    default: {
      int r = cli_calib_option("calibrate", c, optarg, &cc);
      if (r < 0) break;
      if (r > 0) return r;
      return cli_bad_option("calibrate", c, argv);
    }
    }
  }
  if (optind >= argc) return cli_usage_error("calibrate", "missing MODEL");
  if (argc - optind > 1) return cli_usage_error("calibrate", "unexpected argument '%s'", argv[optind + 1]);
  if (calib && table_path) return cli_usage_error("calibrate", "give either --calib or --table, not both");
  if (!calib && !table_path) return cli_usage_error("calibrate", "missing --calib DATA");
  if (table_path && !trt) return cli_usage_error("calibrate", "--table needs --trt-cache OUT");
  if (calib && !out_path && !trt) return cli_usage_error("calibrate", "missing -o TABLE");
  if (table_path && out_path) return cli_usage_error("calibrate", "-o writes a new table: use it with --calib");
  const char *model_path = argv[optind];
  if (out_path && cli_check_output_file(out_path) != CLI_EXIT_OK) return CLI_EXIT_FAIL;
  if (trt && cli_check_output_file(trt) != CLI_EXIT_OK) return CLI_EXIT_FAIL;

  oq_error err = {0};
  oq_model *model = NULL;
  oq_calib_table *table = NULL;
  int rc = CLI_EXIT_OK;
  if (oq_model_load(model_path, &model, &err) != OQ_OK) return cli_fail_err(model_path, &err);
  /* statistics of the model quantize works on (prepared: converted and folded), so tables match it */
  if (cli_prepare(&model, 1, model_path) != CLI_EXIT_OK) return CLI_EXIT_FAIL;
  cli_calib_start(&cc);
  if (table_path) {
    if (oq_calib_table_load(table_path, &table, &err) != OQ_OK) {
      rc = cli_fail_err(table_path, &err);
      goto done;
    }
  } else {
    cc.o.bins = cc.q.bins;
    if (oq_calibrate(model, calib, &cc.o, &table, &err) != OQ_OK) {
      rc = cli_fail_err(cli_error_in(&err, calib) ? calib : model_path, &err);
      goto done;
    }
  }
  if (out_path && oq_calib_table_save(table, out_path, &err) != OQ_OK) {
    rc = cli_fail_err(out_path, &err);
    goto done;
  }
  if (trt && oq_calib_table_export_trt(model, table, &cc.q, trt, &err) != OQ_OK) {
    rc = cli_fail_err(trt, &err);
    goto done;
  }
  if (cc.o.shard_count > 1)
    printf("%s: %lld calibration samples (shard %d/%d), %.2fs\n", out_path ? out_path : trt,
           (long long)oq_calib_table_samples(table), (int)cc.o.shard_index + 1, (int)cc.o.shard_count,
           cli_calib_elapsed(&cc));
  else
    printf("%s: %lld calibration samples, %.2fs\n", out_path ? out_path : trt, (long long)oq_calib_table_samples(table),
           cli_calib_elapsed(&cc));
  rc = cli_finish_stdout();
done:
  oq_calib_table_free(table);
  oq_model_free(model);
  return rc;
}
