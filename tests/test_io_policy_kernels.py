"""The C++ kernels that touch files under metarun.io_policy: ReadFile, WriteFile, MatchingFiles,
the TF1 readers, the file datasets, CacheDataset with a filename, tables initialized from text
files, FixedUnigramCandidateSampler's vocab_file and PrintV2 to a file.

Each op runs in a tmp tree holding `data` (readable), `out` (writable) and `secret` (neither):
allowed, it gives what the files written here hold (and what it gives without a policy); denied,
it raises PermissionDeniedError naming the node, the op and the path, and the tree is as it was;
'..' and symbolic links out of an allowed directory are denied. Expected values come from the
bytes written here and from Python's own glob/stat, never from metarun.

The last part guards the rule itself: a raw file call (fopen, ::open, ifstream, opendir, mkdir,
stat...) anywhere in the C++ kernels, framework, executor or core must sit in a function listed
here, after that function has asked the policy.
"""
import glob
import os
import re
import struct

import numpy as np
import pytest

import metarun as tf
from metarun.bundle import crc32c
from metarun.framework.op_builder import apply_op

Denied = tf.errors.PermissionDeniedError


def listing(root):
    out = []
    for d, dirs, files in os.walk(root):
        out += [os.path.relpath(os.path.join(d, n), root) for n in dirs + files]
    return sorted(out)


class Tree(object):
    """tmp_path with data/ (readable), out/ (writable), secret/ (neither) and links out of data/."""

    def __init__(self, root):
        self.root = root
        for d in ("data", "out", "secret", "secret/sub"):
            (root / d).mkdir()
        self.secret_text = b"top secret\nline two\n"
        (root / "secret" / "s.txt").write_bytes(self.secret_text)
        (root / "secret" / "sub" / "s.txt").write_bytes(b"deeper\n")
        os.symlink(root / "secret" / "s.txt", root / "data" / "link.txt")
        os.symlink(root / "secret", root / "data" / "linkdir")
        self.policy = tf.io_policy(read=[str(root / "data")], write=[str(root / "out")])

    def path(self, *parts):
        return str(self.root.joinpath(*parts))

    def escapes(self, name="s.txt"):
        """Ways of naming secret/<name> from inside data/."""
        return [self.path("secret", name), self.path("data", "..", "secret", name),
                self.path("out", "..", "secret", name), self.path("data", "linkdir", name)]


@pytest.fixture
def tree(tmp_path):
    return Tree(tmp_path)


def run(fetches, policy=None, feed_dict=None, session=None):
    sess = session or tf.Session()
    try:
        if policy is None:
            return sess.run(fetches, feed_dict)
        with policy:
            return sess.run(fetches, feed_dict)
    finally:
        if session is None:
            sess.close()


def assert_denied(tree, info, node, op, path, action="read"):
    msg = str(info.value)
    assert isinstance(info.value, Denied), msg
    assert "Node '%s' (%s) may not %s '%s'" % (node, op, action, path) in msg, msg
    assert os.path.realpath(path) in msg, msg
    assert ("io_policy(%s=" % action) in msg, msg


def denied(tree, fetches, node, op, path, action="read", policy=None, feed_dict=None, session=None):
    before = listing(tree.root)
    with pytest.raises(Denied) as info:
        run(fetches, policy or tree.policy, feed_dict, session)
    assert_denied(tree, info, node, op, path, action)
    assert listing(tree.root) == before, "a denied op changed the tree"


# -- ReadFile / WriteFile -----------------------------------------------------------------------

def test_read_file(tree):
    payload = bytes(range(256)) * 3
    (tree.root / "data" / "f.bin").write_bytes(payload)
    (tree.root / "out" / "o.bin").write_bytes(b"in the write dir")
    with tf.Graph().as_default():
        name = tf.placeholder(tf.string, [], name="name")
        rf = tf.read_file(name, name="rf")
        for policy in (None, tree.policy):
            assert run(rf, policy, {name: tree.path("data", "f.bin")}) == payload
        assert run(rf, tree.policy, {name: tree.path("out", "o.bin")}) == b"in the write dir"  # write implies read
        assert run(rf, None, {name: tree.path("data", "link.txt")}) == tree.secret_text  # no policy: TF's way
        for path in tree.escapes() + [tree.path("data", "link.txt")]:
            denied(tree, rf, "rf", "ReadFile", path, feed_dict={name: path})
        # A denied read does not even say whether the file is there.
        nothing = tree.path("secret", "nothing")
        denied(tree, rf, "rf", "ReadFile", nothing, feed_dict={name: nothing})
        with pytest.raises(tf.errors.NotFoundError):
            run(rf, tree.policy, {name: tree.path("data", "nothing")})


