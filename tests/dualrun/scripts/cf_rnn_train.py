"""dynamic_rnn training, node for node as TF builds it: LSTM, GRU and a MultiRNNCell stack with
sequence_length, a bidirectional GRU and a time-major basic RNN, a dense head on the last
output, softmax cross-entropy, gradients through the while loops and TensorArrays, clipped by
global norm and applied by Adam; then plain SGD on an embedding lookup feeding an LSTM (sparse
gradients accumulated inside the loop). Losses per step and the trained variables."""
import numpy as np

GRAPH = True

# The cells' tanh/sigmoid differ from Eigen's in the last bit; eight training steps carry it.
RTOL = 1e-4
ATOL = 1e-6


def main(tf, workdir):
    rc = tf.nn.rnn_cell
    x = tf.placeholder(tf.float32, [4, 5, 3], name="x")
    lengths = tf.placeholder(tf.int32, [4], name="lengths")
    labels = tf.placeholder(tf.int32, [4], name="labels")
    ids = tf.placeholder(tf.int32, [4, 5], name="ids")
    init = tf.random_uniform_initializer(-0.4, 0.4, seed=7)
    with tf.variable_scope("model", initializer=init):
        lstm_out, _ = tf.nn.dynamic_rnn(rc.LSTMCell(6), x, sequence_length=lengths, dtype=tf.float32,
                                        scope="lstm")
        gru_out, gru_state = tf.nn.dynamic_rnn(rc.GRUCell(4), lstm_out, dtype=tf.float32, scope="gru")
        stack_out, stack_state = tf.nn.dynamic_rnn(
            rc.MultiRNNCell([rc.BasicLSTMCell(3), rc.BasicLSTMCell(3)]), x, sequence_length=lengths,
            dtype=tf.float32, scope="stack")
        (fw, bw), _ = tf.nn.bidirectional_dynamic_rnn(rc.GRUCell(2), rc.GRUCell(2), x,
                                                      sequence_length=lengths, dtype=tf.float32)
        tm_out, _ = tf.nn.dynamic_rnn(rc.BasicRNNCell(3), tf.transpose(x, [1, 0, 2]), time_major=True,
                                      dtype=tf.float32, scope="tm")
        features = tf.concat([gru_state, stack_state[1].h, fw[:, -1], bw[:, 0], tm_out[-1]], 1)
        logits = tf.layers.dense(features, 3, name="head")
        loss = tf.reduce_mean(tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits))
        opt = tf.train.AdamOptimizer(0.05)
        grads_vars = opt.compute_gradients(loss)
        grads, tvars = zip(*grads_vars)
        clipped, norm = tf.clip_by_global_norm(grads, 1.0)
        train = opt.apply_gradients(zip(clipped, tvars))
    with tf.variable_scope("emb_model", initializer=init):
        emb = tf.get_variable("emb", [7, 3])
        seq = tf.nn.embedding_lookup(emb, ids)
        e_out, e_state = tf.nn.dynamic_rnn(rc.BasicLSTMCell(2), seq, dtype=tf.float32)
        e_loss = tf.reduce_sum(tf.square(e_state.h - 0.5))
        e_train = tf.train.GradientDescentOptimizer(0.5).minimize(e_loss)
    rng = np.random.RandomState(0)
    feed = {x: rng.uniform(-1, 1, (4, 5, 3)).astype(np.float32), lengths: np.array([5, 3, 1, 4], np.int32),
            labels: np.array([0, 2, 1, 2], np.int32), ids: rng.randint(0, 7, (4, 5)).astype(np.int32)}
    out = {"losses": [], "norms": []}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(8):
            _, _, l, el, n = sess.run([train, e_train, loss, e_loss, norm], feed)
            out["losses"].append(np.array([l, el]))
            out["norms"].append(np.asarray(n))
        out["vars"] = [np.asarray(a) for a in sess.run(tf.trainable_variables())]
    out["var_names"] = [v.op.name for v in tf.global_variables()]
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
