"""Files metarun writes that real TensorFlow must read: each case has a writer, run under
metarun, and a reader, run under TensorFlow by gen_tf_reads.py (results recorded next to the
files in written/<case>/) and under metarun by test_tf_reads.py."""
import os

import numpy as np

XS = np.linspace(-1, 1, 24, dtype=np.float32).reshape(8, 3)
YS = np.stack([XS.sum(1), XS[:, 0] - XS[:, 2]], 1).astype(np.float32)


def write_seed_ex1(tf, d):
    v1 = tf.placeholder(tf.float32, name="v1")
    v2 = tf.placeholder(tf.float32, name="v2")
    v3 = tf.math.multiply(v1, v2)
    vx = tf.Variable(10.0, name="vx")
    tf.add(v3, vx, name="v4")
    saver = tf.train.Saver([vx])
    sess = tf.Session()
    sess.run(tf.global_variables_initializer())
    sess.run(vx.assign(tf.add(vx, vx)))
    saver.save(sess, os.path.join(d, "model_ex1"))


def read_seed_ex1(tf, d):
    saver = tf.train.import_meta_graph(os.path.join(d, "model_ex1.meta"))
    sess = tf.Session()
    saver.restore(sess, os.path.join(d, "model_ex1"))
    return {"v4": sess.run("v4:0", feed_dict={"v1:0": 12.0, "v2:0": 3.3})}


def write_adam_mlp(tf, d):
    """An MLP trained 10 steps with Adam (one ref, one resource layer), saved with its slots."""
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    y = tf.placeholder(tf.float32, [None, 2], name="y")
    w1 = tf.Variable(np.linspace(-0.5, 0.5, 12, dtype=np.float32).reshape(3, 4), name="w1")
    b1 = tf.Variable(np.zeros(4, np.float32), name="b1")
    w2 = tf.Variable(np.linspace(0.3, -0.3, 8, dtype=np.float32).reshape(4, 2), name="w2", use_resource=True)
    h = tf.maximum(tf.matmul(x, w1) + b1, 0.0)
    loss = tf.reduce_mean(tf.square(tf.matmul(h, w2) - y), name="loss")
    step = tf.train.get_or_create_global_step()
    train = tf.train.AdamOptimizer(0.05).minimize(loss, global_step=step, name="train")
    tf.add_to_collection("train_op", train)
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(10):
            sess.run(train, {x: XS, y: YS})
        saver.save(sess, os.path.join(d, "mlp"), global_step=step)


def read_adam_mlp(tf, d):
    saver = tf.train.import_meta_graph(os.path.join(d, "mlp-10.meta"))
    with tf.Session() as sess:
        saver.restore(sess, os.path.join(d, "mlp-10"))
        train = tf.get_collection("train_op")[0]
        before = sess.run("loss:0", {"x:0": XS, "y:0": YS})
        for _ in range(10):
            sess.run(train, {"x:0": XS, "y:0": YS})
        variables = sorted(tf.global_variables(), key=lambda v: v.op.name)
        names = [v.op.name for v in variables]
        values = sess.run(variables)
        after = sess.run("loss:0", {"x:0": XS, "y:0": YS})
    return {"before": before, "after": after, "names": names, "values": values}


SEQ = np.sin(np.arange(30, dtype=np.float32)).reshape(3, 5, 2)
SEQ_Y = np.array([[0.5], [-0.2], [0.1]], np.float32)


def write_rnn_train(tf, d):
    """An LSTM dynamic_rnn (with sequence lengths) and a dense head, trained 5 steps with Adam
    through the while loop, saved with its train op, slots and global step."""
    x = tf.placeholder(tf.float32, [3, 5, 2], name="x")
    y = tf.placeholder(tf.float32, [3, 1], name="y")
    with tf.variable_scope("rnn_model", initializer=tf.random_uniform_initializer(-0.3, 0.3, seed=5)):
        _, state = tf.nn.dynamic_rnn(tf.nn.rnn_cell.LSTMCell(4), x, sequence_length=[5, 3, 4],
                                     dtype=tf.float32)
        pred = tf.layers.dense(state.h, 1, name="head")
    loss = tf.reduce_mean(tf.square(pred - y), name="loss")
    step = tf.train.get_or_create_global_step()
    train = tf.train.AdamOptimizer(0.02).minimize(loss, global_step=step, name="train")
    tf.add_to_collection("train_op", train)
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(5):
            sess.run(train, {x: SEQ, y: SEQ_Y})
        saver.save(sess, os.path.join(d, "rnn"), global_step=step)


