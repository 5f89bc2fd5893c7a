"""tf.compat.v1.saved_model.constants: the names of a SavedModel directory's parts and of the
collections its loader reads. The values are TensorFlow's, since files are shared with it."""

# assets/: files a graph needs at load time (vocabularies), fed to it as paths.
ASSETS_DIRECTORY = "assets"
# The collection of AssetFileDefs (packed in Any) that TF1's SavedModelBuilder writes.
ASSETS_KEY = "saved_model_assets"
# assets.extra/: files for the model's users, never read by the loader.
EXTRA_ASSETS_DIRECTORY = "assets.extra"
DEBUG_DIRECTORY = "debug"
DEBUG_INFO_FILENAME_PB = "saved_model_debug_info.pb"
# The collections holding the one op run after the variables are restored; the legacy name
# is read only when the main op's is absent.
LEGACY_INIT_OP_KEY = "legacy_init_op"
MAIN_OP_KEY = "saved_model_main_op"
TRAIN_OP_KEY = "saved_model_train_op"
# Signature keys TF2's builder uses for the init and train ops instead of collections.
INIT_OP_SIGNATURE_KEY = "__saved_model_init_op"
TRAIN_OP_SIGNATURE_KEY = "__saved_model_train_op"
SAVED_MODEL_SCHEMA_VERSION = 1
SAVED_MODEL_FILENAME_PREFIX = "saved_model"
SAVED_MODEL_FILENAME_PB = "saved_model.pb"
SAVED_MODEL_FILENAME_PBTXT = "saved_model.pbtxt"
SAVED_MODEL_FILENAME_CPB = "saved_model.cpb"
# variables/variables.index and .data-*: one checkpoint shared by every MetaGraphDef.
VARIABLES_DIRECTORY = "variables"
VARIABLES_FILENAME = "variables"
