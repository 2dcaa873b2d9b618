/* Einsum: explicit ("ij,jk->ik") and implicit ("ij,jk") forms, repeated letters (diagonals), "..." for leading
 * broadcast dims, any number of inputs. One loop over every letter's extent (output letters outer, summed letters
 * inner) accumulating in double: general, not fast; numeric dtypes through the generic element access. */
#include "core/limits.h"
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <stdlib.h>
#include <string.h>

#define EIN_MAX_IN  8
#define EIN_LETTERS 64 /* a-z, A-Z, and letters standing for "..." dims */

typedef struct einsum_params {
  char eq[256];
} einsum_params;

oq_status oq_op_einsum_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  const char *s;
  size_t len;
  oq_status st = oq_attr_string(ctx->node->proto, "equation", "", &s, &len, err);
  if (st != OQ_OK) return st;
  if (len == 0 || len >= sizeof((einsum_params *)0)->eq)
    OQ_RETURN_ERR(err, OQ_ERR_MODEL, "equation is empty or too long");
  einsum_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  size_t j = 0;
  for (size_t i = 0; i < len; i++)
    if (s[i] != ' ') p->eq[j++] = s[i];
  *params = p;
  return OQ_OK;
}

static int letter_id(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return 26 + c - 'A';
  return -1;
}

/* Parses one term (of rank `rank`, -1 for the output) into ids; "..." expands to ell ids 52.. (right-aligned). */
static oq_status parse_term(const char *t, size_t len, int32_t rank, int32_t ell, int32_t *ids, int32_t *n,
                            int32_t *ell_out, oq_error *err) {
  int32_t k = 0, letters = 0;
  for (size_t i = 0; i < len; i++) letters += t[i] != '.';
  int32_t e = rank >= 0 ? rank - letters : ell;
  if (e < 0) OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "equation term has more letters than its input's rank");
  for (size_t i = 0; i < len; i++) {
    if (t[i] == '.') {
      if (i + 2 >= len || t[i + 1] != '.' || t[i + 2] != '.')
        OQ_RETURN_ERR(err, OQ_ERR_MODEL, "bad ellipsis in equation");
      for (int32_t q = 0; q < e; q++) ids[k++] = 52 + (ell - e) + q;
      if (ell_out) *ell_out = e;
      i += 2;
      continue;
    }
    int id = letter_id(t[i]);
    if (id < 0 || k >= OQ_MAX_DIMS) OQ_RETURN_ERR(err, OQ_ERR_MODEL, "bad equation character '%c'", t[i]);
    ids[k++] = id;
  }
  *n = k;
  return OQ_OK;
}

