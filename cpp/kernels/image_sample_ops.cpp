// SampleDistortedBoundingBox and SampleDistortedBoundingBoxV2: a random crop
// of an image covering enough of one of the given boxes, drawn from TF's
// Philox stream for (seed, seed2) so a seeded graph picks TF's crop.
//
// Each run reserves max_attempts Philox blocks of the node's generator (TF
// reserves 4 * max_attempts 32-bit samples); within a run samples are taken
// one 32-bit word at a time. An attempt draws an aspect ratio, then a height
// by exact rejection sampling (TF's ExactUniformInt), then the offsets. The
// float and double roundings of TF's crop arithmetic are kept as they are.
#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>
#include <random>
#include <vector>

#include "framework/registry.h"
#include "kernels/util/philox.h"

namespace metarun {
namespace {

struct SamplerState : Resource {
  std::mutex mu;
  Philox gen;
};

uint64_t any_seed() {
  static std::mutex mu;
  static std::mt19937_64 engine{std::random_device{}()};
  std::lock_guard<std::mutex> lock(mu);
  return engine();
}

// TF's SimplePhilox over a reserved slice of the stream.
class Sampler {
 public:
  explicit Sampler(Philox gen) : gen_(gen), single_(&gen_) {}
  Sampler(const Sampler&) = delete;
  uint32_t next() { return single_(); }
  float unit_float() { return uint32_to_unit_float(single_()); }
  // Uniform in [0, n), rejecting the values that would bias it.
  uint32_t uniform(uint32_t n) {
    if (n == 0) return next() * n;
    if ((n & (n - 1)) == 0) return next() & (n - 1);
    const uint32_t rem = (std::numeric_limits<uint32_t>::max() % n) + 1;
    uint32_t v;
    do v = next();
    while (v < rem);
    return v % n;
  }

