// Conv3D with its backprops (V1 and V2), MaxPool3D, AvgPool3D and their
// gradients, as TF's CPU kernels: NDHWC only (TF's CPU build refuses NCDHW).
// Convolutions run on GemmType<T> through im2col over blocks of output
// voxels, the filter [KD*KH*KW*C, O] being already in GEMM layout.
//
// MaxPool3DGrad gives the gradient to every element of a window that equals
// the window's maximum (TF compares the window with its max), while
// MaxPool3DGradGrad reads the first maximum in scan order. AvgPool3D divides
// by the number of window elements inside the input.
#include <algorithm>
#include <cmath>
#include <limits>

#include "framework/registry.h"
#include "kernels/util/blas.h"
#include "kernels/util/window.h"

namespace metarun {
namespace {

// A 3-D window op's geometry, NDHWC; spatial arrays are [depth, rows, cols].
struct Geom3 {
  int64_t n = 0, c = 0, o = 0;
  int64_t in[3] = {0, 0, 0}, k[3] = {1, 1, 1}, out[3] = {0, 0, 0};
  int64_t pad[3] = {0, 0, 0}, stride[3] = {1, 1, 1}, dil[3] = {1, 1, 1};
  int64_t in_voxels() const { return in[0] * in[1] * in[2]; }
  int64_t out_voxels() const { return out[0] * out[1] * out[2]; }
  int64_t window() const { return k[0] * k[1] * k[2]; }
  int64_t patch() const { return window() * c; }
};

struct Attrs3 {
  Padding padding = Padding::kValid;
  int64_t stride[3] = {1, 1, 1}, dil[3] = {1, 1, 1}, ksize[3] = {1, 1, 1};
};

// Reads padding, data_format and the 5-element lists named in `lists`
// (strides, dilations, ksize), with TF's checks.
Status read_attrs3(KernelInit& init, bool pool, Attrs3* a) {
  std::string p, fmt = "NDHWC";
  init.get("padding", &p);
  if (p == "SAME") a->padding = Padding::kSame;
  else if (p == "VALID") a->padding = Padding::kValid;
  else return invalid_argument(str_cat("Invalid padding: ", p));
  if (init.has_attr("data_format")) init.get("data_format", &fmt);
  MR_REQUIRE(fmt == "NDHWC" || fmt == "NCDHW", "Invalid data format");
  MR_REQUIRE(fmt == "NDHWC", pool ? "Default Pooling3DOp only supports NDHWC on device type CPU"
                                  : "CPU implementation of 3-D convolutions only supports NDHWC");
  std::vector<int64_t> strides, dil = {1, 1, 1, 1, 1}, ksize = {1, 1, 1, 1, 1};
  init.get("strides", &strides);
  if (!pool && init.has_attr("dilations")) init.get("dilations", &dil);
  if (pool) init.get("ksize", &ksize);
  MR_REQUIRE(strides.size() == 5, "Sliding window strides field must specify 5 dimensions");
  MR_REQUIRE(dil.size() == 5, "Dilation rates field must specify 5 dimensions");
  MR_REQUIRE(ksize.size() == 5, "Sliding window ksize field must specify 5 dimensions");
  const int cd = 4, sd = 1;
  if (pool) {
    if (ksize[0] != 1 || strides[0] != 1 || ksize[cd] != 1 || strides[cd] != 1)
      return unimplemented("Pooling is not yet supported on the batch dimension.");
  } else {
    MR_REQUIRE(strides[0] == 1 && strides[cd] == 1,
               "Current implementation does not yet support strides in the batch and depth dimensions.");
    MR_REQUIRE(dil[0] == 1 && dil[cd] == 1,
               "Current implementation does not yet support dilations in the batch and depth dimensions.");
  }
  for (int d = 0; d < 3; ++d) {
    a->stride[d] = strides[sd + d];
    a->dil[d] = dil[sd + d];
    a->ksize[d] = ksize[sd + d];
    MR_REQUIRE(a->stride[d] > 0, "Sliding window strides field must be positive");
    MR_REQUIRE(a->dil[d] > 0, "Dilated rates should be larger than 0.");
    MR_REQUIRE(a->ksize[d] > 0, "Sliding window ksize field must be positive");
  }
  return Status();
}

// Output sizes and leading padding from g->in, g->k and the attrs.
Status solve3(const Attrs3& a, Geom3* g) {
  const int64_t no_pad[2] = {0, 0};
  for (int d = 0; d < 3; ++d) {
    WindowDim w;
    MR_RETURN_IF_ERROR(window_dim(g->in[d], g->k[d], a.dil[d], a.stride[d], a.padding, no_pad, &w));
    g->out[d] = w.out;
    g->pad[d] = w.pad_before;
    g->stride[d] = a.stride[d];
    g->dil[d] = a.dil[d];
  }
  return Status();
}

Status check_rank5(const Tensor& t, const char* what) {
  MR_REQUIRE(t.rank() == 5, what, " must be 5-dimensional", shape_str(t.shape()));
  return Status();
}

// Calls f(window_index, input_voxel_index) for each in-bounds tap of output
// voxel `p` (within one image); padding taps are skipped.
template <class F>
void for_taps(const Geom3& g, int64_t p, F&& f) {
  const int64_t z = p / (g.out[1] * g.out[2]), y = (p / g.out[2]) % g.out[1], x = p % g.out[2];
  for (int64_t i = 0; i < g.k[0]; ++i) {
    const int64_t iz = z * g.stride[0] - g.pad[0] + i * g.dil[0];
    if (iz < 0 || iz >= g.in[0]) continue;
    for (int64_t j = 0; j < g.k[1]; ++j) {
      const int64_t iy = y * g.stride[1] - g.pad[1] + j * g.dil[1];
      if (iy < 0 || iy >= g.in[1]) continue;
      for (int64_t l = 0; l < g.k[2]; ++l) {
        const int64_t ix = x * g.stride[2] - g.pad[2] + l * g.dil[2];
        if (ix < 0 || ix >= g.in[2]) continue;
        f((i * g.k[1] + j) * g.k[2] + l, (iz * g.in[1] + iy) * g.in[2] + ix);
      }
    }
  }
}

// -- convolution ------------------------------------------------------------

// Rows [first, last) of the im2col matrix (global output voxel indices).
template <class A>
void im2col3(const A* in, const Geom3& g, int64_t first, int64_t last, A* cols) {
  const int64_t per = g.out_voxels();
  std::fill(cols, cols + (last - first) * g.patch(), A(0));
  for (int64_t p = first; p < last; ++p, cols += g.patch()) {
    const A* image = in + (p / per) * g.in_voxels() * g.c;
    for_taps(g, p % per, [&](int64_t w, int64_t v) { std::copy_n(image + v * g.c, g.c, cols + w * g.c); });
  }
}

template <class A>
void col2im3(const A* cols, const Geom3& g, int64_t first, int64_t last, A* in) {
  const int64_t per = g.out_voxels();
  for (int64_t p = first; p < last; ++p, cols += g.patch()) {
    A* image = in + (p / per) * g.in_voxels() * g.c;
    for_taps(g, p % per, [&](int64_t w, int64_t v) {
      const A* src = cols + w * g.c;
      A* dst = image + v * g.c;
      for (int64_t ch = 0; ch < g.c; ++ch) dst[ch] += src[ch];
    });
  }
}

int64_t block_voxels(const Geom3& g) { return std::max<int64_t>(8, (64 * 1024) / std::max<int64_t>(1, g.patch())); }

template <class T, class A>
const A* as_acc(const Tensor& t, std::vector<A>* buf) {
  if constexpr (std::is_same_v<T, A>) {
    return t.data<T>();
  } else {
    buf->resize(t.num_elements());
    const T* src = t.data<T>();
    for (size_t i = 0; i < buf->size(); ++i) (*buf)[i] = static_cast<A>(src[i]);
    return buf->data();
  }
}

template <class T, class A>
void store(const std::vector<A>& buf, Tensor& out) {
  T* dst = out.data<T>();
  for (size_t i = 0; i < buf.size(); ++i) dst[i] = static_cast<T>(buf[i]);
}

enum class ConvPart { kForward, kInputV1, kInputV2, kFilterV1, kFilterV2 };

// A shape given either as a tensor's own shape (V1) or as a 1-D sizes tensor (V2).
Status shape_arg(const Tensor& t, bool sizes, const char* what, std::vector<int64_t>* dims) {
  if (!sizes) {
    *dims = std::vector<int64_t>(t.shape().begin(), t.shape().end());
  } else {
    MR_REQUIRE(t.rank() == 1, what, " must be 1-dimensional, got: ", shape_str(t.shape()));
    MR_RETURN_IF_ERROR(tensor_to_vector(t, dims, what));
  }
  MR_REQUIRE(dims->size() == 5, what, " must be 5-dimensional, got: ", dims->size());
  for (int64_t d : *dims) MR_REQUIRE(d >= 0, what, " must be nonnegative, got ", shape_str(*dims));
  return Status();
}

template <class T>
class Conv3DKernel : public OpKernel {
  using A = GemmType<T>;

