"""tf.compat.v1.saved_model.loader: load a SavedModel directory into a Session.

A SavedModel holds `saved_model.pb` (or `.pbtxt`): one MetaGraphDef per tag set, and beside it
`variables/variables.*`, the checkpoint all of them restore, and `assets/`, files the graph is
given the paths of. `load` does what TensorFlow's loader does, in its order: import the
MetaGraphDef whose tags equal the ones asked for, restore the variables by running the graph's
own restore op (so the session's IO policy sees every file read), then run the init op (the
`__saved_model_init_op` signature, else the `saved_model_main_op` collection, else
`legacy_init_op`) with each asset's tensor fed the asset's path in `assets/`."""

import os

from metarun import errors, tf_logging
from metarun.framework import graph as graph_lib
from metarun.framework import protos
from metarun.saved_model import constants
from metarun.saved_model import utils


def _saved_model_class():
    return protos.get_class("metarun.SavedModel")


def maybe_saved_model_directory(export_dir):
    """True when `export_dir` holds a saved_model.pb, .pbtxt or .cpb (it may still fail to load)."""
    export_dir = os.fspath(export_dir)
    return any(os.path.exists(os.path.join(export_dir, name)) for name in (
        constants.SAVED_MODEL_FILENAME_PBTXT, constants.SAVED_MODEL_FILENAME_PB,
        constants.SAVED_MODEL_FILENAME_CPB))


contains_saved_model = maybe_saved_model_directory


def parse_saved_model(export_dir):
    """The SavedModel proto of `export_dir`: saved_model.pb, else saved_model.pbtxt. A missing
    or unparsable file raises IOError (OSError), as TF's loader does."""
    from google.protobuf import message, text_format
    export_dir = os.fspath(export_dir)
    if isinstance(export_dir, bytes):
        export_dir = export_dir.decode()
    pb = os.path.join(export_dir, constants.SAVED_MODEL_FILENAME_PB)
    pbtxt = os.path.join(export_dir, constants.SAVED_MODEL_FILENAME_PBTXT)
    cls = _saved_model_class()
    if os.path.exists(pb):
        with open(pb, "rb") as f:
            data = f.read()
        try:
            return cls.FromString(data)
        except message.DecodeError as e:
            raise IOError("Cannot parse file %s: %s." % (pb, e)) from e
    if os.path.exists(pbtxt):
        with open(pbtxt, "rb") as f:
            data = f.read()
        try:
            return protos.parse_text(data.decode("utf-8"), cls)
        except (text_format.ParseError, UnicodeDecodeError) as e:
            raise IOError("Cannot parse file %s: %s." % (pbtxt, e)) from e
    raise IOError("SavedModel file does not exist at: %s%s{%s|%s}" % (
        export_dir, os.path.sep, constants.SAVED_MODEL_FILENAME_PBTXT, constants.SAVED_MODEL_FILENAME_PB))


def _tags_text(tags):
    return str(tags).strip("[]")


def get_meta_graph_def_from_tags(saved_model, tags):
    """The first MetaGraphDef whose tag set equals set(tags); RuntimeError naming the tag sets
    the SavedModel has when there is none."""
    wanted = set(tags)
    seen = []
    for meta in saved_model.meta_graphs:
        have = set(meta.meta_info_def.tags)
        seen.append(have)
        if have == wanted:
            return meta
    raise RuntimeError(
        "MetaGraphDef associated with tags %s could not be found in SavedModel, with available tags "
        "'%s'. To inspect available tag-sets in the SavedModel, please use the SavedModel CLI: "
        "`saved_model_cli`." % (_tags_text(tags), seen))


def get_asset_tensors(export_dir, meta_graph_def, import_scope=None):
    """{asset tensor name: path of its file in export_dir/assets}: from the MetaGraphDef's
    asset_file_def, else from the `saved_model_assets` collection (TF1's builder)."""
    assets = list(meta_graph_def.asset_file_def)
    if not assets and constants.ASSETS_KEY in meta_graph_def.collection_def:
        for packed in meta_graph_def.collection_def[constants.ASSETS_KEY].any_list.value:
            assets.append(protos.AssetFileDef.FromString(packed.value))
    folder = os.path.join(os.fspath(export_dir), constants.ASSETS_DIRECTORY)
    out = {}
    for asset in assets:
        name = asset.tensor_info.name
        if import_scope:
            name = "%s/%s" % (import_scope, name)
        out[name] = os.path.join(folder, asset.filename)
    return out


