"""tf.random_*: random tensors with TF's seeds (graph seed + op seed -> seed, seed2)."""

import numpy as np

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
    """A shape argument as TF's shape_tensor makes it: a Const (or Pack) named 'shape'."""
    if hasattr(shape, "op"):
        return shape
    if hasattr(shape, "as_list"):
        shape = shape.as_list()
    if isinstance(shape, (list, tuple)) and not shape:
        return convert_to_tensor(np.zeros([0], np.int32), name="shape")
    return convert_to_tensor(shape, name="shape")


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
        # [0, 1) floats need neither bound: TF then adds no Consts for them.
        min_is_zero = type(minval) is int and minval == 0
        max_is_one = type(maxval) is int and maxval == 1
        if not min_is_zero or not max_is_one or dtype.is_integer:
            minval = convert_to_tensor(minval, dtype=dtype, name="min")
            maxval = convert_to_tensor(maxval, dtype=dtype, name="max")
        if dtype.is_integer:
            return apply_op("RandomUniformInt", shape=shape, minval=minval, maxval=maxval, name=name,
                            **_seed_attrs(seed))
        rnd = apply_op("RandomUniform", shape=shape, dtype=dtype, **_seed_attrs(seed))
        if min_is_zero:
            return rnd if max_is_one else apply_op("Mul", x=rnd, y=maxval)
        return apply_op("AddV2", x=apply_op("Mul", x=rnd, y=apply_op("Sub", x=maxval, y=minval, name="sub"),
                                           name="mul"), y=minval, name=name)


def _scaled(op_type, shape, mean, stddev, dtype, seed, name, default_name):
    with name_scope(name, default_name, [shape, mean, stddev]) as name:
        shape = _shape_tensor(shape)
        mean = convert_to_tensor(mean, dtype=dtype, name="mean")
        stddev = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        rnd = apply_op(op_type, shape=shape, dtype=dtype, **_seed_attrs(seed))
        return apply_op("AddV2", x=apply_op("Mul", x=rnd, y=stddev, name="mul"), y=mean, name=name)


def random_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    return _scaled("RandomStandardNormal", shape, mean, stddev, dtype, seed, name, "random_normal")


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=dtypes.float32, seed=None, name=None):
    return _scaled("TruncatedNormal", shape, mean, stddev, dtype, seed, name, "truncated_normal")


def random_shuffle(value, seed=None, name=None):
    return apply_op("RandomShuffle", value=value, name=name, **_seed_attrs(seed))


def _categorical(logits, num_samples, dtype, seed):
    logits = convert_to_tensor(logits, name="logits")
    return apply_op("Multinomial", logits=logits, num_samples=num_samples, output_dtype=dtype or dtypes.int64,
                    **_seed_attrs(seed))


def multinomial(logits, num_samples, seed=None, name=None, output_dtype=None):
    with name_scope(name, "multinomial", [logits]):
        return _categorical(logits, num_samples, output_dtype, seed)


def categorical(logits, num_samples, dtype=None, seed=None, name=None):
    with name_scope(name, "categorical", [logits]):
        return _categorical(logits, num_samples, dtype, seed)


def random_poisson(lam, shape, dtype=dtypes.float32, seed=None, name=None):
    with name_scope(name, "random_poisson", [lam, shape]):
        shape = _shape_tensor(shape)
        return apply_op("RandomPoissonV2", shape=shape, rate=lam, dtype=dtype, **_seed_attrs(seed))