 public:
  Conv3DKernel(KernelInit& init, ConvPart part) : part_(part) {
    Status s = read_attrs3(init, false, &attrs_);
    if (!s.ok()) {
      init.fail(s);
      return;
    }
    // TF's own CPU kernels have no dilated 3-D convolution.
    if (std::max({attrs_.dil[0], attrs_.dil[1], attrs_.dil[2]}) > 1)
      init.fail(invalid_argument(part == ConvPart::kForward
                                     ? "CPU implementation of Conv3D currently only supports dilated rates of 1."
                                     : "Current CPU implementation does not yet support dilation rates larger than 1."));
  }

  Status compute(OpContext& ctx) override {
    std::vector<int64_t> in_dims, f_dims;
    const Tensor* dy = nullptr;
    if (part_ == ConvPart::kForward) {
      MR_RETURN_IF_ERROR(check_rank5(ctx.input(0), "input"));
      MR_RETURN_IF_ERROR(check_rank5(ctx.input(1), "filter"));
      in_dims.assign(ctx.input(0).shape().begin(), ctx.input(0).shape().end());
      f_dims.assign(ctx.input(1).shape().begin(), ctx.input(1).shape().end());
      MR_REQUIRE(ctx.input(1).num_elements() > 0,
                 "filter must not have zero elements (i.e. all dimensions must be non-zero)");
    } else {
      const bool input_part = part_ == ConvPart::kInputV1 || part_ == ConvPart::kInputV2;
      const bool v2 = part_ == ConvPart::kInputV2 || part_ == ConvPart::kFilterV2;
      MR_RETURN_IF_ERROR(shape_arg(ctx.input(0), input_part && v2, "input_sizes", &in_dims));
      MR_RETURN_IF_ERROR(shape_arg(ctx.input(1), !input_part && v2, "filter_sizes", &f_dims));
      dy = &ctx.input(2);
      MR_RETURN_IF_ERROR(check_rank5(*dy, "out_backprop"));
    }
    Geom3 g;
    g.n = in_dims[0];
    g.c = in_dims[4];
    g.o = f_dims[4];
    for (int d = 0; d < 3; ++d) {
      g.in[d] = in_dims[1 + d];
      g.k[d] = f_dims[d];
    }
    MR_REQUIRE(f_dims[3] > 0, "filter depth must be stricly positive, got ", f_dims[3]);
    MR_REQUIRE(g.c == f_dims[3], "Input depth must be equal to filter depth: ", g.c, " vs ", f_dims[3]);
    MR_RETURN_IF_ERROR(solve3(attrs_, &g));
    if (dy != nullptr) {
      const int64_t want[5] = {g.n, g.out[0], g.out[1], g.out[2], g.o};
      for (int d = 0; d < 5; ++d)
        MR_REQUIRE(dy->dim(d) == want[d], "Conv3DBackprop: out_backprop has shape ", shape_str(dy->shape()),
                   " but the input and filter give ", shape_str(std::vector<int64_t>(want, want + 5)));
    }
    switch (part_) {
      case ConvPart::kForward: return forward(ctx, g);
      case ConvPart::kInputV1:
      case ConvPart::kInputV2: return backprop_input(ctx, g, in_dims);
      default: return backprop_filter(ctx, g, f_dims);
    }
  }

