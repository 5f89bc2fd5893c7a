"""tf.graph_util against TensorFlow's own answers (tests/fixtures/frozen, written by
gen_frozen.py with TF 2.21): convert_variables_to_constants gives TF's frozen GraphDef byte for
byte from the GraphDef TF froze, the same nodes from metarun's own graph, and graphs that compute
TF's values with no variables left; extract_sub_graph, remove_training_nodes, must_run_on_cpu and
tensor_shape_from_node_def_name give TF's results and raise TF's errors."""

import json
import os
import re

import numpy as np
import pytest

import metarun as tf
from metarun.framework import protos

HERE = os.path.dirname(os.path.abspath(__file__))
FROZEN = os.path.join(HERE, "fixtures", "frozen")
CASES = sorted(d for d in os.listdir(FROZEN) if os.path.exists(os.path.join(FROZEN, d, "case.json")))
VARIABLE_OPS = {"Variable", "VariableV2", "VarHandleOp", "ReadVariableOp", "ResourceGather",
                "ResourceGatherNd", "Assign", "AssignVariableOp"}
# Loops of tanh/sigmoid steps: metarun's and TF's transcendental kernels may differ in the last bit.
RTOL, ATOL = 1e-6, 1e-7

with open(os.path.join(FROZEN, "graph_util.json")) as _f:
    TF_ANSWERS = json.load(_f)


def _graph_def(path):
    graph_def = protos.GraphDef()
    with open(path, "rb") as f:
        graph_def.ParseFromString(f.read())
    return graph_def


def _case(name):
    d = os.path.join(FROZEN, name)
    with open(os.path.join(d, "case.json")) as f:
        info = json.load(f)
    with np.load(os.path.join(d, "arrays.npz")) as arrays:
        values = dict(arrays)
    return d, info, values


def _freeze(d, info, input_def=None):
    """metarun's frozen graph of the case: the model imported and restored, then frozen from
    `input_def` (default: the session's own graph)."""
    graph = tf.Graph()
    with graph.as_default():
        saver = tf.train.import_meta_graph(os.path.join(d, "model.meta"))
        with tf.Session(graph=graph) as sess:
            saver.restore(sess, os.path.join(d, "model"))
            return tf.graph_util.convert_variables_to_constants(
                sess, sess.graph_def if input_def is None else input_def, info["outputs"],
                variable_names_whitelist=info["whitelist"], variable_names_blacklist=info["blacklist"])


def _run_alone(graph_def, info, values):
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(graph_def, name="")
        with tf.Session(graph=graph) as sess:
            feeds = {name: values["feed/" + name] for name in info["feeds"]}
            return sess.run(info["fetches"], feeds)


@pytest.mark.parametrize("case", CASES)
def test_freezing_tf_input_gives_tf_frozen_graph_byte_for_byte(case):
    d, info, _ = _case(case)
    frozen = _freeze(d, info, _graph_def(os.path.join(d, "input.pb")))
    expected = _graph_def(os.path.join(d, "frozen.pb"))
    assert [(n.name, n.op, list(n.input)) for n in frozen.node] == \
        [(n.name, n.op, list(n.input)) for n in expected.node]
    if expected.library.function:
        # Converted functions are renamed <base>_frozen_<n>, n from a process-wide counter
        # (TF's ops.uid()): only the order of the numbers is TF's.
        assert _uids_ranked(frozen) == _uids_ranked(expected)
        assert any("_frozen_" in f.signature.name for f in expected.library.function)
        return
    assert frozen == expected
    assert frozen.SerializeToString(deterministic=True) == expected.SerializeToString(deterministic=True)


def _uids_ranked(graph_def):
    text = protos.to_text(graph_def)
    uids = sorted({int(n) for n in re.findall(r"_frozen_(\d+)", text)})
    return re.sub(r"_frozen_(\d+)", lambda m: "_frozen_#%d" % uids.index(int(m.group(1))), text)


def _strip(node):
    copy = protos.NodeDef()
    copy.CopyFrom(node)
    for key in [k for k in copy.attr if k.startswith("_output_shapes")]:
        del copy.attr[key]
    return copy


