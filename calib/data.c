/* Calibration data sources: what a --calib path holds, how many samples it has, which of them are selected
 * (shuffle, limit, shard) and how sample i becomes model inputs. Memory per loaded sample only: .npy batches are
 * read a slice at a time, .npz files one at a time. */
#define _POSIX_C_SOURCE 200809L

#include "calib/data.h"

#include "core/dtype.h"
#include "core/file.h"
#include "model/model.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

void oq_calib_options_init(oq_calib_options *o) {
  if (!o) return;
  memset(o, 0, sizeof *o);
  o->size = sizeof *o;
  o->threads = 1;
  o->bins = 2048;
  o->shard_count = 1;
}

static int has_suffix(const char *s, const char *suf) {
  size_t a = strlen(s), b = strlen(suf);
  if (a <= b) return 0;
  for (size_t i = 0; i < b; i++) {
    char c = s[a - b + i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != suf[i]) return 0;
  }
  return 1;
}

static int is_image_name(const char *n) {
  return has_suffix(n, ".png") || has_suffix(n, ".jpg") || has_suffix(n, ".jpeg") || has_suffix(n, ".bmp");
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

static char *join(const char *dir, const char *name, oq_error *err) {
  size_t dl = strlen(dir), nl = strlen(name);
  while (dl > 1 && dir[dl - 1] == '/') dl--;
  char *p = oq_malloc_array(dl + nl + 2, 1, err);
  if (!p) return NULL;
  memcpy(p, dir, dl);
  p[dl] = '/';
  memcpy(p + dl + 1, name, nl + 1);
  return p;
}

/* Input index whose exact name or file-name stem is key, -1 when none. */
static int32_t input_for_key(const oq_model *m, const char *key, size_t klen) {
  int32_t n = oq_model_input_count(m);
  for (int32_t k = 0; k < n; k++) {
    const char *name = oq_model_input_name(m, k);
    if (strlen(name) == klen && memcmp(name, key, klen) == 0) return k;
  }
  for (int32_t k = 0; k < n; k++) {
    char *stem = NULL;
    if (oq_sample_file_stem(oq_model_input_name(m, k), &stem, NULL) != OQ_OK) continue;
    int same = strlen(stem) == klen && memcmp(stem, key, klen) == 0;
    oq_free(stem);
    if (same) return k;
  }
  return -1;
}

/* ---- .npy headers from memory -------------------------------------------------------------------------------- */

/* Parses an .npy header at buf (len bytes available, at least the header): dtype, shape, data offset. */
static oq_status npy_header(const unsigned char *buf, size_t len, const char *what, int32_t *dtype, int32_t *ndim,
                            int64_t *dims, size_t *data_off, oq_error *err) {
  if (len < 10 || memcmp(buf, "\x93NUMPY", 6) != 0)
    OQ_RETURN_ERR(err, OQ_ERR_PARSE, "%s: not a NumPy .npy array (bad magic)", what);
  int major = buf[6];
  size_t lb = major == 1 ? 2 : 4;
  if (major < 1 || major > 3 || len < 8 + lb)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "%s: unsupported .npy version %d", what, major);
  size_t hlen = major == 1 ? (size_t)buf[8] | (size_t)buf[9] << 8
                           : (size_t)buf[8] | (size_t)buf[9] << 8 | (size_t)buf[10] << 16 | (size_t)buf[11] << 24;
  if (hlen > 65536 || 8 + lb + hlen > len) OQ_RETURN_ERR(err, OQ_ERR_PARSE, "%s: truncated .npy header", what);
  char hdr[65537];
  memcpy(hdr, buf + 8 + lb, hlen);
  hdr[hlen] = '\0';
  const char *d = strstr(hdr, "'descr'"), *f = strstr(hdr, "'fortran_order'"), *s = strstr(hdr, "'shape'");
  if (!d || !f || !s) OQ_RETURN_ERR(err, OQ_ERR_PARSE, "%s: malformed .npy header", what);
  char descr[16] = {0};
  d = strchr(d + 7, '\'');
  if (!d) OQ_RETURN_ERR(err, OQ_ERR_PARSE, "%s: malformed .npy descr", what);
  size_t dl = 0;
  for (d++; *d && *d != '\'' && dl < sizeof descr - 1; d++) descr[dl++] = *d;
  if (strstr(f, "True") && (!strstr(f, "False") || strstr(f, "True") < strstr(f, "False")))
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "%s: Fortran-order .npy arrays are not supported", what);
  *dtype = oq_dtype_from_npy(descr);
  if (*dtype == OQ_DTYPE_UNDEFINED)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "%s: unsupported .npy dtype '%s'", what, descr);
  s = strchr(s, '(');
  if (!s) OQ_RETURN_ERR(err, OQ_ERR_PARSE, "%s: malformed .npy shape", what);
  *ndim = 0;
  for (s++;;) {
    while (*s == ' ' || *s == ',') s++;
    if (*s == ')') break;
    if (*s < '0' || *s > '9' || *ndim >= OQ_MAX_DIMS)
      OQ_RETURN_ERR(err, OQ_ERR_PARSE, "%s: malformed .npy shape", what);
    int64_t v = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
      if (v > (INT64_MAX - 9) / 10) OQ_RETURN_ERR(err, OQ_ERR_PARSE, "%s: .npy shape too large", what);
      v = v * 10 + (*s - '0');
    }
    dims[(*ndim)++] = v;
  }
  if (!oq_tensor_extents_ok(*ndim, dims)) OQ_RETURN_ERR(err, OQ_ERR_PARSE, "%s: .npy shape too large", what);
  *data_off = 8 + lb + hlen;
  return OQ_OK;
}

