"""`metarun run MODEL.meta --inputs PATH ...`: run a graph over many rows, in batches.

PATH holds the inputs, every one with its rows along dimension 0 (the batch dimension, as a
TF1 placeholder of shape [None, ...] takes them):

    DIR/         one .npy file per input tensor: DIR/x.npy feeds x:0 (files are memory-mapped)
    FILE.npz     one array per input tensor: key x feeds x:0
    FILE.parquet one column per input tensor (needs pyarrow: pip install "metarun[batch]");
                 list columns give one [k] or [k, m] value per row
    FILE.csv     a header row, then one column per input tensor; values parsed as the
                 tensor's dtype

Without --feed-map every file, key or column names a tensor. With --feed-map KEY=TENSOR only
the mapped ones are fed; KEY may join scalar columns, `a,b,c=x`, into one [rows, 3] input. A
column (CSV, Parquet) whose per-row size matches a placeholder's static shape, [None, 1] or
[None, 2, 3], is reshaped to it. --feed NAME=VALUE feeds the same value to every batch.

Each --fetch must give one row per input row (dimension 0 the batch). The batches' results
are concatenated and written next to PATH (or into --out DIR), in PATH's kind:
DIR.outputs/<fetch>.npy, FILE.outputs.npz (one key per fetch), FILE.outputs.parquet (one
column per fetch, list columns for per-row arrays), FILE.outputs.csv (one column per fetch,
per-row arrays flattened into columns name[i], name[i,j]). Parquet and CSV outputs are
written batch by batch; .npy and .npz ones once, at the end. A file appears only when every
batch ran. Progress goes to stderr (tqdm when installed, else a line every few seconds) when
stderr is a terminal or --progress is given.
"""

import csv
import difflib
import os
import sys
import time

import numpy as np

from metarun.cli import BATCH_SIZE_DEFAULT, EXIT_OK, EXIT_RUNTIME, UsageError, _resolve_tensor, \
    _run_error_hint, _sanitize, _shape_text

_PLAIN_PROGRESS_SECONDS = 5.0
_PARQUET_SUFFIXES = (".parquet", ".pq")
_PARQUET_ROW_GROUP = 65536


# --- reading the inputs ----------------------------------------------------------------

def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise UsageError("reading and writing Parquet needs pyarrow: "
                         "pip install \"metarun[batch]\" (or pip install pyarrow)") from None
    return pyarrow


class _ArraySource(object):
    """Whole arrays by key (a directory of .npy files, or an .npz), sliced along dimension 0."""

    columnar = False

    def __init__(self, path, kind, keys, load, labels):
        self.path, self.kind, self._load, self._labels = path, kind, load, labels
        self.keys, self._arrays = sorted(keys), {}

    def row_count(self, keys):
        self._arrays = self._load(keys)
        for key in keys:
            if np.ndim(self._arrays[key]) == 0:
                raise UsageError("%s is a scalar: batch inputs hold their rows along dimension 0 "
                                 "(feed a value every batch shares with --feed NAME=VALUE)"
                                 % self._labels[key])
        rows = {key: len(self._arrays[key]) for key in keys}
        if len(set(rows.values())) > 1:
            raise UsageError("row counts differ: %s (every input holds its rows along "
                             "dimension 0)" % ", ".join("%s has %d" % (self._labels[k], n)
                                                        for k, n in sorted(rows.items())))
        return rows[keys[0]] if keys else 0

    def batches(self, keys, size, rows):
        for start in range(0, rows, size):
            yield {k: np.asarray(self._arrays[k][start:start + size]) for k in keys}


def _npy_dir(path):
    labels = {name[:-4]: name for name in sorted(os.listdir(path))
              if name.endswith(".npy") and os.path.isfile(os.path.join(path, name))}
    if not labels:
        raise UsageError("no .npy files in directory %s (--inputs DIR takes one .npy file per "
                         "input tensor)" % path)

    def load(keys):  # memory-mapped: a batch reads only its own rows
        arrays = {}
        for key in keys:
            full = os.path.join(path, labels[key])
            try:
                arrays[key] = np.load(full, mmap_mode="r", allow_pickle=False)
            except (OSError, ValueError) as e:
                raise UsageError("cannot load %s: %s" % (full, e)) from None
        return arrays
    return _ArraySource(path, "npy", labels, load, labels)


