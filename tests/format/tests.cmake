# DESIGN.md: clang-format is enforced. Every tracked C file must already be formatted (.clang-format at the root;
# Debian 12's clang-format 14, installed by scripts/setup.sh).
find_program(ONNXQ_CLANG_FORMAT NAMES clang-format clang-format-14)
if(NOT ONNXQ_CLANG_FORMAT)
  set(ONNXQ_CLANG_FORMAT clang-format)
endif()
add_test(NAME format.clang_format
         COMMAND sh -c "cd '${PROJECT_SOURCE_DIR}' && files=$(git ls-files '*.c' '*.h' 2>/dev/null || \
find src calib tests -name '*.[ch]') && '${ONNXQ_CLANG_FORMAT}' --dry-run --Werror $files")