/* ---- zip (.npz) ---------------------------------------------------------------------------------------------- */

static uint32_t rd16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const unsigned char *p) { return rd16(p) | rd16(p + 2) << 16; }

static oq_status read_file(const char *path, unsigned char **out, size_t *len, oq_error *err) {
  oq_status st = OQ_OK;
  unsigned char *buf = NULL;
  FILE *f = oq_file_open_regular(path, err);
  if (!f) return err ? err->code : OQ_ERR_IO;
  struct stat sb;
  if (fstat(fileno(f), &sb) != 0) OQ_FAIL(err, OQ_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
  if ((uint64_t)sb.st_size > OQ_MAX_TENSOR_BYTES * 2) OQ_FAIL(err, OQ_ERR_PARSE, "%s: file too large", path);
  buf = oq_malloc_array((size_t)sb.st_size + 1, 1, err);
  if (!buf) OQ_FAIL(err, OQ_ERR_NOMEM, "%s: out of memory", path);
  if (sb.st_size && fread(buf, 1, (size_t)sb.st_size, f) != (size_t)sb.st_size)
    OQ_FAIL(err, OQ_ERR_IO, "%s: read error", path);
  *out = buf;
  *len = (size_t)sb.st_size;
  buf = NULL;
fail:
  free(buf);
  fclose(f);
  return st;
}

/* Loads every array of an .npz into the inputs its keys name (exact input name or file-name stem). */
static oq_status load_npz(const oq_model *m, const char *path, oq_tensor *in, oq_error *err) {
  oq_status st = OQ_OK;
  unsigned char *z = NULL, *raw = NULL;
  size_t zlen = 0;
  int32_t n_in = oq_model_input_count(m);
  uint8_t *got = oq_calloc(n_in ? (size_t)n_in : 1, 1, err);
  if (!got) return OQ_ERR_NOMEM;
  OQ_CHECK(read_file(path, &z, &zlen, err));
  size_t eocd = SIZE_MAX;
  for (size_t i = zlen >= 22 ? zlen - 22 : 0; zlen >= 22; i--) {
    if (rd32(z + i) == 0x06054b50u) {
      eocd = i;
      break;
    }
    if (i == 0 || zlen - i > 22 + 65535) break;
  }
  if (eocd == SIZE_MAX) OQ_FAIL(err, OQ_ERR_PARSE, "%s: not a .npz (zip) file", path);
  uint32_t n_ent = rd16(z + eocd + 10), cd_off = rd32(z + eocd + 16);
  if (n_ent == 0xffff || cd_off == 0xffffffffu)
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "%s: zip64 archives are not supported", path);
  size_t p = cd_off;
  for (uint32_t e = 0; e < n_ent; e++) {
    if (p + 46 > zlen || rd32(z + p) != 0x02014b50u) OQ_FAIL(err, OQ_ERR_PARSE, "%s: corrupt zip directory", path);
    uint32_t method = rd16(z + p + 10), csize = rd32(z + p + 20), usize = rd32(z + p + 24);
    uint32_t nl = rd16(z + p + 28), xl = rd16(z + p + 30), cl = rd16(z + p + 32), loff = rd32(z + p + 42);
    if (p + 46 + nl > zlen) OQ_FAIL(err, OQ_ERR_PARSE, "%s: corrupt zip directory", path);
    const char *name = (const char *)z + p + 46;
    p += 46 + (size_t)nl + xl + cl;
    if (csize == 0xffffffffu || usize == 0xffffffffu || loff == 0xffffffffu)
      OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "%s: zip64 entries are not supported", path);
    if (nl < 5 || memcmp(name + nl - 4, ".npy", 4) != 0)
      OQ_FAIL(err, OQ_ERR_INVALID_ARG, "%s: entry '%.*s' is not an .npy array", path, (int)nl, name);
    int32_t k = input_for_key(m, name, nl - 4);
    if (k < 0)
      OQ_FAIL(err, OQ_ERR_INVALID_ARG, "%s: key '%.*s' does not match any model input", path, (int)nl - 4, name);
    if (got[k]) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "%s: input '%s' is given twice", path, oq_model_input_name(m, k));
    if ((size_t)loff + 30 > zlen || rd32(z + loff) != 0x04034b50u)
      OQ_FAIL(err, OQ_ERR_PARSE, "%s: corrupt zip entry '%.*s'", path, (int)nl, name);
    size_t data = (size_t)loff + 30 + rd16(z + loff + 26) + rd16(z + loff + 28);
    if (data > zlen || zlen - data < csize) OQ_FAIL(err, OQ_ERR_PARSE, "%s: truncated zip entry", path);
    const unsigned char *bytes = z + data;
    if (method == 8) {
      /* deflate expands at most 1032:1: a larger claimed size would only make a tiny file allocate gigabytes */
      if ((uint64_t)usize > (uint64_t)csize * 1032u + 1024u)
        OQ_FAIL(err, OQ_ERR_PARSE, "%s: zip entry '%.*s' claims %u bytes from %u compressed", path, (int)nl, name,
                usize, csize);
      raw = oq_malloc_array((size_t)usize + 1, 1, err);
      if (!raw) OQ_FAIL(err, OQ_ERR_NOMEM, "%s: out of memory", path);
      z_stream zs;
      memset(&zs, 0, sizeof zs);
      if (inflateInit2(&zs, -15) != Z_OK) OQ_FAIL(err, OQ_ERR_NOMEM, "%s: cannot start inflate", path);
      zs.next_in = (unsigned char *)(uintptr_t)bytes;
      zs.avail_in = csize;
      zs.next_out = raw;
      zs.avail_out = usize;
      int zr = inflate(&zs, Z_FINISH);
      size_t outn = zs.total_out;
      inflateEnd(&zs);
      if (zr != Z_STREAM_END || outn != usize)
        OQ_FAIL(err, OQ_ERR_PARSE, "%s: corrupt deflate data in '%.*s'", path, (int)nl, name);
      bytes = raw;
    } else if (method != 0) {
      OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "%s: zip compression method %u is not supported", path, (unsigned)method);
    }
    int32_t dtype, ndim;
    int64_t dims[OQ_MAX_DIMS];
    size_t off;
    OQ_CHECK(npy_header(bytes, usize, path, &dtype, &ndim, dims, &off, err));
    OQ_CHECK(oq_tensor_alloc(&in[k], dtype, ndim, dims, err));
    got[k] = 1;
    if (usize - off != in[k].nbytes)
      OQ_FAIL(err, OQ_ERR_PARSE, "%s: array '%.*s' holds %zu bytes, its shape needs %zu", path, (int)nl - 4, name,
              (size_t)(usize - off), in[k].nbytes);
    if (in[k].nbytes) memcpy(in[k].data, bytes + off, in[k].nbytes);
    free(raw);
    raw = NULL;
  }
  for (int32_t k = 0; k < n_in; k++)
    if (!got[k]) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "%s: missing input '%s'", path, oq_model_input_name(m, k));
