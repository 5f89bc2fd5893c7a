"""Session.run semantics against TF 2.21's compat.v1 behaviour (FORMATS.md section 5)."""

import collections
import threading

import numpy as np
import pytest

import metarun as tf
from op_harness import binary, const, placeholder, ref_variable


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield


def _xy():
    x = placeholder(tf.float32, [None, 2], name="x")
    w = const([[1.0, 2.0], [3.0, 4.0]], name="w")
    y = binary("AddV2", x, w, name="y")
    return x, w, y


def test_fetch_structures_rebuild_like_tf():
    x, w, y = _xy()
    Pair = collections.namedtuple("Pair", "a b")
    feed = {x: np.ones((2, 2), np.float32)}
    with tf.Session() as sess:
        expect = np.ones((2, 2), np.float32) + np.array([[1, 2], [3, 4]], np.float32)
        out = sess.run({"y": y, "pair": Pair(y, [w, (y.op,)])}, feed)
        assert isinstance(out, dict) and isinstance(out["pair"], Pair)
        np.testing.assert_array_equal(out["y"], expect)
        assert out["pair"].b[1] == (None,)
        assert sess.run([], feed) == [] and sess.run({}, feed) == {}
        dd = collections.defaultdict(list, {"k": "y:0"})
        res = sess.run(dd, feed)
        assert isinstance(res, collections.defaultdict) and res.default_factory is list
        assert sess.run("y", feed) is None  # an op name fetches the op


def test_fetch_errors():
    _xy()
    with tf.Session() as sess:
        with pytest.raises(TypeError, match="Cannot be None"):
            sess.run(None)
        with pytest.raises(TypeError, match='invalid type "int"'):
            sess.run(5)
        with pytest.raises(ValueError, match="The operation, 'nope', does not exist"):
            sess.run("nope:0")
        with pytest.raises(ValueError, match="refers to an Operation not in the graph"):
            sess.run("nope")
        with pytest.raises(ValueError, match="exists but only has 1 outputs"):
            sess.run("y:5")


def test_feed_key_and_value_errors():
    x, w, y = _xy()
    with tf.Session() as sess:
        with pytest.raises(TypeError, match="refers to an Operation, not a Tensor"):
            sess.run(y, {"x": [[1.0, 2.0]]})
        with pytest.raises(TypeError, match="Cannot interpret feed_dict key"):
            sess.run(y, {"nope:0": 1.0})
        with pytest.raises(ValueError, match=r"Cannot feed value of shape \(1, 3\) for Tensor x:0, "
                                             r"which has shape \(\?, 2\)"):
            sess.run(y, {x: [[1.0, 2.0, 3.0]]})
        with pytest.raises(TypeError, match="cannot be a tf.Tensor"):
            sess.run(y, {x: w})
        # The session is still usable after rejected feeds.
        assert sess.run(y, {x: [[0.0, 0.0]]}).shape == (2, 2)


def test_int_feed_that_does_not_fit_is_a_type_error():
    p = placeholder(tf.int32, [], name="p")
    q = binary("AddV2", p, const(1, tf.int32), name="q")
    with tf.Session() as sess:
        with pytest.raises(TypeError, match="not compatible with Tensor type"):
            sess.run(q, {p: 1 << 40})
        assert sess.run(q, {p: 1.7}) == 2  # float feeds truncate toward zero
        assert isinstance(sess.run(q, {p: 1}), np.int32)


def test_any_tensor_can_be_fed_and_fed_fetches_come_back_unchanged():
    x, w, y = _xy()
    with tf.Session() as sess:
        out = sess.run(y, {x: [[0.0, 0.0]], w: [[10.0, 20.0], [30.0, 40.0]]})
        np.testing.assert_array_equal(out, [[10.0, 20.0], [30.0, 40.0]])
        one = const(1.0, name="one")
        fed = sess.run(one, {one: 3.0})
        assert isinstance(fed, np.ndarray) and fed.shape == () and fed == 3.0


def test_stateful_op_runs_once_per_call_and_uninitialized_read_fails():
    var, assign, read = ref_variable(np.int32(0), tf.int32, name="counter")
    g = tf.get_default_graph()
    inc = g._create_op("AssignAdd", [var, const(1, tf.int32, name="one")], {"T": tf.int32}, name="inc")
    with tf.Session() as sess:
        with pytest.raises(tf.errors.FailedPreconditionError, match="uninitialized value counter"):
            sess.run(read)
        sess.run(assign.outputs[0])
        assert sess.run([inc.outputs[0], inc.outputs[0], "inc:0"]) == [1, 1, 1]
        assert sess.run(read) == 1
    with tf.Session() as other:  # state is per session
        with pytest.raises(tf.errors.FailedPreconditionError):
            other.run(read)


def test_unfed_placeholder_message_and_closed_session():
    x, _, y = _xy()
    sess = tf.Session()
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"You must feed a value for placeholder tensor 'x' with dtype float and shape \[\?,2\]"):
        sess.run(y)
    sess.close()
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.run(y, {x: [[1.0, 1.0]]})


