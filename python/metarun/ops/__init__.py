"""The tf.compat.v1 op functions, built on framework.op_builder.apply_op:
one module per family, as in TF (array_ops, math_ops, nn_ops, state_ops...)."""

from metarun.ops import shapes_state  # noqa: E402,F401 -- registers shape functions
from metarun.ops import math_grad, array_grad, nn_grad  # noqa: E402,F401 -- register gradient functions
from metarun.ops import special_math_grad, bitwise_scan_grad, segment_grad  # noqa: E402,F401
from metarun.ops import second_order_grad, einsum_grad, functional_grad, list_grad  # noqa: E402,F401
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
from metarun.ops import batchnorm_global_grad  # noqa: E402,F401 -- the gradient of TF 0.x batch norm
from metarun.ops import rnn_block_grad  # noqa: E402,F401 -- the fused LSTM/GRU cells: shapes, BlockLSTM gradients
