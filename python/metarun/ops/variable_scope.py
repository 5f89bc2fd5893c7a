"""tf.variable_scope and tf.get_variable: variables named by scope, shared by reuse.

Per graph, a variable store (full name -> Variable or PartitionedVariable) and a
scope store (the current VariableScope and how often each scope name has been
opened, which makes `default_name` scopes unique: dflt, dflt_1...). A scope opened
by name also opens a name scope of that name (made unique by the graph: foo, foo_1);
re-entering a captured VariableScope opens a fresh name scope named after its last
component, as TF does. `reuse` is True, AUTO_REUSE or None (inherit; False means None).
"""

import functools
import inspect

from metarun.framework import dtypes, protos
from metarun.framework import graph as graph_lib
from metarun.framework.tensor_shape import TensorShape
from metarun.framework.variables import Variable
from metarun.ops import init_ops


class _ReuseMode(object):
    def __repr__(self):
        return "_ReuseMode.AUTO_REUSE"


AUTO_REUSE = _ReuseMode()


class VariableScope(object):
    """The defaults variables get in a scope: reuse, initializer, regularizer, dtype..."""

    def __init__(self, reuse, name="", initializer=None, regularizer=None, caching_device=None,
                 partitioner=None, custom_getter=None, name_scope="", dtype=dtypes.float32,
                 use_resource=None, constraint=None):
        self._name = name
        self._reuse = reuse
        self._initializer = initializer
        self._regularizer = regularizer
        self._caching_device = caching_device
        self._partitioner = partitioner
        self._custom_getter = custom_getter
        self._name_scope = name_scope
        self._dtype = dtypes.as_dtype(dtype)
        self._use_resource = use_resource
        self._constraint = constraint

    name = property(lambda self: self._name)
    original_name_scope = property(lambda self: self._name_scope)
    reuse = property(lambda self: self._reuse)
    initializer = property(lambda self: self._initializer)
    regularizer = property(lambda self: self._regularizer)
    caching_device = property(lambda self: self._caching_device)
    partitioner = property(lambda self: self._partitioner)
    custom_getter = property(lambda self: self._custom_getter)
    dtype = property(lambda self: self._dtype)
    use_resource = property(lambda self: self._use_resource)
    constraint = property(lambda self: self._constraint)

    def reuse_variables(self):
        self._reuse = True

    def set_initializer(self, initializer):
        self._initializer = initializer

    def set_regularizer(self, regularizer):
        self._regularizer = regularizer

    def set_dtype(self, dtype):
        self._dtype = dtypes.as_dtype(dtype)

    def set_use_resource(self, use_resource):
        self._use_resource = use_resource

    def set_caching_device(self, caching_device):
        self._caching_device = caching_device

    def set_partitioner(self, partitioner):
        self._partitioner = partitioner

    def set_custom_getter(self, custom_getter):
        self._custom_getter = custom_getter

    def get_collection(self, name):
        scope = self._name + "/" if self._name else ""
        return graph_lib.get_default_graph().get_collection(name, scope)

    def global_variables(self):
        return self.get_collection(graph_lib.GraphKeys.GLOBAL_VARIABLES)

    def trainable_variables(self):
        return self.get_collection(graph_lib.GraphKeys.TRAINABLE_VARIABLES)

    def local_variables(self):
        return self.get_collection(graph_lib.GraphKeys.LOCAL_VARIABLES)

    def get_variable(self, var_store, name, shape=None, dtype=None, initializer=None, regularizer=None,
                     reuse=None, trainable=None, collections=None, caching_device=None, partitioner=None,
                     validate_shape=True, use_resource=None, custom_getter=None, constraint=None,
                     synchronization=None, aggregation=None):
        """The variable `name` in this scope, created or reused by the scope's rules."""
        regularizer = regularizer if regularizer is not None else self._regularizer
        partitioner = partitioner if partitioner is not None else self._partitioner
        custom_getter = custom_getter if custom_getter is not None else self._custom_getter
        reuse = reuse if reuse is not None else self._reuse
        use_resource = use_resource if use_resource is not None else self._use_resource
        caching_device = caching_device if caching_device is not None else self._caching_device
        full_name = self._name + "/" + name if self._name else name
        g = graph_lib.get_default_graph()
        with g.name_scope(None):
            if dtype is not None and initializer is not None and not callable(initializer):
                from metarun.framework.op_builder import convert_to_tensor
                init_dtype = convert_to_tensor(initializer).dtype.base_dtype
                if init_dtype != dtypes.as_dtype(dtype):
                    raise ValueError("Initializer type '%s' and explicit dtype '%s' don't match."
                                     % (init_dtype, dtypes.as_dtype(dtype)))
            initializer = initializer if initializer is not None else self._initializer
            constraint = constraint if constraint is not None else self._constraint
            dtype = dtype if dtype is not None else self._dtype
            return var_store.get_variable(full_name, shape, dtype, initializer, regularizer, reuse, trainable,
                                          collections, caching_device, partitioner, validate_shape,
                                          use_resource, custom_getter, constraint)


