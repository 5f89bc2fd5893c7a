// Space, batch and depth rearrangements: SpaceToBatchND / BatchToSpaceND,
// their 4-D forms with an attr block size (SpaceToBatch / BatchToSpace), and
// SpaceToDepth / DepthToSpace. They only move elements, so each is a few
// strided copies (util/data_movement.h), compiled once per element width.
//
// The batch side of SpaceToBatchND is [prod(block) * B, Y_1..Y_M, rest...]:
// its batch index is (j_1 * block_2 + j_2 ...) * B + b for block offset j and
// image b, and Y_i * block_i covers the padded (or, for BatchToSpaceND,
// uncropped) spatial extent. One copy per block offset moves every element
// that offset owns.
#include <cstring>
#include <string>
#include <vector>

#include "kernels/util/data_movement.h"

namespace metarun {
namespace {

// The two sides of a SpaceToBatchND (or of the BatchToSpaceND it inverts).
struct BlockGeom {
  int64_t batch = 0;             // B, the space side's batch
  std::vector<int64_t> space;    // S_i: the space side's spatial dims
  std::vector<int64_t> blocked;  // Y_i: the batch side's spatial dims
  std::vector<int64_t> block;    // block_i
  std::vector<int64_t> before;   // padding (or crop) before each spatial dim
  int64_t rest = 1;              // elements per spatial position
};

// Copies between the space tensor `space` and the batch tensor `batched`, in
// the direction `to_batch` says. Positions of the batch side that fall in the
// padding are left as they are.
void shuffle(const OpContext& ctx, DType dtype, const BlockGeom& g, const Tensor& space, const Tensor& batched,
             bool to_batch) {
  const size_t m = g.block.size();
  std::vector<int64_t> s_stride(m + 1), b_stride(m + 1);
  s_stride[m] = b_stride[m] = g.rest;
  for (size_t i = m; i-- > 0;) {
    s_stride[i] = s_stride[i + 1] * g.space[i];
    b_stride[i] = b_stride[i + 1] * g.blocked[i];
  }
  int64_t offsets = 1;
  for (int64_t b : g.block) offsets *= b;
  std::vector<int64_t> j(m, 0);
  for (int64_t k = 0; k < offsets; ++k) {
    // j = the block offset of batch group k (row-major over the block dims).
    int64_t rem = k;
    for (size_t i = m; i-- > 0; rem /= g.block[i]) j[i] = rem % g.block[i];
    Shape dims{g.batch};
    std::vector<int64_t> ss{s_stride[0]}, bs{b_stride[0]};
    int64_t s_at = 0, b_at = k * g.batch * b_stride[0];
    bool empty = false;
    for (size_t i = 0; i < m; ++i) {
      // Batch-side rows y whose space row y * block + j - before lies in [0, S).
      const int64_t first = g.before[i] - j[i], last = g.space[i] - 1 + g.before[i] - j[i];
      const int64_t lo = first <= 0 ? 0 : (first + g.block[i] - 1) / g.block[i];
      const int64_t hi = last < 0 ? 0 : std::min(g.blocked[i], last / g.block[i] + 1);
      if (hi <= lo) {
        empty = true;
        break;
      }
      dims.push_back(hi - lo);
      ss.push_back(s_stride[i + 1] * g.block[i]);
      bs.push_back(b_stride[i + 1]);
      s_at += (lo * g.block[i] + j[i] - g.before[i]) * s_stride[i + 1];
      b_at += lo * b_stride[i + 1];
    }
    if (empty) continue;
    dims.push_back(g.rest);
    ss.push_back(1);
    bs.push_back(1);
    if (to_batch) strided_copy(ctx, dtype, dims, element_ptr(space, s_at), ss, element_ptr(batched, b_at), bs);
    else strided_copy(ctx, dtype, dims, element_ptr(batched, b_at), bs, element_ptr(space, s_at), ss);
  }
}

// block_shape [M] and paddings/crops [M, 2] as int64.
Status read_block_args(const Tensor& block, const Tensor& pads, const char* pads_name, std::vector<int64_t>* shape,
                       std::vector<int64_t>* values) {
  MR_REQUIRE(block.rank() == 1, "block_shape rank should be 1 instead of ", block.rank());
  const int64_t m = block.dim(0);
  MR_REQUIRE(pads.rank() == 2 && pads.dim(0) == m && pads.dim(1) == 2, pads_name, " should have shape [", m,
             ", 2] instead of ", shape_str(pads.shape()));
  *shape = index_values(block);
  *values = index_values(pads);
  return Status();
}

// Wrapping int64 arithmetic: TF's kernels compute these sizes unchecked, and a
// wrapped result is what its later checks report.
int64_t wrap_add(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) + static_cast<uint64_t>(b));
}
int64_t wrap_mul(int64_t a, int64_t b) {
  return static_cast<int64_t>(static_cast<uint64_t>(a) * static_cast<uint64_t>(b));
}

Status check_input_rank(const Tensor& in, int64_t m) {
  MR_REQUIRE(in.rank() >= 1 + m, "input rank should be >= ", 1 + m, " instead of ", in.rank());
  return Status();
}

