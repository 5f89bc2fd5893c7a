"""metarun.io_policy: where the ops of a run may read and write, checked before they act, and
the run's tensor memory budget. Expected outcomes are the file system's own state (listings
before and after, the bytes written) and the values numpy computes."""
import os
import threading

import numpy as np
import pytest

import metarun as tf
from metarun import _core


def listing(root):
    out = []
    for d, dirs, files in os.walk(root):
        out += [os.path.relpath(os.path.join(d, n), root) for n in dirs + files]
    return sorted(out)


@pytest.fixture
def model(tmp_path):
    """A graph with one variable saved to tmp_path/model/m; returns (graph, saver, v, dirs)."""
    for d in ("model", "out", "other"):
        (tmp_path / d).mkdir()
    g = tf.Graph()
    with g.as_default():
        v = tf.Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="v")
        saver = tf.train.Saver()
        init = tf.global_variables_initializer()
    with tf.Session(graph=g) as s:
        s.run(init)
        saver.save(s, str(tmp_path / "model" / "m"))
    return g, saver, v, tmp_path


# -- paths ----------------------------------------------------------------------------------------

def test_normalize_path_resolves_dots_links_and_missing_tails(tmp_path, monkeypatch):
    (tmp_path / "a" / "b").mkdir(parents=True)
    os.symlink(tmp_path / "a" / "b", tmp_path / "link")
    os.symlink("a/b", tmp_path / "rel")
    os.symlink("/", tmp_path / "root")
    os.symlink(tmp_path / "loop", tmp_path / "loop")
    real = os.path.realpath(tmp_path)
    monkeypatch.chdir(tmp_path)
    norm = _core.normalize_path
    assert norm("a/./b/../b/f") == real + "/a/b/f"
    assert norm("link/f") == real + "/a/b/f"
    assert norm("rel/../x") == real + "/a/x"  # ".." after a link is taken from the link's target
    assert norm("root/etc/passwd") == "/etc/passwd"
    assert norm("new/dir/../f") == real + "/new/f"  # not there yet: lexical
    assert norm("/../../x") == "/x"
    assert norm("loop/x").startswith(real)  # a loop ends the resolution instead of hanging
    assert norm("") == ""
    for p in ("a/b/f", "link/f", "rel/../x", "new/dir/../f", "root/etc/passwd"):
        assert norm(p) == os.path.realpath(p), p


def test_allows_takes_whole_components_and_write_implies_read(tmp_path):
    pol = tf.io_policy(read=[str(tmp_path / "r")], write=[str(tmp_path / "w")])
    assert pol.allows(str(tmp_path / "r" / "x"))
    assert pol.allows(str(tmp_path / "r"))
    assert not pol.allows(str(tmp_path / "r" / "x"), write=True)
    assert not pol.allows(str(tmp_path / "rr" / "x"))  # a sibling sharing the prefix
    assert pol.allows(str(tmp_path / "w" / "x"), write=True)
    assert pol.allows(str(tmp_path / "w" / "x"))
    assert not pol.allows(str(tmp_path / "r" / ".." / "x"))
    assert pol.read == [os.path.realpath(tmp_path / "r")]
    assert tf.io_policy().allows("/") is False


def test_arguments_are_checked():
    with pytest.raises(TypeError):
        tf.io_policy(read="/tmp")
    with pytest.raises(ValueError):
        tf.io_policy(read=[""])
    with pytest.raises(ValueError):
        tf.io_policy(max_memory="lots")
    with pytest.raises(ValueError):
        tf.io_policy(max_memory=0)
    with pytest.raises(TypeError):
        tf.Session(io_policy="/tmp")
    sizes = {"1G": 1 << 30, "512M": 512 << 20, "1.5GiB": 3 << 29, "100": 100, "2kb": 2048, 7: 7}
    for text, want in sizes.items():
        assert tf.io_policy(max_memory=text).max_memory == want


# -- checkpoints --------------------------------------------------------------------------------

def test_save_outside_the_write_dirs_is_denied_and_writes_nothing(model):
    g, saver, v, root = model
    before = listing(root)
    with tf.Session(graph=g) as s, tf.io_policy(read=[str(root / "model")], write=[str(root / "out")]):
        saver.restore(s, str(root / "model" / "m"))
        with pytest.raises(tf.errors.PermissionDeniedError) as e:
            saver.save(s, str(root / "other" / "m"))
    msg = str(e.value)
    assert "save/SaveV2" in msg and "(SaveV2)" in msg and "may not write" in msg
    assert os.path.realpath(root / "other") in msg and "io_policy(write=" in msg
    assert listing(root) == before


