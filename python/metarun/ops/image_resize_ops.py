"""Image resizing and cropping as tf.compat.v1.image builds it: ResizeMethod, resize_images (= resize),
resize_bilinear / nearest_neighbor / bicubic / area, resize_image_with_pad, crop_and_resize,
extract_glimpse, and TF 2's
resize (resize_images_v2, whose antialiased and kernel-based methods go through ScaleAndTranslate);
the shape functions of the resize, crop and scale ops."""
import numpy as np

from metarun.framework import dtypes
from metarun.framework import shape_inference as si
from metarun.framework.graph import Tensor
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape
from metarun.ops import array_ops, control_flow_ops, math_ops
from metarun.ops.scopes import name_scope


class ResizeMethod(object):
    """tf.compat.v1.image.ResizeMethod: the v1 resize methods."""
    BILINEAR = 0
    NEAREST_NEIGHBOR = 1
    BICUBIC = 2
    AREA = 3


class ResizeMethodV2(object):
    """TF 2's tf.image.ResizeMethod: method names, the last four resampled by ScaleAndTranslate."""
    BILINEAR = "bilinear"
    NEAREST_NEIGHBOR = "nearest"
    BICUBIC = "bicubic"
    AREA = "area"
    LANCZOS3 = "lanczos3"
    LANCZOS5 = "lanczos5"
    GAUSSIAN = "gaussian"
    MITCHELLCUBIC = "mitchellcubic"


# -- the op builders ------------------------------------------------------------------------------

def resize_bilinear(images, size, align_corners=False, name=None, half_pixel_centers=False):
    return apply_op("ResizeBilinear", images=images, size=size, align_corners=align_corners,
                    half_pixel_centers=half_pixel_centers, name=name)


def resize_nearest_neighbor(images, size, align_corners=False, name=None, half_pixel_centers=False):
    return apply_op("ResizeNearestNeighbor", images=images, size=size, align_corners=align_corners,
                    half_pixel_centers=half_pixel_centers, name=name)


def resize_bicubic(images, size, align_corners=False, name=None, half_pixel_centers=False):
    return apply_op("ResizeBicubic", images=images, size=size, align_corners=align_corners,
                    half_pixel_centers=half_pixel_centers, name=name)


def resize_area(images, size, align_corners=False, name=None):
    return apply_op("ResizeArea", images=images, size=size, align_corners=align_corners, name=name)


def crop_and_resize(image, boxes, box_ind=None, crop_size=None, method="bilinear", extrapolation_value=0, name=None,
                    box_indices=None):
    """tf.compat.v1.image.crop_and_resize: crops of `image` at `boxes` (normalised y1, x1, y2, x2),
    each resized to `crop_size` (box_indices is box_ind's new name)."""
    if box_ind is not None and box_indices is not None:
        raise ValueError("Cannot specify both 'box_ind' and 'box_indices'.")
    box_ind = box_indices if box_indices is not None else box_ind
    return apply_op("CropAndResize", image=image, boxes=boxes, box_ind=box_ind, crop_size=crop_size, method=method,
                    extrapolation_value=extrapolation_value, name=name)


def extract_glimpse(input, size, offsets, centered=True, normalized=True, uniform_noise=True,  # noqa: A002
                    name=None):
    """tf.compat.v1.image.extract_glimpse: a `size` window of each image at `offsets` (y, x), through
    ExtractGlimpse (whose noise attr keeps its default, 'uniform')."""
    return apply_op("ExtractGlimpse", input=input, size=size, offsets=offsets, centered=centered,
                    normalized=normalized, uniform_noise=uniform_noise, name=name)


# -- resize_images and TF 2's resize ----------------------------------------------------------------

def _image_dimensions(image, rank):
    """TF's _ImageDimensions: static dims as ints, the rest as scalar tensors of tf.shape."""
    if image.shape.is_fully_defined():
        return image.shape.as_list()
    static = image.shape.with_rank(rank).as_list()
    dynamic = array_ops.unstack(array_ops.shape(image), rank)
    return [s if s is not None else d for s, d in zip(static, dynamic)]


