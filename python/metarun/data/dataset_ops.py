"""tf.compat.v1.data.Dataset: input pipelines as dataset ops in the graph.

Each transformation adds the node TF 2.21 adds in graph mode (tf.compat.v1, v2 behaviour
disabled) with the same inputs, names and attrs: the scalar arguments are int64 (or bool,
string) constants named as TF names them (`count`, `batch_size`, `buffer_size`...), and every
dataset op carries `output_types`, `output_shapes` and `metadata` (a serialized
tensorflow.data.Metadata: empty, or the `name` given). The element structure (`element_spec`)
is tracked in Python; nesting follows tf.data's rules (see _structure).

Functions (map, filter, flat_map, interleave) are traced into the graph's function library
(see _function); the ops take the function's captured tensors as `other_arguments`.
"""
import numpy as np

from metarun.data import _structure as structure
from metarun.data.options import Options
from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework.op_builder import apply_op, constant, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape
from metarun.ops.misc_types import TensorSpec

AUTOTUNE = -1
INFINITE = -1
UNKNOWN = -2


def _metadata(name):
    """A serialized tensorflow.data.Metadata holding `name` (field 1), or b"" without one."""
    if not name:
        return b""
    data = name.encode() if isinstance(name, str) else bytes(name)
    size, prefix = len(data), bytearray()
    while True:
        byte = size & 0x7F
        size >>= 7
        prefix.append(byte | (0x80 if size else 0))
        if not size:
            break
    return b"\n" + bytes(prefix) + data


def _int64(value, name):
    return convert_to_tensor(value, dtype=dtypes.int64, name=name)


def _static(tensor):
    from metarun.ops.misc_ops import get_static_value
    value = get_static_value(tensor)
    return None if value is None else np.asarray(value).item()


