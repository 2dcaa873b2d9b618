/* Persistent thread pool (see pool.h). One job at a time. The caller publishes fn/ctx/n, sets pending to the
 * number of worker chunks, then bumps the generation word, which also carries the chunk count; worker t runs chunk
 * t (the caller runs chunk 0) and the caller waits until pending reaches 0.
 *
 * Waking is what made small kernels slow when every job went through a mutex and a condition variable (a
 * syscall per job on each side). Now both sides spin briefly on atomics, with a pause instruction, and only then
 * sleep on a condition variable: back-to-back jobs (one per node of a model) cost about a microsecond. A sleeper
 * announces itself in a counter before its last check of the word it waits on, and the other side reads that
 * counter after changing the word (both sequentially consistent), so a wake-up is never lost.
 *
 * A worker whose index is not below the job's chunk count reads nothing but the generation word: the caller does
 * not wait for it, so the job fields may already belong to a later job.
 *
 * A dynamic job (oq_parallel_for_dyn) is the same, except that each participating thread takes its chunk grain
 * items at a time from the front, then takes what is left of the other chunks from their backs: a thread works on
 * the same part of the data as in a static split (what the previous kernel left in its cache) unless another one is
 * late. A chunk's unclaimed range is one 64-bit word (begin, end), changed by compare-and-swap. */
#define _POSIX_C_SOURCE 200809L /* clock_gettime */
#include "core/pool.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define POOL_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define POOL_PAUSE() __asm__ __volatile__("yield")
#else
#define POOL_PAUSE() ((void)0)
#endif

/* The generation word: (job counter << GEN_SHIFT) | chunks. OQ_THREADPOOL_MAX + 1 chunks fit in GEN_SHIFT bits. */
#define GEN_SHIFT      11
#define GEN_CHUNK_MASK ((UINT64_C(1) << GEN_SHIFT) - 1)
/* How long a worker spins for the next job, and the caller for the last chunk, before sleeping (nanoseconds).
 * Long enough to cover the gap between two nodes of a model, short enough not to burn a core after a run. */
#define WORKER_SPIN_NS 200000
#define CALLER_SPIN_NS 2000000

/* The unclaimed items [begin, end) of one chunk of a dynamic job: end << 32 | begin (items < 2^31), alone in its
 * cache line. */
typedef struct claim_range {
  _Atomic uint64_t r;
  char pad[64 - sizeof(uint64_t)];
} claim_range;

typedef struct worker {
  oq_threadpool *pool; /* back pointer */
  int32_t index;       /* 1..n_workers: the chunk this worker runs */
} worker;

struct oq_threadpool {
  _Atomic uint64_t gen;     /* generation word, 0 before the first job */
  _Atomic int32_t pending;  /* worker chunks of the current job not finished yet */
  _Atomic int32_t sleepers; /* workers blocked (or about to block) on wake */
  _Atomic int32_t waiting;  /* 1 while the caller is blocked (or about to block) on done */
  _Atomic int32_t busy;     /* 1 while a oq_parallel_for owns the workers */
  _Atomic int32_t stop;     /* 1: workers exit */
  oq_parallel_fn fn;        /* current job; written before gen is published */
  void *ctx;
  int64_t n;            /* items of the current job */
  int64_t grain;        /* 0: static chunks; else items per claim (oq_parallel_for_dyn) */
  claim_range *ranges;  /* owned; n_workers + 1 entries: each chunk's unclaimed items (dynamic jobs) */
  oq_status *status;    /* owned; n_workers + 1 entries, per chunk result of the current job */
  pthread_mutex_t lock; /* only for sleeping */
  pthread_cond_t wake;  /* workers sleep here for a new generation or stop */
  pthread_cond_t done;  /* the caller sleeps here for pending == 0 */
  pthread_t *tids;      /* owned; n_workers started threads */
  worker *workers;      /* owned; n_workers entries */
  int32_t n_workers;    /* threads started (size - 1) */
};

static void chunk_range(int64_t n, int32_t chunks, int32_t t, int64_t *begin, int64_t *end) {
  /* n < 2^62 in practice; compute n*t/chunks without overflow via quotient and remainder. */
  int64_t q = n / chunks, r = n % chunks;
  *begin = q * t + (r * t) / chunks;
  *end = q * (t + 1) + (r * (t + 1)) / chunks;
}

static _Thread_local int32_t current_chunk; /* oq_parallel_chunk */

int32_t oq_parallel_chunk(void) { return current_chunk; }

/* fn over [begin, end) as chunk t of this thread, restoring the enclosing chunk index (nested inline runs). */
static oq_status run_chunk(oq_parallel_fn fn, void *ctx, int64_t begin, int64_t end, int32_t t) {
  int32_t outer = current_chunk;
  current_chunk = t;
  oq_status st = fn(ctx, begin, end);
  current_chunk = outer;
  return st;
}

