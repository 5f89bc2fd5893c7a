"""import_meta_graph details checked against TF 2.21 behaviour (FORMATS.md section 4)."""

import os

import numpy as np
import pytest

import metarun as tf
from metarun.framework import protos
from metarun.framework.importer import read_meta_graph_file

CASES = os.path.join(os.path.dirname(__file__), "fixtures", "cases")
SEED = os.path.join(CASES, "seed_ex1_ref")


@pytest.fixture(autouse=True)
def fresh_graph():
    tf.reset_default_graph()
    yield


def test_importing_twice_without_scope_renames_the_second_copy():
    first = tf.train.import_meta_graph(os.path.join(SEED, "model_ex1.meta"))
    tf.train.import_meta_graph(os.path.join(SEED, "model_ex1.meta"))
    g = tf.get_default_graph()
    assert g.get_operation_by_name("v4_1").type == g.get_operation_by_name("v4").type
    assert [t.name for t in g.get_operation_by_name("v4_1").inputs] == ["Mul_1:0", "vx/read_1:0"]
    # Collections keep pointing at the first copy, as in TF.
    assert [v.name for v in tf.global_variables()] == ["vx:0", "vx:0"]
    with tf.Session() as sess:
        first.restore(sess, os.path.join(SEED, "model_ex1"))
        assert sess.run("v4:0", {"v1:0": 12.0, "v2:0": 3.3}) == np.float32(59.6)


def test_import_scope_prefixes_names_and_repeated_scopes_are_uniquified():
    s1 = tf.train.import_meta_graph(os.path.join(SEED, "model_ex1.meta"), import_scope="imp")
    s2 = tf.train.import_meta_graph(os.path.join(SEED, "model_ex1.meta"), import_scope="imp")
    g = tf.get_default_graph()
    assert g.get_tensor_by_name("imp/v4:0").op.type == "AddV2"
    assert g.get_tensor_by_name("imp_1/v4:0").op.inputs[1].name == "imp_1/vx/read:0"
    assert s1.saver_def.restore_op_name == "imp/save/restore_all"
    assert s2.saver_def.restore_op_name == "imp_1/save/restore_all"
    with tf.Session() as sess:
        s2.restore(sess, os.path.join(SEED, "model_ex1"))
        assert sess.run("imp_1/v4:0", {"imp_1/v1:0": 1.0, "imp_1/v2:0": 1.0}) == np.float32(21.0)


def test_input_map_rewires_consumers_and_rejects_unknown_keys():
    from op_harness import const
    c = const(2.0, name="two")
    tf.train.import_meta_graph(os.path.join(SEED, "model_ex1.meta"), input_map={"v1:0": c})
    g = tf.get_default_graph()
    assert g.get_tensor_by_name("Mul:0").op.inputs[0] is c
    with tf.Session() as sess:
        sess.run(g.get_operation_by_name("vx/Assign"))
        assert sess.run("v4:0", {"v2:0": 3.0}) == np.float32(16.0)
    tf.reset_default_graph()
    with pytest.raises(ValueError, match=r"Attempted to map inputs that were not found in graph_def: \[nope:0\]"):
        tf.train.import_meta_graph(os.path.join(SEED, "model_ex1.meta"), input_map={"nope:0": const(1.0)})


def test_clear_devices_and_device_strings():
    meta = read_meta_graph_file(os.path.join(SEED, "model_ex1.meta"))
    for node in meta.graph_def.node:
        node.device = "/job:ps/task:0/device:GPU:0"
    tf.train.import_meta_graph(meta)
    assert tf.get_default_graph().get_operation_by_name("v4").device == "/job:ps/task:0/device:GPU:0"
    tf.reset_default_graph()
    tf.train.import_meta_graph(meta, clear_devices=True)
    assert tf.get_default_graph().get_operation_by_name("v4").device == ""


def test_read_errors_are_tf_errors(tmp_path):
    with pytest.raises(OSError, match="File does not exist"):
        tf.train.import_meta_graph(str(tmp_path / "missing.meta"))
    bad = tmp_path / "bad.meta"
    bad.write_text("this is { not a graph")
    with pytest.raises(OSError, match="Cannot parse file"):
        tf.train.import_meta_graph(str(bad))
    binary = tmp_path / "garbage.meta"
    binary.write_bytes(b"\xff\xfe\x00\x81garbage")
    with pytest.raises(UnicodeDecodeError):
        tf.train.import_meta_graph(str(binary))


