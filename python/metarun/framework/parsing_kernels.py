"""The parsing family's host kernels: DecodeCompressed, DecodeJSONExample, DecodeProtoV2 and
EncodeProto.

DecodeCompressed inflates each string with zlib (ZLIB or GZIP framing; "" passes the bytes
through), as TF's zlib stream does: an input cut short gives what inflated before the cut, corrupt
data is DataLossError with zlib's error code and message.

DecodeJSONExample parses each string as the JSON mapping of a tf.train.Example and writes the
binary Example TF's JSON converter writes: features in the JSON's order, every repeated number
unpacked (one tag per value), an entry for a feature even when it is empty.

DecodeProtoV2 and EncodeProto read and write the fields of any message type through protobuf's
descriptors: "local://" names the types compiled in (tf.train's as `tensorflow.*`), "bytes://..."
a serialized FileDescriptorSet, anything else a file holding one. A field's count is the number of
values on the wire; a field absent or a repeated field shorter than the batch's longest is padded
with the field's default. The dtype a field may have follows TF's table.
"""
import json
import re
import struct
import zlib

import numpy as np

from metarun import errors
from metarun.framework import io_kernels
from metarun.framework import protos


def _strings(array):
    return [v if isinstance(v, bytes) else str(v).encode() for v in np.asarray(array, dtype=object).reshape(-1)]


_WBITS = {"": None, "ZLIB": zlib.MAX_WBITS, "GZIP": 16 + zlib.MAX_WBITS}
_ZLIB_ERROR = re.compile(r"Error (-?\d+) while decompressing data: (.*)")


def _decode_compressed(node_name, attrs, inputs):
    kind = attrs.get("compression_type", "")
    kind = kind.decode() if isinstance(kind, bytes) else kind
    if kind not in _WBITS:
        raise errors.InvalidArgumentError(None, None, "Only ZLIB, GZIP or NONE are supported compressions")
    data = np.asarray(inputs[0], dtype=object)
    out = []
    for raw in _strings(data):
        if _WBITS[kind] is None:
            out.append(raw)
            continue
        try:
            out.append(zlib.decompressobj(_WBITS[kind]).decompress(raw))
        except zlib.error as e:
            m = _ZLIB_ERROR.match(str(e))
            text = "inflate() failed with error %s: %s" % m.groups() if m else str(e)
            raise errors.DataLossError(None, None, text) from None
    result = np.empty(len(out), dtype=object)
    result[:] = out
    return [result.reshape(data.shape)]


def _varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _field(number, payload):
    return _varint((number << 3) | 2) + _varint(len(payload)) + payload


def _feature_bytes(feature):
    kind = feature.WhichOneof("kind")
    if kind is None:
        return b""
    values = getattr(feature, kind).value
    if kind == "bytes_list":
        body = b"".join(_field(1, v) for v in values)
        return _field(1, body)
    if kind == "float_list":
        body = b"".join(b"\x0d" + struct.pack("<f", v) for v in values)
        return _field(2, body)
    body = b"".join(b"\x08" + _varint(v) for v in values)
    return _field(3, body)


def _json_feature_order(text):
    """The feature keys in the order the JSON lists them."""
    def pairs(items):
        return items
    doc = json.loads(text, object_pairs_hook=pairs)
    for key, value in doc if isinstance(doc, list) else []:
        if key == "features" and isinstance(value, list):
            for key2, value2 in value:
                if key2 == "feature" and isinstance(value2, list):
                    return [k for k, _ in value2]
    return []


