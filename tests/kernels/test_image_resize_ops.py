"""ResizeBilinear, ResizeNearestNeighbor, ResizeBicubic, ResizeArea, ScaleAndTranslate, CropAndResize
and their gradient kernels, ExtractGlimpse and ExtractGlimpseV2 (cpp/kernels/image_resize_ops.cpp,
image_scale_ops.cpp, image_crop_ops.cpp, image_glimpse_ops.cpp).

Expected values come from TF-made cases (fixtures/kernels/image_resize.npz, see gen_image_resize.py):
kernel outputs over TF's CPU dtypes, legacy / align_corners / half-pixel geometries, every sampling
kernel with and without antialias, boxes inside, across and outside the image, empty inputs and TF's
error codes.
"""
import json

import numpy as np
import pytest

import metarun as tf
from metarun.framework import dtypes
from metarun.ops import image_resize_ops
from op_harness import (Case, assert_covers_registry, assert_matches, check_case, coverage, kernel_fixture, load_npz,
                        node_attrs_json, np_dtype, params, run_op)

OPS = ["ResizeBilinear", "ResizeBilinearGrad", "ResizeNearestNeighbor", "ResizeNearestNeighborGrad", "ResizeBicubic",
       "ResizeBicubicGrad", "ResizeArea", "ScaleAndTranslate", "ScaleAndTranslateGrad", "CropAndResize",
       "CropAndResizeGradImage", "CropAndResizeGradBoxes", "ExtractGlimpse", "ExtractGlimpseV2"]
_DATA = load_npz(kernel_fixture("image_resize.npz"))
META = json.loads(str(_DATA["meta"]))
_BLOB = _DATA["blob"].tobytes()


def array(key):
    a = META["arrays"][key]
    return np.frombuffer(_BLOB[a["off"]:a["off"] + a["len"]], dtype=np_dtype(a["dtype"])).reshape(a["shape"]).copy()


def _attr(v):
    (kind, val), = v.items()
    return dtypes.as_dtype(val) if kind == "type" else val


def _cases():
    out = []
    for k, c in enumerate(META["cases"]):
        inputs = [array("c%d_i%d" % (k, j)) for j in range(len(c["inputs"]))]
        out.append(Case(name=c["name"], op=c["op"], inputs=inputs,
                        attrs={n: _attr(v) for n, v in c["attrs"].items()},
                        out_dtypes=[dtypes.as_dtype(d) for d in c["out_dtypes"]],
                        outputs=[array(key) for key in c["outputs"]],
                        error=tuple(c["error"]) if "error" in c else None,
                        dtype=c["attrs"]["T"]["type"] if "T" in c["attrs"] else None))
    return out


CASES = _cases()
COVERAGE = coverage(CASES, OPS)


@pytest.mark.parametrize("case", params(CASES))
def test_tf_case(case):
    check_case(case)


@pytest.mark.parametrize("case", params([c for c in CASES if c.error is None and c.dtype == "float32"
                                         and ("_g0_" in c.name or "_c4" in c.name)]))
def test_tf_case_threaded(case):
    check_case(case, num_threads=4)


def test_coverage():
    assert_covers_registry(COVERAGE)


def test_fixture_covers_the_hard_parts():
    for op in OPS:
        mine = [c for c in CASES if c.op == op]
        assert any(c.error is not None for c in mine), "%s: no error case" % op
        assert any(c.error is None and any(0 in x.shape for x in c.inputs) for c in mine), "%s: no empty case" % op
    names = {c.name for c in CASES if c.error is None}
    for op in ("ResizeBilinear", "ResizeNearestNeighbor", "ResizeBicubic"):
        for tag in ("legacy", "align", "half"):
            assert "%s_float32_g0_%s" % (op, tag) in names
    # every sampling kernel, with and without antialias, up- and downscaling
    for kernel in ("lanczos1", "lanczos3", "lanczos5", "gaussian", "box", "triangle", "keyscubic", "mitchellcubic"):
        for g in range(5):
            assert "ScaleAndTranslate_float32_g%d_%s_aa" % (g, kernel) in names
            assert "ScaleAndTranslateGrad_g%d_%s_noaa" % (g, kernel) in names
    # TF's out-of-range box index is OutOfRange, not InvalidArgument
    assert [c.error[0] for c in CASES if c.name == "CropAndResize_err_box_ind_outside"] == [11]


