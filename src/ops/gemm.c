/* Gemm and MatMul (float32): shape checks and broadcasting glue around kern/sgemm (packing scratch from the
 * executor; call->reference runs oq_sgemm_ref instead). */
#include "core/pool.h"
#include "kern/cpu.h"
#include "kern/sgemm.h"
#include "ops/kernels.h"
#include "ops/nn.h"
#include "ops/tensor_util.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* Packing scratch for one sgemm of m x n x k on call's pool, from the executor. */
static oq_status pack_for(const oq_kernel_call *call, size_t m, size_t n, size_t k, oq_sgemm_pack *pack,
                          oq_error *err) {
  memset(pack, 0, sizeof *pack);
  pack->slot_floats = oq_sgemm_pack_floats(m, n, k);
  pack->n_slots = oq_sgemm_slots(oq_threadpool_size(call->pool), m, n, k, 0);
  if (call->reference || pack->slot_floats == 0) return OQ_OK;
  size_t bytes;
  if (!oq_size_mul(pack->slot_floats * sizeof(float), (size_t)pack->n_slots, &bytes))
    OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "matrix product packing buffers are too large");
  void *buf;
  oq_status st = oq_kscratch(call, bytes, &buf, err);
  pack->buf = buf;
  return st;
}

static size_t pack_bytes(size_t m, size_t n, size_t k, int32_t threads) {
  return oq_sgemm_pack_floats(m, n, k) * sizeof(float) * (size_t)oq_sgemm_slots(threads, m, n, k, 0);
}

/* Grows *params (head bytes; NULL: a fresh zeroed head) by room for the constant B packed for the sgemm, recorded
 * in the oq_bpack_room at room_off, when b is a 2-D float whose packing fits (else leaves *params as it is). On
 * failure (no memory) *params is unchanged and still the caller's. */
static oq_status bpack_room_add(void **params, size_t head, size_t room_off, const Onnx__TensorProto *b, int tb,
                                oq_error *err) {
  if (!b || b->data_type != OQ_DTYPE_FLOAT || b->n_dims != 2 || b->dims[0] < 1 || b->dims[1] < 1 ||
      b->dims[0] > ((int64_t)1 << 31) || b->dims[1] > ((int64_t)1 << 31))
    return OQ_OK;
  int64_t n = tb ? b->dims[0] : b->dims[1], k = tb ? b->dims[1] : b->dims[0];
  int32_t nr = oq_simd_get()->gemm_nr;
  size_t floats = oq_sgemm_bpack_floats((size_t)n, (size_t)k, nr);
  if (floats > OQ_OP_PACK_MAX_FLOATS) return OQ_OK; /* also SIZE_MAX */
  float *room;
  void *grown = *params;
  oq_status st = oq_op_params_room(&grown, head, floats, &room, err);
  if (st != OQ_OK) return st;
  if (!*params) memset(grown, 0, head);
  *(oq_bpack_room *)(void *)((unsigned char *)grown + room_off) = (oq_bpack_room){room, NULL, n, k, nr, tb};
  *params = grown;
  return OQ_OK;
}

/* The room's packing of b for an m x n x k product (filled now when b's bytes are new), or NULL when there is none
 * for it or the product does not read B packed. */
static const oq_sgemm_bpack *bpack_use(const oq_bpack_room *r, int tb, const float *b, size_t ldb, size_t m, size_t n,
                                       size_t k, oq_sgemm_bpack *out) {
  if (!r->buf || r->tb != tb || (size_t)r->n != n || (size_t)r->k != k || r->nr != oq_simd_get()->gemm_nr ||
      !oq_sgemm_uses_bpack(m, n, k))
    return NULL;
  if (r->src != b) {
    oq_bpack_room *mr = (oq_bpack_room *)(uintptr_t)r; /* the cache is the params' own, mutable room */
    oq_sgemm_bpack_fill(tb, b, ldb, n, k, r->nr, r->buf);
    mr->src = b;
  }
  *out = (oq_sgemm_bpack){r->buf, n, k, r->nr, tb};
  return out;
}

/* ---- Gemm ---------------------------------------------------------------------------------------------------- */

