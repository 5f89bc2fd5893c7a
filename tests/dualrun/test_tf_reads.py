"""What metarun writes, TensorFlow reads: written/<case>/ holds files metarun wrote and what TF
computed from them (gen_tf_reads.py). Here metarun reads the same files and must compute the
same, and metarun writing the case again must give the same graph and checkpoint values, so
TF's verdict still holds for what metarun writes today."""
import os

import numpy as np
import pytest

import _dualrun
import metarun as tf
import written_cases
from metarun.framework import protos

HERE = os.path.dirname(os.path.abspath(__file__))


def _read_results(case):
    with np.load(os.path.join(HERE, "written", case, "tf_results.npz")) as data:
        arrays = {k: data[k] for k in data.files}
    import json
    return json.loads(arrays.pop("__index__").tobytes()), arrays


@pytest.mark.parametrize("case", written_cases.CASES)
def test_metarun_reads_what_tf_read_and_computes_the_same(case):
    index, arrays = _read_results(case)
    with tf.Graph().as_default():
        got = getattr(written_cases, "read_" + case)(tf, os.path.join(HERE, "written", case))
    got_arrays, got_index = _dualrun.flatten(got)
    assert got_index == index
    for key, want in arrays.items():
        have = np.asarray(got_arrays[key])
        if want.dtype.kind in "SUO":
            assert [str(v) for v in have.reshape(-1)] == [str(v) for v in want.reshape(-1)], key
        elif case in written_cases.TOLERANCE:
            rtol, atol = written_cases.TOLERANCE[case]
            np.testing.assert_allclose(have, want, rtol=rtol, atol=atol, err_msg=key)
        else:
            np.testing.assert_array_equal(have, want, err_msg=key)


def _meta_graph(path):
    meta = protos.MetaGraphDef()
    with open(path, "rb") as f:
        meta.ParseFromString(f.read())
    return meta


@pytest.mark.parametrize("case", written_cases.CASES)
def test_metarun_still_writes_what_tf_read(case, tmp_path):
    with tf.Graph().as_default():
        getattr(written_cases, "write_" + case)(tf, str(tmp_path))
    committed = os.path.join(HERE, "written", case)
    metas = sorted(f for f in os.listdir(committed) if f.endswith(".meta"))
    assert metas == sorted(f for f in os.listdir(tmp_path) if f.endswith(".meta"))
    for name in metas:
        assert _meta_graph(os.path.join(tmp_path, name)) == _meta_graph(os.path.join(committed, name)), name
        prefix = name[:-len(".meta")]
        old = tf.train.NewCheckpointReader(os.path.join(committed, prefix))
        new = tf.train.NewCheckpointReader(str(tmp_path / prefix))
        assert old.get_variable_to_shape_map() == new.get_variable_to_shape_map()
        for key in old.get_variable_to_shape_map():
            if case in written_cases.TOLERANCE:
                # trained values: BLAS kernels differ per CPU in summation order, so the last bit can
                # differ from the machine that wrote the committed files
                rtol, atol = written_cases.TOLERANCE[case]
                np.testing.assert_allclose(new.get_tensor(key), old.get_tensor(key), rtol=rtol, atol=atol,
                                           err_msg=key)
            else:
                np.testing.assert_array_equal(old.get_tensor(key), new.get_tensor(key), err_msg=key)
