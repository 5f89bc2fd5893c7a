"""tf.image.extract_patches / extract_image_patches and tf.extract_volume_patches with their
gradients as TF builds them (a segment sum; a sparse 0/1 matrix for volumes), total_variation,
psnr, image_gradients and sobel_edges: values, static shapes, the graph node by node and the errors TF raises."""
import numpy as np

GRAPH = True
RTOL = 2e-6
ATOL = 1e-6


def _error(fn, message=True):
    try:
        fn()
        return ["none", ""]
    except Exception as e:  # noqa: BLE001 -- the class is the result
        return [type(e).__name__, str(e).split("\n")[0].split(" for '{{node")[0] if message else ""]


def main(tf, workdir):
    rng = np.random.RandomState(13)
    x_np = rng.uniform(0, 1, [2, 7, 6, 3]).astype(np.float32)
    x = tf.constant(x_np, name="x")
    ph = tf.placeholder(tf.float32, [None, None, None, 3], name="ph")
    feed = {ph: x_np[:1]}
    R, S, E = {}, {}, {}
    R["patches"] = tf.image.extract_patches(x, [1, 3, 2, 1], [1, 2, 2, 1], [1, 1, 1, 1], "VALID")
    R["patches_same"] = tf.image.extract_image_patches(x, ksizes=[1, 2, 3, 1], strides=[1, 3, 1, 1],
                                                       rates=[1, 2, 1, 1], padding="SAME", name="eip")
    R["patches_v1"] = tf.extract_image_patches(ph, [1, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1], "SAME")
    R["patches_sizes"] = tf.image.extract_image_patches(x, sizes=[1, 2, 2, 1], strides=[1, 2, 2, 1],
                                                        rates=[1, 1, 1, 1], padding="VALID")
    vol = tf.constant(rng.uniform(0, 1, [2, 4, 5, 6, 2]).astype(np.float32))
    R["volume"] = tf.extract_volume_patches(vol, [1, 2, 2, 3, 1], [1, 1, 2, 2, 1], "VALID")
    R["volume_same"] = tf.extract_volume_patches(vol, [1, 3, 2, 2, 1], [1, 2, 3, 1, 1], "SAME", name="evp")
    for key in ("volume", "volume_same"):
        dy = tf.constant(rng.randn(*R[key].shape.as_list()).astype(np.float32))
        R["grad_" + key] = tf.gradients(tf.reduce_sum(R[key] * dy), vol)[0]
    for key in ("patches", "patches_same", "patches_v1"):
        dy = tf.constant(rng.randn(*[d if d is not None else 1 for d in R[key].shape.as_list()]).astype(np.float32))
        src = ph if key == "patches_v1" else x
        if key == "patches_v1":
            continue
        R["grad_" + key] = tf.gradients(tf.reduce_sum(R[key] * dy), src)[0]
    R["tv"] = tf.image.total_variation(x)
    R["tv3"] = tf.image.total_variation(x[0], name="tv")
    b_np = np.clip(x_np + rng.normal(0, 0.05, x_np.shape), 0, 1).astype(np.float32)
    R["psnr"] = tf.image.psnr(x, tf.constant(b_np), 1.0)
    R["psnr8"] = tf.image.psnr(tf.constant((x_np * 255).astype(np.uint8)), tf.constant((b_np * 255).astype(np.uint8)),
                               255, name="p8")
    R["dy"], R["dx"] = tf.image.image_gradients(x)
    R["sobel"] = tf.image.sobel_edges(x)
    R["sobel_ph"] = tf.image.sobel_edges(ph)
    for key in list(R):
        S["shape_" + key] = str(R[key].shape)
    E["patches_batch"] = _error(lambda: tf.image.extract_patches(x, [2, 2, 2, 1], [1, 1, 1, 1], [1, 1, 1, 1],
                                                                 "VALID"))
    E["tv_rank"] = _error(lambda: tf.image.total_variation(tf.zeros([2, 2])))
    E["grad_rank"] = _error(lambda: tf.image.image_gradients(x[0]))
    E["psnr_shapes"] = _error(lambda: tf.image.psnr(x, x[:, :3], 1.0))
    with tf.Session() as sess:
        out = sess.run(R, feed)
        E["run_too_big"] = _error(lambda: sess.run(tf.image.extract_patches(ph, [1, 9, 2, 1], [1, 1, 1, 1],
                                                                            [1, 1, 1, 1], "VALID"), feed), False)
        E["after"] = ["ok", str(sess.run(R["tv"]).dtype)]
    for k, v in E.items():
        out["err_" + k] = v
    out.update(S)
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
