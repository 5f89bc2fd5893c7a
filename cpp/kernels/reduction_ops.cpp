// Reductions along axes: Sum, Mean, Prod, Max, Min, All, Any, EuclideanNorm,
// and L2Loss. Shapes are simplified as TF's ReductionHelper does (drop size-1
// dims, merge neighbouring dims that are alike) and each resulting layout is
// walked in the order Eigen uses there, so float sums round as in TF.
#include <cmath>
#include <limits>
#include <memory>

#include "kernels/util/reduce_order.h"

namespace metarun {
namespace {

struct ProdOp {
  static constexpr bool kTree = false;
  template <class A> static A init() { return A(1); }
  template <class A> static A apply(A a, A b) { return A(Compute<A>(a) * Compute<A>(b)); }
};
// TF's Max/Min propagate NaN; empty float reductions give -inf/+inf. The
// selects are branch-free so the packet loops vectorize.
template <bool kMax>
struct ExtremeOp {
  static constexpr bool kTree = false;
  template <class A> static A init() {
    if constexpr (is_float_v<A>) return A((kMax ? -1 : 1) * std::numeric_limits<float>::infinity());
    else return kMax ? std::numeric_limits<A>::lowest() : std::numeric_limits<A>::max();
  }
  template <class A> static A apply(A a, A b) {
    const auto x = Compute<A>(a), y = Compute<A>(b);
    if constexpr (is_float_v<A>) return ((kMax ? y > x : y < x) | (y != y)) ? b : a;
    else return (kMax ? y > x : y < x) ? b : a;
  }
};
using MaxOp = ExtremeOp<true>;
using MinOp = ExtremeOp<false>;
struct AndOp {
  static constexpr bool kTree = false;
  template <class A> static A init() { return true; }
  template <class A> static A apply(A a, A b) { return a && b; }
};
using OrOp = SumOp;  // on bool, SumOp is `||`

// TF's ReductionHelper::Simplify: `dims` alternate between reduced and kept
// runs, the first reduced when `reduce_first`.
struct ReducePlan {
  std::vector<int64_t> dims;
  bool reduce_first = false;
  Shape out_shape;
  int64_t out_size = 1;
  int64_t in_size = 0;
};

template <class I>
Status mark_axes(const Tensor& axes, int rank, std::vector<bool>* bitmap) {
  const I* a = axes.data<I>();
  for (int64_t i = 0; i < axes.num_elements(); ++i) {
    int64_t index = a[i];
    MR_REQUIRE(index >= -rank && index < rank, "Invalid reduction dimension (", index,
               " for input with ", rank, " dimension(s)");
    index = (index + rank) % rank;
    MR_REQUIRE(!(*bitmap)[index],
               "Invalid reduction arguments: Axes contains duplicate dimension: ", index);
    (*bitmap)[index] = true;
  }
  return Status();
}

Status simplify(const Tensor& data, const Tensor& axes, bool keep_dims, ReducePlan* p) {
  const int rank = data.rank();
  std::vector<bool> bitmap(rank, false);
  if (axes.dtype() == DType::kInt64) MR_RETURN_IF_ERROR(mark_axes<int64_t>(axes, rank, &bitmap));
  else MR_RETURN_IF_ERROR(mark_axes<int32_t>(axes, rank, &bitmap));
  for (int i = 0; i < rank; ++i) {
    if (!bitmap[i]) p->out_shape.push_back(data.dim(i));
    else if (keep_dims) p->out_shape.push_back(1);
  }
  p->out_size = num_elements(p->out_shape);
  p->in_size = data.num_elements();
  int i = 0;
  while (i < rank && data.dim(i) == 1) ++i;
  if (i >= rank) {
    p->reduce_first = true;
    return Status();
  }
  p->reduce_first = bitmap[i];
  p->dims.push_back(data.dim(i));
  for (++i; i < rank; ++i) {
    if (data.dim(i) == 1) bitmap[i] = bitmap[i - 1];
    if (bitmap[i - 1] != bitmap[i]) p->dims.push_back(data.dim(i));
    else p->dims.back() *= data.dim(i);
  }
  return Status();
}

// Columns [j0, j1) of `red` rows of width `w` (Eigen's inner-dim preserver).
// With `unrolled`, rows go round-robin to four accumulators first, as Eigen
// does for outputs it computes a packet at a time.
template <class Op, class A, class In>
void reduce_cols(const In* x, int64_t red, int64_t w, int64_t j0, int64_t j1, bool unrolled,
                 A* out) {
  const int64_t m = j1 - j0;
  const bool four = unrolled && red >= 16;
  std::unique_ptr<A[]> acc(new A[(four ? 4 : 1) * m]);
  std::fill(acc.get(), acc.get() + (four ? 4 : 1) * m, Op::template init<A>());
  // Rows stream in order; 256-wide blocks have a compile-time trip count,
  // which GCC's -O2 vectorizes.
  auto add = [m](A* __restrict a, const auto* __restrict row) {
    constexpr int64_t kBlock = 256;
    int64_t j = 0;
    for (; j + kBlock <= m; j += kBlock)
      for (int64_t l = 0; l < kBlock; ++l) a[j + l] = Op::apply(a[j + l], A(row[j + l]));
    for (; j < m; ++j) a[j] = Op::apply(a[j], A(row[j]));
  };
  int64_t i = 0;
  if (four) {
    const int64_t r4 = red / 4 * 4;
    for (; i < r4; ++i) add(acc.get() + (i & 3) * m, x + i * w + j0);
    for (int k = 1; k < 4; ++k) add(acc.get(), static_cast<const A*>(acc.get() + k * m));
  }
  for (; i < red; ++i) add(acc.get(), x + i * w + j0);
  std::copy(acc.get(), acc.get() + m, out + j0);
}

// Reduces the middle dim of [outer, red, inner]. Eigen computes output
// packets (aligned on the flat output index) that stay inside one row with
// the unrolled loop, every other output one at a time.
template <class Op, class A, class In>
void reduce_middle(OpContext& ctx, const In* x, int64_t outer, int64_t red, int64_t inner, A* out) {
  constexpr int64_t P = kLanes<A>;
  const int64_t total = outer * inner;
  const int64_t packed_end = total / P * P;
  auto unrolled = [&](int64_t o) {
    const int64_t ps = o / P * P;
    return ps + P <= packed_end && (ps % inner) + P <= inner;
  };
  ctx.parallel_for(outer, double(red * inner), [&](int64_t b, int64_t e) {
    for (int64_t i = b; i < e; ++i) {
      int64_t k = 0;
      while (k < inner) {
        const bool u = unrolled(i * inner + k);
        int64_t k1 = k + 1;
        while (k1 < inner && unrolled(i * inner + k1) == u) ++k1;
        reduce_cols<Op, A>(x + i * red * inner, red, inner, k, k1, u, out + i * inner);
        k = k1;
      }
    }
  });
}

// Gathers [d0, d1, ...] (alternating reduced/kept runs) into [kept..., reduced...].
template <class In>
std::unique_ptr<In[]> shuffle_kept_first(const In* x, const ReducePlan& p) {
  const int nd = static_cast<int>(p.dims.size());
  std::vector<int> perm;
  for (int pass = 0; pass < 2; ++pass)
    for (int d = 0; d < nd; ++d)
      if (((d % 2 == 0) == p.reduce_first) == (pass == 1)) perm.push_back(d);
  std::vector<int64_t> stride(nd, 1);
  for (int d = nd - 2; d >= 0; --d) stride[d] = stride[d + 1] * p.dims[d + 1];
  std::unique_ptr<In[]> out(new In[p.in_size]);
  std::vector<int64_t> idx(nd, 0);
  for (int64_t o = 0; o < p.in_size; ++o) {
    int64_t src = 0;
    for (int k = 0; k < nd; ++k) src += idx[k] * stride[perm[k]];
    out[o] = x[src];
    for (int k = nd - 1; k >= 0; --k) {
      if (++idx[k] < p.dims[perm[k]]) break;
      idx[k] = 0;
    }
  }
  return out;
}

// Reduces `x` (p.in_size elements, p.dims layout, non-empty) into out[p.out_size].
template <class Op, class A, class In>
void reduce_layout(OpContext& ctx, const In* x, const ReducePlan& p, A* out) {
  const auto& d = p.dims;
  auto rows = [&](const In* base, int64_t n_rows, int64_t width) {
    ctx.parallel_for(n_rows, double(width), [&](int64_t b, int64_t e) {
      for (int64_t r = b; r < e; ++r)
        out[r] = reduce_run<Op, A>(base + r * width, r * width, width);
    });
  };
  if (d.empty()) {  // every dim is 1
    out[0] = Op::apply(Op::template init<A>(), A(x[0]));
  } else if (d.size() == 1) {
    out[0] = reduce_run<Op, A>(x, 0, d[0]);
  } else if (d.size() == 2 && !p.reduce_first) {
    rows(x, d[0], d[1]);
  } else if (d.size() == 2) {
    reduce_middle<Op, A>(ctx, x, 1, d[0], d[1], out);
  } else if (d.size() == 3 && !p.reduce_first) {
    reduce_middle<Op, A>(ctx, x, d[0], d[1], d[2], out);
  } else if (d.size() == 3) {
    // Reducing dims 0 and 2: Eigen loops dim 2 outside, dim 0 inside.
    ctx.parallel_for(d[1], double(d[0] * d[2]), [&](int64_t b, int64_t e) {
      for (int64_t j = b; j < e; ++j) {
        A acc = Op::template init<A>();
        for (int64_t k = 0; k < d[2]; ++k)
          for (int64_t i = 0; i < d[0]; ++i) acc = Op::apply(acc, A(x[(i * d[1] + j) * d[2] + k]));
        out[j] = acc;
      }
    });
  } else {
    std::unique_ptr<In[]> shuffled = shuffle_kept_first(x, p);
    rows(shuffled.get(), p.out_size, p.in_size / p.out_size);
  }
}

// The accumulation type TF uses: bfloat16 sums in float, Mean of narrow
// integers in 64 bits.
template <class T, bool kMean>
using AccT = std::conditional_t<
    std::is_same_v<T, BFloat16>, float,
    std::conditional_t<kMean && std::is_integral_v<T> && sizeof(T) < 8,
                       std::conditional_t<std::is_signed_v<T>, int64_t, uint64_t>, T>>;

enum class Kind { kSum, kMean, kProd, kMax, kMin, kAll, kAny, kEuclidean };

template <class T, Kind K>
class ReductionKernel : public OpKernel {
 public:
  explicit ReductionKernel(KernelInit& init) {
    if (init.has_attr("keep_dims")) init.get("keep_dims", &keep_dims_);
  }

