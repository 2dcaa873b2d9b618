/* Shared helpers of the libFuzzer harnesses: a private scratch folder per process (in /dev/shm when there is one),
 * files written into it, and a check that aborts (a libFuzzer finding) when an oracle does not hold. */
#ifndef OQ_FUZZ_COMMON_H
#define OQ_FUZZ_COMMON_H

#define _GNU_SOURCE
#include "onnxq.h"

#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char fz_root[256];

static inline int fz_rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  remove(p);
  return 0;
}

static inline void fz_rm_tree(const char *dir) { nftw(dir, fz_rm_one, 16, FTW_DEPTH | FTW_PHYS); }

static inline void fz_cleanup(void) {
  if (fz_root[0]) fz_rm_tree(fz_root);
}

/* The scratch folder (created on first use, removed at exit). */
static inline const char *fz_dir(void) {
  if (!fz_root[0]) {
    struct stat sb;
    const char *base = stat("/dev/shm", &sb) == 0 && S_ISDIR(sb.st_mode) ? "/dev/shm" : "/tmp";
    snprintf(fz_root, sizeof fz_root, "%s/onnxq-fuzz-XXXXXX", base);
    if (!mkdtemp(fz_root)) {
      perror("mkdtemp");
      abort();
    }
    atexit(fz_cleanup);
  }
  return fz_root;
}

static inline void fz_path(char *buf, size_t cap, const char *name) { snprintf(buf, cap, "%s/%s", fz_dir(), name); }

/* Empties the scratch folder (files a previous input left, e.g. outputs). */
static inline void fz_reset(void) {
  fz_rm_tree(fz_dir());
  mkdir(fz_root, 0700);
}

static inline void fz_write(const char *name, const uint8_t *data, size_t size) {
  char p[512];
  fz_path(p, sizeof p, name);
  FILE *f = fopen(p, "wb");
  if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
    perror(p);
    abort();
  }
}

static inline uint8_t *fz_read(const char *path, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
  if (!b || fread(b, 1, (size_t)n, f) != (size_t)n) abort();
  fclose(f);
  *size = (size_t)n;
  return b;
}

#define FZ_ASSERT(cond, ...)                                                                                           \
  do {                                                                                                                 \
    if (!(cond)) {                                                                                                     \
      fprintf(stderr, "oracle failed: " __VA_ARGS__);                                                                  \
      fputc('\n', stderr);                                                                                             \
      abort();                                                                                                         \
    }                                                                                                                  \
  } while (0)

/* One-line message check: every failure must leave a non-empty message without a newline. */
static inline void fz_check_error(oq_status st, const oq_error *err) {
  FZ_ASSERT(st != OQ_OK, "status");
  FZ_ASSERT(err->msg[0] != '\0', "failure %s without a message", oq_status_name(st));
  FZ_ASSERT(strchr(err->msg, '\n') == NULL, "multi-line message: %s", err->msg);
}

#endif
