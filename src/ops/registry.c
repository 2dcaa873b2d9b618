/* The operator table (rows from ops/op_list.h), its hashed lookup and the declarative attribute parser.
 *
 * Lookup: a small open-addressing hash over (domain, op_type) built once (pthread_once) maps each op to its first
 * row; the op's rows are adjacent with increasing since-versions, so resolving an opset walks at most a few rows. */
#include "ops/kernels.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Rows whose params need more than free() (kernels.h declares the other function columns). */

#define OQ_NONE NULL
#define OQ_OP(type, domain, since, max_opset, min_in, max_in, min_out, max_out, init, infer, workspace, exec, free_fn, \
              flags, qkind, qaxis, qmin, attrs)                                                                        \
  {type,  domain,    since, max_opset, min_in, max_in, min_out, max_out, init,                                         \
   infer, workspace, exec,  free_fn,   flags,  qkind,  qaxis,   qmin,    &attrs},

static const oq_op_def k_ops[] = {
#include "ops/op_list.h"
};

#undef OQ_OP

/* Row invariants checked at compile time, one assertion per row. */
#define OQ_OP(type, domain, since, max_opset, min_in, max_in, min_out, max_out, init, infer, workspace, exec, free_fn, \
              flags, qkind, qaxis, qmin, attrs)                                                                        \
  _Static_assert((since) >= 1 && (max_opset) >= (since) && (min_in) <= (max_in) && (min_out) <= (max_out) &&           \
                     (qkind) >= OQ_OP_QUANT_NONE && (qkind) <= OQ_OP_QUANT_REMOVABLE,                                  \
                 "op row: bad opset range, arity or quantization kind");
#include "ops/op_list.h"
#undef OQ_OP
#undef OQ_NONE

#define N_OPS ((int32_t)(sizeof k_ops / sizeof k_ops[0]))
/* Hash slots: a power of two at least twice the row count (so probing always finds an empty slot). */
#define N_SLOTS 1024
_Static_assert(sizeof k_ops / sizeof k_ops[0] * 2 <= N_SLOTS, "grow N_SLOTS with the table");

static int16_t g_slots[N_SLOTS]; /* first row index of an op + 1; 0 = empty */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

static const char *norm_domain(const char *d) { return (!d || strcmp(d, "ai.onnx") == 0) ? "" : d; }

static uint32_t hash_key(const char *domain, const char *op) {
  uint32_t h = 2166136261u; /* FNV-1a over domain, a separator, op */
  for (const unsigned char *p = (const unsigned char *)domain; *p; p++) h = (h ^ *p) * 16777619u;
  h = (h ^ 0xffu) * 16777619u;
  for (const unsigned char *p = (const unsigned char *)op; *p; p++) h = (h ^ *p) * 16777619u;
  return h;
}

static int same_op(const oq_op_def *d, const char *domain, const char *op) {
  return strcmp(d->op_type, op) == 0 && strcmp(norm_domain(d->domain), domain) == 0;
}

static void build_hash(void) {
  for (int32_t i = 0; i < N_OPS; i++) {
    if (i > 0 && same_op(&k_ops[i - 1], norm_domain(k_ops[i].domain), k_ops[i].op_type)) continue;
    uint32_t s = hash_key(norm_domain(k_ops[i].domain), k_ops[i].op_type) & (N_SLOTS - 1);
    while (g_slots[s]) s = (s + 1) & (N_SLOTS - 1);
    g_slots[s] = (int16_t)(i + 1);
  }
}

const oq_op_def *oq_op_first_row(const char *op_type, const char *domain) {
  if (!op_type) return NULL;
  domain = norm_domain(domain);
  pthread_once(&g_once, build_hash);
  for (uint32_t s = hash_key(domain, op_type) & (N_SLOTS - 1); g_slots[s]; s = (s + 1) & (N_SLOTS - 1))
    if (same_op(&k_ops[g_slots[s] - 1], domain, op_type)) return &k_ops[g_slots[s] - 1];
  return NULL;
}

