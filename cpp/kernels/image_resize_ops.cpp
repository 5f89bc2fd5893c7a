// ResizeBilinear, ResizeNearestNeighbor, ResizeBicubic, ResizeArea and the
// gradients of the first three, as TF's CPU kernels compute them (NHWC).
//
// Every coordinate is float arithmetic in TF's order, never contracted to an
// FMA: the scale is in / out (or (in - 1) / (out - 1) with align_corners),
// the half-pixel mapping (x + 0.5) * scale - 0.5 (nearest neighbour keeps
// the 0.5 and floors). The resizers except nearest neighbour return float.
//
// Bicubic reads TF's 1025-entry coefficient table (Keys' a = -0.5 with
// half-pixel centers, renormalising weights that fall outside the image;
// a = -0.75 without, clamping indices instead). Area sums each row of a
// patch, scales it, and adds the rows, all in float, as TF does.
//
// Gradients accumulate in TF's order (batch, row, column, channel; the four
// or sixteen taps in order): each term rounds to T before it is added, and
// 16-bit bilinear gradients accumulate in float, cast once at the end.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <vector>

#include "framework/registry.h"

namespace metarun {
namespace {

template <class T>
T add_t(T a, T b) {
  if constexpr (std::is_integral_v<T>) {
    using U = std::make_unsigned_t<T>;
    return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
  } else if constexpr (is_half_v<T>) {
    return T(static_cast<float>(a) + static_cast<float>(b));
  } else {
    return a + b;
  }
}

// align_corners applies only when both sides have two pixels or more.
float resize_scale(int64_t in, int64_t out, bool align_corners) {
  return (align_corners && in > 1 && out > 1) ? static_cast<float>(in - 1) / static_cast<float>(out - 1)
                                    : static_cast<float>(in) / static_cast<float>(out);
}

// Source coordinate of output index x; the half-pixel form moves pixel
// centres to +0.5 and back.
inline float source_coord(int64_t x, float scale, bool half_pixel) {
  if (half_pixel) {
    const float shifted = static_cast<float>(x) + 0.5f;
    const float scaled = shifted * scale;
    return scaled - 0.5f;
  }
  return static_cast<float>(x) * scale;
}

struct Attrs {
  bool align_corners = false;
  bool half_pixel = false;
};

void read_attrs(KernelInit& init, Attrs* a) {
  if (init.has_attr("align_corners")) init.get("align_corners", &a->align_corners);
  if (init.has_attr("half_pixel_centers")) init.get("half_pixel_centers", &a->half_pixel);
}

Status check_centers(const Attrs& a) {
  MR_REQUIRE(!(a.half_pixel && a.align_corners), "If half_pixel_centers is True, align_corners must be False.");
  return Status();
}

Status read_size(const Tensor& t, const char* what, int64_t* h, int64_t* w) {
  MR_REQUIRE(t.rank() == 1, what, " must be 1-dimensional", shape_str(t.shape()));
  MR_REQUIRE(t.num_elements() == 2, what, " must have two elements", shape_str(t.shape()));
  MR_REQUIRE(t.dtype() == DType::kInt32, what, " must be int32, got ", dtype_name(t.dtype()));
  *h = t.data<int32_t>()[0];
  *w = t.data<int32_t>()[1];
  return Status();
}

constexpr int64_t kInt32Max = std::numeric_limits<int32_t>::max();

struct Geom {
  int64_t n = 0, ih = 0, iw = 0, c = 0, oh = 0, ow = 0;
  float hs = 0, ws = 0;
};

// TF's ImageResizerState: the forward resizers' checks and scales.
Status forward_geom(const OpContext& ctx, const Attrs& a, Geom* g) {
  MR_RETURN_IF_ERROR(check_centers(a));
  const Tensor& in = ctx.input(0);
  MR_REQUIRE(in.rank() == 4, "input must be 4-dimensional", shape_str(in.shape()));
  g->n = in.dim(0), g->ih = in.dim(1), g->iw = in.dim(2), g->c = in.dim(3);
  MR_REQUIRE(g->c > 0, "image must have at least one channel");
  MR_REQUIRE(g->ih > 0 && g->iw > 0, "input image must be of non-zero size");
  MR_REQUIRE(g->ih < kInt32Max && g->iw < kInt32Max, "input sizes must be between 0 and max int32");
  MR_RETURN_IF_ERROR(read_size(ctx.input(1), "shape_t", &g->oh, &g->ow));
  MR_REQUIRE(g->oh > 0 && g->ow > 0, "output dimensions must be positive");
  g->hs = resize_scale(g->ih, g->oh, a.align_corners);
  g->ws = resize_scale(g->iw, g->ow, a.align_corners);
  MR_REQUIRE(std::ceil(static_cast<float>(g->oh - 1) * g->hs) <=
                 static_cast<float>(std::numeric_limits<int64_t>::max()),
             "input image height scale would cause an overflow");
  MR_REQUIRE(std::ceil(static_cast<float>(g->ow - 1) * g->ws) <= static_cast<float>(kInt32Max),
             "input image width scale would cause an overflow");
  return Status();
}

// TF's ImageResizerGradientState: input 0 is the gradient of the resized
// image (oh, ow), input 1 the original image (ih, iw).
Status grad_geom(const OpContext& ctx, const Attrs& a, Geom* g) {
  MR_RETURN_IF_ERROR(check_centers(a));
  const Tensor& grads = ctx.input(0);
  MR_REQUIRE(grads.rank() == 4, "input_grad must be 4-dimensional", shape_str(grads.shape()));
  MR_REQUIRE(grads.dtype() == DType::kFloat, "input_grad must be of type float", dtype_name(grads.dtype()));
  g->n = grads.dim(0), g->c = grads.dim(3), g->oh = grads.dim(1), g->ow = grads.dim(2);
  MR_REQUIRE(g->oh > 0 && g->ow > 0, "resized dimensions must be positive");
  const Tensor& orig = ctx.input(1);
  MR_REQUIRE(orig.rank() == 4, "original_image must be 4-dimensional", shape_str(orig.shape()));
  g->ih = orig.dim(1), g->iw = orig.dim(2);
  MR_REQUIRE(g->ih > 0 && g->iw > 0, "original dimensions must be positive");
  MR_REQUIRE(g->ih < kInt32Max && g->iw < kInt32Max, "original sizes must be between 0 and max int32");
  g->hs = resize_scale(g->ih, g->oh, a.align_corners);
  g->ws = resize_scale(g->iw, g->ow, a.align_corners);
  return Status();
}

// -- bilinear -------------------------------------------------------------------

struct Lerp {
  int64_t lo, hi;
  float frac;
};

std::vector<Lerp> bilinear_taps(int64_t out, int64_t in, float scale, bool half_pixel) {
  std::vector<Lerp> taps(out);
  for (int64_t i = 0; i < out; ++i) {
    const float src = source_coord(i, scale, half_pixel);
    const float f = std::floor(src);
    taps[i] = {std::max<int64_t>(static_cast<int64_t>(f), 0),
               std::min<int64_t>(static_cast<int64_t>(std::ceil(src)), in - 1), src - f};
  }
  return taps;
}

inline float lerp2(float tl, float tr, float bl, float br, float xl, float yl) {
  const float top = tl + (tr - tl) * xl;
  const float bottom = bl + (br - bl) * xl;
  return top + (bottom - top) * yl;
}

template <class T>
class ResizeBilinearKernel : public OpKernel {
 public:
  explicit ResizeBilinearKernel(KernelInit& init) { read_attrs(init, &attrs_); }

