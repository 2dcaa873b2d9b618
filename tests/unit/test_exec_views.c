/* Zero-copy views in the executor. This file compiles its own copy of src/exec/plan.c (symbols renamed) whose
 * operator lookup turns Identity into a kernel that borrows its input's buffer, as a view op may. The views.onnx
 * fixture then checks under ASan that a view's source buffer lives exactly as long as its last view, that views
 * which are graph outputs are handed out as owned copies, and that a graph input's view is copied too. */
#define oq_op_find    view_op_find
#define oq_plan_build view_plan_build
#define oq_plan_free  view_plan_free
#define oq_plan_run   view_plan_run
/* plan.c's other external symbols, so that the library's plan.c (which exec/subgraph.c pulls in) links beside */
#define oq_plan_build_scope view_plan_build_scope
#define oq_plan_run_scope   view_plan_run_scope
#define oq_plan_set_pool    view_plan_set_pool
#include "../../src/exec/plan.c"
#undef oq_op_find

#include "oq_test.h"

const oq_op_def *oq_op_find(const char *op_type, const char *domain, int64_t opset);

static int view_calls;

static oq_status borrow_exec(const oq_kernel_call *call, oq_error *err) {
  (void)err;
  call->outputs[0] = *call->inputs[0];
  call->outputs[0].owns_data = 0;
  view_calls++;
  return OQ_OK;
}

static const oq_op_def k_borrowing_identity = {
    "Identity", "", 1, 1, 1, 1, 1, oq_op_init_none, borrow_exec, oq_op_params_free, OQ_OP_FLAG_VIEW};

const oq_op_def *view_op_find(const char *op_type, const char *domain, int64_t opset) {
  if (strcmp(op_type, "Identity") == 0) return &k_borrowing_identity;
  return oq_op_find(op_type, domain, opset);
}

#define FIX ONNXQ_SOURCE_DIR "/tests/fixtures/exec/"

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

static int same(const oq_tensor *a, const oq_tensor *b) {
  if (a->ndim != b->ndim || a->nbytes != b->nbytes) return 0;
  const float *x = a->data, *y = b->data;
  for (int64_t i = 0; i < oq_tensor_numel(b); i++)
    if (fabs((double)x[i] - (double)y[i]) > 1e-5 * (1 + fabs((double)y[i]))) return 0;
  return 1;
}

OQ_TEST(borrowed_outputs_stay_valid) {
  oq_error err = {0};
  oq_model *model = NULL;
  oq_plan *plan = NULL;
  static const char *const names[5] = {"views_i", "views_m", "views_xi", "views_c", "views_m2"};
  oq_tensor x = {0}, want[5] = {{0}}, out[5] = {{0}};
  REQUIRE_OK(oq_model_load(FIX "views.onnx", &model, &err));
  REQUIRE_OK(view_plan_build(model, &plan, &err));
  REQUIRE(load_npy("views_X", &x));
  for (int j = 0; j < 5; j++) REQUIRE(load_npy(names[j], &want[j]));
  for (int run = 0; run < 3; run++) {
    view_calls = 0;
    REQUIRE_OK(view_plan_run(plan, &x, out, NULL, NULL, &err));
    CHECK(view_calls == 5);
    for (int j = 0; j < 5; j++) {
      CHECK(out[j].owns_data);
      CHECK(same(&out[j], &want[j]));
    }
    CHECK(out[2].data != x.data);      /* the graph input's view is a copy */
    CHECK(out[0].data != out[3].data); /* 'i' views 'c': both outputs, two buffers */
    for (int j = 0; j < 5; j++) oq_tensor_release(&out[j]);
  }
  for (int j = 0; j < 5; j++) oq_tensor_release(&want[j]);
  oq_tensor_release(&x);
  view_plan_free(plan);
  oq_model_free(model);
}

/* Views of intermediates seen by the observer alias the source's storage while it is alive. */
static oq_status observe_alias(void *user, const oq_graph *scope, int32_t value_id, const oq_tensor *t, oq_error *err) {
  (void)err;
  (void)scope; /* no subgraphs here */
  const void **data = user;
  data[value_id] = t->data;
  return OQ_OK;
}

OQ_TEST(observer_sees_views_of_live_buffers) {
  oq_error err = {0};
  oq_model *model = NULL;
  oq_plan *plan = NULL;
  oq_tensor x = {0}, out[5] = {{0}};
  const void *data[64] = {0};
  REQUIRE_OK(oq_model_load(FIX "views.onnx", &model, &err));
  REQUIRE(model->graph.n_values <= 64);
  REQUIRE_OK(view_plan_build(model, &plan, &err));
  REQUIRE(load_npy("views_X", &x));
  REQUIRE_OK(view_plan_run(plan, &x, out, observe_alias, data, &err));
  const oq_graph *g = &model->graph;
  CHECK(data[oq_graph_find(g, "k2")] == data[oq_graph_find(g, "d")]);
  CHECK(data[oq_graph_find(g, "j")] == data[oq_graph_find(g, "c")]);
  for (int j = 0; j < 5; j++) oq_tensor_release(&out[j]);
  oq_tensor_release(&x);
  view_plan_free(plan);
  oq_model_free(model);
}

OQ_TEST_MAIN()
