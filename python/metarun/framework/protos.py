"""Message classes for our TensorFlow-compatible protos, and text-format parsing.

The classes come from `_protos.desc`, the FileDescriptorSet of `protos/*.proto`
(`protos/protos.desc`, written by tools/build_protos.py), installed in the package. Our proto
package is `metarun`, not `tensorflow`, so this module and TensorFlow's own
`*_pb2` modules can live in one process without clashing in the default pool.

Loading is lazy: importing this module costs nothing; the first access to a
message class (`protos.MetaGraphDef`) adds the descriptors to the default pool
and builds the class. No grpc_tools and no generated `_pb2` code at run time.

Text format needs one extra step. TensorFlow writes `Any` values with type
URLs such as `type.googleapis.com/tensorflow.VariableDef`; to expand those the
parser must find a message named `tensorflow.VariableDef`. We build, only when
text parsing is first used, a private pool holding copies of our files with
the package renamed to `tensorflow`, parse with the class from that pool,
serialize, and parse the bytes with our class. The wire format does not carry
package names, so the Any payloads keep TF's type URLs unchanged.
"""

import os
import threading

_DESC_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                          "_protos.desc")

# Short name -> full name in our package, for every class this module exports.
_EXPORTS = {
    name: "metarun." + name for name in (
        "MetaGraphDef", "CollectionDef", "SignatureDef", "TensorInfo", "AssetFileDef",
        "GraphDef", "NodeDef", "VersionDef", "FunctionDefLibrary", "FunctionDef",
        "GradientDef", "RegisteredGradient", "GraphDebugInfo", "AttrValue", "NameAttrList",
        "TensorProto", "TensorShapeProto", "ResourceHandleProto", "VariantTensorDataProto",
        "OpDef", "OpList", "OpDeprecation", "FullTypeDef", "SaverDef", "VariableDef",
        "SaveSliceInfoDef", "QueueRunnerDef", "ValuesDef", "ControlFlowContextDef",
        "CondContextDef", "WhileContextDef", "BundleHeaderProto", "BundleEntryProto",
        "TensorSliceProto", "SavedSliceMeta", "SavedTensorSliceMeta", "SavedSlice",
        "SavedTensorSlices", "CheckpointState",
        "Example", "SequenceExample", "Features", "Feature", "FeatureList", "FeatureLists", "BytesList",
        "FloatList", "Int64List")
}
_EXPORTS["MetaInfoDef"] = "metarun.MetaGraphDef.MetaInfoDef"

_lock = threading.Lock()
_classes = {}
_loaded_files = None      # [(file name, serialized FileDescriptorProto)]
_text_pool = None         # the private pool with package "tensorflow"


def _split_descriptor_set(data):
    """Split a serialized FileDescriptorSet into (name, bytes) per file.

    A FileDescriptorSet is `repeated FileDescriptorProto file = 1`, and a
    FileDescriptorProto starts its `name` at field 1. Walking those two
    levels by hand avoids importing descriptor_pb2 on the import path.
    """
    files = []
    pos = 0
    while pos < len(data):
        tag, pos = _varint(data, pos)
        if tag != 0x0A:
            raise ValueError("unexpected field in %s" % _DESC_PATH)
        length, pos = _varint(data, pos)
        body = data[pos:pos + length]
        pos += length
        files.append((_file_name(body), body))
    return files


def _file_name(body):
    pos = 0
    while pos < len(body):
        tag, pos = _varint(body, pos)
        if tag & 7 == 2:
            length, pos = _varint(body, pos)
            if tag >> 3 == 1:
                return body[pos:pos + length].decode("utf-8")
            pos += length
        elif tag & 7 == 0:
            _, pos = _varint(body, pos)
        else:
            break
    raise ValueError("file without a name in %s" % _DESC_PATH)


def _varint(data, pos):
    result = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if byte < 0x80:
            return result, pos
        shift += 7


