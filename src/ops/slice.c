/* Strided data movement: Transpose, Slice, Expand and Tile, on any fixed-size dtype by element size (the copies
 * themselves are kern/strided.c). */
#include "kern/strided.h"
#include "ops/broadcast.h"
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define need_input oq_kin_fixed

/* ---- Transpose ---- */

typedef struct transpose_params {
  int32_t has_perm;          /* the perm attribute is present (else: reverse the dims) */
  int32_t n_perm;            /* entries in perm, <= OQ_MAX_DIMS */
  int64_t perm[OQ_MAX_DIMS]; /* as given */
} transpose_params;

oq_status oq_op_transpose_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  const int64_t *perm = NULL;
  size_t n = 0;
  OQ_CHECK(oq_attr_ints(ctx->node->proto, "perm", &perm, &n, err));
  if (n > OQ_MAX_DIMS) OQ_KFAIL(oq_init_node_name(ctx), OQ_ERR_MODEL, "Transpose perm is too long");
  transpose_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  p->has_perm = oq_attr_find(ctx->node->proto, "perm") != NULL;
  p->n_perm = (int32_t)n;
  if (n) memcpy(p->perm, perm, n * sizeof *perm);
  *params = p;
  return OQ_OK;
fail:
  return st;
}

/* The permutation for rank nd: perm[i] is the input axis of output axis i. */
static oq_status transpose_perm(const transpose_params *p, const char *node, int32_t nd, int64_t *perm, oq_error *err) {
  int seen[OQ_MAX_DIMS] = {0};
  if (p && p->has_perm) {
    if (p->n_perm != nd)
      OQ_KRETURN(node, OQ_ERR_SHAPE, "Transpose perm has %zu entries for rank %d", (size_t)p->n_perm, (int)nd);
    for (int32_t i = 0; i < nd; i++) {
      int64_t a = p->perm[i];
      if (!oq_norm_axis(a, nd, &a) || seen[a])
        OQ_KRETURN(node, OQ_ERR_SHAPE, "Transpose perm is not a permutation of 0..%d", (int)nd - 1);
      seen[a] = 1;
      perm[i] = a;
    }
  } else {
    for (int32_t i = 0; i < nd; i++) perm[i] = nd - 1 - i;
  }
  return OQ_OK;
}

oq_status oq_op_transpose_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                                int32_t n_out, oq_error *err) {
  (void)n_in;
  (void)n_out;
  if (!in[0] || in[0]->ndim < 0 || in[0]->ndim > OQ_MAX_DIMS) return OQ_OK;
  int64_t perm[OQ_MAX_DIMS], dims[OQ_MAX_DIMS];
  oq_status st = transpose_perm(params, "", in[0]->ndim, perm, err);
  if (st != OQ_OK) return st;
  for (int32_t i = 0; i < in[0]->ndim; i++) dims[i] = in[0]->dims[perm[i]];
  oq_info_set(&out[0], in[0]->dtype, in[0]->ndim, dims);
  return OQ_OK;
}

oq_status oq_op_transpose_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const char *node = call->node_name;
  const oq_tensor *x;
  oq_tensor *out = &call->outputs[0];
  OQ_CHECK(need_input(call, 0, "Transpose", &x, err));
  int32_t nd = x->ndim;
  int64_t perm[OQ_MAX_DIMS];
  OQ_CHECK(transpose_perm(call->params, node, nd, perm, err));
  int64_t in_str[OQ_MAX_DIMS], sstr[OQ_MAX_DIMS], dims[OQ_MAX_DIMS];
  oq_contiguous_strides(nd, x->dims, in_str);
  for (int32_t i = 0; i < nd; i++) {
    dims[i] = x->dims[perm[i]];
    sstr[i] = in_str[perm[i]];
  }
  OQ_CHECK(oq_kout(call, 0, x->dtype, nd, dims, err));
  oq_strided_copy(out->data, x->data, oq_dtype_size(x->dtype), nd, dims, sstr, 0);
  return OQ_OK;
fail:
  return st;
}

/* ---- Slice ---- */

typedef struct slice_params {
  int64_t opset;               /* < 10: starts/ends/axes are attributes (below), no steps */
  size_t n;                    /* entries in starts/ends/axes (opset < 10) */
  int64_t starts[OQ_MAX_DIMS]; /* as given */
  int64_t ends[OQ_MAX_DIMS];   /* as given */
  int64_t axes[OQ_MAX_DIMS];   /* as given, or 0..n-1 when the attribute is absent */
} slice_params;

