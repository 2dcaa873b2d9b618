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
    "      --max-tensor-bytes B\n"
    "                         no tensor may hold more than B bytes (default: 4 GiB)\n"
    "      --max-seconds S    stop with an error when a node would start after S seconds (default: none)\n"
    "  -h, --help             show this help and exit\n"
    "\n"
    "Types (16-bit, 4-bit and blocks write opset-21 QuantizeLinear/DequantizeLinear):\n"
    "  --activation-type T    uint8 (default), int8, uint16, int16\n"
    "  --weight-type T        int8 (default), uint8, int16, uint16, int4, uint4\n"
    "  --activation-symmetric activations over [-absmax, absmax] (default: asymmetric)\n"
    "  --weight-asymmetric    weights over [min, max] (default: symmetric)\n"
    "  --reduce-range         8-bit weights use 7 bits (CPUs without VNNI)\n"
    "  --block-size N         MatMul/Gemm weights in blocks of N (16, 32, 64, 128, ...) along the input dimension\n"
    "  --pow2-scales          every scale rounded up to a power of two (fixed-point targets)\n"
    "  --preset P             onnxruntime (default) or tensorrt (int8 symmetric, Q/DQ in front of quantized inputs)\n"
    "\n"
    "Graph:\n"
    "  --op-types A,B,...     quantize only these op types\n"
    "  --include-nodes P,...  quantize only nodes whose name matches a pattern ('*', '?', '[...]')\n"
    "  --exclude-nodes P,...  never quantize nodes whose name matches a pattern\n"
    "  --keep-float-io        no QuantizeLinear/DequantizeLinear on graph inputs and outputs\n"
    "  --align-concat         Concat inputs share the Concat output's scale (a plain copy in the runtime)\n"
    "  --requantize           accept a model that already holds Q/DQ or QLinear nodes (they are kept)\n"
    "\n"
    "Plan (docs/file-formats.md):\n"
    "  --plan-out PLAN.json   write the quantization plan: per value type, axis, range, scale, and why\n"
    "  --plan-in PLAN.json    apply an edited plan: every field that differs from this run's own plan wins\n"
    "\n" CLI_HELP_RANGE "\n" CLI_HELP_DATA;

/* A comma-separated list split in place into a malloc'd array (the strings point into s). */
static int run_quantize(int argc, char **argv, const char *calib, const char *out_path, const char *table_path,
                        cli_calib *ccp);

static int split_list(char *s, const char ***out, int32_t *n) {
  if (s[strspn(s, ",")] == '\0') return 0; /* nothing but commas */
  int32_t cnt = 1;
  for (char *p = s; *p; p++) cnt += *p == ',';
  const char **v = malloc((size_t)cnt * sizeof *v);
  if (!v) return 0;
  int32_t k = 0;
  for (char *tok = s;;) {
    char *comma = strchr(tok, ',');
    if (comma) *comma = 0;
    if (*tok) v[k++] = tok;
    if (!comma) break;
    tok = comma + 1;
  }
  free((void *)*out);
  *out = v;
  *n = k;
  return k > 0;
}

static int parse_qtype(const char *s, int32_t *out, int weight) {
  static const struct {
    const char *name;
    int32_t dtype;
    int weight_only;
  } k[] = {{"uint8", OQ_DTYPE_UINT8, 0}, {"int8", OQ_DTYPE_INT8, 0}, {"uint16", OQ_DTYPE_UINT16, 0},
           {"int16", OQ_DTYPE_INT16, 0}, {"int4", OQ_DTYPE_INT4, 1}, {"uint4", OQ_DTYPE_UINT4, 1}};
  for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
    if (!strcmp(s, k[i].name) && (weight || !k[i].weight_only)) {
      *out = k[i].dtype;
      return 1;
    }
  return 0;
}

