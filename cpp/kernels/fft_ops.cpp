// FFT, IFFT, RFFT, IRFFT over the inner 1, 2 or 3 dims (TF's spectral ops).
//
// TF computes these with the DUCC library; the transforms here are our own: a
// recursive mixed-radix Cooley-Tukey over the length's prime factors, and
// Bluestein's chirp-z (through a power-of-two transform) for lengths with a
// prime factor above kMaxDirectRadix, so every length costs O(n log n) or
// O(n * small factor). Results agree with TF to rounding, not bitwise.
//
// The real transforms take fft_length: each inner input dim is cropped to it
// (IRFFT's innermost to fft_length / 2 + 1); they never pad (tf.signal's
// Python wrappers insert a Pad first). A dim shorter than that fails, as TF
// does, except a dim of length 0: TF then skips the check and returns
// uninitialized memory, and a length-0 innermost fft_length aborts TF; these
// kernels give zeros in both cases.
#include <cmath>
#include <algorithm>
#include <complex>
#include <memory>
#include <vector>

#include "framework/kernel.h"
#include "framework/registry.h"
#include "kernels/families.h"

namespace metarun {
namespace {

constexpr int64_t kMaxDirectRadix = 31;

// exp(-2 pi i k / n) for k in [0, n), each from its own long-double sin/cos
// (no recurrence, so no accumulated twiddle error).
template <class R>
std::vector<std::complex<R>> unit_roots(int64_t n) {
  std::vector<std::complex<R>> w(n);
  const long double step = -2.0L * 3.141592653589793238462643383279502884L / n;
  for (int64_t k = 0; k < n; ++k) w[k] = {R(std::cos(step * k)), R(std::sin(step * k))};
  return w;
}

// A forward complex DFT of one length; the inverse is conj(F(conj(x))).
template <class R>
class FftPlan {
 public:
  using C = std::complex<R>;

  explicit FftPlan(int64_t n) : n_(n) {
    if (n_ <= 1) return;
    int64_t m = n_;
    for (int64_t p = 2; p * p <= m; ++p)
      while (m % p == 0) factors_.push_back(p), m /= p;
    if (m > 1) factors_.push_back(m);
    if (factors_.back() > kMaxDirectRadix) {
      init_bluestein();
    } else {
      roots_ = unit_roots<R>(n_);
      scratch_.resize(2 * factors_.back());  // the largest factor: p inputs, p outputs
    }
  }

  // out[k] = sum_j in[j * stride] exp(-2 pi i j k / n), out contiguous.
  void forward(const C* in, int64_t stride, C* out) {
    if (n_ == 0) return;
    if (n_ == 1) {
      out[0] = in[0];
      return;
    }
    if (inner_) return bluestein(in, stride, out);
    recurse(in, stride, out, n_, 0);
  }

 private:
  // Decimation in time: `len` = p * m outputs from p interleaved length-m DFTs.
  void recurse(const C* in, int64_t stride, C* out, int64_t len, size_t level) {
    if (len == 1) {
      out[0] = in[0];
      return;
    }
    const int64_t p = factors_[level];
    const int64_t m = len / p;
    for (int64_t r = 0; r < p; ++r) recurse(in + r * stride, stride * p, out + r * m, m, level + 1);
    const int64_t unit = n_ / len;  // roots_[unit * e] = exp(-2 pi i e / len)
    C* t = scratch_.data();
    for (int64_t k = 0; k < m; ++k) {
      for (int64_t r = 0; r < p; ++r) t[r] = out[r * m + k] * roots_[(unit * r * k) % n_];
      for (int64_t q = 0; q < p; ++q) {
        C acc = t[0];
        for (int64_t r = 1; r < p; ++r) acc += t[r] * roots_[(unit * m * ((r * q) % p)) % n_];
        t[p + q] = acc;
      }
      for (int64_t q = 0; q < p; ++q) out[q * m + k] = t[p + q];
    }
  }

