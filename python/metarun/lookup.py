"""tf.compat.v1.lookup: lookup tables over the core's table kernels.

Graphs are laid out as TensorFlow lays them out (the same ops, node names and
collections): StaticHashTable is a HashTableV2 initialized by an op in the
`table_initializer` collection (LookupTableImportV2 for key/value tensors,
InitializeTableFromTextFileV2 for a vocabulary file, whose filename Const also
goes to `asset_filepaths`); StaticVocabularyTable adds StringToHashBucketFast
out-of-vocabulary buckets; MutableHashTable and DenseHashTable register a
saveable, so a tf.train.Saver writes their contents as `<name>-keys` and
`<name>-values` and restores them with LookupTableImportV2.
"""

import uuid

from metarun.framework import dtypes
from metarun.framework import graph as graph_lib
from metarun.framework import shape_inference as _si
from metarun.framework.op_builder import apply_op, convert_to_tensor
from metarun.framework.tensor_shape import TensorShape


@_si.register("HashTable", "MutableHashTable", "MutableHashTableOfTensors", "MutableDenseHashTable")
def _ref_table_shape(op):
    return [TensorShape([2])]  # TF1's string[2] ref handle


@_si.register("HashTableV2", "MutableHashTableV2", "MutableHashTableOfTensorsV2", "MutableDenseHashTableV2",
              "LookupTableSize", "LookupTableSizeV2")
def _scalar_shape(op):
    return [TensorShape([])]


@_si.register("StringToHashBucketFast", "StringToHashBucket", "StringToHashBucketStrong")
def _hash_bucket_shape(op):
    return [op.inputs[0].shape]


def _name_scope(name, default_name=None, values=None):
    import metarun
    return metarun.name_scope(name, default_name, values)


def _is_constant(t):
    return getattr(t, "op", None) is not None and t.op.type == "Const"


def check_table_dtypes(table, key_dtype, value_dtype):
    if key_dtype.base_dtype != table.key_dtype:
        raise TypeError(f"Invalid key dtype for table, expected {table.key_dtype} but got {key_dtype}.")
    if value_dtype.base_dtype != table.value_dtype:
        raise TypeError(f"Invalid value dtype for table, expected {table.value_dtype} but got {value_dtype}.")


class LookupInterface(object):
    """A lookup table that persists across steps."""

    def __init__(self, key_dtype, value_dtype):
        self._key_dtype = dtypes.as_dtype(key_dtype)
        self._value_dtype = dtypes.as_dtype(value_dtype)
        self._resource_handle = self._create_resource()

    def _create_resource(self):
        raise NotImplementedError

    @property
    def key_dtype(self):
        return self._key_dtype

    @property
    def value_dtype(self):
        return self._value_dtype

    @property
    def resource_handle(self):
        return self._resource_handle

    @property
    def name(self):
        raise NotImplementedError

    def size(self, name=None):
        raise NotImplementedError

    def lookup(self, keys, name=None):
        raise NotImplementedError

    def __getitem__(self, keys):
        return self.lookup(keys)


# -- initializers --------------------------------------------------------------------------

class TableInitializerBase(object):
    """Initializes a table from keys and values."""

    def __init__(self, key_dtype, value_dtype):
        self._key_dtype = dtypes.as_dtype(key_dtype)
        self._value_dtype = dtypes.as_dtype(value_dtype)

    @property
    def key_dtype(self):
        return self._key_dtype

    @property
    def value_dtype(self):
        return self._value_dtype

    def initialize(self, table):
        raise NotImplementedError

    @property
    def _shared_name(self):
        return ""


class KeyValueTensorInitializer(TableInitializerBase):
    """Initializes a table from a keys tensor and a values tensor."""

    def __init__(self, keys, values, key_dtype=None, value_dtype=None, name=None):
        with _name_scope(name, "key_value_init", [keys, values]) as scope:
            self._keys = convert_to_tensor(keys, dtype=key_dtype, name="keys")
            self._values = convert_to_tensor(values, dtype=value_dtype, name="values")
            self._name = scope
        super(KeyValueTensorInitializer, self).__init__(self._keys.dtype, self._values.dtype)

    def initialize(self, table):
        check_table_dtypes(table, self._keys.dtype, self._values.dtype)
        with _name_scope(self._name, values=(table.resource_handle, self._keys, self._values)):
            init_op = apply_op("LookupTableImportV2", table_handle=table.resource_handle, keys=self._keys,
                               values=self._values)
        graph_lib.get_default_graph().add_to_collection(graph_lib.GraphKeys.TABLE_INITIALIZERS, init_op)
        return init_op


