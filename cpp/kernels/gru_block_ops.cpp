// GRUBlockCell and GRUBlockCellGrad: the fused GRU cell of TF 1.x's tf.contrib.rnn
// (GRUBlockCell), float32 only as in TF. With [x, h_prev] the concatenation,
//   r, u = sigmoid([x, h_prev] w_ru + b_ru)     (r the first half of the columns)
//   c = tanh([x, h_prev * r] w_c + b_c),  h = u * (h_prev - c) + c.
#include <algorithm>
#include <vector>

#include "kernels/util/activations.h"
#include "kernels/util/rnn_cell.h"

namespace metarun {
namespace {

struct GruDims {
  int64_t batch = 0, input = 0, cell = 0;
};

// TF's checks of x, h_prev, w_ru, w_c, b_ru and b_c, with its messages.
Status check_gru_inputs(OpContext& ctx, GruDims* d) {
  const Tensor &x = ctx.input(0), &h_prev = ctx.input(1), &w_ru = ctx.input(2), &w_c = ctx.input(3);
  const Tensor &b_ru = ctx.input(4), &b_c = ctx.input(5);
  MR_REQUIRE(x.rank() == 2, "Rank of x must be 2, got ", x.rank());
  d->batch = x.dim(0);
  d->input = x.dim(1);
  MR_REQUIRE(h_prev.rank() == 2, "Rank of h_prev must be 2, got ", h_prev.rank());
  MR_REQUIRE(h_prev.dim(0) == d->batch, "h_prev.dims(0) != batch_size: ", h_prev.dim(0), " vs. ", d->batch);
  d->cell = h_prev.dim(1);
  const int64_t I = d->input, C = d->cell;
  MR_REQUIRE(w_ru.rank() == 2, "Rank of w_ru_ must be 2, got ", w_ru.rank());
  MR_REQUIRE(w_ru.dim(0) == I + C, "w_ru.dim_size(0) != input_size + cell_size: ", w_ru.dim(0), " vs. ", I + C);
  MR_REQUIRE(w_ru.dim(1) == 2 * C, "w_ru.dim_size(1) != cell_size * 2: ", w_ru.dim(1), " vs. ", 2 * C);
  MR_REQUIRE(w_c.rank() == 2, "Rank of w_c must be 2, got ", w_c.rank());
  MR_REQUIRE(w_c.dim(0) == I + C, "w_c.dim_size(0) != input_size + cell_size: ", w_c.dim(0), " vs. ", I + C);
  MR_REQUIRE(w_c.dim(1) == C, "w_c.dim_size(1) != cell_size: ", w_c.dim(1), " vs. ", C);
  MR_REQUIRE(b_ru.rank() == 1, "Rank of b_ru must be 1, got ", b_ru.rank());
  MR_REQUIRE(b_ru.dim(0) == 2 * C, "b_ru.dim_size(0) != cell_size * 2: ", b_ru.dim(0), " vs. ", 2 * C);
  MR_REQUIRE(b_c.rank() == 1, "Rank of b_c must be 1, got ", b_c.rank());
  MR_REQUIRE(b_c.dim(0) == C, "b_c.dim_size(0) != cell_size: ", b_c.dim(0), " vs. ", C);
  return Status();
}

// [x, h] of `batch` rows into xh [batch, input + cell].
void concat_rows(const GruDims& d, const float* x, const float* h, float* xh) {
  const int64_t I = d.input, C = d.cell;
  for (int64_t r = 0; r < d.batch; ++r) {
    std::copy(x + r * I, x + (r + 1) * I, xh + r * (I + C));
    std::copy(h + r * C, h + (r + 1) * C, xh + r * (I + C) + I);
  }
}

class GRUBlockCellKernel : public OpKernel {
 public:
  explicit GRUBlockCellKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    GruDims d;
    MR_RETURN_IF_ERROR(check_gru_inputs(ctx, &d));
    const int64_t B = d.batch, I = d.input, C = d.cell;
    const float *x = ctx.input(0).data<float>(), *h_prev = ctx.input(1).data<float>();
    const float *w_ru = ctx.input(2).data<float>(), *w_c = ctx.input(3).data<float>();
    const float *b_ru = ctx.input(4).data<float>(), *b_c = ctx.input(5).data<float>();
    float* r = ctx.allocate_output(0, {B, C}).data<float>();
    float* u = ctx.allocate_output(1, {B, C}).data<float>();
    float* c = ctx.allocate_output(2, {B, C}).data<float>();
    float* h = ctx.allocate_output(3, {B, C}).data<float>();
    std::vector<float> xh(B * (I + C)), ru(B * 2 * C), hr(B * C);
    concat_rows(d, x, h_prev, xh.data());
    rnn_gemm(ctx, false, false, B, 2 * C, I + C, xh.data(), I + C, w_ru, 2 * C, ru.data(), 2 * C);
    for (int64_t i = 0; i < B; ++i)
      for (int64_t j = 0; j < 2 * C; ++j) ru[i * 2 * C + j] += b_ru[j];
    sigmoid_n(ru.data(), ru.data(), ru.size());
    for (int64_t i = 0; i < B; ++i) {
      std::copy(ru.begin() + i * 2 * C, ru.begin() + i * 2 * C + C, r + i * C);
      std::copy(ru.begin() + i * 2 * C + C, ru.begin() + (i + 1) * 2 * C, u + i * C);
    }
    for (int64_t k = 0; k < B * C; ++k) hr[k] = h_prev[k] * r[k];
    concat_rows(d, x, hr.data(), xh.data());
    rnn_gemm(ctx, false, false, B, C, I + C, xh.data(), I + C, w_c, C, c, C);
    for (int64_t i = 0; i < B; ++i)
      for (int64_t j = 0; j < C; ++j) c[i * C + j] += b_c[j];
    tanh_n(c, c, B * C);
    for (int64_t k = 0; k < B * C; ++k) h[k] = u[k] * (h_prev[k] - c[k]) + c[k];
    return Status();
  }
};

class GRUBlockCellGradKernel : public OpKernel {
 public:
  explicit GRUBlockCellGradKernel(KernelInit&) {}
  Status compute(OpContext& ctx) override {
    GruDims d;
    MR_RETURN_IF_ERROR(check_gru_inputs(ctx, &d));
    const int64_t B = d.batch, I = d.input, C = d.cell;
    // TF names c's rank "w_c" in its message.
    const char* names[] = {"r", "u", "w_c", "d_h"};
    const char* dim_names[] = {"r", "u", "c", "d_h"};
    for (int k = 0; k < 4; ++k) {
      const Tensor& t = ctx.input(6 + k);
      MR_REQUIRE(t.rank() == 2, "Rank of ", names[k], " must be 2, got ", t.rank());
      MR_REQUIRE(t.dim(0) == B, dim_names[k], ".dims(0) != batch_size: ", t.dim(0), " vs. ", B);
      MR_REQUIRE(t.dim(1) == C, dim_names[k], ".dims(1) != cell_size: ", t.dim(1), " vs. ", C);
    }
    const float *h_prev = ctx.input(1).data<float>();
    const float *w_ru = ctx.input(2).data<float>(), *w_c = ctx.input(3).data<float>();
    const float *r = ctx.input(6).data<float>(), *u = ctx.input(7).data<float>();
    const float *c = ctx.input(8).data<float>(), *d_h = ctx.input(9).data<float>();
    float* d_x = ctx.allocate_output(0, {B, I}).data<float>();
    float* d_h_prev = ctx.allocate_output(1, {B, C}).data<float>();
    float* d_c_bar = ctx.allocate_output(2, {B, C}).data<float>();
    float* d_ru = ctx.allocate_output(3, {B, 2 * C}).data<float>();
    std::vector<float> comp1(B * (I + C)), comp2(B * (I + C));
    for (int64_t i = 0; i < B; ++i)
      for (int64_t j = 0; j < C; ++j) {
        const int64_t k = i * C + j;
        d_c_bar[k] = d_h[k] * (1.0f - u[k]) * (1.0f - c[k] * c[k]);
        d_ru[i * 2 * C + C + j] = d_h[k] * (h_prev[k] - c[k]) * u[k] * (1.0f - u[k]);
      }
    // [d_x part 2, d_(h_prev * r)] = d_c_bar w_c^T.
    rnn_gemm(ctx, false, true, B, I + C, C, d_c_bar, C, w_c, C, comp2.data(), I + C);
    for (int64_t i = 0; i < B; ++i)
      for (int64_t j = 0; j < C; ++j) {
        const int64_t k = i * C + j;
        d_ru[i * 2 * C + j] = comp2[i * (I + C) + I + j] * h_prev[k] * r[k] * (1.0f - r[k]);
      }
    // [d_x part 1, d_h_prev part 1] = [d_r_bar, d_u_bar] w_ru^T.
    rnn_gemm(ctx, false, true, B, I + C, 2 * C, d_ru, 2 * C, w_ru, 2 * C, comp1.data(), I + C);
    for (int64_t i = 0; i < B; ++i) {
      for (int64_t j = 0; j < I; ++j) d_x[i * I + j] = comp1[i * (I + C) + j] + comp2[i * (I + C) + j];
      for (int64_t j = 0; j < C; ++j) {
        const int64_t k = i * C + j;
        const float d_hr = comp2[i * (I + C) + I + j];
        d_h_prev[k] = comp1[i * (I + C) + I + j] + d_hr * r[k] + d_h[k] * u[k];
      }
    }
    return Status();
  }
};

}  // namespace

void register_gru_block_ops(Registry& r) {
  using Types = TypeList<float>;
  r.add<Types>("GRUBlockCell", [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<GRUBlockCellKernel>(init);
  });
  r.add<Types>("GRUBlockCellGrad", [](auto, KernelInit& init) -> std::unique_ptr<OpKernel> {
    return new_kernel<GRUBlockCellGradKernel>(init);
  });
}

}  // namespace metarun
