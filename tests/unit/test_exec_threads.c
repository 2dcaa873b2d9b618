/* Multi-threaded execution is deterministic: every parallelized kernel (Conv on all its paths, Gemm, MatMul, the
 * pools, unary activations) and whole sessions (samples/digits, the exec fixtures) give bit-identical outputs with
 * 1, 2, 3 and 4 threads. Shapes are chosen large enough that the kernels really split their work. */
#include "oq_test.h"

#include "core/pool.h"
#include "ops/kernels.h"
#include "ops/nn.h"
#include "exec/exec.h"

#include "onnxq.h"
#include "test_build.h"

#include <math.h>

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static float rnd_f(void) {
  rng_state = rng_state * 6364136223846793005ull + 1442695040888963407ull;
  return (float)((double)(uint32_t)(rng_state >> 33) / 2147483648.0 - 1.0);
}

static oq_tensor rand_tensor(int32_t ndim, const int64_t *dims) {
  oq_tensor t;
  oq_error err = {0};
  if (oq_tensor_alloc(&t, OQ_DTYPE_FLOAT, ndim, dims, &err) != OQ_OK) abort();
  float *d = t.data;
  for (int64_t i = 0; i < oq_tensor_numel(&t); i++) d[i] = rnd_f();
  return t;
}

static int same_bytes(const oq_tensor *a, const oq_tensor *b) {
  if (a->dtype != b->dtype || a->ndim != b->ndim || a->nbytes != b->nbytes) return 0;
  for (int32_t i = 0; i < a->ndim; i++)
    if (a->dims[i] != b->dims[i]) return 0;
  return a->nbytes == 0 || memcmp(a->data, b->data, a->nbytes) == 0;
}

/* Runs fn single-threaded, then on pools of 2, 3 and 4 threads; every result must equal the first byte for byte. */
static int same_on_all_pools(const char *what, oq_op_exec_fn fn, const void *params, const oq_tensor **ins, int n_in) {
  oq_error err = {0};
  oq_tensor base, y;
  memset(&base, 0, sizeof base);
  oq_kernel_call c = {params, ins, n_in, &base, 1, what, NULL, 0, NULL, NULL, 0, 0.0f, 0.0f};
  if (oq_exec_kernel(fn, &c, &err) != OQ_OK) {
    fprintf(stderr, "%s: %s\n", what, err.msg);
    return 0;
  }
  int ok = 1;
  for (int32_t threads = 2; threads <= 4 && ok; threads++) {
    oq_threadpool *pool = NULL;
    if (oq_threadpool_create(threads, &pool, &err) != OQ_OK) abort();
    memset(&y, 0, sizeof y);
    c.outputs = &y;
    c.pool = pool;
    if (oq_exec_kernel(fn, &c, &err) != OQ_OK) {
      fprintf(stderr, "%s with %d threads: %s\n", what, (int)threads, err.msg);
      ok = 0;
    } else if (!same_bytes(&base, &y)) {
      fprintf(stderr, "%s: %d threads give different bytes\n", what, (int)threads);
      ok = 0;
    }
    oq_tensor_release(&y);
    oq_threadpool_free(pool);
  }
  oq_tensor_release(&base);
  return ok;
}

typedef struct conv_case {
  const char *name;
  int64_t n, c, h, w, m, k, group, stride, pad;
} conv_case;

