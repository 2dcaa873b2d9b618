/* String -> int32 map (open addressing, xxHash). Keys are borrowed: they must outlive the map. */
#ifndef OQ_CORE_STRMAP_H
#define OQ_CORE_STRMAP_H

#include "core/error.h"

typedef struct oq_strmap {
  const char **keys; /* borrowed key per slot, NULL = empty */
  int32_t *vals;     /* value per slot */
  size_t cap;        /* power of two */
  size_t count;      /* occupied slots */
} oq_strmap;

oq_status oq_strmap_init(oq_strmap *m, size_t expected, oq_error *err);
void oq_strmap_free(oq_strmap *m);
/* Inserts or replaces. */
oq_status oq_strmap_put(oq_strmap *m, const char *key, int32_t val, oq_error *err);
/* Returns the value or -1 when absent. */
int32_t oq_strmap_get(const oq_strmap *m, const char *key);

#endif