class PartitionedVariable(object):
    """A variable stored as slices `<name>/part_<i>` along one axis; read whole as the
    concatenation of its parts."""

    def __init__(self, name, shape, dtype, variable_list, partitions):
        self._name = name
        self._shape = TensorShape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._variable_list = sorted(variable_list, key=lambda v: list(v._save_slice_info.var_offset))
        self._partitions = list(partitions)
        self._as_tensor = None

    def __iter__(self):
        return iter(self._variable_list)

    def __len__(self):
        return len(self._variable_list)

    name = property(lambda self: self._name)
    dtype = property(lambda self: self._dtype)
    shape = property(lambda self: self._shape)

    @property
    def graph(self):
        return self._variable_list[0].graph

    def get_shape(self):
        return self._shape

    def _get_variable_list(self):
        return self._variable_list

    def _get_partitions(self):
        return self._partitions

    def _partition_axis(self):
        axes = [i for i, p in enumerate(self._partitions) if p > 1]
        return axes[0] if axes else 0

    def as_tensor(self):
        from metarun.ops import array_ops
        g = graph_lib.get_default_graph()
        with g.control_dependencies(None):
            if len(self._variable_list) == 1:
                with g.name_scope(None):
                    return array_ops.identity(self._variable_list[0], name=self._name)
            with g.name_scope(self._name + "/ConcatPartitions/"):
                concatenated = array_ops.concat(self._variable_list, self._partition_axis())
            with g.name_scope(None):
                return array_ops.identity(concatenated, name=self._name)

    def _to_tensor(self, as_ref=False):
        if as_ref:
            raise NotImplementedError("PartitionedVariable doesn't support being used as a reference.")
        return self.as_tensor()

    def __repr__(self):
        return "<PartitionedVariable %s shape=%s dtype=%s>" % (self._name, self._shape, self._dtype.name)


class _PartitionInfo(object):
    """Where a part sits in the full variable (initializers scale by the full shape)."""

    def __init__(self, full_shape, var_offset):
        self.full_shape = list(full_shape)
        self.var_offset = list(var_offset)


def _accepts(fn, arg):
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return arg in params or any(p.kind == p.VAR_KEYWORD for p in params.values())


