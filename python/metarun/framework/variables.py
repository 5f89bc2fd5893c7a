"""Variable objects over imported (or newly built) variable ops.

One class covers both kinds TF1 graphs hold: ref variables (VariableV2 /
Variable, read through `<var>/read`) and resource variables (VarHandleOp,
read through ReadVariableOp). Collections rebuilt by import_meta_graph hold
these objects.
"""

from metarun.framework import dtypes, protos
from metarun.framework import graph as graph_lib


def prepend_name_scope(name, scope):
    """Insert `scope/` after a leading '^' or 'loc:@', or at the start."""
    if not scope:
        return name
    scope = scope.rstrip("/")
    for mark in ("^", "loc:@"):
        if name.startswith(mark):
            return mark + scope + "/" + name[len(mark):]
    return scope + "/" + name


def strip_name_scope(name, scope):
    if not scope:
        return name
    scope = scope.rstrip("/")
    for mark in ("^", "loc:@", ""):
        if name.startswith(mark + scope + "/"):
            return mark + name[len(mark) + len(scope) + 1:]
    return name


class Variable(object):
    """A variable in a graph: its op, initializer, snapshot and metadata.

    `Variable(initial_value, ...)` builds one as TF1's `tf.Variable` does: a
    ref variable (VariableV2, `<name>/Assign`, `<name>/read`) by default, a
    resource variable (VarHandleOp, ReadVariableOp) with use_resource=True.
    """

    def __init__(self, initial_value=None, trainable=None, collections=None, validate_shape=True,
                 caching_device=None, name=None, variable_def=None, dtype=None, expected_shape=None,
                 import_scope=None, constraint=None, use_resource=None, synchronization=None,
                 aggregation=None, shape=None):
        if variable_def is not None:
            other = Variable.from_proto(variable_def, import_scope=import_scope)
            self.__dict__.update(other.__dict__)
            return
        if initial_value is None:
            raise ValueError("initial_value must be specified.")
        from metarun.framework import variable_builder
        variable_builder.build(self, initial_value, trainable, collections, validate_shape, name, dtype,
                               constraint, bool(use_resource), shape, caching_device)

    @classmethod
    def _from_parts(cls, graph, variable, initializer, snapshot, initial_value=None,
                    trainable=True, is_resource=False, save_slice_info=None):
        self = cls.__new__(cls)
        self._graph = graph
        self._variable = variable          # ref tensor, or the resource handle
        self._initializer_op = initializer
        self._snapshot = snapshot
        self._initial_value = initial_value
        self._trainable = trainable
        self._is_resource = is_resource
        self._save_slice_info = save_slice_info
        self._constraint = None
        return self

    @classmethod
    def from_proto(cls, variable_def, import_scope=None, graph=None, trainable=None):
        g = graph or graph_lib.get_default_graph()

        def lookup(name, allow_op=False):
            name = prepend_name_scope(name, import_scope)
            return g.as_graph_element(name, allow_tensor=not allow_op, allow_operation=allow_op)

        variable = lookup(variable_def.variable_name)
        initializer = lookup(variable_def.initializer_name, allow_op=True) \
            if variable_def.initializer_name else None
        initial_value = lookup(variable_def.initial_value_name) if variable_def.initial_value_name else None
        snapshot = None
        if variable_def.is_resource:
            if variable_def.snapshot_name:
                snapshot = lookup(variable_def.snapshot_name)
                while snapshot.op.type != "ReadVariableOp" and snapshot.op.inputs:
                    snapshot = snapshot.op.inputs[0]  # follow Identity chains
            else:
                snapshot = g.as_graph_element(variable.op.name + "/Read/ReadVariableOp:0")
        elif variable_def.snapshot_name:
            snapshot = lookup(variable_def.snapshot_name)
        save_slice_info = None
        if variable_def.HasField("save_slice_info_def"):
            info = protos.SaveSliceInfoDef()
            info.CopyFrom(variable_def.save_slice_info_def)
            info.full_name = prepend_name_scope(info.full_name, import_scope)
            save_slice_info = info
        if trainable is None:
            trainable = variable_def.trainable
        return cls._from_parts(g, variable, initializer, snapshot, initial_value, trainable,
                               variable_def.is_resource, save_slice_info)

    # -- TF's public surface ---------------------------------------------------
    @property
    def name(self):
        return self._variable.name

    @property
    def op(self):
        return self._variable.op

    @property
    def graph(self):
        return self._graph

    @property
    def device(self):
        return self._variable.device

    @property
    def dtype(self):
        if self._is_resource:
            return self._variable.op.get_attr("dtype")
        return self._variable.dtype

    @property
    def shape(self):
        if self._is_resource and "shape" in self._variable.op.node_def.attr:
            return graph_lib.TensorShape(self._variable.op.get_attr("shape"))
        return self._variable.op._static_shape(0)

    def get_shape(self):
        return self.shape

    @property
    def initializer(self):
        return self._initializer_op

    @property
    def initial_value(self):
        return self._initial_value

    @property
    def trainable(self):
        return self._trainable

    @property
    def handle(self):
        return self._variable

    def value(self):
        """The variable's value: its snapshot (ref), a new read (resource, as TF)."""
        if self._is_resource and _builds_in(self._graph):
            from metarun.framework.op_builder import apply_op
            with graph_lib.get_default_graph().colocate_with(None, ignore_existing=True):
                return apply_op("ReadVariableOp", resource=self._variable, dtype=self.dtype)
        return self._snapshot

    def read_value(self):
        from metarun.framework.op_builder import apply_op
        if self._is_resource:
            # TF: a read in a `Read` scope, then an Identity (placed where the caller's device is).
            with graph_lib.get_default_graph().name_scope("Read"):
                value = apply_op("ReadVariableOp", resource=self._variable, dtype=self.dtype)
            return apply_op("Identity", input=value)
        return apply_op("Identity", input=self._variable, name="read")

    def _ref(self):
        return self._variable

    def _to_tensor(self, as_ref=False):
        """What convert_to_tensor makes of the variable."""
        if as_ref:
            return self._variable
        return self.value()

    @property
    def constraint(self):
        return getattr(self, "_constraint", None)

    def _as_graph_element(self):
        return self._snapshot if self._is_resource else self._variable

    def eval(self, session=None):
        return graph_lib._session_runner(self._as_graph_element(), None, session, "eval")

    def load(self, value, session=None):
        """Write `value` into the variable by feeding its initializer."""
        if self._initializer_op is None:
            raise ValueError("Variable %s has no initializer to load through" % self.name)
        feed = {self._initializer_op.inputs[1]: value}
        graph_lib._session_runner(self._initializer_op, feed, session, "load")

    def assign(self, value, use_locking=None, name=None, read_value=True):
        return _assign_op(self, "Assign", "AssignVariableOp", value, name, use_locking, read_value)

    def assign_add(self, delta, use_locking=None, name=None, read_value=True):
        return _assign_op(self, "AssignAdd", "AssignAddVariableOp", delta, name, use_locking, read_value)

    def assign_sub(self, delta, use_locking=None, name=None, read_value=True):
        return _assign_op(self, "AssignSub", "AssignSubVariableOp", delta, name, use_locking, read_value)

    def count_up_to(self, limit):
        from metarun.ops.state_ops_v1 import count_up_to  # noqa: PLC0415 -- ops/ sits above framework/
        return count_up_to(self, limit)

    def to_proto(self, export_scope=None):
        var_def = protos.VariableDef()
        var_def.variable_name = strip_name_scope(self._variable.name, export_scope)
        if self._initial_value is not None:
            var_def.initial_value_name = strip_name_scope(self._initial_value.name, export_scope)
        if self._initializer_op is not None:
            var_def.initializer_name = strip_name_scope(self._initializer_op.name, export_scope)
        if self._snapshot is not None:
            var_def.snapshot_name = strip_name_scope(self._snapshot.name, export_scope)
        var_def.is_resource = self._is_resource
        var_def.trainable = self._trainable
        if self._save_slice_info is not None:
            var_def.save_slice_info_def.CopyFrom(self._save_slice_info)
            var_def.save_slice_info_def.full_name = strip_name_scope(self._save_slice_info.full_name,
                                                                     export_scope)
        return var_def

    def __repr__(self):
        return "<tf.Variable '%s' shape=%s dtype=%s>" % (self.name, self.shape, self.dtype.name)


