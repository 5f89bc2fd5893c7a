"""PyFunc and PyFuncStateless (host kernels calling a registered Python function). Values and
TF's error classes are compared with TensorFlow by tests/dualrun/scripts/am_py_func.py; here the
kernel contract: dtypes of the results, tokens that name no function, and exceptions mapped to
TF's classes, each leaving the session usable."""
import numpy as np
import pytest

import metarun as tf
from metarun import _core

COVERAGE = {"PyFunc": set(), "PyFuncStateless": set()}


def test_registered_as_host_kernels():
    assert set(COVERAGE) <= set(_core.host_ops())


@pytest.mark.parametrize("dtype", [tf.float32, tf.float64, tf.int32, tf.int64, tf.bool, tf.string, tf.uint8])
def test_result_cast_to_tout(dtype):
    value = np.array([0, 1, 2])
    with tf.Graph().as_default():
        out = tf.py_func(lambda: value, [], dtype)
        with tf.Session() as sess:
            got = sess.run(out)
    if dtype == tf.string:
        assert [bytes(v) for v in got] == [str(v).encode() for v in value]
    else:
        np.testing.assert_array_equal(got, value.astype(dtype.as_numpy_dtype))
        assert got.dtype == dtype.as_numpy_dtype


@pytest.mark.parametrize("exc,cls", [(ValueError, tf.errors.InvalidArgumentError),
                                     (TypeError, tf.errors.InvalidArgumentError),
                                     (StopIteration, tf.errors.OutOfRangeError),
                                     (NotImplementedError, tf.errors.UnimplementedError),
                                     (RuntimeError, tf.errors.UnknownError)])
def test_exceptions_become_tf_errors_and_session_runs_on(exc, cls):
    def fn(x):
        if x < 0:
            raise exc("boom")
        return x + 1
    with tf.Graph().as_default():
        p = tf.placeholder(tf.int64, [])
        out = tf.py_func(fn, [p], tf.int64, stateful=False)
        with tf.Session() as sess:
            with pytest.raises(cls, match="boom"):
                sess.run(out, {p: -1})
            assert sess.run(out, {p: 2}) == 3


def test_unknown_token_is_an_error():
    with tf.Graph().as_default():
        out = tf.raw_ops.PyFunc(input=[], token="pyfunc_not_registered", Tout=[tf.float32])
        with tf.Session() as sess:
            with pytest.raises(tf.errors.UnknownError, match="not registered"):
                sess.run(out)
