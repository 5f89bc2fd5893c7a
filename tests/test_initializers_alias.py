"""tf.initializers against TensorFlow 2.21 (gen_pyapi.initializer_cases): each initializer,
used through get_variable with fixed seeds, gives TF's values and op types; the variable and
table initializer ops are named and grouped as TF's. Also tf.version and tf.resource_loader."""
import os

import numpy as np
import pytest

import metarun as tf
from pyapi_replay import as_json, expected, gen

_GOT = {}


def _got():
    if not _GOT:
        _GOT.update(as_json(gen.initializer_cases(tf)))
    return _GOT


@pytest.mark.parametrize("name", sorted(k for k in expected()["initializers"] if k != "group_ops"))
def test_initializer(name):
    got, want = _got()[name], expected()["initializers"][name]
    assert (got["ops"], got["kind"], got["dtype"]) == (want["ops"], want["kind"], want["dtype"])
    np.testing.assert_array_equal(np.array(got["value"], np.float32), np.array(want["value"], np.float32))


def test_initializer_ops():
    assert _got()["group_ops"] == expected()["initializers"]["group_ops"]


def test_aliases():
    from metarun.ops import init_ops
    assert tf.initializers.zeros is init_ops.Zeros
    assert tf.initializers.variance_scaling is init_ops.VarianceScaling
    assert tf.initializers.global_variables is tf.global_variables_initializer
    assert tf.initialize_all_tables is tf.tables_initializer is tf.initializers.tables_initializer


def test_version():
    want = expected()["version"]
    for key in ("VERSION", "GRAPH_DEF_VERSION", "GRAPH_DEF_VERSION_MIN_CONSUMER", "GRAPH_DEF_VERSION_MIN_PRODUCER"):
        assert getattr(tf.version, key) == getattr(tf, key) == want[key], key
    # tf.compat.v1.__version__ is TensorFlow's release; metarun's own stays available
    assert tf.__version__ == tf.compat.v1.__version__ == want["__version__"]
    import metarun
    with open(os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pyproject.toml")) as f:
        declared = [line.split("=")[1].strip().strip('"') for line in f if line.startswith("version")]
    assert metarun.__metarun_version__ == tf.version.METARUN_VERSION == declared[0]
    with tf.Graph().as_default() as g:
        tf.constant(1.0)
        assert g.as_graph_def().versions.producer == tf.GRAPH_DEF_VERSION


def test_resource_loader(tmp_path):
    here = os.path.dirname(os.path.abspath(__file__))
    assert os.path.abspath(tf.resource_loader.get_data_files_path()) == here
    assert tf.resource_loader.get_path_to_datafile("x.txt") == os.path.join(tf.resource_loader.get_data_files_path(),
                                                                            "x.txt")
    assert tf.resource_loader.load_resource("__init__.py").startswith(b'"""metarun')
    assert tf.resource_loader.readahead_file_path("/a/b") == "/a/b"
    with pytest.raises(IOError):
        tf.resource_loader.load_resource("no/such/file")
