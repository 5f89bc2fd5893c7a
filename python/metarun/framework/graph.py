"""Graph, Operation and Tensor: the TF1 graph objects.

A Graph holds Operations (one per NodeDef) in creation order and the named
collections. The C++ executor gets a mirror of the nodes (`_core.Graph`),
appended lazily when a Session first needs them; an op's index in both is
its creation order, so the mirror only ever grows.
"""

import contextlib
import re
import threading

import numpy as np

from metarun import _core
from metarun.framework import dtypes, op_def as op_def_lib, protos, tensor_util
from metarun.framework.tensor_shape import TensorShape


def _no_session_runner(element, feed_dict, session, what):
    raise RuntimeError("Cannot %s %s: no Session implementation is loaded" % (what, element.name))


# How Tensor.eval, Operation.run and Variable.eval/load reach a Session:
# `_session_runner(element, feed_dict, session, "eval", "run" or "load")` runs the
# element in `session` (None: the default session). session.py installs it, so
# a Graph knows nothing of Sessions.
_session_runner = _no_session_runner


class GraphKeys(object):
    """Standard collection names, as in tf.compat.v1.GraphKeys."""
    GLOBAL_VARIABLES = "variables"
    VARIABLES = "variables"
    LOCAL_VARIABLES = "local_variables"
    METRIC_VARIABLES = "metric_variables"
    MODEL_VARIABLES = "model_variables"
    TRAINABLE_VARIABLES = "trainable_variables"
    SUMMARIES = "summaries"
    QUEUE_RUNNERS = "queue_runners"
    TABLE_INITIALIZERS = "table_initializer"
    ASSET_FILEPATHS = "asset_filepaths"
    MOVING_AVERAGE_VARIABLES = "moving_average_variables"
    REGULARIZATION_LOSSES = "regularization_losses"
    CONCATENATED_VARIABLES = "concatenated_variables"
    SAVERS = "savers"
    WEIGHTS = "weights"
    BIASES = "biases"
    ACTIVATIONS = "activations"
    UPDATE_OPS = "update_ops"
    LOSSES = "losses"
    SAVEABLE_OBJECTS = "saveable_objects"
    RESOURCES = "resources"
    LOCAL_RESOURCES = "local_resources"
    TRAINABLE_RESOURCE_VARIABLES = "trainable_resource_variables"
    INIT_OP = "init_op"
    LOCAL_INIT_OP = "local_init_op"
    READY_OP = "ready_op"
    READY_FOR_LOCAL_INIT_OP = "ready_for_local_init_op"
    SUMMARY_OP = "summary_op"
    GLOBAL_STEP = "global_step"
    EVAL_STEP = "eval_step"
    TRAIN_OP = "train_op"
    COND_CONTEXT = "cond_context"
    WHILE_CONTEXT = "while_context"


class Tensor(object):
    """One output of an Operation."""

    __slots__ = ("_op", "_value_index", "_dtype", "_shape", "__weakref__")

    def __init__(self, op, value_index, dtype):
        self._op = op
        self._value_index = value_index
        self._dtype = dtype
        self._shape = None

    @property
    def op(self):
        return self._op

    @property
    def value_index(self):
        return self._value_index

    @property
    def dtype(self):
        return self._dtype

    @property
    def graph(self):
        return self._op.graph

    @property
    def name(self):
        return "%s:%d" % (self._op.name, self._value_index)

    @property
    def device(self):
        return self._op.device

    @property
    def shape(self):
        if self._shape is None:
            self._shape = self._op._static_shape(self._value_index)
        return self._shape

    def get_shape(self):
        return self.shape

    def set_shape(self, shape):
        merged = TensorShape(shape)
        if not self.shape.is_compatible_with(merged):
            raise ValueError("Shapes %s and %s are incompatible" % (self.shape, merged))
        if merged.ndims is not None:
            # TF merges: a dim known on either side stays known.
            if self.shape.ndims is not None:
                merged = TensorShape([a if a is not None else b for a, b in zip(merged.dims, self.shape.dims)])
            self._shape = merged

    def consumers(self):
        return [op for op in self.graph.get_operations() if any(t is self for t in op.inputs)]

    def eval(self, feed_dict=None, session=None):
        return _session_runner(self, feed_dict, session, "eval")

    def _as_graph_element(self):
        return self

    def __repr__(self):
        return "<tf.Tensor '%s' shape=%s dtype=%s>" % (self.name, self.shape, self._dtype.name)

    def __str__(self):
        shape = self.shape
        return "Tensor(\"%s\"%s%s%s)" % (self.name, ", shape=%s" % shape if shape.ndims is not None else "",
                                         ", dtype=%s" % self._dtype.name,
                                         ", device=%s" % self.device if self.device else "")

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other

    def __bool__(self):
        raise TypeError("Using a `tf.Tensor` as a Python `bool` is not allowed in Graph execution.")

    def __iter__(self):
        raise TypeError("Tensor objects are only iterable when eager execution is enabled.")


