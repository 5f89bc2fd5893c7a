// Conv2D, DepthwiseConv2dNative and Conv2DBackpropInput. Convolutions run in
// NHWC on GemmType<T> (float for the 16-bit floats): im2col over blocks of
// output pixels, each block one GEMM against the [KH*KW*C, O] filter, which
// is the filter's own memory layout, so the filter is never repacked.
//
// Float32 takes the direct loop or Winograd where they suit the shape
// (kernels/util/conv_fast.h), and a stride-1 input gradient runs as a
// forward convolution on Winograd or the narrow direct loop (flipped_conv).
// METARUN_CONV=im2col (read once) keeps every convolution on im2col + GEMM,
// for timing one against the other or ruling the faster paths out when
// debugging. _FusedConv2D (float32) is Conv2D plus
// a bias and activation applied to each output block while it is in cache,
// with the same float operations in the same order as the separate BiasAdd
// (or AddV2) and activation kernels, so a graph rewritten to it gives the
// same bits.
#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "kernels/util/activations.h"
#include "kernels/util/blas.h"
#include "kernels/util/conv_fast.h"
#include "kernels/util/eigen_exp.h"
#include "framework/registry.h"
#include "kernels/util/window.h"

namespace metarun {
namespace {

// Fills in the output size from the input size, filter window and attrs.
Status solve_geometry(const Window2D& win, ConvGeom* g) {
  WindowDim rows, cols;
  MR_RETURN_IF_ERROR(window_dim(g->h, g->kh, win.dilation[0], win.stride[0], win.padding, win.explicit_pad[0], &rows));
  MR_RETURN_IF_ERROR(window_dim(g->w, g->kw, win.dilation[1], win.stride[1], win.padding, win.explicit_pad[1], &cols));
  g->oh = rows.out;
  g->ow = cols.out;
  g->pad_t = rows.pad_before;
  g->pad_l = cols.pad_before;
  g->sh = win.stride[0];
  g->sw = win.stride[1];
  g->dh = win.dilation[0];
  g->dw = win.dilation[1];
  return Status();
}

// Copies the receptive fields of output pixels [first, last) into rows of
// `cols` ([last-first, KH*KW*C]); padding reads as zero.
template <class A>
void im2col(const A* in, const ConvGeom& g, int64_t first, int64_t last, A* cols) {
  const int64_t row_len = g.kw * g.c;
  for (int64_t p = first; p < last; ++p, cols += g.patch()) {
    const int64_t b = p / (g.oh * g.ow), y = (p / g.ow) % g.oh, x = p % g.ow;
    const A* image = in + b * g.h * g.w * g.c;
    for (int64_t i = 0; i < g.kh; ++i) {
      A* dst = cols + i * row_len;
      const int64_t iy = y * g.sh - g.pad_t + i * g.dh;
      if (iy < 0 || iy >= g.h) {
        std::fill(dst, dst + row_len, A(0));
        continue;
      }
      for (int64_t j = 0; j < g.kw; ++j, dst += g.c) {
        const int64_t ix = x * g.sw - g.pad_l + j * g.dw;
        if (ix < 0 || ix >= g.w) std::fill(dst, dst + g.c, A(0));
        else std::copy_n(image + (iy * g.w + ix) * g.c, g.c, dst);
      }
    }
  }
}

// Adds rows of `cols` back onto the input pixels they were gathered from
// (the transpose of im2col), for output pixels [first, last).
template <class A>
void col2im(const A* cols, const ConvGeom& g, int64_t first, int64_t last, A* in) {
  for (int64_t p = first; p < last; ++p, cols += g.patch()) {
    const int64_t b = p / (g.oh * g.ow), y = (p / g.ow) % g.oh, x = p % g.ow;
    A* image = in + b * g.h * g.w * g.c;
    for (int64_t i = 0; i < g.kh; ++i) {
      const int64_t iy = y * g.sh - g.pad_t + i * g.dh;
      if (iy < 0 || iy >= g.h) continue;
      for (int64_t j = 0; j < g.kw; ++j) {
        const int64_t ix = x * g.sw - g.pad_l + j * g.dw;
        if (ix < 0 || ix >= g.w) continue;
        const A* src = cols + (i * g.kw + j) * g.c;
        A* dst = image + (iy * g.w + ix) * g.c;
        for (int64_t k = 0; k < g.c; ++k) dst[k] += src[k];
      }
    }
  }
}

// Output pixels per im2col block: about 256 KB of patches, so a block stays
// in L2 while its GEMM runs.
int64_t block_pixels(const ConvGeom& g) {
  return std::max<int64_t>(8, (64 * 1024) / std::max<int64_t>(1, g.patch()));
}

bool fast_conv_paths() {
  static const bool on = [] {
    const char* v = std::getenv("METARUN_CONV");
    return !(v && std::strcmp(v, "im2col") == 0);
  }();
  return on;
}

// `epilogue` is only ever given for float.
template <class A>
void conv_forward(OpContext& ctx, const ConvGeom& g, const A* in, const A* filter, A* out,
                  WinogradFilterCache* cache, const ConvEpilogue* epilogue) {
  if constexpr (std::is_same_v<A, float>) {
    if (fast_conv_paths() && direct_conv_suits(g)) return direct_conv(ctx.pool(), g, in, filter, out, epilogue);
    if (fast_conv_paths() && winograd_suits(g)) {
      auto u = cache->get(filter, g.c, g.o);
      return winograd_conv(ctx.pool(), g, in, u->data(), out, epilogue);
    }
  }
  auto finish = [&](A* rows, int64_t pixels) {
    if constexpr (std::is_same_v<A, float>) {
      if (epilogue) epilogue->rows(rows, pixels);
    }
  };
  const int64_t pixels = g.out_pixels();
  GemmArgs ga;
  ga.k = g.patch();
  ga.n = g.o;
  ga.lda = ga.k;
  ga.ldb = g.o;
  ga.ldc = g.o;
  const bool pointwise = g.kh == 1 && g.kw == 1 && g.sh == 1 && g.sw == 1 && g.pad_t == 0 && g.pad_l == 0;
  if (pointwise) {  // a 1x1 convolution is one GEMM on the input itself
    ga.m = pixels;
    parallel_gemm(ctx.pool(), ga, in, filter, out);
    if (epilogue)
      ctx.parallel_for(pixels, 2.0 * g.o, [&](int64_t lo, int64_t hi) { finish(out + lo * g.o, hi - lo); });
    return;
  }
  const int64_t block = block_pixels(g);
  const int64_t blocks = (pixels + block - 1) / block;
  const double cost = 0.05 * 2.0 * static_cast<double>(block * ga.k * ga.n);
  ctx.parallel_for(blocks, cost, [&](int64_t lo, int64_t hi) {
    std::vector<A> cols(block * ga.k);
    for (int64_t bi = lo; bi < hi; ++bi) {
      const int64_t first = bi * block, last = std::min(pixels, first + block);
      im2col(in, g, first, last, cols.data());
      GemmArgs gb = ga;
      gb.m = last - first;
      gemm(gb, cols.data(), filter, out + first * g.o);
      finish(out + first * g.o, last - first);
    }
  });
}

// The filter as Acc, converted only when T is a 16-bit float.
template <class T, class A>
const A* filter_view(const Tensor& f, std::vector<A>* buf) {
  if constexpr (std::is_same_v<T, A>) {
    return f.data<T>();
  } else {
    buf->resize(f.num_elements());
    const T* src = f.data<T>();
    for (size_t i = 0; i < buf->size(); ++i) (*buf)[i] = static_cast<A>(src[i]);
    return buf->data();
  }
}

Status check_rank4(const Tensor& t, const char* what) {
  MR_REQUIRE(t.rank() == 4, what, " must be 4-dimensional", shape_str(t.shape()));
  return Status();
}

enum class ConvKind { kConv, kDepthwise };

template <class T>
class ConvKernel : public OpKernel {
  using A = GemmType<T>;

