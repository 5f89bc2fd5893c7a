"""Replay a TF-made case directory (case.json + arrays.npz + model files) through a TF1-style module.

`replay_case(tf_module, case_dir)` performs the steps of case.json, in the format of
shared/tfcases/README.md plus the additions described in tests/fixtures/generate.py's docstring
(`type_urls` in check_collection, `op_error` in expect_error, `op_count` in check_graph, the
`import_meta` and `import_graph_def` steps, `path_feeds`, `keep` and `kept_feeds` in run steps). It uses only the tf.compat.v1 user
API, so a case replays the same way through `metarun` and, to check the replayer and the cases
themselves, through `tensorflow.compat.v1`:

    python tests/replay.py CASE_DIR_OR_ROOT...                      # import metarun as tf
    python tests/replay.py --tf CASE_DIR_OR_ROOT...  # real TensorFlow

A mismatch raises CaseMismatch (an AssertionError) naming the case, the step and what differed.
"""
import builtins
import contextlib
import json
import os
import shutil
import sys
import tempfile

import numpy as np

DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-6

# Step kinds, by the key that identifies them.
STEP_KINDS = ("restore", "restore_latest", "run", "save_and_reload", "check_collection",
              "check_variables", "check_graph", "get_tensor", "get_operation", "expect_error",
              "import_meta", "import_graph_def")


class CaseMismatch(AssertionError):
    """What the engine did differs from what the case expects."""


def replay_case(tf_module, case_dir):
    """Replay every step of the case in `case_dir` with `tf_module` as `tf`."""
    replay = _Replay(tf_module, case_dir)
    try:
        replay.run()
    finally:
        replay.close()


# --------------------------------------------------------------------------------------------
# Value comparison
# --------------------------------------------------------------------------------------------

def _as_bytes(x, what):
    if isinstance(x, bytes):
        return bytes(x)
    if isinstance(x, str):
        return x.encode("utf-8")
    raise CaseMismatch("%s: expected a string element, got %s %r" % (what, type(x).__name__, x))


def _string_list(value, what):
    arr = np.asarray(value, dtype=object)
    return arr.shape, [_as_bytes(x, what) for x in arr.reshape(-1)]


def assert_matches(actual, expected, rtol, atol, what):
    """`actual` (a fetch result) must equal the stored `expected` array in shape, dtype and value.

    Floats and complex compare with np.allclose(rtol, atol), NaN equal to NaN; everything else
    exactly. Expected strings are numpy bytes arrays; results may be bytes or object arrays.
    """
    if actual is None:
        raise CaseMismatch("%s: got None, expected %s%s" % (what, expected.dtype, list(expected.shape)))
    if expected.dtype.kind in "SU":
        shape, got = _string_list(actual, what)
        want = [_as_bytes(x, what) for x in expected.reshape(-1).tolist()]
        if shape != expected.shape:
            raise CaseMismatch("%s: shape %s, expected %s" % (what, shape, expected.shape))
        if got != want:
            raise CaseMismatch("%s: strings %r, expected %r" % (what, got[:5], want[:5]))
        return
    got = np.asarray(actual)
    if got.shape != expected.shape:
        raise CaseMismatch("%s: shape %s, expected %s" % (what, got.shape, expected.shape))
    if got.dtype != expected.dtype:
        raise CaseMismatch("%s: dtype %s, expected %s" % (what, got.dtype, expected.dtype))
    if expected.dtype.kind in "fc":
        if not np.allclose(got, expected, rtol=rtol, atol=atol, equal_nan=True):
            with np.errstate(all="ignore"):  # inf - inf in the report must not warn
                err = np.nan_to_num(np.abs(got.astype(np.complex128) - expected.astype(np.complex128)), nan=np.inf)
            worst = np.unravel_index(np.argmax(err), err.shape) if err.size else ()
            raise CaseMismatch("%s: max abs error %.4g at %s (got %r, expected %r; rtol=%g, atol=%g)"
                               % (what, float(err.max()), tuple(int(i) for i in worst), got[worst],
                                  expected[worst], rtol, atol))
    elif not np.array_equal(got, expected):
        bad = np.argwhere(got != expected)
        first = tuple(int(i) for i in bad[0]) if bad.size else ()
        raise CaseMismatch("%s: %d element(s) differ, first at %s: got %r, expected %r"
                           % (what, len(bad), first, got[first], expected[first]))


