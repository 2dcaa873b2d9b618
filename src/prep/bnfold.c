/* BatchNormalization folded into the Conv, ConvTranspose or Gemm that produces its input (inference form, float32,
 * every parameter an initializer, the producer's output read by nothing else). With s = scale / sqrt(var + eps)
 * per output channel c:
 *   W'[c] = W[c] * s[c]                    (the output-channel slice of the weight)
 *   b'[c] = (b[c] - mean[c]) * s[c] + B[c] (b = 0 without a bias)
 * Gemm: Y = alpha * A * W + beta * C, so W' scales W's output columns by s and C' = C * s + (B - mean * s) / beta
 * (beta 0 or no C: C' = B - mean * s, beta 1). The producer then writes the BatchNormalization's output; new
 * weights get fresh names (the old ones may have other readers; unused ones are pruned later). */
#include "prep/prep.h"

#include "core/alloc.h"

#include <math.h>
#include <string.h>

static int is_op(const Onnx__NodeProto *n, const char *op) {
  return n->op_type && !strcmp(n->op_type, op) && (!n->domain || !n->domain[0] || !strcmp(n->domain, "ai.onnx"));
}

/* The float32 initializer named name (NULL when it is not one, or a graph input may override it). */
static const Onnx__TensorProto *float_init(const prep_graph *g, const char *name) {
  if (!name || !name[0]) return NULL;
  for (size_t i = 0; i < g->orig->n_input; i++)
    if (g->orig->input[i]->name && !strcmp(g->orig->input[i]->name, name)) return NULL;
  for (size_t i = 0; i < g->inits.n; i++) {
    const Onnx__TensorProto *t = g->inits.items[i];
    if (t->name && !strcmp(t->name, name)) return t->data_type == OQ_DTYPE_FLOAT ? t : NULL;
  }
  return NULL;
}

static size_t readers(const prep_graph *g, const char *name) {
  size_t r = 0;
  for (size_t i = 0; i < g->nodes.n; i++) {
    const Onnx__NodeProto *n = g->nodes.items[i];
    for (size_t k = 0; k < n->n_input; k++) r += n->input[k] && !strcmp(n->input[k], name);
  }
  for (size_t i = 0; i < g->orig->n_output; i++)
    r += g->orig->output[i]->name && !strcmp(g->orig->output[i]->name, name);
  return r;
}

static int64_t attr_i(const Onnx__NodeProto *n, const char *name, int64_t dflt) {
  const Onnx__AttributeProto *a = oq_prep_attr(n, name);
  return a && a->has_i ? a->i : dflt;
}

static float attr_f(const Onnx__NodeProto *n, const char *name, float dflt) {
  const Onnx__AttributeProto *a = oq_prep_attr(n, name);
  return a && a->has_f ? a->f : dflt;
}

/* Decoded float tensors of one fold, released together. */
typedef struct bn_tensors {
  oq_tensor w, b, scale, bias, mean, var;
} bn_tensors;

static void release(bn_tensors *t) {
  oq_tensor_release(&t->w);
  oq_tensor_release(&t->b);
  oq_tensor_release(&t->scale);
  oq_tensor_release(&t->bias);
  oq_tensor_release(&t->mean);
  oq_tensor_release(&t->var);
}

