"""V1 checkpoints (`SaverDef.V1` and LEGACY): TensorSliceReader and
TensorSliceWriter.

A V1 checkpoint is one or more SSTable files (`P`, or shards `P-00000-of-00002`
found by a glob pattern) whose values are SavedTensorSlices protos
(FORMATS.md section 3): key "" lists every tensor with its dtype, shape and
stored slices; each slice key (OrderedCode, as in V2) holds that slice's
values inline in a TensorProto.

The writer (`V1Writer`) reproduces TF's TensorSliceWriter byte for byte: the
meta entry lists tensors in the order they were added, each slice's value is
`SavedTensorSlices{data: SavedSlice{name, slice, data}}` with the values in
the TensorProto's packed typed field (no dtype, no shape), keys are sorted,
and the file is written under a temporary name and renamed into place.
"""

import errno
import glob
import os
import random

import numpy as np

from metarun import errors
from metarun.bundle import ordered_code, slices, sstable, v2
from metarun.framework import protos

READER_VERSION = 1  # TF_CHECKPOINT_VERSION

data_loss = sstable.data_loss

# dtype enum -> TensorProto field holding V1 slice data, and the numpy type the
# field's values are first read as (before narrowing to the tensor's dtype).
_FIELDS = {
    1: ("float_val", np.float32), 2: ("double_val", np.float64), 3: ("int_val", np.int32),
    4: ("int_val", np.int32), 5: ("int_val", np.int32), 6: ("int_val", np.int32),
    7: ("string_val", object), 8: ("scomplex_val", np.float32), 9: ("int64_val", np.int64),
    10: ("bool_val", np.bool_), 11: ("int_val", np.int32), 12: ("int_val", np.int32),
    13: ("int_val", np.int32), 14: ("half_val", np.int32), 15: ("int_val", np.int32),
    16: ("int_val", np.int32), 17: ("int_val", np.int32), 18: ("dcomplex_val", np.float64),
    19: ("half_val", np.int32), 22: ("uint32_val", np.uint32), 23: ("uint64_val", np.uint64),
}


def tensor_from_proto(proto, dtype_enum, dims, where):
    """Values of a V1 slice: exactly prod(dims) of them, no splatting."""
    np_type = v2.numpy_dtype(dtype_enum)
    n = 1
    for d in dims:
        n *= d
    if proto.tensor_content:
        content = proto.tensor_content
        if dtype_enum == v2.DT_STRING or len(content) != n * np_type.itemsize:
            raise data_loss("%s: tensor_content holds %d bytes for %d elements"
                            % (where, len(content), n))
        return np.frombuffer(content, dtype=np_type).reshape(dims).copy()
    field, read_as = _FIELDS[dtype_enum]
    values = getattr(proto, field)
    per_element = 2 if field in ("scomplex_val", "dcomplex_val") else 1
    if len(values) != n * per_element:
        raise data_loss("%s: %d values stored for a slice of %d elements"
                        % (where, len(values), n))
    if read_as is object:
        out = np.empty(n, dtype=object)
        for i, item in enumerate(values):
            out[i] = bytes(item)
        return out.reshape(dims)
    array = np.array(values, dtype=read_as)
    if field == "half_val":
        array = array.astype(np.uint16).view(np_type)  # 16-bit patterns
    elif per_element == 2:
        array = array.view(np_type)
    elif array.dtype != np_type:
        array = array.astype(np_type)  # int_val narrows with wrap-around, as TF
    return array.reshape(dims)


class _TensorInfo(object):
    __slots__ = ("dtype", "shape", "slices")

    def __init__(self, dtype, shape):
        self.dtype = dtype
        self.shape = shape
        self.slices = []  # [(extents, table)]


