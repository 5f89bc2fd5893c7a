"""The parsing family's host kernels: DecodeCompressed and DecodeJSONExample.

DecodeCompressed inflates each string with zlib (ZLIB or GZIP framing; "" passes the bytes
through), as TF's zlib stream does: an input cut short gives what inflated before the cut, corrupt
data is DataLossError with zlib's error code and message.

DecodeJSONExample parses each string as the JSON mapping of a tf.train.Example and writes the
binary Example TF's JSON converter writes: features in the JSON's order, every repeated number
unpacked (one tag per value), an entry for a feature even when it is empty.
"""
import json
import re
import struct
import zlib

import numpy as np

from metarun import errors
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


HOST_OPS = {
    "DecodeCompressed": _decode_compressed,
    "DecodeJSONExample": _decode_json_example,
}