static const oq_attr_field k_gemm_fields[] = {
    OQ_ATTR_FLOAT(oq_gemm_params, alpha, "alpha", 1.0),
    OQ_ATTR_FLOAT(oq_gemm_params, beta, "beta", 1.0),
    OQ_ATTR_INT(oq_gemm_params, trans_a, "transA", 0, -HUGE_VAL, HUGE_VAL),
    OQ_ATTR_INT(oq_gemm_params, trans_b, "transB", 0, -HUGE_VAL, HUGE_VAL),
};
static oq_status gemm_check(const oq_op_init_ctx *ctx, const void *params, oq_error *err) {
  (void)ctx;
  const oq_gemm_params *p = params;
  if ((p->trans_a != 0 && p->trans_a != 1) || (p->trans_b != 0 && p->trans_b != 1))
    OQ_RETURN_ERR(err, OQ_ERR_MODEL, "transA/transB must be 0 or 1 (got %lld, %lld)", (long long)p->trans_a,
                  (long long)p->trans_b);
  return OQ_OK;
}

const oq_attr_spec oq_attrs_gemm = {sizeof(oq_gemm_params), k_gemm_fields, 4, gemm_check};

oq_status oq_op_gemm_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = oq_op_init_attrs(ctx, params, err);
  if (st != OQ_OK) return st;
  oq_gemm_params *p = *params;
  /* transB 0 reads a row-major B in place under few rows of A; transposed, B was packed every run */
  if (!p || p->trans_b != 1) return OQ_OK;
  st = bpack_room_add(params, sizeof *p, offsetof(oq_gemm_params, bpack), oq_init_const_input(ctx, 1), 1, err);
  if (st != OQ_OK) { /* p is still ours: the caller gets no params on failure */
    free(p);
    *params = NULL;
  }
  return st;
}

static oq_status check_float(const oq_tensor *t, const char *what, oq_error *err) {
  if (t->dtype != OQ_DTYPE_FLOAT)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "input %s has type %s, only float32 is supported", what,
                  oq_dtype_name(t->dtype));
  return OQ_OK;
}

/* Checks A, B, C (c may be NULL) and gives Y's extents; shared by exec, infer and workspace. */
static oq_status gemm_setup(const oq_gemm_params *p, const oq_tensor *a, const oq_tensor *b, const oq_tensor *c,
                            int64_t *m_out, int64_t *n_out, int64_t *k_out, oq_error *err) {
  oq_status st = OQ_OK;
  OQ_CHECK(oq_nn_check_dims(a, "A", err));
  OQ_CHECK(oq_nn_check_dims(b, "B", err));
  if (c) OQ_CHECK(oq_nn_check_dims(c, "C", err));
  if (a->ndim != 2 || b->ndim != 2)
    OQ_FAIL(err, OQ_ERR_SHAPE, "A and B must be 2-D (got rank %d and %d)", (int)a->ndim, (int)b->ndim);
  int64_t m = p->trans_a ? a->dims[1] : a->dims[0], ka = p->trans_a ? a->dims[0] : a->dims[1];
  int64_t kb = p->trans_b ? b->dims[1] : b->dims[0], n = p->trans_b ? b->dims[0] : b->dims[1];
  if (ka != kb)
    OQ_FAIL(err, OQ_ERR_SHAPE, "inner dimensions differ: A gives K=%lld, B gives K=%lld", (long long)ka, (long long)kb);
  if (c) {
    int ok = c->ndim <= 2;
    int64_t cm = c->ndim == 2 ? c->dims[0] : 1, cn = c->ndim >= 1 ? c->dims[c->ndim - 1] : 1;
    ok = ok && (cm == 1 || cm == m) && (cn == 1 || cn == n);
    if (!ok)
      OQ_FAIL(err, OQ_ERR_SHAPE, "C (rank %d) does not broadcast to [%lld, %lld]", (int)c->ndim, (long long)m,
              (long long)n);
  }
  *m_out = m;
  *n_out = n;
  *k_out = ka;
  return OQ_OK;
fail:
  return st;
}

/* The inputs as data-less tensors when all are known; 0 otherwise. */
static int gemm_infos(const oq_shape_info *const *in, int32_t n_in, oq_tensor *a, oq_tensor *b, oq_tensor *c,
                      const oq_tensor **cp) {
  *cp = NULL;
  if (!oq_info_known(in[0]) || !oq_info_known(in[1])) return 0;
  oq_info_tensor(in[0], a);
  oq_info_tensor(in[1], b);
  if (n_in > 2 && in[2]) {
    if (!oq_info_known(in[2])) return 0;
    oq_info_tensor(in[2], c);
    *cp = c;
  }
  return 1;
}

