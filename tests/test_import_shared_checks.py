"""The importer checks nodes alike (same op type, same declared attr values) once: a later node
of a kind must still get every default, keep its own attrs, and fail as TF fails when its attrs
or inputs differ from the first's. An import of a caller's MetaGraphDef never changes it."""

import gc
import os

import numpy as np
import pytest

import metarun as tf
from metarun.framework import protos
from metarun.framework.importer import read_meta_graph_file

SEED = os.path.join(os.path.dirname(__file__), "fixtures", "cases", "seed_ex1_ref")


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield


def _node(gd, name, op, inputs=(), **attrs):
    node = gd.node.add()
    node.name = name
    node.op = op
    node.input.extend(inputs)
    for key, value in attrs.items():
        if key in ("T", "dtype"):
            node.attr[key].type = value
        elif isinstance(value, bool):
            node.attr[key].b = value
        else:
            node.attr[key].i = value
    return node


def _two_matmuls():
    """p -> m1 = MatMul(p, p) -> m2 = MatMul(m1, p): two nodes of one kind, no defaults given."""
    gd = protos.GraphDef()
    _node(gd, "p", "Placeholder", dtype=1)
    _node(gd, "m1", "MatMul", ["p", "p"], T=1)
    _node(gd, "m2", "MatMul", ["m1", "p"], T=1)
    return gd


def test_every_node_of_a_kind_gets_the_defaults_and_runs():
    tf.import_graph_def(_two_matmuls(), name="")
    g = tf.get_default_graph()
    for name in ("m1", "m2"):
        op = g.get_operation_by_name(name)
        assert op.get_attr("transpose_a") is False and op.get_attr("transpose_b") is False
        assert sorted(op.node_def.attr) == ["T", "grad_a", "grad_b", "transpose_a", "transpose_b"]
    x = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run("m2:0", {"p:0": x}), (x @ x) @ x)


def test_a_later_node_keeps_its_own_attr_values():
    gd = _two_matmuls()
    gd.node[2].attr["transpose_a"].b = True
    tf.import_graph_def(gd, name="")
    g = tf.get_default_graph()
    assert g.get_operation_by_name("m1").get_attr("transpose_a") is False
    assert g.get_operation_by_name("m2").get_attr("transpose_a") is True
    x = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run("m2:0", {"p:0": x}), (x @ x).T @ x)


def _bad_allowed_type(gd):
    gd.node[2].attr["T"].type = 7


def _bad_attr_kind(gd):
    gd.node[2].attr["transpose_a"].i = 3


def _bad_input_type(gd):
    _node(gd, "q", "Placeholder", dtype=2)
    gd.node[2].input[1] = "q"


def _bad_input_count(gd):
    gd.node[2].input.append("p")


# The first MatMul is valid: each second node's error is what the same node alone gives.
LATER_BROKEN = [
    (_bad_allowed_type, r"Value for attr 'T' of string is not in the list of allowed values"),
    (_bad_attr_kind, r"AttrValue had value with type 'int' when 'bool' expected for attr 'transpose_a'"),
    (_bad_input_type, r"Input 1 of node m2 was passed double from q:0 incompatible with expected float"),
    (_bad_input_count, r"NodeDef expected inputs 'float, float' do not match 3 inputs specified"),
]


@pytest.mark.parametrize("break_it,message", LATER_BROKEN,
                         ids=[b.__name__[len("_bad_"):] for b, _ in LATER_BROKEN])
def test_a_later_node_of_a_kind_is_checked_on_its_own(break_it, message):
    gd = _two_matmuls()
    break_it(gd)
    with pytest.raises(ValueError, match=message):
        tf.import_graph_def(gd, name="")
    assert tf.get_default_graph().get_operations() == []
    assert gc.isenabled()


def test_importing_a_callers_meta_graph_leaves_it_unchanged():
    meta = read_meta_graph_file(os.path.join(SEED, "model_ex1.meta"))
    before = meta.SerializeToString(deterministic=True)
    tf.train.import_meta_graph(meta, import_scope="imp", clear_devices=True)
    tf.train.import_meta_graph(meta)
    assert meta.SerializeToString(deterministic=True) == before
    gd = meta.graph_def
    before = gd.SerializeToString(deterministic=True)
    tf.import_graph_def(gd, name="again")
    assert gd.SerializeToString(deterministic=True) == before


def test_a_file_and_the_same_proto_import_to_the_same_graph():
    path = os.path.join(SEED, "model_ex1.meta")
    from_file, from_proto = tf.Graph(), tf.Graph()
    with from_file.as_default():
        tf.train.import_meta_graph(path, import_scope="s")
    with from_proto.as_default():
        tf.train.import_meta_graph(read_meta_graph_file(path), import_scope="s")
    a = from_file.as_graph_def().SerializeToString(deterministic=True)
    assert a == from_proto.as_graph_def().SerializeToString(deterministic=True)
    assert len(from_file.get_operations()) > 5


def test_the_collector_is_left_as_the_caller_had_it():
    gc.disable()
    try:
        tf.import_graph_def(_two_matmuls(), name="")
        assert not gc.isenabled()
    finally:
        gc.enable()
    tf.import_graph_def(_two_matmuls(), name="x")
    assert gc.isenabled()
