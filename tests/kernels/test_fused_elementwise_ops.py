"""_FusedElementwise (a group of float32 elementwise nodes as one kernel, made by the plan-time
fusion pass): every step's op against that op's own kernel run node by node, bit for bit, on
NaN, infinities, -0.0, subnormals, the Tanh/Sigmoid/exp range edges and random values; sizes
below, at and across the kernel's 1024-float blocks and empty; scalar and row operands broadcast
over the output; one and two threads. Shapes outside the program are answered with the request
to run the group's own nodes (Unimplemented), which the executor acts on (test_fusion_elementwise
runs that path through plans)."""
import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import OpSession, run_op, status_code

COVERAGE = {"_FusedElementwise": {"float32"}}

F32 = dtypes.float32
UNARY = ["Neg", "Square", "Abs", "Sqrt", "Rsqrt", "Exp", "Log", "Reciprocal", "Inv", "Relu", "Relu6", "Tanh",
         "Sigmoid"]
BINARY = ["Add", "AddV2", "Sub", "Mul", "RealDiv", "Maximum", "Minimum", "SquaredDifference"]
SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1e-40, -1e-40, 1.1754944e-38, 3.4e38, -3.4e38, 1e-20,
                    0.25, -0.3, 0.29999998, 0.3, 0.30000001, 1.0, -1.0, 5.999999, 6.0, 6.000001, 43.4, 87.0,
                    87.5, -87.5, 88.72, 88.8, -88.8, -103.9, -104.5, 1e5, -1e5], np.float32)


def values(n, seed):
    """n floats: the special values first (as many as fit), then random ones of mixed scales."""
    rng = np.random.RandomState(seed)
    out = (rng.randn(n) * np.exp(rng.uniform(-6, 6, n))).astype(np.float32)
    k = min(n, len(SPECIAL))
    out[:k] = np.roll(SPECIAL, seed)[:k]
    return out


def same_bits(a, b):
    assert a.shape == b.shape and a.dtype == b.dtype == np.float32
    np.testing.assert_array_equal(a.view(np.int32), b.view(np.int32))


def fused(ops, args, inputs, threads=1):
    return run_op("_FusedElementwise", inputs, {"T": F32, "ops": ops, "args": args}, num_threads=threads)[0]


def alone(op, *inputs):
    return run_op(op, list(inputs), {"T": F32})[0]


SIZES = [1, 15, 16, 17, 1024, 1025, 3001]


@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("n", SIZES)
def test_unary_step_then_mul_is_the_ops_own_bits(op, n):
    x, y = values(n, 1), values(n, 2)
    # step 0 = op(x), step 1 = step0 * y
    got = fused([op, "Mul"], [0, -1, 2, 1], [x, y])
    same_bits(got, alone("Mul", alone(op, x), y))


@pytest.mark.parametrize("op", BINARY)
@pytest.mark.parametrize("n", SIZES)
def test_binary_step_then_tanh_is_the_ops_own_bits(op, n):
    a, b = values(n, 3), values(n, 4)
    same_bits(fused([op], [0, 1], [a, b]), alone(op, a, b))
    same_bits(fused([op], [1, 0], [a, b]), alone(op, b, a))
    same_bits(fused([op, "Tanh"], [0, 1, 2, -1], [a, b]), alone("Tanh", alone(op, a, b)))
    # both operands one value: x op x
    same_bits(fused([op, "Neg"], [0, 0, 1, -1], [a]), alone("Neg", alone(op, a, a)))


@pytest.mark.parametrize("threads", [1, 2])
def test_lstm_cell_program_across_blocks_and_threads(threads):
    shape = (67, 131)   # blocks of 1024 cut rows; 2 threads split the blocks
    c, i, j, f = (values(67 * 131, s).reshape(shape) for s in range(4))
    one = np.float32(1.0)
    # t0 = f + 1, t1 = sigmoid(t0), t2 = c * t1, t3 = sigmoid(i), t4 = tanh(j), t5 = t3 * t4, t6 = t2 + t5
    ops = ["AddV2", "Sigmoid", "Mul", "Sigmoid", "Tanh", "Mul", "AddV2"]
    args = [3, 4, 5, -1, 0, 6, 1, -1, 2, -1, 8, 9, 7, 10]
    got = fused(ops, args, [c, i, j, f, one], threads)
    want = alone("AddV2", alone("Mul", c, alone("Sigmoid", alone("AddV2", f, one))),
                 alone("Mul", alone("Sigmoid", i), alone("Tanh", j)))
    same_bits(got, want)