class TextFileIndex(object):
    """Which part of a vocabulary file's line is a key or a value."""
    WHOLE_LINE = -2
    LINE_NUMBER = -1


class TextFileInitializer(TableInitializerBase):
    """Initializes a table from a text file (a vocabulary), one entry a line."""

    def __init__(self, filename, key_dtype, key_index, value_dtype, value_index, vocab_size=None,
                 delimiter="\t", name=None, value_index_offset=0):
        from metarun.framework.graph import Tensor
        if not isinstance(filename, Tensor) and not filename:
            raise ValueError("`filename` argument required for tf.lookup.TextFileInitializer")
        self._filename_arg = filename
        key_dtype = dtypes.as_dtype(key_dtype)
        value_dtype = dtypes.as_dtype(value_dtype)
        if key_index < -2:
            raise ValueError(f"`key_index` should be >= -2, received: {key_index}.")
        if key_index == TextFileIndex.LINE_NUMBER and key_dtype != dtypes.int64:
            raise ValueError("`key_dtype` must be int64 if `key_index` is "
                             f"{TextFileIndex.LINE_NUMBER}, received: {key_dtype}")
        if key_index == TextFileIndex.WHOLE_LINE and not key_dtype.is_integer and key_dtype != dtypes.string:
            raise ValueError("`key_dtype` should be either integer or string for `key_index` "
                             f"{TextFileIndex.WHOLE_LINE}, received: {key_dtype}")
        if value_index < -2:
            raise ValueError(f"`value_index` should be >= -2, received: {value_index}")
        if value_index == TextFileIndex.LINE_NUMBER and value_dtype != dtypes.int64:
            raise ValueError("`value_dtype` must be int64 for `value_index` "
                             f"{TextFileIndex.LINE_NUMBER}, received: {value_dtype}")
        if value_index == TextFileIndex.WHOLE_LINE and not value_dtype.is_integer and \
                value_dtype != dtypes.string:
            raise ValueError("`value_dtype` must be either integer or string for `value_index` "
                             f"{TextFileIndex.WHOLE_LINE}, received: {value_dtype}")
        if vocab_size is not None and vocab_size <= 0:
            raise ValueError(f"`vocab_size` should be > 0, received: {vocab_size}")
        self._key_index = key_index
        self._value_index = value_index
        self._vocab_size = vocab_size
        self._delimiter = delimiter
        self._name = name
        # TF keeps the path as an asset: a Const "asset_path" on the CPU, made here.
        if isinstance(filename, Tensor):
            self._filename = filename
        else:
            with graph_lib.get_default_graph().device("CPU"):
                self._filename = convert_to_tensor(filename, dtype=dtypes.string, name="asset_path")
        self._offset = value_index_offset
        super(TextFileInitializer, self).__init__(key_dtype, value_dtype)

    def initialize(self, table):
        check_table_dtypes(table, self.key_dtype, self.value_dtype)
        with _name_scope(self._name, "text_file_init", (table.resource_handle,)):
            filename = self._filename
            init_op = apply_op("InitializeTableFromTextFileV2", table_handle=table.resource_handle,
                               filename=filename, key_index=self._key_index, value_index=self._value_index,
                               vocab_size=-1 if self._vocab_size is None else self._vocab_size,
                               delimiter=self._delimiter, offset=self._offset)
        g = graph_lib.get_default_graph()
        g.add_to_collection(graph_lib.GraphKeys.TABLE_INITIALIZERS, init_op)
        # A constant filename is an asset of the graph (a placeholder is not).
        if _is_constant(filename):
            g.add_to_collection(graph_lib.GraphKeys.ASSET_FILEPATHS, filename)
        return init_op

    @property
    def _shared_name(self):
        if self._vocab_size:
            if self._offset:
                return "hash_table_%s_%d_%s_%s_%s" % (self._filename_arg, self._vocab_size, self._key_index,
                                                      self._value_index, self._offset)
            return "hash_table_%s_%d_%s_%s" % (self._filename_arg, self._vocab_size, self._key_index,
                                               self._value_index)
        if self._offset:
            return "hash_table_%s_%s_%s_%s" % (self._filename_arg, self._key_index, self._value_index,
                                               self._offset)
        return "hash_table_%s_%s_%s" % (self._filename_arg, self._key_index, self._value_index)