OQ_TEST(conv_bit_identical) {
  /* one item (split inside: im2col rows + sgemm columns), several items (spread over threads, odd and even
   * counts), depthwise (many tiny items), pointwise (no im2col), strided, and an image large enough for several
   * im2col chunks */
  static const conv_case cases[] = {{"single item 3x3", 1, 16, 20, 20, 24, 3, 1, 1, 1},
                                    {"batch 3", 3, 8, 17, 15, 12, 3, 1, 1, 1},
                                    {"batch 4 groups 2", 2, 16, 12, 12, 16, 3, 2, 1, 1},
                                    {"depthwise", 1, 32, 16, 16, 32, 3, 32, 1, 1},
                                    {"pointwise", 1, 64, 14, 14, 48, 1, 1, 1, 0},
                                    {"strided 5x5", 1, 6, 31, 29, 10, 5, 1, 2, 2},
                                    {"several im2col chunks", 1, 16, 100, 100, 8, 3, 1, 1, 1}};
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
    const conv_case *cc = &cases[i];
    int64_t xd[4] = {cc->n, cc->c, cc->h, cc->w}, wd[4] = {cc->m, cc->c / cc->group, cc->k, cc->k}, bd[1] = {cc->m};
    oq_tensor x = rand_tensor(4, xd), w = rand_tensor(4, wd), b = rand_tensor(1, bd);
    const oq_tensor *ins[3] = {&x, &w, &b};
    oq_conv_params p;
    memset(&p, 0, sizeof p);
    p.group = cc->group;
    p.win.n_strides = 2;
    p.win.strides[0] = p.win.strides[1] = cc->stride;
    p.win.n_pads = 4;
    for (int j = 0; j < 4; j++) p.win.pads[j] = cc->pad;
    CHECK(same_on_all_pools(cc->name, oq_op_conv_exec, &p, ins, 3));
    CHECK(same_on_all_pools(cc->name, oq_op_conv_exec, &p, ins, 2));
    oq_tensor_release(&x);
    oq_tensor_release(&w);
    oq_tensor_release(&b);
  }
}

OQ_TEST(gemm_bit_identical) {
  /* (m, n, k): batch-1 fully connected (unpacked path, split over columns), tall (split over rows), square */
  static const int64_t shapes[][3] = {{1, 1000, 512}, {300, 40, 200}, {96, 130, 257}, {7, 9, 5}};
  for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
    for (int tr = 0; tr < 4; tr++) {
      int64_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
      oq_gemm_params p = {tr == 3 ? 0.5f : 1.0f, 1.5f, tr & 1, (tr >> 1) & 1, {NULL, NULL, 0, 0, 0, 0}};
      int64_t ad[2] = {p.trans_a ? k : m, p.trans_a ? m : k}, bd[2] = {p.trans_b ? n : k, p.trans_b ? k : n};
      int64_t cd[1] = {n};
      oq_tensor a = rand_tensor(2, ad), b = rand_tensor(2, bd), c = rand_tensor(1, cd);
      const oq_tensor *ins[3] = {&a, &b, &c};
      CHECK(same_on_all_pools("Gemm", oq_op_gemm_exec, &p, ins, 3));
      oq_tensor_release(&a);
      oq_tensor_release(&b);
      oq_tensor_release(&c);
    }
}

OQ_TEST(matmul_bit_identical) {
  int64_t ad[3] = {4, 64, 96}, bd[2] = {96, 80}, bd3[3] = {4, 96, 80};
  oq_tensor a = rand_tensor(3, ad), b = rand_tensor(2, bd), b3 = rand_tensor(3, bd3);
  const oq_tensor *shared[2] = {&a, &b}, *batched[2] = {&a, &b3};
  CHECK(same_on_all_pools("MatMul shared B", oq_op_matmul_exec, NULL, shared, 2));
  CHECK(same_on_all_pools("MatMul batched", oq_op_matmul_exec, NULL, batched, 2));
  oq_tensor_release(&a);
  oq_tensor_release(&b);
  oq_tensor_release(&b3);
}

