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

# ---- libFuzzer harnesses (-DONNXQ_FUZZ=ON with clang; see README.md) --------------------------------------------
# fuzz_<name> per harness; fuzz.seeds generates the small seed corpora (make_seeds.py --small) and each
# fuzz.<name>.smoke runs its harness deterministically over them: -seed=1, a fixed number of runs, one process.
if(ONNXQ_FUZZ)
  set(FUZZ_SEEDS ${CMAKE_CURRENT_BINARY_DIR}/fuzz_seeds)
  set(FUZZ_HARNESSES load external npy sample run quantize cli calib_table plan calib_data)
  set(FUZZ_DICT_load onnx.dict)
  set(FUZZ_DICT_external onnx.dict)
  set(FUZZ_DICT_run onnx.dict)
  set(FUZZ_DICT_quantize onnx.dict)
  set(FUZZ_DICT_npy npy.dict)
  set(FUZZ_DICT_sample npy.dict)
  set(FUZZ_DICT_cli cli.dict)
  set(FUZZ_DICT_calib_table calib.dict)
  set(FUZZ_DICT_plan plan.dict)
  set(FUZZ_DICT_calib_data calib_data.dict)
  set(FUZZ_RUNS_load 3000)
  set(FUZZ_RUNS_external 3000)
  set(FUZZ_RUNS_npy 5000)
  set(FUZZ_RUNS_sample 5000)
  set(FUZZ_RUNS_run 5000)
  set(FUZZ_RUNS_quantize 3000)
  set(FUZZ_RUNS_cli 1500)
  set(FUZZ_RUNS_calib_table 3000)
  set(FUZZ_RUNS_plan 3000)
  set(FUZZ_RUNS_calib_data 3000)
  add_test(NAME fuzz.seeds COMMAND ${ONNXQ_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/make_seeds.py ${PROJECT_SOURCE_DIR}
                                   ${FUZZ_SEEDS} --small --onnxq $<TARGET_FILE:onnxq_cli>)
  set_tests_properties(fuzz.seeds PROPERTIES FIXTURES_SETUP fuzz_seeds LABELS fuzz)
  foreach(h ${FUZZ_HARNESSES})
    # findings turned into regression inputs (README.md) are replayed by the smoke too
    set(regress "")
    if(IS_DIRECTORY ${CMAKE_CURRENT_LIST_DIR}/regressions/${h})
      set(regress "'${CMAKE_CURRENT_LIST_DIR}/regressions/${h}'")
    endif()
    add_executable(fuzz_${h} ${CMAKE_CURRENT_LIST_DIR}/fuzz_${h}.c)
    target_compile_options(fuzz_${h} PRIVATE ${ONNXQ_WARNINGS})
    target_link_libraries(fuzz_${h} PRIVATE onnxq_static)
    target_link_options(fuzz_${h} PRIVATE -fsanitize=fuzzer)
    # the smoke mutates a scratch copy of the seeds: new corpus entries never land in the seed folder
    add_test(NAME fuzz.${h}.smoke
             COMMAND sh -c "rm -rf '${FUZZ_SEEDS}/work_${h}' && mkdir -p '${FUZZ_SEEDS}/work_${h}' && \
ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 '$<TARGET_FILE:fuzz_${h}>' -seed=1 \
-runs=${FUZZ_RUNS_${h}} -max_len=65536 -rss_limit_mb=3072 -malloc_limit_mb=2048 -timeout=30 -close_fd_mask=3 -artifact_prefix='${FUZZ_SEEDS}/' \
-dict=${CMAKE_CURRENT_LIST_DIR}/${FUZZ_DICT_${h}} '${FUZZ_SEEDS}/work_${h}' '${FUZZ_SEEDS}/${h}' ${regress}")
    set_tests_properties(fuzz.${h}.smoke PROPERTIES FIXTURES_REQUIRED fuzz_seeds LABELS fuzz TIMEOUT 600)
  endforeach()
  # the command's main under another name, linked into the argument-parsing harness
  target_sources(fuzz_cli PRIVATE ${ONNXQ_CLI_SOURCES})
  target_compile_definitions(fuzz_cli PRIVATE main=onnxq_cli_main)
endif()
