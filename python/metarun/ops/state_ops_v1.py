"""TF1's tf.assign* and tf.scatter* functions (state_ops): on a ref variable (or ref tensor) the ref
kernel, whose output is the updated ref; on a resource variable the resource kernel, followed by a
read of the variable that runs after it."""

from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, convert_to_tensor


def _is_ref(ref):
    dtype = getattr(ref, "dtype", None)
    return dtype is not None and dtype.is_ref_dtype


def _ref_tensor(ref):
    return ref._ref() if hasattr(ref, "_ref") else ref


def _attrs(use_locking):
    return {} if use_locking is None else {"use_locking": use_locking}


def assign(ref, value, validate_shape=None, use_locking=None, name=None):
    if _is_ref(ref):
        extra = {} if validate_shape is None else {"validate_shape": validate_shape}
        return apply_op("Assign", ref=_ref_tensor(ref), value=value, name=name, **_attrs(use_locking), **extra)
    return ref.assign(value, name=name)


def assign_add(ref, value, use_locking=None, name=None):
    if _is_ref(ref):
        return apply_op("AssignAdd", ref=_ref_tensor(ref), value=value, name=name, **_attrs(use_locking))
    return ref.assign_add(value)


def assign_sub(ref, value, use_locking=None, name=None):
    if _is_ref(ref):
        return apply_op("AssignSub", ref=_ref_tensor(ref), value=value, name=name, **_attrs(use_locking))
    return ref.assign_sub(value)


def count_up_to(ref, limit, name=None):
    """Raise the variable by one, outputting its value before; OutOfRange once it reached `limit`."""
    if _is_ref(ref):
        return apply_op("CountUpTo", ref=_ref_tensor(ref), limit=limit, name=name)
    return apply_op("ResourceCountUpTo", resource=ref.handle, limit=limit, T=ref.dtype.base_dtype, name=name)


def _resource_scatter(ref, op_type, indices, updates, name):
    """The resource kernel, then a read of the variable after it (TF's lazy read)."""
    g = graph_lib.get_default_graph()
    op = apply_op(op_type, resource=ref.handle, indices=indices,
                  updates=convert_to_tensor(updates, dtype=ref.dtype.base_dtype), name=name)
    with g.control_dependencies([op]):
        return apply_op("ReadVariableOp", resource=ref.handle, dtype=ref.dtype.base_dtype)


def _scatter(op_type, default_locking):
    def fn(ref, indices, updates, use_locking=default_locking, name=None):
        if _is_ref(ref):
            return apply_op(op_type, ref=_ref_tensor(ref), indices=indices, updates=updates, name=name,
                            use_locking=use_locking)
        return _resource_scatter(ref, "Resource" + op_type, indices, updates, name)
    fn.__name__ = op_type
    return fn


scatter_update = _scatter("ScatterUpdate", True)
scatter_add = _scatter("ScatterAdd", False)
scatter_sub = _scatter("ScatterSub", False)
scatter_mul = _scatter("ScatterMul", False)
scatter_div = _scatter("ScatterDiv", False)
scatter_max = _scatter("ScatterMax", False)
scatter_min = _scatter("ScatterMin", False)


def _scatter_nd(op_type, default_locking):
    def fn(ref, indices, updates, use_locking=default_locking, name=None):
        if _is_ref(ref):
            return apply_op(op_type, ref=_ref_tensor(ref), indices=indices, updates=updates, name=name,
                            use_locking=use_locking)
        g = graph_lib.get_default_graph()
        op = apply_op("Resource" + op_type, ref=ref.handle, indices=indices,
                      updates=convert_to_tensor(updates, dtype=ref.dtype.base_dtype), name=name,
                      use_locking=use_locking)
        with g.control_dependencies([op]):
            return apply_op("ReadVariableOp", resource=ref.handle, dtype=ref.dtype.base_dtype)
    fn.__name__ = op_type
    return fn


scatter_nd_update = _scatter_nd("ScatterNdUpdate", True)
scatter_nd_add = _scatter_nd("ScatterNdAdd", False)
scatter_nd_sub = _scatter_nd("ScatterNdSub", False)


# -- TF2 behaviour switches: metarun is TF1 graph mode, always --------------------------------------

def disable_v2_behavior():
    """A no-op: metarun always behaves as TF1 (graph mode, ref variables, v1 control flow)."""


def enable_v2_behavior():
    raise NotImplementedError("metarun runs TF1 graphs; TF2 behaviour (eager execution) is not supported")


def disable_eager_execution():
    """A no-op: metarun never executes eagerly."""


def enable_eager_execution(config=None, device_policy=None, execution_mode=None):
    raise NotImplementedError("metarun runs TF1 graphs; eager execution is not supported")


def executing_eagerly():
    return False


def executing_eagerly_outside_functions():
    return False


def disable_resource_variables():
    """A no-op: variables are ref variables unless use_resource=True, as in TF1."""


def enable_resource_variables():
    raise NotImplementedError("metarun makes ref variables by default (TF1); pass use_resource=True per variable")


def resource_variables_enabled():
    return False


def disable_control_flow_v2():
    """A no-op: metarun builds v1 control flow."""


def enable_control_flow_v2():
    raise NotImplementedError("metarun builds v1 control flow (Switch/Merge, Enter/Exit); v2 is not supported")


def control_flow_v2_enabled():
    return False


def disable_tensor_equality():
    """A no-op: tensors compare by identity, as in TF1."""


def enable_tensor_equality():
    raise NotImplementedError("metarun compares tensors by identity, as TF1")


def disable_v2_tensorshape():
    """A no-op: metarun's TensorShape already indexes to TF1-style dimensions."""


def enable_v2_tensorshape():
    raise NotImplementedError("metarun keeps TF1's TensorShape")
