"""A Saver given partitioned variables by hand: in a list (each part saved as a slice of the
full variable's key) and in a dict (the parts under the dict's key), restored into a fresh
graph built the same way, with TF's save/restore subgraph node for node."""
import os

import numpy as np

GRAPH = True


def _build(tf):
    with tf.variable_scope("s", partitioner=tf.fixed_size_partitioner(3)):
        emb = tf.get_variable("emb", [7, 2], initializer=tf.random_uniform_initializer(-1, 1, seed=5))
    w = tf.Variable([1.0, 2.0], name="w")
    return emb, w


def main(tf, workdir):
    out = {}
    with tf.Graph().as_default() as g:
        emb, w = _build(tf)
        by_list = tf.train.Saver([emb, w])
        by_dict = tf.train.Saver({"emb_alias": emb, "w_alias": w})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            out["saved"] = [np.asarray(v) for v in sess.run([tf.convert_to_tensor(emb), w])]
            by_list.save(sess, os.path.join(workdir, "list"))
            by_dict.save(sess, os.path.join(workdir, "dict"))
        out["__graph__"] = g.as_graph_def()
    for name in ("list", "dict"):
        reader = tf.train.NewCheckpointReader(os.path.join(workdir, name))
        shapes = reader.get_variable_to_shape_map()
        out[name + "_keys"] = sorted(shapes)
        out[name + "_values"] = [reader.get_tensor(k) for k in sorted(shapes)]
    with tf.Graph().as_default():
        emb, w = _build(tf)
        restorer = tf.train.Saver({"emb_alias": emb, "w_alias": w})
        with tf.Session() as sess:
            restorer.restore(sess, os.path.join(workdir, "dict"))
            out["restored"] = [np.asarray(v) for v in sess.run([tf.convert_to_tensor(emb), w])]
    return out
