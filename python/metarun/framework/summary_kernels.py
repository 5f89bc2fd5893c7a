"""The summary host kernels: ScalarSummary, HistogramSummary, ImageSummary,
AudioSummary(V2), TensorSummary(V2) and MergeSummary.

Each serializes a `Summary` proto as TF's kernel does, field for field: the
histogram with TF's default bucket limits (powers of 1.1 from 1e-12 to 1e20,
mirrored, around 0 and between -DBL_MAX and DBL_MAX) and runs of empty buckets
collapsed into one entry; images as PNG with libpng's default choices (the
per-row filter of least absolute sum, zlib at the default level with the
filtered strategy and memLevel 9, the window shrunk for small images, IDAT
chunks of 8192 bytes); audio as 16-bit little-endian PCM WAV.
"""
import struct
import sys
import zlib

import numpy as np

from metarun import errors
from metarun.framework import dtypes
from metarun.framework import protos

_DBL_MAX = sys.float_info.max


def summary_class():
    return protos.get_class("metarun.Summary")


def _limits():
    pos = []
    v = 1.0e-12
    while v < 1.0e20:
        pos.append(v)
        v *= 1.1
    pos.append(_DBL_MAX)
    return np.array([-x for x in reversed(pos)] + [0.0] + pos, dtype=np.float64)


_LIMITS = _limits()


def _text(value):
    value = value.reshape(-1)[0] if isinstance(value, np.ndarray) else value
    return value.decode("utf-8", "surrogateescape") if isinstance(value, bytes) else str(value)


def _shape(dims):
    return "[" + ",".join(str(d) for d in dims) + "]"


def _legacy_scalar(a):
    return a.ndim == 0 or (a.ndim == 1 and a.shape[0] == 1)


def _real(values, attrs, key="T"):
    """The input as numbers (bfloat16 arrives as its raw uint16 bits)."""
    if int(attrs.get(key, 0)) == 14:
        return values.view(dtypes.bfloat16.as_numpy_dtype)
    return values


def _scalar_summary(node, attrs, inputs):
    tags, values = inputs
    if tags.shape != values.shape and not (tags.ndim == 0 and values.ndim == 0):
        single = " (tag '%s')" % _text(tags) if tags.size == 1 else ""
        raise errors.InvalidArgumentError(None, None, "tags and values are not the same shape: %s != %s%s"
                                          % (_shape(tags.shape), _shape(values.shape), single))
    s = summary_class()()
    with np.errstate(over="ignore"):
        floats = np.asarray(_real(values, attrs)).reshape(-1).astype(np.float32)
    for tag, value in zip(tags.reshape(-1), floats):
        v = s.value.add()
        v.tag = _text(tag)
        v.simple_value = float(value)
    return [np.array(s.SerializeToString(), dtype=object)]


def histogram_proto(values, proto):
    """Fills a HistogramProto as TF's histogram::Histogram with its default buckets
    (values: finite float64)."""
    values = np.asarray(values, dtype=np.float64).reshape(-1)
    counts = np.bincount(np.searchsorted(_LIMITS, values, side="right"), minlength=len(_LIMITS))
    counts = counts[:len(_LIMITS)].astype(np.float64)
    if values.size:
        proto.min = float(values.min())
        proto.max = float(values.max())
        proto.num = float(values.size)
        with np.errstate(over="ignore"):
            proto.sum = float(np.add.accumulate(values)[-1])
            proto.sum_squares = float(np.add.accumulate(values * values)[-1])
    else:
        proto.min = _DBL_MAX
        proto.max = -_DBL_MAX
    full = counts > 0
    run_end = ~full & np.append(full[1:], True)
    keep = full | run_end
    proto.bucket_limit.extend(_LIMITS[keep].tolist())
    proto.bucket.extend(counts[keep].tolist())