class V1Reader(object):
    """All tensors of the V1 checkpoint files matching `file_pattern`."""

    def __init__(self, file_pattern):
        self._pattern = file_pattern
        files = sorted(glob.glob(file_pattern))
        if not files:
            raise errors.NotFoundError(
                None, None, "Unsuccessful TensorSliceReader constructor: Failed to find any "
                "matching files for %s" % file_pattern)
        self._tensors = {}
        for path in files:
            self._load(path)

    def _load(self, path):
        table = sstable.Table(v2._map_file(path), path)
        raw = table.get(b"")
        if raw is None:
            raise data_loss("Failed to find the saved tensor slices at the beginning of the "
                            "checkpoint file: %s" % path)
        parsed = v2.parse_proto(protos.SavedTensorSlices, raw)
        if parsed is None:
            raise data_loss("%s: cannot parse the checkpoint metadata" % path)
        meta = parsed.meta
        versions = meta.versions
        if versions.min_consumer > READER_VERSION or READER_VERSION in versions.bad_consumers:
            raise errors.InvalidArgumentError(
                None, None, "Checkpoint %s needs a newer reader (min consumer %d)"
                % (path, versions.min_consumer))
        for saved in meta.tensor:
            where = "%s: tensor %s" % (path, saved.name)
            shape = v2._shape_of(saved.shape, where)
            if saved.type not in _FIELDS:
                raise data_loss("%s has unsupported dtype %d" % (where, saved.type))
            info = self._tensors.get(saved.name)
            if info is None:
                info = self._tensors[saved.name] = _TensorInfo(saved.type, shape)
            elif info.dtype != saved.type or info.shape != shape:
                raise data_loss("%s: dtype or shape differ between checkpoint files" % where)
            for proto in saved.slice:
                extents = slices.from_proto(proto)
                try:
                    slices.slice_shape(shape, extents)
                except errors.InvalidArgumentError as e:
                    raise data_loss("%s: bad slice: %s" % (where, e.message)) from None
                info.slices.append((extents, table))

    @property
    def file_pattern(self):
        return self._pattern

    def names(self):
        return sorted(self._tensors)

    def has_tensor(self, name):
        return name in self._tensors

    def dtype_and_shape(self, name):
        info = self._tensors.get(name)
        if info is None:
            raise errors.NotFoundError(None, None, 'Tensor name "%s" not found in checkpoint '
                                       "files %s" % (name, self._pattern))
        return info.dtype, list(info.shape)

    def num_slices(self, name):
        return len(self._tensors[name].slices)

    def lookup(self, name, extents=None):
        """The tensor `name`, or its slice `extents`, assembled from stored slices."""
        dtype, shape = self.dtype_and_shape(name)
        info = self._tensors[name]
        want = extents or slices.full_slice(len(shape))
        slices.slice_shape(shape, want)
        tables = {}
        stored = []
        for ext, table in info.slices:
            tables[tuple(ext)] = table
            stored.append(ext)

        def read_slice(ext):
            table = tables[tuple(ext)]
            where = "%s: slice %s of %s" % (table.filename, slices.slice_string(ext), name)
            raw = table.get(ordered_code.encode_tensor_name_slice(name, ext))
            if raw is None:
                raise data_loss("%s: the slice's data is missing" % where)
            parsed = v2.parse_proto(protos.SavedTensorSlices, raw)
            if parsed is None:
                raise data_loss("%s: cannot parse the slice data" % where)
            saved = parsed.data
            if saved.name != name or slices.from_proto(saved.slice) != ext:
                raise data_loss("%s: the stored slice names %s %s"
                                % (where, saved.name, slices.from_proto(saved.slice)))
            return tensor_from_proto(saved.data, dtype, slices.slice_shape(shape, ext), where)

        if len(stored) == 1 and slices.is_full(stored[0], shape) and extents is None:
            return read_slice(stored[0])
        return slices.assemble(shape, want, stored, read_slice, v2.numpy_dtype(dtype), name)


# --- writing (TF's TensorSliceWriter) ------------------------------------------

WRITER_VERSION = 1        # TF_CHECKPOINT_VERSION
WRITER_MIN_CONSUMER = 0   # TF_CHECKPOINT_VERSION_MIN_CONSUMER
MAX_MESSAGE_BYTES = 1 << 31      # kMaxMessageBytes: one serialized slice
TENSOR_PROTO_HEADER_BYTES = 1 << 10

