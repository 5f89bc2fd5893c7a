"""SSTable container, crc32c and OrderedCode, checked against FORMATS.md's
examples (verified there on real TF files) and TF-written fixtures."""

import glob
import io
import os
import random

import pytest

from metarun import errors
from metarun.bundle import crc32c, ordered_code, sstable

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "ckpt")




def _tf_tables():
    """Every SSTable TF wrote among our fixtures (V2 indexes and V1 files)."""
    paths = glob.glob(os.path.join(FIXTURES, "*", "*.index"))
    paths += [os.path.join(FIXTURES, "v1", "model.ckpt")]
    paths += glob.glob(os.path.join(FIXTURES, "v1_sharded", "model.ckpt-*"))
    return sorted(paths)


def _build(items, block_size=sstable.BLOCK_SIZE):
    out = io.BytesIO()
    builder = sstable.TableBuilder(out, block_size=block_size)
    for key, value in items:
        builder.add(key, value)
    builder.finish()
    return out.getvalue()


# --- crc32c ------------------------------------------------------------------

def test_crc32c_check_value():
    assert crc32c.value(b"123456789") == 0xE3069283
    assert crc32c.value(memoryview(b"123456789")) == 0xE3069283
    assert crc32c.value(bytearray(b"123456789")) == 0xE3069283


def test_crc32c_extend_equals_whole():
    data = bytes(range(256)) * 5
    assert crc32c.extend(crc32c.value(data[:100]), data[100:]) == crc32c.value(data)