int cli_quantize(int argc, char **argv) {
  if (cli_take_limits("quantize", &argc, argv)) return CLI_EXIT_FAIL; /* --max-tensor-bytes, --max-seconds */
  enum {
    OPT_PER_TENSOR = 256,
    OPT_ACT_TYPE,
    OPT_WEIGHT_TYPE,
    OPT_ACT_SYM,
    OPT_WEIGHT_ASYM,
    OPT_REDUCE_RANGE,
    OPT_BLOCK_SIZE,
    OPT_POW2,
    OPT_PRESET,
    OPT_OP_TYPES,
    OPT_INCLUDE,
    OPT_EXCLUDE,
    OPT_KEEP_IO,
    OPT_ALIGN_CONCAT,
    OPT_REQUANTIZE,
    OPT_PLAN_OUT,
    OPT_PLAN_IN,
    OPT_NO_FOLD
  };
  static const struct option opts[] = {{"calib", required_argument, NULL, 'c'},
                                       {"output", required_argument, NULL, 'o'},
                                       {"threads", required_argument, NULL, 't'},
                                       {"per-tensor", no_argument, NULL, OPT_PER_TENSOR},
                                       {"table", required_argument, NULL, CLI_OPT_TABLE},
                                       {"help", no_argument, NULL, 'h'},
                                       {"activation-type", required_argument, NULL, OPT_ACT_TYPE},
                                       {"weight-type", required_argument, NULL, OPT_WEIGHT_TYPE},
                                       {"activation-symmetric", no_argument, NULL, OPT_ACT_SYM},
                                       {"weight-asymmetric", no_argument, NULL, OPT_WEIGHT_ASYM},
                                       {"reduce-range", no_argument, NULL, OPT_REDUCE_RANGE},
                                       {"block-size", required_argument, NULL, OPT_BLOCK_SIZE},
                                       {"pow2-scales", no_argument, NULL, OPT_POW2},
                                       {"preset", required_argument, NULL, OPT_PRESET},
                                       {"op-types", required_argument, NULL, OPT_OP_TYPES},
                                       {"include-nodes", required_argument, NULL, OPT_INCLUDE},
                                       {"exclude-nodes", required_argument, NULL, OPT_EXCLUDE},
                                       {"keep-float-io", no_argument, NULL, OPT_KEEP_IO},
                                       {"align-concat", no_argument, NULL, OPT_ALIGN_CONCAT},
                                       {"requantize", no_argument, NULL, OPT_REQUANTIZE},
                                       {"plan-out", required_argument, NULL, OPT_PLAN_OUT},
                                       {"plan-in", required_argument, NULL, OPT_PLAN_IN},
                                       {"no-fold", no_argument, NULL, OPT_NO_FOLD},
                                       CLI_DATA_OPTIONS,
                                       CLI_RANGE_OPTIONS,
                                       {NULL, 0, NULL, 0}};
  const char *calib = NULL, *out_path = NULL, *table_path = NULL;
  cli_calib cc;
  cli_calib_init(&cc);
  oq_quant_options *qo = &cc.q;
  const char **op_types = NULL, **include = NULL, **exclude = NULL;
  int rc = CLI_EXIT_OK;
  int c;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":hc:o:t:", opts, NULL)) != -1) {
    switch (c) {
    case 'c': calib = optarg; break;
    case 'o': out_path = optarg; break;
    case 't':
      if (!cli_parse_threads(optarg, &qo->threads)) {
        rc = cli_usage_error("quantize", "--threads needs a number from 1 to 1024, got '%s'", optarg);
        goto done;
      }
      cc.o.threads = qo->threads;
      break;
    case OPT_PER_TENSOR: qo->per_channel = 0; break;
    case OPT_NO_FOLD: qo->fold = 0; break;
    case CLI_OPT_TABLE: table_path = optarg; break;
    case OPT_ACT_TYPE:
      if (!parse_qtype(optarg, &qo->act_type, 0)) {
        rc = cli_usage_error("quantize", "--activation-type needs uint8, int8, uint16 or int16, got '%s'", optarg);
        goto done;
      }
      break;
    case OPT_WEIGHT_TYPE:
      if (!parse_qtype(optarg, &qo->weight_type, 1)) {
        rc = cli_usage_error("quantize", "--weight-type needs int8, uint8, int16, uint16, int4 or uint4, got '%s'",
                             optarg);
        goto done;
      }
      break;
    case OPT_ACT_SYM: qo->act_symmetric = 1; break;
    case OPT_WEIGHT_ASYM: qo->weight_symmetric = 0; break;
    case OPT_REDUCE_RANGE: qo->reduce_range = 1; break;
    case OPT_BLOCK_SIZE: {
      uint64_t b = 0;
      if (!cli_parse_u64(optarg, &b) || b < 16 || b > 4096 || (b & (b - 1)) != 0) {
        rc = cli_usage_error("quantize", "--block-size needs a power of two from 16 to 4096, got '%s'", optarg);
        goto done;
      }
      qo->block_size = (int32_t)b;
      break;
    }
    case OPT_POW2: qo->pow2_scales = 1; break;
    case OPT_PRESET:
      if (!strcmp(optarg, "tensorrt")) {
        qo->preset = OQ_PRESET_TENSORRT;
      } else if (!strcmp(optarg, "onnxruntime")) {
        qo->preset = OQ_PRESET_ONNXRUNTIME;
      } else {
        rc = cli_usage_error("quantize", "--preset needs onnxruntime or tensorrt, got '%s'", optarg);
        goto done;
      }
      break;
    case OPT_OP_TYPES:
    case OPT_INCLUDE:
    case OPT_EXCLUDE: {
      const char ***dst = c == OPT_OP_TYPES ? &op_types : c == OPT_INCLUDE ? &include : &exclude;
      int32_t *cnt = c == OPT_OP_TYPES  ? &qo->n_op_types
                     : c == OPT_INCLUDE ? &qo->n_include_nodes
                                        : &qo->n_exclude_nodes;
      if (!split_list(optarg, dst, cnt)) {
        rc = cli_usage_error("quantize", "--%s needs a comma-separated list, got '%s'",
                             c == OPT_OP_TYPES  ? "op-types"
                             : c == OPT_INCLUDE ? "include-nodes"
                                                : "exclude-nodes",
                             optarg);
        goto done;
      }
      break;
    }
    case OPT_KEEP_IO: qo->keep_float_io = 1; break;
    case OPT_ALIGN_CONCAT: qo->align_concat = 1; break;
    case OPT_REQUANTIZE: qo->requantize = 1; break;
    case OPT_PLAN_OUT: qo->plan_out = optarg; break;
    case OPT_PLAN_IN: qo->plan_in = optarg; break;
    case 'h':
      fputs(k_help, stdout);
      rc = cli_finish_stdout();
      goto done;
    default: {
      int r = cli_calib_option("quantize", c, optarg, &cc);
      if (r < 0) break;
      rc = r > 0 ? r : cli_bad_option("quantize", c, argv);
      goto done;
    }
    }
  }
  qo->op_types = op_types;
  qo->include_nodes = include;
  qo->exclude_nodes = exclude;
  rc = run_quantize(argc, argv, calib, out_path, table_path, &cc);
