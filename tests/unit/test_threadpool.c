/* Thread pool: static chunking covers [0, n) exactly once in contiguous pieces for many (n, threads, max_chunks),
 * inline fallbacks (NULL pool, one thread, n == 1, nested and concurrent calls), status of failing chunks, many
 * short calls, bad arguments. */
#include "oq_test.h"

#include "core/pool.h"

#include <pthread.h>
#include <stdatomic.h>

#define MAX_RANGES 2048

/* Records every chunk a oq_parallel_for ran and counts visits per index. */
typedef struct recorder {
  pthread_mutex_t lock;
  int64_t begin[MAX_RANGES], end[MAX_RANGES]; /* chunks in completion order */
  int n_ranges;
  int overflow; /* more chunks than MAX_RANGES */
  int *visits;  /* per index; each chunk writes only its own indices */
} recorder;

static oq_status record(void *ctx, int64_t begin, int64_t end) {
  recorder *r = ctx;
  for (int64_t i = begin; i < end; i++) r->visits[i]++;
  pthread_mutex_lock(&r->lock);
  if (r->n_ranges < MAX_RANGES) {
    r->begin[r->n_ranges] = begin;
    r->end[r->n_ranges] = end;
    r->n_ranges++;
  } else {
    r->overflow = 1;
  }
  pthread_mutex_unlock(&r->lock);
  return OQ_OK;
}

/* Runs one oq_parallel_for_max and checks: every index once, non-empty contiguous chunks that tile [0, n), and no
 * more chunks than threads, max_chunks or n allow. Returns 1 when all holds. */
static int check_split(oq_threadpool *pool, int64_t n, int32_t max_chunks) {
  recorder r;
  memset(&r, 0, sizeof r);
  pthread_mutex_init(&r.lock, NULL);
  r.visits = calloc((size_t)(n > 0 ? n : 1), sizeof *r.visits);
  if (!r.visits) abort();
  int ok = oq_parallel_for_max(pool, n, max_chunks, record, &r) == OQ_OK && !r.overflow;
  for (int64_t i = 0; ok && i < n; i++) ok = r.visits[i] == 1;
  if (n <= 0) ok = ok && r.n_ranges == 0;
  int64_t limit = oq_threadpool_size(pool);
  if (max_chunks < limit) limit = max_chunks < 1 ? 1 : max_chunks;
  if (n < limit) limit = n;
  ok = ok && r.n_ranges <= limit;
  /* sort the chunks by begin (few of them) and check they tile [0, n) */
  for (int a = 1; a < r.n_ranges; a++)
    for (int b = a; b > 0 && r.begin[b - 1] > r.begin[b]; b--) {
      int64_t tb = r.begin[b], te = r.end[b];
      r.begin[b] = r.begin[b - 1];
      r.end[b] = r.end[b - 1];
      r.begin[b - 1] = tb;
      r.end[b - 1] = te;
    }
  int64_t at = 0;
  for (int k = 0; ok && k < r.n_ranges; k++) {
    ok = r.begin[k] == at && r.end[k] > r.begin[k];
    at = r.end[k];
  }
  ok = ok && (n <= 0 || at == n);
  if (!ok)
    fprintf(stderr, "split of n=%lld over %d threads, max_chunks %d is wrong (%d chunks)\n", (long long)n,
            (int)oq_threadpool_size(pool), (int)max_chunks, r.n_ranges);
  free(r.visits);
  pthread_mutex_destroy(&r.lock);
  return ok;
}

OQ_TEST(chunks_cover_every_index_once) {
  oq_error err = {0};
  static const int32_t threads[] = {0, 1, 2, 3, 4, 5, 8, 16};
  static const int64_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 8, 15, 16, 17, 31, 100, 1000, 1023, 4097};
  static const int32_t maxes[] = {1, 2, 3, 7, OQ_THREADPOOL_MAX};
  for (size_t t = 0; t < sizeof threads / sizeof *threads; t++) {
    oq_threadpool *pool = NULL;
    REQUIRE_OK(oq_threadpool_create(threads[t], &pool, &err));
    CHECK(oq_threadpool_size(pool) >= 1 && oq_threadpool_size(pool) <= (threads[t] > 1 ? threads[t] : 1));
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
      CHECK(check_split(pool, sizes[s], OQ_THREADPOOL_MAX));
      for (size_t m = 0; m < sizeof maxes / sizeof *maxes; m++) CHECK(check_split(pool, sizes[s], maxes[m]));
    }
    oq_threadpool_free(pool);
  }
  CHECK(check_split(NULL, 1000, OQ_THREADPOOL_MAX));
}

