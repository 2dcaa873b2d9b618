/* File helpers shared by the readers (models, .npy, .pb samples) and the writers (models, external data, .npy). */
#ifndef OQ_CORE_FILE_H
#define OQ_CORE_FILE_H

#include "core/error.h"

#include <stdint.h>
#include <stdio.h>

/* Opens path for binary reading, refusing anything but a regular file. Opening never blocks: a FIFO or device is
 * rejected instead of waiting for a writer. Errors name the path. */
FILE *oq_file_open_regular(const char *path, oq_error *err);

/* ---- crash-safe writing ----------------------------------------------------------------------------------------
 * A file is written into an anonymous temporary file in the destination's folder (Linux O_TMPFILE), which no crash
 * can leave behind, and given a name only when complete: linkat straight to the destination when it does not exist,
 * otherwise linkat to a temporary name and rename over the destination; then the folder is fsynced. Where the
 * filesystem refuses O_TMPFILE, a named temporary file "<dest>.onnxq-<pid>-XXXXXX" is used instead; a later save to
 * the same destination removes such files whose process is gone, so killed runs never accumulate them. */
typedef struct oq_wfile {
  char *final_path; /* owned; destination */
  char *tmp_path;   /* owned; named temporary (fallback, or the link before the rename), NULL when none exists */
  char *dir;        /* owned; destination folder */
  int fd;           /* -1 when closed */
  int anonymous;    /* 1: fd is an O_TMPFILE not yet linked */
  uint64_t size;    /* bytes written so far */
} oq_wfile;

oq_status oq_wfile_open(oq_wfile *f, const char *final_path, oq_error *err);
oq_status oq_wfile_write(oq_wfile *f, const void *data, size_t len, oq_error *err);
/* Sets the permissions (0644, or those of the file it replaces), fsyncs and closes; still nameless. */
oq_status oq_wfile_finish(oq_wfile *f, oq_error *err);
/* Puts the finished file in place atomically and fsyncs the folder. */
oq_status oq_wfile_commit(oq_wfile *f, oq_error *err);
/* Closes and removes whatever is left of an uncommitted file; releases everything. Safe on a zeroed struct with
 * fd = -1, and after commit. */
void oq_wfile_discard(oq_wfile *f);

/* ---- I/O failure injection (tests) -----------------------------------------------------------------------------
 * Counts the write, fsync, rename and link calls of the writers above from now on and makes number fail_at
 * (1-based) fail (write with ENOSPC, the others with EIO); 0 only counts. */
void oq_io_test_begin(uint64_t fail_at);
uint64_t oq_io_test_count(void);
int oq_io_test_failed(void);
void oq_io_test_end(void);
/* Tests of the fallback: 1 makes oq_wfile_open behave as if the filesystem refused O_TMPFILE. */
void oq_io_test_no_tmpfile(int on);

#endif
