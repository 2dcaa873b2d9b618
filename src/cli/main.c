/* onnxq: entry point. Handles the top-level options and hands the rest of argv to a subcommand. */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static const char k_usage[] =
    "Usage: onnxq [--help] [--version] COMMAND [ARGS]\n"
    "\n"
    "Post-training quantization of float32 ONNX models into QDQ form.\n"
    "\n"
    "Commands:\n"
    "  inspect MODEL [--json]                          summarize a model\n"
    "  convert MODEL -o OUT [--external-data NAME] [--size-threshold BYTES]\n"
    "                                                  re-save a model (move weights to/from external data)\n"
    "  run MODEL --inputs SAMPLE_DIR -o OUT_DIR        run one sample on onnxq's CPU executor\n"
    "  quantize MODEL --calib DATA_DIR -o OUT [--per-tensor] [--threads N]\n"
    "                                                  calibrate and write a QDQ model\n"
    "  calibrate MODEL --calib DATA -o TABLE [--shard K/N]\n"
    "                                                  write a calibration table (statistics)\n"
    "  merge TABLE1 TABLE2 ... -o TABLE                combine tables of shards\n"
    "\n"
    "Options:\n"
    "  -h, --help       show this help and exit\n"
    "  -V, --version    show the version and exit\n"
    "\n"
    "Run 'onnxq COMMAND --help' for a command's options. Exit status: 0 success, 1 failure\n"
    "(one line on stderr: \"onnxq: <file>: <problem>\").\n";

typedef struct command {
  const char *name;                 /* as typed */
  int (*fn)(int argc, char **argv); /* argv[0] is the command name */
} command;

static const command k_commands[] = {
    {"inspect", cli_inspect},   {"convert", cli_convert},     {"run", cli_run},
    {"quantize", cli_quantize}, {"calibrate", cli_calibrate}, {"merge", cli_merge},
};

int main(int argc, char **argv) {
  if (argc < 2) return cli_usage_error(NULL, "missing COMMAND");
  const char *a = argv[1];
  if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
    fputs(k_usage, stdout);
    return cli_finish_stdout();
  }
  if (strcmp(a, "-V") == 0 || strcmp(a, "--version") == 0) {
    printf("onnxq %s\n", oq_version());
    return cli_finish_stdout();
  }
  if (a[0] == '-') return cli_usage_error(NULL, "unknown option '%s'", a);
  for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
    if (strcmp(a, k_commands[i].name) == 0) return k_commands[i].fn(argc - 1, argv + 1);
  return cli_usage_error(NULL, "unknown command '%s'", a);
}
