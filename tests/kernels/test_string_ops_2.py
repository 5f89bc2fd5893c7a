"""String and unicode kernels (string_ops_2, string_split_ops, unicode_ops, regex_ops, and the
regex full-match kernels of string_ops) against TF 2.21's CPU outputs.

Expected values come from tests/fixtures/kernels/strings.npz (written by gen_strings.py with real
TF, each op fed through placeholders): case mapping (ASCII and UTF-8, final sigma, one-to-many
mappings, ill-formed bytes), strip, length in bytes and UTF-8 characters, Substr in both units
with scalar, same-shape and broadcast pos/len and every out-of-range path, StringToNumber's
accepted and refused spellings for each out_type, web-safe base64 with and without padding and
the strings TF refuses, both hash buckets (TF's Hash64 and keyed SipHash), StringSplit(V2),
StringNGrams with padding and short sequences, ReduceJoin, UnsortedSegmentJoin, the unicode
decoders/encoders over well-formed and ill-formed UTF-8/16/32 with each `errors` mode,
replacement character and control-character replacement, UnicodeScript over a sample of code
points, and the regex ops over a battery of RE2 patterns. Outputs must match TF exactly; for a
case TF rejects, the error class must match and the message too, except where metarun's text is
its own (the regex parser's reasons, listed in OWN_MESSAGES). After each error the same
Session runs a good input.
"""
import json

import numpy as np
import pytest

from metarun import errors
from metarun.framework import dtypes, op_def
from op_harness import OpSession, _core, kernel_fixture, load_npz, status_code

OPS = ("StringLower", "StringUpper", "StringStrip", "StringLength", "Substr", "StringToNumber", "EncodeBase64",
       "DecodeBase64", "StringToHashBucket", "StringToHashBucketStrong", "StringSplit", "StringSplitV2",
       "StringNGrams", "ReduceJoin", "UnsortedSegmentJoin", "UnicodeDecode", "UnicodeDecodeWithOffsets",
       "UnicodeEncode", "UnicodeTranscode", "UnicodeScript", "StaticRegexReplace", "RegexReplace")
COVERAGE = {op: set() for op in OPS}

DATA = load_npz(kernel_fixture("strings.npz"))
FIXTURE = json.loads(bytes(DATA["cases_json"]))
CASES = FIXTURE["cases"]
DTYPE_ATTRS = set(FIXTURE["dtype_attrs"])

# Errors whose message is metarun's own: RE2's parser explains a bad pattern in its words, and
# metarun's parser in its own (the "Invalid pattern: <pattern>" start is TF's and is checked).
OWN_MESSAGES = ("RegexReplace/bad_", "RegexFullMatch/bad_")


def decode(t):
    shape = tuple(t["shape"])
    if t["dtype"] == "string":
        out = np.empty(len(t["values"]), object)
        out[:] = [bytes.fromhex(v) for v in t["values"]]
        return out.reshape(shape)
    vals = t["values"]
    if t["dtype"].startswith("float"):
        vals = [float(v) for v in vals]
    return np.array(vals, dtype=t["dtype"]).reshape(shape)


def attrs_of(case):
    """The case's attrs, and the op's defaults for the others (as a graph built in Python has them)."""
    attrs = {k: (dtypes.as_dtype(v) if k in DTYPE_ATTRS else v) for k, v in case["attrs"].items()}
    for a in op_def.builtin_op_defs()[case["op"]].attr:
        if a.name not in attrs and a.HasField("default_value"):
            kind = a.default_value.WhichOneof("value")
            value = getattr(a.default_value, kind)
            attrs[a.name] = dtypes.as_dtype(value) if kind == "type" else (list(value.i) if kind == "list" else value)
    return attrs


def run_case(case):
    inputs = [decode(t) for t in case["inputs"]]
    sess = OpSession(case["op"], [dtypes.as_dtype(t["dtype"]) for t in case["inputs"]], attrs_of(case),
                     [dtypes.as_dtype(d) for d in case["out_dtypes"]])
    return sess, inputs


def assert_same(got, want, name):
    assert got.shape == want.shape, (name, got.shape, want.shape)
    if want.dtype == object:
        assert got.tolist() == want.tolist(), name
    else:
        assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
        np.testing.assert_array_equal(got, want, err_msg=name)


def good(case):
    return "error" not in case


@pytest.mark.parametrize("case", [c for c in CASES if good(c)], ids=lambda c: c["name"])
def test_matches_tf(case):
    sess, inputs = run_case(case)
    outs = sess.run(inputs)
    for i, (got, want) in enumerate(zip(outs, case["outputs"])):
        assert_same(np.asarray(got), decode(want), "%s/out%d" % (case["name"], i))


