// Shared pieces of the sparse kernels (sparse_ops.cpp, sparse_ops_2.cpp): a SparseTensor's
// index matrix read once into int64 rows, TF's row-major order on those rows, and the
// shape checks TF's SparseTensor::Create makes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include "framework/registry.h"

namespace metarun {
namespace sparse {

// An [n, rank] index matrix (int32 or int64) as int64 rows.
struct Indices {
  int64_t n = 0;
  int64_t rank = 0;
  std::vector<int64_t> v;

  Indices() = default;
  explicit Indices(const Tensor& t) : n(t.dim(0)), rank(t.dim(1)), v(static_cast<size_t>(t.num_elements())) {
    for (int64_t i = 0; i < static_cast<int64_t>(v.size()); ++i) v[i] = index_at(t, i);
  }
  const int64_t* row(int64_t i) const { return v.data() + i * rank; }
  int64_t at(int64_t i, int64_t d) const { return v[i * rank + d]; }
};

// <0, 0, >0 as row a of `x` sorts before, with, after row b of `y` (lexicographic).
inline int compare(const int64_t* a, const int64_t* b, int64_t rank) {
  for (int64_t d = 0; d < rank; ++d) {
    if (a[d] != b[d]) return a[d] < b[d] ? -1 : 1;
  }
  return 0;
}

// The permutation that sorts the rows stably by the dims of `order` (row-major when it is
// 0..rank-1), as TF's SparseTensor::Reorder.
inline std::vector<int64_t> sorted_order(const Indices& ind, const std::vector<int64_t>& order) {
  std::vector<int64_t> perm(ind.n);
  std::iota(perm.begin(), perm.end(), 0);
  std::stable_sort(perm.begin(), perm.end(), [&](int64_t a, int64_t b) {
    for (int64_t d : order) {
      const int64_t x = ind.at(a, d), y = ind.at(b, d);
      if (x != y) return x < y;
    }
    return false;
  });
  return perm;
}

inline std::vector<int64_t> row_major(int64_t rank) {
  std::vector<int64_t> order(rank);
  std::iota(order.begin(), order.end(), 0);
  return order;
}

inline std::string join(const int64_t* v, int64_t n, const char* sep) {
  std::string s;
  for (int64_t i = 0; i < n; ++i) s += (i ? sep : "") + std::to_string(v[i]);
  return s;
}

inline std::vector<int64_t> read_vector(const Tensor& t) {
  std::vector<int64_t> out(static_cast<size_t>(t.num_elements()));
  for (int64_t i = 0; i < t.num_elements(); ++i) out[i] = index_at(t, i);
  return out;
}

// TF's SparseTensor::Create checks: indices a matrix, values a vector, shape a vector, and
// their sizes agreeing.
inline Status check_create(const Tensor& ind, const Tensor& vals, const Tensor& shape) {
  MR_REQUIRE(ind.rank() == 2, "Sparse indices must be rank 2 but is rank ", ind.rank());
  MR_REQUIRE(vals.rank() == 1, "Sparse values must be rank 1 but is rank ", vals.rank());
  MR_REQUIRE(shape.rank() == 1, "Input shape should be a vector but received shape ", shape_str(shape.shape()));
  MR_REQUIRE(ind.dim(0) == vals.dim(0), "Number of elements in indices (", ind.dim(0), ") and values (", vals.dim(0),
             ") do not match");
  MR_REQUIRE(ind.dim(1) == shape.dim(0), "Index rank (", ind.dim(1), ") and shape rank (", shape.dim(0),
             ") do not match");
  return Status();
}

// The same sizes checked as the kernels that validate their inputs by hand word it.
inline Status check_rows(const Tensor& ind, const Tensor& vals) {
  MR_REQUIRE(ind.dim(0) == vals.dim(0), "indices and values rows (indexing dimension) must match. (indices = ",
             ind.dim(0), ", values = ", vals.dim(0), ")");
  return Status();
}

}  // namespace sparse
}  // namespace metarun