class _VariableStore(object):
    def __init__(self):
        self._vars = {}
        self._partitioned_vars = {}

    def get_variable(self, name, shape=None, dtype=dtypes.float32, initializer=None, regularizer=None,
                     reuse=None, trainable=None, collections=None, caching_device=None, partitioner=None,
                     validate_shape=True, use_resource=None, custom_getter=None, constraint=None):
        if custom_getter is not None and not callable(custom_getter):
            raise ValueError("Passed a custom_getter which is not callable: %s" % custom_getter)
        dtype = dtypes.as_dtype(dtype).base_dtype

        def true_getter(name, shape=None, dtype=dtypes.float32, initializer=None, regularizer=None,
                        reuse=None, trainable=None, collections=None, caching_device=None, partitioner=None,
                        validate_shape=True, use_resource=None, constraint=None, **unused):
            is_scalar = shape is not None and isinstance(shape, (list, tuple)) and not shape
            if partitioner is not None and not is_scalar:
                if not callable(partitioner):
                    raise ValueError("Partitioner must be callable, but received: %s" % partitioner)
                with graph_lib.get_default_graph().name_scope(None):
                    return self._get_partitioned_variable(name, partitioner, shape, dtype, initializer,
                                                          regularizer, reuse, trainable, collections,
                                                          validate_shape, use_resource, constraint)
            if reuse is True and partitioner is None and name in self._partitioned_vars:
                return self._get_partitioned_variable(name, None, shape, dtype, initializer, regularizer,
                                                      reuse, trainable, collections, validate_shape,
                                                      use_resource, constraint)
            if "%s/part_0" % name in self._vars:
                raise ValueError("No partitioner was provided, but a partitioned version of the variable was "
                                 "found: %s/part_0. Perhaps a variable of the same name was already created "
                                 "with partitioning?" % name)
            return self._get_single_variable(name, shape, dtype, initializer, regularizer, None, reuse,
                                             trainable, collections, validate_shape, use_resource, constraint,
                                             caching_device)

        kwargs = dict(name=name, shape=shape, dtype=dtype, initializer=initializer, regularizer=regularizer,
                      reuse=reuse, trainable=trainable, collections=collections, caching_device=caching_device,
                      partitioner=partitioner, validate_shape=validate_shape, use_resource=use_resource)
        if custom_getter is None:
            return true_getter(constraint=constraint, **kwargs)
        if _accepts(custom_getter, "constraint"):
            kwargs["constraint"] = constraint
        return custom_getter(getter=true_getter, **kwargs)

    def _get_partitioned_variable(self, name, partitioner, shape, dtype, initializer, regularizer, reuse,
                                  trainable, collections, validate_shape, use_resource, constraint):
        from metarun.framework.op_builder import Tensor, convert_to_tensor
        from metarun.ops import array_ops
        from_value = isinstance(initializer, Tensor)
        if name in self._vars:
            raise ValueError("A partitioner was provided, but an unpartitioned version of the variable was "
                             "found: %s.  Perhaps a variable of the same name was already created without "
                             "partitioning?" % name)
        shape = TensorShape(shape)
        if from_value:
            shape = shape.merge_with(initializer.shape)
        partitions = _call_partitioner(partitioner, shape, dtype) if (not reuse or partitioner) else None
        if name in self._partitioned_vars:
            if reuse is False or reuse is None:
                raise ValueError("Partitioned variable with name %s already exists. Did you mean to set "
                                 "reuse=True or reuse=tf.AUTO_REUSE in VarScope?" % name)
            existing = self._partitioned_vars[name]
            if not shape.is_compatible_with(existing.get_shape()):
                raise ValueError("Trying to reuse partitioned variable %s, but specified shape %s and found "
                                 "shape %s." % (name, shape, existing.get_shape()))
            if partitions is not None and existing._get_partitions() != partitions:
                raise ValueError("Trying to reuse partitioned variable %s, but specified partitions %s and "
                                 "found partitions %s." % (name, partitions, existing._get_partitions()))
            return existing
        if reuse is True:
            raise ValueError("PartitionedVariable %s does not exist, or was not created with tf.get_variable()."
                             " Did you mean to set reuse=False or reuse=tf.AUTO_REUSE in VarScope?" % name)
        axis, count = 0, 1
        for i, p in enumerate(partitions):
            if p > 1:
                axis, count = i, p
                break
        g = graph_lib.get_default_graph()
        full = shape.as_list()
        parts = []
        for i, (offset, part_shape) in enumerate(_slices(full, count, axis)):
            part_name = "%s/part_%d" % (name, i)
            with g.name_scope(part_name + "/PartitionedInitializer/"):
                if initializer is None:
                    init, init_shape = _default_initializer(name, dtype), part_shape
                elif callable(initializer):
                    init, init_shape = initializer, part_shape
                else:
                    value = initializer if from_value else convert_to_tensor(initializer, dtype=dtype)
                    init, init_shape = array_ops.slice(value, offset, part_shape), None
                    dtype = init.dtype.base_dtype
            with g.name_scope(None):
                var = self._get_single_variable(part_name, init_shape, dtype, init, regularizer,
                                                _PartitionInfo(full, offset), reuse, trainable, collections,
                                                validate_shape, use_resource, constraint)
            info = protos.SaveSliceInfoDef()
            info.full_name = name
            info.full_shape.extend(full)
            info.var_offset.extend(offset)
            info.var_shape.extend(part_shape)
            var._save_slice_info = info
            parts.append(var)
        pv = PartitionedVariable(name, shape, dtype, parts, partitions)
        self._partitioned_vars[name] = pv
        return pv

    def _get_single_variable(self, name, shape, dtype, initializer, regularizer, partition_info, reuse,
                             trainable, collections, validate_shape, use_resource, constraint,
                             caching_device=None):
        from_value = initializer is not None and not callable(initializer)
        if shape is not None and from_value:
            raise ValueError("If initializer is a constant, do not specify shape.")
        dtype = dtypes.as_dtype(dtype)
        if shape is not None:
            shape = TensorShape(shape)
        if name in self._vars:
            if reuse is None or reuse is False:
                raise ValueError("Variable %s already exists, disallowed. Did you mean to set reuse=True or "
                                 "reuse=tf.AUTO_REUSE in VarScope? Originally defined at:\n" % name)
            found = self._vars[name]
            if shape is not None and not shape.is_compatible_with(found.get_shape()):
                raise ValueError("Trying to share variable %s, but specified shape %s and found shape %s."
                                 % (name, shape, found.get_shape()))
            if not dtype.is_compatible_with(found.dtype.base_dtype):
                raise ValueError("Trying to share variable %s, but specified dtype %s and found dtype %s."
                                 % (name, dtype.name, found.dtype.base_dtype.name))
            return found
        if reuse is True:
            raise ValueError("Variable %s does not exist, or was not created with tf.get_variable(). Did you "
                             "mean to set reuse=tf.AUTO_REUSE in VarScope?" % name)
        if initializer is None:
            if shape is None:
                raise ValueError("Variable %s did not get an initializer, so its `shape` argument must be "
                                 "specified." % name)
            initializer = _default_initializer(name, dtype)
            from_value = False
        if from_value:
            init_val, var_dtype = initializer, None
        else:
            if isinstance(initializer, type):
                initializer = initializer()
            if shape is not None and shape.is_fully_defined():
                if _accepts(initializer, "partition_info"):
                    init_val = functools.partial(initializer, shape.as_list(), dtype=dtype,
                                                 partition_info=partition_info)
                else:
                    init_val = functools.partial(initializer, shape.as_list(), dtype=dtype)
                var_dtype = dtype.base_dtype
            elif not inspect.signature(initializer).parameters:
                init_val, var_dtype = initializer, None
            else:
                raise ValueError("The initializer passed is not valid. It should be a callable with no arguments "
                                 "and the shape should not be provided or an instance of "
                                 "`tf.keras.initializers.*' and `shape` should be fully defined.")
        g = graph_lib.get_default_graph()
        var = Variable(init_val, name=name, trainable=trainable, collections=collections,
                       validate_shape=validate_shape, dtype=var_dtype, constraint=constraint,
                       use_resource=bool(use_resource), shape=shape if use_resource else None,
                       caching_device=caching_device) \
            if not callable(init_val) else _variable_from_fn(g, init_val, name, trainable, collections,
                                                              validate_shape, var_dtype, constraint,
                                                              bool(use_resource), caching_device)
        self._vars[name] = var
        if regularizer:
            # TF calls the regularizer once to see whether it gives a loss (its ops stay in the
            # graph, in the current name scope), then again under <name>/Regularizer/ colocated
            # with the variable when the collection is read; metarun builds that second one now.
            if regularizer(var) is not None:
                with g.colocate_with(var.op), g.name_scope(name + "/Regularizer/"):
                    loss = regularizer(var)
                g.add_to_collection(graph_lib.GraphKeys.REGULARIZATION_LOSSES, loss)
        return var