def test_empty_graph_is_an_error():
    with pytest.raises(RuntimeError, match="graph is empty"):
        tf.Session().run([])


def test_concurrent_runs_share_one_session():
    x, w, y = _xy()
    sess = tf.Session()
    bias = np.array([[1, 2], [3, 4]], np.float32)
    failures = []

    def worker(k):
        try:
            for _ in range(200):
                v = np.full((2, 2), k, np.float32)
                np.testing.assert_array_equal(sess.run(y, {x: v}), v + bias)
        except Exception as e:  # noqa: BLE001 -- reported by the main thread
            failures.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures


def test_plans_are_cached_per_signature():
    x, w, y = _xy()
    sess = tf.Session()
    for _ in range(5):
        sess.run(y, {x: [[1.0, 2.0]]})
    sess.run([y, w], {x: [[1.0, 2.0]]})
    assert sess._core_session().num_cached_plans() == 2


def test_eval_and_run_use_the_default_session():
    var, assign, read = ref_variable(np.float32(2.5), name="v")
    sess = tf.InteractiveSession()
    try:
        assign.run()
        assert read.eval() == np.float32(2.5)
    finally:
        sess.close()
    with tf.Session() as s2:
        s2.run(assign)
        assert read.eval() == np.float32(2.5)
    with pytest.raises(ValueError, match="default session"):
        read.eval()


# --- make_callable (TF 2.21: with a feed_list a call is run(fetches, dict(zip(feed_list, args)), **kwargs);
# without one the fetches are resolved when the callable is made) ---

def _abc():
    a = placeholder(tf.float32, [], name="a")
    b = placeholder(tf.float32, [None], name="b")
    c = binary("AddV2", a, b, name="c")
    return a, b, c


def test_make_callable_feeds_by_position_from_tensors_or_names():
    a, b, c = _abc()
    with tf.Session() as sess:
        f = sess.make_callable(c, [a, "b:0"])
        np.testing.assert_array_equal(f(1.0, [1, 2]), np.array([2.0, 3.0], np.float32))
        np.testing.assert_array_equal(f(np.float32(2), np.array([1.0], np.float32)), [3.0])
        assert sess.make_callable(a, (a,))(4.5) == np.float32(4.5)
        Pair = collections.namedtuple("Pair", "p q")
        structure = {"x": [c, (c, c.op)], "y": Pair(a, "c:0")}
        got = sess.make_callable(structure, [a, b])(1.0, [2.0])
        want = sess.run(structure, {a: 1.0, b: [2.0]})
        assert isinstance(got["y"], Pair) and got["x"][1][1] is None
        np.testing.assert_array_equal(got["x"][0], want["x"][0])
        assert got["y"].p == want["y"].p
        # A fetched feed is the value fed, as in run; of two entries naming one tensor the last wins.
        fed, out = sess.make_callable([a, c], [a, b])(1.0, [2.0])
        assert fed == np.float32(1.0) and out.tolist() == [3.0]
        assert sess.make_callable(c, [a, "a:0", b])(1.0, 2.0, [2.0]).tolist() == [4.0]


def test_make_callable_argument_count_as_tf():
    """TF zips feed_list with the arguments: extra ones are ignored, a missing one is an unfed
    placeholder when the run needs it."""
    a, b, c = _abc()
    with tf.Session() as sess:
        f = sess.make_callable(c, [a, b])
        assert f(1.0, [2.0], 3.0).tolist() == [3.0]
        with pytest.raises(tf.errors.InvalidArgumentError):
            f(1.0)
        assert sess.make_callable(a, [a, b])(5.0) == np.float32(5.0)
        assert f(1.0, [1.0]).tolist() == [2.0]  # the session still runs


def test_make_callable_keywords_and_options():
    a, b, c = _abc()
    with tf.Session() as sess:
        f = sess.make_callable(c, [a, b])
        assert f(1.0, [2.0], options=tf.RunOptions(), run_metadata=tf.RunMetadata()).tolist() == [3.0]
        with pytest.raises(TypeError):
            f(1.0, [2.0], foo=1)
        with pytest.raises(TypeError):
            f(1.0, b=[2.0])
        g = sess.make_callable(c, [a, b], accept_options=True)
        assert g(1.0, [2.0], options=tf.RunOptions(), run_metadata=tf.RunMetadata()).tolist() == [3.0]
        k = const(2.0, name="k")
        assert sess.make_callable(k)() == np.float32(2.0)
        assert sess.make_callable(k, [])() == np.float32(2.0)
        with pytest.raises(TypeError):
            sess.make_callable(k)(1.0)
        with pytest.raises(TypeError):
            sess.make_callable(k)(options=None)
        opts = sess.make_callable(k, accept_options=True)
        assert opts(options=tf.RunOptions(), run_metadata=tf.RunMetadata()) == np.float32(2.0)
        assert opts(None, None) == np.float32(2.0)
        assert sess.make_callable(k.op)() is None


