"""The tf.compat.v1 op functions, built on framework.op_builder.apply_op:
one module per family, as in TF (array_ops, math_ops, nn_ops, state_ops...).

Importing the package registers the shape functions, and the gradient functions of the
modules that register shape functions too: later modules wrap or replace some of these
(shapes_array_math, nn_grad_2, array_ops_3), so they come first whichever op module is
imported first. The modules that only register gradient functions are imported by the first
gradient lookup (metarun._lazy.load_all())."""

from metarun import _lazy

_lazy.load_before_others(
    "metarun.ops.math_grad", "metarun.ops.array_grad", "metarun.ops.nn_grad", "metarun.ops.special_math_grad",
    "metarun.ops.bitwise_scan_grad", "metarun.ops.segment_grad", "metarun.ops.second_order_grad",
    "metarun.ops.einsum_grad", "metarun.ops.functional_grad", "metarun.ops.list_grad",
    "metarun.ops.batchnorm_global_grad")

from metarun.ops import shapes_state  # noqa: E402,F401 -- registers shape functions
from metarun.ops import space_batch_grad  # noqa: E402,F401 -- also the space/batch/depth shape functions
from metarun.ops import fake_quant_grad  # noqa: E402,F401 -- also registers the fake-quant shape functions
from metarun.ops import shapes_core  # noqa: E402,F401 -- registers shape functions
from metarun.ops import shapes_array_math  # noqa: E402,F401 -- array/math/random shape functions
from metarun.ops import fft_grad  # noqa: E402,F401 -- also the FFT shape functions (fft_ops)
from metarun.ops import argmax_dilation_grad  # noqa: E402,F401 -- also the MaxPoolWithArgmax/Dilation2D shape functions
from metarun.ops import conv3d_grad  # noqa: E402,F401 -- also the Conv3D and 3-D pooling shape functions
from metarun.ops import image_resize_grad  # noqa: E402,F401 -- also the resize, scale and crop shape functions
from metarun.ops import image_grad  # noqa: E402,F401 -- also the image ops' shape functions (image_ops)
from metarun.ops import sparse_grad  # noqa: E402,F401 -- also the sparse kernels' shape functions (sparse_ops)
from metarun.ops import sparse_tensors_map_ops  # noqa: E402,F401 -- the SparseTensorsMap ops' shape functions
from metarun.ops import ctc_ops, fractional_pool_ops  # noqa: E402,F401 -- their gradients and shape functions
from metarun.ops import rnn_block_grad  # noqa: E402,F401 -- the fused LSTM/GRU cells: shapes, BlockLSTM gradients

__getattr__, __dir__ = _lazy.exports(__name__, {})  # the other op modules, as attributes on first use
