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

# Failure sweeps, in-process through the library API (test_sweep.c): every allocation, and every write/fsync/
# rename/link, of inspect/convert/run/quantize on samples/digits fails in turn.
add_executable(test_sweep ${REL_SRC}/test_sweep.c)
target_compile_options(test_sweep PRIVATE ${ONNXQ_WARNINGS})
target_include_directories(test_sweep PRIVATE ${REL_SRC}/../unit)
target_compile_definitions(test_sweep PRIVATE ONNXQ_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
                                              ONNXQ_BINARY_DIR="${CMAKE_CURRENT_BINARY_DIR}")
target_link_libraries(test_sweep PRIVATE onnxq_static)
foreach(c alloc_inspect alloc_convert alloc_convert_external alloc_run alloc_quantize io_convert io_convert_fallback
          io_convert_external io_run io_quantize)
  add_test(NAME reliability.sweep.${c} COMMAND test_sweep ${c})
  set_tests_properties(reliability.sweep.${c} PROPERTIES LABELS sweep TIMEOUT 300)
endforeach()

# Kill test: 100 SIGKILLs of `onnxq quantize` over its run and inside its write (kill_test.sh); about 30 s.
add_test(NAME reliability.kill_quantize
         COMMAND sh ${REL_SRC}/kill_test.sh $<TARGET_FILE:onnxq_cli> ${PROJECT_SOURCE_DIR}/samples/digits/model.onnx
                 ${PROJECT_SOURCE_DIR}/samples/digits/calib ${REL_CASES}/kill 100)
set_tests_properties(reliability.kill_quantize PROPERTIES LABELS kill TIMEOUT 600)

# Resource limits (--max-tensor-bytes, --max-seconds): a clean error naming the node, nothing written
set(DIGITS_DIR ${PROJECT_SOURCE_DIR}/samples/digits)
rel_case(limits.run_tensor_bytes NAME "node '/features/features.0/Conv' (Conv): a float32 tensor of shape"
         ARGS run ${DIGITS_DIR}/model.onnx -i ${DIGITS_DIR}/calib/sample_000 -o @CASE@/out --max-tensor-bytes 1000)
rel_case(limits.run_seconds NAME "(Conv): time limit of 1e-06 s exceeded"
         ARGS run ${DIGITS_DIR}/model.onnx -i ${DIGITS_DIR}/calib/sample_000 -o @CASE@/out --max-seconds=0.000001)
rel_case(limits.quantize_seconds NAME "time limit of 1e-06 s exceeded"
         ARGS quantize ${DIGITS_DIR}/model.onnx --calib ${REL_FX}/digits2 -o @CASE@/q.onnx --max-seconds 0.000001)
rel_case(limits.quantize_tensor_bytes NAME "over the limit of 1000 per tensor"
         ARGS quantize ${DIGITS_DIR}/model.onnx --calib ${REL_FX}/digits2 -o @CASE@/q.onnx --max-tensor-bytes=1000)
rel_case(limits.bad_seconds NAME "--max-seconds needs a number of seconds above 0, got '-1'"
         ARGS run ${DIGITS_DIR}/model.onnx -i ${DIGITS_DIR}/calib/sample_000 -o @CASE@/out --max-seconds -1)
rel_case(limits.above_build_max NAME "above this build's maximum"
         ARGS quantize ${DIGITS_DIR}/model.onnx --calib ${REL_FX}/digits2 -o @CASE@/q.onnx
         --max-tensor-bytes 99999999999999)
# generous limits change nothing
add_test(NAME reliability.limits.generous
         COMMAND sh -c "rm -rf '${REL_CASES}/generous' && $<TARGET_FILE:onnxq_cli> run ${DIGITS_DIR}/model.onnx \
-i ${DIGITS_DIR}/calib/sample_000 -o '${REL_CASES}/generous' --max-seconds 600 --max-tensor-bytes 100000000 && \
test -f '${REL_CASES}/generous/logits.npy'")
set_tests_properties(reliability.limits.generous PROPERTIES TIMEOUT 60)

