/* Views and in-place outputs through the real executor and real ops. Rows flagged OQ_OP_FLAG_VIEW (Identity,
 * Reshape, Flatten, ...) get input 0's bytes as output 0; rows flagged OQ_OP_FLAG_INPLACE (Relu, ...) get input 0's
 * buffer when input 0 dies at that node. Checked under ASan: outputs are right, no copy is made where flagged
 * (the observer sees the same buffer), a view's source stays alive as long as the view, and graph outputs that
 * are views of graph inputs or of each other are handed out as owned copies. */
#include "oq_test.h"

#include "exec/exec.h"
#include "model/graph.h"

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
  for (int32_t i = 0; i < a->ndim; i++)
    if (a->dims[i] != b->dims[i]) return 0;
  const float *x = a->data, *y = b->data;
  for (int64_t i = 0; i < oq_tensor_numel(b); i++)
    if (fabs((double)x[i] - (double)y[i]) > 1e-6 * (1 + fabs((double)y[i]))) return 0;
  return 1;
}

/* Records the data pointer every value had when the observer saw it. */
static oq_status observe_alias(void *user, const oq_graph *scope, int32_t value_id, const oq_tensor *t, oq_error *err) {
  (void)scope; /* no subgraphs here */
  (void)err;
  const void **data = user;
  if (value_id < 64) data[value_id] = t->data;
  return OQ_OK;
}

/* Identity chains over Conv outputs and a graph input (views.onnx, see make_fixtures.py). */
OQ_TEST(identity_views_stay_valid) {
  oq_error err = {0};
  oq_model *model = NULL;
  oq_plan *plan = NULL;
  static const char *const names[5] = {"views_i", "views_m", "views_xi", "views_c", "views_m2"};
  oq_tensor x = {0}, want[5] = {{0}}, out[5] = {{0}};
  const void *data[64] = {0};
  REQUIRE_OK(oq_model_load(FIX "views.onnx", &model, &err));
  REQUIRE(model->graph.n_values <= 64);
  REQUIRE(oq_op_find("Identity", "", 13) && (oq_op_find("Identity", "", 13)->flags & OQ_OP_FLAG_VIEW));
  REQUIRE_OK(oq_plan_build(model, &plan, &err));
  REQUIRE(load_npy("views_X", &x));
  for (int j = 0; j < 5; j++) REQUIRE(load_npy(names[j], &want[j]));
  const oq_graph *g = &model->graph;
  for (int run = 0; run < 3; run++) {
    REQUIRE_OK(oq_plan_run(plan, &x, out, observe_alias, data, &err));
    for (int j = 0; j < 5; j++) {
      CHECK(out[j].owns_data);
      CHECK(same(&out[j], &want[j]));
    }
    CHECK(out[2].data != x.data);      /* the graph input's view is a copy */
    CHECK(out[0].data != out[3].data); /* 'i' views 'c': both outputs, two buffers */
    /* no copy where flagged: the views share their source's buffer while it is alive */
    CHECK(data[oq_graph_find(g, "k2")] == data[oq_graph_find(g, "d")]);
    CHECK(data[oq_graph_find(g, "k")] == data[oq_graph_find(g, "d")]);
    CHECK(data[oq_graph_find(g, "j")] == data[oq_graph_find(g, "c")]);
    CHECK(data[oq_graph_find(g, "xi")] == x.data);
    for (int j = 0; j < 5; j++) oq_tensor_release(&out[j]);
  }
  for (int j = 0; j < 5; j++) oq_tensor_release(&want[j]);
  oq_tensor_release(&x);
  oq_plan_free(plan);
  oq_model_free(model);
}

/* Reshape/Flatten views of a dead intermediate, an in-place Relu, an Identity of a graph output, a Reshape of the
 * graph input (views_reshape.onnx). */
OQ_TEST(reshape_flatten_views_and_inplace) {
  oq_error err = {0};
  oq_model *model = NULL;
  oq_plan *plan = NULL;
  static const char *const names[4] = {"views_reshape_r", "views_reshape_t", "views_reshape_u", "views_reshape_xv"};
  oq_tensor x = {0}, want[4] = {{0}}, out[4] = {{0}};
  const void *data[64] = {0};
  REQUIRE_OK(oq_model_load(FIX "views_reshape.onnx", &model, &err));
  REQUIRE(model->graph.n_values <= 64);
  REQUIRE_OK(oq_plan_build(model, &plan, &err));
  REQUIRE(load_npy("views_reshape_X", &x));
  for (int j = 0; j < 4; j++) REQUIRE(load_npy(names[j], &want[j]));
  const oq_graph *g = &model->graph;
  int32_t a = oq_graph_find(g, "a"), r = oq_graph_find(g, "r"), f = oq_graph_find(g, "f");
  int32_t s = oq_graph_find(g, "s"), t = oq_graph_find(g, "t"), u = oq_graph_find(g, "u");
  for (int run = 0; run < 3; run++) {
    memset(data, 0, sizeof data);
    REQUIRE_OK(oq_plan_run(plan, &x, out, observe_alias, data, &err));
    for (int j = 0; j < 4; j++) {
      CHECK(out[j].owns_data);
      CHECK(same(&out[j], &want[j]));
    }
    CHECK(data[r] == data[a] && data[f] == data[a]); /* views: no copy */
    CHECK(data[t] == data[s]);                       /* in place: s died at Relu */
    CHECK(data[u] == data[t]);                       /* view of a graph output */
    CHECK(data[a] != x.data && data[s] != data[a]);  /* Relu(X) does not write the caller's input */
    CHECK(out[1].data != out[2].data && out[3].data != x.data);
    for (int j = 0; j < 4; j++) oq_tensor_release(&out[j]);
  }
  /* the static facts agree with the run */
  const oq_shape_info *fi = oq_plan_value_info(plan, f);
  REQUIRE(fi);
  CHECK(fi->dtype == OQ_DTYPE_FLOAT && fi->ndim == 2 && fi->dims[0] == 1 && fi->dims[1] == 48);
  const oq_shape_info *ri = oq_plan_value_info(plan, r);
  CHECK(ri->ndim == 2 && ri->dims[0] == 3 && ri->dims[1] == 16);
  for (int j = 0; j < 4; j++) oq_tensor_release(&want[j]);
  oq_tensor_release(&x);
  oq_plan_free(plan);
  oq_model_free(model);
}

OQ_TEST_MAIN()
