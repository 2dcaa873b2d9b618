/* onnxq convert: loads a model and saves it again, optionally converted to a newer opset (and folded), optionally
 * moving large tensors to an external data file. */
#define _POSIX_C_SOURCE 200809L

#include "cli/cli.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char k_help[] =
    "Usage: onnxq convert MODEL -o OUT [--opset N] [--fold] [--external-data NAME] [--size-threshold BYTES]\n"
    "\n"
    "Loads MODEL (resolving its external data) and writes it to OUT atomically. Without --external-data every\n"
    "tensor is stored inline (unless the file would exceed 2 GiB).\n"
    "\n"
    "Options:\n"
    "  -o, --output OUT            file to write (must differ from MODEL)\n"
    "  --opset N                   convert the model to default-domain opset N (1..21; never lowered): every\n"
    "                              operator whose inputs, attributes or meaning changed is rewritten, Constant\n"
    "                              nodes holding tensors become initializers\n"
    "  --fold                      also prepare the model as 'onnxq quantize' does: remove Identity/Dropout,\n"
    "                              fold constants and BatchNormalization\n"
    "  --external-data NAME        store tensors of at least BYTES bytes in NAME, a file name (no folder)\n"
    "                              next to OUT\n"
    "  --size-threshold BYTES      threshold for --external-data (default 1024)\n"
    "  -h, --help                  show this help and exit\n";

/* OUT's folder joined with name (malloc'd). */
static char *sibling(const char *out, const char *name) {
  const char *slash = strrchr(out, '/');
  size_t dl = slash ? (size_t)(slash - out) + 1 : 0;
  size_t nl = strlen(name);
  char *p = malloc(dl + nl + 1);
  if (!p) return NULL;
  memcpy(p, out, dl);
  memcpy(p + dl, name, nl + 1);
  return p;
}

int cli_convert(int argc, char **argv) {
  enum { OPT_EXT = 256, OPT_THRESH, OPT_OPSET, OPT_FOLD };
  static const struct option opts[] = {{"output", required_argument, NULL, 'o'},
                                       {"external-data", required_argument, NULL, OPT_EXT},
                                       {"size-threshold", required_argument, NULL, OPT_THRESH},
                                       {"opset", required_argument, NULL, OPT_OPSET},
                                       {"fold", no_argument, NULL, OPT_FOLD},
                                       {"help", no_argument, NULL, 'h'},
                                       {NULL, 0, NULL, 0}};
  const char *out_path = NULL, *ext = NULL;
  oq_save_options so;
  oq_save_options_init(&so);
  oq_prepare_options po;
  oq_prepare_options_init(&po);
  po.fold = 0;
  int have_thresh = 0, prepare = 0, c;
  uint64_t opset;
  opterr = 0;
  optind = 1;
  while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
    switch (c) {
    case 'o': out_path = optarg; break;
    case OPT_EXT: ext = optarg; break;
    case OPT_THRESH:
      if (!cli_parse_u64(optarg, &so.size_threshold))
        return cli_usage_error("convert", "--size-threshold needs a byte count, got '%s'", optarg);
      have_thresh = 1;
      break;
    case OPT_OPSET:
      if (!cli_parse_u64(optarg, &opset) || opset < 1 || opset > 21)
        return cli_usage_error("convert", "--opset needs a number from 1 to 21, got '%s'", optarg);
      po.opset = (int32_t)opset;
      prepare = 1;
      break;
    case OPT_FOLD:
      po.fold = 1;
      prepare = 1;
      break;
    case 'h': fputs(k_help, stdout); return cli_finish_stdout();
    default: return cli_bad_option("convert", c, argv);
    }
  }
  if (optind >= argc) return cli_usage_error("convert", "missing MODEL");
  if (argc - optind > 1) return cli_usage_error("convert", "unexpected argument '%s'", argv[optind + 1]);
  if (!out_path || !*out_path) return cli_usage_error("convert", "missing -o OUT");
  if (have_thresh && !ext) return cli_usage_error("convert", "--size-threshold needs --external-data");
  const char *model_path = argv[optind];
  if (ext && (!*ext || strchr(ext, '/') || strcmp(ext, ".") == 0 || strcmp(ext, "..") == 0))
    return cli_usage_error("convert", "--external-data takes a file name without a folder, got '%s'", ext);
  if (cli_same_file(model_path, out_path)) return cli_fail("%s: output would overwrite the input model", out_path);
  if (cli_check_output_file(out_path) != CLI_EXIT_OK) return CLI_EXIT_FAIL;
  if (ext) {
    char *ext_path = sibling(out_path, ext);
    if (!ext_path) return cli_fail("out of memory");
    int clash_model = cli_same_file(model_path, ext_path);
    const char *base = strrchr(out_path, '/');
    int clash_out = strcmp(base ? base + 1 : out_path, ext) == 0;
    int rc = CLI_EXIT_OK;
    if (clash_model)
      rc = cli_fail("%s: external data file would overwrite the input model", ext_path);
    else if (clash_out)
      rc = cli_fail("%s: external data file would overwrite the output model", ext_path);
    free(ext_path);
    if (rc != CLI_EXIT_OK) return rc;
    so.external_data = ext;
  }

  oq_error err = {0};
  oq_model *model = NULL;
  if (oq_model_load(model_path, &model, &err) != OQ_OK) return cli_fail_err(model_path, &err);
  if (prepare) {
    oq_model *prepared = NULL;
    oq_status pst = oq_model_prepare(model, &po, &prepared, &err);
    oq_model_free(model);
    if (pst != OQ_OK) return cli_fail_err(model_path, &err);
    model = prepared;
  }
  oq_status st = oq_model_save(model, out_path, &so, &err);
  oq_model_free(model);
  if (st != OQ_OK) return cli_fail_err(out_path, &err);
  return CLI_EXIT_OK;
}
