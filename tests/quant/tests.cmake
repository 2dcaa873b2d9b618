# The quantized model (issue "The quantized model"): every type combination, the plan file, the presets and graph
# options, checked in real onnxruntime (tests/e2e helpers) and structurally (check_qmodel.py, Debian's python3-onnx).
# Every case passes or fails by its exit status. Models: the bundled digits sample and the quantizer's fixtures.
set(QM_OUT ${PROJECT_BINARY_DIR}/quant)
set(QM_SRC ${PROJECT_SOURCE_DIR}/tests/quant)
set(QM_DIGITS ${PROJECT_SOURCE_DIR}/samples/digits)
set(QM_PY ${ONNXQ_PYTHON3})
set(QM_CLI $<TARGET_FILE:onnxq_cli>)

add_test(NAME quant.output_dir COMMAND ${CMAKE_COMMAND} -E make_directory ${QM_OUT})
set_tests_properties(quant.output_dir PROPERTIES FIXTURES_SETUP quant_dir)

# Every activation x weight type on digits: accuracy on its 500 test images in onnxruntime within 0.5 points of the
# float model's (measured drops: 0 to 0.2 points with 8- and 16-bit weights, 0.4 with 4-bit weights, which the
# per-group range search of docs/algorithms.md brings there from 1.0), and the default opset/IR checks: 8-bit types
# stay at opset 13 and pass the ONNX checker; 16-bit and 4-bit types need opset 21, which Debian's python3-onnx
# (1.12, opsets <= 17) cannot check, so there check_qmodel.py's `checker` mode does a structural check (order,
# definitions, Q/DQ types, IR version) and onnxruntime 1.23 loading and running them is the rest; every model also
# carries its provenance metadata.
foreach(act uint8 int8 uint16 int16)
  set(cmds "")
  set(models "")
  foreach(w int8 uint8 int16 int4 uint4)
    set(m ${QM_OUT}/digits_${act}_${w}.onnx)
    string(APPEND cmds "'${QM_CLI}' quantize '${QM_DIGITS}/model.onnx' --calib '${QM_DIGITS}/calib' -o '${m}' \
--activation-type ${act} --weight-type ${w} >/dev/null && ")
    if((act STREQUAL "uint8" OR act STREQUAL "int8") AND (w STREQUAL "int8" OR w STREQUAL "uint8"))
      string(APPEND cmds "'${QM_PY}' '${PROJECT_SOURCE_DIR}/tests/e2e/check_model.py' '${m}' >/dev/null && \
'${QM_PY}' '${QM_SRC}/check_qmodel.py' opset=13 '${m}' >/dev/null && ")
    else()
      string(APPEND cmds "'${QM_PY}' '${QM_SRC}/check_qmodel.py' opset=21 '${m}' >/dev/null && ")
    endif()
    string(APPEND cmds "'${QM_PY}' '${QM_SRC}/check_qmodel.py' checker '${m}' >/dev/null && \
'${QM_PY}' '${QM_SRC}/check_qmodel.py' provenance '${m}' >/dev/null && ")
    string(APPEND models " '${m}'")
  endforeach()
  add_test(NAME quant.digits_types_${act}
           COMMAND sh -c "${cmds}'${ONNXQ_NODE}' '${QM_SRC}/accuracy_many.mjs' '${QM_DIGITS}/model.onnx' \
'${QM_DIGITS}/test/images.npy' '${QM_DIGITS}/test/labels.npy' --max-drop 0.005${models}")
  set_tests_properties(quant.digits_types_${act} PROPERTIES FIXTURES_REQUIRED quant_dir)
endforeach()

# Option variants on digits: accuracy within 0.5 points in onnxruntime, the checker, and what the option promises.
#   name|options|structural check mode ("-" none)
set(QM_VARIANTS
    "symmetric|--activation-type int8 --activation-symmetric|opset=13"
    "asym_weights|--weight-type uint8 --weight-asymmetric|opset=13"
    "reduce_range|--reduce-range|opset=13"
    "pow2|--pow2-scales|opset=13"
    "per_tensor|--per-tensor|opset=13"
    "tensorrt|--preset tensorrt|tensorrt"
    "keep_float_io|--keep-float-io|keep_float_io"
    "align_concat|--align-concat|opset=13"
    "op_types|--op-types Conv,Relu|opset=13"
    "exclude|--exclude-nodes */classifier*|opset=13")
