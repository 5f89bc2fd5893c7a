"""`metarun run --inputs`: many rows in batches. Every batch run is compared with one run of
the same graph over all rows at once (metarun's Session, and `metarun run --feed` for the
bundled seed graph) and with numpy computing the model from its saved weights; for every input
kind (.npy directory, .npz, Parquet, CSV), batch sizes that split the rows unevenly, progress on
request, and each usage error with its exit code."""

import csv
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import tqdm  # noqa: F401 -- the progress bar test needs it installed (requirements-test.txt)

import metarun as tf
from metarun import cli
from metarun.bundle import io_ops
from metarun.train import NewCheckpointReader

PACKAGE = os.path.dirname(os.path.abspath(cli.__file__))
SEED = os.path.join(PACKAGE, "examples", "seed")
SEED_META = os.path.join(SEED, "model_ex1.meta")
ROWS = 50
FETCHES = ["probs", "scaled:0", "label"]


@pytest.fixture(autouse=True)
def _fresh_reader_cache():
    io_ops.clear_cache()
    yield


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    """A small classifier made and saved with metarun's own graph API and Saver:
    probs = softmax(x W + b), scaled = probs * s, label = argmax(probs)."""
    folder = tmp_path_factory.mktemp("model")
    graph = tf.Graph()
    rng = np.random.RandomState(7)
    with graph.as_default():
        x = tf.placeholder(tf.float32, [None, 3], name="x")
        s = tf.placeholder(tf.float32, [None, 1], name="s")
        w = tf.Variable(rng.randn(3, 4).astype(np.float32), name="w")
        b = tf.Variable(rng.randn(4).astype(np.float32), name="b")
        probs = tf.nn.softmax(tf.matmul(x, w) + b, name="probs")
        tf.multiply(probs, s, name="scaled")
        tf.argmax(probs, 1, name="label")
        tf.reduce_sum(probs, name="total")
        saver = tf.train.Saver()
        with tf.Session(graph=graph) as sess:
            sess.run(tf.global_variables_initializer())
            prefix = saver.save(sess, str(folder / "model"))
    return {"meta": prefix + ".meta", "prefix": prefix}


def _data(rows=ROWS):
    rng = np.random.RandomState(rows)
    return {"x": rng.randn(rows, 3).astype(np.float32),
            "s": rng.uniform(0.5, 2, size=(rows, 1)).astype(np.float32)}


def _one_run(model, data):
    """The fetches from one Session.run over all rows."""
    graph = tf.Graph()
    with graph.as_default():
        saver = tf.train.import_meta_graph(model["meta"])
    with tf.Session(graph=graph) as sess:
        saver.restore(sess, model["prefix"])
        tensors = [n if ":" in n else n + ":0" for n in FETCHES]  # an op name alone fetches None
        return dict(zip(FETCHES, sess.run(tensors, {"x:0": data["x"], "s:0": data["s"]})))


def _numpy_model(model, data):
    reader = NewCheckpointReader(model["prefix"])
    logits = data["x"].astype(np.float64) @ reader.get_tensor("w") + reader.get_tensor("b")
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    return {"probs": probs, "scaled:0": probs * data["s"], "label": probs.argmax(axis=1)}


def _check(model, data, got):
    """`got` (fetch -> array) equals one run over all rows, and numpy's model."""
    whole, reference = _one_run(model, data), _numpy_model(model, data)
    for name in FETCHES:
        assert got[name].dtype == whole[name].dtype and got[name].shape == whole[name].shape
        np.testing.assert_array_equal(got[name], whole[name])
        np.testing.assert_allclose(got[name], reference[name], rtol=1e-5, atol=1e-6)


def _run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _fetch_args():
    return [a for name in FETCHES for a in ("--fetch", name)]


def _npy_dir(folder, data):
    folder.mkdir()
    for key, value in data.items():
        np.save(folder / (key + ".npy"), value)
    return folder


