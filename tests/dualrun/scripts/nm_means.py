"""tf.metrics' mean family (mean, mean_tensor, accuracy, percentage_below, mean_absolute_error,
mean_squared_error, root_mean_squared_error, mean_relative_error, mean_cosine_distance): graph
node for node, local variables, collections and running values over three update steps, with
and without weights (scalar, broadcast and full), on 2-D inputs and with squeezable dims."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    rng = np.random.RandomState(7)
    v_in = tf.placeholder(tf.float32, [2, 3], name="v")
    # mean/mean_tensor make the count update depend on `values` (a control input); through an
    # Identity, since metarun's executor cannot yet run a control input from a fed placeholder.
    v = tf.identity(v_in, name="v_id")
    lab = tf.placeholder(tf.float32, [2, 3], name="lab")
    w_row = tf.placeholder(tf.float32, [2, 1], name="w_row")
    w_full = tf.placeholder(tf.float32, [2, 3], name="w_full")
    ci = tf.placeholder(tf.int32, [2, 3], name="ci")
    cl = tf.placeholder(tf.int64, [2, 3, 1], name="cl")
    w_vec = tf.placeholder(tf.float32, [2], name="w_vec")
    out = {}
    pairs = [
        tf.metrics.mean(v),
        tf.metrics.mean(v, weights=w_row, metrics_collections=["mc"], updates_collections=["uc"]),
        tf.metrics.mean(v, weights=2.0, name="scaled"),
        tf.metrics.mean_tensor(v),
        tf.metrics.mean_tensor(v, weights=w_full, name="mt_w"),
        tf.metrics.mean_tensor(v, weights=w_row),
        tf.metrics.accuracy(cl, ci),
        tf.metrics.accuracy(ci, cl, weights=w_row),
        tf.metrics.percentage_below(v, 0.5),
        tf.metrics.percentage_below(v, 0.25, weights=w_full, metrics_collections=["mc"]),
        tf.metrics.mean_absolute_error(lab, v),
        tf.metrics.mean_absolute_error(lab, v, weights=w_full),
        tf.metrics.mean_squared_error(lab, v, weights=w_row),
        tf.metrics.root_mean_squared_error(lab, v),
        tf.metrics.root_mean_squared_error(lab, v, weights=w_full, updates_collections=["uc"]),
        tf.metrics.mean_relative_error(lab, v, normalizer=lab),
        tf.metrics.mean_relative_error(lab, v, normalizer=v, weights=w_row),
        tf.metrics.mean_cosine_distance(lab, v, dim=1),
        tf.metrics.mean_cosine_distance(lab, v, dim=1, weights=w_row, metrics_collections=["mc"]),
        tf.metrics.mean(v, weights=w_vec, name="expanded"),
    ]
    out["names"] = [t.name for pair in pairs for t in pair]
    out["local"] = [x.name for x in tf.local_variables()]
    out["metric_vars"] = [x.name for x in tf.get_collection(tf.GraphKeys.METRIC_VARIABLES)]
    out["mc"] = [t.name for t in tf.get_collection("mc")]
    out["uc"] = [t.name for t in tf.get_collection("uc")]
    updates = [p[1] for p in pairs]
    values = [p[0] for p in pairs]
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        for step in range(3):
            feed = {v_in: rng.rand(2, 3).astype(np.float32), lab: rng.rand(2, 3).astype(np.float32),
                    w_row: rng.randint(0, 3, (2, 1)).astype(np.float32),
                    w_full: rng.rand(2, 3).astype(np.float32),
                    ci: rng.randint(0, 3, (2, 3)), cl: rng.randint(0, 3, (2, 3, 1)),
                    w_vec: rng.rand(2).astype(np.float32)}
            if step == 1:
                feed[lab][0, 0] = 0.0  # a zero normalizer
            out["update%d" % step] = sess.run(updates, feed)
            out["value%d" % step] = sess.run(values)
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
