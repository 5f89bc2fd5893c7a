"""The seed document's second example, both halves: build, save, then restore in a new graph."""
import os

GRAPH = True


def main(tf, workdir):
    v1 = tf.placeholder(tf.float32, name="v1")
    v2 = tf.placeholder(tf.float32, name="v2")
    v3 = tf.math.multiply(v1, v2)
    vx = tf.Variable(10.0, name="vx")
    v4 = tf.add(v3, vx, name="v4")
    saver = tf.train.Saver([vx])
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    sess.run(vx.assign(tf.add(vx, vx)))
    result = sess.run(v4, feed_dict={v1: 12.0, v2: 3.3})
    saver.save(sess, os.path.join(workdir, "model_ex1"))
    graph_def = tf.get_default_graph().as_graph_def()
    sess.close()

    with tf.Graph().as_default():
        saver = tf.train.import_meta_graph(os.path.join(workdir, "model_ex1.meta"))
        sess = tf.Session()
        saver.restore(sess, os.path.join(workdir, "model_ex1"))
        restored = sess.run("v4:0", feed_dict={"v1:0": 12.0, "v2:0": 3.3})
        sess.close()
    return {"result": result, "restored": restored, "__graph__": graph_def,
            "shapes": [str(t.shape) for t in (v1, v3, v4)]}
