// The tf.linalg family, first half: the band and diagonal ops (MatrixBandPart,
// MatrixDiag/V2/V3, MatrixDiagPart/V2, MatrixSetDiag/V2/V3, Diag, DiagPart),
// which only move elements. MatrixDiagPartV3 is registered by the segment family. The
// decompositions are in linalg_ops_2.cpp (registered through
// register_linalg_ops).
#include <algorithm>
#include <string>

#include "framework/registry.h"
#include "kernels/util/element_copier.h"
#include "kernels/util/linalg.h"

namespace metarun {
namespace {

// Which diagonals and how short ones are aligned. V1 ops use only the main
// diagonal; V2 ops align every diagonal LEFT; V3 ops read `align` (its first
// word for superdiagonals, its second for subdiagonals).
struct DiagBand {
  int64_t lower = 0, upper = 0;
  bool left_super = true, left_sub = true;

  int64_t num_diags() const { return upper - lower + 1; }
  // Length of diagonal d of a rows x cols matrix.
  static int64_t length(int64_t d, int64_t rows, int64_t cols) {
    return std::min(rows + std::min<int64_t>(d, 0), cols - std::max<int64_t>(d, 0));
  }
  // Where diagonal d's first element sits in a padded row of max_len.
  int64_t offset(int64_t d, int64_t len, int64_t max_len) const {
    const bool left = (d >= 0 && left_super) || (d <= 0 && left_sub);
    return left ? 0 : max_len - len;
  }
};

enum class Version { kV1, kV2, kV3 };

void read_align(KernelInit& init, Version v, DiagBand* band) {
  if (v != Version::kV3) return;
  std::string align = "RIGHT_LEFT";
  if (init.has_attr("align")) init.get("align", &align);
  if (align != "LEFT_LEFT" && align != "LEFT_RIGHT" && align != "RIGHT_LEFT" && align != "RIGHT_RIGHT") {
    init.fail(invalid_argument(str_cat("Attr align of ", init.name(), " is not one of LEFT_LEFT, LEFT_RIGHT, ",
                                       "RIGHT_LEFT, RIGHT_RIGHT: ", align)));
    return;
  }
  band->left_super = align.rfind("LEFT", 0) == 0;
  band->left_sub = align.compare(align.size() - 4, 4, "LEFT") == 0;
}

// The `k` input: one index or a [lower, upper] pair.
Status read_diag_index(const Tensor& k, const char* empty_msg, DiagBand* band) {
  MR_REQUIRE(k.rank() <= 1, "diag_index must be a scalar or vector, received shape: ", shape_str(k.shape()));
  MR_REQUIRE(k.num_elements() > 0, empty_msg);
  MR_REQUIRE(k.rank() == 0 || k.dim(0) <= 2, "diag_index must have only one or two elements, received ",
             k.num_elements(), " elements.");
  band->lower = index_at(k, 0);
  band->upper = k.num_elements() > 1 ? index_at(k, 1) : band->lower;
  return Status();
}

Status check_band_order(const DiagBand& b) {
  MR_REQUIRE(b.lower <= b.upper, "lower_diag_index must not be larger than upper_diag_index: ", b.lower, " > ",
             b.upper);
  return Status();
}

template <class T>
class MatrixBandPartKernel : public OpKernel {
 public:
  explicit MatrixBandPartKernel(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    MR_REQUIRE(in.rank() >= 2, "input must be at least 2-dim, received shape: ", shape_str(in.shape()));
    const int64_t rows = in.dim(in.rank() - 2), cols = in.dim(in.rank() - 1);
    MR_REQUIRE(ctx.input(1).rank() == 0, "num_lower must be scalar, got shape ", shape_str(ctx.input(1).shape()));
    const int64_t lower = index_at(ctx.input(1), 0);
    MR_REQUIRE(lower <= rows, "num_lower must be negative or less or equal to number of rows (", rows,
               ") got: ", lower);
    MR_REQUIRE(ctx.input(2).rank() == 0, "num_upper must be scalar, got shape ", shape_str(ctx.input(2).shape()));
    const int64_t upper = index_at(ctx.input(2), 0);
    MR_REQUIRE(upper <= cols, "num_upper must be negative or less or equal to number of columns (", cols,
               ") got: ", upper);
    Tensor& out = ctx.allocate_output(0, in.shape());
    const int64_t batch = rows * cols == 0 ? 0 : in.num_elements() / (rows * cols);
    const T* x = in.data<T>();
    T* o = out.data<T>();
    for (int64_t b = 0; b < batch; ++b)
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j, ++o, ++x) {
          const bool keep = (lower < 0 || i - j <= lower) && (upper < 0 || j - i <= upper);
          *o = keep ? *x : T();
        }
    return Status();
  }
};

// MatrixDiag (V1: the main diagonal of a square output) and V2/V3 (a band
// of diagonals into a num_rows x num_cols output, padded elsewhere).
template <class T>
class MatrixDiagKernel : public OpKernel {
 public:
  MatrixDiagKernel(KernelInit& init, Version v) : version_(v) { read_align(init, v, &band_); }

