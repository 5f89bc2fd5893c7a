"""metarun.predict on a local Dask cluster whose workers are other processes (so the predictor
is really pickled): map_partitions over a DataFrame and map_blocks over an array equal one
Session run over all rows in this process, and each worker loads the model once."""
import os

import dask.array as da
import dask.dataframe as dd
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from distributed import Client, LocalCluster

import metarun
from metarun import predict
from test_predict import INPUTS, OUTPUTS, make_rows, save_mlp, session_reference

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(metarun.__file__)))


@pytest.fixture(scope="module")
def client():
    # workers start from this environment: they must import the same metarun
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join([PYTHON_DIR] + ([old] if old else []))
    try:
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
    finally:
        if old is None:
            del os.environ["PYTHONPATH"]
        else:
            os.environ["PYTHONPATH"] = old
    with cluster, Client(cluster) as c:
        yield c


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    return save_mlp(tmp_path_factory.mktemp("mlp_dask"))


def worker_pids_and_loads(client):
    return client.run(lambda: (os.getpid(), predict._load_count()))


def write_parquet(directory, rows, files):
    """`rows` as Parquet files (features a fixed-size list column), one per partition."""
    directory.mkdir()
    bounds = np.linspace(0, len(rows["id"]), files + 1).astype(int)
    for i, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
        table = pa.table({
            "id": rows["id"][lo:hi],
            "features": pa.array(list(rows["features"][lo:hi]), type=pa.list_(pa.float32(), 4)),
            "scale": rows["scale"][lo:hi]})
        pq.write_table(table, str(directory / ("part-%d.parquet" % i)))
    return str(directory)


def test_map_partitions_equals_one_session(client, mlp, tmp_path):
    meta, prefix = mlp
    rows = make_rows(203, seed=11)
    ddf = dd.read_parquet(write_parquet(tmp_path / "rows", rows, 6))
    assert ddf.npartitions == 6
    predictor = predict.Predictor(meta, prefix, inputs=INPUTS, outputs=OUTPUTS, batch_size=16,
                                  passthrough=["id"])
    before = {k: v[1] for k, v in worker_pids_and_loads(client).items()}
    scored = predict.dask_map_partitions(ddf, predictor)
    assert list(scored.columns) == ["probs", "label", "score", "id"]
    out = scored.compute()
    want = session_reference(meta, prefix, rows)
    assert list(out.index) == list(ddf.index.compute())
    np.testing.assert_array_equal(np.stack(out["probs"].to_numpy()), want["probs"])
    np.testing.assert_array_equal(out["label"].to_numpy(), want["label"])
    assert out["label"].dtype == np.int64
    np.testing.assert_array_equal(out["score"].to_numpy(), want["score"])
    np.testing.assert_array_equal(out["id"].to_numpy(), rows["id"])
    after = worker_pids_and_loads(client)
    assert os.getpid() not in {pid for pid, _ in after.values()}
    # six partitions, two worker processes: each loaded the model at most once
    loads = [after[k][1] - before[k] for k in after]
    assert all(n <= 1 for n in loads) and sum(loads) >= 1, loads
    # a second pass loads nothing more
    scored.compute()
    assert [v[1] for v in worker_pids_and_loads(client).values()] == [v[1] for v in after.values()]


def test_map_blocks_equals_one_session(client, mlp, tmp_path):
    meta, prefix = mlp
    rows = make_rows(150, seed=12)
    want = session_reference(meta, prefix, rows)
    features = da.from_array(rows["features"], chunks=(40, 2))  # column chunks get merged
    probs = predict.Predictor(meta, prefix, inputs={"features": "x:0"}, outputs=["probs"])
    out = predict.dask_map_blocks(features, probs)
    assert out.shape == (150, 3) and out.dtype == np.float32
    assert out.chunks == ((40, 40, 40, 30), (3,))
    np.testing.assert_array_equal(out.compute(), want["probs"])
    labels = predict.dask_map_blocks(
        features, predict.Predictor(meta, prefix, inputs=["x"], outputs=["label", "probs"]),
        output="label")
    assert labels.shape == (150,) and labels.dtype == np.int64
    np.testing.assert_array_equal(labels.compute(), want["label"])


def test_map_blocks_needs_one_input(mlp):
    meta, prefix = mlp
    features = da.zeros((4, 4), chunks=2, dtype=np.float32)
    with pytest.raises(ValueError, match="one input"):
        predict.dask_map_blocks(features, predict.Predictor(meta, prefix, inputs=INPUTS,
                                                            outputs=["probs"]))
    with pytest.raises(ValueError, match="output="):
        predict.dask_map_blocks(features, predict.Predictor(meta, prefix, inputs=["x"],
                                                            outputs=["probs", "label"]))
