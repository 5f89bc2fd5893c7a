"""The benchmark cases: one row per (model, batch, way of calling).

A case names its `.meta` (benchmarks/models/), its feeds and fetches by tensor
name, the numpy reference, the FLOPs of one call (for the fraction of sgemm
peak), and the targets: the largest metarun/engine median ratio we aim for
(`goals`), and for some cases an absolute one, metarun's median per unit
(`limit`, seconds).

The `overhead` group measures the executor rather than the kernels: chains of
nodes that do nearly nothing, a small graph called through run and
make_callable, a trivial while loop, and a 20k-node graph of small ops whose
import, first run (planning included) and steady run are timed separately
(`mode`: "run", "import" or "first").
"""

import collections

import numpy as np

import models
import reference

Case = collections.namedtuple("Case", [
    "name", "model", "feeds", "fetches", "numpy", "targets", "after", "callable",
    "flops", "per", "goals", "about", "group", "mode", "limit"])

OVERHEAD = "overhead"


def _case(name, model, feeds, fetches, numpy, targets=(), after=(), callable=False,
          flops=0.0, per=1, goals=None, about="", group="", mode="run", limit=None):
    return Case(name, model, feeds, fetches, numpy, list(targets), list(after), callable,
                flops, per, goals or {}, about, group, mode, limit)


def _mlp_flops(batch):
    sizes = models.MLP_SIZES
    return 2.0 * batch * sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))


def _cnn_flops(batch):
    conv = 2.0 * (28 * 28 * 32 * 9 * 1 + 14 * 14 * 64 * 9 * 32)
    dense = 2.0 * (7 * 7 * 64 * 128 + 128 * 10)
    return batch * (conv + dense)


def make_cases(quick):
    rng = np.random.default_rng(1234)

    def normal(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    def one_hot(batch, classes):
        return np.eye(classes, dtype=np.float32)[rng.integers(0, classes, batch)]

    seed_feeds = {"v1:0": 12.0, "v2:0": 3.3}
    seed_goals = {"tensorflow": 0.02, "onnxruntime": 1.5}
    loops = 10000 if quick else models.LOOP_COUNT
    return [
        _case("seed.run", "seed", seed_feeds, ["v4:0"], reference.make_seed, goals=seed_goals,
              group=OVERHEAD, about="sess.run(v4, {v1: 12.0, v2: 3.3}) with Python floats"),
        _case("seed.callable", "seed", seed_feeds, ["v4:0"], reference.make_seed,
              callable=True, goals=seed_goals, group=OVERHEAD,
              about="f = sess.make_callable(v4, [v1, v2]); f(12.0, 3.3)"),
        _case("mlp.b1", "mlp", {"x:0": normal(1, 784)}, ["probs:0"], reference.make_mlp,
              flops=_mlp_flops(1), goals={"tensorflow": 1.0, "onnxruntime": 1.0}, about="784-512-512-10, batch 1"),
        _case("mlp.b256", "mlp", {"x:0": normal(256, 784)}, ["probs:0"], reference.make_mlp,
              flops=_mlp_flops(256), goals={"tensorflow": 1.0, "onnxruntime": 1.0}, about="784-512-512-10, batch 256"),
        _case("cnn.b64", "cnn", {"x:0": normal(64, 28, 28, 1)}, ["logits:0"], reference.make_cnn,
              flops=_cnn_flops(64), goals={"tensorflow": 1.0, "onnxruntime": 1.0},
              about="conv32-pool-conv64-pool-fc128-fc10, batch 64"),
        _case("train.b128", "mlp_train", {"x:0": normal(128, 784), "y:0": one_hot(128, 10)},
              ["loss:0"], reference.make_mlp_train, targets=["train"], after=["dense2/kernel:0"],
              flops=3 * _mlp_flops(128), goals={"tensorflow": 0.7},
              about="MLP softmax x-entropy + Adam, one run(train_op) per step"),
        _case("train.cnn.b64", "cnn_train", {"x:0": normal(64, 28, 28, 1), "y:0": one_hot(64, 10)},
              ["loss:0"], reference.make_cnn_train, targets=["train"],
              after=["conv0/kernel/Momentum:0", "conv1/kernel:0"], flops=3 * _cnn_flops(64),
              goals={"tensorflow": 0.8},
              about="the CNN + softmax x-entropy + Momentum, one run(train_op) per step"),
        _case("lstm.b32", "lstm",
              {"x:0": normal(32, models.LSTM_STEPS, models.LSTM_INPUT)}, ["outputs:0"],
              reference.make_lstm, goals={"tensorflow": 1.0, "onnxruntime": 1.0},
              flops=2.0 * 32 * models.LSTM_STEPS * (models.LSTM_INPUT + models.LSTM_UNITS)
              * 4 * models.LSTM_UNITS,
              about="dynamic_rnn LSTM %d units, %d steps (v1 while loop)"
              % (models.LSTM_UNITS, models.LSTM_STEPS)),
        _case("while.iter", "while", {"n:0": np.int32(loops)}, ["count:0"], reference.make_while,
              per=loops, goals={"tensorflow": 0.5, "tf.noopt": None}, group=OVERHEAD,
              about="while_loop i+1 to %d, time per iteration" % loops),
    ] + _chain_cases(rng) + _big_cases(rng)


def _chain_cases(rng):
    """Chains of CHAIN_LENGTH nodes, timed per node (a run's fixed cost included:
    chain.base is that cost alone, the summary subtracts it)."""
    n = models.CHAIN_LENGTH
    report = {"tensorflow": None, "tf.noopt": None, "onnxruntime": None}
    cases = [_case("chain.base", "chain", {"x0:0": np.float32(1.5)}, ["base:0"],
                   reference.make_chain_base, goals=report, group=OVERHEAD,
                   about="one Identity on a fed scalar: a run's fixed cost")]
    for rank, shape in sorted(models.CHAIN_SHAPES.items()):
        x = rng.standard_normal(shape).astype(np.float32)
        cases.append(_case(
            "chain.identity.rank%d" % rank, "chain", {"x%d:0" % rank: x}, ["id%d_out:0" % rank],
            reference.make_chain_identity(rank), per=n, goals=report, group=OVERHEAD,
            limit=60e-9, about="%d Identity ops on a fed float32 %s, time per node" % (n, shape)))
    cases.append(_case(
        "chain.addv2.scalar", "chain", {"xa:0": np.float32(1.5)}, ["add_out:0"],
        reference.make_chain_addv2, per=n, goals=report, group=OVERHEAD, limit=150e-9,
        about="x = x + c, %d AddV2 on float32 scalars, time per node" % n))
    return cases


def _big_cases(rng):
    x = rng.standard_normal((8, models.BIG_WIDTH)).astype(np.float32)
    shape = "%d branches x %d residual layers, batch 8 x %d" % (
        models.BIG_BRANCHES, models.BIG_LAYERS, models.BIG_WIDTH)
    common = dict(group=OVERHEAD, feeds={"x:0": x}, fetches=["out:0"], numpy=reference.make_big)
    return [
        _case("big.20k.import", "big", goals={"tensorflow": 0.1}, mode="import",
              about="import_meta_graph of the 20k-node graph (%s)" % shape, **common),
        _case("big.20k.first", "big", goals={"tensorflow": 0.05, "tf.noopt": None}, mode="first",
              about="first sess.run after import and restore (planning included)", **common),
        _case("big.20k.run", "big", goals={"tensorflow": 1.0, "tf.noopt": None,
                                           "onnxruntime": None},
              about="steady sess.run(out, {x: batch})", **common),
    ]