@pytest.mark.parametrize("case", CASES)
def test_freezing_metarun_graph_gives_tf_nodes(case):
    """From metarun's own sess.graph_def: the same nodes as TF's frozen graph (metarun's imported
    graph lists some nodes in another order than TF's, so nodes are matched by name)."""
    d, info, _ = _case(case)
    frozen = {n.name: _strip(n) for n in _freeze(d, info).node}
    expected = {n.name: _strip(n) for n in _graph_def(os.path.join(d, "frozen.pb")).node}
    assert sorted(frozen) == sorted(expected)
    for name, node in expected.items():
        if _has_functions(d):  # function names carry a counter (see above)
            assert re.sub(r"_frozen_\d+", "", protos.to_text(frozen[name])) == \
                re.sub(r"_frozen_\d+", "", protos.to_text(node)), name
        else:
            assert frozen[name] == node, name


def _has_functions(d):
    return bool(_graph_def(os.path.join(d, "frozen.pb")).library.function)


@pytest.mark.parametrize("case", CASES)
def test_frozen_graph_runs_to_tf_values_without_variables(case):
    d, info, values = _case(case)
    frozen = _freeze(d, info)
    left = sorted(n.name for n in frozen.node if n.op in ("VariableV2", "VarHandleOp", "Variable"))
    if info["whitelist"] is None and info["blacklist"] is None:
        assert left == []
        assert not VARIABLE_OPS & {n.op for n in frozen.node}
    else:
        tf_left = sorted(n.name for n in _graph_def(os.path.join(d, "frozen.pb")).node
                         if n.op in ("VariableV2", "VarHandleOp"))
        assert left == tf_left and left
        return
    ours = _run_alone(frozen, info, values)
    tfs = _run_alone(_graph_def(os.path.join(d, "frozen.pb")), info, values)
    for name, mine, theirs in zip(info["fetches"], ours, tfs):
        np.testing.assert_allclose(mine, values["frozen/" + name], rtol=RTOL, atol=ATOL)
        np.testing.assert_allclose(mine, values["model/" + name], rtol=RTOL, atol=ATOL)
        np.testing.assert_array_equal(mine, theirs)


def test_lists_choose_the_variables():
    """whitelist: only w1 and b2 are Consts; blacklist: w2 keeps its VarHandleOp and read; a name in
    both lists stays a variable (TF's files, and the Const values are the checkpoint's)."""
    kinds = {}
    for case in ("whitelist", "blacklist", "both_lists"):
        d, info, _ = _case(case)
        kinds[case] = {n.name: n.op for n in _freeze(d, info).node
                       if n.name in ("w1", "b1", "w2", "b2")}
    assert kinds["whitelist"] == {"w1": "Const", "b1": "VariableV2", "w2": "VariableV2", "b2": "Const"}
    assert kinds["blacklist"] == {"w1": "Const", "b1": "Const", "w2": "VarHandleOp", "b2": "Const"}
    assert kinds["both_lists"] == {"w1": "Const", "b1": "VariableV2", "w2": "VariableV2",
                                   "b2": "VariableV2"}
    d, info, _ = _case("whitelist")
    frozen = {n.name: n for n in _freeze(d, info).node}
    reader = tf.train.NewCheckpointReader(os.path.join(d, "model"))
    for name in ("w1", "b2"):
        np.testing.assert_array_equal(tf.make_ndarray(frozen[name].attr["value"].tensor),
                                      reader.get_tensor(name))


def test_missing_output_is_tfs_assertion():
    d, info, _ = _case("ref_mlp")
    with pytest.raises(AssertionError, match="^nope is not in graph$"):
        _freeze(d, dict(info, outputs=["out", "nope"]))


def test_graph_without_variables_is_returned_cut():
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [2], name="x")
        tf.identity(x * 2.0, name="y")
        tf.constant(1.0, name="unused")
        with tf.Session() as sess:
            frozen = tf.graph_util.convert_variables_to_constants(sess, sess.graph_def, ["y"])
    assert [n.name for n in frozen.node] == ["x", "mul/y", "mul", "y"]