class Operation(object):
    """A node of the graph, built from (and keeping) its NodeDef."""

    _infer_on_demand = False  # an imported op: shapes inferred when first asked for

    def __init__(self, graph, node_def, output_types, op_def=None):
        self._graph = graph
        self._node_def = node_def
        self._op_def = op_def
        self._id = -1
        self._inputs = []
        self._control_inputs = []
        self._outputs = [Tensor(self, i, dtypes.as_dtype(t)) for i, t in enumerate(output_types)]
        self._shapes = None  # inferred static shapes, for ops built in Python
        self._cf_context = None  # the v1 control-flow context it was built in

    @property
    def name(self):
        return self._node_def.name

    @property
    def type(self):
        return self._node_def.op

    @property
    def device(self):
        return self._node_def.device

    @property
    def graph(self):
        return self._graph

    @property
    def inputs(self):
        return tuple(self._inputs)

    @property
    def control_inputs(self):
        return list(self._control_inputs)

    @property
    def outputs(self):
        return list(self._outputs)

    def values(self):
        return tuple(self._outputs)

    @property
    def op_def(self):
        return self._op_def

    @property
    def node_def(self):
        """The NodeDef, with inputs as they are now (after input_map/rename)."""
        node = protos.NodeDef()
        node.CopyFrom(self._node_def)
        del node.input[:]
        node.input.extend(_input_name(t) for t in self._inputs)
        # Control inputs sorted by name, as TF serializes them.
        node.input.extend(sorted("^" + op.name for op in self._control_inputs))
        return node

    def get_attr(self, name):
        if name not in self._node_def.attr:
            raise ValueError("Operation '%s' has no attr named '%s'." % (self.name, name))
        return attr_value_to_python(self._node_def.attr[name])

    def _set_device(self, device):
        self._node_def.device = device

    def colocation_groups(self):
        if "_class" in self._node_def.attr:
            return [s for s in self._node_def.attr["_class"].list.s if s.startswith(b"loc:@")]
        return [("loc:@" + self.name).encode()]

    def run(self, feed_dict=None, session=None):
        _session_runner(self, feed_dict, session, "run")

    def _static_shape(self, index):
        if self._shapes is not None and index < len(self._shapes):
            return self._shapes[index]
        attrs = self._node_def.attr
        if index == 0 and self.type in SHAPE_ATTR_OPS and "shape" in attrs:
            shape = declared_shape(self.type, attrs["shape"].shape, self._graph._legacy_scalar_shapes)
            if "_output_shapes" in attrs and attrs["_output_shapes"].list.shape:
                # TF merges the declared shape with the one the writer recorded (checked
                # compatible at import).
                recorded = attrs["_output_shapes"].list.shape[0]
                shape = shape.merge_with(TensorShape(tensor_util.shape_from_proto(recorded)))
            return shape
        if self.type == "Const" and "value" in attrs:
            return TensorShape([d.size for d in attrs["value"].tensor.tensor_shape.dim])
        if "_output_shapes" in attrs:
            if index < len(attrs["_output_shapes"].list.shape):
                return TensorShape(tensor_util.shape_from_proto(attrs["_output_shapes"].list.shape[index]))
        elif self._infer_on_demand:
            from metarun.framework import imported_shapes  # noqa: PLC0415 -- imports shape functions
            imported_shapes.infer(self)
            if self._shapes is not None and index < len(self._shapes):
                return self._shapes[index]
        return TensorShape(None)

    def _as_graph_element(self):
        return self

    def __repr__(self):
        return "<tf.Operation '%s' type=%s>" % (self.name, self.type)

    def __str__(self):
        return str(self.node_def)

    def __hash__(self):
        return id(self)

    def __eq__(self, other):
        return self is other

    def __ne__(self, other):
        return self is not other


# Ops whose `shape` attr is their output's static shape (a VarHandleOp's is its variable's; its
# output is a scalar handle).
SHAPE_ATTR_OPS = frozenset(["Placeholder", "PlaceholderV2", "PlaceholderWithDefault", "VariableV2",
                            "Variable"])


