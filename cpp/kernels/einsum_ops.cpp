// Einsum with one or two operands, any labels and ellipses (broadcast
// batch dims). Each operand first sums away the labels nobody else needs;
// two operands then become one batched GEMM: A as [batch, free_a, contracted],
// B as [batch, contracted, free_b], and the result is permuted to the output
// order. Repeated labels within one operand (diagonals) are not supported.
#include <algorithm>
#include <cctype>
#include <map>

#include "kernels/util/blas.h"
#include "framework/registry.h"

namespace metarun {
namespace {

using Labels = std::vector<int>;
constexpr int kEllipsisBase = 1000;  // label of the i-th ellipsis dim from the right: base + i

// An operand on its way through: labels, dims and elements in row-major order.
template <class A>
struct Operand {
  Labels labels;
  Shape dims;
  std::vector<A> data;
};

template <class A>
Operand<A> permuted(const Operand<A>& in, const std::vector<int>& perm) {
  Operand<A> out;
  const int rank = static_cast<int>(perm.size());
  std::vector<int64_t> in_strides(rank, 1);
  for (int d = rank - 2; d >= 0; --d) in_strides[d] = in_strides[d + 1] * in.dims[d + 1];
  std::vector<int64_t> step(rank);
  for (int d = 0; d < rank; ++d) {
    out.labels.push_back(in.labels[perm[d]]);
    out.dims.push_back(in.dims[perm[d]]);
    step[d] = in_strides[perm[d]];
  }
  out.data.resize(in.data.size());
  std::vector<int64_t> idx(rank, 0);
  int64_t src = 0;
  for (size_t i = 0; i < out.data.size(); ++i) {
    out.data[i] = in.data[src];
    for (int d = rank - 1; d >= 0; --d) {  // odometer over the output index
      src += step[d];
      if (++idx[d] < out.dims[d]) break;
      src -= step[d] * out.dims[d];
      idx[d] = 0;
    }
  }
  return out;
}

// Sums away every label `keep` rejects.
template <class A, class Keep>
Operand<A> reduced(const Operand<A>& in, Keep keep) {
  std::vector<int> perm, dropped;
  for (int d = 0; d < static_cast<int>(in.labels.size()); ++d) (keep(in.labels[d]) ? perm : dropped).push_back(d);
  if (dropped.empty()) return in;
  const size_t kept = perm.size();
  perm.insert(perm.end(), dropped.begin(), dropped.end());
  Operand<A> p = permuted(in, perm);
  const int64_t inner = dims_product(p.dims, kept, p.dims.size());
  Operand<A> out;
  out.labels.assign(p.labels.begin(), p.labels.begin() + kept);
  out.dims.assign(p.dims.begin(), p.dims.begin() + kept);
  out.data.assign(num_elements(out.dims), A(0));
  for (size_t r = 0; r < out.data.size(); ++r)
    for (int64_t i = 0; i < inner; ++i) out.data[r] += p.data[r * inner + i];
  return out;
}

// Orders `op`'s dims as the label groups given, one after another.
template <class A>
Operand<A> grouped(const Operand<A>& op, std::initializer_list<const Labels*> groups) {
  std::vector<int> perm;
  for (const Labels* g : groups)
    for (int l : *g) perm.push_back(static_cast<int>(std::find(op.labels.begin(), op.labels.end(), l) - op.labels.begin()));
  return permuted(op, perm);
}

bool has(const Labels& ls, int l) { return std::find(ls.begin(), ls.end(), l) != ls.end(); }

struct Equation {
  std::vector<std::string> inputs;
  std::string output;
};

Status parse(const std::string& eq, int num_inputs, Equation* out) {
  std::string lhs = eq;
  const size_t arrow = eq.find("->");
  // The raw op (unlike tf.einsum in Python) has no implicit output mode.
  if (arrow == std::string::npos || eq.find("->", arrow + 2) != std::string::npos)
    return invalid_argument(str_cat("Equation must contain exactly one '->': ", eq));
  lhs = eq.substr(0, arrow);
  out->output = eq.substr(arrow + 2);
  size_t start = 0;
  for (size_t comma; (comma = lhs.find(',', start)) != std::string::npos; start = comma + 1)
    out->inputs.push_back(lhs.substr(start, comma - start));
  out->inputs.push_back(lhs.substr(start));
  if (static_cast<int>(out->inputs.size()) != num_inputs)
    return invalid_argument(str_cat("Expecting ", out->inputs.size(), " inputs but got ", num_inputs,
                                    " for equation ", eq));
  if (num_inputs < 1 || num_inputs > 2)
    return invalid_argument(str_cat("Einsum with ", num_inputs, " operands is not supported: ", eq));
  for (char ch : eq)
    if (!std::isalpha(static_cast<unsigned char>(ch)) && std::string(",.->").find(ch) == std::string::npos && ch != ' ')
      return invalid_argument(str_cat("Invalid character '", ch, "' in equation: ", eq));
  return Status();
}

// Expands a subscript ("ab...c") for an operand of `rank` dims.
Status expand(const std::string& sub, int rank, bool has_rank, Labels* out, int* ellipsis_dims) {
  const size_t dots = sub.find("...");
  std::string letters = sub;
  if (dots != std::string::npos) letters.erase(dots, 3);
  for (char ch : letters)
    if (ch == '.') return invalid_argument(str_cat("Invalid ellipsis in subscript '", sub, "'"));
  const int n_letters = static_cast<int>(std::count_if(letters.begin(), letters.end(), [](char c) { return c != ' '; }));
  *ellipsis_dims = dots == std::string::npos ? 0 : (has_rank ? rank - n_letters : *ellipsis_dims);
  if (has_rank && (*ellipsis_dims < 0 || (dots == std::string::npos && n_letters != rank)))
    return invalid_argument(str_cat("Expected input to have rank ", n_letters, " but got: ", rank, " for subscript '",
                                    sub, "'"));
  for (size_t i = 0; i < sub.size(); ++i) {
    if (i == dots) {
      for (int e = *ellipsis_dims - 1; e >= 0; --e) out->push_back(kEllipsisBase + e);
      i += 2;
    } else if (sub[i] != ' ') {
      out->push_back(sub[i]);
    }
  }
  return Status();
}

template <class T>
class EinsumKernel : public OpKernel {
  using A = GemmType<T>;

