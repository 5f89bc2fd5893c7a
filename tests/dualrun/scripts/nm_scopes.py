"""tf.metrics' names under scopes: the same name twice, inside a variable_scope and a name_scope,
and inside control_dependencies (metric variables are built in TF's init_scope, free of the
enclosing control inputs); graph node for node and local variable names."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    x_in = tf.placeholder(tf.float32, [3], name="x")
    x = tf.identity(x_in, name="x_id")  # not the fed placeholder itself: see nm_means
    lab = tf.placeholder(tf.bool, [3], name="lab")
    gate = tf.no_op(name="gate")
    pairs = [tf.metrics.mean(x, name="dup"), tf.metrics.mean(x, name="dup")]
    with tf.variable_scope("outer"):
        pairs.append(tf.metrics.recall(lab, x > 0.5))
        with tf.name_scope("ns"):
            pairs.append(tf.metrics.auc(lab, tf.sigmoid(x), num_thresholds=4))
    with tf.control_dependencies([gate]):
        pairs.append(tf.metrics.false_negatives_at_thresholds(lab, tf.sigmoid(x), [0.5]))
        pairs.append(tf.metrics.mean_tensor(x * 2.0))
    out = {"names": [t.name for pair in pairs for t in pair], "local": [v.name for v in tf.local_variables()]}
    with tf.Session() as sess:
        sess.run(tf.local_variables_initializer())
        out["update"] = sess.run([p[1] for p in pairs], {x_in: np.array([0.25, 0.75, -1.0], np.float32),
                                                          lab: [True, True, False]})
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
