"""The Ray tests (predict_ray_cases.py), run in a child pytest.

`import ray` loads Ray's _raylet library with RTLD_GLOBAL, which puts some 16,000 of its own
absl, protobuf and gRPC symbols ahead of those of every library loaded later in the same
process (pyarrow, onnx, onnxruntime...). The suite's process is kept free of that: the full
suite crashed intermittently (in the protobuf runtime, far from any Ray test) while Ray was
imported at collection."""
import os
import re
import subprocess
import sys

from subproc import metarun_env

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))


def test_ray_cases_pass_in_a_child_process():
    cases = os.path.join(TESTS_DIR, "predict_ray_cases.py")
    r = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly",
                        cases], env=metarun_env(), cwd=os.path.dirname(TESTS_DIR), capture_output=True,
                       text=True, timeout=900)
    assert r.returncode == 0, r.stdout[-6000:] + r.stderr[-3000:]
    assert re.search(r"^2 passed\b", r.stdout, re.M), r.stdout[-3000:]
