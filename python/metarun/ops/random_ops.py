"""tf.random_*: random tensors with TF's seeds (graph seed + op seed -> seed, seed2)."""

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.ops.scopes import name_scope

DEFAULT_GRAPH_SEED = 87654321
_MAXINT32 = 2 ** 31 - 1


def get_seed(op_seed):
    """(seed, seed2) for a random op, as TF derives them: with a graph seed, ops without
    their own seed take a per-graph counter (0, 1, 2...); an op seed alone pairs with
    the default graph seed; neither gives (None, None), nondeterministic."""
    g = graph_lib.get_default_graph()
    global_seed = g.seed
    if global_seed is not None:
        if op_seed is None:
            op_seed = getattr(g, "_seed_counter", 0)
            g._seed_counter = op_seed + 1
        seeds = (global_seed % (2 ** 31), op_seed % (2 ** 31))
    elif op_seed is not None:
        seeds = (DEFAULT_GRAPH_SEED, op_seed % (2 ** 31))
    else:
        seeds = (None, None)
    if seeds == (0, 0):
        return 0, _MAXINT32
    return seeds


def set_random_seed(seed):
    graph_lib.get_default_graph().seed = seed


def _shape_tensor(shape):
    if hasattr(shape, "op") or (isinstance(shape, (list, tuple)) and any(hasattr(d, "op") for d in shape)):
        return convert_to_tensor(shape, dtype=dtypes.int32, name="shape")
    import numpy as np
    return convert_to_tensor(np.array(list(shape), np.int32), name="shape")


def _seed_attrs(seed):
    s1, s2 = get_seed(seed)
    return {"seed": s1 or 0, "seed2": s2 or 0}


def random_uniform(shape, minval=0, maxval=None, dtype=dtypes.float32, seed=None, name=None):
    dtype = dtypes.as_dtype(dtype)
    if maxval is None:
        if dtype.is_integer:
            raise ValueError("Must specify maxval for integer dtype %r" % dtype)
        maxval = 1
    with name_scope(name, "random_uniform", [shape, minval, maxval]) as name:
        shape = _shape_tensor(shape)
        minval = convert_to_tensor(minval, dtype=dtype, name="min")
        maxval = convert_to_tensor(maxval, dtype=dtype, name="max")
        if dtype.is_integer:
            return apply_op("RandomUniformInt", shape=shape, minval=minval, maxval=maxval, name=name,
                            **_seed_attrs(seed))
        rnd = apply_op("RandomUniform", shape=shape, dtype=dtype, **_seed_attrs(seed))
        return apply_op("AddV2", x=apply_op("Mul", x=rnd, y=apply_op("Sub", x=maxval, y=minval, name="sub"),
                                           name="mul"), y=minval, name=name)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    with name_scope(name, "random_normal", [shape, mean, stddev]) as name:
        shape = _shape_tensor(shape)
        mean = convert_to_tensor(mean, dtype=dtype, name="mean")
        stddev = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        rnd = apply_op("RandomStandardNormal", shape=shape, dtype=dtype, **_seed_attrs(seed))
        return apply_op("AddV2", x=apply_op("Mul", x=rnd, y=stddev, name="mul"), y=mean, name=name)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    with name_scope(name, "truncated_normal", [shape, mean, stddev]) as name:
        shape = _shape_tensor(shape)
        mean = convert_to_tensor(mean, dtype=dtype, name="mean")
        stddev = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        rnd = apply_op("TruncatedNormal", shape=shape, dtype=dtype, **_seed_attrs(seed))
        return apply_op("AddV2", x=apply_op("Mul", x=rnd, y=stddev, name="mul"), y=mean, name=name)


def random_shuffle(value, seed=None, name=None):
    return apply_op("RandomShuffle", value=value, name=name, **_seed_attrs(seed))
