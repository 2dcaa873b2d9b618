/* The onnxq command: one function per subcommand plus the helpers they share. Every failure ends as exactly one
 * line "onnxq: <file>: <problem>" on stderr and exit status 1; stdout carries only results. */
#ifndef OQ_CLI_CLI_H
#define OQ_CLI_CLI_H

#include "onnxq.h"

#include <stdint.h>

#define CLI_EXIT_OK   0
#define CLI_EXIT_FAIL 1

int cli_inspect(int argc, char **argv);
int cli_convert(int argc, char **argv);
int cli_run(int argc, char **argv);
int cli_quantize(int argc, char **argv);
int cli_calibrate(int argc, char **argv);
int cli_merge(int argc, char **argv);

/* Prints "onnxq: <fmt...>" as one line on stderr; returns CLI_EXIT_FAIL. */
int cli_fail(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* Whether the library error names path or a file below it (its err->path; the library records the file each
 * message names). */
int cli_error_in(const oq_error *err, const char *path);
/* Reports a library error: "onnxq: <msg>", with "<file>: " put in front when the message does not name it. */
int cli_fail_err(const char *file, const oq_error *err);
/* A usage error of subcommand cmd (NULL for the top level): one line pointing at --help. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Reports the option getopt_long just rejected (opterr must be 0 and the optstring start with ':'). */
int cli_bad_option(const char *cmd, int c, char **argv);

/* Strict parsers for option values: whole string, no sign, in range. Return 1 on success. */
int cli_parse_u64(const char *s, uint64_t *out);
int cli_parse_threads(const char *s, int32_t *out);

/* The resource limits of the commands that run models (run, quantize, calibrate): takes --max-tensor-bytes BYTES
 * and --max-seconds SECONDS (also as --opt=value) out of argv (*argc shrinks; scanning stops at "--"), and applies
 * them with oq_set_limits. Defaults: OQ_MAX_TENSOR_BYTES, no time limit. CLI_EXIT_OK, or CLI_EXIT_FAIL after
 * reporting a usage error of cmd. Call it first: `if (cli_take_limits("run", &argc, argv)) return CLI_EXIT_FAIL;` */
int cli_take_limits(const char *cmd, int *argc, char **argv);

/* 1 when both paths exist and are the same file (device and inode, so symlinks and hard links count). */
int cli_same_file(const char *a, const char *b);
/* Early check of an output file path, before expensive work: not a folder, and its folder exists. Reports and
 * returns CLI_EXIT_FAIL when unusable. */
int cli_check_output_file(const char *out);
/* Flushes stdout; on a write error (full disk, closed pipe) reports it and returns CLI_EXIT_FAIL. */
int cli_finish_stdout(void);

/* ---- calibration options (cli/calib_opts.c), shared by quantize and calibrate ---- */

enum {
  CLI_OPT_METHOD = 1000,
  CLI_OPT_PERCENTILE,
  CLI_OPT_MOVING_AVERAGE,
  CLI_OPT_BINS,
  CLI_OPT_LEVELS,
  CLI_OPT_WEIGHT_RANGE,
  CLI_OPT_LIMIT,
  CLI_OPT_SHUFFLE,
  CLI_OPT_SHARD,
  CLI_OPT_QUIET,
  CLI_OPT_IMAGE_SIZE,
  CLI_OPT_RESIZE,
  CLI_OPT_MEAN,
  CLI_OPT_STD,
  CLI_OPT_LAYOUT,
  CLI_OPT_COLOR,
  CLI_OPT_TABLE,
  CLI_OPT_TRT
};

/* getopt_long rows of the data options (selection, images, progress) and of the range options. */
#define CLI_DATA_OPTIONS                                                                                               \
  {"limit", required_argument, NULL, CLI_OPT_LIMIT}, {"shuffle", required_argument, NULL, CLI_OPT_SHUFFLE},            \
      {"quiet", no_argument, NULL, CLI_OPT_QUIET}, {"image-size", required_argument, NULL, CLI_OPT_IMAGE_SIZE},        \
      {"resize", required_argument, NULL, CLI_OPT_RESIZE}, {"mean", required_argument, NULL, CLI_OPT_MEAN},            \
      {"std", required_argument, NULL, CLI_OPT_STD}, {"layout", required_argument, NULL, CLI_OPT_LAYOUT},              \
      {"color", required_argument, NULL, CLI_OPT_COLOR}, {"bins", required_argument, NULL, CLI_OPT_BINS}, {            \
    "shard", required_argument, NULL, CLI_OPT_SHARD                                                                    \
  }
#define CLI_RANGE_OPTIONS                                                                                              \
  {"method", required_argument, NULL, CLI_OPT_METHOD}, {"percentile", required_argument, NULL, CLI_OPT_PERCENTILE},    \
      {"moving-average", no_argument, NULL, CLI_OPT_MOVING_AVERAGE},                                                   \
      {"levels", required_argument, NULL, CLI_OPT_LEVELS}, {                                                           \
    "weight-range", required_argument, NULL, CLI_OPT_WEIGHT_RANGE                                                      \
  }

typedef struct cli_calib {
  oq_quant_options q;
  oq_calib_options o;
  int quiet;
  double t0, last;
} cli_calib;

void cli_calib_init(cli_calib *cc);
/* Handles one calibration option: -1 taken, 0 not a calibration option, otherwise the exit status of a usage
 * error already reported. */
int cli_calib_option(const char *cmd, int c, const char *arg, cli_calib *cc);
int cli_calib_method(const char *s, int32_t *out);
const char *cli_calib_method_name(int32_t m);
/* Starts the clock and, on a terminal without --quiet, the progress line. */
void cli_calib_start(cli_calib *cc);
double cli_calib_elapsed(const cli_calib *cc);

#define CLI_HELP_DATA                                                                                                  \
  "Calibration data (DATA: sample folders, .npz per sample, .npy per input with a batch axis, or images):\n"           \
  "  --limit N              use at most N samples\n"                                                                   \
  "  --shuffle SEED         shuffle the samples (deterministic for a SEED) before --limit and --shard\n"               \
  "  --shard K/N            use every N-th sample from the K-th on (1 <= K <= N)\n"                                    \
  "  --image-size H,W       images: target size (default: the model's static input shape)\n"                           \
  "  --resize MODE          images: stretch (default) or short-side (scale the short side, center crop)\n"             \
  "  --mean M[,M,M]         images: per-channel mean subtracted, in 0..255 units (default 0)\n"                        \
  "  --std S[,S,S]          images: per-channel divisor, in 0..255 units (default 1; 255 maps pixels to 0..1)\n"       \
  "  --layout NCHW|NHWC     images: input layout (default from the model's input shape)\n"                             \
  "  --color RGB|BGR|GRAY   images: channel order (default RGB)\n"                                                     \
  "  --bins N               histogram bins per sign, a power of two (default 2048)\n"                                  \
  "  --quiet                no progress line on stderr\n"

#define CLI_HELP_RANGE                                                                                                 \
  "Range methods:\n"                                                                                                   \
  "  --method M             minmax (default), percentile, entropy or mse\n"                                            \
  "  --percentile P         percentile: share of values kept in percent (default 99.999)\n"                            \
  "  --moving-average       minmax: mean of per-sample minima and maxima\n"                                            \
  "  --levels N             entropy: quantized levels, also the smallest threshold in bins (default 128)\n"            \
  "  --weight-range M       weights: minmax (default) or mse\n"

/* Replaces *model by what quantize and calibrate work on (oq_model_prepare: opset 13 at least, folded when fold),
 * freeing the loaded one. On failure prints the error naming path, frees *model and returns CLI_EXIT_FAIL. */
int cli_prepare(oq_model **model, int fold, const char *path);

#endif