  Status compute(OpContext& ctx) override {
    DiagBand band = band_;
    int64_t rows = -1, cols = -1;
    T pad = T();
    if (version_ != Version::kV1) {
      MR_RETURN_IF_ERROR(read_diag_index(ctx.input(1), "Expected diag_index to have at least 1 element", &band));
      MR_REQUIRE(ctx.input(2).rank() == 0, "num_rows must be a scalar");
      rows = index_at(ctx.input(2), 0);
      MR_REQUIRE(ctx.input(3).rank() == 0, "num_cols must be a scalar");
      cols = index_at(ctx.input(3), 0);
      MR_REQUIRE(ctx.input(4).rank() == 0, "padding_value must be a scalar");
      pad = *ctx.input(4).data<T>();
    }
    const Tensor& diag = ctx.input(0);
    MR_REQUIRE(diag.rank() >= 1, "diagonal must be at least 1-dim, received shape: ", shape_str(diag.shape()));
    MR_RETURN_IF_ERROR(check_band_order(band));
    const int64_t num_diags = band.num_diags();
    const bool multi = band.lower != band.upper;
    MR_REQUIRE(!multi || (diag.rank() >= 2 && diag.dim(diag.rank() - 2) == num_diags),
               "The number of diagonals provided in the input does not match the lower_diag_index and "
               "upper_diag_index range.");
    const int64_t max_len = diag.dim(diag.rank() - 1);
    const int64_t min_rows = max_len - std::min<int64_t>(band.upper, 0);
    const int64_t min_cols = max_len + std::max<int64_t>(band.lower, 0);
    MR_REQUIRE(rows == -1 || rows >= min_rows, "The number of rows is too small.");
    MR_REQUIRE(cols == -1 || cols >= min_cols, "The number of columns is too small.");
    if (rows == -1 && cols == -1) rows = cols = std::max(min_rows, min_cols);
    else if (rows == -1) rows = min_rows;
    else if (cols == -1) cols = min_cols;
    MR_REQUIRE(rows == min_rows || cols == min_cols,
               "The number of rows or columns is not consistent with the specified d_lower, d_upper, and diagonal.");
    Shape shape(diag.shape().begin(), diag.shape().end() - (multi ? 2 : 1));
    shape.push_back(rows);
    shape.push_back(cols);
    Tensor& out = ctx.allocate_output(0, shape);
    if (out.num_elements() == 0) return Status();
    const int64_t batch = out.num_elements() / (rows * cols);
    const T* d = diag.data<T>();
    T* o = out.data<T>();
    for (int64_t b = 0; b < batch; ++b) {
      const T* db = d + b * num_diags * max_len;
      for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j, ++o) {
          const int64_t k = j - i;
          if (k < band.lower || k > band.upper) {
            *o = pad;
            continue;
          }
          const int64_t off = band.offset(k, DiagBand::length(k, rows, cols), max_len);
          *o = db[(band.upper - k) * max_len + off + i + std::min<int64_t>(0, k)];
        }
    }
    return Status();
  }

 private:
  Version version_;
  DiagBand band_;
};

// Bounds of the diagonal band against a rows x cols matrix, as TF words them
// (the diag-part and set-diag ops differ by one period).
Status check_band_bounds(const DiagBand& b, int64_t rows, int64_t cols, const char* sep) {
  MR_REQUIRE((-rows < b.lower && b.lower < cols) || b.lower == 0, "lower_diag_index is out of bound: ", b.lower,
             sep, " It must be between ", -rows, " and ", cols);
  MR_REQUIRE((-rows < b.upper && b.upper < cols) || b.upper == 0, "upper_diag_index is out of bound: ", b.upper,
             " It must be between ", -rows, " and ", cols);
  return check_band_order(b);
}

// MatrixDiagPart (V1: the main diagonal) and V2 (a band, LEFT_LEFT aligned).
template <class T>
class MatrixDiagPartKernel : public OpKernel {
 public:
  MatrixDiagPartKernel(KernelInit& init, Version v) : version_(v) { read_align(init, v, &band_); }

