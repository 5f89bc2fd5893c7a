"""SparseTensor: construction, static shapes, sparse_placeholder's nodes (named as TF 2.21 names
them), and Session.run fetching a SparseTensorValue and feeding a SparseTensor key."""

import numpy as np
import pytest

import metarun as tf


def test_fetch_gives_sparse_tensor_value():
    with tf.Graph().as_default():
        st = tf.SparseTensor([[0, 1], [2, 3]], [1.0, 2.0], [3, 4])
        assert st.shape.as_list() == [3, 4] and st.dtype == tf.float32
        assert st.indices.dtype == tf.int64 and st.dense_shape.dtype == tf.int64
        with tf.Session() as sess:
            value = sess.run(st)
            nested = sess.run({"a": [st]})
            assert st.eval().dense_shape.tolist() == [3, 4]
    assert isinstance(value, tf.SparseTensorValue)
    np.testing.assert_array_equal(value.indices, [[0, 1], [2, 3]])
    np.testing.assert_array_equal(value.values, np.array([1, 2], np.float32))
    np.testing.assert_array_equal(value.dense_shape, [3, 4])
    assert isinstance(nested["a"][0], tf.SparseTensorValue)


def test_sparse_placeholder_nodes_and_feeds():
    with tf.Graph().as_default() as g:
        sp = tf.sparse_placeholder(tf.float32, name="sp")
        assert [op.name for op in g.get_operations()] == ["sp/shape", "sp/values", "sp/indices"]
        assert sp.shape.dims is None
        doubled = sp.values * 2
        with tf.Session() as sess:
            fed = sess.run(sp.values, {sp: tf.SparseTensorValue([[0, 0]], [5.0], [2, 2])})
            shape, twice = sess.run([sp.dense_shape, doubled], {sp: ([[0, 0]], [5.0], [2, 2])})
            with pytest.raises(TypeError):
                sess.run(sp.values, {sp: [5.0]})
            call = sess.make_callable(doubled, [sp])
            np.testing.assert_array_equal(call(([[1, 1]], [3.0], [2, 2])), [6.0])
        p2 = tf.sparse.placeholder(tf.int32, shape=[None, 3], name="p2")
        assert [op.name for op in g.get_operations()][-4:] == \
            ["p2/shape_default", "p2/shape", "p2/values", "p2/indices"]
        assert p2.shape.as_list() == [None, 3]
        assert p2.dense_shape.op.type == "PlaceholderWithDefault"
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(p2.dense_shape, {p2.values: [1], p2.indices: [[0, 0]]}),
                                          [-1, 3])
    np.testing.assert_array_equal(fed, np.array([5], np.float32))
    np.testing.assert_array_equal(shape, [2, 2])
    np.testing.assert_array_equal(twice, np.array([10], np.float32))


def test_mismatched_components_are_refused():
    with tf.Graph().as_default():
        with pytest.raises(ValueError):
            tf.SparseTensor([[0, 1], [2, 3]], [1.0, 2.0, 3.0], [3, 4])
        with pytest.raises(ValueError):
            tf.SparseTensor([[0, 1, 1]], [1.0], [3, 4])
        st = tf.SparseTensor([[0]], [1], [4])
        assert isinstance(tf.convert_to_tensor_or_sparse_tensor(tf.SparseTensorValue([[0]], [1], [4])),
                          tf.SparseTensor)
        with pytest.raises(RuntimeError):
            tf.convert_to_tensor_or_sparse_tensor(st, dtype=tf.float32)
        assert tf.convert_to_tensor_or_sparse_tensor([1.0]).op.type == "Const"