@pytest.mark.parametrize("case", [c for c in CASES if not good(c)], ids=lambda c: c["name"])
def test_errors_match_tf(case):
    want = case["error"]
    code = errors.error_code_from_exception_type(getattr(errors, want["class"]))
    try:
        sess, inputs = run_case(case)
    except _core.StatusError as e:  # refused when the kernel is built, as TF refuses at construction
        assert status_code(e) == code, (case["name"], e)
        check_message(case, str(e.args[1]), want["message"])
        return
    with pytest.raises(_core.StatusError) as info:
        sess.run(inputs)
    assert status_code(info.value) == code, (case["name"], info.value)
    check_message(case, str(info.value.args[1]), want["message"])


def check_message(case, got, want):
    if case["name"].startswith(OWN_MESSAGES):
        prefix = want.split(", error:")[0]
        assert got.startswith(prefix), (got, want)
        return
    assert want in got, (got, want)


# -- independent checks -----------------------------------------------------------------------------

def strings(values):
    out = np.empty(len(values), object)
    out[:] = list(values)
    return out


def python_decode(data, errors):
    """Code points and byte starts as Python's UTF-8 codec (maximal subparts, like ICU) sees them."""
    cps, starts, i = [], [], 0
    while i < len(data):
        for n in (1, 2, 3, 4):
            try:
                ch = data[i:i + n].decode("utf-8")
            except UnicodeDecodeError as e:
                if e.reason == "unexpected end of data" and i + n < len(data):
                    continue
                bad = max(e.end - e.start, 1) if e.start == 0 else n
                if errors == "replace":
                    cps.append(0xFFFD)
                    starts.append(i)
                i += bad if e.start == 0 else n
                break
            cps.append(ord(ch))
            starts.append(i)
            i += n
            break
    return cps, starts


def test_unicode_decode_matches_python_on_random_bytes():
    rng = np.random.default_rng(7)
    alphabet = np.array([0x00, 0x41, 0x7F, 0x80, 0xBF, 0xC2, 0xC3, 0xDF, 0xE0, 0xE2, 0xED, 0xEF, 0xF0, 0xF4, 0xF5,
                         0xFF, 0x9F, 0xA0, 0x8F, 0x90], np.uint8)
    data = [bytes(rng.choice(alphabet, rng.integers(0, 12))) for _ in range(400)]
    for errors in ("replace", "ignore"):
        sess = OpSession("UnicodeDecodeWithOffsets", [dtypes.string],
                         {"input_encoding": "UTF-8", "errors": errors, "replacement_char": 0xFFFD,
                          "replace_control_characters": False, "Tsplits": dtypes.int64},
                         [dtypes.int64, dtypes.int32, dtypes.int64])
        splits, values, starts = sess.run([strings(data)])
        for k, d in enumerate(data):
            want_cps, want_starts = python_decode(d, errors)
            got = slice(splits[k], splits[k + 1])
            assert values[got].tolist() == want_cps, (d, errors)
            assert starts[got].tolist() == want_starts, (d, errors)
            if errors == "replace":
                assert values[got].tolist() == [ord(c) for c in d.decode("utf-8", "replace")]


def test_unicode_decode_int32_splits_equal_int64_ones():
    data = strings(["héllo".encode(), b"", b"\xff\xfe", "日本語".encode()])
    outs = {}
    for t in (dtypes.int32, dtypes.int64):
        outs[t] = OpSession("UnicodeDecode", [dtypes.string], {"input_encoding": "UTF-8", "Tsplits": t},
                            [t, dtypes.int32]).run([data])
    assert outs[dtypes.int32][0].dtype == np.int32
    np.testing.assert_array_equal(outs[dtypes.int32][0], outs[dtypes.int64][0])
    np.testing.assert_array_equal(outs[dtypes.int32][1], outs[dtypes.int64][1])


def test_unicode_encode_inverts_decode_for_every_encoding():
    text = ["", "abc", "héllo wörld", "日本語😀", "\U0010FFFF\u0000"]
    for enc, codec in (("UTF-8", "utf-8"), ("UTF-16-BE", "utf-16-be"), ("UTF-32-BE", "utf-32-be")):
        cps = np.array([ord(c) for t in text for c in t], np.int32)
        splits = np.cumsum([0] + [len(t) for t in text]).astype(np.int64)
        out = OpSession("UnicodeEncode", [dtypes.int32, dtypes.int64], {"output_encoding": enc},
                        [dtypes.string]).run([cps, splits])[0]
        assert out.tolist() == [t.encode(codec) for t in text]


def run1(op, inputs, attrs, out_dtypes):
    return OpSession(op, [dtypes.string if isinstance(x, np.ndarray) and x.dtype == object else dtypes.as_dtype(
        np.asarray(x).dtype) for x in inputs], attrs, out_dtypes).run(inputs)


