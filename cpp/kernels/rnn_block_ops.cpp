// The fused LSTM ops of TF 1.x's tf.contrib.rnn (LSTMBlockCell, LSTMBlockFusedCell):
// LSTMBlockCell, BlockLSTM, BlockLSTMV2 and their gradients. One weight matrix w
// [input + cell, 4 * cell] maps [x, h_prev] to the four gate blocks, laid out
// i, ci, f, o (ICFO) in the V1 ops and i, f, ci, o (IFCO) in BlockLSTMV2, whose
// forget_bias is always 0. A cell_clip <= 0 leaves the cell state unclipped.
// Every product and activation runs in float; for float16 each elementwise
// result is rounded to half as Eigen::half arithmetic does.
#include <algorithm>
#include <vector>

#include "kernels/util/activations.h"
#include "kernels/util/rnn_cell.h"

namespace metarun {
namespace {

enum class Layout { kICFO, kIFCO };

struct LstmDims {
  int64_t batch = 0, input = 0, cell = 0;
  int64_t bc() const { return batch * cell; }
};

struct LstmAttrs {
  float forget_bias = 0;
  float cell_clip = 0;
  bool peephole = false;
  Layout layout = Layout::kICFO;
  int64_t c_offset(int64_t cell) const { return layout == Layout::kICFO ? cell : 2 * cell; }
  int64_t f_offset(int64_t cell) const { return layout == Layout::kICFO ? 2 * cell : cell; }
};

struct LstmWeights {
  const float *w, *wci, *wcf, *wco, *b;
};

// The seven per-step values, each [batch, cell].
struct LstmState {
  float *i, *cs, *f, *o, *ci, *co, *h;
  LstmState at(int64_t off) const { return {i + off, cs + off, f + off, o + off, ci + off, co + off, h + off}; }
};

// One step forward; xh [batch, input + cell] and gates [batch, 4 * cell] are scratch.
template <class T>
void lstm_step(OpContext& ctx, const LstmAttrs& a, const LstmDims& d, const LstmWeights& wt, const float* x,
               const float* cs_prev, const float* h_prev, float* xh, float* gates, const LstmState& s) {
  const int64_t B = d.batch, I = d.input, C = d.cell, n = d.bc();
  for (int64_t r = 0; r < B; ++r) {
    std::copy(x + r * I, x + (r + 1) * I, xh + r * (I + C));
    std::copy(h_prev + r * C, h_prev + (r + 1) * C, xh + r * (I + C) + I);
  }
  rnn_gemm(ctx, false, false, B, 4 * C, I + C, xh, I + C, wt.w, 4 * C, gates, 4 * C);
  for (int64_t r = 0; r < B; ++r)
    for (int64_t j = 0; j < 4 * C; ++j) gates[r * 4 * C + j] = rd<T>(rd<T>(gates[r * 4 * C + j]) + wt.b[j]);
  const int64_t co_off = a.c_offset(C), fo_off = a.f_offset(C), oo_off = 3 * C;
  const float fb = rd<T>(a.forget_bias);
  for (int64_t r = 0; r < B; ++r)
    for (int64_t c = 0; c < C; ++c) {
      const float* g = gates + r * 4 * C;
      const int64_t k = r * C + c;
      float pi = g[c], pf = rd<T>(g[fo_off + c] + fb);
      if (a.peephole) {
        pi = rd<T>(pi + rd<T>(cs_prev[k] * wt.wci[c]));
        pf = rd<T>(pf + rd<T>(cs_prev[k] * wt.wcf[c]));
      }
      s.i[k] = pi;
      s.f[k] = pf;
      s.ci[k] = g[co_off + c];
    }
  sigmoid_n(s.i, s.i, n);
  sigmoid_n(s.f, s.f, n);
  tanh_n(s.ci, s.ci, n);
  const float clip = rd<T>(a.cell_clip);
  for (int64_t k = 0; k < n; ++k) {
    s.i[k] = rd<T>(s.i[k]);
    s.f[k] = rd<T>(s.f[k]);
    s.ci[k] = rd<T>(s.ci[k]);
    float cs = rd<T>(rd<T>(s.i[k] * s.ci[k]) + rd<T>(s.f[k] * cs_prev[k]));
    if (a.cell_clip > 0.0f) cs = std::min(std::max(cs, -clip), clip);
    s.cs[k] = cs;
  }
  tanh_n(s.cs, s.co, n);
  for (int64_t r = 0; r < B; ++r)
    for (int64_t c = 0; c < C; ++c) {
      const int64_t k = r * C + c;
      s.co[k] = rd<T>(s.co[k]);
      float po = gates[r * 4 * C + oo_off + c];
      if (a.peephole) po = rd<T>(po + rd<T>(s.cs[k] * wt.wco[c]));
      s.o[k] = po;
    }
  sigmoid_n(s.o, s.o, n);
  for (int64_t k = 0; k < n; ++k) {
    s.o[k] = rd<T>(s.o[k]);
    s.h[k] = rd<T>(s.o[k] * s.co[k]);
  }
}

// The gate gradients of one step (TF's LSTMBlockCellBprop): dgates [batch, 4 * cell]
// in the layout of `a`, cs_prev_grad, and the peephole gradients summed over the batch
// into wci_g/wcf_g/wco_g (added to what they hold).
struct LstmGradIn {
  const float *cs_prev, *i, *cs, *f, *o, *ci, *co, *cs_grad, *h_grad;
};

template <class T>
void lstm_bprop(const LstmAttrs& a, const LstmDims& d, const LstmWeights& wt, const LstmGradIn& in, float* dgates,
                float* cs_prev_grad, float* wci_g, float* wcf_g, float* wco_g) {
  const int64_t B = d.batch, C = d.cell;
  const int64_t co_off = a.c_offset(C), fo_off = a.f_offset(C);
  std::vector<float> si(a.peephole ? C : 0, 0.0f), sf(si), so(si);
  for (int64_t r = 0; r < B; ++r)
    for (int64_t c = 0; c < C; ++c) {
      const int64_t k = r * C + c;
      const float i = in.i[k], f = in.f[k], o = in.o[k], ci = in.ci[k], co = in.co[k];
      const float hg = in.h_grad[k], csp = in.cs_prev[k];
      const float d_o = rd<T>(rd<T>(rd<T>(o * rd<T>(1.0f - o)) * hg) * co);
      float dcs = rd<T>(rd<T>(rd<T>(rd<T>(1.0f - rd<T>(co * co)) * hg) * o) + in.cs_grad[k]);
      if (a.peephole) dcs = rd<T>(dcs + rd<T>(d_o * wt.wco[c]));
      const float dci = rd<T>(rd<T>(rd<T>(1.0f - rd<T>(ci * ci)) * dcs) * i);
      const float df = rd<T>(rd<T>(rd<T>(f * rd<T>(1.0f - f)) * dcs) * csp);
      const float di = rd<T>(rd<T>(rd<T>(i * rd<T>(1.0f - i)) * dcs) * ci);
      float* g = dgates + r * 4 * C;
      g[c] = di;
      g[co_off + c] = dci;
      g[fo_off + c] = df;
      g[3 * C + c] = d_o;
      float cpg = rd<T>(dcs * f);
      if (a.peephole) {
        cpg = rd<T>(rd<T>(cpg + rd<T>(di * wt.wci[c])) + rd<T>(df * wt.wcf[c]));
        si[c] += di * csp;
        sf[c] += df * csp;
        so[c] += d_o * in.cs[k];
      }
      cs_prev_grad[k] = cpg;
    }
  if (a.peephole)
    for (int64_t c = 0; c < C; ++c) {
      wci_g[c] = rd<T>(wci_g[c] + rd<T>(si[c]));
      wcf_g[c] = rd<T>(wcf_g[c] + rd<T>(sf[c]));
      wco_g[c] = rd<T>(wco_g[c] + rd<T>(so[c]));
    }
}

Status check_rank(const Tensor& t, int rank, const char* name) {
  MR_REQUIRE(t.rank() == rank, name, " must be rank ", rank, " but is rank ", t.rank(), ".");
  return Status();
}

Status check_dim(const Tensor& t, int axis, int64_t want, const char* what) {
  MR_REQUIRE(t.dim(axis) == want, what, t.dim(axis), " vs. ", want);
  return Status();
}

// The checks LSTMBlockCell and its Grad share, with TF's messages; `d` gets the sizes.
// TF's kernels read dims before checking ranks and never check the peephole sizes;
// both are checked here so that no shape reads out of bounds.
Status check_cell_inputs(OpContext& ctx, LstmDims* d) {
  const char* names[] = {"x", "cs_prev", "h_prev", "w", "wci", "wcf", "wco", "b"};
  const int ranks[] = {2, 2, 2, 2, 1, 1, 1, 1};
  for (int k = 0; k < 8; ++k) MR_RETURN_IF_ERROR(check_rank(ctx.input(k), ranks[k], names[k]));
  const Tensor &x = ctx.input(0), &cs_prev = ctx.input(1), &h_prev = ctx.input(2), &w = ctx.input(3);
  d->batch = x.dim(0);
  d->input = x.dim(1);
  d->cell = cs_prev.dim(1);
  const int64_t B = d->batch, I = d->input, C = d->cell;
  MR_RETURN_IF_ERROR(check_dim(cs_prev, 0, B, "cs_prev.dims(0) != batch_size: "));
  MR_RETURN_IF_ERROR(check_dim(h_prev, 0, B, "h_prev.dims(0) != batch_size: "));
  MR_RETURN_IF_ERROR(check_dim(h_prev, 1, C, "h_prev.dims(1) != cell_size: "));
  MR_RETURN_IF_ERROR(check_dim(w, 0, I + C, "w.dim_size(0) != input_size + cell_size: "));
  MR_RETURN_IF_ERROR(check_dim(w, 1, 4 * C, "w.dim_size(1) != cell_size * 4: "));
  MR_RETURN_IF_ERROR(check_dim(ctx.input(7), 0, 4 * C, "b.dim_size(0) != cell_size * 4: "));
  MR_RETURN_IF_ERROR(check_dim(ctx.input(4), 0, C, "wci.dim_size(0) != cell_size: "));
  MR_RETURN_IF_ERROR(check_dim(ctx.input(5), 0, C, "wcf.dim_size(0) != cell_size: "));
  MR_RETURN_IF_ERROR(check_dim(ctx.input(6), 0, C, "wco.dim_size(0) != cell_size: "));
  return Status();
}

// Float views of inputs first..first+4 (w, wci, wcf, wco, b).
template <class T>
LstmWeights weights_view(OpContext& ctx, int first, std::vector<float> (&bufs)[5]) {
  return {float_view<T>(ctx.input(first), bufs[0]), float_view<T>(ctx.input(first + 1), bufs[1]),
          float_view<T>(ctx.input(first + 2), bufs[2]), float_view<T>(ctx.input(first + 3), bufs[3]),
          float_view<T>(ctx.input(first + 4), bufs[4])};
}

void read_attrs(KernelInit& init, LstmAttrs* a, Layout layout, bool has_forget_bias) {
  a->layout = layout;
  if (has_forget_bias) init.get("forget_bias", &a->forget_bias);
  init.get("cell_clip", &a->cell_clip);
  init.get("use_peephole", &a->peephole);
}

template <class T>
class LSTMBlockCellKernel : public OpKernel {
 public:
  explicit LSTMBlockCellKernel(KernelInit& init) { read_attrs(init, &attrs_, Layout::kICFO, true); }
  Status compute(OpContext& ctx) override {
    LstmDims d;
    MR_RETURN_IF_ERROR(check_cell_inputs(ctx, &d));
    MR_REQUIRE(d.batch > 0 && d.cell > 0, "cs_prev_tensor is empty, has shape: (", d.batch, ",", d.cell, ").");
    std::vector<float> bufs[5], xb, cb, hb, outs[7];
    const LstmWeights wt = weights_view<T>(ctx, 3, bufs);
    const float* x = float_view<T>(ctx.input(0), xb);
    const float* cs_prev = float_view<T>(ctx.input(1), cb);
    const float* h_prev = float_view<T>(ctx.input(2), hb);
    Tensor* out[7];
    float* o[7];
    for (int k = 0; k < 7; ++k) {
      out[k] = &ctx.allocate_output(k, {d.batch, d.cell});
      o[k] = float_output<T>(*out[k], outs[k]);
    }
    std::vector<float> xh(d.batch * (d.input + d.cell)), gates(d.batch * 4 * d.cell);
    lstm_step<T>(ctx, attrs_, d, wt, x, cs_prev, h_prev, xh.data(), gates.data(),
                 {o[0], o[1], o[2], o[3], o[4], o[5], o[6]});
    for (int k = 0; k < 7; ++k) store_output<T>(*out[k], outs[k]);
    return Status();
  }

