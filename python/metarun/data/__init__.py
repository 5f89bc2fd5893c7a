"""tf.compat.v1.data: input pipelines (Dataset, the file readers) and TF1 iterators."""
from metarun.data import experimental  # noqa: F401
from metarun.data.dataset_ops import (  # noqa: F401
    AUTOTUNE, INFINITE as INFINITE_CARDINALITY, UNKNOWN as UNKNOWN_CARDINALITY, Dataset, DatasetSpec,
    get_legacy_output_classes as get_output_classes, get_legacy_output_shapes as get_output_shapes,
    get_legacy_output_types as get_output_types, make_initializable_iterator, make_one_shot_iterator)
from metarun.data.iterator_ops import Iterator  # noqa: F401
from metarun.data.options import Options, ThreadingOptions  # noqa: F401
from metarun.data.readers import FixedLengthRecordDataset, TFRecordDataset, TextLineDataset  # noqa: F401
