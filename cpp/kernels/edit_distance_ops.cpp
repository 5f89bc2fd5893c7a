// EditDistance as TF's CPU kernel: the Levenshtein distance between the
// sequences of two sparse tensors, grouped by all index columns but the
// last, for every dtype TF registers.
//
// Groups are runs of consecutive entries with the same leading indices (the
// indices are taken as already ordered, as TF takes them) and the two runs
// of groups are merged by comparing those indices lexicographically. A
// group only in the hypothesis gives its length (divided by 0 when
// normalizing: inf); one only in the truth its length, or 1 when
// normalizing. The output has the larger of the two dense shapes, last
// dimension dropped; positions no group names stay 0.
#include <algorithm>
#include <vector>

#include "framework/registry.h"

namespace metarun {
namespace {

template <class T>
bool same(const T& a, const T& b) {
  if constexpr (is_half_v<T>) return static_cast<float>(a) == static_cast<float>(b);
  else return a == b;
}

template <class T>
int64_t levenshtein(const T* s, int64_t ns, const T* t, int64_t nt) {
  if (nt > ns) std::swap(s, t), std::swap(ns, nt);
  if (nt == 0) return ns;
  std::vector<int64_t> row(nt + 1);
  for (int64_t j = 0; j <= nt; ++j) row[j] = j;
  for (int64_t i = 1; i <= ns; ++i) {
    int64_t diag = row[0];
    row[0] = i;
    for (int64_t j = 1; j <= nt; ++j) {
      const int64_t up = row[j];
      row[j] = std::min({row[j - 1] + 1, up + 1, diag + (same(s[i - 1], t[j - 1]) ? 0 : 1)});
      diag = up;
    }
  }
  return row[nt];
}

struct Group {
  std::vector<int64_t> key;
  int64_t begin, end;  // entry range
};

std::vector<Group> groups(const Tensor& indices) {
  std::vector<Group> out;
  const int64_t n = indices.dim(0), cols = indices.dim(1);
  const int64_t* ix = indices.data<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    std::vector<int64_t> key(ix + i * cols, ix + i * cols + cols - 1);
    if (out.empty() || out.back().key != key) out.push_back({std::move(key), i, i});
    out.back().end = i + 1;
  }
  return out;
}

Status check_shapes(OpContext& ctx) {
  const Tensor &hi = ctx.input(0), &hv = ctx.input(1), &hs = ctx.input(2);
  const Tensor &ti = ctx.input(3), &tv = ctx.input(4), &ts = ctx.input(5);
  MR_REQUIRE(hi.rank() == 2, "hypothesis_indices should be a matrix");
  MR_REQUIRE(ti.rank() == 2, "truth_indices should be a matrix");
  MR_REQUIRE(hv.rank() == 1, "hypothesis_values should be a vector");
  MR_REQUIRE(tv.rank() == 1, "truth_values should be a vector");
  MR_REQUIRE(hs.rank() == 1, "hypothesis_shape should be a vector");
  MR_REQUIRE(ts.rank() == 1, "truth_shape should be a vector");
  MR_REQUIRE(hv.dim(0) == hi.dim(0), "Expected hypothesis_values.NumElements == #rows(hypothesis_indices)");
  MR_REQUIRE(hs.dim(0) == hi.dim(1), "Expected hypothesis_shape.NumElements == #cols(hypothesis_indices)");
  MR_REQUIRE(ts.dim(0) >= 2, "Input SparseTensors must have rank at least 2, but truth_shape rank is: ",
             ts.dim(0));
  MR_REQUIRE(tv.dim(0) == ti.dim(0), "Expected truth_values.NumElements == #rows(truth_indices)");
  MR_REQUIRE(ts.dim(0) == ti.dim(1), "Expected truth_shape.NumElements == #cols(truth_indices)");
  MR_REQUIRE(ts.dim(0) == hs.dim(0), "Expected truth and hypothesis to have matching ranks");
  for (const Tensor* s : {&hs, &ts})
    for (int64_t d = 0; d < s->dim(0); ++d)
      MR_REQUIRE(s->data<int64_t>()[d] >= 0, "Dimension ", d, " of a sparse shape is negative");
  return Status();
}

template <class T>
class EditDistanceKernel : public OpKernel {
 public:
  explicit EditDistanceKernel(KernelInit& init) { init.get("normalize", &normalize_); }

  Status compute(OpContext& ctx) override {
    MR_RETURN_IF_ERROR(check_shapes(ctx));
    const Tensor &hs = ctx.input(2), &ts = ctx.input(5);
    const int64_t rank = ts.dim(0);
    Shape shape(static_cast<size_t>(rank - 1));
    for (int64_t d = 0; d + 1 < rank; ++d) shape[d] = std::max(hs.data<int64_t>()[d], ts.data<int64_t>()[d]);
    std::vector<int64_t> strides(rank - 1, 1);
    for (int64_t d = rank - 3; d >= 0; --d) strides[d] = strides[d + 1] * shape[d + 1];
    Tensor& out_t = ctx.allocate_output(0, shape);
    float* out = out_t.data<float>();
    const int64_t size = out_t.num_elements();
    std::fill(out, out + size, 0.0f);
    const T* hv = ctx.input(1).data<T>();
    const T* tv = ctx.input(4).data<T>();
    const std::vector<Group> hyp = groups(ctx.input(0)), truth = groups(ctx.input(3));
    // TF checks only the flat position, not each index (an index past one
    // dimension may land inside the output).
    auto place = [&](const std::vector<int64_t>& key, int64_t* loc) -> Status {
      int64_t at = 0;
      for (size_t d = 0; d < key.size(); ++d) at += key[d] * strides[d];
      if (at < 0 || at >= size)
        return internal_error(str_cat("Got an inner product ", at, " which would require writing to outside of "
                                    "the buffer for the output tensor (max elements ", size, ")"));
      *loc = at;
      return Status();
    };
    size_t i = 0, j = 0;
    while (i < hyp.size() || j < truth.size()) {
      int64_t loc = 0;
      const bool both = i < hyp.size() && j < truth.size();
      if (both && hyp[i].key == truth[j].key) {
        MR_RETURN_IF_ERROR(place(truth[j].key, &loc));
        const int64_t nt = truth[j].end - truth[j].begin;
        out[loc] = static_cast<float>(levenshtein(tv + truth[j].begin, nt, hv + hyp[i].begin,
                                                  hyp[i].end - hyp[i].begin));
        if (normalize_) out[loc] /= static_cast<float>(nt);
        ++i, ++j;
      } else if (j >= truth.size() || (both && truth[j].key > hyp[i].key)) {
        MR_RETURN_IF_ERROR(place(hyp[i].key, &loc));
        out[loc] = static_cast<float>(hyp[i].end - hyp[i].begin);
        if (normalize_) out[loc] /= 0.0f;
        ++i;
      } else {
        MR_RETURN_IF_ERROR(place(truth[j].key, &loc));
        out[loc] = normalize_ ? 1.0f : static_cast<float>(truth[j].end - truth[j].begin);
        ++j;
      }
    }
    return Status();
  }

 private:
  bool normalize_ = true;
};

}  // namespace

void register_edit_distance_ops(Registry& r) {
  using EditTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t,
                             uint32_t, uint64_t, complex64, complex128, bool, std::string>;
  r.add<EditTypes>("EditDistance", [](auto tag, KernelInit& init) {
    return make_kernel<EditDistanceKernel<decltype(tag)>>(init);
  });
}

}  // namespace metarun
