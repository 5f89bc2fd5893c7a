// CropAndResize with its two gradients, as TF's CPU kernels compute them
// (NHWC).
//
// CropAndResize samples box b at y1 * (h - 1) + y * (y2 - y1) * (h - 1) /
// (crop_h - 1) (the box centre for a one-pixel crop, in double as TF writes
// it); samples outside the image take extrapolation_value. Box indices
// outside the batch are OutOfRange, non-finite boxes InvalidArgument. The
// gradients walk boxes in order, so overlapping boxes add up in TF's serial
// order; a non-finite coordinate there adds nothing (TF indexes with it).
#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include "framework/registry.h"

namespace metarun {
namespace {

template <class T>
T add_t(T a, T b) {
  if constexpr (is_half_v<T>) return T(static_cast<float>(a) + static_cast<float>(b));
  else return a + b;
}

// -- CropAndResize ----------------------------------------------------------------

Status box_count(const Tensor& boxes, const Tensor& box_ind, int64_t* num) {
  *num = 0;
  if (boxes.num_elements() == 0 && box_ind.num_elements() == 0) return Status();
  MR_REQUIRE(boxes.rank() == 2, "boxes must be 2-D", shape_str(boxes.shape()));
  *num = boxes.dim(0);
  MR_REQUIRE(boxes.dim(1) == 4, "boxes must have 4 columns");
  MR_REQUIRE(box_ind.rank() == 1, "box_index must be 1-D", shape_str(box_ind.shape()));
  MR_REQUIRE(box_ind.dim(0) == *num, "box_index has incompatible shape");
  return Status();
}

Status check_box_ind(const Tensor& box_ind, int64_t num, int64_t batch) {
  const int32_t* bi = box_ind.data<int32_t>();
  for (int64_t b = 0; b < num; ++b)
    if (bi[b] < 0 || bi[b] >= batch) return out_of_range("box_index has values outside [0, batch_size)");
  return Status();
}

// Where crop row (or column) i of n samples an image side of `size` pixels.
// TF's box gradient rounds the step differently: (hi - lo) times a ratio
// (size - 1) / (n - 1) rounded first, so `ratio` is given there.
struct BoxAxis {
  float lo, hi;
  int64_t n, size;
  float scale;
  BoxAxis(float a, float b, int64_t count, int64_t side, const float* ratio = nullptr)
      : lo(a), hi(b), n(count), size(side) {
    if (n <= 1) scale = 0.0f;
    else if (ratio) scale = (hi - lo) * *ratio;
    else scale = (hi - lo) * static_cast<float>(size - 1) / static_cast<float>(n - 1);
  }
  float at(int64_t i) const {
    if (n > 1) return lo * static_cast<float>(size - 1) + static_cast<float>(i) * scale;
    return static_cast<float>(0.5 * static_cast<double>(lo + hi) * static_cast<double>(size - 1));
  }
  // TF's range test; also refuses NaN, which TF would go on to index with.
  bool inside(float v) const { return v >= 0 && v <= static_cast<float>(size - 1); }
};

Status read_method(KernelInit& init, bool bilinear_only, bool* nearest) {
  std::string m = "bilinear";
  if (init.has_attr("method")) init.get("method", &m);
  if (bilinear_only) {
    MR_REQUIRE(m == "bilinear", "method must be 'bilinear'", m);
  } else {
    MR_REQUIRE(m == "bilinear" || m == "nearest", "method must be 'bilinear' or 'nearest'", m);
  }
  *nearest = m == "nearest";
  return Status();
}

Status read_crop_size(const Tensor& t, int64_t* h, int64_t* w) {
  MR_REQUIRE(t.rank() == 1, "crop_size must be 1-D", shape_str(t.shape()));
  MR_REQUIRE(t.dim(0) == 2, "crop_size must have two elements", shape_str(t.shape()));
  *h = t.data<int32_t>()[0];
  *w = t.data<int32_t>()[1];
  MR_REQUIRE(*h > 0 && *w > 0, "crop dimensions must be positive");
  return Status();
}

template <class T>
class CropAndResizeKernel : public OpKernel {
 public:
  explicit CropAndResizeKernel(KernelInit& init) {
    if (init.has_attr("extrapolation_value")) init.get("extrapolation_value", &extrapolation_);
    Status s = read_method(init, false, &nearest_);
    if (!s.ok()) init.fail(s);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& image = ctx.input(0);
    const Tensor& boxes = ctx.input(1);
    const Tensor& box_ind = ctx.input(2);
    MR_REQUIRE(image.rank() == 4, "input image must be 4-D", shape_str(image.shape()));
    const int64_t batch = image.dim(0), ih = image.dim(1), iw = image.dim(2), depth = image.dim(3);
    MR_REQUIRE(ih > 0 && iw > 0, "image dimensions must be positive");
    MR_REQUIRE(boxes.rank() == 2, "boxes must be 2-D, got: ", shape_str(boxes.shape()));
    MR_REQUIRE(box_ind.rank() == 1, "box_indices must be rank 1 but is shape ", shape_str(box_ind.shape()));
    int64_t num = 0, ch = 0, cw = 0;
    MR_RETURN_IF_ERROR(box_count(boxes, box_ind, &num));
    MR_RETURN_IF_ERROR(read_crop_size(ctx.input(3), &ch, &cw));
    Tensor& out = ctx.allocate_output(0, Shape{num, ch, cw, depth});
    MR_RETURN_IF_ERROR(check_box_ind(box_ind, num, batch));
    const float* bx = boxes.data<float>();
    for (int64_t i = 0; i < num * 4; ++i)
      MR_REQUIRE(std::isfinite(bx[i]), "Boxes contains at least one element that is not finite");
    const T* img = image.data<T>();
    const int32_t* bi = box_ind.data<int32_t>();
    float* o = out.data<float>();
    ctx.parallel_for(num, static_cast<double>(ch * cw * depth * 10), [&](int64_t lo, int64_t hi) {
      for (int64_t b = lo; b < hi; ++b) crop_box(img + bi[b] * ih * iw * depth, bx + b * 4, ih, iw, depth, ch, cw,
                                                 o + b * ch * cw * depth);
    });
    return Status();
  }

