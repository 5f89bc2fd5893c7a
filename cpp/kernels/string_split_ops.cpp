// String ops whose outputs are built from pieces of several strings:
// StringSplit / StringSplitV2 (sparse outputs: indices, values, dense shape),
// StringNGrams (ragged: values and row splits), ReduceJoin and
// UnsortedSegmentJoin, as TF's CPU kernels give them.
#include <algorithm>

#include "framework/registry.h"

namespace metarun {
namespace {

int64_t int_at(const Tensor& t, int64_t i) {
  return t.dtype() == DType::kInt32 ? t.data<int32_t>()[i] : t.data<int64_t>()[i];
}

void set_index(Tensor& t, int64_t i, int64_t v) {
  if (t.dtype() == DType::kInt32) t.data<int32_t>()[i] = static_cast<int32_t>(v);
  else t.data<int64_t>()[i] = v;
}

// Rows of tokens to StringSplit's three outputs.
void emit_sparse(OpContext& ctx, const std::vector<std::vector<std::string>>& rows) {
  int64_t total = 0, widest = 0;
  for (const auto& r : rows) {
    total += static_cast<int64_t>(r.size());
    widest = std::max(widest, static_cast<int64_t>(r.size()));
  }
  Tensor& indices = ctx.allocate_output(0, {total, 2});
  Tensor& values = ctx.allocate_output(1, {total});
  Tensor& shape = ctx.allocate_output(2, {2});
  int64_t k = 0;
  for (size_t i = 0; i < rows.size(); ++i) {
    for (size_t j = 0; j < rows[i].size(); ++j, ++k) {
      indices.data<int64_t>()[2 * k] = static_cast<int64_t>(i);
      indices.data<int64_t>()[2 * k + 1] = static_cast<int64_t>(j);
      values.data<std::string>()[k] = rows[i][j];
    }
  }
  shape.data<int64_t>()[0] = static_cast<int64_t>(rows.size());
  shape.data<int64_t>()[1] = widest;
}

Status split_inputs(OpContext& ctx, const char* sep_name) {
  if (ctx.input(0).rank() != 1)
    return invalid_argument(str_cat("input must be a vector, got shape: ", shape_str(ctx.input(0).shape())));
  if (ctx.input(1).rank() != 0)
    return invalid_argument(str_cat(sep_name, " must be a scalar, got shape: ", shape_str(ctx.input(1).shape())));
  return Status();
}

// StringSplit: every byte of `delimiter` separates tokens; an empty delimiter
// splits into single bytes.
class StringSplitKernel : public OpKernel {
 public:
  explicit StringSplitKernel(KernelInit& init) {
    if (init.has_attr("skip_empty")) init.get("skip_empty", &skip_empty_);
  }
  Status compute(OpContext& ctx) override {
    MR_RETURN_IF_ERROR(split_inputs(ctx, "delimiter"));
    const Tensor& in = ctx.input(0);
    const std::string& delim = ctx.input(1).data<std::string>()[0];
    std::vector<std::vector<std::string>> rows(static_cast<size_t>(in.num_elements()));
    for (int64_t i = 0; i < in.num_elements(); ++i) {
      const std::string& s = in.data<std::string>()[i];
      auto& row = rows[static_cast<size_t>(i)];
      if (delim.empty()) {
        for (char c : s) row.emplace_back(1, c);
        continue;
      }
      if (s.empty()) continue;  // no tokens, even when empty ones are kept
      size_t start = 0;
      for (size_t p = 0; p <= s.size(); ++p) {
        if (p == s.size() || delim.find(s[p]) != std::string::npos) {
          if (!(skip_empty_ && p == start)) row.push_back(s.substr(start, p - start));
          start = p + 1;
        }
      }
    }
    emit_sparse(ctx, rows);
    return Status();
  }

 private:
  bool skip_empty_ = true;
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; }

// StringSplitV2: a non-empty `sep` splits on the whole separator and keeps
// empty tokens (as Python's str.split(sep)); an empty one splits on runs of
// whitespace, where TF differs from Python: maxsplit 0 keeps the string as it
// is, and once maxsplit tokens are taken the rest after the whitespace is one
// more token, even when empty.
class StringSplitV2Kernel : public OpKernel {
 public:
  explicit StringSplitV2Kernel(KernelInit& init) {
    if (init.has_attr("maxsplit")) init.get("maxsplit", &maxsplit_);
  }
  Status compute(OpContext& ctx) override {
    MR_RETURN_IF_ERROR(split_inputs(ctx, "sep"));
    const Tensor& in = ctx.input(0);
    const std::string& sep = ctx.input(1).data<std::string>()[0];
    std::vector<std::vector<std::string>> rows(static_cast<size_t>(in.num_elements()));
    for (int64_t i = 0; i < in.num_elements(); ++i) {
      const std::string& s = in.data<std::string>()[i];
      auto& row = rows[static_cast<size_t>(i)];
      int64_t splits = 0;
      if (sep.empty()) {
        if (maxsplit_ == 0) {
          row.push_back(s);
          continue;
        }
        size_t p = 0;
        while (p < s.size() && is_space(s[p])) ++p;
        while (p < s.size()) {
          size_t q = p;
          while (q < s.size() && !is_space(s[q])) ++q;
          row.push_back(s.substr(p, q - p));
          ++splits;
          p = q;
          while (p < s.size() && is_space(s[p])) ++p;
          if (maxsplit_ >= 0 && splits == maxsplit_) {
            row.push_back(s.substr(p));
            break;
          }
        }
        continue;
      }
      size_t start = 0;
      while (maxsplit_ < 0 || splits < maxsplit_) {
        const size_t p = s.find(sep, start);
        if (p == std::string::npos) break;
        row.push_back(s.substr(start, p - start));
        start = p + sep.size();
        ++splits;
      }
      row.push_back(s.substr(start));
    }
    emit_sparse(ctx, rows);
    return Status();
  }

