"""tf.compat.v1.data.experimental: the constants and small helpers TF1 input pipelines use."""
from metarun.data import _structure
from metarun.data.dataset_ops import (  # noqa: F401
    AUTOTUNE, INFINITE as INFINITE_CARDINALITY, UNKNOWN as UNKNOWN_CARDINALITY, Dataset, DatasetSpec,
    get_structure)
from metarun.data.options import (  # noqa: F401
    AutoShardPolicy, AutotuneAlgorithm, AutotuneOptions, DistributeOptions, ExternalStatePolicy,
    OptimizationOptions, ServiceOptions, ThreadingOptions)
from metarun.ops.misc_types import TensorSpec as _TensorSpec

DatasetStructure = DatasetSpec


def TensorStructure(dtype, shape):  # noqa: N802 -- TF's name
    return _TensorSpec(shape, dtype)


def cardinality(dataset):
    return dataset.cardinality()


def unbatch():
    return lambda dataset: dataset.unbatch()


def enumerate_dataset(start=0):
    return lambda dataset: dataset.enumerate(start)


def shuffle_and_repeat(buffer_size, count=None, seed=None):
    """A ShuffleAndRepeatDataset: the elements of `shuffle(buffer_size, seed).repeat(count)`."""
    def apply(dataset):
        from metarun.data.dataset_ops import _int64, _seed_tensors
        from metarun.framework import dtypes
        from metarun.framework.op_builder import apply_op, constant
        buffer = _int64(buffer_size, "buffer_size")
        repeats = constant(-1, dtype=dtypes.int64, name="count") if count is None else _int64(count, "count")
        seed_t, seed2 = _seed_tensors(seed)
        variant = apply_op("ShuffleAndRepeatDataset", input_dataset=dataset._variant_tensor, buffer_size=buffer,
                           seed=seed_t, seed2=seed2, count=repeats, output_types=dataset._flat_types,
                           output_shapes=dataset._flat_shapes)
        return dataset._unary(variant)
    return apply


def map_and_batch(map_func, batch_size, num_parallel_batches=None, drop_remainder=False,
                  num_parallel_calls=None):
    """tf.data.experimental.map_and_batch: a MapAndBatchDataset."""
    if num_parallel_batches is None and num_parallel_calls is None:
        num_parallel_calls = batch_size
    elif num_parallel_batches is not None and num_parallel_calls is None:
        num_parallel_calls = batch_size * num_parallel_batches
    elif num_parallel_batches is not None and num_parallel_calls is not None:
        raise ValueError("`map_and_batch` allows only one of `num_parallel_batches` and `num_parallel_calls` to "
                         "be set.")
    return lambda dataset: _map_and_batch(dataset, map_func, batch_size, num_parallel_calls, drop_remainder)


def _map_and_batch(dataset, map_func, batch_size, num_parallel_calls, drop_remainder):
    from metarun.data import _function
    from metarun.data.dataset_ops import _int64, _static, _wrap
    from metarun.framework import dtypes
    from metarun.framework.op_builder import apply_op, convert_to_tensor
    fn = _function.StructuredFunction(map_func, "tf.data.experimental.map_and_batch()", dataset.element_spec)
    batch = _int64(batch_size, "batch_size")
    npc = _int64(num_parallel_calls, "num_parallel_calls")
    drop = convert_to_tensor(drop_remainder, dtype=dtypes.bool, name="drop_remainder")
    size = _static(batch) if _static(drop) else None
    spec = _structure.map_structure(lambda s: _structure.batch_spec(s, size), fn.output_structure)
    variant = apply_op("MapAndBatchDataset", input_dataset=dataset._variant_tensor,
                       other_arguments=fn.captured_inputs, batch_size=batch, num_parallel_calls=npc,
                       drop_remainder=drop, f=fn.func_attr(), output_types=_structure.flat_types(spec),
                       output_shapes=_structure.flat_shapes(spec), preserve_cardinality=False,
                       metadata=b"")
    return _wrap(variant, spec, [dataset], [fn])

SHARD_HINT = -1


def assert_cardinality(expected_cardinality):
    """A transformation checking, as the pipeline runs, that the input has that many elements."""
    def apply(dataset):
        from metarun.data.dataset_ops import _int64
        from metarun.framework.op_builder import apply_op
        expected = _int64(expected_cardinality, "expected_cardinality")
        variant = apply_op("AssertCardinalityDataset", input_dataset=dataset._variant_tensor,
                           cardinality=expected, output_types=dataset._flat_types,
                           output_shapes=dataset._flat_shapes)
        return dataset._unary(variant)
    return apply


def to_variant(dataset):
    return dataset._variant_tensor


def from_variant(variant, structure):
    from metarun.data.dataset_ops import _VariantDataset
    return _VariantDataset(variant, structure)
