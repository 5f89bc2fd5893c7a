"""SavedModelBuilder(strip_default_attrs=True) as TF 2.21 writes it: the MetaGraphDef is marked
stripped, and the attrs on every node are TF's (TF 2.21's builder path keeps the default-valued
ones: the two MetaGraphDefs differ only by the second Saver's nodes); both load and compute."""
import os

import numpy as np


def _attrs(meta):
    return sorted("%s.%s" % (n.name, a) for n in meta.graph_def.node for a in n.attr)


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2), name="w")
    v = tf.get_variable("v", initializer=np.float32(0.5), use_resource=True)
    y = tf.add(tf.matmul(x, w, transpose_b=False), v, name="y")
    s = tf.reduce_sum(y, axis=1, keepdims=True, name="s")
    sig = {"serving_default": tf.saved_model.predict_signature_def({"x": x}, {"y": y, "s": s})}
    d = os.path.join(workdir, "m")
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        b = tf.saved_model.Builder(d)
        b.add_meta_graph_and_variables(sess, ["serve"], sig, strip_default_attrs=True)
        b.add_meta_graph(["train"], sig)
        b.save()
    r = {}
    feed = np.array([[1.0, 2.0, 3.0]], np.float32)
    for tag in ("serve", "train"):
        with tf.Graph().as_default(), tf.Session() as sess:
            meta = tf.saved_model.load(sess, [tag], d)
            r[tag + "_stripped"] = meta.meta_info_def.stripped_default_attrs
            r[tag + "_attrs"] = _attrs(meta)
            r[tag + "_y"], r[tag + "_s"] = sess.run(["y:0", "s:0"], {"x:0": feed})
    return r
