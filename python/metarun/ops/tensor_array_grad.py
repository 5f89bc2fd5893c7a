"""Gradients of the TensorArray ops, as TF builds them.

The gradient of an array lives in its gradient array (TensorArrayGradV3 of the forward handle,
one per gradients() call: the call's `gradients...` name scope is the `source`). A read's
gradient is a write into it, a write's gradient a read from it; gather and scatter, concat and
split likewise swap. Writes wait for the forward write they differentiate (a `write_barrier`
Identity after the forward flow), so a dynamically sized array has its final size when its
gradient array is made.
"""

from metarun.framework import graph as graph_lib
from metarun.ops import gradients_impl
from metarun.ops.gradients_impl import NotDifferentiable, RegisterGradient
from metarun.ops.tensor_array_ops import TensorArray

for _t in ("TensorArray", "TensorArrayGrad", "TensorArraySize", "TensorArrayClose", "TensorArrayV2",
           "TensorArrayGradV2", "TensorArraySizeV2", "TensorArrayCloseV2", "TensorArrayV3",
           "TensorArrayGradV3", "TensorArrayGradWithShape", "TensorArraySizeV3", "TensorArrayCloseV3"):
    if _t not in gradients_impl._GRADIENTS:
        NotDifferentiable(_t)


def _grad_source(t):
    """The gradients() scope `t` was made in: the name up to its last `gradients*` part."""
    parts = t.name.split("/")
    at = [i for i, p in enumerate(parts) if p.startswith("gradients")]
    if not at:
        raise ValueError("Expected op/tensor name to start with gradients (excluding scope), got: %s. This "
                         "means that a tf.gradients op with this op in its dependency path has a custom name "
                         "that does not start with 'gradients'. Please make sure all calls to tf.gradients "
                         "that have non-empty `name` arguments use names that start with 'gradients'." % t.name)
    return "/".join(parts[:at[-1] + 1])


def _grad_array(op, dtype_attr, flow, source_of):
    forward = TensorArray(dtype=op.get_attr(dtype_attr), handle=op._inputs[0], flow=flow,
                          colocate_with_first_write_call=False)
    return forward.grad(source=_grad_source(source_of), flow=flow)


def _after_forward_write(op, flow):
    """`flow` again, once the forward write `op` is done."""
    from metarun.ops import array_ops
    g = graph_lib.get_default_graph()
    flow_out = array_ops.identity(op.outputs[0], "flow_out")
    with g.control_dependencies([flow_out]):
        return array_ops.identity(flow, "write_barrier")


def _read_grad(op, grad):
    g = _grad_array(op, "dtype", op._inputs[2], grad)
    return [None, None, g.write(op._inputs[1], grad).flow]


def _write_grad(op, flow):
    flow = _after_forward_write(op, flow)
    g = _grad_array(op, "T", flow, flow)
    return [None, None, g.read(op._inputs[1]), flow]


def _gather_grad(op, grad):
    g = _grad_array(op, "dtype", op._inputs[2], grad)
    return [None, None, g.scatter(op._inputs[1], grad).flow]


def _scatter_grad(op, flow):
    flow = _after_forward_write(op, flow)
    g = _grad_array(op, "T", flow, flow)
    return [None, None, g.gather(op._inputs[1]), flow]


def _concat_grad(op, grad, unused_lengths_grad):
    g = _grad_array(op, "dtype", op._inputs[1], grad)
    return [None, g.split(grad, lengths=op.outputs[1]).flow]


def _split_grad(op, flow):
    flow = _after_forward_write(op, flow)
    g = _grad_array(op, "T", flow, flow)
    return [None, g.concat(), None, flow]


for _suffix in ("", "V2", "V3"):
    RegisterGradient("TensorArrayRead" + _suffix)(_read_grad)
    RegisterGradient("TensorArrayWrite" + _suffix)(_write_grad)
    RegisterGradient("TensorArrayGather" + _suffix)(_gather_grad)
    RegisterGradient("TensorArrayScatter" + _suffix)(_scatter_grad)
    RegisterGradient("TensorArrayConcat" + _suffix)(_concat_grad)
    RegisterGradient("TensorArraySplit" + _suffix)(_split_grad)
