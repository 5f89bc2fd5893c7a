"""Runs every dual-run script under TensorFlow (tf.compat.v1, graph mode) and records its
results in tests/dualrun/expected/. Run with TensorFlow's venv:

    python tests/dualrun/gen_expected.py [names...]
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")  # tf.layers needs tf_keras under TF 2.x
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _dualrun  # noqa: E402
import tensorflow.compat.v1 as tf  # noqa: E402

tf.disable_v2_behavior()


def main(names):
    for name in names or _dualrun.script_names():
        tf.reset_default_graph()
        _, results = _dualrun.run_script(tf, name)
        _dualrun.write_expected(name, results)
        print("wrote", name, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
