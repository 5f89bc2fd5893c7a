// Winograd F(2x2, 3x3) (conv_fast.h). With B, G and A the transforms of
// that algorithm, each 2x2 output tile is A^T [(G g G^T) . (B^T d B)] A for
// its 4x4 input tile d; the elementwise product summed over input channels
// is 16 GEMMs, one per position of the 4x4 transformed tile.
//
// Work goes in blocks of whole tile rows (a tile row covers two output rows
// of one image), so a block's transformed input and products stay in L2 and
// its finished output rows are contiguous for the epilogue.
#include <algorithm>
#include <cstring>
#include <memory>

#include "core/cpu_features.h"
#include "kernels/util/blas.h"
#include "kernels/util/conv_fast.h"

namespace metarun {
namespace {

constexpr int64_t kTile = 2;    // output tile edge
constexpr int64_t kPos = 16;    // transformed tile positions

struct TileGrid {
  int64_t ty = 0, tx = 0;  // tiles per image, down and across
};

#define METARUN_SIMD_BODY "kernels/util/conv_winograd_body.inc"
#include "kernels/util/simd_levels.inc"

struct Transforms {
  decltype(&generic::transform_input) input;
  decltype(&generic::transform_output) output;
};

Transforms pick_transforms() {
#if defined(__x86_64__) && defined(__GNUC__)
  if (cpu_has_avx512()) return {avx512::transform_input, avx512::transform_output};
  if (cpu_has_avx2_fma()) return {avx2::transform_input, avx2::transform_output};
#endif
  return {generic::transform_input, generic::transform_output};
}

}  // namespace

// Measured on 14x14 and 28x28 images: below 16 input or output channels the
// 16 small GEMMs and the transforms cost more than im2col saves.
bool winograd_suits(const ConvGeom& g) {
  return g.kh == 3 && g.kw == 3 && g.sh == 1 && g.sw == 1 && g.dh == 1 && g.dw == 1 && g.c >= 16 && g.o >= 16;
}

// U = G g G^T with G = [[1, 0, 0], [1/2, 1/2, 1/2], [1/2, -1/2, 1/2], [0, 0, 1]],
// in double and rounded once.
std::vector<float> winograd_filter(const float* filter, int64_t c, int64_t o) {
  std::vector<float> u(kPos * c * o);
  const int64_t plane = c * o;
  for (int64_t k = 0; k < plane; ++k) {
    double gk[3][3];
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 3; ++j) gk[i][j] = filter[(i * 3 + j) * plane + k];
    double t[4][3];  // G g
    for (int j = 0; j < 3; ++j) {
      t[0][j] = gk[0][j];
      t[1][j] = 0.5 * (gk[0][j] + gk[1][j] + gk[2][j]);
      t[2][j] = 0.5 * (gk[0][j] - gk[1][j] + gk[2][j]);
      t[3][j] = gk[2][j];
    }
    for (int i = 0; i < 4; ++i) {  // (G g) G^T
      u[(i * 4 + 0) * plane + k] = static_cast<float>(t[i][0]);
      u[(i * 4 + 1) * plane + k] = static_cast<float>(0.5 * (t[i][0] + t[i][1] + t[i][2]));
      u[(i * 4 + 2) * plane + k] = static_cast<float>(0.5 * (t[i][0] - t[i][1] + t[i][2]));
      u[(i * 4 + 3) * plane + k] = static_cast<float>(t[i][2]);
    }
  }
  return u;
}

void winograd_conv(ThreadPool* pool, const ConvGeom& g, const float* in, const float* filter_u, float* out,
                   const ConvEpilogue* epilogue) {
  static const Transforms transforms = pick_transforms();
  TileGrid grid;
  grid.ty = (g.oh + kTile - 1) / kTile;
  grid.tx = (g.ow + kTile - 1) / kTile;
  const int64_t tile_rows = g.n * grid.ty;
  // About 96 tiles per block: V and M together ~0.6 MB at C=32, O=64.
  const int64_t per_block = std::max<int64_t>(1, 96 / std::max<int64_t>(1, grid.tx));
  const int64_t blocks = (tile_rows + per_block - 1) / per_block;
  const double cost = 0.05 * 2.0 * static_cast<double>(per_block * grid.tx * kPos * g.c * g.o);
  // Each worker's scratch, made on its first block; V and M are written
  // before they are read, so they are left uninitialised (zero-filling
  // ~0.6 MB per worker and call cost about 1% of the convolution).
  struct Scratch {
    std::unique_ptr<float[]> v, m;
    std::vector<float> zeros;
  };
  std::vector<Scratch> scratch(parallel_workers(pool, blocks));
  const int64_t max_tiles = per_block * grid.tx;
  parallel_units(pool, blocks, cost, [&](int64_t worker, int64_t bi) {
    Scratch& s = scratch[worker];
    if (!s.v) {
      s.v.reset(new float[kPos * max_tiles * g.c]);
      s.m.reset(new float[kPos * max_tiles * g.o]);
      s.zeros.assign(g.c, 0.0f);
    }
    float* v = s.v.get();
    float* m = s.m.get();
    const int64_t r0 = bi * per_block, r1 = std::min(tile_rows, r0 + per_block);
    const int64_t tiles = (r1 - r0) * grid.tx;
    transforms.input(g, grid, in, r0, r1, s.zeros.data(), v);
    GemmArgs ga;
    ga.m = tiles;
    ga.n = g.o;
    ga.k = g.c;
    ga.lda = g.c;
    ga.ldb = g.o;
    ga.ldc = g.o;
    for (int64_t p = 0; p < kPos; ++p)
      gemm(ga, v + p * tiles * g.c, filter_u + p * g.c * g.o, m + p * tiles * g.o);
    transforms.output(g, grid, m, r0, r1, out, epilogue);
  });
}

std::shared_ptr<const std::vector<float>> WinogradFilterCache::get(const float* filter, int64_t c, int64_t o) {
  const size_t n = static_cast<size_t>(9 * c * o);
  std::lock_guard<std::mutex> lock(mu_);
  if (!transformed_ || c != c_ || o != o_ || std::memcmp(source_.data(), filter, n * sizeof(float)) != 0) {
    source_.assign(filter, filter + n);
    c_ = c;
    o_ = o;
    transformed_ = std::make_shared<const std::vector<float>>(winograd_filter(filter, c, o));
  }
  return transformed_;
}

}  // namespace metarun
