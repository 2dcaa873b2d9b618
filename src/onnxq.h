/*
 * onnxq — post-training quantization of ONNX models.
 *
 * The one public header of libonnxq. The library loads a float32 ONNX model (oq_model), runs it on its own CPU
 * executor (oq_session), calibrates activation ranges from sample folders and rewrites the model into QDQ form
 * (QuantizeLinear/DequantizeLinear around quantizable ops, int8 weights as initializers), then saves it.
 *
 * Design in brief (see docs/ and DESIGN.md):
 *   load     protobuf-c unpacks the ModelProto; it stays read-only and is written back unchanged except where we
 *            rewrite, so nothing we do not understand (metadata, functions, unknown fields) is lost.
 *   index    values + nodes with producer/consumer maps, topological order, opsets, dtype/shape, fingerprint.
 *   execute  each node's operator is resolved once; an observer hook sees every tensor right after its node.
 *   quantize calibration statistics -> ranges -> scale/zero-point -> Q/DQ insertion -> new ModelProto.
 *
 * Conventions: every fallible function returns oq_status and, on failure, fills the caller's oq_error (which may
 * be NULL) with a one-line message and the subject at fault. The library never prints and never exits. Whoever
 * allocates frees: objects returned through out-parameters are owned by the caller and released with the matching
 * *_free function; memory returned as a plain pointer (oq_model_describe's text) is released with oq_free. Arrays
 * travel with their element counts, which the library checks. Option structs start with a `size` field set by
 * their _init function: a program built against an older, smaller struct keeps working with a newer library.
 *
 * Threads: the library keeps two process-wide settings and no other global mutable state: an allocation hook
 * that only the library's own tests change, and the resource limits of oq_set_limits (atomics; set them before
 * runs start: moving them into the session and quantization options is planned). A loaded oq_model is read-only: any
 * number of threads may use one model at once (sessions, oq_quantize, describe, save) as long as none frees it. An
 * oq_session runs one oq_session_run at a time; use one session per thread (they may share the model). oq_quantize is
 * reentrant: it starts and joins its own calibration threads and shares nothing between calls. oq_error and tensors
 * belong to the caller's thread.
 */
#ifndef ONNXQ_H
#define ONNXQ_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OQ_VERSION_MAJOR  0
#define OQ_VERSION_MINOR  1
#define OQ_VERSION_PATCH  0
#define OQ_VERSION_STRING "0.1.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH, comparable with oq_version_number() at run time. */
#define OQ_VERSION_NUMBER (OQ_VERSION_MAJOR * 10000 + OQ_VERSION_MINOR * 100 + OQ_VERSION_PATCH)

/* The shared library exports exactly the functions declared here; everything else is built hidden. (Linux/ELF
 * only for now, hence no dllimport branch.) */
#if defined(ONNXQ_BUILDING_LIBRARY) && defined(__GNUC__)
#define OQ_API __attribute__((visibility("default")))
#else
#define OQ_API
#endif

typedef enum oq_status {
  OQ_OK = 0,
  OQ_ERR_INVALID_ARG = 1, /* caller passed something unusable (bad option, NULL, same in/out path) */
  OQ_ERR_IO = 2,          /* a file could not be read or written */
  OQ_ERR_PARSE = 3,       /* bytes are not a valid protobuf / npy / table */
  OQ_ERR_MODEL = 4,       /* the model is malformed (cycle, dangling input, bad tensor) */
  OQ_ERR_UNSUPPORTED = 5, /* valid but not handled (unknown op, dtype) */
  OQ_ERR_SHAPE = 6,       /* shapes or dtypes do not agree */
  OQ_ERR_NOMEM = 7,       /* allocation failed or a size overflowed */
  OQ_ERR_INTERNAL = 8     /* a bug in onnxq */
} oq_status;