def _histogram_summary(node, attrs, inputs):
    tag, values = inputs
    if tag.ndim != 0:
        raise errors.InvalidArgumentError(None, None, "tags must be scalar")
    values = np.asarray(_real(values, attrs)).reshape(-1).astype(np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        first = values[np.argmax(bad)]
        raise errors.InvalidArgumentError(None, None, "%s for: %s"
                                          % ("Nan in summary histogram" if np.isnan(first) else "Infinity in Histogram",
                                             node))
    s = summary_class()()
    v = s.value.add()
    v.tag = _text(tag)
    histogram_proto(values, v.histo)
    return [np.array(s.SerializeToString(), dtype=object)]


# ---- PNG, as libpng writes it with its default settings ----

def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def _filtered_rows(rows, bpp):
    """Each row prefixed by the filter libpng's heuristic picks: the least sum of
    the filtered bytes read as signed magnitudes; ties go to the earlier filter."""
    h, rowbytes = rows.shape
    filters = [0, 1, 2, 3, 4]
    if h == 1:
        filters = [0, 1]
    if rowbytes // bpp == 1:
        filters = [f for f in filters if f not in (1, 3, 4)]
    cur = rows.astype(np.int16)
    prev = np.zeros_like(cur)
    prev[1:] = cur[:-1]
    zeros = np.zeros((h, bpp), np.int16)
    left = np.concatenate([zeros, cur[:, :-bpp]], axis=1)
    upleft = np.concatenate([zeros, prev[:, :-bpp]], axis=1)
    cands = np.empty((len(filters), h, rowbytes), np.uint8)
    for i, f in enumerate(filters):
        if f == 0:
            cands[i] = rows
        elif f == 1:
            cands[i] = (cur - left) & 255
        elif f == 2:
            cands[i] = (cur - prev) & 255
        elif f == 3:
            cands[i] = (cur - ((left + prev) >> 1)) & 255
        else:
            p = left + prev - upleft
            pa, pb, pc = np.abs(p - left), np.abs(p - prev), np.abs(p - upleft)
            cands[i] = (cur - np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))) & 255
    if len(filters) == 1:
        best = np.zeros(h, np.int64)
    else:
        # A byte's weight is its magnitude read as signed (v < 128: v, else 256 - v).
        sums = np.abs(cands.view(np.int8).astype(np.int16)).sum(axis=2)
        best = np.argmin(sums, axis=0)  # the first minimum, as libpng's strict "<"
    out = np.empty((h, rowbytes + 1), np.uint8)
    out[:, 0] = np.array(filters, np.uint8)[best]
    out[:, 1:] = cands[best, np.arange(h)]
    return out.tobytes()


def encode_png(image):
    """PNG bytes of an [h, w, c] uint8 image (c in 1..4), as TF's png::WriteImageToBuffer."""
    h, w, c = image.shape
    raw = _filtered_rows(np.ascontiguousarray(image).reshape(h, w * c), c)
    size = h * (w * c + 1)
    wbits = 15
    if size <= 16384:
        half = 1 << (wbits - 1)
        while size + 262 <= half:
            half >>= 1
            wbits -= 1
    if wbits == 8:
        wbits = 9
    co = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, wbits, 9, zlib.Z_FILTERED)
    z = bytearray(co.compress(raw) + co.flush())
    # libpng then writes the smallest window size that covers the data into the zlib header.
    if size <= 16384 and (z[0] & 0x0F) == 8 and (z[0] & 0xF0) <= 0x70:
        cinfo = z[0] >> 4
        half = 1 << (cinfo + 7)
        if size <= half:
            while True:
                half >>= 1
                cinfo -= 1
                if not (cinfo > 0 and size <= half):
                    break
            z[0] = (z[0] & 0x0F) | (cinfo << 4)
            flg = z[1] & 0xE0
            z[1] = flg + 0x1F - ((z[0] << 8) + flg) % 0x1F
    z = bytes(z)
    color = {1: 0, 2: 4, 3: 2, 4: 6}[c]
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, color, 0, 0, 0)) +
            b"".join(_chunk(b"IDAT", z[i:i + 8192]) for i in range(0, len(z), 8192)) + _chunk(b"IEND", b""))


