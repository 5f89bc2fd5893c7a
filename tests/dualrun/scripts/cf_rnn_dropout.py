"""DropoutWrapper in a MultiRNNCell under dynamic_rnn, node for node as TF builds it: constant keep
probabilities resolved at construction (DropoutWrapperInit), a placeholder one kept as a tensor
(1 - keep outside the dropout scope, RealDiv inside), per-value seeds derived from the wrapper's
seed, state dropout on an LSTM's h only; trained with Adam through the loop, the tensor keep
fed 1.0. (A run with live dropout masks inside the loop is not compared: which iteration's random
op runs first depends on the executor's schedule, and metarun's differs from TF's.)"""
import numpy as np

GRAPH = True
RTOL = 1e-5
ATOL = 1e-7


def main(tf, workdir):
    tf.set_random_seed(42)
    rc = tf.nn.rnn_cell
    x = tf.placeholder(tf.float32, [3, 4, 2], name="x")
    keep = tf.placeholder(tf.float32, [], name="keep")
    init = tf.random_uniform_initializer(-0.4, 0.4, seed=9)
    with tf.variable_scope("m", initializer=init):
        cells = [rc.DropoutWrapper(rc.LSTMCell(3), input_keep_prob=0.9, output_keep_prob=keep, state_keep_prob=0.8,
                                   seed=5),
                 rc.DropoutWrapper(rc.GRUCell(2), output_keep_prob=keep)]
        cell = rc.MultiRNNCell(cells)
        out, state = tf.nn.dynamic_rnn(cell, x, initial_state=cell.zero_state(3, tf.float32))
        loss = tf.reduce_mean(tf.square(out - 0.1))
        train = tf.train.AdamOptimizer(0.05).minimize(loss)
        # The trained model: dropout through the fed keep only.
        cells2 = [rc.DropoutWrapper(rc.LSTMCell(3), output_keep_prob=keep, seed=5),
                  rc.DropoutWrapper(rc.GRUCell(2), output_keep_prob=keep)]
        out2, _ = tf.nn.dynamic_rnn(rc.MultiRNNCell(cells2), x, dtype=tf.float32, scope="run")
        loss = tf.reduce_mean(tf.square(out2 - 0.1))
        train = tf.train.AdamOptimizer(0.05).minimize(loss, var_list=tf.trainable_variables("m/run"))
    xv = np.cos(np.arange(24, dtype=np.float32)).reshape(3, 4, 2)
    res = {"losses": []}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(4):
            res["losses"].append(np.asarray(sess.run([train, loss], {x: xv, keep: 1.0})[1]))
    res["__graph__"] = tf.get_default_graph().as_graph_def()
    return res