def test_make_callable_errors_where_tf_raises_them():
    a, b, c = _abc()
    with tf.Session() as sess:
        with pytest.raises(TypeError, match="`feed_list` must be a list or tuple"):
            sess.make_callable(c, a)
        with pytest.raises(TypeError, match="`feed_list` must be a list or tuple"):
            sess.make_callable(c, iter([a, b]))
        # Without a feed_list the fetches are resolved at once ...
        with pytest.raises(ValueError, match="cannot be interpreted as a Tensor"):
            sess.make_callable("zz:0")
        with pytest.raises(TypeError, match="Cannot be None"):
            sess.make_callable(None)
        # ... with one, bad feeds and fetches raise when the callable runs, with run's errors.
        bad_feed = sess.make_callable(c, ["zz:0"])
        with pytest.raises(TypeError, match="Cannot interpret feed_dict key as Tensor"):
            bad_feed(1.0)
        bad_fetch = sess.make_callable("zz:0", [a])
        with pytest.raises(ValueError, match="cannot be interpreted as a Tensor"):
            bad_fetch(1.0)
        f = sess.make_callable(c, [a, b])
        with pytest.raises(ValueError, match="Cannot feed value of shape"):
            f([1.0], [1.0])
        with pytest.raises(TypeError, match="The value of a feed cannot be a tf.Tensor"):
            f(a, [1.0])
        assert f(1.0, [1.0]).tolist() == [2.0]
        k = sess.make_callable(c.op, [a, b])
    for call in (lambda: f(1.0, [1.0]), lambda: k(1.0, [1.0])):
        with pytest.raises(RuntimeError, match="closed Session"):
            call()
    with pytest.raises(RuntimeError, match="closed Session"):
        sess.make_callable(c.op)()


def test_make_callable_resolves_once_and_does_not_go_through_run(monkeypatch):
    """The callable feeds a plan prepared when it was made: a call with one argument per feed
    builds no feed_dict and calls no run()."""
    a, b, c = _abc()
    with tf.Session() as sess:
        f = sess.make_callable(c, [a, b])
        g = sess.make_callable([c, {"a": a}], [a, b], accept_options=True)

        def no_run(*args, **kwargs):
            raise AssertionError("run() called")
        monkeypatch.setattr(sess, "run", no_run)
        for _ in range(3):
            assert f(1.0, [2.0]).tolist() == [3.0]
            out = g(1.0, [2.0], options=tf.RunOptions())
            assert out[0].tolist() == [3.0] and out[1]["a"] == np.float32(1.0)


# --- Tensor.eval, Operation.run, Variable.eval and load (errors as TF 2.21's) ---

def test_eval_and_run_use_the_given_or_default_session():
    import os
    seed = os.path.join(os.path.dirname(__file__), "fixtures", "cases", "seed_ex1_ref")
    saver = tf.train.import_meta_graph(os.path.join(seed, "model_ex1.meta"))
    g = tf.get_default_graph()
    v4 = g.get_tensor_by_name("v4:0")
    (vx,) = tf.global_variables()
    feed = {"v1:0": 12.0, "v2:0": 3.3}
    with pytest.raises(ValueError, match="Cannot evaluate tensor using `eval\\(\\)`: No default session"):
        v4.eval(feed)
    with pytest.raises(ValueError, match="Cannot execute operation using `run\\(\\)`: No default session"):
        vx.initializer.run()
    with pytest.raises(ValueError, match="Cannot evaluate tensor using `eval\\(\\)`: No default session"):
        vx.eval()
    with pytest.raises(ValueError, match="Either session argument should be provided"):
        vx.load(1.0)
    sess = tf.Session()
    saver.restore(sess, os.path.join(seed, "model_ex1"))
    assert v4.eval(feed, session=sess) == np.float32(59.6)
    with sess.as_default():
        assert v4.eval(feed) == np.float32(59.6)
        vx.load(2.0)
        assert vx.eval() == np.float32(2.0)
        vx.initializer.run()
        assert vx.eval(session=sess) != np.float32(2.0)
    other = tf.Session(graph=tf.Graph())
    with pytest.raises(ValueError, match="Cannot use the given session to evaluate tensor"):
        v4.eval(feed, session=other)
    with other.as_default():
        with pytest.raises(ValueError, match="Cannot use the default session to evaluate tensor"):
            v4.eval(feed)
        with pytest.raises(ValueError, match="Cannot use the default session to execute operation"):
            vx.initializer.run()
    saver.restore(sess, os.path.join(seed, "model_ex1"))  # the sessions are still usable
    assert v4.eval(feed, session=sess) == np.float32(59.6)


def test_graph_modules_know_nothing_of_sessions():
    """DESIGN: a Graph knows nothing of Sessions; session.py installs how eval/run reach one."""
    import ast
    import metarun.framework.graph as graph_mod
    import metarun.framework.variables as variables_mod
    for module in (graph_mod, variables_mod):
        with open(module.__file__, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        imported = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                imported.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                imported.update("%s.%s" % (node.module, a.name) for a in node.names)
                imported.add(node.module)
        assert not any("session" in name for name in imported), (module.__name__, sorted(imported))
