"""tf.train.init_from_checkpoint (TF1 warm start) node for node: scope-to-scope and name-to-name
maps, a resource variable, a partitioned variable mapped whole, a variable left alone; the
initializers then load the checkpoint's values. tf.train.write_graph's text and binary files,
byte for byte, and checkpoints_iterator over a directory."""
import os

import numpy as np

GRAPH = True


def main(tf, workdir):
    # The checkpoint path is a Const of the graph: relative paths keep the graph the same anywhere.
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        return _main(tf, ".")
    finally:
        os.chdir(cwd)


def _main(tf, workdir):
    out = {}
    with tf.Graph().as_default():
        with tf.variable_scope("old"):
            a = tf.get_variable("a", [2, 3], initializer=tf.random_uniform_initializer(seed=1))
            b = tf.get_variable("b", [3], initializer=tf.constant_initializer(2.0))
        with tf.variable_scope("emb", partitioner=tf.fixed_size_partitioner(2)):
            e = tf.get_variable("e", [5, 2], initializer=tf.random_uniform_initializer(seed=2))
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            saver.save(sess, os.path.join(workdir, "m"))
            out["saved"] = [np.asarray(v) for v in sess.run([a, b, tf.convert_to_tensor(e)])]
    with tf.Graph().as_default() as g:
        with tf.variable_scope("new"):
            a2 = tf.get_variable("a", [2, 3])
            b2 = tf.get_variable("b", [3], use_resource=True)
        with tf.variable_scope("emb2", partitioner=tf.fixed_size_partitioner(2)):
            e2 = tf.get_variable("e", [5, 2])
        c = tf.get_variable("c", [1], initializer=tf.ones_initializer())
        tf.train.init_from_checkpoint("m", {"old/": "new/", "emb/e": "emb2/e"})
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            out["loaded"] = [np.asarray(v) for v in sess.run([a2, b2, tf.convert_to_tensor(e2), c])]
        out["__graph__"] = g.as_graph_def()
        for as_text, name in ((True, "g.pbtxt"), (False, "g.pb")):
            path = tf.train.write_graph(g, os.path.join(workdir, "graphs"), name, as_text=as_text)
            with open(path, "rb") as f:
                out["file_" + name] = np.frombuffer(f.read(), np.uint8)
    out["iterated"] = [os.path.basename(p) for p in tf.train.checkpoints_iterator(workdir, timeout=0)]
    return out