class Dataset(object):
    """A sequence of elements, each a (nested) structure of tensors.

    A Dataset is built by its static constructors (from_tensor_slices, range, zip...) and
    transformations; it stands for a scalar variant tensor of the graph it was made in."""

    def __init__(self, variant_tensor, element_spec, inputs=(), functions=(), options=None):
        self._variant_tensor_attr = variant_tensor
        self._structure = element_spec
        self._input_datasets = list(inputs)
        self._function_list = list(functions)
        self._graph_attr = graph_lib.get_default_graph()
        merged = Options()
        for ds in self._input_datasets:
            merged = merged.merge(ds._options_attr)
        if options is not None:
            merged = merged.merge(options)
        self._options_attr = merged

    # -- identity ----------------------------------------------------------------------------
    @property
    def _variant_tensor(self):
        return self._variant_tensor_attr

    @property
    def _graph(self):
        return self._graph_attr

    def _inputs(self):
        return list(self._input_datasets)

    @property
    def element_spec(self):
        return self._structure

    @property
    def output_types(self):
        return structure.legacy_types(self._structure)

    @property
    def output_shapes(self):
        return structure.legacy_shapes(self._structure)

    @property
    def output_classes(self):
        return structure.legacy_classes(self._structure)

    @property
    def _flat_types(self):
        return structure.flat_types(self._structure)

    @property
    def _flat_shapes(self):
        return structure.flat_shapes(self._structure)

    def _common_args(self, spec=None, name=None):
        spec = self._structure if spec is None else spec
        return {"output_types": structure.flat_types(spec), "output_shapes": structure.flat_shapes(spec),
                "metadata": _metadata(name)}

    def options(self):
        return self._options_attr

    def __iter__(self):
        raise RuntimeError("`tf.data.Dataset` only supports Python-style iteration in eager mode or within "
                           "tf.function.")

    def __len__(self):
        raise TypeError("`tf.data.Dataset` only supports `len` in eager mode. Use `tf.data.Dataset.cardinality()` "
                        "instead.")

    def __bool__(self):
        return True

    def __repr__(self):
        return "<%s element_spec=%s>" % (type(self).__name__, self._structure)

    def as_numpy_iterator(self):
        raise RuntimeError("`tf.data.Dataset.as_numpy_iterator()` is only supported in eager mode.")

    # -- sources -----------------------------------------------------------------------------
    @staticmethod
    def from_tensors(tensors, name=None):
        element = structure.normalize_element(tensors)
        spec = structure.map_structure(structure.spec_from_value, element)
        variant = apply_op("TensorDataset", components=structure.to_tensor_list(element),
                           output_shapes=structure.flat_shapes(spec), metadata=_metadata(name))
        return _wrap(variant, spec)

    @staticmethod
    def from_tensor_slices(tensors, name=None):
        return _tensor_slices(tensors, is_files=False, name=name)

    @staticmethod
    def range(*args, **kwargs):
        output_type = dtypes.as_dtype(kwargs.pop("output_type", dtypes.int64))
        name = kwargs.pop("name", None)
        if kwargs:
            raise TypeError("range() got an unexpected keyword argument '%s'" % sorted(kwargs)[0])
        if len(args) == 1:
            start, stop, step = 0, args[0], 1
        elif len(args) == 2:
            (start, stop), step = args, 1
        elif len(args) == 3:
            start, stop, step = args
        else:
            raise ValueError("Invalid `args`. The length of `args` should be between 1 and 3 but was %d."
                             % len(args))
        start, stop, step = _int64(start, "start"), _int64(stop, "stop"), _int64(step, "step")
        spec = TensorSpec([], output_type)
        variant = apply_op("RangeDataset", start=start, stop=stop, step=step, output_types=[output_type],
                           output_shapes=[TensorShape([])], metadata=_metadata(name))
        return _wrap(variant, spec)

    @staticmethod
    def zip(*args, datasets=None, name=None):
        if datasets is not None and args:
            raise TypeError("Both `*args` and `datasets` cannot be set.")
        if datasets is None:
            if not args:
                raise TypeError("Must pass at least one dataset to `zip`.")
            datasets = args[0] if len(args) == 1 else args
        for ds in structure.flatten(datasets):
            if not isinstance(ds, Dataset):
                if isinstance(ds, list):
                    raise TypeError("Invalid input to `zip`. Inputs are expected to be (nested) structures of "
                                    "`tf.data.Dataset` objects. Python `list` is not supported and you should use "
                                    "`tuple` instead.")
                raise TypeError("Invalid input to `zip`. Inputs are expected to be (nested) structures of "
                                "`tf.data.Dataset` objects but encountered object of type %s." % type(ds))
        flat = structure.flatten(datasets)
        spec = structure.pack_sequence_as(datasets, [ds.element_spec for ds in flat])
        variant = apply_op("ZipDataset", input_datasets=[ds._variant_tensor for ds in flat],
                           output_types=structure.flat_types(spec), output_shapes=structure.flat_shapes(spec),
                           metadata=_metadata(name))
        return _wrap(variant, spec, flat)

    @staticmethod
    def from_generator(generator, output_types=None, output_shapes=None, args=None, output_signature=None,
                       name=None):
        from metarun.data._from_generator import from_generator
        return from_generator(generator, output_types, output_shapes, args, output_signature, name)

    @staticmethod
    def list_files(file_pattern, shuffle=None, seed=None, name=None):
        from metarun.data.readers import _list_files
        return _list_files(file_pattern, shuffle, seed, name)

    # -- transformations ---------------------------------------------------------------------
    def concatenate(self, dataset, name=None):
        try:
            spec = structure.map_structure(structure.common_spec, self.element_spec, dataset.element_spec)
        except (TypeError, ValueError) as e:
            raise TypeError("Incompatible dataset elements:\n  %s vs.   %s" % (self.element_spec,
                                                                                dataset.element_spec)) from e
        variant = apply_op("ConcatenateDataset", input_dataset=self._variant_tensor,
                           another_dataset=dataset._variant_tensor, **self._common_args(spec, name))
        return _wrap(variant, spec, [self, dataset])

    def prefetch(self, buffer_size, name=None):
        if buffer_size is None:
            buffer_size = AUTOTUNE
        legacy_autotune = not isinstance(buffer_size, graph_lib.Tensor) and buffer_size == AUTOTUNE
        buffer = _int64(buffer_size, "buffer_size")
        with self._graph.colocate_with(self._variant_tensor.op):
            variant = apply_op("PrefetchDataset", input_dataset=self._variant_tensor, buffer_size=buffer,
                               legacy_autotune=bool(legacy_autotune), **self._common_args(name=name))
        return self._unary(variant)

    def repeat(self, count=None, name=None):
        if count is None:
            count = constant(-1, dtype=dtypes.int64, name="count")
        else:
            count = _int64(count, "count")
        return self._unary(apply_op("RepeatDataset", input_dataset=self._variant_tensor, count=count,
                                    **self._common_args(name=name)))

    def enumerate(self, start=0, name=None):
        max_value = np.iinfo(np.int64).max
        counter = Dataset.range(start, max_value, name=name)
        # TF marks the counter for the tf.data service's split replication (a no-op here).
        variant = apply_op("RewriteDataset", input_dataset=counter._variant_tensor, rewrite_name="replicate_on_split",
                           output_types=counter._flat_types, output_shapes=counter._flat_shapes)
        return Dataset.zip((_VariantDataset(variant, counter.element_spec), self), name=name)

    def shuffle(self, buffer_size, seed=None, reshuffle_each_iteration=None, name=None):
        if reshuffle_each_iteration is None:
            reshuffle_each_iteration = True
        buffer = _int64(buffer_size, "buffer_size")
        seed, seed2 = _seed_tensors(seed)
        return self._unary(apply_op("ShuffleDataset", input_dataset=self._variant_tensor, buffer_size=buffer,
                                    seed=seed, seed2=seed2, reshuffle_each_iteration=bool(reshuffle_each_iteration),
                                    **self._common_args(name=name)))

    def cache(self, filename="", name=None):
        filename = convert_to_tensor(filename, dtype=dtypes.string, name="filename")
        return self._unary(apply_op("CacheDataset", input_dataset=self._variant_tensor, filename=filename,
                                    **self._common_args(name=name)))

    def take(self, count, name=None):
        return self._unary(apply_op("TakeDataset", input_dataset=self._variant_tensor, count=_int64(count, "count"),
                                    **self._common_args(name=name)))

    def skip(self, count, name=None):
        return self._unary(apply_op("SkipDataset", input_dataset=self._variant_tensor, count=_int64(count, "count"),
                                    **self._common_args(name=name)))

    def shard(self, num_shards, index, name=None):
        num_shards = _int64(num_shards, "num_shards")
        index = _int64(index, "index")
        return self._unary(apply_op("ShardDataset", input_dataset=self._variant_tensor, num_shards=num_shards,
                                    index=index, **self._common_args(name=name)))

    def batch(self, batch_size, drop_remainder=False, num_parallel_calls=None, deterministic=None, name=None):
        batch_size = _int64(batch_size, "batch_size")
        drop_remainder = convert_to_tensor(drop_remainder, dtype=dtypes.bool, name="drop_remainder")
        size = _static(batch_size) if _static(drop_remainder) else None
        spec = structure.map_structure(lambda s: structure.batch_spec(s, size), self.element_spec)
        if num_parallel_calls is None:
            variant = apply_op("BatchDatasetV2", input_dataset=self._variant_tensor, batch_size=batch_size,
                               drop_remainder=drop_remainder, **self._common_args(spec, name))
        else:
            num_parallel_calls = _int64(num_parallel_calls, "num_parallel_calls")
            variant = apply_op("ParallelBatchDataset", input_dataset=self._variant_tensor, batch_size=batch_size,
                               num_parallel_calls=num_parallel_calls, drop_remainder=drop_remainder,
                               deterministic=_deterministic(deterministic), **self._common_args(spec, name))
        return _wrap(variant, spec, [self])

    def padded_batch(self, batch_size, padded_shapes=None, padding_values=None, drop_remainder=False, name=None):
        from metarun.data._padded_batch import padded_batch
        return padded_batch(self, batch_size, padded_shapes, padding_values, drop_remainder, name)

    def unbatch(self, name=None):
        shapes = self._flat_shapes
        if any(s.ndims == 0 for s in shapes):
            raise ValueError("Cannot unbatch an input with scalar components.")
        known = None
        for s in shapes:
            d = s[0] if s.ndims is not None else None
            if d is not None and known is not None and d != known:
                raise ValueError("`unbatch()` is only supported for datasets of elements whose components have a "
                                 "matching leading dimension. Encountered both %s and %s." % (known, d))
            known = d if d is not None else known
        spec = structure.map_structure(structure.unbatch_spec, self.element_spec)
        dense = self._normalize_to_dense()
        variant = apply_op("UnbatchDataset", input_dataset=dense._variant_tensor, **self._common_args(spec, name))
        return _wrap(variant, spec, [dense])

    def _normalize_to_dense(self):
        """TF's normalize_to_dense: a map passing the flat components through (it would densify
        sparse ones), restructured as this dataset."""
        spec = self.element_spec
        if type(spec) is tuple:  # noqa: E721 -- unpacked as map unpacks it

            def normalize(*args):
                return list(structure.flatten(args))
        else:

            def normalize(arg):
                return list(structure.flatten(arg))
        mapped = self.map(normalize)
        return _wrap(mapped._variant_tensor, spec, [mapped])

    def map(self, map_func, num_parallel_calls=None, deterministic=None, synchronous=None,
            use_unbounded_threadpool=False, name=None):
        from metarun.data import _function
        fn = _function.StructuredFunction(map_func, "Dataset.map()", self.element_spec)
        spec = fn.output_structure
        if num_parallel_calls is None:
            variant = apply_op("MapDataset", input_dataset=self._variant_tensor, other_arguments=fn.captured_inputs,
                               f=fn.func_attr(), use_inter_op_parallelism=True, preserve_cardinality=False,
                               force_synchronous=bool(synchronous), **self._common_args(spec))
        else:
            if synchronous:
                raise ValueError("`synchronous` is not supported with `num_parallel_calls`, but `num_parallel_calls` "
                                 "was set to ", num_parallel_calls)
            npc = _int64(num_parallel_calls, "num_parallel_calls")
            variant = apply_op("ParallelMapDatasetV2", input_dataset=self._variant_tensor,
                               other_arguments=fn.captured_inputs, num_parallel_calls=npc, f=fn.func_attr(),
                               deterministic=_deterministic(deterministic), use_inter_op_parallelism=True,
                               preserve_cardinality=False, use_unbounded_threadpool=False,
                               **self._common_args(spec))
        return _wrap(variant, spec, [self], [fn])

    def filter(self, predicate, name=None):
        from metarun.data import _function
        fn = _function.StructuredFunction(predicate, "Dataset.filter()", self.element_spec)
        out = fn.output_structure
        if not (isinstance(out, TensorSpec) and out.dtype == dtypes.bool and out.shape.is_compatible_with([])):
            raise ValueError("Invalid `predicate`. `predicate` must return a `tf.bool` scalar tensor, but its return "
                             "type is %s." % (out,))
        variant = apply_op("FilterDataset", input_dataset=self._variant_tensor, other_arguments=fn.captured_inputs,
                           predicate=fn.func_attr(), **self._common_args(name=name))
        return _wrap(variant, self.element_spec, [self], [fn])

    def flat_map(self, map_func, name=None):
        from metarun.data import _function
        fn = _function.StructuredFunction(map_func, "Dataset.flat_map()", self.element_spec)
        spec = _dataset_function_element(fn)
        variant = apply_op("FlatMapDataset", input_dataset=self._variant_tensor, other_arguments=fn.captured_inputs,
                           f=fn.func_attr(), **self._common_args(spec, name))
        return _wrap(variant, spec, [self], [fn])

    def interleave(self, map_func, cycle_length=None, block_length=None, num_parallel_calls=None,
                   deterministic=None, name=None):
        from metarun.data import _function
        if block_length is None:
            block_length = 1
        if cycle_length is None:
            cycle_length = AUTOTUNE
        fn = _function.StructuredFunction(map_func, "Dataset.interleave()", self.element_spec)
        spec = _dataset_function_element(fn)
        cycle = _int64(cycle_length, "cycle_length")
        block = _int64(block_length, "block_length")
        if num_parallel_calls is None:
            variant = apply_op("InterleaveDataset", input_dataset=self._variant_tensor,
                               other_arguments=fn.captured_inputs, cycle_length=cycle, block_length=block,
                               f=fn.func_attr(), **self._common_args(spec, name))
        else:
            buffer_output = _int64(AUTOTUNE, "buffer_output_elements")
            prefetch_input = _int64(AUTOTUNE, "prefetch_input_elements")
            npc = _int64(num_parallel_calls, "num_parallel_calls")
            variant = apply_op("ParallelInterleaveDatasetV4", input_dataset=self._variant_tensor,
                               other_arguments=fn.captured_inputs, cycle_length=cycle, block_length=block,
                               buffer_output_elements=buffer_output, prefetch_input_elements=prefetch_input,
                               num_parallel_calls=npc, f=fn.func_attr(), deterministic=_deterministic(deterministic),
                               **self._common_args(spec, name))
        return _wrap(variant, spec, [self], [fn])

    def apply(self, transformation_func):
        dataset = transformation_func(self)
        if not isinstance(dataset, Dataset):
            raise TypeError("`transformation_func` must return a `tf.data.Dataset` object. Got %s." % type(dataset))
        return dataset

    def with_options(self, options, name=None):
        with self._graph.colocate_with(self._variant_tensor.op):
            variant = apply_op("OptionsDataset", input_dataset=self._variant_tensor,
                               serialized_options=options._serialize(), **self._common_args(name=name))
        return _wrap(variant, self.element_spec, [self], options=options)

    def cardinality(self):
        return apply_op("DatasetCardinality", input_dataset=self._variant_tensor)

    # -- iterators ---------------------------------------------------------------------------
    def make_one_shot_iterator(self):
        return _make_one_shot_iterator(self)

    def make_initializable_iterator(self, shared_name=None):
        return _make_initializable_iterator(self, shared_name)

    def _unary(self, variant):
        return _wrap(variant, self.element_spec, [self])


