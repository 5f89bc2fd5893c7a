"""The rest of TF's parsing ops against TensorFlow: parsing_2.npz (gen_parsing_2.py) holds graphs
TF built -- tf.io.parse_sequence_example / parse_single_sequence_example (ParseSequenceExampleV2)
and the TF1 ops ParseSequenceExample and ParseSingleSequenceExample, VarLenFeature in
tf.io.parse_example, tf.io.decode_csv, DecodePaddedRaw, tf.io.decode_compressed,
serialize_tensor / parse_tensor and decode_json_example -- with the inputs fed (batches, scalars,
empty batches, malformed records) and TF's outputs or error class and message."""
import json

import numpy as np
import pytest

import metarun as tf
from metarun.framework import protos

from op_harness import fixture_module, kernel_fixture, load_npz

COVERAGE = {
    "ParseSequenceExampleV2": set(), "ParseSequenceExample": set(), "ParseSingleSequenceExample": set(),
    "DecodeCSV": set(), "DecodePaddedRaw": set(), "DecodeCompressed": set(), "SerializeTensor": set(),
    "ParseTensor": set(), "DecodeJSONExample": set(), "DecodeProtoV2": set(), "EncodeProto": set(),
}

FIXTURE = load_npz(kernel_fixture("parsing_2.npz"))
CASES = sorted(k[:-len("/graph")] for k in FIXTURE if k.endswith("/graph"))


def _message(text):
    """The part of TF's message metarun reproduces: up to the serialized bytes TF may quote, or
    the debug string of a proto (TF prints a placeholder link there), or the JSON parser's
    position report (protobuf's wording, with random spacing); of a message DecodeProtoV2 cannot
    read, the class only."""
    text = text.split(", value: '")[0].split("  Feature is:")[0].split("goo.gle")[0]
    if text.startswith("Error while parsing JSON"):
        return "Error while parsing JSON"
    if text.startswith(("CountFields:", "ReadValue:")):  # TF's wire decoder's diagnostics: the class only
        return ""
    return text


def _comparable(value, want):
    value = np.asarray(value)
    if want.dtype.kind == "S":
        return value.astype(bytes)
    if want.dtype.kind == "V":  # bfloat16 as TF's numpy gives it: compare the bits
        return value.view(np.uint16).view(want.dtype)
    return value


@pytest.mark.parametrize("case", CASES)
def test_case_matches_tf(case):
    steps = json.loads(str(FIXTURE[case + "/steps"]))
    with tf.Graph().as_default():
        tf.import_graph_def(protos.GraphDef.FromString(FIXTURE[case + "/graph"].tobytes()), name="")
        with tf.Session() as sess:
            for i, step in enumerate(steps):
                feeds = {k: FIXTURE[v] for k, v in step["feeds"].items()}
                if "error" in step:
                    with pytest.raises(getattr(tf.errors, step["error"])) as info:
                        sess.run(step["fetches"], feeds)
                    assert _message(step["message"]) in str(info.value), (case, i)
                    continue
                got = sess.run(step["fetches"], feeds)
                for name, value, key in zip(step["fetches"], got, step["expect"]):
                    want = FIXTURE[key]
                    value = _comparable(value, want)
                    assert value.shape == want.shape, (case, i, name)
                    assert value.dtype == want.dtype, (case, i, name)
                    np.testing.assert_array_equal(value, want, err_msg="%s step %d %s" % (case, i, name))


def test_fixture_covers_the_ops():
    used = set()
    for case in CASES:
        used |= {n.op for n in protos.GraphDef.FromString(FIXTURE[case + "/graph"].tobytes()).node}
    assert set(COVERAGE) <= used


def _mutations(data, rng, count):
    """Truncations at every length and `count` random byte changes of `data`."""
    out = [data[:i] for i in range(len(data))]
    for _ in range(count):
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            if b:
                b[rng.randint(0, len(b) - 1)] = rng.randint(0, 255)
        out.append(bytes(b))
    return out


def _fed_strings(case):
    """The serialized records a case's steps fed."""
    out = []
    for step in json.loads(str(FIXTURE[case + "/steps"])):
        for key in step["feeds"].values():
            value = FIXTURE[key]
            if value.dtype.kind == "S":
                out += [bytes(v) for v in value.reshape(-1)]
    return out