def test_no_saver_def_and_no_variables_gives_none():
    meta = protos.MetaGraphDef()
    node = meta.graph_def.node.add()
    node.name = "p"
    node.op = "Placeholder"
    node.attr["dtype"].type = 1
    assert tf.train.import_meta_graph(meta) is None
    assert tf.get_default_graph().get_tensor_by_name("p:0").dtype == tf.float32


def test_unknown_ops_import_and_fail_only_when_run():
    meta = read_meta_graph_file(os.path.join(SEED, "model_ex1.meta"))
    node = meta.graph_def.node.add()
    node.name = "weird"
    node.op = "DeepCopy"  # a real TF op metarun has no kernel for
    node.input.append("v1")
    node.attr["T"].type = 1
    saver = tf.train.import_meta_graph(meta)
    with tf.Session() as sess:
        saver.restore(sess, os.path.join(SEED, "model_ex1"))
        assert sess.run("v4:0", {"v1:0": 12.0, "v2:0": 3.3}) == np.float32(59.6)
        with pytest.raises(tf.errors.UnimplementedError, match="DeepCopy.*weird"):
            sess.run("weird:0", {"v1:0": 1.0})
        assert sess.run("v4:0", {"v1:0": 1.0, "v2:0": 1.0}) == np.float32(21.0)


def test_inputs_that_contradict_the_signature_are_rejected_at_import():
    meta = read_meta_graph_file(os.path.join(SEED, "model_ex1.meta"))
    for node in meta.graph_def.node:
        if node.name == "v4":
            node.attr["T"].type = 2  # double, while its inputs are float
    with pytest.raises(ValueError, match="Input 0 of node v4 was passed float from Mul:0 incompatible with "
                                         "expected double"):
        tf.train.import_meta_graph(meta)


# --- failed imports leave the graph as it was (classes and messages checked against TF 2.21) ---

def _node(graph_def, name, op, inputs=(), **attrs):
    node = graph_def.node.add()
    node.name = name
    node.op = op
    node.input.extend(inputs)
    for key, value in attrs.items():
        if key == "T" or key == "dtype":
            node.attr[key].type = value
        elif isinstance(value, bool):
            node.attr[key].b = value
        elif isinstance(value, int):
            node.attr[key].i = value
        else:
            node.attr[key].s = value
    return node


def _small_graph_def():
    """p (float placeholder) -> m = MatMul(p, p) -> out = Identity(m)."""
    gd = protos.GraphDef()
    _node(gd, "p", "Placeholder", dtype=1)
    _node(gd, "m", "MatMul", ["p", "p"], T=1)
    _node(gd, "out", "Identity", ["m"], T=1)
    return gd


def _graph_state(g):
    return ([(op.name, op.type, [t.name for t in op.inputs]) for op in g.get_operations()],
            {k: list(g.get_collection(k)) for k in g.get_all_collection_keys()},
            g.version)


def _break_index(gd):
    gd.node[2].input[0] = "m:3"


def _break_unknown_input(gd):
    gd.node[2].input[0] = "nowhere"


def _break_type(gd):
    gd.node[2].attr["T"].type = 3


def _break_allowed_type(gd):
    gd.node[1].attr["T"].type = 7  # MatMul has no string kernel signature


def _break_missing_attr(gd):
    del gd.node[2].attr["T"]


def _break_attr_kind(gd):
    gd.node[1].attr["transpose_a"].i = 3


def _break_input_count(gd):
    gd.node[1].input.append("p")


def _break_control_order(gd):
    gd.node[2].input.insert(0, "^p")


def _break_duplicate(gd):
    gd.node[2].name = "m"