/* The chunk bounds are a pure function of (n, chunks): the same split every time. */
OQ_TEST(split_is_static) {
  oq_error err = {0};
  oq_threadpool *pool = NULL;
  REQUIRE_OK(oq_threadpool_create(3, &pool, &err));
  REQUIRE(oq_threadpool_size(pool) == 3);
  for (int rep = 0; rep < 50; rep++) {
    recorder r;
    memset(&r, 0, sizeof r);
    pthread_mutex_init(&r.lock, NULL);
    int visits[10] = {0};
    r.visits = visits;
    REQUIRE(oq_parallel_for(pool, 10, record, &r) == OQ_OK);
    REQUIRE(r.n_ranges == 3);
    int seen = 0;
    for (int k = 0; k < 3; k++) {
      /* 10 over 3 chunks: [0,3) [3,6) [6,10) */
      if (r.begin[k] == 0) seen |= (r.end[k] == 3) << 0;
      if (r.begin[k] == 3) seen |= (r.end[k] == 6) << 1;
      if (r.begin[k] == 6) seen |= (r.end[k] == 10) << 2;
    }
    CHECK(seen == 7);
    pthread_mutex_destroy(&r.lock);
  }
  oq_threadpool_free(pool);
}

typedef struct inline_probe {
  pthread_t caller;   /* thread that called oq_parallel_for */
  int calls;          /* chunks run */
  int on_caller;      /* chunks run on the caller */
  int64_t begin, end; /* last chunk */
} inline_probe;

static oq_status probe(void *ctx, int64_t begin, int64_t end) {
  inline_probe *p = ctx; /* only used where every chunk runs on the caller */
  p->calls++;
  p->on_caller += pthread_equal(pthread_self(), p->caller) != 0;
  p->begin = begin;
  p->end = end;
  return OQ_OK;
}

OQ_TEST(inline_fallbacks) {
  oq_error err = {0};
  oq_threadpool *one = NULL, *four = NULL;
  REQUIRE_OK(oq_threadpool_create(1, &one, &err));
  REQUIRE_OK(oq_threadpool_create(4, &four, &err));
  CHECK(oq_threadpool_size(NULL) == 1);
  CHECK(oq_threadpool_size(one) == 1);
  struct {
    oq_threadpool *pool;
    int64_t n;
    int32_t max;
  } cases[] = {{NULL, 100, OQ_THREADPOOL_MAX},
               {one, 100, OQ_THREADPOOL_MAX},
               {four, 1, OQ_THREADPOOL_MAX},
               {four, 100, 1},
               {four, 100, 0}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    inline_probe p = {pthread_self(), 0, 0, -1, -1};
    CHECK(oq_parallel_for_max(cases[c].pool, cases[c].n, cases[c].max, probe, &p) == OQ_OK);
    CHECK(p.calls == 1 && p.on_caller == 1 && p.begin == 0 && p.end == cases[c].n);
  }
  inline_probe p = {pthread_self(), 0, 0, -1, -1};
  CHECK(oq_parallel_for(four, 0, probe, &p) == OQ_OK && p.calls == 0);
  CHECK(oq_parallel_for(four, -5, probe, &p) == OQ_OK && p.calls == 0);
  oq_threadpool_free(one);
  oq_threadpool_free(four);
  oq_threadpool_free(NULL);
}

typedef struct sum_job {
  int64_t *out; /* per index */
} sum_job;

static oq_status square(void *ctx, int64_t begin, int64_t end) {
  sum_job *j = ctx;
  for (int64_t i = begin; i < end; i++) j->out[i] = i * i;
  return OQ_OK;
}

OQ_TEST(many_short_calls) {
  oq_error err = {0};
  oq_threadpool *pool = NULL;
  REQUIRE_OK(oq_threadpool_create(4, &pool, &err));
  int64_t out[7];
  sum_job j = {out};
  for (int rep = 0; rep < 20000; rep++) {
    int64_t n = 1 + rep % 7;
    memset(out, 0xff, sizeof out);
    REQUIRE(oq_parallel_for(pool, n, square, &j) == OQ_OK);
    for (int64_t i = 0; i < n; i++) REQUIRE(out[i] == i * i);
  }
  oq_threadpool_free(pool);
}

/* A chunk that calls oq_parallel_for on the same pool gets it inline instead of waiting on itself. */
typedef struct nest_job {
  oq_threadpool *pool;
  int64_t inner[4][50]; /* per outer index */
  oq_status inner_st[4];
} nest_job;

