"""Traced tf.data functions: map over dict and nested tuple elements (a list result counts as a
tuple, Python values become constants), map with num_parallel_calls, filter with a captured
tensor, flat_map and interleave returning datasets (cycle and block lengths), padded_batch of
dict elements with variable lengths, experimental.map_and_batch and the
element_spec/output_* of each stage, all compared with TF's values."""
import numpy as np


def main(tf, workdir):
    out = {}
    lengths = np.array([1, 3, 2, 4, 0, 2], np.int64)
    ds = tf.data.Dataset.from_tensor_slices({"len": lengths, "id": np.arange(6, dtype=np.int32)})
    ds = ds.map(lambda d: {"seq": tf.range(d["len"]), "id": d["id"], "tag": "x"})
    out["dict_spec"] = repr(sorted((k, str(s.shape), s.dtype.name) for k, s in ds.element_spec.items()))
    padded = ds.padded_batch(4, padded_shapes={"seq": [None], "id": [], "tag": []},
                             padding_values={"seq": tf.constant(-1, tf.int64), "id": 0, "tag": "?"})
    out["padded_shapes"] = repr(padded.output_shapes["seq"])

    nested = tf.data.Dataset.from_tensor_slices(((np.arange(4.0, dtype=np.float32), np.arange(4)),
                                                 np.arange(4) * 2))
    nested = nested.map(lambda ab, c: [ab[0] * 2.0, (ab[1] + c, 7)], num_parallel_calls=2, deterministic=True)
    out["nested_types"] = repr(nested.output_types)

    limit = tf.constant(4, tf.int64, name="limit")
    filt = tf.data.Dataset.range(10).filter(lambda v: v < limit).map(lambda v: v * v)

    fm = tf.data.Dataset.range(1, 4).flat_map(lambda n: tf.data.Dataset.range(n).map(lambda k: k + 10 * n))
    inter = tf.data.Dataset.range(3).interleave(
        lambda n: tf.data.Dataset.from_tensors(n).repeat(n + 2), cycle_length=2, block_length=2)
    mab = tf.data.Dataset.range(7).apply(
        tf.data.experimental.map_and_batch(lambda v: tf.cast(v, tf.float32) / 2.0, 3, drop_remainder=True))
    out["mab_shape"] = repr(mab.output_shapes)

    pipelines = {"padded": padded, "nested": nested, "filter": filt, "flat_map": fm, "interleave": inter,
                 "map_and_batch": mab}
    nexts = {k: tf.data.make_initializable_iterator(d) for k, d in pipelines.items()}
    with tf.Session() as sess:
        for key in sorted(pipelines):
            it = nexts[key]
            sess.run(it.initializer)
            nxt = it.get_next()
            got = []
            try:
                while True:
                    got.append(sess.run(nxt))
            except tf.errors.OutOfRangeError:
                pass
            if key == "padded":
                out["padded/seq"] = [g["seq"] for g in got]
                out["padded/id"] = [g["id"] for g in got]
                out["padded/tag"] = [g["tag"] for g in got]
            elif key == "nested":
                out["nested/a"] = np.array([g[0] for g in got])
                out["nested/b"] = np.array([g[1][0] for g in got])
                out["nested/c"] = np.array([g[1][1] for g in got])
            else:
                out[key] = np.array(got)
    return out
