/* Recurrent layers: RNN, GRU, LSTM (opset 7, and 14 with layout), float32, forward / reverse / bidirectional,
 * sequence_lens, initial states, peepholes, clip, the activation list with alphas/betas, GRU's
 * linear_before_reset and LSTM's input_forget. The input projection of all steps is one sgemm; each step adds
 * H_{t-1} R^T (one sgemm) and applies the gates per batch row. */
#include "kern/sgemm.h"
#include "ops/kernels.h"
#include "ops/tensor_util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { K_RNN, K_GRU, K_LSTM };
enum { A_SIGMOID, A_TANH, A_RELU, A_AFFINE, A_LEAKY, A_THRESH, A_STANH, A_HSIG, A_ELU, A_SOFTSIGN, A_SOFTPLUS };

typedef struct rnn_act {
  int32_t fn;
  float alpha, beta;
} rnn_act;

typedef struct rnn_params {
  int32_t kind, n_dirs, reverse, layout;
  int64_t hidden, linear_before_reset, input_forget;
  float clip;     /* 0: none */
  rnn_act act[6]; /* per direction: f, g, h (RNN: f only) */
} rnn_params;

static const struct {
  const char *name;
  int32_t fn, n_params;
  float da, db;
} k_acts[] = {{"Sigmoid", A_SIGMOID, 0, 0, 0},
              {"Tanh", A_TANH, 0, 0, 0},
              {"Relu", A_RELU, 0, 0, 0},
              {"Affine", A_AFFINE, 2, 1, 0},
              {"LeakyRelu", A_LEAKY, 1, 0.01f, 0},
              {"ThresholdedRelu", A_THRESH, 1, 1, 0},
              {"ScaledTanh", A_STANH, 2, 1, 1},
              {"HardSigmoid", A_HSIG, 2, 0.2f, 0.5f},
              {"Elu", A_ELU, 1, 1, 0},
              {"Softsign", A_SOFTSIGN, 0, 0, 0},
              {"Softplus", A_SOFTPLUS, 0, 0, 0}};

/* Activation names compare case-insensitively (exporters differ in case). */
static int same_name(const ProtobufCBinaryData *s, const char *name) {
  for (size_t i = 0; i < s->len; i++) {
    int a = s->data[i], b = (unsigned char)name[i];
    if (a >= 'A' && a <= 'Z') a += 32;
    if (b >= 'A' && b <= 'Z') b += 32;
    if (a != b) return 0;
  }
  return 1;
}

oq_status oq_op_rnn_init(const oq_op_init_ctx *ctx, void **params, oq_error *err) {
  oq_status st = OQ_OK;
  const Onnx__NodeProto *n = ctx->node->proto;
  rnn_params *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  p->kind = strcmp(n->op_type, "LSTM") == 0 ? K_LSTM : strcmp(n->op_type, "GRU") == 0 ? K_GRU : K_RNN;
  OQ_CHECK(oq_attr_int(n, "hidden_size", 0, &p->hidden, err));
  if (p->hidden < 1) OQ_FAIL(err, OQ_ERR_MODEL, "hidden_size must be given and >= 1");
  OQ_CHECK(oq_attr_int(n, "linear_before_reset", 0, &p->linear_before_reset, err));
  OQ_CHECK(oq_attr_int(n, "input_forget", 0, &p->input_forget, err));
  int64_t layout;
  OQ_CHECK(oq_attr_int(n, "layout", 0, &layout, err));
  p->layout = layout != 0;
  OQ_CHECK(oq_attr_float(n, "clip", 0.0f, &p->clip, err));
  if (p->clip < 0) OQ_FAIL(err, OQ_ERR_MODEL, "clip must be >= 0");
  const char *s;
  size_t len;
  OQ_CHECK(oq_attr_string(n, "direction", "forward", &s, &len, err));
  if (len == 7 && memcmp(s, "forward", 7) == 0)
    p->n_dirs = 1;
  else if (len == 7 && memcmp(s, "reverse", 7) == 0)
    p->n_dirs = 1, p->reverse = 1;
  else if (len == 13 && memcmp(s, "bidirectional", 13) == 0)
    p->n_dirs = 2;
  else
    OQ_FAIL(err, OQ_ERR_MODEL, "direction '%.*s' is invalid", (int)len, s);
  int32_t per_dir = p->kind == K_RNN ? 1 : p->kind == K_GRU ? 2 : 3;
  static const int32_t dflt[3] = {A_SIGMOID, A_TANH, A_TANH};
  for (int32_t d = 0; d < p->n_dirs; d++)
    for (int32_t k = 0; k < per_dir; k++) p->act[d * 3 + k].fn = p->kind == K_RNN ? A_TANH : dflt[k];
  const Onnx__AttributeProto *acts = oq_attr_find(n, "activations");
  if (acts) {
    const float *al = NULL, *be = NULL;
    size_t nal = 0, nbe = 0, ia = 0, ib = 0;
    OQ_CHECK(oq_attr_floats(n, "activation_alpha", &al, &nal, err));
    OQ_CHECK(oq_attr_floats(n, "activation_beta", &be, &nbe, err));
    if (acts->n_strings != (size_t)(per_dir * p->n_dirs))
      OQ_FAIL(err, OQ_ERR_MODEL, "activations must list %d functions", (int)(per_dir * p->n_dirs));
    for (size_t i = 0; i < acts->n_strings; i++) {
      const ProtobufCBinaryData *str = &acts->strings[i];
      size_t k = 0, nk = sizeof k_acts / sizeof k_acts[0];
      while (k < nk && !(strlen(k_acts[k].name) == str->len && same_name(str, k_acts[k].name))) k++;
      if (k == nk)
        OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "activation '%.*s' is not supported", (int)str->len, (const char *)str->data);
      rnn_act *a = &p->act[(i / (size_t)per_dir) * 3 + i % (size_t)per_dir];
      a->fn = k_acts[k].fn;
      a->alpha = k_acts[k].da;
      a->beta = k_acts[k].db;
      if (k_acts[k].n_params >= 1 && ia < nal) a->alpha = al[ia++];
      if (k_acts[k].n_params >= 2 && ib < nbe) a->beta = be[ib++];
    }
  }
  *params = p;
  return OQ_OK;