fail:
  free(got);
  free(raw);
  free(z);
  return st;
}

/* ---- opening a source ---------------------------------------------------------------------------------------- */

static oq_status list_dir(const char *dir, char ***names, size_t *n, int *has_dirs, oq_error *err) {
  oq_status st = OQ_OK;
  size_t cap = 0;
  *names = NULL;
  *n = 0;
  *has_dirs = 0;
  DIR *d = opendir(dir);
  if (!d) {
    /* the folder is the subject, so the CLI names it alone instead of prefixing the model */
    oq_error_set(err, OQ_ERR_IO, __FILE__, __LINE__, "%s: cannot open calibration data: %s", dir, strerror(errno));
    oq_error_subject(err, OQ_SUBJECT_FILE, dir);
    return OQ_ERR_IO;
  }
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    if (e->d_name[0] == '.') continue;
    char *p = join(dir, e->d_name, err);
    if (!p) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
    struct stat sb;
    if (stat(p, &sb) == 0 && S_ISDIR(sb.st_mode)) *has_dirs = 1;
    free(p);
    if (*n == cap) {
      size_t nc = cap ? cap * 2 : 64;
      char **g = oq_realloc_array(*names, nc, sizeof *g, err);
      if (!g) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
      *names = g;
      cap = nc;
    }
    (*names)[*n] = oq_strdup(e->d_name, err);
    if (!(*names)[*n]) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
    (*n)++;
  }
  if (*n) qsort(*names, *n, sizeof **names, cmp_str);