def _builds_in(graph):
    """True when ops of a variable of `graph` are built in the default graph: it is `graph`,
    or a function being traced in it (which reaches the variable's handle through a capture)."""
    g = graph_lib.get_default_graph()
    while g is not None:
        if g is graph:
            return True
        g = g._outer_graph
    return False


def _assign_op(var, ref_op, resource_op, value, name, use_locking=None, read_value=True):
    """TF's Variable.assign*: a ref op returning its ref output, or a resource
    op followed (read_value) by a read that runs after it."""
    from metarun.framework.op_builder import apply_op
    g = graph_lib.get_default_graph() if var._is_resource and _builds_in(var.graph) else var.graph
    with g.as_default():
        if var._is_resource:
            from metarun.framework.op_builder import convert_to_tensor
            value = convert_to_tensor(value, dtype=var.dtype)  # before the op, as TF: "Const"
            extra = {"validate_shape": True} if resource_op == "AssignVariableOp" else {}
            op = apply_op(resource_op, resource=var._variable, value=value, name=name, **extra)
            if not read_value:
                return op
            return _UnreadVariable(var, op)
        kwargs = {} if use_locking is None else {"use_locking": use_locking}
        if ref_op == "Assign" and use_locking is None:
            kwargs["use_locking"] = False
        return apply_op(ref_op, ref=var._variable, value=value, name=name, **kwargs)


