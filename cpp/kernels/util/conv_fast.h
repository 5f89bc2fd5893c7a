// Float32 forward convolutions beside conv_ops.cpp's im2col + GEMM, for the
// shapes where that path wastes most of its time (both NHWC, filters HWIO):
// - direct_conv: input depth of a few channels (a first layer on images),
//   where im2col's GEMM has K = KH*KW*C of 9..36 and runs far below peak. It
//   loops over the window and vectorises over output channels; each output
//   is summed over (i, j, c) in that order with separate multiplies and adds
//   (no FMA), so every SIMD level gives the same bits as a plain scalar loop.
// - Winograd F(2x2, 3x3) for 3x3 stride-1 undilated filters: each 4x4 input
//   tile and 3x3 filter are transformed, multiplied as 16 GEMMs of
//   [tiles, C] x [C, O], and transformed back to 2x2 outputs; 2.25x fewer
//   multiplications. Rounding differs from im2col: the filter transform has
//   halves (computed in double, rounded once), and the input and output
//   transforms add and subtract up to 9 terms in float, so errors vs float64
//   grow about 2-4x over the GEMM's own (measured in the tests).
// - narrow_conv for one or two output channels over many input channels
//   (the input gradient of a first layer on images): each output is a dot
//   product over the window and input channels, in 16-wide partial sums
//   without FMA, so every SIMD level gives the same bits; no im2col and no
//   GEMM with N = 1. Its filter is laid out [O, KH, KW, C].
// Direct and Winograd apply `epilogue` (when given) to each finished run of
// output pixels while it is in cache: _FusedConv2D's bias and activation.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "core/threadpool.h"

namespace metarun {

// A 2-D convolution's geometry, NHWC.
struct ConvGeom {
  int64_t n = 0, h = 0, w = 0, c = 0;  // input
  int64_t kh = 0, kw = 0, o = 0;       // filter window and output channels
  int64_t oh = 0, ow = 0;              // output
  int64_t pad_t = 0, pad_l = 0, sh = 1, sw = 1, dh = 1, dw = 1;
  int64_t patch() const { return kh * kw * c; }
  int64_t out_pixels() const { return n * oh * ow; }
};

// What runs on finished output pixels (rows of g.o floats) in place.
// `rows` may do anything; when `bias` is set, the direct and Winograd
// kernels instead add it and apply `act` to each vector before storing it
// (other paths call `rows`, which must then compute the same). Both give
// the separate BiasAdd and Relu/Relu6 kernels' bits: the same float
// expressions on the same float32 sums.
enum class ConvAct { kNone, kRelu, kRelu6 };
struct ConvEpilogue {
  std::function<void(float* out, int64_t pixels)> rows;
  const float* bias = nullptr;  // [g.o]
  ConvAct act = ConvAct::kNone;
};

// Runs fn(worker, unit) for every unit in [0, units), the pool's threads
// claiming units one at a time from a shared counter: when another process
// holds a core, a descheduled thread delays one small unit, not half the
// work. `worker` < parallel_workers(pool, units) tells threads apart (scratch).
int64_t parallel_workers(ThreadPool* pool, int64_t units);
void parallel_units(ThreadPool* pool, int64_t units, double cost_per_unit,
                    const std::function<void(int64_t worker, int64_t unit)>& fn);

bool direct_conv_suits(const ConvGeom& g);
void direct_conv(ThreadPool* pool, const ConvGeom& g, const float* in, const float* filter, float* out,
                 const ConvEpilogue* epilogue);

bool narrow_conv_suits(const ConvGeom& g);
void narrow_conv(ThreadPool* pool, const ConvGeom& g, const float* in, const float* filter_ohwi, float* out);

bool winograd_suits(const ConvGeom& g);
// The filter [3, 3, C, O] transformed to [16, C, O].
std::vector<float> winograd_filter(const float* filter, int64_t c, int64_t o);
void winograd_conv(ThreadPool* pool, const ConvGeom& g, const float* in, const float* filter_u, float* out,
                   const ConvEpilogue* epilogue);

// One convolution node's transformed filter, kept across runs and redone
// when the filter's contents change (a Const transforms once; an assigned
// variable or a different fed tensor is noticed by comparing the bytes).
class WinogradFilterCache {
 public:
  std::shared_ptr<const std::vector<float>> get(const float* filter, int64_t c, int64_t o);

 private:
  std::mutex mu_;
  std::vector<float> source_;
  int64_t c_ = 0, o_ = 0;
  std::shared_ptr<const std::vector<float>> transformed_;
};

}  // namespace metarun