def _npz(path):
    try:
        with np.load(path, allow_pickle=False) as f:
            keys = list(f.files)
    except (OSError, ValueError) as e:
        raise UsageError("cannot load %s: %s" % (path, e)) from None
    if not keys:
        raise UsageError("%s holds no arrays" % path)

    def load(wanted):  # each f[key] decompresses the whole array: once per key, only if fed
        try:
            with np.load(path, allow_pickle=False) as f:
                return {k: f[k] for k in wanted}
        except (OSError, ValueError) as e:
            raise UsageError("cannot load %s: %s" % (path, e)) from None
    return _ArraySource(path, "npz", keys, load,
                        {k: "%s[%r]" % (os.path.basename(path), k) for k in keys})


class _ParquetSource(object):
    kind, columnar = "parquet", True

    def __init__(self, path):
        pa = _pyarrow()
        try:
            self._file = pa.parquet.ParquetFile(path)
        except (OSError, pa.ArrowException) as e:
            raise UsageError("cannot read %s as Parquet: %s" % (path, e)) from None
        self.path, self._pa = path, pa
        self.keys = list(self._file.schema_arrow.names)

    def row_count(self, keys):
        return self._file.metadata.num_rows

    def batches(self, keys, size, rows):
        batches = self._file.iter_batches(batch_size=size, columns=list(keys))
        while True:
            try:
                batch = next(batches, None)
            except (OSError, self._pa.ArrowException) as e:
                raise UsageError("cannot read %s: %s" % (self.path, e)) from None
            if batch is None:
                return
            yield {k: self._numpy(k, batch.column(k)) for k in keys}

    def _numpy(self, key, column):
        types = self._pa.types
        if column.null_count:
            raise UsageError("%s: column %r has %d missing (null) values"
                             % (self.path, key, column.null_count))
        if types.is_fixed_size_list(column.type):
            inner = self._numpy(key, column.flatten())
            return inner.reshape((len(column), column.type.list_size) + inner.shape[1:])
        if types.is_list(column.type) or types.is_large_list(column.type):
            try:
                return np.array(column.to_pylist())
            except ValueError:
                raise UsageError("%s: column %r holds lists of different lengths"
                                 % (self.path, key)) from None
        return column.to_numpy(zero_copy_only=False)


class _CsvSource(object):
    kind, columnar = "csv", True

    def __init__(self, path):
        self.path = path
        try:
            with open(path, newline="") as f:
                self.keys = next(csv.reader(f), None)
        except (OSError, UnicodeDecodeError, csv.Error) as e:
            raise UsageError("cannot read %s: %s" % (path, e)) from None
        if not self.keys:
            raise UsageError("%s is empty (a CSV input starts with a header row)" % path)

    def row_count(self, keys):
        return sum(1 for _ in self._rows()) - 1

    def _rows(self):
        with open(self.path, newline="") as f:
            reader = csv.reader(f)
            try:
                for row in reader:
                    yield reader.line_num, row
            except (csv.Error, UnicodeDecodeError) as e:
                raise UsageError("%s line %d: %s" % (self.path, reader.line_num + 1, e)) from None

    def batches(self, keys, size, rows):
        index = [self.keys.index(k) for k in keys]
        chunk = []
        for line, row in self._rows():
            if line == 1:
                continue
            if len(row) != len(self.keys):
                raise UsageError("%s line %d: %d fields, the header has %d"
                                 % (self.path, line, len(row), len(self.keys)))
            chunk.append([row[i] for i in index])
            if len(chunk) == size:
                yield self._columns(keys, chunk)
                chunk = []
        if chunk:
            yield self._columns(keys, chunk)

    @staticmethod
    def _columns(keys, chunk):
        return {k: np.array([row[i] for row in chunk], dtype=object) for i, k in enumerate(keys)}


def _open_source(path):
    if os.path.isdir(path):
        return _npy_dir(path)
    if not os.path.isfile(path):
        raise UsageError("--inputs: not found: %s" % path)
    lower = path.lower()
    if lower.endswith(".npz"):
        return _npz(path)
    if lower.endswith(_PARQUET_SUFFIXES):
        return _ParquetSource(path)
    if lower.endswith(".csv"):
        return _CsvSource(path)
    raise UsageError("--inputs %s: expected a directory of .npy files, an .npz, a .parquet or a "
                     ".csv file" % path)


# --- feeding ---------------------------------------------------------------------------

