"""tf.logging against TensorFlow 2.21: the lines a script logs (levels, default verbosity,
log_every_n/log_first_n counters, fatal not exiting, flush raising), recorded by gen_pyapi.py."""
import logging

import metarun as tf
from pyapi_replay import expected, metarun_scripts


def test_script_log_lines():
    got, want = metarun_scripts()["logging"], expected()["scripts"]["logging"]
    assert got["log"] == want["log"]
    assert got["stdout"] == want["stdout"]
    assert got["returncode"] == want["returncode"] == 0


def test_constants_and_logger():
    assert (tf.logging.DEBUG, tf.logging.INFO, tf.logging.WARN, tf.logging.ERROR, tf.logging.FATAL) == (
        logging.DEBUG, logging.INFO, logging.WARN, logging.ERROR, logging.FATAL)
    assert not hasattr(tf.logging, "WARNING")  # tf.compat.v1.logging has WARN only


def test_set_verbosity_sets_tensorflow_logger(caplog):
    logger = logging.getLogger("tensorflow")
    old = logger.level
    try:
        tf.logging.set_verbosity(tf.logging.ERROR)
        assert tf.logging.get_verbosity() == logging.ERROR
        with caplog.at_level(logging.INFO, logger="tensorflow"):
            tf.logging.info("value %d", 7)
        assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [("tensorflow", 20, "value 7")]
        assert caplog.records[0].filename == "test_logging.py"  # the caller, not tf_logging.py
    finally:
        logger.setLevel(old)


def test_stdlib_logging_not_shadowed():
    import metarun.train.meta_graph as meta_graph
    assert meta_graph.logging is logging