class _VariantDataset(Dataset):
    """A dataset known only by its variant tensor and element structure (a dataset-valued
    function argument or result)."""


def _wrap(variant, spec, inputs=(), functions=(), options=None):
    return Dataset(variant, spec, inputs, functions, options)


def _deterministic(value):
    if value is None:
        return "default"
    return "true" if value else "false"


def _tensor_slices(tensors, is_files, name):
    element = structure.normalize_element(tensors)
    batched = structure.map_structure(structure.spec_from_value, element)
    flat = structure.to_tensor_list(element)
    if not flat:
        raise ValueError("Invalid `element`. `element` should not be empty.")
    spec = structure.map_structure(structure.unbatch_spec, batched)
    batch_dim = None
    for t in flat:
        d = t.shape[0] if t.shape.ndims else None
        if d is not None and batch_dim is not None and d != batch_dim:
            raise ValueError("Dimensions %d and %d are not compatible" % (batch_dim, d))
        batch_dim = d if d is not None else batch_dim
    variant = apply_op("TensorSliceDataset", components=flat, output_shapes=structure.flat_shapes(spec),
                       is_files=bool(is_files), metadata=_metadata(name))
    return _wrap(variant, spec)


def _dataset_function_element(fn):
    out = fn.output_structure
    if not isinstance(out, structure.DatasetSpec):
        raise TypeError("The `map_func` argument must return a `Dataset` object. Got %r." % _spec_type(out))
    return out.element_spec