 private:
  void crop_box(const T* img, const float* box, int64_t ih, int64_t iw, int64_t depth, int64_t ch, int64_t cw,
                float* o) const {
    const BoxAxis ys(box[0], box[2], ch, ih), xs(box[1], box[3], cw, iw);
    auto px = [&](int64_t y, int64_t x, int64_t d) { return static_cast<float>(img[(y * iw + x) * depth + d]); };
    for (int64_t y = 0; y < ch; ++y) {
      const float in_y = ys.at(y);
      float* row = o + y * cw * depth;
      if (!ys.inside(in_y)) {
        std::fill(row, row + cw * depth, extrapolation_);
        continue;
      }
      const int64_t top = static_cast<int64_t>(std::floor(in_y)), bottom = static_cast<int64_t>(std::ceil(in_y));
      const float y_lerp = in_y - static_cast<float>(top);
      for (int64_t x = 0; x < cw; ++x) {
        const float in_x = xs.at(x);
        float* dst = row + x * depth;
        if (!xs.inside(in_x)) {
          std::fill(dst, dst + depth, extrapolation_);
          continue;
        }
        if (nearest_) {
          const int64_t cy = static_cast<int64_t>(std::round(in_y)), cx = static_cast<int64_t>(std::round(in_x));
          for (int64_t d = 0; d < depth; ++d) dst[d] = px(cy, cx, d);
          continue;
        }
        const int64_t left = static_cast<int64_t>(std::floor(in_x)), right = static_cast<int64_t>(std::ceil(in_x));
        const float x_lerp = in_x - static_cast<float>(left);
        for (int64_t d = 0; d < depth; ++d) {
          const float tl = px(top, left, d), tr = px(top, right, d);
          const float bl = px(bottom, left, d), br = px(bottom, right, d);
          const float t = tl + (tr - tl) * x_lerp;
          const float bm = bl + (br - bl) * x_lerp;
          dst[d] = t + (bm - t) * y_lerp;
        }
      }
    }
  }

