"""Candidate samplers and ComputeAccidentalHits (candidate_sampler_ops.cpp) against TensorFlow.

Expected values are TF's (tests/fixtures/kernels/candidate_samplers.npz, written by
gen_candidate_samplers.py): each case is one op with fixed seed/seed2 run three times in one
Session, so the samples (bit for bit), the expected counts, how far each run moves the stream
and the learned unigram counts all have to match. Error cases hold the class and message TF
raised; the session must run again afterwards.
"""
import json
import os

import numpy as np
import pytest

import metarun as tf
from metarun import errors
from metarun.framework.op_builder import apply_op
from op_harness import kernel_fixture, load_npz

COVERAGE = {op: [] for op in ["UniformCandidateSampler", "LogUniformCandidateSampler",
                              "LearnedUnigramCandidateSampler", "FixedUnigramCandidateSampler",
                              "AllCandidateSampler", "ComputeAccidentalHits"]}

FIXTURE = kernel_fixture("candidate_samplers.npz")
RUNS = 3


def _load_cases():
    data = load_npz(FIXTURE)
    cases = []
    for key in sorted({k.split("/")[0] for k in data.files}):
        meta = json.loads(str(data[key + "/meta"]))
        meta["true_classes"] = data[key + "/true_classes"]
        meta["sampled"] = data.get(key + "/sampled")
        meta["runs"] = [[data["%s/run%d/out%d" % (key, r, k)] for k in range(3)]
                        for r in range(RUNS)] if "error" not in meta else None
        a = meta["attrs"]
        meta["id"] = "%s-%s-%s" % (key, meta["op"], "-".join("%s=%s" % (k, a[k]) for k in sorted(a)
                                                             if k not in ("unigrams", "seed", "seed2")))
        cases.append(meta)
    return cases


CASES = _load_cases()
OK_CASES = [c for c in CASES if "error" not in c]
ERROR_CASES = [c for c in CASES if "error" in c]


def _graph(case):
    attrs = dict(case["attrs"])
    if "vocab_file" in attrs:
        attrs["vocab_file"] = kernel_fixture(attrs["vocab_file"])
    classes = tf.placeholder(tf.int64, name="true_classes")
    feeds = {classes: case["true_classes"]}
    if case["op"] == "ComputeAccidentalHits":
        sampled = tf.placeholder(tf.int64, name="sampled")
        feeds[sampled] = case["sampled"]
        return apply_op(case["op"], true_classes=classes, sampled_candidates=sampled, **attrs), feeds
    return apply_op(case["op"], true_classes=classes, **attrs), feeds


@pytest.mark.parametrize("case", OK_CASES, ids=[c["id"] for c in OK_CASES])
def test_matches_tensorflow_run_after_run(case):
    with tf.Graph().as_default():
        outs, feeds = _graph(case)
        with tf.Session() as sess:
            for r, want in enumerate(case["runs"]):
                got = sess.run(list(outs), feeds)
                for k, (g, w) in enumerate(zip(got, want)):
                    assert g.dtype == w.dtype and g.shape == w.shape, (r, k, g, w)
                    # Expected counts are float formulas on the same float inputs: bit-identical too.
                    np.testing.assert_array_equal(g, w, err_msg="run %d output %d" % (r, k))


def test_unique_samples_are_distinct_and_in_range():
    # An independent check of the fixtures' premise, on a case TF settled.
    for case in OK_CASES:
        a = case["attrs"]
        if a.get("unique") and case["op"] != "AllCandidateSampler":
            for run in case["runs"]:
                assert len(set(run[0].tolist())) == a["num_sampled"]
                assert run[0].min() >= 0 and run[0].max() < a["range_max"]


@pytest.mark.parametrize("case", ERROR_CASES, ids=[c["id"] + "-" + c["error"] for c in ERROR_CASES])
def test_errors_as_tensorflow(case):
    cls = getattr(errors, case["error"])
    with tf.Graph().as_default():
        outs, feeds = _graph(case)
        probe = tf.constant(3.0) * 2
        with tf.Session() as sess:
            with pytest.raises(cls) as info:
                sess.run(list(outs), feeds)
            want = case["message"]
            if "vocab" in want:
                want = os.path.basename(want)
            assert want in str(info.value)
            assert sess.run(probe) == 6.0


def test_unseeded_sessions_draw_fresh_streams():
    with tf.Graph().as_default():
        out = apply_op("UniformCandidateSampler", true_classes=tf.constant([[0]], tf.int64), num_true=1,
                       num_sampled=20, unique=False, range_max=1 << 40, seed=0, seed2=0)
        draws = []
        for _ in range(2):
            with tf.Session() as sess:
                draws.append(sess.run(out[0]))
        assert not np.array_equal(draws[0], draws[1])


# -- SparseToDense, which remove_accidental_hits builds ---------------------------------------

STD_TYPES = ["float32", "float64", "float16", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "uint16",
             "uint32", "uint64", "bool", "complex64", "complex128", "string"]
COVERAGE["SparseToDense"] = set(STD_TYPES)


def _load_std():
    data = load_npz(kernel_fixture("sparse_to_dense.npz"))
    cases = []
    for key in sorted({k.split("/")[0] for k in data.files}):
        meta = json.loads(str(data[key + "/meta"]))
        meta["inputs"] = [data["%s/in%d" % (key, k)] for k in range(4)]
        meta["out"] = data.get(key + "/out")
        meta["id"] = "%s-%s-%s" % (key, meta["dtype"], meta["index_dtype"])
        cases.append(meta)
    return cases


STD_CASES = _load_std()


def _std_graph(case):
    idx, dt = tf.as_dtype(case["index_dtype"]), tf.as_dtype(case["dtype"])
    ph = [tf.placeholder(t) for t in (idx, idx, dt, dt)]
    vals = [v.view(tf.bfloat16.as_numpy_dtype) if case["dtype"] == "bfloat16" and k >= 2 else v
            for k, v in enumerate(case["inputs"])]
    if "error" in case:
        vals = [np.asarray(v).astype(t.as_numpy_dtype) for v, t in zip(vals, (idx, idx, dt, dt))]
    out = apply_op("SparseToDense", sparse_indices=ph[0], output_shape=ph[1], sparse_values=ph[2],
                   default_value=ph[3], validate_indices=case["validate"])
    return out, dict(zip(ph, vals))


@pytest.mark.parametrize("case", STD_CASES, ids=[c["id"] for c in STD_CASES])
def test_sparse_to_dense_as_tensorflow(case):
    with tf.Graph().as_default():
        out, feeds = _std_graph(case)
        probe = tf.constant(3.0) * 2
        with tf.Session() as sess:
            if "error" in case:
                with pytest.raises(getattr(errors, case["error"])) as info:
                    sess.run(out, feeds)
                assert case["message"] in str(info.value)
                assert sess.run(probe) == 6.0
                return
            got = sess.run(out, feeds)
            if case["dtype"] == "bfloat16":
                got = got.view(np.uint16)
            assert got.shape == case["out"].shape
            np.testing.assert_array_equal(got, case["out"])
