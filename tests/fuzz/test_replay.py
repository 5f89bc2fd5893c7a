"""Each fuzz target replays seeds made from the fixtures (make_corpus), without atheris: the
targets keep working as the API changes, and any seed that crashes is caught here first."""
import pytest

import _fuzzlib
import fuzz_bundle
import fuzz_kernels
import fuzz_meta
import make_corpus

TARGETS = [("meta", fuzz_meta, make_corpus.meta_seeds, 1),
           ("bundle", fuzz_bundle, make_corpus.bundle_seeds, 1),
           ("kernels", fuzz_kernels, make_corpus.kernel_seeds, 4)]  # every 4th kernel


@pytest.mark.parametrize("target,module,seeds,step", TARGETS, ids=[t[0] for t in TARGETS])
def test_seeds_replay(target, module, seeds, step):
    chosen = list(seeds())[::step]
    if not chosen:
        pytest.skip("no %s seeds among the fixtures" % target)
    for _, data in chosen:
        module.TestOneInput(data)


def test_short_and_empty_inputs_are_rejected_cleanly():
    for module in (fuzz_meta, fuzz_bundle, fuzz_kernels):
        for data in (b"", b"\0", b"\xff" * 7):
            module.TestOneInput(data)


def test_bytes_reader_pads_with_zeros():
    b = _fuzzlib.Bytes(b"\x05")
    assert (b.uint(), b.uint(2), b.remaining()) == (5, 0, 0)
