"""Write python/metarun/framework/_op_list.pb: TensorFlow's op signatures.

The file is an OpList (our wire-compatible proto) holding, for every op
TensorFlow registers, its input/output args and attrs with defaults --
descriptions and summaries stripped. metarun uses it to type the outputs of
nodes and to fill attrs that old graphs omit, when a MetaGraphDef carries no
`stripped_op_list` of its own, and to build new ops (Saver, initializers). Each op's `deprecation` (the GraphDef
version that removed it and TF's advice) is kept: importing a graph whose producer
is at or past that version fails as it does in TF.

Needs TensorFlow (only here): `python tools/gen_op_list.py` in an environment
with `pip install tensorflow-cpu`.
"""
import os
import re

from tensorflow.core.framework import op_def_pb2
from tensorflow.python.framework import op_def_registry

_SKIP = re.compile(r"^(_|Xla|Tpu|TPU|Collective|Nccl|Mkl|Cudnn|Gru|Lstm)")


def main():
    import tensorflow as tf  # registers every op
    names = [n for n in dir(tf.raw_ops) if not n.startswith("_")]
    ops = {n: op_def_registry.get(n) for n in names}
    out = op_def_pb2.OpList()
    for name in sorted(ops):
        op = ops[name]
        if op is None or _SKIP.match(name):
            continue
        d = out.op.add()
        d.CopyFrom(op)
        d.summary = ""
        d.description = ""
        for arg in list(d.input_arg) + list(d.output_arg):
            arg.description = ""
            arg.ClearField("experimental_full_type")
        for attr in d.attr:
            attr.description = ""
    path = os.path.join(os.path.dirname(__file__), "..", "python", "metarun", "framework", "_op_list.pb")
    with open(path, "wb") as f:
        f.write(out.SerializeToString())
    print("wrote %d ops, %d bytes" % (len(out.op), os.path.getsize(path)))


if __name__ == "__main__":
    main()
