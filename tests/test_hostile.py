"""A graph is untrusted input. Values it computes or carries must never make a kernel read or
write out of bounds, hit undefined behaviour or ask for unbounded memory: each case here ends
in TF's result or in a typed error, and the session stays usable. Expected values come from
TF 2.21 (messages) or from numpy's wrap-around integer arithmetic (which is TF's)."""
import numpy as np
import pytest

import metarun  # noqa: F401 -- installs the host kernels
from metarun import _core
from metarun.framework import dtypes as tf
from op_harness import OpSession, add_node, add_placeholder, run_op, status_code

INVALID_ARGUMENT, RESOURCE_EXHAUSTED = 3, 8
F32, I32, I64 = tf.float32, tf.int32, tf.int64


def error_of(fn):
    with pytest.raises(_core.StatusError) as e:
        fn()
    return status_code(e.value), e.value.args[1]


# -- shapes: every element count is checked where tensors are made ----------------------------

def fill(dims, index_type=np.int64):
    return run_op("Fill", [np.array(dims, index_type), np.float32(1)], {"T": F32, "index_type": tf.as_dtype(index_type)},
                  out_dtypes=[F32])


def test_fill_whose_dims_overflow_int64_is_refused_with_tfs_message():
    code, msg = error_of(lambda: fill([2 ** 62 + 1, 4]))
    assert code == INVALID_ARGUMENT
    assert msg == "Shape [4611686018427387905,4] would have more than 2**63 - 1 elements"


def test_an_overflowing_zero_sized_shape_is_refused_too():
    # A zero dim makes no elements, but the other dims' product still has to fit (no kernel's
    # partial product of dims may wrap).
    assert error_of(lambda: fill([2 ** 62, 4, 0]))[0] == INVALID_ARGUMENT
    assert fill([2 ** 60, 0])[0].shape == (2 ** 60, 0)


@pytest.mark.parametrize("op", ["Transpose", "Sum"])
def test_ops_after_an_overflowing_fill_fail_instead_of_reading_out_of_bounds(op):
    g = _core.Graph()
    dims = add_placeholder(g, "dims", I64)
    value = add_placeholder(g, "value", F32)
    f = add_node(g, "fill", "Fill", [dims, value], ["float32"], T=F32, index_type=I64)
    axes = add_placeholder(g, "axes", I32)
    if op == "Transpose":
        out = add_node(g, "t", "Transpose", [f, axes], ["float32"], T=F32, Tperm=I32)
        axes_value = np.array([1, 0], np.int32)
    else:
        out = add_node(g, "s", "Sum", [f, axes], ["float32"], T=F32, Tidx=I32, keep_dims=False)
        axes_value = np.array([0, 1], np.int32)
    s = _core.Session(g, 1)
    feeds = [(dims, 0), (value, 0), (axes, 0)]

    def run(shape):
        vals = [(np.array(shape, np.int64), I64.as_datatype_enum), (np.float32(1), F32.as_datatype_enum),
                (axes_value, I32.as_datatype_enum)]
        return s.run(feeds, vals, [(out, 0)], [])[0]

    with pytest.raises(_core.StatusError) as e:
        run([2 ** 62 + 1, 4])
    assert status_code(e.value) == INVALID_ARGUMENT and e.value.args[2] == "fill"
    assert np.array_equal(run([2, 3]), np.ones([3, 2]) if op == "Transpose" else 6.0)


def test_unsorted_segment_sum_with_huge_num_segments_is_refused():
    args = [np.ones([3, 4], np.float32), np.array([0, 1, 2], np.int32), np.int64(2 ** 62)]
    code, msg = error_of(lambda: run_op("UnsortedSegmentSum", args, {"T": F32, "Tindices": I32, "Tnumsegments": I64}))
    assert code == INVALID_ARGUMENT and "2**63 - 1 elements" in msg


