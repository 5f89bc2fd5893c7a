"""tf.gfile and tf.io.gfile against TensorFlow 2.21: each step of gen_pyapi.gfile_cases (reads,
writes, seeks, directory and copy/rename/remove operations) returns what TF returned or raises
the tf.errors class and message TF raised (paths relative to a fresh directory)."""
import pytest

import metarun as tf
from pyapi_replay import as_json, expected, gen

_GOT = {}


def _got():
    if not _GOT:
        _GOT.update(as_json(gen.gfile_all(tf)))
    return _GOT


@pytest.mark.parametrize("step", list(expected()["gfile"]))
def test_step(step):
    assert _got()[step] == expected()["gfile"][step]


def test_same_steps():
    assert list(_got()) == list(expected()["gfile"])


def test_names():
    v1 = ["Copy", "DeleteRecursively", "Exists", "FastGFile", "GFile", "Glob", "IsDirectory", "ListDirectory",
          "MakeDirs", "MkDir", "Open", "Remove", "Rename", "Stat", "Walk"]
    assert sorted(n for n in dir(tf.gfile) if not n.startswith("_")) == v1
    assert sorted(n for n in dir(tf.io.gfile) if not n.startswith("_")) == [
        "GFile", "copy", "exists", "get_registered_schemes", "glob", "isdir", "join", "listdir", "makedirs",
        "mkdir", "remove", "rename", "rmtree", "stat", "walk"]


def test_errors_are_op_errors(tmp_path):
    with pytest.raises(tf.errors.NotFoundError) as e:
        tf.gfile.GFile(str(tmp_path / "missing")).read()
    assert isinstance(e.value, tf.errors.OpError)
    assert e.value.error_code == tf.errors.NOT_FOUND
