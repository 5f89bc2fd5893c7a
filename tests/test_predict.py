"""metarun.predict.Predictor in one process: pickling, one load per process, batches split and
joined, pandas frames, errors. Expected values come from numpy (the MLP's weights are known
arrays) and from a plain Session run over all rows. The Ray and Dask runs are in
test_predict_ray.py and test_predict_dask.py; they build their model with save_mlp below."""
import os
import pathlib
import pickle
import subprocess
import sys
import threading

import numpy as np
import pandas as pd
import pytest

import metarun as tf
from metarun import predict

SEED_DIR = os.path.join(os.path.dirname(os.path.abspath(tf.__file__)), "examples", "seed")
INPUTS = {"features": "x:0", "scale": "scale:0"}
OUTPUTS = ["probs", "label", "score"]


def mlp_weights():
    rng = np.random.RandomState(7)
    return {"w1": rng.randn(4, 8).astype(np.float32), "b1": rng.randn(8).astype(np.float32),
            "w2": rng.randn(8, 3).astype(np.float32), "b2": rng.randn(3).astype(np.float32)}


def save_mlp(directory):
    """A 4-8-3 MLP (x [None, 4] and a per-row scale [None] in; probs [None, 3], label [None]
    int64 and score [None] out), saved with a Saver and export_meta_graph. Returns
    (meta path, checkpoint prefix)."""
    weights = mlp_weights()
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 4], name="x")
        scale = tf.placeholder(tf.float32, [None], name="scale")
        w1 = tf.Variable(weights["w1"], name="w1")
        b1 = tf.Variable(weights["b1"], name="b1")
        w2 = tf.Variable(weights["w2"], name="w2")
        b2 = tf.Variable(weights["b2"], name="b2")
        hidden = tf.nn.relu(tf.matmul(x, w1) + b1)
        logits = tf.add(tf.matmul(hidden, w2), b2, name="logits")
        probs = tf.nn.softmax(logits, name="probs")
        tf.argmax(logits, axis=1, name="label")
        tf.multiply(tf.reduce_max(probs, axis=1), scale, name="score")
        saver = tf.train.Saver()
        with tf.Session() as sess:
            sess.run(tf.global_variables_initializer())
            prefix = saver.save(sess, os.path.join(str(directory), "mlp"), write_meta_graph=False)
        meta = prefix + ".meta"
        tf.train.export_meta_graph(meta)
    return meta, prefix


def mlp_numpy(features, scale):
    """The MLP's outputs computed with numpy from the weights the checkpoint holds."""
    w = mlp_weights()
    hidden = np.maximum(features.astype(np.float64) @ w["w1"] + w["b1"], 0)
    logits = hidden @ w["w2"] + w["b2"]
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    return {"probs": probs, "label": logits.argmax(axis=1), "score": probs.max(axis=1) * scale}


def make_rows(n, seed=0):
    rng = np.random.RandomState(seed)
    return {"id": np.arange(n, dtype=np.int64),
            "features": rng.randn(n, 4).astype(np.float32),
            "scale": rng.uniform(0.5, 2.0, n).astype(np.float32)}


def session_reference(meta, prefix, rows):
    """One plain Session run over all rows: what every engine's result must equal."""
    graph = tf.Graph()
    with graph.as_default():
        saver = tf.train.import_meta_graph(meta)
        with tf.Session() as sess:
            saver.restore(sess, prefix)
            values = sess.run(["probs:0", "label:0", "score:0"],
                              feed_dict={"x:0": rows["features"], "scale:0": rows["scale"]})
    return dict(zip(OUTPUTS, values))


@pytest.fixture(scope="module")
def mlp(tmp_path_factory):
    return save_mlp(tmp_path_factory.mktemp("mlp"))


def assert_equal_outputs(got, want):
    assert sorted(got) == sorted(want)
    for name in want:
        assert np.asarray(got[name]).dtype == want[name].dtype, name
        np.testing.assert_array_equal(np.asarray(got[name]), want[name], err_msg=name)


