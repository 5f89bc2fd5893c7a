"""tf.nn.dynamic_rnn forward with each cell (BasicRNNCell, BasicLSTMCell, LSTMCell with peepholes,
projection and clipping, GRUCell, MultiRNNCell of LSTMs), with and without sequence_length,
time-major, static_rnn and bidirectional_dynamic_rnn: values and TF's variable names."""
import numpy as np

GRAPH = True

# TF's oneDNN GEMM sums the cells' MatMuls in another order: last-bit differences, which matter
# relatively only for values near zero, hence an absolute bound beside the default rtol.
ATOL = 1e-7


def _flat(s):
    if isinstance(s, (tuple, list)):
        return [x for y in s for x in _flat(y)]
    return [s]


def main(tf, workdir):
    x = tf.placeholder(tf.float32, [3, 4, 2], name="x")
    lengths = tf.placeholder(tf.int32, [3], name="lengths")
    rc = tf.nn.rnn_cell
    results = []
    with tf.variable_scope("m", initializer=tf.random_uniform_initializer(-0.5, 0.5, seed=3)):
        cells = [rc.BasicRNNCell(5), rc.BasicLSTMCell(4), rc.GRUCell(3),
                 rc.LSTMCell(4, use_peepholes=True, num_proj=3, cell_clip=0.6),
                 rc.MultiRNNCell([rc.BasicLSTMCell(3), rc.BasicLSTMCell(2)])]
        for i, cell in enumerate(cells):
            out, state = tf.nn.dynamic_rnn(cell, x, dtype=tf.float32, scope="rnn%d" % i)
            results += [out] + _flat(state)
        out, state = tf.nn.dynamic_rnn(rc.BasicLSTMCell(3), x, sequence_length=lengths, dtype=tf.float32)
        results += [out, state.c, state.h]
        tm, tm_state = tf.nn.dynamic_rnn(rc.GRUCell(2), tf.transpose(x, [1, 0, 2]), time_major=True,
                                         dtype=tf.float32, scope="tm")
        results += [tm, tm_state]
        souts, sstate = tf.nn.static_rnn(rc.BasicRNNCell(3), tf.unstack(x, axis=1), dtype=tf.float32)
        results += souts + [sstate]
        souts2, sstate2 = tf.nn.static_rnn(rc.BasicLSTMCell(2), tf.unstack(x, axis=1), dtype=tf.float32,
                                           sequence_length=lengths, scope="static_len")
        results += souts2 + list(sstate2)
        (fw, bw), (sfw, sbw) = tf.nn.bidirectional_dynamic_rnn(rc.GRUCell(2), rc.GRUCell(2), x,
                                                               sequence_length=lengths, dtype=tf.float32)
        results += [fw, bw, sfw, sbw]
    names = sorted(v.op.name for v in tf.global_variables())
    xv = np.sin(np.arange(24, dtype=np.float32)).reshape(3, 4, 2)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        vals = sess.run(results, {x: xv, lengths: np.array([4, 2, 3], np.int32)})
    return {"values": [np.asarray(v) for v in vals], "names": names,
            "__graph__": tf.get_default_graph().as_graph_def()}