/* What a failure is about, as recorded in oq_error.subject_kind. */
typedef enum oq_subject_kind {
  OQ_SUBJECT_NONE = 0,  /* nothing more specific than the message */
  OQ_SUBJECT_FILE = 1,  /* a file (model, external data, sample, output): subject is its path */
  OQ_SUBJECT_NODE = 2,  /* a graph node: subject is its name (its op type when unnamed) */
  OQ_SUBJECT_VALUE = 3, /* a graph value (input, output, initializer): subject is its name */
  OQ_SUBJECT_OPTION = 4 /* a field of an option struct or an argument: subject is its name */
} oq_subject_kind;

#define OQ_ERROR_MSG_MAX     1024 /* bytes of oq_error.msg and .path, with the NUL */
#define OQ_ERROR_SUBJECT_MAX 256  /* bytes of oq_error.subject, with the NUL (longer names are cut) */

/* Error record filled by a failing call. msg is one line, never ends with a newline. The structured fields let a
 * program act on a failure without parsing msg: subject is the innermost thing at fault (the node inside the
 * model, the input inside the sample file), path the outermost file the message names. */
typedef struct oq_error {
  oq_status code;                     /* OQ_OK when nothing failed */
  char msg[OQ_ERROR_MSG_MAX];         /* human readable, names the file/node/value at fault */
  const char *file;                   /* onnxq source file that recorded it, relative to the source root */
  int line;                           /* line in that file */
  int32_t subject_kind;               /* oq_subject_kind */
  char subject[OQ_ERROR_SUBJECT_MAX]; /* name of the subject; "" with OQ_SUBJECT_NONE */
  char path[OQ_ERROR_MSG_MAX];        /* file named by msg (model, sample, output), "" when none */
} oq_error;

OQ_API const char *oq_version(void);
OQ_API int32_t oq_version_number(void); /* OQ_VERSION_NUMBER of the library actually loaded */
OQ_API const char *oq_status_name(oq_status st);
/* Releases memory the library returned as a plain pointer (oq_model_describe's text). NULL is allowed. */
OQ_API void oq_free(void *ptr);

/* ---- tensors ---------------------------------------------------------------------------------------------- */

#define OQ_MAX_DIMS 8
/* Largest tensor oq_tensor_alloc creates (4 GiB). Every kernel output goes through it, so a model that asks for
 * more (ConstantOfShape of 2^40 elements, Expand/Tile/Range/pad bombs) fails at once with OQ_ERR_NOMEM naming the
 * size, instead of exhausting memory while it fills the tensor. Initializers read from the model are bounded by
 * its files and not subject to it. Build with -DOQ_MAX_TENSOR_BYTES=<bytes> to change it. */
#ifndef OQ_MAX_TENSOR_BYTES
#define OQ_MAX_TENSOR_BYTES ((uint64_t)1 << 32)
#endif

/* ONNX TensorProto.DataType values. */
typedef enum oq_dtype {
  OQ_DTYPE_UNDEFINED = 0,
  OQ_DTYPE_FLOAT = 1,
  OQ_DTYPE_UINT8 = 2,
  OQ_DTYPE_INT8 = 3,
  OQ_DTYPE_UINT16 = 4,
  OQ_DTYPE_INT16 = 5,
  OQ_DTYPE_INT32 = 6,
  OQ_DTYPE_INT64 = 7,
  OQ_DTYPE_STRING = 8,
  OQ_DTYPE_BOOL = 9,
  OQ_DTYPE_FLOAT16 = 10,
  OQ_DTYPE_DOUBLE = 11,
  OQ_DTYPE_UINT32 = 12,
  OQ_DTYPE_UINT64 = 13,
  OQ_DTYPE_COMPLEX64 = 14,
  OQ_DTYPE_COMPLEX128 = 15,
  OQ_DTYPE_BFLOAT16 = 16,
  OQ_DTYPE_FLOAT8E4M3FN = 17,
  OQ_DTYPE_FLOAT8E4M3FNUZ = 18,
  OQ_DTYPE_FLOAT8E5M2 = 19,
  OQ_DTYPE_FLOAT8E5M2FNUZ = 20,
  OQ_DTYPE_UINT4 = 21,
  OQ_DTYPE_INT4 = 22,
  OQ_DTYPE_FLOAT4E2M1 = 23,
  OQ_DTYPE_COUNT_ = 24
} oq_dtype;