typedef struct inner_job {
  int64_t *row;
} inner_job;

static oq_status inner_fill(void *ctx, int64_t begin, int64_t end) {
  inner_job *j = ctx;
  for (int64_t i = begin; i < end; i++) j->row[i] += i + 1;
  return OQ_OK;
}

static oq_status outer_fill(void *ctx, int64_t begin, int64_t end) {
  nest_job *j = ctx;
  for (int64_t o = begin; o < end; o++) {
    inner_job ij = {j->inner[o]};
    j->inner_st[o] = oq_parallel_for(j->pool, 50, inner_fill, &ij);
  }
  return OQ_OK;
}

OQ_TEST(nested_calls_run_inline) {
  oq_error err = {0};
  nest_job j;
  memset(&j, 0, sizeof j);
  REQUIRE_OK(oq_threadpool_create(3, &j.pool, &err));
  REQUIRE(oq_parallel_for(j.pool, 4, outer_fill, &j) == OQ_OK);
  for (int o = 0; o < 4; o++) {
    CHECK(j.inner_st[o] == OQ_OK);
    for (int i = 0; i < 50; i++) CHECK(j.inner[o][i] == i + 1);
  }
  oq_threadpool_free(j.pool);
}

/* Two threads sharing one pool: whichever finds it busy runs inline; both get complete results. */
typedef struct shared_user {
  oq_threadpool *pool;
  int64_t out[257];
  int ok;
} shared_user;

static void *use_pool(void *arg) {
  shared_user *u = arg;
  sum_job j = {u->out};
  u->ok = 1;
  for (int rep = 0; rep < 2000 && u->ok; rep++) {
    memset(u->out, 0, sizeof u->out);
    u->ok = oq_parallel_for(u->pool, 257, square, &j) == OQ_OK;
    for (int64_t i = 0; i < 257 && u->ok; i++) u->ok = u->out[i] == i * i;
  }
  return NULL;
}

OQ_TEST(concurrent_callers) {
  oq_error err = {0};
  oq_threadpool *pool = NULL;
  REQUIRE_OK(oq_threadpool_create(3, &pool, &err));
  shared_user a, b;
  memset(&a, 0, sizeof a);
  memset(&b, 0, sizeof b);
  a.pool = b.pool = pool;
  pthread_t ta, tb;
  REQUIRE(pthread_create(&ta, NULL, use_pool, &a) == 0);
  REQUIRE(pthread_create(&tb, NULL, use_pool, &b) == 0);
  pthread_join(ta, NULL);
  pthread_join(tb, NULL);
  CHECK(a.ok && b.ok);
  oq_threadpool_free(pool);
}

/* Every chunk runs; the status is that of the lowest failing chunk. */
typedef struct fail_job {
  int64_t fail_from; /* chunks starting at or past this fail */
  int ran[64];       /* per index: visited */
} fail_job;

static oq_status fail_late(void *ctx, int64_t begin, int64_t end) {
  fail_job *j = ctx;
  for (int64_t i = begin; i < end; i++) j->ran[i] = 1;
  if (begin >= j->fail_from) return begin >= 48 ? OQ_ERR_INTERNAL : OQ_ERR_NOMEM;
  return OQ_OK;
}

OQ_TEST(failing_chunks) {
  oq_error err = {0};
  oq_threadpool *pool = NULL;
  REQUIRE_OK(oq_threadpool_create(4, &pool, &err));
  REQUIRE(oq_threadpool_size(pool) == 4);
  fail_job j;
  memset(&j, 0, sizeof j);
  j.fail_from = 16; /* chunks [16,32) NOMEM, [32,48) NOMEM, [48,64) INTERNAL */
  CHECK(oq_parallel_for(pool, 64, fail_late, &j) == OQ_ERR_NOMEM);
  for (int i = 0; i < 64; i++) CHECK(j.ran[i]);
  memset(&j, 0, sizeof j);
  j.fail_from = 48;
  CHECK(oq_parallel_for(pool, 64, fail_late, &j) == OQ_ERR_INTERNAL);
  memset(&j, 0, sizeof j);
  j.fail_from = 1000;
  CHECK(oq_parallel_for(pool, 64, fail_late, &j) == OQ_OK);
  /* the pool is still usable after failures */
  CHECK(check_split(pool, 333, OQ_THREADPOOL_MAX));
  oq_threadpool_free(pool);
}

/* oq_parallel_for_dyn: claims of at most grain items (or all at once inline) cover [0, n) once, each run
 * on a thread whose index (oq_parallel_chunk) is below min(max_threads, pool size); a failure is reported; nested calls
 * run inline. */