def test_an_allocation_larger_than_memory_is_resource_exhausted_naming_shape_and_type():
    code, msg = error_of(lambda: fill([2 ** 40, 2 ** 20]))
    assert code == RESOURCE_EXHAUSTED
    assert msg.startswith("OOM when allocating tensor with shape[1099511627776,1048576] and type float on ")


def test_range_of_2_to_the_62_elements_is_resource_exhausted():
    code, msg = error_of(lambda: run_op("Range", [np.int64(0), np.int64(2 ** 62), np.int64(1)], {"Tidx": I64}))
    assert code == RESOURCE_EXHAUSTED and "shape[4611686018427387904] and type int64" in msg


@pytest.mark.parametrize("sizes", [[2 ** 62, 2 ** 62, -1], [2 ** 33, 2 ** 33], [-1, 2 ** 62, 2 ** 62]])
def test_reshape_checks_the_requested_shape_before_multiplying_it(sizes):
    code, msg = error_of(lambda: run_op("Reshape", [np.ones(4, np.float32), np.array(sizes, np.int64)],
                                        {"T": F32, "Tshape": I64}))
    assert code == INVALID_ARGUMENT and "overflow" in msg


# -- scalar inputs: read only through the checked helper --------------------------------------

EMPTY_I32, EMPTY_I64 = np.zeros([0], np.int32), np.zeros([0], np.int64)

SCALAR_CASES = [
    # (op, inputs, attrs, out_dtypes, TF's message)
    ("StackV2", [EMPTY_I32], {"elem_type": F32, "stack_name": ""}, ["resource"],
     "Stack size must be a scalar, but had shape: [0]"),
    ("Range", [EMPTY_I32, np.int32(3), np.int32(1)], {"Tidx": I32}, ["int32"], "start must be a scalar, not shape [0]"),
    ("LinSpace", [np.float32(0), np.float32(1), EMPTY_I32], {"T": F32, "Tidx": I32}, ["float32"],
     "num must be a scalar, not shape [0]"),
    ("OneHot", [np.array([1], np.int32), EMPTY_I32, np.float32(1), np.float32(0)], {"T": F32, "TI": I32, "axis": -1},
     ["float32"], "depth must be a scalar, but got: [0]"),
    ("UnsortedSegmentSum", [np.ones([2], np.float32), np.array([0, 1], np.int32), EMPTY_I32],
     {"T": F32, "Tindices": I32, "Tnumsegments": I32}, ["float32"], "num_segments should be a scalar, not shape [0]"),
    ("GatherV2", [np.ones([2], np.float32), np.array([0], np.int32), EMPTY_I32],
     {"Tparams": F32, "Tindices": I32, "Taxis": I32, "batch_dims": 0}, ["float32"], "axis must be scalar"),
    ("ExpandDims", [np.ones([2], np.float32), EMPTY_I32], {"T": F32, "Tdim": I32}, ["float32"],
     "'dim' must be a tensor with a single value"),
    ("TopKV2", [np.ones([4], np.float32), EMPTY_I32], {"T": F32, "sorted": True}, ["float32", "int32"],
     "k must be scalar, got shape [0]"),
    ("Switch", [np.ones([2], np.float32), np.zeros([0], bool)], {"T": F32}, ["float32", "float32"],
     "The second input must be a scalar, but it has shape [0]"),
    ("Assert", [np.zeros([0], bool)], {"T": [], "summarize": 3}, [], "In[0] should be a scalar: [0]"),
    ("RandomUniformInt", [np.array([2], np.int32), EMPTY_I64, np.int64(5)], {"T": I32, "Tout": I64, "seed": 1, "seed2": 2},
     ["int64"], "minval must be 0-D, got shape [0]"),
    ("ShardedFilename", [np.array([], object), np.int32(0), np.int32(1)], {}, ["string"],
     "ShardedFilename expects scalar inputs"),
]