  Status compute(OpContext& ctx) override {
    Geom g;
    MR_RETURN_IF_ERROR(forward_geom(ctx, attrs_, &g));
    Tensor& out = ctx.allocate_output(0, Shape{g.n, g.oh, g.ow, g.c});
    if (out.num_elements() == 0) return Status();
    const T* in = ctx.input(0).data<T>();
    float* o = out.data<float>();
    if (g.oh == g.ih && g.ow == g.iw) {  // TF's no-op resize: a plain cast
      for (int64_t i = 0; i < out.num_elements(); ++i) o[i] = static_cast<float>(in[i]);
      return Status();
    }
    const std::vector<Lerp> ys = bilinear_taps(g.oh, g.ih, g.hs, attrs_.half_pixel);
    const std::vector<Lerp> xs = bilinear_taps(g.ow, g.iw, g.ws, attrs_.half_pixel);
    const int64_t row = g.iw * g.c;
    ctx.parallel_for(g.n * g.oh, static_cast<double>(g.ow * g.c * 8), [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const int64_t b = r / g.oh;
        const Lerp& y = ys[r % g.oh];
        const T* top = in + (b * g.ih + y.lo) * row;
        const T* bottom = in + (b * g.ih + y.hi) * row;
        float* dst = o + r * g.ow * g.c;
        for (int64_t x = 0; x < g.ow; ++x) {
          const int64_t l = xs[x].lo * g.c, rr = xs[x].hi * g.c;
          for (int64_t ch = 0; ch < g.c; ++ch)
            dst[x * g.c + ch] = lerp2(static_cast<float>(top[l + ch]), static_cast<float>(top[rr + ch]),
                                      static_cast<float>(bottom[l + ch]), static_cast<float>(bottom[rr + ch]),
                                      xs[x].frac, y.frac);
        }
      }
    });
    return Status();
  }