done:
  free((void *)op_types);
  free((void *)include);
  free((void *)exclude);
  return rc;
}

/* Everything after option parsing: checks, calibration (or the table), quantization, save, summary. */
static int run_quantize(int argc, char **argv, const char *calib, const char *out_path, const char *table_path,
                        cli_calib *ccp) {
  cli_calib cc = *ccp;
  oq_quant_options *qo = &cc.q;
  if (optind >= argc) return cli_usage_error("quantize", "missing MODEL");
  if (argc - optind > 1) return cli_usage_error("quantize", "unexpected argument '%s'", argv[optind + 1]);
  if (calib && table_path) return cli_usage_error("quantize", "give either --calib or --table, not both");
  if ((!calib || !*calib) && (!table_path || !*table_path))
    return cli_usage_error("quantize", "missing --calib DATA (or --table TABLE)");
  if (!out_path || !*out_path) return cli_usage_error("quantize", "missing -o OUT");
  const char *model_path = argv[optind];
  if (cli_same_file(model_path, out_path)) return cli_fail("%s: output would overwrite the input model", out_path);
  if (cli_check_output_file(out_path) != CLI_EXIT_OK) return CLI_EXIT_FAIL;
  if (qo->plan_out && (cli_same_file(qo->plan_out, out_path) || cli_same_file(qo->plan_out, model_path) ||
                       (qo->plan_in && cli_same_file(qo->plan_out, qo->plan_in))))
    return cli_fail("%s: the plan would overwrite the model, the output or the plan read", qo->plan_out);

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
    /* a sample problem names the calibration data, a plan problem the plan; anything else is about the model */
    const char *subject = cli_error_in(&err, data_path)                      ? data_path
                          : qo->plan_in && cli_error_in(&err, qo->plan_in)   ? qo->plan_in
                          : qo->plan_out && cli_error_in(&err, qo->plan_out) ? qo->plan_out
                                                                             : model_path;
    return cli_fail_err(subject, &err);
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
