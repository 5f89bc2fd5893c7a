"""The engines, each behind the same three calls: load, check, timed call.

metarun and TensorFlow share one adapter, `V1Engine`: both are driven through the
tf.compat.v1 surface exactly as a user would (import_meta_graph, Saver.restore,
Session.run, make_callable). onnxruntime runs the TF session's frozen inference
graph converted by tf2onnx, so it exists only when TensorFlow does.
"""

import functools
import os

import numpy as np


class Skip(Exception):
    """An engine cannot run a case; the message says why."""


def write_checkpoint(meta_path, prefix, seed):
    """Random weights for every variable of the graph, written by metarun's bundle
    writer so that both engines restore the very same files. Returns the arrays
    by variable name."""
    import metarun
    from metarun import bundle
    graph = metarun.Graph()
    with graph.as_default():
        metarun.train.import_meta_graph(meta_path)
        variables = graph.get_collection("variables")
        trainable = {v.op.name for v in graph.get_collection("trainable_variables")}
    rng = np.random.default_rng(seed)
    weights = {}
    for var in variables:
        weights[var.op.name] = _initial_value(var.op.name, var.shape.as_list(),
                                              var.op.name in trainable, rng)
    if weights:
        names = sorted(weights)
        dtypes = [v.dtype.base_dtype.as_datatype_enum for v in variables]
        dtype_of = dict(zip([v.op.name for v in variables], dtypes))
        bundle.save_v2(prefix, names, [""] * len(names), [weights[n] for n in names],
                       [dtype_of[n] for n in names])
    return weights


def _initial_value(name, shape, trainable, rng):
    if name.endswith("beta1_power"):
        return np.array(0.9, np.float32)
    if name.endswith("beta2_power"):
        return np.array(0.999, np.float32)
    if not trainable:  # Adam slots
        return np.zeros(shape, np.float32)
    if len(shape) == 0:
        return np.array(rng.standard_normal(), np.float32)
    fan_in = int(np.prod(shape[:-1])) if len(shape) > 1 else 0
    scale = np.sqrt(2.0 / fan_in) if fan_in else 0.05
    return (rng.standard_normal(shape) * scale).astype(np.float32)


class V1Engine(object):
    """metarun or TensorFlow, through `v1` = the module's tf.compat.v1 surface.

    `configure(config)` may edit the ConfigProto of every session; `group`, if
    given, limits the engine to the cases of that group (other than imports,
    which no session setting changes)."""

    def __init__(self, name, v1, threads, configure=None, group=None):
        self.name = name
        self._v1 = v1
        self._threads = threads
        self._configure = configure
        self._group = group
        self._sessions = {}

    def applies(self, case):
        return self._group is None or (case.group == self._group and case.mode != "import")

    def _open(self, meta_path, prefix):
        v1 = self._v1
        graph = v1.Graph()
        with graph.as_default():
            saver = v1.train.import_meta_graph(meta_path)
        config = v1.ConfigProto(intra_op_parallelism_threads=self._threads)
        if self._configure:
            self._configure(config)
        sess = v1.Session(graph=graph, config=config)
        if saver is not None:
            saver.restore(sess, prefix)
        return sess

    def session(self, meta_path, prefix):
        """One session per model, restored from `prefix` (cached across cases)."""
        if meta_path not in self._sessions:
            self._sessions[meta_path] = self._open(meta_path, prefix)
        return self._sessions[meta_path]

    def prepare(self, case, meta_path, prefix):
        """(check, step) for `case`: check() -> outputs, step() -> the timed call.
        For mode "first", step() instead sets up a fresh session and returns
        (the timed call, a cleanup), see timing.Timing.measure_fresh."""
        if case.mode == "first":
            return self._prepare_first(case, meta_path, prefix)
        sess = self.session(meta_path, prefix)
        graph = sess.graph
        feeds = {graph.get_tensor_by_name(k): v for k, v in case.feeds.items()}
        fetches = [graph.as_graph_element(f) for f in case.fetches]
        targets = [graph.get_operation_by_name(t) for t in case.targets]
        after = [graph.as_graph_element(f) for f in case.after]
        # One fetch is passed alone, as users write sess.run(y, feeds).
        single = len(fetches) == 1 and not targets
        fetch = fetches[0] if single else fetches + targets

        def check():
            out = sess.run(fetches + targets, feeds)[:len(fetches)]
            return out + (sess.run(after) if after else [])

        if case.mode == "import":
            v1 = self._v1

            def import_graph():
                with v1.Graph().as_default():
                    v1.train.import_meta_graph(meta_path)
            return check, import_graph
        if case.callable:  # f = sess.make_callable(y, [a, b]); f(12.0, 3.3)
            feed_list = list(feeds)
            values = [feeds[t] for t in feed_list]
            fn = sess.make_callable(fetch, feed_list)

            def check_callable():
                out = fn(*values)
                return [out] if single else list(out)[:len(fetches)]
            return check_callable, functools.partial(fn, *values)
        return check, functools.partial(sess.run, targets if targets else fetch, feeds)

    def _prepare_first(self, case, meta_path, prefix):
        def fresh():
            sess = self._open(meta_path, prefix)
            graph = sess.graph
            feeds = {graph.get_tensor_by_name(k): v for k, v in case.feeds.items()}
            fetches = [graph.as_graph_element(f) for f in case.fetches]
            return functools.partial(sess.run, fetches, feeds), sess.close

        def check():
            run, close = fresh()
            try:
                return run()
            finally:
                close()
        return check, fresh

    def close(self):
        for sess in self._sessions.values():
            sess.close()
        self._sessions.clear()


