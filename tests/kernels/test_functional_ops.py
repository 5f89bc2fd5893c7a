"""Graph functions and control flow v2 (PartitionedCall, While, If, Case and their stateless forms,
direct calls of library functions) against TensorFlow: functional.npz holds graphs TF built and
what TF's Session returned for each step (gen_functional.py). Also the library's own contract:
export, polymorphic instantiation, unknown functions, cancellation."""
import json

import numpy as np
import pytest

import metarun as tf
from metarun import _core
from metarun.framework import protos

from op_harness import kernel_fixture, load_npz

FUNCTIONAL_OPS = ("PartitionedCall", "StatefulPartitionedCall", "While", "StatelessWhile", "If", "StatelessIf",
                  "Case", "StatelessCase")
COVERAGE = {op: set() for op in FUNCTIONAL_OPS}
# Shape queries on the variant and resource tensors control flow v2 passes around.
COVERAGE.update({op: {"variant", "resource"} for op in ("Shape", "ShapeN", "Size", "Rank")})

FIXTURE = load_npz(kernel_fixture("functional.npz"))
CASES = sorted(k[:-len("/graph")] for k in FIXTURE if k.endswith("/graph"))
# Cases whose values run through tanh/sigmoid, where metarun's kernels and Eigen's differ in the
# last bit: relative tolerance; every other case is compared bit for bit.
RTOL = {"keras_rnn_grads": 1e-5}


def _graph_def(case):
    return protos.GraphDef.FromString(FIXTURE[case + "/graph"].tobytes())


@pytest.mark.parametrize("case", CASES)
def test_case_matches_tf(case):
    steps = json.loads(str(FIXTURE[case + "/steps"]))
    with tf.Graph().as_default():
        tf.import_graph_def(_graph_def(case), name="")
        with tf.Session() as sess:
            for i, step in enumerate(steps):
                feeds = {k: FIXTURE[v] for k, v in step["feeds"].items()}
                fetches = step["fetches"] + step["targets"]
                if "error" in step:
                    with pytest.raises(getattr(tf.errors, step["error"])):
                        sess.run(fetches, feeds)
                    continue
                got = sess.run(fetches, feeds)[:len(step["fetches"])]
                for name, value, key in zip(step["fetches"], got, step["expect"]):
                    want = FIXTURE[key]
                    assert np.asarray(value).dtype == want.dtype, (case, i, name)
                    if case in RTOL:
                        np.testing.assert_allclose(value, want, rtol=RTOL[case], atol=1e-6,
                                                   err_msg="%s step %d %s" % (case, i, name))
                    else:
                        np.testing.assert_array_equal(value, want, err_msg="%s step %d %s" % (case, i, name))


def test_ops_used_by_the_fixtures():
    used = set()
    for case in CASES:
        gd = _graph_def(case)
        used |= {n.op for n in gd.node} | {n.op for f in gd.library.function for n in f.node_def}
    assert set(FUNCTIONAL_OPS) <= used


def test_library_survives_export_and_reimport():
    gd = _graph_def("nested_functions")
    with tf.Graph().as_default() as g:
        tf.import_graph_def(gd, name="")
        exported = g.as_graph_def()
    assert sorted(f.signature.name for f in exported.library.function) == \
        sorted(f.signature.name for f in gd.library.function)
    with tf.Graph().as_default():
        tf.import_graph_def(exported, name="")
        with tf.Session() as sess:
            sess.run("init")
            got = sess.run("y32:0", {"x:0": np.array([1.0, 2.0, -3.0], np.float32)})
    want = FIXTURE["nested_functions/s1/out0"]
    np.testing.assert_array_equal(got, want)


def test_polymorphic_function_instantiated_per_dtype():
    with tf.Graph().as_default() as g:
        tf.import_graph_def(_graph_def("nested_functions"), name="")
        with tf.Session() as sess:
            sess.run("init")
            sess.run(["y32:0", "y64:0"], {"x:0": [1.0], "xd:0": [1.0]})
        names = [n for n in g._library._instances]
    inner = [n for n in names if "inner" in n]
    assert any("float32" in n for n in inner) or len(inner) >= 2, names


def test_unknown_function_is_not_found():
    gd = protos.GraphDef()
    x = gd.node.add(name="x", op="Const")
    x.attr["dtype"].type = tf.float32.as_datatype_enum
    x.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(np.float32(1.0)))
    call = gd.node.add(name="call", op="PartitionedCall", input=["x"])
    call.attr["f"].func.name = "no_such_function"
    call.attr["Tin"].list.type.append(tf.float32.as_datatype_enum)
    call.attr["Tout"].list.type.append(tf.float32.as_datatype_enum)
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            with pytest.raises(tf.errors.NotFoundError, match="no_such_function"):
                sess.run("call:0")