@pytest.mark.parametrize("case", SCALAR_CASES, ids=[c[0] for c in SCALAR_CASES])
def test_an_empty_tensor_where_a_scalar_belongs_is_refused_not_read(case):
    op, inputs, attrs, out_dtypes, message = case
    input_dtypes = ["string" if x.dtype == object else x.dtype.name for x in inputs]
    code, msg = error_of(lambda: run_op(op, inputs, attrs, out_dtypes=out_dtypes, input_dtypes=input_dtypes))
    assert (code, msg) == (INVALID_ARGUMENT, message)


def test_a_scalar_of_the_wrong_width_is_refused():
    # The kernel reads int32 minval/maxval; an int64 scalar must not be read as int32.
    args = [np.array([2], np.int32), np.int64(0), np.int64(5)]
    code, msg = error_of(lambda: run_op("RandomUniformInt", args, {"T": I32, "Tout": I32, "seed": 1, "seed2": 2},
                                        out_dtypes=["int32"]))
    assert code == INVALID_ARGUMENT and "must be int32" in msg


# -- integer arithmetic wraps, as TF's does ---------------------------------------------------

def wrapped(value, bits):
    """A Python int reduced to a signed `bits`-wide two's-complement value."""
    return (value + 2 ** (bits - 1)) % 2 ** bits - 2 ** (bits - 1)


INT32_MAX, INT32_MIN = 2 ** 31 - 1, -2 ** 31

WRAP_CASES = [
    ("AddV2", [np.int32(INT32_MAX), np.int32(1)], np.int32(INT32_MIN)),
    ("Sub", [np.int32(INT32_MIN), np.int32(1)], np.int32(INT32_MAX)),
    ("Mul", [np.int32(2 ** 20), np.int32(2 ** 20)], np.int32(0)),
    ("Mul", [np.int64(2 ** 62), np.int64(4)], np.int64(0)),
    ("Pow", [np.int32(3), np.int32(40)], np.int32(689956897)),  # 3**40 mod 2**32, as TF gives
    ("Pow", [np.int64(3), np.int64(80)], np.int64(wrapped(3 ** 80, 64))),
    ("Square", [np.int32(2 ** 20)], np.int32(0)),
    ("Neg", [np.int32(INT32_MIN)], np.int32(INT32_MIN)),
    ("Abs", [np.int32(INT32_MIN)], np.int32(INT32_MIN)),
    ("AddN", [np.int32(INT32_MAX), np.int32(INT32_MAX)], np.int32(-2)),
    ("SquaredDifference", [np.int32(INT32_MAX), np.int32(INT32_MIN)], np.int32(1)),
]


@pytest.mark.parametrize("case", WRAP_CASES, ids=["%s-%s" % (c[0], c[1][0].dtype) for c in WRAP_CASES])
def test_integer_elementwise_ops_wrap_around(case):
    op, inputs, want = case
    attrs = {"T": tf.as_dtype(inputs[0].dtype)}
    if op == "AddN":
        attrs["N"] = len(inputs)
    got = run_op(op, inputs, attrs)[0]
    assert got.dtype == want.dtype and got == want


def test_integer_reductions_and_matmul_wrap_around():
    x = np.array([INT32_MAX, 5], np.int32)
    assert run_op("Sum", [x, np.int32(0)], {"T": I32, "Tidx": I32, "keep_dims": False})[0] == np.int32(-2147483644)
    y = np.array([2 ** 20, 2 ** 20], np.int32)
    assert run_op("Prod", [y, np.int32(0)], {"T": I32, "Tidx": I32, "keep_dims": False})[0] == np.int32(0)
    a = np.full([2, 3], 2 ** 30, np.int32)
    got = run_op("MatMul", [a, a.T.copy()], {"T": I32, "transpose_a": False, "transpose_b": False})[0]
    assert np.array_equal(got, np.full([2, 2], wrapped(3 * 2 ** 60, 32), np.int32))
    h = np.full([1, 2, 2], 30000, np.int16)
    got = run_op("BatchMatMulV2", [h, h], {"T": tf.int16, "adj_x": False, "adj_y": False})[0]
    assert np.array_equal(got, np.full([1, 2, 2], wrapped(2 * 30000 ** 2, 16), np.int16))