def test_write_file(tree):
    with tf.Graph().as_default():
        name = tf.placeholder(tf.string, [], name="name")
        wf = tf.write_file(name, tf.constant(b"hello\x00world"), name="wf")
        run(wf, tree.policy, {name: tree.path("out", "a", "b", "f.txt")})  # parents made, as TF does
        assert (tree.root / "out" / "a" / "b" / "f.txt").read_bytes() == b"hello\x00world"
        run(wf, None, {name: tree.path("secret", "free.txt")})
        assert (tree.root / "secret" / "free.txt").read_bytes() == b"hello\x00world"
        os.symlink(tree.root / "secret", tree.root / "out" / "linkdir")
        bad = [tree.path("data", "f.txt"),  # readable is not writable
               tree.path("secret", "new", "deep", "f.txt"),
               tree.path("out", "..", "secret", "f.txt"),
               tree.path("out", "linkdir", "f.txt"),
               tree.path("out", "linkdir", "new", "f.txt"),
               tree.path("out", "new", "..", "..", "secret", "f.txt")]
        for path in bad:
            denied(tree, wf, "wf", "WriteFile", path, "write", feed_dict={name: path})
        # Allowed as a whole (it ends in out/), but it would make directories outside on the way:
        # denied before the first one is made.
        climb = tree.path("out", "new", "..", "..", "secret", "n2", "..", "..", "out", "g.txt")
        before = listing(tree.root)
        with pytest.raises(Denied) as info:
            run(wf, tree.policy, {name: climb})
        assert "Node 'wf' (WriteFile) may not write" in str(info.value)
        assert listing(tree.root) == before


def test_print_v2_to_a_file(tree):
    with tf.Graph().as_default():
        target = tree.path("out", "log.txt")
        p = tf.print("value:", tf.constant([1, 2, 3]), output_stream="file://" + target, name="pr")
        run(p, tree.policy)
        run(p, None)
        with open(target, "rb") as f:
            assert f.read() == b"value: [1 2 3]\n" * 2
        for i, path in enumerate([tree.path("data", "log.txt"), tree.path("secret", "log.txt"),
                                  tree.path("out", "..", "secret", "log.txt")]):
            p = tf.print("x", output_stream="file://" + path, name="bad%d" % i)
            denied(tree, p, p.name, "PrintV2", path, "write")


# -- MatchingFiles ------------------------------------------------------------------------------

def matching(pattern, name="mf"):
    return apply_op("MatchingFiles", pattern=pattern, name=name)


def test_matching_files(tree):
    d = tree.root / "data" / "set"
    (d / "x").mkdir(parents=True)
    for n in ("a.txt", "b.txt", "c.csv", "x/d.txt"):
        (d / n).write_bytes(b"")
    with tf.Graph().as_default():
        pattern = tf.placeholder(tf.string, [None], name="pattern")
        mf = matching(pattern)
        for pats in ([str(d / "*.txt")], [str(d / "*"), str(d / "?/*.txt")], [str(d / "a.txt")],
                     [str(d / "none*")], [str(d / "[ab].txt")]):
            want = sorted(p for q in pats for p in glob.glob(q))
            for policy in (None, tree.policy):
                assert [s.decode() for s in run(mf, policy, {pattern: pats})] == want, pats
        # A listing of data/ would meet the links out of it: a match through one is denied.
        assert len(run(mf, None, {pattern: [tree.path("data", "*")]})) == 3
        denied(tree, mf, "mf", "MatchingFiles", tree.path("data", "link.txt"),
               feed_dict={pattern: [tree.path("data", "l*.txt")]})
        (tree.root / "data" / "set2" / "real").mkdir(parents=True)
        (tree.root / "data" / "set2" / "real" / "s.txt").write_bytes(b"")
        assert len(run(mf, tree.policy, {pattern: [tree.path("data", "set2", "*", "s.txt")]})) == 1
        os.symlink(tree.root / "secret" / "sub", tree.root / "data" / "set2" / "escape")
        assert len(run(mf, None, {pattern: [tree.path("data", "set2", "*", "s.txt")]})) == 2
        denied(tree, mf, "mf", "MatchingFiles", tree.path("data", "set2", "escape"),
               feed_dict={pattern: [tree.path("data", "set2", "*", "s.txt")]})
        for pat, base in [(tree.path("secret", "*.txt"), tree.path("secret")),
                          (tree.path("data", "..", "secret", "*"), tree.path("data", "..", "secret")),
                          (tree.path("data", "linkdir", "*"), tree.path("data", "linkdir")),
                          (tree.path("secret", "s.txt"), tree.path("secret", "s.txt")),
                          (tree.path("*"), str(tree.root))]:
            denied(tree, mf, "mf", "MatchingFiles", base, feed_dict={pattern: [pat]})


