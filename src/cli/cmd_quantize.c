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
    "Usage: onnxq quantize MODEL --calib DATA_DIR -o OUT [--per-tensor] [--threads N] [--no-fold]\n"
    "\n"
    "Runs every sample folder inside DATA_DIR (name order) through MODEL on onnxq's CPU executor, learns the\n"
    "range of each activation, and writes a QDQ model (QuantizeLinear/DequantizeLinear pairs, int8 weights) to\n"
    "OUT atomically. Prints one summary line on stdout.\n"
    "\n"
    "Options:\n"
    "  -c, --calib DATA_DIR   folder of sample folders (each as for 'onnxq run --inputs')\n"
    "  -o, --output OUT       file to write (must differ from MODEL)\n"
    "  --per-tensor           one scale per weight tensor instead of one per output channel\n"
    "  -t, --threads N        calibration worker threads (default 1)\n"
    "  --no-fold              skip the preparation passes (Identity/Dropout removal, constant folding,\n"
    "                         BatchNormalization folding); opset conversion still happens\n"
    "  -h, --help             show this help and exit\n";

/* Sample folders as the quantizer sees them: sub-folders not starting with '.'. Only for the summary line. */
static long count_samples(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return -1;
  long n = 0;
  struct dirent *e;
  size_t dl = strlen(dir);
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    size_t nl = strlen(e->d_name);
    char *p = malloc(dl + nl + 2);
    if (!p) break;
    snprintf(p, dl + nl + 2, "%s/%s", dir, e->d_name);
    struct stat sb;
    if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) n++;
    free(p);
  }
  closedir(d);
  return n;
}

int cli_quantize(int argc, char **argv) {
  enum { OPT_PER_TENSOR = 256, OPT_NO_FOLD };
  static const struct option opts[] = {{"calib", required_argument, NULL, 'c'},
                                       {"output", required_argument, NULL, 'o'},
                                       {"threads", required_argument, NULL, 't'},
                                       {"per-tensor", no_argument, NULL, OPT_PER_TENSOR},
                                       {"help", no_argument, NULL, 'h'},
                                       {"no-fold", no_argument, NULL, OPT_NO_FOLD},
                                       {NULL, 0, NULL, 0}};
  const char *calib = NULL, *out_path = NULL;
  oq_quant_options qo;
  oq_quant_options_init(&qo);
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":hc:o:t:", opts, NULL)) != -1) {
    switch (c) {
    case 'c': calib = optarg; break;
    case 'o': out_path = optarg; break;
    case 't':
      if (!cli_parse_threads(optarg, &qo.threads))
        return cli_usage_error("quantize", "--threads needs a number from 1 to 1024, got '%s'", optarg);
      break;
    case OPT_PER_TENSOR: qo.per_channel = 0; break;
    case OPT_NO_FOLD: qo.fold = 0; break;
    case 'h': fputs(k_help, stdout); return cli_finish_stdout();
    default: return cli_bad_option("quantize", c, argv);
    }
  }
  if (optind >= argc) return cli_usage_error("quantize", "missing MODEL");
  if (argc - optind > 1) return cli_usage_error("quantize", "unexpected argument '%s'", argv[optind + 1]);
  if (!calib || !*calib) return cli_usage_error("quantize", "missing --calib DATA_DIR");
  if (!out_path || !*out_path) return cli_usage_error("quantize", "missing -o OUT");
  const char *model_path = argv[optind];
  if (cli_same_file(model_path, out_path)) return cli_fail("%s: output would overwrite the input model", out_path);
  if (cli_check_output_file(out_path) != CLI_EXIT_OK) return CLI_EXIT_FAIL;

  oq_error err = {0};
  oq_model *model = NULL, *q = NULL;
  if (oq_model_load(model_path, &model, &err) != OQ_OK) return cli_fail_err(model_path, &err);
  if (oq_quantize(model, calib, &qo, &q, &err) != OQ_OK) {
    oq_model_free(model);
    /* a sample problem names the calibration folder; anything else is about the model */
    return cli_fail_err(cli_error_in(&err, calib) ? calib : model_path, &err);
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
  long samples = count_samples(calib);
  oq_model_free(q);
  printf("%s: %ld calibration samples, %d of %d nodes quantized (%d nodes with Q/DQ), %s weights\n", out_path, samples,
         (int)after.quantized_nodes, (int)before.nodes, (int)after.nodes,
         qo.per_channel ? "per-channel" : "per-tensor");
  return cli_finish_stdout();
}
