"""tf.signal: the FFT functions metarun builds."""

from metarun.ops.fft_ops import (  # noqa: F401
    fft, fft2d, fft3d, ifft, ifft2d, ifft3d, irfft, irfft2d, irfft3d, rfft, rfft2d, rfft3d)
from metarun.ops.signal_ops import (  # noqa: F401
    dct, fftshift, frame, hamming_window, hann_window, idct, ifftshift, inverse_mdct, inverse_stft,
    inverse_stft_window_fn, linear_to_mel_weight_matrix, mdct, mfccs_from_log_mel_spectrograms, overlap_and_add,
    stft, vorbis_window)
from metarun.ops.signal_ops import kaiser_bessel_derived_window, kaiser_window  # noqa: F401
