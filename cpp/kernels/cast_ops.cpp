// Cast: the kernels for integer, bool and complex sources; float sources are
// in cast_ops_2.cpp. Conversion rules are in kernels/util/cast.h.
#include "kernels/util/cast.h"

namespace metarun {
namespace {

using CastOtherSources = TypeList<int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t, bool,
                                  complex64, complex128>;

std::unique_ptr<OpKernel> make_cast(KernelInit& init) {
  DType src = DType::kInvalid, dst = DType::kInvalid;
  init.get("SrcT", &src);
  init.get("DstT", &dst);
  if (!init.status().ok()) return nullptr;
  std::unique_ptr<OpKernel> out = make_cast_from_float(src, dst, init);
  if (!out) dispatch(CastOtherSources{}, src, [&](auto from) { out = make_cast_from<decltype(from)>(dst, init); });
  if (!out)
    init.fail(unimplemented(str_cat("Cast ", dtype_name(src), " to ", dtype_name(dst),
                                    " is not supported (node ", init.name(), ")")));
  return out;
}

}  // namespace

void register_cast_ops(Registry& r) { r.add("Cast", make_cast); }

}  // namespace metarun
