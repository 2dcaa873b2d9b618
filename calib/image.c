/* Image calibration data for a model with one image input: PNG (libpng), JPEG (libjpeg-turbo) and uncompressed BMP
 * (24/32-bit, by hand) decoded to 8-bit RGB or gray, resized bilinearly (stretch, or short side then center crop),
 * channel order RGB/BGR/GRAY, x = (pixel - mean) / std with pixels in 0..255, NCHW or NHWC. */
#define _POSIX_C_SOURCE 200809L

#include "calib/data.h"

#include "core/file.h"
#include "model/model.h"

#include <jpeglib.h>
#include <math.h>
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

oq_status oq_calib_image_setup(oq_calib_data *d, oq_error *err) {
  const oq_model *m = d->model;
  const oq_calib_options *o = d->opts;
  oq_calib_image *im = &d->img;
  if (oq_model_input_count(m) != 1)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "%s: image calibration needs a model with one input, this one has %d",
                  d->root, (int)oq_model_input_count(m));
  const oq_value *v = &m->graph.values[m->graph.inputs[0]];
  if (v->dtype != OQ_DTYPE_FLOAT && v->dtype != OQ_DTYPE_UINT8)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "%s: image input '%s' must be float32 or uint8, it is %s", d->root, v->name,
                  oq_dtype_name(v->dtype));
  if (v->ndim != 4)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "%s: image input '%s' must have rank 4 (NCHW or NHWC)", d->root, v->name);
  int64_t d1 = v->dims[1].value, d3 = v->dims[3].value;
  int nhwc;
  if (o->layout == OQ_LAYOUT_NCHW)
    nhwc = 0;
  else if (o->layout == OQ_LAYOUT_NHWC)
    nhwc = 1;
  else if (d1 == 1 || d1 == 3)
    nhwc = 0;
  else if (d3 == 1 || d3 == 3)
    nhwc = 1;
  else
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "%s: cannot tell the layout of input '%s': give --layout NCHW or NHWC",
                  d->root, v->name);
  int64_t c = nhwc ? d3 : d1, h = v->dims[nhwc ? 1 : 2].value, w = v->dims[nhwc ? 2 : 3].value;
  if (c < 0) c = o->color == OQ_COLOR_GRAY ? 1 : 3;
  if (c != 1 && c != 3)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "%s: input '%s' has %lld channels, images give 1 or 3", d->root, v->name,
                  (long long)c);
  if (o->color == OQ_COLOR_GRAY && c != 1)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "%s: --color GRAY needs a 1-channel input, '%s' has 3", d->root, v->name);
  if (o->image_h > 0) {
    if ((h >= 0 && h != o->image_h) || (w >= 0 && w != o->image_w))
      OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "%s: --image-size %d,%d does not fit input '%s' (%lldx%lld)", d->root,
                    (int)o->image_h, (int)o->image_w, v->name, (long long)h, (long long)w);
    h = o->image_h;
    w = o->image_w;
  }
  if (h <= 0 || w <= 0)
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "%s: input '%s' has no static image size: give --image-size H,W", d->root,
                  v->name);
  if ((o->n_mean > 1 && o->n_mean != c) || (o->n_std > 1 && o->n_std != c))
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "%s: --mean/--std need 1 or %lld values", d->root, (long long)c);
  if (v->dtype == OQ_DTYPE_UINT8 && (o->n_mean || o->n_std))
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "%s: input '%s' is uint8: raw pixels, --mean/--std do not apply", d->root,
                  v->name);
  im->h = (int32_t)h;
  im->w = (int32_t)w;
  im->c = (int32_t)c;
  im->nhwc = nhwc;
  im->dtype = v->dtype;
  for (int k = 0; k < 4; k++) {
    im->mean[k] = o->n_mean == 0 ? 0.0f : o->mean[o->n_mean == 1 ? 0 : k];
    im->std[k] = o->n_std == 0 ? 1.0f : o->std[o->n_std == 1 ? 0 : k];
  }
  return OQ_OK;
}

/* ---- decoders: 8-bit pixels, `ch` channels (1 gray or 3 RGB), row-major; the caller frees *px ---------------- */

