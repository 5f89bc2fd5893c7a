"""The one harness for kernel tests: graphs built in the C++ core, run through a real Session,
and the TF-made fixtures they are checked against.

- `run_op("AddV2", [a, b], {"T": dtypes.float32})`: one Placeholder per input (fed with the
  arrays, 0-d kept 0-d) -> the op, in a fresh Session; returns the outputs as numpy arrays.
  `OpSession` is the same graph in one Session that persists across runs (kernel state such as
  random generators carries over); `expect_error` checks that a failing run leaves it usable.
- `VarGraph`: ops whose first inputs are ref or resource variables, kept between runs;
  `run_on_variable` runs one such op once.
- `add_const` / `add_placeholder`: nodes of hand-built core graphs; `placeholder`, `const`,
  `binary`, `ref_variable`: nodes of Python `tf.Graph`s for framework tests.
- Fixtures: `kernel_fixture(name)` locates tests/fixtures/kernels/<name>, `load_npz` reads a
  whole .npz, `fixture_module` imports a generator's helpers. The multi-op fixtures (linalg.npz,
  grads.npz, gather.npz) are read into `Case`s, which `check_case` runs and compares.

Attr values are Python values: DType, bool, int, float, str/bytes, ndarray (a tensor), lists of
these, `Shape(dims)` and `Func(name)`. Kernel failures raise `_core.StatusError` (args: code,
message, node); `status_code` reads the code.
"""
import dataclasses
import importlib.util
import json
import os

import ml_dtypes
import numpy as np
import pytest

import metarun as tf
from metarun import _core
from metarun.framework import dtypes
from metarun.framework.tensor_shape import TensorShape

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
KERNEL_FIXTURES = os.path.join(TESTS_DIR, "fixtures", "kernels")
INVALID_ARGUMENT = 3
BF16 = ml_dtypes.bfloat16

# Dtype names by group.
FLOATS = ["float16", "bfloat16", "float32", "float64"]
INTS = ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"]
COMPLEX = ["complex64", "complex128"]


# -- attrs ----------------------------------------------------------------------------------

class Shape(object):
    """Marks an attr value as a shape (None = unknown rank, -1 = unknown dim)."""

    def __init__(self, dims):
        self.dims = dims


class Func(object):
    def __init__(self, name):
        self.name = name


def tag(value):
    """A Python attr value as the (kind, value) pair the core takes."""
    if isinstance(value, dtypes.DType):
        return ("type", value.as_datatype_enum)
    if isinstance(value, Shape):
        return ("shape", None if value.dims is None else list(value.dims))
    if isinstance(value, Func):
        return ("func", value.name)
    if isinstance(value, (bool, np.bool_)):
        return ("b", bool(value))
    if isinstance(value, (int, np.integer)):
        return ("i", int(value))
    if isinstance(value, (float, np.floating)):
        return ("f", float(value))
    if isinstance(value, str):
        return ("s", value.encode())
    if isinstance(value, bytes):
        return ("s", value)
    if isinstance(value, np.ndarray):
        dt = dtype_of(value)
        arr = value if dt != dtypes.string else np.asarray(value, dtype=object)
        return ("tensor", (np.require(arr, requirements="C"), dt.as_datatype_enum))
    if isinstance(value, (list, tuple)):
        if not value:
            return ("list", {})
        kind = tag(value[0])[0]
        return ("list", {kind: [tag(v)[1] for v in value]})
    raise TypeError("cannot tag attr value %r" % (value,))


def tag_attrs(attrs):
    return {k: tag(v) for k, v in (attrs or {}).items()}


# -- values ---------------------------------------------------------------------------------

def dtype_of(x):
    """The DType of an array-like (bytes and str arrays are strings)."""
    arr = np.asarray(x)
    if arr.dtype.kind in "SUO":
        return dtypes.string
    return dtypes.as_dtype(arr.dtype)


def np_dtype(name):
    return np.dtype(BF16 if name == "bfloat16" else name)


def enum(dtype):
    return dtypes.as_dtype(dtype).as_datatype_enum