class TextFileStringTableInitializer(TextFileInitializer):
    """Vocabulary file -> string values (ids as keys by default)."""

    def __init__(self, filename, key_column_index=TextFileIndex.LINE_NUMBER,
                 value_column_index=TextFileIndex.WHOLE_LINE, vocab_size=None, delimiter="\t",
                 name="text_file_string_table_init"):
        super(TextFileStringTableInitializer, self).__init__(
            filename, dtypes.int64, key_column_index, dtypes.string, value_column_index,
            vocab_size=vocab_size, delimiter=delimiter, name=name)


class TextFileIdTableInitializer(TextFileInitializer):
    """Vocabulary file -> int64 ids (the line numbers by default)."""

    def __init__(self, filename, key_column_index=TextFileIndex.WHOLE_LINE,
                 value_column_index=TextFileIndex.LINE_NUMBER, vocab_size=None, delimiter="\t",
                 name="text_file_id_table_init", key_dtype=dtypes.string):
        super(TextFileIdTableInitializer, self).__init__(
            filename, key_dtype, key_column_index, dtypes.int64, value_column_index,
            vocab_size=vocab_size, delimiter=delimiter, name=name)


# -- static tables ---------------------------------------------------------------------------

class InitializableLookupTableBase(LookupInterface):
    """A table initialized once by its initializer's op, read-only afterwards."""

    def __init__(self, default_value, initializer):
        self._initializer = initializer
        key_dtype, value_dtype = initializer.key_dtype, initializer.value_dtype
        self._default_value = convert_to_tensor(default_value, dtype=value_dtype)
        if not self._default_value.get_shape().is_compatible_with(TensorShape([])):
            raise ValueError("Shapes %s and () are incompatible" % (self._default_value.get_shape(),))
        super(InitializableLookupTableBase, self).__init__(key_dtype, value_dtype)
        self._init_op = self._initialize()

    def _initialize(self):
        return self._initializer.initialize(self)

    @property
    def initializer(self):
        return self._init_op

    @property
    def default_value(self):
        return self._default_value

    def size(self, name=None):
        with _name_scope(name, "%s_Size" % self.name, [self.resource_handle]):
            return apply_op("LookupTableSizeV2", table_handle=self.resource_handle)

    def lookup(self, keys, name=None):
        keys = convert_to_tensor(keys)
        if keys.dtype.base_dtype != self._key_dtype:
            raise TypeError(f"Dtype of argument `keys` must be {self._key_dtype}, received: {keys.dtype}")
        with _name_scope(name, "%s_Lookup" % self.name, (self.resource_handle, keys, self._default_value)):
            values = apply_op("LookupTableFindV2", table_handle=self.resource_handle, keys=keys,
                              default_value=self._default_value)
        values.set_shape(keys.get_shape())
        return values


class StaticHashTable(InitializableLookupTableBase):
    """A generic hash table, immutable once initialized."""

    def __init__(self, initializer, default_value, name=None, experimental_is_anonymous=False):
        if experimental_is_anonymous:
            raise NotImplementedError("anonymous tables are not supported in graphs built here")
        self._initializer = initializer
        self._shared_name = initializer._shared_name or "hash_table_%s" % (str(uuid.uuid4()),)
        self._name = name or "hash_table"
        self._table_name = None
        super(StaticHashTable, self).__init__(default_value, initializer)
        self._value_shape = self._default_value.get_shape()

    def _create_resource(self):
        table_ref = apply_op("HashTableV2", shared_name=self._shared_name,
                             key_dtype=self._initializer.key_dtype,
                             value_dtype=self._initializer.value_dtype, name=self._name)
        self._table_name = table_ref.op.name.split("/")[-1]
        return table_ref

    @property
    def name(self):
        return self._table_name

    def export(self, name=None):
        with _name_scope(name, "%s_Export" % self.name, [self.resource_handle]):
            keys, values = apply_op("LookupTableExportV2", table_handle=self.resource_handle,
                                    Tkeys=self._key_dtype, Tvalues=self._value_dtype)
        values.set_shape(keys.get_shape().concatenate(self._value_shape))
        return keys, values


