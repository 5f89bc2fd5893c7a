// MaxPool, MaxPoolV2 (ksize and strides as inputs) and AvgPool, over the
// spatial dims in NHWC (NCHW is transposed in and out). Windows only count
// input elements: SAME padding never contributes a value, and AvgPool
// divides by the number of elements the window actually covers, as TF does.
//
// Float32 runs on kernels/util/pool_fast.h's vectorised rows (the same
// expressions in the same order, so the same bits as the loop here, which
// the other types take). METARUN_POOL=loop (read once) keeps float32 on that
// loop too, for timing one against the other or ruling the fast rows out.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "framework/registry.h"
#include "kernels/util/pool_fast.h"
#include "kernels/util/window.h"

namespace metarun {
namespace {

enum class PoolKind { kMax, kAvg };

// Compute type of a window: float for 16-bit floats, T otherwise.
template <class T> using PoolAcc = std::conditional_t<is_half_v<T>, float, T>;

bool fast_pool_rows() {
  static const bool on = [] {
    const char* v = std::getenv("METARUN_POOL");
    return !(v && std::strcmp(v, "loop") == 0);
  }();
  return on;
}

template <class T, PoolKind K>
class PoolKernel : public OpKernel {
  using A = PoolAcc<T>;

 public:
  PoolKernel(KernelInit& init, bool attr_window) : attr_window_(attr_window) {
    read_window_attrs(init, init.op().c_str(), false, &win_);
    if (!attr_window || !init.status().ok()) return;
    std::vector<int64_t> ksize, strides;
    init.get("ksize", &ksize);
    init.get("strides", &strides);
    if (init.status().ok()) {
      Status s = window_from(ksize, strides, win_.nchw, ksize_, win_.stride);
      if (!s.ok()) init.fail(s);
    }
  }

  Status compute(OpContext& ctx) override {
    const Tensor& input = ctx.input(0);
    Window2D win = win_;
    int64_t ksize[2] = {ksize_[0], ksize_[1]};
    if (!attr_window_) {  // MaxPoolV2: the window arrives at run time
      std::vector<int64_t> ks, strides;
      MR_RETURN_IF_ERROR(tensor_to_vector(ctx.input(1), &ks, "ksize"));
      MR_RETURN_IF_ERROR(tensor_to_vector(ctx.input(2), &strides, "strides"));
      MR_RETURN_IF_ERROR(window_from(ks, strides, win.nchw, ksize, win.stride));
    }
    MR_REQUIRE(input.rank() == 4, "input must be 4-dimensional");
    const int64_t n = input.dim(0), c = input.dim(win.nchw ? 1 : 3);
    const int64_t h = input.dim(win.nchw ? 2 : 1), w = input.dim(win.nchw ? 3 : 2);
    WindowDim rows, cols;
    MR_RETURN_IF_ERROR(window_dim(h, ksize[0], 1, win.stride[0], win.padding, win.explicit_pad[0], &rows));
    MR_RETURN_IF_ERROR(window_dim(w, ksize[1], 1, win.stride[1], win.padding, win.explicit_pad[1], &cols));
    Shape out_shape = win.nchw ? Shape{n, c, rows.out, cols.out} : Shape{n, rows.out, cols.out, c};
    Tensor& out = ctx.allocate_output(0, out_shape);
    if (out.num_elements() == 0) return Status();
    std::vector<T> in_buf, out_buf;
    const T* in = nhwc_view<T, T>(input, win.nchw, &in_buf);
    T* o = nhwc_target<T, T>(out, win.nchw, &out_buf);
    const int64_t oh = rows.out, ow = cols.out;
    if constexpr (std::is_same_v<T, float>) {
      if (fast_pool_rows()) {
        PoolGeom g;
        g.n = n, g.h = h, g.w = w, g.c = c, g.kh = ksize[0], g.kw = ksize[1];
        g.sh = win.stride[0], g.sw = win.stride[1], g.oh = oh, g.ow = ow;
        g.pad_t = rows.pad_before, g.pad_l = cols.pad_before;
        // ~0.25 ns per element read: a vector load and max or add, but the
        // input is often a convolution's output that no longer fits the
        // caches (the benchmark CNN's second pool, 3.2 MB in, ran on one
        // core at 0.1 ns).
        const double row_cost = 0.25 * static_cast<double>(ow * c * ksize[0] * ksize[1]) + 20.0;
        ctx.parallel_for(n * oh, row_cost, [&](int64_t lo, int64_t hi) {
          if (K == PoolKind::kMax) max_pool_rows(g, in, o, lo, hi);
          else avg_pool_rows(g, in, o, lo, hi);
        });
        finish_nhwc<T>(out_buf, win_.nchw, out);
        return Status();
      }
    }
    const double cost = static_cast<double>(ow * c * ksize[0] * ksize[1]);
    ctx.parallel_for(n * oh, cost, [&](int64_t lo, int64_t hi) {
      std::vector<A> acc(c);
      for (int64_t r = lo; r < hi; ++r) {
        const int64_t b = r / oh, y = r % oh;
        const int64_t y0 = y * win.stride[0] - rows.pad_before;
        const int64_t ys = std::max<int64_t>(0, y0), ye = std::min(h, y0 + ksize[0]);
        for (int64_t x = 0; x < ow; ++x) {
          const int64_t x0 = x * win.stride[1] - cols.pad_before;
          const int64_t xs = std::max<int64_t>(0, x0), xe = std::min(w, x0 + ksize[1]);
          pool_window(in + b * h * w * c, w, c, ys, ye, xs, xe, acc.data(), o + (r * ow + x) * c);
        }
      }
    });
    finish_nhwc<T>(out_buf, win_.nchw, out);
    return Status();
  }