def _decode_json_example(node_name, attrs, inputs):
    from google.protobuf import json_format
    example_class = protos.get_class("metarun.Example")
    data = np.asarray(inputs[0], dtype=object)
    out = []
    for raw in _strings(data):
        text = raw.decode("utf-8", "replace")
        example = example_class()
        try:
            json_format.Parse(text, example)
        except (json_format.ParseError, ValueError) as e:
            raise errors.InvalidArgumentError(None, None, "Error while parsing JSON: %s" % e) from None
        if not example.HasField("features"):
            out.append(b"")
            continue
        body = b""
        seen = set()
        for key in _json_feature_order(text):
            if key in seen:
                continue
            seen.add(key)
            body += _field(1, _field(1, key.encode()) + _field(2, _feature_bytes(example.features.feature[key])))
        out.append(_field(1, body))
    result = np.empty(len(out), dtype=object)
    result[:] = out
    return [result.reshape(data.shape)]


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


# The dtypes TF lets each field type decode to or encode from (field type -> dtype enums).
_INT32, _INT64, _UINT32, _UINT64, _FLOAT, _DOUBLE, _BOOL, _STRING = 3, 9, 22, 23, 1, 2, 10, 7
_ALLOWED = {
    "int32": (_INT32, _INT64), "sint32": (_INT32, _INT64), "sfixed32": (_INT32, _INT64),
    "int64": (_INT64,), "sint64": (_INT64,), "sfixed64": (_INT64,),
    "uint32": (_UINT32, _UINT64), "fixed32": (_UINT32, _UINT64), "uint64": (_UINT64,), "fixed64": (_UINT64,),
    "float": (_FLOAT, _DOUBLE), "double": (_DOUBLE,), "bool": (_BOOL,), "enum": (_INT32,),
    "string": (_STRING,), "bytes": (_STRING,), "message": (_STRING,), "group": (_STRING,),
}


def _type_name(field):
    from google.protobuf.descriptor import FieldDescriptor
    names = {getattr(FieldDescriptor, n): n[len("TYPE_"):].lower() for n in dir(FieldDescriptor)
             if n.startswith("TYPE_")}
    return names[field.type]


def _message_class(source, message_type):
    """The class of `message_type` in the descriptors `source` names."""
    from google.protobuf import descriptor_pb2, descriptor_pool, message_factory
    source = source if isinstance(source, bytes) else str(source).encode()
    if source == b"local://":
        if message_type.startswith("tensorflow."):
            try:
                return protos.get_class("metarun." + message_type[len("tensorflow."):])
            except (KeyError, AttributeError):
                pass
        raise errors.InvalidArgumentError(None, None, "No descriptor found for message type %s" % message_type)
    if source.startswith(b"bytes://"):
        data = source[len(b"bytes://"):]
    else:
        io_kernels.check_read(source.decode())
        try:
            with open(source.decode(), "rb") as f:
                data = f.read()
        except OSError as e:
            raise errors.NotFoundError(None, None, "%s; %s" % (source.decode(), e.strerror)) from None
    fds = descriptor_pb2.FileDescriptorSet()
    try:
        fds.ParseFromString(data)
        pool = descriptor_pool.DescriptorPool()
        for f in fds.file:
            pool.Add(f)
        desc = pool.FindMessageTypeByName(message_type)
    except KeyError:
        raise errors.InvalidArgumentError(None, None, "No descriptor found for message type %s"
                                          % message_type) from None
    except Exception as e:  # a malformed descriptor set
        raise errors.InvalidArgumentError(None, None, "Unable to load descriptors from %s: %s"
                                          % (source[:32], e)) from None
    return message_factory.GetMessageClass(desc)


def _fields(cls, names, types, check_message):
    from metarun.framework import dtypes
    types = [dtypes.as_dtype(t).as_datatype_enum for t in types]
    out = []
    for name, dtype in zip(names, types):
        field = cls.DESCRIPTOR.fields_by_name.get(name)
        if field is None:
            raise errors.InvalidArgumentError(None, None, "Unknown field: %s in message type %s"
                                              % (name, cls.DESCRIPTOR.full_name))
        kind = _type_name(field)
        if int(dtype) not in _ALLOWED[kind]:
            raise errors.InvalidArgumentError(None, None, check_message(field, kind, int(dtype)))
        out.append((field, kind))
    return out


