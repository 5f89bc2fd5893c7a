// Convolution gradients: Conv2DBackpropFilter and the depthwise
// DepthwiseConv2dNativeBackpropInput / DepthwiseConv2dNativeBackpropFilter.
//
// All take NHWC and NCHW (TF's default oneDNN CPU build does);
// Conv2DBackpropFilter also takes dilations. Depthwise dilations > 1 are
// rejected: TF's own CPU kernels do not implement them.
//
// Conv2DBackpropFilter on float32 NHWC takes the direct loop (input depth
// <= 4) or Winograd F(2x2, 3x3) (3x3 stride 1, >= 16 channels each way) of
// kernels/util/conv_backfilter.h where they suit the shape; METARUN_CONV=
// im2col (read once, as for the forward convolutions) keeps it on the GEMM.
// Otherwise it is im2col + GEMM: dW[K, Cout] = cols[P, K]^T dy[P, Cout] with
// K = kh*kw*Cin and P = N*OH*OW. P is cut into blocks of positions; each
// block's patches are gathered into `cols` and multiplied through the BLAS
// adapter (sgemm/dgemm), accumulating into one partial dW per group of
// consecutive blocks; the partials are added in group order. The groups are
// fixed by the shape, not the thread count, so one and two threads give the
// same bits. Rounding: the sum over P runs in the BLAS's order within a block
// (FMA, its own k-unrolling) and block after block, so it differs from TF's
// (oneDNN's) order by a few float ulps of the largest partial sums, like any
// GEMM here.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <new>
#include <type_traits>
#include <vector>

#include "kernels/util/blas.h"
#include "kernels/util/conv_backfilter.h"
#include "kernels/util/elementwise.h"
#include "kernels/util/grad_window.h"

namespace metarun {
namespace {

using namespace grad_window;

// Positions per im2col block: about 128 KB of float patches, so a block
// stays in L2 while the GEMM packs it (budgets from 128 KB to 8 MB timed
// within 10 % of each other on the benchmark CNN's layers), but at least 256,
// so that wide filters still give the GEMM a long inner dimension.
int64_t filter_grad_block(int64_t K) { return std::clamp<int64_t>(32768 / std::max<int64_t>(K, 1), 256, 8192); }

bool fast_filter_grad_paths() {
  static const bool on = [] {
    const char* v = std::getenv("METARUN_CONV");
    return !(v && std::strcmp(v, "im2col") == 0);
  }();
  return on;
}

// Strides and dilations must leave batch and depth alone.
Status check_conv_attrs(const Window& win) {
  MR_REQUIRE(win.strides.size() == 4, "Sliding window strides field must specify 4 dimensions");
  MR_REQUIRE(win.dilations.size() == 4, "Sliding window dilations field must specify 4 dimensions");
  const int d = win.nchw ? 1 : 3;
  MR_REQUIRE(win.strides[0] == 1 && win.strides[d] == 1,
             "Current implementation does not yet support strides in the batch and depth dimensions.");
  MR_REQUIRE(win.dilations[0] == 1 && win.dilations[d] == 1,
             "Current implementation does not yet support dilations in the batch and depth dimensions.");
  return Status();
}

// Reads a 4-element sizes input (filter_sizes / input_sizes).
Status read_sizes(const Tensor& t, const char* op, const char* what, Shape* out) {
  MR_REQUIRE(t.rank() == 1 && t.num_elements() == 4, op, ": ", what, " input must be 1-dim with 4 elements, got ",
             shape_str(t.shape()));
  out->resize(4);
  for (int i = 0; i < 4; ++i) {
    (*out)[i] = index_at(t, i);
    MR_REQUIRE((*out)[i] >= 0, op, ": ", what, " must be non-negative, got ", shape_str(*out));
  }
  return Status();
}

// Checks dy's spatial size against the one the window implies; fills pads.
Status conv_geometry(const char* op, const Window& win, const View4& in, const View4& dy, int64_t kh,
                     int64_t kw, int64_t pad[2]) {
  const int64_t in_hw[2] = {in.h, in.w}, k[2] = {kh, kw}, actual[2] = {dy.h, dy.w};
  for (int i = 0; i < 2; ++i) {
    int64_t out;
    MR_RETURN_IF_ERROR(windowed_size(win, i, in_hw[i], k[i], &out, &pad[i]));
    MR_REQUIRE(out == actual[i], op, ": Size of out_backprop doesn't match computed: actual = ", actual[i],
               ", computed = ", out, " spatial_dim: ", i + 1, " input: ", in_hw[i], " filter: ", k[i],
               " output: ", actual[i], " stride: ", win.stride(i), " dilation: ", win.dilation(i));
  }
  MR_REQUIRE(in.n == dy.n, op, ": input and out_backprop must have the same batch size, got ", in.n, " and ",
             dy.n);
  return Status();
}

template <class T>
class Conv2DBackpropFilterKernel : public OpKernel {
  using A = std::conditional_t<std::is_same_v<T, double>, double, float>;

