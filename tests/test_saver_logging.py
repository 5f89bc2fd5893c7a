"""Saver.restore logs "Restoring parameters from <prefix>" at INFO on the "tensorflow" logger,
as TF does: shown after tf.logging.set_verbosity(tf.logging.INFO), silent by default."""
import logging
import subprocess
import sys

import metarun as tf
from subproc import metarun_env

SCRIPT = """
import sys
import metarun as tf
v = tf.Variable(3.0, name="v")
saver = tf.train.Saver()
with tf.Session() as sess:
    sess.run(v.initializer)
    prefix = saver.save(sess, sys.argv[1])
    saver.restore(sess, prefix)
    print(sess.run(v))
"""


def _save(tmp_path):
    v = tf.Variable(3.0, name="v")
    saver = tf.train.Saver()
    sess = tf.Session()
    sess.run(v.initializer)
    return saver, sess, saver.save(sess, str(tmp_path / "model"))


def test_restore_logs_the_prefix_at_info(tmp_path, caplog):
    with tf.Graph().as_default():
        saver, sess, prefix = _save(tmp_path)
        with caplog.at_level(logging.INFO, logger="tensorflow"):
            saver.restore(sess, prefix)
        sess.close()
    messages = [(r.name, r.levelno, r.getMessage()) for r in caplog.records]
    assert ("tensorflow", logging.INFO, "Restoring parameters from " + prefix) in messages


def test_a_failed_check_logs_nothing(tmp_path, caplog):
    with tf.Graph().as_default():
        saver, sess, _ = _save(tmp_path)
        with caplog.at_level(logging.INFO, logger="tensorflow"):
            try:
                saver.restore(sess, str(tmp_path / "missing"))
            except ValueError as e:
                assert "not a valid checkpoint" in str(e)
            else:
                raise AssertionError("restoring a missing checkpoint did not fail")
        sess.close()
    assert not [r for r in caplog.records if "Restoring" in r.getMessage()]


def test_default_verbosity_prints_nothing(tmp_path):
    proc = subprocess.run([sys.executable, "-c", SCRIPT, str(tmp_path / "model")], capture_output=True,
                          text=True, env=metarun_env(), timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "3.0\n" and proc.stderr == ""