def _identical(a, b):
    """Exact equality of two fetched variable values (used across save_and_reload)."""
    a_arr, b_arr = np.asarray(a), np.asarray(b)
    if a_arr.dtype == object or b_arr.dtype == object or a_arr.dtype.kind in "SU":
        try:
            return _string_list(a, "") == _string_list(b, "")
        except CaseMismatch:
            return False
    if a_arr.dtype != b_arr.dtype or a_arr.shape != b_arr.shape:
        return False
    return bool(np.array_equal(a_arr, b_arr, equal_nan=a_arr.dtype.kind in "fc"))


def _as_text(x):
    return x.decode("utf-8", "replace") if isinstance(x, bytes) else x


def _first_line(e):
    text = str(e).strip()
    return text.splitlines()[0][:300] if text else ""


# --------------------------------------------------------------------------------------------
# The replay
# --------------------------------------------------------------------------------------------

class _Replay(object):
    def __init__(self, tf, case_dir):
        self.tf = tf
        self.dir = os.path.abspath(case_dir)
        with open(os.path.join(self.dir, "case.json"), encoding="utf-8") as f:
            self.case = json.load(f)
        self.name = self.case.get("name", os.path.basename(self.dir))
        with np.load(os.path.join(self.dir, "arrays.npz"), allow_pickle=False) as npz:
            self.arrays = {key: npz[key] for key in npz.files}
        spec = self.case["import"]
        self.imports = spec if isinstance(spec, list) else [spec]
        self.savers = []
        self.sess = None
        self.kept = {}  # run results kept by name for later feeds (this session's only)
        self._session_scope = None
        self._tmp = tempfile.mkdtemp(prefix="metarun_replay_")

    def run(self):
        self._open()
        for index, step in enumerate(self.case["steps"]):
            where = "case %s, step %d %s" % (self.name, index, json.dumps(step)[:300])
            try:
                self._step(step)
            except CaseMismatch as e:
                raise CaseMismatch("%s: %s" % (where, e)) from None
            except Exception as e:  # an engine failure is a mismatch of this step
                raise CaseMismatch("%s: raised %s: %s" % (where, type(e).__name__, _first_line(e))) from e

    def close(self):
        self._close_session()
        shutil.rmtree(self._tmp, ignore_errors=True)

    # -- graph and session ----------------------------------------------------------------
    def _open(self):
        """Fresh default graph with every import of the case, and a new default session."""
        tf = self.tf
        tf.reset_default_graph()
        self.savers = [tf.train.import_meta_graph(os.path.join(self.dir, spec["meta"]),
                                                  clear_devices=spec.get("clear_devices", False),
                                                  import_scope=spec.get("import_scope"))
                       for spec in self.imports]
        self._session_scope = contextlib.ExitStack()
        self.sess = self._session_scope.enter_context(tf.Session())
        self.kept = {}

    def _close_session(self):
        if self._session_scope is not None:
            self._session_scope.close()
        self._session_scope = None
        self.sess = None

    def _saver(self, step):
        index = step.get("saver", 0)
        if index >= len(self.savers):
            raise CaseMismatch("saver %d requested, only %d imports" % (index, len(self.savers)))
        if self.savers[index] is None:
            raise CaseMismatch("import_meta_graph returned None instead of a Saver (import %d)" % index)
        return self.savers[index]

    def _variable_values(self):
        variables = self.tf.global_variables()
        names = [v.name for v in variables]
        if len(set(names)) != len(names):
            raise CaseMismatch("global_variables() has duplicate names: %s" % names)
        return dict(zip(names, self.sess.run(variables)))

    # -- steps ----------------------------------------------------------------------------
    def _step(self, step):
        kind = next((k for k in STEP_KINDS if k in step), None)
        if kind is None:
            raise CaseMismatch("unknown step kind (keys %s)" % sorted(step))
        getattr(self, "_step_" + kind)(step)

    def _step_restore(self, step):
        self._saver(step).restore(self.sess, os.path.join(self.dir, step["restore"]))

    def _step_restore_latest(self, step):
        path = self.tf.train.latest_checkpoint(os.path.join(self.dir, step["restore_latest"]))
        if path is None:
            raise CaseMismatch("tf.train.latest_checkpoint returned None")
        self._saver(step).restore(self.sess, path)

    def _fetch(self, spec):
        if not isinstance(spec, dict):
            return spec  # a tensor or op name, or None (which run must reject)
        items = self.tf.get_collection(spec["collection"])
        if spec["index"] >= len(items):
            raise CaseMismatch("collection %r has %d items, no index %d"
                               % (spec["collection"], len(items), spec["index"]))
        return items[spec["index"]]

    def _step_run(self, step):
        fetches = [self._fetch(f) for f in step["run"]]
        feed_dict = {name: self.arrays[key] for name, key in step.get("feeds", {}).items()}
        for name, rel in step.get("path_feeds", {}).items():  # files of the case, wherever it lies
            feed_dict[name] = ([os.path.join(self.dir, r) for r in rel] if isinstance(rel, list)
                               else os.path.join(self.dir, rel))
        for name, key in step.get("kept_feeds", {}).items():
            if key not in self.kept:
                raise CaseMismatch("no kept value %r (kept: %s)" % (key, sorted(self.kept)))
            feed_dict[name] = self.kept[key]
        form = step.get("form", "list")
        if form == "single":
            if len(fetches) != 1:
                raise CaseMismatch("form 'single' needs exactly one fetch")
            results = [self.sess.run(fetches[0], feed_dict=feed_dict)]
        elif form == "dict":
            keys = ["f%d" % j for j in range(len(fetches))]
            out = self.sess.run(dict(zip(keys, fetches)), feed_dict=feed_dict)
            if not isinstance(out, dict) or sorted(out) != keys:
                raise CaseMismatch("a dict fetch returned %s" % (sorted(out) if isinstance(out, dict)
                                                                 else type(out).__name__))
            results = [out[k] for k in keys]
        elif form == "list":
            results = self.sess.run(fetches, feed_dict=feed_dict)
            if not isinstance(results, list) or len(results) != len(fetches):
                raise CaseMismatch("a list of %d fetches returned %s" % (len(fetches), type(results).__name__))
        else:
            raise CaseMismatch("unknown run form %r" % form)
        for key, value in zip(step.get("keep", []), results):
            if key is not None:
                self.kept[key] = value
        expect = step.get("expect")
        if expect is None:
            return
        rtol, atol = step.get("rtol", DEFAULT_RTOL), step.get("atol", DEFAULT_ATOL)
        for fetch, key, value in zip(step["run"], expect, results):
            what = "fetch %s" % json.dumps(fetch)
            if key is None:
                if value is not None:
                    raise CaseMismatch("%s: an op fetch must give None, got %s" % (what, type(value).__name__))
            else:
                assert_matches(value, self.arrays[key], rtol, atol, what)

    def _step_save_and_reload(self, step):
        saver = self._saver(step)
        global_step = step.get("global_step")
        before = self._variable_values()
        save_dir = tempfile.mkdtemp(dir=self._tmp)
        base = os.path.join(save_dir, "reload")
        prefix = saver.save(self.sess, base, global_step=global_step)
        wanted = base if global_step is None else "%s-%d" % (base, global_step)
        if prefix != wanted:
            raise CaseMismatch("Saver.save returned %r, expected %r" % (prefix, wanted))
        latest = self.tf.train.latest_checkpoint(save_dir)
        if latest != prefix:
            raise CaseMismatch("after save, latest_checkpoint gives %r, expected %r" % (latest, prefix))
        self._close_session()
        self._open()
        self._saver(step).restore(self.sess, prefix)
        after = self._variable_values()
        if sorted(after) != sorted(before):
            raise CaseMismatch("variables after reload %s, before %s" % (sorted(after), sorted(before)))
        changed = [name for name in sorted(before) if not _identical(before[name], after[name])]
        if changed:
            raise CaseMismatch("variables changed by save and restore: %s" % changed)

    def _step_check_collection(self, step):
        key = step["check_collection"]
        items = self.tf.get_collection(key)
        if len(items) != step["len"]:
            raise CaseMismatch("collection %r has %d items, expected %d" % (key, len(items), step["len"]))
        checks = [("names", lambda x: getattr(x, "name", None)),
                  ("values", _as_text),
                  ("type_urls", lambda x: getattr(x, "type_url", None))]
        for field, get in checks:
            if field in step:
                got = [get(x) for x in items]
                if got != step[field]:
                    raise CaseMismatch("collection %r %s %r, expected %r" % (key, field, got, step[field]))

    def _step_check_variables(self, step):
        for kind, get in (("global", self.tf.global_variables), ("trainable", self.tf.trainable_variables)):
            if kind in step["check_variables"]:
                names = [v.name for v in get()]
                if names != step["check_variables"][kind]:
                    raise CaseMismatch("%s variables %s, expected %s" % (kind, names, step["check_variables"][kind]))

    def _step_check_graph(self, step):
        graph = self.tf.get_default_graph()
        for spec in step["check_graph"].get("tensors", []):
            tensor = graph.get_tensor_by_name(spec["name"])
            if tensor.name != spec["name"]:
                raise CaseMismatch("get_tensor_by_name(%r) gave %r" % (spec["name"], tensor.name))
            if "dtype" in spec and tensor.dtype.name != spec["dtype"]:
                raise CaseMismatch("tensor %s has dtype %s, expected %s" % (spec["name"], tensor.dtype.name,
                                                                           spec["dtype"]))
        for spec in step["check_graph"].get("ops", []):
            op = graph.get_operation_by_name(spec["name"])
            if op.name != spec["name"]:
                raise CaseMismatch("get_operation_by_name(%r) gave %r" % (spec["name"], op.name))
            if "type" in spec and op.type != spec["type"]:
                raise CaseMismatch("op %s has type %s, expected %s" % (spec["name"], op.type, spec["type"]))
        wanted = step["check_graph"].get("op_count")
        if wanted is not None and len(graph.get_operations()) != wanted:
            raise CaseMismatch("the graph has %d operations, expected %d" % (len(graph.get_operations()), wanted))

    def _step_import_meta(self, step):
        """A further import into the current graph (its Saver is not kept)."""
        self.tf.train.import_meta_graph(os.path.join(self.dir, step["import_meta"]),
                                        clear_devices=step.get("clear_devices", False),
                                        import_scope=step.get("import_scope"))

    def _step_import_graph_def(self, step):
        graph_def = self.tf.GraphDef()
        with open(os.path.join(self.dir, step["import_graph_def"]), "rb") as f:
            graph_def.ParseFromString(f.read())
        self.tf.import_graph_def(graph_def, name=step.get("name"))

    def _step_get_tensor(self, step):
        self.tf.get_default_graph().get_tensor_by_name(step["get_tensor"])

    def _step_get_operation(self, step):
        self.tf.get_default_graph().get_operation_by_name(step["get_operation"])

    def _expected_error_classes(self, step):
        classes = []
        error = step.get("error", "any")
        if error != "any":
            cls = getattr(builtins, error, None)
            if not (isinstance(cls, type) and issubclass(cls, BaseException)):
                raise CaseMismatch("unknown builtin error %r" % error)
            classes.append(cls)
        if "op_error" in step:
            classes.append(getattr(self.tf.errors, step["op_error"]))
        return classes

    def _step_expect_error(self, step):
        wanted = self._expected_error_classes(step)
        try:
            self._step(step["expect_error"])
        except CaseMismatch:
            raise
        except Exception as e:  # the error the step is about; checked below
            wrong = [cls.__name__ for cls in wanted if not isinstance(e, cls)]
            if wrong:
                raise CaseMismatch("expected %s, got %s: %s" % (" and ".join(wrong), type(e).__name__,
                                                                  _first_line(e))) from e
            return
        raise CaseMismatch("expected %s, nothing was raised"
                           % (" and ".join(c.__name__ for c in wanted) or "an error"))


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------