 public:
  explicit Conv2DBackpropFilterKernel(KernelInit& init) {
    win_.parse(init, false);
    if (init.status().ok()) init.fail(check_conv_attrs(win_));
  }
  Status compute(OpContext& ctx) override {
    const Tensor& x = ctx.input(0);
    const Tensor& dy_t = ctx.input(2);
    const char* op = "Conv2DBackpropFilter";
    MR_REQUIRE(x.rank() == 4, "input must be 4-dimensional", shape_str(x.shape()));
    MR_REQUIRE(dy_t.rank() == 4, "out_backprop must be 4-dimensional", shape_str(dy_t.shape()));
    Shape fs;
    MR_RETURN_IF_ERROR(read_sizes(ctx.input(1), op, "filter_sizes", &fs));
    const View4 in = view4(x.shape(), win_.nchw), dy = view4(dy_t.shape(), win_.nchw);
    const int64_t kh = fs[0], kw = fs[1], cin = fs[2], cout = fs[3];
    MR_REQUIRE(cin == in.c, op, ": input depth ", in.c, " does not match filter_sizes depth ", cin,
               " (grouped convolution is not supported)");
    MR_REQUIRE(cout == dy.c, op, ": out_backprop depth ", dy.c, " does not match filter_sizes[3] ", cout);
    int64_t pad[2];
    MR_RETURN_IF_ERROR(conv_geometry(op, win_, in, dy, kh, kw, pad));
    Tensor& dw = ctx.allocate_output(0, fs);
    const int64_t K = kh * kw * cin, P = dy.n * dy.h * dy.w;
    T* out = dw.data<T>();
    if (K * cout == 0) return Status();
    if (P == 0) {
      std::fill(out, out + K * cout, T(0));
      return Status();
    }
    if constexpr (std::is_same_v<T, float>) {
      if (!win_.nchw && fast_filter_grad_paths()) {
        ConvGeom g;
        g.n = in.n, g.h = in.h, g.w = in.w, g.c = cin, g.kh = kh, g.kw = kw, g.o = cout, g.oh = dy.h, g.ow = dy.w;
        g.pad_t = pad[0], g.pad_l = pad[1], g.sh = win_.stride(0), g.sw = win_.stride(1);
        g.dh = win_.dilation(0), g.dw = win_.dilation(1);
        const float* px = x.data<float>();
        const float* pdy = dy_t.data<float>();
        if (backfilter_winograd_suits(g)) {
          if (!backfilter_winograd(ctx.pool(), g, px, pdy, out)) return oom_status(dtype_of<float>, {16, K, cout});
          return Status();
        }
        if (backfilter_direct_suits(g)) {
          if (!backfilter_direct(ctx.pool(), g, px, pdy, out)) return oom_status(dtype_of<float>, {K, cout});
          return Status();
        }
      }
    }
    const int64_t block = filter_grad_block(K), blocks = (P + block - 1) / block;
    // dy's own rows serve as the GEMM's B when they are NHWC rows of A.
    const bool dy_direct = std::is_same_v<T, A> && !win_.nchw;
    // Groups of consecutive blocks, fixed by the shape (see the top).
    const int64_t groups = std::min<int64_t>(blocks, 8);
    std::vector<std::vector<A>> partial;
    try {
      partial.assign(groups, std::vector<A>(K * cout));
    } catch (const std::bad_alloc&) {
      return oom_status(dtype_of<A>, {groups, K, cout});
    }
    std::mutex mu;
    bool out_of_memory = false;  // a pool thread must not throw: reported after the loop
    parallel_units(ctx.pool(), groups, 0.05 * 2.0 * double(block * K * cout) * double(blocks) / double(groups),
                   [&](int64_t, int64_t grp) {
      std::vector<A> cols, dyb;
      try {
        cols.resize(block * K), dyb.resize(dy_direct ? 0 : block * cout);
      } catch (const std::bad_alloc&) {
        std::lock_guard<std::mutex> lock(mu);
        out_of_memory = true;
        return;
      }
      const int64_t b0 = blocks * grp / groups, b1 = blocks * (grp + 1) / groups;
      for (int64_t bi = b0; bi < b1; ++bi) {
        const int64_t first = bi * block, pb = std::min(block, P - first);
        gather_patches(x, in, dy, kh, kw, pad, first, pb, cols.data());
        const A* rows = dy_direct ? reinterpret_cast<const A*>(dy_t.data<T>()) + first * cout
                                  : gather_dy(dy_t, dy, first, pb, dyb.data());
        GemmArgs g;
        g.trans_a = true;
        g.m = K, g.n = cout, g.k = pb;
        g.lda = K, g.ldb = cout, g.ldc = cout;
        g.accumulate = bi > b0;
        gemm(g, cols.data(), rows, partial[grp].data());
      }
    });
    if (out_of_memory) return oom_status(dtype_of<A>, {block, K});
    std::vector<A>& sum = partial[0];
    for (int64_t grp = 1; grp < groups; ++grp)
      for (int64_t k = 0; k < K * cout; ++k) sum[k] += partial[grp][k];
    for (int64_t k = 0; k < K * cout; ++k) out[k] = T(sum[k]);
    return Status();
  }

