"""Image ops other than resizing and codecs (cpp/kernels/image_ops.cpp, image_nms_ops.cpp,
image_sample_ops.cpp): non-max suppression V1-V5, WithOverlaps and Combined; AdjustContrast,
AdjustContrastv2, AdjustHue, AdjustSaturation, RGBToHSV, HSVToRGB; DrawBoundingBoxes(V2);
SampleDistortedBoundingBox(V2); ExtractImagePatches and ExtractVolumePatches.

Expected values come from TF-made cases (fixtures/kernels/image_ops.npz, see gen_image_ops.py):
outputs bit for bit over TF's CPU dtypes, empty inputs, ties, soft-NMS, padding, swapped box
corners, out-of-range colours, boxes outside the image, TF's seeded crop streams over several runs,
and TF's error codes.
"""
import json

import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import (INVALID_ARGUMENT, Case, assert_covers_registry, check_case, coverage, kernel_fixture,
                        load_npz, np_dtype, params, run_op, status_code)

OPS = ["NonMaxSuppression", "NonMaxSuppressionV2", "NonMaxSuppressionV3", "NonMaxSuppressionV4",
       "NonMaxSuppressionV5", "NonMaxSuppressionWithOverlaps", "CombinedNonMaxSuppression", "AdjustContrast",
       "AdjustContrastv2", "AdjustHue", "AdjustSaturation", "RGBToHSV", "HSVToRGB", "DrawBoundingBoxes",
       "DrawBoundingBoxesV2", "SampleDistortedBoundingBox", "SampleDistortedBoundingBoxV2", "ExtractImagePatches",
       "ExtractVolumePatches"]
_DATA = load_npz(kernel_fixture("image_ops.npz"))
_META = json.loads(str(_DATA["meta"]))
_BLOB = _DATA["blob"].tobytes()


def _array(key):
    a = _META["arrays"][key]
    return np.frombuffer(_BLOB[a["off"]:a["off"] + a["len"]], dtype=np_dtype(a["dtype"])).reshape(a["shape"]).copy()


def _attr(v):
    (kind, val), = v.items()
    return dtypes.as_dtype(val) if kind == "type" else val


def _cases():
    out = []
    for k, c in enumerate(_META["cases"]):
        inputs = [_array("c%d_i%d" % (k, j)) for j in range(len(c["inputs"]))]
        out.append(Case(name=c["name"], op=c["op"], inputs=inputs,
                        attrs={n: _attr(v) for n, v in c["attrs"].items()},
                        out_dtypes=[dtypes.as_dtype(d) for d in c["out_dtypes"]],
                        outputs=[_array(key) for key in c["outputs"]], times=c["times"],
                        error=tuple(c["error"]) if "error" in c else None,
                        dtype=c["attrs"]["T"]["type"] if "T" in c["attrs"] else None))
    return out


CASES = _cases()
COVERAGE = coverage(CASES, OPS)


@pytest.mark.parametrize("case", params(CASES))
def test_tf_case(case):
    check_case(case)


@pytest.mark.parametrize("case", params([c for c in CASES if c.error is None and c.op in (
    "ExtractImagePatches", "AdjustHue", "AdjustSaturation") and c.dtype in ("float32", None)]))
def test_tf_case_threaded(case):
    check_case(case, num_threads=4)


def test_coverage():
    assert_covers_registry(COVERAGE)


def test_fixture_covers_the_hard_parts():
    for op in OPS:
        mine = [c for c in CASES if c.op == op]
        assert any(c.error is None for c in mine), op
        assert any(c.error is not None for c in mine), "%s: no error case" % op
    for op in ("NonMaxSuppressionV3", "NonMaxSuppressionV5", "CombinedNonMaxSuppression", "AdjustContrastv2",
               "AdjustHue", "RGBToHSV", "DrawBoundingBoxes", "ExtractImagePatches", "ExtractVolumePatches"):
        assert any(c.error is None and any(0 in x.shape for x in c.inputs) for c in CASES if c.op == op), op
    # soft-NMS changes scores; some hard-NMS cases keep fewer boxes than they may
    soft = [c for c in CASES if c.op == "NonMaxSuppressionV5" and c.error is None and "sigma0.0" not in c.name]
    assert any(not np.isin(c.outputs[1], c.inputs[1]).all() for c in soft)
    # the seeded samplers give different crops for different seeds and runs
    crops = {tuple(c.outputs[0].tolist() + c.outputs[1].tolist()) for c in CASES
             if c.op == "SampleDistortedBoundingBoxV2" and c.error is None and "_v1_" in c.name}
    assert len(crops) > 3


