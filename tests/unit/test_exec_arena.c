/* The executor's arena (exec/plan.c): intermediates live in blocks the plan keeps and reuses best-fit. A 50-layer
 * chain peaks at a small constant multiple of one layer's activation (not 50 of them), a steady run allocates no
 * new block, and the debug switch (no reuse) gives the same bits. */
#define _POSIX_C_SOURCE 200809L /* setenv */
#include "oq_test.h"

#include <stdlib.h>

#include "exec/exec.h"
#include "test_build.h"

#define LAYERS 50

/* x -> 50 x (Mul by a per-layer constant, then Sigmoid or Add of a constant) -> y; input [1, 16, h, w] with
 * symbolic spatial extents (the graph input declares no shape), so two runs may have different sizes. */
static oq_model *chain_model(void) {
  tb_model b;
  tb_start(&b);
  tb_input(&b, "x");
  tb_output(&b, "y");
  static float consts[LAYERS];
  static char names[LAYERS][4][16];
  int64_t one = 1;
  const char *prev = "x";
  for (int i = 0; i < LAYERS; i++) {
    consts[i] = 0.5f + 0.01f * (float)i;
    snprintf(names[i][0], 16, "c%d", i);
    snprintf(names[i][1], 16, "m%d", i);
    snprintf(names[i][2], 16, i == LAYERS - 1 ? "y" : "a%d", i);
    snprintf(names[i][3], 16, "%s,%s", prev, names[i][0]);
    tb_init(&b, names[i][0], 1, &one, &consts[i]);
    tb_node(&b, "Mul", NULL, names[i][3], names[i][1]);
    if (i % 2)
      tb_node(&b, "Sigmoid", NULL, names[i][1], names[i][2]);
    else {
      static char add_in[LAYERS][40];
      snprintf(add_in[i], sizeof add_in[i], "%s,%s", names[i][1], names[i][0]);
      tb_node(&b, "Add", NULL, add_in[i], names[i][2]);
    }
    prev = names[i][2];
  }
  return tb_finish(&b, 13);
}

