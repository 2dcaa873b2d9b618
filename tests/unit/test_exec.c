/* Executor: topological run, observer coverage, freeing vs graph outputs, views, input checks, load-time errors.
 * Fixtures (models, inputs, torch-computed outputs) come from tests/fixtures/exec/make_fixtures.py. */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include "oq_test.h"

#include "exec/exec.h"
#include "ops/op.h"

#define FIX ONNXQ_SOURCE_DIR "/tests/fixtures/exec/"

static int near_all(const oq_tensor *got, const oq_tensor *want, double tol) {
  if (got->dtype != want->dtype || got->ndim != want->ndim) return 0;
  for (int32_t i = 0; i < got->ndim; i++)
    if (got->dims[i] != want->dims[i]) return 0;
  const float *g = got->data, *w = want->data;
  for (int64_t i = 0; i < oq_tensor_numel(want); i++)
    if (!(fabs((double)g[i] - (double)w[i]) <= tol + tol * fabs((double)w[i]))) {
      fprintf(stderr, "element %lld: got %g, want %g\n", (long long)i, g[i], w[i]);
      return 0;
    }
  return 1;
}

static int load_npy(const char *name, oq_tensor *t) {
  oq_error err = {0};
  char path[1024];
  snprintf(path, sizeof path, FIX "%s.npy", name);
  if (oq_npy_load(path, t, &err) != OQ_OK) {
    fprintf(stderr, "%s\n", err.msg);
    return 0;
  }
  return 1;
}

/* Runs chain.onnx twice on the same plan; outputs c (also consumed by two nodes), y, g match torch. */
OQ_TEST(chain_matches_reference) {
  oq_error err = {0};
  oq_model *model = NULL;
  oq_plan *plan = NULL;
  oq_tensor x = {0}, want[3] = {{0}}, out[3] = {{0}};
  REQUIRE_OK(oq_model_load(FIX "chain.onnx", &model, &err));
  REQUIRE_OK(oq_plan_build(model, &plan, &err));
  REQUIRE(load_npy("chain_X", &x) && load_npy("chain_c", &want[0]) && load_npy("chain_y", &want[1]) &&
          load_npy("chain_g", &want[2]));
  for (int run = 0; run < 2; run++) {
    REQUIRE_OK(oq_plan_run(plan, &x, out, NULL, NULL, &err));
    for (int j = 0; j < 3; j++) {
      CHECK(out[j].owns_data);
      CHECK(near_all(&out[j], &want[j], 1e-4));
      oq_tensor_release(&out[j]);
    }
  }
  for (int j = 0; j < 3; j++) oq_tensor_release(&want[j]);
  oq_tensor_release(&x);
  oq_plan_free(plan);
  oq_model_free(model);
}

typedef struct seen {
  int count[64]; /* calls per value id */
  int order[64]; /* call sequence */
  int n;
  int fail_on; /* value id whose observation fails, -1 none */
  const oq_graph *g;
  int bad_tensor; /* an observed tensor was inconsistent */
} seen;

static oq_status observe(void *user, const oq_graph *scope, int32_t value_id, const oq_tensor *t, oq_error *err) {
  seen *s = user;
  if (s->g && scope != s->g) return oq_error_set(err, OQ_ERR_INTERNAL, __FILE__, __LINE__, "wrong scope");
  if (value_id < 0 || value_id >= 64) return oq_error_set(err, OQ_ERR_INTERNAL, __FILE__, __LINE__, "bad id");
  s->count[value_id]++;
  if (s->n < 64) s->order[s->n++] = value_id;
  if (t->dtype != OQ_DTYPE_FLOAT || (t->nbytes && !t->data)) s->bad_tensor = 1;
  if (value_id == s->fail_on) return oq_error_set(err, OQ_ERR_INVALID_ARG, __FILE__, __LINE__, "observer says no");
  return OQ_OK;
}

