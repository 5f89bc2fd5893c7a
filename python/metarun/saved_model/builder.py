"""tf.compat.v1.saved_model.builder: SavedModelBuilder, which writes a SavedModel directory
TensorFlow loads: the variables once (variables/variables.index + .data, by a sharded V2
Saver over the global saveable variables unless a Saver is given), one MetaGraphDef per
add_meta_graph* call tagged with its tags and carrying its signatures, the asset files
copied into assets/ (listed in the `saved_model_assets` collection), the main op in the
`saved_model_main_op` collection, and saved_model.pb or .pbtxt written by `save`."""

import filecmp
import logging
import os
import shutil

from metarun.framework import graph as graph_lib
from metarun.framework import protos
from metarun.saved_model import constants
from metarun.saved_model import loader

_log = logging.getLogger("metarun")
_ANY_URL = "type.googleapis.com/tensorflow.AssetFileDef"  # TF's name: TF unpacks it by this URL


class SavedModelBuilder(object):
    """Builds a SavedModel in `export_dir`, which must be missing or empty (AssertionError
    otherwise, as in TF)."""

    def __init__(self, export_dir):
        self._export_dir = os.fspath(export_dir)
        if isinstance(self._export_dir, bytes):
            self._export_dir = self._export_dir.decode()
        self._saved_model = protos.get_class("metarun.SavedModel")()
        self._saved_model.saved_model_schema_version = constants.SAVED_MODEL_SCHEMA_VERSION
        if os.path.exists(self._export_dir):
            if os.listdir(self._export_dir):
                raise AssertionError(
                    "Export directory %s already exists, and isn't empty. Please choose a different export "
                    "directory, or delete all the contents of the specified directory." % self._export_dir)
        else:
            os.makedirs(self._export_dir)
        self._has_saved_variables = False
        self._saved_asset_files = set()

    # -- checks -----------------------------------------------------------------------
    def _validate_tensor_info(self, info):
        if info is None:
            raise AssertionError("All TensorInfo protos used in the SignatureDefs must have the name and "
                                 "dtype fields set.")
        if info.WhichOneof("encoding") is None:
            raise AssertionError("Invalid `tensor_info`: %s. All TensorInfo protos used in the SignatureDefs "
                                 "must have one of the 'encoding' fields (e.g., name or coo_sparse) set." % info)
        if info.dtype == 0:
            raise AssertionError("Invalid `tensor_info`: %s. All TensorInfo protos used in the SignatureDefs "
                                 "must have the dtype field set." % info)

    def _validate_signature_def_map(self, signature_def_map):
        for sig in signature_def_map.values():
            for info in list(sig.inputs.values()) + list(sig.outputs.values()):
                self._validate_tensor_info(info)
        for key, what in ((constants.INIT_OP_SIGNATURE_KEY, "initialization"),
                          (constants.TRAIN_OP_SIGNATURE_KEY, "the train op")):
            if key in signature_def_map:
                raise KeyError('SignatureDef map key "%s" is reserved for %s. Please use a different key.'
                               % (key, what))

    # -- collections --------------------------------------------------------------------
    def _add_assets(self, assets_collection):
        if assets_collection is None:
            return
        names = {}  # file name in assets/ -> source path
        for tensor in assets_collection:
            source = _asset_path(tensor)
            if not source:
                raise ValueError("Asset filepath tensor %s in is invalid." % tensor)
            name = _asset_name(source, names)
            asset = protos.AssetFileDef(filename=name)
            asset.tensor_info.name = tensor.name
            packed = graph_lib.get_default_graph().get_collection_ref(constants.ASSETS_KEY)
            any_proto = _any_class()(type_url=_ANY_URL, value=asset.SerializeToString(deterministic=True))
            packed.append(any_proto)
            names[name] = source
        if not names:
            return
        folder = os.path.join(self._export_dir, constants.ASSETS_DIRECTORY)
        os.makedirs(folder, exist_ok=True)
        for name, source in names.items():
            target = os.path.join(folder, name)
            if os.path.exists(source) and source != target and target not in self._saved_asset_files:
                shutil.copyfile(source, target)
                self._saved_asset_files.add(target)

    def _add_main_op(self, main_op):
        if main_op is None:
            return
        if not isinstance(main_op, graph_lib.Operation):
            raise TypeError("Expected %s to be an Operation but got type %s instead." % (main_op, type(main_op)))
        g = graph_lib.get_default_graph()
        for key in (constants.MAIN_OP_KEY, constants.LEGACY_INIT_OP_KEY):
            if g.get_collection(key):
                raise ValueError("Graph already contains one or more main ops under the collection %s." % key)
        g.add_to_collection(constants.MAIN_OP_KEY, main_op)

    def _saver(self, saver):
        if saver:
            return saver
        from metarun.train.saver import Saver
        return Saver(sharded=True, write_version=2, allow_empty=True)

    def _meta_graph(self, saver, clear_devices, strip_default_attrs):
        from metarun.train import meta_graph
        saver_def = None if getattr(saver, "_is_empty", False) else saver.saver_def
        meta = meta_graph.create_meta_graph_def(saver._graph if hasattr(saver, "_graph") else None,
                                                saver_def=saver_def, clear_devices=clear_devices)
        if strip_default_attrs:
            # TF 2.21's builder marks the MetaGraphDef stripped but its export path (the Saver's
            # export_meta_graph) keeps every attr: both are what TF writes, so both are kept here
            meta.meta_info_def.stripped_default_attrs = True
        return meta

    def _tag_and_add(self, meta, tags, signature_def_map):
        meta.meta_info_def.tags.extend(tags)
        for key, sig in signature_def_map.items():
            meta.signature_def[key].CopyFrom(sig)
        self._saved_model.meta_graphs.add().CopyFrom(meta)

    # -- public ---------------------------------------------------------------------------
    def add_meta_graph_and_variables(self, sess, tags, signature_def_map=None, assets_collection=None,
                                     legacy_init_op=None, clear_devices=False, main_op=None,
                                     strip_default_attrs=False, saver=None):
        """Saves the variables' values in `sess` and adds the graph as the first MetaGraphDef,
        tagged `tags`. `assets_collection`: scalar string Const tensors naming files to copy
        into assets/; `main_op` (or `legacy_init_op`): the op the loader runs after restoring.
        `strip_default_attrs` marks the MetaGraphDef stripped and keeps every attr, as TF 2.21's
        builder writes it."""
        if self._has_saved_variables:
            raise AssertionError("Graph state including variables and assets has already been saved. "
                                 "Please invoke `add_meta_graph()` instead.")
        signature_def_map = signature_def_map or {}
        self._validate_signature_def_map(signature_def_map)
        self._add_assets(assets_collection)
        self._add_main_op(main_op or legacy_init_op)
        os.makedirs(os.path.join(self._export_dir, constants.VARIABLES_DIRECTORY), exist_ok=True)
        saver = self._saver(saver)
        saver.save(sess, loader.variables_path(self._export_dir), write_meta_graph=False, write_state=False)
        self._tag_and_add(self._meta_graph(saver, clear_devices, strip_default_attrs), tags, signature_def_map)
        self._has_saved_variables = True

    def add_meta_graph(self, tags, signature_def_map=None, assets_collection=None, legacy_init_op=None,
                       clear_devices=False, main_op=None, strip_default_attrs=False, saver=None):
        """Adds the current graph as another MetaGraphDef, tagged `tags`, restoring the
        variables add_meta_graph_and_variables saved (AssertionError before that call)."""
        if not self._has_saved_variables:
            raise AssertionError("Graph state including variables and assets has not been saved yet. "
                                 "Please invoke `add_meta_graph_and_variables()` first.")
        signature_def_map = signature_def_map or {}
        self._validate_signature_def_map(signature_def_map)
        self._add_assets(assets_collection)
        self._add_main_op(main_op if main_op is not None else legacy_init_op)
        saver = self._saver(saver)
        self._tag_and_add(self._meta_graph(saver, clear_devices, strip_default_attrs), tags, signature_def_map)

    def save(self, as_text=False):
        """Writes saved_model.pb (text format: saved_model.pbtxt) and returns its path, as
        bytes like TF's."""
        os.makedirs(self._export_dir, exist_ok=True)
        if as_text:
            path = os.path.join(self._export_dir, constants.SAVED_MODEL_FILENAME_PBTXT)
            data = protos.to_text(self._saved_model).encode()
        else:
            path = os.path.join(self._export_dir, constants.SAVED_MODEL_FILENAME_PB)
            data = self._saved_model.SerializeToString(deterministic=True)
        from metarun.train.checkpoint_management import _atomic_write
        _atomic_write(path, data)
        _log.info("SavedModel written to: %s", path)
        return path.encode()