@pytest.mark.parametrize("case", params([c for c in CASES if c.op in ("NonMaxSuppressionV3",) and c.error is None
                                         and c.dtype == "float32"]))
def test_nms_selection_is_greedy_by_iou(case):
    """Independent of TF: each selected box beats the threshold, has the highest remaining score among
    boxes not suppressed by earlier picks, and overlaps no earlier pick beyond the IoU threshold."""
    boxes, scores, max_out, iou_t, score_t = case.inputs
    sel = case.outputs[0]

    def iou(a, b):
        ya, yb = sorted(a[[0, 2]]), sorted(b[[0, 2]])
        xa, xb = sorted(a[[1, 3]]), sorted(b[[1, 3]])
        area_a = (ya[1] - ya[0]) * (xa[1] - xa[0])
        area_b = (yb[1] - yb[0]) * (xb[1] - xb[0])
        if area_a <= 0 or area_b <= 0:
            return 0.0
        inter = max(min(ya[1], yb[1]) - max(ya[0], yb[0]), 0) * max(min(xa[1], xb[1]) - max(xa[0], xb[0]), 0)
        return inter / (area_a + area_b - inter)

    picked = []
    for i in np.argsort(-scores, kind="stable"):
        if len(picked) == max_out or scores[i] <= score_t:
            break
        if all(iou(boxes[i], boxes[j]) <= iou_t for j in picked):
            picked.append(i)
    assert sel.tolist() == picked


@pytest.mark.parametrize("case", params([c for c in CASES if c.op == "ExtractImagePatches" and c.error is None
                                         and c.dtype == "float32" and c.inputs[0].size]))
def test_patches_match_a_numpy_gather(case):
    """Independent of TF: each patch element is the input at stride * out - pad + rate * k, or 0."""
    x = case.inputs[0]
    (y,) = case.outputs
    ks, st, rt = case.attrs["ksizes"], case.attrs["strides"], case.attrs["rates"]
    same = case.attrs["padding"] == "SAME"
    want = np.zeros_like(y)
    for d in (1, 2):
        eff = (ks[d] - 1) * rt[d] + 1
        out = y.shape[d]
        pad = max(0, (out - 1) * st[d] + eff - x.shape[d]) // 2 if same else 0
        if d == 1:
            rows = [[o * st[1] - pad + k * rt[1] for k in range(ks[1])] for o in range(out)]
        else:
            cols = [[o * st[2] - pad + k * rt[2] for k in range(ks[2])] for o in range(out)]
    c = x.shape[3]
    for i, rr in enumerate(rows):
        for j, cc in enumerate(cols):
            for a, r in enumerate(rr):
                for b, q in enumerate(cc):
                    if 0 <= r < x.shape[1] and 0 <= q < x.shape[2]:
                        want[:, i, j, (a * ks[2] + b) * c:(a * ks[2] + b + 1) * c] = x[:, r, q, :]
    np.testing.assert_array_equal(y, want)


