# docs/operators.md is generated from the operator and policy tables; fail when someone changed one without it.
if(NOT DEFINED ONNXQ_PYTHON)
  set(ONNXQ_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with the onnx and numpy modules, for test fixtures")
endif()
add_test(NAME docs.operators_up_to_date COMMAND ${ONNXQ_PYTHON} ${PROJECT_SOURCE_DIR}/scripts/gen-operator-doc.py --check)
# docs/architecture.md names every source file and folder (tests/docs/check_architecture.sh).
add_test(NAME docs.architecture_current COMMAND sh ${PROJECT_SOURCE_DIR}/tests/docs/check_architecture.sh)
