"""The environment for a child Python that must import the metarun under test: its package root
first on PYTHONPATH, whether the tests run on an installed package or on the checkout's python/."""
import os

import metarun


def metarun_env(**extra):
    """os.environ plus `extra`, with the tested metarun's root first on PYTHONPATH."""
    env = dict(os.environ, **extra)
    root = os.path.dirname(os.path.dirname(os.path.abspath(metarun.__file__)))
    env["PYTHONPATH"] = os.pathsep.join([root] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env
