// Image ops other than resizing and codecs: AdjustContrast (the deprecated
// clamping form) and AdjustContrastv2, AdjustHue, AdjustSaturation, RGBToHSV,
// HSVToRGB, DrawBoundingBoxes(V2), ExtractImagePatches and
// ExtractVolumePatches, as TF's CPU kernels compute them.
//
// The arithmetic follows TF's expressions operation by operation, so results
// match bit for bit: AdjustContrastv2 sums each image by folding it in halves
// (TF's vectorised reduction), AdjustHue works on a hue in [0, 6) between the
// smallest and largest component, AdjustSaturation adds its 2/6 and 4/6 hue
// offsets in double, and the 16-bit float colour-space conversions round
// every operation to T, as Eigen's half and bfloat16 do.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "framework/registry.h"
#include "kernels/util/window.h"

namespace metarun {
namespace {

// ---- contrast --------------------------------------------------------------

Status contrast_geometry(const Tensor& in, int64_t* batch, int64_t* image, int64_t* channels) {
  MR_REQUIRE(in.rank() >= 3, "input must be at least 3-D, got shape", shape_str(in.shape()));
  const int64_t h = in.dim(in.rank() - 3), w = in.dim(in.rank() - 2);
  *channels = in.dim(in.rank() - 1);
  *image = h * w;
  *batch = in.num_elements() == 0 ? 0 : in.num_elements() / (h * w * *channels);
  return Status();
}

Status scalar_arg(const Tensor& t, const char* what) {
  MR_REQUIRE(t.rank() == 0, what, " must be scalar: ", shape_str(t.shape()));
  return Status();
}

template <class T>
class AdjustContrastKernel : public OpKernel {
 public:
  explicit AdjustContrastKernel(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    int64_t batch, image, channels;
    MR_RETURN_IF_ERROR(contrast_geometry(in, &batch, &image, &channels));
    const int64_t h = in.dim(in.rank() - 3), w = in.dim(in.rank() - 2);
    MR_RETURN_IF_ERROR(scalar_arg(ctx.input(1), "contrast_factor"));
    MR_RETURN_IF_ERROR(scalar_arg(ctx.input(2), "min_value"));
    MR_RETURN_IF_ERROR(scalar_arg(ctx.input(3), "max_value"));
    const float factor = ctx.input(1).scalar_value<float>();
    const float lo = ctx.input(2).scalar_value<float>(), hi = ctx.input(3).scalar_value<float>();
    Tensor& out = ctx.allocate_output(0, in.shape());
    const T* x = in.data<T>();
    float* y = out.data<float>();
    const float count = static_cast<float>(image);
    std::vector<float> mean(channels);
    for (int64_t b = 0; b < batch; ++b) {
      const T* xb = x + b * image * channels;
      std::fill(mean.begin(), mean.end(), 0.0f);
      // Eigen's reduction walks the width outermost, the height inside it.
      for (int64_t col = 0; col < w; ++col)
        for (int64_t row = 0; row < h; ++row)
          for (int64_t c = 0; c < channels; ++c) mean[c] += static_cast<float>(xb[(row * w + col) * channels + c]);
      for (float& m : mean) m /= count;
      float* yb = y + b * image * channels;
      for (int64_t p = 0; p < image; ++p)
        for (int64_t c = 0; c < channels; ++c) {
          const float v = (static_cast<float>(xb[p * channels + c]) - mean[c]) * factor + mean[c];
          yb[p * channels + c] = std::max(std::min(v, hi), lo);
        }
    }
    return Status();
  }
};

// TF's CPU kernels for AdjustContrastv2, AdjustHue and AdjustSaturation take float only.
template <class T>
class AdjustContrastV2Kernel : public OpKernel {
 public:
  explicit AdjustContrastV2Kernel(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    int64_t batch, image, channels;
    MR_RETURN_IF_ERROR(contrast_geometry(in, &batch, &image, &channels));
    MR_RETURN_IF_ERROR(scalar_arg(ctx.input(1), "contrast_factor"));
    const float factor = ctx.input(1).scalar_value<float>();
    Tensor& out = ctx.allocate_output(0, in.shape());
    if (in.num_elements() == 0) return Status();
    const float* x = in.data<float>();
    float* y = out.data<float>();
    const int64_t plane = image * channels;
    std::vector<float> sum(plane);
    for (int64_t b = 0; b < batch; ++b) {
      const float* xb = x + b * plane;
      // TF's fold: the second half added onto the first until one pixel is left.
      int64_t remaining = image;
      bool first = true;
      do {
        const int64_t right = remaining / 2, left = remaining - right;
        if (first) {
          for (int64_t i = 0; i < right * channels; ++i) sum[i] = xb[left * channels + i] + xb[i];
          if (left > right)
            for (int64_t i = 0; i < channels; ++i) sum[right * channels + i] = xb[right * channels + i];
        } else {
          for (int64_t i = 0; i < right * channels; ++i) sum[i] += sum[left * channels + i];
        }
        remaining = left;
        first = false;
      } while (remaining > 1);
      const float scale = 1.0f / static_cast<float>(image);
      float* yb = y + b * plane;
      for (int64_t p = 0; p < image; ++p)
        for (int64_t c = 0; c < channels; ++c) {
          float m = sum[c] * scale;
          yb[p * channels + c] = m + factor * (xb[p * channels + c] - m);
        }
    }
    return Status();
  }
};

// ---- hue, saturation ---------------------------------------------------------

Status rgb_pixels(const Tensor& in, const Tensor& arg, const char* arg_name, int64_t* pixels) {
  MR_REQUIRE(in.rank() >= 3, "input must be at least 3-D, got shape", shape_str(in.shape()));
  MR_REQUIRE(arg.rank() == 0, arg_name, " must be scalar: ", shape_str(arg.shape()));
  const int64_t channels = in.dim(in.rank() - 1);
  MR_REQUIRE(channels == 3, "input must have 3 channels but instead has ", channels, " channels.");
  *pixels = in.num_elements() / 3;
  return Status();
}

// Hue in [0, 6) between the smallest and largest component; which component is
// in the middle decides the sextant.
void rgb_to_hue_range(float r, float g, float b, float* h, float* vmin, float* vmax) {
  float mid;
  int sextant;
  if (r < g) {
    if (b < r) *vmax = g, mid = r, *vmin = b, sextant = 1;
    else if (b > g) *vmax = b, mid = g, *vmin = r, sextant = 3;
    else *vmax = g, mid = b, *vmin = r, sextant = 2;
  } else {
    if (b < g) *vmax = r, mid = g, *vmin = b, sextant = 0;
    else if (b > r) *vmax = b, mid = r, *vmin = g, sextant = 4;
    else *vmax = r, mid = b, *vmin = g, sextant = 5;
  }
  if (*vmax == *vmin) {
    *h = 0;
    return;
  }
  const float ratio = (mid - *vmin) / (*vmax - *vmin);
  *h = sextant + ((sextant & 1) == 0 ? ratio : (1 - ratio));
}

void hue_range_to_rgb(float h, float vmin, float vmax, float* rgb) {
  const int sextant = static_cast<int>(h);
  float ratio = h - sextant;
  if (sextant & 1) ratio = 1 - ratio;
  const float mid = vmin + ratio * (vmax - vmin);
  static const int kOrder[6][3] = {{2, 1, 0}, {1, 2, 0}, {0, 2, 1}, {0, 1, 2}, {1, 0, 2}, {2, 0, 1}};
  const float level[3] = {vmin, mid, vmax};
  const int* o = kOrder[(sextant >= 0 && sextant < 6) ? sextant : 5];
  for (int k = 0; k < 3; ++k) rgb[k] = level[o[k]];
}

template <class T>
class AdjustHueKernel : public OpKernel {
 public:
  explicit AdjustHueKernel(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    int64_t n;
    MR_RETURN_IF_ERROR(rgb_pixels(in, ctx.input(1), "delta", &n));
    const float delta = ctx.input(1).scalar_value<float>();
    Tensor& out = ctx.allocate_output(0, in.shape());
    const float* x = in.data<float>();
    float* y = out.data<float>();
    ctx.parallel_for(n, 50, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        float h, vmin, vmax;
        rgb_to_hue_range(x[3 * i], x[3 * i + 1], x[3 * i + 2], &h, &vmin, &vmax);
        h += delta * 6;
        // Bounded: TF's loops spin forever on a NaN or infinite hue and for ages on a huge one.
        if (!std::isfinite(h)) h = 0;
        if (std::fabs(h) > 1e6f) h = std::fmod(h, 6.0f);
        while (h < 0) h += 6;
        while (h >= 6) h -= 6;
        hue_range_to_rgb(h, vmin, vmax, y + 3 * i);
      }
    });
    return Status();
  }
};