def test_match_filenames_once(tree):
    (tree.root / "data" / "one.txt").write_bytes(b"1")
    with tf.Graph().as_default():
        files = tf.train.match_filenames_once(tree.path("data", "o*.txt"))
        with tf.Session() as s, tree.policy:
            s.run(tf.local_variables_initializer())
            assert list(s.run(files)) == [tree.path("data", "one.txt").encode()]
        files = tf.train.match_filenames_once(tree.path("secret", "*.txt"), name="secret_files")
        with tf.Session() as s, tree.policy:
            with pytest.raises(Denied) as info:
                s.run(tf.local_variables_initializer())
        assert "(MatchingFiles) may not read '%s'" % tree.path("secret") in str(info.value)


# -- the TF1 readers ----------------------------------------------------------------------------

def tfrecord_bytes(records):
    out = b""
    for r in records:
        n = struct.pack("<Q", len(r))
        out += n + struct.pack("<I", crc32c.mask(crc32c.value(n))) + r + struct.pack("<I", crc32c.mask(crc32c.value(r)))
    return out


READER_FILES = {
    "text": (b"first\nsecond\r\nthird", [b"first", b"second", b"third"]),
    "tfrecord": (tfrecord_bytes([b"r0", b"", b"record two"]), [b"r0", b"", b"record two"]),
    "fixed": (b"HHabcdefghijFF", [b"abc", b"def", b"ghi"]),
    "whole": (b"all of it\n\x00\xff", [b"all of it\n\x00\xff"]),
}


def make_reader(kind):
    return {"text": lambda: tf.TextLineReader(name="reader"),
            "tfrecord": lambda: tf.TFRecordReader(name="reader"),
            "fixed": lambda: tf.FixedLengthRecordReader(record_bytes=3, header_bytes=2, footer_bytes=2, name="reader"),
            "whole": lambda: tf.WholeFileReader(name="reader")}[kind]()


def read_all(kind, path, policy, up_to):
    with tf.Graph().as_default():
        q = tf.FIFOQueue(4, tf.string)
        fill = q.enqueue_many([[path]])
        close = q.close()
        reader = make_reader(kind)
        read = reader.read_up_to(q, 2, name="read") if up_to else reader.read(q, name="read")
        with tf.Session() as s:
            s.run(fill)
            s.run(close)
            got = []
            while True:
                try:
                    _, values = run(read, policy, session=s)
                except tf.errors.OutOfRangeError:
                    return got
                got.extend(np.atleast_1d(values).tolist())


@pytest.mark.parametrize("up_to", [False, True], ids=["read", "read_up_to"])
@pytest.mark.parametrize("kind", sorted(READER_FILES))
def test_readers(tree, kind, up_to):
    contents, records = READER_FILES[kind]
    (tree.root / "data" / kind).write_bytes(contents)
    (tree.root / "secret" / kind).write_bytes(contents)
    op = {False: "ReaderReadV2", True: "ReaderReadUpToV2"}[up_to]
    for policy in (None, tree.policy):
        assert read_all(kind, tree.path("data", kind), policy, up_to) == records
    for path in tree.escapes(kind):
        before = listing(tree.root)
        with pytest.raises(Denied) as info:
            read_all(kind, path, tree.policy, up_to)
        assert_denied(tree, info, "read", op, path)
        assert listing(tree.root) == before


# -- datasets -----------------------------------------------------------------------------------

