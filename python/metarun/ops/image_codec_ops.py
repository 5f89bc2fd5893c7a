"""Image decoding and encoding: tf.image / tf.io decode_jpeg, decode_and_crop_jpeg,
extract_jpeg_shape, encode_jpeg, decode_png, encode_png, decode_gif, decode_bmp, decode_image,
is_jpeg, adjust_jpeg_quality and random_jpeg_quality, building the nodes TF builds, with TF's
static shapes. None of these ops has a gradient in TF."""

from metarun.framework import dtypes
from metarun.framework import shape_inference as si
from metarun.framework.op_builder import apply_op
from metarun.framework.tensor_shape import TensorShape


def decode_jpeg(contents, channels=0, ratio=1, fancy_upscaling=True, try_recover_truncated=False,
                acceptable_fraction=1, dct_method="", name=None):
    return apply_op("DecodeJpeg", contents=contents, channels=channels, ratio=ratio,
                    fancy_upscaling=fancy_upscaling, try_recover_truncated=try_recover_truncated,
                    acceptable_fraction=acceptable_fraction, dct_method=dct_method, name=name)


def decode_and_crop_jpeg(contents, crop_window, channels=0, ratio=1, fancy_upscaling=True,
                         try_recover_truncated=False, acceptable_fraction=1, dct_method="", name=None):
    return apply_op("DecodeAndCropJpeg", contents=contents, crop_window=crop_window, channels=channels,
                    ratio=ratio, fancy_upscaling=fancy_upscaling, try_recover_truncated=try_recover_truncated,
                    acceptable_fraction=acceptable_fraction, dct_method=dct_method, name=name)


def extract_jpeg_shape(contents, output_type=dtypes.int32, name=None):
    return apply_op("ExtractJpegShape", contents=contents, output_type=output_type, name=name)


def encode_jpeg(image, format="", quality=95, progressive=False, optimize_size=False,  # noqa: A002 -- TF's name
                chroma_downsampling=True, density_unit="in", x_density=300, y_density=300, xmp_metadata="",
                name=None):
    return apply_op("EncodeJpeg", image=image, format=format, quality=quality, progressive=progressive,
                    optimize_size=optimize_size, chroma_downsampling=chroma_downsampling,
                    density_unit=density_unit, x_density=x_density, y_density=y_density,
                    xmp_metadata=xmp_metadata, name=name)


def encode_jpeg_variable_quality(images, quality, name=None):
    return apply_op("EncodeJpegVariableQuality", images=images, quality=quality, name=name)


def decode_png(contents, channels=0, dtype=dtypes.uint8, name=None):
    return apply_op("DecodePng", contents=contents, channels=channels, dtype=dtype, name=name)


def encode_png(image, compression=-1, name=None):
    from metarun.framework.op_builder import convert_to_tensor
    return apply_op("EncodePng", image=convert_to_tensor(image), compression=compression, name=name)


def decode_gif(contents, name=None):
    return apply_op("DecodeGif", contents=contents, name=name)


def decode_bmp(contents, channels=0, name=None):
    return apply_op("DecodeBmp", contents=contents, channels=channels, name=name)


def decode_image(contents, channels=None, dtype=dtypes.uint8, name=None, expand_animations=True):
    """The DecodeImage op (TF 2's kernel: it sniffs JPEG, PNG, GIF and BMP), in a decode_image
    name scope as TF builds it; dtypes other than the kernel's uint8, uint16 and float32 are
    decoded as uint16 and converted with convert_image_dtype, as TF does."""
    from metarun.ops.scopes import name_scope
    dtype = dtypes.as_dtype(dtype)
    with name_scope(name, "decode_image"):
        channels = 0 if channels is None else channels
        if dtype in (dtypes.float32, dtypes.uint8, dtypes.uint16):
            return apply_op("DecodeImage", contents=contents, channels=channels,
                            expand_animations=expand_animations, dtype=dtype)
        from metarun.ops.image_ops import convert_image_dtype
        image = apply_op("DecodeImage", contents=contents, channels=channels, expand_animations=expand_animations,
                         dtype=dtypes.uint16)
        return convert_image_dtype(image, dtype)


