"""SerializeSparse, SerializeManySparse, DeserializeSparse and DeserializeManySparse against the
TF-made cases of sparse_serialize.json (gen_sparse_serialize.py): serialized strings byte for byte,
deserialized SparseTensors exactly, errors by code and message; the variant form as TF's round
trip Serialize(Many)Sparse(out_type=variant) -> DeserializeSparse."""
import base64
import json

import numpy as np
import pytest

from metarun import _core
from metarun.framework import dtypes
from op_harness import (BF16, OpSession, add_node, add_placeholder, assert_covers_registry, assert_matches,
                        enum, feed_array, kernel_fixture, status_code)

OPS = ("SerializeSparse", "SerializeManySparse", "DeserializeSparse", "DeserializeManySparse")


def _array(ref):
    if ref["dtype"] == "string":
        out = np.empty(len(ref["items"]), dtype=object)
        out[:] = [base64.b64decode(x) for x in ref["items"]]
        return out.reshape(ref["shape"])
    dt = BF16 if ref["dtype"] == "bfloat16" else np.dtype(ref["dtype"])
    return np.frombuffer(base64.b64decode(ref["b64"]), dtype=dt).reshape(ref["shape"])


with open(kernel_fixture("sparse_serialize.json")) as _f:
    CASES = json.load(_f)
OP_CASES = [c for c in CASES if c["kind"] == "op"]
VARIANT_CASES = [c for c in CASES if c["kind"] == "variant"]


def _attrs(case):
    return {k: dtypes.as_dtype(v["type"]) for k, v in case["attrs"].items()}


def _claims():
    cov = {op: set() for op in OPS}
    for c in CASES:
        if "error" in c:
            continue
        if c["kind"] == "variant":
            cov["SerializeManySparse" if c["many"] else "SerializeSparse"].add(c["dtype"])
            cov["DeserializeSparse"].add(c["want_dtype"])
        elif c["op"] in cov:
            cov[c["op"]].add(c["attrs"]["T" if c["op"].startswith("Serialize") else "dtype"]["type"])
    return cov


COVERAGE = _claims()


def _compare(outs, case):
    assert len(outs) == len(case["outputs"])
    for k, (got, ref) in enumerate(zip(outs, case["outputs"])):
        want = _array(ref)
        if ref["dtype"] == "bfloat16":
            got = np.asarray(got).view(BF16)
        assert_matches(got, want, what="%s output %d" % (case["name"], k))


def _good_inputs(case):
    """Inputs of a successful case of the same op and attrs: what runs after a failed run."""
    for c in OP_CASES:
        if c["op"] == case["op"] and c["attrs"] == case["attrs"] and "error" not in c:
            return [_array(r) for r in c["inputs"]]
    raise AssertionError("no good case for " + case["name"])


@pytest.mark.parametrize("case", OP_CASES, ids=[c["name"] for c in OP_CASES])
def test_op_case(case):
    inputs = [_array(r) for r in case["inputs"]]
    if case["attrs"].get("out_type") == {"type": "variant"}:
        # a variant cannot be fetched: the op runs inside the round trip
        return _variant_error(case, inputs)
    sess = OpSession(case["op"], [r["dtype"] for r in case["inputs"]], _attrs(case), case["out_dtypes"])
    if "error" in case:
        with pytest.raises(_core.StatusError) as info:
            sess.run(inputs)
        assert (status_code(info.value), info.value.args[1]) == tuple(case["error"])
        sess.run(_good_inputs(case))  # the session still runs
        return
    _compare(sess.run(inputs), case)


