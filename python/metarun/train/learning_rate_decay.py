"""tf.train learning-rate schedules: a tensor of the global step, built as TF 2.x's v1 functions
build it in a graph (one name scope per schedule, `initial_learning_rate` first, every other
number cast to its dtype, the step cast last), so graphs and numbers are TF's."""

import math

from metarun.framework import dtypes
from metarun.framework.op_builder import constant, convert_to_tensor
from metarun.ops import array_ops, control_flow_ops, math_ops
from metarun.ops.scopes import name_scope


def _require_step(global_step):
    if global_step is None:
        raise ValueError("None values not supported.")


def exponential_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None):
    """learning_rate * decay_rate ** (global_step / decay_steps), the exponent floored when
    `staircase`."""
    _require_step(global_step)
    with name_scope(name, "ExponentialDecay", []) as name:
        lr = convert_to_tensor(learning_rate, name="initial_learning_rate")
        dtype = lr.dtype
        decay_steps = math_ops.cast(decay_steps, dtype)
        decay_rate = math_ops.cast(decay_rate, dtype)
        p = math_ops.cast(global_step, dtype) / decay_steps
        if staircase:
            p = math_ops.floor(p)
        return math_ops.multiply(lr, math_ops.pow(decay_rate, p), name=name)


def natural_exp_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None):
    """learning_rate * exp(-decay_rate * global_step / decay_steps): exponential_decay of
    exp(-decay_rate)."""
    _require_step(global_step)
    rate = math_ops.exp(math_ops.negative(decay_rate))
    return exponential_decay(learning_rate, global_step, decay_steps, rate, staircase=staircase, name=name)


def inverse_time_decay(learning_rate, global_step, decay_steps, decay_rate, staircase=False, name=None):
    """learning_rate / (1 + decay_rate * global_step / decay_steps)."""
    _require_step(global_step)
    with name_scope(name, "InverseTimeDecay", []) as name:
        lr = convert_to_tensor(learning_rate, name="initial_learning_rate")
        dtype = lr.dtype
        decay_steps = math_ops.cast(decay_steps, dtype)
        decay_rate = math_ops.cast(decay_rate, dtype)
        p = math_ops.cast(global_step, dtype) / decay_steps
        if staircase:
            p = math_ops.floor(p)
        one = math_ops.cast(constant(1), dtype)
        denom = math_ops.add(one, math_ops.multiply(decay_rate, p))
        return math_ops.divide(lr, denom, name=name)


def polynomial_decay(learning_rate, global_step, decay_steps, end_learning_rate=0.0001, power=1.0, cycle=False,
                     name=None):
    """From learning_rate to end_learning_rate along (1 - step / decay_steps) ** power; with
    `cycle`, decay_steps grows to the next multiple past the step instead of the step stopping."""
    _require_step(global_step)
    with name_scope(name, "PolynomialDecay", []) as name:
        lr = convert_to_tensor(learning_rate, name="initial_learning_rate")
        dtype = lr.dtype
        end_lr = math_ops.cast(end_learning_rate, dtype)
        power_t = math_ops.cast(power, dtype)
        step = math_ops.cast(global_step, dtype)
        steps = math_ops.cast(decay_steps, dtype)
        if cycle:
            multiplier = array_ops.where_v2(math_ops.equal(step, 0), 1.0, math_ops.ceil(step / decay_steps))
            steps = math_ops.multiply(steps, multiplier)
        else:
            step = math_ops.minimum(step, steps)
        p = math_ops.divide(step, steps)
        return math_ops.add(math_ops.multiply(lr - end_lr, math_ops.pow(1 - p, power_t)), end_lr, name=name)


def piecewise_constant(x, boundaries, values, name=None):
    """values[i] while boundaries[i-1] < x <= boundaries[i] (values[0] up to the first
    boundary, values[-1] past the last), as a tf.case of exclusive conditions."""
    if len(boundaries) != len(values) - 1:
        raise ValueError("The length of boundaries should be 1 less than the length of values")
    boundaries = [convert_to_tensor(b) for b in _flatten(boundaries)]
    values = [convert_to_tensor(v) for v in _flatten(values)]
    x = convert_to_tensor(x)
    boundaries = _boundaries_like(boundaries, x)
    for v in values[1:]:
        if v.dtype.base_dtype != values[0].dtype.base_dtype:
            raise ValueError("Values must have elements all with the same dtype (%s vs %s)."
                             % (values[0].dtype.base_dtype, v.dtype.base_dtype))
    with name_scope(name, "PiecewiseConstant", []):
        boundaries = _boundaries_like(boundaries, x)
        pairs = [(x <= boundaries[0], lambda: values[0]), (x > boundaries[-1], lambda: values[-1])]
        for low, high, v in zip(boundaries[:-1], boundaries[1:], values[1:-1]):
            pairs.append(((x > low) & (x <= high), lambda v=v: v))
        return control_flow_ops.case(pairs, lambda: values[0], exclusive=True)


def _boundaries_like(boundaries, x):
    out = []
    for b in boundaries:
        if b.dtype.base_dtype != x.dtype.base_dtype:
            # int32 boundaries (Python ints) widen to an int64 step without loss; nothing else converts.
            if b.dtype.base_dtype == dtypes.int32 and x.dtype.base_dtype == dtypes.int64:
                b = math_ops.cast(b, x.dtype.base_dtype)
            else:
                raise ValueError("Boundaries (%s) must have the same dtype as x (%s)."
                                 % (b.dtype.base_dtype, x.dtype.base_dtype))
        out.append(b)
    return out