def _variable_from_fn(g, init_fn, name, trainable, collections, validate_shape, dtype, constraint,
                      use_resource, caching_device=None):
    """A variable whose initial value a function makes: TF builds the variable and its
    initializer ops colocated with it (`loc:@<name>`)."""
    if use_resource:
        return Variable(init_fn, name=name, trainable=trainable, collections=collections,
                        validate_shape=validate_shape, dtype=dtype, constraint=constraint, use_resource=True,
                        caching_device=caching_device)
    with g.name_scope(None), g.colocate_with_groups([("loc:@" + name).encode()]):
        return Variable(init_fn, name=name, trainable=trainable, collections=collections,
                        validate_shape=validate_shape, dtype=dtype, constraint=constraint,
                        caching_device=caching_device)


def _default_initializer(name, dtype):
    if dtype.is_floating:
        return init_ops.glorot_uniform_initializer()
    if dtype.is_integer or dtype.is_unsigned or dtype.is_bool or dtype == dtypes.string:
        return init_ops.zeros_initializer()
    raise ValueError("An initializer for variable %s of %s is required" % (name, dtype.base_dtype))


def _call_partitioner(partitioner, shape, dtype):
    if not shape.is_fully_defined():
        raise ValueError("Shape of a new partitioned variable must be fully defined, but instead was %s."
                         % (shape,))
    if shape.ndims < 1:
        raise ValueError("A partitioned Variable must have rank at least 1, shape: %s" % shape)
    slicing = partitioner(shape=shape, dtype=dtype)
    if not isinstance(slicing, (list, tuple)):
        raise ValueError("Partitioner must return a sequence, but saw: %s" % slicing)
    if len(slicing) != shape.ndims:
        raise ValueError("Partitioner returned a partition list that does not match the Variable's rank: "
                         "%s vs. %s" % (slicing, shape))
    if any(p < 1 for p in slicing):
        raise ValueError("Partitioner returned zero partitions for some axes: %s" % slicing)
    if sum(p > 1 for p in slicing) > 1:
        raise ValueError("Can only slice a variable along one dimension: shape: %s, partitioning: %s"
                         % (shape, slicing))
    return list(slicing)