def _resize_images_common(images, resizer_fn, size, preserve_aspect_ratio, name, skip_resize_if_same):
    with name_scope(name, "resize", [images, size]):
        images = convert_to_tensor(images, name="images")
        if images.shape.ndims is None:
            raise ValueError("'images' contains no shape.")
        is_batch = True
        if images.shape.ndims == 3:
            is_batch = False
            images = array_ops.expand_dims(images, 0)
        elif images.shape.ndims != 4:
            raise ValueError("'images' must have either 3 or 4 dimensions.")
        _, height, width, _ = images.shape.as_list()
        try:
            size = convert_to_tensor(size, dtypes.int32, name="size")
        except (TypeError, ValueError):
            raise ValueError("'size' must be a 1-D int32 Tensor")
        if not size.shape.is_compatible_with([2]):
            raise ValueError("'size' must be a 1-D Tensor of 2 elements: new_height, new_width")
        if preserve_aspect_ratio:
            _, current_height, current_width, _ = _image_dimensions(images, rank=4)
            scale_h = math_ops.cast(size[0], dtypes.float32) / math_ops.cast(current_height, dtypes.float32)
            scale_w = math_ops.cast(size[1], dtypes.float32) / math_ops.cast(current_width, dtypes.float32)
            scale_factor = math_ops.minimum(scale_h, scale_w)
            scaled_h = math_ops.cast(math_ops.round(scale_factor * math_ops.cast(current_height, dtypes.float32)),
                                     dtypes.int32)
            scaled_w = math_ops.cast(math_ops.round(scale_factor * math_ops.cast(current_width, dtypes.float32)),
                                     dtypes.int32)
            size = convert_to_tensor([scaled_h, scaled_w], dtypes.int32, name="size")
        new_height, new_width = _static_pair(size)
        if (skip_resize_if_same and None not in (new_width, width, new_height, height)
                and width == new_width and height == new_height):
            return images if is_batch else array_ops.squeeze(images, axis=[0])
        images = resizer_fn(images, size)
        images.set_shape([None, new_height, new_width, None])
        return images if is_batch else array_ops.squeeze(images, axis=[0])


def _static_pair(size):
    """(height, width) of a size tensor as far as TF's constant_value_as_shape knows them."""
    value = si.constant_value(size)
    if value is None and size.op.type == "Pack":
        parts = [si.constant_value(x) for x in size.op.inputs]
        return tuple(None if p is None else int(p) for p in parts[:2])
    if value is None or np.size(value) != 2:
        return None, None
    return int(value[0]), int(value[1])


def resize_images(images, size, method=ResizeMethod.BILINEAR, align_corners=False, preserve_aspect_ratio=False,
                  name=None):
    """tf.compat.v1.image.resize_images (and tf.compat.v1.image.resize): float32 results except for
    nearest neighbour; returns `images` itself when the size is statically unchanged."""
    def resize_fn(images_t, new_size):
        if method in (ResizeMethod.BILINEAR, ResizeMethodV2.BILINEAR):
            return resize_bilinear(images_t, new_size, align_corners=align_corners)
        if method in (ResizeMethod.NEAREST_NEIGHBOR, ResizeMethodV2.NEAREST_NEIGHBOR):
            return resize_nearest_neighbor(images_t, new_size, align_corners=align_corners)
        if method in (ResizeMethod.BICUBIC, ResizeMethodV2.BICUBIC):
            return resize_bicubic(images_t, new_size, align_corners=align_corners)
        if method in (ResizeMethod.AREA, ResizeMethodV2.AREA):
            return resize_area(images_t, new_size, align_corners=align_corners)
        raise ValueError("Resize method is not implemented: {}".format(method))
    return _resize_images_common(images, resize_fn, size, preserve_aspect_ratio=preserve_aspect_ratio, name=name,
                                 skip_resize_if_same=True)