  Status compute(OpContext& ctx) override {
    const Tensor& data = ctx.input(0);
    const Tensor& axes = ctx.input(1);
    MR_REQUIRE(axes.dtype() == DType::kInt32 || axes.dtype() == DType::kInt64,
               "reduction_indices must be int32 or int64, got ", dtype_name(axes.dtype()));
    ReducePlan p;
    MR_RETURN_IF_ERROR(simplify(data, axes, keep_dims_, &p));
    const bool trivial = p.dims.empty() || (p.dims.size() == 1 && !p.reduce_first);
    if (trivial && K != Kind::kEuclidean) {
      ctx.set_output(0, data.reshaped(p.out_shape));
      return Status();
    }
    Tensor& out = ctx.allocate_output(0, p.out_shape);
    T* y = out.data<T>();
    if (p.out_size == 0) return Status();
    if constexpr (K == Kind::kEuclidean) return euclidean(ctx, data, trivial, &p, y);
    else run(ctx, data.data<T>(), p, y);
    return Status();
  }

 private:
  template <class Op, class A>
  static void reduce_into(OpContext& ctx, const T* x, const ReducePlan& p, A* acc) {
    if (p.in_size == 0) std::fill(acc, acc + p.out_size, Op::template init<A>());
    else reduce_layout<Op, A>(ctx, x, p, acc);
  }

