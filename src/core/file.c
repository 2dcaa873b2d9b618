#define _GNU_SOURCE /* O_TMPFILE, linkat */
/* File helpers (see file.h). */
#include "core/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
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

/* ---- I/O failure injection -------------------------------------------------------------------------------------- */

static atomic_uint_fast64_t g_io_count, g_io_fail_at;
static atomic_int g_io_on, g_io_hit, g_no_tmpfile;

void oq_io_test_begin(uint64_t fail_at) {
  atomic_store(&g_io_count, 0);
  atomic_store(&g_io_fail_at, fail_at);
  atomic_store(&g_io_hit, 0);
  atomic_store(&g_io_on, 1);
}
uint64_t oq_io_test_count(void) { return (uint64_t)atomic_load(&g_io_count); }
int oq_io_test_failed(void) { return atomic_load(&g_io_hit); }
void oq_io_test_end(void) { atomic_store(&g_io_on, 0); }
void oq_io_test_no_tmpfile(int on) { atomic_store(&g_no_tmpfile, on); }

/* Whether this call is the one to fail (then errno is set). */
static int io_inject(int code) {
  if (!atomic_load(&g_io_on)) return 0;
  uint64_t k = (uint64_t)atomic_fetch_add(&g_io_count, 1) + 1;
  if (k != (uint64_t)atomic_load(&g_io_fail_at)) return 0;
  atomic_store(&g_io_hit, 1);
  errno = code;
  return 1;
}

static ssize_t io_write(int fd, const void *p, size_t n) { return io_inject(ENOSPC) ? -1 : write(fd, p, n); }
static int io_fsync(int fd) { return io_inject(EIO) ? -1 : fsync(fd); }
static int io_rename(const char *a, const char *b) { return io_inject(EIO) ? -1 : rename(a, b); }
static int io_link_fd(int fd, const char *to) {
  if (io_inject(EIO)) return -1;
  char proc[64];
  snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
  return linkat(AT_FDCWD, proc, AT_FDCWD, to, AT_SYMLINK_FOLLOW);
}

/* ---- crash-safe writing ----------------------------------------------------------------------------------------- */

static char *str_cat3(const char *a, const char *b, const char *c, oq_error *err) {
  size_t la = strlen(a), lb = strlen(b), lc = strlen(c);
  char *p = oq_mem_alloc(la + lb + lc + 1);
  if (!p) {
    oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "out of memory");
    return NULL;
  }
  memcpy(p, a, la);
  memcpy(p + la, b, lb);
  memcpy(p + la + lb, c, lc + 1);
  return p;
}

/* Removes "<base>.onnxq-<pid>-XXXXXX" files in dir whose process no longer exists (left by a killed run). */
static void sweep_stale(const char *dir, const char *base) {
  DIR *d = opendir(dir);
  if (!d) return;
  size_t bl = strlen(base);
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    const char *n = e->d_name;
    if (strncmp(n, base, bl) != 0 || strncmp(n + bl, ".onnxq-", 7) != 0) continue;
    char *end = NULL;
    long pid = strtol(n + bl + 7, &end, 10);
    if (pid <= 0 || !end || *end != '-' || strlen(end + 1) != 6) continue;
    if (pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH) continue;
    (void)unlinkat(dirfd(d), n, 0);
  }
  closedir(d);
}

/* A fresh named temporary next to the destination: "<final>.onnxq-<pid>-XXXXXX". */
static int named_temp(oq_wfile *f, oq_error *err) {
  char suffix[48];
  snprintf(suffix, sizeof suffix, ".onnxq-%ld-XXXXXX", (long)getpid());
  if (!(f->tmp_path = str_cat3(f->final_path, suffix, "", err))) return -2;
  int fd = mkstemp(f->tmp_path);
  if (fd < 0) {
    oq_free(f->tmp_path);
    f->tmp_path = NULL;
  }
  return fd;
}

