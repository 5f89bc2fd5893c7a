"""Graph building in Python, side by side: a 20k-node graph built op by op, then tf.gradients
of it, in metarun and in TensorFlow (tf.compat.v1, graph mode), each in a fresh graph.

    python benchmarks/build.py [--rounds N] [--layers N]

Prints min / median / max seconds of each engine and the ratio of medians.
"""
import argparse
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "python"))


def build(tf, layers):
    """`layers` dense-like blocks of 10 ops each on a [None, 16] input (+ 2 variables per block)."""
    x = tf.placeholder(tf.float32, [None, 16], name="x")
    h = x
    for i in range(layers):
        w = tf.Variable(tf.ones([16, 16]) * 0.01, name="w%d" % i)
        h = tf.tanh(tf.matmul(h, w) + 0.1) * 0.5 + h
    loss = tf.reduce_mean(tf.square(h))
    return loss, tf.trainable_variables()


def time_engine(tf, layers, rounds):
    builds, grads, nodes = [], [], 0
    for _ in range(rounds):
        with tf.Graph().as_default() as g:
            t0 = time.perf_counter()
            loss, variables = build(tf, layers)
            t1 = time.perf_counter()
            tf.gradients(loss, variables)
            t2 = time.perf_counter()
            builds.append(t1 - t0)
            grads.append(t2 - t1)
            nodes = (len(g.as_graph_def().node), nodes)[0]
    return builds, grads, nodes


def fmt(xs):
    return "%.3f / %.3f / %.3f s" % (min(xs), statistics.median(xs), max(xs))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--layers", type=int, default=550)  # about 20k nodes
    args = p.parse_args()
    import metarun
    engines = [("metarun", metarun)]
    try:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        import tensorflow.compat.v1 as tf1
        tf1.disable_v2_behavior()
        engines.append(("tensorflow", tf1))
    except ImportError:
        print("TensorFlow not importable: metarun only")
    print("load average: %.2f %.2f %.2f" % os.getloadavg())
    results = {}
    for name, tf in engines:
        builds, grads, nodes = time_engine(tf, args.layers, args.rounds)
        results[name] = (builds, grads)
        print("%-10s graph of %d nodes: build %s, tf.gradients %s" % (name, nodes, fmt(builds), fmt(grads)))
    if len(results) == 2:
        mb, mg = (statistics.median(x) for x in results["metarun"])
        tb, tg = (statistics.median(x) for x in results["tensorflow"])
        print("ratio metarun/TF (medians): build %.2fx, tf.gradients %.2fx" % (mb / tb, mg / tg))


if __name__ == "__main__":
    main()