 public:
  ConvKernel(KernelInit& init, ConvKind kind) : kind_(kind) {
    read_window_attrs(init, init.op().c_str(), true, &win_);
    if (kind != ConvKind::kDepthwise || !init.status().ok()) return;
    // TF's CPU depthwise kernel has these limits; graphs never hit them in TF.
    if (win_.stride[0] != win_.stride[1])
      init.fail(invalid_argument("Current implementation only supports equal length strides in the row and "
                                 "column dimensions."));
    else if (win_.dilation[0] != 1 || win_.dilation[1] != 1)
      init.fail(unimplemented(str_cat("Current kernel implementation does not support dilations, received [1 ",
                                      win_.dilation[0], " ", win_.dilation[1], " 1]")));
  }

  Status compute(OpContext& ctx) override { return run(ctx, nullptr); }

 protected:
  // The convolution, `make_epilogue` (float only) called with the output
  // channel count once the shapes are checked.
  using EpilogueMaker = std::function<Status(int64_t channels, ConvEpilogue* epilogue)>;
  Status run(OpContext& ctx, const EpilogueMaker* make_epilogue) {
    const Tensor& input = ctx.input(0);
    const Tensor& filter = ctx.input(1);
    MR_RETURN_IF_ERROR(check_rank4(input, "input"));
    MR_RETURN_IF_ERROR(check_rank4(filter, "filter"));
    ConvGeom g;
    g.n = input.dim(0);
    g.h = input.dim(win_.nchw ? 2 : 1);
    g.w = input.dim(win_.nchw ? 3 : 2);
    g.c = input.dim(win_.nchw ? 1 : 3);
    g.kh = filter.dim(0);
    g.kw = filter.dim(1);
    if (kind_ == ConvKind::kConv) {
      MR_REQUIRE(filter.dim(2) > 0, "filter depth must be stricly positive, got ", filter.dim(2));
      MR_REQUIRE(g.c % filter.dim(2) == 0, "input depth must be evenly divisible by filter depth: ", g.c,
                 " vs ", filter.dim(2));
      MR_REQUIRE(g.c == filter.dim(2), "Generic conv implementation does not support grouped convolutions for now.");
      g.o = filter.dim(3);
    } else {
      MR_REQUIRE(g.c == filter.dim(2), "input and filter must have the same depth: ", g.c, " vs ", filter.dim(2));
      g.o = filter.dim(2) * filter.dim(3);
    }
    MR_RETURN_IF_ERROR(solve_geometry(win_, &g));
    Shape out_shape = win_.nchw ? Shape{g.n, g.o, g.oh, g.ow} : Shape{g.n, g.oh, g.ow, g.o};
    ConvEpilogue epilogue;
    if (make_epilogue) MR_RETURN_IF_ERROR((*make_epilogue)(g.o, &epilogue));
    Tensor& out = ctx.allocate_output(0, out_shape);
    if (out.num_elements() == 0) return Status();
    std::vector<A> in_buf, f_buf, out_buf;
    const A* in = nhwc_view<T, A>(input, win_.nchw, &in_buf);
    const A* f = filter_view<T, A>(filter, &f_buf);
    A* o = nhwc_target<T, A>(out, win_.nchw, &out_buf);
    if (kind_ == ConvKind::kConv) conv_forward(ctx, g, in, f, o, &winograd_, make_epilogue ? &epilogue : nullptr);
    else depthwise(ctx, g, filter.dim(3), in, f, o);
    finish_nhwc<T>(out_buf, win_.nchw, out);
    return Status();
  }

