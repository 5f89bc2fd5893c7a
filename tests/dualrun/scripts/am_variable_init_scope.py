"""Variables are built as in TF's init_scope: tf.Variable and get_variable (ref and resource)
made inside control_dependencies, a cond branch or a while body take no control inputs and live
outside the branch or loop, in the current name scope; ops around them keep theirs."""
import numpy as np

GRAPH = True


def main(tf, workdir):
    a = tf.constant(1.0, name="a")
    with tf.control_dependencies([a]):
        v = tf.Variable(2.0, name="v")
        w = tf.get_variable("w", [2], initializer=tf.zeros_initializer())
        r = tf.Variable(np.ones(2, np.float32), name="r", use_resource=True)
        b = v + 1

    def body(i, s):
        u = tf.Variable(3.0, name="inloop")
        return i + 1, s + u

    looped = tf.while_loop(lambda i, s: i < 2, body, [tf.constant(0), tf.constant(0.0)])
    branch = tf.cond(a > 0, lambda: tf.Variable(5.0, name="inbranch") * 2.0, lambda: tf.constant(0.0))
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        vals = sess.run([b, w, r, looped[1], branch])
    return {"vals": [np.asarray(x) for x in vals], "__graph__": tf.get_default_graph().as_graph_def()}