def declared_shape(op_type, shape_proto, legacy_scalar_shapes):
    """The static shape the `shape` attr of a SHAPE_ATTR_OPS node declares. A placeholder's
    `shape {}` meant unknown in graphs of producer <= 21 (`legacy_scalar_shapes`); the old
    Variable op's scalar shape always means unknown."""
    shape = TensorShape(tensor_util.shape_from_proto(shape_proto))
    if shape.ndims == 0 and not shape_proto.dim and (
            op_type == "Variable" or legacy_scalar_shapes and op_type in ("Placeholder", "PlaceholderV2")):
        return TensorShape(None)
    return shape


def _input_name(tensor):
    return tensor.op.name if tensor.value_index == 0 else tensor.name


def attr_value_to_python(value):
    """An AttrValue as the Python value TF's `get_attr` returns."""
    kind = value.WhichOneof("value")
    if kind == "s":
        return value.s
    if kind in ("i", "f", "b"):
        return getattr(value, kind)
    if kind == "type":
        return dtypes.as_dtype(value.type)
    if kind == "shape":
        return TensorShape(tensor_util.shape_from_proto(value.shape))
    if kind == "tensor":
        return value.tensor
    if kind == "func":
        return value.func
    if kind == "placeholder":
        return value.placeholder
    if kind == "list":
        lst = value.list
        if lst.s:
            return list(lst.s)
        if lst.i:
            return list(lst.i)
        if lst.f:
            return list(lst.f)
        if lst.b:
            return list(lst.b)
        if lst.type:
            return [dtypes.as_dtype(t) for t in lst.type]
        if lst.shape:
            return [TensorShape(tensor_util.shape_from_proto(s)) for s in lst.shape]
        if lst.tensor:
            return list(lst.tensor)
        if lst.func:
            return list(lst.func)
        return []
    return None


def _core_attr(value):
    """An AttrValue as the tagged tuple the C++ core takes."""
    kind = value.WhichOneof("value")
    if kind in ("i", "f", "b", "s"):
        return (kind, getattr(value, kind))
    if kind == "type":
        return ("type", value.type)
    if kind == "shape":
        return ("shape", _core_shape(value.shape))
    if kind == "tensor":
        return ("tensor", _core_tensor(value.tensor))
    if kind == "func":
        return ("func", value.func.name)
    if kind == "list":
        lst = value.list
        out = {}
        if lst.i:
            out["i"] = list(lst.i)
        if lst.f:
            out["f"] = list(lst.f)
        if lst.b:
            out["b"] = list(lst.b)
        if lst.s:
            out["s"] = list(lst.s)
        if lst.type:
            out["type"] = list(lst.type)
        if lst.shape:
            out["shape"] = [_core_shape(s) for s in lst.shape]
        if lst.tensor:
            out["tensor"] = [_core_tensor(t) for t in lst.tensor]
        return ("list", out)
    return ("none", None)


def _core_shape(shape_proto):
    """Dims with -1 for unknown, or None for unknown rank (the core's form)."""
    return None if shape_proto.unknown_rank else [d.size for d in shape_proto.dim]


def _core_tensor(tensor_proto):
    arr = tensor_util.to_numpy(tensor_proto)
    if tensor_proto.dtype == 7:
        return (arr, 7)
    return (np.require(arr, requirements="C"), tensor_proto.dtype)


