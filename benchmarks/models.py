"""Build the benchmark graphs with TensorFlow and write them as `.meta` files.

Run once with TensorFlow installed (the graphs are committed, so run.py never needs
this):  python benchmarks/models.py [NAME ...]   (default: every graph)

The two large graphs (`chain`, 4k nodes; `big`, 20k nodes) are stored gzipped;
`meta_path` unpacks them into a scratch directory at run time.

Every graph is TF1 graph mode with ref variables and v1 control flow (Enter/Exit/
TensorArrayV3), exactly what a TF 1.x user saved. Only the `.meta` is written:
run.py makes the checkpoints at benchmark time with random weights, so the
committed files stay small. Tensor names used by run.py are fixed by `name=`.
"""

import gzip
import os
import shutil

MODELS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "models")
GZIPPED = ("chain", "big")  # thousands of nodes: committed as NAME.meta.gz

MLP_SIZES = (784, 512, 512, 10)
LSTM_UNITS = 128
LSTM_INPUT = 64
LSTM_STEPS = 50
LOOP_COUNT = 100000
CNN_TRAIN_LR = 0.01  # cnn_train: MomentumOptimizer(learning_rate, momentum)
CNN_TRAIN_MOMENTUM = 0.9

CHAIN_LENGTH = 1000  # nodes in each chain of the `chain` graph
CHAIN_SHAPES = {0: [], 1: [8], 4: [2, 2, 2, 2]}  # Identity chains by rank of the fed tensor
CHAIN_ADDEND = 0.1  # the AddV2 chain computes x + c + c + ... (one shared Const c)

BIG_BRANCHES = 128  # the 20k-node graph: parallel residual branches, summed by one AddN
BIG_LAYERS = 28
BIG_WIDTH = 16


def meta_path(name, scratch_dir):
    """The `.meta` file of graph `name`, unpacked into `scratch_dir` if gzipped."""
    path = os.path.join(MODELS_DIR, name + ".meta")
    if os.path.exists(path) or not os.path.exists(path + ".gz"):
        return path
    unpacked = os.path.join(scratch_dir, name + ".meta")
    if not os.path.exists(unpacked):
        with gzip.open(path + ".gz", "rb") as src, open(unpacked, "wb") as dst:
            shutil.copyfileobj(src, dst)
    return unpacked


def _dense(tf, x, n_in, n_out, name):
    w = tf.compat.v1.get_variable(name + "/kernel", [n_in, n_out], tf.float32)
    b = tf.compat.v1.get_variable(name + "/bias", [n_out], tf.float32)
    return tf.matmul(x, w) + b


def _mlp_logits(tf, x):
    h = x
    sizes = MLP_SIZES
    for i in range(len(sizes) - 1):
        h = _dense(tf, h, sizes[i], sizes[i + 1], "dense%d" % i)
        if i < len(sizes) - 2:
            h = tf.nn.relu(h)
    return tf.identity(h, name="logits")


def build_seed(tf):
    v1 = tf.compat.v1.placeholder(tf.float32, name="v1")
    v2 = tf.compat.v1.placeholder(tf.float32, name="v2")
    v3 = tf.multiply(v1, v2, name="v3")
    vx = tf.compat.v1.Variable(10.0, name="vx")
    tf.add(v3, vx, name="v4")


def build_mlp(tf):
    x = tf.compat.v1.placeholder(tf.float32, [None, MLP_SIZES[0]], name="x")
    tf.nn.softmax(_mlp_logits(tf, x), name="probs")


def _cnn_logits(tf, x):
    h = x
    for i, (c_in, c_out) in enumerate([(1, 32), (32, 64)]):
        w = tf.compat.v1.get_variable("conv%d/kernel" % i, [3, 3, c_in, c_out], tf.float32)
        b = tf.compat.v1.get_variable("conv%d/bias" % i, [c_out], tf.float32)
        h = tf.nn.relu(tf.nn.conv2d(h, w, [1, 1, 1, 1], "SAME") + b)
        h = tf.nn.max_pool2d(h, 2, 2, "VALID")
    h = tf.reshape(h, [-1, 7 * 7 * 64])
    h = tf.nn.relu(_dense(tf, h, 7 * 7 * 64, 128, "fc0"))
    return tf.identity(_dense(tf, h, 128, 10, "fc1"), name="logits")