def _spec_type(spec):
    if isinstance(spec, TensorSpec):
        return graph_lib.Tensor
    return type(spec)


def _seed_tensors(seed):
    """The (seed, seed2) int64 tensors of a dataset op, as tf.data derives them: the graph and op
    seeds as random ops get them, and seed2 forced off (0, 0) in the graph."""
    from metarun.ops import random_ops, math_ops
    from metarun.ops.array_ops import where_v2
    from metarun.ops.scopes import name_scope
    if isinstance(seed, graph_lib.Tensor):
        raise TypeError("metarun: a tensor-valued shuffle seed is not supported")  # TF accepts one
    s1, s2 = random_ops.get_seed(seed)
    if s1 is None:
        seed_t = constant(0, dtype=dtypes.int64, name="seed")
    else:
        seed_t = convert_to_tensor(s1, dtype=dtypes.int64, name="seed")
    if s2 is None:
        return seed_t, constant(0, dtype=dtypes.int64, name="seed2")
    with name_scope("seed2") as scope:
        s2_t = convert_to_tensor(s2, dtype=dtypes.int64)
        cond = math_ops.logical_and(math_ops.equal(seed_t, 0), math_ops.equal(s2_t, 0))
        seed2 = where_v2(cond, constant(2 ** 31 - 1, dtype=dtypes.int64), s2_t, name=scope)
    return seed_t, seed2