 private:
  Philox gen_;
  PhiloxSingle single_;
};

struct Rect {
  int min_x = 0, min_y = 0, max_x = 0, max_y = 0;
  float area() const { return static_cast<float>((max_x - min_x) * (max_y - min_y)); }
  Rect intersect(const Rect& r) const {
    Rect o{std::max(min_x, r.min_x), std::max(min_y, r.min_y), std::min(max_x, r.max_x), std::min(max_y, r.max_y)};
    if (o.min_x > o.max_x || o.min_y > o.max_y) return Rect();
    return o;
  }
};

bool covers_enough(const Rect& crop, float min_covered, const std::vector<Rect>& boxes) {
  if (crop.area() < 1.0f) return false;
  for (const Rect& b : boxes) {
    const float area = b.area();
    if (area < 1.0f) continue;
    if (crop.intersect(b).area() / area >= min_covered) return true;
  }
  return false;
}

int round_int(float f) { return static_cast<int>(std::lrint(f)); }

bool random_crop(int width, int height, float min_rel, float max_rel, float aspect, Sampler* rng, Rect* crop) {
  if (max_rel <= 0.0 || aspect <= 0.0 || width <= 0 || height <= 0 || min_rel > max_rel) return false;
  const float min_area = min_rel * width * height;
  const float max_area = max_rel * width * height;
  int h = round_int(std::sqrt(min_area / aspect));
  int max_h = round_int(std::sqrt(max_area / aspect));
  if (round_int(max_h * aspect) > width) {
    const float eps = 0.0000001f;
    max_h = static_cast<int>((width + 0.5 - eps) / aspect);
    if (round_int(max_h * aspect) > width) max_h -= 1;
  }
  if (max_h > height) max_h = height;
  if (h >= max_h) h = max_h;
  if (h < max_h) h += static_cast<int>(rng->uniform(static_cast<uint32_t>(max_h - h + 1)));
  int w = round_int(h * aspect);
  float area = static_cast<float>(w * h);
  if (area < min_area) {
    h += 1;
    w = round_int(h * aspect);
    area = static_cast<float>(w * h);
  }
  if (area > max_area) {
    h -= 1;
    w = round_int(h * aspect);
    area = static_cast<float>(w * h);
  }
  if (area < min_area || area > max_area || w > width || h > height || w <= 0 || h <= 0) return false;
  int y = 0, x = 0;
  if (h < height) y = static_cast<int>(rng->uniform(static_cast<uint32_t>(height - h)));
  if (w < width) x = static_cast<int>(rng->uniform(static_cast<uint32_t>(width - w)));
  *crop = Rect{x, y, x + w, y + h};
  return true;
}

template <class T>
class SampleBoxKernel : public OpKernel {
 public:
  explicit SampleBoxKernel(KernelInit& init)
      : key_(str_cat("sample_distorted_bounding_box/", init.name(), "@", reinterpret_cast<uintptr_t>(&init.node()))) {
    v1_ = init.num_inputs() == 2;
    if (v1_) {
      init.get("min_object_covered", &min_covered_);
      if (init.status().ok() && !(min_covered_ >= 0)) {
        init.fail(invalid_argument(str_cat("Min object covered must be non-negative: ", min_covered_)));
        return;
      }
    }
    if (init.has_attr("seed")) init.get("seed", &seed_);
    if (init.has_attr("seed2")) init.get("seed2", &seed2_);
    init.get("use_image_if_no_bounding_boxes", &use_image_);
    init.get("aspect_ratio_range", &aspect_);
    init.get("area_range", &area_);
    init.get("max_attempts", &max_attempts_);
    if (!init.status().ok()) return;
    Status s;
    if (aspect_.size() != 2) s = invalid_argument("Aspect ratio range field must specify 2 dimensions");
    else if (!(aspect_[0] > 0 && aspect_[1] > 0))
      s = invalid_argument(str_cat("Aspect ratio range must be non-negative: [", aspect_[0], ", ", aspect_[1], "]"));
    else if (area_.size() != 2) s = invalid_argument("Area range field must specify 2 dimensions");
    else if (!(area_[0] > 0 && area_[1] > 0))
      s = invalid_argument(str_cat("Area range must be non-negative: [", area_[0], ", ", area_[1], "]"));
    else if (!(area_[0] <= 1 && area_[1] <= 1))
      s = invalid_argument(str_cat("Area range must be less then or equal to 1.0: [", area_[0], ", ", area_[1], "]"));
    else if (max_attempts_ <= 0)
      s = invalid_argument(str_cat("Max attempts must be non-negative: ", max_attempts_));
    if (!s.ok()) init.fail(s);
  }

