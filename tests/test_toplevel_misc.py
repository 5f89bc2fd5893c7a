"""Top-level names that build no graph: Dimension arithmetic, DeviceSpec parsing, TensorSpec,
make_ndarray round trips, options classes and enums (values checked against numpy and TF's
documented semantics; graph-building names are compared with TF in tests/dualrun/scripts/tl_*.py)."""
import numpy as np
import pytest

import metarun as tf


def test_dimension_arithmetic_and_unknowns():
    d = tf.Dimension(6)
    assert (d + 2).value == 8 and (2 * d).value == 12 and (d // 4).value == 1 and (d - tf.Dimension(1)).value == 5
    unknown = tf.Dimension(None)
    assert (d + unknown).value is None and (unknown * 3).value is None
    assert (d == unknown) is None and (d == 6) is True and (d < 7) is True
    assert d.merge_with(None).value == 6 and unknown.merge_with(4).value == 4
    assert d.is_compatible_with(unknown) and not d.is_compatible_with(5)
    with pytest.raises(ValueError):
        d.merge_with(5)
    with pytest.raises(ValueError):
        tf.Dimension(-1)
    with pytest.raises(TypeError):
        tf.Dimension(1.5)
    with pytest.raises(TypeError):
        d / 2
    assert repr(d) == "Dimension(6)" and str(unknown) == "?"


def test_dimension_helpers_on_shapes():
    shape = tf.TensorShape([3, None])
    assert tf.dimension_value(shape[0]) == 3 and tf.dimension_value(shape[1]) is None
    assert isinstance(shape[0], tf.Dimension)
    assert tf.dimension_at_index(shape, 0).value == 3
    assert tf.dimension_at_index(tf.TensorShape(None), 5).value is None
    assert tf.dimension_value(tf.Dimension(4)) == 4 and tf.dimension_value(7) == 7


def test_broadcast_static_shape():
    got = tf.broadcast_static_shape(tf.TensorShape([2, 1, None]), tf.TensorShape([4, 1]))
    assert got.as_list() == [2, 4, None]
    assert tf.broadcast_static_shape(tf.TensorShape([None]), tf.TensorShape([5])).as_list() == [5]
    with pytest.raises(ValueError):
        tf.broadcast_static_shape(tf.TensorShape([2]), tf.TensorShape([3]))


def test_device_spec():
    spec = tf.DeviceSpec.from_string("/job:worker/replica:1/task:3/device:GPU:2")
    assert (spec.job, spec.replica, spec.task, spec.device_type, spec.device_index) == ("worker", 1, 3, "GPU", 2)
    assert spec.to_string() == "/job:worker/replica:1/task:3/device:GPU:2"
    assert tf.DeviceSpec.from_string("/cpu:0").to_string() == "/device:CPU:0"
    merged = tf.DeviceSpec(job="ps").make_merged_spec(tf.DeviceSpec(device_type="CPU", device_index=1))
    assert merged.to_string() == "/job:ps/device:CPU:1"
    mutable = tf.DeviceSpec()
    mutable.parse_from_string("/task:4")
    mutable.merge_from(tf.DeviceSpec(job="w"))
    assert mutable.to_string() == "/job:w/task:4"
    with pytest.raises(ValueError):
        tf.DeviceSpec.from_string("/bogus:1")


def test_tensor_spec():
    spec = tf.TensorSpec([2, None], tf.int32, name="s")
    assert spec.shape.as_list() == [2, None] and spec.dtype == tf.int32 and spec.name == "s"
    assert repr(tf.TensorSpec([3])) == "TensorSpec(shape=(3,), dtype=tf.float32, name=None)"
    assert isinstance(spec, tf.TypeSpec)
    with tf.Graph().as_default():
        t = tf.placeholder(tf.int32, [2, 5], name="p")
        assert spec.is_compatible_with(t) and not tf.TensorSpec([3], tf.int32).is_compatible_with(t)
        assert tf.TensorSpec.from_tensor(t).name == "p"
    assert tf.TensorSpec([1]) == tf.TensorSpec([1]) and tf.TensorSpec([1]) != tf.TensorSpec([2])


@pytest.mark.parametrize("value", [np.arange(6, dtype=np.float32).reshape(2, 3), np.array(3, np.int64),
                                   np.array([b"a", b"bc"], dtype=object), np.zeros([0, 2], np.float64),
                                   np.array([True, False]), np.array([1 + 2j], np.complex64)])
def test_make_ndarray_round_trip(value):
    got = tf.make_ndarray(tf.make_tensor_proto(value))
    assert got.dtype == value.dtype and got.shape == value.shape
    np.testing.assert_array_equal(got, value)


def test_make_tensor_proto_fills_a_shape_from_fewer_values():
    got = tf.make_ndarray(tf.make_tensor_proto([1, 2], shape=[2, 2]))
    np.testing.assert_array_equal(got, np.array([[1, 2], [2, 2]], np.int32))
    with pytest.raises(ValueError):
        tf.make_tensor_proto([1, 2, 3], shape=[2])


def test_options_and_enums():
    assert tf.GPUOptions(allow_growth=True).allow_growth is True
    assert tf.GraphOptions().optimizer_options.opt_level == 0
    assert tf.OptimizerOptions(opt_level=tf.OptimizerOptions.L1).opt_level == tf.OptimizerOptions.L1
    with pytest.raises(ValueError):
        tf.GPUOptions(no_such_field=1)
    assert tf.VariableAggregation.ONLY_FIRST_TOWER is tf.VariableAggregation.ONLY_FIRST_REPLICA
    assert tf.VariableSynchronization.ON_READ.value == 3
    assert tf.no_gradient is tf.NotDifferentiable and tf.all_variables is tf.global_variables
