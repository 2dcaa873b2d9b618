# Byte-identical load/save round trip over Debian's libonnx-testdata (ONNXQ_ONNX_TESTDATA). One ctest case per
# set; a case fails if any model fails or no model is found.
add_executable(oq_roundtrip ${CMAKE_CURRENT_LIST_DIR}/roundtrip.c)
target_compile_options(oq_roundtrip PRIVATE ${ONNXQ_WARNINGS})
target_link_libraries(oq_roundtrip PRIVATE onnxq_static)
foreach(set node pytorch-converted pytorch-operator simple)
  add_test(NAME roundtrip.${set} COMMAND oq_roundtrip ${ONNXQ_ONNX_TESTDATA}/${set})
endforeach()