 private:
  LstmAttrs attrs_;
};

template <class T>
class LSTMBlockCellGradKernel : public OpKernel {
 public:
  explicit LSTMBlockCellGradKernel(KernelInit& init) { init.get("use_peephole", &attrs_.peephole); }
  Status compute(OpContext& ctx) override {
    LstmDims d;
    MR_RETURN_IF_ERROR(check_cell_inputs(ctx, &d));
    const char* names[] = {"i", "cs", "f", "o", "ci", "co", "cs_grad_tensor", "h_grad_tensor"};
    for (int k = 0; k < 8; ++k) {
      const Tensor& t = ctx.input(8 + k);
      MR_RETURN_IF_ERROR(check_rank(t, 2, names[k]));
      const bool grad = k >= 6;
      MR_REQUIRE(t.dim(0) == d.batch, names[k], grad ? ".dims(0)" : ".dim_size(0)", " != batch_size: ", t.dim(0),
                 " vs. ", d.batch);
      MR_REQUIRE(t.dim(1) == d.cell, k == 2 ? "i" : names[k], grad ? ".dims(1)" : ".dim_size(1)",
                 " != cell_size: ", t.dim(1), " vs. ", d.cell);
    }
    std::vector<float> bufs[5], in_bufs[9], outs[5];
    const LstmWeights wt = weights_view<T>(ctx, 3, bufs);
    const float* v[9];  // cs_prev, then i, cs, f, o, ci, co, cs_grad, h_grad
    for (int k = 0; k < 9; ++k) v[k] = float_view<T>(ctx.input(k == 0 ? 1 : 7 + k), in_bufs[k]);
    const LstmGradIn in{v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], v[8]};
    Tensor* out[5] = {&ctx.allocate_output(0, {d.batch, d.cell}), &ctx.allocate_output(1, {d.batch, 4 * d.cell}),
                      &ctx.allocate_output(2, {d.cell}), &ctx.allocate_output(3, {d.cell}),
                      &ctx.allocate_output(4, {d.cell})};
    float* o[5];
    for (int k = 0; k < 5; ++k) o[k] = float_output<T>(*out[k], outs[k]);
    for (int k = 2; k < 5; ++k) std::fill(o[k], o[k] + d.cell, 0.0f);
    lstm_bprop<T>(attrs_, d, wt, in, o[1], o[0], o[2], o[3], o[4]);
    for (int k = 0; k < 5; ++k) store_output<T>(*out[k], outs[k]);
    return Status();
  }