 public:
  explicit EinsumKernel(KernelInit& init) {
    std::string eq;
    init.get("equation", &eq);
    if (!init.status().ok()) return;
    Status s = parse(eq, init.num_inputs(), &eq_);
    if (!s.ok()) init.fail(s);
  }

  Status compute(OpContext& ctx) override {
    std::vector<Operand<A>> ops(ctx.num_inputs());
    std::map<int, int64_t> size;
    int max_ellipsis = 0;
    for (int i = 0; i < ctx.num_inputs(); ++i) {
      const Tensor& t = ctx.input(i);
      int ell = 0;
      MR_RETURN_IF_ERROR(expand(eq_.inputs[i], t.rank(), true, &ops[i].labels, &ell));
      max_ellipsis = std::max(max_ellipsis, ell);
      Labels kept;
      for (int d = 0; d < t.rank(); ++d) {
        const int l = ops[i].labels[d];
        if (std::count(ops[i].labels.begin(), ops[i].labels.end(), l) > 1)
          return invalid_argument(str_cat("Einsum: repeated label in '", eq_.inputs[i], "' is not supported"));
        if (l >= kEllipsisBase && t.dim(d) == 1) continue;  // broadcasts: drop the dim
        auto it = size.find(l);
        if (it != size.end() && it->second != t.dim(d))
          return invalid_argument(str_cat("Expected dimension ", it->second, " at axis ", d, " of input shaped ",
                                          shape_str(t.shape()), " but got dimension ", t.dim(d)));
        size[l] = t.dim(d);
        kept.push_back(l);
        ops[i].dims.push_back(t.dim(d));
      }
      ops[i].labels = kept;
      ops[i].data.resize(t.num_elements());
      const T* src = t.data<T>();
      for (int64_t j = 0; j < t.num_elements(); ++j) ops[i].data[j] = static_cast<A>(src[j]);
    }
    Labels out_labels;
    MR_RETURN_IF_ERROR(output_labels(max_ellipsis, &out_labels));
    Shape out_shape;
    for (int l : out_labels) {
      bool known = size.count(l) > 0;
      if (!known && l < kEllipsisBase)
        return invalid_argument(str_cat("Output subscript contains a label not in the inputs: ", eq_.output));
      out_shape.push_back(known ? size[l] : 1);
    }
    Operand<A> result = ops.size() == 1 ? single(ops[0], out_labels) : pair(ctx, ops[0], ops[1], out_labels, size);
    // Ellipsis dims that were 1 everywhere come back as 1.
    Labels present;
    for (int l : out_labels)
      if (size.count(l)) present.push_back(l);
    result = grouped(result, {&present});
    Tensor& out = ctx.allocate_output(0, out_shape);
    T* dst = out.data<T>();
    for (size_t i = 0; i < result.data.size(); ++i) dst[i] = static_cast<T>(result.data[i]);
    return Status();
  }