# dtype enum -> (TensorProto field number, encoding, TF's MaxBytesPerElement).
# Encodings: "raw" packed fixed-width little-endian values (complex as pairs),
# "varint" packed varints of the values as int64 (int32 fields sign-extend),
# "half" packed varints of the 16-bit patterns, "bool" one byte each.
_WRITE_FIELDS = {
    1: (5, "raw", 4), 2: (6, "raw", 8), 3: (7, "varint", 10), 4: (7, "varint", 2),
    5: (7, "varint", 10), 6: (7, "varint", 10), 7: (8, "string", 10), 8: (9, "raw", 8),
    9: (10, "varint", 10), 10: (11, "bool", 1), 11: (7, "varint", 10), 12: (7, "varint", 2),
    13: (7, "varint", 10), 17: (7, "varint", 3), 18: (12, "raw", 16), 19: (13, "half", 3),
}
# What TF's SaveSlices/Save kernels accept (TF_CALL_SAVE_RESTORE_TYPES); of
# these, uint32 and uint64 then fail in SaveData (no V1 serialization).
_SAVE_TYPES = frozenset(_WRITE_FIELDS) | {22, 23}


def check_save_dtype(dtype_enum):
    """TF's SaveTensors dispatch: Unimplemented for types it cannot save."""
    if dtype_enum not in _SAVE_TYPES:
        try:
            name = v2.dtype_name(dtype_enum)
        except Exception:  # an enum metarun does not know at all
            name = "unknown dtype enum (%d)" % dtype_enum
        raise errors.UnimplementedError(None, None, "Saving data type %s not yet supported"
                                        % name)


def _varint_array(values):
    """Packed varint encoding of a uint64 array, vectorized."""
    v = values.astype(np.uint64, copy=False).reshape(-1)
    if v.size == 0:
        return b""
    nbytes = np.ones(v.size, dtype=np.int64)
    for k in range(1, 10):
        nbytes += v >= np.uint64(1 << (7 * k))
    ends = np.cumsum(nbytes)
    starts = ends - nbytes
    out = np.empty(int(ends[-1]), dtype=np.uint8)
    for j in range(10):
        sel = nbytes > j
        if not sel.any():
            break
        byte = ((v[sel] >> np.uint64(7 * j)) & np.uint64(0x7F)).astype(np.uint8)
        byte |= np.where(nbytes[sel] > j + 1, 0x80, 0).astype(np.uint8)
        out[starts[sel] + j] = byte
    return out.tobytes()


def _field(number, payload):
    """A length-delimited field."""
    return (sstable.encode_varint((number << 3) | 2) + sstable.encode_varint(len(payload))
            + payload)


def encode_values(array, dtype_enum):
    """The TensorProto TF's Fill() makes for a slice: only the typed *_val field."""
    number, kind, _ = _WRITE_FIELDS[dtype_enum]
    if kind == "string":
        tag = sstable.encode_varint((number << 3) | 2)
        return b"".join(tag + sstable.encode_varint(len(item)) + item
                        for item in v2._string_elements(array))
    flat = array.reshape(-1)
    if flat.size == 0:
        return b""  # an empty packed field is not written at all
    if kind == "raw":
        payload = flat.tobytes()  # already little-endian, C order; complex as pairs
    elif kind == "bool":
        payload = flat.view(np.uint8).tobytes()
    elif kind == "half":
        payload = _varint_array(flat.view(np.uint16))
    else:  # int32 fields hold int8..uint16 and qint types sign-extended, as int64
        payload = _varint_array(flat.astype(np.int64).view(np.uint64))
    return _field(number, payload)


def _os_error(e, path):
    """An OSError as the TF error class its errno maps to."""
    cls = {errno.ENOENT: errors.NotFoundError, errno.EACCES: errors.PermissionDeniedError,
           errno.EPERM: errors.PermissionDeniedError, errno.EEXIST: errors.AlreadyExistsError,
           errno.ENOSPC: errors.ResourceExhaustedError, errno.EROFS: errors.PermissionDeniedError,
           errno.ENOTEMPTY: errors.FailedPreconditionError,
           errno.EISDIR: errors.FailedPreconditionError,
           errno.ENOTDIR: errors.FailedPreconditionError}.get(e.errno, errors.UnknownError)
    return cls(None, None, "%s; %s" % (path, e.strerror or e))