 private:
  Status forward(OpContext& ctx, const Geom3& g) {
    Tensor& out = ctx.allocate_output(0, Shape{g.n, g.out[0], g.out[1], g.out[2], g.o});
    if (out.num_elements() == 0) return Status();
    std::vector<A> in_buf, f_buf, out_buf;
    const A* in = as_acc<T, A>(ctx.input(0), &in_buf);
    const A* f = as_acc<T, A>(ctx.input(1), &f_buf);
    A* o = nullptr;
    if constexpr (std::is_same_v<T, A>) o = out.data<T>();
    else o = (out_buf.assign(out.num_elements(), A(0)), out_buf.data());
    const int64_t voxels = g.n * g.out_voxels(), block = block_voxels(g);
    const int64_t blocks = (voxels + block - 1) / block;
    GemmArgs ga;
    ga.k = g.patch();
    ga.n = g.o;
    ga.lda = ga.k;
    ga.ldb = ga.ldc = g.o;
    ctx.parallel_for(blocks, 0.1 * static_cast<double>(block * ga.k * ga.n), [&](int64_t lo, int64_t hi) {
      std::vector<A> cols(block * ga.k);
      for (int64_t bi = lo; bi < hi; ++bi) {
        const int64_t first = bi * block, last = std::min(voxels, first + block);
        im2col3(in, g, first, last, cols.data());
        GemmArgs gb = ga;
        gb.m = last - first;
        gemm(gb, cols.data(), f, o + first * g.o);
      }
    });
    if constexpr (!std::is_same_v<T, A>) store<T>(out_buf, out);
    return Status();
  }