OQ_TEST(observer_sees_every_value_once) {
  oq_error err = {0};
  oq_model *model = NULL;
  oq_plan *plan = NULL;
  oq_tensor x = {0}, out[3] = {{0}};
  REQUIRE_OK(oq_model_load(FIX "chain.onnx", &model, &err));
  REQUIRE_OK(oq_plan_build(model, &plan, &err));
  REQUIRE(load_npy("chain_X", &x));
  const oq_graph *g = &model->graph;
  REQUIRE(g->n_values <= 64);
  seen s;
  memset(&s, 0, sizeof s);
  s.fail_on = -1;
  s.g = g; /* every value is seen in the main graph's scope */
  REQUIRE_OK(oq_plan_run(plan, &x, out, observe, &s, &err));
  CHECK(!s.bad_tensor);
  for (int32_t v = 0; v < g->n_values; v++) {
    int expect = g->values[v].kind == OQ_VALUE_INITIALIZER ? 0 : 1;
    if (s.count[v] != expect) fprintf(stderr, "value %s observed %d times\n", g->values[v].name, s.count[v]);
    CHECK(s.count[v] == expect);
  }
  /* The graph input comes first, and every value is observed after the values its producer reads. */
  CHECK(s.n > 0 && s.order[0] == oq_graph_find(g, "X"));
  for (int i = 0; i < s.n; i++) {
    int32_t p = g->values[s.order[i]].producer;
    if (p < 0) continue;
    for (int32_t k = 0; k < g->nodes[p].n_inputs; k++) {
      int32_t in = g->nodes[p].inputs[k];
      if (in < 0 || g->values[in].kind == OQ_VALUE_INITIALIZER) continue;
      int before = 0;
      for (int j = 0; j < i; j++) before |= s.order[j] == in;
      CHECK(before);
    }
  }
  for (int j = 0; j < 3; j++) oq_tensor_release(&out[j]);
  oq_tensor_release(&x);
  oq_plan_free(plan);
  oq_model_free(model);
}

/* Without an outputs array (calibration) the run still observes every value and delivers nothing: a model listing
 * one big output thousands of times used to make that many copies per sample. */
OQ_TEST(observer_only_run_without_outputs) {
  oq_error err = {0};
  oq_model *model = NULL;
  oq_plan *plan = NULL;
  oq_tensor x = {0};
  REQUIRE_OK(oq_model_load(FIX "chain.onnx", &model, &err));
  REQUIRE_OK(oq_plan_build(model, &plan, &err));
  REQUIRE(load_npy("chain_X", &x));
  const oq_graph *g = &model->graph;
  REQUIRE(g->n_values <= 64);
  for (int round = 0; round < 2; round++) {
    seen s;
    memset(&s, 0, sizeof s);
    s.fail_on = -1;
    REQUIRE_OK(oq_plan_run(plan, &x, NULL, observe, &s, &err));
    for (int32_t v = 0; v < g->n_values; v++) CHECK(s.count[v] == (g->values[v].kind == OQ_VALUE_INITIALIZER ? 0 : 1));
  }
  /* the public session API still insists on an outputs array */
  oq_session *sess = NULL;
  REQUIRE_OK(oq_session_create(model, NULL, &sess, &err));
  CHECK(oq_session_run(sess, 1, &x, oq_model_output_count(model), NULL, &err) == OQ_ERR_INVALID_ARG);
  oq_session_free(sess);
  oq_tensor_release(&x);
  oq_plan_free(plan);
  oq_model_free(model);
}