def test_save_inside_the_write_dirs_writes_what_tf_would(model):
    g, saver, v, root = model
    with tf.Session(graph=g) as s, tf.io_policy(read=[str(root / "model")], write=[str(root / "out")]):
        saver.restore(s, str(root / "model" / "m"))
        s.run(v.assign(v * 2))
        saver.save(s, str(root / "out" / "m"))
        saver.restore(s, str(root / "out" / "m"))
        np.testing.assert_array_equal(s.run(v), np.arange(6, dtype=np.float32).reshape(2, 3) * 2)
    assert {"m.index", "m.data-00000-of-00001"} <= set(os.listdir(root / "out"))
    # The same bytes as a save without a policy.
    with tf.Session(graph=g) as s:
        saver.restore(s, str(root / "out" / "m"))
        saver.save(s, str(root / "other" / "m"))
    for f in ("m.index", "m.data-00000-of-00001"):
        assert (root / "out" / f).read_bytes() == (root / "other" / f).read_bytes()


def test_restore_from_another_folder_and_escapes_are_denied(model):
    g, saver, v, root = model
    os.symlink(root / "model", root / "out" / "link")
    pol = tf.io_policy(read=[str(root / "other")], write=[str(root / "out")])
    with tf.Session(graph=g) as s, pol:
        for prefix in (root / "model" / "m", root / "out" / ".." / "model" / "m", root / "out" / "link" / "m"):
            with pytest.raises(tf.errors.PermissionDeniedError) as e:
                saver.restore(s, str(prefix))
            assert "(RestoreV2) may not read" in str(e.value)
            assert os.path.realpath(root / "model" / "m.index") in str(e.value)
        with pytest.raises(tf.errors.FailedPreconditionError):
            s.run(v)  # nothing was restored


def test_v1_ops_and_the_sharded_saver_are_checked(model):
    g, _, v, root = model
    with g.as_default():
        sharded = tf.train.Saver(sharded=True)
        fname = tf.placeholder(tf.string, [])
        save_v1 = tf.raw_ops.Save(filename=fname, tensor_names=["v"], data=[v])
        restore_v1 = tf.raw_ops.Restore(file_pattern=fname, tensor_name="v", dt=tf.float32)
    with tf.Session(graph=g) as s:
        s.run(v.initializer)
        s.run(save_v1, {fname: str(root / "other" / "v1")})
        before = listing(root)
        with tf.io_policy(write=[str(root / "out")]):
            with pytest.raises(tf.errors.PermissionDeniedError, match=r"\(Save\) may not write"):
                s.run(save_v1, {fname: str(root / "model" / "v1")})
            with pytest.raises(tf.errors.PermissionDeniedError, match=r"\(Restore\) may not read"):
                s.run(restore_v1, {fname: str(root / "other" / "v1")})
            with pytest.raises(tf.errors.PermissionDeniedError, match=r"\(Restore\) may not read"):
                s.run(restore_v1, {fname: str(root / "other" / "v*")})  # a glob outside
            with pytest.raises(tf.errors.PermissionDeniedError, match=r"\(SaveV2\)"):
                sharded.save(s, str(root / "model" / "sh"))
            assert listing(root) == before
            sharded.save(s, str(root / "out" / "sh"))
            s.run(save_v1, {fname: str(root / "out" / "v1")})
            sharded.restore(s, str(root / "out" / "sh"))
            np.testing.assert_array_equal(s.run(restore_v1, {fname: str(root / "out" / "v*")}),
                                          np.arange(6, dtype=np.float32).reshape(2, 3))
    assert {"sh.index", "v1"} <= set(os.listdir(root / "out"))
    assert not [f for f in os.listdir(root / "out") if "temp" in f]


def test_merge_that_would_delete_a_folder_outside_is_denied(model):
    g, _, _, root = model
    (root / "other" / "tmpdir").mkdir()
    with tf.Graph().as_default():
        merge = tf.raw_ops.MergeV2Checkpoints(checkpoint_prefixes=[str(root / "other" / "tmpdir" / "x")],
                                              destination_prefix=str(root / "out" / "merged"),
                                              delete_old_dirs=True)
        before = listing(root)
        with tf.Session() as s, tf.io_policy(write=[str(root / "out")]):
            with pytest.raises(tf.errors.PermissionDeniedError, match="MergeV2Checkpoints"):
                s.run(merge)
    assert listing(root) == before


# -- scope of a policy ---------------------------------------------------------------------------

