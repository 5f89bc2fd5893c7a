"""tf.image: image decoding and encoding, resizing and cropping, colour adjustments and
bounding boxes."""
from metarun.ops.image_codec_ops import (  # noqa: F401,E402 -- decoding and encoding
    adjust_jpeg_quality, decode_and_crop_jpeg, decode_bmp, decode_gif, decode_image, decode_jpeg, decode_png,
    encode_jpeg, encode_png, extract_jpeg_shape, is_jpeg, random_jpeg_quality)
from metarun.ops.image_resize_ops import ResizeMethod, crop_and_resize, resize_image_with_pad  # noqa: F401,E402
from metarun.ops.image_resize_ops import resize_area, resize_bicubic, resize_bilinear  # noqa: F401,E402
from metarun.ops.image_resize_ops import resize_images, resize_nearest_neighbor  # noqa: F401,E402
from metarun.ops.image_resize_ops import resize_images as resize  # noqa: F401,E402 -- v1's resize