  // dy . filter^T gives each output voxel's patch gradient; col2im adds the
  // patches back. Images never overlap, so the pool splits over the batch.
  Status backprop_input(OpContext& ctx, const Geom3& g, const std::vector<int64_t>& dims) {
    Tensor& out = ctx.allocate_output(0, dims);
    if (out.num_elements() == 0) return Status();
    std::vector<A> dy_buf, f_buf, out_buf(out.num_elements(), A(0));
    const A* dy = as_acc<T, A>(ctx.input(2), &dy_buf);
    const A* f = as_acc<T, A>(ctx.input(1), &f_buf);
    const int64_t per = g.out_voxels(), block = std::max<int64_t>(1, std::min(per, block_voxels(g)));
    GemmArgs ga;
    ga.trans_b = true;
    ga.k = g.o;
    ga.n = g.patch();
    ga.lda = ga.ldb = g.o;
    ga.ldc = g.patch();
    if (per > 0 && g.o > 0)
      ctx.parallel_for(g.n, 0.1 * static_cast<double>(per * ga.k * ga.n), [&](int64_t lo, int64_t hi) {
        std::vector<A> cols(block * ga.n);
        for (int64_t b = lo; b < hi; ++b)
          for (int64_t first = b * per; first < (b + 1) * per; first += block) {
            const int64_t last = std::min((b + 1) * per, first + block);
            GemmArgs gb = ga;
            gb.m = last - first;
            gemm(gb, dy + first * g.o, f, cols.data());
            col2im3(cols.data(), g, first, last, out_buf.data());
          }
      });
    store<T>(out_buf, out);
    return Status();
  }