/* A dense tensor in ONNX dim order, C layout. Invariant: nbytes == ceil(numel * oq_dtype_bits / 8) (numel *
 * element size for byte-sized types; 4-bit types pack two elements per byte, low nibble first); data is NULL only
 * when nbytes == 0. When owns_data is set, data was allocated by onnxq and oq_tensor_release frees it; otherwise the
 * tensor borrows memory whose owner outlives it. */
typedef struct oq_tensor {
  int32_t dtype;             /* oq_dtype */
  int32_t ndim;              /* 0 for a scalar */
  int64_t dims[OQ_MAX_DIMS]; /* extents, each >= 0 */
  void *data;                /* element storage */
  size_t nbytes;             /* bytes at data */
  int32_t owns_data;         /* 1: freed by oq_tensor_release */
} oq_tensor;

OQ_API const char *oq_dtype_name(int32_t dtype); /* "float32", "int64", ...; "undefined" for unknown codes */
OQ_API size_t oq_dtype_size(int32_t dtype);      /* bytes per element; 0 for string, sub-byte and unknown types */
OQ_API int32_t oq_dtype_bits(int32_t dtype);     /* bits per element (4 for int4/uint4/float4e2m1); 0: string/unknown */
/* Zero-filled tensor of the given shape (4-bit types packed); fails on negative dims, size overflow or more than
 * OQ_MAX_TENSOR_BYTES. */
OQ_API oq_status oq_tensor_alloc(oq_tensor *t, int32_t dtype, int32_t ndim, const int64_t *dims, oq_error *err);
OQ_API void oq_tensor_release(oq_tensor *t); /* frees owned data, leaves an empty tensor; safe on a zeroed struct */
OQ_API int64_t oq_tensor_numel(const oq_tensor *t);

/* ---- models ----------------------------------------------------------------------------------------------- */

typedef struct oq_model oq_model;

/* Loads an .onnx file, resolves external data (relative to the model's folder; absolute paths, '..' escapes and
 * symlinks leaving the folder are refused) and builds the graph index. */
OQ_API oq_status oq_model_load(const char *path, oq_model **out, oq_error *err);
OQ_API void oq_model_free(oq_model *model);

typedef struct oq_save_options {
  uint32_t size;             /* sizeof(oq_save_options), set by oq_save_options_init */
  const char *external_data; /* file name (no folder) for tensors moved out; NULL: keep inline unless > 2 GiB */
  uint64_t size_threshold;   /* tensors of at least this many bytes go to external_data (default 1024; 0 = 1024) */
} oq_save_options;

OQ_API void oq_save_options_init(oq_save_options *opts);

/* Writes atomically (temporary file in the destination folder, fsync, rename). Refuses to overwrite the file the
 * model was loaded from. opts may be NULL (defaults); a size of 0 or one larger than this library knows is refused
 * with OQ_ERR_INVALID_ARG. */
OQ_API oq_status oq_model_save(const oq_model *model, const char *path, const oq_save_options *opts, oq_error *err);

/* Stable 64-bit xxHash fingerprint of the model's computation (graph, opsets, weights), independent of producer
 * strings, doc strings and where weights are stored. */
OQ_API uint64_t oq_model_fingerprint(const oq_model *model);

#define OQ_DESCRIBE_JSON 1u /* oq_model_describe: one JSON document instead of text */

/* Human-readable (flags 0) or JSON (OQ_DESCRIBE_JSON) summary used by `onnxq inspect`, including the operators
 * this library cannot run. *out is released with oq_free. Unknown flags are refused. */
OQ_API oq_status oq_model_describe(const oq_model *model, uint32_t flags, char **out, oq_error *err);

/* Graph inputs that need feeding (initializers excluded) and graph outputs, in graph order. Names are borrowed
 * from the model; NULL for an index out of range. */