 private:
  Attrs attrs_;
};

template <class T>
class ResizeBilinearGradKernel : public OpKernel {
 public:
  explicit ResizeBilinearGradKernel(KernelInit& init) { read_attrs(init, &attrs_); }

  Status compute(OpContext& ctx) override {
    Geom g;
    MR_RETURN_IF_ERROR(grad_geom(ctx, attrs_, &g));
    Tensor& out = ctx.allocate_output(0, Shape{g.n, g.ih, g.iw, g.c});
    // 16-bit types accumulate in float and round once, as TF does.
    using Acc = std::conditional_t<is_half_v<T>, float, T>;
    std::vector<Acc> acc(is_half_v<T> ? out.num_elements() : 0);
    Acc* d = is_half_v<T> ? acc.data() : reinterpret_cast<Acc*>(out.data<T>());
    std::fill(d, d + out.num_elements(), Acc(0));
    const float* gy = ctx.input(0).data<float>();
    const std::vector<Lerp> ys = bilinear_taps(g.oh, g.ih, g.hs, attrs_.half_pixel);
    const std::vector<Lerp> xs = bilinear_taps(g.ow, g.iw, g.ws, attrs_.half_pixel);
    ctx.parallel_for(g.n, static_cast<double>(g.oh * g.ow * g.c * 12), [&](int64_t lo, int64_t hi) {
      for (int64_t b = lo; b < hi; ++b)
        for (int64_t y = 0; y < g.oh; ++y) {
          const Lerp& ly = ys[y];
          const float iy = 1.0f - ly.frac;
          Acc* top = d + (b * g.ih + ly.lo) * g.iw * g.c;
          Acc* bottom = d + (b * g.ih + ly.hi) * g.iw * g.c;
          for (int64_t x = 0; x < g.ow; ++x) {
            const Lerp& lx = xs[x];
            const float ix = 1.0f - lx.frac;
            const float* src = gy + ((b * g.oh + y) * g.ow + x) * g.c;
            for (int64_t ch = 0; ch < g.c; ++ch) {
              const float v = src[ch];
              top[lx.lo * g.c + ch] += Acc(v * iy * ix);
              top[lx.hi * g.c + ch] += Acc(v * iy * lx.frac);
              bottom[lx.lo * g.c + ch] += Acc(v * ly.frac * ix);
              bottom[lx.hi * g.c + ch] += Acc(v * ly.frac * lx.frac);
            }
          }
        }
    });
    if constexpr (is_half_v<T>) {
      T* o = out.data<T>();
      for (int64_t i = 0; i < out.num_elements(); ++i) o[i] = T(acc[i]);
    }
    return Status();
  }

