"""tf.spectral (TF 1.x's name for tf.signal's FFTs): the FFT functions metarun builds."""

from metarun.ops.fft_ops import (  # noqa: F401
    fft, fft2d, fft3d, ifft, ifft2d, ifft3d, irfft, irfft2d, irfft3d, rfft, rfft2d, rfft3d)
from metarun.ops.signal_ops import dct, idct  # noqa: F401
