"""Gradients of the resize, scale and crop ops, as TF registers them: through their gradient
kernels, none for the size inputs, the image gradient of ResizeBicubic only for float32/float64
images and of CropAndResize only for float16/32/64 ones (the boxes always get theirs)."""
from metarun.framework import dtypes
from metarun.framework.op_builder import apply_op
from metarun.ops import array_ops
from metarun.ops import image_resize_ops  # noqa: F401 -- registers the shape functions
from metarun.ops.gradients_impl import NotDifferentiable, RegisterGradient


@RegisterGradient("ResizeNearestNeighbor")
def _resize_nearest_neighbor_grad(op, grad):
    image = op.inputs[0]
    if image.shape[1:3].is_fully_defined():
        image_shape = image.shape.as_list()[1:3]
    else:
        image_shape = array_ops.shape(image)[1:3]
    return [apply_op("ResizeNearestNeighborGrad", grads=grad, size=image_shape,
                     align_corners=op.get_attr("align_corners"),
                     half_pixel_centers=op.get_attr("half_pixel_centers")), None]


@RegisterGradient("ResizeBilinear")
def _resize_bilinear_grad(op, grad):
    return [apply_op("ResizeBilinearGrad", grads=grad, original_image=op.inputs[0],
                     align_corners=op.get_attr("align_corners"),
                     half_pixel_centers=op.get_attr("half_pixel_centers")), None]


NotDifferentiable("ResizeBilinearGrad")


@RegisterGradient("ScaleAndTranslate")
def _scale_and_translate_grad(op, grad):
    return [apply_op("ScaleAndTranslateGrad", grads=grad, original_image=op.inputs[0], scale=op.inputs[2],
                     translation=op.inputs[3], kernel_type=op.get_attr("kernel_type"),
                     antialias=op.get_attr("antialias")), None, None, None]


@RegisterGradient("ResizeBicubic")
def _resize_bicubic_grad(op, grad):
    grad0 = None
    if op.inputs[0].dtype in (dtypes.float32, dtypes.float64):
        grad0 = apply_op("ResizeBicubicGrad", grads=grad, original_image=op.inputs[0],
                         align_corners=op.get_attr("align_corners"),
                         half_pixel_centers=op.get_attr("half_pixel_centers"))
    return [grad0, None]


@RegisterGradient("CropAndResize")
def _crop_and_resize_grad(op, grad):
    image = op.inputs[0]
    if image.shape.is_fully_defined():
        image_shape = image.shape.as_list()
    else:
        image_shape = array_ops.shape(image)
    grad0 = None
    if image.dtype in (dtypes.float16, dtypes.float32, dtypes.float64):
        grad0 = apply_op("CropAndResizeGradImage", grads=grad, boxes=op.inputs[1], box_ind=op.inputs[2],
                         image_size=image_shape, T=op.get_attr("T"), method=op.get_attr("method"))
    grad1 = apply_op("CropAndResizeGradBoxes", grads=grad, image=op.inputs[0], boxes=op.inputs[1],
                     box_ind=op.inputs[2])
    return [grad0, grad1, None, None]