class Graph(object):
    """A TF1 graph: operations, collections and name scopes."""

    def __init__(self):
        self._lock = threading.RLock()
        self._ops = []
        self._by_name = {}
        self._collections = {}
        self._names_in_use = {}
        self._finalized = False
        self._op_defs = {}  # from imported stripped_op_lists
        self._producer = None
        self._legacy_scalar_shapes = False
        self._name_stack = ""
        self._control_dependencies = []   # _Controller stack (control_dependencies blocks)
        self._device_stack = []           # device strings or functions, innermost last (merged)
        self._colocation_stack = []       # Operations (colocate_with), innermost last
        self._gradient_override_map = {}  # op type -> op type whose gradient it uses
        self._cf_context = None           # the v1 cond/while context ops are being built in
        self._core = None
        self._library = None        # FunctionLibrary: the graph's functions (graph_def.library)
        self._function_root = None  # for a function body: the core graph whose library it joins
        self._outer_graph = None    # for a function being traced: the graph it is traced in
        self._seed = None
        self._version = 0
        self._raw_collection_defs = {}  # the CollectionDefs of imported MetaGraphDefs, by key
        self._attr_errors = {}  # op name -> (error code, why an attr could not be handed to the core)

    # -- defaults and naming -------------------------------------------------
    @contextlib.contextmanager
    def as_default(self):
        stack = _graph_stack()
        stack.append(self)
        try:
            yield self
        finally:
            stack.remove(self)

    @property
    def finalized(self):
        return self._finalized

    def finalize(self):
        self._finalized = True

    def _unsafe_unfinalize(self):
        self._finalized = False

    @property
    def version(self):
        return self._version

    @property
    def seed(self):
        return self._seed

    @seed.setter
    def seed(self, value):
        self._seed = value

    def unique_name(self, name, mark_as_used=True):
        if self._name_stack:
            name = self._name_stack + "/" + name
        key = name.lower()
        i = self._names_in_use.get(key, 0)
        if mark_as_used:
            self._names_in_use[key] = i + 1
        if i > 0:
            base = key
            while key in self._names_in_use:
                key = "%s_%d" % (base, i)
                i += 1
            if mark_as_used:
                self._names_in_use[key] = 1
            name = "%s_%d" % (name, i - 1)
        return name

    def _mark_name_used(self, name):
        key = name.lower()
        if key not in self._names_in_use:
            self._names_in_use[key] = 1

    @contextlib.contextmanager
    def name_scope(self, name):
        old = self._name_stack
        if name is None or name == "":
            self._name_stack = ""
        elif name.endswith("/"):
            self._name_stack = name[:-1]
        else:
            self._name_stack = self.unique_name(name)
        try:
            yield self._name_stack + "/" if self._name_stack else ""
        finally:
            self._name_stack = old

    def get_name_scope(self):
        return self._name_stack

    @contextlib.contextmanager
    def control_dependencies(self, control_inputs):
        """Ops created in the block get `control_inputs` as control inputs, unless
        one of their data inputs was itself created in the block (TF's rule:
        such an op already runs after them). None clears the enclosing blocks."""
        if control_inputs is None:  # as in TF, this also leaves any v1 cond/while context
            saved, saved_cf = self._control_dependencies, self._cf_context
            self._control_dependencies, self._cf_context = [], None
            try:
                yield
            finally:
                self._control_dependencies, self._cf_context = saved, saved_cf
            return
        ops = []
        for c in control_inputs:
            if hasattr(c, "_as_graph_element") and not isinstance(c, (Tensor, Operation)):
                c = c._as_graph_element()
            if callable(c) and not isinstance(c, (Tensor, Operation)):
                c = c()
            op = _as_op(c)
            if op not in ops:
                ops.append(op)
            op._node_def.attr["_has_manual_control_dependencies"].b = True
        current = [c for controller in self._control_dependencies for c in controller.control_inputs]
        controller = _Controller([op for op in ops if op not in current])
        self._control_dependencies.append(controller)
        try:
            yield
        finally:
            self._control_dependencies.remove(controller)

    def _control_inputs_for(self, input_ops):
        out = []
        for controller in self._control_dependencies:
            if any(op in controller.seen for op in input_ops):
                continue
            out.extend(c for c in controller.control_inputs if c not in input_ops and c not in out)
        return out

    @contextlib.contextmanager
    def device(self, device_name):
        """Records the device on ops created in the block (metarun runs all on the CPU). A
        device function is called with each new op and returns its device, as in TF."""
        self._device_stack.append(device_name)
        try:
            yield
        finally:
            self._device_stack.pop()

    def _current_device(self):
        """The device of a new op when the device stack holds only strings (else None: the
        functions need the op, see _apply_device_functions)."""
        spec = ""
        for d in self._device_stack:
            if callable(d):
                return None
            spec = "" if d is None else merge_devices(spec, d)
        return spec

    def _apply_device_functions(self, op):
        """TF's order: from the innermost block out, a string merges under what the op has (inner
        fields win), a function gives the device from the op as it stands, None stops."""
        for d in reversed(self._device_stack):
            if d is None:
                break
            if callable(d):
                device = d(op)
                if device is not None and not isinstance(device, str):
                    device = device.to_string()
                op._node_def.device = device or ""
            else:
                op._node_def.device = merge_devices(d, op._node_def.device)

    @contextlib.contextmanager
    def colocate_with(self, op, ignore_existing=False):
        """Ops created in the block carry `_class: loc:@<op>` (the groups of `op`) and its device:
        as in TF, the device blocks around do not apply inside."""
        saved_devices = self._device_stack
        self._device_stack = []
        try:
            if op is None:
                saved = self._colocation_stack
                self._colocation_stack = []
                try:
                    yield
                finally:
                    self._colocation_stack = saved
                return
            if hasattr(op, "_as_graph_element") and not isinstance(op, (Tensor, Operation)):
                op = op._as_graph_element()
            op = _as_op(op)
            with self.colocate_with_groups(op.colocation_groups(), op.device, ignore_existing):
                yield
        finally:
            self._device_stack = saved_devices

    @contextlib.contextmanager
    def gradient_override_map(self, op_type_map):
        saved = dict(self._gradient_override_map)
        self._gradient_override_map.update(op_type_map)
        try:
            yield
        finally:
            self._gradient_override_map = saved

    @contextlib.contextmanager
    def colocate_with_groups(self, groups, device="", ignore_existing=False):
        """colocate_with by group names (b"loc:@name"), for an op not built yet."""
        saved = self._colocation_stack
        if ignore_existing:
            self._colocation_stack = []
        self._colocation_stack = self._colocation_stack + [(list(groups), device)]
        try:
            yield
        finally:
            self._colocation_stack = saved

    @contextlib.contextmanager
    def _undo_on_error(self):
        """Everything added inside the block (ops, op names, collection entries,
        op signatures, the producer version) is taken back if the block raises:
        a failed import leaves the graph as it was. Holding the lock keeps the
        C++ mirror from picking up ops that may still be taken back."""
        with self._lock:
            n_ops = len(self._ops)
            names = dict(self._names_in_use)
            collections = {key: (items, list(items)) for key, items in self._collections.items()}
            op_defs = set(self._op_defs)
            raw_defs = dict(self._raw_collection_defs)
            scalars = (self._producer, self._legacy_scalar_shapes, self._version)
            try:
                yield
            except BaseException:
                for op in self._ops[n_ops:]:
                    if self._by_name.get(op.name) is op:
                        del self._by_name[op.name]
                    self._attr_errors.pop(op.name, None)
                del self._ops[n_ops:]
                self._names_in_use = names
                self._collections = {}
                for key, (items, saved) in collections.items():
                    items[:] = saved
                    self._collections[key] = items
                for key in set(self._op_defs) - op_defs:
                    del self._op_defs[key]
                self._raw_collection_defs = raw_defs
                self._producer, self._legacy_scalar_shapes, self._version = scalars
                raise

    # -- operations -----------------------------------------------------------
    def _check_not_finalized(self):
        if self._finalized:
            raise RuntimeError("Graph is finalized and cannot be modified.")

    def _add_op(self, op):
        self._check_not_finalized()
        op._id = len(self._ops)
        self._ops.append(op)
        self._by_name[op.name] = op
        self._version += 1

    def get_operations(self):
        return list(self._ops)

    def get_operation_by_name(self, name):
        if not isinstance(name, str):
            raise TypeError("Operation names are strings (or similar), not %s." % type(name).__name__)
        return self.as_graph_element(name, allow_tensor=False, allow_operation=True)

    def get_tensor_by_name(self, name):
        if not isinstance(name, str):
            raise TypeError("Tensor names are strings (or similar), not %s." % type(name).__name__)
        return self.as_graph_element(name, allow_tensor=True, allow_operation=False)

    def as_graph_element(self, obj, allow_tensor=True, allow_operation=True):
        """Resolve a Tensor, Operation, Variable or name, with TF's errors."""
        if allow_tensor and allow_operation:
            types_str = "Tensor or Operation"
        elif allow_tensor:
            types_str = "Tensor"
        else:
            types_str = "Operation"
        if hasattr(obj, "_as_graph_element") and not isinstance(obj, (Tensor, Operation)):
            obj = obj._as_graph_element()
        if isinstance(obj, str):
            name = obj
            if ":" in name and allow_tensor:
                op_name, out_n = name.split(":", 1)
                try:
                    out_n = int(out_n)
                except ValueError:
                    raise ValueError("The name %s looks a like a Tensor name, but is not a valid one. "
                                     "Tensor names must be of the form \"<op_name>:<output_index>\"."
                                     % repr(name)) from None
                op = self._by_name.get(op_name)
                if op is None:
                    raise KeyError("The name %s refers to a Tensor which does not exist. The operation, "
                                   "%s, does not exist in the graph." % (repr(name), repr(op_name)))
                if out_n < 0 or out_n >= len(op._outputs):
                    raise KeyError("The name %s refers to a Tensor which does not exist. The operation, "
                                   "%s, exists but only has %d outputs."
                                   % (repr(name), repr(op_name), len(op._outputs)))
                return op._outputs[out_n]
            if ":" in name and not allow_tensor:
                raise ValueError("Name %s appears to refer to a Tensor, not a %s." % (repr(name), types_str))
            if ":" not in name and allow_operation:
                op = self._by_name.get(name)
                if op is None:
                    raise KeyError("The name %s refers to an Operation not in the graph." % repr(name))
                return op
            if ":" not in name and not allow_operation:
                if name in self._by_name:
                    raise ValueError("The name %s refers to an Operation, not a %s. Tensor names must be "
                                     "of the form \"<op_name>:<output_index>\"." % (repr(name), types_str))
                raise ValueError("The name %s looks like an (invalid) Operation name, not a %s."
                                 % (repr(name), types_str))
        if isinstance(obj, Tensor) and allow_tensor:
            if obj.graph is not self:
                raise ValueError("Tensor %s is not an element of this graph." % obj)
            return obj
        if isinstance(obj, Operation) and allow_operation:
            if obj.graph is not self:
                raise ValueError("Operation %s is not an element of this graph." % obj)
            return obj
        raise TypeError("Can not convert a %s into a %s." % (type(obj).__name__, types_str))

    def _create_op(self, op_type, inputs, attrs=None, name=None, control_inputs=(), device=None,
                   op_def=None, output_types=None):
        """Add an op built in Python. `attrs` maps names to AttrValue protos or
        Python values (see `make_attr`). A `name` ending in '/' (a name scope)
        is taken as is, without its slash; any other is made unique in the
        current name scope. The current control-dependency, device and
        colocation blocks apply."""
        self._check_not_finalized()
        node = protos.NodeDef()
        node.name = name[:-1] if name and name.endswith("/") else self.unique_name(name or op_type)
        node.op = op_type
        current = self._current_device() if device is None else device
        node.device = current or ""
        device_functions = current is None  # functions on the device stack: applied to the op below
        for key, value in (attrs or {}).items():
            make_attr(value, node.attr[key])
        if any(op_groups for op_groups, _ in self._colocation_stack):
            groups = []
            for op_groups, _ in self._colocation_stack:
                groups.extend(g for g in op_groups if g not in groups)
            node.attr["_class"].list.s.extend(sorted(groups))
            placed = [dev for _, dev in self._colocation_stack if dev]
            if placed:  # TF places the op with what it is colocated with
                node.device = placed[-1]
        if op_type in self._gradient_override_map:  # TF records the override on the node
            node.attr["_gradient_op_type"].s = self._gradient_override_map[op_type].encode()
        if op_def is None:
            op_def = op_def_lib.lookup(op_type, self._op_defs)
            if op_def is None:
                raise ValueError("Op type not registered '%s'" % op_type)
        op_def_lib.fill_default_attrs(node.attr, op_def)
        if output_types is None:
            output_types = op_def_lib.output_types(op_def, node.attr)
        op = Operation(self, node, output_types, op_def)
        if device_functions:
            self._apply_device_functions(op)
            placed = [dev for _, dev in self._colocation_stack if dev]
            if placed:  # colocation still wins, as in TF
                node.device = placed[-1]
        inputs = list(inputs)
        if self._outer_graph is not None:  # a traced function reads outer tensors through captures
            inputs = [t if t.graph is self else self._capture(t) for t in inputs]
            control_inputs = [c for c in control_inputs if c.graph is self]
        op._inputs = inputs
        input_ops = [t.op for t in op._inputs]
        controls = list(control_inputs)
        controls.extend(c for c in self._control_inputs_for(input_ops) if c not in controls)
        op._control_inputs = controls
        for controller in self._control_dependencies:
            controller.seen.add(op)
        self._add_op(op)
        if self._cf_context is not None:  # after: the context may add ops (Switch, Enter) for its inputs
            self._cf_context.add_op(op)
        from metarun.framework import shape_inference  # noqa: PLC0415 -- it imports this module
        try:
            shape_inference.infer(op)
        except ValueError:
            # TF adds no node its shape function refuses (the name stays used).
            self._ops.remove(op)
            self._by_name.pop(op.name, None)
            raise
        return op

    # -- collections ----------------------------------------------------------
    def add_to_collection(self, name, value):
        self._check_not_finalized()
        self._collections.setdefault(name, []).append(value)

    def add_to_collections(self, names, value):
        names = (names,) if isinstance(names, str) else set(names)
        for name in names:
            self.add_to_collection(name, value)

    def get_collection_ref(self, name):
        return self._collections.setdefault(name, [])

    def get_collection(self, name, scope=None):
        items = self._collections.get(name)
        if items is None:
            return []
        if scope is None:
            return list(items)
        regex = re.compile(scope)
        return [it for it in items
                if hasattr(it, "name") and it.name is not None and regex.match(it.name)]

    def get_all_collection_keys(self):
        return [k for k in self._collections if isinstance(k, str)]

    def clear_collection(self, name):
        self._collections.pop(name, None)

    # -- export -----------------------------------------------------------------
    def as_graph_def(self, from_version=None, add_shapes=False):
        graph_def = protos.GraphDef()
        for op in self._ops:
            node = graph_def.node.add()
            node.CopyFrom(op.node_def)
            if add_shapes and op._outputs:
                shapes = node.attr["_output_shapes"].list
                del shapes.shape[:]
                for t in op._outputs:
                    tensor_util.make_shape_proto(t.shape.dims, shapes.shape.add())
        graph_def.versions.producer = self._producer if self._producer is not None else 2474
        if self._library is not None and self._library.fdefs:
            graph_def.library.CopyFrom(self._library.to_proto())
        return graph_def

    def _capture(self, tensor):
        from metarun.framework import function_library
        return function_library.capture(self, tensor)

    def _function_library(self):
        """The graph's FunctionLibrary, made on first use."""
        if self._library is None:
            from metarun.framework.function_library import FunctionLibrary
            self._library = FunctionLibrary()
        return self._library

    @property
    def graph_def_versions(self):
        versions = protos.VersionDef()
        versions.producer = self._producer if self._producer is not None else 2474
        return versions

    # -- the C++ mirror ---------------------------------------------------------
    def _core_graph(self):
        """The C++ graph, with every op added so far."""
        with self._lock:
            if self._core is None:
                self._core = _core.Graph()
                if self._function_root is not None:
                    self._core.share_library(self._function_root)
            core = self._core
            root = self._function_root or core
            lib = self._library
            for op in self._ops[core.num_nodes():]:
                attrs = {}
                op_type = op.type
                for key, value in op._node_def.attr.items():
                    if key.startswith("_"):
                        continue
                    try:
                        attrs[key] = _core_attr(value)
                    except Exception as e:  # noqa: BLE001 -- as in TF, reported when the node runs
                        code = getattr(e, "error_code", 3)  # tf.errors' own code, else INVALID_ARGUMENT
                        self._attr_errors.setdefault(
                            op.name, (code, "%s (attr '%s' of node %s)" % (e, key, op.name)))
                if lib is not None:
                    try:
                        if op_type in lib:  # a direct call of a library function
                            attrs = {"f": ("func", lib.instantiate(root, op_type, dict(op._node_def.attr)))}
                            op_type = "PartitionedCall"
                        elif op_type == "SymbolicGradient":
                            f = op._node_def.attr["f"].func
                            tout = list(op._node_def.attr["Tout"].list.type)
                            attrs = {"f": ("func", lib.instantiate_gradient(root, f.name, dict(f.attr), tout))}
                            op_type = "PartitionedCall"
                        else:
                            attrs.update(lib.core_attrs(root, op._node_def))
                    except Exception as e:  # noqa: BLE001 -- reported when the node runs
                        self._attr_errors.setdefault(op.name, (getattr(e, "error_code", 3), str(e)))
                core.add_node(op.name, op_type, op.device,
                              [(t.op._id, t.value_index) for t in op._inputs],
                              [c._id for c in op._control_inputs], attrs,
                              [t.dtype.as_datatype_enum for t in op._outputs])
            return core


