"""tf.image's geometry: flip_left_right/up_down, their random_ forms, rot90, transpose, central_crop,
crop_to_bounding_box, pad_to_bounding_box, resize_image_with_crop_or_pad and random_crop over single
images, batches and shapes known only at run time: values, static shapes, the graph node by node
and the errors TF raises."""
import numpy as np

GRAPH = True


def _error(fn, message=True):
    try:
        fn()
        return ["none", ""]
    except Exception as e:  # noqa: BLE001 -- the class is the result
        return [type(e).__name__, str(e).split("\n")[0].split(" for '{{node")[0] if message else ""]


def main(tf, workdir):
    tf.set_random_seed(23)
    rng = np.random.RandomState(9)
    x_np = rng.uniform(0, 1, [5, 6, 2]).astype(np.float32)
    xb_np = rng.uniform(0, 1, [3, 5, 6, 2]).astype(np.float32)
    x = tf.constant(x_np, name="x")
    xb = tf.constant(xb_np, name="xb")
    ph = tf.placeholder(tf.float32, [None, None, 2], name="ph")
    phu = tf.placeholder(tf.float32, None, name="phu")
    phb = tf.placeholder(tf.float32, [None, 5, None, 2], name="phb")
    k = tf.placeholder(tf.int32, [], name="k")
    th = tf.placeholder(tf.int32, [], name="th")
    feed = {ph: x_np, phu: x_np, phb: xb_np, k: 3, th: 4}
    R, S, E = {}, {}, {}
    R["flip_lr"] = tf.image.flip_left_right(x)
    R["flip_ud_b"] = tf.image.flip_up_down(xb)
    R["flip_lr_u"] = tf.image.flip_left_right(phu)
    R["flip_ud_ph"] = tf.image.flip_up_down(ph)
    R["rflip_lr"] = tf.image.random_flip_left_right(x, seed=1)
    R["rflip_ud_b"] = tf.image.random_flip_up_down(xb, seed=2)
    R["rflip_lr_b"] = tf.image.random_flip_left_right(xb)
    R["rot1"] = tf.image.rot90(x)
    R["rot2b"] = tf.image.rot90(xb, 2)
    R["rot_k"] = tf.image.rot90(phb, k, name="r")
    # built only: TF's unknown-rank rot90 and transpose fail at run time (both cond branches' nodes run)
    S["shape_rot_u"] = str(tf.image.rot90(phu, 3).shape)
    R["transpose"] = tf.image.transpose(x)
    R["transpose_b"] = tf.image.transpose_image(xb)
    S["shape_transpose_u"] = str(tf.image.transpose(phu, name="t").shape)
    R["central"] = tf.image.central_crop(x, 0.5)
    R["central_b"] = tf.image.central_crop(phb, 0.7)
    R["central_t"] = tf.image.central_crop(xb, tf.constant(0.6))
    R["central_1"] = tf.image.central_crop(x, 1.0)
    R["crop"] = tf.image.crop_to_bounding_box(x, 1, 2, 3, 3)
    R["crop_b"] = tf.image.crop_to_bounding_box(phb, 0, 1, 4, 2)
    R["crop_t"] = tf.image.crop_to_bounding_box(ph, 1, 1, th, 2)
    R["pad"] = tf.image.pad_to_bounding_box(x, 1, 2, 8, 9)
    R["pad_b"] = tf.image.pad_to_bounding_box(phb, 2, 0, 7, 6)
    R["pad_t"] = tf.image.pad_to_bounding_box(ph, 0, 1, th + 5, 7)
    R["crop_or_pad"] = tf.image.resize_image_with_crop_or_pad(x, 3, 9)
    R["crop_or_pad_b"] = tf.image.resize_with_crop_or_pad(xb, 8, 4)
    R["crop_or_pad_t"] = tf.image.resize_image_with_crop_or_pad(ph, th, 7)
    R["crop_or_pad_u"] = tf.image.resize_image_with_crop_or_pad(phu, 2, 2)
    R["random_crop"] = tf.image.random_crop(xb, [2, 3, 4, 2], seed=6)
    for key in list(R):
        S["shape_" + key] = str(R[key].shape)
    E["flip_rank"] = _error(lambda: tf.image.flip_left_right(tf.zeros([2, 2])))
    E["flip_rank5"] = _error(lambda: tf.image.flip_up_down(tf.zeros([1, 2, 2, 2, 1])))
    E["flip_zero"] = _error(lambda: tf.image.flip_left_right(tf.zeros([2, 0, 3])))
    E["rot_k_rank"] = _error(lambda: tf.image.rot90(x, [1, 2]))
    E["central_fraction"] = _error(lambda: tf.image.central_crop(x, 1.5))
    E["central_rank"] = _error(lambda: tf.image.central_crop(tf.zeros([1, 2, 2, 2, 1]), 0.5))
    E["crop_offset"] = _error(lambda: tf.image.crop_to_bounding_box(x, -1, 0, 2, 2))
    E["crop_size"] = _error(lambda: tf.image.crop_to_bounding_box(x, 3, 0, 4, 2))
    E["crop_target"] = _error(lambda: tf.image.crop_to_bounding_box(x, 0, 0, 0, 2))
    E["pad_offset"] = _error(lambda: tf.image.pad_to_bounding_box(x, 0, -2, 8, 9))
    E["pad_small"] = _error(lambda: tf.image.pad_to_bounding_box(x, 2, 0, 6, 9))
    E["pad_rank"] = _error(lambda: tf.image.pad_to_bounding_box(tf.zeros([2, 2]), 0, 0, 3, 3))
    E["crop_or_pad_target"] = _error(lambda: tf.image.resize_image_with_crop_or_pad(x, 0, 3))
    with tf.Session() as sess:
        out = sess.run(R, feed)
        out["rflip_runs"] = [sess.run(R["rflip_lr_b"]) for _ in range(3)]
        E["run_crop_target"] = _error(lambda: sess.run(R["crop_t"], dict(feed, **{th: 9})), False)
        E["run_pad_target"] = _error(lambda: sess.run(R["pad_t"], dict(feed, **{th: -3})), False)
        E["run_random_crop"] = _error(lambda: sess.run(tf.image.random_crop(ph, [9, 2, 2]), feed), False)
        E["after"] = ["ok", str(sess.run(R["rot1"]).shape)]
    for k_, v in E.items():
        out["err_" + k_] = v
    out.update(S)
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