BROKEN = [
    (_break_index, r"Node 'out': Connecting to invalid output 3 of source node m which has 1 outputs"),
    (_break_unknown_input, r"Node 'out': Unknown input node 'nowhere'"),
    (_break_type, r"Input 0 of node (imp|import)/out was passed float from (imp|import)/m:0 incompatible with "
                  r"expected int32"),
    (_break_allowed_type, r"Value for attr 'T' of string is not in the list of allowed values: .*float"),
    (_break_missing_attr, r"NodeDef missing attr 'T'"),
    (_break_attr_kind, r"AttrValue had value with type 'int' when 'bool' expected for attr 'transpose_a'"),
    (_break_input_count, r"NodeDef expected inputs 'float, float' do not match 3 inputs specified"),
    (_break_control_order, r"Node 'out': Control dependencies must come after regular dependencies"),
    (_break_duplicate, r"Node 'm' is not unique"),
]


def _seed_graph_and_session():
    saver = tf.train.import_meta_graph(os.path.join(SEED, "model_ex1.meta"))
    sess = tf.Session()
    saver.restore(sess, os.path.join(SEED, "model_ex1"))
    assert sess.run("v4:0", {"v1:0": 12.0, "v2:0": 3.3}) == np.float32(59.6)
    return sess


@pytest.mark.parametrize("break_it,message", BROKEN, ids=[b.__name__[len("_break_"):] for b, _ in BROKEN])
def test_failed_import_graph_def_adds_nothing(break_it, message):
    sess = _seed_graph_and_session()
    g = tf.get_default_graph()
    before = _graph_state(g)
    gd = _small_graph_def()
    break_it(gd)
    with pytest.raises(ValueError, match=message):
        tf.import_graph_def(gd)
    assert _graph_state(g) == before
    # The session made before the failed import still runs, and runs what a later import adds.
    assert sess.run("v4:0", {"v1:0": 12.0, "v2:0": 3.3}) == np.float32(59.6)
    tf.import_graph_def(_small_graph_def(), name="")
    assert [op.name for op in g.get_operations()[len(before[0]):]] == ["p", "m", "out"]
    x = np.array([[1.0, 2.0], [3.0, 4.0]], np.float32)
    np.testing.assert_array_equal(sess.run("out:0", {"p:0": x}), x @ x)


@pytest.mark.parametrize("break_it,message", BROKEN, ids=[b.__name__[len("_break_"):] for b, _ in BROKEN])
def test_failed_import_meta_graph_adds_nothing(break_it, message):
    sess = _seed_graph_and_session()
    g = tf.get_default_graph()
    before = _graph_state(g)
    meta = protos.MetaGraphDef()
    meta.graph_def.CopyFrom(_small_graph_def())
    break_it(meta.graph_def)
    meta.collection_def["outputs"].node_list.value.append("out:0")
    with pytest.raises(ValueError, match=message):
        tf.train.import_meta_graph(meta, import_scope="imp")
    assert _graph_state(g) == before
    assert tf.get_collection("outputs") == []
    assert sess.run("v4:0", {"v1:0": 1.0, "v2:0": 1.0}) == np.float32(21.0)


def test_names_of_a_failed_import_stay_free_but_its_scope_stays_taken():
    """As in TF: the nodes' names are free again; the name scope the import opened is not."""
    x = tf.Graph().as_default()
    x.__enter__()
    try:
        g = tf.get_default_graph()
        tf.import_graph_def(_small_graph_def(), name="")
        broken = _small_graph_def()
        _break_index(broken)
        _node(broken, "extra", "Identity", ["p"], T=1)
        for name in (None, "", "scope"):
            with pytest.raises(ValueError, match="invalid output 3"):
                tf.import_graph_def(broken, name=name)
        with pytest.raises(KeyError):
            g.get_operation_by_name("extra")
        with pytest.raises(KeyError):
            g.get_operation_by_name("p_1")
        good = _small_graph_def()
        _node(good, "extra", "Identity", ["p"], T=1)
        tf.import_graph_def(good, name="")
        tf.import_graph_def(good)
        tf.import_graph_def(good, name="scope")
        names = [op.name for op in g.get_operations()]
        assert names[3:] == ["p_1", "m_1", "out_1", "extra",
                             "import_1/p", "import_1/m", "import_1/out", "import_1/extra",
                             "scope_1/p", "scope_1/m", "scope_1/out", "scope_1/extra"]
    finally:
        x.__exit__(None, None, None)