def test_mask():
    assert crc32c.mask(0) == 0xA282EAD8
    rng = random.Random(0)
    for _ in range(1000):
        c = rng.getrandbits(32)
        masked = crc32c.mask(c)
        assert masked == ((((c >> 15) | (c << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF
        assert crc32c.unmask(masked) == c


# --- varints -----------------------------------------------------------------

@pytest.mark.parametrize("value", [0, 1, 127, 128, 300, 2**32 - 1, 2**35, 2**64 - 1])
def test_varint_round_trip(value):
    encoded = sstable.encode_varint(value)
    assert sstable.decode_varint(encoded, 0, len(encoded)) == (value, len(encoded))


def test_varint_examples():
    assert sstable.encode_varint(150) == b"\x96\x01"
    assert sstable.encode_varint(0) == b"\x00"


@pytest.mark.parametrize("data,max_bytes", [
    (b"\x80\x80", 10),                      # runs off the end
    (b"\xff" * 11 + b"\x01", 10),           # longer than a varint64
    (b"\xff\xff\xff\xff\x7f", 5),           # 35 bits into a varint32
    (b"\xff" * 9 + b"\x7f", 10),            # 70 bits into a varint64
])
def test_varint_rejects_garbage(data, max_bytes):
    with pytest.raises(ValueError):
        sstable.decode_varint(data, 0, len(data), max_bytes)


# --- blocks and keys ---------------------------------------------------------

def test_empty_block_bytes():
    assert sstable.BlockBuilder(16).finish() == bytes.fromhex("0000000001000000")


def test_separators():
    # FORMATS.md 2.2: the final block's index key is the short successor.
    assert sstable.short_successor(b"strs") == b"t"
    assert sstable.short_successor(b"block_05999/x") == b"c"
    assert sstable.short_successor(b"\xff\xff") == b"\xff\xff"
    assert sstable.shortest_separator(b"abcd", b"abzz") == b"abd"
    assert sstable.shortest_separator(b"abcd", b"abdz") == b"abcd"  # c+1 == d: not shorter
    assert sstable.shortest_separator(b"ab", b"abc") == b"ab"        # prefix: unchanged
    assert sstable.shortest_separator(b"a\xffx", b"b") == b"a\xffx"  # 'a'+1 == 'b'


def test_formats_index_block_example():
    # FORMATS.md 2.2, offset 0x80: index entry "t" -> handle(0, 110), then the
    # restart array, for a one-block table.
    block = sstable.BlockBuilder(sstable.INDEX_RESTART_INTERVAL)
    block.add(b"t", sstable.BlockHandle(0, 110).encode())
    assert block.finish() == bytes.fromhex("000102") + b"t" + bytes.fromhex(
        "006e0000000001000000")


def test_formats_footer_example():
    # FORMATS.md 2.2, offset 0x93: metaindex (115, 8), index (128, 14).
    footer = sstable.BlockHandle(115, 8).encode() + sstable.BlockHandle(128, 14).encode()
    assert footer == bytes.fromhex("7308800 10e".replace(" ", ""))
    with open(os.path.join(FIXTURES, "spec_example", "model.index"), "rb") as f:
        data = f.read()
    assert len(data) == 195
    assert data[-48:] == footer + b"\0" * 35 + bytes.fromhex("57fb808b247547db")
    assert data[0x73:0x7B] == bytes.fromhex("0000000001000000")  # empty metaindex


# --- TF-written tables -------------------------------------------------------

@pytest.mark.parametrize("path", _tf_tables(), ids=os.path.basename)
def test_rebuild_tf_table_byte_identical(path):
    with open(path, "rb") as f:
        data = f.read()
    table = sstable.Table(data, path)
    items = list(table)
    assert items and items[0][0] == b""
    assert [k for k, _ in items] == sorted(k for k, _ in items)
    for key, value in items:
        assert table.get(key) == value
    assert _build(items) == data


def test_rebuild_shared_tables_byte_identical(shared_dir):
    paths = glob.glob(os.path.join(shared_dir, "tfcases", "*", "*.index"))
    paths += glob.glob(os.path.join(shared_dir, "realworld", "*", "*.index"))
    paths += glob.glob(os.path.join(shared_dir, "realworld", "*_v1", "model"))
    assert paths
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        assert _build(list(sstable.Table(data, path))) == data, path


# --- our own tables ----------------------------------------------------------

def _random_items(n, seed, max_value=40):
    rng = random.Random(seed)
    keys = sorted({bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 12)))
                   for _ in range(n)})
    return [(k, bytes(rng.getrandbits(8) for _ in range(rng.randint(0, max_value))))
            for k in keys]


@pytest.mark.parametrize("block_size", [64, 1000, sstable.BLOCK_SIZE])
def test_round_trip_and_lookup(block_size):
    items = _random_items(3000, seed=block_size)
    data = _build(items, block_size)
    table = sstable.Table(data, "mem")
    assert list(table) == items
    for key, value in items[::7]:
        assert table.get(key) == value
    assert table.get(items[-1][0] + b"\x00") is None
    assert table.get(b"\xff" * 20) is None


def _data_blocks(data):
    """(entry count, contents size) of each data block, via the index."""
    table = sstable.Table(data, "mem")
    out = []
    for handle in table._handles:
        block = sstable.Block(data[handle.offset:handle.offset + handle.size], "mem")
        out.append((len(list(block.entries())), handle.size, len(block._restarts)))
    return out


def test_block_flush_rule_and_restarts():
    # Small values, block_size 512: each block is flushed as soon as its
    # estimated size (entries + 4 per restart + 4) reaches 512.
    items = [(b"key%05d" % i, b"v" * 10) for i in range(400)]
    data = _build(items, 512)
    blocks = _data_blocks(data)
    for count, size, restarts in blocks[:-1]:
        assert size >= 512
        assert restarts == (count + 15) // 16  # a restart every 16 entries
    assert sum(c for c, _, _ in blocks) == 400


def test_large_entry_gets_its_own_block():
    # TF flushes *before* an entry whose key+value >= 2 * block_size.
    items = [(b"a", b"x"), (b"b", b"y" * 300), (b"c", b"z")]
    blocks = _data_blocks(_build(items, 128))
    assert [c for c, _, _ in blocks] == [1, 1, 1]


def test_keys_must_increase():
    builder = sstable.TableBuilder(io.BytesIO())
    builder.add(b"b", b"")
    with pytest.raises(ValueError):
        builder.add(b"a", b"")
    with pytest.raises(ValueError):
        builder.add(b"b", b"")


# --- damage ------------------------------------------------------------------

def _small_table():
    return _build(_random_items(60, seed=5, max_value=8), block_size=128)


def test_bad_magic():
    data = bytearray(_small_table())
    data[-1] ^= 0x01
    with pytest.raises(errors.DataLossError, match="not an sstable \\(bad magic number\\)"):
        sstable.Table(bytes(data), "x.index")


def test_too_short():
    with pytest.raises(errors.DataLossError, match="too short"):
        sstable.Table(b"\0" * 47, "x.index")
    with pytest.raises(errors.DataLossError):
        sstable.Table(b"", "x.index")


def test_every_truncation_is_data_loss():
    data = _small_table()
    for n in range(len(data)):
        with pytest.raises(errors.DataLossError):
            list(sstable.Table(data[:n], "x.index"))


@pytest.mark.parametrize("flip", [0x01, 0x80, 0xFF])
def test_every_flipped_byte_is_data_loss(flip):
    data = _small_table()
    for offset in range(len(data)):
        damaged = bytearray(data)
        damaged[offset] ^= flip
        with pytest.raises(errors.DataLossError) as info:
            list(sstable.Table(bytes(damaged), "x.index"))
        assert "x.index" in info.value.message


def test_checksum_error_names_file_and_offset():
    data = bytearray(_small_table())
    data[3] ^= 0x10
    with pytest.raises(errors.DataLossError, match=r"x\.index: block checksum mismatch "
                                                   r"\(block at offset 0"):
        list(sstable.Table(bytes(data), "x.index"))


def test_huge_handle_in_valid_footer():
    # A footer whose (valid) varints point far past the file.
    data = bytearray(_small_table())
    handles = sstable.BlockHandle(2**62, 2**62).encode() * 2
    data[-48:-8] = handles + b"\0" * (40 - len(handles))
    with pytest.raises(errors.DataLossError, match="truncated block read"):
        sstable.Table(bytes(data), "x.index")


# --- OrderedCode ---------------------------------------------------------------

SIGNED_EXAMPLES = {0: "80", 3: "83", 63: "bf", -1: "7f", -64: "40", 64: "c040", 100: "c064",
                   -65: "3fbf", 8192: "e02000", -2048: "3800"}


@pytest.mark.parametrize("value,hex_bytes", sorted(SIGNED_EXAMPLES.items()))
def test_signed_num_examples(value, hex_bytes):
    assert ordered_code.write_signed_num_increasing(value).hex() == hex_bytes
    encoded = bytes.fromhex(hex_bytes)
    assert ordered_code.read_signed_num_increasing(encoded, 0) == (value, len(encoded))


def test_signed_num_order_and_round_trip():
    rng = random.Random(1)
    values = [rng.randint(-2**63, 2**63 - 1) for _ in range(3000)]
    values += [s * (2**k) + d for k in range(63) for s in (1, -1) for d in (-1, 0, 1)]
    values = [v for v in values if -2**63 <= v < 2**63]
    encoded = {v: ordered_code.write_signed_num_increasing(v) for v in values}
    for v, e in encoded.items():
        assert ordered_code.read_signed_num_increasing(e, 0) == (v, len(e))
        assert 1 <= len(e) <= 10
    ordered = sorted(encoded)
    assert [encoded[v] for v in ordered] == sorted(encoded.values())


def test_unsigned_num_examples():
    assert ordered_code.write_num_increasing(0) == b"\x00"
    assert ordered_code.write_num_increasing(2) == b"\x01\x02"
    assert ordered_code.write_num_increasing(256) == b"\x02\x01\x00"
    assert ordered_code.read_num_increasing(b"\x02\x01\x00", 0) == (256, 3)


def test_string_escapes():
    assert ordered_code.write_string(b"a\x00b\xff") == b"a\x00\xffb\xff\x00\x00\x01"
    assert ordered_code.read_string(b"a\x00\xffb\xff\x00\x00\x01", 0) == (b"a\x00b\xff", 8)
    with pytest.raises(ValueError):
        ordered_code.read_string(b"abc", 0)


def test_tensor_name_slice_examples():
    # FORMATS.md 2.5 and 3 (checked against real TF keys).
    enc = ordered_code.encode_tensor_name_slice
    assert enc("emb", [(0, 3), (0, 4)]).hex() == "00656d620001010280838084"
    assert enc("emb", [(3, 2), (0, 4)]).hex() == "00656d620001010283828084"
    assert enc("w", [(0, -1), (0, -1)]).hex() == "007700010102807f807f"
    key = enc("a\x00\xffz", [(5, 7), (2**40, 1)])
    assert ordered_code.decode_tensor_name_slice(key) == (
        "a\x00\xffz".encode("utf-8"), [(5, 7), (2**40, 1)])


def test_tensor_name_slice_keys_in_tf_fixture():
    # Every slice key TF wrote decodes and re-encodes to itself.
    with open(os.path.join(FIXTURES, "partitioned", "model.index"), "rb") as f:
        table = sstable.Table(f.read(), "partitioned")
    slice_keys = [k for k, _ in table if k.startswith(b"\x00")]
    assert len(slice_keys) == 9
    for key in slice_keys:
        name, extents = ordered_code.decode_tensor_name_slice(key)
        assert ordered_code.encode_tensor_name_slice(name, extents) == key