def test_regex_runs_in_linear_time_and_constant_stack_on_long_inputs():
    # std::regex's backtracking overflowed the stack on ~20k characters here; RE2 and this engine do not.
    long_a = b"a" * 200000
    for pattern, want in (("(a|b)*c", False), (".*", True), ("(a+)+", True), ("((a)|b)*", True), ("[a-z]+", True)):
        got = run1("StaticRegexFullMatch", [strings([long_a])], {"pattern": pattern}, [dtypes.bool])[0]
        assert got.tolist() == [want], pattern
    out = run1("StaticRegexReplace", [strings([long_a + b"b"])],
               {"pattern": "(a|b)*b", "rewrite": "x", "replace_global": True}, [dtypes.string])[0]
    assert out.tolist() == [b"x"]


PY_PATTERNS = [r"[a-c]+", r"(\w+)@(\w+)\.com", r"\d{2,3}", r"(ab|a)(bc|c)", r"[^ ]+ +", r"x+?y", r"(?i)hello",
               r"\bthe\b", r"(a|b|c)+d", r"[.*+?]"]


def test_regex_replace_agrees_with_python_re_on_patterns_without_empty_matches():
    import re
    rng = np.random.default_rng(3)
    words = ["abc", "the", "hello", "HeLLo", "x@y.com", "12", "12345", "xxy", "abcd", "a.b", "  ", "then"]
    texts = [" ".join(rng.choice(words, rng.integers(0, 6))) for _ in range(60)]
    for pat in PY_PATTERNS:
        got = run1("RegexReplace", [strings([t.encode() for t in texts]), np.array(pat.encode(), object),
                                    np.array(b"<\\0>", object)], {"replace_global": True}, [dtypes.string])[0]
        assert got.tolist() == [re.sub(pat, r"<\g<0>>", t).encode() for t in texts], pat


def test_unsupported_regex_syntax_is_unimplemented_and_the_session_survives():
    sess = OpSession("RegexFullMatch", [dtypes.string, dtypes.string], {}, [dtypes.bool])
    with pytest.raises(_core.StatusError) as info:
        sess.run([strings([b"a"]), np.array(br"\p{Greek}", object)])
    assert status_code(info.value) == errors.UNIMPLEMENTED
    with pytest.raises(_core.StatusError) as info:
        sess.run([strings([b"a"]), np.array(b"(", object)])
    assert status_code(info.value) == errors.INVALID_ARGUMENT
    assert sess.run([strings([b"a", b"b"]), np.array(b"\\pL|b", object)])[0].tolist() == [True, True]


def test_case_mapping_agrees_with_python_for_single_characters():
    cps = [c for c in range(0x20, 0x3000) if not 0xD800 <= c <= 0xDFFF] + [0x10400, 0x1E900, 0x1F600]
    text = strings([chr(c).encode() for c in cps])
    lower = run1("StringLower", [text], {"encoding": "utf-8"}, [dtypes.string])[0]
    upper = run1("StringUpper", [text], {"encoding": "utf-8"}, [dtypes.string])[0]
    assert lower.tolist() == [chr(c).lower().encode() for c in cps]
    assert upper.tolist() == [chr(c).upper().encode() for c in cps]


def test_errors_leave_the_session_usable():
    sess = OpSession("Substr", [dtypes.string, dtypes.int32, dtypes.int32], {"unit": "BYTE"}, [dtypes.string])
    with pytest.raises(_core.StatusError):
        sess.run([strings([b"ab"]), np.array([5], np.int32), np.array([1], np.int32)])
    assert sess.run([strings([b"ab"]), np.array([1], np.int32), np.array([1], np.int32)])[0].tolist() == [b"b"]
    sess = OpSession("DecodeBase64", [dtypes.string], {}, [dtypes.string])
    with pytest.raises(_core.StatusError):
        sess.run([strings([b"a"])])
    assert sess.run([strings([b"aGk"])])[0].tolist() == [b"hi"]


def test_graph_of_ragged_string_functions_made_by_tf_runs():
    """TF's unicode_decode / unicode_split / bytes_split / split / ngrams build RaggedTensors; metarun
    has none in Python, but the graphs TF makes of them import and run."""
    import metarun as tf
    from metarun.framework import protos
    graph_def = protos.GraphDef.FromString(DATA["ragged_graph"].tobytes())
    with tf.Graph().as_default() as g:
        tf.import_graph_def(graph_def, name="")
        names = sorted(FIXTURE["graph_outputs"])
        with tf.Session(graph=g) as sess:
            got = sess.run([g.get_tensor_by_name(n) for n in names], {"x:0": decode(FIXTURE["graph_feed"])})
    for name, value in zip(names, got):
        assert_same(np.asarray(value), decode(FIXTURE["graph_outputs"][name]), name)
    assert len(names) == 16  # decode_offsets and offsets share their row splits
