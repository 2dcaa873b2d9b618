# Preparation (src/prep): opset conversion of the ONNX backend test models below opset 13 (tests/prep/
# testdata_models.txt), to 13 and to 21. Per model and opset, prep.o<N>.<set>.<test> converts with `onnxq convert
# --opset N` and runs the converted model on onnxq's executor against the original test's expected outputs; a
# converted model with an operator onnxq does not run yet is SKIPPED with the operator named (exit 77). One case per
# opset, prep.o<N>.ort, runs every converted model in onnxruntime-node against the same expected outputs
# (tests/prep/ort_skip.txt: what onnxruntime cannot run, with reasons). prep.refuse.* check that impossible
# conversions fail naming the op; prep.list_complete that no old-opset test model is forgotten.
find_program(ONNXQ_NODE NAMES node nodejs)
if(NOT ONNXQ_NODE)
  set(ONNXQ_NODE node)
endif()
set(PREP_SRC ${PROJECT_SOURCE_DIR}/tests/prep)
set(PREP_OUT ${PROJECT_BINARY_DIR}/prep)
file(STRINGS ${PREP_SRC}/testdata_models.txt prep_lines)
set(prep_models "")
foreach(line ${prep_lines})
  if(line MATCHES "^([A-Za-z0-9_.-]+/test_[A-Za-z0-9_]+)")
    list(APPEND prep_models ${CMAKE_MATCH_1})
  endif()
endforeach()
file(STRINGS ${PREP_SRC}/exec_xfail.txt prep_xfail_lines)
set(prep_xfail "")
foreach(line ${prep_xfail_lines})
  if(line MATCHES "^([A-Za-z0-9_.-]+/test_[A-Za-z0-9_]+)")
    list(APPEND prep_xfail ${CMAKE_MATCH_1})
  endif()
endforeach()
foreach(opset 13 21)
  foreach(t ${prep_models})
    string(REPLACE "/" "." case ${t})
    string(REGEX REPLACE "^node\\." "" case ${case})
    add_test(NAME prep.o${opset}.${case}
             COMMAND sh ${PREP_SRC}/run_converted.sh $<TARGET_FILE:onnxq_cli> $<TARGET_FILE:node_test>
                     ${ONNXQ_TESTDATA_ROOT}/${t} ${PREP_OUT}/o${opset}/${t} ${opset})
    set_tests_properties(prep.o${opset}.${case} PROPERTIES SKIP_RETURN_CODE 77 FIXTURES_SETUP prep_o${opset}
                         LABELS prep_testdata)
    if(t IN_LIST prep_xfail)
      set_tests_properties(prep.o${opset}.${case} PROPERTIES WILL_FAIL TRUE)
    endif()
  endforeach()
  # the models the cases above converted (a failed conversion leaves no model.onnx: that test fails here too)
  add_test(NAME prep.o${opset}.ort
           COMMAND ${ONNXQ_NODE} ${PREP_SRC}/ort_testdata.mjs ${PREP_OUT}/o${opset} ${PREP_SRC}/testdata_models.txt
                   --skip ${PREP_SRC}/ort_skip.txt)
  set_tests_properties(prep.o${opset}.ort PROPERTIES FIXTURES_REQUIRED prep_o${opset})
endforeach()
add_test(NAME prep.list_complete
         COMMAND ${ONNXQ_PYTHON3} ${PREP_SRC}/check_list.py ${ONNXQ_TESTDATA_ROOT} ${PREP_SRC}/testdata_models.txt)

# Impossible conversions fail with a one-line error naming the node's op, and write nothing.
function(prep_refuse name test op)
  add_test(NAME prep.refuse.${name}
           COMMAND sh -c "rm -f '${PREP_OUT}/refuse_${name}.onnx'; \
'$<TARGET_FILE:onnxq_cli>' convert '${ONNXQ_TESTDATA_ROOT}/${test}/model.onnx' --opset 13 \
-o '${PREP_OUT}/refuse_${name}.onnx' 2>'${PREP_OUT}/refuse_${name}.err'; rc=$?; cat '${PREP_OUT}/refuse_${name}.err'; \
test $rc -ne 0 && grep -q '(${op})' '${PREP_OUT}/refuse_${name}.err' && \
test $(wc -l < '${PREP_OUT}/refuse_${name}.err') -eq 1 && test ! -e '${PREP_OUT}/refuse_${name}.onnx'")
endfunction()
add_test(NAME prep.output_dir COMMAND ${CMAKE_COMMAND} -E make_directory ${PREP_OUT})
set_tests_properties(prep.output_dir PROPERTIES FIXTURES_SETUP prep_dir)
prep_refuse(scan8 node/test_scan_sum Scan)
prep_refuse(resize_tf_half_pixel_for_nn node/test_resize_downsample_sizes_nearest_tf_half_pixel_for_nn Resize)
set_tests_properties(prep.refuse.scan8 prep.refuse.resize_tf_half_pixel_for_nn PROPERTIES FIXTURES_REQUIRED prep_dir)