def _normalize(image, bad_color):
    """An [hw, depth] float image to uint8 as TF's NormalizeFloatImage."""
    kind = image.dtype.type
    finite = np.isfinite(image).all(axis=1)
    good = image[finite].astype(np.float32)
    lo = float(good.min()) if good.size else float("inf")
    hi = float(good.max()) if good.size else float("-inf")
    if lo < 0:
        max_val = np.float32(max(abs(lo), abs(hi)))
        scale = np.float32(0.0) if max_val < np.float32(1e-6) else np.float32(127.0) / max_val
        offset = 128.0
    else:
        scale = np.float32(0.0) if np.float32(hi) < np.float32(1e-6) else np.float32(255.0) / np.float32(hi)
        offset = 0.0
    with np.errstate(all="ignore"):
        scaled = image * kind(scale) + kind(offset)
        if kind is np.float16:
            scaled = scaled.astype(np.float32)
        out = scaled.astype(np.int64).astype(np.uint8)
    out[~finite] = bad_color
    return out


def _image_summary(node, attrs, inputs):
    tag, tensor = inputs
    max_images = int(attrs.get("max_images", 3))
    bad_color = attrs.get("bad_color")
    bad_color = np.array([255, 0, 0, 255], np.uint8) if bad_color is None else np.asarray(bad_color)
    if not _legacy_scalar(tag):
        raise errors.InvalidArgumentError(None, None, "Tags must be a scalar")
    if tensor.ndim != 4 or tensor.shape[3] not in (1, 3, 4):
        raise errors.InvalidArgumentError(None, None, "Tensor must be 4-D with last dim 1, 3, or 4, not %s"
                                          % _shape(tensor.shape))
    base = _text(tag)
    batch, h, w, depth = tensor.shape
    if h * w >= (1 << 29):
        raise errors.InvalidArgumentError(None, None, "Tensor too large for summary %s" % _shape(tensor.shape))
    is_uint8 = tensor.dtype == np.uint8
    if not is_uint8 and bad_color.shape[0] < depth:
        raise errors.InvalidArgumentError(None, None, "expected depth <= bad_color.size, got depth = %d, "
                                          "bad_color.size = %d" % (depth, bad_color.shape[0]))
    s = summary_class()()
    for i in range(min(max_images, batch)):
        v = s.value.add()
        v.tag = "%s/image/%d" % (base, i) if max_images > 1 else base + "/image"
        image = tensor[i].reshape(h * w, depth)
        if not is_uint8 and image.size:
            image = _normalize(image, bad_color[:depth])
        img = v.image
        img.height, img.width, img.colorspace = h, w, depth
        if h == 0 or w == 0:
            raise errors.InternalError(None, None, "PNG encoding failed")
        img.encoded_image_string = encode_png(np.asarray(image, np.uint8).reshape(h, w, depth))
    return [np.array(s.SerializeToString(), dtype=object)]


# ---- WAV ----

def encode_wav(samples, sample_rate):
    """16-bit PCM WAV of [frames, channels] float samples, as TF's wav::EncodeAudioAsS16LEWav."""
    frames, channels = samples.shape
    with np.errstate(invalid="ignore"):
        product = (samples.astype(np.float32) * np.float32(32768.0)).astype(np.float64)
        # roundf: halves away from zero (exact in double for float products)
        scaled = np.clip(np.copysign(np.floor(np.abs(product) + 0.5), product), -32768, 32767)
    pcm = np.where(np.isnan(scaled), 0, scaled).astype("<i2").tobytes()
    header = (b"RIFF" + struct.pack("<I", 36 + len(pcm)) + b"WAVE" + b"fmt " +
              struct.pack("<IHHIIHH", 16, 1, channels, sample_rate, sample_rate * channels * 2, channels * 2, 16) +
              b"data" + struct.pack("<I", len(pcm)))
    return header + pcm