OQ_TEST(pools_and_activations_bit_identical) {
  int64_t xd[4] = {2, 24, 33, 31};
  oq_tensor x = rand_tensor(4, xd);
  const oq_tensor *ins[1] = {&x};
  oq_pool_params p;
  memset(&p, 0, sizeof p);
  p.win.n_kernel = 2;
  p.win.kernel[0] = p.win.kernel[1] = 3;
  p.win.n_strides = 2;
  p.win.strides[0] = p.win.strides[1] = 2;
  p.win.n_pads = 4;
  for (int j = 0; j < 4; j++) p.win.pads[j] = 1;
  p.win.ceil_mode = 1;
  CHECK(same_on_all_pools("MaxPool", oq_op_maxpool_exec, &p, ins, 1));
  CHECK(same_on_all_pools("AveragePool", oq_op_avgpool_exec, &p, ins, 1));
  p.count_include_pad = 1;
  CHECK(same_on_all_pools("AveragePool count_include_pad", oq_op_avgpool_exec, &p, ins, 1));
  CHECK(same_on_all_pools("GlobalAveragePool", oq_op_global_avgpool_exec, NULL, ins, 1));
  CHECK(same_on_all_pools("GlobalMaxPool", oq_op_global_maxpool_exec, NULL, ins, 1));
  CHECK(same_on_all_pools("Relu", oq_op_relu_exec, NULL, ins, 1));
  CHECK(same_on_all_pools("Sigmoid", oq_op_sigmoid_exec, NULL, ins, 1));
  CHECK(same_on_all_pools("Tanh", oq_op_tanh_exec, NULL, ins, 1));
  oq_tensor_release(&x);
}

/* Float Add/Sub/Mul/Div (SSE rows split over threads in pieces): the same bytes on every pool, and each element
 * equal to the scalar operation, for same shapes, a per-channel operand, a last-dim operand and a scalar. */
static int binary_exact(oq_op_exec_fn fn, char op, const oq_tensor *a, const oq_tensor *b) {
  oq_error err = {0};
  oq_tensor y;
  memset(&y, 0, sizeof y);
  const oq_tensor *ins[2] = {a, b};
  oq_kernel_call c = {NULL, ins, 2, &y, 1, "binary", NULL, 0, NULL, NULL, 0, 0.0f, 0.0f};
  if (oq_exec_kernel(fn, &c, &err) != OQ_OK || oq_tensor_numel(&y) != oq_tensor_numel(a)) return 0;
  const float *A = a->data, *B = b->data, *Y = y.data;
  int64_t n = oq_tensor_numel(a), nb = oq_tensor_numel(b), inner = a->dims[2] * a->dims[3];
  int ok = 1;
  for (int64_t i = 0; i < n && ok; i++) {
    float x = A[i], v = nb == n ? B[i] : nb == 1 ? B[0] : nb == a->dims[3] ? B[i % nb] : B[(i / inner) % a->dims[1]];
    float want = op == '+' ? x + v : op == '-' ? x - v : op == '*' ? x * v : x / v;
    ok = memcmp(&want, &Y[i], sizeof want) == 0;
  }
  oq_tensor_release(&y);
  return ok;
}

OQ_TEST(binary_bit_identical) {
  int64_t xd[4] = {4, 24, 65, 31}, cd[4] = {1, 24, 1, 1}, ld[1] = {31}, sd[1] = {1};
  oq_tensor x = rand_tensor(4, xd), x2 = rand_tensor(4, xd), ch = rand_tensor(4, cd), last = rand_tensor(1, ld),
            sc = rand_tensor(1, sd);
  const oq_tensor *pairs[4][2] = {{&x, &x2}, {&x, &ch}, {&x, &last}, {&x, &sc}};
  oq_op_exec_fn fns[4] = {oq_op_add_exec, oq_op_sub_exec, oq_op_mul_exec, oq_op_div_exec};
  const char ops[4] = {'+', '-', '*', '/'};
  for (int f = 0; f < 4; f++)
    for (int k = 0; k < 4; k++) {
      CHECK(same_on_all_pools("binary", fns[f], NULL, pairs[k], 2));
      CHECK(binary_exact(fns[f], ops[f], pairs[k][0], pairs[k][1]));
    }
  oq_tensor_release(&x);
  oq_tensor_release(&x2);
  oq_tensor_release(&ch);
  oq_tensor_release(&last);
  oq_tensor_release(&sc);
}

/* ---- whole sessions -------------------------------------------------------------------------------------------- */

