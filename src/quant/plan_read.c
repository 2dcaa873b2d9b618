/* The plan reader (--plan-in): a small JSON parser for the format oq_qplan_describe writes (docs/file-formats.md).
 * It reads the "values" array; every other key is accepted and ignored (the plan also shows the opset, the removed
 * nodes and, per value, fields that follow from others, like the role and the rule). Strict JSON otherwise: a
 * syntax error, a duplicate value, a wrong field type or an unknown type name is a one-line error naming the file
 * and the value. Nesting is limited so hostile input cannot exhaust the stack. */
#include "quant/qplan.h"

#include "core/file.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 32

typedef struct jp {
  const char *text;    /* start of the text */
  const char *s, *end; /* read position, end of the text */
  const char *what;    /* file name for errors */
  oq_error *err;
} jp;

static int line_of(const jp *p, const char *at) {
  int line = 1;
  for (const char *c = at; c > p->text; c--)
    if (c[-1] == '\n') line++;
  return line;
}

#define JFAIL(p, at, ...)                                                                                              \
  do {                                                                                                                 \
    char m_[160];                                                                                                      \
    snprintf(m_, sizeof m_, __VA_ARGS__);                                                                              \
    oq_error_set((p)->err, OQ_ERR_INVALID_ARG, __FILE__, __LINE__, "%s:%d: %s", (p)->what, line_of((p), (at)), m_);    \
    return OQ_ERR_INVALID_ARG;                                                                                         \
  } while (0)

static void ws(jp *p) {
  while (p->s < p->end && (*p->s == ' ' || *p->s == '\t' || *p->s == '\n' || *p->s == '\r')) p->s++;
}

static int peek(jp *p) {
  ws(p);
  return p->s < p->end ? (unsigned char)*p->s : -1;
}

static oq_status expect(jp *p, char c) {
  if (peek(p) != c) JFAIL(p, p->s, "expected '%c'", c);
  p->s++;
  return OQ_OK;
}

/* A string into a new allocation (escapes decoded; \u only for ASCII and as UTF-8 for the BMP). */
static oq_status parse_string(jp *p, char **out) {
  *out = NULL;
  if (peek(p) != '"') JFAIL(p, p->s, "expected a string");
  const char *start = ++p->s;
  size_t n = 0;
  for (const char *c = start; c < p->end && *c != '"'; c++, n++)
    if (*c == '\\') c++;
  char *buf = oq_malloc_array(n + 1, 3, p->err);
  if (!buf) return OQ_ERR_NOMEM;
  size_t k = 0;
  while (p->s < p->end && *p->s != '"') {
    unsigned char c = (unsigned char)*p->s++;
    if (c < 0x20) {
      oq_free(buf);
      JFAIL(p, p->s, "control character in a string");
    }
    if (c != '\\') {
      buf[k++] = (char)c;
      continue;
    }
    if (p->s >= p->end) break;
    char e = *p->s++;
    switch (e) {
    case '"': buf[k++] = '"'; break;
    case '\\': buf[k++] = '\\'; break;
    case '/': buf[k++] = '/'; break;
    case 'b': buf[k++] = '\b'; break;
    case 'f': buf[k++] = '\f'; break;
    case 'n': buf[k++] = '\n'; break;
    case 'r': buf[k++] = '\r'; break;
    case 't': buf[k++] = '\t'; break;
    case 'u': {
      unsigned v = 0;
      for (int i = 0; i < 4; i++) {
        char h = p->s < p->end ? *p->s++ : 0;
        int d = h >= '0' && h <= '9'   ? h - '0'
                : h >= 'a' && h <= 'f' ? h - 'a' + 10
                : h >= 'A' && h <= 'F' ? h - 'A' + 10
                                       : -1;
        if (d < 0) {
          oq_free(buf);
          JFAIL(p, p->s, "bad \\u escape");
        }
        v = v * 16 + (unsigned)d;
      }
      if (v == 0) {
        oq_free(buf);
        JFAIL(p, p->s, "\\u0000 in a string");
      }
      if (v < 0x80) {
        buf[k++] = (char)v;
      } else if (v < 0x800) {
        buf[k++] = (char)(0xC0 | (v >> 6));
        buf[k++] = (char)(0x80 | (v & 0x3F));
      } else {
        buf[k++] = (char)(0xE0 | (v >> 12));
        buf[k++] = (char)(0x80 | ((v >> 6) & 0x3F));
        buf[k++] = (char)(0x80 | (v & 0x3F));
      }
      break;
    }
    default: oq_free(buf); JFAIL(p, p->s, "bad escape '\\%c'", e);
    }
  }
  if (p->s >= p->end) {
    oq_free(buf);
    JFAIL(p, start, "unterminated string");
  }
  p->s++;
  buf[k] = 0;
  *out = buf;
  return OQ_OK;
}

