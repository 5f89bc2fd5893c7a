"""tf.io.parse_example / parse_single_example / parse_sequence_example /
parse_single_sequence_example and their feature configurations, building the ParseExampleV2 and
ParseSequenceExampleV2 nodes TF 2.21 builds in graph mode (features in sorted key order, dense
defaults named `key_<k>`/`padding_<k>`, FixedLenSequenceFeature shapes with a leading unknown
dim); the decoders tf.io.decode_csv, decode_compressed, decode_json_example, serialize_tensor and
parse_tensor, decode_raw.

Dense features come back as Tensors, VarLenFeatures as SparseTensors, SparseFeatures as the
SparseTensor TF's sparse_merge builds from their index and value features. RaggedFeature is not
supported: metarun has no RaggedTensor.
"""
import collections
import re

import numpy as np

from metarun.framework import dtypes
from metarun.framework.op_builder import apply_op, constant, convert_to_tensor
from metarun.framework import shape_inference as si
from metarun.framework.sparse_tensor import SparseTensor
from metarun.framework.tensor_shape import TensorShape, as_shape
from metarun.ops.scopes import name_scope


class VarLenFeature(collections.namedtuple("VarLenFeature", ["dtype"])):
    """A variable-length feature, parsed into a SparseTensor."""


class SparseFeature(collections.namedtuple("SparseFeature",
                                           ["index_key", "value_key", "dtype", "size", "already_sorted"])):
    """A SparseTensor of `dtype` whose values come from feature `value_key` and whose indices
    from the int64 feature(s) `index_key`, in a dense shape of `size` (one per index key)."""

    def __new__(cls, index_key, value_key, dtype, size, already_sorted=False):
        return super(SparseFeature, cls).__new__(cls, index_key, value_key, dtype, size, already_sorted)


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
    """The parse ops' attrs and inputs for a feature dict (TF's _ParseOpParams): `types` are the
    feature classes allowed."""

    def __init__(self, features, types):
        self.sparse_keys, self.sparse_types = [], []
        self.dense_keys, self.dense_types, self.dense_shapes, self.dense_defaults = [], [], [], {}
        for key in sorted(features or {}):
            feature = features[key]
            if not isinstance(feature, tuple(types)):
                raise ValueError("Unsupported %s %s for key '%s'" % (type(feature).__name__, feature, key))
            if isinstance(feature, VarLenFeature):
                self._add_varlen(key, feature)
            elif isinstance(feature, SparseFeature):
                self._add_sparse_feature(key, feature)
            else:
                self._add_dense(key, feature)
        dense, sparse = set(self.dense_keys), set(self.sparse_keys)
        if not dense.isdisjoint(sparse):
            raise ValueError("Dense and sparse keys must not intersect; dense_keys: %s, sparse_keys: %s, "
                             "intersection: %s" % (self.dense_keys, self.sparse_keys, dense & sparse))

    @property
    def num_features(self):
        return len(self.dense_keys) + len(self.sparse_keys)

    def _add_varlen(self, key, feature):
        if not feature.dtype:
            raise ValueError("Missing type for feature %s. Received feature=%s" % (key, feature))
        self._add_sparse_key(key, feature.dtype)

    def _add_sparse_feature(self, key, feature):
        if not feature.index_key:
            raise ValueError("Missing index_key for SparseFeature %s." % (feature,))
        if not feature.value_key:
            raise ValueError("Missing value_key for SparseFeature %s." % (feature,))
        if not feature.dtype:
            raise ValueError("Missing type for feature %s. Received feature=%s." % (key, feature))
        index_keys = [feature.index_key] if isinstance(feature.index_key, str) else feature.index_key
        for index_key in sorted(index_keys):
            self._add_sparse_key(index_key, dtypes.int64)
        self._add_sparse_key(feature.value_key, feature.dtype)

    def _add_sparse_key(self, key, dtype):
        dtype = dtypes.as_dtype(dtype)
        if key in self.sparse_keys:
            original = self.sparse_types[self.sparse_keys.index(key)]
            if original != dtype:
                raise ValueError("Conflicting type %s vs %s for feature %s." % (original, dtype, key))
            return
        self.sparse_keys.append(key)
        self.sparse_types.append(dtype)

    def _add_dense(self, key, feature):
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
            if feature.default_value is not None:
                self.dense_defaults[key] = feature.default_value
        else:
            if feature.allow_missing:
                self.dense_defaults[key] = None
            if feature.default_value is not None:
                self.dense_defaults[key] = feature.default_value
        self.dense_keys.append(key)
        self.dense_shapes.append(shape)
        self.dense_types.append(dtypes.as_dtype(feature.dtype))

    def dense_defaults_vec(self):
        return [self.dense_default(k, s, t) for k, s, t in zip(self.dense_keys, self.dense_shapes, self.dense_types)]

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


