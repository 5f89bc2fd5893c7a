"""metarun: run TensorFlow 1.x meta graphs and checkpoints without TensorFlow.

`import metarun as tf` gives the tf.compat.v1 graph API: import_meta_graph,
Session.run with feed_dict, Saver.restore/save, collections and variables.
"""

from metarun import _core, errors
from metarun import dtypes  # noqa: E402 -- tf.dtypes: framework.dtypes plus its functions
from metarun.dtypes import QUANTIZED_DTYPES, as_string  # noqa: E402,F401
from metarun.framework.dtypes import (  # noqa: F401 -- TF's public dtype names
    DType, as_dtype, bfloat16, bool, complex64, complex128, double, float16, float32, float64, half,
    int8, int16, int32, int64, qint8, qint16, qint32, quint8, quint16, resource, string, uint8, uint16,
    uint32, uint64, variant)
from metarun.framework.graph import (
    Graph, GraphKeys, Operation, Tensor, get_default_graph, reset_default_graph)
from metarun.framework.importer import import_graph_def
from metarun.framework.io_kernels import run_host_op as _run_host_op
from metarun.framework.session import (
    ConfigProto, InteractiveSession, RunMetadata, RunOptions, Session, get_default_session)
from metarun.framework.tensor_shape import TensorShape
from metarun.framework.variables import (
    Variable, global_variables, global_variables_initializer, is_variable_initialized,
    local_variables, local_variables_initializer, model_variables, trainable_variables,
    variables_initializer)
from metarun import train
from metarun.framework.op_builder import convert_to_tensor, raw_ops  # noqa: F401
from metarun.ops.array_ops import (  # noqa: F401
    boolean_mask, broadcast_to, gather, gather_nd, invert_permutation, one_hot, pad, reverse, sequence_mask,
    slice, split, strided_slice, tile, unique, where, where_v2,
    concat, expand_dims, fill, identity, ones, ones_like, placeholder, placeholder_with_default, rank,
    reshape, shape, size, squeeze, stack, stop_gradient, transpose, unstack, zeros, zeros_like)
from metarun.ops.math_ops import (  # noqa: F401
    abs, add, add_n, argmax, argmin, cast, ceil, cos, div, divide, equal, exp, floor, floordiv, greater,
    greater_equal, less, less_equal, log, logical_and, logical_not, logical_or, logical_xor, matmul,
    maximum, minimum, mod, multiply, negative, not_equal, pow, reduce_all, reduce_any, reduce_max,
    reduce_mean, reduce_min, reduce_prod, reduce_sum, round, rsqrt, sigmoid, sign, sin, sqrt, square,
    squared_difference, subtract, tan, tanh, to_double, to_float, to_int32, to_int64, truediv)
from metarun.ops import math_ops as _math_ops
# array, math and random functions (array/math family)
from metarun.ops.math_ops import (  # noqa: F401,A004
    accumulate_n, acos, acosh, asin, asinh, atan, atan2, atanh, check_numerics, clip_by_global_norm,
    clip_by_norm, clip_by_value, complex, conj, cosh, count_nonzero, cumprod, cumsum, digamma, div_no_nan, einsum, erf,
    erfc, expm1, global_norm, norm, identity_n, igamma, igammac, imag, is_finite, is_inf, is_nan, lgamma, log1p,
    polygamma, range, real, realdiv, reciprocal, reduce_logsumexp, rint, saturate_cast, scalar_mul,
    segment_max, segment_mean, segment_min, segment_prod, segment_sum, sinh, trace, truncatediv,
    truncatemod, unsorted_segment_max, unsorted_segment_min, unsorted_segment_prod, unsorted_segment_sum,
    zeta, betainc, floor_div, floormod, log_sigmoid, tensordot, linspace, lin_space)
from metarun.ops.space_batch_ops import (  # noqa: F401,E402
    batch_to_space, batch_to_space_nd, depth_to_space, required_space_to_batch_paddings, space_to_batch,
    space_to_batch_nd, space_to_depth)
from metarun.ops.array_ops import (  # noqa: F401,E402
    dynamic_partition, dynamic_stitch, matrix_diag_part, matrix_transpose, meshgrid, newaxis, reverse_sequence,
    reverse_v2, scatter_nd, shape_n, unique_with_counts, Assert, assert_equal, assert_greater,
    assert_greater_equal, assert_less, assert_less_equal, assert_negative, assert_non_negative,
    assert_non_positive, assert_none_equal, assert_positive)
