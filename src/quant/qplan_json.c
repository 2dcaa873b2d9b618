/* The quantization plan as JSON (oq_qplan_describe): what a report or a --plan-out file shows. */
#include "quant/qplan.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A growable NUL-terminated string; ok drops to 0 on the first failed allocation and stays there. */
typedef struct jbuf {
  char *s;    /* owned */
  size_t len; /* characters before the NUL */
  size_t cap; /* allocated bytes */
  int ok;     /* 0 after an allocation failure */
} jbuf;

static void jb_reserve(jbuf *b, size_t more) {
  if (!b->ok) return;
  size_t need;
  if (!oq_size_add(b->len, more, &need) || !oq_size_add(need, 1, &need)) {
    b->ok = 0;
    return;
  }
  if (need <= b->cap) return;
  size_t ncap = b->cap ? b->cap : 256;
  while (ncap < need) {
    if (ncap > SIZE_MAX / 2) {
      ncap = need;
      break;
    }
    ncap *= 2;
  }
  char *ns = oq_mem_realloc(b->s, ncap);
  if (!ns) {
    b->ok = 0;
    return;
  }
  b->s = ns;
  b->cap = ncap;
}

static void jb_puts(jbuf *b, const char *s) {
  size_t n = strlen(s);
  jb_reserve(b, n);
  if (!b->ok) return;
  memcpy(b->s + b->len, s, n + 1);
  b->len += n;
}

static void jb_printf(jbuf *b, const char *fmt, ...) OQ_PRINTF(2, 3);
static void jb_printf(jbuf *b, const char *fmt, ...) {
  char tmp[64];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof tmp) {
    b->ok = 0; /* only short numbers go through here */
    return;
  }
  jb_puts(b, tmp);
}

/* A JSON string: quotes, backslashes and control characters escaped; other bytes as they are (names are UTF-8). */
static void jb_str(jbuf *b, const char *s) {
  if (!s) {
    jb_puts(b, "null");
    return;
  }
  jb_puts(b, "\"");
  for (const unsigned char *p = (const unsigned char *)s; *p && b->ok; p++) {
    if (*p == '"' || *p == '\\') {
      char esc[3] = {'\\', (char)*p, 0};
      jb_puts(b, esc);
    } else if (*p < 0x20) {
      jb_printf(b, "\\u%04x", *p);
    } else {
      char c[2] = {(char)*p, 0};
      jb_puts(b, c);
    }
  }
  jb_puts(b, "\"");
}

/* 9 significant digits read back to the same float32; JSON has no inf/nan. */
static void jb_float(jbuf *b, float f) {
  if (f != f || f > 3.4e38f || f < -3.4e38f)
    jb_puts(b, "null");
  else
    jb_printf(b, "%.9g", (double)f);
}

static const char *value_name(const oq_qplan *p, int32_t v) { return v >= 0 ? p->graph->values[v].name : NULL; }

static void describe_rec(jbuf *b, const oq_qplan *p, const oq_qrec *r) {
  const oq_graph *g = p->graph;
  jb_puts(b, "{\"name\":");
  jb_str(b, value_name(p, r->value));
  jb_puts(b, ",\"role\":");
  jb_str(b, oq_qrole_name(r->role));
  jb_puts(b, ",\"rule\":");
  jb_str(b, oq_qrule_name(r->rule));
  jb_puts(b, ",\"node\":");
  jb_str(b, r->node >= 0 ? g->nodes[r->node].proto->name : NULL);
  jb_printf(b, ",\"quantized\":%s", r->quantized ? "true" : "false");
  if (r->quantized) {
    jb_puts(b, ",\"type\":");
    jb_str(b, oq_dtype_name(r->dtype));
    jb_printf(b, ",\"symmetric\":%s,\"axis\":%d,\"block\":%d", r->symmetric ? "true" : "false", (int)r->axis,
              (int)r->block);
    jb_puts(b, ",\"share\":");
    jb_str(b, value_name(p, r->share));
    jb_puts(b, ",\"params_of\":");
    jb_str(b, value_name(p, r->params_of));
    /* the numbers it is quantized with: its own, or those of the value it shares them with */
    const oq_qrec *pr = r->params_of >= 0 ? oq_qplan_find(p, r->params_of) : r;
    if (!pr) pr = r;
    jb_puts(b, ",\"scale\":[");
    for (int32_t c = 0; c < pr->n_params; c++) {
      if (c) jb_puts(b, ",");
      jb_float(b, pr->params[c].scale);
    }
    jb_puts(b, "],\"zero_point\":[");
    for (int32_t c = 0; c < pr->n_params; c++) jb_printf(b, c ? ",%d" : "%d", (int)pr->params[c].zero_point);
    jb_puts(b, "]");
    if (r->role == OQ_QROLE_ACT && r->params_of == r->value) {
      jb_puts(b, ",\"range\":[");
      jb_float(b, r->rmin);
      jb_puts(b, ",");
      jb_float(b, r->rmax);
      jb_puts(b, "]");
    }
  }
  jb_puts(b, "}");
}

oq_status oq_qplan_describe(const oq_qplan *plan, char **out, oq_error *err) {
  if (!plan || !out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_qplan_describe: NULL argument");
  *out = NULL;
  jbuf b = {NULL, 0, 0, 1};
  const oq_graph *g = plan->graph;
  jb_puts(&b, "{\"format\":\"onnxq-plan\",\"version\":1,\n");
  jb_printf(&b, "\"opset\":{\"from\":%lld,\"to\":%lld,\"rule\":", (long long)plan->opset_from,
            (long long)plan->opset_to);
  jb_str(&b, oq_qrule_name(plan->opset_rule));
  jb_puts(&b, "},\n\"removed_nodes\":[");
  int first = 1;
  for (int32_t n = 0; n < g->n_nodes; n++) {
    if (!plan->node_removed[n]) continue;
    jb_puts(&b, first ? "\n{\"node\":" : ",\n{\"node\":");
    first = 0;
    jb_str(&b, g->nodes[n].proto->name);
    jb_puts(&b, ",\"op\":");
    jb_str(&b, g->nodes[n].proto->op_type);
    jb_puts(&b, ",\"rule\":");
    jb_str(&b, oq_qrule_name(plan->node_rule[n]));
    jb_puts(&b, "}");
  }
  jb_puts(&b, "],\n\"values\":[");
  for (int32_t i = 0; i < plan->n_recs; i++) {
    jb_puts(&b, i ? ",\n" : "\n");
    describe_rec(&b, plan, &plan->recs[i]);
  }
  jb_puts(&b, "]}");
  if (!b.ok) {
    oq_free(b.s);
    OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "out of memory describing the quantization plan");
  }
  *out = b.s;
  return OQ_OK;
}
