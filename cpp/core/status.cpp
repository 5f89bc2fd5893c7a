#include "core/status.h"

namespace metarun {
namespace detail {

Concat::Concat() = default;
Concat::~Concat() = default;
std::string Concat::str() const { return os_.str(); }

}  // namespace detail
}  // namespace metarun