# -- iterators -------------------------------------------------------------------------------

def _ensure_same_graph(dataset):
    g = graph_lib.get_default_graph()
    seen, queue = [], [dataset]
    while queue:
        ds = queue.pop(0)
        seen.append(ds)
        if ds._graph is not g:
            raise ValueError("The graph %s of the iterator is different from the graph %s the dataset: %s was "
                             "created in. Make sure that the dataset is created in the same graph as the iterator."
                             % (g, ds._graph, ds._variant_tensor))
        queue.extend(d for d in ds._inputs() if not any(d is s for s in seen))


def _make_one_shot_iterator(dataset):
    from metarun.data import _function
    from metarun.data.iterator_ops import Iterator
    from metarun.ops import random_ops
    _ensure_same_graph(dataset)
    random_ops.get_seed(None)  # TF derives (and spends) a seed for the factory's graph
    factory = _function.dataset_factory(dataset)
    g = graph_lib.get_default_graph()
    with g.colocate_with(dataset._variant_tensor.op):
        resource = apply_op("OneShotIterator", dataset_factory=factory, output_types=dataset._flat_types,
                            output_shapes=dataset._flat_shapes)
        return Iterator(resource, None, dataset.output_types, dataset.output_shapes, dataset.output_classes)


def _make_initializable_iterator(dataset, shared_name=None):
    from metarun.data.iterator_ops import Iterator
    _ensure_same_graph(dataset)
    g = graph_lib.get_default_graph()
    with g.colocate_with(dataset._variant_tensor.op):
        resource = apply_op("IteratorV2", container="", shared_name=shared_name or "",
                            output_types=dataset._flat_types, output_shapes=dataset._flat_shapes)
        initializer = apply_op("MakeIterator", dataset=dataset._variant_tensor, iterator=resource)
        return Iterator(resource, initializer, dataset.output_types, dataset.output_shapes, dataset.output_classes)


def make_one_shot_iterator(dataset):
    """tf.compat.v1.data.make_one_shot_iterator."""
    return _make_one_shot_iterator(dataset)


def make_initializable_iterator(dataset, shared_name=None):
    """tf.compat.v1.data.make_initializable_iterator."""
    return _make_initializable_iterator(dataset, shared_name)


def get_structure(dataset_or_iterator):
    try:
        return dataset_or_iterator.element_spec
    except AttributeError:
        raise TypeError("Invalid `dataset_or_iterator`. `dataset_or_iterator` must be a `tf.data.Dataset` or "
                        "tf.data.Iterator object, but got %s." % type(dataset_or_iterator)) from None


def get_legacy_output_types(dataset_or_iterator):
    return structure.legacy_types(get_structure(dataset_or_iterator))


def get_legacy_output_shapes(dataset_or_iterator):
    return structure.legacy_shapes(get_structure(dataset_or_iterator))


def get_legacy_output_classes(dataset_or_iterator):
    return structure.legacy_classes(get_structure(dataset_or_iterator))


DatasetSpec = structure.DatasetSpec
