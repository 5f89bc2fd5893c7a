"""Shuffle datasets and seed generators against TF: the exact orders TF's graphs yield for fixed
seeds (op and graph seeds, negative and 64-bit ones, (0, 0) turned into 2**31 - 1 by the Python
layer), buffers smaller than, equal to and larger than the data, shuffle-all buffers, repeat epochs
and re-initialization, shuffle-and-repeat (V1, V2) with its epochs in one buffer, and V2/V3 with
anonymous and dummy seed generators (tests/fixtures/kernels/gen_dataset_io.py). Unseeded shuffles
are checked as permutations that change between passes. Hand-built graphs cover what TF 2.21
cannot run or its Python API does not write."""
import numpy as np
import pytest

import metarun as tf
from metarun import _core

from dataset_io_replay import decode, load_cases, replay
from op_harness import Shape, add_const, add_node

COVERAGE = {op: set() for op in (
    "ShuffleDataset", "ShuffleDatasetV2", "ShuffleDatasetV3", "ShuffleAndRepeatDataset", "ShuffleAndRepeatDatasetV2",
    "AnonymousSeedGenerator", "AnonymousRandomSeedGenerator", "DummySeedGenerator", "DeleteSeedGenerator",
    "DeleteRandomSeedGenerator")}

ALL_CASES = load_cases()
CASES = {name: c for name, c in ALL_CASES.items() if name.startswith("shuffle")}


@pytest.mark.parametrize("name", sorted(CASES))
def test_tf_case(name):
    replay(CASES[name])


# ---- hand-built graphs ------------------------------------------------------------------------

I64, VARIANT, RES = "int64", "variant", "resource"
TYPED = dict(output_types=[tf.int64], output_shapes=[Shape([])])


def _i64(g, name, v):
    return add_const(g, name, np.int64(v))


def _range(g, n):
    return add_node(g, "range", "RangeDataset", [_i64(g, "r0", 0), _i64(g, "r1", n), _i64(g, "r2", 1)], [VARIANT],
                    **TYPED)


def _passes(g, ds, n_passes=1, limit=1000, extra_targets=()):
    """Each pass: initialize, then every element until the end."""
    it = add_node(g, "it", "IteratorV2", [], [RES], shared_name="", container="", **TYPED)
    make = add_node(g, "make", "MakeIterator", [ds, it], [])
    nxt = add_node(g, "next", "IteratorGetNext", [it], [I64], **TYPED)
    sess = _core.Session(g, 1)
    out = []
    for _ in range(n_passes):
        sess.run([], [], [], [make] + list(extra_targets))
        out.append([])
        for _ in range(limit):
            try:
                out[-1].append(int(sess.run([], [], [(nxt, 0)], [])[0]))
            except _core.StatusError as e:
                assert e.args[0] == 11, e
                break
    return out


def _tf_passes(name):
    out = []
    for step in ALL_CASES[name]["sessions"][0]:
        if "init" in step:
            out.append([])
        elif "next" in step:
            out[-1].append(decode(step["next"]))
    return out


def _anonymous_v2(g, op, n=12, buffer_size=5):
    inputs = [_i64(g, "s", 12), _i64(g, "s2", 34)]
    if op == "AnonymousSeedGenerator":
        inputs.append(add_const(g, "reshuffle", np.bool_(True)))
    gen = add_node(g, "gen", op, inputs, [RES, VARIANT])
    ds = add_node(g, "shuffle", "ShuffleDatasetV2", [_range(g, n), _i64(g, "b", buffer_size), (gen, 0)], [VARIANT],
                  **TYPED)
    return gen, add_node(g, "repeat", "RepeatDataset", [ds, _i64(g, "count", 2)], [VARIANT], **TYPED)


def test_anonymous_random_seed_generator_is_a_reshuffling_one():
    # TF 2.21 fails this older op (its kernel asks for a `reshuffle` input the op lacks); the
    # TF 2.2-2.3 graphs that carry it meant AnonymousSeedGenerator with reshuffle: TF's order
    # for that is the expected one.
    g = _core.Graph()
    _, ds = _anonymous_v2(g, "AnonymousRandomSeedGenerator")
    assert _passes(g, ds, 2) == _tf_passes("shuffle_v2_anonymous")


