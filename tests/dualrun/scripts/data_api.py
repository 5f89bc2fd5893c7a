"""The tf.data API around the pipelines: Python-side errors (class and message) for misuse
(Python iteration and len in graph mode, a one-shot iterator's initializer, incompatible slices,
zip of a list, a non-boolean filter, padded shapes, padding
values, concatenating unlike elements, make_initializer with another structure, a one-shot
iterator over a placeholder), run-time errors (get_next before initialization), the legacy
output_types/shapes/classes of datasets and iterators, get_next and string_handle names, and
an unknown batch dimension from a fed drop_remainder."""
import numpy as np


def _error(fn, message=True):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return "%s: %s" % (type(e).__name__, e) if message else type(e).__name__
    return "no error"


def main(tf, workdir):
    out = {}
    ds = tf.data.Dataset.range(5)
    out["iter"] = _error(lambda: iter(ds))
    out["len"] = _error(lambda: len(ds))
    out["bool"] = bool(ds)
    out["one_shot_initializer"] = _error(lambda: ds.make_one_shot_iterator().initializer)
    out["slices_mismatch"] = _error(lambda: tf.data.Dataset.from_tensor_slices((np.zeros(3), np.zeros(4))))
    out["slices_scalar"] = _error(lambda: tf.data.Dataset.from_tensor_slices(1.0), message=False)
    out["zip_list"] = _error(lambda: tf.data.Dataset.zip([ds, ds]))
    out["filter_int"] = _error(lambda: ds.filter(lambda v: v + 1))
    out["range_args"] = _error(lambda: tf.data.Dataset.range(1, 2, 3, 4))
    out["apply_bad"] = _error(lambda: ds.apply(lambda d: 3), message=False)
    unknown_rank = tf.data.Dataset.from_tensors(tf.placeholder(tf.float32, None))
    out["padded_unknown_rank"] = _error(lambda: unknown_rank.padded_batch(2))
    vectors = tf.data.Dataset.from_tensors(np.zeros([3], np.int32))
    out["padded_too_small"] = _error(lambda: vectors.padded_batch(2, padded_shapes=[2]))
    out["padding_dtype"] = _error(lambda: vectors.padded_batch(2, padded_shapes=[4], padding_values=1.5),
                                  message=False)
    out["concat_unlike"] = _error(lambda: ds.concatenate(tf.data.Dataset.from_tensors(1.0)), message=False)
    generic = tf.data.Iterator.from_structure(tf.int64, [])
    out["initializer_types"] = _error(lambda: generic.make_initializer(tf.data.Dataset.from_tensors(1)),
                                      message=False)
    out["initializer_structure"] = _error(lambda: generic.make_initializer(tf.data.Dataset.zip((ds, ds))),
                                          message=False)
    out["initializer_shapes"] = _error(lambda: generic.make_initializer(ds.batch(2)), message=False)
    out["generic_initializer"] = _error(lambda: generic.initializer, message=False)
    fed = tf.placeholder(tf.int64, [], name="fed")
    out["one_shot_placeholder"] = _error(lambda: tf.data.Dataset.from_tensors(fed).make_one_shot_iterator(),
                                         message=False)

    drop = tf.placeholder(tf.bool, [], name="drop")
    batched = ds.batch(2, drop_remainder=drop)
    nested = tf.data.Dataset.from_tensors({"a": (1, [2.0, 3.0]), "b": np.zeros([2, 2], np.float64)})
    it = tf.data.make_initializable_iterator(nested)
    element = it.get_next(name="element")
    handle = it.string_handle(name="named_handle")
    from_handle = tf.data.Iterator.from_string_handle(handle, it.output_types, it.output_shapes)
    out["legacy"] = [repr(nested.output_types), repr(nested.output_shapes),
                     repr(tf.data.get_output_types(it)), repr(tf.data.get_output_shapes(from_handle)),
                     repr(batched.output_shapes), repr(batched.batch(3, drop_remainder=True).output_shapes)]
    out["classes_same"] = [c is tf.Tensor for c in tf.nest.flatten(tf.data.get_output_classes(nested))]
    out["names"] = [element["a"][0].name, element["a"][1].name, element["b"].name, handle.name,
                    it.string_handle().name, from_handle.string_handle().name]
    never = tf.data.make_initializable_iterator(ds).get_next()
    with tf.Session() as sess:
        out["uninitialized"] = _error(lambda: sess.run(never), message=False)
        sess.run(it.initializer)
        value = sess.run(element)
        out["value_a0"], out["value_a1"], out["value_b"] = value["a"][0], value["a"][1], value["b"]
        out["value_end"] = _error(lambda: sess.run(element), message=False)
        out["handle_is_bytes"] = isinstance(sess.run(handle), bytes)
    return out
