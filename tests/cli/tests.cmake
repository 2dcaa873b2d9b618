# Behaviour of the onnxq command on good input (help, version, usage errors, each subcommand on the digits
# sample). One ctest case per entry, run by tests/cli/cases.sh in its own folder under the build tree.
if(NOT DEFINED ONNXQ_PYTHON)
  set(ONNXQ_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with the onnx and numpy modules, for test fixtures")
endif()

foreach(c help version inspect_help convert_help run_help quantize_help usage_errors inspect_text inspect_json
          run_pb run_npy run_threads convert quantize)
  add_test(NAME cli.${c}
           COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/cases.sh ${c} $<TARGET_FILE:onnxq_cli> ${PROJECT_SOURCE_DIR}
                   ${CMAKE_CURRENT_BINARY_DIR}/cli/${c} ${ONNXQ_PYTHON})
  set_tests_properties(cli.${c} PROPERTIES TIMEOUT 300)
endforeach()
