"""Image codec kernels (DecodeJpeg, DecodeAndCropJpeg, ExtractJpegShape, EncodeJpeg,
EncodeJpegVariableQuality, DecodePng, EncodePng, DecodeGif, DecodeBmp, DecodeImage) and the
tf.image / tf.io functions building them, against TF 2.21.

Expected values come from tests/fixtures/kernels/image_codec.npz (written by gen_image_codec.py
with real TF, the input files made there with Pillow or byte by byte): JPEGs with 4:2:0, 4:2:2
and 4:4:4 chroma, progressive, grayscale, Adobe CMYK and 1x1 / 3x2 sizes decoded with every
channels / ratio / fancy_upscaling / dct_method combination; PNGs of every color type and bit
depth, palettes with and without tRNS, Adam7, a gAMA chunk, decoded to every channel count in
uint8 and uint16; animated GIFs (each disposal method, sub-rectangle frames, transparency,
interlacing); BMPs (24/32 bits, top-down, a 124-byte header); JPEGs cut at several points of
their scan (the rows TF keeps before libjpeg suspends) or damaged in ways libjpeg only warns
about; DecodeAndCropJpeg windows of every alignment; DecodeImage sniffing all of them
into uint8 / uint16 / float32 with and without expand_animations; the encoders' bytes (JPEG at
several qualities, with and without chroma subsampling, densities and XMP; PNG at every
compression level, 8 and 16 bits, batched); and every input TF rejects, with TF's error class
and message, the Session running good inputs afterwards.

Decoded pixels and encoded bytes must equal TF's exactly. The cases metarun does not reproduce
are listed in NOT_REPRODUCED with the reason and asserted to differ as documented (so a change
that fixes one shows up here): only the rows libjpeg invents after the end of a truncated file
with try_recover_truncated, which differ between libjpeg-turbo versions.
"""
import json

import numpy as np
import pytest

import metarun as tf
from metarun.framework import dtypes
from op_harness import OpSession, _core, dtype_of, kernel_fixture, load_npz, run_op, status_code

OPS = ("DecodeJpeg", "DecodeAndCropJpeg", "ExtractJpegShape", "EncodeJpeg", "EncodeJpegVariableQuality",
       "DecodePng", "EncodePng", "DecodeGif", "DecodeBmp", "DecodeImage")
COVERAGE = {op: set() for op in OPS}  # host kernels: no dtype rows in the registry

DATA = load_npz(kernel_fixture("image_codec.npz"))
CASES = json.loads(bytes(DATA["cases_json"]))
ERRORS = json.loads(bytes(DATA["errors_json"]))
API = json.loads(bytes(DATA["api_json"]))
CODES = {"InvalidArgumentError": 3, "InternalError": 13, "UnimplementedError": 12}
STRING_OUT = ("EncodeJpeg", "EncodeJpegVariableQuality", "EncodePng")


def _not_reproduced(case):
    """Why metarun's result differs from TF's for this case, or None."""
    name, attrs = case["name"], case["attrs"]
    parts = name.split("/")
    if case["op"] == "DecodeJpeg" and parts[1] == "jtrunc_half" and attrs.get("try_recover_truncated"):
        return "recovered_rows"  # the rows libjpeg fills past the end differ between its versions
    return None


NOT_REPRODUCED = {c["name"]: _not_reproduced(c) for c in CASES if _not_reproduced(c)}


def inputs_of(case):
    out = []
    for spec in case["inputs"]:
        (kind, key), = spec.items()
        value = DATA[("file" if kind == "vector" else kind) + "/" + key]
        if kind == "file":
            value = np.array(value.tobytes(), object)
        elif kind == "vector":
            value = np.array([value.tobytes()], object)
        out.append(value)
    return out


def attrs_of(case):
    return {k: (dtypes.as_dtype(v) if k in ("dtype", "output_type") else v) for k, v in case["attrs"].items()}