oq_status oq_op_einsum_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const einsum_params *p = call->params;
  int32_t ni = call->n_inputs;
  if (ni < 1 || ni > EIN_MAX_IN) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "Einsum takes 1 to %d inputs", EIN_MAX_IN);
  const char *eq = p->eq, *arrow = strstr(eq, "->");
  size_t lhs_len = arrow ? (size_t)(arrow - eq) : strlen(eq);
  int32_t ids[EIN_MAX_IN][OQ_MAX_DIMS], nid[EIN_MAX_IN], ell = 0;
  int64_t ext[EIN_LETTERS];
  int count[EIN_LETTERS] = {0};
  for (int i = 0; i < EIN_LETTERS; i++) ext[i] = -1;
  /* the ellipsis rank: the largest over inputs */
  const char *t = eq;
  for (int32_t k = 0; k < ni; k++) {
    const char *end = memchr(t, ',', lhs_len - (size_t)(t - eq));
    size_t len = end ? (size_t)(end - t) : lhs_len - (size_t)(t - eq);
    if (!end && k != ni - 1) OQ_FAIL(err, OQ_ERR_MODEL, "equation has fewer terms than inputs");
    const oq_tensor *x = call->inputs[k];
    if (!oq_dtype_is_numeric(x->dtype)) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "Einsum input %d is not numeric", (int)k);
    int32_t letters = 0;
    int has_ell = 0;
    for (size_t i = 0; i < len; i++) letters += t[i] != '.', has_ell |= t[i] == '.';
    if (has_ell && x->ndim - letters > ell) ell = x->ndim - letters;
    t = end ? end + 1 : t + len;
  }
  t = eq;
  for (int32_t k = 0; k < ni; k++) {
    const char *end = memchr(t, ',', lhs_len - (size_t)(t - eq));
    size_t len = end ? (size_t)(end - t) : lhs_len - (size_t)(t - eq);
    const oq_tensor *x = call->inputs[k];
    OQ_CHECK(parse_term(t, len, x->ndim, ell, ids[k], &nid[k], NULL, err));
    if (nid[k] != x->ndim) OQ_FAIL(err, OQ_ERR_SHAPE, "equation term %d does not match rank %d", (int)k, (int)x->ndim);
    for (int32_t d = 0; d < nid[k]; d++) {
      int32_t id = ids[k][d];
      int64_t e = x->dims[d];
      if (ext[id] < 0 || ext[id] == 1)
        ext[id] = e;
      else if (e != 1 && e != ext[id])
        OQ_FAIL(err, OQ_ERR_SHAPE, "equation letter extents disagree");
      count[id]++;
    }
    t = end ? end + 1 : t + len;
  }
  int32_t oid[OQ_MAX_DIMS], no = 0;
  if (arrow) {
    OQ_CHECK(parse_term(arrow + 2, strlen(arrow + 2), -1, ell, oid, &no, NULL, err));
  } else { /* implicit: ellipsis dims, then letters seen once, alphabetically */
    for (int32_t q = 0; q < ell; q++) oid[no++] = 52 + q;
    for (int id = 0; id < 52; id++)
      if (count[id] == 1) {
        if (no >= OQ_MAX_DIMS) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "result rank too large");
        oid[no++] = id;
      }
  }
  int in_out[EIN_LETTERS] = {0};
  int64_t odims[OQ_MAX_DIMS];
  for (int32_t d = 0; d < no; d++) {
    if (ext[oid[d]] < 0) OQ_FAIL(err, OQ_ERR_MODEL, "output letter does not appear in the inputs");
    /* as in numpy: an output letter once (fuzz_run: 'bij,bjk->iik' stepped twice i's stride through the inputs,
     * reading past them) */
    if (in_out[oid[d]]) OQ_FAIL(err, OQ_ERR_MODEL, "equation's output repeats a letter");
    odims[d] = ext[oid[d]];
    in_out[oid[d]] = 1;
  }
  int32_t sum_ids[EIN_LETTERS], ns = 0;
  for (int id = 0; id < EIN_LETTERS; id++)
    if (ext[id] >= 0 && !in_out[id]) sum_ids[ns++] = id;
  int32_t dt = call->inputs[0]->dtype;
  OQ_CHECK(oq_kout(call, 0, dt, no, odims, err));
  oq_tensor *y = &call->outputs[0];
  /* strides of each letter in each input (0 for broadcast or absent) */
  int64_t str[EIN_MAX_IN][EIN_LETTERS];
  memset(str, 0, sizeof str);
  for (int32_t k = 0; k < ni; k++) {
    int64_t s = 1;
    for (int32_t d = nid[k] - 1; d >= 0; d--) {
      if (call->inputs[k]->dims[d] != 1) str[k][ids[k][d]] += s;
      s *= call->inputs[k]->dims[d];
    }
  }
  int64_t n_out = oq_tensor_numel(y), n_sum = 1;
  for (int32_t i = 0; i < ns; i++)
    if (__builtin_mul_overflow(n_sum, ext[sum_ids[i]], &n_sum))
      OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "Einsum sums over more than 2^63 terms");
  int64_t oc[OQ_MAX_DIMS] = {0};
  for (int64_t e = 0; e < n_out; e++) {
    int64_t base[EIN_MAX_IN] = {0};
    for (int32_t k = 0; k < ni; k++)
      for (int32_t d = 0; d < no; d++) base[k] += oc[d] * str[k][oid[d]];
    double acc = 0;
    int64_t sc[EIN_LETTERS] = {0};
    for (int64_t q = 0; q < n_sum; q++) {
      /* the terms of one element multiply the extents of every summed letter: a few inputs of a few thousand
       * elements make hours of work, so --max-seconds is checked in the loop too */
      if ((q & 0xffff) == 0xffff) OQ_CHECK(oq_limits_check_time(err));
      double prod = 1;
      for (int32_t k = 0; k < ni; k++) {
        int64_t off = base[k];
        for (int32_t i = 0; i < ns; i++) off += sc[i] * str[k][sum_ids[i]];
        prod *= oq_load_f64(call->inputs[k]->data, call->inputs[k]->dtype, off);
      }
      acc += prod;
      for (int32_t i = ns - 1; i >= 0; i--) {
        if (++sc[i] < ext[sum_ids[i]]) break;
        sc[i] = 0;
      }
    }
    oq_store_f64(y->data, dt, e, acc);
    if ((e & 0xff) == 0xff) OQ_CHECK(oq_limits_check_time(err));
    for (int32_t d = no - 1; d >= 0; d--) {
      if (++oc[d] < odims[d]) break;
      oc[d] = 0;
    }
  }
  return OQ_OK;
