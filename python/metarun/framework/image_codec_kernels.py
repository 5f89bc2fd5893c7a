"""The image codec host kernels: DecodeJpeg, DecodeAndCropJpeg, ExtractJpegShape, EncodeJpeg,
EncodeJpegVariableQuality, DecodePng, EncodePng, DecodeGif, DecodeBmp and DecodeImage.

As in TF, the six decode ops share one kernel: it sniffs the format from the first bytes and
decodes JPEG, PNG, GIF or BMP whatever the op's name (a PNG fed to DecodeJpeg decodes), with
the op deciding the output rank, which formats it refuses and which attrs apply. JPEG goes
through simplejpeg, which bundles libjpeg-turbo, with TF's settings: the IFAST DCT unless
dct_method is INTEGER_ACCURATE, fancy upsampling as asked, the 1/ratio IDCT scaling, CMYK
decoded as CMYK and turned to RGB with TF's formula; what simplejpeg does not offer is rebuilt
around it (the edges of a cropped decode, the rows TF keeps from a truncated file). PNG, GIF and
BMP are decoded here.
"""

import struct

import numpy as np

from metarun import errors
from metarun.framework import gif_bmp_codec
from metarun.framework import jpeg_encoder
from metarun.framework import jpeg_scan
from metarun.framework import png_codec

_UINT8, _UINT16 = 4, 17  # DataType enums
_JPEG_FAILED = "jpeg::Uncompress failed. Invalid JPEG data or crop window."


def _invalid(message):
    return errors.InvalidArgumentError(None, None, message)


def _text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def _contents(array):
    array = np.asarray(array, dtype=object)
    if array.ndim != 0:
        raise _invalid("`contents` must be scalar but got shape[%s]" % ",".join(map(str, array.shape)))
    data = array[()]
    return data if isinstance(data, bytes) else str(data).encode()


def _format(data):
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data.startswith(png_codec.SIGNATURE):
        return "png"
    if data.startswith(b"GIF8"):
        return "gif"
    if data.startswith(b"BM"):
        return "bmp"
    return None


