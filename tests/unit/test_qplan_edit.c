/* The plan as a file users hold: oq_qplan_describe's JSON read back (oq_qedits_parse) and applied
 * (oq_qplan_build_edited) on tests/fixtures/quant/tiny.onnx (Conv -> Relu -> MaxPool -> Flatten -> Gemm) with
 * hand-set ranges. An unedited plan gives the same plan and the same bytes; an edit changes the edited value and
 * what is computed from it (a bias from its input's scale, a value sharing the edited one's scale), nothing else. */
#include "oq_test.h"

#include "calib/calib.h"
#include "model/model.h"
#include "quant/qplan.h"

#include <stdlib.h>
#include <string.h>

#define TINY ONNXQ_SOURCE_DIR "/tests/fixtures/quant/tiny.onnx"

static void set_range(oq_calib_stats *s, const oq_model *m, const char *name, float lo, float hi) {
  int32_t v = oq_graph_find(&m->graph, name);
  if (v < 0) return;
  s->min[v] = lo;
  s->max[v] = hi;
  s->seen[v] = 1;
}

static int make_stats(const oq_model *m, oq_calib_stats *s) {
  oq_error err = {0};
  if (oq_calib_stats_init(s, m->graph.n_values, NULL, &err) != OQ_OK) return 0;
  set_range(s, m, "x", 0.0f, 1.0f);
  set_range(s, m, "conv_out", -2.0f, 3.0f);
  set_range(s, m, "relu_out", 0.0f, 3.0f);
  set_range(s, m, "pool_out", 0.0f, 3.0f);
  set_range(s, m, "flat", 0.0f, 3.0f);
  set_range(s, m, "y", -5.0f, 5.0f);
  return 1;
}

/* text with the first occurrence of `from` (which must exist) replaced by `to`; malloc'd. */
static char *replace(const char *text, const char *from, const char *to) {
  const char *at = strstr(text, from);
  if (!at) {
    fprintf(stderr, "'%s' not in the plan\n", from);
    oq_test_failed = 1;
    return NULL;
  }
  size_t n = strlen(text) - strlen(from) + strlen(to) + 1;
  char *out = malloc(n);
  if (!out) return NULL;
  size_t pre = (size_t)(at - text);
  memcpy(out, text, pre);
  strcpy(out + pre, to);
  strcat(out, at + strlen(from));
  return out;
}

/* text with `from` replaced by `to` inside the entry of value `name` (the first occurrence after its "name"). */
static char *replace_in(const char *text, const char *name, const char *from, const char *to) {
  char key[128];
  snprintf(key, sizeof key, "{\"name\":\"%s\"", name);
  const char *at = strstr(text, key);
  if (!at) {
    fprintf(stderr, "no entry for %s\n", name);
    oq_test_failed = 1;
    return NULL;
  }
  char *tail = replace(at, from, to);
  if (!tail) return NULL;
  size_t pre = (size_t)(at - text);
  char *out = malloc(pre + strlen(tail) + 1);
  if (out) {
    memcpy(out, text, pre);
    strcpy(out + pre, tail);
  }
  free(tail);
  return out;
}

/* Builds the plan of m with the edits in json (NULL: no edits). */
static oq_qplan *plan_with(const oq_model *m, const oq_calib_stats *s, const char *json, oq_error *err) {
  oq_qedits ed = {NULL, 0};
  oq_qplan *p = NULL;
  if (json && oq_qedits_parse(json, strlen(json), "plan.json", &ed, err) != OQ_OK) return NULL;
  oq_status st = oq_qplan_build_edited(m, s, NULL, json ? &ed : NULL, &p, err);
  oq_qedits_free(&ed);
  return st == OQ_OK ? p : NULL;
}

static const oq_qrec *rec(const oq_qplan *p, const oq_model *m, const char *name) {
  return oq_qplan_find(p, oq_graph_find(&m->graph, name));
}

/* Whether two records hold the same decision and numbers. */
static int same_rec(const oq_qplan *pa, const oq_qrec *a, const oq_qplan *pb, const oq_qrec *b) {
  if (!a || !b) return a == b;
  if (a->quantized != b->quantized || a->dtype != b->dtype || a->symmetric != b->symmetric || a->axis != b->axis ||
      a->block != b->block || a->params_of != b->params_of || a->nbytes != b->nbytes)
    return 0;
  if (a->nbytes && memcmp(a->data, b->data, a->nbytes) != 0) return 0;
  const oq_qrec *ap = a->quantized ? oq_qplan_find(pa, a->params_of) : NULL;
  const oq_qrec *bp = b->quantized ? oq_qplan_find(pb, b->params_of) : NULL;
  if (!ap || !bp) return ap == bp;
  if (ap->n_params != bp->n_params) return 0;
  for (int32_t c = 0; c < ap->n_params; c++)
    if (ap->params[c].scale != bp->params[c].scale || ap->params[c].zero_point != bp->params[c].zero_point) return 0;
  return 1;
}

