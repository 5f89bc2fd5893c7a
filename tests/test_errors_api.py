"""tf.errors' code <-> class helpers agree with the classes' own error codes."""
import warnings

import pytest

import metarun as tf

CODES = ["CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
         "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
         "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED"]


@pytest.mark.parametrize("name", CODES)
def test_code_and_class_round_trip(name):
    code = getattr(tf.errors, name)
    cls = tf.errors.exception_type_from_error_code(code)
    assert cls(None, None, "m").error_code == code
    assert tf.errors.error_code_from_exception_type(cls) == code


def test_unknown_code_and_class():
    with pytest.raises(KeyError):
        tf.errors.exception_type_from_error_code(99)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        got = tf.errors.error_code_from_exception_type(ValueError)
    assert isinstance(got, tf.errors.UnknownError)


def test_raise_exception_on_not_ok_status_passes_exceptions_through():
    with pytest.raises(tf.errors.NotFoundError):
        with tf.errors.raise_exception_on_not_ok_status():
            raise tf.errors.NotFoundError(None, None, "missing")


def test_dtypes_module_functions_build_ops():
    import numpy as np
    with tf.Graph().as_default():
        x = tf.constant([1.5, -2.0])
        ops = [tf.dtypes.cast(x, tf.int32), tf.dtypes.saturate_cast(x, tf.uint8), tf.dtypes.complex(x, x),
               tf.dtypes.as_string(x, precision=1)]
        with tf.Session() as sess:
            got = sess.run(ops)
    np.testing.assert_array_equal(got[0], np.array([1.5, -2.0]).astype(np.int32))
    np.testing.assert_array_equal(got[1], np.clip([1.5, -2.0], 0, 255).astype(np.uint8))
    np.testing.assert_array_equal(got[2], np.array([1.5 + 1.5j, -2 - 2j], np.complex64))
    assert list(got[3]) == [("%.1f" % v).encode() for v in (1.5, -2.0)]
    assert tf.dtypes.QUANTIZED_DTYPES == {tf.qint8, tf.quint8, tf.qint16, tf.quint16, tf.qint32}
