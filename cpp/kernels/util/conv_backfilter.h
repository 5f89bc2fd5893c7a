// Float32 weight gradients (Conv2DBackpropFilter, NHWC) beside
// conv_grad_ops.cpp's im2col + GEMM, for the shapes where that path wastes
// most of its time. dw[i][j][c][o] = sum over positions p = (b, y, x) of
// in[b, y*sh - pad_t + i*dh, x*sw - pad_l + j*dw, c] * dy[b, y, x, o].
// - backfilter_direct: input depth of a few channels (a first layer on
//   images). im2col's GEMM there has M = KH*KW*C of 9..36 rows and the
//   gather of single floats dominates. This loops over output rows and keeps
//   up to 12 (tap, channel) accumulators of a block of output channels in
//   registers, dy's row loaded once per pixel for all of them.
// - backfilter_winograd: 3x3, stride 1, undilated, >= 16 channels in and
//   out. Winograd F(2x2, 3x3) run backwards: per 2x2 tile of dy and its 4x4
//   window of the input, U = A dy A^T and V = B^T d B (adds and subtracts
//   only), M[16][C][O] = sum over tiles of V^T U (16 small GEMMs, 2.25x
//   fewer multiplications than im2col), and dw = G^T M G once at the end, in
//   double (G's halves).
// Both are deterministic: positions (rows or tiles) are cut into a fixed
// number of groups that does not depend on the thread count; each group sums
// its positions in order into its own partial, and the partials are added in
// group order. Partials and scratch are kept per thread between calls (a few
// MB at most: the suits functions bound them). The AVX2/AVX-512 levels multiply-add with FMA and the generic
// level without, so levels differ by float rounding only. Rounding vs
// im2col + GEMM: the direct loop adds each product to a running per-group
// sum (one chain per group rather than the GEMM's blocks); Winograd adds up
// to 4 inputs and 4 dy values before multiplying and combines up to 9 sums at
// the end, which about doubles the error vs float64 (measured in the tests).
#pragma once

#include <cstdint>

#include "core/threadpool.h"
#include "kernels/util/conv_fast.h"

namespace metarun {

bool backfilter_direct_suits(const ConvGeom& g);
bool backfilter_winograd_suits(const ConvGeom& g);

// `dw` is [KH, KW, C, O]; `in` and `dy` NHWC. Both return false (writing
// nothing) when scratch memory cannot be had, for the caller to report.
bool backfilter_direct(ThreadPool* pool, const ConvGeom& g, const float* in, const float* dy, float* dw);
bool backfilter_winograd(ThreadPool* pool, const ConvGeom& g, const float* in, const float* dy, float* dw);

}  // namespace metarun
