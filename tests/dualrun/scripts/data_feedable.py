"""The feedable-iterator pattern: a train pipeline (map with a lambda capturing an outer tensor,
filter, shuffle with seeds, repeat, batch) behind a one-shot iterator and a validation pipeline
behind an initializable one, both read through one Iterator.from_string_handle fed with their
string handles. The batches each handle gives (interleaved as a training script does), the
validation pass re-initialized twice, and the end of data are compared with TF's."""
import numpy as np


def main(tf, workdir):
    scale = tf.constant(10, tf.int64, name="scale")
    offset = tf.placeholder_with_default(tf.constant(1, tf.int64), [], name="offset")
    train = tf.data.Dataset.range(40)
    train = train.map(lambda v: (v * scale, tf.cast(v % 3, tf.int32)), num_parallel_calls=4)
    train = train.filter(lambda v, label: tf.not_equal(label, 2))
    train = train.shuffle(16, seed=5).repeat(2).batch(4)
    val = tf.data.Dataset.range(5).map(lambda v: (v + offset, tf.cast(v, tf.int32) * 0)).batch(2)

    handle = tf.placeholder(tf.string, shape=[], name="handle")
    it = tf.data.Iterator.from_string_handle(handle, train.output_types, train.output_shapes)
    value, label = it.get_next()
    train_it = train.make_one_shot_iterator()
    val_it = val.make_initializable_iterator()
    total = tf.reduce_sum(value)

    out = {"shapes": [str(value.shape), str(label.shape)], "types": repr(it.output_types),
           "val_shapes": repr(val.output_shapes)}
    with tf.Session() as sess:
        th, vh = sess.run([train_it.string_handle(), val_it.string_handle()])
        steps = []
        for step in range(6):
            v, lab, s = sess.run([value, label, total], {handle: th})
            steps.append(np.concatenate([v, lab.astype(np.int64), [s]]))
            if step % 3 == 2:
                for _ in range(2):
                    sess.run(val_it.initializer)
                    vals = []
                    try:
                        while True:
                            vals.append(sess.run(value, {handle: vh}))
                    except tf.errors.OutOfRangeError:
                        pass
                    out.setdefault("val", []).append(np.concatenate(vals))
        out["train_steps"] = steps
        rest = []
        try:
            while True:
                rest.append(sess.run(value, {handle: th}))
        except tf.errors.OutOfRangeError as e:
            out["end"] = type(e).__name__
        out["rest"] = np.concatenate(rest)
        out["rest_count"] = len(rest)
    return out