void rgb_to_hsv_f(float r, float g, float b, float* h, float* s, float* v) {
  const float vv = std::max(r, std::max(g, b));
  const float range = vv - std::min(r, std::min(g, b));
  *s = vv > 0 ? range / vv : 0;
  const float norm = 1.0f / (6.0f * range);
  float hh;
  if (r == vv) hh = norm * (g - b);
  else if (g == vv) hh = static_cast<float>(norm * (b - r) + 2.0 / 6.0);
  else hh = static_cast<float>(norm * (r - g) + 4.0 / 6.0);
  if (range <= 0.0) hh = 0;
  if (hh < 0.0) hh = hh + 1;
  *v = vv;
  *h = hh;
}

void hsv_to_rgb_f(float h, float s, float v, float* rgb) {
  const float c = s * v;
  const float m = v - c;
  const float dh = h * 6;
  // Out of int's range (NaN included) no sextant matches, as on TF's x86 build.
  const int sextant = std::fabs(dh) < 1e9f ? static_cast<int>(dh) : -1;
  float f = dh;
  if (!std::isfinite(f)) f = 1;  // bounded where TF's loops would not end
  if (std::fabs(f) > 1e6f) f = std::fmod(f, 2.0f);
  while (f <= 0) f += 2.0f;
  while (f >= 2.0f) f -= 2.0f;
  const float x = c * (1 - std::abs(f - 1));
  float rr = 0, gg = 0, bb = 0;
  switch (sextant) {
    case 0: rr = c, gg = x; break;
    case 1: rr = x, gg = c; break;
    case 2: gg = c, bb = x; break;
    case 3: gg = x, bb = c; break;
    case 4: rr = x, bb = c; break;
    case 5: rr = c, bb = x; break;
    default: break;
  }
  rgb[0] = rr + m;
  rgb[1] = gg + m;
  rgb[2] = bb + m;
}