def test_session_option_context_override_and_threads(model):
    g, saver, v, root = model
    out = str(root / "out" / "m")
    denied = tf.io_policy(read=[str(root / "model")])
    with tf.Session(graph=g, io_policy=denied) as s:
        saver.restore(s, str(root / "model" / "m"))
        with pytest.raises(tf.errors.PermissionDeniedError):
            saver.save(s, out)
        with tf.io_policy(read=[str(root / "model")], write=[str(root / "out")]):
            saver.save(s, out)  # the block's policy applies within the block
        with pytest.raises(tf.errors.PermissionDeniedError):
            saver.save(s, out)

    # A policy entered in one thread does not reach runs in another.
    seen = {}
    with tf.Session(graph=g) as s:
        saver.restore(s, str(root / "model" / "m"))

        def other():
            saver.save(s, str(root / "other" / "t"))
            seen["saved"] = True

        with tf.io_policy():
            t = threading.Thread(target=other)
            t.start()
            t.join()
            with pytest.raises(tf.errors.PermissionDeniedError):
                saver.save(s, str(root / "other" / "u"))
    assert seen == {"saved": True}


def test_without_a_policy_nothing_is_checked(model):
    g, saver, v, root = model
    with tf.Session(graph=g) as s:
        saver.restore(s, str(root / "model" / "m"))
        saver.save(s, str(root / "out" / ".." / "other" / "m2"))
    assert "m2.index" in os.listdir(root / "other")


def test_decode_proto_descriptor_file_is_checked(tmp_path):
    from google.protobuf import descriptor_pb2
    fds = descriptor_pb2.FileDescriptorSet()
    descriptor_pb2.FileDescriptorProto.DESCRIPTOR.file.CopyToProto(fds.file.add())
    path = tmp_path / "desc.bin"
    path.write_bytes(fds.SerializeToString())
    msg = descriptor_pb2.FileDescriptorProto(name="hello.proto").SerializeToString()
    with tf.Graph().as_default():
        out = tf.io.decode_proto([msg], "google.protobuf.FileDescriptorProto", ["name"], [tf.string],
                                 descriptor_source=str(path))
        with tf.Session() as s:
            assert s.run(out.values[0]).tolist() == [[b"hello.proto"]]
            with tf.io_policy(read=[str(tmp_path / "elsewhere")]):
                with pytest.raises(tf.errors.PermissionDeniedError, match=r"\(DecodeProtoV2\) may not read"):
                    s.run(out.values[0])
            with tf.io_policy(read=[str(tmp_path)]):
                assert s.run(out.values[0]).tolist() == [[b"hello.proto"]]


# -- memory --------------------------------------------------------------------------------------

def test_an_allocation_past_the_budget_is_resource_exhausted_naming_the_node():
    with tf.Graph().as_default():
        n = tf.placeholder(tf.int32, [])
        big = tf.fill([n, 1000], 1.0, name="big")
        total = tf.reduce_sum(big, name="total")
        with tf.Session() as s:
            pol = tf.io_policy(max_memory="1M")
            with pol:
                assert s.run(total, {n: 100}) == 100000.0  # 400 kB
                with pytest.raises(tf.errors.ResourceExhaustedError) as e:
                    s.run(total, {n: 300})  # 1.2 MB
            msg = str(e.value)
            assert "node 'big'" in msg and "shape[300,1000]" in msg and "type float" in msg
            assert "1048576" in msg and "1200000" in msg
            assert pol.memory_in_use == 0  # what the runs held is freed
            assert 400000 <= pol.peak_memory < 1 << 20
            # Without the policy the same run succeeds.
            assert s.run(total, {n: 300}) == 300000.0


def test_a_fill_larger_than_memory_is_resource_exhausted_with_or_without_budget():
    with tf.Graph().as_default():
        big = tf.fill(tf.constant([100000, 1000000], tf.int64), 1.0)  # 400 GB
        with tf.Session() as s:
            with pytest.raises(tf.errors.ResourceExhaustedError, match="OOM when allocating"):
                s.run(big)
            with tf.io_policy(max_memory="1G"), pytest.raises(tf.errors.ResourceExhaustedError,
                                                              match="past the budget of 1073741824 bytes"):
                s.run(big)


def test_variables_stay_charged_while_they_hold_their_value():
    with tf.Graph().as_default():
        v = tf.Variable(tf.zeros([1000], tf.float32))
        with tf.Session() as s:
            pol = tf.io_policy(max_memory=10000)
            with pol:
                s.run(v.initializer)
                assert pol.memory_in_use == 4000
                s.run(v.assign(tf.ones([1000])))
                assert pol.memory_in_use == 4000
                with pytest.raises(tf.errors.ResourceExhaustedError):
                    s.run(tf.concat([v, v, v], 0))  # 12 kB
                np.testing.assert_array_equal(s.run(v), np.ones(1000, np.float32))
