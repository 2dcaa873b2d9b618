/* Scale/zero-point math against numbers from onnxruntime's formulas (compute_scale_zp, quantize_nparray,
 * quantize_bias_static_impl) evaluated with numpy; the hex floats are the exact float32 results. The numbers for
 * the other quantization types come from this transcription of quant_utils (numpy 1.24, /usr/bin/python3):
 *
 *   def compute_scale_zp(rmin, rmax, qmin, qmax, symmetric=False):
 *       rmin = np.minimum(rmin, np.array(0, dtype=rmin.dtype)); rmax = np.maximum(rmax, np.array(0, dtype=rmax.dtype))
 *       if symmetric:
 *           absmax = np.maximum(np.abs(rmin), np.abs(rmax)); rmin = -absmax; rmax = +absmax
 *       dr = np.array(rmax - rmin, dtype=np.float64)
 *       scale = np.array(dr / (np.array(qmax, dtype=np.float64) - np.array(qmin, dtype=np.float64)))
 *       if scale < np.finfo(rmax.dtype).tiny: return np.array(0, dtype=qmin.dtype), np.array(1.0, dtype=rmax.dtype)
 *       if symmetric: zp = np.array(np.round((qmin + qmax) / np.array(2.0, dtype=np.float64)), dtype=qmin.dtype)
 *       else: zp = np.array(np.round(qmin - rmin / scale), dtype=qmin.dtype)
 *       return zp, scale.astype(rmax.dtype)
 *   def quantize(arr, scale, zp, qmin, qmax):  # quantize_nparray, clipped to the type's full range
 *       a = np.asarray((arr.astype(np.float32) / scale).round() + zp); np.clip(a, qmin, qmax, out=a); return a
 *
 * with qmin/qmax from ONNX_INT_TYPE_RANGE, or ONNX_INT_TYPE_SYMMETRIC_RANGE when symmetric (uint8 [0, 254], int8
 * [-127, 127], uint16 [0, 65534], int16 [-32767, 32767]; the 4-bit types have none and use their full range). */
#include "oq_test.h"

#include "quant/quant.h"

#include <float.h>
#include <stdint.h>

static oq_qparams u8(float rmin, float rmax) { return oq_qparams_for(oq_qtype_get(OQ_QTYPE_UINT8), rmin, rmax, 0); }
static oq_qparams i8s(float rmin, float rmax) { return oq_qparams_for(oq_qtype_get(OQ_QTYPE_INT8), rmin, rmax, 1); }

OQ_TEST(round_half_even) {
  CHECK(oq_round_half_even(0.5) == 0.0);
  CHECK(oq_round_half_even(1.5) == 2.0);
  CHECK(oq_round_half_even(2.5) == 2.0);
  CHECK(oq_round_half_even(3.5) == 4.0);
  CHECK(oq_round_half_even(-0.5) == 0.0);
  CHECK(oq_round_half_even(-1.5) == -2.0);
  CHECK(oq_round_half_even(-2.5) == -2.0);
  CHECK(oq_round_half_even(2.4999999) == 2.0);
  CHECK(oq_round_half_even(2.5000001) == 3.0);
  CHECK(oq_round_half_even(-0.49999999999999994) == 0.0);
  CHECK(oq_round_half_even(-7.0) == -7.0);
  CHECK(oq_round_half_even(1e300) == 1e300);
}

OQ_TEST(uint8_by_hand) {
  /* rmin=-1, rmax=2: scale = 3/255, zero point = round(0 + 1/(3/255)) = 85 */
  oq_qparams p = u8(-1.0f, 2.0f);
  CHECK(p.scale == 0x1.818182p-7f);
  CHECK(p.scale == (float)(3.0 / 255.0));
  CHECK(p.zero_point == 85);
}

OQ_TEST(uint8_matches_onnxruntime) {
  oq_qparams p = u8(-0.7316f, 2.4139f);
  CHECK(p.scale == 0x1.9433f2p-7f);
  CHECK(p.zero_point == 59);
  /* all-positive range is widened to include 0 */
  p = u8(0.3f, 5.77f);
  CHECK(p.scale == 0x1.72ba68p-6f);
  CHECK(p.zero_point == 0);
  /* all-negative range: zero point at the top */
  p = u8(-3.1f, -0.2f);
  CHECK(p.scale == 0x1.8e5b28p-7f);
  CHECK(p.zero_point == 255);
  p = u8(-1e-3f, 7.123456f);
  CHECK(p.scale == 0x1.c9c0d6p-6f);
  CHECK(p.zero_point == 0);
}

