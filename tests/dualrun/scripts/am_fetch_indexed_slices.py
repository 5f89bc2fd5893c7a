"""Session.run of an IndexedSlices (a gather's gradient) returns TF's IndexedSlicesValue: the
values, indices and dense shape, alone, in a structure and next to its own parts."""
import numpy as np


def main(tf, workdir):
    v = tf.Variable(np.arange(12, dtype=np.float32).reshape(4, 3), name="v")
    loss = tf.reduce_sum(tf.square(tf.gather(v, [3, 1, 3])))
    grad = tf.gradients(loss, v)[0]
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        alone = sess.run(grad)
        nested = sess.run({"g": grad, "parts": [grad.values, grad.indices]})
    return {"type": type(alone).__name__, "fields": list(alone._fields), "alone": list(alone),
            "nested": list(nested["g"]), "parts": nested["parts"]}
