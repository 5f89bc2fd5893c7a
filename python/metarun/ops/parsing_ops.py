"""tf.io.parse_example / parse_single_example and their feature configurations, building the
ParseExampleV2 node TF 2.21 builds in graph mode (features in sorted key order, dense defaults
named `key_<k>`/`padding_<k>`, FixedLenSequenceFeature shapes with a leading unknown dim).

Dense features (FixedLenFeature, FixedLenSequenceFeature) come back as Tensors. VarLenFeature and
SparseFeature (whose results are SparseTensors) wait for sparse tensors in metarun; imported graphs
that parse them run (the op's sparse outputs are plain tensors).
"""
import collections
import re

import numpy as np

from metarun.framework import dtypes
from metarun.framework.op_builder import apply_op, constant, convert_to_tensor
from metarun.framework import shape_inference as si
from metarun.framework.tensor_shape import TensorShape, as_shape
from metarun.ops.scopes import name_scope


class FixedLenFeature(collections.namedtuple("FixedLenFeature", ["shape", "dtype", "default_value"])):
    """A fixed-length feature, parsed into a Tensor of `shape`."""

    def __new__(cls, shape, dtype, default_value=None):
        return super(FixedLenFeature, cls).__new__(cls, shape, dtype, default_value)


class FixedLenSequenceFeature(collections.namedtuple(
        "FixedLenSequenceFeature", ["shape", "dtype", "allow_missing", "default_value"])):
    """A variable number of `shape`-sized blocks, parsed into a Tensor of [None] + shape (padded
    with `default_value` across a batch)."""

    def __new__(cls, shape, dtype, allow_missing=False, default_value=None):
        return super(FixedLenSequenceFeature, cls).__new__(cls, shape, dtype, allow_missing, default_value)


_KEY_CHARS = re.compile("[^A-Za-z0-9_.\\-/]")


def _prepend_none_dimension(features):
    out = dict(features)
    for key, feature in features.items():
        if isinstance(feature, FixedLenSequenceFeature):
            if not feature.allow_missing:
                raise ValueError("Unsupported: FixedLenSequenceFeature requires allow_missing to be True.")
            out[key] = FixedLenSequenceFeature([None] + list(feature.shape), feature.dtype, feature.allow_missing,
                                               feature.default_value)
    return out


class _Params(object):
    """The ParseExampleV2 attrs and inputs for a feature dict (TF's _ParseOpParams)."""

    def __init__(self, features):
        self.dense_keys, self.dense_types, self.dense_shapes, self.dense_defaults = [], [], [], {}
        for key in sorted(features):
            feature = features[key]
            if not isinstance(feature, (FixedLenFeature, FixedLenSequenceFeature)):
                raise ValueError("Unsupported %s %s for key '%s'" % (type(feature).__name__, feature, key))
            if not feature.dtype:
                raise ValueError("Missing type for feature %s. Received feature=%s." % (key, feature))
            if feature.shape is None:
                raise ValueError("Missing shape for feature %s. Received feature=%s." % (key, feature))
            shape = as_shape(feature.shape)
            if isinstance(feature, FixedLenFeature):
                if feature.shape and shape.ndims and shape.dims[0] is None:
                    raise ValueError("First dimension of shape for feature %s unknown. Consider using "
                                     "FixedLenSequenceFeature. Received feature=%s." % (key, feature))
                if not shape.is_fully_defined():
                    raise ValueError("All dimensions of shape for feature %s need to be known but received %s."
                                     % (key, feature.shape))
                self.dense_defaults[key] = feature.default_value
            else:
                if feature.allow_missing:
                    self.dense_defaults[key] = None
                if feature.default_value is not None:
                    self.dense_defaults[key] = feature.default_value
            self.dense_keys.append(key)
            self.dense_shapes.append(shape)
            self.dense_types.append(dtypes.as_dtype(feature.dtype))
        if not self.dense_keys:
            raise ValueError("Must provide at least one feature key.")

    def dense_default(self, key, shape, dtype):
        value = self.dense_defaults.get(key)
        if shape.ndims is not None and shape.ndims > 0 and shape.dims[0] is None:
            if value is None:
                return convert_to_tensor("" if dtype == dtypes.string else 0, dtype=dtype)
            from metarun.ops import array_ops
            value = convert_to_tensor(value, dtype=dtype, name="padding_" + _KEY_CHARS.sub("_", key))
            return array_ops.reshape(value, [])
        if value is None:
            return constant([], dtype=dtype)
        if not hasattr(value, "op"):
            from metarun.ops import array_ops
            value = convert_to_tensor(value, dtype=dtype, name="key_" + _KEY_CHARS.sub("_", key))
            # TF reshapes to the TensorShape, converted straight to int32 (a Python list would go
            # through float32 first when empty)
            return array_ops.reshape(value, np.array(shape.as_list(), np.int32))
        return value


