/* Sample folders: one file per model input, either `<sanitized input name>.npy` or `input_<k>.pb` (a serialized
 * ONNX TensorProto, k = index among the model's fed inputs). oq_sample_load (public, onnxq.h) reads one folder. */
#ifndef OQ_CALIB_DATASET_H
#define OQ_CALIB_DATASET_H

#include "core/error.h"

/* oq_sample_load and oq_sample_file_stem are public (onnxq.h); nothing else is shared yet. */

#endif
