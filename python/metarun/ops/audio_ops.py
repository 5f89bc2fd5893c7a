"""The audio ops of TF's speech models: tf.audio.decode_wav / encode_wav and the raw
audio_spectrogram / mfcc builders (TF1 scripts reach them through gen_audio_ops or
contrib's audio_ops), with TF's static shapes. None of them has a gradient in TF."""

from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op
from metarun.framework.tensor_shape import TensorShape


def decode_wav(contents, desired_channels=-1, desired_samples=-1, name=None):
    return apply_op("DecodeWav", contents=contents, desired_channels=desired_channels,
                    desired_samples=desired_samples, name=name)


def encode_wav(audio, sample_rate, name=None):
    return apply_op("EncodeWav", audio=audio, sample_rate=sample_rate, name=name)


def audio_spectrogram(input, window_size, stride, magnitude_squared=False, name=None):  # noqa: A002 -- TF's name
    return apply_op("AudioSpectrogram", input=input, window_size=window_size, stride=stride,
                    magnitude_squared=magnitude_squared, name=name)


def mfcc(spectrogram, sample_rate, upper_frequency_limit=4000, lower_frequency_limit=20,
         filterbank_channel_count=40, dct_coefficient_count=13, name=None):
    return apply_op("Mfcc", spectrogram=spectrogram, sample_rate=sample_rate,
                    upper_frequency_limit=upper_frequency_limit, lower_frequency_limit=lower_frequency_limit,
                    filterbank_channel_count=filterbank_channel_count,
                    dct_coefficient_count=dct_coefficient_count, name=name)


def _require_rank(op, index, want):
    s = op.inputs[index].shape
    if s.ndims is not None and s.ndims != want:
        raise ValueError("Shape must be rank %d but is rank %d for '%s' (op: '%s')"
                         % (want, s.ndims, op.name, op.type))
    return s


@si.register("DecodeWav")
def _decode_wav_shape(op):
    _require_rank(op, 0, 0)
    dims = []
    for attr, what in (("desired_samples", "samples"), ("desired_channels", "channels")):
        v = op.get_attr(attr)
        if v < -1:
            raise ValueError("%s must be non-negative, got %d for '%s' (op: '%s')" % (what, v, op.name, op.type))
        dims.append(None if v == -1 else v)
    return [TensorShape(dims), TensorShape([])]


@si.register("EncodeWav")
def _encode_wav_shape(op):
    _require_rank(op, 0, 2)
    _require_rank(op, 1, 0)
    return [TensorShape([])]


@si.register("AudioSpectrogram")
def _spectrogram_shape(op):
    s = _require_rank(op, 0, 2)
    window, stride = op.get_attr("window_size"), op.get_attr("stride")
    width = 1
    while width < window:
        width <<= 1
    width = width // 2 + 1
    if s.ndims is None:
        return [TensorShape([None, None, width])]
    samples, channels = s.dims[0], s.dims[1]
    height = None
    if samples is not None and stride > 0:
        height = 0 if samples < window else 1 + (samples - window) // stride
    return [TensorShape([channels, height, width])]


@si.register("Mfcc")
def _mfcc_shape(op):
    s = _require_rank(op, 0, 3)
    _require_rank(op, 1, 0)
    head = [None, None] if s.ndims is None else list(s.dims[:2])
    return [TensorShape(head + [op.get_attr("dct_coefficient_count")])]
