// Non-max suppression: NonMaxSuppression (V1 to V5), NonMaxSuppressionWithOverlaps
// and CombinedNonMaxSuppression, as TF's CPU kernels.
//
// The greedy loop is TF's: candidates leave a max-heap ordered by score, ties
// going to the lower box index; each is compared with the boxes already
// selected, newest first, and only with those selected since it was last
// compared (soft-NMS puts a decayed candidate back on the heap). For half
// boxes the IoU is computed in float and rounded to half, and scores decay in
// half arithmetic, each product rounded, as Eigen's half does.
//
// CombinedNonMaxSuppression's per-class heap compares scores only and its
// final ordering is an unstable sort, so equal scores come out in the order
// the standard library's heap and introsort leave them, as in TF's build.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <queue>
#include <vector>

#include "framework/registry.h"

namespace metarun {
namespace {

template <class T>
T lowest_of() {
  if constexpr (std::is_same_v<T, Half>) {
    Half h;
    h.bits = 0xFBFF;
    return h;
  } else {
    return std::numeric_limits<T>::lowest();
  }
}

// T-typed arithmetic: a half product is rounded back to half.
template <class T>
T mul(T a, T b) {
  return T(static_cast<float>(a) * static_cast<float>(b));
}

Status check_boxes(const Tensor& boxes, int* num_boxes) {
  MR_REQUIRE(boxes.rank() == 2, "boxes must be 2-D", shape_str(boxes.shape()), " (Shape must be rank 2 but is rank ",
             boxes.rank(), ")");
  MR_REQUIRE(boxes.dim(1) == 4, "boxes must have 4 columns (Dimension must be 4 but is ", boxes.dim(1), ")");
  *num_boxes = static_cast<int>(boxes.dim(0));
  return Status();
}

Status check_overlaps(const Tensor& overlaps, int* num_boxes) {
  MR_REQUIRE(overlaps.rank() == 2, "overlaps must be 2-D", shape_str(overlaps.shape()));
  MR_REQUIRE(overlaps.dim(1) == overlaps.dim(0), "overlaps must be square", shape_str(overlaps.shape()));
  *num_boxes = static_cast<int>(overlaps.dim(0));
  return Status();
}

Status check_scores(const Tensor& scores, int num_boxes) {
  MR_REQUIRE(scores.rank() == 1, "scores must be 1-D", shape_str(scores.shape()), " (Shape must be rank 1 but is rank ",
             scores.rank(), ")");
  MR_REQUIRE(scores.dim(0) == num_boxes, "scores has incompatible shape (Dimensions must be equal, but are ",
             num_boxes, " and ", scores.dim(0), ")");
  return Status();
}

Status check_0d(const Tensor& t, const char* what, bool with_rank = false) {
  if (t.rank() == 0) return Status();
  std::string msg = str_cat(what, " must be 0-D, got shape ", shape_str(t.shape()));
  if (with_rank) msg += str_cat(" (Shape must be rank 0 but is rank ", t.rank(), ")");
  return invalid_argument(msg);
}

// A threshold input of float or half, converted to T (TF's GetScalar).
template <class T>
T threshold_as(const Tensor& t) {
  if (t.dtype() == DType::kHalf) return T(static_cast<float>(t.scalar_value<Half>()));
  return T(t.scalar_value<float>());
}

float iou_at(const float* b, int64_t i, int64_t j) {
  const float ymin_i = std::min(b[i], b[i + 2]), xmin_i = std::min(b[i + 1], b[i + 3]);
  const float ymax_i = std::max(b[i], b[i + 2]), xmax_i = std::max(b[i + 1], b[i + 3]);
  const float ymin_j = std::min(b[j], b[j + 2]), xmin_j = std::min(b[j + 1], b[j + 3]);
  const float ymax_j = std::max(b[j], b[j + 2]), xmax_j = std::max(b[j + 1], b[j + 3]);
  const float area_i = (ymax_i - ymin_i) * (xmax_i - xmin_i);
  const float area_j = (ymax_j - ymin_j) * (xmax_j - xmin_j);
  if (area_i <= 0 || area_j <= 0) return 0.0f;
  const float iy = std::max(std::min(ymax_i, ymax_j) - std::max(ymin_i, ymin_j), 0.0f);
  const float ix = std::max(std::min(xmax_i, xmax_j) - std::max(xmin_i, xmin_j), 0.0f);
  const float inter = iy * ix;
  return inter / (area_i + area_j - inter);
}

struct NmsResult {
  std::vector<int32_t> selected;
  std::vector<float> scores;  // as float; exact for float and half
  int valid = 0;
  int64_t padded_size = 0;  // the outputs' length: `valid`, or max_output_size when padding
};

template <class T>
Status greedy_nms(const Tensor& scores_t, int num_boxes, const Tensor& max_output_size, T threshold, T score_threshold,
                  T sigma, const std::function<float(int, int)>& similarity, bool pad, NmsResult* out) {
  const int output_size = max_output_size.scalar_value<int32_t>();
  MR_REQUIRE(output_size >= 0, "output size must be non-negative");
  const T* scores = scores_t.data<T>();
  struct Candidate {
    int box;
    T score;
    int suppress_begin;
  };
  auto cmp = [](const Candidate& a, const Candidate& b) {
    return (a.score == b.score && a.box > b.box) || a.score < b.score;
  };
  std::priority_queue<Candidate, std::deque<Candidate>, decltype(cmp)> queue(cmp);
  for (int i = 0; i < num_boxes; ++i)
    if (scores[i] > score_threshold) queue.push(Candidate{i, scores[i], 0});

  const bool soft = sigma > T(0.0f);
  const T scale = soft ? T(-0.5f / static_cast<float>(sigma)) : T(0.0f);
  auto weight = [&](T sim) {
    const T w = T(std::exp(static_cast<float>(mul(mul(scale, sim), sim))));
    return soft || sim <= threshold ? w : T(0.0f);
  };
  std::vector<T> kept;
  while (static_cast<int64_t>(out->selected.size()) < output_size && !queue.empty()) {
    Candidate c = queue.top();
    const T original = c.score;
    queue.pop();
    bool hard = false;
    for (int j = static_cast<int>(out->selected.size()) - 1; j >= c.suppress_begin; --j) {
      const T sim = T(similarity(c.box, out->selected[j]));
      c.score = mul(c.score, weight(sim));
      if (!soft && sim > threshold) {
        hard = true;
        break;
      }
      if (c.score <= score_threshold) break;
    }
    c.suppress_begin = static_cast<int>(out->selected.size());
    if (hard) continue;
    if (c.score == original) {
      out->selected.push_back(c.box);
      kept.push_back(c.score);
    } else if (c.score > score_threshold) {
      queue.push(c);
    }
  }
  out->valid = static_cast<int>(out->selected.size());
  // Padding is left to the output tensor, whose allocation is checked.
  out->padded_size = pad ? output_size : out->valid;
  for (T s : kept) out->scores.push_back(static_cast<float>(s));
  return Status();
}

// Boxes as float, whatever T (TF's IoU reads them through float).
template <class T>
std::vector<float> boxes_as_float(const Tensor& boxes) {
  const T* p = boxes.data<T>();
  std::vector<float> f(boxes.num_elements());
  for (size_t i = 0; i < f.size(); ++i) f[i] = static_cast<float>(p[i]);
  return f;
}

enum class NmsVersion { kV1, kV2, kV3, kV4, kV5 };

template <class T, NmsVersion V>
class NmsKernel : public OpKernel {
 public:
  explicit NmsKernel(KernelInit& init) {
    if (V == NmsVersion::kV1) init.get("iou_threshold", &iou_attr_);
    if ((V == NmsVersion::kV4 || V == NmsVersion::kV5) && init.has_attr("pad_to_max_output_size"))
      init.get("pad_to_max_output_size", &pad_);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& boxes = ctx.input(0);
    const Tensor& scores = ctx.input(1);
    MR_RETURN_IF_ERROR(check_0d(ctx.input(2), "max_output_size", V == NmsVersion::kV3));
    T iou = T(iou_attr_);
    T score_threshold = lowest_of<T>();
    T sigma = T(0.0f);
    if (V == NmsVersion::kV1) {
      MR_REQUIRE(iou_attr_ >= 0 && iou_attr_ <= 1, "iou_threshold must be in [0, 1]");
    } else {
      MR_RETURN_IF_ERROR(check_0d(ctx.input(3), "iou_threshold", V == NmsVersion::kV3));
      iou = threshold_as<T>(ctx.input(3));
      MR_REQUIRE(iou >= T(0.0f) && iou <= T(1.0f), "iou_threshold must be in [0, 1]");
      if (V != NmsVersion::kV2) {
        MR_RETURN_IF_ERROR(check_0d(ctx.input(4), "score_threshold"));
        score_threshold = threshold_as<T>(ctx.input(4));
      }
      if (V == NmsVersion::kV5) {
        MR_RETURN_IF_ERROR(check_0d(ctx.input(5), "soft_nms_sigma"));
        sigma = ctx.input(5).scalar_value<T>();
        MR_REQUIRE(sigma >= T(0.0f), "soft_nms_sigma_val must be >= 0");
      }
    }
    int num_boxes = 0;
    MR_RETURN_IF_ERROR(check_boxes(boxes, &num_boxes));
    MR_RETURN_IF_ERROR(check_scores(scores, num_boxes));
    const std::vector<float> b = boxes_as_float<T>(boxes);
    auto similarity = [&b](int i, int j) { return iou_at(b.data(), int64_t{i} * 4, int64_t{j} * 4); };
    NmsResult r;
    MR_RETURN_IF_ERROR(greedy_nms<T>(scores, num_boxes, ctx.input(2), iou, score_threshold, sigma, similarity, pad_,
                                     &r));
    const int64_t n = r.padded_size;
    int32_t* idx = ctx.allocate_output(0, {n}).data<int32_t>();
    std::fill(std::copy(r.selected.begin(), r.selected.end(), idx), idx + n, 0);
    if (V == NmsVersion::kV5) {
      T* s = ctx.allocate_output(1, {n}).data<T>();
      for (int64_t i = 0; i < n; ++i) s[i] = i < r.valid ? T(r.scores[i]) : T(0.0f);
      ctx.allocate_output(2, {}).data<int32_t>()[0] = r.valid;
    } else if (V == NmsVersion::kV4) {
      ctx.allocate_output(1, {}).data<int32_t>()[0] = r.valid;
    }
    return Status();
  }