from metarun import debugging  # noqa: F401,E402 -- tf.debugging
from metarun.ops.random_ops import get_seed, multinomial, random_poisson  # noqa: F401,E402
from metarun import bitwise, linalg, random  # noqa: F401,E402 -- tf.bitwise, tf.linalg, tf.random
from metarun.ops.linalg_ops import (  # noqa: F401,E402 -- the tf.* names of tf.linalg's functions
    cholesky, cholesky_solve, cross, eye, matrix_band_part, matrix_determinant, matrix_diag, matrix_inverse,
    matrix_set_diag, matrix_solve, matrix_solve_ls, matrix_triangular_solve, qr, self_adjoint_eig,
    self_adjoint_eigvals, svd, tensor_diag as diag, tensor_diag_part as diag_part)
from metarun.ops.gradients_impl import (  # noqa: F401
    AggregationMethod, IndexedSlices, NoGradient, NotDifferentiable, RegisterGradient, UnconnectedGradients,
    gradients, hessians)
from metarun import math  # noqa: F401 -- tf.math
from metarun import nn, layers, losses, metrics  # noqa: F401 -- tf.nn, tf.layers, tf.losses, tf.metrics
from metarun import summary  # noqa: F401,E402 -- tf.summary (v1: ops, FileWriter)
from metarun.ops.confusion_matrix import confusion_matrix_v1 as confusion_matrix  # noqa: F401 -- tf.confusion_matrix
from metarun.ops.random_ops import (  # noqa: F401
    random_normal, random_shuffle, random_uniform, set_random_seed, truncated_normal)
from metarun.ops.init_ops import (  # noqa: F401
    constant_initializer, glorot_normal_initializer, glorot_uniform_initializer, ones_initializer,
    random_normal_initializer, random_uniform_initializer, truncated_normal_initializer,
    uniform_unit_scaling_initializer, variance_scaling_initializer, zeros_initializer)
from metarun.ops.init_ops import orthogonal_initializer  # noqa: F401,E402
from metarun.ops.script_ops import numpy_function, py_func  # noqa: F401,E402
from metarun.ops.variable_scope import (  # noqa: F401
    AUTO_REUSE, VariableScope, fixed_size_partitioner, get_local_variable, get_variable, get_variable_scope,
    min_max_variable_partitioner, variable_axis_size_partitioner, variable_op_scope, variable_scope)

__version__ = "0.1.0"

_core.set_host_function(_run_host_op)
_math_ops.install()


def _blas_library():
    """The scipy-openblas32 shared library, found without importing the package
    (its import loads the library and starts a thread pool)."""
    import importlib.util
    import os
    spec = importlib.util.find_spec("scipy_openblas32")
    if spec is None or not spec.origin:
        return ""
    lib_dir = os.path.join(os.path.dirname(spec.origin), "lib")
    for name in sorted(os.listdir(lib_dir)) if os.path.isdir(lib_dir) else []:
        if name.startswith("libscipy_openblas") and ".so" in name:
            return os.path.join(lib_dir, name)
    return ""


_core.set_blas_library(_blas_library())

initialize_all_variables = global_variables_initializer
initialize_variables = variables_initializer


def get_collection(key, scope=None):
    return get_default_graph().get_collection(key, scope)


def get_collection_ref(key):
    return get_default_graph().get_collection_ref(key)


def add_to_collection(name, value):
    get_default_graph().add_to_collection(name, value)


def add_to_collections(names, value):
    get_default_graph().add_to_collections(names, value)


def name_scope(name, default_name=None, values=None):
    from metarun.ops.scopes import name_scope as scope
    return scope(name, default_name, values)


def colocate_with(op, ignore_existing=False):
    return get_default_graph().colocate_with(op, ignore_existing)


from metarun.ops.control_flow_ops import (  # noqa: F401,E402,A001
    Assert, case, cond, tuple, while_loop, with_dependencies)
from metarun.ops.functional_ops import foldl, foldr, map_fn, scan  # noqa: F401,E402
from metarun.ops.functional_v2 import function, switch_case  # noqa: F401,E402
from metarun.ops.parsing_ops import (  # noqa: F401,E402 -- tf.parse_example & co.
    FixedLenFeature, FixedLenSequenceFeature, decode_raw, parse_example, parse_single_example)
from metarun.ops.parsing_ops import VarLenFeature, decode_compressed, decode_csv  # noqa: F401,E402 -- tf.decode_csv & co.
from metarun.ops.parsing_ops import decode_json_example, parse_single_sequence_example  # noqa: F401,E402 -- tf.decode_csv & co.
from metarun.ops.parsing_ops import parse_tensor, serialize_tensor  # noqa: F401,E402 -- tf.decode_csv & co.
from metarun.ops.parsing_ops import SparseFeature  # noqa: F401,E402 -- tf.decode_csv & co.
from metarun.ops.sparse_serialize_ops import (  # noqa: F401,E402 -- tf.serialize_sparse & co.
    deserialize_many_sparse, serialize_many_sparse, serialize_sparse)
