"""tf.summary (tf.compat.v1): summary ops built as TF builds them in graph mode, and the event
files TensorBoard reads (FileWriter, FileWriterCache)."""
import logging
import re

from metarun.framework import dtypes as _dtypes
from metarun.framework import graph as _graph_lib
from metarun.framework import protos as _protos
from metarun.framework.op_builder import apply_op as _apply_op
from metarun.framework.op_builder import convert_to_tensor as _convert_to_tensor
from metarun.ops.scopes import name_scope as _name_scope
from metarun.summary.writer import FileWriter, FileWriterCache  # noqa: F401
from metarun.summary.writer import summary_iterator  # noqa: F401

_log = logging.getLogger("metarun")


_PROTO_NAMES = ("Summary", "SummaryDescription", "SummaryMetadata", "HistogramProto", "Event", "SessionLog",
                "LogMessage", "TaggedRunMetadata")


def __getattr__(name):
    # The proto classes of tf.summary (and tf.*): Summary, SummaryDescription, Event, SessionLog, ...
    if name in _PROTO_NAMES:
        return _protos.get_class("metarun." + name)
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


_INVALID_TAG_CHARACTERS = re.compile(r"[^-/\w\.]")


def _clean_tag(name):
    if name is not None:
        new_name = _INVALID_TAG_CHARACTERS.sub("_", name).lstrip("/")
        if new_name != name:
            _log.info("Summary name %s is illegal; using %s instead.", name, new_name)
            name = new_name
    return name


class _summary_scope(object):
    """TF's summary_scope: (tag, scope) for a summary named `name` in `family`."""

    def __init__(self, name, family=None, default_name=None, values=None):
        name, family = _clean_tag(name), _clean_tag(family)
        base = name if family is None else "%s/%s" % (family, name)
        self._family = family
        self._cm = _name_scope(base, default_name, values)

    def __enter__(self):
        scope = self._cm.__enter__()
        tag = scope.rstrip("/") if self._family is None else "%s/%s" % (self._family, scope.rstrip("/"))
        return tag, scope

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


def _collect(val, collections, default_collections):
    for key in (default_collections if collections is None else collections):
        _graph_lib.get_default_graph().add_to_collection(key, val)


_SUMMARIES = _graph_lib.GraphKeys.SUMMARIES


def scalar(name, tensor, collections=None, family=None):
    with _summary_scope(name, family, values=[tensor]) as (tag, scope):
        val = _apply_op("ScalarSummary", tags=tag, values=tensor, name=scope)
        _collect(val, collections, [_SUMMARIES])
    return val


def image(name, tensor, max_outputs=3, collections=None, family=None):
    with _summary_scope(name, family, values=[tensor]) as (tag, scope):
        val = _apply_op("ImageSummary", tag=tag, tensor=tensor, max_images=max_outputs, name=scope)
        _collect(val, collections, [_SUMMARIES])
    return val


def histogram(name, values, collections=None, family=None):
    with _summary_scope(name, family, values=[values], default_name="HistogramSummary") as (tag, scope):
        val = _apply_op("HistogramSummary", tag=tag, values=values, name=scope)
        _collect(val, collections, [_SUMMARIES])
    return val


def audio(name, tensor, sample_rate, max_outputs=3, collections=None, family=None):
    with _summary_scope(name, family=family, values=[tensor]) as (tag, scope):
        sample_rate = _convert_to_tensor(sample_rate, dtype=_dtypes.float32, name="sample_rate")
        val = _apply_op("AudioSummaryV2", tag=tag, tensor=tensor, max_outputs=max_outputs,
                        sample_rate=sample_rate, name=scope)
        _collect(val, collections, [_SUMMARIES])
    return val


def text(name, tensor, collections=None):
    if tensor.dtype != _dtypes.string:
        raise ValueError("Expected tensor %s to have dtype string, got %s" % (tensor.name, tensor.dtype))
    metadata = _protos.get_class("metarun.SummaryMetadata")()
    metadata.plugin_data.plugin_name = "text"
    return tensor_summary(name=name, tensor=tensor, summary_metadata=metadata, collections=collections)


def tensor_summary(name, tensor, summary_description=None, collections=None, summary_metadata=None,
                   family=None, display_name=None):
    if summary_metadata is None:
        summary_metadata = _protos.get_class("metarun.SummaryMetadata")()
    if summary_description is not None:
        summary_metadata.summary_description = summary_description
    if display_name is not None:
        summary_metadata.display_name = display_name
    serialized = summary_metadata.SerializeToString()
    with _summary_scope(name, family, values=[tensor]) as (tag, scope):
        val = _apply_op("TensorSummaryV2", tensor=tensor, tag=tag, name=scope,
                        serialized_summary_metadata=serialized)
        _collect(val, collections, [_SUMMARIES])
    return val


def merge(inputs, collections=None, name=None):
    name = _clean_tag(name)
    with _name_scope(name, "Merge", inputs):
        val = _apply_op("MergeSummary", inputs=list(inputs), name=name)
        _collect(val, collections, [])
    return val


def merge_all(key=_SUMMARIES, scope=None, name=None):
    summary_ops = _graph_lib.get_default_graph().get_collection(key, scope=scope)
    if not summary_ops:
        return None
    return merge(summary_ops, name=name)


def get_summary_description(node_def):
    """The SummaryDescription of a TensorSummary node (its `description` attr is JSON)."""
    if node_def.op != "TensorSummary":
        raise ValueError("Can't get_summary_description on %s" % node_def.op)
    raw = node_def.attr["description"].s
    description = _protos.get_class("metarun.SummaryDescription")()
    from google.protobuf import json_format
    json_format.Parse(raw.decode("utf-8") if isinstance(raw, bytes) else raw, description)
    return description


# TF2 summary ops (tf.summary.scalar of tf.compat.v2 and tf.contrib.summary) gather in this collection.
_SUMMARY_V2_COLLECTION = "_SUMMARY_V2"


def all_v2_summary_ops():
    """The V2-style summary ops of the default graph (TF1 tf.summary ops are not among them);
    metarun builds none, so a graph has them only when imported with the collection."""
    return _graph_lib.get_default_graph().get_collection(_SUMMARY_V2_COLLECTION)


def initialize(graph=None, session=None):  # noqa: ARG001 -- TF's signature
    """TF's v1 graph-mode initialize: it runs the default TF2 summary writer's initializer; metarun
    has no TF2 summary writers, so there is never a default one and TF raises this."""
    raise RuntimeError("No default tf.contrib.summary.SummaryWriter found")