OQ_TEST(degenerate_ranges) {
  oq_qparams p = u8(0.0f, 0.0f);
  CHECK(p.scale == 1.0f && p.zero_point == 0);
  p = u8(INFINITY, -INFINITY); /* never observed */
  CHECK(p.scale == 1.0f && p.zero_point == 0);
  p = u8(NAN, NAN);
  CHECK(p.scale == 1.0f && p.zero_point == 0);
  p = i8s(0.0f, 0.0f);
  CHECK(p.scale == 1.0f && p.zero_point == 0);
  p = u8(-FLT_MAX, FLT_MAX); /* difference overflows float32 */
  CHECK(p.scale == 1.0f);
  p = u8(0.0f, 1e-40f); /* below float32 tiny: scale 1 */
  CHECK(p.scale == 1.0f && p.zero_point == 0);
}

OQ_TEST(int8_symmetric) {
  /* absmax 1.27 -> scale 0.01 */
  oq_qparams p = i8s(-1.27f, 0.5f);
  CHECK(p.scale == 0x1.47ae14p-7f);
  CHECK(p.zero_point == 0);
  p = i8s(-0.3f, 0.9123f);
  CHECK(p.scale == 0x1.d6c68ap-8f);
  CHECK(p.zero_point == 0);
  p = i8s(-0.0041f, 0.0037f);
  CHECK(p.scale == 0x1.0ed036p-15f);
}

OQ_TEST(quantize_values) {
  const float x[6] = {0.5f, -0.25f, 1.0f, 0.123f, -0.9123f, 0.9123f};
  const int32_t want[6] = {70, -35, 127, 17, -127, 127};
  oq_qparams p = i8s(-0.9123f, 0.9123f);
  for (int i = 0; i < 6; i++) CHECK(oq_quantize_value(x[i], p.scale, 0, -128, 127) == want[i]);
  /* ties to even after the division, then the zero point */
  CHECK(oq_quantize_value(0.5f, 1.0f, 0, 0, 255) == 0);
  CHECK(oq_quantize_value(1.5f, 1.0f, 0, 0, 255) == 2);
  CHECK(oq_quantize_value(2.5f, 1.0f, 10, 0, 255) == 12);
  CHECK(oq_quantize_value(-0.5f, 1.0f, 0, -128, 127) == 0);
  /* saturation */
  CHECK(oq_quantize_value(1000.0f, 0.01f, 0, -128, 127) == 127);
  CHECK(oq_quantize_value(-1000.0f, 0.01f, 0, -128, 127) == -128);
  CHECK(oq_quantize_value(-5.0f, 0.1f, 3, 0, 255) == 0);
  CHECK(oq_quantize_value(300.0f, 1.0f, 0, 0, 255) == 255);
  CHECK(oq_quantize_value(INFINITY, 1.0f, 0, 0, 255) == 255);
  CHECK(oq_quantize_value(NAN, 1.0f, 7, 0, 255) == 7);
}

OQ_TEST(bias) {
  float in_scale = (float)(3.0 / 255.0);
  float s0 = oq_bias_scale(in_scale, 0.01f, 1.0f), s1 = oq_bias_scale(in_scale, 0.003f, 1.0f);
  CHECK(s0 == 0x1.ed7292p-14f);
  CHECK(s1 == 0x1.28118ap-15f);
  CHECK(oq_quantize_bias(0.125f, s0) == 1062);
  CHECK(oq_quantize_bias(-0.3f, s1) == -8500);
  /* int32 saturation */
  CHECK(oq_quantize_bias(1e30f, 1e-10f) == INT32_MAX);
  CHECK(oq_quantize_bias(-1e30f, 1e-10f) == INT32_MIN);
  CHECK(oq_quantize_bias(0.0f, 0.0f) == 0);
}

OQ_TEST(bias_weight_scale_adjust) {
  /* Normal case: nothing changes. */
  CHECK(oq_adjust_weight_scale_for_bias(0.5f, 0.01f, 3.0f) == 0.01f);
  /* onnxruntime PR #22020's example: input 0.5, weight 7.843e-10, bias 5 -> the scale grows until the bias fits. */
  float w = oq_adjust_weight_scale_for_bias(0.5f, 7.843e-10f, 5.0f);
  CHECK(w > 7.843e-10f);
  float bs = oq_bias_scale(0.5f, w, 1.0f);
  CHECK(oq_quantize_bias(5.0f, bs) < INT32_MAX);
  CHECK(oq_quantize_bias(-5.0f, bs) > INT32_MIN);
}

