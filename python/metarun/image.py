"""tf.image: image decoding and encoding, resizing and cropping, colour adjustments and
bounding boxes."""
from metarun.ops.image_codec_ops import (  # noqa: F401,E402 -- decoding and encoding
    adjust_jpeg_quality, decode_and_crop_jpeg, decode_bmp, decode_gif, decode_image, decode_jpeg, decode_png,
    encode_jpeg, encode_png, extract_jpeg_shape, is_jpeg, random_jpeg_quality)