def _no_graph_optimizations(config):
    """TensorFlow's executor on the graph as written: no Grappler, no L1 graph
    optimizer (which would fold or remove the chains' nodes)."""
    config.graph_options.rewrite_options.disable_meta_optimizer = True
    config.graph_options.optimizer_options.opt_level = -1  # OptimizerOptions.L0
    config.graph_options.optimizer_options.do_constant_folding = False
    config.graph_options.optimizer_options.do_common_subexpression_elimination = False
    config.graph_options.optimizer_options.do_function_inlining = False


class OnnxEngine(object):
    """onnxruntime on the frozen graph of TensorFlow's restored session."""

    name = "onnxruntime"

    def __init__(self, tf_engine, threads):
        import onnxruntime  # noqa: F401 -- fail early when missing
        self._tf_engine = tf_engine
        self._threads = threads
        self._models = {}

    def prepare(self, case, meta_path, prefix):
        if case.targets:
            raise Skip("a training step is not an inference graph")
        if case.mode != "run":
            raise Skip("no meta graph import: the model is converted ahead of time")
        import onnxruntime as ort
        key = (meta_path, tuple(case.fetches))
        if key not in self._models:
            self._models[key] = self._convert(case, meta_path, prefix)
        options = ort.SessionOptions()
        options.intra_op_num_threads = self._threads
        sess = ort.InferenceSession(self._models[key], options, providers=["CPUExecutionProvider"])
        inputs = list(sess.get_inputs()) + list(sess.get_overridable_initializers())
        dtypes = {i.name: _ort_dtype(i.type) for i in inputs}
        raw = case.feeds
        if set(raw) - set(dtypes):
            raise Skip("the converted model has no input %s" % sorted(set(raw) - set(dtypes)))

        def step():
            return sess.run(case.fetches, {k: np.asarray(v, dtypes[k]) for k, v in raw.items()})
        return step, step

    def _convert(self, case, meta_path, prefix):
        import tensorflow as tf
        import tf2onnx
        sess = self._tf_engine.session(meta_path, prefix)
        outputs = sorted({f.split(":")[0] for f in case.fetches})
        with sess.graph.as_default():
            frozen = tf.compat.v1.graph_util.convert_variables_to_constants(
                sess, sess.graph.as_graph_def(), outputs)
        try:
            model, _ = tf2onnx.convert.from_graph_def(
                frozen, input_names=list(case.feeds), output_names=list(case.fetches), opset=17)
        except Exception as e:  # tf2onnx raises many kinds; all mean "not convertible"
            raise Skip("tf2onnx could not convert: %s" % _first_line(e))
        return model.SerializeToString()


def _ort_dtype(type_string):
    return {"tensor(float)": np.float32, "tensor(int32)": np.int32,
            "tensor(int64)": np.int64}.get(type_string, np.float32)


def _first_line(exc):
    text = str(exc).strip().splitlines()
    return "%s: %s" % (type(exc).__name__, text[0] if text else "")


class NumpyEngine(object):
    name = "numpy"

    def __init__(self, weights_by_model):
        self._weights = weights_by_model

    def prepare(self, case, meta_path, prefix):
        if case.mode != "run":
            raise Skip("no graph to import or plan")
        return case.numpy(self._weights[meta_path], case.feeds)


def make_engines(threads, want_tf=True):
    """metarun, TensorFlow and onnxruntime where importable, and for each missing
    one the reason. (numpy needs the weights: run.py adds NumpyEngine.)"""
    import metarun
    engines, missing = [V1Engine("metarun", metarun, threads)], {}
    tf_engine = None
    if want_tf:
        try:
            os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
            import tensorflow as tf
            v1 = tf.compat.v1
            v1.disable_eager_execution()
            v1.disable_resource_variables()
            v1.disable_control_flow_v2()
            v1.logging.set_verbosity(v1.logging.ERROR)
            tf_engine = V1Engine("tensorflow", v1, threads)
            engines.append(tf_engine)
            engines.append(V1Engine("tf.noopt", v1, threads, configure=_no_graph_optimizations,
                                    group="overhead"))
        except ImportError as e:
            missing["tensorflow"] = "not importable (%s)" % e
    else:
        missing["tensorflow"] = "disabled by --no-tf"
    try:
        if tf_engine is None:
            raise ImportError("needs TensorFlow to freeze and convert the graphs")
        import tf2onnx  # noqa: F401
        engines.append(OnnxEngine(tf_engine, threads))
    except ImportError as e:
        missing["onnxruntime"] = "not usable (%s)" % e
    return engines, missing
