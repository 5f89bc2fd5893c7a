"""ONNX export of TF1 inference graphs, without TensorFlow.

    import metarun.onnx
    model = metarun.onnx.export("model.meta", outputs=["probs"], path="model.onnx")

The graph is frozen (the variables become constants, as `metarun freeze` does), cut to what the
outputs need and, when `inputs` names internal tensors, cut there too; constant subgraphs are
computed once by metarun itself; each remaining TF op is mapped to ONNX ops with TF's semantics,
and a small optimizer cancels the NHWC<->NCHW transposes around convolutions and fuses
MatMul+bias into Gemm, bias adds and folded batch norms into Conv. ONNX input and output names
are the TF tensor names (`x:0`), and unknown dimensions stay symbolic.

What cannot be mapped (control flow today: while loops, cond, functions) raises
UnsupportedOpsError listing the op types; no model is written then.

Needs the `onnx` package (`pip install "metarun[onnx]"`); `import metarun` does not import it.
"""

from metarun.onnx.export import UnsupportedOpsError, export, supported_op_types

__all__ = ["export", "UnsupportedOpsError", "supported_op_types"]