fail:
  free(p);
  return st;
}

static float act(const rnn_act *a, float x) {
  switch (a->fn) {
  case A_SIGMOID: return 1.0f / (1.0f + expf(-x));
  case A_TANH: return tanhf(x);
  case A_RELU: return x > 0 ? x : 0;
  case A_AFFINE: return a->alpha * x + a->beta;
  case A_LEAKY: return x >= 0 ? x : a->alpha * x;
  case A_THRESH: return x > a->alpha ? x : 0;
  case A_STANH: return a->alpha * tanhf(a->beta * x);
  case A_HSIG: {
    float v = a->alpha * x + a->beta;
    return v < 0 ? 0 : v > 1 ? 1 : v;
  }
  case A_ELU: return x >= 0 ? x : a->alpha * (expf(x) - 1);
  case A_SOFTSIGN: return x / (1 + fabsf(x));
  default: return log1pf(expf(x));
  }
}

static float clipv(float v, float c) { return c > 0 ? (v > c ? c : v < -c ? -c : v) : v; }

oq_status oq_op_rnn_exec(const oq_kernel_call *call, oq_error *err) {
  oq_status st = OQ_OK;
  const rnn_params *p = call->params;
  const oq_tensor *x = call->inputs[0], *w = call->inputs[1], *r = call->inputs[2];
  const oq_tensor *b = oq_kin(call, 3), *lens = oq_kin(call, 4), *h0 = oq_kin(call, 5);
  const oq_tensor *c0 = p->kind == K_LSTM ? oq_kin(call, 6) : NULL, *peep = p->kind == K_LSTM ? oq_kin(call, 7) : NULL;
  const oq_tensor *fl[6] = {x, w, r, b, h0, c0};
  for (int i = 0; i < 6; i++)
    if (fl[i] && fl[i]->dtype != OQ_DTYPE_FLOAT) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "only float32 is supported");
  if (peep && peep->dtype != OQ_DTYPE_FLOAT) OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "only float32 is supported");
  if (x->ndim != 3) OQ_FAIL(err, OQ_ERR_SHAPE, "X must be 3-D");
  int64_t T = p->layout ? x->dims[1] : x->dims[0], B = p->layout ? x->dims[0] : x->dims[1], I = x->dims[2];
  int64_t H = p->hidden, D = p->n_dirs, NG = p->kind == K_RNN ? 1 : p->kind == K_GRU ? 3 : 4, GH = NG * H;
  if (w->ndim != 3 || w->dims[0] != D || w->dims[1] != GH || w->dims[2] != I)
    OQ_FAIL(err, OQ_ERR_SHAPE, "W must be [%lld, %lld, %lld]", (long long)D, (long long)GH, (long long)I);
  if (r->ndim != 3 || r->dims[0] != D || r->dims[1] != GH || r->dims[2] != H)
    OQ_FAIL(err, OQ_ERR_SHAPE, "R must be [%lld, %lld, %lld]", (long long)D, (long long)GH, (long long)H);
  if (b && oq_tensor_numel(b) != D * 2 * GH)
    OQ_FAIL(err, OQ_ERR_SHAPE, "B must be [%lld, %lld]", (long long)D, (long long)(2 * GH));
  if (h0 && oq_tensor_numel(h0) != D * B * H) OQ_FAIL(err, OQ_ERR_SHAPE, "initial_h must be [dirs, batch, hidden]");
  if (c0 && oq_tensor_numel(c0) != D * B * H) OQ_FAIL(err, OQ_ERR_SHAPE, "initial_c must be [dirs, batch, hidden]");
  if (peep && oq_tensor_numel(peep) != D * 3 * H) OQ_FAIL(err, OQ_ERR_SHAPE, "P must be [dirs, 3 * hidden]");
  if (lens && (oq_tensor_numel(lens) != B || !oq_dtype_is_numeric(lens->dtype)))
    OQ_FAIL(err, OQ_ERR_SHAPE, "sequence_lens must have batch entries");
  int64_t yd[4], hd[3];
  if (p->layout) {
    yd[0] = B, yd[1] = T, yd[2] = D, yd[3] = H;
    hd[0] = B, hd[1] = D, hd[2] = H;
  } else {
    yd[0] = T, yd[1] = D, yd[2] = B, yd[3] = H;
    hd[0] = D, hd[1] = B, hd[2] = H;
  }
  float *Y = NULL, *Yh = NULL, *Yc = NULL;
  if (call->n_outputs > 0 && call->outputs) {
    OQ_CHECK(oq_kout(call, 0, OQ_DTYPE_FLOAT, 4, yd, err));
    Y = call->outputs[0].data;
  }
  if (call->n_outputs > 1) {
    OQ_CHECK(oq_kout(call, 1, OQ_DTYPE_FLOAT, 3, hd, err));
    Yh = call->outputs[1].data;
  }
  if (call->n_outputs > 2) {
    OQ_CHECK(oq_kout(call, 2, OQ_DTYPE_FLOAT, 3, hd, err));
    Yc = call->outputs[2].data;
  }
  if (Y) memset(Y, 0, call->outputs[0].nbytes);
  /* scratch: xw [T*B, GH], hr [B, GH], h [B, H], c [B, H], xt [B, I] (batch-major copy when layout 0 is strided),
   * pack */
  size_t TB = (size_t)(T * B), pk1 = oq_sgemm_pack_floats(TB, (size_t)GH, (size_t)I),
         pk2 = oq_sgemm_pack_floats((size_t)B, (size_t)GH, (size_t)H), pk = pk1 > pk2 ? pk1 : pk2;
  size_t floats = TB * (size_t)GH + (size_t)(B * GH) + 3 * (size_t)(B * H) + pk;
  size_t bytes;
  if (!oq_size_mul(floats, sizeof(float), &bytes)) OQ_FAIL(err, OQ_ERR_NOMEM, "RNN too large");
  void *scratch;
  OQ_CHECK(oq_kscratch(call, bytes ? bytes : 1, &scratch, err));
  float *xw = scratch, *hr = xw + TB * GH, *h = hr + B * GH, *c = h + B * H, *hn = c + B * H;
  oq_sgemm_pack pack = {hn + B * H, pk, 1};
  const float *xd = x->data;
  for (int64_t d = 0; d < D; d++) {
    const float *wd = (const float *)w->data + d * GH * I, *rd = (const float *)r->data + d * GH * H;
    const float *wb = b ? (const float *)b->data + d * 2 * GH : NULL, *rb = wb ? wb + GH : NULL;
    const float *pd = peep ? (const float *)peep->data + d * 3 * H : NULL;
    const rnn_act *fa = &p->act[d * 3], *ga = &p->act[d * 3 + 1], *ha = &p->act[d * 3 + 2];
    int rev = p->reverse || d == 1;
    /* xw rows are (t, b) for layout 0 and (b, t) for layout 1, as X is stored */
    if (TB && GH) {
      if (I == 0)
        memset(xw, 0, TB * (size_t)GH * sizeof(float));
      else if (call->reference)
        oq_sgemm_ref(0, 1, TB, (size_t)GH, (size_t)I, 1.0f, xd, (size_t)I, wd, (size_t)I, 0.0f, xw, (size_t)GH);
      else
        OQ_CHECK(oq_sgemm(NULL, &pack, 0, 1, TB, (size_t)GH, (size_t)I, 1.0f, xd, (size_t)I, wd, (size_t)I, 0.0f, xw,
                          (size_t)GH, err));
    }
    for (int64_t i = 0; i < B * H; i++) {
      h[i] = h0 ? ((const float *)h0->data)[d * B * H + i] : 0.0f;
      c[i] = c0 ? ((const float *)c0->data)[d * B * H + i] : 0.0f;
    }
    for (int64_t step = 0; step < T; step++) {
      if (B && GH && H) {
        if (call->reference)
          oq_sgemm_ref(0, 1, (size_t)B, (size_t)GH, (size_t)H, 1.0f, h, (size_t)H, rd, (size_t)H, 0.0f, hr, (size_t)GH);
        else
          OQ_CHECK(oq_sgemm(NULL, &pack, 0, 1, (size_t)B, (size_t)GH, (size_t)H, 1.0f, h, (size_t)H, rd, (size_t)H,
                            0.0f, hr, (size_t)GH, err));
      } else {
        memset(hr, 0, (size_t)(B * GH) * sizeof(float));
      }
      for (int64_t bi = 0; bi < B; bi++) {
        int64_t len = lens ? oq_load_i64(lens->data, lens->dtype, bi) : T;
        if (len < 0 || len > T) OQ_FAIL(err, OQ_ERR_SHAPE, "sequence length %lld is out of range", (long long)len);
        if (step >= len) continue;
        int64_t t = rev ? len - 1 - step : step;
        const float *xr = xw + (p->layout ? bi * T + t : t * B + bi) * GH, *hrr = hr + bi * GH;
        float *hb = h + bi * H, *cb = c + bi * H;
        if (p->kind == K_RNN) {
          for (int64_t j = 0; j < H; j++) {
            float v = xr[j] + hrr[j] + (wb ? wb[j] + rb[j] : 0);
            hb[j] = act(fa, clipv(v, p->clip));
          }
        } else if (p->kind == K_GRU) {
          float *zr = hr + bi * GH, *hnb = hn + bi * H;
          for (int64_t j = 0; j < H; j++) {
            float z = act(fa, clipv(xr[j] + hrr[j] + (wb ? wb[j] + rb[j] : 0), p->clip));
            float rr = act(fa, clipv(xr[H + j] + hrr[H + j] + (wb ? wb[H + j] + rb[H + j] : 0), p->clip));
            if (p->linear_before_reset)
              hnb[j] = xr[2 * H + j] + (wb ? wb[2 * H + j] : 0) + rr * (hrr[2 * H + j] + (rb ? rb[2 * H + j] : 0));
            zr[j] = z; /* z and r replace their consumed projections */
            zr[H + j] = rr;
          }
          if (!p->linear_before_reset) /* (r . H_{t-1}) R_h^T needs r first */
            for (int64_t j = 0; j < H; j++) {
              double acc = 0;
              for (int64_t k = 0; k < H; k++) acc += (double)(zr[H + k] * hb[k]) * rd[(2 * H + j) * H + k];
              hnb[j] = xr[2 * H + j] + (wb ? wb[2 * H + j] + rb[2 * H + j] : 0) + (float)acc;
            }
          for (int64_t j = 0; j < H; j++) {
            float hh = act(ga, clipv(hnb[j], p->clip)), z = zr[j];
            hnb[j] = (1 - z) * hh + z * hb[j];
          }
          memcpy(hb, hnb, (size_t)H * sizeof(float));
        } else {
          for (int64_t j = 0; j < H; j++) {
            float gi = xr[j] + hrr[j] + (wb ? wb[j] + rb[j] : 0);
            float go = xr[H + j] + hrr[H + j] + (wb ? wb[H + j] + rb[H + j] : 0);
            float gf = xr[2 * H + j] + hrr[2 * H + j] + (wb ? wb[2 * H + j] + rb[2 * H + j] : 0);
            float gc = xr[3 * H + j] + hrr[3 * H + j] + (wb ? wb[3 * H + j] + rb[3 * H + j] : 0);
            float cp = cb[j];
            float it = act(fa, clipv(gi + (pd ? pd[j] * cp : 0), p->clip));
            float ft = p->input_forget ? 1 - it : act(fa, clipv(gf + (pd ? pd[2 * H + j] * cp : 0), p->clip));
            float ct = act(ga, clipv(gc, p->clip));
            float cn = ft * cp + it * ct;
            float ot = act(fa, clipv(go + (pd ? pd[H + j] * cn : 0), p->clip));
            cb[j] = cn;
            hb[j] = ot * act(ha, cn);
          }
        }
        if (Y) {
          float *yr = p->layout ? Y + ((bi * T + t) * D + d) * H : Y + ((t * D + d) * B + bi) * H;
          memcpy(yr, hb, (size_t)H * sizeof(float));
        }
      }
    }
    for (int64_t bi = 0; bi < B; bi++) {
      float *yh = Yh ? (p->layout ? Yh + (bi * D + d) * H : Yh + (d * B + bi) * H) : NULL;
      float *yc = Yc ? (p->layout ? Yc + (bi * D + d) * H : Yc + (d * B + bi) * H) : NULL;
      if (yh) memcpy(yh, h + bi * H, (size_t)H * sizeof(float));
      if (yc) memcpy(yc, c + bi * H, (size_t)H * sizeof(float));
    }
  }
  return OQ_OK;
fail:
  return st;
}