def out_dtypes(case):
    op = case["op"]
    if op in STRING_OUT:
        return [dtypes.string]
    if op == "ExtractJpegShape":
        return [dtypes.as_dtype(case["attrs"].get("output_type", "int32"))]
    if op in ("DecodePng", "DecodeImage"):
        return [dtypes.as_dtype(case["attrs"].get("dtype", "uint8"))]
    return [dtypes.uint8]


def run_case(case):
    return run_op(case["op"], inputs_of(case), attrs_of(case), out_dtypes(case))[0]


def as_bytes(value):
    return b"".join(bytes(v) for v in np.asarray(value, object).reshape(-1))


def good_cases(op):
    return [c for c in CASES if c["op"] == op and c["name"] not in ERRORS and c["name"] not in NOT_REPRODUCED]


def case_id(case):
    return case["name"]


@pytest.mark.parametrize("case", [c for op in OPS if op not in STRING_OUT for c in good_cases(op)], ids=case_id)
def test_decoded_pixels_equal_tf(case):
    got = run_case(case)
    want = DATA[case["name"] + "/out0"]
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("case", [c for op in STRING_OUT for c in good_cases(op)], ids=case_id)
def test_encoded_bytes_equal_tf(case):
    got = run_case(case)
    want = DATA[case["name"] + "/out0"]
    assert as_bytes(got) == want.tobytes()


def test_encoded_jpeg_decodes_back():
    """Our encoder's output, decoded by the decoder, equals TF's decode of TF's bytes."""
    for case in good_cases("EncodeJpeg")[:20]:
        ours = run_case(case)
        back = run_op("DecodeJpeg", [np.asarray(ours, object)], {}, [dtypes.uint8])[0]
        theirs = run_op("DecodeJpeg", [np.array(DATA[case["name"] + "/out0"].tobytes(), object)], {},
                        [dtypes.uint8])[0]
        np.testing.assert_array_equal(back, theirs)


def good_inputs(case):
    """Inputs the same op (same attrs) accepts, to show the Session still runs afterwards."""
    op = case["op"]
    if op == "DecodeAndCropJpeg":
        return [np.array(DATA["file/j444"].tobytes(), object), np.array([0, 0, 2, 2], np.int32)]
    if op in ("EncodeJpeg", "EncodeJpegVariableQuality", "EncodePng"):
        return None
    files = {"DecodeBmp": "b_rgb", "DecodeGif": "g_still"}
    return [np.array(DATA["file/" + files.get(op, "p_c2_d8")].tobytes(), object)]


def _accepts(case, good):
    """Whether these attrs leave a good input decodable (attr errors fail on every run)."""
    try:
        run_op(case["op"], good, attrs_of(case), out_dtypes(case))
        return True
    except _core.StatusError:
        return False


@pytest.mark.parametrize("case", [c for c in CASES if c["name"] in ERRORS and c["name"] not in NOT_REPRODUCED],
                         ids=case_id)
def test_errors_as_tf(case):
    want = ERRORS[case["name"]]
    bad = inputs_of(case)
    sess = OpSession(case["op"], [dtype_of(x) for x in bad], attrs_of(case), out_dtypes(case))
    with pytest.raises(_core.StatusError) as info:
        sess.run(bad)
    assert status_code(info.value) == CODES[want["error"]]
    assert info.value.args[1] == want["message"]
    good = good_inputs(case)
    if good is not None and [dtype_of(x) for x in good] == [dtype_of(x) for x in bad] and _accepts(case, good):
        assert sess.run(good)[0].size > 0


@pytest.mark.parametrize("name", sorted(NOT_REPRODUCED), ids=str)
def test_not_reproduced_cases_fail_as_documented(name):
    case = next(c for c in CASES if c["name"] == name)
    reason = NOT_REPRODUCED[name]
    got, want = run_case(case), DATA[name + "/out0"]
    assert got.shape == want.shape
    diff = np.abs(got.astype(int) - want).max(axis=2)
    # The rows decoded from data before the cut (up to the last full MCU row, less the row fancy
    # upsampling takes from the next one) are TF's; the rows libjpeg fills after it are not.
    assert reason == "recovered_rows" and not diff[:15].any() and diff[15:].any()