def _message_payloads(raw):
    """{field number: [payload, ...]} of the length-delimited fields of a (well-formed) message."""
    out, pos = {}, 0

    def varint(pos):
        shift = value = 0
        while True:
            b = raw[pos]
            value |= (b & 0x7F) << shift
            pos += 1
            if not b & 0x80:
                return value, pos
            shift += 7

    while pos < len(raw):
        key, pos = varint(pos)
        wire = key & 7
        if wire == 0:
            _, pos = varint(pos)
        elif wire == 1:
            pos += 8
        elif wire == 5:
            pos += 4
        elif wire == 2:
            length, pos = varint(pos)
            out.setdefault(key >> 3, []).append(bytes(raw[pos:pos + length]))
            pos += length
        else:  # groups: not read from the wire
            return None
    return out


def _wire_value(field, kind, value):
    if kind in ("message", "group"):
        return value.SerializeToString()
    if kind == "string":  # protobuf hands a proto2 string that is not UTF-8 back as bytes
        return value if isinstance(value, bytes) else value.encode("utf-8")
    return value


def _is_repeated(field):
    """FieldDescriptor.is_repeated (protobuf >= 6.31), from its label on older releases."""
    repeated = getattr(field, "is_repeated", None)
    if repeated is None:
        repeated = field.label == field.LABEL_REPEATED
    return bool(repeated)


def _field_default(field, kind):
    if kind in ("message", "group"):
        return b""
    if kind == "enum":
        return field.default_value if field.has_default_value else field.enum_type.values[0].number
    if _is_repeated(field):  # no default of its own: the type's zero
        return b"" if kind in ("string", "bytes") else False if kind == "bool" else 0
    return _wire_value(field, kind, field.default_value)


def _decode_proto(node_name, attrs, inputs):
    from google.protobuf.message import DecodeError
    from metarun.framework import dtypes
    names = [_text(n) for n in attrs.get("field_names", [])]
    types = [dtypes.as_dtype(t).as_datatype_enum for t in attrs.get("output_types", [])]
    cls = _message_class(attrs.get("descriptor_source", b"local://"), _text(attrs["message_type"]))
    fields = _fields(cls, names, types, lambda field, kind, dtype: "Unexpected output type for %s: %s to DT_%s" % (
        field.full_name, kind, dtypes.as_dtype(dtype)._tf_name().upper()))
    text_format = _text(attrs.get("message_format", "binary")) == "text"
    data = np.asarray(inputs[0], dtype=object)
    if data.size == 0:
        raise errors.InvalidArgumentError(None, None, "Bufs argument must contain at least one value")
    counts = np.zeros((data.size, len(fields)), np.int32)
    found = []
    for b, raw in enumerate(_strings(data)):
        msg = cls()
        try:
            if text_format:
                from google.protobuf import text_format as tf_text
                tf_text.Parse(raw.decode("utf-8"), msg)
            else:
                msg.ParseFromString(raw)
        except (DecodeError, UnicodeDecodeError, ValueError, RuntimeError) as e:
            raise errors.DataLossError(None, None, "Unable to parse message %d: %s" % (b, e)) from None
        present = {f.name: v for f, v in msg.ListFields()}
        raw_messages = None if text_format else _message_payloads(raw)
        row = []
        for i, (field, kind) in enumerate(fields):
            value = present.get(field.name)
            if value is None:
                values = []
            elif kind in ("message", "group") and raw_messages is not None:
                # the bytes as they are on the wire (re-serializing could pack or reorder them)
                values = raw_messages.get(field.number, [])
                values = values if _is_repeated(field) else values[-1:]
            elif _is_repeated(field):
                values = [_wire_value(field, kind, v) for v in value]
            else:
                values = [_wire_value(field, kind, value)]
            counts[b, i] = len(values)
            row.append(values)
        found.append(row)
    outputs = [counts.reshape(data.shape + (len(fields),))]
    for i, ((field, kind), dtype) in enumerate(zip(fields, types)):
        # TF makes every field at least one value wide
        width = 1 if not _is_repeated(field) else max(1, int(counts[:, i].max(initial=0)))
        np_type = object if int(dtype) == _STRING else dtypes.as_dtype(dtype).as_numpy_dtype
        values = np.empty((data.size, width), dtype=object)
        values.fill(_field_default(field, kind))
        for b, row in enumerate(found):
            for k, v in enumerate(row[i][:width]):
                values[b, k] = v
        if np_type is not object:
            values = np.array(values.tolist(), dtype=np_type).reshape(values.shape)
        outputs.append(values.reshape(data.shape + (width,)))
    return outputs


