/* onnxq quantize: calibrates on a folder of samples and writes the QDQ model. */
#define _POSIX_C_SOURCE 200809L

#include "cli/cli.h"

#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char k_help[] =
    "Usage: onnxq quantize MODEL (--calib DATA | --table TABLE) -o OUT [--per-tensor] [--threads N] [--no-fold]\n"
    "       [options]\n"
    "\n"
    "Runs the calibration samples in DATA (name order) through MODEL on onnxq's CPU executor, learns the\n"
    "range of each activation, and writes a QDQ model (QuantizeLinear/DequantizeLinear pairs, int8 weights) to\n"
    "OUT atomically. With --table, the statistics come from 'onnxq calibrate' (or a TensorRT calibration cache)\n"
    "instead. Prints one summary line on stdout.\n"
    "\n"
    "Options:\n"
    "  -c, --calib DATA       calibration data (see below)\n"
    "  --table TABLE          calibration table of this model (onnxq calibrate / merge) or TensorRT .cache\n"
    "  -o, --output OUT       file to write (must differ from MODEL)\n"
    "  --per-tensor           one scale per weight tensor instead of one per output channel\n"
    "  -t, --threads N        calibration worker threads (default 1)\n"
    "  --no-fold              skip the preparation passes (Identity/Dropout removal, constant folding,\n"
    "                         BatchNormalization folding); opset conversion still happens\n"
    "  -h, --help             show this help and exit\n"
    "\n" CLI_HELP_RANGE "\n" CLI_HELP_DATA;

int cli_quantize(int argc, char **argv) {
  enum { OPT_PER_TENSOR = 256, OPT_NO_FOLD };
  static const struct option opts[] = {{"calib", required_argument, NULL, 'c'},
                                       {"output", required_argument, NULL, 'o'},
                                       {"threads", required_argument, NULL, 't'},
                                       {"per-tensor", no_argument, NULL, OPT_PER_TENSOR},
                                       {"table", required_argument, NULL, CLI_OPT_TABLE},
                                       {"help", no_argument, NULL, 'h'},
                                       {"no-fold", no_argument, NULL, OPT_NO_FOLD},
                                       CLI_DATA_OPTIONS,
                                       CLI_RANGE_OPTIONS,
                                       {NULL, 0, NULL, 0}};
  const char *calib = NULL, *out_path = NULL, *table_path = NULL;
  cli_calib cc;
  cli_calib_init(&cc);
  oq_quant_options *qo = &cc.q;
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":hc:o:t:", opts, NULL)) != -1) {
    switch (c) {
    case 'c': calib = optarg; break;
    case 'o': out_path = optarg; break;
    case 't':
      if (!cli_parse_threads(optarg, &qo->threads))
        return cli_usage_error("quantize", "--threads needs a number from 1 to 1024, got '%s'", optarg);
      cc.o.threads = qo->threads;
      break;
    case OPT_PER_TENSOR: qo->per_channel = 0; break;
    case OPT_NO_FOLD: qo->fold = 0; break;
    case CLI_OPT_TABLE: table_path = optarg; break;
    case 'h': fputs(k_help, stdout); return cli_finish_stdout();
    default: {
      int r = cli_calib_option("quantize", c, optarg, &cc);
      if (r < 0) break;
      if (r > 0) return r;
      return cli_bad_option("quantize", c, argv);
    }
    }
  }
  if (optind >= argc) return cli_usage_error("quantize", "missing MODEL");
  if (argc - optind > 1) return cli_usage_error("quantize", "unexpected argument '%s'", argv[optind + 1]);
  if (calib && table_path) return cli_usage_error("quantize", "give either --calib or --table, not both");
  if ((!calib || !*calib) && (!table_path || !*table_path))
    return cli_usage_error("quantize", "missing --calib DATA (or --table TABLE)");
  if (!out_path || !*out_path) return cli_usage_error("quantize", "missing -o OUT");
  const char *model_path = argv[optind];
  if (cli_same_file(model_path, out_path)) return cli_fail("%s: output would overwrite the input model", out_path);
  if (cli_check_output_file(out_path) != CLI_EXIT_OK) return CLI_EXIT_FAIL;

  oq_error err = {0};
  oq_model *model = NULL, *q = NULL;
  oq_calib_table *table = NULL;
  if (oq_model_load(model_path, &model, &err) != OQ_OK) return cli_fail_err(model_path, &err);
  if (cli_prepare(&model, qo->fold, model_path) != CLI_EXIT_OK) return CLI_EXIT_FAIL;
  cli_calib_start(&cc);
  oq_status qst;
  const char *data_path = calib ? calib : table_path;
  if (table_path) {
    qst = oq_calib_table_load(table_path, &table, &err);
    if (qst == OQ_OK) qst = oq_quantize_table(model, table, qo, &q, &err);
  } else {
    /* the same statistics as 'onnxq calibrate', so a table and a direct run give the same model */
    cc.o.bins = qo->method == OQ_CALIB_MINMAX ? 0 : qo->bins; /* min/max need no histograms */
    qst = oq_calibrate(model, calib, &cc.o, &table, &err);
    if (qst == OQ_OK) qst = oq_quantize_table(model, table, qo, &q, &err);
  }
  int64_t samples = oq_calib_table_samples(table);
  oq_calib_table_free(table);
  if (qst != OQ_OK) {
    oq_model_free(model);
    /* a sample problem names the calibration data; anything else is about the model */
    return cli_fail_err(cli_error_in(&err, data_path) ? data_path : model_path, &err);
  }
  oq_model_stats before, after;
  oq_model_stats_init(&before);
  oq_model_stats_init(&after);
  oq_status st = oq_model_get_stats(model, &before, &err);
  oq_model_free(model);
  if (st == OQ_OK) st = oq_model_get_stats(q, &after, &err);
  if (st != OQ_OK) {
    oq_model_free(q);
    return cli_fail_err(model_path, &err);
  }
  if (oq_model_save(q, out_path, NULL, &err) != OQ_OK) {
    oq_model_free(q);
    return cli_fail_err(out_path, &err);
  }
  oq_model_free(q);
  printf("%s: %lld calibration samples, %d of %d nodes quantized (%d nodes with Q/DQ), %s weights, method %s, "
         "%.2fs\n",
         out_path, (long long)samples, (int)after.quantized_nodes, (int)before.nodes, (int)after.nodes,
         qo->per_channel ? "per-channel" : "per-tensor", cli_calib_method_name(qo->method), cli_calib_elapsed(&cc));
  return cli_finish_stdout();
}
