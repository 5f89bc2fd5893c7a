"""tf.serialize_sparse, tf.serialize_many_sparse, tf.deserialize_many_sparse and their tf.io names
as TF1 input pipelines use them (per-example SparseTensors serialized, stacked into a batch and
deserialized into one): the serialized bytes, the batched SparseTensors, static shapes, the graph
node for node, the variant form through raw DeserializeSparse, and TF's errors."""
GRAPH = True


def _sparse(st):
    return [st.indices, st.values, st.dense_shape]


def main(tf, workdir):
    ind = tf.placeholder(tf.int64, [None, 2], name="ind")
    val = tf.placeholder(tf.float32, [None], name="val")
    shp = tf.placeholder(tf.int64, [2], name="shp")
    sp = tf.SparseTensor(ind, val, shp)
    words = tf.SparseTensor([[0, 1], [2, 0]], tf.constant([b"to", b"be\x00"]), [3, 4])
    examples = [tf.SparseTensor([[0], [3]], [1.5, -2.0], [5]), tf.SparseTensor([[1]], [7.0], [8]),
                tf.SparseTensor(tf.zeros([0, 1], tf.int64), tf.zeros([0]), [2])]

    serialized = {
        "one": tf.serialize_sparse(sp),
        "one_io": tf.io.serialize_sparse(words, name="words_ser"),
        "one_value": tf.serialize_sparse(tf.SparseTensorValue([[0, 0]], [2.5], [1, 1])),
        "many": tf.serialize_many_sparse(sp),
        "many_io": tf.io.serialize_many_sparse(words),
    }
    stacked = tf.stack([tf.serialize_sparse(e) for e in examples])
    batch = tf.deserialize_many_sparse(stacked, tf.float32)
    batch_ranked = tf.io.deserialize_many_sparse(stacked, dtype=tf.float32, rank=2, name="batch")
    round_trip = tf.io.deserialize_many_sparse(serialized["many"], tf.float32, rank=2)
    words_back = tf.deserialize_many_sparse(serialized["many_io"], tf.string)
    as_variant = tf.io.serialize_many_sparse(sp, out_type=tf.variant)
    variant_back = tf.raw_ops.DeserializeSparse(serialized_sparse=as_variant, dtype=tf.float32)
    one_variant = tf.serialize_sparse(words, out_type=tf.variant)
    words_variant = tf.raw_ops.DeserializeSparse(serialized_sparse=one_variant, dtype=tf.string)
    wrong_type = tf.deserialize_many_sparse(stacked, tf.float64)

    sparse_outs = {"batch": batch, "batch_ranked": batch_ranked, "round_trip": round_trip,
                   "words_back": words_back}
    result = {"shapes": [k + str(v.get_shape()) for k, v in sorted(serialized.items())]
              + [k + str([str(t.get_shape()) for t in _sparse(v)]) + str(v.get_shape())
                 for k, v in sorted(sparse_outs.items())]
              + [str(as_variant.get_shape()), str(as_variant.dtype), str(one_variant.get_shape()),
                 str([str(t.get_shape()) for t in variant_back])]}
    feed = {ind: [[0, 1], [0, 3], [2, 2], [3, 0]], val: [1.0, -0.0, 3.5, 4.0], shp: [4, 5]}
    with tf.Session() as sess:
        got = sess.run({"ser": serialized, "sparse": sparse_outs, "variant": list(variant_back),
                        "words_variant": list(words_variant), "stacked": stacked}, feed)
        result.update({"ser_" + k: v for k, v in got["ser"].items()})
        for k, v in got["sparse"].items():
            result["sp_" + k] = _sparse(v)
        result["variant_back"] = got["variant"]
        result["words_variant"] = got["words_variant"]
        result["stacked"] = got["stacked"]
        for name, t, f in (("many_unsorted", serialized["many"], {ind: [[1, 0], [0, 0]], val: [1.0, 2.0]}),
                           ("many_out_of_bounds", serialized["many"], {ind: [[4, 0]], val: [1.0]}),
                           ("many_repeated", round_trip.values, {ind: [[1, 1], [1, 1]], val: [1.0, 2.0]}),
                           ("variant_unsorted", variant_back[1], {ind: [[2, 0], [1, 0]], val: [1.0, 2.0]}),
                           ("wrong_type", wrong_type.values, {}),
                           ("fetch_variant", as_variant, {})):
            try:
                sess.run(t, {**feed, **f})
                result["error_" + name] = "no error"
            except tf.errors.OpError as ex:
                result["error_" + name] = type(ex).__name__
        result["after_error"] = _sparse(sess.run(round_trip, feed))
    for name, fn in (("dense_input", lambda: tf.serialize_sparse(tf.constant([1.0]))),
                     ("many_vector", lambda: tf.deserialize_many_sparse(tf.placeholder(tf.string, [3]), tf.int32)),
                     ("many_four", lambda: tf.io.deserialize_many_sparse(tf.placeholder(tf.string, [2, 4]),
                                                                         tf.int32))):
        try:
            fn()
            result["build_" + name] = "no error"
        except (TypeError, ValueError) as ex:
            result["build_" + name] = type(ex).__name__
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