# Weights in Constant nodes (a Paddle2ONNX-style opset-9 CNN, tests/prep/make_constant_weights.py): quantized end to
# end like initializers. The quantized model is at opset 13 with every Conv/MatMul weight an int8 initializer behind
# a DequantizeLinear, no Constant/BatchNormalization/Identity/Dropout left, accepted by the ONNX checker, and within
# 5% of the float model's output range in onnxruntime (measured 0.011). Preparation alone (convert --opset 13
# --fold) keeps the float model's outputs within 1e-5 of their range in onnxruntime (BN folded; measured 0), and
# --no-fold keeps the BatchNormalization.
set(CW ${PREP_OUT}/constant_weights)
add_test(NAME prep.cw_make
         COMMAND sh -c "mkdir -p '${CW}' && '${ONNXQ_PYTHON3}' '${PREP_SRC}/make_constant_weights.py' '${CW}/model.onnx' && \
'${ONNXQ_PYTHON3}' '${PROJECT_SOURCE_DIR}/tests/e2e/make_calib.py' '${CW}/model.onnx' '${CW}/calib' 16 1 && \
'${ONNXQ_PYTHON3}' '${PROJECT_SOURCE_DIR}/tests/e2e/make_calib.py' '${CW}/model.onnx' '${CW}/eval' 8 2")
set_tests_properties(prep.cw_make PROPERTIES FIXTURES_SETUP prep_cw)
add_test(NAME prep.cw_quantize
         COMMAND $<TARGET_FILE:onnxq_cli> quantize ${CW}/model.onnx --calib ${CW}/calib -o ${CW}/qdq.onnx)
add_test(NAME prep.cw_prepare
         COMMAND $<TARGET_FILE:onnxq_cli> convert ${CW}/model.onnx --opset 13 --fold -o ${CW}/prepared.onnx)
add_test(NAME prep.cw_quantize_no_fold
         COMMAND $<TARGET_FILE:onnxq_cli> quantize ${CW}/model.onnx --calib ${CW}/calib --no-fold -o ${CW}/nofold.onnx)
set_tests_properties(prep.cw_quantize prep.cw_prepare prep.cw_quantize_no_fold PROPERTIES FIXTURES_REQUIRED prep_cw)
set_tests_properties(prep.cw_quantize PROPERTIES FIXTURES_SETUP prep_cw_q)
set_tests_properties(prep.cw_prepare PROPERTIES FIXTURES_SETUP prep_cw_p)
set_tests_properties(prep.cw_quantize_no_fold PROPERTIES FIXTURES_SETUP prep_cw_n)
add_test(NAME prep.cw_weights_quantized
         COMMAND ${ONNXQ_PYTHON3} ${PREP_SRC}/check_prepared.py ${CW}/qdq.onnx --opset 13 --no-op Constant
                 BatchNormalization Identity Dropout --weights-quantized Conv MatMul)
add_test(NAME prep.cw_onnx_checker COMMAND ${ONNXQ_PYTHON3} ${PROJECT_SOURCE_DIR}/tests/e2e/check_model.py ${CW}/qdq.onnx)
add_test(NAME prep.cw_float_vs_qdq_ort
         COMMAND ${ONNXQ_NODE} ${PROJECT_SOURCE_DIR}/tests/e2e/compare_models_ort.mjs ${CW}/model.onnx ${CW}/qdq.onnx
                 ${CW}/eval --max-rel 0.05)
set_tests_properties(prep.cw_weights_quantized prep.cw_onnx_checker prep.cw_float_vs_qdq_ort PROPERTIES
                     FIXTURES_REQUIRED prep_cw_q)
add_test(NAME prep.cw_prepared_structure
         COMMAND ${ONNXQ_PYTHON3} ${PREP_SRC}/check_prepared.py ${CW}/prepared.onnx --opset 13 --no-op Constant
                 BatchNormalization Identity Dropout)