  // cols^T . dy summed over blocks of output voxels, one partial sum per
  // worker, added in worker order.
  Status backprop_filter(OpContext& ctx, const Geom3& g, const std::vector<int64_t>& dims) {
    Tensor& out = ctx.allocate_output(0, dims);
    if (out.num_elements() == 0) return Status();
    std::vector<A> in_buf, dy_buf, acc(out.num_elements(), A(0));
    const A* in = as_acc<T, A>(ctx.input(0), &in_buf);
    const A* dy = as_acc<T, A>(ctx.input(2), &dy_buf);
    const int64_t voxels = g.n * g.out_voxels(), block = block_voxels(g);
    GemmArgs ga;
    ga.trans_a = true;
    ga.m = g.patch();
    ga.n = g.o;
    ga.lda = g.patch();
    ga.ldb = ga.ldc = g.o;
    ga.accumulate = true;
    std::vector<A> cols(block * g.patch());
    for (int64_t first = 0; first < voxels; first += block) {
      const int64_t last = std::min(voxels, first + block);
      im2col3(in, g, first, last, cols.data());
      GemmArgs gb = ga;
      gb.k = last - first;
      parallel_gemm(ctx.pool(), gb, cols.data(), dy + first * g.o, acc.data());
    }
    store<T>(acc, out);
    return Status();
  }

  ConvPart part_;
  Attrs3 attrs_;
};

// -- pooling ----------------------------------------------------------------

enum class PoolPart { kMax, kAvg, kMaxGrad, kAvgGrad, kMaxGradGrad };

template <class T>
class Pool3DKernel : public OpKernel {
 public:
  Pool3DKernel(KernelInit& init, PoolPart part) : part_(part) {
    std::string fmt;
    if (part == PoolPart::kMaxGradGrad && init.has_attr("data_format")) init.get("data_format", &fmt);
    if (fmt == "NCDHW") {  // this one TF refuses as unimplemented, the others as invalid
      init.fail(unimplemented("Default MaxPool3DGradGradOp only supports NDHWC on device type CPU"));
      return;
    }
    Status s = read_attrs3(init, true, &attrs_);
    if (!s.ok()) init.fail(s);
  }

  Status compute(OpContext& ctx) override {
    std::vector<int64_t> in_dims;
    if (part_ == PoolPart::kAvgGrad) {
      MR_RETURN_IF_ERROR(shape_arg(ctx.input(0), true, "orig_input_shape", &in_dims));
    } else {
      MR_RETURN_IF_ERROR(check_rank5(ctx.input(0), "tensor_in"));
      in_dims.assign(ctx.input(0).shape().begin(), ctx.input(0).shape().end());
    }
    Geom3 g;
    g.n = in_dims[0];
    g.c = g.o = in_dims[4];
    for (int d = 0; d < 3; ++d) {
      g.in[d] = in_dims[1 + d];
      g.k[d] = attrs_.ksize[d];
    }
    MR_RETURN_IF_ERROR(solve3(attrs_, &g));
    const std::vector<int64_t> out_dims = {g.n, g.out[0], g.out[1], g.out[2], g.c};
    auto expect = [&](int i, const std::vector<int64_t>& dims, const char* what) -> Status {
      const Tensor& t = ctx.input(i);
      MR_REQUIRE(std::vector<int64_t>(t.shape().begin(), t.shape().end()) == dims, what, " must have shape ",
                 shape_str(dims), ", got ", shape_str(t.shape()));
      return Status();
    };
    switch (part_) {
      case PoolPart::kMax:
      case PoolPart::kAvg: {
        Tensor& out = ctx.allocate_output(0, out_dims);
        pool(ctx, g, part_ == PoolPart::kMax, ctx.input(0).data<T>(), out.data<T>());
        return Status();
      }
      case PoolPart::kAvgGrad: {
        // TF checks the channels only and reads the rest past a smaller grad; metarun checks it all.
        MR_REQUIRE(ctx.input(1).rank() == 5 && ctx.input(1).dim(4) == g.c,
                   "Expected last dimension of tensor_in_shape and out_backprop to match, got ", g.c, " and ",
                   ctx.input(1).rank() == 5 ? ctx.input(1).dim(4) : -1);
        MR_RETURN_IF_ERROR(expect(1, out_dims, "grad"));
        Tensor& out = ctx.allocate_output(0, in_dims);
        avg_grad(ctx, g, ctx.input(1).data<T>(), out.data<T>());
        return Status();
      }
      case PoolPart::kMaxGrad: {
        MR_RETURN_IF_ERROR(expect(1, out_dims, "orig_output"));
        MR_RETURN_IF_ERROR(expect(2, out_dims, "grad"));
        Tensor& out = ctx.allocate_output(0, in_dims);
        max_grad(ctx, g, out.data<T>());
        return Status();
      }
      default: {
        MR_RETURN_IF_ERROR(expect(1, out_dims, "orig_output"));
        MR_RETURN_IF_ERROR(expect(2, in_dims, "grad"));
        const char* names[3] = {"tensor_in", "tensor_out", "out_grad_backprop"};
        for (int i = 0; i < 3; ++i)
          MR_REQUIRE(ctx.input(i).num_elements() > 0, "received empty tensor ", names[i], ": ",
                     shape_str(ctx.input(i).shape()));
        Tensor& out = ctx.allocate_output(0, out_dims);
        max_grad_grad(ctx, g, out.data<T>());
        return Status();
      }
    }
  }

