"""tf.train.Example parsing (ParseExampleV2, ParseExample, ParseSingleExample) against TensorFlow:
parse_example.npz holds graphs TF built with tf.io.parse_example / parse_single_example and the
TF1 ops, the serialized Examples fed (packed and unpacked number lists, missing features with and
without defaults, variable-length dense features, sparse features, empty batches) and TF's
outputs or error (gen_parse_example.py)."""
import json

import numpy as np
import pytest

import metarun as tf
from metarun.framework import protos

from op_harness import kernel_fixture, load_npz

COVERAGE = {"ParseExampleV2": set(), "ParseExample": set(), "ParseSingleExample": set()}

FIXTURE = load_npz(kernel_fixture("parse_example.npz"))
CASES = sorted(k[:-len("/graph")] for k in FIXTURE if k.endswith("/graph"))


@pytest.mark.parametrize("case", CASES)
def test_case_matches_tf(case):
    steps = json.loads(str(FIXTURE[case + "/steps"]))
    with tf.Graph().as_default():
        tf.import_graph_def(protos.GraphDef.FromString(FIXTURE[case + "/graph"].tobytes()), name="")
        with tf.Session() as sess:
            for i, step in enumerate(steps):
                feeds = {k: FIXTURE[v] for k, v in step["feeds"].items()}
                if "error" in step:
                    # TF's message up to the serialized bytes it may quote
                    message = step["message"].split(", value: '")[0]
                    with pytest.raises(getattr(tf.errors, step["error"])) as info:
                        sess.run(step["fetches"], feeds)
                    assert message in str(info.value), (case, i)
                    continue
                got = sess.run(step["fetches"], feeds)
                for name, value, key in zip(step["fetches"], got, step["expect"]):
                    want = FIXTURE[key]
                    value = np.asarray(value)
                    if want.dtype.kind == "S":
                        value = value.astype(bytes)
                    assert value.shape == want.shape, (case, i, name)
                    assert value.dtype == want.dtype, (case, i, name)
                    np.testing.assert_array_equal(value, want, err_msg="%s step %d %s" % (case, i, name))


def test_fixture_covers_the_three_ops():
    used = set()
    for case in CASES:
        used |= {n.op for n in protos.GraphDef.FromString(FIXTURE[case + "/graph"].tobytes()).node}
    assert set(COVERAGE) <= used
