# Hostile inputs: every case runs the onnxq command on something broken and checks (tests/hostile/expect_fail.sh)
# exit status 1, nothing on stdout, exactly one stderr line "onnxq: ..." naming the file at fault, and that the
# case folder (where outputs would go) is unchanged. Fixtures are generated into the build tree by
# make_fixtures.py, run as the ctest fixture `hostile.fixtures` that every case requires.
if(NOT DEFINED ONNXQ_PYTHON)
  set(ONNXQ_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with the onnx and numpy modules, for test fixtures")
endif()

set(HOSTILE_SRC ${CMAKE_CURRENT_LIST_DIR})
set(FX ${CMAKE_CURRENT_BINARY_DIR}/hostile/fx)
set(HOSTILE_CASES ${CMAKE_CURRENT_BINARY_DIR}/hostile/cases)
set(DIGITS ${PROJECT_SOURCE_DIR}/samples/digits)

add_test(NAME hostile.fixtures COMMAND ${ONNXQ_PYTHON} ${HOSTILE_SRC}/make_fixtures.py ${PROJECT_SOURCE_DIR} ${FX})
set_tests_properties(hostile.fixtures PROPERTIES FIXTURES_SETUP hostile_fx)

# hostile_case(<cmd>.<case> NAME <text the error line must contain> [COPY <path>...] ARGS <onnxq args...>)
# In ARGS, NAME and COPY, @CASE@ stands for the case's own (emptied) folder.
function(hostile_case test)
  cmake_parse_arguments(HC "" "NAME" "COPY;ARGS" ${ARGN})
  set(dir ${HOSTILE_CASES}/${test})
  string(REPLACE "@CASE@" "${dir}" args "${HC_ARGS}")
  string(REPLACE "@CASE@" "${dir}" name "${HC_NAME}")
  set(copies)
  foreach(c ${HC_COPY})
    list(APPEND copies --copy ${c})
  endforeach()
  add_test(NAME hostile.${test}
           COMMAND sh ${HOSTILE_SRC}/expect_fail.sh ${dir} ${name} ${copies} -- $<TARGET_FILE:onnxq_cli> ${args})
  set_tests_properties(hostile.${test} PROPERTIES FIXTURES_REQUIRED hostile_fx TIMEOUT 120)
endfunction()

# ---- broken model files: every subcommand that loads a model --------------------------------------------------
foreach(bad truncated random empty text missing cyclic dangling double_producer missing_output fifo deep)
  set(m ${FX}/${bad}.onnx)
  hostile_case(inspect.${bad} NAME ${bad}.onnx ARGS inspect ${m})
  hostile_case(convert.${bad} NAME ${bad}.onnx ARGS convert ${m} -o @CASE@/out.onnx)
  hostile_case(quantize.${bad} NAME ${bad}.onnx ARGS quantize ${m} --calib ${FX}/tiny_calib -o @CASE@/out.onnx)
endforeach()
foreach(bad truncated random missing cyclic)
  hostile_case(run.${bad} NAME ${bad}.onnx ARGS run ${FX}/${bad}.onnx --inputs ${FX}/tiny_calib/sample_000
               -o @CASE@/res)
endforeach()
hostile_case(inspect.directory NAME ${FX} ARGS inspect ${FX})

# ---- external data leaving the model's folder, missing or short --------------------------------------------------
foreach(bad ext_absolute ext_dotdot ext_dotdot_inner ext_symlink ext_missing ext_short)
  set(m ${FX}/ext/${bad}.onnx)
  hostile_case(inspect.${bad} NAME ${bad}.onnx ARGS inspect ${m})
  hostile_case(convert.${bad} NAME ${bad}.onnx ARGS convert ${m} -o @CASE@/out.onnx)
endforeach()
hostile_case(run.ext_symlink NAME ext_symlink.onnx ARGS run ${FX}/ext/ext_symlink.onnx
             --inputs ${FX}/tiny_calib/sample_000 -o @CASE@/res)
hostile_case(quantize.ext_dotdot NAME ext_dotdot.onnx ARGS quantize ${FX}/ext/ext_dotdot.onnx
             --calib ${FX}/tiny_calib -o @CASE@/out.onnx)

# ---- operators the executor does not know ---------------------------------------------------------------------
hostile_case(run.unsupported_op NAME unsupported_op.onnx ARGS run ${FX}/unsupported_op.onnx
             --inputs ${FX}/tiny_calib/sample_000 -o @CASE@/res)
hostile_case(quantize.unsupported_op NAME unsupported_op.onnx ARGS quantize ${FX}/unsupported_op.onnx
             --calib ${FX}/tiny_calib -o @CASE@/out.onnx)

# ---- executor and quantizer on hostile graphs (regressions from tests/fuzz) -------------------------------------
# memory bombs: refused at once with the tensor size limit (OQ_MAX_TENSOR_BYTES), in run and in calibration
foreach(bomb constantofshape expand tile range)
  hostile_case(run.bomb_${bomb} NAME "over the limit" ARGS run ${FX}/bomb_${bomb}.onnx
               --inputs ${FX}/tiny_calib/sample_000 -o @CASE@/res)
  hostile_case(quantize.bomb_${bomb} NAME "over the limit" ARGS quantize ${FX}/bomb_${bomb}.onnx
               --calib ${FX}/tiny_calib -o @CASE@/out.onnx)
endforeach()
# an empty initializer [0, 2^40, 2^40]: its extents would overflow the kernels' int64 products
hostile_case(run.empty_huge_extents NAME "multiply past 2^63" ARGS run ${FX}/empty_huge_extents.onnx
             --inputs ${FX}/tiny_calib/sample_000 -o @CASE@/res)
hostile_case(quantize.empty_huge_extents NAME "multiply past 2^63" ARGS quantize ${FX}/empty_huge_extents.onnx
             --calib ${FX}/tiny_calib -o @CASE@/out.onnx)
# value_info says float32, the Cast makes int64
hostile_case(quantize.lying_value_info NAME "'c' is declared float32" ARGS quantize ${FX}/lying_value_info.onnx
             --calib ${FX}/tiny_calib -o @CASE@/out.onnx)
# (opset 11 with Unsqueeze(axes=...) used to be refused for per-channel weights; it is now converted to opset 13
# first: tests/prep/tests.cmake, prep.unsq11_*)
# pooling windows thousands wide over padding: refused for the work they would take
hostile_case(run.pool_over_padding NAME "more than the limit" ARGS run ${FX}/pool_over_padding.onnx
             --inputs ${FX}/tiny_calib/sample_000 -o @CASE@/res)
# inputs an opset does not have (Clip-6 with min/max inputs) are refused at load time
hostile_case(run.inputs_beyond_opset NAME "has 3 inputs, expects 1 to 1" ARGS run ${FX}/clip6_inputs.onnx
             --inputs ${FX}/tiny_calib/sample_000 -o @CASE@/res)
hostile_case(quantize.inputs_beyond_opset NAME "has 3 inputs, expects 1 to 1" ARGS quantize ${FX}/clip6_inputs.onnx
             --calib ${FX}/tiny_calib -o @CASE@/out.onnx)
# 100000 outputs, the last one's file name taking the first one's
hostile_case(run.many_outputs_collide NAME "would both be written to o_0.npy" ARGS run ${FX}/many_outputs.onnx
             --inputs ${FX}/tiny_calib/sample_000 -o @CASE@/res)

# endless Loops: no trip count and a constant cond (body without nodes) stops at --max-seconds; a scan output growing
# 4 MB an iteration for 2^40 iterations stops at the tensor limit
hostile_case(run.loop_endless NAME "time limit" ARGS run ${FX}/loop_endless.onnx --max-seconds 1
             --inputs ${FX}/tiny_calib/sample_000 -o @CASE@/res)
hostile_case(run.loop_scan_huge NAME "more than the limit" ARGS run ${FX}/loop_scan_huge.onnx
             --max-tensor-bytes 67108864 --inputs ${FX}/tiny_calib/sample_000 -o @CASE@/res)
hostile_case(quantize.loop_endless NAME "time limit" ARGS quantize ${FX}/loop_endless.onnx --max-seconds 1
             --calib ${FX}/tiny_calib -o @CASE@/out.onnx)

# work bombs of newer ops: LpPool windows over padding, a DFT of length 2^40
hostile_case(run.lppool_over_padding NAME "more than the limit" ARGS run ${FX}/lppool_over_padding.onnx
             --inputs ${FX}/tiny_calib/sample_000 -o @CASE@/res)
hostile_case(run.dft_huge NAME "over the limit" ARGS run ${FX}/dft_huge.onnx --inputs ${FX}/tiny_calib/sample_000
             -o @CASE@/res)

# ---- sample folders that disagree with the model (digits: input float32 [batch,1,8,8]) ----------------------
foreach(bad wrong_dtype wrong_shape fortran corrupt_npy truncated_npy corrupt_pb extra_file missing_input fifo)
  if(bad STREQUAL "corrupt_pb")
    set(what samples/${bad}/input_0.pb)
  elseif(bad STREQUAL "extra_file")
    set(what samples/${bad}/stray.npy)
  elseif(bad STREQUAL "missing_input")
    set(what samples/${bad})
  else()
    set(what samples/${bad}/input.npy)
  endif()
  hostile_case(run.${bad} NAME ${what} ARGS run ${DIGITS}/model.onnx --inputs ${FX}/samples/${bad} -o @CASE@/res)
endforeach()
hostile_case(run.inputs_missing NAME no_such_samples ARGS run ${DIGITS}/model.onnx --inputs ${FX}/no_such_samples
             -o @CASE@/res)
hostile_case(run.inputs_is_file NAME tiny.onnx ARGS run ${FX}/tiny.onnx --inputs ${FX}/tiny.onnx -o @CASE@/res)
# the output folder cannot be created because a file has its name
hostile_case(run.output_is_file NAME @CASE@/res COPY ${FX}/blocker ARGS run @CASE@/tiny.onnx
             --inputs ${FX}/tiny_calib/sample_000 -o @CASE@/res)
# parents that run would create are removed again when the run fails
hostile_case(run.no_partial_dirs NAME wrong_dtype/input.npy ARGS run ${DIGITS}/model.onnx
             --inputs ${FX}/samples/wrong_dtype -o @CASE@/a/b/c)

# ---- calibration folders --------------------------------------------------------------------------------------
hostile_case(quantize.calib_bad_sample NAME calib_bad_sample/sample_001/input.npy ARGS quantize ${DIGITS}/model.onnx
             --calib ${FX}/calib_bad_sample -o @CASE@/out.onnx)
hostile_case(quantize.calib_corrupt NAME calib_corrupt/sample_001/input.npy ARGS quantize ${DIGITS}/model.onnx
             --calib ${FX}/calib_corrupt -o @CASE@/out.onnx)
hostile_case(quantize.calib_empty NAME calib_empty ARGS quantize ${DIGITS}/model.onnx --calib ${FX}/calib_empty
             -o @CASE@/out.onnx)
hostile_case(quantize.calib_missing NAME no_such_calib ARGS quantize ${DIGITS}/model.onnx --calib ${FX}/no_such_calib
             -o @CASE@/out.onnx)
hostile_case(quantize.calib_is_file NAME tiny.onnx ARGS quantize ${FX}/tiny.onnx --calib ${FX}/tiny.onnx
             -o @CASE@/out.onnx)

# ---- output == input, directly and through aliases -------------------------------------------------------------
hostile_case(convert.same_path NAME @CASE@/tiny.onnx COPY ${FX}/alias ARGS convert @CASE@/tiny.onnx
             -o @CASE@/tiny.onnx)
hostile_case(convert.same_via_symlink NAME @CASE@/link.onnx COPY ${FX}/alias ARGS convert @CASE@/tiny.onnx
             -o @CASE@/link.onnx)
hostile_case(convert.same_via_dot NAME @CASE@/./tiny.onnx COPY ${FX}/alias ARGS convert @CASE@/tiny.onnx
             -o @CASE@/./tiny.onnx)
hostile_case(quantize.same_path NAME @CASE@/tiny.onnx COPY ${FX}/alias ARGS quantize @CASE@/tiny.onnx
             --calib ${FX}/tiny_calib -o @CASE@/tiny.onnx)
hostile_case(quantize.same_via_symlink NAME @CASE@/tiny.onnx COPY ${FX}/alias ARGS quantize @CASE@/link.onnx
             --calib ${FX}/tiny_calib -o @CASE@/tiny.onnx)
hostile_case(convert.external_data_over_model NAME tiny.onnx COPY ${FX}/alias ARGS convert @CASE@/tiny.onnx
             -o @CASE@/out.onnx --external-data tiny.onnx)

# ---- output locations that cannot be written ----------------------------------------------------------------------
hostile_case(convert.output_is_dir NAME @CASE@ ARGS convert ${FX}/tiny.onnx -o @CASE@)
hostile_case(convert.output_dir_missing NAME @CASE@/nodir/out.onnx ARGS convert ${FX}/tiny.onnx
             -o @CASE@/nodir/out.onnx)
hostile_case(quantize.output_dir_missing NAME @CASE@/nodir/out.onnx ARGS quantize ${FX}/tiny.onnx
             --calib ${FX}/tiny_calib -o @CASE@/nodir/out.onnx)