Status space_to_batch(OpContext& ctx, const Tensor& in, const std::vector<int64_t>& block,
                      const std::vector<int64_t>& pads) {
  const int64_t m = static_cast<int64_t>(block.size());
  MR_RETURN_IF_ERROR(check_input_rank(in, m));
  int64_t product = 1;
  for (int64_t i = 0; i < m; ++i) {
    MR_REQUIRE(block[i] >= 1, "All values in block_shape must be positive, got value, ", block[i], " at index ", i,
               ".");
    MR_REQUIRE(pads[2 * i] >= 0 && pads[2 * i + 1] >= 0, "Paddings must be non-negative");
    if (product >= 0 && __builtin_mul_overflow(product, block[i], &product)) product = -1;
  }
  MR_REQUIRE(product > 0, "Product of block sizes must be positive, got ", product);
  BlockGeom g;
  g.batch = in.dim(0);
  g.block = block;
  Shape out_shape{wrap_mul(g.batch, product)};
  for (int64_t i = 0; i < m; ++i) {
    const int64_t padded = wrap_add(wrap_add(in.dim(1 + i), pads[2 * i]), pads[2 * i + 1]);
    MR_REQUIRE(padded % block[i] == 0, "padded_shape[", i, "]=", padded, " is not divisible by block_shape[", i,
               "]=", block[i]);
    g.space.push_back(in.dim(1 + i));
    g.blocked.push_back(padded / block[i]);
    g.before.push_back(pads[2 * i]);
    out_shape.push_back(padded / block[i]);
  }
  for (int d = 1 + m; d < in.rank(); ++d) {
    g.rest *= in.dim(d);
    out_shape.push_back(in.dim(d));
  }
  for (int64_t d : out_shape) MR_REQUIRE(d >= 0, "Expected a non-negative size, got ", d);
  MR_RETURN_IF_ERROR(check_shape_size(out_shape));
  if (m == 0) {
    ctx.set_output(0, in);
    return Status();
  }
  Tensor& out = ctx.allocate_output(0, out_shape);
  if (out.num_elements() == 0) return Status();
  std::memset(out.raw(), 0, out.num_elements() * dtype_size(out.dtype()));
  if (in.num_elements() > 0) shuffle(ctx, in.dtype(), g, in, out, true);
  return Status();
}

Status batch_to_space(OpContext& ctx, const Tensor& in, const std::vector<int64_t>& block,
                      const std::vector<int64_t>& crops) {
  const int64_t m = static_cast<int64_t>(block.size());
  MR_RETURN_IF_ERROR(check_input_rank(in, m));
  int64_t product = 1;
  for (int64_t b : block) product = wrap_mul(product, b);
  MR_REQUIRE(product > 0, "Product of block sizes must be positive, got ", product);
  for (int64_t i = 0; i < m; ++i) {
    // A product can be positive with negative factors; TF does not guard this.
    MR_REQUIRE(block[i] >= 1, "All values in block_shape must be positive, got value, ", block[i], " at index ", i,
               ".");
    MR_REQUIRE(crops[2 * i] >= 0 && crops[2 * i + 1] >= 0, "Crops must be non-negative");
  }
  MR_REQUIRE(in.dim(0) % product == 0, "Input batch dimension (", in.dim(0),
             ") is not divisible by product of block sizes (", product, ")");
  BlockGeom g;
  g.batch = in.dim(0) / product;
  g.block = block;
  Shape out_shape{g.batch};
  for (int64_t i = 0; i < m; ++i) {
    const int64_t cropped = wrap_add(wrap_add(wrap_mul(in.dim(1 + i), block[i]), -crops[2 * i]), -crops[2 * i + 1]);
    MR_REQUIRE(cropped >= 0, "cropped_shape[", i, "]=", cropped, " must be non-negative");
    g.space.push_back(cropped);
    g.blocked.push_back(in.dim(1 + i));
    g.before.push_back(crops[2 * i]);
    out_shape.push_back(cropped);
  }
  for (int d = 1 + m; d < in.rank(); ++d) {
    g.rest *= in.dim(d);
    out_shape.push_back(in.dim(d));
  }
  if (m == 0) {
    ctx.set_output(0, in);
    return Status();
  }
  Tensor& out = ctx.allocate_output(0, out_shape);
  if (out.num_elements() > 0) shuffle(ctx, in.dtype(), g, out, in, false);
  return Status();
}

class SpaceBatchNDKernel : public OpKernel {
 public:
  explicit SpaceBatchNDKernel(KernelInit& init) : to_batch_(init.op() == "SpaceToBatchND") {}
  Status compute(OpContext& ctx) override {
    std::vector<int64_t> block, pads;
    MR_RETURN_IF_ERROR(read_block_args(ctx.input(1), ctx.input(2), to_batch_ ? "paddings" : "crops", &block, &pads));
    return to_batch_ ? space_to_batch(ctx, ctx.input(0), block, pads) : batch_to_space(ctx, ctx.input(0), block, pads);
  }

 private:
  bool to_batch_;
};

