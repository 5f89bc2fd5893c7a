"""tf.TensorArray (write, read, stack, unstack, gather, scatter, concat, split, size, close, a
dynamic size) and tf.map_fn / tf.scan / tf.foldl / tf.foldr built on it as TF builds them, node
for node: tuples of elements, an initializer, reverse scans, a known and an unknown length."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [4, 3], name="x")
    xd = tf.placeholder(tf.float32, [None, 3], name="xd")
    ta = tf.TensorArray(tf.float32, size=4).unstack(x)
    r = ta.read(2)
    ta2 = tf.TensorArray(tf.float32, size=0, dynamic_size=True)
    ta2 = ta2.write(0, r).write(1, r * 2.0)
    s, c, sz = ta2.stack(), ta2.concat(), ta2.size()
    g = tf.TensorArray(tf.float32, size=4).unstack(x).gather([0, 3])
    ta3 = tf.TensorArray(tf.float32, size=2, infer_shape=False).split(x, [1, 3])
    split_cat = ta3.concat()
    ta4 = tf.TensorArray(tf.float32, size=3, element_shape=[3]).scatter([2, 0], x[:2])
    ta4 = ta4.write(1, tf.ones([3]))
    sc = ta4.stack()
    m = tf.map_fn(lambda row: row * 2.0, x)
    m2 = tf.map_fn(lambda a: (a[0] + a[1], a[0] * a[1]), (x, x + 1.0), dtype=(tf.float32, tf.float32))
    md = tf.map_fn(lambda row: tf.reduce_sum(row), xd)
    sc1 = tf.scan(lambda a, row: a + row, x)
    sc2 = tf.scan(lambda a, row: a * 0.5 + row, x, initializer=tf.zeros([3]), reverse=True)
    sc3 = tf.scan(lambda a, row: a + row, xd, reverse=True)
    fl = tf.foldl(lambda a, row: a * 2.0 + row, x)
    fl2 = tf.foldl(lambda a, row: a + tf.reduce_sum(row), xd, initializer=tf.constant(1.0))
    fr = tf.foldr(lambda a, row: a * 2.0 + row, x, initializer=tf.zeros([3]))
    fr2 = tf.foldr(lambda a, row: a * 2.0 + row, x)
    xv = np.arange(12, dtype=np.float32).reshape(4, 3) / 4 - 1
    out = {}
    with tf.Session() as sess:
        # one run each: a TensorArray's elements are cleared once read
        out["values"] = [np.asarray(sess.run(t, {x: xv, xd: xv[:3]})) for t in
                         (r, s, c, sz, g, split_cat, sc, m, m2[0], m2[1], md, sc1, sc2, sc3, fl, fl2, fr, fr2)]
    out["shapes"] = [str(t.shape) for t in (r, s, c, g, sc, m, md, sc1, sc3, fl, fr)]
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
