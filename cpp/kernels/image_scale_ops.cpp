// ScaleAndTranslate and ScaleAndTranslateGrad as TF's CPU kernels compute
// them (NHWC, float results).
//
// Output pixel x samples the input at (x + 0.5) / scale - translation / scale
// through one of TF's sampling kernels (lanczos1/3/5, gaussian, box,
// triangle, keyscubic, mitchellcubic), its weights over the input pixels in
// reach normalised to sum to one; a sample outside the image gets no
// weights. With antialias a downscale widens the kernel by 1 / scale. Rows
// are resampled first, into a float image of output height and input width,
// then columns. The gradient transposes each axis's weights (input pixel ->
// the output pixels that read it) and runs the same two gathers.
//
// The float arithmetic follows TF's source (the gaussian's exponent is in
// double there, so here too).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "framework/registry.h"

namespace metarun {
namespace {

enum class Sampler { kLanczos1, kLanczos3, kLanczos5, kGaussian, kBox, kTriangle, kKeysCubic, kMitchellCubic };

bool parse_sampler(const std::string& s, Sampler* out) {
  static const std::pair<const char*, Sampler> kNames[] = {
      {"lanczos1", Sampler::kLanczos1}, {"lanczos3", Sampler::kLanczos3}, {"lanczos5", Sampler::kLanczos5},
      {"gaussian", Sampler::kGaussian}, {"box", Sampler::kBox}, {"triangle", Sampler::kTriangle},
      {"keyscubic", Sampler::kKeysCubic}, {"mitchellcubic", Sampler::kMitchellCubic}};
  for (const auto& [name, k] : kNames)
    if (s == name) return *out = k, true;
  return false;
}

float radius(Sampler k) {
  switch (k) {
    case Sampler::kLanczos1: return 1.0f;
    case Sampler::kLanczos3: return 3.0f;
    case Sampler::kLanczos5: return 5.0f;
    case Sampler::kGaussian: return 1.5f;
    case Sampler::kBox: case Sampler::kTriangle: return 1.0f;
    default: return 2.0f;
  }
}

float lanczos(float r, float x) {
  constexpr float kPi = 3.14159265359f;
  if (x > r) return 0.0f;
  if (static_cast<double>(x) <= 1e-3) return 1.0f;
  const float num = r * std::sin(kPi * x) * std::sin(kPi * x / r);
  return num / (kPi * kPi * x * x);
}

// The kernel at |x|.
float sample(Sampler k, float x) {
  switch (k) {
    case Sampler::kLanczos1: case Sampler::kLanczos3: case Sampler::kLanczos5: return lanczos(radius(k), x);
    case Sampler::kGaussian: {
      constexpr float kSigma = 1.5f / 3.0f;
      if (x >= 1.5f) return 0.0f;
      return static_cast<float>(std::exp(static_cast<double>(-x * x) / (2.0 * kSigma * kSigma)));
    }
    case Sampler::kBox: return x < 0.5f ? 1.0f : x == 0.5f ? 0.5f : 0.0f;
    case Sampler::kTriangle: return x < 1.0f ? 1.0f - x : 0.0f;
    case Sampler::kKeysCubic:
      if (x >= 2.0f) return 0.0f;
      if (x >= 1.0f) return ((-0.5f * x + 2.5f) * x - 4.0f) * x + 2.0f;
      return ((1.5f * x - 2.5f) * x) * x + 1.0f;
    case Sampler::kMitchellCubic:
      if (x >= 2.0f) return 0.0f;
      if (x >= 1.0f) return (((-7.0f / 18.0f) * x + 2.0f) * x - 10.0f / 3.0f) * x + 16.0f / 9.0f;
      return (((7.0f / 6.0f) * x - 2.0f) * x) * x + 8.0f / 9.0f;
  }
  return 0.0f;
}

// Per output index: the first input index read and `size` weights from there.
struct Spans {
  int64_t size = 0;
  std::vector<int64_t> starts;
  std::vector<float> weights;
};

int64_t clamp_to(int64_t lo, int64_t hi, int64_t v) { return hi < v ? hi : (v < lo ? lo : v); }

// A float index to int64, saturating far outside any image.
int64_t index_of(float v) {
  constexpr float kFar = 4.0e18f;
  return static_cast<int64_t>(std::max(-kFar, std::min(kFar, v)));
}

Status compute_spans(Sampler k, int64_t out_size, int64_t in_size, float scale, float translate, bool antialias,
                     Spans* spans) {
  const float inv_scale = static_cast<float>(1.0 / static_cast<double>(scale));
  const float inv_translate = -inv_scale * translate;
  const float kernel_scale = antialias ? std::max(inv_scale, 1.0f) : 1.0f;
  const float reach = radius(k) * kernel_scale;
  const double widest = 2.0 * std::ceil(static_cast<double>(reach)) + 1.0;
  spans->size = widest < static_cast<double>(in_size) ? static_cast<int64_t>(widest) : in_size;
  spans->starts.assign(out_size, 0);
  spans->weights.assign(spans->size * out_size, 0.0f);
  const float inv_kernel_scale = 1.0f / kernel_scale;
  std::vector<float> w;
  for (int64_t x = 0; x < out_size; ++x) {
    const float sample_f = (static_cast<float>(x) + 0.5f) * inv_scale + inv_translate;
    if (!(sample_f >= 0 && sample_f <= static_cast<float>(in_size))) continue;
    const int64_t start = clamp_to(0, in_size - 1, index_of(std::ceil(sample_f - reach - 0.5f)));
    const int64_t end = clamp_to(0, in_size - 1, index_of(std::floor(sample_f + reach - 0.5f))) + 1;
    if (end - start > spans->size)
      return internal_error(str_cat("Span is too large: ", end - start, " vs ", spans->size, "."));
    float total = 0.0f;
    w.clear();
    for (int64_t src = start; src < end; ++src) {
      const float pos = static_cast<float>(src) + 0.5f - sample_f;
      const float weight = sample(k, std::abs(pos * inv_kernel_scale));
      total += weight;
      w.push_back(weight);
    }
    if (std::abs(total) >= 1000.0f * std::numeric_limits<float>::min()) {
      const float inv_total = 1.0f / total;
      for (size_t j = 0; j < w.size(); ++j) spans->weights[x * spans->size + j] = w[j] * inv_total;
    }
    spans->starts[x] = start;
  }
  return Status();
}

// The forward spans transposed: per forward input index, the forward output
// indices that read it (first one and a run of weights, zeros between).
Spans transpose_spans(const Spans& fwd, int64_t fwd_out, int64_t fwd_in) {
  std::vector<std::vector<std::pair<int64_t, float>>> parts(fwd_in);
  for (int64_t o = 0; o < fwd_out; ++o)
    for (int64_t j = 0, i = fwd.starts[o]; j < fwd.size; ++j, ++i) {
      const float w = fwd.weights[o * fwd.size + j];
      if (w != 0.0f && i < fwd_in) parts[i].push_back({o, w});
    }
  Spans g;
  for (const auto& p : parts)  // output indices arrive in increasing order
    if (!p.empty()) g.size = std::max(g.size, p.back().first - p.front().first + 1);
  g.starts.assign(fwd_in, 0);
  g.weights.assign(g.size * fwd_in, 0.0f);
  for (int64_t i = 0; i < fwd_in; ++i) {
    if (parts[i].empty()) continue;
    g.starts[i] = parts[i].front().first;
    for (const auto& [o, w] : parts[i]) g.weights[i * g.size + o - g.starts[i]] += w;
  }
  return g;
}

// One image: rows (ih -> oh) into `mid` [oh, iw, c], then columns into `out`.
template <class T>
void gather(const Spans& rows, const Spans& cols, const T* img, int64_t ih, int64_t iw, int64_t c, int64_t oh,
            int64_t ow, float* mid, float* out) {
  const int64_t in_row = iw * c;
  for (int64_t y = 0; y < oh; ++y) {
    float* dst = mid + y * in_row;
    std::fill(dst, dst + in_row, 0.0f);
    const int64_t start = rows.starts[y];
    const int64_t n = std::min(start + rows.size, ih) - start;
    for (int64_t j = 0; j < n; ++j) {
      const float w = rows.weights[y * rows.size + j];
      const T* src = img + (start + j) * in_row;
      for (int64_t i = 0; i < in_row; ++i) dst[i] += w * static_cast<float>(src[i]);
    }
  }
  for (int64_t y = 0; y < oh; ++y)
    for (int64_t x = 0; x < ow; ++x) {
      float* dst = out + (y * ow + x) * c;
      std::fill(dst, dst + c, 0.0f);
      const int64_t start = cols.starts[x];
      const int64_t n = std::min(start + cols.size, iw) - start;
      const float* src = mid + (y * iw + start) * c;
      for (int64_t j = 0; j < n; ++j, src += c) {
        const float w = cols.weights[x * cols.size + j];
        for (int64_t ch = 0; ch < c; ++ch) dst[ch] += w * src[ch];
      }
    }
}

Status read_pair(const Tensor& t, float* a, float* b) {
  MR_REQUIRE(t.rank() == 1, "t must be 1-dimensional", shape_str(t.shape()));
  MR_REQUIRE(t.num_elements() == 2, "t must have two elements", shape_str(t.shape()));
  *a = t.data<float>()[0];
  *b = t.data<float>()[1];
  return Status();
}

struct ScaleAttrs {
  Sampler kernel = Sampler::kLanczos3;
  bool antialias = true;
};

void read_scale_attrs(KernelInit& init, ScaleAttrs* a) {
  std::string name = "lanczos3";
  if (init.has_attr("kernel_type")) init.get("kernel_type", &name);
  if (init.has_attr("antialias")) init.get("antialias", &a->antialias);
  if (!parse_sampler(name, &a->kernel)) init.fail(invalid_argument("Unrecognized kernel type: " + name));
}

// Scale and translation (inputs 2 and 3), as (row, col) pairs.
Status read_transform(const OpContext& ctx, float scale[2], float shift[2]) {
  MR_RETURN_IF_ERROR(read_pair(ctx.input(2), &scale[0], &scale[1]));
  MR_REQUIRE(scale[0] > 0 && scale[1] > 0, "Scale must be greater than zero.");
  return read_pair(ctx.input(3), &shift[0], &shift[1]);
}

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

template <class T>
class ScaleAndTranslateKernel : public OpKernel {
 public:
  explicit ScaleAndTranslateKernel(KernelInit& init) { read_scale_attrs(init, &attrs_); }

  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    MR_REQUIRE(in.rank() == 4, "input must be 4-dimensional", shape_str(in.shape()));
    const Tensor& size = ctx.input(1);
    MR_REQUIRE(size.rank() == 1, "output_shape_t must be 1-dimensional", shape_str(size.shape()));
    MR_REQUIRE(size.num_elements() == 2, "output_shape_t must have two elements", shape_str(size.shape()));
    const int64_t oh = size.data<int32_t>()[0], ow = size.data<int32_t>()[1];
    const int64_t n = in.dim(0), ih = in.dim(1), iw = in.dim(2), c = in.dim(3);
    MR_REQUIRE(ih < kInt32Max && iw < kInt32Max, "input sizes must be between 0 and max int32");
    MR_REQUIRE(oh > 0 && ow > 0, "output dimensions must be positive");
    MR_REQUIRE(c > 0, "image must have at least one channel");
    MR_REQUIRE(ih > 0 && iw > 0, "input image must be of non-zero size");
    float scale[2], shift[2];
    MR_RETURN_IF_ERROR(read_transform(ctx, scale, shift));
    Tensor& out = ctx.allocate_output(0, Shape{n, oh, ow, c});
    if (out.num_elements() == 0) return Status();
    Spans rows, cols;
    MR_RETURN_IF_ERROR(compute_spans(attrs_.kernel, ow, iw, scale[1], shift[1], attrs_.antialias, &cols));
    MR_RETURN_IF_ERROR(compute_spans(attrs_.kernel, oh, ih, scale[0], shift[0], attrs_.antialias, &rows));
    std::vector<float> mid(n * oh * iw * c);
    const T* img = in.data<T>();
    float* o = out.data<float>();
    const double cost = static_cast<double>(oh * iw * c * rows.size + oh * ow * c * cols.size) * 2;
    ctx.parallel_for(n, cost, [&](int64_t lo, int64_t hi) {
      for (int64_t b = lo; b < hi; ++b)
        gather(rows, cols, img + b * ih * iw * c, ih, iw, c, oh, ow, mid.data() + b * oh * iw * c,
               o + b * oh * ow * c);
    });
    return Status();
  }