// OpDefs give these attrs a minimum; graphs that bypass it still fail cleanly.
void read_block_size(KernelInit& init, int64_t* block_size) {
  init.get("block_size", block_size);
  if (init.status().ok() && *block_size < 2)
    init.fail(invalid_argument(str_cat("Value for attr 'block_size' of ", *block_size,
                                       " must be at least minimum 2")));
}

// The 4-D forms: a square block over H and W.
class SpaceBatchKernel : public OpKernel {
 public:
  explicit SpaceBatchKernel(KernelInit& init) : to_batch_(init.op() == "SpaceToBatch") {
    read_block_size(init, &block_size_);
  }
  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    MR_REQUIRE(in.rank() == 4, "Input rank should be: 4instead of: ", in.rank());
    const Tensor& pads = ctx.input(1);
    MR_REQUIRE(pads.rank() == 2 && pads.dim(0) == 2 && pads.dim(1) == 2, to_batch_ ? "paddings" : "crops",
               " should have shape [2, 2] instead of ", shape_str(pads.shape()));
    const std::vector<int64_t> block{block_size_, block_size_}, values = index_values(pads);
    return to_batch_ ? space_to_batch(ctx, in, block, values) : batch_to_space(ctx, in, block, values);
  }

 private:
  bool to_batch_;
  int64_t block_size_ = 2;
};

// SpaceToDepth and DepthToSpace, NHWC: TF's CPU kernels are registered for
// NHWC only, so another data_format finds no kernel, as in TF.
class DepthKernel : public OpKernel {
 public:
  explicit DepthKernel(KernelInit& init) : to_depth_(init.op() == "SpaceToDepth") {
    read_block_size(init, &block_size_);
    std::string format = "NHWC";
    if (init.has_attr("data_format")) init.get("data_format", &format);
    if (init.status().ok() && format != "NHWC")
      init.fail(invalid_argument(str_cat("No OpKernel was registered to support Op '", init.op(), "' used by {{node ",
                                         init.name(), "}} with these attrs: [block_size=", block_size_,
                                         ", data_format=\"", format, "\"]")));
  }

  Status compute(OpContext& ctx) override {
    const Tensor& in = ctx.input(0);
    const int64_t bs = block_size_;
    if (to_depth_) {
      MR_REQUIRE(in.rank() == 4, "Input rank should be 4 instead of ", in.rank());
      MR_REQUIRE(in.dim(1) % bs == 0 && in.dim(2) % bs == 0, "Image width ", in.dim(2), " and height ", in.dim(1),
                 " should be divisible by block_size: ", bs);
    } else {
      MR_REQUIRE(in.rank() == 4, "Input rank should be: 4 instead of: ", in.rank());
      MR_REQUIRE(in.dim(3) % (bs * bs) == 0, "Input depth dimension ", in.dim(3), " should be divisible by: ",
                 bs * bs);
    }
    // Both are one copy over [B, H/bs, bs(i), W/bs, bs(j), C], C the depth of
    // the spatial side: the spatial tensor holds (b, y*bs + i, x*bs + j, c), the
    // deep one (b, y, x, (i*bs + j)*C + c).
    const int64_t n = in.dim(0);
    const int64_t h = to_depth_ ? in.dim(1) / bs : in.dim(1), w = to_depth_ ? in.dim(2) / bs : in.dim(2);
    const int64_t c = to_depth_ ? in.dim(3) : in.dim(3) / (bs * bs);
    const Shape out_shape = to_depth_ ? Shape{n, h, w, c * bs * bs} : Shape{n, h * bs, w * bs, c};
    Tensor& out = ctx.allocate_output(0, out_shape);
    if (out.num_elements() == 0) return Status();
    const int64_t sw = w * bs * c;  // one spatial row
    const std::vector<int64_t> spatial{h * bs * sw, bs * sw, sw, bs * c, c, 1};
    const int64_t dd = bs * bs * c;  // the deep tensor's depth
    const std::vector<int64_t> deep{h * w * dd, w * dd, bs * c, dd, c, 1};
    const Shape dims{n, h, bs, w, bs, c};
    if (to_depth_) strided_copy(ctx, in.dtype(), dims, in.raw(), spatial, out.raw(), deep);
    else strided_copy(ctx, in.dtype(), dims, in.raw(), deep, out.raw(), spatial);
    return Status();
  }

 private:
  bool to_depth_;
  int64_t block_size_ = 2;
};

using SpaceBatchTypes = RealTypes;

}  // namespace

void register_space_batch_ops(Registry& r) {
  r.add<SpaceBatchTypes>("SpaceToBatchND", dtype_blind<SpaceBatchNDKernel>());
  r.add<SpaceBatchTypes>("BatchToSpaceND", dtype_blind<SpaceBatchNDKernel>());
  r.add<SpaceBatchTypes>("SpaceToBatch", dtype_blind<SpaceBatchKernel>());
  r.add<SpaceBatchTypes>("BatchToSpace", dtype_blind<SpaceBatchKernel>());
  r.add<ShapeOpTypes>("SpaceToDepth", dtype_blind<DepthKernel>());
  r.add<ShapeOpTypes>("DepthToSpace", dtype_blind<DepthKernel>());
}

}  // namespace metarun
