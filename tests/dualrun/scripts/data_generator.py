"""Dataset.from_generator (tuple elements with shapes and args, a lone dtype without shapes,
strings, dict elements), repeated and batched, re-initialized mid-pass, a yielded element of the
wrong shape (the error class, then iteration goes on), and the stages around it: enumerate,
unbatch, batch with num_parallel_calls and shard, all compared with TF's values."""
import numpy as np


def main(tf, workdir):
    out = {}
    D = tf.data.Dataset

    def pairs(n, scale):
        for i in range(int(n)):
            yield i, np.full([2], i * float(scale), np.float32)

    def words():
        for w in ("a", "bb", "ccc"):
            yield {"w": w, "n": len(w)}

    def bumpy():
        yield [1, 2]
        yield [1, 2, 3]
        yield [4, 5]

    n = tf.placeholder(tf.int64, [], name="n")
    gen = D.from_generator(pairs, (tf.int64, tf.float32), (tf.TensorShape([]), tf.TensorShape([2])), args=(n, 0.5))
    plain = D.from_generator(lambda: iter([3, 1, 4, 1, 5]), tf.int64).repeat(2).batch(3)
    dicts = D.from_generator(words, {"w": tf.string, "n": tf.int32}, {"w": [], "n": []}).enumerate(5)
    bad = D.from_generator(bumpy, tf.int32, tf.TensorShape([2]))
    stages = D.range(11).batch(4).unbatch().shard(3, 1).batch(2, num_parallel_calls=2)
    out["types"] = repr((gen.output_types, plain.output_types, sorted(dicts.output_types[1].items())))
    out["shapes"] = repr((gen.output_shapes, plain.output_shapes, stages.output_shapes))

    its = {k: tf.data.make_initializable_iterator(d) for k, d in
           (("gen", gen), ("plain", plain), ("dicts", dicts), ("bad", bad), ("stages", stages))}
    nexts = {k: it.get_next() for k, it in its.items()}
    with tf.Session() as sess:
        def drain(key, feed=None, limit=50):
            got = []
            for _ in range(limit):
                try:
                    got.append(sess.run(nexts[key], feed))
                except tf.errors.OutOfRangeError:
                    got.append("end")
                    break
                except tf.errors.OpError as e:
                    got.append(type(e).__name__)
            return got

        sess.run(its["gen"].initializer, {n: 4})
        first = sess.run(nexts["gen"])
        sess.run(its["gen"].initializer, {n: 2})  # restarts with the new args
        rest = drain("gen")
        out["gen/ints"] = [int(first[0])] + [int(v[0]) for v in rest[:-1]]
        out["gen/floats"] = np.stack([first[1]] + [v[1] for v in rest[:-1]])
        out["gen/end"] = rest[-1]
        sess.run(its["plain"].initializer)
        got = drain("plain")
        out["plain"] = [v.tolist() for v in got[:-1]]
        sess.run(its["dicts"].initializer)
        got = drain("dicts")
        out["dicts"] = [(int(i), bytes(d["w"]), int(d["n"])) for i, d in got[:-1]]
        sess.run(its["bad"].initializer)
        out["bad"] = [v if isinstance(v, str) else v.tolist() for v in drain("bad")]
        sess.run(its["stages"].initializer)
        out["stages"] = [v if isinstance(v, str) else v.tolist() for v in drain("stages")]
    return out