 private:
  Attrs attrs_;
};

// -- nearest neighbour ------------------------------------------------------------

std::vector<int64_t> nearest_taps(int64_t out, int64_t in, float scale, const Attrs& a) {
  std::vector<int64_t> idx(out);
  for (int64_t i = 0; i < out; ++i) {
    const float src = a.half_pixel ? (static_cast<float>(i) + 0.5f) * scale : static_cast<float>(i) * scale;
    int64_t v = std::min<int64_t>(a.align_corners ? static_cast<int64_t>(std::round(src))
                                                  : static_cast<int64_t>(std::floor(src)),
                                  in - 1);
    if (a.half_pixel) v = std::max<int64_t>(0, v);
    idx[i] = v;
  }
  return idx;
}

template <class T>
class ResizeNearestKernel : public OpKernel {
 public:
  explicit ResizeNearestKernel(KernelInit& init) { read_attrs(init, &attrs_); }

  Status compute(OpContext& ctx) override {
    Geom g;
    MR_RETURN_IF_ERROR(forward_geom(ctx, attrs_, &g));
    MR_REQUIRE(g.ih < (1 << 24) && g.iw < (1 << 24), "nearest neighbor requires max height & width of 2^24");
    Tensor& out = ctx.allocate_output(0, Shape{g.n, g.oh, g.ow, g.c});
    if (out.num_elements() == 0) return Status();
    const std::vector<int64_t> ys = nearest_taps(g.oh, g.ih, g.hs, attrs_);
    const std::vector<int64_t> xs = nearest_taps(g.ow, g.iw, g.ws, attrs_);
    const T* in = ctx.input(0).data<T>();
    T* o = out.data<T>();
    ctx.parallel_for(g.n * g.oh, static_cast<double>(g.ow * g.c), [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const T* src = in + ((r / g.oh) * g.ih + ys[r % g.oh]) * g.iw * g.c;
        for (int64_t x = 0; x < g.ow; ++x)
          std::copy_n(src + xs[x] * g.c, g.c, o + (r * g.ow + x) * g.c);
      }
    });
    return Status();
  }

 private:
  Attrs attrs_;
};

template <class T>
class ResizeNearestGradKernel : public OpKernel {
 public:
  explicit ResizeNearestGradKernel(KernelInit& init) { read_attrs(init, &attrs_); }

  Status compute(OpContext& ctx) override {
    // (TF's gradient kernel takes half_pixel_centers with align_corners.)
    const Tensor& grads = ctx.input(0);
    MR_REQUIRE(grads.rank() == 4, "input must be 4-dimensional", shape_str(grads.shape()));
    int64_t oh, ow;
    MR_RETURN_IF_ERROR(read_size(ctx.input(1), "shape_t", &oh, &ow));
    MR_REQUIRE(oh > 0 && ow > 0, "shape_t's elements must be positive");
    const int64_t n = grads.dim(0), ih = grads.dim(1), iw = grads.dim(2), c = grads.dim(3);
    Tensor& out = ctx.allocate_output(0, Shape{n, oh, ow, c});
    if (out.num_elements() == 0) return Status();
    T* d = out.data<T>();
    std::fill(d, d + out.num_elements(), T(0));
    // The gradient's own rows map forward onto the original image's.
    const std::vector<int64_t> ys = nearest_taps(ih, oh, resize_scale(oh, ih, attrs_.align_corners), attrs_);
    const std::vector<int64_t> xs = nearest_taps(iw, ow, resize_scale(ow, iw, attrs_.align_corners), attrs_);
    const T* gy = grads.data<T>();
    ctx.parallel_for(n, static_cast<double>(ih * iw * c), [&](int64_t lo, int64_t hi) {
      for (int64_t b = lo; b < hi; ++b)
        for (int64_t y = 0; y < ih; ++y)
          for (int64_t x = 0; x < iw; ++x) {
            const T* src = gy + ((b * ih + y) * iw + x) * c;
            T* dst = d + ((b * oh + ys[y]) * ow + xs[x]) * c;
            for (int64_t ch = 0; ch < c; ++ch) dst[ch] = add_t(dst[ch], src[ch]);
          }
    });
    return Status();
  }

