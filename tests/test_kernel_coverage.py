"""Every registered (op, dtype) has a test: each test module declares what it
covers in COVERAGE, and this test fails for any registry entry none claims."""
import glob
import importlib.util
import os

from metarun import _core
from metarun.framework import dtypes


HERE = os.path.dirname(os.path.abspath(__file__))


def _claimed():
    claimed = {}
    for path in sorted(glob.glob(os.path.join(HERE, "kernels", "test_*.py"))):
        spec = importlib.util.spec_from_file_location("_cov_" + os.path.basename(path)[:-3], path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for op, types in getattr(module, "COVERAGE", {}).items():
            claimed.setdefault(op, set()).update(types)
    return claimed


def test_every_registered_kernel_and_dtype_has_a_test_row():
    claimed = _claimed()
    missing = []
    for op, types in sorted(_core.registered_kernels().items()):
        if op not in claimed:
            missing.append(op)
            continue
        for t in types:
            name = dtypes.as_dtype(t).name
            if name not in claimed[op]:
                missing.append("%s[%s]" % (op, name))
    assert not missing, "registered but untested: " + ", ".join(missing)
