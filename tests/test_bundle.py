"""TensorBundle (V2) and V1 checkpoints: reading TF-written fixtures, writing
byte-identical files, slices, merging, and damage of every kind.

Expected values come from tests/fixtures/ckpt (written by real TF, see
tests/fixtures/gen_checkpoints.py), from numpy, or from FORMATS.md's byte
examples, which were checked against real TF files.
"""

import glob
import json
import os
import shutil

import ml_dtypes
import numpy as np

from op_harness import load_npz
import pytest

from metarun import errors
from metarun.bundle import crc32c, io_ops, merge_v2_checkpoints, ordered_code, restore_slice, \
    restore_v2, save_v2, v2
from metarun.framework import protos

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "ckpt")


with open(os.path.join(FIXTURES, "manifest.json")) as _f:
    MANIFEST = json.load(_f)
VALUES = load_npz(os.path.join(FIXTURES, "values.npz"))

DT = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6, "string": 7,
      "complex64": 8, "int64": 9, "bool": 10, "bfloat16": 14, "uint16": 17, "complex128": 18,
      "float16": 19, "uint32": 22, "uint64": 23}
V2_CASES = ["dtypes", "spec_example", "partitioned", "sharded", "state"]


@pytest.fixture(autouse=True)
def _fresh_reader_cache():
    io_ops.clear_cache()
    yield
    io_ops.clear_cache()


def _decode(kind, array):
    if kind == "string" or array.dtype.kind == "S":  # TF returns bytes for string scalars
        out = np.empty(array.size, dtype=object)
        out[:] = [bytes(x) for x in array.reshape(-1)]
        return out.reshape(array.shape)
    if kind == "bfloat16":
        return array.view(ml_dtypes.bfloat16)
    return array


def _npz(item):
    return _decode(item["kind"], VALUES[item["npz"]])


def _prefix(case):
    return os.path.join(FIXTURES, case, MANIFEST[case]["save_path"])


def _parse_spec(spec):
    # Independent of metarun.bundle.slices: "5 4 0,3:0,4" -> shape, index.
    parts = spec.split(" ")
    shape = [int(d) for d in parts[:-1]]
    index = []
    for item in parts[-1].split(":"):
        if item == "-":
            index.append(slice(None))
        else:
            start, length = (int(x) for x in item.split(","))
            index.append(slice(start, start + length))
    return shape, tuple(index)


def _saved_value(case, name):
    """The value TF's save op was given for `name`, assembled over its slices."""
    full = None
    for call in MANIFEST[case]["saves"]:
        for t in call["tensors"]:
            if t["name"] != name:
                continue
            value = _npz(t)
            if t["spec"] == "":
                return value
            shape, index = _parse_spec(t["spec"])
            if full is None:
                full = np.zeros(shape, dtype=value.dtype)
            full[index] = value
    return full


def _expected(case, name):
    """What TF's reader returned, or (where it cannot read) what TF saved."""
    item = MANIFEST[case]["expect"][name]
    if "tf_error" in item:
        return _saved_value(case, name)
    return _npz(item)


def _assert_same(got, want):
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape
    if got.dtype == object:
        assert got.tolist() == want.tolist()
    else:
        assert got.tobytes() == want.tobytes()  # bit-exact, NaNs and -0.0 included


def _dtype_of(case, name):
    return DT[MANIFEST[case]["dtype_map"][name]]


def _read_all(case):
    names = sorted(MANIFEST[case]["expect"])
    dtypes = [_dtype_of(case, n) for n in names]
    return names, restore_v2(_prefix(case), names, [""] * len(names), dtypes)


# --- reading TF's files --------------------------------------------------------

@pytest.mark.parametrize("case", V2_CASES + ["v1", "v1_sharded"])
def test_read_tf_fixture(case):
    names, values = _read_all(case)
    assert len(names) >= 1
    for name, value in zip(names, values):
        _assert_same(np.asarray(value), _expected(case, name))