def test_error_inside_loop_leaves_session_usable():
    with tf.Graph().as_default():
        tf.import_graph_def(_graph_def("function_errors"), name="")
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InvalidArgumentError, match="overflow"):
                sess.run("while:3", {"n:0": 50})
            assert sess.run("while:3", {"n:0": 2}) == 100.0  # outputs: counter, max iterations, i, a


def test_registered():
    assert set(COVERAGE) <= set(_core.registered_kernels())


def test_ctrl_c_stops_an_endless_v2_loop_and_the_session_survives():
    import signal
    import time

    def interrupt(signum, frame):
        raise KeyboardInterrupt()

    with tf.Graph().as_default():
        tf.import_graph_def(_graph_def("while_resource"), name="")
        with tf.Session() as sess:
            fetch = "while_1:2"  # the stateless loop's running sum, a nested loop per iteration
            old = signal.signal(signal.SIGALRM, interrupt)
            signal.setitimer(signal.ITIMER_REAL, 0.3)
            start = time.monotonic()
            try:
                with pytest.raises(KeyboardInterrupt):
                    sess.run(fetch, {"n:0": np.int32(2**31 - 1)})
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, old)
            assert time.monotonic() - start < 1.3
            steps = json.loads(str(FIXTURE["while_resource/steps"]))
            want = [s for s in steps if s["feeds"] and s["fetches"][0].startswith("while_1")][-1]
            got = sess.run(want["fetches"], {k: FIXTURE[v] for k, v in want["feeds"].items()})
            for value, key in zip(got, want["expect"]):
                np.testing.assert_array_equal(value, FIXTURE[key])


def test_gradients_through_imported_calls_differentiate_the_function():
    """tf.gradients over an imported tf.function call (PartitionedCall with no gradient of its
    own) builds SymbolicGradient, as TF does; y = 3 * (2x - x^2) so dy/dx = 3 * (2 - 2x)."""
    with tf.Graph().as_default() as g:
        tf.import_graph_def(_graph_def("nested_functions"), name="")
        x = g.get_tensor_by_name("x:0")
        y = g.get_tensor_by_name("y32:0")
        dx, = tf.gradients(tf.reduce_sum(y), [x])
        assert any(op.type == "SymbolicGradient" for op in g.get_operations())
        with tf.Session() as sess:
            sess.run("init")
            xv = np.array([1.0, 2.0, -3.0, 0.25], np.float32)
            np.testing.assert_allclose(sess.run(dx, {x: xv}), 3 * (2 - 2 * xv), rtol=1e-6)


def test_gradients_through_defun_direct_calls():
    """h(a) = 2(a^2 + 1) + 0 = 2a^2 + 2 through nested direct calls: dh/da = 4a."""
    with tf.Graph().as_default() as g:
        tf.import_graph_def(_graph_def("defun_direct_calls"), name="")
        x = g.get_tensor_by_name("x:0")
        dx, = tf.gradients(tf.reduce_sum(g.get_tensor_by_name("y:0")), [x])
        with tf.Session() as sess:
            xv = np.array([1.0, -2.0, 0.25], np.float32)
            np.testing.assert_allclose(sess.run(dx, {x: xv}), 4 * xv, rtol=1e-6)


def _check_metarun_gradients_against_tfs(case, ys, rtol):
    """Imports `case` (a forward graph in which TF also built gradients), builds metarun's own
    gradients of sum(ys[0]^2) + sum(ys[1]) for x and the variable w, and compares them with the
    values TF's gradients gave at each step."""
    steps = json.loads(str(FIXTURE[case + "/steps"]))
    with tf.Graph().as_default() as g:
        tf.import_graph_def(_graph_def(case), name="")
        x = g.get_tensor_by_name("x:0")
        y_sq, y_sum = (g.get_tensor_by_name(name) for name in ys)
        loss = tf.reduce_sum(y_sq * y_sq) + tf.reduce_sum(y_sum)
        dx, dw = tf.gradients(loss, [x, g.get_tensor_by_name("w:0")])
        with tf.Session() as sess:
            sess.run("init")
            for step in steps[1:]:
                feeds = {k: FIXTURE[v] for k, v in step["feeds"].items()}
                got = sess.run([loss, dx, dw], feeds)
                for value, key in zip(got, step["expect"]):
                    np.testing.assert_allclose(value, FIXTURE[key], rtol=rtol, atol=1e-6)


def test_gradients_through_imported_v2_conditionals_match_tf():
    """If/StatelessIf/Case (gradient ops built by metarun), a resource variable read in a branch."""
    _check_metarun_gradients_against_tfs("cond_grads", ["y_if:0", "y_case:0"], rtol=1e-6)


def test_gradients_through_imported_v2_while_loops_match_tf():
    """While loops: a resource variable in the body, a nested loop, a fed trip count incl. zero."""
    _check_metarun_gradients_against_tfs("while_grads", ["y_w:0", "y_n:0"], rtol=1e-5)


