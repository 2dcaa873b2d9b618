/* Calibration data sources (calib/data.c): sample folders, .npz per sample, .npy per input with a batch axis, image
 * folders (calib/image.c). Opening lists the samples and fixes the selection (shuffle, limit, shard); loading a
 * sample reads only that sample. */
#ifndef OQ_CALIB_DATA_H
#define OQ_CALIB_DATA_H

#include "calib/calib.h"

typedef enum oq_data_kind { OQ_DATA_FOLDERS, OQ_DATA_NPZ, OQ_DATA_NPY, OQ_DATA_IMAGES } oq_data_kind;

typedef struct oq_calib_npy {
  int32_t dtype, ndim;
  int64_t dims[OQ_MAX_DIMS]; /* dims[0]: samples */
  size_t off;                /* data offset in the file */
  size_t row;                /* bytes per sample */
} oq_calib_npy;

/* Image decoding parameters resolved against the model's input. */
typedef struct oq_calib_image {
  int32_t h, w, c; /* target size and channels */
  int32_t nhwc;    /* 1: NHWC input */
  int32_t dtype;   /* input dtype (float or uint8) */
  float mean[4], std[4];
} oq_calib_image;

typedef struct oq_calib_data {
  int32_t kind;                 /* oq_data_kind */
  const oq_model *model;        /* borrowed */
  const oq_calib_options *opts; /* borrowed */
  char *root;                   /* owned copy of the path */
  char **paths;                 /* owned: sample folders / .npz / .npy / images, name order */
  size_t n_paths;
  const char **npy_file; /* NPY: per input, borrowed from paths */
  oq_calib_npy *npy;     /* NPY: per input header */
  oq_calib_image img;    /* IMAGES */
  size_t n_total;        /* samples available */
  size_t *order;         /* selected sample indices, in run order */
  size_t n;              /* selected */
} oq_calib_data;

oq_status oq_calib_data_open(const oq_model *m, const char *path, const oq_calib_options *o, oq_calib_data *d,
                             oq_error *err);
void oq_calib_data_close(oq_calib_data *d);
/* Loads selected sample i (0..n) into inputs (model input order, owned tensors); errors name the file. */
oq_status oq_calib_data_load(const oq_calib_data *d, size_t i, oq_tensor *inputs, oq_error *err);
/* The file (or "dir[row]") selected sample i comes from. */
const char *oq_calib_data_name(const oq_calib_data *d, size_t i, char *buf, size_t cap);

/* calib/image.c */
oq_status oq_calib_image_setup(oq_calib_data *d, oq_error *err);
oq_status oq_calib_image_load(const oq_calib_data *d, const char *path, oq_tensor *inputs, oq_error *err);

#endif
