"""Static shapes of an imported GraphDef that records none (a frozen graph, `as_graph_def()`):
TF infers every tensor's shape at import; metarun infers the ones asked for, with the same
shape functions as for ops built in Python. Each TF-made case graph, its recorded shapes
stripped, against what TF 2.21 reported for the same GraphDef (gen_imported_shapes.py)."""
import json
import os

import pytest
from google.protobuf import text_format

import metarun as tf
from metarun.framework.tensor_shape import TensorShape

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
with open(os.path.join(FIXTURES, "imported_shapes.json")) as f:
    EXPECTED = json.load(f)


def _stripped(rel):
    import importlib.util
    spec = importlib.util.spec_from_file_location("gen_imported_shapes",
                                                  os.path.join(FIXTURES, "gen_imported_shapes.py"))
    gen = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gen)
    return gen.stripped_graph_def(tf.MetaGraphDef, os.path.join(FIXTURES, "cases", rel), text_format)


def _parse(text):
    """str(TensorShape) back into a TensorShape: '<unknown>', '()', '(?, 3)', '(4,)'."""
    if text == "<unknown>":
        return TensorShape(None)
    dims = [d.strip() for d in text.strip("()").split(",") if d.strip()]
    return TensorShape([None if d == "?" else int(d) for d in dims])


def _ours(rel):
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(_stripped(rel), name="")
    return {t.name: t.shape for op in graph.get_operations() for t in op.outputs}


def test_every_case_graph_is_covered():
    cases = sorted(os.path.relpath(os.path.join(d, n), os.path.join(FIXTURES, "cases"))
                   for d, _, files in os.walk(os.path.join(FIXTURES, "cases")) for n in files if n.endswith(".meta"))
    assert sorted(EXPECTED) == cases


@pytest.mark.parametrize("rel", sorted(EXPECTED))
def test_shapes_never_claim_more_than_tf(rel):
    want = EXPECTED[rel]
    if "ERROR" in want:
        with pytest.raises(Exception) as err:  # noqa: PT011 -- the class is checked below
            _ours(rel)
        assert type(err.value).__name__ == want["ERROR"]
        return
    ours = _ours(rel)
    assert sorted(ours) == sorted(want)
    for name, text in want.items():
        theirs = _parse(text)
        # Ours is TF's shape or less specific: merging TF's into ours gives TF's.
        assert ours[name].is_compatible_with(theirs) and ours[name].merge_with(theirs) == theirs, \
            (name, str(ours[name]), text)


def test_almost_every_shape_is_tfs():
    """Where metarun knows less than TF: function calls, TensorArray element shapes, RestoreV2
    slices, and what follows from them."""
    total = same = 0
    for rel, want in EXPECTED.items():
        if "ERROR" in want:
            continue
        ours = _ours(rel)
        total += len(want)
        same += sum(str(ours[name]) == text for name, text in want.items())
    assert total > 4000 and same >= 0.97 * total, (same, total)


def test_an_import_infers_nothing_until_asked():
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(_stripped("dynamic_rnn/model.meta"), name="")
    assert all(op._shapes is None for op in graph.get_operations())
    gate = graph.get_tensor_by_name("rnn/while/Sigmoid:0")  # in the loop, through a constant Enter
    assert str(gate.shape) == EXPECTED["dynamic_rnn/model.meta"]["rnn/while/Sigmoid:0"] == "(?, 8)"
    inferred = [op for op in graph.get_operations() if op._shapes is not None]
    assert 0 < len(inferred) < len(graph.get_operations())
