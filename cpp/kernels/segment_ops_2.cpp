// The second half of the segment family: MatrixDiagPartV3, MirrorPadGrad
// and LRNGrad (registered through register_segment_ops).
#include <cmath>

#include "kernels/util/segment.h"

namespace metarun {
namespace {

// MatrixDiagPartV3: diagonals k[0]..k[1] of the innermost matrices, top one
// first, each padded to the longest. `align` says which side short
// diagonals keep to: its first word for superdiagonals, its second for
// subdiagonals (the main diagonal is left-aligned if either word is LEFT).
template <class T>
class MatrixDiagPartKernel : public OpKernel {
 public:
  explicit MatrixDiagPartKernel(KernelInit& init) {
    std::string align = "RIGHT_LEFT";
    if (init.has_attr("align")) init.get("align", &align);
    if (align != "LEFT_LEFT" && align != "LEFT_RIGHT" && align != "RIGHT_LEFT" && align != "RIGHT_RIGHT")
      init.fail(invalid_argument(str_cat("Attr align of ", init.name(), " is not one of LEFT_LEFT, LEFT_RIGHT, ",
                                         "RIGHT_LEFT, RIGHT_RIGHT: ", align)));
    left_super_ = align.rfind("LEFT", 0) == 0;
    left_sub_ = align.size() >= 4 && align.compare(align.size() - 4, 4, "LEFT") == 0;
  }

  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Tensor& k = ctx.input(1);
    MR_REQUIRE(k.rank() <= 1, "diag_index must be a scalar or vector, received shape: ", shape_str(k.shape()));
    MR_REQUIRE(k.num_elements() > 0, "Expected diag_index to have at least 1 element");
    MR_REQUIRE(k.rank() == 0 || k.dim(0) <= 2, "diag_index must have only one or two elements, received ",
               k.num_elements(), " elements.");
    const int64_t lower = index_at(k, 0), upper = k.num_elements() > 1 ? index_at(k, 1) : lower;
    MR_RETURN_IF_ERROR(check_scalar(ctx.input(2), "Padding must be scalar.", true));
    const T pad = *ctx.input(2).data<T>();
    MR_REQUIRE(in.rank() >= 2, "input must be at least 2-dim, received shape: ", shape_str(in.shape()));
    const int64_t rows = in.dim(in.rank() - 2), cols = in.dim(in.rank() - 1);
    MR_REQUIRE((-rows < lower && lower < cols) || lower == 0, "lower_diag_index is out of bound: ", lower,
               ". It must be between ", -rows, " and ", cols);
    MR_REQUIRE((-rows < upper && upper < cols) || upper == 0, "upper_diag_index is out of bound: ", upper,
               " It must be between ", -rows, " and ", cols);
    MR_REQUIRE(lower <= upper, "lower_diag_index must not be larger than upper_diag_index: ", lower, " > ", upper);
    Shape shape(in.shape().begin(), in.shape().end() - 2);
    const int64_t num_diags = upper - lower + 1;
    if (num_diags > 1) shape.push_back(num_diags);
    const int64_t max_len = std::min(rows + std::min<int64_t>(upper, 0), cols - std::max<int64_t>(lower, 0));
    shape.push_back(max_len);
    Tensor& out = ctx.allocate_output(0, shape);
    if (out.num_elements() == 0) return Status();
    const int64_t batch = dims_product(in.shape(), 0, in.rank() - 2);
    const T* x = in.data<T>();
    T* o = out.data<T>();
    for (int64_t b = 0; b < batch; ++b) {
      const T* m = x + b * rows * cols;
      for (int64_t d = upper; d >= lower; --d) {
        const int64_t len = std::min(rows + std::min<int64_t>(0, d), cols - std::max<int64_t>(0, d));
        const bool left = (d >= 0 && left_super_) || (d <= 0 && left_sub_);
        const int64_t offset = left ? 0 : max_len - len;
        for (int64_t j = 0; j < max_len; ++j, ++o) {
          const int64_t y = j - offset;
          *o = y >= 0 && y < len ? m[(y + std::max<int64_t>(0, -d)) * cols + y + std::max<int64_t>(0, d)] : pad;
        }
      }
    }
    return Status();
  }

