#include "kernels/util/data_movement.h"

#include <algorithm>
#include <cstring>
#include <type_traits>

#if defined(__SSE2__)
#include <emmintrin.h>
#include <xmmintrin.h>
#endif

namespace metarun {
namespace {

struct Pod16 {
  uint64_t lo, hi;
};

// Calls f(E{}) with the element type that moves `dtype`'s elements.
template <class F>
void by_width(DType dtype, F&& f) {
  switch (base_type(dtype)) {
    case DType::kString: f(std::string()); return;
    case DType::kResource: f(ResourceHandle()); return;
    default: break;
  }
  switch (dtype_size(dtype)) {
    case 1: f(uint8_t()); return;
    case 2: f(uint16_t()); return;
    case 4: f(uint32_t()); return;
    case 8: f(uint64_t()); return;
    case 16: f(Pod16()); return;
    default: return;
  }
}

template <class E>
void copy_block(const E* s, E* d, int64_t n) {
  if constexpr (std::is_trivially_copyable_v<E>) std::memcpy(d, s, static_cast<size_t>(n) * sizeof(E));
  else std::copy(s, s + n, d);
}

// A copy view after dropping size-1 dims and merging dims that are
// contiguous in both source and destination.
struct View {
  std::vector<int64_t> dims, ss, ds;
};

bool simplify(const Shape& dims, const std::vector<int64_t>& ss,
              const std::vector<int64_t>& ds, View* v) {
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 0) return false;
    if (dims[i] == 1) continue;
    if (!v->dims.empty() && v->ss.back() == ss[i] * dims[i] && v->ds.back() == ds[i] * dims[i]) {
      v->dims.back() *= dims[i];
      v->ss.back() = ss[i];
      v->ds.back() = ds[i];
      continue;
    }
    v->dims.push_back(dims[i]);
    v->ss.push_back(ss[i]);
    v->ds.push_back(ds[i]);
  }
  return true;
}

// Visits every index of `dims` in [begin, end) (row-major order), keeping
// the source and destination offsets current.
template <class F>
void walk(const View& v, const std::vector<int>& axes, int64_t begin, int64_t end, F&& f) {
  const int n = static_cast<int>(axes.size());
  std::vector<int64_t> idx(n);
  int64_t so = 0, dof = 0, rem = begin;
  for (int j = n - 1; j >= 0; --j) {
    int a = axes[j];
    idx[j] = rem % v.dims[a];
    rem /= v.dims[a];
    so += idx[j] * v.ss[a];
    dof += idx[j] * v.ds[a];
  }
  for (int64_t u = begin; u < end; ++u) {
    f(so, dof);
    for (int j = n - 1; j >= 0; --j) {
      int a = axes[j];
      so += v.ss[a];
      dof += v.ds[a];
      if (++idx[j] < v.dims[a]) break;
      so -= v.ss[a] * v.dims[a];
      dof -= v.ds[a] * v.dims[a];
      idx[j] = 0;
    }
  }
}

// d[a * dk + c] = s[a + c * sin] over the tile [a0, a1) x [c0, c1). 4- and
// 8-byte elements go through SSE register transposes (pure bit moves, so any
// dtype of that width is safe, NaN payloads included).
template <class E>
void transpose_tile(const E* s, int64_t sin, E* d, int64_t dk, int64_t a0, int64_t a1, int64_t c0, int64_t c1) {
  int64_t a = a0;
#if defined(__SSE2__)
  if constexpr (std::is_trivially_copyable_v<E> && sizeof(E) == 4) {
    for (; a + 4 <= a1; a += 4) {
      int64_t c = c0;
      for (; c + 4 <= c1; c += 4) {
        const E* p = s + a + c * sin;
        __m128 r0 = _mm_loadu_ps(reinterpret_cast<const float*>(p));
        __m128 r1 = _mm_loadu_ps(reinterpret_cast<const float*>(p + sin));
        __m128 r2 = _mm_loadu_ps(reinterpret_cast<const float*>(p + 2 * sin));
        __m128 r3 = _mm_loadu_ps(reinterpret_cast<const float*>(p + 3 * sin));
        _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
        E* q = d + a * dk + c;
        _mm_storeu_ps(reinterpret_cast<float*>(q), r0);
        _mm_storeu_ps(reinterpret_cast<float*>(q + dk), r1);
        _mm_storeu_ps(reinterpret_cast<float*>(q + 2 * dk), r2);
        _mm_storeu_ps(reinterpret_cast<float*>(q + 3 * dk), r3);
      }
      for (; c < c1; ++c)
        for (int64_t i = 0; i < 4; ++i) d[(a + i) * dk + c] = s[a + i + c * sin];
    }
  } else if constexpr (std::is_trivially_copyable_v<E> && sizeof(E) == 8) {
    for (; a + 2 <= a1; a += 2) {
      int64_t c = c0;
      for (; c + 2 <= c1; c += 2) {
        const E* p = s + a + c * sin;
        __m128d r0 = _mm_loadu_pd(reinterpret_cast<const double*>(p));
        __m128d r1 = _mm_loadu_pd(reinterpret_cast<const double*>(p + sin));
        E* q = d + a * dk + c;
        _mm_storeu_pd(reinterpret_cast<double*>(q), _mm_unpacklo_pd(r0, r1));
        _mm_storeu_pd(reinterpret_cast<double*>(q + dk), _mm_unpackhi_pd(r0, r1));
      }
      for (; c < c1; ++c)
        for (int64_t i = 0; i < 2; ++i) d[(a + i) * dk + c] = s[a + i + c * sin];
    }
  }
#endif
  for (; a < a1; ++a) {
    const E* p = s + a;
    E* q = d + a * dk;
    for (int64_t c = c0; c < c1; ++c) q[c] = p[c * sin];
  }
}