/* Fed tensors: empty ones whose extents multiply past int64 are refused before any kernel multiplies them. */
OQ_TEST(fed_empty_tensor_with_huge_extents) {
  oq_error err = {0};
  oq_model *model = NULL;
  oq_plan *plan = NULL;
  oq_tensor out[8] = {{0}}; /* chain has 3 outputs, views 5 */
  REQUIRE_OK(oq_model_load(FIX "chain.onnx", &model, &err));
  REQUIRE_OK(oq_plan_build(model, &plan, &err));
  oq_tensor x = {0};
  x.dtype = OQ_DTYPE_FLOAT;
  x.ndim = 4;
  x.dims[0] = 0; /* the declared shape is [N, 3, 8, 8]: N is free */
  x.dims[1] = 3;
  x.dims[2] = 8;
  x.dims[3] = 8;
  REQUIRE_OK(oq_plan_run(plan, &x, out, NULL, NULL, &err)); /* an empty batch is fine */
  for (int j = 0; j < 3; j++) oq_tensor_release(&out[j]);
  oq_plan_free(plan);
  oq_model_free(model);
  /* [0, 2^40, 2^40]: refused for its extents before the declared shape is even compared */
  REQUIRE_OK(oq_model_load(FIX "views.onnx", &model, &err));
  REQUIRE_OK(oq_plan_build(model, &plan, &err));
  x.ndim = 3;
  x.dims[1] = x.dims[2] = (int64_t)1 << 40;
  CHECK(oq_plan_run(plan, &x, out, NULL, NULL, &err) == OQ_ERR_SHAPE);
  CHECK(strstr(err.msg, "2^63") != NULL);
  oq_plan_free(plan);
  oq_model_free(model);
}

OQ_TEST(observer_error_stops_run) {
  oq_error err = {0};
  oq_model *model = NULL;
  oq_plan *plan = NULL;
  oq_tensor x = {0}, out[3] = {{0}};
  REQUIRE_OK(oq_model_load(FIX "chain.onnx", &model, &err));
  REQUIRE_OK(oq_plan_build(model, &plan, &err));
  REQUIRE(load_npy("chain_X", &x));
  seen s;
  memset(&s, 0, sizeof s);
  s.fail_on = oq_graph_find(&model->graph, "m");
  CHECK(oq_plan_run(plan, &x, out, observe, &s, &err) == OQ_ERR_INVALID_ARG);
  CHECK(strstr(err.msg, "observer says no") != NULL);
  for (int j = 0; j < 3; j++) CHECK(out[j].data == NULL);
  /* the plan is still usable */
  REQUIRE_OK(oq_plan_run(plan, &x, out, NULL, NULL, &err));
  for (int j = 0; j < 3; j++) oq_tensor_release(&out[j]);
  oq_tensor_release(&x);
  oq_plan_free(plan);
  oq_model_free(model);
}

OQ_TEST(input_mismatch_is_an_error) {
  oq_error err = {0};
  oq_model *model = NULL;
  oq_plan *plan = NULL;
  oq_tensor x = {0}, out[3] = {{0}};
  REQUIRE_OK(oq_model_load(FIX "chain.onnx", &model, &err));
  REQUIRE_OK(oq_plan_build(model, &plan, &err));
  int64_t bad[4] = {2, 3, 8, 9};
  REQUIRE_OK(oq_tensor_alloc(&x, OQ_DTYPE_FLOAT, 4, bad, &err));
  CHECK(oq_plan_run(plan, &x, out, NULL, NULL, &err) == OQ_ERR_SHAPE);
  CHECK(strstr(err.msg, "'X'") && strstr(err.msg, "[N, 3, 8, 8]") && strstr(err.msg, "[2, 3, 8, 9]"));
  oq_tensor_release(&x);
  int64_t ok_dims[4] = {1, 3, 8, 8};
  REQUIRE_OK(oq_tensor_alloc(&x, OQ_DTYPE_INT64, 4, ok_dims, &err));
  CHECK(oq_plan_run(plan, &x, out, NULL, NULL, &err) == OQ_ERR_SHAPE);
  CHECK(strstr(err.msg, "int64") && strstr(err.msg, "float32"));
  oq_tensor_release(&x);
  REQUIRE_OK(oq_tensor_alloc(&x, OQ_DTYPE_FLOAT, 3, ok_dims + 1, &err));
  CHECK(oq_plan_run(plan, &x, out, NULL, NULL, &err) == OQ_ERR_SHAPE);
  /* a tensor whose byte count disagrees with its shape is refused, not read */
  x.nbytes -= 4;
  CHECK(oq_plan_run(plan, &x, out, NULL, NULL, &err) != OQ_OK);
  x.nbytes += 4;
  oq_tensor_release(&x);
  for (int j = 0; j < 3; j++) CHECK(out[j].data == NULL);
  oq_plan_free(plan);
  oq_model_free(model);
}

