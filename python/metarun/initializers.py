"""tf.initializers: TF1's initializer classes and the variable-initializer ops under short names."""

from metarun.framework import dtypes as _dtypes
from metarun.framework.variables import (  # noqa: F401
    global_variables_initializer as global_variables, local_variables_initializer as local_variables,
    variables_initializer as variables)
from metarun.ops.init_ops import (  # noqa: F401
    Constant as constant, Identity as identity, Ones as ones, Orthogonal as orthogonal,
    RandomNormal as random_normal, RandomUniform as random_uniform,
    TruncatedNormal as truncated_normal, UniformUnitScaling as uniform_unit_scaling,
    VarianceScaling as variance_scaling, Zeros as zeros)
from metarun.ops import init_ops as _init_ops


class glorot_uniform(_init_ops.VarianceScaling):  # noqa: N801 -- TF's name
    """Uniform in +-sqrt(6 / (fan_in + fan_out))."""

    def __init__(self, seed=None, dtype=_dtypes.float32):
        super().__init__(scale=1.0, mode="fan_avg", distribution="uniform", seed=seed, dtype=dtype)

    def get_config(self):
        return {"seed": self.seed, "dtype": self.dtype.name}


class glorot_normal(_init_ops.VarianceScaling):  # noqa: N801 -- TF's name
    """Truncated normal with stddev sqrt(2 / (fan_in + fan_out))."""

    def __init__(self, seed=None, dtype=_dtypes.float32):
        super().__init__(scale=1.0, mode="fan_avg", distribution="truncated_normal", seed=seed, dtype=dtype)

    def get_config(self):
        return {"seed": self.seed, "dtype": self.dtype.name}


def he_normal(seed=None):
    return _init_ops.VarianceScaling(scale=2., mode="fan_in", distribution="truncated_normal", seed=seed)


def he_uniform(seed=None):
    return _init_ops.VarianceScaling(scale=2., mode="fan_in", distribution="uniform", seed=seed)


def lecun_normal(seed=None):
    return _init_ops.VarianceScaling(scale=1., mode="fan_in", distribution="truncated_normal", seed=seed)


def lecun_uniform(seed=None):
    return _init_ops.VarianceScaling(scale=1., mode="fan_in", distribution="uniform", seed=seed)


def tables_initializer(name="init_all_tables"):
    """An op running every table initializer of the graph (a NoOp when there is none)."""
    from metarun.framework.graph import GraphKeys, get_default_graph
    from metarun.ops.control_flow_ops import group, no_op
    initializers = get_default_graph().get_collection(GraphKeys.TABLE_INITIALIZERS)
    if initializers:
        return group(*initializers, name=name)
    return no_op(name=name)
