/* A small persistent thread pool for splitting one kernel's work: N-1 worker threads plus the calling thread.
 *
 * oq_parallel_for splits [0, n) into at most N contiguous chunks, statically: chunk t of c is
 * [n*t/c, n*(t+1)/c). Which thread runs which chunk never changes what is computed, as long as the kernel splits
 * only over independent output elements (never over a reduction): then results are bit-identical for every N.
 *
 * A NULL pool, a pool of one thread, n <= 1, or a call made while the pool is already busy (a nested call from
 * inside a chunk, or a second thread sharing the pool) run every chunk inline on the calling thread, so nesting
 * can never deadlock. */
#ifndef OQ_CORE_POOL_H
#define OQ_CORE_POOL_H

#include "core/error.h"

/* Most threads a pool will start; larger requests are clamped. */
#define OQ_THREADPOOL_MAX 1024

typedef struct oq_threadpool oq_threadpool;

/* Runs items [begin, end) of the work described by ctx. Returns OQ_OK or the failure (e.g. OQ_ERR_NOMEM for
 * scratch memory); chunks cannot fill an oq_error, the caller words the message. */
typedef oq_status (*oq_parallel_fn)(void *ctx, int64_t begin, int64_t end);

/* threads <= 1 gives a pool that runs everything inline (no thread is started). When the system refuses to start
 * a worker the pool keeps the ones it got: never an error for that. Fails only for threads < 0 or no memory. */
oq_status oq_threadpool_create(int32_t threads, oq_threadpool **out, oq_error *err);
/* Stops and joins the workers. Must not be called while a oq_parallel_for on the pool is running. NULL is fine. */
void oq_threadpool_free(oq_threadpool *pool);
/* Threads that take part in a oq_parallel_for (workers + caller); 1 for NULL. */
int32_t oq_threadpool_size(const oq_threadpool *pool);

/* Calls fn over chunks covering [0, n) exactly once each and returns when all are done. Returns OQ_OK, or the
 * status of the lowest-numbered chunk that failed (every chunk still runs). n <= 0 does nothing. */
oq_status oq_parallel_for(oq_threadpool *pool, int64_t n, oq_parallel_fn fn, void *ctx);

/* The same split, with at most max_chunks chunks (>= 1): for callers that size per-chunk scratch up front. */
oq_status oq_parallel_for_max(oq_threadpool *pool, int64_t n, int32_t max_chunks, oq_parallel_fn fn, void *ctx);

/* [0, n) split into the chunks of oq_parallel_for_max over at most max_threads threads (>= 1); each thread takes
 * its own chunk in ranges of at most grain items (>= 1) from the front, then what is left of the others from their
 * backs, so a thread that is slowed (a busy neighbour on the vCPU, a cold cache) holds up no one, while each thread
 * still works where the previous kernel's static split left its data. All of [0, n) at once when the call runs
 * inline (as oq_parallel_for_max's fallbacks). fn may run several times on one thread; oq_parallel_chunk() is the
 * thread's index (0 for the caller), below min(max_threads, pool size), the same thread's every call, so
 * per-thread scratch works as with chunks. Which items go together differs from run to run: only for work whose
 * every item's result does not depend on that. Returns OQ_OK or the failure of the lowest-numbered failing thread. */
oq_status oq_parallel_for_dyn(oq_threadpool *pool, int64_t n, int32_t max_threads, int64_t grain, oq_parallel_fn fn,
                              void *ctx);

/* Inside an oq_parallel_fn: the index of the chunk being run (0 for a run inline), below the chunk count, distinct
 * among the chunks of one call. Chunk t of a pool always runs on the same thread (worker t, the caller for 0), so
 * per-chunk scratch picked by this index stays in that thread's cache from one call to the next (a slot claimed
 * in arrival order moved a 1 MiB packing buffer between the cores' caches). */
int32_t oq_parallel_chunk(void);

#endif
