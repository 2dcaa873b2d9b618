/* Persistent thread pool (see pool.h). One job at a time: the caller publishes fn/ctx/n and the chunk count
 * under the lock, bumps the generation and wakes the workers; worker t runs chunk t (the caller runs chunk 0) and
 * the caller waits until every worker chunk has reported. Workers that have no chunk in a job just go back to
 * sleep; since the caller waits for all chunks, no worker can miss a generation in which it had work. */
#include "core/pool.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct worker {
  oq_threadpool *pool; /* back pointer */
  int32_t index;       /* 1..n_workers: the chunk this worker runs */
} worker;

/* Invariant: fields below `lock` are read and written with lock held, except that a worker reads the job fields
 * after seeing a new generation and the caller does not change them until pending reaches 0. */
struct oq_threadpool {
  pthread_mutex_t lock;
  pthread_cond_t wake; /* workers wait here for a new generation or stop */
  pthread_cond_t done; /* the caller waits here for pending == 0 */
  pthread_t *tids;     /* owned; n_workers started threads */
  worker *workers;     /* owned; n_workers entries */
  int32_t n_workers;   /* threads started (size - 1) */
  int32_t busy;        /* 1 while a oq_parallel_for owns the workers */
  int32_t stop;        /* 1: workers exit */
  uint64_t gen;        /* job counter, 0 before the first job */
  oq_parallel_fn fn;   /* current job */
  void *ctx;
  int64_t n;         /* items of the current job */
  int32_t chunks;    /* chunks of the current job, 2..n_workers+1 */
  int32_t pending;   /* worker chunks of the current job not finished yet */
  oq_status *status; /* owned; n_workers + 1 entries, per chunk result of the current job */
};

static void chunk_range(int64_t n, int32_t chunks, int32_t t, int64_t *begin, int64_t *end) {
  /* n < 2^62 in practice; compute n*t/chunks without overflow via quotient and remainder. */
  int64_t q = n / chunks, r = n % chunks;
  *begin = q * t + (r * t) / chunks;
  *end = q * (t + 1) + (r * (t + 1)) / chunks;
}

static void *worker_main(void *arg) {
  worker *w = arg;
  oq_threadpool *p = w->pool;
  uint64_t seen = 0;
  pthread_mutex_lock(&p->lock);
  for (;;) {
    while (!p->stop && p->gen == seen) pthread_cond_wait(&p->wake, &p->lock);
    if (p->stop) break;
    seen = p->gen;
    if (w->index >= p->chunks) continue;
    oq_parallel_fn fn = p->fn;
    void *ctx = p->ctx;
    int64_t begin, end;
    chunk_range(p->n, p->chunks, w->index, &begin, &end);
    pthread_mutex_unlock(&p->lock);
    oq_status st = fn(ctx, begin, end);
    pthread_mutex_lock(&p->lock);
    p->status[w->index] = st;
    if (--p->pending == 0) pthread_cond_signal(&p->done);
  }
  pthread_mutex_unlock(&p->lock);
  return NULL;
}

oq_status oq_threadpool_create(int32_t threads, oq_threadpool **out, oq_error *err) {
  if (!out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_threadpool_create: out is required");
  *out = NULL;
  if (threads < 0) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "thread count %d is negative", (int)threads);
  if (threads > OQ_THREADPOOL_MAX) threads = OQ_THREADPOOL_MAX;
  int32_t want = threads > 1 ? threads - 1 : 0;
  oq_threadpool *p = oq_calloc(1, sizeof *p, err);
  if (!p) return OQ_ERR_NOMEM;
  p->tids = oq_calloc((size_t)want + 1, sizeof *p->tids, err);
  p->workers = oq_calloc((size_t)want + 1, sizeof *p->workers, err);
  p->status = oq_calloc((size_t)want + 1, sizeof *p->status, err);
  if (!p->tids || !p->workers || !p->status) {
    free(p->tids);
    free(p->workers);
    free(p->status);
    free(p);
    return OQ_ERR_NOMEM;
  }
  int have_lock = pthread_mutex_init(&p->lock, NULL) == 0;
  int have_wake = have_lock && pthread_cond_init(&p->wake, NULL) == 0;
  int have_done = have_wake && pthread_cond_init(&p->done, NULL) == 0;
  if (!have_done) {
    if (have_wake) pthread_cond_destroy(&p->wake);
    if (have_lock) pthread_mutex_destroy(&p->lock);
    free(p->tids);
    free(p->workers);
    free(p->status);
    free(p);
    OQ_RETURN_ERR(err, OQ_ERR_INTERNAL, "cannot create the thread pool's mutex or condition variables");
  }
  /* A refused thread (resource limits) only makes the pool smaller. */
  for (int32_t i = 0; i < want; i++) {
    p->workers[i].pool = p;
    p->workers[i].index = i + 1;
    if (pthread_create(&p->tids[i], NULL, worker_main, &p->workers[i]) != 0) break;
    p->n_workers = i + 1;
  }
  *out = p;
  return OQ_OK;
}

void oq_threadpool_free(oq_threadpool *pool) {
  if (!pool) return;
  pthread_mutex_lock(&pool->lock);
  pool->stop = 1;
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->lock);
  for (int32_t i = 0; i < pool->n_workers; i++) pthread_join(pool->tids[i], NULL);
  pthread_cond_destroy(&pool->done);
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->lock);
  free(pool->tids);
  free(pool->workers);
  free(pool->status);
  free(pool);
}

int32_t oq_threadpool_size(const oq_threadpool *pool) { return pool ? pool->n_workers + 1 : 1; }

oq_status oq_parallel_for_max(oq_threadpool *pool, int64_t n, int32_t max_chunks, oq_parallel_fn fn, void *ctx) {
  if (n <= 0) return OQ_OK;
  int64_t chunks = oq_threadpool_size(pool);
  if (max_chunks < chunks) chunks = max_chunks;
  if (n < chunks) chunks = n;
  if (chunks <= 1) return fn(ctx, 0, n);
  pthread_mutex_lock(&pool->lock);
  if (pool->busy) { /* nested or concurrent use: inline, so nothing waits on itself */
    pthread_mutex_unlock(&pool->lock);
    return fn(ctx, 0, n);
  }
  pool->busy = 1;
  pool->fn = fn;
  pool->ctx = ctx;
  pool->n = n;
  pool->chunks = (int32_t)chunks;
  pool->pending = (int32_t)chunks - 1;
  pool->gen++;
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->lock);

  int64_t begin, end;
  chunk_range(n, (int32_t)chunks, 0, &begin, &end);
  oq_status st = fn(ctx, begin, end);

  pthread_mutex_lock(&pool->lock);
  while (pool->pending > 0) pthread_cond_wait(&pool->done, &pool->lock);
  for (int32_t t = 1; t < (int32_t)chunks && st == OQ_OK; t++) st = pool->status[t];
  pool->busy = 0;
  pthread_mutex_unlock(&pool->lock);
  return st;
}

oq_status oq_parallel_for(oq_threadpool *pool, int64_t n, oq_parallel_fn fn, void *ctx) {
  return oq_parallel_for_max(pool, n, OQ_THREADPOOL_MAX, fn, ctx);
}
