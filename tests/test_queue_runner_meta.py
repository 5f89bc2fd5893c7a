"""A TF1 training script's files with queue-based input (written by TensorFlow:
tests/fixtures/kernels/gen_queue_runners.py): the `queue_runners` collection comes back as
QueueRunner objects naming TF's ops, the checkpoint restores, and training resumes with the queue
runners started under a Coordinator until the input runs out; the losses, batches and final
weights are TensorFlow's. A meta graph metarun exports again carries the same QueueRunnerDefs."""
import json
import os

import numpy as np
import pytest

import metarun as tf

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "kernels", "queue_runners")
PREFIX = os.path.join(HERE, "model")
with open(os.path.join(HERE, "expected.json")) as _f:
    EXPECTED = json.load(_f)


def _describe(qr):
    return [qr.name, [op.name for op in qr.enqueue_ops], qr.close_op.name, qr.cancel_op.name,
            [tf.errors.error_code_from_exception_type(t) for t in qr.queue_closed_exception_types]]


@pytest.mark.parametrize("scope", [None, "imp"])
def test_imported_queue_runners_resume_training_as_tf(scope):
    want = EXPECTED["scoped" if scope else "plain"]
    with tf.Graph().as_default() as g:
        saver = tf.train.import_meta_graph(PREFIX + ".meta", import_scope=scope)
        runners = g.get_collection(tf.GraphKeys.QUEUE_RUNNERS)
        assert all(isinstance(qr, tf.train.QueueRunner) for qr in runners)
        assert [_describe(qr) for qr in runners] == want["runners"]
        train_op = g.get_collection("train_op")[0]
        labels = g.get_collection("labels")[0]
        loss = g.get_tensor_by_name((scope + "/" if scope else "") + "loss:0")
        with tf.Session() as sess:
            saver.restore(sess, PREFIX)
            sess.run(tf.local_variables_initializer())
            coord = tf.train.Coordinator()
            threads = tf.train.start_queue_runners(sess, coord)
            assert len(threads) == want["threads"]
            losses, seen = [], []
            with pytest.raises(tf.errors.OutOfRangeError):
                for _ in range(100):
                    _, l, lab = sess.run([train_op, loss, labels])
                    losses.append(float(l))
                    seen.append(lab.ravel().tolist())
            coord.request_stop()
            coord.join(threads, stop_grace_period_secs=5)
            assert not any(t.is_alive() for t in threads)
            assert seen == want["labels"]
            np.testing.assert_allclose(losses, want["losses"], rtol=1e-6)
            for got, exp in zip(sess.run(tf.global_variables()), want["weights"]):
                np.testing.assert_allclose(got, exp, rtol=1e-6, atol=1e-7)


def test_reexported_meta_graph_keeps_the_queue_runner_defs():
    original = tf.MetaGraphDef()
    with open(PREFIX + ".meta", "rb") as f:
        original.ParseFromString(f.read())
    with tf.Graph().as_default():
        tf.train.import_meta_graph(PREFIX + ".meta")
        again = tf.train.export_meta_graph()
    assert list(again.collection_def["queue_runners"].bytes_list.value) == \
        list(original.collection_def["queue_runners"].bytes_list.value)
    with tf.Graph().as_default():
        tf.train.import_meta_graph(again)
        names = [qr.name for qr in tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS)]
    assert names == [r[0] for r in EXPECTED["plain"]["runners"]]