def feed_array(x, dtype=None):
    """`x` as the array the core takes for a feed of `dtype` (default: x's own): C order, 0-d
    kept 0-d, strings as objects; a Python value is converted to `dtype`, and bfloat16 may be
    given as float32 values or as its uint16 bits. Other arrays are fed as they are."""
    dtype = dtype_of(x) if dtype is None else dtypes.as_dtype(dtype)
    if dtype == dtypes.string:
        return np.asarray(x, dtype=object)
    if not isinstance(x, np.ndarray) and not isinstance(x, np.generic) and dtype.is_numpy_compatible:
        x = np.asarray(x, dtype=dtype.as_numpy_dtype)
    arr = np.asarray(x)
    if dtype == dtypes.bfloat16 and arr.dtype != BF16:
        arr = arr.view(BF16) if arr.dtype == np.uint16 else arr.astype(BF16)
    return np.asarray(arr, order="C")  # a copy only when arr is not C-contiguous


def as_output(arr, dtype):
    """A fetched array as numpy sees it (the core hands bfloat16 over as raw 16-bit values)."""
    return arr.view(BF16) if dtypes.as_dtype(dtype) == dtypes.bfloat16 else arr


def handles(n):
    """An object array of n resource handles, as the core takes and returns them."""
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = ("c", "h%d" % i)
    return out


def handle_names(arr):
    """The variable names inside an array of resource handles, as a nested list."""
    return np.vectorize(lambda h: h[1], otypes=[object])(arr).tolist()


def status_code(exc):
    """The TF error code carried by a _core.StatusError."""
    return exc.args[0]


def sample(name, shape, seed=0):
    """Small random values of dtype `name`: integers in [-5, 5] ([0, 5] unsigned), floats and
    complex parts rounded to one decimal, booleans half true."""
    rng = np.random.default_rng(seed)
    if name == "bool":
        return rng.random(shape) < 0.5
    if name in INTS:
        lo = 0 if name.startswith("u") else -5
        return rng.integers(lo, 6, shape).astype(name)
    x = np.round(rng.standard_normal(shape) * 4, 1)
    if name in COMPLEX:
        x = x + 1j * np.round(rng.standard_normal(shape) * 4, 1)
    return x.astype(np_dtype(name))


# -- one op -----------------------------------------------------------------------------------

def add_node(g, name, op_type, inputs=(), out_dtypes=("float32",), control_inputs=(), **attrs):
    """Any node: inputs are node ids (output 0) or (node, output) pairs; attrs as `tag` takes them."""
    edges = [(i, 0) if isinstance(i, int) else tuple(i) for i in inputs]
    return g.add_node(name, op_type, "", edges, list(control_inputs), tag_attrs(attrs),
                      [enum(d) for d in out_dtypes])


def add_placeholder(g, name, dtype):
    e = enum(dtype)
    return g.add_node(name, "Placeholder", "", [], [], {"dtype": ("type", e)}, [e])


def add_const(g, name, value, control_inputs=()):
    """A Const node holding `value` (its dtype is the array's)."""
    arr = np.asarray(value)
    e = dtype_of(arr).as_datatype_enum
    return g.add_node(name, "Const", "", [], list(control_inputs), {"value": tag(arr), "dtype": ("type", e)}, [e])


class OpSession(object):
    """A Placeholder per input -> the op (-> an Identity of its first output, with `identity`),
    in one Session that persists across runs. An op without outputs runs as a target."""

    def __init__(self, op_type, input_dtypes, attrs=None, out_dtypes=(), num_threads=1, identity=False):
        g = _core.Graph()
        self.input_dtypes = [dtypes.as_dtype(d) for d in input_dtypes]
        self.out_dtypes = [dtypes.as_dtype(d) for d in out_dtypes]
        self._feeds = [(add_placeholder(g, "in%d" % i, d), 0) for i, d in enumerate(self.input_dtypes)]
        self.op = g.add_node("op", op_type, "", self._feeds, [], tag_attrs(attrs), [enum(d) for d in self.out_dtypes])
        self._identity = None
        if identity:
            e = enum(self.out_dtypes[0])
            self._identity = g.add_node("identity", "Identity", "", [(self.op, 0)], [], {"T": ("type", e)}, [e])
        self.session = _core.Session(g, num_threads)

    def run(self, inputs, via_identity=False):
        """The op's outputs for `inputs` (or only its Identity's, a second plan over the node)."""
        values = [(feed_array(x, d), d.as_datatype_enum) for x, d in zip(inputs, self.input_dtypes)]
        if via_identity:
            fetches, out_dtypes = [(self._identity, 0)], self.out_dtypes[:1]
        else:
            fetches, out_dtypes = [(self.op, k) for k in range(len(self.out_dtypes))], self.out_dtypes
        outs = self.session.run(self._feeds, values, fetches, [] if fetches else [self.op])
        return [as_output(o, d) for o, d in zip(outs, out_dtypes)]


