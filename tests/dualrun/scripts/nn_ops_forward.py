"""Forward values, static shapes and graphs of the tf.nn families: activations, softmax over any axis,
the cross entropies, moments and batch norms (plain and fused), bias_add/xw_plus_b, top_k,
conv2d/conv1d/depthwise/separable/transposed convolutions, pooling (tf.nn.pool too), lrn,
embedding_lookup (one tensor and two 'mod' shards), zero_fraction and dropout with seeds."""
import numpy as np

GRAPH = True
# metarun's float kernels for exp/log/tanh-based activations, LRN and the fused batch norm round
# differently from TF's Eigen kernels in the last bit or two (relative ~4e-7 at most here).
RTOL = 2e-6
ATOL = 1e-7  # the fused batch norm gives -0.00332350 where TF gives -0.00332345


def main(tf, workdir):
    rng = np.random.RandomState(0)
    x = tf.constant(rng.randn(2, 5).astype(np.float32), name="x")
    img = tf.constant(rng.randn(2, 6, 6, 3).astype(np.float32), name="img")
    R = {}
    for fn in ["relu", "relu6", "elu", "selu", "softplus", "softsign", "sigmoid", "tanh", "log_softmax", "softmax",
               "l2_loss", "zero_fraction"]:
        R[fn] = getattr(tf.nn, fn)(x)
    R["leaky"] = tf.nn.leaky_relu(x, 0.1)
    R["sm0"] = tf.nn.softmax(x, axis=0)
    R["l2n"] = tf.nn.l2_normalize(x, axis=1)
    R["bias"] = tf.nn.bias_add(x, tf.constant([1., 2, 3, 4, 5]))
    labels = tf.constant(rng.rand(2, 5).astype(np.float32))
    R["sce"] = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=x)
    R["wce"] = tf.nn.weighted_cross_entropy_with_logits(labels=labels, logits=x, pos_weight=2.0)
    R["smce"] = tf.nn.softmax_cross_entropy_with_logits(labels=tf.nn.softmax(labels), logits=x)
    R["smce2"] = tf.nn.softmax_cross_entropy_with_logits_v2(labels=tf.nn.softmax(labels), logits=x)
    R["ssce"] = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=tf.constant([1, 3]), logits=x)
    m, v = tf.nn.moments(x, axes=[0])
    R["mean"], R["var"] = m, v
    R["bn"] = tf.nn.batch_normalization(x, m, v, tf.constant(0.5), tf.constant(2.0), 1e-3)
    R["xwb"] = tf.nn.xw_plus_b(x, tf.ones([5, 2]), tf.constant([1., -1]))
    vals, idx = tf.nn.top_k(x, 2)
    R["topv"], R["topi"] = vals, idx
    filt = tf.constant(rng.randn(3, 3, 3, 4).astype(np.float32))
    R["conv"] = tf.nn.conv2d(img, filt, strides=[1, 1, 1, 1], padding="SAME")
    R["conv_s2"] = tf.nn.conv2d(img, filt, strides=[1, 2, 2, 1], padding="VALID")
    R["conv_dil"] = tf.nn.conv2d(img, filt, strides=[1, 1, 1, 1], padding="SAME", dilations=[1, 2, 2, 1])
    R["maxp"] = tf.nn.max_pool(img, [1, 2, 2, 1], [1, 2, 2, 1], "VALID")
    R["avgp"] = tf.nn.avg_pool(img, [1, 3, 3, 1], [1, 1, 1, 1], "SAME")
    R["pool"] = tf.nn.pool(img, [2, 2], "MAX", "SAME", strides=[2, 2])
    R["dw"] = tf.nn.depthwise_conv2d(img, tf.constant(rng.randn(3, 3, 3, 2).astype(np.float32)), [1, 1, 1, 1], "SAME")
    R["sep"] = tf.nn.separable_conv2d(img, tf.constant(rng.randn(3, 3, 3, 2).astype(np.float32)),
                                      tf.constant(rng.randn(1, 1, 6, 4).astype(np.float32)), [1, 1, 1, 1], "VALID")
    R["convt"] = tf.nn.conv2d_transpose(img, tf.constant(rng.randn(3, 3, 4, 3).astype(np.float32)), [2, 12, 12, 4], [1, 2, 2, 1], "SAME")
    seq = tf.constant(rng.randn(2, 7, 3).astype(np.float32))
    R["conv1d"] = tf.nn.conv1d(seq, tf.constant(rng.randn(3, 3, 4).astype(np.float32)), 1, "SAME")
    R["lrn"] = tf.nn.lrn(img, 2, 1.0, 0.5, 0.75)
    y, bm, bv = tf.nn.fused_batch_norm(img, tf.constant([1., 2, 3]), tf.constant([0., .1, .2]))
    R["fbn"], R["fbn_m"], R["fbn_v"] = y, bm, bv
    y2, _, _ = tf.nn.fused_batch_norm(img, tf.constant([1., 2, 3]), tf.constant([0., .1, .2]), mean=tf.constant([.1, .2, .3]), variance=tf.constant([1., 2, 3]), is_training=False)
    R["fbn_inf"] = y2
    params = tf.constant(rng.randn(6, 3).astype(np.float32))
    R["emb"] = tf.nn.embedding_lookup(params, tf.constant([[0, 5], [2, 2]]))
    R["emb_parts"] = tf.nn.embedding_lookup([params[:3], params[3:]], tf.constant([0, 5, 2, 3]))
    R["d0"] = tf.nn.dropout(x, keep_prob=1.0)
    tf.set_random_seed(2)
    R["drop"] = tf.nn.dropout(x, rate=0.5, seed=1)
    R["drop_kp"] = tf.nn.dropout(x, keep_prob=0.7)
    R["drop_ns"] = tf.nn.dropout(x, rate=0.4, noise_shape=[2, 1])
    with tf.Session() as s:
        out = s.run(R)
    out["shapes"] = [str(R[k].shape) for k in sorted(R)]
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
