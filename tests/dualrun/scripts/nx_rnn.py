"""tf.nn.static_bidirectional_rnn (with and without sequence lengths), tf.nn.raw_rnn (a loop_fn
reading a TensorArray, with a loop state and an emit structure of its own) and the
tf.nn.rnn_cell ResidualWrapper and DeviceWrapper: values, final states, tf.gradients into the
inputs and the variables, the graph node by node, and the errors TF raises."""
import numpy as np

GRAPH = True
RTOL = 1e-5
ATOL = 1e-6


def _error(fn, message=True):
    try:
        fn()
        return ["none", ""]
    except Exception as e:  # noqa: BLE001 -- the class is the result
        return [type(e).__name__, str(e).split("\n")[0].split(" for '{{node")[0] if message else ""]


def main(tf, workdir):
    rng = np.random.RandomState(11)
    tf.get_variable_scope().set_initializer(tf.random_uniform_initializer(-0.5, 0.5, seed=3))
    steps = [tf.constant(rng.randn(3, 4).astype(np.float32), name="x%d" % t) for t in range(5)]
    R = {}
    cell_fw = tf.nn.rnn_cell.BasicRNNCell(4)
    cell_bw = tf.nn.rnn_cell.GRUCell(3)
    outs, st_fw, st_bw = tf.nn.static_bidirectional_rnn(cell_fw, cell_bw, steps, dtype=tf.float32)
    R["bi_out"] = tf.stack(outs)
    R["bi_fw"], R["bi_bw"] = st_fw, st_bw
    seq_len = tf.constant([5, 2, 3], name="seq_len")
    lstm_fw = tf.nn.rnn_cell.BasicLSTMCell(2)
    lstm_bw = tf.nn.rnn_cell.BasicLSTMCell(2)
    outs2, s2_fw, s2_bw = tf.nn.static_bidirectional_rnn(lstm_fw, lstm_bw, steps[:3], dtype=tf.float32,
                                                         sequence_length=seq_len - [2, 1, 0], scope="bi2")
    R["bi2_out"] = tf.stack(outs2)
    R["bi2_fw_c"], R["bi2_bw_h"] = s2_fw.c, s2_bw.h
    # the wrappers
    res = tf.nn.rnn_cell.ResidualWrapper(tf.nn.rnn_cell.BasicRNNCell(4, name="res_inner"))
    res_outs, res_state = tf.nn.static_rnn(res, steps[:2], dtype=tf.float32, scope="res")
    R["res_out"], R["res_state"] = tf.stack(res_outs), res_state
    res_fn = tf.nn.rnn_cell.ResidualWrapper(tf.nn.rnn_cell.GRUCell(4, name="gru_inner"),
                                            residual_fn=lambda i, o: i * 0.5 + o)
    fn_out, _ = res_fn(steps[0], res_fn.zero_state(3, tf.float32))
    R["res_fn_out"] = fn_out
    dev = tf.nn.rnn_cell.DeviceWrapper(tf.nn.rnn_cell.BasicLSTMCell(3, name="dev_inner"), "/cpu:0")
    dev_zero = dev.zero_state(3, tf.float32)
    dev_out, dev_state = dev(steps[1], dev_zero)
    R["dev_out"], R["dev_c"] = dev_out, dev_state.c
    R["dev_sizes"] = [str(dev.state_size), str(dev.output_size), str(res.output_size)]
    dyn_out, _ = tf.nn.dynamic_rnn(tf.nn.rnn_cell.ResidualWrapper(tf.nn.rnn_cell.BasicRNNCell(4)),
                                   tf.stack(steps, axis=1), dtype=tf.float32, scope="dyn_res")
    R["dyn_res_out"] = dyn_out
    # raw_rnn: reads inputs from a TensorArray, stops per entry at its length
    inputs = tf.stack(steps)  # [time, batch, depth]
    lengths = tf.constant([4, 2, 5], name="lengths")
    inputs_ta = tf.TensorArray(dtype=tf.float32, size=5).unstack(inputs)
    raw_cell = tf.nn.rnn_cell.BasicLSTMCell(3, name="raw_cell")

    def loop_fn(time, cell_output, cell_state, loop_state):
        emit = cell_output
        if cell_output is None:
            next_state = raw_cell.zero_state(3, tf.float32)
            next_loop = tf.constant(0.0)
        else:
            next_state = cell_state
            next_loop = loop_state + tf.reduce_sum(cell_output)
        finished = time >= lengths
        all_done = tf.reduce_all(finished)
        next_input = tf.cond(all_done, lambda: tf.zeros([3, 4], dtype=tf.float32),
                             lambda: inputs_ta.read(time))
        return finished, next_input, next_state, emit, next_loop
    emit_ta, raw_state, raw_loop = tf.nn.raw_rnn(raw_cell, loop_fn)
    R["raw_out"] = emit_ta.stack()
    R["raw_c"], R["raw_h"], R["raw_loop"] = raw_state.c, raw_state.h, raw_loop
    raw_cell2 = tf.nn.rnn_cell.GRUCell(2, name="raw_gru")

    def loop_fn2(time, cell_output, cell_state, loop_state):
        if cell_output is None:
            return (tf.constant([False, False, False]), steps[0], raw_cell2.zero_state(3, tf.float32),
                    (tf.zeros([2]), tf.zeros([], tf.int32)), None)
        emit = (cell_output * 2.0, tf.fill([3], time))
        return tf.tile([time >= 3], [3]), steps[1] * tf.cast(time, tf.float32), cell_state, emit, None
    emit2, raw_state2, raw_loop2 = tf.nn.raw_rnn(raw_cell2, loop_fn2, scope="raw2")
    R["raw2_mean"], R["raw2_time"], R["raw2_state"] = emit2[0].stack(), emit2[1].stack(), raw_state2
    R["raw2_loop_none"] = str(raw_loop2)
    # static_state_saving_rnn with a saver keeping the states in variables
    class Saver(object):
        def __init__(self):
            self.vars = {}

        def state(self, name):
            with tf.variable_scope("saved", reuse=tf.AUTO_REUSE):
                self.vars[name] = tf.get_variable(name, [3, 2], initializer=tf.constant_initializer(0.25),
                                                  trainable=False)
            return self.vars[name].read_value() if hasattr(self.vars[name], "read_value") else self.vars[name]

        def save_state(self, name, value):
            return self.vars[name].assign(value)
    saver = Saver()
    ss_outs, ss_state = tf.nn.static_state_saving_rnn(tf.nn.rnn_cell.BasicLSTMCell(2, name="ss_cell"), steps[:3],
                                                       saver, ("c_state", "h_state"), scope="ssr")
    R["ss_out"], R["ss_c"] = tf.stack(ss_outs), ss_state.c
    ss2_outs, ss2_state = tf.nn.static_state_saving_rnn(tf.nn.rnn_cell.GRUCell(2, name="ss_gru"), steps[:2],
                                                        saver, "g_state", sequence_length=tf.constant([1, 2, 2]))
    R["ss2_out"], R["ss2_state"] = tf.stack(ss2_outs), ss2_state
    # gradients
    for key, xs in [("bi_out", steps), ("bi2_out", steps[:3]), ("res_out", steps[:2]), ("res_fn_out", [steps[0]]),
                    ("dev_out", [steps[1]]), ("raw_out", [inputs]), ("raw2_state", [steps[1]]),
                    ("ss_out", steps[:3]), ("ss2_state", steps[:2])]:
        for i, g in enumerate(tf.gradients(tf.reduce_sum(R[key] * R[key]), xs)):
            R["grad_%s_%d" % (key, i)] = g
    var_grads = tf.gradients(tf.reduce_sum(R["raw_out"]) + tf.reduce_sum(R["bi_out"]) + tf.reduce_sum(R["res_out"]),
                             tf.trainable_variables())
    R["var_grads"] = [g if g is not None else tf.constant(0.0) for g in var_grads]
    R["var_names"] = [v.op.name for v in tf.trainable_variables()]
    E = {}
    E["bi_not_seq"] = _error(lambda: tf.nn.static_bidirectional_rnn(cell_fw, cell_bw, steps[0], dtype=tf.float32))
    E["bi_empty"] = _error(lambda: tf.nn.static_bidirectional_rnn(cell_fw, cell_bw, [], dtype=tf.float32))
    E["bi_not_cell"] = _error(lambda: tf.nn.static_bidirectional_rnn(cell_fw, "cell", steps, dtype=tf.float32))
    E["raw_not_callable"] = _error(lambda: tf.nn.raw_rnn(raw_cell, 3))
    E["res_shapes"] = _error(lambda: tf.nn.rnn_cell.ResidualWrapper(tf.nn.rnn_cell.BasicRNNCell(5, name="r5"))(
        steps[0], tf.zeros([3, 5])))
    E["ssr_kind"] = _error(lambda: tf.nn.static_state_saving_rnn(tf.nn.rnn_cell.BasicLSTMCell(2), steps, saver,
                                                                  "one_name"))
    E["ssr_count"] = _error(lambda: tf.nn.static_state_saving_rnn(tf.nn.rnn_cell.BasicLSTMCell(2), steps, saver,
                                                                   ("a", "b", "c")))
    with tf.Session() as s:
        s.run(tf.global_variables_initializer())
        out = s.run({k: v for k, v in R.items() if k not in ("dev_sizes", "var_names", "raw2_loop_none")})
        out["ss_saved"] = s.run([saver.vars["c_state"], saver.vars["g_state"]])
        out["ss_again"] = s.run(R["ss_out"])
    out["dev_sizes"], out["var_names"], out["raw2_loop_none"] = R["dev_sizes"], R["var_names"], R["raw2_loop_none"]
    out["dev_device"] = [dev_out.op.device, dev_zero.c.op.device]
    for k, v in E.items():
        out["err_" + k] = v
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