  // X[k] = conj(c_k) * sum_j (x_j conj(c_j)) c_{k-j}, c_j = exp(i pi j^2 / n):
  // a circular convolution of power-of-two length >= 2n - 1.
  void init_bluestein() {
    int64_t m = 1;
    while (m < 2 * n_ - 1) m *= 2;
    inner_ = std::make_unique<FftPlan<R>>(m);
    chirp_.resize(n_);
    const long double step = 3.141592653589793238462643383279502884L / n_;
    for (int64_t j = 0; j < n_; ++j) {
      const int64_t e = (j * j) % (2 * n_);  // j^2 mod 2n keeps the angle exact
      chirp_[j] = {R(std::cos(step * e)), R(std::sin(step * e))};
    }
    std::vector<C> b(m, C(0));
    b[0] = chirp_[0];
    for (int64_t j = 1; j < n_; ++j) b[j] = b[m - j] = chirp_[j];
    kernel_.resize(m);
    inner_->forward(b.data(), 1, kernel_.data());
    a_.resize(m);
    fa_.resize(m);
  }

  void bluestein(const C* in, int64_t stride, C* out) {
    const int64_t m = static_cast<int64_t>(a_.size());
    std::fill(a_.begin(), a_.end(), C(0));
    for (int64_t j = 0; j < n_; ++j) a_[j] = in[j * stride] * std::conj(chirp_[j]);
    inner_->forward(a_.data(), 1, fa_.data());
    for (int64_t k = 0; k < m; ++k) fa_[k] = std::conj(fa_[k] * kernel_[k]);
    inner_->forward(fa_.data(), 1, a_.data());  // conj(F(conj(.))) / m is the inverse
    const R scale = R(1) / R(m);
    for (int64_t k = 0; k < n_; ++k) out[k] = std::conj(a_[k]) * scale * std::conj(chirp_[k]);
  }

  int64_t n_;
  std::vector<int64_t> factors_;
  std::vector<C> roots_, scratch_;
  std::unique_ptr<FftPlan<R>> inner_;
  std::vector<C> chirp_, kernel_, a_, fa_;
};

// Transforms every line along `axis` of a row-major complex array in place.
template <class R>
void transform_axis(std::complex<R>* data, const Shape& shape, int axis, bool inverse) {
  using C = std::complex<R>;
  const int64_t n = shape[axis];
  const int64_t inner = dims_product(shape, axis + 1, shape.size());
  const int64_t outer = dims_product(shape, 0, axis);
  if (n <= 1 || inner == 0 || outer == 0) return;
  FftPlan<R> plan(n);
  std::vector<C> line(n), out(n);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      C* base = data + o * n * inner + i;
      for (int64_t k = 0; k < n; ++k) line[k] = inverse ? std::conj(base[k * inner]) : base[k * inner];
      plan.forward(line.data(), 1, out.data());
      for (int64_t k = 0; k < n; ++k) base[k * inner] = inverse ? std::conj(out[k]) : out[k];
    }
  }
}

template <class T>
void scale_by(T* data, int64_t count, double factor) {
  for (int64_t i = 0; i < count; ++i) data[i] *= static_cast<typename T::value_type>(factor);
}

Status check_rank(const Tensor& x, int fft_rank) {
  MR_REQUIRE(x.rank() >= fft_rank, "Input must have rank of at least ", fft_rank, " but got: ", shape_str(x.shape()));
  return Status();
}

// ---- FFT / IFFT: complex to complex over the inner fft_rank dims ----
template <class C>
class ComplexFftKernel : public OpKernel {
 public:
  ComplexFftKernel(KernelInit&, int fft_rank, bool inverse) : fft_rank_(fft_rank), inverse_(inverse) {}

  Status compute(OpContext& ctx) override {
    const Tensor& x = ctx.input(0);
    MR_RETURN_IF_ERROR(check_rank(x, fft_rank_));
    Tensor& out = ctx.allocate_output(0, x.shape());
    const int64_t count = x.num_elements();
    if (count == 0) return Status();
    C* y = out.data<C>();
    std::copy(x.data<C>(), x.data<C>() + count, y);
    for (int a = x.rank() - fft_rank_; a < x.rank(); ++a) transform_axis(y, x.shape(), a, inverse_);
    if (inverse_) scale_by(y, count, 1.0 / dims_product(x.shape(), x.rank() - fft_rank_, x.rank()));
    return Status();
  }

 private:
  int fft_rank_;
  bool inverse_;
};

