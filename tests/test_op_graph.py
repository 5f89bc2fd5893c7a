"""Which graph a new op goes into, by TF's rule (checked against TF 2.21's tf.compat.v1): the
graph of its first tensor input, whatever graph is the default; tensor inputs from two graphs
are a ValueError naming both tensors. An op with no tensor input goes into the default graph."""
import pytest

import metarun as tf


def test_inputs_from_two_graphs_are_a_value_error():
    a = tf.Graph()
    with a.as_default():
        x = tf.constant(1.0)
    with tf.Graph().as_default():
        y = tf.constant(2.0)
        with pytest.raises(ValueError, match=r'^Tensor\("Const:0", shape=\(\), dtype=float32\) must be from the '
                                             r'same graph as Tensor\("Const:0", shape=\(\), dtype=float32\) '
                                             r'\(graphs are '):
            tf.raw_ops.AddV2(x=x, y=y)
        with pytest.raises(ValueError, match="must be from the same graph"):
            tf.raw_ops.ConcatV2(values=[y, x], axis=0)
        assert [op.type for op in tf.get_default_graph().get_operations()] == ["Const"]
    assert [op.type for op in a.get_operations()] == ["Const"]


def test_an_op_goes_into_the_graph_of_its_inputs_not_the_default():
    a = tf.Graph()
    with a.as_default():
        x = tf.constant(1.0)
    with tf.Graph().as_default() as b:
        s = tf.raw_ops.AddV2(x=x, y=3.0)  # the Python value becomes a Const in x's graph
        t = tf.add(x, 2.0)
        assert b.get_operations() == []
    assert s.graph is a and t.graph is a
    assert s.op.inputs[1].op.name == "AddV2/y"
    with tf.Session(graph=a) as sess:
        assert sess.run([s, t]) == [4.0, 3.0]


def test_an_op_without_tensor_inputs_goes_into_the_default_graph():
    with tf.Graph().as_default() as g:
        c = tf.raw_ops.Fill(dims=[2], value=1.5)
    assert c.graph is g