def test_fixture_covers_every_dtype():
    saved = {t["dtype"] for c in MANIFEST["dtypes"]["saves"] for t in c["tensors"]}
    assert saved == set(DT.values())


def test_tf_partitioned_restore_with_other_partitioning():
    prefix = _prefix("partitioned")
    big = _expected("partitioned", "big")          # stored as 3 row slices
    cols = _expected("partitioned", "cols")        # stored as 4 column slices
    plain = _expected("partitioned", "plain")      # stored unsliced
    out = restore_v2(prefix, ["big", "big", "cols", "cols", "plain"],
                     ["130 3 10,100:1,2", "130 3 40,10:-", "2 12 1,1:2,9", "2 12 -:-", "2 1,1"],
                     [2, 2, 9, 9, 1])
    _assert_same(out[0], big[10:110, 1:3])
    _assert_same(out[1], big[40:50])
    _assert_same(out[2], cols[1:2, 2:11])
    _assert_same(out[3], cols)
    _assert_same(out[4], plain[1:2])


def test_v1_restore_slice_and_pattern():
    prefix = _prefix("v1")
    emb = _expected("v1", "emb")
    got = restore_slice(prefix, "emb", "5 3 1,3:0,2", 1)
    _assert_same(got, emb[1:4, 0:2])
    _assert_same(restore_slice(prefix, "w", "", 1), _expected("v1", "w"))
    pattern = _prefix("v1_sharded")
    assert "?????" in pattern
    _assert_same(restore_slice(pattern, "c", "", 2), _expected("v1_sharded", "c"))
    # Restore/RestoreSlice also accept V2 prefixes.
    _assert_same(restore_slice(_prefix("dtypes"), "f32", "", 1), _expected("dtypes", "f32"))


def test_v1_errors():
    prefix = _prefix("v1")
    with pytest.raises(errors.InvalidArgumentError, match="Expected to restore a tensor of "
                       "type double, got a tensor of type float instead: tensor_name = w"):
        restore_v2(prefix, ["w"], [""], [2])
    with pytest.raises(errors.NotFoundError, match='Tensor name "nope" not found'):
        restore_v2(prefix, ["nope"], [""], [1])


# --- writing TF's bytes ----------------------------------------------------------

def _save_call(prefix, call):
    tensors = call["tensors"]
    save_v2(prefix, [t["name"] for t in tensors], [t["spec"] for t in tensors],
            [_npz(t) for t in tensors], [t["dtype"] for t in tensors])


def _read(path):
    with open(path, "rb") as f:
        return f.read()


@pytest.mark.parametrize("case", ["dtypes", "spec_example", "partitioned", "state"])
def test_writer_byte_identical_to_tf(case, tmp_path):
    (call,) = MANIFEST[case]["saves"]
    prefix = str(tmp_path / "out" / "model")
    _save_call(prefix, call)
    theirs = _prefix(case)
    assert _read(prefix + ".index") == _read(theirs + ".index")
    assert _read(prefix + ".data-00000-of-00001") == _read(theirs + ".data-00000-of-00001")
    assert sorted(os.listdir(tmp_path / "out")) == ["model.data-00000-of-00001", "model.index"]


def test_spec_example_is_the_195_byte_file():
    data = _read(_prefix("spec_example") + ".index")
    assert len(data) == 195
    # FORMATS.md 2.2: header entry, then "layer/b" with its entry fields.
    assert data[:9] == bytes.fromhex("000006080 11a020801".replace(" ", ""))
    assert data[9:12] == bytes.fromhex("00070f") and data[12:19] == b"layer/b"
    assert data[19:30] == bytes.fromhex("080112041202080228083 5".replace(" ", ""))