def _op_from_collection(meta_graph_def, key, graph):
    if key not in meta_graph_def.collection_def:
        return None
    names = meta_graph_def.collection_def[key].node_list.value
    if len(names) != 1:
        raise RuntimeError("Expected exactly one SavedModel init op. Found %d: %s." % (len(names), names))
    return graph.get_collection(key)[0]


def _op_from_signature(meta_graph_def, key, import_scope, graph):
    if key not in meta_graph_def.signature_def:
        return None
    try:
        return utils.get_element_from_tensor_info(meta_graph_def.signature_def[key].outputs[key], graph,
                                                  import_scope)
    except KeyError:
        raise errors.NotFoundError(
            None, None, 'The key "%s" could not be found in the graph. Please make sure the SavedModel was '
            "created by the internal _SavedModelBuilder. If you are using the public API, please make sure "
            'the SignatureDef in the SavedModel does not contain the key "%s".' % (key, key)) from None


def get_init_op(meta_graph_def, import_scope=None, graph=None):
    graph = graph or graph_lib.get_default_graph()
    return (_op_from_signature(meta_graph_def, constants.INIT_OP_SIGNATURE_KEY, import_scope, graph)
            or _op_from_collection(meta_graph_def, constants.MAIN_OP_KEY, graph)
            or _op_from_collection(meta_graph_def, constants.LEGACY_INIT_OP_KEY, graph))


def get_train_op(meta_graph_def, import_scope=None, graph=None):
    graph = graph or graph_lib.get_default_graph()
    return (_op_from_signature(meta_graph_def, constants.TRAIN_OP_SIGNATURE_KEY, import_scope, graph)
            or _op_from_collection(meta_graph_def, constants.TRAIN_OP_KEY, graph))


def variables_path(export_dir):
    """export_dir/variables/variables: the checkpoint prefix of a SavedModel."""
    export_dir = os.fspath(export_dir)
    if isinstance(export_dir, bytes):
        export_dir = export_dir.decode()
    return os.path.join(export_dir, constants.VARIABLES_DIRECTORY, constants.VARIABLES_FILENAME)


def load(sess, tags, export_dir, import_scope=None, **saver_kwargs):
    """Loads the MetaGraphDef tagged `tags` from the SavedModel in `export_dir` into
    `sess.graph`, restores its variables in `sess` and runs its init op; returns the
    MetaGraphDef (without `import_scope` applied to it). `saver_kwargs` go to
    import_meta_graph. Tags the SavedModel lacks raise RuntimeError naming the tag sets it
    has; a missing saved_model.pb/.pbtxt raises IOError."""
    saved_model = parse_saved_model(export_dir)
    meta = get_meta_graph_def_from_tags(saved_model, tags)
    from metarun.framework.importer import import_meta_graph
    graph = sess.graph
    with graph.as_default():
        saver = import_meta_graph(meta, import_scope=import_scope, **saver_kwargs)
        if saver is not None and meta.HasField("saver_def"):
            # TF's Saver renames the SaverDef it is given in place, so the MetaGraphDef TF's
            # loader returns names the scoped save/restore ops
            meta.saver_def.CopyFrom(saver.saver_def)
        if saver is None:
            tf_logging.info("The specified SavedModel has no variables; no checkpoints were restored.")
        else:
            saver.restore(sess, variables_path(export_dir))
        feeds = get_asset_tensors(export_dir, meta, import_scope)
        init_op = get_init_op(meta, import_scope, graph)
        if init_op is not None:
            sess.run([init_op], feed_dict=feeds)
    return meta


class SavedModelLoader(object):
    """Loads one SavedModel directory step by step (TF's internal loader class)."""

    def __init__(self, export_dir):
        self._export_dir = export_dir
        self._variables_path = variables_path(export_dir)
        self._saved_model = parse_saved_model(export_dir)

    @property
    def export_dir(self):
        return self._export_dir

    @property
    def variables_path(self):
        return self._variables_path

    @property
    def saved_model(self):
        return self._saved_model

    def get_meta_graph_def_from_tags(self, tags):
        return get_meta_graph_def_from_tags(self._saved_model, tags)

    def load(self, sess, tags, import_scope=None, **saver_kwargs):
        return load(sess, tags, self._export_dir, import_scope, **saver_kwargs)