 private:
  LstmAttrs attrs_;
};

// BlockLSTM's and BlockLSTMGrad's checks of seq_len_max, x and the weights, with TF's
// messages (`grad` picks the Grad kernel's wording); `d` gets the sizes.
Status check_block_inputs(OpContext& ctx, bool grad, LstmDims* d, int64_t* time) {
  const Tensor& seq = ctx.input(0);
  MR_REQUIRE(seq.rank() == 0, "`seq_len_max_tensor` must be rank 0 but is rank ", seq.rank());
  const Tensor &x = ctx.input(1), &cs_prev = ctx.input(2), &h_prev = ctx.input(3), &w = ctx.input(4);
  if (grad) {
    MR_REQUIRE(x.rank() == 3, "x must be rank 3 but is rank ", x.rank());
    MR_REQUIRE(cs_prev.rank() == 2, "cs_prev must be rank 2 but is rank ", cs_prev.rank());
    MR_REQUIRE(h_prev.rank() == 2, "h_prev must be rank 2 but is rank ", h_prev.rank());
    MR_REQUIRE(w.rank() == 2, "w must be rank 2 but is rank ", w.rank());
  } else {
    MR_REQUIRE(x.rank() == 3, "x must be 3D");
    MR_REQUIRE(cs_prev.rank() == 2, "cs_prev must be 2D");
  }
  *time = x.dim(0);
  d->batch = x.dim(1);
  d->input = x.dim(2);
  d->cell = grad ? w.dim(1) / 4 : cs_prev.dim(1);
  const int64_t B = d->batch, I = d->input, C = d->cell;
  if (grad) {
    MR_REQUIRE(I + C == w.dim(0), "w matrix rows don't match: ", I + C, " vs. ", w.dim(0));
    const char* names[] = {"wci", "wcf", "wco", "b"};
    for (int k = 0; k < 4; ++k)
      MR_REQUIRE(ctx.input(5 + k).rank() == 1, names[k], " must be rank 1 but is rank ", ctx.input(5 + k).rank());
    const Tensor& b = ctx.input(8);
    MR_REQUIRE(C == b.dim(0) / 4, "w and b cell_size don't match: ", C, " vs. ", b.dim(0));
    // TF reads these without checking them; checked here so that none is read out of bounds.
    MR_RETURN_IF_ERROR(check_dim(w, 1, 4 * C, "w.dim_size(1) != cell_size * 4: "));
    MR_REQUIRE(b.dim(0) == 4 * C, "b.dim_size(0) != cell_size * 4: ", b.dim(0), " vs. ", 4 * C);
    MR_RETURN_IF_ERROR(check_dim(cs_prev, 0, B, "cs_prev.dims(0) != batch_size: "));
    MR_RETURN_IF_ERROR(check_dim(cs_prev, 1, C, "cs_prev.dims(1) != cell_size: "));
    MR_RETURN_IF_ERROR(check_dim(h_prev, 0, B, "h_prev.dims(0) != batch_size: "));
    MR_RETURN_IF_ERROR(check_dim(h_prev, 1, C, "h_prev.dims(1) != cell_size: "));
    for (int k = 0; k < 3; ++k)
      MR_REQUIRE(ctx.input(5 + k).dim(0) == C, names[k], ".dim_size(0) != cell_size: ", ctx.input(5 + k).dim(0),
                 " vs. ", C);
    return Status();
  }
  MR_RETURN_IF_ERROR(check_dim(cs_prev, 0, B, "cs_prev.dims(0) != batch_size: "));
  MR_REQUIRE(h_prev.rank() == 2, "h_prev must be 2D");
  MR_RETURN_IF_ERROR(check_dim(h_prev, 0, B, "h_prev.dims(0) != batch_size: "));
  MR_RETURN_IF_ERROR(check_dim(h_prev, 1, C, "h_prev.dims(1) != cell_size: "));
  MR_REQUIRE(w.rank() == 2, "w must be 2D");
  MR_RETURN_IF_ERROR(check_dim(w, 0, I + C, "w.dim_size(0) != input_size + cell_size: "));
  MR_RETURN_IF_ERROR(check_dim(w, 1, 4 * C, "w.dim_size(1) != cell_size * 4: "));
  const char* names[] = {"wci", "wcf", "wco"};
  for (int k = 0; k < 3; ++k) {
    const Tensor& t = ctx.input(5 + k);
    MR_REQUIRE(t.rank() == 1, names[k], " must be 1D");
    MR_REQUIRE(t.dim(0) == C, names[k], ".dim_size(0) != cell_size: ", t.dim(0), " vs. ", C);
  }
  MR_REQUIRE(ctx.input(8).rank() == 1, "b must be 1D");
  MR_RETURN_IF_ERROR(check_dim(ctx.input(8), 0, 4 * C, "b.dim_size(0) != cell_size * 4: "));
  return Status();
}

Status read_seq_len_max(const Tensor& t, int64_t time, int64_t* len) {
  *len = t.data<int64_t>()[0];
  MR_REQUIRE(*len >= 0 && *len <= time, "seq_len_max must be between 0 and ", time, " but is ", *len);
  return Status();
}

// BlockLSTM and BlockLSTMV2: LSTMBlockCell over x [time, batch, input] for the first
// seq_len_max steps; the outputs of later steps are zeros.
template <class T, Layout L>
class BlockLSTMKernel : public OpKernel {
 public:
  explicit BlockLSTMKernel(KernelInit& init) { read_attrs(init, &attrs_, L, L == Layout::kICFO); }
  Status compute(OpContext& ctx) override {
    LstmDims d;
    int64_t time = 0, len = 0;
    MR_RETURN_IF_ERROR(check_block_inputs(ctx, false, &d, &time));
    Tensor* out[7];
    std::vector<float> outs[7], bufs[5], xb, cb, hb;
    float* o[7];
    for (int k = 0; k < 7; ++k) {
      out[k] = &ctx.allocate_output(k, {time, d.batch, d.cell});
      o[k] = float_output<T>(*out[k], outs[k]);
    }
    MR_RETURN_IF_ERROR(read_seq_len_max(ctx.input(0), time, &len));
    const LstmWeights wt = weights_view<T>(ctx, 4, bufs);
    const float* x = float_view<T>(ctx.input(1), xb);
    const float* cs_prev = float_view<T>(ctx.input(2), cb);
    const float* h_prev = float_view<T>(ctx.input(3), hb);
    const LstmState s{o[0], o[1], o[2], o[3], o[4], o[5], o[6]};
    std::vector<float> xh(d.batch * (d.input + d.cell)), gates(d.batch * 4 * d.cell);
    const int64_t n = d.bc();
    for (int64_t t = 0; t < len; ++t) {
      const float* csp = t == 0 ? cs_prev : s.cs + (t - 1) * n;
      const float* hp = t == 0 ? h_prev : s.h + (t - 1) * n;
      lstm_step<T>(ctx, attrs_, d, wt, x + t * d.batch * d.input, csp, hp, xh.data(), gates.data(), s.at(t * n));
    }
    for (int k = 0; k < 7; ++k) {
      std::fill(o[k] + len * n, o[k] + time * n, 0.0f);
      store_output<T>(*out[k], outs[k]);
    }
    return Status();
  }