/* Runs model on inputs with 1..4 threads and requires bit-identical outputs. */
static int session_same_on_all_threads(const char *path, const oq_tensor *inputs) {
  oq_error err = {0};
  oq_model *model = NULL;
  if (oq_model_load(path, &model, &err) != OQ_OK) {
    fprintf(stderr, "%s\n", err.msg);
    return 0;
  }
  int32_t n_out = oq_model_output_count(model);
  oq_tensor base[8], out[8];
  int ok = n_out >= 1 && n_out <= 8;
  memset(base, 0, sizeof base);
  for (int32_t threads = 1; threads <= 4 && ok; threads++) {
    oq_session *s = NULL;
    memset(out, 0, sizeof out);
    oq_session_options so;
    oq_session_options_init(&so);
    so.threads = threads;
    ok = oq_session_create(model, &so, &s, &err) == OQ_OK;
    /* twice on the same session: the pool is reused between runs */
    for (int rep = 0; ok && rep < 2; rep++) {
      ok = oq_session_run(s, oq_model_input_count(model), inputs, n_out, out, &err) == OQ_OK;
      for (int32_t j = 0; ok && j < n_out; j++) {
        if (threads == 1 && rep == 0) {
          base[j] = out[j];
          memset(&out[j], 0, sizeof out[j]);
          continue;
        }
        ok = same_bytes(&base[j], &out[j]);
        if (!ok) fprintf(stderr, "%s: output %d differs with %d threads\n", path, (int)j, (int)threads);
      }
      for (int32_t j = 0; j < n_out && j < 8; j++) oq_tensor_release(&out[j]);
    }
    if (!ok && err.msg[0]) fprintf(stderr, "%s: %s\n", path, err.msg);
    oq_session_free(s);
  }
  for (int32_t j = 0; j < 8; j++) oq_tensor_release(&base[j]);
  oq_model_free(model);
  return ok;
}

OQ_TEST(digits_sessions_bit_identical) {
  oq_error err = {0};
  oq_tensor x;
  REQUIRE_OK(oq_npy_load(ONNXQ_SOURCE_DIR "/samples/digits/calib/sample_000/input.npy", &x, &err));
  CHECK(session_same_on_all_threads(ONNXQ_SOURCE_DIR "/samples/digits/model.onnx", &x));
  oq_tensor_release(&x);
  /* a batch large enough that Conv spreads images over threads */
  int64_t xd[4] = {37, 1, 8, 8};
  x = rand_tensor(4, xd);
  CHECK(session_same_on_all_threads(ONNXQ_SOURCE_DIR "/samples/digits/model.onnx", &x));
  oq_tensor_release(&x);
}

OQ_TEST(fixture_sessions_bit_identical) {
  oq_error err = {0};
  static const char *models[] = {"chain", "views"};
  for (int i = 0; i < 2; i++) {
    char path[1024];
    oq_tensor x;
    snprintf(path, sizeof path, "%s/tests/fixtures/exec/%s_X.npy", ONNXQ_SOURCE_DIR, models[i]);
    REQUIRE_OK(oq_npy_load(path, &x, &err));
    snprintf(path, sizeof path, "%s/tests/fixtures/exec/%s.onnx", ONNXQ_SOURCE_DIR, models[i]);
    CHECK(session_same_on_all_threads(path, &x));
    oq_tensor_release(&x);
  }
}

/* LSTM at batch 1 splits hidden units over threads (H = 37: the last unit block is partial), both directions,
 * peepholes, sequence_lens: the same bytes on every thread count, and the numpy reference's values. R as an
 * initializer (packed once per session) and fed at run time (packed per call). */