// ---- RFFT / IRFFT ----
// Reads fft_length, checks it and the input dims as TF does, and gives the
// length each inner input dim is cropped to.
Status real_fft_lengths(const Tensor& x, const Tensor& len_t, int fft_rank, bool forward, Shape* fft_length,
                        Shape* kept) {
  MR_RETURN_IF_ERROR(check_rank(x, fft_rank));
  MR_REQUIRE(len_t.rank() == 1 && len_t.dim(0) == fft_rank, "fft_length must have shape [", fft_rank, "]");
  const int32_t* len = len_t.data<int32_t>();
  fft_length->assign(len, len + fft_rank);
  kept->resize(fft_rank);
  for (int i = 0; i < fft_rank; ++i) {
    MR_REQUIRE(len[i] >= 0, "fft_length[", i, "] must >= 0, but got: ", len[i]);
    const int dim = x.rank() - fft_rank + i;
    const int64_t need = (forward || i < fft_rank - 1) ? len[i] : len[i] / 2 + 1;
    MR_REQUIRE(x.dim(dim) == 0 || x.dim(dim) >= need, "Input dimension ", dim, " must have length of at least ",
               need, " but got: ", x.dim(dim));
    (*kept)[i] = need;
  }
  return Status();
}

// TF registers only float/complex64 and double/complex128.
Status check_pair(DType in, DType out, bool forward) {
  const DType real = forward ? in : out, complex = forward ? out : in;
  const bool ok = (real == DType::kFloat && complex == DType::kComplex64) ||
                  (real == DType::kDouble && complex == DType::kComplex128);
  MR_REQUIRE(ok, "Wrong types for ", forward ? "forward" : "backward", " real FFT: in=", static_cast<int>(in),
             " out=", static_cast<int>(out));
  return Status();
}

// Copies the kept block of `x` (row-major, inner dims cropped to `kept`) into
// `dst`, whose inner dims are `kept`.
template <class S, class D>
void crop_into(const S* x, const Shape& x_shape, const Shape& kept, D* dst) {
  const int rank = static_cast<int>(x_shape.size());
  const int fft_rank = static_cast<int>(kept.size());
  Shape dst_shape(x_shape.begin(), x_shape.end() - fft_rank);
  dst_shape.insert(dst_shape.end(), kept.begin(), kept.end());
  const int64_t rows = dims_product(dst_shape, 0, rank - 1);
  const int64_t row_len = dst_shape[rank - 1];
  for (int64_t r = 0; r < rows; ++r) {
    int64_t src = 0, rest = r, mul = x_shape[rank - 1];
    for (int d = rank - 2; d >= 0; --d) {
      src += (rest % dst_shape[d]) * mul;
      rest /= dst_shape[d];
      mul *= x_shape[d];
    }
    for (int64_t k = 0; k < row_len; ++k) dst[r * row_len + k] = D(x[src + k]);
  }
}

template <class R>
class RealFftKernel : public OpKernel {
 public:
  using C = std::complex<R>;
  RealFftKernel(KernelInit& init, int fft_rank) : fft_rank_(fft_rank) {
    init.fail(check_pair(init.input_type(0), init.output_type(0), true));
  }

  Status compute(OpContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Shape len, kept;
    MR_RETURN_IF_ERROR(real_fft_lengths(x, ctx.input(1), fft_rank_, true, &len, &kept));
    const int rank = x.rank();
    Shape shape(x.shape().begin(), x.shape().end() - fft_rank_);
    shape.insert(shape.end(), len.begin(), len.end());
    Shape out_shape = shape;
    out_shape[rank - 1] = len[fft_rank_ - 1] / 2 + 1;
    Tensor& out = ctx.allocate_output(0, out_shape);
    C* y = out.data<C>();
    std::fill(y, y + out.num_elements(), C(0));
    if (x.num_elements() == 0 || num_elements(shape) == 0) return Status();
    std::vector<C> full(num_elements(shape));
    crop_into(x.data<R>(), x.shape(), kept, full.data());
    for (int a = rank - fft_rank_; a < rank; ++a) transform_axis(full.data(), shape, a, false);
    const int64_t n = shape[rank - 1], half = out_shape[rank - 1];
    const int64_t rows = num_elements(shape) / n;
    for (int64_t r = 0; r < rows; ++r) std::copy(&full[r * n], &full[r * n] + half, y + r * half);
    return Status();
  }

