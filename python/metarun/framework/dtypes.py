"""TensorFlow data types: the DataType enum values and their numpy twins."""

import builtins

import numpy as np

# enum value -> (name, numpy dtype or a loader for it)
_BF16 = "bfloat16"  # numpy has no bfloat16: ml_dtypes supplies it on first use
_TYPES = {
    1: ("float32", np.float32), 2: ("float64", np.float64), 3: ("int32", np.int32),
    4: ("uint8", np.uint8), 5: ("int16", np.int16), 6: ("int8", np.int8),
    7: ("string", np.object_), 8: ("complex64", np.complex64), 9: ("int64", np.int64),
    10: ("bool", np.bool_), 11: ("qint8", np.int8), 12: ("quint8", np.uint8),
    13: ("qint32", np.int32), 14: ("bfloat16", _BF16), 15: ("qint16", np.int16),
    16: ("quint16", np.uint16), 17: ("uint16", np.uint16), 18: ("complex128", np.complex128),
    19: ("float16", np.float16), 20: ("resource", np.object_), 21: ("variant", np.object_),
    22: ("uint32", np.uint32), 23: ("uint64", np.uint64),
}
# TF's short names as they appear in error messages ("with dtype float").
_TF_NAMES = {1: "float", 2: "double", 19: "half"}


class DType(object):
    """A TensorFlow dtype; `_REF` variants are the enum value plus 100."""

    __slots__ = ("_enum",)

    def __init__(self, type_enum):
        type_enum = int(type_enum)
        if type_enum % 100 not in _TYPES:
            raise TypeError("Invalid type_enum %d" % type_enum)
        self._enum = type_enum

    @property
    def as_datatype_enum(self):
        return self._enum

    @property
    def is_ref_dtype(self):
        return self._enum > 100

    @property
    def base_dtype(self):
        return as_dtype(self._enum % 100)

    @property
    def _as_ref(self):
        return self if self.is_ref_dtype else as_dtype(self._enum + 100)

    @property
    def real_dtype(self):
        return {8: float32, 18: float64}.get(self._enum % 100, self.base_dtype)

    @property
    def name(self):
        base = _TYPES[self._enum % 100][0]
        return base + "_ref" if self.is_ref_dtype else base

    @property
    def as_numpy_dtype(self):
        np_type = _TYPES[self._enum % 100][1]
        if np_type is _BF16:
            import ml_dtypes
            return ml_dtypes.bfloat16
        return np_type

    @property
    def is_floating(self):
        return self.base_dtype._enum in (1, 2, 14, 19)

    @property
    def is_integer(self):
        return self.base_dtype._enum in (3, 4, 5, 6, 9, 17, 22, 23)

    @property
    def is_complex(self):
        return self.base_dtype._enum in (8, 18)

    @property
    def is_bool(self):
        return self.base_dtype._enum == 10

    @property
    def is_unsigned(self):
        return self.base_dtype._enum in (4, 17, 22, 23)

    @property
    def is_numpy_compatible(self):
        return self.base_dtype._enum not in (20, 21)

    @property
    def size(self):
        if self.base_dtype._enum in (7, 20, 21):
            return 1
        return np.dtype(self.as_numpy_dtype).itemsize

    @property
    def min(self):
        return _limits(self, "min")

    @property
    def max(self):
        return _limits(self, "max")

    def _tf_name(self):
        return _TF_NAMES.get(self._enum % 100, _TYPES[self._enum % 100][0])

    def is_compatible_with(self, other):
        other = as_dtype(other)
        return self._enum == other._enum or self.base_dtype._enum == other.base_dtype._enum

    def __eq__(self, other):
        if other is None:
            return False
        try:
            return self._enum == as_dtype(other)._enum
        except TypeError:
            return False

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return self._enum

    def __reduce__(self):
        return as_dtype, (self.name,)

    def __repr__(self):
        return "tf." + self.name

    def __str__(self):
        return "<dtype: %r>" % self.name


def _limits(dtype, which):
    np_type = np.dtype(dtype.as_numpy_dtype)
    info = np.finfo(np_type) if np_type.kind == "f" else np.iinfo(np_type)
    return getattr(info, which)


_BY_ENUM = {}
for _e in _TYPES:
    _BY_ENUM[_e] = DType(_e)
    _BY_ENUM[_e + 100] = DType(_e + 100)
_BY_NAME = {d.name: d for d in _BY_ENUM.values()}
_BY_NAME.update({"float": _BY_ENUM[1], "double": _BY_ENUM[2], "half": _BY_ENUM[19]})
_BY_NUMPY = {}
for _e in (1, 2, 3, 4, 5, 6, 8, 9, 10, 17, 18, 19, 22, 23):
    _BY_NUMPY[np.dtype(_TYPES[_e][1])] = _BY_ENUM[_e]


def as_dtype(type_value):
    """Convert an enum value, name, numpy dtype or DType to a DType."""
    if isinstance(type_value, DType):
        return type_value
    if isinstance(type_value, (int, np.integer)) and not isinstance(type_value, builtins.bool):
        if int(type_value) in _BY_ENUM:
            return _BY_ENUM[int(type_value)]
        raise TypeError("Cannot convert value %r to a TensorFlow DType." % (type_value,))
    if isinstance(type_value, str):
        if type_value in _BY_NAME:
            return _BY_NAME[type_value]
        raise TypeError("Cannot convert value %r to a TensorFlow DType." % (type_value,))
    if type_value in (bytes, str, object):
        return string
    try:
        np_type = np.dtype(type_value)
    except TypeError:
        raise TypeError("Cannot convert value %r to a TensorFlow DType." % (type_value,)) from None
    if np_type in _BY_NUMPY:
        return _BY_NUMPY[np_type]
    if np_type.name == "bfloat16":
        return bfloat16
    if np_type.kind in "SUO":
        return string
    raise TypeError("Cannot convert value %r to a TensorFlow DType." % (type_value,))


float32 = _BY_ENUM[1]
float64 = _BY_ENUM[2]
double = float64
int32 = _BY_ENUM[3]
uint8 = _BY_ENUM[4]
int16 = _BY_ENUM[5]
int8 = _BY_ENUM[6]
string = _BY_ENUM[7]
complex64 = _BY_ENUM[8]
int64 = _BY_ENUM[9]
bool = _BY_ENUM[10]  # noqa: A001 -- TensorFlow's public name
qint8 = _BY_ENUM[11]
quint8 = _BY_ENUM[12]
qint32 = _BY_ENUM[13]
bfloat16 = _BY_ENUM[14]
qint16 = _BY_ENUM[15]
quint16 = _BY_ENUM[16]
uint16 = _BY_ENUM[17]
complex128 = _BY_ENUM[18]
float16 = _BY_ENUM[19]
half = float16
resource = _BY_ENUM[20]
variant = _BY_ENUM[21]
uint32 = _BY_ENUM[22]
uint64 = _BY_ENUM[23]