HashTable = StaticHashTable


def string_to_hash_bucket_fast(input, num_buckets, name=None):  # noqa: A002 -- TF's argument name
    """Fingerprint64 of each string, modulo `num_buckets` (TF's StringToHashBucketFast)."""
    return apply_op("StringToHashBucketFast", input=input, num_buckets=num_buckets,
                    name=name or "StringToHashBucketFast")


class StaticVocabularyTable(LookupInterface):
    """A vocabulary table with out-of-vocabulary buckets: keys not in the table
    map to `table.size() + Fingerprint64(key) % num_oov_buckets`."""

    def __init__(self, initializer, num_oov_buckets, lookup_key_dtype=None, name=None,
                 experimental_is_anonymous=False):
        if num_oov_buckets <= 0:
            raise ValueError("`num_oov_buckets` must be > 0; use StaticHashTable.")
        if name:
            name = name.rstrip("/")
        if initializer:
            if lookup_key_dtype is None:
                lookup_key_dtype = initializer.key_dtype
            lookup_key_dtype = dtypes.as_dtype(lookup_key_dtype)
            supported = (dtypes.int64, dtypes.string)
            if initializer.key_dtype not in supported:
                raise TypeError("Invalid `key_dtype`, expected one of %s, but got %s."
                                % (supported, initializer.key_dtype))
            if initializer.key_dtype.is_integer != lookup_key_dtype.is_integer:
                raise TypeError("Invalid `key_dtype`, expected %s but got %s."
                                % ("integer" if lookup_key_dtype.is_integer else "non-integer",
                                   initializer.key_dtype))
            if initializer.value_dtype != dtypes.int64:
                raise TypeError("Invalid `value_dtype`, expected %s but got %s."
                                % (dtypes.int64, initializer.value_dtype))
            self._table = StaticHashTable(initializer, default_value=-1,
                                          experimental_is_anonymous=experimental_is_anonymous)
            name = name or self._table.name
        else:
            lookup_key_dtype = dtypes.string
            self._table = None
            name = name or "hash_bucket"
        lookup_key_dtype = dtypes.as_dtype(lookup_key_dtype)
        if not lookup_key_dtype.is_integer and lookup_key_dtype != dtypes.string:
            raise TypeError(f"Invalid `key_dtype`, expected integer or string, got {lookup_key_dtype}")
        self._num_oov_buckets = num_oov_buckets
        self._table_name = name.split("/")[-1] if name is not None else None
        super(StaticVocabularyTable, self).__init__(lookup_key_dtype, dtypes.int64)
        if self._table is None:
            from metarun.ops.control_flow_ops import no_op
            with _name_scope(None, "init"):
                self._init_op = no_op()
        else:
            self._init_op = self._table._init_op

    def _create_resource(self):
        return self._table.resource_handle if self._table is not None else None

    @property
    def initializer(self):
        return self._init_op

    @property
    def name(self):
        return self._table_name

    def size(self, name=None):
        from metarun.ops import math_ops
        with _name_scope(name, "%s_Size" % self.name):
            if self._table:
                tsize = self._table.size()
            else:
                tsize = convert_to_tensor(0, dtype=dtypes.int64)
            return math_ops.add(tsize, self._num_oov_buckets)

    def lookup(self, keys, name=None):
        from metarun import dtypes as dtypes_mod
        from metarun.ops import array_ops, math_ops
        keys = convert_to_tensor(keys)
        if keys.dtype.base_dtype != self._key_dtype:
            raise TypeError(f"Dtype of argument `keys` must be {self._key_dtype}, received: {keys.dtype}")
        values = keys
        if self._table and self._table.key_dtype.base_dtype == dtypes.int64:
            values = math_ops.cast(values, dtypes.int64)
        with _name_scope(name, "%s_Lookup" % self.name):
            as_str = values if values.dtype == dtypes.string else dtypes_mod.as_string(values)
            buckets = string_to_hash_bucket_fast(as_str, num_buckets=self._num_oov_buckets, name="hash_bucket")
            if self._table:
                ids = self._table.lookup(values)
                buckets = math_ops.add(buckets, self._table.size())
                is_id_non_default = math_ops.not_equal(ids, self._table.default_value)
                ids = array_ops.where_v2(is_id_non_default, ids, buckets)
            else:
                ids = buckets
        return ids


