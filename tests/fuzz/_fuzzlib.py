"""What the fuzz targets share: the import path, the exceptions a target may raise, a byte
reader that works without atheris, and `main`, which runs a target under atheris or replays
files through it.

A target is a module with `TestOneInput(data: bytes)`. An exception in `EXPECTED` means the
input was rejected as TF would reject it; the target swallows those. Anything else (another
exception, a crash, a sanitizer report) is a finding.
"""
import os
import sys

FUZZ_DIR = os.path.dirname(os.path.abspath(__file__))
TESTS_DIR = os.path.dirname(FUZZ_DIR)
REPO = os.path.dirname(TESTS_DIR)
CORPUS_DIR = os.environ.get("METARUN_FUZZ_CORPUS", os.path.join(FUZZ_DIR, "corpus"))

for _p in (TESTS_DIR, os.path.join(REPO, "python")):
    if _p not in sys.path:
        sys.path.append(_p)  # appended: a sanitized copy on PYTHONPATH comes first


def expected_exceptions():
    """The rejections a hostile input may cause: TF's typed errors and the API's own."""
    from google.protobuf import message, text_format

    from metarun import _core, errors
    return (errors.OpError, _core.StatusError, ValueError, TypeError, KeyError,
            message.DecodeError, text_format.ParseError)


class Bytes(object):
    """Consumes fuzz bytes front to back; past the end every read gives 0 (so a short input
    still decodes to something). The same decoding with and without atheris keeps a corpus
    replayable anywhere."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def remaining(self):
        return max(0, len(self.data) - self.pos)

    def take(self, n):
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out + b"\0" * (n - len(out))

    def uint(self, nbytes=1):
        return int.from_bytes(self.take(nbytes), "little")

    def pick(self, seq):
        return seq[self.uint(2 if len(seq) > 256 else 1) % len(seq)]

    def bool(self):
        return bool(self.uint() & 1)


def corpus_files(target, limit=None):
    """The seed files of `target` in the corpus directory, sorted (none when it is missing)."""
    d = os.path.join(CORPUS_DIR, target)
    if not os.path.isdir(d):
        return []
    files = sorted(os.path.join(d, f) for f in os.listdir(d))
    return files[:limit] if limit else files


def replay(test_one_input, paths):
    """Runs every file (or every file in each directory) through the target; returns the count."""
    n = 0
    for p in paths:
        files = sorted(os.path.join(p, f) for f in os.listdir(p)) if os.path.isdir(p) else [p]
        for f in files:
            with open(f, "rb") as fh:
                test_one_input(fh.read())
            n += 1
    return n


def _cap_memory():
    """Caps the address space at METARUN_FUZZ_MEMORY_MB (default 8192) so that an input asking
    for a tensor of many GB, which TF would allocate too (DynamicStitch with index 2**31 - 1), gets
    the typed ResourceExhausted of a failed allocation instead of tripping libFuzzer's RSS limit.
    Not under ASan, which reserves terabytes of address space for its shadow memory."""
    mb = int(os.environ.get("METARUN_FUZZ_MEMORY_MB", "8192"))
    if mb <= 0 or "asan" in os.environ.get("LD_PRELOAD", ""):
        return
    import resource
    resource.setrlimit(resource.RLIMIT_AS, (mb << 20, mb << 20))


def main(target, test_one_input):
    """`python fuzz_X.py [libFuzzer flags] [corpus dirs]` fuzzes with atheris; without atheris,
    or with `--replay`, runs the given files/dirs (default: the seed corpus) once each."""
    args = sys.argv[1:]
    try:
        import atheris
    except ImportError:
        atheris = None
    if atheris is None or "--replay" in args:
        paths = [a for a in args if a != "--replay" and not a.startswith("-")]
        n = replay(test_one_input, paths or [os.path.join(CORPUS_DIR, target)])
        print("%s: replayed %d inputs" % (target, n))
        return
    _cap_memory()
    test_one_input(b"")  # loads metarun, so its Python code is instrumented for coverage
    atheris.instrument_all()
    atheris.Setup([sys.argv[0]] + args, test_one_input)
    atheris.Fuzz()
