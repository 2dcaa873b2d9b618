/* The timer and the order of doubles the two comparison programs share (bench/libs/run.sh). */
#ifndef OQ_BENCH_LIBS_TIMING_H
#define OQ_BENCH_LIBS_TIMING_H

#include <time.h>

static inline double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static inline int cmpd(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

#endif
