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


# -- checkpoint bookkeeping ---------------------------------------------------------------------

def _seed_session():
    g = tf.Graph()
    with g.as_default():
        saver = tf.train.import_meta_graph(os.path.join(SEED, "model_ex1.meta"))
    sess = tf.Session(graph=g)
    saver.restore(sess, os.path.join(SEED, "model_ex1"))
    return g, sess


def _saver(g, max_to_keep):
    with g.as_default():
        return tf.train.Saver(max_to_keep=max_to_keep)


def _on_disk(d):
    return sorted({f.split(".")[0] for f in os.listdir(d) if f.startswith("m-")}, key=lambda s: int(s[2:]))


def test_the_state_file_lists_only_the_kept_checkpoints(tmp_path):
    g, sess = _seed_session()
    saver = _saver(g, 2)
    for step in range(4):
        saver.save(sess, str(tmp_path / "m"), global_step=step, write_meta_graph=False)
        state = tf.train.get_checkpoint_state(str(tmp_path))
        kept = [os.path.basename(p) for p in state.all_model_checkpoint_paths]
        assert kept == ["m-%d" % s for s in range(max(0, step - 1), step + 1)]
        assert _on_disk(tmp_path) == kept


def test_restarts_that_recover_the_last_checkpoints_never_keep_more_than_max_to_keep(tmp_path):
    g, sess = _seed_session()
    step = 0
    for restart in range(6):
        saver = _saver(g, 3)  # a new process
        state = tf.train.get_checkpoint_state(str(tmp_path))
        if state is not None:
            saver.recover_last_checkpoints(list(state.all_model_checkpoint_paths))
        if restart == 3:  # someone removed a checkpoint in the middle of the list
            victim = state.all_model_checkpoint_paths[1]
            for f in os.listdir(tmp_path):
                if f.startswith(os.path.basename(victim) + "."):
                    os.remove(os.path.join(tmp_path, f))
        for _ in range(2):
            saver.save(sess, str(tmp_path / "m"), global_step=step, write_meta_graph=False)
            step += 1
        assert len(_on_disk(tmp_path)) <= 3
    state = tf.train.get_checkpoint_state(str(tmp_path))
    assert [os.path.basename(p) for p in state.all_model_checkpoint_paths] == _on_disk(tmp_path)


def test_recover_last_checkpoints_pairs_each_path_with_its_own_mtime(tmp_path):
    g, sess = _seed_session()
    saver = _saver(g, 5)
    paths = [saver.save(sess, str(tmp_path / "m"), global_step=s, write_meta_graph=False) for s in range(3)]
    os.utime(paths[2] + ".index", (1000, 1000))
    for f in os.listdir(tmp_path):
        if f.startswith("m-0."):
            os.remove(os.path.join(tmp_path, f))
    fresh = _saver(g, 5)
    fresh.recover_last_checkpoints(paths)
    assert fresh._last_checkpoints == [(paths[1], os.stat(paths[1] + ".index").st_mtime), (paths[2], 1000)]


def test_a_save_removes_what_a_killed_save_of_the_same_prefix_left(tmp_path):
    g, sess = _seed_session()
    saver = _saver(g, 5)
    prefix = str(tmp_path / "m")
    stale = [prefix + ".data-00000-of-00001.tempstate123", prefix + ".index.tempstate456"]
    fresh_tmp = prefix + ".index.tempstate789"  # a concurrent writer's, still being written
    other = str(tmp_path / "other.index.tempstate1")
    for p in stale + [fresh_tmp, other]:
        open(p, "wb").close()
    for p in stale + [other]:
        os.utime(p, (1000, 1000))
    saver.save(sess, prefix, write_meta_graph=False)
    left = sorted(os.listdir(tmp_path))
    assert [os.path.basename(p) for p in stale if os.path.basename(p) in left] == []
    assert os.path.basename(fresh_tmp) in left and os.path.basename(other) in left