def is_jpeg(contents, name=None):
    """Whether `contents` starts with JPEG's magic bytes, as TF builds it: Substr then Equal."""
    from metarun.ops.scopes import name_scope
    with name_scope(name, "is_jpeg"):
        substr = apply_op("Substr", input=contents, pos=0, len=3)
        return apply_op("Equal", x=substr, y=b"\xff\xd8\xff", name=name)


def _require_rank(op, index, want):
    s = op.inputs[index].shape
    if s.ndims is not None and s.ndims != want:
        raise ValueError("Shape must be rank %d but is rank %d for '%s' (op: '%s')"
                         % (want, s.ndims, op.name, op.type))
    return s


def _channels(op):
    c = op.get_attr("channels")
    return None if c == 0 else c


@si.register("DecodeJpeg", "DecodePng", "DecodeBmp")
def _decode_shape(op):
    _require_rank(op, 0, 0)
    return [TensorShape([None, None, _channels(op)])]


@si.register("DecodeAndCropJpeg")
def _decode_and_crop_shape(op):
    _require_rank(op, 0, 0)
    window = _require_rank(op, 1, 1)
    if window.ndims is not None and window.dims[0] is not None and window.dims[0] != 4:
        raise ValueError("Dimension must be 4 but is %d for '%s' (op: '%s')" % (window.dims[0], op.name, op.type))
    h = w = None
    value = si.constant_value(op.inputs[1])
    if value is not None and getattr(value, "shape", None) == (4,):
        h, w = int(value[2]), int(value[3])
    return [TensorShape([h, w, _channels(op)])]


@si.register("DecodeGif")
def _decode_gif_shape(op):
    _require_rank(op, 0, 0)
    return [TensorShape([None, None, None, 3])]


@si.register("DecodeImage")
def _decode_image_shape(op):
    _require_rank(op, 0, 0)
    if op.get_attr("expand_animations"):
        return [TensorShape(None)]
    return [TensorShape([None, None, _channels(op)])]


@si.register("ExtractJpegShape")
def _extract_shape(op):
    _require_rank(op, 0, 0)
    return [TensorShape([3])]


@si.register("EncodeJpeg")
def _encode_jpeg_shape(op):
    _require_rank(op, 0, 3)
    return [TensorShape([])]


@si.register("EncodeJpegVariableQuality")
def _encode_jpeg_vq_shape(op):
    _require_rank(op, 0, 3)
    _require_rank(op, 1, 0)
    return [TensorShape([])]


@si.register("EncodePng")
def _encode_png_shape(op):
    s = op.inputs[0].shape
    if s.ndims is None:
        return [TensorShape(None)]
    if s.ndims < 3:
        raise ValueError("Shape must be at least rank 3 but is rank %d for '%s' (op: '%s')"
                         % (s.ndims, op.name, op.type))
    return [TensorShape(s.dims[:-3])]


def adjust_jpeg_quality(image, jpeg_quality, dct_method="", name=None):
    from metarun.framework.op_builder import constant, convert_to_tensor
    from metarun.ops.image_ops import convert_image_dtype
    from metarun.ops.misc_ops import is_tensor
    from metarun.ops.scopes import name_scope
    with name_scope(name, "adjust_jpeg_quality", [image]):
        image = convert_to_tensor(image, name="image")
        channels = image.shape.as_list()[-1]
        orig_dtype = image.dtype
        image = convert_image_dtype(image, dtypes.uint8, saturate=True)
        if not is_tensor(jpeg_quality):
            jpeg_quality = constant(jpeg_quality, dtype=dtypes.int32)
        image = apply_op("EncodeJpegVariableQuality", images=image, quality=jpeg_quality)
        image = apply_op("DecodeJpeg", contents=image, channels=channels, dct_method=dct_method)
        return convert_image_dtype(image, orig_dtype, saturate=True)


def random_jpeg_quality(image, min_jpeg_quality, max_jpeg_quality, seed=None):
    from metarun.ops.random_ops import random_uniform
    if not (0 <= min_jpeg_quality <= 100 and 0 <= max_jpeg_quality <= 100):
        raise ValueError("jpeg encoding range must be between 0 and 100.")
    if min_jpeg_quality >= max_jpeg_quality:
        raise ValueError("`min_jpeg_quality` must be less than `max_jpeg_quality`.")
    quality = random_uniform([], min_jpeg_quality, max_jpeg_quality, seed=seed, dtype=dtypes.int32)
    return adjust_jpeg_quality(image, quality)