 private:
  // out[.., c*M + m] = sum over the window of in[.., c] * f[i, j, c, m]; a
  // direct loop, since each output channel sees one input channel.
  static void depthwise(OpContext& ctx, const ConvGeom& g, int64_t mult, const A* in, const A* f, A* out) {
    const double cost = static_cast<double>(g.ow * g.kh * g.kw * g.o);
    ctx.parallel_for(g.n * g.oh, cost, [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const int64_t b = r / g.oh, y = r % g.oh;
        for (int64_t x = 0; x < g.ow; ++x) {
          A* acc = out + ((b * g.oh + y) * g.ow + x) * g.o;
          std::fill(acc, acc + g.o, A(0));
          for (int64_t i = 0; i < g.kh; ++i) {
            const int64_t iy = y * g.sh - g.pad_t + i * g.dh;
            if (iy < 0 || iy >= g.h) continue;
            for (int64_t j = 0; j < g.kw; ++j) {
              const int64_t ix = x * g.sw - g.pad_l + j * g.dw;
              if (ix < 0 || ix >= g.w) continue;
              const A* px = in + ((b * g.h + iy) * g.w + ix) * g.c;
              const A* fp = f + (i * g.kw + j) * g.o;
              if (mult == 1) {
                for (int64_t k = 0; k < g.c; ++k) acc[k] += px[k] * fp[k];
              } else {
                for (int64_t k = 0; k < g.c; ++k)
                  for (int64_t m = 0; m < mult; ++m) acc[k * mult + m] += px[k] * fp[k * mult + m];
              }
            }
          }
        }
      }
    });
  }