def _slices(full_shape, count, axis):
    """(offset, shape) of each part: the first `size % count` parts one longer."""
    extra = full_shape[axis] % count
    base = full_shape[axis] // count
    offset = [0] * len(full_shape)
    for i in range(count):
        shape = list(full_shape)
        shape[axis] = base + (1 if i < extra else 0)
        yield list(offset), shape
        offset[axis] += shape[axis]


# -- partitioners ----------------------------------------------------------------------------

def fixed_size_partitioner(num_shards, axis=0):
    def partitioner(shape, **unused):
        parts = [1] * len(shape)
        parts[axis] = min(num_shards, TensorShape(shape).dims[axis])
        return parts
    return partitioner


def min_max_variable_partitioner(max_partitions=1, axis=0, min_slice_size=256 << 10, bytes_per_string_element=16):
    """As many parts as keep each at least `min_slice_size` bytes, at most `max_partitions`."""
    if axis < 0:
        raise ValueError("axis must be non-negative, got %d" % axis)

    def partitioner(shape, dtype):
        shape = TensorShape(shape)
        if not shape.is_fully_defined():
            raise ValueError("Expected shape to be fully defined, but got %s" % shape)
        dtype = dtypes.as_dtype(dtype)
        if dtype.base_dtype == dtypes.string:
            element_size = bytes_per_string_element
        else:
            element_size = dtype.size
        dims = shape.as_list()
        total = element_size
        for d in dims:
            total *= d
        wanted = total // min_slice_size
        parts = [1] * len(dims)
        parts[axis] = max(1, min(dims[axis], max_partitions, wanted))
        return parts
    return partitioner


