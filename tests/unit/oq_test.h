/* Minimal unit-test harness. A test file defines cases with OQ_TEST(name) { ... } at the start of a line and ends
 * with OQ_TEST_MAIN(). ctest runs `test_<module> <case>`; with no argument every case runs. A failed check prints
 * file, line and the expression and makes the case fail. */
#ifndef OQ_TEST_H
#define OQ_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*oq_test_fn)(void);
typedef struct oq_test_case {
  const char *name;
  oq_test_fn fn;
} oq_test_case;

#define OQ_TEST_MAX 256
static oq_test_case oq_test_cases[OQ_TEST_MAX];
static int oq_test_count;
static int oq_test_failed;

#define OQ_TEST(name)                                                                                                  \
  static void test_##name(void);                                                                                       \
  __attribute__((constructor)) static void register_##name(void) {                                                     \
    if (oq_test_count < OQ_TEST_MAX) oq_test_cases[oq_test_count++] = (oq_test_case){#name, test_##name};              \
  }                                                                                                                    \
  static void test_##name(void)

#define CHECK(cond)                                                                                                    \
  do {                                                                                                                 \
    if (!(cond)) {                                                                                                     \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                                         \
      oq_test_failed = 1;                                                                                              \
    }                                                                                                                  \
  } while (0)

/* Stops the case: for checks whose failure makes the rest meaningless. */
#define REQUIRE(cond)                                                                                                  \
  do {                                                                                                                 \
    if (!(cond)) {                                                                                                     \
      fprintf(stderr, "%s:%d: REQUIRE failed: %s\n", __FILE__, __LINE__, #cond);                                       \
      oq_test_failed = 1;                                                                                              \
      return;                                                                                                          \
    }                                                                                                                  \
  } while (0)

/* Requires an oq_status call to succeed, printing the error message otherwise (needs `oq_error err` in scope). */
#define REQUIRE_OK(expr)                                                                                               \
  do {                                                                                                                 \
    oq_status st_ = (expr);                                                                                            \
    if (st_ != OQ_OK) {                                                                                                \
      fprintf(stderr, "%s:%d: %s failed: %s\n", __FILE__, __LINE__, #expr, err.msg);                                   \
      oq_test_failed = 1;                                                                                              \
      return;                                                                                                          \
    }                                                                                                                  \
  } while (0)

#define CHECK_NEAR(a, b, tol)                                                                                          \
  do {                                                                                                                 \
    double a_ = (double)(a), b_ = (double)(b);                                                                         \
    if (!(fabs(a_ - b_) <= (tol))) {                                                                                   \
      fprintf(stderr, "%s:%d: CHECK_NEAR failed: %s=%g %s=%g tol=%g\n", __FILE__, __LINE__, #a, a_, #b, b_,            \
              (double)(tol));                                                                                          \
      oq_test_failed = 1;                                                                                              \
    }                                                                                                                  \
  } while (0)

#define OQ_TEST_MAIN()                                                                                                 \
  int main(int argc, char **argv) {                                                                                    \
    int ran = 0;                                                                                                       \
    for (int i = 0; i < oq_test_count; i++) {                                                                          \
      if (argc > 1 && strcmp(argv[1], oq_test_cases[i].name) != 0) continue;                                           \
      oq_test_cases[i].fn();                                                                                           \
      ran++;                                                                                                           \
    }                                                                                                                  \
    if (ran == 0) {                                                                                                    \
      fprintf(stderr, "no test case named %s\n", argc > 1 ? argv[1] : "(any)");                                        \
      return 2;                                                                                                        \
    }                                                                                                                  \
    if (oq_test_failed) fprintf(stderr, "FAILED\n");                                                                   \
    return oq_test_failed ? 1 : 0;                                                                                     \
  }

#endif
