"""tf.random.stateless_*: random tensors fixed by a seed tensor [2], the nodes TF 2.x builds.

The float and integer functions build the V2 ops: a key and counter from the seed
(StatelessRandomGetKeyCounter for alg "auto_select", TF's scrambling spelled out in graph ops
for "philox", the seed itself for "threefry", which TF's CPU kernels refuse at run time), then
StatelessRandom*V2 with the algorithm as an int32 input. stateless_categorical and the TF1
stateless_multinomial build StatelessMultinomial on the seed.
"""

import numpy as np

from metarun.framework import dtypes
from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op, constant, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape
from metarun.ops import array_ops, math_ops
from metarun.ops.gradients_impl import NoGradient
from metarun.ops.random_ops import _shape_tensor
from metarun.ops.scopes import name_scope

_PHILOX, _THREEFRY, _AUTO_SELECT = 1, 2, 3

_FILL_OPS = ("StatelessRandomUniform", "StatelessRandomNormal", "StatelessTruncatedNormal",
             "StatelessRandomUniformInt", "StatelessRandomUniformFullInt")
_FILL_OPS_V2 = ("StatelessRandomUniformV2", "StatelessRandomNormalV2", "StatelessTruncatedNormalV2",
                "StatelessRandomUniformIntV2", "StatelessRandomUniformFullIntV2")

for _t in _FILL_OPS + _FILL_OPS_V2 + ("StatelessMultinomial", "StatelessRandomGetKeyCounter",
                                      "StatelessRandomGetKeyCounterAlg", "StatelessRandomGetAlg"):
    NoGradient(_t)


@si.register(*(_FILL_OPS + _FILL_OPS_V2))
def _fill_shape(op):
    return [si.constant_shape(op.inputs[0])]


@si.register("StatelessRandomGetKeyCounter", "StatelessRandomGetKeyCounterAlg", "StatelessRandomGetAlg")
def _key_counter_shape(op):
    shapes = {"StatelessRandomGetKeyCounter": [[1], [2]], "StatelessRandomGetKeyCounterAlg": [[1], [2], []],
              "StatelessRandomGetAlg": [[]]}[op.type]
    return [TensorShape(s) for s in shapes]


@si.register("StatelessMultinomial")
def _multinomial_shape(op):
    logits = op.inputs[0].shape
    n = si.constant_value(op.inputs[1])
    batch = None if logits.ndims is None else logits.dims[0]
    return [TensorShape([batch, None if n is None else int(n)])]


def _alg_to_int(alg):
    if isinstance(alg, (int, np.integer)) or hasattr(alg, "op"):
        return alg
    if hasattr(alg, "value"):  # an Algorithm enum member
        return alg.value
    if isinstance(alg, str):
        canon = alg.strip().lower().replace("-", "").replace("_", "")
        names = {"philox": _PHILOX, "threefry": _THREEFRY, "autoselect": _AUTO_SELECT}
        if canon in names:
            return names[canon]
    raise ValueError(_alg_error(alg))


def _uint32s_to_uint64(x):
    return math_ops.bitwise_or(math_ops.cast(x[0], dtypes.uint64),
                               math_ops.left_shift(math_ops.cast(x[1], dtypes.uint64),
                                                   constant(32, dtypes.uint64)))


def _key_counter_alg(seed, alg):
    """TF's get_key_counter_alg: the key, counter and algorithm for the V2 ops."""
    alg = _alg_to_int(_AUTO_SELECT if alg is None else alg)
    if alg == _AUTO_SELECT:
        key, counter = apply_op("StatelessRandomGetKeyCounter", seed=seed)
    elif alg == _PHILOX:
        # The V1 ops' scrambling, spelled out.
        key = constant([0x02461E293EC8F720], dtypes.uint64)
        counter = math_ops.cast(seed, dtypes.uint64)
        mix = apply_op("StatelessRandomUniformFullIntV2", shape=[4], key=key, counter=counter,
                       dtype=dtypes.uint32, alg=_PHILOX)
        key = array_ops.reshape(_uint32s_to_uint64(mix[:2]), [1])
        counter = array_ops.stack([0, _uint32s_to_uint64(mix[2:])], axis=0)
    elif alg == _THREEFRY:
        key = array_ops.reshape(_uint32s_to_uint64(math_ops.cast(seed, dtypes.uint32)), [1])
        counter = array_ops.zeros([1], dtypes.uint64)
    else:
        raise ValueError(_alg_error(alg))
    return key, counter, alg


def _alg_error(alg):
    names = ("philox", "threefry", "auto_select") if isinstance(alg, str) else (_PHILOX, _THREEFRY, _AUTO_SELECT)
    return ("Argument `alg` got unsupported value %s. Supported values are %s for the Philox algorithm, "
            "%s for the ThreeFry algorithm, and %s for auto-selection." % ((alg,) + names))