def variable_axis_size_partitioner(max_shard_bytes, axis=0, bytes_per_string_element=16, max_shards=None):
    """Parts along `axis` of at most `max_shard_bytes` each."""
    if max_shard_bytes < 1 or bytes_per_string_element < 1:
        raise ValueError("Both max_shard_bytes and bytes_per_string_element must be positive.")
    if max_shards and max_shards < 1:
        raise ValueError("max_shards must be positive.")

    def partitioner(shape, dtype):
        shape = TensorShape(shape)
        dims = shape.as_list()
        dtype = dtypes.as_dtype(dtype)
        element_size = bytes_per_string_element if dtype.base_dtype == dtypes.string else dtype.size
        slice_bytes = element_size
        for i, d in enumerate(dims):
            if i != axis:
                slice_bytes *= d
        slices_per_shard = max(1, max_shard_bytes // slice_bytes)
        shards = -(-dims[axis] // slices_per_shard)
        if max_shards:
            shards = min(max_shards, shards)
        parts = [1] * len(dims)
        parts[axis] = shards
        return parts
    return partitioner


# -- the per-graph stores and the public functions ---------------------------------------------

class _ScopeStore(object):
    def __init__(self):
        self.current_scope = VariableScope(False)
        self.variable_scopes_count = {}

    def open_variable_scope(self, name):
        self.variable_scopes_count[name] = self.variable_scopes_count.get(name, 0) + 1

    def close_variable_subscopes(self, name):
        prefix = name + "/"
        for k in self.variable_scopes_count:
            if name is None or k.startswith(prefix):
                self.variable_scopes_count[k] = 0


def _stores(graph=None):
    g = graph or graph_lib.get_default_graph()
    st = getattr(g, "_variable_scope_stores", None)
    if st is None:
        st = g._variable_scope_stores = (_VariableStore(), _ScopeStore())
    return st


def get_variable_scope():
    return _stores()[1].current_scope


def _get_default_variable_store():
    return _stores()[0]


def _unique_variable_scope(prefix):
    scopes = _stores()[1]
    current = scopes.current_scope
    name = current.name + "/" + prefix if current.name else prefix
    if scopes.variable_scopes_count.get(name, 0) == 0:
        return prefix
    idx = 1
    while scopes.variable_scopes_count.get("%s_%d" % (name, idx), 0) > 0:
        idx += 1
    return "%s_%d" % (prefix, idx)


class _pure_variable_scope(object):  # noqa: N801 -- TF's name
    """Enters a VariableScope without a name scope."""

    def __init__(self, name_or_scope, reuse=None, initializer=None, regularizer=None, caching_device=None,
                 partitioner=None, custom_getter=None, old_name_scope=None, dtype=dtypes.float32,
                 use_resource=None, constraint=None):
        self._name_or_scope = name_or_scope
        self._reuse = reuse
        self._overrides = dict(initializer=initializer, regularizer=regularizer, caching_device=caching_device,
                               partitioner=partitioner, dtype=dtype, use_resource=use_resource)
        self._custom_getter = custom_getter
        self._old_name_scope = old_name_scope
        self._constraint = constraint
        self._scopes = _stores()[1]

    def _apply_overrides(self, scope, old_getter):
        for key, value in self._overrides.items():
            if value is not None:
                getattr(scope, "set_" + key)(value)
        if self._custom_getter is not None:
            scope.set_custom_getter(_wrap_custom_getter(self._custom_getter, old_getter))

    def __enter__(self):
        scopes = self._scopes
        self._old = scopes.current_scope
        src = self._name_or_scope
        if isinstance(src, VariableScope):
            self._new_name = src.name
            scope = VariableScope(src.reuse if not self._reuse else self._reuse, name=src.name,
                                  initializer=src.initializer, regularizer=src.regularizer,
                                  caching_device=src.caching_device, partitioner=src.partitioner,
                                  dtype=src.dtype, custom_getter=src.custom_getter, name_scope=src._name_scope,
                                  use_resource=src.use_resource, constraint=self._constraint)
            self._apply_overrides(scope, src.custom_getter)
            scopes.open_variable_scope(self._new_name)
            self._old_counts = dict(scopes.variable_scopes_count)
        else:
            old = self._old
            self._new_name = old.name + "/" + src if old.name else src
            reuse = self._reuse or old.reuse
            scope = VariableScope(reuse, name=self._new_name, initializer=old.initializer,
                                  regularizer=old.regularizer, caching_device=old.caching_device,
                                  partitioner=old.partitioner, dtype=old.dtype, use_resource=old.use_resource,
                                  custom_getter=old.custom_getter,
                                  name_scope=src if self._old_name_scope is None else self._old_name_scope,
                                  constraint=self._constraint)
            self._apply_overrides(scope, old.custom_getter)
            scopes.open_variable_scope(self._new_name)
        scopes.current_scope = scope
        self._entered = scope
        return scope

    def __exit__(self, *exc):
        scopes = self._scopes
        if scopes.current_scope is not self._entered:
            raise RuntimeError("Improper nesting of variable_scope.")
        if isinstance(self._name_or_scope, VariableScope):
            scopes.variable_scopes_count = self._old_counts
        else:
            scopes.close_variable_subscopes(self._new_name)
        scopes.current_scope = self._old


def _wrap_custom_getter(custom_getter, old_getter):
    if old_getter is None:
        return custom_getter

    def wrapped(getter, *args, **kwargs):
        return custom_getter(functools.partial(old_getter, getter), *args, **kwargs)
    return wrapped


class variable_scope(object):  # noqa: N801 -- TF's name
    """A context manager for defining ops that create variables (see the module doc)."""

    def __init__(self, name_or_scope, default_name=None, values=None, initializer=None, regularizer=None,
                 caching_device=None, partitioner=None, custom_getter=None, reuse=None, dtype=None,
                 use_resource=None, constraint=None, auxiliary_name_scope=True):
        if default_name is None and name_or_scope is None:
            raise TypeError("If default_name is None then name_or_scope is required")
        if reuse is False:
            reuse = None
        if not (reuse is True or reuse is None or reuse is AUTO_REUSE):
            raise ValueError("The reuse parameter must be True or False or None.")
        if not isinstance(auxiliary_name_scope, bool):
            raise TypeError("The auxiliary_name_scope must be `True` or `False`, while get {}"
                            .format(auxiliary_name_scope))
        self._name_or_scope = name_or_scope
        self._default_name = default_name
        self._kwargs = dict(initializer=initializer, regularizer=regularizer, caching_device=caching_device,
                            partitioner=partitioner, custom_getter=custom_getter, dtype=dtype,
                            use_resource=use_resource, constraint=constraint)
        self._reuse = reuse
        self._auxiliary_name_scope = auxiliary_name_scope
        from metarun.ops.scopes import _graph_of
        self._graph = _graph_of(values)
        self._pure = None
        self._name_scope = None

    def __enter__(self):
        self._graph_cm = self._graph.as_default()
        self._graph_cm.__enter__()
        try:
            if self._pure is not None:
                if self._name_scope is not None:
                    self._name_scope = self._graph.name_scope(self._ns_name)
                    self._name_scope.__enter__()
                return self._pure.__enter__()
            return self._enter_uncached()
        except BaseException:
            self._graph_cm.__exit__(None, None, None)
            raise

    def _open_name_scope(self, name):
        self._ns_name = name
        self._name_scope = self._graph.name_scope(name)
        return self._name_scope.__enter__()

    def _enter_uncached(self):
        g = self._graph
        aux_name = None
        if not self._auxiliary_name_scope:
            current = g.get_name_scope()
            aux_name = current + "/" if current else ""
        src = self._name_or_scope
        if src is not None:
            if not isinstance(src, (VariableScope, str)):
                raise TypeError("VariableScope: name_or_scope must be a string or VariableScope.")
            ns = src if isinstance(src, str) else src.name.split("/")[-1]
            if ns or aux_name is not None:
                entered = self._open_name_scope(aux_name if aux_name is not None else ns)
                old_name_scope = entered if isinstance(src, str) else src.original_name_scope
                self._pure = _pure_variable_scope(src, reuse=self._reuse, old_name_scope=old_name_scope,
                                                  **self._kwargs)
            else:
                self._pure = _pure_variable_scope(src, reuse=self._reuse, **self._kwargs)
            return self._pure.__enter__()
        if self._reuse:
            raise ValueError("reuse=True cannot be used without a name_or_scope")
        entered = self._open_name_scope(aux_name if aux_name is not None else self._default_name)
        unique = _unique_variable_scope(self._default_name)
        self._pure = _pure_variable_scope(unique, old_name_scope=entered, **self._kwargs)
        return self._pure.__enter__()

    def __exit__(self, *exc):
        try:
            self._pure.__exit__(*exc)
        finally:
            try:
                if self._name_scope is not None:
                    self._name_scope.__exit__(*exc)
            finally:
                self._graph_cm.__exit__(*exc)


def variable_op_scope(values, name_or_scope, default_name=None, initializer=None, regularizer=None,
                      caching_device=None, partitioner=None, custom_getter=None, reuse=None, dtype=None,
                      use_resource=None, constraint=None):
    return variable_scope(name_or_scope, default_name=default_name, values=values, initializer=initializer,
                          regularizer=regularizer, caching_device=caching_device, partitioner=partitioner,
                          custom_getter=custom_getter, reuse=reuse, dtype=dtype, use_resource=use_resource,
                          constraint=constraint)


def get_variable(name, shape=None, dtype=None, initializer=None, regularizer=None, trainable=None,
                 collections=None, caching_device=None, partitioner=None, validate_shape=True,
                 use_resource=None, custom_getter=None, constraint=None, synchronization=None,
                 aggregation=None):
    return get_variable_scope().get_variable(
        _get_default_variable_store(), name, shape=shape, dtype=dtype, initializer=initializer,
        regularizer=regularizer, trainable=trainable, collections=collections, caching_device=caching_device,
        partitioner=partitioner, validate_shape=validate_shape, use_resource=use_resource,
        custom_getter=custom_getter, constraint=constraint)


def get_local_variable(name, shape=None, dtype=None, initializer=None, regularizer=None, trainable=False,
                       collections=None, caching_device=None, partitioner=None, validate_shape=True,
                       use_resource=None, custom_getter=None, constraint=None, synchronization=None,
                       aggregation=None):
    collections = list(collections or []) + [graph_lib.GraphKeys.LOCAL_VARIABLES]
    return get_variable(name, shape=shape, dtype=dtype, initializer=initializer, regularizer=regularizer,
                        trainable=False, collections=collections, caching_device=caching_device,
                        partitioner=partitioner, validate_shape=validate_shape, use_resource=use_resource,
                        custom_getter=custom_getter, constraint=constraint)
