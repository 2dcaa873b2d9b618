/* NumPy .npy reader and writer: format v1/v2/v3, little-endian, C order, a fixed set of numeric dtypes. The header
 * is a Python dict literal; it is parsed by a small strict parser with length limits because .npy files are
 * user input (calibration samples) and must never crash or over-allocate. */
#define _POSIX_C_SOURCE 200809L

#include "core/dtype.h"
#include "core/error.h"
#include "core/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define NPY_MAGIC      "\x93NUMPY"
#define NPY_MAGIC_LEN  6
#define NPY_MAX_HEADER 65536 /* numpy itself refuses headers above 10000 bytes by default */

static const char *descr_of(int32_t dtype) { return oq_dtype_traits_of(dtype)->npy; }

/* ---- header parsing ------------------------------------------------------------------------------------------ */

typedef struct hdr_parser {
  const char *p;   /* cursor */
  const char *end; /* one past the last header byte */
} hdr_parser;

static void skip_ws(hdr_parser *h) {
  while (h->p < h->end && (*h->p == ' ' || *h->p == '\t' || *h->p == '\n' || *h->p == '\r')) h->p++;
}

static int accept(hdr_parser *h, char c) {
  skip_ws(h);
  if (h->p < h->end && *h->p == c) {
    h->p++;
    return 1;
  }
  return 0;
}

/* A quoted Python string without escapes (numpy never writes any in these keys/values). */
static int parse_str(hdr_parser *h, char *buf, size_t cap) {
  skip_ws(h);
  if (h->p >= h->end || (*h->p != '\'' && *h->p != '"')) return 0;
  char q = *h->p++;
  size_t n = 0;
  while (h->p < h->end && *h->p != q) {
    if (*h->p == '\\' || n + 1 >= cap) return 0;
    buf[n++] = *h->p++;
  }
  if (h->p >= h->end) return 0;
  h->p++;
  buf[n] = '\0';
  return 1;
}

static int parse_word(hdr_parser *h, const char *w) {
  skip_ws(h);
  size_t n = strlen(w);
  if ((size_t)(h->end - h->p) < n || memcmp(h->p, w, n) != 0) return 0;
  h->p += n;
  return 1;
}

/* Non-negative decimal integer fitting int64 (Python may append 'L' in old files). */
static int parse_dim(hdr_parser *h, int64_t *out) {
  skip_ws(h);
  if (h->p >= h->end || *h->p < '0' || *h->p > '9') return 0;
  int64_t v = 0;
  while (h->p < h->end && *h->p >= '0' && *h->p <= '9') {
    int d = *h->p++ - '0';
    if (v > (INT64_MAX - d) / 10) return 0;
    v = v * 10 + d;
  }
  if (h->p < h->end && *h->p == 'L') h->p++;
  *out = v;
  return 1;
}

/* shape: "()" | "(d,)" | "(d, d, ...)" with an optional trailing comma. */
static int parse_shape(hdr_parser *h, int32_t *ndim, int64_t *dims, int *too_many) {
  if (!accept(h, '(')) return 0;
  int32_t n = 0;
  if (accept(h, ')')) {
    *ndim = 0;
    return 1;
  }
  for (;;) {
    int64_t d;
    if (!parse_dim(h, &d)) return 0;
    if (n >= OQ_MAX_DIMS) {
      *too_many = 1;
      return 0;
    }
    dims[n++] = d;
    if (accept(h, ')')) break;
    if (!accept(h, ',')) return 0;
    if (accept(h, ')')) break;
  }
  *ndim = n;
  return 1;
}

/* ---- load ---------------------------------------------------------------------------------------------------- */