def test_sampler_stream_continues_across_runs_and_never_runs_past_attempts():
    """A seeded node draws the next crop on each run (the stream moves max_attempts blocks a run), and
    a fresh session starts the stream again."""
    size = np.array([50, 70, 3], np.int32)
    boxes = np.array([[[0.1, 0.1, 0.9, 0.9]]], np.float32)
    attrs = dict(T=dtypes.int32, seed=3, seed2=4, min_object_covered=0.1, aspect_ratio_range=[0.75, 1.33],
                 area_range=[0.05, 1.0], max_attempts=100, use_image_if_no_bounding_boxes=False)
    outs = [dtypes.int32, dtypes.int32, dtypes.float32]
    first = [run_op("SampleDistortedBoundingBox", [size, boxes], attrs, outs, times=t) for t in (1, 2, 3)]
    assert len({tuple(np.concatenate([o[0], o[1]]).tolist()) for o in first}) == 3
    again = run_op("SampleDistortedBoundingBox", [size, boxes], attrs, outs, times=1)
    for a, b in zip(first[0], again):
        np.testing.assert_array_equal(a, b)


def test_nms_rejects_bad_sizes_without_crashing():
    boxes = np.zeros([3, 4], np.float32)
    scores = np.zeros([3], np.float32)
    with pytest.raises(_core.StatusError) as e:
        run_op("NonMaxSuppressionV3", [boxes, scores, np.int32(-5), np.float32(0.5), np.float32(0)],
               {"T": dtypes.float32, "T_threshold": dtypes.float32}, [dtypes.int32])
    assert status_code(e.value) == INVALID_ARGUMENT


def test_hostile_values_end_in_a_result_not_a_hang_or_crash():
    """Values TF's kernels spin on or leave undefined: huge or non-finite hues and deltas, NaN and
    huge box coordinates, extreme aspect ratios. metarun returns (these are not TF cases: TF hangs
    or reads out of range on some of them), and pixels no box touches keep their values."""
    f32 = dtypes.float32
    img = np.random.default_rng(0).uniform(0, 1, [1, 4, 5, 3]).astype(np.float32)
    for delta in (np.inf, -np.inf, np.nan, 3e9):
        (out,) = run_op("AdjustHue", [img, np.float32(delta)], {"T": f32})
        assert out.shape == img.shape
    (out,) = run_op("HSVToRGB", [np.array([[1e30, 0.5, 0.5], [np.nan, 1, 1], [-np.inf, 1, 1]], np.float32)],
                    {"T": f32})
    assert out.shape == (3, 3)
    (out,) = run_op("AdjustSaturation", [np.full([1, 2, 2, 3], np.nan, np.float32), np.float32(2)], {"T": f32})
    assert out.shape == (1, 2, 2, 3)
    boxes = np.array([[[np.nan, 0, 1, 1], [0, 0, 1e30, 1e30], [-1e30, -1e30, 0.1, 0.1], [0.5, np.inf, 0.5, -np.inf]]],
                     np.float32)
    (out,) = run_op("DrawBoundingBoxes", [img, boxes], {"T": f32})
    assert out.shape == img.shape
    attrs = dict(T=dtypes.int32, seed=1, seed2=1, min_object_covered=0.0, aspect_ratio_range=[1e30, np.inf],
                 area_range=[1e-30, 1.0], max_attempts=3, use_image_if_no_bounding_boxes=True)
    begin, size, bbox = run_op("SampleDistortedBoundingBox", [np.array([5, 7, 3], np.int32),
                                                              np.zeros([1, 0, 4], np.float32)], attrs,
                               [dtypes.int32, dtypes.int32, dtypes.float32])
    assert begin.tolist() == [0, 0, 0] and size.tolist() == [5, 7, -1]  # no crop fits: the whole image
    scores = np.array([np.nan, 0.5, np.inf, -np.inf], np.float32)
    b = np.array([[0, 0, 1, 1], [np.nan, 0, 1, 1], [0, 0, np.inf, 1], [0, 0, 0.5, 0.5]], np.float32)
    (idx, kept, n) = run_op("NonMaxSuppressionV5", [b, scores, np.int32(4), np.float32(0.5), np.float32(-np.inf),
                                                    np.float32(0.5)], {"T": f32, "pad_to_max_output_size": True},
                            [dtypes.int32, f32, dtypes.int32])
    assert idx.shape == (4,) and 0 <= n <= 4
