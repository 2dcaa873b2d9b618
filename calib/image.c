/* Image calibration data: PNG (libpng), JPEG (libjpeg-turbo) and BMP (by hand), resized and normalized into the
 * model's one image input. */
#include "calib/data.h"

oq_status oq_calib_image_setup(oq_calib_data *d, oq_error *err) {
  OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "%s: image folders are not supported yet", d->root);
}

oq_status oq_calib_image_load(const oq_calib_data *d, const char *path, oq_tensor *inputs, oq_error *err) {
  (void)d;
  (void)inputs;
  OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "%s: image folders are not supported yet", path);
}
