"""tf.compat.v1.saved_model.signature_def_utils: SignatureDefs, the named entry points of a
SavedModel (input and output keys mapped to tensors, and a method name), as TF builds and
checks them. Messages and checks follow TF's, dtype numbers included."""

from metarun.framework import dtypes
from metarun.framework import protos
from metarun.saved_model import signature_constants as sc
from metarun.saved_model import utils
from metarun.saved_model._method_name_updater import MethodNameUpdater  # noqa: F401 -- TF exports it here

_STRING = dtypes.string.as_datatype_enum
_FLOAT = dtypes.float32.as_datatype_enum


def build_signature_def(inputs=None, outputs=None, method_name=None, defaults=None):
    """A SignatureDef from dicts of key -> TensorInfo. `defaults` maps an input key to a
    Const tensor whose value the signature records as the input's default."""
    sig = protos.SignatureDef()
    for key, info in (inputs or {}).items():
        sig.inputs[key].CopyFrom(info)
    for key, info in (outputs or {}).items():
        sig.outputs[key].CopyFrom(info)
    if method_name is not None:
        sig.method_name = method_name
    for key, default in (defaults or {}).items():
        op = getattr(default, "op", None)
        if op is None or op.type != "Const":
            raise ValueError("Unable to convert object %s of type %s to TensorProto."
                             % (default, type(default)))
        sig.defaults[key].CopyFrom(op._node_def.attr["value"].tensor)
    return sig


def _is_tensor(x):
    from metarun.framework.graph import Tensor
    return isinstance(x, Tensor)


def regression_signature_def(examples, predictions):
    """A Regress signature: one string input `inputs` (serialized tf.Examples), one float
    output `outputs`."""
    if examples is None:
        raise ValueError("Regression `examples` cannot be None.")
    if not _is_tensor(examples):
        raise ValueError("Expected regression `examples` to be of type Tensor. Found `examples` of "
                         "type %s." % type(examples))
    if predictions is None:
        raise ValueError("Regression `predictions` cannot be None.")
    inp = utils.build_tensor_info(examples)
    if inp.dtype != _STRING:
        raise ValueError("Regression input tensors must be of type string. Found tensors with type %d."
                         % inp.dtype)
    out = utils.build_tensor_info(predictions)
    if out.dtype != _FLOAT:
        raise ValueError("Regression output tensors must be of type float. Found tensors with type %d."
                         % out.dtype)
    return build_signature_def({sc.REGRESS_INPUTS: inp}, {sc.REGRESS_OUTPUTS: out}, sc.REGRESS_METHOD_NAME)


def classification_signature_def(examples, classes, scores):
    """A Classify signature: string input `inputs`; a string `classes` output and/or a float
    `scores` output."""
    if examples is None:
        raise ValueError("Classification `examples` cannot be None.")
    if not _is_tensor(examples):
        raise ValueError("Classification `examples` must be a string Tensor. Found `examples` of "
                         "type %s." % type(examples))
    if classes is None and scores is None:
        raise ValueError("Classification `classes` and `scores` cannot both be None.")
    inp = utils.build_tensor_info(examples)
    if inp.dtype != _STRING:
        raise ValueError("Classification input tensors must be of type string. Found tensors of "
                         "type %d" % inp.dtype)
    outputs = {}
    if classes is not None:
        info = utils.build_tensor_info(classes)
        if info.dtype != _STRING:
            raise ValueError("Classification classes must be of type string Tensor. Found tensors of "
                             "type %d.`" % info.dtype)
        outputs[sc.CLASSIFY_OUTPUT_CLASSES] = info
    if scores is not None:
        info = utils.build_tensor_info(scores)
        if info.dtype != _FLOAT:
            raise ValueError("Classification scores must be a float Tensor.")
        outputs[sc.CLASSIFY_OUTPUT_SCORES] = info
    return build_signature_def({sc.CLASSIFY_INPUTS: utils.build_tensor_info(examples)}, outputs,
                               sc.CLASSIFY_METHOD_NAME)


def predict_signature_def(inputs, outputs):
    """A Predict signature from dicts of key -> tensor (any dtypes, any number)."""
    if not inputs:
        raise ValueError("Prediction `inputs` cannot be None or empty.")
    if not outputs:
        raise ValueError("Prediction `outputs` cannot be None or empty.")
    return build_signature_def({k: utils.build_tensor_info(t) for k, t in inputs.items()},
                               {k: utils.build_tensor_info(t) for k, t in outputs.items()},
                               sc.PREDICT_METHOD_NAME)


def op_signature_def(op, key):
    """A signature whose one output `key` names the operation `op`."""
    return build_signature_def(outputs={key: utils.build_tensor_info_from_op(op)})


def is_valid_signature(signature_def):
    """Whether the SignatureDef is one TensorFlow Serving can serve: a Classify or Regress
    signature with the keys and dtypes those APIs require, or a Predict signature with at
    least one input and one output."""
    if signature_def is None:
        return False
    return (_valid_classification(signature_def) or _valid_regression(signature_def)
            or _valid_predict(signature_def))


def _valid_predict(sig):
    return sig.method_name == sc.PREDICT_METHOD_NAME and len(sig.inputs) > 0 and len(sig.outputs) > 0


def _valid_regression(sig):
    return (sig.method_name == sc.REGRESS_METHOD_NAME
            and set(sig.inputs) == {sc.REGRESS_INPUTS} and sig.inputs[sc.REGRESS_INPUTS].dtype == _STRING
            and set(sig.outputs) == {sc.REGRESS_OUTPUTS} and sig.outputs[sc.REGRESS_OUTPUTS].dtype == _FLOAT)


def _valid_classification(sig):
    if sig.method_name != sc.CLASSIFY_METHOD_NAME:
        return False
    if set(sig.inputs) != {sc.CLASSIFY_INPUTS} or sig.inputs[sc.CLASSIFY_INPUTS].dtype != _STRING:
        return False
    keys = set(sig.outputs)
    if not keys or keys - {sc.CLASSIFY_OUTPUT_CLASSES, sc.CLASSIFY_OUTPUT_SCORES}:
        return False
    if sc.CLASSIFY_OUTPUT_CLASSES in keys and sig.outputs[sc.CLASSIFY_OUTPUT_CLASSES].dtype != _STRING:
        return False
    return not (sc.CLASSIFY_OUTPUT_SCORES in keys and sig.outputs[sc.CLASSIFY_OUTPUT_SCORES].dtype != _FLOAT)