fail:
  closedir(d);
  return st;
}

static uint64_t splitmix(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

oq_status oq_calib_data_open(const oq_model *m, const char *path, const oq_calib_options *o, oq_calib_data *d,
                             oq_error *err) {
  oq_status st = OQ_OK;
  char **names = NULL;
  size_t n_names = 0;
  int has_dirs = 0;
  memset(d, 0, sizeof *d);
  d->model = m;
  d->opts = o;
  d->root = oq_strdup(path, err);
  if (!d->root) return OQ_ERR_NOMEM;
  OQ_CHECK(list_dir(path, &names, &n_names, &has_dirs, err));
  size_t n_npz = 0, n_npy = 0, n_img = 0;
  for (size_t i = 0; i < n_names; i++) {
    n_npz += has_suffix(names[i], ".npz");
    n_npy += has_suffix(names[i], ".npy");
    n_img += is_image_name(names[i]);
  }
  int32_t n_in = oq_model_input_count(m);
  if (has_dirs) {
    d->kind = OQ_DATA_FOLDERS;
    OQ_CHECK(oq_calib_list_samples(path, &d->paths, &d->n_total, err));
    d->n_paths = d->n_total;
  } else if (n_npz || n_npy || n_img) {
    d->kind = n_npz ? OQ_DATA_NPZ : n_npy ? OQ_DATA_NPY : OQ_DATA_IMAGES;
    const char *suf = n_npz ? ".npz" : n_npy ? ".npy" : NULL;
    d->paths = oq_calloc(n_names, sizeof *d->paths, err);
    if (!d->paths) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n_names; i++) {
      if (suf ? !has_suffix(names[i], suf) : !is_image_name(names[i])) continue;
      d->paths[d->n_paths] = join(path, names[i], err);
      if (!d->paths[d->n_paths]) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
      d->n_paths++;
    }
    d->n_total = d->n_paths;
  } else {
    OQ_FAIL_ABOUT(err, OQ_ERR_INVALID_ARG, OQ_SUBJECT_FILE, path, "%s: no sample folders, .npz, .npy or image files",
                  path);
  }
  if (d->kind == OQ_DATA_NPY) {
    /* one file per input, samples along axis 0 */
    d->npy_file = oq_calloc(n_in ? (size_t)n_in : 1, sizeof *d->npy_file, err);
    d->npy = oq_calloc(n_in ? (size_t)n_in : 1, sizeof *d->npy, err);
    if (!d->npy_file || !d->npy) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < d->n_paths; i++) {
      const char *base = strrchr(d->paths[i], '/') + 1;
      int32_t k = input_for_key(m, base, strlen(base) - 4);
      if (k < 0)
        OQ_FAIL_ABOUT(err, OQ_ERR_INVALID_ARG, OQ_SUBJECT_FILE, d->paths[i], "%s: does not match any model input",
                      d->paths[i]);
      if (d->npy_file[k])
        OQ_FAIL_ABOUT(err, OQ_ERR_INVALID_ARG, OQ_SUBJECT_FILE, d->paths[i], "%s: input '%s' is given twice",
                      d->paths[i], oq_model_input_name(m, k));
      d->npy_file[k] = d->paths[i];
      unsigned char hb[65536 + 16];
      FILE *f = oq_file_open_regular(d->paths[i], err);
      if (!f) {
        st = err ? err->code : OQ_ERR_IO;
        goto fail;
      }
      size_t got = fread(hb, 1, sizeof hb, f);
      struct stat sb;
      int have_size = fstat(fileno(f), &sb) == 0;
      fclose(f);
      oq_calib_npy *a = &d->npy[k];
      OQ_CHECK(npy_header(hb, got, d->paths[i], &a->dtype, &a->ndim, a->dims, &a->off, err));
      if (a->ndim < 1)
        OQ_FAIL_ABOUT(err, OQ_ERR_SHAPE, OQ_SUBJECT_FILE, d->paths[i],
                      "%s: needs a leading batch axis (one sample per row)", d->paths[i]);
      size_t row = oq_dtype_size(a->dtype);
      for (int32_t j = 1; j < a->ndim; j++)
        if (!oq_size_mul(row, (size_t)a->dims[j], &row)) OQ_FAIL(err, OQ_ERR_PARSE, "%s: shape too large", d->paths[i]);
      a->row = row;
      /* the rows must be in the file (and hold something) before the sample list is sized by their count: a
       * 100-byte header claiming 999999999 rows had an 8 GB order array allocated (fuzz_calib_data) */
      size_t all;
      if (row == 0)
        OQ_FAIL_ABOUT(err, OQ_ERR_SHAPE, OQ_SUBJECT_FILE, d->paths[i], "%s: samples of 0 elements", d->paths[i]);
      if (!have_size || !oq_size_mul(row, (size_t)a->dims[0], &all) || (uint64_t)sb.st_size < (uint64_t)a->off ||
          (uint64_t)sb.st_size - (uint64_t)a->off < (uint64_t)all)
        OQ_FAIL_ABOUT(err, OQ_ERR_PARSE, OQ_SUBJECT_FILE, d->paths[i],
                      "%s: the file holds fewer bytes than its shape claims", d->paths[i]);
    }
    int64_t rows = -1;
    for (int32_t k = 0; k < n_in; k++) {
      if (!d->npy_file[k])
        OQ_FAIL_ABOUT(err, OQ_ERR_INVALID_ARG, OQ_SUBJECT_FILE, path, "%s: missing %s.npy for input '%s'", path,
                      oq_model_input_name(m, k), oq_model_input_name(m, k));
      if (rows >= 0 && d->npy[k].dims[0] != rows)
        OQ_FAIL_ABOUT(err, OQ_ERR_SHAPE, OQ_SUBJECT_FILE, d->npy_file[k], "%s: %lld samples, other inputs have %lld",
                      d->npy_file[k], (long long)d->npy[k].dims[0], (long long)rows);
      rows = d->npy[k].dims[0];
    }
    d->n_total = rows > 0 ? (size_t)rows : 0;
    if (d->n_total == 0) OQ_FAIL_ABOUT(err, OQ_ERR_INVALID_ARG, OQ_SUBJECT_FILE, path, "%s: 0 samples", path);
  }
  if (d->kind == OQ_DATA_IMAGES) OQ_CHECK(oq_calib_image_setup(d, err));
  /* selection: name order, shuffle, limit, shard */
  d->order = oq_calloc(d->n_total, sizeof *d->order, err);
  if (!d->order) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory");
  for (size_t i = 0; i < d->n_total; i++) d->order[i] = i;
  if (o->shuffle) {
    uint64_t s = o->seed;
    for (size_t i = d->n_total; i > 1; i--) {
      size_t j = (size_t)(splitmix(&s) % i), t = d->order[i - 1];
      d->order[i - 1] = d->order[j];
      d->order[j] = t;
    }
  }
  size_t n = d->n_total;
  if (o->limit > 0 && (uint64_t)o->limit < n) n = (size_t)o->limit;
  size_t nsh = o->shard_count > 1 ? (size_t)o->shard_count : 1, k0 = nsh > 1 ? (size_t)o->shard_index : 0;
  d->n = 0;
  for (size_t i = k0; i < n; i += nsh) d->order[d->n++] = d->order[i];
  if (d->n == 0)
    OQ_FAIL_ABOUT(err, OQ_ERR_INVALID_ARG, OQ_SUBJECT_FILE, path, "%s: no samples selected (%zu available)", path,
                  d->n_total);
