/* Round-trip check: every model.onnx under a folder is loaded with oq_model_load and saved with oq_model_save (no
 * options) into a temporary folder; the output must be byte-identical to the input. Exit status 1 when any model
 * fails or none is found. */
#define _XOPEN_SOURCE 700 /* mkdtemp, nftw */

#include "onnxq.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct path_list {
  char **items;
  size_t n, cap;
} path_list;

static int push(path_list *l, const char *p) {
  if (l->n == l->cap) {
    size_t ncap = l->cap ? l->cap * 2 : 256;
    char **n = realloc(l->items, ncap * sizeof *n);
    if (!n) return -1;
    l->items = n;
    l->cap = ncap;
  }
  l->items[l->n] = strdup(p);
  return l->items[l->n++] ? 0 : -1;
}

/* Collects every model.onnx below dir, recursively. */
static int walk(const char *dir, path_list *l) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "roundtrip: cannot open %s: %s\n", dir, strerror(errno));
    return -1;
  }
  struct dirent *e;
  int rc = 0;
  while (rc == 0 && (e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
    size_t n = strlen(dir) + strlen(e->d_name) + 2;
    char *p = malloc(n);
    if (!p) {
      rc = -1;
      break;
    }
    snprintf(p, n, "%s/%s", dir, e->d_name);
    struct stat sb;
    if (lstat(p, &sb) == 0) {
      if (S_ISDIR(sb.st_mode))
        rc = walk(p, l);
      else if (S_ISREG(sb.st_mode) && strcmp(e->d_name, "model.onnx") == 0)
        rc = push(l, p);
    }
    free(p);
  }
  closedir(d);
  return rc;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static unsigned char *slurp(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  unsigned char *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? cap * 2 : 65536;
      unsigned char *nb = realloc(buf, cap);
      if (!nb) {
        free(buf);
        fclose(f);
        return NULL;
      }
      buf = nb;
    }
    size_t r = fread(buf + n, 1, cap - n, f);
    n += r;
    if (r == 0) break;
  }
  fclose(f);
  *len = n;
  return buf;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s DIR\n", argv[0]);
    return 2;
  }
  path_list l = {0};
  if (walk(argv[1], &l) != 0) return 1;
  qsort(l.items, l.n, sizeof *l.items, cmp_str);
  const char *tmp_root = getenv("TMPDIR");
  char tmpl[4096];
  snprintf(tmpl, sizeof tmpl, "%s/onnxq-roundtrip.XXXXXX", tmp_root && tmp_root[0] ? tmp_root : "/tmp");
  if (!mkdtemp(tmpl)) {
    fprintf(stderr, "roundtrip: cannot create a temporary folder: %s\n", strerror(errno));
    return 1;
  }
  char out[4200];
  snprintf(out, sizeof out, "%s/model.onnx", tmpl);
  size_t ok = 0, failed = 0;
  for (size_t i = 0; i < l.n; i++) {
    oq_error err = {0};
    oq_model *m = NULL;
    const char *why = NULL;
    if (oq_model_load(l.items[i], &m, &err) != OQ_OK) {
      why = "load";
    } else if (oq_model_save(m, out, NULL, &err) != OQ_OK) {
      why = "save";
    }
    oq_model_free(m);
    if (why) {
      printf("FAIL %s: %s: %s\n", l.items[i], why, err.msg);
      failed++;
      unlink(out);
      continue;
    }
    size_t a_len = 0, b_len = 0;
    unsigned char *a = slurp(l.items[i], &a_len), *b = slurp(out, &b_len);
    if (!a || !b || a_len != b_len || memcmp(a, b, a_len) != 0) {
      size_t at = 0;
      if (a && b)
        while (at < a_len && at < b_len && a[at] == b[at]) at++;
      printf("FAIL %s: output differs (%zu vs %zu bytes, first difference at byte %zu)\n", l.items[i], a_len, b_len,
             at);
      failed++;
    } else {
      ok++;
    }
    free(a);
    free(b);
    unlink(out);
  }
  rmdir(tmpl);
  printf("roundtrip: %zu models byte-identical, %zu failed\n", ok, failed);
  for (size_t i = 0; i < l.n; i++) free(l.items[i]);
  free(l.items);
  if (ok + failed == 0) {
    fprintf(stderr, "roundtrip: no model.onnx found under %s\n", argv[1]);
    return 1;
  }
  return failed ? 1 : 0;
}