  Status compute(OpContext& ctx) override {
    Philox gen = reserve(ctx, static_cast<uint64_t>(max_attempts_));
    const Tensor& size = ctx.input(0);
    MR_REQUIRE(size.rank() == 1, "image_size must be 1-dimensional", shape_str(size.shape()));
    MR_REQUIRE(size.dim(0) == 3, "image_size must contain 3 elements", shape_str(size.shape()));
    const uint64_t h_raw = static_cast<uint64_t>(size.data<T>()[0]);
    const uint64_t w_raw = static_cast<uint64_t>(size.data<T>()[1]);
    MR_REQUIRE(h_raw < static_cast<uint64_t>(std::numeric_limits<int32_t>::max()),
               "image height cannot be >= int32 max");
    MR_REQUIRE(w_raw < static_cast<uint64_t>(std::numeric_limits<int32_t>::max()),
               "image width cannot be >= int32 max");
    const int height = static_cast<int>(h_raw), width = static_cast<int>(w_raw);
    const Tensor& boxes = ctx.input(1);
    MR_REQUIRE(boxes.rank() == 3, "input boxes must be 3-dimensional [batch, num_boxes, coords]: ",
               shape_str(boxes.shape()));
    MR_REQUIRE(boxes.dim(2) == 4, "bounding boxes must have shape [4] or [*, 4], got ", shape_str(boxes.shape()));
    float min_covered = min_covered_;
    if (!v1_) {
      const Tensor& m = ctx.input(2);
      MR_REQUIRE(m.rank() == 0, "min_object_covered must be 0-D, got shape ", shape_str(m.shape()));
      min_covered = m.scalar_value<float>();
      MR_REQUIRE(min_covered >= 0, "Min object covered must be non-negative: ", min_covered);
    }
    std::vector<Rect> rects;
    const float* bp = boxes.data<float>();
    const int64_t nb = boxes.num_elements() / 4;
    for (int64_t b = 0; b < nb; ++b) {
      const float* c = bp + 4 * b;
      for (int i = 0; i < 4; ++i)
        MR_REQUIRE(c[i] >= 0.0 && c[i] <= 1.0, "All bounding box coordinates must be in [0.0, 1.0]: ", c[i]);
      rects.push_back(Rect{static_cast<int>(c[1] * width), static_cast<int>(c[0] * height),
                           static_cast<int>(c[3] * width), static_cast<int>(c[2] * height)});
    }
    const Rect image{0, 0, width, height};
    if (rects.empty()) {
      MR_REQUIRE(use_image_,
                 "No bounding boxes provided as input. One must enable use_image_if_no_bounding_boxes if you wish to "
                 "not provide any bounding boxes.");
      rects.push_back(image);
    }
    Sampler rng(gen);
    Rect crop;
    bool found = false;
    for (int i = 0; i < max_attempts_ && !found; ++i) {
      const float aspect = rng.unit_float() * (aspect_[1] - aspect_[0]) + aspect_[0];
      found = random_crop(width, height, area_[0], area_[1], aspect, &rng, &crop) &&
              covers_enough(crop, min_covered, rects);
    }
    if (!found) crop = image;
    T* begin = ctx.allocate_output(0, {3}).data<T>();
    T* extent = ctx.allocate_output(1, {3}).data<T>();
    float* bbox = ctx.allocate_output(2, {1, 1, 4}).data<float>();
    begin[0] = T(crop.min_y);
    begin[1] = T(crop.min_x);
    begin[2] = T(0);
    extent[0] = T(crop.max_y - crop.min_y);
    extent[1] = T(crop.max_x - crop.min_x);
    extent[2] = T(-1);
    bbox[0] = static_cast<float>(crop.min_y) / static_cast<float>(height);
    bbox[1] = static_cast<float>(crop.min_x) / static_cast<float>(width);
    bbox[2] = static_cast<float>(crop.max_y) / static_cast<float>(height);
    bbox[3] = static_cast<float>(crop.max_x) / static_cast<float>(width);
    return Status();
  }

 private:
  // The node's stream, kept for the session as TF keeps its kernel's; the run
  // takes the slice at the generator and moves it `blocks` on.
  Philox reserve(OpContext& ctx, uint64_t blocks) const {
    static std::mutex create_mu;
    std::shared_ptr<SamplerState> state;
    {
      std::lock_guard<std::mutex> lock(create_mu);
      state = std::dynamic_pointer_cast<SamplerState>(ctx.resources().lookup(key_));
      if (!state) {
        state = std::make_shared<SamplerState>();
        uint64_t s = static_cast<uint64_t>(seed_), s2 = static_cast<uint64_t>(seed2_);
        if (s == 0 && s2 == 0) s = any_seed(), s2 = any_seed();
        state->gen = Philox(s, s2);
        ctx.resources().insert(key_, state);
      }
    }
    std::lock_guard<std::mutex> lock(state->mu);
    Philox slice = state->gen;
    state->gen.skip(blocks);
    return slice;
  }

  std::string key_;
  bool v1_ = false;
  float min_covered_ = 0.1f;
  int64_t seed_ = 0, seed2_ = 0;
  bool use_image_ = false;
  std::vector<float> aspect_, area_;
  int max_attempts_ = 100;
};

template <template <class> class K>
auto typed = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<K<decltype(tag)>>(init);
};

// TF's kernels take every integer type, but its OpDef lets only these through.
using SizeTypes = TypeList<uint8_t, int8_t, int16_t, int32_t, int64_t>;

}  // namespace

void register_image_sample_ops(Registry& r) {
  r.add<SizeTypes>("SampleDistortedBoundingBox", typed<SampleBoxKernel>);
  r.add<SizeTypes>("SampleDistortedBoundingBoxV2", typed<SampleBoxKernel>);
}

}  // namespace metarun
