"""Test-wide setup: the helpers beside this file are importable from every test module (the
kernel-test harness `op_harness` and the case replayer `replay`), and the one locator of the
shared corpus (tfcases/ and realworld/, made with real TensorFlow): $METARUN_SHARED, else
shared/ beside the repository.

- `shared_path()`: its path, or None when it is not there.
- the `shared_dir` fixture: its path; a test that asks for it is skipped when it is not there.
  `shared_cases`: the case directories in it.
- a test with a `shared_case_dir` argument runs once per case directory of the corpus (one
  skipped run when it is not there).
"""
import glob
import os
import sys

import pytest

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

SHARED_GROUPS = ("tfcases", "realworld")


def shared_path():
    for candidate in (os.environ.get("METARUN_SHARED"), os.path.join(os.path.dirname(TESTS_DIR), "..", "shared")):
        if candidate and os.path.isdir(os.path.join(candidate, "tfcases")):
            return os.path.abspath(candidate)
    return None


def shared_case_dirs(shared):
    """The case directories (holding a case.json) of the corpus, by group then name."""
    return [os.path.dirname(p) for group in SHARED_GROUPS
            for p in sorted(glob.glob(os.path.join(shared, group, "*", "case.json")))]


@pytest.fixture(scope="session")
def shared_dir():
    path = shared_path()
    if path is None:
        pytest.skip("shared corpus not present (set METARUN_SHARED, or put shared/ beside the repository)")
    return path


@pytest.fixture(scope="session")
def shared_cases(shared_dir):
    return shared_case_dirs(shared_dir)


def pytest_generate_tests(metafunc):
    if "shared_case_dir" not in metafunc.fixturenames:
        return
    shared = shared_path()
    if shared is None:
        metafunc.parametrize("shared_case_dir", [pytest.param(None, id="shared-missing", marks=pytest.mark.skip(
            reason="shared corpus not present"))])
        return
    dirs = shared_case_dirs(shared)
    metafunc.parametrize("shared_case_dir", dirs,
                         ids=["%s/%s" % (os.path.basename(os.path.dirname(d)), os.path.basename(d)) for d in dirs])
