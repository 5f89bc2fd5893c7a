"""tf.TensorShape against what TensorFlow returned for the same expressions
(tests/fixtures/gen_pyapi.py, TENSOR_SHAPE_CASES): reprs, errors and messages."""
import pytest

import metarun as tf
from pyapi_replay import expected, gen


def test_every_recorded_case_is_replayed():
    assert sorted(expected()["tensor_shape"]) == sorted(gen.TENSOR_SHAPE_CASES)


@pytest.mark.parametrize("expr", gen.TENSOR_SHAPE_CASES)
def test_tensor_shape_case(expr):
    assert gen.tensor_shape_cases(tf)[expr] == expected()["tensor_shape"][expr]
