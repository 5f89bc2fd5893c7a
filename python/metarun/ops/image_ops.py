"""tf.image (tf.compat.v1) beyond resizing and codecs: non-max suppression, colour adjustments and
conversions, flips, rotations, crops and pads, bounding boxes, patches and image metrics, building
the nodes TF's Python builds (its static shape checks and their errors included)."""
import numpy as np

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.shape_inference import constant_value
from metarun.framework.shape_inference import register as si_register
from metarun.framework.tensor_shape import TensorShape
from metarun.ops import array_ops, control_flow_ops, math_ops, random_ops
from metarun.ops.scopes import name_scope

_Tensor = graph_lib.Tensor


# -- checks ----------------------------------------------------------------------------------------

def _is_tensor(x):
    return isinstance(x, _Tensor) or hasattr(x, "_as_graph_element") and not isinstance(x, graph_lib.Operation)


def _assert(cond, ex_type, msg):
    """An Assert node for a tensor condition; a Python condition is checked now."""
    if _is_tensor(cond):
        return [control_flow_ops.Assert(cond, [msg])]
    if not cond:
        raise ex_type(msg)
    return []


def _image_dims(image, rank):
    """Static dims where known, else the matching element of the unstacked dynamic shape."""
    if image.get_shape().is_fully_defined():
        return image.get_shape().as_list()
    static = image.get_shape().with_rank(rank).as_list()
    dynamic = array_ops.unstack(array_ops.shape(image), rank)
    return [s if s is not None else d for s, d in zip(static, dynamic)]


def _check_at_least_3d(image, require_static=True):
    try:
        if image.get_shape().ndims is None:
            shape = image.get_shape().with_rank(3)
        else:
            shape = image.get_shape().with_rank_at_least(3)
    except ValueError:
        raise ValueError("'image' (shape %s) must be at least three-dimensional." % image.shape)
    if require_static and not shape.is_fully_defined():
        raise ValueError("'image' must be fully defined.")
    if any(x == 0 for x in shape[-3:]):
        raise ValueError("inner 3 dims of 'image.shape' must be > 0: %s" % shape)
    if not shape[-3:].is_fully_defined():
        return [array_ops.assert_positive(array_ops.shape(image)[-3:], ["inner 3 dims of 'image.shape' must be > 0."]),
                array_ops.assert_greater_equal(array_ops.rank(image), 3,
                                               message="'image' must be at least three-dimensional.")]
    return []


def _assert_at_least_3d(image):
    return control_flow_ops.with_dependencies(_check_at_least_3d(image, require_static=False), image)


def _check_grayscale(image, require_static=True):
    try:
        if image.get_shape().ndims is None:
            shape = image.get_shape().with_rank(2)
        else:
            shape = image.get_shape().with_rank_at_least(2)
    except ValueError:
        raise ValueError("A grayscale image (shape %s) must be at least two-dimensional." % image.shape)
    if require_static and not shape.is_fully_defined():
        raise ValueError("'image' must be fully defined.")
    if shape.is_fully_defined():
        if shape[-1] != 1:
            raise ValueError("Last dimension of a grayscale image should be size 1.")
        return []
    return [array_ops.assert_equal(array_ops.shape(image)[-1], 1,
                                   message="Last dimension of a grayscale image should be size 1."),
            array_ops.assert_greater_equal(array_ops.rank(image), 3,
                                           message="A grayscale image must be at least two-dimensional.")]


def _fix_flip_shape(image, result):
    shape = image.get_shape()
    result.set_shape([None, None, None] if shape.ndims is None else shape)
    return result


# -- non-max suppression ---------------------------------------------------------------------------

def non_max_suppression(boxes, scores, max_output_size, iou_threshold=0.5, score_threshold=float("-inf"),
                        name=None):
    """Indices of the boxes greedy NMS keeps, best score first."""
    with name_scope(name, "non_max_suppression"):
        iou_threshold = convert_to_tensor(iou_threshold, name="iou_threshold")
        score_threshold = convert_to_tensor(score_threshold, name="score_threshold")
        return apply_op("NonMaxSuppressionV3", boxes=boxes, scores=scores, max_output_size=max_output_size,
                        iou_threshold=iou_threshold, score_threshold=score_threshold)


def non_max_suppression_with_scores(boxes, scores, max_output_size, iou_threshold=0.5,
                                    score_threshold=float("-inf"), soft_nms_sigma=0.0, name=None):
    """(indices, scores) of the kept boxes; soft-NMS (Gaussian rescoring) when soft_nms_sigma > 0."""
    with name_scope(name, "non_max_suppression_with_scores"):
        iou_threshold = convert_to_tensor(iou_threshold, name="iou_threshold")
        score_threshold = convert_to_tensor(score_threshold, name="score_threshold")
        soft_nms_sigma = convert_to_tensor(soft_nms_sigma, name="soft_nms_sigma")
        indices, kept, _ = apply_op("NonMaxSuppressionV5", boxes=boxes, scores=scores,
                                    max_output_size=max_output_size, iou_threshold=iou_threshold,
                                    score_threshold=score_threshold, soft_nms_sigma=soft_nms_sigma,
                                    pad_to_max_output_size=False)
        return indices, kept


def non_max_suppression_with_overlaps(overlaps, scores, max_output_size, overlap_threshold=0.5,
                                      score_threshold=float("-inf"), name=None):
    """Greedy NMS over a given [n, n] overlap matrix."""
    with name_scope(name, "non_max_suppression_overlaps"):
        overlap_threshold = convert_to_tensor(overlap_threshold, name="overlap_threshold")
        return apply_op("NonMaxSuppressionWithOverlaps", overlaps=overlaps, scores=scores,
                        max_output_size=max_output_size, overlap_threshold=overlap_threshold,
                        score_threshold=score_threshold)


def combined_non_max_suppression(boxes, scores, max_output_size_per_class, max_total_size, iou_threshold=0.5,
                                 score_threshold=float("-inf"), pad_per_class=False, clip_boxes=True, name=None):
    """Per-class NMS over a batch, merged by score: (boxes, scores, classes, valid_detections)."""
    with name_scope(name, "combined_non_max_suppression"):
        iou_threshold = convert_to_tensor(iou_threshold, dtype=dtypes.float32, name="iou_threshold")
        score_threshold = convert_to_tensor(score_threshold, dtype=dtypes.float32, name="score_threshold")
        max_total_size = convert_to_tensor(max_total_size)
        return tuple(apply_op("CombinedNonMaxSuppression", boxes=boxes, scores=scores,
                              max_output_size_per_class=max_output_size_per_class, max_total_size=max_total_size,
                              iou_threshold=iou_threshold, score_threshold=score_threshold,
                              pad_per_class=pad_per_class, clip_boxes=clip_boxes))


# -- bounding boxes --------------------------------------------------------------------------------

def draw_bounding_boxes(images, boxes, name=None, colors=None):
    """Box outlines drawn over a batch of images, in the given colours or TF's table."""
    if colors is None:
        return apply_op("DrawBoundingBoxes", images=images, boxes=boxes, name=name)
    return apply_op("DrawBoundingBoxesV2", images=images, boxes=boxes, colors=colors, name=name)


