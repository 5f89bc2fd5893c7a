"""A graph with conds and while loops (one nested in the other) exported with export_meta_graph:
the cond_context / while_context collections hold TF's CondContextDef / WhileContextDef (names,
pivots, the values seen and the outside values' stand-ins); imported into a fresh graph the
contexts are rebuilt, export again the same, and the loops run."""
import os

import numpy as np


def _describe(meta, pb):
    out = []
    for key in ("cond_context", "while_context"):
        for raw in meta.collection_def[key].bytes_list.value:
            d = (pb.CondContextDef if key == "cond_context" else pb.WhileContextDef).FromString(raw)
            out.append(_text(d))
    return out


def _text(d):
    fields = []
    for f, v in sorted(d.ListFields(), key=lambda fv: fv[0].number):
        if f.name == "values_def":
            fields.append("values=" + ",".join(v.values))
            fields.append("external=" + ",".join("%s>%s" % kv for kv in sorted(v.external_values.items())))
        elif f.name == "nested_contexts":
            fields.append("nested=[%s]" % ";".join(_text(getattr(n, n.WhichOneof("ctxt"))) for n in v))
        elif hasattr(v, "__len__") and not isinstance(v, str):
            fields.append("%s=%s" % (f.name, ",".join(str(x) for x in v)))
        else:
            fields.append("%s=%s" % (f.name, v))
    return " ".join(fields)


def main(tf, workdir):
    try:
        from tensorflow.core.protobuf import control_flow_pb2 as pb
    except ImportError:
        from metarun.framework import protos as pb
    x = tf.placeholder(tf.float32, [], name="x")
    w = tf.Variable(1.5, name="w")
    r = tf.cond(x > 0, lambda: x * w, lambda: x - 1.0)
    loop = tf.while_loop(lambda i, a: i < 4,
                         lambda i, a: (i + 1, tf.cond(a > 10.0, lambda: a, lambda: a * x + w)),
                         [tf.constant(0), tf.constant(1.0)], name="loop")
    nested = tf.cond(x < 3, lambda: tf.while_loop(lambda k: k < 10.0, lambda k: k * 2.0 + x, [x + 1.5]),
                     lambda: tf.identity(x))
    tf.add_to_collection("outputs", r)
    tf.add_to_collection("outputs", loop[1])
    tf.add_to_collection("outputs", nested)
    path = os.path.join(workdir, "cf.meta")
    meta = tf.train.export_meta_graph(path)
    out = {"contexts": _describe(meta, pb)}
    with tf.Graph().as_default() as g2:
        tf.train.import_meta_graph(path)
        meta2 = tf.train.export_meta_graph()
        out["contexts_again"] = _describe(meta2, pb)
        out["types"] = [type(c).__name__ for c in g2.get_collection("cond_context") + g2.get_collection("while_context")]
        outputs = g2.get_collection("outputs")
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            for i, v in enumerate((2.0, 0.25)):
                out["run_%d" % i] = sess.run(outputs, {"x:0": v})
    with tf.Graph().as_default() as g3:
        tf.train.import_meta_graph(path, import_scope="imp")
        out["scoped"] = _describe(tf.train.export_meta_graph(), pb)
    return out
