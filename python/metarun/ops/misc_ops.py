"""tf.* functions about graphs, variables and values rather than math: static values, scopes
(init_scope, container, op_scope), variable reports, TensorProtos, make_template and the graph-mode
custom_gradient."""

import contextlib
import functools
import itertools
import os

import numpy as np

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework import shape_inference as si
from metarun.framework import tensor_util
from metarun.framework.op_builder import apply_op, convert_to_tensor, numpy_value
from metarun.framework.variables import (
    Variable, global_variables, is_variable_initialized, local_variables, local_variables_initializer)
from metarun.ops.scopes import name_scope

all_variables = global_variables
initialize_local_variables = local_variables_initializer


# -- values -------------------------------------------------------------------------------------

def is_tensor(x):
    from metarun.framework.indexed_slices import IndexedSlices
    return isinstance(x, (graph_lib.Tensor, Variable, IndexedSlices)) or bool(getattr(x, "is_tensor_like", False))


def get_static_value(tensor, partial=False):
    """The value of `tensor` when it can be told while building (numpy), else None; a value that is
    not a tensor is returned as it is."""
    del partial
    if isinstance(tensor, Variable):
        return None
    if not isinstance(tensor, graph_lib.Tensor):
        return tensor
    value = si.constant_value(tensor)
    if value is not None and tensor.op.type not in ("Const",):
        value = np.asarray(value)
    return value


def convert_to_tensor_or_indexed_slices(value, dtype=None, name=None):
    from metarun.framework.indexed_slices import IndexedSlices
    if isinstance(value, IndexedSlices):
        if dtype and not dtypes.as_dtype(dtype).is_compatible_with(value.dtype):
            raise ValueError("Incompatible tensor conversion requested to `dtype` %s for IndexedSlices (%s) "
                             "with dtype %s" % (dtypes.as_dtype(dtype).name, value, value.dtype.name))
        return value
    return convert_to_tensor(value, dtype=dtype, name=name)


def make_ndarray(tensor):
    """The numpy value a TensorProto holds."""
    return tensor_util.to_numpy(tensor).copy()


def make_tensor_proto(values, dtype=None, shape=None, verify_shape=False, allow_broadcast=False):
    """A TensorProto of `values` written as TF writes it: tensor_content for a whole numeric array
    of more than one element, else the typed value list (one value stands for a larger shape)."""
    from metarun.framework import protos
    if isinstance(values, protos.TensorProto):
        return values
    if dtype is not None:
        dtype = dtypes.as_dtype(dtype)
    if isinstance(values, np.ndarray) and dtype is not None and values.dtype != dtype.as_numpy_dtype and \
            dtype != dtypes.string:
        raise TypeError("Expected %s, but got %s of type '%s'." % (dtype.name, values, values.dtype))
    arr, dtype = numpy_value(values, dtype)
    if shape is None:
        shape = list(arr.shape)
        size = arr.size
    else:
        shape = [int(d) for d in shape]
        size = int(np.prod(shape, dtype=np.int64))
        if allow_broadcast:
            if arr.shape not in ((1,), ()) and arr.size != size:
                raise TypeError("Expected Tensor's shape: %s, but got %s." % (tuple(shape), arr.shape))
        else:
            if verify_shape and arr.shape != tuple(shape):
                raise TypeError("Expected Tensor's shape: %s, but got %s." % (tuple(shape), arr.shape))
            if arr.size > size:
                raise ValueError("Too many elements provided. Takes at most %d, but got %d" % (size, arr.size))
    proto = protos.TensorProto()
    if arr.size == size:
        return tensor_util.make_tensor_proto(np.ascontiguousarray(arr).reshape(shape), dtype, proto)
    # Fewer values than the shape holds: TF lists them; the last one fills the rest when read.
    if dtype == dtypes.string:
        tensor_util.make_tensor_proto(arr.reshape(-1), dtype, proto)
    else:
        _typed_values(arr.reshape(-1), dtype, proto)
    tensor_util.make_shape_proto(shape, proto.tensor_shape)
    return proto