OQ_API int32_t oq_model_input_count(const oq_model *model);
OQ_API const char *oq_model_input_name(const oq_model *model, int32_t index);
OQ_API int32_t oq_model_output_count(const oq_model *model);
OQ_API const char *oq_model_output_name(const oq_model *model, int32_t index);
/* Index of the input / output with that name, -1 when there is none. */
OQ_API int32_t oq_model_find_input(const oq_model *model, const char *name);
OQ_API int32_t oq_model_find_output(const oq_model *model, const char *name);

/* Type and shape of a graph input or output as the model declares them. Set size (oq_value_info_init) first. */
typedef struct oq_value_info {
  uint32_t size;                      /* sizeof(oq_value_info), set by oq_value_info_init */
  const char *name;                   /* borrowed from the model */
  int32_t dtype;                      /* oq_dtype; OQ_DTYPE_UNDEFINED when not declared or not a tensor */
  int32_t rank;                       /* number of dims, -1 when unknown */
  int64_t dims[OQ_MAX_DIMS];          /* first rank valid: extent, or -1 when unknown or symbolic */
  const char *dim_names[OQ_MAX_DIMS]; /* first rank valid: symbolic name ("batch"), borrowed, or NULL */
} oq_value_info;

OQ_API void oq_value_info_init(oq_value_info *info);
OQ_API oq_status oq_model_input_info(const oq_model *model, int32_t index, oq_value_info *info, oq_error *err);
OQ_API oq_status oq_model_output_info(const oq_model *model, int32_t index, oq_value_info *info, oq_error *err);

/* Counts over the main graph, e.g. to summarize a quantized model. Set size (oq_model_stats_init) first. */
typedef struct oq_model_stats {
  uint32_t size;           /* sizeof(oq_model_stats), set by oq_model_stats_init */
  int32_t nodes;           /* nodes */
  int32_t initializers;    /* initializers */
  int32_t qdq_nodes;       /* QuantizeLinear and DequantizeLinear nodes */
  int32_t quantized_nodes; /* other nodes reading at least one DequantizeLinear output */
} oq_model_stats;

OQ_API void oq_model_stats_init(oq_model_stats *stats);
OQ_API oq_status oq_model_get_stats(const oq_model *model, oq_model_stats *stats, oq_error *err);

/* ---- samples ---------------------------------------------------------------------------------------------- */

/* Reads one sample folder (<input name>.npy or input_<k>.pb per model input) into inputs[0..n_inputs), in
 * graph-input order, checking names, dtypes and shapes against the model. n_inputs must equal
 * oq_model_input_count. The caller releases each tensor. */
OQ_API oq_status oq_sample_load(const oq_model *model, const char *dir, int32_t n_inputs, oq_tensor *inputs,
                                oq_error *err);
/* The file-name stem a sample folder uses for a tensor name: every character other than ASCII letters, digits,
 * '.', '_' and '-' becomes '_'; an empty name or one made only of dots becomes that many '_' (so "." and ".." never
 * name a folder). *out is released with oq_free. */
OQ_API oq_status oq_sample_file_stem(const char *name, char **out, oq_error *err);
/* Writes a tensor as NumPy .npy (v1.0, little-endian, C order), atomically. */
OQ_API oq_status oq_npy_save(const char *path, const oq_tensor *t, oq_error *err);
/* Reads a .npy file. */
OQ_API oq_status oq_npy_load(const char *path, oq_tensor *out, oq_error *err);

/* ---- execution -------------------------------------------------------------------------------------------- */

typedef struct oq_session oq_session;

typedef struct oq_session_options {
  uint32_t size;    /* sizeof(oq_session_options), set by oq_session_options_init */
  int32_t threads;  /* threads each node's kernel splits its work over: 0 or 1 (default) = the calling thread only;
                       values above 1024 are clamped; fewer are used when the system refuses to start more.
                       Outputs are bit-identical for every thread count. */
  int32_t no_reuse; /* debug: 1 = every intermediate gets a fresh buffer, freed when it dies, instead of the
                       executor's reused blocks (also ONNXQ_NO_REUSE=1); outputs are the same bits. Default 0. */
} oq_session_options;