oq_status oq_op_gemm_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                           int32_t n_out, oq_error *err) {
  (void)n_out;
  const oq_gemm_params *p = params;
  oq_tensor a, b, c;
  const oq_tensor *cp;
  int64_t dims[2], k;
  /* a symbolic batch: A's rows unknown (A not transposed, C not broadcast over rows) */
  int rows_unknown = in[0] && !p->trans_a && in[0]->ndim == 2 && in[0]->dims[0] < 0 && oq_info_known_but_batch(in[0]) &&
                     (n_in < 3 || !in[2] || in[2]->ndim < 2 || in[2]->dims[0] == 1);
  oq_shape_info a1;
  const oq_shape_info *ins[3] = {in[0], in[1], n_in > 2 ? in[2] : NULL};
  if (rows_unknown) {
    a1 = *in[0];
    a1.dims[0] = 1;
    ins[0] = &a1;
  }
  if (!gemm_infos(ins, n_in, &a, &b, &c, &cp)) return OQ_OK;
  oq_status st = gemm_setup(params, &a, &b, cp, &dims[0], &dims[1], &k, err);
  if (rows_unknown) dims[0] = -1;
  if (st == OQ_OK) oq_info_set(&out[0], OQ_DTYPE_FLOAT, 2, dims);
  return st;
}

size_t oq_op_gemm_workspace(const void *params, const oq_shape_info *const *in, int32_t n_in, int32_t n_out,
                            int32_t threads) {
  (void)n_out;
  oq_tensor a, b, c;
  const oq_tensor *cp;
  int64_t m, n, k;
  oq_error err = {0};
  if (!gemm_infos(in, n_in, &a, &b, &c, &cp) || gemm_setup(params, &a, &b, cp, &m, &n, &k, &err) != OQ_OK) return 0;
  return pack_bytes((size_t)m, (size_t)n, (size_t)k, threads);
}

oq_status oq_op_gemm_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_gemm_params *p = call->params;
  const oq_tensor *a = call->inputs[0], *b = call->inputs[1];
  const oq_tensor *c = call->n_inputs > 2 ? call->inputs[2] : NULL;
  OQ_CHECK(check_float(a, "A", err));
  OQ_CHECK(check_float(b, "B", err));
  if (c) OQ_CHECK(check_float(c, "C", err));
  int64_t m, n, ka;
  OQ_CHECK(gemm_setup(p, a, b, c, &m, &n, &ka, err));
  int64_t ydims[2] = {m, n};
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_FLOAT, 2, ydims, err));
  float *yd = call->outputs[0].data;
  float beta = 0.0f;
  if (c && p->beta != 0.0f && m > 0 && n > 0) {
    const float *cd = c->data;
    int64_t cm = c->ndim == 2 ? c->dims[0] : 1, cn = c->ndim >= 1 ? c->dims[c->ndim - 1] : 1;
    for (int64_t i = 0; i < m; i++)
      for (int64_t j = 0; j < n; j++) yd[i * n + j] = cd[(cm == 1 ? 0 : i) * cn + (cn == 1 ? 0 : j)];
    beta = p->beta;
  }
  size_t lda = (size_t)a->dims[1], ldb = (size_t)b->dims[1];
  int ta = (int)p->trans_a, tb = (int)p->trans_b;
  if (call->reference) {
    oq_sgemm_ref(ta, tb, (size_t)m, (size_t)n, (size_t)ka, p->alpha, a->data, lda, b->data, ldb, beta, yd, (size_t)n);
  } else {
    oq_sgemm_pack pack;
    OQ_CHECK(pack_for(call, (size_t)m, (size_t)n, (size_t)ka, &pack, err));
    oq_sgemm_bpack bp;
    const oq_sgemm_bpack *bpp = bpack_use(&p->bpack, tb, b->data, ldb, (size_t)m, (size_t)n, (size_t)ka, &bp);
    OQ_CHECK(oq_sgemm_bpacked(call->pool, &pack, bpp, ta, tb, (size_t)m, (size_t)n, (size_t)ka, p->alpha, a->data, lda,
                              b->data, ldb, beta, yd, (size_t)n, err));
  }
  return OQ_OK;
fail:
  return st;
}

/* ---- MatMul (numpy semantics: 1-D operands promoted and the added axis removed, batch dims broadcast) ------- */