static oq_status parse_number(jp *p, double *out) {
  ws(p);
  const char *st = p->s;
  char tmp[64];
  size_t n = 0;
  while (p->s < p->end && n < sizeof tmp - 1 && strchr("+-0123456789.eE", *p->s)) tmp[n++] = *p->s++;
  tmp[n] = 0;
  char *e;
  errno = 0;
  double v = n ? strtod(tmp, &e) : 0.0;
  if (!n || *e || (tmp[0] == '0' && n > 1 && tmp[1] >= '0' && tmp[1] <= '9')) JFAIL(p, st, "expected a number");
  *out = v;
  return OQ_OK;
}

static int literal(jp *p, const char *w) {
  size_t n = strlen(w);
  ws(p);
  if ((size_t)(p->end - p->s) >= n && !memcmp(p->s, w, n)) {
    p->s += n;
    return 1;
  }
  return 0;
}

/* Skips any JSON value. */
static oq_status skip_value(jp *p, int depth) {
  if (depth > MAX_DEPTH) JFAIL(p, p->s, "nesting deeper than %d", MAX_DEPTH);
  int c = peek(p);
  oq_status st;
  if (c == '"') {
    char *s;
    if ((st = parse_string(p, &s)) != OQ_OK) return st;
    oq_free(s);
    return OQ_OK;
  }
  if (c == '{' || c == '[') {
    char close = c == '{' ? '}' : ']';
    p->s++;
    if (peek(p) == close) {
      p->s++;
      return OQ_OK;
    }
    for (;;) {
      if (c == '{') {
        char *k;
        if ((st = parse_string(p, &k)) != OQ_OK) return st;
        oq_free(k);
        if ((st = expect(p, ':')) != OQ_OK) return st;
      }
      if ((st = skip_value(p, depth + 1)) != OQ_OK) return st;
      if (peek(p) == ',') {
        p->s++;
        continue;
      }
      return expect(p, close);
    }
  }
  if (literal(p, "true") || literal(p, "false") || literal(p, "null")) return OQ_OK;
  double d;
  return parse_number(p, &d);
}

static oq_status parse_bool(jp *p, const char *field, int32_t *out) {
  if (literal(p, "true"))
    *out = 1;
  else if (literal(p, "false"))
    *out = 0;
  else
    JFAIL(p, p->s, "\"%s\" must be true or false", field);
  return OQ_OK;
}

static oq_status parse_int(jp *p, const char *field, int32_t *out) {
  double d;
  const char *at = p->s;
  oq_status st = parse_number(p, &d);
  if (st != OQ_OK) return st;
  if (d != floor(d) || d < -2147483648.0 || d > 2147483647.0) JFAIL(p, at, "\"%s\" must be an integer", field);
  *out = (int32_t)d;
  return OQ_OK;
}

static oq_status parse_float(jp *p, const char *field, float *out) {
  double d;
  const char *at = p->s;
  oq_status st = parse_number(p, &d);
  if (st != OQ_OK) return st;
  if (!isfinite(d) || fabs(d) > 3.4028234663852886e38) JFAIL(p, at, "\"%s\" is out of float range", field);
  *out = (float)d;
  return OQ_OK;
}

/* Numbers of an array; floats (fl) or ints (il), whichever is not NULL. */
static oq_status parse_array(jp *p, const char *field, float **fl, int32_t **il, int32_t *n) {
  oq_status st;
  size_t cap = 8, k = 0;
  void *buf = NULL;
  if ((st = expect(p, '[')) != OQ_OK) return st;
  buf = oq_malloc_array(cap, 4, p->err);
  if (!buf) return OQ_ERR_NOMEM;
  if (peek(p) == ']') {
    p->s++;
  } else {
    for (;;) {
      if (k == cap) {
        if (cap > (size_t)INT32_MAX / 2) {
          oq_free(buf);
          JFAIL(p, p->s, "\"%s\" is too long", field);
        }
        void *nb = oq_mem_realloc(buf, cap * 2 * 4);
        if (!nb) {
          oq_free(buf);
          OQ_RETURN_ERR(p->err, OQ_ERR_NOMEM, "%s: out of memory", p->what);
        }
        buf = nb;
        cap *= 2;
      }
      st = fl ? parse_float(p, field, &((float *)buf)[k]) : parse_int(p, field, &((int32_t *)buf)[k]);
      if (st != OQ_OK) {
        oq_free(buf);
        return st;
      }
      k++;
      if (peek(p) == ',') {
        p->s++;
        continue;
      }
      if ((st = expect(p, ']')) != OQ_OK) {
        oq_free(buf);
        return st;
      }
      break;
    }
  }
  if (fl)
    *fl = buf;
  else
    *il = buf;
  *n = (int32_t)k;
  return OQ_OK;
}