template <class T>
class AdjustSaturationKernel : public OpKernel {
 public:
  explicit AdjustSaturationKernel(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    int64_t n;
    MR_RETURN_IF_ERROR(rgb_pixels(in, ctx.input(1), "scale", &n));
    const float scale = ctx.input(1).scalar_value<float>();
    Tensor& out = ctx.allocate_output(0, in.shape());
    const float* x = in.data<float>();
    float* y = out.data<float>();
    ctx.parallel_for(n, 50, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        float h, s, v;
        rgb_to_hsv_f(x[3 * i], x[3 * i + 1], x[3 * i + 2], &h, &s, &v);
        s = std::min(1.0f, std::max(0.0f, s * scale));
        hsv_to_rgb_f(h, s, v, y + 3 * i);
      }
    });
    return Status();
  }
};

// ---- RGBToHSV / HSVToRGB -----------------------------------------------------

// Every operation rounded to T (a no-op for float and double).
template <class T>
struct Ops {
  static T add(T a, T b) { return T(static_cast<float>(a) + static_cast<float>(b)); }
  static T sub(T a, T b) { return T(static_cast<float>(a) - static_cast<float>(b)); }
  static T mul(T a, T b) { return T(static_cast<float>(a) * static_cast<float>(b)); }
  static T div(T a, T b) { return T(static_cast<float>(a) / static_cast<float>(b)); }
};
template <>
struct Ops<float> {
  static float add(float a, float b) { return a + b; }
  static float sub(float a, float b) { return a - b; }
  static float mul(float a, float b) { return a * b; }
  static float div(float a, float b) { return a / b; }
};
template <>
struct Ops<double> {
  static double add(double a, double b) { return a + b; }
  static double sub(double a, double b) { return a - b; }
  static double mul(double a, double b) { return a * b; }
  static double div(double a, double b) { return a / b; }
};