_UNIFORM_DTYPES = (dtypes.float16, dtypes.bfloat16, dtypes.float32, dtypes.float64, dtypes.int32, dtypes.int64,
                   dtypes.uint32, dtypes.uint64)


def stateless_random_uniform(shape, seed, minval=0, maxval=None, dtype=dtypes.float32, name=None,
                             alg="auto_select"):
    dtype = dtypes.as_dtype(dtype)
    if dtype not in _UNIFORM_DTYPES:
        raise ValueError("Argument `dtype` got invalid value %s. Accepted dtypes are %s."
                         % (dtype, _UNIFORM_DTYPES))
    if dtype.is_integer:
        if (minval is None) != (maxval is None):
            raise ValueError("For integer `dtype` argument %s, argument `minval` and `maxval` must be both None "
                             "or not None. Got `minval`=%s and `maxval`=%s." % (dtype, minval, maxval))
        if minval is not None and dtype in (dtypes.uint32, dtypes.uint64):
            raise ValueError("Argument `dtype` got invalid value %s when argument `minval` is not None. Please "
                             "don't use unsigned integers in this case." % dtype)
    elif maxval is None:
        maxval = 1
    with name_scope(name, "stateless_random_uniform", [shape, seed, minval, maxval]) as name:
        shape = _shape_tensor(shape)
        if dtype.is_integer and minval is None:
            key, counter, alg = _key_counter_alg(seed, alg)
            result = apply_op("StatelessRandomUniformFullIntV2", shape=shape, key=key, counter=counter,
                              dtype=dtype, alg=alg, name=name)
        else:
            minval = convert_to_tensor(minval, dtype=dtype, name="min")
            maxval = convert_to_tensor(maxval, dtype=dtype, name="max")
            key, counter, alg = _key_counter_alg(seed, alg)
            if dtype.is_integer:
                result = apply_op("StatelessRandomUniformIntV2", shape=shape, key=key, counter=counter,
                                  minval=minval, maxval=maxval, alg=alg, name=name)
            else:
                rnd = apply_op("StatelessRandomUniformV2", shape=shape, key=key, counter=counter, dtype=dtype,
                               alg=alg)
                result = apply_op("AddV2", x=apply_op("Mul", x=rnd, y=apply_op("Sub", x=maxval, y=minval,
                                                                                name="sub"), name="mul"),
                                  y=minval, name=name)
        return result


def _scaled(op_type, default_name, shape, seed, mean, stddev, dtype, name, alg):
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, default_name, [shape, seed, mean, stddev]) as name:
        shape = _shape_tensor(shape)
        mean = convert_to_tensor(mean, dtype=dtype, name="mean")
        stddev = convert_to_tensor(stddev, dtype=dtype, name="stddev")
        key, counter, alg = _key_counter_alg(seed, alg)
        rnd = apply_op(op_type, shape=shape, key=key, counter=counter, dtype=dtype, alg=alg)
        return apply_op("AddV2", x=apply_op("Mul", x=rnd, y=stddev, name="mul"), y=mean, name=name)


def stateless_random_normal(shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None,
                            alg="auto_select"):
    return _scaled("StatelessRandomNormalV2", "stateless_random_normal", shape, seed, mean, stddev, dtype,
                   name, alg)


def stateless_truncated_normal(shape, seed, mean=0.0, stddev=1.0, dtype=dtypes.float32, name=None,
                               alg="auto_select"):
    return _scaled("StatelessTruncatedNormalV2", "stateless_truncated_normal", shape, seed, mean, stddev,
                   dtype, name, alg)


def _multinomial(logits, num_samples, dtype, seed):
    logits = convert_to_tensor(logits, name="logits")
    dtype = dtypes.as_dtype(dtype) if dtype else dtypes.int64
    if dtype not in (dtypes.int32, dtypes.int64):
        raise ValueError("Argument `dtype` got invalid value %s. Accepted dtypes are (tf.int32, tf.int64)."
                         % dtype)
    return apply_op("StatelessMultinomial", logits=logits, num_samples=num_samples, seed=seed,
                    output_dtype=dtype)


def stateless_multinomial(logits, num_samples, seed, output_dtype=dtypes.int64, name=None):
    with name_scope(name, "stateless_multinomial", [logits, seed]):
        return _multinomial(logits, num_samples, output_dtype, seed)


def stateless_categorical(logits, num_samples, seed, dtype=dtypes.int64, name=None):
    with name_scope(name, "stateless_categorical", [logits, seed]):
        return _multinomial(logits, num_samples, dtype, seed)