def read_rnn_train(tf, d):
    saver = tf.train.import_meta_graph(os.path.join(d, "rnn-5.meta"))
    feed = {"x:0": SEQ, "y:0": SEQ_Y}
    with tf.Session() as sess:
        saver.restore(sess, os.path.join(d, "rnn-5"))
        train = tf.get_collection("train_op")[0]
        before = sess.run("loss:0", feed)
        for _ in range(5):
            sess.run(train, feed)
        variables = sorted(tf.global_variables(), key=lambda v: v.op.name)
        names = [v.op.name for v in variables]
        values = sess.run(variables)
        after = sess.run("loss:0", feed)
    return {"before": before, "after": after, "names": names, "values": values}


def write_functions_data(tf, d):
    """Graph functions metarun traces (a switch_case over a resource variable, a tf.function, a
    tf.data map), trained 3 steps through them and saved: TF imports, restores, iterates the
    pipeline and trains further."""
    i = tf.placeholder(tf.int32, [], name="i")
    x = tf.placeholder(tf.float32, [None], name="x")
    w = tf.get_variable("w", initializer=tf.constant(2.0), use_resource=True)
    y = tf.identity(tf.switch_case(i, [lambda: x + 1.0, lambda: x * w]), name="y")

    @tf.function
    def scaled(a):
        return a * w + 1.0

    z = tf.identity(scaled(x), name="z")
    ds = tf.data.Dataset.from_tensor_slices(np.arange(6, dtype=np.float32)).map(lambda v: v * 3.0).batch(4)
    it = tf.data.make_initializable_iterator(ds)
    tf.identity(it.get_next(), name="nxt")
    tf.add_to_collection("iterator_init", it.initializer)
    loss = tf.reduce_sum(y * y) + tf.reduce_sum(z)
    train = tf.train.GradientDescentOptimizer(0.01).minimize(loss, name="train")
    tf.add_to_collection("train_op", train)
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train, {i: 1, x: XS[:, 0]})
        saver.save(sess, os.path.join(d, "fn"))


def read_functions_data(tf, d):
    saver = tf.train.import_meta_graph(os.path.join(d, "fn.meta"))
    feed = {"i:0": 1, "x:0": XS[:, 0]}
    with tf.Session() as sess:
        saver.restore(sess, os.path.join(d, "fn"))
        sess.run(tf.get_collection("iterator_init"))
        batches = [sess.run("nxt:0"), sess.run("nxt:0")]
        before = sess.run(["y:0", "z:0"], {"i:0": 0, "x:0": XS[:, 1]})
        train = tf.get_collection("train_op")[0]
        for _ in range(3):
            sess.run(train, feed)
        after = sess.run(["y:0", "z:0"], feed)
    return {"batches": batches, "before": before, "after": after}


def write_v1_linear(tf, d):
    """A linear model trained 3 steps by plain SGD beside a partitioned variable (saved as
    slices), saved by a Saver with write_version=V1: one V1 data file `lin-3` and a .meta whose
    SaverDef and save subgraph are V1's."""
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    y = tf.placeholder(tf.float32, [None, 2], name="y")
    w = tf.Variable(np.linspace(-0.4, 0.4, 6, dtype=np.float32).reshape(3, 2), name="w")
    b = tf.Variable(np.array([0.1, -0.1], np.float32), name="b", use_resource=True)
    with tf.variable_scope("s", partitioner=tf.fixed_size_partitioner(2)):
        tf.get_variable("emb", [3, 2], initializer=tf.constant_initializer(0.75))
    loss = tf.reduce_mean(tf.square(tf.matmul(x, w) + b - y), name="loss")
    step = tf.train.get_or_create_global_step()
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss, global_step=step, name="train")
    tf.add_to_collection("train_op", train)
    saver = tf.train.Saver(write_version=tf.train.SaverDef.V1)
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for _ in range(3):
            sess.run(train, {x: XS, y: YS})
        saver.save(sess, os.path.join(d, "lin"), global_step=step)