def _encode_proto(node_name, attrs, inputs):
    from metarun.framework import dtypes
    names = [_text(n) for n in attrs.get("field_names", [])]
    types = [dtypes.as_dtype(t).as_datatype_enum for t in attrs.get("Tinput_types", [])]
    cls = _message_class(attrs.get("descriptor_source", b"local://"), _text(attrs["message_type"]))
    fields = _fields(cls, names, types, lambda field, kind, dtype: (
        "Incompatible type for field %s.  Saw dtype: %s but field type is: %s"
        % (field.name, dtypes.as_dtype(dtype)._tf_name(), kind)))
    sizes = np.asarray(inputs[0])
    values = [np.asarray(v) for v in inputs[1:]]
    if not values:
        raise errors.InvalidArgumentError(None, None, "EncodeProto needs at least one field")
    batch_shape = values[0].shape[:-1]
    want = tuple(batch_shape) + (len(fields),)
    if sizes.shape != want:
        raise errors.InvalidArgumentError(None, None, "sizes should be batch_size + [len(field_names)].  Saw: [%s] "
                                          "but expected: [%s]" % (",".join(map(str, sizes.shape)),
                                                                  ",".join(map(str, want))))
    for i, v in enumerate(values):
        if v.shape[:-1] != batch_shape:
            raise errors.InvalidArgumentError(None, None, "Values must match up to the last dimension")
    n = int(np.prod(batch_shape, dtype=np.int64))
    flat_sizes = sizes.reshape(n, len(fields))
    flat_values = [v.reshape(n, v.shape[-1]) for v in values]
    out = []
    for b in range(n):
        msg = cls()
        for i, (field, kind) in enumerate(fields):
            count = int(flat_sizes[b, i])
            if count > flat_values[i].shape[1]:
                raise errors.InvalidArgumentError(
                    None, None, "Size to write must not be larger than value tensor; but saw: %d > %d at message %d "
                    "field %d" % (count, flat_values[i].shape[1], b, i))
            items = [_python_value(kind, v) for v in flat_values[i][b, :max(count, 0)]]
            if _is_repeated(field):
                target = getattr(msg, field.name)
                for item in items:
                    if kind in ("message", "group"):
                        target.add().ParseFromString(item)
                    else:
                        target.append(item)
            elif items:
                if kind in ("message", "group"):
                    getattr(msg, field.name).ParseFromString(items[-1])
                else:
                    setattr(msg, field.name, items[-1])
        out.append(msg.SerializeToString())
    result = np.empty(n, dtype=object)
    result[:] = out
    return [result.reshape(batch_shape)]


def _python_value(kind, value):
    if kind == "string":
        return value.decode("utf-8") if isinstance(value, bytes) else str(value)
    if kind in ("bytes", "message", "group"):
        return value if isinstance(value, bytes) else str(value).encode()
    if kind in ("float", "double"):
        return float(value)
    if kind == "bool":
        return bool(value)
    return int(value)


HOST_OPS = {
    "DecodeCompressed": _decode_compressed,
    "DecodeJSONExample": _decode_json_example,
    "DecodeProtoV2": _decode_proto,
    "EncodeProto": _encode_proto,
}