static int lstm_matches(const char *model_path, const oq_tensor *inputs, const oq_tensor *want) {
  oq_error err = {0};
  oq_model *model = NULL;
  oq_session *s = NULL;
  oq_tensor y;
  memset(&y, 0, sizeof y);
  int ok = oq_model_load(model_path, &model, &err) == OQ_OK && oq_session_create(model, NULL, &s, &err) == OQ_OK &&
           oq_session_run(s, oq_model_input_count(model), inputs, 1, &y, &err) == OQ_OK &&
           oq_tensor_numel(&y) == oq_tensor_numel(want);
  for (int64_t i = 0; ok && i < oq_tensor_numel(want); i++) {
    float a = ((const float *)y.data)[i], b = ((const float *)want->data)[i];
    if (!(fabsf(a - b) <= 1e-5f)) {
      fprintf(stderr, "%s: Y[%lld] = %.8g, reference %.8g\n", model_path, (long long)i, a, b);
      ok = 0;
    }
  }
  if (!ok && err.msg[0]) fprintf(stderr, "%s: %s\n", model_path, err.msg);
  oq_tensor_release(&y);
  oq_session_free(s);
  oq_model_free(model);
  return ok;
}

OQ_TEST(lstm_batch1_sessions_bit_identical) {
  oq_error err = {0};
  oq_tensor in[2], want;
  REQUIRE_OK(oq_npy_load(ONNXQ_SOURCE_DIR "/tests/fixtures/exec/lstm_b1_X.npy", &in[0], &err));
  REQUIRE_OK(oq_npy_load(ONNXQ_SOURCE_DIR "/tests/fixtures/exec/lstm_b1_R.npy", &in[1], &err));
  REQUIRE_OK(oq_npy_load(ONNXQ_SOURCE_DIR "/tests/fixtures/exec/lstm_b1_Y.npy", &want, &err));
  CHECK(session_same_on_all_threads(ONNXQ_SOURCE_DIR "/tests/fixtures/exec/lstm_b1.onnx", in));
  CHECK(session_same_on_all_threads(ONNXQ_SOURCE_DIR "/tests/fixtures/exec/lstm_b1_rin.onnx", in));
  CHECK(lstm_matches(ONNXQ_SOURCE_DIR "/tests/fixtures/exec/lstm_b1.onnx", in, &want));
  CHECK(lstm_matches(ONNXQ_SOURCE_DIR "/tests/fixtures/exec/lstm_b1_rin.onnx", in, &want));
  oq_tensor_release(&in[0]);
  oq_tensor_release(&in[1]);
  oq_tensor_release(&want);
}

/* An INT or STRING attribute on a test-built node. */
static void lstm_attr(tb_model *b, Onnx__NodeProto *n, const char *name, int64_t i, const char *str) {
  Onnx__AttributeProto *a = oq_edit_alloc(b->ed, 1, sizeof *a, NULL);
  Onnx__AttributeProto **aa = oq_edit_alloc(b->ed, n->n_attribute + 1, sizeof *aa, NULL);
  onnx__attribute_proto__init(a);
  a->name = (char *)name;
  a->has_type = 1;
  if (str) {
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    a->has_s = 1;
    a->s.data = (uint8_t *)str;
    a->s.len = strlen(str);
  } else {
    a->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    a->has_i = 1;
    a->i = i;
  }
  if (n->n_attribute) memcpy(aa, n->attribute, n->n_attribute * sizeof *aa);
  aa[n->n_attribute++] = a;
  n->attribute = aa;
}

static double sigm(double x) { return 1.0 / (1.0 + exp(-x)); }

/* A bidirectional batch-1 LSTM large enough (hidden 140: 9 unit blocks, the last partial, 5 R^T panels, the last
 * narrow) that each direction runs as one parallel region over the sequence (rnn.c lstm_seq) on 2+ threads, W and R
 * initializers (W^T and R^T made once per session): the same bytes on 1..4 threads, run twice per session, and
 * the LSTM equations evaluated in double. */
