"""tf.python_io: TF1's home of the TFRecord writer and reader."""
from metarun.tf_record import (  # noqa: F401
    TFRecordCompressionType, TFRecordOptions, TFRecordWriter, tf_record_iterator)