  ConvKind kind_;
  Window2D win_;
  WinogradFilterCache winograd_;
};

enum class FusedActivation { kNone, kRelu, kRelu6, kElu, kLeakyRelu, kTanh, kSigmoid };

// row[k] = fn(row[k] + bias[k]) for each pixel's row, in blocks of 16 on
// restrict pointers: GCC's -O2 vectorizer skips loops that need a runtime
// epilogue, and the selects become branch-free blends (as in nn_ops.cpp).
template <class F>
void add_bias_map(float* out, int64_t pixels, const float* __restrict bias, int64_t channels, const F& fn) {
  constexpr int64_t kBlock = 16;
  for (int64_t p = 0; p < pixels; ++p) {
    float* __restrict row = out + p * channels;
    int64_t k = 0;
    for (; k + kBlock <= channels; k += kBlock)
      for (int64_t j = 0; j < kBlock; ++j) row[k + j] = fn(row[k + j] + bias[k + j]);
    for (; k < channels; ++k) row[k] = fn(row[k] + bias[k]);
  }
}

// out[p, k] + bias[k], then the activation: each the float expression of
// the kernel it replaces (AddV2/BiasAdd, Relu, Relu6, Elu, LeakyRelu; Tanh
// and Sigmoid through the same array functions).
void bias_activation(float* out, int64_t pixels, const float* bias, int64_t channels, FusedActivation act,
                     float alpha) {
  switch (act) {
    case FusedActivation::kNone:
    case FusedActivation::kTanh:
    case FusedActivation::kSigmoid:
      add_bias_map(out, pixels, bias, channels, [](float v) { return v; });
      break;
    case FusedActivation::kRelu:
      add_bias_map(out, pixels, bias, channels, [](float v) { return v < 0.0f ? 0.0f : v; });
      break;
    case FusedActivation::kRelu6:
      add_bias_map(out, pixels, bias, channels, [](float v) {
        v = v < 0.0f ? 0.0f : v;
        return v > 6.0f ? 6.0f : v;
      });
      break;
    case FusedActivation::kElu:
      add_bias_map(out, pixels, bias, channels, [](float v) { return v < 0.0f ? eigen_exp(v) - 1.0f : v; });
      break;
    case FusedActivation::kLeakyRelu:
      add_bias_map(out, pixels, bias, channels, [alpha](float v) { return v > 0.0f ? v : v * alpha; });
      break;
  }
  if (act == FusedActivation::kTanh) tanh_n(out, out, pixels * channels);
  if (act == FusedActivation::kSigmoid) sigmoid_n(out, out, pixels * channels);
}

// _FusedConv2D, the op TF's graph optimizer makes of Conv2D -> BiasAdd ->
// activation: inputs (input, filter, args..., host_args...). Float32 only;
// the FusedBatchNorm variants are not implemented.
class FusedConvKernel : public ConvKernel<float> {
 public:
  explicit FusedConvKernel(KernelInit& init) : ConvKernel<float>(init, ConvKind::kConv) {
    if (!init.status().ok()) return;
    Status s = parse_fusion(init);
    if (!s.ok()) init.fail(s);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& bias = ctx.input(2);
    const FusedActivation act = act_;
    const float alpha = alpha_;
    EpilogueMaker make = [&](int64_t channels, ConvEpilogue* epilogue) -> Status {
      MR_REQUIRE(bias.rank() == 1, "bias must be 1-dimensional", shape_str(bias.shape()));
      MR_REQUIRE(bias.dim(0) == channels, "Must provide as many biases as the last dimension of the input "
                 "tensor: ", shape_str(bias.shape()), " vs. ", channels);
      const float* b = bias.data<float>();
      epilogue->rows = [=](float* out, int64_t pixels) { bias_activation(out, pixels, b, channels, act, alpha); };
      if (act == FusedActivation::kNone || act == FusedActivation::kRelu || act == FusedActivation::kRelu6) {
        epilogue->bias = b;
        epilogue->act = act == FusedActivation::kRelu    ? ConvAct::kRelu
                        : act == FusedActivation::kRelu6 ? ConvAct::kRelu6
                                                         : ConvAct::kNone;
      }
      return Status();
    };
    return run(ctx, &make);
  }

