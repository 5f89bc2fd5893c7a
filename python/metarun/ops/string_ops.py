"""tf.strings and the string functions of tf.compat.v1 (tf.string_split, tf.substr, tf.reduce_join,
tf.regex_replace, ...), building the nodes TF 2.21's graph-mode wrappers build, with the shape
functions and gradient registrations of the string ops.

TF returns RaggedTensors from unicode_decode(_with_offsets), unicode_split(_with_offsets),
bytes_split, ngrams and split(result_type="RaggedTensor"); metarun has no RaggedTensor, so those
are left out (their kernels run in imported graphs), and split of an input of rank above 1 (which
TF builds through a RaggedTensor) raises NotImplementedError.
"""
import numpy as np

from metarun.framework import dtypes
from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op, constant, convert_to_tensor
from metarun.framework.sparse_tensor import SparseTensor
from metarun.framework.tensor_shape import TensorShape
from metarun.ops.gradients_impl import NotDifferentiable
from metarun.ops.scopes import name_scope

_TEXT = (str, bytes)


def regex_full_match(input, pattern, name=None):  # noqa: A002 -- TF's argument names
    """Whether each string matches `pattern` entirely (RE2 syntax): StaticRegexFullMatch for a Python
    pattern, RegexFullMatch for a tensor."""
    if isinstance(pattern, _TEXT):
        return apply_op("StaticRegexFullMatch", input=input, pattern=pattern, name=name)
    return apply_op("RegexFullMatch", input=input, pattern=pattern, name=name)


def regex_replace(input, pattern, rewrite, replace_global=True, name=None):  # noqa: A002
    """Replaces matches of `pattern` by `rewrite` (\\0..\\9 name groups)."""
    if isinstance(pattern, _TEXT) and isinstance(rewrite, _TEXT):
        return apply_op("StaticRegexReplace", input=input, pattern=pattern, rewrite=rewrite,
                        replace_global=replace_global, name=name)
    return apply_op("RegexReplace", input=input, pattern=pattern, rewrite=rewrite, replace_global=replace_global,
                    name=name)


def string_format(template, inputs, placeholder="{}", summarize=3, name=None):
    """tf.strings.format: `template` with each placeholder replaced by a tensor's summary."""
    from metarun.framework.graph import Tensor
    if isinstance(inputs, Tensor):
        inputs = [inputs]
    if template.count(placeholder) != len(inputs):
        raise ValueError(f"The template expects {template.count(placeholder)} tensors, but the inputs only has "
                         f"{len(inputs)}. Please ensure the number of placeholders in template matches inputs "
                         "length.")
    return apply_op("StringFormat", inputs=list(inputs), template=template, placeholder=placeholder,
                    summarize=summarize, name=name)


def _sparse_split(op_type, source, sep_name, sep, attr):
    sep = convert_to_tensor(sep, dtype=dtypes.string)
    source = convert_to_tensor(source, dtype=dtypes.string)
    indices, values, shape = apply_op(op_type, input=source, **{sep_name: sep}, **attr)
    indices.set_shape([None, 2])
    values.set_shape([None])
    shape.set_shape([2])
    return SparseTensor(indices, values, shape)


def _result_type(result_type):
    if result_type == "RaggedTensor":
        raise NotImplementedError("result_type='RaggedTensor': metarun has no RaggedTensor; use 'SparseTensor'")
    if result_type != "SparseTensor":
        raise ValueError("result_type must be 'RaggedTensor' or 'SparseTensor'.")


def _lookup(new_name, new_value, old_name, old_value):
    if new_value is not None and old_value is not None:
        raise ValueError("Cannot specify both '%s' and '%s'" % (old_name, new_name))
    return new_value if new_value is not None else old_value


def string_split(source, sep=None, skip_empty=True, delimiter=None, result_type="SparseTensor", name=None):
    """tf.string_split (TF1): each string of a vector split at any byte of `sep` (default " "), as a
    SparseTensor [rows, longest row]."""
    with name_scope(name, "StringSplit", [source]):
        delimiter = _lookup("sep", sep, "delimiter", delimiter)
        if delimiter is None:
            delimiter = " "
        sparse = _sparse_split("StringSplit", source, "delimiter", delimiter, {"skip_empty": skip_empty})
        _result_type(result_type)
        return sparse