def _session_of(input_pb, init_op):
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(_graph_def(input_pb), name="")
    sess = tf.Session(graph=graph)
    sess.run(init_op)
    return sess


def test_legacy_variable_op_is_read_but_left_a_variable():
    """The pre-1.0 `Variable` op: TF's converter fetches it and leaves the node as it was."""
    d = os.path.join(FROZEN, "legacy_variable")
    with _session_of(os.path.join(d, "input.pb"), "v/Assign") as sess:
        np.testing.assert_array_equal(sess.run("v:0"), np.load(os.path.join(d, "arrays.npz"))["v"])
        frozen = tf.graph_util.convert_variables_to_constants(sess, _graph_def(os.path.join(d, "input.pb")), ["out"])
    expected = _graph_def(os.path.join(d, "frozen.pb"))
    assert frozen.SerializeToString(deterministic=True) == expected.SerializeToString(deterministic=True)
    assert [n.op for n in frozen.node if n.name == "v"] == ["Variable"]


def test_resource_gather_with_batch_dims_is_tfs_value_error():
    d = os.path.join(FROZEN, "gather_batch_dims")
    expected = TF_ANSWERS["resource_gather_batch_dims"]
    with _session_of(os.path.join(d, "input.pb"), "v/Assign") as sess:
        with pytest.raises(ValueError) as info:
            tf.graph_util.convert_variables_to_constants(sess, _graph_def(os.path.join(d, "input.pb")), ["out"])
        assert sess.run("out:0").shape == (2, 2)  # the session still runs
    assert type(info.value).__name__ == expected["error"] and str(info.value) == expected["message"]


# --- extract_sub_graph ---------------------------------------------------------------------

@pytest.mark.parametrize("dests", sorted(TF_ANSWERS["extract"]))
def test_extract_sub_graph_keeps_tfs_nodes_in_order(dests):
    graph_def = _graph_def(os.path.join(FROZEN, "ref_mlp", "input.pb"))
    sub = tf.graph_util.extract_sub_graph(graph_def, dests.split("+"))
    assert [n.name for n in sub.node] == TF_ANSWERS["extract"][dests]
    assert sub.versions == graph_def.versions and sub.library == graph_def.library
    by_name = {n.name: n for n in graph_def.node}
    assert all(n == by_name[n.name] for n in sub.node)


@pytest.mark.parametrize("kind, args", [
    ("missing", lambda g: (g, ["out", "nope"])), ("string", lambda g: (g, "out")),
    ("not_graph_def", lambda g: ("graph", ["out"])), ("tensor_name", lambda g: (g, ["out:0"]))])
def test_extract_sub_graph_errors_are_tfs(kind, args):
    expected = TF_ANSWERS["extract_errors"][kind]
    graph_def = _graph_def(os.path.join(FROZEN, "ref_mlp", "input.pb"))
    with pytest.raises(Exception) as info:
        tf.graph_util.extract_sub_graph(*args(graph_def))
    assert type(info.value).__name__ == expected["error"]
    assert str(info.value) == expected["message"]


def test_extract_sub_graph_follows_colocation():
    graph_def = protos.GraphDef()
    for name, inputs, coloc in (("a", [], None), ("b", [], None), ("c", ["a"], "b"), ("d", [], None)):
        node = graph_def.node.add(name=name, op="NoOp")
        node.input.extend(inputs)
        if coloc:
            node.attr["_class"].list.s.append(("loc:@" + coloc).encode())
    assert [n.name for n in tf.graph_util.extract_sub_graph(graph_def, ["c"]).node] == ["a", "b", "c"]


# --- remove_training_nodes, must_run_on_cpu, tensor_shape_from_node_def_name -----------------

@pytest.mark.parametrize("protected", sorted(TF_ANSWERS["remove_training_nodes"]))
def test_remove_training_nodes_is_tfs(protected):
    graph_def = _graph_def(os.path.join(FROZEN, "training.pb"))
    names = None if protected == "none" else protected[len("protect_"):].split("_")
    out = tf.graph_util.remove_training_nodes(graph_def, names)
    assert [[n.name] + list(n.input) for n in out.node] == TF_ANSWERS["remove_training_nodes"][protected]
    assert not out.HasField("versions") and not out.library.function


