"""Gradients of the image ops as TF registers them: RGBToHSV (piecewise, by which channel is the
largest and smallest), ExtractImagePatches (a segment sum over the patch positions each input
pixel lands in), and the ops TF declares not differentiable."""
from metarun.framework import dtypes
from metarun.framework.indexed_slices import IndexedSlices
from metarun.framework.op_builder import apply_op
from metarun.ops import array_ops, math_ops
from metarun.ops import image_ops  # noqa: F401 -- registers the shape functions
from metarun.ops.gradients_impl import NotDifferentiable, RegisterGradient

for _op in ("HSVToRGB", "DrawBoundingBoxes", "SampleDistortedBoundingBox", "SampleDistortedBoundingBoxV2",
            "NonMaxSuppression", "NonMaxSuppressionV2", "NonMaxSuppressionWithOverlaps"):
    NotDifferentiable(_op)


def _dense(grad):
    if not isinstance(grad, IndexedSlices):
        return grad
    return math_ops.unsorted_segment_sum(grad.values, grad.indices, grad.dense_shape[0])


@RegisterGradient("ExtractImagePatches")
def _extract_image_patches_grad(op, grad):
    input_bhwc = array_ops.shape(op.inputs[0], out_type=dtypes.int64)
    batch_size, rows_in, cols_in, channels = array_ops.unstack(input_bhwc)
    output_bhwc = array_ops.shape(op.outputs[0], out_type=dtypes.int64)
    rows_out, cols_out = array_ops.unstack(output_bhwc[1:3])
    _, ksize_r, ksize_c, _ = op.get_attr("ksizes")
    # Each input pixel numbered from 1 (0 marks padding), patched like the input was.
    num_pixels = rows_in * cols_in
    pixel_ids = array_ops.reshape(math_ops.range(1, num_pixels + 1, dtype=dtypes.float32), (1, rows_in, cols_in, 1))
    patched_ids = apply_op("ExtractImagePatches", images=pixel_ids, ksizes=op.get_attr("ksizes"),
                           strides=op.get_attr("strides"), rates=op.get_attr("rates"),
                           padding=op.get_attr("padding"))
    patched_ids = math_ops.cast(patched_ids, dtypes.int64)
    grad_expanded = array_ops.transpose(
        array_ops.reshape(_dense(grad), (batch_size, rows_out, cols_out, ksize_r, ksize_c, channels)),
        (1, 2, 3, 4, 0, 5))
    grad_flat = array_ops.reshape(grad_expanded, (-1, batch_size * channels))
    segment_ids = array_ops.reshape(patched_ids, [-1]) - 1
    grad_out = math_ops.unsorted_segment_sum(grad_flat, segment_ids, num_segments=num_pixels)
    grad_out = array_ops.reshape(grad_out, (rows_in, cols_in, batch_size, channels))
    return [array_ops.transpose(grad_out, (2, 0, 1, 3))]


def _reciprocal(x):
    return math_ops.div_no_nan(math_ops.cast(1.0, x.dtype), x)