oq_status oq_wfile_open(oq_wfile *f, const char *final_path, oq_error *err) {
  oq_status st = OQ_OK;
  memset(f, 0, sizeof *f);
  f->fd = -1;
  if (!(f->final_path = oq_strdup(final_path, err))) return OQ_ERR_NOMEM;
  const char *slash = strrchr(final_path, '/');
  if (slash) {
    size_t dl = slash == final_path ? 1 : (size_t)(slash - final_path);
    if (!(f->dir = oq_mem_alloc(dl + 1))) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
    memcpy(f->dir, final_path, dl);
    f->dir[dl] = '\0';
  } else if (!(f->dir = oq_strdup(".", err))) {
    st = OQ_ERR_NOMEM;
    goto fail;
  }
  sweep_stale(f->dir, slash ? slash + 1 : final_path);
  if (!atomic_load(&g_no_tmpfile)) f->fd = open(f->dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0600);
  if (f->fd >= 0) {
    f->anonymous = 1;
    return OQ_OK;
  }
  /* the filesystem (or kernel) refuses O_TMPFILE: a named temporary that sweep_stale can recognize */
  f->fd = named_temp(f, err);
  if (f->fd == -2) {
    f->fd = -1;
    st = OQ_ERR_NOMEM;
    goto fail;
  }
  if (f->fd < 0)
    OQ_FAIL(err, OQ_ERR_IO, "%s: cannot create a temporary file next to it: %s", final_path, strerror(errno));
  return OQ_OK;
fail:
  oq_wfile_discard(f);
  return st;
}

oq_status oq_wfile_write(oq_wfile *f, const void *data, size_t len, oq_error *err) {
  const uint8_t *p = data;
  while (len > 0) {
    ssize_t w = io_write(f->fd, p, len);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0)
      OQ_RETURN_ERR(err, OQ_ERR_IO, "%s: write failed: %s", f->final_path, w < 0 ? strerror(errno) : "no progress");
    p += w;
    len -= (size_t)w;
    f->size += (uint64_t)w;
  }
  return OQ_OK;
}

oq_status oq_wfile_finish(oq_wfile *f, oq_error *err) {
  /* temporaries are created 0600; give the result the usual permissions (or those of the file it replaces) */
  struct stat sb;
  mode_t mode = 0644;
  if (stat(f->final_path, &sb) == 0 && S_ISREG(sb.st_mode)) mode = sb.st_mode & 0777;
  if (fchmod(f->fd, mode) != 0)
    OQ_RETURN_ERR(err, OQ_ERR_IO, "%s: cannot set permissions: %s", f->final_path, strerror(errno));
  if (io_fsync(f->fd) != 0) OQ_RETURN_ERR(err, OQ_ERR_IO, "%s: fsync failed: %s", f->final_path, strerror(errno));
  return OQ_OK;
}

static void fsync_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)io_fsync(fd); /* the name is already in place; a failure here cannot be undone and changes nothing seen */
  close(fd);
}

oq_status oq_wfile_commit(oq_wfile *f, oq_error *err) {
  oq_status st = OQ_OK;
  if (f->anonymous) {
    /* a new destination gets its name in one step; an existing one through a link and a rename over it */
    if (io_link_fd(f->fd, f->final_path) == 0) {
      f->anonymous = 0;
      goto done;
    }
    if (errno != EEXIST)
      OQ_FAIL(err, OQ_ERR_IO, "%s: cannot give the written file its name: %s", f->final_path, strerror(errno));
    for (int attempt = 0; attempt < 100 && f->anonymous; attempt++) {
      char suffix[64];
      snprintf(suffix, sizeof suffix, ".onnxq-%ld-%06x", (long)getpid(), (unsigned)(rand() & 0xffffff));
      if (!(f->tmp_path = str_cat3(f->final_path, suffix, "", err))) {
        st = OQ_ERR_NOMEM;
        goto fail;
      }
      if (io_link_fd(f->fd, f->tmp_path) == 0) {
        f->anonymous = 0;
        break;
      }
      int e = errno;
      oq_free(f->tmp_path);
      f->tmp_path = NULL;
      if (e != EEXIST)
        OQ_FAIL(err, OQ_ERR_IO, "%s: cannot give the written file its name: %s", f->final_path, strerror(e));
    }
    if (f->anonymous) OQ_FAIL(err, OQ_ERR_IO, "%s: cannot find a free temporary name", f->final_path);
  }
  if (io_rename(f->tmp_path, f->final_path) != 0)
    OQ_FAIL(err, OQ_ERR_IO, "%s: cannot rename the temporary file into place: %s", f->final_path, strerror(errno));
  oq_free(f->tmp_path);
  f->tmp_path = NULL;
done:
  fsync_dir(f->dir);
  return OQ_OK;
fail:
  return st;
}

void oq_wfile_discard(oq_wfile *f) {
  if (f->fd >= 0) close(f->fd); /* an anonymous file disappears with its descriptor */
  f->fd = -1;
  if (f->tmp_path) unlink(f->tmp_path);
  oq_free(f->tmp_path);
  oq_free(f->final_path);
  oq_free(f->dir);
  f->tmp_path = f->final_path = f->dir = NULL;
  f->anonymous = 0;
}