 private:
  LstmAttrs attrs_;
};

// The gradient of BlockLSTM (V1: ICFO) or BlockLSTMV2 (IFCO), from the last step back.
template <class T, Layout L>
class BlockLSTMGradKernel : public OpKernel {
 public:
  explicit BlockLSTMGradKernel(KernelInit& init) {
    attrs_.layout = L;
    init.get("use_peephole", &attrs_.peephole);
  }
  Status compute(OpContext& ctx) override {
    LstmDims d;
    int64_t time = 0, len = 0;
    MR_RETURN_IF_ERROR(check_block_inputs(ctx, true, &d, &time));
    const char* names[] = {"i", "cs", "f", "o", "ci", "co", "h"};
    for (int k = 0; k < 7; ++k)
      MR_REQUIRE(ctx.input(9 + k).rank() == 3, names[k], " must be rank 3. Received: ", ctx.input(9 + k).rank());
    const Shape seq_shape{time, d.batch, d.cell};
    for (int k = 9; k < 18; ++k)
      MR_REQUIRE(ctx.input(k).shape() == seq_shape, "Expected input ", k, " of shape ", shape_str(seq_shape),
                 " but got ", shape_str(ctx.input(k).shape()));
    const int64_t B = d.batch, I = d.input, C = d.cell, n = d.bc();
    Tensor* out[8] = {&ctx.allocate_output(0, {time, B, I}), &ctx.allocate_output(1, {B, C}),
                      &ctx.allocate_output(2, {B, C}),       &ctx.allocate_output(3, {I + C, 4 * C}),
                      &ctx.allocate_output(4, {C}),          &ctx.allocate_output(5, {C}),
                      &ctx.allocate_output(6, {C}),          &ctx.allocate_output(7, {4 * C})};
    std::vector<float> outs[8], bufs[5], in_bufs[12];
    float* o[8];
    for (int k = 0; k < 8; ++k) {
      o[k] = float_output<T>(*out[k], outs[k]);
      std::fill(o[k], o[k] + out[k]->num_elements(), 0.0f);
    }
    MR_RETURN_IF_ERROR(read_seq_len_max(ctx.input(0), time, &len));
    const LstmWeights wt = weights_view<T>(ctx, 4, bufs);
    const float* v[12];  // x, cs_prev, h_prev, then i, cs, f, o, ci, co, h, cs_grad, h_grad
    for (int k = 0; k < 12; ++k) v[k] = float_view<T>(ctx.input(k < 3 ? 1 + k : 6 + k), in_bufs[k]);
    const float *x = v[0], *cs = v[4], *h = v[9];
    float *x_grad = o[0], *cs_prev_grad = o[1], *h_prev_grad = o[2], *w_grad = o[3], *b_grad = o[7];
    std::vector<float> xh(B * (I + C)), xh_grad(B * (I + C)), dgates(B * 4 * C), csg(n), hg(n);
    std::vector<float> w_step((I + C) * 4 * C);
    for (int64_t t = len - 1; t >= 0; --t) {
      const int64_t off = t * n;
      for (int64_t k = 0; k < n; ++k) {
        csg[k] = rd<T>(cs_prev_grad[k] + v[10][off + k]);
        hg[k] = rd<T>(h_prev_grad[k] + v[11][off + k]);
      }
      const float* csp = t == 0 ? v[1] : cs + off - n;
      const float* hp = t == 0 ? v[2] : h + off - n;
      const LstmGradIn in{csp, v[3] + off, cs + off, v[5] + off, v[6] + off, v[7] + off, v[8] + off,
                          csg.data(), hg.data()};
      lstm_bprop<T>(attrs_, d, wt, in, dgates.data(), cs_prev_grad, o[4], o[5], o[6]);
      rnn_gemm(ctx, false, true, B, I + C, 4 * C, dgates.data(), 4 * C, wt.w, 4 * C, xh_grad.data(), I + C);
      for (int64_t r = 0; r < B; ++r) {
        for (int64_t j = 0; j < I; ++j) x_grad[(t * B + r) * I + j] = rd<T>(xh_grad[r * (I + C) + j]);
        for (int64_t j = 0; j < C; ++j) h_prev_grad[r * C + j] = rd<T>(xh_grad[r * (I + C) + I + j]);
        std::copy(x + (t * B + r) * I, x + (t * B + r + 1) * I, xh.begin() + r * (I + C));
        std::copy(hp + r * C, hp + (r + 1) * C, xh.begin() + r * (I + C) + I);
      }
      rnn_gemm(ctx, true, false, I + C, 4 * C, B, xh.data(), I + C, dgates.data(), 4 * C, w_step.data(), 4 * C);
      for (size_t j = 0; j < w_step.size(); ++j) w_grad[j] = rd<T>(w_grad[j] + rd<T>(w_step[j]));
      for (int64_t j = 0; j < 4 * C; ++j) {
        float sum = 0;
        for (int64_t r = 0; r < B; ++r) sum += dgates[r * 4 * C + j];
        b_grad[j] = rd<T>(b_grad[j] + rd<T>(sum));
      }
    }
    for (int k = 0; k < 8; ++k) store_output<T>(*out[k], outs[k]);
    return Status();
  }

 private:
  LstmAttrs attrs_;
};

}  // namespace

void register_rnn_block_ops(Registry& r) {
  using Types = TypeList<float, Half>;
  r.add<Types>("LSTMBlockCell", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<LSTMBlockCellKernel<decltype(tag)>>(init);
  });
  r.add<Types>("LSTMBlockCellGrad", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<LSTMBlockCellGradKernel<decltype(tag)>>(init);
  });
  r.add<Types>("BlockLSTM", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<BlockLSTMKernel<decltype(tag), Layout::kICFO>>(init);
  });
  r.add<Types>("BlockLSTMV2", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<BlockLSTMKernel<decltype(tag), Layout::kIFCO>>(init);
  });
  r.add<Types>("BlockLSTMGrad", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<BlockLSTMGradKernel<decltype(tag), Layout::kICFO>>(init);
  });
  r.add<Types>("BlockLSTMGradV2", [](auto tag, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<BlockLSTMGradKernel<decltype(tag), Layout::kIFCO>>(init);
  });
}

}  // namespace metarun
