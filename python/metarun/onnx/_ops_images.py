"""TF image, volume and detection ops -> ONNX, registered in _ops.HANDLERS (imported by
_ops_more): transposed convolutions, resizing (bicubic with TF's own rounded weights), depth to
space, LRN, 3-D convolution and pooling, non-max suppression. NHWC runs as NCHW between
Transposes the optimizer cancels.
"""

import numpy as np

from metarun.onnx._ops import _attr, _i64, _ins, _out, handles
from metarun.onnx._ops_more import _dt, _float_only
from metarun.onnx.export import NotMappable

_NHWC_TO_NCHW = [0, 3, 1, 2]
_NCHW_TO_NHWC = [0, 2, 3, 1]


# --- images (NHWC runs as NCHW between a Transpose pair the optimizer cancels) --------------

def _nhwc_only(node):
    fmt = _attr(node, "data_format", "NHWC")
    if fmt != "NHWC":
        raise NotMappable("%s %s: data_format %s (TF runs it on GPUs only)"
                          % (node.op, node.name, fmt))


def _nchw(ctx, x):
    return ctx.node("Transpose", [x], perm=_NHWC_TO_NCHW)


def _back_to_nhwc(ctx, y, node):
    ctx.node("Transpose", [y], _out(node), perm=_NCHW_TO_NHWC)


@handles("DepthToSpace", "SpaceToDepth")
def _depth_to_space(ctx, node):
    # TF's channel order, (row in block, column in block, channel), is ONNX's DCR mode
    _nhwc_only(node)
    x, = _ins(ctx, node)
    attrs = dict(blocksize=int(_attr(node, "block_size")))
    if node.op == "DepthToSpace":
        attrs["mode"] = "DCR"
    _back_to_nhwc(ctx, ctx.node(node.op, [_nchw(ctx, x)], **attrs), node)


@handles("LRN")
def _lrn(ctx, node):
    """TF: x / (bias + alpha * sum of squares over channels c-r..c+r)^beta; ONNX's LRN divides
    alpha by its window size 2r+1."""
    _float_only(ctx, node, ctx.g.data_inputs(node)[0])
    x, = _ins(ctx, node)
    r = int(_attr(node, "depth_radius", 5))
    size = 2 * r + 1
    y = ctx.node("LRN", [_nchw(ctx, x)], size=size, alpha=float(_attr(node, "alpha", 1.0)) * size,
                 beta=float(_attr(node, "beta", 0.5)), bias=float(_attr(node, "bias", 1.0)))
    _back_to_nhwc(ctx, y, node)


@handles("ResizeBilinear", "ResizeNearestNeighbor")
def _resize(ctx, node):
    """TF's pixel mappings as ONNX Resize coordinate transformations: align_corners ->
    align_corners, half_pixel_centers -> half_pixel (for nearest, floor((x + 0.5) * scale) is
    round-half-up of the half_pixel coordinate), neither -> asymmetric with floor."""
    names = ctx.g.data_inputs(node)
    align, half = bool(_attr(node, "align_corners", False)), \
        bool(_attr(node, "half_pixel_centers", False))
    if align and half:
        raise NotMappable("%s %s: align_corners with half_pixel_centers (TF fails)"
                          % (node.op, node.name))
    x, size = _ins(ctx, node)
    dt = _dt(ctx, names[0])
    if node.op == "ResizeBilinear":
        attrs = dict(mode="linear")
        if dt != np.float32:
            x = ctx.node("Cast", [x], to=1)  # TF interpolates in float and returns float
    else:
        if dt not in (np.float32, np.float64, np.int32, np.int8, np.uint8):
            raise NotMappable("%s %s: dtype %s (no onnxruntime Resize kernel)"
                              % (node.op, node.name, dt.name))
        attrs = dict(mode="nearest",
                     nearest_mode="round_prefer_ceil" if align or half else "floor")
    attrs["coordinate_transformation_mode"] = \
        "align_corners" if align else "half_pixel" if half else "asymmetric"
    x = _nchw(ctx, x)
    shape, new = ctx.shape(names[0]), ctx.value(names[1])
    if shape is not None and None not in (shape[0], shape[3]) and new is not None:
        sizes = _i64(ctx, [shape[0], shape[3]] + list(np.asarray(new).reshape(-1)), "sizes")
    else:
        batch_channels = ctx.node("Slice", [ctx.node("Shape", [x]), _i64(ctx, [0], "starts"),
                                            _i64(ctx, [2], "ends")])
        sizes = ctx.node("Concat", [batch_channels, ctx.node("Cast", [size], to=7)], axis=0)
    _back_to_nhwc(ctx, ctx.node("Resize", [x, "", "", sizes], **attrs), node)


