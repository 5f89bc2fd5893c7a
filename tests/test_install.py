"""What an installed metarun ships besides code, and the message a source tree without its
compiled core gives instead of Python's misleading 'circular import'."""
import os
import subprocess
import sys

import metarun

PACKAGE_DIR = os.path.dirname(os.path.abspath(metarun.__file__))


def test_py_typed_marker_is_in_the_package():
    assert os.path.isfile(os.path.join(PACKAGE_DIR, "py.typed"))


def test_public_api_has_type_hints_and_docstrings():
    from metarun.framework.importer import import_meta_graph
    for fn in (metarun.Session.run, metarun.Session.__init__, metarun.train.Saver.save,
               metarun.train.Saver.restore, metarun.train.Saver.__init__, import_meta_graph):
        assert fn.__annotations__, fn
    for fn in (metarun.Session.run, metarun.train.Saver.save, metarun.train.Saver.restore,
               metarun.train.import_meta_graph):
        assert fn.__doc__ and len(fn.__doc__.split()) > 40, fn


def test_source_tree_without_core_says_so(tmp_path):
    # The package's __init__ alone, as in a checkout on PYTHONPATH that was never built.
    pkg = tmp_path / "metarun"
    pkg.mkdir()
    with open(os.path.join(PACKAGE_DIR, "__init__.py")) as f:
        (pkg / "__init__.py").write_text(f.read())
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    proc = subprocess.run([sys.executable, "-c", "import metarun"], env=env, cwd=str(tmp_path),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith("ImportError: metarun's compiled core (_core) is not in %s" % pkg), last
    assert "pip install" in last and "PYTHONPATH=python" in last
    assert "circular import" not in last
