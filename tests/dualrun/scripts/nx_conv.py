"""tf.nn's convolution family beyond conv2d: conv2d_backprop_filter/input, depthwise_conv2d_native
and its backprops (and their depthwise_conv2d_backprop_* aliases), convolution (1-D, 2-D, extra
batch dims, channels-first graph only), conv1d_transpose and conv_transpose, explicit paddings;
values, static shapes, tf.gradients of each, the graph node by node and the errors TF raises."""
import numpy as np

GRAPH = True
# Gradients of squared sums of convolutions: metarun sums in another order than TF's Eigen kernels.
RTOL = 1e-4
ATOL = 1e-4


def _error(fn, message=True):
    try:
        fn()
        return ["none", ""]
    except Exception as e:  # noqa: BLE001 -- the class is the result
        # TF ends shape-function messages with the NodeDef text; the part before it is compared.
        return [type(e).__name__, str(e).split("\n")[0].split(" for '{{node")[0] if message else ""]


def main(tf, workdir):
    rng = np.random.RandomState(3)
    img = tf.constant(rng.randn(2, 7, 6, 3).astype(np.float32), name="img")
    filt = tf.constant(rng.randn(3, 2, 3, 4).astype(np.float32), name="filt")
    dwf = tf.constant(rng.randn(3, 3, 3, 2).astype(np.float32), name="dwf")
    seq = tf.constant(rng.randn(2, 9, 3).astype(np.float32), name="seq")
    f1 = tf.constant(rng.randn(3, 3, 5).astype(np.float32), name="f1")
    R = {}
    # conv2d's gradients through the public backprop functions
    dy = tf.constant(rng.randn(2, 4, 3, 4).astype(np.float32), name="dy")
    R["bp_filter"] = tf.nn.conv2d_backprop_filter(img, [3, 2, 3, 4], dy, [1, 2, 2, 1], "SAME")
    R["bp_input"] = tf.nn.conv2d_backprop_input([2, 7, 6, 3], filt, dy, [1, 2, 2, 1], "SAME")
    R["bp_input_kw"] = tf.nn.conv2d_backprop_input(tf.shape(img), filters=filt, out_backprop=dy,
                                                   strides=[1, 2, 2, 1], padding="SAME", name="bpi")
    dy_valid = tf.constant(rng.randn(2, 5, 5, 4).astype(np.float32))
    R["bp_filter_valid"] = tf.nn.conv2d_backprop_filter(img, tf.constant([3, 2, 3, 4]), dy_valid, [1, 1, 1, 1],
                                                        "VALID", name="bpf_valid")
    dy_exp = tf.constant(rng.randn(2, 7, 6, 4).astype(np.float32))
    R["bp_filter_explicit"] = tf.nn.conv2d_backprop_filter(img, [3, 2, 3, 4], dy_exp, [1, 1, 1, 1],
                                                           [[0, 0], [1, 1], [1, 0], [0, 0]])
    R["bp_input_explicit"] = tf.nn.conv2d_backprop_input([2, 7, 6, 3], filt, dy_exp, [1, 1, 1, 1],
                                                         [[0, 0], [1, 1], [1, 0], [0, 0]])
    # depthwise
    R["dw"] = tf.nn.depthwise_conv2d_native(img, dwf, [1, 1, 1, 1], "SAME")
    R["dw_s2"] = tf.nn.depthwise_conv2d_native(img, dwf, [1, 2, 2, 1], "VALID", name="dw_valid")
    R["dw_explicit"] = tf.nn.depthwise_conv2d_native(img, dwf, [1, 1, 1, 1], [[0, 0], [2, 0], [1, 1], [0, 0]])
    dw_dy = tf.constant(rng.randn(2, 7, 6, 6).astype(np.float32), name="dw_dy")
    R["dw_bp_in"] = tf.nn.depthwise_conv2d_native_backprop_input([2, 7, 6, 3], dwf, dw_dy, [1, 1, 1, 1], "SAME")
    R["dw_bp_f"] = tf.nn.depthwise_conv2d_native_backprop_filter(img, [3, 3, 3, 2], dw_dy, [1, 1, 1, 1], "SAME")
    R["dw_bp_in_alias"] = tf.nn.depthwise_conv2d_backprop_input(tf.shape(img), dwf, dw_dy, [1, 1, 1, 1], "SAME")
    R["dw_bp_f_alias"] = tf.nn.depthwise_conv2d_backprop_filter(img, tf.shape(dwf), dw_dy, [1, 1, 1, 1], "SAME",
                                                                name="dwbf")
    # convolution
    R["conv2"] = tf.nn.convolution(img, filt, "SAME")
    R["conv2_s"] = tf.nn.convolution(img, filt, "VALID", strides=[2, 1], name="c2s")
    R["conv2_list"] = tf.nn.convolution(rng.randn(1, 4, 4, 3).astype(np.float32),
                                        rng.randn(2, 2, 3, 1).astype(np.float32), "VALID")
    R["conv2_dil1"] = tf.nn.convolution(img, filt, "SAME", dilation_rate=[1, 1])
    R["conv2_filters_kw"] = tf.nn.convolution(img, filter=None, filters=filt, padding="SAME", dilations=1)
    R["conv1"] = tf.nn.convolution(seq, f1, "SAME")
    R["conv1_s"] = tf.nn.convolution(seq, f1, "VALID", strides=2, name="c1s")
    batch5 = tf.constant(rng.randn(2, 2, 5, 5, 3).astype(np.float32), name="batch5")
    R["conv2_batch5"] = tf.nn.convolution(batch5, filt, "SAME")
    ph = tf.placeholder(tf.float32, [None, None, 5, 5, 3], name="ph5")
    conv_ph = tf.nn.convolution(ph, filt, "VALID")
    R["conv_ph_shape"] = str(conv_ph.shape)
    # graph only: channels-first (TF's CPU kernels do not run NCHW convolutions)
    nchw = tf.placeholder(tf.float32, [2, 3, 7, 6], name="nchw")
    R["nchw_shape"] = str(tf.nn.convolution(nchw, filt, "SAME", data_format="NCHW", strides=[1, 2]).shape)
    ncw = tf.placeholder(tf.float32, [2, 3, 9], name="ncw")
    R["ncw_shape"] = str(tf.nn.convolution(ncw, f1, "SAME", data_format="NCW").shape)
    # transposes
    tf1 = tf.constant(rng.randn(3, 2, 5).astype(np.float32), name="tf1")
    seq5 = tf.constant(rng.randn(2, 4, 5).astype(np.float32), name="seq5")
    R["c1t"] = tf.nn.conv1d_transpose(seq5, tf1, [2, 8, 2], 2)
    R["c1t_valid"] = tf.nn.conv1d_transpose(seq5, tf1, tf.constant([2, 9, 2]), [2], "VALID", name="c1tv")
    R["c1t_dil_shape"] = str(tf.nn.conv1d_transpose(seq5, tf1, [2, 4, 2], 1, dilations=2).shape)  # TF: no CPU kernel
    tf2 = tf.constant(rng.randn(3, 3, 2, 4).astype(np.float32), name="tf2")
    img4 = tf.constant(rng.randn(2, 3, 3, 4).astype(np.float32), name="img4")
    R["ct2"] = tf.nn.conv_transpose(img4, tf2, [2, 6, 6, 2], 2)
    R["ct2_explicit"] = tf.nn.conv_transpose(img4, tf2, [2, 5, 5, 2], [1, 1],
                                             padding=[[0, 0], [0, 0], [0, 0], [0, 0]], name="ctx")
    R["ct1"] = tf.nn.conv_transpose(seq5, tf1, tf.constant([2, 8, 2]), 2)
    # gradients
    for key in ["bp_filter", "bp_input", "dw", "dw_bp_in", "dw_bp_f", "conv2", "conv1", "conv2_batch5", "c1t",
                "ct2", "ct1", "dw_explicit", "bp_input_explicit", "bp_filter_explicit"]:
        xs = [t for t in [img, filt, dy, dwf, dw_dy, seq, f1, batch5, seq5, tf1, img4, tf2, dy_exp]]
        grads = tf.gradients(tf.reduce_sum(R[key] * R[key]), xs)
        for x, gr in zip(xs, grads):
            if gr is not None:
                R["grad_%s_%s" % (key, x.op.name)] = gr
    # errors
    E = {}
    E["conv_rank"] = _error(lambda: tf.nn.convolution(tf.zeros([2, 3]), tf.zeros([3]), "SAME"))
    E["conv_explicit"] = _error(lambda: tf.nn.convolution(img, filt, [[0, 0], [1, 1], [0, 1], [0, 0]]))
    E["conv_strides_len"] = _error(lambda: tf.nn.convolution(img, filt, "SAME", strides=[1, 1, 1]))
    E["pad_explicit_str"] = _error(lambda: tf.nn.convolution(img, filt, "EXPLICIT"))
    E["pad_pair"] = _error(lambda: tf.nn.conv2d_backprop_input([2, 7, 6, 3], filt, dy, [1, 1, 1, 1],
                                                               [[0, 0], [1], [0, 0], [0, 0]]))
    E["pad_len"] = _error(lambda: tf.nn.depthwise_conv2d_native(img, dwf, [1, 1, 1, 1], [[0, 0], [1, 1], [0, 0]]))
    E["pad_elem"] = _error(lambda: tf.nn.depthwise_conv2d_native(img, dwf, [1, 1, 1, 1], [1, 1, 1, 1]))
    E["c1t_format"] = _error(lambda: tf.nn.conv1d_transpose(seq5, tf1, [2, 8, 2], 2, data_format="NHWC"))
    E["ct_len"] = _error(lambda: tf.nn.conv_transpose(img4, tf2, [2, 6], 2))
    E["ct_type"] = _error(lambda: tf.nn.conv_transpose(img4, tf2, 5, 2))
    E["conv1_format"] = _error(lambda: tf.nn.convolution(seq, f1, "SAME", data_format="NCHWX"))
    with tf.Session() as s:
        out = s.run({k: v for k, v in R.items() if not isinstance(v, str)})
        E["run_depth"] = _error(lambda: s.run(tf.nn.conv2d_backprop_input([2, 7, 6, 5], filt, dy, [1, 2, 2, 1],
                                                                          "SAME")), False)
        E["after"] = ["ok", str(s.run(tf.reduce_sum(R["dw"])).dtype)]
    for k, v in R.items():
        if isinstance(v, str):
            out[k] = v
    out["shapes"] = [str(R[k].shape) for k in sorted(R) if not isinstance(R[k], str)]
    for k, v in E.items():
        out["err_" + k] = v
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