# -- the Python API (ops/image_resize_ops.py, gradients in ops/image_resize_grad.py) -----------------

_FNS = {"resize_images": tf.image.resize_images, "resize_bilinear": tf.image.resize_bilinear,
        "resize_nearest_neighbor": tf.image.resize_nearest_neighbor, "resize_bicubic": tf.image.resize_bicubic,
        "resize_area": tf.image.resize_area, "resize_image_with_pad_v1": tf.image.resize_image_with_pad,
        "crop_and_resize_v1": tf.image.crop_and_resize, "extract_glimpse": tf.image.extract_glimpse,
        "resize_images_v2": image_resize_ops.resize_images_v2}


@pytest.mark.parametrize("k,g", [pytest.param(k, g, id=g["name"]) for k, g in enumerate(META["grads"])])
def test_api_nodes_values_and_gradients_match_tf(k, g):
    """The nodes each call adds (names, types, attrs), its static shape, its value and the
    gradients of sum(y * dy), all against TF's."""
    with tf.Graph().as_default() as graph:
        inputs = [array("g%d_i%d" % (k, j)) for j in range(len(g["inputs"]))]
        phs = [tf.placeholder(dtypes.as_dtype(dt), shape=np.shape(v) if g["static"] else [None] * np.ndim(v),
                              name="in%d" % j) for j, (v, dt) in enumerate(zip(inputs, g["inputs"]))]
        before = {op.name for op in graph.get_operations()}
        y = _FNS[g["fn"]](*phs, **g["kwargs"])
        nodes = [[op.name, op.type, node_attrs_json(op)] for op in graph.get_operations() if op.name not in before]
        # (the fixture's JSON holds strings where the attrs hold bytes)
        assert json.loads(json.dumps(nodes, default=lambda o: o.decode())) == g["nodes"]
        assert y.shape.as_list() == g["y_shape"]
        dy = array("g%d_dy" % k)
        ds = tf.gradients(tf.reduce_sum(y * dy), [phs[j] for j in g["wrt"]]) if g["wrt"] else []
        with tf.Session() as sess:
            out = sess.run([y] + ds, dict(zip(phs, inputs)))
    assert_matches(out[0], array("g%d_y" % k), what="y")
    for j, got in enumerate(out[1:]):
        assert_matches(np.asarray(got), array("g%d_d%d" % (k, j)), what="d%d" % j)


def test_api_argument_errors():
    x = tf.placeholder(tf.float32, [2, 4, 4, 3])
    with pytest.raises(ValueError, match="contains no shape"):
        tf.image.resize_images(tf.placeholder(tf.float32), [2, 2])
    with pytest.raises(ValueError, match="3 or 4 dimensions"):
        tf.image.resize_images(tf.placeholder(tf.float32, [4, 4]), [2, 2])
    with pytest.raises(ValueError, match="2 elements"):
        tf.image.resize_images(x, [2, 2, 2])
    with pytest.raises(ValueError, match="not implemented"):
        tf.image.resize_images(x, [2, 2], method=7)
    with pytest.raises(ValueError, match="Cannot specify both"):
        tf.image.crop_and_resize(x, tf.zeros([1, 4]), [0], [2, 2], box_indices=[0])
    with pytest.raises(ValueError, match="target_width must be > 0"):
        tf.image.resize_image_with_pad(x, 4, 0)
    assert tf.image.resize is tf.image.resize_images
    assert (tf.image.ResizeMethod.BILINEAR, tf.image.ResizeMethod.NEAREST_NEIGHBOR, tf.image.ResizeMethod.BICUBIC,
            tf.image.ResizeMethod.AREA) == (0, 1, 2, 3)
    assert tf.image.resize_images(x, [4, 4]) is x  # statically unchanged: TF returns the input


