"""Writes the seed corpus of the fuzz targets from tests/fixtures:

- meta/: every .meta (binary) and .pbtxt (text) MetaGraphDef of the fixtures;
- bundle/: every single-shard V2 checkpoint, its .index and .data joined as fuzz_bundle reads them;
- kernels/: one seed per kernel the target can pick (its index, then fixed pseudo-random bytes).

    python tests/fuzz/make_corpus.py [OUT_DIR]     # default: tests/fuzz/corpus (gitignored)
"""
import glob
import os
import random
import sys

import _fuzzlib
import fuzz_bundle
import fuzz_kernels

FIXTURES = os.path.join(_fuzzlib.TESTS_DIR, "fixtures")


def _name(path):
    return os.path.relpath(path, FIXTURES).replace(os.sep, "__")


def _write(out, target, name, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def meta_seeds():
    paths = glob.glob(os.path.join(FIXTURES, "**", "*.meta"), recursive=True)
    paths += glob.glob(os.path.join(FIXTURES, "**", "*.pbtxt"), recursive=True)
    for p in sorted(paths):
        with open(p, "rb") as f:
            yield _name(p), f.read()


def bundle_seeds():
    for index in sorted(glob.glob(os.path.join(FIXTURES, "**", "*.index"), recursive=True)):
        data = index[:-len(".index")] + ".data-00000-of-00001"
        if not os.path.exists(data):
            continue
        with open(index, "rb") as f, open(data, "rb") as g:
            yield _name(index)[:-len(".index")], fuzz_bundle.join(f.read(), g.read())


def kernel_seeds():
    ops = fuzz_kernels.ops()
    width = 2 if len(ops) > 256 else 1
    for i, (op, _, _) in enumerate(ops):
        rng = random.Random(i)
        yield op, i.to_bytes(width, "little") + bytes(rng.randrange(256) for _ in range(96))


def main(out):
    counts = {}
    for target, seeds in (("meta", meta_seeds()), ("bundle", bundle_seeds()), ("kernels", kernel_seeds())):
        for name, data in seeds:
            _write(out, target, name, data)
            counts[target] = counts.get(target, 0) + 1
    print("seeds in %s: %s" % (out, ", ".join("%s %d" % kv for kv in sorted(counts.items()))))
    return counts


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else _fuzzlib.CORPUS_DIR)
