"""What the ONNX export tests share: an onnxruntime session on one thread. onnxruntime is
imported when a test calls it, so collecting the suite never loads it."""


def session(model):
    """An onnxruntime InferenceSession of an onnx.ModelProto, one thread, CPU."""
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    return ort.InferenceSession(model.SerializeToString(), opts,
                                providers=["CPUExecutionProvider"])