 private:
  // cols[p][(i*kw + q)*Cin + c] = x at position first+p under filter tap
  // (i, q), channel c (0 in padding): the filter's own [kh, kw, Cin] order.
  void gather_patches(const Tensor& x, const View4& in, const View4& dy, int64_t kh, int64_t kw,
                      const int64_t pad[2], int64_t first, int64_t pb, A* cols) const {
    const T* px = x.data<T>();
    const int64_t sh = win_.stride(0), sw = win_.stride(1), dh = win_.dilation(0), dw = win_.dilation(1);
    const int64_t oh_n = dy.h, ow_n = dy.w;
    for (int64_t p = 0; p < pb; ++p) {
      const int64_t pos = first + p;
      const int64_t ow = pos % ow_n, oh = (pos / ow_n) % oh_n, b = pos / (ow_n * oh_n);
      A* row = cols + p * kh * kw * in.c;
      for (int64_t i = 0; i < kh; ++i) {
        const int64_t h = oh * sh - pad[0] + i * dh;
        for (int64_t q = 0; q < kw; ++q, row += in.c) {
          const int64_t w = ow * sw - pad[1] + q * dw;
          if (h < 0 || h >= in.h || w < 0 || w >= in.w) {
            std::fill(row, row + in.c, A(0));
          } else {
            const T* src = px + in.at(b, h, w, 0);
            if (std::is_same_v<T, A> && in.sc == 1) std::memcpy(row, src, in.c * sizeof(A));
            else for (int64_t c = 0; c < in.c; ++c) row[c] = A(src[c * in.sc]);
          }
        }
      }
    }
  }
  // dyb[p][j] = dy at position first+p, channel j, as A.
  const A* gather_dy(const Tensor& dy_t, const View4& dy, int64_t first, int64_t pb, A* dyb) const {
    const T* pdy = dy_t.data<T>();
    for (int64_t p = 0; p < pb; ++p) {
      const int64_t pos = first + p;
      const int64_t ow = pos % dy.w, oh = (pos / dy.w) % dy.h, b = pos / (dy.w * dy.h);
      for (int64_t j = 0; j < dy.c; ++j) dyb[p * dy.c + j] = A(pdy[dy.at(b, oh, ow, j)]);
    }
    return dyb;
  }