def run_op(op_type, inputs, attrs=None, out_dtypes=None, num_threads=1, input_dtypes=None, times=1):
    """Runs `op_type` on `inputs` in a fresh Session, `times` times; returns the last run's outputs.

    `out_dtypes` defaults to one output of the first input's dtype; `input_dtypes` to each
    input's own (give it for values whose dtype numpy cannot tell, e.g. resource handles).
    """
    if input_dtypes is None:
        input_dtypes = [dtype_of(x) for x in inputs]
    if out_dtypes is None:
        out_dtypes = [input_dtypes[0]]
    sess = OpSession(op_type, input_dtypes, attrs, out_dtypes, num_threads)
    for _ in range(times):
        outs = sess.run(inputs)
    return outs


def expect_error(op_type, bad, good, attrs, out_dtypes=None, code=INVALID_ARGUMENT):
    """`bad` inputs fail with `code`; the same Session then runs `good` ones (same dtypes).
    Returns the error message and the good run's outputs."""
    input_dtypes = [dtype_of(x) for x in bad]
    sess = OpSession(op_type, input_dtypes, attrs, out_dtypes or [input_dtypes[0]])
    with pytest.raises(_core.StatusError) as info:
        sess.run(bad)
    assert status_code(info.value) == code, info.value.args
    return info.value.args[1], sess.run(good)


# -- variables ------------------------------------------------------------------------------