DATASETS = {
    "TextLineDataset": (lambda f: tf.data.TextLineDataset(f), b"l1\nl2\n\nl4", [b"l1", b"l2", b"", b"l4"]),
    "TFRecordDataset": (lambda f: tf.data.TFRecordDataset(f), tfrecord_bytes([b"a", b"bc"]), [b"a", b"bc"]),
    "FixedLengthRecordDatasetV2": (lambda f: tf.data.FixedLengthRecordDataset(f, 2, header_bytes=1),
                                   b"h0123", [b"01", b"23"]),
}


def iterate(ds, policy, session=None):
    nxt = tf.data.make_one_shot_iterator(ds).get_next()
    out = []
    with tf.Session() as s:
        while True:
            try:
                out.append(run(nxt, policy, session=s))
            except tf.errors.OutOfRangeError:
                return out


@pytest.mark.parametrize("kind", sorted(DATASETS))
def test_file_datasets(tree, kind):
    make, contents, records = DATASETS[kind]
    (tree.root / "data" / "f1").write_bytes(contents)
    (tree.root / "secret" / "f1").write_bytes(contents)
    for policy in (None, tree.policy):
        with tf.Graph().as_default():
            assert iterate(make([tree.path("data", "f1")] * 2), policy) == records * 2
    for path in tree.escapes("f1"):
        with tf.Graph().as_default():
            # The first file is allowed and read; the second is denied when the iterator opens it.
            nxt = tf.data.make_one_shot_iterator(make([tree.path("data", "f1"), path])).get_next()
            with tf.Session() as s:
                got = [run(nxt, tree.policy, session=s) for _ in records]
                assert got == records
                before = listing(tree.root)
                with pytest.raises(Denied) as info:
                    run(nxt, tree.policy, session=s)
                msg = str(info.value)
                assert "(%s) may not read '%s'" % (kind, path) in msg and os.path.realpath(path) in msg, msg
                assert listing(tree.root) == before


def test_dataset_made_without_policy_is_checked_when_iterated_under_one(tree):
    (tree.root / "secret" / "f").write_bytes(b"x\n")
    with tf.Graph().as_default():
        it = tf.data.make_initializable_iterator(tf.data.TextLineDataset(tree.path("secret", "f")))
        nxt = it.get_next()
        with tf.Session() as s:
            s.run(it.initializer)
            with pytest.raises(Denied):
                run(nxt, tree.policy, session=s)
            assert s.run(nxt) == b"x"


def test_ops_in_dataset_functions_and_loops_follow_the_run_policy(tree):
    (tree.root / "data" / "a").write_bytes(b"AAA")
    (tree.root / "secret" / "t").write_bytes(b"l1\nl2\n")
    with tf.Graph().as_default():
        files = tf.placeholder(tf.string, [None])
        ds = tf.data.Dataset.from_tensor_slices(files).map(tf.read_file, num_parallel_calls=2).prefetch(2)
        it = tf.data.make_initializable_iterator(ds)
        nxt = it.get_next()
        with tf.Session() as s:
            s.run(it.initializer, {files: [tree.path("data", "a"), tree.path("secret", "s.txt")]})
            assert run(nxt, tree.policy, session=s) == b"AAA"
            with pytest.raises(Denied) as info:
                run(nxt, tree.policy, session=s)
            assert "(ReadFile) may not read '%s'" % tree.path("secret", "s.txt") in str(info.value)
    with tf.Graph().as_default():
        ds = tf.data.Dataset.from_tensor_slices([tree.path("secret", "t")]).interleave(
            tf.data.TextLineDataset, cycle_length=1)
        assert iterate(ds, None) == [b"l1", b"l2"]
        with pytest.raises(Denied) as info:
            iterate(ds, tree.policy)
        assert "(TextLineDataset) may not read '%s'" % tree.path("secret", "t") in str(info.value)
    with tf.Graph().as_default():
        path = tf.placeholder(tf.string, [])
        _, acc = tf.while_loop(lambda i, acc: i < 2, lambda i, acc: (i + 1, acc + tf.read_file(path)),
                               [tf.constant(0), tf.constant("")])
        assert run(acc, tree.policy, {path: tree.path("data", "a")}) == b"AAAAAA"
        denied(tree, acc, "while/ReadFile", "ReadFile", tree.path("secret", "s.txt"),
               feed_dict={path: tree.path("secret", "s.txt")})


