// Special functions and safe arithmetic: filled in by its own change.
#include "framework/registry.h"

namespace metarun {

void register_special_math_ops(Registry& r) { (void)r; }

}  // namespace metarun