def sample_distorted_bounding_box(image_size, bounding_boxes, seed=None, seed2=None, min_object_covered=0.1,
                                  aspect_ratio_range=None, area_range=None, max_attempts=None,
                                  use_image_if_no_bounding_boxes=None, name=None):
    """(begin, size, bboxes) of a random crop covering enough of one box (SampleDistortedBoundingBoxV2)."""
    with name_scope(name, "sample_distorted_bounding_box"):
        attrs = dict(seed=seed, seed2=seed2, aspect_ratio_range=aspect_ratio_range, area_range=area_range,
                     max_attempts=max_attempts, use_image_if_no_bounding_boxes=use_image_if_no_bounding_boxes)
        return tuple(apply_op("SampleDistortedBoundingBoxV2", image_size=image_size, bounding_boxes=bounding_boxes,
                              min_object_covered=min_object_covered, name=name,
                              **{k: v for k, v in attrs.items() if v is not None}))


# -- flips, rotations, transposes -------------------------------------------------------------------

def _by_rank(image, f_rank3, f_rank4, message, name=None):
    ndims = image.get_shape().ndims
    if ndims is None:
        return control_flow_ops.cond(math_ops.equal(array_ops.rank(image), 3), f_rank3, f_rank4, name=name)
    if ndims == 3:
        return f_rank3()
    if ndims == 4:
        return f_rank4()
    raise ValueError(message % image.get_shape())


def _flip(image, flip_index, scope_name):
    with name_scope(None, scope_name, [image]):
        image = convert_to_tensor(image, name="image")
        image = _assert_at_least_3d(image)
        return _by_rank(image, lambda: _fix_flip_shape(image, array_ops.reverse(image, [flip_index])),
                        lambda: array_ops.reverse(image, [flip_index + 1]),
                        "'image' (shape %s)must have either 3 or 4 dimensions.")


def flip_left_right(image):
    """Mirrors the width axis."""
    return _flip(image, 1, "flip_left_right")


def flip_up_down(image):
    """Mirrors the height axis."""
    return _flip(image, 0, "flip_up_down")


def _random_flip(image, flip_index, seed, scope_name):
    with name_scope(None, scope_name, [image]) as scope:
        image = convert_to_tensor(image, name="image")
        image = _assert_at_least_3d(image)

        def f_rank3():
            uniform = random_ops.random_uniform(shape=[], minval=0, maxval=1.0, seed=seed)
            result = control_flow_ops.cond(math_ops.less(uniform, .5),
                                           lambda: array_ops.reverse(image, [flip_index]), lambda: image, name=scope)
            return _fix_flip_shape(image, result)

        def f_rank4():
            batch_size = array_ops.shape(image)[0]
            uniform = random_ops.random_uniform(shape=[batch_size], minval=0, maxval=1.0, seed=seed)
            flips = math_ops.round(array_ops.reshape(uniform, [batch_size, 1, 1, 1]))
            flips = math_ops.cast(flips, image.dtype)
            flipped = array_ops.reverse(image, [flip_index + 1])
            return flips * flipped + (1 - flips) * image

        ndims = image.get_shape().ndims
        if ndims is None:
            return control_flow_ops.cond(math_ops.equal(array_ops.rank(image), 3), f_rank3, f_rank4)
        if ndims == 3:
            return f_rank3()
        if ndims == 4:
            return f_rank4()
        raise ValueError("'image' (shape %s) must have either 3 or 4 dimensions." % image.get_shape())


def random_flip_up_down(image, seed=None):
    """Flips each image up-down with probability 1/2."""
    return _random_flip(image, 0, seed, "random_flip_up_down")


def random_flip_left_right(image, seed=None):
    """Flips each image left-right with probability 1/2."""
    return _random_flip(image, 1, seed, "random_flip_left_right")


def _rot90_cases(image, k, scope, axes, perm):
    def rot90():
        return array_ops.transpose(array_ops.reverse_v2(image, [axes[1]]), perm)

    def rot180():
        return array_ops.reverse_v2(image, list(axes))

    def rot270():
        return array_ops.reverse_v2(array_ops.transpose(image, perm), [axes[1]])

    cases = [(math_ops.equal(k, 1), rot90), (math_ops.equal(k, 2), rot180), (math_ops.equal(k, 3), rot270)]
    return control_flow_ops.case(cases, default=lambda: image, exclusive=True, name=scope)


def _rot90_3d(image, k, scope):
    result = _rot90_cases(image, k, scope, (0, 1), [1, 0, 2])
    result.set_shape([None, None, image.get_shape()[2]])
    return result


def _rot90_4d(images, k, scope):
    result = _rot90_cases(images, k, scope, (1, 2), [0, 2, 1, 3])
    shape = result.get_shape()
    result.set_shape([shape[0], None, None, shape[3]])
    return result


def rot90(image, k=1, name=None):
    """Rotates by k quarter turns counter-clockwise."""
    with name_scope(name, "rot90", [image, k]) as scope:
        image = convert_to_tensor(image, name="image")
        image = _assert_at_least_3d(image)
        k = convert_to_tensor(k, dtype=dtypes.int32, name="k")
        if k.get_shape().ndims not in (None, 0):
            raise ValueError("Shape %s must have rank 0" % k.get_shape())
        k = apply_op("FloorMod", x=k, y=4, name="mod")
        ndims = image.get_shape().ndims
        if ndims is None:
            return control_flow_ops.cond(math_ops.equal(array_ops.rank(image), 3),
                                         lambda: _rot90_3d(image, k, scope), lambda: _rot90_4d(image, k, scope))
        if ndims == 3:
            return _rot90_3d(image, k, scope)
        if ndims == 4:
            return _rot90_4d(image, k, scope)
        raise ValueError("'image' (shape %s) must have either 3 or 4 dimensions." % image.get_shape())


def transpose(image, name=None):
    """Swaps height and width."""
    with name_scope(name, "transpose", [image]):
        image = convert_to_tensor(image, name="image")
        image = _assert_at_least_3d(image)
        return _by_rank(image, lambda: array_ops.transpose(image, [1, 0, 2], name=name),
                        lambda: array_ops.transpose(image, [0, 2, 1, 3], name=name),
                        "'image' (shape %s) must have either 3 or 4 dimensions.")


# -- crops and pads --------------------------------------------------------------------------------

def central_crop(image, central_fraction):
    """The central `central_fraction` of each image's height and width."""
    with name_scope(None, "central_crop", [image]):
        image = convert_to_tensor(image, name="image")
        fraction = constant_value(central_fraction) if _is_tensor(central_fraction) else central_fraction
        if fraction is not None:
            if fraction <= 0.0 or fraction > 1.0:
                raise ValueError("central_fraction must be within (0, 1]")
            if fraction == 1.0:
                return image
        else:
            checks = _assert(math_ops.logical_or(central_fraction > 0.0, central_fraction <= 1.0), ValueError,
                             "central_fraction must be within (0, 1]")
            image = control_flow_ops.with_dependencies(checks, image)
        _assert_at_least_3d(image)
        rank = image.get_shape().ndims
        if rank != 3 and rank != 4:
            raise ValueError("`image` should either be a Tensor with rank = 3 or rank = 4. Had rank = {}.".format(rank))

        def dim(idx):
            static = image.get_shape().dims[idx]
            if static is not None:
                return static, False
            return array_ops.shape(image)[idx], True

        first = 0 if rank == 3 else 1
        h, dynamic_h = dim(first)
        w, dynamic_w = dim(first + 1)
        depth = image.get_shape()[first + 2]
        dynamic_h = dynamic_h or fraction is None
        dynamic_w = dynamic_w or fraction is None

        def start(size, dynamic):
            if dynamic:
                sized = math_ops.cast(size, dtypes.float64)
                return math_ops.cast((sized - sized * math_ops.cast(central_fraction, dtypes.float64)) / 2,
                                     dtypes.int32)
            sized = float(size)
            return int((sized - sized * fraction) / 2)

        h_start = start(h, dynamic_h)
        w_start = start(w, dynamic_w)
        h_size = h - h_start * 2
        w_size = w - w_start * 2
        if rank == 3:
            begin = array_ops.stack([h_start, w_start, 0])
            size = array_ops.stack([h_size, w_size, -1])
        else:
            begin = array_ops.stack([0, h_start, w_start, 0])
            size = array_ops.stack([-1, h_size, w_size, -1])
        image = array_ops.slice(image, begin, size)
        spatial = [None if dynamic_h else h_size, None if dynamic_w else w_size, depth]
        image.set_shape(spatial if rank == 3 else [image.get_shape()[0]] + spatial)
        return image