 private:
  Attrs attrs_;
};

// -- bicubic ----------------------------------------------------------------------

constexpr int64_t kTableSize = 1024;

// TF's table: entry 2i holds the kernel at i / 1024, entry 2i + 1 at 1 + i / 1024,
// evaluated in double from a float position and stored as float.
std::vector<float> cubic_table(double a) {
  std::vector<float> t((kTableSize + 1) * 2);
  for (int64_t i = 0; i <= kTableSize; ++i) {
    float x = static_cast<float>(i * 1.0 / kTableSize);
    t[i * 2] = static_cast<float>(((a + 2) * x - (a + 3)) * x * x + 1);
    x += 1.0f;
    t[i * 2 + 1] = static_cast<float>(((a * x - 5 * a) * x + 8 * a) * x - 4 * a);
  }
  return t;
}

const float* coeffs(bool keys) {
  static const std::vector<float> keys_table = cubic_table(-0.5f);
  static const std::vector<float> legacy_table = cubic_table(-0.75f);
  return keys ? keys_table.data() : legacy_table.data();
}

struct Cubic {
  float w[4];
  int64_t idx[4];
};

inline int64_t clamp_index(int64_t v, int64_t limit) { return std::min(limit - 1, std::max<int64_t>(0, v)); }

Cubic cubic_taps(float scale, int64_t out_loc, int64_t limit, bool half_pixel) {
  const float src = source_coord(out_loc, scale, half_pixel);
  const int64_t base = static_cast<int64_t>(std::floor(src));
  const float delta = src - static_cast<float>(base);
  const int64_t off = std::lrint(delta * kTableSize);
  const float* t = coeffs(half_pixel);
  const float raw[4] = {t[off * 2 + 1], t[off * 2], t[(kTableSize - off) * 2], t[(kTableSize - off) * 2 + 1]};
  Cubic c;
  for (int k = 0; k < 4; ++k) {
    c.idx[k] = clamp_index(base - 1 + k, limit);
    // With half-pixel centers, taps outside the image weigh nothing and the
    // rest are renormalised (as ScaleAndTranslate does); otherwise the edge
    // pixel repeats.
    c.w[k] = (!half_pixel || c.idx[k] == base - 1 + k) ? raw[k] : 0.0f;
  }
  if (half_pixel) {
    const float sum = c.w[0] + c.w[1] + c.w[2] + c.w[3];
    if (std::abs(sum) >= 1000.0f * std::numeric_limits<float>::min()) {
      const float inv = 1.0f / sum;
      for (float& w : c.w) w *= inv;
    }
  }
  return c;
}

template <class T>
class ResizeBicubicKernel : public OpKernel {
 public:
  explicit ResizeBicubicKernel(KernelInit& init) { read_attrs(init, &attrs_); }

  Status compute(OpContext& ctx) override {
    Geom g;
    MR_RETURN_IF_ERROR(forward_geom(ctx, attrs_, &g));
    Tensor& out = ctx.allocate_output(0, Shape{g.n, g.oh, g.ow, g.c});
    if (out.num_elements() == 0) return Status();
    std::vector<Cubic> xs(g.ow);
    for (int64_t x = 0; x < g.ow; ++x) xs[x] = cubic_taps(g.ws, x, g.iw, attrs_.half_pixel);
    const T* in = ctx.input(0).data<T>();
    float* o = out.data<float>();
    const int64_t row = g.iw * g.c;
    ctx.parallel_for(g.n * g.oh, static_cast<double>(g.ow * g.c * 40), [&](int64_t lo, int64_t hi) {
      for (int64_t r = lo; r < hi; ++r) {
        const int64_t b = r / g.oh;
        const Cubic y = cubic_taps(g.hs, r % g.oh, g.ih, attrs_.half_pixel);
        const T* rows[4];
        for (int k = 0; k < 4; ++k) rows[k] = in + (b * g.ih + y.idx[k]) * row;
        float* dst = o + r * g.ow * g.c;
        for (int64_t x = 0; x < g.ow; ++x)
          for (int64_t ch = 0; ch < g.c; ++ch) {
            float col[4];
            for (int k = 0; k < 4; ++k) {
              const int64_t at = xs[x].idx[k] * g.c + ch;
              col[k] = static_cast<float>(rows[0][at]) * y.w[0] + static_cast<float>(rows[1][at]) * y.w[1] +
                       static_cast<float>(rows[2][at]) * y.w[2] + static_cast<float>(rows[3][at]) * y.w[3];
            }
            const Cubic& cx = xs[x];
            dst[x * g.c + ch] = col[0] * cx.w[0] + col[1] * cx.w[1] + col[2] * cx.w[2] + col[3] * cx.w[3];
          }
      }
    });
    return Status();
  }