OQ_API void oq_session_options_init(oq_session_options *opts);
/* The session borrows the model, which must outlive it. opts may be NULL (defaults). */
OQ_API oq_status oq_session_create(const oq_model *model, const oq_session_options *opts, oq_session **out,
                                   oq_error *err);
OQ_API void oq_session_free(oq_session *session);
/* inputs: n_inputs == oq_model_input_count tensors in input order; outputs: n_outputs == oq_model_output_count
 * zeroed tensors, filled with owned tensors that the caller releases. Other counts are refused. */
OQ_API oq_status oq_session_run(oq_session *session, int32_t n_inputs, const oq_tensor *inputs, int32_t n_outputs,
                                oq_tensor *outputs, oq_error *err);
/* Memory of the session's runs so far: peak_activations, the most bytes its executor held at once for intermediate
 * tensors of the main graph (blocks in use or kept for reuse); scratch, the bytes of kernel scratch it keeps.
 * Either pointer may be NULL. */
OQ_API void oq_session_memory(const oq_session *session, size_t *peak_activations, size_t *scratch);

/* ---- preparation: opset conversion and graph folding ------------------------------------------------------ */

/* What oq_model_prepare does. oq_prepare_options_init sets the defaults. */
typedef struct oq_prepare_options {
  uint32_t size; /* sizeof(oq_prepare_options), set by oq_prepare_options_init */
  int32_t opset; /* default-domain opset of the result (1..21): a model below it is converted, every operator whose
                    inputs, attributes or meaning changed rewritten; never lowered. 0 (default): keep the model's */
  int32_t fold;  /* 1 (default): remove Identity and inference Dropout, fold constant subgraphs on onnxq's executor,
                    fold BatchNormalization into the Conv/ConvTranspose/Gemm before it */
} oq_prepare_options;

OQ_API void oq_prepare_options_init(oq_prepare_options *opts);
/* Returns the prepared model (owned by the caller; it keeps model alive). Constant nodes holding tensors become
 * initializers in any case. Graph inputs and outputs keep their names, dtypes and shapes. A conversion that is
 * impossible fails naming the node and its op (OQ_ERR_UNSUPPORTED). */
OQ_API oq_status oq_model_prepare(const oq_model *model, const oq_prepare_options *opts, oq_model **out, oq_error *err);

/* ---- quantization ----------------------------------------------------------------------------------------- */

/* How an activation's range is chosen from its calibration statistics (oq_quant_options.method). */
typedef enum oq_calib_method {
  OQ_CALIB_MINMAX = 0,     /* running min / max (default) */
  OQ_CALIB_PERCENTILE = 1, /* percentile of the histogram */
  OQ_CALIB_ENTROPY = 2,    /* KL divergence threshold (TensorRT's entropy calibration) */
  OQ_CALIB_MSE = 3         /* clipping threshold minimizing the expected squared quantization error */
} oq_calib_method;

/* Which layout of Q/DQ the quantizer writes (oq_quant_options.preset). */
typedef enum oq_quant_preset {
  OQ_PRESET_ONNXRUNTIME = 0, /* onnxruntime's QDQ format: Q/DQ after producers, Relu folded, int32 biases */
  OQ_PRESET_TENSORRT = 1     /* TensorRT explicit quantization: int8 symmetric everywhere, Q/DQ in front of the
                                quantized ops' inputs only, float biases */
} oq_quant_preset;