@pytest.mark.parametrize("delete_op", ["DeleteSeedGenerator", "DeleteRandomSeedGenerator"])
def test_delete_seed_generator(delete_op):
    g = _core.Graph()
    gen, ds = _anonymous_v2(g, "AnonymousSeedGenerator")
    it = add_node(g, "it", "IteratorV2", [], [RES], shared_name="", container="", **TYPED)
    make = add_node(g, "make", "MakeIterator", [ds, it], [])
    # The dataset keeps its generator once made: deleting the resource afterwards changes nothing.
    dele = add_node(g, "delete", delete_op, [(gen, 0), (gen, 1)], [], control_inputs=[make])
    nxt = add_node(g, "next", "IteratorGetNext", [it], [I64], **TYPED)
    sess = _core.Session(g, 1)
    sess.run([], [], [], [make, dele])
    got = [int(sess.run([], [], [(nxt, 0)], [])[0]) for _ in range(24)]
    want = _tf_passes("shuffle_v2_anonymous")[0]
    assert got == want


def test_v2_without_a_generator_shuffles_at_random():
    # A handle to no generator (the dummy) makes ShuffleDatasetV2 fall back on random seeds.
    g = _core.Graph()
    dummy = add_node(g, "dummy", "DummySeedGenerator", [], [RES])
    ds = add_node(g, "shuffle", "ShuffleDatasetV2", [_range(g, 40), _i64(g, "b", 40), dummy], [VARIANT], **TYPED)
    a, b = _passes(g, ds, 2)
    assert sorted(a) == sorted(b) == list(range(40)) and a != b


def test_zero_seeds_are_random_per_dataset():
    # Seeds (0, 0) as a hand-built graph passes them (TF's Python layer never does): fresh
    # random seeds each time the op runs.
    g = _core.Graph()
    ds = add_node(g, "shuffle", "ShuffleDataset", [_range(g, 40), _i64(g, "b", 10), _i64(g, "s", 0), _i64(g, "s2", 0)],
                  [VARIANT], reshuffle_each_iteration=False, **TYPED)
    a, b = _passes(g, ds, 2)
    assert sorted(a) == sorted(b) == list(range(40)) and a != b


@pytest.mark.parametrize("op,args,message", [
    ("ShuffleDataset", dict(b=0), "buffer_size must be greater than zero or UNKNOWN_CARDINALITY"),
    ("ShuffleDataset", dict(b=-1), "buffer_size must be greater than zero or UNKNOWN_CARDINALITY"),
    ("ShuffleDataset", dict(s=np.array([1], np.int64)), "seed must be a scalar"),
    ("ShuffleAndRepeatDataset", dict(count=0), "count must be greater than zero or equal to -1."),
    ("ShuffleAndRepeatDataset", dict(count=-2), "count must be greater than zero or equal to -1."),
])
def test_bad_arguments(op, args, message):
    g = _core.Graph()
    vals = dict(b=4, s=1, s2=2, count=3)
    vals.update(args)
    names = ["b", "s", "s2"] + (["count"] if op == "ShuffleAndRepeatDataset" else [])
    inputs = [_range(g, 5)] + [add_const(g, k, np.asarray(vals[k], np.int64)) for k in names]
    ds = add_node(g, "shuffle", op, inputs, [VARIANT], **TYPED)
    with pytest.raises(_core.StatusError) as info:
        _passes(g, ds)
    assert info.value.args[0] == 3 and message in str(info.value)


def test_large_buffer_over_a_long_input_holds_only_the_buffer():
    # buffer_size far beyond the data: TF would allocate its ring up front; the order does not
    # depend on it (shuffle_large_buffer), so a huge buffer_size costs nothing here.
    g = _core.Graph()
    ds = add_node(g, "shuffle", "ShuffleDataset",
                  [_range(g, 1000), _i64(g, "b", 1 << 40), _i64(g, "s", 3), _i64(g, "s2", 4)], [VARIANT], **TYPED)
    (a,) = _passes(g, ds, 1, limit=2000)
    assert sorted(a) == list(range(1000)) and a != list(range(1000))