Builder = SavedModelBuilder


def _any_class():
    from google.protobuf import any_pb2
    return any_pb2.Any


def _asset_path(tensor):
    """The file a scalar string Const names (TypeError for anything else, as in TF)."""
    from metarun.framework.graph import Tensor
    if not isinstance(tensor, Tensor):
        raise TypeError("Asset path tensor %s must be a Tensor." % tensor)
    if tensor.op.type != "Const":
        raise TypeError("Asset path tensor %s must be of type constant.Has type %s instead."
                        % (tensor, tensor.op.type))
    if tensor.dtype.base_dtype.name != "string":
        raise TypeError("Asset path tensor %s` must be of dtype string.Has type %s instead."
                        % (tensor, tensor.dtype))
    values = tensor.op._node_def.attr["value"].tensor.string_val
    if len(values) != 1:
        raise TypeError("Asset path tensor %s must be a scalar." % tensor)
    return values[0].decode()


def _asset_name(source, names):
    """The source's base name, or base_1, base_2... when another file of that name with
    different contents is already listed."""
    name = os.path.basename(source)
    if name not in names or names[name] == source or filecmp.cmp(source, names[name], shallow=False):
        return name
    i, unique = 1, name
    while unique in names:
        unique = "%s_%d" % (name, i)
        i += 1
    return unique
