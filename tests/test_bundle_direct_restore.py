"""Large tensors are restored by reading them into arrays of their own (not views of the mapped
data file), several tensors side by side, and a variable keeps such an array instead of copying
it. The values, errors and aliasing must be those of the mapped path: the TF-written fixtures
are read both ways, damage is reported with the same classes, and a variable never shares
memory a Python caller can still reach."""

import os

import numpy as np
import pytest

import metarun as tf
from metarun import errors
from metarun.bundle import io_ops, restore_v2, save_v2, v2

from test_bundle import V2_CASES, _assert_same, _expected, _read_all


@pytest.fixture(autouse=True)
def _fresh_reader_cache():
    io_ops.clear_cache()
    yield
    io_ops.clear_cache()
    tf.reset_default_graph()


@pytest.fixture
def direct_everything(monkeypatch):
    """Every tensor, however small, through the direct read."""
    monkeypatch.setattr(v2, "DIRECT_READ_BYTES", 1)
    monkeypatch.setattr(v2, "_direct", True)


@pytest.mark.parametrize("case", V2_CASES)
def test_tf_fixtures_read_directly_are_tfs_values(case, direct_everything):
    names, values = _read_all(case)
    assert len(names) >= 1
    for name, value in zip(names, values):
        _assert_same(np.asarray(value), _expected(case, name))


def _big_checkpoint(tmp_path, n=5):
    os.makedirs(tmp_path, exist_ok=True)
    rng = np.random.default_rng(3)
    values = [rng.standard_normal((300 + i, 70)).astype(np.float32) for i in range(n)]  # > 64 KiB
    values.append(np.arange(5, dtype=np.int64))  # a small one, viewed in the map
    names = ["v%d" % i for i in range(len(values))]
    prefix = str(tmp_path / "big")
    save_v2(prefix, names, [""] * len(names), values, [1] * n + [9])
    return prefix, names, values


def test_large_tensors_are_writable_arrays_of_their_own(tmp_path):
    prefix, names, values = _big_checkpoint(tmp_path)
    got = restore_v2(prefix, names, [""] * len(names), [1] * (len(names) - 1) + [9])
    for want, array in zip(values, got):
        np.testing.assert_array_equal(array, want)
    for array in got[:-1]:
        assert array.flags.owndata and array.flags.writeable
    assert not got[-1].flags.writeable  # small: a read-only view of the mapped file


def _flip_byte(path, offset):
    with open(path, "r+b") as f:
        f.seek(offset)
        b = f.read(1)
        f.seek(offset)
        f.write(bytes([b[0] ^ 1]))


def test_damage_in_a_large_tensor_is_data_loss(tmp_path):
    prefix, names, _ = _big_checkpoint(tmp_path)
    data = v2.data_filename(prefix, 0, 1)
    _flip_byte(data, 300 * 70 * 4 + 10)  # inside v1
    with pytest.raises(errors.DataLossError, match="Checksum does not match"):
        restore_v2(prefix, names[:3], [""] * 3, [1] * 3)
    io_ops.clear_cache()
    prefix, names, _ = _big_checkpoint(tmp_path / "again")
    data = v2.data_filename(prefix, 0, 1)
    size = os.path.getsize(data)
    with open(data, "r+b") as f:
        f.truncate(size - 100)  # the last large tensor now runs past the end
    with pytest.raises(errors.DataLossError, match="lies outside the data file"):
        restore_v2(prefix, names, [""] * len(names), [1] * (len(names) - 1) + [9])


def test_side_by_side_reads_raise_the_first_names_error(tmp_path):
    prefix, names, _ = _big_checkpoint(tmp_path)
    with pytest.raises(errors.NotFoundError, match="missing_a"):
        restore_v2(prefix, [names[0], "missing_a", names[1], "missing_b"], [""] * 4, [1] * 4)
    with pytest.raises(errors.InvalidArgumentError, match="tensor_name = v2; expected dtype double"):
        restore_v2(prefix, names[:2] + [names[2], "missing_c"], [""] * 4, [1, 1, 2, 1])


def _variables_graph(values):
    vs = [tf.Variable(np.zeros_like(v), name="v%d" % i) for i, v in enumerate(values)]
    return vs, tf.train.Saver(vs)


def test_restored_variables_own_their_values_and_update_in_place(tmp_path):
    rng = np.random.default_rng(5)
    values = [rng.standard_normal((256, 80)).astype(np.float32) for _ in range(3)]
    vs, saver = _variables_graph(values)
    bump = [tf.assign_add(v, tf.ones_like(v)) for v in vs]
    prefix = str(tmp_path / "m")
    with tf.Session() as sess:
        for v, value in zip(vs, values):
            sess.run(tf.assign(v, value))
        saver.save(sess, prefix)
    with tf.Session() as sess:
        saver.restore(sess, prefix)  # uninitialized variables take the restored arrays
        before = sess.run(vs)
        for b, want in zip(before, values):
            np.testing.assert_array_equal(b, want)
        sess.run(bump)
        for v, want, b in zip(vs, values, before):
            np.testing.assert_array_equal(sess.run(v), want + 1)
        for b, want in zip(before, values):
            np.testing.assert_array_equal(b, want)  # a fetched value never changes afterwards
        saver.restore(sess, prefix)  # initialized: copied into the buffers they have
        for v, want in zip(vs, values):
            np.testing.assert_array_equal(sess.run(v), want)


def test_a_variable_never_takes_an_array_python_still_holds():
    held = np.arange(20000, dtype=np.float32)
    v = tf.Variable(np.zeros(20000, np.float32), name="v")
    fresh = tf.py_func(lambda: np.arange(20000, dtype=np.float32), [], tf.float32)
    shared = tf.py_func(lambda: held, [], tf.float32)
    with tf.Session() as sess:
        sess.run(tf.assign(v, tf.reshape(shared, [20000]), validate_shape=False))
        sess.run(tf.assign_add(v, tf.ones([20000])))
        np.testing.assert_array_equal(held, np.arange(20000, dtype=np.float32))
        np.testing.assert_array_equal(sess.run(v), np.arange(20000, dtype=np.float32) + 1)
    w = tf.Variable(np.zeros(20000, np.float32), name="w")
    with tf.Session() as sess:
        sess.run(tf.assign(w, tf.reshape(fresh, [20000])))
        sess.run(tf.assign_add(w, tf.ones([20000])))
        np.testing.assert_array_equal(sess.run(w), np.arange(20000, dtype=np.float32) + 1)


def test_serial_reads_give_the_same_values(tmp_path, monkeypatch):
    prefix, names, values = _big_checkpoint(tmp_path)
    monkeypatch.setattr(io_ops, "_thread_count", 1)
    got = restore_v2(prefix, names, [""] * len(names), [1] * (len(names) - 1) + [9])
    for want, array in zip(values, got):
        np.testing.assert_array_equal(array, want)