static uint32_t le16(const unsigned char *b) { return (uint32_t)b[0] | (uint32_t)b[1] << 8; }
static uint32_t le32(const unsigned char *b) {
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static int read_full(FILE *f, void *buf, size_t n) { return n == 0 || fread(buf, 1, n, f) == n; }

oq_status oq_npy_load(const char *path, oq_tensor *out, oq_error *err) {
  oq_status st = OQ_OK;
  FILE *f = NULL;
  char *hdr = NULL;
  oq_tensor t;
  memset(&t, 0, sizeof t);
  if (out) memset(out, 0, sizeof *out);
  if (!path || !out) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "oq_npy_load: NULL argument");

  f = oq_file_open_regular(path, err);
  if (!f) {
    st = err ? err->code : OQ_ERR_IO;
    goto fail;
  }
  struct stat sb;
  if (fstat(fileno(f), &sb) != 0) OQ_FAIL(err, OQ_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
  uint64_t fsize = (uint64_t)sb.st_size;

  unsigned char pre[12];
  if (fsize < 10 || !read_full(f, pre, 8) || memcmp(pre, NPY_MAGIC, NPY_MAGIC_LEN) != 0)
    OQ_FAIL(err, OQ_ERR_PARSE, "%s: not a NumPy .npy file (bad magic)", path);
  int major = pre[6], minor = pre[7];
  if (major < 1 || major > 3 || minor != 0)
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "%s: unsupported .npy format version %d.%d", path, major, minor);
  size_t len_bytes = major == 1 ? 2 : 4;
  if (!read_full(f, pre + 8, len_bytes)) OQ_FAIL(err, OQ_ERR_PARSE, "%s: truncated .npy header", path);
  uint32_t hlen = major == 1 ? le16(pre + 8) : le32(pre + 8);
  if (hlen > NPY_MAX_HEADER)
    OQ_FAIL(err, OQ_ERR_PARSE, "%s: .npy header of %u bytes exceeds the limit of %d", path, (unsigned)hlen,
            NPY_MAX_HEADER);
  uint64_t data_off = 8 + len_bytes + (uint64_t)hlen;
  if (data_off > fsize) OQ_FAIL(err, OQ_ERR_PARSE, "%s: truncated .npy header", path);
  hdr = oq_mem_alloc((size_t)hlen + 1);
  if (!hdr) OQ_FAIL(err, OQ_ERR_NOMEM, "%s: out of memory", path);
  if (!read_full(f, hdr, hlen)) OQ_FAIL(err, OQ_ERR_PARSE, "%s: truncated .npy header", path);
  hdr[hlen] = '\0';
  for (uint32_t i = 0; i < hlen; i++)
    if (hdr[i] == '\0' || (unsigned char)hdr[i] >= 0x80)
      OQ_FAIL(err, OQ_ERR_PARSE, "%s: .npy header is not ASCII text", path);

  /* The dict: exactly the keys descr, fortran_order and shape, each once, in any order. */
  hdr_parser h = {hdr, hdr + hlen};
  char key[32], descr[32];
  int have_descr = 0, have_fortran = 0, have_shape = 0, fortran = 0, too_many = 0;
  int32_t ndim = 0;
  int64_t dims[OQ_MAX_DIMS] = {0};
  if (!accept(&h, '{')) OQ_FAIL(err, OQ_ERR_PARSE, "%s: malformed .npy header (expected a dict)", path);
  while (!accept(&h, '}')) {
    if (!parse_str(&h, key, sizeof key) || !accept(&h, ':'))
      OQ_FAIL(err, OQ_ERR_PARSE, "%s: malformed .npy header dict", path);
    if (strcmp(key, "descr") == 0 && !have_descr) {
      if (!parse_str(&h, descr, sizeof descr))
        OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "%s: unsupported .npy descr (structured or malformed)", path);
      have_descr = 1;
    } else if (strcmp(key, "fortran_order") == 0 && !have_fortran) {
      if (parse_word(&h, "False"))
        fortran = 0;
      else if (parse_word(&h, "True"))
        fortran = 1;
      else
        OQ_FAIL(err, OQ_ERR_PARSE, "%s: malformed fortran_order in .npy header", path);
      have_fortran = 1;
    } else if (strcmp(key, "shape") == 0 && !have_shape) {
      if (!parse_shape(&h, &ndim, dims, &too_many)) {
        if (too_many) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "%s: .npy array rank exceeds %d", path, OQ_MAX_DIMS);
        OQ_FAIL(err, OQ_ERR_PARSE, "%s: malformed shape in .npy header", path);
      }
      have_shape = 1;
    } else {
      OQ_FAIL(err, OQ_ERR_PARSE, "%s: unexpected or repeated key '%s' in .npy header", path, key);
    }
    if (!accept(&h, ',')) {
      if (!accept(&h, '}')) OQ_FAIL(err, OQ_ERR_PARSE, "%s: malformed .npy header dict", path);
      break;
    }
  }
  skip_ws(&h);
  if (h.p != h.end) OQ_FAIL(err, OQ_ERR_PARSE, "%s: trailing bytes after the .npy header dict", path);
  if (!have_descr || !have_fortran || !have_shape)
    OQ_FAIL(err, OQ_ERR_PARSE, "%s: .npy header lacks %s", path,
            !have_descr     ? "'descr'"
            : !have_fortran ? "'fortran_order'"
                            : "'shape'");
  if (fortran) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "%s: Fortran-order .npy arrays are not supported", path);

  int32_t dtype = oq_dtype_from_npy(descr);
  if (dtype == OQ_DTYPE_UNDEFINED) {
    if (descr[0] == '>')
      OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "%s: big-endian .npy data ('%s') is not supported", path, descr);
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "%s: unsupported .npy dtype '%s'", path, descr);
  }

  size_t want = oq_dtype_size(dtype);
  for (int32_t i = 0; i < ndim; i++)
    if ((uint64_t)dims[i] > SIZE_MAX || !oq_size_mul(want, (size_t)dims[i], &want))
      OQ_FAIL(err, OQ_ERR_PARSE, "%s: .npy shape is too large", path);
  if ((uint64_t)want != fsize - data_off)
    OQ_FAIL(err, OQ_ERR_PARSE, "%s: .npy data is %llu bytes, shape and dtype need %llu", path,
            (unsigned long long)(fsize - data_off), (unsigned long long)want);

  if (oq_tensor_alloc(&t, dtype, ndim, dims, err) != OQ_OK) {
    st = err ? err->code : OQ_ERR_NOMEM;
    oq_error_prefix(err, "%s", path);
    goto fail;
  }
  if (!read_full(f, t.data, t.nbytes)) OQ_FAIL(err, OQ_ERR_IO, "%s: read error", path);
  if (dtype == OQ_DTYPE_BOOL) {
    const unsigned char *b = t.data;
    for (size_t i = 0; i < t.nbytes; i++)
      if (b[i] > 1) OQ_FAIL(err, OQ_ERR_PARSE, "%s: bool array holds a byte other than 0 or 1", path);
  }
  fclose(f);
  oq_free(hdr);
  *out = t;
  return OQ_OK;

