// ExtractGlimpse and ExtractGlimpseV2 as TF's CPU kernel computes them:
// float images (NHWC), one window per image, offsets given as (y, x).
//
// The window's corner is the offset truncated toward zero after TF's
// un-normalising (times the side), un-centering (halved, plus half the
// side) and, for version 1 always but for version 2 only when normalised
// and centered, minus half the window. A window reaching past the image
// is first filled with noise (zeros; uniform between the image's minimum
// and maximum; or gaussian with each channel's mean and deviation, clamped
// to its range) and the part over the image copied in. TF draws its noise
// from an unseeded generator, so only the zero fill is reproducible.
#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "framework/registry.h"

namespace metarun {
namespace {

enum class Noise { kUniform, kGaussian, kZero };

// One axis: where the window starts in the image (may be negative or past it).
int64_t corner(float v) {
  if (std::isnan(v)) return std::numeric_limits<int32_t>::max();  // outside any image
  constexpr float kFar = 4.0e18f;
  return static_cast<int64_t>(std::max(-kFar, std::min(kFar, v)));
}

class ExtractGlimpseKernel : public OpKernel {
 public:
  explicit ExtractGlimpseKernel(KernelInit& init) {
    version_ = init.op() == "ExtractGlimpse" ? 1 : 2;
    bool uniform = true;
    std::string noise = "uniform";
    if (init.has_attr("normalized")) init.get("normalized", &normalized_);
    if (init.has_attr("centered")) init.get("centered", &centered_);
    if (init.has_attr("uniform_noise")) init.get("uniform_noise", &uniform);
    if (init.has_attr("noise")) init.get("noise", &noise);
    if (uniform && !noise.empty() && noise != "uniform") {
      init.fail(invalid_argument("The uniform_noise and noise could not be specified at the same time"));
    } else if (noise.empty()) {
      noise_ = uniform ? Noise::kUniform : Noise::kGaussian;
    } else if (noise == "uniform" || noise == "gaussian" || noise == "zero") {
      noise_ = noise == "uniform" ? Noise::kUniform : noise == "gaussian" ? Noise::kGaussian : Noise::kZero;
    } else {
      init.fail(invalid_argument("The noise could only be uniform, gaussian, or zero, got" + noise));
    }
  }

  Status compute(OpContext& ctx) override {
    const Tensor& input = ctx.input(0);
    MR_REQUIRE(input.rank() == 4, "input must be 4-dimensional (batch_size, height, width, depth)",
               shape_str(input.shape()));
    const Tensor& size = ctx.input(1);
    MR_REQUIRE(size.rank() == 1 && size.dim(0) == 2, "input must be a vector of size 2 (height, width)",
               shape_str(size.shape()));
    const int64_t n = input.dim(0), ih = input.dim(1), iw = input.dim(2), c = input.dim(3);
    const int64_t oh = size.data<int32_t>()[0], ow = size.data<int32_t>()[1];
    MR_REQUIRE(oh >= 0 && ow >= 0, "Expected a non-negative size, got ", oh < 0 ? oh : ow);
    const Tensor& offsets = ctx.input(2);
    MR_REQUIRE(offsets.rank() == 2, "input must be a matrix", shape_str(offsets.shape()));
    MR_REQUIRE(offsets.dim(0) == n, "first dimension should be batch", shape_str(offsets.shape()));
    MR_REQUIRE(offsets.dim(1) == 2, "second dimension should be of size 2 (y,x)", shape_str(offsets.shape()));
    Tensor& out = ctx.allocate_output(0, Shape{n, oh, ow, c});
    if (out.num_elements() == 0) return Status();
    const float* in = input.data<float>();
    const float* off = offsets.data<float>();
    float* o = out.data<float>();
    for (int64_t b = 0; b < n; ++b) {
      const float* img = in + b * ih * iw * c;
      float* dst = o + b * oh * ow * c;
      const int64_t y0 = corner(origin(off[b * 2], ih, oh)), x0 = corner(origin(off[b * 2 + 1], iw, ow));
      const bool partial = y0 < 0 || y0 + oh >= ih || x0 < 0 || x0 + ow >= iw;
      if (partial) fill_noise(img, ih * iw, c, dst, oh * ow);
      for (int64_t y = std::max<int64_t>(0, -y0); y < oh && y0 + y < ih; ++y)
        for (int64_t x = std::max<int64_t>(0, -x0); x < ow && x0 + x < iw; ++x)
          std::copy_n(img + ((y0 + y) * iw + x0 + x) * c, c, dst + (y * ow + x) * c);
    }
    return Status();
  }

 private:
  // The window's first row (or column) in the image, before truncation.
  float origin(float v, int64_t side, int64_t window) const {
    const float s = static_cast<float>(side), w = static_cast<float>(window);
    if (normalized_) v *= s;
    if (centered_ && (version_ == 1 || normalized_)) {
      v /= 2.0f;
      v += s / 2.0f;
    } else if (centered_) {
      v += s / 2.0f;
    }
    if (version_ == 1 || (normalized_ && centered_)) v -= w / 2.0f;
    return v;
  }

  void fill_noise(const float* img, int64_t pixels, int64_t c, float* dst, int64_t count) const {
    if (noise_ == Noise::kZero || pixels == 0) {
      std::fill(dst, dst + count * c, 0.0f);
      return;
    }
    std::mt19937 gen(std::random_device{}());
    if (noise_ == Noise::kUniform) {
      const auto [lo, hi] = std::minmax_element(img, img + pixels * c);
      std::uniform_real_distribution<float> u(0.0f, 1.0f);
      for (int64_t i = 0; i < count * c; ++i) dst[i] = *lo + u(gen) * (*hi - *lo);
      return;
    }
    std::normal_distribution<float> normal(0.0f, 1.0f);
    for (int64_t ch = 0; ch < c; ++ch) {
      double sum = 0, sq = 0;
      float lo = img[ch], hi = img[ch];
      for (int64_t p = 0; p < pixels; ++p) sum += img[p * c + ch], lo = std::min(lo, img[p * c + ch]),
                                             hi = std::max(hi, img[p * c + ch]);
      const double mean = sum / static_cast<double>(pixels);
      for (int64_t p = 0; p < pixels; ++p) sq += (img[p * c + ch] - mean) * (img[p * c + ch] - mean);
      const float sigma = static_cast<float>(std::sqrt(sq / static_cast<double>(pixels)));
      for (int64_t i = 0; i < count; ++i)
        dst[i * c + ch] = std::max(lo, std::min(hi, static_cast<float>(mean) + normal(gen) * sigma));
    }
  }

  bool normalized_ = true;
  bool centered_ = true;
  Noise noise_ = Noise::kUniform;
  int version_ = 2;
};

}  // namespace

void register_image_glimpse_ops(Registry& r) {
  r.add("ExtractGlimpse", make_kernel<ExtractGlimpseKernel>);
  r.add("ExtractGlimpseV2", make_kernel<ExtractGlimpseKernel>);
}

}  // namespace metarun
