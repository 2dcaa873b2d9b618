/* Public entry: calibrate on a folder of samples (the range method of the options), then rewrite into QDQ form
 * (plan, plan-file edits, emit, provenance, wrap); --plan-out writes the plan next to it. */
#include "calib/range.h"
#include "ops/op.h"
#include "prep/prep.h"
#include "quant/qplan.h"

#include "calib/calib.h"
#include "xxhash.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
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
  opts->weight_symmetric = 1;
}

static void release_plan(void *plan) { oq_qplan_free(plan); }

/* What oq_quantize knows about the run, for the provenance metadata. */
typedef struct provenance {
  int64_t samples;     /* calibration samples */
  uint64_t calib_hash; /* XXH3-64 of the calibration tensors */
} provenance;

static const char *method_name(int32_t m) {
  switch (m) {
  case OQ_CALIB_MINMAX: return "minmax";
  case OQ_CALIB_PERCENTILE: return "percentile";
  case OQ_CALIB_ENTROPY: return "entropy";
  case OQ_CALIB_MSE: return "mse";
  }
  return "unknown";
}

/* A string copied into the edit context (it lives as long as the built model). */
static const char *ed_printf(oq_edit *ed, oq_error *err, const char *fmt, ...) OQ_PRINTF(3, 4);
static const char *ed_printf(oq_edit *ed, oq_error *err, const char *fmt, ...) {
  char tmp[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return NULL;
  if ((size_t)n >= sizeof tmp) n = (int)sizeof tmp - 1;
  char *s = oq_edit_alloc(ed, (size_t)n + 1, 1, err);
  if (s) memcpy(s, tmp, (size_t)n + 1);
  return s;
}

static oq_status add_provenance(oq_edit *ed, Onnx__ModelProto *mp, const oq_quant_options *o, const provenance *pv,
                                const oq_qplan *plan, oq_error *err) {
  const char *kv[12];
  size_t n = 0;
  int32_t at = o && o->act_type ? o->act_type : OQ_DTYPE_UINT8;
  int32_t wt = o && o->weight_type ? o->weight_type : OQ_DTYPE_INT8;
  int trt = o && o->preset == OQ_PRESET_TENSORRT;
  if (trt) at = wt = OQ_DTYPE_INT8;
  kv[n++] = "onnxq.version";
  kv[n++] = oq_version();
  kv[n++] = "onnxq.method";
  kv[n++] = method_name(o ? o->method : 0);
  /* plan_edited is a flag, not a count: the count depends on the defaults the edits are measured against, and the
   * plan a run writes, applied again, must give the same bytes */
  kv[n++] = "onnxq.options";
  kv[n++] = ed_printf(
      ed, err,
      "preset=%s activations=%s%s weights=%s%s %s reduce_range=%d block_size=%d pow2_scales=%d "
      "align_concat=%d keep_float_io=%d op_types=%d include_nodes=%d exclude_nodes=%d "
      "plan_edited=%d",
      trt ? "tensorrt" : "onnxruntime", oq_dtype_name(at), trt || (o && o->act_symmetric) ? "/symmetric" : "",
      oq_dtype_name(wt), trt || !o || o->weight_symmetric ? "/symmetric" : "",
      !o || o->per_channel ? "per_channel" : "per_tensor", o ? o->reduce_range != 0 : 0, o ? (int)o->block_size : 0,
      o ? o->pow2_scales != 0 : 0, o ? o->align_concat != 0 : 0, o ? o->keep_float_io != 0 : 0,
      o ? (int)o->n_op_types : 0, o ? (int)o->n_include_nodes : 0, o ? (int)o->n_exclude_nodes : 0, plan->n_edited > 0);
  kv[n++] = "onnxq.calibration_samples";
  kv[n++] = pv ? ed_printf(ed, err, "%lld", (long long)pv->samples) : "unknown";
  kv[n++] = "onnxq.calibration_xxh3";
  kv[n++] = pv ? ed_printf(ed, err, "%016llx", (unsigned long long)pv->calib_hash) : "unknown";
  for (size_t i = 0; i < n; i++)
    if (!kv[i]) return OQ_ERR_NOMEM;
  return oq_quant_emit_provenance(ed, mp, kv, n / 2, err);
}

/* Writes text to path: a temporary file next to it, then a rename, so a failure leaves no partial plan. */
static oq_status write_text(const char *path, const char *text, oq_error *err) {
  size_t pl = strlen(path);
  char *tmp = oq_malloc_array(pl + 16, 1, err);
  if (!tmp) return OQ_ERR_NOMEM;
  snprintf(tmp, pl + 16, "%s.tmp-onnxq", path);
  FILE *f = fopen(tmp, "wb");
  oq_status st = OQ_OK;
  if (!f) {
    oq_error_set(err, OQ_ERR_IO, __FILE__, __LINE__, "%s: cannot write the plan", path);
    oq_free(tmp);
    return OQ_ERR_IO;
  }
  size_t len = strlen(text);
  int ok = fwrite(text, 1, len, f) == len && fputc('\n', f) != EOF;
  ok = (fclose(f) == 0) && ok;
  if (!ok || rename(tmp, path) != 0) {
    remove(tmp);
    st = oq_error_set(err, OQ_ERR_IO, __FILE__, __LINE__, "%s: cannot write the plan", path);
  }
  oq_free(tmp);
  return st;
}

static oq_status rewrite(const oq_model *model, const oq_calib_stats *stats, const oq_quant_options *opts,
                         const oq_qedits *edits, const provenance *pv, oq_model **out, oq_error *err) {
  oq_status st = OQ_OK;
  oq_qplan *plan = NULL;
  oq_edit *ed = NULL;
  Onnx__ModelProto *proto = NULL;
  char *json = NULL;
  if (!model || !stats || !out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_quant_rewrite: NULL argument");
  *out = NULL;
  OQ_CHECK(oq_qplan_build_edited(model, stats, opts, edits, &plan, err));
  size_t names = (size_t)model->graph.n_values * 4 + 16;
  OQ_CHECK(oq_edit_create(names, &ed, err));
  OQ_CHECK(oq_quant_emit(model, plan, ed, &proto, err));
  OQ_CHECK(add_provenance(ed, proto, opts, pv, plan, err));
  if (opts && opts->plan_out) {
    OQ_CHECK(oq_qplan_describe(plan, &json, err));
    OQ_CHECK(write_text(opts->plan_out, json, err));
  }
  /* the new initializers borrow the plan's quantized bytes: it lives as long as the edit context */
  st = oq_edit_adopt(ed, plan, release_plan, err);
  plan = NULL;
  if (st != OQ_OK) goto fail;
  st = oq_model_wrap_built(proto, ed, model, out, err); /* owns ed from here, also on failure */
  ed = NULL;
fail:
  oq_free(json);
  oq_edit_free(ed);
  oq_qplan_free(plan);
  return st;
}

/* A model that already holds quantized nodes: the first such node, or -1. */
static int32_t quantized_node(const oq_model *model) {
  const oq_graph *g = &model->graph;
  for (int32_t n = 0; n < g->n_nodes; n++) {
    const char *op = g->nodes[n].proto->op_type ? g->nodes[n].proto->op_type : "";
    if (!strcmp(op, "QuantizeLinear") || !strcmp(op, "DequantizeLinear") || !strncmp(op, "QLinear", 7) ||
        !strcmp(op, "DynamicQuantizeLinear") || !strcmp(op, "MatMulInteger") || !strcmp(op, "ConvInteger") ||
        !strcmp(op, "MatMulNBits") || !strcmp(op, "QGemm") || !strcmp(op, "MatMulIntegerToFloat"))
      return n;
  }
  return -1;
}

/* XXH3-64 of the calibration data behind stats: its sample identities (xxh64 of each sample's inputs, sorted, so
 * independent of order, threads and shards) when it carries them, else its statistics (sample count, ranges). */
static oq_status calibration_hash(const oq_calib_stats *s, uint64_t *out, oq_error *err) {
  if (s->n_ids > 0) {
    uint64_t *ids = oq_malloc_array(s->n_ids, sizeof *ids, err);
    if (!ids) return OQ_ERR_NOMEM;
    memcpy(ids, s->sample_ids, s->n_ids * sizeof *ids);
    for (size_t i = 1; i < s->n_ids; i++) /* insertion sort: ids arrive nearly sorted */
      for (size_t k = i; k > 0 && ids[k - 1] > ids[k]; k--) {
        uint64_t t = ids[k];
        ids[k] = ids[k - 1];
        ids[k - 1] = t;
      }
    *out = XXH3_64bits(ids, s->n_ids * sizeof *ids);
    oq_free(ids);
    return OQ_OK;
  }
  XXH3_state_t *h = XXH3_createState();
  if (!h) OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "out of memory");
  XXH3_64bits_reset(h);
  XXH3_64bits_update(h, &s->n_samples, sizeof s->n_samples);
  for (int32_t v = 0; v < s->n_values; v++) {
    if (!s->seen[v]) continue;
    XXH3_64bits_update(h, &s->min[v], sizeof s->min[v]);
    XXH3_64bits_update(h, &s->max[v], sizeof s->max[v]);
  }
  *out = XXH3_64bits_digest(h);
  XXH3_freeState(h);
  return OQ_OK;
}

oq_status oq_quant_rewrite(const oq_model *model, const oq_calib_stats *stats, const oq_quant_options *opts,
                           oq_model **out, oq_error *err) {
  oq_status st = OQ_OK;
  oq_qedits edits = {NULL, 0};
  provenance pv = {0, 0};
  if (!model || !stats || !out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_quant_rewrite: NULL argument");
  *out = NULL;
  if (!opts || !opts->requantize) {
    int32_t qn = quantized_node(model);
    if (qn >= 0)
      OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED,
                    "quantize: the model is already quantized (node '%s' is %s); use --requantize to quantize it again",
                    model->graph.nodes[qn].proto->name ? model->graph.nodes[qn].proto->name : "",
                    model->graph.nodes[qn].proto->op_type);
  }
  pv.samples = stats->n_samples;
  OQ_CHECK(calibration_hash(stats, &pv.calib_hash, err));
  if (opts && opts->plan_in) OQ_CHECK(oq_qedits_read(opts->plan_in, &edits, err));
  st = rewrite(model, stats, opts, opts && opts->plan_in ? &edits : NULL, &pv, out, err);
  if (st != OQ_OK && opts && opts->plan_in && err && !strncmp(err->msg, "plan: ", 6)) {
    /* an edit the model refuses: the plan file is the subject */
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err->msg + 6);
    oq_error_set(err, st, __FILE__, __LINE__, "%s: %s", opts->plan_in, msg);
    oq_error_subject(err, OQ_SUBJECT_FILE, opts->plan_in);
  }
fail:
  oq_qedits_free(&edits);
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
  /* a model newer than the QuantizeLinear/DequantizeLinear onnxq knows is refused here: it would calibrate and be
   * written, and the written model would then not run (fuzz_quantize: opset 25) */
  {
    int64_t opset = oq_model_opset(model, "");
    const oq_op_def *qdef = NULL;
    if (opset > 0 && oq_op_resolve("QuantizeLinear", "", opset, &qdef) == OQ_OP_TOO_NEW)
      OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED,
                    "the model's default-domain opset %lld is newer than the newest onnxq quantizes (%d)",
                    (long long)opset, (int)qdef->max_opset);
  }
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