def _load():
    """Add our files to the default pool once; return the file list."""
    global _loaded_files
    if _loaded_files is not None:
        return _loaded_files
    from google.protobuf import any_pb2  # noqa: F401 -- registers any.proto first
    from google.protobuf import descriptor_pool
    pool = descriptor_pool.Default()
    with open(_DESC_PATH, "rb") as f:
        files = _split_descriptor_set(f.read())
    for name, body in files:
        try:
            pool.FindFileByName(name)
            continue  # already there (any.proto, or a second import of us)
        except KeyError:
            pass
        pool.AddSerializedFile(body)
    _loaded_files = files
    return files


def get_class(full_name):
    """The message class for a full proto name, e.g. "metarun.NodeDef"."""
    cls = _classes.get(full_name)
    if cls is None:
        with _lock:
            _load()
            from google.protobuf import descriptor_pool, message_factory
            desc = descriptor_pool.Default().FindMessageTypeByName(full_name)
            cls = message_factory.GetMessageClass(desc)
            _classes[full_name] = cls
    return cls


def __getattr__(name):
    full = _EXPORTS.get(name)
    if full is None:
        raise AttributeError("module %r has no attribute %r" % (__name__, name))
    cls = get_class(full)
    globals()[name] = cls  # later lookups skip __getattr__
    return cls


def __dir__():
    return sorted(list(globals()) + list(_EXPORTS))


# --- text format -------------------------------------------------------------

def _rename_package(file_proto, old, new):
    """Rewrite a FileDescriptorProto in place from package `old` to `new`."""
    def fix_type(name):
        # Type references are fully qualified (".metarun.NodeDef").
        if name.startswith("." + old + "."):
            return "." + new + name[len(old) + 1:]
        return name

    def fix_message(msg):
        for field in msg.field:
            if field.type_name:
                field.type_name = fix_type(field.type_name)
        for nested in msg.nested_type:
            fix_message(nested)

    if file_proto.package == old or file_proto.package.startswith(old + "."):
        file_proto.package = new + file_proto.package[len(old):]
    for msg in file_proto.message_type:
        fix_message(msg)
    for service in file_proto.service:
        for method in service.method:
            method.input_type = fix_type(method.input_type)
            method.output_type = fix_type(method.output_type)


def _tensorflow_pool():
    """A private pool with our files under the package name "tensorflow"."""
    global _text_pool
    with _lock:
        if _text_pool is None:
            from google.protobuf import descriptor_pb2, descriptor_pool
            files = _load()
            pool = descriptor_pool.DescriptorPool()
            for _, body in files:
                proto = descriptor_pb2.FileDescriptorProto.FromString(body)
                _rename_package(proto, "metarun", "tensorflow")
                pool.Add(proto)
            _text_pool = pool
    return _text_pool


def parse_text(text, cls):
    """Parse a text-format message of our class `cls`, as TF would write it.

    `Any` values written as `[type.googleapis.com/tensorflow.X] { ... }` are
    resolved against TF's names and kept with TF's type URL.
    """
    from google.protobuf import message_factory, text_format
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    full_name = cls.DESCRIPTOR.full_name
    if not full_name.startswith("metarun."):
        return text_format.Parse(text, cls())
    pool = _tensorflow_pool()
    tf_desc = pool.FindMessageTypeByName("tensorflow." + full_name[len("metarun."):])
    tf_msg = message_factory.GetMessageClass(tf_desc)()
    text_format.Parse(text, tf_msg, descriptor_pool=pool)
    return cls.FromString(tf_msg.SerializeToString())


def parse_text_metagraph(text):
    """Parse a text-format MetaGraphDef (`export_meta_graph(as_text=True)`)."""
    return parse_text(text, get_class("metarun.MetaGraphDef"))


def to_text(message):
    """Text format of a message, as TF's `text_format.MessageToString` writes it."""
    from google.protobuf import text_format
    return text_format.MessageToString(message)
