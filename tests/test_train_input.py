"""tf.train input functions beyond the dual-run scripts (qr_*): match_filenames_once lists the
files of a pattern (checked against glob) in a local variable, as TF builds it; a one-key dict
batch comes back as a dict."""
import glob
import os

import pytest

import metarun as tf


def test_match_filenames_once_is_a_local_variable_of_the_matching_files(tmp_path):
    for name in ("b.txt", "a.txt", "c.csv"):
        (tmp_path / name).write_bytes(b"")
    pattern = os.path.join(str(tmp_path), "*.txt")
    with tf.Graph().as_default():
        files = tf.train.match_filenames_once(pattern)
        assert files.op.name == "matching_filenames" and files.shape.ndims is None
        assert tf.local_variables() == [files] and tf.global_variables() == []
        assert [op.type for op in tf.get_default_graph().get_operations()] == [
            "Const", "MatchingFiles", "VariableV2", "Assign", "Identity"]
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            assert [f.decode() for f in sess.run(files)] == sorted(glob.glob(pattern))


def test_one_key_dict_batch():
    with tf.Graph().as_default():
        v = tf.train.range_input_producer(3, num_epochs=1, shuffle=False).dequeue()
        out = tf.train.batch({"only": v}, batch_size=3)
        assert list(out) == ["only"] and out["only"].shape.as_list() == [3]
        with tf.Session() as sess:
            sess.run(tf.local_variables_initializer())
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            assert sess.run(out)["only"].tolist() == [0, 1, 2]
            coord.request_stop()
            coord.join(threads, stop_grace_period_secs=5)


def test_batch_of_values_that_are_not_tensors_converts_them_as_tf_does():
    # TF 2.21: a SparseTensorValue fails tensor conversion (ValueError), an IndexedSlices
    # with a dense_shape is batched as its dense value, one without is a ValueError.
    with tf.Graph().as_default():
        with pytest.raises(ValueError):
            tf.train.batch([tf.SparseTensorValue([[0]], [1.0], [3])], batch_size=2)
        with pytest.raises(ValueError):
            tf.train.batch([tf.IndexedSlices(tf.constant([[1.0]]), tf.constant([0]))], batch_size=2)
        slices = tf.IndexedSlices(tf.constant([[5.0]]), tf.constant([1]), tf.constant([2, 1]))
        out = tf.train.batch([slices], batch_size=2)
        assert out.shape.as_list() == [2, 2, 1]
        with tf.Session() as sess:
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            assert sess.run(out).tolist() == [[[0.0], [5.0]], [[0.0], [5.0]]]
            coord.request_stop()
            coord.join(threads, stop_grace_period_secs=5)