 private:
  int64_t maxsplit_ = -1;
};

class StringNGramsKernel : public OpKernel {
 public:
  explicit StringNGramsKernel(KernelInit& init) {
    init.get("separator", &separator_);
    init.get("ngram_widths", &widths_);
    init.get("left_pad", &left_pad_);
    init.get("right_pad", &right_pad_);
    init.get("pad_width", &pad_width_);
    init.get("preserve_short_sequences", &preserve_short_);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& data = ctx.input(0);
    const Tensor& splits = ctx.input(1);
    const int64_t num_data = data.num_elements();
    const int64_t num_splits = splits.num_elements();
    if (num_splits > 0) {
      const int64_t first = int_at(splits, 0);
      if (first != 0) return invalid_argument(str_cat("First split value must be 0, got ", first));
      for (int64_t i = 1; i < num_splits; ++i) {
        const int64_t lo = int_at(splits, i - 1), v = int_at(splits, i);
        if (v < lo || v > num_data)
          return invalid_argument(str_cat("Invalid split value ", v, ", must be in [", lo, ", ", num_data, "]"));
      }
      const int64_t last = int_at(splits, num_splits - 1);
      if (last != num_data)
        return invalid_argument(str_cat("Last split value must be data size. Expected ", num_data, ", got ", last));
    }
    const int64_t rows = num_splits == 0 ? 0 : num_splits - 1;
    Tensor& out_splits = ctx.allocate_output(1, {num_splits});
    if (num_splits == 0) {
      ctx.allocate_output(0, {0});
      return Status();
    }
    set_index(out_splits, 0, 0);
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t length = int_at(splits, i + 1) - int_at(splits, i);
      int64_t count = 0;
      for (int64_t w : widths_) count += num_ngrams(length, w);
      if (preserve_short_ && length > 0 && count == 0) count = 1;
      set_index(out_splits, i + 1, int_at(out_splits, i) + count);
    }
    Tensor& out = ctx.allocate_output(0, {int_at(out_splits, rows)});
    std::string* o = out.data<std::string>();
    const std::string* d = data.data<std::string>();
    for (int64_t i = 0; i < rows; ++i) {
      const int64_t start = int_at(splits, i), length = int_at(splits, i + 1) - start;
      int64_t k = int_at(out_splits, i);
      for (int64_t w : widths_) {
        const int64_t n = num_ngrams(length, w);
        make_ngrams(d + start, o + k, n, w);
        k += n;
      }
      if (preserve_short_ && length > 0 && k == int_at(out_splits, i))
        make_ngrams(d + start, o + k, 1, length + 2 * pad_width_);
    }
    return Status();
  }

 private:
  int64_t pad_of(int64_t width) const { return std::min(pad_width_ < 0 ? width - 1 : pad_width_, width - 1); }
  int64_t num_ngrams(int64_t length, int64_t width) const {
    return std::max<int64_t>(0, length + 2 * pad_of(width) - width + 1);
  }

  void make_ngrams(const std::string* data, std::string* out, int64_t n, int64_t width) const {
    const int64_t pad = pad_of(width);
    for (int64_t g = 0; g < n; ++g) {
      const int64_t left = std::max<int64_t>(0, pad - g);
      const int64_t right = std::max<int64_t>(0, pad - (n - (g + 1)));
      const int64_t tokens = width - (left + right);
      const int64_t first = left > 0 ? 0 : g - pad;
      std::string s;
      int64_t parts = 0;
      auto add = [&](const std::string& piece) {
        if (parts++) s += separator_;
        s += piece;
      };
      for (int64_t k = 0; k < left; ++k) add(left_pad_);
      for (int64_t k = 0; k < tokens; ++k) add(data[first + k]);
      for (int64_t k = 0; k < right; ++k) add(right_pad_);
      out[g] = std::move(s);
    }
  }

