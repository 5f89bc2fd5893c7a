"""tf.map_fn, tf.scan, tf.foldl and tf.foldr as TF1 graphs build them: the elements are unstacked
into TensorArrays, a v1 while loop (counted with maximum_iterations) reads one per iteration, and
map_fn/scan write their results into TensorArrays stacked after the loop."""

from metarun.framework import dtypes
from metarun.framework.op_builder import constant, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape
from metarun.ops import control_flow_ops
from metarun.ops.control_flow_ops import _flatten, _pack_as
from metarun.ops.scopes import name_scope
from metarun.ops.tensor_array_ops import TensorArray


def _is_nested(x):
    return isinstance(x, (list, tuple, dict))


def _leading_dim(elems_flat):
    """The number of elements: a Python int when the first dimension is known, else a tensor."""
    from metarun.ops import array_ops
    first = elems_flat[0]
    if first.shape.ndims == 0:
        raise ValueError("Elements in elems must be 1+ dimensional Tensors, not scalars")
    n = first.shape.dims[0] if first.shape.ndims is not None else None
    return n if n else array_ops.shape(first)[0]


def _static_n(elems_flat):
    s = elems_flat[0].shape
    return s.dims[0] if s.ndims else None


def _set_leading(t, n_static):
    rest = t.shape.dims[1:] if t.shape.ndims else None
    if rest is not None:
        t.set_shape(TensorShape([n_static] + rest))


def _unstacked(elems_flat, n, element_shapes=False):
    tas = [TensorArray(dtype=e.dtype, size=n, dynamic_size=False, infer_shape=True,
                       element_shape=(TensorShape(e.shape.dims[1:]) if e.shape.ndims else None)
                       if element_shapes else None)
           for e in elems_flat]
    return [ta.unstack(e) for ta, e in zip(tas, elems_flat)]


def map_fn(fn, elems, dtype=None, parallel_iterations=None, back_prop=True, swap_memory=False, infer_shape=True,
           name=None, fn_output_signature=None):
    if not callable(fn):
        raise TypeError("fn must be callable.")
    if fn_output_signature is None:
        fn_output_signature = dtype
    if not parallel_iterations:
        parallel_iterations = 10
    elems_flat = _flatten(elems)
    with name_scope(name, "map", elems_flat):
        elems_flat = [convert_to_tensor(e, name="elem") for e in elems_flat]
        n = _leading_dim(elems_flat)
        n_static = _static_n(elems_flat)
        elems_ta = _unstacked(elems_flat, n)
        out_structure = elems if fn_output_signature is None else fn_output_signature
        out_dtypes = [e.dtype for e in elems_flat] if fn_output_signature is None else \
            [dtypes.as_dtype(d) for d in _flatten(fn_output_signature)]
        i = constant(0)
        accs_ta = [TensorArray(dtype=dt, size=n, dynamic_size=False, infer_shape=infer_shape) for dt in out_dtypes]

        def compute(i, tas):
            values = _pack_as(elems, [ta.read(i) for ta in elems_ta])
            result = fn(values)
            flat = _flatten(result)
            if len(flat) != len(tas):
                raise ValueError("The two structures don't have the same nested structure.")
            tas = [ta.write(i, v) for ta, v in zip(tas, flat)]
            return (i + 1, tas)
        _, r_a = control_flow_ops.while_loop(lambda i, _: i < n, compute, (i, accs_ta),
                                             parallel_iterations=parallel_iterations, back_prop=back_prop,
                                             swap_memory=swap_memory, maximum_iterations=n)
        results = [r.stack() for r in r_a]
        for r in results:
            _set_leading(r, n_static)
        return _pack_as(out_structure, results) if _is_nested(out_structure) else results[0]


def scan(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, infer_shape=True,
         reverse=False, name=None):
    if not callable(fn):
        raise TypeError("fn must be callable.")
    elems_flat = _flatten(elems)
    with name_scope(name, "scan", elems_flat):
        elems_flat = [convert_to_tensor(e, name="elem") for e in elems_flat]
        n = _leading_dim(elems_flat)
        n_static = _static_n(elems_flat)
        elems_ta = _unstacked(elems_flat, n, element_shapes=True)
        if initializer is None:
            a_flat = [ta.read(n - 1 if reverse else 0) for ta in elems_ta]
            out_structure = elems
            i = 1
        else:
            out_structure = initializer
            a_flat = [convert_to_tensor(x) for x in _flatten(initializer)]
            i = 0
        accs_ta = [TensorArray(dtype=a.dtype, size=n, element_shape=a.shape if infer_shape else None,
                               dynamic_size=False, infer_shape=infer_shape) for a in a_flat]
        if initializer is None:
            accs_ta = [ta.write(n - 1 if reverse else 0, a) for ta, a in zip(accs_ta, a_flat)]

        def compute(i, a_flat, tas):
            packed_elems = _pack_as(elems, [ta.read(i) for ta in elems_ta])
            packed_a = _pack_as(out_structure, a_flat)
            a_out = fn(packed_a, packed_elems)
            flat_out = _flatten(a_out)
            if len(flat_out) != len(a_flat):
                raise ValueError("The two structures don't have the same nested structure.")
            tas = [ta.write(i, v) for ta, v in zip(tas, flat_out)]
            return (i - 1 if reverse else i + 1, flat_out, tas)
        if reverse:
            initial_i = n - 1 - i

            def condition(i, _1, _2):
                return i >= 0
        else:
            initial_i = i

            def condition(i, _1, _2):
                return i < n
        _, _, r_a = control_flow_ops.while_loop(condition, compute, (initial_i, a_flat, accs_ta),
                                                parallel_iterations=parallel_iterations, back_prop=back_prop,
                                                swap_memory=swap_memory, maximum_iterations=n)
        results = [r.stack() for r in r_a]
        for r in results:
            _set_leading(r, n_static)
        return _pack_as(out_structure, results) if _is_nested(out_structure) else results[0]


def foldl(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, name=None):
    return _fold(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, name, "foldl", False)


def foldr(fn, elems, initializer=None, parallel_iterations=10, back_prop=True, swap_memory=False, name=None):
    return _fold(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, name, "foldr", True)


def _fold(fn, elems, initializer, parallel_iterations, back_prop, swap_memory, name, default_name, right):
    if not callable(fn):
        raise TypeError("fn must be callable.")
    elems_flat = _flatten(elems)
    with name_scope(name, default_name, elems_flat):
        elems_flat = [convert_to_tensor(e, name="elem") for e in elems_flat]
        n = _leading_dim(elems_flat)
        elems_ta = _unstacked(elems_flat, n)
        if right:
            if initializer is None:
                i = n - 1
                a = _pack_as(elems, [ta.read(i) for ta in elems_ta])
            else:
                i = n
                a = initializer

            def compute(i, a):
                i -= 1
                return [i, fn(a, _pack_as(elems, [ta.read(i) for ta in elems_ta]))]

            def condition(i, a):
                return i > 0
        else:
            if initializer is None:
                a = _pack_as(elems, [ta.read(0) for ta in elems_ta])
                i = constant(1)
            else:
                a = initializer
                i = constant(0)

            def compute(i, a):
                a = fn(a, _pack_as(elems, [ta.read(i) for ta in elems_ta]))
                return [i + 1, a]

            def condition(i, a):
                return i < n
        _, r_a = control_flow_ops.while_loop(condition, compute, [i, a], parallel_iterations=parallel_iterations,
                                             back_prop=back_prop, swap_memory=swap_memory, maximum_iterations=n)
        return r_a
