"""tf.data's file readers: TFRecordDataset, TextLineDataset, FixedLengthRecordDataset.

As in TF, the file names become a TensorSliceDataset (`is_files`) of the flattened name tensor
(`flat_filenames`), and each file is read by a dataset made in a flat_map function
(`read_one_file`); num_parallel_reads makes that an interleave (AUTOTUNE) or the legacy
parallel interleave. The reader op's optional arguments are constants holding TF's defaults
(buffer_size 256 KiB for text and fixed-length records, -1 for TFRecords).
"""
import os

import numpy as np

from metarun.data import _structure as structure
from metarun.data.dataset_ops import AUTOTUNE, Dataset, _int64, _metadata, _tensor_slices
from metarun.framework import dtypes
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape
from metarun.ops.misc_types import TensorSpec

_DEFAULT_READER_BUFFER_SIZE_BYTES = 256 * 1024
_DEFAULT_TF_RECORD_BUFFER_SIZE_BYTES = -1

_STRING = TensorSpec([], dtypes.string)


def _optional(name, value, default=0, dtype=dtypes.int64):
    return convert_to_tensor(default if value is None else value, dtype=dtype, name=name)


def _filenames_dataset(filenames, name=None):
    from metarun.ops.array_ops import reshape
    if isinstance(filenames, Dataset):
        if filenames.output_types != dtypes.string:
            raise TypeError("The `filenames` argument must contain `tf.string` elements. Got a dataset of `%r` "
                            "elements." % (filenames.output_types,))
        if not filenames.output_shapes.is_compatible_with(TensorShape([])):
            raise TypeError("The `filenames` argument must contain `tf.string` elements of shape [] (i.e. scalars). "
                            "Got a dataset of element shape %r." % (filenames.output_shapes,))
        return filenames
    if isinstance(filenames, os.PathLike):
        filenames = os.fspath(filenames)
    elif isinstance(filenames, (list, tuple)):
        filenames = [os.fspath(f) if isinstance(f, os.PathLike) else f for f in filenames]
    filenames = convert_to_tensor(filenames, preferred_dtype=dtypes.string)
    if filenames.dtype != dtypes.string:
        raise TypeError("The `filenames` argument must contain `tf.string` elements. Got `%r` elements."
                        % (filenames.dtype,))
    filenames = reshape(filenames, [-1], name="flat_filenames")
    return _tensor_slices(filenames, is_files=True, name=name)


def _reader(creator, filenames, num_parallel_reads, name):
    def read_one_file(filename):
        filename = convert_to_tensor(filename, dtypes.string, name="filename")
        return creator(filename)

    if num_parallel_reads is None:
        return filenames.flat_map(read_one_file, name=name)
    if num_parallel_reads == AUTOTUNE:
        return filenames.interleave(read_one_file, num_parallel_calls=num_parallel_reads, name=name)
    return _legacy_parallel_interleave(filenames, read_one_file, num_parallel_reads, name)


def _legacy_parallel_interleave(filenames, read_one_file, cycle_length, name):
    """TF's readers ParallelInterleaveDataset (sloppy=False): LegacyParallelInterleaveDatasetV2."""
    from metarun.data import _function
    from metarun.data.dataset_ops import _dataset_function_element, _wrap
    fn = _function.StructuredFunction(read_one_file, "tf.data.experimental.parallel_interleave()",
                                      filenames.element_spec)
    spec = _dataset_function_element(fn)
    cycle = _int64(cycle_length, "cycle_length")
    block = _int64(1, "block_length")
    buffer_output = _optional("buffer_output_elements", None, 2 * 1)
    prefetch_input = _optional("prefetch_input_elements", None, 2 * cycle_length)
    variant = apply_op("LegacyParallelInterleaveDatasetV2", input_dataset=filenames._variant_tensor,
                       other_arguments=fn.captured_inputs, cycle_length=cycle, block_length=block,
                       buffer_output_elements=buffer_output, prefetch_input_elements=prefetch_input,
                       f=fn.func_attr(), deterministic="true", output_types=structure.flat_types(spec),
                       output_shapes=structure.flat_shapes(spec), metadata=_metadata(name))
    return _wrap(variant, spec, [filenames], [fn])


def _one_file(op_type, name, **inputs):
    variant = apply_op(op_type, metadata=_metadata(name), **inputs)
    return Dataset(variant, _STRING)


class _FileDataset(Dataset):
    """A reader dataset: the pipeline TF builds for it, typed as the reader's class."""

    def _adopt(self, impl, filenames):
        Dataset.__init__(self, impl._variant_tensor, _STRING, impl._inputs(), impl._function_list)
        self._filenames = filenames


