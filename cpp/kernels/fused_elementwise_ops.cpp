// _FusedElementwise: a group of float32 elementwise nodes that the plan-time
// fusion pass (executor/fusion.h) runs as one node. Attrs: `ops` names each
// step's op type (Tanh, AddV2, ...), `args` gives two operands per step (an
// input k as k, step j as num_inputs + j, none as -1); the last step is the
// node's output. Each block of elements goes through every step while it is
// in L1, and only the output is written to memory.
//
// Every element is computed by the function the op's own kernel applies
// (elementwise_fns.h, activations.h), so the group gives the separate nodes'
// bits. An operand that is a scalar or a row ([C], [1,..,C]) broadcast over
// the output is computed once per run at its own size, as the separate kernel
// would compute it before broadcasting.
//
// Shapes are a run-time matter: when the inputs are not one shape S plus
// scalars and rows broadcast to S, or the output would not be S, the kernel
// computes nothing and returns decline_fusion() (framework/fusion_decline.h); the
// executor then runs the group's own nodes (their errors, their node names).
#include <algorithm>
#include <cstring>
#include <map>

#include "framework/fusion_decline.h"
#include "framework/registry.h"
#include "kernels/util/activations.h"
#include "kernels/util/elementwise.h"
#include "kernels/util/elementwise_fns.h"

namespace metarun {
namespace {

enum class Op { kNeg, kSquare, kAbs, kSqrt, kRsqrt, kExp, kLog, kReciprocal, kRelu, kRelu6, kTanh, kSigmoid,
                kAdd, kSub, kMul, kRealDiv, kMaximum, kMinimum, kSquaredDifference };

struct OpInfo {
  Op op;
  int arity;
  double cost;  // ns per element, as the op's own kernel counts it
};

const std::map<std::string, OpInfo>& op_table() {
  static const std::map<std::string, OpInfo> table = {
      {"Neg", {Op::kNeg, 1, NegFn::kCost}},
      {"Square", {Op::kSquare, 1, SquareFn::kCost}},
      {"Abs", {Op::kAbs, 1, AbsFn::kCost}},
      {"Sqrt", {Op::kSqrt, 1, SqrtFn::kCost}},
      {"Rsqrt", {Op::kRsqrt, 1, RsqrtFn::kCost}},
      {"Exp", {Op::kExp, 1, ExpFn::kCost}},
      {"Log", {Op::kLog, 1, LogFn::kCost}},
      {"Reciprocal", {Op::kReciprocal, 1, ReciprocalFn::kCost}},
      {"Inv", {Op::kReciprocal, 1, ReciprocalFn::kCost}},
      {"Relu", {Op::kRelu, 1, ReluFn::kCost}},
      {"Relu6", {Op::kRelu6, 1, Relu6Fn::kCost}},
      {"Tanh", {Op::kTanh, 1, kCheapCost}},
      {"Sigmoid", {Op::kSigmoid, 1, kCheapCost}},
      {"Add", {Op::kAdd, 2, AddFn::kCost}},
      {"AddV2", {Op::kAdd, 2, AddFn::kCost}},
      {"Sub", {Op::kSub, 2, SubFn::kCost}},
      {"Mul", {Op::kMul, 2, MulFn::kCost}},
      {"RealDiv", {Op::kRealDiv, 2, RealDivFn::kCost}},
      {"Maximum", {Op::kMaximum, 2, MaximumFn::kCost}},
      {"Minimum", {Op::kMinimum, 2, MinimumFn::kCost}},
      {"SquaredDifference", {Op::kSquaredDifference, 2, SquaredDifferenceFn::kCost}},
  };
  return table;
}

template <class Fn>
void unary_row(const float* a, float* z, int64_t n) {
  const Fn fn;
  for (int64_t i = 0; i < n; ++i) z[i] = fn(a[i]);
}

// BinaryKernel's row: SIMD lanes for functors that have them (the same one
// IEEE operation per element), else the scalar functor.
template <class Fn>
void binary_row(const float* a, bool as, const float* b, bool bs, float* z, int64_t n) {
  if constexpr (Fn::kLanes) {
    if (n >= 16) return float_lane_row<Fn>(a, as, b, bs, z, n);
  }
  const Fn fn;
  for (int64_t i = 0; i < n; ++i) z[i] = fn(a[as ? i : 0], b[bs ? i : 0]);
}

// z[i] = op(a[i], b[i]) for i < n; an operand that does not step is one
// value repeated. Unary operands always step.
void apply(Op op, const float* a, bool as, const float* b, bool bs, float* z, int64_t n) {
  switch (op) {
    case Op::kNeg: return unary_row<NegFn>(a, z, n);
    case Op::kSquare: return unary_row<SquareFn>(a, z, n);
    case Op::kAbs: return unary_row<AbsFn>(a, z, n);
    case Op::kSqrt: return unary_row<SqrtFn>(a, z, n);
    case Op::kRsqrt: return unary_row<RsqrtFn>(a, z, n);
    case Op::kExp: return unary_row<ExpFn>(a, z, n);
    case Op::kLog: return unary_row<LogFn>(a, z, n);
    case Op::kReciprocal: return unary_row<ReciprocalFn>(a, z, n);
    case Op::kRelu: return unary_row<ReluFn>(a, z, n);
    case Op::kRelu6: return unary_row<Relu6Fn>(a, z, n);
    case Op::kTanh: return tanh_n(a, z, n);
    case Op::kSigmoid: return sigmoid_n(a, z, n);
    case Op::kAdd: return binary_row<AddFn>(a, as, b, bs, z, n);
    case Op::kSub: return binary_row<SubFn>(a, as, b, bs, z, n);
    case Op::kMul: return binary_row<MulFn>(a, as, b, bs, z, n);
    case Op::kRealDiv: return binary_row<RealDivFn>(a, as, b, bs, z, n);
    case Op::kMaximum: return binary_row<MaximumFn>(a, as, b, bs, z, n);
    case Op::kMinimum: return binary_row<MinimumFn>(a, as, b, bs, z, n);
    case Op::kSquaredDifference: return binary_row<SquaredDifferenceFn>(a, as, b, bs, z, n);
  }
}

// How a value spreads over the output: one element, one row of the last
// dimension, or the output's whole shape. Binary steps take the wider.
enum Kind : int { kScalar = 0, kRow = 1, kFull = 2 };

constexpr int64_t kBlock = 1024;     // floats per step buffer: the live ones stay in L1
constexpr int64_t kMaxRow = 8192;    // longer broadcast rows run unfused
constexpr int kMaxSteps = 64;        // the fusion pass makes no longer programs
constexpr int kMaxValues = 3 * kMaxSteps;  // inputs (at most two per step) and steps

struct Step {
  Op op;
  int a = -1, b = -1;  // operands: input k, or num_inputs + step
  int slot = -1;       // block buffer of a full-size result (the last step writes the output)
};

class FusedElementwiseKernel : public OpKernel {
 public:
  explicit FusedElementwiseKernel(KernelInit& init) : num_inputs_(init.num_inputs()) {
    std::vector<std::string> ops;
    std::vector<int64_t> args;
    init.get("ops", &ops);
    init.get("args", &args);
    if (!init.status().ok()) return;
    if (ops.empty() || ops.size() > kMaxSteps || args.size() != 2 * ops.size() || init.num_outputs() != 1 ||
        init.num_inputs() > 2 * kMaxSteps) {
      init.fail(invalid_argument(str_cat("_FusedElementwise ", init.name(), ": malformed program")));
      return;
    }
    for (int i = 0; i < init.num_inputs(); ++i) {
      if (base_type(init.input_type(i)) != DType::kFloat) {
        init.fail(invalid_argument(str_cat("_FusedElementwise ", init.name(), " takes float inputs")));
        return;
      }
    }
    for (size_t s = 0; s < ops.size(); ++s) {
      auto it = op_table().find(ops[s]);
      if (it == op_table().end()) {
        init.fail(unimplemented(str_cat("_FusedElementwise: op ", ops[s], " is not fusable")));
        return;
      }
      Step st;
      st.op = it->second.op;
      st.a = static_cast<int>(args[2 * s]);
      st.b = static_cast<int>(args[2 * s + 1]);
      const int limit = num_inputs_ + static_cast<int>(s);  // operands come before their step
      const bool ok = st.a >= 0 && st.a < limit &&
                      (it->second.arity == 2 ? st.b >= 0 && st.b < limit : st.b == -1);
      if (!ok) {
        init.fail(invalid_argument(str_cat("_FusedElementwise ", init.name(), ": bad operands")));
        return;
      }
      cost_ += it->second.cost;
      steps_.push_back(st);
    }
    assign_slots();
  }