# fuzz_external finding (tests/fuzz/regressions/external): a model that loads must save with --external-data into
# a model that loads again (a tensor whose inline bytes do not match its shape stays inline)
add_test(NAME reliability.regression.raw_size_mismatch_external
         COMMAND sh -c "rm -rf '${REL_CASES}/rawsize' && mkdir -p '${REL_CASES}/rawsize' && \
$<TARGET_FILE:onnxq_cli> convert ${REL_FX}/raw-size-mismatch.onnx -o '${REL_CASES}/rawsize/o.onnx' \
--external-data o.data --size-threshold 16 && $<TARGET_FILE:onnxq_cli> inspect '${REL_CASES}/rawsize/o.onnx'")
set_tests_properties(reliability.regression.raw_size_mismatch_external PROPERTIES FIXTURES_REQUIRED rel_fx TIMEOUT 60)
# ... and a tensor of a type onnxq does not know stays inline: the fingerprint does not change
add_test(NAME reliability.regression.unknown_dtype_external
         COMMAND sh -c "rm -rf '${REL_CASES}/unkdt' && mkdir -p '${REL_CASES}/unkdt' && \
$<TARGET_FILE:onnxq_cli> convert ${REL_FX}/unknown-dtype.onnx -o '${REL_CASES}/unkdt/o.onnx' \
--external-data o.data --size-threshold 8 && a=$($<TARGET_FILE:onnxq_cli> inspect --json ${REL_FX}/unknown-dtype.onnx \
| grep -o '\"fingerprint\": *\"[0-9a-f]*\"') && b=$($<TARGET_FILE:onnxq_cli> inspect --json '${REL_CASES}/unkdt/o.onnx' \
| grep -o '\"fingerprint\": *\"[0-9a-f]*\"') && test -n \"$a\" && test \"$a\" = \"$b\"")
set_tests_properties(reliability.regression.unknown_dtype_external PROPERTIES FIXTURES_REQUIRED rel_fx TIMEOUT 60)
# ... and one stored externally under a misspelt key ('lengt/'), brought inline by the save: same fingerprint
# (tests/fuzz/regressions/external/unknown-dtype-external-inlined, split into a model and its w.bin)
add_test(NAME reliability.regression.unknown_dtype_external_inlined
         COMMAND sh -c "rm -rf '${REL_CASES}/unkin' && mkdir -p '${REL_CASES}/unkin' && \
cp ${REL_SRC}/ext_unknown_key/m.onnx ${REL_SRC}/ext_unknown_key/w.bin '${REL_CASES}/unkin/' && \
$<TARGET_FILE:onnxq_cli> convert '${REL_CASES}/unkin/m.onnx' -o '${REL_CASES}/unkin/o.onnx' \
--external-data o.data --size-threshold 16 && a=$($<TARGET_FILE:onnxq_cli> inspect --json '${REL_CASES}/unkin/m.onnx' \
| grep -o '\"fingerprint\": *\"[0-9a-f]*\"') && b=$($<TARGET_FILE:onnxq_cli> inspect --json '${REL_CASES}/unkin/o.onnx' \
| grep -o '\"fingerprint\": *\"[0-9a-f]*\"') && test -n \"$a\" && test \"$a\" = \"$b\"")
set_tests_properties(reliability.regression.unknown_dtype_external_inlined PROPERTIES FIXTURES_REQUIRED rel_fx TIMEOUT 60)

# Findings of the libFuzzer harnesses replayed in every build: the harness's own code with a plain main
# (tests/fuzz/replay_main.c), on the committed input of tests/fuzz/regressions/<harness>/.
foreach(_rel_h run quantize plan calib_data)
  add_executable(replay_${_rel_h} ${REL_SRC}/../fuzz/fuzz_${_rel_h}.c ${REL_SRC}/../fuzz/replay_main.c)
  target_compile_options(replay_${_rel_h} PRIVATE ${ONNXQ_WARNINGS})
  target_link_libraries(replay_${_rel_h} PRIVATE onnxq_static)
endforeach()
# NonMaxSuppression with a float8 iou_threshold: oq_load_i64 and oq_load_f64 called each other for a type neither
# knew until the stack overflowed (src/ops/tensor_util.c)
add_test(NAME reliability.regression.nms_float8_threshold
         COMMAND replay_run ${REL_SRC}/../fuzz/regressions/run/nms-float8-threshold-load-recursion)