OQ_TEST(unsupported_op_fails_at_build) {
  oq_error err = {0};
  oq_model *model = NULL;
  oq_plan *plan = NULL;
  REQUIRE_OK(oq_model_load(FIX "unsupported.onnx", &model, &err));
  CHECK(oq_plan_build(model, &plan, &err) == OQ_ERR_UNSUPPORTED);
  CHECK(plan == NULL);
  CHECK(strstr(err.msg, "node 'weird' (NoSuchOp, domain '', opset 13): operator not supported") != NULL);
  oq_session *s = NULL;
  CHECK(oq_session_create(model, NULL, &s, &err) == OQ_ERR_UNSUPPORTED);
  CHECK(s == NULL);
  oq_model_free(model);
}

/* views.onnx through a session: Identity must be registered (as a view op); aliasing is checked in
 * test_exec_views.c. */
OQ_TEST(identity_chains_run) {
  REQUIRE(oq_op_find("Identity", "", 13) != NULL);
  oq_error err = {0};
  oq_model *model = NULL;
  oq_session *sess = NULL;
  static const char *const names[5] = {"views_i", "views_m", "views_xi", "views_c", "views_m2"};
  oq_tensor x = {0}, want[5] = {{0}}, out[5] = {{0}};
  REQUIRE_OK(oq_model_load(FIX "views.onnx", &model, &err));
  REQUIRE_OK(oq_session_create(model, NULL, &sess, &err));
  REQUIRE(load_npy("views_X", &x));
  for (int j = 0; j < 5; j++) REQUIRE(load_npy(names[j], &want[j]));
  REQUIRE_OK(oq_session_run(sess, 1, &x, 5, out, &err));
  for (int j = 0; j < 5; j++) {
    CHECK(out[j].owns_data);
    CHECK(near_all(&out[j], &want[j], 1e-5));
    oq_tensor_release(&out[j]);
    oq_tensor_release(&want[j]);
  }
  oq_tensor_release(&x);
  oq_session_free(sess);
  oq_model_free(model);
}

OQ_TEST(session_runs_model) {
  oq_error err = {0};
  oq_model *model = NULL;
  oq_session *sess = NULL;
  oq_tensor x = {0}, want = {0}, out[3] = {{0}};
  REQUIRE_OK(oq_model_load(FIX "chain.onnx", &model, &err));
  REQUIRE_OK(oq_session_create(model, NULL, &sess, &err));
  REQUIRE(load_npy("chain_X", &x) && load_npy("chain_y", &want));
  REQUIRE_OK(oq_session_run(sess, 1, &x, 3, out, &err));
  CHECK(near_all(&out[1], &want, 1e-4));
  for (int j = 0; j < 3; j++) oq_tensor_release(&out[j]);
  CHECK(oq_session_run(NULL, 1, &x, 3, out, &err) == OQ_ERR_INVALID_ARG);
  oq_tensor_release(&want);
  oq_tensor_release(&x);
  oq_session_free(sess);
  oq_model_free(model);
}

/* ---- static facts (infer) ---------------------------------------------------------------------------------- */

typedef struct infer_check {
  const oq_plan *plan;
  const oq_graph *g;
  int mismatches; /* observed tensors that contradict the plan's inferred facts */
  int seen;       /* observed values */
  int ranked;     /* observed values whose dtype and rank were known before the run */
  int known;      /* observed values whose shape was fully known before the run */
} infer_check;