set(cmds "")
set(models "")
foreach(v ${QM_VARIANTS})
  string(REPLACE "|" ";" parts "${v}")
  list(GET parts 0 name)
  list(GET parts 1 opts)
  list(GET parts 2 check)
  set(m ${QM_OUT}/v_${name}.onnx)
  string(APPEND cmds "'${QM_CLI}' quantize '${QM_DIGITS}/model.onnx' --calib '${QM_DIGITS}/calib' -o '${m}' ${opts} \
>/dev/null && '${QM_PY}' '${PROJECT_SOURCE_DIR}/tests/e2e/check_model.py' '${m}' >/dev/null && \
'${QM_PY}' '${QM_SRC}/check_qmodel.py' ${check} '${m}' && \
'${QM_PY}' '${QM_SRC}/check_qmodel.py' provenance '${m}' >/dev/null && \
'${QM_PY}' '${QM_SRC}/check_qmodel.py' io '${m}' '${QM_DIGITS}/model.onnx' >/dev/null && ")
  string(APPEND models " '${m}'")
endforeach()
add_test(NAME quant.digits_options
         COMMAND sh -c "${cmds}'${ONNXQ_NODE}' '${QM_SRC}/accuracy_many.mjs' '${QM_DIGITS}/model.onnx' \
'${QM_DIGITS}/test/images.npy' '${QM_DIGITS}/test/labels.npy' --max-drop 0.005${models}")
set_tests_properties(quant.digits_options PROPERTIES FIXTURES_REQUIRED quant_dir)

# The plan: written, read back, byte-identical model and plan; an edited plan changes the model.
add_test(NAME quant.plan_roundtrip_identical COMMAND sh ${QM_SRC}/plan_roundtrip.sh ${QM_CLI} ${QM_DIGITS} ${QM_OUT}/plan)
set_tests_properties(quant.plan_roundtrip_identical PROPERTIES FIXTURES_REQUIRED quant_dir)

# Blocked int4 MatMul weights (opset 21 DequantizeLinear with block_size) on the mixed fixture, in onnxruntime.
add_test(NAME quant.blocked_int4_matmul
         COMMAND sh -c "'${QM_PY}' '${PROJECT_SOURCE_DIR}/tests/e2e/make_calib.py' \
'${PROJECT_SOURCE_DIR}/tests/fixtures/quant/mixed.onnx' '${QM_OUT}/mixed_calib' 16 1 >/dev/null && \
'${QM_CLI}' quantize '${PROJECT_SOURCE_DIR}/tests/fixtures/quant/mixed.onnx' --calib '${QM_OUT}/mixed_calib' \
-o '${QM_OUT}/mixed_blocked.onnx' --block-size 16 --weight-type int4 >/dev/null && \
'${QM_PY}' '${QM_SRC}/check_qmodel.py' blocked '${QM_OUT}/mixed_blocked.onnx' && \
'${ONNXQ_NODE}' '${PROJECT_SOURCE_DIR}/tests/e2e/compare_models_ort.mjs' \
'${PROJECT_SOURCE_DIR}/tests/fixtures/quant/mixed.onnx' '${QM_OUT}/mixed_blocked.onnx' '${QM_OUT}/mixed_calib' \
--max-rel 0.05")
set_tests_properties(quant.blocked_int4_matmul PROPERTIES FIXTURES_REQUIRED quant_dir)

# CLI: bad values are one-line errors; an already quantized model is refused unless --requantize.
add_test(NAME quant.cli_errors COMMAND sh ${QM_SRC}/cli_errors.sh ${QM_CLI} ${QM_DIGITS} ${QM_OUT}/cli)
set_tests_properties(quant.cli_errors PROPERTIES FIXTURES_REQUIRED quant_dir)

# Output SQNR floors of the default quantization on crops of real photographs, per model of the issue (resnet18,
# mobilenet_v2, shufflenet_v2_x1_0, squeezenet1_1, efficientnet_b0, the transformer encoder), in onnxruntime.
# Exports the models first (python3-torch, python3-torchvision, python3-sklearn; about 30 s of CPU). Label
# quant_accuracy. Floors and measurements: docs/performance.md.
add_test(NAME quant.accuracy_floors
         COMMAND sh ${QM_SRC}/accuracy_floors.sh ${QM_CLI} ${ONNXQ_NODE} ${QM_PY} ${QM_OUT}/accuracy)
set_tests_properties(quant.accuracy_floors PROPERTIES FIXTURES_REQUIRED quant_dir LABELS quant_accuracy TIMEOUT 1500)

# LSTM / GRU weights (per-channel DequantizeLinear on W and R feeding the float op) on the torch exports of
# tests/e2e/make_exports.py: structure, checker, output SQNR floor in onnxruntime-node.
add_test(NAME quant.rnn_weights
         COMMAND sh ${QM_SRC}/rnn_weights.sh ${QM_CLI} ${ONNXQ_NODE} ${QM_PY} ${PROJECT_BINARY_DIR}/e2e/exports
                 ${QM_OUT}/rnn)
set_tests_properties(quant.rnn_weights PROPERTIES FIXTURES_REQUIRED "quant_dir;e2e_exports")
