"""tf.image's colour functions: adjust_brightness/contrast/gamma/hue/saturation over float and
integer images, their random_ forms under graph seeds, convert_image_dtype between integer and
float types (saturating or not), rgb_to_hsv/hsv_to_rgb with RGBToHSV's gradient, grayscale,
YIQ/YUV and per_image_standardization: values, static shapes, the graph node by node and the
errors TF raises."""
import numpy as np

GRAPH = True
RTOL = 1e-6
ATOL = 1e-6


def _error(fn, message=True):
    try:
        fn()
        return ["none", ""]
    except Exception as e:  # noqa: BLE001 -- the class is the result
        return [type(e).__name__, str(e).split("\n")[0].split(" for '{{node")[0] if message else ""]


def main(tf, workdir):
    tf.set_random_seed(17)
    rng = np.random.RandomState(5)
    img_np = rng.uniform(0, 1, [2, 5, 6, 3]).astype(np.float32)
    img = tf.constant(img_np, name="img")
    img8 = tf.constant((img_np * 255).astype(np.uint8), name="img8")
    ph = tf.placeholder(tf.float32, [None, None, 3], name="ph")
    phu = tf.placeholder(tf.float32, None, name="phu")
    feed = {ph: img_np[0], phu: img_np[1]}
    R, S, E = {}, {}, {}
    R["bright"] = tf.image.adjust_brightness(img, 0.2)
    R["bright8"] = tf.image.adjust_brightness(img8, -0.1)
    R["contrast"] = tf.image.adjust_contrast(img, 1.8)
    R["contrast8"] = tf.image.adjust_contrast(img8, tf.constant(0.5))
    R["gamma"] = tf.image.adjust_gamma(img, 2.2, gain=0.9)
    R["gamma8"] = tf.image.adjust_gamma(img8, 0.5)
    R["hue"] = tf.image.adjust_hue(img, 0.3)
    R["hue8"] = tf.image.adjust_hue(img8, -0.2, name="h")
    R["sat"] = tf.image.adjust_saturation(img, 1.7)
    R["sat8"] = tf.image.adjust_saturation(img8, 0.3, name="s")
    R["rbright"] = tf.image.random_brightness(img, 0.3)
    R["rcontrast"] = tf.image.random_contrast(img, 0.2, 1.8, seed=3)
    R["rhue"] = tf.image.random_hue(img8, 0.4, seed=4)
    R["rsat"] = tf.image.random_saturation(img, 0.5, 1.5)
    R["hsv"] = tf.image.rgb_to_hsv(img)
    R["hsv_ph"] = tf.image.rgb_to_hsv(ph, name="hsv")
    R["rgb"] = tf.image.hsv_to_rgb(R["hsv"])
    R["hsv64"] = tf.image.rgb_to_hsv(tf.cast(img, tf.float64))
    R["gray"] = tf.image.rgb_to_grayscale(img)
    R["gray8"] = tf.image.rgb_to_grayscale(img8, name="g")
    R["gray_rgb"] = tf.image.grayscale_to_rgb(R["gray"])
    R["gray_rgb_ph"] = tf.image.grayscale_to_rgb(tf.placeholder_with_default(img_np[..., :1], None))
    R["yiq"] = tf.image.rgb_to_yiq(img)
    R["yiq_back"] = tf.image.yiq_to_rgb(R["yiq"])
    R["yuv"] = tf.image.rgb_to_yuv(ph)
    R["yuv_back"] = tf.image.yuv_to_rgb(tf.cast(img, tf.float64))
    R["std"] = tf.image.per_image_standardization(img)
    R["std8"] = tf.image.per_image_standardization(img8[0])
    R["std_ph"] = tf.image.per_image_standardization(phu)
    for src, dst, sat in (("uint8", "float32", False), ("float32", "uint8", False), ("float32", "uint8", True),
                          ("uint8", "int32", False), ("int32", "uint8", True), ("int16", "uint8", False),
                          ("float32", "float64", False), ("float32", "float32", False), ("float64", "int16", True)):
        x = tf.constant((rng.uniform(-0.2, 1.2, [4, 3]) * (1 if "float" in src else 30000)).astype(src))
        R["convert_%s_%s_%s" % (src, dst, sat)] = tf.image.convert_image_dtype(x, getattr(tf, dst), saturate=sat)
    R["convert_named"] = tf.image.convert_image_dtype(img8, tf.float16, name="conv")
    grads = tf.gradients(tf.reduce_sum(R["hsv"] * tf.constant(rng.randn(2, 5, 6, 3).astype(np.float32))), img)
    R["hsv_grad"] = grads[0]
    S["shapes"] = [str(R[k].shape) for k in ("hsv_ph", "gray", "gray_rgb", "gray_rgb_ph", "yuv", "std_ph", "hue8")]
    E["gray_channels"] = _error(lambda: tf.image.grayscale_to_rgb(img))
    E["gray_rank"] = _error(lambda: tf.image.grayscale_to_rgb(tf.zeros([3])))
    E["convert_bool"] = _error(lambda: tf.image.convert_image_dtype(tf.constant([True]), tf.float32))
    E["random_brightness"] = _error(lambda: tf.image.random_brightness(img, -1.0))
    E["random_contrast"] = _error(lambda: tf.image.random_contrast(img, 1.0, 0.5))
    E["random_hue"] = _error(lambda: tf.image.random_hue(img, 0.7))
    E["random_saturation"] = _error(lambda: tf.image.random_saturation(img, -1.0, 2.0))
    E["gamma_negative"] = _error(lambda: tf.image.adjust_gamma(img, -1.0))
    E["std_rank"] = _error(lambda: tf.image.per_image_standardization(tf.zeros([3, 4])))
    E["hsv_channels"] = _error(lambda: tf.image.rgb_to_hsv(tf.zeros([3, 4])))
    with tf.Session() as sess:
        out = sess.run(R, feed)
        E["run_hue_channels"] = _error(lambda: sess.run(tf.image.adjust_hue(phu, 0.1), {phu: np.zeros([2, 2, 4])}),
                                       False)
        E["after"] = ["ok", str(sess.run(R["hue"]).dtype)]
    for k, v in E.items():
        out["err_" + k] = v
    out.update(S)
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
