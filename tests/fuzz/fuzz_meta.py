"""Fuzz target: a .meta file's bytes -> MetaGraphDef (binary, else text format, as
`import_meta_graph` reads a file) -> `tf.train.import_meta_graph` into a fresh Graph -> when it
imports and is small, one Session run of one fetch the input picks.

Graphs that could block or loop for long (queues, barriers, staging areas, while loops) are
imported but not run.
"""
import sys

import _fuzzlib

MAX_RUN_NODES = 64
_SLOW = ("Queue", "Barrier", "Stage", "Enter", "Exit", "NextIteration", "LoopCond", "Sleep")


def _parse(data):
    from metarun.framework import protos
    meta = protos.MetaGraphDef()
    try:
        meta.ParseFromString(data)
        return meta
    except Exception:  # noqa: BLE001 -- not binary: text format, as the importer falls back
        pass
    return protos.parse_text_metagraph(data.decode("utf-8"))


def _one_fetch(graph, index):
    ops = graph.get_operations()
    if len(ops) > MAX_RUN_NODES or any(s in op.type for op in ops for s in _SLOW):
        return None
    outputs = [t for op in ops for t in op.outputs]
    return outputs[index % len(outputs)] if outputs else None


def TestOneInput(data):  # noqa: N802 -- atheris' name
    import metarun as tf
    expected = _fuzzlib.expected_exceptions() + (UnicodeDecodeError,)
    try:
        meta = _parse(data)
    except expected:
        return
    graph = tf.Graph()
    with graph.as_default():
        try:
            tf.train.import_meta_graph(meta)
        except expected:
            return
        fetch = _one_fetch(graph, data[-1] if data else 0)
        if fetch is None:
            return
        config = tf.ConfigProto(intra_op_parallelism_threads=1, inter_op_parallelism_threads=1)
        with tf.Session(graph=graph, config=config) as sess:
            try:
                sess.run(fetch)
            except expected:
                pass


if __name__ == "__main__":
    _fuzzlib.main("meta", TestOneInput)
