"""Kernels that update an input's buffer in place (TF's forward_input) never write into memory
borrowed from Python: an array a py_func's caller still holds, or read-only memory."""
import numpy as np
import pytest

import metarun as tf


@pytest.mark.parametrize("kind", ["kept", "read_only"])
@pytest.mark.parametrize("op", ["tensor_scatter_update", "tensor_scatter_add"])
def test_in_place_update_leaves_a_borrowed_array_alone(kind, op):
    src = np.arange(6, dtype=np.float32) if kind == "kept" else np.frombuffer(bytes(24), dtype=np.float32)
    before = src.copy()
    with tf.Graph().as_default():
        x = tf.py_func(lambda: src, [], tf.float32)
        y = getattr(tf, op)(x, [[1]], [42.0])
        with tf.Session() as sess:
            got = sess.run(y)
    want = before.copy()
    want[1] = 42.0 if op == "tensor_scatter_update" else want[1] + 42.0
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(src, before)


def test_a_fresh_array_is_still_updated_in_place_correctly():
    with tf.Graph().as_default():
        x = tf.py_func(lambda: np.zeros(4, np.float32), [], tf.float32)
        y = tf.tensor_scatter_add(x, [[0], [0]], [1.0, 2.0])
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(y), [3, 0, 0, 0])