/* MatMul's shape facts: Y's shape, the batch broadcast and whether one product covers every batch. */
typedef struct matmul_shape {
  int64_t m, n, k;                              /* per product */
  int32_t nbat;                                 /* batch dims of Y */
  int64_t bdims[OQ_MAX_DIMS];                   /* batch extents */
  int64_t astr[OQ_MAX_DIMS], bstr[OQ_MAX_DIMS]; /* per-batch-dim element strides (0 where broadcast) */
  int32_t yn;                                   /* Y's rank */
  int64_t ydims[OQ_MAX_DIMS];                   /* Y's shape */
  int stacked;                                  /* B shared by every batch and A contiguous: one product */
} matmul_shape;

static oq_status matmul_setup(const oq_tensor *a, const oq_tensor *b, matmul_shape *s, oq_error *err) {
  oq_status st = OQ_OK;
  OQ_CHECK(oq_nn_check_dims(a, "A", err));
  OQ_CHECK(oq_nn_check_dims(b, "B", err));
  if (a->ndim < 1 || b->ndim < 1) OQ_FAIL(err, OQ_ERR_SHAPE, "MatMul operands must have rank >= 1");
  /* Promote to matrices: A [.., m, k], B [.., k, n]. */
  int64_t m = a->ndim == 1 ? 1 : a->dims[a->ndim - 2], k = a->dims[a->ndim - 1];
  int64_t kb = b->ndim == 1 ? b->dims[0] : b->dims[b->ndim - 2], n = b->ndim == 1 ? 1 : b->dims[b->ndim - 1];
  if (k != kb)
    OQ_FAIL(err, OQ_ERR_SHAPE, "inner dimensions differ: A gives K=%lld, B gives K=%lld", (long long)k, (long long)kb);
  int32_t abat = a->ndim > 2 ? a->ndim - 2 : 0, bbat = b->ndim > 2 ? b->ndim - 2 : 0;
  int32_t nbat = abat > bbat ? abat : bbat;
  /* Batch shape and per-batch-dim element strides of each operand (0 where broadcast). */
  int64_t asz = m * k, bsz = k * n;
  for (int32_t i = nbat - 1; i >= 0; i--) {
    int32_t ai = i - (nbat - abat), bi = i - (nbat - bbat);
    int64_t ad = ai >= 0 ? a->dims[ai] : 1, bd = bi >= 0 ? b->dims[bi] : 1;
    if (ad != bd && ad != 1 && bd != 1)
      OQ_FAIL(err, OQ_ERR_SHAPE, "batch dimensions do not broadcast (%lld vs %lld)", (long long)ad, (long long)bd);
    s->bdims[i] = ad == 1 ? bd : ad;
    s->astr[i] = ad == 1 ? 0 : asz;
    s->bstr[i] = bd == 1 ? 0 : bsz;
    asz *= ad;
    bsz *= bd;
  }
  s->m = m;
  s->n = n;
  s->k = k;
  s->nbat = nbat;
  s->yn = 0;
  for (int32_t i = 0; i < nbat; i++) s->ydims[s->yn++] = s->bdims[i];
  if (a->ndim > 1) s->ydims[s->yn++] = m;
  if (b->ndim > 1) s->ydims[s->yn++] = n;
  int b_shared = 1, a_full = 1;
  for (int32_t i = 0; i < nbat; i++) {
    b_shared = b_shared && s->bstr[i] == 0;
    a_full = a_full && (s->astr[i] != 0 || s->bdims[i] == 1);
  }
  s->stacked = b_shared && a_full;
  return OQ_OK;
fail:
  return st;
}

/* Batches of a non-empty Y (its extents multiply without overflow). */
static int64_t matmul_batches(const matmul_shape *s) {
  int64_t nbatch = 1;
  for (int32_t i = 0; i < s->nbat; i++) nbatch *= s->bdims[i];
  return nbatch;
}

oq_status oq_op_matmul_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  *params = NULL;
  return bpack_room_add(params, sizeof(oq_matmul_params), offsetof(oq_matmul_params, bpack),
                        oq_init_const_input(ctx, 1), 0, err);
}

oq_status oq_op_matmul_infer(const void *params, const oq_shape_info *const *in, int32_t n_in, oq_shape_info *out,
                             int32_t n_out, oq_error *err) {
  (void)params;
  (void)n_in;
  (void)n_out;
  /* a symbolic batch: A's first extent unknown, A of rank >= 2, B at most a matrix (so it is Y's first extent) */
  int batch_unknown =
      in[0] && in[0]->ndim >= 2 && in[0]->dims[0] < 0 && oq_info_known_but_batch(in[0]) && in[1] && in[1]->ndim <= 2;
  if ((!oq_info_known(in[0]) && !batch_unknown) || !oq_info_known(in[1])) return OQ_OK;
  oq_tensor a, b;
  oq_info_tensor(in[0], &a);
  oq_info_tensor(in[1], &b);
  if (batch_unknown) a.dims[0] = 1;
  matmul_shape s;
  oq_status st = matmul_setup(&a, &b, &s, err);
  if (batch_unknown) s.ydims[0] = -1;
  if (st == OQ_OK) oq_info_set(&out[0], OQ_DTYPE_FLOAT, s.yn, s.ydims);
  return st;
}

