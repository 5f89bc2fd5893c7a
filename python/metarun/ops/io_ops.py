"""TF1 readers (tf.ReaderBase, tf.TextLineReader, tf.TFRecordReader, tf.WholeFileReader,
tf.FixedLengthRecordReader, tf.IdentityReader) and tf.io.read_file/write_file, building the graphs
TF builds: a V2 reader op (a resource handle) and the Reader*V2 ops that use it. A reader given a
V1 (ref) handle uses the V1 verbs, with the queue handed over through FakeQueue as in TF.
The readers themselves live in the C++ kernels (reader_ops.cpp)."""

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op
from metarun.framework.tensor_shape import TensorShape
from metarun.ops.gradients_impl import NotDifferentiable
from metarun.tf_record import TFRecordOptions

_VERBS = ("ReaderRead", "ReaderReadUpTo", "ReaderNumRecordsProduced", "ReaderNumWorkUnitsCompleted",
          "ReaderSerializeState", "ReaderRestoreState", "ReaderReset")
_READERS = ("WholeFileReader", "TextLineReader", "FixedLengthRecordReader", "TFRecordReader", "IdentityReader")


def _attrs(**kwargs):
    """Attrs given as None take the op's default, as in TF's generated op functions."""
    return {k: v for k, v in kwargs.items() if v is not None}


def _queue_ref(queue):
    """A queue's handle: `queue` itself when it is a Tensor, else its queue_ref."""
    return queue if isinstance(queue, graph_lib.Tensor) else queue.queue_ref


class ReaderBase(object):
    """Base class for readers: they turn work units (file names) dequeued from a queue into
    (key, value) records."""

    def __init__(self, reader_ref, supports_serialize=False):
        self._reader_ref = reader_ref
        self._supports_serialize = supports_serialize

    @property
    def reader_ref(self):
        """Op that implements the reader."""
        return self._reader_ref

    @property
    def supports_serialize(self):
        """Whether the Reader implementation can serialize its state."""
        return self._supports_serialize

    def _v2(self):
        return self._reader_ref.dtype == dtypes.resource

    def _verb(self, op_type, name, queue=None, **inputs):
        if queue is not None:
            queue_ref = _queue_ref(queue)
            if not self._v2():
                queue_ref = apply_op("FakeQueue", resource=queue_ref)
            inputs["queue_handle"] = queue_ref
        return apply_op(op_type + ("V2" if self._v2() else ""), name=name, reader_handle=self._reader_ref, **inputs)

    def read(self, queue, name=None):
        """The next record (key, value) of the reader, dequeuing a work unit from `queue` when it
        needs one."""
        return tuple(self._verb("ReaderRead", name, queue))

    def read_up_to(self, queue, num_records, name=None):
        """Up to `num_records` (keys, values) of one work unit; fewer may come before the end."""
        return tuple(self._verb("ReaderReadUpTo", name, queue, num_records=num_records))

    def num_records_produced(self, name=None):
        """The number of records this reader has produced (an int64 Tensor)."""
        return self._verb("ReaderNumRecordsProduced", name)

    def num_work_units_completed(self, name=None):
        """The number of work units this reader has finished (an int64 Tensor)."""
        return self._verb("ReaderNumWorkUnitsCompleted", name)

    def serialize_state(self, name=None):
        """A string Tensor encoding the reader's state (Unimplemented for most readers)."""
        return self._verb("ReaderSerializeState", name)

    def restore_state(self, state, name=None):
        """Restores a state from serialize_state (Unimplemented for most readers)."""
        return self._verb("ReaderRestoreState", name, state=state)

    def reset(self, name=None):
        """Restores the reader to its initial clean state."""
        return self._verb("ReaderReset", name)


class WholeFileReader(ReaderBase):
    """A reader that outputs the entire contents of a file as a value, its name as the key."""

    def __init__(self, name=None):
        rr = apply_op("WholeFileReaderV2", name=name)
        super(WholeFileReader, self).__init__(rr, supports_serialize=True)