def test_counts():
    assert len(CASES) >= 2161 and len(ERRORS) >= 480
    reasons = sorted(NOT_REPRODUCED.values())
    assert {r: reasons.count(r) for r in set(reasons)} == {"recovered_rows": 3}


# ---- the Python API: nodes, static shapes and values against TF's ----

def _attr(av):
    kind = av.WhichOneof("value")
    if kind == "type":
        return {"type": dtypes.as_dtype(av.type).name}
    if kind == "s":
        return {"s": av.s.decode("latin-1")}
    if kind in ("i", "f", "b"):
        return {kind: getattr(av, kind)}
    if kind == "list":
        return {"list": list(av.list.i)}
    from metarun.framework import tensor_util
    arr = tensor_util.to_numpy(av.tensor)
    if arr.dtype == object:
        return {"tensor": ["string", [v.decode("latin-1") for v in arr.reshape(-1)]]}
    return {"tensor": [arr.dtype.name, arr.tolist()]}


def _api_input(c):
    if c["kind"] == "string":
        return tf.placeholder(tf.string, [], name="contents"), DATA["file/" + c["feed"]].tobytes()
    value = DATA["array/" + c["feed"]]
    if c["kind"] == "float3":
        value = value.astype(np.float32) / 255 + np.linspace(-0.1, 0.1, value.size, dtype=np.float32).reshape(
            value.shape)
    shape = [2] + list(value.shape) if c["kind"] == "batch" else [None, None, 3]
    value = np.stack([value, value[::-1]]) if c["kind"] == "batch" else value
    return tf.placeholder(dtypes.as_dtype(value.dtype), shape, name="image"), value


def _digest(got):
    if isinstance(got, bytes):
        return np.frombuffer(got, np.uint8)
    if isinstance(got, np.ndarray) and got.dtype == object:
        return np.array([np.frombuffer(v, np.uint8).sum() for v in got.reshape(-1)])
    return got


@pytest.mark.parametrize("c", API, ids=lambda c: c["name"])
def test_api_builds_tf_nodes_and_values(c):
    module, attr = c["fn"].split(".")
    fn = getattr(getattr(tf, module), attr)
    kwargs = {k: (dtypes.as_dtype(v) if k in ("dtype", "output_type") else v) for k, v in c["kwargs"].items()}
    with tf.Graph().as_default() as g:
        ph, value = _api_input(c)
        before = {op.name for op in g.get_operations()}
        y = fn(ph, **kwargs)
        nodes = [[op.name, op.type, {a: _attr(op.node_def.attr[a]) for a in sorted(op.node_def.attr)}]
                 for op in g.get_operations() if op.name not in before]
        assert json.loads(json.dumps(nodes)) == c["nodes"]
        assert (None if y.shape.ndims is None else y.shape.as_list()) == c["shape"]
        with tf.Session() as sess:
            got = _digest(sess.run(y, {ph: value}))
    want = DATA["api/%s/out" % c["name"]]
    assert np.asarray(got).shape == want.shape
    np.testing.assert_array_equal(got, want)


def test_api_argument_errors():
    with tf.Graph().as_default():
        contents = tf.placeholder(tf.string, [])
        with pytest.raises(ValueError, match="Shape must be rank 0 but is rank 1"):
            tf.image.decode_jpeg(tf.placeholder(tf.string, [2]))
        with pytest.raises(ValueError, match="Shape must be rank 3 but is rank 2"):
            tf.image.encode_jpeg(tf.placeholder(tf.uint8, [4, 4]))
        with pytest.raises(ValueError, match="must be less than"):
            tf.image.random_jpeg_quality(tf.placeholder(tf.uint8, [4, 4, 3]), 50, 50)
        with pytest.raises(ValueError, match="between 0 and 100"):
            tf.image.random_jpeg_quality(tf.placeholder(tf.uint8, [4, 4, 3]), 50, 101)
        assert tf.image.decode_png(contents, channels=2).shape.as_list() == [None, None, 2]
        assert tf.io.decode_image(contents, expand_animations=False).shape.as_list() == [None, None, None]
        crop = tf.image.decode_and_crop_jpeg(contents, tf.placeholder(tf.int32, [4]))
        assert crop.shape.as_list() == [None, None, None]