class VarGraph(object):
    """Ops that take variables, in one Session that keeps them between runs (a training loop).

    `VarGraph(op, var_names, inputs, attrs, dtype, resource)` builds a variable per name
    (VariableV2 + Assign, or VarHandleOp + AssignVariableOp + ReadVariableOp), a Placeholder per
    other input ([(name, dtype name)], after the variables in the op's order), and the op taking
    the variables (refs or handles) first; the resource form of op X is ResourceX. Its outputs:
    `out_dtypes`, else the variable (ref form) or none (resource form). Values are fed and read
    in the variables' dtype, except that bfloat16 is given and read as float32.
    """

    def __init__(self, op, var_names, inputs, attrs, dtype, resource, type_attr="T", var_dtype=None,
                 num_threads=1, out_dtypes=None):
        self.dtype = var_dtype or dtype
        self.resource = resource
        g = _core.Graph()
        vt = enum(self.dtype)
        self._vars, self._inits, self._assigns, self._reads = [], [], [], []
        for n in var_names:
            ph = add_placeholder(g, n + "/init", self.dtype)
            self._inits.append((ph, 0))
            if resource:
                h = g.add_node(n, "VarHandleOp", "", [], [],
                               {"dtype": ("type", vt), "shape": ("shape", None), "shared_name": ("s", n.encode()),
                                "container": ("s", b"")}, [enum("resource")])
                self._assigns.append(g.add_node(n + "/assign", "AssignVariableOp", "", [(h, 0), (ph, 0)], [],
                                                {"dtype": ("type", vt)}, []))
                self._reads.append((g.add_node(n + "/read", "ReadVariableOp", "", [(h, 0)], [],
                                               {"dtype": ("type", vt)}, [vt]), 0))
            else:
                h = g.add_node(n, "VariableV2", "", [], [], {"dtype": ("type", vt), "shape": ("shape", None)},
                               [vt + 100])
                self._assigns.append(g.add_node(n + "/assign", "Assign", "", [(h, 0), (ph, 0)], [],
                                                {"T": ("type", vt), "validate_shape": ("b", False)}, [vt + 100]))
                self._reads.append((h, 0))
            self._vars.append((h, 0))
        self._feeds = [(add_placeholder(g, n, dt), 0) for n, dt in inputs]
        self._feed_types = [dt for _, dt in inputs]
        tagged = dict(tag_attrs(attrs), **{type_attr: ("type", vt)})
        if out_dtypes is None:
            out_dtypes = [] if resource else [vt + 100]
        else:
            out_dtypes = [enum(d) for d in out_dtypes]
        self._out_dtypes = out_dtypes
        self.op = g.add_node("op", ("Resource" + op) if resource else op, "", self._vars + self._feeds, [], tagged,
                             out_dtypes)
        self.sess = _core.Session(g, num_threads)

    def init(self, values, names=None):
        """Assigns `values` (one per variable, or to the variables at the indices in `names`)."""
        idx = range(len(values)) if names is None else names
        self.sess.run([self._inits[i] for i in idx], [self._feed(v, self.dtype) for v in values], [],
                      [self._assigns[i] for i in idx])

    def step(self, values, fetch_output=False):
        """Runs the op on the other inputs; its outputs when `fetch_output` (else None)."""
        feeds = [self._feed(v, dt) for v, dt in zip(values, self._feed_types)]
        fetches = [(self.op, k) for k in range(len(self._out_dtypes))] if fetch_output else []
        outs = self.sess.run(self._feeds, feeds, fetches, [] if fetch_output else [self.op])
        if not fetch_output:
            return None
        outs = [self._read(a, e % 100) for a, e in zip(outs, self._out_dtypes)]
        return outs[0] if len(outs) == 1 else outs

    def read(self):
        return [self._read(a, self.dtype) for a in self.sess.run([], [], self._reads, [])]

    @staticmethod
    def _feed(value, dtype):
        dt = dtypes.as_dtype(dtype)
        if dt == dtypes.bfloat16:
            value = np.asarray(value, np.float32)
        elif dt.is_numpy_compatible and dt != dtypes.string:
            value = np.asarray(value, dt.as_numpy_dtype)
        # A copy: the variable may keep the fed buffer and update it in place.
        return np.array(feed_array(value, dt), order="C"), dt.as_datatype_enum

    @staticmethod
    def _read(arr, dtype):
        if dtypes.as_dtype(dtype) == dtypes.bfloat16:
            return np.asarray(arr).view(BF16).astype(np.float32)
        return np.asarray(arr)


# -- Python graphs (framework tests build nodes directly) -------------------------------------

def placeholder(dtype, shape=None, name="Placeholder", graph=None):
    g = graph or tf.get_default_graph()
    return g._create_op("Placeholder", [], {"dtype": dtype, "shape": TensorShape(shape)}, name=name).outputs[0]


def const(value, dtype=tf.float32, name="Const", graph=None):
    g = graph or tf.get_default_graph()
    arr = np.asarray(value, dtype=object if dtype == tf.string else dtype.as_numpy_dtype)
    return g._create_op("Const", [], {"value": (arr, dtype), "dtype": dtype}, name=name).outputs[0]


def binary(op_type, x, y, name=None):
    return x.graph._create_op(op_type, [x, y], {"T": x.dtype.base_dtype}, name=name or op_type).outputs[0]


def ref_variable(init, dtype=tf.float32, name="v"):
    """A VariableV2 with an Assign initializer and a read Identity, like TF1."""
    g = tf.get_default_graph()
    init_t = const(init, dtype, name=name + "/initial_value")
    var = g._create_op("VariableV2", [], {"dtype": dtype, "shape": TensorShape(np.shape(init))}, name=name)
    assign = g._create_op("Assign", [var.outputs[0], init_t], {"T": dtype}, name=name + "/Assign")
    read = g._create_op("Identity", [var.outputs[0]], {"T": dtype}, name=name + "/read")
    return var.outputs[0], assign, read.outputs[0]


# -- fixtures ---------------------------------------------------------------------------------