 private:
  Attrs attrs_;
};

template <class T>
class ResizeBicubicGradKernel : public OpKernel {
 public:
  explicit ResizeBicubicGradKernel(KernelInit& init) { read_attrs(init, &attrs_); }

  Status compute(OpContext& ctx) override {
    Geom g;
    MR_RETURN_IF_ERROR(grad_geom(ctx, attrs_, &g));
    Tensor& out = ctx.allocate_output(0, Shape{g.n, g.ih, g.iw, g.c});
    T* d = out.data<T>();
    std::fill(d, d + out.num_elements(), T(0));
    std::vector<Cubic> xs(g.ow);
    for (int64_t x = 0; x < g.ow; ++x) xs[x] = cubic_taps(g.ws, x, g.iw, attrs_.half_pixel);
    const float* gy = ctx.input(0).data<float>();
    ctx.parallel_for(g.n, static_cast<double>(g.oh * g.ow * g.c * 48), [&](int64_t lo, int64_t hi) {
      for (int64_t b = lo; b < hi; ++b)
        for (int64_t y = 0; y < g.oh; ++y) {
          const Cubic cy = cubic_taps(g.hs, y, g.ih, attrs_.half_pixel);
          for (int64_t x = 0; x < g.ow; ++x) {
            const Cubic& cx = xs[x];
            for (int64_t ch = 0; ch < g.c; ++ch) {
              const T v = static_cast<T>(gy[((b * g.oh + y) * g.ow + x) * g.c + ch]);
              for (int i = 0; i < 4; ++i)
                for (int j = 0; j < 4; ++j)
                  d[((b * g.ih + cy.idx[i]) * g.iw + cx.idx[j]) * g.c + ch] += T(v * cy.w[i] * cx.w[j]);
            }
          }
        }
    });
    return Status();
  }

 private:
  Attrs attrs_;
};

// -- area -------------------------------------------------------------------------

// The weight of cell v within [lo, hi) (scaled source coordinates of one
// output pixel); TF writes it with float comparisons against integer cells.
inline float area_weight(int64_t v, float lo, float hi, float scale) {
  if (static_cast<float>(v) < lo) return static_cast<float>(v + 1) > hi ? scale : static_cast<float>(v + 1) - lo;
  return static_cast<float>(v + 1) > hi ? hi - static_cast<float>(v) : 1.0f;
}

struct AreaSpan {
  int64_t start, end;
  float start_w, last_w;
};

template <class T>
class ResizeAreaKernel : public OpKernel {
 public:
  explicit ResizeAreaKernel(KernelInit& init) {
    if (init.has_attr("align_corners")) init.get("align_corners", &attrs_.align_corners);
  }

