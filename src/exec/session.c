/* Public execution API: a session is a plan over a model, run without an observer, optionally with a thread pool
 * that the kernels split their work over. */
#include "core/pool.h"
#include "exec/exec.h"

#include <stddef.h>

struct oq_session {
  const oq_model *model; /* borrowed; outlives the session */
  oq_plan *plan;         /* owned */
  oq_threadpool *pool;   /* owned; NULL for one thread */
};

/* The first layout with a size field; fields added later go after it. */
#define SESSION_OPTIONS_SIZE_V1 (offsetof(oq_session_options, threads) + sizeof(int32_t))

void oq_session_options_init(oq_session_options *opts) {
  if (!opts) return;
  opts->size = sizeof *opts;
  opts->threads = 1;
  opts->no_reuse = 0;
}

void oq_session_memory(const oq_session *session, size_t *peak_activations, size_t *scratch) {
  oq_plan_memory(session ? session->plan : NULL, peak_activations, scratch);
}

oq_status oq_session_create(const oq_model *model, const oq_session_options *opts, oq_session **out, oq_error *err) {
  oq_status st = OQ_OK;
  oq_session *s = NULL;
  oq_session_options o;
  oq_session_options_init(&o);
  if (!model || !out) OQ_FAIL(err, OQ_ERR_INVALID_ARG, "oq_session_create: model and out are required");
  *out = NULL;
  if (opts) OQ_CHECK(oq_options_take(&o, sizeof o, SESSION_OPTIONS_SIZE_V1, opts, "oq_session_create", err));
  if (o.threads < 0) {
    oq_error_set(err, OQ_ERR_INVALID_ARG, __FILE__, __LINE__, "oq_session_create: thread count %d is negative",
                 (int)o.threads);
    oq_error_subject(err, OQ_SUBJECT_OPTION, "threads");
    return OQ_ERR_INVALID_ARG;
  }
  s = oq_calloc(1, sizeof *s, err);
  if (!s) return OQ_ERR_NOMEM;
  s->model = model;
  OQ_CHECK(oq_plan_build(model, &s->plan, err));
  if (o.no_reuse) oq_plan_set_reuse(s->plan, 0);
  if (o.threads > 1) {
    OQ_CHECK(oq_threadpool_create(o.threads, &s->pool, err));
    oq_plan_set_pool(s->plan, s->pool);
  }
  *out = s;
  return OQ_OK;
fail:
  oq_session_free(s);
  return st;
}

void oq_session_free(oq_session *session) {
  if (!session) return;
  oq_plan_free(session->plan);
  oq_threadpool_free(session->pool);
  oq_free(session);
}

oq_status oq_session_run(oq_session *session, int32_t n_inputs, const oq_tensor *inputs, int32_t n_outputs,
                         oq_tensor *outputs, oq_error *err) {
  if (!session || !outputs) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_session_run: session and outputs are required");
  int32_t want_in = oq_model_input_count(session->model), want_out = oq_model_output_count(session->model);
  if (n_inputs != want_in || (want_in > 0 && !inputs)) {
    oq_error_set(err, OQ_ERR_INVALID_ARG, __FILE__, __LINE__, "oq_session_run: %d inputs given, the model has %d",
                 (int)n_inputs, (int)want_in);
    oq_error_subject(err, OQ_SUBJECT_OPTION, "n_inputs");
    return OQ_ERR_INVALID_ARG;
  }
  if (n_outputs != want_out) {
    oq_error_set(err, OQ_ERR_INVALID_ARG, __FILE__, __LINE__, "oq_session_run: room for %d outputs, the model has %d",
                 (int)n_outputs, (int)want_out);
    oq_error_subject(err, OQ_SUBJECT_OPTION, "n_outputs");
    return OQ_ERR_INVALID_ARG;
  }
  return oq_plan_run(session->plan, inputs, outputs, NULL, NULL, err);
}