oq_status oq_op_slice_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  slice_params *p = NULL;
  if (ctx->opset < 10) {
    const int64_t *s, *e, *a;
    size_t ns, ne, na;
    const char *node = oq_init_node_name(ctx);
    OQ_CHECK(oq_attr_ints(ctx->node->proto, "starts", &s, &ns, err));
    OQ_CHECK(oq_attr_ints(ctx->node->proto, "ends", &e, &ne, err));
    OQ_CHECK(oq_attr_ints(ctx->node->proto, "axes", &a, &na, err));
    if (ns != ne || (na && na != ns) || ns > OQ_MAX_DIMS)
      OQ_KFAIL(node, OQ_ERR_MODEL, "Slice starts/ends/axes lengths disagree (%zu, %zu, %zu)", ns, ne, na);
    p = oq_calloc(1, sizeof *p, err);
    if (!p) return OQ_ERR_NOMEM;
    p->n = ns;
    for (size_t i = 0; i < ns; i++) {
      p->starts[i] = s[i];
      p->ends[i] = e[i];
      p->axes[i] = na ? a[i] : (int64_t)i;
    }
  } else {
    p = oq_calloc(1, sizeof *p, err);
    if (!p) return OQ_ERR_NOMEM;
  }
  p->opset = ctx->opset;
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

oq_status oq_op_slice_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const slice_params *p = call->params;
  const char *node = call->node_name;
  const oq_tensor *x;
  oq_tensor *out = &call->outputs[0];
  OQ_CHECK(need_input(call, 0, "Slice", &x, err));
  int64_t starts[OQ_MAX_DIMS], ends[OQ_MAX_DIMS], axes[OQ_MAX_DIMS], steps[OQ_MAX_DIMS];
  size_t n = 0, n2 = 0;
  if (p && p->opset < 10) {
    n = p->n;
    for (size_t i = 0; i < n; i++) {
      starts[i] = p->starts[i];
      ends[i] = p->ends[i];
      axes[i] = p->axes[i];
      steps[i] = 1;
    }
  } else {
    const oq_tensor *ts = oq_kin(call, 1), *te = oq_kin(call, 2), *ta = oq_kin(call, 3), *tp = oq_kin(call, 4);
    if (!ts || !te) OQ_KFAIL(node, OQ_ERR_MODEL, "Slice needs starts and ends");
    OQ_CHECK(oq_read_int_list(ts, starts, OQ_MAX_DIMS, &n, node, "Slice starts", err));
    OQ_CHECK(oq_read_int_list(te, ends, OQ_MAX_DIMS, &n2, node, "Slice ends", err));
    if (n2 != n) OQ_KFAIL(node, OQ_ERR_SHAPE, "Slice starts and ends differ in length (%zu, %zu)", n, n2);
    if (ta) {
      OQ_CHECK(oq_read_int_list(ta, axes, OQ_MAX_DIMS, &n2, node, "Slice axes", err));
      if (n2 != n) OQ_KFAIL(node, OQ_ERR_SHAPE, "Slice axes has %zu entries, starts %zu", n2, n);
    } else {
      for (size_t i = 0; i < n; i++) axes[i] = (int64_t)i;
    }
    if (tp) {
      OQ_CHECK(oq_read_int_list(tp, steps, OQ_MAX_DIMS, &n2, node, "Slice steps", err));
      if (n2 != n) OQ_KFAIL(node, OQ_ERR_SHAPE, "Slice steps has %zu entries, starts %zu", n2, n);
    } else {
      for (size_t i = 0; i < n; i++) steps[i] = 1;
    }
  }
  int32_t nd = x->ndim;
  int64_t dims[OQ_MAX_DIMS], in_str[OQ_MAX_DIMS], sstr[OQ_MAX_DIMS], base = 0;
  int64_t st_[OQ_MAX_DIMS], sp_[OQ_MAX_DIMS];
  int seen[OQ_MAX_DIMS] = {0};
  oq_contiguous_strides(nd, x->dims, in_str);
  for (int32_t i = 0; i < nd; i++) {
    dims[i] = x->dims[i];
    st_[i] = 0;
    sp_[i] = 1;
  }
  for (size_t k = 0; k < n; k++) {
    int64_t a;
    if (!oq_norm_axis(axes[k], nd, &a))
      OQ_KFAIL(node, OQ_ERR_SHAPE, "Slice axis %lld out of range for rank %d", (long long)axes[k], (int)nd);
    if (seen[a]) OQ_KFAIL(node, OQ_ERR_SHAPE, "Slice axis %lld repeated", (long long)axes[k]);
    seen[a] = 1;
    int64_t d = x->dims[a], step = steps[k], s = starts[k], e = ends[k];
    if (step == 0) OQ_KFAIL(node, OQ_ERR_SHAPE, "Slice step is 0");
    /* |step| beyond the extent selects at most one element; clamping keeps the arithmetic in range */
    int64_t lim = d > 0 ? d : 1;
    if (step > lim) step = lim;
    if (step < -lim) step = -lim;
    if (s < 0) s += d;
    if (e < 0) e += d;
    int64_t cnt;
    if (step > 0) {
      s = s < 0 ? 0 : (s > d ? d : s);
      e = e < 0 ? 0 : (e > d ? d : e);
      cnt = e > s ? (e - s + step - 1) / step : 0;
    } else {
      s = s < 0 ? -1 : (s > d - 1 ? d - 1 : s);
      e = e < -1 ? -1 : (e > d - 1 ? d - 1 : e);
      cnt = s > e ? (s - e + (-step) - 1) / (-step) : 0;
    }
    dims[a] = cnt;
    st_[a] = cnt > 0 ? s : 0;
    sp_[a] = step;
  }
  for (int32_t i = 0; i < nd; i++) {
    sstr[i] = in_str[i] * sp_[i];
    base += st_[i] * in_str[i];
  }
  OQ_CHECK(oq_kout(call, 0, x->dtype, nd, dims, err));
  oq_strided_copy(out->data, x->data, oq_dtype_size(x->dtype), nd, dims, sstr, base);
  return OQ_OK;