def read_v1_linear(tf, d):
    import tempfile
    saver = tf.train.import_meta_graph(os.path.join(d, "lin-3.meta"))
    feed = {"x:0": XS, "y:0": YS}
    names = ["b/Read/ReadVariableOp:0", "global_step:0", "s/emb/part_0:0", "s/emb/part_1:0", "w:0"]
    with tf.Session() as sess:
        saver.restore(sess, os.path.join(d, "lin-3"))
        restored = sess.run(names)
        before = sess.run("loss:0", feed)
        for _ in range(3):
            sess.run(tf.get_collection("train_op")[0], feed)
        after = sess.run("loss:0", feed)
        with tempfile.TemporaryDirectory() as tmp:  # the graph's own V1 save ops, run again
            path = saver.save(sess, os.path.join(tmp, "again"), global_step=6, write_meta_graph=False)
            files = sorted(os.listdir(tmp))
            reader = tf.train.NewCheckpointReader(path)
            keys = sorted(reader.get_variable_to_shape_map())
            saved = [reader.get_tensor(k) for k in keys if k != "s/emb"]  # TF can't join V1 slices
    return {"restored": restored, "before": before, "after": after, "path": os.path.basename(path),
            "files": files, "keys": keys, "saved": saved,
            "saver_def": [saver.saver_def.save_tensor_name, str(saver.saver_def.version)]}


FROZEN_IDS = np.array([4, 0, 2], np.int32)


def write_frozen(tf, d):
    """A model with a ref dense layer, a resource dense layer, an embedding lookup of a resource
    variable (ResourceGather) and a v1 while loop reading a variable, saved; then frozen by
    tf.graph_util.convert_variables_to_constants (frozen.pb) and by `metarun freeze` with its
    default outputs (frozen_cli.pb)."""
    from metarun import cli
    x = tf.placeholder(tf.float32, [None, 3], name="x")
    ids = tf.placeholder(tf.int32, [None], name="ids")
    w1 = tf.Variable(np.linspace(-0.5, 0.5, 12, dtype=np.float32).reshape(3, 4), name="w1")
    w2 = tf.get_variable("w2", initializer=np.linspace(0.3, -0.3, 8, dtype=np.float32).reshape(4, 2),
                         use_resource=True)
    emb = tf.get_variable("emb", initializer=np.arange(10, dtype=np.float32).reshape(5, 2) / 10.0,
                          use_resource=True)
    loop_w = tf.Variable(np.array([[0.9, -0.2], [0.1, 0.7]], np.float32), name="loop_w")
    h = tf.matmul(tf.nn.relu(tf.matmul(x, w1)), w2)
    _, h = tf.while_loop(lambda i, h: i < 3, lambda i, h: (i + 1, tf.tanh(tf.matmul(h, loop_w))),
                         [tf.constant(0), h])
    tf.identity(h + tf.reduce_sum(tf.nn.embedding_lookup(emb, ids)), name="scores")
    saver = tf.train.Saver()
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        saver.save(sess, os.path.join(d, "model"))
        frozen = tf.graph_util.convert_variables_to_constants(sess, sess.graph_def, ["scores"])
    with open(os.path.join(d, "frozen.pb"), "wb") as f:
        f.write(frozen.SerializeToString(deterministic=True))
    assert cli.main(["freeze", os.path.join(d, "model.meta"), "--checkpoint", os.path.join(d, "model"),
                     "-o", os.path.join(d, "frozen_cli.pb")]) == 0


def read_frozen(tf, d):
    feed = {"x:0": XS[:4], "ids:0": FROZEN_IDS}
    results = {}
    for name in ("frozen", "frozen_cli"):
        graph_def = tf.GraphDef()
        with open(os.path.join(d, name + ".pb"), "rb") as f:
            graph_def.ParseFromString(f.read())
        with tf.Graph().as_default() as graph:
            tf.import_graph_def(graph_def, name="")
            with tf.Session(graph=graph) as sess:
                results[name] = sess.run("scores:0", feed)
        results[name + "_ops"] = sorted({n.op for n in graph_def.node})
    with tf.Graph().as_default() as graph:
        saver = tf.train.import_meta_graph(os.path.join(d, "model.meta"))
        with tf.Session(graph=graph) as sess:
            saver.restore(sess, os.path.join(d, "model"))
            results["model"] = sess.run("scores:0", feed)
    return results


CASES = ["seed_ex1", "adam_mlp", "rnn_train", "functions_data", "v1_linear", "frozen"]
# Reading back runs TF's kernels in TF and metarun's here: the LSTM's tanh/sigmoid differ from
# Eigen's in the last bit, so its training (and the frozen loop of tanh) agrees to rounding, not bit for bit.
TOLERANCE = {"rnn_train": (1e-5, 1e-7), "frozen": (1e-6, 1e-7)}
