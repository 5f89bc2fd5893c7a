"""Shuffle seeds as TF derives them: an op seed alone (the default graph seed), a graph seed
alone (a per-graph counter that random ops and one-shot iterators also spend), both, seed 0
with graph seed 0 (seed2 forced off zero in the graph), reshuffle_each_iteration on and off
across repeated epochs and across re-initializations, shuffle buffers smaller and larger than
the data, and shuffle_and_repeat. Orders and the graph, node for node, are compared with TF's."""

GRAPH = True


def _run(tf, sess, it, n, times=1):
    nxt = it.get_next()
    out = []
    for _ in range(times):
        sess.run(it.initializer)
        out.append([sess.run(nxt) for _ in range(n)])
    return out


def main(tf, workdir):
    out = {}
    op_only = tf.data.Dataset.range(10).shuffle(10, seed=4)
    tf.set_random_seed(7)
    r = tf.random_uniform([], seed=None, name="spends_a_seed")
    graph_only = tf.data.Dataset.range(10).shuffle(4)
    both = tf.data.Dataset.range(10).shuffle(100, seed=11).repeat(3)
    fixed = tf.data.Dataset.range(8).shuffle(8, seed=2, reshuffle_each_iteration=False).repeat(3)
    shuffle_repeat = tf.data.Dataset.range(6).apply(tf.data.experimental.shuffle_and_repeat(6, count=2, seed=9))
    tiny = tf.data.Dataset.range(12).shuffle(1, seed=3)
    _ = tf.data.make_one_shot_iterator(tf.data.Dataset.range(3))  # spends the graph's next seed
    after = tf.data.Dataset.range(10).shuffle(10)
    tf.get_default_graph().seed = 0
    zero = tf.data.Dataset.range(10).shuffle(10, seed=0)
    its = {k: tf.data.make_initializable_iterator(d) for k, d in (
        ("op_only", op_only), ("graph_only", graph_only), ("both", both), ("fixed", fixed),
        ("shuffle_repeat", shuffle_repeat), ("tiny", tiny), ("after", after), ("zero", zero))}
    with tf.Session() as sess:
        sess.run(r)
        out["op_only"] = _run(tf, sess, its["op_only"], 10, times=2)
        out["graph_only"] = _run(tf, sess, its["graph_only"], 10, times=2)
        out["both"] = _run(tf, sess, its["both"], 30)
        out["fixed"] = _run(tf, sess, its["fixed"], 24, times=2)
        out["shuffle_repeat"] = _run(tf, sess, its["shuffle_repeat"], 12)
        out["tiny"] = _run(tf, sess, its["tiny"], 12)
        out["after"] = _run(tf, sess, its["after"], 10)
        out["zero"] = _run(tf, sess, its["zero"], 10)
    graph_def = tf.get_default_graph().as_graph_def()
    for node in graph_def.node:  # the factory is named after a hash of TF's copy of the pipeline
        if node.op == "OneShotIterator":
            node.attr["dataset_factory"].func.name = "factory"
    out["__graph__"] = graph_def
    return out