@pytest.mark.parametrize("op,want", [("FloorDiv", INT32_MIN), ("TruncateDiv", INT32_MIN), ("Div", INT32_MIN),
                                     ("FloorMod", 0), ("TruncateMod", 0)])
def test_int_min_divided_by_minus_one_is_tfs_value_not_a_trap(op, want):
    assert run_op(op, [np.int32(INT32_MIN), np.int32(-1)], {"T": I32})[0] == np.int32(want)


def test_integer_division_by_zero_is_invalid_argument():
    code, msg = error_of(lambda: run_op("FloorDiv", [np.int32(3), np.int32(0)], {"T": I32}))
    assert (code, msg) == (INVALID_ARGUMENT, "Integer division by zero")


# -- fed arrays at any alignment --------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float64", "int64", "float32", "complex128"])
def test_a_misaligned_view_is_read_correctly(dtype):
    item = np.dtype(dtype).itemsize
    raw = bytearray(1 + 6 * item)
    a = np.frombuffer(raw, dtype=dtype, count=6, offset=1).reshape(2, 3)
    assert a.ctypes.data % item != 0
    a[...] = np.arange(6).reshape(2, 3)
    aligned = a.copy()
    op = "MatMul" if dtype != "int64" else "BatchMatMulV2"
    attrs = {"T": tf.as_dtype(dtype)}
    attrs.update({"transpose_a": False, "transpose_b": True} if op == "MatMul" else {"adj_x": False, "adj_y": True})
    got = run_op(op, [a, a], attrs)[0]
    assert np.array_equal(got, run_op(op, [aligned, aligned], attrs)[0])
    assert np.array_equal(got, aligned @ aligned.T)


# -- error text --------------------------------------------------------------------------------

def test_a_message_with_bytes_that_are_not_utf8_stays_a_typed_error():
    s = OpSession("Assert", ["bool", "string"], {"T": [tf.string], "summarize": 3})
    with pytest.raises(_core.StatusError) as e:
        s.run([np.bool_(False), np.array(b"caf\xe9\xff", dtype=object)])
    assert status_code(e.value) == INVALID_ARGUMENT
    assert "caf\\xe9\\xff" in e.value.args[1]


# -- Ctrl-C in a host kernel (checkpoint IO runs Python inside the executor) ------------------

def _seed_model():
    import os
    import metarun as mtf
    seed = os.path.join(os.path.dirname(__file__), "fixtures", "cases", "seed_ex1_ref")
    g = mtf.Graph()
    with g.as_default():
        saver = mtf.train.import_meta_graph(os.path.join(seed, "model_ex1.meta"))
    return g, saver, os.path.join(seed, "model_ex1")


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt()


@pytest.mark.parametrize("where", ["restore", "save"])
def test_ctrl_c_during_checkpoint_io_is_keyboard_interrupt_and_the_session_stays_usable(where, tmp_path, monkeypatch):
    import os
    import metarun as mtf
    from metarun.bundle import v2
    g, saver, prefix = _seed_model()
    sess = mtf.Session(graph=g)
    feed = {"v1:0": 12.0, "v2:0": 3.3}
    if where == "save":
        saver.restore(sess, prefix)
    target = v2.BundleWriter if where == "save" else v2.BundleReader
    with monkeypatch.context() as m:
        m.setattr(target, "add" if where == "save" else "lookup", _interrupt)
        with pytest.raises(KeyboardInterrupt):
            if where == "save":
                saver.save(sess, str(tmp_path / "m"))
            else:
                saver.restore(sess, prefix)
    if where == "save":
        assert os.listdir(tmp_path) == []  # nothing half-written
        saver.save(sess, str(tmp_path / "m"))
    else:
        saver.restore(sess, prefix)
    assert sess.run("v4:0", feed) == np.float32(59.6)


# -- attrs from the graph ----------------------------------------------------------------------