def _sparse_tensors(indices, values, shapes):
    return [SparseTensor(ix, val, shape) for ix, val, shape in zip(indices, values, shapes)]


def _construct_sparse_features(features, tensor_dict):
    """`tensor_dict` with each SparseFeature's SparseTensor merged from its index and value
    features (TF's _construct_tensors_for_composite_features), the features only parsed for
    them left out."""
    tensor_dict = dict(tensor_dict)
    updates = {}
    for key in sorted(features):
        feature = features[key]
        if isinstance(feature, SparseFeature):
            from metarun.ops import sparse_ops
            if isinstance(feature.index_key, str):
                sp_ids = tensor_dict[feature.index_key]
            else:
                sp_ids = [tensor_dict[index_key] for index_key in feature.index_key]
            updates[key] = sparse_ops.sparse_merge(sp_ids, tensor_dict[feature.value_key], vocab_size=feature.size,
                                                   already_sorted=feature.already_sorted)
    tensor_dict.update(updates)
    for key in set(tensor_dict) - set(features):
        del tensor_dict[key]
    return tensor_dict


def parse_example(serialized, features, name=None, example_names=None):
    """tf.io.parse_example: a dict of the features' Tensors (SparseTensors for VarLenFeatures and
    SparseFeatures), with the batch dimension of `serialized` (a scalar parses one example, as
    parse_single_example does)."""
    if not features:
        raise ValueError("Argument `features` cannot be None or falsy. Got %s" % features)
    features = _prepend_none_dimension(features)
    params = _Params(features, [VarLenFeature, SparseFeature, FixedLenFeature, FixedLenSequenceFeature])
    if params.num_features == 0:
        raise ValueError("Must provide at least one feature key.")
    with name_scope(name, "ParseExample", [serialized, example_names]):
        names = [] if example_names is None else example_names
        serialized = convert_to_tensor(serialized, name="serialized")
        outputs = apply_op(
            "ParseExampleV2", serialized=serialized, names=names, sparse_keys=params.sparse_keys,
            dense_keys=params.dense_keys, ragged_keys=[], dense_defaults=params.dense_defaults_vec(),
            num_sparse=len(params.sparse_keys), sparse_types=params.sparse_types, ragged_value_types=[],
            ragged_split_types=[], dense_shapes=params.dense_shapes, name=name)
    # outputs: one list per list-valued output (sparse indices, values and shapes, dense values, ragged ...)
    sparse = _sparse_tensors(outputs[0], outputs[1], outputs[2])
    return _construct_sparse_features(
        features, dict(zip(params.sparse_keys + params.dense_keys, sparse + list(outputs[3]))))


def parse_single_example(serialized, features, name=None, example_names=None):
    """tf.io.parse_single_example: parse_example of one (scalar) serialized Example."""
    if features is None:
        raise ValueError("Invalid argument: features cannot be None.")
    if not features:
        raise ValueError("Invalid argument: features cannot be empty.")
    with name_scope(name, "ParseSingleExample", [serialized, example_names]):
        serialized = convert_to_tensor(serialized, name="serialized")
        _check_scalar(serialized)
        return parse_example(serialized, features, name, example_names)


def _check_scalar(serialized):
    rank = serialized.shape.ndims
    if rank is not None and rank != 0:
        raise ValueError("Input serialized must be a scalar")
    if rank is None:
        raise NotImplementedError("parsing a tensor of unknown rank as one example: feed a scalar")


def _sequence_params(context_features, sequence_features):
    return (_Params(context_features, [VarLenFeature, FixedLenFeature]),
            _Params(sequence_features, [VarLenFeature, FixedLenSequenceFeature]))


