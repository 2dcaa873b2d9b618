/* Tensor allocation (byte and packed 4-bit types) and ONNX's 4-bit packing: element 2k in the low nibble of byte k. */
#include "core/tensor.h"
#include "oq_test.h"

OQ_TEST(alloc_sub_byte) {
  oq_error err = {0};
  oq_tensor t;
  const int64_t dims[2] = {3, 5}; /* 15 elements -> 8 bytes */
  REQUIRE_OK(oq_tensor_alloc(&t, OQ_DTYPE_INT4, 2, dims, &err));
  CHECK(t.nbytes == 8 && t.data && t.owns_data && oq_tensor_numel(&t) == 15);
  for (size_t i = 0; i < t.nbytes; i++) CHECK(((uint8_t *)t.data)[i] == 0);
  oq_tensor_release(&t);
  const int64_t one = 1, zero = 0;
  REQUIRE_OK(oq_tensor_alloc(&t, OQ_DTYPE_UINT4, 1, &one, &err));
  CHECK(t.nbytes == 1);
  oq_tensor_release(&t);
  REQUIRE_OK(oq_tensor_alloc(&t, OQ_DTYPE_FLOAT4E2M1, 1, &zero, &err));
  CHECK(t.nbytes == 0 && t.data == NULL);
  oq_tensor_release(&t);
  /* byte-sized types keep their sizes; strings still cannot be allocated */
  REQUIRE_OK(oq_tensor_alloc(&t, OQ_DTYPE_INT16, 2, dims, &err));
  CHECK(t.nbytes == 30);
  oq_tensor_release(&t);
  CHECK(oq_tensor_alloc(&t, OQ_DTYPE_STRING, 2, dims, &err) == OQ_ERR_UNSUPPORTED);
  CHECK(oq_tensor_alloc(&t, 99, 2, dims, &err) == OQ_ERR_UNSUPPORTED);
  /* the size limit counts packed bytes: 2^33 int4 elements are exactly 4 GiB */
  const int64_t big = (int64_t)1 << 33, bigger = big + 2;
  CHECK(oq_tensor_alloc(&t, OQ_DTYPE_INT4, 1, &bigger, &err) == OQ_ERR_NOMEM);
  CHECK(strstr(err.msg, "4294967297 bytes") != NULL);
}

OQ_TEST(pack_unpack_round_trip) {
  /* every nibble value, odd and even counts */
  for (size_t n = 0; n <= 33; n++) {
    uint8_t vals[33] = {0}, packed[18], back[33];
    for (size_t i = 0; i < n; i++) vals[i] = (uint8_t)((i * 7 + 3) & 0x0f);
    memset(packed, 0xaa, sizeof packed);
    oq_tensor_pack4(packed, vals, n);
    for (size_t i = 0; i < n; i++) {
      unsigned nib = i % 2 ? packed[i / 2] >> 4 : packed[i / 2] & 0x0f;
      CHECK(nib == vals[i]);
    }
    if (n % 2) CHECK((packed[n / 2] >> 4) == 0); /* odd count: last high nibble is 0 */
    CHECK(packed[(n + 1) / 2] == 0xaa);          /* nothing written past ceil(n / 2) */
    oq_tensor_unpack4(back, packed, n, 0);
    CHECK(memcmp(back, vals, n) == 0);
  }
}

OQ_TEST(pack_known_bytes) {
  /* int4 [-8, 7, -1, 0, 5] -> nibbles 8 7 f 0 5 -> bytes 0x78 0x0f 0x05 (as onnx.helper.pack_int4 gives) */
  const int8_t vals[5] = {-8, 7, -1, 0, 5};
  uint8_t packed[3], back[5];
  oq_tensor_pack4(packed, (const uint8_t *)vals, 5);
  CHECK(packed[0] == 0x78 && packed[1] == 0x0f && packed[2] == 0x05);
  oq_tensor_unpack4(back, packed, 5, 1);
  CHECK(memcmp(back, vals, 5) == 0);
  oq_tensor_unpack4(back, packed, 5, 0);
  CHECK(back[0] == 8 && back[1] == 7 && back[2] == 15 && back[3] == 0 && back[4] == 5);
}

OQ_TEST_MAIN()
