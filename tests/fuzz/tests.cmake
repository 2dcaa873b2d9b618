# Fuzz smoke test: a few structured mutants of the synthetic and fixture bases (tests/fuzz/gen_mutants.py) through
# `onnxq run` and `onnxq quantize` (tests/fuzz/run_fuzz.py); any crash, sanitizer report, timeout, multi-line error
# or leftover output fails it. The full campaign (thousands of mutants, ASan build) is run by hand, see README.md.
if(NOT DEFINED ONNXQ_PYTHON)
  set(ONNXQ_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with the onnx and numpy modules, for test fixtures")
endif()
set(FUZZ_DIR ${CMAKE_CURRENT_BINARY_DIR}/fuzz_smoke)
set(FUZZ_ASAN "")
if(ONNXQ_SANITIZE)
  set(FUZZ_ASAN --asan) # memory capped through ASan's options: RLIMIT_AS would keep ASan from starting
endif()
add_test(NAME fuzz.smoke
         COMMAND sh -c "${ONNXQ_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/gen_mutants.py ${PROJECT_SOURCE_DIR} ${FUZZ_DIR} \
--seed 7 --per-base 4 --only '^(syn_|quant_|exec_|digits)' >/dev/null && ${ONNXQ_PYTHON} \
${CMAKE_CURRENT_LIST_DIR}/run_fuzz.py $<TARGET_FILE:onnxq_cli> ${FUZZ_DIR} --threads 3 --timeout 60 ${FUZZ_ASAN}")
set_tests_properties(fuzz.smoke PROPERTIES TIMEOUT 900)
