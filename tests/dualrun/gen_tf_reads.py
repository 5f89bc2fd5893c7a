"""Writes each case of written_cases.py with metarun (this repository's python/, run by the
interpreter in $METARUN_PYTHON, default `python3`) into tests/dualrun/written/<case>/, then
reads it back with TensorFlow and records what TF computed in tf_results.npz there.

    python tests/dualrun/gen_tf_reads.py [cases...]   # with TensorFlow's venv
"""
import os
import shutil
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import _dualrun  # noqa: E402
import written_cases  # noqa: E402

WRITE = """
import sys
sys.path.insert(0, %r)
sys.path.insert(0, %r)
import metarun as tf
import written_cases
with tf.Graph().as_default():
    getattr(written_cases, "write_" + sys.argv[1])(tf, sys.argv[2])
"""


def main(cases):
    import tensorflow.compat.v1 as tf
    tf.disable_v2_behavior()
    python = os.environ.get("METARUN_PYTHON", "python3")
    for case in cases or written_cases.CASES:
        d = os.path.join(HERE, "written", case)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
        subprocess.run([python, "-c", WRITE % (os.path.join(REPO, "python"), HERE), case, d], check=True, env=env)
        os.remove(os.path.join(d, "checkpoint"))  # absolute paths of the writing machine; readers name files
        tf.reset_default_graph()
        with tf.Graph().as_default():
            results = getattr(written_cases, "read_" + case)(tf, d)
        arrays, index = _dualrun.flatten(results)
        import json
        import numpy as np
        arrays["__index__"] = np.frombuffer(json.dumps(index, sort_keys=True).encode(), np.uint8)
        np.savez_compressed(os.path.join(d, "tf_results.npz"), **arrays)
        print("wrote", os.path.relpath(d, REPO), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
