"""tf.image.ssim and ssim_multiscale over float and uint8 images, batched, with a smaller window,
the per-pixel map and odd sizes that multiscale pads symmetrically: values, the graph node by
node and the errors TF raises."""
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
    rng = np.random.RandomState(21)
    a_np = rng.uniform(0, 1, [2, 24, 20, 3]).astype(np.float32)
    b_np = np.clip(a_np + rng.normal(0, 0.1, a_np.shape), 0, 1).astype(np.float32)
    a, b = tf.constant(a_np, name="a"), tf.constant(b_np, name="b")
    R, E = {}, {}
    R["ssim"] = tf.image.ssim(a, b, 1.0)
    R["ssim8"] = tf.image.ssim(tf.constant((a_np * 255).astype(np.uint8)), tf.constant((b_np * 255).astype(np.uint8)),
                               255, filter_size=7, filter_sigma=1.0)
    R["ssim_map"] = tf.image.ssim(a[0], b[0], 1.0, filter_size=5, return_index_map=True)
    big_a = rng.uniform(0, 1, [1, 45, 51, 1]).astype(np.float32)
    big_b = np.clip(big_a + rng.normal(0, 0.05, big_a.shape), 0, 1).astype(np.float32)
    R["msssim"] = tf.image.ssim_multiscale(tf.constant(big_a), tf.constant(big_b), 1.0, filter_size=3)
    R["msssim_weights"] = tf.image.ssim_multiscale(a, b, 1.0, power_factors=(0.5, 0.5), filter_size=5, k2=0.05)
    E["ssim_shapes"] = _error(lambda: tf.image.ssim(a, b[:, :10], 1.0))
    with tf.Session() as sess:
        out = sess.run(R)
        E["run_small"] = _error(lambda: sess.run(tf.image.ssim(a[:, :5], b[:, :5], 1.0)), False)
    for k, v in E.items():
        out["err_" + k] = v
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