def build_cnn(tf):
    x = tf.compat.v1.placeholder(tf.float32, [None, 28, 28, 1], name="x")
    _cnn_logits(tf, x)


def build_mlp_train(tf):
    x = tf.compat.v1.placeholder(tf.float32, [None, MLP_SIZES[0]], name="x")
    y = tf.compat.v1.placeholder(tf.float32, [None, MLP_SIZES[-1]], name="y")
    logits = _mlp_logits(tf, x)
    xent = tf.compat.v1.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=logits)
    loss = tf.reduce_mean(xent, name="loss")
    opt = tf.compat.v1.train.AdamOptimizer(learning_rate=1e-3)
    opt.minimize(loss, name="train")


def build_cnn_train(tf):
    """The CNN + softmax cross-entropy + MomentumOptimizer(0.01, 0.9) (ApplyMomentum)."""
    x = tf.compat.v1.placeholder(tf.float32, [None, 28, 28, 1], name="x")
    y = tf.compat.v1.placeholder(tf.float32, [None, 10], name="y")
    xent = tf.compat.v1.nn.softmax_cross_entropy_with_logits_v2(labels=y, logits=_cnn_logits(tf, x))
    loss = tf.reduce_mean(xent, name="loss")
    opt = tf.compat.v1.train.MomentumOptimizer(learning_rate=CNN_TRAIN_LR, momentum=CNN_TRAIN_MOMENTUM)
    opt.minimize(loss, name="train")


class LSTMCell(object):
    """A TF1 LSTM cell out of raw ops (TF 2.21's rnn_cell needs Keras 2).

    Gates in TF's BasicLSTMCell order i, j, f, o with forget bias 1.0; one
    kernel [input + units, 4 * units] and one bias [4 * units].
    """

    def __init__(self, tf, num_inputs, num_units):
        self._tf = tf
        self._units = num_units
        self.kernel = tf.compat.v1.get_variable(
            "lstm/kernel", [num_inputs + num_units, 4 * num_units], tf.float32)
        self.bias = tf.compat.v1.get_variable("lstm/bias", [4 * num_units], tf.float32)

    @property
    def state_size(self):
        return (self._units, self._units)

    @property
    def output_size(self):
        return self._units

    def zero_state(self, batch_size, dtype):
        tf = self._tf
        zeros = tf.zeros(tf.stack([batch_size, self._units]), dtype)
        return (zeros, zeros)

    def __call__(self, inputs, state, scope=None):
        tf = self._tf
        c, h = state
        gates = tf.matmul(tf.concat([inputs, h], 1), self.kernel) + self.bias
        i, j, f, o = tf.split(gates, 4, axis=1)
        new_c = c * tf.sigmoid(f + 1.0) + tf.sigmoid(i) * tf.tanh(j)
        new_h = tf.tanh(new_c) * tf.sigmoid(o)
        return new_h, (new_c, new_h)


def build_lstm(tf):
    x = tf.compat.v1.placeholder(tf.float32, [None, LSTM_STEPS, LSTM_INPUT], name="x")
    cell = LSTMCell(tf, LSTM_INPUT, LSTM_UNITS)
    outputs, (c, h) = tf.compat.v1.nn.dynamic_rnn(cell, x, dtype=tf.float32)
    tf.identity(outputs, name="outputs")
    tf.identity(h, name="final_h")


def build_while(tf):
    n = tf.compat.v1.placeholder(tf.int32, [], name="n")  # run.py feeds LOOP_COUNT
    i = tf.compat.v1.while_loop(lambda i: i < n, lambda i: i + 1, [tf.constant(0)])
    tf.identity(i, name="count")


