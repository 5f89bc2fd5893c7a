"""TensorBundle (V2 checkpoint) reading and writing (FORMATS.md 2.3-2.5).

`P.index` is an SSTable: key "" holds a BundleHeaderProto, every other key a
BundleEntryProto saying where a tensor's bytes live in `P.data-SSSSS-of-NNNNN`.
Data shards are memory-mapped; numeric tensors are returned as read-only
numpy views over the map (no copy), after their crc32c has been checked.

Writing produces the same bytes as TF's BundleWriter: tensors appended to the
data file in the order given, index keys sorted, and both files written under
temporary names and renamed into place (data first), so an interrupted save
never leaves a checkpoint that looks complete but is not.
"""

import glob
import mmap
import os
import random
import stat
import struct
import time

import numpy as np

from metarun import errors
from metarun.bundle import crc32c, ordered_code, slices, sstable
from metarun.framework import dtypes as _dtypes
from metarun.framework import protos

HEADER_KEY = b""
VERSION = 1                # kTensorBundleVersion: what we write
MIN_CONSUMER = 0
READER_VERSION = 1         # what we can read
LITTLE, BIG = 0, 1
DT_STRING = 7
_UNSUPPORTED = (0, 20, 21)  # invalid, resource, variant

data_loss = sstable.data_loss


def _not_found(message):
    return errors.NotFoundError(None, None, message)


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def data_filename(prefix, shard, num_shards):
    return "%s.data-%05d-of-%05d" % (prefix, shard, num_shards)


def index_filename(prefix):
    return prefix + ".index"


def numpy_dtype(dtype_enum):
    """numpy dtype for a DataType enum value; object for strings."""
    if dtype_enum in _UNSUPPORTED or dtype_enum % 100 not in _dtypes._TYPES:
        raise errors.UnimplementedError(
            None, None, "Checkpointed tensors of dtype %d are not supported" % dtype_enum)
    return np.dtype(_dtypes.as_dtype(dtype_enum).as_numpy_dtype)


def dtype_name(dtype_enum):
    """TF's DataTypeString ("float", "int32", ...) for error messages."""
    try:
        return _dtypes.as_dtype(dtype_enum)._tf_name()
    except TypeError:
        return "unknown dtype %d" % dtype_enum