 private:
  // TF's checks of the fusion attrs, in its order.
  Status parse_fusion(KernelInit& init) {
    std::vector<std::string> ops;
    int num_args = 0, num_host_args = 0;
    init.get("fused_ops", &ops);
    init.get("num_args", &num_args);
    if (init.has_attr("num_host_args")) init.get("num_host_args", &num_host_args);
    if (!init.status().ok()) return Status();
    MR_REQUIRE(!ops.empty(), "Fused Conv2D must have at least one fused op.");
    MR_REQUIRE(init.num_inputs() == 2 + num_args + num_host_args,
               "Fused Conv2D must have the number of inputs equal to 2 + num_args + num_host_args but in fact "
               "the number of inputs is ", init.num_inputs(), " and num_args is ", num_args,
               " and num_host_args is ", num_host_args);
    static const std::pair<const char*, FusedActivation> kPatterns[] = {
        {"", FusedActivation::kNone}, {"Relu", FusedActivation::kRelu}, {"Relu6", FusedActivation::kRelu6},
        {"Elu", FusedActivation::kElu}, {"LeakyRelu", FusedActivation::kLeakyRelu},
        {"Tanh", FusedActivation::kTanh}, {"Sigmoid", FusedActivation::kSigmoid}};
    bool known = false;
    for (const auto& [name, act] : kPatterns) {
      std::vector<std::string> pattern{"BiasAdd"};
      if (*name) pattern.push_back(name);
      if (ops == pattern) {
        known = true;
        act_ = act;
      }
    }
    if (!known) {
      std::string joined;
      for (size_t i = 0; i < ops.size(); ++i) joined += (i ? "," : "") + ops[i];
      return unimplemented(str_cat("Fusion is not implemented: [", joined, "]"));
    }
    MR_REQUIRE(num_args == 1,
               "Fused Conv2D with BiasAdd must have one extra argument: bias or 4 extra arguments: bias, "
               "side_input, conv_input_scale and side_input_scale");
    MR_REQUIRE(init.input_type(2) == DType::kFloat, "Fused Conv2D bias must be float32");
    if (act_ == FusedActivation::kLeakyRelu && init.has_attr("leakyrelu_alpha")) init.get("leakyrelu_alpha", &alpha_);
    return Status();
  }

  FusedActivation act_ = FusedActivation::kNone;
  float alpha_ = 0.2f;
};

// The gradient of Conv2D with respect to its input, which inference graphs
// use as a transposed convolution: dy . filter^T, scattered back by col2im,
// or for float32 at stride 1 a forward convolution (flipped_conv).
template <class T>
class ConvBackpropInputKernel : public OpKernel {
  using A = GemmType<T>;

 public:
  explicit ConvBackpropInputKernel(KernelInit& init) {
    read_window_attrs(init, "Conv2DBackpropInput", true, &win_);
    // TF's default CPU build takes dilations here through oneDNN, which it uses
    // for float and bfloat16 only; its own kernel for the other types refuses them.
    constexpr bool dilates = std::is_same_v<T, float> || std::is_same_v<T, BFloat16>;
    if (!dilates && init.status().ok() && (win_.dilation[0] != 1 || win_.dilation[1] != 1))
      init.fail(invalid_argument("Current CPU implementations do not yet support dilation rates larger than 1."));
  }