class V1Writer(object):
    """Writes one V1 checkpoint file, as TF's TensorSliceWriter.

    add() every slice (in the order TF's SaveSlices kernel would: sorted by
    tensor name, stable), then finish(). Nothing touches the disk before
    finish(), which writes `filename.tempstateN` and renames it into place.
    Like TF, the parent directory is not created.
    """

    def __init__(self, filename):
        self._filename = filename
        self._sts = protos.SavedTensorSlices()
        versions = self._sts.meta.versions
        versions.producer = WRITER_VERSION
        versions.min_consumer = WRITER_MIN_CONSUMER
        self._index = {}   # name bytes -> index in meta.tensor
        self._data = {}    # key -> serialized SavedTensorSlices; first add wins, as std::map
        self._slices = 0
        self._done = False

    @property
    def filename(self):
        return self._filename

    def add(self, name, full_shape, extents, tensor, dtype_enum):
        """Add the slice `extents` (None: the whole tensor) of tensor `name`."""
        check_save_dtype(dtype_enum)
        key_name = v2._as_key(name)
        text = v2._key_text(key_name)
        full_shape = [int(d) for d in full_shape]
        if extents is None:
            extents = slices.full_slice(len(full_shape))
        if len(full_shape) != len(extents):
            raise errors.InternalError(
                None, None, "Incompatible tensor shape and slice: shape = %s, slice = %s"
                % (slices.shape_string(full_shape), slices.slice_string(extents)))
        index = self._index.get(key_name)
        meta = self._sts.meta
        if index is not None:
            ssm = meta.tensor[index]
            stored = [d.size for d in ssm.shape.dim]
            if stored != full_shape:
                raise errors.InternalError(
                    None, None, "Mismatching shapes: existing tensor = %s, trying to add name "
                    "%s, shape = %s" % (slices.shape_string(stored), text,
                                        slices.shape_string(full_shape)))
            if ssm.type != dtype_enum:
                raise errors.InternalError(
                    None, None, "Mismatching types: existing type = %s, trying to add name "
                    "%s, type = %s" % (v2.dtype_name(ssm.type), text, v2.dtype_name(dtype_enum)))
        else:
            index = self._index[key_name] = len(meta.tensor)
            ssm = meta.tensor.add()
            ssm.name = key_name
            ssm.shape.SetInParent()
            for d in full_shape:
                ssm.shape.dim.add(size=d)
            ssm.type = dtype_enum
        slices.to_proto(extents, ssm.slice.add())

        # SavedSlice fields 1 (name; proto3 omits it when empty) and 2 (slice, always present),
        # encoded here: the slice is built as a message of its own, since reifying the unset
        # sub-message of a fresh SavedSlice (saved.slice.SetInParent()) crashed the upb runtime
        # intermittently in long test runs.
        slice_proto = slices.to_proto(extents, protos.TensorSliceProto())
        head = (_field(1, key_name) if key_name else b"") + _field(2, slice_proto.SerializeToString())
        try:
            shape = slices.slice_shape(full_shape, extents)
        except errors.InvalidArgumentError as e:
            raise errors.InternalError(None, None, e.message) from None
        if dtype_enum not in _WRITE_FIELDS:
            raise errors.InvalidArgumentError(
                None, None, "Tensor slice serialization not implemented for dtype %d" % dtype_enum)
        array = v2._as_array(tensor, dtype_enum)
        if list(array.shape) != shape:
            raise errors.InvalidArgumentError(
                None, None, "Tensor %s: data of shape %s given for slice %s of shape %s"
                % (text, slices.shape_string(array.shape), slices.slice_string(extents),
                   slices.shape_string(shape)))
        n = array.size
        per_element = _WRITE_FIELDS[dtype_enum][2]
        bound = len(head) + TENSOR_PROTO_HEADER_BYTES + n * per_element
        if dtype_enum == v2.DT_STRING:
            bound += sum(len(item) for item in v2._string_elements(array))
        if bound > MAX_MESSAGE_BYTES:
            raise errors.InvalidArgumentError(
                None, None, "Tensor slice is too large to serialize (conservative estimate: %d "
                "bytes)" % bound)
        # SavedSlice field 3 (data) comes last, so appending it to the
        # serialized name and slice gives protobuf's canonical bytes.
        value = _field(2, head + _field(3, encode_values(array, dtype_enum)))
        key = ordered_code.encode_tensor_name_slice(key_name, extents)
        self._data.setdefault(key, value)
        self._slices += 1

    def finish(self):
        """Write the table under a temporary name and rename it into place."""
        if self._done:
            raise ValueError("V1Writer already finished")
        self._done = True
        tmp = "%s.tempstate%d" % (self._filename, random.getrandbits(64))
        try:
            f = open(tmp, "wb")
        except OSError as e:
            raise _os_error(e, tmp) from None
        try:
            try:
                with f:
                    builder = sstable.TableBuilder(f)
                    builder.add(b"", self._sts.SerializeToString())
                    for key in sorted(self._data):
                        builder.add(key, self._data[key])
                    builder.finish()
            except OSError as e:
                raise errors.InternalError(
                    None, None, "Error writing (tmp) checkpoint file: %s: %s"
                    % (tmp, e.strerror or e)) from None
            try:
                os.replace(tmp, self._filename)
            except OSError as e:
                raise _os_error(e, tmp) from None
        except BaseException:
            try:
                os.remove(tmp)
            except OSError:
                pass
            raise