OQ_TEST(weight_per_channel) {
  /* [2, 3] with axis 0: channel 0 absmax 1.27, channel 1 absmax 0.5 */
  const float w[6] = {1.27f, -0.635f, 0.0f, 0.25f, -0.5f, 0.125f};
  const int64_t dims[2] = {2, 3};
  oq_qparams p[2];
  int8_t q[6];
  oq_error err = {0};
  const oq_qtype *i8 = oq_qtype_get(OQ_QTYPE_INT8), *qu8 = oq_qtype_get(OQ_QTYPE_UINT8);
  REQUIRE_OK(oq_quant_weight_params(w, 2, dims, 0, i8, 1, p, &err));
  CHECK(p[0].scale == 0x1.47ae14p-7f && p[0].zero_point == 0);
  CHECK(p[1].scale == (float)(0.5 / 127.0));
  REQUIRE_OK(oq_quant_weight_apply(w, 2, dims, 0, i8, p, (uint8_t *)q, &err));
  CHECK(q[0] == 127 && q[1] == -64 && q[2] == 0);  /* -0.635/0.01 = -63.5 -> -64 (even) */
  CHECK(q[3] == 64 && q[4] == -127 && q[5] == 32); /* 0.25/(0.5/127) = 63.5 -> 64 */
  /* axis 1: three channels of two elements */
  oq_qparams p3[3];
  REQUIRE_OK(oq_quant_weight_params(w, 2, dims, 1, i8, 1, p3, &err));
  CHECK(p3[0].scale == (float)(1.27 / 127.0) || p3[0].scale == 0x1.47ae14p-7f);
  /* compute_scale_zp(f32(0.0), f32(0.125), int8(-127), int8(127), True) */
  CHECK(p3[2].scale == 0x1.020408p-10f && p3[2].zero_point == 0);
  /* per tensor uint8 (constant inputs quantized like activations) */
  oq_qparams pt;
  uint8_t qu[6];
  REQUIRE_OK(oq_quant_weight_params(w, 2, dims, -1, qu8, 0, &pt, &err));
  /* compute_scale_zp(f32(-0.635), f32(1.27), uint8(0), uint8(255)) */
  CHECK(pt.scale == 0x1.e997acp-8f && pt.zero_point == 85);
  REQUIRE_OK(oq_quant_weight_apply(w, 2, dims, -1, qu8, &pt, qu, &err));
  CHECK(qu[0] == 255 && qu[2] == pt.zero_point);
  /* bad axis */
  CHECK(oq_quant_weight_params(w, 2, dims, 2, i8, 1, p, &err) != OQ_OK);
}

/* The other quantization types: symmetric and full ranges from the table, scales and zero points as numpy gives
 * them with compute_scale_zp (see the top of the file). */
OQ_TEST(qparams_for_each_type) {
  oq_qparams p = oq_qparams_for(oq_qtype_get(OQ_QTYPE_INT16), -1.27f, 0.5f, 1); /* int16(-32767), int16(32767) */
  CHECK(p.scale == 0x1.452142p-15f && p.zero_point == 0);
  p = oq_qparams_for(oq_qtype_get(OQ_QTYPE_UINT16), -1.0f, 2.0f, 0); /* uint16(0), uint16(65535) */
  CHECK(p.scale == 0x1.800180p-15f && p.zero_point == 21845);
  p = oq_qparams_for(oq_qtype_get(OQ_QTYPE_INT4), -0.9f, 0.3f, 1); /* no symmetric range: int8(-8), int8(7) */
  CHECK(p.scale == 0x1.eb851ep-4f && p.zero_point == 0);
  p = oq_qparams_for(oq_qtype_get(OQ_QTYPE_UINT4), -1.0f, 2.0f, 0); /* uint8(0), uint8(15) */
  CHECK(p.scale == 0x1.99999ap-3f && p.zero_point == 5);
  p = oq_qparams_for(oq_qtype_get(OQ_QTYPE_UINT8), -1.0f, 2.0f, 1); /* uint8(0), uint8(254): zero point 127 */
  CHECK(p.scale == 0x1.020408p-6f && p.zero_point == 127);
}

