/* The one allocation path of the library. Every allocation (oq_calloc, oq_malloc_array, oq_strdup, tensor data,
 * protobuf unpacking of models) goes through a single hook, in the shape of Lua's lua_Alloc, so that a test mode
 * can fail any chosen allocation and show that each failure unwinds cleanly. The memory always comes from the C
 * library's malloc underneath: blocks may be released with oq_free or free alike, and protos unpacked through the
 * hook may be freed by protobuf-c's default allocator. */
#ifndef OQ_CORE_ALLOC_H
#define OQ_CORE_ALLOC_H

#include "onnxq.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ptr == NULL: allocate size bytes (zeroed when zero != 0); size == 0: free ptr and return NULL; otherwise resize
 * ptr to size bytes. Returns NULL on failure (and leaves ptr untouched). */
typedef void *(*oq_alloc_fn)(void *ud, void *ptr, size_t size, int zero);

/* Installs fn (NULL restores the C library). Internal: tests set it while no other library call is running; the
 * library itself never changes it. fn must return memory from malloc (see above). */
void oq_alloc_set_hook(oq_alloc_fn fn, void *ud);

/* Raw allocation through the hook; a zero size allocates one byte so that success is never NULL. */
void *oq_mem_alloc(size_t size);
void *oq_mem_zalloc(size_t size);
void *oq_mem_realloc(void *ptr, size_t size); /* size 0 is treated as 1 */

/* Allocation helpers that check count * size for overflow; record OQ_ERR_NOMEM in err on failure. */
void *oq_calloc(size_t count, size_t size, oq_error *err);
void *oq_malloc_array(size_t count, size_t size, oq_error *err);
/* Resizes ptr to count * size bytes; on failure ptr is left as it was. */
void *oq_realloc_array(void *ptr, size_t count, size_t size, oq_error *err);
char *oq_strdup(const char *s, oq_error *err);

/* Failing-allocator test mode: installs a hook that counts allocations and resizes (not frees) from now on and
 * makes number fail_at (1-based) fail; 0 only counts. The counter is atomic, so calibration threads count too. */
void oq_alloc_test_begin(uint64_t fail_at);
uint64_t oq_alloc_test_count(void); /* allocations counted since oq_alloc_test_begin */
bool oq_alloc_test_failed(void);    /* whether the chosen allocation was reached (and failed) */
void oq_alloc_test_end(void);       /* back to the C library */

#endif