from metarun.ops.tensor_array_ops import TensorArray  # noqa: F401,E402
from metarun.train.moving_averages import moving_average_variables  # noqa: F401,E402


def group(*inputs, **kwargs):
    from metarun.ops.control_flow_ops import group as group_
    return group_(*inputs, **kwargs)


def no_op(name=None):
    from metarun.framework.op_builder import apply_op
    return apply_op("NoOp", name=name)


def control_dependencies(control_inputs):
    return get_default_graph().control_dependencies(control_inputs)


def device(device_name):
    return get_default_graph().device(device_name)


def constant(value, dtype=None, shape=None, name="Const", verify_shape=False):
    from metarun.framework import op_builder
    return op_builder.constant(value, dtype, shape, name, verify_shape)


# tf.logging, tf.gfile, tf.io.gfile, tf.initializers, tf.nest, tf.version, tf.resource_loader
# (tf.app and tf.flags are imported on first use: see __getattr__)
from metarun import gfile, initializers, io, nest, resource_loader, version  # noqa: F401,E402
from metarun import lookup  # noqa: F401,E402 -- tf.lookup
from metarun import queue  # noqa: F401,E402 -- tf.queue
from metarun import quantization  # noqa: F401,E402 -- tf.quantization
from metarun.quantization import (  # noqa: F401,E402 -- the tf.fake_quant_* names
    fake_quant_with_min_max_args, fake_quant_with_min_max_args_gradient, fake_quant_with_min_max_vars,
    fake_quant_with_min_max_vars_gradient, fake_quant_with_min_max_vars_per_channel,
    fake_quant_with_min_max_vars_per_channel_gradient)
from metarun.ops.data_flow_ops import (  # noqa: F401,E402 -- the TF1 queues
    FIFOQueue, PaddingFIFOQueue, PriorityQueue, QueueBase, RandomShuffleQueue)
from metarun.lookup import string_to_hash_bucket_fast  # noqa: F401,E402
from metarun.ops.io_ops import (  # noqa: F401,E402 -- the TF1 readers, tf.read_file, tf.write_file
    FixedLengthRecordReader, IdentityReader, ReaderBase, TextLineReader, TFRecordReader, WholeFileReader, read_file,
    write_file)
from metarun import python_io  # noqa: F401,E402 -- tf.python_io
from metarun import tf_logging as logging  # noqa: E402
from metarun.tf_logging import _get_logger as get_logger  # noqa: E402
from metarun.initializers import tables_initializer  # noqa: F401,E402
from metarun.version import (  # noqa: F401,E402
    COMPILER_VERSION, GIT_VERSION, GRAPH_DEF_VERSION, GRAPH_DEF_VERSION_MIN_CONSUMER, GRAPH_DEF_VERSION_MIN_PRODUCER,
    VERSION, _CXX11_ABI_FLAG as CXX11_ABI_FLAG, _CXX_VERSION as CXX_VERSION)
initialize_all_tables = tables_initializer


# The protocol buffer classes tf.compat.v1 exports, loaded on first use.
_PROTO_NAMES = ("AttrValue", "GraphDef", "MetaGraphDef", "NameAttrList", "NodeDef", "TensorInfo")


from metarun.ops.state_ops_v1 import (  # noqa: F401,E402 -- tf.assign*, tf.scatter*, TF2 switches
    assign, assign_add, assign_sub, control_flow_v2_enabled, disable_control_flow_v2, disable_eager_execution,
    disable_resource_variables, disable_tensor_equality, disable_v2_behavior, disable_v2_tensorshape,
    enable_control_flow_v2, enable_eager_execution, enable_resource_variables, enable_tensor_equality,
    enable_v2_behavior, enable_v2_tensorshape, executing_eagerly, executing_eagerly_outside_functions,
    resource_variables_enabled, scatter_add, scatter_div, scatter_max, scatter_min, scatter_mul, scatter_nd_add,
    scatter_nd_sub, scatter_nd_update, scatter_sub, scatter_update)
from metarun.ops.state_ops_v1 import count_up_to  # noqa: F401,E402 -- tf.count_up_to

def __getattr__(name):
    if name == "data":  # tf.data, imported on first use (it is most of a script's import time otherwise)
        import importlib
        return importlib.import_module("metarun.data")
    if name in ("app", "flags"):  # tf.app, tf.flags: only scripts that parse flags need them
        import importlib
        return importlib.import_module("metarun." + name)
    if name in _PROTO_NAMES:
        from metarun.framework import protos
        return getattr(protos, name)
    if name in summary._PROTO_NAMES:  # tf.Summary, tf.Event, tf.SessionLog, ...
        return getattr(summary, name)
    raise AttributeError("module 'metarun' has no attribute %r" % name)


class _Compat(object):
    """`tf.compat.v1` spelled against metarun: the module itself."""

    @property
    def v1(self):
        import metarun
        return metarun