class _Decode(object):
    """The attrs of one decode node, checked as TF's kernel constructor checks them."""

    def __init__(self, op, attrs):
        self.op = op
        self.channels = 3 if op == "DecodeGif" else int(attrs.get("channels", 0))
        self.dtype = int(attrs.get("dtype", _UINT8)) if op in ("DecodePng", "DecodeImage") else _UINT8
        self.expand = bool(attrs.get("expand_animations", True)) if op == "DecodeImage" else True
        self.ratio, self.fancy, self.fast_dct = 1, True, True
        self.recover, self.fraction = False, 1.0
        if op in ("DecodeJpeg", "DecodeAndCropJpeg"):
            self.ratio = int(attrs.get("ratio", 1))
            if self.ratio not in (1, 2, 4, 8):
                raise _invalid("ratio must be 1, 2, 4, or 8, got %d" % self.ratio)
            self.fancy = bool(attrs.get("fancy_upscaling", True))
            self.recover = bool(attrs.get("try_recover_truncated", False))
            self.fraction = float(attrs.get("acceptable_fraction", 1.0))
            dct = _text(attrs.get("dct_method", b""))
            if dct not in ("", "INTEGER_FAST", "INTEGER_ACCURATE"):
                raise _invalid("dct_method must be one of {'', 'INTEGER_FAST', 'INTEGER_ACCURATE'}")
            self.fast_dct = dct != "INTEGER_ACCURATE"
        if self.channels not in (0, 1, 3, 4):
            raise _invalid("`channels` must be 0, 1, 3 or 4 but got %d" % self.channels)

    def run(self, inputs):
        data = _contents(inputs[0])
        if not data:
            raise _invalid("Input is empty.")
        fmt = _format(data)
        if fmt is None:
            raise _invalid("Unknown image file format. One of JPEG, JPEG XL, PNG, GIF, BMP, WebP required.")
        if self.op == "DecodeAndCropJpeg" and fmt != "jpeg":
            raise _invalid("DecodeAndCropJpeg operation can run on JPEG only, but detected %s." % fmt.upper())
        image = getattr(self, "_" + fmt)(data, inputs)
        if image.ndim == 3 and self.op == "DecodeGif":
            image = image[None]
        return [_convert(image, self.dtype)]

    def _jpeg(self, data, inputs):
        if self.channels == 4:
            raise _invalid("JPEG does not support 4 channels")
        crop = None
        if self.op == "DecodeAndCropJpeg":
            window = np.asarray(inputs[1])
            if window.ndim != 1:
                raise _invalid("crop_window must be 1-D, got shape [%s]" % ",".join(map(str, window.shape)))
            if window.shape[0] != 4:
                raise _invalid("crop_size must have four elements [%d]" % window.shape[0])
            crop = [int(v) for v in window]
        elif self.op == "DecodeBmp":
            raise _invalid("Trying to decode JPEG format using DecodeBmp op. Use `decode_jpeg` or `decode_image` "
                           "instead.")
        image = decode_jpeg(data, self.channels, self.ratio, self.fancy, self.fast_dct, self.recover, self.fraction,
                            crop is not None)
        if crop is not None:
            y, x, h, w = crop
            if not (h > 0 and w > 0 and x >= 0 and y >= 0 and y + h <= image.shape[0] and x + w <= image.shape[1]):
                raise _invalid(_JPEG_FAILED)
            if self.fancy and self.ratio < 8 and image.shape[2] == 3:
                header = _header(_without_header_junk(data))
                if header[2] == "YCbCr" and header[3] in ("420", "422"):
                    cropped = _fancy_crop(data, header[3], crop, self.ratio, self.fast_dct)
                    if cropped is not None:
                        return cropped
            image = image[y:y + h, x:x + w]
        return np.ascontiguousarray(image)

    def _png(self, data, inputs):
        if self.op == "DecodeBmp":
            raise _invalid("Trying to decode PNG format using DecodeBmp op. Use `decode_png` or `decode_image` "
                           "instead.")
        try:
            return png_codec.decode(data, self.channels, self.dtype != _UINT8)
        except png_codec.PngTooLarge as e:
            raise _invalid("PNG size too large for int: %d by %d" % e.args) from None
        except png_codec.PngError as e:
            if e.header:
                raise _invalid("Invalid PNG. Failed to initialize decoder.") from None
            raise _invalid("Invalid PNG data, size %d" % len(data)) from None

    def _gif(self, data, inputs):
        if self.channels not in (0, 3):
            raise _invalid("channels must be 0 or 3 for GIF, got %d" % self.channels)
        if self.op == "DecodeBmp":
            raise _invalid("Trying to decode GIF format using DecodeBmp op. Use `decode_gif` or `decode_image` "
                           "instead.")
        first_only = self.op == "DecodeImage" and not self.expand
        try:
            frames = gif_bmp_codec.decode_gif(data, first_only)
        except gif_bmp_codec.GifError as e:
            raise _invalid("Invalid GIF data (size %d), %s" % (len(data), e)) from None
        except gif_bmp_codec.GifTooLarge as e:
            raise errors.ResourceExhaustedError(None, None, "OOM when allocating tensor with shape[%s] and type "
                                                "uint8" % ",".join(map(str, e.args))) from None
        if self.op in ("DecodePng", "DecodeJpeg"):
            if len(frames) != 1:
                raise _invalid("Got %d frames, but animated gifs can only be decoded by tf.io.decode_gif or "
                               "tf.io.decode_image" % len(frames))
            return frames[0]
        return frames[0] if first_only else frames

    def _bmp(self, data, inputs):
        if self.channels == 1:
            raise _invalid("`channels` must be 0, 3 or 4 for BMP, but got 1")
        if self.op not in ("DecodeBmp", "DecodeImage"):
            raise _invalid("Trying to decode BMP format using a wrong op. Use `decode_bmp` or `decode_image` "
                           "instead. Op used: %s" % self.op)
        image = gif_bmp_codec.decode_bmp(data, self.channels)
        if isinstance(image, str):
            raise _invalid(image)
        return image


def _convert(image, dtype):
    """TF's conversions after decoding: uint8 to uint16 times 256 (not 257), to float times
    1/255 in float; 16-bit PNG samples to float times 1/65535."""
    if dtype == _UINT8 or (dtype == _UINT16 and image.dtype == np.uint16):
        return image
    if dtype == _UINT16:
        return image.astype(np.uint16) * np.uint16(256)
    scale = np.float32(1.0 / (65535 if image.dtype == np.uint16 else 255))
    return image.astype(np.float32) * scale


# ---- JPEG through simplejpeg ----

def _adobe_marker(data):
    """Whether libjpeg would see an Adobe APP14 marker before the first scan."""
    pos = 2
    while pos + 4 <= len(data) and data[pos] == 0xFF:
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker == 0xDA:
            return False
        length, = struct.unpack(">H", data[pos + 2:pos + 4])
        if marker == 0xEE and length >= 14 and data[pos + 4:pos + 9] == b"Adobe":
            return True
        pos += 2 + length
    return False