 private:
  Status output_labels(int ellipsis_dims, Labels* out) const {
    int ell = ellipsis_dims;
    MR_RETURN_IF_ERROR(expand(eq_.output, 0, false, out, &ell));
    for (int l : *out)
      if (std::count(out->begin(), out->end(), l) > 1)
        return invalid_argument(str_cat("Output subscript contains repeated labels: ", eq_.output));
    return Status();
  }

  static Operand<A> single(const Operand<A>& op, const Labels& out) {
    return reduced(op, [&](int l) { return has(out, l); });
  }

  static Operand<A> pair(OpContext& ctx, const Operand<A>& a0, const Operand<A>& b0, const Labels& out,
                         const std::map<int, int64_t>& size) {
    Operand<A> a = reduced(a0, [&](int l) { return has(out, l) || has(b0.labels, l); });
    Operand<A> b = reduced(b0, [&](int l) { return has(out, l) || has(a0.labels, l); });
    Labels batch, contract, free_a, free_b;
    for (int l : a.labels) {
      if (!has(b.labels, l)) free_a.push_back(l);
      else (has(out, l) ? batch : contract).push_back(l);
    }
    for (int l : b.labels)
      if (!has(a.labels, l)) free_b.push_back(l);
    a = grouped(a, {&batch, &free_a, &contract});
    b = grouped(b, {&batch, &contract, &free_b});
    auto prod = [&](const Labels& ls) {
      int64_t p = 1;
      for (int l : ls) p *= size.at(l);
      return p;
    };
    const int64_t nb = prod(batch);
    GemmArgs g;
    g.m = prod(free_a);
    g.k = prod(contract);
    g.n = prod(free_b);
    g.lda = g.k;
    g.ldb = g.n;
    g.ldc = g.n;
    Operand<A> r;
    for (const Labels* ls : {&batch, &free_a, &free_b})
      for (int l : *ls) {
        r.labels.push_back(l);
        r.dims.push_back(size.at(l));
      }
    r.data.assign(nb * g.m * g.n, A(0));
    if (nb == 1) {
      parallel_gemm(ctx.pool(), g, a.data.data(), b.data.data(), r.data.data());
    } else {
      ctx.parallel_for(nb, 0.1 * static_cast<double>(g.m * g.n * g.k) + 50, [&](int64_t lo, int64_t hi) {
        for (int64_t i = lo; i < hi; ++i)
          gemm(g, a.data.data() + i * g.m * g.k, b.data.data() + i * g.k * g.n, r.data.data() + i * g.m * g.n);
      });
    }
    return r;
  }

  Equation eq_;
};

auto einsum = [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
  return new_kernel<EinsumKernel<decltype(tag)>>(init);
};

}  // namespace

void register_einsum_ops(Registry& r) {
  r.add<TypeList<float, double, Half, BFloat16, int32_t, int64_t, complex64, complex128>>("Einsum", einsum);
}

}  // namespace metarun