def test_sharded_save_and_merge_byte_identical_to_tf(tmp_path):
    calls = MANIFEST["sharded"]["saves"]
    assert len(calls) == 2
    prefix = str(tmp_path / "model")
    parts = []
    for k, call in enumerate(calls):
        part = "%s_temp/part-%05d-of-%05d" % (prefix, k, len(calls))
        _save_call(part, call)
        parts.append(part)
    merge_v2_checkpoints(parts, prefix)
    theirs = _prefix("sharded")
    assert _read(prefix + ".index") == _read(theirs + ".index")
    for k in range(2):
        name = ".data-%05d-of-00002" % k
        assert _read(prefix + name) == _read(theirs + name)
    assert not os.path.exists(prefix + "_temp")  # emptied and removed
    assert sorted(os.listdir(tmp_path)) == ["model.data-00000-of-00002",
                                            "model.data-00001-of-00002", "model.index"]


# --- FORMATS.md byte examples ------------------------------------------------------

def test_string_tensor_layout(tmp_path):
    prefix = str(tmp_path / "s")
    values = [np.array([b"ab", b"", b"xyz" * 50], dtype=object),
              np.array(b"hello", dtype=object), np.zeros([0], dtype=object)]
    save_v2(prefix, ["a", "b", "c"], ["", "", ""], values, [7, 7, 7])
    data = _read(prefix + ".data-00000-of-00001")
    first = bytes.fromhex("02009601dc561d91") + b"ab" + b"xyz" * 50
    second = bytes.fromhex("05d9c69c43") + b"hello"
    third = bytes.fromhex("d8ea82a2")
    assert len(first) == 160
    assert data == first + second + third
    got = restore_v2(prefix, ["a", "b", "c"], ["", "", ""], [7, 7, 7])
    assert got[0].tolist() == [b"ab", b"", b"xyz" * 50]
    assert got[1].shape == () and got[1][()] == b"hello"
    assert got[2].shape == (0,) and got[2].dtype == object


def test_empty_tensor_entry(tmp_path):
    prefix = str(tmp_path / "e")
    save_v2(prefix, ["a", "z"], ["", ""], [np.ones([2], np.float32), np.zeros([3, 0])], [1, 2])
    reader = v2.BundleReader(prefix)
    entry = reader.entry("z")
    assert entry.size == 0 and entry.offset == 8
    assert entry.crc32c == crc32c.mask(0) == 0xA282EAD8
    assert restore_v2(prefix, ["z"], [""], [2])[0].shape == (3, 0)


# --- round trips -------------------------------------------------------------------

def _random_values():
    rng = np.random.RandomState(7)
    out = {}
    for name, dt in DT.items():
        if name == "string":
            continue
        np_type = ml_dtypes.bfloat16 if name == "bfloat16" else np.dtype(name)
        if name == "bool":
            value = rng.rand(3, 4) > 0.5
        elif name.startswith("complex"):
            value = (rng.randn(3, 4) + 1j * rng.randn(3, 4)).astype(np_type)
        elif name.startswith(("int", "uint")):
            info = np.iinfo(np_type)
            value = rng.randint(info.min, info.max, size=(3, 4), dtype=np.dtype(np_type))
        else:
            value = rng.randn(3, 4).astype(np_type)
        out[name] = (value, dt)
        out[name + "_scalar"] = (value.reshape(-1)[0].reshape(()), dt)
        out[name + "_empty"] = (np.zeros([0, 4], dtype=np_type), dt)
    strings = [b"", b"a", b"\x00\xff\x00", "\u00fc\u2603".encode("utf-8"), b"x" * 300,
               bytes(range(256)) * 300]
    out["str"] = (np.array(strings, dtype=object).reshape(2, 3), 7)
    out["str_scalar"] = (np.array(b"", dtype=object), 7)
    out["str_empty"] = (np.zeros([2, 0], dtype=object), 7)
    out["str_unicode"] = (np.array(["caf\u00e9", "plain"], dtype=object), 7)
    return out