def resize_images_v2(images, size, method=ResizeMethodV2.BILINEAR, preserve_aspect_ratio=False, antialias=False,
                     name=None):
    """TF 2's tf.image.resize: half-pixel centers; antialiased bilinear / bicubic and the lanczos,
    gaussian and mitchellcubic kernels resample through ScaleAndTranslate."""
    def resize_fn(images_t, new_size):
        def with_scale_and_translate(kernel):
            scale = (math_ops.cast(new_size, dtype=dtypes.float32) /
                     math_ops.cast(array_ops.shape(images_t)[1:3], dtype=dtypes.float32))
            return apply_op("ScaleAndTranslate", images=images_t, size=new_size, scale=scale,
                            translation=array_ops.zeros([2]), kernel_type=kernel, antialias=antialias)
        if method == ResizeMethodV2.BILINEAR:
            if antialias:
                return with_scale_and_translate("triangle")
            return resize_bilinear(images_t, new_size, half_pixel_centers=True)
        if method == ResizeMethodV2.NEAREST_NEIGHBOR:
            return resize_nearest_neighbor(images_t, new_size, half_pixel_centers=True)
        if method == ResizeMethodV2.BICUBIC:
            if antialias:
                return with_scale_and_translate("keyscubic")
            return resize_bicubic(images_t, new_size, half_pixel_centers=True)
        if method == ResizeMethodV2.AREA:
            return resize_area(images_t, new_size)
        if method in (ResizeMethodV2.LANCZOS3, ResizeMethodV2.LANCZOS5, ResizeMethodV2.GAUSSIAN,
                      ResizeMethodV2.MITCHELLCUBIC):
            return with_scale_and_translate(method)
        raise ValueError("Resize method is not implemented: {}".format(method))
    return _resize_images_common(images, resize_fn, size, preserve_aspect_ratio=preserve_aspect_ratio, name=name,
                                 skip_resize_if_same=False)


# -- resize_image_with_pad --------------------------------------------------------------------------

def _is_tensor(x):
    return isinstance(x, Tensor) or hasattr(x, "_as_graph_element")


def _assert(cond, ex_type, msg):
    """TF's polymorphic assert: an Assert op for a tensor condition, else checked now."""
    if _is_tensor(cond):
        return [control_flow_ops.Assert(cond, [msg])]
    if not cond:
        raise ex_type(msg)
    return []


def _check_at_least_3d(image):
    """TF's _CheckAtLeast3DImage(require_static=False): static checks, asserts for unknown dims."""
    try:
        shape = image.shape.with_rank(3) if image.shape.ndims is None else image.shape.with_rank_at_least(3)
    except ValueError:
        raise ValueError("'image' (shape %s) must be at least three-dimensional." % image.shape)
    inner = shape.as_list()[-3:]
    if any(x == 0 for x in inner):
        raise ValueError("inner 3 dims of 'image.shape' must be > 0: %s" % shape)
    if None in inner:
        from metarun.ops import check_ops
        return [check_ops.assert_positive(array_ops.shape(image)[-3:], ["inner 3 dims of 'image.shape' must be > 0."]),
                check_ops.assert_greater_equal(array_ops.rank(image), 3,
                                               message="'image' must be at least three-dimensional.")]
    return []