/* Weights of 4 and 16 bits: per channel on axis 0, symmetric; element sizes and packing as raw_data stores them.
 *   w = np.array([1.27, -0.635, 0.0, 0.25, -0.5, 0.125], dtype=np.float32).reshape(2, 3)
 *   int4:  per c: compute_scale_zp(w[c].min(), w[c].max(), int8(-8), int8(7), True); quantize(w[c], s, zp, -8, 7)
 *          -> scales 0x1.5acb6ep-3, 0x1.111112p-4; q = [7, -4, 0], [4, -7, 2]
 *   int16: the same with int16(-32767), int16(32767), clipped to [-32768, 32767]
 *          -> scales 0x1.452142p-15, 0x1.0002p-16; q = [32767, -16384, 0], [16384, -32767, 8192] */
OQ_TEST(weight_sub_byte_and_16_bit) {
  const float w[6] = {1.27f, -0.635f, 0.0f, 0.25f, -0.5f, 0.125f};
  const int64_t dims[2] = {2, 3};
  oq_error err = {0};
  oq_qparams p[2];
  const oq_qtype *i4 = oq_qtype_get(OQ_QTYPE_INT4), *i16 = oq_qtype_get(OQ_QTYPE_INT16);
  REQUIRE_OK(oq_quant_weight_params(w, 2, dims, 0, i4, 1, p, &err));
  CHECK(p[0].scale == 0x1.5acb6ep-3f && p[1].scale == 0x1.111112p-4f && p[0].zero_point == 0);
  uint8_t q4[4] = {0xAA, 0xAA, 0xAA, 0xAA};
  REQUIRE_OK(oq_quant_weight_apply(w, 2, dims, 0, i4, p, q4, &err));
  /* nibbles, first element low: 7, -4 (0xC), 0, 4, -7 (0x9), 2 */
  CHECK(q4[0] == 0xC7 && q4[1] == 0x40 && q4[2] == 0x29);
  CHECK(q4[3] == 0xAA); /* 6 elements: 3 bytes, nothing written past them */
  REQUIRE_OK(oq_quant_weight_params(w, 2, dims, 0, i16, 1, p, &err));
  CHECK(p[0].scale == 0x1.452142p-15f && p[1].scale == 0x1.0002p-16f);
  uint8_t q16[12];
  REQUIRE_OK(oq_quant_weight_apply(w, 2, dims, 0, i16, p, q16, &err));
  const uint8_t want16[12] = {0xFF, 0x7F, 0x00, 0xC0, 0x00, 0x00, 0x00, 0x40, 0x01, 0x80, 0x00, 0x20};
  CHECK(memcmp(q16, want16, sizeof want16) == 0);
}

OQ_TEST(policy_table) {
  CHECK(oq_quant_policy_find("Conv", "", 13)->kind == OQ_QUANT_WEIGHTED);
  CHECK(oq_quant_policy_find("Gemm", "ai.onnx", 13)->kind == OQ_QUANT_WEIGHTED);
  CHECK(oq_quant_policy_find("MatMul", "", 13)->kind == OQ_QUANT_MATMUL);
  CHECK(oq_quant_policy_find("Relu", "", 13)->kind == OQ_QUANT_REMOVABLE);
  CHECK(oq_quant_policy_find("MaxPool", "", 13)->kind == OQ_QUANT_DIRECT);
  CHECK(oq_quant_policy_find("MaxPool", "", 11) == NULL);
  CHECK(oq_quant_policy_find("Add", "", 13)->kind == OQ_QUANT_GENERIC);
  /* Flatten passes its input's scale (onnxruntime drops the Q/DQ pair around it); Sub stays float */
  CHECK(oq_quant_policy_find("Flatten", "", 13)->kind == OQ_QUANT_DIRECT);
  CHECK(oq_quant_policy_find("Sub", "", 13) == NULL);
  CHECK(oq_quant_policy_find("LSTM", "", 13)->kind == OQ_QUANT_RNN);
  CHECK(oq_quant_policy_find("Softmax", "", 13)->fixed_range);
  CHECK(oq_quant_policy_find("Conv", "com.microsoft", 1) == NULL);
  CHECK(oq_quant_policy_find(NULL, "", 13) == NULL);
}

OQ_TEST_MAIN()