  static void run(OpContext& ctx, const T* x, const ReducePlan& p, T* y) {
    if constexpr (K == Kind::kProd) reduce_into<ProdOp, T>(ctx, x, p, y);
    else if constexpr (K == Kind::kMax) reduce_into<MaxOp, T>(ctx, x, p, y);
    else if constexpr (K == Kind::kMin) reduce_into<MinOp, T>(ctx, x, p, y);
    else if constexpr (K == Kind::kAll) reduce_into<AndOp, T>(ctx, x, p, y);
    else if constexpr (K == Kind::kAny) reduce_into<OrOp, T>(ctx, x, p, y);
    else {
      using A = AccT<T, K == Kind::kMean>;
      std::vector<A> tmp;
      A* acc = reinterpret_cast<A*>(y);
      if constexpr (!std::is_same_v<A, T>) {
        tmp.resize(p.out_size);
        acc = tmp.data();
      }
      reduce_into<SumOp, A>(ctx, x, p, acc);
      if constexpr (K == Kind::kMean) {
        if (p.in_size == 0) {  // TF's Mean identity: NaN for real floats
          if constexpr (is_float_v<T>) std::fill(y, y + p.out_size, T(std::nanf("")));
          else std::fill(y, y + p.out_size, T(0));
          return;
        }
        // Half divides in half (count rounded to half); others in A.
        using D = std::conditional_t<std::is_same_v<T, Half>, Half, A>;
        const auto count = Compute<D>(D(p.in_size / p.out_size));
        for (int64_t i = 0; i < p.out_size; ++i) y[i] = T(D(Compute<D>(D(acc[i])) / count));
      } else if constexpr (!std::is_same_v<A, T>) {
        for (int64_t i = 0; i < p.out_size; ++i) y[i] = T(acc[i]);
      }
    }
  }

