"""tf.signal's framing, windows, STFT, DCT/MDCT, mel and MFCC functions, and fftshift.

Each is a composite of existing ops built as TF 2.21's tensorflow/python/ops/signal builds it, so
graphs carry the same nodes under the same name scopes. Where TF decides between two builds on
a value known while building, `_known` decides here, and it knows only what TF's Python
constant_value knows: arithmetic on known values is not folded, as in TF."""

import math

import numpy as np

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.ops import array_ops, array_ops_3, control_flow_ops, math_ops
from metarun.ops.bessel_ops import bessel_i0e
from metarun.ops.fft_ops import irfft, rfft
from metarun.ops.nn_ops import relu
from metarun.ops.scopes import name_scope


_known = si.python_constant_value


def _or_known(t):
    v = _known(t)
    return (v, True) if v is not None else (t, False)


def _mod(x, y):
    # TF's math_ops.mod: FloorMod in a 'mod' name scope.
    with name_scope(None, "mod", [x, y]) as name:
        return apply_op("FloorMod", x=x, y=y, name=name)


def _gcd(a, b):
    with name_scope(None, "gcd", [a, b]):
        a, b = convert_to_tensor(a), convert_to_tensor(b)
        a.shape.with_rank(0)
        b.shape.with_rank(0)
        for what, x in (("a", a), ("b", b)):
            if not x.dtype.is_integer:
                raise ValueError("%s must be an integer type. Got: %s" % (what, x.dtype))
        ka, kb = _known(a), _known(b)
        if ka is not None and kb is not None:
            return convert_to_tensor(math.gcd(int(ka), int(kb)))
        return control_flow_ops.while_loop(
            lambda _, y: math_ops.greater(y, array_ops.zeros_like(y)),
            lambda x, y: [y, _mod(x, y)], [a, b], back_prop=False)[0]