# fuzz_calib_data: an .npz entry's claimed size was allocated before inflating (calib/data.c)
add_test(NAME reliability.regression.npz_claimed_size
         COMMAND sh ${REL_SRC}/regression_npz.sh ${ONNXQ_PYTHON} $<TARGET_FILE:onnxq_cli> ${PROJECT_SOURCE_DIR}
                 ${REL_CASES}/npz_claimed_size)
# Findings of fuzz_quantize and fuzz_plan (session 7), replayed the same way. Under ASan/UBSan (the sanitizer CI
# build) the quantize inputs fail without their fixes; the plan inputs fail their oracle in every build.
# QLinearMatMul with an a_scale of 2 values for 3 rows: read past the scale (src/ops/qmath.c); now an error
add_test(NAME reliability.regression.qlinearmatmul_scale_count
         COMMAND replay_quantize ${REL_SRC}/../fuzz/regressions/quantize/qlinearmatmul-short-per-row-scale)
# Identity removal on a node whose input name is NULL (src/prep/cleanup.c, UBSan)
add_test(NAME reliability.regression.identity_removal_null_name
         COMMAND replay_quantize ${REL_SRC}/../fuzz/regressions/quantize/identity-removal-null-input)
# ConvTranspose with an empty W: offset from its NULL data (src/ops/convt.c, UBSan)
add_test(NAME reliability.regression.convtranspose_empty_weight
         COMMAND replay_quantize ${REL_SRC}/../fuzz/regressions/quantize/convtranspose-empty-weight)
# A value sharing another's params, written with the source's edited scale, read back as its own edit: the plan
# written after the run gave another model (src/quant/qplan.c diff_edits)
add_test(NAME reliability.regression.plan_shared_value_source_edited
         COMMAND replay_plan ${REL_SRC}/../fuzz/regressions/plan/plan-shared-value-source-edited.json)
# A bias written with axis -1 after the plan made its weight per tensor: read back as an edit of the bias
# ('value B is not quantized'); a bias's fields all follow from its input and weight
add_test(NAME reliability.regression.plan_bias_axis_follows_weight
         COMMAND replay_plan ${REL_SRC}/../fuzz/regressions/plan/plan-bias-axis-follows-weight.json)
# A tensor with external data and inline data both (raw_data next to data_location EXTERNAL): which bytes count
# was undefined (the save kept one, the fingerprint hashed another); now refused at load (src/model/model.c)
add_test(NAME reliability.regression.external_and_inline_data
         COMMAND $<TARGET_FILE:onnxq_cli> inspect ${REL_SRC}/ext_inline_both/m.onnx)
set_tests_properties(reliability.regression.external_and_inline_data PROPERTIES
                     PASS_REGULAR_EXPRESSION "external data and inline data both given" TIMEOUT 60)
# An inferred shape whose element count does not fit in int64 (a Reshape after it): oq_tensor_numel overflowed
# (src/core/tensor.c, UBSan); it saturates now
add_test(NAME reliability.regression.numel_overflow
         COMMAND replay_run ${REL_SRC}/../fuzz/regressions/run/reshape-inferred-numel-overflow)
# A model of default-domain opset 25 (newer than onnxq's QuantizeLinear) was calibrated and quantized into a model
# no session accepts; oq_quantize refuses it first (src/quant/quantize.c)
add_test(NAME reliability.regression.quantize_opset_too_new
         COMMAND replay_quantize ${REL_SRC}/../fuzz/regressions/quantize/opset-25-quantized-unrunnable)
# Calibration images whose header claims more than they hold (calib/image.c): a 69-byte PNG of 32768 x 32768 had
# 1-3 GiB allocated before decoding (now at most 8192 x 8192 pixels per image), a BMP of height INT32_MIN was
# negated (signed overflow) and a BMP's pixel buffer was allocated before checking the file holds its rows
foreach(img png-32768x32768.png bmp-height-int32-min.bmp)
  add_test(NAME reliability.regression.image_claim_${img}
           COMMAND sh -c "rm -rf '${REL_CASES}/img_${img}' && mkdir -p '${REL_CASES}/img_${img}' && \
cp ${REL_SRC}/image_claims/${img} '${REL_CASES}/img_${img}/' && $<TARGET_FILE:onnxq_cli> calibrate \
${DIGITS_DIR}/model.onnx --calib '${REL_CASES}/img_${img}' -o '${REL_CASES}/img_${img}.table'")
  set_tests_properties(reliability.regression.image_claim_${img} PROPERTIES PASS_REGULAR_EXPRESSION
                       "pixels is out of range|height -2147483648 is out of range" TIMEOUT 60)