@handles("Conv2DBackpropInput")
def _conv_transpose(ctx, node):
    """The gradient of a Conv2D for its input (conv2d_transpose) as ConvTranspose: TF's
    forward pads (SAME, VALID or explicit) crop the full transposed output, and the rows a
    strided forward conv never read (input size beyond the windows) are output_padding."""
    names = ctx.g.data_inputs(node)
    _nhwc_only(node)
    w = ctx.value(names[1])
    if w is None:
        raise NotMappable("Conv2DBackpropInput %s: the filter must be a constant" % node.name)
    kh, kw, cin, cout = w.shape
    strides = list(_attr(node, "strides", [1, 1, 1, 1]))[1:3]
    dilations = list(_attr(node, "dilations", [1, 1, 1, 1]))[1:3]
    dy_shape = ctx.shape(names[2])
    out_hw = None if dy_shape is None else dy_shape[1:3]
    sizes = ctx.value(names[0])
    if sizes is not None:
        sizes = np.asarray(sizes).reshape(-1).tolist()
        in_hw = sizes[1:3] if len(sizes) == 4 else sizes
    else:
        out_shape = ctx.shape(_out(node))
        in_hw = None if out_shape is None else out_shape[1:3]
    if out_hw is None or in_hw is None or None in out_hw or None in in_hw:
        raise NotMappable("Conv2DBackpropInput %s: needs the spatial sizes of its gradient "
                          "input and output" % node.name)
    padding = _attr(node, "padding")
    explicit = list(_attr(node, "explicit_paddings", []))
    begin, end, extra = [], [], []
    for i, (n, o, k, s, d) in enumerate(zip(in_hw, out_hw, [kh, kw], strides, dilations)):
        dk = (k - 1) * d + 1
        if padding == "SAME":
            total = max((o - 1) * s + dk - n, 0)
            b, e = total // 2, total - total // 2
        elif padding == "VALID":
            b = e = 0
        elif padding == "EXPLICIT":
            b, e = explicit[2 + 2 * i:4 + 2 * i]
        else:
            raise NotMappable("Conv2DBackpropInput %s: padding %s" % (node.name, padding))
        pad_out = n - ((o - 1) * s + dk - b - e)
        if (n + b + e - dk) // s + 1 != o or not 0 <= pad_out < max(s, d):
            raise NotMappable("Conv2DBackpropInput %s: input size %d does not give output "
                              "size %d (TF fails)" % (node.name, n, o))
        begin.append(b)
        end.append(e)
        extra.append(pad_out)
    weights = np.ascontiguousarray(np.transpose(w, (3, 2, 0, 1)))
    y = ctx.node("ConvTranspose", [_nchw(ctx, ctx.input(names[2])),
                                   ctx.const(weights, node.name + "/W")],
                 kernel_shape=[kh, kw], strides=strides, dilations=dilations,
                 pads=begin + end, output_padding=extra)
    _back_to_nhwc(ctx, y, node)


# --- 3-D convolution and pooling (NDHWC runs as NCDHW) ---------------------------------

_NDHWC_TO_NCDHW = [0, 4, 1, 2, 3]
_NCDHW_TO_NDHWC = [0, 2, 3, 4, 1]