def test_remove_training_nodes_identity_after_check_numerics_is_tfs_error():
    expected = TF_ANSWERS["remove_identity_after_check"]
    with pytest.raises(IndexError) as info:
        tf.graph_util.remove_training_nodes(_graph_def(os.path.join(FROZEN, "identity_after_check.pb")))
    assert type(info.value).__name__ == expected["error"]


def _training_graph():
    graph = tf.Graph()
    with graph.as_default():
        tf.import_graph_def(_graph_def(os.path.join(FROZEN, "training.pb")), name="")
    return graph


def test_must_run_on_cpu_is_tfs():
    graph_def = _graph_def(os.path.join(FROZEN, "training.pb"))
    answers = {n.name: [tf.graph_util.must_run_on_cpu(n), tf.graph_util.must_run_on_cpu(n, True)]
               for n in graph_def.node}
    assert answers == TF_ANSWERS["must_run_on_cpu"]
    graph = _training_graph()
    assert [tf.graph_util.must_run_on_cpu(graph.get_operation_by_name(n)) for n in ("str", "flt")] == \
        TF_ANSWERS["must_run_on_cpu_op"]
    with pytest.raises(AssertionError):
        tf.graph_util.must_run_on_cpu("Const")


def test_tensor_shape_from_node_def_name_is_tfs():
    graph = _training_graph()
    for name, shape in TF_ANSWERS["tensor_shape"].items():
        assert str(tf.graph_util.tensor_shape_from_node_def_name(graph, name)) == shape
    expected = TF_ANSWERS["tensor_shape_missing"]
    with pytest.raises(KeyError) as info:
        tf.graph_util.tensor_shape_from_node_def_name(graph, "nope")
    assert str(info.value) == expected["message"]


def test_graph_util_names_are_tfs():
    for name in ("convert_variables_to_constants", "extract_sub_graph", "import_graph_def",
                 "must_run_on_cpu", "remove_training_nodes", "tensor_shape_from_node_def_name"):
        assert callable(getattr(tf.graph_util, name))
    assert tf.graph_util.import_graph_def is tf.import_graph_def


@pytest.mark.parametrize("step_index", [1, 5])
def test_function_called_twice_reads_its_variable_once_frozen(step_index):
    # tests/fixtures/cases/nested_functions (TF-made): `outer` calls `scaled`, which reads a
    # captured resource variable, more than once; the read in the function body becomes an
    # Identity of type float (once, not again on the second call), and a forward function
    # that returns the read itself (step 5's gradients) names the Identity's output in its
    # results; the frozen graph computes TF's values
    folder = os.path.join(HERE, "fixtures", "cases", "nested_functions")
    with open(os.path.join(folder, "case.json")) as f:
        case = json.load(f)
    step = case["steps"][step_index]
    g = tf.Graph()
    with g.as_default():
        saver = tf.train.import_meta_graph(os.path.join(folder, "model.meta"))
        with tf.Session() as sess:
            saver.restore(sess, os.path.join(folder, "model"))
            frozen = tf.graph_util.convert_variables_to_constants(
                sess, g.as_graph_def(), [t.split(":")[0] for t in step["run"]])
    reads = [n for f in frozen.library.function for n in f.node_def
             if n.name.endswith("ReadVariableOp") and n.op == "Identity"]
    assert reads and all(n.attr["T"].type == tf.float32.as_datatype_enum for n in reads)
    assert not any(":value:" in r for f in frozen.library.function for r in f.ret.values()
                   if r.split(":")[0] in {n.name for n in f.node_def if n.op == "Identity"})
    with tf.Graph().as_default():
        tf.import_graph_def(frozen, name="")
        with tf.Session() as sess, np.load(os.path.join(folder, "arrays.npz")) as arrays:
            got = sess.run(step["run"], {k: arrays[v] for k, v in step["feeds"].items()})
            for v, key in zip(got, step["expect"]):
                np.testing.assert_allclose(v, arrays[key], rtol=1e-6)