  Window win_;
};

// Shared by the two depthwise backprops: attrs, then the geometry of
// (input, filter [kh, kw, C, M], out_backprop [.., C*M]).
class DepthwiseBase : public OpKernel {
 protected:
  explicit DepthwiseBase(KernelInit& init) {
    win_.parse(init, false);
    if (!init.status().ok()) return;
    init.fail(check_conv_attrs(win_));
    for (int64_t d : win_.dilations)
      if (d != 1 && init.status().ok())
        init.fail(unimplemented("Depthwise convolution on CPU does not support dilation rates larger than 1"));
  }
  Status geometry(const char* op, const Shape& input, const Shape& filter, const Shape& out_backprop) {
    MR_REQUIRE(input.size() == 4, op, ": input must be 4-dimensional");
    MR_REQUIRE(filter.size() == 4, op, ": filter must be 4-dimensional");
    MR_REQUIRE(out_backprop.size() == 4, op, ": out_backprop must be 4-dimensional");
    in_ = view4(input, win_.nchw);
    dy_ = view4(out_backprop, win_.nchw);
    MR_REQUIRE(filter[2] == in_.c, op, ": input and filter must have the same depth: ", in_.c, " vs ", filter[2]);
    MR_REQUIRE(dy_.c == filter[2] * filter[3], op, ": depth of out_backprop must be ", filter[2] * filter[3],
               ", got ", dy_.c);
    kh_ = filter[0], kw_ = filter[1], mult_ = filter[3];
    return conv_geometry(op, win_, in_, dy_, kh_, kw_, pad_);
  }
  // Calls fn(b, h, w, oh, ow, tap) for every in-bounds (input, output, filter tap) triple of batch b.
  template <class F>
  void for_each_tap(int64_t b, F&& fn) const {
    for (int64_t oh = 0; oh < dy_.h; ++oh)
      for (int64_t ow = 0; ow < dy_.w; ++ow)
        for (int64_t i = 0; i < kh_; ++i) {
          const int64_t h = oh * win_.stride(0) - pad_[0] + i;
          if (h < 0 || h >= in_.h) continue;
          for (int64_t q = 0; q < kw_; ++q) {
            const int64_t w = ow * win_.stride(1) - pad_[1] + q;
            if (w >= 0 && w < in_.w) fn(h, w, oh, ow, i * kw_ + q);
          }
        }
  }

  Window win_;
  View4 in_, dy_;
  int64_t kh_ = 0, kw_ = 0, mult_ = 1, pad_[2] = {0, 0};
};

template <class T>
class DepthwiseBackpropInputKernel : public DepthwiseBase {
  using A = Compute<T>;