/* Pixels of one image at most (8192 x 8192): a header of a few bytes claimed 32768 x 32768 and had its 1-3 GiB
 * allocated before any pixel was decoded. Calibration images are resized to the model's input anyway. */
#define IMAGE_MAX_PIXELS ((int64_t)1 << 26)

static oq_status read_png(const char *path, int ch, unsigned char **px, int *w, int *h, oq_error *err) {
  png_image img;
  memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path))
    OQ_RETURN_ERR(err, OQ_ERR_PARSE, "%s: unreadable PNG image: %s", path, img.message);
  img.format = ch == 1 ? PNG_FORMAT_GRAY : PNG_FORMAT_RGB;
  size_t n;
  if (img.width == 0 || img.height == 0 || img.width > 1 << 15 || img.height > 1 << 15 ||
      (uint64_t)img.width * img.height > IMAGE_MAX_PIXELS) {
    png_image_free(&img);
    OQ_RETURN_ERR(err, OQ_ERR_PARSE, "%s: PNG image of %ux%u pixels is out of range", path, img.width, img.height);
  }
  n = (size_t)img.width * img.height * (size_t)ch;
  *px = oq_malloc_array(n, 1, err);
  if (!*px) {
    png_image_free(&img);
    return OQ_ERR_NOMEM;
  }
  if (!png_image_finish_read(&img, NULL, *px, 0, NULL)) {
    free(*px);
    *px = NULL;
    OQ_RETURN_ERR(err, OQ_ERR_PARSE, "%s: corrupt PNG image: %s", path, img.message);
  }
  *w = (int)img.width;
  *h = (int)img.height;
  return OQ_OK;
}

typedef struct jerr {
  struct jpeg_error_mgr mgr;
  jmp_buf jb;
  char msg[JMSG_LENGTH_MAX];
} jerr;

static void jpeg_fail(j_common_ptr cinfo) {
  jerr *e = (jerr *)cinfo->err;
  (*cinfo->err->format_message)(cinfo, e->msg);
  longjmp(e->jb, 1);
}
static void jpeg_quiet(j_common_ptr cinfo, int level) { (void)cinfo, (void)level; }

static oq_status read_jpeg(const char *path, int ch, unsigned char **px, int *w, int *h, oq_error *err) {
  oq_status st = OQ_OK;
  FILE *f = oq_file_open_regular(path, err);
  if (!f) return err ? err->code : OQ_ERR_IO;
  struct jpeg_decompress_struct ci;
  jerr je;
  unsigned char *volatile buf = NULL;
  memset(&ci, 0, sizeof ci);
  ci.err = jpeg_std_error(&je.mgr);
  je.mgr.error_exit = jpeg_fail;
  je.mgr.emit_message = jpeg_quiet;
  if (setjmp(je.jb)) {
    jpeg_destroy_decompress(&ci);
    fclose(f);
    free(buf);
    OQ_RETURN_ERR(err, OQ_ERR_PARSE, "%s: unreadable JPEG image: %s", path, je.msg);
  }
  jpeg_create_decompress(&ci);
  jpeg_stdio_src(&ci, f);
  jpeg_read_header(&ci, TRUE);
  ci.out_color_space = ch == 1 ? JCS_GRAYSCALE : JCS_RGB;
  jpeg_start_decompress(&ci);
  if (ci.output_width > 1 << 15 || ci.output_height > 1 << 15 ||
      (uint64_t)ci.output_width * ci.output_height > IMAGE_MAX_PIXELS || ci.output_components != ch) {
    jpeg_destroy_decompress(&ci);
    fclose(f);
    OQ_RETURN_ERR(err, OQ_ERR_PARSE, "%s: JPEG image of %ux%u pixels is out of range", path, ci.output_width,
                  ci.output_height);
  }
  size_t stride = (size_t)ci.output_width * (size_t)ch;
  buf = oq_malloc_array(stride, ci.output_height, err);
  if (!buf) {
    st = OQ_ERR_NOMEM;
    jpeg_destroy_decompress(&ci);
    fclose(f);
    return st;
  }
  while (ci.output_scanline < ci.output_height) {
    JSAMPROW row = buf + (size_t)ci.output_scanline * stride;
    jpeg_read_scanlines(&ci, &row, 1);
  }
  jpeg_finish_decompress(&ci);
  *w = (int)ci.output_width;
  *h = (int)ci.output_height;
  jpeg_destroy_decompress(&ci);
  fclose(f);
  *px = buf;
  return OQ_OK;
}

