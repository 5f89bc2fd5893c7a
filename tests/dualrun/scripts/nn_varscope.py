"""tf.variable_scope and tf.get_variable as TF builds them: scope re-entry (by name and by the
captured VariableScope, auxiliary_name_scope=False), default_name counting, AUTO_REUSE, inherited
initializer and dtype, TF's reuse errors; every initializer with a graph seed (values equal TF's);
a partitioned variable (fixed_size_partitioner) read whole and looked up, saved by the Saver as
TF's slices and restored. The graph is compared node for node."""
import os

import numpy as np

GRAPH = True


def main(tf, workdir):
    R = {}
    with tf.variable_scope("foo") as s:
        a = tf.get_variable("a", [1])
        x = tf.add(1.0, 2.0, name="x")
        R["s.name"] = s.name; R["s.ons"] = s.original_name_scope
    with tf.variable_scope("foo", reuse=True):
        a2 = tf.get_variable("a", [1])
        y = tf.add(1.0, 2.0, name="y")
    with tf.variable_scope(s):
        z = tf.add(1.0, 2.0, name="z")
    with tf.variable_scope(s, reuse=True):
        z2 = tf.add(1.0, 2.0, name="z2")
        with tf.variable_scope("inner"):
            w = tf.add(1.0, 2.0, name="w")
            R["inner.reuse"] = tf.get_variable_scope().reuse
    with tf.variable_scope(None, default_name="dflt"):
        tf.add(1.0, 2.0, name="d")
    with tf.variable_scope(None, default_name="dflt"):
        tf.add(1.0, 2.0, name="d")
    with tf.name_scope("ns"):
        with tf.variable_scope("vs"):
            v = tf.get_variable("v", [1])
            q = tf.add(1.0, 2.0, name="q")
        with tf.variable_scope(None, default_name="dflt"):
            tf.add(1.0, 2.0, name="d")
    with tf.variable_scope("auto", reuse=tf.AUTO_REUSE):
        b1 = tf.get_variable("b", [2])
    with tf.variable_scope("auto", reuse=tf.AUTO_REUSE):
        b2 = tf.get_variable("b", [2])
    with tf.variable_scope("foo", auxiliary_name_scope=False):
        tf.add(1.0, 2.0, name="aux")
    with tf.variable_scope("root", initializer=tf.constant_initializer(0.5), dtype=tf.float64):
        r = tf.get_variable("r", [1])
        with tf.variable_scope("sub"):
            r2 = tf.get_variable("r2", [1])
    try:
        with tf.variable_scope("foo"):
            tf.get_variable("a", [1])
    except ValueError as e:
        R["err1"] = str(e).split("\n")[0]
    try:
        with tf.variable_scope("foo", reuse=True):
            tf.get_variable("nope", [1])
    except ValueError as e:
        R["err2"] = str(e).split("\n")[0]
    try:
        with tf.variable_scope("foo", reuse=True):
            tf.get_variable("a", [2])
    except ValueError as e:
        R["err3"] = str(e).split("\n")[0]
    try:
        tf.get_variable("noshape")
    except ValueError as e:
        R["err4"] = str(e).split("\n")[0]
    R["same"] = (a is a2, b1 is b2)
    R["vars"] = [v.name for v in tf.global_variables()]
    R["dt"] = (r.dtype.name, r2.dtype.name)
    R["scope"] = tf.get_variable_scope().name
    tf.set_random_seed(7)
    inits = {
        "ones": tf.ones_initializer(), "normal": tf.random_normal_initializer(1.0, 2.0),
        "uniform": tf.random_uniform_initializer(-1.0, 1.0, seed=4), "default_uniform": tf.random_uniform_initializer(),
        "vs_normal": tf.variance_scaling_initializer(2.0, "fan_in", "normal"), "glorot_normal": tf.glorot_normal_initializer(),
        "unit": tf.uniform_unit_scaling_initializer(1.5), "const": tf.constant_initializer([1, 2, 3, 4, 5, 6]),
        "untruncated": tf.variance_scaling_initializer(distribution="untruncated_normal"),
        "truncated": tf.truncated_normal_initializer()}
    made = [tf.get_variable("init_" + k, [2, 3], initializer=v) for k, v in sorted(inits.items())]
    made.append(tf.get_variable("conv_k", [3, 3, 2, 4], initializer=tf.variance_scaling_initializer(2.0)))
    made.append(tf.get_variable("ints", [4], dtype=tf.int32))
    with tf.variable_scope("emb", partitioner=tf.fixed_size_partitioner(3)):
        emb = tf.get_variable("e", [7, 2])
    whole = tf.identity(emb)
    looked = tf.nn.embedding_lookup(emb, tf.constant([[0, 4], [6, 1]]))
    saver = tf.train.Saver()
    R["__graph__"] = tf.get_default_graph().as_graph_def()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        R["values"] = sess.run(made)
        R["whole"], R["looked"] = sess.run([whole, looked])
        saver.save(sess, os.path.join(workdir, "part"))
        sess.run(tf.group(*[v.assign(tf.zeros_like(v)) for v in emb]))
        saver.restore(sess, os.path.join(workdir, "part"))
        R["restored"] = sess.run(whole)
    R["slices"] = [v._save_slice_info.spec if hasattr(v._save_slice_info, "spec") else
                   " ".join(str(d) for d in v._save_slice_info.full_shape) + " " + ":".join(
                       "%d,%d" % (o, s) for o, s in zip(v._save_slice_info.var_offset, v._save_slice_info.var_shape))
                   for v in emb]
    R["partitions"] = list(emb._get_partitions())
    R["min_max"] = tf.min_max_variable_partitioner(max_partitions=4, min_slice_size=8)(
        shape=tf.TensorShape([10, 3]), dtype=tf.float32)
    R["ckpt"] = sorted("%s %s" % (n, s) for n, s in tf.train.list_variables(os.path.join(workdir, "part")))
    R["same"] = list(R["same"])
    R["dt"] = list(R["dt"])
    return R
