"""tf.io: tf.io.gfile (the local file functions under TF2's names), the TFRecord writer, Example
and SequenceExample parsing, decode_raw, decode_csv and the other decoders."""

import types as _types

from metarun import _file_io

gfile = _types.ModuleType("metarun.io.gfile", "tf.io.gfile: the local file system under TF2's names.")
for _name in _file_io.V2_NAMES:
    setattr(gfile, _name, getattr(_file_io, _name))
del _name

from metarun.tf_record import (  # noqa: E402,F401 -- tf.io's TFRecord writer
    TFRecordCompressionType, TFRecordOptions, TFRecordWriter, tf_record_iterator)
from metarun.ops.parsing_ops import (  # noqa: E402,F401 -- tf.io's Example parsing
    FixedLenFeature, FixedLenSequenceFeature, decode_raw, parse_example, parse_single_example)
from metarun.ops.parsing_ops import (  # noqa: E402,F401 -- tf.io's SequenceExample parsing and decoders
    SparseFeature, VarLenFeature, decode_compressed, decode_csv, decode_json_example, decode_proto, encode_proto,
    parse_sequence_example, parse_single_sequence_example, parse_tensor, serialize_tensor)
from metarun.ops.io_ops import matching_files, read_file, write_file  # noqa: E402,F401 -- tf.io.*
from metarun.train.input import match_filenames_once  # noqa: E402,F401 -- tf.io.match_filenames_once
from metarun.ops.data_flow_ops import (  # noqa: E402,F401 -- tf.io's queues (TF exports no tf.io.FIFOQueue)
    PaddingFIFOQueue, PriorityQueue, QueueBase, RandomShuffleQueue)
from metarun.ops.image_codec_ops import (  # noqa: E402,F401 -- tf.io's image decoding and encoding
    decode_and_crop_jpeg, decode_bmp, decode_gif, decode_image, decode_jpeg, decode_png, encode_jpeg, encode_png,
    extract_jpeg_shape, is_jpeg)
from metarun.ops.string_ops import decode_base64, encode_base64  # noqa: E402,F401 -- tf.io's base64
from metarun.ops.sparse_serialize_ops import (  # noqa: E402,F401 -- tf.io's SparseTensor serialization
    deserialize_many_sparse, serialize_many_sparse, serialize_sparse)