typedef struct dyn_rec {
  int visits[5000];
  _Atomic int bad_ranges, bad_thread;
  int64_t grain, n;
  int32_t threads;
  oq_threadpool *pool;
} dyn_rec;

static oq_status dyn_visit(void *ctx, int64_t begin, int64_t end) {
  dyn_rec *r = ctx;
  /* a claim of 1 to grain items inside [0, n), or all of [0, n) when the call runs inline */
  int claim = begin >= 0 && end <= r->n && end > begin && end - begin <= r->grain;
  if (!claim && !(begin == 0 && end == r->n)) atomic_fetch_add(&r->bad_ranges, 1);
  int32_t t = oq_parallel_chunk();
  if (t < 0 || t >= r->threads) atomic_fetch_add(&r->bad_thread, 1);
  for (int64_t i = begin; i < end; i++) r->visits[i]++;
  return OQ_OK;
}

static oq_status dyn_fail(void *ctx, int64_t begin, int64_t end) {
  (void)ctx;
  (void)begin;
  return end > 100 ? OQ_ERR_NOMEM : OQ_OK; /* fails on items from 100 on */
}

static oq_status dyn_nested(void *ctx, int64_t begin, int64_t end) {
  dyn_rec *r = ctx;
  (void)begin;
  (void)end;
  /* the pool is busy: the inner call runs inline on this thread */
  int32_t outer = oq_parallel_chunk();
  oq_status st = oq_parallel_for_dyn(r->pool, 10, 4, 3, dyn_fail, NULL);
  if (oq_parallel_chunk() != outer) atomic_fetch_add(&r->bad_thread, 1);
  return st;
}

OQ_TEST(dynamic_claims_cover_every_index_once) {
  oq_error err = {0};
  for (int32_t size = 1; size <= 4; size++) {
    oq_threadpool *pool = NULL;
    REQUIRE_OK(oq_threadpool_create(size, &pool, &err));
    static const int64_t ns[] = {0, 1, 7, 64, 999, 5000};
    static const int64_t grains[] = {1, 3, 64, 10000};
    for (size_t a = 0; a < sizeof ns / sizeof *ns; a++)
      for (size_t b = 0; b < sizeof grains / sizeof *grains; b++)
        for (int32_t maxt = 1; maxt <= 5; maxt += 2) {
          dyn_rec *r = calloc(1, sizeof *r);
          REQUIRE(r);
          r->grain = grains[b];
          r->n = ns[a];
          r->threads = maxt < size ? maxt : size;
          CHECK(oq_parallel_for_dyn(pool, ns[a], maxt, grains[b], dyn_visit, r) == OQ_OK);
          int once = 1;
          for (int64_t i = 0; i < ns[a]; i++) once = once && r->visits[i] == 1;
          CHECK(once);
          CHECK(atomic_load(&r->bad_ranges) == 0);
          CHECK(atomic_load(&r->bad_thread) == 0);
          free(r);
        }
    CHECK(oq_parallel_for_dyn(pool, 1000, 4, 7, dyn_fail, NULL) == OQ_ERR_NOMEM);
    dyn_rec *r = calloc(1, sizeof *r);
    REQUIRE(r);
    r->pool = pool;
    CHECK(oq_parallel_for_dyn(pool, 8, 4, 1, dyn_nested, r) == OQ_OK);
    CHECK(atomic_load(&r->bad_thread) == 0);
    free(r);
    CHECK(check_split(pool, 333, OQ_THREADPOOL_MAX)); /* the pool still runs static jobs */
    oq_threadpool_free(pool);
  }
  CHECK(oq_parallel_for_dyn(NULL, 10, 4, 3, dyn_fail, NULL) == OQ_OK);
}

OQ_TEST(bad_arguments) {
  oq_error err = {0};
  oq_threadpool *pool = (oq_threadpool *)&err;
  CHECK(oq_threadpool_create(-1, &pool, &err) == OQ_ERR_INVALID_ARG);
  CHECK(pool == NULL);
  CHECK(strstr(err.msg, "negative") != NULL);
  CHECK(oq_threadpool_create(2, NULL, &err) == OQ_ERR_INVALID_ARG);
  /* create and destroy without ever running a job; repeatedly, to catch shutdown races */
  for (int rep = 0; rep < 200; rep++) {
    REQUIRE_OK(oq_threadpool_create(1 + rep % 5, &pool, &err));
    oq_threadpool_free(pool);
  }
}

OQ_TEST_MAIN()