def node_attrs_json(op):
    """An Operation's attrs as the kernel fixture generators record TF's (JSON-ready): the
    graph-building tests compare the nodes a Python API call adds with TF's."""
    from metarun.framework import tensor_util
    out = {}
    for name in sorted(op.node_def.attr):
        av = op.node_def.attr[name]
        kind = av.WhichOneof("value")
        if kind == "type":
            out[name] = {"type": dtypes.as_dtype(av.type).name}
        elif kind == "s":
            out[name] = {"s": av.s.decode()}
        elif kind in ("i", "f", "b"):
            out[name] = {kind: getattr(av, kind)}
        elif kind == "list":
            out[name] = {"list": list(av.list.i)}
        elif kind == "tensor":
            arr = tensor_util.to_numpy(av.tensor)
            out[name] = {"tensor": [arr.dtype.name, arr.tolist()]}
    return out


def kernel_fixture(name):
    """The path of tests/fixtures/kernels/<name>."""
    return os.path.join(KERNEL_FIXTURES, name)


class NpzData(dict):
    """The arrays of an .npz; `files` lists the names, as on np.load's result."""

    @property
    def files(self):
        return list(self)


def load_npz(path):
    """Every array of an .npz, read fully and the file closed (pytest turns the ResourceWarning
    of an unclosed NpzFile into an error)."""
    with np.load(path, allow_pickle=False) as z:
        return NpzData((k, z[k]) for k in z.files)