  Status compute(OpContext& ctx) override {
    const Tensor& sizes = ctx.input(0);
    const Tensor& filter = ctx.input(1);
    const Tensor& dy = ctx.input(2);
    MR_REQUIRE(sizes.rank() == 1, "input_sizes must be 1-dimensional, got: ", shape_str(sizes.shape()));
    std::vector<int64_t> dims;
    MR_RETURN_IF_ERROR(tensor_to_vector(sizes, &dims, "input_sizes"));
    MR_RETURN_IF_ERROR(check_rank4(filter, "filter"));
    MR_RETURN_IF_ERROR(check_rank4(dy, "out_backprop"));
    const int hd = win_.nchw ? 2 : 1, cd = win_.nchw ? 1 : 3;
    if (dims.size() == 2) {  // spatial sizes only: batch and depth come from the other inputs
      dims = win_.nchw ? std::vector<int64_t>{dy.dim(0), filter.dim(2), dims[0], dims[1]}
                       : std::vector<int64_t>{dy.dim(0), dims[0], dims[1], filter.dim(2)};
    }
    MR_REQUIRE(dims.size() == 4, "input_sizes must be 4-dimensional, got: ", dims.size());
    for (int64_t d : dims) MR_REQUIRE(d >= 0, "input_sizes must be nonnegative, got ", shape_str(dims));
    ConvGeom g;
    g.n = dims[0];
    g.h = dims[hd];
    g.w = dims[hd + 1];
    g.c = dims[cd];
    g.kh = filter.dim(0);
    g.kw = filter.dim(1);
    g.o = filter.dim(3);
    MR_REQUIRE(g.c == filter.dim(2), "Conv2DBackpropInput: input depth must be equal to filter depth: ",
               g.c, " vs ", filter.dim(2));
    MR_REQUIRE(dy.dim(0) == g.n, "Conv2DBackpropInput: input and out_backprop must have the same batch size, "
               "input batch: ", g.n, "outbackprop batch: ", dy.dim(0), " batch_dim: 0");
    MR_REQUIRE(dy.dim(cd) == g.o, "Conv2DBackpropInput: filter and out_backprop must have the same out_depth: ",
               g.o, " vs ", dy.dim(cd));
    MR_RETURN_IF_ERROR(solve_geometry(win_, &g));
    const int64_t want[2] = {g.oh, g.ow};
    for (int d = 0; d < 2; ++d)
      MR_REQUIRE(dy.dim(hd + d) == want[d], "Conv2DBackpropInput: Size of out_backprop doesn't match computed: ",
                 "actual = ", dy.dim(hd + d), ", computed = ", want[d], " spatial_dim: ", hd + d,
                 " input: ", dims[hd + d], " filter: ", filter.dim(d), " output: ", dy.dim(hd + d),
                 " stride: ", win_.stride[d], " dilation: ", win_.dilation[d]);
    Tensor& out = ctx.allocate_output(0, dims);
    if (out.num_elements() == 0) return Status();
    std::vector<A> dy_buf, f_buf, out_buf;
    const A* grad = nhwc_view<T, A>(dy, win_.nchw, &dy_buf);
    const A* f = filter_view<T, A>(filter, &f_buf);
    A* o = nhwc_target<T, A>(out, win_.nchw, &out_buf);
    bool done = false;
    if constexpr (std::is_same_v<A, float>) done = fast_conv_paths() && flipped_conv(ctx, g, grad, f, o);
    if (!done) backprop(ctx, g, grad, f, o);
    finish_nhwc<T>(out_buf, win_.nchw, out);
    return Status();
  }

