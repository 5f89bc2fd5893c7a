"""tf.image: image decoding and encoding, resizing and cropping, colour adjustments and
bounding boxes."""
from metarun.ops.image_codec_ops import (  # noqa: F401,E402 -- decoding and encoding
    adjust_jpeg_quality, decode_and_crop_jpeg, decode_bmp, decode_gif, decode_image, decode_jpeg, decode_png,
    encode_jpeg, encode_png, extract_jpeg_shape, is_jpeg, random_jpeg_quality)
from metarun.ops.image_resize_ops import ResizeMethod, crop_and_resize, resize_image_with_pad  # noqa: F401,E402
from metarun.ops.image_resize_ops import resize_area, resize_bicubic, resize_bilinear  # noqa: F401,E402
from metarun.ops.image_resize_ops import resize_images, resize_nearest_neighbor  # noqa: F401,E402
from metarun.ops.image_resize_ops import resize_images as resize  # noqa: F401,E402 -- v1's resize
from metarun.ops.image_ops import (  # noqa: F401,E402 -- non-max suppression and bounding boxes
    combined_non_max_suppression, draw_bounding_boxes, non_max_suppression, sample_distorted_bounding_box)
from metarun.ops.image_ops import non_max_suppression_with_overlaps as non_max_suppression_overlaps  # noqa: F401,E402
from metarun.ops.image_ops import non_max_suppression_with_scores  # noqa: F401,E402
from metarun.ops.image_ops import (  # noqa: F401,E402 -- colour
    adjust_brightness, adjust_contrast, adjust_gamma, adjust_hue, adjust_saturation, convert_image_dtype,
    grayscale_to_rgb, hsv_to_rgb, per_image_standardization, random_brightness, random_contrast, random_hue,
    random_saturation, rgb_to_grayscale, rgb_to_hsv, rgb_to_yiq, rgb_to_yuv, yiq_to_rgb, yuv_to_rgb)
from metarun.ops.image_ops import (  # noqa: F401,E402 -- geometry
    central_crop, crop_to_bounding_box, flip_left_right, flip_up_down, pad_to_bounding_box, random_flip_left_right,
    random_flip_up_down, resize_image_with_crop_or_pad, rot90, transpose)
from metarun.ops.image_ops import resize_image_with_crop_or_pad as resize_with_crop_or_pad  # noqa: F401,E402
from metarun.ops.image_ops import transpose as transpose_image  # noqa: F401,E402
from metarun.ops.array_ops_2 import random_crop  # noqa: F401,E402
from metarun.ops.image_ops import (  # noqa: F401,E402 -- patches and metrics
    extract_image_patches, extract_patches, image_gradients, psnr, sobel_edges, total_variation)
from metarun.ops.image_ops import ssim, ssim_multiscale  # noqa: F401,E402
from metarun.ops.image_ops import non_max_suppression_padded  # noqa: F401,E402
from metarun.ops.image_resize_ops import extract_glimpse  # noqa: F401,E402
