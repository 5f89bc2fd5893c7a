"""The TF1 training loop over a one-shot iterator: numpy features and labels sliced into a
dataset, shuffled with a graph and an op seed, repeated, batched and prefetched; a linear model
trained on each batch until OutOfRangeError. The batches seen (TF's shuffle order), the losses
and the trained variables are compared with TF's; so is a second one-shot iterator after the
first (the iterator spends a graph-level seed, as TF's does)."""
import numpy as np

RTOL = 1e-5


def main(tf, workdir):
    rng = np.random.RandomState(0)
    x_data = rng.randn(20, 3).astype(np.float32)
    y_data = (x_data @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)
    tf.set_random_seed(42)
    ds = tf.data.Dataset.from_tensor_slices((x_data, y_data))
    ds = ds.shuffle(buffer_size=8, seed=3).repeat(3).batch(6).prefetch(2)
    it = ds.make_one_shot_iterator()
    x, y = it.get_next()
    w = tf.Variable(tf.zeros([3, 1]), name="w")
    b = tf.Variable(0.0, name="b")
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y))
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)

    other = tf.data.make_one_shot_iterator(tf.data.Dataset.range(7).shuffle(7)).get_next()
    out = {"static_shapes": [str(x.shape), str(y.shape)], "names": [x.name, y.name],
           "types": repr(ds.output_types), "shapes": repr(ds.output_shapes)}
    losses, firsts = [], []
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        try:
            while True:
                xb, lv, _ = sess.run([x, loss, train])
                firsts.append(xb[:, 0])
                losses.append(lv)
        except tf.errors.OutOfRangeError as e:
            out["end"] = type(e).__name__
        out["after_end"] = _error(lambda: sess.run(x))  # stays at the end
        out["other"] = [sess.run(other) for _ in range(7)]
        out["other_end"] = _error(lambda: sess.run(other))
        out["w"], out["b"] = sess.run([w, b])
    out["losses"] = np.array(losses)
    out["batch_sizes"] = [len(f) for f in firsts]
    out["batches"] = np.concatenate(firsts)
    return out


def _error(fn):
    try:
        fn()
    except Exception as e:  # noqa: BLE001
        return type(e).__name__
    return "no error"
