"""MethodNameUpdater: change the method names of a SavedModel's signatures in place (TF exports
it as tf.compat.v1.saved_model.signature_def_utils.MethodNameUpdater)."""

import os

from metarun import errors
from metarun.framework import protos
from metarun.saved_model import constants


class MethodNameUpdater(object):
    """Reads export_dir's SavedModel; replace_method_name edits its signatures; save writes
    saved_model.pb (or .pbtxt, when the SavedModel has one) again, to export_dir or another
    folder. The variables and assets are not copied."""

    def __init__(self, export_dir):
        from metarun.saved_model import loader
        self._export_dir = export_dir
        self._saved_model = loader.parse_saved_model(export_dir)

    def replace_method_name(self, signature_key, method_name, tags=None):
        """Sets the method name of signature `signature_key` in every MetaGraphDef whose tag set
        is `tags` (a list, or one tag), or in all of them when `tags` is None; ValueError when
        no MetaGraphDef matches or a matching one lacks the signature."""
        if not signature_key:
            raise ValueError("`signature_key` must be defined.")
        if not method_name:
            raise ValueError("`method_name` must be defined.")
        if tags is not None and not isinstance(tags, list):
            tags = [tags]
        matched = False
        for meta in self._saved_model.meta_graphs:
            if tags is not None and set(tags) != set(meta.meta_info_def.tags):
                continue
            if signature_key not in meta.signature_def:
                raise ValueError(
                    "MetaGraphDef associated with tags %s does not have a signature_def with key: '%s'. This "
                    "means either you specified the wrong signature key or forgot to put the signature_def "
                    "with the corresponding key in your SavedModel." % (tags, signature_key))
            meta.signature_def[signature_key].method_name = method_name
            matched = True
        if not matched:
            raise ValueError(
                "MetaGraphDef associated with tags %s could not be found in SavedModel. This means either you "
                "specified invalid tags or your SavedModel does not have a MetaGraphDef with the specified "
                "tags." % (tags,))

    def save(self, new_export_dir=None):
        """Writes the edited SavedModel proto into new_export_dir (default: the one read),
        which must exist (NotFoundError otherwise)."""
        source = os.fspath(self._export_dir)
        text = os.path.exists(os.path.join(source, constants.SAVED_MODEL_FILENAME_PBTXT))
        folder = os.fspath(new_export_dir) if new_export_dir else source
        name = constants.SAVED_MODEL_FILENAME_PBTXT if text else constants.SAVED_MODEL_FILENAME_PB
        path = os.path.join(folder, name)
        if not os.path.isdir(folder):
            raise errors.NotFoundError(None, None, "%s; No such file or directory" % path)
        data = protos.to_text(self._saved_model).encode() if text \
            else self._saved_model.SerializeToString(deterministic=True)
        from metarun.train.checkpoint_management import _atomic_write
        _atomic_write(path, data)
