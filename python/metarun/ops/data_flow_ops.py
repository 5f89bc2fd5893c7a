"""TF1 queues (tf.FIFOQueue, tf.PaddingFIFOQueue, tf.RandomShuffleQueue, tf.PriorityQueue,
tf.QueueBase) as TF builds them: a V2 queue op (a resource handle) and the Queue*V2 ops that use it,
named and shaped as TF names and shapes them. The queues themselves (blocking, closing, the shuffle
and priority orders) live in the C++ kernels (queue_ops.cpp)."""

import collections.abc
import hashlib

from metarun.framework import dtypes as dtypes_lib
from metarun.framework import graph as graph_lib
from metarun.framework import shape_inference
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape, as_shape, unknown_shape
from metarun.ops.misc_ops import init_scope
from metarun.ops.scopes import name_scope


def _assert_compatible(a, b):
    """TF's TensorShape.assert_is_compatible_with."""
    if not a.is_compatible_with(b):
        raise ValueError("Shapes %s and %s are incompatible" % (a, b))


def _as_type_list(dtypes):
    assert dtypes is not None
    if not isinstance(dtypes, (list, tuple)):
        return [dtypes_lib.as_dtype(dtypes)]
    return [dtypes_lib.as_dtype(d) for d in dtypes]


def _as_shape_list(shapes, dtypes, unknown_dim_allowed=False, unknown_rank_allowed=False):
    del dtypes
    if unknown_dim_allowed:
        if (not isinstance(shapes, collections.abc.Sequence) or not shapes
                or any(shape is None or isinstance(shape, int) for shape in shapes)):
            raise ValueError("When providing partial shapes, a list of shapes must be provided.")
    if shapes is None:
        return None
    if isinstance(shapes, TensorShape):
        shapes = [shapes]
    if not isinstance(shapes, (tuple, list)):
        raise TypeError("Shapes must be a TensorShape or a list or tuple of TensorShapes, "
                        f"got {type(shapes)} instead.")
    if all(shape is None or isinstance(shape, int) for shape in shapes):
        shapes = [shapes]
    shapes = [as_shape(shape) for shape in shapes]
    if not unknown_dim_allowed:
        if any(not shape.is_fully_defined() for shape in shapes):
            raise ValueError(f"All shapes must be fully defined: {shapes}")
    if not unknown_rank_allowed:
        if any(shape.dims is None for shape in shapes):
            raise ValueError(f"All shapes must have a defined rank: {shapes}")
    return shapes


def _as_name_list(names, dtypes):
    if names is None:
        return None
    if not isinstance(names, (list, tuple)):
        names = [names]
    if len(names) != len(dtypes):
        raise ValueError("List of names must have the same length as the list "
                         f"of dtypes, received len(names)={len(names)},len(dtypes)={len(dtypes)}")
    return list(names)


