"""What nn_ops_2 needs beside its functions: TF's graph-mode custom_gradient (used by swish) and
static shapes for the ops it builds that shapes_core leaves unknown or does not check."""

import itertools

from metarun.framework import graph as graph_lib
from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape
from metarun.ops import math_ops
from metarun.ops.gradients_impl import RegisterGradient

_ids = itertools.count(1)


def custom_gradient(forward, args):
    """TF's graph-mode custom_gradient for functions of tensors (no variables): the results and
    the arguments pass through one IdentityN whose gradient is the function's own."""
    args = [convert_to_tensor(a) for a in args]
    result, grad_fn = forward(*args)
    flat_result = list(result) if isinstance(result, (list, tuple)) else [result]
    n = len(flat_result)
    grad_name = "CustomGradient-metarun-%d" % next(_ids)

    @RegisterGradient(grad_name)
    def _grad(unused_op, *result_grads):
        input_grads = grad_fn(*result_grads[:n])
        input_grads = list(input_grads) if isinstance(input_grads, (list, tuple)) else [input_grads]
        return [None] * n + input_grads

    for r in flat_result:  # TF's search for variables between the arguments and the results
        apply_op("Identity", input=r)
    g = graph_lib.get_default_graph()
    with g.gradient_override_map({"IdentityN": grad_name}):
        out = math_ops.identity_n(flat_result + args)
    return out[:n] if isinstance(result, (list, tuple)) else out[0]


# -- static shapes --------------------------------------------------------------------------------
# The depthwise backprops take their shape from their sizes input; convolutions and max pools with
# EXPLICIT padding get TF's sizes (the shapes_core functions leave them unknown), and a VALID window
# larger than its input is refused while building, as TF's shape functions do.

def _register_shapes():
    @si.register("DepthwiseConv2dNativeBackpropInput")
    def _depthwise_input(op):
        return [si.constant_shape(op.inputs[0])]

    @si.register("DepthwiseConv2dNativeBackpropFilter")
    def _depthwise_filter(op):
        return [si.constant_shape(op.inputs[1])]

    def explicit(base, window_of):
        def fn(op):
            if op.get_attr("padding") in (b"VALID", "VALID"):
                _check_valid_window(op, window_of)
            if op.get_attr("padding") not in (b"EXPLICIT", "EXPLICIT"):
                return base(op)
            pads = list(op.get_attr("explicit_paddings"))
            if len(pads) != 8:
                raise ValueError("explicit_paddings attribute must contain 8 values, but got: %d for '{{node %s}}'"
                                 % (len(pads), op.name))
            x = op.inputs[0].shape
            if x.ndims is None:
                return [TensorShape([None] * 4)]
            nchw = op.get_attr("data_format") in (b"NCHW", "NCHW")
            sp = (2, 3) if nchw else (1, 2)
            strides = op.get_attr("strides")
            window, dilations, channels = window_of(op)
            dims = list(x.dims)
            for i, k in zip(sp, window):
                eff = None if k is None else (k - 1) * dilations[i] + 1
                size = dims[i]
                dims[i] = None if size is None or eff is None else \
                    (size + pads[2 * i] + pads[2 * i + 1] - eff) // strides[i] + 1
            dims[1 if nchw else 3] = channels if channels != "same" else dims[1 if nchw else 3]
            return [TensorShape(dims)]
        return fn

    def _check_valid_window(op, window_of):
        x = op.inputs[0].shape
        if x.ndims != 4:
            return
        sp = (2, 3) if op.get_attr("data_format") in (b"NCHW", "NCHW") else (1, 2)
        window, dilations, _ = window_of(op)
        for i, k in zip(sp, window):
            eff = None if k is None else (k - 1) * dilations[i] + 1
            if eff is not None and x.dims[i] is not None and x.dims[i] < eff:
                raise ValueError("Negative dimension size caused by subtracting %d from %d for '{{node %s}}'"
                                 % (eff, x.dims[i], op.name))

    def conv_window(op):
        w = op.inputs[1].shape
        if w.ndims is None:
            return [None, None], op.get_attr("dilations"), None
        if op.type == "Conv2D":
            oc = w.dims[3]
        else:
            oc = None if w.dims[2] is None or w.dims[3] is None else w.dims[2] * w.dims[3]
        return w.dims[:2], op.get_attr("dilations"), oc

    def pool_window(op):
        k = op.get_attr("ksize")
        nchw = op.get_attr("data_format") in (b"NCHW", "NCHW")
        return ([k[2], k[3]] if nchw else [k[1], k[2]]), [1, 1, 1, 1], "same"

    for op_type, window_of in (("Conv2D", conv_window), ("DepthwiseConv2dNative", conv_window),
                               ("MaxPool", pool_window), ("AvgPool", pool_window)):
        si.register(op_type)(explicit(si._FNS[op_type], window_of))


_register_shapes()