def _without_header_junk(data):
    """The file without bytes between its header segments: libjpeg skips them with a warning,
    but simplejpeg's header reader stops there."""
    if not data.startswith(b"\xff\xd8"):
        return data
    out, pos, changed = [data[:2]], 2, False
    while pos < len(data):
        if data[pos] != 0xFF:
            nxt = data.find(b"\xff", pos)
            if nxt < 0:
                break
            pos, changed = nxt, True
            continue
        if pos + 1 < len(data) and data[pos + 1] == 0xFF:  # fill bytes before a marker
            pos += 1
            continue
        if pos + 4 > len(data) or data[pos + 1] in (0xDA, 0xD9) or 0xD0 <= data[pos + 1] <= 0xD7:
            break
        end = pos + 2 + struct.unpack(">H", data[pos + 2:pos + 4])[0]
        out.append(data[pos:end])
        pos = end
    return b"".join(out) + data[pos:] if changed else data


# Messages libjpeg raises as warnings: TF's decoder goes on after them.
_WARNINGS = ("Corrupt JPEG data", "Premature end of JPEG file", "Warning:", "Invalid SOS parameters for sequential",
             "Inconsistent progression sequence", "Unknown Adobe color transform")


def _header(data):
    import simplejpeg
    try:
        return simplejpeg.decode_jpeg_header(data)
    except ValueError:
        raise _invalid(_JPEG_FAILED) from None


