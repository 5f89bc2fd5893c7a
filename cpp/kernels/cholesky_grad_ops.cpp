// CholeskyGrad (and BatchCholeskyGrad, its name before GraphDef version 13): the gradient of
// A = L L^T with respect to A, given L and dF/dL, both read through their lower triangles. The
// result is the symmetrized dF/dA = sym(L^-T phi(L^T lower(dF/dL)) L^-1), phi halving the diagonal
// of the lower triangle, computed with triangular solves (TF's kernel blocks the same product:
// the two agree to rounding).
#include <vector>

#include "framework/registry.h"
#include "kernels/util/linalg.h"

namespace metarun {
namespace {

template <class T>
class CholeskyGradKernel : public OpKernel {
 public:
  explicit CholeskyGradKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& l = ctx.input(0);
    const Tensor& grad = ctx.input(1);
    MR_REQUIRE(l.shape() == grad.shape(), "Inputs (L and grad) must have the same shape.");
    MR_REQUIRE(l.rank() >= 2, "Input tensor 0 must have rank >= 2, got ", l.rank());
    const int64_t n = l.dim(l.rank() - 1);
    MR_REQUIRE(l.dim(l.rank() - 2) == n, "Inputs must be a square matrices.");
    Tensor& out = ctx.allocate_output(0, l.shape());
    if (out.num_elements() == 0) return Status();
    const int64_t batch = l.num_elements() / (n * n);
    const T* ls = l.data<T>();
    const T* gs = grad.data<T>();
    T* os = out.data<T>();
    ctx.parallel_for(batch, double(n) * n * n * 4, [&](int64_t b0, int64_t b1) {
      std::vector<T> m(n * n), t(n * n);
      for (int64_t b = b0; b < b1; ++b) {
        const T* lb = ls + b * n * n;
        const T* gb = gs + b * n * n;
        // m = phi(L^T lower(G)): entry (i, j), i >= j, sums L(k, i) G(k, j) over k >= i.
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < n; ++j) {
            T s = T(0);
            if (j <= i)
              for (int64_t k = i; k < n; ++k) s += lb[k * n + i] * gb[k * n + j];
            m[i * n + j] = i == j ? s * T(0.5) : s;
          }
        const linalg::Mat<const T> lm{lb, n, n, n};
        // Y = L^-T m, then X^T = L^-T Y^T.
        linalg::triangular_solve(lm, true, true, false, linalg::mat(m.data(), n, n));
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < n; ++j) t[j * n + i] = m[i * n + j];
        linalg::triangular_solve(lm, true, true, false, linalg::mat(t.data(), n, n));
        T* ob = os + b * n * n;  // t holds X^T; the result is (X + X^T) / 2
        for (int64_t i = 0; i < n; ++i)
          for (int64_t j = 0; j < n; ++j) ob[i * n + j] = (t[i * n + j] + t[j * n + i]) * T(0.5);
      }
    });
    return Status();
  }
};

}  // namespace

void register_cholesky_grad_ops(Registry& r) {
  auto make = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<CholeskyGradKernel<decltype(tag)>>(init);
  };
  r.add<TypeList<float, double>>("CholeskyGrad", make);
  r.add<TypeList<float, double>>("BatchCholeskyGrad", make);
}

}  // namespace metarun
