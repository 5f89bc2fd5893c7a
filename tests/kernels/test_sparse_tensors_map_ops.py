"""SparseTensorsMap ops (sparse_tensors_map_ops.cpp): the run sequences TF ran on graphs with
AddSparseToTensorsMap, AddManySparseToTensorsMap and TakeManySparseFromTensorsMap
(fixtures/kernels/sparse_tensors_map.npz, written by gen_sparse_tensors_map.py: handles, stacked
SparseTensors of every registered dtype, errors with class and message, maps shared by shared_name
and container, one map per session) replayed in metarun Sessions; the ops' static shapes as TF's
shape functions give them; and a hostile batch size refused before it is stored."""
import json
import re

import numpy as np
import pytest

import metarun as tf
from metarun.ops.sparse_tensors_map_ops import (_add_many_sparse_to_tensors_map, _add_sparse_to_tensors_map,
                                                _take_many_sparse_from_tensors_map)
from op_harness import kernel_fixture, load_npz
from step_replay import assert_same, fixture_graph, run_step

_TYPES = ["float32", "float64", "float16", "bfloat16", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
          "uint64", "complex64", "complex128", "bool", "string", "resource", "variant"]
COVERAGE = {
    "AddSparseToTensorsMap": [],  # not dtype-specific: it keeps its input tensors
    "AddManySparseToTensorsMap": _TYPES,
    "TakeManySparseFromTensorsMap": _TYPES,
}

DATA = load_npz(kernel_fixture("sparse_tensors_map.npz"))
CASES = sorted(k[:-len("/graph")] for k in DATA.files if k.endswith("/graph"))


def _unnumbered(message):
    """A message without the process-wide number TF and metarun put in a private map's name."""
    return re.sub(r"map: _\d+_", "map: _N_", message)


def _run_step(sess, g, step, where):
    run_step(sess, g, step, where, DATA, _unnumbered)


@pytest.mark.parametrize("case", CASES)
def test_replays_tf_steps(case):
    g = fixture_graph(DATA, case)
    steps = json.loads(str(DATA[case + "/steps"]))
    sessions = {}
    try:
        for i, step in enumerate(steps):
            if step["session"] not in sessions:
                sessions[step["session"]] = tf.Session(graph=g)
            _run_step(sessions[step["session"]], g, step, "%s step %d" % (case, i))
    finally:
        for sess in sessions.values():
            sess.close()


@pytest.mark.parametrize("row", json.loads(str(DATA["static_shapes"])), ids=lambda r: r["op"])
def test_static_shapes_as_tf(row):
    from metarun.framework.op_builder import apply_op
    with tf.Graph().as_default():
        if row["op"] == "TakeManySparseFromTensorsMap":
            kwargs = {"sparse_handles": tf.placeholder(tf.int64, row["inputs"][0]), "dtype": tf.float32}
        else:
            kwargs = {"sparse_indices": tf.placeholder(tf.int64, row["inputs"][0]),
                      "sparse_values": tf.placeholder(tf.float32, row["inputs"][1]),
                      "sparse_shape": tf.placeholder(tf.int64, row["inputs"][2])}
        if "error" in row:
            with pytest.raises(ValueError) as info:
                apply_op(row["op"], **kwargs)
            assert str(info.value).startswith(row["error"] + " for '{{node " + row["op"]), str(info.value)
            return
        out = apply_op(row["op"], **kwargs)
        out = out if isinstance(out, (list, tuple)) else [out]
        assert [t.shape.as_list() if t.shape.ndims is not None else None for t in out] == row["outputs"]


def test_take_helper_sets_the_rank_and_colocates():
    # TF's _take_many_sparse_from_tensors_map: the Add op's map by name, its dtype, the given rank.
    with tf.Graph().as_default():
        st = tf.SparseTensor([[0, 1]], tf.constant([2], tf.int16), [3, 4])
        many = _add_many_sparse_to_tensors_map(st, name="store")
        out = _take_many_sparse_from_tensors_map(many.op, many, rank=2)
        assert out.indices.shape.as_list() == [None, 2] and out.dense_shape.shape.as_list() == [2]
        assert out.values.dtype == tf.int16
        take = out.indices.op
        assert take.get_attr("shared_name") in (b"store", "store")
        assert take.colocation_groups() == [b"loc:@store"]
        shared = _add_sparse_to_tensors_map(st, shared_name="m", container="c")
        assert _take_many_sparse_from_tensors_map(shared.op, [shared]).indices.op.get_attr("shared_name") in (b"m", "m")
        with pytest.raises(TypeError):
            _take_many_sparse_from_tensors_map(st.indices.op, many)
        with tf.Session() as sess:
            got, want = sess.run([out, st])
        # Taking every row of a batch back gives the batch again.
        for a, b in zip(got, want):
            assert_same(a, b, "round trip")


def test_a_huge_batch_is_refused_before_anything_is_stored():
    # TF would allocate 2**40 handles and as many empty SparseTensors; metarun reports TF's OOM error.
    with tf.Graph().as_default():
        i = tf.placeholder(tf.int64, None)
        s = tf.placeholder(tf.int64, None)
        many = tf.raw_ops.AddManySparseToTensorsMap(sparse_indices=i, sparse_values=tf.zeros([0]), sparse_shape=s)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.ResourceExhaustedError):
                sess.run(many, {i: np.zeros([0, 2], np.int64), s: [2**40, 2**22]})
            np.testing.assert_array_equal(sess.run(many, {i: np.zeros([0, 2], np.int64), s: [2, 3]}), [0, 1])


def test_the_map_keeps_what_was_fed_not_the_callers_array():
    # The stored tensors are the run's values: the fed arrays changed afterwards change nothing.
    with tf.Graph().as_default():
        i = tf.placeholder(tf.int64, None)
        v = tf.placeholder(tf.float32, None)
        h = tf.placeholder(tf.int64, [None])
        add = tf.raw_ops.AddSparseToTensorsMap(sparse_indices=i, sparse_values=v, sparse_shape=[4], name="add")
        take = tf.raw_ops.TakeManySparseFromTensorsMap(sparse_handles=h, dtype=tf.float32, shared_name="add")
        ind, vals = np.array([[1], [3]], np.int64), np.array([2.5, -1], np.float32)
        want_ind, want_vals = ind.copy(), vals.copy()
        with tf.Session() as sess:
            handle = sess.run(add, {i: ind, v: vals})
            ind[:] = 0
            vals[:] = 7
            got = sess.run(take, {h: [handle]})
        np.testing.assert_array_equal(got[0], np.concatenate([[[0]] * 2, want_ind], axis=1))
        np.testing.assert_array_equal(got[1], want_vals)