template <class T>
T max_t(T a, T b) {
  return static_cast<double>(a) < static_cast<double>(b) ? b : a;
}
template <class T>
T min_t(T a, T b) {
  return static_cast<double>(b) < static_cast<double>(a) ? b : a;
}
template <class T>
T abs_t(T a) {
  return static_cast<double>(a) < 0 ? T(-static_cast<double>(a)) : a;
}
template <class T>
bool lt(T a, T b) {
  return static_cast<double>(a) < static_cast<double>(b);
}
template <class T>
bool eq(T a, T b) {
  return static_cast<double>(a) == static_cast<double>(b);
}

Status hsv_geometry(const Tensor& in) {
  MR_REQUIRE(in.rank() >= 1, "input must be at least 1D", shape_str(in.shape()));
  const int64_t channels = in.dim(in.rank() - 1);
  if (channels != 3)
    return failed_precondition(str_cat("input must have 3 channels but input only has ", channels, " channels."));
  return Status();
}

template <class T>
class RgbToHsvKernel : public OpKernel {
 public:
  explicit RgbToHsvKernel(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    using O = Ops<T>;
    const Tensor& in = ctx.input(0);
    MR_RETURN_IF_ERROR(hsv_geometry(in));
    Tensor& out = ctx.allocate_output(0, in.shape());
    const T* x = in.data<T>();
    T* y = out.data<T>();
    const T zero = T(0), one = T(1);
    const T sixth = O::div(T(1), T(6)), two_sixths = O::div(T(2), T(6)), four_sixths = O::div(T(4), T(6));
    const int64_t n = in.num_elements() / 3;
    for (int64_t i = 0; i < n; ++i) {
      const T r = x[3 * i], g = x[3 * i + 1], b = x[3 * i + 2];
      const T v = max_t(max_t(r, g), b);
      const T range = O::sub(v, min_t(min_t(r, g), b));
      const T s = lt(zero, v) ? O::div(range, v) : zero;
      const T norm = O::mul(O::div(one, range), sixth);
      T h;
      if (eq(r, v)) h = O::mul(norm, O::sub(g, b));
      else if (eq(g, v)) h = O::add(O::mul(norm, O::sub(b, r)), two_sixths);
      else h = O::add(O::mul(norm, O::sub(r, g)), four_sixths);
      if (!lt(zero, range)) h = zero;
      if (lt(h, zero)) h = O::add(h, one);
      y[3 * i] = h;
      y[3 * i + 1] = s;
      y[3 * i + 2] = v;
    }
    return Status();
  }
};