def strings_split_v1(input=None, sep=None, maxsplit=-1, result_type="SparseTensor", source=None,  # noqa: A002
                     name=None):
    """tf.strings.split (TF1): each string split on the whole `sep` (or on runs of whitespace), as a
    SparseTensor; a scalar counts as a vector of one."""
    input = _lookup("input", input, "source", source)  # noqa: A001
    with name_scope(name, "StringSplit", [input]):
        input = convert_to_tensor(input, dtype=dtypes.string, name="input")  # noqa: A001
        if input.shape.ndims == 0:
            from metarun.ops.array_ops import expand_dims
            input = expand_dims(input, 0)  # noqa: A001
        _result_type(result_type)
        if input.shape.ndims != 1:
            raise NotImplementedError("tf.strings.split of a tensor of rank other than 1 goes through a "
                                      "RaggedTensor in TF, which metarun does not have")
        return _sparse_split("StringSplitV2", input, "sep", "" if sep is None else sep, {"maxsplit": maxsplit})


def _reduction_dims(x, axis):
    if axis is not None:
        return axis
    if x.shape.ndims is not None:
        return constant(np.arange(x.shape.ndims - 1, -1, -1), dtype=dtypes.int32)
    from metarun.ops.array_ops import rank
    from metarun.ops.math_ops import range as range_
    return range_(rank(x) - 1, -1, -1)


def reduce_join(inputs, axis=None, keep_dims=None, separator="", name=None, reduction_indices=None, keepdims=None):
    """Joins strings along `axis` (all axes by default)."""
    keepdims = _lookup("keepdims", keepdims, "keep_dims", keep_dims)
    axis = _lookup("axis", axis, "reduction_indices", reduction_indices)
    with name_scope(None, "ReduceJoin", [inputs, axis]):
        inputs_t = convert_to_tensor(inputs)
        axis = _reduction_dims(inputs_t, axis)
        return apply_op("ReduceJoin", inputs=inputs_t, reduction_indices=axis, keep_dims=bool(keepdims),
                        separator=separator, name=name)


def string_length(input, name=None, unit="BYTE"):  # noqa: A002
    return apply_op("StringLength", input=input, unit=unit, name=name)


def substr(input, pos, len, name=None, unit="BYTE"):  # noqa: A002
    """Substrings at `pos` of length `len` (bytes or UTF-8 characters), broadcasting pos/len."""
    return apply_op("Substr", input=input, pos=pos, len=len, unit=unit, name=name)


def string_to_number(string_tensor=None, out_type=dtypes.float32, name=None, input=None):  # noqa: A002
    string_tensor = _lookup("input", input, "string_tensor", string_tensor)
    return apply_op("StringToNumber", string_tensor=string_tensor, out_type=dtypes.as_dtype(out_type), name=name)


def string_to_hash_bucket(string_tensor=None, num_buckets=None, name=None, input=None):  # noqa: A002
    """TF's Hash64 of each string modulo `num_buckets`."""
    string_tensor = _lookup("input", input, "string_tensor", string_tensor)
    return apply_op("StringToHashBucket", string_tensor=string_tensor, num_buckets=num_buckets, name=name)


def string_to_hash_bucket_strong(input, num_buckets, key, name=None):  # noqa: A002
    """SipHash-2-4 keyed by `key` (two integers) of each string, modulo `num_buckets`."""
    return apply_op("StringToHashBucketStrong", input=input, num_buckets=num_buckets, key=list(key), name=name)


def string_join(inputs, separator="", name=None):
    return apply_op("StringJoin", inputs=list(inputs), separator=separator, name=name)


def unsorted_segment_join(inputs, segment_ids, num_segments, separator="", name=None):
    return apply_op("UnsortedSegmentJoin", inputs=inputs, segment_ids=segment_ids, num_segments=num_segments,
                    separator=separator, name=name)


def string_lower(input, encoding="", name=None):  # noqa: A002
    return apply_op("StringLower", input=input, encoding=encoding, name=name)


def string_upper(input, encoding="", name=None):  # noqa: A002
    return apply_op("StringUpper", input=input, encoding=encoding, name=name)


def string_strip(input, name=None):  # noqa: A002
    return apply_op("StringStrip", input=input, name=name)


def encode_base64(input, pad=False, name=None):  # noqa: A002
    return apply_op("EncodeBase64", input=input, pad=pad, name=name)


def decode_base64(input, name=None):  # noqa: A002
    return apply_op("DecodeBase64", input=input, name=name)