  std::string separator_, left_pad_, right_pad_;
  std::vector<int64_t> widths_;
  int64_t pad_width_ = -1;
  bool preserve_short_ = false;
};

class ReduceJoinKernel : public OpKernel {
 public:
  explicit ReduceJoinKernel(KernelInit& init) {
    if (init.has_attr("keep_dims")) init.get("keep_dims", &keep_dims_);
    if (init.has_attr("separator")) init.get("separator", &separator_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Tensor& axes = ctx.input(1);
    const int64_t rank = static_cast<int64_t>(in.rank());
    std::vector<bool> reduced(static_cast<size_t>(rank), false);
    for (int64_t i = 0; i < axes.num_elements(); ++i) {
      const int64_t a = int_at(axes, i);
      if (a < -rank || a >= rank)
        return out_of_range(str_cat("Invalid reduction dimension ", a, " for input with ", rank, " dimension(s)"));
      const int64_t d = a < 0 ? a + rank : a;
      if (reduced[static_cast<size_t>(d)]) return invalid_argument(str_cat("Duplicate reduction dimension ", a));
      reduced[static_cast<size_t>(d)] = true;
    }
    Shape out_shape, kept, red;
    for (int64_t d = 0; d < rank; ++d) {
      const int64_t size = in.shape()[static_cast<size_t>(d)];
      if (reduced[static_cast<size_t>(d)]) {
        red.push_back(d);
        if (keep_dims_) out_shape.push_back(1);
      } else {
        kept.push_back(d);
        out_shape.push_back(size);
      }
    }
    std::vector<int64_t> strides(static_cast<size_t>(rank), 1);
    for (int64_t d = rank - 2; d >= 0; --d)
      strides[static_cast<size_t>(d)] = strides[static_cast<size_t>(d + 1)] * in.shape()[static_cast<size_t>(d + 1)];
    Tensor& out = ctx.allocate_output(0, out_shape);
    const std::string* s = in.data<std::string>();
    int64_t n_red = 1;
    for (int64_t d : red) n_red *= in.shape()[static_cast<size_t>(d)];
    for (int64_t o = 0, n = out.num_elements(); o < n; ++o) {
      int64_t base = 0, rest = o;
      for (size_t k = kept.size(); k-- > 0;) {
        const int64_t size = in.shape()[static_cast<size_t>(kept[k])];
        base += (rest % size) * strides[static_cast<size_t>(kept[k])];
        rest /= size;
      }
      std::string joined;
      for (int64_t r = 0; r < n_red; ++r) {
        // TF walks the reduced dims with the first one varying fastest.
        int64_t off = base, rr = r;
        for (size_t k = 0; k < red.size(); ++k) {
          const int64_t size = in.shape()[static_cast<size_t>(red[k])];
          off += (rr % size) * strides[static_cast<size_t>(red[k])];
          rr /= size;
        }
        if (r) joined += separator_;
        joined += s[off];
      }
      out.data<std::string>()[o] = std::move(joined);
    }
    return Status();
  }

 private:
  bool keep_dims_ = false;
  std::string separator_;
};

class UnsortedSegmentJoinKernel : public OpKernel {
 public:
  explicit UnsortedSegmentJoinKernel(KernelInit& init) {
    if (init.has_attr("separator")) init.get("separator", &separator_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Tensor& ids = ctx.input(1);
    const Tensor& num = ctx.input(2);
    if (num.rank() != 0) return invalid_argument("Number of segments must be a scalar");
    const int64_t num_segments = int_at(num, 0);
    if (num_segments < 0)
      return invalid_argument(str_cat("Number of segments must be non-negative but got ", num_segments));
    const int id_rank = ids.rank();
    if (id_rank > in.rank())
      return out_of_range(str_cat("Invalid segment_id rank ", id_rank, " for input with ", in.rank(),
                                  " dimension(s)"));
    for (int d = 0; d < id_rank; ++d)
      if (ids.shape()[d] != in.shape()[d])
        return invalid_argument(str_cat("Segment dimension is ", ids.shape()[d], " while input dimension is ",
                                        in.rank(), " in rank ", d));
    Shape out_shape{num_segments};
    for (int d = id_rank; d < in.rank(); ++d) out_shape.push_back(in.shape()[d]);
    Tensor& out = ctx.allocate_output(0, out_shape);
    const int64_t inner = dims_product(in.shape(), id_rank, in.rank());
    std::vector<bool> started(static_cast<size_t>(out.num_elements()), false);
    std::string* o = out.data<std::string>();
    const std::string* s = in.data<std::string>();
    for (int64_t i = 0, n = ids.num_elements(); i < n; ++i) {
      const int64_t seg = int_at(ids, i);
      if (seg < 0 || seg >= num_segments)
        return invalid_argument("segment_ids are not allowed to exceed num_segments or to have negative values.");
      for (int64_t j = 0; j < inner; ++j) {
        const int64_t k = seg * inner + j;
        if (started[static_cast<size_t>(k)]) o[k] += separator_;
        started[static_cast<size_t>(k)] = true;
        o[k] += s[i * inner + j];
      }
    }
    return Status();
  }

 private:
  std::string separator_;
};

}  // namespace

void register_string_split_ops(Registry& r) {
  r.add("StringSplit", make_kernel<StringSplitKernel>);
  r.add("StringSplitV2", make_kernel<StringSplitV2Kernel>);
  r.add("StringNGrams", make_kernel<StringNGramsKernel>);
  r.add("ReduceJoin", make_kernel<ReduceJoinKernel>);
  r.add("UnsortedSegmentJoin", make_kernel<UnsortedSegmentJoinKernel>);
}

}  // namespace metarun