  Status compute(OpContext& ctx) override {
    DiagBand band = band_;
    T pad = T();
    if (version_ != Version::kV1) {
      MR_RETURN_IF_ERROR(read_diag_index(ctx.input(1), "Expected diag_index to have at least 1 element", &band));
      MR_RETURN_IF_ERROR(check_scalar(ctx.input(2), "Padding must be scalar.", true));
      pad = *ctx.input(2).data<T>();
    }
    const Tensor& in = ctx.input(0);
    MR_REQUIRE(in.rank() >= 2, "input must be at least 2-dim, received shape: ", shape_str(in.shape()));
    const int64_t rows = in.dim(in.rank() - 2), cols = in.dim(in.rank() - 1);
    MR_RETURN_IF_ERROR(check_band_bounds(band, rows, cols, "."));
    Shape shape(in.shape().begin(), in.shape().end() - 2);
    const int64_t num_diags = band.num_diags();
    if (num_diags > 1) shape.push_back(num_diags);
    shape.push_back(std::max<int64_t>(0, std::min(rows + std::min<int64_t>(band.upper, 0),
                                                  cols - std::max<int64_t>(band.lower, 0))));
    Tensor& out = ctx.allocate_output(0, shape);
    if (out.num_elements() == 0) return Status();
    const int64_t len_max = shape.back();
    const int64_t batch = out.num_elements() / (num_diags * len_max);
    const T* x = in.data<T>();
    T* o = out.data<T>();
    for (int64_t b = 0; b < batch; ++b) {
      const T* m = x + b * rows * cols;
      for (int64_t d = band.upper; d >= band.lower; --d) {
        const int64_t len = DiagBand::length(d, rows, cols);
        const int64_t off = band.offset(d, len, len_max);
        for (int64_t j = 0; j < len_max; ++j, ++o) {
          const int64_t y = j - off;
          *o = y >= 0 && y < len ? m[(y + std::max<int64_t>(0, -d)) * cols + y + std::max<int64_t>(0, d)] : pad;
        }
      }
    }
    return Status();
  }

 private:
  Version version_;
  DiagBand band_;
};

// MatrixSetDiag (V1: the main diagonal) and V2/V3 (a band of diagonals).
template <class T>
class MatrixSetDiagKernel : public OpKernel {
 public:
  MatrixSetDiagKernel(KernelInit& init, Version v) : version_(v) { read_align(init, v, &band_); }

  Status compute(OpContext& ctx) override {
    DiagBand band = band_;
    if (version_ != Version::kV1)
      MR_RETURN_IF_ERROR(read_diag_index(ctx.input(2), "diag_index must have at least one element", &band));
    const Tensor& in = ctx.input(0);
    const Tensor& diag = ctx.input(1);
    MR_REQUIRE(in.rank() >= 2, "input must be at least 2-dim, received shape: ", shape_str(in.shape()));
    MR_REQUIRE(diag.rank() >= 1, "diagonal must be at least 1-dim, received shape: ", shape_str(diag.shape()));
    const int64_t rows = in.dim(in.rank() - 2), cols = in.dim(in.rank() - 1);
    MR_RETURN_IF_ERROR(check_band_bounds(band, rows, cols, ""));
    const int64_t num_diags = band.num_diags();
    MR_REQUIRE(band.lower == band.upper || (diag.rank() > in.rank() - 2 && diag.dim(in.rank() - 2) == num_diags),
               "The number of diagonals provided in `diag` is not consistent with `lower_diag_index` and "
               "`upper_diag_index`");
    Shape expected(in.shape().begin(), in.shape().end() - 2);
    if (num_diags > 1) expected.push_back(num_diags);
    const int64_t max_len = std::min(rows + std::min<int64_t>(band.upper, 0), cols - std::max<int64_t>(band.lower, 0));
    expected.push_back(max_len);
    MR_REQUIRE(expected == diag.shape(),
               "Either first dimensions of diagonal don't match input.shape[:-2], or diagonal.shape[:-1] is not "
               "equal to the longests diagonal in range [lower_diag_index:upper_diag_index].\nInput shape: ",
               shape_str(in.shape()), "\nDiagonal shape: ", shape_str(diag.shape()),
               "\nExpected diagonal shape: ", shape_str(expected));
    Tensor& out = ctx.allocate_output(0, in.shape());
    if (out.num_elements() == 0) return Status();
    std::copy(in.data<T>(), in.data<T>() + in.num_elements(), out.data<T>());
    const int64_t batch = in.num_elements() / (rows * cols);
    const T* d = diag.data<T>();
    T* o = out.data<T>();
    for (int64_t b = 0; b < batch; ++b) {
      T* m = o + b * rows * cols;
      const T* db = d + b * num_diags * max_len;
      for (int64_t k = band.upper; k >= band.lower; --k) {
        const int64_t len = DiagBand::length(k, rows, cols);
        const int64_t off = band.offset(k, len, max_len);
        for (int64_t y = 0; y < len; ++y)
          m[(y + std::max<int64_t>(0, -k)) * cols + y + std::max<int64_t>(0, k)] =
              db[(band.upper - k) * max_len + off + y];
      }
    }
    return Status();
  }

