"""Writing V1 checkpoints (SaveSlices / Save, TF's TensorSliceWriter).

Expected bytes come from real TF: the V1 fixtures in tests/fixtures/ckpt
(written by tests/fixtures/gen_checkpoints.py through a V1 Saver) and, below,
files TF 2.21.0's own SaveSlices / Save kernels wrote for GOLDEN_TENSORS
(hex pasted here so the tests never need TF). Reading back goes through the
V1 reader that restore_v2 / restore_slice use.
"""

import json
import os

import ml_dtypes
import numpy as np
import pytest

from metarun import errors
from metarun.bundle import io_ops, ordered_code, sstable, v1, v2
from metarun.framework import io_kernels, protos

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "ckpt")
with open(os.path.join(FIXTURES, "manifest.json")) as _f:
    MANIFEST = json.load(_f)
with np.load(os.path.join(FIXTURES, "values.npz"), allow_pickle=False) as _z:
    VALUES = {k: _z[k] for k in _z.files}

DT = {"float32": 1, "float64": 2, "int32": 3, "uint8": 4, "int16": 5, "int8": 6, "string": 7,
      "complex64": 8, "int64": 9, "bool": 10, "qint8": 11, "quint8": 12, "qint32": 13,
      "bfloat16": 14, "qint16": 15, "quint16": 16, "uint16": 17, "complex128": 18,
      "float16": 19, "uint32": 22, "uint64": 23}


@pytest.fixture(autouse=True)
def _fresh_reader_cache():
    io_ops.clear_cache()
    yield
    io_ops.clear_cache()


def _fixture_value(item):
    array = VALUES[item["npz"]]
    if item["kind"] == "string":
        out = np.empty(array.size, dtype=object)
        out[:] = [bytes(x) for x in array.reshape(-1)]
        return out.reshape(array.shape)
    if item["kind"] == "bfloat16":
        return array.view(ml_dtypes.bfloat16)
    return array


def _entries(path):
    with open(path, "rb") as f:
        table = sstable.Table(f.read(), path)
    return [(bytes(k), bytes(v)) for k, v in table]


