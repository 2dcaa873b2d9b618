#define _POSIX_C_SOURCE 200809L
/* File helpers (see file.h). */
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

FILE *oq_file_open_regular(const char *path, oq_error *err) {
  /* O_NONBLOCK only matters for the open itself: it has no effect on reads from regular files. */
  int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    oq_error_set(err, OQ_ERR_IO, __FILE__, __LINE__, "%s: cannot open: %s", path, strerror(errno));
    oq_error_subject(err, OQ_SUBJECT_FILE, path);
    return NULL;
  }
  struct stat sb;
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    oq_error_set(err, OQ_ERR_IO, __FILE__, __LINE__, "%s: not a regular file", path);
    oq_error_subject(err, OQ_SUBJECT_FILE, path);
    close(fd);
    return NULL;
  }
  FILE *f = fdopen(fd, "rb");
  if (!f) {
    oq_error_set(err, OQ_ERR_IO, __FILE__, __LINE__, "%s: cannot open: %s", path, strerror(errno));
    oq_error_subject(err, OQ_SUBJECT_FILE, path);
    close(fd);
  }
  return f;
}
