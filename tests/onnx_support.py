"""What the ONNX export tests share: importing onnx and onnxruntime with their fixtures, and an
onnxruntime session on one thread. Both are imported when a test runs, so collecting the suite
never loads them."""
import os


def import_onnx(fixture_dir, arrays):
    """(onnx, onnxruntime), skipping the module cleanly without them; fills `arrays` from the
    fixture directory's arrays.npz."""
    import numpy as np
    import pytest
    onnx = pytest.importorskip("onnx")
    ort = pytest.importorskip("onnxruntime")
    with np.load(os.path.join(fixture_dir, "arrays.npz")) as a:
        arrays.update(a)
    return onnx, ort


def session(model):
    """An onnxruntime InferenceSession of an onnx.ModelProto, one thread, CPU."""
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