template <class T>
class HsvToRgbKernel : public OpKernel {
 public:
  explicit HsvToRgbKernel(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    using O = Ops<T>;
    const Tensor& in = ctx.input(0);
    MR_RETURN_IF_ERROR(hsv_geometry(in));
    Tensor& out = ctx.allocate_output(0, in.shape());
    const T* x = in.data<T>();
    T* y = out.data<T>();
    const T zero = T(0), one = T(1), two = T(2);
    auto clamp01 = [&](T t) { return min_t(max_t(t, zero), one); };
    const int64_t n = in.num_elements() / 3;
    for (int64_t i = 0; i < n; ++i) {
      const T h = x[3 * i], s = x[3 * i + 1], v = x[3 * i + 2];
      const T dh = O::mul(h, T(6));
      const T dr = clamp01(O::sub(abs_t(O::sub(dh, T(3))), one));
      const T dg = clamp01(O::add(T(-static_cast<double>(abs_t(O::sub(dh, two)))), two));
      const T db = clamp01(O::add(T(-static_cast<double>(abs_t(O::sub(dh, T(4))))), two));
      const T one_s = O::add(T(-static_cast<double>(s)), one);
      y[3 * i] = O::mul(O::add(one_s, O::mul(s, dr)), v);
      y[3 * i + 1] = O::mul(O::add(one_s, O::mul(s, dg)), v);
      y[3 * i + 2] = O::mul(O::add(one_s, O::mul(s, db)), v);
    }
    return Status();
  }
};

// ---- DrawBoundingBoxes ---------------------------------------------------------

std::vector<std::vector<float>> default_colors(int64_t depth) {
  std::vector<std::vector<float>> t = {{1, 1, 0, 1},   {0, 0, 1, 1}, {1, 0, 0, 1},   {0, 1, 0, 1},
                                       {0.5, 0, 0.5, 1}, {0.5, 0.5, 0, 1}, {0.5, 0, 0, 1}, {0, 0, 0.5, 1},
                                       {0, 1, 1, 1},   {1, 0, 1, 1}};
  if (depth == 1)
    for (auto& c : t) c[0] = 1;
  return t;
}

// float * (n - 1) truncated to int64, as TF converts; out-of-range values
// (TF's undefined behaviour) saturate.
int64_t scaled_index(float f, int64_t n) {
  const float v = f * static_cast<float>(n - 1);
  if (std::isnan(v)) return 0;
  if (v >= 9.2e18f) return INT64_MAX;
  if (v <= -9.2e18f) return INT64_MIN;
  return static_cast<int64_t>(v);
}

template <class T>
class DrawBoxesKernel : public OpKernel {
 public:
  explicit DrawBoxesKernel(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    const Tensor& images = ctx.input(0);
    const Tensor& boxes = ctx.input(1);
    MR_REQUIRE(images.rank() == 4, "The rank of the images should be 4");
    MR_REQUIRE(boxes.rank() == 3, "The rank of the boxes tensor should be 3");
    MR_REQUIRE(images.dim(0) == boxes.dim(0), "The batch sizes should be the same");
    const int64_t depth = images.dim(3);
    MR_REQUIRE(depth == 4 || depth == 1 || depth == 3, "Channel depth should be either 1 (GRY), 3 (RGB), or 4 (RGBA)");
    MR_REQUIRE(boxes.dim(2) == 4, "The size of the third dimension of the box must be 4. Received: ", boxes.dim(2));
    const int64_t batch = images.dim(0), height = images.dim(1), width = images.dim(2);
    std::vector<std::vector<float>> colors;
    if (ctx.num_inputs() == 3) {
      const Tensor& ct = ctx.input(2);
      MR_REQUIRE(ct.rank() == 2, "colors must be a 2-D matrix", shape_str(ct.shape()));
      MR_REQUIRE(ct.dim(1) >= depth, "colors must have equal or more channels than the image provided: ",
                 shape_str(ct.shape()));
      const float* cp = ct.data<float>();
      if (ct.num_elements() != 0)
        for (int64_t i = 0; i < ct.dim(0); ++i) colors.emplace_back(cp + i * ct.dim(1), cp + i * ct.dim(1) + depth);
    }
    if (colors.empty()) colors = default_colors(depth);
    Tensor& out = ctx.allocate_output(0, images.shape());
    out.copy_from(images);
    T* canvas = out.data<T>();
    const float* bx = boxes.data<float>();
    const int64_t num_boxes = boxes.dim(1);
    auto paint = [&](int64_t b, int64_t row, int64_t col, const std::vector<float>& color) {
      T* px = canvas + ((b * height + row) * width + col) * depth;
      for (int64_t c = 0; c < depth; ++c) px[c] = T(color[c]);
    };
    for (int64_t b = 0; b < batch; ++b) {
      for (int64_t k = 0; k < num_boxes; ++k) {
        const float* box = bx + (b * num_boxes + k) * 4;
        const auto& color = colors[k % colors.size()];
        const int64_t top = scaled_index(box[0], height), bottom = scaled_index(box[2], height);
        const int64_t left = scaled_index(box[1], width), right = scaled_index(box[3], width);
        if (top > bottom || left > right) continue;  // inverted: TF warns and skips it
        if (top >= height || bottom < 0 || left >= width || right < 0) continue;  // outside
        const int64_t top_c = std::max<int64_t>(top, 0), bottom_c = std::min(bottom, height - 1);
        const int64_t left_c = std::max<int64_t>(left, 0), right_c = std::min(right, width - 1);
        if (top >= 0)
          for (int64_t j = left_c; j <= right_c; ++j) paint(b, top, j, color);
        if (bottom < height)
          for (int64_t j = left_c; j <= right_c; ++j) paint(b, bottom, j, color);
        if (left >= 0)
          for (int64_t i = top_c; i <= bottom_c; ++i) paint(b, i, left, color);
        if (right < width)
          for (int64_t i = top_c; i <= bottom_c; ++i) paint(b, i, right, color);
      }
    }
    return Status();
  }
};