template <class E>
void copy_view(const OpContext& ctx, const View& v, const E* src, E* dst) {
  const int r = static_cast<int>(v.dims.size());
  if (r == 0) {
    *dst = *src;
    return;
  }
  const int64_t inner = v.dims[r - 1], sin = v.ss[r - 1], din = v.ds[r - 1];
  const double row_cost = 0.3 * static_cast<double>(inner) * std::max<double>(1.0, sizeof(E) / 4.0);
  int k = -1;  // a source-contiguous outer dim: the copy is a transpose
  if (din == 1 && sin != 1 && sin != 0)
    for (int j = 0; j < r - 1; ++j)
      if (v.ss[j] == 1) k = j;
  if (k >= 0 && std::is_trivially_copyable_v<E>) {
    constexpr int64_t kB = 32;
    std::vector<int> axes;
    for (int j = 0; j < r - 1; ++j)
      if (j != k) axes.push_back(j);
    int64_t outer = 1;
    for (int a : axes) outer *= v.dims[a];
    const int64_t rows = v.dims[k], dk = v.ds[k], nblk = (rows + kB - 1) / kB;
    ctx.parallel_for(outer * nblk, row_cost * kB * 2, [&](int64_t b, int64_t e) {
      for (int64_t u = b; u < e; ++u) {
        int64_t blk = u % nblk;
        walk(v, axes, u / nblk, u / nblk + 1, [&](int64_t so, int64_t dof) {
          int64_t a0 = blk * kB, a1 = std::min(rows, a0 + kB);
          for (int64_t c0 = 0; c0 < inner; c0 += kB)
            transpose_tile(src + so, sin, dst + dof, dk, a0, a1, c0, std::min(inner, c0 + kB));
        });
      }
    });
    return;
  }
  std::vector<int> axes;
  for (int j = 0; j < r - 1; ++j) axes.push_back(j);
  const int64_t rows = dims_product(v.dims, 0, r - 1);
  ctx.parallel_for(rows, row_cost, [&](int64_t b, int64_t e) {
    walk(v, axes, b, e, [&](int64_t so, int64_t dof) {
      const E* s = src + so;
      E* d = dst + dof;
      if (sin == 1 && din == 1) {
        copy_block(s, d, inner);
      } else if (sin == -1 && din == 1) {
        std::reverse_copy(s - inner + 1, s + 1, d);
      } else if (sin == 0) {
        if (din == 1) std::fill(d, d + inner, *s);
        else for (int64_t i = 0; i < inner; ++i) d[i * din] = *s;
      } else {
        for (int64_t i = 0; i < inner; ++i) d[i * din] = s[i * sin];
      }
    });
  });
}

}  // namespace

std::vector<int64_t> row_major_strides(const Shape& shape) {
  std::vector<int64_t> s(shape.size());
  int64_t acc = 1;
  for (int i = static_cast<int>(shape.size()) - 1; i >= 0; --i) {
    s[i] = acc;
    acc *= shape[i];
  }
  return s;
}

Status check_shape_size(const Shape& shape) {
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d != 0 && __builtin_mul_overflow(n, d, &n))
      return invalid_argument(str_cat("Encountered overflow when multiplying shape ", shape_str(shape)));
  }
  return Status();
}

void* element_ptr(const Tensor& t, int64_t index) {
  void* p = nullptr;
  by_width(t.dtype(), [&](auto tag) { p = t.data<decltype(tag)>() + index; });
  return p;
}

void copy_elements(DType dtype, const void* src, void* dst, int64_t n) {
  if (n <= 0) return;
  by_width(dtype, [&](auto tag) {
    using E = decltype(tag);
    copy_block(static_cast<const E*>(src), static_cast<E*>(dst), n);
  });
}

std::vector<int64_t> index_values(const Tensor& t) {
  std::vector<int64_t> v(t.num_elements());
  for (int64_t i = 0; i < t.num_elements(); ++i) v[i] = index_at(t, i);
  return v;
}

void strided_copy(const OpContext& ctx, DType dtype, Shape dims, const void* src,
                  std::vector<int64_t> src_strides, void* dst, std::vector<int64_t> dst_strides) {
  View v;
  if (!simplify(dims, src_strides, dst_strides, &v)) return;
  by_width(dtype, [&](auto tag) {
    using E = decltype(tag);
    copy_view(ctx, v, static_cast<const E*>(src), static_cast<E*>(dst));
  });
}

}  // namespace metarun
