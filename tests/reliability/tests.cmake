# Reliability (issue 9): the fuzzing reproducers and the strict-attribute check. Each case must be refused the way
# tests/hostile/expect_fail.sh checks (exit 1, one `onnxq: ...` line naming what is at fault, nothing left behind).
if(NOT DEFINED ONNXQ_PYTHON)
  set(ONNXQ_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with the onnx and numpy modules, for test fixtures")
endif()
set(REL_SRC ${CMAKE_CURRENT_LIST_DIR})
set(REL_FX ${CMAKE_CURRENT_BINARY_DIR}/reliability/fx)
set(REL_CASES ${CMAKE_CURRENT_BINARY_DIR}/reliability/cases)
set(REL_EXPECT ${CMAKE_CURRENT_LIST_DIR}/../hostile/expect_fail.sh)

add_test(NAME reliability.fixtures
         COMMAND sh -c "${ONNXQ_PYTHON} ${REL_SRC}/make_fixtures.py ${REL_FX} && ${ONNXQ_PYTHON} -c \"import numpy, \
os; os.makedirs('${REL_FX}/big', exist_ok=True); numpy.save('${REL_FX}/big/X.npy', \
numpy.zeros((1, 1, 1000, 1000), numpy.float32))\"")
set_tests_properties(reliability.fixtures PROPERTIES FIXTURES_SETUP rel_fx)

# rel_case(<name> NAME <text the error line must contain> ARGS <onnxq args...>); @CASE@ = the case's folder
function(rel_case test)
  cmake_parse_arguments(RC "" "NAME" "ARGS" ${ARGN})
  set(dir ${REL_CASES}/${test})
  string(REPLACE "@CASE@" "${dir}" args "${RC_ARGS}")
  add_test(NAME reliability.${test} COMMAND sh ${REL_EXPECT} ${dir} ${RC_NAME} -- $<TARGET_FILE:onnxq_cli> ${args})
  set_tests_properties(reliability.${test} PROPERTIES FIXTURES_REQUIRED rel_fx TIMEOUT 60)
endfunction()

# ../shared/repro (found by fuzzing): global pooling over an empty spatial extent was undefined behaviour
set(R ${REL_SRC}/repro)
rel_case(repro.globalmaxpool_empty_spatial NAME "(GlobalMaxPool): input X has an empty extent"
         ARGS run ${R}/globalmaxpool-empty-spatial.onnx -i ${R}/empty-spatial.inputs -o @CASE@/out)
rel_case(repro.globalaveragepool_empty_spatial NAME "(GlobalAveragePool): input X has an empty extent"
         ARGS run ${R}/globalaveragepool-empty-spatial.onnx -i ${R}/empty-spatial.inputs -o @CASE@/out)
# misspelled strides were ignored (a 1000x1000 MaxPool at stride 1: seconds); now refused before any work
rel_case(repro.maxpool_misspelled_strides NAME "(MaxPool-12): attribute 'dilation\\xf3' is not defined"
         ARGS run ${R}/maxpool-misspelled-strides.onnx -i ${REL_FX}/big -o @CASE@/out)
set_tests_properties(reliability.repro.maxpool_misspelled_strides PROPERTIES TIMEOUT 5)

# strict attributes, as onnxruntime refuses them: wrong type, missing required, given twice, inside a subgraph
rel_case(strict.run_wrong_type NAME "node 'pool' (MaxPool-12): attribute 'strides' has type floats"
         ARGS run ${REL_FX}/wrong-type.onnx -i ${REL_FX}/wrong-type.inputs -o @CASE@/out)
rel_case(strict.quantize_wrong_type NAME "attribute 'strides' has type floats"
         ARGS quantize ${REL_FX}/wrong-type.onnx --calib ${REL_FX}/calib -o @CASE@/q.onnx)
rel_case(strict.run_missing_required NAME "node 'pool' (MaxPool-12): required attribute 'kernel_shape' is missing"
         ARGS run ${REL_FX}/missing-required.onnx -i ${REL_FX}/missing-required.inputs -o @CASE@/out)
rel_case(strict.run_duplicate NAME "attribute 'kernel_shape' is given twice"
         ARGS run ${REL_FX}/duplicate.onnx -i ${REL_FX}/duplicate.inputs -o @CASE@/out)
rel_case(strict.run_subgraph NAME "node 'inner_relu' (Relu-13): attribute 'alpha' is not defined"
         ARGS run ${REL_FX}/subgraph.onnx -i ${REL_FX}/subgraph.inputs -o @CASE@/out)
add_test(NAME reliability.strict.run_valid
         COMMAND sh -c "rm -rf '${REL_CASES}/valid' && $<TARGET_FILE:onnxq_cli> run ${REL_FX}/valid.onnx \
-i ${REL_FX}/valid.inputs -o '${REL_CASES}/valid' && test -f '${REL_CASES}/valid/Y.npy'")
set_tests_properties(reliability.strict.run_valid PROPERTIES FIXTURES_REQUIRED rel_fx TIMEOUT 60)