class _Controller(object):
    """One control_dependencies block: its control inputs and the ops made in it."""

    __slots__ = ("control_inputs", "seen")

    def __init__(self, control_inputs):
        self.control_inputs = control_inputs
        self.seen = set()


_DEVICE_FIELDS = ("job", "replica", "task", "device")


def _parse_device(spec):
    """{'job': 'w', 'replica': '0', 'task': '1', 'device': 'CPU:0'} from a device string
    ('/job:w/task:1/gpu:1', '/device:GPU:1', 'CPU:0'...); device types upper-cased."""
    out = {}
    for part in (spec or "").split("/"):
        if not part:
            continue
        key, _, value = part.partition(":")
        low = key.lower()
        if low in ("job", "replica", "task") and value:
            out[low] = value
        elif low == "device":
            kind, _, index = value.partition(":")
            out["device"] = kind.upper() + ":" + (index or "*")
        elif low in ("cpu", "gpu", "tpu"):
            out["device"] = low.upper() + ":" + (value or "*")
        elif value == "" and key == "*":
            continue
        else:
            raise ValueError("Unknown attribute: '%s' in '%s'" % (part, spec))
    return out


def merge_devices(outer, inner):
    """The device of an op in `with device(inner)` nested in `device(outer)`: TF's
    DeviceSpec merge, written as '/job:../replica:../task:../device:TYPE:N'."""
    merged = _parse_device(outer)
    merged.update(_parse_device(inner))
    parts = []
    for key in _DEVICE_FIELDS:
        if key in merged:
            parts.append("/%s:%s" % (key, merged[key]))
    return "".join(parts)