def test_resize_area_has_no_gradient_as_in_tf():
    x = tf.placeholder(tf.float32, [1, 4, 4, 1])
    with pytest.raises(LookupError):
        tf.gradients(tf.image.resize_area(x, [2, 2]), x)


# -- inputs where TF's kernels index with undefined values: metarun's answer, and no crash ------------


def test_non_finite_boxes_in_the_crop_gradients_add_nothing():
    """TF checks the boxes' finiteness in CropAndResize only; its gradients would index with NaN.
    metarun treats a NaN sample as outside the image (the other boxes still count)."""
    boxes = np.array([[np.nan, 0.0, 1.0, 1.0], [0.0, 0.0, 1.0, 1.0]], np.float32)
    grads = np.ones([2, 2, 2, 1], np.float32)
    gi, = run_op("CropAndResizeGradImage", [grads, boxes, np.array([0, 0], np.int32), np.array([1, 3, 3, 1], np.int32)],
                 dict(T=dtypes.float32, method="bilinear"), [dtypes.float32])
    want = np.zeros([1, 3, 3, 1], np.float32)
    want[0, [0, 0, 2, 2], [0, 2, 0, 2], 0] = 1  # the second box's four corners
    np.testing.assert_array_equal(gi, want)
    image = np.arange(9, dtype=np.float32).reshape(1, 3, 3, 1)
    gb, = run_op("CropAndResizeGradBoxes", [grads, image, boxes, np.array([0, 0], np.int32)],
                 dict(T=dtypes.float32, method="bilinear"), [dtypes.float32])
    assert gb[0].tolist() == [0, 0, 0, 0] and np.all(np.isfinite(gb[1]))


@pytest.mark.parametrize("scale,shift", [(1e-30, 0.0), (1e30, 0.0), (0.5, np.nan), (0.5, np.inf), (0.5, -1e30)])
def test_scale_and_translate_extreme_transforms_give_zeros_or_values(scale, shift):
    x = np.arange(2 * 5 * 4 * 1, dtype=np.float32).reshape(2, 5, 4, 1)
    for aa in (True, False):
        y, = run_op("ScaleAndTranslate", [x, np.array([3, 2], np.int32), np.array([scale, scale], np.float32),
                                          np.array([shift, shift], np.float32)],
                    dict(T=dtypes.float32, kernel_type="lanczos3", antialias=aa), [dtypes.float32])
        assert y.shape == (2, 3, 2, 1) and np.all(np.isfinite(y))
        g, = run_op("ScaleAndTranslateGrad", [np.ones([2, 3, 2, 1], np.float32), x,
                                              np.array([scale, scale], np.float32), np.array([shift, shift], np.float32)],
                    dict(T=dtypes.float32, kernel_type="lanczos3", antialias=aa), [dtypes.float32])
        assert g.shape == x.shape and np.all(np.isfinite(g))


@pytest.mark.parametrize("noise", ["uniform", "gaussian"])
def test_glimpse_noise_stays_in_the_image_range(noise):
    """TF fills a window's part outside the image from an unseeded generator; metarun's fill has
    TF's bounds: the image's [min, max] (uniform) or each channel's (gaussian, clamped)."""
    x = np.random.default_rng(3).uniform(-2, 5, [1, 4, 5, 2]).astype(np.float32)
    x[..., 1] += 10
    y, = run_op("ExtractGlimpseV2", [x, np.array([6, 3], np.int32), np.array([[-2.0, 1.0]], np.float32)],
                dict(centered=False, normalized=False, uniform_noise=False, noise=noise), [dtypes.float32])
    np.testing.assert_array_equal(y[0, 2:, :], x[0, :4, 1:4])  # rows -2..3 of the window, 0..3 inside
    outside = y[0, :2]
    if noise == "uniform":
        assert x.min() <= outside.min() and outside.max() <= x.max()
    else:
        for ch in range(2):
            assert x[..., ch].min() <= outside[..., ch].min() and outside[..., ch].max() <= x[..., ch].max()
