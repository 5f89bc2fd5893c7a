"""Python values and mixed dtypes meeting ops (operators, tf.add/matmul/truediv, lists, tf.constant)
against what TensorFlow did for the same expressions (tests/fixtures/gen_pyapi.py, CONVERSION_CASES):
the result's dtype and value, or the error's class and message, and the nodes left in the graph."""
import functools

import pytest

import metarun as tf
from pyapi_replay import expected, gen


@functools.lru_cache(maxsize=None)
def _replayed():
    return gen.conversion_cases(tf)


def test_every_recorded_case_is_replayed():
    assert sorted(expected()["conversion"]) == sorted(gen.CONVERSION_CASES)


@pytest.mark.parametrize("expr", gen.CONVERSION_CASES)
def test_conversion_case(expr):
    assert _replayed()[expr] == expected()["conversion"][expr]