def test_round_trip_every_dtype(tmp_path):
    values = _random_values()
    names = list(values)
    prefix = str(tmp_path / "rt")
    save_v2(prefix, names, [""] * len(names), [v for v, _ in values.values()],
            [d for _, d in values.values()])
    got = restore_v2(prefix, names, [""] * len(names), [d for _, d in values.values()])
    for name, value in zip(names, got):
        want = values[name][0]
        if name == "str_unicode":
            want = np.array([s.encode("utf-8") for s in want], dtype=object)
        _assert_same(np.asarray(value), np.asarray(want))


def test_partitioned_write_then_other_partitioning(tmp_path):
    rng = np.random.RandomState(3)
    full = rng.randn(10, 6).astype(np.float32)
    ints = np.arange(60, dtype=np.int64).reshape(6, 10)
    prefix = str(tmp_path / "p")
    save_v2(prefix, ["x", "x", "x", "n", "n"],
            ["10 6 0,4:0,6", "10 6 4,3:0,6", "10 6 7,3:0,6", "6 10 0,6:0,5", "6 10 0,6:5,5"],
            [full[0:4], full[4:7], full[7:10], ints[:, :5], ints[:, 5:]], [1, 1, 1, 9, 9])
    specs = ["", "10 6 2,6:1,4", "10 6 -:3,1", "10 6 9,1:-"]
    got = restore_v2(prefix, ["x"] * 4, specs, [1] * 4)
    _assert_same(got[0], full)
    _assert_same(got[1], full[2:8, 1:5])
    _assert_same(got[2], full[:, 3:4])
    _assert_same(got[3], full[9:10])
    _assert_same(restore_v2(prefix, ["n"], ["6 10 1,4:3,4"], [9])[0], ints[1:5, 3:7])
    # The index lists the full entry with its slices, plus one key per slice.
    reader = v2.BundleReader(prefix)
    assert len(reader.entry("x").slices) == 3
    assert reader.has_key(ordered_code.encode_tensor_name_slice("x", [(4, 3), (0, 6)]))


def test_full_slice_is_stored_as_plain_entry(tmp_path):
    prefix = str(tmp_path / "f")
    value = np.arange(6, dtype=np.float32).reshape(2, 3)
    save_v2(prefix, ["w"], ["2 3 0,2:0,3"], [value], [1])
    assert v2.BundleReader(prefix).keys() == [b"w"]
    _assert_same(restore_v2(prefix, ["w"], [""], [1])[0], value)


def test_insufficient_slices(tmp_path):
    prefix = str(tmp_path / "p")
    save_v2(prefix, ["x"], ["4 2 0,2:0,2"], [np.ones([2, 2], np.float32)], [1])
    _assert_same(restore_v2(prefix, ["x"], ["4 2 1,1:-"], [1])[0], np.ones([1, 2], np.float32))
    with pytest.raises(errors.InvalidArgumentError, match="Does not have sufficient slices for "
                       "partitioned tensor x to restore in slice_spec: -:-"):
        restore_v2(prefix, ["x"], [""], [1])


# --- errors ------------------------------------------------------------------------------

def test_restore_errors(tmp_path):
    prefix = _prefix("spec_example")
    with pytest.raises(errors.InvalidArgumentError) as info:
        restore_v2(prefix, ["layer/w"], [""], [2])
    assert info.value.message == ("tensor_name = layer/w; expected dtype double does not "
                                  "equal original dtype float")
    with pytest.raises(errors.NotFoundError, match="^Key nope not found in checkpoint$"):
        restore_v2(prefix, ["nope"], [""], [1])
    with pytest.raises(errors.InvalidArgumentError, match="does not match the shape stored"):
        restore_v2(prefix, ["layer/w"], ["4 2 0,1:-"], [1])
    with pytest.raises(errors.InvalidArgumentError):
        restore_v2(prefix, ["layer/w"], ["3 2 0,9:-"], [1])
    with pytest.raises(errors.NotFoundError, match="Failed to find any matching files for"):
        restore_v2(str(tmp_path / "absent"), ["x"], [""], [1])
    shutil.copy(prefix + ".index", str(tmp_path / "m.index"))
    with pytest.raises(errors.NotFoundError) as info:
        restore_v2(str(tmp_path / "m"), ["layer/b"], [""], [1])
    assert str(tmp_path / "m.data-00000-of-00001") in info.value.message