def _pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """TF's pad_to_bounding_box (checking its dims), as resize_image_with_pad calls it."""
    with name_scope(None, "pad_to_bounding_box", [image]):
        image = convert_to_tensor(image, name="image")
        is_batch = True
        if image.shape.ndims == 3:
            is_batch = False
            image = array_ops.expand_dims(image, 0)
        elif image.shape.ndims is None:
            is_batch = False
            image = array_ops.expand_dims(image, 0)
            image.set_shape([None] * 4)
        elif image.shape.ndims != 4:
            raise ValueError("'image' (shape %s) must have either 3 or 4 dimensions." % image.shape)
        batch, height, width, depth = _image_dimensions(image, rank=4)
        after_width = target_width - offset_width - width
        after_height = target_height - offset_height - height
        asserts = _check_at_least_3d(image)
        asserts += _assert(offset_height >= 0, ValueError, "offset_height must be >= 0")
        asserts += _assert(offset_width >= 0, ValueError, "offset_width must be >= 0")
        asserts += _assert(after_width >= 0, ValueError, "width must be <= target - offset")
        asserts += _assert(after_height >= 0, ValueError, "height must be <= target - offset")
        image = control_flow_ops.with_dependencies(asserts, image)
        paddings = array_ops.reshape(array_ops.stack([0, 0, offset_height, after_height, offset_width, after_width,
                                                      0, 0]), [4, 2])
        padded = array_ops.pad(image, paddings)
        padded.set_shape([None if _is_tensor(i) else i for i in [batch, target_height, target_width, depth]])
        return padded if is_batch else array_ops.squeeze(padded, axis=[0])


def resize_image_with_pad(image, target_height, target_width, method=ResizeMethod.BILINEAR, align_corners=False):
    """tf.compat.v1.image.resize_image_with_pad: resized to fit, keeping the aspect ratio, then
    padded with zeros to the target size."""
    with name_scope(None, "resize_image_with_pad", [image]):
        image = convert_to_tensor(image, name="image")
        is_batch = True
        if image.shape.ndims == 3:
            is_batch = False
            image = array_ops.expand_dims(image, 0)
        elif image.shape.ndims is None:
            is_batch = False
            image = array_ops.expand_dims(image, 0)
            image.set_shape([None] * 4)
        elif image.shape.ndims != 4:
            raise ValueError("'image' (shape %s) must have either 3 or 4 dimensions." % image.shape)
        asserts = _check_at_least_3d(image)
        asserts += _assert(target_width > 0, ValueError, "target_width must be > 0.")
        asserts += _assert(target_height > 0, ValueError, "target_height must be > 0.")
        image = control_flow_ops.with_dependencies(asserts, image)

        def max_(x, y):
            return math_ops.maximum(x, y) if _is_tensor(x) or _is_tensor(y) else max(x, y)

        _, height, width, _ = _image_dimensions(image, rank=4)
        f_height = math_ops.cast(height, dtype=dtypes.float32)
        f_width = math_ops.cast(width, dtype=dtypes.float32)
        f_target_height = math_ops.cast(target_height, dtype=dtypes.float32)
        f_target_width = math_ops.cast(target_width, dtype=dtypes.float32)
        ratio = max_(f_width / f_target_width, f_height / f_target_height)
        resized_height_float = f_height / ratio
        resized_width_float = f_width / ratio
        resized_height = math_ops.cast(math_ops.floor(resized_height_float), dtype=dtypes.int32)
        resized_width = math_ops.cast(math_ops.floor(resized_width_float), dtype=dtypes.int32)
        padding_height = (f_target_height - resized_height_float) / 2
        padding_width = (f_target_width - resized_width_float) / 2
        f_padding_height = math_ops.floor(padding_height)
        f_padding_width = math_ops.floor(padding_width)
        p_height = max_(0, math_ops.cast(f_padding_height, dtype=dtypes.int32))
        p_width = max_(0, math_ops.cast(f_padding_width, dtype=dtypes.int32))
        resized = resize_images(image, [resized_height, resized_width], method, align_corners=align_corners)
        padded = _pad_to_bounding_box(resized, p_height, p_width, target_height, target_width)
        if padded.shape.ndims is None:
            raise ValueError("padded contains no shape.")
        _image_dimensions(padded, rank=4)
        return padded if is_batch else array_ops.squeeze(padded, axis=[0])


# -- shape functions --------------------------------------------------------------------------------

# TF's shape inference evaluates small constant subgraphs (a size computed from static dims
# with casts, divisions and rounding stays known); these are the ops such sizes are made of.
_FOLD = {"RealDiv": np.divide, "Mul": np.multiply, "Sub": np.subtract, "AddV2": np.add, "Add": np.add,
         "Minimum": np.minimum, "Maximum": np.maximum, "Round": np.round, "Floor": np.floor}