/* Claims up to grain items of chunk c, from its front (its owner) or its back (another thread); 0 when empty. */
static int claim(oq_threadpool *p, int32_t c, int front, int64_t *begin, int64_t *end) {
  uint64_t cur = atomic_load_explicit(&p->ranges[c].r, memory_order_relaxed);
  for (;;) {
    uint64_t b = cur & 0xFFFFFFFFu, e = cur >> 32;
    if (b >= e) return 0;
    uint64_t take = e - b < (uint64_t)p->grain ? e - b : (uint64_t)p->grain;
    uint64_t next = front ? (e << 32 | (b + take)) : ((e - take) << 32 | b);
    if (atomic_compare_exchange_weak_explicit(&p->ranges[c].r, &cur, next, memory_order_relaxed,
                                              memory_order_relaxed)) {
      *begin = (int64_t)(front ? b : e - take);
      *end = (int64_t)(front ? b + take : e);
      return 1;
    }
  }
}

/* A dynamic job's claims on thread t of chunks threads: its own chunk, then the others', until all are claimed (or
 * one fails). */
static oq_status run_claims(oq_threadpool *p, int32_t t, int32_t chunks) {
  oq_status st = OQ_OK;
  int64_t begin, end;
  while (st == OQ_OK && claim(p, t, 1, &begin, &end)) st = run_chunk(p->fn, p->ctx, begin, end, t);
  for (int32_t k = 1; k < chunks && st == OQ_OK; k++) {
    int32_t c = (t + k) % chunks;
    while (st == OQ_OK && claim(p, c, 0, &begin, &end)) st = run_chunk(p->fn, p->ctx, begin, end, t);
  }
  return st;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Spins until *word != old or stop is set, for about budget_ns; returns the last value read. */
static uint64_t spin_gen(oq_threadpool *p, uint64_t old, int64_t budget_ns) {
  int64_t deadline = 0;
  for (uint32_t i = 1;; i++) {
    uint64_t g = atomic_load_explicit(&p->gen, memory_order_acquire);
    if (g != old || atomic_load_explicit(&p->stop, memory_order_relaxed)) return g;
    POOL_PAUSE();
    if ((i & 63) == 0) { /* read the clock rarely: it costs more than a pause */
      sched_yield();     /* more threads than cores: let the thread we wait for run */
      int64_t t = now_ns();
      if (!deadline)
        deadline = t + budget_ns;
      else if (t >= deadline)
        return g;
    }
  }
}

static void *worker_main(void *arg) {
  worker *w = arg;
  oq_threadpool *p = w->pool;
  uint64_t seen = 0;
  for (;;) {
    uint64_t g = spin_gen(p, seen, WORKER_SPIN_NS);
    if (g == seen && !atomic_load(&p->stop)) {
      pthread_mutex_lock(&p->lock);
      atomic_fetch_add(&p->sleepers, 1);
      while ((g = atomic_load(&p->gen)) == seen && !atomic_load(&p->stop)) pthread_cond_wait(&p->wake, &p->lock);
      atomic_fetch_sub(&p->sleepers, 1);
      pthread_mutex_unlock(&p->lock);
    }
    if (atomic_load(&p->stop)) break;
    seen = g;
    int32_t chunks = (int32_t)(g & GEN_CHUNK_MASK);
    if (w->index >= chunks) continue;
    if (p->grain > 0) {
      p->status[w->index] = run_claims(p, w->index, chunks);
    } else {
      int64_t begin, end;
      chunk_range(p->n, chunks, w->index, &begin, &end);
      p->status[w->index] = run_chunk(p->fn, p->ctx, begin, end, w->index);
    }
    if (atomic_fetch_sub(&p->pending, 1) == 1 && atomic_load(&p->waiting)) {
      pthread_mutex_lock(&p->lock);
      pthread_cond_signal(&p->done);
      pthread_mutex_unlock(&p->lock);
    }
  }
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
  p->ranges = oq_calloc((size_t)want + 1, sizeof *p->ranges, err);
  if (!p->tids || !p->workers || !p->status || !p->ranges) {
    free(p->tids);
    free(p->workers);
    free(p->status);
    free(p->ranges);
    free(p);
    return OQ_ERR_NOMEM;
  }
  atomic_init(&p->gen, 0);
  atomic_init(&p->pending, 0);
  atomic_init(&p->sleepers, 0);
  atomic_init(&p->waiting, 0);
  atomic_init(&p->busy, 0);
  atomic_init(&p->stop, 0);
  int have_lock = pthread_mutex_init(&p->lock, NULL) == 0;
  int have_wake = have_lock && pthread_cond_init(&p->wake, NULL) == 0;
  int have_done = have_wake && pthread_cond_init(&p->done, NULL) == 0;
  if (!have_done) {
    if (have_wake) pthread_cond_destroy(&p->wake);
    if (have_lock) pthread_mutex_destroy(&p->lock);
    free(p->tids);
    free(p->workers);
    free(p->status);
    free(p->ranges);
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
  atomic_store(&pool->stop, 1);
  pthread_cond_broadcast(&pool->wake);
  pthread_mutex_unlock(&pool->lock);
  for (int32_t i = 0; i < pool->n_workers; i++) pthread_join(pool->tids[i], NULL);
  pthread_cond_destroy(&pool->done);
  pthread_cond_destroy(&pool->wake);
  pthread_mutex_destroy(&pool->lock);
  free(pool->tids);
  free(pool->workers);
  free(pool->status);
  free(pool->ranges);
  free(pool);
}

int32_t oq_threadpool_size(const oq_threadpool *pool) { return pool ? pool->n_workers + 1 : 1; }

/* Runs a job of chunks threads (static chunks when grain is 0, else dynamic claims of grain items). */
static oq_status run_job(oq_threadpool *pool, int64_t n, int64_t chunks, int64_t grain, oq_parallel_fn fn, void *ctx) {
  if (chunks <= 1) return run_chunk(fn, ctx, 0, n, 0);
  int32_t idle = 0;
  if (!atomic_compare_exchange_strong(&pool->busy, &idle, 1)) return run_chunk(fn, ctx, 0, n, 0); /* nested */
  pool->fn = fn;
  pool->ctx = ctx;
  pool->n = n;
  pool->grain = grain;
  for (int32_t c = 0; grain > 0 && c < (int32_t)chunks; c++) { /* published with gen below */
    int64_t b, e;
    chunk_range(n, (int32_t)chunks, c, &b, &e);
    atomic_store_explicit(&pool->ranges[c].r, (uint64_t)e << 32 | (uint64_t)b, memory_order_relaxed);
  }
  atomic_store_explicit(&pool->pending, (int32_t)chunks - 1, memory_order_relaxed);
  uint64_t counter = (atomic_load_explicit(&pool->gen, memory_order_relaxed) >> GEN_SHIFT) + 1;
  atomic_store(&pool->gen, (counter << GEN_SHIFT) | (uint64_t)chunks); /* seq_cst: ordered before sleepers */
  if (atomic_load(&pool->sleepers) > 0) {
    pthread_mutex_lock(&pool->lock);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->lock);
  }

  oq_status st;
  if (grain > 0) {
    st = run_claims(pool, 0, (int32_t)chunks);
  } else {
    int64_t begin, end;
    chunk_range(n, (int32_t)chunks, 0, &begin, &end);
    st = run_chunk(fn, ctx, begin, end, 0);
  }

  int64_t deadline = 0;
  for (uint32_t i = 1; atomic_load_explicit(&pool->pending, memory_order_acquire) > 0; i++) {
    POOL_PAUSE();
    if ((i & 63) != 0) continue;
    sched_yield();
    int64_t t = now_ns();
    if (!deadline) {
      deadline = t + CALLER_SPIN_NS;
    } else if (t >= deadline) { /* a worker was descheduled: stop burning the core it may need */
      pthread_mutex_lock(&pool->lock);
      atomic_store(&pool->waiting, 1);
      while (atomic_load(&pool->pending) > 0) pthread_cond_wait(&pool->done, &pool->lock);
      atomic_store(&pool->waiting, 0);
      pthread_mutex_unlock(&pool->lock);
      break;
    }
  }
  for (int32_t t = 1; t < (int32_t)chunks && st == OQ_OK; t++) st = pool->status[t];
  atomic_store_explicit(&pool->busy, 0, memory_order_release);
  return st;
}

oq_status oq_parallel_for_max(oq_threadpool *pool, int64_t n, int32_t max_chunks, oq_parallel_fn fn, void *ctx) {
  if (n <= 0) return OQ_OK;
  int64_t chunks = oq_threadpool_size(pool);
  if (max_chunks < chunks) chunks = max_chunks;
  if (n < chunks) chunks = n;
  return run_job(pool, n, chunks, 0, fn, ctx);
}

oq_status oq_parallel_for_dyn(oq_threadpool *pool, int64_t n, int32_t max_threads, int64_t grain, oq_parallel_fn fn,
                              void *ctx) {
  if (n <= 0) return OQ_OK;
  if (n >= ((int64_t)1 << 31)) return oq_parallel_for_max(pool, n, max_threads, fn, ctx); /* ranges hold 31 bits */
  if (grain < 1) grain = 1;
  int64_t threads = oq_threadpool_size(pool), claims = (n + grain - 1) / grain;
  if (max_threads < threads) threads = max_threads;
  if (claims < threads) threads = claims;
  return run_job(pool, n, threads, grain, fn, ctx);
}

oq_status oq_parallel_for(oq_threadpool *pool, int64_t n, oq_parallel_fn fn, void *ctx) {
  return oq_parallel_for_max(pool, n, OQ_THREADPOOL_MAX, fn, ctx);
}