class _Input(object):
    """One fed tensor: the source keys it comes from (several: columns stacked), converted to
    the tensor's dtype and, for columns, reshaped to its static per-row shape."""

    def __init__(self, keys, tensor, columnar):
        self.keys, self.tensor = keys, tensor
        self.dtype = tensor.dtype.base_dtype
        self.row_shape = None
        shape = tensor.shape
        if columnar and shape.ndims is not None and shape.ndims >= 1 and \
                None not in shape.as_list()[1:]:
            self.row_shape = tuple(shape.as_list()[1:])

    def value(self, batch):
        parts = [self._convert(k, batch[k]) for k in self.keys]
        try:
            value = parts[0] if len(self.keys) == 1 else np.stack(parts, axis=1)
        except ValueError as e:
            raise UsageError("cannot join columns %s into one tensor: %s"
                             % (", ".join(self.keys), e)) from None
        if self.row_shape is not None and value.shape[1:] != self.row_shape and \
                int(np.prod(value.shape[1:], dtype=np.int64)) == \
                int(np.prod(self.row_shape, dtype=np.int64)):
            value = value.reshape((len(value),) + self.row_shape)
        return value

    def _convert(self, key, values):
        if self.dtype.name == "string":
            return values.astype(object)
        np_dtype = self.dtype.as_numpy_dtype
        try:
            if values.dtype == object and self.dtype.name == "bool":
                return np.array([_parse_bool(v) for v in values], dtype=bool)
            return np.asarray(values, dtype=np_dtype)
        except (ValueError, TypeError, OverflowError) as e:
            raise UsageError("input %r: cannot read it as %s (%s)"
                             % (key, self.dtype.name, e)) from None


def _parse_bool(text):
    if isinstance(text, str):
        low = text.strip().lower()
        if low in ("1", "true", "t", "yes"):
            return True
        if low in ("0", "false", "f", "no"):
            return False
        raise ValueError("%r is not a boolean" % text)
    return bool(text)


def _mapping(source, feed_map):
    """[(keys, tensor name)]: --feed-map's pairs, else every key as a tensor name."""
    if not feed_map:
        return [((k,), k) for k in source.keys]
    pairs = []
    for item in feed_map:
        keys, sep, tensor = item.rpartition("=")
        if not sep or not keys or not tensor:
            raise UsageError("--feed-map expects KEY=TENSOR (a column, .npy file stem or .npz "
                             "key, then a tensor name), got %r" % item)
        keys = tuple(k.strip() for k in keys.split(","))
        if len(keys) > 1 and not source.columnar:
            raise UsageError("--feed-map %s: joining several inputs into one tensor works for "
                             "CSV and Parquet columns" % item)
        for key in keys:
            if key not in source.keys:
                near = difflib.get_close_matches(key, source.keys, n=3, cutoff=0.5)
                raise UsageError("--feed-map %s: %s has no %s %r%s; it has: %s" % (
                    item, source.path, "column" if source.columnar else "array", key,
                    " (did you mean %s?)" % " or ".join(near) if near else "",
                    ", ".join(source.keys[:20]) + (", ..." if len(source.keys) > 20 else "")))
        pairs.append((keys, tensor))
    return pairs


# --- writing the outputs ---------------------------------------------------------------

def _storable(array):
    array = np.asarray(array)
    if array.dtype.name == "bfloat16":  # exact in float32, and readable without ml_dtypes
        return array.astype(np.float32)
    return array


def _output_path(source, out_dir):
    path = os.path.normpath(os.path.abspath(source.path))
    if source.kind == "npy":
        return out_dir or path + ".outputs"
    stem, ext = os.path.splitext(os.path.basename(path))
    return os.path.join(out_dir or os.path.dirname(path), stem + ".outputs" + ext)


class _ArrayWriter(object):
    """.npy files in a directory, or one .npz: the batches concatenated at the end."""

    def __init__(self, path, kind, names):
        self.path, self._kind, self._names = path, kind, [_sanitize(n) for n in names]
        if len(set(self._names)) < len(names):
            raise UsageError("two fetches would be saved under one name: %s"
                             % ", ".join(self._names))
        self._parts = [[] for _ in names]

    def write(self, values):
        for parts, value in zip(self._parts, values):
            parts.append(value)

    def close(self):
        arrays = []
        for parts in self._parts:
            array = np.concatenate(parts)
            arrays.append(array.astype(bytes) if array.dtype == object else array)
        if self._kind == "npz":
            tmp = self.path + ".partial.npz"
            np.savez(tmp, **dict(zip(self._names, arrays)))
            os.replace(tmp, self.path)
            return [self.path]
        os.makedirs(self.path, exist_ok=True)
        written = []
        for name, array in zip(self._names, arrays):
            target = os.path.join(self.path, name + ".npy")
            np.save(target + ".partial.npy", array, allow_pickle=False)
            os.replace(target + ".partial.npy", target)
            written.append(target)
        return written

    def abandon(self):
        pass