/* Every value of the model is planned the same in a and b except those named in `changed` (NULL-terminated);
 * those must differ. */
static void check_only_changed(const oq_model *m, const oq_qplan *a, const oq_qplan *b, const char *const *changed) {
  for (int32_t v = 0; v < m->graph.n_values; v++) {
    const char *name = m->graph.values[v].name;
    int expect_change = 0;
    for (const char *const *c = changed; *c; c++) expect_change |= !strcmp(*c, name);
    int same = same_rec(a, oq_qplan_find(a, v), b, oq_qplan_find(b, v));
    if (same == expect_change) {
      fprintf(stderr, "value %s: %s\n", name, expect_change ? "unchanged but edited" : "changed but not edited");
      oq_test_failed = 1;
    }
  }
  CHECK(a->opset_to == b->opset_to);
}

typedef struct fixture {
  oq_model *m;
  oq_calib_stats s;
  oq_qplan *a;
  char *json;
} fixture;

static int setup(fixture *f) {
  oq_error err = {0};
  memset(f, 0, sizeof *f);
  if (oq_model_load(TINY, &f->m, &err) != OQ_OK || !make_stats(f->m, &f->s)) return 0;
  f->a = plan_with(f->m, &f->s, NULL, &err);
  return f->a && oq_qplan_describe(f->a, &f->json, &err) == OQ_OK;
}

static void teardown(fixture *f) {
  oq_free(f->json);
  oq_qplan_free(f->a);
  oq_calib_stats_free(&f->s);
  oq_model_free(f->m);
}

/* ---- cases ----------------------------------------------------------------------------------------------------- */

/* The plan read back unedited changes nothing: same JSON, same records, no edit counted. */
OQ_TEST(unedited_plan_is_identity) {
  fixture f;
  oq_error err = {0};
  REQUIRE(setup(&f));
  oq_qplan *b = plan_with(f.m, &f.s, f.json, &err);
  REQUIRE(b);
  char *jb = NULL;
  REQUIRE_OK(oq_qplan_describe(b, &jb, &err));
  CHECK(strcmp(f.json, jb) == 0);
  CHECK(b->n_edited == 0);
  const char *none[] = {NULL};
  check_only_changed(f.m, f.a, b, none);
  oq_free(jb);
  oq_qplan_free(b);
  teardown(&f);
}

/* A new range for x: x's scale follows it (numpy: compute_scale_zp(0, 2, 0, 255) -> 2/255), and so does the Conv
 * bias (input scale x weight scale); nothing else moves. */
OQ_TEST(edited_range) {
  fixture f;
  oq_error err = {0};
  REQUIRE(setup(&f));
  char *j = replace(f.json, "\"range\":[0,1]", "\"range\":[0,2]");
  REQUIRE(j);
  oq_qplan *b = plan_with(f.m, &f.s, j, &err);
  REQUIRE(b);
  const oq_qrec *x = rec(b, f.m, "x");
  CHECK(x->quantized && x->params[0].scale == (float)(2.0 / 255.0) && x->params[0].zero_point == 0);
  CHECK(x->rule == OQ_QRULE_PLAN_IN && b->n_edited == 1);
  const char *changed[] = {"x", "B", NULL};
  check_only_changed(f.m, f.a, b, changed);
  free(j);
  oq_qplan_free(b);
  teardown(&f);
}

/* A scale and zero point written into the plan are used as they are; the Gemm bias follows flat's new scale
 * only when flat is edited, so here only y changes. */
OQ_TEST(edited_scale_and_zero_point) {
  fixture f;
  oq_error err = {0};
  REQUIRE(setup(&f));
  /* y: asymmetric uint8 over [-5, 5] -> scale 10/255, zero point 128 */
  char *j = replace(f.json, "\"zero_point\":[128],\"range\":[-5,5]", "\"zero_point\":[120],\"range\":[-5,5]");
  REQUIRE(j);
  const oq_qrec *ya = rec(f.a, f.m, "y");
  char old_scale[64], new_scale[64];
  snprintf(old_scale, sizeof old_scale, "\"scale\":[%.9g],\"zero_point\":[120]", (double)ya->params[0].scale);
  snprintf(new_scale, sizeof new_scale, "\"scale\":[0.0625],\"zero_point\":[120]");
  char *j2 = replace(j, old_scale, new_scale);
  REQUIRE(j2);
  oq_qplan *b = plan_with(f.m, &f.s, j2, &err);
  REQUIRE(b);
  const oq_qrec *y = rec(b, f.m, "y");
  CHECK(y->params[0].scale == 0.0625f && y->params[0].zero_point == 120 && y->fixed_params);
  const char *changed[] = {"y", NULL};
  check_only_changed(f.m, f.a, b, changed);
  free(j);
  free(j2);
  oq_qplan_free(b);
  teardown(&f);
}