def _audio_summary(node, attrs, inputs):
    tag, tensor = inputs[0], inputs[1]
    max_outputs = int(attrs.get("max_outputs", 3))
    if max_outputs <= 0:
        raise errors.InvalidArgumentError(None, None, "max_outputs must be > 0")
    if not _legacy_scalar(tag):
        raise errors.InvalidArgumentError(None, None, "Tag must be a scalar")
    if tensor.ndim not in (2, 3):
        raise errors.InvalidArgumentError(None, None, "Tensor must be 3-D or 2-D, got: %s" % _shape(tensor.shape))
    rate = float(np.float32(attrs["sample_rate"] if len(inputs) < 3 else np.asarray(inputs[2]).reshape(-1)[0]))
    if not rate > 0.0:
        raise errors.InvalidArgumentError(None, None, "sample_rate must be > 0")
    base = _text(tag)
    batch, frames = tensor.shape[0], tensor.shape[1]
    channels = 1 if tensor.ndim == 2 else tensor.shape[2]
    truncated = int(np.rint(np.float32(rate))) or 1
    s = summary_class()()
    for i in range(min(max_outputs, batch)):
        v = s.value.add()
        v.tag = "%s/audio/%d" % (base, i) if max_outputs > 1 else base + "/audio"
        a = v.audio
        a.sample_rate = rate
        a.num_channels = channels
        a.length_frames = frames
        a.content_type = "audio/wav"
        a.encoded_audio_string = encode_wav(tensor[i].reshape(frames, channels), truncated)
    return [np.array(s.SerializeToString(), dtype=object)]


# ---- tensors ----

def tensor_proto(array, dtype, proto):
    """A TensorProto as TF's Tensor::AsProtoTensorContent (strings: AsProtoField)."""
    proto.dtype = int(dtype)
    shape = proto.tensor_shape
    shape.SetInParent()
    for d in array.shape:
        shape.dim.add().size = int(d)
    if int(dtype) == 7:
        proto.string_val.extend(x if isinstance(x, bytes) else str(x).encode() for x in array.reshape(-1))
    else:
        proto.tensor_content = np.ascontiguousarray(array).tobytes()


def _tensor_summary_v2(node, attrs, inputs):
    tag, tensor, metadata = inputs
    if tag.ndim != 0:
        raise errors.InvalidArgumentError(None, None, "tag must be scalar")
    if metadata.ndim != 0:
        raise errors.InvalidArgumentError(None, None, "serialized_summary_metadata must be scalar")
    s = summary_class()()
    v = s.value.add()
    v.tag = _text(tag)
    tensor_proto(tensor, attrs["T"], v.tensor)
    raw = metadata[()]
    v.metadata.ParseFromString(raw if isinstance(raw, bytes) else str(raw).encode())
    return [np.array(s.SerializeToString(), dtype=object)]


def _tensor_summary(node, attrs, inputs):
    s = summary_class()()
    v = s.value.add()
    v.node_name = node
    tensor_proto(inputs[0], attrs["T"], v.tensor)
    return [np.array(s.SerializeToString(), dtype=object)]


def _merge_summary(node, attrs, inputs):
    cls = summary_class()
    s = cls()
    seen = set()
    for tensor in inputs:
        for raw in tensor.reshape(-1):
            part = cls()
            try:
                part.ParseFromString(raw if isinstance(raw, bytes) else str(raw).encode())
            except Exception:
                raise errors.InvalidArgumentError(None, None, "Could not parse one of the summary inputs") from None
            for value in part.value:
                if value.tag:
                    if value.tag in seen:
                        raise errors.InvalidArgumentError(None, None, "Duplicate tag %s found in summary inputs"
                                                          % value.tag)
                    seen.add(value.tag)
                s.value.add().CopyFrom(value)
    return [np.array(s.SerializeToString(), dtype=object)]


HOST_OPS = {
    "ScalarSummary": _scalar_summary,
    "HistogramSummary": _histogram_summary,
    "ImageSummary": _image_summary,
    "AudioSummary": _audio_summary,
    "AudioSummaryV2": _audio_summary,
    "TensorSummary": _tensor_summary,
    "TensorSummaryV2": _tensor_summary_v2,
    "MergeSummary": _merge_summary,
}
