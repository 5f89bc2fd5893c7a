"""Dataset.from_generator, built as TF 2.21 builds it in graph mode.

The graph holds `from_tensors(0).flat_map(f)` where f makes a GeneratorDataset of three traced
functions: init (a numpy_function handing out a fresh iterator id for each pass over the data,
with the generator's `args`), next (a py function calling next() on that id's Python iterator;
StopIteration is OutOfRange, which ends the sequence) and finalize (dropping the iterator). The
generator itself lives in this process only: a graph written to a file can name its functions
by token but never run them elsewhere, as in TF.

With every component's shape given (or several components) the next function is a
numpy_function (PyFunc) that casts each value to its dtype and checks its shape; otherwise TF
builds an EagerPyFunc, which converts each value to a tensor of its dtype and checks that the
element fits the signature. Both raise TF's TypeErrors (InvalidArgument when the op runs).
"""
import threading

import numpy as np

from metarun.data import _structure as structure
from metarun.framework import dtypes
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape, as_shape
from metarun.ops.misc_types import TensorSpec, TypeSpec


class _GeneratorState(object):
    """The Python iterators of a generator, one per pass over the dataset (TF's _GeneratorState)."""

    def __init__(self, generator):
        self._generator = generator
        self._lock = threading.Lock()
        self._next_id = 0
        self._args = {}
        self._iterators = {}

    @staticmethod
    def _normalize_id(iterator_id):
        if isinstance(iterator_id, np.ndarray):
            return iterator_id.item()
        return iterator_id

    def get_next_id(self, *args):
        with self._lock:
            ret = self._next_id
            self._next_id += 1
        self._args[ret] = args
        return np.array(ret, dtype=np.int64)

    def get_iterator(self, iterator_id):
        iterator_id = self._normalize_id(iterator_id)
        try:
            return self._iterators[iterator_id]
        except KeyError:
            iterator = iter(self._generator(*self._args.pop(iterator_id)))
            self._iterators[iterator_id] = iterator
            return iterator

    def iterator_completed(self, iterator_id):
        del self._iterators[self._normalize_id(iterator_id)]


def _convert(value, dtype):
    """A numpy array of `value` (TF's FuncRegistry._convert): strings as object arrays of bytes."""
    result = np.asarray(value, dtype=dtype, order="C")
    if result.dtype.char == "S" and result is not value:
        return np.asarray(value, order="C", dtype=object)
    if result.dtype.char == "U" and result is not value:
        value = np.vectorize(lambda x: x.encode("utf8"))(value)
        return np.asarray(value, order="C", dtype=object)
    if result.dtype.char == "U":
        return result.astype(np.bytes_)
    return result


def _eager_convert(value, dtype):
    """`value` converted as convert_to_tensor(value, dtype) converts a Python or numpy value: no
    cast between kinds of number, nor from a numpy array of another dtype."""
    if dtype == dtypes.string:
        arr = np.asarray(value)
        if arr.dtype.kind not in "SUO":
            raise TypeError("Cannot convert %r to EagerTensor of dtype string" % (value,))
        return _convert(value, object)
    np_dtype = dtype.as_numpy_dtype
    arr = np.asarray(value)
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        if arr.dtype != np_dtype:
            raise TypeError("Cannot convert %r to EagerTensor of dtype %s" % (value, dtype.name))
        return arr
    kind = np.dtype(np_dtype).kind
    if arr.dtype.kind == "f" and kind in "iub":
        raise TypeError("Cannot convert %r to EagerTensor of dtype %s" % (value, dtype.name))
    if arr.dtype.kind in "SUO" and kind != "O":
        raise TypeError("Cannot convert %r to EagerTensor of dtype %s" % (value, dtype.name))
    converted = np.asarray(value, dtype=np_dtype)
    if kind in "iu" and arr.dtype.kind in "iu" and not np.array_equal(converted, arr):
        raise ValueError("Can't convert Python int to %s: out of range" % dtype.name)
    return converted


def _truthy(value):
    """Python truthiness as TF's objects define it: a TensorShape is true unless its rank is
    unknown."""
    if isinstance(value, TensorShape):
        return value.ndims is not None
    return bool(value)


def _spec_str(spec):
    return repr(spec)