class TFRecordDataset(_FileDataset):
    """The records of one or more TFRecord files (crc-checked; GZIP/ZLIB compression)."""

    def __init__(self, filenames, compression_type=None, buffer_size=None, num_parallel_reads=None, name=None):
        filenames = _filenames_dataset(filenames, name)

        def creator(filename):
            return _one_file("TFRecordDataset", name, filenames=filename,
                             compression_type=_optional("compression_type", compression_type, "", dtypes.string),
                             buffer_size=_optional("buffer_size", buffer_size,
                                                   _DEFAULT_TF_RECORD_BUFFER_SIZE_BYTES))
        self._compression_type = compression_type
        self._buffer_size = buffer_size
        self._num_parallel_reads = num_parallel_reads
        self._adopt(_reader(creator, filenames, num_parallel_reads, name), filenames)


class TextLineDataset(_FileDataset):
    """The lines of one or more text files, without their line ends."""

    def __init__(self, filenames, compression_type=None, buffer_size=None, num_parallel_reads=None, name=None):
        filenames = _filenames_dataset(filenames, name)

        def creator(filename):
            return _one_file("TextLineDataset", name, filenames=filename,
                             compression_type=_optional("compression_type", compression_type, "", dtypes.string),
                             buffer_size=_optional("buffer_size", buffer_size, _DEFAULT_READER_BUFFER_SIZE_BYTES))
        self._compression_type = compression_type
        self._buffer_size = buffer_size
        self._adopt(_reader(creator, filenames, num_parallel_reads, name), filenames)


class FixedLengthRecordDataset(_FileDataset):
    """Fixed-size records of one or more files (after a header, before a footer)."""

    def __init__(self, filenames, record_bytes, header_bytes=None, footer_bytes=None, buffer_size=None,
                 compression_type=None, num_parallel_reads=None, name=None):
        filenames = _filenames_dataset(filenames, name)

        def creator(filename):
            record = _int64(record_bytes, "record_bytes")
            header = _optional("header_bytes", header_bytes)
            footer = _optional("footer_bytes", footer_bytes)
            buffer = _optional("buffer_size", buffer_size, _DEFAULT_READER_BUFFER_SIZE_BYTES)
            compression = _optional("compression_type", compression_type, "", dtypes.string)
            return _one_file("FixedLengthRecordDatasetV2", name, filenames=filename, header_bytes=header,
                             record_bytes=record, footer_bytes=footer, buffer_size=buffer,
                             compression_type=compression)
        self._record_bytes = record_bytes
        self._adopt(_reader(creator, filenames, num_parallel_reads, name), filenames)


def _list_files(file_pattern, shuffle=None, seed=None, name=None):
    """Dataset.list_files: the files matching the patterns (MatchingFiles), shuffled unless
    shuffle=False; no match fails the Assert when the pipeline runs."""
    from metarun.ops import array_ops, math_ops
    from metarun.ops.control_flow_ops import Assert
    from metarun.ops.scopes import name_scope
    from metarun.framework import graph as graph_lib
    with name_scope("list_files"):
        if shuffle is None:
            shuffle = True
        file_pattern = convert_to_tensor(file_pattern, dtype=dtypes.string, name="file_pattern")
        matching_files = apply_op("MatchingFiles", pattern=file_pattern)
        matching_files.set_shape([None])
        condition = math_ops.greater(array_ops.shape(matching_files)[0], 0, name="match_not_empty")
        with name_scope("ReduceJoin"):  # tf.strings.reduce_join over every axis, last first
            rank = file_pattern.shape.ndims
            if rank is None:
                raise ValueError("metarun: list_files needs patterns of known rank")
            axes = convert_to_tensor(np.arange(rank - 1, -1, -1, dtype=np.int32))
            joined = apply_op("ReduceJoin", inputs=file_pattern, reduction_indices=axes, separator=", ",
                              name="ReduceJoin")
        message = math_ops.add("No files matched pattern: ", joined, name="message")
        assert_not_empty = Assert(condition, [message], summarize=1, name="assert_not_empty")
        with graph_lib.get_default_graph().control_dependencies([assert_not_empty]):
            matching_files = array_ops.identity(matching_files)
        dataset = _tensor_slices(matching_files, is_files=True, name=name)
        if shuffle:
            shape = array_ops.shape(matching_files, out_type=dtypes.int64)
            buffer_size = math_ops.maximum(shape[0], 1)
            dataset = dataset.shuffle(buffer_size, seed=seed, name=name)
        return dataset