 private:
  ScaleAttrs attrs_;
};

class ScaleAndTranslateGradKernel : public OpKernel {
 public:
  explicit ScaleAndTranslateGradKernel(KernelInit& init) { read_scale_attrs(init, &attrs_); }

  Status compute(OpContext& ctx) override {
    const Tensor& grads = ctx.input(0);
    const Tensor& orig = ctx.input(1);
    MR_REQUIRE(grads.rank() == 4, "input_grad must be 4-dimensional", shape_str(grads.shape()));
    MR_REQUIRE(grads.dtype() == DType::kFloat, "input_grad must be of type float", dtype_name(grads.dtype()));
    MR_REQUIRE(orig.rank() == 4, "original_image must be 4-dimensional", shape_str(orig.shape()));
    const int64_t n = grads.dim(0), gh = grads.dim(1), gw = grads.dim(2), c = grads.dim(3);
    const int64_t fh = orig.dim(1), fw = orig.dim(2);
    MR_REQUIRE(fh < kInt32Max && fw < kInt32Max, "original sizes must be between 0 and max int32");
    Tensor& out = ctx.allocate_output(0, Shape{n, fh, fw, c});
    float scale[2], shift[2];
    MR_RETURN_IF_ERROR(read_transform(ctx, scale, shift));
    float* o = out.data<float>();
    std::fill(o, o + out.num_elements(), 0.0f);
    if (out.num_elements() == 0) return Status();
    Spans fwd_rows, fwd_cols;
    MR_RETURN_IF_ERROR(compute_spans(attrs_.kernel, gw, fw, scale[1], shift[1], attrs_.antialias, &fwd_cols));
    MR_RETURN_IF_ERROR(compute_spans(attrs_.kernel, gh, fh, scale[0], shift[0], attrs_.antialias, &fwd_rows));
    const Spans cols = transpose_spans(fwd_cols, gw, fw), rows = transpose_spans(fwd_rows, gh, fh);
    std::vector<float> mid(n * fh * gw * c);
    const float* g = grads.data<float>();
    ctx.parallel_for(n, static_cast<double>(fh * gw * c * (rows.size + 1) * 2), [&](int64_t lo, int64_t hi) {
      for (int64_t b = lo; b < hi; ++b)
        gather(rows, cols, g + b * gh * gw * c, gh, gw, c, fh, fw, mid.data() + b * fh * gw * c,
               o + b * fh * fw * c);
    });
    return Status();
  }

 private:
  ScaleAttrs attrs_;
};

}  // namespace

void register_image_scale_ops(Registry& r) {
  using ScaleTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t>;
  r.add<ScaleTypes>("ScaleAndTranslate", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<ScaleAndTranslateKernel<decltype(tag)>>(init);
  });
  r.add<TypeList<float>>("ScaleAndTranslateGrad", [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<ScaleAndTranslateGradKernel>(init);
  });
}

}  // namespace metarun
