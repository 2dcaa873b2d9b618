/* Public entry: calibrate on a folder of samples (MinMax), then rewrite into QDQ form (plan, emit, wrap). */
#include "calib/range.h"
#include "prep/prep.h"
#include "quant/qplan.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/* The first layout with a size field; fields added later go after it. */
#define QUANT_OPTIONS_SIZE_V1 (offsetof(oq_quant_options, per_channel) + sizeof(int32_t))

void oq_quant_options_init(oq_quant_options *opts) {
  if (!opts) return;
  memset(opts, 0, sizeof *opts);
  opts->size = sizeof *opts;
  opts->threads = 1;
  opts->per_channel = 1;
  opts->fold = 1;
  opts->percentile = 99.999;
  opts->bins = 2048;
  opts->levels = 128;
}

static void release_plan(void *plan) { oq_qplan_free(plan); }

oq_status oq_quant_rewrite(const oq_model *model, const oq_calib_stats *stats, const oq_quant_options *opts,
                           oq_model **out, oq_error *err) {
  oq_status st = OQ_OK;
  oq_qplan *plan = NULL;
  oq_edit *ed = NULL;
  Onnx__ModelProto *proto = NULL;
  if (!model || !stats || !out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_quant_rewrite: NULL argument");
  *out = NULL;
  OQ_CHECK(oq_qplan_build(model, stats, opts, &plan, err));
  size_t names = (size_t)model->graph.n_values * 4 + 16;
  OQ_CHECK(oq_edit_create(names, &ed, err));
  OQ_CHECK(oq_quant_emit(model, plan, ed, &proto, err));
  /* the new initializers borrow the plan's quantized bytes: it lives as long as the edit context */
  st = oq_edit_adopt(ed, plan, release_plan, err);
  plan = NULL;
  if (st != OQ_OK) goto fail;
  st = oq_model_wrap_built(proto, ed, model, out, err); /* owns ed from here, also on failure */
  ed = NULL;
fail:
  oq_edit_free(ed);
  oq_qplan_free(plan);
  return st;
}

oq_status oq_quantize(const oq_model *model, const char *calib_dir, const oq_quant_options *opts, oq_model **out,
                      oq_error *err) {
  oq_status st = OQ_OK;
  uint8_t *tracked = NULL;
  oq_calib_stats stats = {0};
  oq_model *prepared = NULL;
  oq_prep_options prep;
  oq_quant_options defaults;
  if (err) oq_error_clear(err);
  if (!out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_quantize: out is NULL");
  *out = NULL;
  if (!model) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_quantize: model is NULL");
  if (!calib_dir) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_quantize: calibration folder is NULL");
  oq_quant_options_init(&defaults);
  if (opts) OQ_CHECK(oq_options_take(&defaults, sizeof defaults, QUANT_OPTIONS_SIZE_V1, opts, "oq_quantize", err));
  opts = &defaults;
  if (opts->threads < 0) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_quantize: negative thread count %d", opts->threads);
  OQ_CHECK(oq_calib_check_options(opts, err));
  /* preparation: opset conversion to what Q/DQ with per-channel weights needs, folding (src/prep) */
  oq_prep_options_init(&prep);
  prep.opset = 13;
  prep.fold = opts->fold != 0;
  OQ_CHECK(oq_prep_model(model, &prep, &prepared, err));
  model = prepared;
  OQ_CHECK(oq_quant_tracked_values(model, &tracked, err));
  OQ_CHECK(oq_calib_stats_init(&stats, model->graph.n_values, tracked, err));
  OQ_CHECK(oq_calib_stats_init_extra(&stats, opts->method == OQ_CALIB_MINMAX ? 0 : opts->bins, err));
  OQ_CHECK(oq_calib_run(model, calib_dir, opts->threads, &stats, err));
  OQ_CHECK(oq_quant_rewrite(model, &stats, opts, out, err));
fail:
  oq_calib_stats_free(&stats);
  free(tracked);
  oq_model_free(prepared);
  return st;
}