def test_hostile_sequence_examples_end_in_typed_errors():
    rng = np.random.RandomState(0)
    records = []
    for record in _fed_strings("seq_batch")[:4]:
        records += _mutations(record, rng, 60)
    with tf.Graph().as_default():
        ser = tf.placeholder(tf.string, [None])
        one = tf.placeholder(tf.string, [])
        context = {"c_f": tf.io.FixedLenFeature([2], tf.float32, default_value=[-1.0, -2.0]),
                   "c_i": tf.io.FixedLenFeature([], tf.int64, default_value=0), "c_s": tf.io.VarLenFeature(tf.string)}
        sequence = {"s_f": tf.io.FixedLenSequenceFeature([2], tf.float32, allow_missing=True),
                    "s_i": tf.io.FixedLenSequenceFeature([], tf.int64, allow_missing=True),
                    "s_v": tf.io.VarLenFeature(tf.int64), "s_s": tf.io.VarLenFeature(tf.string)}
        batch = tf.io.parse_sequence_example(ser, context, sequence)
        single = tf.io.parse_single_sequence_example(one, context, sequence)
        examples = tf.io.parse_example(ser, {"c_s": tf.io.VarLenFeature(tf.string),
                                             "c_i": tf.io.FixedLenFeature([], tf.int64, default_value=0)})
        with tf.Session() as sess:
            for r in records:
                for fetches, feed, value in ((batch, ser, [r, r]), (single, one, r), (examples, ser, [r])):
                    try:
                        sess.run(fetches, {feed: value})
                    except tf.errors.InvalidArgumentError:
                        pass
            sess.run(single, {one: records[-1][:0]})


def test_hostile_tensor_protos_end_in_typed_errors():
    rng = np.random.RandomState(1)
    protos_fed = [r for r in _fed_strings("serialize_tensor") if r]
    with tf.Graph().as_default():
        ser = tf.placeholder(tf.string, [])
        parsed = [tf.io.parse_tensor(ser, t) for t in (tf.float32, tf.int32, tf.string, tf.bool, tf.complex64)]
        huge = tf.io.parse_tensor(ser, tf.float32)
        with tf.Session() as sess:
            for proto in protos_fed[:12]:
                for value in _mutations(proto, rng, 40):
                    for p in parsed:
                        try:
                            sess.run(p, {ser: value})
                        except tf.errors.InvalidArgumentError:
                            pass
            # a shape of 2**40 elements with a splat value: TF's OOM error, no allocation attempt
            big = b"\x08\x01\x12\x08\x12\x06\x08\x80\x80\x80\x80\x80\x20*\x04\x00\x00\x80?"
            with pytest.raises((tf.errors.ResourceExhaustedError, tf.errors.InvalidArgumentError)):
                sess.run(huge, {ser: big})
            assert sess.run(parsed[0], {ser: protos_fed[1]}) is not None


def test_hostile_csv_json_and_compressed_inputs_end_in_typed_errors():
    rng = np.random.RandomState(2)
    alphabet = list(b',"\n\r a1.-e|')
    lines = [bytes(rng.choice(alphabet, size=rng.randint(0, 12))) for _ in range(300)]
    jsons = []
    for record in _fed_strings("json_example")[:3]:
        jsons += _mutations(record, rng, 30)[::3]
    with tf.Graph().as_default():
        rec = tf.placeholder(tf.string, [None])
        csv = tf.io.decode_csv(rec, [[0], [0.0], [""]])
        csv_sel = tf.io.decode_csv(rec, [[""], tf.constant([], tf.float64)], field_delim="|", use_quote_delim=False,
                                   na_value="1", select_cols=[0, 2])
        js = tf.io.decode_json_example(rec)
        z = tf.io.decode_compressed(rec, "GZIP")
        with tf.Session() as sess:
            for line in lines:
                for fetches in (csv, csv_sel):
                    try:
                        sess.run(fetches, {rec: [line]})
                    except tf.errors.InvalidArgumentError:
                        pass
            for j in jsons:
                try:
                    sess.run(js, {rec: [j]})
                except tf.errors.InvalidArgumentError:
                    pass
            import gzip
            for g in _mutations(gzip.compress(b"some text " * 8, mtime=0), rng, 30):
                try:
                    sess.run(z, {rec: [g]})
                except tf.errors.DataLossError:
                    pass
            assert sess.run(csv, {rec: [b"1,2,x"]})[2].tolist() == [b"x"]


def test_hostile_protos_for_decode_proto_end_in_typed_errors():
    rng = np.random.RandomState(3)
    graph_def = protos.GraphDef.FromString(FIXTURE["proto/graph"].tobytes())
    node = [n for n in graph_def.node if n.name == "DecodeProtoV2"][0]
    source = node.attr["descriptor_source"].s
    names = list(node.attr["field_names"].list.s)
    types = list(node.attr["output_types"].list.type)
    records = []
    for record in _fed_strings("proto")[:2]:
        records += _mutations(record, rng, 80)
    with tf.Graph().as_default():
        rec = tf.placeholder(tf.string, [None])
        decoded = tf.io.decode_proto(rec, "probe.Probe", [n.decode() for n in names], types,
                                     descriptor_source=source)
        with tf.Session() as sess:
            for r in records:
                try:
                    sess.run(decoded, {rec: [r]})
                except tf.errors.DataLossError:
                    pass
            sizes, _ = sess.run(decoded, {rec: [b""]})
            assert sizes.tolist() == [[0] * len(names)]


API_CASES = fixture_module("parsing_api_cases")
API_ERRORS = json.loads(str(FIXTURE["api_errors"]))


@pytest.mark.parametrize("name", sorted(API_ERRORS))
def test_graph_building_errors_match_tf(name):
    assert API_CASES.run(tf, name) == API_ERRORS[name]
