"""tf.compat.v1.saved_model: load SavedModels written by TensorFlow 1.x code (or its
tf.compat.v1 API) into a Session, and write them so that TensorFlow loads them.

    loader.load(sess, tags, export_dir) / load   import, restore variables/, run the main op
    builder.SavedModelBuilder / Builder           add_meta_graph_and_variables, add_meta_graph, save
    simple_save                                   one "serve" graph with a Predict signature
    signature_def_utils, utils, main_op           SignatureDefs, TensorInfos, the usual main op
    constants, tag_constants, signature_constants TF's names and keys

TF2's object-based API (tf.saved_model.save, Asset, SaveOptions, experimental, load_v2) is
not provided."""

from metarun import _lazy

__getattr__, __dir__ = _lazy.exports(__name__, {
    "metarun.saved_model.constants": (
        "ASSETS_DIRECTORY ASSETS_KEY DEBUG_DIRECTORY DEBUG_INFO_FILENAME_PB LEGACY_INIT_OP_KEY MAIN_OP_KEY "
        "SAVED_MODEL_FILENAME_PB SAVED_MODEL_FILENAME_PBTXT SAVED_MODEL_SCHEMA_VERSION VARIABLES_DIRECTORY "
        "VARIABLES_FILENAME"),
    "metarun.saved_model.tag_constants": "GPU SERVING TPU TRAINING",
    "metarun.saved_model.signature_constants": (
        "CLASSIFY_INPUTS CLASSIFY_METHOD_NAME CLASSIFY_OUTPUT_CLASSES CLASSIFY_OUTPUT_SCORES "
        "DEFAULT_SERVING_SIGNATURE_DEF_KEY PREDICT_INPUTS PREDICT_METHOD_NAME PREDICT_OUTPUTS REGRESS_INPUTS "
        "REGRESS_METHOD_NAME REGRESS_OUTPUTS"),
    "metarun.saved_model.builder": "Builder",
    "metarun.saved_model.loader": "load contains_saved_model maybe_saved_model_directory",
    "metarun.saved_model.signature_def_utils": (
        "build_signature_def classification_signature_def is_valid_signature predict_signature_def "
        "regression_signature_def"),
    "metarun.saved_model.utils": "build_tensor_info get_tensor_from_tensor_info",
    "metarun.saved_model.main_op": "main_op_with_restore",
    "metarun.saved_model._simple_save": "simple_save",
}, submodules=(
    "builder constants loader main_op signature_constants signature_def_utils tag_constants utils"))