def decode_jpeg(data, channels, ratio=1, fancy=True, fast_dct=True, recover=False, fraction=1.0, crop=False):
    """[h, w, c] uint8 pixels of JPEG `data` as TF's jpeg::Uncompress gives them."""
    import simplejpeg
    data = _without_header_junk(data)
    height, width, space, _ = _header(data)
    cmyk = space in ("CMYK", "YCCK")
    components = 1 if space == "Gray" else (4 if cmyk else 3)
    if -(-height // ratio) * -(-width // ratio) * components >= 1 << 29:
        raise _invalid(_JPEG_FAILED)  # TF's "Image too large" limit, checked before decoding
    if channels == 0:
        channels = 1 if space == "Gray" else 3
    if channels == 1 and cmyk:
        raise _invalid(_JPEG_FAILED)  # libjpeg: "Unsupported color conversion request"
    colorspace = "GRAY" if channels == 1 else ("CMYK" if cmyk else "RGB")
    # simplejpeg picks the smallest scaling at least this large and at most 1/min_factor: 1/ratio.
    kwargs = dict(colorspace=colorspace, fastdct=fast_dct, fastupsample=not fancy, min_factor=ratio,
                  min_height=-(-height // ratio), min_width=-(-width // ratio))
    rows = None
    try:
        image = simplejpeg.decode_jpeg(data, strict=True, **kwargs)
    except ValueError as e:
        # A file that ends early without try_recover_truncated: TF keeps the rows libjpeg
        # produced before it suspended (the rest black) when acceptable_fraction allows; those
        # rows come from jpeg_scan. Other warnings decode as libjpeg goes on.
        message = str(e)
        truncated = message.startswith("Premature end of JPEG file")
        if not message.startswith(_WARNINGS):
            raise _invalid(_JPEG_FAILED) from None
        if truncated and not recover:
            rows = None if crop else jpeg_scan.rows_read(data, height, width, ratio, fancy)
            out_height = -(-height // ratio)
            if rows is None or np.float32(rows) / np.float32(out_height) < min(np.float32(1), np.float32(fraction)):
                raise _invalid(_JPEG_FAILED) from None
        try:
            image = simplejpeg.decode_jpeg(data, strict=False, **kwargs)
        except ValueError:
            raise _invalid(_JPEG_FAILED) from None
        if rows is not None:
            image = image.copy()
            image[rows:] = 0
    if image.ndim == 2:
        image = image[..., None]
    if cmyk:
        c, m, y, k = (image[..., i].astype(np.int32) for i in range(4))
        if _adobe_marker(data):
            rgb = [k * c // 255, k * m // 255, k * y // 255]
        else:
            rgb = [(255 - k) * (255 - c) // 255, (255 - k) * (255 - m) // 255, (255 - k) * (255 - y) // 255]
        image = np.stack(rgb, axis=-1).astype(np.uint8)
    return image


def _as_rgb_components(data):
    """The file relabelled so libjpeg takes its components as RGB (an Adobe marker with
    transform 0, the JFIF marker renamed to APP15): decoding then skips the color conversion
    and, without fancy upsampling, replicates the chroma samples, which makes them readable."""
    out = bytearray(data)
    pos, adobe = 2, False
    while pos + 4 <= len(out) and out[pos] == 0xFF and out[pos + 1] not in (0xDA, 0xD9):
        length, = struct.unpack(">H", out[pos + 2:pos + 4])
        if out[pos + 1] == 0xE0 and out[pos + 4:pos + 9] == b"JFIF\0":
            out[pos + 1] = 0xEF
        elif out[pos + 1] == 0xEE and out[pos + 4:pos + 9] == b"Adobe" and length >= 14:
            out[pos + 15] = 0
            adobe = True
        pos += 2 + length
    if not adobe:
        out[2:2] = b"\xff\xee\x00\x0eAdobe\x00\x64\x00\x00\x00\x00\x00"
    return bytes(out)


def _fancy_crop(data, sampling, crop, ratio, fast_dct):
    """DecodeAndCropJpeg's pixels with fancy upsampling of subsampled chroma: libjpeg-turbo
    decodes only the iMCU columns of the window (jpeg_crop_scanline), so its upsampler sees the
    chroma samples of the window alone and replicates them at the window's left (aligned to the
    iMCU) and right edges; rows are upsampled with their real neighbours (jpeg_skip_scanlines
    keeps the context). Rebuilt here from the Y plane and the raw chroma samples with libjpeg's
    h2v1 / h2v2 fancy upsampling and YCbCr->RGB tables. None when the scaled chroma needs no
    horizontal upsampling (libjpeg scales the chroma IDCT up where it can)."""
    import simplejpeg
    y0, x0, h, w = crop
    scaled = 8 // ratio
    max_v = 2 if sampling == "420" else 1
    size = scaled
    while size < 8 and (2 * scaled) % (2 * size) == 0 and (max_v * scaled) % (2 * size) == 0:
        size *= 2
    if 2 * scaled // size != 2:
        return None
    v = max_v * scaled // size
    data = _without_header_junk(data)
    kwargs = dict(fastdct=fast_dct, min_factor=ratio, strict=False)  # decode_jpeg has judged the warnings
    height, width, _, _ = _header(data)
    kwargs.update(min_height=-(-height // ratio), min_width=-(-width // ratio))
    luma = simplejpeg.decode_jpeg(data, colorspace="GRAY", **kwargs).astype(np.int64)[..., 0]
    raw = simplejpeg.decode_jpeg(_as_rgb_components(data), colorspace="RGB", fastupsample=True, **kwargs)
    height = luma.shape[0]
    start = x0 // (2 * scaled) * (2 * scaled)  # the window's first iMCU column
    out_width = x0 + w - start
    samples = -(-out_width // 2)
    chroma = []
    for c in (1, 2):
        plane = raw[::v, start:start + 2 * samples:2, c].astype(np.int64)
        if v == 2:
            rows = np.arange(height)
            near, far = plane[rows // 2], plane[np.clip(np.where(rows % 2, rows // 2 + 1, rows // 2 - 1), 0,
                                                       plane.shape[0] - 1)]
            colsum = near * 3 + far
            left = np.concatenate([colsum[:, :1], colsum[:, :-1]], axis=1)
            right = np.concatenate([colsum[:, 1:], colsum[:, -1:]], axis=1)
            even, odd = (colsum * 3 + left + 8) >> 4, (colsum * 3 + right + 7) >> 4
            even[:, 0] = (colsum[:, 0] * 4 + 8) >> 4
            odd[:, -1] = (colsum[:, -1] * 4 + 7) >> 4
        else:
            left = np.concatenate([plane[:, :1], plane[:, :-1]], axis=1)
            right = np.concatenate([plane[:, 1:], plane[:, -1:]], axis=1)
            even, odd = (plane * 3 + left + 1) >> 2, (plane * 3 + right + 2) >> 2
            even[:, 0] = plane[:, 0]
            odd[:, -1] = plane[:, -1]
        up = np.stack([even, odd], axis=2).reshape(even.shape[0], -1)
        chroma.append(up[y0:y0 + h, x0 - start:x0 - start + w])
    yy = luma[y0:y0 + h, x0:x0 + w]
    cb, cr = chroma[0] - 128, chroma[1] - 128
    half = 1 << 15
    r = yy + ((91881 * cr + half) >> 16)
    g = yy + ((-22554 * cb + half - 46802 * cr) >> 16)
    b = yy + ((116130 * cb + half) >> 16)
    return np.clip(np.stack([r, g, b], axis=-1), 0, 255).astype(np.uint8)


def _extract_jpeg_shape(node, attrs, inputs):
    data = _contents(inputs[0])
    out_type = np.int64 if int(attrs.get("output_type", 3)) == 9 else np.int32
    fail = _invalid("Invalid JPEG data, size %d" % len(data))
    if not data.startswith(b"\xff\xd8"):
        raise fail
    try:
        import simplejpeg
        height, width, space, _ = simplejpeg.decode_jpeg_header(_without_header_junk(data))
    except ValueError:
        raise fail from None
    components = {"Gray": 1, "CMYK": 4, "YCCK": 4}.get(space, 3)
    return [np.array([height, width, components], out_type)]


def _decode_op(op):
    def run(node, attrs, inputs):
        return _Decode(op, attrs).run(inputs)
    return run


# ---- Encoding ----

def _encode_png(node, attrs, inputs):
    image = np.asarray(inputs[0])
    level = int(attrs.get("compression", -1))
    if image.ndim < 3:
        raise _invalid("images must be at least rank 3[%s]" % ",".join(map(str, image.shape)))
    c = image.shape[-1]
    if c not in (1, 2, 3, 4):
        raise _invalid("image must have 1, 2, 3, or 4 channels, got %d" % c)
    if not -1 <= level <= 9:
        raise _invalid("Invalid compression level %d" % level)
    batch = image.shape[:-3]
    flat = image.reshape((int(np.prod(batch)),) + image.shape[-3:])
    out = np.empty(len(flat), dtype=object)
    failed = []
    for i, im in enumerate(flat):
        if im.shape[0] == 0 or im.shape[1] == 0:
            failed.append(i)
            continue
        out[i] = png_codec.encode(im, level)
    if failed:
        raise errors.InternalError(None, None, "PNG encoding failed at the following flattened batch indices: %s"
                                   % ", ".join(map(str, failed)))
    return [out.reshape(batch)]


def _encode_jpeg(node, attrs, inputs, quality=None):
    image = np.asarray(inputs[0])
    fmt = _text(attrs.get("format", b""))
    if quality is None:
        quality = int(attrs.get("quality", 95))
    if not 0 <= quality <= 100:
        raise _invalid("quality must be in [0,100], got %d" % quality)
    if image.ndim != 3:
        raise _invalid("image must be 3-dimensional[%s]" % ",".join(map(str, image.shape)))
    shape = "[%s]" % ",".join(map(str, image.shape))
    c = image.shape[2]
    if fmt == "grayscale" and c != 1:
        raise _invalid("format grayscale expects 1 channels, got %s" % shape)
    if fmt == "rgb" and c != 3:
        raise _invalid("format rgb expects 3 channels, got %s" % shape)
    if c not in (1, 3):
        raise _invalid("image must have 1 or 3 channels, got %s" % shape)
    if image.shape[0] == 0 or image.shape[1] == 0 or image.shape[0] * image.shape[1] >= 1 << 29:
        raise errors.InternalError(None, None, "JPEG encoding failed")
    units = {"in": 1, "cm": 2}.get(_text(attrs.get("density_unit", b"in")), 1)
    return [np.array(jpeg_encoder.encode(
        np.ascontiguousarray(image), quality, chroma_downsampling=bool(attrs.get("chroma_downsampling", True)),
        progressive=bool(attrs.get("progressive", False)), optimize=bool(attrs.get("optimize_size", False)),
        density=(units, int(attrs.get("x_density", 300)), int(attrs.get("y_density", 300))),
        xmp=attrs.get("xmp_metadata", b"")), dtype=object)]


def _encode_jpeg_variable_quality(node, attrs, inputs):
    quality = np.asarray(inputs[1])
    if quality.ndim != 0:
        raise _invalid("quality must be a scalar: [%s]" % ",".join(map(str, quality.shape)))
    return _encode_jpeg(node, {}, inputs[:1], quality=int(quality))


HOST_OPS = {op: _decode_op(op) for op in ("DecodeJpeg", "DecodeAndCropJpeg", "DecodePng", "DecodeGif",
                                          "DecodeBmp", "DecodeImage")}
HOST_OPS.update({
    "ExtractJpegShape": _extract_jpeg_shape,
    "EncodePng": _encode_png,
    "EncodeJpeg": _encode_jpeg,
    "EncodeJpegVariableQuality": _encode_jpeg_variable_quality,
})