@pytest.mark.parametrize("row_shape", [(24,), (1, 24)])
def test_scalar_and_row_operands_broadcast_as_the_separate_ops_do(row_shape):
    x = values(37 * 24, 5).reshape(37, 24)
    row = values(24, 6).reshape(row_shape)
    s0, s1 = np.float32(0.5), np.array([[-2.0]], np.float32)
    # t0 = tanh(row), t1 = t0 + s0 (a row), t2 = x * t1, t3 = t2 - s1, t4 = relu(t3)
    got = fused(["Tanh", "AddV2", "Mul", "Sub", "Relu"], [1, -1, 4, 2, 0, 5, 6, 3, 7, -1], [x, row, s0, s1])
    want = alone("Relu", alone("Sub", alone("Mul", x, alone("AddV2", alone("Tanh", row), s0)), s1))
    same_bits(got, want)
    # the row on the left; rows longer than a block
    wide = values(3 * 1500, 7).reshape(3, 1500)
    brow = values(1500, 8)
    same_bits(fused(["Sub", "Square"], [1, 0, 2, -1], [wide, brow]), alone("Square", alone("Sub", brow, wide)))


def test_empty_inputs_give_an_empty_output():
    x = np.zeros((0, 16), np.float32)
    got = fused(["Tanh", "Mul"], [0, -1, 2, 1], [x, np.float32(2)])
    assert got.shape == (0, 16) and got.dtype == np.float32


@pytest.mark.parametrize("a_shape,b_shape", [((3, 4), (4, 3)), ((8, 1), (1, 16)), ((2, 3), (1, 1, 3)),
                                             ((1, 16), (1, 16, 1))])
def test_other_shapes_ask_for_the_nodes_own_kernels(a_shape, b_shape):
    a = np.ones(a_shape, np.float32)
    b = np.ones(b_shape, np.float32)
    sess = OpSession("_FusedElementwise", [F32, F32], {"T": F32, "ops": ["Mul", "Tanh"], "args": [0, 1, 2, -1]},
                     [F32])
    with pytest.raises(_core.StatusError) as e:
        sess.run([a, b])
    assert status_code(e.value) == 12 and e.value.args[1] == "fused kernel declined the run's inputs"
    same_bits(sess.run([a, a])[0], np.tanh(a))  # the session still runs: tanh(1) is exact in both


@pytest.mark.parametrize("ops,args", [(["Mul"], [0, 5]), (["Mul"], [0]), (["Tanh"], [0, 0]), (["Nope"], [0, -1]),
                                      (["Tanh", "Neg"], [0, -1, 3, -1])])
def test_malformed_programs_are_refused_when_the_plan_is_built(ops, args):
    with pytest.raises(_core.StatusError) as e:
        fused(ops, args, [np.ones(3, np.float32), np.ones(3, np.float32)])
    assert status_code(e.value) in (3, 12)


@pytest.mark.parametrize("op,ref", [("Mul", np.multiply), ("AddV2", np.add), ("Sub", np.subtract),
                                    ("RealDiv", np.divide), ("Minimum", np.minimum), ("Maximum", np.maximum)])
@pytest.mark.parametrize("zero", [0.0, -0.0])
def test_a_signed_zero_scalar_keeps_its_sign_alone_and_fused(op, ref, zero):
    # The SIMD rows once splatted a non-stepping operand as 0 + v, which turns -0.0 into +0.0.
    x = values(53, 9)
    if op in ("Minimum", "Maximum"):
        x = x[x != 0]   # which zero min/max(+0, -0) gives is not IEEE's to say
    s = np.float32(zero)
    with np.errstate(all="ignore"):
        for args, want in [((x, s), ref(x, s)), ((s, x), ref(s, x))]:
            same_bits(alone(op, *args), want)
            same_bits(fused([op], [0, 1], list(args)), want)