def build_chain(tf):
    """Executor overhead: chains of CHAIN_LENGTH nodes that do almost nothing.

    `id<rank>_out` ends a chain of Identity ops on placeholder `x<rank>`;
    `add_out` ends `x + c + c ...` on the float32 scalar `xa` (AddV2, one Const c);
    `base` is a single Identity on `x0`, i.e. a run's fixed cost.
    """
    for rank, shape in CHAIN_SHAPES.items():
        x = tf.compat.v1.placeholder(tf.float32, shape, name="x%d" % rank)
        with tf.name_scope("id%d" % rank):
            h = x
            for _ in range(CHAIN_LENGTH - 1):
                h = tf.identity(h)
        tf.identity(h, name="id%d_out" % rank)
    tf.identity(tf.compat.v1.get_default_graph().get_tensor_by_name("x0:0"), name="base")
    xa = tf.compat.v1.placeholder(tf.float32, [], name="xa")
    c = tf.constant(CHAIN_ADDEND, tf.float32, name="c")
    with tf.name_scope("add"):
        h = xa
        for _ in range(CHAIN_LENGTH - 1):
            h = tf.add(h, c)
    tf.add(h, c, name="add_out")


def build_big(tf):
    """About 20k nodes of small work, as in a large TF1 model with small tensors.

    BIG_BRANCHES parallel branches on `x` [batch, BIG_WIDTH]; each has its own
    kernel [W, W] and bias [W] (ref variables) and BIG_LAYERS residual layers
    h = act(h @ kernel + bias) + h * 0.5, act alternating tanh and relu; `out`
    is the AddN of the branches.
    """
    x = tf.compat.v1.placeholder(tf.float32, [None, BIG_WIDTH], name="x")
    half = tf.constant(0.5, tf.float32, name="half")
    branches = []
    for b in range(BIG_BRANCHES):
        with tf.compat.v1.variable_scope("branch%d" % b):
            w = tf.compat.v1.get_variable("kernel", [BIG_WIDTH, BIG_WIDTH], tf.float32)
            bias = tf.compat.v1.get_variable("bias", [BIG_WIDTH], tf.float32)
            h = x
            for i in range(BIG_LAYERS):
                z = tf.matmul(h, w) + bias
                h = (tf.tanh(z) if i % 2 == 0 else tf.nn.relu(z)) + h * half
            branches.append(h)
    tf.add_n(branches, name="out")


BUILDERS = {
    "seed": build_seed,
    "mlp": build_mlp,
    "cnn": build_cnn,
    "mlp_train": build_mlp_train,
    "cnn_train": build_cnn_train,
    "lstm": build_lstm,
    "while": build_while,
    "chain": build_chain,
    "big": build_big,
}


def main(names=None):
    import tensorflow as tf
    tf.compat.v1.disable_eager_execution()
    tf.compat.v1.disable_resource_variables()
    tf.compat.v1.disable_control_flow_v2()
    os.makedirs(MODELS_DIR, exist_ok=True)
    for name in names or BUILDERS:
        build = BUILDERS[name]
        graph = tf.Graph()
        with graph.as_default():
            tf.compat.v1.set_random_seed(0)
            build(tf)
            # A Saver so the .meta carries saver_def (RestoreV2 / SaveV2 nodes).
            saver = tf.compat.v1.train.Saver() if tf.compat.v1.global_variables() else None
            path = os.path.join(MODELS_DIR, name + ".meta")
            tf.compat.v1.train.export_meta_graph(path, saver_def=saver.as_saver_def()
                                                 if saver else None)
        if name in GZIPPED:
            with open(path, "rb") as src, open(path + ".gz", "wb") as raw:
                with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as dst:  # reproducible bytes
                    shutil.copyfileobj(src, dst)
            os.remove(path)
            path += ".gz"
        print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))


if __name__ == "__main__":
    import sys
    main(sys.argv[1:])