static void fill_input(oq_tensor *x, int64_t h, int64_t w) {
  oq_error err = {0};
  int64_t dims[4] = {1, 16, h, w};
  if (oq_tensor_alloc(x, OQ_DTYPE_FLOAT, 4, dims, &err) != OQ_OK) abort();
  float *d = x->data;
  for (int64_t i = 0; i < oq_tensor_numel(x); i++) d[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
}

OQ_TEST(chain_peaks_at_a_few_layers) {
  oq_error err = {0};
  oq_model *model = chain_model();
  REQUIRE(model);
  oq_plan *plan = NULL;
  REQUIRE_OK(oq_plan_build(model, &plan, &err));
  oq_tensor x = {0}, y = {0};
  fill_input(&x, 64, 64);
  size_t layer = x.nbytes, peak = 0, peak1 = 0, scratch = 0;
  for (int run = 0; run < 3; run++) {
    REQUIRE_OK(oq_plan_run(plan, &x, &y, NULL, NULL, &err));
    oq_tensor_release(&y);
    oq_plan_memory(plan, &peak, &scratch);
    if (run == 0) peak1 = peak;
  }
  fprintf(stderr, "layer %zu bytes, peak %zu bytes (%.2f layers)\n", layer, peak, (double)peak / (double)layer);
  CHECK(peak >= layer);
  CHECK(peak <= 3 * layer); /* a live input and output, and the graph output block that leaves every run */
  CHECK(peak == peak1);     /* later runs reuse the blocks: nothing new */
  oq_tensor_release(&x);
  oq_plan_free(plan);
  oq_model_free(model);
}

OQ_TEST(no_reuse_gives_the_same_bits) {
  oq_error err = {0};
  oq_model *model = chain_model();
  REQUIRE(model);
  oq_plan *reuse = NULL, *fresh = NULL;
  REQUIRE_OK(oq_plan_build(model, &reuse, &err));
  REQUIRE_OK(oq_plan_build(model, &fresh, &err));
  oq_plan_set_reuse(fresh, 0);
  /* sizes change between runs: blocks of an earlier, larger run serve a smaller one (best fit) */
  static const int64_t hw[4][2] = {{32, 32}, {8, 40}, {32, 31}, {1, 1}};
  for (int run = 0; run < 4; run++) {
    oq_tensor x = {0}, y1 = {0}, y2 = {0};
    fill_input(&x, hw[run][0], hw[run][1]);
    REQUIRE_OK(oq_plan_run(reuse, &x, &y1, NULL, NULL, &err));
    REQUIRE_OK(oq_plan_run(fresh, &x, &y2, NULL, NULL, &err));
    CHECK(y1.nbytes == x.nbytes && y2.nbytes == x.nbytes);
    CHECK(memcmp(y1.data, y2.data, y1.nbytes) == 0);
    oq_tensor_release(&x);
    oq_tensor_release(&y1);
    oq_tensor_release(&y2);
  }
  size_t peak_reuse, peak_fresh;
  oq_plan_memory(reuse, &peak_reuse, NULL);
  oq_plan_memory(fresh, &peak_fresh, NULL);
  CHECK(peak_reuse > 0 && peak_fresh > 0);
  oq_plan_free(reuse);
  oq_plan_free(fresh);
  oq_model_free(model);
}

/* Blocks handed out without zeroing (exec/plan.c step_writes_all) are filled with 0xff under ONNXQ_ARENA_POISON=1:
 * the outputs still equal those of fresh zeroed blocks, so every listed kernel writes all of its output. The chain
 * (Mul, Sigmoid, Add, shrinking sizes) and samples/digits (Conv, Relu, MaxPool, AveragePool, ...). */
static int poisoned_same(oq_model *model, const oq_tensor *x) {
  oq_error err = {0};
  oq_plan *poisoned = NULL, *fresh = NULL;
  setenv("ONNXQ_ARENA_POISON", "1", 1);
  int ok = oq_plan_build(model, &poisoned, &err) == OQ_OK;
  unsetenv("ONNXQ_ARENA_POISON");
  ok = ok && oq_plan_build(model, &fresh, &err) == OQ_OK;
  if (ok) oq_plan_set_reuse(fresh, 0);
  for (int run = 0; ok && run < 3; run++) { /* later runs reuse (poisoned) blocks */
    oq_tensor y1 = {0}, y2 = {0};
    ok = oq_plan_run(poisoned, x, &y1, NULL, NULL, &err) == OQ_OK &&
         oq_plan_run(fresh, x, &y2, NULL, NULL, &err) == OQ_OK && y1.nbytes == y2.nbytes &&
         memcmp(y1.data, y2.data, y1.nbytes) == 0;
    oq_tensor_release(&y1);
    oq_tensor_release(&y2);
  }
  if (!ok && err.msg[0]) fprintf(stderr, "%s\n", err.msg);
  oq_plan_free(poisoned);
  oq_plan_free(fresh);
  return ok;
}

OQ_TEST(unzeroed_blocks_are_fully_written) {
  oq_error err = {0};
  oq_model *model = chain_model();
  REQUIRE(model);
  static const int64_t hw[3][2] = {{32, 32}, {8, 40}, {1, 1}};
  for (int k = 0; k < 3; k++) {
    oq_tensor x = {0};
    fill_input(&x, hw[k][0], hw[k][1]);
    CHECK(poisoned_same(model, &x));
    oq_tensor_release(&x);
  }
  oq_model_free(model);
  REQUIRE_OK(oq_model_load(ONNXQ_SOURCE_DIR "/samples/digits/model.onnx", &model, &err));
  int64_t dims[4] = {3, 1, 8, 8};
  oq_tensor x = {0};
  REQUIRE_OK(oq_tensor_alloc(&x, OQ_DTYPE_FLOAT, 4, dims, &err));
  for (int64_t i = 0; i < oq_tensor_numel(&x); i++) ((float *)x.data)[i] = (float)((i * 13) % 17);
  CHECK(poisoned_same(model, &x));
  oq_tensor_release(&x);
  oq_model_free(model);
}

OQ_TEST_MAIN()