  // sqrt(sum(x * conj(x))): squares first (in T, bfloat16 in float), then the sum.
  static Status euclidean(OpContext& ctx, const Tensor& data, bool trivial, ReducePlan* p, T* y) {
    using A = AccT<T, false>;
    const T* x = data.data<T>();
    std::vector<A> sq(p->in_size);
    for (int64_t i = 0; i < p->in_size; ++i) {
      A v = A(x[i]);
      if constexpr (is_complex_v<A>) sq[i] = v * std::conj(v);
      else sq[i] = A(Compute<A>(v) * Compute<A>(v));
    }
    std::vector<A> acc(p->out_size);
    if (trivial) {  // TF still sums each element with zero
      for (int64_t i = 0; i < p->in_size; ++i) acc[i] = SumOp::apply(A(0), sq[i]);
    } else if (p->in_size == 0) {
      std::fill(acc.begin(), acc.end(), A(0));
    } else {
      reduce_layout<SumOp, A>(ctx, sq.data(), *p, acc.data());
    }
    for (int64_t i = 0; i < p->out_size; ++i) {
      if constexpr (is_complex_v<A> || std::is_floating_point_v<A>) y[i] = T(std::sqrt(acc[i]));
      else if constexpr (is_half_v<A>) y[i] = T(std::sqrt(float(acc[i])));
      else y[i] = T(static_cast<A>(std::sqrt(static_cast<double>(acc[i]))));
    }
    return Status();
  }

  bool keep_dims_ = false;
};

// L2Loss: sum(t^2 / 2) over all elements, in TF's full-reduction order.
template <class T>
class L2LossKernel : public OpKernel {
 public:
  explicit L2LossKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    const Tensor& t = ctx.input(0);
    using A = AccT<T, false>;
    const T* x = t.data<T>();
    const int64_t n = t.num_elements();
    std::vector<A> half_sq(n);
    for (int64_t i = 0; i < n; ++i) {
      const auto v = Compute<A>(A(x[i]));
      half_sq[i] = A(Compute<A>(A(v * v)) * Compute<A>(A(0.5f)));
    }
    Tensor& out = ctx.allocate_output(0, {});
    out.data<T>()[0] = T(n == 0 ? A(0) : reduce_run<SumOp, A>(half_sq.data(), 0, n));
    return Status();
  }
};

template <Kind K>
auto reduction = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<ReductionKernel<decltype(tag), K>>(init);
};

// All and Any have no T attr: the data is always bool.
template <Kind K>
std::unique_ptr<OpKernel> bool_reduction(KernelInit& init) {
  return new_kernel<ReductionKernel<bool, K>>(init);
}

}  // namespace

void register_reduction_ops(Registry& r) {
  r.add<NumberTypes>("Sum", reduction<Kind::kSum>);
  r.add<NumberTypes>("Mean", reduction<Kind::kMean>);
  r.add<NumberTypes>("Prod", reduction<Kind::kProd>);
  r.add<RealTypes>("Max", reduction<Kind::kMax>);
  r.add<RealTypes>("Min", reduction<Kind::kMin>);
  r.add<NumberTypes>("EuclideanNorm", reduction<Kind::kEuclidean>);
  r.add("All", bool_reduction<Kind::kAll>);
  r.add("Any", bool_reduction<Kind::kAny>);
  r.add<FloatTypes>("L2Loss", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<L2LossKernel<decltype(tag)>>(init);
  });
}

}  // namespace metarun