def unicode_script(input, name=None):  # noqa: A002
    """ICU's script code (UScriptCode) of each code point."""
    return apply_op("UnicodeScript", input=input, name=name)


def unicode_transcode(input, input_encoding, output_encoding, errors="replace", replacement_char=65533,  # noqa: A002
                      replace_control_characters=False, name=None):
    return apply_op("UnicodeTranscode", input=input, input_encoding=input_encoding, output_encoding=output_encoding,
                    errors=errors, replacement_char=replacement_char,
                    replace_control_characters=replace_control_characters, name=name)


# -- static shapes (TF's shape functions) ------------------------------------------------------------

@si.register("StringLower", "StringUpper", "StringStrip", "StringLength", "EncodeBase64", "DecodeBase64",
             "StringToNumber", "StaticRegexReplace", "StaticRegexFullMatch", "UnicodeScript", "UnicodeTranscode",
             "AsString")
def _unchanged_shape(op):
    return [op.inputs[0].shape]


@si.register("StringFormat")
def _string_format_shape(op):
    return [TensorShape([])]


@si.register("RegexReplace")
def _regex_replace_shape(op):
    for k, what in ((1, "Pattern"), (2, "Rewrite")):
        if op.inputs[k].shape.ndims not in (None, 0):
            raise ValueError("%s must be scalar, but received %s" % (what, op.inputs[k].shape))
    return [op.inputs[0].shape]


@si.register("RegexFullMatch")
def _regex_full_match_shape(op):
    if op.inputs[1].shape.ndims not in (None, 0):
        raise ValueError("Shape must be rank 0 but is rank %d" % op.inputs[1].shape.ndims)
    return [op.inputs[0].shape]


@si.register("StringJoin")
def _string_join_shape(op):
    out = TensorShape(None)
    for t in op.inputs:
        if t.shape.ndims != 0:
            out = t.shape if out.ndims is None else si.merge(out, t.shape)
    return [TensorShape([]) if all(t.shape.ndims == 0 for t in op.inputs) else out]


@si.register("Substr")
def _substr_shape(op):
    pos, length = op.inputs[1].shape, op.inputs[2].shape
    si.merge(pos, length)
    return [si.broadcast(op.inputs[0].shape, pos)]


@si.register("StringSplit", "StringSplitV2")
def _split_shape(op):
    return [TensorShape([None, 2]), TensorShape([None]), TensorShape([2])]


@si.register("ReduceJoin")
def _reduce_join_shape(op):
    x = op.inputs[0].shape
    axes = si.constant_value(op.inputs[1])
    if axes is None or x.ndims is None:
        return [TensorShape(None)]
    keep = op.get_attr("keep_dims")
    reduced = {int(a) % x.ndims if x.ndims else int(a) for a in np.asarray(axes).reshape(-1)}
    dims = []
    for d, size in enumerate(x.dims):
        if d in reduced:
            if keep:
                dims.append(1)
        else:
            dims.append(size)
    return [TensorShape(dims)]


@si.register("UnsortedSegmentJoin")
def _unsorted_segment_join_shape(op):
    data, ids = op.inputs[0].shape, op.inputs[1].shape
    num = si.constant_value(op.inputs[2])
    first = None if num is None else int(num)
    if data.ndims is None or ids.ndims is None:
        return [TensorShape(None)]
    return [TensorShape([first] + data.dims[ids.ndims:])]


@si.register("UnicodeDecode", "UnicodeDecodeWithOffsets")
def _unicode_decode_shape(op):
    n = op.inputs[0].shape.num_elements() if op.inputs[0].shape.is_fully_defined() else None
    splits = TensorShape([None if n is None else n + 1])
    return [splits, TensorShape([None])] + ([TensorShape([None])] if op.type == "UnicodeDecodeWithOffsets" else [])


@si.register("UnicodeEncode")
def _unicode_encode_shape(op):
    n = op.inputs[1].shape.dims[0] if op.inputs[1].shape.ndims == 1 else None
    return [TensorShape([None if n is None else n - 1])]


@si.register("StringNGrams")
def _ngrams_shape(op):
    return [TensorShape([None]), op.inputs[1].shape]


for _t in ("RegexReplace", "StringToHashBucket", "StringToHashBucketFast", "StringToHashBucketStrong", "ReduceJoin",
           "StringJoin", "StringSplit", "AsString", "EncodeBase64", "DecodeBase64"):
    NotDifferentiable(_t)