fail:
  return st;
}

/* Output dtype and shape from the inputs' ranks and extents (unknown extents stay unknown unless another input
 * fixes the letter; a letter seen as 1 and as unknown is unknown, as broadcasting may make it either). */
oq_status oq_op_einsum_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                             int32_t n_out, oq_error *err) {
  (void)n_out;
  const einsum_params *p = params;
  if (n_in < 1 || n_in > EIN_MAX_IN || !in[0]) return OQ_OK;
  out[0].dtype = in[0]->dtype;
  for (int32_t k = 0; k < n_in; k++)
    if (!in[k] || in[k]->ndim < 0) return OQ_OK;
  const char *eq = p->eq, *arrow = strstr(eq, "->");
  size_t lhs_len = arrow ? (size_t)(arrow - eq) : strlen(eq);
  int32_t ids[OQ_MAX_DIMS], nid, ell = 0;
  int64_t ext[EIN_LETTERS];
  int seen[EIN_LETTERS] = {0}, count[EIN_LETTERS] = {0};
  const char *t = eq;
  for (int32_t k = 0; k < n_in; k++) {
    const char *end = memchr(t, ',', lhs_len - (size_t)(t - eq));
    size_t len = end ? (size_t)(end - t) : lhs_len - (size_t)(t - eq);
    if (!end && k != n_in - 1) OQ_RETURN_ERR(err, OQ_ERR_MODEL, "equation has fewer terms than inputs");
    int32_t letters = 0;
    int has_ell = 0;
    for (size_t i = 0; i < len; i++) letters += t[i] != '.', has_ell |= t[i] == '.';
    if (has_ell && in[k]->ndim - letters > ell) ell = in[k]->ndim - letters;
    t = end ? end + 1 : t + len;
  }
  t = eq;
  for (int32_t k = 0; k < n_in; k++) {
    const char *end = memchr(t, ',', lhs_len - (size_t)(t - eq));
    size_t len = end ? (size_t)(end - t) : lhs_len - (size_t)(t - eq);
    oq_status st = parse_term(t, len, in[k]->ndim, ell, ids, &nid, NULL, err);
    if (st != OQ_OK) return st;
    if (nid != in[k]->ndim)
      OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "equation term %d does not match rank %d", (int)k, (int)in[k]->ndim);
    for (int32_t d = 0; d < nid; d++) {
      int32_t id = ids[d];
      int64_t e = in[k]->dims[d];
      if (!seen[id])
        ext[id] = e;
      else if (ext[id] == 1 || (ext[id] < 0 && e > 1))
        ext[id] = e;
      else if (e >= 0 && e != 1 && ext[id] >= 0 && e != ext[id])
        OQ_RETURN_ERR(err, OQ_ERR_SHAPE, "equation letter extents disagree");
      seen[id] = 1;
      count[id]++;
    }
    t = end ? end + 1 : t + len;
  }
  int32_t oid[OQ_MAX_DIMS], no = 0;
  if (arrow) {
    oq_status st = parse_term(arrow + 2, strlen(arrow + 2), -1, ell, oid, &no, NULL, err);
    if (st != OQ_OK) return st;
  } else {
    for (int32_t q = 0; q < ell; q++) oid[no++] = 52 + q;
    for (int id = 0; id < 52; id++)
      if (count[id] == 1) {
        if (no >= OQ_MAX_DIMS) OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "result rank too large");
        oid[no++] = id;
      }
  }
  int64_t odims[OQ_MAX_DIMS];
  for (int32_t d = 0; d < no; d++) {
    if (!seen[oid[d]]) OQ_RETURN_ERR(err, OQ_ERR_MODEL, "output letter does not appear in the inputs");
    odims[d] = ext[oid[d]];
  }
  oq_info_set(&out[0], in[0]->dtype, no, odims);
  return OQ_OK;
}
