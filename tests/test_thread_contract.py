"""README's thread-safety contract, the part no other test covers: runs in other threads go on
while one thread adds ops to the graph they run, each getting the value numpy computes."""
import threading

import numpy as np

import metarun as tf


def test_runs_go_on_while_another_thread_builds_the_graph():
    with tf.Graph().as_default() as g:
        x = tf.placeholder(tf.float32, [None, 4])
        w = np.arange(16, dtype=np.float32).reshape(4, 4)
        y = tf.reduce_sum(tf.matmul(x, w))
        feed = np.ones((2, 4), np.float32)
        want = float((feed @ w).sum())
        with tf.Session(graph=g) as s:
            stop = threading.Event()
            failures, counts = [], []

            def runner():
                n = 0
                while not stop.is_set():
                    try:
                        if s.run(y, {x: feed}) != want:
                            failures.append("wrong value")
                    except Exception as e:  # noqa: BLE001 -- any failure is the finding
                        failures.append(repr(e))
                        return
                    n += 1
                counts.append(n)

            threads = [threading.Thread(target=runner) for _ in range(3)]
            for t in threads:
                t.start()
            got = [s.run(tf.add(y, float(i)), {x: feed}) for i in range(200)]
            stop.set()
            for t in threads:
                t.join()
    assert failures == []
    assert got == [want + i for i in range(200)]
    assert len(counts) == 3 and min(counts) > 0