def _parse_sequence_example_raw(serialized, debug_name, context, feature_list, name=None):
    if context.num_features + feature_list.num_features == 0:
        raise ValueError("Must provide at least one feature key.")
    with name_scope(name, "ParseSequenceExample", [serialized]):
        debug_name = [] if debug_name is None else debug_name
        assumed_empty = []
        for k, v in feature_list.dense_defaults.items():
            if v is not None:
                raise ValueError("Value feature_list.dense_defaults[%s] must be None" % k)
            assumed_empty.append(k)
        serialized = convert_to_tensor(serialized, name="serialized")
        outputs = apply_op(
            "ParseSequenceExampleV2", serialized=serialized, debug_name=debug_name,
            context_sparse_keys=context.sparse_keys, context_dense_keys=context.dense_keys,
            context_ragged_keys=[], feature_list_sparse_keys=feature_list.sparse_keys,
            feature_list_dense_keys=feature_list.dense_keys, feature_list_ragged_keys=[],
            feature_list_dense_missing_assumed_empty=[k in assumed_empty for k in feature_list.dense_keys],
            context_dense_defaults=context.dense_defaults_vec(), Ncontext_sparse=len(context.sparse_keys),
            Nfeature_list_sparse=len(feature_list.sparse_keys), Nfeature_list_dense=len(feature_list.dense_keys),
            context_sparse_types=context.sparse_types, context_ragged_value_types=[],
            context_ragged_split_types=[], feature_list_dense_types=feature_list.dense_types,
            feature_list_sparse_types=feature_list.sparse_types, feature_list_ragged_value_types=[],
            feature_list_ragged_split_types=[], context_dense_shapes=context.dense_shapes,
            feature_list_dense_shapes=feature_list.dense_shapes, name=name)
        (c_ix, c_val, c_shape, c_dense, _, _, f_ix, f_val, f_shape, f_dense, f_lengths, _, _, _) = outputs
        context_output = dict(zip(context.sparse_keys + context.dense_keys,
                                  _sparse_tensors(c_ix, c_val, c_shape) + list(c_dense)))
        feature_list_output = dict(zip(feature_list.sparse_keys + feature_list.dense_keys,
                                       _sparse_tensors(f_ix, f_val, f_shape) + list(f_dense)))
        lengths = dict(zip(feature_list.dense_keys, f_lengths))
        return context_output, feature_list_output, lengths


def parse_sequence_example(serialized, context_features=None, sequence_features=None, example_names=None,
                           name=None):
    """tf.io.parse_sequence_example: (context dict, feature list dict, lengths of the dense
    feature lists) for a batch of serialized SequenceExamples."""
    if not (context_features or sequence_features):
        raise ValueError("Both `context_features` and `sequence_features` argument are None, but at least one "
                         "should have values.")
    context, feature_list = _sequence_params(context_features, sequence_features)
    with name_scope(name, "ParseSequenceExample", [serialized, example_names]):
        return _parse_sequence_example_raw(serialized, example_names, context, feature_list, name)


def parse_single_sequence_example(serialized, context_features=None, sequence_features=None,
                                  example_name=None, name=None):
    """tf.io.parse_single_sequence_example: (context dict, feature list dict) of one
    serialized SequenceExample."""
    if not (context_features or sequence_features):
        raise ValueError("Both context_features and sequence_features are None, but at least one should have "
                         "values.")
    context, feature_list = _sequence_params(context_features, sequence_features)
    with name_scope(name, "ParseSingleSequenceExample", [serialized, example_name]):
        with name_scope(name, "ParseSingleExample", [serialized, example_name]):
            serialized = convert_to_tensor(serialized, name="serialized")
            _check_scalar(serialized)
        return _parse_sequence_example_raw(serialized, example_name, context, feature_list, name)[:2]


def decode_csv(records, record_defaults, field_delim=",", use_quote_delim=True, name=None, na_value="",
               select_cols=None):
    """tf.io.decode_csv (TF1's argument order): one Tensor per column, each of its default's
    type and the records' shape."""
    if select_cols is not None and any(select_cols[i] >= select_cols[i + 1] for i in range(len(select_cols) - 1)):
        raise ValueError("select_cols is not strictly increasing.")
    if select_cols is not None and select_cols[0] < 0:
        raise ValueError("select_cols contains negative values.")
    if select_cols is not None and len(select_cols) != len(record_defaults):
        raise ValueError("Length of select_cols and record_defaults do not match.")
    return apply_op("DecodeCSV", records=records, record_defaults=record_defaults, field_delim=field_delim,
                    use_quote_delim=use_quote_delim, na_value=na_value, name=name,
                    select_cols=[] if select_cols is None else select_cols)


def decode_compressed(bytes, compression_type="", name=None):  # noqa: A002 -- TF's argument name
    """tf.io.decode_compressed: each string inflated ("ZLIB", "GZIP"; "" leaves it as it is)."""
    return apply_op("DecodeCompressed", bytes=bytes, compression_type=compression_type, name=name)


def decode_json_example(json_examples, name=None):
    """tf.io.decode_json_example: JSON-mapped tf.train.Examples as binary Examples."""
    return apply_op("DecodeJSONExample", json_examples=json_examples, name=name)


def serialize_tensor(tensor, name=None):
    """tf.io.serialize_tensor: the tensor as a serialized TensorProto."""
    return apply_op("SerializeTensor", tensor=tensor, name=name)