def test_cache_dataset_with_a_filename(tree):
    values = [3, 1, 4, 1, 5]
    for filename, policy, ok in [(tree.path("out", "cache"), tree.policy, True),
                                 (tree.path("out", "cache"), None, True),
                                 ("", tree.policy, True),
                                 (tree.path("data", "cache"), tree.policy, False),  # read-only there
                                 (tree.path("out", "..", "secret", "cache"), tree.policy, False),
                                 (tree.path("out"), tree.policy, False)]:  # TF writes out.index beside out/
        with tf.Graph().as_default():
            ds = tf.data.Dataset.from_tensor_slices(np.array(values, np.int64)).cache(filename)
            if ok:
                assert iterate(ds.repeat(2), policy) == values * 2
                continue
            before = listing(tree.root)
            with pytest.raises(Denied) as info:
                iterate(ds, policy)
            assert "may not write '%s" % filename in str(info.value)
            assert listing(tree.root) == before


# -- tables and samplers from files ---------------------------------------------------------------

def test_table_from_text_file(tree):
    words = [b"apple", b"kiwi", b"plum"]
    (tree.root / "data" / "vocab.txt").write_bytes(b"\n".join(words) + b"\n")
    (tree.root / "secret" / "vocab.txt").write_bytes(b"\n".join(words) + b"\n")
    for path, policy in [(tree.path("data", "vocab.txt"), tree.policy), (tree.path("data", "vocab.txt"), None),
                         (tree.path("data", "link.txt"), None)] + [(p, tree.policy) for p in tree.escapes("vocab.txt")]:
        with tf.Graph().as_default():
            init = tf.lookup.TextFileInitializer(path, tf.string, tf.lookup.TextFileIndex.WHOLE_LINE, tf.int64,
                                                 tf.lookup.TextFileIndex.LINE_NUMBER)
            table = tf.lookup.StaticHashTable(init, -1)
            found = table.lookup(tf.constant(words + [b"nope"]))
            with tf.Session() as s:
                if policy is not None and "data" + os.sep + "vocab" not in path:
                    before = listing(tree.root)
                    with pytest.raises(Denied) as info:
                        run(table.initializer, policy, session=s)
                    msg = str(info.value)
                    assert "(InitializeTableFromTextFileV2) may not read '%s'" % path in msg, msg
                    assert listing(tree.root) == before
                    continue
                run(table.initializer, policy, session=s)
                got = s.run(found).tolist()
                if path.endswith("link.txt"):  # the secret file's lines, read without a policy
                    assert got == [-1, -1, -1, -1]
                else:
                    assert got == [0, 1, 2, -1]


def expected_counts(weights, distortion, ids, num_sampled):
    """TF's expected count for sampling with replacement: p(id) * num_sampled."""
    w = np.array(weights, np.float64) ** distortion
    return (w[ids] / w.sum() * num_sampled).astype(np.float32)


def test_fixed_unigram_candidate_sampler_vocab_file(tree):
    weights = [1.0, 3.0, 0.5, 2.0, 7.5]
    text = "".join("w%d,%g\n" % (i, w) for i, w in enumerate(weights)).encode()
    (tree.root / "data" / "unigrams.csv").write_bytes(text)
    (tree.root / "secret" / "unigrams.csv").write_bytes(text)
    true = np.array([[0], [4], [2]], np.int64)

    def graph(path):
        classes = tf.constant(true)
        return tf.nn.fixed_unigram_candidate_sampler(classes, 1, 6, False, len(weights), vocab_file=path,
                                                     distortion=0.5, seed=7, name="sampler")

    results = []
    for policy in (tree.policy, None):
        with tf.Graph().as_default():
            sampled, true_count, sampled_count = run(graph(tree.path("data", "unigrams.csv")), policy)
        assert sampled.min() >= 0 and sampled.max() < len(weights)
        np.testing.assert_allclose(true_count, expected_counts(weights, 0.5, true[:, 0], 6)[:, None], rtol=1e-6)
        np.testing.assert_allclose(sampled_count, expected_counts(weights, 0.5, sampled, 6), rtol=1e-6)
        results.append((sampled, true_count, sampled_count))
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)  # same seed: a policy changes nothing
    for path in tree.escapes("unigrams.csv"):
        with tf.Graph().as_default():
            denied(tree, graph(path), "sampler", "FixedUnigramCandidateSampler", path)
    # Loaded by a run without a policy, the file is still checked in each run under one.
    with tf.Graph().as_default():
        out = graph(tree.path("secret", "unigrams.csv"))
        with tf.Session() as s:
            s.run(out)
            denied(tree, out, "sampler", "FixedUnigramCandidateSampler", tree.path("secret", "unigrams.csv"),
                   session=s)