def test_fine_tuning_an_imported_v2_dynamic_rnn_with_a_new_optimizer_matches_tf():
    """The v2_dynamic_rnn case (LSTM in a StatelessWhile over TensorLists, written by TF): a
    GradientDescentOptimizer built by metarun on the imported graph (gradients through the While
    and the TensorList ops) takes the same 3 steps TF's own train op took."""
    import os
    case = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fixtures", "cases",
                        "v2_dynamic_rnn")
    with open(os.path.join(case, "case.json")) as f:
        spec = json.load(f)
    arrays = load_npz(os.path.join(case, "arrays.npz"))
    train_steps = [s for s in spec["steps"] if s.get("run", [None])[0] == "train"]
    weights_step = next(s for s in spec["steps"] if "run" in s and s["run"][0].startswith("rnn/lstm_cell/kernel"))
    with tf.Graph().as_default() as g:
        saver = tf.train.import_meta_graph(os.path.join(case, "model.meta"))
        loss = g.get_tensor_by_name("loss:0")
        loops = sum(op.type == "StatelessWhile" for op in g.get_operations())
        train = tf.train.GradientDescentOptimizer(0.3).minimize(loss, name="metarun_train")
        # metarun's gradient: an accumulating loop and a backward loop
        assert sum(op.type == "StatelessWhile" for op in g.get_operations()) == loops + 2
        with tf.Session() as sess:
            saver.restore(sess, os.path.join(case, "model"))
            for step in train_steps:
                feeds = {k: arrays[v] for k, v in step["feeds"].items()}
                _, got = sess.run([train, loss], feeds)
                np.testing.assert_allclose(got, arrays[step["expect"][1]], rtol=1e-5, atol=1e-6)
            feeds = {k: arrays[v] for k, v in weights_step["feeds"].items()}
            got = sess.run(weights_step["run"], feeds)
            for value, key in zip(got, weights_step["expect"]):
                np.testing.assert_allclose(value, arrays[key], rtol=1e-5, atol=1e-6)


def test_fetching_a_variant_is_tfs_internal_error_not_a_crash():
    from metarun.framework.op_builder import apply_op
    with tf.Graph().as_default():
        lst = apply_op("EmptyTensorList", element_shape=tf.constant(-1), max_num_elements=tf.constant(-1),
                       element_dtype=tf.float32)
        with tf.Session() as sess:
            with pytest.raises(tf.errors.InternalError, match="type 21 not convertible"):
                sess.run(lst)
            assert sess.run(tf.constant(2.0)) == 2.0


def test_gradients_through_tf_keras_recurrent_layers_match_tf():
    """tf_keras GRU -> LSTM -> Dense in a v2 graph (loops whose outputs are TensorLists): metarun's
    tf.gradients for every variable against TF's."""
    steps = json.loads(str(FIXTURE["keras_rnn_grads/steps"]))
    names = [str(n) for n in FIXTURE["keras_rnn_grads/vars"]]
    with tf.Graph().as_default() as g:
        tf.import_graph_def(_graph_def("keras_rnn_grads"), name="")
        loss = g.get_tensor_by_name("loss:0")
        grads = tf.gradients(loss, [g.get_tensor_by_name(n + ":0") for n in names])
        assert all(d is not None for d in grads)
        with tf.Session() as sess:
            sess.run("init")
            for step in steps[1:]:
                feeds = {k: FIXTURE[v] for k, v in step["feeds"].items()}
                got = sess.run([loss] + grads, feeds)
                for value, key in zip(got, step["expect"]):
                    np.testing.assert_allclose(value, FIXTURE[key], rtol=1e-5, atol=1e-6)


def test_shape_queries_on_lists_and_handles():
    """Shape, ShapeN, Size and Rank read only the shape, whatever the dtype (TF's kernels take any):
    a TensorList and a resource handle are scalars."""
    from metarun.framework.op_builder import apply_op
    with tf.Graph().as_default():
        lst = apply_op("EmptyTensorList", element_shape=tf.constant(-1), max_num_elements=tf.constant(-1),
                       element_dtype=tf.float32)
        lists = apply_op("TensorListSplit", tensor=tf.zeros([4, 2]), element_shape=tf.constant([-1, 2]),
                         lengths=tf.constant([1, 3], tf.int64))
        handle = tf.get_variable("v", [3], use_resource=True).handle
        queries = []
        for t in (lst, lists, handle):
            queries += [tf.shape(t), tf.size(t), tf.rank(t), apply_op("ShapeN", input=[t, t])[1]]
        with tf.Session() as sess:
            got = sess.run(queries)
    want = [[], 1, 0, []] * 3
    for value, w in zip(got, want):
        np.testing.assert_array_equal(value, w)