_DecodeProtoOutput = collections.namedtuple("DecodeProtoV2", ["sizes", "values"])


def decode_proto(bytes, message_type, field_names, output_types, descriptor_source="local://",  # noqa: A002
                 message_format="binary", sanitize=False, name=None):
    """tf.io.decode_proto: (sizes, values) of the named fields of serialized `message_type`s."""
    sizes, values = apply_op("DecodeProtoV2", bytes=bytes, message_type=message_type, field_names=field_names,
                             output_types=[dtypes.as_dtype(t) for t in output_types],
                             descriptor_source=descriptor_source, message_format=message_format, sanitize=sanitize,
                             name=name)
    return _DecodeProtoOutput(sizes, list(values))


def encode_proto(sizes, values, field_names, message_type, descriptor_source="local://", name=None):
    """tf.io.encode_proto: `message_type`s serialized from the fields' values and counts."""
    return apply_op("EncodeProto", sizes=sizes, values=values, field_names=field_names, message_type=message_type,
                    descriptor_source=descriptor_source, name=name)


def parse_tensor(serialized, out_type, name=None):
    """tf.io.parse_tensor: the tensor a serialized TensorProto holds (of `out_type`)."""
    return apply_op("ParseTensor", serialized=serialized, out_type=dtypes.as_dtype(out_type), name=name)


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


def _attr(op, name, default):
    try:
        return op.get_attr(name)
    except (ValueError, KeyError):
        return default


@si.register("ParseSequenceExampleV2", "ParseSequenceExample", "ParseSingleSequenceExample")
def _parse_sequence_example_shape(op):
    serialized = op.inputs[0].shape
    if op.type == "ParseSingleSequenceExample":
        batch = []
    elif op.type == "ParseSequenceExample":
        batch = serialized.dims if serialized.ndims == 1 else [None]
    else:
        batch = serialized.dims
    rank = None if batch is None else len(batch)

    def sparse(count, extra):
        r = None if rank is None else rank + extra
        return ([TensorShape([None, r])] * count + [TensorShape([None])] * count + [TensorShape([r])] * count)

    def dense(shapes, lead):
        return [TensorShape(None) if batch is None or s.dims is None else TensorShape(batch + lead + s.dims)
                for s in shapes]

    context_shapes = [TensorShape(s) for s in _attr(op, "context_dense_shapes", [])]
    list_shapes = [TensorShape(s) for s in _attr(op, "feature_list_dense_shapes", [])]
    out = sparse(_attr(op, "Ncontext_sparse", 0), 1) + dense(context_shapes, [])
    if op.type == "ParseSequenceExampleV2":
        out += [TensorShape([None])] * (2 * len(_attr(op, "context_ragged_value_types", [])))
    out += sparse(_attr(op, "Nfeature_list_sparse", 0), 2) + dense(list_shapes, [None])
    if op.type != "ParseSingleSequenceExample":
        out += [TensorShape(batch)] * len(list_shapes)
    if op.type == "ParseSequenceExampleV2":
        out += [TensorShape([None])] * (3 * len(_attr(op, "feature_list_ragged_value_types", [])))
    return out


@si.register("DecodeCSV")
def _decode_csv_shape(op):
    return [op.inputs[0].shape] * len(op.outputs)


@si.register("DecodeCompressed", "DecodeJSONExample")
def _same_shape(op):
    return [op.inputs[0].shape]


@si.register("DecodeProtoV2")
def _decode_proto_shape(op):
    shape = op.inputs[0].shape
    n = len(op.get_attr("field_names"))
    if shape.dims is None:
        return [TensorShape(None)] * (1 + len(op.outputs) - 1)
    return [TensorShape(shape.dims + [n])] + [TensorShape(shape.dims + [None])] * (len(op.outputs) - 1)


@si.register("EncodeProto")
def _encode_proto_shape(op):
    shape = op.inputs[0].shape
    return [TensorShape(None if shape.dims is None else shape.dims[:-1])]


@si.register("SerializeTensor")
def _serialize_tensor_shape(op):
    return [TensorShape([])]


@si.register("ParseTensor")
def _parse_tensor_shape(op):
    return [TensorShape(None)]


@si.register("DecodePaddedRaw")
def _decode_padded_raw_shape(op):
    shape = op.inputs[0].shape
    length = si.constant_value(op.inputs[1])
    size = dtypes.as_dtype(op.get_attr("out_type")).size
    last = None if length is None else int(length) // size
    return [TensorShape(None if shape.dims is None else shape.dims + [last])]
