"""A wide-and-deep model on sparse input, trained a few steps: the wide part a
sparse_tensor_dense_matmul of a multi-hot SparseTensor with a weight matrix, the deep part
embedding_lookup_sparse (weighted and unweighted) and safe_embedding_lookup_sparse into a dense
layer (weighted lookups with allow_fast_lookup: one gather of the table); gradients flow back through SparseTensorDenseMatMul, SparseSegment* and the weighted
SegmentSum path into ref variables updated by Adagrad. Losses, final weights, graph nodes."""
import numpy as np

GRAPH = True
RTOL = 1e-5


def main(tf, workdir):
    rng = np.random.RandomState(5)
    n_feat, n_emb, dim = 9, 9, 4
    ind = tf.placeholder(tf.int64, [None, 2], name="ind")
    feat = tf.placeholder(tf.int64, [None], name="feat")
    wts = tf.placeholder(tf.float32, [None], name="wts")
    shape = tf.placeholder(tf.int64, [2], name="shape")
    labels = tf.placeholder(tf.float32, [None, 1], name="labels")
    wide_sp = tf.SparseTensor(tf.stack([ind[:, 0], feat], 1), tf.ones_like(wts), shape)  # multi-hot rows
    ids_sp = tf.SparseTensor(ind, feat, shape)
    w_sp = tf.SparseTensor(ind, wts, shape)

    wide_w = tf.Variable(rng.uniform(-0.3, 0.3, (n_feat, 1)).astype(np.float32), name="wide_w")
    emb = tf.Variable(rng.uniform(-0.5, 0.5, (n_emb, dim)).astype(np.float32), name="emb")
    emb2 = tf.get_variable("emb2", initializer=rng.uniform(-0.5, 0.5, (n_emb, dim)).astype(np.float32))
    dense_w = tf.Variable(rng.uniform(-0.5, 0.5, (3 * dim, 1)).astype(np.float32), name="dense_w")
    bias = tf.Variable(np.zeros([1], np.float32), name="bias")

    wide = tf.sparse_tensor_dense_matmul(wide_sp, wide_w)
    deep = tf.concat([
        tf.nn.embedding_lookup_sparse(emb, ids_sp, None, combiner="mean"),
        tf.nn.embedding_lookup_sparse(emb2, ids_sp, w_sp, combiner="sqrtn", allow_fast_lookup=True),
        tf.nn.safe_embedding_lookup_sparse(emb, ids_sp, w_sp, combiner="sum", allow_fast_lookup=True),
    ], 1)
    logits = wide + tf.matmul(tf.nn.relu(deep), dense_w) + bias
    loss = tf.reduce_mean(tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits))
    train = tf.train.AdagradOptimizer(0.3).minimize(loss)

    def batch(k):
        r = np.random.RandomState(100 + k)
        rows, cols, ids, ws = [], [], [], []
        for i in range(6):
            n = 0 if i == 2 else r.randint(1 if i == 5 else 0, 4)  # row 2 empty; the last row set, or the
            # plain lookups would return fewer rows
            picks = sorted(r.choice(n_emb, n, replace=False))
            for c, f in enumerate(picks):
                rows.append(i)
                cols.append(c)
                ids.append(f)
                ws.append(round(r.uniform(0.2, 2.0), 2))
        return {ind: np.stack([rows, cols], 1).astype(np.int64), feat: ids, wts: ws, shape: [6, n_emb],
                labels: (r.uniform(size=(6, 1)) > 0.5).astype(np.float32)}

    result = {"losses": []}
    with tf.Session() as sess:
        sess.run(tf.global_variables_initializer())
        for step in range(5):
            l, _ = sess.run([loss, train], batch(step))
            result["losses"].append(l)
        result["deep"] = sess.run(deep, batch(9))
        result["wide_w"], result["emb"], result["emb2"], result["dense_w"] = sess.run([wide_w, emb, emb2, dense_w])
    result["deep_shape"] = str(deep.shape)
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