  float extrapolation_ = 0.0f;
  bool nearest_ = false;
};

template <class T>
class CropAndResizeGradImageKernel : public OpKernel {
 public:
  explicit CropAndResizeGradImageKernel(KernelInit& init) {
    Status s = read_method(init, false, &nearest_);
    if (!s.ok()) init.fail(s);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& grads = ctx.input(0);
    const Tensor& boxes = ctx.input(1);
    const Tensor& box_ind = ctx.input(2);
    const Tensor& size = ctx.input(3);
    MR_REQUIRE(grads.rank() == 4, "grads image must be 4-D", shape_str(grads.shape()));
    const int64_t ch = grads.dim(1), cw = grads.dim(2);
    MR_REQUIRE(ch > 0 && cw > 0, "grads dimensions must be positive");
    int64_t num = 0;
    MR_RETURN_IF_ERROR(box_count(boxes, box_ind, &num));
    MR_REQUIRE(grads.dim(0) == num, "boxes and grads have incompatible shape");
    MR_REQUIRE(size.rank() == 1, "image_size must be 1-D", shape_str(size.shape()));
    MR_REQUIRE(size.dim(0) == 4, "image_size must have 4 elements", shape_str(size.shape()));
    const int32_t* sz = size.data<int32_t>();
    const int64_t batch = sz[0], ih = sz[1], iw = sz[2], depth = sz[3];
    MR_REQUIRE(ih > 0 && iw > 0, "image dimensions must be positive");
    MR_REQUIRE(grads.dim(3) == depth, "image_size and grads are incompatible");
    MR_REQUIRE(batch >= 0, "Dimension ", batch, " must be >= 0");
    Tensor& out = ctx.allocate_output(0, Shape{batch, ih, iw, depth});
    MR_RETURN_IF_ERROR(check_box_ind(box_ind, num, batch));
    T* d = out.data<T>();
    std::fill(d, d + out.num_elements(), T(0));
    const float* g = grads.data<float>();
    const float* bx = boxes.data<float>();
    const int32_t* bi = box_ind.data<int32_t>();
    for (int64_t b = 0; b < num; ++b) {
      const BoxAxis ys(bx[b * 4], bx[b * 4 + 2], ch, ih), xs(bx[b * 4 + 1], bx[b * 4 + 3], cw, iw);
      T* img = d + bi[b] * ih * iw * depth;
      auto add = [&](int64_t y, int64_t x, int64_t k, float v) {
        T& at = img[(y * iw + x) * depth + k];
        at = add_t(at, static_cast<T>(v));
      };
      for (int64_t y = 0; y < ch; ++y) {
        const float in_y = ys.at(y);
        if (!ys.inside(in_y)) continue;
        const int64_t top = static_cast<int64_t>(std::floor(in_y)), bottom = static_cast<int64_t>(std::ceil(in_y));
        const float y_lerp = in_y - static_cast<float>(top);
        for (int64_t x = 0; x < cw; ++x) {
          const float in_x = xs.at(x);
          if (!xs.inside(in_x)) continue;
          const float* gv = g + ((b * ch + y) * cw + x) * depth;
          if (nearest_) {
            const int64_t cy = static_cast<int64_t>(std::round(in_y)), cx = static_cast<int64_t>(std::round(in_x));
            for (int64_t k = 0; k < depth; ++k) add(cy, cx, k, gv[k]);
            continue;
          }
          const int64_t left = static_cast<int64_t>(std::floor(in_x)), right = static_cast<int64_t>(std::ceil(in_x));
          const float x_lerp = in_x - static_cast<float>(left);
          for (int64_t k = 0; k < depth; ++k) {
            const float dtop = (1 - y_lerp) * gv[k];
            add(top, left, k, (1 - x_lerp) * dtop);
            add(top, right, k, x_lerp * dtop);
            const float dbottom = y_lerp * gv[k];
            add(bottom, left, k, (1 - x_lerp) * dbottom);
            add(bottom, right, k, x_lerp * dbottom);
          }
        }
      }
    }
    return Status();
  }