def test_save_errors(tmp_path):
    with pytest.raises(errors.InvalidArgumentError, match="Adding duplicate key: a"):
        save_v2(str(tmp_path / "d"), ["a", "a"], ["", ""], [np.ones(1), np.ones(1)], [2, 2])
    with pytest.raises(errors.InvalidArgumentError, match="does not match the shape"):
        save_v2(str(tmp_path / "d"), ["a"], ["4 2 0,2:-"], [np.ones([3, 2])], [2])
    with pytest.raises(errors.NotFoundError):
        save_v2(str(tmp_path / "no" / "such" / "p"), ["a"], [""], [np.ones(1)], [2])
    assert os.listdir(tmp_path) == []  # nothing half-written anywhere
    save_v2(str(tmp_path / "one" / "p"), ["a"], [""], [np.ones(1)], [2])  # one level is made
    assert os.path.exists(str(tmp_path / "one" / "p.index"))


def test_failed_save_keeps_previous_checkpoint(tmp_path):
    prefix = str(tmp_path / "c")
    save_v2(prefix, ["a"], [""], [np.arange(3.0)], [2])
    before = (_read(prefix + ".index"), _read(prefix + ".data-00000-of-00001"))

    class Unconvertible(object):
        def __array__(self, *args, **kwargs):
            raise RuntimeError("simulated crash mid-save")

    with pytest.raises(RuntimeError, match="simulated crash"):
        save_v2(prefix, ["a", "b"], ["", ""], [np.arange(5.0), Unconvertible()], [2, 2])
    assert (_read(prefix + ".index"), _read(prefix + ".data-00000-of-00001")) == before
    assert sorted(os.listdir(tmp_path)) == ["c.data-00000-of-00001", "c.index"]


def test_merge_errors(tmp_path):
    a, b = str(tmp_path / "t" / "a"), str(tmp_path / "t" / "b")
    save_v2(a, ["x"], [""], [np.ones(2)], [2])
    save_v2(b, ["x"], [""], [np.ones(2)], [2])
    with pytest.raises(errors.InvalidArgumentError, match="Duplicate tensor keyed by x "
                       "encountered, when merging prefix: " + b):
        merge_v2_checkpoints([a, b], str(tmp_path / "m"))
    with pytest.raises(errors.NotFoundError):
        merge_v2_checkpoints([a, str(tmp_path / "t" / "missing")], str(tmp_path / "m2"))
    merge_v2_checkpoints([str(tmp_path / "t" / "missing"), a], str(tmp_path / "m3"),
                         allow_missing_files=True)
    _assert_same(restore_v2(str(tmp_path / "m3"), ["x"], [""], [2])[0], np.ones(2))


# --- damage ------------------------------------------------------------------------------

def _small_checkpoint(prefix):
    save_v2(prefix, ["w", "step", "s", "p", "p", "e"],
            ["", "", "", "4 2 0,3:0,2", "4 2 3,1:0,2", ""],
            [np.arange(6, dtype=np.float32).reshape(3, 2), np.array(5, np.int64),
             np.array([b"ab", b"", b"c"], dtype=object), np.ones([3, 2], np.float64),
             np.zeros([1, 2]), np.zeros([0], np.int32)],
            [1, 9, 7, 2, 2, 3])
    return ["w", "step", "s", "p", "e"], [1, 9, 7, 2, 3]


def _read_everything(prefix, names, dtypes):
    io_ops.clear_cache()
    return restore_v2(prefix, names, [""] * len(names), dtypes)


