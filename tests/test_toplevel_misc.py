"""Top-level names that build no graph, where numpy is the reference: make_tensor_proto /
make_ndarray round trips, the ConfigProto sub-message classes and the aliases. Dimension,
DeviceSpec, TensorSpec and broadcast_static_shape are compared with TF in dualrun/scripts/tl_values.py."""
import numpy as np
import pytest

import metarun as tf


@pytest.mark.parametrize("value", [np.arange(6, dtype=np.float32).reshape(2, 3), np.array(3, np.int64),
                                   np.array([b"a", b"bc"], dtype=object), np.zeros([0, 2], np.float64),
                                   np.array([True, False]), np.array([1 + 2j], np.complex64),
                                   np.array([1.5, -2.0], np.float16)])
def test_make_ndarray_round_trip(value):
    got = tf.make_ndarray(tf.make_tensor_proto(value))
    assert got.dtype == value.dtype and got.shape == value.shape
    np.testing.assert_array_equal(got, value)


def test_make_tensor_proto_checks_shapes():
    with pytest.raises(ValueError):
        tf.make_tensor_proto([1, 2, 3], shape=[2])
    with pytest.raises(TypeError):
        tf.make_tensor_proto([1, 2], shape=[2, 1], verify_shape=True)
    proto = tf.make_tensor_proto(7.0, shape=[3], allow_broadcast=True)
    np.testing.assert_array_equal(tf.make_ndarray(proto), np.full([3], 7.0, np.float32))


def test_options_accept_their_fields_only():
    assert tf.GPUOptions(allow_growth=True).allow_growth is True
    assert tf.GraphOptions().optimizer_options.opt_level == tf.OptimizerOptions.L1
    with pytest.raises(ValueError):
        tf.GPUOptions(no_such_field=1)


def test_aliases():
    assert tf.no_gradient is tf.NotDifferentiable
    assert tf.all_variables is tf.global_variables
    assert tf.initialize_local_variables is tf.local_variables_initializer