def test_session_option_applies_to_kernels(tree):
    with tf.Graph().as_default():
        rf = tf.read_file(tree.path("secret", "s.txt"), name="rf")
        with tf.Session(io_policy=tree.policy) as s:
            with pytest.raises(Denied):
                s.run(rf)
            with tf.io_policy(read=[tree.path("secret")]):
                assert s.run(rf) == tree.secret_text


# -- the guard: no raw file call without the policy ------------------------------------------------

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SCANNED = ["cpp/kernels", "cpp/framework", "cpp/executor", "cpp/core"]

# Global or std:: qualified (::stat, std::fopen), or bare where the name means nothing else.
RAW_CALL = re.compile(
    r"(?:(?<![\w>.:])::|\bstd::)(?:open|openat|creat|fopen|freopen|fdopen|opendir|fdopendir|scandir|mkdir|mkdirat|"
    r"rmdir|unlink|unlinkat|rename|renameat|link|symlink|remove|stat|lstat|fstatat|statx|access|faccessat|"
    r"truncate|realpath|readlink|chdir|mmap|glob|nftw|ftw|popen|system|mkstemp|mkdtemp|tmpfile|tmpnam)\s*\("
    r"|(?<![\w>.:])(?:fopen|freopen|fdopen|opendir|fdopendir|scandir|mkdir|rmdir|unlink|unlinkat|renameat|lstat|"
    r"realpath|readlink|popen|mkstemp|mkdtemp|nftw)\s*\("
    r"|\bstd::(?:ifstream|ofstream|fstream|filesystem)\b|\b(?:ifstream|ofstream|fstream)\b\s+\w+\s*[({]"
    r"|#\s*include\s*<(?:fstream|filesystem)>")
POLICY_CHECK = re.compile(r"\b(?:user\.check|check_read|check_write|check_file_access)\s*\(")

# Every function that may make a raw file call, and why it is safe. Unless marked exempt, the
# function must ask the policy before its first raw call (FileUser::check through `user`, or an
# OpContext's check_read/check_write); kernels reach these only with a FileUser, which needs
# the run's env: there is no way to open a file without one.
ALLOWED = {
    ("cpp/kernels/util/file_access.cpp", "file_size"): "checks read",
    ("cpp/kernels/util/file_access.cpp", "write_file"): "checks the path and each directory it makes",
    ("cpp/kernels/util/file_access.cpp", "write_mode"): "checks write",
    ("cpp/kernels/util/file_access.cpp", "path_exists"): "checks read",
    ("cpp/kernels/util/file_access.cpp", "is_directory"): "checks read",
    ("cpp/kernels/util/file_access.cpp", "list_directory"): "checks read",
    ("cpp/kernels/util/input_stream.cpp", "InputStream::open"): "checks read",
    ("cpp/framework/io_policy.cpp", "normalize_path"): "exempt: the policy resolving a path (lstat/readlink)",
}
EXEMPT = {k for k, why in ALLOWED.items() if why.startswith("exempt")}


def _strip(src):
    """Comments and string/char literals blanked (same length, newlines kept)."""
    def blank(m):
        return re.sub(r"[^\n]", " ", m.group(0))
    return re.sub(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'', blank, src, flags=re.S)


CONTROL = {"if", "for", "while", "switch", "catch", "return", "sizeof", "do", "else"}


def _functions(code):
    """(name, body_start, body_end) of each function definition: a '{' after 'name(...) qualifiers'."""
    out, stack = [], []
    header = re.compile(r"([A-Za-z_~][\w:~]*)\s*\([^;{}]*\)\s*(?:const\s*)?(?:override\s*)?(?:noexcept\s*)?"
                        r"(?::[^;{}]*)?$")
    for i, ch in enumerate(code):
        if ch == "{":
            m = header.search(code[max(0, i - 400):i])
            name = m.group(1) if m and m.group(1).split("::")[-1] not in CONTROL else None
            stack.append((name, i))
        elif ch == "}" and stack:
            name, start = stack.pop()
            if name:
                out.append((name, start, i))
    return out


