// The SIMD level kernels may use, detected once per process. Kernels with
// AVX2/AVX-512 paths compile those functions with GCC target attributes and
// pick one through these queries, so the library still runs on any x86-64.
// METARUN_CPU=generic|avx2|avx512 caps the level (read once): tests run every
// path on one machine with it, and users can rule out a SIMD path when
// debugging.
#pragma once

#include <cstdlib>
#include <cstring>

namespace metarun {

enum class CpuLevel { kGeneric = 0, kAvx2 = 1, kAvx512 = 2 };

inline CpuLevel detect_cpu_level() {
  CpuLevel level = CpuLevel::kGeneric;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
    level = CpuLevel::kAvx2;
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
      level = CpuLevel::kAvx512;
  }
#endif
  const char* cap = std::getenv("METARUN_CPU");
  CpuLevel limit = CpuLevel::kAvx512;
  if (cap && std::strcmp(cap, "generic") == 0) limit = CpuLevel::kGeneric;
  if (cap && std::strcmp(cap, "avx2") == 0) limit = CpuLevel::kAvx2;
  return level < limit ? level : limit;
}

inline CpuLevel cpu_level() {
  static const CpuLevel level = detect_cpu_level();
  return level;
}
// AVX2 and FMA (Haswell and later, Zen).
inline bool cpu_has_avx2_fma() { return cpu_level() >= CpuLevel::kAvx2; }
// AVX-512 F, BW, DQ and VL (Skylake-X and later, Zen 4), with AVX2 and FMA.
inline bool cpu_has_avx512() { return cpu_level() >= CpuLevel::kAvx512; }

}  // namespace metarun