 private:
  bool left_super_ = false, left_sub_ = true;
};

// MirrorPadGrad folds the gradient of the padded border back onto the
// interior, one dimension after another, left border before right, as TF's
// functor does (its order of additions decides the float results).
template <class T>
class MirrorPadGradKernel : public OpKernel {
 public:
  explicit MirrorPadGradKernel(KernelInit& init) {
    std::string mode;
    init.get("mode", &mode);
    if (mode != "REFLECT" && mode != "SYMMETRIC")
      init.fail(invalid_argument(str_cat("mode must be either REFLECT or SYMMETRIC, got ", mode)));
    offset_ = mode == "REFLECT" ? 1 : 0;
  }

  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const Tensor& pads = ctx.input(1);
    const int r = in.rank();
    if (r > 5) return unimplemented(str_cat("inputs rank not in [0,5]: ", r));
    MR_REQUIRE(pads.rank() == 2 && pads.dim(1) == 2, "paddings must be a matrix with 2 columns: ",
               shape_str(pads.shape()));
    MR_REQUIRE(pads.dim(0) == r, "The first dimension of paddings must be the rank of inputs",
               shape_str(pads.shape()), " ", shape_str(in.shape()));
    Shape out_shape(r);
    std::vector<int64_t> before(r), after(r);
    for (int d = 0; d < r; ++d) {
      before[d] = index_at(pads, 2 * d);
      after[d] = index_at(pads, 2 * d + 1);
      MR_REQUIRE(before[d] >= 0 && after[d] >= 0, "Paddings must be non-negative: ", before[d], ", ", after[d]);
      // In int64 with wrap-around, as TF computes them: a wrapped total passes
      // this check, and the checks below or the allocation refuse it.
      const uint64_t total = static_cast<uint64_t>(before[d]) + static_cast<uint64_t>(after[d]);
      MR_REQUIRE(static_cast<int64_t>(total) < in.dim(d), "Total paddings must be less than the input dimension size: ",
                 static_cast<int64_t>(total), " was not less than ", in.dim(d));
      out_shape[d] = static_cast<int64_t>(static_cast<uint64_t>(in.dim(d)) - total);
      if (offset_ == 0)
        MR_REQUIRE(before[d] <= out_shape[d] && after[d] <= out_shape[d],
                   "paddings must be no greater than the output dimension size: ", before[d], ", ", after[d],
                   " greater than ", out_shape[d]);
      else
        MR_REQUIRE(before[d] < out_shape[d] && after[d] < out_shape[d],
                   "paddings must be less than the output dimension size: ", before[d], ", ", after[d],
                   " not less than ", out_shape[d]);
    }
    if (out_shape == in.shape()) {
      ctx.set_output(0, in);
      return Status();
    }
    // Allocated first: an output that passed the checks only through a wrapped
    // total is at least 2^62 elements, which the allocation refuses.
    Tensor& out = ctx.allocate_output(0, out_shape);
    std::vector<T> scratch(in.data<T>(), in.data<T>() + in.num_elements());
    for (int d = 0; d < r; ++d) fold(scratch.data(), in.shape(), out_shape, before, d, after[d]);
    copy_interior(scratch.data(), in.shape(), out_shape, before, out.data<T>());
    return Status();
  }

 private:
  // Folds dimension d's borders; dims before d are already folded, so only
  // their interior is touched.
  void fold(T* s, const Shape& shape, const Shape& out_shape, const std::vector<int64_t>& before, int d,
            int64_t after) const {
    const int64_t n = shape[d], l = before[d];
    const int64_t inner = dims_product(shape, d + 1, shape.size());
    const int64_t outer = dims_product(shape, 0, d);
    for (int64_t o = 0; o < outer; ++o) {
      if (!in_interior(o, shape, out_shape, before, d)) continue;
      T* base = s + o * n * inner;
      const auto add_row = [&](int64_t to, int64_t from) {
        for (int64_t i = 0; i < inner; ++i)
          base[to * inner + i] = T(Compute<T>(base[to * inner + i]) + Compute<T>(base[from * inner + i]));
      };
      for (int64_t j = 0; j < l; ++j) add_row(l + offset_ + j, l - 1 - j);
      for (int64_t j = 0; j < after; ++j) add_row(n - 2 * after - offset_ + j, n - 1 - j);
    }
  }
  // Whether flat position `o` over dims [0, d) lies in the interior of each.
  static bool in_interior(int64_t o, const Shape& shape, const Shape& out_shape, const std::vector<int64_t>& before,
                          int d) {
    for (int k = d - 1; k >= 0; --k) {
      const int64_t i = o % shape[k];
      o /= shape[k];
      if (i < before[k] || i >= before[k] + out_shape[k]) return false;
    }
    return true;
  }
  static void copy_interior(const T* s, const Shape& shape, const Shape& out_shape, const std::vector<int64_t>& before,
                            T* out) {
    const int r = static_cast<int>(shape.size());
    const int64_t total = num_elements(out_shape);
    std::vector<int64_t> pos(r, 0);
    for (int64_t i = 0; i < total; ++i) {
      int64_t at = 0;
      for (int k = 0; k < r; ++k) at = at * shape[k] + pos[k] + before[k];
      out[i] = s[at];
      for (int k = r - 1; k >= 0 && ++pos[k] == out_shape[k]; --k) pos[k] = 0;
    }
  }

