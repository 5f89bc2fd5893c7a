"""Hostile graph functions: what a FunctionDefLibrary can say must end in a typed error, never a
crash or a hang: endless (and mutual) recursion, inputs naming nothing, cycles in a body, results
without a value."""
import pytest

import metarun as tf
from metarun.framework import protos

FLOAT = 1


def _node(name, op, inputs, typed=False):
    n = protos.NodeDef(name=name, op=op)
    n.input.extend(inputs)
    if typed:
        n.attr["T"].type = FLOAT
    return n


def _fdef(name, nodes, ret):
    f = protos.FunctionDef()
    f.signature.name = name
    f.signature.input_arg.add(name="a", type=FLOAT)
    f.signature.output_arg.add(name="out", type=FLOAT)
    for n in nodes:
        f.node_def.add().CopyFrom(n)
    for k, v in ret.items():
        f.ret[k] = v
    return f


def _graph(fdefs):
    gd = protos.GraphDef()
    x = gd.node.add(name="x", op="Placeholder")
    x.attr["dtype"].type = FLOAT
    gd.node.add(name="call", op="f", input=["x"])
    for f in fdefs:
        gd.library.function.add().CopyFrom(f)
    return gd


CASES = {
    "recursion": ([_fdef("f", [_node("r", "f", ["a"])], {"out": "r:out:0"})],
                  tf.errors.ResourceExhaustedError, "nest too deep"),
    "mutual_recursion": ([_fdef("f", [_node("r", "g", ["a"])], {"out": "r:out:0"}),
                          _fdef("g", [_node("r", "f", ["a"])], {"out": "r:out:0"})],
                         tf.errors.ResourceExhaustedError, "nest too deep"),
    "input_names_nothing": ([_fdef("f", [_node("i", "Identity", ["nope:output:0"], True)], {"out": "i:output:0"})],
                            tf.errors.InvalidArgumentError, "names no output"),
    "cycle": ([_fdef("f", [_node("p", "AddV2", ["a", "q:z:0"], True), _node("q", "AddV2", ["p:z:0", "a"], True)],
                     {"out": "q:z:0"})], tf.errors.InvalidArgumentError, "cycle"),
    "result_without_value": ([_fdef("f", [_node("i", "Identity", ["a"], True)], {})],
                             tf.errors.InvalidArgumentError, "no value for result"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_library_fails_with_a_typed_error_and_the_session_survives(name):
    fdefs, error, message = CASES[name]
    with tf.Graph().as_default():
        tf.import_graph_def(_graph(fdefs), name="")
        with tf.Session() as sess:
            with pytest.raises(error, match=message):
                sess.run("call:0", {"x:0": 1.0})
            assert sess.run("x:0", {"x:0": 2.0}) == 2.0
