"""Quantization-aware training: fake quantization of the input (FakeQuantWithMinMaxArgs), of the
weights per output channel with trained ranges (FakeQuantWithMinMaxVarsPerChannel), of the
activations with a trained range (FakeQuantWithMinMaxVars), quantize-and-dequantize of the second
layer's weights (quantize_and_dequantize_v2: QuantizeAndDequantizeV4, gradient V4Grad) and of the
output (quantize_and_dequantize: QuantizeAndDequantizeV2, straight through), trained by a few
GradientDescent steps. The layers multiply and reduce_sum (no MatMul, whose summation order a
BLAS may change), so every value is compared bit for bit; the graph node by node."""
import numpy as np

GRAPH = True


def _dense(tf, x, w):
    return tf.reduce_sum(tf.expand_dims(x, 2) * w, axis=1)


def main(tf, workdir):
    rng = np.random.RandomState(3)
    xs = rng.uniform(-2.5, 2.5, (16, 4)).astype(np.float32)
    ys = np.tanh(xs @ rng.randn(4, 2)).astype(np.float32)
    x = tf.placeholder(tf.float32, [None, 4], name="x")
    y = tf.placeholder(tf.float32, [None, 2], name="y")
    xq = tf.quantization.fake_quant_with_min_max_args(x, min=-2.0, max=2.0, num_bits=8, name="x_fq")
    w1 = tf.Variable((rng.randn(4, 3) * 0.6).astype(np.float32), name="w1")
    w1_min = tf.Variable([-1.0, -0.5, -1.5], name="w1_min")
    w1_max = tf.Variable([1.0, 0.8, 0.25], name="w1_max")
    w1q = tf.quantization.fake_quant_with_min_max_vars_per_channel(w1, w1_min, w1_max, num_bits=6,
                                                                   narrow_range=True)
    b1 = tf.Variable(np.zeros(3, np.float32), name="b1")
    h = tf.nn.relu(_dense(tf, xq, w1q) + b1)
    a_min = tf.Variable(0.0, name="a_min")
    a_max = tf.Variable(2.0, name="a_max")
    hq = tf.fake_quant_with_min_max_vars(h, a_min, a_max, num_bits=8)
    w2 = tf.Variable((rng.randn(3, 2) * 0.6).astype(np.float32), name="w2")
    w2q = tf.quantization.quantize_and_dequantize_v2(w2, -1.0, 1.0, range_given=True, num_bits=8)
    out = _dense(tf, hq, w2q)
    outq = tf.quantization.quantize_and_dequantize(out, 0.0, 0.0, num_bits=10, name="out_qdq")
    loss = tf.reduce_mean(tf.square(outq - y), name="loss")
    train = tf.train.GradientDescentOptimizer(0.1).minimize(loss)
    grads = tf.gradients(loss, [w1, w1_min, w1_max, a_min, a_max, w2, x])
    R = {}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        feed = {x: xs, y: ys}
        R["grads0"] = sess.run(grads, feed)
        losses = []
        for _ in range(8):
            losses.append(sess.run([loss, train], feed)[0])
        R["losses"] = np.array(losses)
        R["vars"] = sess.run([w1, w1_min, w1_max, b1, a_min, a_max, w2])
        R["outputs"] = sess.run([xq, w1q, hq, w2q, outq], feed)
    R["__graph__"] = tf.get_default_graph().as_graph_def()
    return R
