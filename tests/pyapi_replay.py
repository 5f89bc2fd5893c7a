"""Replays the scenarios of tests/fixtures/gen_pyapi.py through metarun and hands back what
TensorFlow recorded for them (tests/fixtures/pyapi.json), for the tests of tf.app/tf.flags,
tf.logging, tf.gfile, tf.nest and tf.initializers."""
import functools
import importlib.util
import json
import os
import sys

import metarun

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def _load_generator():
    spec = importlib.util.spec_from_file_location("gen_pyapi", os.path.join(FIXTURES, "gen_pyapi.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


gen = _load_generator()


@functools.lru_cache(maxsize=None)
def expected():
    with open(os.path.join(FIXTURES, "pyapi.json")) as f:
        return json.load(f)


def as_json(value):
    """`value` as the fixture stores it (tuples become lists, keys strings)."""
    return json.loads(json.dumps(value, sort_keys=True))


@functools.lru_cache(maxsize=None)
def metarun_scripts():
    """The child-process scenarios run under metarun."""
    env = dict(os.environ)
    package_root = os.path.dirname(os.path.dirname(os.path.abspath(metarun.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([package_root] + [p for p in [env.get("PYTHONPATH")] if p])
    return as_json(gen.scripts(sys.executable, env, "metarun"))