// ---- ExtractImagePatches / ExtractVolumePatches ----------------------------

// `attr` must be [1, s..., 1] with every spatial entry >= 1.
Status patch_attr(KernelInit& init, const char* name, size_t rank, std::vector<int64_t>* v) {
  init.get(name, v);
  if (!init.status().ok()) return init.status();
  if (v->size() != rank)
    return invalid_argument(str_cat(name, " must have ", rank, " elements, got ", v->size()));
  if ((*v)[0] != 1 || (*v)[rank - 1] != 1) return unimplemented(str_cat("Only support ", name, " across space."));
  for (size_t i = 1; i + 1 < rank; ++i)
    if ((*v)[i] < 1) return out_of_range(str_cat(name, " is out of range."));
  return Status();
}

// Patches of a [batch, spatial..., depth] input: output [batch, out..., prod(k) * depth],
// each patch laid out [k0][k1]...[depth], zeros where it overhangs the input.
template <class T, int kDims>
class ExtractPatchesKernel : public OpKernel {
 public:
  explicit ExtractPatchesKernel(KernelInit& init) {
    const size_t rank = kDims + 2;
    Status s = patch_attr(init, "ksizes", rank, &ksizes_);
    if (s.ok()) s = patch_attr(init, "strides", rank, &strides_);
    if (s.ok() && kDims == 2) s = patch_attr(init, "rates", rank, &rates_);
    if (kDims == 3) rates_.assign(rank, 1);
    if (s.ok()) {
      std::string p;
      init.get("padding", &p);
      if (p == "SAME") padding_ = Padding::kSame;
      else if (p == "VALID") padding_ = Padding::kValid;
      else s = invalid_argument(str_cat("Invalid padding: ", p));
    }
    if (!s.ok()) init.fail(s);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    MR_REQUIRE(in.rank() == kDims + 2, "input must be ", kDims + 2, "-dimensional", shape_str(in.shape()));
    const int64_t batch = in.dim(0), depth = in.dim(kDims + 1);
    int64_t in_size[kDims], out_size[kDims], pad[kDims], k[kDims], st[kDims], rate[kDims];
    int64_t kprod = 1;
    std::vector<int64_t> dims = {batch};
    for (int d = 0; d < kDims; ++d) {
      in_size[d] = in.dim(d + 1);
      k[d] = ksizes_[d + 1];
      st[d] = strides_[d + 1];
      rate[d] = rates_[d + 1];
      const int64_t no_pad[2] = {0, 0};
      WindowDim w;
      MR_RETURN_IF_ERROR(window_dim(in_size[d], k[d], rate[d], st[d], padding_, no_pad, &w));
      out_size[d] = w.out;
      pad[d] = w.pad_before;
      // Eigen's volume patches take SAME's leading padding unclamped: negative (a
      // shift into the input) when the strides skip more than the window covers.
      if (kDims == 3 && padding_ == Padding::kSame) pad[d] = ((w.out - 1) * st[d] + k[d] - in_size[d]) / 2;
      kprod *= k[d];
      dims.push_back(w.out);
    }
    dims.push_back(kprod * depth);
    Tensor& out = ctx.allocate_output(0, Shape(dims));
    const int64_t total = out.num_elements();
    if (total == 0) return Status();
    const T* x = in.data<T>();
    T* y = out.data<T>();
    int64_t positions = 1;
    for (int d = 0; d < kDims; ++d) positions *= out_size[d];
    ctx.parallel_for(batch * positions, static_cast<double>(kprod * depth), [&](int64_t lo, int64_t hi) {
      for (int64_t pos = lo; pos < hi; ++pos) {
        int64_t o[kDims];
        int64_t rest = pos % positions;
        const int64_t b = pos / positions;
        for (int d = kDims - 1; d >= 0; --d) o[d] = rest % out_size[d], rest /= out_size[d];
        T* dst = y + pos * kprod * depth;
        for (int64_t kk = 0; kk < kprod; ++kk) {
          int64_t ki[kDims];
          int64_t r = kk;
          for (int d = kDims - 1; d >= 0; --d) ki[d] = r % k[d], r /= k[d];
          bool inside = true;
          int64_t src = b;
          for (int d = 0; d < kDims; ++d) {
            const int64_t at = o[d] * st[d] - pad[d] + ki[d] * rate[d];
            if (at < 0 || at >= in_size[d]) inside = false;
            src = src * in_size[d] + at;
          }
          T* cell = dst + kk * depth;
          if (inside) std::copy(x + src * depth, x + src * depth + depth, cell);
          else std::fill(cell, cell + depth, T(0));
        }
      }
    });
    return Status();
  }

