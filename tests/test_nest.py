"""tf.nest against TensorFlow 2.21 (gen_pyapi.nest_cases): sorted dict keys, namedtuples,
leaves (strings, sets, arrays, None), packing back in the model's key order, and the exact
errors of assert_same_structure, pack_sequence_as and map_structure."""
import pytest

import metarun as tf
from pyapi_replay import as_json, expected, gen

_GOT = {}


def _got():
    if not _GOT:
        _GOT.update(as_json(gen.nest_cases(tf)))
    return _GOT


@pytest.mark.parametrize("case", sorted(expected()["nest"]))
def test_case(case):
    assert _got()[case] == expected()["nest"][case]
