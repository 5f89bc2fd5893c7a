"""tf.strings (tf.compat.v1's): the string ops. Left out, as TF returns RaggedTensors from them and
metarun has none: bytes_split, ngrams, unicode_decode, unicode_decode_with_offsets,
unicode_encode, unicode_split and unicode_split_with_offsets (their kernels run in imported
graphs)."""

from metarun.dtypes import as_string  # noqa: F401
from metarun.lookup import string_to_hash_bucket_fast as to_hash_bucket_fast  # noqa: F401
from metarun.ops.string_ops import (  # noqa: F401
    reduce_join, regex_full_match, regex_replace, string_format as format,
    string_join as join, string_length as length, string_lower as lower, string_strip as strip,
    string_to_hash_bucket as to_hash_bucket, string_to_hash_bucket_strong as to_hash_bucket_strong,
    string_to_number as to_number, string_upper as upper, strings_split_v1 as split, substr, unicode_script,
    unicode_transcode, unsorted_segment_join)