 private:
  // Runs f(image, output voxel) over all output voxels, split by image rows.
  template <class F>
  static void each_output(OpContext& ctx, const Geom3& g, F&& f) {
    const int64_t per = g.out_voxels();
    ctx.parallel_for(g.n * per, static_cast<double>(g.window() * g.c), [&](int64_t lo, int64_t hi) {
      for (int64_t p = lo; p < hi; ++p) f(p / per, p % per);
    });
  }

  static void pool(OpContext& ctx, const Geom3& g, bool is_max, const T* in, T* out) {
    each_output(ctx, g, [&](int64_t b, int64_t p) {
      const T* image = in + b * g.in_voxels() * g.c;
      T* dst = out + (b * g.out_voxels() + p) * g.c;
      for (int64_t ch = 0; ch < g.c; ++ch) {
        float acc = is_max ? -std::numeric_limits<float>::infinity() : 0.0f;
        int64_t count = 0;
        for_taps(g, p, [&](int64_t, int64_t v) {
          const float x = static_cast<float>(image[v * g.c + ch]);
          if (!is_max) acc += x;
          else if (!(x < acc)) acc = x;  // Eigen's max: a NaN is replaced by any later value
          ++count;
        });
        if (!is_max) acc /= static_cast<float>(count);
        dst[ch] = static_cast<T>(acc);
      }
    });
  }

  // Scatters: images are independent, so the pool splits over the batch.
  static void avg_grad(OpContext& ctx, const Geom3& g, const T* grad, T* out) {
    const int64_t in_size = g.in_voxels() * g.c, per = g.out_voxels();
    ctx.parallel_for(g.n, static_cast<double>(per * g.window() * g.c), [&](int64_t lo, int64_t hi) {
      for (int64_t b = lo; b < hi; ++b) {
        std::vector<float> acc(in_size, 0.0f);
        // TF walks the output columns outermost and planes innermost; the T-rounded sums show it.
        for (int64_t q = 0; q < per; ++q) {
          const int64_t p = (q % g.out[0]) * g.out[1] * g.out[2] + (q / g.out[0]) % g.out[1] * g.out[2] +
                            q / (g.out[0] * g.out[1]);
          int64_t count = 0;
          for_taps(g, p, [&](int64_t, int64_t) { ++count; });
          // TF multiplies by 1/count in T and adds in T, one window at a time.
          const float scale = static_cast<float>(static_cast<T>(1.0f / static_cast<float>(count)));
          const T* gp = grad + (b * per + p) * g.c;
          for_taps(g, p, [&](int64_t, int64_t v) {
            for (int64_t ch = 0; ch < g.c; ++ch) {
              const float share = static_cast<float>(static_cast<T>(static_cast<float>(gp[ch]) * scale));
              acc[v * g.c + ch] = static_cast<float>(static_cast<T>(acc[v * g.c + ch] + share));
            }
          });
        }
        for (int64_t i = 0; i < in_size; ++i) out[b * in_size + i] = static_cast<T>(acc[i]);
      }
    });
  }