class _ParquetWriter(object):
    def __init__(self, path, names):
        self._pa, self.path, self._names = _pyarrow(), path, list(names)
        self._tmp, self._writer, self._tables, self._rows = path + ".partial", None, [], 0

    def _column(self, value):
        pa = self._pa
        flat = value.reshape(-1)
        column = pa.array(list(flat), type=pa.binary()) if value.dtype == object else pa.array(flat)
        for size in reversed(value.shape[1:]):
            column = pa.FixedSizeListArray.from_arrays(column, size)
        return column

    def write(self, values):
        table = self._pa.Table.from_arrays([self._column(v) for v in values], names=self._names)
        self._tables.append(table)
        self._rows += table.num_rows
        if self._rows >= _PARQUET_ROW_GROUP:
            self._flush()

    def _flush(self):
        # Batches are small; Parquet readers want row groups of many thousand rows.
        table = self._pa.concat_tables(self._tables)
        self._tables, self._rows = [], 0
        if self._writer is None:
            self._writer = self._pa.parquet.ParquetWriter(self._tmp, table.schema)
        self._writer.write_table(table)

    def close(self):
        if self._tables:
            self._flush()
        self._writer.close()
        os.replace(self._tmp, self.path)
        return [self.path]

    def abandon(self):
        if self._writer is not None:
            self._writer.close()
            os.remove(self._tmp)


class _CsvWriter(object):
    def __init__(self, path, names):
        self.path, self._names = path, list(names)
        self._tmp, self._file, self._writer = path + ".partial", None, None

    def write(self, values):
        if self._file is None:
            header = []
            for name, value in zip(self._names, values):
                if value.ndim == 1:
                    header.append(name)
                else:
                    header += ["%s[%s]" % (name, ",".join(map(str, i)))
                               for i in np.ndindex(*value.shape[1:])]
            self._file = open(self._tmp, "w", newline="")
            self._writer = csv.writer(self._file)
            self._writer.writerow(header)
        columns = [_csv_text(v).reshape(len(v), int(np.prod(v.shape[1:], dtype=np.int64)))
                   for v in values]
        self._writer.writerows(np.concatenate(columns, axis=1).tolist())

    def close(self):
        self._file.close()
        os.replace(self._tmp, self.path)
        return [self.path]

    def abandon(self):
        if self._file is not None:
            self._file.close()
            os.remove(self._tmp)


def _csv_text(value):
    """Shortest text that reads back to the same value (float32 as float32, not float64)."""
    if value.dtype == object:
        return np.array([v.decode("utf-8", "backslashreplace") if isinstance(v, bytes) else str(v)
                         for v in value.reshape(-1)], dtype=object).reshape(value.shape)
    return value.astype(str).astype(object)


def _writer(source, out_dir, names):
    path = _output_path(source, out_dir)
    if out_dir and source.kind != "npy":
        os.makedirs(out_dir, exist_ok=True)
    if source.kind in ("npy", "npz"):
        return _ArrayWriter(path, source.kind, names)
    if source.kind == "parquet":
        return _ParquetWriter(path, names)
    return _CsvWriter(path, names)


# --- progress --------------------------------------------------------------------------