add_test(NAME prep.cw_prepared_vs_float_ort
         COMMAND ${ONNXQ_NODE} ${PROJECT_SOURCE_DIR}/tests/e2e/compare_models_ort.mjs ${CW}/model.onnx
                 ${CW}/prepared.onnx ${CW}/eval --max-rel 1e-5)
set_tests_properties(prep.cw_prepared_structure prep.cw_prepared_vs_float_ort PROPERTIES FIXTURES_REQUIRED prep_cw_p)
add_test(NAME prep.cw_no_fold_keeps_batchnorm
         COMMAND ${ONNXQ_PYTHON3} ${PREP_SRC}/check_prepared.py ${CW}/nofold.onnx --opset 13 --no-op Constant
                 --has-op BatchNormalization Identity)
set_tests_properties(prep.cw_no_fold_keeps_batchnorm PROPERTIES FIXTURES_REQUIRED prep_cw_n)

# unsq11.onnx (opset 11, Unsqueeze with an axes attribute) used to be refused for per-channel weights; it is
# converted to opset 13 first and quantized (64 random calibration samples), and runs in onnxruntime within 5% of
# the float model's output range on 4 other samples (measured 0.018).
set(U11 ${PREP_OUT}/unsq11)
set(U11_MODEL ${PROJECT_SOURCE_DIR}/tests/fixtures/quant/unsq11.onnx)
add_test(NAME prep.unsq11_quantize
         COMMAND sh -c "'${ONNXQ_PYTHON3}' '${PROJECT_SOURCE_DIR}/tests/e2e/make_calib.py' '${U11_MODEL}' '${U11}/calib' 64 1 && \
'${ONNXQ_PYTHON3}' '${PROJECT_SOURCE_DIR}/tests/e2e/make_calib.py' '${U11_MODEL}' '${U11}/eval' 4 2 && \
'$<TARGET_FILE:onnxq_cli>' quantize '${U11_MODEL}' --calib '${U11}/calib' -o '${U11}/qdq.onnx'")
set_tests_properties(prep.unsq11_quantize PROPERTIES FIXTURES_REQUIRED prep_dir FIXTURES_SETUP prep_u11)
add_test(NAME prep.unsq11_float_vs_qdq_ort
         COMMAND ${ONNXQ_NODE} ${PROJECT_SOURCE_DIR}/tests/e2e/compare_models_ort.mjs ${U11_MODEL} ${U11}/qdq.onnx
                 ${U11}/eval --max-rel 0.05)
add_test(NAME prep.unsq11_structure
         COMMAND ${ONNXQ_PYTHON3} ${PREP_SRC}/check_prepared.py ${U11}/qdq.onnx --opset 13 --weights-quantized Conv)
set_tests_properties(prep.unsq11_float_vs_qdq_ort prep.unsq11_structure PROPERTIES FIXTURES_REQUIRED prep_u11)

# The options: listed in --help; bad --opset values are one-line usage errors (exit 1, nothing on stdout).
add_test(NAME prep.cli_help
         COMMAND sh -c "'$<TARGET_FILE:onnxq_cli>' convert --help | grep -q -- '--opset N' && \
'$<TARGET_FILE:onnxq_cli>' convert --help | grep -q -- '--fold' && \
'$<TARGET_FILE:onnxq_cli>' quantize --help | grep -q -- '--no-fold'")
foreach(bad 0 22 13x -1 "")
  string(MAKE_C_IDENTIFIER "opset_${bad}" bad_id)
  add_test(NAME prep.cli_bad_${bad_id}
           COMMAND sh -c "'$<TARGET_FILE:onnxq_cli>' convert '${PROJECT_SOURCE_DIR}/samples/digits/model.onnx' \
-o '${PREP_OUT}/bad.onnx' --opset '${bad}' >'${PREP_OUT}/bad_${bad_id}.out' 2>'${PREP_OUT}/bad_${bad_id}.err'; rc=$?; \
cat '${PREP_OUT}/bad_${bad_id}.err'; test $rc -eq 1 && test ! -s '${PREP_OUT}/bad_${bad_id}.out' && \
test $(wc -l < '${PREP_OUT}/bad_${bad_id}.err') -eq 1 && grep -q 'needs a number from 1 to 21' '${PREP_OUT}/bad_${bad_id}.err'")
  set_tests_properties(prep.cli_bad_${bad_id} PROPERTIES FIXTURES_REQUIRED prep_dir)
endforeach()