def test_outputs_equal_a_session_run_and_numpy(mlp):
    meta, prefix = mlp
    rows = make_rows(50)
    reference = session_reference(meta, prefix, rows)
    numpy_values = mlp_numpy(rows["features"], rows["scale"])
    np.testing.assert_allclose(reference["probs"], numpy_values["probs"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(reference["label"], numpy_values["label"])
    np.testing.assert_allclose(reference["score"], numpy_values["score"], rtol=1e-5)
    assert reference["label"].dtype == np.int64
    predictor = predict.Predictor(meta, prefix, inputs=INPUTS, outputs=OUTPUTS)
    assert_equal_outputs(predictor(rows), reference)


@pytest.mark.parametrize("batch_size", [1, 7, 50, 1000])
def test_batch_size_splits_runs_and_joins_rows(mlp, batch_size):
    meta, prefix = mlp
    rows = make_rows(50, seed=1)
    predictor = predict.Predictor(meta, prefix, inputs=INPUTS, outputs=OUTPUTS,
                                  batch_size=batch_size)
    assert_equal_outputs(predictor(rows), session_reference(meta, prefix, rows))


def test_zero_rows(mlp):
    meta, prefix = mlp
    out = predict.Predictor(meta, prefix, inputs=INPUTS, outputs=OUTPUTS, batch_size=4)(
        make_rows(0))
    assert out["probs"].shape == (0, 3) and out["label"].shape == (0,)


def test_pickles_as_its_arguments_and_loads_once_per_process(mlp):
    meta, prefix = mlp
    predictor = predict.Predictor(meta, prefix, inputs=INPUTS, outputs=["probs"],
                                  session_config=tf.ConfigProto(intra_op_parallelism_threads=1))
    data = pickle.dumps(predictor)
    assert len(data) < 2000  # arguments, no graph or session
    before = predict._load_count()
    copies = [pickle.loads(data) for _ in range(3)]
    rows = make_rows(5)
    want = session_reference(meta, prefix, rows)["probs"]
    for p in copies + [predictor]:
        np.testing.assert_array_equal(p(rows)["probs"], want)
    assert predict._load_count() == before + 1
    assert len(pickle.dumps(copies[0])) == len(data)  # still only arguments after a load


def test_a_copy_in_another_process_loads_there():
    script = (
        "import pickle, sys, numpy as np\n"
        "from metarun import predict\n"
        "p = pickle.loads(sys.stdin.buffer.read())\n"
        "out = [p({'v1': np.arange(3.0), 'v2': np.full(3, 2.0)})['v4'] for _ in range(3)]\n"
        "print(predict._load_count(), out[0].tolist())\n")
    predictor = predict.Predictor(os.path.join(SEED_DIR, "model_ex1.meta"), inputs=["v1", "v2"],
                                  outputs=["v4"])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.dirname(os.path.dirname(os.path.abspath(tf.__file__)))] +
        [p for p in [os.environ.get("PYTHONPATH")] if p]))
    done = subprocess.run([sys.executable, "-c", script], input=pickle.dumps(predictor),
                          capture_output=True, env=env, cwd="/", timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    # v4 = v1 * v2 + vx with vx = 20.0 from the checkpoint beside the graph
    assert done.stdout.decode().split(None, 1) == ["1", "[20.0, 22.0, 24.0]\n"]


def test_threads_share_one_load(mlp):
    meta, prefix = mlp
    predictor = predict.Predictor(meta, prefix, inputs=INPUTS, outputs=["score"], batch_size=3)
    predictor.close()
    before = predict._load_count()
    rows = make_rows(40, seed=3)
    want = session_reference(meta, prefix, rows)["score"]
    results, failures = [], []
    start = threading.Barrier(6)

    def worker():
        try:
            mine = pickle.loads(pickle.dumps(predictor))
            start.wait()
            for _ in range(5):
                results.append(mine(rows)["score"])
        except Exception as e:  # noqa: BLE001 -- reported by the main thread
            failures.append(e)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failures
    assert len(results) == 30
    for r in results:
        np.testing.assert_array_equal(r, want)
    assert predict._load_count() == before + 1


def test_close_loads_again(mlp):
    meta, prefix = mlp
    predictor = predict.Predictor(meta, prefix, inputs=INPUTS, outputs=["label"])
    predictor(make_rows(2))
    before = predict._load_count()
    predictor.close()
    predictor(make_rows(2))
    assert predict._load_count() == before + 1


def test_pandas_frame_in_frame_out(mlp):
    meta, prefix = mlp
    rows = make_rows(12, seed=4)
    frame = pd.DataFrame({"id": rows["id"], "features": list(rows["features"]),
                          "scale": rows["scale"]}, index=np.arange(100, 112))
    predictor = predict.Predictor(meta, prefix, inputs=INPUTS, outputs=OUTPUTS,
                                  passthrough=["id"])
    out = predictor(frame)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["probs", "label", "score", "id"]
    assert list(out.index) == list(range(100, 112))
    want = session_reference(meta, prefix, rows)
    np.testing.assert_array_equal(np.stack(out["probs"].to_numpy()), want["probs"])
    np.testing.assert_array_equal(out["label"].to_numpy(), want["label"])
    np.testing.assert_array_equal(out["score"].to_numpy(), want["score"])
    np.testing.assert_array_equal(out["id"].to_numpy(), rows["id"])


def test_list_inputs_name_columns_by_op_and_passthrough(mlp):
    meta, prefix = mlp
    rows = make_rows(6, seed=5)
    predictor = predict.Predictor(meta, prefix, inputs=["x:0", "scale"], outputs={"p": "probs:0"},
                                  passthrough="id")
    out = predictor({"x": rows["features"], "scale": rows["scale"], "id": rows["id"]})
    assert sorted(out) == ["id", "p"]
    np.testing.assert_array_equal(out["p"], session_reference(meta, prefix, rows)["probs"])
    np.testing.assert_array_equal(out["id"], rows["id"])


def test_checkpoint_found_beside_the_graph_or_as_a_directory(mlp, tmp_path):
    meta, prefix = mlp
    rows = make_rows(3)
    want = session_reference(meta, prefix, rows)["score"]
    # the Saver wrote a `checkpoint` file beside the graph; a directory names it too
    for checkpoint in (None, os.path.dirname(prefix)):
        p = predict.Predictor(meta, checkpoint, inputs=INPUTS, outputs=["score"])
        np.testing.assert_array_equal(p(rows)["score"], want)
    # the seed graph: the `checkpoint` file beside it names model_ex1 (vx = 20.0)
    seed = predict.Predictor(os.path.join(SEED_DIR, "model_ex1.meta"), inputs=["v1", "v2"],
                             outputs=["v4"])
    np.testing.assert_array_equal(seed({"v1": np.float32([12.0]), "v2": np.float32([3.3])})["v4"],
                                  np.float32([12.0]) * np.float32(3.3) + np.float32(20.0))


def test_errors(mlp, tmp_path):
    meta, prefix = mlp
    with pytest.raises(TypeError):
        predict.Predictor(meta, prefix, outputs=OUTPUTS)
    with pytest.raises(ValueError):
        predict.Predictor(meta, prefix, inputs=["x:0", "x:1"], outputs=OUTPUTS)
    with pytest.raises(ValueError):
        predict.Predictor(meta, prefix, inputs=INPUTS, outputs=OUTPUTS, batch_size=0)
    predictor = predict.Predictor(meta, prefix, inputs=INPUTS, outputs=OUTPUTS)
    rows = make_rows(4)
    with pytest.raises(KeyError, match="'scale'"):
        predictor({"features": rows["features"]})
    with pytest.raises(ValueError, match="one row each"):
        predictor({"features": rows["features"], "scale": rows["scale"][:3]})
    with pytest.raises(TypeError):
        predictor([1, 2, 3])
    with pytest.raises(ValueError, match="Cannot feed value of shape"):  # TF's feed check
        predictor({"features": np.zeros((4, 5), np.float32), "scale": rows["scale"]})
    assert_equal_outputs(predictor(rows), session_reference(meta, prefix, rows))  # still runs
    # an output that is not one row per input row
    whole = predict.Predictor(os.path.join(SEED_DIR, "model_ex1.meta"), inputs=["v1", "v2"],
                              outputs=["vx"])
    with pytest.raises(ValueError, match="one row per input row"):
        whole({"v1": np.zeros(2, np.float32), "v2": np.zeros(2, np.float32)})
    # a graph with variables and no checkpoint anywhere
    lonely = tmp_path / "lonely.meta"
    lonely.write_bytes(pathlib.Path(meta).read_bytes())
    with pytest.raises(ValueError, match="checkpoint"):
        predict.Predictor(str(lonely), inputs=INPUTS, outputs=OUTPUTS)(rows)
    with pytest.raises(ValueError, match="not a valid checkpoint"):  # as TF's Saver.restore
        predict.Predictor(meta, str(tmp_path / "missing"), inputs=INPUTS, outputs=OUTPUTS)(rows)


def test_not_imported_by_import_metarun():
    code = "import sys, metarun; print('metarun.predict' in sys.modules); metarun.predict; " \
           "print('metarun.predict' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, timeout=120,
                          env=dict(os.environ, PYTHONPATH=os.path.dirname(
                              os.path.dirname(os.path.abspath(tf.__file__)))))
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().split() == ["False", "True"]


def test_graph_without_variables(mlp, tmp_path):
    meta, prefix = mlp
    graph = tf.Graph()
    with graph.as_default():
        x = tf.placeholder(tf.float64, [None], name="x")
        tf.square(x, name="y")
        path = str(tmp_path / "square.meta")
        tf.train.export_meta_graph(path)
    # a `checkpoint` file beside it (another model's) is not restored into it
    (tmp_path / "checkpoint").write_text('model_checkpoint_path: "%s"\n' % prefix)
    rows = np.linspace(-2, 3, 11)
    out = predict.Predictor(path, inputs=["x"], outputs=["y"])({"x": rows})
    np.testing.assert_array_equal(out["y"], rows * rows)
    with pytest.raises(ValueError, match="no saver"):
        predict.Predictor(path, prefix, inputs=["x"], outputs=["y"])({"x": rows})
