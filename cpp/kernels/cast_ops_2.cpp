// Cast kernels for float sources (see cast_ops.cpp).
#include "kernels/util/cast.h"

namespace metarun {

std::unique_ptr<OpKernel> make_cast_from_float(DType src, DType dst, KernelInit& init) {
  std::unique_ptr<OpKernel> out;
  dispatch(CastFloatSources{}, src, [&](auto from) { out = make_cast_from<decltype(from)>(dst, init); });
  return out;
}

}  // namespace metarun
