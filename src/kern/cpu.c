/* CPU feature detection and the choice of the SIMD table (see cpu.h). */
#include "kern/cpu.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static atomic_int g_detected = -1; /* oq_cpu_level, -1 until detected */
static atomic_int g_forced = -1;   /* oq_cpu_force's level, -1 when not forced */

static oq_cpu_level hw_level(void) {
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
  __builtin_cpu_init();
  /* libgcc's checks include the OS saving the wider registers (XCR0) */
  if (oq_simd_avx512_table() && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
      __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("fma"))
    return OQ_CPU_AVX512;
  if (oq_simd_avx2_table() && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return OQ_CPU_AVX2;
#endif
  return OQ_CPU_PORTABLE;
}

oq_cpu_level oq_cpu_detect(void) {
  int v = atomic_load(&g_detected);
  if (v >= 0) return (oq_cpu_level)v;
  oq_cpu_level lv = hw_level();
  const char *cap = getenv("ONNXQ_CPU");
  if (cap) {
    if (strcmp(cap, "portable") == 0)
      lv = OQ_CPU_PORTABLE;
    else if (strcmp(cap, "avx2") == 0 && lv > OQ_CPU_AVX2)
      lv = OQ_CPU_AVX2;
  }
  atomic_store(&g_detected, (int)lv);
  return lv;
}

static const oq_simd *table(oq_cpu_level lv) {
  const oq_simd *t = NULL;
  if (lv == OQ_CPU_AVX512) t = oq_simd_avx512_table();
  if (lv == OQ_CPU_AVX2) t = oq_simd_avx2_table();
  return t ? t : &oq_simd_portable;
}

const oq_simd *oq_simd_get(void) {
  int f = atomic_load(&g_forced);
  return table(f >= 0 ? (oq_cpu_level)f : oq_cpu_detect());
}

oq_cpu_level oq_cpu_force(oq_cpu_level level) {
  oq_cpu_level hw = oq_cpu_detect();
  if (level > hw) level = hw;
  atomic_store(&g_forced, (int)level);
  return level;
}

const char *oq_cpu_level_name(oq_cpu_level level) {
  switch (level) {
  case OQ_CPU_AVX512: return "avx512";
  case OQ_CPU_AVX2: return "avx2+fma";
  default: return "portable";
  }
}