class QueueBase(object):
    """tf.QueueBase: a queue handle plus its component dtypes, shapes and names."""

    def __init__(self, dtypes, shapes, names, queue_ref):
        self._dtypes = dtypes
        if shapes is not None:
            if len(shapes) != len(dtypes):
                raise ValueError("Queue shapes must have the same length as dtypes, "
                                 f"received len(shapes)={len(shapes)}, len(dtypes)={len(dtypes)}")
            self._shapes = [TensorShape(s) for s in shapes]
        else:
            self._shapes = [unknown_shape() for _ in self._dtypes]
        if names is not None:
            if len(names) != len(dtypes):
                raise ValueError("Queue names must have the same length as dtypes,"
                                 f"received len(names)={len(names)},len {len(dtypes)}")
            self._names = names
        else:
            self._names = None
        self._queue_ref = queue_ref
        self._name = self._queue_ref.op.name.split("/")[-1]

    @staticmethod
    def from_list(index, queues):
        """A queue that is queues[index] at run time (QueueBase.from_list)."""
        if not queues or not isinstance(queues, list) or not all(isinstance(x, QueueBase) for x in queues):
            raise TypeError("A list of queues expected")
        dtypes = queues[0].dtypes
        if not all(dtypes == q.dtypes for q in queues[1:]):
            raise TypeError("Queues do not have matching component dtypes.")
        names = queues[0].names
        if not all(names == q.names for q in queues[1:]):
            raise TypeError("Queues do not have matching component names.")
        queue_shapes = [q.shapes for q in queues]
        reduced_shapes = [_shape_common_list([s[i] for s in queue_shapes]) for i in range(len(queue_shapes[0]))]
        from metarun.ops import array_ops
        queue_refs = array_ops.stack([x.queue_ref for x in queues])
        selected_queue = array_ops.gather(queue_refs, index)
        return QueueBase(dtypes=dtypes, shapes=reduced_shapes, names=names, queue_ref=selected_queue)

    @property
    def queue_ref(self):
        return self._queue_ref

    @property
    def name(self):
        return self._queue_ref.op.name

    @property
    def dtypes(self):
        return self._dtypes

    @property
    def shapes(self):
        return self._shapes

    @property
    def names(self):
        return self._names

    def _check_enqueue_dtypes(self, vals):
        if isinstance(vals, dict):
            if not self._names:
                raise ValueError("Queue must have names to enqueue a dictionary")
            if sorted(self._names, key=str) != sorted(vals.keys(), key=str):
                raise ValueError("Keys in dictionary to enqueue do not match names of Queue.  "
                                 f"Dictionary: {sorted(vals.keys())},Queue: {sorted(self._names)}")
            vals = [vals[k] for k in self._names]
        else:
            if self._names:
                raise ValueError("You must enqueue a dictionary in a Queue with names")
            if not isinstance(vals, (list, tuple)):
                vals = [vals]
        return [convert_to_tensor(val, dtype=dtype, name="component_%d" % i)
                for i, (val, dtype) in enumerate(zip(vals, self._dtypes))]

    @staticmethod
    def _scope_vals(vals):
        if isinstance(vals, (list, tuple)):
            return vals
        if isinstance(vals, dict):
            return list(vals.values())
        return [vals]

    def _v2(self):
        return self._queue_ref.dtype == dtypes_lib.resource

    def enqueue(self, vals, name=None):
        with name_scope(name, "%s_enqueue" % self._name, self._scope_vals(vals)) as scope:
            vals = self._check_enqueue_dtypes(vals)
            for val, shape in zip(vals, self._shapes):
                _assert_compatible(val.get_shape(), shape)
            return apply_op("QueueEnqueueV2" if self._v2() else "QueueEnqueue", handle=self._queue_ref,
                            components=vals, name=scope)

    def enqueue_many(self, vals, name=None):
        with name_scope(name, "%s_EnqueueMany" % self._name, self._scope_vals(vals)) as scope:
            vals = self._check_enqueue_dtypes(vals)
            batch_dim = None
            for val in vals:
                s = val.get_shape().with_rank_at_least(1)
                d = s.as_list()[0] if s.dims is not None else None
                if d is not None and batch_dim is not None and d != batch_dim:
                    raise ValueError("Dimensions %d and %d are not compatible" % (batch_dim, d))
                batch_dim = d if batch_dim is None else batch_dim
            for val, shape in zip(vals, self._shapes):
                _assert_compatible(val.get_shape()[1:], shape)
            return apply_op("QueueEnqueueManyV2", handle=self._queue_ref, components=vals, name=scope)

    def _dequeue_return_value(self, tensors):
        if self._names:
            return {n: tensors[i] for i, n in enumerate(self._names)}
        if len(tensors) == 1:
            return tensors[0]
        return tensors

    @staticmethod
    def _outputs(ret):
        return list(ret) if isinstance(ret, (list, tuple)) else [ret]

    def dequeue(self, name=None):
        if name is None:
            name = "%s_Dequeue" % self._name
        ret = self._outputs(apply_op("QueueDequeueV2" if self._v2() else "QueueDequeue", handle=self._queue_ref,
                                     component_types=self._dtypes, name=name))
        for output, shape in zip(ret, self._shapes):
            output.set_shape(shape)
        return self._dequeue_return_value(ret)

    def dequeue_many(self, n, name=None):
        if name is None:
            name = "%s_DequeueMany" % self._name
        ret = self._outputs(apply_op("QueueDequeueManyV2", handle=self._queue_ref, n=n,
                                     component_types=self._dtypes, name=name))
        value = shape_inference.constant_value(ret[0].op.inputs[1])
        batch_dim = None if value is None else int(value)
        for output, shape in zip(ret, self._shapes):
            output.set_shape(TensorShape([batch_dim]).concatenate(shape))
        return self._dequeue_return_value(ret)

    def dequeue_up_to(self, n, name=None):
        if name is None:
            name = "%s_DequeueUpTo" % self._name
        ret = self._outputs(apply_op("QueueDequeueUpToV2", handle=self._queue_ref, n=n,
                                     component_types=self._dtypes, name=name))
        for output, shape in zip(ret, self._shapes):
            output.set_shape(TensorShape([None]).concatenate(shape))
        return self._dequeue_return_value(ret)

    def close(self, cancel_pending_enqueues=False, name=None):
        if name is None:
            name = "%s_Close" % self._name
        return apply_op("QueueCloseV2" if self._v2() else "QueueClose", handle=self._queue_ref,
                        cancel_pending_enqueues=cancel_pending_enqueues, name=name)

    def is_closed(self, name=None):
        if name is None:
            name = "%s_Is_Closed" % self._name
        return apply_op("QueueIsClosedV2" if self._v2() else "QueueIsClosed", handle=self._queue_ref, name=name)

    def size(self, name=None):
        if name is None:
            name = "%s_Size" % self._name
        return apply_op("QueueSizeV2" if self._v2() else "QueueSize", handle=self._queue_ref, name=name)


