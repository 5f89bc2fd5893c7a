"""TFRecord files from Python: tf.io.TFRecordWriter, TFRecordOptions and tf_record_iterator.

A record is framed as TF frames it: the length (uint64, little endian), the masked crc32c of
those 8 bytes, the data, the masked crc32c of the data. GZIP and ZLIB files are that stream
deflated by zlib with TF's settings (default level, 15 window bits, +16 for gzip, memLevel 9).
"""
import enum
import struct
import zlib

from metarun import errors
from metarun._file_io import _as_bytes, _local, _path


def _crc32c():
    """The checkpoint package's crc32c, imported when a record is first framed or checked."""
    from metarun.bundle import crc32c
    return crc32c


class TFRecordCompressionType(enum.IntEnum):
    NONE = 0
    ZLIB = 1
    GZIP = 2


class TFRecordOptions(object):
    """How a TFRecord file is compressed (the zlib settings beyond the type are accepted)."""

    compression_type_map = {
        TFRecordCompressionType.ZLIB: "ZLIB",
        TFRecordCompressionType.GZIP: "GZIP",
        TFRecordCompressionType.NONE: "",
    }

    def __init__(self, compression_type=None, flush_mode=None, input_buffer_size=None, output_buffer_size=None,
                 window_bits=None, compression_level=None, compression_method=None, mem_level=None,
                 compression_strategy=None):
        if compression_type is None:
            compression_type = ""
        if isinstance(compression_type, TFRecordCompressionType):
            compression_type = self.compression_type_map[compression_type]
        if compression_type not in ("", "ZLIB", "GZIP"):
            raise ValueError('compression_type must be one of "", "ZLIB", or "GZIP": %r' % (compression_type,))
        self.compression_type = compression_type
        self.flush_mode = flush_mode
        self.input_buffer_size = input_buffer_size
        self.output_buffer_size = output_buffer_size
        self.window_bits = window_bits
        self.compression_level = compression_level
        self.compression_method = compression_method
        self.mem_level = mem_level
        self.compression_strategy = compression_strategy

    @classmethod
    def get_compression_type_string(cls, options):
        if not options:
            return ""
        if isinstance(options, TFRecordOptions):
            return cls.get_compression_type_string(options.compression_type)
        if isinstance(options, TFRecordCompressionType):
            return cls.compression_type_map[options]
        if options in TFRecordOptions.compression_type_map.values():
            return options
        raise ValueError('Not a valid compression_type: "{}"'.format(options))


def _options(options):
    if isinstance(options, TFRecordOptions):
        return options
    return TFRecordOptions(TFRecordOptions.get_compression_type_string(options))


def _frame(record):
    header = struct.pack("<Q", len(record))
    crc32c = _crc32c()
    return (header + struct.pack("<I", crc32c.mask(crc32c.value(header))) + record +
            struct.pack("<I", crc32c.mask(crc32c.value(record))))


class TFRecordWriter(object):
    """Writes records to a TFRecord file (created or truncated when the writer is made)."""

    def __init__(self, path, options=None):
        self._options = _options(options)
        name = _local(_path(path))
        try:
            self._file = open(name, "wb")
        except OSError as e:
            from metarun._file_io import _os_error
            raise _os_error(name, e) from None
        self._compressor = None
        kind = self._options.compression_type
        if kind:
            level = self._options.compression_level
            bits = self._options.window_bits or 15
            self._compressor = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION if level is None else level,
                                                zlib.DEFLATED, bits + 16 if kind == "GZIP" else bits,
                                                self._options.mem_level or 9)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _put(self, data):
        if self._file is None:
            raise errors.FailedPreconditionError(None, None, "Writer is closed.")
        if self._compressor is not None:
            data = self._compressor.compress(data)
        self._file.write(data)

    def write(self, record):
        self._put(_frame(_as_bytes(record)))

    def flush(self):
        if self._file is None:
            raise errors.FailedPreconditionError(None, None, "Writer is closed.")
        if self._compressor is not None:
            self._file.write(self._compressor.flush(zlib.Z_SYNC_FLUSH))
        self._file.flush()

    def close(self):
        if self._file is None:
            return
        if self._compressor is not None:
            self._file.write(self._compressor.flush(zlib.Z_FINISH))
        self._file.close()
        self._file = None


def _records(data, path):
    crc32c = _crc32c()
    pos = 0
    while pos < len(data):
        if len(data) - pos < 12:
            raise errors.DataLossError(None, None, "truncated record at %d' failed with Data loss: %s"
                                       % (pos, path))
        header = data[pos:pos + 8]
        (masked,) = struct.unpack("<I", data[pos + 8:pos + 12])
        if crc32c.mask(crc32c.value(header)) != masked:
            raise errors.DataLossError(None, None, "corrupted record at %d" % pos)
        (length,) = struct.unpack("<Q", header)
        end = pos + 12 + length
        if end + 4 > len(data):
            raise errors.DataLossError(None, None, "truncated record at %d' failed with Data loss: %s"
                                       % (pos, path))
        record = data[pos + 12:end]
        (masked,) = struct.unpack("<I", data[end:end + 4])
        if crc32c.mask(crc32c.value(record)) != masked:
            raise errors.DataLossError(None, None, "corrupted record at %d" % pos)
        yield record
        pos = end + 4


def tf_record_iterator(path, options=None):
    """The records of a TFRecord file, in order (DataLossError on a corrupt or truncated one); as
    TF's, a generator: the file is read when the first record is asked for."""
    kind = _options(options).compression_type
    name = _local(_path(path))
    try:
        with open(name, "rb") as f:
            data = f.read()
    except OSError as e:
        from metarun._file_io import _os_error
        raise _os_error(name, e) from None
    if kind:
        try:
            data = zlib.decompress(data, 15 + 16 if kind == "GZIP" else 15)
        except zlib.error as e:
            raise errors.DataLossError(None, None, "%s: %s" % (name, e)) from None
    yield from _records(data, name)
