"""What a busy server and a crashing training loop need: per-thread default graphs and
sessions, and TF's checkpoint bookkeeping across saves, kills and restarts."""
import os
import threading

import numpy as np
import pytest

import metarun as tf

SEED = os.path.join(os.path.dirname(__file__), "fixtures", "cases", "seed_ex1_ref")
FEED = {"v1:0": 12.0, "v2:0": 3.3}


# -- default graph and session are per thread, as TF's ---------------------------------------

def test_threads_importing_into_their_own_default_graphs_do_not_see_each_other():
    main_graph = tf.get_default_graph()
    main_ops = len(main_graph.get_operations())
    results, failures = [], []
    start = threading.Barrier(8)

    def work():
        try:
            start.wait()
            for _ in range(10):
                with tf.Graph().as_default() as g:
                    saver = tf.train.import_meta_graph(os.path.join(SEED, "model_ex1.meta"))
                    assert tf.get_default_graph() is g
                    with tf.Session() as s:
                        assert tf.get_default_session() is s
                        saver.restore(s, os.path.join(SEED, "model_ex1"))
                        results.append(s.run("v4:0", FEED))
                    # Only this import's nodes: another thread's would make names like v4_1.
                    assert g.get_operation_by_name("v4") and "v4_1" not in [o.name for o in g.get_operations()]
        except Exception as e:  # noqa: BLE001 -- collected and reported below
            failures.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert len(results) == 80 and all(r == np.float32(59.6) for r in results)
    assert tf.get_default_graph() is main_graph and len(main_graph.get_operations()) == main_ops


def test_a_thread_without_its_own_graph_sees_the_global_default_graph():
    seen = []
    with tf.Graph().as_default() as mine:
        t = threading.Thread(target=lambda: seen.append(tf.get_default_graph()))
        t.start()
        t.join()
        assert tf.get_default_graph() is mine
    assert seen[0] is not mine and seen[0] is tf.get_default_graph()


def test_the_default_session_is_per_thread():
    seen = []
    with tf.Graph().as_default():
        with tf.Session() as s:
            t = threading.Thread(target=lambda: seen.append(tf.get_default_session()))
            t.start()
            t.join()
            assert tf.get_default_session() is s
    assert seen == [None]