OQ_TEST(lstm_sequence_region_bit_identical) {
  enum { T = 5, I = 12, H = 140, D = 2, G = 4 * H };
  static float w[D * G * I], r[D * G * H], bias[D * 2 * G];
  for (size_t i = 0; i < sizeof w / 4; i++) w[i] = 0.3f * rnd_f();
  for (size_t i = 0; i < sizeof r / 4; i++) r[i] = 0.1f * rnd_f();
  for (size_t i = 0; i < sizeof bias / 4; i++) bias[i] = 0.2f * rnd_f();
  tb_model b;
  tb_start(&b);
  tb_input(&b, "X");
  tb_output(&b, "Y");
  int64_t wd[3] = {D, G, I}, rd[3] = {D, G, H}, bd[2] = {D, 2 * G};
  tb_init(&b, "W", 3, wd, w);
  tb_init(&b, "R", 3, rd, r);
  tb_init(&b, "B", 2, bd, bias);
  Onnx__NodeProto *n = tb_node(&b, "LSTM", "lstm", "X,W,R,B", "Y");
  lstm_attr(&b, n, "hidden_size", H, NULL);
  lstm_attr(&b, n, "direction", 0, "bidirectional");
  oq_model *model = tb_finish(&b, 14);
  REQUIRE(model);
  int64_t xd[3] = {T, 1, I};
  oq_tensor x = rand_tensor(3, xd), base, y;
  memset(&base, 0, sizeof base);
  oq_error err = {0};
  for (int32_t threads = 1; threads <= 4; threads++) {
    oq_session *s = NULL;
    oq_session_options so;
    oq_session_options_init(&so);
    so.threads = threads;
    REQUIRE_OK(oq_session_create(model, &so, &s, &err));
    for (int rep = 0; rep < 2; rep++) {
      memset(&y, 0, sizeof y);
      REQUIRE_OK(oq_session_run(s, 1, &x, 1, &y, &err));
      if (!base.data) {
        base = y;
        continue;
      }
      CHECK(same_bytes(&base, &y));
      oq_tensor_release(&y);
    }
    oq_session_free(s);
  }
  REQUIRE(base.ndim == 4 && base.dims[0] == T && base.dims[1] == D && base.dims[2] == 1 && base.dims[3] == H);
  /* Y[t, d, 0, :]: gates in ONNX order i, o, f, c; direction 1 runs from the last step back */
  double hs[H], cs[H], pre[G];
  int bad = 0;
  for (int d = 0; d < D; d++) {
    const float *W = w + d * G * I, *R = r + d * G * H, *Bw = bias + d * 2 * G, *Br = Bw + G;
    for (int j = 0; j < H; j++) hs[j] = cs[j] = 0.0;
    for (int step = 0; step < T; step++) {
      int t = d ? T - 1 - step : step;
      const float *xt = (const float *)x.data + t * I;
      for (int q = 0; q < G; q++) {
        double v = (double)Bw[q] + Br[q];
        for (int i = 0; i < I; i++) v += (double)W[q * I + i] * xt[i];
        for (int k = 0; k < H; k++) v += (double)R[q * H + k] * hs[k];
        pre[q] = v;
      }
      for (int j = 0; j < H; j++) {
        double ig = sigm(pre[j]), og = sigm(pre[H + j]), fg = sigm(pre[2 * H + j]), cg = tanh(pre[3 * H + j]);
        cs[j] = fg * cs[j] + ig * cg;
        hs[j] = og * tanh(cs[j]);
        double got = ((const float *)base.data)[(t * D + d) * H + j];
        if (fabs(got - hs[j]) > 2e-5 && bad++ < 3)
          fprintf(stderr, "Y[%d, %d, 0, %d] = %.8g, want %.8g\n", t, d, j, got, hs[j]);
      }
    }
  }
  CHECK(bad == 0);
  oq_tensor_release(&base);
  oq_tensor_release(&x);
  oq_model_free(model);
}

/* Weights that are initializers are packed once per session (MatMul's B, Conv's W for the direct path or the
 * sgemm): the bytes of the same weights fed as inputs (packed per call or read in place), on 1..3 threads, run
 * twice per session, and with the map size changing between runs so a 1x1 convolution moves between the direct
 * path (7x7: 49 positions) and the sgemm (20x20) and its packed room is refilled each time. */