def from_generator(generator, output_types=None, output_shapes=None, args=None, output_signature=None,
                   name=None):
    from metarun.data.dataset_ops import Dataset
    from metarun.ops import script_ops

    if not callable(generator):
        raise TypeError("`generator` must be a Python callable.")
    if output_signature is not None:
        if output_types is not None:
            raise TypeError("The `output_types` argument can not be used together with the `output_signature` "
                            "argument.")
        if output_shapes is not None:
            raise TypeError("The `output_shapes` argument can not be used together with the `output_signature` "
                            "argument.")
        for spec in structure.flatten(output_signature):
            if not isinstance(spec, TypeSpec):
                raise TypeError("`output_signature` must contain objects that are subclass of `tf.TypeSpec` but "
                                "found %s which is not." % type(spec))
    elif output_types is None:
        raise TypeError("To specify the output signature you need to provide either the `output_signature` "
                        "argument or the `output_types` argument.")

    if output_signature is None:
        if output_shapes is None:
            output_shapes = structure.map_structure(lambda _: TensorShape(None), output_types)
        else:
            output_shapes = structure.map_structure_up_to(output_types, as_shape, output_shapes)
        output_signature = structure.map_structure_up_to(
            output_types, lambda shape, dtype: TensorSpec(shape, dtypes.as_dtype(dtype)), output_shapes,
            output_types)
    if not all(isinstance(s, TensorSpec) for s in structure.flatten(output_signature)):
        raise NotImplementedError("metarun: from_generator supports tf.TensorSpec components only")
    output_types = structure.pack_sequence_as(output_signature,
                                              [s.dtype for s in structure.flatten(output_signature)])
    output_shapes = structure.pack_sequence_as(output_signature,
                                               [s.shape for s in structure.flatten(output_signature)])

    if args is None:
        args = ()
    else:
        args = tuple(convert_to_tensor(a, name="args") for a in args)

    generator_state = _GeneratorState(generator)

    def get_iterator_id_fn(unused_dummy):
        return script_ops.numpy_function(generator_state.get_next_id, args, dtypes.int64)

    def generator_next_fn(iterator_id_t):
        # TF's test is truthiness: a lone shape of unknown rank is false.
        if _truthy(output_types) and _truthy(output_shapes):
            flat_types = [dtypes.as_dtype(dt) for dt in structure.flatten(output_types)]
            flat_shapes = structure.flatten(output_shapes)

            def generator_py_func(iterator_id):
                values = next(generator_state.get_iterator(iterator_id))
                try:
                    flat_values = structure.flatten_up_to(output_types, values)
                except (TypeError, ValueError) as e:
                    raise TypeError("`generator` yielded an element that did not match the expected structure. "
                                    "The expected structure was %s, but the yielded element was %s."
                                    % (output_types, values)) from e
                arrays = []
                for ret, dtype in zip(flat_values, flat_types):
                    try:
                        arrays.append(_convert(ret, dtype.as_numpy_dtype))
                    except (TypeError, ValueError) as e:
                        raise TypeError("`generator` yielded an element that could not be converted to the "
                                        "expected type. The expected type was %s, but the yielded element was %s."
                                        % (dtype.name, ret)) from e
                for array, dtype, shape in zip(arrays, flat_types, flat_shapes):
                    if array.dtype != dtype.as_numpy_dtype:
                        raise TypeError("`generator` yielded an element of type %s where an element of type %s "
                                        "was expected." % (array.dtype, np.dtype(dtype.as_numpy_dtype)))
                    if not shape.is_compatible_with(array.shape):
                        raise TypeError("`generator` yielded an element of shape %s where an element of shape %s "
                                        "was expected." % (array.shape, shape))
                return arrays

            flat_values = script_ops.numpy_function(generator_py_func, [iterator_id_t], flat_types)
            if not isinstance(flat_values, (list, tuple)):
                flat_values = [flat_values]
            for t, shape in zip(flat_values, flat_shapes):
                t.set_shape(shape)
            return structure.pack_sequence_as(output_types, flat_values)

        flat_specs = structure.flatten(output_signature)
        flat_types = [s.dtype for s in flat_specs]

        def generator_eager_func(iterator_id):
            values = next(generator_state.get_iterator(iterator_id))
            try:
                flat_values = structure.flatten_up_to(output_signature, values)
                arrays = [_eager_convert(v, s.dtype) for v, s in zip(flat_values, flat_specs)]
            except (TypeError, ValueError) as e:
                raise TypeError("`generator` yielded an element that did not match the expected structure. The "
                                "expected structure was %s, but the yielded element was %s."
                                % (output_signature, values)) from e
            for array, spec in zip(arrays, flat_specs):
                if not spec.shape.is_compatible_with(array.shape):
                    got = structure.pack_sequence_as(
                        output_signature, [TensorSpec(a.shape, s.dtype) for a, s in zip(arrays, flat_specs)])
                    raise TypeError("`generator` yielded an element of %s where an element of %s was expected."
                                    % (_spec_str(got), _spec_str(output_signature)))
            return arrays

        token = script_ops._register(generator_eager_func)
        out = apply_op("EagerPyFunc", input=[iterator_id_t], token=token, Tout=flat_types, is_async=False)
        if not isinstance(out, (list, tuple)):
            out = [out]
        return structure.pack_sequence_as(output_signature, list(out))

    def finalize_fn(iterator_id_t):
        def finalize_py_func(iterator_id):
            generator_state.iterator_completed(iterator_id)
            return np.array(0, dtype=np.int64)

        return script_ops.numpy_function(finalize_py_func, [iterator_id_t], dtypes.int64)

    def flat_map_fn(dummy_arg):
        return _generator_dataset(dummy_arg, get_iterator_id_fn, generator_next_fn, finalize_fn, output_signature,
                                  name)

    id_dataset = Dataset.from_tensors(0, name=name)
    return id_dataset.flat_map(flat_map_fn, name=name)


def _generator_dataset(init_args, init_func, next_func, finalize_func, output_signature, name):
    from metarun.data import _function
    from metarun.data.dataset_ops import _metadata, _wrap
    where = "Dataset.from_generator()"
    init_structure = structure.spec_from_value(init_args)
    init = _function.StructuredFunction(init_func, where, init_structure)
    nxt = _function.StructuredFunction(next_func, where, init.output_structure)
    fin = _function.StructuredFunction(finalize_func, where, init.output_structure)
    variant = apply_op("GeneratorDataset", init_func_other_args=[init_args] + init.captured_inputs,
                       next_func_other_args=nxt.captured_inputs, finalize_func_other_args=fin.captured_inputs,
                       init_func=init.func_attr(), next_func=nxt.func_attr(), finalize_func=fin.func_attr(),
                       output_types=structure.flat_types(output_signature),
                       output_shapes=structure.flat_shapes(output_signature), metadata=_metadata(name))
    return _wrap(variant, output_signature, (), [init, nxt, fin])


def _install():
    from metarun.framework import io_kernels
    from metarun.ops import script_ops
    io_kernels._HOST_OPS.setdefault("EagerPyFunc", script_ops._run)


_install()