/* Folds BN node bn into producer p when everything allows it; *done says whether it did. */
static oq_status fold_one(prep_ctx *c, prep_graph *g, Onnx__NodeProto *p, const Onnx__NodeProto *bn, int *done,
                          oq_error *err) {
  oq_status st = OQ_OK;
  bn_tensors t;
  memset(&t, 0, sizeof t);
  *done = 0;
  int gemm = is_op(p, "Gemm"), convt = is_op(p, "ConvTranspose");
  const Onnx__TensorProto *tw = p->n_input > 1 ? float_init(g, p->input[1]) : NULL;
  const Onnx__TensorProto *tb = p->n_input > 2 && p->input[2][0] ? float_init(g, p->input[2]) : NULL;
  const Onnx__TensorProto *ts = float_init(g, bn->input[1]), *tbb = float_init(g, bn->input[2]);
  const Onnx__TensorProto *tm = float_init(g, bn->input[3]), *tv = float_init(g, bn->input[4]);
  if (!tw || (p->n_input > 2 && p->input[2][0] && !tb) || !ts || !tbb || !tm || !tv) return OQ_OK;
  OQ_CHECK(oq_model_tensor_decode(c->model, tw, &t.w, err));
  if (tb) OQ_CHECK(oq_model_tensor_decode(c->model, tb, &t.b, err));
  OQ_CHECK(oq_model_tensor_decode(c->model, ts, &t.scale, err));
  OQ_CHECK(oq_model_tensor_decode(c->model, tbb, &t.bias, err));
  OQ_CHECK(oq_model_tensor_decode(c->model, tm, &t.mean, err));
  OQ_CHECK(oq_model_tensor_decode(c->model, tv, &t.var, err));
  int64_t ch = oq_tensor_numel(&t.scale), wn = oq_tensor_numel(&t.w);
  if (oq_tensor_numel(&t.bias) != ch || oq_tensor_numel(&t.mean) != ch || oq_tensor_numel(&t.var) != ch || ch <= 0)
    goto fail;
  int64_t group = attr_i(p, "group", 1), trans_b = attr_i(p, "transB", 0);
  float beta = attr_f(p, "beta", 1.0f);
  if (gemm) {
    if (t.w.ndim != 2 || (trans_b ? t.w.dims[0] : t.w.dims[1]) != ch) goto fail;
    if (tb && !(oq_tensor_numel(&t.b) == ch && t.b.dims[t.b.ndim - 1] == ch)) goto fail;
  } else {
    if (t.w.ndim < 3 || group < 1) goto fail;
    int64_t outc = convt ? t.w.dims[1] * group : t.w.dims[0];
    if (outc != ch || (convt && t.w.dims[0] % group)) goto fail;
    if (tb && oq_tensor_numel(&t.b) != ch) goto fail;
  }
  float *s = oq_edit_alloc(c->ed, (size_t)ch, sizeof *s, err);
  float *nw = oq_edit_alloc(c->ed, (size_t)wn, sizeof *nw, err);
  float *nb = oq_edit_alloc(c->ed, (size_t)ch, sizeof *nb, err);
  if (!s || !nw || !nb) OQ_FAIL(err, OQ_ERR_NOMEM, "out of memory folding BatchNormalization");
  const float *w = t.w.data, *sc = t.scale.data, *bb = t.bias.data, *mu = t.mean.data, *var = t.var.data;
  const float *b = tb ? t.b.data : NULL;
  float eps = attr_f(bn, "epsilon", 1e-5f);
  for (int64_t k = 0; k < ch; k++) s[k] = sc[k] / sqrtf(var[k] + eps);
  if (gemm) {
    int64_t rows = t.w.dims[0], cols = t.w.dims[1];
    for (int64_t r = 0; r < rows; r++)
      for (int64_t q = 0; q < cols; q++) nw[r * cols + q] = w[r * cols + q] * s[trans_b ? r : q];
    for (int64_t k = 0; k < ch; k++) {
      float shift = bb[k] - mu[k] * s[k];
      nb[k] = b && beta != 0.0f ? b[k] * s[k] + shift / beta : shift;
    }
  } else {
    int64_t inner = 1;
    for (int32_t d = 2; d < t.w.ndim; d++) inner *= t.w.dims[d];
    int64_t d0 = t.w.dims[0], d1 = t.w.dims[1];
    for (int64_t i0 = 0; i0 < d0; i0++)
      for (int64_t i1 = 0; i1 < d1; i1++) {
        /* Conv: W [M, C/g, k...], channel i0; ConvTranspose: W [C, M/g, k...], channel (i0 / (C/g)) * M/g + i1 */
        int64_t cidx = convt ? (i0 / (d0 / group)) * d1 + i1 : i0;
        const float *src = w + (i0 * d1 + i1) * inner;
        float *dst = nw + (i0 * d1 + i1) * inner;
        for (int64_t e = 0; e < inner; e++) dst[e] = src[e] * s[cidx];
      }
    for (int64_t k = 0; k < ch; k++) nb[k] = ((b ? b[k] : 0.0f) - mu[k]) * s[k] + bb[k];
  }
  const char *wname, *bname;
  OQ_CHECK(
      oq_prep_init(c, g, p->input[1], "_bnfold", OQ_DTYPE_FLOAT, t.w.ndim, t.w.dims, nw, (size_t)wn, 4, &wname, err));
  int64_t bdim = ch;
  OQ_CHECK(oq_prep_init(c, g, p->input[1], "_bnfold_bias", OQ_DTYPE_FLOAT, 1, &bdim, nb, (size_t)ch, 4, &bname, err));
  OQ_CHECK(oq_prep_set_input(c, p, 1, wname, err));
  OQ_CHECK(oq_prep_set_input(c, p, 2, bname, err));
  /* C now carries the whole shift: beta 1 */
  if (gemm && (beta == 0.0f || !b)) OQ_CHECK(oq_prep_attr_float(c, p, "beta", 1.0f, err));
  *done = 1;
fail:
  release(&t);
  return st;
}

oq_status oq_prep_fold_bn(prep_ctx *c, prep_graph *g, oq_error *err) {
  oq_status st = OQ_OK;
  for (size_t i = 0; i < g->nodes.n; i++) {
    Onnx__NodeProto *bn = g->nodes.items[i];
    if (!is_op(bn, "BatchNormalization") || bn->n_input != 5 || bn->n_output < 1 || !bn->output[0][0]) continue;
    if (attr_i(bn, "training_mode", 0) != 0) continue;
    int extra = 0;
    for (size_t k = 1; k < bn->n_output; k++) extra |= bn->output[k][0] && oq_prep_used(c, bn->output[k]);
    if (extra) continue;
    const char *x = bn->input[0];
    if (readers(g, x) != 1 || oq_strmap_get(&c->sub_used, x) >= 0) continue;
    Onnx__NodeProto *p = NULL;
    for (size_t j = 0; j < i && !p; j++) {
      Onnx__NodeProto *q = g->nodes.items[j];
      if (q->n_output >= 1 && !strcmp(q->output[0], x)) p = q;
    }
    if (!p || p->n_output != 1 || !(is_op(p, "Conv") || is_op(p, "ConvTranspose") || is_op(p, "Gemm"))) continue;
    int done;
    OQ_CHECK(fold_one(c, g, p, bn, &done, err));
    if (!done) continue;
    p->output[0] = bn->output[0];
    memmove(&g->nodes.items[i], &g->nodes.items[i + 1], (g->nodes.n - i - 1) * sizeof g->nodes.items[0]);
    g->nodes.n--;
    i--;
  }
fail:
  return st;
}
