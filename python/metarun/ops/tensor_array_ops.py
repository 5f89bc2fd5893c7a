"""tf.TensorArray as TF1 graphs build it: TensorArrayV3 ops threaded by a float `flow` tensor.

A TensorArray is a handle (a resource made by TensorArrayV3) plus a flow: every write returns a
new TensorArray object with the same handle and the write's flow output, and every read takes the
flow it should follow, so the data dependencies order the reads after the writes. Arrays built
from one another share their element shape, which the first write fixes when `infer_shape`.
"""

import contextlib

from metarun.framework import dtypes, shape_inference
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape
from metarun.ops.scopes import name_scope


def _merge(a, b):
    return shape_inference.merge(a, b)


def _set_shape(t, dims):
    t.set_shape(TensorShape(dims))


class TensorArray(object):
    """TF1's tf.TensorArray (graph mode)."""

    _is_tensor_array = True

    def __init__(self, dtype, size=None, dynamic_size=None, clear_after_read=None, tensor_array_name=None,
                 handle=None, flow=None, infer_shape=True, element_shape=None,
                 colocate_with_first_write_call=True, name=None):
        if clear_after_read is None:
            clear_after_read = True
        self._dynamic_size = dynamic_size or False
        self._dtype = dtypes.as_dtype(dtype).base_dtype
        self._colocate_with_first_write_call = colocate_with_first_write_call
        self._colocate_with = [] if colocate_with_first_write_call else None
        self._element_shape = [TensorShape(element_shape)]
        self._infer_shape = infer_shape
        self._size = size
        g = graph_lib.get_default_graph()
        # As TF does, the name scope is taken even when no op is made (an array given its handle).
        with name_scope(name, "TensorArray", [v for v in (handle, size, flow) if v is not None]) as scope:
            if handle is not None:
                if flow is None:
                    raise ValueError("flow must not be None if handle is not None.")
                self._handle, self._flow = handle, flow
                return

            def create():
                return apply_op("TensorArrayV3", size=size, dtype=self._dtype,
                                element_shape=TensorShape(element_shape), identical_element_shapes=infer_shape,
                                dynamic_size=self._dynamic_size, clear_after_read=clear_after_read,
                                tensor_array_name=tensor_array_name or "", name=scope)
            if colocate_with_first_write_call:
                with g.device(None), g.colocate_with(None, ignore_existing=True):
                    self._handle, self._flow = create()
            else:
                self._handle, self._flow = create()

    flow = property(lambda self: self._flow)
    dtype = property(lambda self: self._dtype)
    handle = property(lambda self: self._handle)
    element_shape = property(lambda self: self._element_shape[0])

    def _with_flow(self, flow):
        """This array (same handle, shared element shape) after `flow`."""
        ta = TensorArray(self._dtype, handle=self._handle, flow=flow, infer_shape=self._infer_shape,
                         colocate_with_first_write_call=self._colocate_with_first_write_call)
        ta._dynamic_size = self._dynamic_size
        ta._size = self._size
        ta._colocate_with = self._colocate_with
        ta._element_shape = self._element_shape
        return ta

    def _check_element_shape(self, shape):
        if not shape.is_compatible_with(self.element_shape):
            raise ValueError("Inconsistent shapes: saw %s but expected %s " % (shape, self.element_shape))
        if self._infer_shape:
            self._element_shape[0] = _merge(self.element_shape, shape)

    @contextlib.contextmanager
    def _maybe_colocate_with(self, value):
        if not self._colocate_with_first_write_call:
            yield
            return
        if not self._colocate_with:
            self._colocate_with.append(value)
        with graph_lib.get_default_graph().colocate_with(self._colocate_with[0].op):
            yield

    def _check_dtype(self, value):
        if value.dtype.base_dtype != self._dtype:
            raise ValueError("TensorArray dtype is %s but Op is trying to write dtype %s "
                             % (self._dtype.name, value.dtype.base_dtype.name))

    def identity(self):
        return self._with_flow(apply_op("Identity", input=self._flow))

    def grad(self, source, flow=None, name=None):
        """The gradient TensorArray of this one for `source` (TensorArrayGradV3)."""
        g = graph_lib.get_default_graph()
        flow = self._flow if flow is None else flow
        with name_scope(name, "TensorArrayGrad", [self._handle]):
            with g.colocate_with(self._handle.op):
                g_handle, _ = apply_op("TensorArrayGradV3", handle=self._handle, flow_in=flow, source=source,
                                       name=name)
                with g.control_dependencies([g_handle]):
                    flow = apply_op("Identity", input=flow, name="gradient_flow")
                ta = TensorArray(self._dtype, handle=g_handle, flow=flow, infer_shape=self._infer_shape,
                                 colocate_with_first_write_call=False)
                ta._element_shape = self._element_shape
                return ta

    def read(self, index, name=None):
        value = apply_op("TensorArrayReadV3", handle=self._handle, index=index, flow_in=self._flow,
                         dtype=self._dtype, name=name)
        if self.element_shape.ndims is not None:
            _set_shape(value, self.element_shape.dims)
        return value

    def write(self, index, value, name=None):
        with name_scope(name, "TensorArrayWrite", [self._handle, index, value]):
            value = convert_to_tensor(value, preferred_dtype=self._dtype, name="value")
            self._check_dtype(value)
            self._check_element_shape(value.shape)
            with self._maybe_colocate_with(value):
                flow = apply_op("TensorArrayWriteV3", handle=self._handle, index=index, value=value,
                                flow_in=self._flow, name=name)
            return self._with_flow(flow)

    def stack(self, name=None):
        from metarun.ops import math_ops
        with graph_lib.get_default_graph().colocate_with(self._handle.op):
            with name_scope(name, "TensorArrayStack", [self._handle]):
                value = self.gather(math_ops.range(0, self.size()), name=name)
                n = shape_inference.constant_value(convert_to_tensor(self._size)) \
                    if not self._dynamic_size and self._size is not None and \
                    not isinstance(self._size, (int, float)) else self._size
                if self.element_shape.ndims is not None and not self._dynamic_size and n is not None:
                    _set_shape(value, [int(n)] + self.element_shape.dims)
                return value

    def gather(self, indices, name=None):
        shape = self.element_shape
        value = apply_op("TensorArrayGatherV3", handle=self._handle, indices=indices, flow_in=self._flow,
                         dtype=self._dtype, element_shape=shape, name=name)
        if shape.ndims is not None:
            _set_shape(value, [None] + shape.dims)
        return value

    def concat(self, name=None):
        shape = self.element_shape
        rest = TensorShape(shape.dims[1:]) if shape.ndims else TensorShape(None)
        value, _ = apply_op("TensorArrayConcatV3", handle=self._handle, flow_in=self._flow, dtype=self._dtype,
                            element_shape_except0=rest, name=name)
        if shape.ndims:
            # TF asks for the size to give the result a static length when it can.
            n = shape_inference.constant_value(self.size())
            d0 = shape.dims[0]
            _set_shape(value, [int(n) * d0 if n is not None and d0 is not None else None] + shape.dims[1:])
        return value

    def unstack(self, value, name=None):
        from metarun.ops import array_ops, math_ops
        with name_scope(name, "TensorArrayUnstack", [self._handle, value]):
            num = array_ops.shape(value)[0]
            return self.scatter(indices=math_ops.range(0, num), value=value, name=name)

    def scatter(self, indices, value, name=None):
        with name_scope(name, "TensorArrayScatter", [self._handle, value, indices]):
            value = convert_to_tensor(value, preferred_dtype=self._dtype, name="value")
            self._check_dtype(value)
            if value.shape.ndims is not None:
                self._check_element_shape(TensorShape(value.shape.dims[1:]))
            else:
                self._check_element_shape(TensorShape(None))
            with self._maybe_colocate_with(value):
                flow = apply_op("TensorArrayScatterV3", handle=self._handle, indices=indices, value=value,
                                flow_in=self._flow, name=name)
            return self._with_flow(flow)

    def split(self, value, lengths, name=None):
        from metarun.ops import math_ops
        with name_scope(name, "TensorArraySplit", [self._handle, value, lengths]):
            value = convert_to_tensor(value, dtype=self._dtype, name="value")
            with self._maybe_colocate_with(value):
                lengths_64 = math_ops.cast(lengths, dtypes.int64)
                known = shape_inference.constant_value(lengths_64)
                if value.shape.ndims is not None and known is not None and known.shape and \
                        known.max() == known.min():
                    self._check_element_shape(TensorShape([int(known[0])] + value.shape.dims[1:]))
                flow = apply_op("TensorArraySplitV3", handle=self._handle, value=value, lengths=lengths_64,
                                flow_in=self._flow, name=name)
            return self._with_flow(flow)

    def size(self, name=None):
        if not self._dynamic_size and self._size is not None:
            return convert_to_tensor(self._size, dtype=dtypes.int32)
        return apply_op("TensorArraySizeV3", handle=self._handle, flow_in=self._flow, name=name)

    def close(self, name=None):
        return apply_op("TensorArrayCloseV3", handle=self._handle, name=name)


def _register_shapes():
    si = shape_inference

    @si.register("TensorArrayV3")
    def _create(op):
        return [TensorShape([2]), TensorShape([])]

    @si.register("TensorArrayWriteV3", "TensorArrayScatterV3", "TensorArraySplitV3")
    def _flow(op):
        return [TensorShape([])]

    @si.register("TensorArraySizeV3")
    def _size(op):
        return [TensorShape([])]

    @si.register("TensorArrayGradV3")
    def _grad(op):
        return [TensorShape([2]), TensorShape([])]

    @si.register("TensorArrayConcatV3")
    def _concat(op):
        return [TensorShape(None), TensorShape([None])]

    @si.register("StackV2")
    def _stack(op):
        return [TensorShape([2])]

    @si.register("StackPushV2")
    def _push(op):
        return [op._inputs[1].shape]


_register_shapes()

from metarun.ops import tensor_array_grad  # noqa: E402,F401 -- registers the TensorArray gradients