def _same(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape
    if want.dtype == object:
        assert [bytes(x) for x in got.reshape(-1)] == [bytes(x) for x in want.reshape(-1)]
    else:
        assert got.dtype == want.dtype
        assert got.tobytes() == want.tobytes()


# --- byte identity with TF --------------------------------------------------------

def _fixture_calls():
    for case in ("v1", "v1_sharded"):
        calls = MANIFEST[case]["saves"]
        for shard, call in enumerate(calls):
            assert call["type"] == "SaveSlices"
            if len(calls) == 1:
                path = os.path.join(FIXTURES, case, MANIFEST[case]["save_path"])
            else:
                path = os.path.join(FIXTURES, case, "model.ckpt-%05d-of-%05d" % (shard, len(calls)))
            yield pytest.param(call, path, id="%s-%d" % (case, shard))


@pytest.mark.parametrize("call,tf_file", list(_fixture_calls()))
def test_fixture_bytes_identical(tmp_path, call, tf_file):
    items = call["tensors"]
    out = str(tmp_path / "model.ckpt")
    io_ops.save_slices(out, [t["name"] for t in items], [t["spec"] for t in items],
                       [_fixture_value(t) for t in items], [t["dtype"] for t in items])
    with open(out, "rb") as f, open(tf_file, "rb") as g:
        assert f.read() == g.read()
    assert os.listdir(str(tmp_path)) == ["model.ckpt"]  # no temp file left


_EMB = np.arange(15, dtype=np.float32).reshape(5, 3) / 4 - 1
GOLDEN_TENSORS = [
    ("zeta/f32", "", np.array([[0.5, -1.25, 3.0e38], [-0.0, 1e-40, 7.0]], np.float32), "float32"),
    ("f64", "", np.array([1.0 / 3, -2.5e300, 0.0]), "float64"),
    ("i32", "", np.array([1, -2, 2 ** 31 - 1, -2 ** 31], np.int32), "int32"),
    ("u8", "", np.array([0, 127, 128, 255], np.uint8), "uint8"),
    ("i16", "", np.array([-32768, 32767, -1, 0], np.int16), "int16"),
    ("i8", "", np.array([-128, 127, -1, 5], np.int8), "int8"),
    ("str", "", np.array([b"one", b"", b"\x00\xff", "\u00fc".encode("utf-8")], object), "string"),
    ("c64", "", np.array([1 + 2j, -3j], np.complex64), "complex64"),
    ("i64", "", np.array([2 ** 62, -2 ** 63, 0, 300], np.int64), "int64"),
    ("flags", "", np.array([[True, False], [False, True]]), "bool"),
    ("qi8", "", np.array([-3, 4], np.int8), "qint8"),
    ("qu8", "", np.array([3, 200], np.uint8), "quint8"),
    ("qi32", "", np.array([-3, 2 ** 30], np.int32), "qint32"),
    ("u16", "", np.array([0, 65535, 300], np.uint16), "uint16"),
    ("c128", "", np.array([1 + 2j, -3j, 5], np.complex128), "complex128"),
    ("f16", "", np.array([1.5, -2, 65504, 6e-8], np.float16), "float16"),
    ("scalar", "", np.float32(3.5), "float32"),
    ("empty", "", np.zeros((2, 0), np.float32), "float32"),
    ("str_scalar", "", np.array(b"hello", object), "string"),
    ("emb", "5 3 3,2:0,3", _EMB[3:], "float32"),
    ("emb", "5 3 0,3:0,3", _EMB[:3], "float32"),
    ("dash", "5 3 -:0,3", _EMB, "float32"),
    ("full", "2 2 0,2:0,2", np.array([[1, 2], [3, 4]], np.int64), "int64"),
    ("dup", "", np.array([1, 2], np.int32), "int32"),
    ("dup", "", np.array([3, 4], np.int32), "int32"),
    ("a\x00b", "", np.array([9], np.int32), "int32"),
]

# SaveSlices(filename, [names], [specs], data) run by TF 2.21.0 on GOLDEN_TENSORS.
TF_SAVE_SLICES_HEX = (
    "000094040a91040a110a03610062120412020801180322020a000a120a046331323812041202080318122202"
    "0a000a110a03633634120412020802180822020a000a1a0a046461736812081202080512020803180122060a"
    "000a0210030a150a03647570120412020802180322020a0022020a000a270a03656d62120812020805120208"
    "03180122080a0210030a021003220a0a04080310020a0210030a170a05656d70747912061202080212001801"
    "22040a000a000a110a03663136120412020804181322020a000a110a03663634120412020803180222020a00"
    "0a190a05666c61677312081202080212020802180a22040a000a000a1c0a0466756c6c120812020802120208"
    "02180922080a0210020a0210020a110a03693136120412020804180522020a000a110a036933321204120208"
    "04180322020a000a110a03693634120412020804180922020a000a100a026938120412020804180622020a00"
    "0a120a0471693332120412020802180d22020a000a110a03716938120412020802180b22020a000a110a0371"
    "7538120412020802180c22020a000a0e0a067363616c61721200180122000a110a0373747212041202080418"
    "0722020a000a120a0a7374725f7363616c61721200180722000a110a03753136120412020803181122020a00"
    "0a100a027538120412020804180422020a000a1c0a087a6574612f6633321208120208021202080318012204"
    "0a000a0012020801000b10006100ff6200010101807f120e0a0361006212020a001a033a0109010a40633132"
    "3800010101807f123e0a046331323812020a001a326230000000000000f03f00000000000000400000000000"
    "00008000000000000008c00000000000001440000000000000000002081f363400010101807f121d0a036336"
    "3412020a001a124a100000803f0000004000000080000040c0010c506461736800010102807f8083124e0a04"
    "6461736812060a000a0210031a3e2a3c000080bf000040bf000000bf000080be000000000000803e0000003f"
    "0000403f0000803f0000a03f0000c03f0000e03f000000400000104000002040020811757000010101807f12"
    "0f0a0364757012020a001a043a020304010b39656d62000101028083808312370a03656d6212080a0210030a"
    "0210031a262a24000080bf000040bf000000bf000080be000000000000803e0000003f0000403f0000803f08"
    "042f83828083122d0a03656d62120a0a04080310020a0210031a1a2a180000a03f0000c03f0000e03f000000"
    "400000104000002040030b1170747900010102807f807f120f0a05656d70747912040a000a001a0001091866"
    "313600010101807f12160a0366313612020a001a0b6a09807c808003fff70101020827363400010101807f12"
    "250a0366363412020a001a1a3218555555555555d53f039300aa4bdd4dfe0000000000000000020c176c6167"
    "7300010102807f807f12150a05666c61677312040a000a001a065a0401000001020b1a756c6c000101028082"
    "808212180a0466756c6c12080a0210020a0210021a0652040102030401092769313600010101807f12250a03"
    "69313612020a001a1a3a188080feffffffffffff01ffff01ffffffffffffffffff0100020829333200010101"
    "807f12270a0369333212020a001a1c3a1a01feffffffffffffffff01ffffffff0780808080f8ffffffff0102"
    "0825363400010101807f12230a0369363412020a001a18521680808080808080804080808080808080808001"
    "00ac0200092400693800010101807f12220a02693812020a001a183a1680ffffffffffffffff017fffffffff"
    "ffffffffff0105010a1f7169333200010101807f121d0a047169333212020a001a113a0ffdffffffffffffff"
    "ff01808080800403071a3800010101807f12180a0371693812020a001a0d3a0bfdffffffffffffffff010402"
    "0812753800010101807f12100a0371753812020a001a053a0303c8010109147363616c617200010012120a06"
    "7363616c617212001a062a040000604002081c747200010101807f121a0a0373747212020a001a0f42036f6e"
    "654200420200ff4202c3bc040a195f7363616c617200010012170a0a7374725f7363616c617212001a074205"
    "68656c6c6f01091575313600010101807f12130a0375313612020a001a083a0600ffff03ac02020714380001"
    "0101807f12120a02753812020a001a083a06007f8001ff0101102e7a6574612f66333200010102807f807f12"
    "2c0a087a6574612f66333212040a000a001a1a2a180000003f0000a0bfe6b1617f00000080c21601000000e0"
    "4000000000ff040000020000000089b6b1cb000000000100000000c0f2a1b00001030100950d000000000100"
    "000000c4f3c24a9a0d08a70d0f00000000000000000000000000000000000000000000000000000000000000"
    "00000057fb808b247547db")
# Save(filename, ["b", "a", "c"], [[1.5, -2.0], int64 7, [b"x", b"yz"]]) by TF 2.21.0.
TF_SAVE_HEX = (
    "0000330a310a090a01611200180922000a0f0a0162120412020802180122020a000a0f0a0163120412020802"
    "180722020a001202080100050c0061000100120a0a016112001a035201070107156200010101807f12130a01"
    "6212020a001a0a2a080000c03f000000c00107126300010101807f12100a016312020a001a07420178420279"
    "7a000000000100000000a4cd7f3d000000000100000000c0f2a1b000010301008d01000000000100000000b6"
    "0b9cc69201089f010f0000000000000000000000000000000000000000000000000000000000000000000057"
    "fb808b247547db")


def _golden_args():
    return ([t[0] for t in GOLDEN_TENSORS], [t[1] for t in GOLDEN_TENSORS],
            [t[2] for t in GOLDEN_TENSORS], [DT[t[3]] for t in GOLDEN_TENSORS])


def test_every_dtype_bytes_identical_to_tf(tmp_path):
    # All dtypes TF's V1 writer supports, scalars, empty tensors, strings with
    # NUL/0xff bytes, a NUL in a name, partitioned slices, "-" extents, an
    # explicit slice covering the whole tensor, a duplicate name; 26 tensors,
    # so TF's (unstable) std::sort order matters too.
    out = str(tmp_path / "golden")
    io_ops.save_slices(out, *_golden_args())
    with open(out, "rb") as f:
        assert f.read().hex() == TF_SAVE_SLICES_HEX


def test_save_op_bytes_identical_to_tf(tmp_path):
    out = str(tmp_path / "save")
    inputs = [np.array(out.encode()), np.array([b"b", b"a", b"c"], dtype=object),
              np.array([1.5, -2.0], np.float32), np.array(7, np.int64),
              np.array([b"x", b"yz"], dtype=object)]
    assert io_kernels.run_host_op("Save", "save/save", {"T": [1, 9, 7]}, inputs) is None
    with open(out, "rb") as f:
        assert f.read().hex() == TF_SAVE_HEX


def test_save_order_matches_tf_std_sort():
    # Names and the order TF 2.21's SaveSlices added them in (read back from
    # the meta of the file it wrote): not stable once there are > 16 names.
    names = list("bacabccacbaabaacbaaacbabaababbabcbbbbbcc")
    tf_order = [10, 22, 19, 18, 17, 24, 14, 13, 25, 11, 27, 7, 30, 3, 1, 33, 26, 28, 29, 23,
                31, 21, 34, 16, 35, 12, 9, 36, 37, 4, 0, 38, 39, 32, 20, 15, 8, 6, 5, 2]
    assert v1.save_order(names) == tf_order
    for n in (0, 1, 2, 16):
        names = list("cabbacabbcacbcaa"[:n])
        assert v1.save_order(names) == sorted(range(n), key=lambda i: names[i])
    rng = np.random.RandomState(0)
    for n in (17, 100, 1000):
        names = [chr(97 + k) for k in rng.randint(0, 4, n)]
        order = v1.save_order(names)
        assert sorted(order) == list(range(n))
        assert [names[i] for i in order] == sorted(names)


# --- structure and round trips ------------------------------------------------------

def test_structure_of_written_file(tmp_path):
    out = str(tmp_path / "ck")
    emb = np.arange(15, dtype=np.float32).reshape(5, 3)
    io_ops.save_slices(out, ["w", "emb", "emb"], ["", "5 3 3,2:0,3", "5 3 0,3:-"],
                       [np.float32(2.0), emb[3:], emb[:3]], [1, 1, 1])
    entries = _entries(out)
    keys = [k for k, _ in entries]
    assert keys == sorted(keys) and keys[0] == b""
    assert keys[1:] == [ordered_code.encode_tensor_name_slice("emb", [(0, 3), (0, -1)]),
                        ordered_code.encode_tensor_name_slice("emb", [(3, 2), (0, 3)]),
                        b"\x00w\x00\x01\x00"]
    meta = protos.SavedTensorSlices.FromString(entries[0][1])
    assert not meta.HasField("data")
    assert [t.name for t in meta.meta.tensor] == ["emb", "w"]
    assert (meta.meta.versions.producer, meta.meta.versions.min_consumer) == (1, 0)
    emb_meta = meta.meta.tensor[0]
    assert [d.size for d in emb_meta.shape.dim] == [5, 3] and emb_meta.type == 1
    # Slices in the order added (sorted by name, then as given); "-" is an
    # empty extent, explicit extents keep length even for a whole dimension.
    assert [[(e.start, e.length if e.HasField("length") else None) for e in s.extent]
            for s in emb_meta.slice] == [[(3, 2), (0, 3)], [(0, 3), (0, None)]]
    assert meta.meta.tensor[1].HasField("shape") and len(meta.meta.tensor[1].slice) == 1
    data = protos.SavedTensorSlices.FromString(entries[1][1])
    assert not data.HasField("meta")
    assert data.data.name == "emb" and data.data.HasField("slice")
    assert not data.data.data.dtype and not data.data.data.HasField("tensor_shape")
    assert list(data.data.data.float_val) == list(emb[:3].reshape(-1))
    assert not data.data.data.tensor_content


SUPPORTED = {
    "float32": np.array([[0.5, -1.25], [np.inf, -0.0]], np.float32),
    "float64": np.array([1.0 / 3, -2.5e300, np.nan]),
    "int32": np.array([1, -2, 2 ** 31 - 1, -2 ** 31], np.int32),
    "uint8": np.array([0, 127, 128, 255], np.uint8),
    "int16": np.array([-32768, 32767, -1], np.int16),
    "int8": np.array([[-128, 127], [-1, 5]], np.int8),
    "string": np.array([b"one", b"", b"\x00\xff" * 100], dtype=object),
    "complex64": np.array([1 + 2j, -3j], np.complex64),
    "int64": np.array([2 ** 62, -2 ** 63, 0, 2 ** 63 - 1], np.int64),
    "bool": np.array([[True, False], [False, True]]),
    "qint8": np.array([-3, 4], np.int8),
    "quint8": np.array([3, 200], np.uint8),
    "qint32": np.array([-3, 2 ** 30], np.int32),
    "uint16": np.array([0, 65535, 300], np.uint16),
    "complex128": np.array([1 + 2j, -3j, 5], np.complex128),
    "float16": np.array([1.5, -2, 65504, 6e-8, np.nan], np.float16),
}


@pytest.mark.parametrize("shape", [None, (), (0,), (3, 0, 2)], ids=["values", "scalar", "empty", "empty3d"])
@pytest.mark.parametrize("dtype", sorted(SUPPORTED))
def test_round_trip_every_dtype(tmp_path, dtype, shape):
    value = SUPPORTED[dtype]
    if shape == ():
        value = value.reshape(-1)[:1].reshape(())
    elif shape is not None:
        value = value.reshape(-1)[:0].reshape(shape)
    out = str(tmp_path / "ck")
    io_ops.save_slices(out, ["t"], [""], [value], [DT[dtype]])
    (got,) = io_ops.restore_v2(out, ["t"], [""], [DT[dtype]])
    _same(got, value)
    _same(io_ops.restore_slice(out, "t", "", DT[dtype]), value)
    reader = v1.V1Reader(out)
    assert reader.dtype_and_shape("t") == (DT[dtype], list(value.shape))


def test_sign_extension_and_large_varints(tmp_path):
    # int_val holds int8/int16/int32 sign-extended to 64 bits (10-byte varints).
    out = str(tmp_path / "ck")
    io_ops.save_slices(out, ["a"], [""], [np.array([-1, 0, 1], np.int8)], [6])
    saved = protos.SavedTensorSlices.FromString(_entries(out)[1][1])
    assert list(saved.data.data.int_val) == [-1, 0, 1]
    assert bytes.fromhex("3a0c" + "ff" * 9 + "01" + "0001") in _entries(out)[1][1]
    values = np.array([0, 1, 127, 128, 2 ** 14, 2 ** 35, 2 ** 63 - 1, -1, -2 ** 63], np.int64)
    assert v1._varint_array(values.view(np.uint64)) == b"".join(
        sstable.encode_varint(int(x) & (2 ** 64 - 1)) for x in values)


def test_partitioned_round_trip(tmp_path):
    out = str(tmp_path / "ck")
    full = np.arange(42, dtype=np.float64).reshape(7, 6)
    specs = ["7 6 0,3:0,6", "7 6 3,4:0,2", "7 6 3,4:2,4"]
    parts = [full[0:3], full[3:7, 0:2], full[3:7, 2:6]]
    io_ops.save_slices(out, ["v"] * 3, specs, parts, [2] * 3)
    reader = v1.V1Reader(out)
    assert reader.num_slices("v") == 3
    (got,) = io_ops.restore_v2(out, ["v"], [""], [2])
    _same(got, full)
    # Another partitioning than the saved one, and one slice as saved.
    _same(io_ops.restore_v2(out, ["v"], ["7 6 2,3:1,4"], [2])[0], full[2:5, 1:5])
    _same(io_ops.restore_slice(out, "v", "7 6 3,4:0,2", 2), parts[1])
    # A slice spec covering everything is kept as an explicit slice, as TF does.
    io_ops.save_slices(out, ["w"], ["2 2 0,2:0,2"], [full[:2, :2]], [2])
    assert [k for k, _ in _entries(out)][1] == b"\x00w\x00\x01\x01\x02\x80\x82\x80\x82"
    _same(io_ops.restore_v2(out, ["w"], [""], [2])[0], full[:2, :2])


def test_sharded_pattern_round_trip(tmp_path):
    a, c = np.arange(3, dtype=np.float32), np.eye(2)
    io_ops.save_slices(str(tmp_path / "m-00000-of-00002"), ["a"], [""], [a], [1])
    io_ops.save_slices(str(tmp_path / "m-00001-of-00002"), ["c"], [""], [c], [2])
    pattern = str(tmp_path / "m-?????-of-00002")
    got = io_ops.restore_v2(pattern, ["a", "c"], ["", ""], [1, 2])
    _same(got[0], a)
    _same(got[1], c)


def test_duplicates_first_data_wins_meta_lists_all(tmp_path):
    out = str(tmp_path / "ck")
    io_ops.save_slices(out, ["x", "x"], ["", ""], [np.array([1, 2], np.int32),
                                                    np.array([3, 4], np.int32)], [3, 3])
    entries = _entries(out)
    assert len(entries) == 2
    meta = protos.SavedTensorSlices.FromString(entries[0][1])
    assert len(meta.meta.tensor[0].slice) == 2
    assert list(protos.SavedTensorSlices.FromString(entries[1][1]).data.data.int_val) == [1, 2]


# --- errors, atomicity ----------------------------------------------------------------

def test_overwrite_is_atomic_and_failure_keeps_old_file(tmp_path, monkeypatch):
    out = str(tmp_path / "ck")
    io_ops.save_slices(out, ["a"], [""], [np.float32(1)], [1])
    with open(out, "rb") as f:
        before = f.read()
    inode = os.stat(out).st_ino
    io_ops.save_slices(out, ["a"], [""], [np.float32(2)], [1])
    assert os.stat(out).st_ino != inode  # renamed into place, not rewritten
    _same(io_ops.restore_v2(out, ["a"], [""], [1])[0], np.float32(2))

    def boom(self):
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(sstable.TableBuilder, "finish", boom)
    with open(out, "rb") as f:
        current = f.read()
    with pytest.raises(errors.InternalError, match="Error writing \\(tmp\\) checkpoint file"):
        io_ops.save_slices(out, ["a"], [""], [np.float32(3)], [1])
    with open(out, "rb") as f:
        assert f.read() == current != before
    assert os.listdir(str(tmp_path)) == ["ck"]


def test_missing_parent_directory_is_not_created(tmp_path):
    # TF's V1 writer does not create directories (unlike V2's BundleWriter).
    out = str(tmp_path / "newdir" / "ck")
    with pytest.raises(errors.NotFoundError, match="newdir/ck.tempstate[0-9]+; No such file"):
        io_ops.save_slices(out, ["a"], [""], [np.float32(1)], [1])
    assert os.listdir(str(tmp_path)) == []


@pytest.mark.parametrize("dtype,cls,message", [
    ("bfloat16", errors.UnimplementedError, "Saving data type bfloat16 not yet supported"),
    ("qint16", errors.UnimplementedError, "Saving data type qint16 not yet supported"),
    ("quint16", errors.UnimplementedError, "Saving data type quint16 not yet supported"),
    ("uint32", errors.InvalidArgumentError, "Tensor slice serialization not implemented for dtype 22"),
    ("uint64", errors.InvalidArgumentError, "Tensor slice serialization not implemented for dtype 23"),
])
def test_dtypes_tf_cannot_save_in_v1(tmp_path, dtype, cls, message):
    # Checked against TF 2.21's SaveSlices: these fail there too.
    np_type = ml_dtypes.bfloat16 if dtype == "bfloat16" else v2.numpy_dtype(DT[dtype])
    out = str(tmp_path / "ck")
    with pytest.raises(cls, match="^" + message + "$"):
        io_ops.save_slices(out, ["ok", "z"], ["", ""], [np.float32(1), np.zeros(2, np_type)],
                           [1, DT[dtype]])
    assert os.listdir(str(tmp_path)) == []


def test_bfloat16_from_the_core_is_viewed_then_refused(tmp_path):
    out = str(tmp_path / "ck")
    raw = np.array([0x3FC0, 0xC000], np.uint16)  # what the C++ core hands over
    with pytest.raises(errors.UnimplementedError, match="bfloat16"):
        io_kernels.run_host_op("SaveSlices", "save/save", {"T": [14]},
                             [np.array(out.encode()), np.array([b"b"], dtype=object),
                              np.array([b""], dtype=object), raw])


@pytest.mark.parametrize("names,specs,tensors,types,cls,message", [
    (["x", "x"], ["4 0,2", "5 2,2"], [np.zeros(2, np.float32)] * 2, [1, 1], errors.InternalError,
     "Mismatching shapes: existing tensor = [4], trying to add name x, shape = [5]"),
    (["x", "x"], ["4 0,2", "4 2,2"], [np.zeros(2, np.float32), np.zeros(2, np.int32)], [1, 3],
     errors.InternalError,
     "Mismatching types: existing type = float, trying to add name x, type = int32"),
    (["x"], ["4 0,3"], [np.zeros(2, np.float32)], [1], errors.InvalidArgumentError,
     "Slice in shape_and_slice specification does not match the shape of the tensor to  save: "
     "4 0,3, tensor: [2]"),
    (["x"], ["4"], [np.zeros(2, np.float32)], [1], errors.InvalidArgumentError,
     "Need least two elements in shape_and_slice specification: 4"),
    (["x", "y"], [""], [np.zeros(2, np.float32)] * 2, [1, 1], errors.InvalidArgumentError,
     "Expected 2 elements for the tensor shapes and slices but got 1"),
])
def test_errors_as_tf(tmp_path, names, specs, tensors, types, cls, message):
    # Messages and classes as TF 2.21's SaveSlices gives them.
    out = str(tmp_path / "ck")
    with pytest.raises(cls) as info:
        io_ops.save_slices(out, names, specs, tensors, types)
    assert info.value.message == message
    assert os.listdir(str(tmp_path)) == []


def test_too_large_slice(tmp_path, monkeypatch):
    # TF's bound: serialized name and slice (7 bytes here) + 1 KiB + per element
    # 4 bytes for floats, 10 + the length for strings.
    monkeypatch.setattr(v1, "MAX_MESSAGE_BYTES", 2100)
    out = str(tmp_path / "ck")
    io_ops.save_slices(out, ["x"], [""], [np.zeros(267, np.float32)], [1])  # 2099
    with pytest.raises(errors.InvalidArgumentError,
                       match=r"Tensor slice is too large to serialize \(conservative estimate: "):
        io_ops.save_slices(out, ["x"], [""], [np.zeros(300, np.float32)], [1])
    with pytest.raises(errors.InvalidArgumentError, match="too large"):
        io_ops.save_slices(out, ["s"], [""], [np.array([b"x" * 1100], dtype=object)], [7])


def test_io_kernel_save_slices_and_input_checks(tmp_path):
    out = str(tmp_path / "ck")
    emb = np.arange(6, dtype=np.float32).reshape(3, 2)
    inputs = [np.array(out.encode(), dtype=object), np.array([b"e", b"e"], dtype=object),
              np.array([b"3 2 0,1:-", b"3 2 1,2:-"], dtype=object), emb[:1], emb[1:]]
    assert io_kernels.run_host_op("SaveSlices", "save/save", {"T": [1, 1]}, inputs) is None
    _same(io_kernels.run_host_op("RestoreV2", "r", {"dtypes": [1]},
                               [np.array(out.encode(), dtype=object),
                                np.array([b"e"], dtype=object),
                                np.array([b""], dtype=object)])[0], emb)
    with pytest.raises(errors.InvalidArgumentError, match="Input 0 \\(filename\\) must be a string scalar"):
        io_kernels.run_host_op("SaveSlices", "s", {"T": [1, 1]},
                             [np.array([b"a", b"b"], dtype=object)] + inputs[1:])
    with pytest.raises(errors.InvalidArgumentError,
                       match="Expected totally 5 inputs as input #1 .* contains 2 names, but "
                             "received 4 inputs"):
        io_kernels.run_host_op("SaveSlices", "s", {"T": [1]}, inputs[:4])
    with pytest.raises(errors.InvalidArgumentError, match="Expected 2 elements for the tensor"):
        io_kernels.run_host_op("SaveSlices", "s", {"T": [1, 1]},
                             inputs[:2] + [np.array([b""], dtype=object)] + inputs[3:])