static oq_status parse_entry(jp *p, oq_qedit *e) {
  oq_status st;
  if ((st = expect(p, '{')) != OQ_OK) return st;
  const char *start = p->s;
  if (peek(p) == '}') {
    p->s++;
    JFAIL(p, start, "a value without \"name\"");
  }
  for (;;) {
    char *key;
    if ((st = parse_string(p, &key)) != OQ_OK) return st;
    if ((st = expect(p, ':')) != OQ_OK) {
      oq_free(key);
      return st;
    }
    const char *at = p->s;
    if (!strcmp(key, "name")) {
      oq_free(e->name);
      st = parse_string(p, &e->name);
    } else if (!strcmp(key, "quantized")) {
      st = parse_bool(p, key, &e->quantized);
      e->has |= OQ_QEDIT_QUANTIZED;
    } else if (!strcmp(key, "type")) {
      char *t = NULL;
      st = parse_string(p, &t);
      if (st == OQ_OK) {
        int32_t d = -1;
        for (int i = 0; i < OQ_QTYPE_COUNT; i++)
          if (!strcmp(oq_qtype_get((oq_qtype_id)i)->name, t)) d = oq_qtype_get((oq_qtype_id)i)->dtype;
        if (!strcmp(t, "int32")) d = OQ_DTYPE_INT32;
        oq_free(t);
        if (d < 0) {
          oq_free(key);
          JFAIL(p, at, "unknown type (uint8, int8, uint16, int16, uint4, int4)");
        }
        if (d != OQ_DTYPE_INT32) { /* a bias's int32 is not editable: it follows from its inputs */
          e->dtype = d;
          e->has |= OQ_QEDIT_TYPE;
        }
      }
    } else if (!strcmp(key, "symmetric")) {
      st = parse_bool(p, key, &e->symmetric);
      e->has |= OQ_QEDIT_SYMMETRIC;
    } else if (!strcmp(key, "axis")) {
      st = parse_int(p, key, &e->axis);
      e->has |= OQ_QEDIT_AXIS;
    } else if (!strcmp(key, "block")) {
      st = parse_int(p, key, &e->block);
      e->has |= OQ_QEDIT_BLOCK;
    } else if (!strcmp(key, "range")) {
      float *r = NULL;
      int32_t n = 0;
      st = parse_array(p, key, &r, NULL, &n);
      if (st == OQ_OK) {
        if (n != 2) {
          oq_free(r);
          oq_free(key);
          JFAIL(p, at, "\"range\" must be [min, max]");
        }
        e->rmin = r[0];
        e->rmax = r[1];
        e->has |= OQ_QEDIT_RANGE;
        oq_free(r);
      }
    } else if (!strcmp(key, "scale")) {
      oq_free(e->scale);
      e->scale = NULL;
      st = parse_array(p, key, &e->scale, NULL, &e->n_scale);
      e->has |= OQ_QEDIT_SCALE;
    } else if (!strcmp(key, "zero_point")) {
      oq_free(e->zp);
      e->zp = NULL;
      st = parse_array(p, key, NULL, &e->zp, &e->n_zp);
      e->has |= OQ_QEDIT_ZERO_POINT;
    } else if (!strcmp(key, "params_of")) { /* whether it names the value itself: qplan.c diff_edits */
      oq_free(e->params_of);
      e->params_of = NULL;
      if (peek(p) == '"')
        st = parse_string(p, &e->params_of);
      else
        st = skip_value(p, 2);
    } else {
      st = skip_value(p, 2); /* role, rule, node, share: they follow from the rest */
    }
    oq_free(key);
    if (st != OQ_OK) return st;
    if (peek(p) == ',') {
      p->s++;
      continue;
    }
    if ((st = expect(p, '}')) != OQ_OK) return st;
    break;
  }
  if (!e->name) JFAIL(p, start, "a value without \"name\"");
  return OQ_OK;
}

void oq_qedits_free(oq_qedits *e) {
  if (!e) return;
  for (int32_t i = 0; i < e->n; i++) {
    oq_free(e->items[i].name);
    oq_free(e->items[i].params_of);
    oq_free(e->items[i].scale);
    oq_free(e->items[i].zp);
  }
  oq_free(e->items);
  e->items = NULL;
  e->n = 0;
}

