"""SparseTensors through tf.train's batching queues, as TF 2.21's input.py passes them: each is
stored in a SparseTensorsMap before the enqueue (AddSparseToTensorsMap, or AddManySparseToTensorsMap
with enqueue_many), the queue carries its int64 handle as a [1] vector, and after the dequeue
TakeManySparseFromTensorsMap stacks the batch's SparseTensors back into one, every restored
component depending on all the dequeued values. The join functions store every list's
SparseTensors in the first list's maps, so one TakeMany finds them all."""
from metarun.framework import dtypes
from metarun.framework.op_builder import convert_to_tensor
from metarun.framework.sparse_tensor import SparseTensor
from metarun.ops import array_ops, control_flow_ops
from metarun.ops import sparse_ops
from metarun.ops.sparse_tensors_map_ops import (_add_many_sparse_to_tensors_map, _add_sparse_to_tensors_map,
                                                _take_many_sparse_from_tensors_map)

_MAP_OPS = ("AddSparseToTensorsMap", "AddManySparseToTensorsMap")


class _SparseMetaData(object):
    """Whether a component is sparse, the op whose map holds it, and its static rank."""

    def __init__(self, sparse, map_op, rank):
        self.sparse = sparse
        self.map_op = map_op
        self.rank = rank

    def __eq__(self, other):
        if self.sparse != other.sparse:
            return False
        if not self.sparse:
            return True
        if (self.map_op is not None) != (other.map_op is not None) or self.map_op != other.map_op:
            return False
        return self.rank is None or other.rank is None or self.rank == other.rank

    def __ne__(self, other):
        return not self.__eq__(other)

    def __str__(self):
        return "[SparseMetaData(%s, %s, %s)]" % (self.sparse, self.map_op.name, "?" if self.rank is None else self.rank)

    def merge_with(self, other):
        # TF checks the ranks agree but keeps this one's rank (its merged Dimension is dropped).
        if self != other:
            raise ValueError("SparseMetaData objects are incompatible: %s vs. %s" % (self, other))
        return self


def _is_sparse(t):
    return isinstance(t, SparseTensor)


def _store_sparse_tensors(tensor_list, enqueue_many, keep_input, shared_map_ops=None, smart_cond=None):
    """(tensor_list with each SparseTensor replaced by its handles as [1] rows, their metadata)."""
    shared_map_ops = shared_map_ops or [None] * len(tensor_list)

    def store(t, shared_map_op):
        if not _is_sparse(t):
            return t
        map_name = shared_map_op.name if shared_map_op else None
        if keep_input.shape.ndims == 1:
            kept = sparse_ops.sparse_retain(t, array_ops.gather(keep_input, t.indices[:, 0]))
            return _add_many_sparse_to_tensors_map(kept, shared_name=map_name)
        if enqueue_many:
            out = smart_cond(keep_input, lambda: _add_many_sparse_to_tensors_map(t, shared_name=map_name),
                             lambda: -1 * array_ops.ones(array_ops.shape(t)[0:1], dtypes.int64))
            out.set_shape([None])
            return out
        return smart_cond(keep_input, lambda: _add_sparse_to_tensors_map(t, shared_name=map_name),
                          lambda: convert_to_tensor(-1, dtype=dtypes.int64))

    stored = [store(t, m) for t, m in zip(tensor_list, shared_map_ops)]

    def map_op(s):
        # Behind a cond the handle comes out of a Merge: its storing op is among the Merge's inputs.
        for inp in s.op.inputs:
            if inp.op.type in _MAP_OPS:
                return inp.op
        return s.op

    infos = []
    for t, s, shared in zip(tensor_list, stored, shared_map_ops):
        if not _is_sparse(t):
            infos.append(_SparseMetaData(False, None, None))
            continue
        rank = t.dense_shape.shape.with_rank(1).dims[0]
        if enqueue_many and rank is not None:
            rank -= 1
        infos.append(_SparseMetaData(True, shared or map_op(s), rank))
    stored = [array_ops.expand_dims(s, [-1]) if info.sparse else s for s, info in zip(stored, infos)]
    return stored, infos


def _store_sparse_tensors_join(tensor_list_list, enqueue_many, keep_input, smart_cond):
    stored0, infos = _store_sparse_tensors(tensor_list_list[0], enqueue_many, keep_input, smart_cond=smart_cond)
    out = [stored0]
    for tensor_list in tensor_list_list[1:]:
        stored, candidate = _store_sparse_tensors(tensor_list, enqueue_many, keep_input,
                                                  [info.map_op for info in infos], smart_cond=smart_cond)
        if infos != candidate:
            raise ValueError("Inconsistent SparseTensors list: %s vs. %s" % (tensor_list_list[0], tensor_list))
        infos = [info.merge_with(c) for info, c in zip(infos, candidate)]
        out.append(stored)
    return out, infos


def _restore_sparse_tensors(stored_list, infos):
    """The dequeued components with SparseTensors taken back out of their maps."""
    received_sequence = isinstance(stored_list, (list, tuple))
    if not received_sequence:
        stored_list = (stored_list,)
    tensors = [_take_many_sparse_from_tensors_map(info.map_op, array_ops.squeeze(s, [1]),
                                                  rank=None if info.rank is None else info.rank + 1)
               if info.sparse else s for s, info in zip(stored_list, infos)]
    if not any(_is_sparse(t) for t in tensors):
        return tensors if received_sequence else tensors[0]
    values = [t.values if _is_sparse(t) else t for t in tensors]

    def with_deps(x):
        return control_flow_ops.with_dependencies(values, x)

    restored = [SparseTensor(with_deps(t.indices), with_deps(t.values), with_deps(t.dense_shape)) if _is_sparse(t)
                else with_deps(t) for t in tensors]
    return restored if received_sequence else tensors[0]