class TextLineReader(ReaderBase):
    """A reader that outputs the lines of a file delimited by newlines."""

    def __init__(self, skip_header_lines=None, name=None):
        rr = apply_op("TextLineReaderV2", name=name, **_attrs(skip_header_lines=skip_header_lines))
        super(TextLineReader, self).__init__(rr)


class FixedLengthRecordReader(ReaderBase):
    """A reader that outputs fixed-length records from a file."""

    def __init__(self, record_bytes, header_bytes=None, footer_bytes=None, hop_bytes=None, name=None,
                 encoding=None):
        rr = apply_op("FixedLengthRecordReaderV2", name=name, record_bytes=record_bytes,
                      **_attrs(header_bytes=header_bytes, footer_bytes=footer_bytes, hop_bytes=hop_bytes,
                               encoding=encoding))
        super(FixedLengthRecordReader, self).__init__(rr)


class TFRecordReader(ReaderBase):
    """A reader that outputs the records from a TFRecords file."""

    def __init__(self, name=None, options=None):
        compression_type = TFRecordOptions.get_compression_type_string(options)
        rr = apply_op("TFRecordReaderV2", name=name, compression_type=compression_type)
        super(TFRecordReader, self).__init__(rr)


class IdentityReader(ReaderBase):
    """A reader that outputs the queued work as both the key and the value."""

    def __init__(self, name=None):
        rr = apply_op("IdentityReaderV2", name=name)
        super(IdentityReader, self).__init__(rr, supports_serialize=True)


def read_file(filename, name=None):
    """The contents of the file `filename` (a scalar string Tensor)."""
    return apply_op("ReadFile", name=name, filename=filename)


def matching_files(pattern, name=None):
    """The files matching glob `pattern` (a string or a vector of them), sorted: a 1-D string Tensor."""
    return apply_op("MatchingFiles", name=name, pattern=pattern)


def write_file(filename, contents, name=None):
    """Writes `contents` to the file `filename`, creating its directory when missing."""
    return apply_op("WriteFile", name=name, filename=filename, contents=contents)


for _op in _VERBS + _READERS:
    NotDifferentiable(_op)
del _op


# -- shapes, as TF's shape functions give them -------------------------------------------------

def _scalar_input(op, i):
    shape = op.inputs[i].shape
    if shape.ndims is not None and shape.ndims != 0:
        raise ValueError("Shape must be rank 0 but is rank %d for '{{node %s}}'" % (shape.ndims, op.name))


@si.register(*[r + v for r in _READERS for v in ("", "V2")])
def _reader_handle(op):
    return [TensorShape([2]) if op.type[-2:] != "V2" else TensorShape([])]


@si.register("ReaderRead", "ReaderReadV2")
def _read(op):
    return [TensorShape([]), TensorShape([])]


@si.register("ReaderReadUpTo", "ReaderReadUpToV2")
def _read_up_to(op):
    _scalar_input(op, 2)
    return [TensorShape([None]), TensorShape([None])]


@si.register("ReaderNumRecordsProduced", "ReaderNumRecordsProducedV2", "ReaderNumWorkUnitsCompleted",
             "ReaderNumWorkUnitsCompletedV2", "ReaderSerializeState", "ReaderSerializeStateV2")
def _scalar_output(op):
    return [TensorShape([])]


@si.register("ReaderRestoreState", "ReaderRestoreStateV2")
def _restore_state(op):
    _scalar_input(op, 1)
    return []


@si.register("ReadFile")
def _read_file(op):
    _scalar_input(op, 0)
    return [TensorShape([])]


@si.register("MatchingFiles")
def _matching_files(op):
    shape = op.inputs[0].shape
    if shape.ndims is not None and shape.ndims > 1:
        raise ValueError("Shape must be at most rank 1 but is rank %d for '{{node %s}}'" % (shape.ndims, op.name))
    return [TensorShape([None])]


@si.register("WriteFile")
def _write_file(op):
    _scalar_input(op, 0)
    _scalar_input(op, 1)
    return []


@si.register("FakeQueue")
def _fake_queue(op):
    return [TensorShape([2])]