static oq_status parse_values(jp *p, oq_qedits *out) {
  oq_status st;
  size_t cap = 0;
  if ((st = expect(p, '[')) != OQ_OK) return st;
  if (peek(p) == ']') {
    p->s++;
    return OQ_OK;
  }
  for (;;) {
    if ((size_t)out->n == cap) {
      size_t nc = cap ? cap * 2 : 64;
      if (nc > (size_t)INT32_MAX) JFAIL(p, p->s, "too many values");
      oq_qedit *ni = oq_mem_realloc(out->items, nc * sizeof *ni);
      if (!ni) OQ_RETURN_ERR(p->err, OQ_ERR_NOMEM, "%s: out of memory", p->what);
      out->items = ni;
      cap = nc;
    }
    oq_qedit *e = &out->items[out->n++];
    memset(e, 0, sizeof *e);
    e->axis = -1;
    const char *at = p->s;
    if ((st = parse_entry(p, e)) != OQ_OK) return st;
    for (int32_t i = 0; i + 1 < out->n; i++)
      if (!strcmp(out->items[i].name, e->name)) JFAIL(p, at, "value '%s' appears twice", e->name);
    if (peek(p) == ',') {
      p->s++;
      continue;
    }
    return expect(p, ']');
  }
}

oq_status oq_qedits_parse(const char *text, size_t len, const char *what, oq_qedits *out, oq_error *err) {
  jp p = {text, text, text + len, what ? what : "plan", err};
  oq_status st;
  int seen_values = 0;
  out->items = NULL;
  out->n = 0;
  if ((st = expect(&p, '{')) != OQ_OK) goto fail;
  if (peek(&p) != '}') {
    for (;;) {
      char *key;
      if ((st = parse_string(&p, &key)) != OQ_OK) goto fail;
      if ((st = expect(&p, ':')) != OQ_OK) {
        oq_free(key);
        goto fail;
      }
      if (!strcmp(key, "values")) {
        seen_values = 1;
        st = parse_values(&p, out);
      } else {
        st = skip_value(&p, 1);
      }
      oq_free(key);
      if (st != OQ_OK) goto fail;
      if (peek(&p) == ',') {
        p.s++;
        continue;
      }
      break;
    }
  }
  if ((st = expect(&p, '}')) != OQ_OK) goto fail;
  if (peek(&p) != -1) {
    oq_error_set(err, OQ_ERR_INVALID_ARG, __FILE__, __LINE__, "%s:%d: text after the plan object", p.what,
                 line_of(&p, p.s));
    st = OQ_ERR_INVALID_ARG;
    goto fail;
  }
  if (!seen_values) {
    oq_error_set(err, OQ_ERR_INVALID_ARG, __FILE__, __LINE__, "%s: no \"values\" array (not an onnxq plan)", p.what);
    st = OQ_ERR_INVALID_ARG;
    goto fail;
  }
  return OQ_OK;
fail:
  oq_qedits_free(out);
  return st;
}

oq_status oq_qedits_read(const char *path, oq_qedits *out, oq_error *err) {
  oq_status st = OQ_OK;
  char *buf = NULL;
  size_t len = 0, cap = 0;
  out->items = NULL;
  out->n = 0;
  FILE *f = oq_file_open_regular(path, err);
  if (!f) return err && err->code ? err->code : OQ_ERR_IO;
  for (;;) {
    if (len == cap) {
      size_t nc = cap ? cap * 2 : 65536;
      if (nc > ((size_t)1 << 31)) {
        oq_error_set(err, OQ_ERR_INVALID_ARG, __FILE__, __LINE__, "%s: plan file larger than 2 GiB", path);
        st = OQ_ERR_INVALID_ARG;
        goto done;
      }
      char *nb = oq_mem_realloc(buf, nc);
      if (!nb) {
        oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "%s: out of memory", path);
        st = OQ_ERR_NOMEM;
        goto done;
      }
      buf = nb;
      cap = nc;
    }
    size_t got = fread(buf + len, 1, cap - len, f);
    len += got;
    if (got == 0) break;
  }
  if (ferror(f)) {
    oq_error_set(err, OQ_ERR_IO, __FILE__, __LINE__, "%s: read error", path);
    st = OQ_ERR_IO;
    goto done;
  }
  st = oq_qedits_parse(buf ? buf : "", len, path, out, err);
done:
  if (st != OQ_OK) oq_error_subject_if_prefix(err, path);
  fclose(f);
  oq_free(buf);
  return st;
}
