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

from op_harness import kernel_fixture, load_npz

COVERAGE = {
    "ParseSequenceExampleV2": set(), "ParseSequenceExample": set(), "ParseSingleSequenceExample": set(),
    "DecodeCSV": set(), "DecodePaddedRaw": set(), "DecodeCompressed": set(), "SerializeTensor": set(),
    "ParseTensor": set(), "DecodeJSONExample": set(),
}

FIXTURE = load_npz(kernel_fixture("parsing_2.npz"))
CASES = sorted(k[:-len("/graph")] for k in FIXTURE if k.endswith("/graph"))


def _message(text):
    """The part of TF's message metarun reproduces: up to the serialized bytes TF may quote, or
    the debug string of a proto (TF prints a placeholder link there), or the JSON parser's
    position report (protobuf's wording, with random spacing)."""
    text = text.split(", value: '")[0].split("  Feature is:")[0].split("goo.gle")[0]
    if text.startswith("Error while parsing JSON"):
        return "Error while parsing JSON"
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