def _ndhwc_attrs(ctx, node, x_name, kernel, strides, dilations):
    from metarun.onnx._ops import _spatial_pads
    if _attr(node, "data_format", "NDHWC") != "NDHWC":
        raise NotMappable("%s %s: data_format %s" % (node.op, node.name,
                                                     _attr(node, "data_format")))
    shape = ctx.shape(x_name)
    in_spatial = [None] * 3 if shape is None else shape[1:4]
    pads = _spatial_pads(node, in_spatial, kernel, strides, dilations, _attr(node, "padding"),
                         [], "NDHWC")
    attrs = dict(kernel_shape=list(kernel), strides=list(strides))
    if pads is None:
        attrs["auto_pad"] = "SAME_UPPER"  # TF's SAME puts the odd padding at the end
    else:
        attrs["pads"] = pads
    return attrs


@handles("Conv3D")
def _conv3d(ctx, node):
    names = ctx.g.data_inputs(node)
    w = ctx.value(names[1])
    if w is None:
        raise NotMappable("Conv3D %s: the filter must be a constant" % node.name)
    cin = w.shape[3]
    shape = ctx.shape(names[0])
    if shape is not None and shape[4] is not None and shape[4] != cin:
        raise NotMappable("Conv3D %s: grouped convolution" % node.name)
    strides = list(_attr(node, "strides", [1] * 5))[1:4]
    dilations = list(_attr(node, "dilations", [1] * 5))[1:4]
    attrs = _ndhwc_attrs(ctx, node, names[0], w.shape[:3], strides, dilations)
    x = ctx.node("Transpose", [ctx.input(names[0])], perm=_NDHWC_TO_NCDHW)
    weights = np.ascontiguousarray(np.transpose(w, (4, 3, 0, 1, 2)))
    y = ctx.node("Conv", [x, ctx.const(weights, node.name + "/W")], dilations=dilations,
                 **attrs)
    ctx.node("Transpose", [y], _out(node), perm=_NCDHW_TO_NDHWC)


@handles("MaxPool3D", "AvgPool3D")
def _pool3d(ctx, node):
    names = ctx.g.data_inputs(node)
    ksize, strides = list(_attr(node, "ksize")), list(_attr(node, "strides"))
    if ksize[0] != 1 or ksize[4] != 1 or strides[0] != 1 or strides[4] != 1:
        raise NotMappable("%s %s: pooling over the batch or channel dimension"
                          % (node.op, node.name))
    attrs = _ndhwc_attrs(ctx, node, names[0], ksize[1:4], strides[1:4], [1, 1, 1])
    if node.op == "AvgPool3D":
        attrs["count_include_pad"] = 0  # TF averages over the window's inside part only
    x = ctx.node("Transpose", [ctx.input(names[0])], perm=_NDHWC_TO_NCDHW)
    y = ctx.node("MaxPool" if node.op == "MaxPool3D" else "AveragePool", [x], **attrs)
    ctx.node("Transpose", [y], _out(node), perm=_NCDHW_TO_NDHWC)


# --- detection ---------------------------------------------------------------------------------

@handles("NonMaxSuppressionV2", "NonMaxSuppressionV3", "NonMaxSuppressionV4",
         "NonMaxSuppressionV5")
