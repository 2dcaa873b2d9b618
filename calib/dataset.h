/* Sample folders: one file per model input, either `<sanitized input name>.npy` or `input_<k>.pb` (a serialized
 * ONNX TensorProto, k = index among the model's fed inputs). oq_sample_load (public, onnxq.h) reads one folder. */
#ifndef OQ_CALIB_DATASET_H
#define OQ_CALIB_DATASET_H

#include "core/error.h"

/* The file-name stem for a tensor name: every character other than ASCII letters, digits, '.', '_' and '-' becomes
 * '_'; an empty name or one made only of dots becomes that many '_' (so "." and ".." never name a folder).
 * Returns a malloc'd string, or NULL with OQ_ERR_NOMEM recorded. */
char *oq_sample_file_stem(const char *name, oq_error *err);

#endif
