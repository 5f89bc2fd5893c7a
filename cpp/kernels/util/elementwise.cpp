#include "kernels/util/elementwise.h"

namespace metarun {
namespace {

const char* at(const void* p, int64_t i, size_t bytes) { return static_cast<const char*>(p) + i * int64_t(bytes); }

// No broadcasting to work out: equal shapes, or one side a scalar.
Status same_shape_or_scalar(OpContext& ctx, const BinaryOps& ops, const Tensor& a, const Tensor& b) {
  MR_RETURN_IF_ERROR(ops.check(a, b));
  const bool a_shaped = b.rank() == 0 || a.shape() == b.shape();  // the output has the shape of a
  const Shape& shape = a_shaped ? a.shape() : b.shape();
  Tensor& out = ops.forward ? ctx.forward_or_allocate_output(a_shaped ? 0 : 1, 0, shape)
                            : ctx.allocate_output(0, shape);
  const void* x = a.raw();
  const void* y = b.raw();
  char* z = static_cast<char*>(out.raw());
  const bool x_steps = a_shaped, y_steps = b.rank() != 0;
  ctx.parallel_for(out.num_elements(), ops.cost, [&](int64_t lo, int64_t hi) {
    ops.row(x_steps ? at(x, lo, ops.in_bytes) : x, x_steps, y_steps ? at(y, lo, ops.in_bytes) : y, y_steps,
            z + lo * int64_t(ops.out_bytes), hi - lo);
  });
  return Status();
}

}  // namespace

Status binary_compute(OpContext& ctx, const BinaryOps& ops) {
  const Tensor& a = ctx.input(0);
  const Tensor& b = ctx.input(1);
  if (a.shape() == b.shape() || a.rank() == 0 || b.rank() == 0) return same_shape_or_scalar(ctx, ops, a, b);
  Broadcast bc;
  MR_RETURN_IF_ERROR(Broadcast::make({&a.shape(), &b.shape()}, &bc));
  MR_RETURN_IF_ERROR(ops.check(a, b));
  Tensor& out = ctx.allocate_output(0, bc.out_shape());
  const BinaryArgs args = {a.raw(), b.raw(), out.raw()};
  bc.for_each_row(ctx.pool(), ops.cost, ops.broadcast_row, &args);
  return Status();
}

}  // namespace metarun