  void max_grad(OpContext& ctx, const Geom3& g, T* out) const {
    const T* in = ctx.input(0).data<T>();
    const T* y = ctx.input(1).data<T>();
    const T* grad = ctx.input(2).data<T>();
    const int64_t in_size = g.in_voxels() * g.c, per = g.out_voxels();
    ctx.parallel_for(g.n, static_cast<double>(per * g.window() * g.c), [&](int64_t lo, int64_t hi) {
      for (int64_t b = lo; b < hi; ++b) {
        std::vector<float> acc(in_size, 0.0f);
        const T* image = in + b * in_size;
        for (int64_t p = 0; p < per; ++p) {
          const int64_t o = (b * per + p) * g.c;
          for_taps(g, p, [&](int64_t, int64_t v) {
            for (int64_t ch = 0; ch < g.c; ++ch)
              if (static_cast<float>(image[v * g.c + ch]) == static_cast<float>(y[o + ch]))
                acc[v * g.c + ch] += static_cast<float>(grad[o + ch]);
          });
        }
        for (int64_t i = 0; i < in_size; ++i) out[b * in_size + i] = static_cast<T>(acc[i]);
      }
    });
  }

  void max_grad_grad(OpContext& ctx, const Geom3& g, T* out) const {
    const T* in = ctx.input(0).data<T>();
    const T* grad = ctx.input(2).data<T>();
    each_output(ctx, g, [&](int64_t b, int64_t p) {
      const int64_t base = b * g.in_voxels() * g.c;
      T* dst = out + (b * g.out_voxels() + p) * g.c;
      for (int64_t ch = 0; ch < g.c; ++ch) {
        float best = -std::numeric_limits<float>::infinity();
        int64_t at = -1;
        for_taps(g, p, [&](int64_t, int64_t v) {
          const float x = static_cast<float>(in[base + v * g.c + ch]);
          if (at < 0 || x > best) {
            best = x;
            at = v;
          }
        });
        dst[ch] = at < 0 ? T(0) : grad[base + at * g.c + ch];
      }
    });
  }

  PoolPart part_;
  Attrs3 attrs_;
};

template <ConvPart P>
auto conv3d = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<Conv3DKernel<decltype(tag)>>(init, P);
};
template <PoolPart P>
auto pool3d = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<Pool3DKernel<decltype(tag)>>(init, P);
};

using V1Types = TypeList<float, double, Half>;
using PoolTypes = TypeList<float, BFloat16>;

}  // namespace

void register_conv3d_ops(Registry& r) {
  r.add<FloatTypes>("Conv3D", conv3d<ConvPart::kForward>);
  r.add<FloatTypes>("Conv3DBackpropInputV2", conv3d<ConvPart::kInputV2>);
  r.add<FloatTypes>("Conv3DBackpropFilterV2", conv3d<ConvPart::kFilterV2>);
  r.add<V1Types>("Conv3DBackpropInput", conv3d<ConvPart::kInputV1>);
  r.add<V1Types>("Conv3DBackpropFilter", conv3d<ConvPart::kFilterV1>);
  r.add<PoolTypes>("MaxPool3D", pool3d<PoolPart::kMax>);
  r.add<PoolTypes>("AvgPool3D", pool3d<PoolPart::kAvg>);
  r.add<PoolTypes>("MaxPool3DGrad", pool3d<PoolPart::kMaxGrad>);
  r.add<PoolTypes>("AvgPool3DGrad", pool3d<PoolPart::kAvgGrad>);
  r.add<PoolTypes>("MaxPool3DGradGrad", pool3d<PoolPart::kMaxGradGrad>);
}

}  // namespace metarun