@pytest.mark.parametrize("num", [0, -1, 2 ** 31])
def test_dynamic_partition_refuses_num_partitions_out_of_range(num):
    args = [np.ones([2], np.float32), np.array([0, 0], np.int32)]
    code, msg = error_of(lambda: run_op("DynamicPartition", args, {"T": F32, "num_partitions": num},
                                        out_dtypes=["float32"]))
    assert code == INVALID_ARGUMENT
    assert ("out of range for an int32" if num >= 2 ** 31 else "must be at least minimum 1") in msg


def test_a_next_iteration_outside_any_loop_is_refused_instead_of_iterating_forever():
    import metarun as mtf
    from metarun.framework import protos
    gd = protos.GraphDef()
    c = gd.node.add(name="c", op="Const")
    c.attr["dtype"].type = 1
    c.attr["value"].tensor.dtype = 1
    c.attr["value"].tensor.float_val.append(1.0)
    m = gd.node.add(name="m", op="Merge", input=["c", "ni"])
    m.attr["T"].type, m.attr["N"].i = 1, 2
    gd.node.add(name="ni", op="NextIteration", input=["m"]).attr["T"].type = 1
    with mtf.Graph().as_default():
        mtf.import_graph_def(gd, name="")
        with mtf.Session() as s:
            with pytest.raises(mtf.errors.InvalidArgumentError, match="NextIteration node 'ni' is not inside a loop"):
                s.run("m:0")


# -- a Const's value is decoded with its shape checked first; the reason names the node -------

def _const_graph(shape, dtype=1, content=None, float_vals=(), int_vals=()):
    from metarun.framework import protos
    gd = protos.GraphDef()
    n = gd.node.add(name="c", op="Const")
    n.attr["dtype"].type = 1
    t = n.attr["value"].tensor
    t.dtype = dtype
    for d in shape:
        t.tensor_shape.dim.add(size=d)
    if content is not None:
        t.tensor_content = content
    t.float_val.extend(float_vals)
    t.int_val.extend(int_vals)
    return gd


def _run_const(gd):
    import metarun as mtf
    with mtf.Graph().as_default():
        mtf.import_graph_def(gd, name="")
        with mtf.Session() as s:
            return s.run("c:0")


@pytest.mark.parametrize("shape, message", [
    ([-3], r"Shape \[-3\] is not fully defined for '\{\{node c\}\}"),
    ([2 ** 62, 4], r"Shape \[4611686018427387904,4\] is too large \(more than 2\*\*63 - 1 entries\)"),
])
def test_a_const_whose_shape_is_negative_or_overflows_is_refused_at_import(shape, message):
    with pytest.raises(ValueError, match=message):
        _run_const(_const_graph(shape, float_vals=[1.0]))


@pytest.mark.parametrize("shape, content, message", [
    ([4], b"\0" * 8, "tensor_content holds 8 bytes, float32 \\[4\\] needs 16"),
    ([1], b"\0" * 8, "tensor_content holds 8 bytes, float32 \\[1\\] needs 4"),
    ([2 ** 40], None, "float32 \\[1099511627776\\] needs 4398046511104 bytes, more than this machine's memory"),
])
def test_a_const_value_that_cannot_be_decoded_says_why_when_run(shape, content, message):
    import metarun as mtf
    with pytest.raises(mtf.errors.InvalidArgumentError, match="Cannot parse tensor from proto: " + message) as e:
        _run_const(_const_graph(shape, content=content, float_vals=[] if content else [1.0]))
    assert "(attr 'value' of node c)" in str(e.value) and e.value.op.name == "c"


def test_a_const_value_of_another_dtype_is_tfs_type_mismatch():
    import metarun as mtf
    with pytest.raises(mtf.errors.InvalidArgumentError, match=r"Type mismatch between value \(int32\) and dtype \(float\)"):
        _run_const(_const_graph([], dtype=3, int_vals=[1]))


def test_a_const_with_more_values_than_elements_keeps_the_first():
    np.testing.assert_array_equal(_run_const(_const_graph([2], float_vals=[1, 2, 3])), [1, 2])
