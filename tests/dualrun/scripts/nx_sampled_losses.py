"""A tiny word2vec trained with tf.nn.nce_loss and tf.nn.sampled_softmax_loss (seeded candidate
samplers: log-uniform by default, fixed and learned unigram, uniform given as sampled_values),
with partitioned weights (mod and div strategies), num_true 2, accidental hits removed or not: the sampled
candidates, losses, gradients and weights after a few steps as TF's, the graph node by node, and
the samplers' errors."""
import numpy as np

GRAPH = True
RTOL = 2e-6
ATOL = 1e-6

VOCAB, DIM, BATCH, STEPS = 40, 8, 12, 4


def _error(fn, phrase):
    """The class raised and whether its message holds `phrase` (TF's run-time messages start
    with a "Graph execution error:" header of their own)."""
    try:
        fn()
        return ["none", "False"]
    except Exception as e:  # noqa: BLE001 -- the class is the result
        return [type(e).__name__, str(phrase in str(e))]


def _skipgram_batches(rng):
    # Zipf-ish words, each paired with a context word near it.
    words = np.minimum(rng.zipf(1.5, size=(STEPS, BATCH)) - 1, VOCAB - 1)
    ctx = (words[..., None] + rng.randint(1, 4, size=(STEPS, BATCH, 2))) % VOCAB
    return words.astype(np.int32), ctx.astype(np.int64)


def main(tf, workdir):
    tf.set_random_seed(1234)
    rng = np.random.RandomState(3)
    words, ctx = _skipgram_batches(rng)
    R = {}
    centre = tf.placeholder(tf.int32, [BATCH], name="centre")
    context = tf.placeholder(tf.int64, [BATCH, 2], name="context")
    emb = tf.Variable(rng.uniform(-1, 1, size=(VOCAB, DIM)).astype(np.float32), name="emb")
    embedded = tf.nn.embedding_lookup(emb, centre)

    # nce_loss: one true class, the default log-uniform sampler.
    nce_w = tf.Variable(rng.randn(VOCAB, DIM).astype(np.float32) * 0.1, name="nce_w")
    nce_b = tf.Variable(np.zeros(VOCAB, np.float32), name="nce_b")
    nce = tf.reduce_mean(tf.nn.nce_loss(nce_w, nce_b, context[:, :1], embedded, num_sampled=6,
                                        num_classes=VOCAB))
    # sampled_softmax_loss: two true classes, weights in two parts, accidental hits removed.
    parts = [tf.Variable(rng.randn(VOCAB // 2, DIM).astype(np.float32) * 0.1, name="sm_w%d" % i)
             for i in range(2)]
    sm_b = tf.Variable(rng.randn(VOCAB).astype(np.float32) * 0.01, name="sm_b")
    ssm = tf.reduce_mean(tf.nn.sampled_softmax_loss(parts, sm_b, context, embedded, num_sampled=10,
                                                    num_classes=VOCAB, num_true=2, seed=7))
    # Given samplers: fixed unigram (distorted counts) for nce with hits removed, learned unigram
    # for sampled softmax without, a uniform one for a plain evaluation.
    counts = np.bincount(words.ravel(), minlength=VOCAB).astype(np.float32) + 1
    fixed = tf.random.fixed_unigram_candidate_sampler(context, 2, 8, True, VOCAB, unigrams=counts.tolist(),
                                                      distortion=0.75)
    nce2 = tf.reduce_mean(tf.nn.nce_loss(nce_w, nce_b, context, embedded, 8, VOCAB, num_true=2,
                                         sampled_values=fixed, remove_accidental_hits=True, name="nce2"))
    learned = tf.nn.learned_unigram_candidate_sampler(context, 2, 5, False, VOCAB)
    ssm2 = tf.reduce_mean(tf.nn.sampled_softmax_loss(parts, sm_b, context, embedded, 5, VOCAB, num_true=2,
                                                     sampled_values=learned, remove_accidental_hits=False))
    # nce_loss over three uneven parts with the "div" strategy (ids in blocks of 14, 13, 13).
    div_parts = [tf.Variable(rng.randn(r, DIM).astype(np.float32) * 0.1, name="div_w%d" % i)
                 for i, r in enumerate([14, 13, 13])]
    nce3 = tf.reduce_mean(tf.nn.nce_loss(div_parts, nce_b, context[:, 1:], embedded, 4, VOCAB,
                                         partition_strategy="div", name="nce3"))
    uni = tf.nn.uniform_candidate_sampler(context[:, :1], 1, 5, True, VOCAB, seed=3)
    hits = tf.nn.compute_accidental_hits(context, uni.sampled_candidates, 2)
    allc = tf.random.all_candidate_sampler(context, 2, VOCAB, True)
    logu = tf.random.log_uniform_candidate_sampler(context, 2, 30, True, VOCAB, seed=11)

    grads = tf.gradients(nce + ssm, [embedded, nce_b, sm_b])
    total = nce + ssm + 0.5 * (nce2 + ssm2) + nce3
    opt = tf.train.GradientDescentOptimizer(0.5)
    train = opt.minimize(total)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(STEPS):
            feed = {centre: words[step], context: ctx[step]}
            out = sess.run([nce, ssm, nce2, ssm2, nce3, fixed, learned, uni, hits, logu, train], feed)
            for name, v in zip(["nce", "ssm", "nce2", "ssm2", "nce3", "fixed", "learned", "uni", "hits", "logu"], out):
                if isinstance(v, tuple):
                    for k, part in enumerate(v):
                        R["%s%d_%d" % (name, step, k)] = part
                else:
                    R["%s%d" % (name, step)] = v
        feed = {centre: words[0], context: ctx[0]}
        parts_of = [[g.values, g.indices] if hasattr(g, "indices") else [g] for g in grads]
        R["grads"] = [np.asarray(v) for p in sess.run(parts_of, feed) for v in p]
        R["all"] = list(sess.run(allc, feed))
        for v in [emb, nce_w, nce_b, sm_b] + parts + div_parts:
            R["final_" + v.op.name] = sess.run(v)
        R["err_range"] = _error(lambda: sess.run(
            tf.nn.uniform_candidate_sampler(context, 2, VOCAB + 1, True, VOCAB), feed), "range is too small")
        R["err_true"] = _error(lambda: sess.run(
            tf.nn.log_uniform_candidate_sampler(context, 2, 3, True, 5), feed), "out of range [0, 5)")
    R["err_learned_range"] = _error(lambda: tf.nn.learned_unigram_candidate_sampler(context, 2, 3, True, 2 ** 32),
                                      "4294967296 is too large")
    R["__graph__"] = tf.get_default_graph().as_graph_def()
    return R
