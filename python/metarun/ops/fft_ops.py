"""tf.signal's (and tf.spectral's) FFT functions, built as TF 2.21's fft_ops.py builds them.

fft/ifft/fft2d/ifft2d/fft3d/ifft3d are the raw ops. The real transforms convert their input,
infer fft_length from the static shape when it is not given (IRFFT's innermost as
2 * (n - 1)), or from a Shape slice when the shape is not fully known, pad the input up to
fft_length with a Pad op (the kernels only crop), and pass a known fft_length as its constant,
so the graph carries TF's Const/Pad/<op> nodes under the wrapper's name scope. The static
shapes are registered here; the gradients are in fft_grad."""

import numpy as np

from metarun.framework import dtypes
from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape
from metarun.ops import array_ops, math_ops
from metarun.ops.scopes import name_scope

_COMPLEX_OF = {dtypes.float32: dtypes.complex64, dtypes.float64: dtypes.complex128}


def _complex_fn(op_type):
    def fn(input, name=None):  # noqa: A002 -- TF's name
        return apply_op(op_type, input=input, name=name)
    fn.__name__ = op_type.lower()
    return fn


fft = _complex_fn("FFT")
ifft = _complex_fn("IFFT")
fft2d = _complex_fn("FFT2D")
ifft2d = _complex_fn("IFFT2D")
fft3d = _complex_fn("FFT3D")
ifft3d = _complex_fn("IFFT3D")


def _with_rank_at_least(x, rank):
    if x.shape.ndims is not None and x.shape.ndims < rank:
        raise ValueError("Shape %s must have rank at least %d" % (x.shape, rank))


def _fft_shape(x, fft_rank):
    dims = x.shape.dims
    return None if dims is None else list(dims[len(dims) - fft_rank:])


def _infer_length(x, fft_rank, inverse):
    shape = _fft_shape(x, fft_rank)
    if shape is None or any(d is None for d in shape):
        dims = array_ops.shape(x)[-fft_rank:]
        if not inverse:
            return dims
        parts = array_ops.unstack(dims)
        parts[-1] = math_ops.maximum(0, 2 * (parts[-1] - 1))
        return array_ops.stack(parts)
    if inverse and shape:
        shape[-1] = max(0, 2 * (shape[-1] - 1))
    return convert_to_tensor([int(d) for d in shape], dtypes.int32)


def _pad_to_length(x, fft_rank, fft_length, inverse):
    """x padded with zeros up to fft_length (IRFFT: innermost up to fft_length // 2 + 1)."""
    if x.shape.ndims is not None and any(d == 0 for d in x.shape.dims):
        return x
    known = si.constant_value(fft_length)
    if known is not None and x.shape.ndims is not None:
        want = [int(v) for v in np.reshape(known, [-1])]
        have = x.shape.dims[x.shape.ndims - len(want):] if want else []
        if all(d is not None for d in have):
            if inverse:
                want[-1] = want[-1] // 2 + 1
            paddings = [[0, max(w - h, 0)] for w, h in zip(want, have)]
            if any(p > 0 for _, p in paddings):
                return array_ops.pad(x, [[0, 0]] * max(x.shape.ndims - len(want), 0) + paddings)
            return x
    input_rank = array_ops.rank(x)
    have = array_ops.shape(x)[-fft_rank:]
    outer = math_ops.maximum(0, input_rank - fft_rank)
    outer_paddings = array_ops.zeros([outer], fft_length.dtype)
    if inverse:
        fft_length = array_ops.concat([fft_length[:-1], fft_length[-1:] // 2 + 1], 0)
    fft_paddings = math_ops.maximum(0, fft_length - have)
    paddings = array_ops.concat([outer_paddings, fft_paddings], 0)
    paddings = array_ops.stack([array_ops.zeros_like(paddings), paddings], axis=1)
    return array_ops.pad(x, paddings)


def _real_fn(op_type, fft_rank, default_name, inverse):
    def fn(input_tensor, fft_length=None, name=None):
        with name_scope(name, default_name, [input_tensor, fft_length]) as name:
            if inverse:
                x = convert_to_tensor(input_tensor, preferred_dtype=dtypes.complex64)
                _with_rank_at_least(x, fft_rank)
                if x.dtype.base_dtype not in (dtypes.complex64, dtypes.complex128):
                    raise ValueError("IRFFT requires tf.complex64 or tf.complex128 inputs, got: %s" % x)
            else:
                x = convert_to_tensor(input_tensor, preferred_dtype=dtypes.float32)
                if x.dtype.base_dtype not in (dtypes.float32, dtypes.float64):
                    raise ValueError("RFFT requires tf.float32 or tf.float64 inputs, got: %s" % x)
                _with_rank_at_least(x, fft_rank)
            if fft_length is None:
                fft_length = _infer_length(x, fft_rank, inverse)
            else:
                fft_length = convert_to_tensor(fft_length, dtypes.int32)
            x = _pad_to_length(x, fft_rank, fft_length, inverse)
            known = si.constant_value(fft_length)
            if known is not None:
                fft_length = known
            if inverse:
                return apply_op(op_type, input=x, fft_length=fft_length, Treal=x.dtype.base_dtype.real_dtype,
                                name=name)
            return apply_op(op_type, input=x, fft_length=fft_length, Tcomplex=_COMPLEX_OF[x.dtype.base_dtype],
                            name=name)
    fn.__name__ = default_name
    return fn


rfft = _real_fn("RFFT", 1, "rfft", False)
irfft = _real_fn("IRFFT", 1, "irfft", True)
rfft2d = _real_fn("RFFT2D", 2, "rfft2d", False)
irfft2d = _real_fn("IRFFT2D", 2, "irfft2d", True)
rfft3d = _real_fn("RFFT3D", 3, "rfft3d", False)
irfft3d = _real_fn("IRFFT3D", 3, "irfft3d", True)

_RANK = {"FFT": 1, "IFFT": 1, "FFT2D": 2, "IFFT2D": 2, "FFT3D": 3, "IFFT3D": 3,
         "RFFT": 1, "IRFFT": 1, "RFFT2D": 2, "IRFFT2D": 2, "RFFT3D": 3, "IRFFT3D": 3}


def _input_dims(op):
    s = op.inputs[0].shape
    rank = _RANK[op.type]
    if s.ndims is not None and s.ndims < rank:
        raise ValueError("Shape must be at least rank %d but is rank %d for '%s' (op: '%s')"
                         % (rank, s.ndims, op.name, op.type))
    return rank, s


@si.register("FFT", "IFFT", "FFT2D", "IFFT2D", "FFT3D", "IFFT3D")
def _complex_shape(op):
    return [_input_dims(op)[1]]


@si.register("RFFT", "IRFFT", "RFFT2D", "IRFFT2D", "RFFT3D", "IRFFT3D")
def _real_shape(op):
    rank, s = _input_dims(op)
    if s.ndims is None:
        return [TensorShape(None)]
    length = si.constant_value(op.inputs[1])
    dims = list(s.dims)
    if length is None:
        dims[-rank:] = [None] * rank
        return [TensorShape(dims)]
    length = [int(v) for v in np.reshape(length, [-1])]
    if len(length) != rank:
        raise ValueError("Dimension must be %d but is %d for '%s' (op: '%s')" % (rank, len(length), op.name, op.type))
    if op.type.startswith("RFFT"):
        length[-1] = length[-1] // 2 + 1
    dims[-rank:] = length
    return [TensorShape(dims)]