# -- mutable tables --------------------------------------------------------------------------

class _TableSaveable(object):
    """What a Saver saves of a mutable table: its export as `<name>-keys` and
    `<name>-values`, restored by LookupTableImportV2."""

    def __init__(self, table, name):
        keys, values = table.export()
        self.op = table
        self.name = name
        self.table_name = name
        self.specs = [(keys, "", name + "-keys"), (values, "", name + "-values")]

    def restore(self, restored_tensors, restored_shapes=None):
        g = graph_lib.get_default_graph()
        with _name_scope("%s_table_restore" % self.table_name), g.colocate_with(self.op.resource_handle.op):
            return apply_op("LookupTableImportV2", table_handle=self.op.resource_handle,
                            keys=restored_tensors[0], values=restored_tensors[1])


class MutableHashTable(LookupInterface):
    """A mutable hash table: insert, remove, lookup, export."""

    def __init__(self, key_dtype, value_dtype, default_value, name="MutableHashTable", checkpoint=True,
                 experimental_is_anonymous=False):
        if experimental_is_anonymous:
            raise NotImplementedError("anonymous tables are not supported in graphs built here")
        self._default_value = convert_to_tensor(default_value, dtype=value_dtype)
        self._value_shape = self._default_value.get_shape()
        self._checkpoint = checkpoint
        self._name = name
        self._shared_name = None
        self._table_name = None
        super(MutableHashTable, self).__init__(key_dtype, value_dtype)
        if checkpoint:
            graph_lib.get_default_graph().add_to_collection(graph_lib.GraphKeys.SAVEABLE_OBJECTS,
                                                            _TableSaveable(self, name))

    def _create_resource(self):
        use_node_name_sharing = self._checkpoint and self._shared_name is None
        common = dict(shared_name=self._shared_name or "", use_node_name_sharing=use_node_name_sharing,
                      key_dtype=self._key_dtype, value_dtype=self._value_dtype, name=self._name)
        if self._default_value.get_shape().ndims == 0:
            table_ref = apply_op("MutableHashTableV2", **common)
        else:
            table_ref = apply_op("MutableHashTableOfTensorsV2", value_shape=self._default_value.get_shape(),
                                 **common)
        self._table_name = table_ref.op.name.split("/")[-1]
        return table_ref

    @property
    def name(self):
        return self._table_name

    def _colocated(self):
        return graph_lib.get_default_graph().colocate_with(self.resource_handle.op)

    def size(self, name=None):
        with _name_scope(name, "%s_Size" % self.name, [self.resource_handle]), self._colocated():
            return apply_op("LookupTableSizeV2", table_handle=self.resource_handle)

    def remove(self, keys, name=None):
        keys = convert_to_tensor(keys, dtype=self._key_dtype)
        with _name_scope(name, "%s_lookup_table_remove" % self.name,
                         (self.resource_handle, keys, self._default_value)):
            return apply_op("LookupTableRemoveV2", table_handle=self.resource_handle, keys=keys)

    def lookup(self, keys, dynamic_default_values=None, name=None):
        keys = convert_to_tensor(keys, dtype=self._key_dtype)
        with _name_scope(name, "%s_lookup_table_find" % self.name,
                         (self.resource_handle, keys, self._default_value)), self._colocated():
            default = self._default_value if dynamic_default_values is None else \
                convert_to_tensor(dynamic_default_values, dtype=self._value_dtype)
            return apply_op("LookupTableFindV2", table_handle=self.resource_handle, keys=keys,
                            default_value=default)

    def insert(self, keys, values, name=None):
        keys = convert_to_tensor(keys, dtype=self._key_dtype)
        values = convert_to_tensor(values, dtype=self._value_dtype)
        with _name_scope(name, "%s_lookup_table_insert" % self.name,
                         [self.resource_handle, keys, values]), self._colocated():
            return apply_op("LookupTableInsertV2", table_handle=self.resource_handle, keys=keys, values=values)

    def export(self, name=None):
        with _name_scope(name, "%s_lookup_table_export_values" % self.name,
                         [self.resource_handle]), self._colocated():
            return apply_op("LookupTableExportV2", table_handle=self.resource_handle, Tkeys=self._key_dtype,
                            Tvalues=self._value_dtype)


