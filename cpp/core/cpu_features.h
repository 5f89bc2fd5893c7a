// The SIMD level kernels may use, detected once per process. Kernels with
// AVX2/AVX-512 paths compile them as `__attribute__((target(...)))` functions
// and pick one through these; the baseline build stays plain x86-64.
//
// METARUN_CPU=generic|avx2|avx512 (read once) caps the detected level, so
// tests can run every path on one machine and users can rule a SIMD path out
// when debugging. It never raises the level above what the CPU has.
#pragma once

#include <cstdlib>
#include <cstring>

namespace metarun {

enum class CpuLevel { kGeneric = 0, kAvx2 = 1, kAvx512 = 2 };

inline CpuLevel cpu_level() {
  static const CpuLevel level = [] {
    CpuLevel hw = CpuLevel::kGeneric;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
      hw = CpuLevel::kAvx2;
      if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
          __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl"))
        hw = CpuLevel::kAvx512;
    }
#endif
    CpuLevel cap = CpuLevel::kAvx512;
    if (const char* v = std::getenv("METARUN_CPU")) {
      if (std::strcmp(v, "generic") == 0) cap = CpuLevel::kGeneric;
      else if (std::strcmp(v, "avx2") == 0) cap = CpuLevel::kAvx2;
    }
    return hw < cap ? hw : cap;
  }();
  return level;
}

// AVX2 with FMA.
inline bool cpu_has_avx2_fma() { return cpu_level() >= CpuLevel::kAvx2; }
// AVX-512 F, BW, DQ and VL (plus AVX2 and FMA).
inline bool cpu_has_avx512() { return cpu_level() >= CpuLevel::kAvx512; }

}  // namespace metarun
