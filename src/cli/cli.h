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

#endif
