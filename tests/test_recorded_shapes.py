"""A placeholder's or variable's static shape after import: its `shape` attr merged with the
`_output_shapes` its writer recorded (a producer <= 21 placeholder's `shape {}` meaning unknown),
TF's ValueError when they conflict, and the feed check that follows — against what TensorFlow
returned for the same GraphDefs (tests/fixtures/gen_pyapi.py, RECORDED_SHAPE_CASES)."""
import pytest

import metarun as tf
from pyapi_replay import expected, gen


def test_every_recorded_case_is_replayed():
    assert sorted(expected()["recorded_shapes"]) == sorted(repr(c) for c in gen.RECORDED_SHAPE_CASES)


@pytest.fixture(scope="module")
def ours():
    return gen.recorded_shape_cases(tf)


@pytest.mark.parametrize("case", [repr(c) for c in gen.RECORDED_SHAPE_CASES])
def test_recorded_shape_case(case, ours):
    assert ours[case] == expected()["recorded_shapes"][case]


# The placeholder cases TF imports (inspect describes a file TF refuses, too, but has no
# shape of TF's to agree with there).
INSPECTED = [c for c in gen.RECORDED_SHAPE_CASES if c[1] == "Placeholder" and c[2] is not None
             and "ok" in expected()["recorded_shapes"][repr(c)]]


@pytest.mark.parametrize("case", INSPECTED)
def test_inspect_reports_the_shape_the_api_gives(case, tmp_path, capsys):
    import json

    from metarun import cli
    producer, op, attr, recorded = case
    meta = tf.MetaGraphDef()
    meta.graph_def.versions.producer = producer
    node = meta.graph_def.node.add()
    node.name, node.op = "x", op
    node.attr["dtype"].type = 1
    node.attr["shape"].shape.SetInParent()
    gen._shape_proto(node.attr["shape"].shape, attr)
    if recorded is not None:
        gen._shape_proto(node.attr["_output_shapes"].list.shape.add(), recorded)
    path = tmp_path / "m.meta"
    path.write_bytes(meta.SerializeToString())
    assert cli.main(["inspect", str(path), "--json"]) == cli.EXIT_OK
    reported = json.loads(capsys.readouterr().out)["placeholders"][0]["shape"]
    assert reported == expected()["recorded_shapes"][repr(case)]["ok"][0]