def _frame_shape(signal, frame_length, frame_step, pad_end, axis):
    frame_length, frame_step, axis = _known(frame_length), _known(frame_step), _known(axis)
    if signal.shape.ndims is None:
        return None
    if axis is None:
        return [None] * (signal.shape.ndims + 1)
    dims = signal.shape.as_list()
    axis = int(axis)
    length = dims[axis]
    frames = None
    if dims and length is not None:
        if frame_step is not None and pad_end:
            frames = max(0, -(-length // int(frame_step)))
        elif frame_step is not None and frame_length is not None:
            frames = max(0, (length - int(frame_length) + int(frame_step)) // int(frame_step))
    return dims[:axis] + [frames, None if frame_length is None else int(frame_length)] + dims[axis:][1:]


def frame(signal, frame_length, frame_step, pad_end=False, pad_value=0, axis=-1, name=None):
    """Frames of frame_length every frame_step samples along `axis` (a Gather of subframes)."""
    with name_scope(name, "frame", [signal, frame_length, frame_step, pad_value]):
        signal = convert_to_tensor(signal, name="signal")
        frame_length = convert_to_tensor(frame_length, name="frame_length")
        frame_step = convert_to_tensor(frame_step, name="frame_step")
        axis = convert_to_tensor(axis, name="axis")
        signal.shape.with_rank_at_least(1)
        frame_length.shape.with_rank(0)
        frame_step.shape.with_rank(0)
        axis.shape.with_rank(0)
        result_shape = _frame_shape(signal, frame_length, frame_step, pad_end, axis)

        signal_shape, shape_known = _or_known(array_ops.shape(signal))
        axis, axis_known = _or_known(axis)
        if shape_known and axis_known:
            axis = range(len(signal_shape))[int(axis)]
            outer, length, inner = np.split(signal_shape, [axis, axis + 1])
            length = length.item()
        else:
            signal_rank = array_ops.rank(signal)
            axis = math_ops.range(signal_rank)[int(axis) if axis_known else axis]
            outer, length, inner = array_ops.split(signal_shape, [axis, 1, signal_rank - 1 - axis])
            length = array_ops.reshape(length, [])
        num_outer = array_ops.size(outer)
        num_inner = array_ops.size(inner)

        if pad_end:
            pad_value = convert_to_tensor(pad_value, signal.dtype)
            pad_value.shape.with_rank(0)
            num_frames = -(-length // frame_step)
            pad_samples = math_ops.maximum(0, frame_length + frame_step * (num_frames - 1) - length)
            paddings = array_ops.concat([
                array_ops.zeros([num_outer, 2], dtype=pad_samples.dtype),
                convert_to_tensor([[0, pad_samples]]),
                array_ops.zeros([num_inner, 2], dtype=pad_samples.dtype)], 0)
            signal = array_ops.pad(signal, paddings, constant_values=pad_value)
            signal_shape = array_ops.shape(signal)
            length = signal_shape[axis]
        else:
            num_frames = math_ops.maximum(
                convert_to_tensor(0, dtype=frame_length.dtype), 1 + (length - frame_length) // frame_step)

        sub_length, sub_known = _or_known(_gcd(frame_length, frame_step))
        if sub_known:
            sub_length = sub_length[()]
        subs_per_frame = frame_length // sub_length
        subs_per_hop = frame_step // sub_length
        num_subs = length // sub_length

        slice_shape = array_ops.concat([outer, [num_subs * sub_length], inner], 0)
        sub_shape = array_ops.concat([outer, [num_subs, sub_length], inner], 0)
        subframes = array_ops.reshape(
            array_ops.strided_slice(signal, array_ops.zeros_like(signal_shape), slice_shape), sub_shape)
        frame_selector = array_ops.reshape(
            math_ops.range(num_frames, dtype=frame_length.dtype) * subs_per_hop, [num_frames, 1])
        sub_selector = array_ops.reshape(
            math_ops.range(subs_per_frame, dtype=frame_length.dtype), [1, subs_per_frame])
        selector = frame_selector + sub_selector

        outer = convert_to_tensor(outer)
        inner = convert_to_tensor(inner, dtype=outer.dtype)
        mid = convert_to_tensor([num_frames, frame_length], dtype=outer.dtype)
        frames = array_ops.reshape(array_ops.gather(subframes, selector, axis=axis),
                                   array_ops.concat([outer, mid, inner], 0))
        if result_shape:
            frames.set_shape(result_shape)
        return frames


def overlap_and_add(signal, frame_step, name=None):
    """The frames of `signal` ([..., frames, frame_length]) added back frame_step apart."""
    with name_scope(name, "overlap_and_add", [signal, frame_step]):
        signal = convert_to_tensor(signal, name="signal")
        signal.shape.with_rank_at_least(2)
        frame_step = convert_to_tensor(frame_step, name="frame_step")
        frame_step.shape.with_rank(0)
        if not frame_step.dtype.is_integer:
            raise ValueError("frame_step must be an integer. Got %s" % frame_step.dtype)
        frame_step, step_known = _or_known(frame_step)
        if step_known:
            frame_step = frame_step[()]
        shape, _ = _or_known(array_ops.shape(signal))
        outer = shape[:-2]
        outer_rank, rank_known = _or_known(array_ops.size(outer))
        if rank_known:
            outer_rank = outer_rank[()]

        def full_shape(inner):
            return array_ops.concat([outer, inner], 0)

        frame_length = shape[-1]
        frames = shape[-2]
        output_length = frame_length + frame_step * (frames - 1)
        if step_known and signal.shape.dims is not None and frame_step == signal.shape.dims[-1]:
            return array_ops.reshape(signal, full_shape([output_length]), name="fast_path")

        segments = -(-frame_length // frame_step)
        paddings = [[0, segments], [0, segments * frame_step - frame_length]]
        paddings = array_ops.concat([array_ops.zeros([outer_rank, 2], dtypes.int32), paddings], 0)
        signal = array_ops.pad(signal, paddings)
        signal = array_ops.reshape(signal, full_shape([frames + segments, segments, frame_step]))
        perm, _ = _or_known(array_ops.concat([math_ops.range(outer_rank), outer_rank + [1, 0, 2]], 0))
        signal = array_ops.transpose(signal, perm)
        signal = array_ops.reshape(signal, full_shape([(frames + segments) * segments, frame_step]))
        signal = signal[..., :(frames + segments - 1) * segments, :]
        signal = array_ops.reshape(signal, full_shape([segments, (frames + segments - 1), frame_step]))
        signal = math_ops.reduce_sum(signal, -3)
        signal = array_ops.reshape(signal, full_shape([(frames + segments - 1) * frame_step]))
        return signal[..., :output_length]


def _window_length(window_length, dtype):
    if not dtype.is_floating:
        raise ValueError("dtype must be a floating point type. Found %s" % dtype)
    window_length = convert_to_tensor(window_length, dtype=dtypes.int32)
    window_length.shape.with_rank(0)
    return window_length


def vorbis_window(window_length, dtype=dtypes.float32, name=None):
    """sin(pi/2 * sin(pi/N * (n + 0.5))^2)."""
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, "vorbis_window"):
        window_length = _window_length(window_length, dtype)
        arg = math_ops.cast(math_ops.range(window_length), dtype=dtype)
        return math_ops.sin(np.pi / 2.0 * math_ops.pow(math_ops.sin(
            np.pi / math_ops.cast(window_length, dtype=dtype) * (arg + 0.5)), 2.0))


def kaiser_window(window_length, beta=12., dtype=dtypes.float32, name=None):
    """The Kaiser window: I0(beta * sqrt(1 - (2n / (N - 1) - 1)^2)) / I0(beta), through BesselI0e."""
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, "kaiser_window"):
        window_length = _window_length(window_length, dtype)
        known_length = _known(window_length)
        if known_length is not None and known_length == 1:
            return array_ops.ones([1], dtype=dtype)
        halflen = (math_ops.cast(window_length, dtype=dtypes.float32) - 1.0) / 2.0
        arg = math_ops.range(-halflen, halflen + 0.1, dtype=dtypes.float32)
        inferred_length = si.constant_value(window_length)
        if inferred_length is not None:
            # TF's shape inference evaluates the Range's float bounds: window_length points.
            arg.set_shape([int(inferred_length)])
        arg = math_ops.cast(arg, dtype=dtype)
        beta = math_ops.cast(beta, dtype=dtype)
        one = math_ops.cast(1.0, dtype=dtype)
        halflen = math_ops.cast(halflen, dtype=dtype)
        num = beta * math_ops.sqrt(relu(one - math_ops.square(arg / halflen)))
        return math_ops.exp(num - beta) * (bessel_i0e(num) / bessel_i0e(beta))


def kaiser_bessel_derived_window(window_length, beta=12., dtype=dtypes.float32, name=None):
    """The Kaiser-Bessel-derived window: the square root of the Kaiser window's running sum over
    its total, mirrored."""
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, "kaiser_bessel_derived_window"):
        window_length = _window_length(window_length, dtype)
        kaiser = kaiser_window(window_length // 2 + 1, beta, dtype=dtype)
        csum = math_ops.cumsum(kaiser)
        half = math_ops.sqrt(csum[:-1] / csum[-1])
        return array_ops.concat((half, half[::-1]), axis=0)


def _raised_cosine(name, default_name, window_length, periodic, dtype, a, b):
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating:
        raise ValueError("dtype must be a floating point type. Found %s" % dtype)
    with name_scope(name, default_name, [window_length, periodic]):
        window_length = convert_to_tensor(window_length, dtype=dtypes.int32, name="window_length")
        window_length.shape.with_rank(0)
        known_length = _known(window_length)
        if known_length is not None and known_length == 1:
            return array_ops.ones([1], dtype=dtype)
        periodic = math_ops.cast(convert_to_tensor(periodic, dtype=dtypes.bool, name="periodic"), dtypes.int32)
        periodic.shape.with_rank(0)
        even = 1 - _mod(window_length, 2)
        n = math_ops.cast(window_length + periodic * even - 1, dtype=dtype)
        count = math_ops.cast(math_ops.range(window_length), dtype)
        cos_arg = convert_to_tensor(2 * np.pi, dtype=dtype) * count / n
        if known_length is not None:
            return math_ops.cast(a - b * math_ops.cos(cos_arg), dtype=dtype)
        return control_flow_ops.cond(
            math_ops.equal(window_length, 1),
            lambda: array_ops.ones([window_length], dtype=dtype),
            lambda: math_ops.cast(a - b * math_ops.cos(cos_arg), dtype=dtype))


def hann_window(window_length, periodic=True, dtype=dtypes.float32, name=None):
    return _raised_cosine(name, "hann_window", window_length, periodic, dtype, 0.5, 0.5)


def hamming_window(window_length, periodic=True, dtype=dtypes.float32, name=None):
    return _raised_cosine(name, "hamming_window", window_length, periodic, dtype, 0.54, 0.46)


def _enclosing_power_of_two(value):
    known = _known(value)
    if known is not None:
        return convert_to_tensor(int(2 ** np.ceil(np.log(known) / np.log(2.0))), value.dtype)
    return math_ops.cast(math_ops.pow(2.0, math_ops.ceil(
        math_ops.log(math_ops.cast(value, dtypes.float32)) / math_ops.log(2.0))), value.dtype)


def stft(signals, frame_length, frame_step, fft_length=None, window_fn=hann_window, pad_end=False, name=None):
    """RFFTs of the windowed frames of `signals`: [..., frames, fft_length // 2 + 1]."""
    with name_scope(name, "stft", [signals, frame_length, frame_step]):
        signals = convert_to_tensor(signals, name="signals")
        signals.shape.with_rank_at_least(1)
        frame_length = convert_to_tensor(frame_length, name="frame_length")
        frame_length.shape.with_rank(0)
        frame_step = convert_to_tensor(frame_step, name="frame_step")
        frame_step.shape.with_rank(0)
        if fft_length is None:
            fft_length = _enclosing_power_of_two(frame_length)
        else:
            fft_length = convert_to_tensor(fft_length, name="fft_length")
        framed = frame(signals, frame_length, frame_step, pad_end=pad_end)
        if window_fn is not None:
            framed *= window_fn(frame_length, dtype=framed.dtype)
        return rfft(framed, [fft_length])


def inverse_stft_window_fn(frame_step, forward_window_fn=hann_window, name=None):
    """A window_fn for inverse_stft: forward_window_fn's window over the sum of its squares
    overlapped frame_step apart (zero where that sum is zero)."""
    def window_fn(frame_length, dtype):
        with name_scope(name, "inverse_stft_window_fn", [forward_window_fn]):
            step = convert_to_tensor(frame_step, name="frame_step")
            step.shape.with_rank(0)
            length = convert_to_tensor(frame_length, name="frame_length")
            length.shape.with_rank(0)
            forward = forward_window_fn(length, dtype=dtype)
            denom = math_ops.square(forward)
            overlaps = -(-length // step)
            denom = array_ops.pad(denom, [(0, overlaps * step - length)])
            denom = array_ops.reshape(denom, [overlaps, step])
            denom = math_ops.reduce_sum(denom, 0, keepdims=True)
            denom = array_ops.tile(denom, [overlaps, 1])
            denom = array_ops.reshape(denom, [overlaps * step])
            denom = denom[:length]
            return array_ops.where(math_ops.equal(denom, 0.0), array_ops.zeros_like(forward), forward / denom)
    return window_fn


def inverse_stft(stfts, frame_length, frame_step, fft_length=None, window_fn=hann_window, name=None):
    """IRFFTs of `stfts` cut or padded to frame_length, windowed, overlapped and added."""
    with name_scope(name, "inverse_stft", [stfts]):
        stfts = convert_to_tensor(stfts, name="stfts")
        stfts.shape.with_rank_at_least(2)
        frame_length = convert_to_tensor(frame_length, name="frame_length")
        frame_length.shape.with_rank(0)
        frame_step = convert_to_tensor(frame_step, name="frame_step")
        frame_step.shape.with_rank(0)
        if fft_length is None:
            fft_length = _enclosing_power_of_two(frame_length)
        else:
            fft_length = convert_to_tensor(fft_length, name="fft_length")
            fft_length.shape.with_rank(0)
        frames = irfft(stfts, [fft_length])
        length = _known(frame_length)
        have = None if frames.shape.ndims is None else frames.shape.as_list()[-1]
        if length is None or have is None:
            frames = frames[..., :frame_length]
            frames_rank = array_ops.rank(frames)
            frames_shape = array_ops.shape(frames)
            paddings = array_ops.concat(
                [array_ops.zeros([frames_rank - 1, 2], dtype=frame_length.dtype),
                 [[0, math_ops.maximum(0, frame_length - frames_shape[-1])]]], 0)
            frames = array_ops.pad(frames, paddings)
        elif have > length:
            frames = frames[..., :length]
        elif have < length:
            frames = array_ops.pad(frames, [[0, 0]] * (frames.shape.ndims - 1) + [[0, int(length) - have]])
        if length is not None and frames.shape.ndims is not None:
            frames.set_shape([None] * (frames.shape.ndims - 1) + [int(length)])
        if window_fn is not None:
            frames *= window_fn(frame_length, dtype=stfts.dtype.real_dtype)
        return overlap_and_add(frames, frame_step)


def _check_dct_args(x, dct_type, n, axis, norm):
    if axis != -1:
        raise NotImplementedError("axis must be -1. Got: %s" % axis)
    if n is not None and n < 1:
        raise ValueError("n should be a positive integer or None")
    if dct_type not in (1, 2, 3, 4):
        raise ValueError("Types I, II, III and IV (I)DCT are supported.")
    if dct_type == 1:
        if norm == "ortho":
            raise ValueError("Normalization is not supported for the Type-I DCT.")
        last = x.shape[-1] if getattr(x, "shape", None) is not None and x.shape.ndims else None
        if last is not None and last < 2:
            raise ValueError("Type-I DCT requires the dimension to be greater than one.")
    if norm not in (None, "ortho"):
        raise ValueError("Unknown normalization. Expected None or 'ortho', got: %s" % norm)


def _last_dim(x):
    d = x.shape.dims[-1] if x.shape.ndims else None
    return d or array_ops.shape(x)[-1]


def _ortho_weights(first, rest, count):
    return array_ops.pad(array_ops.expand_dims(first, 0), [[0, count - 1]], constant_values=rest)


def _dct(x, dct_type, n, norm, name):
    with name_scope(name, "dct", [x]):
        x = convert_to_tensor(x)
        zero = convert_to_tensor(0.0, dtype=x.dtype)
        seq_len = _last_dim(x)
        if n is not None:
            # TF's smart_cond: a Python bool picks the branch while building.
            def truncate():
                return x[..., 0:n]

            def pad():
                padding = [[0, 0] for _ in range(len(x.shape))]
                padding[-1][1] = n - seq_len
                return array_ops.pad(x, paddings=convert_to_tensor(padding, dtype=dtypes.int32))

            # TF's smart_cond: a Python bool picks the branch while building, a tensor builds a cond.
            shorter = n <= seq_len
            if isinstance(shorter, graph_lib.Tensor):
                x = control_flow_ops.cond(shorter, truncate, pad)
            else:
                x = truncate() if shorter else pad()
        dim = _last_dim(x)
        dim_float = math_ops.cast(dim, x.dtype)
        if dct_type == 1:
            return math_ops.real(rfft(array_ops.concat([x, x[..., -2:0:-1]], axis=-1)))
        if dct_type == 2:
            scale = 2.0 * math_ops.exp(math_ops.complex(
                zero, -math_ops.range(dim_float) * math.pi * 0.5 / dim_float))
            out = math_ops.real(rfft(x, fft_length=[2 * dim])[..., :dim] * scale)
            if norm == "ortho":
                n1 = 0.5 * math_ops.rsqrt(dim_float)
                out *= _ortho_weights(n1, n1 * math.sqrt(2.0), dim)
            return out
        if dct_type == 3:
            if norm == "ortho":
                n1 = math_ops.sqrt(dim_float)
                x *= _ortho_weights(n1, n1 * math.sqrt(0.5), dim)
            else:
                x *= dim_float
            scale = 2.0 * math_ops.exp(math_ops.complex(
                zero, math_ops.range(dim_float) * math.pi * 0.5 / dim_float))
            return math_ops.real(irfft(scale * math_ops.complex(x, zero), fft_length=[2 * dim]))[..., :dim]
        out = _dct(x, 2, 2 * dim, None, None)[..., 1::2]
        if norm == "ortho":
            out *= math.sqrt(0.5) * math_ops.rsqrt(dim_float)
        return out


def dct(input, type=2, n=None, axis=-1, norm=None, name=None):  # noqa: A002 -- TF's names
    """The type 1-4 DCT of the innermost dimension (through RFFT), optionally 'ortho'-normalised."""
    _check_dct_args(input, type, n, axis, norm)
    return _dct(input, type, n, norm, name)


def idct(input, type=2, n=None, axis=-1, norm=None, name=None):  # noqa: A002 -- TF's names
    """The inverse DCT: the DCT of type 1, 3, 2, 4 for type 1, 2, 3, 4."""
    _check_dct_args(input, type, n, axis, norm)
    return _dct(input, {1: 1, 2: 3, 3: 2, 4: 4}[type], n, norm, name)


def mdct(signals, frame_length, window_fn=vorbis_window, pad_end=False, norm=None, name=None):
    """The MDCT of frames of frame_length every frame_length // 2 samples (a type-4 DCT)."""
    with name_scope(name, "mdct", [signals, frame_length]):
        signals = convert_to_tensor(signals, name="signals")
        signals.shape.with_rank_at_least(1)
        frame_length = convert_to_tensor(frame_length, name="frame_length")
        frame_length.shape.with_rank(0)
        length = _known(frame_length)
        if length is not None:
            if length % 4 != 0:
                raise ValueError("The frame length must be a multiple of 4.")
            frame_step = convert_to_tensor(length // 2, dtype=frame_length.dtype)
        else:
            frame_step = frame_length // 2
        framed = frame(signals, frame_length, frame_step, pad_end=pad_end)
        if window_fn is not None:
            framed *= window_fn(frame_length, dtype=framed.dtype)
        else:
            framed *= 1.0 / np.sqrt(2)
        quarters = array_ops.split(framed, 4, axis=-1)
        first = -array_ops.reverse(quarters[2], [-1]) - quarters[3]
        second = quarters[0] - array_ops.reverse(quarters[1], [-1])
        return dct(array_ops.concat((first, second), axis=-1), type=4, norm=norm)


def inverse_mdct(mdcts, window_fn=vorbis_window, norm=None, name=None):
    """Frames back from MDCTs (a type-4 DCT), windowed and overlapped half a frame apart."""
    with name_scope(name, "inverse_mdct", [mdcts]):
        mdcts = convert_to_tensor(mdcts, name="mdcts")
        mdcts.shape.with_rank_at_least(2)
        half_len = math_ops.cast(mdcts.shape[-1], dtype=dtypes.int32)
        if norm is None:
            half_len_float = math_ops.cast(half_len, dtype=mdcts.dtype)
            idct4 = (0.5 / half_len_float) * dct(mdcts, type=4)
        elif norm == "ortho":
            idct4 = dct(mdcts, type=4, norm="ortho")
        halves = array_ops.split(idct4, 2, axis=-1)
        frames = array_ops.concat((halves[1], -array_ops.reverse(halves[1], [-1]),
                                   -array_ops.reverse(halves[0], [-1]), -halves[0]), axis=-1)
        if window_fn is not None:
            frames *= window_fn(2 * half_len, dtype=mdcts.dtype)
        else:
            frames *= 1.0 / np.sqrt(2)
        return overlap_and_add(frames, half_len)


_MEL_BREAK_HZ = 700.0
_MEL_HIGH_Q = 1127.0


def _hertz_to_mel(hertz):
    with name_scope(None, "hertz_to_mel", [hertz]):
        hertz = convert_to_tensor(hertz)
        return _MEL_HIGH_Q * math_ops.log(1.0 + (hertz / _MEL_BREAK_HZ))


def _check_mel_args(num_mel_bins, sample_rate, lower_edge_hertz, upper_edge_hertz, dtype):
    if num_mel_bins <= 0:
        raise ValueError("num_mel_bins must be positive. Got: %s" % num_mel_bins)
    if lower_edge_hertz < 0.0:
        raise ValueError("lower_edge_hertz must be non-negative. Got: %s" % lower_edge_hertz)
    if lower_edge_hertz >= upper_edge_hertz:
        raise ValueError("lower_edge_hertz %.1f >= upper_edge_hertz %.1f" % (lower_edge_hertz, upper_edge_hertz))
    if not isinstance(sample_rate, graph_lib.Tensor):
        if sample_rate <= 0.0:
            raise ValueError("sample_rate must be positive. Got: %s" % sample_rate)
        if upper_edge_hertz > sample_rate / 2:
            raise ValueError("upper_edge_hertz must not be larger than the Nyquist frequency (sample_rate / 2). "
                             "Got %s for sample_rate: %s" % (upper_edge_hertz, sample_rate))
    if not dtype.is_floating:
        raise ValueError("dtype must be a floating point type. Got: %s" % dtype)


def linear_to_mel_weight_matrix(num_mel_bins=20, num_spectrogram_bins=129, sample_rate=8000, lower_edge_hertz=125.0,
                                upper_edge_hertz=3800.0, dtype=dtypes.float32, name=None):
    """[num_spectrogram_bins, num_mel_bins] triangular weights on the HTK mel scale (bin 0 zero)."""
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, "linear_to_mel_weight_matrix") as name:
        if isinstance(sample_rate, graph_lib.Tensor):
            known = _known(sample_rate)
            if known is not None:
                sample_rate = known
        _check_mel_args(num_mel_bins, sample_rate, lower_edge_hertz, upper_edge_hertz, dtype)
        sample_rate = math_ops.cast(sample_rate, dtype, name="sample_rate")
        lower = convert_to_tensor(lower_edge_hertz, dtype, name="lower_edge_hertz")
        upper = convert_to_tensor(upper_edge_hertz, dtype, name="upper_edge_hertz")
        zero = convert_to_tensor(0.0, dtype)
        nyquist = sample_rate / 2.0
        linear = math_ops.linspace(zero, nyquist, num_spectrogram_bins)[1:]
        bins_mel = array_ops.expand_dims(_hertz_to_mel(linear), 1)
        edges = frame(math_ops.linspace(_hertz_to_mel(lower), _hertz_to_mel(upper), num_mel_bins + 2),
                      frame_length=3, frame_step=1)
        lower_mel, center_mel, upper_mel = tuple(
            array_ops.reshape(t, [1, num_mel_bins]) for t in array_ops.split(edges, 3, axis=1))
        lower_slopes = (bins_mel - lower_mel) / (center_mel - lower_mel)
        upper_slopes = (upper_mel - bins_mel) / (upper_mel - center_mel)
        weights = math_ops.maximum(zero, math_ops.minimum(lower_slopes, upper_slopes))
        return array_ops.pad(weights, [[1, 0], [0, 0]], name=name)


def mfccs_from_log_mel_spectrograms(log_mel_spectrograms, name=None):
    """MFCCs: the orthonormal-scaled type-2 DCT of log-mel spectrograms."""
    with name_scope(name, "mfccs_from_log_mel_spectrograms", [log_mel_spectrograms]):
        x = convert_to_tensor(log_mel_spectrograms)
        if x.shape.ndims and x.shape.dims[-1] is not None:
            num_mel_bins = x.shape.dims[-1]
            if num_mel_bins == 0:
                raise ValueError("num_mel_bins must be positive. Got: %s" % x)
        else:
            num_mel_bins = array_ops.shape(x)[-1]
        dct2 = dct(x, type=2)
        return dct2 * math_ops.rsqrt(math_ops.cast(num_mel_bins, dct2.dtype) * 2.0)


def _shift(x, axes, name, default_name, sign):
    with name_scope(name, default_name) as name:
        x = convert_to_tensor(x)
        if axes is None:
            axes = tuple(range(x.shape.ndims))
            shift = array_ops.shape(x) // 2
        elif isinstance(axes, int):
            shift = array_ops.shape(x)[axes] // 2
        else:
            rank = array_ops.rank(x)
            axes = array_ops.where(math_ops.less(axes, 0), axes + rank, axes)
            shift = array_ops.gather(array_ops.shape(x), axes) // 2
        return array_ops_3.roll(x, -shift if sign < 0 else shift, axes, name)


def fftshift(x, axes=None, name=None):
    """x rolled by half its size along `axes` (all by default): the zero frequency to the centre."""
    return _shift(x, axes, name, "fftshift", 1)


def ifftshift(x, axes=None, name=None):
    """The inverse of fftshift."""
    return _shift(x, axes, name, "ifftshift", -1)
