# `cmake --install` gives a usable package: binary, shared library, header and pkg-config file. Skipped in the
# sanitizer build, whose library would need the sanitizer runtime in the consumer too.
if(NOT ONNXQ_SANITIZE)
  add_test(NAME install.pkgconfig_consumer
           COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/check_install.sh ${PROJECT_BINARY_DIR} ${PROJECT_SOURCE_DIR})
endif()