def _typed_values(flat, dtype, proto):
    proto.dtype = dtype.as_datatype_enum
    field = tensor_util._VAL_FIELD[dtype.as_datatype_enum]
    if dtype in (dtypes.complex64, dtypes.complex128):
        getattr(proto, field).extend(float(x) for c in flat for x in (c.real, c.imag))
    elif dtype == dtypes.bool:
        proto.bool_val.extend(bool(b) for b in flat)
    elif dtype in (dtypes.float16, dtypes.bfloat16):
        proto.half_val.extend(int(b) for b in flat.view(np.uint16))
    elif field in ("float_val", "double_val"):
        getattr(proto, field).extend(float(x) for x in flat)
    else:
        getattr(proto, field).extend(int(x) for x in flat)


# -- scopes -------------------------------------------------------------------------------------

@contextlib.contextmanager
def init_scope():
    """Lifts ops out of control-dependency blocks and v1 cond/while contexts, keeping the name scope."""
    g = graph_lib.get_default_graph()
    scope = g.get_name_scope()
    if scope and scope[-1] != "/":
        scope += "/"
    with g.as_default(), g.control_dependencies(None), g.name_scope(scope or ""):
        yield


@contextlib.contextmanager
def op_scope(values, name, default_name=None):
    with name_scope(name, default_name=default_name, values=values) as scope:
        yield scope


@contextlib.contextmanager
def container(container_name):
    """Stateful ops made in the block (variables) get `container_name` as their container attr."""
    g = graph_lib.get_default_graph()
    start = len(g.get_operations())
    try:
        yield container_name
    finally:
        for op in g.get_operations()[start:]:
            attr = op._node_def.attr
            if "container" in attr and not attr["container"].s and op.op_def.is_stateful:
                attr["container"].s = container_name.encode() if isinstance(container_name, str) \
                    else container_name


# -- variables ----------------------------------------------------------------------------------

def _default_var_list():
    var_list = global_variables() + local_variables()
    if not var_list:
        var_list = [op.outputs[0] for op in graph_lib.get_default_graph().get_operations()
                    if op.type in ("Variable", "VariableV2", "AutoReloadVariable")]
    return var_list


def _is_initialized(v):
    if isinstance(v, Variable):
        return is_variable_initialized(v)
    return apply_op("IsVariableInitialized", ref=v, dtype=v.dtype.base_dtype)


def report_uninitialized_variables(var_list=None, name="report_uninitialized_variables"):
    """A 1-D string tensor of the names of the uninitialized variables (all, by default)."""
    from metarun.ops import array_ops, math_ops
    if var_list is None:
        var_list = _default_var_list()
    g = graph_lib.get_default_graph()
    with name_scope(name):
        if var_list:
            init_vars = [_is_initialized(v) for v in var_list]
        local_device = os.environ.get("TF_DEVICE_FOR_UNINITIALIZED_VARIABLE_REPORTING", "/cpu:0")
        with g.device(local_device):
            if not var_list:
                from metarun.framework.op_builder import constant
                return constant([], dtype=dtypes.string)
            mask = math_ops.logical_not(array_ops.stack(init_vars))
            from metarun.framework.op_builder import constant
            names = constant([v.op.name for v in var_list])
            return array_ops.boolean_mask(names, mask)


def assert_variables_initialized(var_list=None):
    """The ranks of the variables (one stacked tensor for several): running it fails while any is
    uninitialized. None for no variables."""
    from metarun.ops import array_ops
    if var_list is None:
        var_list = _default_var_list()
    if not var_list:
        return None
    g = graph_lib.get_default_graph()
    ranks = []
    for var in var_list:
        with g.colocate_with(var.op):
            with name_scope(None, "Rank", [var]) as scope:
                with g.colocate_with(None, ignore_existing=True):  # TF reads a resource variable uncolocated
                    value = convert_to_tensor(var)
                ranks.append(apply_op("Rank", input=value, name=scope))
    return ranks[0] if len(ranks) == 1 else array_ops.stack(ranks)


