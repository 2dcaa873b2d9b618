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

# Layering: the command is a client of the public API (Lua's lua.c rule), so its sources include only onnxq.h and
# cli/cli.h; the model layer does not include the operator table.
add_test(NAME cli.public_header_only
         COMMAND sh -c "! grep -n '#include \"' ${PROJECT_SOURCE_DIR}/src/cli/*.c ${PROJECT_SOURCE_DIR}/src/cli/*.h | grep -v -e '\"onnxq.h\"' -e '\"cli/cli.h\"' && ! grep -n '#include \"ops/' ${PROJECT_SOURCE_DIR}/src/model/*.c ${PROJECT_SOURCE_DIR}/src/model/*.h")