OQ_TEST(constant_weights_packed_give_fed_bits) {
  enum { K = 96, N = 80, C3 = 20, M3 = 32, C1 = 64, M1 = 48 };
  static float bmat[K * N], w3[M3 * C3 * 9], w1[M1 * C1];
  for (size_t i = 0; i < sizeof bmat / 4; i++) bmat[i] = rnd_f();
  for (size_t i = 0; i < sizeof w3 / 4; i++) w3[i] = rnd_f();
  for (size_t i = 0; i < sizeof w1 / 4; i++) w1[i] = rnd_f();
  tb_model b;
  tb_start(&b);
  const char *ins[] = {"A", "X3", "X1", "Bi", "W3i", "W1i"}, *outs[] = {"Yc", "Yi", "Zc", "Zi", "Pc", "Pi"};
  for (int i = 0; i < 6; i++) tb_input(&b, ins[i]);
  for (int i = 0; i < 6; i++) tb_output(&b, outs[i]);
  int64_t bd[2] = {K, N}, w3d[4] = {M3, C3, 3, 3}, w1d[4] = {M1, C1, 1, 1};
  tb_init(&b, "Bc", 2, bd, bmat);
  tb_init(&b, "W3c", 4, w3d, w3);
  tb_init(&b, "W1c", 4, w1d, w1);
  tb_node(&b, "MatMul", "mc", "A,Bc", "Yc");
  tb_node(&b, "MatMul", "mi", "A,Bi", "Yi");
  static const int64_t pads[4] = {1, 1, 1, 1};
  Onnx__NodeProto *c3 = tb_node(&b, "Conv", "c3c", "X3,W3c", "Zc"), *c3i = tb_node(&b, "Conv", "c3i", "X3,W3i", "Zi");
  tb_attr_ints(&b, c3, "pads", pads, 4);
  tb_attr_ints(&b, c3i, "pads", pads, 4);
  tb_node(&b, "Conv", "c1c", "X1,W1c", "Pc");
  tb_node(&b, "Conv", "c1i", "X1,W1i", "Pi");
  oq_model *model = tb_finish(&b, 13);
  REQUIRE(model);
  int64_t ad[3] = {2, 24, K}, x3d[4] = {1, C3, 9, 11};
  oq_tensor in[6];
  in[0] = rand_tensor(3, ad);
  in[1] = rand_tensor(4, x3d);
  oq_error err = {0};
  REQUIRE_OK(oq_tensor_alloc(&in[3], OQ_DTYPE_FLOAT, 2, bd, &err));
  REQUIRE_OK(oq_tensor_alloc(&in[4], OQ_DTYPE_FLOAT, 4, w3d, &err));
  REQUIRE_OK(oq_tensor_alloc(&in[5], OQ_DTYPE_FLOAT, 4, w1d, &err));
  memcpy(in[3].data, bmat, sizeof bmat);
  memcpy(in[4].data, w3, sizeof w3);
  memcpy(in[5].data, w1, sizeof w1);
  static const int64_t maps[3] = {7, 20, 7};
  oq_tensor x1[3];
  for (int run = 0; run < 3; run++) {
    int64_t x1d[4] = {1, C1, maps[run], maps[run]};
    x1[run] = rand_tensor(4, x1d);
  }
  oq_tensor base[3][6];
  memset(base, 0, sizeof base);
  for (int32_t threads = 1; threads <= 3; threads++) {
    oq_session *sess = NULL;
    oq_session_options so;
    oq_session_options_init(&so);
    so.threads = threads;
    REQUIRE_OK(oq_session_create(model, &so, &sess, &err));
    for (int run = 0; run < 3; run++) {
      in[2] = x1[run];
      oq_tensor y[6];
      memset(y, 0, sizeof y);
      REQUIRE_OK(oq_session_run(sess, 6, in, 6, y, &err));
      for (int o = 0; o < 6; o += 2) CHECK(same_bytes(&y[o], &y[o + 1])); /* initializer = fed */
      for (int o = 0; o < 6; o++) {
        if (threads == 1)
          base[run][o] = y[o];
        else {
          CHECK(same_bytes(&base[run][o], &y[o]));
          oq_tensor_release(&y[o]);
        }
      }
    }
    oq_session_free(sess);
  }
  for (int run = 0; run < 3; run++) {
    oq_tensor_release(&x1[run]);
    for (int o = 0; o < 6; o++) oq_tensor_release(&base[run][o]);
  }
  for (int i = 0; i < 6; i++)
    if (i != 2) oq_tensor_release(&in[i]);
  oq_model_free(model);
}