def load_tensorflow():
    """tensorflow.compat.v1 in graph mode, quiet; only for checking cases against real TF."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import tensorflow.compat.v1 as tf
    tf.disable_eager_execution()
    tf.logging.set_verbosity(tf.logging.ERROR)
    return tf


def case_dirs(paths):
    """Case directories among `paths`: each path is a case or a folder of cases."""
    found = []
    for path in paths:
        if os.path.isfile(os.path.join(path, "case.json")):
            found.append(path)
        else:
            found += sorted(os.path.join(path, d) for d in os.listdir(path)
                            if os.path.isfile(os.path.join(path, d, "case.json")))
    return found


def main(argv):
    use_tf = "--tf" in argv
    paths = [a for a in argv if a != "--tf"]
    if not paths:
        raise SystemExit("usage: replay.py [--tf] CASE_DIR_OR_ROOT...")
    if use_tf:
        tf = load_tensorflow()
    else:
        import metarun as tf
    failed = 0
    dirs = case_dirs(paths)
    for case_dir in dirs:
        try:
            replay_case(tf, case_dir)
            print("PASS %s" % case_dir)
        except AssertionError as e:
            failed += 1
            print("FAIL %s\n     %s" % (case_dir, e))
        sys.stdout.flush()
    print("%d passed, %d failed" % (len(dirs) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