def _flip_all(path, reread, flips=(0x01, 0xFF)):
    """Flip each byte in turn; every read must fail with an OpError."""
    original = _read(path)
    outcomes = {}
    try:
        for flip in flips:
            for offset in range(len(original)):
                damaged = bytearray(original)
                damaged[offset] ^= flip
                with open(path, "wb") as f:
                    f.write(damaged)
                try:
                    reread()
                except errors.OpError as e:
                    outcomes[type(e).__name__] = outcomes.get(type(e).__name__, 0) + 1
                else:
                    pytest.fail("flip 0x%02x at offset %d of %s was not detected"
                                % (flip, offset, path))
    finally:
        with open(path, "wb") as f:
            f.write(original)
    return outcomes


@pytest.mark.parametrize("which", ["index", "data"])
def test_every_flipped_byte_is_detected(tmp_path, which):
    prefix = str(tmp_path / "small")
    names, dtypes = _small_checkpoint(prefix)
    path = prefix + (".index" if which == "index" else ".data-00000-of-00001")
    outcomes = _flip_all(path, lambda: _read_everything(prefix, names, dtypes))
    if which == "data":
        assert set(outcomes) == {"DataLossError"}
    assert outcomes.get("DataLossError", 0) >= sum(outcomes.values()) - 4


@pytest.mark.parametrize("which", ["index", "data"])
def test_every_flipped_byte_of_tf_file_is_detected(tmp_path, which):
    shutil.copytree(os.path.join(FIXTURES, "spec_example"), str(tmp_path / "c"))
    prefix = str(tmp_path / "c" / "model")
    names = ["layer/b", "layer/w", "step", "strs"]
    path = prefix + (".index" if which == "index" else ".data-00000-of-00001")
    _flip_all(path, lambda: _read_everything(prefix, names, [1, 1, 9, 7]), flips=(0x01,))


def test_every_flipped_byte_of_v1_file_is_detected(tmp_path):
    shutil.copytree(os.path.join(FIXTURES, "v1"), str(tmp_path / "c"))
    prefix = str(tmp_path / "c" / "model.ckpt")
    names = sorted(MANIFEST["v1"]["expect"])
    dtypes = [_dtype_of("v1", n) for n in names]
    _flip_all(prefix, lambda: _read_everything(prefix, names, dtypes), flips=(0x01,))


@pytest.mark.parametrize("which", ["index", "data"])
def test_every_truncation_is_data_loss(tmp_path, which):
    prefix = str(tmp_path / "small")
    names, dtypes = _small_checkpoint(prefix)
    path = prefix + (".index" if which == "index" else ".data-00000-of-00001")
    original = _read(path)
    for n in range(len(original)):
        with open(path, "wb") as f:
            f.write(original[:n])
        with pytest.raises(errors.DataLossError):
            _read_everything(prefix, names, dtypes)


def _forge(tmp_path, entries, data=b"", header=None):
    """A bundle with hand-made (checksummed, well-formed) index entries."""
    prefix = str(tmp_path / "forged")
    with open(v2.data_filename(prefix, 0, 1), "wb") as f:
        f.write(data)
    if header is None:
        v2.write_index(prefix, 1, entries)
    else:
        from metarun.bundle import sstable
        with open(prefix + ".index", "wb") as f:
            builder = sstable.TableBuilder(f)
            builder.add(b"", header.SerializeToString())
            for key in sorted(entries):
                builder.add(key, entries[key].SerializeToString())
            builder.finish()
    return prefix


def _entry(dtype, dims, offset=0, size=0, crc=0, shard=0):
    entry = protos.BundleEntryProto(dtype=dtype, offset=offset, size=size, crc32c=crc,
                                    shard_id=shard)
    entry.shape.SetInParent()
    for d in dims:
        entry.shape.dim.add(size=d)
    return entry