def _folded(t, depth=0):
    value = si.constant_value(t)
    if value is not None or depth > 16:
        return value
    op = t.op
    if op.type == "Cast":
        x = _folded(op.inputs[0], depth + 1)
        return None if x is None else np.asarray(x).astype(op.get_attr("DstT").as_numpy_dtype)
    if op.type == "Pack":
        vals = [_folded(x, depth + 1) for x in op.inputs]
        return None if any(v is None for v in vals) else np.stack(vals, axis=op.get_attr("axis"))
    if op.type in _FOLD:
        vals = [_folded(x, depth + 1) for x in op.inputs]
        if any(v is None for v in vals):
            return None
        with np.errstate(all="ignore"):
            return np.asarray(_FOLD[op.type](*vals)).astype(t.dtype.base_dtype.as_numpy_dtype)
    return None


def _size_dims(size):
    """(h, w) of a 2-element size input, None where unknown."""
    s = size.shape
    if s.ndims is not None and (s.ndims != 1 or s.dims[0] not in (None, 2)):
        raise ValueError("Shape must be rank 1 with 2 elements, but is %s" % s)
    value = _folded(size)
    if value is not None:
        value = np.asarray(value).reshape(-1)
        if value.size != 2:
            raise ValueError("Dimension must be 2 but is %d" % value.size)
        return [int(v) if v >= 0 else None for v in value]
    if size.op.type == "Pack" and len(size.op.inputs) == 2:
        parts = [_folded(x) for x in size.op.inputs]
        return [None if p is None or p < 0 else int(p) for p in parts]
    return [None, None]


def _image4(shape, what="input"):
    if shape.ndims is None:
        return [None] * 4
    if shape.ndims != 4:
        raise ValueError("Shape must be rank 4 but is rank %d for %s" % (shape.ndims, what))
    return shape.as_list()


@si.register("ResizeBilinear", "ResizeNearestNeighbor", "ResizeBicubic", "ResizeArea", "ScaleAndTranslate",
             "ExtractGlimpse", "ExtractGlimpseV2")
def _resize_shape(op):
    n, _, _, c = _image4(op.inputs[0].shape)
    h, w = _size_dims(op.inputs[1])
    return [TensorShape([n, h, w, c])]


@si.register("ResizeBilinearGrad", "ResizeBicubicGrad", "ScaleAndTranslateGrad")
def _like_original(op):
    _image4(op.inputs[0].shape, "grads")
    return [TensorShape(_image4(op.inputs[1].shape, "original_image"))]


@si.register("ResizeNearestNeighborGrad")
def _nearest_grad_shape(op):
    n, _, _, c = _image4(op.inputs[0].shape, "grads")
    h, w = _size_dims(op.inputs[1])
    return [TensorShape([n, h, w, c])]


@si.register("CropAndResize")
def _crop_shape(op):
    _, _, _, c = _image4(op.inputs[0].shape, "image")
    boxes, ind = op.inputs[1].shape, op.inputs[2].shape
    if boxes.ndims not in (None, 2) or ind.ndims not in (None, 1):
        raise ValueError("boxes must be 2-D and box_ind 1-D, got %s and %s" % (boxes, ind))
    num = boxes.dims[0] if boxes.ndims else None
    if num is None and ind.ndims:
        num = ind.dims[0]
    h, w = _size_dims(op.inputs[3])
    return [TensorShape([num, h, w, c])]


@si.register("CropAndResizeGradImage")
def _crop_grad_image_shape(op):
    _image4(op.inputs[0].shape, "grads")
    value = _folded(op.inputs[3])
    if value is None:
        return [TensorShape([None] * 4)]
    return [TensorShape([int(v) if v >= 0 else None for v in np.asarray(value).reshape(-1)])]


@si.register("CropAndResizeGradBoxes")
def _crop_grad_boxes_shape(op):
    return [op.inputs[2].shape if op.inputs[2].shape.ndims is not None else TensorShape([None, 4])]