def test_decode_image_reads_files_of_every_format():
    """One graph decoding files of four formats fed in turn, as a TF1 input pipeline would."""
    with tf.Graph().as_default():
        contents = tf.placeholder(tf.string, [])
        image = tf.image.decode_image(contents, channels=3, expand_animations=False)
        with tf.Session() as sess:
            for name in ("j420", "p_c0_d8", "p_c6_d16", "g_anim_disp0", "b_rgba"):
                got = sess.run(image, {contents: DATA["file/" + name].tobytes()})
                np.testing.assert_array_equal(got, DATA["DecodeImage/%s/c3_uint8_e0/out0" % name])


def _png_with_filters(image, kinds):
    """A PNG of `image` ([h, w, c] uint8) with row i filtered by kinds[i], written here: PNG is
    lossless, so decoding must give the image back."""
    import struct
    import zlib
    h, w, c = image.shape
    rows = image.reshape(h, -1).astype(np.int64)
    out, prev = [], np.zeros(w * c, np.int64)
    for r, kind in zip(rows, kinds):
        left = np.concatenate([np.zeros(c, np.int64), r[:-c]])
        upleft = np.concatenate([np.zeros(c, np.int64), prev[:-c]])
        p = left + prev - upleft
        pa, pb, pc = np.abs(p - left), np.abs(p - prev), np.abs(p - upleft)
        paeth = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, upleft))
        pred = [np.zeros_like(r), left, prev, (left + prev) // 2, paeth][kind]
        out.append(bytes([kind]) + ((r - pred) & 255).astype(np.uint8).tobytes())
        prev = r

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, {1: 0, 3: 2, 4: 6}[c], 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(b"".join(out))) + chunk(b"IEND", b""))


@pytest.mark.parametrize("pattern", ["paeth", "average", "runs", "alternating"])
def test_png_filter_runs_decode_losslessly(pattern):
    """Long runs of Average / Paeth rows (decoded along anti-diagonals) and short ones (decoded
    byte by byte) give the image back; TF's fixture files have no runs long enough."""
    rng = np.random.default_rng(len(pattern))
    image = rng.integers(0, 256, (45, 37, 3), dtype=np.uint8)
    image[:, :10] = image[:, :1]  # flat stretches, where Paeth's ties decide
    h = image.shape[0]
    kinds = {"paeth": [4] * h, "average": [3] * h, "alternating": [3, 4] * (h // 2) + [4],
             "runs": [1] * 5 + [4] * 20 + [2] * 3 + [3, 4, 0] + [3] * 17}[pattern]
    got = run_op("DecodePng", [np.array(_png_with_filters(image, kinds[:h]), object)], {"channels": 3},
                 [dtypes.uint8])[0]
    np.testing.assert_array_equal(got, image)


def test_gif_claiming_a_huge_canvas_is_refused_before_allocating():
    """A 30-byte GIF whose screen is 65535 x 65535 with two 1x1 frames would need 25 GB: refused as
    an out-of-memory error, the Session still running afterwards (TF would try to allocate it)."""
    frame = b"\x2c\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0"
    data = b"GIF89a\xff\xff\xff\xff\x80\0\0" + b"\0\0\0\xff\xff\xff" + frame * 2 + b"\x3b"
    sess = OpSession("DecodeGif", [dtypes.string], {}, [dtypes.uint8])
    with pytest.raises(_core.StatusError) as info:
        sess.run([np.array(data, object)])
    assert status_code(info.value) == 8 and "OOM when allocating tensor with shape[2,65535,65535,3]" in \
        info.value.args[1]
    assert sess.run([np.array(DATA["file/g_still"].tobytes(), object)])[0].shape == (1, 10, 11, 3)
