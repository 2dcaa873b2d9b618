/* onnxq's convolution (oq_conv_fast_wp, W packed once) against oneDNN's (weights reordered once; X and Y in NCHW
 * with its reorders timed, ReLU fused in both) for one shape: C M H kernel stride threads (bench/libs/run.sh). */
#define _POSIX_C_SOURCE 200809L
#include <dnnl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core/pool.h"
#include "kern/conv.h"
#include "timing.h"
#define CK(x)                                                                                                          \
  do {                                                                                                                 \
    dnnl_status_t s_ = (x);                                                                                            \
    if (s_ != dnnl_success) {                                                                                          \
      fprintf(stderr, "%s: %d\n", #x, (int)s_);                                                                        \
      exit(1);                                                                                                         \
    }                                                                                                                  \
  } while (0)
static dnnl_memory_t mem(dnnl_engine_t e, const dnnl_memory_desc_t *md, void *h) {
  dnnl_memory_t m;
  CK(dnnl_memory_create(&m, md, e, h));
  return m;
}
int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: onednn_conv C M H KERNEL STRIDE THREADS\n");
    return 2;
  }
  int C = atoi(argv[1]), M = atoi(argv[2]), H = atoi(argv[3]), K = atoi(argv[4]), S = atoi(argv[5]), th = atoi(argv[6]);
  int P = (K - 1) / 2, O = (H + 2 * P - K) / S + 1;
  dnnl_engine_t eng;
  CK(dnnl_engine_create(&eng, dnnl_cpu, 0));
  dnnl_stream_t st;
  CK(dnnl_stream_create(&st, eng, dnnl_stream_default_flags));
  dnnl_dims_t sd = {1, C, H, H}, wd = {M, C, K, K}, bd = {M}, dd = {1, M, O, O}, strides = {S, S}, pad = {P, P};
  dnnl_memory_desc_t s_u, w_u, b_u, d_u, s_a, w_a, d_a;
  CK(dnnl_memory_desc_init_by_tag(&s_u, 4, sd, dnnl_f32, dnnl_nchw));
  CK(dnnl_memory_desc_init_by_tag(&w_u, 4, wd, dnnl_f32, dnnl_oihw));
  CK(dnnl_memory_desc_init_by_tag(&b_u, 1, bd, dnnl_f32, dnnl_x));
  CK(dnnl_memory_desc_init_by_tag(&d_u, 4, dd, dnnl_f32, dnnl_nchw));
  CK(dnnl_memory_desc_init_by_tag(&s_a, 4, sd, dnnl_f32, dnnl_format_tag_any));
  CK(dnnl_memory_desc_init_by_tag(&w_a, 4, wd, dnnl_f32, dnnl_format_tag_any));
  CK(dnnl_memory_desc_init_by_tag(&d_a, 4, dd, dnnl_f32, dnnl_format_tag_any));
  dnnl_convolution_desc_t cd;
  CK(dnnl_convolution_forward_desc_init(&cd, dnnl_forward_inference, dnnl_convolution_direct, &s_a, &w_a, &b_u, &d_a,
                                        strides, pad, pad));
  dnnl_primitive_attr_t attr;
  CK(dnnl_primitive_attr_create(&attr));
  dnnl_post_ops_t po;
  CK(dnnl_post_ops_create(&po));
  CK(dnnl_post_ops_append_eltwise(po, 1.0f, dnnl_eltwise_relu, 0, 0));
  CK(dnnl_primitive_attr_set_post_ops(attr, po));
  dnnl_primitive_desc_t pd;
  CK(dnnl_primitive_desc_create(&pd, &cd, attr, eng, NULL));
  const char *impl;
  CK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, &impl));
  const dnnl_memory_desc_t *s_k = dnnl_primitive_desc_query_md(pd, dnnl_query_src_md, 0),
                           *w_k = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0),
                           *d_k = dnnl_primitive_desc_query_md(pd, dnnl_query_dst_md, 0);
  float *x = malloc(4L * C * H * H), *w = malloc(4L * M * C * K * K), *b = malloc(4L * M), *y = malloc(4L * M * O * O),
        *y2 = malloc(4L * M * O * O);
  for (long i = 0; i < (long)C * H * H; i++) x[i] = (i % 13) * 0.1f - 0.6f;
  for (long i = 0; i < (long)M * C * K * K; i++) w[i] = (i % 7) * 0.01f - 0.03f;
  for (int i = 0; i < M; i++) b[i] = 0.1f;
  dnnl_memory_t xs = mem(eng, &s_u, x), ws = mem(eng, &w_u, w), bs = mem(eng, &b_u, b), ys = mem(eng, &d_u, y);
  dnnl_memory_t xk = mem(eng, s_k, DNNL_MEMORY_ALLOCATE), wk = mem(eng, w_k, DNNL_MEMORY_ALLOCATE),
                yk = mem(eng, d_k, DNNL_MEMORY_ALLOCATE);
  dnnl_primitive_desc_t r1, r2, r3;
  dnnl_primitive_t p1, p2, p3, conv;
  CK(dnnl_reorder_primitive_desc_create(&r1, &s_u, eng, s_k, eng, NULL));
  CK(dnnl_primitive_create(&p1, r1));
  CK(dnnl_reorder_primitive_desc_create(&r2, &w_u, eng, w_k, eng, NULL));
  CK(dnnl_primitive_create(&p2, r2));
  CK(dnnl_reorder_primitive_desc_create(&r3, d_k, eng, &d_u, eng, NULL));
  CK(dnnl_primitive_create(&p3, r3));
  CK(dnnl_primitive_create(&conv, pd));
  dnnl_exec_arg_t a1[2] = {{DNNL_ARG_FROM, xs}, {DNNL_ARG_TO, xk}}, a2[2] = {{DNNL_ARG_FROM, ws}, {DNNL_ARG_TO, wk}},
                  a3[2] = {{DNNL_ARG_FROM, yk}, {DNNL_ARG_TO, ys}};
  dnnl_exec_arg_t ac[4] = {{DNNL_ARG_SRC, xk}, {DNNL_ARG_WEIGHTS, wk}, {DNNL_ARG_BIAS, bs}, {DNNL_ARG_DST, yk}};
  CK(dnnl_primitive_execute(p2, st, 2, a2));
  CK(dnnl_stream_wait(st)); /* weights once, as onnxq packs them once */
  oq_conv_shape cs;
  memset(&cs, 0, sizeof cs);
  cs.g.nd = 2;
  cs.g.in[0] = cs.g.in[1] = H;
  cs.g.k[0] = cs.g.k[1] = K;
  cs.g.s[0] = cs.g.s[1] = S;
  cs.g.d[0] = cs.g.d[1] = 1;
  cs.g.pb[0] = cs.g.pb[1] = cs.g.pe[0] = cs.g.pe[1] = P;
  cs.g.out[0] = cs.g.out[1] = O;
  cs.n = 1;
  cs.c = cs.cg = C;
  cs.m = cs.mg = M;
  cs.in_sp = H * H;
  cs.out_sp = O * O;
  cs.kprod = K * K;
  oq_threadpool *pool = NULL;
  oq_error err = {0};
  oq_threadpool_create(th, &pool, &err);
  size_t dpf = oq_conv_dpack_floats(M, C, K * K);
  float *dp = malloc(4 * dpf);
  oq_conv_wpack wp;
  oq_conv_dpack_fill(w, M, C, K * K, dp, &wp);
  if (!oq_conv_takes_direct(&cs)) {
    size_t f = oq_conv_wpack_floats(M, (long)C * K * K, 1, 8);
    free(dp);
    dp = malloc(4 * f);
    oq_conv_wpack_fill(w, M, (long)C * K * K, 1, 8, dp, &wp);
  }
  size_t sf = oq_conv_scratch_floats_wp(&cs, th, 1);
  float *sc = malloc(4 * sf + 64);
  oq_conv_act act = {OQ_GEMM_ACT_RELU, 0, 0};
  double to[21], td[21], tc[21];
  struct timespec pause = {0, 300000000};
  nanosleep(&pause, NULL); /* oneDNN's OpenMP threads stop spinning */
  for (int r = 0; r < 21; r++) {
    double t0 = now();
    oq_conv_fast_wp(&cs, x, w, &wp, b, &act, y2, pool, sc, &err);
    to[r] = now() - t0;
  }
  nanosleep(&pause, NULL); /* our workers go to sleep */
  for (int r = 0; r < 21; r++) {
    double t0 = now();
    CK(dnnl_primitive_execute(p1, st, 2, a1));
    double t1 = now();
    CK(dnnl_primitive_execute(conv, st, 4, ac));
    CK(dnnl_stream_wait(st));
    double t2 = now();
    CK(dnnl_primitive_execute(p3, st, 2, a3));
    CK(dnnl_stream_wait(st));
    td[r] = now() - t0;
    tc[r] = t2 - t1;
  }
  qsort(to, 21, 8, cmpd);
  qsort(td, 21, 8, cmpd);
  qsort(tc, 21, 8, cmpd);
  double md = 0;
  for (long i = 0; i < (long)M * O * O; i++) {
    double d = y[i] - y2[i];
    if (d < 0) d = -d;
    if (d > md) md = d;
  }
  printf("C%d M%d %dx%d k%d s%d, %d thread(s): onnxq %.3f ms, oneDNN %.3f ms with its NCHW reorders (%.3f conv alone, "
         "%s), onnxq/oneDNN %.2f; max diff %.2g\n",
         C, M, H, H, K, S, th, to[10] * 1e3, td[10] * 1e3, tc[10] * 1e3, impl, to[10] / td[10], md);
  return 0;
}
