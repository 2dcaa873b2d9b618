/* Public execution API: a session is a plan over a model, run without an observer, optionally with a thread pool
 * that the kernels split their work over. */
#include "exec/exec.h"
#include "core/pool.h"

#include <stdlib.h>

struct oq_session {
  oq_plan *plan;       /* owned */
  oq_threadpool *pool; /* owned; NULL for one thread */
};

oq_status oq_session_create_threads(const oq_model *model, int32_t threads, oq_session **out, oq_error *err) {
  oq_status st = OQ_OK;
  oq_session *s = NULL;
  if (!model || !out) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "oq_session_create: model and out are required");
  *out = NULL;
  if (threads < 0) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "oq_session_create: thread count %d is negative", (int)threads);
  s = oq_calloc(1, sizeof *s, err);
  if (!s) return OQ_ERR_NOMEM;
  OQ_CHECK(oq_plan_build(model, &s->plan, err));
  if (threads > 1) {
    OQ_CHECK(oq_threadpool_create(threads, &s->pool, err));
    oq_plan_set_pool(s->plan, s->pool);
  }
  *out = s;
  return OQ_OK;
fail:
  oq_session_free(s);
  return st;
}

oq_status oq_session_create(const oq_model *model, oq_session **out, oq_error *err) {
  return oq_session_create_threads(model, 1, out, err);
}

void oq_session_free(oq_session *session) {
  if (!session) return;
  oq_plan_free(session->plan);
  oq_threadpool_free(session->pool);
  free(session);
}

oq_status oq_session_run(oq_session *session, const oq_tensor *inputs, oq_tensor *outputs, oq_error *err) {
  if (!session || !outputs) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_session_run: session and outputs are required");
  return oq_plan_run(session->plan, inputs, outputs, NULL, NULL, err);
}