def _as_op(obj):
    if isinstance(obj, Operation):
        return obj
    if isinstance(obj, Tensor):
        return obj.op
    if hasattr(obj, "op"):
        return obj.op
    raise TypeError("Can not convert a %s into an Operation." % type(obj).__name__)


def make_attr(value, attr):
    """Fill an AttrValue proto from a Python value (or copy an AttrValue)."""
    if isinstance(value, type(attr)):
        attr.CopyFrom(value)
    elif isinstance(value, dtypes.DType):
        attr.type = value.as_datatype_enum
    elif isinstance(value, TensorShape):
        tensor_util.make_shape_proto(value.dims, attr.shape)
    elif isinstance(value, bool):
        attr.b = value
    elif isinstance(value, int):
        attr.i = value
    elif isinstance(value, float):
        attr.f = value
    elif isinstance(value, str):
        attr.s = value.encode()
    elif isinstance(value, bytes):
        attr.s = value
    elif isinstance(value, protos.NameAttrList) or hasattr(value, "name_attr_list"):
        attr.func.CopyFrom(value if isinstance(value, protos.NameAttrList) else value.name_attr_list())
    elif isinstance(value, tuple) and len(value) == 2 and isinstance(value[1], dtypes.DType):
        tensor_util.make_tensor_proto(value[0], value[1], attr.tensor)  # (value, dtype)
    elif isinstance(value, list):
        lst = attr.list
        lst.Clear()
        attr.list.SetInParent()
        for v in value:
            if isinstance(v, dtypes.DType):
                lst.type.append(v.as_datatype_enum)
            elif isinstance(v, bool):
                lst.b.append(v)
            elif isinstance(v, int):
                lst.i.append(v)
            elif isinstance(v, float):
                lst.f.append(v)
            elif isinstance(v, (str, bytes)):
                lst.s.append(v.encode() if isinstance(v, str) else v)
            elif isinstance(v, TensorShape):
                tensor_util.make_shape_proto(v.dims, lst.shape.add())
            elif isinstance(v, protos.NameAttrList) or hasattr(v, "name_attr_list"):
                lst.func.add().CopyFrom(v if isinstance(v, protos.NameAttrList) else v.name_attr_list())
            else:
                raise TypeError("cannot make a list attr of %r" % (v,))
    else:
        raise TypeError("cannot make an attr of %r" % (value,))
    return attr


# -- the default graph ----------------------------------------------------------
# As in TF, each thread has its own stack of `as_default` graphs; a thread with
# none active sees the one process-wide global default graph.
_default_graph_stack = threading.local()
_global_default_graph = None
_global_default_lock = threading.Lock()


def _graph_stack():
    stack = getattr(_default_graph_stack, "stack", None)
    if stack is None:
        stack = _default_graph_stack.stack = []
    return stack


def get_default_graph():
    global _global_default_graph
    stack = _graph_stack()
    if stack:
        return stack[-1]
    if _global_default_graph is None:
        with _global_default_lock:
            if _global_default_graph is None:
                _global_default_graph = Graph()
    return _global_default_graph


def reset_default_graph():
    global _global_default_graph
    if _graph_stack():
        raise AssertionError("Do not use tf.reset_default_graph() to clear nested graphs. If you need "
                             "a cleared graph, exit the nesting and create a new graph.")
    _global_default_graph = Graph()