 private:
  std::vector<int64_t> ksizes_, strides_, rates_;
  Padding padding_ = Padding::kValid;
};

template <template <class> class K>
auto typed = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<K<decltype(tag)>>(init);
};

template <int kDims>
auto patches = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<ExtractPatchesKernel<decltype(tag), kDims>>(init);
};

using ContrastTypes = TypeList<uint8_t, int8_t, int16_t, int32_t, float, double>;
using HsvTypes = TypeList<float, double, Half, BFloat16>;
using DrawTypes = TypeList<float, Half>;

}  // namespace

void register_image_ops(Registry& r) {
  r.add<ContrastTypes>("AdjustContrast", typed<AdjustContrastKernel>);
  r.add<TypeList<float>>("AdjustContrastv2", typed<AdjustContrastV2Kernel>);
  r.add<TypeList<float>>("AdjustHue", typed<AdjustHueKernel>);
  r.add<TypeList<float>>("AdjustSaturation", typed<AdjustSaturationKernel>);
  r.add<HsvTypes>("RGBToHSV", typed<RgbToHsvKernel>);
  r.add<HsvTypes>("HSVToRGB", typed<HsvToRgbKernel>);
  r.add<DrawTypes>("DrawBoundingBoxes", typed<DrawBoxesKernel>);
  r.add<DrawTypes>("DrawBoundingBoxesV2", typed<DrawBoxesKernel>);
  r.add<NumberTypes>("ExtractImagePatches", patches<2>);
  r.add<RealTypes>("ExtractVolumePatches", patches<3>);
}

}  // namespace metarun
