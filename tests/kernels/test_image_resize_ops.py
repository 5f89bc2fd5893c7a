"""ResizeBilinear, ResizeNearestNeighbor, ResizeBicubic, ResizeArea, ScaleAndTranslate, CropAndResize
and their gradient kernels (cpp/kernels/image_resize_ops.cpp, image_scale_ops.cpp, image_crop_ops.cpp).

Expected values come from TF-made cases (fixtures/kernels/image_resize.npz, see gen_image_resize.py):
kernel outputs over TF's CPU dtypes, legacy / align_corners / half-pixel geometries, every sampling
kernel with and without antialias, boxes inside, across and outside the image, empty inputs and TF's
error codes.
"""
import json

import numpy as np
import pytest

from metarun.framework import dtypes
from op_harness import (Case, assert_covers_registry, check_case, coverage, kernel_fixture, load_npz, np_dtype,
                        params)

OPS = ["ResizeBilinear", "ResizeBilinearGrad", "ResizeNearestNeighbor", "ResizeNearestNeighborGrad", "ResizeBicubic",
       "ResizeBicubicGrad", "ResizeArea", "ScaleAndTranslate", "ScaleAndTranslateGrad", "CropAndResize",
       "CropAndResizeGradImage", "CropAndResizeGradBoxes"]
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
                        error=tuple(c["error"]) if "error" in c else None, dtype=c["attrs"]["T"]["type"]))
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