static uint32_t le32(const unsigned char *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Uncompressed BMP (BITMAPINFOHEADER or later), 24 or 32 bits per pixel, bottom-up or top-down. */
static oq_status read_bmp(const char *path, int ch, unsigned char **px, int *w, int *h, oq_error *err) {
  oq_status st = OQ_OK;
  unsigned char hd[54];
  unsigned char *row = NULL, *out = NULL;
  FILE *f = oq_file_open_regular(path, err);
  if (!f) return err ? err->code : OQ_ERR_IO;
  if (fread(hd, 1, sizeof hd, f) != sizeof hd || hd[0] != 'B' || hd[1] != 'M')
    OQ_FAIL(err, OQ_ERR_PARSE, "%s: not a BMP image", path);
  uint32_t off = le32(hd + 10), hsz = le32(hd + 14);
  int32_t bw = (int32_t)le32(hd + 18), bh = (int32_t)le32(hd + 22);
  int bpp = hd[28] | hd[29] << 8;
  uint32_t comp = le32(hd + 30);
  if (hsz < 40 || (bpp != 24 && bpp != 32) || (comp != 0 && !(comp == 3 && bpp == 32)))
    OQ_FAIL(err, OQ_ERR_UNSUPPORTED, "%s: only uncompressed 24/32-bit BMP images are supported", path);
  int top_down = bh < 0;
  if (bh == INT32_MIN) OQ_FAIL(err, OQ_ERR_PARSE, "%s: BMP image height %d is out of range", path, (int)bh);
  if (bh < 0) bh = -bh; /* INT32_MIN was refused: -bh overflowed */
  if (bw <= 0 || bh <= 0 || bw > 1 << 15 || bh > 1 << 15 || (int64_t)bw * bh > IMAGE_MAX_PIXELS)
    OQ_FAIL(err, OQ_ERR_PARSE, "%s: BMP image of %dx%d pixels is out of range", path, (int)bw, (int)bh);
  size_t bytes = (size_t)bpp / 8, stride = ((size_t)bw * bytes + 3) & ~(size_t)3;
  /* uncompressed: the pixels must be in the file before their buffer is allocated */
  struct stat sb;
  if (fstat(fileno(f), &sb) != 0 || (uint64_t)sb.st_size < (uint64_t)off + (uint64_t)stride * (uint64_t)bh)
    OQ_FAIL(err, OQ_ERR_PARSE, "%s: truncated BMP image", path);
  row = oq_malloc_array(stride, 1, err);
  out = oq_malloc_array((size_t)bw * (size_t)bh, (size_t)ch, err);
  if (!row || !out) OQ_FAIL(err, OQ_ERR_NOMEM, "%s: out of memory", path);
  if (fseek(f, (long)off, SEEK_SET) != 0) OQ_FAIL(err, OQ_ERR_PARSE, "%s: truncated BMP image", path);
  for (int32_t y = 0; y < bh; y++) {
    if (fread(row, 1, stride, f) != stride) OQ_FAIL(err, OQ_ERR_PARSE, "%s: truncated BMP image", path);
    unsigned char *dst = out + (size_t)(top_down ? y : bh - 1 - y) * (size_t)bw * (size_t)ch;
    for (int32_t x = 0; x < bw; x++) {
      const unsigned char *p = row + (size_t)x * bytes; /* B, G, R */
      if (ch == 3) {
        dst[3 * x] = p[2];
        dst[3 * x + 1] = p[1];
        dst[3 * x + 2] = p[0];
      } else {
        dst[x] = (unsigned char)lrint(0.299 * p[2] + 0.587 * p[1] + 0.114 * p[0]);
      }
    }
  }
  *px = out;
  out = NULL;
  *w = bw;
  *h = bh;
fail:
  free(row);
  free(out);
  fclose(f);
  return st;
}

static int ext_is(const char *path, const char *a, const char *b) {
  const char *dot = strrchr(path, '.');
  if (!dot) return 0;
  char e[8] = {0};
  for (int i = 0; i < 7 && dot[1 + i]; i++) e[i] = (char)(dot[1 + i] | 0x20);
  return !strcmp(e, a) || (b && !strcmp(e, b));
}

oq_status oq_calib_image_load(const oq_calib_data *d, const char *path, oq_tensor *in, oq_error *err) {
  oq_status st = OQ_OK;
  const oq_calib_image *im = &d->img;
  unsigned char *px = NULL;
  int sw = 0, sh = 0, ch = im->c;
  if (ext_is(path, "png", NULL))
    OQ_CHECK(read_png(path, ch, &px, &sw, &sh, err));
  else if (ext_is(path, "jpg", "jpeg"))
    OQ_CHECK(read_jpeg(path, ch, &px, &sw, &sh, err));
  else
    OQ_CHECK(read_bmp(path, ch, &px, &sw, &sh, err));
  int64_t dims[4] = {1, im->nhwc ? im->h : im->c, im->nhwc ? im->w : im->h, im->nhwc ? im->c : im->w};
  OQ_CHECK(oq_tensor_alloc(&in[0], im->dtype, 4, dims, err));
  /* source coordinates of the output grid: stretch maps the whole image; short-side scales by the larger factor and
   * crops the center */
  double fy = (double)im->h / sh, fx = (double)im->w / sw, oy = 0, ox = 0;
  if (d->opts->resize == OQ_RESIZE_SHORT_SIDE) {
    double f = fy > fx ? fy : fx;
    oy = (sh * f - im->h) / 2;
    ox = (sw * f - im->w) / 2;
    fy = fx = f;
  }
  int bgr = d->opts->color == OQ_COLOR_BGR && ch == 3;
  for (int32_t y = 0; y < im->h; y++) {
    double syf = (y + oy + 0.5) / fy - 0.5;
    if (syf < 0) syf = 0;
    int y0 = (int)syf;
    if (y0 > sh - 1) y0 = sh - 1;
    int y1 = y0 + 1 < sh ? y0 + 1 : sh - 1;
    double wy = syf - y0;
    if (wy > 1) wy = 1;
    for (int32_t x = 0; x < im->w; x++) {
      double sxf = (x + ox + 0.5) / fx - 0.5;
      if (sxf < 0) sxf = 0;
      int x0 = (int)sxf;
      if (x0 > sw - 1) x0 = sw - 1;
      int x1 = x0 + 1 < sw ? x0 + 1 : sw - 1;
      double wx = sxf - x0;
      if (wx > 1) wx = 1;
      for (int c = 0; c < ch; c++) {
        int sc = bgr ? ch - 1 - c : c;
        const unsigned char *r0 = px + (size_t)y0 * (size_t)sw * (size_t)ch,
                            *r1 = px + (size_t)y1 * (size_t)sw * (size_t)ch;
        double v = (1 - wy) * ((1 - wx) * r0[x0 * ch + sc] + wx * r0[x1 * ch + sc]) +
                   wy * ((1 - wx) * r1[x0 * ch + sc] + wx * r1[x1 * ch + sc]);
        size_t idx = im->nhwc ? ((size_t)y * (size_t)im->w + (size_t)x) * (size_t)ch + (size_t)c
                              : ((size_t)c * (size_t)im->h + (size_t)y) * (size_t)im->w + (size_t)x;
        if (im->dtype == OQ_DTYPE_UINT8)
          ((unsigned char *)in[0].data)[idx] = (unsigned char)lrint(v);
        else
          ((float *)in[0].data)[idx] = (float)((v - im->mean[c]) / im->std[c]);
      }
    }
  }
fail:
  free(px);
  if (st != OQ_OK) oq_tensor_release(&in[0]);
  return st;
}