def test_failed_collection_restore_takes_back_the_imported_nodes():
    """The nodes import; a node_list naming a missing tensor then raises TF's KeyError. metarun takes
    the nodes back too (TF would keep them), so a failed import_meta_graph is all or nothing."""
    sess = _seed_graph_and_session()
    g = tf.get_default_graph()
    before = _graph_state(g)
    meta = protos.MetaGraphDef()
    meta.graph_def.CopyFrom(_small_graph_def())
    meta.collection_def["a_first"].node_list.value.append("out:0")
    meta.collection_def["b_broken"].node_list.value.append("missing:0")
    with pytest.raises(KeyError, match="'missing:0' refers to a Tensor which does not exist"):
        tf.train.import_meta_graph(meta)
    assert _graph_state(g) == before
    assert tf.get_collection("a_first") == []
    assert sess.run("v4:0", {"v1:0": 12.0, "v2:0": 3.3}) == np.float32(59.6)


def test_failed_import_takes_back_constants_made_for_its_input_map():
    g = tf.get_default_graph()
    gd = _small_graph_def()
    _break_index(gd)
    with pytest.raises(ValueError, match="invalid output 3"):
        tf.import_graph_def(gd, input_map={"p:0": np.ones((2, 2), np.float32)})
    assert g.get_operations() == []
    (out,) = tf.import_graph_def(_small_graph_def(), input_map={"p:0": np.ones((2, 2), np.float32)},
                                 return_elements=["out:0"])
    with tf.Session() as sess:
        np.testing.assert_array_equal(sess.run(out), np.full((2, 2), 2.0, np.float32))


def test_missing_return_elements_are_value_errors():
    with pytest.raises(ValueError, match="Requested return tensor 'nope:0' not found in graph def"):
        tf.import_graph_def(_small_graph_def(), return_elements=["nope:0"])
    with pytest.raises(ValueError, match="Requested return node 'nope' not found in graph def"):
        tf.import_graph_def(_small_graph_def(), return_elements=["nope"])
    assert tf.get_default_graph().get_operations() == []


def test_unknown_op_type_is_not_found_and_adds_nothing():
    gd = _small_graph_def()
    gd.node[2].op = "NoSuchOpAnywhere"
    with pytest.raises(tf.errors.NotFoundError, match="Op type not registered 'NoSuchOpAnywhere'"):
        tf.import_graph_def(gd)
    assert tf.get_default_graph().get_operations() == []


def _short_const_graph_def():
    """A float32 [2, 3] Const whose tensor_content is 4 bytes short, read by an Identity."""
    gd = protos.GraphDef()
    c = _node(gd, "short", "Const", dtype=1)
    value = c.attr["value"].tensor
    value.dtype = 1
    value.tensor_shape.dim.add().size = 2
    value.tensor_shape.dim.add().size = 3
    value.tensor_content = b"\0" * 20
    _node(gd, "short_out", "Identity", ["short"], T=1)
    _node(gd, "p", "Placeholder", dtype=1)
    return gd


def test_const_with_short_tensor_content_imports_and_fails_when_run():
    """TF imports such a Const and fails the run that needs it with InvalidArgumentError; metarun's
    message names the node, the attr and both sizes (not a 'missing attr')."""
    tf.import_graph_def(_short_const_graph_def(), name="")
    g = tf.get_default_graph()
    assert g.get_operation_by_name("short").get_attr("value").tensor_content == b"\0" * 20
    with tf.Session() as sess:
        for fetch in ("short:0", "short_out:0"):
            with pytest.raises(tf.errors.InvalidArgumentError) as e:
                sess.run(fetch)
            message = str(e.value)
            assert "attr 'value'" in message and "node short" in message, message
            assert "20 bytes" in message and "needs 24" in message and "[2, 3]" in message, message
            assert "missing" not in message, message
            assert e.value.op is g.get_operation_by_name("short")
        assert sess.run("p:0", {"p:0": 1.5}) == np.float32(1.5)
        fed = np.arange(6, dtype=np.float32).reshape(2, 3)
        np.testing.assert_array_equal(sess.run("short_out:0", {"short:0": fed}), fed)