def _non_max_suppression(ctx, node):
    """Greedy NMS as ONNX NonMaxSuppression over one batch and one class: boxes by descending
    score (ties to the lower index), those with score > score_threshold, a box dropped when its
    IoU with a kept one is > iou_threshold, boxes given by any two opposite corners; the kept
    indices are the third column of ONNX's [k, 3] triplets. V4's padding to max_output_size
    appends zeros; V5's soft NMS (sigma > 0) rescores boxes instead of dropping them, which
    ONNX has no op for."""
    names = ctx.g.data_inputs(node)
    ins = _ins(ctx, node)
    boxes, scores, max_out, iou = ins[:4]
    dt = _dt(ctx, names[1])
    if dt != np.float32:
        raise NotMappable("%s %s: dtype %s (onnxruntime's NMS is float32)"
                          % (node.op, node.name, dt.name))
    if node.op == "NonMaxSuppressionV5":
        sigma = ctx.value(names[5])
        if sigma is None or float(np.asarray(sigma)) != 0.0:
            raise NotMappable("NonMaxSuppressionV5 %s: soft NMS (a soft_nms_sigma that is not "
                              "the constant 0) is not exported" % node.name)
    onnx_in = [ctx.node("Unsqueeze", [boxes, _i64(ctx, [0], "axes")]),
               ctx.node("Unsqueeze", [scores, _i64(ctx, [0, 1], "axes")]),
               ctx.node("Reshape", [ctx.node("Cast", [max_out], to=7), _i64(ctx, [1], "shape")]),
               ctx.node("Reshape", [iou, _i64(ctx, [1], "shape")])]
    if node.op != "NonMaxSuppressionV2":
        onnx_in.append(ctx.node("Reshape", [ins[4], _i64(ctx, [1], "shape")]))
    triplets = ctx.node("NonMaxSuppression", onnx_in, center_point_box=0)
    picked = ctx.node("Gather", [triplets, ctx.const(np.array(2, np.int64), "column")], axis=1)
    count = ctx.node("Shape", [picked])
    pad = node.op in ("NonMaxSuppressionV4", "NonMaxSuppressionV5") and \
        bool(_attr(node, "pad_to_max_output_size", False))
    chosen = [picked]
    if node.op == "NonMaxSuppressionV5":
        chosen.append(ctx.node("Gather", [scores, picked], axis=0))
    if pad:  # zeros after the kept indices (and their scores), up to max_output_size
        pads = ctx.node("Concat", [_i64(ctx, [0], "zero"), ctx.node("Sub", [onnx_in[2], count])],
                        axis=0)
        chosen = [ctx.node("Pad", [c, pads]) for c in chosen]
    ctx.node("Cast", [chosen[0]], _out(node, 0), to=6)
    if node.op == "NonMaxSuppressionV5":
        ctx.node("Identity", [chosen[1]], _out(node, 1))
    if node.op in ("NonMaxSuppressionV4", "NonMaxSuppressionV5"):
        ctx.node("Cast", [ctx.node("Squeeze", [count, _i64(ctx, [0], "axes")])],
                 _out(node, 2 if node.op == "NonMaxSuppressionV5" else 1), to=6)


# --- bicubic resizing ---------------------------------------------------------------------------

def _bicubic_table(a):
    """TF's 1025-entry coefficient table: the cubic's weights for the near and the far tap at
    offsets i / 1024, computed in double and stored as float."""
    x = (np.arange(1025, dtype=np.float64) / 1024).astype(np.float32).astype(np.float64)
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    x = (x.astype(np.float32) + np.float32(1.0)).astype(np.float64)
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return near.astype(np.float32), far.astype(np.float32)


def _bicubic_weights(n_in, n_out, align, half):
    """[n_out, n_in] float32: row j holds TF's four tap weights for output pixel j. TF rounds
    the fractional position to 1/1024 (its table); half_pixel_centers uses Keys' a = -0.5 and
    gives taps outside the image weight 0, renormalizing the rest; legacy uses a = -0.75 with
    taps clamped to the edge."""
    f32 = np.float32
    scale = f32(n_in - 1) / f32(n_out - 1) if align and n_out > 1 else f32(n_in) / f32(n_out)
    near, far = _bicubic_table(-0.5 if half else -0.75)
    w = np.zeros((n_out, n_in), np.float32)
    for j in range(n_out):
        pos = (f32(j) + f32(0.5)) * scale - f32(0.5) if half else f32(j) * scale
        base = int(np.floor(pos))
        offset = int(np.rint(f32(pos - f32(base)) * f32(1024)))
        taps = [far[offset], near[offset], near[1024 - offset], far[1024 - offset]]
        index = [base - 1, base, base + 1, base + 2]
        bounded = [min(n_in - 1, max(0, i)) for i in index]
        if half:
            taps = [t if b == i else f32(0) for t, b, i in zip(taps, bounded, index)]
            total = f32(f32(f32(taps[0] + taps[1]) + taps[2]) + taps[3])
            if abs(total) >= 1000 * np.finfo(np.float32).tiny:
                inv = f32(1) / total
                taps = [f32(t * inv) for t in taps]
        for t, b in zip(taps, bounded):
            w[j, b] += t
    return w