size_t oq_op_matmul_workspace(const void *params, const oq_shape_info *const *in, int32_t n_in, int32_t n_out,
                              int32_t threads) {
  (void)n_out;
  (void)params;
  (void)n_in;
  if (!oq_info_known(in[0]) || !oq_info_known(in[1])) return 0;
  oq_tensor a, b;
  oq_info_tensor(in[0], &a);
  oq_info_tensor(in[1], &b);
  matmul_shape s;
  oq_error err = {0};
  if (matmul_setup(&a, &b, &s, &err) != OQ_OK) return 0;
  for (int32_t i = 0; i < s.yn; i++)
    if (s.ydims[i] == 0) return 0;
  size_t rows = s.stacked ? (size_t)(matmul_batches(&s) * s.m) : (size_t)s.m;
  return pack_bytes(rows, (size_t)s.n, (size_t)s.k, threads);
}

oq_status oq_op_matmul_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_tensor *a = call->inputs[0], *b = call->inputs[1];
  OQ_CHECK(check_float(a, "A", err));
  OQ_CHECK(check_float(b, "B", err));
  matmul_shape s;
  OQ_CHECK(matmul_setup(a, b, &s, err));
  OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_FLOAT, s.yn, s.ydims, err));
  oq_tensor *y = &call->outputs[0];
  if (y->nbytes == 0) return OQ_OK;
  int64_t m = s.m, n = s.n, k = s.k, nbatch = matmul_batches(&s);
  const float *ad = a->data, *bd = b->data;
  float *yd = y->data;
  oq_sgemm_pack pack;
  if (s.stacked) {
    size_t rows = (size_t)(nbatch * m);
    if (call->reference) {
      oq_sgemm_ref(0, 0, rows, (size_t)n, (size_t)k, 1.0f, ad, (size_t)k, bd, (size_t)n, 0.0f, yd, (size_t)n);
    } else {
      OQ_CHECK(pack_for(call, rows, (size_t)n, (size_t)k, &pack, err));
      const oq_matmul_params *mp = call->params; /* NULL: B is not constant */
      oq_sgemm_bpack bp;
      const oq_sgemm_bpack *bpp =
          mp && b->ndim == 2 ? bpack_use(&mp->bpack, 0, bd, (size_t)n, rows, (size_t)n, (size_t)k, &bp) : NULL;
      OQ_CHECK(oq_sgemm_bpacked(call->pool, &pack, bpp, 0, 0, rows, (size_t)n, (size_t)k, 1.0f, ad, (size_t)k, bd,
                                (size_t)n, 0.0f, yd, (size_t)n, err));
    }
    return OQ_OK;
  }
  if (!call->reference) OQ_CHECK(pack_for(call, (size_t)m, (size_t)n, (size_t)k, &pack, err));
  int64_t idx[OQ_MAX_DIMS] = {0};
  for (int64_t t = 0; t < nbatch; t++) {
    int64_t ao = 0, bo = 0;
    for (int32_t i = 0; i < s.nbat; i++) {
      ao += idx[i] * s.astr[i];
      bo += idx[i] * s.bstr[i];
    }
    float *yt = yd + t * m * n;
    if (call->reference)
      oq_sgemm_ref(0, 0, (size_t)m, (size_t)n, (size_t)k, 1.0f, ad + ao, (size_t)k, bd + bo, (size_t)n, 0.0f, yt,
                   (size_t)n);
    else
      OQ_CHECK(oq_sgemm(call->pool, &pack, 0, 0, (size_t)m, (size_t)n, (size_t)k, 1.0f, ad + ao, (size_t)k, bd + bo,
                        (size_t)n, 0.0f, yt, (size_t)n, err));
    for (int32_t i = s.nbat - 1; i >= 0; i--) {
      if (++idx[i] < s.bdims[i]) break;
      idx[i] = 0;
    }
  }
  return OQ_OK;
fail:
  return st;
}