def _map_file(path):
    """Read-only mmap of a whole file (b"" when empty: mmap rejects size 0)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        raise _not_found("%s; No such file or directory" % path) from None
    except OSError as e:
        raise errors.UnknownError(None, None, "%s; %s" % (path, e.strerror)) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise errors.FailedPreconditionError(None, None, "%s; Is not a regular file" % path)
        if st.st_size == 0:
            return b""
        return mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
    except OSError as e:
        raise errors.UnknownError(None, None, "%s; %s" % (path, e.strerror or e)) from None
    finally:
        os.close(fd)


# A tensor of at least this many bytes is read with pread into a new array of its own instead
# of being viewed in the mapped data file: the executor hands that array to the variable
# that restores it, which keeps it (no copy), and no page of the data file stays resident.
# METARUN_RESTORE_DIRECT=0 (read once) turns this off: every tensor is then a view of the map.
DIRECT_READ_BYTES = 1 << 16
_direct = None


def _direct_reads():
    global _direct
    if _direct is None:
        _direct = os.environ.get("METARUN_RESTORE_DIRECT", "1") != "0"
    return _direct


def _pread_into(path, offset, array):
    """Fill `array` with the bytes at `offset` of `path` (checked to lie inside the file)."""
    target = memoryview(array.reshape(-1).view(np.uint8))
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError as e:
        raise errors.UnknownError(None, None, "%s; %s" % (path, e.strerror)) from None
    try:
        done = 0
        while done < len(target):
            got = os.preadv(fd, [target[done:]], offset + done)
            if got <= 0:
                raise data_loss("%s: file ended at offset %d, inside a tensor" % (path, offset + done))
            done += got
    except OSError as e:
        raise errors.UnknownError(None, None, "%s; %s" % (path, e.strerror or e)) from None
    finally:
        os.close(fd)


def parse_proto(cls, raw):
    """cls.FromString(raw), or None when the bytes are not a valid message.

    Imports protobuf's error class only when parsing fails, keeping
    `import metarun.bundle` free of protobuf.
    """
    try:
        return cls.FromString(raw)
    except Exception as e:
        from google.protobuf.message import DecodeError
        if isinstance(e, DecodeError):
            return None
        raise


def _shape_of(shape_proto, what):
    if shape_proto.unknown_rank:
        raise data_loss("%s has an unknown rank" % what)
    dims = [d.size for d in shape_proto.dim]
    if any(d < 0 for d in dims):
        raise data_loss("%s has a negative dimension: %s" % (what, dims))
    return dims


def _num_elements(dims):
    n = 1
    for d in dims:
        n *= d
    return n


# --- reading -----------------------------------------------------------------

class BundleReader(object):
    """Reads the tensors of one V2 checkpoint prefix."""

    def __init__(self, prefix):
        self._prefix = prefix
        path = index_filename(prefix)
        self._index_path = path
        table = sstable.Table(_map_file(path), path)
        self._raw = dict(table)   # key bytes -> serialized BundleEntryProto
        self._parsed = {}
        self._shards = {}
        header_bytes = self._raw.pop(HEADER_KEY, None)
        if header_bytes is None:
            raise self._unreadable("failed to seek to header entry")
        header = parse_proto(protos.BundleHeaderProto, header_bytes)
        if header is None:
            raise self._unreadable("failed to parse the header entry")
        version = header.version
        if version.min_consumer > READER_VERSION or READER_VERSION in version.bad_consumers \
                or version.producer < 0:
            raise _invalid("Checkpoint %s: producer version %d, min consumer %d, bad consumers "
                           "%s; this reader is version %d" % (path, version.producer,
                                                              version.min_consumer,
                                                              list(version.bad_consumers),
                                                              READER_VERSION))
        if header.num_shards < 1 or header.endianness not in (LITTLE, BIG):
            raise self._unreadable("bad header: num_shards %d, endianness %d"
                                   % (header.num_shards, header.endianness))
        self._header = header
        self._num_shards = header.num_shards
        self._swap = header.endianness != LITTLE  # the host is little-endian

    def _unreadable(self, why):
        return data_loss("Unable to read file (%s). Perhaps the file is corrupt or was produced "
                         "by a newer version of TensorFlow with format changes (%s)"
                         % (self._index_path, why))

    @property
    def prefix(self):
        return self._prefix

    @property
    def header(self):
        return self._header

    def keys(self):
        """Every key except the header, sorted (bytes; slice keys included)."""
        return sorted(self._raw)

    def has_key(self, key):
        return _as_key(key) in self._raw

    def entry(self, key):
        """The BundleEntryProto of `key`; NotFoundError when absent."""
        key = _as_key(key)
        entry = self._parsed.get(key)
        if entry is None:
            raw = self._raw.get(key)
            if raw is None:
                raise _not_found("Key %s not found in checkpoint" % _key_text(key))
            entry = parse_proto(protos.BundleEntryProto, raw)
            if entry is None:
                raise data_loss("%s: cannot parse the entry for key %s"
                                % (self._index_path, _key_text(key)))
            self._parsed[key] = entry
        return entry

    def dtype_and_shape(self, key):
        """(DataType enum, full shape list) of a tensor."""
        entry = self.entry(key)
        return entry.dtype, _shape_of(entry.shape, "entry %s" % _key_text(_as_key(key)))

    def lookup(self, key, extents=None):
        """The tensor under `key`, or its slice `extents` ([(start, length)])."""
        key = _as_key(key)
        entry = self.entry(key)
        shape = _shape_of(entry.shape, "entry %s" % _key_text(key))
        if extents is not None:
            slices.slice_shape(shape, extents)  # rank and bounds
        if not entry.slices:
            value = self._read(key, entry)
            if extents is None or slices.is_full(extents, shape):
                return value
            return value[tuple(slice(lo, hi) for lo, hi in slices.bounds(extents, shape))]
        stored = []
        for proto in entry.slices:
            ext = slices.from_proto(proto)
            try:
                slices.slice_shape(shape, ext)
            except errors.InvalidArgumentError as e:
                raise data_loss("%s: bad slice for key %s: %s"
                                % (self._index_path, _key_text(key), e.message)) from None
            stored.append(ext)

        def read_slice(ext):
            slice_key = ordered_code.encode_tensor_name_slice(key, ext)
            slice_entry = self.entry(slice_key)
            want = slices.slice_shape(shape, ext)
            got = _shape_of(slice_entry.shape, "slice entry of %s" % _key_text(key))
            if slice_entry.dtype != entry.dtype or got != want:
                raise data_loss("%s: slice %s of %s holds %s%s, expected %s%s"
                                % (self._index_path, slices.slice_string(ext), _key_text(key),
                                   dtype_name(slice_entry.dtype), got,
                                   dtype_name(entry.dtype), want))
            return self._read(slice_key, slice_entry)

        return slices.assemble(shape, extents or slices.full_slice(len(shape)), stored,
                               read_slice, numpy_dtype(entry.dtype), _key_text(key))

    def _shard(self, shard_id):
        data = self._shards.get(shard_id)
        if data is None:
            data = _map_file(data_filename(self._prefix, shard_id, self._num_shards))
            self._shards[shard_id] = data
        return data

    def _read(self, key, entry):
        """Decode one stored (unsliced) tensor after checking size and crc."""
        dims = _shape_of(entry.shape, "entry %s" % _key_text(key))
        np_type = numpy_dtype(entry.dtype)
        n = _num_elements(dims)
        if not 0 <= entry.shard_id < self._num_shards:
            raise data_loss("%s: key %s names data shard %d of %d"
                            % (self._index_path, _key_text(key), entry.shard_id,
                               self._num_shards))
        path = data_filename(self._prefix, entry.shard_id, self._num_shards)
        data = self._shard(entry.shard_id)
        offset, size = entry.offset, entry.size
        if offset < 0 or size < 0 or offset > len(data) or size > len(data) - offset:
            raise data_loss("%s: entry for key %s (offset %d, size %d) lies outside the "
                            "data file of %d bytes" % (path, _key_text(key), offset, size,
                                                       len(data)))
        if entry.dtype == DT_STRING:
            return self._read_strings(key, entry, data, n, dims, path)
        expected = n * np_type.itemsize
        if size != expected:
            raise data_loss("Invalid size in bundle entry: key %s; stored size %d; expected "
                            "size %d" % (_key_text(key), size, expected))
        if size >= DIRECT_READ_BYTES and not self._swap and _direct_reads():
            array = np.empty(dims, dtype=np_type)
            _pread_into(path, offset, array)
            self._check_crc(entry, crc32c.value(array.reshape(-1).view(np.uint8)), path, offset)
            return array
        view = memoryview(data)[offset:offset + size]
        self._check_crc(entry, crc32c.value(view), path, offset)
        if n == 0:
            return np.zeros(dims, dtype=np_type)
        array = np.frombuffer(data, dtype=np_type, count=n, offset=offset).reshape(dims)
        if self._swap:
            array = _byteswap(array)
        return array

    def _read_strings(self, key, entry, data, n, dims, path):
        offset, end = entry.offset, entry.offset + entry.size
        # Every element costs at least one varint byte: rules out absurd shapes
        # before any per-element work.
        if n > entry.size:
            raise data_loss("%s: string entry %s at offset %d: %d elements cannot fit in %d "
                            "bytes" % (path, _key_text(key), offset, n, entry.size))
        lengths = []
        pos = offset
        try:
            for _ in range(n):
                length, pos = sstable.decode_varint(data, pos, end)
                lengths.append(length)
        except ValueError:
            raise data_loss("%s: bad string length in entry %s at offset %d"
                            % (path, _key_text(key), pos)) from None
        total = sum(lengths)
        if end - pos < 4 or total != end - pos - 4:
            raise data_loss("%s: string entry %s at offset %d: lengths add up to %d bytes, the "
                            "entry holds %d" % (path, _key_text(key), offset, total,
                                                max(end - pos - 4, 0)))
        stored = bytes(data[pos:pos + 4])
        length_crc = crc32c.value(_length_bytes(lengths))
        if crc32c.mask(length_crc) != struct.unpack("<I", stored)[0]:
            raise data_loss("%s: checksum of string lengths does not match for key %s at "
                            "offset %d" % (path, _key_text(key), offset))
        body = pos + 4
        crc = crc32c.extend(crc32c.extend(length_crc, stored), memoryview(data)[body:end])
        self._check_crc(entry, crc, path, offset)
        out = np.empty(n, dtype=object)
        for i, length in enumerate(lengths):
            out[i] = bytes(data[body:body + length])
            body += length
        return out.reshape(dims)

    def _check_crc(self, entry, crc, path, offset):
        if crc32c.mask(crc) != entry.crc32c:
            raise data_loss("TensorBundle at %s shard %d (%d bytes): Checksum does not match: "
                            "stored %d vs. calculated on the restored bytes %d (entry at "
                            "offset %d of %s)" % (self._prefix, entry.shard_id, entry.size,
                                                  entry.crc32c, crc32c.mask(crc), offset, path))


def _byteswap(array):
    if array.dtype.itemsize == 1:
        return array
    if array.dtype.kind == "c":  # swap the two halves' bytes separately
        return array.byteswap()
    raw = array.view("u%d" % array.dtype.itemsize).byteswap()
    return raw.view(array.dtype)


def _length_bytes(lengths):
    """The lengths as TF checksums them: uint32 LE, or uint64 LE past 4 GiB."""
    if not lengths:
        return b""
    if max(lengths) <= 0xFFFFFFFF:
        return np.asarray(lengths, dtype="<u4").tobytes()
    return b"".join(struct.pack("<I" if x <= 0xFFFFFFFF else "<Q", x) for x in lengths)


def _as_key(key):
    return key.encode("utf-8") if isinstance(key, str) else bytes(key)


def _key_text(key):
    return key.decode("utf-8", "backslashreplace")


# --- writing -----------------------------------------------------------------

def _temp_name(path):
    return "%s.tempstate%d" % (path, random.getrandbits(64))


# A temporary file untouched this long belongs to a writer that was killed: a
# live one keeps writing to it.
STALE_TEMP_SECONDS = 60.0


def remove_stale_temps(path):
    """Remove what killed writes of `path` left: `path.tempstate*` files not
    modified for STALE_TEMP_SECONDS."""
    now = time.time()
    for tmp in glob.glob(glob.escape(path) + ".tempstate*"):
        try:
            if now - os.stat(tmp).st_mtime > STALE_TEMP_SECONDS:
                os.remove(tmp)
        except OSError:
            pass  # gone already, or not ours to remove


def create_parent_dir(prefix):
    """Create the prefix's directory, one level only, as TF's writers do."""
    dirname = os.path.dirname(prefix)
    if not dirname or os.path.isdir(dirname):
        return
    try:
        os.mkdir(dirname)
    except FileExistsError:
        pass
    except FileNotFoundError:
        raise _not_found("Failed to create a directory: %s; No such file or directory"
                         % dirname) from None
    except OSError as e:
        raise errors.UnknownError(None, None, "Failed to create a directory: %s; %s"
                                  % (dirname, e.strerror)) from None


def _string_elements(array):
    out = []
    for item in array.reshape(-1):
        if isinstance(item, str):
            item = item.encode("utf-8")
        elif not isinstance(item, bytes):
            try:
                item = bytes(item)
            except TypeError:
                raise _invalid("Cannot save %r in a string tensor" % (item,)) from None
        out.append(item)
    return out


def _as_array(tensor, dtype_enum):
    np_type = numpy_dtype(dtype_enum)
    if dtype_enum == DT_STRING:
        return np.asarray(tensor, dtype=object)
    array = np.asarray(tensor)
    if array.dtype != np_type:
        array = array.astype(np_type)
    if array.dtype.byteorder == ">":
        array = array.astype(array.dtype.newbyteorder("<"))
    if not array.flags.c_contiguous:
        array = array.copy(order="C")  # np.ascontiguousarray would make 0-d arrays 1-d
    return array


class BundleWriter(object):
    """Writes a single-shard V2 checkpoint; call finish() to commit it."""

    def __init__(self, prefix):
        self._prefix = prefix
        create_parent_dir(prefix)
        self._data_path = data_filename(prefix, 0, 1)
        for path in (self._data_path, index_filename(prefix)):
            remove_stale_temps(path)
        self._tmp_data = _temp_name(self._data_path)
        self._tmp_index = None
        try:
            self._file = open(self._tmp_data, "wb")
        except OSError as e:
            raise errors.from_os_error(self._tmp_data, e) from None
        self._offset = 0
        self._entries = {}
        self._done = False

    def add(self, key, tensor, dtype_enum):
        """Append a whole tensor under `key`."""
        key = _as_key(key)
        if key in self._entries:
            raise _invalid("Adding duplicate key: %s" % _key_text(key))
        array = _as_array(tensor, dtype_enum)
        entry = protos.BundleEntryProto()
        entry.dtype = dtype_enum
        entry.shape.SetInParent()  # TF writes `shape {}` even for scalars
        for d in array.shape:
            entry.shape.dim.add(size=d)
        entry.offset = self._offset
        if dtype_enum == DT_STRING:
            size, crc = self._write_strings(array)
        else:
            raw = array.reshape(-1).view(np.uint8)  # bool, complex, bf16 alike
            size = self._write(memoryview(raw)) if raw.size else 0
            crc = crc32c.value(raw) if size else 0
        entry.size = size
        entry.crc32c = crc32c.mask(crc)
        self._offset += size
        self._entries[key] = entry

    def add_slice(self, full_name, full_shape, extents, tensor, dtype_enum):
        """Append one slice of the tensor `full_name`, as a partitioned variable
        part is saved: a slice entry plus the full entry that lists slices."""
        full_shape = list(full_shape)
        if slices.is_full(extents, full_shape):
            return self.add(full_name, tensor, dtype_enum)
        key = _as_key(full_name)
        entry = self._entries.get(key)
        if entry is None:
            entry = protos.BundleEntryProto()
            self._entries[key] = entry
        elif not entry.slices:
            raise _invalid("Adding duplicate key: %s" % _key_text(key))
        elif entry.dtype != dtype_enum or _shape_of(entry.shape, "entry") != full_shape:
            raise _invalid("Slices of %s disagree on dtype or shape" % _key_text(key))
        entry.dtype = dtype_enum
        entry.shape.Clear()
        entry.shape.SetInParent()
        for d in full_shape:
            entry.shape.dim.add(size=d)
        slices.to_proto(extents, entry.slices.add())
        self.add(ordered_code.encode_tensor_name_slice(key, extents), tensor, dtype_enum)

    def _write(self, buf):
        try:
            self._file.write(buf)
        except OSError as e:  # a full disk is TF's ResourceExhaustedError
            raise errors.from_os_error(self._data_path, e) from None
        return len(buf)

    def _write_strings(self, array):
        items = _string_elements(array)
        lengths = [len(s) for s in items]
        varints = b"".join(sstable.encode_varint(x) for x in lengths)
        length_crc = crc32c.value(_length_bytes(lengths))
        stored = struct.pack("<I", crc32c.mask(length_crc))
        body = b"".join(items)
        crc = crc32c.extend(crc32c.extend(length_crc, stored), body)
        size = self._write(varints) + self._write(stored) + self._write(body)
        return size, crc

    def finish(self):
        """Commit: rename the data file into place, then write the index."""
        if self._done:
            raise ValueError("BundleWriter already finished")
        self._done = True
        try:
            try:
                self._file.close()
                os.replace(self._tmp_data, self._data_path)
            except OSError as e:
                raise errors.from_os_error(self._data_path, e) from None
            write_index(self._prefix, 1, self._entries)
        except BaseException:
            self.abort()
            raise

    def abort(self):
        """Drop the temporary files of an unfinished write."""
        self._done = True
        try:
            self._file.close()
        finally:
            if os.path.exists(self._tmp_data):
                os.remove(self._tmp_data)


def write_index(prefix, num_shards, entries, endianness=LITTLE):
    """Write `P.index` atomically from {key bytes: BundleEntryProto}."""
    header = protos.BundleHeaderProto()
    header.num_shards = num_shards
    header.endianness = endianness
    header.version.producer = VERSION
    header.version.min_consumer = MIN_CONSUMER
    path = index_filename(prefix)
    tmp = _temp_name(path)
    try:
        try:
            with open(tmp, "wb") as f:
                builder = sstable.TableBuilder(f)
                builder.add(HEADER_KEY, header.SerializeToString())
                for key in sorted(entries):
                    builder.add(key, entries[key].SerializeToString())
                builder.finish()
            os.replace(tmp, path)
        except OSError as e:
            raise errors.from_os_error(path, e) from None
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