@pytest.mark.parametrize("entry", [
    _entry(1, [2**40], size=2**42),                 # huge tensor, tiny file
    _entry(1, [2], offset=2**62, size=8),           # offset far past the end
    _entry(1, [2], offset=-5, size=8),
    _entry(1, [2**31, 2**31, 4], size=8),           # element count overflows the size
    _entry(7, [2**40], size=8),                     # string tensor, absurd element count
    _entry(7, [1], size=8),                         # string length runs past the entry
    _entry(1, [2], size=8, shard=3),                # shard that does not exist
    _entry(1, [-1], size=8),                        # negative dimension
], ids=["huge", "offset", "neg-offset", "overflow", "strings", "strlen", "shard", "negdim"])
def test_impossible_entries_are_data_loss(tmp_path, entry):
    prefix = _forge(tmp_path, {b"x": entry}, data=b"\x05" + b"\0" * 15)
    with pytest.raises(errors.DataLossError):
        _read_everything(prefix, ["x"], [entry.dtype])


def test_bad_headers(tmp_path):
    header = protos.BundleHeaderProto(num_shards=0)
    prefix = _forge(tmp_path, {}, header=header)
    with pytest.raises(errors.DataLossError, match="Unable to read file"):
        v2.BundleReader(prefix)
    header = protos.BundleHeaderProto(num_shards=1)
    header.version.min_consumer = 7
    prefix = _forge(tmp_path, {}, header=header)
    with pytest.raises(errors.InvalidArgumentError):
        v2.BundleReader(prefix)


def test_big_endian_bundle(tmp_path):
    # A bundle written on a big-endian host: the CRC covers the file bytes and
    # values are swapped after checking (FORMATS.md 2.3).
    values = np.array([1.5, -2.0, 3.25], dtype=">f4").tobytes() + \
        np.array([1 + 2j], dtype=">c16").tobytes()
    entries = {b"f": _entry(1, [3], 0, 12, crc32c.mask(crc32c.value(values[:12]))),
               b"c": _entry(18, [1], 12, 16, crc32c.mask(crc32c.value(values[12:])))}
    header = protos.BundleHeaderProto(num_shards=1, endianness=1)
    header.version.producer = 1
    prefix = _forge(tmp_path, entries, data=values, header=header)
    f, c = restore_v2(prefix, ["f", "c"], ["", ""], [1, 18])
    _assert_same(np.asarray(f), np.array([1.5, -2.0, 3.25], np.float32))
    _assert_same(np.asarray(c), np.array([1 + 2j], np.complex128))


def test_checksum_message(tmp_path):
    prefix = str(tmp_path / "c")
    save_v2(prefix, ["a"], [""], [np.arange(4, dtype=np.float32)], [1])
    path = prefix + ".data-00000-of-00001"
    data = bytearray(_read(path))
    data[5] ^= 1
    with open(path, "wb") as f:
        f.write(data)
    with pytest.raises(errors.DataLossError, match="Checksum does not match"):
        _read_everything(prefix, ["a"], [1])


# --- the shared corpus --------------------------------------------------------------------

def _shared_prefixes(shared):
    out = glob.glob(os.path.join(shared, "realworld", "*", "model"))  # V1 single files
    for kind in ("tfcases", "realworld"):
        out += [p[:-len(".index")] for p in glob.glob(os.path.join(shared, kind, "*", "*.index"))]
    return sorted(out)


def test_shared_checkpoints_read_completely(shared_dir):
    prefixes = _shared_prefixes(shared_dir)
    assert prefixes
    total = 0
    for prefix in prefixes:
        reader = io_ops.open_reader(prefix)
        names = reader.names() if hasattr(reader, "names") else None
        if names is None:
            keys = [k for k in reader.keys() if not k.startswith(b"\0")]
            names = [k.decode("utf-8") for k in keys]
        dtypes = [reader.dtype_and_shape(n)[0] for n in names]
        values = restore_v2(prefix, names, [""] * len(names), dtypes)
        for name, value in zip(names, values):
            assert list(np.shape(value)) == reader.dtype_and_shape(name)[1], (prefix, name)
        total += len(names)
    assert total > 100