 private:
  int fft_rank_;
};

template <class C>
class InverseRealFftKernel : public OpKernel {
 public:
  using R = typename C::value_type;
  InverseRealFftKernel(KernelInit& init, int fft_rank) : fft_rank_(fft_rank) {
    init.fail(check_pair(init.input_type(0), init.output_type(0), false));
  }

  Status compute(OpContext& ctx) override {
    const Tensor& x = ctx.input(0);
    Shape len, kept;
    MR_RETURN_IF_ERROR(real_fft_lengths(x, ctx.input(1), fft_rank_, false, &len, &kept));
    const int rank = x.rank();
    Shape shape(x.shape().begin(), x.shape().end() - fft_rank_);
    shape.insert(shape.end(), len.begin(), len.end());
    Tensor& out = ctx.allocate_output(0, shape);
    R* y = out.data<R>();
    const int64_t count = num_elements(shape);
    std::fill(y, y + count, R(0));
    if (x.num_elements() == 0 || count == 0) return Status();
    Shape half_shape = shape;
    half_shape[rank - 1] = kept[fft_rank_ - 1];
    std::vector<C> half(num_elements(half_shape));
    crop_into(x.data<C>(), x.shape(), kept, half.data());
    for (int a = rank - fft_rank_; a < rank - 1; ++a) transform_axis(half.data(), half_shape, a, true);
    // The innermost line is Hermitian: X[n - k] = conj(X[k]). A c2r transform
    // reads only the real part of X[0] (and of X[n/2] for even n).
    const int64_t n = shape[rank - 1], h = half_shape[rank - 1];
    FftPlan<R> plan(n);
    std::vector<C> line(n), res(n);
    const R scale = R(1) / R(dims_product(shape, rank - fft_rank_, rank));
    for (int64_t r = 0; r < count / n; ++r) {
      const C* src = &half[r * h];
      for (int64_t k = 0; k < n; ++k) line[k] = k < h ? std::conj(src[k]) : src[n - k];
      line[0].imag(0);
      if (n % 2 == 0) line[n / 2].imag(0);
      plan.forward(line.data(), 1, res.data());  // conj input, real output: the inverse
      for (int64_t k = 0; k < n; ++k) y[r * n + k] = res[k].real() * scale;
    }
    return Status();
  }

 private:
  int fft_rank_;
};

template <int kRank, bool kInverse>
auto make_complex_fft = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<ComplexFftKernel<decltype(tag)>>(init, kRank, kInverse);
};

template <template <class> class K, int kRank>
auto make_real_fft = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<K<decltype(tag)>>(init, kRank);
};

using FloatDoubleTypes = TypeList<float, double>;

}  // namespace

void register_fft_ops(Registry& r) {
  const TypeFrom tcomplex = TypeFrom::attr_named("Tcomplex");
  const TypeFrom treal = TypeFrom::attr_named("Treal");
  r.add<ComplexTypes>("FFT", make_complex_fft<1, false>, tcomplex);
  r.add<ComplexTypes>("IFFT", make_complex_fft<1, true>, tcomplex);
  r.add<ComplexTypes>("FFT2D", make_complex_fft<2, false>, tcomplex);
  r.add<ComplexTypes>("IFFT2D", make_complex_fft<2, true>, tcomplex);
  r.add<ComplexTypes>("FFT3D", make_complex_fft<3, false>, tcomplex);
  r.add<ComplexTypes>("IFFT3D", make_complex_fft<3, true>, tcomplex);
  r.add<FloatDoubleTypes>("RFFT", make_real_fft<RealFftKernel, 1>, treal);
  r.add<FloatDoubleTypes>("RFFT2D", make_real_fft<RealFftKernel, 2>, treal);
  r.add<FloatDoubleTypes>("RFFT3D", make_real_fft<RealFftKernel, 3>, treal);
  r.add<ComplexTypes>("IRFFT", make_real_fft<InverseRealFftKernel, 1>, tcomplex);
  r.add<ComplexTypes>("IRFFT2D", make_real_fft<InverseRealFftKernel, 2>, tcomplex);
  r.add<ComplexTypes>("IRFFT3D", make_real_fft<InverseRealFftKernel, 3>, tcomplex);
}

}  // namespace metarun
