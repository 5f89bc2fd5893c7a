// Queues (FIFOQueue, PaddingFIFOQueue, RandomShuffleQueue, PriorityQueue) as
// other kernels use them: a reader's ReaderRead takes its work (file names)
// from a queue, as TF's ReaderBase does through QueueInterface.
#pragma once

#include <vector>

#include "framework/kernel.h"

namespace metarun {

// Dequeues one element from the queue whose handle is input `input_index` of
// ctx's node: a V1 queue op's string[2] (ref) handle or a V2 op's resource
// handle. Blocks exactly like QueueDequeue: it waits its turn behind earlier
// dequeues, until an element is there (for a RandomShuffleQueue: more than
// min_after_dequeue of them, unless closed), the queue is closed and empty
// (OutOfRange, TF's message naming the queue), or the run stops (Cancelled
// when cancelled or its session closed, DeadlineExceeded past the run's
// timeout). On success `tuple` holds one tensor per component, in the
// queue's component order (for a PriorityQueue the int64 priority first).
// Other errors: NotFound for a handle naming no queue, InvalidArgument for an
// input that is not a queue handle.
Status dequeue_one(OpContext& ctx, int input_index, std::vector<Tensor>* tuple);

// The component dtypes of the queue whose handle is input `input_index`
// (a reader checks it was given a queue of one string).
Status queue_component_types(OpContext& ctx, int input_index, std::vector<DType>* dtypes);

}  // namespace metarun