def _flatten(values):
    out = []
    for v in values:
        out.extend(_flatten(v) if isinstance(v, (list, tuple)) else [v])
    return out


def _half_cosine(fraction, dtype):
    """0.5 * (1 + cos(pi * fraction))."""
    return 0.5 * (1.0 + math_ops.cos(constant(math.pi, dtype=dtype) * fraction))


def cosine_decay(learning_rate, global_step, decay_steps, alpha=0.0, name=None):
    """learning_rate * ((1 - alpha) * half-cosine(step / decay_steps) + alpha), the step stopping
    at decay_steps."""
    _require_step(global_step)
    with name_scope(name, "CosineDecay", []):
        lr = convert_to_tensor(learning_rate, name="initial_learning_rate")
        dtype = lr.dtype
        steps = math_ops.cast(decay_steps, dtype)
        step = math_ops.minimum(math_ops.cast(global_step, dtype), steps)
        decayed = (1 - alpha) * _half_cosine(step / steps, dtype) + alpha
        return math_ops.multiply(lr, decayed)


def cosine_decay_restarts(learning_rate, global_step, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                          name=None):
    """Cosine decay restarted after first_decay_steps, each period t_mul times longer than the
    last and its peak m_mul times the last one (SGDR)."""
    _require_step(global_step)
    with name_scope(name, "SGDRDecay", []) as name:
        lr = convert_to_tensor(learning_rate, name="initial_learning_rate")
        dtype = lr.dtype
        first = math_ops.cast(first_decay_steps, dtype)
        alpha = math_ops.cast(alpha, dtype)
        t_mul = math_ops.cast(t_mul, dtype)
        m_mul = math_ops.cast(m_mul, dtype)
        fraction = math_ops.cast(global_step, dtype) / first

        def periods_equal():
            restart = math_ops.floor(fraction)
            return restart, fraction - restart

        def periods_growing():
            restart = math_ops.floor(math_ops.log(1.0 - fraction * (1.0 - t_mul)) / math_ops.log(t_mul))
            done = (1.0 - t_mul ** restart) / (1.0 - t_mul)
            return restart, (fraction - done) / t_mul ** restart

        restart, fraction = control_flow_ops.cond(math_ops.equal(t_mul, 1.0), periods_equal, periods_growing)
        m_fac = m_mul ** restart
        cosine = 0.5 * m_fac * (1.0 + math_ops.cos(constant(math.pi, dtype=dtype) * fraction))
        decayed = (1 - alpha) * cosine + alpha
        return math_ops.multiply(lr, decayed, name=name)


def linear_cosine_decay(learning_rate, global_step, decay_steps, num_periods=0.5, alpha=0.0, beta=0.001,
                        name=None):
    """learning_rate * ((alpha + linear) * cosine + beta): a linear decay times num_periods
    half-cosines, over decay_steps."""
    _require_step(global_step)
    with name_scope(name, "LinearCosineDecay", []) as name:
        lr = convert_to_tensor(learning_rate, name="initial_learning_rate")
        dtype = lr.dtype
        steps = math_ops.cast(decay_steps, dtype)
        num_periods = math_ops.cast(num_periods, dtype)
        alpha = math_ops.cast(alpha, dtype)
        beta = math_ops.cast(beta, dtype)
        step = math_ops.minimum(math_ops.cast(global_step, dtype), steps)
        linear = (steps - step) / steps
        completed = step / steps
        fraction = 2.0 * num_periods * completed
        cosine = _half_cosine(fraction, dtype)
        decayed = (alpha + linear) * cosine + beta
        return math_ops.multiply(lr, decayed, name=name)


def noisy_linear_cosine_decay(learning_rate, global_step, decay_steps, initial_variance=1.0, variance_decay=0.55,
                              num_periods=0.5, alpha=0.0, beta=0.001, name=None):
    """linear_cosine_decay with Gaussian noise of variance initial_variance / (1 + step) **
    variance_decay added to the linear part."""
    _require_step(global_step)
    from metarun.ops import random_ops
    with name_scope(name, "NoisyLinearCosineDecay", []) as name:
        lr = convert_to_tensor(learning_rate, name="initial_learning_rate")
        dtype = lr.dtype
        steps = math_ops.cast(decay_steps, dtype)
        initial_variance = math_ops.cast(initial_variance, dtype)
        variance_decay = math_ops.cast(variance_decay, dtype)
        num_periods = math_ops.cast(num_periods, dtype)
        alpha = math_ops.cast(alpha, dtype)
        beta = math_ops.cast(beta, dtype)
        step = math_ops.minimum(math_ops.cast(global_step, dtype), steps)
        linear = (steps - step) / steps
        variance = initial_variance / math_ops.pow(1.0 + step, variance_decay)
        std = math_ops.sqrt(variance)
        noisy = linear + random_ops.random_normal(linear.shape, stddev=std)
        completed = step / steps
        fraction = 2.0 * num_periods * completed
        cosine = _half_cosine(fraction, dtype)
        decayed = (alpha + noisy) * cosine + beta
        return math_ops.multiply(lr, decayed, name=name)