def fixture_module(name):
    """A fixture generator's module from tests/fixtures/kernels, for the helpers it shares with
    the tests (importing it does not import TensorFlow)."""
    spec = importlib.util.spec_from_file_location("_fixture_" + name, kernel_fixture(name + ".py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@dataclasses.dataclass
class Case(object):
    """One TF-made kernel case: the op, its inputs and attrs, and either TF's outputs or TF's
    error (code, and the message when it must match too)."""
    name: str
    op: str
    inputs: list
    attrs: dict
    out_dtypes: list
    outputs: list = None
    error: tuple = None
    dtype: str = None          # the dtype the kernel dispatches on (what COVERAGE claims)
    tolerance: dict = None     # dtype name -> rtol (also atol relative to max |expected|); else exact
    shape_only: frozenset = frozenset()  # outputs TF leaves undefined: compare shapes only
    ignored: frozenset = frozenset()     # outputs not compared at all
    times: int = 1             # runs in one session before comparing (Print's first_n)
    on_variable: bool = False  # the first input is the value of a resource variable the op reads
    stderr: str = None         # what the runs print
    group: str = None          # the test module a grads.npz case belongs to


def coverage(cases, ops=()):
    """{op: dtype names} the successful cases exercise (every op in `ops` listed, maybe empty)."""
    cov = {op: set() for op in ops}
    for c in cases:
        if c.error is None and c.dtype is not None:
            cov.setdefault(c.op, set()).add(c.dtype)
    return cov


def params(cases):
    """pytest params named after the cases."""
    return [pytest.param(c, id=c.name) for c in cases]


def assert_covers_registry(cov):
    """Every dtype metarun registers for the ops of `cov` is claimed by it."""
    reg = _core.registered_kernels()
    for op, claimed in cov.items():
        assert op in reg, "%s has no kernel" % op
        missing = {dtypes.as_dtype(t).name for t in reg[op]} - claimed
        assert not missing, "%s: registered but untested dtypes %s" % (op, sorted(missing))


def assert_matches(got, want, tol=None, what=""):
    """`got` equals TF's `want`: within `tol` (relative, and absolute relative to max |want|),
    else exactly (same dtype, same bits for bfloat16, same sign of zero, NaN equals NaN)."""
    got = np.asarray(got)
    assert got.shape == want.shape, "%s: shape %s vs TF's %s" % (what, got.shape, want.shape)
    if tol is not None:
        wide = np.complex128 if (got.dtype.kind == "c" or want.dtype.kind == "c") else np.float64
        g, w = got.astype(wide), want.astype(wide)
        scale = max(1.0, float(np.max(np.abs(w)))) if w.size else 1.0
        np.testing.assert_allclose(g, w, rtol=tol, atol=tol * scale, err_msg=what)
    elif want.dtype == BF16:
        np.testing.assert_array_equal(got.view(np.uint16), want.view(np.uint16), err_msg=what)
    elif want.dtype == object:
        assert [bytes(x) for x in got.ravel()] == [bytes(x) for x in want.ravel()], what
    else:
        assert got.dtype == want.dtype, (what, got.dtype, want.dtype)
        np.testing.assert_array_equal(got, want, err_msg=what)
        if want.dtype.kind == "f":
            np.testing.assert_array_equal(np.signbit(got), np.signbit(want), err_msg=what)


def check_case(case, num_threads=1, capfd=None):
    """Runs `case` through a real Session and compares with TF's outputs, or asserts TF's error
    (code, and message where the case has one); `capfd` checks what the runs printed."""
    try:
        if case.on_variable:
            outs = run_on_variable(case.op, case.inputs, case.attrs, case.out_dtypes, num_threads=num_threads)
        else:
            outs = run_op(case.op, case.inputs, case.attrs, case.out_dtypes, num_threads=num_threads,
                          times=case.times)
    except _core.StatusError as e:
        if case.error is None:
            raise
        code, message = case.error
        assert status_code(e) == code, (e.args, case.error)
        if message is not None:
            assert e.args[1] == message
        return
    assert case.error is None, "expected TF's error %r" % (case.error,)
    assert len(outs) == len(case.outputs)
    for k, (got, want) in enumerate(zip(outs, case.outputs)):
        what = "%s output %d" % (case.name, k)
        if k in case.ignored:
            continue
        if k in case.shape_only:
            assert np.shape(got) == want.shape, what
            continue
        tol = (case.tolerance or {}).get("bfloat16" if want.dtype == BF16 else want.dtype.name)
        assert_matches(got, want, tol, what)
    if capfd is not None and case.stderr is not None:
        assert capfd.readouterr().err == case.stderr


def run_on_variable(op_type, inputs, attrs, out_dtypes, input_dtypes=None, num_threads=1):
    """Runs a Resource* op (ResourceGather) whose first input is a resource variable holding
    inputs[0]; the other inputs are fed. The op's `dtype` attr is the variable's."""
    input_dtypes = [dtypes.as_dtype(d) for d in (input_dtypes or [dtype_of(x) for x in inputs])]
    names = [("in%d" % i, d.name) for i, d in enumerate(input_dtypes[1:], 1)]
    g = VarGraph(op_type[len("Resource"):], ["params"], names, {k: v for k, v in attrs.items() if k != "dtype"},
                 input_dtypes[0].name, True, type_attr="dtype", num_threads=num_threads, out_dtypes=out_dtypes)
    g.init([inputs[0]])
    out = g.step(inputs[1:], fetch_output=True)
    outs = out if isinstance(out, list) else [out]
    # VarGraph reads bfloat16 as float32 (exactly); give the kernel's bits back.
    return [o.astype(BF16) if dtypes.as_dtype(d) == dtypes.bfloat16 else o for o, d in zip(outs, out_dtypes)]


# linalg.npz (gen_linalg.py): JSON `meta`, arrays as (offset, shape, dtype) into one byte `blob`.
# Accumulation order differs from TF's (OpenBLAS vs Eigen): floats match to a few ulps of the sum.
_LINALG_TOL = {"float32": 2e-5, "float64": 1e-12, "complex64": 2e-5, "complex128": 1e-12,
               "float16": 2e-3, "bfloat16": 1e-2}


def linalg_cases(ops):
    data = load_npz(kernel_fixture("linalg.npz"))
    blob = data["blob"]

    def array(ref):
        dt = np_dtype(ref["dtype"])
        n = int(np.prod(ref["shape"], dtype=np.int64))
        return blob[ref["offset"]:ref["offset"] + n * dt.itemsize].view(dt).reshape(ref["shape"])

    cases = []
    for c in json.loads(str(data["meta"])):
        if c["op"] not in ops:
            continue
        inputs = [array(r) for r in c["inputs"]]
        attrs = {k: dtypes.as_dtype(v["dtype"]) if isinstance(v, dict) and "dtype" in v else v
                 for k, v in c["attrs"].items()}
        type_name = (c["attrs"].get("T") or c["attrs"].get("Ta"))["dtype"]
        outputs = [array(r) for r in c["outputs"]] if "outputs" in c else None
        out_dtypes = [dtype_of(o) for o in outputs] if outputs is not None else _linalg_out_dtypes(c, inputs)
        cases.append(Case(name="%s-%s-%s" % (c["op"], type_name, "x".join(str(list(x.shape)) for x in inputs)),
                          op=c["op"], inputs=inputs, attrs=attrs, out_dtypes=out_dtypes, outputs=outputs,
                          error=(c["error"], None) if "error" in c else None, dtype=type_name,
                          tolerance=_LINALG_TOL, shape_only=frozenset(c.get("undefined_outputs", ()))))
    return cases


def _linalg_out_dtypes(c, inputs):
    if "Tout" in c["attrs"]:
        return [dtypes.as_dtype(c["attrs"]["Tout"]["dtype"])]
    if c["op"].startswith("FusedBatchNorm"):
        n = 6 if c["op"] == "FusedBatchNormV3" else 5
        return [dtype_of(inputs[0])] + [dtypes.float32] * (n - 1)
    return [dtype_of(inputs[1 if c["op"] == "Conv2DBackpropInput" else 0])]


# grads.npz (gen_grads.py): JSON `__meta__`, arrays as [dtype, shape, element offset] into one
# `blob_<dtype>` array per dtype; type attrs are not stored but follow from the inputs.
_GRAD_TYPE_ATTRS = {
    "SparseSoftmaxCrossEntropyWithLogits": {"T": 0, "Tlabels": 1},
    "StridedSliceGrad": {"T": 4, "Index": 0},
    "AvgPoolGrad": {"T": 1},
    "DepthwiseConv2dNativeBackpropInput": {"T": 1},
    "FusedBatchNormGradV2": {"T": 0, "U": 2},
    "FusedBatchNormGradV3": {"T": 0, "U": 2},
}
# Output dtypes of error cases, as input indices or dtype names.
_GRAD_OUT_TYPES = {
    "SoftmaxCrossEntropyWithLogits": [0, 0],
    "SparseSoftmaxCrossEntropyWithLogits": [0, 0],
    "BroadcastGradientArgs": [0, 0],
    "StridedSliceGrad": [4],
    "AvgPoolGrad": [1],
    "DepthwiseConv2dNativeBackpropInput": [1],
    "FusedBatchNormGrad": [0, "float32", "float32", "float32", "float32"],
    "FusedBatchNormGradV2": [0, "float32", "float32", "float32", "float32"],
    "FusedBatchNormGradV3": [0, "float32", "float32", "float32", "float32"],
}
# FusedBatchNormGrad's reserve-space outputs: TF leaves them unspecified (even their shape depends
# on which TF kernel ran), so they are not compared.
_GRAD_IGNORED = {"FusedBatchNormGrad": {3, 4}, "FusedBatchNormGradV2": {3, 4}, "FusedBatchNormGradV3": {3, 4}}
_GRAD_TOL = {"float32": 1e-5, "complex64": 1e-5, "float64": 1e-10, "complex128": 1e-10,
             "float16": 2e-3, "bfloat16": 2e-2}


def grad_cases(group):
    """The cases of grads.npz for one test module ("nn_grad", "xent", "grad_util")."""
    data = load_npz(kernel_fixture("grads.npz"))
    blobs = {k[len("blob_"):]: data[k] for k in data.files if k.startswith("blob_")}

    def array(ref):
        dtype, shape, offset = ref
        size = int(np.prod(shape)) if shape else 1
        flat = blobs[dtype][offset:offset + size]
        return (flat.view(BF16) if dtype == "bfloat16" else flat).reshape(shape)

    cases = []
    for c in json.loads(str(data["__meta__"])):
        if c["module"] != group:
            continue
        inputs = [array(r) for r in c["inputs"]]
        type_attrs = _GRAD_TYPE_ATTRS.get(c["op"], {"T": 0})
        attrs = {k: dtypes.as_dtype(v["type"]) if isinstance(v, dict) else v for k, v in c["attrs"].items()}
        attrs.update((name, dtypes.as_dtype(c["inputs"][i][0])) for name, i in type_attrs.items())
        if c["outputs"] is not None:
            out_dtypes = [r[0] for r in c["outputs"]]
        else:
            out_dtypes = [c["inputs"][t][0] if isinstance(t, int) else t for t in _GRAD_OUT_TYPES.get(c["op"], [0])]
        error = None
        if c["error"] is not None:
            code, message, check_message = c["error"]
            error = (code, message if check_message else None)
        cases.append(Case(name=c["name"], op=c["op"], inputs=inputs, attrs=attrs,
                          out_dtypes=[dtypes.as_dtype(d) for d in out_dtypes],
                          outputs=[array(r) for r in c["outputs"]] if c["outputs"] is not None else None,
                          error=error, dtype=c["inputs"][type_attrs.get("T", 0)][0], tolerance=_GRAD_TOL,
                          ignored=frozenset(_GRAD_IGNORED.get(c["op"], ())), group=group))
    return cases


# gather.npz (gen_gather.py): JSON `meta` {"cases", "arrays"}; arrays as byte ranges of `blob`.
# Compared exactly, error messages included.
_GATHER_TYPE_ATTR = {"Gather": "Tparams", "GatherV2": "Tparams", "GatherNd": "Tparams", "ResourceGather": "dtype",
                     "Range": "Tidx", "UnravelIndex": "Tidx", "Empty": "dtype"}


def blob_fixture(name):
    """A fixture in gen_gather.py's layout: (meta, array), `meta` the JSON index and
    array(key, dtype_name) the array stored under `key` (bfloat16 from its bits, strings as
    objects)."""
    data = load_npz(kernel_fixture(name))
    meta = json.loads(str(data["meta"]))
    blob = data["blob"].tobytes()

    def array(key, dtype_name):
        a = meta["arrays"][key]
        arr = np.frombuffer(blob[a["off"]:a["off"] + a["len"]], dtype=np.dtype(a["dtype"])).reshape(a["shape"])
        if dtype_name == "bfloat16":
            return arr.view(BF16).copy()
        if dtype_name == "string":
            return np.array(arr.tolist(), dtype=object).reshape(arr.shape)
        return arr.copy()
    return meta, array


def decode_attrs(attrs_json):
    """A case's attrs from the generators' JSON ({"type": ...}, {"shape": ...}, {"s": ...}...)."""
    attrs = {}
    for name, v in attrs_json.items():
        (kind, val), = v.items()
        if kind == "type":
            attrs[name] = dtypes.as_dtype(val)
        elif kind == "list_type":
            attrs[name] = [dtypes.as_dtype(t) for t in val]
        elif kind == "shape":
            attrs[name] = Shape(val)
        elif kind == "s":
            attrs[name] = val.encode("latin-1")
        else:
            attrs[name] = val
    return attrs


def gather_cases(ops):
    """The cases of gather.npz for `ops` that run (not those TF rejects when building the graph)."""
    meta, array = blob_fixture("gather.npz")
    cases = []
    for k, c in enumerate(meta["cases"]):
        if c["op"] not in ops or "graph_error" in c:
            continue
        attrs = decode_attrs(c["attrs"])
        type_attr = c["attrs"].get(_GATHER_TYPE_ATTR.get(c["op"], "T"), {})
        cases.append(Case(name=c["name"], op=c["op"],
                          inputs=[array("c%d_i%d" % (k, j), d) for j, d in enumerate(c["inputs"])],
                          attrs=attrs, out_dtypes=[dtypes.as_dtype(d) for d in c["out_dtypes"]],
                          outputs=[array(key, d) for key, d in zip(c.get("outputs", ()), c["out_dtypes"])],
                          error=tuple(c["error"]) if "error" in c else None, dtype=type_attr.get("type"),
                          times=2 if c["op"] == "Print" else 1,  # the generator ran Print twice (first_n)
                          on_variable=c.get("kind") == "resource", stderr=c.get("stderr")))
    return cases
