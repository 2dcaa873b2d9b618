/* Public entry: calibrate on a folder of samples, then rewrite into QDQ form (plan, plan-file edits, emit,
 * provenance, wrap); --plan-out writes the plan next to it. */
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
  kv[n++] = "onnxq.options";
  kv[n++] =
      ed_printf(ed, err,
                "preset=%s activations=%s%s weights=%s%s %s reduce_range=%d block_size=%d pow2_scales=%d "
                "align_concat=%d keep_float_io=%d op_types=%d include_nodes=%d exclude_nodes=%d "
                "plan_edits=%d",
                trt ? "tensorrt" : "onnxruntime", oq_dtype_name(at), trt || (o && o->act_symmetric) ? "/symmetric" : "",
                oq_dtype_name(wt), trt || !o || o->weight_symmetric ? "/symmetric" : "",
                !o || o->per_channel ? "per_channel" : "per_tensor", o ? o->reduce_range != 0 : 0,
                o ? (int)o->block_size : 0, o ? o->pow2_scales != 0 : 0, o ? o->align_concat != 0 : 0,
                o ? o->keep_float_io != 0 : 0, o ? (int)o->n_op_types : 0, o ? (int)o->n_include_nodes : 0,
                o ? (int)o->n_exclude_nodes : 0, (int)plan->n_edited);
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

oq_status oq_quant_rewrite(const oq_model *model, const oq_calib_stats *stats, const oq_quant_options *opts,
                           oq_model **out, oq_error *err) {
  return rewrite(model, stats, opts, NULL, NULL, out, err);
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

/* XXH3-64 over every calibration sample's tensors (dtype, shape, bytes), in the order calibration reads them. */
static oq_status hash_calibration(const oq_model *model, const char *dir, provenance *pv, oq_error *err) {
  char **paths = NULL;
  size_t count = 0;
  oq_status st = oq_calib_list_samples(dir, &paths, &count, err);
  if (st != OQ_OK) return st;
  int32_t ni = oq_model_input_count(model);
  oq_tensor *ts = oq_calloc(ni > 0 ? (size_t)ni : 1, sizeof *ts, err);
  XXH3_state_t *h = XXH3_createState();
  if (!ts || !h) {
    st = OQ_ERR_NOMEM;
    if (err && err->code == OQ_OK) oq_error_set(err, st, __FILE__, __LINE__, "out of memory");
    goto done;
  }
  XXH3_64bits_reset(h);
  for (size_t i = 0; i < count; i++) {
    st = oq_sample_load(model, paths[i], ni, ts, err);
    if (st != OQ_OK) goto done;
    for (int32_t k = 0; k < ni; k++) {
      int64_t hdr[2 + OQ_MAX_DIMS] = {ts[k].dtype, ts[k].ndim};
      for (int32_t d = 0; d < ts[k].ndim && d < OQ_MAX_DIMS; d++) hdr[2 + d] = ts[k].dims[d];
      XXH3_64bits_update(h, hdr, sizeof hdr);
      if (ts[k].nbytes) XXH3_64bits_update(h, ts[k].data, ts[k].nbytes);
      oq_tensor_release(&ts[k]);
    }
  }
  pv->samples = (int64_t)count;
  pv->calib_hash = XXH3_64bits_digest(h);
done:
  if (ts)
    for (int32_t k = 0; k < ni; k++) oq_tensor_release(&ts[k]);
  oq_free(ts);
  if (h) XXH3_freeState(h);
  oq_calib_paths_free(paths, count);
  return st;
}

oq_status oq_quantize(const oq_model *model, const char *calib_dir, const oq_quant_options *opts, oq_model **out,
                      oq_error *err) {
  oq_status st = OQ_OK;
  uint8_t *tracked = NULL;
  oq_calib_stats stats = {0};
  oq_quant_options defaults;
  oq_qedits edits = {NULL, 0};
  provenance pv = {0, 0};
  if (err) oq_error_clear(err);
  if (!out) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_quantize: out is NULL");
  *out = NULL;
  if (!model) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_quantize: model is NULL");
  if (!calib_dir) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_quantize: calibration folder is NULL");
  oq_quant_options_init(&defaults);
  if (opts) OQ_CHECK(oq_options_take(&defaults, sizeof defaults, QUANT_OPTIONS_SIZE_V1, opts, "oq_quantize", err));
  opts = &defaults;
  if (opts->threads < 0) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_quantize: negative thread count %d", opts->threads);
  if (opts->method != OQ_CALIB_MINMAX)
    OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED, "oq_quantize: range method %d is not implemented", (int)opts->method);
  if (!opts->requantize) {
    int32_t qn = quantized_node(model);
    if (qn >= 0)
      OQ_RETURN_ERR(err, OQ_ERR_UNSUPPORTED,
                    "quantize: the model is already quantized (node '%s' is %s); use --requantize to quantize it again",
                    model->graph.nodes[qn].proto->name ? model->graph.nodes[qn].proto->name : "",
                    model->graph.nodes[qn].proto->op_type);
  }
  if (opts->plan_in) OQ_CHECK(oq_qedits_read(opts->plan_in, &edits, err));
  OQ_CHECK(oq_quant_tracked_values(model, &tracked, err));
  OQ_CHECK(oq_calib_stats_init(&stats, model->graph.n_values, tracked, err));
  OQ_CHECK(oq_calib_run(model, calib_dir, opts->threads, &stats, err));
  OQ_CHECK(hash_calibration(model, calib_dir, &pv, err));
  st = rewrite(model, &stats, opts, opts->plan_in ? &edits : NULL, &pv, out, err);
  if (st != OQ_OK && opts->plan_in && err && !strncmp(err->msg, "plan: ", 6)) {
    /* an edit the model refuses: the plan file is the subject */
    char msg[sizeof err->msg];
    snprintf(msg, sizeof msg, "%s", err->msg + 6);
    oq_error_set(err, st, __FILE__, __LINE__, "%s: %s", opts->plan_in, msg);
    oq_error_subject(err, OQ_SUBJECT_FILE, opts->plan_in);
  }
fail:
  oq_qedits_free(&edits);
  oq_calib_stats_free(&stats);
  free(tracked);
  return st;
}
