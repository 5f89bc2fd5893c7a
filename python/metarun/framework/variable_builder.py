"""The ops `tf.Variable(...)` adds to a graph, laid out as TF1 lays them out.

Ref variable `v` (TF1's default):
    v/initial_value (or v/Initializer/... for a callable)  -> v (VariableV2)
    v/Assign (Assign, use_locking, colocated with v)       v/read (Identity, colocated)
Resource variable `v` (use_resource=True):
    v/Initializer/initial_value, v (VarHandleOp, shared_name v), both colocated with v;
    v/IsInitialized/VarIsInitializedOp, v/Assign (AssignVariableOp), v/Read/ReadVariableOp.
"""

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape


def _initial_value(g, initial_value, dtype, resource=False):
    if callable(initial_value) or resource:
        with g.name_scope("Initializer"), g.device(None):
            value = initial_value() if callable(initial_value) else initial_value
            return convert_to_tensor(value, name="initial_value", dtype=dtype)
    return convert_to_tensor(initial_value, name="initial_value", dtype=dtype)


def build(var, initial_value, trainable, collections, validate_shape, name, dtype, constraint,
          use_resource, shape, caching_device=None):
    g = graph_lib.get_default_graph()
    # TF builds a variable in an init_scope: outside any control_dependencies block and any
    # cond or while loop, in the current name scope.
    with g.control_dependencies(None):
        _build(g, var, initial_value, trainable, collections, validate_shape, name, dtype, constraint,
               use_resource, shape, caching_device)


def _build(g, var, initial_value, trainable, collections, validate_shape, name, dtype, constraint,
           use_resource, shape, caching_device):
    if trainable is None:
        trainable = True
    if collections is None:
        collections = [graph_lib.GraphKeys.GLOBAL_VARIABLES]
    collections = list(collections)
    if trainable and graph_lib.GraphKeys.TRAINABLE_VARIABLES not in collections:
        collections.append(graph_lib.GraphKeys.TRAINABLE_VARIABLES)
    with g.name_scope(name or "Variable") as scope:
        handle_name = scope[:-1]
        if use_resource:
            # Colocated with itself, unless an enclosing colocate_with (a slot's
            # primary variable) decides.
            groups = [] if g._colocation_stack else [("loc:@" + handle_name).encode()]
            with g.colocate_with_groups(groups):
                init = _initial_value(g, initial_value, dtype, resource=True)
                var_shape = TensorShape(shape) if shape is not None else init.shape
                variable = apply_op("VarHandleOp", dtype=init.dtype.base_dtype, shape=var_shape,
                                    shared_name=handle_name, container="", allowed_devices=[],
                                    debug_name=scope, name=scope)
            with g.name_scope("IsInitialized"):
                apply_op("VarIsInitializedOp", resource=variable)
            with g.name_scope("Assign") as n, g.colocate_with(None, ignore_existing=True), \
                    g.device(variable.device):
                initializer = apply_op("AssignVariableOp", resource=variable, value=init,
                                       validate_shape=False, name=n)
            with g.name_scope("Read"), g.device(variable.device):
                snapshot = apply_op("ReadVariableOp", resource=variable, dtype=init.dtype.base_dtype)
            snapshot._shape = var_shape
        else:
            init = _initial_value(g, initial_value, dtype)
            if shape is not None:
                var_shape = TensorShape(shape)
            else:
                var_shape = init.shape if validate_shape else TensorShape(None)
            variable = apply_op("VariableV2", shape=var_shape, dtype=init.dtype.base_dtype, name=scope)
            initializer = apply_op("Assign", ref=variable, value=init, validate_shape=validate_shape).op
            if caching_device is None:
                with g.colocate_with(variable.op):
                    snapshot = apply_op("Identity", input=variable, name="read")
            elif callable(caching_device):  # a device function, given the op; no colocation
                with g.colocate_with(None, ignore_existing=True):
                    snapshot = apply_op("Identity", input=variable, name="read")
                snapshot.op._set_device(caching_device(snapshot.op) or "")
            else:
                with g.colocate_with(None, ignore_existing=True), g.device(caching_device):
                    snapshot = apply_op("Identity", input=variable, name="read")
    var._graph = g
    var._variable = variable
    var._initializer_op = initializer
    var._snapshot = snapshot
    var._initial_value = init
    var._trainable = trainable
    var._is_resource = use_resource
    var._save_slice_info = None
    var._constraint = constraint
    for key in collections:
        g.add_to_collection(key, var)
    _ = dtypes
