"""Values of the top-level classes and helpers that build no graph: Dimension arithmetic,
dimension_value/at_index, broadcast_static_shape, DeviceSpec parsing, TensorSpec, make_ndarray."""
import numpy as np


def _try(fn):
    try:
        return repr(fn())
    except Exception as e:  # noqa: BLE001 -- the class is what is compared
        return type(e).__name__


def main(tf, workdir):
    d, u = tf.Dimension(6), tf.Dimension(None)
    dims = [d + 2, 2 * d, d // 4, d - tf.Dimension(1), d % 4, d + u, u * 3, d.merge_with(None), u.merge_with(4)]
    shape = tf.TensorShape([3, None])
    spec = tf.DeviceSpec.from_string("/job:worker/replica:1/task:3/device:GPU:2")
    merged = tf.DeviceSpec(job="ps").make_merged_spec(tf.DeviceSpec(device_type="CPU", device_index=1))
    mutable = tf.DeviceSpec()
    mutable.parse_from_string("/task:4")
    mutable.merge_from(tf.DeviceSpec(job="w"))
    t = tf.placeholder(tf.int32, [2, 5], name="p")
    ts = tf.TensorSpec([2, None], tf.int32, name="s")
    return {
        "dims": [repr(x) for x in dims] + [str(u), str(d), repr(d == u), repr(d == 6), repr(d < 7),
                                          repr(d.is_compatible_with(u)), repr(d.is_compatible_with(5))],
        "dim_errors": [_try(lambda: d.merge_with(5)), _try(lambda: tf.Dimension(-1)), _try(lambda: tf.Dimension(1.5)),
                       _try(lambda: d / 2)],
        "dim_helpers": [repr(tf.dimension_value(shape[0])), repr(tf.dimension_value(shape[1])),
                        repr(tf.dimension_at_index(shape, 0)), repr(tf.dimension_at_index(tf.TensorShape(None), 5)),
                        repr(tf.dimension_value(7)), repr(isinstance(shape[0], tf.Dimension))],
        "bcast": [str(tf.broadcast_static_shape(tf.TensorShape([2, 1, None]), tf.TensorShape([4, 1]))),
                  str(tf.broadcast_static_shape(tf.TensorShape([None]), tf.TensorShape([5]))),
                  _try(lambda: tf.broadcast_static_shape(tf.TensorShape([2]), tf.TensorShape([3])))],
        "device": [spec.to_string(), repr((spec.job, spec.replica, spec.task, spec.device_type, spec.device_index)),
                   tf.DeviceSpec.from_string("/cpu:0").to_string(), merged.to_string(), mutable.to_string(),
                   _try(lambda: tf.DeviceSpec.from_string("/bogus:1"))],
        "spec": [repr(tf.TensorSpec([3])), str(ts.shape), ts.dtype.name, ts.name,
                 repr(ts.is_compatible_with(t)), repr(tf.TensorSpec([3], tf.int32).is_compatible_with(t)),
                 tf.TensorSpec.from_tensor(t).name, repr(tf.TensorSpec([1]) == tf.TensorSpec([1])),
                 repr(isinstance(ts, tf.TypeSpec))],
        "ndarray": tf.make_ndarray(tf.make_tensor_proto([1, 2], shape=[2, 2])),
        "ndarray_f": tf.make_ndarray(tf.make_tensor_proto(np.arange(6, dtype=np.float32).reshape(2, 3))),
        "enums": [tf.VariableAggregation.ONLY_FIRST_TOWER.name, repr(tf.VariableSynchronization.ON_READ.value),
                  repr(tf.VariableAggregation.MEAN.value)],
    }