/* Keep float: relu_out is no longer quantized; pool_out and flat, which shared its scale, stay float with it
 * (share_float); the Gemm bias, whose input scale came from flat, is computed from flat's calibrated range. */
OQ_TEST(edited_keep_float) {
  fixture f;
  oq_error err = {0};
  REQUIRE(setup(&f));
  char *j = replace_in(f.json, "relu_out", "\"quantized\":true", "\"quantized\":false");
  REQUIRE(j);
  oq_qplan *b = plan_with(f.m, &f.s, j, &err);
  REQUIRE(b);
  CHECK(!rec(b, f.m, "relu_out")->quantized && rec(b, f.m, "relu_out")->rule == OQ_QRULE_PLAN_IN);
  CHECK(!rec(b, f.m, "pool_out")->quantized && rec(b, f.m, "pool_out")->rule == OQ_QRULE_SHARE_FLOAT);
  CHECK(!rec(b, f.m, "flat")->quantized);
  const char *changed[] = {"relu_out", "pool_out", "flat", NULL};
  check_only_changed(f.m, f.a, b, changed);
  free(j);
  oq_qplan_free(b);
  teardown(&f);
}

/* A weight switched to per tensor (axis -1) and to another type: one scale, int16 data, and the bias that uses its
 * scale becomes per tensor too; the opset rises to 21 for int16. */
OQ_TEST(edited_weight_axis_and_type) {
  fixture f;
  oq_error err = {0};
  REQUIRE(setup(&f));
  char *j = replace_in(f.json, "W2", "\"type\":\"int8\",\"symmetric\":true,\"axis\":0",
                       "\"type\":\"int16\",\"symmetric\":true,\"axis\":-1");
  REQUIRE(j);
  oq_qplan *b = plan_with(f.m, &f.s, j, &err);
  REQUIRE(b);
  const oq_qrec *w = rec(b, f.m, "W2");
  CHECK(w->axis == -1 && w->n_params == 1 && w->dtype == OQ_DTYPE_INT16 && w->nbytes == 3 * 8 * 2);
  CHECK(rec(b, f.m, "B2")->quantized && rec(b, f.m, "B2")->n_params == 1);
  CHECK(b->opset_to == 21 && b->ir_version_min == 10);
  /* everything but W2 and its bias is as before (the opset aside) */
  for (int32_t v = 0; v < f.m->graph.n_values; v++) {
    const char *name = f.m->graph.values[v].name;
    if (!strcmp(name, "W2") || !strcmp(name, "B2")) continue;
    CHECK(same_rec(f.a, oq_qplan_find(f.a, v), b, oq_qplan_find(b, v)));
  }
  free(j);
  oq_qplan_free(b);
  teardown(&f);
}

/* Bad plans: one-line errors naming the file (syntax, with the line) or the value. */
OQ_TEST(bad_plans) {
  fixture f;
  oq_error err = {0};
  REQUIRE(setup(&f));
  static const struct {
    const char *json, *want;
  } cases[] = {
      {"{\"values\":[{\"name\":\"nope\",\"quantized\":false}]}", "value 'nope' is not in the model"},
      {"{\"values\":[{\"name\":\"x\",\"type\":\"int4\"}]}", "type int4 is not allowed for activation values"},
      {"{\"values\":[{\"name\":\"x\",\"zero_point\":[300]}]}", "zero point 300 outside uint8"},
      {"{\"values\":[{\"name\":\"x\",\"scale\":[-1]}]}", "not a positive finite number"},
      {"{\"values\":[{\"name\":\"W\",\"scale\":[1]}]}", "1 scales, expected 2"},
      {"{\"values\":[{\"name\":\"W\",\"axis\":7}]}", "axis 7 out of range"},
      {"{\"values\":[{\"name\":\"x\",\"range\":[2,1]}]}", "is empty"},
      {"{\"values\":[{\"name\":\"x\"},{\"name\":\"x\"}]}", "plan.json:1: value 'x' appears twice"},
      {"{\"values\":[{\"name\":\"x\",\"type\":\"float\"}]}", "plan.json:1: unknown type"},
      {"{\"values\":[\n{\"name\":\"x\",\"quantized\":1}]}", "plan.json:2: \"quantized\" must be true or false"},
      {"{\"values\":[}", "plan.json:1: expected '{'"},
      {"{\"opset\":{}}", "no \"values\" array"},
      {"{\"values\":[]} x", "text after the plan object"},
      {"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[", "expected '{'"},
      {"{\"a\":[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]],\"values\":[]}",
       "nesting deeper than"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    oq_error_clear(&err);
    oq_qplan *b = plan_with(f.m, &f.s, cases[i].json, &err);
    if (b || !strstr(err.msg, cases[i].want)) {
      fprintf(stderr, "case %zu: got '%s', want '%s'\n", i, b ? "(a plan)" : err.msg, cases[i].want);
      oq_test_failed = 1;
    }
    oq_qplan_free(b);
  }
  teardown(&f);
}

OQ_TEST_MAIN()