endforeach()
# LRN with size 1.6e9 over 5 channels walked the whole window per element (src/ops/normx.c): hours; now clipped
add_test(NAME reliability.regression.lrn_huge_size
         COMMAND replay_quantize ${REL_SRC}/../fuzz/regressions/quantize/lrn-huge-size)
set_tests_properties(reliability.regression.lrn_huge_size PROPERTIES TIMEOUT 30)
# AveragePool of an empty input ([2,3,4,4,0]) with end pads: every window is padding, and the planes' offsets from
# X's NULL data were undefined (src/ops/pool.c; lppool.c and qconv.c had the same; UBSan)
add_test(NAME reliability.regression.pool_empty_input_all_pad
         COMMAND replay_quantize ${REL_SRC}/../fuzz/regressions/quantize/averagepool-empty-input-all-pad)
# Einsum 'bij,bjk->iik': an output letter twice stepped its stride twice through the inputs, reading past them
# (src/ops/einsum.c, ASan); refused as in numpy
add_test(NAME reliability.regression.einsum_output_repeats_letter
         COMMAND replay_run ${REL_SRC}/../fuzz/regressions/run/einsum-output-repeats-letter)
# fuzz_calib_data: a batched .npy whose header claims 999999999 rows had the sample list (8 GB) allocated before
# checking the file holds them (calib/data.c)
add_test(NAME reliability.regression.npy_claimed_rows
         COMMAND replay_calib_data ${REL_SRC}/../fuzz/regressions/calib_data/npy-claimed-rows)
set_tests_properties(reliability.regression.npy_claimed_rows PROPERTIES TIMEOUT 30)

# The 1- vs 2-thread mismatches fuzz_run reported twice under heavy load (2026-12-03), never reproduced since:
# each input replayed 200 times, every replay comparing a 1-thread and a 2-thread session byte for byte.
foreach(_rel_in run-threads-differ-bitshift.onnx run-threads-differ-gemm.onnx)
  set(_rel_args)
  foreach(_rel_i RANGE 1 200)
    list(APPEND _rel_args ${REL_SRC}/../fuzz/regressions/run/${_rel_in})
  endforeach()
  string(REGEX REPLACE "^run-threads-differ-([a-z]+)\\.onnx$" "\\1" _rel_name ${_rel_in})
  add_test(NAME reliability.regression.threads_agree_${_rel_name} COMMAND replay_run ${_rel_args})
endforeach()

# fuzz_plan (final campaign, 2026-12-04): a value the rules have share another's params, given numbers of its own,
# is written with params_of naming itself, numbers that may equal its source's and its source's range; read back,
# the numbers were taken for sharing (the plan written after the run gave another model). params_of naming the
# value itself now keeps its numbers as its own (src/quant/qplan.c diff_edits).
add_test(NAME reliability.regression.plan_sharer_range_reread
         COMMAND replay_plan ${REL_SRC}/../fuzz/regressions/plan/plan-sharer-own-numbers-range-reread.json)
add_test(NAME reliability.regression.plan_sharer_own_numbers_equal_source
         COMMAND replay_plan ${REL_SRC}/../fuzz/regressions/plan/plan-sharer-own-numbers-equal-source.json)

# fuzz_run (session 9, 2026-12-04), UBSan: a float ReduceMean over an empty trailing extent summed from X's NULL
# data plus 0 (src/ops/reduce.c), and a float16 op whose half inputs are all empty advanced the unallocated widening
# buffer by 0 (src/ops/half.c)
add_test(NAME reliability.regression.reduce_empty_extent_no_data
         COMMAND replay_run ${REL_SRC}/../fuzz/regressions/run/reducemean-empty-axis-no-data)
add_test(NAME reliability.regression.half_inputs_all_empty
         COMMAND replay_run ${REL_SRC}/../fuzz/regressions/run/half-inputs-all-empty)
# fuzz_run (session 9), UBSan: Unique along an axis whose slices are empty (a zero extent after it) copied its
# uniques from and to data that is NULL (src/ops/index.c)
add_test(NAME reliability.regression.unique_axis_empty_slice
         COMMAND replay_run ${REL_SRC}/../fuzz/regressions/run/unique-axis-empty-slice)
