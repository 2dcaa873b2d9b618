/* onnxq's oq_sgemm against OpenBLAS's cblas_sgemm on the products resnet18, mobilenet_v2 and the transformer
 * encoder run (bench/libs/run.sh). Each library's calls are separated from the other's by a pause so neither's
 * spinning threads share the vCPUs with the other's. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>
#include "core/pool.h"
#include "kern/sgemm.h"
#include "timing.h"
void openblas_set_num_threads(int);
char *openblas_get_corename(void);
int main(void) {
  printf("OpenBLAS kernels: %s\n", openblas_get_corename());
  size_t shapes[][3] = {{64, 3136, 576}, {512, 49, 4608}, {96, 12544, 16},
                        {32, 1024, 256}, {1, 1000, 1280}, {256, 196, 2304}};
  const char *names[] = {
      "resnet18 layer1 3x3 as GEMM", "resnet18 layer4 3x3 as GEMM", "mobilenet_v2 16->96 1x1 112x112",
      "transformer linear1",         "batch-1 classifier",          "resnet18 layer3 3x3 as GEMM"};
  for (int s = 0; s < 6; s++) {
    size_t m = shapes[s][0], n = shapes[s][1], k = shapes[s][2];
    float *a = malloc(4 * m * k), *b = malloc(4 * k * n), *c = malloc(4 * m * n), *c1 = malloc(4 * m * n),
          *c2 = malloc(4 * m * n);
    for (size_t i = 0; i < m * k; i++) a[i] = (float)((i * 7) % 13) * 0.1f - 0.6f;
    for (size_t i = 0; i < k * n; i++) b[i] = (float)((i * 5) % 11) * 0.1f - 0.5f;
    for (int th = 1; th <= 2; th++) {
      oq_threadpool *pool = NULL;
      oq_error err = {0};
      oq_threadpool_create(th, &pool, &err);
      oq_sgemm_pack pack = {NULL, oq_sgemm_pack_floats(m, n, k), oq_sgemm_slots(th, m, n, k, 0)};
      if (pack.slot_floats) pack.buf = malloc(4 * pack.slot_floats * pack.n_slots);
      openblas_set_num_threads(th);
      double to[15], tb[15];
      struct timespec pause = {0, 300000000};
      nanosleep(&pause, NULL);
      for (int r = 0; r < 15; r++) {
        double t0 = now();
        oq_sgemm(pool, &pack, 0, 0, m, n, k, 1.0f, a, k, b, n, 0.0f, c, n, &err);
        to[r] = now() - t0;
      }
      nanosleep(&pause, NULL);
      for (int r = 0; r < 15; r++) {
        double t0 = now();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)m, (int)n, (int)k, 1.0f, a, (int)k, b, (int)n, 0.0f,
                    th == 1 ? c1 : c2, (int)n);
        tb[r] = now() - t0;
      }
      qsort(to, 15, sizeof(double), cmpd);
      qsort(tb, 15, sizeof(double), cmpd);
      printf("%-34s %4zux%5zux%4zu  %d thread(s): onnxq %.3f ms  OpenBLAS %.3f ms  (onnxq/OpenBLAS %.2f)\n", names[s],
             m, n, k, th, to[7] * 1e3, tb[7] * 1e3, to[7] / tb[7]);
      free(pack.buf);
      oq_threadpool_free(pool);
    }
    printf("   OpenBLAS 1 vs 2 threads: %s\n", memcmp(c1, c2, 4 * m * n) ? "DIFFERENT bytes" : "same bytes");
    free(a);
    free(b);
    free(c);
    free(c1);
    free(c2);
  }
  return 0;
}
