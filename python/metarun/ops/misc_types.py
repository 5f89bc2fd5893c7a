"""TF1's small value classes: Dimension, DeviceSpec, TypeSpec/TensorSpec, the ConfigProto
sub-messages metarun accepts and ignores, and the variable aggregation/synchronization enums."""

import enum

from metarun.framework import dtypes
from metarun.framework import tensor_shape as _ts
from metarun.framework.tensor_shape import TensorShape, as_shape


# -- Dimension ------------------------------------------------------------------------------------

class _DimensionMeta(type):
    def __instancecheck__(cls, obj):
        # metarun's shapes hold KnownDimension ints and the unknown Dimension: both are Dimensions.
        return type.__instancecheck__(cls, obj) or isinstance(obj, (_ts.KnownDimension, _ts.Dimension))


def _value(other):
    if isinstance(other, Dimension):
        return other.value
    return getattr(other, "value", other)


class Dimension(object, metaclass=_DimensionMeta):
    """One dimension of a TensorShape: an int, or unknown (None); arithmetic with an unknown
    dimension is unknown, comparisons with one are None."""

    __slots__ = ("_value",)

    def __init__(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 0:
                raise ValueError("Dimension %d must be >= 0" % value)
            self._value = value
        elif value is None:
            self._value = None
        elif isinstance(value, Dimension):
            self._value = _value(value)
        else:
            try:
                self._value = int(value.__index__())
            except AttributeError:
                raise TypeError("Dimension value must be integer or None or have an __index__ method, got value "
                                "'{0!r}' with type '{1!r}'".format(value, type(value))) from None
            if self._value < 0:
                raise ValueError("Dimension %d must be >= 0" % self._value)

    @property
    def value(self):
        return self._value

    def __repr__(self):
        return "Dimension(%s)" % repr(self._value)

    def __str__(self):
        return "?" if self._value is None else str(self._value)

    def __int__(self):
        return self._value

    def __index__(self):
        return self._value

    def __hash__(self):
        return hash(self._value)

    def __bool__(self):
        return bool(self._value)

    def is_compatible_with(self, other):
        other = as_dimension(other)
        return self._value is None or other.value is None or self._value == other.value

    def assert_is_compatible_with(self, other):
        if not self.is_compatible_with(other):
            raise ValueError("Dimensions %s and %s are not compatible" % (self, other))

    def merge_with(self, other):
        other = as_dimension(other)
        self.assert_is_compatible_with(other)
        return Dimension(self._value if self._value is not None else other.value)

    def _arith(self, other, fn, reverse=False):
        try:
            other = as_dimension(other)
        except (TypeError, ValueError):
            return NotImplemented
        a, b = (other.value, self._value) if reverse else (self._value, other.value)
        if a is None or b is None:
            return Dimension(None)
        return Dimension(fn(a, b))

    def __add__(self, other):
        return self._arith(other, lambda a, b: a + b)

    def __radd__(self, other):
        return self._arith(other, lambda a, b: a + b, True)

    def __sub__(self, other):
        return self._arith(other, lambda a, b: a - b)

    def __rsub__(self, other):
        return self._arith(other, lambda a, b: a - b, True)

    def __mul__(self, other):
        return self._arith(other, lambda a, b: a * b)

    def __rmul__(self, other):
        return self._arith(other, lambda a, b: a * b, True)

    def __floordiv__(self, other):
        return self._arith(other, lambda a, b: a // b)

    def __rfloordiv__(self, other):
        return self._arith(other, lambda a, b: a // b, True)

    def __mod__(self, other):
        return self._arith(other, lambda a, b: a % b)

    def __rmod__(self, other):
        return self._arith(other, lambda a, b: a % b, True)

    def __truediv__(self, other):
        raise TypeError("unsupported operand type(s) for /: 'Dimension' and '{}', please use // instead"
                        .format(type(other).__name__))

    def _compare(self, other, fn):
        try:
            other = as_dimension(other)
        except (TypeError, ValueError):
            return NotImplemented
        if self._value is None or other.value is None:
            return None
        return fn(self._value, other.value)

    def __eq__(self, other):
        return self._compare(other, lambda a, b: a == b)

    def __ne__(self, other):
        return self._compare(other, lambda a, b: a != b)

    def __lt__(self, other):
        return self._compare(other, lambda a, b: a < b)

    def __le__(self, other):
        return self._compare(other, lambda a, b: a <= b)

    def __gt__(self, other):
        return self._compare(other, lambda a, b: a > b)

    def __ge__(self, other):
        return self._compare(other, lambda a, b: a >= b)

    def __reduce__(self):
        return Dimension, (self._value,)


def as_dimension(value):
    if type(value) is Dimension:  # noqa: E721 -- the metaclass makes isinstance broader
        return value
    return Dimension(_value(value))


def dimension_value(dimension):
    if isinstance(dimension, Dimension):
        return _value(dimension)
    return dimension


def dimension_at_index(shape, index):
    """Dimension `index` of `shape` as a Dimension (unknown for a shape of unknown rank)."""
    shape = as_shape(shape)
    if shape.ndims is None:
        return Dimension(None)
    return Dimension(shape.dims[index])


# -- DeviceSpec -----------------------------------------------------------------------------------

class DeviceSpec(object):
    """TF1's (mutable) DeviceSpec: job, replica, task, device_type, device_index."""

    def __init__(self, job=None, replica=None, task=None, device_type=None, device_index=None):
        self.job = job
        self.replica = None if replica is None else int(replica)
        self.task = None if task is None else int(task)
        self.device_type = None if device_type is None else (
            device_type.upper() if device_type.lower() in ("cpu", "gpu", "tpu") else device_type)
        self.device_index = None if device_index is None else int(device_index)

    def _clear(self):
        self.job = self.replica = self.task = self.device_type = self.device_index = None

    def parse_from_string(self, spec):
        self._clear()
        for key, value in _parse_device_string(spec or "").items():
            setattr(self, key, value)
        return self

    @classmethod
    def from_string(cls, spec):
        return cls(**_parse_device_string(spec or ""))

    def merge_from(self, dev):
        for key in ("job", "replica", "task", "device_type", "device_index"):
            value = getattr(dev, key)
            if value is not None:
                setattr(self, key, value)

    def make_merged_spec(self, dev):
        merged = DeviceSpec(**self._fields())
        merged.merge_from(dev)
        return merged

    def replace(self, **kwargs):
        fields = self._fields()
        fields.update(kwargs)
        return DeviceSpec(**fields)

    def _fields(self):
        return dict(job=self.job, replica=self.replica, task=self.task, device_type=self.device_type,
                    device_index=self.device_index)

    def to_string(self):
        out = ""
        if self.job is not None:
            out += "/job:" + str(self.job)
        if self.replica is not None:
            out += "/replica:" + str(self.replica)
        if self.task is not None:
            out += "/task:" + str(self.task)
        if self.device_type is not None:
            index = "*" if self.device_index is None else str(self.device_index)
            out += "/device:%s:%s" % (self.device_type, index)
        return out

    def __eq__(self, other):
        return isinstance(other, DeviceSpec) and self.to_string() == other.to_string()

    def __hash__(self):
        return hash(self.to_string())


def _parse_device_string(spec):
    out = {}
    splits = [x.split(":") for x in spec.split("/")]
    valid_device_types = ("CPU", "GPU", "TPU")
    for y in splits:
        ly = len(y)
        if not y or (ly == 1 and not y[0]):
            continue
        if ly == 2 and y[0] == "job":
            out["job"] = y[1]
        elif ly == 2 and y[0] == "replica":
            out["replica"] = int(y[1])
        elif ly == 2 and y[0] == "task":
            out["task"] = int(y[1])
        elif (ly == 1 or ly == 2) and y[0].upper() in valid_device_types:
            out["device_type"] = y[0].upper()
            if ly == 2 and y[1] != "*":
                out["device_index"] = int(y[1])
        elif ly == 3 and y[0] == "device":
            out["device_type"] = y[1].upper() if y[1].upper() in valid_device_types else y[1]
            if y[2] != "*":
                out["device_index"] = int(y[2])
        elif ly and y[0] != "":
            raise ValueError("Unknown attribute '{}' is encountered while parsing the device spec: '{}'."
                             .format(y[0], spec))
    return out


# -- TypeSpec / TensorSpec ------------------------------------------------------------------------

class TypeSpec(object):
    """The base of value-type descriptions; metarun has TensorSpec only."""

    def is_compatible_with(self, spec_or_value):
        return False


class TensorSpec(TypeSpec):
    """The shape, dtype and (optional) name of a tensor."""

    __slots__ = ("_shape", "_dtype", "_name")

    def __init__(self, shape, dtype=dtypes.float32, name=None):
        self._shape = TensorShape(shape)
        self._dtype = dtypes.as_dtype(dtype)
        self._name = name

    shape = property(lambda self: self._shape)
    dtype = property(lambda self: self._dtype)
    name = property(lambda self: self._name)

    @classmethod
    def from_tensor(cls, tensor, name=None):
        return cls(tensor.shape, tensor.dtype, name if name is not None else getattr(tensor, "op", None) and
                   tensor.op.name)

    @classmethod
    def from_spec(cls, spec, name=None):
        return cls(spec.shape, spec.dtype, name or getattr(spec, "name", None))

    def is_compatible_with(self, spec_or_tensor):
        return (self._dtype.is_compatible_with(spec_or_tensor.dtype) and
                self._shape.is_compatible_with(spec_or_tensor.shape))

    def __eq__(self, other):
        return (type(self) is type(other) and self._shape == other._shape and self._dtype == other._dtype and
                self._name == other._name)

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash((self._shape, self._dtype, self._name))

    def __repr__(self):
        dims = self._shape.dims
        if dims is None:
            shape = "<unknown>"
        else:
            shape = "(%s%s)" % (", ".join(str(d) for d in dims), "," if len(dims) == 1 else "")
        return "TensorSpec(shape=%s, dtype=tf.%s, name=%r)" % (shape, self._dtype.name, self._name)


# -- ConfigProto's sub-messages (accepted, not used by metarun) -------------------------------------

class _Options(object):
    _DEFAULTS = {}

    def __init__(self, **kwargs):
        for k, v in self._DEFAULTS.items():
            setattr(self, k, v() if callable(v) else v)
        for k, v in kwargs.items():
            if k not in self._DEFAULTS:
                raise ValueError('Protocol message %s has no "%s" field.' % (type(self).__name__, k))
            setattr(self, k, v)


class OptimizerOptions(_Options):
    L1, L0 = 0, -1
    DEFAULT, OFF, ON_1, ON_2 = 0, -1, 1, 2
    _DEFAULTS = dict(do_common_subexpression_elimination=False, do_constant_folding=False,
                     max_folded_constant_in_bytes=0, do_function_inlining=False, opt_level=0,
                     global_jit_level=0, cpu_global_jit=False)


class GPUOptions(_Options):
    _DEFAULTS = dict(per_process_gpu_memory_fraction=0.0, allow_growth=False, allocator_type="",
                     deferred_deletion_bytes=0, visible_device_list="", polling_active_delay_usecs=0,
                     polling_inactive_delay_msecs=0, force_gpu_compatible=False)


class GraphOptions(_Options):
    _DEFAULTS = dict(enable_recv_scheduling=False, optimizer_options=OptimizerOptions, build_cost_model=0,
                     build_cost_model_after=0, infer_shapes=False, place_pruned_graph=False,
                     enable_bfloat16_sendrecv=False, timeline_step=0, rewrite_options=None)


# -- variable enums -------------------------------------------------------------------------------

class VariableSynchronization(enum.Enum):
    AUTO = 0
    NONE = 1
    ON_WRITE = 2
    ON_READ = 3


class VariableAggregation(enum.Enum):
    NONE = 0
    SUM = 1
    MEAN = 2
    ONLY_FIRST_REPLICA = 3
    ONLY_FIRST_TOWER = 3  # TF1's alias of ONLY_FIRST_REPLICA

    def __hash__(self):
        return hash(self.value)