class DenseHashTable(LookupInterface):
    """A mutable hash table by open addressing (TF's MutableDenseHashTable):
    `empty_key` and `deleted_key` mark free and freed buckets and may not be
    used as keys."""

    def __init__(self, key_dtype, value_dtype, default_value, empty_key, deleted_key, initial_num_buckets=None,
                 name="MutableDenseHashTable", checkpoint=True, experimental_is_anonymous=False):
        if experimental_is_anonymous:
            raise NotImplementedError("anonymous tables are not supported in graphs built here")
        self._default_value = convert_to_tensor(default_value, dtype=value_dtype, name="default_value")
        self._key_dtype = dtypes.as_dtype(key_dtype)
        self._value_dtype = dtypes.as_dtype(value_dtype)
        self._initial_num_buckets = initial_num_buckets
        self._value_shape = self._default_value.get_shape()
        self._checkpoint = checkpoint
        self._name = name
        self._empty_key = empty_key
        self._deleted_key = deleted_key
        self._shared_name = None
        self._table_name = None
        super(DenseHashTable, self).__init__(key_dtype, value_dtype)
        if checkpoint:
            graph_lib.get_default_graph().add_to_collection(graph_lib.GraphKeys.SAVEABLE_OBJECTS,
                                                            _TableSaveable(self, name))

    def _create_resource(self):
        use_node_name_sharing = self._checkpoint and self._shared_name is None
        empty_key = convert_to_tensor(self._empty_key, dtype=self._key_dtype, name="empty_key")
        deleted_key = convert_to_tensor(self._deleted_key, dtype=self._key_dtype, name="deleted_key")
        attrs = dict(shared_name=self._shared_name or "", use_node_name_sharing=use_node_name_sharing,
                     value_dtype=self._value_dtype, value_shape=self._value_shape, name=self._name)
        if self._initial_num_buckets is not None:
            attrs["initial_num_buckets"] = self._initial_num_buckets
        table_ref = apply_op("MutableDenseHashTableV2", empty_key=empty_key, deleted_key=deleted_key, **attrs)
        self._table_name = table_ref.op.name.split("/")[-1]
        return table_ref

    name = MutableHashTable.name
    _colocated = MutableHashTable._colocated
    size = MutableHashTable.size

    def lookup(self, keys, name=None):
        keys = convert_to_tensor(keys, dtype=self._key_dtype, name="keys")
        with _name_scope(name, "%s_lookup_table_find" % self.name,
                         [self.resource_handle, keys]), self._colocated():
            return apply_op("LookupTableFindV2", table_handle=self.resource_handle, keys=keys,
                            default_value=self._default_value)

    def insert_or_assign(self, keys, values, name=None):
        with _name_scope(name, "%s_lookup_table_insert" % self.name, [self.resource_handle, keys, values]):
            keys = convert_to_tensor(keys, dtype=self._key_dtype, name="keys")
            values = convert_to_tensor(values, dtype=self._value_dtype, name="values")
            with self._colocated():
                return apply_op("LookupTableInsertV2", table_handle=self.resource_handle, keys=keys, values=values)

    insert = insert_or_assign

    def erase(self, keys, name=None):
        keys = convert_to_tensor(keys, dtype=self._key_dtype, name="keys")
        with _name_scope(name, "%s_lookup_table_remove" % self.name,
                         (self.resource_handle, keys, self._default_value)):
            return apply_op("LookupTableRemoveV2", table_handle=self.resource_handle, keys=keys)

    remove = erase
    export = MutableHashTable.export


class _Experimental(object):
    """tf.lookup.experimental."""
    MutableHashTable = MutableHashTable
    DenseHashTable = DenseHashTable


experimental = _Experimental()
