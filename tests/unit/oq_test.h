/* Minimal unit-test harness. A test file defines cases with OQ_TEST(name) { ... } and ends with OQ_TEST_MAIN().
 * Cases register themselves before main (a constructor each), so the binary knows its cases:
 *   test_<module> --list   prints one case name per line (tests/CMakeLists.txt registers the ctest cases from it)
 *   test_<module> <case>   runs that case; an unknown name is an error (exit 2)
 *   test_<module>          runs every case
 * A failed check prints file, line and the expression and makes the case fail (exit 1). */
#ifndef OQ_TEST_H
#define OQ_TEST_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef void (*oq_test_fn)(void);
/* One per case, static storage; linked in definition order, so there is no limit on the number of cases. */
typedef struct oq_test_case {
  const char *name;
  oq_test_fn fn;
  struct oq_test_case *next;
} oq_test_case;

static oq_test_case *oq_test_first, **oq_test_last = &oq_test_first;
static int oq_test_failed;

#define OQ_TEST(name)                                                                                                  \
  static void test_##name(void);                                                                                       \
  static oq_test_case oq_case_##name = {#name, test_##name, NULL};                                                     \
  __attribute__((constructor)) static void register_##name(void) {                                                     \
    *oq_test_last = &oq_case_##name;                                                                                   \
    oq_test_last = &oq_case_##name.next;                                                                               \
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
    if (argc > 2 || (argc == 2 && argv[1][0] == '-' && strcmp(argv[1], "--list") != 0)) {                              \
      fprintf(stderr, "usage: %s [--list | CASE]\n", argv[0]);                                                         \
      return 2;                                                                                                        \
    }                                                                                                                  \
    int list = argc == 2 && strcmp(argv[1], "--list") == 0, ran = 0;                                                   \
    for (oq_test_case *c = oq_test_first; c; c = c->next) {                                                            \
      if (list) {                                                                                                      \
        printf("%s\n", c->name);                                                                                       \
        continue;                                                                                                      \
      }                                                                                                                \
      if (argc == 2 && strcmp(argv[1], c->name) != 0) continue;                                                        \
      c->fn();                                                                                                         \
      ran++;                                                                                                           \
    }                                                                                                                  \
    if (list) return oq_test_first ? 0 : 2;                                                                            \
    if (ran == 0) {                                                                                                    \
      fprintf(stderr, "no test case named %s\n", argc > 1 ? argv[1] : "(any)");                                        \
      return 2;                                                                                                        \
    }                                                                                                                  \
    if (oq_test_failed) fprintf(stderr, "FAILED\n");                                                                   \
    return oq_test_failed ? 1 : 0;                                                                                     \
  }

#endif