fail:
  if (f) fclose(f);
  oq_free(hdr);
  oq_tensor_release(&t);
  if (path) oq_error_subject(err, OQ_SUBJECT_FILE, path); /* every message here starts with the path */
  return st;
}

oq_status oq_npy_save(const char *path, const oq_tensor *t, oq_error *err) {
  oq_status st = OQ_OK;
  oq_wfile wf = {.fd = -1};
  if (!path || !t) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "oq_npy_save: NULL argument");
  const char *descr = descr_of(t->dtype);
  if (!descr) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "%s: cannot write %s tensors as .npy", path, oq_dtype_name(t->dtype));
  if (t->ndim < 0 || t->ndim > OQ_MAX_DIMS) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "%s: bad tensor rank %d", path, t->ndim);
  size_t want = oq_dtype_size(t->dtype);
  for (int32_t i = 0; i < t->ndim; i++)
    if (t->dims[i] < 0 || (uint64_t)t->dims[i] > SIZE_MAX || !oq_size_mul(want, (size_t)t->dims[i], &want))
      OQ_FAIL(err, OQ_ERR_INVALID_ARG, "%s: bad tensor shape", path);
  if (want != t->nbytes || (want > 0 && !t->data))
    OQ_FAIL(err, OQ_ERR_INVALID_ARG, "%s: tensor holds %zu bytes, its shape needs %zu", path, t->nbytes, want);

  /* Header: magic, version 1.0, uint16 length, dict padded with spaces and ended by '\n' so that the data starts
   * at a multiple of 64 bytes (what numpy >= 1.14 writes). Worst case: 8 dims of 19 digits, well under 512. */
  char hdr[512];
  int n = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (", descr);
  for (int32_t i = 0; i < t->ndim; i++)
    n += snprintf(hdr + n, sizeof hdr - (size_t)n, "%s%lld", i ? ", " : "", (long long)t->dims[i]);
  n += snprintf(hdr + n, sizeof hdr - (size_t)n, "%s), }", t->ndim == 1 ? "," : "");
  size_t total = 10 + (size_t)n + 1;
  size_t padded = (total + 63) / 64 * 64;
  memset(hdr + n, ' ', padded - total);
  hdr[padded - 10 - 1] = '\n';
  size_t hlen = padded - 10;
  unsigned char pre[10] = {
      0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hlen & 0xff), (unsigned char)(hlen >> 8)};

  /* Crash-safe: an anonymous file in the destination's folder, named only when complete (core/file.h). */
  OQ_CHECK(oq_wfile_open(&wf, path, err));
  OQ_CHECK(oq_wfile_write(&wf, pre, sizeof pre, err));
  OQ_CHECK(oq_wfile_write(&wf, hdr, hlen, err));
  OQ_CHECK(oq_wfile_write(&wf, t->data, t->nbytes, err));
  OQ_CHECK(oq_wfile_finish(&wf, err));
  OQ_CHECK(oq_wfile_commit(&wf, err));
  oq_wfile_discard(&wf);
  return OQ_OK;

fail:
  oq_wfile_discard(&wf);
  if (path) oq_error_subject(err, OQ_SUBJECT_FILE, path);
  return st;
}
