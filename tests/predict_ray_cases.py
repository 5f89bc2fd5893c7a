"""metarun.predict on a local Ray: Ray Data's map_batches with Predictor actors over a Parquet
file equals one Session run over all rows in this process, and each actor loads once.

Not collected by the suite itself: test_predict_ray.py runs this file in a child pytest (see why
there)."""
import os
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import ray

import metarun
from metarun import predict
from test_predict import INPUTS, OUTPUTS, make_rows, save_mlp, session_reference

# Ray Data's DataContext warns about its own deprecated fields' defaults when it is made
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.data.context")
TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(metarun.__file__)))


@pytest.fixture(scope="module")
def local_ray():
    # Ray's workers start from this environment: they must import the same metarun, and this
    # module (its _LoadCounter class is pickled by reference)
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([PYTHON_DIR, TESTS_DIR] + ([old] if old else []))
    try:
        with warnings.catch_warnings():  # Ray's own notices about its future defaults
            warnings.simplefilter("ignore", FutureWarning)
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
    finally:
        if old is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = old
    ray.data.DataContext.get_current().enable_progress_bars = False
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    return save_mlp(tmp_path_factory.mktemp("mlp_ray"))


def write_parquet(directory, rows, files=4):
    """`rows` as Parquet files (features a fixed-size list column), one block each."""
    os.mkdir(directory)
    bounds = np.linspace(0, len(rows["id"]), files + 1).astype(int)
    for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        table = pa.table({
            "id": rows["id"][lo:hi],
            "features": pa.array(list(rows["features"][lo:hi]), type=pa.list_(pa.float32(), 4)),
            "scale": rows["scale"][lo:hi]})
        pq.write_table(table, os.path.join(directory, "part-%d.parquet" % i))
    return directory


def collect(dataset):
    """A dataset's rows as one dict of numpy arrays (Ray's to_pandas warns under pandas 3)."""
    batches = list(dataset.iter_batches(batch_format="numpy", batch_size=None))
    return {k: np.concatenate([b[k] for b in batches]) for k in batches[0]}


class _LoadCounter(predict.Predictor):
    """A Predictor that also returns, per row, its process and the loads made there."""

    def __call__(self, batch):
        out = super().__call__(batch)
        n = len(out["label"])
        out["pid"] = np.full(n, os.getpid(), np.int64)
        out["loads"] = np.full(n, predict._load_count(), np.int64)
        return out


def test_map_batches_over_parquet_equals_one_session(local_ray, mlp, tmp_path):
    meta, prefix = mlp
    rows = make_rows(300, seed=21)
    path = write_parquet(str(tmp_path / "rows"), rows)
    dataset = ray.data.read_parquet(path).repartition(6)  # small files come as one block
    predictor = predict.Predictor(meta, prefix, inputs=INPUTS, outputs=OUTPUTS, batch_size=32,
                                  passthrough=["id"])
    # two actors of half a CPU each leave a CPU of the two for reading the file
    scored = predict.ray_map_batches(dataset, predictor, batch_size=50, concurrency=2,
                                     num_cpus=0.5)
    out = collect(scored)
    order = np.argsort(out["id"])
    want = session_reference(meta, prefix, rows)
    np.testing.assert_array_equal(out["id"][order], rows["id"])
    np.testing.assert_array_equal(out["probs"][order], want["probs"])
    np.testing.assert_array_equal(out["label"][order], want["label"])
    np.testing.assert_array_equal(out["score"][order], want["score"])
    assert out["label"].dtype == np.int64
    assert out["score"].dtype == np.float32


def test_each_actor_loads_once(local_ray, mlp, tmp_path):
    meta, prefix = mlp
    rows = make_rows(400, seed=22)
    dataset = ray.data.read_parquet(write_parquet(str(tmp_path / "rows"), rows)).repartition(8)
    counter = _LoadCounter(meta, prefix, inputs=INPUTS, outputs=["label"], passthrough="id")
    out = dataset.map_batches(_LoadCounter, fn_constructor_kwargs=counter.arguments(),
                              batch_size=25, batch_format="numpy",
                              compute=ray.data.ActorPoolStrategy(size=2),
                              num_cpus=0.5)
    out = collect(out)
    assert len(out["id"]) == 400
    assert os.getpid() not in set(out["pid"]) and 1 <= len(set(out["pid"])) <= 2
    # 16 batches over (up to) two actors: every batch ran in a process that had loaded once
    assert set(out["loads"]) == {1}
    order = np.argsort(out["id"])
    np.testing.assert_array_equal(out["label"][order],
                                  session_reference(meta, prefix, rows)["label"])
