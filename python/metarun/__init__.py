"""metarun: run TensorFlow 1.x meta graphs and checkpoints without TensorFlow.

`import metarun as tf` gives the tf.compat.v1 graph API: import_meta_graph,
Session.run with feed_dict, Saver.restore/save, collections and variables.

Importing it imports only what importing a graph, restoring it and running it need; every
other name (the op functions, tf.nn, tf.image, ... and the gradient functions) is imported
where it is first used (see _lazy.py). `METARUN_EAGER_IMPORT=1` imports everything at once.
"""

import os as _os

try:
    from metarun import _core
except ImportError as _core_error:  # a source tree without the compiled core
    import glob as _glob
    if _glob.glob(_os.path.join(_os.path.dirname(__file__), "_core*")):
        raise
    raise ImportError(
        "metarun's compiled core (_core) is not in %s: that is a source checkout that was not "
        "built. Install metarun (`pip install -v .` in the checkout) and run without "
        "PYTHONPATH=python, so that the installed package is imported; or build the core into "
        "that directory (README.md, 'Set up on a fresh machine')." % _os.path.dirname(__file__)
    ) from _core_error
from metarun import _lazy, errors
from metarun.framework.dtypes import (  # noqa: F401 -- TF's public dtype names
    DType, as_dtype, bfloat16, bool, complex64, complex128, double, float16, float32, float64, half,
    int8, int16, int32, int64, qint8, qint16, qint32, quint8, quint16, resource, string, uint8, uint16,
    uint32, uint64, variant)
from metarun.framework.graph import (
    Graph, GraphKeys, Operation, Tensor, get_default_graph, reset_default_graph)
from metarun.framework.importer import import_graph_def
from metarun.framework.io_kernels import run_host_op as _run_host_op
from metarun.framework.io_policy import IoPolicy, io_policy  # noqa: F401 -- metarun's own, not TF's
from metarun.framework.session import (
    ConfigProto, InteractiveSession, RunMetadata, RunOptions, Session, get_default_session)
from metarun.framework.sparse_tensor import (  # noqa: F401 -- tf.SparseTensor & co.
    SparseTensor, SparseTensorValue, convert_to_tensor_or_sparse_tensor, sparse_placeholder)
from metarun.framework.tensor_shape import TensorShape
from metarun.framework.variables import (
    Variable, global_variables, global_variables_initializer, is_variable_initialized,
    local_variables, local_variables_initializer, model_variables, trainable_variables,
    variables_initializer)
from metarun import train

from metarun.version import METARUN_VERSION as __metarun_version__  # noqa: E402
from metarun.version import VERSION as __version__  # noqa: E402 -- TF's, see version.py


def _install_tensor_operators():
    from metarun.ops import math_ops
    math_ops.install()


def _install_sparse_operators():
    import metarun.ops.sparse_ops  # noqa: F401 -- installs SparseTensor's operators


# Tensor's and Variable's operators come from math_ops, SparseTensor's from sparse_ops: until
# those are imported, each operator imports its module first.
_OPERATORS = (
    "__abs__", "__add__", "__and__", "__div__", "__floordiv__", "__ge__", "__getitem__", "__gt__", "__invert__",
    "__le__", "__lt__", "__matmul__", "__mod__", "__mul__", "__neg__", "__or__", "__pow__", "__radd__",
    "__rand__", "__rdiv__", "__rfloordiv__", "__rmatmul__", "__rmod__", "__rmul__", "__ror__", "__rpow__",
    "__rsub__", "__rtruediv__", "__rxor__", "__sub__", "__truediv__", "__xor__")
_lazy.defer_methods(Tensor, _OPERATORS, _install_tensor_operators)
_lazy.defer_methods(Variable, _OPERATORS, _install_tensor_operators)
_lazy.defer_methods(SparseTensor, ("__mul__", "__truediv__", "__div__"), _install_sparse_operators)
_lazy.after_load_all(_install_tensor_operators)
_lazy.load_before_others("metarun.ops")  # its gradient modules first, as the ops package once imported them

_core.set_host_function(_run_host_op)


def _blas_library():
    """The scipy-openblas32 shared library, found without importing the package
    (its import loads the library and starts a thread pool)."""
    import importlib.util
    spec = importlib.util.find_spec("scipy_openblas32")
    if spec is None or not spec.origin:
        return ""
    lib_dir = _os.path.join(_os.path.dirname(spec.origin), "lib")
    for name in sorted(_os.listdir(lib_dir)) if _os.path.isdir(lib_dir) else []:
        if name.startswith("libscipy_openblas") and ".so" in name:
            return _os.path.join(lib_dir, name)
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


class _Compat(object):
    """`tf.compat.v1` spelled against metarun: the module itself."""

    @property
    def v1(self):
        import metarun
        return metarun


compat = _Compat()

