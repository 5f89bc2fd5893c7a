"""Initializable iterators fed by placeholders and re-initialized per epoch, and reinitializable
ones (Iterator.from_structure + make_initializer) switched between two datasets: the values up
to OutOfRangeError, the element structures (types, shapes, classes, element_spec) and the graph,
node for node, are compared with TF's. No traced functions: every node is comparable."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    out = {}
    features = tf.placeholder(tf.float32, [None, 2], name="features")
    labels = tf.placeholder(tf.int64, [None], name="labels")
    ds = tf.data.Dataset.from_tensor_slices({"x": features, "y": labels}).batch(3)
    it = ds.make_initializable_iterator()
    nxt = it.get_next()
    out["structure"] = [repr(ds.output_types), repr(ds.output_shapes), repr(sorted(nxt)),
                        str(nxt["x"].shape), str(nxt["y"].shape), nxt["x"].name, nxt["y"].name]
    out["classes"] = repr(sorted(k for k in tf.data.get_output_classes(ds)))

    # from_structure: one iterator, two datasets
    train = tf.data.Dataset.range(10).skip(2).take(5).repeat(2)
    val = tf.data.Dataset.range(100, 103).concatenate(tf.data.Dataset.range(3))
    generic = tf.data.Iterator.from_structure(train.output_types, train.output_shapes)
    get = generic.get_next(name="generic_next")
    init_train = generic.make_initializer(train)
    init_val = generic.make_initializer(val, name="val_init")

    # zip, padded_batch, cache, prefetch, with_options, enumerate
    zipped = tf.data.Dataset.zip((tf.data.Dataset.range(4), tf.data.Dataset.from_tensors([1.0, 2.0]).repeat()))
    zipped = zipped.cache().prefetch(tf.data.experimental.AUTOTUNE)
    ragged = tf.data.Dataset.from_tensor_slices(np.array([[1, 2, 3], [4, 5, 6], [7, 8, 9]], np.int32))
    ragged = ragged.padded_batch(2, padded_shapes=[5], padding_values=-1)
    opts = tf.data.Options()
    opts.experimental_deterministic = True
    enum = tf.data.Dataset.range(3, 6).with_options(opts).enumerate(start=10)
    zit = tf.data.make_initializable_iterator(zipped)
    rit = tf.data.make_initializable_iterator(ragged, shared_name="ragged_iter")
    eit = tf.data.make_initializable_iterator(enum)  # built, not run: RewriteDataset has no kernel yet
    znext, rnext = zit.get_next(), rit.get_next()
    out["enum_spec"] = repr(eit.get_next())
    out["zip_shapes"] = [str(t.shape) for t in znext] + [str(rnext.shape)]

    x_data = np.arange(14, dtype=np.float32).reshape(7, 2)
    with tf.Session() as sess:
        epochs = []
        for epoch in range(2):
            n = 7 - 2 * epoch
            sess.run(it.initializer, {features: x_data[:n] * (epoch + 1), labels: np.arange(n) + 10 * epoch})
            got = []
            try:
                while True:
                    v = sess.run(nxt)
                    got.append([v["x"], v["y"]])
            except tf.errors.OutOfRangeError:
                pass
            epochs.append(got)
        out["epoch0_x"] = [g[0] for g in epochs[0]]
        out["epoch0_y"] = [g[1] for g in epochs[0]]
        out["epoch1_x"] = [g[0] for g in epochs[1]]
        for init in (init_train, init_val, init_train):
            sess.run(init)
            vals = []
            try:
                while True:
                    vals.append(sess.run(get))
            except tf.errors.OutOfRangeError:
                pass
            out.setdefault("generic", []).append(vals)
        out["generic"] = [np.array(v) for v in out["generic"]]
        sess.run([zit.initializer, rit.initializer])
        out["zip"] = [np.concatenate([[a], b]) for a, b in (sess.run(znext) for _ in range(4))]
        out["ragged"] = [sess.run(rnext), sess.run(rnext)]
        out["handle_type"] = str(type(sess.run(it.string_handle())).__name__)
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    out["iterators"] = [t.name for t in tf.get_collection("iterators")]
    return out
