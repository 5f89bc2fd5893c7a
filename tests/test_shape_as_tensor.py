"""TensorShape and known Dimensions where a tensor is expected (tf.fill(x.shape, v),
tf.reshape(x, shape)): TF converts them to an int32 (int64 when a size needs it) Const named
'shape_as_tensor'. Names, dtypes and messages as TF 2.21 gave them for the same calls."""
import numpy as np
import pytest

import metarun as tf


def test_shapes_and_dimensions_convert_as_tf_does():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, 3])
        t = tf.convert_to_tensor(x.shape)
        assert (t.name, t.dtype, t.shape.as_list()) == ("shape_as_tensor:0", tf.int32, [2])
        t = tf.convert_to_tensor(x.shape, dtype=tf.int64)
        assert (t.name, t.dtype) == ("shape_as_tensor_1:0", tf.int64)
        t = tf.convert_to_tensor(tf.TensorShape([2 ** 33, 2]))
        assert (t.name, t.dtype) == ("shape_as_tensor_2:0", tf.int64)
        d = tf.convert_to_tensor(x.shape[0])
        assert (d.name, d.dtype, d.shape.as_list()) == ("shape_as_tensor_3:0", tf.int32, [])
        e = tf.convert_to_tensor(tf.TensorShape([]))
        assert (e.dtype, e.shape.as_list()) == (tf.int32, [0])
        f = tf.fill(x.shape, 1.5)
        r = tf.reshape(x, tf.TensorShape([3, 2]))
        assert f.shape.as_list() == [2, 3] and r.shape.as_list() == [3, 2]
        with tf.Session() as s:
            np.testing.assert_array_equal(s.run(f), np.full([2, 3], 1.5, np.float32))
            assert s.run(d) == 2
            assert s.run(t).tolist() == [2 ** 33, 2]
            assert s.run(r, {x: np.arange(6).reshape(2, 3)}).tolist() == [[0, 1], [2, 3], [4, 5]]


def test_unknown_sizes_and_other_dtypes_are_refused_with_tfs_messages():
    with tf.Graph().as_default():
        x = tf.placeholder(tf.float32, [2, 3])
        p = tf.placeholder(tf.float32, [None, 3])
        with pytest.raises(TypeError, match=r"^Cannot convert TensorShape \(2, 3\) to dtype <dtype: 'float32'>\. "
                                            r"Allowed dtypes are tf\.int32 and tf\.int64\.$"):
            tf.convert_to_tensor(x.shape, dtype=tf.float32)
        with pytest.raises(ValueError, match=r"^Cannot convert a partially known TensorShape \(\?, 3\) to a Tensor\.$"):
            tf.convert_to_tensor(p.shape)
        with pytest.raises(ValueError, match=r"^Cannot convert a partially known TensorShape <unknown> to a Tensor\.$"):
            tf.convert_to_tensor(tf.TensorShape(None))
        with pytest.raises(ValueError, match="partially known"):
            tf.fill(p.shape, 1.0)