class _UnreadVariable(Variable):
    """What a resource variable's assign* returns (TF's lazy read): the same variable, each use
    of which reads it after the assignment `parent_op` (a ReadVariableOp with a control input on
    it); fetched, it is a read made when it was created."""

    def __init__(self, var, parent_op):
        from metarun.framework.op_builder import apply_op
        self.__dict__.update(var.__dict__)
        self._parent_op = parent_op
        self._read_value_cache = None
        with self._graph.control_dependencies([parent_op]):
            self._graph_element = apply_op("ReadVariableOp", resource=self._variable, dtype=self.dtype)

    @property
    def op(self):
        return self._parent_op

    def value(self):
        from metarun.framework.op_builder import apply_op
        with self._graph.control_dependencies([self._parent_op]):
            return apply_op("ReadVariableOp", resource=self._variable, dtype=self.dtype)

    def read_value(self):
        with self._graph.control_dependencies([self._parent_op]):
            return Variable.read_value(self)

    def _to_tensor(self, as_ref=False):
        return self._variable if as_ref else self.value()

    def _as_graph_element(self):
        return self._graph_element

    def __repr__(self):
        return "<tf.Variable '%s' shape=%s dtype=%s>" % ("UnreadVariable", self.shape, self.dtype.name)


def _collection_variables(key, scope=None, graph=None):
    g = graph or graph_lib.get_default_graph()
    return [v for v in g.get_collection(key, scope) if isinstance(v, Variable)]


def global_variables(scope=None):
    return graph_lib.get_default_graph().get_collection(graph_lib.GraphKeys.GLOBAL_VARIABLES, scope)


def trainable_variables(scope=None):
    return graph_lib.get_default_graph().get_collection(graph_lib.GraphKeys.TRAINABLE_VARIABLES, scope)


def local_variables(scope=None):
    return graph_lib.get_default_graph().get_collection(graph_lib.GraphKeys.LOCAL_VARIABLES, scope)


def model_variables(scope=None):
    return graph_lib.get_default_graph().get_collection(graph_lib.GraphKeys.MODEL_VARIABLES, scope)


def variables_initializer(var_list, name="init"):
    """A NoOp grouping the initializers (TF's tf.group of them; a plain NoOp for none)."""
    from metarun.ops import control_flow_ops
    from metarun.framework.op_builder import apply_op
    inits = [v.initializer for v in var_list if getattr(v, "initializer", None) is not None]
    if not inits:
        return apply_op("NoOp", name=name)
    return control_flow_ops.group(*inits, name=name)


def global_variables_initializer():
    return variables_initializer(global_variables())


def local_variables_initializer():
    return variables_initializer(local_variables(), name="init")


def is_variable_initialized(variable):
    g = variable.graph
    if variable._is_resource:
        return g._create_op("VarIsInitializedOp", [variable.handle], name="VarIsInitializedOp").outputs[0]
    from metarun.framework.op_builder import apply_op
    with g.as_default():  # colocated with the variable, as every op taking a ref input is
        return apply_op("IsVariableInitialized", ref=variable._variable, dtype=variable.dtype.base_dtype)


def report_uninitialized_variables(var_list=None, name="report_uninitialized_variables"):
    raise NotImplementedError("report_uninitialized_variables is not supported by metarun")


_ = dtypes  # dtype objects are part of this module's surface through Variable.dtype