class _Progress(object):
    """A tqdm bar on stderr when tqdm is installed, else a plain line every few seconds."""

    def __init__(self, total, enabled):
        self._bar, self._plain, self._total, self._done = None, enabled, total, 0
        self._start = self._last = time.monotonic()
        if not enabled:
            return
        try:
            from tqdm import tqdm
        except ImportError:
            return
        self._plain = False
        self._bar = tqdm(total=total, unit="row", desc="metarun run",
                         file=sys.stderr, dynamic_ncols=True)

    def update(self, rows):
        self._done += rows
        if self._bar is not None:
            self._bar.update(rows)
        elif self._plain and time.monotonic() - self._last >= _PLAIN_PROGRESS_SECONDS:
            self._last = time.monotonic()
            self._line()

    def _line(self):
        seconds = time.monotonic() - self._start
        print("metarun run: %d/%d rows (%d%%), %.1f s" % (
            self._done, self._total, 100 * self._done // max(self._total, 1), seconds),
            file=sys.stderr, flush=True)

    def close(self):
        if self._bar is not None:
            self._bar.close()
        elif self._plain:
            self._line()


# --- the run ---------------------------------------------------------------------------

class BatchRun(object):
    """Checked before the session opens: the inputs, their mapping to tensors, the fetches."""

    def __init__(self, args, graph, candidates, feed_dict, fetches):
        if args.batch_size is not None and args.batch_size < 1:
            raise UsageError("--batch-size must be at least 1, got %d" % args.batch_size)
        self.batch_size = args.batch_size or BATCH_SIZE_DEFAULT
        self.source = _open_source(args.inputs)
        self.inputs, fed = [], set(feed_dict)
        for keys, name in _mapping(self.source, args.feed_map):
            what = "--feed-map" if args.feed_map else "%s %s" % (
                os.path.basename(os.path.normpath(self.source.path)),
                "column" if self.source.columnar else "array")
            try:
                tensor = _resolve_tensor(graph, name, what, candidates)
            except UsageError as e:
                if args.feed_map:
                    raise
                raise UsageError("%s; without --feed-map every %s names a tensor: map the ones "
                                 "to feed with --feed-map %s=TENSOR" % (
                                     str(e).rstrip("."), "column" if self.source.columnar
                                     else "array", name)) from None
            if not hasattr(tensor, "dtype"):
                raise UsageError("%s %s: node has no output to feed" % (what, name))
            if tensor in fed:
                raise UsageError("%s is fed twice (by --inputs and --feed, or by two "
                                 "--feed-map pairs)" % tensor.name)
            fed.add(tensor)
            self.inputs.append(_Input(keys, tensor, self.source.columnar))
        keys = sorted(set(k for i in self.inputs for k in i.keys))
        self.keys = keys
        self.rows = self.source.row_count(keys)
        if self.rows == 0:
            raise UsageError("%s has no rows" % self.source.path)
        for name, fetch in zip(args.fetch, fetches):
            if not hasattr(fetch, "dtype"):
                raise UsageError("--fetch %s is an operation; a batch run fetches tensors with "
                                 "one row per input row" % name)
        self.names, self.fetches, self.feed_dict = list(args.fetch), fetches, feed_dict
        self.writer = _writer(self.source, args.out, self.names)
        self.progress = sys.stderr.isatty() if args.progress is None else args.progress

    def run(self, sess, info, meta_path, restored):
        from metarun import errors
        start, done, count = time.monotonic(), 0, 0
        progress = _Progress(self.rows, self.progress)
        finished = False
        try:
            for batch in self.source.batches(self.keys, self.batch_size, self.rows):
                feeds = dict(self.feed_dict)
                for item in self.inputs:
                    feeds[item.tensor] = item.value(batch)
                rows = len(feeds[self.inputs[0].tensor])
                try:
                    values = sess.run(self.fetches, feeds)
                except errors.OpError as e:
                    print("error: %s: %s (rows %d to %d)%s" % (
                        type(e).__name__, str(e).strip(), done, done + rows - 1,
                        _run_error_hint(e, info, meta_path, restored)), file=sys.stderr)
                    return EXIT_RUNTIME
                except (TypeError, ValueError) as e:
                    raise UsageError(str(e)) from None
                values = [_storable(v) for v in values]
                for name, value in zip(self.names, values):
                    if value.ndim == 0 or len(value) != rows:
                        raise UsageError(
                            "--fetch %s gave shape %s for a batch of %d rows; a batch run needs "
                            "one row per input row (the batch as dimension 0)"
                            % (name, _shape_text(list(value.shape)), rows))
                self.writer.write(values)
                done += rows
                count += 1
                progress.update(rows)
            written = self.writer.close()
            finished = True
        finally:
            progress.close()
            if not finished:
                self.writer.abandon()
        seconds = time.monotonic() - start
        print("ran %d rows in %d batch%s of up to %d rows: %.2f s, %.0f rows/s" % (
            done, count, "" if count == 1 else "es", self.batch_size, seconds,
            done / max(seconds, 1e-9)))
        for path in written:
            print("wrote %s" % path)
        return EXIT_OK
