"""While-loop execution details beyond the TF-made cases: interrupting a
loop that never ends, and pruning loops a run does not need."""

import os
import signal
import threading
import time

import numpy as np

from op_harness import load_npz
import pytest

import metarun as tf

CASE = os.path.join(os.path.dirname(__file__), "fixtures", "cases", "while_loops")


@pytest.fixture
def session():
    tf.reset_default_graph()
    saver = tf.train.import_meta_graph(os.path.join(CASE, "model.meta"))
    with tf.Session() as sess:
        saver.restore(sess, os.path.join(CASE, "model"))
        yield sess


def test_ctrl_c_stops_an_endless_loop_and_the_session_survives(session):
    expected = load_npz(os.path.join(CASE, "arrays.npz"))["s1_out0"]

    def interrupt(signum, frame):
        raise KeyboardInterrupt()

    old = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 0.3)
    start = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            session.run("total:0", {"n:0": np.int32(2**31 - 1)})  # ~2e9 iterations
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    assert time.monotonic() - start < 1.3
    np.testing.assert_allclose(session.run("total:0", {"n:0": np.int32(7)}), expected, rtol=1e-6)


def test_runs_that_do_not_need_the_loop_do_not_run_it(session):
    # Fetching the restored variable needs neither the fed bound nor the loop.
    assert session.run("scale:0") == np.float32(2.5)


def test_values_inside_a_loop_cannot_be_fetched(session):
    with pytest.raises(tf.errors.InvalidArgumentError, match="inside a while loop"):
        session.run("sum_loop/Merge:0", {"n:0": np.int32(3)})


def test_cancel_stops_runs_in_progress_however_many_runs_start_meanwhile(session):
    """Session-level cancel reaches the runs in progress; runs starting later
    (here, a thread starting short runs all the time) neither clear it nor are
    cancelled by it."""
    expected = load_npz(os.path.join(CASE, "arrays.npz"))["s1_out0"]
    core = session._core_session()
    stop = threading.Event()
    short_results = []

    def short_runs():
        while not stop.is_set():
            try:
                short_results.append(session.run("total:0", {"n:0": np.int32(7)}))
            except tf.errors.CancelledError:
                pass  # a short run that was in progress when cancel came

    worker = threading.Thread(target=short_runs)
    timer = threading.Timer(0.3, core.cancel)
    worker.start()
    timer.start()
    start = time.monotonic()
    try:
        with pytest.raises(tf.errors.CancelledError):
            session.run("total:0", {"n:0": np.int32(20_000_000)})  # ~15 s if never cancelled
    finally:
        stop.set()
        worker.join()
        timer.cancel()
    assert time.monotonic() - start < 5
    assert short_results
    for value in short_results:
        np.testing.assert_allclose(value, expected, rtol=1e-6)
    np.testing.assert_allclose(session.run("total:0", {"n:0": np.int32(7)}), expected, rtol=1e-6)
