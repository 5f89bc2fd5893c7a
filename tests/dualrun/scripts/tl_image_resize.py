"""tf.image resizing and cropping in tf.compat.v1: resize_images / resize with every ResizeMethod,
align_corners, preserve_aspect_ratio, 3-D images, integer images, an unchanged size; resize_bilinear,
resize_nearest_neighbor, resize_bicubic (half_pixel_centers too), resize_area, resize_image_with_pad and
crop_and_resize (both methods, extrapolation, boxes past the image, box_indices); values, static
shapes, tf.gradients of each, the graph node by node, and the errors TF raises while building and
running."""
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
    rng = np.random.RandomState(11)
    img = tf.constant(rng.randn(2, 6, 5, 3).astype(np.float32), name="img")
    one = tf.constant(rng.randn(7, 4, 2).astype(np.float32), name="one")
    pix = tf.constant(rng.randint(0, 255, (1, 5, 6, 3)).astype(np.uint8), name="pix")
    boxes = tf.constant([[0.1, 0.2, 0.9, 0.7], [-0.2, 0.0, 0.6, 1.3], [0.8, 0.9, 0.1, 0.2]], name="boxes")
    box_ind = tf.constant([1, 0, 1], name="box_ind")
    M = tf.image.ResizeMethod
    R = {}
    R["bilinear"] = tf.image.resize_images(img, [9, 7])
    R["nearest"] = tf.image.resize_images(img, [4, 8], method=M.NEAREST_NEIGHBOR)
    R["bicubic_align"] = tf.image.resize_images(img, [11, 3], method=M.BICUBIC, align_corners=True)
    R["area"] = tf.image.resize_images(img, (3, 2), method=M.AREA, name="shrink")
    R["resize_alias"] = tf.image.resize(one, [5, 9], method=M.BILINEAR, align_corners=True)
    R["aspect"] = tf.image.resize_images(img, [12, 20], preserve_aspect_ratio=True)
    R["same"] = tf.image.resize_images(img, [6, 5])
    R["uint8_nearest"] = tf.image.resize_images(pix, [3, 9], method=M.NEAREST_NEIGHBOR)
    R["uint8_bilinear"] = tf.image.resize_images(pix, [8, 4])
    R["fn_bilinear_half"] = tf.image.resize_bilinear(img, [4, 4], half_pixel_centers=True)
    R["fn_nearest_half"] = tf.image.resize_nearest_neighbor(img, [10, 3], half_pixel_centers=True, name="nnh")
    R["fn_bicubic_half"] = tf.image.resize_bicubic(img, [8, 8], half_pixel_centers=True)
    R["fn_area_align"] = tf.image.resize_area(img, [4, 3], align_corners=True)
    R["pad"] = tf.image.resize_image_with_pad(img, 8, 12)
    R["pad_3d_bicubic"] = tf.image.resize_image_with_pad(one, 5, 5, method=M.BICUBIC)
    R["crop"] = tf.image.crop_and_resize(img, boxes, box_ind, [4, 5])
    R["crop_nearest"] = tf.image.crop_and_resize(img, boxes, box_ind, [3, 3], method="nearest",
                                                 extrapolation_value=-1.0, name="cn")
    R["crop_indices"] = tf.image.crop_and_resize(img, boxes, crop_size=[1, 4], box_indices=box_ind)
    R["crop_uint8"] = tf.image.crop_and_resize(pix, boxes[:2], [0, 0], [2, 2])
    for key in ["bilinear", "nearest", "bicubic_align", "resize_alias", "aspect", "fn_bilinear_half",
                "fn_nearest_half", "fn_bicubic_half", "pad", "pad_3d_bicubic", "crop", "crop_nearest",
                "crop_indices", "crop_uint8"]:
        xs = [img, one, boxes]
        for x, gr in zip(xs, tf.gradients(tf.reduce_sum(R[key] * R[key]), xs)):
            if gr is not None:
                R["grad_%s_%s" % (key, x.op.name)] = gr
    # graph only: unknown sizes
    ph = tf.placeholder(tf.float32, [None, None, None, 3], name="ph")
    size = tf.placeholder(tf.int32, [2], name="size")
    shapes = {"ph_const": tf.image.resize_images(ph, [4, 6]).shape,
              "ph_aspect": tf.image.resize_images(ph, [4, 6], preserve_aspect_ratio=True).shape,
              "fed_size": tf.image.resize_bilinear(img, size).shape,
              "crop_fed": tf.image.crop_and_resize(ph, boxes, box_ind, size).shape}
    E = {}
    E["rank2"] = _error(lambda: tf.image.resize_images(tf.zeros([4, 4]), [2, 2]))
    E["size_len"] = _error(lambda: tf.image.resize_images(img, [2, 2, 2]))
    E["size_float"] = _error(lambda: tf.image.resize_images(img, [2.5, 2]))
    E["method"] = _error(lambda: tf.image.resize_images(img, [2, 2], method=9))
    E["pad_target"] = _error(lambda: tf.image.resize_image_with_pad(img, 0, 4))
    E["both_box_ind"] = _error(lambda: tf.image.crop_and_resize(img, boxes, box_ind, [2, 2],
                                                                 box_indices=box_ind))
    E["area_grad"] = _error(lambda: tf.gradients(R["area"], img), False)
    with tf.Session() as s:
        E["run_box_ind"] = _error(lambda: s.run(tf.image.crop_and_resize(img, boxes, [0, 2, 1], [2, 2])), False)
        E["run_align_half"] = _error(lambda: s.run(tf.image.resize_bilinear(img, [3, 3], align_corners=True,
                                                                            half_pixel_centers=True)), False)
        E["run_size"] = _error(lambda: s.run(tf.image.resize_bilinear(img, size), {size: [0, 3]}), False)
        out = s.run(R)
        out["fed"] = s.run(tf.image.resize_bicubic(img, size), {size: [3, 7]})
        E["after"] = ["ok", str(s.run(tf.reduce_sum(R["crop"])).dtype)]
    out["shapes"] = [str(R[k].shape) for k in sorted(R)]
    out["dtypes"] = [R[k].dtype.name for k in sorted(R)]
    for k, v in shapes.items():
        out["shape_" + k] = str(v)
    for k, v in E.items():
        out["err_" + k] = v
    out["__graph__"] = tf.get_default_graph().as_graph_def()
    return out
