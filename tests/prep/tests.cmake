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
foreach(opset 13 21)
  foreach(t ${prep_models})
    string(REPLACE "/" "." case ${t})
    string(REGEX REPLACE "^node\\." "" case ${case})
    add_test(NAME prep.o${opset}.${case}
             COMMAND sh ${PREP_SRC}/run_converted.sh $<TARGET_FILE:onnxq_cli> $<TARGET_FILE:node_test>
                     ${ONNXQ_TESTDATA_ROOT}/${t} ${PREP_OUT}/o${opset}/${t} ${opset})
    set_tests_properties(prep.o${opset}.${case} PROPERTIES SKIP_RETURN_CODE 77 FIXTURES_SETUP prep_o${opset})
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