# -- make_template ------------------------------------------------------------------------------

def make_template(name_, func_, create_scope_now_=False, unique_name_=None, custom_getter_=None, **kwargs):
    if kwargs:
        func_ = functools.partial(func_, **kwargs)
    return Template(name_, func_, create_scope_now=create_scope_now_, unique_name=unique_name_,
                    custom_getter=custom_getter_)


class Template(object):
    """A function whose variables are created on the first call and reused on the later ones."""

    def __init__(self, name, func, create_scope_now=False, unique_name=None, custom_getter=None,
                 create_graph_function=False):
        from metarun.ops import variable_scope as vs
        if name is None:
            raise ValueError("name cannot be None.")
        self._func = func
        self._name = name
        self._unique_name = unique_name
        self._custom_getter = custom_getter
        if create_scope_now:
            with vs._pure_variable_scope(unique_name or vs._unique_variable_scope(name),
                                         custom_getter=custom_getter) as scope:
                self._variable_scope = scope
        else:
            self._variable_scope = None
        self._variables_created = False
        self._first_call = True

    def _call_func(self, args, kwargs):
        from metarun.framework.graph import GraphKeys
        g = graph_lib.get_default_graph()
        if not self._variables_created:
            self._variables_created = True
            return self._func(*args, **kwargs)
        trainable_at_start = len(g.get_collection(GraphKeys.TRAINABLE_VARIABLES))
        result = self._func(*args, **kwargs)
        trainable = g.get_collection(GraphKeys.TRAINABLE_VARIABLES)
        if trainable_at_start != len(trainable):
            raise ValueError("Trainable variable created when calling a template after the first time, perhaps "
                             "you used tf.Variable when you meant tf.get_variable: %s"
                             % (trainable[trainable_at_start:],))
        return result

    def __call__(self, *args, **kwargs):
        from metarun.ops import variable_scope as vs
        if self._variable_scope:
            with vs.variable_scope(self._variable_scope, reuse=not self._first_call):
                self._first_call = False
                return self._call_func(args, kwargs)
        with vs.variable_scope(self._unique_name, self._name, custom_getter=self._custom_getter) as scope:
            self._variable_scope = scope
            self._first_call = False
            return self._call_func(args, kwargs)

    @property
    def name(self):
        return self._name

    @property
    def func(self):
        return self._func

    @property
    def variable_scope(self):
        return self._variable_scope

    @property
    def variable_scope_name(self):
        if self._variable_scope:
            name = self._variable_scope.name
            return name if not name or name[-1] == "/" else name + "/"
        return None

    def _collection(self, key):
        from metarun.framework.graph import GraphKeys
        if not self._variables_created:
            return []
        return graph_lib.get_default_graph().get_collection(getattr(GraphKeys, key), self.variable_scope_name)

    variables = property(lambda self: self._collection("GLOBAL_VARIABLES") + self._collection("LOCAL_VARIABLES"))
    trainable_variables = property(lambda self: self._collection("TRAINABLE_VARIABLES"))
    global_variables = property(lambda self: self._collection("GLOBAL_VARIABLES"))
    local_variables = property(lambda self: self._collection("LOCAL_VARIABLES"))
    trainable_weights = trainable_variables
    weights = variables

    @property
    def non_trainable_variables(self):
        trainable = set(id(v) for v in self.trainable_variables)
        return [v for v in self.global_variables if id(v) not in trainable]

    non_trainable_weights = non_trainable_variables


# -- custom_gradient ------------------------------------------------------------------------------

_grad_ids = itertools.count(1)