 private:
  bool nearest_ = false;
};

// d(crops)/d(boxes) through the bilinear samples. The one-pixel-crop terms
// are double in TF's source (a float times 0.5), rounded back on each add.
void add_box_grad(float* acc, float term) { *acc += term; }
void add_box_grad(float* acc, double term) { *acc = static_cast<float>(static_cast<double>(*acc) + term); }

template <class T>
class CropAndResizeGradBoxesKernel : public OpKernel {
 public:
  explicit CropAndResizeGradBoxesKernel(KernelInit& init) {
    bool nearest;
    Status s = read_method(init, true, &nearest);
    if (!s.ok()) init.fail(s);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& grads = ctx.input(0);
    const Tensor& image = ctx.input(1);
    const Tensor& boxes = ctx.input(2);
    const Tensor& box_ind = ctx.input(3);
    MR_REQUIRE(grads.rank() == 4, "grads image must be 4-D", shape_str(grads.shape()));
    const int64_t ch = grads.dim(1), cw = grads.dim(2), depth = grads.dim(3);
    MR_REQUIRE(ch > 0 && cw > 0, "grads dimensions must be positive");
    MR_REQUIRE(image.rank() == 4, "input image must be 4-D", shape_str(image.shape()));
    const int64_t batch = image.dim(0), ih = image.dim(1), iw = image.dim(2);
    MR_REQUIRE(ih > 0 && iw > 0, "image dimensions must be positive");
    MR_REQUIRE(image.dim(3) == depth, "image, grads depth differ");
    int64_t num = 0;
    MR_RETURN_IF_ERROR(box_count(boxes, box_ind, &num));
    MR_REQUIRE(grads.dim(0) == num, "boxes and grads have incompatible shape");
    Tensor& out = ctx.allocate_output(0, Shape{num, 4});
    MR_RETURN_IF_ERROR(check_box_ind(box_ind, num, batch));
    float* gb = out.data<float>();
    std::fill(gb, gb + num * 4, 0.0f);
    const float* g = grads.data<float>();
    const float* bx = boxes.data<float>();
    const int32_t* bi = box_ind.data<int32_t>();
    const T* imgs = image.data<T>();
    const float h_ratio = ch > 1 ? static_cast<float>(ih - 1) / static_cast<float>(ch - 1) : 0.0f;
    const float w_ratio = cw > 1 ? static_cast<float>(iw - 1) / static_cast<float>(cw - 1) : 0.0f;
    for (int64_t b = 0; b < num; ++b) {
      const float* box = bx + b * 4;
      const BoxAxis ys(box[0], box[2], ch, ih, &h_ratio), xs(box[1], box[3], cw, iw, &w_ratio);
      const T* img = imgs + bi[b] * ih * iw * depth;
      auto px = [&](int64_t y, int64_t x, int64_t k) { return static_cast<float>(img[(y * iw + x) * depth + k]); };
      float* out_b = gb + b * 4;
      for (int64_t y = 0; y < ch; ++y) {
        const float in_y = ys.at(y);
        if (!ys.inside(in_y)) continue;
        const int64_t top = static_cast<int64_t>(std::floor(in_y)), bottom = static_cast<int64_t>(std::ceil(in_y));
        const float y_lerp = in_y - static_cast<float>(top);
        for (int64_t x = 0; x < cw; ++x) {
          const float in_x = xs.at(x);
          if (!xs.inside(in_x)) continue;
          const int64_t left = static_cast<int64_t>(std::floor(in_x)), right = static_cast<int64_t>(std::ceil(in_x));
          const float x_lerp = in_x - static_cast<float>(left);
          for (int64_t k = 0; k < depth; ++k) {
            const float tl = px(top, left, k), tr = px(top, right, k);
            const float bl = px(bottom, left, k), br = px(bottom, right, k);
            const float top_grad = g[((b * ch + y) * cw + x) * depth + k];
            const float gy = ((1 - x_lerp) * (bl - tl) + x_lerp * (br - tr)) * top_grad;
            const float gx = ((1 - y_lerp) * (tr - tl) + y_lerp * (br - bl)) * top_grad;
            if (ch > 1) {
              const float yr = static_cast<float>(y) * h_ratio;
              add_box_grad(out_b + 0, gy * (static_cast<float>(ih - 1) - yr));
              add_box_grad(out_b + 2, gy * yr);
            } else {
              add_box_grad(out_b + 0, static_cast<double>(gy) * 0.5 * static_cast<double>(ih - 1));
              add_box_grad(out_b + 2, static_cast<double>(gy) * 0.5 * static_cast<double>(ih - 1));
            }
            if (cw > 1) {
              const float xr = static_cast<float>(x) * w_ratio;
              add_box_grad(out_b + 1, gx * (static_cast<float>(iw - 1) - xr));
              add_box_grad(out_b + 3, gx * xr);
            } else {
              add_box_grad(out_b + 1, static_cast<double>(gx) * 0.5 * static_cast<double>(iw - 1));
              add_box_grad(out_b + 3, static_cast<double>(gx) * 0.5 * static_cast<double>(iw - 1));
            }
          }
        }
      }
    }
    return Status();
  }
};

}  // namespace

void register_image_crop_ops(Registry& r) {
  using CropTypes = TypeList<float, double, Half, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t>;
  auto crop = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<CropAndResizeKernel<decltype(tag)>>(init);
  };
  auto grad_image = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<CropAndResizeGradImageKernel<decltype(tag)>>(init);
  };
  auto grad_boxes = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<CropAndResizeGradBoxesKernel<decltype(tag)>>(init);
  };
  r.add<CropTypes>("CropAndResize", crop);
  r.add<TypeList<float, double, Half>>("CropAndResizeGradImage", grad_image);
  r.add<CropTypes>("CropAndResizeGradBoxes", grad_boxes);
}

}  // namespace metarun
