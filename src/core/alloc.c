/* The allocation hook and its failing test mode (see alloc.h). */
#include "core/alloc.h"
#include "core/error.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static void *libc_alloc(void *ud, void *ptr, size_t size, int zero) {
  (void)ud;
  if (size == 0) {
    free(ptr);
    return NULL;
  }
  if (ptr) return realloc(ptr, size);
  return zero ? calloc(1, size) : malloc(size);
}

static oq_alloc_fn g_hook = libc_alloc;
static void *g_hook_ud;

void oq_alloc_set_hook(oq_alloc_fn fn, void *ud) {
  g_hook = fn ? fn : libc_alloc;
  g_hook_ud = fn ? ud : NULL;
}

void *oq_mem_alloc(size_t size) { return g_hook(g_hook_ud, NULL, size ? size : 1, 0); }
void *oq_mem_zalloc(size_t size) { return g_hook(g_hook_ud, NULL, size ? size : 1, 1); }
void *oq_mem_realloc(void *ptr, size_t size) { return g_hook(g_hook_ud, ptr, size ? size : 1, 0); }

void oq_free(void *ptr) {
  if (ptr) g_hook(g_hook_ud, ptr, 0, 0);
}

void *oq_calloc(size_t count, size_t size, oq_error *err) {
  size_t total;
  if (!oq_size_mul(count, size, &total)) {
    oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "allocation of %zu x %zu bytes overflows", count, size);
    return NULL;
  }
  void *p = oq_mem_zalloc(total);
  if (!p) oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "out of memory allocating %zu bytes", total);
  return p;
}

void *oq_malloc_array(size_t count, size_t size, oq_error *err) {
  size_t total;
  if (!oq_size_mul(count, size, &total)) {
    oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "allocation of %zu x %zu bytes overflows", count, size);
    return NULL;
  }
  void *p = oq_mem_alloc(total);
  if (!p) oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "out of memory allocating %zu bytes", total);
  return p;
}

void *oq_realloc_array(void *ptr, size_t count, size_t size, oq_error *err) {
  size_t total;
  if (!oq_size_mul(count, size, &total)) {
    oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "allocation of %zu x %zu bytes overflows", count, size);
    return NULL;
  }
  void *p = oq_mem_realloc(ptr, total);
  if (!p) oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "out of memory allocating %zu bytes", total);
  return p;
}

char *oq_strdup(const char *s, oq_error *err) {
  size_t n = strlen(s) + 1;
  char *p = oq_mem_alloc(n);
  if (!p) {
    oq_error_set(err, OQ_ERR_NOMEM, __FILE__, __LINE__, "out of memory");
    return NULL;
  }
  memcpy(p, s, n);
  return p;
}

/* ---- failing test mode ---------------------------------------------------------------------------------------- */

static atomic_uint_fast64_t g_test_count;   /* allocations seen */
static atomic_uint_fast64_t g_test_fail_at; /* 1-based number of the allocation that fails; 0 = none */
static atomic_bool g_test_hit;              /* the failing allocation was reached */

static void *failing_alloc(void *ud, void *ptr, size_t size, int zero) {
  if (size != 0) {
    uint64_t k = (uint64_t)atomic_fetch_add(&g_test_count, 1) + 1;
    if (k == (uint64_t)atomic_load(&g_test_fail_at)) {
      atomic_store(&g_test_hit, true);
      return NULL;
    }
  }
  return libc_alloc(ud, ptr, size, zero);
}

void oq_alloc_test_begin(uint64_t fail_at) {
  atomic_store(&g_test_count, 0);
  atomic_store(&g_test_fail_at, fail_at);
  atomic_store(&g_test_hit, false);
  oq_alloc_set_hook(failing_alloc, NULL);
}

uint64_t oq_alloc_test_count(void) { return (uint64_t)atomic_load(&g_test_count); }
bool oq_alloc_test_failed(void) { return atomic_load(&g_test_hit); }
void oq_alloc_test_end(void) { oq_alloc_set_hook(NULL, NULL); }