def _as_batch(image):
    """(image as a batch of rank 4, whether it already was one)."""
    shape = image.get_shape()
    if shape.ndims == 3:
        return array_ops.expand_dims(image, 0), False
    if shape.ndims is None:
        image = array_ops.expand_dims(image, 0)
        image.set_shape([None] * 4)
        return image, False
    if shape.ndims != 4:
        raise ValueError("'image' (shape %s) must have either 3 or 4 dimensions." % shape)
    return image, True


def pad_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """Zero-pads to target_height x target_width with the image at the offsets."""
    with name_scope(None, "pad_to_bounding_box", [image]):
        image = convert_to_tensor(image, name="image")
        image, is_batch = _as_batch(image)
        batch, height, width, depth = _image_dims(image, rank=4)
        after_width = target_width - offset_width - width
        after_height = target_height - offset_height - height
        checks = _check_at_least_3d(image, require_static=False)
        checks += _assert(offset_height >= 0, ValueError, "offset_height must be >= 0")
        checks += _assert(offset_width >= 0, ValueError, "offset_width must be >= 0")
        checks += _assert(after_width >= 0, ValueError, "width must be <= target - offset")
        checks += _assert(after_height >= 0, ValueError, "height must be <= target - offset")
        image = control_flow_ops.with_dependencies(checks, image)
        paddings = array_ops.reshape(
            array_ops.stack([0, 0, offset_height, after_height, offset_width, after_width, 0, 0]), [4, 2])
        padded = array_ops.pad(image, paddings)
        padded.set_shape([None if _is_tensor(i) else i for i in [batch, target_height, target_width, depth]])
        if not is_batch:
            padded = array_ops.squeeze(padded, axis=[0])
        return padded


def crop_to_bounding_box(image, offset_height, offset_width, target_height, target_width):
    """The target_height x target_width window at the offsets."""
    with name_scope(None, "crop_to_bounding_box", [image]):
        image = convert_to_tensor(image, name="image")
        image, is_batch = _as_batch(image)
        checks = _check_at_least_3d(image, require_static=False)
        batch, height, width, depth = _image_dims(image, rank=4)
        checks += _assert(offset_width >= 0, ValueError, "offset_width must be >= 0.")
        checks += _assert(offset_height >= 0, ValueError, "offset_height must be >= 0.")
        checks += _assert(target_width > 0, ValueError, "target_width must be > 0.")
        checks += _assert(target_height > 0, ValueError, "target_height must be > 0.")
        checks += _assert(width >= (target_width + offset_width), ValueError, "width must be >= target + offset.")
        checks += _assert(height >= (target_height + offset_height), ValueError,
                          "height must be >= target + offset.")
        image = control_flow_ops.with_dependencies(checks, image)
        cropped = array_ops.slice(image, array_ops.stack([0, offset_height, offset_width, 0]),
                                  array_ops.stack([array_ops.shape(image)[0], target_height, target_width,
                                                   array_ops.shape(image)[3]]))
        cropped.set_shape([None if _is_tensor(i) else i for i in [batch, target_height, target_width, depth]])
        if not is_batch:
            cropped = array_ops.squeeze(cropped, axis=[0])
        return cropped