fail:
  if (names)
    for (size_t i = 0; i < n_names; i++) free(names[i]);
  free(names);
  if (st != OQ_OK) oq_calib_data_close(d);
  return st;
}

void oq_calib_data_close(oq_calib_data *d) {
  if (!d) return;
  oq_calib_paths_free(d->paths, d->n_paths);
  free(d->npy_file);
  free(d->npy);
  free(d->order);
  free(d->root);
  memset(d, 0, sizeof *d);
}

const char *oq_calib_data_name(const oq_calib_data *d, size_t i, char *buf, size_t cap) {
  size_t s = d->order[i];
  if (d->kind == OQ_DATA_NPY) {
    snprintf(buf, cap, "%s[%zu]", d->root, s);
    return buf;
  }
  return d->paths[s];
}

/* Checks a loaded input against the model's declared dtype and shape. */
static oq_status check_input(const oq_model *m, int32_t k, const oq_tensor *t, const char *what, oq_error *err) {
  const oq_value *v = &m->graph.values[m->graph.inputs[k]];
  int ok = v->dtype == OQ_DTYPE_UNDEFINED || v->dtype == t->dtype;
  if (ok && v->ndim >= 0) {
    ok = v->ndim == t->ndim;
    for (int32_t i = 0; ok && i < v->ndim; i++)
      if (v->dims[i].value >= 0 && v->dims[i].value != t->dims[i]) ok = 0;
  }
  if (ok) return OQ_OK;
  char got[128];
  size_t n = (size_t)snprintf(got, sizeof got, "[");
  for (int32_t i = 0; i < t->ndim && n < sizeof got; i++)
    n += (size_t)snprintf(got + n, sizeof got - n, "%s%lld", i ? "," : "", (long long)t->dims[i]);
  if (n < sizeof got) snprintf(got + n, sizeof got - n, "]");
  oq_error_set(err, OQ_ERR_SHAPE, __FILE__, __LINE__, "%s: input '%s' expects %s of rank %d, got %s %s", what,
               oq_model_input_name(m, k), v->dtype == OQ_DTYPE_UNDEFINED ? "any" : oq_dtype_name(v->dtype),
               (int)v->ndim, oq_dtype_name(t->dtype), got);
  return OQ_ERR_SHAPE;
}

