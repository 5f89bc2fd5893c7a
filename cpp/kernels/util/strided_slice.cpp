#include "kernels/util/strided_slice.h"

#include <algorithm>

namespace metarun {

namespace {
constexpr int64_t kNewAxis = -1;
constexpr int64_t kShrinkAxis = -2;

}  // namespace

Status normalize_slice(const Shape& input, std::vector<int64_t> begin, std::vector<int64_t> end,
                       std::vector<int64_t> strides, SliceMasks m, DenseSlice* out) {
  int64_t sparse_dims = static_cast<int64_t>(begin.size());
  MR_REQUIRE(sparse_dims <= 32, "Requires 32 or fewer dimensions in the slice spec");
  bool seen_ellipsis = false;
  int64_t new_axis_after_ellipsis = 0;
  for (int64_t i = 0; i < sparse_dims; ++i) {
    if (seen_ellipsis && ((m.new_axis >> i) & 1)) ++new_axis_after_ellipsis;
    if ((m.ellipsis >> i) & 1) seen_ellipsis = true;
  }
  if (!seen_ellipsis) {  // an implicit trailing ellipsis
    m.ellipsis |= int64_t{1} << sparse_dims;
    ++sparse_dims;
    begin.push_back(0);
    end.push_back(0);
    strides.push_back(1);
  }
  const int64_t dims = static_cast<int64_t>(input.size());
  std::vector<int64_t> b(dims, 0), e(dims, 0), s(dims, 1), gather;
  std::vector<bool> bm(dims, false), em(dims, false), shrink(dims, false);
  int64_t full = 0;
  for (int64_t i = 0; i < sparse_dims; ++i) {
    if ((m.ellipsis >> i) & 1) {
      const int64_t next = std::min(dims - (sparse_dims - i) + 1 + new_axis_after_ellipsis, dims);
      for (; full < next; ++full) {
        bm[full] = em[full] = true;
        gather.push_back(full);
      }
    } else if ((m.new_axis >> i) & 1) {
      gather.push_back(kNewAxis);
    } else {
      MR_REQUIRE(full < dims, "Index out of range using input dim ", full, "; input has only ", dims,
                 " dims");
      b[full] = begin[i];
      e[full] = end[i];
      s[full] = strides[i];
      bm[full] = (m.begin >> i) & 1;
      em[full] = (m.end >> i) & 1;
      shrink[full] = (m.shrink >> i) & 1;
      gather.push_back(shrink[full] ? kShrinkAxis : full);
      ++full;
    }
  }
  out->begin.assign(dims, 0);
  out->stride.assign(dims, 1);
  out->processing.assign(dims, 0);
  for (int64_t i = 0; i < dims; ++i) {
    const int64_t dim = input[i], st = s[i];
    MR_REQUIRE(st != 0, "strides[", i, "] must be non-zero");
    int64_t lo, hi;
    if (shrink[i]) {
      MR_REQUIRE(st > 0, "only stride 1 allowed on non-range indexing.");
      const int64_t fwd = b[i] < 0 ? dim + b[i] : b[i];
      MR_REQUIRE(fwd >= 0 && fwd < dim, "slice index ", b[i], " of dimension ", i, " out of bounds.");
      lo = fwd;
      hi = fwd + 1;
    } else {
      auto canonical = [&](int64_t x, bool masked, int c) {
        if (masked) return st > 0 ? (c == 0 ? int64_t{0} : dim) : (c == 0 ? dim - 1 : int64_t{-1});
        const int64_t fwd = x < 0 ? dim + x : x;
        const int64_t low = st > 0 ? 0 : -1, high = st > 0 ? dim : dim - 1;
        return std::max(low, std::min(high, fwd));
      };
      lo = canonical(b[i], bm[i], 0);
      hi = canonical(e[i], em[i], 1);
    }
    const int64_t len = hi - lo;
    int64_t size;
    if (shrink[i]) size = 1;
    else if (len == 0 || ((len < 0) != (st < 0))) size = 0;
    else size = len / st + (len % st != 0 ? 1 : 0);
    out->begin[i] = lo;
    out->stride[i] = st;
    out->processing[i] = size;
  }
  out->final_shape.clear();
  for (int64_t g : gather) {
    if (g >= 0) out->final_shape.push_back(out->processing[g]);
    else if (g == kNewAxis) out->final_shape.push_back(1);
  }
  return Status();
}

SliceMasks read_slice_masks(KernelInit& init) {
  SliceMasks m;
  for (auto [name, field] : {std::pair<const char*, int64_t*>{"begin_mask", &m.begin},
                             {"end_mask", &m.end},
                             {"ellipsis_mask", &m.ellipsis},
                             {"new_axis_mask", &m.new_axis},
                             {"shrink_axis_mask", &m.shrink}})
    if (init.has_attr(name)) init.get(name, field);
  return m;
}

}  // namespace metarun
