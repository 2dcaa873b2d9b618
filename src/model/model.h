/* The loaded model: the unpacked ModelProto (read-only after load), the data of external tensors, and the graph
 * index. Shared by model I/O, the executor and the quantizer. */
#ifndef OQ_MODEL_MODEL_H
#define OQ_MODEL_MODEL_H

#include "core/error.h"
#include "model/edit.h"
#include "model/graph.h"
#include "onnx.pb-c.h"

/* Bytes of one tensor stored as external data, read at load time. */
typedef struct oq_external_blob {
  const Onnx__TensorProto *tensor; /* the initializer (or Constant attribute tensor) that references the data */
  uint8_t *data;                   /* owned, malloc'd, `size` bytes */
  size_t size;                     /* bytes */
  char *file;                      /* owned; realpath of the file the bytes came from */
  uint64_t file_dev;               /* st_dev of that file (saving refuses to overwrite it) */
  uint64_t file_ino;               /* st_ino of that file */
} oq_external_blob;

/* Invariant: proto is owned by this struct. A loaded model's proto was produced by onnx__model_proto__unpack and
 * is freed with onnx__model_proto__free_unpacked. A built model's proto (edit != NULL) was assembled in an edit
 * context and is freed with it; its unchanged parts point into base's proto, whose external data it also uses, so
 * it holds a reference to base. graph indexes proto->graph. A model stays alive while another model holds it as
 * base: oq_model_free drops one reference (atomically, so models may be freed on different threads). */
struct oq_model {
  Onnx__ModelProto *proto;    /* owned (see above) */
  oq_edit *edit;              /* owned; the context proto was built in (NULL for a loaded model) */
  struct oq_model *base;      /* counted reference; the model a built proto shares parts and external data with */
  _Atomic int32_t extra_refs; /* references beyond the owner's: built models using this one as base */
  char *path;                 /* owned; the file it was loaded from (for a built model: its source model's file);
                                 saving over it is refused */
  char *dir;                  /* owned; folder of path ("." if none), base for external data */
  oq_external_blob *blobs;    /* owned array, sorted by tensor address */
  size_t n_blobs;             /* entries in blobs */
  oq_graph graph;             /* index over proto->graph */
  int32_t graph_built;        /* 1 once graph is built (oq_model_free frees it only then) */
};

/* Builds an oq_model around a proto from onnx__model_proto__unpack (takes ownership on success and on failure).
 * Resolves external data relative to dir and builds the graph index. path may be NULL. */
oq_status oq_model_wrap(Onnx__ModelProto *proto, const char *path, const char *dir, oq_model **out, oq_error *err);
/* Builds an oq_model around a proto assembled in the edit context ed, without serializing it (so it is not bound
 * by protobuf's 2 GiB message limit): takes ownership of ed (and so of proto) on success and on failure, and
 * builds the graph index. base (may be NULL) is the model whose proto parts the built proto points at: the new
 * model keeps it alive, takes its path and folder (saving over base's file stays refused) and reads external data
 * through it. */
oq_status oq_model_wrap_built(Onnx__ModelProto *proto, oq_edit *ed, const oq_model *base, oq_model **out,
                              oq_error *err);

/* Decodes an initializer / attribute tensor into a dense tensor. Borrows raw_data or external bytes when they
 * are suitably aligned and the dtype needs no conversion (owns_data == 0), else copies. Supports the typed
 * fields (float_data, int32_data for the small int types, int64_data, double_data, uint64_data) and raw_data. */
oq_status oq_model_tensor_decode(const oq_model *model, const Onnx__TensorProto *tp, oq_tensor *out, oq_error *err);

/* External bytes for tp if it has data_location == EXTERNAL (NULL otherwise); a built model asks its base. */
const oq_external_blob *oq_model_external_blob(const oq_model *model, const Onnx__TensorProto *tp);

/* Opset version imported for a domain ("" and "ai.onnx" are the same), or -1. */
int64_t oq_model_opset(const oq_model *model, const char *domain);

/* Levels of embedded messages below the ModelProto that oq_model_load accepts: protobuf C++'s default recursion
 * limit, so every model onnx / onnxruntime can parse loads here too (their test data nests at most 13). */
#define OQ_MODEL_MAX_NESTING 100

/* Scans serialized ModelProto bytes without recursion, following the schema's message-typed fields (unknown fields
 * and non-message payloads are skipped), and fails with OQ_ERR_MODEL "protobuf nesting deeper than <max_depth>
 * levels" when embedded messages nest more than max_depth levels below the top-level message (a ModelProto with a
 * graph is 1 level), or with OQ_ERR_PARSE on malformed framing (truncated key, varint or length; groups). Run
 * before onnx__model_proto__unpack, whose recursion is unbounded. Linear in len; memory O(max_depth). */
oq_status oq_model_check_nesting(const uint8_t *buf, size_t len, size_t max_depth, oq_error *err);

/* Checks a caller's oq_save_options (NULL = defaults) and fills *out from it and the defaults. */
oq_status oq_save_options_take(const oq_save_options *opts, oq_save_options *out, oq_error *err);

/* Whether the layer above can run op_type of domain ("" = ai.onnx) at the model's opset for that domain (-1 when
 * not imported). */
typedef bool (*oq_op_known_fn)(void *ud, const char *op_type, const char *domain, int64_t opset);

/* The `onnxq inspect` summary behind oq_model_describe (flags: OQ_DESCRIBE_JSON). known decides which operators
 * are listed as unsupported; the model layer does not know the op table. *out is released with oq_free. */
oq_status oq_model_summary(const oq_model *model, uint32_t flags, oq_op_known_fn known, void *ud, char **out,
                           oq_error *err);

/* Serializes a ModelProto to a malloc'd buffer (caller frees). Fails when it would exceed 2 GiB (protobuf's
 * message limit; oq_model_save moves initializers to external data first when a model would). */
oq_status oq_model_pack(const Onnx__ModelProto *proto, uint8_t **out, size_t *size, oq_error *err);
/* Test hook: sets the size above which oq_model_pack refuses and oq_model_save moves weights out (0 restores
 * 2 GiB - 1); returns the previous limit. Process-wide and not thread-safe: for tests only. */
size_t oq_model_test_set_pack_limit(size_t limit);

#endif