/* The Sigmoid + Mul fusion (exec/plan.c mark_silu): a run without an observer skips the fused Sigmoids and gives the
 * same bytes as a run with one (every node run as it is), on every thread count, and the graph's values. */
static oq_status count_values(void *user, const oq_graph *scope, int32_t value_id, const oq_tensor *t, oq_error *err) {
  (void)scope;
  (void)value_id;
  (void)t;
  (void)err;
  ++*(int *)user;
  return OQ_OK;
}

OQ_TEST(silu_fusion_same_bytes) {
  oq_error err = {0};
  oq_tensor x, fused, plain;
  memset(&fused, 0, sizeof fused);
  memset(&plain, 0, sizeof plain);
  REQUIRE_OK(oq_npy_load(ONNXQ_SOURCE_DIR "/tests/fixtures/exec/silu_X.npy", &x, &err));
  CHECK(session_same_on_all_threads(ONNXQ_SOURCE_DIR "/tests/fixtures/exec/silu.onnx", &x));
  oq_model *model = NULL;
  REQUIRE_OK(oq_model_load(ONNXQ_SOURCE_DIR "/tests/fixtures/exec/silu.onnx", &model, &err));
  oq_plan *a = NULL, *b = NULL;
  REQUIRE_OK(oq_plan_build(model, &a, &err));
  REQUIRE_OK(oq_plan_build(model, &b, &err));
  int seen = 0;
  REQUIRE_OK(oq_plan_run(a, &x, &fused, NULL, NULL, &err));
  REQUIRE_OK(oq_plan_run(b, &x, &plain, count_values, &seen, &err));
  CHECK(seen == 8); /* X and every node's output, the fused Sigmoids' too */
  CHECK(same_bytes(&fused, &plain));
  const float *xd = x.data, *w = fused.data;
  for (int64_t i = 0; i < oq_tensor_numel(&x); i += 997) { /* the graph's function, computed in double */
    double y = xd[i] / (1 + exp(-(double)xd[i])), z = y / (1 + exp(-y)), u = 1 / (1 + exp(-z));
    CHECK(fabs((z * u + u) - w[i]) <= 1e-5 * (1 + fabs(z * u + u)));
  }
  oq_tensor_release(&fused);
  oq_tensor_release(&plain);
  oq_tensor_release(&x);
  oq_plan_free(a);
  oq_plan_free(b);
  oq_model_free(model);
}

OQ_TEST(session_thread_counts) {
  oq_error err = {0};
  oq_model *model = NULL;
  oq_session *s = NULL;
  REQUIRE_OK(oq_model_load(ONNXQ_SOURCE_DIR "/samples/digits/model.onnx", &model, &err));
  oq_session_options so;
  oq_session_options_init(&so);
  so.threads = -1;
  CHECK(oq_session_create(model, &so, &s, &err) == OQ_ERR_INVALID_ARG && s == NULL);
  so.threads = 2;
  CHECK(oq_session_create(NULL, &so, &s, &err) == OQ_ERR_INVALID_ARG);
  so.threads = 0;
  REQUIRE_OK(oq_session_create(model, &so, &s, &err));
  oq_session_free(s);
  s = NULL;
  REQUIRE_OK(oq_session_create(model, NULL, &s, &err));
  oq_session_free(s);
  oq_model_free(model);
}

OQ_TEST_MAIN()
