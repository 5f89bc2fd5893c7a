"""TensorProto <-> numpy, with TensorFlow's decoding rules.

A TensorProto holds either `tensor_content` (raw little-endian bytes, which
must be exactly the tensor's size) or a typed `*_val` list: no values means
zeros, fewer values than elements repeats the last one, extras are ignored.
"""

import os

import numpy as np

from metarun import errors
from metarun.framework import dtypes

# dtype enum -> the TensorProto field holding its values
_VAL_FIELD = {
    1: "float_val", 2: "double_val", 3: "int_val", 4: "int_val", 5: "int_val", 6: "int_val",
    7: "string_val", 8: "scomplex_val", 9: "int64_val", 10: "bool_val", 11: "int_val",
    12: "int_val", 13: "int_val", 14: "half_val", 15: "int_val", 16: "int_val", 17: "int_val",
    18: "dcomplex_val", 19: "half_val", 22: "uint32_val", 23: "uint64_val",
}


def shape_from_proto(shape_proto):
    """A TensorShapeProto as a list of dims (None for unknown), or None for unknown rank."""
    if shape_proto.unknown_rank:
        return None
    return [None if d.size < 0 else d.size for d in shape_proto.dim]


def make_shape_proto(dims, proto):
    """Fill a TensorShapeProto from a dims list (None entries unknown) or None."""
    proto.Clear()
    if dims is None:
        proto.unknown_rank = True
        return proto
    for d in dims:
        proto.dim.add().size = -1 if d is None else int(d)
    return proto


def _fail(message):
    return errors.InvalidArgumentError(None, None, message)


def _physical_memory():
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 1 << 62


def _element_count(shape, dtype, itemsize):
    """The element count of `shape`, computed exactly and checked before
    anything is allocated for it: a shape past 2**63 - 1 elements, or whose
    bytes exceed physical memory, cannot be parsed (InvalidArgument, as TF's
    Const says for both)."""
    if any(s < 0 for s in shape):
        raise _fail("Cannot parse tensor from proto: negative dimension in %s" % (shape,))
    n = 1
    for s in shape:
        n *= s
    if n >= 1 << 63:
        raise _fail("Cannot parse tensor from proto: shape %s would have more than 2**63 - 1 elements"
                    % (shape,))
    if n * itemsize > _physical_memory():
        raise _fail("Cannot parse tensor from proto: %s %s needs %d bytes, more than this machine's memory"
                    % (dtype.name, shape, n * itemsize))
    return n


def to_numpy(tensor_proto):
    """Decode a TensorProto into an ndarray (object array of bytes for strings)."""
    enum = tensor_proto.dtype
    dtype = dtypes.as_dtype(enum)
    shape = [d.size for d in tensor_proto.tensor_shape.dim]
    itemsize = 8 if enum == 7 else np.dtype(dtype.as_numpy_dtype).itemsize
    n = _element_count(shape, dtype, itemsize)
    if enum == 7:
        vals = list(tensor_proto.string_val)
        return _splat(vals, n, shape, object, b"")
    np_type = np.dtype(dtype.as_numpy_dtype)
    if tensor_proto.tensor_content:
        content = tensor_proto.tensor_content
        if len(content) != n * np_type.itemsize:
            raise _fail("Cannot parse tensor from proto: tensor_content holds %d bytes, %s %s needs %d"
                        % (len(content), dtype.name, shape, n * np_type.itemsize))
        return np.frombuffer(content, dtype=np_type.newbyteorder("<")).astype(np_type).reshape(shape)
    field = _VAL_FIELD.get(enum)
    if field is None:
        raise _fail("Cannot parse tensor of dtype %s from proto" % dtype.name)
    vals = getattr(tensor_proto, field)
    if enum in (8, 18):
        pairs = np.asarray(vals, dtype=np.float64).reshape(-1, 2)
        vals = pairs[:, 0] + 1j * pairs[:, 1]
    elif enum in (14, 19):
        bits = np.asarray(vals, dtype=np.int64).astype(np.uint16)
        return _splat(bits, n, shape, np.uint16, 0).view(np_type)
    elif enum in (3, 4, 5, 6, 11, 12, 13, 15, 16, 17):
        # int_val carries int32; narrower types keep the low bits (int8 300 -> 44).
        vals = np.asarray(vals, dtype=np.int64).astype(np.int32)
        return _splat(vals, n, shape, np.int32, 0).astype(np_type)
    return _splat(vals, n, shape, np_type, 0)


def _splat(vals, n, shape, np_type, zero):
    vals = np.asarray(vals, dtype=np_type) if len(vals) else np.asarray([zero], dtype=np_type)[:0]
    if len(vals) >= n:
        out = vals[:n]
    elif len(vals) == 0:
        out = np.full(n, zero, dtype=np_type)
    else:
        out = np.empty(n, dtype=np_type)
        out[:len(vals)] = vals
        out[len(vals):] = vals[-1]
    return np.array(out, dtype=np_type).reshape(shape)


def make_tensor_proto(value, dtype, proto):
    """Fill `proto` with `value` (converted to `dtype`), the way TF 2.x writes it."""
    dtype = dtypes.as_dtype(dtype).base_dtype
    proto.Clear()
    proto.dtype = dtype.as_datatype_enum
    if dtype == dtypes.string:
        arr = np.asarray(value, dtype=object)
        make_shape_proto(arr.shape, proto.tensor_shape)
        proto.string_val.extend(v if isinstance(v, bytes) else str(v).encode() for v in arr.reshape(-1))
        return proto
    arr = np.asarray(value, dtype=dtype.as_numpy_dtype)
    make_shape_proto(arr.shape, proto.tensor_shape)
    if arr.size > 1 and not any(arr.strides):
        # One value broadcast to a shape (tf.constant(0., shape=[2, 3]), tf.zeros): TF writes it once.
        arr = arr.reshape(-1)[:1]
    elif arr.size > 1 and dtype not in (dtypes.bool, dtypes.complex64, dtypes.complex128):
        proto.tensor_content = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        return proto
    flat = arr.reshape(-1)
    field = _VAL_FIELD[dtype.as_datatype_enum]
    if dtype in (dtypes.complex64, dtypes.complex128):
        getattr(proto, field).extend(float(x) for c in flat for x in (c.real, c.imag))
    elif dtype in (dtypes.float16, dtypes.bfloat16):
        proto.half_val.extend(int(b) for b in flat.view(np.uint16))
    elif dtype == dtypes.bool:
        proto.bool_val.extend(bool(b) for b in flat)
    elif field in ("float_val", "double_val"):
        getattr(proto, field).extend(float(x) for x in flat)
    else:
        getattr(proto, field).extend(int(x) for x in flat)
    return proto
