"""tf.variable_scope and tf.get_variable: variables named by scope, shared by reuse."""

import contextlib
import threading

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.tensor_shape import TensorShape
from metarun.framework.variables import Variable
from metarun.ops import init_ops


class _ReuseMode(object):
    def __repr__(self):
        return "AUTO_REUSE"


AUTO_REUSE = _ReuseMode()


class VariableScope(object):
    def __init__(self, reuse, name="", initializer=None, regularizer=None, dtype=dtypes.float32,
                 use_resource=None, name_scope=""):
        self._name = name
        self._reuse = reuse
        self._initializer = initializer
        self._regularizer = regularizer
        self._dtype = dtypes.as_dtype(dtype)
        self._use_resource = use_resource
        self._name_scope = name_scope

    name = property(lambda self: self._name)
    original_name_scope = property(lambda self: self._name_scope)
    reuse = property(lambda self: self._reuse)
    initializer = property(lambda self: self._initializer)
    dtype = property(lambda self: self._dtype)
    use_resource = property(lambda self: self._use_resource)
    regularizer = property(lambda self: self._regularizer)

    def reuse_variables(self):
        self._reuse = True

    def set_initializer(self, initializer):
        self._initializer = initializer

    def get_variable(self, name, *args, **kwargs):
        return get_variable(name, *args, **kwargs)


def _store(graph):
    """Per-graph state: the created variables by full name, the scope stack, scope use counts."""
    st = getattr(graph, "_variable_store", None)
    if st is None:
        st = graph._variable_store = {"vars": {}, "scopes": [VariableScope(False)], "counts": {}}
    return st


_lock = threading.Lock()


def get_variable_scope():
    return _store(graph_lib.get_default_graph())["scopes"][-1]


@contextlib.contextmanager
def variable_scope(name_or_scope, default_name=None, values=None, initializer=None, regularizer=None,
                   caching_device=None, partitioner=None, custom_getter=None, reuse=None, dtype=None,
                   use_resource=None, constraint=None, auxiliary_name_scope=True):
    g = graph_lib.get_default_graph()
    st = _store(g)
    parent = st["scopes"][-1]
    if name_or_scope is None and default_name is None:
        raise TypeError("If default_name is None then name_or_scope is required")
    if isinstance(name_or_scope, VariableScope):
        full = name_or_scope.name
        ns = name_or_scope.original_name_scope
        name_scope_cm = g.name_scope(ns) if ns else g.name_scope(full)
    else:
        if name_or_scope is not None:
            base = name_or_scope
        else:
            base = default_name
            key = (parent.name + "/" + base) if parent.name else base
            n = st["counts"].get(key, 0)
            st["counts"][key] = n + 1
            if n:
                base = "%s_%d" % (base, n)
        full = (parent.name + "/" + base) if parent.name else base
        name_scope_cm = g.name_scope(base) if auxiliary_name_scope else contextlib.nullcontext(
            g.get_name_scope() + "/" if g.get_name_scope() else "")
    if reuse is None or reuse is False:
        new_reuse = parent.reuse if reuse is None else parent.reuse
        if reuse is False:
            new_reuse = parent.reuse
    else:
        new_reuse = reuse
    if parent.reuse is True and new_reuse is not AUTO_REUSE:
        new_reuse = True
    with name_scope_cm as ns:
        scope = VariableScope(new_reuse, full,
                              initializer if initializer is not None else parent.initializer,
                              regularizer if regularizer is not None else parent.regularizer,
                              dtype if dtype is not None else parent.dtype,
                              use_resource if use_resource is not None else parent.use_resource, ns)
        if isinstance(name_or_scope, VariableScope) and initializer is None:
            scope._initializer = name_or_scope.initializer
        st["scopes"].append(scope)
        try:
            yield scope
        finally:
            st["scopes"].pop()


def get_variable(name, shape=None, dtype=None, initializer=None, regularizer=None, trainable=None,
                 collections=None, caching_device=None, partitioner=None, validate_shape=True,
                 use_resource=None, custom_getter=None, constraint=None, synchronization=None,
                 aggregation=None):
    g = graph_lib.get_default_graph()
    st = _store(g)
    scope = st["scopes"][-1]
    full = (scope.name + "/" + name) if scope.name else name
    reuse = scope.reuse
    if full in st["vars"]:
        if reuse is False or reuse is None:
            raise ValueError("Variable %s already exists, disallowed. Did you mean to set reuse=True or "
                             "reuse=tf.AUTO_REUSE in VarScope?" % full)
        var = st["vars"][full]
        if shape is not None and not TensorShape(shape).is_compatible_with(var.shape):
            raise ValueError("Trying to share variable %s, but specified shape %s and found shape %s."
                             % (full, TensorShape(shape), var.shape))
        return var
    if reuse is True:
        raise ValueError("Variable %s does not exist, or was not created with tf.get_variable(). Did you mean "
                         "to set reuse=tf.AUTO_REUSE in VarScope?" % full)
    if partitioner is not None:
        raise NotImplementedError("partitioned variables are not supported by metarun yet")
    dtype = dtypes.as_dtype(dtype or scope.dtype)
    if initializer is None:
        initializer = scope.initializer
    if initializer is None:
        if dtype.is_floating:
            initializer = init_ops.glorot_uniform_initializer()
        elif dtype.is_integer or dtype.is_unsigned or dtype.is_bool:
            initializer = init_ops.zeros_initializer()
        else:
            raise ValueError("An initializer for variable %s of %s is required" % (full, dtype.base_dtype))
    if shape is None and not callable(initializer):
        init_value = initializer
    else:
        shape = TensorShape(shape).as_list() if shape is not None else None
        if isinstance(initializer, type):
            initializer = initializer(dtype=dtype)

        def init_value():
            return initializer(shape, dtype=dtype)
    if use_resource is None:
        use_resource = scope.use_resource
    with g.name_scope(None), g.colocate_with_groups([("loc:@" + full).encode()]):
        var = Variable(init_value, name=full, trainable=trainable, collections=collections,
                       validate_shape=validate_shape, dtype=dtype, constraint=constraint,
                       use_resource=bool(use_resource))
    st["vars"][full] = var
    if regularizer is not None:
        with g.colocate_with(var.op), g.name_scope(full + "/Regularizer/"):
            loss = regularizer(var)
        if loss is not None:
            g.add_to_collection(graph_lib.GraphKeys.REGULARIZATION_LOSSES, loss)
    return var