class _RoundTrip(object):
    """Placeholders -> Serialize(Many)Sparse(out_type=variant) -> DeserializeSparse(dtype)."""

    def __init__(self, many, dtype, want_dtype):
        g = _core.Graph()
        self.dtypes = ["int64", dtype, "int64"]
        self.feeds = [(add_placeholder(g, "in%d" % i, d), 0) for i, d in enumerate(self.dtypes)]
        ser = add_node(g, "ser", "SerializeManySparse" if many else "SerializeSparse", self.feeds, ["variant"],
                       T=dtypes.as_dtype(dtype), out_type=dtypes.variant)
        self.op = add_node(g, "op", "DeserializeSparse", [ser], ["int64", want_dtype, "int64"],
                           dtype=dtypes.as_dtype(want_dtype), Tserialized=dtypes.variant)
        self.sess = _core.Session(g, 1)

    def run(self, inputs):
        values = [(feed_array(x, d), enum(d)) for x, d in zip(inputs, self.dtypes)]
        return self.sess.run(self.feeds, values, [(self.op, k) for k in range(3)], [])


def _variant_error(case, inputs):
    many = case["op"] == "SerializeManySparse"
    rt = _RoundTrip(many, case["attrs"]["T"]["type"], case["attrs"]["T"]["type"])
    with pytest.raises(_core.StatusError) as info:
        rt.run(inputs)
    assert (status_code(info.value), info.value.args[1]) == tuple(case["error"])
    good = [c for c in VARIANT_CASES if c["name"] == "variant_%s-float32" % ("many" if many else "one")][0]
    _compare(rt.run([_array(r) for r in good["inputs"]]), good)  # the session still runs


@pytest.mark.parametrize("case", VARIANT_CASES, ids=[c["name"] for c in VARIANT_CASES])
def test_variant_round_trip(case):
    rt = _RoundTrip(case["many"], case["dtype"], case["want_dtype"])
    inputs = [_array(r) for r in case["inputs"]]
    if "error" in case:
        with pytest.raises(_core.StatusError) as info:
            rt.run(inputs)
        assert (status_code(info.value), info.value.args[1]) == tuple(case["error"])
        return
    _compare(rt.run(inputs), case)


def test_variant_output_cannot_be_fetched():
    # TF: InternalError "Tensorflow type 21 not convertible to numpy dtype."
    g = _core.Graph()
    feeds = [(add_placeholder(g, "in%d" % i, d), 0) for i, d in enumerate(["int64", "float32", "int64"])]
    ser = add_node(g, "ser", "SerializeSparse", feeds, ["variant"], T=dtypes.float32, out_type=dtypes.variant)
    sess = _core.Session(g, 1)
    values = [(np.zeros((1, 1), np.int64), enum("int64")), (np.ones(1, np.float32), enum("float32")),
              (np.array([2], np.int64), enum("int64"))]
    with pytest.raises(_core.StatusError) as info:
        sess.run(feeds, values, [(ser, 0)], [])
    assert status_code(info.value) == 13
    assert info.value.args[1] == "Tensorflow type 21 not convertible to numpy dtype."


def _proto(dtype_enum, dims, *fields):
    """Hand-written TensorProto bytes: dtype, shape, then raw (tag, payload) fields."""
    def varint(v):
        out = b""
        while v >= 0x80:
            out += bytes([(v & 0x7F) | 0x80])
            v >>= 7
        return out + bytes([v])
    shape = b"".join(b"\x12" + varint(len(varint(d)) + 1) + b"\x08" + varint(d) for d in dims)
    return b"\x08" + varint(dtype_enum) + b"\x12" + varint(len(shape)) + shape + b"".join(fields)


def test_hostile_sizes_fail_cleanly():
    # A 20-byte proto claiming 2**40 indices: the allocation is refused, not attempted, and the
    # session runs on.
    sess = OpSession("DeserializeManySparse", ["string"], {"dtype": dtypes.float32}, ["int64", "float32", "int64"])
    good = _good_inputs({"op": "DeserializeManySparse", "attrs": {"dtype": {"type": "float32"}}})
    huge = _proto(9, [2 ** 40, 1], b"\x50\x01")  # int64_val = 1
    bad = np.array([[huge, good[0][0, 1], good[0][0, 2]]], dtype=object)
    with pytest.raises(_core.StatusError) as info:
        sess.run([bad])
    assert status_code(info.value) in (3, 8)  # the shape check or TF's OOM
    sess.run(good)


def test_every_registered_dtype_is_claimed():
    assert_covers_registry({op: COVERAGE[op] for op in OPS})