 private:
  float iou_attr_ = 0.5f;
  bool pad_ = false;
};

class NmsWithOverlapsKernel : public OpKernel {
 public:
  explicit NmsWithOverlapsKernel(KernelInit&) {}

  Status compute(OpContext& ctx) override {
    const Tensor& overlaps = ctx.input(0);
    MR_RETURN_IF_ERROR(check_0d(ctx.input(2), "max_output_size"));
    MR_RETURN_IF_ERROR(check_0d(ctx.input(3), "overlap_threshold"));
    const float threshold = ctx.input(3).scalar_value<float>();
    MR_RETURN_IF_ERROR(check_0d(ctx.input(4), "score_threshold"));
    const float score_threshold = ctx.input(4).scalar_value<float>();
    int num_boxes = 0;
    MR_RETURN_IF_ERROR(check_overlaps(overlaps, &num_boxes));
    MR_RETURN_IF_ERROR(check_scores(ctx.input(1), num_boxes));
    const float* o = overlaps.data<float>();
    auto similarity = [o, num_boxes](int i, int j) { return o[int64_t{i} * num_boxes + j]; };
    NmsResult r;
    MR_RETURN_IF_ERROR(greedy_nms<float>(ctx.input(1), num_boxes, ctx.input(2), threshold, score_threshold, 0.0f,
                                         similarity, false, &r));
    std::copy(r.selected.begin(), r.selected.end(),
              ctx.allocate_output(0, {static_cast<int64_t>(r.selected.size())}).data<int32_t>());
    return Status();
  }
};

// -- CombinedNonMaxSuppression ----------------------------------------------

struct Detection {
  int box;
  float score;
  int cls;
  float coord[4];
};

struct CombinedGeometry {
  int num_boxes, num_classes, q;
  int size_per_class;
  float iou, score_threshold;
};

void nms_one_class(const float* boxes, const float* scores, const CombinedGeometry& g, int cls,
                   std::vector<Detection>& slots) {
  struct Candidate {
    int box;
    float score;
  };
  auto cmp = [](const Candidate& a, const Candidate& b) { return a.score < b.score; };
  std::priority_queue<Candidate, std::vector<Candidate>, decltype(cmp)> queue(cmp);
  for (int i = 0; i < g.num_boxes; ++i) {
    const float s = scores[int64_t{i} * g.num_classes + cls];
    if (s > g.score_threshold) queue.push(Candidate{i, s});
  }
  const int box_cls = g.q > 1 ? cls : 0;
  std::vector<int> selected;
  while (static_cast<int>(selected.size()) < g.size_per_class && !queue.empty()) {
    const Candidate c = queue.top();
    queue.pop();
    const int64_t at = (int64_t{c.box} * g.q + box_cls) * 4;
    bool keep = true;
    for (int j = static_cast<int>(selected.size()) - 1; j >= 0; --j) {
      if (iou_at(boxes, at, (int64_t{selected[j]} * g.q + box_cls) * 4) > g.iou) {
        keep = false;
        break;
      }
    }
    if (!keep) continue;
    slots[selected.size() + int64_t{g.size_per_class} * cls] =
        Detection{c.box, c.score, cls, {boxes[at], boxes[at + 1], boxes[at + 2], boxes[at + 3]}};
    selected.push_back(c.box);
  }
}

class CombinedNmsKernel : public OpKernel {
 public:
  explicit CombinedNmsKernel(KernelInit& init) {
    init.get("pad_per_class", &pad_per_class_);
    init.get("clip_boxes", &clip_boxes_);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& boxes = ctx.input(0);
    const Tensor& scores = ctx.input(1);
    MR_REQUIRE(boxes.rank() == 4, "boxes must be 4-D [batch, num_boxes, q, 4], got shape ", shape_str(boxes.shape()));
    MR_REQUIRE(scores.rank() == 3, "scores must be 3-D [batch, num_boxes, num_classes], got shape ",
               shape_str(scores.shape()));
    CombinedGeometry g;
    g.num_boxes = static_cast<int>(boxes.dim(1));
    g.num_classes = static_cast<int>(scores.dim(2));
    g.q = static_cast<int>(boxes.dim(2));
    MR_REQUIRE(boxes.dim(2) == 1 || boxes.dim(2) == g.num_classes,
               "third dimension of boxes must be either 1 or num classes");
    MR_REQUIRE(boxes.dim(3) == 4, "boxes must have 4 columns");
    MR_REQUIRE(scores.dim(1) == g.num_boxes, "scores has incompatible shape");
    MR_REQUIRE(boxes.dim(0) == scores.dim(0), "boxes and scores must have same batch size");
    MR_RETURN_IF_ERROR(check_0d(ctx.input(2), "max_size_per_class"));
    const int max_per_class = ctx.input(2).scalar_value<int32_t>();
    MR_REQUIRE(max_per_class > 0, "max_size_per_class must be positive");
    MR_RETURN_IF_ERROR(check_0d(ctx.input(3), "max_total_size"));
    const int max_total = ctx.input(3).scalar_value<int32_t>();
    MR_REQUIRE(max_total > 0, "max_total_size must be > 0");
    MR_RETURN_IF_ERROR(check_0d(ctx.input(4), "iou_threshold"));
    g.iou = ctx.input(4).scalar_value<float>();
    MR_RETURN_IF_ERROR(check_0d(ctx.input(5), "score_threshold"));
    g.score_threshold = ctx.input(5).scalar_value<float>();
    MR_REQUIRE(g.iou >= 0 && g.iou <= 1, "iou_threshold must be in [0, 1]");

    const int64_t batches = boxes.dim(0);
    g.size_per_class = std::min(max_per_class, g.num_boxes);
    const int64_t slots_per_batch = int64_t{g.size_per_class} * g.num_classes;
    MR_REQUIRE(slots_per_batch >= 0 && slots_per_batch <= std::numeric_limits<int>::max(),
               "size_per_class * num_classes causes overflow");
    const int max_total_size =
        static_cast<int>(std::min<int64_t>(std::numeric_limits<int>::max(), int64_t{max_per_class} * g.num_classes));
    const int per_batch = pad_per_class_ ? std::min(max_total, max_total_size) : max_total;
    // Outputs before the work: TF allocates them as the batch results land, and a
    // size too large to allocate is an error before any per-class work either way.
    Tensor& nb = ctx.allocate_output(0, {batches, per_batch, 4});
    Tensor& ns = ctx.allocate_output(1, {batches, per_batch});
    Tensor& nc = ctx.allocate_output(2, {batches, per_batch});
    Tensor& nv = ctx.allocate_output(3, {batches});
    std::fill(nb.data<float>(), nb.data<float>() + nb.num_elements(), 0.0f);
    std::fill(ns.data<float>(), ns.data<float>() + ns.num_elements(), 0.0f);
    std::fill(nc.data<float>(), nc.data<float>() + nc.num_elements(), 0.0f);

    const float* bx = boxes.data<float>();
    const float* sc = scores.data<float>();
    const int64_t boxes_per_batch = int64_t{g.num_boxes} * g.q * 4;
    const int64_t scores_per_batch = int64_t{g.num_boxes} * g.num_classes;
    for (int64_t b = 0; b < batches; ++b) {
      std::vector<Detection> slots(slots_per_batch,
                                   Detection{-1, -std::numeric_limits<float>::infinity(), -1, {0, 0, 0, 0}});
      for (int c = 0; c < g.num_classes; ++c)
        nms_one_class(bx + boxes_per_batch * b, sc + scores_per_batch * b, g, c, slots);
      std::sort(slots.begin(), slots.end(), [](const Detection& x, const Detection& y) { return y.score < x.score; });
      const int found = static_cast<int>(
          std::count_if(slots.begin(), slots.end(), [](const Detection& d) { return d.box > -1; }));
      const int take = std::min(found, per_batch);
      nv.data<int32_t>()[b] = take;
      for (int i = 0; i < take; ++i) {
        const Detection& d = slots[i];
        float* out_box = nb.data<float>() + (b * per_batch + i) * 4;
        for (int k = 0; k < 4; ++k)
          out_box[k] = clip_boxes_ ? std::max(std::min(d.coord[k], 1.0f), 0.0f) : d.coord[k];
        ns.data<float>()[b * per_batch + i] = d.score;
        nc.data<float>()[b * per_batch + i] = static_cast<float>(d.cls);
      }
    }
    return Status();
  }

 private:
  bool pad_per_class_ = false;
  bool clip_boxes_ = true;
};

template <NmsVersion V>
auto nms = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<NmsKernel<decltype(tag), V>>(init);
};

using NmsTypes = TypeList<float, Half>;

}  // namespace

void register_image_nms_ops(Registry& r) {
  r.add("NonMaxSuppression", [](KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<NmsKernel<float, NmsVersion::kV1>>(init);
  });
  r.add<NmsTypes>("NonMaxSuppressionV2", nms<NmsVersion::kV2>);
  r.add<NmsTypes>("NonMaxSuppressionV3", nms<NmsVersion::kV3>);
  r.add<NmsTypes>("NonMaxSuppressionV4", nms<NmsVersion::kV4>);
  r.add<NmsTypes>("NonMaxSuppressionV5", nms<NmsVersion::kV5>);
  r.add("NonMaxSuppressionWithOverlaps", make_kernel<NmsWithOverlapsKernel>);
  r.add("CombinedNonMaxSuppression", make_kernel<CombinedNmsKernel>);
}

}  // namespace metarun