def resize_image_with_crop_or_pad(image, target_height, target_width):
    """Centre-crops or zero-pads each spatial dim to the target size."""
    with name_scope(None, "resize_image_with_crop_or_pad", [image]):
        image = convert_to_tensor(image, name="image")
        image, is_batch = _as_batch(image)
        checks = _check_at_least_3d(image, require_static=False)
        checks += _assert(target_width > 0, ValueError, "target_width must be > 0.")
        checks += _assert(target_height > 0, ValueError, "target_height must be > 0.")
        image = control_flow_ops.with_dependencies(checks, image)
        if _is_tensor(target_height):
            target_height = control_flow_ops.with_dependencies(checks, target_height)
        if _is_tensor(target_width):
            target_width = control_flow_ops.with_dependencies(checks, target_width)

        def pick(f_tensor, f_python):
            return lambda x, y: f_tensor(x, y) if _is_tensor(x) or _is_tensor(y) else f_python(x, y)

        max_, min_ = pick(math_ops.maximum, max), pick(math_ops.minimum, min)
        equal_ = pick(math_ops.equal, lambda x, y: x == y)
        _, height, width, _ = _image_dims(image, rank=4)
        width_diff = target_width - width
        offset_crop_width = max_(-width_diff // 2, 0)
        offset_pad_width = max_(width_diff // 2, 0)
        height_diff = target_height - height
        offset_crop_height = max_(-height_diff // 2, 0)
        offset_pad_height = max_(height_diff // 2, 0)
        cropped = crop_to_bounding_box(image, offset_crop_height, offset_crop_width, min_(target_height, height),
                                       min_(target_width, width))
        resized = pad_to_bounding_box(cropped, offset_pad_height, offset_pad_width, target_height, target_width)
        if resized.get_shape().ndims is None:
            raise ValueError("resized contains no shape.")
        _, resized_height, resized_width, _ = _image_dims(resized, rank=4)
        checks = _assert(equal_(resized_height, target_height), ValueError, "resized height is not correct.")
        checks += _assert(equal_(resized_width, target_width), ValueError, "resized width is not correct.")
        resized = control_flow_ops.with_dependencies(checks, resized)
        if not is_batch:
            resized = array_ops.squeeze(resized, axis=[0])
        return resized


# -- dtype, colour ---------------------------------------------------------------------------------

def convert_image_dtype(image, dtype, saturate=False, name=None):
    """Converts between integer and float images, rescaling to the dtype's range ([0, 1] for floats)."""
    image = convert_to_tensor(image, name="image")
    dtype = dtypes.as_dtype(dtype)
    if not dtype.is_floating and not dtype.is_integer:
        raise AttributeError("dtype must be either floating point or integer")
    if not image.dtype.is_floating and not image.dtype.is_integer:
        raise AttributeError("image dtype must be either floating point or integer")
    if dtype == image.dtype:
        return array_ops.identity(image, name=name)
    with name_scope(name, "convert_image", [image]) as name:
        cast = math_ops.saturate_cast if saturate else math_ops.cast
        if image.dtype.is_integer and dtype.is_integer:
            scale_in, scale_out = image.dtype.max, dtype.max
            if scale_in > scale_out:
                scaled = math_ops.floordiv(image, (scale_in + 1) // (scale_out + 1))
                return cast(scaled, dtype, name=name)
            widened = cast(image, dtype)
            return math_ops.multiply(widened, (scale_out + 1) // (scale_in + 1), name=name)
        if image.dtype.is_floating and dtype.is_floating:
            return math_ops.cast(image, dtype, name=name)
        if image.dtype.is_integer:
            return math_ops.multiply(math_ops.cast(image, dtype), 1. / image.dtype.max, name=name)
        scaled = math_ops.multiply(image, dtype.max + 0.5)  # + 0.5 so the cast's truncation rounds
        return cast(scaled, dtype, name=name)


def _to_float(image):
    return image if image.dtype in (dtypes.float16, dtypes.float32) else convert_image_dtype(image, dtypes.float32)


def adjust_brightness(image, delta):
    """image + delta, in float and back."""
    with name_scope(None, "adjust_brightness", [image, delta]) as name:
        image = convert_to_tensor(image, name="image")
        orig = image.dtype
        flt = _to_float(image)
        adjusted = math_ops.add(flt, math_ops.cast(delta, flt.dtype), name=name)
        return convert_image_dtype(adjusted, orig, saturate=True)


def adjust_contrast(images, contrast_factor):
    """(x - mean) * contrast_factor + mean per image and channel (AdjustContrastv2)."""
    with name_scope(None, "adjust_contrast", [images, contrast_factor]) as name:
        images = convert_to_tensor(images, name="images")
        orig = images.dtype
        adjusted = apply_op("AdjustContrastv2", images=_to_float(images), contrast_factor=contrast_factor, name=name)
        return convert_image_dtype(adjusted, orig, saturate=True)


def adjust_gamma(image, gamma=1, gain=1):
    """gain * image ** gamma."""
    with name_scope(None, "adjust_gamma", [image, gamma, gain]):
        image = convert_to_tensor(image, name="image")
        orig = image.dtype
        flt = _to_float(image)
        check = _assert(gamma >= 0, ValueError, "Gamma should be a non-negative real number.")
        if check:
            gamma = control_flow_ops.with_dependencies(check, gamma)
        return convert_image_dtype(gain * flt ** gamma, orig, saturate=True)


def adjust_hue(image, delta, name=None):
    """Rotates the hue by delta (a fraction of the colour wheel)."""
    with name_scope(name, "adjust_hue", [image]):
        image = convert_to_tensor(image, name="image")
        orig = image.dtype
        return convert_image_dtype(apply_op("AdjustHue", images=_to_float(image), delta=delta), orig)


def adjust_saturation(image, saturation_factor, name=None):
    """Scales the saturation, clamped to [0, 1]."""
    with name_scope(name, "adjust_saturation", [image]):
        image = convert_to_tensor(image, name="image")
        orig = image.dtype
        return convert_image_dtype(apply_op("AdjustSaturation", images=_to_float(image), scale=saturation_factor),
                                   orig)


def random_brightness(image, max_delta, seed=None):
    """adjust_brightness by a delta uniform in [-max_delta, max_delta)."""
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    return adjust_brightness(image, random_ops.random_uniform([], -max_delta, max_delta, seed=seed))


def random_contrast(image, lower, upper, seed=None):
    """adjust_contrast by a factor uniform in [lower, upper)."""
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    return adjust_contrast(image, random_ops.random_uniform([], lower, upper, seed=seed))


def random_hue(image, max_delta, seed=None):
    """adjust_hue by a delta uniform in [-max_delta, max_delta)."""
    if max_delta > 0.5:
        raise ValueError("max_delta must be <= 0.5.")
    if max_delta < 0:
        raise ValueError("max_delta must be non-negative.")
    return adjust_hue(image, random_ops.random_uniform([], -max_delta, max_delta, seed=seed))


def random_saturation(image, lower, upper, seed=None):
    """adjust_saturation by a factor uniform in [lower, upper)."""
    if upper <= lower:
        raise ValueError("upper must be > lower.")
    if lower < 0:
        raise ValueError("lower must be non-negative.")
    return adjust_saturation(image, random_ops.random_uniform([], lower, upper, seed=seed))


def rgb_to_hsv(images, name=None):
    """RGB in [0, 1] to hue, saturation, value in [0, 1]."""
    return apply_op("RGBToHSV", images=images, name=name)


def hsv_to_rgb(images, name=None):
    """Hue, saturation, value to RGB."""
    return apply_op("HSVToRGB", images=images, name=name)


def rgb_to_grayscale(images, name=None):
    """Luma (ITU-R 601 weights) as a last dim of size 1."""
    with name_scope(name, "rgb_to_grayscale", [images]) as name:
        images = convert_to_tensor(images, name="images")
        orig = images.dtype
        flt = convert_image_dtype(images, dtypes.float32)
        gray = math_ops.tensordot(flt, [0.2989, 0.5870, 0.1140], [-1, -1])
        gray = array_ops.expand_dims(gray, -1)
        return convert_image_dtype(gray, orig, name=name)


def grayscale_to_rgb(images, name=None):
    """Repeats the one channel three times."""
    with name_scope(name, "grayscale_to_rgb", [images]) as name:
        images = convert_to_tensor(images)
        images = control_flow_ops.with_dependencies(_check_grayscale(images, require_static=False), images)
        images = convert_to_tensor(images, name="images")
        rank_1 = array_ops.expand_dims(array_ops.rank(images) - 1, 0)
        multiples = array_ops.concat([array_ops.ones(rank_1, dtype=dtypes.int32), array_ops.expand_dims(3, 0)], 0)
        rgb = array_ops.tile(images, multiples, name=name)
        rgb.set_shape(images.get_shape()[:-1].concatenate([3]))
        return rgb


# The colour-space matrices TF multiplies by (rows: input channels).
_RGB_TO_YIQ = [[0.299, 0.59590059, 0.2115], [0.587, -0.27455667, -0.52273617], [0.114, -0.32134392, 0.31119955]]
_YIQ_TO_RGB = [[1, 1, 1], [0.95598634, -0.27201283, -1.10674021], [0.6208248, -0.64720424, 1.70423049]]
_RGB_TO_YUV = [[0.299, -0.14714119, 0.61497538], [0.587, -0.28886916, -0.51496512],
               [0.114, 0.43601035, -0.10001026]]
_YUV_TO_RGB = [[1, 1, 1], [0, -0.394642334, 2.03206185], [1.13988303, -0.58062185, 0]]


def _colour_matrix(images, matrix):
    images = convert_to_tensor(images, name="images")
    kernel = convert_to_tensor(matrix, dtype=images.dtype, name="kernel")
    ndims = images.get_shape().ndims
    return math_ops.tensordot(images, kernel, axes=[[ndims - 1], [0]])


def rgb_to_yiq(images):
    """RGB to YIQ."""
    return _colour_matrix(images, _RGB_TO_YIQ)


def yiq_to_rgb(images):
    """YIQ to RGB."""
    return _colour_matrix(images, _YIQ_TO_RGB)


def rgb_to_yuv(images):
    """RGB to YUV."""
    return _colour_matrix(images, _RGB_TO_YUV)


def yuv_to_rgb(images):
    """YUV to RGB."""
    return _colour_matrix(images, _YUV_TO_RGB)


def per_image_standardization(image):
    """(x - mean) / max(stddev, 1 / sqrt(pixels)) per image, in float32."""
    with name_scope(None, "per_image_standardization", [image]) as scope:
        image = convert_to_tensor(image, name="image")
        image = _assert_at_least_3d(image)
        image = math_ops.cast(image, dtype=dtypes.float32)
        num_pixels = math_ops.reduce_prod(array_ops.shape(image)[-3:])
        mean = math_ops.reduce_mean(image, axis=[-1, -2, -3], keepdims=True)
        stddev = math_ops.reduce_std(image, axis=[-1, -2, -3], keepdims=True)
        min_stddev = math_ops.rsqrt(math_ops.cast(num_pixels, dtypes.float32))
        adjusted = math_ops.maximum(stddev, min_stddev)
        image -= mean
        return math_ops.divide(image, adjusted, name=scope)


# -- patches ---------------------------------------------------------------------------------------

def _int_list(value, name):
    if isinstance(value, int):
        return [value]
    if not isinstance(value, (list, tuple)):
        raise TypeError("Expected list for '%s' argument to 'extract_image_patches' Op, not %r." % (name, value))
    return list(value)


def extract_image_patches(images, ksizes=None, strides=None, rates=None, padding=None, name=None, sizes=None):
    """Patches of each image laid out in the depth dim (tf.compat.v1's argument names)."""
    if sizes is not None and ksizes is not None:
        raise ValueError("Cannot specify both 'sizes' and 'ksizes'")
    ksizes = sizes if sizes is not None else ksizes
    return apply_op("ExtractImagePatches", images=images, ksizes=_int_list(ksizes, "sizes"),
                    strides=_int_list(strides, "strides"), rates=_int_list(rates, "rates"), padding=padding,
                    name=name)


def extract_patches(images, sizes, strides, rates, padding, name=None):
    """tf.image.extract_patches: ExtractImagePatches with v2's argument names."""
    return apply_op("ExtractImagePatches", images=images, ksizes=_int_list(sizes, "sizes"),
                    strides=_int_list(strides, "strides"), rates=_int_list(rates, "rates"), padding=padding,
                    name=name)


def extract_volume_patches(input, ksizes, strides, padding, name=None):  # noqa: A002
    """Patches of a 5-D volume laid out in the depth dim."""
    return apply_op("ExtractVolumePatches", input=input, ksizes=ksizes, strides=strides, padding=padding, name=name)


# -- metrics and gradients -------------------------------------------------------------------------

def total_variation(images, name=None):
    """Sum of absolute differences of neighbouring pixels (per image for a batch)."""
    with name_scope(name, "total_variation"):
        ndims = images.get_shape().ndims
        if ndims == 3:
            dif1 = images[1:, :, :] - images[:-1, :, :]
            dif2 = images[:, 1:, :] - images[:, :-1, :]
            axis = None
        elif ndims == 4:
            dif1 = images[:, 1:, :, :] - images[:, :-1, :, :]
            dif2 = images[:, :, 1:, :] - images[:, :, :-1, :]
            axis = [1, 2, 3]
        else:
            raise ValueError("'images' must be either 3 or 4-dimensional.")
        total = (math_ops.reduce_sum(math_ops.abs(dif1), axis=axis) +
                 math_ops.reduce_sum(math_ops.abs(dif2), axis=axis))
    return total


def image_gradients(image):
    """(dy, dx): forward differences, zero in the last row / column."""
    if image.get_shape().ndims != 4:
        raise ValueError("image_gradients expects a 4D tensor [batch_size, h, w, d], not {}.".format(
            image.get_shape()))
    image_shape = array_ops.shape(image)
    batch_size, height, width, depth = array_ops.unstack(image_shape)
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    shape = array_ops.stack([batch_size, 1, width, depth])
    dy = array_ops.concat([dy, array_ops.zeros(shape, image.dtype)], 1)
    dy = array_ops.reshape(dy, image_shape)
    shape = array_ops.stack([batch_size, height, 1, depth])
    dx = array_ops.concat([dx, array_ops.zeros(shape, image.dtype)], 2)
    dx = array_ops.reshape(dx, image_shape)
    return dy, dx


def sobel_edges(image):
    """The vertical and horizontal Sobel responses, stacked in a new last dim (reflect-padded)."""
    from metarun.ops import nn_ops
    static_shape = image.get_shape()
    image_shape = array_ops.shape(image)
    kernels = [[[-1, -2, -1], [0, 0, 0], [1, 2, 1]], [[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]]
    num_kernels = len(kernels)
    kernels = np.expand_dims(np.transpose(np.asarray(kernels), (1, 2, 0)), -2)
    kernels_tf = convert_to_tensor(kernels, dtype=image.dtype)
    kernels_tf = array_ops.tile(kernels_tf, [1, 1, image_shape[-1], 1], name="sobel_filters")
    # The static shape TF's shape functions find by evaluating the multiples (no node added).
    kernels_tf.set_shape([3, 3, static_shape[-1] if static_shape.ndims else None, num_kernels])
    padded = array_ops.pad(image, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="REFLECT")
    output = nn_ops.depthwise_conv2d(padded, kernels_tf, [1, 1, 1, 1], "VALID")
    shape = array_ops.concat([image_shape, [num_kernels]], 0)
    output = array_ops.reshape(output, shape=shape)
    output.set_shape(static_shape.concatenate([num_kernels]))
    return output


def _verify_compatible_image_shapes(img1, img2):
    shape1 = img1.get_shape().with_rank_at_least(3)
    shape2 = img2.get_shape().with_rank_at_least(3)
    if not shape1[-3:].is_compatible_with(shape2[-3:]):
        raise ValueError("Shapes %s and %s are incompatible" % (shape1[-3:], shape2[-3:]))
    if shape1.ndims is not None and shape2.ndims is not None:
        for d1, d2 in zip(reversed(shape1.dims[:-3]), reversed(shape2.dims[:-3])):
            if not (d1 == 1 or d2 == 1 or d1 is None or d2 is None or d1 == d2):
                raise ValueError("Two images are not compatible: %s and %s" % (shape1, shape2))
    shape1, shape2 = array_ops.shape_n([img1, img2])
    checks = [control_flow_ops.Assert(math_ops.greater_equal(array_ops.size(shape1), 3), [shape1, shape2],
                                      summarize=10),
              control_flow_ops.Assert(math_ops.reduce_all(math_ops.equal(shape1[-3:], shape2[-3:])), [shape1, shape2],
                                      summarize=10)]
    return shape1, shape2, checks


def psnr(a, b, max_val, name=None):
    """Peak signal-to-noise ratio per image, in dB."""
    with name_scope(name, "PSNR", [a, b]):
        max_val = math_ops.cast(max_val, a.dtype)
        max_val = convert_image_dtype(max_val, dtypes.float32)
        a = convert_image_dtype(a, dtypes.float32)
        b = convert_image_dtype(b, dtypes.float32)
        mse = math_ops.reduce_mean(math_ops.squared_difference(a, b), [-3, -2, -1])
        value = math_ops.subtract(20 * math_ops.log(max_val) / math_ops.log(10.0),
                                  np.float32(10 / np.log(10)) * math_ops.log(mse), name="psnr")
        _, _, checks = _verify_compatible_image_shapes(a, b)
        with graph_lib.get_default_graph().control_dependencies(checks):
            return array_ops.identity(value)


# -- shape functions -------------------------------------------------------------------------------

def _node(op):
    return " for '{{node %s}} = %s[]'" % (op.name, op)


def _known_rank(shape, rank, op):
    if shape.ndims is not None and shape.ndims != rank:
        raise ValueError("Shape must be rank %d but is rank %d%s" % (rank, shape.ndims, _node(op)))


def _scalar_value(t):
    v = constant_value(t)
    return None if v is None else int(np.asarray(v).reshape(()))


@si_register("NonMaxSuppression", "NonMaxSuppressionV2", "NonMaxSuppressionV3", "NonMaxSuppressionV4",
             "NonMaxSuppressionV5", "NonMaxSuppressionWithOverlaps")
def _nms_shape(op):
    first, scores = op.inputs[0].shape, op.inputs[1].shape
    _known_rank(first, 2, op)
    _known_rank(scores, 1, op)
    _known_rank(op.inputs[2].shape, 0, op)
    if op.type != "NonMaxSuppressionWithOverlaps" and first.ndims == 2 and first.dims[1] is not None \
            and first.dims[1] != 4:
        raise ValueError("Dimension must be 4 but is %d%s" % (first.dims[1], _node(op)))
    if first.ndims == 2 and scores.ndims == 1 and None not in (first.dims[0], scores.dims[0]) \
            and first.dims[0] != scores.dims[0]:
        raise ValueError("Dimensions must be equal, but are %d and %d%s" % (first.dims[0], scores.dims[0], _node(op)))
    out = TensorShape([None])
    if op.type in ("NonMaxSuppressionV4", "NonMaxSuppressionV5") and op.get_attr("pad_to_max_output_size"):
        out = TensorShape([_scalar_value(op.inputs[2])])
    if op.type == "NonMaxSuppressionV4":
        return [out, TensorShape([])]
    if op.type == "NonMaxSuppressionV5":
        return [out, out, TensorShape([])]
    return [out]


@si_register("CombinedNonMaxSuppression")
def _combined_nms_shape(op):
    boxes, scores = op.inputs[0].shape, op.inputs[1].shape
    _known_rank(boxes, 4, op)
    _known_rank(scores, 3, op)
    batch = boxes.dims[0] if boxes.ndims else None
    if batch is None and scores.ndims:
        batch = scores.dims[0]
    total = _scalar_value(op.inputs[3])
    if op.get_attr("pad_per_class"):
        per_class = _scalar_value(op.inputs[2])
        classes = scores.dims[2] if scores.ndims else None
        size = None if None in (total, per_class, classes) else min(total, per_class * classes)
    else:
        size = total
    return [TensorShape([batch, size, 4]), TensorShape([batch, size]), TensorShape([batch, size]),
            TensorShape([batch])]


@si_register("AdjustContrast", "AdjustContrastv2", "AdjustHue", "AdjustSaturation", "DrawBoundingBoxes",
             "DrawBoundingBoxesV2")
def _unchanged_at_least_3d(op):
    shape = op.inputs[0].shape
    if shape.ndims is not None and shape.ndims < 3:
        raise ValueError("Shape must be at least rank 3 but is rank %d%s" % (shape.ndims, _node(op)))
    return [shape]


@si_register("RGBToHSV", "HSVToRGB")
def _colourspace_shape(op):
    shape = op.inputs[0].shape
    if shape.ndims is not None:
        if shape.ndims < 1:
            raise ValueError("Shape must be at least rank 1 but is rank 0%s" % _node(op))
        if shape.dims[-1] is not None and shape.dims[-1] != 3:
            raise ValueError("Dimension must be 3 but is %d%s" % (shape.dims[-1], _node(op)))
        return [TensorShape(shape.dims[:-1] + [3])]
    return [shape]


@si_register("SampleDistortedBoundingBox", "SampleDistortedBoundingBoxV2")
def _sample_box_shape(op):
    _known_rank(op.inputs[0].shape, 1, op)
    _known_rank(op.inputs[1].shape, 3, op)
    return [TensorShape([3]), TensorShape([3]), TensorShape([1, 1, 4])]


def _patch_dim(size, k, stride, rate, padding):
    if size is None:
        return None
    eff = k + (k - 1) * (rate - 1)
    if padding in (b"VALID", "VALID"):
        return (size - eff + stride) // stride
    return (size + stride - 1) // stride


@si_register("ExtractImagePatches", "ExtractVolumePatches")
def _patches_shape(op):
    spatial = 2 if op.type == "ExtractImagePatches" else 3
    shape = op.inputs[0].shape
    _known_rank(shape, spatial + 2, op)
    if shape.ndims is None:
        return [TensorShape([None] * (spatial + 2))]
    k, s = op.get_attr("ksizes"), op.get_attr("strides")
    r = op.get_attr("rates") if spatial == 2 else [1] * (spatial + 2)
    p = op.get_attr("padding")
    dims = [shape.dims[0]] + [_patch_dim(shape.dims[i], k[i], s[i], r[i], p) for i in range(1, spatial + 1)]
    depth = shape.dims[-1]
    kprod = int(np.prod(k[1:spatial + 1]))
    return [TensorShape(dims + [None if depth is None else depth * kprod])]


# -- SSIM ------------------------------------------------------------------------------------------

def _ssim_helper(x, y, reducer, max_val, compensation=1.0, k1=0.01, k2=0.03):
    c1 = (k1 * max_val) ** 2
    c2 = (k2 * max_val) ** 2
    mean0 = reducer(x)
    mean1 = reducer(y)
    num0 = mean0 * mean1 * 2.0
    den0 = math_ops.square(mean0) + math_ops.square(mean1)
    luminance = (num0 + c1) / (den0 + c1)
    num1 = reducer(x * y) * 2.0
    den1 = reducer(math_ops.square(x) + math_ops.square(y))
    c2 *= compensation
    cs = (num1 - num0 + c2) / (den1 - den0 + c2)
    return luminance, cs


def _gaussian_kernel(size, sigma):
    """A normalised size x size Gaussian as [size, size, 1, 1] (built through a softmax, as TF does)."""
    from metarun.ops import nn_ops
    size = convert_to_tensor(size, dtypes.int32)
    sigma = convert_to_tensor(sigma)
    coords = math_ops.cast(math_ops.range(size), sigma.dtype)
    coords -= math_ops.cast(size - 1, sigma.dtype) / 2.0
    g = math_ops.square(coords)
    g *= -0.5 / math_ops.square(sigma)
    g = array_ops.reshape(g, shape=[1, -1]) + array_ops.reshape(g, shape=[-1, 1])
    g = array_ops.reshape(g, shape=[1, -1])
    g = nn_ops.softmax(g)
    return array_ops.reshape(g, shape=[size, size, 1, 1])


def _ssim_per_channel(img1, img2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
                      return_index_map=False):
    from metarun.ops import nn_ops
    filter_size = convert_to_tensor(filter_size, dtype=dtypes.int32)
    filter_sigma = convert_to_tensor(filter_sigma, dtype=img1.dtype)
    shape1, shape2 = array_ops.shape_n([img1, img2])
    checks = [control_flow_ops.Assert(math_ops.reduce_all(math_ops.greater_equal(shape1[-3:-1], filter_size)),
                                      [shape1, filter_size], summarize=8),
              control_flow_ops.Assert(math_ops.reduce_all(math_ops.greater_equal(shape2[-3:-1], filter_size)),
                                      [shape2, filter_size], summarize=8)]
    with graph_lib.get_default_graph().control_dependencies(checks):
        img1 = array_ops.identity(img1)
    size = constant_value(filter_size)
    kernel = _gaussian_kernel(filter_size, filter_sigma)
    kernel = array_ops.tile(kernel, multiples=[1, 1, shape1[-1], 1])
    # The static shape TF's shape functions find by evaluating the multiples (no node added).
    kernel.set_shape([None if size is None else int(size)] * 2 + [img1.get_shape()[-1] if img1.get_shape().ndims
                                                                  else None, 1])

    def reducer(x):
        shape = array_ops.shape(x)
        x = array_ops.reshape(x, shape=array_ops.concat([[-1], shape[-3:]], 0))
        y = nn_ops.depthwise_conv2d(x, kernel, strides=[1, 1, 1, 1], padding="VALID")
        return array_ops.reshape(y, array_ops.concat([shape[:-3], array_ops.shape(y)[1:]], 0))

    luminance, cs = _ssim_helper(img1, img2, reducer, max_val, 1.0, k1, k2)
    if return_index_map:
        return luminance * cs, cs
    axes = convert_to_tensor([-3, -2], dtype=dtypes.int32)
    return math_ops.reduce_mean(luminance * cs, axes), math_ops.reduce_mean(cs, axes)


def _ssim_inputs(img1, img2, max_val):
    img1 = convert_to_tensor(img1, name="img1")
    img2 = convert_to_tensor(img2, name="img2")
    shape1, shape2, checks = _verify_compatible_image_shapes(img1, img2)
    with graph_lib.get_default_graph().control_dependencies(checks):
        img1 = array_ops.identity(img1)
    max_val = math_ops.cast(max_val, img1.dtype)
    max_val = convert_image_dtype(max_val, dtypes.float32)
    return (convert_image_dtype(img1, dtypes.float32), convert_image_dtype(img2, dtypes.float32), max_val,
            shape1, shape2)


def ssim(img1, img2, max_val, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03, return_index_map=False):
    """Structural similarity per image (mean over the Gaussian-weighted windows and channels)."""
    with name_scope(None, "SSIM", [img1, img2]):
        img1, img2, max_val, _, _ = _ssim_inputs(img1, img2, max_val)
        per_channel, _ = _ssim_per_channel(img1, img2, max_val, filter_size, filter_sigma, k1, k2, return_index_map)
        return math_ops.reduce_mean(per_channel, [-1])


_MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)


def ssim_multiscale(img1, img2, max_val, power_factors=_MS_SSIM_WEIGHTS, filter_size=11, filter_sigma=1.5, k1=0.01,
                    k2=0.03):
    """Multi-scale SSIM: contrast-structure terms at halving scales and SSIM at the last, weighted."""
    from metarun.ops import nn_ops
    with name_scope(None, "MS-SSIM", [img1, img2]):
        img1, img2, max_val, shape1, shape2 = _ssim_inputs(img1, img2, max_val)
        imgs = [img1, img2]
        heads = [s[:-3] for s in (shape1, shape2)]
        tails = [s[-3:] for s in (shape1, shape2)]
        divisor = [1, 2, 2, 1]
        divisor_tensor = convert_to_tensor(divisor[1:], dtype=dtypes.int32)

        def do_pad(images, remainder):
            padding = array_ops.expand_dims(remainder, -1)
            padding = array_ops.pad(padding, [[1, 0], [1, 0]])
            return [array_ops.pad(x, padding, mode="SYMMETRIC") for x in images]

        mcs = []
        for k in range(len(power_factors)):
            with name_scope(None, "Scale%d" % k, imgs):
                if k > 0:
                    flat = [array_ops.reshape(x, array_ops.concat([[-1], t], 0)) for x, t in zip(imgs, tails)]
                    remainder = tails[0] % divisor_tensor
                    need_padding = math_ops.reduce_any(math_ops.not_equal(remainder, 0))
                    padded = control_flow_ops.cond(need_padding, lambda: do_pad(flat, remainder), lambda: flat)
                    downscaled = [nn_ops.avg_pool(x, ksize=divisor, strides=divisor, padding="VALID") for x in padded]
                    tails = [x[1:] for x in array_ops.shape_n(downscaled)]
                    imgs = [array_ops.reshape(x, array_ops.concat([h, t], 0))
                            for x, h, t in zip(downscaled, heads, tails)]
                per_channel, cs = _ssim_per_channel(*imgs, max_val=max_val, filter_size=filter_size,
                                                    filter_sigma=filter_sigma, k1=k1, k2=k2)
                mcs.append(nn_ops.relu(cs))
        mcs.pop()  # the last scale contributes its SSIM, not its contrast-structure term
        stacked = array_ops.stack(mcs + [nn_ops.relu(per_channel)], axis=-1)
        return math_ops.reduce_mean(math_ops.reduce_prod(math_ops.pow(stacked, power_factors), [-1]), [-1])


# -- padded (tiled) non-max suppression ------------------------------------------------------------

def _bbox_overlap(boxes_a, boxes_b):
    """IoU of every box of `boxes_a` with every box of `boxes_b`, both [batch, n, 4]."""
    with name_scope(None, "bbox_overlap"):
        a_y_min, a_x_min, a_y_max, a_x_max = array_ops.split(value=boxes_a, num_or_size_splits=4, axis=2)
        b_y_min, b_x_min, b_y_max, b_x_max = array_ops.split(value=boxes_b, num_or_size_splits=4, axis=2)
        i_xmin = math_ops.maximum(a_x_min, array_ops.transpose(b_x_min, [0, 2, 1]))
        i_xmax = math_ops.minimum(a_x_max, array_ops.transpose(b_x_max, [0, 2, 1]))
        i_ymin = math_ops.maximum(a_y_min, array_ops.transpose(b_y_min, [0, 2, 1]))
        i_ymax = math_ops.minimum(a_y_max, array_ops.transpose(b_y_max, [0, 2, 1]))
        i_area = math_ops.maximum((i_xmax - i_xmin), 0) * math_ops.maximum((i_ymax - i_ymin), 0)
        a_area = (a_y_max - a_y_min) * (a_x_max - a_x_min)
        b_area = (b_y_max - b_y_min) * (b_x_max - b_x_min)
        u_area = a_area + array_ops.transpose(b_area, [0, 2, 1]) - i_area + 1e-8
        return i_area / u_area


def _self_suppression(iou, _, iou_sum, iou_threshold):
    batch_size = array_ops.shape(iou)[0]
    can_suppress = math_ops.cast(array_ops.reshape(math_ops.reduce_max(iou, 1) < iou_threshold, [batch_size, -1, 1]),
                                 iou.dtype)
    after = array_ops.reshape(math_ops.cast(math_ops.reduce_max(can_suppress * iou, 1) < iou_threshold, iou.dtype),
                              [batch_size, -1, 1]) * iou
    new_sum = math_ops.reduce_sum(after, [1, 2])
    return [after, math_ops.reduce_any(iou_sum - new_sum > iou_threshold), new_sum, iou_threshold]


def _cross_suppression(boxes, box_slice, iou_threshold, inner_idx, tile_size):
    batch_size = array_ops.shape(boxes)[0]
    new_slice = array_ops.slice(boxes, [0, inner_idx * tile_size, 0], [batch_size, tile_size, 4])
    iou = _bbox_overlap(new_slice, box_slice)
    kept = array_ops.expand_dims(math_ops.cast(math_ops.reduce_all(iou < iou_threshold, [1]), box_slice.dtype), 2)
    return boxes, kept * box_slice, iou_threshold, inner_idx + 1


def _suppression_loop_body(boxes, iou_threshold, output_size, idx, tile_size):
    """One tile: suppressed by the earlier tiles' survivors, then within itself until stable."""
    with name_scope(None, "suppression_loop_body"):
        num_tiles = array_ops.shape(boxes)[1] // tile_size
        batch_size = array_ops.shape(boxes)[0]
        box_slice = array_ops.slice(boxes, [0, idx * tile_size, 0], [batch_size, tile_size, 4])
        _, box_slice, _, _ = control_flow_ops.while_loop(
            lambda _boxes, _box_slice, _threshold, inner_idx: inner_idx < idx,
            lambda b, s, t, i: _cross_suppression(b, s, t, i, tile_size),
            [boxes, box_slice, iou_threshold, convert_to_tensor(0)])
        iou = _bbox_overlap(box_slice, box_slice)
        mask = array_ops.expand_dims(
            array_ops.reshape(math_ops.range(tile_size), [1, -1]) > array_ops.reshape(math_ops.range(tile_size),
                                                                                      [-1, 1]), 0)
        iou *= math_ops.cast(math_ops.logical_and(mask, iou >= iou_threshold), iou.dtype)
        suppressed_iou, _, _, _ = control_flow_ops.while_loop(
            lambda _iou, loop_condition, _iou_sum, _: loop_condition, _self_suppression,
            [iou, convert_to_tensor(True), math_ops.reduce_sum(iou, [1, 2]), iou_threshold])
        suppressed_box = math_ops.reduce_sum(suppressed_iou, 1) > 0
        box_slice *= array_ops.expand_dims(1.0 - math_ops.cast(suppressed_box, box_slice.dtype), 2)
        mask = array_ops.reshape(math_ops.cast(math_ops.equal(math_ops.range(num_tiles), idx), boxes.dtype),
                                 [1, -1, 1, 1])
        boxes = array_ops.tile(array_ops.expand_dims(box_slice, [1]), [1, num_tiles, 1, 1]) * mask + \
            array_ops.reshape(boxes, [batch_size, num_tiles, tile_size, 4]) * (1 - mask)
        boxes = array_ops.reshape(boxes, [batch_size, -1, 4])
        output_size += math_ops.reduce_sum(math_ops.cast(math_ops.reduce_any(box_slice > 0, [2]), dtypes.int32), [1])
    return boxes, iou_threshold, output_size, idx + 1


def _non_max_suppression_padded_v2(boxes, scores, max_output_size, iou_threshold=0.5, score_threshold=float("-inf"),
                                   sorted_input=False, canonicalized_coordinates=False, tile_size=512):
    from metarun.ops import array_ops_2

    batch_dims = array_ops.shape(boxes)[:-2]
    num_boxes = array_ops.shape(boxes)[-2]
    boxes = array_ops.reshape(boxes, [-1, num_boxes, 4])
    scores = array_ops.reshape(scores, [-1, num_boxes])
    batch_size = array_ops.shape(boxes)[0]
    if score_threshold != float("-inf"):
        with name_scope(None, "filter_by_score"):
            score_mask = math_ops.cast(scores > score_threshold, scores.dtype)
            scores *= score_mask
            boxes *= array_ops.expand_dims(math_ops.cast(score_mask, boxes.dtype), 2)
    if not canonicalized_coordinates:
        with name_scope(None, "canonicalize_coordinates"):
            y_1, x_1, y_2, x_2 = array_ops.split(value=boxes, num_or_size_splits=4, axis=2)
            y_1_is_min = math_ops.reduce_all(math_ops.less_equal(y_1[0, 0, 0], y_2[0, 0, 0]))
            y_min, y_max = control_flow_ops.cond(y_1_is_min, lambda: (y_1, y_2), lambda: (y_2, y_1))
            x_1_is_min = math_ops.reduce_all(math_ops.less_equal(x_1[0, 0, 0], x_2[0, 0, 0]))
            x_min, x_max = control_flow_ops.cond(x_1_is_min, lambda: (x_1, x_2), lambda: (x_2, x_1))
            boxes = array_ops.concat([y_min, x_min, y_max, x_max], axis=2)
    if not sorted_input:
        with name_scope(None, "sort_scores_and_boxes"):
            sorted_indices = array_ops_2.argsort(scores, axis=1, direction="DESCENDING")
            scores = array_ops.gather(scores, sorted_indices, axis=1, batch_dims=1)
            boxes = array_ops.gather(boxes, sorted_indices, axis=1, batch_dims=1)
    else:
        sorted_indices = array_ops.zeros_like(scores, dtype=dtypes.int32)
    pad = math_ops.cast(math_ops.ceil(math_ops.cast(math_ops.maximum(num_boxes, max_output_size), dtypes.float32) /
                                      math_ops.cast(tile_size, dtypes.float32)), dtypes.int32) * tile_size - num_boxes
    boxes_shape, scores_shape = boxes.get_shape(), scores.get_shape()
    boxes = array_ops.pad(math_ops.cast(boxes, dtypes.float32), [[0, 0], [0, pad], [0, 0]])
    scores = array_ops.pad(math_ops.cast(scores, dtypes.float32), [[0, 0], [0, pad]])
    # What TF's Pad shape function keeps from the paddings' known rows (no node added).
    if boxes_shape.ndims == 3:
        boxes.set_shape([boxes_shape[0], None, boxes_shape[2]])
    if scores_shape.ndims == 2:
        scores.set_shape([scores_shape[0], None])
    num_padded = num_boxes + pad
    num_iterations = num_padded // tile_size

    def loop_cond(unused_boxes, unused_threshold, output_size, idx):
        return math_ops.logical_and(math_ops.reduce_min(output_size) < max_output_size, idx < num_iterations)

    selected_boxes, _, output_size, _ = control_flow_ops.while_loop(
        loop_cond, lambda b, t, o, i: _suppression_loop_body(b, t, o, i, tile_size),
        [boxes, iou_threshold, array_ops.zeros([batch_size], dtypes.int32), convert_to_tensor(0)],
        shape_invariants=[TensorShape([None, None, 4]), TensorShape([]), TensorShape([None]), TensorShape([])])
    num_valid = math_ops.minimum(output_size, max_output_size)
    idx = num_padded - math_ops.cast(
        math_ops.top_k(math_ops.cast(math_ops.reduce_any(selected_boxes > 0, [2]), dtypes.int32) *
                     array_ops.expand_dims(math_ops.range(num_padded, 0, -1), 0), max_output_size)[0], dtypes.int32)
    idx = math_ops.minimum(idx, num_boxes - 1)
    if not sorted_input:
        offsets = math_ops.range(batch_size) * num_boxes
        gather_idx = array_ops.reshape(idx + array_ops.expand_dims(offsets, 1), [-1])
        idx = array_ops.reshape(array_ops.gather(array_ops.reshape(sorted_indices, [-1]), gather_idx),
                                [batch_size, -1])
    invalid = array_ops.zeros([batch_size, max_output_size], dtype=dtypes.int32)
    idx_index = array_ops.expand_dims(math_ops.range(max_output_size), 0)
    idx = array_ops.where(idx_index < array_ops.expand_dims(num_valid, 1), idx, invalid)
    return idx, array_ops.reshape(num_valid, batch_dims)


def non_max_suppression_padded(boxes, scores, max_output_size, iou_threshold=0.5, score_threshold=float("-inf"),
                               pad_to_max_output_size=False, name=None, sorted_input=False,
                               canonicalized_coordinates=False, tile_size=512):
    """(indices, num_valid): TF's tiled NMS, batched, padded to max_output_size when asked."""
    with name_scope(name, "non_max_suppression_padded"):
        if not pad_to_max_output_size:
            if boxes.get_shape().rank is not None and boxes.get_shape().rank > 2:
                raise ValueError("'pad_to_max_output_size' (value {}) must be True for batched input".format(
                    pad_to_max_output_size))
        idx, num_valid = _non_max_suppression_padded_v2(boxes, scores, max_output_size, iou_threshold,
                                                        score_threshold, sorted_input, canonicalized_coordinates,
                                                        tile_size)
        if not pad_to_max_output_size:
            idx = idx[0, :num_valid]
        else:
            batch_dims = array_ops.concat([array_ops.shape(boxes)[:-2], array_ops.expand_dims(max_output_size, 0)], 0)
            idx = array_ops.reshape(idx, batch_dims)
        return idx, num_valid