typedef struct oq_quant_options {
  uint32_t size;       /* sizeof(oq_quant_options), set by oq_quant_options_init */
  int32_t threads;     /* calibration worker threads; 0 or 1 = one */
  int32_t per_channel; /* 1 (default): weights quantized per output channel */
  int32_t fold;        /* preparation (oq_model_prepare): 1 (default) folds before calibration, 0 = --no-fold */
  /* range method (calibration side) */
  int32_t method;         /* oq_calib_method, default OQ_CALIB_MINMAX */
  double percentile;      /* OQ_CALIB_PERCENTILE: share of values kept, in percent (default 99.999) */
  int32_t moving_average; /* OQ_CALIB_MINMAX: 1 = mean of per-sample minima / maxima instead of the extremes */
  int32_t bins;           /* histogram bins per sign, a power of two from 8 to 65536 (default 2048) */
  int32_t levels;         /* OQ_CALIB_ENTROPY: quantized levels, also the first threshold tried (default 128) */
  int32_t weight_range;   /* weights: OQ_CALIB_MINMAX (default) or OQ_CALIB_MSE, per channel when per_channel */
  /* quantized-model side: fields are added after this line */
  int32_t act_type;         /* oq_dtype of activations: UINT8 (default), INT8, UINT16, INT16 */
  int32_t weight_type;      /* oq_dtype of weights: INT8 (default), UINT8, INT16, INT4, UINT4 */
  int32_t act_symmetric;    /* 1: activations use [-absmax, absmax] (default 0) */
  int32_t weight_symmetric; /* 1 (default): weights use [-absmax, absmax] */
  int32_t reduce_range;     /* 1: 8-bit weights use 7 bits (onnxruntime's reduce_range, for VNNI-less x86) */
  int32_t block_size;       /* 0 (default), or 16..: MatMul/Gemm weights blocked along their input dimension */
  int32_t pow2_scales;      /* 1: every scale rounded up to a power of two */
  int32_t align_concat;     /* 1: every Concat input shares the output's scale and zero point */
  int32_t keep_float_io;    /* 1: graph inputs and outputs get no QuantizeLinear/DequantizeLinear */
  int32_t requantize;       /* 1: accept a model that already holds Q/DQ or QLinear nodes */
  int32_t preset;           /* oq_quant_preset, default OQ_PRESET_ONNXRUNTIME */
  /* Node selection: op types to quantize (NULL/0: every op the policy knows); node names or glob patterns ('*',
   * '?', '[...]') to quantize only / never. Borrowed for the call. */
  const char *const *op_types;
  int32_t n_op_types;
  const char *const *include_nodes;
  int32_t n_include_nodes;
  const char *const *exclude_nodes;
  int32_t n_exclude_nodes;
  const char *plan_in;  /* path of a plan JSON (docs/file-formats.md) whose edits are applied; NULL: none */
  const char *plan_out; /* path the plan is written to (atomically); NULL: none */
} oq_quant_options;

OQ_API void oq_quant_options_init(oq_quant_options *opts);

/* Calibrates on every sample folder inside calib_dir (name order) and returns the QDQ model, owned by the caller.
 * The input model is not modified. opts may be NULL (defaults). Reentrant. */
OQ_API oq_status oq_quantize(const oq_model *model, const char *calib_dir, const oq_quant_options *opts, oq_model **out,
                             oq_error *err);

/* ---- calibration ------------------------------------------------------------------------------------------ */

/* Where calibration samples come from and which of them run (oq_calibrate). Data is a folder holding one of:
 * sample folders (as oq_sample_load reads), one .npz per sample (keys = input names), one .npy per input with the
 * samples along a leading batch axis, or images (PNG, JPEG, BMP) for a model with one image input. Samples are
 * taken in name order (npy: batch order), then shuffled (shuffle), cut to limit, then every shard_count-th from
 * shard_index on is kept. See docs/file-formats.md. */
typedef enum oq_image_resize { OQ_RESIZE_STRETCH = 0, OQ_RESIZE_SHORT_SIDE = 1 } oq_image_resize;
typedef enum oq_image_layout { OQ_LAYOUT_AUTO = 0, OQ_LAYOUT_NCHW = 1, OQ_LAYOUT_NHWC = 2 } oq_image_layout;
typedef enum oq_image_color { OQ_COLOR_RGB = 0, OQ_COLOR_BGR = 1, OQ_COLOR_GRAY = 2 } oq_image_color;