  Status compute(OpContext& ctx) override {
    const int ni = num_inputs_;
    const int ns = static_cast<int>(steps_.size());
    // The output's shape: the input of the highest rank with the most
    // elements; every other input must be it, a scalar or a row broadcast to it.
    int widest = 0;
    for (int i = 1; i < ni; ++i) {
      const Tensor& t = ctx.input(i);
      const Tensor& w = ctx.input(widest);
      if (t.rank() > w.rank() || (t.rank() == w.rank() && t.num_elements() > w.num_elements())) widest = i;
    }
    const Shape& shape = ctx.input(widest).shape();
    const int64_t total = num_elements(shape);
    const int rank = static_cast<int>(shape.size());
    const int64_t width = rank > 0 ? shape[rank - 1] : 1;
    int8_t kind[kMaxValues];
    bool any_row = false, any_small_step = false;
    for (int i = 0; i < ni; ++i) {
      const Tensor& t = ctx.input(i);
      if (t.shape() == shape) kind[i] = kFull;
      else if (t.rank() <= rank && t.num_elements() == 1) kind[i] = kScalar;
      else if (t.rank() <= rank && t.rank() >= 1 && t.shape()[t.rank() - 1] == width && t.num_elements() == width &&
               width <= kMaxRow)
        kind[i] = kRow;
      else return decline_fusion();
      any_row |= kind[i] == kRow;
    }
    for (int s = 0; s < ns; ++s) {
      const Step& st = steps_[s];
      kind[ni + s] = std::max(kind[st.a], st.b >= 0 ? kind[st.b] : int8_t{0});
      any_small_step |= kind[ni + s] != kFull;
    }
    if (kind[ni + ns - 1] != kFull) return decline_fusion();

    // Where each value's elements are: a full input at its offset in the
    // tensor, a full step in its block buffer, a scalar or row value (input,
    // or step computed here once per run at its own size) in `small`, a row
    // tiled to a block's length in `tiled`.
    const int64_t block = width <= 0 ? kBlock : kBlock >= width ? (kBlock / width) * width : width;
    const float* at[kMaxValues];
    std::vector<float> arena;
    if (any_row || any_small_step) {
      int64_t need = 0;
      for (int v = 0; v < ni + ns; ++v)
        need += (v >= ni && kind[v] != kFull ? (kind[v] == kRow ? width : 1) : 0) + (kind[v] == kRow ? block : 0);
      arena.resize(need);
    }
    float* next = arena.data();
    for (int i = 0; i < ni; ++i) at[i] = ctx.input(i).data<float>();
    for (int s = 0; s < ns; ++s) {
      const int v = ni + s;
      if (kind[v] == kFull) continue;
      const Step& st = steps_[s];
      const int64_t n = kind[v] == kRow ? width : 1;
      float* out = next;
      next += n;
      apply(st.op, at[st.a], kind[st.a] == kRow, st.b >= 0 ? at[st.b] : nullptr, st.b >= 0 && kind[st.b] == kRow,
            out, n);
      at[v] = out;
    }
    for (int v = 0; v < ni + ns; ++v) {  // rows repeat across a block: blocks start at a row's start
      if (kind[v] != kRow) continue;
      float* tiled = next;
      next += block;
      for (int64_t o = 0; o < block; o += width) std::memcpy(tiled + o, at[v], width * sizeof(float));
      at[v] = tiled;
    }

    // The output may take over a full input nothing else holds: each block
    // reads its inputs' elements before the last step writes the same ones.
    Tensor* out = nullptr;
    for (int i = 0; i < ni && !out; ++i)
      if (kind[i] == kFull) out = &ctx.forward_or_allocate_output(i, 0, shape);
    float* z = out->data<float>();
    auto run_blocks = [&](int64_t b0, int64_t b1) {
      thread_local std::vector<float> scratch;
      if (scratch.size() < static_cast<size_t>(num_slots_ * block)) scratch.resize(num_slots_ * block);
      float* buffers = scratch.data();
      for (int64_t bi = b0; bi < b1; ++bi) {
        const int64_t lo = bi * block;
        const int64_t n = std::min(block, total - lo);
        auto operand = [&](int v) -> const float* {
          if (kind[v] != kFull) return at[v];
          if (v < ni) return at[v] + lo;
          const int slot = steps_[v - ni].slot;
          return slot < 0 ? z + lo : buffers + slot * block;
        };
        for (int s = 0; s < ns; ++s) {
          const Step& st = steps_[s];
          if (kind[ni + s] != kFull) continue;
          float* pz = st.slot < 0 ? z + lo : buffers + st.slot * block;
          apply(st.op, operand(st.a), kind[st.a] != kScalar, st.b >= 0 ? operand(st.b) : nullptr,
                st.b >= 0 && kind[st.b] != kScalar, pz, n);
        }
      }
    };
    const int64_t num_blocks = (total + block - 1) / block;
    if (num_blocks <= 1) run_blocks(0, num_blocks);
    else ctx.parallel_for(num_blocks, cost_ * static_cast<double>(block), run_blocks);
    return Status();
  }