  int64_t offset_ = 1;
};

// LRNGrad, TF's CPU formula term by term in T (so half rounds after each
// operation), in its grouping: for each output depth j with g_j != 0,
// norm_j = alpha * sum x_k^2 + bias over the window, and each input depth k
// in the window gets g_j * (x_k * ((-2 alpha beta) y_j) / norm_j + [k == j] norm_j^-beta).
template <class T>
class LrnGradKernel : public OpKernel {
 public:
  explicit LrnGradKernel(KernelInit& init) {
    float bias = 1, alpha = 1, beta = 0.5f;
    if (init.has_attr("depth_radius")) init.get("depth_radius", &radius_);
    if (radius_ < 0 || radius_ > std::numeric_limits<int>::max())
      init.fail(invalid_argument(str_cat("depth_radius = ", radius_, " larger than int max")));
    if (init.has_attr("bias")) init.get("bias", &bias);
    if (init.has_attr("alpha")) init.get("alpha", &alpha);
    if (init.has_attr("beta")) init.get("beta", &beta);
    bias_ = T(bias);
    alpha_ = T(alpha);
    beta_ = T(beta);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& g = ctx.input(0);
    const Tensor& x = ctx.input(1);
    const Tensor& y = ctx.input(2);
    MR_REQUIRE(g.rank() == 4 && x.rank() == 4, "inputs must be 4-dimensional");
    MR_REQUIRE(g.shape() == x.shape() && g.shape() == y.shape(),
               "input_grads, input_image, and out_image should have the same shape");
    Tensor& out = ctx.allocate_output(0, x.shape());
    const int64_t depth = x.dim(3);
    if (out.num_elements() == 0) return Status();
    const int64_t rows = x.num_elements() / depth;
    const T* gp = g.data<T>();
    const T* xp = x.data<T>();
    const T* yp = y.data<T>();
    T* op = out.data<T>();
    ctx.parallel_for(rows, double(depth) * (2 * radius_ + 1) * 10, [&](int64_t b, int64_t e) {
      for (int64_t i = b; i < e; ++i) row(gp + i * depth, xp + i * depth, yp + i * depth, op + i * depth, depth);
    });
    return Status();
  }

 private:
  static T mul(T a, T b) { return T(Compute<T>(a) * Compute<T>(b)); }
  static T add(T a, T b) { return T(Compute<T>(a) + Compute<T>(b)); }

  void row(const T* g, const T* x, const T* y, T* out, int64_t depth) const {
    for (int64_t j = 0; j < depth; ++j) out[j] = T(0);
    const T ab2 = mul(mul(T(-2), alpha_), beta_);
    const T neg_beta = T(-Compute<T>(beta_));
    for (int64_t j = 0; j < depth; ++j) {
      if (Compute<T>(g[j]) == 0) continue;  // TF skips these: a NaN elsewhere in the window stays out
      const int64_t lo = std::max<int64_t>(0, j - radius_), hi = std::min<int64_t>(depth, j + radius_ + 1);
      T norm(0);
      for (int64_t k = lo; k < hi; ++k) norm = add(norm, mul(x[k], x[k]));
      norm = add(mul(alpha_, norm), bias_);
      const T pow_norm = T(std::pow(Compute<T>(norm), Compute<T>(neg_beta)));
      const T y_ab2 = mul(ab2, y[j]);
      for (int64_t k = lo; k < hi; ++k) {
        T dy = T(Compute<T>(mul(x[k], y_ab2)) / Compute<T>(norm));
        if (k == j) dy = add(dy, pow_norm);
        out[k] = add(out[k], mul(dy, g[j]));
      }
    }
  }

  int64_t radius_ = 5;
  T bias_, alpha_, beta_;
};

template <template <class> class K>
auto typed = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<K<decltype(tag)>>(init);
};

}  // namespace

void register_segment_ops_2(Registry& r) {
  // It only moves elements: compiled once per element size (Storage<T>, element_copier.h).
  r.add<PodTypes>("MatrixDiagPartV3", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<MatrixDiagPartKernel<Storage<decltype(tag)>>>(init);
  });
  r.add<NumberTypes>("MirrorPadGrad", typed<MirrorPadGradKernel>);
  r.add<TypeList<float, Half>>("LRNGrad", typed<LrnGradKernel>);
}

}  // namespace metarun
