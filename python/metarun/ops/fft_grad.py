"""Gradients of the FFT family, as TF's signal/fft_ops.py defines them.

The complex transforms are adjoint to their inverses up to the transform size: FFT's gradient
is IFFT(grad) * n, IFFT's is FFT(grad) / n (n the product of the inner dims of grad).
RFFT keeps only half the spectrum, so its gradient adds back what IRFFT's Hermitian folding
drops: the DC term and, for even lengths, the Nyquist term with alternating signs (for RFFT2D
through a DFT matrix over the outer axis). IRFFT's gradient is RFFT(grad) / n with every
interior bin doubled. Like TF's, these take fft_length as given (a cropped input is not
undone), build the inner transform with the public irfft/rfft wrappers, and define none for
RFFT3D/IRFFT3D."""

import numpy as np

from metarun.framework import dtypes
from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op
from metarun.ops import array_ops, fft_ops, math_ops
from metarun.ops.gradients_impl import RegisterGradient


def _size(x, rank):
    return math_ops.reduce_prod(array_ops.shape(x)[-rank:])


def _register_complex(op_type, rank, inverse_fn, forward):
    @RegisterGradient(op_type)
    def _grad(_, grad):
        if forward:
            return inverse_fn(grad) * math_ops.cast(_size(grad, rank), grad.dtype)
        real = grad.dtype.real_dtype
        return inverse_fn(grad) * math_ops.cast(1. / math_ops.cast(_size(grad, rank), real), grad.dtype)
    return _grad


_register_complex("FFT", 1, fft_ops.ifft, True)
_register_complex("IFFT", 1, fft_ops.fft, False)
_register_complex("FFT2D", 2, fft_ops.ifft2d, True)
_register_complex("IFFT2D", 2, fft_ops.fft2d, False)
_register_complex("FFT3D", 3, fft_ops.ifft3d, True)
_register_complex("IFFT3D", 3, fft_ops.fft3d, False)


def _alternating(length, complex_dtype):
    """1, -1, 1, -1, ... of `length`, complex."""
    return math_ops.cast(1 - 2 * (math_ops.range(length) % 2), complex_dtype)


def _dft_matrix(length, complex_dtype):
    """exp(-2 pi i j k / length) for j, k < length."""
    a = array_ops.tile(array_ops.expand_dims(math_ops.range(length), 0), (length, 1))
    b = array_ops.transpose(a, [1, 0])
    return math_ops.exp(-2j * np.pi * math_ops.cast(a * b, complex_dtype) / math_ops.cast(length, complex_dtype))


def _tile_like_batch(matrix, t):
    """`matrix` reshaped to t's rank and tiled over t's batch dims."""
    expanded = array_ops.reshape(
        matrix, array_ops.concat([array_ops.ones([array_ops.rank(t) - 2], dtypes.int32), array_ops.shape(matrix)], 0))
    return array_ops.tile(expanded, array_ops.concat([array_ops.shape(t)[:-2], [1, 1]], 0))


def _register_rfft(op_type, rank, inverse_fn):
    @RegisterGradient(op_type)
    def _grad(op, grad):
        fft_length = op.inputs[1]
        complex_dtype = grad.dtype
        real_dtype = complex_dtype.real_dtype
        input_shape = array_ops.shape(op.inputs[0])
        is_even = math_ops.cast(1 - (fft_length[-1] % 2), complex_dtype)
        y0 = grad[..., 0:1]
        if rank == 1:
            ym = grad[..., -1:]
            extra = y0 + is_even * ym * _alternating(input_shape[-1], complex_dtype)
        else:
            mask = _tile_like_batch(_dft_matrix(input_shape[-2], complex_dtype), y0)
            extra = math_ops.matmul(mask, math_ops.conj(y0))
            ym = grad[..., -1:]
            ym_term = math_ops.matmul(mask, math_ops.conj(ym))
            inner = input_shape[-1]
            ym_term = array_ops.tile(
                ym_term, array_ops.concat([array_ops.ones([array_ops.rank(grad) - 1], dtypes.int32), [inner]], 0)
            ) * _alternating(inner, complex_dtype)
            extra += is_even * ym_term
        input_size = math_ops.cast(_size(op.inputs[0], rank), real_dtype)
        inverse = inverse_fn(grad, fft_length)
        return 0.5 * (inverse * input_size + math_ops.real(extra)), None
    return _grad


def _register_irfft(op_type, rank, forward_fn):
    @RegisterGradient(op_type)
    def _grad(op, grad):
        fft_length = op.inputs[1]
        known = si.constant_value(fft_length)
        if known is not None:
            fft_length = known
        real_dtype = grad.dtype
        complex_dtype = {dtypes.float32: dtypes.complex64, dtypes.float64: dtypes.complex128}[real_dtype]
        is_odd = apply_op("FloorMod", x=fft_length[-1], y=2, name="mod")  # TF names math_ops.mod "mod"
        last = array_ops.shape(op.inputs[0])[-1]
        mask = array_ops.concat([[1.0], 2.0 * array_ops.ones([last - 2 + is_odd], real_dtype),
                                 array_ops.ones([1 - is_odd], real_dtype)], 0)
        rsize = math_ops.reciprocal(math_ops.cast(_size(grad, rank), real_dtype))
        forward = forward_fn(grad, fft_length)
        return forward * math_ops.cast(rsize * mask, complex_dtype), None
    return _grad


_register_rfft("RFFT", 1, fft_ops.irfft)
_register_rfft("RFFT2D", 2, fft_ops.irfft2d)
_register_irfft("IRFFT", 1, fft_ops.rfft)
_register_irfft("IRFFT2D", 2, fft_ops.rfft2d)