@RegisterGradient("RGBToHSV")
def _rgb_to_hsv_grad(op, grad):
    x, hsv = op.inputs[0], op.outputs[0]
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    s, v = hsv[..., 1], hsv[..., 2]
    dtype = x.dtype

    def mask(m):
        return math_ops.cast(m, dtype)

    def positive(c):
        return math_ops.cast(c > 0, dtype)

    # Ties go to red, then green, then blue for the largest; the reverse for the smallest.
    r_max, g_max, b_max = mask((r >= b) & (r >= g)), mask((g > r) & (g >= b)), mask((b > r) & (b > g))
    r_min, g_min, b_min = mask((r < b) & (r < g)), mask((g <= r) & (g < b)), mask((b <= r) & (b <= g))
    dv = (r_max, g_max, b_max)

    def ds(c, c_max, c_min, o1, o1_min, o1_max, o2, o2_min, o2_max):
        return positive(c) * math_ops.add(
            c_max * math_ops.add(o1_min * o1, o2_min * o2) * _reciprocal(math_ops.square(c)),
            c_min * -1 * _reciprocal((o1_max * o1) + (o2_max * o2)))

    ds_ = (ds(r, r_max, r_min, g, g_min, g_max, b, b_min, b_max),
           ds(g, g_max, g_min, r, r_min, r_max, b, b_min, b_max),
           ds(b, b_max, b_min, g, g_min, g_max, r, r_min, r_max))

    def largest_term(c, c_max, diff):
        return 60 * (positive(c) * c_max * -1 * diff() * _reciprocal(math_ops.square(s)) *
                     _reciprocal(math_ops.square(v)))

    def term(c, c_max, c_min, negate, diff, denom, squared):
        t = positive(c) * c_max * c_min
        if negate:
            t = t * -1
        if diff is not None:
            t = t * diff()
        return 60 * (t * _reciprocal(math_ops.square(denom()) if squared else denom()))

    def dh(terms):
        total = terms[0]
        for t in terms[1:]:
            total = total + t
        return total / 360

    dh_dr = dh([largest_term(r, r_max, lambda: g - b),
                term(g, g_max, r_min, False, lambda: b - g, lambda: r - g, True),
                term(g, g_max, b_min, True, None, lambda: g - b, False),
                term(b, b_max, r_min, False, lambda: b - g, lambda: b - r, True),
                term(b, b_max, g_min, False, None, lambda: b - g, False)])
    dh_dg = dh([largest_term(g, g_max, lambda: b - r),
                term(r, r_max, g_min, False, lambda: r - b, lambda: r - g, True),
                term(r, r_max, b_min, False, None, lambda: r - b, False),
                term(b, b_max, g_min, False, lambda: r - b, lambda: b - g, True),
                term(b, b_max, r_min, True, None, lambda: b - r, False)])
    dh_db = dh([largest_term(b, b_max, lambda: r - g),
                term(r, r_max, b_min, False, lambda: g - r, lambda: r - b, True),
                term(r, r_max, g_min, True, None, lambda: r - g, False),
                term(g, g_max, b_min, False, lambda: g - r, lambda: g - b, True),
                term(g, g_max, r_min, False, None, lambda: g - r, False)])

    def chain(channel, parts):
        return array_ops.stack([grad[..., channel] * p for p in parts], axis=-1)

    d_v, d_s, d_h = chain(2, dv), chain(1, ds_), chain(0, (dh_dr, dh_dg, dh_db))
    return math_ops.add(math_ops.add(d_v, d_s), d_h)


@RegisterGradient("ExtractVolumePatches")
def _extract_volume_patches_grad(op, grad):
    from metarun.framework.sparse_tensor import SparseTensor
    from metarun.ops import sparse_ops
    _, planes_in, rows_in, cols_in, _ = op.inputs[0].shape.dims
    input_bphwc = array_ops.shape(op.inputs[0])
    batch_size, channels = input_bphwc[0], input_bphwc[4]
    # Input voxels numbered from 1 (0 marks padding), patched like the input was.
    num_in = 1 + planes_in * rows_in * cols_in
    voxel_ids = array_ops.reshape(math_ops.range(1, num_in, dtype=dtypes.int64), (1, planes_in, rows_in, cols_in, 1))
    patched_ids = apply_op("ExtractVolumePatches", input=voxel_ids, ksizes=op.get_attr("ksizes"),
                           strides=op.get_attr("strides"), padding=op.get_attr("padding"))
    _, planes_out, rows_out, cols_out, _ = op.outputs[0].shape.dims
    _, ksize_p, ksize_r, ksize_c, _ = op.get_attr("ksizes")
    num_out = planes_out * rows_out * cols_out * ksize_p * ksize_r * ksize_c
    out_ids = array_ops.reshape(math_ops.range(num_out, dtype=dtypes.int64),
                                (1, planes_out, rows_out, cols_out, ksize_p * ksize_r * ksize_c))
    # The (input voxel, output element) pairs as a sparse 0/1 matrix, padding's row 0 dropped.
    pairs = array_ops.concat([array_ops.expand_dims(patched_ids, axis=-1), array_ops.expand_dims(out_ids, axis=-1)],
                             axis=-1)
    pairs = array_ops.reshape(pairs, (-1, 2))
    full = SparseTensor(pairs, array_ops.ones([num_out], dtype=grad.dtype), (num_in, num_out))
    mapping = sparse_ops.sparse_slice(full, (1, 0), (num_in - 1, num_out))
    grad_expanded = array_ops.transpose(
        array_ops.reshape(_dense(grad), (batch_size, planes_out, rows_out, cols_out, ksize_p, ksize_r, ksize_c,
                                         channels)),
        (1, 2, 3, 4, 5, 6, 0, 7))
    grad_flat = array_ops.reshape(grad_expanded, (-1, batch_size * channels))
    jac = sparse_ops.sparse_tensor_dense_matmul(mapping, grad_flat)
    grad_out = array_ops.reshape(jac, (planes_in, rows_in, cols_in, batch_size, channels))
    return [array_ops.transpose(grad_out, (3, 0, 1, 2, 4))]
