// Buffers a variable may take over instead of copying.
//
// A host kernel (the checkpoint reader) can hand the executor memory that no
// other code can reach: a fresh array it filled and then let go of. TF's
// Assign forwards such an input into the variable rather than copying it;
// here the host bridge marks the buffer when it knows it is exclusive, and
// Assign takes it over once (if nothing else holds the buffer by then). A
// buffer is unmarked when taken or destroyed, so a later buffer at the same
// address is never mistaken for it.
#pragma once

#include "core/tensor.h"

namespace metarun {

void mark_adoptable(const Buffer* buffer);
void unmark_adoptable(const Buffer* buffer);
// True (and unmarks it) when `t`'s buffer is marked and `t` is its only holder.
bool take_adoptable(const Tensor& t);

}  // namespace metarun