def save_order(names):
    """The order TF's SaveTensors adds tensors in: indices sorted by name with
    libstdc++'s std::sort (introsort), which is not stable once there are more
    than 16 names, so the slices of one partitioned variable can be reordered.
    Ported exactly, so the meta entry lists slices in TF's order."""
    keys = [v2._as_key(n) for n in names]
    a = list(range(len(keys)))

    def less(i, j):
        return keys[i] < keys[j]

    def insertion_sort(first, last):
        for i in range(first + 1, last):
            val = a[i]
            if less(val, a[first]):
                a[first + 1:i + 1] = a[first:i]
                a[first] = val
            else:
                unguarded_linear_insert(i)

    def unguarded_linear_insert(i):
        val = a[i]
        nxt = i - 1
        while less(val, a[nxt]):
            a[i] = a[nxt]
            i = nxt
            nxt -= 1
        a[i] = val

    def move_median_to_first(result, x, y, z):
        if less(a[x], a[y]):
            if less(a[y], a[z]):
                m = y
            elif less(a[x], a[z]):
                m = z
            else:
                m = x
        elif less(a[x], a[z]):
            m = x
        elif less(a[y], a[z]):
            m = z
        else:
            m = y
        a[result], a[m] = a[m], a[result]

    def unguarded_partition(first, last, pivot):
        while True:
            while less(a[first], a[pivot]):
                first += 1
            last -= 1
            while less(a[pivot], a[last]):
                last -= 1
            if not first < last:
                return first
            a[first], a[last] = a[last], a[first]
            first += 1

    def push_heap(first, hole, top, value):
        parent = (hole - 1) // 2
        while hole > top and less(a[first + parent], value):
            a[first + hole] = a[first + parent]
            hole = parent
            parent = (hole - 1) // 2
        a[first + hole] = value

    def adjust_heap(first, hole, length, value):
        top = hole
        child = hole
        while child < (length - 1) // 2:
            child = 2 * (child + 1)
            if less(a[first + child], a[first + child - 1]):
                child -= 1
            a[first + hole] = a[first + child]
            hole = child
        if length % 2 == 0 and child == (length - 2) // 2:
            child = 2 * (child + 1)
            a[first + hole] = a[first + child - 1]
            hole = child - 1
        push_heap(first, hole, top, value)

    def heap_sort(first, last):  # std::partial_sort(first, last, last)
        length = last - first
        if length >= 2:
            parent = (length - 2) // 2
            while True:
                adjust_heap(first, parent, length, a[first + parent])
                if parent == 0:
                    break
                parent -= 1
        while last - first > 1:
            last -= 1
            value = a[last]
            a[last] = a[first]
            adjust_heap(first, 0, last - first, value)

    def introsort_loop(first, last, depth):
        while last - first > 16:
            if depth == 0:
                heap_sort(first, last)
                return
            depth -= 1
            mid = first + (last - first) // 2
            move_median_to_first(first, first + 1, mid, last - 1)
            cut = unguarded_partition(first + 1, last, first)
            introsort_loop(cut, last, depth)
            last = cut

    n = len(a)
    if n > 1:
        introsort_loop(0, n, 2 * (n.bit_length() - 1))
        if n > 16:
            insertion_sort(0, 16)
            for i in range(16, n):
                unguarded_linear_insert(i)
        else:
            insertion_sort(0, n)
    return a
