# Calibration from the command line (tests/calib/cases.sh): thread/shard determinism of tables, merge refusals, data
# formats, TensorRT cache, bad option values, progress; and the digits accuracy in onnxruntime for every method.
find_program(ONNXQ_NODE NAMES node nodejs)
if(NOT ONNXQ_NODE)
  set(ONNXQ_NODE node)
endif()
set(ONNXQ_PYTHON3 /usr/bin/python3 CACHE FILEPATH "Python with the onnx package, for the ONNX checker")
foreach(c threads_and_shards_identical merge_refusals formats images trt_cache bad_values progress)
  add_test(NAME calib.${c}
           COMMAND sh ${PROJECT_SOURCE_DIR}/tests/calib/cases.sh ${c} $<TARGET_FILE:onnxq_cli> ${PROJECT_SOURCE_DIR}
                   ${PROJECT_BINARY_DIR}/calib_tmp/${c} ${ONNXQ_PYTHON3} ${ONNXQ_NODE})
endforeach()

# Every range method keeps the digits accuracy in onnxruntime within 0.5 points of the float model.
foreach(m minmax percentile entropy mse)
  add_test(NAME calib.digits_accuracy_${m}
           COMMAND sh -c "mkdir -p '${PROJECT_BINARY_DIR}/calib_tmp' && '$<TARGET_FILE:onnxq_cli>' quantize \
'${PROJECT_SOURCE_DIR}/samples/digits/model.onnx' --calib '${PROJECT_SOURCE_DIR}/samples/digits/calib' \
-o '${PROJECT_BINARY_DIR}/calib_tmp/digits_${m}.onnx' --method ${m} --threads 2 >/dev/null && '${ONNXQ_NODE}' \
'${PROJECT_SOURCE_DIR}/tests/e2e/compare_ort.mjs' '${PROJECT_SOURCE_DIR}/samples/digits/model.onnx' \
'${PROJECT_BINARY_DIR}/calib_tmp/digits_${m}.onnx' '${PROJECT_SOURCE_DIR}/samples/digits/test/images.npy' \
'${PROJECT_SOURCE_DIR}/samples/digits/test/labels.npy' --max-drop 0.005 --max-rel 0.1")
endforeach()