fail:
  return st;
}

/* ---- Expand, Tile ---- */

oq_status oq_op_expand_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const char *node = call->node_name;
  const oq_tensor *x, *shape = oq_kin(call, 1);
  oq_tensor *out = &call->outputs[0];
  OQ_CHECK(need_input(call, 0, "Expand", &x, err));
  if (!shape) OQ_KFAIL(node, OQ_ERR_MODEL, "Expand needs its shape input");
  oq_tensor target = {0};
  size_t nd;
  OQ_CHECK(oq_read_int_list(shape, target.dims, OQ_MAX_DIMS, &nd, node, "Expand shape", err));
  target.ndim = (int32_t)nd;
  for (size_t i = 0; i < nd; i++)
    if (target.dims[i] < 0)
      OQ_KFAIL(node, OQ_ERR_SHAPE, "Expand shape has negative extent %lld", (long long)target.dims[i]);
  const oq_tensor *ins[2] = {x, &target};
  int32_t ondim;
  int64_t dims[OQ_MAX_DIMS];
  OQ_CHECK(oq_bcast_shape(ins, 2, &ondim, dims, node, err));
  OQ_CHECK(oq_kout(call, 0, x->dtype, ondim, dims, err));
  oq_bcast_copy(x, out);
  return OQ_OK;
fail:
  return st;
}

oq_status oq_op_tile_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const char *node = call->node_name;
  const oq_tensor *x, *rep = oq_kin(call, 1);
  oq_tensor *out = &call->outputs[0];
  OQ_CHECK(need_input(call, 0, "Tile", &x, err));
  if (!rep) OQ_KFAIL(node, OQ_ERR_MODEL, "Tile needs repeats");
  int64_t r[OQ_MAX_DIMS], dims[OQ_MAX_DIMS];
  size_t n;
  OQ_CHECK(oq_read_int_list(rep, r, OQ_MAX_DIMS, &n, node, "Tile repeats", err));
  if ((int32_t)n != x->ndim) OQ_KFAIL(node, OQ_ERR_SHAPE, "Tile repeats has %zu entries for rank %d", n, (int)x->ndim);
  for (int32_t i = 0; i < x->ndim; i++) {
    if (r[i] < 0) OQ_KFAIL(node, OQ_ERR_SHAPE, "Tile repeat %lld is negative", (long long)r[i]);
    if (r[i] != 0 && x->dims[i] > INT64_MAX / r[i]) OQ_KFAIL(node, OQ_ERR_SHAPE, "Tile result too large");
    dims[i] = x->dims[i] * r[i];
  }
  OQ_CHECK(oq_kout(call, 0, x->dtype, x->ndim, dims, err));
  int64_t total = oq_tensor_numel(out);
  size_t es = oq_dtype_size(x->dtype);
  int64_t in_str[OQ_MAX_DIMS], idx[OQ_MAX_DIMS] = {0};
  oq_contiguous_strides(x->ndim, x->dims, in_str);
  unsigned char *dst = out->data;
  for (int64_t e = 0; e < total; e++) {
    int64_t off = 0;
    for (int32_t i = 0; i < x->ndim; i++) off += (idx[i] % x->dims[i]) * in_str[i];
    memcpy(dst + (size_t)e * es, (const unsigned char *)x->data + (size_t)off * es, es);
    for (int32_t i = x->ndim - 1; i >= 0; i--) {
      if (++idx[i] < dims[i]) break;
      idx[i] = 0;
    }
  }
  return OQ_OK;
fail:
  return st;
}
