"""tf.compat.v1.queue: the TF1 queue classes."""
from metarun.ops.data_flow_ops import (  # noqa: F401
    FIFOQueue, PaddingFIFOQueue, PriorityQueue, QueueBase, RandomShuffleQueue)
