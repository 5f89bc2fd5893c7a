// The weight-gradient paths of conv_backfilter.h: the per-level loops
// (conv_backfilter_body.inc) compiled once per SIMD level and chosen once
// through cpu_features.h, the fixed grouping of positions, the partials and
// the final sums.
#include "kernels/util/conv_backfilter.h"

#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <new>
#include <vector>

#include "core/cpu_features.h"

namespace metarun {
namespace {

constexpr int kMaxCombos = 256;  // (tap, channel) combos of a direct row: KH*KW*C

namespace generic {
typedef float Vec __attribute__((vector_size(4 * sizeof(float))));
constexpr int kW = 4, kDirectQ = 6, kRows = 6;
// -ffp-contract=off keeps these two roundings.
inline Vec vfma(const Vec& a, const Vec& b, const Vec& c) { return a * b + c; }
#include "kernels/util/conv_backfilter_body.inc"
}  // namespace generic

#if defined(__x86_64__) && defined(__GNUC__)
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace avx2 {
typedef float Vec __attribute__((vector_size(8 * sizeof(float))));
constexpr int kW = 8, kDirectQ = 6, kRows = 6;
inline Vec vfma(const Vec& a, const Vec& b, const Vec& c) {
  return reinterpret_cast<Vec>(_mm256_fmadd_ps(reinterpret_cast<__m256>(a), reinterpret_cast<__m256>(b),
                                               reinterpret_cast<__m256>(c)));
}
#include "kernels/util/conv_backfilter_body.inc"
}  // namespace avx2
#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512dq,avx512vl,fma")
namespace avx512 {
typedef float Vec __attribute__((vector_size(16 * sizeof(float))));
constexpr int kW = 16, kDirectQ = 12, kRows = 8;
inline Vec vfma(const Vec& a, const Vec& b, const Vec& c) {
  return reinterpret_cast<Vec>(_mm512_fmadd_ps(reinterpret_cast<__m512>(a), reinterpret_cast<__m512>(b),
                                               reinterpret_cast<__m512>(c)));
}
#include "kernels/util/conv_backfilter_body.inc"
}  // namespace avx512
#pragma GCC pop_options
#endif

struct Level {
  void (*direct_row)(const ConvGeom&, const float*, const float*, int64_t, int64_t, float*, float*);
  void (*wino_transform)(const ConvGeom&, const float*, const float*, int64_t, int64_t, int64_t, int64_t, int64_t,
                         int64_t, float*, float*, float*);
  void (*wino_products)(int64_t, int64_t, int64_t, int64_t, const float*, const float*, float*);
};

const Level& level() {
  static const Level chosen = [] {
#if defined(__x86_64__) && defined(__GNUC__)
    if (cpu_has_avx512()) return Level{avx512::direct_row, avx512::wino_transform, avx512::wino_products};
    if (cpu_has_avx2_fma()) return Level{avx2::direct_row, avx2::wino_transform, avx2::wino_products};
#endif
    return Level{generic::direct_row, generic::wino_transform, generic::wino_products};
  }();
  return chosen;
}

// A calling thread's buffer of at least `size` floats, kept between calls:
// a fresh one of a few hundred KB faulted in its pages on every call.
// Returns null when the memory cannot be had.
float* kept_buffer(std::vector<float>& buf, int64_t size) {
  try {
    if (buf.size() < static_cast<size_t>(size)) buf.resize(static_cast<size_t>(size));
  } catch (const std::bad_alloc&) {
    return nullptr;
  }
  return buf.data();
}
thread_local std::vector<float> partial_buffer;  // the groups' partials, on the calling thread
thread_local std::vector<float> scratch_buffer;  // a pool thread's rows or transformed tiles

// sum[0..n) += add[0..n), n a multiple of 16 (fixed blocks on restrict
// pointers, which GCC's -O2 vectorizer takes).
void add_into(float* __restrict sum, const float* __restrict add, int64_t n) {
  for (int64_t k = 0; k < n; k += 16)
    for (int i = 0; i < 16; ++i) sum[k + i] += add[k + i];
}

// parts[0] += parts[1] + ... in group order.
void add_partials(float* parts, int64_t groups, int64_t part_size) {
  for (int64_t grp = 1; grp < groups; ++grp) add_into(parts, parts + grp * part_size, part_size);
}

constexpr int64_t kRowsPerSum = 8;

int64_t round_up(int64_t v, int64_t m) { return (v + m - 1) / m * m; }

// Output channels padded to whole blocks of every level (2 x 16 floats).
int64_t padded_outputs(const ConvGeom& g) { return round_up(g.o, 32); }

// Groups of positions, each summed into its own partial: a fixed number, so
// the sums never depend on the thread count; 8 so that a core taken by
// another process delays an eighth of the work, not half; fewer when the
// partials would pass ~32 MB.
int64_t group_count(int64_t units, int64_t partial_floats) {
  const int64_t by_memory = std::max<int64_t>(1, (int64_t{8} << 20) / std::max<int64_t>(1, partial_floats));
  return std::max<int64_t>(1, std::min({units, int64_t{8}, by_memory}));
}

}  // namespace

// A group's partial (KH*KW*C x padded O) stays under 4 MB: each thread
// keeps its buffers between calls.
bool backfilter_direct_suits(const ConvGeom& g) {
  return g.c <= 4 && g.o >= 8 && g.kh * g.kw * g.c <= kMaxCombos && g.o <= 4096 && g.pad_t >= 0 && g.pad_l >= 0;
}

bool backfilter_direct(ThreadPool* pool, const ConvGeom& g, const float* in, const float* dy, float* dw) {
  const Level& lv = level();
  const int64_t opad = padded_outputs(g), k_n = g.kh * g.kw * g.c, rows = g.n * g.oh;
  const int64_t part_size = k_n * opad, groups = group_count(rows, part_size);
  float* parts = kept_buffer(partial_buffer, groups * part_size);
  if (!parts) return false;
  std::fill(parts, parts + groups * part_size, 0.0f);
  // ~0.1 ns per multiply-add in vectors.
  const double cost = 0.1 * static_cast<double>(rows * g.ow * k_n * opad) / static_cast<double>(groups);
  std::atomic<bool> out_of_memory{false};
  parallel_units(pool, groups, cost, [&](int64_t, int64_t grp) {
    float* sums = kept_buffer(scratch_buffer, part_size + g.ow * opad);
    if (!sums) return out_of_memory.store(true);
    float* dyrow = sums + part_size;
    float* part = parts + grp * part_size;
    const int64_t last = rows * (grp + 1) / groups;
    // Runs of rows summed from zero, then added to the group's partial:
    // chains of a few hundred additions rather than one of the whole group.
    for (int64_t r0 = rows * grp / groups; r0 < last; r0 += kRowsPerSum) {
      std::fill(sums, sums + part_size, 0.0f);
      for (int64_t r = r0; r < std::min(last, r0 + kRowsPerSum); ++r) lv.direct_row(g, in, dy, r, opad, dyrow, sums);
      add_into(part, sums, part_size);
    }
  });
  if (out_of_memory) return false;
  add_partials(parts, groups, part_size);
  for (int64_t k = 0; k < k_n; ++k) std::memcpy(dw + k * g.o, parts + k * opad, static_cast<size_t>(g.o) * sizeof(float));
  return true;
}

bool backfilter_winograd_suits(const ConvGeom& g) {
  return g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.c >= 16 && g.o >= 16 &&
         g.c * g.o <= 65536 && g.pad_t >= 0 && g.pad_l >= 0;
}

bool backfilter_winograd(ThreadPool* pool, const ConvGeom& g, const float* in, const float* dy, float* dw) {
  const Level& lv = level();
  const int64_t opad = padded_outputs(g), cpad = round_up(g.c, 16);
  const int64_t th = (g.oh + 1) / 2, tw = (g.ow + 1) / 2, tiles = g.n * th * tw;
  // Tiles per chunk: its V and U (16 x (cpad + opad) floats a tile) in ~512 KB of L2.
  const int64_t chunk = std::clamp<int64_t>((int64_t{512} << 10) / (64 * (cpad + opad)), 16, 256);
  const int64_t chunks = (tiles + chunk - 1) / chunk;
  const int64_t part_size = 16 * g.c * opad, groups = group_count(chunks, part_size);
  const int64_t strips_size = 4 * (2 * tw + 2) * cpad + 4 * tw * opad;
  const int64_t scratch_size = 16 * chunk * (cpad + opad) + strips_size;
  float* parts = kept_buffer(partial_buffer, groups * part_size);
  if (!parts) return false;
  std::fill(parts, parts + groups * part_size, 0.0f);
  const double cost = 0.1 * 16.0 * static_cast<double>(tiles * g.c * opad) / static_cast<double>(groups);
  std::atomic<bool> out_of_memory{false};
  parallel_units(pool, groups, cost, [&](int64_t, int64_t grp) {
    float* V = kept_buffer(scratch_buffer, scratch_size);
    if (!V) return out_of_memory.store(true);
    float* U = V + 16 * chunk * cpad;
    float* strips = U + 16 * chunk * opad;
    float* M = parts + grp * part_size;
    for (int64_t ch = chunks * grp / groups; ch < chunks * (grp + 1) / groups; ++ch) {
      const int64_t t0 = ch * chunk, nt = std::min(chunk, tiles - t0);
      lv.wino_transform(g, in, dy, th, tw, t0, nt, cpad, opad, V, U, strips);
      lv.wino_products(g.c, nt, cpad, opad, V, U, M);
    }
  });
  if (out_of_memory) return false;
  // dw = G^T M G, G^T = [1 .5 .5 0; 0 .5 -.5 0; 0 .5 .5 1], on the groups'
  // sum, in double: the halves and the final combination round once.
  add_partials(parts, groups, part_size);
  const int64_t plane = g.c * opad;
  for (int64_t c = 0; c < g.c; ++c)
    for (int64_t o = 0; o < g.o; ++o) {
      double m[16];
      for (int e = 0; e < 16; ++e) m[e] = parts[e * plane + c * opad + o];
      double t[12];  // G^T m: 3 rows of 4
      for (int s = 0; s < 4; ++s) {
        t[s] = m[s] + 0.5 * (m[4 + s] + m[8 + s]);
        t[4 + s] = 0.5 * (m[4 + s] - m[8 + s]);
        t[8 + s] = 0.5 * (m[4 + s] + m[8 + s]) + m[12 + s];
      }
      for (int i = 0; i < 3; ++i) {
        const double* r = t + 4 * i;
        const double out[3] = {r[0] + 0.5 * (r[1] + r[2]), 0.5 * (r[1] - r[2]), 0.5 * (r[1] + r[2]) + r[3]};
        for (int j = 0; j < 3; ++j) dw[((i * 3 + j) * g.c + c) * g.o + o] = static_cast<float>(out[j]);
      }
    }
  return true;
}

}  // namespace metarun