def parse_example(serialized, features, name=None, example_names=None):
    """tf.io.parse_example: a dict of the features' Tensors, with the batch dimension of
    `serialized` (a scalar parses one example, as parse_single_example does)."""
    if not features:
        raise ValueError("Argument `features` cannot be None or falsy. Got %s" % features)
    params = _Params(_prepend_none_dimension(features))
    with name_scope(name, "ParseExample", [serialized, example_names]):
        names = [] if example_names is None else example_names
        serialized = convert_to_tensor(serialized, name="serialized")
        outputs = apply_op(
            "ParseExampleV2", serialized=serialized, names=names, sparse_keys=[], dense_keys=params.dense_keys,
            ragged_keys=[], dense_defaults=[params.dense_default(k, s, t) for k, s, t in
                                            zip(params.dense_keys, params.dense_shapes, params.dense_types)],
            num_sparse=0, sparse_types=[], ragged_value_types=[], ragged_split_types=[],
            dense_shapes=params.dense_shapes, name=name)
    # outputs: one list per list-valued output (sparse indices, values and shapes, dense values, ragged ...)
    return dict(zip(params.dense_keys, outputs[3]))


def parse_single_example(serialized, features, name=None, example_names=None):
    """tf.io.parse_single_example: parse_example of one (scalar) serialized Example."""
    if features is None:
        raise ValueError("Invalid argument: features cannot be None.")
    if not features:
        raise ValueError("Invalid argument: features cannot be empty.")
    with name_scope(name, "ParseSingleExample", [serialized, example_names]):
        serialized = convert_to_tensor(serialized, name="serialized")
        rank = serialized.shape.ndims
        if rank is not None and rank != 0:
            raise ValueError("Input serialized must be a scalar")
        if rank is None:
            raise NotImplementedError("parse_single_example of a tensor of unknown rank: feed a scalar")
        return parse_example(serialized, features, name, example_names)


def decode_raw(input_bytes=None, out_type=None, little_endian=True, name=None, bytes=None):  # noqa: A002
    """tf.decode_raw / tf.io.decode_raw (TF1's): each string's bytes as a vector of `out_type`."""
    if input_bytes is None:
        input_bytes = bytes
    elif bytes is not None:
        raise ValueError("Cannot specify both 'input_bytes' and 'bytes'")
    if out_type is None:
        raise TypeError("decode_raw_v1() missing 1 positional argument: 'out_type'")
    return apply_op("DecodeRaw", bytes=input_bytes, out_type=dtypes.as_dtype(out_type),
                    little_endian=little_endian, name=name)


# -- static shapes (as TF's shape functions give them) ---------------------------------------------

def _parse_shapes(op, batch):
    """Output shapes of a parse op whose examples have batch dims `batch` (a list, or None
    when unknown): sparse indices/values/shapes, then dense values, then ragged outputs."""
    def attr(name, default):
        try:
            return op.get_attr(name)
        except (ValueError, KeyError):
            return default
    num_sparse = attr("num_sparse", attr("Nsparse", 0))
    dense_shapes = [TensorShape(s) for s in attr("dense_shapes", [])]
    num_ragged = len(attr("ragged_value_types", []))
    rank = None if batch is None else len(batch)
    sparse = ([TensorShape([None, None if rank is None else rank + 1])] * num_sparse +
              [TensorShape([None])] * num_sparse +
              [TensorShape([None if rank is None else rank + 1])] * num_sparse)
    dense = []
    for shape in dense_shapes:
        dims = shape.dims
        if batch is None or dims is None:
            dense.append(TensorShape(None))
        else:
            dense.append(TensorShape(batch + dims))
    return sparse + dense + [TensorShape([None])] * (2 * num_ragged)


@si.register("ParseExampleV2")
def _parse_example_v2_shape(op):
    serialized = op.inputs[0].shape
    return _parse_shapes(op, serialized.dims)


@si.register("ParseExample")
def _parse_example_shape(op):
    serialized = op.inputs[0].shape
    return _parse_shapes(op, serialized.dims if serialized.ndims == 1 else [None])


@si.register("ParseSingleExample")
def _parse_single_example_shape(op):
    return _parse_shapes(op, [])


@si.register("DecodeRaw")
def _decode_raw_shape(op):
    shape = op.inputs[0].shape
    return [TensorShape(None if shape.dims is None else shape.dims + [None])]