class _FullDisk(object):
    """A file on a full disk: every write fails with ENOSPC."""

    def __init__(self, f):
        self._f = f

    def write(self, buf):
        import errno
        raise OSError(errno.ENOSPC, "No space left on device")

    def close(self):
        self._f.close()


def test_a_full_disk_is_resource_exhausted_and_leaves_the_last_checkpoint_intact(tmp_path, monkeypatch):
    from metarun.bundle import v2
    g, sess = _seed_session()
    saver = _saver(g, 5)
    first = saver.save(sess, str(tmp_path / "m"), global_step=1, write_meta_graph=False)
    before = sorted(os.listdir(tmp_path))
    real_init = v2.BundleWriter.__init__

    def init_on_full_disk(self, prefix):
        real_init(self, prefix)
        self._file = _FullDisk(self._file)

    monkeypatch.setattr(v2.BundleWriter, "__init__", init_on_full_disk)
    with pytest.raises(tf.errors.ResourceExhaustedError, match="No space left on device"):
        saver.save(sess, str(tmp_path / "m"), global_step=2, write_meta_graph=False)
    assert sorted(os.listdir(tmp_path)) == before
    assert tf.train.latest_checkpoint(str(tmp_path)) == first


# -- attrs that ask for huge output counts are refused before anything is allocated ------------

_HUGE_COUNTS = r'''
import json, os, resource, sys, time
if "asan" not in os.environ.get("LD_PRELOAD", ""):  # ASan's shadow memory needs terabytes of address space
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
import metarun as tf
from metarun.framework import protos


def node(gd, name, op, inputs=(), **attrs):
    n = gd.node.add(name=name, op=op, input=list(inputs))
    for key, value in attrs.items():
        if isinstance(value, list):
            n.attr[key].list.type.extend(value)
        elif key in ("T", "dtype"):
            n.attr[key].type = value
        else:
            n.attr[key].i = value
    return n


def graph(case):
    gd = protos.GraphDef()
    node(gd, "x", "Placeholder", dtype=1)
    node(gd, "d", "Placeholder", dtype=3)
    if case == "unpack":
        node(gd, "n", "Unpack", ["x"], num=100000000, T=1, axis=0)
    elif case == "split":
        node(gd, "n", "Split", ["d", "x"], num_split=1000000000, T=1)
    elif case == "addn":
        node(gd, "n", "AddN", ["x", "x"], N=100000000, T=1)
    elif case == "concat":
        node(gd, "n", "ConcatV2", ["x", "x", "d"], N=100000000, T=1)
    elif case == "identityn":
        node(gd, "n", "IdentityN", ["x"], T=[1] * 3000000)
    elif case == "many":  # each node under the per-node bound, together far over
        for i in range(64):
            node(gd, "n%d" % i, "Unpack", ["x"], num=1 << 20, T=1, axis=0)
    return gd


out = {}
for case in sys.argv[1:]:
    start = time.time()
    try:
        with tf.Graph().as_default() as g:
            tf.import_graph_def(graph(case), name="")
        out[case] = ["ok", ""]
    except Exception as e:  # noqa: BLE001 -- reported to the test
        out[case] = [type(e).__name__, str(e)[:200]]
    out[case].append(time.time() - start)
    out[case].append(len(g.get_operations()))
print(json.dumps(out))
'''


def test_attrs_asking_for_huge_output_counts_are_refused_within_2gb_and_seconds():
    import json
    import subprocess
    import sys
    cases = ["unpack", "split", "addn", "concat", "identityn", "many"]
    import metarun
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(metarun.__file__)))  # the metarun under test
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([package_root, os.environ.get("PYTHONPATH", "")]))
    proc = subprocess.run([sys.executable, "-c", _HUGE_COUNTS] + cases, env=env, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    for case in cases:
        cls, message, seconds, ops_added = out[case]
        assert cls == "ValueError" and "Node 'n" in message, (case, cls, message)
        assert "at most" in message or "in all" in message, (case, message)
        assert ops_added == 0 and seconds < 20, (case, seconds)