@handles("ResizeBicubic")
def _resize_bicubic(ctx, node):
    """Separable: out = Wy . image . Wx^T with TF's weights computed here (ONNX Resize's cubic
    computes exact weights where TF's are rounded to its table, differing by ~1e-3), so the
    image's height and width and the new size must be known."""
    names = ctx.g.data_inputs(node)
    align, half = bool(_attr(node, "align_corners", False)), \
        bool(_attr(node, "half_pixel_centers", False))
    if align and half:
        raise NotMappable("ResizeBicubic %s: align_corners with half_pixel_centers (TF fails)"
                          % node.name)
    shape, new = ctx.shape(names[0]), ctx.value(names[1])
    if shape is None or None in shape[1:3] or new is None:
        raise NotMappable("ResizeBicubic %s: needs the image's height and width and a constant "
                          "size (TF's rounded weights are computed at export)" % node.name)
    (h, w), (oh, ow) = shape[1:3], [int(v) for v in np.asarray(new).reshape(-1)]
    x, _ = _ins(ctx, node)
    if _dt(ctx, names[0]) != np.float32:
        x = ctx.node("Cast", [x], to=1)
    x = _nchw(ctx, x)
    wy = ctx.const(_bicubic_weights(h, oh, align, half), node.name + "/Wy")
    wxt = ctx.const(np.ascontiguousarray(_bicubic_weights(w, ow, align, half).T),
                    node.name + "/WxT")
    y = ctx.node("MatMul", [ctx.node("MatMul", [wy, x]), wxt])
    _back_to_nhwc(ctx, y, node)


# --- image patches -----------------------------------------------------------------------------

@handles("ExtractImagePatches")
def _extract_image_patches(ctx, node):
    """Each output pixel's patch, ordered (kernel row, kernel column, channel), as one strided
    Slice of the zero-padded image per kernel position, concatenated over channels: copies
    only, so TF's values exactly (its SAME padding is zeros too)."""
    names = ctx.g.data_inputs(node)
    ksizes, strides, rates = (list(_attr(node, k)) for k in ("ksizes", "strides", "rates"))
    if any(v[0] != 1 or v[3] != 1 for v in (ksizes, strides, rates)):
        raise NotMappable("ExtractImagePatches %s: patches across the batch or channels"
                          % node.name)
    shape = ctx.shape(names[0])
    if shape is None or None in shape[1:3]:
        raise NotMappable("ExtractImagePatches %s: needs the image's height and width"
                          % node.name)
    padding = _attr(node, "padding")
    pads, outs = [], []  # [top, bottom, left, right]
    for n, k, s, r in zip(shape[1:3], ksizes[1:3], strides[1:3], rates[1:3]):
        span = (k - 1) * r + 1
        if padding == "VALID":
            out, total = max(-(-(n - span + 1) // s), 0), 0
        elif padding == "SAME":
            out = -(-n // s)
            total = max((out - 1) * s + span - n, 0)
        else:
            raise NotMappable("ExtractImagePatches %s: padding %s" % (node.name, padding))
        pads += [total // 2, total - total // 2]
        outs.append(out)
    x, = _ins(ctx, node)
    if any(pads):
        x = ctx.node("Pad", [x, _i64(ctx, [0, pads[0], pads[2], 0, 0, pads[1], pads[3], 0],
                                     "pads")])
    pieces = []
    for i in range(ksizes[1]):
        for j in range(ksizes[2]):
            starts = [i * rates[1], j * rates[2]]
            ends = [st + (o - 1) * s + 1 for st, o, s in zip(starts, outs, strides[1:3])]
            pieces.append(ctx.node("Slice", [x, _i64(ctx, starts, "starts"),
                                             _i64(ctx, ends, "ends"), _i64(ctx, [1, 2], "axes"),
                                             _i64(ctx, strides[1:3], "steps")]))
    ctx.node("Concat", pieces, _out(node), axis=3)
