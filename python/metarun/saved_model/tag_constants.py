"""tf.compat.v1.saved_model.tag_constants: the usual tags of a MetaGraphDef in a SavedModel."""

SERVING = "serve"
TRAINING = "train"
EVAL = "eval"
GPU = "gpu"
TPU = "tpu"
