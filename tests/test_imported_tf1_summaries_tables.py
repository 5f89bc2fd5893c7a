"""A TF1 script's files carrying summaries and lookup tables, written by TensorFlow
(tests/fixtures/imported_tf1/gen_imported_tf1.py): imported, restored and run by metarun, they give
TF's bytes for tf.summary.merge_all() built on the imported graph and for each summary op of the
`summaries` collection, TF's lookups through a vocabulary table read from a relative asset path,
and the mutable table the Saver restored; the merged summary written by a FileWriter reads back."""
import json
import os

import numpy as np
import pytest

import metarun as tf

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "imported_tf1", "files")
with open(os.path.join(HERE, "expected.json")) as _f:
    EXPECTED = json.load(_f)
FEED = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], np.float32)
WORDS = np.array([b"cat", b"dog", b"mat", b"the"])


@pytest.fixture
def in_export_folder():
    cwd = os.getcwd()
    os.chdir(HERE)  # the vocabulary's path in the graph is relative to it
    try:
        yield
    finally:
        os.chdir(cwd)


def test_imported_summaries_and_tables_compute_what_tf_did(in_export_folder, tmp_path):
    with tf.Graph().as_default() as g:
        saver = tf.train.import_meta_graph("model.meta")
        merged = tf.summary.merge_all()
        feed = {"x:0": FEED, "words:0": WORDS}
        with tf.Session() as sess:
            saver.restore(sess, "model")
            sess.run(tf.tables_initializer())
            got = sess.run(merged, feed)
            assert got.hex() == EXPECTED["merged"]
            each = [[t.name, sess.run(t, feed).hex()] for t in g.get_collection(tf.GraphKeys.SUMMARIES)]
            assert each == EXPECTED["each"]
            for name in ("ids", "back", "counts_found"):
                values = [v.decode() if isinstance(v, bytes) else int(v) for v in sess.run(name + ":0", feed)]
                assert values == EXPECTED[name], name
            assert [a.name for a in g.get_collection(tf.GraphKeys.ASSET_FILEPATHS)] == EXPECTED["assets"]
        writer = tf.summary.FileWriter(str(tmp_path), graph=g)
        writer.add_summary(got, global_step=3)
        writer.close()
    events = [e for name in sorted(os.listdir(str(tmp_path)))
              for e in tf.train.summary_iterator(str(tmp_path / name))]
    assert [e.WhichOneof("what") for e in events] == ["file_version", "graph_def", "meta_graph_def", "summary"]
    assert events[-1].step == 3 and events[-1].summary.SerializeToString() == got