 private:
  // Block buffers for the steps' results, each freed after its last reader
  // (a step may write over an operand it is the last to read).
  void assign_slots() {
    const int ns = static_cast<int>(steps_.size());
    std::vector<int> last_use(ns, -1);
    for (int s = 0; s < ns; ++s)
      for (int v : {steps_[s].a, steps_[s].b})
        if (v >= num_inputs_) last_use[v - num_inputs_] = s;
    std::vector<int> free_slots;
    for (int s = 0; s < ns; ++s) {
      for (int v : {steps_[s].a, steps_[s].b})
        if (v >= num_inputs_ && last_use[v - num_inputs_] == s && steps_[v - num_inputs_].slot >= 0 &&
            std::find(free_slots.begin(), free_slots.end(), steps_[v - num_inputs_].slot) == free_slots.end())
          free_slots.push_back(steps_[v - num_inputs_].slot);
      if (s == ns - 1) break;  // the output step writes the output
      if (free_slots.empty()) {
        steps_[s].slot = num_slots_++;
      } else {
        steps_[s].slot = free_slots.back();
        free_slots.pop_back();
      }
    }
  }

  int num_inputs_;
  std::vector<Step> steps_;
  int num_slots_ = 0;
  double cost_ = 0;
};

}  // namespace

void register_fused_elementwise_ops(Registry& r) {
  r.add<TypeList<float>>("_FusedElementwise", [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<FusedElementwiseKernel>(init);
  });
}

}  // namespace metarun
