#include "core/strmap.h"

#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static size_t slot_of(const oq_strmap *m, const char *key) {
  return (size_t)XXH3_64bits(key, strlen(key)) & (m->cap - 1);
}

oq_status oq_strmap_init(oq_strmap *m, size_t expected, oq_error *err) {
  memset(m, 0, sizeof *m);
  size_t cap = 16;
  while (cap < expected * 2 + 1) {
    if (cap > SIZE_MAX / 4) OQ_RETURN_ERR(err, OQ_ERR_NOMEM, "map too large");
    cap *= 2;
  }
  m->keys = oq_calloc(cap, sizeof *m->keys, err);
  m->vals = oq_calloc(cap, sizeof *m->vals, err);
  if (!m->keys || !m->vals) {
    oq_strmap_free(m);
    return OQ_ERR_NOMEM;
  }
  m->cap = cap;
  return OQ_OK;
}

void oq_strmap_free(oq_strmap *m) {
  oq_free(m->keys);
  oq_free(m->vals);
  memset(m, 0, sizeof *m);
}

static oq_status grow(oq_strmap *m, oq_error *err) {
  oq_strmap bigger;
  oq_status st = oq_strmap_init(&bigger, m->cap, err);
  if (st != OQ_OK) return st;
  for (size_t i = 0; i < m->cap; i++)
    if (m->keys[i]) {
      st = oq_strmap_put(&bigger, m->keys[i], m->vals[i], err);
      if (st != OQ_OK) {
        oq_strmap_free(&bigger);
        return st;
      }
    }
  oq_strmap_free(m);
  *m = bigger;
  return OQ_OK;
}

oq_status oq_strmap_put(oq_strmap *m, const char *key, int32_t val, oq_error *err) {
  if ((m->count + 1) * 2 > m->cap) {
    oq_status st = grow(m, err);
    if (st != OQ_OK) return st;
  }
  size_t i = slot_of(m, key);
  while (m->keys[i]) {
    if (strcmp(m->keys[i], key) == 0) {
      m->vals[i] = val;
      return OQ_OK;
    }
    i = (i + 1) & (m->cap - 1);
  }
  m->keys[i] = key;
  m->vals[i] = val;
  m->count++;
  return OQ_OK;
}

int32_t oq_strmap_get(const oq_strmap *m, const char *key) {
  if (m->cap == 0) return -1;
  size_t i = slot_of(m, key);
  while (m->keys[i]) {
    if (strcmp(m->keys[i], key) == 0) return m->vals[i];
    i = (i + 1) & (m->cap - 1);
  }
  return -1;
}