def _shape_common(s1, s2):
    s1 = TensorShape(s1)
    s2 = TensorShape(s2)
    if s1.ndims is None or s2.ndims is None or s1.ndims != s2.ndims:
        return unknown_shape()
    return TensorShape([d1 if d1 is not None and d1 == d2 else None
                        for d1, d2 in zip(s1.as_list(), s2.as_list())])


def _shape_common_list(shapes):
    out = shapes[0]
    for s in shapes[1:]:
        out = _shape_common(out, s)
    return out


def _shape_attr(shapes):
    return [] if shapes is None else shapes


class FIFOQueue(QueueBase):
    """tf.FIFOQueue: a FIFOQueueV2 resource (made on the CPU outside control-flow contexts, as TF does)."""

    def __init__(self, capacity, dtypes, shapes=None, names=None, shared_name=None, name="fifo_queue"):
        dtypes = _as_type_list(dtypes)
        shapes = _as_shape_list(shapes, dtypes)
        names = _as_name_list(names, dtypes)
        with init_scope(), graph_lib.get_default_graph().device("CPU"):
            queue_ref = apply_op("FIFOQueueV2", component_types=dtypes, shapes=_shape_attr(shapes),
                                 capacity=capacity, shared_name=shared_name or "", container="", name=name)
        super().__init__(dtypes, shapes, names, queue_ref)


class PaddingFIFOQueue(QueueBase):
    """tf.PaddingFIFOQueue: dequeue_many pads each component to the largest element of the batch."""

    def __init__(self, capacity, dtypes, shapes, names=None, shared_name=None, name="padding_fifo_queue"):
        dtypes = _as_type_list(dtypes)
        shapes = _as_shape_list(shapes, dtypes, unknown_dim_allowed=True)
        names = _as_name_list(names, dtypes)
        if len(dtypes) != len(shapes):
            raise ValueError(f"Shapes must be provided for all components, but received {len(dtypes)} dtypes "
                             f"and {len(shapes)} shapes.")
        queue_ref = apply_op("PaddingFIFOQueueV2", component_types=dtypes, shapes=shapes, capacity=capacity,
                             shared_name=shared_name or "", container="", name=name)
        super().__init__(dtypes, shapes, names, queue_ref)


class RandomShuffleQueue(QueueBase):
    """tf.RandomShuffleQueue: dequeues in a random order TF's seeds fix, keeping min_after_dequeue
    elements back until closed."""

    def __init__(self, capacity, min_after_dequeue, dtypes, shapes=None, names=None, seed=None, shared_name=None,
                 name="random_shuffle_queue"):
        from metarun.ops.random_ops import get_seed
        dtypes = _as_type_list(dtypes)
        shapes = _as_shape_list(shapes, dtypes)
        names = _as_name_list(names, dtypes)
        seed1, seed2 = get_seed(seed)
        if seed1 is None and seed2 is None:
            seed1, seed2 = 0, 0
        elif seed is None and shared_name is not None:
            # A graph seed without an op seed: sharers agree on seed2 through the shared name.
            seed2 = int(hashlib.md5((str(seed1) + shared_name).encode("utf-8")).hexdigest()[:8], 16) & 0x7FFFFFFF
        queue_ref = apply_op("RandomShuffleQueueV2", component_types=dtypes, shapes=_shape_attr(shapes),
                             capacity=capacity, min_after_dequeue=min_after_dequeue, seed=seed1, seed2=seed2,
                             shared_name=shared_name or "", container="", name=name)
        super().__init__(dtypes, shapes, names, queue_ref)


class PriorityQueue(QueueBase):
    """tf.PriorityQueue: elements come out smallest int64 priority first; the priority is the
    first component of what is enqueued and dequeued (not of `types`)."""

    def __init__(self, capacity, types, shapes=None, names=None, shared_name=None, name="priority_queue"):
        types = _as_type_list(types)
        shapes = _as_shape_list(shapes, types)
        queue_ref = apply_op("PriorityQueueV2", component_types=types, shapes=_shape_attr(shapes),
                             capacity=capacity, shared_name=shared_name or "", container="", name=name)
        priority_dtypes = [dtypes_lib.int64] + types
        priority_shapes = [()] + shapes if shapes else shapes
        super().__init__(priority_dtypes, priority_shapes, names, queue_ref)