oq_status oq_calib_data_load(const oq_calib_data *d, size_t i, oq_tensor *in, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_model *m = d->model;
  int32_t n_in = oq_model_input_count(m);
  size_t s = d->order[i];
  char name[64];
  const char *what = oq_calib_data_name(d, i, name, sizeof name);
  for (int32_t k = 0; k < n_in; k++) memset(&in[k], 0, sizeof in[k]);
  switch (d->kind) {
  case OQ_DATA_FOLDERS: return oq_sample_load(m, d->paths[s], n_in, in, err);
  case OQ_DATA_NPZ: OQ_CHECK(load_npz(m, d->paths[s], in, err)); break;
  case OQ_DATA_IMAGES: OQ_CHECK(oq_calib_image_load(d, d->paths[s], in, err)); break;
  case OQ_DATA_NPY:
    for (int32_t k = 0; k < n_in; k++) {
      const oq_calib_npy *a = &d->npy[k];
      int64_t dims[OQ_MAX_DIMS];
      dims[0] = 1; /* one sample keeps the batch axis, as the model's input has one */
      for (int32_t j = 1; j < a->ndim; j++) dims[j] = a->dims[j];
      OQ_CHECK(oq_tensor_alloc(&in[k], a->dtype, a->ndim, dims, err));
      int fd = open(d->npy_file[k], O_RDONLY);
      if (fd < 0) OQ_FAIL(err, OQ_ERR_IO, "%s: cannot open: %s", d->npy_file[k], strerror(errno));
      ssize_t r = in[k].nbytes ? pread(fd, in[k].data, in[k].nbytes, (off_t)(a->off + s * a->row)) : 0;
      close(fd);
      if (r < 0 || (size_t)r != in[k].nbytes)
        OQ_FAIL(err, OQ_ERR_PARSE, "%s: truncated at sample %zu", d->npy_file[k], s);
    }
    break;
  }
  for (int32_t k = 0; k < n_in; k++)
    OQ_CHECK(check_input(m, k, &in[k], d->kind == OQ_DATA_NPY ? d->npy_file[k] : what, err));
fail:
  if (st != OQ_OK) {
    for (int32_t k = 0; k < n_in; k++) oq_tensor_release(&in[k]);
    if (err && !err->path[0]) oq_error_subject(err, OQ_SUBJECT_FILE, d->kind == OQ_DATA_NPY ? d->root : d->paths[s]);
  }
  return st;
}