# Everything else, by the module that defines it, imported on first use. The submodules are
# the namespaces (tf.nn, tf.math, ...); tf.data, tf.app and tf.flags were imported on first
# use before the rest, and load_all() leaves them so.
__getattr__, __dir__ = _lazy.exports(__name__, {
    "metarun.dtypes": "QUANTIZED_DTYPES as_string",
    "metarun.framework.op_builder": "convert_to_tensor raw_ops",
    "metarun.ops.array_ops": (
        "boolean_mask broadcast_to gather gather_nd invert_permutation one_hot pad reverse sequence_mask "
        "slice split strided_slice tile unique where where_v2 concat expand_dims fill identity ones ones_like "
        "placeholder placeholder_with_default rank reshape shape size squeeze stack stop_gradient transpose "
        "unstack zeros zeros_like dynamic_partition dynamic_stitch matrix_diag_part matrix_transpose meshgrid "
        "newaxis reverse_sequence reverse_v2 scatter_nd shape_n unique_with_counts assert_equal "
        "assert_greater assert_greater_equal assert_less assert_less_equal assert_negative "
        "assert_non_negative assert_non_positive assert_none_equal assert_positive"),
    "metarun.ops.math_ops": (
        "abs add add_n argmax argmin cast ceil cos div divide equal exp floor floordiv greater greater_equal "
        "less less_equal log logical_and logical_not logical_or logical_xor matmul maximum minimum mod "
        "multiply negative not_equal pow reduce_all reduce_any reduce_max reduce_mean reduce_min reduce_prod "
        "reduce_sum round rsqrt sigmoid sign sin sqrt square squared_difference subtract tan tanh to_double "
        "to_float to_int32 to_int64 truediv accumulate_n acos acosh asin asinh atan atan2 atanh "
        "check_numerics clip_by_global_norm clip_by_norm clip_by_value complex conj cosh count_nonzero "
        "cumprod cumsum digamma div_no_nan einsum erf erfc expm1 global_norm norm identity_n igamma igammac "
        "imag is_finite is_inf is_nan lgamma log1p polygamma range real realdiv reciprocal reduce_logsumexp "
        "rint saturate_cast scalar_mul segment_max segment_mean segment_min segment_prod segment_sum sinh "
        "trace truncatediv truncatemod unsorted_segment_max unsorted_segment_min unsorted_segment_prod "
        "unsorted_segment_sum zeta betainc floor_div floormod log_sigmoid tensordot linspace lin_space"),
    "metarun.ops.space_batch_ops": (
        "batch_to_space batch_to_space_nd depth_to_space required_space_to_batch_paddings space_to_batch "
        "space_to_batch_nd space_to_depth"),
    "metarun.ops.random_ops": (
        "get_seed multinomial random_poisson random_normal random_shuffle random_uniform set_random_seed "
        "truncated_normal"),
    "metarun.ops.linalg_ops": (
        "cholesky cholesky_solve cross eye matrix_band_part matrix_determinant matrix_diag matrix_inverse "
        "matrix_set_diag matrix_solve matrix_solve_ls matrix_triangular_solve qr self_adjoint_eig "
        "self_adjoint_eigvals svd diag=tensor_diag diag_part=tensor_diag_part"),
    "metarun.ops.confusion_matrix": "confusion_matrix=confusion_matrix_v1",
    "metarun.ops.init_ops": (
        "constant_initializer glorot_normal_initializer glorot_uniform_initializer ones_initializer "
        "random_normal_initializer random_uniform_initializer truncated_normal_initializer "
        "uniform_unit_scaling_initializer variance_scaling_initializer zeros_initializer "
        "orthogonal_initializer"),
    "metarun.ops.script_ops": "numpy_function py_func",
    "metarun.ops.variable_scope": (
        "AUTO_REUSE VariableScope fixed_size_partitioner get_local_variable get_variable get_variable_scope "
        "min_max_variable_partitioner variable_axis_size_partitioner variable_op_scope variable_scope"),
    "metarun.ops.control_flow_ops": "Assert case cond tuple while_loop with_dependencies",
    "metarun.ops.functional_ops": "foldl foldr map_fn scan",
    "metarun.ops.functional_v2": "function switch_case",
    "metarun.ops.parsing_ops": (
        "FixedLenFeature FixedLenSequenceFeature decode_raw parse_example parse_single_example VarLenFeature "
        "decode_compressed decode_csv decode_json_example parse_single_sequence_example parse_tensor "
        "serialize_tensor SparseFeature"),
    "metarun.ops.sparse_serialize_ops": "deserialize_many_sparse serialize_many_sparse serialize_sparse",
    "metarun.ops.tensor_array_ops": "TensorArray",
    "metarun.train.moving_averages": "moving_average_variables",
    "metarun.quantization": (
        "fake_quant_with_min_max_args fake_quant_with_min_max_args_gradient fake_quant_with_min_max_vars "
        "fake_quant_with_min_max_vars_gradient fake_quant_with_min_max_vars_per_channel "
        "fake_quant_with_min_max_vars_per_channel_gradient"),
    "metarun.ops.data_flow_ops": "FIFOQueue PaddingFIFOQueue PriorityQueue QueueBase RandomShuffleQueue",
    "metarun.lookup": "string_to_hash_bucket_fast",
    "metarun.ops.io_ops": (
        "FixedLengthRecordReader IdentityReader ReaderBase TextLineReader TFRecordReader WholeFileReader "
        "matching_files read_file write_file"),
    "metarun.tf_logging": "get_logger=_get_logger",
    "metarun.version": (
        "COMPILER_VERSION GIT_VERSION GRAPH_DEF_VERSION GRAPH_DEF_VERSION_MIN_CONSUMER "
        "GRAPH_DEF_VERSION_MIN_PRODUCER VERSION CXX11_ABI_FLAG=_CXX11_ABI_FLAG CXX_VERSION=_CXX_VERSION"),
    "metarun.ops.state_ops_v1": (
        "assign assign_add assign_sub control_flow_v2_enabled disable_control_flow_v2 disable_eager_execution "
        "disable_resource_variables disable_tensor_equality disable_v2_behavior disable_v2_tensorshape "
        "enable_control_flow_v2 enable_eager_execution enable_resource_variables enable_tensor_equality "
        "enable_v2_behavior enable_v2_tensorshape executing_eagerly executing_eagerly_outside_functions "
        "resource_variables_enabled scatter_add scatter_div scatter_max scatter_min scatter_mul "
        "scatter_nd_add scatter_nd_sub scatter_nd_update scatter_sub scatter_update count_up_to"),
    "metarun.ops.array_ops_2": (
        "Print arg_max arg_min argsort broadcast_dynamic_shape broadcast_static_shape clip_by_average_norm "
        "ensure_shape lbeta random_crop repeat setdiff1d sort print=print_v2"),
    "metarun.ops.check_ops": (
        "assert_integer assert_near assert_proper_iterable assert_rank assert_rank_at_least assert_rank_in "
        "assert_same_float_dtype assert_scalar assert_type is_non_decreasing is_numeric_tensor "
        "is_strictly_increasing"),
    "metarun.ops.misc_ops": (
        "all_variables assert_variables_initialized container convert_to_tensor_or_indexed_slices "
        "custom_gradient get_static_value init_scope initialize_local_variables is_tensor make_ndarray "
        "make_tensor_proto make_template op_scope report_uninitialized_variables"),
    "metarun.ops.misc_types": (
        "DeviceSpec Dimension GPUOptions GraphOptions OptimizerOptions TensorSpec TypeSpec "
        "VariableAggregation VariableSynchronization dimension_at_index dimension_value"),
    "metarun.ops.fft_ops": "fft fft2d fft3d ifft ifft2d ifft3d",
    "metarun.ops.sparse_ops": (
        "sparse_add sparse_concat sparse_fill_empty_rows sparse_mask sparse_maximum sparse_merge "
        "sparse_minimum sparse_reduce_max sparse_reduce_max_sparse sparse_reduce_sum sparse_reduce_sum_sparse "
        "sparse_reorder sparse_matmul sparse_reset_shape sparse_reshape sparse_retain sparse_slice "
        "sparse_softmax sparse_split sparse_tensor_dense_matmul sparse_tensor_to_dense sparse_to_dense "
        "sparse_to_indicator sparse_transpose"),
    "metarun.ops.sparse_segment_ops": (
        "bincount histogram_fixed_width histogram_fixed_width_bins sparse_segment_mean sparse_segment_sqrt_n "
        "sparse_segment_sum unsorted_segment_mean unsorted_segment_sqrt_n"),
    "metarun.ops.array_ops_3": (
        "angle bitcast guarantee_const roll searchsorted tensor_scatter_add tensor_scatter_nd_add "
        "tensor_scatter_nd_max tensor_scatter_nd_min tensor_scatter_nd_sub tensor_scatter_nd_update "
        "tensor_scatter_sub tensor_scatter_update timestamp unravel_index"),
    "metarun.ops.ctc_ops": "edit_distance",
    "metarun.ops.string_ops": (
        "decode_base64 encode_base64 reduce_join regex_replace string_join string_split string_strip "
        "string_to_hash_bucket string_to_hash_bucket_strong string_to_number substr"),
    "metarun.ops.image_ops": "extract_image_patches extract_volume_patches",
    "metarun.ops.misc_ops_2": "to_bfloat16 to_complex64 to_complex128 verify_tensor_all_finite",
    "metarun.ops.gradients_impl": (
        "AggregationMethod IndexedSlices NoGradient NotDifferentiable RegisterGradient UnconnectedGradients "
        "gradients hessians no_gradient=NotDifferentiable"),
    "metarun.initializers": "tables_initializer initialize_all_tables=tables_initializer",
    "metarun.framework.protos": "AttrValue GraphDef MetaGraphDef NameAttrList NodeDef TensorInfo",
    "metarun.ops": "_math_ops=math_ops",
    "metarun.summary": (
        "Summary SummaryDescription SummaryMetadata HistogramProto Event SessionLog LogMessage TaggedRunMetadata"),
}, submodules=(
    "graph_util "
    "dtypes debugging bitwise linalg random math nn layers losses metrics summary gfile initializers io nest "
    "resource_loader version lookup queue quantization python_io logging=tf_logging signal spectral audio image "
    "sparse sets manip strings framework ops tf_record saved_model"), lazy_submodules="data app flags")

if _os.environ.get("METARUN_EAGER_IMPORT", "") not in ("", "0"):
    _lazy.load_all()