# --- every input kind ------------------------------------------------------------------

@pytest.mark.parametrize("batch_size", [1, 7, ROWS, 1000])
def test_npy_directory_equals_one_run(capsys, tmp_path, model, batch_size):
    data = _data()
    inputs = _npy_dir(tmp_path / "rows", data)
    code, out, err = _run(capsys, "run", model["meta"], "--inputs", inputs, *_fetch_args(),
                          "--batch-size", batch_size)
    assert code == cli.EXIT_OK, err
    batches = -(-ROWS // batch_size)
    assert "ran %d rows in %d batch" % (ROWS, batches) in out
    outputs = tmp_path / "rows.outputs"
    _check(model, data, {name: np.load(outputs / (cli._sanitize(name) + ".npy"))
                         for name in FETCHES})
    assert sorted(os.listdir(outputs)) == sorted(cli._sanitize(n) + ".npy" for n in FETCHES)
    assert "wrote %s" % (outputs / "scaled_0.npy") in out
    assert err == ""  # stderr is not a terminal here: no progress unless asked


def test_npz_with_feed_map_and_out_dir(capsys, tmp_path, model):
    data = _data(23)
    path = tmp_path / "rows.npz"
    np.savez(path, features=data["x"], weights=data["s"], unused=np.zeros(3))
    code, out, err = _run(capsys, "run", model["meta"], "--ckpt", model["prefix"], "--inputs",
                          path, "--feed-map", "features=x", "--feed-map", "weights=s:0",
                          *_fetch_args(), "--batch-size", 5, "--out", tmp_path / "out")
    assert code == cli.EXIT_OK, err
    with np.load(tmp_path / "out" / "rows.outputs.npz") as f:
        assert sorted(f.files) == sorted(cli._sanitize(n) for n in FETCHES)
        _check(model, data, {name: f[cli._sanitize(name)] for name in FETCHES})
    assert "restored %s" % model["prefix"] in out


def test_parquet_list_and_scalar_columns(capsys, tmp_path, model):
    data = _data(37)
    x = pa.FixedSizeListArray.from_arrays(pa.array(data["x"].reshape(-1)), 3)
    table = pa.table({"x": x, "s": pa.array(data["s"][:, 0])})  # s: a column for [None, 1]
    pq.write_table(table, tmp_path / "rows.parquet")
    code, out, err = _run(capsys, "run", model["meta"], "--inputs", tmp_path / "rows.parquet",
                          *_fetch_args(), "--batch-size", 10)
    assert code == cli.EXIT_OK, err
    result = pq.read_table(tmp_path / "rows.outputs.parquet")
    assert result.column_names == FETCHES
    got = {name: np.array(result.column(name).to_pylist(),
                          dtype=np.int64 if name == "label" else np.float32) for name in FETCHES}
    _check(model, data, got)
    assert pa.types.is_fixed_size_list(result.schema.field("probs").type)
    assert result.schema.field("label").type == pa.int64()


def test_parquet_variable_lists_and_stacked_columns(capsys, tmp_path, model):
    data = _data(12)
    columns = {"x%d" % i: pa.array(data["x"][:, i]) for i in range(3)}
    columns["s"] = pa.array([[v] for v in data["s"][:, 0].tolist()], type=pa.list_(pa.float64()))
    pq.write_table(pa.table(columns), tmp_path / "cols.parquet")
    code, _, err = _run(capsys, "run", model["meta"], "--inputs", tmp_path / "cols.parquet",
                        "--feed-map", "x0,x1,x2=x", "--feed-map", "s=s", *_fetch_args())
    assert code == cli.EXIT_OK, err
    result = pq.read_table(tmp_path / "cols.outputs.parquet")
    got = {name: np.array(result.column(name).to_pylist(),
                          dtype=np.int64 if name == "label" else np.float32) for name in FETCHES}
    _check(model, data, got)


def test_csv_columns_stacked_and_outputs_flattened(capsys, tmp_path, model):
    data = _data(31)
    path = tmp_path / "rows.csv"
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["id", "a", "b", "c", "weight"])
        for i in range(31):
            values = list(data["x"][i]) + [data["s"][i, 0]]
            writer.writerow([i] + [repr(float(v)) for v in values])
    code, out, err = _run(capsys, "run", model["meta"], "--inputs", path, "--feed-map", "a,b,c=x",
                          "--feed-map", "weight=s", *_fetch_args(), "--batch-size", 4)
    assert code == cli.EXIT_OK, err
    with open(tmp_path / "rows.outputs.csv", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    assert header == ["probs[%d]" % i for i in range(4)] + ["scaled:0[%d]" % i for i in range(4)] \
        + ["label"]
    assert len(body) == 31
    table = np.array(body)
    got = {"probs": table[:, 0:4].astype(np.float32), "scaled:0": table[:, 4:8].astype(np.float32),
           "label": table[:, 8].astype(np.int64)}
    _check(model, data, got)  # shortest float32 text reads back to the same bits


def test_seed_graph_batches_equal_the_single_run_command(capsys, tmp_path):
    """The bundled seed graph (v4 = v1*v2 + vx): `--inputs` over an .npz in batches gives the
    bytes `metarun run --feed v1=file.npy --feed v2=file.npy --out` gives in one run."""
    rng = np.random.RandomState(3)
    v1, v2 = rng.randn(1001).astype(np.float32), rng.randn(1001).astype(np.float32)
    np.save(tmp_path / "v1.npy", v1)
    np.save(tmp_path / "v2.npy", v2)
    code, _, err = _run(capsys, "run", SEED_META, "--feed", "v1=%s" % (tmp_path / "v1.npy"),
                        "--feed", "v2=%s" % (tmp_path / "v2.npy"), "--fetch", "v4:0",
                        "--out", tmp_path / "single")
    assert code == cli.EXIT_OK, err
    np.savez(tmp_path / "seed.npz", v1=v1, v2=v2)
    code, out, err = _run(capsys, "run", SEED_META, "--inputs", tmp_path / "seed.npz",
                          "--fetch", "v4:0")
    assert code == cli.EXIT_OK, err
    assert "ran 1001 rows in 4 batches of up to 256 rows" in out
    with np.load(tmp_path / "seed.outputs.npz") as f:
        got = f["v4_0"]
    single = np.load(tmp_path / "single" / "v4_0.npy")
    assert got.tobytes() == single.tobytes() and got.shape == single.shape
    vx = NewCheckpointReader(os.path.join(SEED, "model_ex1")).get_tensor("vx")
    np.testing.assert_array_equal(got, v1 * v2 + vx)


def test_feed_gives_every_batch_the_same_value(capsys, tmp_path):
    v1 = np.arange(10, dtype=np.float32)
    np.savez(tmp_path / "v1.npz", v1=v1)
    code, _, err = _run(capsys, "run", SEED_META, "--inputs", tmp_path / "v1.npz", "--feed",
                        "v2=0.5", "--fetch", "v4", "--batch-size", 3, "--no-progress")
    assert code == cli.EXIT_OK, err
    vx = NewCheckpointReader(os.path.join(SEED, "model_ex1")).get_tensor("vx")
    with np.load(tmp_path / "v1.outputs.npz") as f:
        np.testing.assert_array_equal(f["v4"], v1 * np.float32(0.5) + vx)


def test_string_and_bool_columns_from_csv(capsys, tmp_path):
    folder = tmp_path / "g"
    folder.mkdir()
    graph = tf.Graph()
    with graph.as_default():
        words = tf.placeholder(tf.string, [None], name="words")
        flags = tf.placeholder(tf.bool, [None], name="flags")
        tf.identity(words, name="same")
        tf.logical_not(flags, name="flipped")
        counts = tf.placeholder(tf.int64, [None], name="counts")
        tf.add(counts, tf.constant(1, tf.int64), name="next")
        meta = str(folder / "g.meta")
        tf.train.export_meta_graph(meta)
    path = tmp_path / "t.csv"
    big = 2 ** 62 + 1  # not exact in float64: parsed as an int64, not through a float
    path.write_text("words,flags,counts\nhello,true,%d\n\"a, b\",0,-3\nü,False,0\n" % big)
    code, _, err = _run(capsys, "run", meta, "--inputs", path, "--fetch", "same",
                        "--fetch", "flipped", "--fetch", "next", "--batch-size", 2)
    assert code == cli.EXIT_OK, err
    with open(tmp_path / "t.outputs.csv", newline="") as f:
        assert list(csv.reader(f)) == [["same", "flipped", "next"],
                                       ["hello", "False", str(big + 1)], ["a, b", "True", "-2"],
                                       ["ü", "True", "1"]]


# --- progress --------------------------------------------------------------------------

def test_progress_bar_on_request(capsys, tmp_path, model):
    inputs = _npy_dir(tmp_path / "rows", _data())
    code, _, err = _run(capsys, "run", model["meta"], "--inputs", inputs, "--fetch", "probs",
                        "--batch-size", 8, "--progress")
    assert code == cli.EXIT_OK
    last = err.replace("\r", "\n").strip().splitlines()[-1]
    assert last.startswith("metarun run: 100%") and "%d/%d" % (ROWS, ROWS) in last


def test_plain_progress_line_without_tqdm(capsys, tmp_path, model, monkeypatch):
    monkeypatch.setitem(sys.modules, "tqdm", None)  # `import tqdm` now raises ImportError
    inputs = _npy_dir(tmp_path / "rows", _data())
    code, out, err = _run(capsys, "run", model["meta"], "--inputs", inputs, "--fetch", "probs",
                          "--progress")
    assert code == cli.EXIT_OK
    assert err.startswith("metarun run: %d/%d rows (100%%)" % (ROWS, ROWS))
    assert "wrote" in out


# --- errors ----------------------------------------------------------------------------

def _usage_error(capsys, model, *argv):
    code, _, err = _run(capsys, "run", model["meta"], *argv)
    assert code == cli.EXIT_USAGE, err
    return err


def test_mismatched_row_counts(capsys, tmp_path, model):
    data = _data()
    data["s"] = data["s"][:-1]
    inputs = _npy_dir(tmp_path / "rows", data)
    err = _usage_error(capsys, model, "--inputs", inputs, "--fetch", "probs")
    assert "row counts differ: s.npy has 49, x.npy has 50" in err
    assert not (tmp_path / "rows.outputs").exists()


def test_unknown_column_and_unknown_tensor(capsys, tmp_path, model):
    data = _data()
    np.savez(tmp_path / "rows.npz", x=data["x"], s=data["s"], row_id=np.arange(ROWS))
    err = _usage_error(capsys, model, "--inputs", tmp_path / "rows.npz", "--fetch", "probs")
    assert "rows.npz array 'row_id': no such node" in err and "--feed-map row_id=TENSOR" in err
    err = _usage_error(capsys, model, "--inputs", tmp_path / "rows.npz", "--feed-map", "xx=x",
                       "--fetch", "probs")
    assert "has no array 'xx' (did you mean x?)" in err
    err = _usage_error(capsys, model, "--inputs", tmp_path / "rows.npz", "--feed-map", "x=xq",
                       "--feed-map", "s=s", "--fetch", "probs")
    assert "--feed-map 'xq': no such node" in err and "Did you mean x?" in err


@pytest.mark.parametrize("extra, message", [
    (["--fetch", "total"], "--fetch total gave shape [] for a batch of 7 rows"),
    (["--fetch", "w"], "--fetch w gave shape [3, 4] for a batch of 7 rows"),
    (["--fetch", "init"], "--fetch init is an operation"),
    (["--fetch", "probs", "--batch-size", "0"], "--batch-size must be at least 1"),
    (["--fetch", "probs", "--feed", "s=[[1]]"], "s:0 is fed twice"),
])
def test_bad_fetches_and_options(capsys, tmp_path, model, extra, message):
    inputs = _npy_dir(tmp_path / "rows", _data())
    err = _usage_error(capsys, model, "--inputs", inputs, "--batch-size", "7", *extra)
    assert message in err
    assert not (tmp_path / "rows.outputs").exists()


def test_bad_inputs(capsys, tmp_path, model):
    assert "not found" in _usage_error(capsys, model, "--inputs", tmp_path / "no.npz",
                                       "--fetch", "probs")
    (tmp_path / "rows.txt").write_text("1 2 3")
    assert "expected a directory of .npy files" in _usage_error(
        capsys, model, "--inputs", tmp_path / "rows.txt", "--fetch", "probs")
    (tmp_path / "empty").mkdir()
    assert "no .npy files in directory" in _usage_error(
        capsys, model, "--inputs", tmp_path / "empty", "--fetch", "probs")
    np.savez(tmp_path / "scalar.npz", x=np.float32(1))
    assert "is a scalar" in _usage_error(capsys, model, "--inputs", tmp_path / "scalar.npz",
                                         "--fetch", "probs")
    (tmp_path / "ragged.csv").write_text("x\n1\n2,3\n")
    assert "ragged.csv line 3: 2 fields, the header has 1" in _usage_error(
        capsys, model, "--inputs", tmp_path / "ragged.csv", "--feed-map", "x=s",
        "--fetch", "scaled")
    assert not (tmp_path / "ragged.outputs.csv").exists()
    (tmp_path / "words.csv").write_text("s\n1.5\nabc\n")
    assert "input 's': cannot read it as float32" in _usage_error(
        capsys, model, "--inputs", tmp_path / "words.csv", "--fetch", "scaled")
    (tmp_path / "header.csv").write_text("s\n")
    assert "has no rows" in _usage_error(capsys, model, "--inputs", tmp_path / "header.csv",
                                         "--fetch", "scaled")
    pq.write_table(pa.table({"s": pa.array([1.0, None])}), tmp_path / "nulls.parquet")
    assert "column 's' has 1 missing (null) values" in _usage_error(
        capsys, model, "--inputs", tmp_path / "nulls.parquet", "--fetch", "scaled")
    err = _usage_error(capsys, model, "--feed-map", "a=x", "--fetch", "probs")
    assert "go with --inputs" in err


def test_parquet_without_pyarrow_is_a_usage_error(capsys, tmp_path, model, monkeypatch):
    pq.write_table(pa.table({"s": pa.array([1.0])}), tmp_path / "rows.parquet")
    for name in [m for m in sys.modules if m == "pyarrow" or m.startswith("pyarrow.")]:
        monkeypatch.setitem(sys.modules, name, None)
    err = _usage_error(capsys, model, "--inputs", tmp_path / "rows.parquet", "--fetch", "scaled")
    assert 'pip install "metarun[batch]"' in err


def test_runtime_error_names_the_rows_and_exits_3(capsys, tmp_path):
    np.savez(tmp_path / "v1.npz", v1=np.arange(10, dtype=np.float32))
    code, _, err = _run(capsys, "run", SEED_META, "--inputs", tmp_path / "v1.npz",
                        "--fetch", "v4", "--batch-size", 4)
    assert code == cli.EXIT_RUNTIME
    assert "InvalidArgumentError" in err and "(rows 0 to 3)" in err and "v2:0 float32" in err
    assert not (tmp_path / "v1.outputs.npz").exists()
    assert _run(capsys, "run")[0] == cli.EXIT_OK  # nothing left broken
