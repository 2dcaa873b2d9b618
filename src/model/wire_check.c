/* Pre-unpack check of the protobuf wire format: protobuf-c unpacks embedded messages recursively without a
 * depth limit, so a hostile file nesting messages thousands deep would overflow the stack inside
 * onnx__model_proto__unpack. This scan follows the schema through protobuf-c's generated descriptors with an
 * explicit stack, so it needs no recursion itself, touches each byte once, and refuses deep nesting (and
 * malformed framing) before protobuf-c sees the bytes. */
#include "model/model.h"

#include <stdlib.h>

/* One open embedded message: its type and where its bytes end. */
typedef struct wire_frame {
  const ProtobufCMessageDescriptor *desc; /* schema of the message being scanned */
  size_t end;                             /* offset one past its last byte */
} wire_frame;

/* Reads a varint at *pos (not past end). False when truncated or longer than 10 bytes (as protobuf-c, excess
 * high bits of a 10th byte are ignored). */
static bool read_varint(const uint8_t *buf, size_t end, size_t *pos, uint64_t *out) {
  uint64_t v = 0;
  for (unsigned shift = 0; shift < 64; shift += 7) {
    if (*pos >= end) return false;
    uint8_t b = buf[(*pos)++];
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return true;
    }
  }
  return false;
}

/* Advances *pos by n bytes if they lie before end. */
static bool skip_bytes(size_t end, size_t *pos, uint64_t n) {
  if (n > end - *pos) return false;
  *pos += (size_t)n;
  return true;
}

oq_status oq_model_check_nesting(const uint8_t *buf, size_t len, size_t max_depth, oq_error *err) {
  oq_status st = OQ_OK;
  wire_frame *stack = NULL;
  if (!buf && len) OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_model_check_nesting: no buffer");
  size_t frames;
  if (!oq_size_add(max_depth, 1, &frames))
    OQ_RETURN_ERR(err, OQ_ERR_INVALID_ARG, "oq_model_check_nesting: max_depth too large");
  stack = oq_malloc_array(frames, sizeof *stack, err);
  if (!stack) return OQ_ERR_NOMEM;
  /* depth counts open frames: the ModelProto itself plus one per embedded message, so nesting = depth - 1 */
  size_t depth = 1, pos = 0;
  stack[0] = (wire_frame){&onnx__model_proto__descriptor, len};
  while (depth > 0) {
    wire_frame *top = &stack[depth - 1];
    if (pos == top->end) {
      depth--;
      continue;
    }
    size_t at = pos;
    uint64_t key;
    if (!read_varint(buf, top->end, &pos, &key))
      OQ_FAIL(err, OQ_ERR_PARSE, "protobuf: truncated field key at byte %zu", at);
    uint64_t field = key >> 3;
    unsigned wire = (unsigned)(key & 7);
    if (field == 0 || field > 0x1fffffff) OQ_FAIL(err, OQ_ERR_PARSE, "protobuf: invalid field number at byte %zu", at);
    uint64_t n;
    switch (wire) {
    case PROTOBUF_C_WIRE_TYPE_VARINT:
      if (!read_varint(buf, top->end, &pos, &n))
        OQ_FAIL(err, OQ_ERR_PARSE, "protobuf: truncated varint at byte %zu", at);
      break;
    case PROTOBUF_C_WIRE_TYPE_64BIT:
      if (!skip_bytes(top->end, &pos, 8)) OQ_FAIL(err, OQ_ERR_PARSE, "protobuf: truncated field at byte %zu", at);
      break;
    case PROTOBUF_C_WIRE_TYPE_32BIT:
      if (!skip_bytes(top->end, &pos, 4)) OQ_FAIL(err, OQ_ERR_PARSE, "protobuf: truncated field at byte %zu", at);
      break;
    case PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED: {
      if (!read_varint(buf, top->end, &pos, &n) || n > top->end - pos)
        OQ_FAIL(err, OQ_ERR_PARSE, "protobuf: length at byte %zu runs past the end of its message", at);
      /* Unknown fields and non-message payloads (strings, bytes, packed arrays) are skipped whole. */
      const ProtobufCFieldDescriptor *fd = protobuf_c_message_descriptor_get_field(top->desc, (unsigned)field);
      if (!fd || fd->type != PROTOBUF_C_TYPE_MESSAGE || !fd->descriptor) {
        pos += (size_t)n;
        break;
      }
      if (depth - 1 == max_depth) OQ_FAIL(err, OQ_ERR_MODEL, "protobuf nesting deeper than %zu levels", max_depth);
      stack[depth++] = (wire_frame){fd->descriptor, pos + (size_t)n};
      break;
    }
    default: /* groups (3, 4) are unsupported by protobuf-c; 6 and 7 do not exist */
      OQ_FAIL(err, OQ_ERR_PARSE, "protobuf: unsupported wire type %u at byte %zu", wire, at);
    }
  }
  free(stack);
  return OQ_OK;
fail:
  free(stack);
  return st;
}