static oq_status check_against_info(void *user, const oq_graph *scope, int32_t value_id, const oq_tensor *t,
                                    oq_error *err) {
  (void)scope; /* the main graph only */
  (void)err;
  infer_check *c = user;
  const oq_shape_info *info = oq_plan_value_info(c->plan, value_id);
  int ok = info && (info->dtype == 0 || info->dtype == t->dtype) && (info->ndim < 0 || info->ndim == t->ndim);
  int full = ok && info->dtype != 0 && info->ndim >= 0;
  for (int32_t i = 0; ok && info->ndim >= 0 && i < info->ndim; i++) {
    ok = info->dims[i] < 0 || info->dims[i] == t->dims[i];
    full = full && info->dims[i] >= 0;
  }
  if (!ok) fprintf(stderr, "value %d: inferred facts disagree with the run\n", (int)value_id);
  c->mismatches += !ok;
  c->seen++;
  if (!(info && info->dtype != 0 && info->ndim >= 0))
    fprintf(stderr, "value '%s' unknown before the run\n",
            c->g->values[value_id].name ? c->g->values[value_id].name : "");
  c->ranked += ok && info->dtype != 0 && info->ndim >= 0;
  c->known += ok && full;
  return OQ_OK;
}

/* Every value the executor inferred before the run matches what the kernels produced (fixtures and the sample,
 * whose batch dimension is symbolic: facts stay partial there). ONNXQ_CHECK_INFER=1 makes the executor check it
 * on every output too. */
OQ_TEST(inferred_facts_match_runs) {
  static const char *const models[4] = {FIX "chain.onnx", FIX "views.onnx", FIX "views_reshape.onnx",
                                        ONNXQ_SOURCE_DIR "/samples/digits/model.onnx"};
  REQUIRE(setenv("ONNXQ_CHECK_INFER", "1", 1) == 0);
  for (int m = 0; m < 4; m++) {
    oq_error err = {0};
    oq_model *model = NULL;
    oq_plan *plan = NULL;
    REQUIRE_OK(oq_model_load(models[m], &model, &err));
    REQUIRE_OK(oq_plan_build(model, &plan, &err));
    const oq_graph *g = &model->graph;
    oq_tensor in[4];
    REQUIRE(g->n_inputs <= 4);
    for (int32_t j = 0; j < g->n_inputs; j++) { /* zeros of the declared shape, batch 1 where symbolic */
      const oq_value *v = &g->values[g->inputs[j]];
      int64_t dims[OQ_MAX_DIMS];
      for (int32_t i = 0; i < v->ndim; i++) dims[i] = v->dims[i].value >= 0 ? v->dims[i].value : 1;
      REQUIRE_OK(oq_tensor_alloc(&in[j], v->dtype, v->ndim, dims, &err));
    }
    infer_check c = {plan, g, 0, 0, 0, 0};
    oq_tensor *out = calloc((size_t)g->n_outputs, sizeof *out);
    REQUIRE(out);
    REQUIRE_OK(oq_plan_run(plan, in, out, check_against_info, &c, &err));
    CHECK(c.mismatches == 0);
    /* a symbolic batch (chain, digits) leaves extents unknown but every dtype and rank known */
    CHECK(c.ranked == c.seen);
    if (m == 1 || m == 2) CHECK(c.known == c.ranked); /* fixed shapes: everything known */
    for (int32_t j = 0; j < g->n_outputs; j++) oq_tensor_release(&out[j]);
    for (int32_t j = 0; j < g->n_inputs; j++) oq_tensor_release(&in[j]);
    free(out);
    oq_plan_free(plan);
    oq_model_free(model);
  }
  unsetenv("ONNXQ_CHECK_INFER");
}

/* A node whose opset is above its row's upper bound is refused at load time, naming node, op and opset. */
OQ_TEST(opset_above_bound_refused) {
  oq_error err = {0};
  oq_model *model = NULL;
  oq_plan *plan = NULL;
  REQUIRE_OK(oq_model_load(FIX "too_new.onnx", &model, &err));
  CHECK(oq_plan_build(model, &plan, &err) == OQ_ERR_UNSUPPORTED);
  CHECK(plan == NULL);
  CHECK(strstr(err.msg, "node 'r23' (Reshape, domain '', opset 23)") != NULL);
  CHECK(strstr(err.msg, "checked only up to opset 21") != NULL);
  /* the executor names the node as the error's subject, so callers need not parse the message */
  CHECK(err.subject_kind == OQ_SUBJECT_NODE && strcmp(err.subject, "r23") == 0);
  oq_model_free(model);
}

OQ_TEST_MAIN()