  Status compute(OpContext& ctx) override {
    Geom g;
    MR_RETURN_IF_ERROR(forward_geom(ctx, attrs_, &g));
    Tensor& out = ctx.allocate_output(0, Shape{g.n, g.oh, g.ow, g.c});
    if (out.num_elements() == 0) return Status();
    std::vector<AreaSpan> xs(g.ow);
    for (int64_t x = 0; x < g.ow; ++x) {
      const float lo = static_cast<float>(x) * g.ws, hi = static_cast<float>(x + 1) * g.ws;
      AreaSpan& s = xs[x];
      s.start = static_cast<int64_t>(std::floor(lo));
      s.end = static_cast<int64_t>(std::ceil(hi));
      s.start_w = area_weight(s.start, lo, hi, g.ws);
      s.last_w = area_weight(s.end - 1, lo, hi, g.ws);
    }
    const float scale = static_cast<float>(1.0 / static_cast<double>(g.hs * g.ws));
    const T* in = ctx.input(0).data<T>();
    float* o = out.data<float>();
    ctx.parallel_for(g.n * g.oh, static_cast<double>(g.ow * g.c * 8 * (1 + g.hs * g.ws)),
                     [&](int64_t lo_r, int64_t hi_r) {
      std::vector<float> y_w, sum_y(g.c);
      std::vector<const T*> y_rows;
      for (int64_t r = lo_r; r < hi_r; ++r) {
        const int64_t b = r / g.oh, y = r % g.oh;
        const float lo = static_cast<float>(y) * g.hs, hi = static_cast<float>(y + 1) * g.hs;
        y_w.clear();
        y_rows.clear();
        for (int64_t i = static_cast<int64_t>(std::floor(lo)); i < static_cast<int64_t>(std::ceil(hi)); ++i) {
          y_w.push_back(area_weight(i, lo, hi, g.hs));
          y_rows.push_back(in + (b * g.ih + clamp_index(i, g.ih)) * g.iw * g.c);
        }
        float* dst = o + r * g.ow * g.c;
        for (int64_t x = 0; x < g.ow; ++x) {
          // Channels innermost (contiguous); each channel's sums keep TF's order.
          const AreaSpan& s = xs[x];
          float* sum = dst + x * g.c;
          std::fill(sum, sum + g.c, 0.0f);
          for (size_t i = 0; i < y_rows.size(); ++i) {
            const T* p = y_rows[i];
            const T* first = p + clamp_index(s.start, g.iw) * g.c;
            for (int64_t ch = 0; ch < g.c; ++ch) sum_y[ch] = static_cast<float>(first[ch]) * s.start_w;
            if (s.start + 1 != s.end) {
              for (int64_t v = s.start + 1; v < s.end - 1; ++v) {
                const T* px = p + clamp_index(v, g.iw) * g.c;
                for (int64_t ch = 0; ch < g.c; ++ch) sum_y[ch] += static_cast<float>(px[ch]);
              }
              const T* last = p + clamp_index(s.end - 1, g.iw) * g.c;
              for (int64_t ch = 0; ch < g.c; ++ch) sum_y[ch] += static_cast<float>(last[ch]) * s.last_w;
            }
            for (int64_t ch = 0; ch < g.c; ++ch) sum[ch] += sum_y[ch] * y_w[i];
          }
          for (int64_t ch = 0; ch < g.c; ++ch) sum[ch] *= scale;
        }
      }
    });
    return Status();
  }

 private:
  Attrs attrs_;
};

template <template <class> class K>
auto typed = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<K<decltype(tag)>>(init);
};

// TF's CPU kernels over the dtypes its op definitions allow.
using ResizeTypes = TypeList<float, double, Half, BFloat16, int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t>;
using NearestGradTypes = TypeList<float, double, Half, BFloat16, int8_t, int32_t, uint8_t>;

}  // namespace

void register_image_resize_ops(Registry& r) {
  r.add<ResizeTypes>("ResizeBilinear", typed<ResizeBilinearKernel>);
  r.add<FloatTypes>("ResizeBilinearGrad", typed<ResizeBilinearGradKernel>);
  r.add<ResizeTypes>("ResizeNearestNeighbor", typed<ResizeNearestKernel>);
  r.add<NearestGradTypes>("ResizeNearestNeighborGrad", typed<ResizeNearestGradKernel>);
  r.add<ResizeTypes>("ResizeBicubic", typed<ResizeBicubicKernel>);
  r.add<TypeList<float, double>>("ResizeBicubicGrad", typed<ResizeBicubicGradKernel>);
  r.add<ResizeTypes>("ResizeArea", typed<ResizeAreaKernel>);
}

}  // namespace metarun