 private:
  Version version_;
  DiagBand band_;
};

// Diag: a rank-2k tensor with `diagonal` (rank k) on its diagonal;
// DiagPart the inverse (TF's tensor_diag, tensor_diag_part).
template <class T>
class DiagKernel : public OpKernel {
 public:
  explicit DiagKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& d = ctx.input(0);
    MR_REQUIRE(d.rank() >= 1, "Input must be at least rank 1, got ", d.rank());
    Shape shape = d.shape();
    shape.insert(shape.end(), d.shape().begin(), d.shape().end());
    Tensor& out = ctx.allocate_output(0, shape);
    const int64_t n = d.num_elements();
    T* o = out.data<T>();
    std::fill(o, o + out.num_elements(), T());
    for (int64_t i = 0; i < n; ++i) o[i * (n + 1)] = d.data<T>()[i];
    return Status();
  }
};

template <class T>
class DiagPartKernel : public OpKernel {
 public:
  explicit DiagPartKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const int rank = in.rank();
    // TF's message has the run of spaces of its wrapped string literal; rank 0 passes.
    MR_REQUIRE(rank % 2 == 0, "The rank of the tensor should be", std::string(42, ' '),
               "even and positive, got shape ", shape_str(in.shape()));
    const int k = rank / 2;
    for (int i = 0; i < k; ++i)
      MR_REQUIRE(in.dim(i) == in.dim(i + k), "Invalid shape ", shape_str(in.shape()), ": dimensions ", i, " and ",
                 i + k, " do not match.");
    Tensor& out = ctx.allocate_output(0, Shape(in.shape().begin(), in.shape().begin() + k));
    const int64_t n = out.num_elements();
    for (int64_t i = 0; i < n; ++i) out.data<T>()[i] = in.data<T>()[i * (n + 1)];
    return Status();
  }
};

// These ops only move elements: each kernel is compiled once per element
// size (on Storage<T>, element_copier.h), not once per dtype.
template <template <class> class K, Version V>
auto versioned = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<K<Storage<decltype(tag)>>>(init, V);
};

}  // namespace

void register_linalg_ops(Registry& r) {
  // The Batch* names are what graphs before GraphDef version 14 call the V1 ops;
  // TF registers them for every POD type but string (and bool only for the diagonals).
  auto band = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<MatrixBandPartKernel<decltype(tag)>>(init);  // per dtype: ~15% faster than on Storage<T>
  };
  r.add<PodTypes>("MatrixBandPart", band);
  r.add<NumberTypes>("BatchMatrixBandPart", band);
  r.add<PodTypes>("MatrixDiag", versioned<MatrixDiagKernel, Version::kV1>);
  r.add<PodTypes>("BatchMatrixDiag", versioned<MatrixDiagKernel, Version::kV1>);
  r.add<PodTypes>("MatrixDiagV2", versioned<MatrixDiagKernel, Version::kV2>);
  r.add<PodTypes>("MatrixDiagV3", versioned<MatrixDiagKernel, Version::kV3>);
  r.add<PodTypes>("MatrixDiagPart", versioned<MatrixDiagPartKernel, Version::kV1>);
  r.add<PodTypes>("BatchMatrixDiagPart", versioned<MatrixDiagPartKernel, Version::kV1>);
  r.add<PodTypes>("MatrixDiagPartV2", versioned<MatrixDiagPartKernel, Version::kV2>);
  r.add<PodTypes>("MatrixSetDiag", versioned<MatrixSetDiagKernel, Version::kV1>);
  r.add<PodTypes>("BatchMatrixSetDiag", versioned<MatrixSetDiagKernel, Version::kV1>);
  r.add<PodTypes>("MatrixSetDiagV2", versioned<MatrixSetDiagKernel, Version::kV2>);
  r.add<PodTypes>("MatrixSetDiagV3", versioned<MatrixSetDiagKernel, Version::kV3>);
  using DiagTypes = TypeList<float, double, Half, int32_t, int64_t, complex64, complex128>;
  r.add<DiagTypes>("Diag", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<DiagKernel<Storage<decltype(tag)>>>(init);
  });
  r.add<DiagTypes>("DiagPart", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<DiagPartKernel<Storage<decltype(tag)>>>(init);
  });
  register_linalg_ops_2(r);
}

}  // namespace metarun
