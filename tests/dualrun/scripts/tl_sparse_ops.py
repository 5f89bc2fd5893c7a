"""tf.sparse.* and the tf.sparse_* names: values, static shapes, gradients, the graph nodes TF's
wrappers build (SparseTensor operators included), and TF's errors on unsorted or out-of-bounds
indices."""
import numpy as np

GRAPH = True


def _sparse(st):
    return [st.indices, st.values, st.dense_shape]


def main(tf, workdir):
    ind = tf.placeholder(tf.int64, [None, 2], name="ind")
    val = tf.placeholder(tf.float32, [None], name="val")
    shp = tf.placeholder(tf.int64, [2], name="shp")
    sp = tf.SparseTensor(ind, val, shp)
    const_sp = tf.SparseTensor([[0, 1], [1, 0], [2, 2]], [1.5, -2.0, 3.0], [3, 4])
    other = tf.SparseTensor([[0, 1], [2, 0], [2, 3]], [0.5, 4.0, -1.0], [3, 4])
    dense = tf.placeholder(tf.float32, [3, 4], name="dense")
    row = tf.constant([[1.0, 2.0, -1.0, 0.5]])
    mat = tf.placeholder(tf.float32, [4, 2], name="mat")
    ids = tf.SparseTensor([[0, 0], [0, 1], [2, 0]], tf.constant([3, 1, 2], tf.int64), [3, 2])
    weights = tf.SparseTensor([[0, 0], [0, 1], [2, 0]], [0.5, 2.0, 1.0], [3, 2])

    sparse_outs = {
        "add": tf.sparse.add(const_sp, other),
        "add_thresh": tf.sparse_add(sp, other, threshold=0.75),
        "reorder": tf.sparse.reorder(sp),
        "reorder_const": tf.sparse_reorder(const_sp),
        "reshape": tf.sparse.reshape(const_sp, [2, -1]),
        "reshape_fed": tf.sparse_reshape(sp, [-1]),
        "concat": tf.sparse.concat(1, [const_sp, other]),
        "concat_fed": tf.sparse_concat(0, [sp, const_sp]),
        "slice": tf.sparse.slice(const_sp, [1, 0], [2, 3]),
        "softmax": tf.sparse.softmax(const_sp),
        "reduce_sum_sparse": tf.sparse.reduce_sum_sparse(sp, axis=1),
        "reduce_max_sparse": tf.sparse_reduce_max_sparse(const_sp, 0, keepdims=True),
        "maximum": tf.sparse.maximum(const_sp, other),
        "minimum": tf.sparse_minimum(const_sp, other),
        "retain": tf.sparse.retain(const_sp, [True, False, True]),
        "reset_shape": tf.sparse.reset_shape(const_sp, [5, 6]),
        "reset_shape_fed": tf.sparse_reset_shape(sp),
        "transpose": tf.sparse.transpose(const_sp),
        "transpose_fed": tf.sparse_transpose(sp, [1, 0]),
        "expand_dims": tf.sparse.expand_dims(const_sp, 1),
        "eye": tf.sparse.eye(3, 4),
        "from_dense": tf.sparse.from_dense(dense),
        "merge": tf.sparse.merge(ids, weights, 5),
        "fill": tf.sparse.fill_empty_rows(sp, -1.0)[0],
        "mul": const_sp * row,
        "div": sp / tf.constant(2.0),
        "split0": tf.sparse.split(sp_input=const_sp, num_split=3, axis=1)[0],
        "split2": tf.sparse_split(sp_input=sp, num_split=2, axis=0, name="halves")[1],
    }
    dense_outs = {
        "to_dense": tf.sparse.to_dense(tf.sparse.reorder(sp)),
        "to_dense_default": tf.sparse_tensor_to_dense(const_sp, default_value=9.0),
        "dense_add": tf.sparse.add(dense, const_sp),
        "matmul": tf.sparse.sparse_dense_matmul(sp, mat),
        "matmul_adj": tf.sparse_tensor_dense_matmul(const_sp, tf.reshape(tf.range(6.0), [2, 3]), adjoint_a=True,
                                                   adjoint_b=True),
        "matmul_sp_b": tf.sparse.matmul(tf.reshape(tf.range(6.0), [2, 3]), other),
        "reduce_sum": tf.sparse.reduce_sum(sp),
        "reduce_sum_axis": tf.sparse_reduce_sum(const_sp, axis=-1, keepdims=True),
        "reduce_max": tf.sparse.reduce_max(sp, 0),
        "indicator": tf.sparse.to_indicator(ids, 4),
        "fill_indicator": tf.sparse_fill_empty_rows(const_sp, 0.0)[1],
        "sparse_to_dense": tf.sparse_to_dense([[0, 1], [1, 2]], [2, 3], [4.0, 5.0]),
        "sparse_matmul": tf.sparse_matmul(dense, mat, a_is_sparse=True),
    }
    loss = (tf.reduce_sum(dense_outs["matmul"] * 2.0) + dense_outs["reduce_sum"]
            + tf.reduce_sum(tf.sparse.softmax(sp).values * tf.range(0.0, tf.cast(tf.shape(val)[0], tf.float32)))
            + tf.reduce_sum(tf.sparse.reorder(sp).values * 3.0) + tf.sparse.reduce_sum(sp * dense)
            + tf.reduce_sum(tf.sparse.slice(sp, [0, 1], [2, 3]).values)
            + tf.reduce_sum(tf.sparse.fill_empty_rows(sp, tf.constant(0.5))[0].values)
            + tf.reduce_sum(tf.sparse.add(sp, other).values * 1.5)
            + tf.reduce_sum(tf.sparse_matmul(tf.nn.relu(dense), mat, transpose_b=False, b_is_sparse=True)))
    grads = tf.gradients(loss, [val, dense, mat])
    mask = tf.sparse.mask(tf.IndexedSlices(tf.constant([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]), tf.constant([4, 1, 7]),
                                           tf.constant([8, 2])), tf.constant([1]))
    unsorted_dense = tf.sparse.to_dense(sp, name="unsorted")
    feed = {ind: [[2, 3], [0, 1], [0, 0], [2, 1]], val: [1.0, -2.0, 0.5, 4.0], shp: [3, 4],
            dense: np.arange(12, dtype=np.float32).reshape(3, 4) - 5.5, mat: np.arange(8, dtype=np.float32).reshape(4, 2)}
    feed[dense] = np.where(feed[dense] == 0.5, 0.0, feed[dense])
    result = {"shapes": [k + str(v.get_shape()) for k, v in sorted(sparse_outs.items())]
              + [k + str(v.shape) for k, v in sorted(dense_outs.items())]}
    with tf.Session() as sess:
        got = sess.run({"sparse": sparse_outs, "dense": dense_outs, "grads": grads,
                        "mask": [mask.values, mask.indices]}, feed)
        for k, v in got["sparse"].items():
            result["sp_" + k] = _sparse(v)
        result.update(got["dense"])
        result["grads"] = got["grads"]
        result["mask"] = got["mask"]
        for name, t, f in (("matmul_oob", dense_outs["matmul"], {ind: [[0, 7]], val: [1.0]}),
                           ("to_dense_unsorted", unsorted_dense, {}),
                           ("add_mismatch", sparse_outs["add_thresh"].values, {shp: [4, 5]}),
                           ("fill_oob", sparse_outs["fill"].values, {ind: [[9, 0]], val: [1.0]}),
                           ("reshape_bad", sparse_outs["reshape_fed"].values, {shp: [-3, 4]})):
            try:
                sess.run(t, {**feed, **f})
                result["error_" + name] = "no error"
            except tf.errors.OpError as ex:
                result["error_" + name] = type(ex).__name__
        result["after_error"] = sess.run(dense_outs["matmul"], feed)
    try:
        tf.sparse.reshape(const_sp, [5, -1])
        result["static_reshape"] = "no error"
    except ValueError:
        result["static_reshape"] = "ValueError"
    try:
        tf.sparse.add(dense, dense)
        result["dense_dense_add"] = "no error"
    except TypeError:
        result["dense_dense_add"] = "TypeError"
    result["__graph__"] = tf.get_default_graph().as_graph_def()
    return result