compat = _Compat()

# tf.* names of graphs, values, checks and small array functions (array_ops_2, check_ops, misc_ops, misc_types)
from metarun.ops.array_ops_2 import (  # noqa: F401,E402
    Print, angle, arg_max, arg_min, argsort, broadcast_dynamic_shape, broadcast_static_shape, clip_by_average_norm,
    ensure_shape, lbeta, random_crop, repeat, setdiff1d, sort)
from metarun.ops.array_ops_2 import print_v2 as print  # noqa: E402,A001 -- TF's name
from metarun.ops.check_ops import (  # noqa: F401,E402
    assert_integer, assert_near, assert_proper_iterable, assert_rank, assert_rank_at_least, assert_rank_in,
    assert_same_float_dtype, assert_scalar, assert_type, is_non_decreasing, is_numeric_tensor, is_strictly_increasing)
from metarun.ops.misc_ops import (  # noqa: F401,E402
    all_variables, assert_variables_initialized, container, convert_to_tensor_or_indexed_slices, custom_gradient,
    get_static_value, init_scope, initialize_local_variables, is_tensor, make_ndarray, make_tensor_proto,
    make_template, op_scope, report_uninitialized_variables)
from metarun.ops.misc_types import (  # noqa: F401,E402
    DeviceSpec, Dimension, GPUOptions, GraphOptions, OptimizerOptions, TensorSpec, TypeSpec, VariableAggregation,
    VariableSynchronization, dimension_at_index, dimension_value)
no_gradient = NotDifferentiable
from metarun import signal, spectral  # noqa: F401,E402 -- tf.signal / tf.spectral (the FFTs)
from metarun import audio  # noqa: F401,E402 -- tf.audio (WAV decoding and encoding)
from metarun.ops.fft_ops import fft, fft2d, fft3d, ifft, ifft2d, ifft3d  # noqa: F401,E402 -- tf.fft etc.
from metarun.framework.sparse_tensor import (  # noqa: F401,E402 -- tf.SparseTensor & co.
    SparseTensor, SparseTensorValue, convert_to_tensor_or_sparse_tensor, sparse_placeholder)
from metarun import image, sparse  # noqa: F401,E402 -- tf.image, tf.sparse
from metarun.ops.sparse_ops import (  # noqa: F401,E402 -- tf.sparse_* (TF1's top-level names of tf.sparse)
    sparse_add, sparse_concat, sparse_fill_empty_rows, sparse_mask, sparse_maximum, sparse_merge, sparse_minimum,
    sparse_reduce_max, sparse_reduce_max_sparse, sparse_reduce_sum, sparse_reduce_sum_sparse, sparse_reorder,
    sparse_matmul, sparse_reset_shape, sparse_reshape, sparse_retain, sparse_slice, sparse_softmax, sparse_split,
    sparse_tensor_dense_matmul,
    sparse_tensor_to_dense, sparse_to_dense, sparse_to_indicator, sparse_transpose)
from metarun.ops.sparse_segment_ops import bincount, histogram_fixed_width, histogram_fixed_width_bins  # noqa: F401,E402
from metarun.ops.sparse_segment_ops import sparse_segment_mean, sparse_segment_sqrt_n, sparse_segment_sum  # noqa: F401,E402
from metarun.ops.sparse_segment_ops import unsorted_segment_mean, unsorted_segment_sqrt_n  # noqa: F401,E402
from metarun import sets  # noqa: F401,E402 -- tf.sets
from metarun.ops.array_ops_3 import (  # noqa: F401,E402 -- scatters into tensors, roll, searchsorted & co.
    angle, bitcast, guarantee_const, roll, searchsorted, tensor_scatter_add, tensor_scatter_nd_add,
    tensor_scatter_nd_max, tensor_scatter_nd_min, tensor_scatter_nd_sub, tensor_scatter_nd_update,
    tensor_scatter_sub, tensor_scatter_update, timestamp, unravel_index)
from metarun import manip  # noqa: F401,E402 -- tf.manip
from metarun.ops.ctc_ops import edit_distance  # noqa: F401,E402
from metarun import strings  # noqa: F401,E402 -- tf.strings
from metarun.ops.string_ops import (  # noqa: F401,E402 -- the tf.* names of the string ops
    decode_base64, encode_base64, reduce_join, regex_replace, string_join, string_split, string_strip,
    string_to_hash_bucket, string_to_hash_bucket_strong, string_to_number, substr)
from metarun.ops.image_ops import extract_image_patches, extract_volume_patches  # noqa: F401,E402 -- tf.* patches
from metarun.ops.misc_ops_2 import (  # noqa: F401,E402
    to_bfloat16, to_complex64, to_complex128, verify_tensor_all_finite)