 public:
  explicit DepthwiseBackpropInputKernel(KernelInit& init) : DepthwiseBase(init) {}
  Status compute(OpContext& ctx) override {
    const char* op = "DepthwiseConv2DBackpropInput";
    Shape in_shape;
    MR_RETURN_IF_ERROR(read_sizes(ctx.input(0), op, "input_sizes", &in_shape));
    const Tensor& filter = ctx.input(1);
    const Tensor& dy_t = ctx.input(2);
    MR_RETURN_IF_ERROR(geometry(op, in_shape, filter.shape(), dy_t.shape()));
    Tensor& dx = ctx.allocate_output(0, in_shape);
    const T* pw = filter.data<T>();
    const T* pdy = dy_t.data<T>();
    T* pdx = dx.data<T>();
    const int64_t C = in_.c, M = mult_;
    ctx.parallel_for(in_.n, double(dy_.h * dy_.w * kh_ * kw_ * C * M), [&](int64_t b0, int64_t b1) {
      std::vector<A> acc(in_.sn);
      for (int64_t b = b0; b < b1; ++b) {
        std::fill(acc.begin(), acc.end(), A(0));
        for_each_tap(b, [&](int64_t h, int64_t w, int64_t oh, int64_t ow, int64_t tap) {
          const T* wt = pw + tap * C * M;
          for (int64_t c = 0; c < C; ++c) {
            A sum = A(0);
            for (int64_t m = 0; m < M; ++m) sum += A(pdy[dy_.at(b, oh, ow, c * M + m)]) * A(wt[c * M + m]);
            acc[in_.at(0, h, w, c)] += sum;
          }
        });
        for (int64_t k = 0; k < in_.sn; ++k) pdx[b * in_.sn + k] = T(acc[k]);
      }
    });
    return Status();
  }
};

template <class T>
class DepthwiseBackpropFilterKernel : public DepthwiseBase {
  using A = Compute<T>;

 public:
  explicit DepthwiseBackpropFilterKernel(KernelInit& init) : DepthwiseBase(init) {}
  Status compute(OpContext& ctx) override {
    const char* op = "DepthwiseConv2DBackpropFilter";
    const Tensor& x = ctx.input(0);
    const Tensor& dy_t = ctx.input(2);
    Shape fs;
    MR_RETURN_IF_ERROR(read_sizes(ctx.input(1), op, "filter_sizes", &fs));
    MR_RETURN_IF_ERROR(geometry(op, x.shape(), fs, dy_t.shape()));
    Tensor& dw = ctx.allocate_output(0, fs);
    const T* px = x.data<T>();
    const T* pdy = dy_t.data<T>();
    const int64_t C = in_.c, M = mult_, size = kh_ * kw_ * C * M;
    std::map<int64_t, std::vector<A>> partial;
    std::mutex mu;
    ctx.parallel_for(in_.n, double(dy_.h * dy_.w * size), [&](int64_t b0, int64_t b1) {
      std::vector<A> acc(size, A(0));
      for (int64_t b = b0; b < b1; ++b)
        for_each_tap(b, [&](int64_t h, int64_t w, int64_t oh, int64_t ow, int64_t tap) {
          A* a = acc.data() + tap * C * M;
          for (int64_t c = 0; c < C; ++c) {
            const A v = A(px[in_.at(b, h, w, c)]);
            for (int64_t m = 0; m < M; ++m) a[c * M + m] += v * A(pdy[dy_.at(b, oh, ow, c * M + m)]);
          }
        });
      std::lock_guard<std::mutex> lock(mu);
      partial[b0] = std::move(acc);
    });
    T* out = dw.data<T>();
    for (int64_t k = 0; k < size; ++k) {
      A sum = A(0);
      for (const auto& a : partial) sum += a.second[k];
      out[k] = T(sum);
    }
    return Status();
  }
};

auto conv2d_backprop_filter = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<Conv2DBackpropFilterKernel<decltype(tag)>>(init);
};
auto depthwise_backprop_input = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<DepthwiseBackpropInputKernel<decltype(tag)>>(init);
};
auto depthwise_backprop_filter = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<DepthwiseBackpropFilterKernel<decltype(tag)>>(init);
};

}  // namespace

void register_conv_grad_ops(Registry& r) {
  r.add<FloatTypes>("Conv2DBackpropFilter", conv2d_backprop_filter);
  r.add<FloatTypes>("DepthwiseConv2dNativeBackpropInput", depthwise_backprop_input);
  r.add<FloatTypes>("DepthwiseConv2dNativeBackpropFilter", depthwise_backprop_filter);
}

}  // namespace metarun
