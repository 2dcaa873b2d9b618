/* Golden values of oq_model_fingerprint. Calibration tables are keyed by the fingerprint of the model they were
 * made for: a change to any value below orphans every saved table. Change one only on purpose, with a note in the
 * release notes, never to make a refactor pass. (test_graph.c checks what the fingerprint is sensitive to.) */
#include "oq_test.h"
#include "onnxq.h"

#include <inttypes.h>

static void check_fingerprint(const char *path, uint64_t want) {
  oq_error err = {0};
  oq_model *m = NULL;
  REQUIRE_OK(oq_model_load(path, &m, &err));
  uint64_t got = oq_model_fingerprint(m);
  if (got != want) {
    fprintf(stderr, "%s: fingerprint %016" PRIx64 ", pinned %016" PRIx64 "\n", path, got, want);
    oq_test_failed = 1;
  }
  oq_model_free(m);
}

OQ_TEST(digits_model) { check_fingerprint(ONNXQ_SOURCE_DIR "/samples/digits/model.onnx", 0xaba0962e1f9a8fd6ull); }

OQ_TEST(quant_fixture_tiny) {
  check_fingerprint(ONNXQ_SOURCE_DIR "/tests/fixtures/quant/tiny.onnx", 0xe2c3912d0e0a33dfull);
}

/* Backend models from Debian's libonnx-testdata (ONNXQ_ONNX_TESTDATA); the case name keeps the test's own case. */
OQ_TEST(pytorch_converted_Conv2d) {
  check_fingerprint(ONNXQ_TESTDATA_ROOT "/pytorch-converted/test_Conv2d/model.onnx", 0x3916349c41301647ull);
}

OQ_TEST(node_gemm_all_attributes) {
  check_fingerprint(ONNXQ_TESTDATA_ROOT "/node/test_gemm_all_attributes/model.onnx", 0xc6ddf9ab8caa25d6ull);
}

OQ_TEST(simple_single_relu_model) {
  check_fingerprint(ONNXQ_TESTDATA_ROOT "/simple/test_single_relu_model/model.onnx", 0xff16ce9713d25460ull);
}

OQ_TEST_MAIN()