typedef struct oq_calib_options {
  uint32_t size;       /* sizeof(oq_calib_options), set by oq_calib_options_init */
  int32_t threads;     /* worker threads; 0 or 1 = one */
  int32_t bins;        /* histogram bins per sign (power of two, 8..65536; default 2048); 0 = min/max only */
  int32_t shard_index; /* 0-based shard (the CLI's K - 1) */
  int32_t shard_count; /* 0 or 1: no sharding */
  int64_t limit;       /* at most this many samples (0 = all) */
  int32_t shuffle;     /* 1: shuffle with seed before limit and sharding */
  uint64_t seed;
  /* images */
  int32_t image_h, image_w; /* 0: the model's static input shape */
  int32_t resize;           /* oq_image_resize */
  int32_t layout;           /* oq_image_layout */
  int32_t color;            /* oq_image_color */
  int32_t n_mean, n_std;    /* 0, 1 or the channel count */
  float mean[4], std[4];    /* x = (pixel - mean) / std, pixel in 0..255 */
  /* called after each sample (from worker threads, serialized): samples done, samples selected */
  void (*progress)(void *user, int64_t done, int64_t total);
  void *progress_user;
} oq_calib_options;

OQ_API void oq_calib_options_init(oq_calib_options *opts);

/* Calibration statistics of one model (min/max, moving-average sums, histograms, counts, sample identities), keyed
 * by the model fingerprint and value names. Saved tables are byte-identical for any thread count and shard split
 * once merged. */
typedef struct oq_calib_table oq_calib_table;

OQ_API oq_status oq_calibrate(const oq_model *model, const char *data, const oq_calib_options *opts,
                              oq_calib_table **out, oq_error *err);
OQ_API void oq_calib_table_free(oq_calib_table *table);
OQ_API oq_status oq_calib_table_save(const oq_calib_table *table, const char *path, oq_error *err);
/* Reads a table written by oq_calib_table_save, or a TensorRT calibration cache (text, "TRT-...Calibration..."
 * header): the latter carries ranges only (min/max methods). */
OQ_API oq_status oq_calib_table_load(const char *path, oq_calib_table **out, oq_error *err);
/* Adds src into dst; refuses another model's table, different bin counts, or a sample present in both. */
OQ_API oq_status oq_calib_table_merge(oq_calib_table *dst, const oq_calib_table *src, oq_error *err);
OQ_API int64_t oq_calib_table_samples(const oq_calib_table *table);
OQ_API uint64_t oq_calib_table_fingerprint(const oq_calib_table *table);
/* Quantizes from a table (of this model: refused otherwise) with opts' method and types. */
OQ_API oq_status oq_quantize_table(const oq_model *model, const oq_calib_table *table, const oq_quant_options *opts,
                                   oq_model **out, oq_error *err);
/* Writes the ranges opts' method picks as a TensorRT calibration cache (header "TRT-8601-EntropyCalibration2",
 * then "<tensor>: <hex of the big-endian float32 scale = max|range| / 127>" per value). */
OQ_API oq_status oq_calib_table_export_trt(const oq_model *model, const oq_calib_table *table,
                                           const oq_quant_options *opts, const char *path, oq_error *err);

/* ---- resource limits (reliability) ------------------------------------------------------------------------- */

/* Process-wide limits for every model run that follows (sessions, calibration), as `--max-tensor-bytes` and
 * `--max-seconds` set them: no tensor may hold more than max_tensor_bytes (0 = OQ_MAX_TENSOR_BYTES, larger values
 * are refused) and no node starts after max_seconds from this call (0 = no limit). Exceeding either is an error
 * naming the node (the size limit: OQ_ERR_NOMEM, "over the limit"; the time: OQ_ERR_UNSUPPORTED, "time limit of
 * N s exceeded"). Call it while no run is in progress. */
OQ_API oq_status oq_set_limits(uint64_t max_tensor_bytes, double max_seconds, oq_error *err);

#ifdef __cplusplus
}
#endif

#endif /* ONNXQ_H */