 private:
  // acc[k] = max(acc[k], px[k]) (or +=) over a pixel's channels, in blocks
  // of 16 on restrict pointers so GCC's -O2 vectorizer takes the loop
  // (max as `v > acc ? v : acc`, which is x86's maxps exactly).
  static void accumulate(A* __restrict acc, const T* __restrict px, int64_t c) {
    constexpr int64_t kBlock = 16;
    auto step = [](A a, T t) {
      const A v = static_cast<A>(t);
      if constexpr (K == PoolKind::kMax) return v > a ? v : a;
      else return a + v;
    };
    int64_t k = 0;
    for (; k + kBlock <= c; k += kBlock)
      for (int64_t j = 0; j < kBlock; ++j) acc[k + j] = step(acc[k + j], px[k + j]);
    for (; k < c; ++k) acc[k] = step(acc[k], px[k]);
  }

  static void pool_window(const T* image, int64_t w, int64_t c, int64_t ys, int64_t ye, int64_t xs,
                          int64_t xe, A* acc, T* out) {
    std::fill(acc, acc + c, K == PoolKind::kMax ? std::numeric_limits<A>::lowest() : A(0));
    for (int64_t y = ys; y < ye; ++y)
      for (int64_t x = xs; x < xe; ++x) accumulate(acc, image + (y * w + x) * c, c);
    if constexpr (K == PoolKind::kAvg) {
      const A count = static_cast<A>(std::max<int64_t>(1, (ye - ys) * (xe - xs)));
      for (int64_t k = 0; k < c; ++k) out[k] = static_cast<T>(acc[k] / count);
    } else {
      for (int64_t k = 0; k < c; ++k) out[k] = static_cast<T>(acc[k]);
    }
  }

  // Pooling across batch or depth is not supported (TF's CPU kernels reject
  // the batch; depth-wise max pooling is rare enough to leave out).
  static Status window_from(const std::vector<int64_t>& ksize, const std::vector<int64_t>& strides, bool nchw,
                            int64_t window[2], int64_t stride[2]) {
    MR_REQUIRE(ksize.size() == 4, "Sliding window ksize field must specify 4 dimensions");
    MR_REQUIRE(strides.size() == 4, "Sliding window stride field must specify 4 dimensions");
    const int cd = nchw ? 1 : 3, hd = nchw ? 2 : 1;
    if (ksize[0] != 1 || strides[0] != 1)
      return unimplemented("Pooling is not yet supported on the batch dimension.");
    if (ksize[cd] != 1 || strides[cd] != 1)
      return unimplemented("Pooling across the depth dimension is not supported");
    for (int d = 0; d < 2; ++d) {
      MR_REQUIRE(ksize[hd + d] > 0, "Sliding window ksize for dimension ", hd + d, " was zero.");
      MR_REQUIRE(strides[hd + d] > 0, "Sliding window stride for dimension ", hd + d, " was zero.");
      window[d] = ksize[hd + d];
      stride[d] = strides[hd + d];
    }
    return Status();
  }

  bool attr_window_;
  Window2D win_;
  int64_t ksize_[2] = {1, 1};
};

template <PoolKind K, bool kAttrWindow>
auto pool = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<PoolKernel<decltype(tag), K>>(init, kAttrWindow);
};

using MaxPoolTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t>;

}  // namespace

void register_pooling_ops(Registry& r) {
  r.add<MaxPoolTypes>("MaxPool", pool<PoolKind::kMax, true>);
  r.add<MaxPoolTypes>("MaxPoolV2", pool<PoolKind::kMax, false>);
  r.add<FloatTypes>("AvgPool", pool<PoolKind::kAvg, true>);
}

}  // namespace metarun