def raw_calls_without_check(rel, src, allowed=ALLOWED, exempt=EXEMPT):
    """Problems in one file: raw calls outside an allowed function, or before its policy check."""
    code = _strip(src)
    funcs = _functions(code)
    problems, seen = [], set()
    for m in RAW_CALL.finditer(code):
        line = code.count("\n", 0, m.start()) + 1
        inner = [f for f in funcs if f[1] < m.start() < f[2]]
        if m.group(0).startswith("#"):
            # An include alone does nothing; the stream it brings is caught where it is used.
            continue
        if not inner:
            problems.append("%s:%d: %s outside any function" % (rel, line, m.group(0).strip()))
            continue
        name, start, _ = min(inner, key=lambda f: f[2] - f[1])
        # Functions inside classes: match the unqualified name too.
        key = next((k for k in ((rel, name), (rel, name.split("::")[-1])) if k in allowed), None)
        if key is None:
            problems.append("%s:%d: %s in %s, which is not in the allow-list of functions that check the IoPolicy"
                            % (rel, line, m.group(0).strip(), name))
            continue
        seen.add(key)
        if key not in exempt and not POLICY_CHECK.search(code, start, m.start()):
            problems.append("%s:%d: %s in %s before the function asks the IoPolicy"
                            % (rel, line, m.group(0).strip(), name))
    return problems, seen


def _sources():
    for top in SCANNED:
        for d, _, files in os.walk(os.path.join(REPO, top)):
            for f in sorted(files):
                if f.endswith((".cpp", ".cc", ".h", ".inc")):
                    path = os.path.join(d, f)
                    with open(path, encoding="utf-8", errors="replace") as fh:
                        yield os.path.relpath(path, REPO), fh.read()


def test_every_raw_file_call_is_behind_the_policy():
    problems, seen = [], set()
    for rel, src in _sources():
        p, s = raw_calls_without_check(rel, src)
        problems += p
        seen |= s
    assert not problems, "\n".join(problems)
    # A stale entry would let a future function of that name in; each must still make raw calls.
    assert seen == set(ALLOWED), sorted(set(ALLOWED) - seen)


def test_the_guard_sees_unchecked_file_calls():
    unchecked = {
        "fopen": "Status f(const std::string& p) {\n  std::FILE* x = std::fopen(p.c_str(), \"r\");\n}\n",
        "ifstream": "Status load(const std::string& p) {\n  std::ifstream in(p);\n  return Status();\n}\n",
        "posix": "bool g(const std::string& p) {\n  struct stat st;\n  return ::stat(p.c_str(), &st) == 0;\n}\n",
        "mkdir": "void h(const char* d) { if (d) { mkdir(d, 0755); } }\n",
        "opendir": "class K : public OpKernel {\n  Status compute(OpContext& ctx) override {\n"
                   "    DIR* d = ::opendir(\"/\");\n    return Status();\n  }\n};\n",
    }
    for what, src in unchecked.items():
        problems, _ = raw_calls_without_check("cpp/kernels/new_ops.cpp", src)
        assert len(problems) == 1 and "not in the allow-list" in problems[0], (what, problems)
    # Listed, but the raw call comes before the check: still refused.
    late = ("Status file_size(const FileUser& user, const std::string& p, uint64_t* out) {\n"
            "  struct stat st;\n  int r = ::stat(p.c_str(), &st);\n"
            "  MR_RETURN_IF_ERROR(user.check(FileAccess::kRead, p));\n  return Status();\n}\n")
    problems, _ = raw_calls_without_check("cpp/kernels/util/file_access.cpp", late)
    assert len(problems) == 1 and "before the function asks" in problems[0], problems
    # What is not a file call is left alone: methods, members, comments, strings.
    benign = ("void f(Budget& b, Table* t) {\n  b.remove(x);\n  t->remove(k);\n  source_->open(user, p);\n"
              "  // std::fopen(p) in a comment\n  const char* s = \"::open(\";\n  s.stat(1);\n}\n")
    assert raw_calls_without_check("cpp/kernels/x.cpp", benign)[0] == []
