"""tf.dtypes: the DType objects and as_dtype (metarun.framework.dtypes), with the conversion
functions TF files here (cast, complex, saturate_cast, as_string)."""

from metarun.framework.dtypes import *  # noqa: F401,F403 -- TF's public dtype names
from metarun.framework.dtypes import DType, as_dtype  # noqa: F401
from metarun.framework.op_builder import apply_op
from metarun.ops.math_ops import cast, complex, saturate_cast  # noqa: F401,A004

QUANTIZED_DTYPES = frozenset([qint8, quint8, qint16, quint16, qint32])  # noqa: F405 -- star-imported


def as_string(input, precision=-1, scientific=False, shortest=False, width=-1, fill="", name=None):  # noqa: A002
    """Each element formatted as a string (AsString)."""
    return apply_op("AsString", input=input, precision=precision, scientific=scientific, shortest=shortest,
                    width=width, fill=fill, name=name)