def custom_gradient(f=None):
    """TF1 graph-mode custom_gradient: `f(*args)` returns (result, grad_fn); the results, the
    arguments and the variables read between them pass through one IdentityN whose gradient is
    grad_fn's (with `variables=` when variables are used)."""
    if f is None:
        return lambda fn: custom_gradient(fn)

    @functools.wraps(f)
    def decorated(*args, **kwargs):
        return _graph_mode_custom_gradient(f, args, kwargs)
    return decorated


def _flatten(x):
    if isinstance(x, (list, tuple)):
        out = []
        for v in x:
            out.extend(_flatten(v))
        return out
    return [x]


def _pack_as(structure, flat):
    it = iter(flat)

    def build(s):
        if isinstance(s, (list, tuple)):
            return type(s)(build(v) for v in s) if not hasattr(s, "_fields") else type(s)(*[build(v) for v in s])
        return next(it)
    return build(structure)


def _dependent_variables(inputs, outputs):
    """The variables whose ops lie between `inputs` and `outputs` (TF identities the outputs first)."""
    outputs = [apply_op("Identity", input=o) for o in outputs]
    stop = set(id(t) for t in inputs)
    seen, stack, var_ops = set(), [o.op for o in outputs], []
    while stack:
        op = stack.pop()
        if id(op) in seen:
            continue
        seen.add(id(op))
        if op.type in ("VariableV2", "VarHandleOp"):
            var_ops.append(op)
        for t in op.inputs:
            if id(t) not in stop:
                stack.append(t.op)
    names = set(op.name for op in var_ops)
    from metarun.framework.graph import GraphKeys
    return [v for v in graph_lib.get_default_graph().get_collection(GraphKeys.GLOBAL_VARIABLES)
            if v.op.name in names]


def _graph_mode_custom_gradient(f, args, kwargs):
    import inspect
    from metarun.ops import variable_scope as vs
    from metarun.ops.gradients_impl import RegisterGradient
    grad_name = "CustomGradient-metarun-tl-%d" % next(_grad_ids)
    args = [convert_to_tensor(a) for a in args]
    scope = vs.get_variable_scope()
    before = set(id(v) for v in scope.global_variables() + scope.local_variables())
    result, grad_fn = f(*args, **kwargs)
    flat_args = _flatten(args)
    flat_result = [convert_to_tensor(r) for r in _flatten(result)]
    n = len(flat_result)
    for v in scope.global_variables() + scope.local_variables():
        if id(v) not in before and not v._is_resource:
            raise TypeError("All variables used by a function wrapped with @custom_gradient must be "
                            "`ResourceVariable`s. Ensure that no `variable_scope` is created with "
                            "`use_resource=False`.")
    variables = sorted(_dependent_variables(flat_args, flat_result), key=lambda v: v.name)
    spec = inspect.getfullargspec(grad_fn)
    in_signature = "variables" in spec.args or "variables" in spec.kwonlyargs or spec.varkw
    if variables and not in_signature:
        raise TypeError("@tf.custom_gradient grad_fn must accept keyword argument 'variables', since "
                        "function uses variables: {}".format(variables))
    all_tensors = flat_result + flat_args + variables

    @RegisterGradient(grad_name)
    def _grad(unused_op, *result_grads):
        grads = list(result_grads[:n])
        if variables:
            input_grads, variable_grads = grad_fn(*grads, variables=variables)
            if len(variable_grads) != len(variables):
                raise ValueError("Must return gradient for each variable from @custom_gradient grad_fn.")
        else:
            input_grads, variable_grads = grad_fn(*grads), []
        flat_grads = _flatten(input_grads)
        if len(flat_grads) != len(flat_args):
            raise ValueError("custom_gradient function expected to return %d gradients, but returned %d instead."
                             % (len(flat_args), len(flat_grads)))
        return [None] * n + flat_grads + list(variable_grads)

    g = graph_lib.get_default_graph()
    with g.gradient_override_map({"IdentityN": grad_name}):
        out = apply_op("IdentityN", input=all_tensors)
    out = out if isinstance(out, list) else [out]
    return _pack_as(result, out[:n])