oq_op_match oq_op_resolve(const char *op_type, const char *domain, int64_t opset, const oq_op_def **row) {
  *row = NULL;
  const oq_op_def *first = oq_op_first_row(op_type, domain), *end = k_ops + N_OPS;
  if (!first || !first->exec) return OQ_OP_UNKNOWN;
  const oq_op_def *best = NULL, *last = first;
  for (const oq_op_def *d = first; d < end && same_op(d, norm_domain(first->domain), first->op_type); d++) {
    last = d;
    if (d->since_version <= opset) best = d;
  }
  if (!best) return OQ_OP_UNKNOWN;
  if (opset > best->max_opset) {
    *row = last;
    return OQ_OP_TOO_NEW;
  }
  *row = best;
  return OQ_OP_FOUND;
}

const oq_op_def *oq_op_find(const char *op_type, const char *domain, int64_t opset) {
  const oq_op_def *row;
  return oq_op_resolve(op_type, domain, opset, &row) == OQ_OP_FOUND ? row : NULL;
}

const oq_op_def *oq_op_table(int32_t *n_rows) {
  *n_rows = N_OPS;
  return k_ops;
}

/* ---- params ---------------------------------------------------------------------------------------------------- */

const oq_attr_spec oq_attrs_none = {0, NULL, 0, NULL};

oq_status oq_op_init_none(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  (void)ctx;
  (void)err;
  *params = NULL;
  return OQ_OK;
}

void oq_op_params_free(void *params) { free(params); }

oq_status oq_op_params_room(void **params, size_t head, size_t floats, float **room, oq_error *err) {
  if (floats > OQ_OP_PACK_MAX_FLOATS) OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "packed constant of %zu floats", floats);
  size_t off = (head + 63) / 64 * 64, bytes = off + floats * sizeof(float) + 64; /* floats <= 2^26: no overflow */
  void *big = oq_mem_realloc(*params, bytes);
  if (!big) OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "out of memory allocating %zu bytes for packed weights", bytes);
  uintptr_t at = (uintptr_t)big + off;
  *room = (float *)(void *)(at + (64 - at % 64) % 64); /* panel rows start on cache lines */
  *params = big;
  return OQ_OK;
}

oq_status oq_op_parse_attrs(const oq_op_init_ctx *ctx, const oq_attr_spec *spec, void *p, oq_error *err) {
  oq_status st = OQ_OK;
  for (int32_t i = 0; i < spec->n_fields; i++) {
    const oq_attr_field *f = &spec->fields[i];
    unsigned char *dst = (unsigned char *)p + f->offset;
    if (f->type == OQ_ATTR_T_INT) {
      int64_t v;
      OQ_CHECK(oq_attr_int(ctx->node->proto, f->name, (int64_t)f->dflt, &v, err));
      if ((double)v < f->min || (double)v > f->max)
        OQ_FAIL(err, OQ_ERR_MODEL, "attribute %s = %lld is out of range", f->name, (long long)v);
      memcpy(dst, &v, sizeof v);
    } else {
      float v;
      OQ_CHECK(oq_attr_float(ctx->node->proto, f->name, (float)f->dflt, &v, err));
      if ((double)v < f->min || (double)v > f->max) /* NaN passes, as it always did */
        OQ_FAIL(err, OQ_ERR_MODEL, "attribute %s = %g is out of range", f->name, (double)v);
      memcpy(dst, &v, sizeof v);
    }
  }
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_init_attrs(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_attr_spec *spec = ctx->def ? ctx->def->attrs : &oq_attrs_none;
  *params = NULL;
  if (spec->params_size == 0) return OQ_OK;
  void *p = oq_calloc(1, spec->params_size, err);
  if (!p) return OQ_ERR_NOMEM;
  OQ_CHECK(oq_op_parse_attrs(ctx, spec, p, err));
  if (spec->check) OQ_CHECK(spec->check(ctx, p, err));
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}
