"""Tracing Python functions into the graph's function library (what tf.data's map/filter and
function calls build on): arguments, captured outer tensors (also through nested functions),
results that are arguments, side effects kept as control results, and the library exported with
the graph. Expected values are computed with numpy."""
import numpy as np
import pytest

import metarun as tf
from metarun.framework import function_library as fl
from metarun.framework import op_builder


def _call(traced, args):
    return op_builder.apply_op("PartitionedCall", args=list(args) + traced.captures,
                               Tout=traced.output_dtypes, f=traced)


def test_arguments_results_and_captures():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [None], name="x")
        scale = tf.constant(3.0, name="scale")
        traced = fl.trace(lambda a, b: (a * scale + b, a), [(tf.float32, [None]), (tf.float32, [])], name="f")
        assert traced.captures == [scale]
        assert traced.output_dtypes == [tf.float32, tf.float32]
        out = _call(traced, [x, tf.constant(10.0)])
        with tf.Session() as sess:
            got = sess.run(out, {x: [1.0, -2.0]})
        fdef = g.as_graph_def().library.function[0]
    np.testing.assert_array_equal(got[0], np.array([1.0, -2.0], np.float32) * 3 + 10)
    np.testing.assert_array_equal(got[1], [1.0, -2.0])
    assert [a.name for a in fdef.signature.input_arg] == ["args_0", "args_1", "scale"]
    # A result that is an argument goes through an Identity.
    assert any(n.op == "Identity" for n in fdef.node_def)


def test_nested_functions_capture_through_the_enclosing_one():
    with tf.Graph().as_default() as g:
        offset = tf.constant(np.array([1, 2], np.int64), name="offset")

        def outer(a):
            inner = fl.trace(lambda c: c + offset, [(tf.int64, [2])], name="inner")
            return _call(inner, [a * 2])[0]

        traced = fl.trace(outer, [(tf.int64, [2])], name="outer")
        assert traced.captures == [offset]
        out = _call(traced, [tf.constant(np.array([5, 7], np.int64))])
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run(out[0]), [11, 16])
        assert len(g.as_graph_def().library.function) == 2


def test_side_effects_are_control_results():
    with tf.Graph().as_default():
        v = tf.get_variable("v", initializer=0, use_resource=True)

        def bump(a):
            tf.assign_add(v, a)
            return a + 1

        traced = fl.trace(bump, [(tf.int32, [])], name="bump")
        fdef = tf.get_default_graph().as_graph_def().library.function[0]
        assert list(fdef.signature.control_output) and fdef.signature.is_stateful
        out = _call(traced, [tf.constant(5)])
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            assert sess.run(out[0]) == 6
            assert sess.run(out[0]) == 6
            assert sess.run(v) == 10


def test_library_round_trips_through_import():
    with tf.Graph().as_default() as g:
        traced = fl.trace(lambda a: a * a, [(tf.float64, [None])], name="sq")
        _call(traced, [tf.constant([1.5, -2.0], tf.float64)])
        gd = g.as_graph_def()
    with tf.Graph().as_default():
        tf.import_graph_def(gd, name="")
        with tf.Session() as sess:
            np.testing.assert_array_equal(sess.run("PartitionedCall:0"), [2.25, 4.0])


def test_tensor_of_an_unrelated_graph_is_refused():
    other = tf.Graph()
    with other.as_default():
        stray = tf.constant(1.0)
    with tf.Graph().as_default():
        with pytest.raises(ValueError, match="not an element"):
            fl.trace(lambda a: a + stray, [(tf.float32, [])], name="bad")