 private:
  // A stride-1 undilated input gradient is the forward convolution of dy
  // with the filter rotated 180 degrees and its in and out channels swapped,
  // padded by k-1-pad (padding up to k-1, the usual case). Winograd (its own
  // cached transform of the flipped filter) or the narrow direct loop take
  // it when they suit the shape, with no GEMM into patches and no col2im.
  // Rounding: Winograd's as in the forward conv; the narrow loop sums each
  // output in 16 partial sums instead of the GEMM's order.
  bool flipped_conv(OpContext& ctx, const ConvGeom& g, const float* dy, const float* f, float* out) {
    if (g.sh != 1 || g.sw != 1 || g.dh != 1 || g.dw != 1) return false;
    ConvGeom t;
    t.n = g.n;
    t.h = g.oh;
    t.w = g.ow;
    t.c = g.o;
    t.kh = g.kh;
    t.kw = g.kw;
    t.o = g.c;
    t.oh = g.h;
    t.ow = g.w;
    t.pad_t = g.kh - 1 - g.pad_t;
    t.pad_l = g.kw - 1 - g.pad_l;
    if (t.pad_t < 0 || t.pad_l < 0) return false;
    const bool winograd = winograd_suits(t);
    if (!winograd && !narrow_conv_suits(t)) return false;
    // Winograd takes the flipped filter as HWIO [i, j, o, c]; the narrow
    // loop as [c, i, j, o].
    std::vector<float> flipped(g.kh * g.kw * g.c * g.o);
    for (int64_t i = 0; i < g.kh; ++i)
      for (int64_t j = 0; j < g.kw; ++j) {
        const float* src = f + ((g.kh - 1 - i) * g.kw + (g.kw - 1 - j)) * g.c * g.o;
        for (int64_t c = 0; c < g.c; ++c)
          for (int64_t o = 0; o < g.o; ++o)
            flipped[winograd ? ((i * g.kw + j) * g.o + o) * g.c + c : ((c * g.kh + i) * g.kw + j) * g.o + o] =
                src[c * g.o + o];
      }
    if (!winograd) {
      narrow_conv(ctx.pool(), t, dy, flipped.data(), out);
      return true;
    }
    auto u = winograd_.get(flipped.data(), t.c, t.o);
    winograd_conv(ctx.pool(), t, dy, u->data(), out, nullptr);
    return true;
  }

  // Images are independent (their col2im scatters never overlap), so the
  // pool splits over the batch; within an image, blocks run in order.
  static void backprop(OpContext& ctx, const ConvGeom& g, const A* dy, const A* f, A* out) {
    const int64_t per_image = g.oh * g.ow;
    const int64_t block = std::min(per_image, block_pixels(g));
    GemmArgs ga;
    ga.trans_b = true;
    ga.k = g.o;
    ga.n = g.patch();
    ga.lda = g.o;
    ga.ldb = g.o;
    ga.ldc = g.patch();
    std::fill(out, out + g.n * g.h * g.w * g.c, A(0));
    if (per_image == 0 || block == 0) return;
    const double cost = 0.1 * static_cast<double>(per_image * ga.k * ga.n);
    // One image runs inline on the caller, so its GEMMs may use the pool.
    ThreadPool* inner = g.n == 1 ? ctx.pool() : nullptr;
    ctx.parallel_for(g.n, cost, [&](int64_t lo, int64_t hi) {
      std::vector<A> cols(block * ga.n);
      for (int64_t b = lo; b < hi; ++b)
        for (int64_t first = b * per_image; first < (b + 1) * per_image; first += block) {
          const int64_t last = std::min((b + 1) * per_image, first + block);
          GemmArgs gb = ga;
          gb.m = last - first;
          parallel_gemm(inner, gb, dy + first * g.o, f, cols.data());
          col2im(cols.data(), g, first, last, out);
        }
    });
  }

  Window2D win_;
  WinogradFilterCache winograd_;
};

template <ConvKind K>
auto conv = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<ConvKernel<decltype(tag)>>(init, K);
};
auto fused_conv = [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<FusedConvKernel>(init);
};
auto conv_backprop_input = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<ConvBackpropInputKernel<decltype(tag)>>(init);
};

using ConvTypes = TypeList<float, double, Half, BFloat16, int32_t>;

}  // namespace

void register_conv_ops(Registry& r) {
  r.add<ConvTypes>("Conv2D", conv<ConvKind::kConv>);
  r.add<FloatTypes>("DepthwiseConv2dNative", conv<ConvKind::kDepthwise>);
  r.add<TypeList<float>>("_FusedConv2D", fused_conv);
  r.add<ConvTypes>("Conv2DBackpropInput", conv_backprop_input);
}

}  // namespace metarun
